/* The campaign directory: campaign.json written and read back field by
 * field; every refusal of a hostile campaign.json (hand-written here) with
 * a one-line message naming the file; FIFOs, symbolic links and oversize
 * files in place of the campaign's files refused without hanging; claims
 * and results, their refusals; and atomic writes that leave no temporary
 * file behind, whether they succeed or fail. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/fleet.h>
#include "../../scanner/fleet/fleet_internal.h"

static char top[] = "/tmp/kenshu-test-fleet-campaign-XXXXXX";
static unsigned serial;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

/* A fresh directory name under top (not made). */
static char *fresh(void)
{
	return xasprintf("%s/c%u", top, ++serial);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path, size_t *len)
{
	char *buf = NULL;
	int e;

	assert_int_equal(hostfile_read(path, 0, 1 << 30, &buf, len, &e), HOSTFILE_OK);
	return buf;
}

static void meta_add(struct case_meta *m, const char *kv)
{
	struct ks_err err;
	if (case_meta_add(m, kv, &err) < 0)
		fail_msg("meta %s: %s", kv, err.msg);
}

/* Two machines: one with meta and no baseline or profile, one with both. */
static void sample(struct fleet_campaign *c, char *dir)
{
	memset(c, 0, sizeof(*c));
	c->dir = dir;
	c->mode = FLEET_SLURM;
	c->created = xstrdup("2026-12-08T01:02:03Z");
	c->manifest_name = xstrdup("plant/line1.csv");
	memset(c->manifest_sha256, 'a', SHA256_HEX_LEN);
	c->manifest_sha256[SHA256_HEX_LEN] = '\0';
	c->database = xstrdup("/var/lib/clamav");
	c->profile = xstrdup("strict");
	c->sign_key = xstrdup("/keys/sign.pem");
	c->trust_anchors = xstrdup("/keys/anchors.pem");
	c->exports = 3;
	c->threads = 4;
	meta_add(&c->meta, "site=Osaka");
	c->nrows = 2;
	c->rows = xcalloc(2, sizeof(*c->rows));
	c->rows[0] = (struct fleet_row){ 2, xstrdup("PLC-01"), xstrdup("a.img"), xstrdup("/srv/plant/a.img"), NULL, NULL,
					 { 0 } };
	meta_add(&c->rows[0].meta, "line=L1");
	meta_add(&c->rows[0].meta, "po=4711");
	c->rows[1] = (struct fleet_row){ 5, xstrdup("hmi.02_x"), xstrdup("b b.img"), xstrdup("/srv/plant/b b.img"),
					 xstrdup("/srv/base/hmi"), xstrdup("/srv/p/hmi.ini"), { 0 } };
}

static char *made(struct fleet_campaign *c)
{
	struct ks_err err;
	char *dir = fresh();

	sample(c, dir);
	if (fleet_campaign_create(c, "asset,image\n", 12, &err) < 0)
		fail_msg("create: %s", err.msg);
	return dir;
}

static void meta_equal(const struct case_meta *a, const struct case_meta *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_string_equal(a->v[i].key, b->v[i].key);
		assert_string_equal(a->v[i].value, b->v[i].value);
	}
}

static void str_or_null_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_true(a == b);
	else
		assert_string_equal(a, b);
}

/* Only the names a directory should hold (no temporary left over). */
static void dir_holds(const char *dir, const char *const *names)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t want = 0, seen = 0;

	assert_non_null(d);
	while (names[want])
		want++;
	while ((e = readdir(d))) {
		bool known = false;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		for (size_t i = 0; names[i]; i++)
			known |= !strcmp(names[i], e->d_name);
		if (!known)
			fail_msg("%s holds '%s'", dir, e->d_name);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, want);
}

