/* Profiles: read INI files with inih, follow includes, validate every key
 * against profile_keys[], and build the effective profile.
 *
 * A profile decides whether a machine goes onto a plant floor, so nothing
 * in it is guessed: an unknown section or key, a bad value, a duplicate, a
 * missing include or a cycle is an error with FILE:LINE, and no scan runs. */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <kenshu/core.h>
#include <kenshu/av.h>
#include <kenshu/profile.h>
#include "profile_internal.h"
#include <kenshu/banned.h>

static const char *const shipped[] = { "default", "strict", "example-vendor", NULL };

const char *const *profile_shipped(void)
{
	return shipped;
}

void prof_entries_free(struct entries *e)
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

struct entry *prof_entries_find(struct entries *e, const char *section, const char *key)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcasecmp(e->v[i].section, section) && !strcasecmp(e->v[i].key, key))
			return &e->v[i];
	return NULL;
}

/* Sets or overrides section/key: the later source wins. */
void prof_entries_set(struct entries *e, const struct entry *src)
{
	struct entry *d = prof_entries_find(e, src->section, src->key);

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

/* ---- diagnostics ---- */

void prof_diag(struct loader *L, enum ks_code code, const char *fmt, ...)
{
	struct ks_err one;
	va_list ap;

	if (L->ndiags >= L->max)
		return;
	va_start(ap, fmt);
	ks_vfail(&one, code, fmt, ap);   /* one line, as every message */
	va_end(ap);
	if (L->ndiags++ == 0)
		ks_fail(L->err, code, "%s", one.msg);
	if (!L->diags)
		return;
	struct profile_diags *d = L->diags;
	d->v = xrealloc(d->v, (d->n + 2) * sizeof(*d->v));
	d->v[d->n++] = xstrdup(one.msg);
	if (L->ndiags == L->max)
		d->v[d->n++] = xasprintf("%s: stopped after %zu errors", L->p->nfiles ? L->p->files[0].source : "profile",
					 L->max);
}

bool prof_diag_full(const struct loader *L)
{
	return L->ndiags >= L->max;
}

void profile_diags_release(struct profile_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

/* ---- sources and includes ---- */

static bool is_shipped(const char *name)
{
	for (size_t i = 0; shipped[i]; i++)
		if (!strcmp(shipped[i], name))
			return true;
	return false;
}

/* Reads ref (a path, or a shipped name) into *text. Returns 0, or -1
 * with *err set ("PATH: why"). */
static int read_source(const char *ref, const char *from_dir, char **id, char **dir, char **text, size_t *len,
		       bool *from_shipped, struct ks_err *err)
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
			ks_fail(err, KS_EINPUT, "%s: no such profile file, and not a shipped profile "
				 "(default, strict, example-vendor)", path);
		else
			ks_fail(err, KS_EIO, "%s: %s", path, strerror(errno));
		free(base);
		free(path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		ks_fail(err, KS_EINPUT, "%s: not a regular file", path);
		free(path);
		return -1;
	}
	if ((uint64_t)st.st_size > PROFILE_MAX_SIZE) {
		ks_fail(err, KS_EINPUT, "%s: larger than %u bytes: not a profile", path, PROFILE_MAX_SIZE);
		free(path);
		return -1;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		ks_fail(err, KS_EIO, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	*text = xmalloc((size_t)st.st_size + 1);
	*len = fread(*text, 1, (size_t)st.st_size, f);
	(*text)[*len] = '\0';
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		ks_fail(err, KS_EINPUT, "%s: cannot read", path);
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

/* Reads one profile file (or shipped profile) and, as their lines come,
 * the files it includes; its own keys then go over theirs in *out. from
 * and from_line name the include line (NULL: the profile asked for).
 * Returns 0, or -1 when it or a file it includes had an error (each one is
 * in L). */
static int load_one(struct loader *L, const char *ref, const char *from_dir, const char *from, unsigned from_line,
		    struct entries *out)
{
	char *id = NULL, *dir = NULL, *text = NULL;
	size_t len = 0, before = L->ndiags;
	bool is_ship;
	struct entries own = { 0 };
	struct ks_err why;

	if (prof_diag_full(L))
		return -1;
	if (read_source(ref, from_dir, &id, &dir, &text, &len, &is_ship, &why) < 0) {
		if (from) {
			/* The includer's line is what the user must fix. */
			char inner[400];
			snprintf(inner, sizeof(inner), "%.399s", why.msg);
			prof_diag(L, KS_EINPUT, "%s:%u: include '%s': %s", from, from_line, ref,
				  strchr(inner, ':') ? strchr(inner, ':') + 2 : inner);
		} else {
			prof_diag(L, why.code, "%s", why.msg);
		}
		return -1;
	}
	for (unsigned i = 0; i < L->depth; i++)
		if (!strcmp(L->stack[i], id)) {
			prof_diag(L, KS_EINPUT, "%s:%u: include '%s': cycle (%s is already being read)",
				  from, from_line, ref, id);
			goto out;
		}
	if (L->depth >= PROFILE_MAX_DEPTH) {
		prof_diag(L, KS_EINPUT, "%s:%u: include '%s': more than %d levels of includes", from, from_line,
			  ref, PROFILE_MAX_DEPTH);
		goto out;
	}
	L->stack[L->depth++] = id;

	struct src s = { .L = L, .name = id, .dir = dir, .text = text, .len = len, .out = &own, .merged = out };
	struct profile *p = L->p;
	p->files = xrealloc(p->files, (p->nfiles + 1) * sizeof(*p->files));
	struct profile_file *pf = &p->files[p->nfiles++];
	pf->source = xstrdup(id);
	struct sha256 *h = sha256_new();
	sha256_update(h, text, len);
	sha256_final_hex(h, pf->sha256);
	sha256_free(h);

	/* Includes are read where their line stands, into out; this file's
	 * own keys go over them once it is read whole. */
	prof_parse_src(&s);
	if (L->ndiags == before)
		for (size_t i = 0; i < own.n; i++)
			prof_entries_set(out, &own.v[i]);
	L->depth--;
out:
	prof_entries_free(&own);
	free(id);
	free(dir);
	free(text);
	return L->ndiags == before ? 0 : -1;
}

void prof_include(struct src *s, const char *value)
{
	size_t cnt;
	char **items = prof_split_list(value, &cnt);
	char *from = xstrdup(s->name);

	for (size_t i = 0; i < cnt && !prof_diag_full(s->L); i++)
		load_one(s->L, items[i], s->dir, from, s->line, s->merged);
	free(from);
	prof_free_items(items, cnt);
}

/* ---- the effective profile ---- */

static const char *eff_value(const struct profile *p, const char *section, const char *key)
{
	struct entry *e = prof_entries_find((struct entries *)&p->eff, section, key);

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
	l->items = prof_split_list(v ? v : "", &l->n);
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
	l->items[l->n] = NULL;
}

/* Named sections ("allow.x", "waiver.y") gathered from the effective keys,
 * with the checks that span keys: each problem of each section is said. */
static void build_named(struct loader *L)
{
	struct profile *p = L->p;

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
		const char *signer = allow ? eff_value(p, e->section, "signer") : NULL;
		const char *thumb = allow ? eff_value(p, e->section, "thumbprint") : NULL;
		const char *account = allow ? eff_value(p, e->section, "account") : NULL;
		const char *service = allow ? eff_value(p, e->section, "service") : NULL;
		bool bad = !path && !sha && !signer && !thumb && !account && !service;
		if (bad && allow)
			prof_diag(L, KS_EINPUT, "%s: [%s] needs path, sha256 or signer, a thumbprint, an account or a service", e->origin,
				  e->section);
		else if (bad)
			prof_diag(L, KS_EINPUT, "%s: [%s] needs path or sha256 (or both)", e->origin, e->section);
		if (allow && bad)
			continue;
		if (allow) {
			p->allows = xrealloc(p->allows, (p->nallows + 1) * sizeof(*p->allows));
			struct profile_allow *a = &p->allows[p->nallows++];
			a->name = xstrdup(name);
			a->path = xstrdup_or_null(path);
			a->sha256 = xstrdup_or_null(sha);
			a->signer = xstrdup_or_null(signer);
			a->thumbprint = xstrdup_or_null(thumb);
			a->account = xstrdup_or_null(account);
			a->service = xstrdup_or_null(service);
			a->vendor = xstrdup_or_null(eff_value(p, e->section, "vendor"));
			a->comment = xstrdup_or_null(eff_value(p, e->section, "comment"));
			a->origin = xstrdup(e->origin);
			continue;
		}
		for (size_t k = 0; k < profile_nkeys; k++) {
			const struct profile_key *pk = &profile_keys[k];
			if (!strcmp(pk->section, "waiver.*") && pk->required && !eff_value(p, e->section, pk->key)) {
				prof_diag(L, KS_EINPUT, "%s: [%s] needs %s", e->origin, e->section, pk->key);
				bad = true;
			}
		}
		if (bad)
			continue;
		p->waivers = xrealloc(p->waivers, (p->nwaivers + 1) * sizeof(*p->waivers));
		struct profile_waiver *w = &p->waivers[p->nwaivers++];
		w->name = xstrdup(name);
		w->rule = xstrdup(eff_value(p, e->section, "rule"));
		w->path = xstrdup_or_null(path);
		w->sha256 = xstrdup_or_null(sha);
		w->reason = xstrdup(eff_value(p, e->section, "reason"));
		w->approver = xstrdup(eff_value(p, e->section, "approver"));
		snprintf(w->expires, sizeof(w->expires), "%s", eff_value(p, e->section, "expires"));
		w->origin = xstrdup(e->origin);
	}
}

static int load(const char *name_or_path, struct profile **out, struct profile_diags *diags, struct ks_err *err)
{
	struct profile *p = xcalloc(1, sizeof(*p));
	struct ks_err own;
	if (!err)
		err = &own;
	/* profile_load wants the first error only: reading stops there. */
	struct loader L = { .p = p, .err = err, .diags = diags, .max = diags ? PROFILE_MAX_DIAGS : 1 };
	*out = NULL;
	ks_err_clear(err);
	if (!*name_or_path) {
		prof_diag(&L, KS_EINPUT, "empty profile name");
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
	build_named(&L);
	if (L.ndiags)
		goto fail;

	size_t nh, ns;
	const char *const *hl = profile_list(p, "ioc", "hash_list", &nh);
	const char *const *sl = profile_list(p, "ioc", "string_list", &ns);
	if (nh || ns) {
		struct ks_err why;
		if (ioc_load(hl, nh, sl, ns, &p->ioc, &why) < 0) {
			prof_diag(&L, why.code, "%s", why.msg);
			goto fail;
		}
	}

	size_t ny;
	const char *const *yl = profile_list(p, "yara", "rules", &ny);
	if (ny) {
		/* Compiled here, once: a rule that does not compile refuses the
		 * profile (exit 2) before any image is opened, and every worker
		 * of every image then shares the one compiled set. */
		struct yara_diags yd = { 0 };
		struct ks_err why;
		if (yara_load(yl, ny, &p->yara, &yd, &why) < 0) {
			for (size_t i = 0; i < yd.n; i++)
				prof_diag(&L, KS_EINPUT, "%s", yd.v[i]);
			if (!yd.n)
				prof_diag(&L, why.code, "%s", why.msg);
			yara_diags_release(&yd);
			goto fail;
		}
		yara_diags_release(&yd);
	}

	/* The effective hash: the canonical text without origins. */
	struct strbuf canon = STRBUF_INIT;
	profile_format(p, &canon, false);
	struct sha256 *h = sha256_new();
	sha256_update(h, canon.buf, canon.len);
	sha256_final_hex(h, p->effective);
	sha256_free(h);
	strbuf_release(&canon);
	*out = p;
	return 0;
fail:
	profile_free(p);
	return -1;
}

int profile_load(const char *name_or_path, struct profile **out, struct ks_err *err)
{
	return load(name_or_path, out, NULL, err);
}

int profile_check(const char *name_or_path, struct profile **out, struct profile_diags *diags,
		  struct ks_err *err)
{
	diags->v = NULL;
	diags->n = 0;
	return load(name_or_path, out, diags, err);
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
	prof_entries_free(&p->eff);
	free(p->sev);
	for (size_t i = 0; i < p->nlists; i++) {
		free(p->lists[i].section);
		free(p->lists[i].key);
		prof_free_items(p->lists[i].items, p->lists[i].n);
	}
	free(p->lists);
	for (size_t i = 0; i < p->nallows; i++) {
		struct profile_allow *a = &p->allows[i];
		free(a->name);
		free(a->path);
		free(a->sha256);
		free(a->signer);
		free(a->thumbprint);
		free(a->account);
		free(a->service);
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
	yara_free(p->yara);
	free(p);
}

void profile_waiver_copy(struct profile_waiver *dst, const struct profile_waiver *src)
{
	dst->name = xstrdup(src->name);
	dst->rule = xstrdup(src->rule);
	dst->path = xstrdup_or_null(src->path);
	dst->sha256 = xstrdup_or_null(src->sha256);
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
const struct yara *profile_yara(const struct profile *p) { return p ? p->yara : NULL; }

/* One of the space-separated tags is in the list ("*": any). */
static bool tag_listed(const char *tags, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list[i]);
		if (!strcmp(list[i], "*"))
			return true;
		for (const char *t = tags; t && *t; ) {
			const char *e = strchr(t, ' ');
			size_t tl = e ? (size_t)(e - t) : strlen(t);
			if (tl == l && !strncasecmp(t, list[i], l))
				return true;
			t = e ? e + 1 : NULL;
		}
	}
	return false;
}

bool profile_yara_decisive(const struct profile *p, bool meta_fail, const char *tags)
{
	size_t nft;
	const char *const *ft = profile_list(p, "yara", "fail_tags", &nft);

	return meta_fail || tag_listed(tags, ft, nft);
}

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

	if (!v || !prof_parse_long(v, &n))
		BUG("profile key [%s] %s is not a number", section, key);
	return n;
}

bool profile_bool(const struct profile *p, const char *section, const char *key)
{
	const char *v = eff_value(p, section, key);
	bool b = false;

	if (!v || !prof_parse_bool(v, &b))
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
