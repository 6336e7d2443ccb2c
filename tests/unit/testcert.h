/* Keys and certificates made by OpenSSL at test time (test-ctl,
 * test-certstore, test-catalog), and a small DER writer for hand-made
 * hostile structures. Include after <cmocka.h>. All static: each test uses
 * what it needs. */
#ifndef KENSHU_TEST_TESTCERT_H
#define KENSHU_TEST_TESTCERT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline EVP_PKEY *tc_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static inline void tc_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for key, issued by issuer (NULL: self-signed) with
 * issuer_key; eku NULL for none (e.g. "codeSigning"), ca for a CA.
 * Valid from not_before for days days. */
static inline X509 *tc_cert(EVP_PKEY *key, const char *cn, const char *o, X509 *issuer, EVP_PKEY *issuer_key,
			    const char *eku, int ca, time_t not_before, long days, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), not_before));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), not_before + days * 86400));
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	if (o)
		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	tc_ext(x, issuer ? issuer : x, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	tc_ext(x, issuer ? issuer : x, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	tc_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	if (eku)
		tc_ext(x, issuer ? issuer : x, NID_ext_key_usage, eku);
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static inline unsigned char *tc_der(X509 *x, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	assert_true(n > 0);
	*len = (size_t)n;
	return p;
}

static inline void tc_sha1_hex(const void *p, size_t n, char out[41])
{
	unsigned char md[20];
	unsigned mdlen = 0;

	assert_int_equal(EVP_Digest(p, n, md, &mdlen, EVP_sha1(), NULL), 1);
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static inline void tc_write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (x)
		assert_int_equal(PEM_write_X509(f, x), 1);
	if (k)
		assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
}

static inline unsigned char *tc_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long n;

	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	p[n] = 0;
	*len = (size_t)n;
	return p;
}

/* ---- DER writer: values are malloc'd, consumed by what wraps them ---- */

struct der_bs {
	unsigned char *p;
	size_t n;
};

static inline struct der_bs d_raw(const void *p, size_t n)
{
	struct der_bs b = { malloc(n ? n : 1), n };

	assert_non_null(b.p);
	if (n)
		memcpy(b.p, p, n);
	return b;
}

static inline void d_cat(struct der_bs *dst, struct der_bs add)
{
	dst->p = realloc(dst->p, dst->n + add.n + 1);
	assert_non_null(dst->p);
	if (add.n)
		memcpy(dst->p + dst->n, add.p, add.n);
	dst->n += add.n;
	free(add.p);
}

static inline struct der_bs d_tlv(unsigned char tag, struct der_bs c)
{
	unsigned char h[6];
	size_t hl = 0;
	struct der_bs out;

	h[hl++] = tag;
	if (c.n < 0x80) {
		h[hl++] = (unsigned char)c.n;
	} else {
		int k = c.n > 0xffffff ? 4 : c.n > 0xffff ? 3 : c.n > 0xff ? 2 : 1;

		h[hl++] = (unsigned char)(0x80 | k);
		for (int i = k - 1; i >= 0; i--)
			h[hl++] = (unsigned char)(c.n >> (8 * i));
	}
	out = d_raw(h, hl);
	d_cat(&out, c);
	return out;
}

/* TAG over count values, concatenated. */
static inline struct der_bs d_con(unsigned char tag, int count, ...)
{
	struct der_bs all = { NULL, 0 };
	va_list ap;

	va_start(ap, count);
	for (int i = 0; i < count; i++)
		d_cat(&all, va_arg(ap, struct der_bs));
	va_end(ap);
	return d_tlv(tag, all);
}

/* count values concatenated, no tag (the content of a SEQUENCE OF). */
static inline struct der_bs d_list(int count, ...)
{
	struct der_bs all = { NULL, 0 };
	va_list ap;

	va_start(ap, count);
	for (int i = 0; i < count; i++)
		d_cat(&all, va_arg(ap, struct der_bs));
	va_end(ap);
	return all;
}

#define D_RAW(s) d_raw((s), sizeof(s) - 1)
#define D_OID(s) d_tlv(0x06, D_RAW(s))
#define D_OCT(s) d_tlv(0x04, D_RAW(s))
#define D_MS "\x2b\x06\x01\x04\x01\x82\x37"

/* An unsigned PKCS#7 SignedData around a CTL (catfiletest.cat's shape). */
static inline struct der_bs d_pkcs7_ctl(struct der_bs ctl)
{
	return d_con(0x30, 2, D_OID("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"),
		     d_con(0xa0, 1,
			   d_con(0x30, 4, d_tlv(0x02, D_RAW("\x01")), d_tlv(0x31, d_raw(NULL, 0)),
				 d_con(0x30, 2, D_OID(D_MS "\x0a\x01"), d_con(0xa0, 1, ctl)),
				 d_tlv(0x31, d_raw(NULL, 0)))));
}

#endif
