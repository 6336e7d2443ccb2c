/* report: the model of one image's report, drift section included.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_REPORT_H
#define KENSHU_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kenshu/core.h>
#include <kenshu/rules.h>
#include <kenshu/image.h>
#include <kenshu/trust.h>
#include <kenshu/windows.h>
#include <kenshu/evidence.h>
#include <kenshu/profile.h>

/* report: what one image scan found, and the files that record it.
 *
 * The scanner fills a struct report; the writers turn it into report.json,
 * report.txt and manifest.jsonl. Every list is sorted before writing so the
 * same image gives the same report apart from times and durations.
 */

#define REPORT_SCHEMA_VERSION "1.5"

struct sign_key;   /* sign.h */
struct drift;      /* drift.h */

/* Case metadata from --meta KEY=VALUE: which delivery, order and machine
 * the scan was for, and who ran it. Written as given, so the report can be
 * filed against the purchase order without a separate note. */
#define CASE_META_MAX 64          /* entries */
#define CASE_KEY_MAX 64           /* bytes of [A-Za-z0-9_.-] */
#define CASE_VALUE_MAX 1024       /* bytes of UTF-8, no control characters */

struct case_entry {
	char *key, *value;
};

struct case_meta {             /* sorted by key, keys unique */
	struct case_entry *v;
	size_t n;
};

/* Parses "KEY=VALUE" and adds it in key order. Returns 0, or -1 with the
 * reason in err ("--meta 'po': given twice"): a malformed or over-long key,
 * an empty, over-long or non-UTF-8 value, a control character, a duplicate
 * key, too many entries. */
int case_meta_add(struct case_meta *m, const char *arg, struct ks_err *err);
/* dst becomes a deep copy of src (NULL: empty). */
void case_meta_copy(struct case_meta *dst, const struct case_meta *src);
void case_meta_release(struct case_meta *m);

/* The scanning machine's host name (gethostname), "" when it has none.
 * Caller frees. */
char *report_host_name(void);

struct rep_volume {
	struct img_volume v;     /* copied from the image layer */
	char *label;             /* "" when unknown */
	char *fs_version;        /* "" when unknown */
	char *reader;            /* what read it (libntfs-3g, libguestfs...), NULL if not read */
	bool dirty;
	bool scanned;            /* walked and scanned */
	uint64_t files;          /* distinct files and directories with data streams */
	uint64_t streams;        /* data streams scanned (main + alternate) */
	uint64_t bytes;          /* bytes read and scanned */
	uint64_t reparse_points;
	uint64_t hardlinks;
};

struct rep_detection {
	unsigned volume;
	char *path;
	char *stream;
	char *signature;
	char sha256[SHA256_HEX_LEN + 1];
	uint64_t size;
};

struct rep_skip {
	unsigned volume;         /* 0: the item is a volume, not a file */
	char *path;
	char *stream;
	char *reason;
	uint64_t size;
};

struct rep_reparse {
	unsigned volume;
	char *path;
	uint32_t tag;
	char *target;            /* "" when unknown */
	bool directory;
};

struct rep_file {              /* one manifest line */
	unsigned volume;
	char *path;
	char *stream;
	uint64_t size;
	char sha256[SHA256_HEX_LEN + 1]; /* "" when unread */
	unsigned flags;          /* FS_F_* */
	char *link_of;           /* NULL unless a further hard-link name */
	char *status;            /* "scanned", "detected", "skipped", "link" */
	struct sig_result *sig;  /* the code signature of a PE stream (trust.h), owned;
	                            NULL when the file is not one kenshu checks */
};

/* A catalog the scan read (Windows\System32\CatRoot) and what its own
 * signature is. */
struct rep_catalog {
	unsigned volume;
	char *path;
	struct sig_result sig;   /* the catalog's signature; status ERROR when it did not parse */
	size_t members;          /* digests it lists */
};

/* What signatures were judged against: the anchors, the catalogs. */
struct rep_trust {
	char *anchors_name;      /* "builtin: Microsoft root program", or the --trust-anchors file */
	char anchors_sha256[SHA256_HEX_LEN + 1];
	size_t anchors;          /* roots in the anchor file */
	struct rep_catalog *cats; size_t ncats;
	size_t catalog_members;  /* distinct digests indexed */
	uint64_t pe_checked;     /* PE streams whose signature was judged */
	uint64_t by_status[6];   /* PE streams per enum sig_status */
};

