/* --export: findings.csv (RFC 4180, formula cells neutralised) and
 * stix.json (a STIX 2.1 bundle, deterministic ids), from a report built
 * by hand with hostile values. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include <kenshu/av.h>
#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/rules.h>
#include <kenshu/output.h>
#include "engine.h"

static char tmpdir[] = "/tmp/kenshu-test-export-XXXXXX";
static struct av *av;

/* A one-signature database: the report writers name the engine. */
static int setup(void **state)
{
	av = test_engine_open(tmpdir, (const struct test_db_file[]){ { "t.ndb", TEST_NDB_LINE } }, 1);
	return av ? 0 : -1;
}

static int teardown(void **state)
{
	return test_engine_close(av, tmpdir);
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_C "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"

static const char evil_path[] = "/Users/a,b \"q\"\r\nline/\xE8\xA8\xAD\xE5\xAE\x9A.exe";
static const char formula[] = "=cmd|' /C calc'!A0";

static void finding(struct report *r, const char *rule, enum severity sev, const char *msg,
		    unsigned vol, const char *path, const char *value, const char *version,
		    const char *sha, const char *waiver)
{
	struct rep_finding *f = &r->findings[r->nfindings++];

	f->rule = rule;
	f->severity = sev;
	f->message = xstrdup(msg);
	f->volume = vol;
	f->path = path ? xstrdup(path) : NULL;
	/* "/x/@evil.dll" holds its detection in a stream */
	f->stream = path && !strcmp(path, "/x/@evil.dll") ? xstrdup("ads") : NULL;
	f->value = value ? xstrdup(value) : NULL;
	f->version = version ? xstrdup(version) : NULL;
	f->sha256 = sha ? xstrdup(sha) : NULL;
	f->waiver = waiver ? xstrdup(waiver) : NULL;
}

static void build(struct report *r)
{
	report_init(r);
	scan_engine_facts(av, &r->engine);   /* what a scan records */
	r->image_path = xstrdup("/srv/in/\xE6\x97\xA5\xE6\x9C\xAC,\"disk\".img");
	r->image_format = xstrdup("raw");
	r->scheme = xstrdup("gpt");
	r->disk_guid = xstrdup("");
	r->image_size = 1 << 20;
	memcpy(r->sha256_before, SHA_A, 64);
	memcpy(r->sha256_after, SHA_A, 64);
	snprintf(r->started, sizeof(r->started), "2024-05-01T10:00:00Z");
	snprintf(r->finished, sizeof(r->finished), "2024-05-01T10:05:00Z");
	report_add_detection(r, 2, evil_path, "", "Win.Test.EICAR", SHA_B, 68);
	report_add_detection(r, 2, "/x/@evil.dll", "ads", "Kenshu.IOC.Hash", SHA_C, 10);
	report_add_detection(r, 1, "/bad-sha.exe", "", "Sig.C", "not-a-sha'] OR [x", 3);
	report_finish(r);
	r->findings = xcalloc(8, sizeof(*r->findings));
	finding(r, "malware", SEV_FAIL, "ClamAV found Win.Test.EICAR, \"quoted\"\nnext line", 2,
		evil_path, "Win.Test.EICAR", NULL, SHA_B, NULL);
	finding(r, "ioc-hash", SEV_FAIL, formula, 2, "/x/@evil.dll", "+feed.txt:3", NULL, SHA_C,
		"-vendor waiver");
	finding(r, "autorun-lolbin", SEV_REVIEW, "@SUM(1+1)", 2,
		"/Windows/\xE3\x82\xBF\xE3\x82\xB9\xE3\x82\xAF.exe", "\tpowershell -c x", "1.0", SHA_B, NULL);
	finding(r, "autorun-unknown", SEV_INFO, "unknown entry", 2, "/Program Files/v/v.exe", "v", NULL,
		SHA_A, NULL);
	finding(r, "autorun-target-missing", SEV_INFO, "missing", 2, "/gone.exe", NULL, NULL, NULL, NULL);
	finding(r, "ioc-hash", SEV_FAIL, "no hash: no indicator", 1, "/bad-sha.exe", "x", NULL,
		"not-a-sha'] OR [x", NULL);
	finding(r, "os-eol", SEV_REVIEW, "\rcarriage", 0, NULL, NULL, "10.0.17763", NULL, NULL);
}

static char *write_with(int (*w)(const struct report *, FILE *), const struct report *r)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	assert_int_equal(w(r, f), 0);
	fclose(f);
	return buf;
}

