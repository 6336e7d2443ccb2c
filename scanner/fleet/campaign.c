/* The campaign directory: campaign.json (what the campaign is), each
 * machine's claim and result, written so that the many processes of a
 * campaign on many nodes never write the same file and never show a
 * reader half of one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include <kenshu/output.h>
#include <kenshu/report.h>
#include "fleet_internal.h"
#include <kenshu/banned.h>

#define CAMPAIGN_KIND "kenshu-fleet-campaign"
#define CAMPAIGN_VERSION 1

const char *fleet_writer_tag(void)
{
	static char tag[HOST_NAME_MAX + 32];
	char host[HOST_NAME_MAX + 1] = "";

	/* Not cached across fork: each worker process is its own writer. */
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "host");
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == '.')
			*p = '_';
	snprintf(tag, sizeof(tag), "%s.%ld", host, (long)getpid());
	return tag;
}

int fleet_write_atomic(const char *dir, const char *name, const char *data, size_t len, struct ks_err *err)
{
	char *tmp = xasprintf("%s/.%s.tmp.%s", dir, name, fleet_writer_tag());
	char *final = xasprintf("%s/%s", dir, name);
	int fd, rc = -1, e;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ks_fail(err, KS_EIO, "'%s': cannot write: %s", final, strerror(errno));
		goto out;
	}
	cleanup_add(tmp, false);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : ENOSPC;
			close(fd);
			ks_fail(err, KS_EIO, "'%s': cannot write: %s", final, strerror(e));
			goto out_unlink;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		e = errno;
		ks_fail(err, KS_EIO, "'%s': cannot write: %s", final, strerror(e));
		goto out_unlink;
	}
	if (rename(tmp, final) < 0) {
		ks_fail(err, KS_EIO, "'%s': cannot rename into place: %s", final, strerror(errno));
		goto out_unlink;
	}
	cleanup_forget(tmp);
	/* The rename itself on disk: a node that crashes next must not bring
	 * back a claim that was already replaced by a result. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
	goto out;
out_unlink:
	cleanup_remove(tmp);
out:
	free(tmp);
	free(final);
	return rc;
}

/* The JSON object in len bytes (path only names it in err). */
static json_object *json_parse(const char *path, const char *buf, size_t len, struct ks_err *err)
{
	json_object *o = fleet_json_parse(buf, len, err);

	if (!o)
		ks_prefix(err, "'%s': ", path);
	return o;
}

/* The bytes of path (a regular file of at most max bytes, not followed
 * through a symbolic link: the directory is shared), or -1 with err. */
static int file_read(const char *path, uint64_t max, char **buf, size_t *len, struct ks_err *err)
{
	int e = 0;

	switch (hostfile_read(path, HOSTFILE_NOFOLLOW, max, buf, len, &e)) {
	case HOSTFILE_OK:
		return 0;
	case HOSTFILE_ERRNO:
		return ks_fail(err, e == ENOENT ? KS_ENOTFOUND : KS_EIO, "'%s': cannot read: %s", path, strerror(e));
	case HOSTFILE_NOT_REGULAR:
		return ks_fail(err, KS_EINPUT, "'%s': not a regular file", path);
	case HOSTFILE_TOO_LARGE:
		return ks_fail(err, KS_EINPUT, "'%s': larger than %llu bytes", path, (unsigned long long)max);
	}
	return ks_fail(err, KS_EIO, "'%s': cannot read", path);
}

json_object *fleet_json_load(const char *path, uint64_t max, struct ks_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	json_object *o;

	if (file_read(path, max, &buf, &len, err) < 0)
		return NULL;
	o = json_parse(path, buf, len, err);
	free(buf);
	return o;
}

const char *fleet_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool json_int(json_object *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*out = json_object_get_int64(v);
	return !errno && *out >= lo && *out <= hi;
}

bool fleet_asset_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FLEET_ASSET_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *meta_json(const struct case_meta *m)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < m->n; i++)
		json_object_object_add(o, m->v[i].key, json_object_new_string(m->v[i].value));
	return o;
}

