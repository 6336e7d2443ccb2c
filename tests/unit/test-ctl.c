/* Unit tests for ctl_parse: catalogs written at test time by
 * tests/tools/mkcat (version 1 and 2 subject identifiers, tampered),
 * hand-made trust lists for each rule of the parser, hostile input (every
 * prefix, lying lengths, wrong tags, a fixed-seed mutation run), and the
 * shipped anchors: profiles/trust/authroot.stl parsed here must give, for
 * every certificate of profiles/trust/microsoft-root-program.pem, the
 * same SHA-1, EKUs and dates its comment lines state. Everything is parsed
 * from exact-size heap copies, so a read past the end trips the
 * sanitizer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>

#include "bytes.h"
#include "testcert.h"

static char dir[] = "/tmp/kenshu-test-ctl.XXXXXX";
static const char *argv0;

#define DXCORE "06fa542ca0a1626e11e99e79896c9eaa79b5cfc3f9ad0ac8b84d4b2e8c5a292c"
#define INF "b1e795b69b4c2a901a8bc8e8b36e988c6c05d836"

static int setup(void **state)
{
	EVP_PKEY *ca_key = tc_key(), *key = tc_key();
	X509 *ca = tc_cert(ca_key, "Test Root CA", "Kenshu Test", NULL, NULL, NULL, 1, time(NULL) - 86400, 3650, 1);
	X509 *leaf = tc_cert(key, "Example Press Machinery KK", "Example Press Machinery KK", ca, ca_key, "codeSigning",
			     0, time(NULL) - 86400, 3650, 2);
	char *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	p = xasprintf("%s/leaf.key", dir);
	tc_write_pem(p, NULL, key);
	free(p);
	p = xasprintf("%s/leaf.pem", dir);
	tc_write_pem(p, leaf, NULL);
	free(p);
	p = xasprintf("%s/ca.pem", dir);
	tc_write_pem(p, ca, NULL);
	free(p);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* Runs mkcat with ARGS (members and options) and returns the catalog. */
static unsigned char *mkcat(const char *args, size_t *len)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char *out = xasprintf("%s/out.cat", dir);
	char *cmd = xasprintf("'%s/mkcat' -key '%s/leaf.key' -cert '%s/leaf.pem' -chain '%s/ca.pem' -time 1700000000 "
			      "-out '%s' %s",
			      tools ? tools : "build/tools", dir, dir, dir, out, args);
	unsigned char *p;

	assert_int_equal(system(cmd), 0);
	p = tc_read_file(out, len);
	assert_non_null(p);
	free(cmd);
	free(out);
	return p;
}

static void hex_is(const struct ctl_member *m, const char *hex)
{
	char got[65];

	assert_int_equal(m->digest_len * 2, strlen(hex));
	for (size_t i = 0; i < m->digest_len; i++)
		snprintf(got + 2 * i, 3, "%02x", m->digest[i]);
	assert_string_equal(got, hex);
}

static int parse_copy(const void *p, size_t n, struct ctl *c, struct ks_err *err)
{
	void *copy = xmalloc(n ? n : 1);
	int rc;

	memcpy(copy, p, n);
	rc = ctl_parse(copy, n, "t.cat", c, err);
	free(copy);
	return rc;
}

static void check_two_members(const char *opts)
{
	char *args = xasprintf("%s pe:sha256:" DXCORE ":DXCore.dll flat:sha1:" INF ":amdacpbtscoext.inf", opts);
	size_t n;
	unsigned char *cat = mkcat(args, &n);
	struct ctl c;
	struct ks_err err = { 0 };

	assert_int_equal(parse_copy(cat, n, &c, &err), 0);
	assert_string_equal(c.usage, "1.3.6.1.4.1.311.12.1.1");
	assert_non_null(c.list_id);
	assert_int_equal(strlen(c.list_id), 32);
	assert_int_equal(c.this_update, 1700000000);
	assert_null(c.props);
	assert_int_equal(c.nmembers, 2);
	hex_is(&c.members[0], DXCORE);
	assert_true(c.members[0].pe);
	assert_string_equal(c.members[0].file_name, "DXCore.dll");
	hex_is(&c.members[1], INF);
	assert_false(c.members[1].pe);
	assert_string_equal(c.members[1].file_name, "amdacpbtscoext.inf");
	ctl_release(&c);
	free(cat);
	free(args);
}