static void round_trip(void **state)
{
	struct fleet_campaign c, o;
	struct ks_err err;
	char *dir = made(&c), *p, *text;
	size_t len;

	if (fleet_campaign_open(dir, &o, &err) < 0)
		fail_msg("open: %s", err.msg);
	assert_string_equal(o.dir, dir);
	assert_int_equal(o.mode, FLEET_SLURM);
	assert_string_equal(o.created, c.created);
	assert_string_equal(o.manifest_name, c.manifest_name);
	assert_string_equal(o.manifest_sha256, c.manifest_sha256);
	assert_string_equal(o.database, c.database);
	assert_string_equal(o.profile, c.profile);
	str_or_null_equal(o.sign_key, c.sign_key);
	assert_null(o.baseline_pub);
	str_or_null_equal(o.trust_anchors, c.trust_anchors);
	assert_int_equal(o.exports, 3);
	assert_int_equal(o.threads, 4);
	meta_equal(&o.meta, &c.meta);
	assert_int_equal(o.nrows, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(o.rows[i].line, c.rows[i].line);
		assert_string_equal(o.rows[i].asset, c.rows[i].asset);
		assert_string_equal(o.rows[i].image, c.rows[i].image);
		assert_string_equal(o.rows[i].image_path, c.rows[i].image_path);
		str_or_null_equal(o.rows[i].baseline, c.rows[i].baseline);
		str_or_null_equal(o.rows[i].profile, c.rows[i].profile);
		meta_equal(&o.rows[i].meta, &c.rows[i].meta);
	}
	assert_int_equal(o.rows[0].meta.n, 2);
	p = fleet_report_dir(&o, 1);
	assert_string_equal(p + strlen(dir), "/machines/hmi.02_x");
	free(p);
	p = fleet_report_rel(&o, 0);
	assert_string_equal(p, "machines/PLC-01");
	free(p);
	fleet_campaign_release(&o);

	dir_holds(dir, (const char *const[]){ "campaign.json", "manifest.csv", "machines", "state", "slurm", NULL });
	p = xasprintf("%s/manifest.csv", dir);
	text = read_all(p, &len);
	assert_int_equal(len, 12);
	assert_memory_equal(text, "asset,image\n", 12);
	free(text);
	free(p);

	/* A local campaign without any of the optional paths. */
	char *d2 = fresh();
	struct fleet_campaign c2 = c;
	c2.dir = d2;
	c2.mode = FLEET_LOCAL;
	c2.sign_key = c2.trust_anchors = NULL;
	c2.baseline_pub = (char *)"/keys/base.pub";
	assert_int_equal(fleet_campaign_create(&c2, "", 0, &err), 0);
	assert_int_equal(fleet_campaign_open(d2, &o, &err), 0);
	assert_int_equal(o.mode, FLEET_LOCAL);
	assert_null(o.sign_key);
	assert_null(o.trust_anchors);
	assert_string_equal(o.baseline_pub, "/keys/base.pub");
	fleet_campaign_release(&o);
	free(d2);
	fleet_campaign_release(&c);
}

static void create_refuses_a_campaign(void **state)
{
	struct fleet_campaign c;
	struct ks_err err;
	char *dir = made(&c), *p = xasprintf("%s/campaign.json", dir), *before, *after;
	size_t lb, la;

	before = read_all(p, &lb);
	c.threads = 9;
	assert_int_equal(fleet_campaign_create(&c, "x", 1, &err), -1);
	assert_non_null(strstr(err.msg, "already a campaign directory"));
	assert_non_null(strstr(err.msg, dir));
	after = read_all(p, &la);
	assert_int_equal(la, lb);
	assert_memory_equal(before, after, lb);
	free(before);
	free(after);
	/* Even a campaign.json that is a dangling symbolic link. */
	char *d2 = fresh(), *p2 = xasprintf("%s/campaign.json", d2);
	assert_int_equal(mkdir(d2, 0700), 0);
	assert_int_equal(symlink("/nonexistent", p2), 0);
	c.dir = d2;
	assert_int_equal(fleet_campaign_create(&c, "x", 1, &err), -1);
	assert_non_null(strstr(err.msg, "already a campaign directory"));
	/* A directory that holds something else; an empty one is fine. */
	assert_int_equal(unlink(p2), 0);
	char *other = xasprintf("%s/notes.txt", d2);
	write_file(other, "x", 1);
	assert_int_equal(fleet_campaign_create(&c, "x", 1, &err), -1);
	assert_non_null(strstr(err.msg, "not empty"));
	assert_non_null(strstr(err.msg, d2));
	assert_int_equal(unlink(other), 0);
	assert_int_equal(fleet_campaign_create(&c, "x", 1, &err), 0);
	free(other);
	c.dir = dir;
	fleet_campaign_release(&c);
	free(p);
	free(p2);
	free(d2);
}