/* A meta object read back goes through case_meta_add, so it is held to
 * the rules --meta is. */
static int meta_read(json_object *o, struct case_meta *m, const char *path, struct ks_err *err)
{
	if (!o || json_object_is_type(o, json_type_null))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return ks_fail(err, KS_EINPUT, "'%s': meta is not an object", path);
	json_object_object_foreach(o, k, v) {
		struct ks_err e;
		if (!json_object_is_type(v, json_type_string))
			return ks_fail(err, KS_EINPUT, "'%s': meta '%s' is not a string", path, k);
		char *kv = xasprintf("%s=%s", k, json_object_get_string(v));
		int rc = case_meta_add(m, kv, &e);
		free(kv);
		if (rc < 0)
			return ks_fail(err, KS_EINPUT, "'%s': %s", path, e.msg);
	}
	return 0;
}

static char *campaign_json(const struct fleet_campaign *c)
{
	json_object *root = json_object_new_object(), *rows = json_object_new_array();
	json_object *m = json_object_new_object();
	char *text;

	json_object_object_add(root, "kind", json_object_new_string(CAMPAIGN_KIND));
	json_object_object_add(root, "version", json_object_new_int(CAMPAIGN_VERSION));
	json_object_object_add(root, "mode", json_object_new_string(c->mode == FLEET_SLURM ? "slurm" : "local"));
	json_object_object_add(root, "created", json_object_new_string(c->created));
	json_object_object_add(m, "name", json_object_new_string(c->manifest_name));
	json_object_object_add(m, "sha256", json_object_new_string(c->manifest_sha256));
	json_object_object_add(root, "manifest", m);
	json_object_object_add(root, "database", json_object_new_string(c->database));
	json_object_object_add(root, "profile", json_object_new_string(c->profile));
	json_object_object_add(root, "sign_key", str_or_null(c->sign_key));
	json_object_object_add(root, "baseline_pub", str_or_null(c->baseline_pub));
	json_object_object_add(root, "trust_anchors", str_or_null(c->trust_anchors));
	json_object_object_add(root, "exports", json_object_new_int((int)c->exports));
	json_object_object_add(root, "threads", json_object_new_int((int)c->threads));
	json_object_object_add(root, "meta", meta_json(&c->meta));
	for (size_t i = 0; i < c->nrows; i++) {
		const struct fleet_row *r = &c->rows[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "line", json_object_new_int((int)r->line));
		json_object_object_add(o, "asset", json_object_new_string(r->asset));
		json_object_object_add(o, "image", json_object_new_string(r->image));
		json_object_object_add(o, "image_path", json_object_new_string(r->image_path));
		json_object_object_add(o, "baseline", str_or_null(r->baseline));
		json_object_object_add(o, "profile", str_or_null(r->profile));
		json_object_object_add(o, "meta", meta_json(&r->meta));
		json_object_array_add(rows, o);
	}
	json_object_object_add(root, "machines", rows);
	text = xasprintf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
									    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return text;
}

static int mkdir_in(const char *dir, const char *sub, struct ks_err *err)
{
	char *p = xasprintf("%s/%s", dir, sub);
	int rc = 0;

	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = ks_fail(err, KS_EIO, "'%s': cannot make the directory: %s", p, strerror(errno));
	free(p);
	return rc;
}

int fleet_campaign_create(const struct fleet_campaign *c, const char *manifest_text, size_t len,
			  struct ks_err *err)
{
	char *probe = xasprintf("%s/campaign.json", c->dir);
	struct stat st;
	char *text;
	int rc;

