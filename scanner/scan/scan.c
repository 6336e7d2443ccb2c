/* One image end to end.
 *
 * libntfs-3g has no locking, so the design is: the main thread walks each
 * volume with its own handle and lists every data stream; then N workers,
 * each with its own read-only handle per volume, take streams from that
 * list (an atomic index: the list is complete before they start), hash and
 * scan them in place through one shared, compiled ClamAV engine. Results go
 * into each item's own slots, so workers share nothing but the index. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <kenshu/drift.h>
#include <kenshu/core.h>
#include <kenshu/volume.h>
#include <kenshu/image.h>
#include <kenshu/trust.h>
#include <kenshu/windows.h>
#include <kenshu/evidence.h>
#include <kenshu/policy.h>
#include <kenshu/scan.h>
#include <kenshu/trust.h>
#include "scan_internal.h"
#include <kenshu/banned.h>

/* Streams up to this size are read once into memory, hashed, and scanned
 * from that buffer (one read, no copy inside libclamav); larger ones are
 * hashed in a first pass and then scanned straight from the volume through
 * a read callback. */
#define SCAN_BUF_MAX_DEFAULT (64u << 20)
#define READ_CHUNK (1u << 20)

struct item {
	size_t vol;              /* index into the report's volumes */
	char *path;
	char *stream;
	uint64_t id;
	void *key;
	size_t key_len;
	uint64_t size;
	unsigned flags;
	/* filled by one worker */
	char sha256[SHA256_HEX_LEN + 1];
	struct av_result res;
	char *error;             /* could not be read */
	bool scanned;
	bool reused;             /* the baseline scanned these bytes clean (--baseline) */
	struct sig_result *sig;  /* a PE's code signature, NULL otherwise; moves to the manifest */
	struct yara_result yres; /* YARA's matches in the same buffer */
	bool yara_over;          /* larger than [yara] max_file_size: not scanned with YARA */
};

struct job {
	struct img *img;
	const struct av *av;
	struct report *r;
	struct item *items;
	size_t nitems, alloc;
	size_t *order;           /* scan order: largest streams first */
	uint64_t buf_max;        /* streams up to this size are scanned from memory */
	_Atomic size_t next;
	struct progress_counts pc;
	unsigned nworkers;
	const struct snapshot *baseline; /* reuse its clean files; NULL: scan everything */
	struct walked walked;    /* the walk's handles, open until the autostart work is done */
	struct trust_ctx *trust; /* anchors and the image's catalogs, read before the workers */
	char reuse_note[256];    /* why the baseline's results cannot be reused */
	const struct yara *yara; /* the profile's compiled rule sets, NULL when none */
	uint64_t yara_max;       /* [yara] max_file_size */
	unsigned yara_timeout;   /* [yara] timeout */
};

struct worker {
	struct job *job;
	struct fs **fs;          /* per volume, opened on first use */
	char **fs_error;         /* per volume: why it could not be opened, so
	                            that it is tried once, not once per file (a
	                            failed NTFS mount can lose memory inside
	                            libntfs-3g: docs/reliability.md) */
	unsigned char *buf;
	size_t buf_alloc;
	struct sha256 *h;
	struct yara_scanner *ys; /* this thread's scanners over j->yara */
};

/* ---- walking ---- */

struct walk_ctx {
	struct job *job;
	size_t vol;
	struct rep_volume *rv;
	uint64_t last_id;
	bool any;
	char **ntuser;       /* every NTUSER.DAT seen: profiles ProfileList may not name */
	size_t nntuser;
	char **found;        /* files the evidence reads (evidence_wants) */
	size_t nfound;
};

