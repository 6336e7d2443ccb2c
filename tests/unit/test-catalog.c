/* Unit tests for catalog_index_add: catalogs written by tests/tools/mkcat
 * and signed by a leaf of a test CA made here, verified against an anchor
 * file holding that CA (trust_anchors_parse), then looked up by member
 * digest: a valid catalog, a tampered one (indexed, with its failure), one
 * signed under an untrusted root, an unsigned PKCS#7, garbage, and a root
 * list (authroot.stl's usage), which is not a catalog. */
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

#include <kenshu/core.h>
#include <kenshu/trust.h>

#include "bytes.h"
#include "testcert.h"

static char dir[] = "/tmp/kenshu-test-catalog.XXXXXX";
static char *anchor_pem;

#define DXCORE "06fa542ca0a1626e11e99e79896c9eaa79b5cfc3f9ad0ac8b84d4b2e8c5a292c"
#define INF "b1e795b69b4c2a901a8bc8e8b36e988c6c05d836"

static void write_pair(const char *name, X509 *x, EVP_PKEY *k)
{
	char *p = xasprintf("%s/%s.pem", dir, name);

	tc_write_pem(p, x, NULL);
	free(p);
	p = xasprintf("%s/%s.key", dir, name);
	tc_write_pem(p, NULL, k);
	free(p);
}

static int setup(void **state)
{
	time_t now = time(NULL);
	EVP_PKEY *ca_key = tc_key(), *key = tc_key(), *other_key = tc_key(), *other_leaf_key = tc_key();
	X509 *ca = tc_cert(ca_key, "Test Root CA", "Kenshu Test", NULL, NULL, NULL, 1, now - 86400, 3650, 1);
	X509 *leaf = tc_cert(key, "Example Press Machinery KK", "Example Press Machinery KK", ca, ca_key, "codeSigning", 0,
			     now - 86400, 3650, 2);
	X509 *other = tc_cert(other_key, "Untrusted Root", "Nobody", NULL, NULL, NULL, 1, now - 86400, 3650, 3);
	X509 *other_leaf = tc_cert(other_leaf_key, "Nobody Signer", "Nobody", other, other_key, "codeSigning", 0,
				   now - 86400, 3650, 4);
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_pair("leaf", leaf, key);
	write_pair("ca", ca, ca_key);
	write_pair("other-leaf", other_leaf, other_leaf_key);
	write_pair("other", other, other_key);
	assert_int_equal(PEM_write_bio_X509(b, ca), 1);
	n = BIO_get_mem_data(b, &p);
	anchor_pem = xstrndup(p, (size_t)n);
	BIO_free(b);
	X509_free(ca);
	X509_free(leaf);
	X509_free(other);
	X509_free(other_leaf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(other_leaf_key);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(anchor_pem);
	return 0;
}

static unsigned char *mkcat(const char *signer, const char *chain, const char *args, size_t *len)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char *out = xasprintf("%s/out.cat", dir);
	char *cmd = xasprintf("'%s/mkcat' -key '%s/%s.key' -cert '%s/%s.pem' -chain '%s/%s.pem' -out '%s' %s",
			      tools ? tools : "build/tools", dir, signer, dir, signer, dir, chain, out, args);
	unsigned char *p;

	assert_int_equal(system(cmd), 0);
	p = tc_read_file(out, len);
	assert_non_null(p);
	free(cmd);
	free(out);
	return p;
}

static struct trust_ctx *ctx(void)
{
	struct trust_anchors *a = NULL;
	struct ks_err err = { 0 };

	assert_int_equal(trust_anchors_parse(anchor_pem, strlen(anchor_pem), "test-anchors.pem", &a, &err), 0);
	return trust_ctx_new(a, time(NULL));
}

static void unhex(const char *hex, unsigned char *out)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

static void test_valid_catalog(void **state)
{
	struct trust_ctx *t = ctx();
	size_t n;
	unsigned char *cat = mkcat("leaf", "ca", "pe:sha256:" DXCORE ":DXCore.dll flat:sha1:" INF ":a.inf", &n);
	struct ks_err err = { 0 };
	unsigned char d[32];
	const struct sig_result *res = NULL;
	const char *path;

	(void)state;
	assert_int_equal(catalog_index_add(t, "C:/Windows/System32/CatRoot/x/test.cat", cat, n, NULL, NULL, &err), 0);
	assert_int_equal(catalog_index_count(trust_ctx_catalogs(t)), 1);
	assert_int_equal(catalog_index_members(trust_ctx_catalogs(t)), 2);
	unhex(DXCORE, d);
	path = catalog_index_lookup(trust_ctx_catalogs(t), d, 32, &res);
	assert_non_null(path);
	assert_string_equal(path, "C:/Windows/System32/CatRoot/x/test.cat");
	assert_non_null(res);
	assert_int_equal(res->status, SIG_VALID);
	assert_int_equal(res->source, SIG_SRC_CATALOG);
	assert_non_null(strstr(res->signer, "Example Press Machinery KK"));
	unhex(INF, d);
	assert_non_null(catalog_index_lookup(trust_ctx_catalogs(t), d, 20, &res));
	d[0] ^= 1;
	assert_null(catalog_index_lookup(trust_ctx_catalogs(t), d, 20, &res));
	free(cat);
	trust_ctx_free(t);
}

