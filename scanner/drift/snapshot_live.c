/* The scan in memory as a snapshot, straight from struct report. Every
 * property is spelled as output/report_json.c writes it and the loader
 * (snapshot_load.c) reads it back: a string the writer sends through
 * add_str() is "" when NULL, one through add_opt() stays absent; numbers
 * in decimal; booleans "true"/"false"; lists of names joined by
 * snap_join(). tests/unit/test-drift.c saves rich reports and checks that
 * both builders agree field for field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/version.h>
#include <kenshu/drift.h>
#include <kenshu/core.h>
#include <kenshu/report.h>
#include "drift_internal.h"
#include <kenshu/banned.h>

/* add_str(): NULL is written as "". */
static char *str(const char *s)
{
	return xstrdup(s ? s : "");
}

/* add_opt(): NULL is null, absent for the comparison. */
static char *opt(const char *s)
{
	return xstrdup_or_null(s);
}

static char *num(uint64_t n)
{
	return xasprintf("%llu", (unsigned long long)n);
}

static char *boolean(bool b)
{
	return xstrdup(b ? "true" : "false");
}

static void side(struct snapshot *s, const struct report *r)
{
	struct snap_side *t = &s->side;

	t->image_path = str(r->image_path);
	t->image_sha256 = str(r->sha256_before);
	t->started = str(r->started);
	t->verdict = str(verdict_name(r->verdict));
	t->profile = str(r->profile_name);
	t->tool_version = str(KENSHU_VERSION);
	t->tool_commit = str(kenshu_commit);
}

static void engine(struct snapshot *s, const struct rep_engine *l)
{
	struct snap_engine *e = &s->engine;

	e->version = str(l->version);
	e->functionality_level = l->functionality_level;
	e->limit[SNAP_LIM_MAX_FILESIZE] = l->max_filesize;
	e->limit[SNAP_LIM_MAX_SCANSIZE] = l->max_scansize;
	e->limit[SNAP_LIM_MAX_RECURSION] = l->max_recursion;
	e->limit[SNAP_LIM_MAX_FILES] = l->max_files;
	e->limit[SNAP_LIM_MAX_SCANTIME_MS] = l->max_scantime_ms;
	for (size_t i = 0; i < SNAP_NLIMITS; i++)
		e->has_limit[i] = true;   /* report.json writes every one */
	e->ndbs = l->ndbs;
	e->dbs = xcalloc(l->ndbs ? l->ndbs : 1, sizeof(*e->dbs));
	for (size_t i = 0; i < l->ndbs; i++) {
		e->dbs[i].name = str(l->dbs[i].name);
		e->dbs[i].sha256 = str(l->dbs[i].sha256);
	}
}

static void volume(struct snapshot *s, const struct rep_volume *rv)
{
	struct snap_item *it = snap_item_add(s, SNAP_VOLUMES);
	const struct img_volume *v = &rv->v;

	it->volume = v->index;
	it->v[SNAP_VOL_PARTITION_TYPE] = str(v->part_type);
	it->v[SNAP_VOL_FILESYSTEM] = str(v->fs);
	it->v[SNAP_VOL_LABEL] = str(rv->label);
	it->v[SNAP_VOL_SIZE] = num(v->size);
	it->v[SNAP_VOL_STATE] = str(vol_state_name(v->state));
	it->v[SNAP_VOL_SCANNED] = boolean(rv->scanned);
}

static void os(struct snapshot *s, const struct os_info *o)
{
	struct snap_item *it = snap_item_add(s, SNAP_OS);
	const char **users = xcalloc(o->nprofiles ? o->nprofiles : 1, sizeof(*users));
	char ver[REPORT_OS_VERSION_MAX];

	it->volume = o->volume;
	it->v[SNAP_OS_SYSTEM_ROOT] = str(o->system_root);
	it->v[SNAP_OS_PRODUCT_NAME] = opt(o->product_name);
	it->v[SNAP_OS_EDITION] = opt(o->edition);
	it->v[SNAP_OS_CURRENT_VERSION] = opt(o->current_version);
	it->v[SNAP_OS_VERSION] = opt(report_os_version(o, ver, sizeof(ver)));
	it->v[SNAP_OS_BUILD] = opt(o->build);
	it->v[SNAP_OS_UBR] = o->has_ubr ? num(o->ubr) : NULL;
	it->v[SNAP_OS_SERVICE_PACK] = opt(o->service_pack);
	it->v[SNAP_OS_ARCHITECTURE] = opt(o->architecture);
	it->v[SNAP_OS_HOSTNAME] = opt(o->hostname);
	for (size_t i = 0; i < o->nprofiles; i++)
		users[i] = o->profiles[i].user ? o->profiles[i].user : "";
	it->v[SNAP_OS_USERS] = snap_users(users, o->nprofiles);
	free(users);
	/* report.json's os[].accounts, each as snap_account() spells it */
	char **acc = xcalloc(o->accounts.n ? o->accounts.n : 1, sizeof(*acc));
	uint64_t *rids = xcalloc(o->accounts.n ? o->accounts.n : 1, sizeof(*rids));
	for (size_t i = 0; i < o->accounts.n; i++) {
		const struct sam_account *a = &o->accounts.v[i];
		rids[i] = a->rid;
		acc[i] = snap_account(a->name ? a->name : "", a->rid, a->has_f ? !(a->acb & SAM_ACB_DISABLED) : -1,
				      a->admin, a->rdp, sam_password_name(a->password));
	}
	it->v[SNAP_OS_ACCOUNTS] = snap_accounts(acc, rids, o->accounts.n);
	free(acc);
	free(rids);
}

