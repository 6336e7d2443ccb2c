/* kenshu fleet submit | resubmit: a campaign as one Slurm job array (each
 * task scans M images with one engine) and a summary job that runs after
 * it whatever became of the tasks; resubmit sends exactly the machines
 * that were not audited again. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include <kenshu/rules.h>
#include "cli.h"
#include <kenshu/banned.h>

#define MIB ((uint64_t)1 << 20)

struct slurm_args {
	const char *partition, *time;
	unsigned max_parallel, images_per_task, cpus, jobs;
	uint64_t mem_mib;
};

enum {
	SO_PARTITION = FO_LAST,
	SO_MAX_PARALLEL,
	SO_IMAGES_PER_TASK,
	SO_MEM,
	SO_CPUS,
	SO_TIME,
};

#define SLURM_OPTS                                                                                           \
	{ "partition", SO_PARTITION, 0, "P", NULL, "the Slurm partition (default: the cluster's default)" },  \
	{ "max-parallel", SO_MAX_PARALLEL, 0, "K", NULL,                                                     \
	  "at most K array tasks at a time (sbatch --array=...%K; default: as many as Slurm places)" },       \
	{ "images-per-task", SO_IMAGES_PER_TASK, 0, "M", NULL,                                               \
	  "images each array task scans in one process with one engine (default 4)" },                       \
	{ "mem", SO_MEM, 0, "MIB", NULL,                                                                     \
	  "memory each task asks Slurm for, in MiB (default: 512 + 6 x the database directory's size + 128 " \
	  "per CPU; docs/fleet.md)" },                                                                       \
	{ "cpus-per-task", SO_CPUS, 0, "C", NULL, "CPUs per task, the scan threads of each image (default 2)" }, \
	{ "time", SO_TIME, 0, "LIMIT", NULL, "each task's time limit (sbatch --time, e.g. 2:00:00)" }

static bool slurm_opt(struct slurm_args *s, int id, const char *val)
{
	switch (id) {
	case SO_PARTITION:
		if (!*val || strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-,") != strlen(val))
			usage_error("--partition wants a partition name, not '%s'", val);
		s->partition = val;
		return true;
	case SO_MAX_PARALLEL: s->max_parallel = fleet_parse_count("--max-parallel", val, 1, 100000); return true;
	case SO_IMAGES_PER_TASK: s->images_per_task = fleet_parse_count("--images-per-task", val, 1, 10000); return true;
	case SO_MEM: s->mem_mib = fleet_parse_count("--mem", val, 16, 16u << 20); return true;
	case SO_CPUS: s->cpus = fleet_parse_count("--cpus-per-task", val, 1, 256); return true;
	case SO_TIME:
		if (!*val || strspn(val, "0123456789:-") != strlen(val))
			usage_error("--time wants a Slurm time limit (minutes, H:MM:SS or D-HH:MM:SS), not '%s'", val);
		s->time = val;
		return true;
	default: return false;
	}
}

/* The database's bytes: the engine it compiles into is about six times
 * larger (docs/fleet.md, measured with the official databases). */
static uint64_t db_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		n += (uint64_t)st.st_size;
	}
	closedir(d);
	return n;
}

static uint64_t default_mem(const char *dbdir, unsigned cpus)
{
	return 512 + (6 * db_bytes(dbdir) + MIB - 1) / MIB + 128 * (uint64_t)cpus;
}

/* A path in a POSIX shell script: single quotes, ' as '\''. */
static void sh_quote(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\'');
	for (; *s; s++)
		if (*s == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *s);
	strbuf_addch(sb, '\'');
}

static char *script(const char *what, const char *self, const char *dir, const char *args)
{
	struct strbuf sb;

	strbuf_init(&sb, SIZE_MAX);
	strbuf_addf(&sb, "#!/bin/sh\n# %s, written by kenshu fleet submit. Verdicts are not job failures:\n"
			 "# a task that wrote its reports exits 0 (docs/fleet.md).\nexec ",
		    what);
	sh_quote(&sb, self);
	strbuf_addf(&sb, " %s ", args);
	sh_quote(&sb, dir);
	strbuf_addch(&sb, '\n');
	return strbuf_detach(&sb, NULL);
}

static int write_script(const struct fleet_campaign *c, const char *name, const char *text, char **path)
{
	struct ks_err err;

	return fleet_write_script(c, name, text, path, &err) < 0 ? say_err(&err) : 0;
}

/* Submits rows as submission number n: the record first (a task that
 * starts at once must find its rows), then the array, then the summary
 * job, then the record again with both job ids. */
