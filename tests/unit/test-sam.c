/* The SAM parser: accounts, memberships and password judgements from hives
 * that tests/tools/mksam writes as Windows does (both formats), and hostile
 * F, V, C and hash entries byte by byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

static char dir[] = "/tmp/kenshu-test-sam-XXXXXX";
#include "hives.h"

#define BOOT_KEY "3a7e0c5591d24b8fa6e1c07d2b9f4e68"

static const char *const accounts[] = {
	"500:Administrator:0x0210:Adm1n-Plant7:admin:Built-in account:5",
	"501:Guest:0x0215:-",
	"1001:support:0x0210:Vendor123:admin,rdp:Vendor Support:14",
	"1002:hmi:0x0214::rdp",
	"1003:operator:0x0010:Line3-op",
};

static char *file_text(const char *path)
{
	size_t n;
	char *t = slurp(path, &n);
	t[n] = 0;
	return t;
}

/* SAM and SYSTEM hives from mksam's .reg text (extra: more .reg lines for
 * the SAM, e.g. to damage a value). */
static void make_pair(bool rc4, const char *extra, struct hive **sam, struct hive **sys)
{
	const char *tools = getenv("KENSHU_TOOLS");
	struct strbuf cmd = STRBUF_INIT;
	char *sr = xasprintf("%s/sam.reg", dir), *yr = xasprintf("%s/sys.reg", dir);

	strbuf_addf(&cmd, "'%s/mksam' %s -k %s -o '%s' -s '%s'", tools ? tools : "build/tools", rc4 ? "-1" : "", BOOT_KEY,
		    sr, yr);
	for (size_t i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++)
		strbuf_addf(&cmd, " '%s'", accounts[i]);
	assert_int_equal(system(cmd.buf), 0);
	char *s = file_text(sr), *y = file_text(yr);
	/* reg() adds the header line again: drop mksam's */
	struct strbuf st = STRBUF_INIT, yt = STRBUF_INIT;
	strbuf_addstr(&st, strchr(s, '\n') + 1);
	if (extra)
		strbuf_addstr(&st, extra);
	strbuf_addstr(&yt, "[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n\"Current\"=dword:00000001\n");
	strbuf_addstr(&yt, strchr(y, '\n') + 1);
	*sam = reg(st.buf);
	*sys = reg(yt.buf);
	free(s);
	free(y);
	free(sr);
	free(yr);
	strbuf_release(&cmd);
	strbuf_release(&st);
	strbuf_release(&yt);
}

static void check_accounts(bool rc4)
{
	struct hive *sam, *sys;
	struct sam_accounts a;
	struct ks_err err;
	uint8_t key[16];

	make_pair(rc4, NULL, &sam, &sys);
	assert_int_equal(sam_boot_key(sys, 1, key, &err), 0);
	for (int i = 0; i < 16; i++) {
		unsigned v;
		sscanf(BOOT_KEY + 2 * i, "%2x", &v);
		assert_int_equal(key[i], v);
	}
	assert_int_equal(sam_read(sam, key, &a, &err), 0);
	assert_null(a.key_note);
	assert_int_equal(a.n, 5);
	const struct sam_account *adm = sam_find(&a, 500), *g = sam_find(&a, 501), *sup = sam_find(&a, 1001),
				 *hmi = sam_find(&a, 1002), *op = sam_find(&a, 1003);
	assert_non_null(adm);
	assert_string_equal(adm->name, "Administrator");
	assert_string_equal(adm->full_name, "Built-in account");
	assert_int_equal(adm->logon_count, 5);
	assert_true(adm->admin);
	assert_false(adm->rdp);
	assert_int_equal(adm->password, SAM_PW_SET);
	assert_int_equal(adm->acb, 0x0210);
	assert_true(adm->last_logon > 0);
	assert_string_equal(g->name, "Guest");
	assert_true(g->acb & SAM_ACB_DISABLED);
	assert_int_equal(g->password, SAM_PW_NONE);
	assert_false(g->admin);
	assert_true(sup->admin && sup->rdp);
	assert_int_equal(sup->password, SAM_PW_SET);
	assert_string_equal(sup->full_name, "Vendor Support");
	assert_int_equal(hmi->password, SAM_PW_EMPTY);
	assert_true(hmi->acb & SAM_ACB_PW_NOT_REQUIRED);
	assert_true(hmi->rdp && !hmi->admin);
	assert_int_equal(hmi->last_logon, 0);
	assert_int_equal(op->password, SAM_PW_SET);
	assert_null(op->full_name);
	assert_null(op->note);
	assert_null(sam_find(&a, 502));
	sam_accounts_release(&a);

	/* without the boot key a stored hash is unknown, an absent one none */
	assert_int_equal(sam_read(sam, NULL, &a, &err), 0);
	assert_non_null(a.key_note);
	assert_int_equal(sam_find(&a, 1002)->password, SAM_PW_UNKNOWN);
	assert_int_equal(sam_find(&a, 501)->password, SAM_PW_NONE);
	sam_accounts_release(&a);

	/* another machine's boot key: RC4's checksum says so */
	key[3] ^= 0x40;
	assert_int_equal(sam_read(sam, key, &a, &err), 0);
	if (rc4) {
		assert_non_null(a.key_note);
		assert_non_null(strstr(a.key_note, "checksum"));
		assert_int_equal(sam_find(&a, 1002)->password, SAM_PW_UNKNOWN);
	} else {
		/* AES has no check: garbage is judged a password, never empty */
		assert_int_not_equal(sam_find(&a, 1002)->password, SAM_PW_EMPTY);
	}
	sam_accounts_release(&a);
	hive_close(sam);
	hive_close(sys);
}

