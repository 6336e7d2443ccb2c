/* core: what every stage uses: the one error record and message
 * discipline, allocation, a string builder, temporary-path cleanup,
 * hashing, bounded reads of host files, the progress line, UTF-16, the
 * scan date, the shipped data files, little-endian fields.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_CORE_H
#define KENSHU_CORE_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* err: the one error contract.
 *
 * Code outside cli/ never prints and never exits. A function that fails
 * returns -1 (or NULL) and fills the caller's error record with a code and
 * one message naming the file and the problem; only cli/ prints it (as
 * "kenshu: error: MESSAGE") and picks the exit code. Messages are
 * lowercase, without a full stop, and quote their subject:
 *     return ks_fail(err, KS_EIO, "'%s': cannot read the boot sector: %s",
 *                    path, strerror(errno));
 * What is not a failure of the call (a damaged file inside an image, a
 * volume that cannot be read) is report data, not an error. Primitives
 * shaped like pread(2) or fwrite(3) (stream reads, FILE writers) keep that
 * contract, -1 with errno: the caller that knows the file makes the record. */

#define KS_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum ks_code {
	KS_OK = 0,
	KS_EINPUT,        /* the input is damaged, hostile or not what it claims to be */
	KS_EIO,           /* the system refused: open, read, write, rename, fork... */
	KS_EUNSUPPORTED,  /* understood, but this version does not handle it */
	KS_EUSAGE,        /* the request itself is wrong: an option, a variable, a key */
	KS_ENOTFOUND,     /* what was asked for is not there */
};

#define KS_ERR_MAX 4096   /* bytes of one message, with its NUL */

struct ks_err {
	enum ks_code code;
	char msg[KS_ERR_MAX];   /* one line: newlines and carriage returns become spaces */
};

/* Fills *e (which may be NULL: the caller does not want the reason) and
 * returns -1, so that "return ks_fail(err, ...);" is the idiom. */
int ks_fail(struct ks_err *e, enum ks_code code, const char *fmt, ...) KS_PRINTF(3, 4);
int ks_vfail(struct ks_err *e, enum ks_code code, const char *fmt, va_list ap) KS_PRINTF(3, 0);
/* Puts context before the message already in *e ("'disk.img': volume 2: "
 * + "cannot read the MFT"); returns -1. The code is kept. */
int ks_prefix(struct ks_err *e, const char *fmt, ...) KS_PRINTF(2, 3);
/* A problem at a line of a file the user gave (a profile, an IOC feed):
 * "FILE:LINE: message", or "FILE: message" when line is 0 (the file as a
 * whole). The message part is cut at KS_AT_MSG_MAX bytes, so that the
 * file's name and line always show. Returns -1. */
#define KS_AT_MSG_MAX 511
int ks_fail_at(struct ks_err *e, enum ks_code code, const char *file, unsigned line, const char *fmt, ...)
	KS_PRINTF(5, 6);
int ks_vfail_at(struct ks_err *e, enum ks_code code, const char *file, unsigned line, const char *fmt, va_list ap)
	KS_PRINTF(5, 0);
/* Empties *e (code KS_OK, message ""). */
void ks_err_clear(struct ks_err *e);
/* "bad input", "system error", "unsupported", "usage", "not found", "ok" */
const char *ks_code_name(enum ks_code code);

/* The two aborts (core/fatal.c), each one line on stderr: out of memory
 * (exit code 2: the scan could not complete, and no partial result is
 * ever written) and BUG() (an internal invariant broke: a kenshu bug,
 * never bad input; abort() for a core dump). Nothing else outside cli/
 * ends the process. */
_Noreturn void ks_oom(size_t n);
#define BUG(...) ks_bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void ks_bug(const char *file, int line, const char *fmt, ...) KS_PRINTF(3, 4);

/* Allocation that cannot fail quietly: on exhaustion the process dies with
 * exit code 2 (scan could not complete) — partial results are never written. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A copy of s, or NULL for NULL (an absent optional field stays absent). */
