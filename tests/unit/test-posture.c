/* Patch level and hardening facts (posture.h) without images: hives built
 * at test time by $KENSHU_TOOLS/mkhive from .reg text, srv.sys files built
 * as real PEs by tests/tools/mkpe.sh (mingw-w64), tables parsed from the
 * shipped text and from hostile text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "bytes.h"
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>

static char dir[] = "/tmp/kenshu-test-posture-XXXXXX";
#include "hives.h"

/* A real x86-64 driver with this file version, built once per version. */
static void *driver(const char *version, size_t *n)
{
	char *out = xasprintf("%s/srv-%s.sys", dir, version);
	void *data;

	if (access(out, R_OK) != 0) {
		char *cmd = xasprintf("tests/tools/mkpe.sh '%s' 'Microsoft Corporation' "
				      "'Microsoft® Windows® Operating System' '%s' sys", out, version);
		if (system(cmd) != 0)
			fail_msg("'%s' failed: mingw-w64 (gcc-mingw-w64-x86-64, binutils-mingw-w64-x86-64) is needed "
				 "to build real srv.sys files; run from the source tree root", cmd);
		free(cmd);
	}
	data = slurp(out, n);
	free(out);
	return data;
}

static time_t day(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };
	return timegm(&tm);
}

/* Base identity: Windows Embedded Standard 7 SP1, control set 1, scanned
 * on 2025-06-01. */
static void wes7(struct posture_inputs *in)
{
	memset(in, 0, sizeof(*in));
	in->major = 6;
	in->minor = 1;
	in->build = 7601;
	in->edition = "Embedded";
	in->product_name = "Windows Embedded Standard";
	in->control_set = 1;
	in->now = day(2025, 6, 1);
	in->hosts_path = "/Windows/System32/drivers/etc/hosts";
}

#define SELECT "[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n\"Current\"=dword:00000001\n\n"
#define CS "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\"

static struct posture P;

static const struct posture_check *eval(const struct posture_inputs *in, const char *rule, const char *scope)
{
	const struct posture_check *c;

	posture_release(&P);
	posture_evaluate(in, &P);
	c = posture_find(&P, rule, scope);
	if (!c)
		fail_msg("no check %s %s", rule, scope ? scope : "");
	return c;
}

#define assert_state(c, st) do { \
	const struct posture_check *c_ = (c); \
	if (c_->state != (st)) \
		fail_msg("%s%s%s: state %s, expected %s\n  message: %s\n  evidence: %s", c_->rule, \
			 c_->scope ? " " : "", c_->scope ? c_->scope : "", posture_state_name(c_->state), \
			 posture_state_name(st), c_->message, c_->evidence); \
} while (0)

#define assert_has(s, needle) do { \
	if (!strstr((s), (needle))) \
		fail_msg("'%s' not in '%s'", (needle), (s)); \
} while (0)

/* ---- the check list ----------------------------------------------------- */

static void every_check_once_and_unknown_without_hives(void **state)
{
	static const char *const order[][2] = {
		{ "ms17-010", NULL }, { "eol-os", NULL }, { "smb1-enabled", "server" }, { "smb1-enabled", "client" },
		{ "rdp-enabled", NULL }, { "rdp-no-nla", NULL }, { "autologon-cleartext-password", NULL },
		{ "firewall-disabled", "domain,private,public" },
		{ "defender-disabled", NULL }, { "autoplay-enabled", NULL }, { "guest-enabled", NULL },
		{ "hosts-tampered", NULL }, { "write-filter", NULL },
	};
	struct posture_inputs in;

	memset(&in, 0, sizeof(in));
	in.now = day(2025, 6, 1);
	posture_release(&P);
	posture_evaluate(&in, &P);
	assert_int_equal(P.n, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < P.n; i++) {
		assert_string_equal(P.c[i].rule, order[i][0]);
		if (order[i][1])
			assert_string_equal(P.c[i].scope, order[i][1]);
		else
			assert_null(P.c[i].scope);
		assert_non_null(P.c[i].message);
		assert_non_null(P.c[i].evidence);
		/* Nothing readable: nothing can be called safe or unsafe,
		 * except the absent hosts file (no file is no tampering). */
		if (strcmp(P.c[i].rule, "hosts-tampered") != 0)
			assert_state(&P.c[i], POSTURE_UNKNOWN);
	}
	assert_string_equal(posture_state_name(POSTURE_ABSENT_UNSAFE), "absent-unsafe");
	assert_string_equal(posture_state_name(POSTURE_NOT_APPLICABLE), "not-applicable");
	assert_string_equal(posture_state_name((enum posture_state)99), "unknown");
	posture_release(&P);
	posture_release(&P);   /* released twice: harmless */
}

/* ---- tables ---------------------------------------------------------------- */

static void shipped_tables_parse_and_are_consistent(void **state)
{
	size_t len;
	const char *text = embedded_file("tables/ms17-010.tsv", &len);
	struct patch_table *pt;
	struct eol_table *et;
	struct ks_err err;

	assert_non_null(text);
	if (patch_table_parse(text, len, "tables/ms17-010.tsv", &pt, &err) != 0)
		fail_msg("%s", err);
	assert_true(pt->n >= 10);
	/* No two rows for the same file overlap in OS, builds and branch:
	 * the answer never depends on row order. */
	for (size_t i = 0; i < pt->n; i++)
		for (size_t j = i + 1; j < pt->n; j++) {
			const struct patch_row *a = &pt->rows[i], *b = &pt->rows[j];
			if (a->major == b->major && a->minor == b->minor && strcmp(a->file, b->file) == 0 &&
			    a->build_lo <= b->build_hi && b->build_lo <= a->build_hi && a->branch_lo <= b->branch_hi &&
			    b->branch_lo <= a->branch_hi)
				fail_msg("ms17-010.tsv rows at lines %u and %u overlap", a->line, b->line);
		}
	patch_table_free(pt);

	text = embedded_file("tables/eol.tsv", &len);
	assert_non_null(text);
	if (eol_table_parse(text, len, "tables/eol.tsv", &et, &err) != 0)
		fail_msg("%s", err);
	assert_true(et->n >= 30);
	/* First match wins: no row may sit behind a catch-all row of the same
	 * version that covers all its builds. */
	for (size_t i = 0; i < et->n; i++)
		for (size_t j = 0; j < i; j++) {
			const struct eol_row *a = &et->rows[j], *b = &et->rows[i];
			if (a->major == b->major && a->minor == b->minor && a->build_lo <= b->build_lo &&
			    a->build_hi >= b->build_hi && !strcmp(a->edition, "*") && !strcmp(a->product, "*") &&
			    a->marker == EOL_MARK_NONE)
				fail_msg("eol.tsv line %u can never match: line %u covers it", b->line, a->line);
		}
	eol_table_free(et);

	/* Both are in the list of shipped files. */
	int seen = 0;
	for (const char *const *n = embedded_names(); *n; n++)
		seen += !strcmp(*n, "tables/ms17-010.tsv") + !strcmp(*n, "tables/eol.tsv");
	assert_int_equal(seen, 2);
}

static void expect_patch_error(const char *text, const char *want)
{
	struct patch_table *t = (struct patch_table *)1;
	struct ks_err err;

	assert_int_equal(patch_table_parse(text, strlen(text), "t.tsv", &t, &err), -1);
	assert_null(t);
	if (strcmp(err.msg, want) != 0)
		fail_msg("error '%s', expected '%s'", err, want);
}

static void expect_eol_error(const char *text, const char *want)
{
	struct eol_table *t = (struct eol_table *)1;
	struct ks_err err;

	assert_int_equal(eol_table_parse(text, strlen(text), "e.tsv", &t, &err), -1);
	assert_null(t);
	if (strcmp(err.msg, want) != 0)
		fail_msg("error '%s', expected '%s'", err, want);
}

#define ROW "6.1\t7601\tsrv.sys\t*\t6.1.7601.23689\tKB4012212\tWES7\n"

