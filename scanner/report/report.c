/* The report's data: appenders and ordering. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/banned.h>

#define GROW(arr, n) ((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))), &(arr)[(n)++])

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
}

void rep_engine_copy(struct rep_engine *dst, const struct rep_engine *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src)
		return;
	*dst = *src;
	dst->version = xstrdup_or_null(src->version);
	dst->dbdir = xstrdup_or_null(src->dbdir);
	dst->dbs = xcalloc(src->ndbs ? src->ndbs : 1, sizeof(*dst->dbs));
	for (size_t i = 0; i < src->ndbs; i++) {
		dst->dbs[i] = src->dbs[i];
		dst->dbs[i].name = xstrdup(src->dbs[i].name ? src->dbs[i].name : "");
		dst->dbs[i].builder = xstrdup(src->dbs[i].builder ? src->dbs[i].builder : "");
	}
}

void rep_engine_release(struct rep_engine *e)
{
	free(e->version);
	free(e->dbdir);
	for (size_t i = 0; i < e->ndbs; i++) {
		free(e->dbs[i].name);
		free(e->dbs[i].builder);
	}
	free(e->dbs);
	memset(e, 0, sizeof(*e));
}

void rep_trust_release(struct rep_trust *t)
{
	free(t->anchors_name);
	for (size_t i = 0; i < t->ncats; i++) {
		free(t->cats[i].path);
		sig_result_release(&t->cats[i].sig);
	}
	free(t->cats);
	memset(t, 0, sizeof(*t));
}

void report_release(struct report *r)
{
	rep_engine_release(&r->engine);
	rep_yara_release(&r->yara);
	free(r->image_path);
	free(r->host);
	case_meta_release(&r->meta);
	free(r->image_format);
	free(r->image_reader);
	free(r->gaps);
	free(r->cross_check_note);
	free(r->scheme);
	free(r->disk_guid);
	for (size_t i = 0; i < r->nvol; i++) {
		free(r->vol[i].label);
		free(r->vol[i].fs_version);
		free(r->vol[i].reader);
	}
	free(r->vol);
	for (size_t i = 0; i < r->ndet; i++) {
		free(r->det[i].path);
		free(r->det[i].stream);
		free(r->det[i].signature);
	}
	free(r->det);
	for (size_t i = 0; i < r->nmacros; i++) {
		free(r->macros[i].path);
		free(r->macros[i].stream);
		free(r->macros[i].signature);
	}
	free(r->macros);
	for (size_t i = 0; i < r->nskip; i++) {
		free(r->skip[i].path);
		free(r->skip[i].stream);
		free(r->skip[i].reason);
	}
	free(r->skip);
	for (size_t i = 0; i < r->nrp; i++) {
		free(r->rp[i].path);
		free(r->rp[i].target);
	}
	free(r->rp);
	for (size_t i = 0; i < r->nfiles; i++) {
		free(r->files[i].path);
		free(r->files[i].stream);
		free(r->files[i].link_of);
		free(r->files[i].status);
		if (r->files[i].sig) {
			sig_result_release(r->files[i].sig);
			free(r->files[i].sig);
		}
	}
	free(r->files);
	rep_trust_release(&r->trust);
	for (size_t i = 0; i < r->nos; i++) {
		os_info_release(&r->os[i]);
		if (r->evidence)
			evidence_release(&r->evidence[i]);
	}
	free(r->os);
	free(r->evidence);
	free(r->verdict_reason);
	free(r->profile_name);
	free(r->profile_source);
	for (size_t i = 0; i < r->nprofile_files; i++)
		free(r->profile_files[i].source);
	free(r->profile_files);
	for (size_t i = 0; i < r->nfindings; i++) {
		struct rep_finding *x = &r->findings[i];
		free(x->message);
		free(x->path);
		free(x->stream);
		free(x->value);
		free(x->version);
		free(x->sha256);
		free(x->waiver);
	}
	free(r->findings);
	for (size_t i = 0; i < r->nwaivers; i++)
		profile_waiver_clear(&r->waivers[i].w);
	free(r->waivers);
	drift_release(r->drift);
	free(r->drift);
	memset(r, 0, sizeof(*r));
}

/* ---- case metadata ---- */

static bool key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

