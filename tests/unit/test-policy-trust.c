/* The code-signature rules over hand-built reports: signature-invalid,
 * system-file-unsigned, autorun-unsigned, the allowlist by signer, and
 * "Windows' own" meaning signed by Microsoft Windows, not a location. */
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
#include <kenshu/trust.h>
#include <kenshu/windows.h>
#include "engine.h"
#include "policy-test.h"

static char dir[] = "/tmp/kenshu-test-policy-trust-XXXXXX";

static struct sig_result *sig(enum sig_status st, const char *name, const char *subject, bool windows)
{
	struct sig_result *s = xcalloc(1, sizeof(*s));

	s->status = st;
	s->source = st == SIG_UNSIGNED ? SIG_SRC_NONE : SIG_SRC_EMBEDDED;
	s->signer_name = name ? xstrdup(name) : NULL;
	s->signer = subject ? xstrdup(subject) : NULL;
	s->microsoft_windows = windows;
	if (st != SIG_VALID)
		s->reason = xstrdup(st == SIG_UNSIGNED ? "no signature" : "test reason");
	return s;
}

/* A manifest row with a signature result. */
static void file(struct report *r, const char *path, const char *stream, struct sig_result *s)
{
	report_add_file(r, 2, path, stream, 100, "aa", 0, NULL, "scanned");
	r->files[r->nfiles - 1].sig = s;
}

static struct autorun *autorun(struct os_info *os, const char *name, const char *target, struct sig_result *s)
{
	struct autorun_list *l = &os->autoruns;
	struct autorun *a;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	a = &l->v[l->n++];
	memset(a, 0, sizeof(*a));
	a->category = "Services";
	a->location = xstrdup("HKLM\\SYSTEM\\CurrentControlSet\\Services");
	a->name = xstrdup(name);
	a->command = xasprintf("C:%s", target);   /* a command, not a file that is the entry */
	a->target = xstrdup(target);
	a->target_exists = 1;
	a->volume = 2;
	a->target_sig = s;
	return a;
}

static const char vendor_subject[] = "CN=Press HMI Signing, O=Example Press Machinery KK, C=JP";

static void fill(struct report *r)
{
	struct os_info os;

	report_init(r);
	strcpy(r->started, "2026-11-27T10:00:00Z");
	r->nvol = 1;
	r->vol = xcalloc(1, sizeof(*r->vol));
	r->vol[0].scanned = true;
	file(r, "/Windows/System32/svchost.exe", "", sig(SIG_VALID, "Microsoft Windows", "CN=Microsoft Windows", true));
	file(r, "/Windows/System32/wuaucltsvc.exe", "", sig(SIG_UNSIGNED, NULL, NULL, false));
	file(r, "/Windows/SysWOW64/rogue.dll", "", sig(SIG_UNTRUSTED, "Rogue Signer", "CN=Rogue Signer", false));
	file(r, "/Windows/System32/drivers/vendorio.sys", "", sig(SIG_VALID, "Press HMI Signing", vendor_subject, false));
	file(r, "/Windows/System32/drivers/oldio.sys", "", sig(SIG_UNSIGNED, NULL, NULL, false));
	file(r, "/Windows/System32/damaged.dll", "", sig(SIG_ERROR, NULL, NULL, false));
	file(r, "/Windows/System32Extra/x.exe", "", sig(SIG_UNSIGNED, NULL, NULL, false));
	file(r, "/Program Files/Vendor/hmi.exe", "", sig(SIG_INVALID, "Press HMI Signing", vendor_subject, false));
	file(r, "/Program Files/Vendor/tool.exe", "", sig(SIG_UNSIGNED, NULL, NULL, false));
	file(r, "/Windows/System32/notepad.exe", "evil", sig(SIG_UNSIGNED, NULL, NULL, false));

	memset(&os, 0, sizeof(os));
	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	os.family = xstrdup("Windows 10");
	autorun(&os, "Schedule", "/Windows/System32/svchost.exe",
		sig(SIG_VALID, "Microsoft Windows", "CN=Microsoft Windows", true));
	autorun(&os, "wuaucltsvc", "/Windows/System32/wuaucltsvc.exe", sig(SIG_UNSIGNED, NULL, NULL, false));
	autorun(&os, "vendorio", "/Windows/System32/drivers/vendorio.sys",
		sig(SIG_VALID, "Press HMI Signing", vendor_subject, false));
	autorun(&os, "rogue", "/Windows/SysWOW64/rogue.dll", sig(SIG_UNTRUSTED, "Rogue Signer", "CN=Rogue Signer", false));
	struct autorun *gone = autorun(&os, "gone", "/Windows/System32/gone.exe", NULL);
	gone->target_exists = 0;
	report_add_os(r, &os);
	report_finish(r);
}

