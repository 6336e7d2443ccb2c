/* The Defender rules over hand-built reports: defender-exclusion (an
 * exclusion covering an autostart target or an executable, an extension of
 * code; one covering nothing is no finding), defender-disabled-policy (each
 * switch at 1, none at 0), defender-quarantine (a payload our engines do
 * not detect, one not decoded; a detected one is left to malware), their
 * default severities and a profile turning them off or up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/evidence.h>
#include <kenshu/policy.h>
#include <kenshu/profile.h>
#include <kenshu/report.h>
#include <kenshu/windows.h>
#include "policy-test.h"

static char dir[] = "/tmp/kenshu-test-policy-defender-XXXXXX";

static void excl(struct os_defender *d, enum def_kind kind, const char *value, const char *cover, bool autorun)
{
	struct def_exclusion *x;

	d->excl = xrealloc(d->excl, (d->nexcl + 1) * sizeof(*d->excl));
	x = &d->excl[d->nexcl++];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	x->kind_name = kind == DEF_PATH ? "path" : kind == DEF_EXTENSION ? "extension" : "process";
	x->value = xstrdup(value);
	x->source = xstrdup("HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\Paths");
	defender_exclusion_place(x, "/Windows");
	if (cover)
		defender_exclusion_add_cover(x, cover, autorun);
}

static void quar(struct os_defender *d, const char *threat, const char *orig, const char *res, bool decoded)
{
	struct def_quarantined *q;

	d->quar = xrealloc(d->quar, (d->nquar + 1) * sizeof(*d->quar));
	q = &d->quar[d->nquar++];
	memset(q, 0, sizeof(*q));
	q->entry = xstrdup("/ProgramData/Microsoft/Windows Defender/Quarantine/Entries/{E}");
	q->guid = xstrdup("{E}");
	q->threat = xstrdup(threat);
	q->original_path = xstrdup(orig);
	q->type = xstrdup("file");
	q->resource_path = xstrdup(res);
	q->decoded = decoded;
	if (!decoded)
		q->error = xstrdup("its ResourceData file could not be read");
	strcpy(q->time, "2024-01-02T03:04:05Z");
}

#define RES1 "/ProgramData/Microsoft/Windows Defender/Quarantine/ResourceData/AB/AB01"
#define RES2 "/ProgramData/Microsoft/Windows Defender/Quarantine/ResourceData/CD/CD02"

static void fill(struct report *r, bool policy_on)
{
	struct os_info os;
	struct os_defender *d;

	report_init(r);
	strcpy(r->started, "2026-12-08T10:00:00Z");
	r->nvol = 1;
	r->vol = xcalloc(1, sizeof(*r->vol));
	r->vol[0].scanned = true;
	memset(&os, 0, sizeof(os));
	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	os.family = xstrdup("Windows 10");
	report_add_os(r, &os);
	d = &r->evidence[0].defender;
	excl(d, DEF_PATH, "C:\\ProgramData\\Vendor", "autostart: HKLM\\...\\Run [Agent] -> /ProgramData/Vendor/agent.exe",
	     true);
	excl(d, DEF_PATH, "C:\\Data", NULL, false);                    /* covers nothing present */
	excl(d, DEF_EXTENSION, ".ps1", NULL, false);                   /* code: always */
	excl(d, DEF_EXTENSION, ".log", NULL, false);                   /* not code, nothing */
	excl(d, DEF_PROCESS, "tool.exe", "file: /Tools/tool.exe", false);
	d->policy.has_disable_antispyware = true;
	d->policy.disable_antispyware = policy_on;
	d->policy.has_disable_realtime = true;
	d->policy.disable_realtime = policy_on;
	quar(d, "Virus:DOS/EICAR_Test_File", "C:\\Users\\op\\eicar.com", RES1, true);
	quar(d, "HackTool:Win32/Harmless", "C:\\Tools\\harmless.exe", RES2, true);
	quar(d, "Trojan:Win32/Gone", "C:\\gone.exe", RES2, false);
	/* our engine detects the first payload */
	report_add_detection(r, 2, RES1, "quarantine: C:\\Users\\op\\eicar.com", "Eicar-Test-Signature",
			     "0000000000000000000000000000000000000000000000000000000000000000", 68);
	report_finish(r);
}

