/* IOC feeds: reading, checking and re-fanging each line, keeping each
 * indicator once, and writing the ClamAV databases they compile to. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/av.h>
#include <kenshu/banned.h>

#define SIG_PREFIX "Kenshu.IOC."
#define UNOFFICIAL ".UNOFFICIAL"

struct item {
	struct ioc_entry pub;
	char *orig;          /* strings: as the feed wrote it (re-fanged), one more case to match */
};

struct ioc {
	struct item *items;
	size_t n, alloc;
	struct ioc_feed *feeds;
	size_t nfeeds;
	uint32_t *slots;     /* de-duplication table: index + 1 into items, 0 = empty */
	size_t nslots;       /* a power of two, at least twice n */
};

/* The hash kinds, told apart by length as ClamAV's .hsb loader does. The
 * hash of empty content is refused: ClamAV never scans an empty file, and
 * such a line is a mistake in the feed rather than an indicator. */
static const struct {
	const char *kind;
	size_t hexlen;
	const char *empty;
} hash_kinds[] = {
	{ "md5", 32, "d41d8cd98f00b204e9800998ecf8427e" },
	{ "sha1", 40, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ "sha256", 64, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
};

/* Defanged spellings as CERT and ISAC reports write them, and what they
 * stand for (compared without regard to case). */
static const struct {
	const char *from, *to;
} defang[] = {
	{ "[.]", "." }, { "(.)", "." }, { "{.}", "." },
	{ "[dot]", "." }, { "(dot)", "." }, { "{dot}", "." }, { "\\.", "." },
	{ "[:]", ":" }, { "[://]", "://" }, { "[/]", "/" },
	{ "[@]", "@" }, { "[at]", "@" },
};

static const struct {
	const char *from, *to;
} defang_schemes[] = {
	{ "hxxps://", "https://" }, { "hxxp://", "http://" }, { "fxp://", "ftp://" },
};

/* The files ioc_write_databases() writes, and which indicators go where. */
static const struct {
	const char *file;
	bool hash;
} db_files[IOC_DB_FILES] = {
	{ "kenshu-ioc.hsb", true },
	{ "kenshu-ioc.ndb", false },
};

/* Where a message about a line points. */
struct pos {
	const char *feed;
	unsigned line;       /* 0: the file as a whole */
	struct ks_err *err;
};

static int fail(const struct pos *p, const char *fmt, ...) KS_PRINTF(2, 3);

static int fail(const struct pos *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		return ks_fail(p->err, KS_EINPUT, "%s:%u: %s", p->feed, p->line, msg);
	return ks_fail(p->err, KS_EINPUT, "%s: %s", p->feed, msg);
}

/* A short quotable form of a token for messages: feeds can be hostile. */
static const char *excerpt(const char *s, char out[48])
{
	size_t n = strlen(s);

	if (n < 44) {
		memcpy(out, s, n + 1);
	} else {
		/* Cut on a UTF-8 character boundary so the message stays valid text. */
		size_t cut = utf8_cut(s, 40);

		memcpy(out, s, cut);
		memcpy(out + cut, "...", 4);
	}
	return out;
}

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII case only: UTF-8 sequences are left as they are. */
static void ascii_case(char *s, bool upper)
{
	for (; *s; s++) {
		if (upper && *s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
		else if (!upper && *s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

static bool all_in(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

/* ---- one line of text ---- */

/* Refuses what is not one line of UTF-8 text: another encoding, a binary
 * file, control characters that would garble a report. */
static int check_text(const struct pos *p, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len, cp;

		if (c == 0)
			return fail(p, "NUL byte: not a text file");
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7F)
				return fail(p, "control character 0x%02X", c);
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			len = 2, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			len = 3, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			len = 4, cp = c & 0x07;
		else
			return fail(p, "not valid UTF-8 (save the feed as UTF-8 or ASCII)");
		if (i + len > n)
			return fail(p, "not valid UTF-8 (save the feed as UTF-8 or ASCII)");
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return fail(p, "not valid UTF-8 (save the feed as UTF-8 or ASCII)");
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return fail(p, "not valid UTF-8 (save the feed as UTF-8 or ASCII)");
		/* C1 controls: U+009B is a terminal's CSI, like ESC [. */
		if (cp < 0xA0)
			return fail(p, "control character U+%04X", cp);
		i += len;
	}
	return 0;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == ';' || c == '|';
}

static bool is_comment(const char *s)
{
	return *s == '#' || *s == ';' || (s[0] == '/' && s[1] == '/');
}

/* Splits a line into the indicator and its name. The indicator ends at a
 * separator unless it is a CSV quoted field ("a b", "say ""hi"""). The
 * name is what follows, less a comment marker and surrounding quotes. */
static int split(const struct pos *p, char *line, char **tok, char **name)
{
	char *s = line, *rest;

	if (*s == '"') {
		char *w = s, *r = s + 1;
		for (;;) {
			if (!*r)
				return fail(p, "unterminated quote");
			if (*r == '"' && r[1] == '"') {
				*w++ = '"';
				r += 2;
			} else if (*r == '"') {
				r++;
				break;
			} else {
				*w++ = *r++;
			}
		}
		if (*r && !is_sep(*r))
			return fail(p, "text after a closing quote");
		rest = r;
		*w = '\0';
	} else {
		rest = s + strcspn(s, " \t,;|");
		if (*rest)
			*rest++ = '\0';
	}
	*tok = s;
	while (*rest && is_sep(*rest))
		rest++;
	if (rest[0] == '#' || rest[0] == ';')
		rest++;
	else if (rest[0] == '/' && rest[1] == '/')
		rest += 2;
	rest = str_trim(rest, " \t");
	if (rest[0] == '"' && strlen(rest) >= 2 && rest[strlen(rest) - 1] == '"') {
		rest[strlen(rest) - 1] = '\0';
		rest++;
	}
	*name = *rest ? rest : NULL;
	return 0;
}

/* ---- hashes ---- */

static int parse_hash(const struct pos *p, char *tok, const char **kind)
{
	char *colon = strchr(tok, ':'), q[48];
	const char *want = NULL;
	size_t n;

	/* "sha256:ab12...", "SHA-1:..." as some exports prefix them. */
	if (colon) {
		char prefix[16];
		size_t k = 0;
		for (char *c = tok; c < colon; c++)
			if (*c != '-' && k + 1 < sizeof(prefix))
				prefix[k++] = *c;
		prefix[k] = '\0';
		for (size_t i = 0; i < sizeof(hash_kinds) / sizeof(hash_kinds[0]); i++)
			if (strcasecmp(prefix, hash_kinds[i].kind) == 0)
				want = hash_kinds[i].kind;
		if (!want)
			return fail(p, "'%s' is not an MD5, SHA-1 or SHA-256 hash "
				    "(unknown prefix; a header line? comment it out with #)",
				    excerpt(tok, q));
		memmove(tok, colon + 1, strlen(colon + 1) + 1);
	}
	n = strlen(tok);
	for (size_t i = 0; i < sizeof(hash_kinds) / sizeof(hash_kinds[0]); i++) {
		if (n != hash_kinds[i].hexlen || !all_in(tok, "0123456789abcdefABCDEF"))
			continue;
		if (want && strcmp(want, hash_kinds[i].kind) != 0)
			return fail(p, "'%s' is not a %s hash (%zu hex digits)", excerpt(tok, q), want, n);
		ascii_case(tok, false);
		if (strcmp(tok, hash_kinds[i].empty) == 0)
			return fail(p, "%s is the %s of empty content: it would match every empty file",
				    tok, hash_kinds[i].kind);
		*kind = hash_kinds[i].kind;
		return 0;
	}
	return fail(p, "'%s' is not an MD5, SHA-1 or SHA-256 hash (32, 40 or 64 hex digits; "
		    "a header line? comment it out with #)", excerpt(tok, q));
}

/* ---- strings ---- */

/* In place: every replacement is no longer than what it replaces. */
static void refang(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		size_t i, n = sizeof(defang) / sizeof(defang[0]);
		/* Every defanged spelling starts with one of these. */
		if (!strchr("[({\\", *r))
			i = n;
		else
			i = 0;
		for (; i < n; i++) {
			size_t fl = strlen(defang[i].from), tl = strlen(defang[i].to);
			if (strncasecmp(r, defang[i].from, fl) == 0) {
				memmove(w, defang[i].to, tl);
				w += tl;
				r += fl;
				break;
			}
		}
		if (i == n)
			*w++ = *r++;
	}
	*w = '\0';
	for (size_t i = 0; i < sizeof(defang_schemes) / sizeof(defang_schemes[0]); i++) {
		size_t fl = strlen(defang_schemes[i].from), tl = strlen(defang_schemes[i].to);
		if (strncasecmp(s, defang_schemes[i].from, fl) == 0) {
			memmove(s + tl, s + fl, strlen(s + fl) + 1);
			memcpy(s, defang_schemes[i].to, tl);
			break;
		}
	}
}

static bool ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

static bool ipv6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

/* NULL when d is a domain name (letters, digits, '-', '_', dots). */
static const char *domain_problem(const char *d)
{
	size_t label = 0;
	const char *last = d;

	if (strlen(d) > 253)
		return "longer than 253 characters";
	for (const char *c = d;; c++) {
		if (*c == '.' || !*c) {
			if (label == 0)
				return "an empty label";
			if (label > 63)
				return "a label longer than 63 characters";
			if (!*c)
				break;
			label = 0;
			last = c + 1;
		} else {
			label++;
		}
	}
	if (all_in(last, "0123456789"))
		return "the last label is a number";
	return NULL;
}

#define DOMAIN_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

/* URL: scheme "://" authority [path]. Lower-cases the scheme and the
 * authority (they are not case-sensitive; a path may be). */
static int check_url(const struct pos *p, char *s)
{
	char *sep = strstr(s, "://"), *host, *end, q[48];
	size_t hl;

	if (sep == s || !is_alnum((unsigned char)s[0]) || (s[0] >= '0' && s[0] <= '9'))
		return fail(p, "'%s' is not a valid URL (no scheme)", excerpt(s, q));
	for (char *c = s; c < sep; c++)
		if (!is_alnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.')
			return fail(p, "'%s' is not a valid URL (bad scheme)", excerpt(s, q));
	host = sep + 3;
	end = host + strcspn(host, "/?#");
	for (char *c = s; c < end; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	/* The host: after any user@, before any :port. */
	for (char *c = host; c < end; c++)
		if (*c == '@')
			host = c + 1;
	hl = (size_t)(end - host);
	if (hl && *host == '[') {
		char *close = memchr(host, ']', hl);
		char addr[64];
		size_t al = close ? (size_t)(close - host - 1) : 0;
		if (!close || al >= sizeof(addr))
			return fail(p, "'%s' is not a valid URL (bad IPv6 host)", excerpt(s, q));
		memcpy(addr, host + 1, al);
		addr[al] = '\0';
		if (!ipv6(addr))
			return fail(p, "'%s' is not a valid URL (bad IPv6 host)", excerpt(s, q));
		return 0;
	}
	for (char *c = end; c > host; c--)
		if (c[-1] == ':') {
			hl = (size_t)(c - 1 - host);
			break;
		}
	if (hl == 0)
		return fail(p, "'%s' is not a valid URL (no host)", excerpt(s, q));
	char *h = xstrndup(host, hl);
	const char *why = NULL;
	if (all_in(h, "0123456789.")) {
		if (!ipv4(h))
			why = "bad IPv4 host";
	} else if (all_in(h, DOMAIN_CHARS)) {
		why = domain_problem(h) ? "bad host name" : NULL;
	}
	free(h);
	return why ? fail(p, "'%s' is not a valid URL (%s)", excerpt(s, q), why) : 0;
}

/* Re-fangs and classifies a string; *s may be moved forward (a leading
 * "*." of a domain) and is lower-cased where case does not matter. *orig
 * (caller frees) gets it as the feed wrote it, when that differs. */
static int parse_string(const struct pos *p, char **sp, const char **kind, char **orig)
{
	char *s = *sp, q[48];
	size_t n;

	refang(s);
	*orig = NULL;
	n = strlen(s);
	if (n < IOC_MIN_STRING)
		return fail(p, "'%s' is shorter than %d bytes: it would match almost anything",
			    excerpt(s, q), IOC_MIN_STRING);
	if (strstr(s, "://")) {
		*orig = xstrdup(s);
		if (check_url(p, s) < 0)
			return -1;
		*kind = "url";
	} else if (all_in(s, "0123456789./") && strchr(s, '/')) {
		return fail(p, "'%s' is a CIDR range: only single addresses can be matched", excerpt(s, q));
	} else if (all_in(s, "0123456789.")) {
		if (!ipv4(s))
			return fail(p, "'%s' is not a valid IPv4 address", excerpt(s, q));
		*kind = "ip";
	} else if (all_in(s, "0123456789.:") && strchr(s, '.') && strchr(s, ':') == strrchr(s, ':')) {
		/* address:port */
		char *colon = strchr(s, ':');
		long port = strtol(colon + 1, NULL, 10);
		*colon = '\0';
		bool ok = ipv4(s) && colon[1] && strlen(colon + 1) <= 5 && port > 0 && port < 65536;
		*colon = ':';
		if (!ok)
			return fail(p, "'%s' is not a valid IPv4 address and port", excerpt(s, q));
		*kind = "ip";
	} else if (strchr(s, ':') && all_in(s, "0123456789abcdefABCDEF:./")) {
		if (strchr(s, '/'))
			return fail(p, "'%s' is a CIDR range: only single addresses can be matched",
				    excerpt(s, q));
		if (!ipv6(s))
			return fail(p, "'%s' is not a valid IPv6 address", excerpt(s, q));
		*orig = xstrdup(s);
		ascii_case(s, false);
		*kind = "ip";
	} else if (all_in(s, DOMAIN_CHARS "*") && strchr(s, '.')) {
		const char *why;
		/* "*.evil.com" and ".evil.com" in block lists mean the domain and
		 * its subdomains: the bare domain matches both. */
		if (s[0] == '*' && s[1] == '.')
			s += 2;
		else if (s[0] == '.')
			s++;
		n = strlen(s);
		if (n && s[n - 1] == '.')
			s[--n] = '\0';   /* the root of a fully qualified name */
		if (strchr(s, '*'))
			return fail(p, "'%s' has a '*' that is not a leading '*.'", excerpt(s, q));
		if ((why = domain_problem(s)))
			return fail(p, "'%s' is not a valid domain name (%s)", excerpt(s, q), why);
		*orig = xstrdup(s);
		ascii_case(s, false);
		*kind = "domain";
	} else {
		*kind = "string";
	}
	n = strlen(s);
	if (n < IOC_MIN_STRING)
		return fail(p, "'%s' is shorter than %d bytes: it would match almost anything",
			    excerpt(s, q), IOC_MIN_STRING);
	if (n > IOC_MAX_STRING)
		return fail(p, "'%s' is longer than %d bytes", excerpt(s, q), IOC_MAX_STRING);
	*sp = s;
	return 0;
}

/* ---- the set of indicators ---- */

static uint64_t key_hash(bool hash, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (hash ? 0x9e3779b97f4a7c15ull : 0);

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	/* FNV's low bits, the ones the table uses, mix poorly: finish with
	 * MurmurHash3's fmix64. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* The slot holding (hash, s), or the empty slot where it would go. */
static uint32_t *find_slot(const struct ioc *ioc, bool hash, const char *s)
{
	size_t mask = ioc->nslots - 1, i = (size_t)key_hash(hash, s) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t v = ioc->slots[i];
		if (!v)
			return &ioc->slots[i];
		const struct ioc_entry *e = &ioc->items[v - 1].pub;
		if (e->hash == hash && strcmp(e->indicator, s) == 0)
			return &ioc->slots[i];
	}
}

static void grow_slots(struct ioc *ioc)
{
	size_t old = ioc->nslots;
	uint32_t *was = ioc->slots;

	ioc->nslots = old ? old * 2 : 1024;
	ioc->slots = xcalloc(ioc->nslots, sizeof(*ioc->slots));
	for (size_t i = 0; i < old; i++)
		if (was[i]) {
			const struct ioc_entry *e = &ioc->items[was[i] - 1].pub;
			*find_slot(ioc, e->hash, e->indicator) = was[i];
		}
	free(was);
}

/* Keeps the first occurrence of an indicator; returns whether it was new. */
static bool add(struct ioc *ioc, struct ioc_feed *feed, unsigned line, const char *kind,
		const char *indicator, const char *orig, const char *name)
{
	uint32_t *slot;
	struct item *it;

	if ((ioc->n + 1) * 2 > ioc->nslots)
		grow_slots(ioc);
	slot = find_slot(ioc, feed->hash, indicator);
	if (*slot)
		return false;
	if (ioc->n == ioc->alloc) {
		ioc->alloc = ioc->alloc ? ioc->alloc * 2 : 256;
		ioc->items = xrealloc(ioc->items, ioc->alloc * sizeof(*ioc->items));
	}
	it = &ioc->items[ioc->n];
	memset(it, 0, sizeof(*it));
	it->pub.feed = feed->path;
	it->pub.line = line;
	it->pub.kind = kind;
	it->pub.indicator = xstrdup(indicator);
	it->pub.name = name ? xstrdup(name) : NULL;
	it->pub.signame = xasprintf(SIG_PREFIX "%zu", ioc->n + 1);
	it->pub.hash = feed->hash;
	it->orig = orig && strcmp(orig, indicator) != 0 ? xstrdup(orig) : NULL;
	ioc->n++;
	*slot = (uint32_t)ioc->n;
	feed->entries++;
	return true;
}

static int parse_line(struct ioc *ioc, struct ioc_feed *feed, const struct pos *p,
		      const char *raw, size_t len)
{
	char buf[IOC_MAX_LINE + 1], *line, *tok = NULL, *name = NULL, *orig = NULL;
	const char *kind = NULL;
	int rc = -1;

	if (len > IOC_MAX_LINE)
		return fail(p, "line longer than %d bytes", IOC_MAX_LINE);
	if (check_text(p, (const unsigned char *)raw, len) < 0)
		return -1;
	memcpy(buf, raw, len);
	buf[len] = '\0';
	line = str_trim(buf, " \t");
	if (!*line || is_comment(line))
		return 0;
	if (split(p, line, &tok, &name) < 0)
		return -1;
	if (feed->hash) {
		if (parse_hash(p, tok, &kind) < 0)
			return -1;
	} else if (parse_string(p, &tok, &kind, &orig) < 0) {
		goto out;
	}
	if (ioc->n >= IOC_MAX_ENTRIES && !find_slot(ioc, feed->hash, tok)[0]) {
		fail(p, "more than %u indicators in the feeds", IOC_MAX_ENTRIES);
		goto out;
	}
	add(ioc, feed, p->line, kind, tok, orig, name);
	rc = 0;
out:
	free(orig);
	return rc;
}

/* ---- feed files ---- */

/* Reads the whole file (bounded), hashing exactly the bytes parsed. */
static int read_feed(struct ioc_feed *feed, char **data, size_t *len, struct ks_err *err)
{
	struct pos p = { feed->path, 0, err };
	struct sha256 *h;
	int e;

	switch (hostfile_read(feed->path, 0, IOC_MAX_FEED_BYTES, data, len, &e)) {
	case HOSTFILE_OK:
		break;
	case HOSTFILE_ERRNO:
		return fail(&p, "cannot read: %s", strerror(e));
	case HOSTFILE_NOT_REGULAR:
		return fail(&p, "cannot read: %s", e == EISDIR ? strerror(EISDIR) : "not a regular file");
	case HOSTFILE_TOO_LARGE:
		return fail(&p, "cannot read: larger than %u MiB", IOC_MAX_FEED_BYTES >> 20);
	}
	h = sha256_new();
	sha256_update(h, *data, *len);
	sha256_final_hex(h, feed->sha256);
	sha256_free(h);
	feed->size = *len;
	return 0;
}

/* UTF-16LE text (with its BOM) as UTF-8, so that lines parse alike. */
static int from_utf16(struct ioc_feed *feed, char **data, size_t *len, struct ks_err *err)
{
	const unsigned char *u = (const unsigned char *)*data + 2;
	size_t units = (*len - 2) / 2;
	struct pos p = { feed->path, 1, err };
	bool lossy = false;
	char *text;

	if ((*len - 2) % 2) {
		p.line = 0;
		return fail(&p, "UTF-16 text with an odd number of bytes");
	}
	for (size_t i = 0; i < units; i++) {
		unsigned c = u[2 * i] | (unsigned)u[2 * i + 1] << 8;
		if (c == 0)
			return fail(&p, "NUL character: not a text file");
		p.line += c == '\n';
	}
	text = utf16le_to_utf8(u, units, &lossy);
	if (lossy) {
		free(text);
		p.line = 0;
		return fail(&p, "not valid UTF-16 text (an unpaired surrogate)");
	}
	free(*data);
	*data = text;
	*len = strlen(text);
	return 0;
}

static int load_feed(struct ioc *ioc, struct ioc_feed *feed, struct ks_err *err)
{
	struct pos p = { feed->path, 1, err };
	char *data = NULL;
	const char *s, *end;
	size_t len = 0;
	int rc = 0;

	if (read_feed(feed, &data, &len, err) < 0)
		return -1;
	s = data;
	if (len >= 2 && (unsigned char)data[0] == 0xFF && (unsigned char)data[1] == 0xFE) {
		if (from_utf16(feed, &data, &len, err) < 0) {
			free(data);
			return -1;
		}
		s = data;
	} else if (len >= 2 && (unsigned char)data[0] == 0xFE && (unsigned char)data[1] == 0xFF) {
		free(data);
		return fail(&p, "UTF-16 big-endian text: save the feed as UTF-8");
	} else if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
	}
	end = data + len;
	for (; s < end && rc == 0; p.line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		if (n && s[n - 1] == '\r')
			n--;
		rc = parse_line(ioc, feed, &p, s, n);
		s = nl ? nl + 1 : end;
	}
	free(data);
	return rc;
}

int ioc_load(const char *const *hash_lists, size_t nhash,
	     const char *const *string_lists, size_t nstring,
	     struct ioc **out, struct ks_err *err)
{
	struct ioc *ioc = xcalloc(1, sizeof(*ioc));

	*out = NULL;
	ks_err_clear(err);
	ioc->feeds = xcalloc(nhash + nstring + 1, sizeof(*ioc->feeds));
	for (size_t i = 0; i < nhash + nstring; i++) {
		struct ioc_feed *f = &ioc->feeds[ioc->nfeeds++];
		f->hash = i < nhash;
		f->path = xstrdup(f->hash ? hash_lists[i] : string_lists[i - nhash]);
		if (load_feed(ioc, f, err) < 0) {
			ioc_free(ioc);
			return -1;
		}
	}
	*out = ioc;
	return 0;
}

void ioc_free(struct ioc *ioc)
{
	if (!ioc)
		return;
	/* The public fields are const for readers; this module owns them. */
	for (size_t i = 0; i < ioc->n; i++) {
		struct item *it = &ioc->items[i];
		free((char *)it->pub.indicator);
		free((char *)it->pub.name);
		free((char *)it->pub.signame);
		free(it->orig);
	}
	for (size_t i = 0; i < ioc->nfeeds; i++)
		free((char *)ioc->feeds[i].path);
	free(ioc->items);
	free(ioc->feeds);
	free(ioc->slots);
	free(ioc);
}

size_t ioc_entry_count(const struct ioc *ioc) { return ioc ? ioc->n : 0; }
const struct ioc_entry *ioc_entry(const struct ioc *ioc, size_t i) { return i < ioc_entry_count(ioc) ? &ioc->items[i].pub : NULL; }
size_t ioc_feed_count(const struct ioc *ioc) { return ioc ? ioc->nfeeds : 0; }
const struct ioc_feed *ioc_feed(const struct ioc *ioc, size_t i) { return i < ioc_feed_count(ioc) ? &ioc->feeds[i] : NULL; }

const struct ioc_entry *ioc_lookup(const struct ioc *ioc, const char *signame)
{
	size_t pl = strlen(SIG_PREFIX), n = 0, digits = 0;
	const char *s;

	if (!ioc || !signame || strncmp(signame, SIG_PREFIX, pl) != 0)
		return NULL;
	s = signame + pl;
	if (*s == '0')
		return NULL;
	for (; *s >= '0' && *s <= '9' && digits < 10; s++, digits++)
		n = n * 10 + (size_t)(*s - '0');
	if (!digits || (*s && strcmp(s, UNOFFICIAL) != 0))
		return NULL;
	return n >= 1 && n <= ioc->n ? &ioc->items[n - 1].pub : NULL;
}

/* ---- ClamAV databases ---- */

static void put_hex(FILE *f, const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char out[256];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		out[k++] = digits[b[i] >> 4];
		out[k++] = digits[b[i] & 15];
		if (k == sizeof(out)) {
			fwrite(out, 1, k, f);
			k = 0;
		}
	}
	fwrite(out, 1, k, f);
}

/* One body signature in ASCII/UTF-8 and one in UTF-16LE. An address,
 * domain or URL must not run on into letters or digits: (W) is ClamAV's
 * "one non-alphanumeric byte, or the start or end of the data". In
 * UTF-16LE the neighbouring character is (W) and a zero byte. */
static void put_form(FILE *f, const char *signame, const char *s, bool bounded)
{
	size_t n = strlen(s);
	bool left = bounded && is_alnum((unsigned char)s[0]);
	bool right = bounded && is_alnum((unsigned char)s[n - 1]);
	uint16_t *u = NULL;
	long units;

	fprintf(f, "%s:0:*:%s", signame, left ? "(W)" : "");
	put_hex(f, (const unsigned char *)s, n);
	fprintf(f, "%s\n", right ? "(W)" : "");
	units = utf8_to_utf16le(s, &u);
	if (units > 0) {
		unsigned char *le = xmalloc((size_t)units * 2);
		for (long k = 0; k < units; k++) {
			le[2 * k] = (unsigned char)(u[k] & 0xFF);
			le[2 * k + 1] = (unsigned char)(u[k] >> 8);
		}
		fprintf(f, "%s:0:*:%s", signame, left ? "(W)00" : "");
		put_hex(f, le, (size_t)units * 2);
		fprintf(f, "%s\n", right ? "(W)00" : "");
		free(le);
	}
	free(u);
}

/* Every case form that differs: as the feed wrote it, as kept, in lower
 * and in upper case. ClamAV has no case-blind body signature; text files
 * it lower-cases before matching, so the lower-case form covers those. */
static void put_string(FILE *f, const struct item *it)
{
	const struct ioc_entry *e = &it->pub;
	bool bounded = strcmp(e->kind, "string") != 0;
	char *forms[4];
	size_t nforms = 0;

	forms[nforms++] = xstrdup(e->indicator);
	if (it->orig)
		forms[nforms++] = xstrdup(it->orig);
	forms[nforms] = xstrdup(e->indicator);
	ascii_case(forms[nforms++], false);
	forms[nforms] = xstrdup(e->indicator);
	ascii_case(forms[nforms++], true);
	for (size_t i = 0; i < nforms; i++) {
		bool dup = false;
		for (size_t k = 0; k < i && !dup; k++)
			dup = strcmp(forms[k], forms[i]) == 0;
		if (!dup)
			put_form(f, e->signame, forms[i], bounded);
	}
	for (size_t i = 0; i < nforms; i++)
		free(forms[i]);
}

int ioc_write_databases(const struct ioc *ioc, const char *dir,
			char *paths[IOC_DB_FILES], size_t *n, struct ks_err *err)
{
	*n = 0;
	for (size_t d = 0; d < IOC_DB_FILES; d++) {
		size_t count = 0;
		char *path;
		FILE *f;
		int fd;

		for (size_t i = 0; i < ioc_entry_count(ioc); i++)
			count += ioc->items[i].pub.hash == db_files[d].hash;
		if (!count)
			continue;
		path = xasprintf("%s/%s", dir, db_files[d].file);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			ks_fail(err, KS_EIO, "'%s': cannot write IOC signatures: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			free(path);
			return -1;
		}
		paths[(*n)++] = path;
		for (size_t i = 0; i < ioc->n; i++) {
			const struct item *it = &ioc->items[i];
			if (it->pub.hash != db_files[d].hash)
				continue;
			if (it->pub.hash)
				/* Any size ('*'): feeds give none. ClamAV then hashes
				 * every file, which needs functionality level 73. */
				fprintf(f, "%s:*:%s:73\n", it->pub.indicator, it->pub.signame);
			else
				put_string(f, it);
		}
		if (fflush(f) != 0 || ferror(f)) {
			int e = errno;
			fclose(f);
			return ks_fail(err, KS_EIO, "'%s': cannot write IOC signatures: %s", path, strerror(e));
		}
		if (fclose(f) != 0)
			return ks_fail(err, KS_EIO, "'%s': cannot write IOC signatures: %s", path, strerror(errno));
	}
	return 0;
}
