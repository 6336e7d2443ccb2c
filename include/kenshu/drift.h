/* drift: what changed between an accepted baseline and a later scan.
 *
 * A baseline is a report directory kenshu wrote earlier (report.json and
 * manifest.jsonl), read back as untrusted input: anyone could have edited
 * it, so every field is checked before use and a bad one is one error line.
 * A snapshot is one report as the comparison sees it; the scan in memory
 * becomes a snapshot through report.json's own builder, so both sides of a
 * comparison are read by the same code.
 *
 * drift_compare() lists files added, removed and changed (SHA-256 and size
 * from the manifests), autostart entries added, removed and changed,
 * Windows identity changes (build, UBR, edition...), volumes, detections
 * new and gone, and rule outcomes that changed. `kenshu diff OLD NEW`
 * prints it; `kenshu scan --baseline OLD` puts it in the report, where the
 * drift-* rules (policy.h) judge it. */
#ifndef KENSHU_DRIFT_H
#define KENSHU_DRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kenshu/hash.h>

struct report;
struct av;
struct json_object;

/* Limits on a baseline directory's files (hostile input). */
#define SNAPSHOT_MAX_REPORT ((uint64_t)512 << 20)   /* report.json bytes */
#define SNAPSHOT_MAX_MANIFEST ((uint64_t)16 << 30)  /* manifest.jsonl bytes */
#define SNAPSHOT_MAX_LINE ((size_t)1 << 20)         /* one manifest line */

struct snapshot;

/* Reads DIR/report.json and DIR/manifest.jsonl. Returns 0, or -1 with one
 * line in err naming the file and the problem ("'old/report.json': not a
 * kenshu report: no schema_version"). A bundle's directory (bundle.json)
 * is refused with the hint to give one image's directory. */
int snapshot_load(const char *dir, struct snapshot **out, char *err, size_t errlen);
/* The report in memory as a snapshot (report.json's content and the file
 * list); the report must outlive nothing: everything is copied. */
struct snapshot *snapshot_of_report(const struct report *r, const struct av *av);
/* Reads r again, all but its file list (after policy_apply: the rule
 * outcomes, verdict and profile). */
void snapshot_update(struct snapshot *s, const struct report *r, const struct av *av);
void snapshot_free(struct snapshot *s);

/* Whether a file this snapshot's scan found clean may stand in for
 * scanning the same bytes now: the same kenshu build, libclamav version
 * and functionality level, the same database files and IOC feeds (names
 * and SHA-256) and the same scan limits. Else false with the first
 * difference in why ("database daily.cld differs"). */
bool snapshot_reuse_ok(const struct snapshot *s, const struct av *av, char *why, size_t whylen);
/* True when the baseline (a snapshot_load()ed directory; never a snapshot
 * of the scan in memory, which has no clean set) scanned content of this SHA-256 (lowercase hex)
 * and size and found nothing in it: manifest status "scanned", and no
 * detection, macro document or skipped item at that file. Read-only after
 * loading: safe from every worker thread. */
bool snapshot_clean(const struct snapshot *s, const char *sha256, uint64_t size);

enum drift_change { DRIFT_ADDED = 0, DRIFT_REMOVED, DRIFT_CHANGED };
/* "added", "removed", "changed" */
const char *drift_change_name(enum drift_change c);

/* One property that differs; NULL: absent on that side. */
struct drift_field {
	char *name, *old_value, *new_value;
};

/* A file or stream (manifest line), keyed by volume, path and stream. */
struct drift_file {
	enum drift_change change;
	unsigned volume;
	char *path, *stream;
	uint64_t old_size, new_size;            /* 0 on the side it is absent */
	char old_sha256[SHA256_HEX_LEN + 1];    /* "" when absent or unread */
	char new_sha256[SHA256_HEX_LEN + 1];
	char *old_status, *new_status;          /* manifest status, NULL when absent */
	bool directory;
};