static void test_mkcat_v1(void **state)
{
	(void)state;
	check_two_members("");
}

static void test_mkcat_v2(void **state)
{
	(void)state;
	check_two_members("-v2");
}

static void test_mkcat_tampered(void **state)
{
	size_t n;
	unsigned char *cat = mkcat("-tamper pe:sha256:" DXCORE ":DXCore.dll", &n);
	struct ctl c;
	struct ks_err err = { 0 };

	(void)state;
	assert_int_equal(parse_copy(cat, n, &c, &err), 0);
	assert_int_equal(c.nmembers, 1);
	hex_is(&c.members[0], "07fa542ca0a1626e11e99e79896c9eaa79b5cfc3f9ad0ac8b84d4b2e8c5a292c");
	ctl_release(&c);
	free(cat);
}

/* Every cut of a catalog fails cleanly (the outer length promises more);
 * the whole parses. */
static void test_prefixes(void **state)
{
	size_t n;
	unsigned char *cat = mkcat("-v2 pe:sha256:" DXCORE ":a.dll flat:sha1:" INF ":b.inf", &n);
	struct ctl c;
	struct ks_err err = { 0 };

	(void)state;
	for (size_t len = 0; len < n; len++) {
		assert_int_equal(parse_copy(cat, len, &c, &err), -1);
		assert_int_equal(err.code, KS_EINPUT);
		assert_null(c.members);
	}
	assert_int_equal(parse_copy(cat, n, &c, &err), 0);
	ctl_release(&c);
	free(cat);
}

/* Random byte changes: parse or fail, never crash or leak; a parse never
 * yields more members than the input could hold. */
static void test_mutations(void **state)
{
	size_t n;
	unsigned char *cat = mkcat("pe:sha256:" DXCORE ":a.dll flat:sha1:" INF ":b.inf pe:sha1:" INF ":c.exe", &n);
	unsigned char *m = xmalloc(n);
	uint64_t rnd = 0x5eed;
	unsigned ok = 0;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct ctl c;
		struct ks_err err = { 0 };

		memcpy(m, cat, n);
		for (int k = 0; k < 1 + (int)(xorshift64(&rnd) % 4); k++)
			m[xorshift64(&rnd) % n] = (unsigned char)xorshift64(&rnd);
		if (parse_copy(m, n, &c, &err) == 0) {
			ok++;
			assert_true(c.nmembers <= n / 2);
			for (size_t i = 0; i < c.nmembers; i++)
				assert_true(c.members[i].digest_len == 20 || c.members[i].digest_len == 32);
			ctl_release(&c);
		} else {
			assert_int_equal(err.code, KS_EINPUT);
		}
	}
	assert_true(ok > 0);
	free(m);
	free(cat);
}

/* ---- hand-made lists ---- */

static struct der_bs usage_catalog(void)
{
	return d_con(0x30, 1, D_OID(D_MS "\x0c\x01\x01"));
}

static struct der_bs this_update(void)
{
	return d_tlv(0x17, D_RAW("231114221320Z"));
}

static struct der_bs member_alg(void)
{
	return d_con(0x30, 2, D_OID(D_MS "\x0c\x01\x02"), D_RAW("\x05\x00"));
}

/* A list with the given subjects (a SEQUENCE OF's content). */
static int parse_list(struct der_bs subjects, struct ctl *c, struct ks_err *err)
{
	struct der_bs p7 = d_pkcs7_ctl(d_con(0x30, 4, usage_catalog(), this_update(), member_alg(), d_tlv(0x30, subjects)));
	int rc = parse_copy(p7.p, p7.n, c, err);

	free(p7.p);
	return rc;
}

/* "3D70...FD" in UTF-16LE with a NUL, as catfiletest.cat writes it. */
static struct der_bs utf16_hex_id(const char *hex, bool nul)
{
	struct der_bs b = { NULL, 0 };

	for (const char *s = hex; *s; s++) {
		unsigned char u[2] = { (unsigned char)*s, 0 };

		d_cat(&b, d_raw(u, 2));
	}
	if (nul)
		d_cat(&b, D_RAW("\x00\x00"));
	return d_tlv(0x04, b);
}

