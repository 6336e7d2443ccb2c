/* The fleet summary's model: one fleet_machine per manifest row, built
 * from the campaign's statuses and each machine's report directory read
 * back as untrusted input (summary_parse.c), compared with a previous
 * campaign's fleet.json when asked; and saving fleet.json and fleet.html.
 *
 * A damaged, missing or contradictory report makes its machine
 * NOT-AUDITED with the reason, never an error of the whole summary: the
 * summary is how the plant learns that something went wrong. Only a
 * --previous directory without a readable fleet.json is an error, since
 * the comparison the user asked for cannot be made. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/drift.h>
#include <kenshu/output.h>
#include <kenshu/fleet.h>
#include "fleet_internal.h"
#include <kenshu/banned.h>

/* A WIM's images in image-1/ ... image-N/; more is no WIM kenshu scanned
 * (the cap bounds the work a planted directory tree can cause). */
#define FLEET_MAX_WIM_IMAGES 1024
/* A previous campaign's fleet.json: 100000 machines with long findings
 * stay well below. */
#define FLEET_MAX_PREVIOUS ((uint64_t)512 << 20)

static const char *const verdict_names[4] = { "PASS", "REVIEW", "FAIL", "NOT-AUDITED" };

int fleet_summary_verdict_index(const char *v)
{
	for (int i = 0; v && i < 4; i++)
		if (!strcmp(v, verdict_names[i]))
			return i;
	return -1;
}

/* Why a report file could not be read, for a machine's reason. */
static char *read_problem(enum hostfile_status hs, int e)
{
	switch (hs) {
	case HOSTFILE_OK:
		break;
	case HOSTFILE_ERRNO:
		if (e == ENOENT)
			return xstrdup("missing");
		if (e == ELOOP)
			return xstrdup("a symbolic link, not followed");
		return xasprintf("cannot be read: %s", strerror(e));
	case HOSTFILE_NOT_REGULAR:
		return xstrdup(e == EISDIR ? "a directory, not a file" : "not a regular file (a device, FIFO or socket)");
	case HOSTFILE_TOO_LARGE:
		return xasprintf("larger than %llu MiB, not a report kenshu wrote",
				 (unsigned long long)(SNAPSHOT_MAX_REPORT >> 20));
	}
	return xstrdup("cannot be read");
}

/* Reads and parses DIR/REL (report.json or bundle.json) into m; NULL, or
 * the reason "REL: problem" (caller frees). */
static char *read_one(const char *dir, const char *rel, bool bundle, struct fleet_machine *m)
{
	char *path = xasprintf("%s/%s", dir, rel), *buf = NULL, *why;
	size_t len;
	int e = 0;
	struct ks_err err = { 0 };
	enum hostfile_status hs = hostfile_read(path, HOSTFILE_NOFOLLOW, SNAPSHOT_MAX_REPORT, &buf, &len, &e);

	free(path);
	if (hs != HOSTFILE_OK) {
		char *p = read_problem(hs, e);
		why = xasprintf("%s: %s", rel, p);
		free(p);
		return why;
	}
	int rc = bundle ? fleet_summary_parse_bundle(buf, len, m, &err) : fleet_summary_parse_report(buf, len, m, &err);
	free(buf);
	return rc < 0 ? xasprintf("%s: %s", rel, err.msg) : NULL;
}

/* Whether DIR/REL is there in any form (a planted FIFO or link too: the
 * read then says what it is); *is_dir when it is a real directory. */
static bool lexists(const char *dir, const char *rel, bool *is_dir)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct stat st;
	bool yes = lstat(p, &st) == 0;

	if (is_dir)
		*is_dir = yes && S_ISDIR(st.st_mode);
	free(p);
	return yes;
}

static bool exists(const char *dir, const char *rel)
{
	return lexists(dir, rel, NULL);
}

/* Moves one image's decisive findings (each list fail first, then review)
 * into acc's, the merged list kept in the same order and cap. */