static size_t count(const struct report *r, const char *rule, const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nfindings; i++)
		n += !strcmp(r->findings[i].rule, rule) && (!path || (r->findings[i].path && !strcmp(r->findings[i].path, path)));
	return n;
}

static const struct rep_finding *find(const struct report *r, const char *rule, const char *path)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].rule, rule) && r->findings[i].path && !strcmp(r->findings[i].path, path))
			return &r->findings[i];
	return NULL;
}

static void default_rules(void **state)
{
	struct report r;
	struct profile *p = load_text_in(dir, "include = default\n");

	fill(&r);
	policy_apply(p, &r);
	/* Tampering fails wherever the file is; a signature that cannot be
	 * read at all is the same rule, at review. */
	assert_int_equal(count(&r, "signature-invalid", NULL), 2);
	assert_int_equal(find(&r, "signature-invalid", "/Program Files/Vendor/hmi.exe")->severity, SEV_FAIL);
	assert_int_equal(find(&r, "signature-invalid", "/Windows/System32/damaged.dll")->severity, SEV_REVIEW);
	/* System32/SysWOW64 (drivers included): unsigned, untrusted. Not a
	 * valid signature, not outside those folders, not an alternate stream. */
	assert_int_equal(count(&r, "system-file-unsigned", NULL), 3);
	assert_non_null(find(&r, "system-file-unsigned", "/Windows/System32/wuaucltsvc.exe"));
	assert_non_null(find(&r, "system-file-unsigned", "/Windows/SysWOW64/rogue.dll"));
	assert_non_null(find(&r, "system-file-unsigned", "/Windows/System32/drivers/oldio.sys"));
	assert_int_equal(find(&r, "system-file-unsigned", "/Windows/System32/wuaucltsvc.exe")->severity, SEV_REVIEW);
	assert_non_null(strstr(find(&r, "system-file-unsigned", "/Windows/SysWOW64/rogue.dll")->message,
			       "signed by Rogue Signer, but not trusted: test reason"));
	/* Autostart targets: unsigned and untrusted; not the valid ones, not a missing target. */
	assert_int_equal(count(&r, "autorun-unsigned", NULL), 2);
	assert_int_equal(find(&r, "autorun-unsigned", "/Windows/System32/wuaucltsvc.exe")->severity, SEV_REVIEW);
	/* Windows' own is the signature: svchost is not unknown, the vendor's
	 * validly signed driver in System32 is, and says who signed it. */
	assert_null(find(&r, "autorun-unknown", "/Windows/System32/svchost.exe"));
	const struct rep_finding *v = find(&r, "autorun-unknown", "/Windows/System32/drivers/vendorio.sys");
	assert_non_null(v);
	assert_non_null(strstr(v->message, "signed by Press HMI Signing (not Microsoft Windows)"));
	v = find(&r, "autorun-unknown", "/Windows/System32/wuaucltsvc.exe");
	assert_non_null(v);
	assert_non_null(strstr(v->message, "unsigned"));
	assert_int_equal(r.verdict, VERDICT_FAIL);
	report_release(&r);
	profile_free(p);
}