static int on_entry(void *ctx, const struct fs_entry *e)
{
	struct walk_ctx *w = ctx;
	struct report *r = w->job->r;
	unsigned vi = w->rv->v.index;

	switch (e->kind) {
	case FS_ENTRY_PROBLEM:
		report_add_skip(r, vi, e->path, e->stream, e->problem, e->size);
		return 0;
	case FS_ENTRY_REPARSE:
		w->rv->reparse_points++;
		report_add_reparse(r, vi, e->path, e->reparse_tag, e->reparse_target,
				   e->flags & FS_F_DIRECTORY);
		return 0;
	case FS_ENTRY_LINK:
		w->rv->hardlinks++;
		report_add_file(r, vi, e->path, "", 0, NULL, e->flags, e->link_of, "link");
		return 0;
	case FS_ENTRY_STREAM:
		break;
	}
	if (!w->any || e->id != w->last_id)
		w->rv->files++;
	w->any = true;
	w->last_id = e->id;
	if (e->problem) {
		report_add_skip(r, vi, e->path, e->stream, e->problem, e->size);
		report_add_file(r, vi, e->path, e->stream, e->size, NULL, e->flags, NULL, "skipped");
		return 0;
	}

	const char *base = strrchr(e->path, '/');
	if (base && !*e->stream && !strcasecmp(base + 1, "NTUSER.DAT")) {
		w->ntuser = xrealloc(w->ntuser, (w->nntuser + 1) * sizeof(*w->ntuser));
		w->ntuser[w->nntuser++] = xstrdup(e->path);
	}
	if (!*e->stream && evidence_wants(e->path)) {
		w->found = xrealloc(w->found, (w->nfound + 1) * sizeof(*w->found));
		w->found[w->nfound++] = xstrdup(e->path);
	}

	struct job *j = w->job;
	if (j->nitems == j->alloc) {
		j->alloc = j->alloc ? j->alloc * 2 : 1024;
		j->items = xrealloc(j->items, j->alloc * sizeof(*j->items));
	}
	struct item *it = &j->items[j->nitems++];
	memset(it, 0, sizeof(*it));
	it->vol = w->vol;
	it->path = xstrdup(e->path);
	it->stream = xstrdup(e->stream);
	it->id = e->id;
	if (e->stream_key_len) {
		it->key = xmalloc(e->stream_key_len);
		memcpy(it->key, e->stream_key, e->stream_key_len);
		it->key_len = e->stream_key_len;
	}
	it->size = e->size;
	it->flags = e->flags;
	j->pc.bytes_total += e->size;
	j->pc.files_total++;
	return 0;
}

/* ---- scanning one stream ---- */

static int64_t read_stream(void *h, void *out, size_t n, uint64_t off)
{
	return fs_stream_pread(h, out, n, off);
}

static char *read_error(int err, uint64_t off)
{
	if (err == EACCES)
		return xstrdup("EFS-encrypted: contents cannot be read offline");
	return xasprintf("read error at offset %llu: %s", (unsigned long long)off,
			 err ? strerror(err) : "stream shorter than its recorded size");
}

/* Reads [0, size) in order, hashing it and feeding the Authenticode
 * digest (pd) in the same pass; keeps it in w->buf when keep. */
static int hash_pass(struct worker *w, struct fs_stream *s, uint64_t size, bool keep, struct item *it,
		     struct pe_digest *pd)
{
	uint64_t off = 0;

	if (keep && w->buf_alloc < size) {
		free(w->buf);
		w->buf_alloc = (size_t)size;
		w->buf = xmalloc(w->buf_alloc);
	} else if (!keep && w->buf_alloc < READ_CHUNK) {
		free(w->buf);
		w->buf_alloc = READ_CHUNK;
		w->buf = xmalloc(w->buf_alloc);
	}
	while (off < size) {
		size_t want = size - off < READ_CHUNK ? (size_t)(size - off) : READ_CHUNK;
		unsigned char *dst = keep ? w->buf + off : w->buf;
		int64_t got;

		errno = 0;
		got = fs_stream_pread(s, dst, want, off);
		if (got <= 0) {
			it->error = read_error(got < 0 ? errno : 0, off);
			/* The worker's hash context serves the next stream. */
			sha256_reset(w->h);
			return -1;
		}
		sha256_update(w->h, dst, (size_t)got);
		if (!keep)
			pe_digest_feed(pd, dst, (size_t)got);
		off += (uint64_t)got;
		if (keep)
			atomic_fetch_add(&w->job->pc.bytes_done, (uint64_t)got);
	}
	sha256_final_hex(w->h, it->sha256);
	if (keep) {
		/* The whole file is here: its certificate table says which
		 * digests a signature can need before any is computed. */
		pe_digest_lookahead(pd, w->buf, (size_t)size);
		pe_digest_feed(pd, w->buf, (size_t)size);
	}
	return 0;
}