static void merge_decisive(struct fleet_machine *acc, struct fleet_machine *one, unsigned image)
{
	struct fleet_finding all[2 * FLEET_MAX_DECISIVE];
	size_t n = 0, kept = 0;

	for (int sev = 0; sev < 2; sev++) {
		const char *want = sev ? "review" : "fail";
		for (size_t i = 0; i < acc->ndecisive; i++)
			if (!strcmp(acc->decisive[i].severity, want))
				all[n++] = acc->decisive[i];
		for (size_t i = 0; i < one->ndecisive; i++)
			if (!strcmp(one->decisive[i].severity, want)) {
				struct fleet_finding x = one->decisive[i];
				char *msg = xasprintf("image %u: %s", image, x.message);
				free(x.message);
				x.message = msg;
				all[n++] = x;
			}
	}
	free(acc->decisive);
	free(one->decisive);
	one->decisive = NULL;
	one->ndecisive = 0;
	acc->decisive = xcalloc(FLEET_MAX_DECISIVE, sizeof(*acc->decisive));
	for (size_t i = 0; i < n; i++) {
		if (kept < FLEET_MAX_DECISIVE) {
			acc->decisive[kept++] = all[i];
			continue;
		}
		free(all[i].rule);
		free(all[i].severity);
		free(all[i].message);
		free(all[i].path);
	}
	acc->ndecisive = kept;
	acc->decisive_total += one->decisive_total;
}

/* Image k (2, 3...) of a WIM merged into what images 1..k-1 gave: the
 * worst verdict, counts summed, times spanning them all. */
static void merge_image(struct fleet_machine *acc, struct fleet_machine *one, unsigned k)
{
	char *reason;

	if (fleet_summary_verdict_index(one->verdict) > fleet_summary_verdict_index(acc->verdict)) {
		free(acc->verdict);
		acc->verdict = one->verdict;
		one->verdict = NULL;
	}
	/* Capped: a WIM of many images still gives one readable line. */
	struct strbuf sb;
	strbuf_init(&sb, 4096);
	strbuf_addf(&sb, "%s; image %u: %s", acc->verdict_reason, k, one->verdict_reason);
	reason = strbuf_detach(&sb, NULL);
	free(acc->verdict_reason);
	acc->verdict_reason = reason;
	free(acc->finished);
	acc->finished = one->finished;
	one->finished = NULL;
	acc->seconds += one->seconds;
	acc->detections = acc->detections + one->detections < acc->detections ? UINT32_MAX
									       : acc->detections + one->detections;
	if (one->has_drift) {
		bool was = acc->has_drift;
		acc->drift.files_added += one->drift.files_added;
		acc->drift.files_removed += one->drift.files_removed;
		acc->drift.files_changed += one->drift.files_changed;
		acc->drift.autoruns_added += one->drift.autoruns_added;
		acc->drift.autoruns_removed += one->drift.autoruns_removed;
		acc->drift.autoruns_changed += one->drift.autoruns_changed;
		acc->drift.detections_new += one->drift.detections_new;
		acc->drift.detections_gone += one->drift.detections_gone;
		acc->drift.unchanged = (was ? acc->drift.unchanged : true) && one->drift.unchanged;
		acc->has_drift = true;
	}
	merge_decisive(acc, one, k);
}

