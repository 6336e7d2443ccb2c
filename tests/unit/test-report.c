/* Report writers: escaping of hostile names, ordering, atomic save. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>
#include <json-c/json.h>

/* The error record the calls under test fill; said: its message. */
static struct ks_err kerr;
#define said (kerr.msg)

#include <kenshu/av.h>
#include <kenshu/output.h>
#include <kenshu/drift.h>
#include <kenshu/core.h>
#include <kenshu/policy.h>
#include <kenshu/report.h>
#include "engine.h"



static char tmpdir[] = "/tmp/kenshu-test-report-XXXXXX";
static struct av *av;

static const char hostile[] = "/Users/<img src=x onerror=alert(1)>\"q\"\\back\nline\t\x01\x7f/"
			      "\xE8\xA8\xAD\xE5\xAE\x9A.exe";

static int setup(void **state)
{
	av = test_engine_open(tmpdir, (const struct test_db_file[]){ { "t.ndb", TEST_NDB_LINE } }, 1);
	return av ? 0 : -1;
}

static int teardown(void **state)
{
	return test_engine_close(av, tmpdir);
}

static void fill(struct report *r)
{
	report_init(r);
	scan_engine_facts(av, &r->engine);   /* what a scan records */
	r->image_path = xstrdup("/tmp/x.img");
	r->image_format = xstrdup("raw");
	r->scheme = xstrdup("gpt");
	r->disk_guid = xstrdup("");
	memset(r->sha256_before, 'a', 64);
	memset(r->sha256_after, 'a', 64);
	/* Added out of order on purpose: workers finish in any order. */
	report_add_detection(r, 2, "/z.exe", "", "Sig.B", "00", 1);
	report_add_detection(r, 2, hostile, "ads", "Sig.A", "11", 2);
	report_add_detection(r, 1, "/a.exe", "", "Sig.C", "22", 3);
	report_add_skip(r, 2, "/big.bin", "", "too big", 5);
	report_add_file(r, 2, hostile, "ads", 2, "11", 0, NULL, "detected");
	report_add_file(r, 1, "/a.exe", "", 3, "22", 0, NULL, "detected");
	report_finish(r);
	/* The verdict is the shipped default profile's. */
	struct ks_err err;
	struct profile *p;
	assert_int_equal(profile_load("default", &p, &err), 0);
	policy_apply(p, r);
	profile_free(p);
}

static json_object *parse_file(const char *path)
{
	json_object *o = json_object_from_file(path);

	assert_non_null(o);
	return o;
}

static void ordering_and_verdict(void **state)
{
	struct report r;

	fill(&r);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	assert_int_equal(r.det[0].volume, 1);
	assert_string_equal(r.det[1].path, hostile);
	assert_string_equal(r.det[2].path, "/z.exe");
	report_release(&r);
}

