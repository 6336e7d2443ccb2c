/* The SAM parser. An input that is a hive (regf) is read as both halves
 * of the pair the windows stage reads: the boot key from its Lsa class
 * names, then every account with it (hashes decrypted with what the hive
 * says). Any other input is one value given to each byte-level parser in
 * turn: a user F record, a V record (and the NT hash entry it points at,
 * judged with a fixed key), the Account F value's hashed boot key, a hash
 * entry of its own, and an alias C value. Property: an account always has
 * a name, and a judgement is one of the four. */
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

static const uint8_t key[16] = { 0x3a, 0x7e, 0x0c, 0x55, 0x91, 0xd2, 0x4b, 0x8f,
				 0xa6, 0xe1, 0xc0, 0x7d, 0x2b, 0x9f, 0x4e, 0x68 };

static void check(enum sam_password p)
{
	if (p != SAM_PW_UNKNOWN && p != SAM_PW_NONE && p != SAM_PW_EMPTY && p != SAM_PW_SET)
		abort();
}

static void as_hive(const uint8_t *data, size_t size)
{
	struct hive *h;
	struct hive_health hh;
	struct sam_accounts a;
	struct ks_err err;
	uint8_t boot[16];
	int have;

	if (hive_open_mem(data, size, &h, &hh) < 0)
		return;
	have = sam_boot_key(h, 1, boot, &err) == 0;
	if (sam_read(h, have ? boot : key, &a, &err) == 0) {
		for (size_t i = 0; i < a.n; i++) {
			if (!a.v[i].name || (i && a.v[i - 1].rid >= a.v[i].rid))
				abort();
			check(a.v[i].password);
		}
		(void)sam_find(&a, 501);
		sam_accounts_release(&a);
	}
	hive_close(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sam_account a = { .rid = 1001 };
	struct ks_err err;
	const uint8_t *nt;
	size_t ntlen;
	uint8_t hbk[16];
	uint32_t *rids;

	if (size >= 4 && !memcmp(data, "regf", 4)) {
		as_hive(data, size);
		return 0;
	}
	(void)sam_parse_f(data, size, &a, &err);
	a.name = xstrdup("(RID 1001)");
	if (sam_parse_v(data, size, &a, &nt, &ntlen, &err) == 0) {
		if (ntlen && (nt < data || nt + ntlen > data + size))
			abort();
		check(sam_nt_password(nt, ntlen, a.rid, key));
	}
	free(a.name);
	free(a.full_name);
	free(a.comment);
	(void)sam_hashed_boot_key(data, size, key, hbk, &err);
	check(sam_nt_password(data, size, 500, key));
	long k = sam_alias_members(data, size, NULL, &rids, &err);
	if (k > 0 && (size_t)k > size / 12)
		abort();
	free(rids);
	return 0;
}
