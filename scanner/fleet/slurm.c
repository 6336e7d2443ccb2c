/* Slurm's side of a campaign: submissions (one job array each, recorded in
 * the campaign directory), sbatch, and what the controller says of the
 * tasks afterwards. Slurm's tools are run with an argument vector, never
 * through a shell: asset ids and paths are the manifest's, not ours. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include "fleet_internal.h"
#include <kenshu/banned.h>

#define CMD_OUT_MAX ((size_t)16 << 20)   /* bytes of a Slurm tool's output kept */
#define CMD_TIMEOUT_MS 120000            /* a controller that does not answer */
#define SLURM_MAX_JOBS 200000u           /* entries one query may yield */

/* ---- submissions ----------------------------------------------------- */

unsigned fleet_task_count(const struct fleet_submission *s)
{
	unsigned m = s->images_per_task ? s->images_per_task : 1;
	return (unsigned)((s->nrows + m - 1) / m);
}

void fleet_task_rows(const struct fleet_submission *s, unsigned task, size_t *first, size_t *n)
{
	size_t m = s->images_per_task ? s->images_per_task : 1, f = (size_t)task * m;

	*first = f < s->nrows ? f : s->nrows;
	*n = f < s->nrows ? (s->nrows - f < m ? s->nrows - f : m) : 0;
}

int fleet_submission_write(const struct fleet_campaign *c, const struct fleet_submission *s, struct ks_err *err)
{
	json_object *o = json_object_new_object(), *rows = json_object_new_array();
	char *dir = xasprintf("%s/slurm", c->dir), *name = xasprintf("submission-%u.json", s->number), *text;
	int rc;

	json_object_object_add(o, "number", json_object_new_int((int)s->number));
	json_object_object_add(o, "submitted", json_object_new_string(s->submitted));
	json_object_object_add(o, "array_job", s->array_job ? json_object_new_string(s->array_job) : NULL);
	json_object_object_add(o, "summary_job", s->summary_job ? json_object_new_string(s->summary_job) : NULL);
	json_object_object_add(o, "partition", s->partition ? json_object_new_string(s->partition) : NULL);
	json_object_object_add(o, "images_per_task", json_object_new_int((int)s->images_per_task));
	json_object_object_add(o, "max_parallel", json_object_new_int((int)s->max_parallel));
	json_object_object_add(o, "cpus_per_task", json_object_new_int((int)s->cpus_per_task));
	json_object_object_add(o, "mem_mib", json_object_new_int64((int64_t)s->mem_mib));
	for (size_t i = 0; i < s->nrows; i++)
		json_object_array_add(rows, json_object_new_string(c->rows[s->rows[i]].asset));
	json_object_object_add(o, "assets", rows);
	text = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
									   JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = fleet_write_atomic(dir, name, text, strlen(text), err);
	free(text);
	free(name);
	free(dir);
	json_object_put(o);
	return rc;
}

static bool get_uint(json_object *o, const char *key, uint64_t max, uint64_t *out)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	n = json_object_get_int64(v);
	if (errno || n < 0 || (uint64_t)n > max)
		return false;
	*out = (uint64_t)n;
	return true;
}

/* Job ids are digits: they go on sbatch's and scontrol's command lines. */
static bool job_id_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 20)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int by_asset(const void *a, const void *b, void *rows)
{
	const struct fleet_row *r = rows;
	return strcmp(r[*(const size_t *)a].asset, r[*(const size_t *)b].asset);
}