/* ---- a tiny RFC 4180 reader ---- */

struct row {
	char *cell[16];
	size_t n;
};

/* Reads the next record from *p; returns false at the end. */
static bool csv_read(const char **p, struct row *row)
{
	const char *s = *p;

	if (!*s)
		return false;
	row->n = 0;
	for (;;) {
		char *buf = xcalloc(strlen(s) + 1, 1);
		size_t k = 0;
		if (*s == '"') {
			for (s++;; s++) {
				assert_true(*s != '\0');   /* unterminated quote */
				if (*s == '"') {
					if (s[1] != '"')
						break;
					s++;
				}
				buf[k++] = *s;
			}
			s++;
			assert_true(*s == ',' || *s == '\r');   /* nothing after the closing quote */
		} else {
			for (; *s && *s != ',' && *s != '\r' && *s != '\n'; s++) {
				assert_true(*s != '"');   /* a bare quote must have been quoted */
				buf[k++] = *s;
			}
		}
		assert_true(row->n < 16);
		row->cell[row->n++] = buf;
		if (*s == ',') {
			s++;
			continue;
		}
		assert_true(s[0] == '\r' && s[1] == '\n');   /* CRLF record ends */
		*p = s + 2;
		return true;
	}
}

static void row_free(struct row *row)
{
	for (size_t i = 0; i < row->n; i++)
		free(row->cell[i]);
	row->n = 0;
}

/* What a cell must read back as: the value, with an apostrophe first when
 * a spreadsheet would take it for a formula. */
static void assert_cell(const char *got, const char *want)
{
	want = want ? want : "";
	if (*want && strchr("=+-@\t\r", *want)) {
		assert_int_equal(got[0], '\'');
		assert_string_equal(got + 1, want);
	} else {
		assert_string_equal(got, want);
	}
}

static void csv_round_trips(void **state)
{
	struct report r;
	build(&r);
	char *csv = write_with(report_write_csv, &r);
	const char *p = csv;
	struct row row;
	static const char *const header[] = { "image_path", "image_sha256", "rule", "severity", "message",
					      "volume", "path", "value", "version", "sha256", "waiver", "stream" };

	assert_true(csv_read(&p, &row));
	assert_int_equal(row.n, 12);
	for (size_t i = 0; i < 12; i++)
		assert_string_equal(row.cell[i], header[i]);
	row_free(&row);
	for (size_t i = 0; i < r.nfindings; i++) {
		const struct rep_finding *x = &r.findings[i];
		char vol[16] = "";
		if (x->volume)
			snprintf(vol, sizeof(vol), "%u", x->volume);
		assert_true(csv_read(&p, &row));
		assert_int_equal(row.n, 12);
		assert_cell(row.cell[0], r.image_path);
		assert_cell(row.cell[1], SHA_A);
		assert_cell(row.cell[2], x->rule);
		assert_cell(row.cell[3], severity_name(x->severity));
		assert_cell(row.cell[4], x->message);
		assert_cell(row.cell[5], vol);
		assert_cell(row.cell[6], x->path);
		assert_cell(row.cell[7], x->value);
		assert_cell(row.cell[8], x->version);
		assert_cell(row.cell[9], x->sha256);
		assert_cell(row.cell[10], x->waiver);
		assert_cell(row.cell[11], x->stream);
		row_free(&row);
	}
	assert_false(csv_read(&p, &row));

	/* The injection cells, byte for byte: an apostrophe first; quoted
	 * only when they hold a comma, quote, CR or LF. */
	assert_non_null(strstr(csv, ",'=cmd|' /C calc'!A0,"));
	assert_non_null(strstr(csv, ",'@SUM(1+1),"));
	assert_non_null(strstr(csv, ",'-vendor waiver,ads\r\n"));   /* the stream, last */
	assert_non_null(strstr(csv, ",\"'\rcarriage\","));
	free(csv);
	report_release(&r);
}

/* ---- STIX ---- */

static bool uuid5_ok(const char *u)
{
	if (strlen(u) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)u[i]) || isupper((unsigned char)u[i])) {
			return false;
		}
	}
	return u[14] == '5' && strchr("89ab", u[19]) != NULL;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		fail_msg("property '%s' missing or not a string", k);
	return json_object_get_string(v);
}

