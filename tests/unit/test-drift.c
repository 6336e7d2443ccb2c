/* Baselines and drift: snapshot_load on hostile report directories (every
 * one refused with one error line naming the file, never a crash), a
 * seeded mutation loop, drift_compare's semantics on two hand-written
 * report directories, the clean set and the reuse check, the drift-*
 * rules of the policy over a hand-built struct drift, and the snapshot of
 * the scan in memory against the report.json written of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include <kenshu/av.h>
#include <kenshu/output.h>
#include <kenshu/drift.h>
#include <kenshu/version.h>
#include <kenshu/core.h>
#include <kenshu/policy.h>
#include <kenshu/profile.h>
#include <kenshu/report.h>
#include "engine.h"
/* White box for section E: the two builders' models, field by field. */
#include "../../scanner/drift/drift_internal.h"

static char tmp[] = "/tmp/kenshu-test-drift-XXXXXX";
static unsigned ndirs;

/* ---- helpers: files, hashes, report directories ---- */

/* A SHA-256 in hex made of one repeated digit ("aaaa..."). */
static const char *hx(char c)
{
	static char tab[16][SHA256_HEX_LEN + 1];
	int i = c >= 'a' ? c - 'a' + 10 : c - '0';

	memset(tab[i], c, SHA256_HEX_LEN);
	tab[i][SHA256_HEX_LEN] = '\0';
	return tab[i];
}

static void write_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A new empty directory under tmp; caller frees. */
static char *newdir(const char *what)
{
	char *d = xasprintf("%s/%u-%s", tmp, ndirs++, what);

	assert_int_equal(mkdir(d, 0755), 0);
	return d;
}

static void put(const char *d, const char *name, const char *buf, size_t len)
{
	char *p = xasprintf("%s/%s", d, name);

	write_file(p, buf, len);
	free(p);
}

static void puts_(const char *d, const char *name, const char *text)
{
	put(d, name, text, strlen(text));
}

/* report.json's text; NULL members take the small valid default. */
struct rj {
	const char *schema, *version, *commit, *engine, *limits, *dbs, *verdict;
	long flevel;
	const char *volumes, *os, *autoruns, *detections, *macros, *skipped, *findings;
};

static const char default_volumes[] =
	"[{\"index\":2,\"size\":1000,\"partition_type\":\"basic\",\"filesystem\":\"ntfs\",\"label\":\"OS\","
	"\"state\":\"ok\",\"scanned\":true}]";

static char *rj_text(const struct rj *x)
{
#define D(f, v) (x->f ? x->f : (v))
	return xasprintf("{\"schema_version\":\"%s\",\"tool\":{\"name\":\"kenshu\",\"version\":\"%s\",\"commit\":\"%s\"},"
			 "\"verdict\":\"%s\",\"image\":{\"path\":\"/img/gold.raw\",\"sha256_before\":\"%s\"},"
			 "\"scan\":{\"started\":\"2026-11-27T10:00:00Z\"},\"profile\":{\"name\":\"default\"},"
			 "\"engine\":{\"version\":\"%s\",\"functionality_level\":%ld,\"databases\":%s,\"limits\":%s},"
			 "\"volumes\":%s,\"os\":%s,\"autoruns\":%s,\"detections\":%s,\"macro_documents\":%s,"
			 "\"skipped\":%s,\"findings\":%s}\n",
			 D(schema, "1.0"), D(version, "0.0.0"), D(commit, "none"), D(verdict, "PASS"), hx('0'),
			 D(engine, "0.0"), x->flevel, D(dbs, "[]"), D(limits, "{}"), D(volumes, default_volumes),
			 D(os, "[]"), D(autoruns, "[]"), D(detections, "[]"), D(macros, "[]"), D(skipped, "[]"),
			 D(findings, "[]"));
#undef D
}

/* One manifest line. */
static void ml(FILE *f, unsigned vol, const char *path, const char *stream, unsigned long long size,
	       const char *sha, const char *status, const char *link_of, bool dir)
{
	fprintf(f, "{\"volume\":%u,\"path\":\"%s\",\"stream\":\"%s\",\"size\":%llu,", vol, path, stream, size);
	if (sha)
		fprintf(f, "\"sha256\":\"%s\",", sha);
	fprintf(f, "\"status\":\"%s\",", status);
	if (link_of)
		fprintf(f, "\"link_of\":\"%s\",", link_of);
	fprintf(f, "\"flags\":[%s]}\n", dir ? "\"directory\"" : "");
}

static const char good_manifest[] =
	"{\"volume\":2,\"path\":\"/a.txt\",\"stream\":\"\",\"size\":10,\"sha256\":"
	"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"status\":\"scanned\",\"flags\":[]}\n";

/* A report directory with both files (either NULL: left out). */
static char *mkrep(const char *what, const char *report, const char *manifest)
{
	char *d = newdir(what);

	if (report)
		puts_(d, "report.json", report);
	if (manifest)
		puts_(d, "manifest.jsonl", manifest);
	return d;
}

static char *mkrep_rj(const char *what, const struct rj *x, const char *manifest)
{
	char *t = rj_text(x), *d = mkrep(what, t, manifest);

	free(t);
	return d;
}

/* snapshot_load(d) must fail with one line naming d/file (or d itself
 * when file is NULL) and holding needle. */
static void expect_fail(const char *d, const char *file, const char *needle)
{
	struct snapshot *s = (struct snapshot *)&ndirs;
	struct ks_err err;
	char *who = file ? xasprintf("'%s/%s'", d, file) : xasprintf("'%s'", d);

	assert_int_equal(snapshot_load(d, &s, &err), -1);
	assert_null(s);
	if (!strstr(err.msg, who))
		fail_msg("error \"%s\" does not name %s", err, who);
	if (!strstr(err.msg, needle))
		fail_msg("error \"%s\" does not say \"%s\"", err, needle);
	assert_null(strchr(err.msg, '\n'));
	free(who);
}

static void expect_report_fail(const char *what, const struct rj *x, const char *needle)
{
	char *d = mkrep_rj(what, x, good_manifest);

	expect_fail(d, "report.json", needle);
	free(d);
}

static void expect_manifest_fail(const char *what, const char *manifest, const char *needle)
{
	struct rj x = { 0 };
	char *d = mkrep_rj(what, &x, manifest);

	expect_fail(d, "manifest.jsonl", needle);
	free(d);
}

static struct snapshot *load_ok(const char *d)
{
	struct snapshot *s = NULL;
	struct ks_err err;

	if (snapshot_load(d, &s, &err) < 0)
		fail_msg("snapshot_load %s: %s", d, err);
	assert_non_null(s);
	return s;
}

/* ---- A. hostile baseline directories ---- */

static void valid_minimal_loads(void **state)
{
	struct rj x = { 0 };
	char *d = mkrep_rj("minimal", &x, good_manifest);
	struct snapshot *s = load_ok(d);

	assert_true(snapshot_clean(s, hx('a'), 10));
	snapshot_free(s);
	free(d);
}

static void hostile_directories(void **state)
{
	struct rj x = { 0 };
	char *d, *p;

	/* Missing directory; a file in its place. */
	p = xasprintf("%s/does-not-exist", tmp);
	expect_fail(p, NULL, "not a report directory");
	free(p);
	d = newdir("parent");
	puts_(d, "plain", "x");
	p = xasprintf("%s/plain", d);
	expect_fail(p, NULL, "not a directory");
	free(p);
	free(d);

	/* A bundle's directory: the hint. */
	d = newdir("bundle");
	puts_(d, "bundle.json", "{}");
	expect_fail(d, NULL, "give the directory of one image");
	free(d);

	/* One of the two files missing. */
	d = mkrep("no-report", NULL, good_manifest);
	expect_fail(d, "report.json", "cannot read");
	free(d);
	d = mkrep_rj("no-manifest", &x, NULL);
	expect_fail(d, "manifest.jsonl", "cannot read");
	free(d);

	/* report.json a directory, manifest.jsonl a directory. */
	d = mkrep_rj("manifest-dir", &x, NULL);
	p = xasprintf("%s/manifest.jsonl", d);
	assert_int_equal(mkdir(p, 0755), 0);
	{
		struct snapshot *s = NULL;
		struct ks_err err;
		assert_int_equal(snapshot_load(d, &s, &err), -1);
		assert_null(s);
		assert_non_null(strstr(err.msg, "manifest.jsonl"));
	}
	free(p);
	free(d);
	d = mkrep("report-dir", NULL, good_manifest);
	p = xasprintf("%s/report.json", d);
	assert_int_equal(mkdir(p, 0755), 0);
	expect_fail(d, "report.json", "not a regular file");
	free(p);
	free(d);

	/* A symlink report.json to a valid one: refused (O_NOFOLLOW). */
	d = mkrep_rj("symlink", &x, good_manifest);
	char *real = xasprintf("%s/real.json", d), *rp = xasprintf("%s/report.json", d);
	assert_int_equal(rename(rp, real), 0);
	assert_int_equal(symlink("real.json", rp), 0);
	expect_fail(d, "report.json", "cannot read");
	free(real);
	free(rp);
	free(d);
}

static void hostile_report_json(void **state)
{
	struct rj x = { 0 };
	char *valid = rj_text(&x), *d, *t;
	size_t len = strlen(valid);

	d = mkrep("empty", "", good_manifest);
	expect_fail(d, "report.json", "not valid JSON");
	free(d);

	/* Every prefix short of the whole object. The last byte is '\n', so
	 * the prefix of len - 1 bytes is the complete object. */
	d = newdir("prefix");
	puts_(d, "manifest.jsonl", good_manifest);
	for (size_t k = 0; k < len - 1; k++) {
		put(d, "report.json", valid, k);
		expect_fail(d, "report.json", k ? "not valid JSON" : "");
	}
	put(d, "report.json", valid, len - 1);
	snapshot_free(load_ok(d));
	free(d);

	t = xasprintf("%s{}", valid);
	d = mkrep("trailing", t, good_manifest);
	expect_fail(d, "report.json", "not valid JSON");
	free(t);
	free(d);
	t = xasprintf("%s  \n\n", valid);   /* trailing whitespace is fine */
	d = mkrep("trailing-ws", t, good_manifest);
	snapshot_free(load_ok(d));
	free(t);
	free(d);
	t = xasprintf("%sx", valid);
	d = mkrep("trailing-x", t, good_manifest);
	expect_fail(d, "report.json", "not valid JSON");
	free(t);
	free(d);

	/* A NUL byte inside a string. */
	d = newdir("nul");
	puts_(d, "manifest.jsonl", good_manifest);
	t = xstrdup(valid);
	t[strstr(t, "gold") - t] = '\0';
	put(d, "report.json", t, len);
	expect_fail(d, "report.json", "NUL byte");
	free(t);
	free(d);

	d = mkrep("array", "[1, 2]\n", good_manifest);
	expect_fail(d, "report.json", "not a JSON object");
	free(d);
	d = mkrep("string", "\"kenshu\"", good_manifest);
	expect_fail(d, "report.json", "not a JSON object");
	free(d);

	t = xstrdup(valid);
	memcpy(strstr(t, "schema_version"), "schema_versiom", 14);
	d = mkrep("no-schema", t, good_manifest);
	expect_fail(d, "report.json", "no schema_version");
	free(t);
	free(d);

	x.schema = "2.0";
	expect_report_fail("schema2", &x, "schema 2.0 is not one this kenshu reads");
	x.schema = NULL;

	/* Deep nesting: json-c's depth limit, not the stack. */
	{
		size_t depth = 10000;
		char *deep = xmalloc(2 * depth + 16), *w = deep;
		w += sprintf(w, "{\"x\":");
		memset(w, '[', depth), w += depth;
		memset(w, ']', depth), w += depth;
		strcpy(w, "}\n");
		d = mkrep("deep", deep, good_manifest);
		expect_fail(d, "report.json", "not valid JSON");
		free(deep);
		free(d);
	}
	free(valid);
}

