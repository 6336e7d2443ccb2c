/* What snapshot.c and drift.c share: a snapshot's layout and typed access
 * to its report.json tree. Internal to scanner/. */
#ifndef KENSHU_DRIFT_INTERNAL_H
#define KENSHU_DRIFT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include <kenshu/drift.h>

struct snap_file {              /* one manifest line */
	unsigned volume;
	char *path, *stream;
	uint64_t size;
	char sha256[SHA256_HEX_LEN + 1];   /* "" when unread */
	char *status;
	char *link_of;                     /* NULL unless a further hard-link name */
	bool directory;
};

struct clean_key;

struct snapshot {
	char *dir;                 /* NULL: the scan in memory */
	json_object *root;         /* report.json, shapes checked (snapshot.c) */
	struct snap_file *files;   /* sorted by volume, path, stream; keys unique */
	size_t nfiles;
	struct clean_key *clean;   /* scanned-clean contents, sorted */
	size_t nclean;
	char report_sha256[SHA256_HEX_LEN + 1], manifest_sha256[SHA256_HEX_LEN + 1];
};

/* Typed access that is NULL/0 for a missing or differently typed value. */
json_object *snap_get(json_object *o, const char *k);
const char *snap_str(json_object *o, const char *k);
unsigned snap_uint(json_object *o, const char *k);
/* A scalar (or a list of strings, comma-separated) as text; NULL when
 * absent or null. Caller frees. */
char *snap_text(json_object *o, const char *k);
/* The strings joined with ", " (NULL as ""). Caller frees. */
char *snap_join(const char *const *v, size_t n);
/* A top-level list of the report ("autoruns"...). */
json_object *snap_array(const struct snapshot *s, const char *k);
bool snap_sha256_ok(const char *s);
/* Orders struct snap_file by volume, path, stream (the manifest's key). */
int snap_file_cmp(const void *a, const void *b);

#endif