static void default_rules(void **state)
{
	struct profile *p = load_text_in(dir, "include = default\n");
	struct report r;
	(void)state;

	fill(&r, true);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "defender-exclusion", NULL), 3);
	assert_int_equal(count_findings(&r, "defender-exclusion", "'C:\\ProgramData\\Vendor' (HKLM\\SOFTWARE\\Microsoft\\Windows "
				"Defender\\Exclusions\\Paths) covers 1 item(s), autostart targets among them: autostart: "), 1);
	assert_int_equal(count_findings(&r, "defender-exclusion", "'.ps1'"), 1);
	assert_int_equal(count_findings(&r, "defender-exclusion", "hides every .ps1 file"), 1);
	assert_int_equal(count_findings(&r, "defender-exclusion", "'tool.exe'"), 1);
	assert_int_equal(count_findings(&r, "defender-exclusion", "C:\\Data"), 0);
	assert_int_equal(count_findings(&r, "defender-exclusion", ".log"), 0);
	assert_int_equal(severity_of(&r, "defender-exclusion"), SEV_REVIEW);
	assert_int_equal(count_findings(&r, "defender-disabled-policy", NULL), 2);
	assert_int_equal(count_findings(&r, "defender-disabled-policy", "[DisableAntiSpyware] = 1"), 1);
	assert_int_equal(count_findings(&r, "defender-disabled-policy", "[DisableRealtimeMonitoring] = 1"), 1);
	assert_int_equal(severity_of(&r, "defender-disabled-policy"), SEV_REVIEW);
	/* the detected payload is malware, not defender-quarantine */
	assert_int_equal(count_findings(&r, "malware", "quarantine: C:\\Users\\op\\eicar.com"), 1);
	assert_int_equal(severity_of(&r, "malware"), SEV_FAIL);
	assert_int_equal(count_findings(&r, "defender-quarantine", NULL), 2);
	assert_int_equal(count_findings(&r, "defender-quarantine", "EICAR"), 0);
	assert_int_equal(count_findings(&r, "defender-quarantine", "'C:\\Tools\\harmless.exe' as HackTool:Win32/Harmless on "
				"2024-01-02T03:04:05Z (entry {E}); our engines find nothing in the payload"), 1);
	assert_int_equal(count_findings(&r, "defender-quarantine", "payload not decoded: its ResourceData"), 1);
	assert_int_equal(severity_of(&r, "defender-quarantine"), SEV_REVIEW);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	report_release(&r);

	/* switches at 0 are no finding */
	fill(&r, false);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "defender-disabled-policy", NULL), 0);
	report_release(&r);
	profile_free(p);
}

static void profile_severities(void **state)
{
	struct profile *p = load_text_in(dir, "include = default\n[rules]\ndefender-exclusion = off\n"
				      "defender-quarantine = fail\ndefender-disabled-policy = info\n");
	struct report r;
	(void)state;

	fill(&r, true);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "defender-exclusion", NULL), 0);
	assert_int_equal(severity_of(&r, "defender-quarantine"), SEV_FAIL);
	assert_int_equal(severity_of(&r, "defender-disabled-policy"), SEV_INFO);
	report_release(&r);
	profile_free(p);

	p = load_text_in(dir, "include = strict\n");
	fill(&r, true);
	policy_apply(p, &r);
	assert_int_equal(severity_of(&r, "defender-exclusion"), SEV_REVIEW);
	assert_int_equal(severity_of(&r, "defender-disabled-policy"), SEV_REVIEW);
	report_release(&r);
	profile_free(p);
}

/* A report without evidence (built by hand, older readers) is judged
 * without Defender findings. */
static void no_evidence(void **state)
{
	struct profile *p = load_text_in(dir, "include = default\n");
	struct report r;
	(void)state;

	report_init(&r);
	strcpy(r.started, "2026-12-08T10:00:00Z");
	report_finish(&r);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "defender-exclusion", NULL) + count_findings(&r, "defender-quarantine", NULL), 0);
	report_release(&r);
	profile_free(p);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_rules),
		cmocka_unit_test(profile_severities),
		cmocka_unit_test(no_evidence),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

#include <kenshu/banned.h>