static void hostile_report_types(void **state)
{
	struct rj x = { 0 };

	x.autoruns = "\"HKLM\"";
	expect_report_fail("ar-string", &x, "\"autoruns\" is missing or not an array");
	x.autoruns = "[1]";
	expect_report_fail("ar-int", &x, "autoruns[0] is not an object");
	x.autoruns = "[{\"volume\":-1,\"category\":\"Run\",\"location\":\"L\",\"name\":\"n\",\"command\":\"c\","
		     "\"user\":null,\"target\":null,\"target_sha256\":null,\"flags\":[]}]";
	expect_report_fail("ar-negative", &x, "autoruns[0].volume is negative");
	x.autoruns = "[{\"volume\":2,\"category\":\"Run\",\"location\":\"L\",\"name\":\"n\",\"command\":\"c\","
		     "\"user\":null,\"target\":null,\"target_sha256\":null,\"flags\":\"none\"}]";
	expect_report_fail("ar-flags", &x, "autoruns[0].flags is a string, not an array");
	x.autoruns = "[{\"volume\":2,\"category\":\"Run\",\"location\":\"L\",\"name\":\"n\",\"command\":\"c\","
		     "\"user\":null,\"target\":null,\"target_sha256\":null,\"flags\":[1]}]";
	expect_report_fail("ar-flag-int", &x, "autoruns[0].flags[0] is malformed");
	x.autoruns = "[{\"volume\":2,\"category\":\"Run\",\"location\":\"L\",\"name\":\"n\",\"command\":null,"
		     "\"user\":null,\"target\":null,\"target_sha256\":null,\"flags\":[]}]";
	expect_report_fail("ar-null-cmd", &x, "autoruns[0].command is null, not a string");
	x.autoruns = "[{\"volume\":2,\"category\":\"Run\",\"location\":\"L\",\"name\":\"n\",\"command\":\"c\","
		     "\"target\":null,\"target_sha256\":null,\"flags\":[]}]";
	expect_report_fail("ar-no-user", &x, "autoruns[0] has no \"user\"");
	x.autoruns = NULL;

	x.detections = "[{\"volume\":2,\"path\":5,\"stream\":\"\",\"signature\":\"S\",\"sha256\":\"x\"}]";
	expect_report_fail("det-path", &x, "detections[0].path is an integer, not a string");
	x.detections = "[{\"volume\":4294967298,\"path\":\"/a\",\"stream\":\"\",\"signature\":\"S\",\"sha256\":\"x\"}]";
	expect_report_fail("det-volume-2^32+2", &x, "detections[0].volume is out of range");
	x.detections = NULL;
	x.volumes = "[{\"index\":2,\"size\":1.5,\"partition_type\":\"b\",\"filesystem\":\"ntfs\",\"label\":\"\","
		    "\"state\":\"ok\",\"scanned\":true}]";
	expect_report_fail("vol-double", &x, "volumes[0].size is a number, not an integer");
	x.volumes = NULL;
	x.os = "[{\"volume\":2,\"system_root\":\"/Windows\",\"product_name\":null,\"edition\":null,"
	       "\"current_version\":null,\"version\":null,\"build\":null,\"ubr\":null,\"service_pack\":null,"
	       "\"architecture\":null,\"hostname\":null,\"profiles\":[{\"path\":\"/Users/op\"}]}]";
	expect_report_fail("os-profile", &x, "os[0].profiles[0] is malformed");
	x.os = "[{\"volume\":2,\"system_root\":\"/Windows\",\"product_name\":null,\"edition\":null,"
	       "\"current_version\":null,\"version\":null,\"build\":null,\"ubr\":null,\"service_pack\":null,"
	       "\"architecture\":null,\"hostname\":null,\"profiles\":[],\"accounts\":{}}]";
	expect_report_fail("os-accounts", &x, "os[0].accounts is not an array");
	x.os = "[{\"volume\":2,\"system_root\":\"/Windows\",\"product_name\":null,\"edition\":null,"
	       "\"current_version\":null,\"version\":null,\"build\":null,\"ubr\":null,\"service_pack\":null,"
	       "\"architecture\":null,\"hostname\":null,\"profiles\":[],\"accounts\":[{\"rid\":500,"
	       "\"name\":\"a\",\"enabled\":true,\"admin\":true,\"rdp\":false}]}]";
	expect_report_fail("os-account-password", &x, "os[0].accounts[0] has no \"password\"");
	x.os = "[{\"volume\":2,\"system_root\":\"/Windows\",\"product_name\":null,\"edition\":null,"
	       "\"current_version\":null,\"version\":null,\"build\":null,\"ubr\":null,\"service_pack\":null,"
	       "\"architecture\":null,\"hostname\":null,\"profiles\":[],\"accounts\":[{\"rid\":4294967296,"
	       "\"name\":\"a\",\"enabled\":null,\"admin\":true,\"rdp\":false,\"password\":\"set\"}]}]";
	expect_report_fail("os-account-rid", &x, "os[0].accounts[0].rid is out of range");
	x.os = NULL;
	x.macros = "{}";
	expect_report_fail("macros", &x, "\"macro_documents\" is missing or not an array");
	x.macros = NULL;
	x.skipped = "[{\"volume\":2,\"path\":\"/a\"}]";
	expect_report_fail("skipped", &x, "skipped[0] has no \"stream\"");
	x.skipped = NULL;
	x.findings = "[{\"rule\":\"malware\",\"severity\":\"fail\",\"message\":\"m\",\"evidence\":{\"path\":7},"
		     "\"waiver\":null}]";
	expect_report_fail("finding-ev", &x, "findings[0].evidence is malformed");
	x.findings = "[{\"rule\":\"malware\",\"severity\":\"fail\",\"message\":\"m\",\"evidence\":[],\"waiver\":null}]";
	expect_report_fail("finding-ev-array", &x, "findings[0].evidence is an array, not an object");
	x.findings = NULL;
	x.dbs = "[{\"name\":\"main.cvd\"}]";
	expect_report_fail("db-no-sha", &x, "engine.databases[0] has no \"sha256\"");
	x.dbs = "{}";
	expect_report_fail("dbs-object", &x, "engine.version, engine.databases or engine.limits missing");
	x.dbs = NULL;
	x.limits = "[]";
	expect_report_fail("limits-array", &x, "engine.limits missing");
}

static void report_too_large(void **state)
{
	char *d = newdir("huge"), *p = xasprintf("%s/report.json", d);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	puts_(d, "manifest.jsonl", good_manifest);
	assert_true(fd >= 0);
	/* Sparse: 600 MiB that take no disk and must never be read. */
	assert_int_equal(ftruncate(fd, (off_t)600 << 20), 0);
	close(fd);
	expect_fail(d, "report.json", "larger than 512 MiB");
	free(p);
	free(d);
}

/* FIFOs and devices in place of the files: refused, never waited on. */
static void special_files(void **state)
{
	struct rj x = { 0 };
	char *d, *p;

	alarm(60);   /* a regression here blocks in open(): fail instead */
	d = mkrep("fifo-report", NULL, good_manifest);
	p = xasprintf("%s/report.json", d);
	assert_int_equal(mkfifo(p, 0644), 0);
	expect_fail(d, "report.json", "not a regular file");
	free(p);
	free(d);

	d = mkrep_rj("fifo-manifest", &x, NULL);
	p = xasprintf("%s/manifest.jsonl", d);
	assert_int_equal(mkfifo(p, 0644), 0);
	expect_fail(d, "manifest.jsonl", "not a regular file");
	free(p);
	free(d);

	/* manifest.jsonl a symlink to an endless device. */
	d = mkrep_rj("zero-manifest", &x, NULL);
	p = xasprintf("%s/manifest.jsonl", d);
	assert_int_equal(symlink("/dev/zero", p), 0);
	expect_fail(d, "manifest.jsonl", "cannot read");
	free(p);
	free(d);

	/* A sparse manifest larger than SNAPSHOT_MAX_MANIFEST: refused unread. */
	d = mkrep_rj("huge-manifest", &x, NULL);
	p = xasprintf("%s/manifest.jsonl", d);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	if (ftruncate(fd, (off_t)17 << 30) == 0)
		expect_fail(d, "manifest.jsonl", "larger than 16 GiB");
	close(fd);
	/* A sparse 64 MiB manifest of NULs with no newline: stops at the
	 * line limit, not at the end of the file. */
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)64 << 20), 0);
	close(fd);
	expect_fail(d, "manifest.jsonl", "line 1: longer than a manifest line can be");
	free(p);
	free(d);
	alarm(0);
}