/* ---- hostile campaign.json ------------------------------------------ */

#define ROW0 "{\"line\": 2, \"asset\": \"PLC-01\", \"image\": \"a.img\", \"image_path\": \"/a.img\", \"meta\": {}}"
#define ROW1 "{\"line\": 3, \"asset\": \"PLC-02\", \"image\": \"b.img\", \"image_path\": \"/b.img\"}"
static const char good[] =
	"{\"kind\": \"kenshu-fleet-campaign\", \"version\": 1, \"mode\": \"local\", \"created\": \"2026-12-08T00:00:00Z\",\n"
	" \"manifest\": {\"name\": \"m.csv\", \"sha256\": "
	"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},\n"
	" \"database\": \"/db\", \"profile\": \"default\", \"sign_key\": null, \"exports\": 0, \"threads\": 1,\n"
	" \"meta\": {\"site\": \"Osaka\"},\n"
	" \"machines\": [" ROW0 ", " ROW1 "]}\n";

/* good with the first from replaced by to. */
static char *variant(const char *from, const char *to)
{
	const char *at = strstr(good, from);

	if (!at)
		fail_msg("'%s' is not in the good campaign.json", from);
	return xasprintf("%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
}

static void open_text(const char *text, size_t len, const char *want)
{
	struct fleet_campaign c;
	struct ks_err err;
	char *dir = fresh(), *path = xasprintf("%s/campaign.json", dir);

	assert_int_equal(mkdir(dir, 0700), 0);
	write_file(path, text, len);
	memset(&err, 0, sizeof(err));
	if (fleet_campaign_open(dir, &c, &err) != -1)
		fail_msg("accepted (want '%s'): %.*s", want, (int)len, text);
	if (!strstr(err.msg, path) || !strstr(err.msg, want) || strchr(err.msg, '\n'))
		fail_msg("want '%s' naming %s, got: %s", want, path, err.msg);
	assert_null(c.rows);
	assert_null(c.dir);
	free(path);
	free(dir);
}

static void open_variant(const char *from, const char *to, const char *want)
{
	char *t = variant(from, to);
	open_text(t, strlen(t), want);
	free(t);
}

static void hostile_campaign_json(void **state)
{
	struct fleet_campaign c;
	struct ks_err err;
	char *dir = fresh(), *path = xasprintf("%s/campaign.json", dir);

	/* The hand-written one is good: every refusal below is its one change. */
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file(path, good, strlen(good));
	if (fleet_campaign_open(dir, &c, &err) < 0)
		fail_msg("good refused: %s", err.msg);
	assert_int_equal(c.nrows, 2);
	fleet_campaign_release(&c);

	open_text("", 0, "not valid JSON");
	open_text("not json", 8, "not valid JSON");
	open_text("{\"kind\": ", 9, "not valid JSON");
	open_text("[1, 2]", 6, "not a JSON object");
	open_text("\"s\"", 3, "not a JSON object");
	char *t = xasprintf("%s{}", good);
	open_text(t, strlen(t), "not valid JSON");
	free(t);
	t = xmalloc(strlen(good) + 8);
	memcpy(t, good, strlen(good));
	memcpy(t + strlen(good), "\0garbage", 8);
	open_text(t, strlen(good) + 8, "holds a NUL byte");
	free(t);
	/* Nesting deeper than the tokener's 64 levels. */
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "{\"a\": ");
	for (int i = 0; i < 10000; i++)
		strbuf_add(&sb, "[", 1);
	open_text(sb.buf, sb.len, "not valid JSON");
	strbuf_release(&sb);

	open_variant("kenshu-fleet-campaign", "kenshu-report", "not a kenshu campaign of version 1");
	open_variant("\"version\": 1", "\"version\": 2", "not a kenshu campaign of version 1");
	open_variant("\"version\": 1", "\"version\": \"1\"", "not a kenshu campaign of version 1");
	open_variant("\"mode\": \"local\"", "\"mode\": \"x\"", "mode is neither local nor slurm");
	open_variant("\"mode\": \"local\"", "\"mode\": null", "mode is neither local nor slurm");
	open_variant("\"created\": \"2026-12-08T00:00:00Z\",", "", "no created");
	open_variant("\"database\": \"/db\",", "\"database\": 5,", "no database");
	open_variant("\"profile\": \"default\",", "", "no profile");
	open_variant("\"name\": \"m.csv\", ", "", "no manifest name and SHA-256");
	open_variant("0123456789abcdef\"}", "0123456789abcde\"}", "no manifest name and SHA-256");
	open_variant("\"manifest\": {", "\"manifest\": 1, \"x\": {", "no manifest name and SHA-256");
	open_variant("\"exports\": 0", "\"exports\": -1", "exports is not a small number");
	open_variant("\"exports\": 0", "\"exports\": 1e3", "exports is not a small number");
	open_variant("\"threads\": 1", "\"threads\": 0", "threads is not 1 to 256");
	open_variant("\"threads\": 1", "\"threads\": 999", "threads is not 1 to 256");
	open_variant("\"threads\": 1", "\"threads\": 99999999999999999999999", "threads is not 1 to 256");
	open_variant("{\"site\": \"Osaka\"}", "{\"site\": 1}", "meta 'site' is not a string");
	open_variant("{\"site\": \"Osaka\"}", "[\"site\"]", "meta is not an object");
	open_variant("{\"site\": \"Osaka\"}", "{\"bad key\": \"x\"}", "campaign.json");
	open_variant("{\"site\": \"Osaka\"}", "{\"site\": \"\"}", "campaign.json");
	open_variant("{\"site\": \"Osaka\"}", "{\"site\": \"a\\u0001b\"}", "campaign.json");
	open_variant("\"machines\": [", "\"machines\": 5, \"x\": [", "no machines");
	open_variant("\"machines\": [", "\"machines\": null, \"x\": [", "no machines");
	open_variant(ROW0 ", " ROW1, "", "0 machines");
	open_variant(ROW0, "7", "machine 1 is damaged");
	open_variant("\"line\": 3", "\"line\": 0", "machine 2 is damaged");
	open_variant("\"line\": 3", "\"line\": 4294967298", "machine 2 is damaged");
	open_variant("\"line\": 2, ", "", "machine 1 is damaged");
	open_variant("\"asset\": \"PLC-01\"", "\"asset\": \"../etc\"", "asset '../etc' is not a file name");
	open_variant("\"asset\": \"PLC-01\"", "\"asset\": \"a/b\"", "asset 'a/b' is not a file name");
	open_variant("\"asset\": \"PLC-01\"", "\"asset\": \"\"", "is not a file name");
	open_variant("\"asset\": \"PLC-01\"", "\"asset\": \"-x\"", "is not a file name");
	open_variant("\"asset\": \"PLC-01\"",
		     "\"asset\": \"A12345678901234567890123456789012345678901234567890123456789012345\"",
		     "is not a file name");
	open_variant("\"asset\": \"PLC-02\"", "\"asset\": \"plc-01\"", "asset 'plc-01' twice");
	open_variant("\"asset\": \"PLC-01\", ", "", "no asset");
	open_variant("\"image\": \"b.img\", ", "", "no image");
	open_variant("\"image_path\": \"/b.img\"", "\"image_path\": [\"/b.img\"]", "no image_path");
	open_variant("\"meta\": {}", "\"meta\": {\"k\": {}}", "meta 'k' is not a string");
	free(path);
	free(dir);
}