static void scan_item(struct worker *w, struct fs *fs, struct item *it)
{
	struct fs_stream *s = NULL;
	struct ks_err err;
	struct pe_digest *pd = NULL;
	char *name;
	uint64_t size;
	bool keep;

	if (fs_stream_open(fs, it->id, it->key, it->key_len, &s, &err) < 0) {
		it->error = xstrdup(err.msg);
		return;
	}
	size = fs_stream_size(s);
	/* A stream YARA is to scan stays in memory whole, so that both engines
	 * scan the one read. */
	keep = size <= w->job->buf_max || (w->job->yara && size <= w->job->yara_max);
	pd = pe_digest_new(size);
	if (hash_pass(w, s, size, keep, it, pd) < 0)
		goto out;
	it->size = size;
	if (pe_digest_is_pe(pd)) {
		it->sig = xcalloc(1, sizeof(*it->sig));
		trust_verify_pe(w->job->trust, pd, it->sig);
	}
	if (w->job->yara) {
		/* Before the baseline's reuse: that says ClamAV found nothing in
		 * these bytes, not what today's rules find. */
		if (keep && size <= w->job->yara_max)
			yara_scan_mem(w->ys, w->buf, (size_t)size, &it->yres);
		else
			it->yara_over = true;
	}
	if (w->job->baseline && snapshot_clean(w->job->baseline, it->sha256, size)) {
		/* Same bytes, same engine: the baseline's clean result stands. */
		it->reused = it->scanned = true;
		if (!keep)
			atomic_fetch_add(&w->job->pc.bytes_done, size);
		goto out;
	}
	name = xasprintf("%s%s%s", it->path, it->stream[0] ? ":" : "", it->stream);
	if (keep) {
		av_scan_memory(w->job->av, w->buf, size, name, &it->res);
	} else {
		av_scan(w->job->av, read_stream, s, size, name, &it->res);
		atomic_fetch_add(&w->job->pc.bytes_done, size);
	}
	free(name);
	it->scanned = it->res.error == NULL;
out:
	pe_digest_free(pd);
	fs_stream_close(s);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->job;
	size_t i;

	w->ys = yara_scanner_new(j->yara, j->yara_timeout);
	while ((i = atomic_fetch_add(&j->next, 1)) < j->nitems) {
		struct item *it = &j->items[j->order[i]];

		if (!w->fs[it->vol] && !w->fs_error[it->vol]) {
			struct ks_err err;
			if (fs_open(j->img, &j->r->vol[it->vol].v, &w->fs[it->vol], &err) < 0)
				w->fs_error[it->vol] = xasprintf("volume cannot be opened again: %s", err.msg);
		}
		if (!w->fs[it->vol]) {
			it->error = xstrdup(w->fs_error[it->vol]);
			atomic_fetch_add(&j->pc.files_done, 1);
			continue;
		}
		scan_item(w, w->fs[it->vol], it);
		atomic_fetch_add(&j->pc.files_done, 1);
	}
	yara_scanner_free(w->ys);
	w->ys = NULL;
	return NULL;
}

/* ---- whole-image hash ---- */

static int hash_image(struct img *img, char hex[SHA256_HEX_LEN + 1], struct progress_counts *pc,
		      struct ks_err *err)
{
	const size_t chunk = 4u << 20;
	unsigned char *buf = xmalloc(chunk);
	struct sha256 *h = sha256_new();
	uint64_t size = img_file_size(img), off = 0;
	int rc = 0;