static void hostile_manifest(void **state)
{
	char *line, *m;
	size_t n;

	expect_manifest_fail("m-json", "{\"volume\":2,\"path\":\"/a\",\"stream\":\"\",\"size\":1,\"status\":\"scanned\"}\n{\"volume\":\n",
			     "line 2: not valid JSON");
	expect_manifest_fail("m-nonl", "{\"volume\":2,\"path\":\"/a\",\"stream\":\"\",\"size\":1,\"status\":\"scanned\"}",
			     "line 1: no newline at the end");
	expect_manifest_fail("m-nopath", "{\"volume\":2,\"stream\":\"\",\"size\":1,\"status\":\"scanned\"}\n",
			     "line 1: volume, path, stream, size or status missing or malformed");
	expect_manifest_fail("m-nosize", "{\"volume\":2,\"path\":\"/a\",\"stream\":\"\",\"status\":\"scanned\"}\n",
			     "size or status missing");
	expect_manifest_fail("m-negsize", "{\"volume\":2,\"path\":\"/a\",\"stream\":\"\",\"size\":-1,\"status\":\"s\"}\n",
			     "size or status missing");
	expect_manifest_fail("m-bigvol", "{\"volume\":4294967296,\"path\":\"/a\",\"stream\":\"\",\"size\":1,\"status\":\"s\"}\n",
			     "missing or malformed");
	expect_manifest_fail("m-array", "[]\n", "missing or malformed");
	expect_manifest_fail("m-empty-line", "\n", "line 1: not valid JSON");

	/* SHA-256 uppercase, 63 digits, a number. */
	line = xasprintf("{\"volume\":2,\"path\":\"/a\",\"stream\":\"\",\"size\":1,\"sha256\":\"%s\",\"status\":\"s\"}\n",
			 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	expect_manifest_fail("m-upper", line, "sha256 is not 64 lowercase hex digits");
	free(line);
	line = xasprintf("{\"volume\":2,\"path\":\"/a\",\"stream\":\"\",\"size\":1,\"sha256\":\"%.63s\",\"status\":\"s\"}\n",
			 hx('a'));
	expect_manifest_fail("m-63", line, "sha256 is not 64 lowercase hex digits");
	free(line);
	expect_manifest_fail("m-shanum", "{\"volume\":2,\"path\":\"/a\",\"stream\":\"\",\"size\":1,\"sha256\":5,\"status\":\"s\"}\n",
			     "sha256 is not 64");
	expect_manifest_fail("m-flags", "{\"volume\":2,\"path\":\"/a\",\"stream\":\"\",\"size\":1,\"status\":\"s\",\"flags\":{}}\n",
			     "link_of or flags malformed");
	expect_manifest_fail("m-linkof", "{\"volume\":2,\"path\":\"/a\",\"stream\":\"\",\"size\":1,\"status\":\"s\",\"link_of\":1}\n",
			     "link_of or flags malformed");

	/* The same (volume, path, stream) twice, not adjacent. */
	m = xasprintf("%s{\"volume\":2,\"path\":\"/b\",\"stream\":\"\",\"size\":1,\"status\":\"s\"}\n%s", good_manifest,
		      good_manifest);
	expect_manifest_fail("m-dup", m, "volume 2 '/a.txt' is listed twice");
	free(m);
	/* Same path, different streams: fine. */
	{
		struct rj x = { 0 };
		char *d;
		m = xasprintf("%s{\"volume\":2,\"path\":\"/a.txt\",\"stream\":\"Zone.Identifier\",\"size\":1,\"status\":\"s\"}\n"
			      "{\"volume\":3,\"path\":\"/a.txt\",\"stream\":\"\",\"size\":1,\"status\":\"s\"}\n",
			      good_manifest);
		d = mkrep_rj("m-streams", &x, m);
		snapshot_free(load_ok(d));
		free(d);
		free(m);
	}

	/* A NUL byte in a line. */
	{
		struct rj x = { 0 };
		char *d = mkrep_rj("m-nul", &x, NULL), buf[sizeof(good_manifest)];
		memcpy(buf, good_manifest, sizeof(buf));
		buf[20] = '\0';
		put(d, "manifest.jsonl", buf, sizeof(good_manifest) - 1);
		expect_fail(d, "manifest.jsonl", "line 1: holds a NUL byte");
		free(d);
	}

	/* A 2 MiB line (a valid JSON string in it). */
	n = (size_t)2 << 20;
	line = xmalloc(n + 128);
	{
		int k = sprintf(line, "{\"volume\":2,\"path\":\"/");
		memset(line + k, 'x', n);
		strcpy(line + k + n, "\",\"stream\":\"\",\"size\":1,\"status\":\"s\"}\n");
	}
	m = xasprintf("%s%s", good_manifest, line);
	expect_manifest_fail("m-long", m, "line 2: longer than a manifest line can be");
	free(m);
	free(line);
}

/* A small xorshift: the same mutations on every run. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void old_side(char **report, char **manifest);

static void mutate_loop(const char *what, const char *report, const char *manifest, bool mutate_report,
			uint32_t seed, unsigned rounds)
{
	static const char interesting[] = "\"{}[],:0-9eE.\\\n\0 \xff\xc3n";
	char *d = newdir(what), *buf = xstrdup(mutate_report ? report : manifest);
	size_t len = strlen(buf);
	struct snapshot *base;
	unsigned ok = 0, bad = 0;

	puts_(d, "report.json", report);
	puts_(d, "manifest.jsonl", manifest);
	base = load_ok(d);
	for (unsigned i = 0; i < rounds; i++) {
		size_t at = rnd(&seed) % len;
		char was = buf[at];
		struct ks_err err;
		struct snapshot *s = (struct snapshot *)&ndirs;

		buf[at] = rnd(&seed) & 1 ? interesting[rnd(&seed) % (sizeof(interesting) - 1)] : (char)rnd(&seed);
		put(d, mutate_report ? "report.json" : "manifest.jsonl", buf, len);
		if (snapshot_load(d, &s, &err) == 0) {
			/* Accepted: it must then compare and write without trouble. */
			struct drift dr;
			assert_non_null(s);
			drift_compare(base, s, &dr);
			json_object_put(drift_json(&dr));
			drift_release(&dr);
			drift_compare(s, base, &dr);
			drift_release(&dr);
			snapshot_free(s);
			ok++;
		} else {
			assert_null(s);
			assert_true(err.msg[0] != '\0');
			assert_null(strchr(err.msg, '\n'));
			assert_non_null(strstr(err.msg, d));
			bad++;
		}
		buf[at] = was;
	}
	/* Both outcomes occur: the loop is exercising something. */
	assert_true(ok > 0);
	assert_true(bad > 0);
	snapshot_free(base);
	free(buf);
	free(d);
}

static void mutations(void **state)
{
	char *report, *manifest;

	old_side(&report, &manifest);
	mutate_loop("mut-report", report, manifest, true, 0x6b656e73u, 2000);
	mutate_loop("mut-manifest", report, manifest, false, 0x68750001u, 2000);
	free(report);
	free(manifest);
}

/* ---- B. drift_compare on two report directories ---- */

static const char os_fmt[] =
	"[{\"volume\":2,\"system_root\":\"/Windows\",\"product_name\":\"Windows 10 IoT Enterprise LTSC 2021\","
	"\"edition\":\"IoTEnterpriseS\",\"current_version\":\"6.3\",\"version\":\"10.0\",\"build\":\"19044\","
	"\"ubr\":%d,\"service_pack\":null,\"architecture\":\"x64\",\"hostname\":\"HMI-01\",\"profiles\":[%s]}]";

#define AR(name, loc, user, cmd, flags)                                                                   \
	"{\"volume\":2,\"category\":\"Run\",\"location\":\"" loc "\",\"name\":\"" name "\",\"command\":\"" cmd \
	"\",\"user\":" user ",\"target\":null,\"target_sha256\":null,\"flags\":[" flags "]}"
#define SVC(cmd)                                                                                            \
	"{\"volume\":2,\"category\":\"Services\",\"location\":\"SYSTEM/Services\",\"name\":\"dup\",\"command\":\"" cmd \
	"\",\"user\":null,\"target\":null,\"target_sha256\":null,\"flags\":[]}"
#define DET(path, sig) \
	"{\"volume\":2,\"path\":\"" path "\",\"stream\":\"\",\"signature\":\"" sig "\",\"sha256\":\"x\"}"
#define FND(rule, sev, ev, waiver) \
	"{\"rule\":\"" rule "\",\"severity\":\"" sev "\",\"message\":\"m\",\"evidence\":" ev ",\"waiver\":" waiver "}"
#define VOL(i, size)                                                                                      \
	"{\"index\":" #i ",\"size\":" #size ",\"partition_type\":\"basic\",\"filesystem\":\"ntfs\",\"label\":\"OS\"," \
	"\"state\":\"ok\",\"scanned\":true}"

static void old_side(char **report, char **manifest)
{
	char *os = xasprintf(os_fmt, 1000, "{\"user\":\"op\"}");
	struct rj x = {
		.volumes = "[" VOL(1, 100) "," VOL(2, 1000) "]",
		.os = os,
		.autoruns = "[" AR("upd", "HKCU/Run", "null", "a.exe", "") "," AR("upd", "HKCU/Run", "\"op\"", "a.exe", "")
			    "," SVC("x1") "," SVC("x2") "," AR("flg", "HKLM/Run", "null", "f.exe", "") ","
			    AR("cmd", "HKLM/Run", "null", "old.exe", "") "," AR("gone", "HKLM/Run", "null", "g.exe", "") "]",
		.detections = "[" DET("/x.exe", "S1") "," DET("/keep.exe", "K") "]",
		.findings = "[" FND("autorun-unknown", "review", "{\"volume\":2,\"path\":\"/p.exe\"}", "null") ","
			    FND("risky-file-type", "review", "{\"volume\":2,\"path\":\"/q.js\",\"value\":\".js\"}", "null") ","
			    FND("malware", "fail", "{\"volume\":2,\"path\":\"/x.exe\"}", "null") ","
			    FND("signature-missing", "info", "{}", "null") ","
			    FND("drift-new-executable", "review", "{\"volume\":2,\"path\":\"/old.exe\"}", "null") "]",
	};
	size_t n;
	FILE *m = open_memstream(manifest, &n);

	*report = rj_text(&x);
	ml(m, 2, "/Dir", "", 0, NULL, "directory", NULL, true);
	ml(m, 2, "/a.txt", "", 10, hx('a'), "scanned", NULL, false);
	ml(m, 2, "/b.txt", "", 10, hx('b'), "scanned", NULL, false);
	ml(m, 2, "/c.exe", "", 10, hx('c'), "scanned", NULL, false);
	ml(m, 2, "/d.dll", "", 10, hx('d'), "scanned", NULL, false);
	ml(m, 2, "/h1", "", 10, hx('e'), "scanned", NULL, false);
	ml(m, 2, "/h2", "", 10, hx('e'), "scanned", NULL, false);
	ml(m, 2, "/h3", "", 10, hx('e'), "link", "/h1", false);
	ml(m, 2, "/s.txt", "", 10, hx('f'), "scanned", NULL, false);
	ml(m, 2, "/s.txt", "zone", 5, hx('0'), "scanned", NULL, false);
	fclose(m);
	free(os);
}

