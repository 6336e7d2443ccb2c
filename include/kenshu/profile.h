/* profile: acceptance profiles (INI through inih), their key table, and
 * the shipped rule table they set severities for.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_PROFILE_H
#define KENSHU_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <kenshu/core.h>
#include <kenshu/rules.h>

/* profile: an acceptance profile (INI, read with inih) — which rules fail,
 * review or inform, the allowlist, waivers and IOC feeds.
 *
 * One key table (scanner/profile/profile_keys.c) drives parsing, validation,
 * `kenshu profile show` and docs/profiles.md (a test checks the docs).
 * Profiles inherit with `include = base.ini` or a shipped profile's name
 * (`include = default`); the including file wins over what it includes,
 * whatever the order of lines. Shipped profiles are compiled in
 * (embedded.h) and found by name; anything else is a path. */

struct profile;
struct ioc;
struct yara;

enum pk_type {
	PK_STRING = 0,
	PK_SEVERITY,   /* off | info | review | fail */
	PK_INT,        /* decimal, within [min, max] */
	PK_BOOL,       /* yes/no, true/false, on/off, 1/0 */
	PK_DATE,       /* YYYY-MM-DD, a real calendar date */
	PK_LIST,       /* comma-separated words */
	PK_FILES,      /* comma-separated paths, relative to the profile file's directory */
	PK_PROFILES,   /* include: paths or shipped profile names */
	PK_RULE,       /* a rule id of the rule table */
	PK_HASH,       /* SHA-256 (64 hex digits) */
	PK_PATH,       /* a path inside the image, Windows or '/' separators, '*' globs */
	PK_THUMBPRINT, /* a certificate's SHA-1 thumbprint (40 hex digits) */
};

struct profile_key {
	const char *section;   /* "rules" for every rule id; "allow.*": one section per entry */
	const char *key;       /* "*" in [rules]: any rule id */
	enum pk_type type;
	const char *def;       /* built-in default, NULL when none (named sections) */
	long min, max;         /* PK_INT bounds */
	bool required;         /* in a named section: must be present */
	const char *doc;       /* one line for profile show and docs/profiles.md */
};

extern const struct profile_key profile_keys[];
extern const size_t profile_nkeys;

/* Loads a profile: an existing file by path, else a shipped profile by
 * name ("default", "strict", "example-vendor"). Every file is validated
 * whole, includes and IOC feeds too. Returns 0, or -1 with err set to the
 * first error (profile_check's first line): one line "FILE:LINE: message"
 * (or "FILE: message"). *out: profile_free(). */
int profile_load(const char *name_or_path, struct profile **out, struct ks_err *err);
void profile_free(struct profile *p);

/* Every error profile_check() found, one line each as in err. In the order
 * of the text: a file's errors by line, an included file's where the
 * include line stands. Checks that span a section ("[waiver.x] needs
 * approver") and the IOC feeds come after, once every line is valid. */
struct profile_diags {
	char **v;
	size_t n;
};
#define PROFILE_DIAGS_INIT { NULL, 0 }
/* At most this many lines; one more then says the reading stopped there. */
#define PROFILE_MAX_DIAGS 100

/* profile_load(), with every error (not only the first) in *diags, which
 * the caller releases with profile_diags_release() either way (it is empty
 * when the profile loads). On failure diags->v[0] is err's message. */
int profile_check(const char *name_or_path, struct profile **out, struct profile_diags *diags,
		  struct ks_err *err);
void profile_diags_release(struct profile_diags *d);

/* Names of the shipped profiles (static, NULL-terminated). */
const char *const *profile_shipped(void);

const char *profile_name(const struct profile *p);        /* [profile] name, else the source */
const char *profile_source(const struct profile *p);      /* the path, or "shipped:default" */
const char *profile_sha256(const struct profile *p);      /* of the profile file's bytes */
/* Of the effective profile (every key after includes, in canonical form):
 * two profiles that decide alike have the same effective hash. */
const char *profile_effective_sha256(const struct profile *p);

/* Every file read (the profile first, then what it includes, depth-first). */
struct profile_file {
	char *source;
	char sha256[SHA256_HEX_LEN + 1];
};
size_t profile_nfiles(const struct profile *p);
const struct profile_file *profile_file(const struct profile *p, size_t i);

enum severity profile_severity(const struct profile *p, const char *rule);
/* A PK_SEVERITY key outside [rules] ([hardening] absent). */
enum severity profile_key_severity(const struct profile *p, const char *section, const char *key);
long profile_int(const struct profile *p, const char *section, const char *key);
bool profile_bool(const struct profile *p, const char *section, const char *key);
/* A PK_LIST or PK_FILES key's items (PK_FILES resolved to paths); *n count. */
const char *const *profile_list(const struct profile *p, const char *section, const char *key, size_t *n);

struct profile_allow {
	char *name;          /* the section's name after "allow." */
	char *path;          /* NULL when by hash only */
	char *sha256;        /* NULL when by path only */
	char *signer;        /* a valid signature's signer (CN or O), NULL when not by signer */
	char *thumbprint;    /* a certificate-store entry by SHA-1 (trusted-root-added), else NULL */
	char *account;       /* a local account by name (account-admin-extra), else NULL */
	char *service;       /* a service by name (eventlog-service-installed), else NULL */
	char *vendor, *comment;
	char *origin;        /* "FILE:LINE" of the section */
};
struct profile_waiver {
	char *name;
	char *rule;
	char *path, *sha256; /* at least one */
	char *reason, *approver;
	char expires[11];    /* YYYY-MM-DD: applies through that day */
	char *origin;
};
/* Deep copy of a waiver (dst owns its strings), and the release of one. */
void profile_waiver_copy(struct profile_waiver *dst, const struct profile_waiver *src);
void profile_waiver_clear(struct profile_waiver *w);
size_t profile_nallows(const struct profile *p);
const struct profile_allow *profile_allow(const struct profile *p, size_t i);
size_t profile_nwaivers(const struct profile *p);
const struct profile_waiver *profile_waiver(const struct profile *p, size_t i);

/* The IOC feeds the profile names, compiled (NULL when it names none). */
const struct ioc *profile_ioc(const struct profile *p);
/* The [yara] rule sets, compiled once at load (NULL when it names none, or
 * p is NULL). */
const struct yara *profile_yara(const struct profile *p);
/* A YARA match that fails whatever yara-match's severity: the rule's meta
 * says severity = "fail", or one of its space-separated tags is in
 * [yara] fail_tags ("*": any). */
bool profile_yara_decisive(const struct profile *p, bool meta_fail, const char *tags);

/* Appends the effective profile to sb as INI text, every key with its
 * value (defaults included), with "; FILE:LINE" comments when origins.
 * Without origins it is the canonical text the effective hash is taken
 * over (a feed file stands there by its SHA-256). */
void profile_format(const struct profile *p, struct strbuf *sb, bool origins);
/* The same text written to f (a FILE error shows in ferror(f)). */
void profile_write(const struct profile *p, FILE *f, bool origins);

/* Does a path inside the image match a profile path pattern? Both may use
 * '\' or '/', a drive letter on the pattern is ignored, case-insensitive,
 * '*' matches within one component and "**" across components. */
bool profile_path_match(const char *pattern, const char *path);

#endif