/* One rule outcome (the policy engine's output, policy.h). */
struct rep_finding {
	const char *rule;          /* rule id, static (rule_table) */
	enum severity severity;    /* the profile's severity for it (never off) */
	char *message;             /* one sentence */
	unsigned volume;           /* 0: not about one volume */
	char *path;                /* the file, target or hive it is about, or NULL */
	char *stream;              /* the alternate data stream of path it is about ("payload"
	                              of readme.txt:payload), or NULL for the file's main data */
	char *value;               /* registry value, command, signature, indicator, or NULL */
	char *version;             /* file or database version, or NULL */
	char *sha256;              /* of the file, or NULL */
	char *waiver;              /* name of the waiver that lifted it, or NULL */
};

/* One signature database file, or one IOC feed compiled into the engine,
 * as the evidence record names it. */
struct rep_db {
	char *name;          /* file name within the directory; an IOC feed: its path */
	bool official;       /* .cvd/.cld signed by Cisco-Talos */
	bool ioc_feed;       /* an [ioc] feed that kenshu compiled into signatures */
	unsigned version;    /* CVD header version, 0 for plain signature files */
	unsigned sigs;       /* signatures in the file; an IOC feed: its indicators */
	char build_time[32]; /* CVD build time, ISO 8601 UTC, "" if none */
	char *builder;       /* CVD builder, "" if none */
	uint64_t size;
	char sha256[SHA256_HEX_LEN + 1];
};

/* The engine that scanned: what the report proves it was checked against.
 * The scan copies it from the live engine (scan_engine_facts, scan.h); the
 * policy and every writer read it from here, never from the engine. */
struct rep_engine {
	char *version;                 /* libclamav's */
	unsigned functionality_level;
	char *dbdir;                   /* the database directory (-d) */
	unsigned signatures;           /* loaded, IOC feeds included */
	struct rep_db *dbs; size_t ndbs; /* dbdir's files sorted by name, then the IOC feeds */
	uint64_t max_filesize, max_scansize;
	uint32_t max_recursion, max_files, max_scantime_ms;
};

/* Copies *src into *dst (NULL src: empty); release with rep_engine_release. */
void rep_engine_copy(struct rep_engine *dst, const struct rep_engine *src);
void rep_engine_release(struct rep_engine *e);

/* A waiver of the profile and what became of it in this scan. */
struct rep_waiver {
	struct profile_waiver w;   /* a copy (profile_waiver_copy) */
	const char *status;        /* "applied", "unused", "expired" */
	unsigned applied;          /* findings it lifted */
};

/* YARA, the second engine (av.h): the rule sets it scanned with and what
 * matched (report.json "yara"). Filled by the scan, judged as yara-match. */
struct rep_yara_set {
	char *path;                /* the profile's rules = entry */
	char sha256[SHA256_HEX_LEN + 1]; /* of its files' bytes, in order */
	size_t files;              /* rule files compiled */
	unsigned rules;
	uint64_t streams;          /* streams it scanned */
	uint64_t timeouts;         /* streams it did not finish in time */
	double seconds;            /* spent scanning, every worker summed */
	bool too_slow;             /* seconds per stream above YARA_SLOW_SET_SECONDS, or a timeout */
};
struct rep_yara_match {
	unsigned volume;
	char *path, *stream;
	char sha256[SHA256_HEX_LEN + 1];
	uint64_t size;
	char *rule;
	char *set;                 /* the rule set's path */
	char *tags;                /* space-separated, "" when none */
	char *author, *reference, *date; /* the rule's meta, NULL when absent */
	char *text;                /* the rule's source (for the STIX export), NULL when unknown */
	bool meta_fail;            /* meta severity = "fail" */
};
struct rep_yara {
	bool enabled;              /* the profile named [yara] rules */
	char *version;             /* libyara's */
	uint64_t max_file_size;
	unsigned timeout;          /* seconds per stream and set */
	double slow_seconds;       /* the too_slow threshold per stream */
	struct rep_yara_set *sets; size_t nsets;
	struct rep_yara_match *m; size_t nm;
	uint64_t over_limit;       /* streams larger than max_file_size (not scanned with YARA) */
};

struct report {
	char *image_path;
	char *image_format;
	char *image_reader;
	char *scheme;
	char *disk_guid;
	bool gpt_backup_used;
	uint64_t image_size;       /* the image file (for a container: the container) */
	uint64_t disk_size;        /* the disk in it (a container's virtual size) */
	char sha256_before[SHA256_HEX_LEN + 1];
	char sha256_after[SHA256_HEX_LEN + 1];
	char started[32], finished[32]; /* ISO 8601 UTC */
	char *host;                /* the scanning machine (report_host_name) */
	struct case_meta meta;     /* --meta */
	double seconds_total, seconds_hash, seconds_scan;
	unsigned threads;
	struct rep_engine engine;  /* the engine and databases it was scanned with */