static void new_side(char **report, char **manifest)
{
	char *os = xasprintf(os_fmt, 1288, "{\"user\":\"op\"},{\"user\":\"intruder\"}");
	struct rj x = {
		.volumes = "[" VOL(1, 100) "," VOL(2, 2000) "]",
		.os = os,
		.autoruns = "[" AR("new", "HKLM/Run", "null", "n.exe", "") "," SVC("x2") "," SVC("x1") ","
			    AR("upd", "HKCU/Run", "\"op\"", "b.exe", "") "," AR("upd", "HKCU/Run", "null", "a.exe", "") ","
			    AR("flg", "HKLM/Run", "null", "f.exe", "\"target-missing\"") ","
			    AR("cmd", "HKLM/Run", "null", "new.exe", "") "]",
		.detections = "[" DET("/y.exe", "S2") "," DET("/keep.exe", "K") "]",
		.findings = "[" FND("autorun-unknown", "fail", "{\"volume\":2,\"path\":\"/p.exe\"}", "null") ","
			    FND("risky-file-type", "review", "{\"volume\":2,\"path\":\"/q.js\",\"value\":\".js\"}", "\"vendor-js\"") ","
			    FND("signature-missing", "info", "{}", "null") ","
			    FND("ioc-hash", "fail", "{\"volume\":2,\"path\":\"/y.exe\"}", "null") ","
			    FND("drift-changed-system-file", "review", "{\"volume\":2,\"path\":\"/Windows/x.dll\"}", "null") "]",
	};
	size_t n;
	FILE *m = open_memstream(manifest, &n);

	*report = rj_text(&x);
	/* Not in key order: the loader sorts. */
	ml(m, 2, "/z.txt", "", 4, hx('2'), "scanned", NULL, false);
	ml(m, 2, "/s.txt", "zone", 6, hx('0'), "scanned", NULL, false);
	ml(m, 2, "/Dir", "", 0, NULL, "directory", NULL, true);
	ml(m, 2, "/a.txt", "", 10, hx('a'), "scanned", NULL, false);
	ml(m, 2, "/c.exe", "", 10, hx('1'), "scanned", NULL, false);
	ml(m, 2, "/d.dll", "", 10, NULL, "unreadable", NULL, false);
	ml(m, 2, "/h1", "", 10, hx('e'), "scanned", NULL, false);
	ml(m, 2, "/h2", "", 10, hx('e'), "link", "/h1", false);
	ml(m, 2, "/h3", "", 10, hx('e'), "link", "/h1", false);
	ml(m, 2, "/s.txt", "", 10, hx('f'), "scanned", NULL, false);
	ml(m, 1, "/zzz", "", 3, hx('3'), "scanned", NULL, false);
	fclose(m);
	free(os);
}

static const struct drift_field *field(const struct drift_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	return NULL;
}

static long long summary(json_object *root, const char *k)
{
	json_object *s, *v;

	assert_true(json_object_object_get_ex(root, "summary", &s));
	if (!json_object_object_get_ex(s, k, &v))
		fail_msg("summary has no %s", k);
	return json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : json_object_get_int64(v);
}

static json_object *json_of(const struct drift *d)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	json_object *o;

	assert_int_equal(drift_write_json(d, f), 0);
	fclose(f);
	o = json_tokener_parse(buf);
	assert_non_null(o);
	free(buf);
	return o;
}

static void compare_semantics(void **state)
{
	char *ro, *mo, *rn, *mn, *od, *nd;
	struct snapshot *o, *n;
	struct drift d;

	old_side(&ro, &mo);
	new_side(&rn, &mn);
	od = mkrep("old", ro, mo);
	nd = mkrep("new", rn, mn);
	o = load_ok(od);
	n = load_ok(nd);
	drift_compare(o, n, &d);

	assert_string_equal(d.old.dir, od);
	assert_string_equal(d.new.dir, nd);
	assert_string_equal(d.old.verdict, "PASS");
	assert_int_equal(strlen(d.old.report_sha256), SHA256_HEX_LEN);
	assert_int_equal(strlen(d.new.manifest_sha256), SHA256_HEX_LEN);

	/* Files, in (volume, path, stream) order. */
	assert_int_equal(d.nfiles, 7);
	assert_int_equal(d.files_unchanged, 5);   /* /Dir, /a.txt, /h1, /h3, /s.txt */
	static const struct { unsigned vol; const char *path, *stream; enum drift_change c; } want[] = {
		{ 1, "/zzz", "", DRIFT_ADDED },     { 2, "/b.txt", "", DRIFT_REMOVED },
		{ 2, "/c.exe", "", DRIFT_CHANGED }, { 2, "/d.dll", "", DRIFT_CHANGED },
		{ 2, "/h2", "", DRIFT_CHANGED },    { 2, "/s.txt", "zone", DRIFT_CHANGED },
		{ 2, "/z.txt", "", DRIFT_ADDED },
	};
	for (size_t i = 0; i < d.nfiles; i++) {
		assert_int_equal(d.files[i].volume, want[i].vol);
		assert_string_equal(d.files[i].path, want[i].path);
		assert_string_equal(d.files[i].stream, want[i].stream);
		assert_int_equal(d.files[i].change, want[i].c);
		assert_false(d.files[i].directory);
	}
	assert_string_equal(d.files[0].new_sha256, hx('3'));
	assert_string_equal(d.files[0].old_sha256, "");
	assert_null(d.files[0].old_status);
	assert_string_equal(d.files[1].old_sha256, hx('b'));
	assert_null(d.files[1].new_status);
	assert_string_equal(d.files[2].old_sha256, hx('c'));
	assert_string_equal(d.files[2].new_sha256, hx('1'));
	/* Became unreadable: same size, no hash now. */
	assert_string_equal(d.files[3].old_sha256, hx('d'));
	assert_string_equal(d.files[3].new_sha256, "");
	assert_string_equal(d.files[3].new_status, "unreadable");
	/* Now a hard link to /h1: same bytes, still a change. */
	assert_string_equal(d.files[4].old_status, "scanned");
	assert_string_equal(d.files[4].new_status, "link");
	assert_string_equal(d.files[4].old_sha256, d.files[4].new_sha256);
	assert_int_equal(d.files[5].old_size, 5);
	assert_int_equal(d.files[5].new_size, 6);

	/* Autoruns: the user is part of the key; the two "dup" services
	 * pair by command whatever their order; sorted by key. */
	assert_int_equal(d.nautoruns, 5);
	assert_string_equal(d.autoruns[0].location, "HKCU/Run");
	assert_string_equal(d.autoruns[0].name, "upd");
	assert_non_null(d.autoruns[0].user);
	assert_string_equal(d.autoruns[0].user, "op");
	assert_int_equal(d.autoruns[0].change, DRIFT_CHANGED);
	assert_int_equal(d.autoruns[0].nf, 1);
	assert_string_equal(d.autoruns[0].f[0].name, "command");
	assert_string_equal(d.autoruns[0].f[0].old_value, "a.exe");
	assert_string_equal(d.autoruns[0].f[0].new_value, "b.exe");
	static const char *const names[] = { "upd", "cmd", "flg", "gone", "new" };
	static const enum drift_change changes[] = { DRIFT_CHANGED, DRIFT_CHANGED, DRIFT_CHANGED, DRIFT_REMOVED, DRIFT_ADDED };
	for (size_t i = 0; i < d.nautoruns; i++) {
		assert_string_equal(d.autoruns[i].name, names[i]);
		assert_int_equal(d.autoruns[i].change, changes[i]);
		assert_string_equal(d.autoruns[i].category, "Run");
		if (i)
			assert_null(d.autoruns[i].user);
	}
	assert_int_equal(d.autoruns[1].nf, 1);
	assert_string_equal(d.autoruns[1].f[0].name, "command");
	assert_string_equal(d.autoruns[1].command, "new.exe");
	assert_int_equal(d.autoruns[2].nf, 1);
	assert_string_equal(d.autoruns[2].f[0].name, "flags");
	assert_string_equal(d.autoruns[2].f[0].old_value, "");
	assert_string_equal(d.autoruns[2].f[0].new_value, "target-missing");
	assert_string_equal(d.autoruns[2].flags, "target-missing");
	assert_string_equal(d.autoruns[3].command, "g.exe");   /* removed: as it was */
	assert_int_equal(d.autoruns[3].nf, 0);
	assert_string_equal(d.autoruns[4].flags, "");

	/* Windows: UBR and a new user profile. */
	assert_int_equal(d.nos, 1);
	assert_int_equal(d.os[0].change, DRIFT_CHANGED);
	assert_string_equal(d.os[0].system_root, "/Windows");
	assert_int_equal(d.os[0].nf, 2);
	const struct drift_field *f = field(d.os[0].f, d.os[0].nf, "ubr");
	assert_non_null(f);
	assert_string_equal(f->old_value, "1000");
	assert_string_equal(f->new_value, "1288");
	f = field(d.os[0].f, d.os[0].nf, "users");
	assert_non_null(f);
	assert_string_equal(f->old_value, "op");
	assert_string_equal(f->new_value, "intruder, op");

	/* Volumes: volume 2 grew, volume 1 is the same. */
	assert_int_equal(d.nvol, 1);
	assert_int_equal(d.vol[0].index, 2);
	assert_int_equal(d.vol[0].nf, 1);
	assert_string_equal(d.vol[0].f[0].name, "size");
	assert_string_equal(d.vol[0].f[0].old_value, "1000");
	assert_string_equal(d.vol[0].f[0].new_value, "2000");

	/* Detections gone and new; the one on both sides is not listed. */
	assert_int_equal(d.ndet, 2);
	assert_string_equal(d.det[0].path, "/x.exe");
	assert_int_equal(d.det[0].change, DRIFT_REMOVED);
	assert_string_equal(d.det[1].path, "/y.exe");
	assert_int_equal(d.det[1].change, DRIFT_ADDED);
	assert_string_equal(d.det[1].signature, "S2");

	/* Findings: severity and waiver changes are changes; drift-* rules
	 * are not compared; the unchanged one is not listed. */
	assert_int_equal(d.nfindings, 4);
	static const char *const rules[] = { "autorun-unknown", "ioc-hash", "malware", "risky-file-type" };
	static const enum drift_change fch[] = { DRIFT_CHANGED, DRIFT_ADDED, DRIFT_REMOVED, DRIFT_CHANGED };
	for (size_t i = 0; i < d.nfindings; i++) {
		assert_string_equal(d.findings[i].rule, rules[i]);
		assert_int_equal(d.findings[i].change, fch[i]);
		assert_int_equal(d.findings[i].volume, 2);
		assert_true(strncmp(d.findings[i].rule, "drift-", 6) != 0);
	}
	assert_string_equal(d.findings[0].old_severity, "review");
	assert_string_equal(d.findings[0].new_severity, "fail");
	assert_null(d.findings[1].old_severity);
	assert_null(d.findings[2].new_severity);
	assert_null(d.findings[3].old_waiver);
	assert_string_equal(d.findings[3].new_waiver, "vendor-js");
	assert_string_equal(d.findings[3].value, ".js");
	assert_false(drift_empty(&d));

	/* The JSON summary. */
	json_object *j = json_of(&d);
	assert_int_equal(summary(j, "files_added"), 2);
	assert_int_equal(summary(j, "files_removed"), 1);
	assert_int_equal(summary(j, "files_changed"), 4);
	assert_int_equal(summary(j, "files_unchanged"), 5);
	assert_int_equal(summary(j, "autoruns_added"), 1);
	assert_int_equal(summary(j, "autoruns_removed"), 1);
	assert_int_equal(summary(j, "autoruns_changed"), 3);
	assert_int_equal(summary(j, "detections_new"), 1);
	assert_int_equal(summary(j, "detections_gone"), 1);
	assert_int_equal(summary(j, "findings_added"), 1);
	assert_int_equal(summary(j, "findings_removed"), 1);
	assert_int_equal(summary(j, "findings_changed"), 2);
	assert_int_equal(summary(j, "os_changes"), 1);
	assert_int_equal(summary(j, "volume_changes"), 1);
	assert_int_equal(summary(j, "unchanged"), 0);
	json_object_put(j);

	/* Text and HTML writers take it without complaint. */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *t = open_memstream(&buf, &len);
		assert_int_equal(drift_write_text(&d, t), 0);
		assert_int_equal(drift_write_html(&d, t), 0);
		fclose(t);
		assert_non_null(strstr(buf, "/zzz"));
		free(buf);
	}
	drift_release(&d);

	/* The other way round: added and removed swap. */
	drift_compare(n, o, &d);
	j = json_of(&d);
	assert_int_equal(summary(j, "files_added"), 1);
	assert_int_equal(summary(j, "files_removed"), 2);
	assert_int_equal(summary(j, "files_changed"), 4);
	assert_int_equal(summary(j, "detections_new"), 1);
	assert_int_equal(summary(j, "detections_gone"), 1);
	json_object_put(j);
	drift_release(&d);

	snapshot_free(o);
	snapshot_free(n);
	free(ro), free(mo), free(rn), free(mn), free(od), free(nd);
}