int case_meta_add(struct case_meta *m, const char *arg, struct ks_err *err)
{
	const char *eq = strchr(arg, '=');
	size_t kl = eq ? (size_t)(eq - arg) : strlen(arg), vl, at;
	uint16_t *u16 = NULL;
	char key[CASE_KEY_MAX + 1];

	if (!eq) {
		ks_fail(err, KS_EINPUT, "--meta wants KEY=VALUE, not '%.*s'", kl > 80 ? 80 : (int)kl, arg);
		return -1;
	}
	if (kl == 0 || kl > CASE_KEY_MAX) {
		ks_fail(err, KS_EINPUT, "--meta: a KEY must be 1 to %d characters of A-Z a-z 0-9 _ . -", CASE_KEY_MAX);
		return -1;
	}
	for (size_t i = 0; i < kl; i++)
		if (!key_char(arg[i])) {
			ks_fail(err, KS_EINPUT, "--meta: KEY '%.*s' may hold only A-Z a-z 0-9 _ . -",
				 kl > 80 ? 80 : (int)kl, arg);
			return -1;
		}
	memcpy(key, arg, kl);
	key[kl] = '\0';
	vl = strlen(eq + 1);
	/* An empty value is nearly always an unset shell variable
	 * (--meta operator=$OPERATOR): said, not recorded as blank. */
	if (vl == 0) {
		ks_fail(err, KS_EINPUT, "--meta '%s': empty value", key);
		return -1;
	}
	if (vl > CASE_VALUE_MAX) {
		ks_fail(err, KS_EINPUT, "--meta '%s': value is %zu bytes, at most %d", key, vl, CASE_VALUE_MAX);
		return -1;
	}
	/* report.txt prints it on one line of its own. */
	for (const unsigned char *c = (const unsigned char *)eq + 1; *c; c++)
		if (*c < 0x20 || *c == 0x7f) {
			ks_fail(err, KS_EINPUT, "--meta '%s': value holds a control character (0x%02x)", key, *c);
			return -1;
		}
	if (utf8_to_utf16le(eq + 1, &u16) < 0) {
		ks_fail(err, KS_EINPUT, "--meta '%s': value is not valid UTF-8", key);
		return -1;
	}
	free(u16);
	for (at = 0; at < m->n; at++) {
		int c = strcmp(m->v[at].key, key);
		if (c == 0) {
			ks_fail(err, KS_EINPUT, "--meta '%s': given twice", key);
			return -1;
		}
		if (c > 0)
			break;
	}
	if (m->n >= CASE_META_MAX) {
		ks_fail(err, KS_EINPUT, "--meta: at most %d entries", CASE_META_MAX);
		return -1;
	}
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	memmove(&m->v[at + 1], &m->v[at], (m->n - at) * sizeof(*m->v));
	m->v[at].key = xstrdup(key);
	m->v[at].value = xstrdup(eq + 1);
	m->n++;
	return 0;
}

void case_meta_copy(struct case_meta *dst, const struct case_meta *src)
{
	dst->n = src ? src->n : 0;
	dst->v = dst->n ? xcalloc(dst->n, sizeof(*dst->v)) : NULL;
	for (size_t i = 0; i < dst->n; i++) {
		dst->v[i].key = xstrdup(src->v[i].key);
		dst->v[i].value = xstrdup(src->v[i].value);
	}
}

void case_meta_release(struct case_meta *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].key);
		free(m->v[i].value);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

char *report_host_name(void)
{
	char name[HOST_NAME_MAX + 1];

	/* Truncation leaves no NUL on some systems: terminate ourselves. */
	if (gethostname(name, sizeof(name)) < 0)
		return xstrdup("");
	name[sizeof(name) - 1] = '\0';
	return xstrdup(name);
}

static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

static void set_detection(struct rep_detection *d, unsigned vol, const char *path,
			  const char *stream, const char *sig, const char *sha256, uint64_t size)
{
	d->volume = vol;
	d->path = xstrdup(path);
	d->stream = dup_or_empty(stream);
	d->signature = xstrdup(sig);
	snprintf(d->sha256, sizeof(d->sha256), "%s", sha256 ? sha256 : "");
	d->size = size;
}

void report_add_detection(struct report *r, unsigned vol, const char *path, const char *stream,
			  const char *sig, const char *sha256, uint64_t size)
{
	set_detection(GROW(r->det, r->ndet), vol, path, stream, sig, sha256, size);
}

void report_add_macro(struct report *r, unsigned vol, const char *path, const char *stream,
		      const char *heuristic, const char *sha256, uint64_t size)
{
	set_detection(GROW(r->macros, r->nmacros), vol, path, stream, heuristic, sha256, size);
}

void report_add_skip(struct report *r, unsigned vol, const char *path, const char *stream,
		     const char *reason, uint64_t size)
{
	struct rep_skip *s = GROW(r->skip, r->nskip);

	s->volume = vol;
	s->path = xstrdup(path);
	s->stream = dup_or_empty(stream);
	s->reason = xstrdup(reason);
	s->size = size;
}

