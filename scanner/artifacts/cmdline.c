/* cmdline: resolve a stored autostart command to the file it runs, offline.
 *
 * Order of work: %VAR% expansion from the caller's map, then the program token
 * as CreateProcess finds it (quoted, or the shortest existing space-split
 * prefix), then, when the program is a known host, that host's own argument
 * rules from a table. Paths become image-relative, '/'-separated, normalised
 * ('.' and '..' folded, never above the root) and keep the case as written.
 */
#include <kenshu/artifacts.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

/* ---- small helpers ---- */

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_sep(char c)
{
	return c == '\\' || c == '/';
}

static const char *skip_ws(const char *s)
{
	while (is_ws(*s))
		s++;
	return s;
}

/* Case-insensitive (ASCII) equality of n bytes. */
static bool ieq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return false;
	return true;
}

static bool ieq_len(const char *a, size_t n, const char *word)
{
	return strlen(word) == n && ieq_n(a, word, n);
}

static bool istarts(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strnlen(s, n) == n && ieq_n(s, prefix, n);
}

static bool icontains(const char *hay, const char *needle)
{
	for (; *hay; hay++)
		if (istarts(hay, needle))
			return true;
	return false;
}

static bool mentions_url(const char *s)
{
	return icontains(s, "http://") || icontains(s, "https://") || icontains(s, "ftp://");
}