static void aes_accounts(void **state)
{
	check_accounts(false);
}

static void rc4_accounts(void **state)
{
	check_accounts(true);
}

/* A user key damaged in the hive: no V (the name from Names), a V whose
 * name lies outside it, an F too short, an F naming another RID. */
static void damaged_user_keys(void **state)
{
	struct hive *sam, *sys;
	struct sam_accounts a;
	struct ks_err err;
	uint8_t key[16];
	const char *extra =
		"\n[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\000003EB]\n\"V\"=-\n"
		"\n[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\000003E9]\n\"F\"=hex:01,02,03\n"
		"\n[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\000001F5]\n"
		"\"F\"=hex:02,00,01,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,\\\n"
		"  00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,\\\n"
		"  f4,01,00,00,01,02,00,00,14,02,00,00,00,00,00,00,00,00,00,00,00,00,00,00,\\\n"
		"  00,00,00,00,00,00,00,00\n"
		"\n[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\000003EA]\n"
		"\"V\"=hex:" /* a table whose name entry points far outside V */
		"00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,10,08,00,00,00\n"
		"\n[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\0000ZZZZ]\n\"F\"=hex:00\n";

	make_pair(false, extra, &sam, &sys);
	assert_int_equal(sam_boot_key(sys, 1, key, &err), 0);
	assert_int_equal(sam_read(sam, key, &a, &err), 0);
	assert_int_equal(a.n, 5);   /* 0000ZZZZ is no RID */
	const struct sam_account *op = sam_find(&a, 1003), *sup = sam_find(&a, 1001), *g = sam_find(&a, 501),
				 *hmi = sam_find(&a, 1002);
	assert_string_equal(op->name, "operator");   /* from Names */
	assert_non_null(strstr(op->note, "V: absent"));
	assert_int_equal(op->password, SAM_PW_UNKNOWN);
	assert_false(sup->has_f);
	assert_non_null(strstr(sup->note, "F is 3 bytes"));
	assert_true(g->has_f);
	assert_non_null(strstr(g->note, "RID hijacking"));
	assert_false(g->acb & SAM_ACB_DISABLED);
	assert_string_equal(hmi->name, "hmi");
	assert_non_null(strstr(hmi->note, "V is 20 bytes"));
	sam_accounts_release(&a);
	hive_close(sam);
	hive_close(sys);
}

