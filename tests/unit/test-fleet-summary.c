/* fleet summary: a campaign directory built in a temporary directory with
 * synthetic report.json / bundle.json files (schema-shaped: verdict,
 * findings, drift summary, scan times) and statuses made by hand.
 * Every field of the summary, the order and counts, the comparison with a
 * previous fleet.json; hostile report files each make their machine
 * NOT-AUDITED with the reason and leave the others alone; fleet.json read
 * back with json-c; fleet.html escapes every string and links only
 * relatively. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/fleet.h>

static char top[] = "/tmp/kenshu-test-fleet-summary-XXXXXX";

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0 && fclose(f) == 0);
}

static void mkdirs(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
	free(p);
}

/* A report.json shaped as kenshu writes it, the parts a summary reads. */
static char *report(const char *verdict, const char *reason, const char *findings, const char *drift,
		    double seconds, unsigned ndet)
{
	struct strbuf det = STRBUF_INIT;

	for (unsigned i = 0; i < ndet; i++)
		strbuf_addf(&det, "%s{\"volume\":1,\"path\":\"/x%u\",\"signature\":\"Eicar\"}", i ? "," : "", i);
	char *s = xasprintf("{\"schema_version\":\"1.3\",\"tool\":{\"name\":\"kenshu\"},\"case\":{},"
			    "\"verdict\":\"%s\",\"verdict_reason\":\"%s\",\"profile\":{},\"findings\":[%s],"
			    "\"drift\":%s,\"image\":{\"path\":\"x.img\",\"sha256_before\":\"" SHA_A "\"},"
			    "\"scan\":{\"started\":\"2026-01-02T03:04:05Z\",\"finished\":\"2026-01-02T03:05:00Z\","
			    "\"seconds\":%.3f},\"detections\":[%s]}",
			    verdict, reason, findings, drift ? drift : "null", seconds, det.buf);
	strbuf_release(&det);
	return s;
}

static char *finding(const char *rule, const char *sev, const char *msg, const char *path, bool waived)
{
	return xasprintf("{\"rule\":\"%s\",\"severity\":\"%s\",\"message\":\"%s\",\"evidence\":{%s%s%s},"
			 "\"waived\":%s,\"waiver\":%s}",
			 rule, sev, msg, path ? "\"path\":\"" : "", path ? path : "", path ? "\"" : "",
			 waived ? "true" : "false", waived ? "\"w1\"" : "null");
}

static const char *drift_summary(unsigned fa, unsigned fr, unsigned fc, unsigned aa, unsigned dn, bool unchanged)
{
	static char buf[512];
	snprintf(buf, sizeof(buf),
		 "{\"old\":{},\"new\":{},\"summary\":{\"files_added\":%u,\"files_removed\":%u,\"files_changed\":%u,"
		 "\"files_unchanged\":9,\"autoruns_added\":%u,\"autoruns_removed\":0,\"autoruns_changed\":0,"
		 "\"detections_new\":%u,\"detections_gone\":0,\"findings_added\":0,\"findings_removed\":0,"
		 "\"findings_changed\":0,\"os_changes\":0,\"volume_changes\":0,\"unchanged\":%s},\"files\":[]}",
		 fa, fr, fc, aa, dn, unchanged ? "true" : "false");
	return buf;
}

/* ---- a campaign by hand ---- */

struct camp {
	char *dir;
	struct fleet_campaign c;
	struct fleet_status *st;
};

static void camp_init(struct camp *k, const char *name, size_t n)
{
	memset(k, 0, sizeof(*k));
	k->dir = xasprintf("%s/%s", top, name);
	char *m = xasprintf("%s/machines", k->dir);
	mkdirs(m);
	free(m);
	k->c.dir = k->dir;
	k->c.created = (char *)"2026-01-01T00:00:00Z";
	k->c.manifest_name = (char *)"plant.csv";
	memcpy(k->c.manifest_sha256, SHA_B, SHA256_HEX_LEN + 1);
	k->c.profile = (char *)"default";
	k->c.rows = xcalloc(n, sizeof(*k->c.rows));
	k->c.nrows = n;
	k->st = xcalloc(n, sizeof(*k->st));
}

/* Row i: asset, its status verdict (reason for NOT-AUDITED), and the
 * report directory made (unless NULL). */
static char *camp_row(struct camp *k, size_t i, const char *asset, const char *verdict, const char *reason)
{
	k->c.rows[i].line = (unsigned)i + 2;
	k->c.rows[i].asset = (char *)asset;
	k->c.rows[i].image = xasprintf("images/%s.img", asset);
	k->st[i].state = strcmp(verdict, "NOT-AUDITED") ? FLEET_DONE : FLEET_FAILED;
	k->st[i].verdict = (char *)verdict;
	k->st[i].reason = (char *)reason;
	char *d = xasprintf("%s/machines/%s", k->dir, asset);
	mkdirs(d);
	return d;
}

