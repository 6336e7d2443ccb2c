/* av: the libclamav engine, the IOC feeds compiled into it, and YARA.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_AV_H
#define KENSHU_AV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/core.h>

/* ioc: indicator-of-compromise feeds (the profile's [ioc] hash_list and
 * string_list files) compiled into ClamAV signatures, so that av_open()
 * loads them into the one engine and they match in the same pass over the
 * data as the malware databases — inside archives and documents too.
 *
 * A hash list holds one MD5, SHA-1 or SHA-256 per line, optionally with a
 * "md5:"/"sha1:"/"sha256:" prefix, followed by whitespace, ',', ';' or a
 * tab and a name or comment. A string list holds one domain, URL, IPv4 or
 * IPv6 address, or other string per line, in its plain or defanged form
 * (hxxp://, example[.]com, 1.2.3[.]4), optionally followed the same way by
 * a name; a string with spaces or commas is written as a CSV quoted field.
 * Both accept '#', ';' and '//' comment lines, blank lines, CRLF, a UTF-8
 * BOM, and UTF-16LE text with its BOM (what Windows tools save).
 *
 * What matches:
 *  - a hash: the whole content of a file or of anything inside it;
 *  - a string: its bytes in ASCII/UTF-8 and in UTF-16LE, as the feed wrote
 *    it, in lower case and in upper case; in text files (which ClamAV
 *    lower-cases before matching) in any case. Domains, URLs and addresses
 *    must stand on their own: "evil.com" matches "sub.evil.com" and
 *    "evil.com/x" but not "notevil.com", "1.2.3.4" not "1.2.3.45".
 * Case-insensitive subsignatures (.ldb "::i") would cover mixed case in
 * binaries too, but ClamAV evaluates every logical signature for every file
 * it scans: 20,000 of them cost 15 ms a file, against nothing measurable
 * for the same indicators as body signatures.
 */

struct ioc;

/* Shorter strings would match almost any file. */
#define IOC_MIN_STRING 4
/* Longer ones would not fit ClamAV's 8 KiB database lines in UTF-16LE hex. */
#define IOC_MAX_STRING 1024
#define IOC_MAX_LINE 4096
#define IOC_MAX_FEED_BYTES (256u << 20)
/* Each string becomes up to 8 ClamAV patterns of the one engine. */
#define IOC_MAX_ENTRIES 1000000u
/* Database files ioc_write_databases() may write. */
#define IOC_DB_FILES 2

struct ioc_entry {
	const char *feed;      /* the feed file's path, as given to ioc_load() */
	unsigned line;         /* 1-based line of its first occurrence */
	const char *kind;      /* "sha256", "sha1", "md5", "domain", "url", "ip", "string" */
	const char *indicator; /* hashes: lower-case hex; strings: re-fanged text,
				* domains and URL schemes/hosts in lower case */
	const char *name;      /* the name or comment after it, NULL when none */
	const char *signame;   /* "Kenshu.IOC.<n>"; ClamAV appends ".UNOFFICIAL" */
	bool hash;             /* from a hash list (rule ioc-hash), else a string list (ioc-string) */
};

struct ioc_feed {
	const char *path;      /* as given to ioc_load() */
	bool hash;             /* a hash list, else a string list */
	unsigned entries;      /* indicators kept from it: repeats of earlier ones are not */
	uint64_t size;
	char sha256[SHA256_HEX_LEN + 1]; /* of the bytes that were parsed */
};

/* Reads and checks every feed. Returns 0 and *out (free with ioc_free()),
 * or -1 with err set to one line: "FILE:LINE: message" for a malformed
 * line, "FILE: cannot read: reason" when the file cannot be read. An
 * indicator repeated in the same or another feed is kept once, with its
 * first feed and line. Feeds with no indicators are valid. */
int ioc_load(const char *const *hash_lists, size_t nhash,
	     const char *const *string_lists, size_t nstring,
	     struct ioc **out, struct ks_err *err);
void ioc_free(struct ioc *ioc);

size_t ioc_entry_count(const struct ioc *ioc);
const struct ioc_entry *ioc_entry(const struct ioc *ioc, size_t i);   /* borrowed */
size_t ioc_feed_count(const struct ioc *ioc);
const struct ioc_feed *ioc_feed(const struct ioc *ioc, size_t i);     /* borrowed */