static bool has(json_object *o, const char *k)
{
	return json_object_object_get_ex(o, k, NULL);
}

static void check_id(const char *id, const char *type)
{
	size_t n = strlen(type);

	assert_int_equal(strncmp(id, type, n), 0);
	assert_int_equal(strncmp(id + n, "--", 2), 0);
	assert_true(uuid5_ok(id + n + 2));
}

static void check_timestamp(const char *t)
{
	assert_int_equal(strlen(t), 20);
	assert_true(t[4] == '-' && t[10] == 'T' && t[19] == 'Z');
}

static void stix_bundle_valid(void **state)
{
	struct report r;
	build(&r);
	char *text = write_with(report_write_stix, &r);
	json_object *b = json_tokener_parse(text), *objs, *ids = json_object_new_object();
	size_t n, nind = 0, nfile = 0, nod = 0, nident = 0;

	assert_non_null(b);
	assert_string_equal(str(b, "type"), "bundle");
	check_id(str(b, "id"), "bundle");
	assert_true(json_object_object_get_ex(b, "objects", &objs));
	n = json_object_array_length(objs);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(objs, i);
		const char *type = str(o, "type"), *id = str(o, "id");
		assert_string_equal(str(o, "spec_version"), "2.1");
		check_id(id, type);
		assert_false(has(ids, id));   /* unique */
		json_object_object_add(ids, id, json_object_get(o));
		if (strcmp(type, "file") != 0) {   /* SDOs and SROs */
			check_timestamp(str(o, "created"));
			check_timestamp(str(o, "modified"));
			assert_string_equal(str(o, "created"), r.finished);
		}
	}
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(objs, i), *v, *h;
		const char *type = str(o, "type");
		if (has(o, "created_by_ref")) {
			assert_true(has(ids, str(o, "created_by_ref")));
			assert_int_equal(strncmp(str(o, "created_by_ref"), "identity--", 10), 0);
		}
		if (!strcmp(type, "identity")) {
			nident++;
			assert_string_equal(str(o, "name"), "kenshu");
		} else if (!strcmp(type, "observed-data")) {
			nod++;
			assert_string_equal(str(o, "first_observed"), r.started);
			assert_string_equal(str(o, "last_observed"), r.finished);
			assert_true(json_object_object_get_ex(o, "number_observed", &v));
			assert_int_equal(json_object_get_int(v), 1);
			assert_true(json_object_object_get_ex(o, "object_refs", &v));
			assert_true(json_object_array_length(v) >= 1);
			for (size_t k = 0; k < json_object_array_length(v); k++)
				assert_true(has(ids, json_object_get_string(json_object_array_get_idx(v, k))));
		} else if (!strcmp(type, "file")) {
			nfile++;
			assert_true(has(o, "name") || has(o, "hashes"));
			if (json_object_object_get_ex(o, "hashes", &h)) {
				const char *sha = str(h, "SHA-256");
				assert_int_equal(strlen(sha), 64);
				for (const char *c = sha; *c; c++)
					assert_true(isxdigit((unsigned char)*c) && !isupper((unsigned char)*c));
			}
		} else if (!strcmp(type, "indicator")) {
			nind++;
			const char *pat = str(o, "pattern");
			assert_string_equal(str(o, "pattern_type"), "stix");
			assert_string_equal(str(o, "valid_from"), r.started);
			assert_int_equal(strncmp(pat, "[file:hashes.'SHA-256' = '", 26), 0);
			assert_int_equal(strlen(pat), 26 + 64 + 2);
			assert_string_equal(pat + 26 + 64, "']");
			assert_non_null(str(o, "name"));
			assert_non_null(strstr(str(o, "description"), "kenshu rule "));
			if (strstr(str(o, "description"), "@evil.dll"))
				assert_non_null(strstr(str(o, "description"), " File: /x/@evil.dll:ads"));
			assert_true(json_object_object_get_ex(o, "indicator_types", &v));
			assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)),
					    "malicious-activity");
		} else if (!strcmp(type, "relationship")) {
			assert_string_equal(str(o, "relationship_type"), "based-on");
			assert_true(has(ids, str(o, "source_ref")));
			assert_true(has(ids, str(o, "target_ref")));
		} else {
			fail_msg("unexpected object type '%s'", type);
		}
	}
	assert_int_equal(nident, 1);
	assert_int_equal(nod, 1);
	/* malware and ioc-hash with a SHA-256; not the one whose "hash" is an
	 * injection attempt, not the lolbin finding (not a detection). */
	assert_int_equal(nind, 2);
	/* The image, three detections, the lolbin target (autorun-unknown and
	 * info findings are no SCOs). */
	assert_int_equal(nfile, 5);
	assert_non_null(strstr(text, "\xE8\xA8\xAD\xE5\xAE\x9A.exe"));   /* UTF-8 kept */
	assert_null(strstr(text, "OR [x"));   /* the bad "hash" became no pattern */
	assert_non_null(strstr(text, "fedcba98"));   /* hashes lower case */

	/* Deterministic: the same report, the same bytes. */
	char *again = write_with(report_write_stix, &r);
	assert_string_equal(text, again);
	free(again);
	json_object_put(ids);
	json_object_put(b);
	free(text);
	report_release(&r);
}

