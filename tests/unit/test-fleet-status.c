/* Where each machine of a campaign stands. Local: results, claims of live
 * and dead processes on this host and of other hosts. Slurm: fake
 * scontrol and sacct (shell scripts first in PATH printing canned output)
 * give each task's state, and the reasons follow from it: running,
 * never scanned, did not finish, over its memory limit (the task log's
 * slurmstepd line), forgotten by Slurm, Slurm unreachable. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/fleet.h>

static char top[] = "/tmp/kenshu-test-fleet-status-XXXXXX";
static char *bin, *old_path;
static unsigned serial;
static char host[HOST_NAME_MAX + 1];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) < 0, 0);
	assert_int_equal(fclose(f), 0);
}

static void campaign(struct fleet_campaign *c, enum fleet_mode mode, size_t nrows)
{
	struct ks_err err;

	memset(c, 0, sizeof(*c));
	c->dir = xasprintf("%s/c%u", top, ++serial);
	c->mode = mode;
	c->created = xstrdup("2026-12-08T01:02:03Z");
	c->manifest_name = xstrdup("m.csv");
	memset(c->manifest_sha256, 'c', SHA256_HEX_LEN);
	c->database = xstrdup("/db");
	c->profile = xstrdup("default");
	c->threads = 1;
	c->nrows = nrows;
	c->rows = xcalloc(nrows, sizeof(*c->rows));
	for (size_t i = 0; i < nrows; i++)
		c->rows[i] = (struct fleet_row){ (unsigned)i + 2, xasprintf("M%zu", i), xstrdup("i.img"), xstrdup("/i.img"),
						 NULL, NULL, { 0 } };
	if (fleet_campaign_create(c, "", 0, &err) < 0)
		fail_msg("%s", err.msg);
}

static void claim(const struct fleet_campaign *c, size_t row, const char *h, long pid, const char *job)
{
	struct fleet_worker w = { (char *)h, pid, (char *)job, job ? 1 : 0 };
	struct ks_err err;

	if (fleet_claim_write(c, row, &w, &err) < 0)
		fail_msg("%s", err.msg);
}

static void result(const struct fleet_campaign *c, size_t row, int code, const char *verdict, const char *error)
{
	struct fleet_result r = { code, (char *)verdict, (char *)error, NULL, NULL, 1, (char *)"h", 1, NULL, 0, NULL };
	struct ks_err err;

	if (fleet_result_write(c, row, &r, &err) < 0)
		fail_msg("%s", err.msg);
}

static void is(const struct fleet_status *st, enum fleet_state state, const char *verdict, const char *reason)
{
	if (st->state != state || strcmp(st->verdict, verdict) != 0 ||
	    (reason && (!st->reason || !strstr(st->reason, reason))) || (!reason && st->reason))
		fail_msg("want %s %s '%s', got %s %s '%s'", fleet_state_name(state), verdict, reason ? reason : "(none)",
			 fleet_state_name(st->state), st->verdict, st->reason ? st->reason : "(none)");
}

static struct fleet_status *status(const struct fleet_campaign *c)
{
	struct fleet_status *st;
	struct ks_err err;

	alarm(60);
	if (fleet_status_read(c, &st, &err) < 0)
		fail_msg("%s", err.msg);
	alarm(0);
	return st;
}

/* A process whose argv[0] is name (sleep under another name). */
static pid_t spawn_as(const char *name)
{
	pid_t pid = fork();
	char path[64], buf[256];

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sleep", name, "60", (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		if (!strcmp(buf, name))
			return pid;
		usleep(10000);
	}
	fail_msg("%s did not start", name);
	return -1;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void local_campaign(void **state)
{
	struct fleet_campaign c;
	struct fleet_status *st;
	pid_t dead = fork(), kenshu, other;
	char self[4096] = "";

	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	reap(dead);
	kenshu = spawn_as("kenshu");
	other = spawn_as("/srv/kenshu/bin/sleep");
	campaign(&c, FLEET_LOCAL, 10);
	result(&c, 0, 0, "PASS", NULL);
	result(&c, 1, 2, "ERROR", "'i.img': not a disk image");
	claim(&c, 2, host, dead, NULL);
	claim(&c, 3, host, (long)getpid(), NULL);
	claim(&c, 4, host, (long)kenshu, NULL);
	claim(&c, 5, "elsewhere.example", 4242, NULL);
	claim(&c, 6, host, (long)other, NULL);
	/* Truncated to a pid_t this would be 1, which always lives. */
	claim(&c, 7, host, 4294967297L, NULL);
	result(&c, 8, 3, "FAIL", NULL);
	st = status(&c);
	is(&st[0], FLEET_DONE, "PASS", NULL);
	assert_true(st[0].have_result);
	assert_int_equal(st[0].result.exit_code, 0);
	is(&st[1], FLEET_FAILED, "NOT-AUDITED", "could not complete: 'i.img': not a disk image");
	assert_true(st[1].have_result);
	is(&st[2], FLEET_FAILED, "NOT-AUDITED", "the scan did not finish: its process");
	assert_non_null(strstr(st[2].reason, "is gone"));
	/* This test is alive but is not a kenshu: its pid may as well be a
	 * reused one. Whatever directory the test runs from. */
	FILE *f = fopen("/proc/self/cmdline", "r");
	assert_non_null(f);
	assert_true(fread(self, 1, sizeof(self) - 1, f) > 0);
	fclose(f);
	assert_non_null(strstr(self, "test-fleet-status"));
	is(&st[3], FLEET_FAILED, "NOT-AUDITED", "the scan did not finish");
	is(&st[4], FLEET_RUNNING, "NOT-AUDITED", "being scanned (pid");
	is(&st[5], FLEET_RUNNING, "NOT-AUDITED", "being scanned on elsewhere.example (pid 4242)");
	is(&st[6], FLEET_FAILED, "NOT-AUDITED", "the scan did not finish");
	is(&st[7], FLEET_FAILED, "NOT-AUDITED", "the scan did not finish");
	is(&st[8], FLEET_DONE, "FAIL", NULL);
	is(&st[9], FLEET_PENDING, "NOT-AUDITED", "not scanned yet");
	for (size_t i = 0; i < 10; i++)
		assert_null(st[i].slurm_state);
	fleet_status_free(st, c.nrows);
	reap(kenshu);
	reap(other);

	/* Damaged state files are that machine's reason, not an error. */
	char *p = xasprintf("%s/state/M9.claim", c.dir);
	write_file(p, "{\"asset\": ");
	free(p);
	p = xasprintf("%s/state/M2.claim", c.dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	p = xasprintf("%s/state/M0.result", c.dir);
	write_file(p, "{\"asset\": \"M0\", \"exit_code\": 0, \"verdict\": \"GOOD\"}");
	free(p);
	st = status(&c);
	is(&st[0], FLEET_FAILED, "NOT-AUDITED", "the result cannot be read: ");
	is(&st[2], FLEET_FAILED, "NOT-AUDITED", "the claim cannot be read: ");
	assert_non_null(strstr(st[2].reason, "not a regular file"));
	is(&st[9], FLEET_FAILED, "NOT-AUDITED", "the claim cannot be read: ");
	fleet_status_free(st, c.nrows);
	fleet_campaign_release(&c);
	assert_string_equal(fleet_state_name(FLEET_RUNNING), "running");
	assert_string_equal(fleet_state_name((enum fleet_state)9), "unknown");
}

/* ---- Slurm ------------------------------------------------------------ */

/* What the fake tools print next: stdout, stderr and exit code. */
static void fake(const char *tool, const char *out, const char *err, int rc)
{
	char *p = xasprintf("%s/%s.out", bin, tool), *q = xasprintf("%s/%s.err", bin, tool),
	     *r = xasprintf("%s/%s.rc", bin, tool), *n = xasprintf("%d\n", rc);

	write_file(p, out);
	write_file(q, err);
	write_file(r, n);
	free(p);
	free(q);
	free(r);
	free(n);
}

static void make_tool(const char *tool)
{
	char *p = xasprintf("%s/%s", bin, tool);
	char *text = xasprintf("#!/bin/sh\necho \"$*\" >>'%s/%s.args'\n/bin/cat '%s/%s.out'\n/bin/cat '%s/%s.err' >&2\n"
			       "exit $(/bin/cat '%s/%s.rc')\n",
			       bin, tool, bin, tool, bin, tool, bin, tool);
	write_file(p, text);
	assert_int_equal(chmod(p, 0755), 0);
	free(text);
	free(p);
}

#define LINE(id, task, st, reason, ec)                                                                            \
	"JobId=" id " ArrayJobId=50 ArrayTaskId=" task " ArrayTaskThrottle=0 JobName=job.sh UserId=root(0) "       \
	"GroupId=root(0) Priority=1 JobState=" st " Reason=" reason " Dependency=(null) ExitCode=" ec             \
	" RunTime=00:00:01\n"

static void slurm_campaign(void **state)
{
	struct fleet_campaign c;
	struct fleet_status *st;
	struct ks_err err;
	size_t rows[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct fleet_submission s = { 1, (char *)"2026-12-08T01:00:00Z", (char *)"50", (char *)"51", NULL, 1, 0, 1, 30,
				      rows, 8 };
	char *p;
	static const char full[] = LINE("52", "0", "RUNNING", "None", "0:0") LINE("53", "1", "COMPLETED", "None", "0:0")
		LINE("54", "2", "CANCELLED", "None", "0:15") LINE("55", "3", "OUT_OF_MEMORY", "OutOfMemory", "0:125")
			LINE("50", "4-5%2", "PENDING", "JobArrayTaskLimit", "0:0")
				LINE("56", "7", "FAILED", "NonZeroExitCode", "1:0");

	campaign(&c, FLEET_SLURM, 9);
	/* Nothing submitted: no Slurm tool is run at all. */
	fake("scontrol", "", "should not run", 1);
	st = status(&c);
	for (size_t i = 0; i < c.nrows; i++)
		is(&st[i], FLEET_PENDING, "NOT-AUDITED", "not submitted");
	fleet_status_free(st, c.nrows);
	p = xasprintf("%s/scontrol.args", bin);
	assert_int_equal(access(p, F_OK), -1);
	free(p);

	assert_int_equal(fleet_submission_write(&c, &s, &err), 0);
	fake("scontrol", full, "", 0);
	claim(&c, 2, "node1", 77, "50_2");
	p = xasprintf("%s/slurm/task-50_3.log", c.dir);
	write_file(p, "kenshu: scanning M3\n"
		      "slurmstepd: error: StepId=6.batch exceeded memory limit (225026048 > 31457280), being killed\n"
		      "slurmstepd: error: *** JOB 55 ON node1 CANCELLED AT 2026-12-08T01:05:00 ***\n");
	free(p);
	/* A FIFO as a task's log: no hang, no words from it. */
	p = xasprintf("%s/slurm/task-50_7.log", c.dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	result(&c, 8, 0, "PASS", NULL);
	st = status(&c);
	is(&st[0], FLEET_RUNNING, "NOT-AUDITED", "Slurm task 50_0 is RUNNING");
	assert_string_equal(st[0].slurm_job, "50_0");
	assert_string_equal(st[0].slurm_state, "RUNNING");
	is(&st[1], FLEET_FAILED, "NOT-AUDITED", "never scanned: Slurm task 50_1 ended COMPLETED");
	is(&st[2], FLEET_FAILED, "NOT-AUDITED", "the scan did not finish: Slurm task 50_2 ended CANCELLED");
	assert_non_null(strstr(st[2].reason, "0:15"));
	is(&st[3], FLEET_FAILED, "NOT-AUDITED", "exceeded its memory limit (--mem 30M)");
	assert_non_null(strstr(st[3].reason, "225026048 > 31457280"));
	assert_string_equal(st[3].slurm_state, "OUT_OF_MEMORY");
	is(&st[4], FLEET_PENDING, "NOT-AUDITED", "Slurm task 50_4 is PENDING");
	is(&st[5], FLEET_PENDING, "NOT-AUDITED", "Slurm task 50_5 is PENDING");
	is(&st[6], FLEET_FAILED, "NOT-AUDITED", "never scanned, and Slurm no longer knows task 50_6");
	is(&st[7], FLEET_FAILED, "NOT-AUDITED", "never scanned: Slurm task 50_7 ended FAILED (exit:signal 1:0)");
	is(&st[8], FLEET_DONE, "PASS", NULL);   /* a result needs no submission */
	fleet_status_free(st, c.nrows);
	/* One question per submission, with the array's id on the command line. */
	p = xasprintf("%s/scontrol.args", bin);
	FILE *f = fopen(p, "r");
	char line[256];
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "show job -o 50\n");
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(p);
	free(p);

	/* The controller forgot the job and there is no accounting. */
	fake("scontrol", "", "slurm_load_jobs error: Invalid job id specified\n", 1);
	fake("sacct", "", "sacct: error: Problem talking to the database: Connection refused\n", 1);
	st = status(&c);
	is(&st[0], FLEET_FAILED, "NOT-AUDITED", "never scanned, and Slurm no longer knows task 50_0");
	is(&st[2], FLEET_FAILED, "NOT-AUDITED", "the scan did not finish, and Slurm no longer knows task 50_2");
	is(&st[8], FLEET_DONE, "PASS", NULL);
	fleet_status_free(st, c.nrows);

	/* Accounting remembers. */
	fake("sacct", "50_0|COMPLETED|0:0\n50_0.batch|COMPLETED|0:0\n50_2|CANCELLED by 0|0:15\n50_[4-7]|PENDING|0:0\n",
	     "", 0);
	st = status(&c);
	is(&st[0], FLEET_FAILED, "NOT-AUDITED", "never scanned: Slurm task 50_0 ended COMPLETED");
	is(&st[2], FLEET_FAILED, "NOT-AUDITED", "the scan did not finish: Slurm task 50_2 ended CANCELLED");
	is(&st[6], FLEET_PENDING, "NOT-AUDITED", "Slurm task 50_6 is PENDING");
	is(&st[1], FLEET_FAILED, "NOT-AUDITED", "Slurm no longer knows task 50_1");
	fleet_status_free(st, c.nrows);
	p = xasprintf("%s/sacct.args", bin);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "-n -P -X -j 50 -o JobID,State,ExitCode\n");
	fclose(f);
	free(p);

	/* The controller does not answer: a reason, not an error. */
	fake("scontrol", "", "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n", 1);
	st = status(&c);
	is(&st[0], FLEET_PENDING, "NOT-AUDITED",
	   "queued in Slurm task 50_0; Slurm cannot be asked: scontrol show job 50: slurm_load_jobs error: Unable "
	   "to contact slurm controller (connect failure)");
	is(&st[2], FLEET_RUNNING, "NOT-AUDITED", "claimed in Slurm task 50_2; Slurm cannot be asked");
	fleet_status_free(st, c.nrows);

	/* A claim's task id is only used when it is one. */
	fake("scontrol", LINE("52", "0", "RUNNING", "None", "0:0"), "", 0);
	claim(&c, 1, "node1", 77, "../../../etc/x");
	st = status(&c);
	is(&st[1], FLEET_FAILED, "NOT-AUDITED", "the scan did not finish, and Slurm no longer knows task 50_1");
	assert_string_equal(st[1].slurm_job, "50_1");
	fleet_status_free(st, c.nrows);

	/* A submission without its job id (sbatch failed after it was written). */
	struct fleet_submission s2 = s;
	s2.number = 2;
	s2.array_job = s2.summary_job = NULL;
	s2.nrows = 1;
	assert_int_equal(fleet_submission_write(&c, &s2, &err), 0);
	fake("scontrol", full, "", 0);
	st = status(&c);
	is(&st[0], FLEET_PENDING, "NOT-AUDITED", "Slurm cannot be asked: the submission has no job id");
	is(&st[3], FLEET_FAILED, "NOT-AUDITED", "exceeded its memory limit");
	fleet_status_free(st, c.nrows);

	/* Slurm's tools missing altogether. */
	char *bare = xasprintf("%s/empty", top);
	assert_int_equal(mkdir(bare, 0700), 0);
	setenv("PATH", bare, 1);
	st = status(&c);
	is(&st[3], FLEET_PENDING, "NOT-AUDITED", "queued in Slurm task 50_3; Slurm cannot be asked: cannot run scontrol: not found");
	fleet_status_free(st, c.nrows);
	setenv("PATH", bin, 1);
	free(bare);
	fleet_campaign_release(&c);
}

/* Many machines, one array: one pass, not one search per row. */
static void slurm_many(void **state)
{
	struct fleet_campaign c;
	struct fleet_status *st;
	struct ks_err err;
	struct strbuf sb;
	const size_t n = 50000;
	struct fleet_submission s = { 1, (char *)"x", (char *)"60", NULL, NULL, 1, 0, 1, 100, NULL, n };
	struct timespec t0, t1;

	campaign(&c, FLEET_SLURM, n);
	s.rows = xcalloc(n, sizeof(*s.rows));
	for (size_t i = 0; i < n; i++)
		s.rows[i] = i;
	assert_int_equal(fleet_submission_write(&c, &s, &err), 0);
	strbuf_init(&sb, SIZE_MAX);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "JobId=%zu ArrayJobId=60 ArrayTaskId=%zu JobState=RUNNING Reason=None ExitCode=0:0\n",
			    i + 100, n - 1 - i);
	fake("scontrol", sb.buf, "", 0);
	strbuf_release(&sb);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = status(&c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (size_t i = 0; i < n; i += 4999)
		is(&st[i], FLEET_RUNNING, "NOT-AUDITED", "is RUNNING");
	fleet_status_free(st, c.nrows);
	assert_true(t1.tv_sec - t0.tv_sec < 20);
	free(s.rows);
	fleet_campaign_release(&c);
}

static int setup(void **state)
{
	if (!mkdtemp(top) || gethostname(host, sizeof(host) - 1) < 0)
		return -1;
	bin = xasprintf("%s/bin", top);
	if (mkdir(bin, 0700) < 0)
		return -1;
	make_tool("scontrol");
	make_tool("sacct");
	fake("sacct", "", "", 1);
	old_path = xstrdup_or_null(getenv("PATH"));
	setenv("PATH", bin, 1);
	return 0;
}

static int teardown(void **state)
{
	if (old_path)
		setenv("PATH", old_path, 1);
	free(old_path);
	free(bin);
	return nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(local_campaign),
		cmocka_unit_test(slurm_campaign),
		cmocka_unit_test(slurm_many),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