/* Many machines: duplicates are found without comparing every pair. */
static void many_machines(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct fleet_campaign c;
	struct ks_err err;
	char *dir = fresh(), *path = xasprintf("%s/campaign.json", dir);
	const char *tail = strstr(good, "\"machines\"");
	struct timespec t0, t1;

	assert_int_equal(mkdir(dir, 0700), 0);
	strbuf_add(&sb, good, (size_t)(tail - good));
	strbuf_addf(&sb, "\"machines\": [");
	for (unsigned i = 0; i < FLEET_MAX_ROWS; i++)
		strbuf_addf(&sb, "%s{\"line\": %u, \"asset\": \"M%06u\", \"image\": \"i\", \"image_path\": \"/i\"}",
			    i ? "," : "", i + 2, i);
	strbuf_addf(&sb, "]}");
	write_file(path, sb.buf, sb.len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (fleet_campaign_open(dir, &c, &err) < 0)
		fail_msg("%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(c.nrows, FLEET_MAX_ROWS);
	assert_string_equal(c.rows[FLEET_MAX_ROWS - 1].asset, "M099999");
	fleet_campaign_release(&c);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	/* One more is too many; the last one a duplicate of the first. */
	sb.len -= 2;
	strbuf_addf(&sb, ",{\"line\": 9, \"asset\": \"m000000\", \"image\": \"i\", \"image_path\": \"/i\"}]}");
	open_text(sb.buf, sb.len, "100001 machines");
	sb.len -= 2 + strlen(",{\"line\": 9, \"asset\": \"m000000\", \"image\": \"i\", \"image_path\": \"/i\"}");
	sb.len -= strlen(",{\"line\": 100001, \"asset\": \"M099999\", \"image\": \"i\", \"image_path\": \"/i\"}");
	strbuf_addf(&sb, ",{\"line\": 9, \"asset\": \"m000000\", \"image\": \"i\", \"image_path\": \"/i\"}]}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	open_text(sb.buf, sb.len, "asset 'm000000' twice");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	strbuf_release(&sb);
	free(path);
	free(dir);
}

/* Not a regular file: refused at once, never waited on. */
static void not_regular(void **state)
{
	struct fleet_campaign c, o;
	struct fleet_claim cl;
	struct fleet_result r;
	struct ks_err err;
	char *dir = made(&c), *p = xasprintf("%s/campaign.json", dir);
	char *real = xasprintf("%s/real.json", top), *claim = xasprintf("%s/state/PLC-01.claim", dir);
	char *result = xasprintf("%s/state/hmi.02_x.result", dir);

	alarm(20);
	assert_int_equal(rename(p, real), 0);
	assert_int_equal(symlink(real, p), 0);
	assert_int_equal(fleet_campaign_open(dir, &o, &err), -1);
	assert_non_null(strstr(err.msg, p));
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(fleet_campaign_open(dir, &o, &err), -1);
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(fleet_campaign_open(dir, &o, &err), -1);
	assert_non_null(strstr(err.msg, p));
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(fleet_campaign_open(dir, &o, &err), -1);
	assert_int_equal(err.code, KS_ENOTFOUND);
	assert_non_null(strstr(err.msg, "not a campaign directory"));

	assert_int_equal(mkfifo(claim, 0600), 0);
	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), -1);
	assert_non_null(strstr(err.msg, claim));
	assert_int_equal(unlink(claim), 0);
	assert_int_equal(symlink(real, claim), 0);
	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), -1);
	assert_non_null(strstr(err.msg, claim));
	assert_int_equal(unlink(claim), 0);
	/* A claim over the cap (sparse: its size is all that is read). */
	int fd = open(claim, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)FLEET_STATE_JSON_MAX + 1), 0);
	close(fd);
	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), -1);
	assert_non_null(strstr(err.msg, claim));
	assert_non_null(strstr(err.msg, "larger than"));
	assert_int_equal(unlink(claim), 0);

	assert_int_equal(mkfifo(result, 0600), 0);
	assert_int_equal(fleet_result_read(&c, 1, &r, &err), -1);
	assert_non_null(strstr(err.msg, result));
	assert_int_equal(unlink(result), 0);
	assert_int_equal(symlink("/dev/zero", result), 0);
	assert_int_equal(fleet_result_read(&c, 1, &r, &err), -1);
	assert_non_null(strstr(err.msg, result));
	alarm(0);
	fleet_campaign_release(&c);
	free(p);
	free(real);
	free(claim);
	free(result);
}

