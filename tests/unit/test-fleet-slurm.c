/* Slurm's side of a campaign: what scontrol show job -o and sacct -n -P -X
 * print (shapes copied from a real cluster: one line per job, pending
 * array tasks abbreviated), hostile output (huge ranges, garbage ids, NUL
 * bytes, long lines, a million lines), the tasks of a submission, and
 * submission records written, read back and refused. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/fleet.h>

#define SLURM_MAX_JOBS 200000u   /* slurm.c's */

static char top[] = "/tmp/kenshu-test-fleet-slurm-XXXXXX";
static unsigned serial;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const struct slurm_job *job(const struct slurm_job *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].id, id))
			return &v[i];
	fail_msg("no job %s among %zu", id, n);
	return NULL;
}

static void job_is(const struct slurm_job *v, size_t n, const char *id, const char *state, const char *reason,
		   const char *exit_code)
{
	const struct slurm_job *j = job(v, n, id);

	assert_string_equal(j->state, state);
	if (reason)
		assert_string_equal(j->reason, reason);
	else
		assert_null(j->reason);
	if (exit_code)
		assert_string_equal(j->exit_code, exit_code);
	else
		assert_null(j->exit_code);
}

/* The text in a buffer of exactly its length: no NUL after it to lean on. */
static int parse_exact(int (*parse)(const char *, size_t, struct slurm_job **, size_t *), const char *text,
		       size_t len, struct slurm_job **v, size_t *n)
{
	char *b = xmalloc(len ? len : 1);
	int rc;

	memcpy(b, text, len);
	rc = parse(b, len, v, n);
	free(b);
	return rc;
}

#define TAIL " UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=1 Nice=0 Account=(null) QOS=(null)"
#define MORE " Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0"
#define END " RunTime=00:00:01 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-12-08T01:00:00 Partition=debug"

static void scontrol_shapes(void **state)
{
	const char *text =
		"JobId=3 ArrayJobId=1 ArrayTaskId=0 ArrayTaskThrottle=2 JobName=job.sh" TAIL
		" JobState=COMPLETED Reason=None" MORE " ExitCode=0:0" END "\n"
		"JobId=4 ArrayJobId=1 ArrayTaskId=1 ArrayTaskThrottle=2 JobName=job.sh" TAIL
		" JobState=RUNNING Reason=None" MORE " ExitCode=0:0" END "\n"
		"JobId=1 ArrayJobId=1 ArrayTaskId=2-3%2 ArrayTaskThrottle=2 JobName=job.sh" TAIL
		" JobState=PENDING Reason=JobArrayTaskLimit" MORE " ExitCode=0:0" END "\n"
		"JobId=6 ArrayJobId=5 ArrayTaskId=[4-7] JobName=job.sh" TAIL " JobState=PENDING Reason=Priority" MORE
		" ExitCode=0:0" END "\n"
		"JobId=10 ArrayJobId=10 ArrayTaskId=1,4-6 JobName=job.sh" TAIL " JobState=PENDING Reason=Resources" END
		"\n"
		"JobId=8 ArrayJobId=1 ArrayTaskId=9 JobName=job.sh" TAIL " JobState=OUT_OF_MEMORY Reason=OutOfMemory"
		" ExitCode=0:125" END "\n"
		"JobId=9 JobName=summary.sh" TAIL " JobState=PENDING Reason=Dependency" MORE " ExitCode=0:0" END "\n"
		"JobId=2 ArrayJobId=1 ArrayTaskId=8 JobName=job.sh" TAIL " JobState=CANCELLED Reason=None"
		" ExitCode=0:15" END; /* no final newline */
	struct slurm_job *v;
	size_t n;

	assert_int_equal(parse_exact(slurm_parse_scontrol, text, strlen(text), &v, &n), 0);
	assert_int_equal(n, 15);
	job_is(v, n, "1_0", "COMPLETED", NULL, "0:0");
	job_is(v, n, "1_1", "RUNNING", NULL, "0:0");
	job_is(v, n, "1_2", "PENDING", "JobArrayTaskLimit", "0:0");
	job_is(v, n, "1_3", "PENDING", "JobArrayTaskLimit", "0:0");
	for (const char *const *id = (const char *const[]){ "5_4", "5_5", "5_6", "5_7", NULL }; *id; id++)
		job_is(v, n, *id, "PENDING", "Priority", "0:0");
	for (const char *const *id = (const char *const[]){ "10_1", "10_4", "10_5", "10_6", NULL }; *id; id++)
		job_is(v, n, *id, "PENDING", "Resources", NULL);
	job_is(v, n, "1_9", "OUT_OF_MEMORY", "OutOfMemory", "0:125");
	job_is(v, n, "9", "PENDING", "Dependency", "0:0");
	job_is(v, n, "1_8", "CANCELLED", NULL, "0:15");
	slurm_jobs_free(v, n);
}

