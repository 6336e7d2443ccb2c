/* report: what one image scan found, and the files that record it.
 *
 * The scanner fills a struct report; the writers turn it into report.json,
 * report.txt and manifest.jsonl. Every list is sorted before writing so the
 * same image gives the same report apart from times and durations.
 */
#ifndef KENSHU_REPORT_H
#define KENSHU_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kenshu/av.h>
#include <kenshu/hash.h>
#include <kenshu/image.h>
#include <kenshu/os.h>
#include <kenshu/profile.h>
#include <kenshu/rules.h>
#include <kenshu/verdict.h>

#define REPORT_SCHEMA_VERSION "1.1"

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
int case_meta_add(struct case_meta *m, const char *arg, char *err, size_t errlen);
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
};

/* One rule outcome (the policy engine's output, policy.h). */
struct rep_finding {
	const char *rule;          /* rule id, static (rule_table) */
	enum severity severity;    /* the profile's severity for it (never off) */
	char *message;             /* one sentence */
	unsigned volume;           /* 0: not about one volume */
	char *path;                /* the file, target or hive it is about, or NULL */
	char *value;               /* registry value, command, signature, indicator, or NULL */
	char *version;             /* file or database version, or NULL */
	char *sha256;              /* of the file, or NULL */
	char *waiver;              /* name of the waiver that lifted it, or NULL */
};

/* A waiver of the profile and what became of it in this scan. */
struct rep_waiver {
	struct profile_waiver w;   /* a copy (profile_waiver_copy) */
	const char *status;        /* "applied", "unused", "expired" */
	unsigned applied;          /* findings it lifted */
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
	struct os_info *os; size_t nos;   /* one per Windows install found */

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

/* Writers. Each returns 0, or -1 with errno set; the caller names the file. */
int report_write_json(const struct report *r, const struct av *av, FILE *f);
int report_write_text(const struct report *r, const struct av *av, FILE *f);
/* report.html: one self-contained page (inline CSS, no script, no URL)
 * for people and for printing to PDF; docs/report.md. */
int report_write_html(const struct report *r, const struct av *av, FILE *f);
int report_write_manifest(const struct report *r, FILE *f);
/* findings.csv: one RFC 4180 row per finding (CRLF, UTF-8, no BOM), a
 * header row first. A cell beginning with = + - @ TAB or CR gets a
 * leading apostrophe so that a spreadsheet shows it as text instead of
 * running it as a formula (names on the image are hostile). */
int report_write_csv(const struct report *r, FILE *f);
/* stix.json: a STIX 2.1 bundle of the scan (identity, observed-data, file
 * SCOs, indicators for hash detections). Every id is a UUIDv5 of the
 * object's content, so the same report gives the same bundle. */
int report_write_stix(const struct report *r, FILE *f);
/* A UUIDv5 (RFC 9562: SHA-1 of namespace and name) as 36 lowercase
 * characters and a NUL into out. */
void report_uuid5(const unsigned char ns[16], const char *name, size_t len, char out[37]);
/* The "Case:" lines of a text report (nothing when m is empty). */
void report_write_case(const struct case_meta *m, FILE *f);

/* Writes the n bytes at s as HTML text, safe in element content and in
 * quoted attribute values alike: & < > " ' become references, control
 * characters their visible Control Pictures (U+2400 + c, U+2421), and
 * invalid UTF-8, C1 controls, noncharacters and bidirectional formatting
 * characters U+FFFD, so the page stays valid UTF-8 and a name shows as it
 * is. The one escaper of report.html: everything from the image goes
 * through it. */
void report_html_escape(FILE *f, const char *s, size_t n);

/* mkdir -p: the directory and its parents, mode 0755; 0 or -1 with errno. */
int report_mkdir_p(const char *dir);
/* Writes tmp with write(ctx, f), flushed and fsynced; on failure says
 * "'DIR/NAME': cannot write: ..." and returns -1. The caller renames. */
int report_write_synced(const char *tmp, const char *dir, const char *name,
			int (*write)(void *ctx, FILE *f), void *ctx);

/* One file of a report directory and how to write it. */
struct report_output {
	const char *name;
	int (*write)(void *ctx, FILE *f);
	void *ctx;
};

/* Writes every output into dir so that the directory is whole or absent:
 * each under a temporary name, fsynced, then renamed in the given order
 * (the last one marks the directory complete). With a key, report.sig
 * (sign.h, of this kind: "report" or "bundle") covers the bytes that were
 * written, read back from the temporary files, and is renamed just before
 * the last output; without one a stale report.sig is removed, since it
 * cannot cover the new files. Returns 0, or -1 after printing one error
 * line. */
int report_save_outputs(const char *dir, const struct report_output *out, size_t n,
			const struct sign_key *key, const char *kind);

/* Writes report.json, report.txt, report.html and manifest.jsonl, and the
 * exports r->exports asks for (findings.csv, stix.json), into dir with
 * report_save_outputs(), signed when key is not NULL. Returns 0, or -1
 * after printing one error line. */
int report_save(const struct report *r, const struct av *av, const struct sign_key *key,
		const char *dir);

#endif