static void allow_by_signer(void **state)
{
	struct report r;
	/* By O of the subject; a second entry by CN combined with a path. */
	struct profile *p = load_text_in(dir, "include = default\n"
				      "[allow.vendor]\nsigner = Example Press Machinery KK\n"
				      "[allow.old]\npath = /Windows/System32/drivers/oldio.sys\n"
				      "[allow.rogue]\nsigner = Rogue Signer\n");

	fill(&r);
	policy_apply(p, &r);
	assert_null(find(&r, "autorun-unknown", "/Windows/System32/drivers/vendorio.sys"));
	assert_null(find(&r, "system-file-unsigned", "/Windows/System32/drivers/oldio.sys"));
	/* A signer entry needs a valid signature: an untrusted one is not accepted. */
	assert_non_null(find(&r, "system-file-unsigned", "/Windows/SysWOW64/rogue.dll"));
	assert_non_null(find(&r, "autorun-unsigned", "/Windows/SysWOW64/rogue.dll"));
	/* Tampering is never allowlisted. */
	assert_non_null(find(&r, "signature-invalid", "/Program Files/Vendor/hmi.exe"));
	report_release(&r);
	profile_free(p);
}

static void strict_and_signer_key(void **state)
{
	struct report r;
	struct profile *p = load_text_in(dir, "include = strict\n");
	struct ks_err err;
	struct profile *bad;
	char *path = xasprintf("%s/bad.ini", dir);
	FILE *f = fopen(path, "w");

	fill(&r);
	policy_apply(p, &r);
	assert_int_equal(find(&r, "system-file-unsigned", "/Windows/System32/wuaucltsvc.exe")->severity, SEV_FAIL);
	assert_int_equal(find(&r, "autorun-unsigned", "/Windows/System32/wuaucltsvc.exe")->severity, SEV_FAIL);
	report_release(&r);
	profile_free(p);

	/* An allow entry needs at least one of path, sha256, signer. */
	assert_non_null(f);
	fputs("include = default\n[allow.empty]\nvendor = nobody\n", f);
	fclose(f);
	assert_int_equal(profile_load(path, &bad, &err), -1);
	assert_non_null(strstr(err.msg, "needs path, sha256 or signer, a thumbprint, an account or a service"));
	free(path);
}

static void windows_default_needs_signature(void **state)
{
	struct autorun a;
	struct sig_result s = { .status = SIG_VALID, .microsoft_windows = true };
	char buf[256];

	memset(&a, 0, sizeof(a));
	a.command = (char *)"C:\\Windows\\System32\\svchost.exe -k netsvcs";
	a.target = (char *)"/Windows/System32/svchost.exe";
	a.target_exists = 1;
	/* No signature result: location alone proves nothing. */
	assert_false(autorun_is_windows_default(&a, "/Windows"));
	a.target_sig = &s;
	assert_true(autorun_is_windows_default(&a, "/Windows"));
	/* A flag, another folder or a non-Windows signer: not Windows' own. */
	a.flags = AR_FLAG_RENAMED;
	assert_false(autorun_is_windows_default(&a, "/Windows"));
	a.flags = 0;
	a.target = (char *)"/ProgramData/svchost.exe";
	assert_false(autorun_is_windows_default(&a, "/Windows"));
	a.target = (char *)"/Windows/System32/svchost.exe";
	s.microsoft_windows = false;
	s.signer_name = (char *)"Example KK";
	assert_false(autorun_is_windows_default(&a, "/Windows"));
	assert_string_equal(autorun_trust_note(&a, buf, sizeof(buf)), "signed by Example KK (not Microsoft Windows)");
	s.status = SIG_UNSIGNED;
	assert_non_null(strstr(autorun_trust_note(&a, buf, sizeof(buf)), "unsigned"));
	a.target_exists = 0;
	assert_string_equal(autorun_trust_note(&a, buf, sizeof(buf)), "");
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
		cmocka_unit_test(allow_by_signer),
		cmocka_unit_test(strict_and_signer_key),
		cmocka_unit_test(windows_default_needs_signature),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
