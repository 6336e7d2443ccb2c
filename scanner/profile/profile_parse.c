/* Profiles: one file's text, read with inih line by line, every section
 * and key checked against profile_keys[] and every value against its
 * type, before anything of it counts. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include <kenshu/core.h>
#include <kenshu/profile.h>
#include "profile_internal.h"
#include <kenshu/banned.h>

#define PROFILE_MAX_ENTRIES 100000

/* The key table row for section/key; a named section "allow.x" matches
 * "allow.*", any rule id matches [rules] "*". */
const struct profile_key *prof_key_find(const char *section, const char *key)
{
	const char *dot = strchr(section, '.');
	size_t base = dot ? (size_t)(dot - section) : strlen(section);

	for (size_t i = 0; i < profile_nkeys; i++) {
		const struct profile_key *k = &profile_keys[i];
		size_t kl = strcspn(k->section, ".");
		bool named = k->section[kl] == '.';

		if (kl != base || strncasecmp(k->section, section, base) != 0 || named != (dot != NULL))
			continue;
		if (!strcmp(k->key, "*") ? rule_find(key) != NULL : !strcasecmp(k->key, key))
			return k;
	}
	return NULL;
}

static bool section_known(const char *section)
{
	const char *dot = strchr(section, '.');
	size_t base = dot ? (size_t)(dot - section) : strlen(section);

	if (!*section)
		return true;   /* top level: include only */
	if (dot) {
		if (!dot[1])
			return false;
		for (const char *p = dot + 1; *p; p++)
			if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
			      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
				return false;
	}
	for (size_t i = 0; i < profile_nkeys; i++) {
		size_t kl = strcspn(profile_keys[i].section, ".");
		bool named = profile_keys[i].section[kl] == '.';
		if (kl == base && !strncasecmp(profile_keys[i].section, section, base) && named == (dot != NULL))
			return true;
	}
	return false;
}

/* One error of this file, at line (0: the file as a whole). Reading goes
 * on: every error is reported, not only the first. Returns 0 (false), so
 * that a check can "return fail(...)". */
static int fail(struct src *s, unsigned line, const char *fmt, ...) KS_PRINTF(3, 4);
static int fail(struct src *s, unsigned line, const char *fmt, ...)
{
	struct ks_err e;
	va_list ap;

	va_start(ap, fmt);
	ks_vfail_at(&e, KS_EINPUT, s->name, line, fmt, ap);
	va_end(ap);
	prof_diag(s->L, e.code, "%s", e.msg);
	return 0;
}

static bool valid_date(const char *v)
{
	int y, m, d;
	char extra;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (strlen(v) != 10 || sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || v[4] != '-' || v[7] != '-')
		return false;
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

bool prof_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, true;
		if (!strcasecmp(v, no[i]))
			return *out = false, true;
	}
	return false;
}

bool prof_parse_long(const char *v, long *out)
{
	char *end;

	errno = 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || errno)
		return false;
	*out = n;
	return true;
}

/* Splits a comma-separated value into trimmed, non-empty items. */
char **prof_split_list(const char *v, size_t *n)
{
	char **items = NULL;

	*n = 0;
	while (*v) {
		size_t len = strcspn(v, ",");
		const char *a = v, *b = v + len;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			items = xrealloc(items, (*n + 1) * sizeof(*items));
			items[(*n)++] = xstrndup(a, (size_t)(b - a));
		}
		v += len + (v[len] == ',');
	}
	return items;
}

