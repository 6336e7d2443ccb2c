/* output: the files of a report directory — report.json, report.txt,
 * report.html, manifest.jsonl, findings.csv, stix.json, bundle.json and
 * bundle.txt, the drift sections, atomic saving and report.sig.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_OUTPUT_H
#define KENSHU_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/input.h>

/* sign: Ed25519 signatures over a report directory (OpenSSL EVP).
 *
 * A signature is a small text file, report.sig, beside the files it covers:
 *
 *     kenshu-signature-v1
 *     kind: report
 *     key-id: <SHA-256 of the raw 32-byte public key, 64 hex digits>
 *     signed-at: 2026-11-27T10:00:00Z
 *     file: manifest.jsonl 4711 <sha256>
 *     file: report.json 81234 <sha256>
 *     signature: <base64 of the 64-byte Ed25519 signature>
 *
 * The signed statement is exactly the bytes before "signature: " (every
 * line up to and including the newline of the last "file:" line), so a
 * third party needs only openssl and sha256sum to check it (docs/report.md).
 * Modelled on OpenBSD signify: one key type, no options, keys in files.
 *
 * Keys are PEM (PKCS#8 private, SubjectPublicKeyInfo public), preceded by
 * one "# ..." line naming the key id. Private key material is never
 * printed, and a private key that group or others may access is refused.
 */

#define SIGN_FILE "report.sig"
#define SIGN_KEY_ID_LEN 64          /* hex digits */

/* Caps against a hostile report.sig: it is read before it is trusted. */
#define SIGN_MAX_BYTES 65536        /* the whole file */
#define SIGN_MAX_LINE 512           /* one line, newline excluded */
#define SIGN_MAX_FILES 16           /* "file:" lines */
#define SIGN_MAX_NAME 64            /* a file name: [A-Za-z0-9_.-], not starting with '.' */
#define SIGN_KEY_MAX_BYTES 16384    /* a key file */

/* A private (signing) or public (verifying) Ed25519 key. */
struct sign_key;

/* Makes a key pair: path holds the private key (created with O_EXCL, mode
 * 0600) and path.pub the public key (mode 0644 less the umask). Neither is
 * ever overwritten: when one exists nothing is written. Returns 0 with the
 * key id in key_id, or -1 with err set. */
int sign_keygen(const char *path, char key_id[SIGN_KEY_ID_LEN + 1], struct ks_err *err);

/* Loads the private key at path for signing. Refuses, with err set and
 * -1: a file group or others may access, an unreadable or damaged file,
 * a public key, an encrypted key, any key type but Ed25519. On success
 * *out is the key (sign_key_free). */
int sign_key_load_private(const char *path, struct sign_key **out, struct ks_err *err);

/* Loads the public key at path (a kenshu .pub, or any PEM public key).
 * A private key is refused, so that verifying never needs one. Returns 0
 * with *out (sign_key_free), or -1 with err set. */
int sign_key_load_public(const char *path, struct sign_key **out, struct ks_err *err);

/* The key id: SHA-256 of the raw public key, hex. Borrowed, valid until
 * sign_key_free(). */
const char *sign_key_id(const struct sign_key *k);
/* NULL is allowed. Private key memory is cleared by OpenSSL. */
void sign_key_free(struct sign_key *k);

/* One file a signature covers: its name in the directory and the bytes that
 * were written. */
struct sign_file {
	const char *name;
	uint64_t size;
	char sha256[SHA256_HEX_LEN + 1];
};

/* Whether a name may appear in a "file:" line (and so be opened by verify):
 * one path component of [A-Za-z0-9_.-], not starting with '.', at most
 * SIGN_MAX_NAME bytes. */
int sign_name_ok(const char *name);

/* The whole text of report.sig for these files, signed with k (a private
 * key). kind is "report" or "bundle"; signed_at an ISO 8601 UTC time
 * (YYYY-MM-DDTHH:MM:SSZ), or NULL for now. Files are listed sorted by name.
 * Returns the text (caller frees), or NULL with err set
 * (a bad name, a duplicate, too many files, a public key). */
char *sign_statement(const struct sign_key *k, const char *kind, const struct sign_file *files,
		     size_t n, const char *signed_at, struct ks_err *err);

/* What verifying a directory found. */
struct sign_check {
	char **failures;      /* one line each, "report.json: SHA-256 differs from the signed statement" */
	size_t nfailures;
	char *kind;           /* from the statement, NULL when it could not be read */
	char *key_id;
	char *signed_at;
	char **files;         /* the names the statement lists */
	size_t nfiles;
};