/* A WIM's image-1/ ... image-N/, each with its report.json. */
static char *read_wim(const char *dir, struct fleet_machine *m)
{
	unsigned k;

	for (k = 1; k <= FLEET_MAX_WIM_IMAGES; k++) {
		char *sub = xasprintf("image-%u", k), *rel = xasprintf("image-%u/report.json", k), *why = NULL;
		struct fleet_machine one = { .seconds = -1 };
		bool is_dir, more = lexists(dir, sub, &is_dir);

		if (more && !is_dir)
			why = xasprintf("%s: not a directory", sub);
		else if (more)
			why = read_one(dir, rel, false, k == 1 ? m : &one);
		free(sub);
		free(rel);
		if (!more)
			break;
		if (why) {
			fleet_summary_machine_release(&one);
			return why;
		}
		if (k == 1) {
			/* Each image's findings say which image they are from. */
			for (size_t i = 0; i < m->ndecisive; i++) {
				char *msg = xasprintf("image 1: %s", m->decisive[i].message);
				free(m->decisive[i].message);
				m->decisive[i].message = msg;
			}
			char *r = xasprintf("image 1: %s", m->verdict_reason);
			free(m->verdict_reason);
			m->verdict_reason = r;
		} else {
			merge_image(m, &one, k);
		}
		fleet_summary_machine_release(&one);
	}
	if (k > FLEET_MAX_WIM_IMAGES) {
		char *sub = xasprintf("image-%u", k);
		bool more = exists(dir, sub);
		free(sub);
		if (more)
			return xasprintf("more than %d image-N directories, not a report kenshu wrote",
					 FLEET_MAX_WIM_IMAGES);
	}
	return NULL;
}

/* The report fields of a report directory that parsed; empties them. */
static void drop_report(struct fleet_machine *m)
{
	struct fleet_machine keep = *m;

	keep.verdict = keep.verdict_reason = keep.image_sha256 = keep.started = keep.finished = NULL;
	keep.decisive = NULL;
	free(m->verdict);
	free(m->verdict_reason);
	free(m->image_sha256);
	free(m->started);
	free(m->finished);
	fleet_findings_free(m->decisive, m->ndecisive);
	*m = keep;
	m->seconds = -1;
	m->detections = 0;
	m->has_drift = false;
	memset(&m->drift, 0, sizeof(m->drift));
	m->ndecisive = m->decisive_total = 0;
}

static void not_audited(struct fleet_machine *m, char *reason)
{
	free(m->verdict);
	m->verdict = xstrdup("NOT-AUDITED");
	free(m->reason);
	m->reason = reason;
}

/* A name that is one safe path component (the manifest parser allows
 * only [A-Za-z0-9._-], but the campaign directory is editable). */
static bool component_ok(const char *s)
{
	return s && s[0] && s[0] != '.' && !strchr(s, '/') && strlen(s) <= FLEET_ASSET_MAX;
}

/* The machine's report directory, read as its status allows. The status
 * says whether a scan finished (PASS, REVIEW, FAIL: its report must be
 * there and say the same); a NOT-AUDITED one is read only for a bundle
 * whose scan ended with ERROR, which still writes bundle.json. */
