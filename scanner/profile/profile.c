/* Profiles: read INI files with inih, follow includes, validate every key
 * against profile_keys[], and build the effective profile.
 *
 * A profile decides whether a machine goes onto a plant floor, so nothing
 * in it is guessed: an unknown section or key, a bad value, a duplicate, a
 * missing include or a cycle is an error with FILE:LINE, and no scan runs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <ini.h>

#include <kenshu/core.h>
#include <kenshu/av.h>
#include <kenshu/profile.h>
#include <kenshu/banned.h>

#define PROFILE_MAX_SIZE (1u << 20)   /* a profile is text written by a person */
#define PROFILE_MAX_LINE 4096
#define PROFILE_MAX_DEPTH 16
#define PROFILE_MAX_ENTRIES 100000

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

static const char *const shipped[] = { "default", "strict", "example-vendor", NULL };

const char *const *profile_shipped(void)
{
	return shipped;
}

static void entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].section);
		free(e->v[i].key);
		free(e->v[i].value);
		free(e->v[i].origin);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

static struct entry *entries_find(struct entries *e, const char *section, const char *key)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcasecmp(e->v[i].section, section) && !strcasecmp(e->v[i].key, key))
			return &e->v[i];
	return NULL;
}

/* Sets or overrides section/key: the later source wins. */
static void entries_set(struct entries *e, const struct entry *src)
{
	struct entry *d = entries_find(e, src->section, src->key);

	if (!d) {
		e->v = xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
		d = &e->v[e->n++];
		d->section = xstrdup(src->section);
		d->key = xstrdup(src->key);
	} else {
		free(d->value);
		free(d->origin);
	}
	d->value = xstrdup(src->value);
	d->origin = xstrdup(src->origin);
	d->line = src->line;
}

/* The key table row for section/key; a named section "allow.x" matches
 * "allow.*", any rule id matches [rules] "*". */
static const struct profile_key *key_find(const char *section, const char *key)
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