static int submission_read(const struct fleet_campaign *c, unsigned number, struct fleet_submission *s,
			   struct ks_err *err)
{
	char *path = xasprintf("%s/slurm/submission-%u.json", c->dir, number);
	json_object *o = fleet_json_load(path, FLEET_CAMPAIGN_JSON_MAX, err), *arr;
	uint64_t v[5];
	size_t *ix = NULL;
	bool *seen = NULL;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	s->number = number;
	if (!o)
		goto out;
	if (!get_uint(o, "images_per_task", 100000, &v[0]) || !v[0] || !get_uint(o, "max_parallel", 100000, &v[1]) ||
	    !get_uint(o, "cpus_per_task", 256, &v[2]) || !get_uint(o, "mem_mib", (uint64_t)1 << 40, &v[3]) ||
	    !json_object_object_get_ex(o, "assets", &arr) || !json_object_is_type(arr, json_type_array)) {
		ks_fail(err, KS_EINPUT, "'%s': damaged submission record", path);
		goto out;
	}
	s->images_per_task = (unsigned)v[0];
	s->max_parallel = (unsigned)v[1];
	s->cpus_per_task = (unsigned)v[2];
	s->mem_mib = v[3];
	s->submitted = xstrdup_or_null(fleet_json_str(o, "submitted"));
	s->partition = xstrdup_or_null(fleet_json_str(o, "partition"));
	s->array_job = xstrdup_or_null(fleet_json_str(o, "array_job"));
	s->summary_job = xstrdup_or_null(fleet_json_str(o, "summary_job"));
	if ((s->array_job && !job_id_ok(s->array_job)) || (s->summary_job && !job_id_ok(s->summary_job))) {
		ks_fail(err, KS_EINPUT, "'%s': a job id that is not a number", path);
		goto out;
	}
	s->nrows = json_object_array_length(arr);
	if (s->nrows > c->nrows) {
		ks_fail(err, KS_EINPUT, "'%s': more machines than the campaign has", path);
		goto out;
	}
	s->rows = xcalloc(s->nrows ? s->nrows : 1, sizeof(*s->rows));
	/* Looked up in a sorted index: a search of every row per asset is
	 * quadratic, minutes for FLEET_MAX_ROWS. */
	ix = xcalloc(c->nrows ? c->nrows : 1, sizeof(*ix));
	seen = xcalloc(c->nrows ? c->nrows : 1, sizeof(*seen));
	for (size_t k = 0; k < c->nrows; k++)
		ix[k] = k;
	qsort_r(ix, c->nrows, sizeof(*ix), by_asset, (void *)c->rows);
	for (size_t i = 0; i < s->nrows; i++) {
		json_object *a = json_object_array_get_idx(arr, i);
		const char *asset = json_object_is_type(a, json_type_string) ? json_object_get_string(a) : NULL;
		size_t lo = 0, hi = c->nrows;
		while (asset && lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int d = strcmp(c->rows[ix[mid]].asset, asset);
			if (!d) {
				lo = hi = mid;
				break;
			}
			if (d < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!asset || lo >= c->nrows || strcmp(c->rows[ix[lo]].asset, asset) != 0) {
			ks_fail(err, KS_EINPUT, "'%s': machine %zu is not one of the campaign's", path, i + 1);
			goto out;
		}
		/* Twice in one array: two tasks would scan it at once. */
		if (seen[ix[lo]]) {
			ks_fail(err, KS_EINPUT, "'%s': machine '%s' twice", path, asset);
			goto out;
		}
		seen[ix[lo]] = true;
		s->rows[i] = ix[lo];
	}
	rc = 0;
out:
	free(ix);
	free(seen);
	if (rc < 0)
		fleet_submission_release(s);
	json_object_put(o);
	free(path);
	return rc;
}

int fleet_submissions_read(const struct fleet_campaign *c, struct fleet_submission **out, size_t *n,
			   struct ks_err *err)
{
	*out = NULL;
	*n = 0;
	/* Numbered from 1 without gaps: resubmit writes number n + 1. */
	for (unsigned k = 1; k < 100000; k++) {
		char *path = xasprintf("%s/slurm/submission-%u.json", c->dir, k);
		bool there = access(path, F_OK) == 0;
		free(path);
		if (!there)
			break;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		if (submission_read(c, k, &(*out)[*n], err) < 0) {
			for (size_t i = 0; i < *n; i++)
				fleet_submission_release(&(*out)[i]);
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
		(*n)++;
	}
	return 0;
}

void fleet_submission_release(struct fleet_submission *s)
{
	free(s->submitted);
	free(s->array_job);
	free(s->summary_job);
	free(s->partition);
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

int fleet_write_script(const struct fleet_campaign *c, const char *name, const char *text, char **path,
		       struct ks_err *err)
{
	char *dir = xasprintf("%s/slurm", c->dir);
	int rc = fleet_write_atomic(dir, name, text, strlen(text), err);

	free(dir);
	*path = xasprintf("%s/slurm/%s", c->dir, name);
	if (rc == 0 && chmod(*path, 0755) < 0)
		rc = ks_fail(err, KS_EIO, "'%s': cannot make it executable: %s", *path, strerror(errno));
	return rc;
}

/* ---- running Slurm's tools ------------------------------------------ */

struct cmd_out {
	struct strbuf out, err;
	int status;   /* waitpid's */
};

static void drain(int *fd, struct strbuf *sb)
{
	char buf[8192];
	ssize_t r = read(*fd, buf, sizeof(buf));

	if (r > 0) {
		strbuf_add(sb, buf, (size_t)r);   /* capped by the strbuf */
		return;
	}
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*fd);
	*fd = -1;
}

/* Runs argv (argv[0] looked up in PATH) with stdin /dev/null, its stdout
 * and stderr kept. -1 with err only when it could not run at all. */
static int run_cmd(const char *const *argv, struct cmd_out *o, struct ks_err *err)
{
	int po[2], pe[2];
	pid_t pid;
	struct timespec t0, t;

	o->status = -1;
	if (pipe2(po, O_CLOEXEC) < 0)
		return ks_fail(err, KS_EIO, "cannot run %s: pipe: %s", argv[0], strerror(errno));
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return ks_fail(err, KS_EIO, "cannot run %s: pipe: %s", argv[0], strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return ks_fail(err, KS_EIO, "cannot run %s: fork: %s", argv[0], strerror(errno));
	}
	strbuf_init(&o->out, CMD_OUT_MAX);
	strbuf_init(&o->err, CMD_OUT_MAX);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (po[0] >= 0 || pe[0] >= 0) {
		struct pollfd p[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
		clock_gettime(CLOCK_MONOTONIC, &t);
		long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= CMD_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(p, 2, (int)(CMD_TIMEOUT_MS - ms)) < 0 && errno != EINTR)
			break;
		if (po[0] >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			drain(&po[0], &o->out);
		if (pe[0] >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			drain(&pe[0], &o->err);
	}
	if (po[0] >= 0)
		close(po[0]);
	if (pe[0] >= 0)
		close(pe[0]);
	while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(o->status) && WEXITSTATUS(o->status) == 127 && !o->out.len) {
		strbuf_release(&o->out);
		strbuf_release(&o->err);
		return ks_fail(err, KS_ENOTFOUND, "cannot run %s: not found (is Slurm's client installed?)", argv[0]);
	}
	return 0;
}

static void cmd_out_release(struct cmd_out *o)
{
	strbuf_release(&o->out);
	strbuf_release(&o->err);
}

/* The tool's own message as one line: its last non-empty stderr line. */
static const char *last_line(struct strbuf *sb)
{
	char *s = sb->buf ? sb->buf : (char *)"", *end;

	while (sb->len && (s[sb->len - 1] == '\n' || s[sb->len - 1] == ' '))
		s[--sb->len] = '\0';
	end = strrchr(s, '\n');
	return end ? end + 1 : s;
}

int slurm_sbatch(const char *const *argv, char **job_id, struct ks_err *err)
{
	size_t n = 0;
	const char **v;
	struct cmd_out o;
	int rc;
	char *semi;

	*job_id = NULL;
	while (argv[n])
		n++;
	v = xcalloc(n + 3, sizeof(*v));
	v[0] = "sbatch";
	v[1] = "--parsable";
	memcpy(v + 2, argv, n * sizeof(*v));
	rc = run_cmd(v, &o, err);
	free(v);
	if (rc < 0)
		return -1;
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0) {
		ks_fail(err, KS_EIO, "sbatch refused the job: %s", o.err.len ? last_line(&o.err) : "no message");
		cmd_out_release(&o);
		return -1;
	}
	/* --parsable: "JOBID" or "JOBID;CLUSTER". */
	const char *id = o.out.buf ? o.out.buf : "";
	semi = strpbrk(id, ";\n");
	*job_id = semi ? xstrndup(id, (size_t)(semi - id)) : xstrdup(id);
	cmd_out_release(&o);
	if (!job_id_ok(*job_id)) {
		ks_fail(err, KS_EIO, "sbatch printed '%.40s', not a job id", *job_id);
		free(*job_id);
		*job_id = NULL;
		return -1;
	}
	return 0;
}

/* ---- parsing what Slurm says ---------------------------------------- */

static void add_job(struct slurm_job **v, size_t *n, const char *id, const char *state, const char *reason,
		    const char *exit_code)
{
	if (*n >= SLURM_MAX_JOBS)
		return;
	/* Doubling (the array is full whenever *n is a power of two): one
	 * realloc per job copied the whole array each time, minutes for
	 * SLURM_MAX_JOBS under a sanitizer's allocator. */
	if ((*n & (*n - 1)) == 0)
		*v = xrealloc(*v, (*n ? *n * 2 : 1) * sizeof(**v));
	(*v)[*n] = (struct slurm_job){ xstrdup(id), xstrdup(state && *state ? state : "UNKNOWN"),
				       reason && *reason && strcmp(reason, "None") ? xstrdup(reason) : NULL,
				       exit_code && *exit_code ? xstrdup(exit_code) : NULL };
	(*n)++;
}

/* An array's tasks as Slurm abbreviates pending ones: "3", "2-5",
 * "[2-5%2]", "1,4-6". Each task gets its own entry. */
static void add_tasks(struct slurm_job **v, size_t *n, const char *array, const char *tasks, const char *state,
		      const char *reason, const char *exit_code)
{
	char *t = xstrdup(tasks), *save = NULL, *p = t;

	if (*p == '[')
		p++;
	p[strcspn(p, "]%")] = '\0';
	for (char *part = strtok_r(p, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long a, b;
		/* Digits only: strtoul would take "-5" for ULONG_MAX - 4. */
		if (*part < '0' || *part > '9')
			continue;
		errno = 0;
		a = strtoul(part, &end, 10);
		b = a;
		if (errno || end == part)
			continue;
		if (*end == '-') {
			char *e2;
			if (end[1] < '0' || end[1] > '9')
				continue;
			b = strtoul(end + 1, &e2, 10);
			if (errno || e2 == end + 1 || *e2)
				continue;
		} else if (*end) {
			continue;
		}
		if (b < a || b - a > SLURM_MAX_JOBS)
			continue;
		for (unsigned long k = a; k <= b && *n < SLURM_MAX_JOBS; k++) {
			char id[64];
			snprintf(id, sizeof(id), "%s_%lu", array, k);
			add_job(v, n, id, state, reason, exit_code);
		}
	}
	free(t);
}

/* One line of KEY=VALUE fields: the value of key, up to the next blank. */
static char *field(const char *line, size_t len, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i + kl < len; i++) {
		if ((i == 0 || line[i - 1] == ' ') && !memcmp(line + i, key, kl) && line[i + kl] == '=') {
			size_t s = i + kl + 1, e = s;
			while (e < len && line[e] != ' ' && line[e] != '\n')
				e++;
			return xstrndup(line + s, e - s);
		}
	}
	return NULL;
}

int slurm_parse_scontrol(const char *text, size_t len, struct slurm_job **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		char *id = field(line, ll, "JobId"), *aj = field(line, ll, "ArrayJobId"), *at = field(line, ll, "ArrayTaskId");
		char *st = field(line, ll, "JobState"), *re = field(line, ll, "Reason"), *ec = field(line, ll, "ExitCode");

		if (aj && at && job_id_ok(aj))
			add_tasks(out, n, aj, at, st, re, ec);
		else if (id && job_id_ok(id))
			add_job(out, n, id, st, re, ec);
		free(id);
		free(aj);
		free(at);
		free(st);
		free(re);
		free(ec);
		pos += ll + 1;
	}
	return 0;
}

int slurm_parse_sacct(const char *text, size_t len, struct slurm_job **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		/* strsep, not strtok: an empty field must not shift the next
		 * one into its place ("12_3||0:0" has no state, not state 0:0). */
		char *l = xstrndup(line, ll), *rest = l;
		char *id = strsep(&rest, "|"), *st = strsep(&rest, "|"), *ec = strsep(&rest, "|");

		pos += ll + 1;
		/* Steps (12_3.batch) are not tasks; "CANCELLED by 0" is CANCELLED. */
		if (!id || !*id || !st || strchr(id, '.')) {
			free(l);
			continue;
		}
		st[strcspn(st, " ")] = '\0';
		char *us = strchr(id, '_');
		if (us) {
			*us = '\0';
			if (job_id_ok(id))
				add_tasks(out, n, id, us + 1, st, NULL, ec);
		} else if (job_id_ok(id)) {
			add_job(out, n, id, st, NULL, ec);
		}
		free(l);
	}
	return 0;
}

