/* Unit tests for trust's verification core: the anchor file, the streaming
 * Authenticode digest, PKCS#7 signatures with their timestamps and chains,
 * and the catalog index. Signed PE files are made at test time by
 * tests/tools/mksigned.sh (a test PKI of its own, a tiny mingw-w64 PE,
 * osslsigncode with its offline timestamp authority), every date relative
 * to the clock the test runs under. Hostile variants of each: bytes flipped
 * inside a section, lying WIN_CERTIFICATE lengths, wrong revisions and
 * types, garbage DER, certificate tables outside the file or over the
 * headers, headers cut short, and a fixed-seed mutation run. */
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

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "../../scanner/trust/trust_internal.h"

#include "bytes.h"

static char fx[] = "/tmp/kenshu-test-trust-XXXXXX";

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f)
		fail_msg("cannot open '%s'", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = xmalloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	p[n] = 0;
	*len = (size_t)n;
	return p;
}

static uint8_t *fixture(const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s", fx, name);
	uint8_t *p = slurp(path, len);

	free(path);
	return p;
}

static int setup(void **state)
{
	const char *script = getenv("KENSHU_MKSIGNED") ? getenv("KENSHU_MKSIGNED") : "tests/tools/mksigned.sh";
	char *cmd;
	int rc;

	(void)state;
	if (access(script, X_OK) != 0) {
		fprintf(stderr, "%s is missing: run the tests from the source tree root\n", script);
		return -1;
	}
	if (!mkdtemp(fx))
		return -1;
	cmd = xasprintf("'%s' '%s'", script, fx);
	rc = system(cmd);
	free(cmd);
	if (rc != 0)
		fprintf(stderr, "mksigned.sh failed (exit %d): osslsigncode, openssl and gcc-mingw-w64 are needed "
				"(tests/install-deps.sh)\n", rc);
	return rc == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", fx);

	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static struct trust_ctx *ctx_text(const char *text)
{
	struct trust_anchors *a;
	struct ks_err err;

	if (trust_anchors_parse(text, strlen(text), "test.pem", &a, &err) != 0)
		fail_msg("anchors: %s", err.msg);
	return trust_ctx_new(a, time(NULL));
}

static struct trust_ctx *ctx_file(const char *name)
{
	size_t len;
	char *text = (char *)fixture(name, &len);
	struct trust_ctx *t = ctx_text(text);

	free(text);
	return t;
}

/* The test root's PEM with comment lines before it. */
static char *root_with(const char *comments)
{
	size_t len;
	char *pem = (char *)fixture("root.pem", &len), *s = xasprintf("%s%s", comments, pem);

	free(pem);
	return s;
}

static void judge(const struct trust_ctx *t, const uint8_t *p, size_t len, struct sig_result *r)
{
	trust_verify_buffer(t, p, len, r);
}

static void judge_file(const struct trust_ctx *t, const char *name, struct sig_result *r)
{
	size_t len;
	uint8_t *p = fixture(name, &len);

	judge(t, p, len, r);
	free(p);
}

/* ---- where things are in a PE ---- */

struct layout {
	size_t lfanew, checksum, dir4, first_raw;
	uint32_t toff, tsize;
};

static struct layout layout_of(const uint8_t *p, size_t len)
{
	struct layout l;
	size_t opt, dd, sec;

	assert_true(len > 0x40);
	l.lfanew = get32(p + 0x3c);
	opt = l.lfanew + 24;
	dd = opt + (get16(p + opt) == 0x20b ? 112 : 96);
	l.checksum = opt + 64;
	l.dir4 = dd + 32;
	l.toff = get32(p + l.dir4);
	l.tsize = get32(p + l.dir4 + 4);
	sec = opt + get16(p + l.lfanew + 20);
	l.first_raw = get32(p + sec + 20);
	return l;
}

/* The Authenticode SHA-256 of a PE, computed independently. */
static void authenticode_sha256(const uint8_t *p, size_t len, unsigned char out[32])
{
	struct layout l = layout_of(p, len);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t end = l.toff ? l.toff : len;

	assert_true(EVP_DigestInit_ex(c, EVP_sha256(), NULL));
	EVP_DigestUpdate(c, p, l.checksum);
	EVP_DigestUpdate(c, p + l.checksum + 4, l.dir4 - l.checksum - 4);
	EVP_DigestUpdate(c, p + l.dir4 + 8, end - l.dir4 - 8);
	if (l.toff)
		EVP_DigestUpdate(c, p + l.toff + l.tsize, len - l.toff - l.tsize);
	assert_true(EVP_DigestFinal_ex(c, out, NULL));
	EVP_MD_CTX_free(c);
}

/* ---- results ---- */

static void test_names(void **state)
{
	struct sig_result a = { .status = SIG_UNTRUSTED, .source = SIG_SRC_CATALOG, .signatures = 2 }, b;

	(void)state;
	assert_string_equal(sig_status_name(SIG_VALID), "valid");
	assert_string_equal(sig_status_name(SIG_INVALID), "invalid");
	assert_string_equal(sig_status_name(SIG_UNTRUSTED), "untrusted");
	assert_string_equal(sig_status_name(SIG_UNSIGNED), "unsigned");
	assert_string_equal(sig_status_name(SIG_ERROR), "error");
	assert_string_equal(sig_status_name(SIG_NOT_CHECKED), "");
	assert_string_equal(sig_source_name(SIG_SRC_EMBEDDED), "embedded");
	assert_string_equal(sig_source_name(SIG_SRC_CATALOG), "catalog");
	assert_string_equal(sig_source_name(SIG_SRC_NONE), "");
	a.signer = xstrdup("CN=x");
	a.catalog = xstrdup("C:\\a.cat");
	a.reason = xstrdup("why");
	sig_result_copy(&b, &a);
	sig_result_release(&a);
	assert_string_equal(b.signer, "CN=x");
	assert_string_equal(b.catalog, "C:\\a.cat");
	assert_string_equal(b.reason, "why");
	assert_null(b.issuer);
	assert_int_equal(b.signatures, 2);
	assert_int_equal(b.status, SIG_UNTRUSTED);
	sig_result_release(&b);
	assert_null(b.signer);
	sig_result_release(NULL);
}

static void test_windows_signers(void **state)
{
	(void)state;
	assert_true(trust_is_windows_signer("Microsoft Windows", "Microsoft Corporation"));
	assert_true(trust_is_windows_signer("Microsoft Windows Publisher", "Microsoft Corporation"));
	assert_true(trust_is_windows_signer("Microsoft Windows Hardware Compatibility Publisher", NULL));
	assert_false(trust_is_windows_signer("Microsoft Corporation", "Microsoft Corporation"));
	assert_false(trust_is_windows_signer("Microsoft Windows", "Example Press Machinery KK"));
	assert_false(trust_is_windows_signer("Microsoft Windowsx", "Microsoft Corporation"));
	assert_false(trust_is_windows_signer(NULL, "Microsoft Corporation"));
}

/* ---- anchors ---- */

static void sha1_hex_of_pem(const char *pem, char out[41])
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	unsigned char md[20];
	unsigned n = 0;

	assert_non_null(x);
	assert_true(X509_digest(x, EVP_sha1(), md, &n));
	for (unsigned i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	X509_free(x);
	BIO_free(b);
}

static void test_anchor_file(void **state)
{
	size_t len;
	char *pem = (char *)fixture("root.pem", &len), sha1[41], upper[41], *text;
	struct trust_anchors *a;
	const struct trust_anchor *t;
	struct ks_err err;
	unsigned char md[32];
	char hex[65];

	(void)state;
	sha1_hex_of_pem(pem, sha1);
	assert_int_equal(trust_anchors_parse(pem, len, "plain.pem", &a, &err), 0);
	assert_int_equal(trust_anchors_count(a), 1);
	t = trust_anchor_at(a, 0);
	assert_string_equal(t->sha1, sha1);
	assert_true(t->code_signing);
	assert_true(t->time_stamping);
	assert_false(t->any_eku);
	assert_int_equal(t->disallowed_after, 0);
	assert_int_equal(t->not_before, 0);
	assert_null(t->friendly_name);
	assert_string_equal(t->subject, "C=JP, O=Kenshu Test, CN=Kenshu Test Root");
	for (int i = 0; i < 41; i++)
		upper[i] = (char)(sha1[i] >= 'a' && sha1[i] <= 'f' ? sha1[i] - 32 : sha1[i]);
	assert_ptr_equal(trust_anchor_find_sha1(a, upper), t);
	assert_null(trust_anchor_find_sha1(a, "0000000000000000000000000000000000000000"));
	assert_null(trust_anchor_find_sha1(a, "00"));
	assert_null(trust_anchor_at(a, 1));
	assert_string_equal(trust_anchors_name(a), "plain.pem");
	EVP_Digest(pem, len, md, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(trust_anchors_sha256(a), hex);
	trust_anchors_free(a);

	/* the root program's lines, as the shipped file has them */
	text = xasprintf("# Subject Identifier: %s\n"
			 "# Friendly Name: Kenshu Test Root 2026\n"
			 "# Subject Name MD5: f0c402f0404ea9adbf25a03ddf2ca6fa\n"
			 "# Extended key usages: ['server_auth', 'code_signing', '1.3.6.1.4.1.311.94.1.2']\n"
			 "# Disallowed Filetime: 2021-08-01 00:00:00+00:00\n"
			 "# Disallowed extended key usages: ['server_auth']\n"
			 "# Not before Filetime: 2017-04-30 00:00:00+00:00\n"
			 "# Not before extended key usages: ['time_stamping']\n"
			 "# Root Program Chain Policies: ['1.3.6.1.4.1.311.60.3.2']\n"
			 "# Friendly Name (ASCII): Kenshu Test Root 2026\n"
			 "%s\n", upper, pem);
	assert_int_equal(trust_anchors_parse(text, strlen(text), "program.pem", &a, &err), 0);
	t = trust_anchor_at(a, 0);
	assert_string_equal(t->friendly_name, "Kenshu Test Root 2026");
	assert_false(t->any_eku);
	assert_true(t->code_signing);
	assert_false(t->time_stamping);
	assert_int_equal(t->disallowed_after, 0); /* disallowed for server_auth only */
	assert_int_equal(t->not_before, 1493510400);
	assert_false(t->not_before_code_signing);
	assert_true(t->not_before_time_stamping);
	trust_anchors_free(a);
	free(text);

	/* comments without an EKU line: the program restricts none */
	text = xasprintf("# Friendly Name: x\n# Disallowed Filetime: 2021-08-01 00:00:00+00:00\n"
			 "# Not before Filetime: 2017-04-30 00:00:00+00:00\n%s", pem);
	assert_int_equal(trust_anchors_parse(text, strlen(text), "any.pem", &a, &err), 0);
	t = trust_anchor_at(a, 0);
	assert_true(t->any_eku);
	assert_int_equal(t->disallowed_after, 1627776000);
	assert_true(t->not_before_code_signing);
	assert_true(t->not_before_time_stamping);
	trust_anchors_free(a);
	free(text);
	free(pem);
}

static void expect_bad(const char *comments, const char *after, const char *want)
{
	char *pem = root_with(comments), *text = xasprintf("%s%s", pem, after);
	struct trust_anchors *a = (struct trust_anchors *)1;
	struct ks_err err;

	if (trust_anchors_parse(text, strlen(text), "bad.pem", &a, &err) == 0)
		fail_msg("parsed, expected '%s'", want);
	assert_null(a);
	if (!strstr(err.msg, want))
		fail_msg("'%s' does not say '%s'", err.msg, want);
	free(text);
	free(pem);
}

static void test_anchor_file_damage(void **state)
{
	size_t len;
	char *pem = (char *)fixture("root.pem", &len);
	struct trust_anchors *a;
	struct ks_err err;
	char *text;

	(void)state;
	expect_bad("# Friendly Name: x\n# Colour: blue\n", "", "bad.pem:2: unknown key 'Colour'");
	expect_bad("# Subject Identifier: 0000000000000000000000000000000000000000\n", "", "subject identifier says");
	expect_bad("# Subject Identifier: 1234\n", "", "not 40 hex digits");
	expect_bad("# Extended key usages: code_signing\n", "", "not a list");
	expect_bad("# Extended key usages: ['code_signing\n", "", "not a list");
	expect_bad("# Not before Filetime: 2017-04-30\n", "", "bad.pem:1: '2017-04-30' is not a time");
	expect_bad("# Disallowed Filetime: 2017-13-30 00:00:00+00:00\n", "", "is not a time");
	expect_bad("# just a remark\n", "", "not a '# Key: value' line");
	expect_bad("", "stray text\n", "neither a comment nor a certificate");
	expect_bad("", "# Friendly Name: dangling\n", "comment lines after the last certificate");
	expect_bad("", pem, "listed twice");
	expect_bad("", "-----BEGIN CERTIFICATE-----\nMIIB\n", "without its END line");
	expect_bad("", "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "does not decode");
	assert_int_equal(trust_anchors_parse("", 0, "empty.pem", &a, &err), -1);
	assert_non_null(strstr(err.msg, "no certificate"));
	{
		static const char nul[] = "# Friendly Name: a\0b\n";

		assert_int_equal(trust_anchors_parse(nul, sizeof(nul) - 1, "nul.pem", &a, &err), -1);
		assert_non_null(strstr(err.msg, "NUL"));
	}
	/* CRLF lines and blank separators are fine */
	text = xasprintf("\r\n# Friendly Name: crlf\r\n%s\r\n", pem);
	assert_int_equal(trust_anchors_parse(text, strlen(text), "crlf.pem", &a, &err), 0);
	assert_string_equal(trust_anchor_at(a, 0)->friendly_name, "crlf");
	trust_anchors_free(a);
	free(text);
	free(pem);
}

static void test_builtin_anchors(void **state)
{
	size_t len;
	struct trust_anchors *a;
	struct ks_err err;
	const struct trust_anchor *t;

	(void)state;
	if (!embedded_file("trust/microsoft-root-program.pem", &len)) {
		assert_int_equal(trust_anchors_builtin(&a, &err), -1);
		assert_int_equal(err.code, KS_ENOTFOUND);
		return;
	}
	if (trust_anchors_builtin(&a, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(trust_anchors_count(a) > 400);
	/* Microsoft Root Certificate Authority: no EKU line, both dates */
	t = trust_anchor_find_sha1(a, "cdd4eeae6000ac7f40c3802c171e30148030c072");
	assert_non_null(t);
	assert_true(t->any_eku);
	assert_int_equal(t->disallowed_after, 1627776000);
	assert_int_equal(t->not_before, 1493510400);
	assert_true(t->not_before_code_signing);
	trust_anchors_free(a);
}

/* ---- signed fixtures ---- */

struct expect {
	const char *file, *anchors;
	enum sig_status status;
	const char *reason;      /* substring, or NULL for none */
	const char *signer_name;
	unsigned signatures;
	bool timestamp;
};

static const struct expect fixtures[] = {
	{ "valid.exe", "anchors.pem", SIG_VALID, NULL, "Example Press Machinery KK", 1, false },
	{ "dual.exe", "anchors.pem", SIG_VALID, NULL, "Example Press Machinery KK", 2, false },
	{ "expired.exe", "anchors.pem", SIG_UNTRUSTED, "has expired at", "Example Old Signer", 1, false },
	{ "expired-ts.exe", "anchors.pem", SIG_VALID, NULL, "Example Old Signer", 1, true },
	{ "expired-badts.exe", "anchors.pem", SIG_UNTRUSTED, "before the timestamp", "Example Old Signer", 1, true },
	{ "expired-lifetime.exe", "anchors.pem", SIG_UNTRUSTED, "has expired at", "Example Lifetime Signer", 1, false },
	{ "wrong-eku.exe", "anchors.pem", SIG_UNTRUSTED, "is not for code signing", "www.example.com", 1, false },
	{ "other-root.exe", "anchors.pem", SIG_UNTRUSTED, "chain ends at 'C=JP, O=Elsewhere, CN=Kenshu Other Root', "
	  "not a trusted anchor", "Example Elsewhere Signer", 1, false },
	{ "valid.exe", "ec-anchors.pem", SIG_UNTRUSTED, "not a trusted anchor", "Example Press Machinery KK", 1, false },
	{ "explicit-ec.exe", "ec-anchors.pem", SIG_INVALID, "explicit elliptic-curve parameters", "Example EC Signer", 1,
	  false },
	{ "explicit-ec.exe", "anchors.pem", SIG_INVALID, "explicit elliptic-curve parameters", "Example EC Signer", 1,
	  false },
	{ "unsigned.exe", "anchors.pem", SIG_UNSIGNED, "no embedded signature", NULL, 0, false },
};

static void test_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct expect *e = &fixtures[i];
		struct trust_ctx *t = ctx_file(e->anchors);
		struct sig_result r;

		judge_file(t, e->file, &r);
		if (r.status != e->status)
			fail_msg("%s with %s: %s (%s), expected %s", e->file, e->anchors, sig_status_name(r.status),
				 r.reason ? r.reason : "", sig_status_name(e->status));
		if (e->reason && (!r.reason || !strstr(r.reason, e->reason)))
			fail_msg("%s: reason '%s' does not say '%s'", e->file, r.reason ? r.reason : "", e->reason);
		if (!e->reason)
			assert_null(r.reason);
		if (e->signer_name)
			assert_string_equal(r.signer_name, e->signer_name);
		assert_int_equal(r.signatures, e->signatures);
		assert_int_equal(r.signing_time != NULL, e->timestamp);
		assert_int_equal(r.source, e->status == SIG_UNSIGNED ? SIG_SRC_NONE : SIG_SRC_EMBEDDED);
		assert_false(r.microsoft_windows);
		if (e->status == SIG_VALID) {
			assert_non_null(strstr(r.signer, "CN=Example"));
			assert_non_null(strstr(r.issuer, "CN=Kenshu Test Code Signing CA"));
			assert_non_null(r.digest_alg);
		}
		sig_result_release(&r);
		trust_ctx_free(t);
	}
}

static void test_timestamp_time(void **state)
{
	struct trust_ctx *t = ctx_file("anchors.pem");
	struct sig_result r;
	char now[32];
	time_t ts;
	struct tm tm = { 0 };

	(void)state;
	judge_file(t, "expired-ts.exe", &r);
	assert_int_equal(r.status, SIG_VALID);
	assert_non_null(strptime(r.signing_time, "%Y-%m-%dT%H:%M:%SZ", &tm));
	ts = timegm(&tm);
	/* two years back, as mksigned.sh stamped it */
	assert_true(ts < time(NULL) - 700 * 86400 && ts > time(NULL) - 800 * 86400);
	ks_iso_time(ts, now, sizeof(now));
	assert_string_equal(now, r.signing_time);
	sig_result_release(&r);
	trust_ctx_free(t);
}

/* The root program's constraints on the test root. */
static void test_root_constraints(void **state)
{
	char day[64], when[64], *comments, *text;
	time_t yesterday = time(NULL) - 86400, issued;
	struct trust_ctx *t;
	struct sig_result r;
	size_t len;
	char *nb = (char *)fixture("leaf-notbefore", &len);
	struct tm tm;

	(void)state;
	issued = (time_t)strtoll(nb, NULL, 10);
	free(nb);

	/* a root for servers only vouches for no code */
	text = root_with("# Friendly Name: Servers Only\n# Extended key usages: ['server_auth']\n");
	t = ctx_text(text);
	judge_file(t, "valid.exe", &r);
	assert_int_equal(r.status, SIG_UNTRUSTED);
	assert_string_equal(r.reason, "root 'Servers Only' is not allowed for code signing");
	sig_result_release(&r);
	trust_ctx_free(t);
	free(text);

	/* disabled since yesterday: a signature without timestamp is judged
	 * today and fails; one timestamped two years ago stands */
	gmtime_r(&yesterday, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S+00:00", &tm);
	comments = xasprintf("# Friendly Name: Disabled\n# Extended key usages: ['code_signing', 'time_stamping']\n"
			     "# Disallowed Filetime: %s\n", day);
	text = root_with(comments);
	t = ctx_text(text);
	judge_file(t, "valid.exe", &r);
	assert_int_equal(r.status, SIG_UNTRUSTED);
	assert_non_null(strstr(r.reason, "root 'Disabled' is disabled since"));
	sig_result_release(&r);
	judge_file(t, "expired-ts.exe", &r);
	assert_int_equal(r.status, SIG_VALID);
	sig_result_release(&r);
	trust_ctx_free(t);
	free(text);
	free(comments);

	/* not before: a leaf issued after the date is not trusted for code
	 * signing; the date for another EKU does not matter */
	issued -= 86400;
	gmtime_r(&issued, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S+00:00", &tm);
	comments = xasprintf("# Friendly Name: Not Before\n# Not before Filetime: %s\n", when);
	text = root_with(comments);
	t = ctx_text(text);
	judge_file(t, "valid.exe", &r);
	assert_int_equal(r.status, SIG_UNTRUSTED);
	assert_non_null(strstr(r.reason, "does not vouch for code signing by certificates issued since"));
	sig_result_release(&r);
	trust_ctx_free(t);
	free(text);
	free(comments);
	comments = xasprintf("# Friendly Name: Not Before\n# Not before Filetime: %s\n"
			     "# Not before extended key usages: ['server_auth']\n", when);
	text = root_with(comments);
	t = ctx_text(text);
	judge_file(t, "valid.exe", &r);
	assert_int_equal(r.status, SIG_VALID);
	sig_result_release(&r);
	trust_ctx_free(t);
	free(text);
	free(comments);

	/* a root for code signing only cannot vouch for the timestamp: the
	 * expired leaf is judged today */
	text = root_with("# Extended key usages: ['code_signing']\n");
	t = ctx_text(text);
	judge_file(t, "expired-ts.exe", &r);
	assert_int_equal(r.status, SIG_UNTRUSTED);
	assert_non_null(strstr(r.reason, "no valid timestamp"));
	assert_null(r.signing_time);
	sig_result_release(&r);
	trust_ctx_free(t);
	free(text);
}

/* The scan feeds the file in whatever pieces it reads. */
static void test_chunked(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 63, 64, 65, 177, 4093, 65536 };
	struct trust_ctx *t = ctx_file("anchors.pem");
	const char *names[] = { "valid.exe", "dual.exe", "expired-ts.exe" };
	uint64_t seed = 0x5eed;

	(void)state;
	for (size_t n = 0; n < 3; n++) {
		size_t len;
		uint8_t *p = fixture(names[n], &len);

		for (size_t i = 0; i <= sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct pe_digest *d = pe_digest_new(len);
			struct sig_result r;

			for (size_t off = 0; off < len;) {
				size_t k = i < sizeof(sizes) / sizeof(sizes[0]) ? sizes[i] : 1 + xorshift64(&seed) % 5000;

				k = k < len - off ? k : len - off;
				pe_digest_feed(d, p + off, k);
				off += k;
			}
			assert_true(pe_digest_is_pe(d));
			trust_verify_pe(t, d, &r);
			if (r.status != SIG_VALID)
				fail_msg("%s in chunks #%zu: %s (%s)", names[n], i, sig_status_name(r.status),
					 r.reason ? r.reason : "");
			sig_result_release(&r);
			pe_digest_free(d);
		}
		free(p);
	}
	trust_ctx_free(t);
}

static enum sig_status status_of(const struct trust_ctx *t, const uint8_t *p, size_t len, const char *want_reason)
{
	struct sig_result r;
	enum sig_status s;

	judge(t, p, len, &r);
	s = r.status;
	if (want_reason && (!r.reason || !strstr(r.reason, want_reason)))
		fail_msg("reason '%s' does not say '%s'", r.reason ? r.reason : "", want_reason);
	sig_result_release(&r);
	return s;
}

static void test_tampered(void **state)
{
	struct trust_ctx *t = ctx_file("anchors.pem");
	size_t len;
	uint8_t *orig = fixture("valid.exe", &len), *p = xmalloc(len + 64);
	struct layout l = layout_of(orig, len);
	uint32_t dw;

	(void)state;
	assert_true(l.toff > 0 && l.tsize >= 8 && l.toff + l.tsize == len);
	dw = get32(orig + l.toff);

#define FRESH() memcpy(p, orig, len)
	/* a byte of the code */
	FRESH();
	p[l.first_raw + 1] ^= 0x80;
	assert_int_equal(status_of(t, p, len, "digest does not match"), SIG_INVALID);
	/* a byte of the DOS stub, and of the section table */
	FRESH();
	p[0x50] ^= 1;
	assert_int_equal(status_of(t, p, len, NULL), SIG_INVALID);
	/* the checksum is not covered: the file stays valid */
	FRESH();
	p[l.checksum] ^= 0xff;
	assert_int_equal(status_of(t, p, len, NULL), SIG_VALID);
	/* data after the table is covered */
	FRESH();
	memset(p + len, 0, 8);
	assert_int_equal(status_of(t, p, len + 8, NULL), SIG_INVALID);
	/* the signature cut short: WIN_CERTIFICATE and directory shrunk */
	FRESH();
	set32(p + l.toff, dw / 2);
	set32(p + l.dir4 + 4, (dw / 2 + 7) & ~7u);
	assert_true(status_of(t, p, l.toff + ((dw / 2 + 7) & ~7u), NULL) != SIG_VALID);
	/* the file cut inside the table */
	FRESH();
	assert_int_equal(status_of(t, p, len - 100, "points outside the file"), SIG_ERROR);
	/* the table pointing outside the file */
	FRESH();
	set32(p + l.dir4, (uint32_t)len);
	assert_int_equal(status_of(t, p, len, "points outside the file"), SIG_ERROR);
	FRESH();
	set32(p + l.dir4, 0xfffffff8u);
	set32(p + l.dir4 + 4, 0x10);
	assert_int_equal(status_of(t, p, len, "points outside the file"), SIG_ERROR);
	/* over the headers */
	FRESH();
	set32(p + l.dir4, 0x40);
	assert_int_equal(status_of(t, p, len, "overlaps the headers"), SIG_ERROR);
	/* too small to hold an entry */
	FRESH();
	set32(p + l.dir4 + 4, 4);
	assert_int_equal(status_of(t, p, len, "certificate table of 4 bytes"), SIG_ERROR);
	/* WIN_CERTIFICATE lying about its length */
	FRESH();
	set32(p + l.toff, l.tsize + 8);
	assert_int_equal(status_of(t, p, len, "claims"), SIG_ERROR);
	FRESH();
	set32(p + l.toff, 7);
	assert_int_equal(status_of(t, p, len, "claims 7 bytes"), SIG_ERROR);
	FRESH();
	set32(p + l.toff, 8);
	assert_int_equal(status_of(t, p, len, "does not parse"), SIG_ERROR);
	/* wrong revision, wrong type */
	FRESH();
	set16(p + l.toff + 4, 0x0100);
	assert_int_equal(status_of(t, p, len, "revision 0x100"), SIG_ERROR);
	FRESH();
	set16(p + l.toff + 6, 1);
	assert_int_equal(status_of(t, p, len, "type 1"), SIG_ERROR);
	/* garbage DER */
	FRESH();
	memset(p + l.toff + 8, 0xff, 16);
	assert_int_equal(status_of(t, p, len, "does not parse"), SIG_ERROR);
	FRESH();
	p[l.toff + 8 + 1] = 0x84;   /* a length of length 4 */
	set32(p + l.toff + 8 + 2, 0x7fffffff);
	assert_int_equal(status_of(t, p, len, NULL), SIG_ERROR);
	/* a second, garbage entry after the signature: still judged, counted */
	{
		size_t n = len + 16;
		uint8_t *q = xmalloc(n);

		memcpy(q, orig, len);
		set32(q + len, 16);
		set16(q + len + 4, 0x0200);
		set16(q + len + 6, 2);
		memset(q + len + 8, 0x30, 8);
		set32(q + l.dir4 + 4, l.tsize + 16);
		assert_true(status_of(t, q, n, NULL) != SIG_INVALID);
		free(q);
	}
#undef FRESH
	free(p);
	free(orig);
	trust_ctx_free(t);
}

/* Any byte outside the excluded ranges is covered; inside the table the
 * result may be anything but a crash. */
static void test_mutations(void **state)
{
	struct trust_ctx *t = ctx_file("anchors.pem");
	size_t len;
	uint8_t *orig = fixture("valid.exe", &len), *p = xmalloc(len);
	struct layout l = layout_of(orig, len);
	uint64_t seed = 14;

	(void)state;
	for (int i = 0; i < 300; i++) {
		size_t at = xorshift64(&seed) % len, cut = len;
		bool covered = !(at >= l.checksum && at < l.checksum + 4) && !(at >= l.dir4 && at < l.dir4 + 8) &&
			       at < l.toff;

		memcpy(p, orig, len);
		p[at] ^= (uint8_t)(1 + xorshift64(&seed) % 255);
		if (i % 7 == 0)
			cut = at + 1;
		if (covered && status_of(t, p, cut, NULL) == SIG_VALID)
			fail_msg("byte %zu changed (file cut at %zu) and the file is still valid", at, cut);
		if (!covered)
			status_of(t, p, cut, NULL);
	}
	free(p);
	free(orig);
	trust_ctx_free(t);
}

/* ---- headers built by hand ---- */

/* A PE32+ (or PE32) header with no sections, NumberOfRvaAndSizes nrva and
 * the certificate directory (toff, tsize), padded to size bytes. */
static uint8_t *mkpe(size_t size, uint16_t magic, uint32_t nrva, uint32_t toff, uint32_t tsize)
{
	uint8_t *p = xcalloc(1, size);
	size_t opt = 0x80 + 24, dd = opt + (magic == 0x10b ? 96 : 112);

	assert_true(size >= 0x200);
	p[0] = 'M';
	p[1] = 'Z';
	set32(p + 0x3c, 0x80);
	memcpy(p + 0x80, "PE\0\0", 4);
	set16(p + 0x84, 0x8664);
	set16(p + 0x80 + 20, magic == 0x10b ? 224 : 240);
	set16(p + opt, magic);
	set32(p + opt + 60, 0x200);                /* SizeOfHeaders */
	set32(p + opt + (magic == 0x10b ? 92 : 108), nrva);
	set32(p + dd + 32, toff);
	set32(p + dd + 36, tsize);
	return p;
}

static enum sig_status hand(const struct trust_ctx *t, const uint8_t *p, size_t fed, uint64_t declared,
			    bool *is_pe, char **reason)
{
	struct pe_digest *d = pe_digest_new(declared);
	struct sig_result r;
	enum sig_status s;

	pe_digest_feed(d, p, fed);
	*is_pe = pe_digest_is_pe(d);
	trust_verify_pe(t, d, &r);
	pe_digest_free(d);
	s = r.status;
	*reason = r.reason ? xstrdup(r.reason) : xstrdup("");
	sig_result_release(&r);
	return s;
}

#define EXPECT_HAND(p, fed, declared, want_pe, want_status, want_reason)                          \
	do {                                                                                      \
		bool pe_;                                                                         \
		char *why_;                                                                       \
		enum sig_status s_ = hand(t, p, fed, declared, &pe_, &why_);                      \
		if (pe_ != (want_pe) || s_ != (want_status) || !strstr(why_, want_reason))       \
			fail_msg("line %d: pe %d status %s (%s)", __LINE__, pe_, sig_status_name(s_), why_); \
		free(why_);                                                                       \
	} while (0)

static void test_pe_digest_hostile(void **state)
{
	struct trust_ctx *t = ctx_file("anchors.pem");
	uint8_t *p;
	size_t big = 9u * 1024 * 1024;

	(void)state;
	/* not PE at all: costs its first bytes */
	EXPECT_HAND((const uint8_t *)"hello, world", 12, 12, false, SIG_NOT_CHECKED, "");
	EXPECT_HAND((const uint8_t *)"MZ", 2, 2, false, SIG_NOT_CHECKED, "");
	EXPECT_HAND((const uint8_t *)"M", 1, 1, false, SIG_NOT_CHECKED, "");
	EXPECT_HAND((const uint8_t *)"", 0, 0, false, SIG_NOT_CHECKED, "");

	p = mkpe(0x400, 0x20b, 16, 0, 0);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_UNSIGNED, "no embedded signature");
	EXPECT_HAND(p, 63, 63, false, SIG_NOT_CHECKED, "");
	/* the declared size larger than what came */
	EXPECT_HAND(p, 0x400, 0x500, true, SIG_ERROR, "bytes read of a file of");
	/* the file ends right after the signature, or inside the optional header */
	EXPECT_HAND(p, 0x84, 0x84, true, SIG_ERROR, "ends inside the PE header");
	EXPECT_HAND(p, 0x80 + 24 + 40, 0x80 + 24 + 40, true, SIG_ERROR, "has no checksum");
	/* e_lfanew past the end, or at no PE signature */
	set32(p + 0x3c, 0xfffffff0u);
	EXPECT_HAND(p, 0x400, 0x400, false, SIG_NOT_CHECKED, "");
	set32(p + 0x3c, 0x3fe);
	EXPECT_HAND(p, 0x400, 0x400, false, SIG_NOT_CHECKED, "");
	set32(p + 0x3c, 0x100);
	EXPECT_HAND(p, 0x400, 0x400, false, SIG_NOT_CHECKED, "");
	free(p);

	/* headers overlapping the DOS header (e_lfanew 4) */
	p = xcalloc(1, 0x400);
	p[0] = 'M';
	p[1] = 'Z';
	memcpy(p + 4, "PE\0\0", 4);
	set32(p + 0x3c, 4);
	set16(p + 4 + 24, 0x10b);
	set16(p + 4 + 20, 224);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_UNSIGNED, "");
	free(p);

	/* magic, optional header size */
	p = mkpe(0x400, 0x999, 16, 0, 0);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "magic 0x999");
	free(p);
	p = mkpe(0x400, 0x20b, 16, 0, 0);
	set16(p + 0x80 + 20, 10);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "optional header of 10 bytes");
	free(p);
	/* PE32 works like PE32+ */
	p = mkpe(0x400, 0x10b, 16, 0, 0);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_UNSIGNED, "");
	free(p);

	/* fewer than 5 directories: the entry is not there, whatever its bytes say */
	p = mkpe(0x400, 0x20b, 4, 0x7fffffff, 0x100);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_UNSIGNED, "");
	free(p);
	/* the optional header too short to hold the directory */
	p = mkpe(0x400, 0x20b, 16, 0x7fffffff, 0x100);
	set16(p + 0x80 + 20, 112 + 32);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_UNSIGNED, "");
	free(p);

	/* tables: too small, outside, wrapping, over the headers, too big */
	p = mkpe(0x400, 0x20b, 16, 0x300, 4);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "certificate table of 4 bytes");
	free(p);
	p = mkpe(0x400, 0x20b, 16, 0x300, 0x101);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "points outside the file");
	free(p);
	p = mkpe(0x400, 0x20b, 16, 0xffffff00u, 0x200);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "points outside the file");
	free(p);
	p = mkpe(0x400, 0x20b, 16, 0x100, 0x100);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "overlaps the headers");
	free(p);
	p = mkpe(0x400, 0x20b, 16, 0x1f8, 0x100);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "overlaps the headers");
	free(p);
	p = mkpe(big, 0x20b, 16, 0x400, (uint32_t)(big - 0x400));
	EXPECT_HAND(p, big, big, true, SIG_ERROR, "more than 8 MiB");
	free(p);

	/* tables that fit but hold no signature */
	p = mkpe(0x400, 0x20b, 16, 0x300, 0x100);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "claims 0 bytes");
	set32(p + 0x300, 0x100);
	set16(p + 0x304, 0x0200);
	set16(p + 0x306, 2);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "does not parse");
	free(p);
	p = mkpe(0x400, 0x20b, 16, 0x3f8, 8);
	set32(p + 0x3f8, 8);
	set16(p + 0x3fc, 0x0200);
	set16(p + 0x3fe, 2);
	EXPECT_HAND(p, 0x400, 0x400, true, SIG_ERROR, "does not parse");
	free(p);
	trust_ctx_free(t);
}