	if (lstat(probe, &st) == 0) {
		free(probe);
		return ks_fail(err, KS_EUSAGE,
			       "'%s': already a campaign directory: see it with 'kenshu fleet status', finish it "
			       "with 'kenshu fleet resubmit', or give a new directory",
			       c->dir);
	}
	free(probe);
	/* Not into a directory that holds something else (-o ~ by mistake):
	 * the campaign's names would mix with its files. */
	DIR *d = opendir(c->dir);
	if (d) {
		struct dirent *e;
		bool empty = true;
		while (empty && (e = readdir(d)))
			empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
		closedir(d);
		if (!empty)
			return ks_fail(err, KS_EUSAGE, "'%s': not empty: give a new directory or an empty one", c->dir);
	}
	if (report_mkdir_p(c->dir) < 0)
		return ks_fail(err, KS_EIO, "'%s': cannot make the campaign directory: %s", c->dir, strerror(errno));
	if (mkdir_in(c->dir, "machines", err) < 0 || mkdir_in(c->dir, "state", err) < 0 ||
	    mkdir_in(c->dir, "slurm", err) < 0)
		return -1;
	if (fleet_write_atomic(c->dir, "manifest.csv", manifest_text, len, err) < 0)
		return -1;
	text = campaign_json(c);
	/* Last: a directory with campaign.json is a whole campaign. */
	rc = fleet_write_atomic(c->dir, "campaign.json", text, strlen(text), err);
	free(text);
	return rc;
}

static char *dup_req(json_object *o, const char *key, const char *path, struct ks_err *err)
{
	const char *s = fleet_json_str(o, key);

	if (!s) {
		ks_fail(err, KS_EINPUT, "'%s': no %s", path, key);
		return NULL;
	}
	return xstrdup(s);
}

static int by_asset(const void *a, const void *b, void *rows)
{
	const struct fleet_row *r = rows;
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	int d = strcasecmp(r[i].asset, r[k].asset);

	return d ? d : (i > k) - (i < k);
}

/* Asset ids unique ignoring case, found by sorting: comparing every pair
 * of FLEET_MAX_ROWS machines takes minutes. The one named is the first
 * row that repeats an earlier one. */
static int dup_check(const struct fleet_campaign *c, const char *path, struct ks_err *err)
{
	size_t *ix = xcalloc(c->nrows, sizeof(*ix)), first = SIZE_MAX;

	for (size_t i = 0; i < c->nrows; i++)
		ix[i] = i;
	qsort_r(ix, c->nrows, sizeof(*ix), by_asset, c->rows);
	for (size_t i = 1; i < c->nrows; i++)
		if (!strcasecmp(c->rows[ix[i - 1]].asset, c->rows[ix[i]].asset) && ix[i] < first)
			first = ix[i];
	free(ix);
	if (first != SIZE_MAX)
		return ks_fail(err, KS_EINPUT, "'%s': asset '%s' twice", path, c->rows[first].asset);
	return 0;
}

static int rows_read(json_object *arr, struct fleet_campaign *c, const char *path, struct ks_err *err)
{
	size_t n = json_object_array_length(arr);

	if (n == 0 || n > FLEET_MAX_ROWS)
		return ks_fail(err, KS_EINPUT, "'%s': %zu machines", path, n);
	c->rows = xcalloc(n, sizeof(*c->rows));
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i), *meta = NULL;
		struct fleet_row *r = &c->rows[i];
		int64_t line;

		c->nrows = i + 1;
		if (!json_object_is_type(o, json_type_object) || !json_int(o, "line", 2, INT_MAX, &line))
			return ks_fail(err, KS_EINPUT, "'%s': machine %zu is damaged", path, i + 1);
		r->line = (unsigned)line;
		if (!(r->asset = dup_req(o, "asset", path, err)) || !(r->image = dup_req(o, "image", path, err)) ||
		    !(r->image_path = dup_req(o, "image_path", path, err)))
			return -1;
		if (!fleet_asset_ok(r->asset))
			return ks_fail(err, KS_EINPUT, "'%s': machine %zu: asset '%s' is not a file name", path, i + 1,
				       r->asset);
		r->baseline = xstrdup_or_null(fleet_json_str(o, "baseline"));
		r->profile = xstrdup_or_null(fleet_json_str(o, "profile"));
		json_object_object_get_ex(o, "meta", &meta);
		if (meta_read(meta, &r->meta, path, err) < 0)
			return -1;
	}
	return dup_check(c, path, err);
}

