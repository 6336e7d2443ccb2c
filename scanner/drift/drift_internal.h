/* What the files of scanner/drift/ share: the snapshot model. A snapshot
 * is plain text and numbers, filled by one of two builders (the loader of
 * a report directory, snapshot_load.c, and the scan in memory,
 * snapshot_live.c) and read by drift.c and the reuse check. Both builders
 * spell every property as report.json has it, so the comparison never
 * knows which kind of side it reads. Internal to the stage. */
#ifndef KENSHU_DRIFT_INTERNAL_H
#define KENSHU_DRIFT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The lists drift_compare() compares item by item. */
enum snap_list { SNAP_VOLUMES, SNAP_OS, SNAP_AUTORUNS, SNAP_DETECTIONS, SNAP_FINDINGS, SNAP_NLISTS };

/* Each list's properties: the index of each in snap_item.v and in the
 * list's field table (snap_lists[], snapshot.c), in that table's order.
 * A new compared property is one constant here, one row there (plus its
 * shape in the loader's validation and one line in the live builder). */
enum {
	SNAP_VOL_PARTITION_TYPE, SNAP_VOL_FILESYSTEM, SNAP_VOL_LABEL, SNAP_VOL_SIZE, SNAP_VOL_STATE,
	SNAP_VOL_SCANNED, SNAP_VOL_N
};
enum {
	SNAP_OS_SYSTEM_ROOT, SNAP_OS_PRODUCT_NAME, SNAP_OS_EDITION, SNAP_OS_CURRENT_VERSION, SNAP_OS_VERSION,
	SNAP_OS_BUILD, SNAP_OS_UBR, SNAP_OS_SERVICE_PACK, SNAP_OS_ARCHITECTURE, SNAP_OS_HOSTNAME, SNAP_OS_USERS,
	SNAP_OS_ACCOUNTS, SNAP_OS_N
};
enum {
	SNAP_AR_CATEGORY, SNAP_AR_LOCATION, SNAP_AR_NAME, SNAP_AR_USER, SNAP_AR_COMMAND, SNAP_AR_TARGET,
	SNAP_AR_TARGET_SHA256, SNAP_AR_FLAGS, SNAP_AR_N
};
enum { SNAP_DET_PATH, SNAP_DET_STREAM, SNAP_DET_SIGNATURE, SNAP_DET_SHA256, SNAP_DET_N };
enum {
	SNAP_FND_RULE, SNAP_FND_PATH, SNAP_FND_VALUE, SNAP_FND_SEVERITY, SNAP_FND_WAIVER, SNAP_FND_MESSAGE,
	SNAP_FND_N
};
#define SNAP_MAX_FIELDS 12

/* One item of a list: its volume and its properties as report.json's
 * text: strings as they are, numbers in decimal, booleans "true" or
 * "false", a list of strings joined by snap_join(); NULL when absent
 * (null or left out). Owned by the snapshot. */
struct snap_item {
	unsigned volume;               /* volumes: the index; findings: evidence.volume, 0 when none */
	char *v[SNAP_MAX_FIELDS];
};

struct snap_items {
	struct snap_item *v;           /* report.json's order */
	size_t n, alloc;
};

#define SNAP_COMPARED 0x1u   /* differing is drift (else a key, or only shown) */
#define SNAP_DERIVED  0x2u   /* no one key of report.json: each builder computes it */

struct snap_field {
	/* Where the loader reads it in an item ("evidence.path": the key of
	 * an object in the item), and the name of a struct drift_field. */
	const char *key;
	unsigned flags;              /* SNAP_* */
};

struct snap_list_def {
	const char *key;             /* report.json's array */
	const char *volume_key;      /* where an item's volume number is */
	const struct snap_field *fields;
	size_t nfields;
};

extern const struct snap_list_def snap_lists[SNAP_NLISTS];

/* Who scanned what, as drift_side shows it; the tool also for reuse. */
struct snap_side {
	char *image_path, *image_sha256, *started, *verdict, *profile;
	char *tool_version, *tool_commit;
};

/* The engine facts snapshot_reuse_ok() compares, in its order. */
enum { SNAP_LIM_MAX_FILESIZE, SNAP_LIM_MAX_SCANSIZE, SNAP_LIM_MAX_RECURSION, SNAP_LIM_MAX_FILES,
       SNAP_LIM_MAX_SCANTIME_MS, SNAP_NLIMITS };
extern const char *const snap_limit_names[SNAP_NLIMITS];   /* report.json's keys in engine.limits */

struct snap_db {
	char *name, *sha256;
};

struct snap_engine {
	char *version;                    /* libclamav's */
	unsigned functionality_level;     /* 0 when absent or out of range */
	uint64_t limit[SNAP_NLIMITS];
	bool has_limit[SNAP_NLIMITS];     /* false: absent or not an integer */
	struct snap_db *dbs;
	size_t ndbs;
};

struct clean_key;

struct snapshot {
	char *dir;                 /* NULL: the scan in memory */
	struct snap_side side;
	struct snap_engine engine;
	struct snap_items lists[SNAP_NLISTS];
	struct snap_file *files;   /* sorted by volume, path, stream; keys unique */
	size_t nfiles;
	struct clean_key *clean;   /* scanned-clean contents, sorted (snapshot_load.c) */
	size_t nclean;
	char report_sha256[SHA256_HEX_LEN + 1], manifest_sha256[SHA256_HEX_LEN + 1];
};

/* A new item at the end of s's list (zeroed: every property absent). */
struct snap_item *snap_item_add(struct snapshot *s, enum snap_list l);
/* Frees everything but the file list and the clean set (snapshot_update
 * builds it again). */
void snap_release_report(struct snapshot *s);
/* Appends one manifest line (strings copied). */
void snap_add_file(struct snapshot *s, size_t *alloc, unsigned vol, const char *path, const char *stream,
		   uint64_t size, const char *sha, const char *status, const char *link_of, bool dir);

/* The strings joined with ", " (NULL as ""). Caller frees. */
char *snap_join(const char *const *v, size_t n);
/* An installation's users as compared: the names sorted, joined. Sorts v.
 * Caller frees. */
char *snap_users(const char **v, size_t n);
/* One local account as the drift shows it: "NAME (RID N, enabled, admin,
 * rdp, password set)"; enabled -1 when unknown. Caller frees. */
char *snap_account(const char *name, uint64_t rid, int enabled, bool admin, bool rdp, const char *password);
/* The accounts joined in RID order (v[i] owned, freed here); NULL when n
 * is 0: an image without a SAM and a baseline from before accounts agree. */
char *snap_accounts(char **v, const uint64_t *rids, size_t n);
/* Orders struct snap_file by volume, path, stream (the manifest's key). */
int snap_file_cmp(const void *a, const void *b);

#endif