static void camp_put(struct camp *k, const char *asset, const char *file, char *text)
{
	char *p = xasprintf("%s/machines/%s/%s", k->dir, asset, file);
	put(p, text);
	free(p);
	free(text);
}

static char *mpath(struct camp *k, const char *rel)
{
	return xasprintf("%s/machines/%s", k->dir, rel);
}

static void camp_release(struct camp *k)
{
	for (size_t i = 0; i < k->c.nrows; i++) {
		free(k->c.rows[i].image);
		free(k->c.rows[i].baseline);
		free(k->c.rows[i].meta.v);
	}
	free(k->c.rows);
	free(k->st);
	free(k->dir);
}

static const struct fleet_machine *find(const struct fleet_summary *s, const char *asset)
{
	for (size_t i = 0; i < s->nmachines; i++)
		if (!strcmp(s->machines[i].asset, asset))
			return &s->machines[i];
	fail_msg("no machine %s", asset);
	return NULL;
}

/* ---- the ordinary campaign ---- */

static void build_ordinary(struct camp *k, struct fleet_summary *s)
{
	struct strbuf f = STRBUF_INIT;
	char *x;
	static struct case_entry meta[] = { { (char *)"line", (char *)"press" }, { (char *)"po", (char *)"4500012345" } };

	camp_init(k, "ordinary", 7);
	free(camp_row(k, 0, "pass1", "PASS", NULL));
	k->c.rows[0].meta = (struct case_meta){ xmalloc(sizeof(meta)), 2 };
	memcpy(k->c.rows[0].meta.v, meta, sizeof(meta));
	camp_put(k, "pass1", "report.json", report("PASS", "0 findings for information", "", NULL, 61.5, 0));

	/* fail1: 6 fail (one of them listed after the review), a waived fail,
	 * a review and an info; a baseline with drift. */
	free(camp_row(k, 1, "fail1", "FAIL", NULL));
	k->c.rows[1].baseline = xstrdup("/base/fail1");
	k->c.rows[1].profile = (char *)"strict.ini";
	const char *order[] = { "info", "review", "fail", "fail", "fail", "fail", "fail", "fail" };
	for (size_t i = 0; i < 8; i++) {
		char msg[32];
		snprintf(msg, sizeof(msg), "m%zu", i);
		x = finding(i == 1 ? "unsigned-autorun" : "malware", order[i], msg, i == 2 ? "/evil.exe" : NULL, false);
		strbuf_addf(&f, "%s,", x);
		free(x);
	}
	x = finding("malware", "fail", "waived one", NULL, true);
	strbuf_addstr(&f, x);
	free(x);
	camp_put(k, "fail1", "report.json",
		 report("FAIL", "rejected by: malware (6)", f.buf, drift_summary(3, 1, 2, 1, 1, false), 4000, 2));
	strbuf_release(&f);

	free(camp_row(k, 2, "rev1", "REVIEW", NULL));
	k->c.rows[2].baseline = xstrdup("/base/rev1");
	x = finding("unsigned-autorun", "review", "an unsigned autostart", "/a.exe", false);
	camp_put(k, "rev1", "report.json", report("REVIEW", "needs review for: unsigned-autorun (1)", x,
						  drift_summary(0, 0, 0, 0, 0, true), 5, 0));
	free(x);

	/* Not audited: its directory holds an older report, never read. */
	free(camp_row(k, 3, "na1", "NOT-AUDITED", "the Slurm task was cancelled (scancel) mid-scan"));
	camp_put(k, "na1", "report.json", report("PASS", "stale", "", NULL, 1, 0));
	k->st[3].have_result = false;

	free(camp_row(k, 4, "bund1", "FAIL", NULL));
	camp_put(k, "bund1", "bundle.json",
		 xstrdup("{\"schema_version\":\"1.0\",\"verdict\":\"FAIL\",\"verdict_reason\":\"malware detected in 1 "
			 "members\",\"bundle\":{\"path\":\"d.zip\",\"sha256_before\":\"" SHA_B "\"},\"scan\":{\"started\":"
			 "\"2026-01-02T00:00:00Z\",\"finished\":\"2026-01-02T00:00:02Z\",\"seconds\":1.94},\"members\":["
			 "{\"path\":\"ok.img\",\"kind\":\"image\",\"verdict\":\"PASS\",\"report\":\"ok.img\"},"
			 "{\"path\":\"../../etc/evil.txt\",\"kind\":\"skipped\",\"verdict\":\"REVIEW\",\"detections\":[],"
			 "\"reason\":\"'..' in the path\"},"
			 "{\"path\":\"setup.exe\",\"kind\":\"file\",\"verdict\":\"FAIL\",\"detections\":[\"Eicar-Sig\"]}]}"));

	/* A WIM with two images: worst verdict, counts summed. */
	free(camp_row(k, 5, "wim1", "REVIEW", NULL));
	k->c.rows[5].baseline = xstrdup("/base/wim1");
	char *i1 = mpath(k, "wim1/image-1"), *i2 = mpath(k, "wim1/image-2");
	mkdirs(i1);
	mkdirs(i2);
	camp_put(k, "wim1", "image-1/report.json", report("PASS", "clean", "", drift_summary(1, 0, 0, 0, 0, false), 10, 1));
	x = finding("hardening", "review", "SMBv1 on", NULL, false);
	camp_put(k, "wim1", "image-2/report.json", report("REVIEW", "needs review", x, drift_summary(2, 0, 0, 0, 0, false), 20, 2));
	free(x);
	free(i1);
	free(i2);

	/* A bundle whose scan ended with ERROR: NOT-AUDITED, its words. */
	free(camp_row(k, 6, "berr", "NOT-AUDITED", "kenshu scan exited with 2"));
	k->st[6].have_result = true;
	k->st[6].result.verdict = (char *)"ERROR";
	k->st[6].result.exit_code = 2;
	camp_put(k, "berr", "bundle.json",
		 xstrdup("{\"verdict\":\"ERROR\",\"verdict_reason\":\"1 images could not be scanned\",\"bundle\":"
			 "{\"sha256_before\":\"" SHA_B "\"},\"scan\":{\"started\":\"s\",\"finished\":\"f\",\"seconds\":3},"
			 "\"members\":[{\"path\":\"bad.img\",\"kind\":\"image\",\"verdict\":\"ERROR\",\"reason\":"
			 "\"could not be scanned: truncated\"}]}"));

	struct ks_err err = { 0 };
	assert_int_equal(fleet_summary_build(&k->c, k->st, NULL, s, &err), 0);
}