static void test_minimal_and_empty(void **state)
{
	struct ctl c;
	struct ks_err err = { 0 };
	struct der_bs p7 = d_pkcs7_ctl(d_con(0x30, 3, usage_catalog(), this_update(), member_alg()));

	(void)state;
	assert_int_equal(parse_copy(p7.p, p7.n, &c, &err), 0);
	assert_int_equal(c.nmembers, 0);
	assert_null(c.list_id);
	assert_int_equal(c.this_update, 1700000000);
	ctl_release(&c);
	free(p7.p);
	/* version and a GeneralizedTime */
	p7 = d_pkcs7_ctl(d_con(0x30, 4, d_tlv(0x02, D_RAW("\x01")), usage_catalog(),
			       d_tlv(0x18, D_RAW("20231114221320Z")), member_alg()));
	assert_int_equal(parse_copy(p7.p, p7.n, &c, &err), 0);
	assert_int_equal(c.this_update, 1700000000);
	ctl_release(&c);
	free(p7.p);
}

static const unsigned char zero48[48];

static void test_subject_identifiers(void **state)
{
	struct ctl c;
	struct ks_err err = { 0 };

	(void)state;
	/* upper- and lower-case hex, with and without the NUL */
	assert_int_equal(parse_list(d_list(2, d_con(0x30, 1, utf16_hex_id("B1E795B69B4C2A901A8BC8E8B36E988C6C05D836", true)),
					       d_con(0x30, 1, utf16_hex_id(DXCORE, false))),
				    &c, &err),
			 0);
	assert_int_equal(c.nmembers, 2);
	hex_is(&c.members[0], INF);
	hex_is(&c.members[1], DXCORE);
	assert_null(c.members[0].file_name);
	ctl_release(&c);
	/* not hex, odd length, 48 raw bytes (SHA-384), 39 digits: left out */
	assert_int_equal(parse_list(d_list(4, d_con(0x30, 1, utf16_hex_id("ZZE795B69B4C2A901A8BC8E8B36E988C6C05D836", true)),
					       d_con(0x30, 1, D_OCT("\x01\x02\x03")),
					       d_con(0x30, 1, d_tlv(0x04, d_raw(zero48, 48))),
					       d_con(0x30, 1, utf16_hex_id("B1E795B69B4C2A901A8BC8E8B36E988C6C05D83", true))),
				    &c, &err),
			 0);
	assert_int_equal(c.nmembers, 0);
	ctl_release(&c);
}

static struct der_bs attribute(struct der_bs type, struct der_bs value)
{
	return d_con(0x30, 2, type, d_con(0x31, 1, value));
}

static struct der_bs sha256_alg(void)
{
	return d_con(0x30, 2, D_OID("\x60\x86\x48\x01\x65\x03\x04\x02\x01"), D_RAW("\x05\x00"));
}

/* SpcIndirectDataContent of a PE image with digest d of n bytes. */
static struct der_bs indirect(const unsigned char *d, size_t n)
{
	return attribute(D_OID(D_MS "\x02\x01\x04"),
			 d_con(0x30, 2, d_con(0x30, 2, D_OID(D_MS "\x02\x01\x0f"), d_con(0x30, 0)),
			       d_con(0x30, 2, sha256_alg(), d_tlv(0x04, d_raw(d, n)))));
}

static struct der_bs file_name(const char *bmp_be, size_t bmp_len, const char *le, size_t le_len)
{
	return attribute(D_OID(D_MS "\x0c\x02\x01"), d_con(0x30, 3, d_tlv(0x1e, d_raw(bmp_be, bmp_len)),
							   d_tlv(0x02, D_RAW("\x10\x01\x00\x01")), d_tlv(0x04, d_raw(le, le_len))));
}

