/* The quarantine parser (artifacts/quarantine.c) over files built here
 * with the same scheme: round trips of Entries and ResourceData files with
 * payloads of 0, 1 and 100 000 bytes and every field, the key stream
 * against OpenSSL's RC4 (legacy provider, when it loads), and hostile
 * files: truncated headers, section lengths past the file or huge,
 * non-terminated UTF-16 and type strings, offsets outside section 2,
 * fields past the end, random bytes (a wrong key), streams past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "bytes.h"

static void put64(struct buf *b, uint64_t v) { uint8_t x[8]; set64(x, v); put(b, x, 8); }
static void align4(struct buf *b) { while (b->len % 4) put8(b, 0); }

static void put_wstr(struct buf *b, const char *s, bool terminate)
{
	for (; *s; s++)
		put16(b, (uint8_t)*s);
	if (terminate)
		put16(b, 0);
}

static void field(struct buf *b, uint16_t id, uint16_t type, const void *d, uint16_t n)
{
	align4(b);
	put16(b, n);
	put16(b, (uint16_t)(id | type << 12));
	put(b, d, n);
}

static const uint8_t sha1[20] = { 0xAB, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
				  0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0xCD };

/* One resource: path, type, the resource id and a creation time. */
static void resource(struct buf *s2, const char *path, const char *type, bool with_id)
{
	uint8_t t[8];

	put_wstr(s2, path, true);
	put16(s2, with_id ? 2 : 1);
	put(s2, type, strlen(type) + 1);
	if (with_id)
		field(s2, 0x02, 4, sha1, 20);
	set64(t, 132000000000000000ull);
	field(s2, 0x0F, 6, t, 8);
}

/* An Entries file: header, section 1 (threat), section 2 (n resources). */
static struct buf entry(const char *threat, const char *const *paths, size_t n, uint32_t s1_override,
			uint32_t s2_override)
{
	struct buf h = { 0 }, s1 = { 0 }, s2 = { 0 }, out = { 0 };
	uint8_t zero[16] = { 0 }, id[16];
	size_t *offs = xcalloc(n ? n : 1, sizeof(*offs));

	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)(0xA0 + i);
	put(&s1, id, 16);
	put(&s1, zero, 16);
	put64(&s1, 133000000000000000ull);     /* 2022-06-18 */
	put64(&s1, 2147519003ull);
	put32(&s1, 1);
	put(&s1, threat, strlen(threat) + 1);

	put32(&s2, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		put32(&s2, 0);
	for (size_t i = 0; i < n; i++) {
		align4(&s2);
		offs[i] = s2.len;
		resource(&s2, paths[i], "file", true);
	}
	for (size_t i = 0; i < n; i++)
		set32(s2.p + 4 + 4 * i, (uint32_t)offs[i]);

	put(&h, "\xDB\xE8\xC5\x01", 4);
	for (int i = 0; i < 36; i++)
		put(&h, "", 1);
	put32(&h, s1_override ? s1_override : (uint32_t)s1.len);
	put32(&h, s2_override ? s2_override : (uint32_t)s2.len);
	put32(&h, 0);
	put32(&h, 0);
	put(&h, "\0\0\0\0", 4);
	assert_int_equal(h.len, 60);
	quar_rc4(h.p, h.p, h.len);
	quar_rc4(s1.p, s1.p, s1.len);
	quar_rc4(s2.p, s2.p, s2.len);
	put(&out, h.p, h.len);
	put(&out, s1.p, s1.len);
	put(&out, s2.p, s2.len);
	free(h.p);
	free(s1.p);
	free(s2.p);
	free(offs);
	return out;
}

static struct buf resource_data(const void *payload, size_t n, uint64_t size_override)
{
	struct buf b = { 0 };
	uint8_t sd[24] = { 1, 0, 4, 0x80 };