static void json_escapes_and_round_trips(void **state)
{
	struct report r;
	char *path = xasprintf("%s/r.json", tmpdir);
	FILE *f = fopen(path, "w");
	char buf[65536];

	fill(&r);
	assert_int_equal(report_write_json(&r, f), 0);
	fclose(f);
	f = fopen(path, "r");
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	/* Control characters never appear raw; quotes and backslashes are escaped. */
	assert_null(strchr(buf, '\x01'));
	assert_non_null(strstr(buf, "\\\"q\\\""));
	assert_non_null(strstr(buf, "\\\\back\\nline\\t\\u0001"));
	/* Japanese stays readable UTF-8. */
	assert_non_null(strstr(buf, "\xE8\xA8\xAD\xE5\xAE\x9A.exe"));

	json_object *o = parse_file(path), *dets, *d, *v;
	assert_true(json_object_object_get_ex(o, "detections", &dets));
	assert_int_equal(json_object_array_length(dets), 3);
	d = json_object_array_get_idx(dets, 1);
	assert_true(json_object_object_get_ex(d, "path", &v));
	assert_string_equal(json_object_get_string(v), hostile);
	/* The malware finding on the stream names it beside the file. */
	json_object *fnd, *e;
	size_t on_stream = 0;
	assert_true(json_object_object_get_ex(o, "findings", &fnd));
	for (size_t i = 0; i < json_object_array_length(fnd); i++) {
		assert_true(json_object_object_get_ex(json_object_array_get_idx(fnd, i), "evidence", &e));
		if (!json_object_object_get_ex(e, "path", &v) || strcmp(json_object_get_string(v), hostile) != 0) {
			assert_false(json_object_object_get_ex(e, "stream", &v));
			continue;
		}
		assert_true(json_object_object_get_ex(e, "stream", &v));
		assert_string_equal(json_object_get_string(v), "ads");
		assert_true(json_object_object_get_ex(e, "sha256", &v));
		assert_string_equal(json_object_get_string(v), "11");
		on_stream++;
	}
	assert_int_equal(on_stream, 1);
	assert_true(json_object_object_get_ex(o, "verdict", &v));
	assert_string_equal(json_object_get_string(v), "FAIL");
	assert_true(json_object_object_get_ex(o, "schema_version", &v));
	assert_string_equal(json_object_get_string(v), REPORT_SCHEMA_VERSION);
	json_object_put(o);
	report_release(&r);
	free(path);
}

static void manifest_one_valid_line_per_stream(void **state)
{
	struct report r;
	char *path = xasprintf("%s/m.jsonl", tmpdir);
	FILE *f = fopen(path, "w");
	char line[8192];
	int lines = 0;

	fill(&r);
	assert_int_equal(report_write_manifest(&r, f), 0);
	fclose(f);
	f = fopen(path, "r");
	while (fgets(line, sizeof(line), f)) {
		json_object *o = json_tokener_parse(line), *v;
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "sha256", &v));
		lines++;
		json_object_put(o);
	}
	fclose(f);
	assert_int_equal(lines, 2);
	report_release(&r);
	free(path);
}

static void same_input_same_bytes(void **state)
{
	struct report a, b;
	char *pa = NULL, *pb = NULL;
	size_t na = 0, nb = 0;
	FILE *fa = open_memstream(&pa, &na), *fb = open_memstream(&pb, &nb);

	fill(&a);
	fill(&b);
	assert_int_equal(report_write_json(&a, fa), 0);
	assert_int_equal(report_write_json(&b, fb), 0);
	fclose(fa);
	fclose(fb);
	assert_int_equal(na, nb);
	assert_memory_equal(pa, pb, na);
	free(pa);
	free(pb);
	report_release(&a);
	report_release(&b);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || (de->d_name[1] && de->d_name[1] != '.'))
			n++;
	closedir(d);
	return n;
}

static void save_is_whole_or_absent(void **state)
{
	struct report r;
	char *dir = xasprintf("%s/out/nested", tmpdir);
	char *blocker = xasprintf("%s/blocker", tmpdir);
	char *bad = xasprintf("%s/blocker/sub", tmpdir);
	struct stat st;

	fill(&r);
	assert_int_equal(report_save(&r, NULL, dir, &kerr), 0);
	assert_int_equal(count_entries(dir), 4);   /* no temporary files left */
	char *j = xasprintf("%s/report.json", dir);
	assert_int_equal(stat(j, &st), 0);
	free(j);

	FILE *f = fopen(blocker, "w");
	fclose(f);
	assert_int_equal(report_save(&r, NULL, bad, &kerr), -1);
	/* One line naming the directory and the reason. */
	assert_int_equal(said[0], '\'');
	assert_int_equal(kerr.code, KS_EIO);
	assert_non_null(strstr(said, "blocker/sub': cannot create report directory: Not a directory"));
	report_release(&r);
	free(dir);
	free(blocker);
	free(bad);
}

/* --meta entries as the "case" object in key order, and the scanning
 * host, in report.json and in report.txt's header. */
