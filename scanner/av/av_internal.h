/* What the pieces of av/ share: ioc.c (the set of indicators, the feed
 * files, the ClamAV databases) and ioc_parse.c (one line of a feed).
 * Internal to scanner/av/. */
#ifndef KENSHU_AV_INTERNAL_H
#define KENSHU_AV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <kenshu/core.h>
#include <kenshu/av.h>

/* Where a message about a line points. */
struct ioc_pos {
	const char *feed;
	unsigned line;       /* 0: the file as a whole */
	struct ks_err *err;
};

/* "FEED:LINE: message" ("FEED: message" for the file as a whole) into
 * p->err as KS_EINPUT; returns -1. */
int ioc_fail(const struct ioc_pos *p, const char *fmt, ...) KS_PRINTF(2, 3);

/* ASCII letters and digits only. */
static inline bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII case only: UTF-8 sequences are left as they are. */
static inline void ascii_case(char *s, bool upper)
{
	for (; *s; s++) {
		if (upper && *s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
		else if (!upper && *s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

/* ---- ioc_parse.c ---- */

/* Refuses what is not one line of UTF-8 text: another encoding, a binary
 * file, control characters that would garble a report. */
int ioc_check_text(const struct ioc_pos *p, const unsigned char *s, size_t n);

/* A comment line: "#", ";" or "//" first. */
bool ioc_is_comment(const char *s);

/* Splits a line into the indicator and its name. The indicator ends at a
 * separator unless it is a CSV quoted field ("a b", "say ""hi"""). The
 * name is what follows, less a comment marker and surrounding quotes. */
int ioc_split(const struct ioc_pos *p, char *line, char **tok, char **name);

/* Checks that tok is an MD5, SHA-1 or SHA-256 hash (an export's "sha256:"
 * prefix is dropped) and lower-cases it in place; *kind gets its kind
 * (static storage). */
int ioc_parse_hash(const struct ioc_pos *p, char *tok, const char **kind);

/* Re-fangs and classifies a string; *s may be moved forward (a leading
 * "*." of a domain) and is lower-cased where case does not matter. *orig
 * (caller frees) gets it as the feed wrote it, when that differs. */
int ioc_parse_string(const struct ioc_pos *p, char **sp, const char **kind, char **orig);

/* ---- yara_text.c ---- */

/* The text of rule `rule` in a rule file's text, from its modifiers
 * ("private", "global") to its closing brace (caller frees); NULL when no
 * rule of that name stands there. Comments and strings are skipped when
 * looking for the braces. */
char *yara_find_rule_text(const char *text, const char *rule);

#endif
