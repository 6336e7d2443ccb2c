/* Where every machine of a campaign stands, from the campaign directory
 * and, for a Slurm campaign, from what Slurm says of its tasks: the
 * difference between "not yet", "still running" and "will never finish". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include "fleet_internal.h"
#include <kenshu/banned.h>

/* The bytes of a task log read for Slurm's own words on its end. */
#define TASK_LOG_TAIL (64u << 10)

const char *fleet_state_name(enum fleet_state s)
{
	static const char *const names[] = { "pending", "running", "done", "failed" };
	return (unsigned)s < 4 ? names[s] : "unknown";
}

/* What Slurm knows of one submission's array, asked once. */
struct sub_jobs {
	const struct fleet_submission *sub;
	struct slurm_job *jobs;
	size_t n;
	bool asked, answered;
	char *why;   /* why Slurm could not be asked */
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct slurm_job *)a)->id, ((const struct slurm_job *)b)->id);
}

static void ask(struct sub_jobs *sj)
{
	struct ks_err e;

	if (sj->asked)
		return;
	sj->asked = true;
	if (!sj->sub->array_job) {
		sj->why = xstrdup("the submission has no job id");
		return;
	}
	if (slurm_query(sj->sub->array_job, &sj->jobs, &sj->n, &e) < 0) {
		sj->why = xstrdup(e.msg);
		return;
	}
	sj->answered = true;
	/* Sorted for bsearch: a campaign asks once per row. */
	if (sj->n)
		qsort(sj->jobs, sj->n, sizeof(*sj->jobs), by_id);
}

static const struct slurm_job *find_job(const struct sub_jobs *sj, const char *id)
{
	struct slurm_job key = { (char *)id, NULL, NULL, NULL };

	return sj->n ? bsearch(&key, sj->jobs, sj->n, sizeof(*sj->jobs), by_id) : NULL;
}

static bool state_live(const char *st)
{
	static const char *const live[] = { "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED",
					    "RESIZING", "SUSPENDED", "STAGE_OUT", "SIGNALING", NULL };
	for (size_t i = 0; live[i]; i++)
		if (!strcmp(st, live[i]))
			return true;
	return false;
}

/* The last line in which slurmstepd says why it ended the task (memory,
 * time limit, cancellation), from the task's log in the campaign. */
static char *stepd_line(const char *dir, const char *task_id)
{
	char *path = xasprintf("%s/slurm/task-%s.log", dir, task_id);
	/* The log is in the shared directory: a FIFO there must not hang
	 * status, nor a link lead it elsewhere. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	char *best = NULL, line[1024];
	struct stat st;
	FILE *f;
	long size;

	free(path);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > (long)TASK_LOG_TAIL)
		fseek(f, size - (long)TASK_LOG_TAIL, SEEK_SET);
	else
		rewind(f);
	int best_score = 0;
	while (fgets(line, sizeof(line), f)) {
		/* "StepId=9.batch exceeded memory limit (60579840 > 16777216)"
		 * says more than "Exceeded job memory limit", which says more
		 * than the CANCELLED line after both. */
		int score = strstr(line, "exceeded memory limit") ? 3 : strstr(line, "memory") ? 2 : 1;
		if (!strstr(line, "slurmstepd") || score < best_score)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		free(best);
		best = xstrdup(line);
		best_score = score;
	}
	fclose(f);
	if (best) {
		struct strbuf sb;
		strbuf_init(&sb, 400);
		strbuf_add_printable(&sb, best, strlen(best), false);
		free(best);
		best = strbuf_detach(&sb, NULL);
	}
	return best;
}