	while (off < size) {
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
		if (img_file_pread(img, buf, n, off) < 0) {
			rc = ks_fail(err, KS_EIO, "'%s': cannot read at offset %llu while hashing: %s", img_path(img),
				     (unsigned long long)off, strerror(errno));
			break;
		}
		sha256_update(h, buf, n);
		off += n;
		atomic_store(&pc->bytes_done, off);
	}
	if (rc == 0)
		sha256_final_hex(h, hex);
	sha256_free(h);
	free(buf);
	return rc;
}

static double now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Now, as ISO 8601 UTC; day (may be NULL) gets the same instant's day. */
static void now_iso(char *out, size_t n, struct scan_date *day)
{
	time_t t = time(NULL);

	ks_iso_time(t, out, n);
	if (day)
		scan_date_of(t, day);
}

/* ---- results into the report ---- */

static void collect(struct job *j)
{
	struct report *r = j->r;

	for (size_t i = 0; i < j->nitems; i++) {
		struct item *it = &j->items[i];
		struct rep_volume *rv = &r->vol[it->vol];
		unsigned vi = rv->v.index;
		const char *status = "scanned";
		bool partial = false;

		if (it->error) {
			report_add_skip(r, vi, it->path, it->stream, it->error, it->size);
			status = "skipped";
		} else {
			rv->streams++;
			rv->bytes += it->size;
		}
		if (it->res.error) {
			report_add_skip(r, vi, it->path, it->stream, it->res.error, it->size);
			status = "skipped";
		} else if (it->res.engine_error) {
			char *why = xasprintf("not fully scanned: libclamav reported an error (%s)",
					      it->res.engine_error);
			report_add_skip(r, vi, it->path, it->stream, why, it->size);
			free(why);
			partial = true;
		}
		for (size_t k = 0; k < it->res.n; k++) {
			const struct av_match *m = &it->res.m[k];
			char *why;

			switch (m->kind) {
			case AV_DETECTION:
				report_add_detection(r, vi, it->path, it->stream, m->name, it->sha256, it->size);
				status = "detected";
				break;
			case AV_LIMIT:
				why = xasprintf("not fully scanned: a ClamAV scan limit was reached (%s)", m->name);
				report_add_skip(r, vi, it->path, it->stream, why, it->size);
				free(why);
				partial = true;
				break;
			case AV_ENCRYPTED:
				why = xasprintf("not fully scanned: encrypted content (%s)", m->name);
				report_add_skip(r, vi, it->path, it->stream, why, it->size);
				free(why);
				partial = true;
				break;
			case AV_MACROS:
				/* A fact about the document, not malware: the file
				 * stays "scanned" unless a signature matched too. */
				report_add_macro(r, vi, it->path, it->stream, m->name, it->sha256, it->size);
				break;
			}
		}
		if (j->yara && !it->error)
			partial |= scan_yara_collect(j->yara, r, vi, it->path, it->stream, it->sha256, it->size,
						     &it->yres, it->yara_over);
		if (partial && strcmp(status, "scanned") == 0)
			status = "partial";
		report_add_file(r, vi, it->path, it->stream, it->size, it->error ? NULL : it->sha256,
				it->flags, NULL, status);
		if (it->sig && !it->error) {
			sigs_tally(&r->trust, it->sig);
			r->files[r->nfiles - 1].sig = it->sig;
			it->sig = NULL;
		}
	}
}