	put32(&b, 0);
	put32(&b, 0);
	put32(&b, sizeof(sd));
	put32(&b, 0);
	put32(&b, 0);
	put(&b, sd, sizeof(sd));
	put32(&b, 1);                           /* DATA */
	put32(&b, 0);
	put64(&b, size_override ? size_override : n);
	put32(&b, 0);
	put(&b, payload, n);
	quar_rc4(b.p, b.p, b.len);
	return b;
}

static void test_entry_round_trip(void **state)
{
	const char *paths[] = { "\\\\?\\C:\\Users\\op\\Downloads\\evil.exe", "C:\\Temp\\second.dll" };
	struct buf b = entry("Trojan:Win32/Test.A!ml", paths, 2, 0, 0);
	struct quar_entry e;
	struct ks_err err;
	char iso[24];
	(void)state;

	assert_int_equal(quar_entry_parse(b.p, b.len, &e, &err), 0);
	assert_string_equal(e.detection, "Trojan:Win32/Test.A!ml");
	assert_int_equal(e.id[0], 0xA0);
	assert_int_equal(e.id[15], 0xAF);
	assert_int_equal(e.threat_id, 2147519003ull);
	quar_filetime_iso(e.time, iso, sizeof(iso));
	assert_string_equal(iso, "2022-06-18T04:26:40Z");
	assert_int_equal(e.n, 2);
	assert_false(e.truncated);
	assert_string_equal(e.v[0].path, "C:\\Users\\op\\Downloads\\evil.exe");
	assert_string_equal(e.v[0].type, "file");
	assert_true(e.v[0].has_id);
	assert_string_equal(e.v[0].id, "AB0102030405060708090A0B0C0D0E0F101112CD");
	assert_true(e.v[0].has_ctime);
	assert_int_equal(e.v[0].ctime, 132000000000000000ull);
	assert_false(e.v[0].has_mtime);
	assert_string_equal(e.v[1].path, "C:\\Temp\\second.dll");
	quar_entry_release(&e);
	quar_entry_release(&e);   /* twice is safe */
	free(b.p);
}

static void payload_round_trip(size_t n)
{
	uint8_t *data = xmalloc(n ? n : 1);
	unsigned char *out;
	size_t len;
	struct ks_err err;
	struct buf b;

	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	b = resource_data(data, n, 0);
	assert_int_equal(quar_resource_decode(b.p, b.len, &out, &len, &err), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, data, n ? n : 0);
	free(out);
	free(b.p);
	free(data);
}

static void test_payload_sizes(void **state)
{
	(void)state;
	payload_round_trip(0);
	payload_round_trip(1);
	payload_round_trip(100000);
}

/* Our key stream is RC4's: OpenSSL's, through the legacy provider. */
static void test_rc4_matches_openssl(void **state)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *legacy = ctx ? OSSL_PROVIDER_load(ctx, "legacy") : NULL;
	EVP_CIPHER *rc4 = legacy ? EVP_CIPHER_fetch(ctx, "RC4", NULL) : NULL;
	uint8_t in[300], ours[300], theirs[300 + 16];
	int l1 = 0, l2 = 0;
	(void)state;

	if (!rc4) {
		OSSL_PROVIDER_unload(legacy);
		OSSL_LIB_CTX_free(ctx);
		skip();
	}
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	quar_rc4(in, ours, sizeof(in));
	/* the key as tools/mkquarantine has it: a typo in either copy of
	 * the key shows here too */
	{
		static const uint8_t k[256] = {
#include "../tools/quarantine_key.inc"
		};
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		assert_int_equal(EVP_EncryptInit_ex2(c, rc4, NULL, NULL, NULL), 1);
		assert_int_equal(EVP_CIPHER_CTX_set_key_length(c, 256), 1);
		assert_int_equal(EVP_EncryptInit_ex2(c, NULL, k, NULL, NULL), 1);
		assert_int_equal(EVP_EncryptUpdate(c, theirs, &l1, in, sizeof(in)), 1);
		assert_int_equal(EVP_EncryptFinal_ex(c, theirs + l1, &l2), 1);
		EVP_CIPHER_CTX_free(c);
	}
	assert_int_equal(l1 + l2, (int)sizeof(in));
	assert_memory_equal(ours, theirs, sizeof(in));
	EVP_CIPHER_free(rc4);
	OSSL_PROVIDER_unload(legacy);
	OSSL_LIB_CTX_free(ctx);
}