void slurm_jobs_free(struct slurm_job *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].state);
		free(v[i].reason);
		free(v[i].exit_code);
	}
	free(v);
}

int slurm_query(const char *job_id, struct slurm_job **out, size_t *n, struct ks_err *err)
{
	struct cmd_out o;
	const char *sc[] = { "scontrol", "show", "job", "-o", job_id, NULL };
	const char *sa[] = { "sacct", "-n", "-P", "-X", "-j", job_id, "-o", "JobID,State,ExitCode", NULL };

	*out = NULL;
	*n = 0;
	if (!job_id_ok(job_id))
		return ks_fail(err, KS_EUSAGE, "'%s' is not a Slurm job id", job_id);
	if (run_cmd(sc, &o, err) < 0)
		return -1;
	if (WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0) {
		slurm_parse_scontrol(o.out.buf ? o.out.buf : "", o.out.len, out, n);
		cmd_out_release(&o);
		return 0;
	}
	/* The controller forgot the job (MinJobAge): the accounting database
	 * may still know it. */
	bool forgotten = o.err.buf && strstr(o.err.buf, "Invalid job id");
	if (!forgotten) {
		ks_fail(err, KS_EIO, "scontrol show job %s: %s", job_id, o.err.len ? last_line(&o.err) : "failed");
		cmd_out_release(&o);
		return -1;
	}
	cmd_out_release(&o);
	if (run_cmd(sa, &o, NULL) < 0)
		return 0;
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0) {
		cmd_out_release(&o);
		return 0;   /* no accounting: nothing is known, which is an answer */
	}
	slurm_parse_sacct(o.out.buf ? o.out.buf : "", o.out.len, out, n);
	cmd_out_release(&o);
	return 0;
}