static int submit_rows(const struct fleet_campaign *c, const struct slurm_args *sa, const size_t *rows, size_t nrows,
		       unsigned number, bool quiet)
{
	struct fleet_submission s = { 0 };
	struct ks_err err;
	char *self = realpath("/proc/self/exe", NULL), *dir = realpath(c->dir, NULL);
	char now[32], *text = NULL, *task_path = NULL, *sum_path = NULL, *args;
	char array[64], mem[32], cpus[32], out[PATH_MAX + 64], sout[PATH_MAX + 64], dep[64], part[128], tl[64];
	const char *argv[16];
	int rc = -1, k;

	if (!self || !dir) {
		error("'%s': %s", !self ? "/proc/self/exe" : c->dir, strerror(errno));
		goto out;
	}
	ks_now_iso(now, sizeof(now));
	s.number = number;
	s.submitted = now;
	s.partition = (char *)sa->partition;
	s.images_per_task = sa->images_per_task;
	s.max_parallel = sa->max_parallel;
	s.cpus_per_task = sa->cpus;
	s.mem_mib = sa->mem_mib ? sa->mem_mib : default_mem(c->database, sa->cpus);
	s.rows = (size_t *)rows;
	s.nrows = nrows;
	if (fleet_submission_write(c, &s, &err) < 0) {
		say_err(&err);
		goto out;
	}
	args = xasprintf("fleet task --submission %u", number);
	text = script("One task of a kenshu fleet campaign", self, dir, args);
	free(args);
	char name[64];
	snprintf(name, sizeof(name), "submission-%u.sh", number);
	if (write_script(c, name, text, &task_path) < 0)
		goto out;
	free(text);
	text = script("The summary of a kenshu fleet campaign", self, dir, "fleet summary --quiet");
	snprintf(name, sizeof(name), "summary-%u.sh", number);
	if (write_script(c, name, text, &sum_path) < 0)
		goto out;

	unsigned ntasks = fleet_task_count(&s);
	if (sa->max_parallel)
		snprintf(array, sizeof(array), "--array=0-%u%%%u", ntasks - 1, sa->max_parallel);
	else
		snprintf(array, sizeof(array), "--array=0-%u", ntasks - 1);
	snprintf(mem, sizeof(mem), "--mem=%lluM", (unsigned long long)s.mem_mib);
	snprintf(cpus, sizeof(cpus), "--cpus-per-task=%u", sa->cpus);
	snprintf(out, sizeof(out), "--output=%s/slurm/task-%%A_%%a.log", dir);
	k = 0;
	argv[k++] = array;
	argv[k++] = "--job-name=kenshu-fleet";
	argv[k++] = out;
	argv[k++] = "--open-mode=append";
	argv[k++] = mem;
	argv[k++] = cpus;
	if (sa->partition) {
		snprintf(part, sizeof(part), "--partition=%s", sa->partition);
		argv[k++] = part;
	}
	if (sa->time) {
		snprintf(tl, sizeof(tl), "--time=%s", sa->time);
		argv[k++] = tl;
	}
	argv[k++] = task_path;
	argv[k] = NULL;
	if (slurm_sbatch(argv, &s.array_job, &err) < 0) {
		say_err(&err);
		goto out_unrecord;
	}
	snprintf(dep, sizeof(dep), "--dependency=afterany:%s", s.array_job);
	snprintf(sout, sizeof(sout), "--output=%s/slurm/summary-%%j.log", dir);
	k = 0;
	argv[k++] = dep;
	argv[k++] = "--job-name=kenshu-fleet-summary";
	argv[k++] = sout;
	argv[k++] = "--mem=1024M";
	argv[k++] = "--cpus-per-task=1";
	if (sa->partition)
		argv[k++] = part;
	argv[k++] = sum_path;
	argv[k] = NULL;
	if (slurm_sbatch(argv, &s.summary_job, &err) < 0) {
		/* The array runs; its summary can be made by hand. */
		say_err(&err);
		warning("job array %s was submitted without its summary job: run 'kenshu fleet summary %s' after it",
			s.array_job, c->dir);
	}
	if (fleet_submission_write(c, &s, &err) < 0) {
		say_err(&err);
		goto out;
	}
	if (!quiet) {
		printf("Submitted:  job array %s: %zu machine%s in %u task%s of at most %u image%s, --mem %lluM and "
		       "%u CPU%s each",
		       s.array_job, nrows, nrows == 1 ? "" : "s", ntasks, ntasks == 1 ? "" : "s", s.images_per_task,
		       s.images_per_task == 1 ? "" : "s", (unsigned long long)s.mem_mib, sa->cpus,
		       sa->cpus == 1 ? "" : "s");
		if (sa->max_parallel)
			printf(", at most %u at a time", sa->max_parallel);
		printf("\n");
		if (s.summary_job)
			printf("Summary:    job %s after it: %s/fleet.html\n", s.summary_job, c->dir);
		printf("Progress:   kenshu fleet status %s\n", c->dir);
	}
	rc = 0;
	goto out;
out_unrecord: {
	/* Nothing runs: no record may claim that something does. */
	char *rec = xasprintf("%s/slurm/submission-%u.json", c->dir, number);
	(void)unlink(rec);
	free(rec);
}
out:
	free(s.array_job);
	free(s.summary_job);
	free(text);
	free(task_path);
	free(sum_path);
	free(self);
	free(dir);
	return rc;
}

