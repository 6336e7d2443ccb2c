/* Unit tests for certstore_blob_parse: registry "Blob" values (property
 * lists) and bare DER certificates, made at test time by OpenSSL, and
 * hostile blobs: every prefix, lengths past the end, a length that would
 * overflow, no certificate property, garbage DER, a huge property count.
 * Parsed from exact-size heap copies. */
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

/* 2020-01-02T03:04:05Z */
#define T0 1577934245

static void prop(struct buf *b, uint32_t id, const void *p, uint32_t len)
{
	put32(b, id);
	put32(b, 1);
	put32(b, len);
	put(b, p, len);
}

static int parse_copy(const void *p, size_t n, struct certstore_cert *c, struct ks_err *err)
{
	void *copy = xmalloc(n ? n : 1);
	int rc;

	memcpy(copy, p, n);
	rc = certstore_blob_parse(copy, n, c, err);
	free(copy);
	return rc;
}

static unsigned char *make_cert(const char *eku, bool self, size_t *len)
{
	EVP_PKEY *k = tc_key(), *ik = self ? NULL : tc_key();
	X509 *issuer = self ? NULL : tc_cert(ik, "Vendor Issuing CA", "Example Press Machinery KK", NULL, NULL, NULL, 1, T0, 365, 7);
	X509 *x = tc_cert(k, "Vendor MITM Proxy", "Example Press Machinery KK", issuer, ik, eku, 0, T0, 10, 8);
	unsigned char *der = tc_der(x, len);

	X509_free(x);
	X509_free(issuer);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ik);
	return der;
}

static struct buf blob_of(const unsigned char *der, size_t len)
{
	struct buf b = { 0 };
	unsigned char sha[20] = { 0 };

	prop(&b, 3, sha, sizeof(sha));                           /* CERT_SHA1_HASH_PROP_ID */
	prop(&b, 11, "P\0r\0o\0x\0y\0\0\0", 12);               /* friendly name */
	prop(&b, 92, "\x01\x02", 2);                             /* anything else */
	prop(&b, 32, der, (uint32_t)len);
	return b;
}

static void test_blob(void **state)
{
	size_t len;
	unsigned char *der = make_cert("codeSigning", true, &len);
	struct buf b = blob_of(der, len);
	struct certstore_cert c;
	struct ks_err err = { 0 };
	char sha1[41];

	(void)state;
	tc_sha1_hex(der, len, sha1);
	assert_int_equal(parse_copy(b.p, b.len, &c, &err), 0);
	assert_string_equal(c.sha1, sha1);
	assert_string_equal(c.subject, "CN=Vendor MITM Proxy, O=Example Press Machinery KK");
	assert_string_equal(c.issuer, c.subject);
	assert_string_equal(c.friendly_name, "Proxy");
	assert_string_equal(c.not_before, "2020-01-02T03:04:05Z");
	assert_string_equal(c.not_after, "2020-01-12T03:04:05Z");
	assert_true(c.code_signing_eku);
	assert_true(c.self_signed);
	certstore_cert_release(&c);
	/* the bare certificate, with bytes after it that are not hashed */
	assert_int_equal(parse_copy(der, len, &c, &err), 0);
	assert_string_equal(c.sha1, sha1);
	assert_null(c.friendly_name);
	certstore_cert_release(&c);
	{
		unsigned char *more = xmalloc(len + 5);

		memcpy(more, der, len);
		memcpy(more + len, "trail", 5);
		assert_int_equal(parse_copy(more, len + 5, &c, &err), 0);
		assert_string_equal(c.sha1, sha1);
		certstore_cert_release(&c);
		free(more);
	}
	free(b.p);
	OPENSSL_free(der);
	certstore_cert_release(NULL);
}

static void test_eku_and_issuer(void **state)
{
	static const struct {
		const char *eku;
		bool code;
	} cases[] = {
		{ NULL, true },
		{ "codeSigning", true },
		{ "serverAuth,clientAuth", false },
		{ "anyExtendedKeyUsage", true },
		{ "timeStamping", false },
	};
	struct certstore_cert c;
	struct ks_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		unsigned char *der = make_cert(cases[i].eku, i % 2 == 0, &len);

		assert_int_equal(parse_copy(der, len, &c, &err), 0);
		assert_int_equal(c.code_signing_eku, cases[i].code);
		assert_int_equal(c.self_signed, i % 2 == 0);
		if (i % 2)
			assert_string_equal(c.issuer, "CN=Vendor Issuing CA, O=Example Press Machinery KK");
		certstore_cert_release(&c);
		OPENSSL_free(der);
	}
}

static void expect_fail(const void *p, size_t n, const char *what)
{
	struct certstore_cert c;
	struct ks_err err = { 0 };

	assert_int_equal(parse_copy(p, n, &c, &err), -1);
	assert_int_equal(err.code, KS_EINPUT);
	if (what && !strstr(err.msg, what))
		fail_msg("'%s' does not say '%s'", err.msg, what);
	assert_null(c.subject);
	assert_null(c.friendly_name);
}

static void test_hostile(void **state)
{
	size_t len;
	unsigned char *der = make_cert("codeSigning", true, &len);
	struct buf b = blob_of(der, len), t = { 0 };

	(void)state;
	/* every cut: a header cut, a length past the end, or a DER cut */
	for (size_t n = 0; n < b.len; n++)
		expect_fail(b.p, n, NULL);
	expect_fail(b.p, 5, "cut");
	expect_fail(b.p, 30, "claims");
	/* a length that would wrap a 32-bit offset */
	prop(&t, 11, "a\0", 2);
	put32(&t, 32);
	put32(&t, 1);
	put32(&t, 0xffffffffu);
	put(&t, der, len);
	expect_fail(t.p, t.len, "claims 4294967295 bytes");
	free(t.p);
	/* no certificate property */
	t = (struct buf){ 0 };
	prop(&t, 11, "a\0", 2);
	prop(&t, 3, "0123456789abcdefghij", 20);
	expect_fail(t.p, t.len, "no certificate");
	expect_fail("", 0, "no certificate");
	free(t.p);
	/* garbage where the certificate should be, and a cut certificate */
	t = (struct buf){ 0 };
	prop(&t, 32, "\x30\x82\x01\x00garbage", 11);
	expect_fail(t.p, t.len, "not valid DER");
	free(t.p);
	t = (struct buf){ 0 };
	prop(&t, 32, der, (uint32_t)len - 1);
	expect_fail(t.p, t.len, "not valid DER");
	free(t.p);
	expect_fail("\x30\x82\xff\xff", 4, "not valid DER");
	expect_fail(der, len - 1, "not valid DER");
	free(b.p);
	OPENSSL_free(der);
}

/* 200,000 empty properties before the certificate: linear, and found. */
static void test_many_properties(void **state)
{
	size_t len;
	unsigned char *der = make_cert(NULL, true, &len);
	struct buf b = { 0 };
	struct certstore_cert c;
	struct ks_err err = { 0 };

	(void)state;
	for (int i = 0; i < 200000; i++)
		prop(&b, 1000 + (uint32_t)i, NULL, 0);
	prop(&b, 32, der, (uint32_t)len);
	assert_int_equal(parse_copy(b.p, b.len, &c, &err), 0);
	assert_true(c.code_signing_eku);
	certstore_cert_release(&c);
	free(b.p);
	OPENSSL_free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob),
		cmocka_unit_test(test_eku_and_issuer),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_many_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
