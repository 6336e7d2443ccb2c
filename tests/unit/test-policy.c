/* The policy engine over hand-built reports: each rule triggering and not,
 * severities from the profile, allowlist, waivers valid and expired, the
 * verdict and its order. Patch/hardening and IOC rules have their own
 * cases below too. */
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
#include <kenshu/volume.h>
#include <kenshu/av.h>
#include <kenshu/windows.h>
#include <kenshu/policy.h>
#include <kenshu/profile.h>
#include <kenshu/report.h>
#include "engine.h"
#include "policy-test.h"

static char dir[] = "/tmp/kenshu-test-policy-XXXXXX";

static struct autorun *add_autorun(struct os_info *os, const char *category, const char *name,
				   const char *command, const char *target, unsigned flags)
{
	struct autorun_list *l = &os->autoruns;
	struct autorun *a;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	a = &l->v[l->n++];
	memset(a, 0, sizeof(*a));
	a->category = category;
	a->location = xstrdup("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run");
	a->name = xstrdup(name);
	a->command = xstrdup(command);
	a->target = target ? xstrdup(target) : NULL;
	a->target_exists = target ? 1 : -1;
	a->volume = 2;
	a->flags = flags;
	return a;
}

/* A report with one of everything the scan-side rules look at. */
static void fill(struct report *r)
{
	report_init(r);
	strcpy(r->started, "2026-11-27T10:00:00Z");
	r->nvol = 1;
	r->vol = xcalloc(1, sizeof(*r->vol));
	r->vol[0].scanned = true;
	report_add_detection(r, 2, "/Users/op/Downloads/eicar.com", "", "Kenshu.Test.EICAR", "ab", 68);
	report_add_skip(r, 2, "/Vendor/setup.zip", "", "encrypted archive", 10);
	report_add_file(r, 2, "/Users/op/Desktop/invoice.iqy", "", 10, "11", 0, NULL, "scanned");
	report_add_file(r, 2, "/Windows/System32/slmgr.vbs", "", 10, "22", 0, NULL, "scanned");
	report_add_file(r, 2, "/ACME/Scripts/line.vbs", "", 10, "33", 0, NULL, "scanned");
	report_add_file(r, 2, "/ACME/readme.txt", "", 10, "44", 0, NULL, "scanned");
	report_add_file(r, 2, "/ACME/tool.JS", "", 10, "55", 0, NULL, "scanned");

	struct os_info os;
	memset(&os, 0, sizeof(os));
	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	os.family = xstrdup("Windows 7 / Windows Embedded Standard 7");
	add_autorun(&os, "Run", "updater", "C:\\Users\\op\\AppData\\upd.exe", "/Users/op/AppData/upd.exe",
		    AR_FLAG_USER_WRITABLE);
	struct autorun *ui = add_autorun(&os, "Winlogon", "Userinit", "C:\\Windows\\system32\\userinit.exe,",
					 "/Windows/System32/userinit.exe", 0);
	/* Windows' own: validly signed by Microsoft Windows (through a catalog). */
	ui->target_sig = xcalloc(1, sizeof(*ui->target_sig));
	ui->target_sig->status = SIG_VALID;
	ui->target_sig->source = SIG_SRC_CATALOG;
	ui->target_sig->signer_name = xstrdup("Microsoft Windows");
	ui->target_sig->microsoft_windows = true;
	add_autorun(&os, "Run", "hmi", "\"C:\\Program Files\\ACME\\HMI\\hmi-runtime.exe\"",
		    "/Program Files/ACME/HMI/hmi-runtime.exe", 0);
	add_autorun(&os, "AppInit DLLs", "AppInit_DLLs", "C:\\evil.dll", "/evil.dll", 0);
	add_autorun(&os, "Run", "ps", "powershell -enc AAAA", "/Windows/System32/WindowsPowerShell/v1.0/powershell.exe",
		    AR_FLAG_ENCODED | AR_FLAG_SCRIPT_HOST);
	report_add_os(r, &os);
	report_finish(r);
}

static size_t count(const struct report *r, const char *rule, enum severity sev, bool waived)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nfindings; i++)
		n += !strcmp(r->findings[i].rule, rule) && r->findings[i].severity == sev &&
		     (r->findings[i].waiver != NULL) == waived;
	return n;
}

static const struct av_db custom_db = { .name = (char *)"kenshu-test.ndb", .official = false };

