/* A baseline: a report directory read back as untrusted input. Every
 * property drift.c and the reuse check read is type-checked here in the
 * json-c tree, then copied into the snapshot model (drift_internal.h) and
 * the tree is freed: nothing after loading meets a malformed value or
 * json-c at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include <kenshu/drift.h>
#include <kenshu/core.h>
#include <kenshu/report.h>
#include "drift_internal.h"
#include <kenshu/banned.h>

struct clean_key {
	unsigned char sha[32];
	uint64_t size;
};

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

static bool snap_sha256_ok(const char *s)
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

static json_object *snap_get(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static const char *snap_str(json_object *o, const char *k)
{
	json_object *v = snap_get(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static unsigned snap_uint(json_object *o, const char *k)
{
	json_object *v = snap_get(o, k);

	if (!v || !json_object_is_type(v, json_type_int))
		return 0;
	int64_t n = json_object_get_int64(v);
	return n < 0 || n > UINT32_MAX ? 0 : (unsigned)n;
}

/* The value at path in o: a key, or "a.b" for key b of the object at a. */
static json_object *at(json_object *o, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[32];

	if (!dot)
		return snap_get(o, path);
	snprintf(head, sizeof(head), "%.*s", (int)(dot - path), path);
	return snap_get(snap_get(o, head), dot + 1);
}

/* A non-negative integer exactly (json-c's int64 reading stops at
 * INT64_MAX); a negative one as C converts it. */
static uint64_t int_u64(json_object *v)
{
	int64_t n = json_object_get_int64(v);

	return n < 0 ? (uint64_t)n : json_object_get_uint64(v);
}

/* A scalar as the model's text (drift_internal.h); NULL when absent or
 * null. Caller frees. */