static int fail(struct src *s, unsigned line, const char *fmt, ...) KS_PRINTF(3, 4);
static int fail(struct src *s, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (s->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		ks_fail(s->err, KS_EINPUT, "%s:%u: %s", s->name, line, msg);
	else
		ks_fail(s->err, KS_EINPUT, "%s: %s", s->name, msg);
	s->failed = true;
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

static bool parse_bool(const char *v, bool *out)
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

static bool parse_long(const char *v, long *out)
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
static char **split_list(const char *v, size_t *n)
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

static void free_items(char **items, size_t n)
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
		if (!parse_long(v, &n) || n < k->min || n > k->max)
			return fail(s, line, "[%s] %s: '%s' is not a whole number from %ld to %ld", section, key, v,
				    k->min, k->max);
		return true;
	case PK_BOOL:
		if (!parse_bool(v, &b))
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
		char **items = split_list(v, &cnt);
		bool ok = true;
		if (!strcasecmp(key, "risky_extensions"))
			for (size_t i = 0; i < cnt && ok; i++)
				if (items[i][0] != '.' || !items[i][1] || strpbrk(items[i], "/\\*"))
					ok = fail(s, line, "[%s] %s: '%s' is not an extension such as .vbs", section, key, items[i]);
		free_items(items, cnt);
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

/* inih's reader: hands out one line (or a part of a long one) at a time,
 * and counts lines so errors carry their number. */
static char *src_reader(char *str, int num, void *stream)
{
	struct src *s = stream;
	size_t n = 0;

	if (s->pos >= s->len || num <= 1)
		return NULL;
	if (s->at_start)
		s->line++;
	while (s->pos < s->len && n + 1 < (size_t)num) {
		char c = s->text[s->pos++];
		str[n++] = c;
		if (c == '\n')
			break;
	}
	str[n] = '\0';
	s->at_start = n > 0 && str[n - 1] == '\n';
	return str;
}

static int src_handler(void *user, const char *section, const char *key, const char *value)
{
	struct src *s = user;
	const struct profile_key *k;
	struct entry e;
	char *resolved = NULL;

	if (s->failed)
		return 0;
	if (*section && !section_known(section))
		return fail(s, s->line, "unknown section [%s]", section);
	if (!*section || !strcasecmp(section, "profile")) {
		if (!*section && strcasecmp(key, "include") != 0)
			return fail(s, s->line, "'%s' outside a section (only include may be there)", key);
		section = "profile";
	}
	k = key_find(section, key);
	if (!k) {
		if (!strcasecmp(section, "rules"))
			return fail(s, s->line, "[rules] unknown rule '%s' (see docs/rules.md)", key);
		return fail(s, s->line, "[%s] unknown key '%s'", section, key);
	}
	if (!check_value(s, s->line, section, k, key, value))
		return 0;
	struct entry *dup = entries_find(s->out, section, key);
	if (dup)
		return fail(s, s->line, "[%s] %s is set twice (first on line %u)", section, key, dup->line);
	if (s->out->n >= PROFILE_MAX_ENTRIES)
		return fail(s, s->line, "too many keys");
	if (k->type == PK_FILES) {
		/* Resolved now: relative to this file, whoever includes it. */
		size_t cnt;
		char **items = split_list(value, &cnt);
		size_t len = 0;
		for (size_t i = 0; i < cnt; i++) {
			char *p = items[i][0] == '/' ? xstrdup(items[i]) : xasprintf("%s/%s", s->dir, items[i]);
			size_t add = strlen(p) + 3;
			resolved = xrealloc(resolved, len + add);
			len += (size_t)snprintf(resolved + len, add, "%s%s", i ? ", " : "", p);
			free(p);
		}
		free_items(items, cnt);
	}
	e.section = (char *)section;
	e.key = (char *)key;
	e.value = resolved ? resolved : (char *)value;
	e.origin = xasprintf("%s:%u", s->name, s->line);
	e.line = s->line;
	/* Keys keep the table's spelling, so later lookups and show agree. */
	if (strcmp(k->key, "*") != 0)
		e.key = (char *)k->key;
	entries_set(s->out, &e);
	free(e.origin);
	free(resolved);
	return 1;
}

/* Before inih sees the text: limits, NUL bytes, UTF-8, and sections that
 * hold no key (inih would pass over them without a word). */
static int precheck(struct src *s)
{
	unsigned line = 1;
	size_t start = 0;

	if (s->len > PROFILE_MAX_SIZE)
		return fail(s, 0, "larger than %u bytes: not a profile", PROFILE_MAX_SIZE), -1;
	for (size_t i = 0; i <= s->len; i++) {
		if (i < s->len && s->text[i] != '\n')
			continue;
		size_t n = i - start;
		const unsigned char *p = (const unsigned char *)s->text + start;
		if (n > PROFILE_MAX_LINE)
			return fail(s, line, "line longer than %u bytes", PROFILE_MAX_LINE), -1;
		if (memchr(p, '\0', n))
			return fail(s, line, "NUL byte: not a text file"), -1;
		for (size_t k = 0; k < n;) {
			unsigned c = p[k], need = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
			if (need == 9 || k + need >= n + (need == 0))
				return fail(s, line, "not UTF-8 text"), -1;
			for (unsigned j = 1; j <= need; j++)
				if ((p[k + j] & 0xC0) != 0x80)
					return fail(s, line, "not UTF-8 text"), -1;
			k += need + 1;
		}
		size_t a = line == 1 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3) ? 3 : 0;
		while (a < n && (p[a] == ' ' || p[a] == '\t'))
			a++;
		if (a < n && p[a] == '[') {
			const unsigned char *close = memchr(p + a, ']', n - a);
			if (!close)
				return fail(s, line, "section header without ']'"), -1;
			char *name = xstrndup((const char *)p + a + 1, (size_t)(close - p - a - 1));
			bool ok = *name && section_known(name);
			if (!ok)
				fail(s, line, "unknown section [%s]", name);
			free(name);
			if (!ok)
				return -1;
		}
		start = i + 1;
		line++;
	}
	return 0;
}

static int parse_src(struct src *s)
{
	if (precheck(s) < 0)
		return -1;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = PROFILE_MAX_LINE + 3;
	/* The heap buffer starts at ini_initial_alloc and, without realloc, stays
	 * there: a line longer than 200 bytes would be cut and misread. */
	ini_initial_alloc = PROFILE_MAX_LINE + 3;
	s->at_start = true;
	int rc = ini_parse_stream(src_reader, s, src_handler, s);
	if (s->failed)
		return -1;
	if (rc > 0)
		return fail(s, (unsigned)rc, "expected '[section]' or 'key = value'"), -1;
	if (rc < 0)
		return fail(s, 0, "cannot parse: out of memory"), -1;
	return 0;
}

struct loader {
	struct profile *p;
	char *stack[PROFILE_MAX_DEPTH];
	unsigned depth;
	struct ks_err *err;
};

static bool is_shipped(const char *name)
{
	for (size_t i = 0; shipped[i]; i++)
		if (!strcmp(shipped[i], name))
			return true;
	return false;
}

static int load_one(struct loader *L, const char *ref, const char *from_dir, const char *from, unsigned from_line,
		    struct entries *out);

/* Reads ref (a path, or a shipped name) into *text. */
static int read_source(struct loader *L, const char *ref, const char *from_dir, char **id, char **dir,
		       char **text, size_t *len, bool *from_shipped)
{
	char *path = ref[0] == '/' || !from_dir ? xstrdup(ref) : xasprintf("%s/%s", from_dir, ref);
	struct stat st;
	char *base = NULL;

	*from_shipped = false;
	if (stat(path, &st) < 0) {
		/* Not a file: a shipped profile's name ("default" or "default.ini"). */
		base = xstrdup(ref);
		size_t bl = strlen(base);
		if (bl > 4 && !strcmp(base + bl - 4, ".ini"))
			base[bl - 4] = '\0';
		if (!strchr(ref, '/') && is_shipped(base)) {
			char *file = xasprintf("%s.ini", base);
			const char *data = embedded_file(file, len);
			free(file);
			if (data) {
				*text = xstrndup(data, *len);
				*id = xasprintf("shipped:%s", base);
				*dir = NULL;
				*from_shipped = true;
				free(base);
				free(path);
				return 0;
			}
		}
		if (errno == ENOENT && !strchr(ref, '/'))
			ks_fail(L->err, KS_EINPUT, "%s: no such profile file, and not a shipped profile "
				 "(default, strict, example-vendor)", path);
		else
			ks_fail(L->err, KS_EIO, "%s: %s", path, strerror(errno));
		free(base);
		free(path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		ks_fail(L->err, KS_EINPUT, "%s: not a regular file", path);
		free(path);
		return -1;
	}
	if ((uint64_t)st.st_size > PROFILE_MAX_SIZE) {
		ks_fail(L->err, KS_EINPUT, "%s: larger than %u bytes: not a profile", path, PROFILE_MAX_SIZE);
		free(path);
		return -1;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		ks_fail(L->err, KS_EIO, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	*text = xmalloc((size_t)st.st_size + 1);
	*len = fread(*text, 1, (size_t)st.st_size, f);
	(*text)[*len] = '\0';
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		ks_fail(L->err, KS_EINPUT, "%s: cannot read", path);
		free(*text);
		free(path);
		return -1;
	}
	char *real = realpath(path, NULL);
	*id = real ? real : xstrdup(path);
	char *slash = strrchr(*id, '/');
	*dir = slash ? xstrndup(*id, (size_t)(slash - *id)) : xstrdup(".");
	if (slash && slash == *id) {
		free(*dir);
		*dir = xstrdup("/");
	}
	free(path);
	return 0;
}

static int load_one(struct loader *L, const char *ref, const char *from_dir, const char *from, unsigned from_line,
		    struct entries *out)
{
	char *id = NULL, *dir = NULL, *text = NULL;
	size_t len = 0;
	bool is_ship;
	struct entries own = { 0 };
	int rc = -1;

	if (read_source(L, ref, from_dir, &id, &dir, &text, &len, &is_ship) < 0) {
		if (from) {
			/* The includer's line is what the user must fix. */
			char inner[400];
			snprintf(inner, sizeof(inner), "%.399s", L->err->msg);
			ks_fail(L->err, KS_EINPUT, "%s:%u: include '%s': %s", from, from_line, ref,
				 strchr(inner, ':') ? strchr(inner, ':') + 2 : inner);
		}
		return -1;
	}
	for (unsigned i = 0; i < L->depth; i++)
		if (!strcmp(L->stack[i], id)) {
			ks_fail(L->err, KS_EINPUT, "%s:%u: include '%s': cycle (%s is already being read)",
				 from, from_line, ref, id);
			goto out;
		}
	if (L->depth >= PROFILE_MAX_DEPTH) {
		ks_fail(L->err, KS_EINPUT, "%s:%u: include '%s': more than %d levels of includes", from, from_line,
			 ref, PROFILE_MAX_DEPTH);
		goto out;
	}
	L->stack[L->depth++] = id;

	struct src s = { .name = id, .dir = dir, .text = text, .len = len, .out = &own,
			 .err = L->err };
	struct profile *p = L->p;
	p->files = xrealloc(p->files, (p->nfiles + 1) * sizeof(*p->files));
	struct profile_file *pf = &p->files[p->nfiles++];
	pf->source = xstrdup(id);
	struct sha256 *h = sha256_new();
	sha256_update(h, text, len);
	sha256_final_hex(h, pf->sha256);
	sha256_free(h);

	if (parse_src(&s) < 0)
		goto pop;
	/* Includes first, then this file's own keys over them. */
	struct entry *inc = entries_find(&own, "profile", "include");
	if (inc) {
		size_t cnt;
		char **items = split_list(inc->value, &cnt);
		int bad = 0;
		char *inc_origin = xstrdup(id);
		for (size_t i = 0; i < cnt && !bad; i++)
			bad = load_one(L, items[i], dir, inc_origin, inc->line, out) < 0;
		free(inc_origin);
		free_items(items, cnt);
		if (bad)
			goto pop;
	}
	for (size_t i = 0; i < own.n; i++)
		entries_set(out, &own.v[i]);
	rc = 0;
pop:
	L->depth--;
out:
	entries_free(&own);
	free(id);
	free(dir);
	free(text);
	return rc;
}

static const char *eff_value(const struct profile *p, const char *section, const char *key)
{
	struct entry *e = entries_find((struct entries *)&p->eff, section, key);

	if (e)
		return e->value;
	for (size_t i = 0; i < profile_nkeys; i++)
		if (!strcmp(profile_keys[i].section, section) && !strcmp(profile_keys[i].key, key))
			return profile_keys[i].def;
	return NULL;
}

static void add_list(struct profile *p, const char *section, const char *key)
{
	const char *v = eff_value(p, section, key);

	p->lists = xrealloc(p->lists, (p->nlists + 1) * sizeof(*p->lists));
	struct list *l = &p->lists[p->nlists++];
	l->section = xstrdup(section);
	l->key = xstrdup(key);
	l->items = split_list(v ? v : "", &l->n);
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
	l->items[l->n] = NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Named sections ("allow.x", "waiver.y") gathered from the effective keys,
 * with the checks that span keys. */
static int build_named(struct profile *p, struct ks_err *err)
{
	for (size_t i = 0; i < p->eff.n; i++) {
		const struct entry *e = &p->eff.v[i];
		bool allow = !strncasecmp(e->section, "allow.", 6), waiver = !strncasecmp(e->section, "waiver.", 7);
		const char *name = e->section + (allow ? 6 : 7);
		bool seen = false;

		if (!allow && !waiver)
			continue;
		for (size_t k = 0; k < i; k++)
			seen |= !strcasecmp(p->eff.v[k].section, e->section);
		if (seen)
			continue;
		const char *path = eff_value(p, e->section, "path"), *sha = eff_value(p, e->section, "sha256");
		if (!path && !sha) {
			ks_fail(err, KS_EINPUT, "%s: [%s] needs path or sha256 (or both)", e->origin, e->section);
			return -1;
		}
		if (allow) {
			p->allows = xrealloc(p->allows, (p->nallows + 1) * sizeof(*p->allows));
			struct profile_allow *a = &p->allows[p->nallows++];
			a->name = xstrdup(name);
			a->path = dup_or_null(path);
			a->sha256 = dup_or_null(sha);
			a->vendor = dup_or_null(eff_value(p, e->section, "vendor"));
			a->comment = dup_or_null(eff_value(p, e->section, "comment"));
			a->origin = xstrdup(e->origin);
			continue;
		}
		for (size_t k = 0; k < profile_nkeys; k++) {
			const struct profile_key *pk = &profile_keys[k];
			if (!strcmp(pk->section, "waiver.*") && pk->required && !eff_value(p, e->section, pk->key)) {
				ks_fail(err, KS_EINPUT, "%s: [%s] needs %s", e->origin, e->section, pk->key);
				return -1;
			}
		}
		p->waivers = xrealloc(p->waivers, (p->nwaivers + 1) * sizeof(*p->waivers));
		struct profile_waiver *w = &p->waivers[p->nwaivers++];
		w->name = xstrdup(name);
		w->rule = xstrdup(eff_value(p, e->section, "rule"));
		w->path = dup_or_null(path);
		w->sha256 = dup_or_null(sha);
		w->reason = xstrdup(eff_value(p, e->section, "reason"));
		w->approver = xstrdup(eff_value(p, e->section, "approver"));
		snprintf(w->expires, sizeof(w->expires), "%s", eff_value(p, e->section, "expires"));
		w->origin = xstrdup(e->origin);
	}
	return 0;
}

int profile_load(const char *name_or_path, struct profile **out, struct ks_err *err)
{
	struct profile *p = xcalloc(1, sizeof(*p));
	struct ks_err own;
	if (!err)
		err = &own;   /* the loader reads its own messages back (includes) */
	struct loader L = { .p = p, .err = err };
	*out = NULL;
	ks_err_clear(err);
	if (!*name_or_path) {
		ks_fail(err, KS_EINPUT, "empty profile name");
		goto fail;
	}
	if (load_one(&L, name_or_path, NULL, NULL, 0, &p->eff) < 0)
		goto fail;
	p->source = xstrdup(p->files[0].source);
	memcpy(p->sha256, p->files[0].sha256, sizeof(p->sha256));
	const char *nm = eff_value(p, "profile", "name");
	p->name = xstrdup(nm && *nm ? nm : p->source);

	p->sev = xcalloc(rule_count, sizeof(*p->sev));
	for (size_t i = 0; i < rule_count; i++) {
		const char *v = eff_value(p, "rules", rule_table[i].id);
		if (!v || severity_parse(v, &p->sev[i]) < 0)
			p->sev[i] = rule_table[i].def;
	}
	for (size_t i = 0; i < profile_nkeys; i++)
		if (profile_keys[i].type == PK_LIST || profile_keys[i].type == PK_FILES)
			add_list(p, profile_keys[i].section, profile_keys[i].key);
	if (build_named(p, err) < 0)
		goto fail;

	size_t nh, ns;
	const char *const *hl = profile_list(p, "ioc", "hash_list", &nh);
	const char *const *sl = profile_list(p, "ioc", "string_list", &ns);
	if (nh || ns) {
		if (ioc_load(hl, nh, sl, ns, &p->ioc, err) < 0)
			goto fail;
	}

	/* The effective hash: the canonical text without origins. */
	char *buf = NULL;
	size_t blen = 0;
	FILE *m = open_memstream(&buf, &blen);
	if (!m)
		BUG("open_memstream: %s", strerror(errno));
	profile_write(p, m, false);
	fclose(m);
	struct sha256 *h = sha256_new();
	sha256_update(h, buf, blen);
	sha256_final_hex(h, p->effective);
	sha256_free(h);
	free(buf);
	*out = p;
	return 0;
fail:
	profile_free(p);
	return -1;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	free(p->source);
	free(p->name);
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].source);
	free(p->files);
	entries_free(&p->eff);
	free(p->sev);
	for (size_t i = 0; i < p->nlists; i++) {
		free(p->lists[i].section);
		free(p->lists[i].key);
		free_items(p->lists[i].items, p->lists[i].n);
	}
	free(p->lists);
	for (size_t i = 0; i < p->nallows; i++) {
		struct profile_allow *a = &p->allows[i];
		free(a->name);
		free(a->path);
		free(a->sha256);
		free(a->vendor);
		free(a->comment);
		free(a->origin);
	}
	free(p->allows);
	for (size_t i = 0; i < p->nwaivers; i++)
		profile_waiver_clear(&p->waivers[i]);
	free(p->waivers);
	if (p->ioc)
		ioc_free(p->ioc);
	free(p);
}

void profile_waiver_copy(struct profile_waiver *dst, const struct profile_waiver *src)
{
	dst->name = xstrdup(src->name);
	dst->rule = xstrdup(src->rule);
	dst->path = dup_or_null(src->path);
	dst->sha256 = dup_or_null(src->sha256);
	dst->reason = xstrdup(src->reason);
	dst->approver = xstrdup(src->approver);
	memcpy(dst->expires, src->expires, sizeof(dst->expires));
	dst->origin = xstrdup(src->origin);
}

void profile_waiver_clear(struct profile_waiver *w)
{
	free(w->name);
	free(w->rule);
	free(w->path);
	free(w->sha256);
	free(w->reason);
	free(w->approver);
	free(w->origin);
	memset(w, 0, sizeof(*w));
}

const char *profile_name(const struct profile *p) { return p->name; }
const char *profile_source(const struct profile *p) { return p->source; }
const char *profile_sha256(const struct profile *p) { return p->sha256; }
const char *profile_effective_sha256(const struct profile *p) { return p->effective; }
size_t profile_nfiles(const struct profile *p) { return p->nfiles; }
const struct profile_file *profile_file(const struct profile *p, size_t i) { return &p->files[i]; }
size_t profile_nallows(const struct profile *p) { return p->nallows; }
const struct profile_allow *profile_allow(const struct profile *p, size_t i) { return &p->allows[i]; }
size_t profile_nwaivers(const struct profile *p) { return p->nwaivers; }
const struct profile_waiver *profile_waiver(const struct profile *p, size_t i) { return &p->waivers[i]; }
const struct ioc *profile_ioc(const struct profile *p) { return p->ioc; }

enum severity profile_severity(const struct profile *p, const char *rule)
{
	int i = rule_index(rule);

	if (i < 0)
		BUG("unknown rule '%s'", rule);
	return p->sev[i];
}

enum severity profile_key_severity(const struct profile *p, const char *section, const char *key)
{
	const char *v = eff_value(p, section, key);
	enum severity s;

	if (!v || severity_parse(v, &s) < 0)
		BUG("profile key [%s] %s is not a severity", section, key);
	return s;
}

long profile_int(const struct profile *p, const char *section, const char *key)
{
	const char *v = eff_value(p, section, key);
	long n = 0;

	if (!v || !parse_long(v, &n))
		BUG("profile key [%s] %s is not a number", section, key);
	return n;
}

bool profile_bool(const struct profile *p, const char *section, const char *key)
{
	const char *v = eff_value(p, section, key);
	bool b = false;

	if (!v || !parse_bool(v, &b))
		BUG("profile key [%s] %s is not yes/no", section, key);
	return b;
}

const char *const *profile_list(const struct profile *p, const char *section, const char *key, size_t *n)
{
	for (size_t i = 0; i < p->nlists; i++)
		if (!strcmp(p->lists[i].section, section) && !strcmp(p->lists[i].key, key)) {
			*n = p->lists[i].n;
			return (const char *const *)p->lists[i].items;
		}
	BUG("profile key [%s] %s is not a list", section, key);
}

static void write_key(FILE *f, const struct profile *p, const char *section, const char *key, const char *def,
		      bool origins)
{
	struct entry *e = entries_find((struct entries *)&p->eff, section, key);
	const char *v = e ? e->value : def;

	if (!v)
		return;
	const struct profile_key *k = key_find(section, key);
	if (!origins && k && k->type == PK_FILES && *v) {
		/* The effective hash stands for what decides: a feed's content,
		 * not where the profile happens to lie on this machine. */
		size_t cnt;
		char **items = split_list(v, &cnt);
		fprintf(f, "%s = ", key);
		for (size_t i = 0; i < cnt; i++) {
			char hex[SHA256_HEX_LEN + 1];
			uint64_t size;
			if (sha256_file(items[i], hex, &size) < 0)
				snprintf(hex, sizeof(hex), "unreadable");
			fprintf(f, "%ssha256:%s", i ? ", " : "", hex);
		}
		free_items(items, cnt);
		fputc('\n', f);
		return;
	}
	fprintf(f, "%s = %s", key, v);
	if (origins)
		fprintf(f, "    ; %s", e ? e->origin : "built-in default");
	fputc('\n', f);
}

/* Sections in table order, keys in table order, named sections sorted by
 * name: the same effective profile always gives the same text. */
void profile_write(const struct profile *p, FILE *f, bool origins)
{
	const char *last = NULL;

	if (origins) {
		fprintf(f, "; effective profile %s\n; source %s\n", p->name, p->source);
		for (size_t i = 1; i < p->nfiles; i++)
			fprintf(f, "; includes %s\n", p->files[i].source);
	}
	for (size_t i = 0; i < profile_nkeys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (strchr(k->section, '.'))
			continue;
		if (!last || strcmp(last, k->section) != 0) {
			fprintf(f, "%s[%s]\n", last ? "\n" : "", k->section);
			last = k->section;
		}
		if (!strcmp(k->key, "*")) {
			for (size_t r = 0; r < rule_count; r++)
				write_key(f, p, "rules", rule_table[r].id, severity_name(p->sev[r]), origins);
			continue;
		}
		if (!strcmp(k->key, "include"))
			continue;   /* already followed: the effective profile stands alone */
		write_key(f, p, k->section, k->key, k->def, origins);
	}
	/* Named sections, sorted by section name. */
	size_t n = 0;
	const char **names = NULL;
	for (size_t i = 0; i < p->eff.n; i++) {
		const char *s = p->eff.v[i].section;
		bool seen = false;
		if (!strchr(s, '.'))
			continue;
		for (size_t k = 0; k < n; k++)
			seen |= !strcasecmp(names[k], s);
		if (!seen) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = s;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcasecmp(names[k - 1], names[k]) > 0; k--) {
			const char *t = names[k];
			names[k] = names[k - 1];
			names[k - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		const char *base = !strncasecmp(names[i], "allow.", 6) ? "allow.*" : "waiver.*";
		fprintf(f, "\n[%s]\n", names[i]);
		for (size_t k = 0; k < profile_nkeys; k++)
			if (!strcmp(profile_keys[k].section, base))
				write_key(f, p, names[i], profile_keys[k].key, NULL, origins);
	}
	free(names);
}

/* Lower-cases, turns '\' into '/', drops a drive letter and doubled or
 * trailing slashes: "C:\\Program Files\\X" and "/program files/x" agree. */
static char *norm_path(const char *s)
{
	char *o = xmalloc(strlen(s) + 2), *q = o;

	if (((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) && s[1] == ':')
		s += 2;
	if (*s != '/' && *s != '\\')
		*q++ = '/';
	for (; *s; s++) {
		char c = *s == '\\' ? '/' : *s;
		if (c == '/' && q > o && q[-1] == '/')
			continue;
		*q++ = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (q > o + 1 && q[-1] == '/')
		q--;
	*q = '\0';
	return o;
}

static bool glob(const char *p, const char *s)
{
	/* Iterative with one backtrack point per star kind, as fnmatch does. */
	while (*p) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			for (const char *t = s;; t++) {
				if (glob(p, t))
					return true;
				if (!*t)
					return false;
			}
		}
		if (*p == '*') {
			p++;
			for (const char *t = s;; t++) {
				if (glob(p, t))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return !*s;
}

bool profile_path_match(const char *pattern, const char *path)
{
	char *a = norm_path(pattern), *b = norm_path(path);
	bool m = glob(a, b);

	free(a);
	free(b);
	return m;
}