static void default_profile_rules(void **state)
{
	struct report r;
	struct profile *p = load_text_in(dir, "include = default\n"
				      "[allow.hmi]\npath = C:\\Program Files\\ACME\\HMI\\hmi-runtime.exe\n"
				      "[allow.scripts]\npath = /ACME/Scripts/*.vbs\n");
	const struct av_db *dbs[] = { &custom_db };

	fill(&r);
	test_policy_apply_dbs(p, dbs, 1, "/db", &r);
	assert_string_equal(r.scan_date, "2026-11-27");
	assert_int_equal(count(&r, "malware", SEV_FAIL, false), 1);
	assert_int_equal(count(&r, "skipped-content", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "nothing-scanned", SEV_REVIEW, false), 0);
	assert_int_equal(count(&r, "signature-missing", SEV_INFO, false), 1);
	assert_int_equal(count(&r, "autorun-user-writable", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "autorun-encoded-command", SEV_FAIL, false), 1);
	assert_int_equal(count(&r, "autorun-lolbin", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "autorun-appinit", SEV_REVIEW, false), 1);
	/* upd.exe and evil.dll are unknown; userinit is Windows', hmi is allowlisted;
	 * the flagged powershell entry is not Windows' own default either. */
	assert_int_equal(count(&r, "autorun-unknown", SEV_INFO, false), 3);
	/* .iqy on the desktop and the .JS tool; not slmgr.vbs (Windows), not the allowlisted scripts. */
	assert_int_equal(count(&r, "risky-file-type", SEV_REVIEW, false), 2);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	/* Decisive first: fails, then reviews, then infos. */
	for (size_t i = 1; i < r.nfindings; i++)
		assert_true(r.findings[i - 1].severity >= r.findings[i].severity);
	assert_string_equal(r.findings[0].rule, "malware");
	assert_non_null(strstr(r.verdict_reason, "malware (1)"));
	assert_non_null(strstr(r.verdict_reason, "autorun-encoded-command (1)"));
	assert_string_equal(r.profile_source, profile_source(p));
	report_release(&r);
	profile_free(p);
}

static void severities_follow_profile(void **state)
{
	struct report r;
	const struct av_db *dbs[] = { &custom_db };
	/* Turn the decisive rules down: the verdict follows. */
	struct profile *p = load_text_in(dir, "include = default\n[rules]\nmalware = review\nautorun-encoded-command = info\n"
				      "skipped-content = off\nrisky-file-type = off\nautorun-user-writable = info\n"
				      "autorun-lolbin = info\nautorun-appinit = off\n");

	fill(&r);
	test_policy_apply_dbs(p, dbs, 1, "/db", &r);
	assert_int_equal(count(&r, "malware", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "skipped-content", SEV_REVIEW, false), 0);
	assert_int_equal(count(&r, "risky-file-type", SEV_REVIEW, false), 0);
	assert_int_equal(r.verdict, VERDICT_REVIEW);
	assert_non_null(strstr(r.verdict_reason, "needs review for: malware (1)"));
	report_release(&r);
	profile_free(p);

	/* Nothing left above info: PASS, and the reason says how many infos. */
	p = load_text_in(dir, "include = default\n[rules]\nmalware = info\nautorun-encoded-command = info\n"
		      "skipped-content = off\nrisky-file-type = off\nautorun-user-writable = off\n"
		      "autorun-lolbin = off\nautorun-appinit = off\n");
	fill(&r);
	test_policy_apply_dbs(p, dbs, 1, "/db", &r);
	assert_int_equal(r.verdict, VERDICT_PASS);
	assert_non_null(strstr(r.verdict_reason, "no finding fails or needs review"));
	report_release(&r);
	profile_free(p);
}