/* ---- detached SignedData (the catalogs' path) ---- */

static void test_signed_data(void **state)
{
	struct trust_ctx *t = ctx_file("anchors.pem");
	size_t len;
	uint8_t *pe = fixture("valid.exe", &len);
	struct layout l = layout_of(pe, len);
	const uint8_t *der = pe + l.toff + 8;
	size_t dlen = get32(pe + l.toff) - 8;
	struct sig_result r;
	uint8_t *copy;

	(void)state;
	assert_int_equal(trust_verify_signed_data(t, der, dlen, &r), SIG_VALID);
	assert_string_equal(r.signer_name, "Example Press Machinery KK");
	assert_int_equal(r.source, SIG_SRC_NONE);
	assert_int_equal(r.signatures, 1);
	sig_result_release(&r);
	/* every prefix cut short: never valid, never a crash */
	assert_true(der[0] == 0x30 && der[1] == 0x82);
	for (size_t n = 0; n < 4 + (size_t)(der[2] << 8 | der[3]); n += 37) {
		assert_true(trust_verify_signed_data(t, der, n, &r) != SIG_VALID);
		sig_result_release(&r);
	}
	/* the content changed: the signer's messageDigest fails */
	copy = xmalloc(dlen);
	memcpy(copy, der, dlen);
	for (size_t i = 0; i + 3 < dlen; i++) {
		/* the SpcIndirectDataContent's digest: after its OCTET STRING tag */
		if (copy[i] == 0x04 && copy[i + 1] == 0x20) {
			copy[i + 2] ^= 1;
			break;
		}
	}
	assert_int_equal(trust_verify_signed_data(t, copy, dlen, &r), SIG_INVALID);
	assert_non_null(strstr(r.reason, "does not verify"));
	sig_result_release(&r);
	free(copy);
	assert_int_equal(trust_verify_signed_data(t, (const unsigned char *)"\x30\x03\x02\x01\x01", 5, &r), SIG_ERROR);
	sig_result_release(&r);
	assert_int_equal(trust_verify_signed_data(t, NULL, 0, &r), SIG_ERROR);
	sig_result_release(&r);
	free(pe);
	trust_ctx_free(t);
}