/* ---- claims and results --------------------------------------------- */

static void claim_and_result(void **state)
{
	struct fleet_campaign c;
	struct fleet_claim cl;
	struct fleet_result r, back;
	struct ks_err err;
	char *dir = made(&c), *state_dir = xasprintf("%s/state", dir);
	struct fleet_worker w = { (char *)"node-7", 4242, (char *)"77_3", 2 };

	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), 0);
	assert_int_equal(fleet_result_read(&c, 0, &r, &err), 0);
	assert_int_equal(fleet_claim_write(&c, 0, &w, &err), 0);
	dir_holds(state_dir, (const char *const[]){ "PLC-01.claim", NULL });
	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), 1);
	assert_string_equal(cl.host, "node-7");
	assert_int_equal(cl.pid, 4242);
	assert_string_equal(cl.slurm_job, "77_3");
	assert_int_equal(cl.submission, 2);
	assert_non_null(cl.started);
	assert_int_equal(strlen(cl.started), 20);
	fleet_claim_release(&cl);
	/* The other machine's claim is its own. */
	assert_int_equal(fleet_claim_read(&c, 1, &cl, &err), 0);

	r = (struct fleet_result){ 3, (char *)"FAIL", NULL, (char *)"2026-12-08T01:00:00Z", (char *)"2026-12-08T01:02:00Z",
				   120.5, (char *)"node-7", 4242, (char *)"77_3", 2, (char *)"abc123" };
	assert_int_equal(fleet_result_write(&c, 0, &r, &err), 0);
	dir_holds(state_dir, (const char *const[]){ "PLC-01.result", NULL });
	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), 0);
	assert_int_equal(fleet_result_read(&c, 0, &back, &err), 1);
	assert_int_equal(back.exit_code, 3);
	assert_string_equal(back.verdict, "FAIL");
	assert_null(back.error);
	assert_string_equal(back.started, r.started);
	assert_string_equal(back.finished, r.finished);
	assert_true(back.seconds == 120.5);
	assert_string_equal(back.host, "node-7");
	assert_int_equal(back.pid, 4242);
	assert_string_equal(back.slurm_job, "77_3");
	assert_int_equal(back.submission, 2);
	assert_string_equal(back.commit, "abc123");
	fleet_result_release(&back);

	/* Could not complete: exit 2 with its error; seconds 0 stays 0. */
	r = (struct fleet_result){ 2, (char *)"ERROR", (char *)"'a.img': not a disk image", NULL, NULL, 0, NULL, 1, NULL,
				   0, NULL };
	assert_int_equal(fleet_result_write(&c, 1, &r, &err), 0);
	assert_int_equal(fleet_result_read(&c, 1, &back, &err), 1);
	assert_int_equal(back.exit_code, 2);
	assert_string_equal(back.verdict, "ERROR");
	assert_string_equal(back.error, "'a.img': not a disk image");
	assert_null(back.started);
	assert_null(back.slurm_job);
	assert_true(back.seconds == 0);
	fleet_result_release(&back);

	assert_int_equal(fleet_claim_write(&c, 0, &w, &err), 0);
	assert_int_equal(fleet_result_clear(&c, 0, &err), 0);
	assert_int_equal(fleet_result_read(&c, 0, &back, &err), 0);
	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), 0);
	assert_int_equal(fleet_result_clear(&c, 0, &err), 0);
	dir_holds(state_dir, (const char *const[]){ "hmi.02_x.result", NULL });
	fleet_campaign_release(&c);
	free(state_dir);
}