static void read_machine(const struct fleet_campaign *c, const struct fleet_status *st, struct fleet_machine *m)
{
	int sv = fleet_summary_verdict_index(st->verdict);
	bool error_result = st->have_result && st->result.verdict && !strcmp(st->result.verdict, "ERROR");
	char *dir, *why = NULL, *status_reason = NULL;
	const char *file = "report.json";
	struct stat sb;

	if (sv < 0 || sv == 3) {
		status_reason = xstrdup(st->reason ? st->reason : "not audited: no result for this machine");
		if (!error_result) {
			not_audited(m, status_reason);
			return;
		}
	}
	if (!component_ok(m->asset)) {
		free(status_reason);
		not_audited(m, xstrdup("the asset id is not a usable directory name"));
		return;
	}
	dir = xasprintf("%s/machines/%s", c->dir, m->asset);
	if (lstat(dir, &sb) < 0)
		why = errno == ENOENT ? xstrdup("report.json: missing")
				      : xasprintf("machines/%s: %s", m->asset, strerror(errno));
	else if (S_ISLNK(sb.st_mode))
		why = xasprintf("machines/%s: a symbolic link, not followed", m->asset);
	else if (!S_ISDIR(sb.st_mode))
		why = xasprintf("machines/%s: not a directory", m->asset);
	else if (exists(dir, "report.json")) {
		why = read_one(dir, "report.json", false, m);
		m->report_html = xasprintf("machines/%s/report.html", m->asset);
	} else if (exists(dir, "bundle.json")) {
		file = "bundle.json";
		why = read_one(dir, "bundle.json", true, m);
		m->report_html = xasprintf("machines/%s/bundle.txt", m->asset);
	} else if (exists(dir, "image-1")) {
		why = read_wim(dir, m);
		m->report_html = xasprintf("machines/%s/image-1/report.html", m->asset);
	} else {
		why = xstrdup("report.json: missing");
	}
	free(dir);
	if (!why && m->verdict && !strcmp(m->verdict, "ERROR")) {
		/* A bundle that could not be scanned whole: its own words say why. */
		free(status_reason);
		m->report = xasprintf("machines/%s", m->asset);
		not_audited(m, xstrdup(m->verdict_reason));
		return;
	}
	if (why || status_reason) {
		drop_report(m);
		free(m->report_html);
		m->report_html = NULL;
		if (status_reason) {
			free(why);
			why = status_reason;
		}
		not_audited(m, why);
		return;
	}
	m->report = xasprintf("machines/%s", m->asset);
	if (strcmp(m->verdict, verdict_names[sv]) != 0)
		not_audited(m, xasprintf("the result says %s but %s says %s", verdict_names[sv], file, m->verdict));
}

/* The "worse" rule. Verdicts rank PASS < REVIEW < FAIL; a machine is
 * worse when its rank rose. NOT-AUDITED has no rank: one that is not
 * audited now is worse when it was PASS or REVIEW before (what was
 * accepted, or pending a decision, can no longer be vouched for); after
 * FAIL it is not (nothing is worse than rejected), and a machine not
 * audited before (or absent from the previous campaign) is never worse:
 * there is nothing to compare with. */
static bool is_worse(const char *now, const char *before)
{
	int n = fleet_summary_verdict_index(now), b = fleet_summary_verdict_index(before);

	if (b < 0 || b == 3 || n < 0)
		return false;
	if (n == 3)
		return b < 2;
	return n > b;
}

static int prev_asset_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fleet_prev *)a)->asset, ((const struct fleet_prev *)b)->asset);
}

static int compare_previous(struct fleet_summary *s, const char *previous, struct ks_err *err)
{
	char *path = xasprintf("%s/fleet.json", previous), *buf = NULL;
	struct fleet_prev *p;
	size_t n, len;
	int e = 0;
	struct ks_err why = { 0 };
	enum hostfile_status hs = hostfile_read(path, HOSTFILE_NOFOLLOW, FLEET_MAX_PREVIOUS, &buf, &len, &e);

	if (hs != HOSTFILE_OK) {
		char *pr = hs == HOSTFILE_TOO_LARGE ? xstrdup("larger than 512 MiB, not a fleet.json kenshu wrote")
						    : read_problem(hs, e);
		ks_fail(err, hs == HOSTFILE_ERRNO && e == ENOENT ? KS_ENOTFOUND : KS_EINPUT, "'%s': %s", path, pr);
		free(pr);
		free(path);
		return -1;
	}
	if (fleet_summary_parse_previous(buf, len, &p, &n, &why) < 0) {
		ks_fail(err, why.code, "'%s': %s", path, why.msg);
		free(buf);
		free(path);
		return -1;
	}
	free(buf);
	free(path);
	for (size_t i = 0; i < s->nmachines; i++) {
		struct fleet_machine *m = &s->machines[i];
		struct fleet_prev key = { .asset = m->asset }, *hit;
		if (!m->asset || !(hit = bsearch(&key, p, n, sizeof(*p), prev_asset_cmp)))
			continue;
		m->previous_verdict = xstrdup(hit->verdict);
		m->worse = is_worse(m->verdict, hit->verdict);
		s->worse += m->worse;
	}
	fleet_summary_prev_free(p, n);
	return 0;
}