/* ---- the catalog index ---- */

static void test_catalog_index(void **state)
{
	struct trust_ctx *t = ctx_file("anchors.pem");
	struct catalog_index *ci = trust_ctx_catalogs(t);
	struct sig_result good = { .status = SIG_VALID, .signer_name = (char *)"Microsoft Windows", .signatures = 1 };
	struct sig_result bad = { .status = SIG_UNTRUSTED, .reason = (char *)"chain ends at 'X'" };
	const struct sig_result *res;
	unsigned char d1[32], d2[32], flat[32], flat1[20];
	size_t len, cbad, cgood;
	uint8_t *p;
	struct sig_result r;

	(void)state;
	assert_int_equal(catalog_index_count(ci), 0);
	assert_null(catalog_index_lookup(ci, d1, 32, &res));
	p = fixture("unsigned.exe", &len);
	authenticode_sha256(p, len, d1);
	memset(d2, 0x5a, sizeof(d2));
	cbad = catalog_index_register(ci, "C:\\bad.cat", &bad);
	cgood = catalog_index_register(ci, "C:\\good.cat", &good);
	catalog_index_insert(ci, cbad, d1, 32);
	catalog_index_insert(ci, cbad, d2, 32);
	catalog_index_insert(ci, cbad, d2, 32);   /* once */
	assert_int_equal(catalog_index_count(ci), 2);
	assert_int_equal(catalog_index_members(ci), 2);

	/* listed only by a catalog whose signature fails */
	judge(t, p, len, &r);
	assert_int_equal(r.status, SIG_UNTRUSTED);
	assert_int_equal(r.source, SIG_SRC_CATALOG);
	assert_string_equal(r.catalog, "C:\\bad.cat");
	assert_non_null(strstr(r.reason, "listed in 'C:\\bad.cat', whose signature is untrusted"));
	sig_result_release(&r);
	/* a valid catalog lists it too: that one wins */
	catalog_index_insert(ci, cgood, d1, 32);
	assert_string_equal(catalog_index_lookup(ci, d1, 32, &res), "C:\\good.cat");
	assert_int_equal(res->status, SIG_VALID);
	judge(t, p, len, &r);
	assert_int_equal(r.status, SIG_VALID);
	assert_int_equal(r.source, SIG_SRC_CATALOG);
	assert_string_equal(r.catalog, "C:\\good.cat");
	assert_string_equal(r.signer_name, "Microsoft Windows");
	assert_null(r.reason);
	sig_result_release(&r);
	free(p);

	/* an embedded signature that is untrusted gives way to a valid
	 * catalog: other-root.exe is unsigned.exe with a table appended, so
	 * its Authenticode digest is the one the good catalog lists */
	p = fixture("other-root.exe", &len);
	authenticode_sha256(p, len, d2);
	assert_memory_equal(d1, d2, 32);
	judge(t, p, len, &r);
	assert_int_equal(r.status, SIG_VALID);
	assert_int_equal(r.source, SIG_SRC_CATALOG);
	assert_int_equal(r.signatures, 2);
	sig_result_release(&r);
	free(p);

	/* a tampered embedded signature stays tampered, even when listed */
	p = fixture("valid.exe", &len);
	p[layout_of(p, len).first_raw] ^= 1;
	authenticode_sha256(p, len, d1);
	catalog_index_insert(ci, cgood, d1, 32);
	judge(t, p, len, &r);
	assert_int_equal(r.status, SIG_INVALID);
	assert_int_equal(r.source, SIG_SRC_EMBEDDED);
	sig_result_release(&r);
	free(p);

	/* flat digests of files that are not PE */
	EVP_Digest("[Version]\r\n", 11, flat, NULL, EVP_sha256(), NULL);
	EVP_Digest("[Version]\r\n", 11, flat1, NULL, EVP_sha1(), NULL);
	trust_verify_flat(t, flat, flat1, &r);
	assert_int_equal(r.status, SIG_NOT_CHECKED);
	sig_result_release(&r);
	catalog_index_insert(ci, cgood, flat1, 20);
	trust_verify_flat(t, flat, flat1, &r);
	assert_int_equal(r.status, SIG_VALID);
	assert_string_equal(r.catalog, "C:\\good.cat");
	sig_result_release(&r);
	trust_verify_flat(t, flat, NULL, &r);
	assert_int_equal(r.status, SIG_NOT_CHECKED);
	sig_result_release(&r);
	judge(t, (const uint8_t *)"[Version]\r\n", 11, &r);
	assert_int_equal(r.status, SIG_VALID);
	sig_result_release(&r);

	/* the index grows past its first table */
	for (unsigned i = 0; i < 5000; i++) {
		unsigned char d[32] = { 0 };

		set32(d, i);
		d[31] = 0xee;
		catalog_index_insert(ci, cbad, d, 32);
	}
	assert_int_equal(catalog_index_members(ci), 5000 + 5);
	assert_string_equal(catalog_index_lookup(ci, flat1, 20, &res), "C:\\good.cat");
	assert_null(catalog_index_lookup(ci, flat1, 19, &res));
	trust_ctx_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_windows_signers),
		cmocka_unit_test(test_anchor_file),
		cmocka_unit_test(test_anchor_file_damage),
		cmocka_unit_test(test_builtin_anchors),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_timestamp_time),
		cmocka_unit_test(test_root_constraints),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_pe_digest_hostile),
		cmocka_unit_test(test_signed_data),
		cmocka_unit_test(test_catalog_index),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
