/* kenshu fleet run | task | status | summary: a campaign of many images,
 * run here (a pool of worker processes) or by Slurm's array tasks (fleet
 * task, submitted by cmd_fleet_submit.c), read back as where each machine
 * stands and as the fleet summary. docs/fleet.md. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include <kenshu/output.h>
#include <kenshu/report.h>
#include <kenshu/rules.h>
#include "cli.h"
#include <kenshu/banned.h>

/* ---- what run and submit share: the campaign from the manifest ------- */

unsigned fleet_parse_count(const char *opt, const char *s, unsigned lo, unsigned hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-' || v < lo || v > hi)
		usage_error("%s wants a number from %u to %u, not '%s'", opt, lo, hi, s);
	return (unsigned)v;
}

void fleet_common_opt(struct fleet_common *f, int id, const char *val)
{
	struct ks_err err;

	switch (id) {
	case 'd': f->dbdir = val; break;
	case 'p': f->profile = val; break;
	case 'o': f->outdir = val; break;
	case 'q': f->quiet = true; break;
	case FO_SIGN_KEY: f->sign_key = val; break;
	case FO_BASELINE_PUB: f->baseline_pub = val; break;
	case FO_TRUST_ANCHORS: f->trust_anchors = val; break;
	case FO_META:
		if (case_meta_add(&f->meta, val, &err) < 0)
			usage_error("%s", err.msg);
		break;
	case FO_EXPORT: {
		unsigned e = report_export_parse(val);
		if (!e)
			usage_error("--export wants csv or stix, not '%s'", val);
		f->exports |= e;
		break;
	}
	case OPT_OPERAND:
		if (f->manifest)
			usage_error("one MANIFEST, not also '%s'", val);
		f->manifest = val;
		break;
	default:
		BUG("fleet: option id %d has no case", id);
	}
}

static char *abs_or_null(const char *what, const char *path, struct ks_err *err)
{
	char *r = realpath(path, NULL);

	if (!r)
		ks_fail(err, KS_EIO, "'%s': %s: %s", path, what, strerror(errno));
	return r;
}

int fleet_prepare(struct fleet_common *f, enum fleet_mode mode, unsigned threads, struct fleet_campaign *c,
		  struct fleet_manifest *m, char **text, size_t *len)
{
	struct ks_err err;
	char **problems = NULL;
	size_t np;
	struct stat st;
	int e = 0;