static void identical_is_empty(void **state)
{
	char *r, *m, *a, *b;
	struct snapshot *x, *y;
	struct drift d;

	old_side(&r, &m);
	a = mkrep("same-a", r, m);
	b = mkrep("same-b", r, m);
	x = load_ok(a);
	y = load_ok(b);
	drift_compare(x, y, &d);
	assert_true(drift_empty(&d));
	assert_int_equal(d.files_unchanged, 10);
	json_object *j = json_of(&d);
	assert_int_equal(summary(j, "unchanged"), 1);
	assert_int_equal(summary(j, "files_changed"), 0);
	json_object_put(j);
	drift_release(&d);
	drift_compare(x, x, &d);
	assert_true(drift_empty(&d));
	drift_release(&d);
	snapshot_free(x);
	snapshot_free(y);
	free(r), free(m), free(a), free(b);
}

/* ---- C. the clean set and the reuse check ---- */

static void clean_set(void **state)
{
	struct rj x = {
		.detections = "[" DET("/det.exe", "S") ",{\"volume\":2,\"path\":\"/x.txt\",\"stream\":\"zone\","
			      "\"signature\":\"S\",\"sha256\":\"x\"}]",
		.macros = "[{\"volume\":2,\"path\":\"/mac.doc\",\"stream\":\"\"}]",
		.skipped = "[{\"volume\":2,\"path\":\"/skip.zip\",\"stream\":\"\"}]",
	};
	char *man, *d;
	size_t n;
	FILE *m = open_memstream(&man, &n);

	ml(m, 2, "/clean.exe", "", 10, hx('1'), "scanned", NULL, false);
	ml(m, 2, "/det.exe", "", 10, hx('2'), "scanned", NULL, false);
	ml(m, 2, "/mac.doc", "", 10, hx('3'), "scanned", NULL, false);
	ml(m, 2, "/skip.zip", "", 10, hx('4'), "scanned", NULL, false);
	ml(m, 2, "/p.bin", "", 10, hx('5'), "partial", NULL, false);
	ml(m, 2, "/s.bin", "", 10, hx('6'), "skipped", NULL, false);
	ml(m, 2, "/d.bin", "", 10, hx('7'), "detected", NULL, false);
	ml(m, 2, "/x.txt", "", 10, hx('a'), "scanned", NULL, false);
	ml(m, 2, "/x.txt", "zone", 10, hx('9'), "scanned", NULL, false);
	ml(m, 3, "/det.exe", "", 12, hx('b'), "scanned", NULL, false);   /* another volume: clean */
	ml(m, 2, "/unread", "", 10, NULL, "scanned", NULL, false);
	fclose(m);
	d = mkrep_rj("clean", &x, man);
	struct snapshot *s = load_ok(d);

	assert_true(snapshot_clean(s, hx('1'), 10));
	assert_false(snapshot_clean(s, hx('1'), 11));    /* size must match too */
	assert_false(snapshot_clean(s, hx('8'), 10));    /* hash must match */
	assert_false(snapshot_clean(s, hx('2'), 10));    /* detection */
	assert_false(snapshot_clean(s, hx('3'), 10));    /* macro document */
	assert_false(snapshot_clean(s, hx('4'), 10));    /* skipped content */
	assert_false(snapshot_clean(s, hx('5'), 10));    /* status partial */
	assert_false(snapshot_clean(s, hx('6'), 10));    /* status skipped */
	assert_false(snapshot_clean(s, hx('7'), 10));    /* status detected */
	assert_true(snapshot_clean(s, hx('a'), 10));     /* the file; its stream had the detection */
	assert_false(snapshot_clean(s, hx('9'), 10));
	assert_true(snapshot_clean(s, hx('b'), 12));
	/* Not a SHA-256 in lowercase hex. */
	assert_false(snapshot_clean(s, "", 10));
	assert_false(snapshot_clean(s, "1111", 10));
	assert_false(snapshot_clean(s, "1111111111111111111111111111111111111111111111111111111111111111X", 10));
	assert_false(snapshot_clean(s, "111111111111111111111111111111111111111111111111111111111111111g", 10));
	assert_false(snapshot_clean(NULL, hx('1'), 10));
	{
		char up[SHA256_HEX_LEN + 1];
		memset(up, 'A', SHA256_HEX_LEN);
		up[SHA256_HEX_LEN] = '\0';
		assert_false(snapshot_clean(s, up, 10));
	}
	snapshot_free(s);
	free(man);
	free(d);
}

static struct av *av;

static char *limits_json(const struct av_limits *l, const char *skip, uint64_t bump)
{
	struct { const char *k; uint64_t v; } v[] = {
		{ "max_filesize", l->max_filesize }, { "max_scansize", l->max_scansize },
		{ "max_recursion", l->max_recursion }, { "max_files", l->max_files },
		{ "max_scantime_ms", l->max_scantime_ms },
	};
	char *out = xstrdup("{"), *t;

	for (size_t i = 0; i < 5; i++) {
		if (skip && !strcmp(skip, v[i].k) && !bump)
			continue;
		t = xasprintf("%s%s\"%s\":%llu", out, out[1] ? "," : "", v[i].k,
			      (unsigned long long)(v[i].v + (skip && !strcmp(skip, v[i].k) ? bump : 0)));
		free(out);
		out = t;
	}
	t = xasprintf("%s}", out);
	free(out);
	return t;
}

/* The databases as report.json lists them; mode 1: the first one's hash
 * changed, 2: one more, 3: the last left out, 4: the first renamed. */
static char *dbs_json(int mode)
{
	char *out = xstrdup("["), *t;
	size_t n = av_db_count(av);

	for (size_t i = 0; i < n; i++) {
		const struct av_db *db = av_db(av, i);
		if (mode == 3 && i == n - 1)
			break;
		t = xasprintf("%s%s{\"name\":\"%s%s\",\"sha256\":\"%s\"}", out, i ? "," : "", mode == 4 && !i ? "x-" : "",
			      db->name, mode == 1 && !i ? hx('f') : db->sha256);
		free(out);
		out = t;
	}
	t = xasprintf("%s%s]", out, mode == 2 ? ",{\"name\":\"extra.ndb\",\"sha256\":\"" 
			"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\"}" : "");
	free(out);
	return t;
}

static void expect_reuse(const struct rj *x, bool ok, const char *needle)
{
	char *d = mkrep_rj("reuse", x, good_manifest), why[512] = "";
	struct snapshot *s = load_ok(d);

	struct rep_engine now;
	scan_engine_facts(av, &now);
	assert_int_equal(snapshot_reuse_ok(s, &now, why, sizeof(why)), ok);
	rep_engine_release(&now);
	if (!ok && !strstr(why, needle))
		fail_msg("reuse refused with \"%s\", not naming \"%s\"", why, needle);
	snapshot_free(s);
	free(d);
}

static void reuse_check(void **state)
{
	const struct av_limits *l = av_limits(av);
	char *lim = limits_json(l, NULL, 0), *dbs = dbs_json(0), *t;
	struct rj x;

	/* The build's own identity: one object defines the commit (version.h). */
	struct rj base = { .version = KENSHU_VERSION, .commit = kenshu_commit, .engine = av_version(),
			   .flevel = (long)av_functionality_level(), .limits = lim, .dbs = dbs };

	assert_true(av_db_count(av) >= 1);
	expect_reuse(&base, true, NULL);

	x = base, x.version = "0.0.1";
	expect_reuse(&x, false, "kenshu 0.0.1");
	x = base, x.commit = "deadbeef0000";
	expect_reuse(&x, false, "deadbeef0000");
	x = base, x.engine = "0.99.0";
	expect_reuse(&x, false, "libclamav 0.99.0");
	x = base, x.flevel = base.flevel + 1;
	expect_reuse(&x, false, "functionality level");

	static const char *const keys[] = { "max_filesize", "max_scansize", "max_recursion", "max_files", "max_scantime_ms" };
	for (size_t i = 0; i < 5; i++) {
		t = limits_json(l, keys[i], 1);
		x = base, x.limits = t;
		expect_reuse(&x, false, keys[i]);
		free(t);
		t = limits_json(l, keys[i], 0);   /* left out */
		x = base, x.limits = t;
		expect_reuse(&x, false, keys[i]);
		free(t);
	}

	const struct av_db *first = av_db(av, 0), *last = av_db(av, av_db_count(av) - 1);
	t = dbs_json(1);
	x = base, x.dbs = t;
	expect_reuse(&x, false, first->name);
	free(t);
	t = dbs_json(2);
	x = base, x.dbs = t;
	expect_reuse(&x, false, "extra.ndb");
	free(t);
	t = dbs_json(3);
	x = base, x.dbs = t;
	expect_reuse(&x, false, last->name);
	free(t);
	t = dbs_json(4);
	x = base, x.dbs = t;
	expect_reuse(&x, false, first->name);
	free(t);

	free(lim);
	free(dbs);
}

/* ---- D. the drift-* rules ---- */