char *xstrdup_or_null(const char *s);
char *xasprintf(const char *fmt, ...) KS_PRINTF(1, 2);

/* strbuf: the one string builder (git's shape). buf is never NULL and
 * always NUL-terminated, even when empty (it then points at a shared empty
 * string, so STRBUF_INIT allocates nothing). Ownership leaves through
 * strbuf_detach(); strbuf_release() frees. An optional cap bounds text that
 * hostile input could make huge (evidence from a hive, a hosts file): what
 * would pass it is dropped, cut on a UTF-8 boundary, and " ..." ends the
 * text. Allocation failure is ks_oom(). */
struct strbuf {
	size_t alloc, len;
	size_t cap;        /* bytes of text kept at most (SIZE_MAX: no cap) */
	bool truncated;    /* the cap was reached: " ..." ends buf */
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { .alloc = 0, .len = 0, .cap = SIZE_MAX, .truncated = false, .buf = strbuf_slopbuf }

/* cap 0: no cap. Allocates nothing. */
void strbuf_init(struct strbuf *sb, size_t cap);
void strbuf_add(struct strbuf *sb, const void *p, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) KS_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) KS_PRINTF(2, 0);
/* The n bytes at s with control characters (and, if ascii_only, every byte
 * outside printable ASCII) replaced by '?': text from the image shown in
 * one line of evidence. */
void strbuf_add_printable(struct strbuf *sb, const char *s, size_t n, bool ascii_only);
/* Keeps the first len bytes of the text (len <= sb->len: it only
 * shortens), e.g. to drop a path's last component. Meant for uncapped
 * buffers: a " ..." mark the cap added would be cut like any text. */
void strbuf_setlen(struct strbuf *sb, size_t len);

/* Empties the text, keeping the memory and the cap. */
void strbuf_reset(struct strbuf *sb);
/* Frees the memory; *sb is empty again, with the same cap. */
void strbuf_release(struct strbuf *sb);
/* The text, which the caller now owns (free(3)); never NULL. *len (may be
 * NULL) gets its length. *sb is empty again, with the same cap. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

/* File attributes: the volume stage sets them on what it walks, the report
 * records them per file (manifest.jsonl "flags"), the writers name them. */
enum {
	FS_F_COMPRESSED = 1u << 0,  /* stored compressed (NTFS LZNT1); read decompressed */
	FS_F_SPARSE = 1u << 1,
	FS_F_ENCRYPTED = 1u << 2,   /* EFS: contents unreadable offline */
	FS_F_REPARSE = 1u << 3,     /* carries a reparse point (never followed) */
	FS_F_DIRECTORY = 1u << 4,   /* a stream of a directory (ADS on a folder) */
	FS_F_HARDLINK = 1u << 5,    /* another name of a file already walked */
	FS_F_NAME_LOSSY = 1u << 6,  /* name held invalid UTF-16; replaced by U+FFFD */
	FS_F_WOF = 1u << 7,         /* CompactOS (WOF): read decompressed from WofCompressedData */
};

/* cleanup: temporary paths removed even when kenshu is interrupted.
 *
 * libclamav unpacks archive members into a private directory and reports
 * are written under temporary names; a Ctrl-C or a kill must not leave
 * either behind. Paths are kept in a fixed table so that the signal handler
 * needs no allocation. */

#define CLEANUP_MAX_PATHS 32

/* Registers a path (a file, or a directory whose files are removed with it).
 * Returns 0, or -1 when the table is full or the path too long. */
int cleanup_add(const char *path, bool is_dir);
/* Forgets a path (it was renamed into place or removed normally). */
void cleanup_forget(const char *path);
/* Removes one registered path now (a directory with all it holds) and
 * forgets it. Returns 0, or -1 when the path was not registered. */
int cleanup_remove(const char *path);
/* Removes every registered path now. */
void cleanup_run(void);
/* SIGINT, SIGTERM, SIGHUP: clean up, call say (when not NULL; it must be
 * async-signal-safe: write(2), no stdio, no allocation) with late true
 * when the signal waited for held steps to finish, then die of the same
 * signal. */