static void table_errors_name_the_line(void **state)
{
	struct patch_table *t;
	struct eol_table *e;
	struct ks_err err;
	const char *ok = "# comment\r\n\r\n  # indented comment\n" ROW
			 "6.0\t6002-6003\tsrv.sys\t20000-65535\t6.0.6002.24067\tKB4012598,UBR>=5\tLDR\r\n"
			 "10.0\t15063-\t-\t*\tnot-affected\t-\tnew\n"
			 "5.0\t*\tsrv.sys\t*\tnone\t-\t2000";

	assert_int_equal(patch_table_parse(ok, strlen(ok), "t.tsv", &t, &err), 0);
	assert_int_equal(t->n, 4);
	assert_int_equal(t->rows[0].line, 4);
	assert_int_equal(t->rows[1].build_lo, 6002);
	assert_int_equal(t->rows[1].build_hi, 6003);
	assert_int_equal(t->rows[1].branch_lo, 20000);
	assert_string_equal(t->rows[1].label, "LDR");   /* CR stripped */
	assert_int_equal(t->rows[1].nevidence, 2);
	assert_int_equal(t->rows[2].build_hi, UINT32_MAX);
	assert_int_equal(t->rows[2].fix, PATCH_NOT_AFFECTED);
	assert_int_equal(t->rows[3].fix, PATCH_NO_FIX);
	assert_string_equal(t->rows[3].label, "2000");  /* no final newline */
	patch_table_free(t);

	expect_patch_error("", "t.tsv: no rows");
	expect_patch_error("# only a comment\n\n", "t.tsv: no rows");
	expect_patch_error(ROW "6.1\t7601\tsrv.sys\t*\t6.1.7601.23689\tKB1\n",
			   "t.tsv:2: expected 7 tab-separated fields, found 6");
	expect_patch_error(ROW ROW "6.1\t7601\tsrv.sys\t*\t6.1.7601.1\tKB4012212\tx\textra\n",
			   "t.tsv:3: expected 7 tab-separated fields, found 8");
	expect_patch_error("6.1\t7601\t \t*\t6.1.7601.23689\t-\tx\n", "t.tsv:1: field 3 (file) is empty");
	expect_patch_error("6\t7601\tsrv.sys\t*\t6.1.7601.23689\t-\tx\n", "t.tsv:1: os '6' is not MAJOR.MINOR (e.g. 6.1)");
	expect_patch_error("6.1\t7601-7600\tsrv.sys\t*\t6.1.7601.23689\t-\tx\n",
			   "t.tsv:1: builds range '7601-7600' ends before it starts");
	expect_patch_error("6.1\t-5\tsrv.sys\t*\t6.1.7601.23689\t-\tx\n",
			   "t.tsv:1: builds '-5' is not N, N-M, N- or * (numbers up to 4294967295)");
	expect_patch_error("6.1\t7601\tsrv.sys\t0-70000\t6.1.7601.23689\t-\tx\n",
			   "t.tsv:1: branch '0-70000' is not N, N-M, N- or * (numbers up to 65535)");
	expect_patch_error("6.1\t7601\tsrv.sys\t*\t6.1.7601\t-\tx\n",
			   "t.tsv:1: fixed '6.1.7601' is not a four-part version, none or not-affected");
	expect_patch_error("6.1\t7601\tsrv.sys\t*\t6.1.7601.99999\t-\tx\n",
			   "t.tsv:1: fixed '6.1.7601.99999' is not a four-part version, none or not-affected");
	expect_patch_error("6.1\t7601\t-\t*\t6.1.7601.23689\t-\tx\n", "t.tsv:1: file '-' only goes with fixed 'not-affected'");
	expect_patch_error("6.1\t7601\t../srv.sys\t*\t6.1.7601.23689\t-\tx\n",
			   "t.tsv:1: file '../srv.sys' is not a file name (letters, digits, . _ -; at most 31)");
	expect_patch_error("6.1\t7601\tsrv.sys\t*\t6.1.7601.23689\tKB4012212,MS17-010\tx\n",
			   "t.tsv:1: evidence 'MS17-010' is not KBnnnnnnn, RollupFix>=BUILD.REV or UBR>=N");
	expect_patch_error("6.1\t7601\tsrv.sys\t*\t6.1.7601.23689\tKB4012212,\tx\n",
			   "t.tsv:1: evidence '' is not KBnnnnnnn, RollupFix>=BUILD.REV or UBR>=N");
	expect_patch_error("6.1\t7601\tsrv.sys\t*\t6.1.7601.23689\tRollupFix>=14393\tx\n",
			   "t.tsv:1: evidence 'RollupFix>=14393' is not KBnnnnnnn, RollupFix>=BUILD.REV or UBR>=N");

	/* A NUL byte and an overlong line, with the length given explicitly. */
	{
		char buf[] = "6.1\t7601\tsrv.sys\t*\t6.1.7601.23689\tKB4012212\tW\0S7\n";
		assert_int_equal(patch_table_parse(buf, sizeof(buf) - 1, "t.tsv", &t, &err), -1);
		assert_string_equal(err.msg, "t.tsv:1: NUL byte in the line");
		char *longline = xmalloc(POSTURE_TABLE_MAX_LINE + 100);
		memset(longline, 'x', POSTURE_TABLE_MAX_LINE + 99);
		longline[POSTURE_TABLE_MAX_LINE + 99] = '\0';
		char *two = xasprintf(ROW "%s\n", longline);
		assert_int_equal(patch_table_parse(two, strlen(two), "t.tsv", &t, &err), -1);
		assert_string_equal(err.msg, "t.tsv:2: line longer than 4096 bytes");
		free(two);
		free(longline);
	}
	/* Row cap. */
	{
		size_t n = POSTURE_TABLE_MAX_ROWS + 1, l = strlen(ROW);
		char *many = xmalloc(n * l + 1);
		for (size_t i = 0; i < n; i++)
			memcpy(many + i * l, ROW, l);
		many[n * l] = '\0';
		assert_int_equal(patch_table_parse(many, n * l, "t.tsv", &t, &err), -1);
		assert_string_equal(err.msg, "t.tsv:10001: more than 10000 rows");
		free(many);
	}
	/* NULL text with a length is no table. */
	assert_int_equal(patch_table_parse(NULL, 5, "t.tsv", &t, &err), -1);
	assert_string_equal(err.msg, "t.tsv: no rows");

	const char *eok = "6.1\t*\tEmbedded*\t*\t-\t2020-10-13\tWES7\thttps://x\n"
			  "5.1\t2600\t*\t*POS*\tposready\t2019-04-09\tPOSReady\tsrc\n";
	assert_int_equal(eol_table_parse(eok, strlen(eok), "e.tsv", &e, &err), 0);
	assert_int_equal(e->n, 2);
	assert_int_equal(e->rows[1].marker, EOL_MARK_POSREADY);
	assert_int_equal(e->rows[0].end_year, 2020);
	eol_table_free(e);
	expect_eol_error("6.1\t*\t*\t*\t-\t2023-02-29\tx\ty\n", "e.tsv:1: end '2023-02-29' is not a date (YYYY-MM-DD)");
	expect_eol_error("6.1\t*\t*\t*\t-\t2024-02-29\tx\ty\n6.1\t*\t*\t*\t-\t2020-13-01\tx\ty\n",
			 "e.tsv:2: end '2020-13-01' is not a date (YYYY-MM-DD)");
	expect_eol_error("6.1\t*\t*\t*\t-\t20-10-2020\tx\ty\n", "e.tsv:1: end '20-10-2020' is not a date (YYYY-MM-DD)");
	expect_eol_error("6.1\t*\t*\t*\tembedded\t2020-10-13\tx\ty\n",
			 "e.tsv:1: marker 'embedded' is not -, embeddednt or posready");
	expect_eol_error("6.1\t*\t*\t*\t-\t2020-10-13\tx\n", "e.tsv:1: expected 8 tab-separated fields, found 7");
	expect_eol_error("6.x\t*\t*\t*\t-\t2020-10-13\tx\ty\n", "e.tsv:1: os '6.x' is not MAJOR.MINOR (e.g. 6.1)");
}

/* Random damage to the shipped tables: each parse either succeeds or
 * fails with a "NAME:..." message; never crashes, never leaks (ASan). */
static void hostile_tables(void **state)
{
	const char *names[] = { "tables/ms17-010.tsv", "tables/eol.tsv" };
	uint64_t seed = 0x5EED0F17u;

	for (size_t k = 0; k < 2; k++) {
		size_t len;
		const char *text = embedded_file(names[k], &len);
		char *copy = xmalloc(len);
		assert_non_null(text);
		for (int round = 0; round < 400; round++) {
			struct ks_err err;
			memcpy(copy, text, len);
			int flips = 1 + (int)(xorshift64(&seed) % 8);
			for (int i = 0; i < flips; i++) {
				size_t at = (size_t)(xorshift64(&seed) % len);
				static const char evil[] = { '\t', '\n', '\0', '-', '*', '.', '9', '#', '\r', (char)0xFF };
				copy[at] = evil[xorshift64(&seed) % sizeof(evil)];
			}
			size_t cut = round % 5 == 0 ? (size_t)(xorshift64(&seed) % len) : len;
			int rc;
			if (k == 0) {
				struct patch_table *t;
				rc = patch_table_parse(copy, cut, names[k], &t, &err);
				patch_table_free(rc == 0 ? t : NULL);
			} else {
				struct eol_table *t;
				rc = eol_table_parse(copy, cut, names[k], &t, &err);
				eol_table_free(rc == 0 ? t : NULL);
			}
			if (rc != 0 && strncmp(err.msg, names[k], strlen(names[k])) != 0)
				fail_msg("error without the table name: '%s'", err);
		}
		free(copy);
	}
}

/* ---- ms17-010 --------------------------------------------------------------- */

static void srv_sys(struct posture_inputs *in, void *data, size_t n)
{
	in->srv_sys.present = true;
	in->srv_sys.data = data;
	in->srv_sys.size = n;
}