static void state_text(const struct fleet_campaign *c, const char *name, const char *text)
{
	char *p = xasprintf("%s/state/%s", c->dir, name);
	write_file(p, text, strlen(text));
	free(p);
}

static void result_refused(const struct fleet_campaign *c, const char *text, const char *want)
{
	struct fleet_result r;
	struct ks_err err;
	char *p = xasprintf("%s/state/PLC-01.result", c->dir);

	state_text(c, "PLC-01.result", text);
	memset(&err, 0, sizeof(err));
	if (fleet_result_read(c, 0, &r, &err) != -1)
		fail_msg("accepted: %s", text);
	if (!strstr(err.msg, p) || !strstr(err.msg, want) || strchr(err.msg, '\n'))
		fail_msg("want '%s' naming %s, got: %s", want, p, err.msg);
	assert_null(r.verdict);
	free(p);
}

static void hostile_state(void **state)
{
	struct fleet_campaign c;
	struct fleet_claim cl;
	struct fleet_result r;
	struct ks_err err;
	char *dir = made(&c), *p = xasprintf("%s/state/PLC-01.claim", dir);

	result_refused(&c, "{\"asset\": \"PLC-01\", \"exit_code\": 0, \"verdict\": \"MAYBE\"}", "no verdict and exit code");
	result_refused(&c, "{\"asset\": \"PLC-01\", \"exit_code\": 300, \"verdict\": \"PASS\"}", "no verdict and exit code");
	result_refused(&c, "{\"asset\": \"PLC-01\", \"exit_code\": -1, \"verdict\": \"PASS\"}", "no verdict and exit code");
	result_refused(&c, "{\"asset\": \"PLC-01\", \"exit_code\": \"0\", \"verdict\": \"PASS\"}", "no verdict and exit code");
	result_refused(&c, "{\"asset\": \"PLC-01\", \"exit_code\": 0}", "no verdict and exit code");
	result_refused(&c, "{\"asset\": \"hmi.02_x\", \"exit_code\": 0, \"verdict\": \"PASS\"}",
		       "not the result of asset 'PLC-01'");
	result_refused(&c, "{\"asset\": \"plc-01\", \"exit_code\": 0, \"verdict\": \"PASS\"}",
		       "not the result of asset 'PLC-01'");
	result_refused(&c, "{\"exit_code\": 0, \"verdict\": \"PASS\"}", "not the result of asset 'PLC-01'");
	result_refused(&c, "{\"asset\": \"PLC-01\"", "not valid JSON");
	result_refused(&c, "{\"asset\": \"PLC-01\", \"exit_code\": 0, \"verdict\": \"PASS\"} {}", "not valid JSON");
	result_refused(&c, "[]", "not a JSON object");
	/* Fields a result may lack come back as unknown. */
	state_text(&c, "PLC-01.result",
		   "{\"asset\": \"PLC-01\", \"exit_code\": 0, \"verdict\": \"PASS\", \"seconds\": \"x\", \"pid\": -5,"
		   " \"host\": 7, \"submission\": 99999999999}");
	assert_int_equal(fleet_result_read(&c, 0, &r, &err), 1);
	assert_true(r.seconds == -1);
	assert_int_equal(r.pid, 0);
	assert_null(r.host);
	assert_int_equal(r.submission, 0);
	fleet_result_release(&r);

	state_text(&c, "PLC-01.claim", "{\"asset\": \"hmi.02_x\", \"host\": \"h\", \"pid\": 1}");
	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), -1);
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "not the claim of asset 'PLC-01'"));
	state_text(&c, "PLC-01.claim", "");
	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), -1);
	assert_non_null(strstr(err.msg, p));
	state_text(&c, "PLC-01.claim", "{\"asset\": \"PLC-01\", \"pid\": 0, \"slurm_job\": 5}");
	assert_int_equal(fleet_claim_read(&c, 0, &cl, &err), 1);
	assert_string_equal(cl.host, "");
	assert_int_equal(cl.pid, 0);
	assert_null(cl.slurm_job);
	fleet_claim_release(&cl);
	fleet_campaign_release(&c);
	free(p);
}