static void waivers_valid_and_expired(void **state)
{
	struct report r;
	const struct av_db *dbs[] = { &custom_db };
	struct profile *p = load_text_in(dir, 
		"include = default\n"
		"[waiver.eicar]\nrule = malware\npath = /Users/*/Downloads/eicar.com\nreason = test file\n"
		"approver = QA\nexpires = 2026-11-27\n"
		"[waiver.old]\nrule = skipped-content\npath = /Vendor/setup.zip\nreason = vendor password\n"
		"approver = QA\nexpires = 2026-11-26\n"
		"[waiver.unused]\nrule = ms17-010\nsha256 = 0000000000000000000000000000000000000000000000000000000000000000\n"
		"reason = r\napprover = QA\nexpires = 2030-01-01\n"
		"[waiver.ps]\nrule = autorun-encoded-command\npath = *\nreason = vendor's launcher\n"
		"approver = QA\nexpires = 2030-01-01\n");

	fill(&r);
	test_policy_apply_dbs(p, dbs, 1, "/db", &r);
	/* Applies through its expiry day. */
	assert_int_equal(count(&r, "malware", SEV_FAIL, true), 1);
	assert_int_equal(count(&r, "malware", SEV_FAIL, false), 0);
	assert_int_equal(count(&r, "autorun-encoded-command", SEV_FAIL, true), 1);
	/* Expired the day before: does not apply, and is a finding itself. */
	assert_int_equal(count(&r, "skipped-content", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "waiver-expired", SEV_REVIEW, false), 1);
	assert_int_equal(r.nwaivers, 4);
	for (size_t i = 0; i < r.nwaivers; i++) {
		const struct rep_waiver *w = &r.waivers[i];
		const char *want = !strcmp(w->w.name, "eicar") || !strcmp(w->w.name, "ps") ? "applied"
				   : !strcmp(w->w.name, "old")                           ? "expired"
											: "unused";
		assert_string_equal(w->status, want);
	}
	/* Waived findings sort last and do not decide. */
	assert_non_null(r.findings[r.nfindings - 1].waiver);
	assert_int_equal(r.verdict, VERDICT_REVIEW);
	report_release(&r);

	/* The same scan a day later: the eicar waiver has expired too. */
	fill(&r);
	memcpy(r.scan_date, "2026-11-28", 11);
	test_policy_apply_dbs(p, dbs, 1, "/db", &r);
	assert_string_equal(r.scan_date, "2026-11-28");
	assert_int_equal(count(&r, "malware", SEV_FAIL, false), 1);
	assert_int_equal(count(&r, "waiver-expired", SEV_REVIEW, false), 2);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	report_release(&r);
	profile_free(p);
}

static void coverage_rules(void **state)
{
	struct report r;
	const struct av_db *dbs[] = { &custom_db };
	struct profile *p = load_text_in(dir, "include = default\n");

	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	/* No volume walked, data outside the partitions, a dirty hive. */
	r.ngaps = 2;
	r.gaps = xcalloc(2, sizeof(*r.gaps));
	r.gaps[0] = (struct img_gap){ .offset = 1 << 20, .size = 4 << 20, .holds_data = true };
	r.gaps[1] = (struct img_gap){ .offset = 9 << 20, .size = 4 << 20, .holds_data = false };
	struct os_info os;
	memset(&os, 0, sizeof(os));
	os.volume = 1;
	os.system_root = xstrdup("/Windows");
	os.hives[0].name = "SOFTWARE";
	os.hives[0].path = xstrdup("/Windows/System32/config/SOFTWARE");
	os.hives[0].health = (struct hive_health){ .opened = true, .dirty = true, .log1 = true };
	os.hives[1].name = "SYSTEM";
	os.hives[1].path = xstrdup("/Windows/System32/config/SYSTEM");
	os.hives[1].health = (struct hive_health){ .opened = true };
	os.wmi_error = xstrdup("not a repository");
	os.cross_check = xstrdup("differs: product");
	os.cross_check_differs = true;
	report_add_os(&r, &os);
	report_finish(&r);
	test_policy_apply_dbs(p, dbs, 1, "/db", &r);
	assert_int_equal(count(&r, "nothing-scanned", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "data-outside-partitions", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "hive-incomplete", SEV_REVIEW, false), 2);
	assert_int_equal(count(&r, "identity-mismatch", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "malware", SEV_FAIL, false), 0);
	assert_int_equal(r.verdict, VERDICT_REVIEW);
	report_release(&r);
	profile_free(p);
}