static void test_indirect_and_names(void **state)
{
	static const unsigned char d32[32] = { 0xaa, 0xbb, 1, 2, 3 };
	struct ctl c;
	struct ks_err err = { 0 };

	(void)state;
	/* the indirect digest wins over the identifier; "FILE" in any case;
	 * another tag is not the name */
	assert_int_equal(parse_list(d_con(0x30, 2, D_OCT("\x01\x02"),
					  d_con(0x31, 3, file_name("\0O\0S", 4, "x\0\0\0", 4),
						indirect(d32, 32),
						file_name("\0F\0I\0L\0E", 8, "a\0.\0s\0y\0s\0\0\0", 12))),
				    &c, &err),
			 0);
	assert_int_equal(c.nmembers, 1);
	assert_int_equal(c.members[0].digest_len, 32);
	assert_memory_equal(c.members[0].digest, d32, 32);
	assert_true(c.members[0].pe);
	assert_string_equal(c.members[0].file_name, "a.sys");
	ctl_release(&c);
	/* a 48-byte indirect digest: the identifier decides, not a PE digest */
	assert_int_equal(parse_list(d_con(0x30, 2, d_tlv(0x04, d_raw(d32, 20)), d_con(0x31, 1, indirect(zero48, 48))),
				    &c, &err),
			 0);
	assert_int_equal(c.nmembers, 1);
	assert_int_equal(c.members[0].digest_len, 20);
	assert_false(c.members[0].pe);
	ctl_release(&c);
	/* a damaged indirect value or name is ignored, not fatal; an odd
	 * UTF-16 length drops the last byte */
	assert_int_equal(parse_list(d_con(0x30, 2, d_tlv(0x04, d_raw(d32, 32)),
					  d_con(0x31, 3, attribute(D_OID(D_MS "\x02\x01\x04"), d_con(0x30, 1, D_OCT("x"))),
						attribute(D_OID(D_MS "\x0c\x02\x01"), d_con(0x30, 1, D_OCT("y"))),
						file_name("\0F\0i\0l\0e", 8, "a\0b", 3))),
				    &c, &err),
			 0);
	assert_int_equal(c.nmembers, 1);
	assert_string_equal(c.members[0].file_name, "a");
	ctl_release(&c);
}

static void expect_damaged(struct der_bs p7, const char *what)
{
	struct ctl c;
	struct ks_err err = { 0 };

	assert_int_equal(parse_copy(p7.p, p7.n, &c, &err), -1);
	assert_int_equal(err.code, KS_EINPUT);
	assert_non_null(strstr(err.msg, "'t.cat'"));
	if (what && !strstr(err.msg, what))
		fail_msg("'%s' does not say '%s'", err.msg, what);
	assert_null(c.members);
	assert_null(c.usage);
	free(p7.p);
}

static void test_damaged_structure(void **state)
{
	(void)state;
	expect_damaged(d_pkcs7_ctl(d_con(0x31, 0)), "not a sequence");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 2, this_update(), member_alg())), "no subject usage");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 3, d_con(0x30, 1, D_OCT("x")), this_update(), member_alg())), "not an OID");
	/* an OID whose last byte continues */
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 3, d_con(0x30, 1, D_OID("\x2b\x86")), this_update(), member_alg())),
		       "not an OID");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 2, usage_catalog(), member_alg())), "thisUpdate");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 3, usage_catalog(), d_tlv(0x17, D_RAW("991399999999Z")), member_alg())),
		       "thisUpdate");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 2, usage_catalog(), this_update())), "subject algorithm");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 4, usage_catalog(), this_update(), member_alg(), d_con(0x30, 1, D_OCT("x")))),
		       "not a sequence");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 4, usage_catalog(), this_update(), member_alg(),
					 d_con(0x30, 1, d_con(0x30, 1, d_tlv(0x02, D_RAW("\x01")))))),
		       "without an identifier");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 4, usage_catalog(), this_update(), member_alg(),
					 d_con(0x30, 1, d_con(0x30, 2, D_OCT("x"), d_con(0x30, 0))))),
		       "not a set");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 4, usage_catalog(), this_update(), member_alg(),
					 d_con(0x30, 1, d_con(0x30, 2, D_OCT("x"), d_con(0x31, 1, d_con(0x30, 1, D_OCT("t"))))))),
		       "attribute");
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 5, usage_catalog(), this_update(), member_alg(), d_con(0x30, 0),
					 d_tlv(0x02, D_RAW("\x01")))),
		       "after the subjects");
	/* high tag number, indefinite length, a length of 5 bytes */
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 4, usage_catalog(), this_update(), member_alg(), D_RAW("\x1f\x81\x00"))),
		       NULL);
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 4, usage_catalog(), this_update(), member_alg(), D_RAW("\x30\x80\x00\x00"))),
		       NULL);
	expect_damaged(d_pkcs7_ctl(d_con(0x30, 4, usage_catalog(), this_update(), member_alg(),
					 D_RAW("\x30\x85\x00\x00\x00\x00\x00"))),
		       NULL);
}