/* scheme://... with a scheme of two letters or more (so "C://x" is a path). */
static bool is_url(const char *s)
{
	size_t i = 0;

	if (!is_alpha((unsigned char)s[0]))
		return false;
	while (is_alpha((unsigned char)s[i]) || (s[i] >= '0' && s[i] <= '9') ||
	       s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return i >= 2 && s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/';
}

static bool is_inline_script(const char *s)
{
	return istarts(s, "javascript:") || istarts(s, "vbscript:") || istarts(s, "about:");
}

/* Extension of the last component of p[0..n), without the dot; NULL if none. */
static const char *ext_of(const char *p, size_t n, size_t *elen)
{
	for (size_t i = n; i > 0; i--) {
		if (is_sep(p[i - 1]))
			return NULL;
		if (p[i - 1] == '.') {
			*elen = n - i;
			return *elen ? p + i : NULL;
		}
	}
	return NULL;
}

static bool has_ext(const char *p)
{
	size_t elen;

	return ext_of(p, strlen(p), &elen) != NULL;
}

/* Last component of p[0..n). */
static const char *base_of(const char *p, size_t n, size_t *blen)
{
	size_t i = n;

	while (i > 0 && !is_sep(p[i - 1]))
		i--;
	*blen = n - i;
	return p + i;
}

/* ---- resolver state for one cmd_resolve() call ---- */

struct rs {
	const struct cmd_env *env;
	size_t nenv;
	cmd_exists_fn exists;
	void *ctx;
	char drive;                /* upper-case letter of the image volume */
	char *sysroot;             /* image path of SystemRoot, e.g. "/Windows" */
	char *dirs[CMD_MAX_SEARCH_DIRS];
	size_t ndirs;
	unsigned probes;
	bool capped;
};

static const char *env_get(const struct rs *rs, const char *name, size_t n)
{
	for (size_t i = 0; i < rs->nenv; i++) {
		const struct cmd_env *e = &rs->env[i];

		if (e->name && e->value && ieq_len(name, n, e->name))
			return e->value;
	}
	return NULL;
}

static bool var_like(const char *p, size_t n)
{
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (is_ws(p[i]) || is_sep(p[i]) || p[i] == '"')
			return false;
	return true;
}

/* %VAR% expansion as ExpandEnvironmentStrings does it: values are not
 * expanded again; an unknown %NAME stays as written and its closing '%' may
 * open the next reference. */
static char *expand(const struct rs *rs, const char *s, unsigned *flags)
{
	struct strbuf b = STRBUF_INIT;
	const char *p = s;

	while (*p) {
		const char *q, *v;
		size_t n;

		if (*p != '%') {
			q = strchr(p, '%');
			n = q ? (size_t)(q - p) : strlen(p);
			strbuf_add(&b, p, n);
			p += n;
			continue;
		}
		q = strchr(p + 1, '%');
		if (!q) {
			strbuf_add(&b, p, strlen(p));
			break;
		}
		n = (size_t)(q - p - 1);
		v = n ? env_get(rs, p + 1, n) : NULL;
		if (v && b.len + strlen(v) <= CMD_MAX_EXPANDED) {
			strbuf_add(&b, v, strlen(v));
			p = q + 1;
			continue;
		}
		if (v)
			*flags |= CMD_F_TRUNCATED;
		else if (var_like(p + 1, n))
			*flags |= CMD_F_UNRESOLVED_VAR;
		strbuf_add(&b, p, (size_t)(q - p));
		p = q;
	}
	return strbuf_detach(&b, NULL);
}

/* base (an image path without a trailing '/', "" for the root) joined with
 * the Windows path rel[0..n), '.' and '..' folded, never above the root. */
static char *join_norm(const char *base, const char *rel, size_t n)
{
	struct strbuf b = STRBUF_INIT;
	size_t i = 0;

	strbuf_add(&b, base, strlen(base));
	while (i < n) {
		size_t s, len;

		while (i < n && is_sep(rel[i]))
			i++;
		s = i;
		while (i < n && !is_sep(rel[i]))
			i++;
		len = i - s;
		if (len == 0 || (len == 1 && rel[s] == '.'))
			continue;
		if (len == 2 && rel[s] == '.' && rel[s + 1] == '.') {
			size_t keep = b.len;

			while (keep > 0 && b.buf[keep - 1] != '/')
				keep--;
			if (keep > 0)
				keep--;
			strbuf_setlen(&b, keep);
			continue;
		}
		strbuf_addch(&b, '/');
		strbuf_add(&b, rel + s, len);
	}
	if (b.len == 0)
		strbuf_addch(&b, '/');
	return strbuf_detach(&b, NULL);
}

enum pkind {
	P_INVALID,
	P_ABS,       /* on the image volume: *img set */
	P_SYSREL,    /* system32\... relative to SystemRoot (driver ImagePath): *img set */
	P_REL,       /* relative with directories: searched */
	P_BARE,      /* a bare name: searched */
	P_NOT_LOCAL, /* other drive, UNC, device */
};

/* NT and Win32 namespace prefixes that put a Win32 path after them. */
static const char *const nt_prefixes[] = {
	"\\??\\", "\\\\?\\", "\\\\.\\", "\\GLOBAL??\\", "\\DosDevices\\",
};

static bool first_component_is(const char *p, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n >= w && ieq_n(p, word, w) && (n == w || is_sep(p[w]));
}

/* Classifies the Windows path p[0..n) and, for P_ABS/P_SYSREL, makes its image path. */
static enum pkind to_image(const struct rs *rs, const char *p, size_t n, char **img)
{
	*img = NULL;
	if (n == 0 || n > CMD_MAX_PATH)
		return P_INVALID;
	for (size_t i = 0; i < sizeof(nt_prefixes) / sizeof(nt_prefixes[0]); i++) {
		size_t k = strlen(nt_prefixes[i]);

		if (n >= k && ieq_n(p, nt_prefixes[i], k)) {
			p += k;
			n -= k;
			/* \\?\UNC\..., \\?\Volume{...}\, \\.\PhysicalDrive0: not a path here */
			if (!(n >= 2 && is_alpha((unsigned char)p[0]) && p[1] == ':'))
				return P_NOT_LOCAL;
			break;
		}
	}
	if (n >= 2 && is_sep(p[0]) && is_sep(p[1]))
		return P_NOT_LOCAL; /* UNC */
	if (n >= 2 && is_alpha((unsigned char)p[0]) && p[1] == ':') {
		if (lc((unsigned char)p[0]) != lc(rs->drive))
			return P_NOT_LOCAL;
		*img = join_norm("", p + 2, n - 2);
		return P_ABS;
	}
	if (is_sep(p[0])) {
		if (first_component_is(p + 1, n - 1, "SystemRoot")) {
			*img = join_norm(rs->sysroot, p + 11, n - 11);
			return P_ABS;
		}
		if (first_component_is(p + 1, n - 1, "Device"))
			return P_NOT_LOCAL; /* \Device\HarddiskVolumeN: volume unknown here */
		*img = join_norm("", p, n);
		return P_ABS;
	}
	if (first_component_is(p, n, "system32") || first_component_is(p, n, "SysWOW64")) {
		if (memchr(p, '\\', n) || memchr(p, '/', n)) {
			*img = join_norm(rs->sysroot, p, n);
			return P_SYSREL;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (is_sep(p[i]))
			return P_REL;
	return P_BARE;
}

static bool probe(struct rs *rs, const char *img)
{
	size_t n = strlen(img);

	if (n > CMD_MAX_PATH || !rs->exists)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)img[i];

		/* cannot be in a Windows file name (':' would be a stream) */
		if (c < 0x20 || strchr("\"<>|?*:", c))
			return false;
	}
	if (rs->probes >= CMD_MAX_PROBES) {
		rs->capped = true;
		return false;
	}
	rs->probes++;
	return rs->exists(rs->ctx, img) == 1;
}

enum fmode {
	F_EXE,  /* CreateProcess: ".exe" appended to a name without extension */
	F_DLL,  /* LoadLibrary: ".dll" appended */
	F_FILE, /* scripts and the like: as written */
};

static char *try_exts(struct rs *rs, const char *img, enum fmode mode)
{
	if (mode != F_FILE && !has_ext(img)) {
		char *c = xasprintf("%s%s", img, mode == F_EXE ? ".exe" : ".dll");

		if (probe(rs, c))
			return c;
		free(c);
	}
	return probe(rs, img) ? xstrdup(img) : NULL;
}

/* The image file that the Windows path p[0..n) names. Returns the hit (and
 * *found), else the path Windows would use if it is fixed, else NULL. With
 * no_search, relative paths are not searched for. */
static char *find_file(struct rs *rs, const char *p, size_t n, enum fmode mode,
		       bool no_search, bool *found, unsigned *flags)
{
	char *img, *hit;
	enum pkind k = to_image(rs, p, n, &img);

	*found = false;
	switch (k) {
	case P_NOT_LOCAL:
		*flags |= CMD_F_NOT_LOCAL;
		return NULL;
	case P_INVALID:
		return NULL;
	case P_ABS:
	case P_SYSREL:
		hit = try_exts(rs, img, mode);
		if (hit) {
			free(img);
			*found = true;
			return hit;
		}
		return img;
	case P_REL:
	case P_BARE:
		if (no_search)
			return NULL;
		for (size_t i = 0; i < rs->ndirs; i++) {
			char *cand = join_norm(rs->dirs[i], p, n);

			hit = try_exts(rs, cand, mode);
			free(cand);
			if (hit) {
				*found = true;
				return hit;
			}
		}
		return NULL;
	}
	return NULL;
}

static void add_dir(struct rs *rs, char *dir)
{
	for (size_t i = 0; i < rs->ndirs; i++) {
		if (strcasecmp(rs->dirs[i], dir) == 0) {
			free(dir);
			return;
		}
	}
	if (rs->ndirs == CMD_MAX_SEARCH_DIRS) {
		free(dir);
		return;
	}
	if (strcmp(dir, "/") == 0)
		dir[0] = '\0'; /* the root joins as "" */
	rs->dirs[rs->ndirs++] = dir;
}

static void rs_init(struct rs *rs, const struct cmd_env *env, size_t nenv,
		    cmd_exists_fn exists, void *ctx)
{
	const char *v, *path;
	char *img = NULL;

	memset(rs, 0, sizeof(*rs));
	rs->env = env;
	rs->nenv = nenv;
	rs->exists = exists;
	rs->ctx = ctx;
	v = env_get(rs, "SystemDrive", 11);
	rs->drive = v && is_alpha((unsigned char)v[0]) && v[1] == ':' ? (char)(lc((unsigned char)v[0]) - 'a' + 'A') : 'C';
	rs->sysroot = xstrdup("/Windows");
	v = env_get(rs, "SystemRoot", 10);
	if (!v)
		v = env_get(rs, "windir", 6);
	if (v && to_image(rs, v, strlen(v), &img) == P_ABS && strcmp(img, "/") != 0) {
		free(rs->sysroot);
		rs->sysroot = img;
	} else {
		free(img);
	}
	add_dir(rs, xasprintf("%s/System32", rs->sysroot));
	add_dir(rs, xstrdup(rs->sysroot));

	path = env_get(rs, "Path", 4);
	if (path) {
		unsigned ignored = 0;
		char *exp = expand(rs, path, &ignored);
		const char *p = exp;

		while (*p) {
			size_t n = strcspn(p, ";");
			const char *s = p;
			size_t m = n;

			while (m && (is_ws(*s) || *s == '"')) {
				s++;
				m--;
			}
			while (m && (is_ws(s[m - 1]) || s[m - 1] == '"'))
				m--;
			if (m && to_image(rs, s, m, &img) == P_ABS)
				add_dir(rs, img);
			else
				free(img);
			img = NULL;
			p += n;
			if (*p)
				p++;
		}
		free(exp);
	}
}

static void rs_release(struct rs *rs)
{
	for (size_t i = 0; i < rs->ndirs; i++)
		free(rs->dirs[i]);
	free(rs->sysroot);
}

/* ---- argument splitting ---- */

/* Next argument per the Microsoft C runtime rules (2n backslashes before a
 * quote are n, 2n+1 make the quote literal, "" inside quotes is a quote).
 * Returns NULL at the end; *start (may be NULL) gets where it began raw. */
static char *next_arg(const char **pp, const char **start)
{
	const char *p = skip_ws(*pp);
	struct strbuf b = STRBUF_INIT;
	bool inq = false;

	if (!*p) {
		*pp = p;
		return NULL;
	}
	if (start)
		*start = p;
	while (*p && (inq || !is_ws(*p))) {
		if (*p == '\\') {
			size_t nb = 0;

			while (p[nb] == '\\')
				nb++;
			if (p[nb] == '"') {
				for (size_t i = 0; i < nb / 2; i++)
					strbuf_addch(&b, '\\');
				p += nb;
				if (nb % 2) {
					strbuf_addch(&b, '"');
					p++;
				}
				continue;
			}
			strbuf_add(&b, p, nb);
			p += nb;
			continue;
		}
		if (*p == '"') {
			if (inq && p[1] == '"') {
				strbuf_addch(&b, '"');
				p += 2;
				continue;
			}
			inq = !inq;
			p++;
			continue;
		}
		strbuf_addch(&b, *p++);
	}
	*pp = p;
	return strbuf_detach(&b, NULL);
}

/* ---- payload helpers ---- */

static void set_payload_file(struct rs *rs, struct cmd_resolution *out,
			     const char *p, size_t n, enum fmode mode)
{
	unsigned fl = 0;
	bool found;

	free(out->payload);
	free(out->payload_path);
	out->payload = xstrndup(p, n);
	out->payload_path = find_file(rs, p, n, mode, false, &found, &fl);
	out->flags |= fl;
	if (!found && !(fl & CMD_F_NOT_LOCAL))
		out->flags |= CMD_F_PAYLOAD_NOT_FOUND;
}

static void set_payload_text(struct cmd_resolution *out, const char *s, unsigned flags)
{
	free(out->payload);
	out->payload = xstrdup(s);
	out->flags |= flags;
	if (mentions_url(s))
		out->flags |= CMD_F_URL;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64, whitespace ignored, padding optional. NULL if invalid. */
static unsigned char *b64_decode(const char *s, size_t *outlen)
{
	unsigned char *o = xmalloc(strlen(s) / 4 * 3 + 3);
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t k = 0;
	bool pad = false;

	for (; *s; s++) {
		int v;

		if (is_ws(*s))
			continue;
		if (*s == '=') {
			pad = true;
			continue;
		}
		v = b64_value(*s);
		if (v < 0 || pad) {
			free(o);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (bits >= 6) { /* one dangling character carries no byte */
		free(o);
		return NULL;
	}
	*outlen = k;
	return o;
}

static void set_encoded(struct cmd_resolution *out, char *b64)
{
	size_t n = 0;
	unsigned char *raw = b64_decode(b64, &n);

	free(out->payload);
	free(out->decoded);
	out->payload = b64;
	out->decoded = NULL;
	out->flags |= CMD_F_ENCODED;
	if (!raw) {
		out->flags |= CMD_F_BAD_ENCODING;
		return;
	}
	if (n >= 2 && raw[0] == 0xFF && raw[1] == 0xFE)
		out->decoded = utf16le_to_utf8(raw + 2, (n - 2) / 2, NULL);
	else
		out->decoded = utf16le_to_utf8(raw, n / 2, NULL);
	free(raw);
	if (mentions_url(out->decoded))
		out->flags |= CMD_F_URL;
}

/* ---- hosts ---- */

static int resolve(struct rs *rs, const char *text, int depth, struct cmd_resolution *out);

typedef void (*host_fn)(struct rs *rs, const char *args, int depth, struct cmd_resolution *out);

static void host_rundll32(struct rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = skip_ws(args);
	char *dll;
	size_t n;

	(void)depth;
	/* rundll32 javascript:"\..\mshtml,RunHTMLApplication ";... */
	if (is_inline_script(a)) {
		set_payload_text(out, a, CMD_F_SCRIPT | CMD_F_INLINE);
		return;
	}
	dll = next_arg(&a, NULL);
	if (!dll)
		return;
	n = strcspn(dll, ",");
	while (n && is_ws(dll[n - 1]))
		n--;
	if (n)
		set_payload_file(rs, out, dll, n, F_DLL);
	free(dll);
}

static void host_regsvr32(struct rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = args;
	char *t, *dll = NULL, *iarg = NULL;
	size_t blen = 0;
	const char *base;

	(void)depth;
	while ((t = next_arg(&a, NULL))) {
		if ((t[0] == '/' || t[0] == '-') && t[1]) {
			if (lc((unsigned char)t[1]) == 'i' && t[2] == ':' && !iarg)
				iarg = xstrdup(t + 3);
			free(t);
			continue;
		}
		if (!dll)
			dll = t;
		else
			free(t);
	}
	base = dll ? base_of(dll, strlen(dll), &blen) : NULL;
	if (iarg && is_url(iarg)) {
		set_payload_text(out, iarg, CMD_F_URL);
	} else if (iarg && *iarg && base &&
		   (ieq_len(base, blen, "scrobj.dll") || ieq_len(base, blen, "scrobj"))) {
		/* /i:<scriptlet> handed to scrobj's DllInstall */
		set_payload_file(rs, out, iarg, strlen(iarg), F_FILE);
		out->flags |= CMD_F_SCRIPT;
	} else if (dll) {
		set_payload_file(rs, out, dll, strlen(dll), F_DLL);
	}
	free(iarg);
	free(dll);
}

static void host_mshta(struct rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = skip_ws(args);
	char *t = next_arg(&a, NULL);

	(void)depth;
	if (!t)
		return;
	if (is_inline_script(t))
		set_payload_text(out, skip_ws(args), CMD_F_SCRIPT | CMD_F_INLINE);
	else if (is_url(t))
		set_payload_text(out, t, CMD_F_URL);
	else {
		set_payload_file(rs, out, t, strlen(t), F_FILE);
		out->flags |= CMD_F_SCRIPT;
	}
	free(t);
}

static void host_wsh(struct rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = args;
	char *t;

	(void)depth;
	while ((t = next_arg(&a, NULL))) {
		if (t[0] == '/' && t[1] == '/') { /* //B, //E:jscript, //Nologo... */
			free(t);
			continue;
		}
		set_payload_file(rs, out, t, strlen(t), F_FILE);
		out->flags |= CMD_F_SCRIPT;
		free(t);
		break;
	}
}

/* cmd builtins that run the rest of their line. */
static const char *skip_start(const char *s)
{
	bool title = false;

	for (;;) {
		size_t w;

		s = skip_ws(s);
		if (*s == '"' && !title) { /* the first quoted argument is the window title */
			const char *e = strchr(s + 1, '"');

			s = e ? e + 1 : s + strlen(s);
			title = true;
			continue;
		}
		if (*s != '/')
			return s;
		w = 0;
		while (s[w] && !is_ws(s[w]))
			w++;
		if (ieq_len(s, w, "/d") || ieq_len(s, w, "/node") || ieq_len(s, w, "/affinity")) {
			s = skip_ws(s + w);
			w = 0;
			while (s[w] && !is_ws(s[w]))
				w++;
		}
		s += w;
	}
}

static const char *skip_call(const char *s)
{
	return skip_ws(s);
}

static const struct cmd_builtin {
	const char *name;
	const char *(*skip)(const char *rest);
} cmd_builtins[] = {
	{ "start", skip_start },
	{ "call", skip_call },
};

static void host_cmd(struct rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = args, *st = NULL, *rest = NULL, *p;
	bool opt_s = false;
	char *t, *text, *inner;
	size_t n;

	while ((t = next_arg(&a, &st))) {
		int c = lc((unsigned char)st[1]);

		free(t);
		if (st[0] != '/')
			break; /* no /c or /k: cmd would just start interactively */
		if (c == 'c' || c == 'k' || c == 'r') {
			rest = skip_ws(st + 2);
			break;
		}
		if (c == 's' && (st[2] == '\0' || is_ws(st[2])))
			opt_s = true;
	}
	if (!rest || !*rest)
		return;

	/* cmd /? : the outer quotes are kept only for exactly two quotes around
	 * text with a blank and no special character, and no /s. */
	text = xstrdup(rest);
	n = strlen(text);
	if (text[0] == '"') {
		size_t nq = 0;
		bool blank = false, special = false;
		char *last = strrchr(text, '"');

		for (size_t i = 0; i < n; i++)
			nq += text[i] == '"';
		for (p = text + 1; p < last; p++) {
			blank |= is_ws(*p);
			special |= strchr("&<>()@^|", *p) != NULL;
		}
		if (opt_s || nq != 2 || !blank || special || last == text) {
			memmove(last, last + 1, strlen(last + 1) + 1);
			if (last != text)
				memmove(text, text + 1, strlen(text + 1) + 1);
		}
	}
	free(out->payload);
	out->payload = text;

	/* The first command of a chain: up to an unquoted & | < > (^ escapes). */
	{
		bool inq = false;

		for (n = 0; text[n]; n++) {
			if (text[n] == '^' && text[n + 1] && !inq) {
				n++;
				continue;
			}
			if (text[n] == '"')
				inq = !inq;
			else if (!inq && strchr("&|<>", text[n]))
				break;
		}
	}
	inner = xstrndup(text, n);
	p = skip_ws(inner);
	for (int round = 0; round < 4; round++) {
		size_t w = 0;
		bool hit = false;

		while (p[w] && !is_ws(p[w]) && p[w] != '"')
			w++;
		for (size_t i = 0; i < sizeof(cmd_builtins) / sizeof(cmd_builtins[0]); i++) {
			if (ieq_len(p, w, cmd_builtins[i].name)) {
				p = cmd_builtins[i].skip(p + w);
				hit = true;
				break;
			}
		}
		if (!hit)
			break;
	}

	out->inner = xcalloc(1, sizeof(*out->inner));
	if (resolve(rs, p, depth + 1, out->inner) != 0) {
		free(out->inner);
		out->inner = NULL;
	} else {
		struct cmd_resolution *r = out->inner;
		unsigned f = r->flags;

		if (f & CMD_F_NOT_FOUND)
			f = (f & ~(unsigned)CMD_F_NOT_FOUND) | CMD_F_PAYLOAD_NOT_FOUND;
		out->flags |= f;
		if (r->image_path)
			out->payload_path = xstrdup(r->image_path);
		if (!out->decoded && r->decoded)
			out->decoded = xstrdup(r->decoded);
	}
	free(inner);
}

enum ps_kind { PS_FLAG, PS_ARG, PS_ENC, PS_CMD, PS_FILE };

/* powershell.exe / pwsh parameters that matter here. A parameter may be any
 * prefix of its name at least min long; the first match in table order wins
 * (PowerShell itself resolves -e to -EncodedCommand). Unknown ones are flags. */
static const struct ps_opt {
	const char *name;
	unsigned char min;
	unsigned char kind;
} ps_opts[] = {
	{ "encodedcommand", 1, PS_ENC },
	{ "ec", 2, PS_ENC },
	{ "encodedarguments", 8, PS_ARG },
	{ "ea", 2, PS_ARG },
	{ "executionpolicy", 2, PS_ARG },
	{ "ep", 2, PS_ARG },
	{ "commandwithargs", 8, PS_CMD },
	{ "cwa", 3, PS_CMD },
	{ "configurationname", 3, PS_ARG },
	{ "command", 1, PS_CMD },
	{ "file", 1, PS_FILE },
	{ "inputformat", 2, PS_ARG },
	{ "outputformat", 1, PS_ARG },
	{ "windowstyle", 1, PS_ARG },
	{ "workingdirectory", 2, PS_ARG },
	{ "wd", 2, PS_ARG },
	{ "version", 1, PS_ARG },
	{ "psconsolefile", 2, PS_ARG },
	{ "settingsfile", 2, PS_ARG },
	{ "custompipename", 2, PS_ARG },
};

/* Length of a parameter introducer: '-', '/', or the en dash, em dash and
 * horizontal bar PowerShell also accepts. 0 if none. */
static size_t ps_dash(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (s[0] == '-' || s[0] == '/')
		return 1;
	if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x93 && u[2] <= 0x95)
		return 3;
	return 0;
}

static enum ps_kind ps_lookup(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(ps_opts) / sizeof(ps_opts[0]); i++) {
		const struct ps_opt *o = &ps_opts[i];

		if (n >= o->min && n <= strlen(o->name) && ieq_n(name, o->name, n))
			return (enum ps_kind)o->kind;
	}
	return PS_FLAG;
}

static void host_ps_common(struct rs *rs, const char *args, struct cmd_resolution *out,
			   bool positional_is_file)
{
	const char *a = args, *st = NULL;
	char *t, *v;

	while ((t = next_arg(&a, &st))) {
		size_t dl = ps_dash(t);

		if (dl && t[dl]) {
			enum ps_kind k = ps_lookup(t + dl);

			free(t);
			switch (k) {
			case PS_FLAG:
				continue;
			case PS_ARG:
				free(next_arg(&a, NULL));
				continue;
			case PS_ENC:
				v = next_arg(&a, NULL);
				if (v)
					set_encoded(out, v);
				continue;
			case PS_CMD:
				a = skip_ws(a);
				if (*a)
					set_payload_text(out, a, CMD_F_INLINE);
				return;
			case PS_FILE:
				v = next_arg(&a, NULL);
				if (v) {
					set_payload_file(rs, out, v, strlen(v), F_FILE);
					out->flags |= CMD_F_SCRIPT;
					free(v);
				}
				return;
			}
			continue;
		}
		/* The first positional argument: -Command for Windows PowerShell,
		 * -File for pwsh. */
		if (positional_is_file) {
			set_payload_file(rs, out, t, strlen(t), F_FILE);
			out->flags |= CMD_F_SCRIPT;
		} else {
			set_payload_text(out, st, CMD_F_INLINE);
		}
		free(t);
		return;
	}
}

static void host_powershell(struct rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	(void)depth;
	host_ps_common(rs, args, out, false);
}

static void host_pwsh(struct rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	(void)depth;
	host_ps_common(rs, args, out, true);
}

static const struct host {
	const char *name; /* file name without ".exe", matched case-insensitively */
	const char *canon;
	host_fn fn;
} hosts[] = {
	{ "rundll32", "rundll32.exe", host_rundll32 },
	{ "regsvr32", "regsvr32.exe", host_regsvr32 },
	{ "mshta", "mshta.exe", host_mshta },
	{ "wscript", "wscript.exe", host_wsh },
	{ "cscript", "cscript.exe", host_wsh },
	{ "cmd", "cmd.exe", host_cmd },
	{ "powershell", "powershell.exe", host_powershell },
	{ "pwsh", "pwsh.exe", host_pwsh },
};

static const struct host *host_lookup(const char *tok, size_t n)
{
	size_t blen;
	const char *b = base_of(tok, n, &blen);

	if (blen > 4 && ieq_n(b + blen - 4, ".exe", 4))
		blen -= 4;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (ieq_len(b, blen, hosts[i].name))
			return &hosts[i];
	return NULL;
}

/* ---- the program token ---- */

static bool exec_like(const char *p, size_t n)
{
	static const char *const exts[] = {
		"exe", "com", "bat", "cmd", "scr", "pif", "sys", "dll", "cpl",
	};
	size_t elen;
	const char *e = ext_of(p, n, &elen);

	for (size_t i = 0; e && i < sizeof(exts) / sizeof(exts[0]); i++)
		if (ieq_len(e, elen, exts[i]))
			return true;
	return false;
}

/* Finds the program in s (non-blank, trimmed) as CreateProcess does; sets
 * out->image_path and flags; returns the token length and *rest. */
static size_t pick_program(struct rs *rs, const char *s, struct cmd_resolution *out,
			   const char **tok, const char **rest)
{
	size_t ends[CMD_MAX_PREFIXES], nends = 0, pick = 0;
	bool found, chosen = false;
	unsigned fl = 0;

	if (s[0] == '"') {
		const char *e = strchr(s + 1, '"');

		if (!e) {
			out->flags |= CMD_F_BAD_QUOTE;
			e = s + strlen(s);
		}
		*tok = s + 1;
		*rest = *e ? e + 1 : e;
		out->image_path = find_file(rs, s + 1, (size_t)(e - s - 1), F_EXE, false, &found, &fl);
		out->flags |= fl;
		if (!found && !(fl & CMD_F_NOT_LOCAL))
			out->flags |= CMD_F_NOT_FOUND;
		return (size_t)(e - s - 1);
	}

	/* Unquoted: each prefix ending at a blank, shortest first, and the first
	 * that exists runs (C:\Program.exe before C:\Program Files\...). */
	for (size_t i = 1;; i++) {
		if (s[i] == '\0' || (is_ws(s[i]) && !is_ws(s[i - 1]))) {
			if (nends == CMD_MAX_PREFIXES) {
				out->flags |= CMD_F_TRUNCATED;
				break;
			}
			ends[nends++] = i;
			if (s[i] == '\0')
				break;
		}
	}
	for (size_t k = 0; k < nends; k++) {
		unsigned f = 0;
		char *img = find_file(rs, s, ends[k], F_EXE, chosen, &found, &f);

		if (found && !chosen) {
			chosen = true;
			pick = k;
			fl = f;
			out->image_path = img;
			continue;
		}
		if (found) {
			/* a longer existing path: the shorter prefix hijacks it */
			free(out->shadowed);
			out->shadowed = img;
			out->flags |= CMD_F_SPACE_HIJACK;
			continue;
		}
		free(img);
	}
	if (!chosen) {
		/* Nothing exists: report the first prefix that looks like a program. */
		for (size_t k = 0; k < nends; k++) {
			if (exec_like(s, ends[k])) {
				pick = k;
				break;
			}
		}
		out->image_path = find_file(rs, s, ends[pick], F_EXE, true, &found, &fl);
		if (!(fl & CMD_F_NOT_LOCAL))
			fl |= CMD_F_NOT_FOUND;
	}
	out->flags |= fl;
	*tok = s;
	*rest = s + ends[pick];
	return ends[pick];
}

/* A copy of s without is_ws() blanks at either end. */
static char *trimmed(const char *s)
{
	char *copy = xstrdup(s), *t = str_trim(copy, " \t\r\n");

	memmove(copy, t, strlen(t) + 1);
	return copy;
}

static int resolve(struct rs *rs, const char *text, int depth, struct cmd_resolution *out)
{
	const char *tok, *rest;
	const struct host *h;
	size_t toklen;
	char *s = trimmed(text);

	memset(out, 0, sizeof(*out));
	if (!*s) {
		free(s);
		return -1;
	}
	out->expanded = s;
	if (depth > CMD_MAX_DEPTH) {
		out->flags |= CMD_F_DEPTH;
		out->arguments = xstrdup("");
		return 0;
	}
	if (depth > 0 && is_url(s)) { /* start http://... goes to the browser */
		set_payload_text(out, s, CMD_F_URL);
		out->arguments = xstrdup("");
		return 0;
	}
	toklen = pick_program(rs, s, out, &tok, &rest);
	out->arguments = trimmed(rest);
	h = host_lookup(tok, toklen);
	if (h) {
		out->host = xstrdup(h->canon);
		h->fn(rs, out->arguments, depth, out);
	}
	return 0;
}

int cmd_resolve(const char *command, const struct cmd_env *env, size_t nenv,
		cmd_exists_fn exists, void *ctx, struct cmd_resolution *out)
{
	struct rs rs;
	unsigned vflags = 0;
	char *exp;
	int rc;

	if (!out)
		return -1;
	memset(out, 0, sizeof(*out));
	if (!command)
		return -1;
	rs_init(&rs, env, env ? nenv : 0, exists, ctx);
	exp = expand(&rs, command, &vflags);
	rc = resolve(&rs, exp, 0, out);
	free(exp);
	if (rc == 0) {
		out->flags |= vflags;
		if (rs.capped)
			out->flags |= CMD_F_TRUNCATED;
	}
	rs_release(&rs);
	return rc;
}

void cmd_resolution_release(struct cmd_resolution *r)
{
	if (!r)
		return;
	if (r->inner) {
		cmd_resolution_release(r->inner);
		free(r->inner);
	}
	free(r->expanded);
	free(r->image_path);
	free(r->arguments);
	free(r->host);
	free(r->payload);
	free(r->payload_path);
	free(r->decoded);
	free(r->shadowed);
	memset(r, 0, sizeof(*r));
}
