/* The image's own certificate stores (windows.h, certstores) without
 * images: certificates made here with OpenSSL (a root the test's anchor
 * file lists, roots it does not, a code-signing publisher), written as
 * registry Blobs into hives that $KENSHU_TOOLS/mkhive builds from .reg
 * text, then read, marked against anchors parsed from PEM text, and the
 * hostile cases: a damaged Blob, a key not named by the SHA-1, no Blob,
 * an oversize Blob, more keys than the cap. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/trust.h>
#include <kenshu/windows.h>

static char dir[] = "/tmp/kenshu-test-certstores-XXXXXX";
#include "hives.h"

/* ---- certificates made by the test ---- */

struct tcert {
	X509 *x;
	EVP_PKEY *key;
	unsigned char *der;
	int derlen;
	char sha1[41];
};

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn, self-signed when issuer is NULL; eku NULL for none. */
static void mkcert(struct tcert *c, const char *cn, const struct tcert *issuer, const char *eku)
{
	static long serial = 1;
	unsigned char md[20];
	unsigned mdlen;

	c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(c->key);
	c->x = X509_new();
	X509_set_version(c->x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c->x), serial++);
	ASN1_TIME_set_string(X509_getm_notBefore(c->x), "20200101000000Z");
	ASN1_TIME_set_string(X509_getm_notAfter(c->x), "20400101000000Z");
	X509_NAME *n = X509_get_subject_name(c->x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Kenshu Test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c->x, issuer ? X509_get_subject_name(issuer->x) : n);
	X509_set_pubkey(c->x, c->key);
	add_ext(c->x, issuer ? issuer->x : c->x, NID_basic_constraints, issuer ? "CA:FALSE" : "critical,CA:TRUE");
	if (eku)
		add_ext(c->x, issuer ? issuer->x : c->x, NID_ext_key_usage, eku);
	assert_true(X509_sign(c->x, issuer ? issuer->key : c->key, EVP_sha256()) > 0);
	c->der = NULL;
	c->derlen = i2d_X509(c->x, &c->der);
	assert_true(c->derlen > 0);
	X509_digest(c->x, EVP_sha1(), md, &mdlen);
	for (unsigned i = 0; i < 20; i++)
		snprintf(c->sha1 + 2 * i, 3, "%02x", md[i]);
}

static void freecert(struct tcert *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->key);
	OPENSSL_free(c->der);
}

static void put32(struct strbuf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		strbuf_addch(b, (char)(v >> (8 * i)));
}

/* A registry Blob as Windows writes one: property 3 (the SHA-1), property
 * 11 (friendly name, UTF-16LE with its NUL) when given, then property 32,
 * the DER certificate. */
static struct strbuf blob_of(const struct tcert *c, const char *friendly)
{
	struct strbuf b = STRBUF_INIT;

	put32(&b, 3);
	put32(&b, 1);
	put32(&b, 20);
	for (int i = 0; i < 20; i++) {
		unsigned v;
		sscanf(c->sha1 + 2 * i, "%2x", &v);
		strbuf_addch(&b, (char)v);
	}
	if (friendly) {
		size_t n = strlen(friendly);
		put32(&b, 11);
		put32(&b, 1);
		put32(&b, (uint32_t)(2 * n + 2));
		for (size_t i = 0; i <= n; i++) {
			strbuf_addch(&b, friendly[i]);
			strbuf_addch(&b, 0);
		}
	}
	put32(&b, 32);
	put32(&b, 1);
	put32(&b, (uint32_t)c->derlen);
	strbuf_add(&b, c->der, (size_t)c->derlen);
	return b;
}

static void hex_value(struct strbuf *out, const void *data, size_t n)
{
	const unsigned char *p = data;

	strbuf_addstr(out, "\"Blob\"=hex:");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%02x%s", p[i], i + 1 < n ? "," : "");
	strbuf_addstr(out, "\n\n");
}

/* One key: [<root>\<base>\<store>\Certificates\<name>] with Blob = data. */
static void key_with(struct strbuf *out, const char *root, const char *store, const char *name,
		     const void *data, size_t n)
{
	strbuf_addf(out, "[%s\\%s\\Certificates\\%s]\n", root, store, name);
	if (data)
		hex_value(out, data, n);
	else
		strbuf_addstr(out, "\"Other\"=dword:00000001\n\n");
}