/* ---- fleet submit ------------------------------------------------------ */

static const struct opt submit_opts[] = {
	{ "output", 'o', OPT_REQUIRED, "CAMPAIGN_DIR", NULL,
	  "the campaign directory, on a file system every node sees (NFS or a cluster file system)" },
	SLURM_OPTS,
	FLEET_COMMON_OPTS,
	{ "quiet", 'q', 0, NULL, NULL, "nothing on stdout" },
	{ 0 },
};
static const char *const submit_operands[] = { "MANIFEST", NULL };

const struct cmd_usage fleet_submit_usage = {
	.flags = CMD_OPTS_ANYWHERE,
	.opts = submit_opts,
	.operands = submit_operands,
	.about = "Checks every row of the fleet manifest MANIFEST, makes the campaign directory and submits the "
		 "campaign to Slurm as one job array (sbatch --array), each task scanning --images-per-task "
		 "images, and a summary job that runs after it (--dependency=afterany) and writes fleet.json "
		 "and fleet.html.",
	.exit_status = "Exit status: 0 submitted, 2 a bad manifest (nothing is submitted) or Slurm refused, 64 usage.",
};

struct submit_args {
	struct fleet_common f;
	struct slurm_args s;
};

static void submit_opt(void *ctx, int id, const char *val)
{
	struct submit_args *a = ctx;

	if (!slurm_opt(&a->s, id, val))
		fleet_common_opt(&a->f, id, val);
}

int cmd_fleet_submit(int argc, char **argv)
{
	struct submit_args a = { .f = FLEET_COMMON_INIT, .s = { .images_per_task = 4, .cpus = 2 } };
	struct fleet_campaign c;
	struct fleet_manifest m = { 0 };
	char *text;
	size_t len, *rows;
	int rc;

	parse_options(&fleet_submit_usage, argc, argv, submit_opt, &a);
	if (fleet_prepare(&a.f, FLEET_SLURM, a.s.cpus, &c, &m, &text, &len) < 0) {
		fleet_manifest_release(&m);
		fleet_common_release(&a.f);
		return EXIT_ERROR;
	}
	free(text);
	fleet_manifest_release(&m);
	rows = xcalloc(c.nrows, sizeof(*rows));
	for (size_t i = 0; i < c.nrows; i++)
		rows[i] = i;
	rc = submit_rows(&c, &a.s, rows, c.nrows, 1, a.f.quiet);
	free(rows);
	fleet_campaign_release(&c);
	fleet_common_release(&a.f);
	return rc < 0 ? EXIT_ERROR : 0;
}

/* ---- fleet resubmit ---------------------------------------------------- */

static const struct opt resubmit_opts[] = {
	SLURM_OPTS,
	{ "jobs", 'j', 0, "N", NULL, "a local campaign: images scanned at a time (default 2)" },
	{ "quiet", 'q', 0, NULL, NULL, "nothing on stdout" },
	{ 0 },
};
static const char *const resubmit_operands[] = { "CAMPAIGN_DIR", NULL };

const struct cmd_usage fleet_resubmit_usage = {
	.flags = CMD_OPTS_ANYWHERE,
	.opts = resubmit_opts,
	.operands = resubmit_operands,
	.about = "Sends exactly the machines of a campaign that were not audited (their scan could not complete, "
		 "or its task was cancelled, killed or lost) again: to Slurm as a new job array for a Slurm "
		 "campaign, to local workers for one made by fleet run. Refused while any of them is still queued "
		 "or running.",
	.exit_status = "Exit status: 0 resubmitted (or nothing to do; a local campaign: its exit status as fleet "
		       "run's), 2 the campaign cannot be read, a machine is still running, or Slurm refused, 64 usage.",
};