int fleet_campaign_parse(const char *path, const char *text, size_t len, struct fleet_campaign *c,
			 struct ks_err *err)
{
	json_object *root, *v;
	const char *s;
	int64_t n;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (!(root = json_parse(path, text, len, err)))
		return -1;
	s = fleet_json_str(root, "kind");
	if (!s || strcmp(s, CAMPAIGN_KIND) != 0 || !json_int(root, "version", 1, 1, &n)) {
		ks_fail(err, KS_EINPUT, "'%s': not a kenshu campaign of version %d", path, CAMPAIGN_VERSION);
		goto out;
	}
	s = fleet_json_str(root, "mode");
	if (!s || (strcmp(s, "local") && strcmp(s, "slurm"))) {
		ks_fail(err, KS_EINPUT, "'%s': mode is neither local nor slurm", path);
		goto out;
	}
	c->mode = !strcmp(s, "slurm") ? FLEET_SLURM : FLEET_LOCAL;
	if (!(c->created = dup_req(root, "created", path, err)) || !(c->database = dup_req(root, "database", path, err)) ||
	    !(c->profile = dup_req(root, "profile", path, err)))
		goto out;
	if (!json_object_object_get_ex(root, "manifest", &v) || !(s = fleet_json_str(v, "name")) ||
	    strlen(fleet_json_str(v, "sha256") ? fleet_json_str(v, "sha256") : "") != SHA256_HEX_LEN) {
		ks_fail(err, KS_EINPUT, "'%s': no manifest name and SHA-256", path);
		goto out;
	}
	c->manifest_name = xstrdup(s);
	memcpy(c->manifest_sha256, fleet_json_str(v, "sha256"), SHA256_HEX_LEN + 1);
	c->sign_key = xstrdup_or_null(fleet_json_str(root, "sign_key"));
	c->baseline_pub = xstrdup_or_null(fleet_json_str(root, "baseline_pub"));
	c->trust_anchors = xstrdup_or_null(fleet_json_str(root, "trust_anchors"));
	if (!json_int(root, "exports", 0, 255, &n)) {
		ks_fail(err, KS_EINPUT, "'%s': exports is not a small number", path);
		goto out;
	}
	c->exports = (unsigned)n;
	if (!json_int(root, "threads", 1, 256, &n)) {
		ks_fail(err, KS_EINPUT, "'%s': threads is not 1 to 256", path);
		goto out;
	}
	c->threads = (unsigned)n;
	v = NULL;
	json_object_object_get_ex(root, "meta", &v);
	if (meta_read(v, &c->meta, path, err) < 0)
		goto out;
	if (!json_object_object_get_ex(root, "machines", &v) || !json_object_is_type(v, json_type_array)) {
		ks_fail(err, KS_EINPUT, "'%s': no machines", path);
		goto out;
	}
	rc = rows_read(v, c, path, err);
out:
	json_object_put(root);
	if (rc < 0)
		fleet_campaign_release(c);
	return rc;
}

int fleet_campaign_open(const char *dir, struct fleet_campaign *c, struct ks_err *err)
{
	char *path = xasprintf("%s/campaign.json", dir), *buf = NULL;
	size_t len = 0;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (file_read(path, FLEET_CAMPAIGN_JSON_MAX, &buf, &len, err) < 0) {
		if (err && err->code == KS_ENOTFOUND)
			ks_fail(err, KS_ENOTFOUND, "'%s': not a campaign directory (no campaign.json)", dir);
	} else if ((rc = fleet_campaign_parse(path, buf, len, c, err)) == 0) {
		c->dir = xstrdup(dir);
	}
	free(buf);
	free(path);
	return rc;
}

void fleet_row_release(struct fleet_row *r)
{
	free(r->asset);
	free(r->image);
	free(r->image_path);
	free(r->baseline);
	free(r->profile);
	case_meta_release(&r->meta);
}