static void ordinary(void **state)
{
	struct camp k;
	struct fleet_summary s;
	const struct fleet_machine *m;

	build_ordinary(&k, &s);
	assert_string_equal(s.campaign_dir, k.dir);
	assert_string_equal(s.created, "2026-01-01T00:00:00Z");
	assert_int_equal(strlen(s.generated), 20);
	assert_string_equal(s.manifest_name, "plant.csv");
	assert_string_equal(s.manifest_sha256, SHA_B);
	assert_null(s.previous);
	assert_int_equal(s.nmachines, 7);
	assert_string_equal(s.machines[0].asset, "pass1");   /* manifest order */
	assert_string_equal(s.machines[6].asset, "berr");
	assert_true(s.counts[0] == 1 && s.counts[1] == 2 && s.counts[2] == 2 && s.counts[3] == 2);
	assert_int_equal(s.worse, 0);

	m = find(&s, "pass1");
	assert_string_equal(m->verdict, "PASS");
	assert_null(m->reason);
	assert_string_equal(m->verdict_reason, "0 findings for information");
	assert_string_equal(m->report, "machines/pass1");
	assert_string_equal(m->report_html, "machines/pass1/report.html");
	assert_string_equal(m->image, "images/pass1.img");
	assert_string_equal(m->image_sha256, SHA_A);
	assert_null(m->baseline);
	assert_string_equal(m->profile, "default");   /* the campaign's */
	assert_int_equal(m->meta.n, 2);
	assert_string_equal(m->meta.v[1].value, "4500012345");
	assert_string_equal(m->started, "2026-01-02T03:04:05Z");
	assert_string_equal(m->finished, "2026-01-02T03:05:00Z");
	assert_true(m->seconds > 61.49 && m->seconds < 61.51);
	assert_true(m->detections == 0 && !m->has_drift && m->ndecisive == 0 && m->decisive_total == 0);
	assert_true(!m->previous_verdict && !m->worse);

	m = find(&s, "fail1");
	assert_string_equal(m->verdict, "FAIL");
	assert_string_equal(m->profile, "strict.ini");
	assert_string_equal(m->baseline, "/base/fail1");
	assert_int_equal(m->detections, 2);
	assert_true(m->has_drift);
	assert_true(m->drift.files_added == 3 && m->drift.files_removed == 1 && m->drift.files_changed == 2);
	assert_true(m->drift.autoruns_added == 1 && m->drift.autoruns_removed == 0 && m->drift.autoruns_changed == 0);
	assert_true(m->drift.detections_new == 1 && m->drift.detections_gone == 0 && !m->drift.unchanged);
	/* fail first (in report order), review after; waived and info never. */
	assert_int_equal(m->ndecisive, FLEET_MAX_DECISIVE);
	assert_int_equal(m->decisive_total, 7);
	assert_string_equal(m->decisive[0].message, "m2");
	assert_string_equal(m->decisive[0].path, "/evil.exe");
	assert_string_equal(m->decisive[0].severity, "fail");
	assert_string_equal(m->decisive[0].rule, "malware");
	assert_null(m->decisive[1].path);
	assert_string_equal(m->decisive[4].message, "m6");
	for (size_t i = 0; i < m->ndecisive; i++)
		assert_string_equal(m->decisive[i].severity, "fail");

	m = find(&s, "rev1");
	assert_string_equal(m->verdict, "REVIEW");
	assert_true(m->has_drift && m->drift.unchanged);
	assert_int_equal(m->ndecisive, 1);
	assert_string_equal(m->decisive[0].severity, "review");
	assert_string_equal(m->decisive[0].path, "/a.exe");

	m = find(&s, "na1");
	assert_string_equal(m->verdict, "NOT-AUDITED");
	assert_string_equal(m->reason, "the Slurm task was cancelled (scancel) mid-scan");
	assert_true(!m->report && !m->report_html && !m->verdict_reason && !m->started && m->seconds < 0);

	m = find(&s, "bund1");
	assert_string_equal(m->verdict, "FAIL");
	assert_string_equal(m->report, "machines/bund1");
	assert_string_equal(m->report_html, "machines/bund1/bundle.txt");
	assert_string_equal(m->image_sha256, SHA_B);
	assert_int_equal(m->detections, 1);
	assert_int_equal(m->ndecisive, 2);
	assert_int_equal(m->decisive_total, 2);
	assert_string_equal(m->decisive[0].rule, "bundle-member");
	assert_string_equal(m->decisive[0].severity, "fail");
	assert_string_equal(m->decisive[0].path, "setup.exe");
	assert_string_equal(m->decisive[0].message, "setup.exe: FAIL, detected: Eicar-Sig");
	assert_string_equal(m->decisive[1].severity, "review");
	assert_string_equal(m->decisive[1].message, "../../etc/evil.txt: REVIEW ('..' in the path)");

	m = find(&s, "wim1");
	assert_string_equal(m->verdict, "REVIEW");
	assert_string_equal(m->report_html, "machines/wim1/image-1/report.html");
	assert_string_equal(m->verdict_reason, "image 1: clean; image 2: needs review");
	assert_int_equal(m->detections, 3);
	assert_true(m->seconds > 29.9 && m->seconds < 30.1);
	assert_true(m->has_drift);
	assert_int_equal(m->drift.files_added, 3);
	assert_int_equal(m->ndecisive, 1);
	assert_string_equal(m->decisive[0].message, "image 2: SMBv1 on");

	m = find(&s, "berr");
	assert_string_equal(m->verdict, "NOT-AUDITED");
	assert_string_equal(m->reason, "1 images could not be scanned");
	assert_string_equal(m->report_html, "machines/berr/bundle.txt");
	assert_int_equal(m->ndecisive, 1);
	assert_string_equal(m->decisive[0].message, "bad.img: could not be scanned (ERROR) (could not be scanned: truncated)");

	fleet_summary_release(&s);
	camp_release(&k);
}