void cleanup_install_signal_handlers(void (*say)(int sig, bool late));
/* Between hold and release (they nest) those signals wait: one that came
 * is acted on by the last release. For steps that must not stop halfway,
 * and only short ones: a kill that waits too long becomes a SIGKILL. */
void cleanup_hold_signals(void);
void cleanup_release_signals(void);

/* hash: SHA-256 through OpenSSL's EVP interface. */

#define SHA256_HEX_LEN 64

struct sha256;

struct sha256 *sha256_new(void);   /* caller frees with sha256_free() */
void sha256_update(struct sha256 *h, const void *data, size_t n);
/* Writes 64 lower-case hex digits and a NUL into hex; h can be reused. */
void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1]);
/* Drops whatever was hashed so far: h starts afresh. */
void sha256_reset(struct sha256 *h);
void sha256_free(struct sha256 *h);

/* Hashes a whole host file. Returns 0, or -1 with errno set. */
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size);
/* Hashes what is left to read on fd (the caller opened it and closes it).
 * Returns 0, or -1 with errno set. */
int sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1], uint64_t *size);

/* hostfile: a host file the user named (an IOC feed, a baseline report
 * directory's files), opened as untrusted input: without blocking, so a
 * FIFO planted in its place cannot hang the run; a regular file only; and
 * never larger than the caller's limit. Callers word the errors. */

enum hostfile_status {
	HOSTFILE_OK = 0,
	HOSTFILE_ERRNO,        /* open, stat or read failed: *err is the errno */
	HOSTFILE_NOT_REGULAR,  /* a directory (*err EISDIR), device, FIFO, socket (*err 0) */
	HOSTFILE_TOO_LARGE,    /* over max bytes, or grew past it while read */
};

#define HOSTFILE_NOFOLLOW 0x1u   /* a symbolic link is refused (ELOOP) */

/* Opens path for reading: *fd (the caller closes it) and *size. */
enum hostfile_status hostfile_open(const char *path, unsigned flags, uint64_t max, int *fd, uint64_t *size,
				   int *err);
/* Reads the whole file into *buf, NUL-terminated (the caller frees it). */
enum hostfile_status hostfile_read(const char *path, unsigned flags, uint64_t max, char **buf, size_t *len,
				   int *err);

/* progress: a single self-overwriting status line on a terminal. */

struct progress;

/* Counters the workers bump; the progress thread only reads them. */
struct progress_counts {
	_Atomic uint64_t bytes_done;
	_Atomic uint64_t files_done;
	uint64_t bytes_total;
	uint64_t files_total;
};

/* Starts a thread redrawing "label: phase ..." on out (a terminal the CLI
 * chose) 4 times a second. Returns NULL (and draws nothing) when out is
 * NULL. */
struct progress *progress_start(FILE *out, const char *label, const char *phase,
				struct progress_counts *c);
void progress_phase(struct progress *p, const char *phase);
/* Stops the thread and erases the line. Accepts NULL. */
void progress_stop(struct progress *p);

/* Formats the line; exposed for tests. */
void progress_format(char *out, size_t len, const char *label, const char *phase,
		     uint64_t bytes_done, uint64_t bytes_total, uint64_t files_done,
		     uint64_t files_total, double elapsed);

/* utf16: UTF-16LE names from disk structures to UTF-8 for reports. */

/* Converts n UTF-16LE code units at src (unaligned bytes allowed) to a
 * NUL-terminated UTF-8 string. Lone surrogates and U+0000 become U+FFFD and
 * set *lossy (may be NULL). Caller frees the result with free(). */
char *utf16le_to_utf8(const void *src, size_t n, bool *lossy);

/* Converts UTF-8 to UTF-16LE code units; returns the count, or -1 if s is not
 * valid UTF-8 (overlongs, surrogates and values past U+10FFFF included).
 * *out is malloc'd; caller frees. */