static void ms17010_from_the_file_version(void **state)
{
	struct posture_inputs in;
	const struct posture_check *c;
	size_t n;
	struct hive *sys = reg(SELECT CS "Services\\srv]\n\"Start\"=dword:00000003\n");

	wes7(&in);
	in.system = sys;
	void *old = driver("6.1.7601.17514", &n);
	srv_sys(&in, old, n);
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->evidence, "srv.sys 6.1.7601.17514 < 6.1.7601.23689 (tables/ms17-010.tsv:");
	assert_has(c->evidence, "fixed by KB4012212");
	assert_has(c->message, "not fixed");
	free(old);

	void *fixed = driver("6.1.7601.23689", &n);
	srv_sys(&in, fixed, n);
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->evidence, "srv.sys 6.1.7601.23689 >= 6.1.7601.23689");
	assert_has(c->message, "file version");
	free(fixed);

	void *later = driver("6.1.7601.24544", &n);
	srv_sys(&in, later, n);
	assert_state(eval(&in, "ms17-010", NULL), POSTURE_SAFE);
	free(later);

	/* Windows 7 RTM: no fix was ever released. */
	void *rtm = driver("6.1.7600.16385", &n);
	srv_sys(&in, rtm, n);
	in.build = 7600;
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->message, "no MS17-010 fix was ever released");
	assert_has(c->evidence, "srv.sys 6.1.7600.16385 present");
	free(rtm);
	hive_close(sys);
}

static void ms17010_vista_branches(void **state)
{
	static const struct {
		const char *version;
		enum posture_state st;
		const char *want;
	} cases[] = {
		{ "6.0.6002.19742", POSTURE_UNSAFE, "< 6.0.6002.19743" },
		{ "6.0.6002.19743", POSTURE_SAFE, ">= 6.0.6002.19743" },
		{ "6.0.6002.18005", POSTURE_UNSAFE, "GDR branch" },
		{ "6.0.6002.22000", POSTURE_UNSAFE, "< 6.0.6002.24067" },   /* an LDR file older than the LDR fix */
		{ "6.0.6002.24066", POSTURE_UNSAFE, "LDR branch" },
		{ "6.0.6002.24067", POSTURE_SAFE, ">= 6.0.6002.24067" },
		{ "6.0.6003.20500", POSTURE_SAFE, ">= 6.0.6002.24067" },   /* 2019 build 6003 */
	};
	struct posture_inputs in;

	wes7(&in);
	in.major = 6;
	in.minor = 0;
	in.build = 6002;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		void *d = driver(cases[i].version, &n);
		srv_sys(&in, d, n);
		in.build = cases[i].version[7] == '3' ? 6003 : 6002;
		const struct posture_check *c = eval(&in, "ms17-010", NULL);
		assert_state(c, cases[i].st);
		assert_has(c->evidence, cases[i].want);
		free(d);
	}
}

static void ms17010_from_installed_updates(void **state)
{
	struct posture_inputs in;
	const struct posture_check *c;
	const char *pkg = "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing"
			  "\\Packages\\Package_for_KB4012215~31bf3856ad364e35~amd64~~6.1.1.0]\n";
	struct hive *sys = reg(SELECT CS "Services\\srv]\n\"Start\"=dword:00000003\n");
	char *text;
	struct hive *sw;

	wes7(&in);
	in.system = sys;

	/* srv.sys absent: the CBS package decides, and says so. */
	text = xasprintf("%s\"CurrentState\"=dword:00000070\n", pkg);
	in.software = sw = reg(text);
	free(text);
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->message, "installed-update record");
	assert_has(c->evidence, "srv.sys not found");
	assert_has(c->evidence, "CBS package Package_for_KB4012215~31bf3856ad364e35~amd64~~6.1.1.0 CurrentState 0x70 (installed)");

	/* ... but an old srv.sys still wins over the package. */
	size_t n;
	void *old = driver("6.1.7601.17514", &n);
	srv_sys(&in, old, n);
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->evidence, "yet the file was not replaced");
	free(old);
	memset(&in.srv_sys, 0, sizeof(in.srv_sys));
	hive_close(sw);

	/* Superseded by a later rollup: the files moved on, the fix stayed. */
	text = xasprintf("%s\"CurrentState\"=dword:00000050\n", pkg);
	in.software = sw = reg(text);
	free(text);
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->evidence, "0x50 (superseded)");
	hive_close(sw);

	/* Only staged / install pending: not installed, status unknown. */
	text = xasprintf("%s\"CurrentState\"=dword:00000060\n", pkg);
	in.software = sw = reg(text);
	free(text);
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_UNKNOWN);
	assert_has(c->evidence, "0x60 (install pending)");
	hive_close(sw);

	/* A package of another KB, and one with a damaged name. */
	in.software = sw = reg("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based "
			       "Servicing\\Packages\\Package_for_KB9999999~31bf3856ad364e35~amd64~~6.1.1.0]\n"
			       "\"CurrentState\"=dword:00000070\n"
			       "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based "
			       "Servicing\\Packages\\Package_for_KB]\n\"CurrentState\"=dword:00000070\n"
			       "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based "
			       "Servicing\\Packages\\Package_77_for_KB4012212~x]\n\"CurrentState\"=\"seventy\"\n");
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_UNKNOWN);
	assert_has(c->evidence, "Package_77_for_KB4012212~x without a CurrentState");
	hive_close(sw);

	/* XP: hotfixes live under SOFTWARE\Microsoft\Updates. */
	in.major = 5;
	in.minor = 1;
	in.build = 2600;
	in.software = sw = reg("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows XP\\SP4\\KB4012598]\n"
			       "\"Description\"=\"Security Update for Windows XP (KB4012598)\"\n");
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->evidence, "SOFTWARE\\Microsoft\\Updates\\Windows XP\\SP4\\KB4012598 present");
	hive_close(sw);
	in.software = sw = reg("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\HotFix\\KB4012598]\n"
			       "\"Installed\"=dword:00000001\n");
	assert_state(eval(&in, "ms17-010", NULL), POSTURE_SAFE);
	hive_close(sw);

	/* Windows 10 1607: a cumulative update (RollupFix) or the UBR. */
	in.major = 10;
	in.minor = 0;
	in.build = 14393;
	in.software = sw = reg("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based "
			       "Servicing\\Packages\\Package_for_RollupFix~31bf3856ad364e35~amd64~~14393.953.1.6]\n"
			       "\"CurrentState\"=dword:00000070\n");
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->evidence, "Package_for_RollupFix~31bf3856ad364e35~amd64~~14393.953.1.6");
	hive_close(sw);
	in.software = sw = reg("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based "
			       "Servicing\\Packages\\Package_for_RollupFix~31bf3856ad364e35~amd64~~14393.447.1.6]\n"
			       "\"CurrentState\"=dword:00000070\n");
	assert_state(eval(&in, "ms17-010", NULL), POSTURE_UNKNOWN);
	in.has_ubr = true;
	in.ubr = 2906;
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->evidence, "CurrentVersion UBR 2906 (build 14393.2906) >= 953");
	hive_close(sw);
	hive_close(sys);
}

static void ms17010_not_applicable_and_unknown(void **state)
{
	struct posture_inputs in;
	const struct posture_check *c;
	struct hive *sys = reg(SELECT CS "Services\\LanmanServer]\n\"Start\"=dword:00000002\n");

	/* Released with the fix. */
	wes7(&in);
	in.major = 10;
	in.minor = 0;
	for (uint32_t b = 15063; b < 30000; b += 7000) {
		in.build = b;
		c = eval(&in, "ms17-010", NULL);
		assert_state(c, POSTURE_NOT_APPLICABLE);
		assert_has(c->evidence, "tables/ms17-010.tsv:");
	}
	/* No SMBv1 server at all: no srv.sys, no srv service, nothing
	 * depends on it. */
	wes7(&in);
	in.system = sys;
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_NOT_APPLICABLE);
	assert_has(c->evidence, "Services\\srv absent; LanmanServer DependOnService does not list srv");
	/* srv.sys that is no PE, a damaged one, one that cannot be read. */
	char junk[] = "MZ but nothing else of a PE";
	srv_sys(&in, junk, sizeof(junk));
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_UNKNOWN);
	assert_has(c->evidence, "srv.sys");
	char text[] = "just text, no MZ";
	srv_sys(&in, text, sizeof(text));
	assert_has(eval(&in, "ms17-010", NULL)->evidence, "srv.sys is not a PE file (17 bytes)");
	in.srv_sys.data = NULL;
	in.srv_sys.error = "EFS-encrypted";
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_UNKNOWN);
	assert_has(c->evidence, "srv.sys not readable: EFS-encrypted");
	/* A Windows the table does not know. */
	memset(&in.srv_sys, 0, sizeof(in.srv_sys));
	in.major = 7;
	c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_UNKNOWN);
	assert_has(c->message, "has no row for Windows 7.1 build 7601");
	in.major = 6;
	in.build = 0;
	assert_state(eval(&in, "ms17-010", NULL), POSTURE_UNKNOWN);
	hive_close(sys);
}

/* A table of our own: srv2.sys rows are compared like srv.sys ones. */
static void ms17010_custom_table_srv2(void **state)
{
	const char *text = "6.1\t7601\tsrv.sys\t*\t6.1.7601.23689\t-\ta\n6.1\t7601\tsrv2.sys\t*\t6.1.7601.23700\t-\tb\n";
	struct patch_table *t;
	struct posture_inputs in;
	struct ks_err err;
	size_t n1, n2;
	void *a = driver("6.1.7601.23689", &n1), *b = driver("6.1.7601.23690", &n2);

	assert_int_equal(patch_table_parse(text, strlen(text), "mine.tsv", &t, &err), 0);
	wes7(&in);
	in.ms17010 = t;
	srv_sys(&in, a, n1);
	in.srv2_sys.present = true;
	in.srv2_sys.data = b;
	in.srv2_sys.size = n2;
	const struct posture_check *c = eval(&in, "ms17-010", NULL);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->evidence, "srv2.sys 6.1.7601.23690 < 6.1.7601.23700 (mine.tsv:2");
	patch_table_free(t);
	free(a);
	free(b);
}