/* ---- hostile report directories ---- */

static void hostile(void **state)
{
	struct camp k;
	struct fleet_summary s;
	struct ks_err err = { 0 };
	struct strbuf big = STRBUF_INIT;
	static const struct {
		const char *asset, *reason;
	} want[] = {
		{ "notjson", "report.json: not valid JSON" },
		{ "wrongtype", "report.json: verdict: not a string" },
		{ "badverdict", "report.json: verdict: 'MAYBE' is not a verdict" },
		{ "mismatch", "the result says PASS but report.json says FAIL" },
		{ "missing", "report.json: missing" },
		{ "fifo", "report.json: not a regular file (a device, FIFO or socket)" },
		{ "symlink", "report.json: a symbolic link, not followed" },
		{ "isdir", "report.json: a directory, not a file" },
		{ "nul", "report.json: findings[0].message: holds a NUL character" },
		{ "negsec", "report.json: scan.seconds: out of range" },
		{ "badsha", "report.json: image.sha256_before: not a SHA-256 (64 lower-case hex digits)" },
		{ "badfind", "report.json: findings[0].severity: not fail, review or info" },
		{ "baddrift", "report.json: drift.summary.files_added: not an integer" },
		{ "deep", "report.json: not valid JSON" },
		{ "trailing", "report.json: not valid JSON" },
		{ "nodir", "report.json: missing" },
		{ "linkdir", "machines/linkdir: a symbolic link, not followed" },
		{ "wimbad", "image-2/report.json: not valid JSON" },
		{ "badutf8", "report.json: not valid JSON" },
	};
	size_t nw = sizeof(want) / sizeof(want[0]);
	char *p, *x;

	camp_init(&k, "hostile", nw + 2);
	for (size_t i = 0; i < nw; i++)
		free(camp_row(&k, i, want[i].asset, "PASS", NULL));
	camp_put(&k, "notjson", "report.json", xstrdup("this is not JSON"));
	camp_put(&k, "wrongtype", "report.json", xstrdup("{\"verdict\":5}"));
	camp_put(&k, "badverdict", "report.json", report("MAYBE", "r", "", NULL, 1, 0));
	camp_put(&k, "mismatch", "report.json", report("FAIL", "r", "", NULL, 1, 0));
	assert_int_equal(mkfifo(p = mpath(&k, "fifo/report.json"), 0600), 0);
	free(p);
	x = mpath(&k, "mismatch/report.json");
	assert_int_equal(symlink(x, p = mpath(&k, "symlink/report.json")), 0);
	free(p);
	free(x);
	mkdirs(p = mpath(&k, "isdir/report.json"));
	free(p);
	x = finding("malware", "fail", "a\\u0000b", NULL, false);
	camp_put(&k, "nul", "report.json", report("PASS", "r", x, NULL, 1, 0));
	free(x);
	camp_put(&k, "negsec", "report.json", report("PASS", "r", "", NULL, -5, 0));
	p = report("PASS", "r", "", NULL, 1, 0);
	strstr(p, SHA_A)[3] = 'G';
	camp_put(&k, "badsha", "report.json", p);
	x = finding("malware", "fatal", "m", NULL, false);
	camp_put(&k, "badfind", "report.json", report("PASS", "r", x, NULL, 1, 0));
	free(x);
	camp_put(&k, "baddrift", "report.json", report("PASS", "r", "", "{\"summary\":{\"files_added\":\"3\"}}", 1, 0));
	for (int i = 0; i < 5000; i++)
		strbuf_addch(&big, '[');
	camp_put(&k, "deep", "report.json", strbuf_detach(&big, NULL));
	p = report("PASS", "r", "", NULL, 1, 0);
	camp_put(&k, "trailing", "report.json", xasprintf("%s{}", p));
	free(p);
	assert_int_equal(rmdir(p = mpath(&k, "nodir")), 0);
	free(p);
	x = mpath(&k, "good");
	assert_int_equal(rmdir(p = mpath(&k, "linkdir")), 0);
	assert_int_equal(symlink(x, p), 0);
	free(p);
	free(x);
	mkdirs(p = mpath(&k, "wimbad/image-2"));
	free(p);
	mkdirs(p = mpath(&k, "wimbad/image-1"));
	free(p);
	camp_put(&k, "wimbad", "image-1/report.json", report("PASS", "r", "", NULL, 1, 0));
	camp_put(&k, "wimbad", "image-2/report.json", xstrdup("{"));
	p = report("PASS", "r\xff\xfe", "", NULL, 1, 0);
	camp_put(&k, "badutf8", "report.json", p);

	/* Two good ones, one with a 2 MB message (cut, not refused). */
	free(camp_row(&k, nw, "good", "PASS", NULL));
	camp_put(&k, "good", "report.json", report("PASS", "fine", "", NULL, 1, 0));
	free(camp_row(&k, nw + 1, "huge", "FAIL", NULL));
	for (int i = 0; i < 2 << 20; i++)
		strbuf_addch(&big, 'A' + i % 26);
	x = finding("malware", "fail", big.buf, NULL, false);
	strbuf_release(&big);
	camp_put(&k, "huge", "report.json", report("FAIL", "r", x, NULL, 1, 0));
	free(x);

	assert_int_equal(fleet_summary_build(&k.c, k.st, NULL, &s, &err), 0);
	for (size_t i = 0; i < nw; i++) {
		const struct fleet_machine *m = &s.machines[i];
		assert_string_equal(m->asset, want[i].asset);
		assert_string_equal(m->verdict, "NOT-AUDITED");
		assert_non_null(m->reason);
		if (strncmp(m->reason, want[i].reason, strlen(want[i].reason)) != 0)
			fail_msg("%s: reason '%s', wanted '%s'", m->asset, m->reason, want[i].reason);
		/* A damaged report is no report: no link to it. */
		if (strcmp(m->asset, "mismatch") != 0) {
			assert_null(m->report_html);
			assert_int_equal(m->ndecisive, 0);
		}
	}
	assert_string_equal(s.machines[nw].verdict, "PASS");
	assert_null(s.machines[nw].reason);
	const struct fleet_machine *h = &s.machines[nw + 1];
	assert_string_equal(h->verdict, "FAIL");
	assert_int_equal(h->ndecisive, 1);
	assert_true(strlen(h->decisive[0].message) <= 1024 + 4);
	assert_non_null(strstr(h->decisive[0].message, " ..."));
	assert_int_equal(s.counts[3], nw);
	assert_int_equal(s.counts[0], 1);
	assert_int_equal(s.counts[2], 1);
	fleet_summary_release(&s);
	camp_release(&k);
}