static void signature_age(void **state)
{
	struct report r;
	struct av_db old = { .name = (char *)"daily.cvd", .official = true, .version = 27000,
			     .build_time = "2026-11-10T08:00:00Z", .sha256 = "" };
	struct av_db fresh = { .name = (char *)"main.cvd", .official = true, .version = 62,
			       .build_time = "2026-11-25T08:00:00Z" };
	const struct av_db *only_old[] = { &old, &custom_db }, *both[] = { &old, &fresh };
	struct profile *def = load_text_in(dir, "include = default\n");

	/* 17 days old against 7 allowed: review; no signature-missing. */
	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	report_finish(&r);
	test_policy_apply_dbs(def, only_old, 2, "/db", &r);
	assert_int_equal(count(&r, "signature-age", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "signature-missing", SEV_INFO, false), 0);
	report_release(&r);
	/* The newest official database decides: 2 days old passes. */
	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	report_finish(&r);
	test_policy_apply_dbs(def, both, 2, "/db", &r);
	assert_int_equal(count(&r, "signature-age", SEV_REVIEW, false), 0);
	report_release(&r);
	profile_free(def);
	/* strict: 3 days and fail; custom-only databases fail too. */
	struct profile *strict = load_text_in(dir, "include = strict\n");
	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	report_finish(&r);
	test_policy_apply_dbs(strict, only_old, 2, "/db", &r);
	assert_int_equal(count(&r, "signature-age", SEV_FAIL, false), 1);
	report_release(&r);
	const struct av_db *custom[] = { &custom_db };
	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	report_finish(&r);
	test_policy_apply_dbs(strict, custom, 1, "/db", &r);
	assert_int_equal(count(&r, "signature-missing", SEV_FAIL, false), 1);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	report_release(&r);
	profile_free(strict);
}

static void add_check(struct os_info *os, const char *rule, enum posture_state st)
{
	struct posture *p = &os->posture;

	p->c = xrealloc(p->c, (p->n + 1) * sizeof(*p->c));
	memset(&p->c[p->n], 0, sizeof(p->c[p->n]));
	p->c[p->n].rule = rule;
	p->c[p->n].state = st;
	p->c[p->n].message = xasprintf("%s is %s", rule, posture_state_name(st));
	p->c[p->n].evidence = xstrdup("SYSTEM\\ControlSet001\\... = 1");
	p->n++;
}

/* Patch and hardening facts: set unsafe and absent-unsafe count at the
 * rule's severity; absent-safe and unknown only at [hardening] absent (off
 * in default, review in strict); safe and not-applicable never. */
static void posture_rules(void **state)
{
	const struct av_db *dbs[] = { &custom_db };
	static const struct {
		const char *rule;
		enum posture_state st;
		int def, strict;   /* findings' severity, -1 none */
	} cases[] = {
		{ "ms17-010", POSTURE_UNSAFE, SEV_FAIL, SEV_FAIL },
		{ "ms17-010", POSTURE_NOT_APPLICABLE, -1, -1 },
		{ "ms17-010", POSTURE_UNKNOWN, -1, SEV_REVIEW },
		{ "eol-os", POSTURE_UNSAFE, SEV_INFO, SEV_FAIL },
		{ "smb1-enabled", POSTURE_ABSENT_UNSAFE, SEV_REVIEW, SEV_FAIL },
		{ "smb1-enabled", POSTURE_SAFE, -1, -1 },
		{ "firewall-disabled", POSTURE_ABSENT_SAFE, -1, SEV_REVIEW },
		{ "firewall-disabled", POSTURE_UNSAFE, SEV_REVIEW, SEV_REVIEW },
		{ "rdp-enabled", POSTURE_UNSAFE, SEV_INFO, SEV_REVIEW },
		/* A merely absent value never counts above its rule. */
		{ "rdp-enabled", POSTURE_ABSENT_SAFE, -1, SEV_REVIEW },
		{ "defender-disabled", POSTURE_ABSENT_SAFE, -1, SEV_REVIEW },
		{ "write-filter", POSTURE_INFO, SEV_INFO, SEV_INFO },
		{ "guest-enabled", POSTURE_UNSAFE, SEV_REVIEW, SEV_FAIL },
		{ "hosts-tampered", POSTURE_UNSAFE, SEV_REVIEW, SEV_REVIEW },
		{ "autologon-cleartext-password", POSTURE_UNSAFE, SEV_REVIEW, SEV_FAIL },
		{ "autoplay-enabled", POSTURE_ABSENT_UNSAFE, SEV_REVIEW, SEV_REVIEW },
		{ "rdp-no-nla", POSTURE_UNSAFE, SEV_REVIEW, SEV_REVIEW },
	};
	struct profile *def = load_text_in(dir, "include = default\n");
	struct profile *strict = load_text_in(dir, "include = strict\n");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int k = 0; k < 2; k++) {
			struct report r;
			struct os_info os;
			report_init(&r);
			strcpy(r.started, "2026-11-27T10:00:00Z");
			memset(&os, 0, sizeof(os));
			os.volume = 2;
			os.system_root = xstrdup("/Windows");
			add_check(&os, cases[i].rule, cases[i].st);
			report_add_os(&r, &os);
			report_finish(&r);
			test_policy_apply_dbs(k ? strict : def, dbs, 1, "/db", &r);
			int want = k ? cases[i].strict : cases[i].def, got = -1;
			for (size_t f = 0; f < r.nfindings; f++)
				if (!strcmp(r.findings[f].rule, cases[i].rule)) {
					got = (int)r.findings[f].severity;
					assert_non_null(strstr(r.findings[f].value, "ControlSet001"));
				}
			if (got != want)
				fail_msg("%s %s in %s: severity %d, want %d", cases[i].rule,
					 posture_state_name(cases[i].st), k ? "strict" : "default", got, want);
			report_release(&r);
		}
	}
	profile_free(def);
	profile_free(strict);
}