void fleet_campaign_release(struct fleet_campaign *c)
{
	for (size_t i = 0; i < c->nrows; i++)
		fleet_row_release(&c->rows[i]);
	free(c->rows);
	free(c->dir);
	free(c->created);
	free(c->manifest_name);
	free(c->database);
	free(c->profile);
	free(c->sign_key);
	free(c->baseline_pub);
	free(c->trust_anchors);
	case_meta_release(&c->meta);
	memset(c, 0, sizeof(*c));
}

char *fleet_report_dir(const struct fleet_campaign *c, size_t row)
{
	return xasprintf("%s/machines/%s", c->dir, c->rows[row].asset);
}

char *fleet_report_rel(const struct fleet_campaign *c, size_t row)
{
	return xasprintf("machines/%s", c->rows[row].asset);
}

/* ---- claims and results --------------------------------------------- */

static char *state_dir(const struct fleet_campaign *c)
{
	return xasprintf("%s/state", c->dir);
}

static int state_write(const struct fleet_campaign *c, size_t row, const char *ext, json_object *o,
		       struct ks_err *err)
{
	char *dir = state_dir(c), *name = xasprintf("%s.%s", c->rows[row].asset, ext);
	char *text = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
									     JSON_C_TO_STRING_NOSLASHESCAPE));
	int rc = fleet_write_atomic(dir, name, text, strlen(text), err);

	free(text);
	free(name);
	free(dir);
	return rc;
}

/* 1 with *o, 0 when there is none, -1 with err. */
static int state_read(const struct fleet_campaign *c, size_t row, const char *ext, json_object **o,
		      struct ks_err *err)
{
	char *path = xasprintf("%s/state/%s.%s", c->dir, c->rows[row].asset, ext);
	struct ks_err e;
	const char *asset;

	*o = fleet_json_load(path, FLEET_STATE_JSON_MAX, &e);
	if (!*o) {
		free(path);
		if (e.code == KS_ENOTFOUND)
			return 0;
		if (err)
			*err = e;
		return -1;
	}
	asset = fleet_json_str(*o, "asset");
	if (!asset || strcmp(asset, c->rows[row].asset) != 0) {
		ks_fail(err, KS_EINPUT, "'%s': not the %s of asset '%s'", path, ext, c->rows[row].asset);
		json_object_put(*o);
		*o = NULL;
		free(path);
		return -1;
	}
	free(path);
	return 1;
}

int fleet_claim_write(const struct fleet_campaign *c, size_t row, const struct fleet_worker *w,
		      struct ks_err *err)
{
	json_object *o = json_object_new_object();
	char now[32];
	int rc;

	ks_now_iso(now, sizeof(now));
	json_object_object_add(o, "asset", json_object_new_string(c->rows[row].asset));
	json_object_object_add(o, "host", json_object_new_string(w->host));
	json_object_object_add(o, "pid", json_object_new_int64(w->pid));
	json_object_object_add(o, "slurm_job", str_or_null(w->slurm_job));
	json_object_object_add(o, "submission", json_object_new_int((int)w->submission));
	json_object_object_add(o, "started", json_object_new_string(now));
	rc = state_write(c, row, "claim", o, err);
	json_object_put(o);
	return rc;
}

int fleet_claim_read(const struct fleet_campaign *c, size_t row, struct fleet_claim *cl, struct ks_err *err)
{
	json_object *o;
	int64_t n;
	int rc = state_read(c, row, "claim", &o, err);

	memset(cl, 0, sizeof(*cl));
	if (rc <= 0)
		return rc;
	cl->host = xstrdup(fleet_json_str(o, "host") ? fleet_json_str(o, "host") : "");
	cl->pid = json_int(o, "pid", 1, INT64_MAX, &n) ? (long)n : 0;
	cl->slurm_job = xstrdup_or_null(fleet_json_str(o, "slurm_job"));
	cl->submission = json_int(o, "submission", 0, 1000000, &n) ? (unsigned)n : 0;
	cl->started = xstrdup_or_null(fleet_json_str(o, "started"));
	json_object_put(o);
	return 1;
}