static void test_not_a_ctl(void **state)
{
	struct der_bs data_p7 = d_con(0x30, 2, D_OID("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"),
				      d_con(0xa0, 1, d_con(0x30, 4, d_tlv(0x02, D_RAW("\x01")), d_tlv(0x31, d_raw(NULL, 0)),
							   d_con(0x30, 2, D_OID("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"),
								 d_con(0xa0, 1, D_OCT("hello"))),
							   d_tlv(0x31, d_raw(NULL, 0)))));
	struct der_bs detached = d_con(0x30, 2, D_OID("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"),
				       d_con(0xa0, 1, d_con(0x30, 4, d_tlv(0x02, D_RAW("\x01")), d_tlv(0x31, d_raw(NULL, 0)),
							    d_con(0x30, 1, D_OID(D_MS "\x0a\x01")),
							    d_tlv(0x31, d_raw(NULL, 0)))));
	struct ctl c;
	struct ks_err err = { 0 };

	(void)state;
	expect_damaged(data_p7, "not a certificate trust list");
	expect_damaged(detached, "missing");
	assert_int_equal(ctl_parse("", 0, "t.cat", &c, &err), -1);
	assert_non_null(strstr(err.msg, "not a PKCS#7"));
	assert_int_equal(ctl_parse("MZ\x90\x00", 4, "t.cat", &c, &err), -1);
	/* the CTL as an OCTET STRING (CMS's way), not the SEQUENCE itself */
	expect_damaged(d_pkcs7_ctl(D_OCT("\x30\x00")), NULL);
	ctl_release(NULL);
}

/* ---- root lists ---- */

static struct der_bs prop(unsigned id, struct der_bs value)
{
	unsigned char o[] = D_MS "\x0a\x0b\x00";

	o[sizeof(o) - 2] = (unsigned char)id;
	return attribute(d_tlv(0x06, d_raw(o, sizeof(o) - 1)), d_tlv(0x04, value));
}

static struct der_bs root_list(struct der_bs subjects)
{
	return d_pkcs7_ctl(d_con(0x30, 5, d_con(0x30, 1, D_OID(D_MS "\x0a\x03\x09")), d_tlv(0x02, D_RAW("\x14\x01")),
				 this_update(), d_con(0x30, 2, D_OID("\x2b\x0e\x03\x02\x1a"), D_RAW("\x05\x00")),
				 d_tlv(0x30, subjects)));
}

#define SHA1_A "\x11\x22\x33\x44\x55\x66\x77\x88\x99\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\x00"
/* 2021-08-01T00:00:00Z as FILETIME: (1627776000 + 11644473600) * 10^7 */
#define FT_2021 "\x00\x80\xc8\x2b\x68\x86\xd7\x01"
#define EKU_TS "\x30\x0a\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x08"
#define EKU_CS_SERVER "\x30\x14\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x03\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x01"

