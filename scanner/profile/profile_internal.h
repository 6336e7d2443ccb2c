/* What the files of the profile stage share: the loaded profile, its
 * entries, one source being parsed; internal to scanner/profile/. */
#ifndef KENSHU_PROFILE_INTERNAL_H
#define KENSHU_PROFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <kenshu/core.h>
#include <kenshu/profile.h>

#define PROFILE_MAX_SIZE (1u << 20)   /* a profile is text written by a person */
#define PROFILE_MAX_LINE 4096

struct entry {
	char *section, *key, *value;
	char *origin;     /* "FILE:LINE" */
	unsigned line;
};

struct entries {
	struct entry *v;
	size_t n;
};

struct list {
	char *section, *key;
	char **items;
	size_t n;
};

struct profile {
	char *source;
	char *name;
	char sha256[SHA256_HEX_LEN + 1];
	char effective[SHA256_HEX_LEN + 1];
	struct profile_file *files;
	size_t nfiles;
	struct entries eff;          /* effective keys, in file order of first setting */
	enum severity *sev;          /* per rule_table index */
	struct list *lists;
	size_t nlists;
	struct profile_allow *allows;
	size_t nallows;
	struct profile_waiver *waivers;
	size_t nwaivers;
	struct ioc *ioc;
	struct yara *yara;            /* [yara] rules, compiled; NULL when none */
};

/* One load: the files being read (for include cycles) and every
 * diagnostic so far, in the order of the text. */
#define PROFILE_MAX_DEPTH 16

struct loader {
	struct profile *p;
	char *stack[PROFILE_MAX_DEPTH];
	unsigned depth;
	struct ks_err *err;            /* the first diagnostic */
	struct profile_diags *diags;   /* every one; NULL: only the first is wanted */
	size_t ndiags;
	size_t max;                    /* reading stops once ndiags reaches it */
};

/* One source being parsed. */
struct src {
	struct loader *L;
	const char *name;     /* for messages: the path, or "shipped:NAME" */
	char *dir;            /* directory for relative paths; NULL for shipped profiles */
	const char *text;
	size_t len, pos;
	unsigned line;        /* the line inih was last given */
	bool bad_section;     /* in a section whose header was reported: its keys are not looked at */
	struct entries *out;  /* this file's keys */
	struct entries *merged; /* where the files it includes put theirs, beneath its own */
};

/* profile.c: the loader. */
/* Records one diagnostic (a whole "FILE:LINE: message" line); the first
 * goes to L->err too. Past L->max it is dropped. */
void prof_diag(struct loader *L, enum ks_code code, const char *fmt, ...) KS_PRINTF(3, 4);
/* Has the load found as many errors as it reports? Reading stops then. */
bool prof_diag_full(const struct loader *L);
/* Reads each profile an include line of s names (value: its items),
 * into s->merged. */
void prof_include(struct src *s, const char *value);

/* profile.c: the entries of one file, or the effective ones. */
void prof_entries_free(struct entries *e);
struct entry *prof_entries_find(struct entries *e, const char *section, const char *key);
/* Sets or overrides section/key: the later source wins. */
void prof_entries_set(struct entries *e, const struct entry *src);

/* profile_parse.c */
/* The key table row for section/key; a named section "allow.x" matches
 * "allow.*", any rule id matches [rules] "*". */
const struct profile_key *prof_key_find(const char *section, const char *key);
bool prof_parse_bool(const char *v, bool *out);
bool prof_parse_long(const char *v, long *out);
/* Splits a comma-separated value into trimmed, non-empty items (free with
 * prof_free_items). */
char **prof_split_list(const char *v, size_t *n);
void prof_free_items(char **items, size_t n);
/* Reads s->text into s->out, following include lines as they come; every
 * error goes to s->L, in line order. */
void prof_parse_src(struct src *s);

#endif