/* ---- eol-os ------------------------------------------------------------------ */

static const struct posture_check *eol(struct posture_inputs *in, uint32_t major, uint32_t minor, uint32_t build,
				       const char *edition, const char *product)
{
	in->major = major;
	in->minor = minor;
	in->build = build;
	in->edition = edition;
	in->product_name = product;
	return eval(in, "eol-os", NULL);
}

static void eol_dates_per_sku(void **state)
{
	static const struct {
		uint32_t major, minor, build;
		const char *edition, *product, *end;
	} skus[] = {
		{ 6, 1, 7601, "Embedded", "Windows Embedded Standard", "2020-10-13" },
		{ 6, 1, 7601, "Embedded", "Windows Embedded POSReady 7", "2021-10-12" },
		{ 6, 1, 7601, "ThinPC", "Windows Thin PC", "2021-10-12" },
		{ 6, 1, 7601, "Professional", "Windows 7 Professional", "2020-01-14" },
		{ 6, 2, 9200, "Embedded", "Windows Embedded 8 Standard", "2023-07-11" },
		{ 6, 2, 9200, "EmbeddedIndustryE", "Windows Embedded 8 Industry Enterprise", "2016-01-12" },
		{ 6, 3, 9600, "EmbeddedIndustryE", "Windows Embedded 8.1 Industry Enterprise", "2023-07-11" },
		{ 6, 3, 9600, "Professional", "Windows 8.1 Pro", "2023-01-10" },
		{ 10, 0, 10240, "EnterpriseS", "Windows 10 Enterprise 2015 LTSB", "2025-10-14" },
		{ 10, 0, 14393, "EnterpriseS", "Windows 10 Enterprise 2016 LTSB", "2026-10-13" },
		{ 10, 0, 17763, "EnterpriseS", "Windows 10 Enterprise LTSC 2019", "2029-01-09" },
		{ 10, 0, 19044, "IoTEnterpriseS", "Windows 10 IoT Enterprise LTSC", "2032-01-13" },
		{ 10, 0, 19044, "EnterpriseS", "Windows 10 Enterprise LTSC 2021", "2027-01-12" },
		{ 10, 0, 19045, "IoTEnterprise", "Windows 10 IoT Enterprise", "2025-10-14" },
		{ 10, 0, 19044, "Professional", "Windows 10 Pro", "2023-06-13" },
		{ 10, 0, 19044, "Enterprise", "Windows 10 Enterprise", "2024-06-11" },
		{ 10, 0, 26100, "IoTEnterpriseS", "Windows 10 IoT Enterprise LTSC 2024", "2034-10-10" },
		{ 10, 0, 17763, "ServerStandard", "Windows Server 2019 Standard", "2029-01-09" },
		{ 5, 1, 2600, NULL, "Microsoft Windows XP", "2014-04-08" },
	};
	struct posture_inputs in;

	wes7(&in);
	for (size_t i = 0; i < sizeof(skus) / sizeof(skus[0]); i++) {
		const struct posture_check *c = eol(&in, skus[i].major, skus[i].minor, skus[i].build, skus[i].edition,
						    skus[i].product);
		char *want = xasprintf("support ends %s", skus[i].end);
		if (!strstr(c->evidence, want))
			fail_msg("%s (%s): '%s' not in '%s'", skus[i].product, skus[i].edition ? skus[i].edition : "-", want,
				 c->evidence);
		free(want);
	}

	/* XP Embedded and POSReady 2009 are told apart by SYSTEM markers. */
	struct hive *xpe = reg(SELECT CS "Control\\ProductOptions]\n\"ProductType\"=\"WinNT\"\n"
				  "\"ProductSuite\"=multi:\"EmbeddedNT\"\n");
	struct hive *pos = reg(SELECT "[HKEY_LOCAL_MACHINE\\SYSTEM\\WPA\\PosReady]\n\"Installed\"=dword:00000001\n");
	in.system = xpe;
	assert_has(eol(&in, 5, 1, 2600, NULL, "Microsoft Windows XP")->evidence, "support ends 2019-01-08");
	assert_has(P.c[1].evidence, "(marker embeddednt found in SYSTEM)");
	in.system = pos;
	assert_has(eol(&in, 5, 1, 2600, NULL, "Microsoft Windows XP")->evidence, "support ends 2019-04-09");
	hive_close(xpe);
	hive_close(pos);
}

static void eol_before_and_after(void **state)
{
	struct posture_inputs in;
	const struct posture_check *c;

	wes7(&in);
	in.now = day(2020, 10, 13);      /* the last day of support */
	c = eval(&in, "eol-os", NULL);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->message, "supported until 2020-10-13 (0 days after the scan)");
	in.now = day(2020, 10, 14);
	c = eval(&in, "eol-os", NULL);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->message, "ended on 2020-10-13, 1 day before the scan");
	assert_has(c->evidence, "scan date 2020-10-14");
	in.now = day(2019, 1, 1) + 23 * 3600;   /* late in the day: still that day */
	c = eval(&in, "eol-os", NULL);
	assert_state(c, POSTURE_SAFE);
	/* No row; no version. */
	assert_state(eol(&in, 4, 0, 1381, NULL, NULL), POSTURE_UNKNOWN);
	assert_state(eol(&in, 0, 0, 0, NULL, NULL), POSTURE_UNKNOWN);
	/* Build unknown: only rows for any build can match. */
	c = eol(&in, 6, 1, 0, "Embedded", NULL);
	assert_has(c->evidence, "support ends 2020-10-13");
	assert_state(eol(&in, 10, 0, 0, "IoTEnterpriseS", NULL), POSTURE_UNKNOWN);
	/* Hostile identity text is cleaned in the evidence. */
	c = eol(&in, 6, 1, 7601, "Embed\x01" "ded", "Windows\nEmbedded");
	assert_has(c->evidence, "EditionID Embed?ded, ProductName Windows?Embedded");
}

/* The one parser of KENSHU_SCAN_DATE (scandate.h): strict, and a day that
 * does not exist is refused rather than normalised into the next month. */
static void scan_date_parsing(void **state)
{
	struct scan_date d;
	struct ks_err err;

	assert_int_equal(scan_date_parse("2025-06-01", &d, &err), 0);
	assert_string_equal(d.day, "2025-06-01");
	assert_true(d.midnight == day(2025, 6, 1));
	assert_int_equal(scan_date_parse("2024-02-29", &d, &err), 0);
	static const char *const bad[] = { "2025-02-30", "2023-02-29", "2025-6-01", "yesterday", "2025-06-01T00:00",
					   "", "1960-01-01", "2025-13-01", "2025-00-10", "2025-01-00", "+025-01-01",
					   "2025-01-01 " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(scan_date_parse(bad[i], &d, &err), -1);
		assert_has(err.msg, "is not a date (YYYY-MM-DD)");
	}
	/* The default: the UTC day of the scan's start, late in that day too. */
	scan_date_of(day(2031, 3, 4) + 23 * 3600 + 59 * 60, &d);
	assert_string_equal(d.day, "2031-03-04");
	assert_true(d.midnight == day(2031, 3, 4));
}

/* ---- hardening ---------------------------------------------------------------- */

struct hcase {
	const char *system, *software;   /* .reg text below the hive root */
	uint32_t major, minor, build;
	const char *rule, *scope;
	enum posture_state want;
	const char *needle;              /* in message or evidence, or NULL */
};

static void run_cases(const struct hcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hcase *h = &cases[i];
		struct posture_inputs in;
		struct hive *sys = NULL, *sw = NULL;
		char *t;

		wes7(&in);
		if (h->major) {
			in.major = h->major;
			in.minor = h->minor;
			in.build = h->build;
		}
		t = xasprintf(SELECT "%s", h->system ? h->system : "");
		in.system = sys = reg(t);
		free(t);
		in.software = sw = reg(h->software ? h->software : "");
		const struct posture_check *c = eval(&in, h->rule, h->scope);
		if (c->state != h->want)
			fail_msg("case %zu %s %s: %s, expected %s\n  message: %s\n  evidence: %s", i, h->rule,
				 h->scope ? h->scope : "", posture_state_name(c->state), posture_state_name(h->want),
				 c->message, c->evidence);
		if (h->needle && !strstr(c->message, h->needle) && !strstr(c->evidence, h->needle))
			fail_msg("case %zu %s: '%s' in neither '%s' nor '%s'", i, h->rule, h->needle, c->message, c->evidence);
		hive_close(sys);
		hive_close(sw);
	}
}

#define LS CS "Services\\LanmanServer]\n\"Start\"=dword:00000002\n\"DependOnService\"=multi:\"SamSS\",\"Srv\"\n"
#define SRV CS "Services\\srv]\n\"Start\"=dword:00000003\n"

