/* cmdline: resolve a stored autostart command to the file it runs, offline.
 *
 * Order of work: %VAR% expansion from the caller's map, then the program token
 * as CreateProcess finds it (quoted, or the shortest existing space-split
 * prefix), then, when the program is a known host, that host's own argument
 * rules from a table. Paths become image-relative, '/'-separated, normalised
 * ('.' and '..' folded, never above the root) and keep the case as written.
 *
 * The hosts and their argument rules are in cmdline_hosts.c
 * (artifacts_internal.h joins the two).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "artifacts_internal.h"
#include <kenshu/banned.h>

/* ---- small helpers ---- */

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

/* ---- resolver state for one cmd_resolve() call ---- */

struct cmd_rs {
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

static const char *env_get(const struct cmd_rs *rs, const char *name, size_t n)
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
static char *expand(const struct cmd_rs *rs, const char *s, unsigned *flags)
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
static enum pkind to_image(const struct cmd_rs *rs, const char *p, size_t n, char **img)
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

static bool probe(struct cmd_rs *rs, const char *img)
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

static char *try_exts(struct cmd_rs *rs, const char *img, enum cmd_fmode mode)
{
	if (mode != CMD_FM_FILE && !has_ext(img)) {
		char *c = xasprintf("%s%s", img, mode == CMD_FM_EXE ? ".exe" : ".dll");

		if (probe(rs, c))
			return c;
		free(c);
	}
	return probe(rs, img) ? xstrdup(img) : NULL;
}

char *cmd_find_file(struct cmd_rs *rs, const char *p, size_t n, enum cmd_fmode mode,
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

static void add_dir(struct cmd_rs *rs, char *dir)
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

static void rs_init(struct cmd_rs *rs, const struct cmd_env *env, size_t nenv,
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

static void rs_release(struct cmd_rs *rs)
{
	for (size_t i = 0; i < rs->ndirs; i++)
		free(rs->dirs[i]);
	free(rs->sysroot);
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
static size_t pick_program(struct cmd_rs *rs, const char *s, struct cmd_resolution *out,
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
		out->image_path = cmd_find_file(rs, s + 1, (size_t)(e - s - 1), CMD_FM_EXE, false, &found, &fl);
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
		char *img = cmd_find_file(rs, s, ends[k], CMD_FM_EXE, chosen, &found, &f);

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
		out->image_path = cmd_find_file(rs, s, ends[pick], CMD_FM_EXE, true, &found, &fl);
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

int cmd_resolve_text(struct cmd_rs *rs, const char *text, int depth, struct cmd_resolution *out)
{
	const char *tok, *rest;
	const struct cmd_host *h;
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
		cmd_set_payload_text(out, s, CMD_F_URL);
		out->arguments = xstrdup("");
		return 0;
	}
	toklen = pick_program(rs, s, out, &tok, &rest);
	out->arguments = trimmed(rest);
	h = cmd_host_lookup(tok, toklen);
	if (h) {
		out->host = xstrdup(h->canon);
		h->fn(rs, out->arguments, depth, out);
	}
	return 0;
}

int cmd_resolve(const char *command, const struct cmd_env *env, size_t nenv,
		cmd_exists_fn exists, void *ctx, struct cmd_resolution *out)
{
	struct cmd_rs rs;
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
	rc = cmd_resolve_text(&rs, exp, 0, out);
	free(exp);
	if (rc == 0) {
		out->flags |= vflags;
		if (rs.capped)
			out->flags |= CMD_F_TRUNCATED;
	}
	rs_release(&rs);
	return rc;
}

int cmd_resolve_path(const char *path, const struct cmd_env *env, size_t nenv, char **img, unsigned *flags)
{
	struct cmd_rs rs;
	unsigned f = 0;
	char *exp, *t;
	size_t n;
	int rc = 0;

	*img = NULL;
	if (!path)
		return 0;
	rs_init(&rs, env, env ? nenv : 0, NULL, NULL);
	exp = expand(&rs, path, &f);
	t = trimmed(exp);
	n = strlen(t);
	/* A setting may be quoted as a whole; a path has no quotes inside. */
	if (n >= 2 && t[0] == '"' && t[n - 1] == '"') {
		memmove(t, t + 1, n - 2);
		t[n -= 2] = '\0';
	}
	switch (to_image(&rs, t, n, img)) {
	case P_ABS:
	case P_SYSREL:
		rc = 1;
		break;
	case P_NOT_LOCAL:
		f |= CMD_F_NOT_LOCAL;
		break;
	default:
		break;
	}
	if (rc == 0) {
		free(*img);
		*img = NULL;
	}
	free(t);
	free(exp);
	rs_release(&rs);
	if (flags)
		*flags = f;
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