/* Certificate-store entries as the windows stage leaves them, marked. */
static void add_cert(struct os_info *os, const char *scope, const char *user, const char *store, char c,
		     bool in_program, bool matches, bool parsed)
{
	struct cert_store_list *l = &os->certstores;
	struct cert_store_entry *e;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->scope = scope;
	e->user = user ? xstrdup(user) : NULL;
	e->store = store;
	memset(e->cert.sha1, c, 40);
	e->thumbprint = xstrdup(matches ? e->cert.sha1 : "ABCDEF");
	e->key = xasprintf("HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\%s\\Certificates\\%s", store, e->thumbprint);
	e->parsed = parsed;
	e->error = parsed ? NULL : xstrdup("damaged");
	if (parsed)
		e->cert.subject = xasprintf("CN=Root %c, O=Test", c);
	e->thumbprint_matches = parsed && matches;
	e->in_root_program = in_program;
}

/* trusted-root-added: one finding per root-store entry the anchors do not
 * hold, naming scope, store, subject and thumbprint; not for other stores,
 * roots of the program, damaged blobs, unmarked stores or allowlisted
 * thumbprints. */
static void trusted_root_added(void **state)
{
	const struct av_db *dbs[] = { &custom_db };
	struct profile *def = load_text_in(dir, "include = default\n[allow.plantca]\nthumbprint = EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE\n");
	struct profile *strict = load_text_in(dir, "include = strict\n");
	struct profile *off = load_text_in(dir, "include = default\n[rules]\ntrusted-root-added = off\n");

	for (int k = 0; k < 4; k++) {
		struct report r;
		struct os_info os;
		report_init(&r);
		strcpy(r.started, "2026-11-27T10:00:00Z");
		memset(&os, 0, sizeof(os));
		os.volume = 2;
		os.system_root = xstrdup("/Windows");
		add_cert(&os, "machine", NULL, "ROOT", 'a', true, true, true);       /* in the program */
		add_cert(&os, "machine", NULL, "ROOT", 'b', false, true, true);      /* added */
		add_cert(&os, "machine", NULL, "AuthRoot", 'c', false, false, true); /* added, misnamed key */
		add_cert(&os, "group-policy", NULL, "Root", 'd', false, true, true); /* added */
		add_cert(&os, "user", "operator", "Root", 'f', false, true, true);   /* added */
		add_cert(&os, "machine", NULL, "ROOT", 'e', false, true, true);      /* allowlisted in def */
		add_cert(&os, "machine", NULL, "TrustedPublisher", '1', false, true, true);
		add_cert(&os, "machine", NULL, "Disallowed", '2', false, true, true);
		add_cert(&os, "machine", NULL, "CA", '3', false, true, true);
		add_cert(&os, "machine", NULL, "ROOT", '4', false, false, false);    /* damaged */
		os.certstores.marked = k != 3;
		os.certstores.anchors_builtin = k != 1;
		os.certstores.anchors_name = xstrdup("plant-anchors.pem");
		report_add_os(&r, &os);
		report_finish(&r);
		test_policy_apply_dbs(k == 1 ? strict : k == 2 ? off : def, dbs, 1, "/db", &r);
		size_t n = count(&r, "trusted-root-added", SEV_REVIEW, false);
		if (k == 0) {
			assert_int_equal(n, 4);
			assert_int_equal(r.verdict, VERDICT_REVIEW);
			assert_non_null(strstr(r.verdict_reason, "trusted-root-added (4)"));
		} else if (k == 1) {
			assert_int_equal(n, 5);   /* strict: no allowlist entry */
		} else {
			assert_int_equal(n, 0);   /* rule off; stores never marked */
			for (size_t f = 0; f < r.nfindings; f++)
				assert_string_not_equal(r.findings[f].rule, "trusted-root-added");
		}
		for (size_t f = 0; f < r.nfindings; f++) {
			const struct rep_finding *x = &r.findings[f];
			if (strcmp(x->rule, "trusted-root-added"))
				continue;
			assert_non_null(strstr(x->message, k == 1 ? "not in the trust anchors (plant-anchors.pem)"
								 : "not in Microsoft's root program"));
			assert_non_null(x->path);
			assert_int_equal(strlen(x->value), 40);
			assert_true(x->value[0] == 'b' || x->value[0] == 'c' || x->value[0] == 'd' || x->value[0] == 'f' ||
				    (k == 1 && x->value[0] == 'e'));
			if (x->value[0] == 'b')
				assert_non_null(strstr(x->message, "machine ROOT store trusts CN=Root b, O=Test (thumbprint bbbb"));
			if (x->value[0] == 'c')
				assert_non_null(strstr(x->message, ", under a key named ABCDEF, not its SHA-1"));
			if (x->value[0] == 'd')
				assert_non_null(strstr(x->message, "group-policy Root store"));
			if (x->value[0] == 'f')
				assert_non_null(strstr(x->message, "user operator Root store"));
		}
		report_release(&r);
	}
	/* A thumbprint allow entry names a certificate: it allows no file. */
	struct report r;
	fill(&r);
	test_policy_apply_dbs(def, dbs, 1, "/db", &r);
	assert_int_equal(count(&r, "risky-file-type", SEV_REVIEW, false), 3);
	report_release(&r);
	profile_free(def);
	profile_free(strict);
	profile_free(off);
}