static char *text_of(json_object *v)
{
	if (!v)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
		return xstrdup(json_object_get_string(v));
	case json_type_int:
		if (json_object_get_int64(v) < 0)
			return xasprintf("%lld", (long long)json_object_get_int64(v));
		return xasprintf("%llu", (unsigned long long)int_u64(v));
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

static bool json_is_array(json_object *o)
{
	return json_object_is_type(o, json_type_array);
}

/* os[].accounts (schema 1.4): absent in older reports; when there, every
 * element's name, rid, enabled, admin, rdp and password as written. */
static const struct shape account_shape[] = {
	{ "rid", json_type_int, false }, { "name", json_type_string, false },
	{ "enabled", json_type_boolean, true }, { "admin", json_type_boolean, false },
	{ "rdp", json_type_boolean, false }, { "password", json_type_string, false }, { NULL, 0, false },
};

static int check_accounts(json_object *os, struct ks_err *why)
{
	char what[48];

	for (size_t i = 0; i < json_object_array_length(os); i++) {
		json_object *o = json_object_array_get_idx(os, i), *a;
		if (!json_object_object_get_ex(o, "accounts", &a))
			continue;
		snprintf(what, sizeof(what), "os[%zu].accounts", i);
		if (!json_is_array(a)) {
			ks_fail(why, KS_EINPUT, "%s is not an array", what);
			return -1;
		}
		if (check_elements(a, what, account_shape, why) < 0)
			return -1;
		for (size_t k = 0; k < json_object_array_length(a); k++)
			if (json_object_get_int64(snap_get(json_object_array_get_idx(a, k), "rid")) > UINT32_MAX) {
				ks_fail(why, KS_EINPUT, "%s[%zu].rid is out of range", what, k);
				return -1;
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
	if (check_accounts(snap_get(root, "os"), why) < 0)
		return -1;
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
	snap_add_file(s, alloc, (unsigned)json_object_get_int64(vol), path, stream, int_u64(size),
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
	/* An empty manifest leaves s->files NULL, which qsort may not get. */
	if (s->nfiles > 1)
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

static void build_clean(struct snapshot *s, json_object *root)
{
	json_object *det = snap_get(root, "detections"), *mac = snap_get(root, "macro_documents"),
		    *skip = snap_get(root, "skipped");
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

/* ---- the model from the checked tree ---- */

static char *str_copy(json_object *o, const char *k)
{
	const char *v = snap_str(o, k);

	return xstrdup(v ? v : "");
}

static void fill_side(struct snapshot *s, json_object *root)
{
	struct snap_side *t = &s->side;
	json_object *tool = snap_get(root, "tool"), *img = snap_get(root, "image");

	t->image_path = str_copy(img, "path");
	t->image_sha256 = str_copy(img, "sha256_before");
	t->started = str_copy(snap_get(root, "scan"), "started");
	t->verdict = str_copy(root, "verdict");
	t->profile = str_copy(snap_get(root, "profile"), "name");
	t->tool_version = str_copy(tool, "version");
	t->tool_commit = str_copy(tool, "commit");
}

static void fill_engine(struct snapshot *s, json_object *root)
{
	struct snap_engine *e = &s->engine;
	json_object *eng = snap_get(root, "engine");
	json_object *dbs = snap_get(eng, "databases"), *lim = snap_get(eng, "limits");

	e->version = str_copy(eng, "version");
	e->functionality_level = snap_uint(eng, "functionality_level");
	for (size_t i = 0; i < SNAP_NLIMITS; i++) {
		json_object *v = snap_get(lim, snap_limit_names[i]);
		/* An absent or malformed limit differs from every one. */
		e->has_limit[i] = json_object_is_type(v, json_type_int);
		e->limit[i] = e->has_limit[i] ? int_u64(v) : 0;
	}
	e->ndbs = json_object_array_length(dbs);
	e->dbs = xcalloc(e->ndbs ? e->ndbs : 1, sizeof(*e->dbs));
	for (size_t i = 0; i < e->ndbs; i++) {
		json_object *d = json_object_array_get_idx(dbs, i);
		e->dbs[i].name = str_copy(d, "name");
		e->dbs[i].sha256 = str_copy(d, "sha256");
	}
}

/* The fields no one key holds (SNAP_DERIVED). */
static void fill_derived(enum snap_list l, json_object *o, struct snap_item *it)
{
	if (l == SNAP_OS) {
		json_object *p = snap_get(o, "profiles");
		size_t n = json_object_array_length(p);
		const char **v = xcalloc(n ? n : 1, sizeof(*v));
		for (size_t i = 0; i < n; i++) {
			const char *u = snap_str(json_object_array_get_idx(p, i), "user");
			v[i] = u ? u : "";
		}
		it->v[SNAP_OS_USERS] = snap_users(v, n);
		free(v);
		/* validate() checked every element's shape */
		json_object *a = snap_get(o, "accounts");
		n = json_is_array(a) ? json_object_array_length(a) : 0;
		char **acc = xcalloc(n ? n : 1, sizeof(*acc));
		uint64_t *rids = xcalloc(n ? n : 1, sizeof(*rids));
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(a, i), *en = snap_get(e, "enabled");
			rids[i] = int_u64(snap_get(e, "rid"));
			acc[i] = snap_account(snap_str(e, "name"), rids[i], en ? json_object_get_boolean(en) : -1,
					      json_object_get_boolean(snap_get(e, "admin")),
					      json_object_get_boolean(snap_get(e, "rdp")), snap_str(e, "password"));
		}
		it->v[SNAP_OS_ACCOUNTS] = snap_accounts(acc, rids, n);
		free(acc);
		free(rids);
	}
}

static void fill_lists(struct snapshot *s, json_object *root)
{
	for (int l = 0; l < SNAP_NLISTS; l++) {
		const struct snap_list_def *def = &snap_lists[l];
		json_object *a = snap_get(root, def->key);
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *o = json_object_array_get_idx(a, i), *vol = at(o, def->volume_key);
			struct snap_item *it = snap_item_add(s, (enum snap_list)l);
			/* validate() bounded it to 32 bits (findings: absent is 0). */
			it->volume = json_object_is_type(vol, json_type_int) ? (unsigned)json_object_get_int64(vol) : 0;
			for (size_t k = 0; k < def->nfields; k++)
				if (!(def->fields[k].flags & SNAP_DERIVED))
					it->v[k] = text_of(at(o, def->fields[k].key));
			fill_derived((enum snap_list)l, o, it);
		}
	}
}

/* ---- public ---- */

int snapshot_load(const char *dir, struct snapshot **out, struct ks_err *err)
{
	struct snapshot *s = xcalloc(1, sizeof(*s));
	char *rp = xasprintf("%s/report.json", dir), *mp = xasprintf("%s/manifest.jsonl", dir);
	char *bp = xasprintf("%s/bundle.json", dir), *buf = NULL;
	json_object *root = NULL;
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
	if (!(root = parse_json(buf, len, &why)) || validate(root, &why) < 0) {
		ks_fail(err, KS_EINPUT, "'%s': %.255s", rp, why.msg);
		goto out;
	}
	if (load_manifest(s, mp, err) < 0)
		goto out;
	s->dir = xstrdup(dir);
	fill_side(s, root);
	fill_engine(s, root);
	fill_lists(s, root);
	build_clean(s, root);
	*out = s;
	s = NULL;
	rc = 0;
out:
	/* The model holds copies: nothing keeps the tree. */
	json_object_put(root);
	snapshot_free(s);
	free(buf);
	free(rp);
	free(mp);
	free(bp);
	return rc;
}
