/* The comparison of two snapshots. Every section is the same walk: both
 * sides' items sorted by their key, merged, and an item on both sides
 * compared field by field from the list's field table (snap_lists[],
 * snapshot.c), so adding a compared property is one table row. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/drift.h>
#include <kenshu/core.h>
#include "drift_internal.h"
#include <kenshu/banned.h>

#define ROW_KEYS 4

/* One item of a list: its identity (volume and up to ROW_KEYS strings) and
 * a tie-breaker that orders items sharing an identity, so that they pair
 * up the same way on both sides. */
struct row {
	unsigned vol;
	const char *k[ROW_KEYS];
	const char *tie;
	const struct snap_item *it;
};

typedef void (*emit_fn)(struct drift *d, enum drift_change c, const struct snap_item *o, const struct snap_item *n);

/* How a section names its items and reports them: the properties that
 * are the key, in order, the one that breaks ties (-1: none), which items
 * take part (NULL: all) and what a difference becomes. What is compared
 * is the list's field table (SNAP_COMPARED, snapshot.c). */
struct section {
	enum snap_list list;
	size_t nkeys;
	int key[ROW_KEYS];
	int tie;
	bool (*keep)(const struct snap_item *it);
	emit_fn emit;
};

static const char *nz(const char *s)
{
	return s ? s : "";
}