/* IOC matches are ioc-hash / ioc-string findings naming feed and line,
 * never malware; macro documents are risky files unless allowed. */
static void ioc_and_macro_rules(void **state)
{
	const struct av_db *dbs[] = { &custom_db };
	char *hashes = xasprintf("%s/hashes.txt", dir), *strings = xasprintf("%s/strings.txt", dir);
	FILE *f = fopen(hashes, "w");
	fputs("# ISAC list\n275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f  eicar\n", f);
	fclose(f);
	f = fopen(strings, "w");
	fputs("; CERT domains\n\nbad-c2[.]example\n", f);
	fclose(f);
	struct profile *p = load_text_in(dir, "include = default\n[ioc]\nhash_list = hashes.txt\nstring_list = strings.txt\n"
				      "[allow.macro]\npath = /Vendor/Docs/allowed.xlsm\n");
	const struct ioc *ioc = profile_ioc(p);
	assert_non_null(ioc);
	assert_int_equal(ioc_entry_count(ioc), 2);
	const struct ioc_entry *h = ioc_entry(ioc, 0)->hash ? ioc_entry(ioc, 0) : ioc_entry(ioc, 1);
	const struct ioc_entry *s = ioc_entry(ioc, 0)->hash ? ioc_entry(ioc, 1) : ioc_entry(ioc, 0);
	char *hsig = xasprintf("%s.UNOFFICIAL", h->signame);

	struct report r;
	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	report_add_detection(&r, 2, "/Users/op/x.com", "", hsig, "275a", 68);
	report_add_detection(&r, 2, "/Vendor/log.txt", "", s->signame, "aa", 10);
	report_add_macro(&r, 2, "/Users/op/invoice.doc", "", "Heuristics.OLE2.ContainsMacros.VBA", "bb", 100);
	report_add_macro(&r, 2, "/Vendor/Docs/allowed.xlsm", "", "Heuristics.OLE2.ContainsMacros.VBA", "cc", 100);
	report_finish(&r);
	test_policy_apply_dbs(p, dbs, 1, "/db", &r);
	assert_int_equal(count(&r, "ioc-hash", SEV_FAIL, false), 1);
	assert_int_equal(count(&r, "ioc-string", SEV_REVIEW, false), 1);
	assert_int_equal(count(&r, "malware", SEV_FAIL, false), 0);
	assert_int_equal(count(&r, "risky-file-type", SEV_REVIEW, false), 1);
	for (size_t i = 0; i < r.nfindings; i++) {
		const struct rep_finding *x = &r.findings[i];
		if (!strcmp(x->rule, "ioc-hash"))
			assert_non_null(strstr(x->message, "hashes.txt line 2"));
		if (!strcmp(x->rule, "ioc-string")) {
			assert_non_null(strstr(x->message, "strings.txt line 3"));
			assert_string_equal(x->value, "bad-c2.example");
		}
		if (!strcmp(x->rule, "risky-file-type"))
			assert_string_equal(x->path, "/Users/op/invoice.doc");
	}
	report_release(&r);
	profile_free(p);

	/* macros = no: macro documents are not held against the image. */
	p = load_text_in(dir, "include = default\n[files]\nmacros = no\n");
	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	report_add_macro(&r, 2, "/Users/op/invoice.doc", "", "Heuristics.OLE2.ContainsMacros.VBA", "bb", 100);
	r.nvol = 1;
	r.vol = xcalloc(1, sizeof(*r.vol));
	r.vol[0].scanned = true;
	report_finish(&r);
	test_policy_apply_dbs(p, dbs, 1, "/db", &r);
	assert_int_equal(count(&r, "risky-file-type", SEV_REVIEW, false), 0);
	assert_int_equal(r.verdict, VERDICT_PASS);
	report_release(&r);
	profile_free(p);
	free(hsig);
	free(hashes);
	free(strings);
}