/* The entry behind a ClamAV signature name ("Kenshu.IOC.12" or
 * "Kenshu.IOC.12.UNOFFICIAL"); NULL when the name is not one of ours.
 * Borrowed, valid until ioc_free(). */
const struct ioc_entry *ioc_lookup(const struct ioc *ioc, const char *signame);

/* Writes the ClamAV databases into dir, a private directory that exists:
 * "kenshu-ioc.hsb" (hashes) and "kenshu-ioc.ndb" (strings), each only
 * when it has signatures. paths[0..*n) get the files written (caller
 * frees each). Returns 0, or -1 with err set (any file already written
 * stays for the caller to remove with dir). */
int ioc_write_databases(const struct ioc *ioc, const char *dir,
			char *paths[IOC_DB_FILES], size_t *n, struct ks_err *err);

/* av: the one libclamav engine of a run — loaded and compiled once, then
 * shared read-only by every worker thread (clamd's MULTISCAN pattern). */

struct av;
struct ioc;

/* ClamAV cannot map more than this; larger streams are reported as skipped. */
#define AV_MAX_STREAM ((uint64_t)INT32_MAX)

struct av_limits {
	uint64_t max_filesize;   /* bytes of one file or archive member */
	uint64_t max_scansize;   /* bytes scanned inside one file, archives included */
	uint32_t max_recursion;  /* archive nesting */
	uint32_t max_files;      /* members scanned inside one archive */
	uint32_t max_scantime_ms;
};

/* One database file found in the directory, or one IOC feed, for the
 * evidence record. */