/* ---- previous campaign ---- */

static void previous(void **state)
{
	struct camp k;
	struct fleet_summary s;
	struct ks_err err = { 0 };
	char *prev = xasprintf("%s/prev", top), *p;
	/* asset, now, before (NULL: absent), worse */
	static const struct {
		const char *asset, *now, *before;
		bool worse;
	} t[] = {
		{ "p2f", "FAIL", "PASS", true },    { "p2r", "REVIEW", "PASS", true },
		{ "r2f", "FAIL", "REVIEW", true },  { "r2p", "PASS", "REVIEW", false },
		{ "f2f", "FAIL", "FAIL", false },   { "p2n", "NOT-AUDITED", "PASS", true },
		{ "r2n", "NOT-AUDITED", "REVIEW", true }, { "f2n", "NOT-AUDITED", "FAIL", false },
		{ "n2f", "FAIL", "NOT-AUDITED", false }, { "n2n", "NOT-AUDITED", "NOT-AUDITED", false },
		{ "new", "FAIL", NULL, false },
	};
	size_t n = sizeof(t) / sizeof(t[0]);
	struct strbuf pj = STRBUF_INIT;

	mkdirs(prev);
	camp_init(&k, "current", n);
	strbuf_addstr(&pj, "{\"schema\":\"kenshu-fleet\",\"schema_version\":\"1.0\",\"machines\":[");
	for (size_t i = 0; i < n; i++) {
		bool na = !strcmp(t[i].now, "NOT-AUDITED");
		free(camp_row(&k, i, t[i].asset, t[i].now, na ? "no result" : NULL));
		if (!na)
			camp_put(&k, t[i].asset, "report.json", report(t[i].now, "r", "", NULL, 1, 0));
		if (t[i].before)
			strbuf_addf(&pj, "%s{\"asset\":\"%s\",\"verdict\":\"%s\",\"extra\":[1]}", i ? "," : "", t[i].asset,
				    t[i].before);
	}
	strbuf_addstr(&pj, "]}");
	p = xasprintf("%s/fleet.json", prev);
	put(p, pj.buf);
	assert_int_equal(fleet_summary_build(&k.c, k.st, prev, &s, &err), 0);
	assert_string_equal(s.previous, prev);
	size_t worse = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fleet_machine *m = &s.machines[i];
		assert_string_equal(m->verdict, t[i].now);
		if (t[i].before)
			assert_string_equal(m->previous_verdict, t[i].before);
		else
			assert_null(m->previous_verdict);
		if (m->worse != t[i].worse)
			fail_msg("%s: worse %d", m->asset, m->worse);
		worse += t[i].worse;
	}
	assert_int_equal(s.worse, worse);
	fleet_summary_release(&s);

	/* The comparison asked for cannot be made: an error of the build. */
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ NULL, "fleet.json': missing" },
		{ "{", "fleet.json': not valid JSON" },
		{ "{\"schema\":\"kenshu-report\",\"schema_version\":\"1.0\",\"machines\":[]}", "schema: not kenshu-fleet" },
		{ "{\"schema\":\"kenshu-fleet\",\"schema_version\":\"2.0\",\"machines\":[]}", "schema_version: not 1.x" },
		{ "{\"schema\":\"kenshu-fleet\",\"schema_version\":\"1.0\",\"machines\":[{\"asset\":\"a\",\"verdict\":"
		  "\"PASS\"},{\"asset\":\"a\",\"verdict\":\"FAIL\"}]}", "asset 'a' listed twice" },
		{ "{\"schema\":\"kenshu-fleet\",\"schema_version\":\"1.0\",\"machines\":[{\"asset\":\"a\",\"verdict\":"
		  "\"GOOD\"}]}", "machines[0].verdict: 'GOOD' is not a verdict" },
		{ "{\"schema\":\"kenshu-fleet\",\"schema_version\":\"1.0\",\"machines\":[{\"asset\":7,\"verdict\":"
		  "\"PASS\"}]}", "machines[0].asset: not a string" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unlink(p);
		if (bad[i].text)
			put(p, bad[i].text);
		memset(&err, 0, sizeof(err));
		assert_int_equal(fleet_summary_build(&k.c, k.st, prev, &s, &err), -1);
		if (!strstr(err.msg, bad[i].msg) || strncmp(err.msg, "'", 1) != 0 || !strstr(err.msg, prev))
			fail_msg("bad previous %zu: '%s'", i, err.msg);
	}
	unlink(p);
	free(p);
	strbuf_release(&pj);
	free(prev);
	camp_release(&k);
}

