/* Snapshots: one report as drift.c compares it, read from a report
 * directory (a baseline, untrusted) or built from the scan in memory.
 * Every field drift.c and the reuse check read is type-checked here, so
 * the comparison itself never meets a malformed value. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include <kenshu/version.h>
#include <kenshu/drift.h>
#include <kenshu/core.h>
#include <kenshu/report.h>
#include "drift_internal.h"
#include "../output/output_internal.h"
#include <kenshu/banned.h>

struct clean_key {
	unsigned char sha[32];
	uint64_t size;
};

int snap_file_cmp(const void *a, const void *b)
{
	const struct snap_file *x = a, *y = b;
	int c;

	if (x->volume != y->volume)
		return x->volume < y->volume ? -1 : 1;
	if ((c = strcmp(x->path, y->path)))
		return c;
	return strcmp(x->stream, y->stream);
}

static int clean_cmp(const void *a, const void *b)
{
	const struct clean_key *x = a, *y = b;
	int c = memcmp(x->sha, y->sha, sizeof(x->sha));

	if (c)
		return c;
	return x->size < y->size ? -1 : x->size > y->size;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool snap_sha256_ok(const char *s)
{
	size_t i;

	for (i = 0; i < SHA256_HEX_LEN; i++)
		if (hexval(s[i]) < 0)
			return false;
	return s[i] == '\0';
}

static void sha_bin(const char *hex, unsigned char out[32])
{
	for (int i = 0; i < 32; i++)
		out[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
}

/* ---- typed access; validate() has checked the shapes ---- */

json_object *snap_get(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

const char *snap_str(json_object *o, const char *k)
{
	json_object *v = snap_get(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

unsigned snap_uint(json_object *o, const char *k)
{
	json_object *v = snap_get(o, k);

	if (!v || !json_object_is_type(v, json_type_int))
		return 0;
	int64_t n = json_object_get_int64(v);
	return n < 0 || n > UINT32_MAX ? 0 : (unsigned)n;
}

char *snap_join(const char *const *v, size_t n)
{
	size_t len = 1;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i] ? v[i] : "") + 2;
	out = p = xmalloc(len);
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += snprintf(p, len - (size_t)(p - out), "%s%s", i ? ", " : "", v[i] ? v[i] : "");
	return out;
}

/* A scalar as text for comparison and display; NULL when absent or null.
 * Caller frees. */
char *snap_text(json_object *o, const char *k)
{
	json_object *v = snap_get(o, k);

	if (!v)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
		return xstrdup(json_object_get_string(v));
	case json_type_int:
		return xasprintf("%lld", (long long)json_object_get_int64(v));
	case json_type_boolean:
		return xstrdup(json_object_get_boolean(v) ? "true" : "false");
	case json_type_array: {
		/* A list of strings (flags): comma-separated, in its order. */
		size_t n = json_object_array_length(v);
		const char **items = xcalloc(n ? n : 1, sizeof(*items));
		for (size_t i = 0; i < n; i++)
			items[i] = json_object_get_string(json_object_array_get_idx(v, i));
		char *out = snap_join(items, n);
		free(items);
		return out;
	}
	default:
		return NULL;
	}
}

json_object *snap_array(const struct snapshot *s, const char *k)
{
	return snap_get(s->root, k);
}

/* ---- validation of a baseline's report.json ---- */

struct shape {
	const char *key;
	enum json_type type;
	bool nullable;
};