void prof_free_items(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

/* Checks a value against its key's type. */
static bool check_value(struct src *s, unsigned line, const char *section, const struct profile_key *k,
			const char *key, const char *v)
{
	enum severity sev;
	long n;
	bool b;

	switch (k->type) {
	case PK_SEVERITY:
		if (severity_parse(v, &sev) < 0)
			return fail(s, line, "[%s] %s: '%s' is not a severity (fail, review, info or off)", section, key, v);
		return true;
	case PK_INT:
		if (!prof_parse_long(v, &n) || n < k->min || n > k->max)
			return fail(s, line, "[%s] %s: '%s' is not a whole number from %ld to %ld", section, key, v,
				    k->min, k->max);
		return true;
	case PK_BOOL:
		if (!prof_parse_bool(v, &b))
			return fail(s, line, "[%s] %s: '%s' is not yes or no", section, key, v);
		return true;
	case PK_DATE:
		if (!valid_date(v))
			return fail(s, line, "[%s] %s: '%s' is not a date (YYYY-MM-DD)", section, key, v);
		return true;
	case PK_RULE:
		if (!rule_find(v))
			return fail(s, line, "[%s] %s: unknown rule '%s' (see docs/rules.md)", section, key, v);
		return true;
	case PK_HASH:
		if (strlen(v) != SHA256_HEX_LEN || strspn(v, "0123456789abcdefABCDEF") != SHA256_HEX_LEN)
			return fail(s, line, "[%s] %s: '%s' is not a SHA-256 (64 hex digits)", section, key, v);
		return true;
	case PK_THUMBPRINT:
		if (strlen(v) != 40 || strspn(v, "0123456789abcdefABCDEF") != 40)
			return fail(s, line, "[%s] %s: '%s' is not a SHA-1 thumbprint (40 hex digits)", section, key, v);
		return true;
	case PK_PATH: {
		/* Globs backtrack: a few stars keep matching cheap on hostile paths. */
		unsigned stars = 0;
		for (const char *c = v; *c; c++)
			stars += *c == '*' && c[1] != '*';
		if (!*v)
			return fail(s, line, "[%s] %s: empty path", section, key);
		if (stars > 4)
			return fail(s, line, "[%s] %s: more than 4 '*' in one path", section, key);
		return true;
	}
	case PK_LIST: {
		size_t cnt;
		char **items = prof_split_list(v, &cnt);
		bool ok = true;
		if (!strcasecmp(key, "risky_extensions"))
			for (size_t i = 0; i < cnt && ok; i++)
				if (items[i][0] != '.' || !items[i][1] || strpbrk(items[i], "/\\*"))
					ok = fail(s, line, "[%s] %s: '%s' is not an extension such as .vbs", section, key, items[i]);
		prof_free_items(items, cnt);
		return ok;
	}
	case PK_FILES:
		if (*v && !s->dir)
			return fail(s, line, "[%s] %s: a shipped profile cannot name files", section, key);
		return true;
	case PK_STRING:
	case PK_PROFILES:
		return true;
	}
	return true;
}

/* One "key = value" line (value NULL: a line without '='): checked, then
 * kept in s->out; an include line's profiles are read right away. Returns
 * 1, or 0 when the line was reported. */
static int take_key(struct src *s, const char *section, const char *key, const char *value)
{
	const struct profile_key *k;
	struct entry e;
	char *resolved = NULL;

	if (!value)
		return fail(s, s->line, "expected '[section]' or 'key = value'");
	if (*section && !section_known(section))
		return fail(s, s->line, "unknown section [%s]", section);
	if (!*section || !strcasecmp(section, "profile")) {
		if (!*section && strcasecmp(key, "include") != 0)
			return fail(s, s->line, "'%s' outside a section (only include may be there)", key);
		section = "profile";
	}
	k = prof_key_find(section, key);
	if (!k) {
		if (!strcasecmp(section, "rules"))
			return fail(s, s->line, "[rules] unknown rule '%s' (see docs/rules.md)", key);
		return fail(s, s->line, "[%s] unknown key '%s'", section, key);
	}
	if (!check_value(s, s->line, section, k, key, value))
		return 0;
	struct entry *dup = prof_entries_find(s->out, section, key);
	if (dup)
		return fail(s, s->line, "[%s] %s is set twice (first on line %u)", section, key, dup->line);
	if (s->out->n >= PROFILE_MAX_ENTRIES)
		return fail(s, s->line, "too many keys");
	if (k->type == PK_FILES) {
		/* Resolved now: relative to this file, whoever includes it. */
		size_t cnt;
		char **items = prof_split_list(value, &cnt);
		size_t len = 0;
		for (size_t i = 0; i < cnt; i++) {
			char *p = items[i][0] == '/' ? xstrdup(items[i]) : xasprintf("%s/%s", s->dir, items[i]);
			size_t add = strlen(p) + 3;
			resolved = xrealloc(resolved, len + add);
			len += (size_t)snprintf(resolved + len, add, "%s%s", i ? ", " : "", p);
			free(p);
		}
		prof_free_items(items, cnt);
	}
	e.section = (char *)section;
	e.key = (char *)key;
	e.value = resolved ? resolved : (char *)value;
	e.origin = xasprintf("%s:%u", s->name, s->line);
	e.line = s->line;
	/* Keys keep the table's spelling, so later lookups and show agree. */
	if (strcmp(k->key, "*") != 0)
		e.key = (char *)k->key;
	prof_entries_set(s->out, &e);
	free(e.origin);
	free(resolved);
	if (k->type == PK_PROFILES)
		prof_include(s, value);
	return 1;
}

/* inih's handler: always "go on" (its first-error line is not how errors
 * are reported), so that it hands over every line, keys without a value
 * too. */
static int src_handler(void *user, const char *section, const char *key, const char *value)
{
	struct src *s = user;

	if (!s->bad_section)
		take_key(s, section, key, value);
	return 1;
}

/* The checks inih cannot make, on one line of n bytes (no newline) before
 * it sees the line: limits, NUL bytes, UTF-8, and section headers (a
 * section that holds no key would pass without a word). Returns false when
 * the line was reported; inih then gets an empty line, so that one mistake
 * is one error, and the keys under a section header that was reported are
 * not looked at either. */
static bool line_ok(struct src *s, const unsigned char *p, size_t n)
{
	size_t a = s->line == 1 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3) ? 3 : 0;

	/* The white space inih skips before a '[' (isspace). */
	while (a < n && (p[a] == ' ' || p[a] == '\t' || p[a] == '\v' || p[a] == '\f' || p[a] == '\r'))
		a++;
	bool header = a < n && p[a] == '[';
	if (header)
		s->bad_section = true;   /* until the header is found good */
	if (n > PROFILE_MAX_LINE)
		return fail(s, s->line, "line longer than %u bytes", PROFILE_MAX_LINE);
	if (memchr(p, '\0', n))
		return fail(s, s->line, "NUL byte: not a text file");
	for (size_t k = 0; k < n;) {
		unsigned c = p[k], need = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
		if (need == 9 || k + need >= n + (need == 0))
			return fail(s, s->line, "not UTF-8 text");
		for (unsigned j = 1; j <= need; j++)
			if ((p[k + j] & 0xC0) != 0x80)
				return fail(s, s->line, "not UTF-8 text");
		k += need + 1;
	}
	if (!header)
		return true;
	const unsigned char *close = memchr(p + a, ']', n - a);
	if (!close)
		return fail(s, s->line, "section header without ']'");
	char *name = xstrndup((const char *)p + a + 1, (size_t)(close - p - a - 1));
	bool ok = *name && section_known(name);
	if (!ok)
		fail(s, s->line, "unknown section [%s]", name);
	free(name);
	s->bad_section = !ok;
	return ok;
}