static void key_cert(struct strbuf *out, const char *root, const char *store, const char *name,
		     const struct tcert *c, const char *friendly)
{
	struct strbuf b = blob_of(c, friendly);
	char up[41];

	if (!name) {
		for (int i = 0; i < 41; i++)
			up[i] = (char)(c->sha1[i] >= 'a' && c->sha1[i] <= 'f' ? c->sha1[i] - 32 : c->sha1[i]);
		name = up;   /* Windows names the key in upper case */
	}
	key_with(out, root, store, name, b.buf, b.len);
	strbuf_release(&b);
}

#define SW "HKEY_LOCAL_MACHINE\\SOFTWARE\\"
#define MACHINE SW "Microsoft\\SystemCertificates"
#define POLICY SW "Policies\\Microsoft\\SystemCertificates"
#define ENTERPRISE SW "Microsoft\\EnterpriseCertificates"
#define USER "HKEY_CURRENT_USER\\Software\\Microsoft\\SystemCertificates"
#define USER_POLICY "HKEY_CURRENT_USER\\Software\\Policies\\Microsoft\\SystemCertificates"

static struct tcert program_root, proxy_root, gpo_root, user_root, publisher, revoked, enterprise_root;

static void make_certs(void)
{
	mkcert(&program_root, "Kenshu Test Program Root", NULL, NULL);
	mkcert(&proxy_root, "Vendor MITM Proxy Root", NULL, NULL);
	mkcert(&gpo_root, "Plant GPO Root", NULL, NULL);
	mkcert(&user_root, "Operator Added Root", NULL, NULL);
	mkcert(&enterprise_root, "Enterprise NTAuth Root", NULL, "serverAuth");
	mkcert(&publisher, "Example Press Machinery KK", &proxy_root, "codeSigning");
	mkcert(&revoked, "Revoked Intermediate", &program_root, "serverAuth");
}

static void free_certs(void)
{
	freecert(&program_root);
	freecert(&proxy_root);
	freecert(&gpo_root);
	freecert(&user_root);
	freecert(&enterprise_root);
	freecert(&publisher);
	freecert(&revoked);
}

/* Anchors the way the shipped file holds them: comment lines, then PEM. */
static struct trust_anchors *anchors_of(const struct tcert *c)
{
	struct trust_anchors *a = NULL;
	struct ks_err err;
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;

	BIO_puts(b, "# Friendly Name: Kenshu Test Program Root\n# Subject Identifier: ");
	BIO_puts(b, c->sha1);
	BIO_puts(b, "\n");
	PEM_write_bio_X509(b, c->x);
	long n = BIO_get_mem_data(b, &pem);
	if (trust_anchors_parse(pem, (size_t)n, "test-anchors.pem", &a, &err) < 0)
		fail_msg("anchors: %s", err.msg);
	BIO_free(b);
	return a;
}

static const struct cert_store_entry *find(const struct cert_store_list *l, const char *scope, const char *store,
					   const char *thumb)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].scope, scope) && !strcmp(l->v[i].store, store) &&
		    !strcasecmp(l->v[i].thumbprint, thumb))
			return &l->v[i];
	fail_msg("no entry %s %s %s", scope, store, thumb);
	return NULL;
}