/* ---- atomic writes --------------------------------------------------- */

static void write_atomic(void **state)
{
	struct ks_err err;
	char *dir = fresh(), *p, *text, *file = xasprintf("%s/plain", top), *bad;
	size_t len;

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(fleet_write_atomic(dir, "a.json", "{}\n", 3, &err), 0);
	assert_int_equal(fleet_write_atomic(dir, "a.json", "[1]\n", 4, &err), 0);
	assert_int_equal(fleet_write_atomic(dir, "empty", "", 0, &err), 0);
	dir_holds(dir, (const char *const[]){ "a.json", "empty", NULL });
	p = xasprintf("%s/a.json", dir);
	text = read_all(p, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(text, "[1]\n", 4);
	free(text);
	free(p);

	/* The directory is a regular file: even root cannot write there. */
	write_file(file, "x", 1);
	bad = xasprintf("%s/sub", file);
	assert_int_equal(fleet_write_atomic(file, "a.json", "{}", 2, &err), -1);
	assert_non_null(strstr(err.msg, "a.json"));
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(fleet_write_atomic(bad, "a.json", "{}", 2, &err), -1);
	assert_non_null(strstr(err.msg, bad));
	/* The rename fails (a directory is in the way): the temporary goes. */
	p = xasprintf("%s/d", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(fleet_write_atomic(dir, "d", "{}", 2, &err), -1);
	assert_non_null(strstr(err.msg, "cannot rename into place"));
	dir_holds(dir, (const char *const[]){ "a.json", "empty", "d", NULL });
	/* The temporary name is this writer's: host and pid. */
	char *tag = xasprintf(".%ld", (long)getpid());
	const char *t = fleet_writer_tag();
	assert_true(strlen(t) > strlen(tag));
	assert_string_equal(t + strlen(t) - strlen(tag), tag);
	assert_null(strchr(t, '/'));
	free(tag);
	free(p);
	free(bad);
	free(file);
	free(dir);
}

static void asset_ok(void **state)
{
	assert_true(fleet_asset_ok("PLC-01"));
	assert_true(fleet_asset_ok("a.b_c-9"));
	assert_true(fleet_asset_ok("A123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(fleet_asset_ok("A1234567890123456789012345678901234567890123456789012345678901234"));
	assert_false(fleet_asset_ok(""));
	assert_false(fleet_asset_ok("."));
	assert_false(fleet_asset_ok(".."));
	assert_false(fleet_asset_ok(".hidden"));
	assert_false(fleet_asset_ok("-rf"));
	assert_false(fleet_asset_ok("a/b"));
	assert_false(fleet_asset_ok("a b"));
	assert_false(fleet_asset_ok("a\\b"));
	assert_false(fleet_asset_ok("caf\xc3\xa9"));
}

static int setup(void **state)
{
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	return nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(create_refuses_a_campaign),
		cmocka_unit_test(hostile_campaign_json),
		cmocka_unit_test(many_machines),
		cmocka_unit_test(not_regular),
		cmocka_unit_test(claim_and_result),
		cmocka_unit_test(hostile_state),
		cmocka_unit_test(write_atomic),
		cmocka_unit_test(asset_ok),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