static struct profile *load_text(const char *text)
{
	char *path = xasprintf("%s/p.ini", tmp);
	struct ks_err err;
	struct profile *p;

	write_file(path, text, strlen(text));
	if (profile_load(path, &p, &err) < 0)
		fail_msg("profile: %s", err.msg);
	free(path);
	return p;
}

static void dfile(struct drift *d, enum drift_change c, const char *path, const char *stream, bool dir)
{
	struct drift_file *f;

	d->files = xrealloc(d->files, (d->nfiles + 1) * sizeof(*d->files));
	f = &d->files[d->nfiles++];
	memset(f, 0, sizeof(*f));
	f->change = c;
	f->volume = 2;
	f->path = xstrdup(path);
	f->stream = xstrdup(stream);
	f->directory = dir;
	if (c != DRIFT_ADDED) {
		strcpy(f->old_sha256, hx('1'));
		f->old_size = 10;
		f->old_status = xstrdup("scanned");
	}
	if (c != DRIFT_REMOVED) {
		strcpy(f->new_sha256, hx('2'));
		f->new_size = 11;
		f->new_status = xstrdup("scanned");
	}
}

/* An autostart entry; field: the one changed property (or NULL). */
static void dauto(struct drift *d, enum drift_change c, const char *name, const char *command, const char *target,
		  const char *field_name)
{
	struct drift_autorun *a;

	d->autoruns = xrealloc(d->autoruns, (d->nautoruns + 1) * sizeof(*d->autoruns));
	a = &d->autoruns[d->nautoruns++];
	memset(a, 0, sizeof(*a));
	a->change = c;
	a->volume = 2;
	a->category = xstrdup("Run");
	a->location = xstrdup("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run");
	a->name = xstrdup(name);
	a->command = xstrdup(command);
	a->target = target ? xstrdup(target) : NULL;
	a->flags = xstrdup("");
	if (field_name) {
		a->f = xcalloc(1, sizeof(*a->f));
		a->f[0].name = xstrdup(field_name);
		a->f[0].old_value = xstrdup("before");
		a->f[0].new_value = xstrdup("after");
		a->nf = 1;
	}
}

static struct drift *drift_cases(void)
{
	struct drift *d = xcalloc(1, sizeof(*d));

	dfile(d, DRIFT_ADDED, "/Users/op/evil.exe", "", false);                     /* new-executable */
	dfile(d, DRIFT_ADDED, "/Users/op/notes.txt", "", false);                    /* nothing */
	dfile(d, DRIFT_ADDED, "/Users/op/notes2.txt", "payload.exe", false);        /* new-executable (ADS) */
	dfile(d, DRIFT_CHANGED, "/Program Files/ACME/hmi.exe", "", false);          /* new-executable */
	dfile(d, DRIFT_CHANGED, "/Windows/System32/kernel32.dll", "", false);       /* changed-system-file */
	dfile(d, DRIFT_REMOVED, "/Windows/System32/old.txt", "", false);            /* changed-system-file */
	dfile(d, DRIFT_ADDED, "/Windows/System32/config/evil.exe", "", false);      /* ignored */
	dfile(d, DRIFT_CHANGED, "/Windows/System32/config/SOFTWARE", "", false);    /* ignored */
	dfile(d, DRIFT_CHANGED, "/Windows/debug.log", "", false);                   /* ignored (**.log) */
	dfile(d, DRIFT_ADDED, "/Users/op/trace.log", "", false);                    /* nothing */
	dfile(d, DRIFT_ADDED, "/Vendor/allowed.exe", "", false);                    /* allowlisted */
	dfile(d, DRIFT_ADDED, "/Users/op/folder.exe", "", true);                    /* a directory */
	dfile(d, DRIFT_REMOVED, "/Windows/System32/gone-dir", "", true);            /* a directory */
	dfile(d, DRIFT_ADDED, "/Vendor/tools/x.exe", "", false);                    /* new-executable */
	dauto(d, DRIFT_ADDED, "newrun", "C:\\Users\\op\\n.exe", "/Users/op/n.exe", NULL);
	dauto(d, DRIFT_CHANGED, "flagsonly", "C:\\f.exe", "/f.exe", "flags");
	dauto(d, DRIFT_CHANGED, "cmdchg", "C:\\c2.exe", "/c2.exe", "command");
	dauto(d, DRIFT_REMOVED, "gone", "C:\\g.exe", "/g.exe", NULL);
	return d;
}

/* The number of findings of rule (any severity) and whether one is on
 * path (with stream as its value when non-NULL). */
static size_t nrule(const struct report *r, const char *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nfindings; i++)
		n += !strcmp(r->findings[i].rule, rule);
	return n;
}

static bool has(const struct report *r, const char *rule, const char *path, enum severity sev)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].rule, rule) && r->findings[i].path && !strcmp(r->findings[i].path, path) &&
		    r->findings[i].severity == sev)
			return true;
	return false;
}

static bool on_path(const struct report *r, const char *path)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (!strncmp(r->findings[i].rule, "drift-", 6) && r->findings[i].path &&
		    !strcmp(r->findings[i].path, path))
			return true;
	return false;
}

static const struct av_db custom_db = { .name = (char *)"kenshu-test.ndb", .official = false };

static void apply(const char *profile_text, struct report *r)
{
	struct profile *p = load_text(profile_text);
	const struct av_db *dbs[] = { &custom_db };

	report_init(r);
	strcpy(r->started, "2026-11-27T10:00:00Z");
	r->nvol = 1;
	r->vol = xcalloc(1, sizeof(*r->vol));
	r->vol[0].scanned = true;
	report_finish(r);
	r->drift = drift_cases();
	test_policy_apply_dbs(p, dbs, 1, "/db", r);
	profile_free(p);
}

static void check_rules(const struct report *r, enum severity sev)
{
	assert_int_equal(nrule(r, "drift-new-executable"), 4);
	assert_true(has(r, "drift-new-executable", "/Users/op/evil.exe", sev));
	assert_true(has(r, "drift-new-executable", "/Users/op/notes2.txt", sev));
	assert_true(has(r, "drift-new-executable", "/Program Files/ACME/hmi.exe", sev));
	assert_true(has(r, "drift-new-executable", "/Vendor/tools/x.exe", sev));
	assert_int_equal(nrule(r, "drift-changed-system-file"), 2);
	assert_true(has(r, "drift-changed-system-file", "/Windows/System32/kernel32.dll", sev));
	assert_true(has(r, "drift-changed-system-file", "/Windows/System32/old.txt", sev));
	assert_int_equal(nrule(r, "drift-new-autorun"), 2);
	assert_true(has(r, "drift-new-autorun", "/Users/op/n.exe", sev));
	assert_true(has(r, "drift-new-autorun", "/c2.exe", sev));
	/* What must not trigger. */
	static const char *const quiet[] = {
		"/Users/op/notes.txt", "/Windows/System32/config/evil.exe", "/Windows/System32/config/SOFTWARE",
		"/Windows/debug.log", "/Users/op/trace.log", "/Vendor/allowed.exe", "/Users/op/folder.exe",
		"/Windows/System32/gone-dir", "/f.exe", "/g.exe",
	};
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (on_path(r, quiet[i]))
			fail_msg("a drift finding on %s", quiet[i]);
	/* The changed autorun's message names what changed. */
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].path && !strcmp(r->findings[i].path, "/c2.exe"))
			assert_non_null(strstr(r->findings[i].message, "(command)"));
}

static void drift_rules(void **state)
{
	struct report r;

	apply("include = default\n[allow.v]\npath = /Vendor/allowed.exe\n", &r);
	check_rules(&r, SEV_REVIEW);
	assert_int_equal(r.verdict, VERDICT_REVIEW);
	report_release(&r);

	apply("include = strict\n[allow.v]\npath = /Vendor/allowed.exe\n", &r);
	check_rules(&r, SEV_FAIL);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	report_release(&r);

	apply("include = strict\n[rules]\ndrift-new-executable = off\ndrift-changed-system-file = off\n"
	      "drift-new-autorun = off\n", &r);
	assert_int_equal(nrule(&r, "drift-new-executable"), 0);
	assert_int_equal(nrule(&r, "drift-changed-system-file"), 0);
	assert_int_equal(nrule(&r, "drift-new-autorun"), 0);
	report_release(&r);

	/* A custom [drift] ignore: the Vendor tree is quiet, the rest not. */
	apply("include = default\n[drift]\nignore = /Vendor/**, /Windows/System32/config/**\n", &r);
	assert_false(on_path(&r, "/Vendor/tools/x.exe"));
	assert_false(on_path(&r, "/Vendor/allowed.exe"));
	assert_false(on_path(&r, "/Windows/System32/config/evil.exe"));
	assert_true(has(&r, "drift-new-executable", "/Users/op/evil.exe", SEV_REVIEW));
	/* **.log is no longer in the list: debug.log under /Windows is a system file change now. */
	assert_true(has(&r, "drift-changed-system-file", "/Windows/debug.log", SEV_REVIEW));
	assert_int_equal(nrule(&r, "drift-new-executable"), 3);
	report_release(&r);

	/* Narrower executable_extensions: only .dll counts. */
	apply("include = default\n[drift]\nexecutable_extensions = .dll\n", &r);
	assert_int_equal(nrule(&r, "drift-new-executable"), 0);
	assert_int_equal(nrule(&r, "drift-changed-system-file"), 2);
	report_release(&r);

	/* No baseline: no drift finding at all. */
	{
		struct profile *p = load_text("include = strict\n");
		const struct av_db *dbs[] = { &custom_db };
		report_init(&r);
		strcpy(r.started, "2026-11-27T10:00:00Z");
		report_finish(&r);
		test_policy_apply_dbs(p, dbs, 1, "/db", &r);
		for (size_t i = 0; i < r.nfindings; i++)
			assert_true(strncmp(r.findings[i].rule, "drift-", 6) != 0);
		report_release(&r);
		profile_free(p);
	}
}

/* ---- E. the scan in memory agrees with the report.json it writes ----
 *
 * snapshot_of_report() reads struct report directly; snapshot_load() reads
 * what report_save() wrote of it. White box: the two models must hold the
 * same text in every property, side and engine fact, not only compare as
 * "no drift". */

/* Valid UTF-8 that JSON must escape or carry as it is: quotes, a
 * backslash, control characters, markup, a bidirectional override, CJK,
 * an emoji, the ", " that joins lists. */
static const char evil[] = "C:\\Users\\\"op\"\\<b>&amp;</b>\n\t\x01\x1f\x7f \xE2\x80\xAE" "exe.txt "
			   "\xE8\xA8\xAD\xE5\xAE\x9A \xF0\x9F\x98\x80, x";