	memset(c, 0, sizeof(*c));
	*text = NULL;
	if (!f->manifest)
		usage_error("no MANIFEST given");
	if (!f->outdir)
		usage_error("no campaign directory: give -o CAMPAIGN_DIR");
	if (fleet_manifest_load(f->manifest, m, &err) < 0)
		return say_err(&err);
	/* Every row checked before anything is made or submitted. */
	np = fleet_manifest_check(m, f->profile, f->baseline_pub, &problems);
	for (size_t i = 0; i < np; i++) {
		fprintf(stderr, "kenshu: error: %s\n", problems[i]);
		free(problems[i]);
	}
	free(problems);
	if (np) {
		error("%s: %zu problem%s: nothing was %s", f->manifest, np, np == 1 ? "" : "s",
		      mode == FLEET_SLURM ? "submitted" : "scanned");
		return -1;
	}
	if (stat(f->dbdir, &st) < 0 || !S_ISDIR(st.st_mode))
		return error("'%s': not a ClamAV database directory: %s", f->dbdir,
			     errno && !S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
	if (f->sign_key) {
		struct sign_key *k;
		if (sign_key_load_private(f->sign_key, &k, &err) < 0)
			return say_err(&err);
		sign_key_free(k);
	}
	if (f->trust_anchors) {
		char *a = NULL;
		size_t al;
		if (load_anchors(f->trust_anchors, &a, &al, &err) < 0)
			return say_err(&err);
		free(a);
	}
	if (hostfile_read(f->manifest, 0, FLEET_MANIFEST_MAX, text, len, &e) != HOSTFILE_OK)
		return error("'%s': cannot read: %s", f->manifest, e ? strerror(e) : "not a regular file");
	c->dir = xstrdup(f->outdir);
	c->mode = mode;
	char now[32];
	ks_now_iso(now, sizeof(now));
	c->created = xstrdup(now);
	c->manifest_name = xstrdup(f->manifest);
	memcpy(c->manifest_sha256, m->sha256, sizeof(c->manifest_sha256));
	/* Absolute: a Slurm task starts in another directory, on another node. */
	if (!(c->database = abs_or_null("the database directory", f->dbdir, &err)) ||
	    (f->sign_key && !(c->sign_key = abs_or_null("the signing key", f->sign_key, &err))) ||
	    (f->baseline_pub && !(c->baseline_pub = abs_or_null("the baseline key", f->baseline_pub, &err))) ||
	    (f->trust_anchors && !(c->trust_anchors = abs_or_null("the trust anchors", f->trust_anchors, &err)))) {
		fleet_campaign_release(c);
		free(*text);
		*text = NULL;
		return say_err(&err);
	}
	c->profile = xstrdup(f->profile);
	if (strchr(c->profile, '/') || strstr(c->profile, ".ini")) {
		char *p = realpath(f->profile, NULL);
		if (p) {
			free(c->profile);
			c->profile = p;
		}
	}
	c->exports = f->exports;
	c->threads = threads;
	case_meta_copy(&c->meta, &f->meta);
	/* The rows move into the campaign, their paths made absolute. */
	c->rows = m->rows;
	c->nrows = m->nrows;
	m->rows = NULL;
	m->nrows = 0;
	for (size_t i = 0; i < c->nrows; i++) {
		struct fleet_row *r = &c->rows[i];
		char *p = realpath(r->image_path, NULL);
		if (p) {
			free(r->image_path);
			r->image_path = p;
		}
		if (r->baseline && (p = realpath(r->baseline, NULL))) {
			free(r->baseline);
			r->baseline = p;
		}
		if (r->profile && (strchr(r->profile, '/') || strstr(r->profile, ".ini")) &&
		    (p = realpath(r->profile, NULL))) {
			free(r->profile);
			r->profile = p;
		}
	}
	if (fleet_campaign_create(c, *text, *len, &err) < 0) {
		fleet_campaign_release(c);
		free(*text);
		*text = NULL;
		return say_err(&err);
	}
	return 0;
}

void fleet_common_release(struct fleet_common *f)
{
	case_meta_release(&f->meta);
}

/* The summary written, one line said; 0 or -1. */
int fleet_write_summary(const struct fleet_campaign *c, const char *previous, bool quiet)
{
	struct fleet_status *st;
	struct fleet_summary s;
	struct ks_err err;

	if (fleet_status_read(c, &st, &err) < 0)
		return say_err(&err);
	if (fleet_summary_build(c, st, previous, &s, &err) < 0) {
		fleet_status_free(st, c->nrows);
		return say_err(&err);
	}
	fleet_status_free(st, c->nrows);
	if (fleet_summary_save(&s, c->dir, &err) < 0) {
		fleet_summary_release(&s);
		return say_err(&err);
	}
	if (!quiet) {
		printf("Fleet:      %zu machine%s: %zu PASS, %zu REVIEW, %zu FAIL, %zu NOT-AUDITED", s.nmachines,
		       s.nmachines == 1 ? "" : "s", s.counts[0], s.counts[1], s.counts[2], s.counts[3]);
		if (previous)
			printf("; %zu worse than in %s", s.worse, previous);
		printf("\nSummary:    %s/fleet.html\n            %s/fleet.json\n", c->dir, c->dir);
	}
	fleet_summary_release(&s);
	return 0;
}

/* The campaign's exit code from its machines: as scan's for several
 * images, a machine not audited counting as "could not complete". */
int fleet_exit_code(const struct fleet_campaign *c)
{
	struct fleet_status *st;
	struct ks_err err;
	int code = EXIT_PASS;

	if (fleet_status_read(c, &st, &err) < 0)
		return say_err(&err), EXIT_ERROR;
	for (size_t i = 0; i < c->nrows; i++) {
		const char *v = st[i].verdict;
		code = exit_code_combine(code, !strcmp(v, "PASS")     ? EXIT_PASS
					       : !strcmp(v, "REVIEW") ? EXIT_REVIEW
					       : !strcmp(v, "FAIL")   ? EXIT_FAIL
								      : EXIT_ERROR);
	}
	fleet_status_free(st, c->nrows);
	return code;
}

/* ---- fleet run -------------------------------------------------------- */

enum { RO_THREADS = FO_LAST };

static const struct opt run_opts[] = {
	{ "output", 'o', OPT_REQUIRED, "CAMPAIGN_DIR", NULL,
	  "the campaign directory: made here, one report directory per machine in it, and the summary" },
	{ "jobs", 'j', 0, "N", NULL, "images scanned at a time, each by its own worker process with its own engine (default 2)" },
	{ "threads", RO_THREADS, 0, "N", NULL, "scan threads per image (default: the cores divided by --jobs, at least 1)" },
	FLEET_COMMON_OPTS,
	{ "quiet", 'q', 0, NULL, NULL, "no line per machine and no summary on stdout" },
	{ 0 },
};
static const char *const run_operands[] = { "MANIFEST", NULL };

const struct cmd_usage fleet_run_usage = {
	.flags = CMD_OPTS_ANYWHERE,
	.opts = run_opts,
	.operands = run_operands,
	.about = "Runs the campaign of the fleet manifest MANIFEST (CSV: asset, image, baseline, profile, meta; "
		 "docs/fleet.md) on this machine: every row is checked first, then each image is scanned into "
		 "CAMPAIGN_DIR/machines/ASSET as kenshu scan would, and fleet.json and fleet.html summarise them.",
	.exit_status = "Exit status: 0 every machine PASS, 1 a FAIL, 2 a machine not audited (or a bad "
		       "manifest: nothing is scanned), 3 a REVIEW, 64 usage; FAIL > not audited > REVIEW > PASS.",
};

struct run_args {
	struct fleet_common f;
	unsigned jobs, threads;
};

static void run_opt(void *ctx, int id, const char *val)
{
	struct run_args *a = ctx;

	if (id == 'j')
		a->jobs = fleet_parse_count("-j", val, 1, 64);
	else if (id == RO_THREADS)
		a->threads = fleet_parse_count("--threads", val, 1, 256);
	else
		fleet_common_opt(&a->f, id, val);
}

int cmd_fleet_run(int argc, char **argv)
{
	struct run_args a = { .f = FLEET_COMMON_INIT, .jobs = 2 };
	struct fleet_campaign c;
	struct fleet_manifest m = { 0 };
	char *text;
	size_t len, *rows;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int code;

	parse_options(&fleet_run_usage, argc, argv, run_opt, &a);
	if (!a.threads)
		a.threads = ncpu > (long)a.jobs ? (unsigned)(ncpu / (long)a.jobs) : 1;
	cleanup_install_signal_handlers(say_signal);
	if (fleet_prepare(&a.f, FLEET_LOCAL, a.threads, &c, &m, &text, &len) < 0) {
		fleet_manifest_release(&m);
		fleet_common_release(&a.f);
		return EXIT_ERROR;
	}
	free(text);
	fleet_manifest_release(&m);
	if (!a.f.quiet)
		printf("Campaign:   %s: %zu machine%s, %u at a time\n", c.dir, c.nrows, c.nrows == 1 ? "" : "s",
		       a.jobs);
	rows = xcalloc(c.nrows, sizeof(*rows));
	for (size_t i = 0; i < c.nrows; i++)
		rows[i] = i;
	fleet_run_local(&c, rows, c.nrows, a.jobs, a.f.quiet);
	free(rows);
	code = fleet_write_summary(&c, NULL, a.f.quiet) < 0 ? EXIT_ERROR : fleet_exit_code(&c);
	fleet_campaign_release(&c);
	fleet_common_release(&a.f);
	return code;
}

/* ---- fleet task: one Slurm array task -------------------------------- */

enum { TO_SUBMISSION = OPT_LONG_ONLY, TO_TASK };

static const struct opt task_opts[] = {
	{ "submission", TO_SUBMISSION, OPT_REQUIRED, "N", NULL, "the submission (slurm/submission-N.json) the task belongs to" },
	{ "task", TO_TASK, 0, "T", NULL, "the task's index in the job array (default: $SLURM_ARRAY_TASK_ID)" },
	{ "quiet", 'q', 0, NULL, NULL, "no line per machine" },
	{ 0 },
};
static const char *const task_operands[] = { "CAMPAIGN_DIR", NULL };

const struct cmd_usage fleet_task_usage = {
	.flags = CMD_OPTS_ANYWHERE,
	.opts = task_opts,
	.operands = task_operands,
	.about = "Scans the machines of one task of a submitted campaign, one after the other with one engine; "
		 "the job script fleet submit writes runs it, not people.",
	.exit_status = "Exit status: 0 every machine of the task has its report (whatever its verdict), 2 one "
		       "could not be scanned, 64 usage.",
};

struct task_args {
	const char *dir;
	unsigned submission, task;
	bool have_task, quiet;
};

static void task_opt(void *ctx, int id, const char *val)
{
	struct task_args *a = ctx;

	switch (id) {
	case TO_SUBMISSION: a->submission = fleet_parse_count("--submission", val, 1, 99999); break;
	case TO_TASK:
		a->task = fleet_parse_count("--task", val, 0, FLEET_MAX_ROWS);
		a->have_task = true;
		break;
	case 'q': a->quiet = true; break;
	case OPT_OPERAND:
		if (a->dir)
			usage_error("one CAMPAIGN_DIR, not also '%s'", val);
		a->dir = val;
		break;
	default: BUG("fleet task: option id %d has no case", id);
	}
}

int cmd_fleet_task(int argc, char **argv)
{
	struct task_args a = { 0 };
	struct fleet_campaign c;
	struct fleet_submission *subs;
	struct fleet_env *env;
	struct ks_err err;
	size_t nsub, first, n;
	int code = 0;

	parse_options(&fleet_task_usage, argc, argv, task_opt, &a);
	if (!a.dir)
		usage_error("no CAMPAIGN_DIR given");
	if (!a.have_task) {
		const char *t = getenv("SLURM_ARRAY_TASK_ID");
		if (!t || !*t)
			usage_error("no --task and no SLURM_ARRAY_TASK_ID: not in a Slurm array task");
		a.task = fleet_parse_count("SLURM_ARRAY_TASK_ID", t, 0, FLEET_MAX_ROWS);
	}
	cleanup_install_signal_handlers(say_signal);
	if (fleet_campaign_open(a.dir, &c, &err) < 0)
		return say_err(&err), EXIT_ERROR;
	if (fleet_submissions_read(&c, &subs, &nsub, &err) < 0) {
		fleet_campaign_release(&c);
		return say_err(&err), EXIT_ERROR;
	}
	if (a.submission > nsub) {
		error("'%s': no submission %u", a.dir, a.submission);
		code = EXIT_ERROR;
		goto out;
	}
	const struct fleet_submission *s = &subs[a.submission - 1];
	fleet_task_rows(s, a.task, &first, &n);
	if (!n) {
		error("'%s': submission %u has no task %u (it has %u)", a.dir, a.submission, a.task, fleet_task_count(s));
		code = EXIT_ERROR;
		goto out;
	}
	if (!a.quiet) {
		printf("kenshu fleet task: %s, submission %u, task %u: %zu machine%s\n", a.dir, a.submission, a.task,
		       n, n == 1 ? "" : "s");
		fflush(stdout);
	}
	if (fleet_env_init(&env, &c, a.submission, a.quiet, &err) < 0) {
		say_err(&err);
		code = EXIT_ERROR;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (fleet_scan_row(env, s->rows[first + i]) == EXIT_ERROR)
			code = EXIT_ERROR;
	fleet_env_release(env);
out:
	for (size_t i = 0; i < nsub; i++)
		fleet_submission_release(&subs[i]);
	free(subs);
	fleet_campaign_release(&c);
	return code;
}

/* ---- fleet status, fleet summary -------------------------------------- */

static const struct opt status_opts[] = { { 0 } };
static const char *const dir_operands[] = { "CAMPAIGN_DIR", NULL };

const struct cmd_usage fleet_status_usage = {
	.flags = CMD_OPTS_ANYWHERE,
	.opts = status_opts,
	.operands = dir_operands,
	.about = "Shows where each machine of a campaign stands — done (with its verdict), running, failed "
		 "(with why) or pending — from the campaign directory and, for a Slurm campaign, from what Slurm "
		 "says of its tasks (scontrol, else sacct).",
	.exit_status = "Exit status: 0 shown, 2 the campaign directory cannot be read, 64 usage.",
};

static void dir_opt(void *ctx, int id, const char *val)
{
	const char **dir = ctx;

	if (id != OPT_OPERAND)
		BUG("fleet: option id %d has no case", id);
	if (*dir)
		usage_error("one CAMPAIGN_DIR, not also '%s'", val);
	*dir = val;
}

int cmd_fleet_status(int argc, char **argv)
{
	const char *dir = NULL;
	struct fleet_campaign c;
	struct fleet_status *st;
	struct ks_err err;
	size_t counts[4] = { 0 };

	parse_options(&fleet_status_usage, argc, argv, dir_opt, &dir);
	if (!dir)
		usage_error("no CAMPAIGN_DIR given");
	if (fleet_campaign_open(dir, &c, &err) < 0)
		return say_err(&err), EXIT_ERROR;
	if (fleet_status_read(&c, &st, &err) < 0) {
		fleet_campaign_release(&c);
		return say_err(&err), EXIT_ERROR;
	}
	size_t w = 5;
	for (size_t i = 0; i < c.nrows; i++)
		w = strlen(c.rows[i].asset) > w ? strlen(c.rows[i].asset) : w;
	printf("%-*s  %-7s  %-11s  %s\n", (int)w, "ASSET", "STATE", "VERDICT", "DETAIL");
	for (size_t i = 0; i < c.nrows; i++) {
		const struct fleet_status *s = &st[i];
		counts[s->state]++;
		/* A machine still queued or running has no verdict yet. */
		const char *v = s->state == FLEET_DONE || s->state == FLEET_FAILED ? s->verdict : "-";
		if (s->reason)
			printf("%-*s  %-7s  %-11s  %s\n", (int)w, c.rows[i].asset, fleet_state_name(s->state), v, s->reason);
		else
			printf("%-*s  %-7s  %-11s  finished %s in %.1f s\n", (int)w, c.rows[i].asset,
			       fleet_state_name(s->state), v, s->result.finished ? s->result.finished : "?",
			       s->result.seconds);
	}
	printf("%zu machine%s: %zu done, %zu running, %zu failed, %zu pending\n", c.nrows, c.nrows == 1 ? "" : "s",
	       counts[FLEET_DONE], counts[FLEET_RUNNING], counts[FLEET_FAILED], counts[FLEET_PENDING]);
	fleet_status_free(st, c.nrows);
	fleet_campaign_release(&c);
	return 0;
}

enum { SO_PREVIOUS = OPT_LONG_ONLY };

static const struct opt summary_opts[] = {
	{ "previous", SO_PREVIOUS, OPT_ONCE, "DIR", NULL,
	  "compare with an earlier campaign directory (its fleet.json): which machines got worse" },
	{ "quiet", 'q', 0, NULL, NULL, "nothing on stdout" },
	{ 0 },
};

const struct cmd_usage fleet_summary_usage = {
	.flags = CMD_OPTS_ANYWHERE,
	.opts = summary_opts,
	.operands = dir_operands,
	.about = "Writes CAMPAIGN_DIR/fleet.json and CAMPAIGN_DIR/fleet.html: every machine's verdict (PASS, "
		 "REVIEW, FAIL, or NOT-AUDITED with why), what changed since its baseline, the findings that "
		 "decide it, its scan time and a link to its report. Run by a Slurm campaign's summary job too.",
	.exit_status = "Exit status: 0 written (whatever the verdicts), 2 the campaign or --previous cannot be "
		       "read or the summary not written, 64 usage.",
};

struct summary_args {
	const char *dir, *previous;
	bool quiet;
};

static void summary_opt(void *ctx, int id, const char *val)
{
	struct summary_args *a = ctx;

	if (id == SO_PREVIOUS)
		a->previous = val;
	else if (id == 'q')
		a->quiet = true;
	else
		dir_opt(&a->dir, id, val);
}

int cmd_fleet_summary(int argc, char **argv)
{
	struct summary_args a = { 0 };
	struct fleet_campaign c;
	struct ks_err err;
	int rc;

	parse_options(&fleet_summary_usage, argc, argv, summary_opt, &a);
	if (!a.dir)
		usage_error("no CAMPAIGN_DIR given");
	cleanup_install_signal_handlers(say_signal);
	if (fleet_campaign_open(a.dir, &c, &err) < 0)
		return say_err(&err), EXIT_ERROR;
	rc = fleet_write_summary(&c, a.previous, a.quiet);
	fleet_campaign_release(&c);
	return rc < 0 ? EXIT_ERROR : 0;
}