void sign_check_release(struct sign_check *c);

/* Checks dir/report.sig with pub (a public key; pub_name is how messages
 * name it). Passes only when the statement is well formed, its signature
 * verifies with pub, every file it lists has exactly the recorded size and
 * SHA-256, the files its kind requires are listed (report: report.json and
 * manifest.jsonl; bundle: bundle.json and bundle.txt), and no report file
 * kenshu writes (report.json, report.txt, report.html, manifest.jsonl,
 * findings.csv, stix.json, bundle.json, bundle.txt) lies in dir unlisted. Other files are ignored.
 * Returns 0 when it passes, else -1 with every problem in c->failures.
 * c is filled either way (sign_check_release). Never prints. */
int sign_verify_dir(const char *dir, const struct sign_key *pub, const char *pub_name,
		    struct sign_check *c);

/* Writers. Each returns 0, or -1 with errno set; the caller names the file. */
int report_write_json(const struct report *r, FILE *f);
int report_write_text(const struct report *r, FILE *f);
/* report.html: one self-contained page (inline CSS, no script, no URL)
 * for people and for printing to PDF; docs/report.md. */
int report_write_html(const struct report *r, FILE *f);
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
			int (*write)(void *ctx, FILE *f), void *ctx, struct ks_err *err);

/* One file of a report directory and how to write it. */
struct report_output {
	const char *name;
	int (*write)(void *ctx, FILE *f);
	void *ctx;
};

/* Writes every output into dir so that it holds one whole report, never
 * parts of two: each under a temporary name (".NAME.tmp.PID"), fsynced;
 * then, with SIGINT, SIGTERM and SIGHUP held, the older report's files
 * (every name in owned, a NULL-terminated list, and report.sig) step aside
 * as ".NAME.old.PID", its marker (the last output) first, the new ones are
 * renamed in, the marker last, and the older ones removed. A failure
 * before the renames leaves the older report untouched; one during them
 * puts it back (when even that fails, dir holds no report). With a key,
 * report.sig (sign.h, of this kind: "report" or "bundle") covers the bytes
 * written, read back from the temporary files; without one an older
 * report.sig goes with the older report. Side names of a kenshu that was
 * killed are removed first. Returns 0, or -1 with err set. */
int report_save_outputs(const char *dir, const struct report_output *out, size_t n,
			const char *const *owned, const struct sign_key *key, const char *kind,
			struct ks_err *err);

/* A report (or bundle) directory's save that a killed kenshu left
 * halfway is undone: the older report is put back whole, or, when there
 * was none, what was placed is removed; its side names go. Nothing when
 * dir holds none (or is missing). report_save_outputs() does it first
 * too; a scan does it before it starts, so even one that fails leaves the
 * directory whole. */
void report_dir_recover(const char *dir);

/* Writes report.json, report.txt, report.html and manifest.jsonl, and the
 * exports r->exports asks for (findings.csv, stix.json), into dir with
 * report_save_outputs(), signed when key is not NULL. Returns 0, or -1
 * with err set. */
int report_save(const struct report *r, const struct sign_key *key,
		const char *dir, struct ks_err *err);

/* Writers (docs/report.md). Each returns 0, or -1 with errno set. */
/* The "Changes since the baseline" section of report.txt and `kenshu diff`. */
int drift_write_text(const struct drift *d, FILE *f);
/* report.json's "drift" object; `kenshu diff --json` writes it alone. */
struct json_object *drift_json(const struct drift *d);
int drift_write_json(const struct drift *d, FILE *f);
/* The "Changes since the baseline" section of report.html. */
int drift_write_html(const struct drift *d, FILE *f);

/* Writers: 0, or -1 with errno set. */
int bundle_write_json(const struct bundle_report *br, FILE *f);
int bundle_write_text(const struct bundle_report *br, FILE *f);
/* The member report directories a bundle.json names ("report" of each
 * image member, relative to the bundle's directory). Each is checked to be
 * one safe path component, so a caller may join it to the directory.
 * Returns 0 with *dirs (caller frees each and the array; *n may be 0), or
 * -1 with err set. */
int bundle_read_report_dirs(const char *bundle_json, char ***dirs, size_t *n, struct ks_err *err);

/* bundle.txt then bundle.json into dir, atomically like report_save(),
 * signed (report.sig of kind "bundle") when key is not NULL. Returns 0, or
 * -1 with err set. */
int bundle_save(const struct bundle_report *br, const struct sign_key *key,
		const char *dir, struct ks_err *err);

#endif