/* What the comparison reads of each element, per top-level list. */
static const struct shape volume_shape[] = {
	{ "index", json_type_int, false }, { "size", json_type_int, false },
	{ "partition_type", json_type_string, false }, { "filesystem", json_type_string, false },
	{ "label", json_type_string, false }, { "state", json_type_string, false },
	{ "scanned", json_type_boolean, false }, { NULL, 0, false },
};
static const struct shape os_shape[] = {
	{ "volume", json_type_int, false }, { "system_root", json_type_string, false },
	{ "product_name", json_type_string, true }, { "edition", json_type_string, true },
	{ "current_version", json_type_string, true }, { "version", json_type_string, true },
	{ "build", json_type_string, true }, { "ubr", json_type_int, true },
	{ "service_pack", json_type_string, true }, { "architecture", json_type_string, true },
	{ "hostname", json_type_string, true }, { "profiles", json_type_array, false },
	{ NULL, 0, false },
};
static const struct shape autorun_shape[] = {
	{ "volume", json_type_int, false }, { "category", json_type_string, false },
	{ "location", json_type_string, false }, { "name", json_type_string, false },
	{ "command", json_type_string, false }, { "user", json_type_string, true },
	{ "target", json_type_string, true }, { "target_sha256", json_type_string, true },
	{ "flags", json_type_array, false }, { NULL, 0, false },
};
static const struct shape located_shape[] = {
	{ "volume", json_type_int, false }, { "path", json_type_string, false },
	{ "stream", json_type_string, false }, { NULL, 0, false },
};
static const struct shape detection_shape[] = {
	{ "volume", json_type_int, false }, { "path", json_type_string, false },
	{ "stream", json_type_string, false }, { "signature", json_type_string, false },
	{ "sha256", json_type_string, false }, { NULL, 0, false },
};
static const struct shape finding_shape[] = {
	{ "rule", json_type_string, false }, { "severity", json_type_string, false },
	{ "message", json_type_string, false }, { "evidence", json_type_object, false },
	{ "waiver", json_type_string, true }, { NULL, 0, false },
};
static const struct shape database_shape[] = {
	{ "name", json_type_string, false }, { "sha256", json_type_string, false }, { NULL, 0, false },
};

static const struct {
	const char *key;
	const struct shape *shape;
} lists[] = {
	{ "volumes", volume_shape },     { "os", os_shape },
	{ "autoruns", autorun_shape },   { "detections", detection_shape },
	{ "macro_documents", located_shape }, { "skipped", located_shape },
	{ "findings", finding_shape },
};

static const char *type_name(enum json_type t)
{
	switch (t) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}

static int check_elements(json_object *a, const char *what, const struct shape *sh, struct ks_err *why)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_object)) {
			ks_fail(why, KS_EINPUT, "%s[%zu] is not an object", what, i);
			return -1;
		}
		for (const struct shape *s = sh; s->key; s++) {
			json_object *v = snap_get(e, s->key);
			if (!json_object_object_get_ex(e, s->key, NULL)) {
				ks_fail(why, KS_EINPUT, "%s[%zu] has no \"%s\"", what, i, s->key);
				return -1;
			}
			if (v == NULL ? !s->nullable : !json_object_is_type(v, s->type)) {
				ks_fail(why, KS_EINPUT, "%s[%zu].%s is %s, not %s", what, i, s->key,
				       type_name(json_object_get_type(v)), type_name(s->type));
				return -1;
			}
			if (s->type == json_type_int && v && json_object_get_int64(v) < 0) {
				ks_fail(why, KS_EINPUT, "%s[%zu].%s is negative", what, i, s->key);
				return -1;
			}
			/* Volume numbers are unsigned 32-bit: a larger one would
			 * silently become another volume. */
			if (s->type == json_type_int && v && (!strcmp(s->key, "volume") || !strcmp(s->key, "index")) &&
			    json_object_get_int64(v) > UINT32_MAX) {
				ks_fail(why, KS_EINPUT, "%s[%zu].%s is out of range", what, i, s->key);
				return -1;
			}
			if (s->type == json_type_array && v) {
				for (size_t k = 0; k < json_object_array_length(v); k++) {
					json_object *x = json_object_array_get_idx(v, k);
					if (!strcmp(s->key, "profiles") ? !json_object_is_type(snap_get(x, "user"), json_type_string)
									: !json_object_is_type(x, json_type_string)) {
						ks_fail(why, KS_EINPUT, "%s[%zu].%s[%zu] is malformed", what, i, s->key, k);
						return -1;
					}
				}
			}
		}
	}
	return 0;
}

