/* A fleet worker: one process that scans machines of a campaign one after
 * the other with the engine it loaded once (a Slurm array task, or one of
 * `fleet run`'s local workers), each into its report directory exactly as
 * `kenshu scan` would, each ended by a result in the campaign. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kenshu/av.h>
#include <kenshu/core.h>
#include <kenshu/drift.h>
#include <kenshu/fleet.h>
#include <kenshu/input.h>
#include <kenshu/output.h>
#include <kenshu/profile.h>
#include <kenshu/report.h>
#include <kenshu/rules.h>
#include <kenshu/scan.h>
#include <kenshu/version.h>
#include <kenshu/volume.h>
#include "cli.h"
#include <kenshu/banned.h>

/* What the machines of one worker share: loaded when first needed, kept
 * for the worker's life. Rows name few distinct profiles; each distinct
 * set of IOC feeds is one engine. */
struct prof_slot {
	char *name;
	struct profile *p;
	char *error;     /* profile_load's refusal, kept: said once per row */
	struct av *av;   /* the engine for its IOC feeds (shared, not owned) */
};

struct engine_slot {
	char *feeds;     /* the IOC feeds' SHA-256s: what makes engines differ */
	struct av *av;
};

struct fleet_env {
	const struct fleet_campaign *c;
	struct fleet_worker w;
	struct sign_key *key;
	char *anchors;
	size_t anchors_len;
	struct bundle_caps caps;
	struct av_limits limits;
	struct scan_date day;
	bool have_day;
	bool quiet;
	struct prof_slot *profiles;
	size_t nprofiles;
	struct engine_slot *engines;
	size_t nengines;
};

int fleet_env_init(struct fleet_env **out, const struct fleet_campaign *c, unsigned submission, bool quiet,
		   struct ks_err *err)
{
	struct fleet_env *e = xcalloc(1, sizeof(*e));
	const char *aj = getenv("SLURM_ARRAY_JOB_ID"), *at = getenv("SLURM_ARRAY_TASK_ID");
	const char *day = getenv("KENSHU_SCAN_DATE");

	*out = NULL;
	e->c = c;
	e->quiet = quiet;
	e->w.host = report_host_name();
	e->w.pid = (long)getpid();
	e->w.submission = submission;
	if (submission && aj && at && *aj && *at)
		e->w.slurm_job = xasprintf("%s_%s", aj, at);
	if (day && *day) {
		if (scan_date_parse(day, &e->day, err) < 0) {
			ks_prefix(err, "KENSHU_SCAN_DATE ");
			goto fail;
		}
		e->have_day = true;
	}
	if (c->sign_key && sign_key_load_private(c->sign_key, &e->key, err) < 0)
		goto fail;
	if (c->trust_anchors) {
		int en = 0;
		if (hostfile_read(c->trust_anchors, 0, 16u << 20, &e->anchors, &e->anchors_len, &en) != HOSTFILE_OK) {
			ks_fail(err, KS_EIO, "'%s': cannot read the trust anchors: %s", c->trust_anchors,
				en ? strerror(en) : "not a regular file of at most 16 MiB");
			goto fail;
		}
	}
	bundle_default_caps(&e->caps);
	if (bundle_caps_from_env(&e->caps, err) < 0)
		goto fail;
	av_default_limits(&e->limits);
	fs_ntfs_global_init();
	*out = e;
	return 0;
fail:
	fleet_env_release(e);
	return -1;
}

void fleet_env_release(struct fleet_env *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nprofiles; i++) {
		free(e->profiles[i].name);
		free(e->profiles[i].error);
		profile_free(e->profiles[i].p);
	}
	for (size_t i = 0; i < e->nengines; i++) {
		free(e->engines[i].feeds);
		av_close(e->engines[i].av);
	}
	free(e->profiles);
	free(e->engines);
	free(e->w.host);
	free(e->w.slurm_job);
	free(e->anchors);
	sign_key_free(e->key);
	free(e);
}