static char *ds(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct autorun *ar_add(struct os_info *os, const char *category, const char *location, const char *name,
			      const char *user, const char *command, const char *target, const char *sha,
			      unsigned flags)
{
	struct autorun *a;

	os->autoruns.v = xrealloc(os->autoruns.v, (os->autoruns.n + 1) * sizeof(*a));
	a = &os->autoruns.v[os->autoruns.n++];
	memset(a, 0, sizeof(*a));
	a->category = category;
	a->technique = "T1547.001";
	a->location = ds(location);
	a->name = ds(name);
	a->user = ds(user);
	a->command = ds(command);
	a->volume = os->volume;
	a->target = ds(target);
	a->target_exists = target ? 1 : -1;
	a->target_sha256 = ds(sha);
	a->flags = flags;
	return a;
}

static void profile_add(struct os_info *os, const char *sid, const char *user)
{
	struct os_profile *p;

	os->profiles = xrealloc(os->profiles, (os->nprofiles + 1) * sizeof(*p));
	p = &os->profiles[os->nprofiles++];
	memset(p, 0, sizeof(*p));
	p->sid = xstrdup(sid);
	p->user = ds(user);
	p->path = xasprintf("%%SystemDrive%%\\Users\\%s", user ? user : "");
}

static void rich_os(struct report *r)
{
	struct os_info os;

	/* Every property known, hostile where a registry string can be. */
	memset(&os, 0, sizeof(os));
	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	os.product_name = xstrdup("Windows 10 IoT Enterprise LTSC 2021");
	os.edition = xstrdup(evil);
	os.current_version = xstrdup("6.3");
	os.major = 10;
	os.build = xstrdup("19044");
	os.has_ubr = true;
	os.ubr = UINT32_MAX;
	os.service_pack = xstrdup("");      /* present and empty, not null */
	os.family = xstrdup("Windows 10");
	os.architecture = xstrdup("x64");
	os.hostname = xstrdup(evil);
	os.control_set = 1;
	profile_add(&os, "S-1-5-21-1-1001", "zed");
	profile_add(&os, "S-1-5-21-1-1002", evil);
	profile_add(&os, "S-1-5-21-1-1003", "Admin, Ops");
	profile_add(&os, "Default", NULL);
	ar_add(&os, "Run", "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", "upd", NULL,
	       "C:\\Vendor\\upd.exe /q", "/Vendor/upd.exe", hx('5'),
	       AR_FLAG_DETECTED | AR_FLAG_ENCODED | AR_FLAG_RENAMED | AR_FLAG_USER_WRITABLE);
	ar_add(&os, "Run", "HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", "upd", "zed", evil, NULL, NULL,
	       AR_FLAG_TARGET_MISSING);
	/* Same key, told apart by the command. */
	ar_add(&os, "Services", "HKLM\\SYSTEM\\CurrentControlSet\\Services", "dup", NULL, "x2.exe", "/x2.exe", NULL, 0);
	ar_add(&os, "Services", "HKLM\\SYSTEM\\CurrentControlSet\\Services", "dup", NULL, "x1.exe", "/x1.exe", NULL, 0);
	ar_add(&os, "Scheduled Tasks", "/Windows/System32/Tasks/" "\xE8\xA8\xAD", evil, NULL, "", "", "", 0);
	/* Local accounts: out of RID order, an unreadable F, a hostile name. */
	os.accounts.v = xcalloc(3, sizeof(*os.accounts.v));
	os.accounts.n = 3;
	os.accounts.v[0] = (struct sam_account){ .rid = 1001, .name = xstrdup(evil), .has_f = true, .acb = 0x0210,
						 .admin = true, .rdp = true, .password = SAM_PW_EMPTY };
	os.accounts.v[1] = (struct sam_account){ .rid = 500, .name = xstrdup("Administrator"), .has_f = true,
						 .acb = 0x0211, .admin = true, .password = SAM_PW_SET };
	os.accounts.v[2] = (struct sam_account){ .rid = 1002, .name = xstrdup("(RID 1002)"),
						 .password = SAM_PW_UNKNOWN, .note = xstrdup("F: absent") };
	report_add_os(r, &os);

	/* Nothing known but where it is. */
	memset(&os, 0, sizeof(os));
	os.volume = 3;
	os.system_root = xstrdup("/WINNT");
	ar_add(&os, "Run", "HKCU\\Run", "", "op", "", NULL, NULL, 0);
	report_add_os(r, &os);
}

static void rich_volumes(struct report *r)
{
	struct rep_volume *v;

	r->nvol = 3;
	r->vol = v = xcalloc(3, sizeof(*v));
	v[0].v = (struct img_volume){ .index = 1, .offset = 1 << 20, .size = 100 << 20, .part_type = "EFI system",
				      .fs = "fat", .state = VOL_READABLE };
	snprintf(v[0].v.gpt_type, sizeof(v[0].v.gpt_type), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
	v[0].label = xstrdup("SYSTEM");
	v[0].fs_version = xstrdup("");
	v[1].v = (struct img_volume){ .index = 2, .offset = 101 << 20, .size = (uint64_t)1 << 40,
				      .part_type = "Basic data", .fs = "ntfs", .state = VOL_READABLE };
	snprintf(v[1].v.part_name, sizeof(v[1].v.part_name), "%s", evil);
	v[1].label = xstrdup(evil);
	v[1].fs_version = xstrdup("3.1");
	v[1].reader = xstrdup("libntfs-3g");
	v[1].scanned = true;
	v[1].dirty = true;
	v[1].files = 12;
	v[1].streams = 14;
	v[1].bytes = UINT64_MAX;
	v[1].hardlinks = 1;
	/* Inside another: no offset, a device; label and file system unknown. */
	v[2].v = (struct img_volume){ .index = 3, .size = UINT64_MAX, .part_type = NULL, .fs = NULL, .parent = 2,
				      .logical = true, .state = VOL_UNSUPPORTED };
	snprintf(v[2].v.device, sizeof(v[2].v.device), "/dev/vg/lv");
	snprintf(v[2].v.state_reason, sizeof(v[2].v.state_reason), "%s", evil);
}

/* A report with every list the comparison reads populated, before the
 * policy ran (as scan.c takes its first snapshot). */
static void rich_report(struct report *r)
{
	report_init(r);
	scan_engine_facts(av, &r->engine);
	r->image_path = xstrdup(evil);
	r->image_format = xstrdup("raw");
	r->image_reader = xstrdup("raw");
	r->scheme = xstrdup("gpt");
	r->disk_guid = xstrdup("6A1B2C3D-0000-4000-8000-000000000001");
	memcpy(r->sha256_before, hx('c'), SHA256_HEX_LEN);
	memcpy(r->sha256_after, hx('c'), SHA256_HEX_LEN);
	strcpy(r->started, "2026-11-27T10:00:00Z");
	strcpy(r->finished, "2026-11-27T10:01:00Z");
	r->host = xstrdup("acceptance-ws01");
	r->threads = 2;
	rich_volumes(r);
	rich_os(r);
	report_add_detection(r, 2, "/x.exe", "", "Kenshu.Drift.Test", hx('1'), 68);
	report_add_detection(r, 2, evil, "ads", "Sig.A", hx('2'), 2);
	report_add_detection(r, 3, "/a.exe", NULL, evil, hx('3'), 3);
	report_add_macro(r, 2, "/doc.docm", "", "Heuristics.OLE2.ContainsMacros", hx('4'), 100);
	report_add_skip(r, 2, "/big.bin", "", "larger than the scan limit", 5);
	report_add_skip(r, 0, "volume 3", NULL, "no reader for this file system", 0);
	report_add_reparse(r, 2, "/Documents and Settings", 0xA0000003u, "/Users", true);
	report_add_file(r, 2, "/x.exe", "", 68, hx('1'), 0, NULL, "detected");
	report_add_file(r, 2, evil, "ads", 2, hx('2'), FS_F_NAME_LOSSY, NULL, "detected");
	report_add_file(r, 2, evil, "", 0, hx('0'), FS_F_COMPRESSED | FS_F_SPARSE, NULL, "scanned");
	report_add_file(r, 2, "/Windows/System32/kernel32.dll", "", 1000, hx('6'), FS_F_WOF, NULL, "scanned");
	report_add_file(r, 2, "/Vendor/new.exe", "", 10, hx('7'), 0, NULL, "scanned");
	/* A directory and a directory's own stream. */
	report_add_file(r, 2, "/Dir", "", 0, NULL, FS_F_DIRECTORY, NULL, "directory");
	report_add_file(r, 2, "/Dir", "Zone.Identifier", 26, hx('8'), FS_F_DIRECTORY, NULL, "scanned");
	/* Hard links: the first name scanned, the others point at it. */
	report_add_file(r, 2, "/h1", "", 10, hx('e'), FS_F_HARDLINK, NULL, "scanned");
	report_add_file(r, 2, "/h2", "", 10, hx('e'), FS_F_HARDLINK, "/h1", "link");
	report_add_file(r, 2, "/locked.bin", "", 5, NULL, FS_F_ENCRYPTED, NULL, "unreadable");
	report_add_file(r, 2, "/big.bin", "", 5, hx('9'), 0, NULL, "partial");
	/* Past INT64_MAX: read back exactly, not clamped. */
	report_add_file(r, 2, "/sparse.img", "", UINT64_MAX, NULL, FS_F_SPARSE, NULL, "skipped");
	report_add_file(r, 3, "/a.exe", "", 3, hx('3'), FS_F_REPARSE, NULL, "detected");
	report_finish(r);
}

/* The policy as a scan runs it, with a waiver and a baseline's drift. */
static void judge_rich(struct report *r, const struct snapshot *baseline, const struct snapshot *now)
{
	struct profile *p = load_text("include = default\n"
				      "[waiver.eicar]\nrule = malware\npath = /x.exe\nreason = test\n"
				      "approver = QA\nexpires = 2030-01-01\n");

	r->drift = xcalloc(1, sizeof(*r->drift));
	drift_compare(baseline, now, r->drift);
	policy_apply(p, r);
	profile_free(p);
}

static void finding_add(struct report *r, const char *rule, enum severity sev, const char *message, unsigned vol,
			const char *path, const char *value, const char *waiver)
{
	struct rep_finding *f;

	r->findings = xrealloc(r->findings, (r->nfindings + 1) * sizeof(*f));
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->severity = sev;
	f->message = ds(message);
	f->volume = vol;
	f->path = ds(path);
	f->value = ds(value);
	f->version = ds(value ? "1.0" : NULL);
	f->sha256 = ds(path ? hx('d') : NULL);
	f->waiver = ds(waiver);
}

static void text_equal(const char *what, size_t i, const char *field, const char *a, const char *b)
{
	if (!a != !b || (a && strcmp(a, b) != 0))
		fail_msg("%s[%zu].%s: \"%s\" read back from report.json, \"%s\" from the report in memory", what, i,
			 field, a ? a : "(absent)", b ? b : "(absent)");
}

/* Every property of the two models, the file lists included. */
static void models_equal(const struct snapshot *disk, const struct snapshot *mem)
{
	const struct snap_side *a = &disk->side, *b = &mem->side;
	const struct snap_engine *x = &disk->engine, *y = &mem->engine;

	text_equal("side", 0, "image_path", a->image_path, b->image_path);
	text_equal("side", 0, "image_sha256", a->image_sha256, b->image_sha256);
	text_equal("side", 0, "started", a->started, b->started);
	text_equal("side", 0, "verdict", a->verdict, b->verdict);
	text_equal("side", 0, "profile", a->profile, b->profile);
	text_equal("side", 0, "tool_version", a->tool_version, b->tool_version);
	text_equal("side", 0, "tool_commit", a->tool_commit, b->tool_commit);
	text_equal("engine", 0, "version", x->version, y->version);
	assert_int_equal(x->functionality_level, y->functionality_level);
	for (size_t i = 0; i < SNAP_NLIMITS; i++) {
		assert_true(x->has_limit[i] && y->has_limit[i]);
		assert_true(x->limit[i] == y->limit[i]);
	}
	assert_int_equal(x->ndbs, y->ndbs);
	for (size_t i = 0; i < x->ndbs; i++) {
		text_equal("engine.databases", i, "name", x->dbs[i].name, y->dbs[i].name);
		text_equal("engine.databases", i, "sha256", x->dbs[i].sha256, y->dbs[i].sha256);
	}
	for (int l = 0; l < SNAP_NLISTS; l++) {
		const struct snap_list_def *def = &snap_lists[l];
		const struct snap_items *p = &disk->lists[l], *q = &mem->lists[l];
		if (p->n != q->n)
			fail_msg("%s: %zu items read back, %zu in memory", def->key, p->n, q->n);
		for (size_t i = 0; i < p->n; i++) {
			if (p->v[i].volume != q->v[i].volume)
				fail_msg("%s[%zu]: volume %u read back, %u in memory", def->key, i, p->v[i].volume,
					 q->v[i].volume);
			for (size_t k = 0; k < SNAP_MAX_FIELDS; k++)
				text_equal(def->key, i, k < def->nfields ? def->fields[k].key : "(beyond the table)",
					   p->v[i].v[k], q->v[i].v[k]);
		}
	}
	assert_int_equal(disk->nfiles, mem->nfiles);
	for (size_t i = 0; i < disk->nfiles; i++) {
		const struct snap_file *f = &disk->files[i], *g = &mem->files[i];
		assert_int_equal(f->volume, g->volume);
		text_equal("files", i, "path", f->path, g->path);
		text_equal("files", i, "stream", f->stream, g->stream);
		assert_true(f->size == g->size);
		text_equal("files", i, "sha256", f->sha256, g->sha256);
		text_equal("files", i, "status", f->status, g->status);
		text_equal("files", i, "link_of", f->link_of, g->link_of);
		assert_int_equal(f->directory, g->directory);
	}
}

static void sides_equal(const struct drift_side *a, const struct drift_side *b)
{
	assert_string_equal(a->image_path, b->image_path);
	assert_string_equal(a->image_sha256, b->image_sha256);
	assert_string_equal(a->started, b->started);
	assert_string_equal(a->verdict, b->verdict);
	assert_string_equal(a->profile, b->profile);
	assert_string_equal(a->tool, b->tool);
}

/* Saves r, reads it back, and checks both ways that the directory and the
 * snapshot of r in memory (mem) say the same. */
static void agrees_with_saved(const struct report *r, const struct snapshot *mem, const char *what)
{
	char *d = xasprintf("%s/%u-%s", tmp, ndirs++, what);
	struct snapshot *disk;
	struct ks_err err;
	struct drift dr;

	if (report_save(r, NULL, d, &err) < 0)
		fail_msg("report_save %s: %s", d, err.msg);
	disk = load_ok(d);
	models_equal(disk, mem);
	drift_compare(disk, mem, &dr);
	assert_true(drift_empty(&dr));
	assert_int_equal(dr.files_unchanged, r->nfiles);
	sides_equal(&dr.old, &dr.new);
	assert_string_equal(dr.old.dir, d);
	assert_null(dr.new.dir);
	assert_string_equal(dr.new.report_sha256, "");
	drift_release(&dr);
	drift_compare(mem, disk, &dr);
	assert_true(drift_empty(&dr));
	sides_equal(&dr.old, &dr.new);
	drift_release(&dr);
	snapshot_free(disk);
	free(d);
}

static size_t nfindings_of(const struct snapshot *s, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < s->lists[SNAP_FINDINGS].n; i++)
		n += !strncmp(s->lists[SNAP_FINDINGS].v[i].v[SNAP_FND_RULE], prefix, strlen(prefix));
	return n;
}

static void live_snapshot_matches_report_json(void **state)
{
	char *ro, *mo, *od;
	struct snapshot *baseline, *mem;
	struct report r;

	old_side(&ro, &mo);
	od = mkrep("e-baseline", ro, mo);
	baseline = load_ok(od);

	/* As scan.c does it: a snapshot before the policy, compared, the
	 * policy (drift-* rules, a waiver), the snapshot updated. */
	rich_report(&r);
	mem = snapshot_of_report(&r);
	agrees_with_saved(&r, mem, "e-before-policy");
	judge_rich(&r, baseline, mem);
	snapshot_update(mem, &r);
	agrees_with_saved(&r, mem, "e-after-policy");

	/* The policy's outcomes are there: drift-* rules and a waiver. */
	assert_true(nfindings_of(mem, "drift-") > 0);
	{
		bool waived = false;
		for (size_t i = 0; i < mem->lists[SNAP_FINDINGS].n; i++)
			waived |= mem->lists[SNAP_FINDINGS].v[i].v[SNAP_FND_WAIVER] != NULL;
		assert_true(waived);
	}

	/* Findings with and without evidence, hostile text, a message the
	 * policy never leaves NULL, two that differ only by message. */
	finding_add(&r, "autorun-unknown", SEV_INFO, evil, 0, NULL, NULL, NULL);
	finding_add(&r, "risky-file-type", SEV_REVIEW, "m", 2, evil, ".js", "vendor-js");
	finding_add(&r, "risky-file-type", SEV_REVIEW, "n", 2, evil, ".js", NULL);
	finding_add(&r, "malware", SEV_FAIL, NULL, 3, "", "", evil);
	finding_add(&r, "drift-new-autorun", SEV_REVIEW, "d", UINT32_MAX, "/x", NULL, NULL);
	snapshot_update(mem, &r);
	agrees_with_saved(&r, mem, "e-findings");

	/* The spelling of a few properties, against report.json's text. */
	{
		const struct snap_item *os = &mem->lists[SNAP_OS].v[0], *bare = &mem->lists[SNAP_OS].v[1];
		const struct snap_item *vol = &mem->lists[SNAP_VOLUMES].v[1], *ar = &mem->lists[SNAP_AUTORUNS].v[0];
		char *users = xasprintf(", Admin, Ops, %s, zed", evil);
		assert_string_equal(os->v[SNAP_OS_VERSION], "10.0");
		assert_string_equal(os->v[SNAP_OS_UBR], "4294967295");
		assert_string_equal(os->v[SNAP_OS_SERVICE_PACK], "");
		assert_string_equal(os->v[SNAP_OS_USERS], users);
		assert_null(bare->v[SNAP_OS_VERSION]);
		assert_null(bare->v[SNAP_OS_UBR]);
		assert_null(bare->v[SNAP_OS_PRODUCT_NAME]);
		assert_string_equal(bare->v[SNAP_OS_USERS], "");
		char *acc = xasprintf("Administrator (RID 500, disabled, admin, password set), %s (RID 1001, enabled, "
				      "admin, rdp, password empty), (RID 1002) (RID 1002, state unknown, password unknown)",
				      evil);
		assert_string_equal(os->v[SNAP_OS_ACCOUNTS], acc);
		free(acc);
		assert_null(bare->v[SNAP_OS_ACCOUNTS]);   /* no SAM: absent, as in a 1.3 baseline */
		assert_string_equal(vol->v[SNAP_VOL_SIZE], "1099511627776");
		assert_string_equal(vol->v[SNAP_VOL_SCANNED], "true");
		assert_string_equal(mem->lists[SNAP_VOLUMES].v[2].v[SNAP_VOL_FILESYSTEM], "");
		assert_string_equal(mem->lists[SNAP_VOLUMES].v[2].v[SNAP_VOL_SIZE], "18446744073709551615");
		assert_string_equal(ar->v[SNAP_AR_FLAGS],
				    "target-detected, user-writable-location, encoded-command, renamed-binary");
		assert_null(ar->v[SNAP_AR_USER]);
		assert_string_equal(mem->lists[SNAP_DETECTIONS].v[2].v[SNAP_DET_STREAM], "");
		free(users);
	}

	snapshot_free(mem);
	report_release(&r);

	/* A report with no list at all and only what every scan sets (the
	 * writers of report.txt need it): the rest is NULL, absent. */
	report_init(&r);
	r.image_path = xstrdup("/img/blank.raw");
	r.image_format = xstrdup("raw");
	r.image_reader = xstrdup("raw");
	r.scheme = xstrdup("none");
	r.engine.version = xstrdup("1.4.6");
	mem = snapshot_of_report(&r);
	agrees_with_saved(&r, mem, "e-empty");
	snapshot_free(mem);
	report_release(&r);

	snapshot_free(baseline);
	free(ro), free(mo), free(od);
}

static int setup(void **state)
{
	/* Two database files: the reuse check compares the list, in order. */
	av = test_engine_open(tmp, (const struct test_db_file[]){
				      { "t.ndb", "Kenshu.Drift.Test:0:*:6b656e7368752d6472696674\n" },
				      { "u.ndb", "Kenshu.Drift.Test2:0:*:6b656e7368752d647269667432\n" } }, 2);
	return av ? 0 : -1;
}

static int teardown(void **state)
{
	return test_engine_close(av, tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_minimal_loads),
		cmocka_unit_test(hostile_directories),
		cmocka_unit_test(hostile_report_json),
		cmocka_unit_test(hostile_report_types),
		cmocka_unit_test(report_too_large),
		cmocka_unit_test(hostile_manifest),
		cmocka_unit_test(special_files),
		cmocka_unit_test(mutations),
		cmocka_unit_test(compare_semantics),
		cmocka_unit_test(identical_is_empty),
		cmocka_unit_test(clean_set),
		cmocka_unit_test(reuse_check),
		cmocka_unit_test(drift_rules),
		cmocka_unit_test(live_snapshot_matches_report_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