static int validate(json_object *root, struct ks_err *why)
{
	json_object *img, *eng, *dbs, *tool;

	if (!json_object_is_type(root, json_type_object)) {
		ks_fail(why, KS_EINPUT, "not a kenshu report: not a JSON object");
		return -1;
	}
	if (!snap_str(root, "schema_version") || !snap_str(snap_get(root, "tool"), "name") ||
	    strcmp(snap_str(snap_get(root, "tool"), "name"), "kenshu") != 0) {
		ks_fail(why, KS_EINPUT, "not a kenshu report: no schema_version or tool");
		return -1;
	}
	if (strncmp(snap_str(root, "schema_version"), "1.", 2) != 0) {
		ks_fail(why, KS_EINPUT, "report schema %.32s is not one this kenshu reads (1.x)", snap_str(root, "schema_version"));
		return -1;
	}
	tool = snap_get(root, "tool");
	if (!snap_str(tool, "version") || !snap_str(tool, "commit")) {
		ks_fail(why, KS_EINPUT, "tool.version or tool.commit missing");
		return -1;
	}
	if (!snap_str(root, "verdict")) {
		ks_fail(why, KS_EINPUT, "no verdict");
		return -1;
	}
	img = snap_get(root, "image");
	if (!snap_str(img, "path") || !snap_str(img, "sha256_before")) {
		ks_fail(why, KS_EINPUT, "image.path or image.sha256_before missing");
		return -1;
	}
	if (!snap_str(snap_get(root, "scan"), "started") || !snap_str(snap_get(root, "profile"), "name")) {
		ks_fail(why, KS_EINPUT, "scan.started or profile.name missing");
		return -1;
	}
	eng = snap_get(root, "engine");
	dbs = snap_get(eng, "databases");
	if (!snap_str(eng, "version") || !json_object_is_type(dbs, json_type_array) ||
	    !json_object_is_type(snap_get(eng, "limits"), json_type_object)) {
		ks_fail(why, KS_EINPUT, "engine.version, engine.databases or engine.limits missing");
		return -1;
	}
	if (check_elements(dbs, "engine.databases", database_shape, why) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		json_object *a = snap_get(root, lists[i].key);
		if (!json_object_is_type(a, json_type_array)) {
			ks_fail(why, KS_EINPUT, "\"%s\" is missing or not an array", lists[i].key);
			return -1;
		}
		if (check_elements(a, lists[i].key, lists[i].shape, why) < 0)
			return -1;
	}
	json_object *f = snap_get(root, "findings");
	for (size_t i = 0; i < json_object_array_length(f); i++) {
		json_object *e = snap_get(json_object_array_get_idx(f, i), "evidence");
		json_object *v = snap_get(e, "volume");
		if ((v && (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
			   json_object_get_int64(v) > UINT32_MAX)) ||
		    (snap_get(e, "path") && !snap_str(e, "path")) || (snap_get(e, "value") && !snap_str(e, "value"))) {
			ks_fail(why, KS_EINPUT, "findings[%zu].evidence is malformed", i);
			return -1;
		}
	}
	return 0;
}

/* ---- reading files ---- */

/* A baseline file's open or read failure as one line. */
static void host_error(enum hostfile_status st, int e, const char *path, uint64_t max, const char *what,
		       struct ks_err *err)
{
	if (st == HOSTFILE_ERRNO)
		ks_fail(err, KS_EIO, "'%s': cannot read: %s", path, strerror(e));
	else if (st == HOSTFILE_NOT_REGULAR)
		ks_fail(err, KS_EINPUT, "'%s': not a regular file", path);
	else if (max >= (uint64_t)1 << 30)
		ks_fail(err, KS_EINPUT, "'%s': larger than %llu GiB, not a %s kenshu wrote", path,
		       (unsigned long long)(max >> 30), what);
	else
		ks_fail(err, KS_EINPUT, "'%s': larger than %llu MiB, not a %s kenshu wrote", path,
		       (unsigned long long)(max >> 20), what);
}

/* Parses exactly one JSON value spanning the n bytes; NULL with why. */
static json_object *parse_json(const char *buf, size_t n, struct ks_err *why)
{
	json_tokener *tok = json_tokener_new_ex(64);
	json_object *o;
	size_t end;

	if (n > INT32_MAX) {
		ks_fail(why, KS_EINPUT, "too large");
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)n);
	if (!o) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		ks_fail(why, KS_EINPUT, "not valid JSON (%s at byte %zu)",
		       e == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(e),
		       json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return NULL;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < n && (buf[end] == ' ' || buf[end] == '\n' || buf[end] == '\r' || buf[end] == '\t'))
		end++;
	if (end != n) {
		ks_fail(why, KS_EINPUT, "not valid JSON (trailing data at byte %zu)", end);
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void add_file(struct snapshot *s, size_t *alloc, unsigned vol, const char *path, const char *stream,
		     uint64_t size, const char *sha, const char *status, const char *link_of, bool dir)
{
	if (s->nfiles == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 1024;
		s->files = xrealloc(s->files, *alloc * sizeof(*s->files));
	}
	struct snap_file *f = &s->files[s->nfiles++];
	f->volume = vol;
	f->path = xstrdup(path);
	f->stream = xstrdup(stream);
	f->size = size;
	snprintf(f->sha256, sizeof(f->sha256), "%s", sha ? sha : "");
	f->status = xstrdup(status);
	f->link_of = link_of ? xstrdup(link_of) : NULL;
	f->directory = dir;
}

static bool has_flag(json_object *flags, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(flags); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(flags, i));
		if (s && !strcmp(s, name))
			return true;
	}
	return false;
}

