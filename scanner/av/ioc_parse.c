/* ioc_parse: one line of an IOC feed: that it is text, where the indicator
 * and its name are, and what the indicator is (a hash of a known kind, a
 * re-fanged domain, IP address, URL or string). See ioc.c. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/av.h>
#include "av_internal.h"
#include <kenshu/banned.h>

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

static bool all_in(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

/* ---- one line of text ---- */

int ioc_check_text(const struct ioc_pos *p, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len, cp;

		if (c == 0)
			return ioc_fail(p, "NUL byte: not a text file");
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7F)
				return ioc_fail(p, "control character 0x%02X", c);
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
			return ioc_fail(p, "not valid UTF-8 (save the feed as UTF-8 or ASCII)");
		if (i + len > n)
			return ioc_fail(p, "not valid UTF-8 (save the feed as UTF-8 or ASCII)");
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return ioc_fail(p, "not valid UTF-8 (save the feed as UTF-8 or ASCII)");
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return ioc_fail(p, "not valid UTF-8 (save the feed as UTF-8 or ASCII)");
		/* C1 controls: U+009B is a terminal's CSI, like ESC [. */
		if (cp < 0xA0)
			return ioc_fail(p, "control character U+%04X", cp);
		i += len;
	}
	return 0;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == ';' || c == '|';
}

bool ioc_is_comment(const char *s)
{
	return *s == '#' || *s == ';' || (s[0] == '/' && s[1] == '/');
}

int ioc_split(const struct ioc_pos *p, char *line, char **tok, char **name)
{
	char *s = line, *rest;

	if (*s == '"') {
		char *w = s, *r = s + 1;
		for (;;) {
			if (!*r)
				return ioc_fail(p, "unterminated quote");
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
			return ioc_fail(p, "text after a closing quote");
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

int ioc_parse_hash(const struct ioc_pos *p, char *tok, const char **kind)
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
			return ioc_fail(p, "'%s' is not an MD5, SHA-1 or SHA-256 hash "
					"(unknown prefix; a header line? comment it out with #)",
					excerpt(tok, q));
		memmove(tok, colon + 1, strlen(colon + 1) + 1);
	}
	n = strlen(tok);
	for (size_t i = 0; i < sizeof(hash_kinds) / sizeof(hash_kinds[0]); i++) {
		if (n != hash_kinds[i].hexlen || !all_in(tok, "0123456789abcdefABCDEF"))
			continue;
		if (want && strcmp(want, hash_kinds[i].kind) != 0)
			return ioc_fail(p, "'%s' is not a %s hash (%zu hex digits)", excerpt(tok, q), want, n);
		ascii_case(tok, false);
		if (strcmp(tok, hash_kinds[i].empty) == 0)
			return ioc_fail(p, "%s is the %s of empty content: it would match every empty file",
					tok, hash_kinds[i].kind);
		*kind = hash_kinds[i].kind;
		return 0;
	}
	return ioc_fail(p, "'%s' is not an MD5, SHA-1 or SHA-256 hash (32, 40 or 64 hex digits; "
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
static int check_url(const struct ioc_pos *p, char *s)
{
	char *sep = strstr(s, "://"), *host, *end, q[48];
	size_t hl;

	if (sep == s || !is_alnum((unsigned char)s[0]) || (s[0] >= '0' && s[0] <= '9'))
		return ioc_fail(p, "'%s' is not a valid URL (no scheme)", excerpt(s, q));
	for (char *c = s; c < sep; c++)
		if (!is_alnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.')
			return ioc_fail(p, "'%s' is not a valid URL (bad scheme)", excerpt(s, q));
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
			return ioc_fail(p, "'%s' is not a valid URL (bad IPv6 host)", excerpt(s, q));
		memcpy(addr, host + 1, al);
		addr[al] = '\0';
		if (!ipv6(addr))
			return ioc_fail(p, "'%s' is not a valid URL (bad IPv6 host)", excerpt(s, q));
		return 0;
	}
	for (char *c = end; c > host; c--)
		if (c[-1] == ':') {
			hl = (size_t)(c - 1 - host);
			break;
		}
	if (hl == 0)
		return ioc_fail(p, "'%s' is not a valid URL (no host)", excerpt(s, q));
	char *h = xstrndup(host, hl);
	const char *why = NULL;
	if (all_in(h, "0123456789.")) {
		if (!ipv4(h))
			why = "bad IPv4 host";
	} else if (all_in(h, DOMAIN_CHARS)) {
		why = domain_problem(h) ? "bad host name" : NULL;
	}
	free(h);
	return why ? ioc_fail(p, "'%s' is not a valid URL (%s)", excerpt(s, q), why) : 0;
}

int ioc_parse_string(const struct ioc_pos *p, char **sp, const char **kind, char **orig)
{
	char *s = *sp, q[48];
	size_t n;

	refang(s);
	*orig = NULL;
	n = strlen(s);
	if (n < IOC_MIN_STRING)
		return ioc_fail(p, "'%s' is shorter than %d bytes: it would match almost anything",
				excerpt(s, q), IOC_MIN_STRING);
	if (strstr(s, "://")) {
		*orig = xstrdup(s);
		if (check_url(p, s) < 0)
			return -1;
		*kind = "url";
	} else if (all_in(s, "0123456789./") && strchr(s, '/')) {
		return ioc_fail(p, "'%s' is a CIDR range: only single addresses can be matched", excerpt(s, q));
	} else if (all_in(s, "0123456789.")) {
		if (!ipv4(s))
			return ioc_fail(p, "'%s' is not a valid IPv4 address", excerpt(s, q));
		*kind = "ip";
	} else if (all_in(s, "0123456789.:") && strchr(s, '.') && strchr(s, ':') == strrchr(s, ':')) {
		/* address:port */
		char *colon = strchr(s, ':');
		long port = strtol(colon + 1, NULL, 10);
		*colon = '\0';
		bool ok = ipv4(s) && colon[1] && strlen(colon + 1) <= 5 && port > 0 && port < 65536;
		*colon = ':';
		if (!ok)
			return ioc_fail(p, "'%s' is not a valid IPv4 address and port", excerpt(s, q));
		*kind = "ip";
	} else if (strchr(s, ':') && all_in(s, "0123456789abcdefABCDEF:./")) {
		if (strchr(s, '/'))
			return ioc_fail(p, "'%s' is a CIDR range: only single addresses can be matched",
					excerpt(s, q));
		if (!ipv6(s))
			return ioc_fail(p, "'%s' is not a valid IPv6 address", excerpt(s, q));
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
			return ioc_fail(p, "'%s' has a '*' that is not a leading '*.'", excerpt(s, q));
		if ((why = domain_problem(s)))
			return ioc_fail(p, "'%s' is not a valid domain name (%s)", excerpt(s, q), why);
		*orig = xstrdup(s);
		ascii_case(s, false);
		*kind = "domain";
	} else {
		*kind = "string";
	}
	n = strlen(s);
	if (n < IOC_MIN_STRING)
		return ioc_fail(p, "'%s' is shorter than %d bytes: it would match almost anything",
				excerpt(s, q), IOC_MIN_STRING);
	if (n > IOC_MAX_STRING)
		return ioc_fail(p, "'%s' is longer than %d bytes", excerpt(s, q), IOC_MAX_STRING);
	*sp = s;
	return 0;
}