static const struct rep_finding *first(const struct report *r, const char *rule, const char *path)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].rule, rule) && r->findings[i].path && !strcmp(r->findings[i].path, path))
			return &r->findings[i];
	fail_msg("no %s finding on %s", rule, path);
	return NULL;
}

/* A detection in an alternate data stream: the evidence names the
 * stream beside the file's path (its SHA-256 is the stream's), and the
 * message says path:stream; the main data of a file has no stream. */
static void findings_name_the_stream(void **state)
{
	const struct av_db *dbs[] = { &custom_db };
	struct profile *p = load_text_in(dir, "include = default\n");
	struct report r;
	const struct rep_finding *x;

	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	r.nvol = 1;
	r.vol = xcalloc(1, sizeof(*r.vol));
	r.vol[0].scanned = true;
	report_add_detection(&r, 2, "/Users/Public/readme.txt", "payload", "Kenshu.Test.EICAR", "5a", 68);
	report_add_detection(&r, 2, "/Users/Public/update.com", "", "Kenshu.Test.EICAR", "6b", 68);
	report_add_macro(&r, 2, "/Users/op/notes.txt", "doc", "Heuristics.OLE2.ContainsMacros.VBA", "7c", 100);
	report_add_skip(&r, 2, "/Vendor/data.bin", "big", "stream over the size limit", 10);
	report_finish(&r);
	test_policy_apply_dbs(p, dbs, 1, "/db", &r);

	x = first(&r, "malware", "/Users/Public/readme.txt");
	assert_string_equal(x->stream, "payload");
	assert_string_equal(x->sha256, "5a");
	assert_non_null(strstr(x->message, "in /Users/Public/readme.txt:payload"));
	x = first(&r, "malware", "/Users/Public/update.com");
	assert_null(x->stream);
	x = first(&r, "risky-file-type", "/Users/op/notes.txt");
	assert_string_equal(x->stream, "doc");
	assert_non_null(strstr(x->message, "/Users/op/notes.txt:doc:"));
	x = first(&r, "skipped-content", "/Vendor/data.bin");
	assert_string_equal(x->stream, "big");
	report_release(&r);
	profile_free(p);
}

/* Every autostart flag answers to its own rule: one entry per flag, each
 * gives exactly that rule's finding (and autorun-unknown). */
static void each_autorun_flag_has_a_rule(void **state)
{
	const struct av_db *dbs[] = { &custom_db };
	struct profile *p = load_text_in(dir, "include = default\n");

	for (size_t i = 0; i < ar_nflag_info; i++) {
		struct report r;
		struct os_info os;
		report_init(&r);
		strcpy(r.started, "2026-11-27T10:00:00Z");
		memset(&os, 0, sizeof(os));
		os.volume = 2;
		os.system_root = xstrdup("/Windows");
		struct autorun *a = add_autorun(&os, "Run", "x", "C:\\x.exe", "/x.exe", ar_flag_info[i].flag);
		if (ar_flag_info[i].flag == AR_FLAG_DETECTED)
			a->target_detection = xstrdup("Win.Trojan.Test");
		report_add_os(&r, &os);
		report_finish(&r);
		test_policy_apply_dbs(p, dbs, 1, "/db", &r);
		size_t rules = 0;
		for (size_t f = 0; f < r.nfindings; f++) {
			const char *id = r.findings[f].rule;
			if (!strncmp(id, "autorun-", 8) && strcmp(id, "autorun-unknown") != 0) {
				rules++;
				/* target-missing is worded per entry (below). */
				if (ar_flag_info[i].flag != AR_FLAG_TARGET_MISSING)
					assert_non_null(strstr(r.findings[f].message, ar_flag_info[i].reason));
				else
					assert_non_null(strstr(r.findings[f].message, "not on the disk"));
			}
		}
		if (rules != 1)
			fail_msg("flag %s gives %zu autostart rule findings", ar_flag_info[i].name, rules);
		assert_int_equal(count(&r, "autorun-unknown", SEV_INFO, false), 1);
		report_release(&r);
	}
	profile_free(p);
}