static void stores_read_and_judged(void **state)
{
	struct strbuf sw = STRBUF_INIT, nt = STRBUF_INIT;
	static const unsigned char damaged[] = { 0x20, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0, 0x30, 0x82 };

	make_certs();
	key_cert(&sw, MACHINE, "ROOT", NULL, &program_root, "Kenshu Test Program Root");
	key_cert(&sw, MACHINE, "ROOT", NULL, &proxy_root, "Vendor Proxy");
	key_cert(&sw, MACHINE, "AuthRoot", NULL, &program_root, NULL);
	key_cert(&sw, MACHINE, "ROOT", "0123456789ABCDEF0123456789ABCDEF01234567", &gpo_root, NULL);
	key_cert(&sw, MACHINE, "TrustedPublisher", NULL, &publisher, NULL);
	key_cert(&sw, MACHINE, "Disallowed", NULL, &revoked, NULL);
	key_with(&sw, MACHINE, "CA", "DAMAGED0000000000000000000000000000000000", damaged, sizeof(damaged));
	key_with(&sw, MACHINE, "CA", "NOBLOB00000000000000000000000000000000000", NULL, 0);
	key_cert(&sw, POLICY, "Root", NULL, &gpo_root, NULL);
	/* Enterprise stores may hold the DER itself. */
	char up[41];
	for (int i = 0; i < 41; i++)
		up[i] = (char)toupper((unsigned char)enterprise_root.sha1[i]);
	key_with(&sw, ENTERPRISE, "Root", up, enterprise_root.der, (size_t)enterprise_root.derlen);
	/* A store Windows does not read is not listed. */
	key_cert(&sw, MACHINE, "My", NULL, &user_root, NULL);
	key_cert(&nt, USER, "Root", NULL, &user_root, "Operator");
	key_cert(&nt, USER_POLICY, "TrustedPublisher", NULL, &publisher, NULL);

	struct hive *hs = reg(sw.buf), *hn = reg(nt.buf);
	struct os_info os;
	memset(&os, 0, sizeof(os));
	certstores_collect_machine(hs, &os.certstores);
	certstores_collect_user(hn, "operator", &os.certstores);
	certstores_collect_user(NULL, "nobody", &os.certstores);   /* an unreadable hive adds nothing */
	certstores_sort(&os.certstores);
	hive_close(hs);
	hive_close(hn);

	struct cert_store_list *l = &os.certstores;
	assert_int_equal(l->n, 12);
	assert_false(l->truncated);
	/* Machine scope first, users last. */
	assert_string_equal(l->v[0].scope, "machine");
	assert_string_equal(l->v[l->n - 1].scope, "user-group-policy");

	/* Before marking nothing is judged. */
	for (size_t i = 0; i < l->n; i++)
		assert_false(cert_store_added_root(l, &l->v[i]));

	struct trust_anchors *a = anchors_of(&program_root);
	certstores_mark(&os, a, false);
	assert_true(l->marked);
	assert_false(l->anchors_builtin);
	assert_string_equal(l->anchors_name, "test-anchors.pem");
	trust_anchors_free(a);

	const struct cert_store_entry *e = find(l, "machine", "ROOT", program_root.sha1);
	assert_true(e->parsed);
	assert_null(e->error);
	assert_true(e->thumbprint_matches);
	assert_true(e->in_root_program);
	assert_true(e->cert.self_signed);
	assert_string_equal(e->cert.sha1, program_root.sha1);
	assert_string_equal(e->cert.friendly_name, "Kenshu Test Program Root");
	assert_false(cert_store_added_root(l, e));
	assert_non_null(strstr(e->key, "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\"));
	assert_null(e->user);

	e = find(l, "machine", "ROOT", proxy_root.sha1);
	assert_true(e->parsed);
	assert_false(e->in_root_program);
	assert_true(cert_store_added_root(l, e));
	assert_non_null(strstr(e->cert.subject, "Vendor MITM Proxy Root"));
	assert_string_equal(e->cert.friendly_name, "Vendor Proxy");
	assert_string_equal(e->cert.not_before, "2020-01-01T00:00:00Z");
	assert_string_equal(e->cert.not_after, "2040-01-01T00:00:00Z");

	e = find(l, "machine", "AuthRoot", program_root.sha1);
	assert_true(e->in_root_program);
	assert_false(cert_store_added_root(l, e));

	/* Key named otherwise than the certificate's SHA-1. */
	e = find(l, "machine", "ROOT", "0123456789ABCDEF0123456789ABCDEF01234567");
	assert_true(e->parsed);
	assert_false(e->thumbprint_matches);
	assert_string_equal(e->cert.sha1, gpo_root.sha1);
	assert_true(cert_store_added_root(l, e));

	e = find(l, "machine", "TrustedPublisher", publisher.sha1);
	assert_true(e->parsed);
	assert_true(e->cert.code_signing_eku);
	assert_false(e->cert.self_signed);
	assert_false(cert_store_is_root(e));
	assert_false(cert_store_added_root(l, e));

	e = find(l, "machine", "Disallowed", revoked.sha1);
	assert_true(e->parsed);
	assert_false(e->cert.code_signing_eku);
	assert_false(cert_store_added_root(l, e));

	e = find(l, "machine", "CA", "DAMAGED0000000000000000000000000000000000");
	assert_false(e->parsed);
	assert_non_null(e->error);
	assert_false(e->thumbprint_matches);
	assert_false(e->in_root_program);

	e = find(l, "machine", "CA", "NOBLOB00000000000000000000000000000000000");
	assert_false(e->parsed);
	assert_string_equal(e->error, "no Blob value");

	e = find(l, "group-policy", "Root", gpo_root.sha1);
	assert_true(cert_store_added_root(l, e));
	assert_non_null(strstr(e->key, "HKLM\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\"));

	e = find(l, "enterprise", "Root", enterprise_root.sha1);
	assert_true(e->parsed);
	assert_true(e->thumbprint_matches);
	assert_true(cert_store_added_root(l, e));

	e = find(l, "user", "Root", user_root.sha1);
	assert_string_equal(e->user, "operator");
	assert_true(cert_store_added_root(l, e));
	assert_non_null(strstr(e->key, "HKU\\operator\\Software\\Microsoft\\SystemCertificates\\Root\\Certificates\\"));

	e = find(l, "user-group-policy", "TrustedPublisher", publisher.sha1);
	assert_string_equal(e->user, "operator");

	/* The "My" store is not one kenshu reads. */
	for (size_t i = 0; i < l->n; i++)
		assert_true(strcasecmp(l->v[i].thumbprint, user_root.sha1) || strcmp(l->v[i].scope, "machine"));

	/* Marking again with other anchors replaces the marks. */
	a = anchors_of(&proxy_root);
	certstores_mark(&os, a, true);
	trust_anchors_free(a);
	assert_true(l->anchors_builtin);
	assert_string_equal(l->anchors_name, "shipped:trust/microsoft-root-program.pem");
	assert_true(find(l, "machine", "ROOT", proxy_root.sha1)->in_root_program);
	assert_false(find(l, "machine", "ROOT", program_root.sha1)->in_root_program);
	certstores_mark(&os, NULL, true);   /* no anchors: marks kept */
	assert_true(l->marked);

	os_info_release(&os);
	assert_int_equal(os.certstores.n, 0);
	strbuf_release(&sw);
	strbuf_release(&nt);
	free_certs();
}

/* Hostile: more keys than the cap, a Blob over the size limit, Blobs of
 * every short length, key names that are not thumbprints. */
static void hostile_stores(void **state)
{
	struct strbuf sw = STRBUF_INIT;
	unsigned char junk[64];

	for (unsigned i = 0; i < CERTSTORE_MAX_ENTRIES + 5; i++)
		strbuf_addf(&sw, "[" MACHINE "\\CA\\Certificates\\K%05u]\n\"Blob\"=hex:%02x\n\n", i, i & 0xff);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	struct hive *h = reg(sw.buf);
	struct cert_store_list l;
	memset(&l, 0, sizeof(l));
	certstores_collect_machine(h, &l);
	hive_close(h);
	assert_int_equal(l.n, CERTSTORE_MAX_ENTRIES);
	assert_true(l.truncated);
	for (size_t i = 0; i < l.n; i++) {
		assert_false(l.v[i].parsed);
		assert_non_null(l.v[i].error);
	}
	certstores_release(&l);

	strbuf_release(&sw);
	sw = (struct strbuf)STRBUF_INIT;
	/* Truncations of a valid blob at every length: never parsed as whole,
	 * never a crash. */
	struct tcert c;
	mkcert(&c, "Short Root", NULL, NULL);
	struct strbuf b = blob_of(&c, "name");
	for (size_t n = 0; n < b.len; n += 7) {
		char name[48];
		snprintf(name, sizeof(name), "TRUNC%06zu", n);
		key_with(&sw, MACHINE, "ROOT", name, b.buf, n);
	}
	key_with(&sw, MACHINE, "ROOT", "JUNK", junk, sizeof(junk));
	/* A property length past the end. */
	unsigned char past[] = { 32, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x30 };
	key_with(&sw, MACHINE, "ROOT", "PAST", past, sizeof(past));
	/* Oversize: just over the cap, as a REG_BINARY value. */
	size_t big = CERTSTORE_MAX_BLOB + 1;
	unsigned char *huge = xcalloc(1, big);
	key_with(&sw, POLICY, "Root", "HUGE", huge, big);
	free(huge);
	h = reg(sw.buf);
	memset(&l, 0, sizeof(l));
	certstores_collect_machine(h, &l);
	hive_close(h);
	assert_true(l.n > 3);
	for (size_t i = 0; i < l.n; i++) {
		const struct cert_store_entry *e = &l.v[i];
		assert_false(e->parsed);
		assert_non_null(e->error);
		if (!strcmp(e->thumbprint, "HUGE"))
			assert_non_null(strstr(e->error, "over the"));
	}
	struct os_info os;
	memset(&os, 0, sizeof(os));
	os.certstores = l;
	struct trust_anchors *a = anchors_of(&c);
	certstores_mark(&os, a, true);
	trust_anchors_free(a);
	for (size_t i = 0; i < os.certstores.n; i++)
		assert_false(cert_store_added_root(&os.certstores, &os.certstores.v[i]));
	os_info_release(&os);
	strbuf_release(&b);
	strbuf_release(&sw);
	freecert(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stores_read_and_judged),
		cmocka_unit_test(hostile_stores),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