/* One manifest line; 0 or -1 with why. */
static int manifest_line(struct snapshot *s, size_t *alloc, const char *line, size_t n, struct ks_err *why)
{
	json_object *o = parse_json(line, n, why), *flags;
	const char *path, *stream, *sha, *status, *link_of;
	json_object *vol, *size;
	int rc = -1;

	if (!o)
		return -1;
	vol = snap_get(o, "volume");
	size = snap_get(o, "size");
	path = snap_str(o, "path");
	stream = snap_str(o, "stream");
	sha = snap_str(o, "sha256");
	status = snap_str(o, "status");
	link_of = snap_str(o, "link_of");
	flags = snap_get(o, "flags");
	if (!json_object_is_type(vol, json_type_int) || json_object_get_int64(vol) < 0 ||
	    json_object_get_int64(vol) > UINT32_MAX || !json_object_is_type(size, json_type_int) ||
	    json_object_get_int64(size) < 0 || !path || !stream || !status) {
		ks_fail(why, KS_EINPUT, "volume, path, stream, size or status missing or malformed");
		goto out;
	}
	if (snap_get(o, "sha256") && (!sha || !snap_sha256_ok(sha))) {
		ks_fail(why, KS_EINPUT, "sha256 is not 64 lowercase hex digits");
		goto out;
	}
	if ((snap_get(o, "link_of") && !link_of) || (flags && !json_object_is_type(flags, json_type_array))) {
		ks_fail(why, KS_EINPUT, "link_of or flags malformed");
		goto out;
	}
	add_file(s, alloc, (unsigned)json_object_get_int64(vol), path, stream, (uint64_t)json_object_get_int64(size),
		 sha, status, link_of, flags && has_flag(flags, "directory"));
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/* One line of at most max bytes (more: max + 1 of them), like getline()
 * but never holding more than max + 2 bytes of a line without end. */
static ssize_t read_line(FILE *f, char **line, size_t *cap, size_t max)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF) {
		if (n + 2 > *cap) {
			*cap = *cap ? *cap * 2 : 4096;
			*line = xrealloc(*line, *cap);
		}
		(*line)[n++] = (char)c;
		if (c == '\n' || n > max)
			break;
	}
	if (!n)
		return -1;
	(*line)[n] = '\0';
	return (ssize_t)n;
}

static int load_manifest(struct snapshot *s, const char *path, struct ks_err *err)
{
	FILE *f;
	struct sha256 *h;
	char *line = NULL;
	struct ks_err why;
	size_t cap = 0, alloc = 0, lineno = 0;
	uint64_t total = 0, size;
	ssize_t n;
	int rc = -1, fd, e;

	/* Like report.json: a regular file, no symlink, no FIFO to block on. */
	enum hostfile_status st = hostfile_open(path, HOSTFILE_NOFOLLOW, SNAPSHOT_MAX_MANIFEST, &fd, &size, &e);
	if (st != HOSTFILE_OK) {
		host_error(st, e, path, SNAPSHOT_MAX_MANIFEST, "manifest", err);
		return -1;
	}
	if (!(f = fdopen(fd, "r"))) {
		ks_fail(err, KS_EIO, "'%s': cannot read: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	h = sha256_new();
	while ((n = read_line(f, &line, &cap, SNAPSHOT_MAX_LINE)) > 0) {
		lineno++;
		sha256_update(h, line, (size_t)n);
		total += (uint64_t)n;
		if ((size_t)n > SNAPSHOT_MAX_LINE || total > SNAPSHOT_MAX_MANIFEST) {
			ks_fail(err, KS_EINPUT, "'%s': line %zu: longer than a manifest line can be", path, lineno);
			goto out;
		}
		if (line[n - 1] != '\n') {
			ks_fail(err, KS_EINPUT, "'%s': line %zu: no newline at the end (cut short?)", path, lineno);
			goto out;
		}
		if (memchr(line, '\0', (size_t)n)) {
			ks_fail(err, KS_EINPUT, "'%s': line %zu: holds a NUL byte", path, lineno);
			goto out;
		}
		if (manifest_line(s, &alloc, line, (size_t)n - 1, &why) < 0) {
			ks_fail(err, KS_EINPUT, "'%s': line %zu: %.255s", path, lineno, why.msg);
			goto out;
		}
	}
	if (ferror(f)) {
		ks_fail(err, KS_EIO, "'%s': cannot read: %s", path, strerror(errno));
		goto out;
	}
	sha256_final_hex(h, s->manifest_sha256);
	qsort(s->files, s->nfiles, sizeof(*s->files), snap_file_cmp);
	for (size_t i = 1; i < s->nfiles; i++) {
		if (snap_file_cmp(&s->files[i - 1], &s->files[i]) == 0) {
			ks_fail(err, KS_EINPUT, "'%s': volume %u '%.200s%s%.100s' is listed twice", path, s->files[i].volume,
			       s->files[i].path, s->files[i].stream[0] ? ":" : "", s->files[i].stream);
			goto out;
		}
	}
	rc = 0;
out:
	free(line);
	sha256_free(h);
	fclose(f);
	return rc;
}

/* ---- the clean set for reuse ---- */

/* Files a list of the report names (volume, path, stream), sorted. */
static size_t collect(json_object *a, struct snap_file *out, size_t n)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		out[n].volume = snap_uint(e, "volume");
		out[n].path = (char *)snap_str(e, "path");
		out[n].stream = (char *)snap_str(e, "stream");
		n++;
	}
	return n;
}