/* autorun-target-missing says what is known: a disabled service runs
 * nothing, a boot or automatic one fails at every boot, and only an entry
 * outside Windows that is no service may be waiting for a dropper. */
static void target_missing_worded_by_what_is_known(void **state)
{
	const struct av_db *dbs[] = { &custom_db };
	struct profile *p = load_text_in(dir, "include = default\n");
	static const struct {
		const char *category, *target;
		bool service, has_start;
		uint32_t start;
		unsigned other_set;
		const char *want, *not;
	} cases[] = {
		{ "Services and drivers", "/Windows/System32/drivers/http.sys", true, true, 4, 0,
		  "but the service is disabled (Start = 4): nothing runs; a Windows component missing", "dropper" },
		{ "Services and drivers", "/Program Files/Vendor/io.sys", true, true, 4, 0,
		  "disabled (Start = 4): nothing runs; a leftover of a program removed", "dropper" },
		{ "Services and drivers", "/Windows/System32/svc.exe", true, true, 2, 0,
		  "and the service starts at every boot (Start = 2, automatic), failing each time: a Windows component",
		  "dropper" },
		{ "Services and drivers", "/Windows/System32/drivers/x.sys", true, true, 0, 0,
		  "the driver starts at every boot (Start = 0, boot)", "dropper" },
		{ "Services and drivers", "/Windows/System32/svc.exe", true, true, 2, 2,
		  "only when Windows boots ControlSet002", "every boot" },
		{ "Services and drivers", "/Windows/System32/svc.exe", true, true, 3, 0, "starts on demand (Start = 3)",
		  "dropper" },
		{ "Services and drivers", "/Windows/System32/svc.exe", true, false, 0, 0, "no Start value", "dropper" },
		{ "Run", "/Windows/System32/igfxtray.exe", false, false, 0, 0, "a Windows component missing from this image",
		  "dropper" },
		{ "Run", "/ProgramData/Miner/dropper.exe", false, false, 0, 0,
		  "a leftover of a removed program, or an entry whose file a dropper may re-create", "Windows component" },
		{ "Scheduled task", "/Users/op/AppData/x.exe", false, false, 0, 0, "a dropper may re-create", "Start" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report r;
		struct os_info os;
		report_init(&r);
		strcpy(r.started, "2026-11-27T10:00:00Z");
		memset(&os, 0, sizeof(os));
		os.volume = 2;
		os.system_root = xstrdup("/Windows");
		struct autorun *a = add_autorun(&os, cases[i].category, "x", "x", cases[i].target, AR_FLAG_TARGET_MISSING);
		a->target_exists = 0;
		a->service = cases[i].service;
		a->has_start = cases[i].has_start;
		a->start = cases[i].start;
		a->other_control_set = cases[i].other_set;
		report_add_os(&r, &os);
		report_finish(&r);
		test_policy_apply_dbs(p, dbs, 1, "/db", &r);
		const struct rep_finding *f = NULL;
		for (size_t k = 0; k < r.nfindings; k++)
			if (!strcmp(r.findings[k].rule, "autorun-target-missing"))
				f = &r.findings[k];
		assert_non_null(f);
		if (!strstr(f->message, cases[i].want) || strstr(f->message, cases[i].not))
			fail_msg("case %zu: '%s'\n  wants '%s', not '%s'", i, f->message, cases[i].want, cases[i].not);
		report_release(&r);
	}
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
		cmocka_unit_test(default_profile_rules),
		cmocka_unit_test(severities_follow_profile),
		cmocka_unit_test(waivers_valid_and_expired),
		cmocka_unit_test(coverage_rules),
		cmocka_unit_test(signature_age),
		cmocka_unit_test(posture_rules),
		cmocka_unit_test(each_autorun_flag_has_a_rule),
		cmocka_unit_test(target_missing_worded_by_what_is_known),
		cmocka_unit_test(ioc_and_macro_rules),
		cmocka_unit_test(findings_name_the_stream),
		cmocka_unit_test(trusted_root_added),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