static void test_root_properties(void **state)
{
	struct ctl c;
	struct ks_err err = { 0 };
	struct der_bs p7 = root_list(d_list(
		3,
		d_con(0x30, 2, D_OCT(SHA1_A),
		      d_con(0x31, 6, prop(9, D_RAW(EKU_TS)), prop(11, D_RAW("R\0o\0o\0t\0\0\0")), prop(104, D_RAW(FT_2021)),
			    prop(122, D_RAW(EKU_TS)), prop(126, D_RAW(FT_2021)), prop(127, D_RAW(EKU_TS)))),
		/* no properties: any EKU; an empty not-before is none; not-before
		 * without an EKU list holds for code signing */
		d_con(0x30, 1, D_OCT(SHA1_A)),
		d_con(0x30, 2, D_OCT(SHA1_A),
		      d_con(0x31, 4, prop(9, D_RAW(EKU_CS_SERVER)), prop(104, d_raw(NULL, 0)), prop(126, D_RAW(FT_2021)),
			    prop(122, D_RAW(EKU_CS_SERVER))))));

	(void)state;
	assert_int_equal(parse_copy(p7.p, p7.n, &c, &err), 0);
	free(p7.p);
	assert_string_equal(c.usage, "1.3.6.1.4.1.311.10.3.9");
	assert_null(c.list_id);
	assert_int_equal(c.nmembers, 3);
	assert_non_null(c.props);
	assert_string_equal(c.props[0].sha1, "1122334455667788990011223344556677889900");
	assert_string_equal(c.props[0].friendly_name, "Root");
	assert_false(c.props[0].any_eku);
	assert_false(c.props[0].code_signing);
	assert_true(c.props[0].time_stamping);
	assert_int_equal(c.props[0].disallowed_after, 1627776000);
	assert_true(c.props[0].disallowed_not_code_signing);
	assert_int_equal(c.props[0].not_before, 1627776000);
	assert_false(c.props[0].not_before_code_signing);
	assert_true(c.props[1].any_eku && c.props[1].code_signing && c.props[1].time_stamping);
	assert_null(c.props[1].friendly_name);
	assert_int_equal(c.props[1].disallowed_after, 0);
	assert_int_equal(c.props[1].not_before, 0);
	assert_false(c.props[2].any_eku);
	assert_true(c.props[2].code_signing);
	assert_false(c.props[2].time_stamping);
	assert_int_equal(c.props[2].disallowed_after, 0);
	assert_false(c.props[2].disallowed_not_code_signing);
	assert_true(c.props[2].not_before_code_signing);
	ctl_release(&c);

	/* a FILETIME of 7 bytes, an EKU list that is not a SEQUENCE OF OID,
	 * a property that is not an OCTET STRING */
	expect_damaged(root_list(d_con(0x30, 2, D_OCT(SHA1_A), d_con(0x31, 1, prop(126, D_RAW("\x01\x02\x03\x04\x05\x06\x07"))))),
		       "FILETIME");
	expect_damaged(root_list(d_con(0x30, 2, D_OCT(SHA1_A), d_con(0x31, 1, prop(9, D_RAW("\x30\x03\x04\x01\x00"))))),
		       "EKU");
	expect_damaged(root_list(d_con(0x30, 2, D_OCT(SHA1_A),
				       d_con(0x31, 1, attribute(D_OID(D_MS "\x0a\x0b\x09"), d_tlv(0x02, D_RAW("\x01")))))),
		       "octet string");
	/* an identifier that is not 20 bytes is left out */
	p7 = root_list(d_con(0x30, 1, d_tlv(0x04, d_raw(zero48, 32))));
	assert_int_equal(parse_copy(p7.p, p7.n, &c, &err), 0);
	assert_int_equal(c.nmembers, 0);
	ctl_release(&c);
	free(p7.p);
}

/* ---- the shipped anchors ---- */

/* The source tree: KENSHU_SRCDIR, else the working directory (run-all.sh
 * runs from the top), else two levels above the test binary (BUILD/tests). */