static void autorun(struct snapshot *s, const struct autorun *a)
{
	struct snap_item *it = snap_item_add(s, SNAP_AUTORUNS);
	const char **names = xcalloc(ar_nflag_info ? ar_nflag_info : 1, sizeof(*names));
	size_t n = 0;

	it->volume = a->volume;
	it->v[SNAP_AR_CATEGORY] = str(a->category);
	it->v[SNAP_AR_LOCATION] = str(a->location);
	it->v[SNAP_AR_NAME] = str(a->name);
	it->v[SNAP_AR_USER] = opt(a->user);
	it->v[SNAP_AR_COMMAND] = str(a->command);
	it->v[SNAP_AR_TARGET] = opt(a->target);
	it->v[SNAP_AR_TARGET_SHA256] = opt(a->target_sha256);
	/* report.json's "flags": the names of the set ones, in the table's order. */
	for (size_t i = 0; i < ar_nflag_info; i++)
		if (a->flags & ar_flag_info[i].flag)
			names[n++] = ar_flag_info[i].name;
	it->v[SNAP_AR_FLAGS] = snap_join(names, n);
	free(names);
}

static void detection(struct snapshot *s, const struct rep_detection *d)
{
	struct snap_item *it = snap_item_add(s, SNAP_DETECTIONS);

	it->volume = d->volume;
	it->v[SNAP_DET_PATH] = str(d->path);
	it->v[SNAP_DET_STREAM] = str(d->stream);
	it->v[SNAP_DET_SIGNATURE] = str(d->signature);
	it->v[SNAP_DET_SHA256] = str(d->sha256);
}

static void finding(struct snapshot *s, const struct rep_finding *f)
{
	struct snap_item *it = snap_item_add(s, SNAP_FINDINGS);

	/* The evidence leaves out a volume of 0 and NULL strings. */
	it->volume = f->volume;
	it->v[SNAP_FND_RULE] = str(f->rule);
	it->v[SNAP_FND_PATH] = opt(f->path);
	it->v[SNAP_FND_VALUE] = opt(f->value);
	it->v[SNAP_FND_SEVERITY] = str(severity_name(f->severity));
	it->v[SNAP_FND_WAIVER] = opt(f->waiver);
	it->v[SNAP_FND_MESSAGE] = str(f->message);
}

/* Everything but the file list, in report.json's order of each list. */
static void build(struct snapshot *s, const struct report *r)
{
	side(s, r);
	engine(s, &r->engine);
	for (size_t i = 0; i < r->nvol; i++)
		volume(s, &r->vol[i]);
	for (size_t i = 0; i < r->nos; i++)
		os(s, &r->os[i]);
	for (size_t i = 0; i < r->nos; i++)
		for (size_t k = 0; k < r->os[i].autoruns.n; k++)
			autorun(s, &r->os[i].autoruns.v[k]);
	for (size_t i = 0; i < r->ndet; i++)
		detection(s, &r->det[i]);
	for (size_t i = 0; i < r->nfindings; i++)
		finding(s, &r->findings[i]);
}

struct snapshot *snapshot_of_report(const struct report *r)
{
	struct snapshot *s = xcalloc(1, sizeof(*s));
	size_t alloc = 0;

	build(s, r);
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct rep_file *f = &r->files[i];
		snap_add_file(s, &alloc, f->volume, f->path, f->stream, f->size, f->sha256, f->status, f->link_of,
			      f->flags & FS_F_DIRECTORY);
	}
	/* No clean set: only a baseline's results stand in for a scan. An
	 * image without files leaves s->files NULL, which qsort may not get. */
	if (s->nfiles > 1)
		qsort(s->files, s->nfiles, sizeof(*s->files), snap_file_cmp);
	return s;
}

void snapshot_update(struct snapshot *s, const struct report *r)
{
	snap_release_report(s);
	build(s, r);
}