void report_add_reparse(struct report *r, unsigned vol, const char *path, uint32_t tag,
			const char *target, bool dir)
{
	struct rep_reparse *p = GROW(r->rp, r->nrp);

	p->volume = vol;
	p->path = xstrdup(path);
	p->tag = tag;
	p->target = dup_or_empty(target);
	p->directory = dir;
}

void report_add_file(struct report *r, unsigned vol, const char *path, const char *stream,
		     uint64_t size, const char *sha256, unsigned flags, const char *link_of,
		     const char *status)
{
	struct rep_file *f = GROW(r->files, r->nfiles);

	f->volume = vol;
	f->path = xstrdup(path);
	f->stream = dup_or_empty(stream);
	f->size = size;
	snprintf(f->sha256, sizeof(f->sha256), "%s", sha256 ? sha256 : "");
	f->flags = flags;
	f->link_of = xstrdup_or_null(link_of);
	f->status = xstrdup(status);
	f->sig = NULL;
}

void report_add_os(struct report *r, struct os_info *os)
{
	struct os_info *o = GROW(r->os, r->nos);

	*o = *os;
	memset(os, 0, sizeof(*os));
	r->evidence = xrealloc(r->evidence, r->nos * sizeof(*r->evidence));
	memset(&r->evidence[r->nos - 1], 0, sizeof(*r->evidence));
}

/* Byte order of the UTF-8 paths: stable across locales and runs. */
static int cmp_loc(unsigned va, const char *pa, const char *sa, unsigned vb, const char *pb, const char *sb)
{
	int c;

	if (va != vb)
		return va < vb ? -1 : 1;
	if ((c = strcmp(pa, pb)))
		return c;
	return strcmp(sa, sb);
}

static int det_cmp(const void *a, const void *b)
{
	const struct rep_detection *x = a, *y = b;
	int c = cmp_loc(x->volume, x->path, x->stream, y->volume, y->path, y->stream);

	return c ? c : strcmp(x->signature, y->signature);
}

static int skip_cmp(const void *a, const void *b)
{
	const struct rep_skip *x = a, *y = b;
	int c = cmp_loc(x->volume, x->path, x->stream, y->volume, y->path, y->stream);

	return c ? c : strcmp(x->reason, y->reason);
}

static int rp_cmp(const void *a, const void *b)
{
	const struct rep_reparse *x = a, *y = b;

	return cmp_loc(x->volume, x->path, "", y->volume, y->path, "");
}

static int file_cmp(const void *a, const void *b)
{
	const struct rep_file *x = a, *y = b;

	return cmp_loc(x->volume, x->path, x->stream, y->volume, y->path, y->stream);
}

/* qsort's base may not be NULL even for zero elements. */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

const struct rep_file *report_find_file(const struct report *r, unsigned vol, const char *path,
					const char *stream)
{
	size_t lo = 0, hi = r->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rep_file *f = &r->files[mid];
		int c = cmp_loc(f->volume, f->path, f->stream, vol, path, stream ? stream : "");
		if (!c)
			return f;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void report_finish(struct report *r)
{
	sort(r->det, r->ndet, sizeof(*r->det), det_cmp);
	sort(r->macros, r->nmacros, sizeof(*r->macros), det_cmp);
	sort(r->skip, r->nskip, sizeof(*r->skip), skip_cmp);
	sort(r->rp, r->nrp, sizeof(*r->rp), rp_cmp);
	sort(r->files, r->nfiles, sizeof(*r->files), file_cmp);
}

static const struct {
	uint32_t tag;
	const char *name;
} reparse_tags[] = {
	{ 0xA0000003u, "junction" },
	{ 0xA000000Cu, "symbolic link" },
	{ 0x80000017u, "CompactOS (WOF) compressed file" },
	{ 0x80000013u, "deduplicated file" },
	{ 0x8000001Bu, "app execution alias" },
	{ 0x80000023u, "AF_UNIX socket" },
	{ 0x9000001Au, "cloud files placeholder" },
	{ 0x80000020u, "WCI (container) link" },
};

const char *reparse_tag_name(uint32_t tag)
{
	for (size_t i = 0; i < sizeof(reparse_tags) / sizeof(reparse_tags[0]); i++)
		if (reparse_tags[i].tag == tag)
			return reparse_tags[i].name;
	return "other reparse point";
}

/* ---- fields spelled alike by report.json and drift ---- */

const char *report_os_version(const struct os_info *os, char *buf, size_t len)
{
	if (!os->major)
		return NULL;
	snprintf(buf, len, "%u.%u", os->major, os->minor);
	return buf;
}