struct resubmit_args {
	const char *dir;
	struct slurm_args s;
	unsigned jobs;
	bool quiet;
};

static void resubmit_opt(void *ctx, int id, const char *val)
{
	struct resubmit_args *a = ctx;

	if (slurm_opt(&a->s, id, val))
		return;
	if (id == 'j')
		a->jobs = fleet_parse_count("-j", val, 1, 64);
	else if (id == 'q')
		a->quiet = true;
	else if (id == OPT_OPERAND && !a->dir)
		a->dir = val;
	else if (id == OPT_OPERAND)
		usage_error("one CAMPAIGN_DIR, not also '%s'", val);
	else
		BUG("fleet resubmit: option id %d has no case", id);
}

int cmd_fleet_resubmit(int argc, char **argv)
{
	struct resubmit_args a = { .jobs = 2 };
	struct fleet_campaign c;
	struct fleet_status *st;
	struct fleet_submission *subs = NULL;
	struct ks_err err;
	size_t n = 0, nbusy = 0, nsub = 0, *rows;
	int rc = EXIT_ERROR;

	parse_options(&fleet_resubmit_usage, argc, argv, resubmit_opt, &a);
	if (!a.dir)
		usage_error("no CAMPAIGN_DIR given");
	cleanup_install_signal_handlers(say_signal);
	if (fleet_campaign_open(a.dir, &c, &err) < 0)
		return say_err(&err), EXIT_ERROR;
	if (fleet_status_read(&c, &st, &err) < 0 ||
	    (c.mode == FLEET_SLURM && fleet_submissions_read(&c, &subs, &nsub, &err) < 0)) {
		fleet_campaign_release(&c);
		return say_err(&err), EXIT_ERROR;
	}
	rows = xcalloc(c.nrows, sizeof(*rows));
	for (size_t i = 0; i < c.nrows; i++) {
		if (st[i].state == FLEET_RUNNING || (st[i].state == FLEET_PENDING && st[i].slurm_job))
			nbusy++;
		else if (st[i].state != FLEET_DONE)
			rows[n++] = i;
	}
	if (nbusy) {
		error("'%s': %zu machine%s still queued or running: wait for %s, or cancel %s with scancel", a.dir, nbusy,
		      nbusy == 1 ? " is" : "s are", nbusy == 1 ? "it" : "them", nbusy == 1 ? "it" : "them");
		goto out;
	}
	if (!n) {
		if (!a.quiet)
			printf("Nothing to resubmit: every machine of %s was audited\n", a.dir);
		rc = 0;
		goto out;
	}
	/* Their earlier end goes: status then shows them pending, not failed. */
	for (size_t i = 0; i < n; i++)
		if (fleet_result_clear(&c, rows[i], &err) < 0) {
			say_err(&err);
			goto out;
		}
	if (!a.quiet) {
		printf("Resubmitting %zu machine%s:", n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++)
			printf(" %s", c.rows[rows[i]].asset);
		printf("\n");
	}
	if (c.mode == FLEET_LOCAL) {
		fleet_run_local(&c, rows, n, a.jobs, a.quiet);
		rc = fleet_write_summary(&c, NULL, a.quiet) < 0 ? EXIT_ERROR : fleet_exit_code(&c);
		goto out;
	}
	/* Options not given again are the last submission's. */
	const struct fleet_submission none = { .images_per_task = 4, .cpus_per_task = 2 };
	const struct fleet_submission *last = nsub ? &subs[nsub - 1] : &none;
	if (!a.s.partition)
		a.s.partition = last->partition;
	if (!a.s.images_per_task)
		a.s.images_per_task = last->images_per_task;
	if (!a.s.max_parallel)
		a.s.max_parallel = last->max_parallel;
	if (!a.s.cpus)
		a.s.cpus = last->cpus_per_task ? last->cpus_per_task : 2;
	if (!a.s.mem_mib)
		a.s.mem_mib = last->mem_mib;
	rc = submit_rows(&c, &a.s, rows, n, (unsigned)nsub + 1, a.quiet) < 0 ? EXIT_ERROR : 0;
out:
	free(rows);
	for (size_t i = 0; i < nsub; i++)
		fleet_submission_release(&subs[i]);
	free(subs);
	fleet_status_free(st, c.nrows);
	fleet_campaign_release(&c);
	return rc;
}