static char *feeds_key(const struct profile *p)
{
	const struct ioc *ioc = profile_ioc(p);
	struct strbuf sb;

	strbuf_init(&sb, SIZE_MAX);
	strbuf_addstr(&sb, "ioc");
	for (size_t i = 0; ioc && i < ioc_feed_count(ioc); i++)
		strbuf_addf(&sb, ":%c%s", ioc_feed(ioc, i)->hash ? 'h' : 's', ioc_feed(ioc, i)->sha256);
	return strbuf_detach(&sb, NULL);
}

/* The profile of a row and the engine for it, loaded on first use. */
static struct prof_slot *profile_for(struct fleet_env *e, const char *name, struct ks_err *err)
{
	struct prof_slot *s = NULL;
	char *key;

	for (size_t i = 0; i < e->nprofiles; i++)
		if (!strcmp(e->profiles[i].name, name))
			s = &e->profiles[i];
	if (!s) {
		struct ks_err pe;
		e->profiles = xrealloc(e->profiles, (e->nprofiles + 1) * sizeof(*e->profiles));
		s = &e->profiles[e->nprofiles++];
		memset(s, 0, sizeof(*s));
		s->name = xstrdup(name);
		if (profile_load(name, &s->p, &pe) < 0)
			s->error = xasprintf("profile %s", pe.msg);
	}
	if (s->error) {
		ks_fail(err, KS_EINPUT, "%s", s->error);
		return NULL;
	}
	if (s->av)
		return s;
	key = feeds_key(s->p);
	for (size_t i = 0; i < e->nengines; i++)
		if (!strcmp(e->engines[i].feeds, key))
			s->av = e->engines[i].av;
	if (!s->av) {
		struct av *av;
		if (av_open(e->c->database, profile_ioc(s->p), &e->limits, &av, err) < 0) {
			free(key);
			return NULL;
		}
		e->engines = xrealloc(e->engines, (e->nengines + 1) * sizeof(*e->engines));
		e->engines[e->nengines++] = (struct engine_slot){ key, av };
		s->av = av;
		key = NULL;
	}
	free(key);
	return s;
}

/* The row's own meta, then the campaign's for keys it does not set, then
 * asset=ID unless it says otherwise: every report names its machine. */
static void row_meta(const struct fleet_campaign *c, const struct fleet_row *r, struct case_meta *m)
{
	case_meta_copy(m, &r->meta);
	for (size_t i = 0; i < c->meta.n; i++) {
		char *kv = xasprintf("%s=%s", c->meta.v[i].key, c->meta.v[i].value);
		(void)case_meta_add(m, kv, NULL);   /* a key the row has: the row's stands */
		free(kv);
	}
	char *kv = xasprintf("asset=%s", r->asset);
	(void)case_meta_add(m, kv, NULL);
	free(kv);
}