	struct rep_volume *vol; size_t nvol;
	struct img_gap *gaps; size_t ngaps;
	char *cross_check_note;   /* --cross-check: what only libguestfs found, or why it could not run */   /* space outside every partition, > 1 MiB */
	struct rep_detection *det; size_t ndet;
	/* Office documents with VBA or Excel 4.0 macros (ClamAV's OLE2/OOXML
	 * parsing, not the extension): signature = ClamAV's heuristic name. */
	struct rep_detection *macros; size_t nmacros;
	struct rep_skip *skip; size_t nskip;
	struct rep_reparse *rp; size_t nrp;
	struct rep_file *files; size_t nfiles;
	struct rep_trust trust;   /* signature verification's facts */
	struct os_info *os; size_t nos;   /* one per Windows install found */
	struct os_evidence *evidence;     /* nos of them: evidence[i] is what os[i] recorded */

	/* The profile that judged the image (policy_apply). */
	char *profile_name, *profile_source;
	char profile_sha256[SHA256_HEX_LEN + 1], profile_effective_sha256[SHA256_HEX_LEN + 1];
	struct profile_file *profile_files; size_t nprofile_files; /* every file read, copied */
	char scan_date[11];        /* YYYY-MM-DD the rules judged by (expiry, EOL, signature age) */
	struct rep_finding *findings; size_t nfindings;  /* decisive first, see policy.h */
	struct rep_waiver *waivers; size_t nwaivers;

	/* scan --baseline: what changed since that report (drift.h), owned;
	 * NULL without a baseline. */
	struct drift *drift;

	enum verdict verdict;
	char *verdict_reason;
	bool all_autoruns;   /* report.txt lists Windows' own entries too */
	struct rep_yara yara;      /* YARA's rule sets and matches (enabled false: none) */
	unsigned exports;    /* REPORT_EXPORT_*: extra files report_save() writes (--export) */
};

/* --export: sharing formats written beside report.json (docs/report.md). */
#define REPORT_EXPORT_CSV  0x1u   /* findings.csv */
#define REPORT_EXPORT_STIX 0x2u   /* stix.json */

/* Parses an --export value ("csv", "stix"); returns its REPORT_EXPORT_*
 * bit, or 0 when unknown. */
unsigned report_export_parse(const char *name);

void report_init(struct report *r);
void report_release(struct report *r);
void rep_trust_release(struct rep_trust *t);
/* The manifest line of (vol, path, stream) in a finished (sorted) report,
 * or NULL. */
const struct rep_file *report_find_file(const struct report *r, unsigned vol, const char *path,
					const char *stream);

/* Appenders take ownership of nothing: strings are copied. */
void report_add_detection(struct report *r, unsigned vol, const char *path, const char *stream,
			  const char *sig, const char *sha256, uint64_t size);
void report_add_macro(struct report *r, unsigned vol, const char *path, const char *stream,
		      const char *heuristic, const char *sha256, uint64_t size);
void report_add_skip(struct report *r, unsigned vol, const char *path, const char *stream,
		     const char *reason, uint64_t size);
void report_add_reparse(struct report *r, unsigned vol, const char *path, uint32_t tag,
			const char *target, bool dir);
void report_add_file(struct report *r, unsigned vol, const char *path, const char *stream,
		     uint64_t size, const char *sha256, unsigned flags, const char *link_of,
		     const char *status);

/* Takes over *os (the caller's copy is zeroed). */
void report_add_os(struct report *r, struct os_info *os);

/* Sorts every list. The verdict comes from policy_apply(). */
void report_finish(struct report *r);

/* Human name of a reparse tag ("junction", "symbolic link"...), static. */
const char *reparse_tag_name(uint32_t tag);

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

void drift_release(struct drift *d);
/* Parts of drift_release, for a comparison that redoes one section. */
void drift_release_findings(struct drift *d);
void drift_side_release(struct drift_side *s);
/* True when nothing differs (reuse counters aside). */
bool drift_empty(const struct drift *d);

/* Each list's items by change, indexed by enum drift_change: the one
 * count every writer's summary shows. */
struct drift_counts {
	size_t files[3], autoruns[3], os[3], vol[3], det[3], findings[3];
};
void drift_count(const struct drift *d, struct drift_counts *c);

/* Fields report.json writes that another stage spells the same way (the
 * drift snapshot of the scan in memory must read exactly what it would
 * read back from report.json). */

/* An installation's "version": "major.minor" into buf (REPORT_OS_VERSION_MAX
 * bytes are always enough) and returns buf, or NULL when the registry gave
 * none (major 0). */
#define REPORT_OS_VERSION_MAX 24
const char *report_os_version(const struct os_info *os, char *buf, size_t len);


/* YARA (struct rep_yara above). */
void rep_yara_release(struct rep_yara *y);
/* Copies every string of m into a new match of r->yara. */
void report_add_yara_match(struct report *r, const struct rep_yara_match *m);

#endif