static void case_and_host(void **state)
{
	struct report r;
	struct ks_err err;
	char *buf = NULL;
	size_t n = 0;
	json_object *root, *c, *scan, *v;
	FILE *f;

	fill(&r);
	r.host = xstrdup("acceptance-ws01");
	assert_int_equal(case_meta_add(&r.meta, "vendor=Acme Präzision", &err), 0);
	assert_int_equal(case_meta_add(&r.meta, "po=4500012345", &err), 0);
	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_json(&r, f), 0);
	fclose(f);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "case", &c));
	assert_string_equal(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			    "{\"po\":\"4500012345\",\"vendor\":\"Acme Präzision\"}");
	assert_true(json_object_object_get_ex(root, "scan", &scan));
	assert_true(json_object_object_get_ex(scan, "host", &v));
	assert_string_equal(json_object_get_string(v), "acceptance-ws01");
	json_object_put(root);
	free(buf);

	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_text(&r, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "acceptance scan\n\nCase:       po: 4500012345\n"
				    "            vendor: Acme Präzision\n\nVERDICT: "));
	assert_non_null(strstr(buf, "\nHost:       acceptance-ws01\n"));
	free(buf);
	report_release(&r);

	/* No --meta: an empty object, so readers need not test for it. */
	fill(&r);
	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_json(&r, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\n  \"case\": {\n  },\n"));
	free(buf);
	report_release(&r);
}

static struct cert_store_entry *cert(struct os_info *os, const char *scope, const char *user, const char *store,
				     char c, const char *subject)
{
	struct cert_store_list *l = &os->certstores;
	struct cert_store_entry *e;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->scope = scope;
	e->user = user ? xstrdup(user) : NULL;
	e->store = store;
	memset(e->cert.sha1, c, 40);
	e->thumbprint = xstrdup(e->cert.sha1);
	e->key = xasprintf("HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\%s\\Certificates\\%s", store, e->thumbprint);
	if (subject) {
		e->parsed = true;
		e->thumbprint_matches = true;
		e->cert.subject = xstrdup(subject);
		e->cert.issuer = xstrdup(subject);
		e->cert.self_signed = true;
		strcpy(e->cert.not_before, "2020-01-01T00:00:00Z");
		strcpy(e->cert.not_after, "2040-01-01T00:00:00Z");
	} else {
		e->error = xstrdup("property 32 length 65535 past the end");
	}
	return e;
}

/* os[].certificate_stores in report.json with every documented key, and
 * the report.txt section listing what a person must look at. */