static const char *verdict_of_exit(int code)
{
	switch (code) {
	case EXIT_PASS: return "PASS";
	case EXIT_FAIL: return "FAIL";
	case EXIT_REVIEW: return "REVIEW";
	default: return "ERROR";
	}
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int fleet_scan_row(struct fleet_env *e, size_t row)
{
	const struct fleet_campaign *c = e->c;
	const struct fleet_row *r = &c->rows[row];
	struct scan_one one = { .caps = &e->caps, .show = false, .quiet = true, .last = true };
	struct fleet_result res = { 0 };
	struct snapshot *baseline = NULL;
	struct case_meta meta = { 0 };
	struct timespec t0;
	struct ks_err err;
	struct prof_slot *ps;
	char started[32], finished[32];
	char *dir = fleet_report_dir(c, row);
	int code;

	ks_now_iso(started, sizeof(started));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (fleet_claim_write(c, row, &e->w, &err) < 0) {
		/* Without a claim nobody could tell this scan from a lost one. */
		say_err(&err);
		free(dir);
		return EXIT_ERROR;
	}
	say_signal_target(r->image_path, false);
	if (!(ps = profile_for(e, r->profile ? r->profile : c->profile, &err)) ||
	    (r->baseline && load_report_dir_err(r->baseline, c->baseline_pub, &baseline, &err) < 0)) {
		error("%s: %s", r->asset, err.msg);
		snprintf(one.error, sizeof(one.error), "%s", err.msg);
		code = EXIT_ERROR;
	} else {
		row_meta(c, r, &meta);
		struct scan_opts so = { .threads = c->threads, .profile = ps->p, .meta = &meta, .exports = c->exports,
					.sign_key = e->key, .baseline = baseline,
					.scan_date = e->have_day ? &e->day : NULL, .anchors_text = e->anchors,
					.anchors_len = e->anchors_len, .anchors_name = c->trust_anchors };
		one.av = ps->av;
		one.so = &so;
		code = scan_one_input(&one, r->image_path, dir);
	}
	say_signal_target(r->image_path, code != EXIT_ERROR);
	ks_now_iso(finished, sizeof(finished));
	res.exit_code = code;
	res.verdict = (char *)verdict_of_exit(code);
	res.error = code == EXIT_ERROR ? (one.error[0] ? one.error : (char *)"no reason recorded") : NULL;
	res.started = started;
	res.finished = finished;
	res.seconds = since(&t0);
	res.host = e->w.host;
	res.pid = e->w.pid;
	res.slurm_job = e->w.slurm_job;
	res.submission = e->w.submission;
	char commit[96];
	snprintf(commit, sizeof(commit), "%s (%s)", KENSHU_VERSION, kenshu_commit);
	res.commit = commit;
	if (fleet_result_write(c, row, &res, &err) < 0) {
		say_err(&err);
		code = EXIT_ERROR;
	}
	if (!e->quiet) {
		char *rel = fleet_report_rel(c, row);
		printf("%s: %s in %.1f s%s%s%s\n", r->asset, code == EXIT_ERROR ? "NOT-AUDITED" : res.verdict,
		       res.seconds, code == EXIT_ERROR ? "" : " (", code == EXIT_ERROR ? "" : rel,
		       code == EXIT_ERROR ? "" : ")");
		fflush(stdout);
		free(rel);
	}
	case_meta_release(&meta);
	snapshot_free(baseline);
	free(dir);
	return code;
}

/* ---- fleet run: a pool of local worker processes -------------------- */

static int worker_main(const struct fleet_campaign *c, int rfd, bool quiet)
{
	struct fleet_env *e;
	struct ks_err err;
	uint32_t row;
	int code = 0;

	if (fleet_env_init(&e, c, 0, quiet, &err) < 0) {
		say_err(&err);
		return EXIT_ERROR;
	}
	/* 4-byte reads from a pipe are atomic: each row goes to one worker. */
	for (;;) {
		ssize_t n = read(rfd, &row, sizeof(row));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(row))
			break;
		if (row < c->nrows && fleet_scan_row(e, row) == EXIT_ERROR)
			code = EXIT_ERROR;
	}
	fleet_env_release(e);
	return code;
}

int fleet_run_local(const struct fleet_campaign *c, const size_t *rows, size_t n, unsigned jobs, bool quiet)
{
	int p[2];
	pid_t *kids;
	unsigned nk = jobs < n ? jobs : (unsigned)n;
	int code = 0;

	if (n == 0)
		return 0;
	if (pipe(p) < 0)
		return error("cannot start the workers: pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	kids = xcalloc(nk, sizeof(*kids));
	for (unsigned k = 0; k < nk; k++) {
		kids[k] = fork();
		if (kids[k] < 0) {
			error("cannot start worker %u: fork: %s", k + 1, strerror(errno));
			nk = k;
			break;
		}
		if (kids[k] == 0) {
			close(p[1]);
			/* A worker does not outlive the run that started it. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() == 1)
				_exit(EXIT_ERROR);
			int rc = worker_main(c, p[0], quiet);
			fflush(stdout);
			_exit(rc);
		}
	}
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < n && nk; i++) {
		uint32_t row = (uint32_t)rows[i];
		if (write(p[1], &row, sizeof(row)) != (ssize_t)sizeof(row)) {
			error("the workers stopped taking machines: %s", strerror(errno));
			code = EXIT_ERROR;
			break;
		}
	}
	close(p[1]);
	for (unsigned k = 0; k < nk; k++) {
		int st;
		while (waitpid(kids[k], &st, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(st)) {
			error("worker %u (pid %ld) was killed by signal %d", k + 1, (long)kids[k], WTERMSIG(st));
			code = EXIT_ERROR;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
			code = EXIT_ERROR;
		}
	}
	free(kids);
	return nk ? code : EXIT_ERROR;
}