static void build_clean(struct snapshot *s)
{
	json_object *det = snap_array(s, "detections"), *mac = snap_array(s, "macro_documents"),
		    *skip = snap_array(s, "skipped");
	size_t nx = json_object_array_length(det) + json_object_array_length(mac) + json_object_array_length(skip);
	struct snap_file *x = xcalloc(nx ? nx : 1, sizeof(*x));

	/* A file with a detection, macros or a skipped part is rescanned. */
	nx = collect(skip, x, collect(mac, x, collect(det, x, 0)));
	qsort(x, nx, sizeof(*x), snap_file_cmp);
	s->clean = xcalloc(s->nfiles ? s->nfiles : 1, sizeof(*s->clean));
	s->nclean = 0;
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct snap_file *f = &s->files[i];
		if (strcmp(f->status, "scanned") != 0 || !f->sha256[0] ||
		    bsearch(f, x, nx, sizeof(*x), snap_file_cmp))
			continue;
		struct clean_key *k = &s->clean[s->nclean++];
		sha_bin(f->sha256, k->sha);
		k->size = f->size;
	}
	qsort(s->clean, s->nclean, sizeof(*s->clean), clean_cmp);
	free(x);
}

bool snapshot_clean(const struct snapshot *s, const char *sha256, uint64_t size)
{
	struct clean_key k;

	if (!s || !snap_sha256_ok(sha256))
		return false;
	sha_bin(sha256, k.sha);
	k.size = size;
	return bsearch(&k, s->clean, s->nclean, sizeof(k), clean_cmp) != NULL;
}

/* ---- public ---- */