static int by_size_desc(const void *a, const void *b, void *items)
{
	const struct item *it = items;
	uint64_t x = it[*(const size_t *)a].size, y = it[*(const size_t *)b].size;

	if (x != y)
		return x > y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Largest streams first, so that no worker starts a big file while the
 * other sits idle at the end: the results do not depend on the order. */
static void plan_order(struct job *j)
{
	j->order = xmalloc((j->nitems ? j->nitems : 1) * sizeof(*j->order));
	for (size_t i = 0; i < j->nitems; i++)
		j->order[i] = i;
	if (j->nitems > 1)
		qsort_r(j->order, j->nitems, sizeof(*j->order), by_size_desc, j->items);
}

static void job_release(struct job *j)
{
	free(j->order);
	for (size_t i = 0; i < j->nitems; i++) {
		free(j->items[i].path);
		free(j->items[i].stream);
		free(j->items[i].key);
		free(j->items[i].error);
		av_result_release(&j->items[i].res);
		yara_result_release(&j->items[i].yres);
		if (j->items[i].sig) {
			sig_result_release(j->items[i].sig);
			free(j->items[i].sig);
		}
	}
	free(j->items);
}

/* What changed since the baseline, before the policy (the drift rules
 * read it); the rule outcomes are compared after it. */
static void compare_baseline(const struct scan_opts *o, const struct job *j,
			     struct snapshot **now, struct report *r)
{
	struct drift *d = xcalloc(1, sizeof(*d));

	*now = snapshot_of_report(r);
	drift_compare(o->baseline, *now, d);
	d->reuse = j->baseline != NULL;
	d->reuse_note = j->baseline ? NULL : xstrdup(j->reuse_note);
	for (size_t i = 0; i < j->nitems; i++) {
		d->files_reused += j->items[i].reused;
		d->files_scanned += j->items[i].scanned && !j->items[i].reused;
	}
	r->drift = d;
}

/* The profile's verdict; without one, the shipped default's. */
static void judge(const struct scan_opts *o, const struct job *j, struct report *r)
{
	const struct profile *p = o->profile;
	struct profile *own = NULL;
	struct snapshot *now = NULL;
	struct ks_err err;

	if (!p) {
		if (profile_load("default", &own, &err) < 0)
			BUG("shipped default profile does not load: %s", err.msg);
		p = own;
	}
	if (o->baseline)
		compare_baseline(o, j, &now, r);
	policy_apply(p, r);
	if (now) {
		/* The rule outcomes are compared once the policy has run. */
		snapshot_update(now, r);
		drift_compare_findings(o->baseline, now, r->drift);
		snapshot_free(now);
	}
	profile_free(own);
}

/* The image's own root stores judged against the shipped root program.
 * Interim: once the scan holds its trust_ctx, its anchors (the profile's
 * choice) are used instead. Anchors that do not load leave the stores
 * unmarked: listed, not judged. */
int scan_image(const char *path, const struct av *av, const struct scan_opts *o, struct report *r,
	       struct ks_err *err)
{
	struct job j = { .av = av, .r = r, .nworkers = o->threads ? o->threads : 1,
			 .buf_max = o->buf_max ? o->buf_max : SCAN_BUF_MAX_DEFAULT };
	struct progress *prog = NULL;
	double t0 = now_mono(), t1;
	int rc = -1;

	struct scan_date day;

	report_init(r);
	now_iso(r->started, sizeof(r->started), &day);
	if (o->scan_date)
		day = *o->scan_date;
	memcpy(r->scan_date, day.day, sizeof(r->scan_date));
	if (img_open(path, &j.img, err) < 0)
		return -1;
	r->image_path = xstrdup(path);
	r->host = report_host_name();
	case_meta_copy(&r->meta, o->meta);
	r->exports = o->exports;
	r->image_format = xstrdup(img_format(j.img));
	r->image_reader = xstrdup(img_reader(j.img));
	r->scheme = xstrdup(img_scheme(j.img));
	r->disk_guid = xstrdup(img_disk_guid(j.img));
	r->gpt_backup_used = img_gpt_backup_used(j.img);
	r->image_size = img_file_size(j.img);
	r->ngaps = img_ngaps(j.img);
	r->gaps = xcalloc(r->ngaps ? r->ngaps : 1, sizeof(*r->gaps));
	for (size_t g = 0; g < r->ngaps; g++)
		r->gaps[g] = *img_gap(j.img, g);
	r->disk_size = img_size(j.img);
	r->threads = j.nworkers;
	scan_engine_facts(av, &r->engine);
	if ((j.yara = profile_yara(o->profile))) {
		j.yara_max = (uint64_t)profile_int(o->profile, "yara", "max_file_size");
		j.yara_timeout = (unsigned)profile_int(o->profile, "yara", "timeout");
		scan_yara_facts(j.yara, j.yara_max, j.yara_timeout, &r->yara);
	}

	j.pc.bytes_total = r->image_size;
	prog = progress_start(o->progress, path_base(path), "hashing image", &j.pc);
	if (hash_image(j.img, r->sha256_before, &j.pc, err) < 0)
		goto out;
	r->seconds_hash = now_mono() - t0;

	/* Volumes inside volume managers (LVM, dynamic disks) join the list
	 * before the walk. */
	fs_discover_volumes(j.img);

	/* Walk every readable volume; list the others with their reason. */
	progress_phase(prog, "listing files");
	r->nvol = img_nvolumes(j.img);
	r->vol = xcalloc(r->nvol ? r->nvol : 1, sizeof(*r->vol));
	j.walked = (struct walked){ xcalloc(r->nvol ? r->nvol : 1, sizeof(*j.walked.fs)), r->nvol, r };
	j.pc.bytes_total = 0;
	atomic_store(&j.pc.bytes_done, 0);
	for (size_t i = 0; i < r->nvol; i++) {
		struct rep_volume *rv = &r->vol[i];
		struct fs *fs;
		struct ks_err verr;

		rv->v = *img_volume(j.img, i);
		rv->label = xstrdup("");
		rv->fs_version = xstrdup("");
		switch (rv->v.state) {
		case VOL_READABLE:
			break;
		case VOL_RESERVED:
		case VOL_EMPTY:
			continue;      /* nothing there by design: not a gap in the scan */
		default:
			/* An empty path stands for the whole volume. */
			report_add_skip(r, rv->v.index, "", "", rv->v.state_reason, rv->v.size);
			continue;
		}
		if (fs_open(j.img, &rv->v, &fs, &verr) < 0) {
			/* An unread volume is for the verdict to show (REVIEW). */
			if (fs_open_failure_leaves_unread(&rv->v)) {
				report_add_skip(r, rv->v.index, "", "", verr.msg, rv->v.size);
				continue;
			}
			ks_fail(err, verr.code, "'%s': volume %u: %s", path, rv->v.index, verr.msg);
			goto out;
		}
		free(rv->label);
		free(rv->fs_version);
		rv->label = xstrdup(fs_label(fs));
		rv->fs_version = xstrdup(fs_version(fs));
		rv->reader = xstrdup(fs_reader(fs));
		rv->dirty = fs_dirty(fs);
		struct walk_ctx wc = { .job = &j, .vol = i, .rv = rv };
		int wr = fs_walk(fs, on_entry, &wc, &verr);
		struct os_info os;
		if (wr >= 0 && os_inspect(fs, rv->v.index, (const char *const *)wc.ntuser, wc.nntuser, day.midnight, &os) == 1) {
			report_add_os(r, &os);
			evidence_collect(fs, &r->os[r->nos - 1], (const char *const *)wc.found, wc.nfound,
					 &r->evidence[r->nos - 1]);
		}
		for (size_t k = 0; k < wc.nntuser; k++)
			free(wc.ntuser[k]);
		free(wc.ntuser);
		for (size_t k = 0; k < wc.nfound; k++)
			free(wc.found[k]);
		free(wc.found);
		j.walked.fs[i] = fs;
		if (wr < 0) {
			ks_fail(err, verr.code, "'%s': volume %u: %s", path, rv->v.index, verr.msg);
			goto out;
		}
		rv->scanned = true;
	}

	if (o->cross_check) {
		struct ks_err why;
		progress_phase(prog, "inspecting with libguestfs");
		struct fs_inspection ins;
		if (fs_inspect_os(j.img, &ins, &why) < 0) {
			r->cross_check_note = xasprintf("the cross-check could not run: %s", why.msg);
		} else {
			r->cross_check_note = os_cross_check(r->os, r->nos, &ins);
			fs_inspection_release(&ins);
		}
	}

	/* The catalogs first: every worker looks unsigned PE files up in them. */
	progress_phase(prog, "reading catalogs");
	if (!(j.trust = sigs_begin(o, &day, r, err)))
		goto out;
	for (size_t i = 0; i < j.nitems; i++) {
		const struct item *it = &j.items[i];
		if (!it->stream[0] && sigs_is_catalog(it->path))
			sigs_add_catalog(j.trust, j.walked.fs[it->vol], r->vol[it->vol].v.index, it->path, &r->trust);
	}

	/* Scan. */
	plan_order(&j);
	if (o->baseline && snapshot_reuse_ok(o->baseline, &r->engine, j.reuse_note, sizeof(j.reuse_note)))
		j.baseline = o->baseline;
	t1 = now_mono();
	progress_phase(prog, "scanning");
	{
		pthread_t *tids = xcalloc(j.nworkers, sizeof(*tids));
		struct worker *ws = xcalloc(j.nworkers, sizeof(*ws));
		unsigned started = 0;

		for (unsigned k = 0; k < j.nworkers; k++) {
			ws[k].job = &j;
			ws[k].fs = xcalloc(r->nvol ? r->nvol : 1, sizeof(*ws[k].fs));
			ws[k].fs_error = xcalloc(r->nvol ? r->nvol : 1, sizeof(*ws[k].fs_error));
			ws[k].h = sha256_new();
			if (pthread_create(&tids[k], NULL, worker_main, &ws[k]) == 0)
				started++;
			else
				break;
		}
		if (started == 0)
			worker_main(&ws[0]);   /* no thread could start: do the work here */
		for (unsigned k = 0; k < started; k++)
			pthread_join(tids[k], NULL);
		for (unsigned k = 0; k < j.nworkers; k++) {
			for (size_t v = 0; v < r->nvol; v++) {
				fs_close(ws[k].fs ? ws[k].fs[v] : NULL);
				free(ws[k].fs_error ? ws[k].fs_error[v] : NULL);
			}
			free(ws[k].fs);
			free(ws[k].fs_error);
			free(ws[k].buf);
			sha256_free(ws[k].h);
		}
		free(ws);
		free(tids);
	}
	r->seconds_scan = now_mono() - t1;
	collect(&j);
	scan_yara_finish(&r->yara);
	autoruns_from_files(&j.walked, r);
	autoruns_resolve(&j.walked, j.trust, r);
	scan_evidence(&j.walked, av, j.yara, j.yara_max, j.yara_timeout, r);

	/* Prove the evidence was not touched. */
	progress_phase(prog, "hashing image again");
	j.pc.bytes_total = r->image_size;
	j.pc.files_total = 0;
	atomic_store(&j.pc.bytes_done, 0);
	t1 = now_mono();
	if (hash_image(j.img, r->sha256_after, &j.pc, err) < 0)
		goto out;
	r->seconds_hash += now_mono() - t1;
	if (strcmp(r->sha256_before, r->sha256_after) != 0) {
		ks_fail(err, KS_EINPUT, "'%s': the image changed during the scan (SHA-256 %s before, %s after): "
			"results are not evidence of its contents", path, r->sha256_before, r->sha256_after);
		goto out;
	}
	report_finish(r);
	/* The image's own stores, against the same anchors as every signature. */
	for (size_t i = 0; i < r->nos; i++)
		certstores_mark(&r->os[i], trust_ctx_anchors(j.trust), !o->anchors_text);
	judge(o, &j, r);
	now_iso(r->finished, sizeof(r->finished), NULL);
	r->seconds_total = now_mono() - t0;
	rc = 0;
out:
	progress_stop(prog);
	for (size_t i = 0; i < j.walked.n; i++)
		fs_close(j.walked.fs[i]);
	free(j.walked.fs);
	job_release(&j);
	trust_ctx_free(j.trust);
	fs_release_image(j.img);
	img_close(j.img);
	if (rc < 0)
		report_release(r);
	return rc;
}