/* RFC 9562 appendix: uuid5(DNS namespace, "www.example.com"). */
static void uuid5_known_answer(void **state)
{
	static const unsigned char dns[16] = { 0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
					       0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
	char u[37];

	report_uuid5(dns, "www.example.com", 15, u);
	assert_string_equal(u, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

static bool exists(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool e = stat(p, &st) == 0;

	free(p);
	return e;
}

/* Through report_save(): only when asked, beside the others, and covered
 * by report.sig. */
static void save_writes_exports(void **state)
{
	char *plain = xasprintf("%s/plain", tmpdir), *both = xasprintf("%s/both", tmpdir);
	char *keyf = xasprintf("%s/key", tmpdir), *pubf = xasprintf("%s/key.pub", tmpdir);
	char id[SIGN_KEY_ID_LEN + 1];
	struct sign_key *key, *pub;
	struct sign_check c;
	struct report r;

	build(&r);
	assert_int_equal(report_save(&r, NULL, plain, NULL), 0);
	assert_true(exists(plain, "report.json"));
	assert_false(exists(plain, "findings.csv"));
	assert_false(exists(plain, "stix.json"));

	assert_int_equal(sign_keygen(keyf, id, NULL), 0);
	assert_int_equal(sign_key_load_private(keyf, &key, NULL), 0);
	assert_int_equal(sign_key_load_public(pubf, &pub, NULL), 0);
	r.exports = REPORT_EXPORT_CSV | REPORT_EXPORT_STIX;
	assert_int_equal(report_save(&r, key, both, NULL), 0);
	assert_true(exists(both, "findings.csv"));
	assert_true(exists(both, "stix.json"));
	assert_int_equal(sign_verify_dir(both, pub, "key.pub", &c), 0);
	bool csv = false, stix = false;
	for (size_t i = 0; i < c.nfiles; i++) {
		csv |= !strcmp(c.files[i], "findings.csv");
		stix |= !strcmp(c.files[i], "stix.json");
	}
	assert_true(csv && stix);
	sign_check_release(&c);

	/* An unsigned export slipped in afterwards is caught. */
	r.exports = REPORT_EXPORT_CSV;
	assert_int_equal(report_save(&r, key, plain, NULL), 0);
	char *extra = xasprintf("%s/stix.json", both), *into = xasprintf("%s/stix.json", plain);
	assert_int_equal(rename(extra, into), 0);
	assert_int_equal(sign_verify_dir(plain, pub, "key.pub", &c), -1);
	sign_check_release(&c);
	free(extra);
	free(into);

	assert_int_equal(report_export_parse("csv"), REPORT_EXPORT_CSV);
	assert_int_equal(report_export_parse("stix"), REPORT_EXPORT_STIX);
	assert_int_equal(report_export_parse("xml"), 0);
	assert_int_equal(report_export_parse(""), 0);
	sign_key_free(key);
	sign_key_free(pub);
	report_release(&r);
	free(plain);
	free(both);
	free(keyf);
	free(pubf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csv_round_trips),
		cmocka_unit_test(uuid5_known_answer),
		cmocka_unit_test(stix_bundle_valid),
		cmocka_unit_test(save_writes_exports),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