static void no_users_key(void **state)
{
	struct hive *h = reg("[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account]\n\"F\"=hex:00\n");
	struct sam_accounts a;
	struct ks_err err;
	uint8_t key[16];

	assert_int_equal(sam_read(h, NULL, &a, &err), -1);
	assert_non_null(strstr(err.msg, "Users absent"));
	/* no Lsa key, and class names that are not 8 hex digits */
	assert_int_equal(sam_boot_key(h, 1, key, &err), -1);
	hive_close(h);
	h = reg("[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa\\JD]\nclass:\"1234567\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa\\Skew1]\nclass:\"12345678\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa\\GBG]\nclass:\"12345678\"\n");
	assert_int_equal(sam_boot_key(h, 1, key, &err), -1);
	assert_non_null(strstr(err.msg, "JD has no 8-digit class name"));
	hive_close(h);
	h = reg("[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa\\JD]\nclass:\"1234567x\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa\\Skew1]\nclass:\"12345678\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa\\GBG]\nclass:\"12345678\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa\\Data]\nclass:\"12345678\"\n");
	assert_int_equal(sam_boot_key(h, 1, key, &err), -1);
	assert_non_null(strstr(err.msg, "not hexadecimal"));
	hive_close(h);
}

/* A class name whose cell offset points outside the hive, or whose length
 * is odd or runs past its cell. */
static void hostile_class_names(void **state)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char *in = xasprintf("%s/class.reg", dir), *path = xasprintf("%s/class.hive", dir);
	char *cmd = xasprintf("'%s/mkhive' '%s' '%s'", tools ? tools : "build/tools", path, in);
	FILE *f = fopen(in, "w");
	uint8_t *data;
	struct hive *h, *h2;
	struct hive_health hh;
	size_t n;

	assert_non_null(f);
	fputs("Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Lsa\\JD]\nclass:\"abcdef01\"\n", f);
	fclose(f);
	assert_int_equal(system(cmd), 0);
	data = slurp(path, &n);
	assert_int_equal(hive_open_mem(data, n, &h, &hh), 0);
	size_t node = hive_key(h, "Lsa\\JD");
	char *c = hive_key_class(h, node);
	assert_string_equal(c, "abcdef01");
	free(c);
	assert_null(hive_key_class(h, 0));
	assert_null(hive_key_class(h, n - 8));   /* no room for an nk record */
	hive_close(h);
	free(in);
	free(cmd);
	struct { uint32_t off; uint16_t len; } bad[] = {
		{ 0x7FFFFFF0u, 16 }, { (uint32_t)n, 16 }, { 0, 15 }, { 0, 0xFFFE },
	};
	uint32_t good = load_le32(data + node + 4 + 0x30);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *d = xmalloc(n);
		memcpy(d, data, n);
		uint32_t off = bad[i].off ? bad[i].off : good;
		d[node + 4 + 0x30] = (uint8_t)off, d[node + 4 + 0x31] = (uint8_t)(off >> 8);
		d[node + 4 + 0x32] = (uint8_t)(off >> 16), d[node + 4 + 0x33] = (uint8_t)(off >> 24);
		d[node + 4 + 0x4A] = (uint8_t)bad[i].len, d[node + 4 + 0x4B] = (uint8_t)(bad[i].len >> 8);
		assert_int_equal(hive_open_mem(d, n, &h2, &hh), 0);
		assert_null(hive_key_class(h2, hive_key(h2, "Lsa\\JD")));
		hive_close(h2);
		free(d);
	}
	free(data);
	free(path);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void hostile_f(void **state)
{
	struct sam_account a = { .rid = 1001 };
	struct ks_err err;
	uint8_t f[80] = { 0 };

	assert_int_equal(sam_parse_f(NULL, 0, &a, &err), -1);
	assert_int_equal(sam_parse_f(f, 0x43, &a, &err), -1);
	assert_false(a.has_f);
	put32(f + 0x30, 1001);
	f[0x38] = 0x11;
	f[0x42] = 7;
	/* all-ones and zero FILETIMEs are "never" */
	memset(f + 0x08, 0xFF, 8);
	assert_int_equal(sam_parse_f(f, 0x44, &a, &err), 0);
	assert_int_equal(a.acb, 0x11);
	assert_int_equal(a.logon_count, 7);
	assert_int_equal(a.last_logon, 0);
	put32(f + 0x30, 500);
	assert_int_equal(sam_parse_f(f, sizeof(f), &a, &err), -1);
	assert_true(a.has_f);   /* the flags stay: the caller reports the hijack */
}

/* V: a table of 12-byte entries (offset from 0xCC, length, unknown). */
static void set_entry(uint8_t *v, size_t at, uint32_t off, uint32_t len)
{
	put32(v + at, off);
	put32(v + at + 4, len);
}

