/* The report's data: appenders, ordering, verdict. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/err.h>
#include <kenshu/report.h>
#include "banned.h"

#define GROW(arr, n) ((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))), &(arr)[(n)++])

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
}

void report_release(struct report *r)
{
	free(r->image_path);
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
	}
	free(r->files);
	for (size_t i = 0; i < r->nos; i++)
		os_info_release(&r->os[i]);
	free(r->os);
	free(r->verdict_reason);
	memset(r, 0, sizeof(*r));
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
	f->link_of = link_of ? xstrdup(link_of) : NULL;
	f->status = xstrdup(status);
}

void report_add_os(struct report *r, struct os_info *os)
{
	struct os_info *o = GROW(r->os, r->nos);

	*o = *os;
	memset(os, 0, sizeof(*os));
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

void report_finish(struct report *r)
{
	char reason[512];

	sort(r->det, r->ndet, sizeof(*r->det), det_cmp);
	sort(r->macros, r->nmacros, sizeof(*r->macros), det_cmp);
	sort(r->skip, r->nskip, sizeof(*r->skip), skip_cmp);
	sort(r->rp, r->nrp, sizeof(*r->rp), rp_cmp);
	sort(r->files, r->nfiles, sizeof(*r->files), file_cmp);
	struct verdict_inputs in = { .detections = r->ndet, .skipped = r->nskip, .nothing_scanned = 1 };
	for (size_t i = 0; i < r->nvol; i++)
		if (r->vol[i].scanned)
			in.nothing_scanned = 0;
	for (size_t i = 0; i < r->ngaps; i++)
		in.data_outside += r->gaps[i].holds_data;
	for (size_t i = 0; i < r->nos; i++) {
		const struct os_info *os = &r->os[i];
		for (size_t k = 0; k < os->autoruns.n; k++)
			in.flagged_autoruns += os->autoruns.v[k].flags != 0;
		for (int k = 0; k < 2; k++)
			in.hive_problems += os->hives[k].name && hive_health_incomplete(&os->hives[k].health);
		for (size_t k = 0; k < os->nuser_hives; k++)
			in.hive_problems += hive_health_incomplete(&os->user_hives[k].health);
		in.hive_problems += os->wmi_error != NULL;
		in.identity_mismatch += os->cross_check_differs;
	}
	r->verdict = verdict_decide(&in, reason, sizeof(reason));
	free(r->verdict_reason);
	r->verdict_reason = xstrdup(reason);
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