static void smb1(void **state)
{
	static const struct hcase cases[] = {
		{ LS SRV CS "Services\\LanmanServer\\Parameters]\n\"SMB1\"=dword:00000001\n", NULL, 0, 0, 0, "smb1-enabled",
		  "server", POSTURE_UNSAFE, "SMB1 = 1" },
		{ LS SRV CS "Services\\LanmanServer\\Parameters]\n\"SMB1\"=dword:00000000\n", NULL, 0, 0, 0, "smb1-enabled",
		  "server", POSTURE_SAFE, "disabled (SMB1 = 0)" },
		{ LS SRV, NULL, 0, 0, 0, "smb1-enabled", "server", POSTURE_ABSENT_UNSAFE, "enabled by default on Windows 6.1" },
		{ LS SRV CS "Services\\LanmanServer\\Parameters]\n\"SMB1\"=hex:01\n", NULL, 0, 0, 0, "smb1-enabled", "server",
		  POSTURE_UNKNOWN, "is not a number" },
		{ CS "Services\\LanmanServer]\n\"Start\"=dword:00000004\n" SRV, NULL, 0, 0, 0, "smb1-enabled", "server",
		  POSTURE_SAFE, "Server service (LanmanServer) is disabled" },
		/* Windows 10 1709+ with the SMB1 feature removed. */
		{ CS "Services\\LanmanServer]\n\"Start\"=dword:00000002\n\"DependOnService\"=multi:\"SamSS\",\"Srv2\"\n", NULL,
		  10, 0, 19044, "smb1-enabled", "server", POSTURE_SAFE, "not installed" },
		{ LS CS "Services\\srv]\n\"Start\"=dword:00000004\n", NULL, 0, 0, 0, "smb1-enabled", "server", POSTURE_SAFE,
		  "Start = 4" },
		{ LS, NULL, 5, 1, 2600, "smb1-enabled", "server", POSTURE_ABSENT_UNSAFE, "no SMB1 switch" },
		{ "", NULL, 0, 0, 0, "smb1-enabled", "server", POSTURE_SAFE, "file sharing is not installed" },
		{ CS "Services\\mrxsmb10]\n\"Start\"=dword:00000002\n", NULL, 0, 0, 0, "smb1-enabled", "client",
		  POSTURE_UNSAFE, "mrxsmb10 Start = 2" },
		{ CS "Services\\mrxsmb10]\n\"Start\"=dword:00000004\n" CS
		  "Services\\LanmanWorkstation]\n\"DependOnService\"=multi:\"Bowser\",\"MRxSmb20\",\"NSI\"\n",
		  NULL, 0, 0, 0, "smb1-enabled", "client", POSTURE_SAFE, "does not list MRxSmb10" },
		{ CS "Services\\mrxsmb10]\n\"Start\"=dword:00000004\n" CS
		  "Services\\LanmanWorkstation]\n\"DependOnService\"=multi:\"Bowser\",\"MRxSmb10\",\"NSI\"\n",
		  NULL, 0, 0, 0, "smb1-enabled", "client", POSTURE_SAFE, "will not start" },
		{ CS "Services\\mrxsmb10]\n\"Type\"=dword:00000002\n", NULL, 0, 0, 0, "smb1-enabled", "client",
		  POSTURE_ABSENT_UNSAFE, "no Start value" },
		{ "", NULL, 0, 0, 0, "smb1-enabled", "client", POSTURE_SAFE, "not installed" },
		{ CS "Services\\LanmanWorkstation]\n\"Start\"=dword:00000002\n", NULL, 5, 1, 2600, "smb1-enabled", "client",
		  POSTURE_ABSENT_UNSAFE, "speaks only SMBv1" },
		{ CS "Services\\LanmanWorkstation]\n\"Start\"=dword:00000004\n" CS "Services\\mrxsmb10]\n\"Start\"=dword:2\n",
		  NULL, 0, 0, 0, "smb1-enabled", "client", POSTURE_SAFE, "Workstation service" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

#define TS_ON CS "Control\\Terminal Server]\n\"fDenyTSConnections\"=dword:00000000\n"
#define TS_OFF CS "Control\\Terminal Server]\n\"fDenyTSConnections\"=dword:00000001\n"
#define TS_POL "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\n"
#define RDPTCP CS "Control\\Terminal Server\\WinStations\\RDP-Tcp]\n"

static void rdp_and_nla(void **state)
{
	static const struct hcase cases[] = {
		{ TS_ON, NULL, 0, 0, 0, "rdp-enabled", NULL, POSTURE_UNSAFE, "fDenyTSConnections = 0" },
		{ TS_OFF, NULL, 0, 0, 0, "rdp-enabled", NULL, POSTURE_SAFE, "denied" },
		{ CS "Control\\Terminal Server]\n\"TSEnabled\"=dword:00000001\n", NULL, 0, 0, 0, "rdp-enabled", NULL,
		  POSTURE_ABSENT_SAFE, "by default" },
		{ TS_OFF, TS_POL "\"fDenyTSConnections\"=dword:00000000\n", 0, 0, 0, "rdp-enabled", NULL, POSTURE_UNSAFE,
		  "Group Policy" },
		{ TS_ON, TS_POL "\"fDenyTSConnections\"=dword:00000001\n", 0, 0, 0, "rdp-enabled", NULL, POSTURE_SAFE,
		  "denied by Group Policy" },
		{ TS_ON CS "Services\\TermService]\n\"Start\"=dword:00000004\n", NULL, 0, 0, 0, "rdp-enabled", NULL,
		  POSTURE_SAFE, "TermService" },
		{ "", NULL, 0, 0, 0, "rdp-enabled", NULL, POSTURE_SAFE, "not installed" },
		{ TS_ON RDPTCP "\"UserAuthentication\"=dword:00000000\n", NULL, 0, 0, 0, "rdp-no-nla", NULL, POSTURE_UNSAFE,
		  "UserAuthentication = 0" },
		{ TS_ON RDPTCP "\"UserAuthentication\"=dword:00000001\n", NULL, 0, 0, 0, "rdp-no-nla", NULL, POSTURE_SAFE,
		  "requires" },
		{ TS_ON RDPTCP "\"UserAuthentication\"=dword:00000001\n", TS_POL "\"UserAuthentication\"=dword:00000000\n", 0, 0,
		  0, "rdp-no-nla", NULL, POSTURE_UNSAFE, "Group Policy" },
		{ TS_ON RDPTCP "\"PortNumber\"=dword:00000d3d\n", NULL, 0, 0, 0, "rdp-no-nla", NULL, POSTURE_ABSENT_UNSAFE,
		  "Vista/7" },
		{ TS_ON RDPTCP "\"PortNumber\"=dword:00000d3d\n", NULL, 10, 0, 17763, "rdp-no-nla", NULL, POSTURE_ABSENT_SAFE,
		  "Windows 8 and later" },
		{ TS_OFF RDPTCP "\"UserAuthentication\"=dword:00000000\n", NULL, 0, 0, 0, "rdp-no-nla", NULL,
		  POSTURE_NOT_APPLICABLE, "UserAuthentication = 0" },
		{ TS_ON, NULL, 5, 1, 2600, "rdp-no-nla", NULL, POSTURE_ABSENT_UNSAFE, "cannot require" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

#define WL "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]\n"

static void autologon_never_prints_the_password(void **state)
{
	static const struct hcase cases[] = {
		{ NULL, WL "\"AutoAdminLogon\"=\"1\"\n\"DefaultUserName\"=\"operator\"\n\"DefaultPassword\"=\"Hunter2-Sekret!\"\n",
		  0, 0, 0, "autologon-cleartext-password", NULL, POSTURE_UNSAFE, "present (value not shown)" },
		{ NULL, WL "\"AutoAdminLogon\"=\"0\"\n\"DefaultPassword\"=\"\"\n", 0, 0, 0, "autologon-cleartext-password", NULL,
		  POSTURE_UNSAFE, "holds a clear-text" },
		{ NULL, WL "\"AutoAdminLogon\"=\"1\"\n\"DefaultUserName\"=\"operator\"\n", 0, 0, 0,
		  "autologon-cleartext-password", NULL, POSTURE_SAFE, "automatic logon is on" },
		{ NULL, "", 0, 0, 0, "autologon-cleartext-password", NULL, POSTURE_SAFE, "AutoAdminLogon absent" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));

	/* The password appears in no check, in any encoding a hive gives it. */
	struct posture_inputs in;
	wes7(&in);
	in.software = reg(WL "\"AutoAdminLogon\"=\"1\"\n\"DefaultPassword\"=\"Hunter2-Sekret!\"\n");
	posture_release(&P);
	posture_evaluate(&in, &P);
	for (size_t i = 0; i < P.n; i++) {
		assert_null(strstr(P.c[i].message, "Hunter2"));
		assert_null(strstr(P.c[i].evidence, "Hunter2"));
		assert_null(strstr(P.c[i].evidence, "Sekret"));
	}
	hive_close(in.software);
}

#define FWP CS "Services\\SharedAccess\\Parameters\\FirewallPolicy\\"
#define MPS CS "Services\\MpsSvc]\n\"Start\"=dword:00000002\n"
#define FW_POL "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\"

static void firewall(void **state)
{
	static const struct hcase cases[] = {
		{ MPS FWP "PublicProfile]\n\"EnableFirewall\"=dword:00000000\n", NULL, 0, 0, 0, "firewall-disabled", "public",
		  POSTURE_UNSAFE, "EnableFirewall = 0" },
		{ MPS FWP "PublicProfile]\n\"EnableFirewall\"=dword:00000000\n", NULL, 0, 0, 0, "firewall-disabled", "domain",
		  POSTURE_ABSENT_SAFE, "on by default" },
		{ MPS FWP "StandardProfile]\n\"EnableFirewall\"=dword:00000001\n", NULL, 0, 0, 0, "firewall-disabled",
		  "private", POSTURE_SAFE, "is on" },
		{ MPS FWP "DomainProfile]\n\"EnableFirewall\"=dword:00000000\n", FW_POL "DomainProfile]\n\"EnableFirewall\"=dword:1\n",
		  0, 0, 0, "firewall-disabled", "domain", POSTURE_SAFE, "Group Policy turns the domain firewall profile on" },
		{ MPS FWP "StandardProfile]\n\"EnableFirewall\"=dword:00000001\n",
		  FW_POL "PrivateProfile]\n\"EnableFirewall\"=dword:0\n", 0, 0, 0, "firewall-disabled", "private",
		  POSTURE_UNSAFE, "Group Policy" },
		{ MPS, FW_POL "StandardProfile]\n\"EnableFirewall\"=dword:0\n", 0, 0, 0, "firewall-disabled", "private",
		  POSTURE_UNSAFE, "WindowsFirewall\\StandardProfile\\EnableFirewall = 0" },
		{ CS "Services\\MpsSvc]\n\"Start\"=dword:00000004\n", NULL, 0, 0, 0, "firewall-disabled", "private",
		  POSTURE_UNSAFE, "(MpsSvc) is disabled" },
		{ "", NULL, 0, 0, 0, "firewall-disabled", "public", POSTURE_ABSENT_UNSAFE, "no Windows Firewall service" },
		{ CS "Services\\SharedAccess]\n\"Start\"=dword:00000002\n" FWP "StandardProfile]\n\"EnableFirewall\"=dword:0\n",
		  NULL, 5, 1, 2600, "firewall-disabled", "private", POSTURE_UNSAFE, "SharedAccess\\Start = 2" },
		{ CS "Services\\SharedAccess]\n\"Start\"=dword:00000002\n", NULL, 5, 1, 2600, "firewall-disabled", "public",
		  POSTURE_NOT_APPLICABLE, "no public firewall profile" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* The firewall checks of one image, as "scope state" lines in order. */
static char *firewall_checks(const char *system, const char *software, uint32_t major)
{
	struct posture_inputs in;
	struct strbuf b = STRBUF_INIT;
	char *t;

	wes7(&in);
	if (major)
		in.major = major, in.minor = 1, in.build = 2600;
	t = xasprintf(SELECT "%s", system);
	in.system = reg(t);
	free(t);
	in.software = reg(software ? software : "");
	posture_release(&P);
	posture_evaluate(&in, &P);
	for (size_t i = 0; i < P.n; i++)
		if (!strcmp(P.c[i].rule, "firewall-disabled"))
			strbuf_addf(&b, "%s %s|", P.c[i].scope, posture_state_name(P.c[i].state));
	hive_close(in.system);
	hive_close(in.software);
	return strbuf_detach(&b, NULL);
}

/* One fact, one check: profiles in one state for one reason are one check
 * naming them all, never one per profile. */
static void firewall_one_fact_one_check(void **state)
{
	char *got;
	const struct posture_check *c;

	/* No firewall service: one check, the three profiles named. */
	got = firewall_checks("", NULL, 0);
	assert_string_equal(got, "domain,private,public absent-unsafe|");
	free(got);
	c = posture_find(&P, "firewall-disabled", "private");
	assert_non_null(c);
	assert_string_equal(c->message, "there is no Windows Firewall service (MpsSvc): the domain, private and public "
					"profiles filter nothing");
	/* Two profiles off by the same value: one check naming both, the
	 * evidence with each profile's value, the service's once. */
	got = firewall_checks(MPS FWP "DomainProfile]\n\"EnableFirewall\"=dword:1\n\n" FWP
			      "StandardProfile]\n\"EnableFirewall\"=dword:0\n\n" FWP
			      "PublicProfile]\n\"EnableFirewall\"=dword:0\n", NULL, 0);
	assert_string_equal(got, "domain safe|private,public unsafe|");
	free(got);
	c = posture_find(&P, "firewall-disabled", "public");
	assert_string_equal(c->scope, "private,public");
	assert_string_equal(c->message, "the private and public firewall profiles are off (EnableFirewall = 0)");
	assert_has(c->evidence, "StandardProfile\\EnableFirewall = 0");
	assert_has(c->evidence, "PublicProfile\\EnableFirewall = 0");
	assert_null(strstr(c->evidence, "DomainProfile"));
	assert_has(c->evidence, "MpsSvc\\Start = 2");
	assert_null(strstr(strstr(c->evidence, "MpsSvc") + 1, "MpsSvc"));
	/* Off for two reasons (policy, local value): two facts. */
	got = firewall_checks(MPS FWP "PublicProfile]\n\"EnableFirewall\"=dword:0\n",
			      FW_POL "PrivateProfile]\n\"EnableFirewall\"=dword:0\n", 0);
	assert_string_equal(got, "domain absent-safe|private unsafe|public unsafe|");
	free(got);
	assert_string_equal(posture_find(&P, "firewall-disabled", "private")->message,
			    "Group Policy turns the private firewall profile off");
	/* The service disabled: one check for every profile. */
	got = firewall_checks(CS "Services\\MpsSvc]\n\"Start\"=dword:00000004\n", NULL, 0);
	assert_string_equal(got, "domain,private,public unsafe|");
	free(got);
	/* Nothing set: one absent-safe check. */
	got = firewall_checks(MPS, NULL, 0);
	assert_string_equal(got, "domain,private,public absent-safe|");
	free(got);
	/* Windows XP: two profiles, the public one not applicable. */
	got = firewall_checks(CS "Services\\SharedAccess]\n\"Start\"=dword:00000002\n", NULL, 5);
	assert_string_equal(got, "domain,private absent-safe|public not-applicable|");
	free(got);
	/* No SYSTEM hive: one unknown check. */
	struct posture_inputs in;
	memset(&in, 0, sizeof(in));
	posture_release(&P);
	posture_evaluate(&in, &P);
	size_t n = 0;
	for (size_t i = 0; i < P.n; i++)
		n += !strcmp(P.c[i].rule, "firewall-disabled");
	assert_int_equal(n, 1);
	posture_release(&P);
}

#define WD_SVC CS "Services\\WinDefend]\n\"Start\"=dword:00000002\n"

static void defender(void **state)
{
	static const struct hcase cases[] = {
		{ WD_SVC, "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender]\n\"DisableAntiSpyware\"=dword:1\n",
		  0, 0, 0, "defender-disabled", NULL, POSTURE_UNSAFE, "Group Policy turns Defender off" },
		{ WD_SVC, "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection]\n"
			  "\"DisableRealtimeMonitoring\"=dword:1\n",
		  0, 0, 0, "defender-disabled", NULL, POSTURE_UNSAFE, "real-time protection off" },
		{ CS "Services\\WinDefend]\n\"Start\"=dword:00000004\n", "", 0, 0, 0, "defender-disabled", NULL, POSTURE_UNSAFE,
		  "(WinDefend) is disabled" },
		{ WD_SVC, "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows Defender]\n\"DisableAntiSpyware\"=dword:0\n", 0, 0, 0,
		  "defender-disabled", NULL, POSTURE_SAFE, "DisableAntiSpyware = 0" },
		{ WD_SVC, "", 0, 0, 0, "defender-disabled", NULL, POSTURE_ABSENT_SAFE, "by default" },
		{ "", "", 0, 0, 0, "defender-disabled", NULL, POSTURE_NOT_APPLICABLE, "not installed" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

#define EXP_M "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer]\n"
#define EXP_U "[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer]\n"

static void autoplay(void **state)
{
	static const struct hcase cases[] = {
		{ NULL, EXP_M "\"NoDriveTypeAutoRun\"=dword:000000ff\n", 0, 0, 0, "autoplay-enabled", NULL, POSTURE_SAFE,
		  "NoDriveTypeAutoRun = 0xFF" },
		{ NULL, EXP_M "\"NoDriveTypeAutoRun\"=dword:00000091\n", 0, 0, 0, "autoplay-enabled", NULL, POSTURE_UNSAFE,
		  "AutoRun left on for: removable, CD/DVD, fixed, RAM disk" },
		{ NULL, EXP_M "\"NoDriveTypeAutoRun\"=dword:00000091\n\"NoAutorun\"=dword:1\n", 0, 0, 0, "autoplay-enabled",
		  NULL, POSTURE_SAFE, "NoAutorun = 1" },
		{ NULL, "", 0, 0, 0, "autoplay-enabled", NULL, POSTURE_ABSENT_SAFE, "Windows 7 and later" },
		{ NULL, "", 5, 1, 2600, "autoplay-enabled", NULL, POSTURE_ABSENT_UNSAFE, "XP/Vista" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));

	/* Per user, machine value absent. */
	struct posture_inputs in;
	struct posture_user_hive users[3];
	wes7(&in);
	in.software = reg("");
	users[0].user = "operator";
	users[0].ntuser = reg(EXP_U "\"NoDriveTypeAutoRun\"=dword:000000ff\n");
	users[1].user = "service";
	users[1].ntuser = reg(EXP_U "\"NoDriveTypeAutoRun\"=dword:00000095\n");
	users[2].user = "broken";
	users[2].ntuser = NULL;
	in.users = users;
	in.nusers = 2;
	const struct posture_check *c = eval(&in, "autoplay-enabled", NULL);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->message, "the policy of service");
	assert_has(c->evidence, "NTUSER.DAT of service\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer: "
				"NoDriveTypeAutoRun = 0x95");
	in.nusers = 1;
	assert_state(eval(&in, "autoplay-enabled", NULL), POSTURE_SAFE);
	hive_close(users[1].ntuser);
	users[1] = users[2];
	in.nusers = 2;
	c = eval(&in, "autoplay-enabled", NULL);
	assert_state(c, POSTURE_ABSENT_SAFE);
	assert_has(c->evidence, "NTUSER.DAT of broken not readable");
	hive_close(in.software);
	hive_close(users[0].ntuser);
}

/* A SAM F value: 80 bytes, RID at 0x30, ACB flags at 0x38. */
static char *sam_reg(uint32_t rid, uint16_t acb, size_t size)
{
	uint8_t f[80] = { 0 };
	char *hex = xcalloc(1, size * 3 + 1), *out;

	f[0] = 2;
	set32(f + 0x30, rid);
	set16(f + 0x38, acb);
	for (size_t i = 0; i < size; i++)
		snprintf(hex + i * 3, 4, "%02x%s", i < sizeof(f) ? f[i] : 0xAA, i + 1 < size ? "," : "");
	out = xasprintf("[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\000001F5]\n\"F\"=hex:%s\n"
			"\"V\"=hex:00\n", hex);
	free(hex);
	return out;
}

static void guest(void **state)
{
	static const struct {
		uint32_t rid;
		uint16_t acb;
		size_t size;
		enum posture_state want;
		const char *needle;
	} cases[] = {
		{ 0x1F5, 0x0215, 80, POSTURE_SAFE, "flags 0x0215, disabled bit set" },
		{ 0x1F5, 0x0214, 80, POSTURE_UNSAFE, "the Guest account is enabled" },
		{ 0x1F4, 0x0214, 80, POSTURE_UNSAFE, "RID 500, not 501: RID hijacking?" },
		{ 0x1F5, 0x0215, 58, POSTURE_SAFE, "(58 bytes)" },
		{ 0x1F5, 0x0215, 57, POSTURE_UNKNOWN, "is 57 bytes" },
		{ 0x1F5, 0x0215, 1, POSTURE_UNKNOWN, "is 1 byte," },
	};
	struct posture_inputs in;

	wes7(&in);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = sam_reg(cases[i].rid, cases[i].acb, cases[i].size);
		in.sam = reg(t);
		free(t);
		const struct posture_check *c = eval(&in, "guest-enabled", NULL);
		assert_state(c, cases[i].want);
		if (!strstr(c->message, cases[i].needle))
			assert_has(c->evidence, cases[i].needle);
		hive_close(in.sam);
	}
	/* Garbage F values of every length up to 200 bytes: no crash. */
	uint64_t seed = 42;
	for (size_t size = 0; size < 200; size += 13) {
		char *hex = xcalloc(1, size * 3 + 1);
		for (size_t i = 0; i < size; i++)
			snprintf(hex + i * 3, 4, "%02x%s", (unsigned)(xorshift64(&seed) & 0xFF), i + 1 < size ? "," : "");
		char *t = xasprintf("[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\000001F5]\n\"F\"=hex:%s\n", hex);
		in.sam = reg(t);
		const struct posture_check *c = eval(&in, "guest-enabled", NULL);
		assert_true(c->state == POSTURE_SAFE || c->state == POSTURE_UNSAFE || c->state == POSTURE_UNKNOWN);
		assert_true(size >= 58 || c->state == POSTURE_UNKNOWN);
		hive_close(in.sam);
		free(t);
		free(hex);
	}
	/* F as a string, no Guest key, no Users key, no SAM. */
	in.sam = reg("[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\000001F5]\n\"F\"=\"not binary\"\n");
	assert_state(eval(&in, "guest-enabled", NULL), POSTURE_UNKNOWN);
	hive_close(in.sam);
	in.sam = reg("[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\000001F4]\n\"F\"=hex:00\n");
	assert_state(eval(&in, "guest-enabled", NULL), POSTURE_SAFE);
	hive_close(in.sam);
	in.sam = reg("[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains]\n");
	assert_state(eval(&in, "guest-enabled", NULL), POSTURE_UNKNOWN);
	hive_close(in.sam);
	in.sam = NULL;
	in.sam_error = "no SAM hive at /Windows/System32/config/SAM";
	assert_has(eval(&in, "guest-enabled", NULL)->evidence, "no SAM hive at");

	/* From the parsed accounts when there are some (sam.c), the raw F
	 * value only when they cannot tell. */
	struct sam_account acc[2] = {
		{ .rid = 500, .name = (char *)"Administrator", .has_f = true, .acb = 0x0210 },
		{ .rid = 501, .name = (char *)"Gast", .has_f = true, .acb = 0x0214 },
	};
	struct sam_accounts list = { .v = acc, .n = 2 };
	in.accounts = &list;
	const struct posture_check *c = eval(&in, "guest-enabled", NULL);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->evidence, "account 'Gast', account control flags 0x0214, disabled bit clear");
	acc[1].acb = 0x0215;
	assert_state(eval(&in, "guest-enabled", NULL), POSTURE_SAFE);
	acc[1].note = (char *)"F: F names RID 500, the key 501 (RID hijacking?)";
	c = eval(&in, "guest-enabled", NULL);
	assert_has(c->message, "carries another account's RID");
	acc[1].note = NULL;
	list.n = 1;   /* no RID 501 */
	assert_state(eval(&in, "guest-enabled", NULL), POSTURE_SAFE);
	list.n = 2;
	acc[1].has_f = false;   /* F unreadable: the old way, here without a SAM */
	assert_state(eval(&in, "guest-enabled", NULL), POSTURE_UNKNOWN);
	in.accounts = NULL;
}

static const struct posture_check *hosts(struct posture_inputs *in, const char *text, size_t n)
{
	in->hosts.present = true;
	in->hosts.data = text;
	in->hosts.size = n;
	in->hosts.error = NULL;
	return eval(in, "hosts-tampered", NULL);
}

static void hosts_file(void **state)
{
	struct posture_inputs in;
	const struct posture_check *c;
	static const char clean[] = "\xEF\xBB\xBF# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n"
				    "#      102.54.94.97     rhino.acme.com          # source server\r\n"
				    "127.0.0.1       localhost\r\n::1             localhost   # IPv6\r\n"
				    "\t127.0.0.1\tLOCALHOST\t\r\n\r\n   \r\n#::1 evil.example";
	static const char tampered[] = "127.0.0.1 localhost\n"
				       "10.1.2.3 update.microsoft.com windowsupdate.com go.microsoft.com # redirect\n"
				       "0.0.0.0\tdefinitionupdates.microsoft.com\r\n"
				       "fe80::1%eth0 evil6.example\n"
				       "127.0.0.1 not-localhost\n"
				       "192.168.1.1\n"
				       "::1 localhost evil-alias\n";

	wes7(&in);
	c = hosts(&in, clean, sizeof(clean) - 1);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->evidence, "3 entries, 0 other than localhost");
	c = hosts(&in, tampered, sizeof(tampered) - 1);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->message, "maps 6 entries other than localhost");
	assert_has(c->evidence, "10.1.2.3 update.microsoft.com (+2 names); 0.0.0.0 definitionupdates.microsoft.com; "
				"fe80::1%eth0 evil6.example; 127.0.0.1 not-localhost; 192.168.1.1; ::1 localhost (+1 name)");
	c = hosts(&in, "# nothing here\n", 15);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->message, "holds no entries");
	c = hosts(&in, "", 0);
	assert_state(c, POSTURE_SAFE);

	/* Binary junk with NULs and high bytes: cleaned, bounded. */
	char junk[300];
	uint64_t seed = 7;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(xorshift64(&seed) & 0xFF);
	c = hosts(&in, junk, sizeof(junk));
	assert_state(c, POSTURE_UNSAFE);
	for (const char *p = c->evidence; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7F);

	/* A huge hosts file: 200,000 block-list entries, evidence stays short. */
	size_t cap = 200000 * 40, n = 0;
	char *big = xmalloc(cap);
	n += (size_t)snprintf(big, cap, "127.0.0.1 localhost\r\n");
	for (unsigned i = 0; i < 200000; i++)
		n += (size_t)snprintf(big + n, cap - n, "0.0.0.0 ads%u.example.com\r\n", i);
	c = hosts(&in, big, n);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->message, "maps 200000 entries other than localhost");
	assert_has(c->evidence, "0.0.0.0 ads9.example.com; and 199990 more");
	assert_true(strlen(c->evidence) < 4200);
	/* A line longer than anything the evidence shows. */
	memset(big, 'a', 100000);
	memcpy(big, "6.6.6.6 ", 8);
	c = hosts(&in, big, 100000);
	assert_state(c, POSTURE_UNSAFE);
	assert_true(strlen(c->evidence) < 1000);
	free(big);

	/* Absent, unreadable, moved by DataBasePath. */
	in.hosts.present = false;
	in.hosts.data = NULL;
	c = eval(&in, "hosts-tampered", NULL);
	assert_state(c, POSTURE_SAFE);
	assert_has(c->evidence, "/Windows/System32/drivers/etc/hosts absent");
	in.hosts.present = true;
	in.hosts.error = "larger than 33554432 bytes";
	c = eval(&in, "hosts-tampered", NULL);
	assert_state(c, POSTURE_UNKNOWN);
	assert_has(c->evidence, "not readable: larger than");
	in.system = reg(SELECT CS "Services\\Tcpip\\Parameters]\n\"DataBasePath\"=expand:\"C:\\\\Vendor\\\\etc\"\n");
	c = hosts(&in, clean, sizeof(clean) - 1);
	assert_state(c, POSTURE_UNSAFE);
	assert_has(c->evidence, "DataBasePath = C:\\Vendor\\etc");
	hive_close(in.system);
	in.system = reg(SELECT CS "Services\\Tcpip\\Parameters]\n\"DataBasePath\"=expand:\"%SystemRoot%\\\\System32\\\\drivers\\\\etc\"\n");
	assert_state(hosts(&in, clean, sizeof(clean) - 1), POSTURE_SAFE);
	hive_close(in.system);
}

/* DataBasePath is a path like any other: the default folder written
 * another way (a Wine prefix writes C:\windows\system32\drivers\etc) is
 * not a redirection; a folder elsewhere still is, and the tampered file is
 * judged wherever the value puts it. */
static void hosts_database_path(void **state)
{
	static const struct {
		const char *reg_value;   /* .reg escaping */
		const char *system_root;
		enum posture_state st;
		const char *evidence;    /* in the evidence, or NULL */
	} cases[] = {
		{ "\"C:\\\\windows\\\\system32\\\\drivers\\\\etc\"", NULL, POSTURE_SAFE, NULL },
		{ "expand:\"%SystemRoot%\\\\System32\\\\drivers\\\\etc\"", NULL, POSTURE_SAFE, NULL },
		{ "expand:\"%systemroot%\\\\system32\\\\DRIVERS\\\\ETC\\\\\"", NULL, POSTURE_SAFE, NULL },
		{ "\"\\\\??\\\\C:\\\\Windows\\\\System32\\\\drivers\\\\etc\"", NULL, POSTURE_SAFE, NULL },
		{ "\"c:/WINDOWS/system32/drivers/etc//\"", NULL, POSTURE_SAFE, NULL },
		{ "expand:\"%windir%\\\\System32\\\\drivers\\\\etc\"", "/WINNT", POSTURE_SAFE, NULL },
		{ "\"C:\\\\Vendor\\\\etc\"", NULL, POSTURE_UNSAFE,
		  "DataBasePath = C:\\Vendor\\etc (/Vendor/etc in the volume, not /Windows/System32/drivers/etc)" },
		/* Another system root: C:\Windows is not where this installation lives. */
		{ "\"C:\\\\Windows\\\\System32\\\\drivers\\\\etc\"", "/WINNT", POSTURE_UNSAFE,
		  "not /WINNT/System32/drivers/etc" },
		{ "\"D:\\\\Windows\\\\System32\\\\drivers\\\\etc\"", NULL, POSTURE_UNSAFE, "(outside the volume)" },
		{ "\"\\\\\\\\server\\\\share\\\\etc\"", NULL, POSTURE_UNSAFE, "(outside the volume)" },
		{ "expand:\"%SystemRoot%\\\\System32\\\\drivers\\\\etc\\\\..\\\\..\\\\etc\"", NULL, POSTURE_UNSAFE,
		  "/Windows/System32/etc in the volume" },
	};
	static const char clean[] = "127.0.0.1 localhost\n";
	static const char tampered[] = "10.1.2.3 update.microsoft.com\n";
	struct posture_inputs in;
	const struct posture_check *c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = xasprintf(SELECT CS "Services\\Tcpip\\Parameters]\n\"DataBasePath\"=%s\n", cases[i].reg_value);

		wes7(&in);
		in.system_root = cases[i].system_root;
		in.system = reg(text);
		c = hosts(&in, clean, sizeof(clean) - 1);
		if (c->state != cases[i].st)
			fail_msg("case %zu (%s): %s, expected %s: %s", i, cases[i].reg_value, posture_state_name(c->state),
				 posture_state_name(cases[i].st), c->evidence);
		if (cases[i].evidence)
			assert_has(c->evidence, cases[i].evidence);
		else
			assert_null(strstr(c->evidence, "DataBasePath"));
		/* The default folder does not excuse a tampered file. */
		c = hosts(&in, tampered, sizeof(tampered) - 1);
		assert_state(c, POSTURE_UNSAFE);
		assert_has(c->message, "maps 1 entry other than localhost");
		hive_close(in.system);
		free(text);
	}
}

static void write_filter(void **state)
{
	static const struct hcase cases[] = {
		{ CS "Services\\ewf]\n\"Start\"=dword:00000000\n" CS "Services\\ewf\\Parameters\\Protected\\Volume0]\n"
		  "\"Type\"=dword:00000001\n\"Enabled\"=dword:00000001\n\"ArcName\"=\"multi(0)disk(0)rdisk(0)partition(2)\"\n"
		  CS "Control\\Class\\{71A27CDD-812A-11D0-BEC7-08002BE2092F}]\n\"UpperFilters\"=multi:\"PartMgr\",\"ewf\"\n",
		  NULL, 0, 0, 0, "write-filter", NULL, POSTURE_INFO,
		  "EWF installed and loaded at boot (Start 0), in the volume filter chain, 1 protected volume configured" },
		{ CS "Services\\ewf]\n\"Start\"=dword:00000000\n" CS "Services\\ewf\\Parameters\\Protected\\Volume0]\n"
		  "\"Type\"=dword:00000001\n\"Enabled\"=dword:00000001\n\"ArcName\"=\"multi(0)disk(0)rdisk(0)partition(2)\"\n",
		  NULL, 0, 0, 0, "write-filter", NULL, POSTURE_INFO,
		  "Volume0: Type = 1 (RAM) Enabled = 1 ArcName = multi(0)disk(0)rdisk(0)partition(2)" },
		{ CS "Services\\ewf]\n\"Start\"=dword:00000004\n", NULL, 0, 0, 0, "write-filter", NULL, POSTURE_INFO,
		  "EWF installed, not loaded at boot (Start 4)" },
		{ CS "Services\\uwfvol]\n\"Start\"=dword:00000000\n" CS "Services\\uwfvol\\Parameters\\Dynamic]\n"
		  "\"HormEnabled\"=dword:0\n", NULL, 10, 0, 17763, "write-filter", NULL, POSTURE_INFO,
		  "UWF installed and loaded at boot" },
		{ CS "Services\\FBWF]\n\"Start\"=dword:00000001\n", NULL, 0, 0, 0, "write-filter", NULL, POSTURE_INFO, "FBWF" },
		{ "", NULL, 0, 0, 0, "write-filter", NULL, POSTURE_INFO, "no write filter" },
	};
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* A damaged SYSTEM: no Select, a control set that does not exist. */
static void system_without_control_set(void **state)
{
	struct posture_inputs in;

	wes7(&in);
	in.system = reg("[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services]\n");
	in.control_set = 0;
	assert_state(eval(&in, "smb1-enabled", "server"), POSTURE_UNKNOWN);
	assert_has(P.c[2].evidence, "no Select\\Current");
	assert_state(eval(&in, "write-filter", NULL), POSTURE_UNKNOWN);
	in.control_set = 7;   /* ControlSet007 absent: every key absent */
	assert_state(eval(&in, "smb1-enabled", "server"), POSTURE_SAFE);
	hive_close(in.system);
	in.system = NULL;
	in.system_error = "SYSTEM hive not readable: damaged";
	assert_has(eval(&in, "rdp-enabled", NULL)->evidence, "SYSTEM hive not readable: damaged");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_check_once_and_unknown_without_hives),
		cmocka_unit_test(shipped_tables_parse_and_are_consistent),
		cmocka_unit_test(table_errors_name_the_line),
		cmocka_unit_test(hostile_tables),
		cmocka_unit_test(ms17010_from_the_file_version),
		cmocka_unit_test(ms17010_vista_branches),
		cmocka_unit_test(ms17010_from_installed_updates),
		cmocka_unit_test(ms17010_not_applicable_and_unknown),
		cmocka_unit_test(ms17010_custom_table_srv2),
		cmocka_unit_test(eol_dates_per_sku),
		cmocka_unit_test(eol_before_and_after),
		cmocka_unit_test(scan_date_parsing),
		cmocka_unit_test(smb1),
		cmocka_unit_test(rdp_and_nla),
		cmocka_unit_test(autologon_never_prints_the_password),
		cmocka_unit_test(firewall),
		cmocka_unit_test(firewall_one_fact_one_check),
		cmocka_unit_test(defender),
		cmocka_unit_test(autoplay),
		cmocka_unit_test(guest),
		cmocka_unit_test(hosts_file),
		cmocka_unit_test(hosts_database_path),
		cmocka_unit_test(write_filter),
		cmocka_unit_test(system_without_control_set),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	posture_release(&P);
	return rc;
}