static void hostile_v(void **state)
{
	uint8_t v[0xCC + 64];
	struct sam_account a = { .rid = 1001 };
	const uint8_t *nt;
	size_t ntlen;
	struct ks_err err;

	a.name = xstrdup("(RID 1001)");
	memset(v, 0, sizeof(v));
	memcpy(v + 0xCC, "s\0u\0p\0", 6);
	set_entry(v, 0x0C, 0, 6);
	set_entry(v, 0xA8, 8, 24);
	assert_int_equal(sam_parse_v(v, sizeof(v), &a, &nt, &ntlen, &err), 0);
	assert_string_equal(a.name, "sup");
	assert_ptr_equal(nt, v + 0xCC + 8);
	assert_int_equal(ntlen, 24);

	struct { size_t at; uint32_t off, len; const char *want; } bad[] = {
		{ 0x0C, 60, 6, "user name entry lies outside" },
		{ 0x0C, 0, 0xFFFFFFF0u, "user name entry lies outside" },
		{ 0x0C, 0xFFFFFFFFu, 2, "user name entry lies outside" },
		{ 0x0C, 0, 5, "not UTF-16" },
		{ 0x18, 2, 63, "full name entry lies outside" },
		{ 0x24, 1, 3, "not UTF-16" },
		{ 0xA8, 40, 25, "NT hash entry lies outside" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t w[sizeof(v)];
		memcpy(w, v, sizeof(v));
		set_entry(w, bad[i].at, bad[i].off, bad[i].len);
		assert_int_equal(sam_parse_v(w, sizeof(w), &a, &nt, &ntlen, &err), -1);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("case %zu: \"%s\", want \"%s\"", i, err.msg, bad[i].want);
	}
	assert_int_equal(sam_parse_v(v, 0xCB, &a, &nt, &ntlen, &err), -1);
	/* a 0xCC-byte V holds no strings at all, and a huge name is refused */
	uint8_t *big = xcalloc(1, 0xCC + 4096);
	set_entry(big, 0x0C, 0, 4096);
	assert_int_equal(sam_parse_v(big, 0xCC + 4096, &a, &nt, &ntlen, &err), -1);
	assert_non_null(strstr(err.msg, "long"));
	free(big);
	assert_string_equal(a.name, "sup");   /* a failed parse changes nothing */
	free(a.name);
	free(a.full_name);
	free(a.comment);
}

static void hostile_hashed_boot_key(void **state)
{
	uint8_t f[0xB0] = { 0 }, key[16] = { 1 }, out[16];
	struct ks_err err;

	assert_int_equal(sam_hashed_boot_key(f, 0x6F, key, out, &err), -1);
	put32(f + 0x68, 3);
	assert_int_equal(sam_hashed_boot_key(f, sizeof(f), key, out, &err), -1);
	assert_non_null(strstr(err.msg, "revision is 3"));
	put32(f + 0x68, 1);
	assert_int_equal(sam_hashed_boot_key(f, 0x9F, key, out, &err), -1);
	assert_int_equal(sam_hashed_boot_key(f, sizeof(f), key, out, &err), -1);
	assert_non_null(strstr(err.msg, "checksum"));
	put32(f + 0x68, 2);
	put32(f + 0x74, 32);
	assert_int_equal(sam_hashed_boot_key(f, 0x87, key, out, &err), -1);
	assert_int_equal(sam_hashed_boot_key(f, 0x88 + 31, key, out, &err), -1);
	assert_int_equal(sam_hashed_boot_key(f, 0x88 + 32, key, out, &err), 0);
	put32(f + 0x74, 0xFFFFFFF0u);
	assert_int_equal(sam_hashed_boot_key(f, sizeof(f), key, out, &err), -1);
	put32(f + 0x74, 17);
	assert_int_equal(sam_hashed_boot_key(f, sizeof(f), key, out, &err), -1);
}

static void hostile_hash_entries(void **state)
{
	uint8_t e[64] = { 0 }, hbk[16] = { 7 };

	assert_int_equal(sam_nt_password(NULL, 0, 1001, hbk), SAM_PW_NONE);
	e[2] = 1;
	assert_int_equal(sam_nt_password(e, 4, 1001, hbk), SAM_PW_NONE);
	assert_int_equal(sam_nt_password(e, 19, 1001, hbk), SAM_PW_UNKNOWN);   /* wrong size */
	assert_int_equal(sam_nt_password(e, 21, 1001, hbk), SAM_PW_UNKNOWN);
	assert_int_equal(sam_nt_password(e, 20, 1001, NULL), SAM_PW_UNKNOWN);   /* no key */
	assert_int_equal(sam_nt_password(e, 20, 1001, hbk), SAM_PW_SET);
	e[2] = 2;
	assert_int_equal(sam_nt_password(e, 24, 1001, hbk), SAM_PW_NONE);
	assert_int_equal(sam_nt_password(e, 30, 1001, hbk), SAM_PW_UNKNOWN);   /* no whole block */
	assert_int_equal(sam_nt_password(e, 40, 1001, hbk), SAM_PW_SET);
	e[2] = 9;   /* an unknown revision */
	assert_int_equal(sam_nt_password(e, 40, 1001, hbk), SAM_PW_UNKNOWN);
	assert_int_equal(sam_nt_password(e, 3, 1001, hbk), SAM_PW_UNKNOWN);
	assert_string_equal(sam_password_name(SAM_PW_EMPTY), "empty");
	assert_string_equal(sam_password_name((enum sam_password)42), "unknown");
}

static size_t put_sid(uint8_t *p, uint32_t a, uint32_t b, uint32_t c, uint32_t rid)
{
	memset(p, 0, 28);
	p[0] = 1, p[1] = 5, p[7] = 5;
	put32(p + 8, 21), put32(p + 12, a), put32(p + 16, b), put32(p + 20, c), put32(p + 24, rid);
	return 28;
}

static void hostile_alias(void **state)
{
	uint8_t c[0x34 + 4 * 28 + 12] = { 0 }, dom[24] = { 1, 4, 0, 0, 0, 0, 0, 5 };
	uint32_t *rids;
	struct ks_err err;
	size_t o = 0x34;

	put32(dom + 8, 21), put32(dom + 12, 1), put32(dom + 16, 2), put32(dom + 20, 3);
	o += put_sid(c + o, 1, 2, 3, 1001);
	o += put_sid(c + o, 9, 9, 9, 512);    /* a domain group: not this machine's */
	c[o] = 1, c[o + 1] = 1, c[o + 7] = 5;  /* S-1-5-11: well-known, 12 bytes */
	put32(c + o + 8, 11);
	o += 12;
	o += put_sid(c + o, 1, 2, 3, 500);
	put32(c + 0x30, 4);
	assert_int_equal(sam_alias_members(c, o, dom, &rids, &err), 2);
	assert_int_equal(rids[0], 1001);
	assert_int_equal(rids[1], 500);
	free(rids);
	assert_int_equal(sam_alias_members(c, o, NULL, &rids, &err), 3);
	free(rids);
	/* truncated, a count past the value, an offset outside, a bad SID */
	assert_int_equal(sam_alias_members(c, 0x33, dom, &rids, &err), -1);
	assert_int_equal(sam_alias_members(c, o - 1, dom, &rids, &err), -1);
	put32(c + 0x30, 0x7FFFFFFF);
	assert_int_equal(sam_alias_members(c, o, dom, &rids, &err), -1);
	assert_null(rids);
	put32(c + 0x30, 1);
	put32(c + 0x28, 0xFFFFFFF0u);
	assert_int_equal(sam_alias_members(c, o, dom, &rids, &err), -1);
	put32(c + 0x28, 0);
	c[0x34] = 2;   /* revision 2 */
	assert_int_equal(sam_alias_members(c, o, dom, &rids, &err), -1);
	put32(c + 0x30, 0);
	assert_int_equal(sam_alias_members(c, o, dom, &rids, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aes_accounts),
		cmocka_unit_test(rc4_accounts),
		cmocka_unit_test(damaged_user_keys),
		cmocka_unit_test(no_users_key),
		cmocka_unit_test(hostile_class_names),
		cmocka_unit_test(hostile_f),
		cmocka_unit_test(hostile_v),
		cmocka_unit_test(hostile_hashed_boot_key),
		cmocka_unit_test(hostile_hash_entries),
		cmocka_unit_test(hostile_alias),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
#include <kenshu/banned.h>