int fleet_summary_build(const struct fleet_campaign *c, const struct fleet_status *st, const char *previous,
			struct fleet_summary *s, struct ks_err *err)
{
	char now[32];

	memset(s, 0, sizeof(*s));
	s->campaign_dir = xstrdup(c->dir);
	s->created = xstrdup_or_null(c->created);
	ks_now_iso(now, sizeof(now));
	s->generated = xstrdup(now);
	s->manifest_name = xstrdup_or_null(c->manifest_name);
	memcpy(s->manifest_sha256, c->manifest_sha256, sizeof(s->manifest_sha256));
	s->manifest_sha256[SHA256_HEX_LEN] = '\0';
	s->previous = xstrdup_or_null(previous);
	s->machines = xcalloc(c->nrows ? c->nrows : 1, sizeof(*s->machines));
	s->nmachines = c->nrows;
	for (size_t i = 0; i < c->nrows; i++) {
		const struct fleet_row *r = &c->rows[i];
		struct fleet_machine *m = &s->machines[i];

		m->seconds = -1;
		m->asset = xstrdup_or_null(r->asset);
		m->image = xstrdup_or_null(r->image);
		m->baseline = xstrdup_or_null(r->baseline);
		/* A row without a profile is scanned with the campaign's. */
		m->profile = xstrdup_or_null(r->profile ? r->profile : c->profile);
		case_meta_copy(&m->meta, &r->meta);
		read_machine(c, &st[i], m);
		/* A machine not audited still shows when its try ran. */
		if (!m->started && st[i].have_result) {
			m->started = xstrdup_or_null(st[i].result.started);
			m->finished = xstrdup_or_null(st[i].result.finished);
			m->seconds = st[i].result.seconds >= 0 ? st[i].result.seconds : -1;
		}
		int v = fleet_summary_verdict_index(m->verdict);
		s->counts[v < 0 ? 3 : v]++;
	}
	if (previous && compare_previous(s, previous, err) < 0) {
		fleet_summary_release(s);
		return -1;
	}
	return 0;
}

void fleet_summary_release(struct fleet_summary *s)
{
	free(s->campaign_dir);
	free(s->created);
	free(s->generated);
	free(s->manifest_name);
	free(s->previous);
	for (size_t i = 0; i < s->nmachines; i++)
		fleet_summary_machine_release(&s->machines[i]);
	free(s->machines);
	memset(s, 0, sizeof(*s));
}

/* ---- saving ---------------------------------------------------------- */

static int write_json(void *ctx, FILE *f)
{
	return fleet_summary_write_json(ctx, f);
}

static int write_html(void *ctx, FILE *f)
{
	return fleet_summary_write_html(ctx, f);
}

/* fleet.json then fleet.html, each written under a name of this process,
 * fsynced and renamed over the older one: a reader (a browser, the next
 * campaign's --previous) sees the old file or the new one, never half. */
int fleet_summary_save(const struct fleet_summary *s, const char *dir, struct ks_err *err)
{
	static const struct {
		const char *name;
		int (*write)(void *, FILE *);
	} out[] = { { "fleet.json", write_json }, { "fleet.html", write_html } };

	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		char *tmp = xasprintf("%s/.%s.tmp.%ld", dir, out[i].name, (long)getpid());
		char *final = xasprintf("%s/%s", dir, out[i].name);
		int rc;

		cleanup_add(tmp, false);
		rc = report_write_synced(tmp, dir, out[i].name, out[i].write, (void *)s, err);
		if (rc == 0 && rename(tmp, final) < 0)
			rc = ks_fail(err, KS_EIO, "'%s': cannot rename into place: %s", final, strerror(errno));
		if (rc < 0)
			unlink(tmp);
		cleanup_forget(tmp);
		free(tmp);
		free(final);
		if (rc < 0)
			return -1;
	}
	/* The renames themselves on disk. */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}