static void test_tampered_and_untrusted(void **state)
{
	struct trust_ctx *t = ctx();
	size_t n;
	unsigned char *tampered = mkcat("leaf", "ca", "-tamper pe:sha256:" DXCORE ":DXCore.dll", &n);
	struct ks_err err = { 0 };
	unsigned char d[32];
	const struct sig_result *res = NULL;
	unsigned char *untrusted;

	(void)state;
	assert_int_equal(catalog_index_add(t, "tampered.cat", tampered, n, NULL, NULL, &err), 0);
	unhex(DXCORE, d);
	d[0] ^= 1; /* what the tampered catalog lists */
	assert_non_null(catalog_index_lookup(trust_ctx_catalogs(t), d, 32, &res));
	assert_int_equal(res->status, SIG_INVALID);
	d[0] ^= 1;
	assert_null(catalog_index_lookup(trust_ctx_catalogs(t), d, 32, &res));
	free(tampered);

	untrusted = mkcat("other-leaf", "other", "pe:sha256:" DXCORE ":DXCore.dll", &n);
	assert_int_equal(catalog_index_add(t, "untrusted.cat", untrusted, n, NULL, NULL, &err), 0);
	assert_string_equal(catalog_index_lookup(trust_ctx_catalogs(t), d, 32, &res), "untrusted.cat");
	assert_int_equal(res->status, SIG_UNTRUSTED);
	free(untrusted);

	/* a valid catalog listing the same digest wins the lookup */
	untrusted = mkcat("leaf", "ca", "pe:sha256:" DXCORE ":DXCore.dll", &n);
	assert_int_equal(catalog_index_add(t, "valid.cat", untrusted, n, NULL, NULL, &err), 0);
	assert_string_equal(catalog_index_lookup(trust_ctx_catalogs(t), d, 32, &res), "valid.cat");
	assert_int_equal(res->status, SIG_VALID);
	assert_int_equal(catalog_index_count(trust_ctx_catalogs(t)), 3);
	free(untrusted);
	trust_ctx_free(t);
}

static void test_refused(void **state)
{
	struct trust_ctx *t = ctx();
	struct ks_err err = { 0 };
	struct der_bs stl = d_pkcs7_ctl(d_con(0x30, 3, d_con(0x30, 1, D_OID(D_MS "\x0a\x03\x09")),
					      d_tlv(0x17, D_RAW("231114221320Z")),
					      d_con(0x30, 1, D_OID("\x2b\x0e\x03\x02\x1a"))));
	struct der_bs unsigned_cat = d_pkcs7_ctl(d_con(0x30, 4, d_con(0x30, 1, D_OID(D_MS "\x0c\x01\x01")),
						       d_tlv(0x17, D_RAW("231114221320Z")),
						       d_con(0x30, 1, D_OID(D_MS "\x0c\x01\x02")),
						       d_con(0x30, 1, d_con(0x30, 1, d_tlv(0x04, D_RAW("0123456789abcdefghij"))))));
	const struct sig_result *res = NULL;

	(void)state;
	assert_int_equal(catalog_index_add(t, "garbage.cat", "not a catalog", 13, NULL, NULL, &err), -1);
	assert_int_equal(err.code, KS_EINPUT);
	assert_non_null(strstr(err.msg, "garbage.cat"));
	assert_int_equal(catalog_index_add(t, "authroot.stl", stl.p, stl.n, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "not a catalog"));
	assert_int_equal(catalog_index_count(trust_ctx_catalogs(t)), 0);
	/* catfiletest.cat's shape: parses, indexed, its signature fails */
	assert_int_equal(catalog_index_add(t, "unsigned.cat", unsigned_cat.p, unsigned_cat.n, NULL, NULL, &err), 0);
	assert_non_null(catalog_index_lookup(trust_ctx_catalogs(t), (const unsigned char *)"0123456789abcdefghij", 20, &res));
	assert_true(res->status != SIG_VALID);
	free(stl.p);
	free(unsigned_cat.p);
	trust_ctx_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_catalog),
		cmocka_unit_test(test_tampered_and_untrusted),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
