/* The comparison of two snapshots. Every section is the same walk: both
 * sides' items sorted by their key, merged, and an item on both sides
 * compared field by field from a table, so adding a compared property is
 * one table row. */
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
	json_object *o;
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

/* How a section names an item: fills vol, k[] and tie from o. */
typedef void (*row_fn)(json_object *o, struct row *r);

static struct row *rows_of(json_object *a, row_fn fill, bool (*keep)(json_object *), size_t *n)
{
	size_t len = json_object_array_length(a), k = 0;
	struct row *v = xcalloc(len ? len : 1, sizeof(*v));

	for (size_t i = 0; i < len; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		if (keep && !keep(o))
			continue;
		v[k].o = o;
		fill(o, &v[k]);
		k++;
	}
	qsort(v, k, sizeof(*v), row_cmp);
	*n = k;
	return v;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The fields of fields[] that differ between o and n, appended to *f. */
static void diff_fields(json_object *o, json_object *n, const char *const *fields, struct drift_field **f, size_t *nf)
{
	for (size_t i = 0; fields[i]; i++) {
		char *a = snap_text(o, fields[i]), *b = snap_text(n, fields[i]);
		if (same(a, b)) {
			free(a);
			free(b);
			continue;
		}
		*f = xrealloc(*f, (*nf + 1) * sizeof(**f));
		(*f)[(*nf)++] = (struct drift_field){ xstrdup(fields[i]), a, b };
	}
}

static void add_field(struct drift_field **f, size_t *nf, const char *name, char *a, char *b)
{
	if (same(a, b)) {
		free(a);
		free(b);
		return;
	}
	*f = xrealloc(*f, (*nf + 1) * sizeof(**f));
	(*f)[(*nf)++] = (struct drift_field){ xstrdup(name), a, b };
}

/* Calls emit(change, old, new) for every item not the same on both sides
 * (old or new NULL for added or removed). */
static void merge(json_object *olda, json_object *newa, row_fn fill, bool (*keep)(json_object *),
		  void (*emit)(struct drift *, enum drift_change, json_object *, json_object *), struct drift *d)
{
	size_t no, nn, i = 0, j = 0;
	struct row *o = rows_of(olda, fill, keep, &no), *n = rows_of(newa, fill, keep, &nn);

	while (i < no || j < nn) {
		int c = i == no ? 1 : j == nn ? -1 : key_cmp(&o[i], &n[j]);
		if (c == 0)
			emit(d, DRIFT_CHANGED, o[i++].o, n[j++].o);
		else if (c < 0)
			emit(d, DRIFT_REMOVED, o[i++].o, NULL);
		else
			emit(d, DRIFT_ADDED, NULL, n[j++].o);
	}
	free(o);
	free(n);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* ---- volumes ---- */

static void volume_row(json_object *o, struct row *r)
{
	r->vol = snap_uint(o, "index");
}

static const char *const volume_fields[] = { "partition_type", "filesystem", "label", "size", "state", "scanned", NULL };

static void volume_emit(struct drift *d, enum drift_change c, json_object *o, json_object *n)
{
	struct drift_field *f = NULL;
	size_t nf = 0;
	json_object *x = n ? n : o;

	if (c == DRIFT_CHANGED) {
		diff_fields(o, n, volume_fields, &f, &nf);
		if (!nf)
			return;
	}
	d->vol = xrealloc(d->vol, (d->nvol + 1) * sizeof(*d->vol));
	d->vol[d->nvol++] = (struct drift_volume){ c, snap_uint(x, "index"), xstrdup(snap_str(x, "filesystem")),
						   xstrdup(snap_str(x, "label")), f, nf };
}

/* ---- Windows installations ---- */

static void os_row(json_object *o, struct row *r)
{
	r->vol = snap_uint(o, "volume");
	r->k[0] = snap_str(o, "system_root");
}

static const char *const os_fields[] = {
	"product_name", "edition", "current_version", "version", "build", "ubr", "service_pack",
	"architecture", "hostname", NULL,
};

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The user profiles, sorted: an account added to a gold image is drift. */
static char *users(json_object *os)
{
	json_object *p = snap_get(os, "profiles");
	size_t n = json_object_array_length(p);
	const char **v = xcalloc(n ? n : 1, sizeof(*v));
	char *out;

	for (size_t i = 0; i < n; i++)
		v[i] = nz(snap_str(json_object_array_get_idx(p, i), "user"));
	qsort(v, n, sizeof(*v), str_cmp);
	out = snap_join(v, n);
	free(v);
	return out;
}

static void os_emit(struct drift *d, enum drift_change c, json_object *o, json_object *n)
{
	struct drift_field *f = NULL;
	size_t nf = 0;
	json_object *x = n ? n : o;

	if (c == DRIFT_CHANGED) {
		diff_fields(o, n, os_fields, &f, &nf);
		add_field(&f, &nf, "users", users(o), users(n));
		if (!nf)
			return;
	}
	d->os = xrealloc(d->os, (d->nos + 1) * sizeof(*d->os));
	d->os[d->nos++] = (struct drift_os){ c, snap_uint(x, "volume"), xstrdup(snap_str(x, "system_root")),
					     dup_or_null(snap_str(x, "product_name")), f, nf };
}

/* ---- autostart entries ---- */

static void autorun_row(json_object *o, struct row *r)
{
	r->vol = snap_uint(o, "volume");
	r->k[0] = snap_str(o, "category");
	r->k[1] = snap_str(o, "location");
	r->k[2] = snap_str(o, "name");
	r->k[3] = snap_str(o, "user");
	r->tie = snap_str(o, "command");
}

static const char *const autorun_fields[] = { "command", "target", "target_sha256", "flags", NULL };

static void autorun_emit(struct drift *d, enum drift_change c, json_object *o, json_object *n)
{
	struct drift_field *f = NULL;
	size_t nf = 0;
	json_object *x = n ? n : o;

	if (c == DRIFT_CHANGED) {
		diff_fields(o, n, autorun_fields, &f, &nf);
		if (!nf)
			return;
	}
	char *flags = snap_text(x, "flags");
	d->autoruns = xrealloc(d->autoruns, (d->nautoruns + 1) * sizeof(*d->autoruns));
	d->autoruns[d->nautoruns++] = (struct drift_autorun){
		c, snap_uint(x, "volume"), xstrdup(snap_str(x, "category")), xstrdup(snap_str(x, "location")),
		xstrdup(snap_str(x, "name")), dup_or_null(snap_str(x, "user")), xstrdup(snap_str(x, "command")),
		dup_or_null(snap_str(x, "target")), dup_or_null(snap_str(x, "target_sha256")),
		flags ? flags : xstrdup(""), f, nf,
	};
}

/* ---- detections ---- */

static void detection_row(json_object *o, struct row *r)
{
	r->vol = snap_uint(o, "volume");
	r->k[0] = snap_str(o, "path");
	r->k[1] = snap_str(o, "stream");
	r->k[2] = snap_str(o, "signature");
}

static void detection_emit(struct drift *d, enum drift_change c, json_object *o, json_object *n)
{
	json_object *x = n ? n : o;

	if (c == DRIFT_CHANGED)
		return;   /* same file, same signature */
	d->det = xrealloc(d->det, (d->ndet + 1) * sizeof(*d->det));
	d->det[d->ndet++] = (struct drift_detection){ c, snap_uint(x, "volume"), xstrdup(snap_str(x, "path")),
						      xstrdup(snap_str(x, "stream")), xstrdup(snap_str(x, "signature")),
						      xstrdup(snap_str(x, "sha256")) };
}

/* ---- rule outcomes ---- */

static void finding_row(json_object *o, struct row *r)
{
	json_object *e = snap_get(o, "evidence");

	r->vol = snap_uint(e, "volume");
	r->k[0] = snap_str(o, "rule");
	r->k[1] = snap_str(e, "path");
	r->k[2] = snap_str(e, "value");
	r->tie = snap_str(o, "message");
}

static bool not_drift_rule(json_object *o)
{
	return strncmp(snap_str(o, "rule"), "drift-", 6) != 0;
}

static void finding_emit(struct drift *d, enum drift_change c, json_object *o, json_object *n)
{
	json_object *x = n ? n : o, *e = snap_get(x, "evidence");
	const char *os = snap_str(o, "severity"), *ns = snap_str(n, "severity");
	const char *ow = snap_str(o, "waiver"), *nw = snap_str(n, "waiver");

	if (c == DRIFT_CHANGED && same(os, ns) && same(ow, nw))
		return;
	d->findings = xrealloc(d->findings, (d->nfindings + 1) * sizeof(*d->findings));
	d->findings[d->nfindings++] = (struct drift_finding){
		c, xstrdup(snap_str(x, "rule")), snap_uint(e, "volume"), dup_or_null(snap_str(e, "path")),
		dup_or_null(snap_str(e, "value")), dup_or_null(os), dup_or_null(ns), dup_or_null(ow),
		dup_or_null(nw), xstrdup(snap_str(x, "message")),
	};
}

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
	json_object *tool = snap_get(s->root, "tool"), *img = snap_get(s->root, "image");

	x->dir = dup_or_null(s->dir);
	x->image_path = xstrdup(nz(snap_str(img, "path")));
	x->image_sha256 = xstrdup(nz(snap_str(img, "sha256_before")));
	x->started = xstrdup(nz(snap_str(snap_get(s->root, "scan"), "started")));
	x->verdict = xstrdup(nz(snap_str(s->root, "verdict")));
	x->profile = xstrdup(nz(snap_str(snap_get(s->root, "profile"), "name")));
	x->tool = xasprintf("kenshu %s (%s)", nz(snap_str(tool, "version")), nz(snap_str(tool, "commit")));
	memcpy(x->report_sha256, s->report_sha256, sizeof(x->report_sha256));
	memcpy(x->manifest_sha256, s->manifest_sha256, sizeof(x->manifest_sha256));
}



void drift_compare_findings(const struct snapshot *old, const struct snapshot *new, struct drift *d)
{
	drift_side_release(&d->new);
	side(new, &d->new);
	drift_release_findings(d);
	merge(snap_array(old, "findings"), snap_array(new, "findings"), finding_row, not_drift_rule, finding_emit, d);
}

void drift_compare(const struct snapshot *old, const struct snapshot *new, struct drift *d)
{
	memset(d, 0, sizeof(*d));
	side(old, &d->old);
	merge(snap_array(old, "volumes"), snap_array(new, "volumes"), volume_row, NULL, volume_emit, d);
	merge(snap_array(old, "os"), snap_array(new, "os"), os_row, NULL, os_emit, d);
	compare_files(old, new, d);
	merge(snap_array(old, "autoruns"), snap_array(new, "autoruns"), autorun_row, NULL, autorun_emit, d);
	merge(snap_array(old, "detections"), snap_array(new, "detections"), detection_row, NULL, detection_emit, d);
	drift_compare_findings(old, new, d);
}