static void certificate_stores_written(void **state)
{
	struct report r;
	struct os_info os;
	char *buf = NULL;
	size_t n = 0;
	json_object *root, *arr, *e, *v;
	FILE *f;

	fill(&r);
	memset(&os, 0, sizeof(os));
	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	os.family = xstrdup("Windows 7");
	cert(&os, "machine", NULL, "ROOT", 'a', "CN=Program Root")->in_root_program = true;
	cert(&os, "machine", NULL, "ROOT", 'b', "CN=Vendor Proxy Root");
	cert(&os, "machine", NULL, "CA", 'c', NULL);
	cert(&os, "machine", NULL, "TrustedPublisher", 'd', "CN=Example Press Machinery KK")->cert.code_signing_eku = true;
	cert(&os, "machine", NULL, "Disallowed", 'e', "CN=Revoked CA");
	struct cert_store_entry *m = cert(&os, "user", "operator", "Root", 'f', "CN=User Root");
	free(m->thumbprint);
	m->thumbprint = xstrdup("0000");
	m->thumbprint_matches = false;
	os.certstores.marked = true;
	os.certstores.anchors_builtin = true;
	os.certstores.anchors_name = xstrdup("microsoft-root-program.pem");
	report_add_os(&r, &os);
	report_finish(&r);

	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_json(&r, f), 0);
	fclose(f);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "schema_version", &v));
	assert_string_equal(json_object_get_string(v), "1.5");
	assert_true(json_object_object_get_ex(root, "os", &arr));
	json_object *o = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(o, "certificate_stores_anchors", &v));
	assert_string_equal(json_object_get_string(v), "microsoft-root-program.pem");
	assert_true(json_object_object_get_ex(o, "certificate_stores_truncated", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "certificate_stores", &arr));
	assert_int_equal(json_object_array_length(arr), 6);
	static const char *const keys[] = { "scope", "user", "store", "key", "thumbprint", "sha1", "subject", "issuer",
					    "friendly_name", "not_before", "not_after", "code_signing", "self_signed",
					    "in_root_program", "windows_required", "added_root", "thumbprint_matches",
					    "error" };
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		assert_int_equal(json_object_object_length(e), sizeof(keys) / sizeof(keys[0]));
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!json_object_object_get_ex(e, keys[k], &v))
				fail_msg("entry %zu lacks %s", i, keys[k]);
	}
	e = json_object_array_get_idx(arr, 1);   /* the proxy root */
	assert_true(json_object_object_get_ex(e, "added_root", &v) && json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(e, "in_root_program", &v) && !json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(e, "not_after", &v));
	assert_string_equal(json_object_get_string(v), "2040-01-01T00:00:00Z");
	e = json_object_array_get_idx(arr, 2);   /* damaged: certificate fields null */
	assert_true(json_object_object_get_ex(e, "sha1", &v) && v == NULL);
	assert_true(json_object_object_get_ex(e, "in_root_program", &v) && v == NULL);
	assert_true(json_object_object_get_ex(e, "code_signing", &v) && v == NULL);
	assert_true(json_object_object_get_ex(e, "error", &v));
	assert_non_null(strstr(json_object_get_string(v), "past the end"));
	e = json_object_array_get_idx(arr, 5);
	assert_true(json_object_object_get_ex(e, "user", &v));
	assert_string_equal(json_object_get_string(v), "operator");
	json_object_put(root);
	free(buf);

	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_text(&r, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\nCertificate stores [vol 2]: 6 entries, 2 roots not in Microsoft's root program\n"
				    "  machine ROOT: 2\n  machine CA: 1\n  machine TrustedPublisher: 1\n"
				    "  machine Disallowed: 1\n  user operator Root: 1\n"));
	assert_non_null(strstr(buf, "  ADDED ROOT  machine ROOT  CN=Vendor Proxy Root\n"));
	assert_non_null(strstr(buf, "  DAMAGED     machine CA  cccc"));
	assert_non_null(strstr(buf, "  PUBLISHER   machine TrustedPublisher  CN=Example Press Machinery KK\n"));
	assert_non_null(strstr(buf, ", code signing\n"));
	assert_non_null(strstr(buf, "  DISALLOWED  machine Disallowed  CN=Revoked CA\n"));
	assert_non_null(strstr(buf, "  ADDED ROOT  user operator Root  CN=User Root\n"));
	assert_non_null(strstr(buf, "stored under key 0000, not its SHA-1\n"));
	assert_null(strstr(buf, "CN=Program Root\n"));   /* a root of the program is only counted */
	free(buf);
	report_release(&r);

	/* Unmarked stores: listed, the roots said not to be checked. */
	fill(&r);
	memset(&os, 0, sizeof(os));
	os.volume = 3;
	cert(&os, "machine", NULL, "ROOT", 'b', "CN=Vendor Proxy Root");
	report_add_os(&r, &os);
	report_finish(&r);
	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_text(&r, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "Certificate stores [vol 3]: 1 entries, roots not checked (no trust anchors)\n"));
	assert_null(strstr(buf, "ADDED ROOT"));
	free(buf);
	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_json(&r, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"in_root_program\": null"));
	assert_non_null(strstr(buf, "\"certificate_stores_anchors\": null"));
	free(buf);
	report_release(&r);
}

/* With a baseline, the changes come right after what decided the verdict:
 * in report.txt after the summary and the findings and before the
 * inventory, in
 * report.html right after the decisive findings; without one, not at all. */