/* ---- fleet.json ---- */

static char *to_text(int (*w)(const struct fleet_summary *, FILE *), const struct fleet_summary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(w(s, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static json_object *key(json_object *o, const char *k)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("no key %s", k);
	return v;
}

static const char *skey(json_object *o, const char *k)
{
	json_object *v = key(o, k);
	return v ? json_object_get_string(v) : NULL;
}

static void json_roundtrip(void **state)
{
	struct camp k;
	struct fleet_summary s;
	char *text, *again;
	json_object *root, *ms, *m;

	build_ordinary(&k, &s);
	text = to_text(fleet_summary_write_json, &s);
	again = to_text(fleet_summary_write_json, &s);
	assert_string_equal(text, again);   /* deterministic */
	free(again);
	root = json_tokener_parse(text);
	assert_non_null(root);
	assert_string_equal(skey(root, "schema"), "kenshu-fleet");
	assert_string_equal(skey(root, "schema_version"), "1.0");
	json_object *c = key(root, "campaign");
	assert_string_equal(skey(c, "dir"), k.dir);
	assert_string_equal(skey(c, "created"), "2026-01-01T00:00:00Z");
	assert_string_equal(skey(c, "generated"), s.generated);
	assert_string_equal(skey(key(c, "manifest"), "name"), "plant.csv");
	assert_string_equal(skey(key(c, "manifest"), "sha256"), SHA_B);
	assert_null(key(c, "previous"));
	json_object *cn = key(root, "counts");
	assert_true(json_object_get_int(key(cn, "PASS")) == 1 && json_object_get_int(key(cn, "REVIEW")) == 2 &&
		    json_object_get_int(key(cn, "FAIL")) == 2 && json_object_get_int(key(cn, "NOT-AUDITED")) == 2);
	assert_int_equal(json_object_get_int(key(root, "worse")), 0);
	ms = key(root, "machines");
	assert_int_equal(json_object_array_length(ms), 7);

	/* Key order, as documented. */
	static const char *const keys[] = { "asset", "verdict", "reason", "verdict_reason", "report", "report_html",
					    "image", "image_sha256", "baseline", "profile", "meta", "started",
					    "finished", "seconds", "detections", "drift", "decisive_findings",
					    "decisive_total", "previous_verdict", "worse" };
	m = json_object_array_get_idx(ms, 0);
	size_t i = 0;
	json_object_object_foreach(m, kk, vv) {
		(void)vv;
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(kk, keys[i++]);
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(skey(m, "asset"), "pass1");
	assert_true(!key(m, "reason") && !key(m, "drift") && !key(m, "baseline"));
	assert_string_equal(skey(key(m, "meta"), "po"), "4500012345");
	assert_true(json_object_get_double(key(m, "seconds")) > 61.4);
	assert_false(json_object_get_boolean(key(m, "worse")));

	m = json_object_array_get_idx(ms, 1);
	json_object *d = key(m, "drift");
	assert_int_equal(json_object_get_int(key(d, "files_added")), 3);
	assert_int_equal(json_object_get_int(key(d, "autoruns_added")), 1);
	assert_int_equal(json_object_get_int(key(d, "detections_new")), 1);
	assert_false(json_object_get_boolean(key(d, "unchanged")));
	assert_int_equal(json_object_array_length(key(m, "decisive_findings")), 5);
	json_object *f0 = json_object_array_get_idx(key(m, "decisive_findings"), 0);
	assert_string_equal(skey(f0, "rule"), "malware");
	assert_string_equal(skey(f0, "severity"), "fail");
	assert_string_equal(skey(f0, "message"), "m2");
	assert_string_equal(skey(f0, "path"), "/evil.exe");
	assert_int_equal(json_object_get_int(key(m, "decisive_total")), 7);

	m = json_object_array_get_idx(ms, 3);
	assert_string_equal(skey(m, "verdict"), "NOT-AUDITED");
	assert_string_equal(skey(m, "reason"), "the Slurm task was cancelled (scancel) mid-scan");
	assert_true(!key(m, "report") && !key(m, "report_html") && !key(m, "seconds"));
	json_object_put(root);

	/* Saved atomically: both files, no temporary left. */
	struct ks_err err = { 0 };
	assert_int_equal(fleet_summary_save(&s, k.dir, &err), 0);
	char *p = xasprintf("%s/fleet.json", k.dir), *buf = NULL;
	size_t len;
	int e;
	assert_int_equal(hostfile_read(p, 0, 1 << 24, &buf, &len, &e), HOSTFILE_OK);
	assert_string_equal(buf, text);
	free(buf);
	free(p);
	assert_int_equal(access(p = xasprintf("%s/fleet.html", k.dir), F_OK), 0);
	free(p);
	DIR *dh = opendir(k.dir);
	struct dirent *de;
	while ((de = readdir(dh)))
		assert_null(strstr(de->d_name, ".tmp."));
	closedir(dh);
	/* The saved fleet.json is a valid --previous. */
	struct fleet_summary s2;
	assert_int_equal(fleet_summary_build(&k.c, k.st, k.dir, &s2, &err), 0);
	assert_int_equal(s2.worse, 0);
	assert_string_equal(s2.machines[1].previous_verdict, "FAIL");
	fleet_summary_release(&s2);
	/* A directory it cannot write into. */
	assert_int_equal(fleet_summary_save(&s, "/nonexistent-kenshu-dir", &err), -1);
	assert_non_null(strstr(err.msg, "cannot write"));
	free(text);
	fleet_summary_release(&s);
	camp_release(&k);
}

/* ---- fleet.html ---- */

static void html_escaped(void **state)
{
	struct camp k;
	struct fleet_summary s;
	struct ks_err err = { 0 };
	static struct case_entry meta[] = { { (char *)"note", (char *)"<script>alert(1)</script>" },
					    { (char *)"q", (char *)"\"onmouseover=\"x' \xe2\x80\xae" "exe.txt" } };
	const char *evil_asset = "ev<b>&\"'il";
	char *x, *html, *prev = xasprintf("%s/hprev", top);

	camp_init(&k, "html", 4);
	free(camp_row(&k, 0, "plain", "PASS", NULL));
	camp_put(&k, "plain", "report.json", report("PASS", "ok", "", NULL, 3725, 0));
	free(camp_row(&k, 1, evil_asset, "FAIL", NULL));
	k.c.rows[1].meta = (struct case_meta){ xmalloc(sizeof(meta)), 2 };
	memcpy(k.c.rows[1].meta.v, meta, sizeof(meta));
	k.c.rows[1].baseline = xstrdup("/b");
	x = finding("malware<script>", "fail", "<script>alert(2)</script> \\\" \\u202e end",
		    "/<img src=x onerror=alert(3)>", false);
	camp_put(&k, evil_asset, "report.json",
		 report("FAIL", "<iframe src=//evil>", x, drift_summary(3, 1, 2, 1, 1, false), 125, 1));
	free(x);
	free(camp_row(&k, 2, "gone", "NOT-AUDITED", "<script>reason</script>"));
	free(camp_row(&k, 3, "rv", "REVIEW", NULL));
	camp_put(&k, "rv", "report.json", report("REVIEW", "look", "", NULL, 1, 0));
	mkdirs(prev);
	x = xasprintf("%s/fleet.json", prev);
	put(x, "{\"schema\":\"kenshu-fleet\",\"schema_version\":\"1.0\",\"machines\":[{\"asset\":\"gone\","
	       "\"verdict\":\"PASS\"},{\"asset\":\"plain\",\"verdict\":\"PASS\"}]}");
	free(x);
	assert_int_equal(fleet_summary_build(&k.c, k.st, prev, &s, &err), 0);
	assert_int_equal(s.worse, 1);
	html = to_text(fleet_summary_write_html, &s);

	assert_true(!strstr(html, "<script") && !strstr(html, "<img") && !strstr(html, "<iframe"));
	assert_null(strstr(html, "://"));
	assert_null(strstr(html, "\xe2\x80\xae"));   /* the bidi override never reaches the page */
	assert_null(strstr(html, "\"onmouseover"));
	assert_null(strstr(html, "<b>"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(2)&lt;/script&gt;"));
	assert_non_null(strstr(html, "&lt;script&gt;reason&lt;/script&gt;"));
	assert_non_null(strstr(html, "ev&lt;b&gt;&amp;&quot;&#39;il"));
	/* "http" only in the CSP meta tag's attribute name. */
	const char *h = strstr(html, "http");
	assert_non_null(h);
	assert_int_equal(strncmp(h, "http-equiv=", 11), 0);
	assert_null(strstr(h + 4, "http"));
	assert_non_null(strstr(html, "default-src 'none'"));
	/* Every link relative, its target percent-encoded to safe bytes. */
	size_t links = 0;
	for (const char *a = html; (a = strstr(a, "href=\"")); a += 6) {
		links++;
		assert_int_equal(strncmp(a + 6, "machines/", 9), 0);
		for (const char *c = a + 6; *c != '"'; c++)
			assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-%", *c));
	}
	assert_int_equal(links, 3);
	assert_non_null(strstr(html, "href=\"machines/ev%3Cb%3E%26%22%27il/report.html\""));
	assert_null(strstr(html, "src=\""));
	assert_null(strstr(html, "<link"));
	/* Order: not audited, FAIL, REVIEW, PASS. */
	const char *t0 = strstr(html, "<tbody>");
	const char *g = strstr(t0, ">gone<"), *e = strstr(t0, "ev&lt;b"), *r = strstr(t0, ">rv<"), *pl = strstr(t0, ">plain<");
	assert_true(g && e && r && pl);
	assert_true(g < e && e < r && r < pl);
	/* Words for people. */
	assert_non_null(strstr(html, "files +3 \xe2\x88\x92" "1 ~2, autostarts +1, detections +1"));
	assert_non_null(strstr(html, "no baseline"));
	assert_non_null(strstr(html, "1 h 02 min"));
	assert_non_null(strstr(html, "2 min 05 s"));
	assert_non_null(strstr(html, "1 machine got worse"));
	assert_non_null(strstr(html, "PASS \xe2\x86\x92 NOT-AUDITED"));
	assert_non_null(strstr(html, "@media print"));
	assert_non_null(strstr(html, "break-inside:avoid"));
	free(html);
	fleet_summary_release(&s);
	free(prev);
	camp_release(&k);
}

static int setup(void **state)
{
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", top);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ordinary),
		cmocka_unit_test(hostile),
		cmocka_unit_test(previous),
		cmocka_unit_test(json_roundtrip),
		cmocka_unit_test(html_escaped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