static char *src_file(const char *rel)
{
	const char *env = getenv("KENSHU_SRCDIR");
	char *p;

	if (env && *env) {
		p = xasprintf("%s/%s", env, rel);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	if (access(rel, R_OK) == 0)
		return xstrdup(rel);
	if (argv0 && strrchr(argv0, '/')) {
		p = xasprintf("%.*s/../../%s", (int)(strrchr(argv0, '/') - argv0), argv0, rel);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	fail_msg("cannot find %s (set KENSHU_SRCDIR to the source tree)", rel);
	return NULL;
}

static time_t pem_date(const char *line)
{
	struct tm tm = { 0 };
	const char *v = strchr(line, ':') + 2;

	assert_int_equal(sscanf(v, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
				&tm.tm_sec),
			 6);
	assert_non_null(strstr(v, "+00:00"));
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static const struct trust_anchor *stl_find(const struct ctl *c, const char *sha1, bool *seen)
{
	for (size_t i = 0; i < c->nmembers; i++)
		if (strcmp(c->props[i].sha1, sha1) == 0) {
			assert_false(seen[i]);
			seen[i] = true;
			return &c->props[i];
		}
	fail_msg("%s is not in authroot.stl", sha1);
	return NULL;
}

static void test_shipped_stl_matches_pem(void **state)
{
	char *stl_path = src_file("profiles/trust/authroot.stl"), *pem_path = src_file("profiles/trust/microsoft-root-program.pem");
	size_t stl_len = 0, pem_len = 0, blocks = 0;
	unsigned char *stl = tc_read_file(stl_path, &stl_len);
	char *pem = (char *)tc_read_file(pem_path, &pem_len);
	struct ctl c;
	struct ks_err err = { 0 };
	bool *seen;
	char *line, *save = NULL;
	/* the comment lines of the block being read */
	char *eku = NULL, *nb_eku = NULL, *dis_eku = NULL, *name = NULL, *subject_id = NULL;
	time_t dis = 0, nb = 0;
	struct strbuf body = STRBUF_INIT;
	bool in_cert = false;

	(void)state;
	assert_non_null(stl);
	assert_non_null(pem);
	assert_int_equal(parse_copy(stl, stl_len, &c, &err), 0);
	assert_string_equal(c.usage, "1.3.6.1.4.1.311.10.3.9");
	assert_int_equal(c.nmembers, 515);
	seen = xcalloc(c.nmembers, sizeof(*seen));
	for (line = strtok_r(pem, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# Extended key usages: ", 23) == 0)
			eku = line;
		else if (strncmp(line, "# Not before extended key usages: ", 34) == 0)
			nb_eku = line;
		else if (strncmp(line, "# Disallowed extended key usages: ", 34) == 0)
			dis_eku = line;
		else if (strncmp(line, "# Friendly Name: ", 17) == 0)
			name = line + 17;
		else if (strncmp(line, "# Subject Identifier: ", 22) == 0)
			subject_id = line + 22;
		else if (strncmp(line, "# Disallowed Filetime: ", 23) == 0)
			dis = pem_date(line);
		else if (strncmp(line, "# Not before Filetime: ", 23) == 0)
			nb = pem_date(line);
		else if (strcmp(line, "-----BEGIN CERTIFICATE-----") == 0)
			in_cert = true;
		if (in_cert) {
			strbuf_addstr(&body, line);
			strbuf_addch(&body, '\n');
		}
		if (strcmp(line, "-----END CERTIFICATE-----") == 0) {
			BIO *b = BIO_new_mem_buf(body.buf, (int)body.len);
			X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
			size_t der_len;
			unsigned char *der;
			char sha1[41];
			const struct trust_anchor *a;

			assert_non_null(x);
			der = tc_der(x, &der_len);
			tc_sha1_hex(der, der_len, sha1);
			a = stl_find(&c, sha1, seen);
			assert_non_null(subject_id);
			assert_string_equal(subject_id, sha1);
			assert_int_equal(a->any_eku, eku == NULL);
			assert_int_equal(a->code_signing, !eku || strstr(eku, "'code_signing'"));
			assert_int_equal(a->time_stamping, !eku || strstr(eku, "'time_stamping'"));
			assert_int_equal(a->disallowed_after, dis);
			assert_int_equal(a->disallowed_not_code_signing, dis_eku && !strstr(dis_eku, "'code_signing'"));
			assert_int_equal(a->not_before, nb);
			assert_int_equal(a->not_before_code_signing, nb && (!nb_eku || strstr(nb_eku, "'code_signing'")));
			if (name)
				assert_string_equal(a->friendly_name, name);
			OPENSSL_free(der);
			X509_free(x);
			BIO_free(b);
			blocks++;
			strbuf_reset(&body);
			in_cert = false;
			eku = nb_eku = dis_eku = name = subject_id = NULL;
			dis = nb = 0;
		}
	}
	assert_int_equal(blocks, 515);
	for (size_t i = 0; i < c.nmembers; i++)
		assert_true(seen[i]);
	strbuf_release(&body);
	free(seen);
	ctl_release(&c);
	free(stl);
	free(pem);
	free(stl_path);
	free(pem_path);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mkcat_v1),
		cmocka_unit_test(test_mkcat_v2),
		cmocka_unit_test(test_mkcat_tampered),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_minimal_and_empty),
		cmocka_unit_test(test_subject_identifiers),
		cmocka_unit_test(test_indirect_and_names),
		cmocka_unit_test(test_damaged_structure),
		cmocka_unit_test(test_not_a_ctl),
		cmocka_unit_test(test_root_properties),
		cmocka_unit_test(test_shipped_stl_matches_pem),
	};

	(void)argc;
	argv0 = argv[0];
	return cmocka_run_group_tests(tests, setup, teardown);
}