static void expect_entry_error(const uint8_t *p, size_t n, const char *needle)
{
	struct quar_entry e;
	struct ks_err err;

	assert_int_equal(quar_entry_parse(p, n, &e, &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
	assert_null(e.v);
	assert_null(e.detection);
}

static void test_hostile_entries(void **state)
{
	const char *paths[] = { "C:\\x.exe" };
	struct buf b = entry("T", paths, 1, 0, 0);
	struct buf huge = entry("T", paths, 1, 0x7FFFFFFF, 0), past = entry("T", paths, 1, 0, 100000);
	uint8_t rnd[4096];
	(void)state;

	for (size_t k = 0; k < 60; k++)
		expect_entry_error(b.p, k, "shorter than");
	for (size_t k = 60; k < b.len; k++) {     /* every truncation of the sections */
		struct quar_entry e;
		struct ks_err err;
		assert_int_equal(quar_entry_parse(b.p, k, &e, &err), -1);
	}
	expect_entry_error(huge.p, huge.len, "beyond");
	expect_entry_error(past.p, past.len, "run past");
	/* a wrong key: random bytes decrypt to nonsense lengths */
	srand(16);
	for (int round = 0; round < 200; round++) {
		struct quar_entry e;
		struct ks_err err;
		size_t n = (size_t)(rand() % (int)sizeof(rnd));
		for (size_t i = 0; i < n; i++)
			rnd[i] = (uint8_t)rand();
		if (quar_entry_parse(rnd, n, &e, &err) == 0)
			quar_entry_release(&e);
	}
	free(b.p);
	free(huge.p);
	free(past.p);
}

/* Section 2 built by hand: count and offsets as given. */
static struct buf entry_s2(const struct buf *s2plain)
{
	struct buf h = { 0 }, s1 = { 0 }, s2 = { 0 }, out = { 0 };
	uint8_t zero[0x34] = { 0 };

	put(&s1, zero, sizeof(zero));
	put(&s1, "Name", 5);
	put(&s2, s2plain->p, s2plain->len);
	for (int i = 0; i < 40; i++)
		put(&h, "", 1);
	put32(&h, (uint32_t)s1.len);
	put32(&h, (uint32_t)s2.len);
	for (int i = 0; i < 12; i++)
		put(&h, "", 1);
	quar_rc4(h.p, h.p, h.len);
	quar_rc4(s1.p, s1.p, s1.len);
	quar_rc4(s2.p, s2.p, s2.len);
	put(&out, h.p, h.len);
	put(&out, s1.p, s1.len);
	put(&out, s2.p, s2.len);
	free(h.p);
	free(s1.p);
	free(s2.p);
	return out;
}

static void expect_damage(const struct buf *s2, const char *needle)
{
	struct buf b = entry_s2(s2);
	struct quar_entry e;
	struct ks_err err;

	assert_int_equal(quar_entry_parse(b.p, b.len, &e, &err), 0);
	assert_int_equal(e.n, 0);
	assert_true(e.truncated);
	if (!strstr(e.damage, needle))
		fail_msg("'%s' does not say '%s'", e.damage, needle);
	assert_string_equal(e.detection, "Name");
	quar_entry_release(&e);
	free(b.p);
}

static void test_hostile_resources(void **state)
{
	struct buf s2 = { 0 };
	(void)state;

	/* an offset outside section 2 */
	put32(&s2, 1);
	put32(&s2, 0x10000);
	expect_damage(&s2, "outside section 2");
	/* a path without terminator */
	s2.len = 0;
	put32(&s2, 1);
	put32(&s2, 8);
	put_wstr(&s2, "C:\\no-end", false);
	expect_damage(&s2, "no terminator");
	/* an odd byte at the end: UTF-16 cut in the middle */
	put(&s2, "A", 1);
	expect_damage(&s2, "no terminator");
	/* path, but no field count */
	s2.len = 8;
	put_wstr(&s2, "C:\\a", true);
	expect_damage(&s2, "field count");
	/* a type without NUL */
	s2.len = 8;
	put_wstr(&s2, "C:\\a", true);
	put16(&s2, 1);
	put(&s2, "file", 4);
	expect_damage(&s2, "type has no terminator");
	/* a field longer than the section */
	s2.len = 8;
	put_wstr(&s2, "C:\\a", true);
	put16(&s2, 1);
	put(&s2, "file", 5);
	align4(&s2);
	put16(&s2, 0xFFFF);
	put16(&s2, 0x4002);
	expect_damage(&s2, "longer than section 2");
	/* more fields than there are */
	s2.len = 8;
	put_wstr(&s2, "C:\\a", true);
	put16(&s2, 500);
	put(&s2, "file", 5);
	expect_damage(&s2, "outside section 2");
	/* a count larger than the offsets present */
	s2.len = 0;
	put32(&s2, 1000);
	put32(&s2, 8);
	{
		struct buf b = entry_s2(&s2);
		expect_entry_error(b.p, b.len, "more than its section 2 holds");
		free(b.p);
	}
	/* a resource id of the wrong size is not an id; a short time is no time */
	s2.len = 0;
	put32(&s2, 1);
	put32(&s2, 8);
	put_wstr(&s2, "C:\\a", true);
	put16(&s2, 2);
	put(&s2, "file", 5);
	field(&s2, 0x02, 4, sha1, 19);
	field(&s2, 0x11, 6, sha1, 4);
	{
		struct buf b = entry_s2(&s2);
		struct quar_entry e;
		struct ks_err err;
		assert_int_equal(quar_entry_parse(b.p, b.len, &e, &err), 0);
		assert_int_equal(e.n, 1);
		assert_false(e.v[0].has_id);
		assert_false(e.v[0].has_mtime);
		quar_entry_release(&e);
		free(b.p);
	}
	/* a physical path field replaces the resource path */
	s2.len = 0;
	put32(&s2, 1);
	put32(&s2, 8);
	put_wstr(&s2, "C:\\short", true);
	put16(&s2, 1);
	put(&s2, "file", 5);
	{
		struct buf w = { 0 };
		put_wstr(&w, "\\\\?\\C:\\Long Path\\real.exe", true);
		field(&s2, 0x0C, 2, w.p, (uint16_t)w.len);
		free(w.p);
	}
	{
		struct buf b = entry_s2(&s2);
		struct quar_entry e;
		struct ks_err err;
		assert_int_equal(quar_entry_parse(b.p, b.len, &e, &err), 0);
		assert_int_equal(e.n, 1);
		assert_string_equal(e.v[0].path, "C:\\Long Path\\real.exe");
		quar_entry_release(&e);
		free(b.p);
	}
	free(s2.p);
}

static void test_hostile_resource_data(void **state)
{
	uint8_t d[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, rnd[2048];
	struct buf past = resource_data(d, sizeof(d), 1ull << 40), ok = resource_data(d, sizeof(d), 0);
	unsigned char *out;
	size_t len;
	struct ks_err err;
	(void)state;

	assert_int_equal(quar_resource_decode(past.p, past.len, &out, &len, &err), -1);
	assert_non_null(strstr(err.msg, "runs past its end"));
	assert_null(out);
	for (size_t k = 0; k < ok.len; k++) {    /* every truncation */
		assert_int_equal(quar_resource_decode(ok.p, k, &out, &len, &err), -1);
		assert_null(out);
	}
	/* a descriptor length past the end */
	{
		uint8_t h[0x20] = { 0 };
		set32(h + 8, 0xFFFFFFF0u);
		quar_rc4(h, h, sizeof(h));
		assert_int_equal(quar_resource_decode(h, sizeof(h), &out, &len, &err), -1);
		assert_non_null(strstr(err.msg, "security descriptor"));
	}
	/* no DATA stream */
	{
		uint8_t h[0x14 + 20] = { 0 };
		set32(h + 0x14, 3);
		quar_rc4(h, h, sizeof(h));
		assert_int_equal(quar_resource_decode(h, sizeof(h), &out, &len, &err), -1);
		assert_non_null(strstr(err.msg, "no data stream"));
	}
	srand(1616);
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(rand() % (int)sizeof(rnd));
		for (size_t i = 0; i < n; i++)
			rnd[i] = (uint8_t)rand();
		if (quar_resource_decode(rnd, n, &out, &len, &err) == 0) {
			assert_true(len <= n);
			free(out);
		}
	}
	free(past.p);
	free(ok.p);
}

static void test_filetime(void **state)
{
	char b[24];
	(void)state;

	quar_filetime_iso(0, b, sizeof(b));
	assert_string_equal(b, "");
	quar_filetime_iso(116444736000000000ull, b, sizeof(b));
	assert_string_equal(b, "1970-01-01T00:00:00Z");
	quar_filetime_iso(UINT64_MAX, b, sizeof(b));
	assert_string_equal(b, "");
}

static void *slurp_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *d = NULL;
	size_t cap = 0;

	assert_non_null(f);
	*n = 0;
	for (int c; (c = fgetc(f)) != EOF;) {
		if (*n == cap)
			d = xrealloc(d, cap = cap * 2 + 256);
		d[(*n)++] = (uint8_t)c;
	}
	fclose(f);
	return d;
}

/* Files tools/mkquarantine wrote with OpenSSL's RC4 read back here. */
static void test_mkquarantine_files(void **state)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char dir[] = "/tmp/kenshu-test-quarantine-XXXXXX", *cmd, *path;
	struct quar_entry e;
	struct ks_err err;
	unsigned char *out;
	size_t n, len;
	uint8_t *d;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/payload", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("payload bytes", f);
	fclose(f);
	cmd = xasprintf("'%s/mkquarantine' -time 116444736000000000 '%s/Q' 'Trojan:Win32/Tool' "
			"'C:\\ProgramData\\t.exe' '%s' >'%s/ids'", tools ? tools : "build/tools", dir, path, dir);
	if (system(cmd) != 0)
		fail_msg("mkquarantine failed: %s", cmd);
	free(cmd);
	free(path);
	/* the tool prints the GUID and the id it named the files by */
	cmd = xasprintf("%s/ids", dir);
	d = slurp_file(cmd, &n);
	free(cmd);
	{
		char guid[64], id[64];
		d = xrealloc(d, n + 1);
		d[n] = 0;
		assert_int_equal(sscanf((char *)d, "%63s %63s", guid, id), 2);
		free(d);
		path = xasprintf("%s/Q/Entries/%s", dir, guid);
		d = slurp_file(path, &n);
		free(path);
		assert_int_equal(quar_entry_parse(d, n, &e, &err), 0);
		free(d);
		assert_string_equal(e.detection, "Trojan:Win32/Tool");
		assert_int_equal(e.time, 116444736000000000ull);
		assert_int_equal(e.n, 1);
		assert_string_equal(e.v[0].path, "C:\\ProgramData\\t.exe");
		assert_string_equal(e.v[0].id, id);
		path = xasprintf("%s/Q/ResourceData/%.2s/%s", dir, id, id);
		quar_entry_release(&e);
	}
	d = slurp_file(path, &n);
	free(path);
	assert_int_equal(quar_resource_decode(d, n, &out, &len, &err), 0);
	assert_int_equal(len, strlen("payload bytes"));
	assert_memory_equal(out, "payload bytes", len);
	free(out);
	free(d);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_round_trip),
		cmocka_unit_test(test_payload_sizes),
		cmocka_unit_test(test_rc4_matches_openssl),
		cmocka_unit_test(test_hostile_entries),
		cmocka_unit_test(test_hostile_resources),
		cmocka_unit_test(test_hostile_resource_data),
		cmocka_unit_test(test_filetime),
		cmocka_unit_test(test_mkquarantine_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <kenshu/banned.h>
