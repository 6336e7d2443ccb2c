/* av: the one libclamav engine of a run — loaded and compiled once, then
 * shared read-only by every worker thread (clamd's MULTISCAN pattern). */
#ifndef KENSHU_AV_H
#define KENSHU_AV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/hash.h>

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
 * files. ioc is not kept. Returns 0, or -1 after printing one error line
 * naming dbdir or the file at fault. *out: av_close(). */
int av_open(const char *dbdir, const struct ioc *ioc, const struct av_limits *limits,
	    struct av **out);
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

#endif