static void sacct_shapes(void **state)
{
	const char *text = "12_3|COMPLETED|0:0\n"
			   "12_3.batch|COMPLETED|0:0\n"
			   "12_3.extern|COMPLETED|0:0\n"
			   "12_[4-7]|PENDING|0:0\n"
			   "12_8|CANCELLED by 0|0:15\n"
			   "12_9|OUT_OF_MEMORY|0:125\n"
			   "12_10||1:0\n"
			   "13|FAILED|1:0\n"
			   "\n"
			   "|RUNNING|0:0\n"
			   "12_11|TIMEOUT"; /* no exit code, no newline */
	struct slurm_job *v;
	size_t n;

	assert_int_equal(parse_exact(slurm_parse_sacct, text, strlen(text), &v, &n), 0);
	assert_int_equal(n, 10);
	job_is(v, n, "12_3", "COMPLETED", NULL, "0:0");
	for (const char *const *id = (const char *const[]){ "12_4", "12_5", "12_6", "12_7", NULL }; *id; id++)
		job_is(v, n, *id, "PENDING", NULL, "0:0");
	job_is(v, n, "12_8", "CANCELLED", NULL, "0:15");
	job_is(v, n, "12_9", "OUT_OF_MEMORY", NULL, "0:125");
	job_is(v, n, "12_10", "UNKNOWN", NULL, "1:0");
	job_is(v, n, "13", "FAILED", NULL, "1:0");
	job_is(v, n, "12_11", "TIMEOUT", NULL, NULL);
	slurm_jobs_free(v, n);
}

static size_t count(int (*parse)(const char *, size_t, struct slurm_job **, size_t *), const char *text)
{
	struct slurm_job *v;
	size_t n;

	assert_int_equal(parse_exact(parse, text, strlen(text), &v, &n), 0);
	for (size_t i = 0; i < n; i++) {
		/* Every id is one a command line may carry: digits, one '_'. */
		const char *p = v[i].id;
		assert_true(*p >= '0' && *p <= '9');
		assert_true(strspn(p, "0123456789_") == strlen(p));
		assert_non_null(v[i].state);
	}
	slurm_jobs_free(v, n);
	return n;
}