/* inih's reader: hands out one whole line at a time (line_ok caps its
 * length below inih's buffer), and counts lines so errors carry their
 * number. */
static char *src_reader(char *str, int num, void *stream)
{
	struct src *s = stream;

	if (s->pos >= s->len || num <= 1 || prof_diag_full(s->L))
		return NULL;
	const char *p = s->text + s->pos, *nl = memchr(p, '\n', s->len - s->pos);
	size_t n = nl ? (size_t)(nl - p) : s->len - s->pos;
	s->pos += n + (nl != NULL);
	s->line++;
	if (!line_ok(s, (const unsigned char *)p, n) || n + 2 > (size_t)num)
		n = 0;
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

void prof_parse_src(struct src *s)
{
	if (s->len > PROFILE_MAX_SIZE) {
		fail(s, 0, "larger than %u bytes: not a profile", PROFILE_MAX_SIZE);
		return;
	}
	ini_allow_multiline = false;
	ini_allow_no_value = true;   /* such a line reaches the handler, which names it */
	ini_stop_on_first_error = false;
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = PROFILE_MAX_LINE + 3;
	/* The heap buffer starts at ini_initial_alloc and, without realloc, stays
	 * there: a line longer than 200 bytes would be cut and misread. */
	ini_initial_alloc = PROFILE_MAX_LINE + 3;
	int rc = ini_parse_stream(src_reader, s, src_handler, s);
	/* The handler never refuses and the reader hands inih no line it would
	 * refuse; should it still find one, it does not pass unsaid. */
	if (rc > 0 && !prof_diag_full(s->L))
		fail(s, (unsigned)rc, "expected '[section]' or 'key = value'");
	if (rc < 0)
		fail(s, 0, "cannot parse: out of memory");
}