long utf8_to_utf16le(const char *s, uint16_t **out);

/* scandate: the one day every rule and check of a scan judges by (waiver
 * expiry, end of support, signature age). Parsed once, by the CLI, from
 * KENSHU_SCAN_DATE; otherwise the UTC day the scan started. */

struct scan_date {
	char day[11];      /* YYYY-MM-DD */
	time_t midnight;   /* 00:00:00 UTC of that day */
};

/* Parses YYYY-MM-DD strictly: a real calendar day from 1970-01-01 on, no
 * other characters. Returns 0, or -1 with err set ("'S' is not a date
 * (YYYY-MM-DD)"; the caller names where S came from). */
int scan_date_parse(const char *s, struct scan_date *out, struct ks_err *err);

/* The UTC day that t falls on. */
void scan_date_of(time_t t, struct scan_date *out);

/* t as ISO 8601 UTC, "2026-11-27T10:00:00Z" (20 characters and a NUL: n
 * >= 21); "" when t <= 0 or past what gmtime can say. The one spelling of
 * a time in every report. */
void ks_iso_time(time_t t, char *out, size_t n);
/* The current time, likewise. */
void ks_now_iso(char *out, size_t n);

/* embedded: the shipped profiles and data tables, compiled into the binary
 * from profiles/ at build time, so `-p default` and the MS17-010 table work
 * wherever kenshu is copied, and the data stays data (one file each). */

/* The file's bytes (NUL-terminated, len excludes the NUL) by its path
 * relative to profiles/, e.g. "default.ini" or "tables/ms17-010.tsv";
 * NULL when no such file was shipped. Static storage. */
const char *embedded_file(const char *name, size_t *len);

/* Names of the shipped files, in a static NULL-terminated array. */
const char *const *embedded_names(void);

/* A parser's view of untrusted bytes: where they are, how many, and the
 * error record its failures go to (core.h's contract). The binary parsers
 * (shortcuts, PE files...) read through it. */
struct bytes_rd {
	const uint8_t *p;
	size_t size;
	struct ks_err *err;   /* NULL: the caller does not want the reason */
};

/* True when the len bytes at off lie inside (no overflow on hostile
 * offsets). */
static inline bool rd_has(const struct bytes_rd *r, size_t off, size_t len)
{
	return off <= r->size && len <= r->size - off;
}

/* The parser gives up: KS_EINPUT with the message in r->err; returns -1. */
int rd_fail(const struct bytes_rd *r, const char *fmt, ...) KS_PRINTF(2, 3);

/* Little-endian fields of on-disk structures (partition tables, hives,
 * shortcuts, .job files), read byte by byte: no alignment or host-order
 * assumptions about untrusted data. */

static inline uint16_t load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load_le64(const uint8_t *p)
{
	return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

/* text: small byte and string helpers (core/text.c), each once. */

/* The last component of a '/'-separated path (p itself when it has no
 * '/'; "" for NULL): borrowed, a pointer into p. */
const char *path_base(const char *p);

/* qsort's comparison of two char * (or const char *) in an array. */
int str_ptr_cmp(const void *a, const void *b);

/* True when the n bytes at p are all zero (also when n is 0). */
bool mem_is_zero(const void *p, size_t n);

/* Cuts the characters listed in blanks (e.g. " \t") from both ends of s,
 * in place: a NUL ends the text, and the result points into s. */
char *str_trim(char *s, const char *blanks);

/* The largest length m <= n at which s can be cut without splitting a
 * UTF-8 character: s[m] is not a continuation byte. s[n] must be
 * readable (n <= strlen(s)). */
size_t utf8_cut(const char *s, size_t n);

/* n ISO-8859-1 bytes at src as a NUL-terminated UTF-8 string; NUL bytes
 * become U+FFFD, as in utf16le_to_utf8(). Caller frees with free(). */
char *latin1_to_utf8(const void *src, size_t n);

#endif