static void hostile(void **state)
{
	struct slurm_job *v;
	size_t n;

	assert_int_equal(slurm_parse_scontrol("", 0, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(slurm_parse_sacct("", 0, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(count(slurm_parse_scontrol, "\n\n\n"), 0);
	assert_int_equal(count(slurm_parse_sacct, "\n|\n||\n|||\n"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId="), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=5"), 1);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=7 JobState="), 1);
	/* Huge, reversed, signed, overflowing, malformed ranges. */
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=0-4294967295 JobState=PENDING"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=0-18446744073709551615"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=99999999999999999999999"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=5-3"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=-5"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=+5"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=3--5"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=3-"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=3x"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=[]"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=[[1]"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=1,,2,"), 2);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1 ArrayJobId=1 ArrayTaskId=%5"), 0);
	assert_int_equal(count(slurm_parse_sacct, "12_-3|RUNNING|0:0\n12_[0-4294967295]|PENDING|0:0\n12_|X|0:0"), 0);
	/* Ids that are not numbers never become jobs. */
	assert_int_equal(count(slurm_parse_scontrol, "JobId=1;rm ArrayJobId=x ArrayTaskId=1"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=-1 JobState=RUNNING"), 0);
	assert_int_equal(count(slurm_parse_scontrol, "JobId=123456789012345678901 JobState=RUNNING"), 0);
	assert_int_equal(count(slurm_parse_sacct, "1;rm|RUNNING|0:0\n../1|RUNNING|0:0\n1 2|RUNNING|0:0"), 0);
	/* A key inside another's name is not that key. */
	assert_int_equal(count(slurm_parse_scontrol, "XJobId=5 ArrayJobIdX=6"), 0);

	/* NUL bytes: the length bounds the parse, not the terminator. */
	const char nul[] = "JobId=5\0 JobState=RUNNING\nJobId=6 JobState=FAILED\0\nJobId=7";
	assert_int_equal(parse_exact(slurm_parse_scontrol, nul, sizeof(nul) - 1, &v, &n), 0);
	assert_int_equal(n, 3);
	job_is(v, n, "6", "FAILED", NULL, NULL);
	slurm_jobs_free(v, n);
	assert_int_equal(parse_exact(slurm_parse_scontrol, nul, 26, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, "5");
	slurm_jobs_free(v, n);
	const char snul[] = "12_3|RUN\0NING|0:0\n12_4|\0|\0\n\0\n13|FAILED|1:0";
	assert_int_equal(parse_exact(slurm_parse_sacct, snul, sizeof(snul) - 1, &v, &n), 0);
	assert_int_equal(n, 3);
	job_is(v, n, "13", "FAILED", NULL, "1:0");
	slurm_jobs_free(v, n);
}

static void large(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct slurm_job *v;
	size_t n;
	double t0;

	/* A line of 4 MiB before the fields. */
	for (int i = 0; i < 4096; i++)
		for (int k = 0; k < 1024; k++)
			strbuf_add(&sb, "x", 1);
	strbuf_addf(&sb, " JobId=5 JobState=RUNNING Reason=None ExitCode=0:0\nJobId=6 JobState=PENDING");
	t0 = now();
	assert_int_equal(parse_exact(slurm_parse_scontrol, sb.buf, sb.len, &v, &n), 0);
	assert_true(now() - t0 < 5);
	assert_int_equal(n, 2);
	job_is(v, n, "5", "RUNNING", NULL, "0:0");
	slurm_jobs_free(v, n);
	strbuf_release(&sb);

	/* A million lines: bounded by SLURM_MAX_JOBS, in seconds. */
	strbuf_init(&sb, SIZE_MAX);
	for (unsigned i = 0; i < 1000000; i++)
		strbuf_addf(&sb, "JobId=%u ArrayJobId=77 ArrayTaskId=%u JobState=COMPLETED ExitCode=0:0\n", i + 100, i);
	t0 = now();
	assert_int_equal(parse_exact(slurm_parse_scontrol, sb.buf, sb.len, &v, &n), 0);
	assert_true(now() - t0 < 10);
	assert_int_equal(n, SLURM_MAX_JOBS);
	assert_string_equal(v[n - 1].id, "77_199999");
	slurm_jobs_free(v, n);
	strbuf_release(&sb);

	strbuf_init(&sb, SIZE_MAX);
	for (unsigned i = 0; i < 1000000; i++)
		strbuf_addf(&sb, "77_%u|COMPLETED|0:0\n77_%u.batch|COMPLETED|0:0\n", i, i);
	t0 = now();
	assert_int_equal(parse_exact(slurm_parse_sacct, sb.buf, sb.len, &v, &n), 0);
	assert_true(now() - t0 < 10);
	assert_int_equal(n, SLURM_MAX_JOBS);
	slurm_jobs_free(v, n);
	strbuf_release(&sb);

	/* One range the size of the cap, then more: the cap holds. */
	const char *big = "JobId=1 ArrayJobId=1 ArrayTaskId=0-199999,200000-399999 JobState=PENDING";
	t0 = now();
	assert_int_equal(count(slurm_parse_scontrol, big), SLURM_MAX_JOBS);
	assert_true(now() - t0 < 10);
}

static void task_rows(void **state)
{
	size_t rows[5] = { 0, 1, 2, 3, 4 }, first, n;
	struct fleet_submission s = { .rows = rows, .nrows = 5, .images_per_task = 1 };

	assert_int_equal(fleet_task_count(&s), 5);
	fleet_task_rows(&s, 4, &first, &n);
	assert_int_equal(first, 4);
	assert_int_equal(n, 1);
	fleet_task_rows(&s, 5, &first, &n);
	assert_int_equal(n, 0);
	s.images_per_task = 2;   /* the last task partial */
	assert_int_equal(fleet_task_count(&s), 3);
	fleet_task_rows(&s, 1, &first, &n);
	assert_int_equal(first, 2);
	assert_int_equal(n, 2);
	fleet_task_rows(&s, 2, &first, &n);
	assert_int_equal(first, 4);
	assert_int_equal(n, 1);
	fleet_task_rows(&s, 3, &first, &n);
	assert_int_equal(n, 0);
	fleet_task_rows(&s, UINT_MAX, &first, &n);
	assert_int_equal(n, 0);
	assert_true(first <= 5);
	s.images_per_task = 10;   /* more per task than there are */
	assert_int_equal(fleet_task_count(&s), 1);
	fleet_task_rows(&s, 0, &first, &n);
	assert_int_equal(first, 0);
	assert_int_equal(n, 5);
	fleet_task_rows(&s, 1, &first, &n);
	assert_int_equal(n, 0);
	s.images_per_task = 5;   /* exactly one task */
	assert_int_equal(fleet_task_count(&s), 1);
	s.images_per_task = UINT_MAX;
	assert_int_equal(fleet_task_count(&s), 1);
	fleet_task_rows(&s, UINT_MAX, &first, &n);
	assert_int_equal(n, 0);
	s.images_per_task = 0;   /* read as 1 */
	assert_int_equal(fleet_task_count(&s), 5);
	s.nrows = 0;
	assert_int_equal(fleet_task_count(&s), 0);
	fleet_task_rows(&s, 0, &first, &n);
	assert_int_equal(n, 0);
}

/* ---- submissions ------------------------------------------------------ */

static void campaign(struct fleet_campaign *c, size_t nrows)
{
	struct ks_err err;

	memset(c, 0, sizeof(*c));
	c->dir = xasprintf("%s/c%u", top, ++serial);
	c->mode = FLEET_SLURM;
	c->created = xstrdup("2026-12-08T01:02:03Z");
	c->manifest_name = xstrdup("m.csv");
	memset(c->manifest_sha256, 'b', SHA256_HEX_LEN);
	c->database = xstrdup("/db");
	c->profile = xstrdup("default");
	c->threads = 1;
	c->nrows = nrows;
	c->rows = xcalloc(nrows, sizeof(*c->rows));
	for (size_t i = 0; i < nrows; i++)
		c->rows[i] = (struct fleet_row){ (unsigned)i + 2, xasprintf("M%06zu", i), xstrdup("i.img"),
						 xstrdup("/i.img"), NULL, NULL, { 0 } };
	if (fleet_campaign_create(c, "", 0, &err) < 0)
		fail_msg("%s", err.msg);
}

static void submissions_round_trip(void **state)
{
	struct fleet_campaign c;
	struct fleet_submission *out;
	size_t n, r1[] = { 0, 2 }, r2[] = { 1 };
	struct ks_err err;
	struct fleet_submission s1 = { 1, (char *)"2026-12-08T01:00:00Z", (char *)"12", (char *)"13", (char *)"debug",
				       2, 4, 2, 8192, r1, 2 };
	struct fleet_submission s2 = { 2, (char *)"2026-12-08T02:00:00Z", NULL, NULL, NULL, 1, 0, 1, 0, r2, 1 };

	campaign(&c, 3);
	assert_int_equal(fleet_submissions_read(&c, &out, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(fleet_submission_write(&c, &s1, &err), 0);
	assert_int_equal(fleet_submission_write(&c, &s2, &err), 0);
	/* Numbered without gaps: a 4 after a missing 3 is not read. */
	struct fleet_submission s4 = s1;
	s4.number = 4;
	assert_int_equal(fleet_submission_write(&c, &s4, &err), 0);
	assert_int_equal(fleet_submissions_read(&c, &out, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].number, 1);
	assert_string_equal(out[0].submitted, s1.submitted);
	assert_string_equal(out[0].array_job, "12");
	assert_string_equal(out[0].summary_job, "13");
	assert_string_equal(out[0].partition, "debug");
	assert_int_equal(out[0].images_per_task, 2);
	assert_int_equal(out[0].max_parallel, 4);
	assert_int_equal(out[0].cpus_per_task, 2);
	assert_int_equal(out[0].mem_mib, 8192);
	assert_int_equal(out[0].nrows, 2);
	assert_int_equal(out[0].rows[0], 0);
	assert_int_equal(out[0].rows[1], 2);
	assert_int_equal(out[1].number, 2);
	assert_null(out[1].array_job);
	assert_null(out[1].summary_job);
	assert_null(out[1].partition);
	assert_int_equal(out[1].nrows, 1);
	assert_int_equal(out[1].rows[0], 1);
	for (size_t i = 0; i < n; i++)
		fleet_submission_release(&out[i]);
	free(out);

	char *path;
	assert_int_equal(fleet_write_script(&c, "job.sh", "#!/bin/sh\nexit 0\n", &path, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode) && (st.st_mode & 0111));
	free(path);
	fleet_campaign_release(&c);
}

static void submission_refused(const struct fleet_campaign *c, const char *text, const char *want)
{
	char *path = xasprintf("%s/slurm/submission-1.json", c->dir);
	struct fleet_submission *out = NULL;
	size_t n = 9;
	struct ks_err err;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	memset(&err, 0, sizeof(err));
	if (fleet_submissions_read(c, &out, &n, &err) != -1)
		fail_msg("accepted: %s", text);
	if (!strstr(err.msg, path) || !strstr(err.msg, want) || strchr(err.msg, '\n'))
		fail_msg("want '%s' naming %s, got: %s", want, path, err.msg);
	assert_null(out);
	assert_int_equal(n, 0);
	free(path);
}

#define SUB(ipt, aj, assets)                                                                                     \
	"{\"number\": 1, \"submitted\": \"x\", \"array_job\": " aj ", \"summary_job\": null, \"images_per_task\": " \
	ipt ", \"max_parallel\": 0, \"cpus_per_task\": 1, \"mem_mib\": 100, \"assets\": " assets "}"

static void hostile_submissions(void **state)
{
	struct fleet_campaign c;
	struct fleet_submission *out;
	size_t n;
	struct ks_err err;
	char *path;

	campaign(&c, 3);
	path = xasprintf("%s/slurm/submission-1.json", c.dir);
	FILE *f = fopen(path, "w");
	fputs(SUB("1", "\"12\"", "[\"M000002\", \"M000000\"]"), f);
	fclose(f);
	assert_int_equal(fleet_submissions_read(&c, &out, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].rows[0], 2);
	assert_int_equal(out[0].rows[1], 0);
	fleet_submission_release(&out[0]);
	free(out);

	submission_refused(&c, SUB("1", "\"1;rm\"", "[]"), "a job id that is not a number");
	submission_refused(&c, SUB("1", "\"-1\"", "[]"), "a job id that is not a number");
	submission_refused(&c, SUB("1", "\"\"", "[]"), "a job id that is not a number");
	submission_refused(&c, SUB("1", "\"123456789012345678901\"", "[]"), "a job id that is not a number");
	submission_refused(&c, SUB("1", "\"12\"", "[\"NOPE\"]"), "machine 1 is not one of the campaign's");
	submission_refused(&c, SUB("1", "\"12\"", "[\"M000000\", \"m000001\"]"), "machine 2 is not one of the campaign's");
	submission_refused(&c, SUB("1", "\"12\"", "[\"M000000\", 5]"), "machine 2 is not one of the campaign's");
	submission_refused(&c, SUB("1", "\"12\"", "[\"M000001\", \"M000001\"]"), "machine 'M000001' twice");
	submission_refused(&c, SUB("1", "\"12\"", "[\"M000000\", \"M000001\", \"M000002\", \"M000000\"]"),
			   "more machines than the campaign has");
	submission_refused(&c, SUB("0", "\"12\"", "[]"), "damaged submission record");
	submission_refused(&c, SUB("-1", "\"12\"", "[]"), "damaged submission record");
	submission_refused(&c, SUB("1.5", "\"12\"", "[]"), "damaged submission record");
	submission_refused(&c, SUB("100001", "\"12\"", "[]"), "damaged submission record");
	submission_refused(&c, SUB("1", "\"12\"", "{}"), "damaged submission record");
	submission_refused(&c, "{\"images_per_task\": 1}", "damaged submission record");
	submission_refused(&c, "[]", "not a JSON object");
	submission_refused(&c, "", "not valid JSON");
	/* A FIFO is refused at once. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(20);
	assert_int_equal(fleet_submissions_read(&c, &out, &n, &err), -1);
	alarm(0);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(unlink(path), 0);
	free(path);
	fleet_campaign_release(&c);
}

/* Every machine of the largest campaign in one submission: read back in
 * well under a second per ten thousand, not by searching every row. */
static void large_submission(void **state)
{
	struct fleet_campaign c;
	struct fleet_submission *out, s = { 1, (char *)"x", (char *)"5", NULL, NULL, 3, 0, 1, 100, NULL, 0 };
	size_t n;
	struct ks_err err;
	double t0;

	campaign(&c, FLEET_MAX_ROWS);
	s.rows = xcalloc(FLEET_MAX_ROWS, sizeof(*s.rows));
	s.nrows = FLEET_MAX_ROWS;
	for (size_t i = 0; i < FLEET_MAX_ROWS; i++)
		s.rows[i] = FLEET_MAX_ROWS - 1 - i;
	assert_int_equal(fleet_submission_write(&c, &s, &err), 0);
	t0 = now();
	assert_int_equal(fleet_submissions_read(&c, &out, &n, &err), 0);
	assert_true(now() - t0 < 10);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].nrows, FLEET_MAX_ROWS);
	assert_memory_equal(out[0].rows, s.rows, FLEET_MAX_ROWS * sizeof(*s.rows));
	assert_int_equal(fleet_task_count(&out[0]), (FLEET_MAX_ROWS + 2) / 3);
	fleet_submission_release(&out[0]);
	free(out);
	free(s.rows);
	fleet_campaign_release(&c);
}

static int setup(void **state)
{
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	return nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scontrol_shapes),
		cmocka_unit_test(sacct_shapes),
		cmocka_unit_test(hostile),
		cmocka_unit_test(large),
		cmocka_unit_test(task_rows),
		cmocka_unit_test(submissions_round_trip),
		cmocka_unit_test(hostile_submissions),
		cmocka_unit_test(large_submission),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