struct av_db {
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

enum av_match_kind {
	AV_DETECTION = 0,  /* a signature matched */
	AV_LIMIT,          /* a scan limit was hit: part of the content was not scanned */
	AV_ENCRYPTED,      /* encrypted archive or document: content not scanned */
	AV_MACROS,         /* an Office document with VBA or Excel 4.0 macros: a
			    * property of the file, not malware (ClamAV's
			    * Heuristics.OLE2.ContainsMacros.VBA / .XLM) */
};

struct av_match {
	enum av_match_kind kind;
	char *name;        /* ClamAV's name for it */
};

struct av_result {
	struct av_match *m;
	size_t n;
	char *error;       /* non-NULL: the scan failed (ClamAV's reason) */
	char *engine_error; /* non-NULL: libclamav logged an error while scanning */
};

/* Reads up to n bytes at off, returns bytes read or -1. */
typedef int64_t (*av_read_fn)(void *handle, void *buf, size_t n, uint64_t off);

void av_default_limits(struct av_limits *l);

/* Loads every database in dbdir, and the signatures compiled from ioc (may
 * be NULL) into the same engine, so that both match in one pass; then
 * compiles the engine. The IOC feeds join the av_db list after dbdir's
 * files. ioc is not kept. Returns 0, or -1 with err naming dbdir or the
 * file at fault. *out: av_close(). */
int av_open(const char *dbdir, const struct ioc *ioc, const struct av_limits *limits,
	    struct av **out, struct ks_err *err);
void av_close(struct av *av);

const char *av_version(void);                      /* libclamav version */
unsigned av_functionality_level(void);
const char *av_dbdir(const struct av *av);
/* As loaded by cl_load: each IOC string counts once per case form and
 * encoding it compiles to (up to 8). */
unsigned av_signature_count(const struct av *av);
size_t av_db_count(const struct av *av);
const struct av_db *av_db(const struct av *av, size_t i); /* borrowed */
const struct av_limits *av_limits(const struct av *av);

/* Scans size bytes behind rd/handle in place (no temporary copy), reading
 * through rd as libclamav asks for pages. Thread safe. Fills *res (release with av_result_release). Returns 0, or -1 when
 * the scan failed (res->error says why). */
int av_scan(const struct av *av, av_read_fn rd, void *handle, uint64_t size,
	    const char *name, struct av_result *res);
/* The same for a stream already read whole into memory (it must be the
 * entire stream): libclamav scans the buffer itself, with no copy. */
int av_scan_memory(const struct av *av, const void *data, uint64_t size,
		   const char *name, struct av_result *res);
/* The same for a regular host file kenshu made itself (a member spilled
 * from a bundle): libclamav maps the descriptor and may age pages out, so
 * a large file does not stay in memory. */
int av_scan_fd(const struct av *av, int fd, uint64_t size, const char *name,
	       struct av_result *res);
/* The same for the file as it is, with every parser off: only signatures
 * of the file itself match (a hash of a delivered archive), nothing inside. */
int av_scan_fd_outer(const struct av *av, int fd, uint64_t size, const char *name,
		     struct av_result *res);
void av_result_release(struct av_result *res);

const char *av_match_kind_name(enum av_match_kind k);

/* yara: YARA (libyara 4.2) as the second engine. The profile's [yara]
 * rules entries (files, or directories whose *.yar / *.yara files count,
 * sorted) are each compiled once into a rule set of their own, so the time
 * spent per set can be told apart; every worker thread has its own scanner
 * per set over the shared compiled rules, and scans the very buffer the
 * worker read for libclamav (no second read).
 *
 * Includes: a rule file may include only files in its own directory tree
 * (the directory of the rules = file, or the rules = directory): an
 * absolute path, a '..' or a symbolic link that leaves it is refused and is
 * a compile error. Nested includes resolve against the same directory. */

struct yara;
struct yara_scanner;

/* Defaults of the profile's [yara] max_file_size and timeout. */
#define YARA_DEFAULT_MAX_FILE_SIZE (64ull << 20)
#define YARA_DEFAULT_TIMEOUT 10
/* A rule file or an include larger than this is refused. */
#define YARA_MAX_RULE_FILE (64u << 20)
/* A set that spends more than this per stream on average is named too slow. */
#define YARA_SLOW_SET_SECONDS 0.05
/* Compile errors kept; one more line says the list stopped. */
#define YARA_MAX_DIAGS 1000

struct yara_set {
	char *path;            /* the rules = entry, as the profile resolved it */
	char **files;          /* the rule files compiled (a directory's, sorted) */
	size_t nfiles;
	char sha256[SHA256_HEX_LEN + 1]; /* of the files' bytes, concatenated in order */
	unsigned rules;
};

/* Every compile error, one "FILE:LINE: message" line each. */
struct yara_diags {
	char **v;
	size_t n;
};

/* Compiles every entry. Returns 0 and *out (yara_free), or -1 with every
 * error in *d (which the caller releases either way with
 * yara_diags_release) and the first in err. */
int yara_load(const char *const *paths, size_t n, struct yara **out, struct yara_diags *d,
	      struct ks_err *err);
void yara_free(struct yara *y);
void yara_diags_release(struct yara_diags *d);

/* Compiles rule text (named name in messages) with every include refused,
 * only to report its errors into *d: 0 when it compiles. The fuzz target's
 * and the tests' entry point. */
int yara_check_text(const char *name, const char *text, size_t len, struct yara_diags *d);

/* Where include name, written in a rule file of directory dir, leads:
 * 0 and *resolved (caller frees; the real path, inside dir), or -1 and
 * *why (static text). */
int yara_include_resolve(const char *dir, const char *name, char **resolved, const char **why);

const char *yara_version(void);
size_t yara_set_count(const struct yara *y);
const struct yara_set *yara_set(const struct yara *y, size_t i);   /* borrowed */
/* The source text of rule `rule` of set `set` as its file wrote it (caller
 * frees), or NULL when it cannot be told apart. */
char *yara_rule_text(const struct yara *y, size_t set, const char *rule);

struct yara_match {
	size_t set;            /* index of the set whose rule matched */
	char *rule;
	char *tags;            /* space-separated, "" when none */
	char *author, *reference, *date;  /* the rule's meta, NULL when absent */
	bool meta_fail;        /* meta severity = "fail" */
};

struct yara_result {
	struct yara_match *m;
	size_t n;
	char *incomplete;      /* non-NULL: "not fully scanned: ..." */
	bool timed_out;        /* that was the timeout of set timed_out_set */
	size_t timed_out_set;
	double *seconds;       /* per set: time this stream took (yara_set_count entries) */
};

/* One per worker thread: a scanner per set over the shared rules, each with
 * the per-stream timeout. NULL y: NULL. */
struct yara_scanner *yara_scanner_new(const struct yara *y, unsigned timeout_s);
void yara_scanner_free(struct yara_scanner *s);
/* Scans the whole stream in memory with every set. A timeout or an error
 * of one set sets res->incomplete; the other sets' matches stand. */
void yara_scan_mem(struct yara_scanner *s, const void *data, size_t n, struct yara_result *res);
void yara_result_release(struct yara_result *res);

#endif