static int key_cmp(const struct row *x, const struct row *y)
{
	int c;

	if (x->vol != y->vol)
		return x->vol < y->vol ? -1 : 1;
	for (int i = 0; i < ROW_KEYS; i++) {
		/* NULL (absent, e.g. a machine-wide entry's user) before any string. */
		if (!x->k[i] != !y->k[i])
			return x->k[i] ? 1 : -1;
		if ((c = strcmp(nz(x->k[i]), nz(y->k[i]))))
			return c;
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = key_cmp(x, y);

	return c ? c : strcmp(nz(x->tie), nz(y->tie));
}

static struct row *rows_of(const struct snap_items *a, const struct section *sec, size_t *n)
{
	struct row *v = xcalloc(a->n ? a->n : 1, sizeof(*v));
	size_t k = 0;

	for (size_t i = 0; i < a->n; i++) {
		const struct snap_item *it = &a->v[i];
		if (sec->keep && !sec->keep(it))
			continue;
		v[k].it = it;
		v[k].vol = it->volume;
		for (size_t j = 0; j < sec->nkeys; j++)
			v[k].k[j] = it->v[sec->key[j]];
		v[k].tie = sec->tie < 0 ? NULL : it->v[sec->tie];
		k++;
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), row_cmp);
	*n = k;
	return v;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The compared properties of list l that differ between o and n,
 * appended to *f in the field table's order. */
static void diff_fields(enum snap_list l, const struct snap_item *o, const struct snap_item *n,
			struct drift_field **f, size_t *nf)
{
	const struct snap_list_def *def = &snap_lists[l];

	for (size_t i = 0; i < def->nfields; i++) {
		if (!(def->fields[i].flags & SNAP_COMPARED) || same(o->v[i], n->v[i]))
			continue;
		*f = xrealloc(*f, (*nf + 1) * sizeof(**f));
		(*f)[(*nf)++] = (struct drift_field){ xstrdup(def->fields[i].key), xstrdup_or_null(o->v[i]),
						      xstrdup_or_null(n->v[i]) };
	}
}

static bool differs(enum snap_list l, const struct snap_item *o, const struct snap_item *n)
{
	const struct snap_list_def *def = &snap_lists[l];

	for (size_t i = 0; i < def->nfields; i++)
		if ((def->fields[i].flags & SNAP_COMPARED) && !same(o->v[i], n->v[i]))
			return true;
	return false;
}

/* Calls the section's emit(change, old, new) for every item not the same
 * on both sides (old or new NULL for added or removed). */
static void merge(const struct snapshot *old, const struct snapshot *new, const struct section *sec, struct drift *d)
{
	size_t no, nn, i = 0, j = 0;
	struct row *o = rows_of(&old->lists[sec->list], sec, &no), *n = rows_of(&new->lists[sec->list], sec, &nn);

	while (i < no || j < nn) {
		int c = i == no ? 1 : j == nn ? -1 : key_cmp(&o[i], &n[j]);
		if (c == 0)
			sec->emit(d, DRIFT_CHANGED, o[i++].it, n[j++].it);
		else if (c < 0)
			sec->emit(d, DRIFT_REMOVED, o[i++].it, NULL);
		else
			sec->emit(d, DRIFT_ADDED, NULL, n[j++].it);
	}
	free(o);
	free(n);
}

/* ---- volumes ---- */

static void volume_emit(struct drift *d, enum drift_change c, const struct snap_item *o, const struct snap_item *n)
{
	struct drift_field *f = NULL;
	size_t nf = 0;
	const struct snap_item *x = n ? n : o;

	if (c == DRIFT_CHANGED) {
		diff_fields(SNAP_VOLUMES, o, n, &f, &nf);
		if (!nf)
			return;
	}
	d->vol = xrealloc(d->vol, (d->nvol + 1) * sizeof(*d->vol));
	d->vol[d->nvol++] = (struct drift_volume){ c, x->volume, xstrdup(nz(x->v[SNAP_VOL_FILESYSTEM])),
						   xstrdup(nz(x->v[SNAP_VOL_LABEL])), f, nf };
}

/* ---- Windows installations ---- */

static void os_emit(struct drift *d, enum drift_change c, const struct snap_item *o, const struct snap_item *n)
{
	struct drift_field *f = NULL;
	size_t nf = 0;
	const struct snap_item *x = n ? n : o;

	if (c == DRIFT_CHANGED) {
		diff_fields(SNAP_OS, o, n, &f, &nf);
		if (!nf)
			return;
	}
	d->os = xrealloc(d->os, (d->nos + 1) * sizeof(*d->os));
	d->os[d->nos++] = (struct drift_os){ c, x->volume, xstrdup(nz(x->v[SNAP_OS_SYSTEM_ROOT])),
					     xstrdup_or_null(x->v[SNAP_OS_PRODUCT_NAME]), f, nf };
}

/* ---- autostart entries ---- */

static void autorun_emit(struct drift *d, enum drift_change c, const struct snap_item *o, const struct snap_item *n)
{
	struct drift_field *f = NULL;
	size_t nf = 0;
	const struct snap_item *x = n ? n : o;

	if (c == DRIFT_CHANGED) {
		diff_fields(SNAP_AUTORUNS, o, n, &f, &nf);
		if (!nf)
			return;
	}
	d->autoruns = xrealloc(d->autoruns, (d->nautoruns + 1) * sizeof(*d->autoruns));
	d->autoruns[d->nautoruns++] = (struct drift_autorun){
		c, x->volume, xstrdup(nz(x->v[SNAP_AR_CATEGORY])), xstrdup(nz(x->v[SNAP_AR_LOCATION])),
		xstrdup(nz(x->v[SNAP_AR_NAME])), xstrdup_or_null(x->v[SNAP_AR_USER]), xstrdup(nz(x->v[SNAP_AR_COMMAND])),
		xstrdup_or_null(x->v[SNAP_AR_TARGET]), xstrdup_or_null(x->v[SNAP_AR_TARGET_SHA256]),
		xstrdup(nz(x->v[SNAP_AR_FLAGS])), f, nf,
	};
}

/* ---- detections ---- */

static void detection_emit(struct drift *d, enum drift_change c, const struct snap_item *o, const struct snap_item *n)
{
	const struct snap_item *x = n ? n : o;

	if (c == DRIFT_CHANGED)
		return;   /* same file, same signature */
	d->det = xrealloc(d->det, (d->ndet + 1) * sizeof(*d->det));
	d->det[d->ndet++] = (struct drift_detection){ c, x->volume, xstrdup(nz(x->v[SNAP_DET_PATH])),
						      xstrdup(nz(x->v[SNAP_DET_STREAM])),
						      xstrdup(nz(x->v[SNAP_DET_SIGNATURE])),
						      xstrdup(nz(x->v[SNAP_DET_SHA256])) };
}

/* ---- rule outcomes ---- */

static bool not_drift_rule(const struct snap_item *it)
{
	return strncmp(nz(it->v[SNAP_FND_RULE]), "drift-", 6) != 0;
}

static void finding_emit(struct drift *d, enum drift_change c, const struct snap_item *o, const struct snap_item *n)
{
	const struct snap_item *x = n ? n : o;
	const char *os = o ? o->v[SNAP_FND_SEVERITY] : NULL, *ns = n ? n->v[SNAP_FND_SEVERITY] : NULL;
	const char *ow = o ? o->v[SNAP_FND_WAIVER] : NULL, *nw = n ? n->v[SNAP_FND_WAIVER] : NULL;

	if (c == DRIFT_CHANGED && !differs(SNAP_FINDINGS, o, n))
		return;
	d->findings = xrealloc(d->findings, (d->nfindings + 1) * sizeof(*d->findings));
	d->findings[d->nfindings++] = (struct drift_finding){
		c, xstrdup(nz(x->v[SNAP_FND_RULE])), x->volume, xstrdup_or_null(x->v[SNAP_FND_PATH]),
		xstrdup_or_null(x->v[SNAP_FND_VALUE]), xstrdup_or_null(os), xstrdup_or_null(ns), xstrdup_or_null(ow),
		xstrdup_or_null(nw), xstrdup(nz(x->v[SNAP_FND_MESSAGE])),
	};
}

static const struct section volumes = { SNAP_VOLUMES, 0, { 0 }, -1, NULL, volume_emit };
static const struct section installs = { SNAP_OS, 1, { SNAP_OS_SYSTEM_ROOT }, -1, NULL, os_emit };
static const struct section autoruns = {
	SNAP_AUTORUNS, 4, { SNAP_AR_CATEGORY, SNAP_AR_LOCATION, SNAP_AR_NAME, SNAP_AR_USER }, SNAP_AR_COMMAND, NULL,
	autorun_emit,
};
static const struct section detections = {
	SNAP_DETECTIONS, 3, { SNAP_DET_PATH, SNAP_DET_STREAM, SNAP_DET_SIGNATURE }, -1, NULL, detection_emit,
};
static const struct section findings = {
	SNAP_FINDINGS, 3, { SNAP_FND_RULE, SNAP_FND_PATH, SNAP_FND_VALUE }, SNAP_FND_MESSAGE, not_drift_rule,
	finding_emit,
};

/* ---- files ---- */

static bool file_same(const struct snap_file *a, const struct snap_file *b)
{
	/* An unread side (no hash) equals only another unread side of the
	 * same size: a file that became unreadable has changed. */
	return a->size == b->size && !strcmp(a->sha256, b->sha256) && same(a->link_of, b->link_of) &&
	       !strcmp(a->status, "link") == !strcmp(b->status, "link");
}

static void file_emit(struct drift *d, enum drift_change c, const struct snap_file *o, const struct snap_file *n)
{
	const struct snap_file *x = n ? n : o;
	struct drift_file *f;

	d->files = xrealloc(d->files, (d->nfiles + 1) * sizeof(*d->files));
	f = &d->files[d->nfiles++];
	memset(f, 0, sizeof(*f));
	f->change = c;
	f->volume = x->volume;
	f->path = xstrdup(x->path);
	f->stream = xstrdup(x->stream);
	f->directory = x->directory;
	if (o) {
		f->old_size = o->size;
		memcpy(f->old_sha256, o->sha256, sizeof(f->old_sha256));
		f->old_status = xstrdup(o->status);
	}
	if (n) {
		f->new_size = n->size;
		memcpy(f->new_sha256, n->sha256, sizeof(f->new_sha256));
		f->new_status = xstrdup(n->status);
	}
}

static void compare_files(const struct snapshot *old, const struct snapshot *new, struct drift *d)
{
	size_t i = 0, j = 0;

	while (i < old->nfiles || j < new->nfiles) {
		int c = i == old->nfiles ? 1 : j == new->nfiles ? -1 : snap_file_cmp(&old->files[i], &new->files[j]);
		if (c < 0) {
			file_emit(d, DRIFT_REMOVED, &old->files[i++], NULL);
		} else if (c > 0) {
			file_emit(d, DRIFT_ADDED, NULL, &new->files[j++]);
		} else {
			if (file_same(&old->files[i], &new->files[j]))
				d->files_unchanged++;
			else
				file_emit(d, DRIFT_CHANGED, &old->files[i], &new->files[j]);
			i++;
			j++;
		}
	}
}

/* ---- sides ---- */

static void side(const struct snapshot *s, struct drift_side *x)
{
	const struct snap_side *t = &s->side;

	x->dir = xstrdup_or_null(s->dir);
	x->image_path = xstrdup(nz(t->image_path));
	x->image_sha256 = xstrdup(nz(t->image_sha256));
	x->started = xstrdup(nz(t->started));
	x->verdict = xstrdup(nz(t->verdict));
	x->profile = xstrdup(nz(t->profile));
	x->tool = xasprintf("kenshu %s (%s)", nz(t->tool_version), nz(t->tool_commit));
	memcpy(x->report_sha256, s->report_sha256, sizeof(x->report_sha256));
	memcpy(x->manifest_sha256, s->manifest_sha256, sizeof(x->manifest_sha256));
}

void drift_compare_findings(const struct snapshot *old, const struct snapshot *new, struct drift *d)
{
	drift_side_release(&d->new);
	side(new, &d->new);
	drift_release_findings(d);
	merge(old, new, &findings, d);
}

void drift_compare(const struct snapshot *old, const struct snapshot *new, struct drift *d)
{
	memset(d, 0, sizeof(*d));
	side(old, &d->old);
	merge(old, new, &volumes, d);
	merge(old, new, &installs, d);
	compare_files(old, new, d);
	merge(old, new, &autoruns, d);
	merge(old, new, &detections, d);
	drift_compare_findings(old, new, d);
}