/* An autostart entry, keyed by volume, category, location, name and user. */
struct drift_autorun {
	enum drift_change change;
	unsigned volume;
	char *category, *location, *name, *user;   /* user NULL: machine-wide */
	char *command, *target, *target_sha256;    /* the entry as it is now (removed: as it was) */
	char *flags;                               /* its flags, comma-separated, "" when none */
	struct drift_field *f; size_t nf;          /* changed: command, target, target_sha256, flags... */
};

/* A Windows installation, keyed by volume and system root. */
struct drift_os {
	enum drift_change change;
	unsigned volume;
	char *system_root, *product;
	struct drift_field *f; size_t nf;          /* changed: build, ubr, edition... */
};

/* A volume, keyed by its index. */
struct drift_volume {
	enum drift_change change;
	unsigned index;
	char *filesystem, *label;
	struct drift_field *f; size_t nf;          /* changed: filesystem, size, state... */
};

/* A detection: added = new since the baseline, removed = gone. */
struct drift_detection {
	enum drift_change change;
	unsigned volume;
	char *path, *stream, *signature, *sha256;
};

/* A rule outcome, keyed by rule and evidence (volume, path, value):
 * added = reported now and not then, removed = no longer, changed = its
 * severity or waiver changed. Outcomes of the drift-* rules are not
 * compared: they are about the comparison itself. */
struct drift_finding {
	enum drift_change change;
	char *rule;
	unsigned volume;
	char *path, *value;                 /* NULL when the finding has none */
	char *old_severity, *new_severity;  /* "fail"/"review"/"info", NULL when absent */
	char *old_waiver, *new_waiver;      /* waiver name, NULL when not waived */
	char *message;                      /* the current message (removed: the old one) */
};

/* One side of the comparison. */
struct drift_side {
	char *dir;                 /* report directory; NULL: the scan in memory */
	char *image_path, *image_sha256, *started, *verdict, *profile, *tool;
	char report_sha256[SHA256_HEX_LEN + 1];    /* report.json's bytes, "" in memory */
	char manifest_sha256[SHA256_HEX_LEN + 1];  /* manifest.jsonl's bytes, "" in memory */
};

struct drift {
	struct drift_side old, new;
	struct drift_volume *vol; size_t nvol;
	struct drift_os *os; size_t nos;
	struct drift_file *files; size_t nfiles;
	struct drift_autorun *autoruns; size_t nautoruns;
	struct drift_detection *det; size_t ndet;
	struct drift_finding *findings; size_t nfindings;
	uint64_t files_unchanged;  /* manifest lines the same on both sides */

	/* scan --baseline only: files not rescanned because the baseline
	 * scanned the same bytes with the same engine (snapshot_reuse_ok). */
	bool reuse;                /* reuse was allowed */
	char *reuse_note;          /* why not, NULL when allowed */
	uint64_t files_reused, files_scanned;
};

/* Compares every section; *d is filled (drift_release). Each list is
 * sorted by its key. */
void drift_compare(const struct snapshot *old, const struct snapshot *new, struct drift *d);
/* Recompares only the rule outcomes and the new side's summary (after
 * snapshot_update). */
void drift_compare_findings(const struct snapshot *old, const struct snapshot *new, struct drift *d);
void drift_release(struct drift *d);
/* True when nothing differs (reuse counters aside). */
bool drift_empty(const struct drift *d);

/* Each list's items by change, indexed by enum drift_change: the one
 * count every writer's summary shows. */
struct drift_counts {
	size_t files[3], autoruns[3], os[3], vol[3], det[3], findings[3];
};
void drift_count(const struct drift *d, struct drift_counts *c);

/* Writers (docs/report.md). Each returns 0, or -1 with errno set. */
/* The "Changes since the baseline" section of report.txt and `kenshu diff`. */
int drift_write_text(const struct drift *d, FILE *f);
/* report.json's "drift" object; `kenshu diff --json` writes it alone. */
struct json_object *drift_json(const struct drift *d);
int drift_write_json(const struct drift *d, FILE *f);
/* The "Changes since the baseline" section of report.html. */
int drift_write_html(const struct drift *d, FILE *f);

#endif
