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
#ifndef KENSHU_IOC_H
#define KENSHU_IOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/hash.h>

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
	     struct ioc **out, char *err, size_t errlen);
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
 * frees each). Returns 0, or -1 after printing one error line (any file
 * already written stays for the caller to remove with dir). */
int ioc_write_databases(const struct ioc *ioc, const char *dir,
			char *paths[IOC_DB_FILES], size_t *n);

#endif