int snapshot_load(const char *dir, struct snapshot **out, struct ks_err *err)
{
	struct snapshot *s = xcalloc(1, sizeof(*s));
	char *rp = xasprintf("%s/report.json", dir), *mp = xasprintf("%s/manifest.jsonl", dir);
	char *bp = xasprintf("%s/bundle.json", dir), *buf = NULL;
	struct ks_err why;
	struct stat st;
	size_t len;
	int e;
	int rc = -1;

	*out = NULL;
	if (stat(dir, &st) < 0) {
		ks_fail(err, KS_EIO, "'%s': not a report directory: %s", dir, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		ks_fail(err, KS_EINPUT, "'%s': not a report directory: not a directory", dir);
		goto out;
	}
	if (access(rp, F_OK) < 0 && access(bp, F_OK) == 0) {
		ks_fail(err, KS_EINPUT, "'%s': a bundle's report directory: give the directory of one image in it", dir);
		goto out;
	}
	enum hostfile_status hs = hostfile_read(rp, HOSTFILE_NOFOLLOW, SNAPSHOT_MAX_REPORT, &buf, &len, &e);
	if (hs != HOSTFILE_OK) {
		host_error(hs, e, rp, SNAPSHOT_MAX_REPORT, "report", err);
		goto out;
	}
	{
		struct sha256 *h = sha256_new();
		sha256_update(h, buf, len);
		sha256_final_hex(h, s->report_sha256);
		sha256_free(h);
	}
	if (memchr(buf, '\0', len)) {
		ks_fail(err, KS_EINPUT, "'%s': holds a NUL byte, not a report kenshu wrote", rp);
		goto out;
	}
	if (!(s->root = parse_json(buf, len, &why)) || validate(s->root, &why) < 0) {
		ks_fail(err, KS_EINPUT, "'%s': %.255s", rp, why.msg);
		goto out;
	}
	if (load_manifest(s, mp, err) < 0)
		goto out;
	s->dir = xstrdup(dir);
	build_clean(s);
	*out = s;
	s = NULL;
	rc = 0;
out:
	snapshot_free(s);
	free(buf);
	free(rp);
	free(mp);
	free(bp);
	return rc;
}

struct snapshot *snapshot_of_report(const struct report *r)
{
	struct snapshot *s = xcalloc(1, sizeof(*s));
	size_t alloc = 0;

	s->root = report_json_object(r);
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct rep_file *f = &r->files[i];
		add_file(s, &alloc, f->volume, f->path, f->stream, f->size, f->sha256, f->status, f->link_of,
			 f->flags & FS_F_DIRECTORY);
	}
	/* No clean set: only a baseline's results stand in for a scan. */
	qsort(s->files, s->nfiles, sizeof(*s->files), snap_file_cmp);
	return s;
}

void snapshot_update(struct snapshot *s, const struct report *r)
{
	json_object_put(s->root);
	s->root = report_json_object(r);
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].stream);
		free(s->files[i].status);
		free(s->files[i].link_of);
	}
	free(s->files);
	free(s->clean);
	json_object_put(s->root);
	free(s->dir);
	free(s);
}

/* ---- may the baseline's clean files stand in for a scan? ---- */

bool snapshot_reuse_ok(const struct snapshot *s, const struct rep_engine *now, char *why, size_t whylen)
{
	json_object *tool = snap_get(s->root, "tool"), *eng = snap_get(s->root, "engine");
	json_object *dbs = snap_get(eng, "databases"), *lim = snap_get(eng, "limits");
	const struct {
		const char *key;
		uint64_t now;
	} limits[] = {
		{ "max_filesize", now->max_filesize }, { "max_scansize", now->max_scansize },
		{ "max_recursion", now->max_recursion }, { "max_files", now->max_files },
		{ "max_scantime_ms", now->max_scantime_ms },
	};

	if (strcmp(snap_str(tool, "version"), KENSHU_VERSION) != 0 || strcmp(snap_str(tool, "commit"), kenshu_commit) != 0) {
		snprintf(why, whylen, "the baseline was scanned by kenshu %.40s (%.40s), this is %s (%s)",
		       snap_str(tool, "version"), snap_str(tool, "commit"), KENSHU_VERSION, kenshu_commit);
		return false;
	}
	if (strcmp(snap_str(eng, "version"), now->version) != 0) {
		snprintf(why, whylen, "the baseline used libclamav %.40s, this is %s", snap_str(eng, "version"),
		       now->version);
		return false;
	}
	if (snap_uint(eng, "functionality_level") != now->functionality_level) {
		snprintf(why, whylen, "the baseline used libclamav functionality level %u, this is %u",
		       snap_uint(eng, "functionality_level"), now->functionality_level);
		return false;
	}
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		json_object *v = snap_get(lim, limits[i].key);
		if (!json_object_is_type(v, json_type_int) || (uint64_t)json_object_get_int64(v) != limits[i].now) {
			snprintf(why, whylen, "the scan limit %s differs", limits[i].key);
			return false;
		}
	}
	size_t n = json_object_array_length(dbs);
	for (size_t i = 0; i < n || i < now->ndbs; i++) {
		json_object *e = i < n ? json_object_array_get_idx(dbs, i) : NULL;
		const struct rep_db *d = i < now->ndbs ? &now->dbs[i] : NULL;
		if (!e || !d || strcmp(snap_str(e, "name"), d->name) != 0) {
			snprintf(why, whylen, "the signature databases differ (%.100s)",
			       d ? d->name : snap_str(e, "name"));
			return false;
		}
		if (strcmp(snap_str(e, "sha256"), d->sha256) != 0) {
			snprintf(why, whylen, "the signature database %.100s differs", d->name);
			return false;
		}
	}
	return true;
}