static char *slurm_end_words(const struct fleet_campaign *c, const struct slurm_job *j, const char *id,
			     const struct fleet_submission *sub)
{
	char *line = stepd_line(c->dir, id), *s;
	bool mem = line && strstr(line, "memory");

	if (mem)
		s = xasprintf("Slurm task %s exceeded its memory limit (--mem %lluM) and was killed: %s", id,
			      (unsigned long long)sub->mem_mib, line);
	else
		s = xasprintf("Slurm task %s ended %s%s%s%s%s%s", id, j->state, j->exit_code ? " (exit:signal " : "",
			      j->exit_code ? j->exit_code : "", j->exit_code ? ")" : "", line ? ": " : "",
			      line ? line : "");
	free(line);
	return s;
}

static bool same_host(const char *host)
{
	char h[HOST_NAME_MAX + 1] = "";

	return gethostname(h, sizeof(h) - 1) == 0 && host && !strcmp(h, host);
}

/* A local claim's process: alive when it exists and is a kenshu, its
 * program's name (argv[0] without its directory) starting "kenshu" — not
 * any program under a directory of that name, which a reused pid may be. */
static bool local_alive(long pid)
{
	char path[64], buf[4096] = "";
	const char *base;
	FILE *f;
	size_t n;

	/* Above INT_MAX the cast would name another process, or a group. */
	if (pid <= 0 || pid > INT_MAX || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (!(f = fopen(path, "r")))
		return access("/proc/self/cmdline", F_OK) != 0;   /* no /proc: believe kill */
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	return !strncmp(base, "kenshu", 6);
}

/* Each row's latest submission (NULL: none) and its task in that array,
 * found in one pass over the submissions rather than one per row. */
struct row_sub {
	struct sub_jobs *sj;
	unsigned task;
};

static struct row_sub *subs_of_rows(const struct fleet_campaign *c, struct sub_jobs *sj, size_t nsub)
{
	struct row_sub *rs = xcalloc(c->nrows ? c->nrows : 1, sizeof(*rs));

	for (size_t k = 0; k < nsub; k++) {
		const struct fleet_submission *s = sj[k].sub;
		for (size_t i = 0; i < s->nrows; i++)
			if (s->rows[i] < c->nrows)
				rs[s->rows[i]] = (struct row_sub){
					&sj[k], (unsigned)(i / (s->images_per_task ? s->images_per_task : 1))
				};
	}
	return rs;
}

static bool task_id_ok(const char *s)
{
	size_t a = strspn(s, "0123456789"), b = s[a] == '_' ? strspn(s + a + 1, "0123456789") : 0;

	return a && a <= 20 && b && b <= 10 && !s[a + 1 + b];
}

static void not_audited(struct fleet_status *st, enum fleet_state state, char *reason)
{
	st->state = state;
	st->verdict = xstrdup("NOT-AUDITED");
	st->reason = reason;
}

static void one_status(const struct fleet_campaign *c, size_t row, const struct row_sub *rs,
		       struct fleet_status *st)
{
	struct ks_err e;
	struct fleet_claim cl;
	unsigned task = rs->task;
	struct sub_jobs *s = c->mode == FLEET_SLURM ? rs->sj : NULL;
	char id[64] = "";
	int rc;

	if (s && s->sub->array_job)
		snprintf(id, sizeof(id), "%s_%u", s->sub->array_job, task);
	rc = fleet_result_read(c, row, &st->result, &e);
	if (rc < 0) {
		not_audited(st, FLEET_FAILED, xasprintf("the result cannot be read: %s", e.msg));
		return;
	}
	if (rc > 0) {
		st->have_result = true;
		st->slurm_job = xstrdup_or_null(st->result.slurm_job);
		if (st->result.exit_code == 2 || !strcmp(st->result.verdict, "ERROR")) {
			not_audited(st, FLEET_FAILED,
				    xasprintf("could not complete: %s", st->result.error ? st->result.error : "no reason given"));
			return;
		}
		st->state = FLEET_DONE;
		st->verdict = xstrdup(st->result.verdict);
		return;
	}
	rc = fleet_claim_read(c, row, &cl, &e);
	if (rc < 0) {
		not_audited(st, FLEET_FAILED, xasprintf("the claim cannot be read: %s", e.msg));
		return;
	}
	/* A claim's task id names a log file: only "ARRAYJOB_TASK" is used. */
	if (rc > 0 && cl.slurm_job && task_id_ok(cl.slurm_job)) {
		st->slurm_job = xstrdup(cl.slurm_job);
		snprintf(id, sizeof(id), "%s", cl.slurm_job);
	}
	if (rc > 0 && !cl.slurm_job) {
		/* A local worker. */
		if (!same_host(cl.host))
			not_audited(st, FLEET_RUNNING, xasprintf("being scanned on %s (pid %ld) since %s", cl.host,
								 cl.pid, cl.started ? cl.started : "?"));
		else if (local_alive(cl.pid))
			not_audited(st, FLEET_RUNNING, xasprintf("being scanned (pid %ld) since %s", cl.pid,
								 cl.started ? cl.started : "?"));
		else
			not_audited(st, FLEET_FAILED,
				    xasprintf("the scan did not finish: its process (pid %ld on %s, started %s) is gone",
					      cl.pid, cl.host, cl.started ? cl.started : "?"));
		fleet_claim_release(&cl);
		return;
	}
	if (!s) {
		fleet_claim_release(&cl);
		not_audited(st, FLEET_PENDING, xstrdup(c->mode == FLEET_SLURM ? "not submitted" : "not scanned yet"));
		return;
	}
	ask(s);
	const struct slurm_job *j = s->answered ? find_job(s, id) : NULL;
	st->slurm_job = st->slurm_job ? st->slurm_job : xstrdup(id);
	if (j)
		st->slurm_state = xstrdup(j->state);
	if (!s->answered)
		not_audited(st, rc > 0 ? FLEET_RUNNING : FLEET_PENDING,
			    xasprintf("%s in Slurm task %s; Slurm cannot be asked: %s",
				      rc > 0 ? "claimed" : "queued", id, s->why));
	else if (j && state_live(j->state))
		not_audited(st, !strcmp(j->state, "PENDING") ? FLEET_PENDING : FLEET_RUNNING,
			    xasprintf("Slurm task %s is %s", id, j->state));
	else if (j) {
		char *words = slurm_end_words(c, j, id, s->sub);
		not_audited(st, FLEET_FAILED,
			    xasprintf("%s: %s", rc > 0 ? "the scan did not finish" : "never scanned", words));
		free(words);
	}
	else
		not_audited(st, FLEET_FAILED,
			    xasprintf("%s, and Slurm no longer knows task %s (no accounting database)",
				      rc > 0 ? "the scan did not finish" : "never scanned", id));
	fleet_claim_release(&cl);
}

int fleet_status_read(const struct fleet_campaign *c, struct fleet_status **out, struct ks_err *err)
{
	struct fleet_submission *subs = NULL;
	struct sub_jobs *sj;
	struct row_sub *rs;
	size_t nsub = 0;

	*out = NULL;
	if (c->mode == FLEET_SLURM && fleet_submissions_read(c, &subs, &nsub, err) < 0)
		return -1;
	sj = xcalloc(nsub ? nsub : 1, sizeof(*sj));
	for (size_t k = 0; k < nsub; k++)
		sj[k].sub = &subs[k];
	rs = subs_of_rows(c, sj, nsub);
	*out = xcalloc(c->nrows, sizeof(**out));
	for (size_t i = 0; i < c->nrows; i++)
		one_status(c, i, &rs[i], &(*out)[i]);
	free(rs);
	for (size_t k = 0; k < nsub; k++) {
		slurm_jobs_free(sj[k].jobs, sj[k].n);
		free(sj[k].why);
		fleet_submission_release(&subs[k]);
	}
	free(sj);
	free(subs);
	return 0;
}

void fleet_status_free(struct fleet_status *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].verdict);
		free(v[i].reason);
		free(v[i].slurm_job);
		free(v[i].slurm_state);
		fleet_result_release(&v[i].result);
	}
	free(v);
}