void fleet_claim_release(struct fleet_claim *cl)
{
	free(cl->host);
	free(cl->slurm_job);
	free(cl->started);
	memset(cl, 0, sizeof(*cl));
}

int fleet_result_write(const struct fleet_campaign *c, size_t row, const struct fleet_result *r,
		       struct ks_err *err)
{
	json_object *o = json_object_new_object();
	int rc;

	json_object_object_add(o, "asset", json_object_new_string(c->rows[row].asset));
	json_object_object_add(o, "exit_code", json_object_new_int(r->exit_code));
	json_object_object_add(o, "verdict", json_object_new_string(r->verdict));
	json_object_object_add(o, "error", str_or_null(r->error));
	json_object_object_add(o, "started", str_or_null(r->started));
	json_object_object_add(o, "finished", str_or_null(r->finished));
	json_object_object_add(o, "seconds", json_object_new_double(r->seconds));
	json_object_object_add(o, "host", str_or_null(r->host));
	json_object_object_add(o, "pid", json_object_new_int64(r->pid));
	json_object_object_add(o, "slurm_job", str_or_null(r->slurm_job));
	json_object_object_add(o, "submission", json_object_new_int((int)r->submission));
	json_object_object_add(o, "commit", str_or_null(r->commit));
	rc = state_write(c, row, "result", o, err);
	json_object_put(o);
	if (rc == 0) {
		char *claim = xasprintf("%s/state/%s.claim", c->dir, c->rows[row].asset);
		(void)unlink(claim);
		free(claim);
	}
	return rc;
}

static const char *const verdicts[] = { "PASS", "REVIEW", "FAIL", "ERROR" };

int fleet_result_read(const struct fleet_campaign *c, size_t row, struct fleet_result *r, struct ks_err *err)
{
	json_object *o, *v;
	int64_t n;
	const char *s;
	bool known = false;
	int rc = state_read(c, row, "result", &o, err);

	memset(r, 0, sizeof(*r));
	if (rc <= 0)
		return rc;
	s = fleet_json_str(o, "verdict");
	for (size_t i = 0; s && i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		known |= !strcmp(s, verdicts[i]);
	if (!known || !json_int(o, "exit_code", 0, 255, &n)) {
		ks_fail(err, KS_EINPUT, "'%s/state/%s.result': no verdict and exit code", c->dir, c->rows[row].asset);
		json_object_put(o);
		return -1;
	}
	r->exit_code = (int)n;
	r->verdict = xstrdup(s);
	r->error = xstrdup_or_null(fleet_json_str(o, "error"));
	r->started = xstrdup_or_null(fleet_json_str(o, "started"));
	r->finished = xstrdup_or_null(fleet_json_str(o, "finished"));
	r->seconds = json_object_object_get_ex(o, "seconds", &v) && json_object_is_type(v, json_type_double)
			     ? json_object_get_double(v)
			     : -1;
	r->host = xstrdup_or_null(fleet_json_str(o, "host"));
	r->pid = json_int(o, "pid", 0, INT64_MAX, &n) ? (long)n : 0;
	r->slurm_job = xstrdup_or_null(fleet_json_str(o, "slurm_job"));
	r->submission = json_int(o, "submission", 0, 1000000, &n) ? (unsigned)n : 0;
	r->commit = xstrdup_or_null(fleet_json_str(o, "commit"));
	json_object_put(o);
	return 1;
}

int fleet_result_clear(const struct fleet_campaign *c, size_t row, struct ks_err *err)
{
	static const char *const ext[] = { "result", "claim" };

	for (size_t i = 0; i < 2; i++) {
		char *p = xasprintf("%s/state/%s.%s", c->dir, c->rows[row].asset, ext[i]);
		if (unlink(p) < 0 && errno != ENOENT) {
			ks_fail(err, KS_EIO, "'%s': cannot remove: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

void fleet_result_release(struct fleet_result *r)
{
	free(r->verdict);
	free(r->error);
	free(r->started);
	free(r->finished);
	free(r->host);
	free(r->slurm_job);
	free(r->commit);
	memset(r, 0, sizeof(*r));
}
