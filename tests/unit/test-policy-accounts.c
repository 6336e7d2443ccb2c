/* The local-account rules over hand-built reports: account-blank-password
 * (empty hash, or no password needed and none set), account-admin-extra
 * with its allowlist by name, and what is never held against an image:
 * disabled accounts, unreadable F values, the built-in Administrator. */
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
#include <kenshu/policy.h>
#include <kenshu/profile.h>
#include <kenshu/report.h>
#include <kenshu/windows.h>
#include "policy-test.h"

static char dir[] = "/tmp/kenshu-test-policy-accounts-XXXXXX";

static void account(struct os_info *os, uint32_t rid, const char *name, bool has_f, uint16_t acb, bool admin,
		    enum sam_password pw)
{
	struct sam_accounts *l = &os->accounts;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = (struct sam_account){ .rid = rid, .name = xstrdup(name), .has_f = has_f, .acb = acb,
					     .admin = admin, .password = pw };
}

static void fill(struct report *r)
{
	struct os_info os;

	report_init(r);
	strcpy(r->started, "2026-11-27T10:00:00Z");
	r->nvol = 1;
	r->vol = xcalloc(1, sizeof(*r->vol));
	r->vol[0].scanned = true;
	memset(&os, 0, sizeof(os));
	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	os.family = xstrdup("Windows 10");
	account(&os, 500, "Administrator", true, 0x0210, true, SAM_PW_SET);     /* built-in: never extra */
	account(&os, 501, "Guest", true, 0x0215, false, SAM_PW_NONE);           /* disabled */
	account(&os, 1001, "support", true, 0x0210, true, SAM_PW_SET);          /* extra admin */
	account(&os, 1002, "hmi", true, 0x0214, false, SAM_PW_EMPTY);           /* empty */
	account(&os, 1003, "kiosk", true, 0x0214, false, SAM_PW_NONE);          /* none, not required */
	account(&os, 1004, "svc", true, 0x0214, false, SAM_PW_SET);             /* not required, but set */
	account(&os, 1005, "old", true, 0x0011, true, SAM_PW_EMPTY);            /* disabled admin, empty */
	account(&os, 1006, "lost", false, 0, true, SAM_PW_EMPTY);               /* F unreadable */
	account(&os, 1007, "maint", true, 0x0214, true, SAM_PW_UNKNOWN);        /* admin, unknown, not required */
	report_add_os(r, &os);
	report_finish(r);
}

static void default_rules(void **state)
{
	struct profile *p = load_text_in(dir, "include = default\n");
	struct report r;

	fill(&r);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "account-blank-password", NULL), 3);
	assert_int_equal(count_findings(&r, "account-blank-password", "'hmi' (RID 1002) has an empty password"), 1);
	assert_int_equal(count_findings(&r, "account-blank-password", "'kiosk' (RID 1003) needs no password"), 1);
	assert_int_equal(count_findings(&r, "account-blank-password", "'maint' (RID 1007) needs no password (password not "
				"required) and whether it has one is unknown; it is an administrator"), 1);
	assert_int_equal(count_findings(&r, "account-blank-password", "'svc'"), 0);
	assert_int_equal(count_findings(&r, "account-blank-password", "'old'"), 0);
	assert_int_equal(count_findings(&r, "account-blank-password", "'lost'"), 0);
	assert_int_equal(severity_of(&r, "account-blank-password"), SEV_FAIL);
	assert_int_equal(count_findings(&r, "account-admin-extra", NULL), 2);
	assert_int_equal(count_findings(&r, "account-admin-extra", "'support' (RID 1001)"), 1);
	assert_int_equal(count_findings(&r, "account-admin-extra", "'maint'"), 1);
	assert_int_equal(count_findings(&r, "account-admin-extra", "Administrator'"), 0);
	assert_int_equal(severity_of(&r, "account-admin-extra"), SEV_REVIEW);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	/* where: the user key */
	for (size_t i = 0; i < r.nfindings; i++)
		if (!strcmp(r.findings[i].rule, "account-admin-extra") && strstr(r.findings[i].message, "support"))
			assert_string_equal(r.findings[i].value, "SAM\\Domains\\Account\\Users\\000003E9");
	report_release(&r);
	profile_free(p);
}

static void allow_by_name(void **state)
{
	/* case-insensitive, as Windows compares names; a file allow does not count */
	struct profile *p = load_text_in(dir, "include = default\n[allow.support]\naccount = SUPPORT\n"
				      "[allow.file]\npath = /maint\n");
	struct report r;

	fill(&r);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "account-admin-extra", "'support'"), 0);
	assert_int_equal(count_findings(&r, "account-admin-extra", "'maint'"), 1);
	assert_int_equal(count_findings(&r, "account-blank-password", NULL), 3);   /* never lifted by an allow */
	report_release(&r);
	profile_free(p);

	/* an account allow is an allow of its own: the profile loads with it alone */
	p = load_text_in(dir, "include = default\n[allow.x]\naccount = hmi\n");
	assert_int_equal(profile_nallows(p), 1);
	assert_string_equal(profile_allow(p, 0)->account, "hmi");
	assert_null(profile_allow(p, 0)->path);
	profile_free(p);

	/* off and strict */
	p = load_text_in(dir, "include = default\n[rules]\naccount-blank-password = off\naccount-admin-extra = fail\n");
	fill(&r);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "account-blank-password", NULL), 0);
	assert_int_equal(severity_of(&r, "account-admin-extra"), SEV_FAIL);
	report_release(&r);
	profile_free(p);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_rules),
		cmocka_unit_test(allow_by_name),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
#include <kenshu/banned.h>
