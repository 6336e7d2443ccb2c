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
};

/* One source being parsed. */
struct src {
	const char *name;     /* for messages: the path, or "shipped:NAME" */
	char *dir;            /* directory for relative paths; NULL for shipped profiles */
	const char *text;
	size_t len, pos;
	unsigned line;        /* line of the chunk inih was last given */
	bool at_start;
	struct entries *out;
	struct ks_err *err;
	bool failed;
};

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
/* Reads s->text into s->out. Returns 0, or -1 with s->err set. */
int prof_parse_src(struct src *s);

#endif