static void drift_placement(void **state)
{
	struct report r;
	struct drift d = { 0 };
	char dir[] = "reports/v1", verdict[] = "PASS", *buf = NULL;
	size_t n = 0;
	FILE *f;

	fill(&r);
	d.old.dir = dir;
	d.old.verdict = verdict;
	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_text(&r, f), 0);
	fclose(f);
	assert_null(strstr(buf, "Changes since the baseline"));
	free(buf);

	r.drift = &d;
	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_text(&r, f), 0);
	fclose(f);
	char *findings = strstr(buf, "\nFindings:"), *changes = strstr(buf, "\nChanges since the baseline\n");
	char *image = strstr(buf, "\nImage:"), *skipped = strstr(buf, "\nNot fully scanned:");
	assert_non_null(findings);
	assert_non_null(changes);
	assert_non_null(image);
	assert_non_null(skipped);
	assert_true(image < findings && findings < changes && changes < skipped);
	assert_non_null(strstr(changes, "\nNo changes since the baseline.\n\nNot fully scanned:"));
	free(buf);

	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_html(&r, f), 0);
	fclose(f);
	char *fs = strstr(buf, "<section id=\"findings\">"), *ds = strstr(buf, "<section id=\"drift\"");
	char *det = strstr(buf, "<section id=\"detections\">");
	assert_non_null(fs);
	assert_non_null(ds);
	assert_non_null(det);
	assert_true(fs < ds && ds < det);
	free(buf);
	/* d is this test's, not the report's to free. */
	r.drift = NULL;
	report_release(&r);
}

/* report.txt: the summary (verdict, image, detections) first, then what
 * decided the verdict, the inventory, and only then the findings for
 * information; every finding once. */
static void text_summary_first_info_last(void **state)
{
	struct report r;
	char *buf = NULL;
	size_t n = 0, ninfo = 0;
	FILE *f;

	fill(&r);
	f = open_memstream(&buf, &n);
	assert_int_equal(report_write_text(&r, f), 0);
	fclose(f);
	const char *order[] = { "\nVERDICT:", "\nImage:", "\nSHA-256:", "\nDetections: 3\n", "\nFindings:",
				"\nNot fully scanned:", "\nVolumes:", "\nFor information only", "\nScanned:" };
	const char *at = buf;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *p = strstr(at, order[i]);
		if (!p)
			fail_msg("'%s' missing or out of order in:\n%s", order[i], buf);
		at = p;
	}
	const char *info = strstr(buf, "\nFor information only");
	for (size_t i = 0; i < r.nfindings; i++) {
		const struct rep_finding *x = &r.findings[i];
		const char *p = strstr(buf, x->message);
		assert_non_null(p);
		assert_null(strstr(p + 1, x->message));
		if (!x->waiver && x->severity == SEV_INFO) {
			ninfo++;
			assert_true(p > info);
		} else {
			assert_true(p < info);
		}
	}
	assert_true(ninfo > 0);   /* the test database is no official one: signature-missing */
	/* Both profile hashes, labelled as report.html labels them. */
	char *pf = xasprintf("\n            profile file SHA-256 %s\n", r.profile_sha256);
	char *pe = xasprintf("\n            effective profile SHA-256 %s\n", r.profile_effective_sha256);
	assert_non_null(strstr(buf, pf));
	assert_non_null(strstr(buf, pe));
	assert_int_equal(strlen(r.profile_sha256), 64);
	free(pf);
	free(pe);
	char want[64];
	snprintf(want, sizeof(want), "; %zu for information only (listed at the end)\n", ninfo);
	assert_non_null(strstr(buf, want));
	free(buf);
	report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ordering_and_verdict),
		cmocka_unit_test(json_escapes_and_round_trips),
		cmocka_unit_test(manifest_one_valid_line_per_stream),
		cmocka_unit_test(same_input_same_bytes),
		cmocka_unit_test(save_is_whole_or_absent),
		cmocka_unit_test(case_and_host),
		cmocka_unit_test(drift_placement),
		cmocka_unit_test(certificate_stores_written),
		cmocka_unit_test(text_summary_first_info_last),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
