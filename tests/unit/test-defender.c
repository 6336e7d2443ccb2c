/* Defender's exclusions and policy switches (evidence/defender.c): read
 * from SOFTWARE hives built by mkhive (own and Group Policy keys, every
 * kind, the default value ignored), placed in the volume (%VAR%s of the
 * installation, another drive, a network path) and matched against paths
 * in the volume: wildcards, case, trailing backslash, folders covering
 * what lies below, extension and process forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/evidence.h>

static char dir[] = "/tmp/kenshu-test-defender-XXXXXX";
#include "hives.h"

static struct def_exclusion *mk(enum def_kind kind, const char *value)
{
	struct def_exclusion *x = xcalloc(1, sizeof(*x));

	x->kind = kind;
	x->value = xstrdup(value);
	defender_exclusion_place(x, "/Windows");
	return x;
}

static void drop(struct def_exclusion *x)
{
	struct os_defender d = { .excl = x, .nexcl = 1 };
	defender_release(&d);
}

static void covers(enum def_kind kind, const char *value, const char *path, bool expect)
{
	struct def_exclusion *x = mk(kind, value);

	if (defender_exclusion_covers(x, path) != expect)
		fail_msg("'%s' (pattern %s) %s '%s'", value, x->pattern ? x->pattern : "NULL",
			 expect ? "does not cover" : "covers", path);
	drop(x);
}

static void test_paths(void **state)
{
	(void)state;
	covers(DEF_PATH, "C:\\ProgramData\\Vendor", "/ProgramData/Vendor/agent.exe", true);
	covers(DEF_PATH, "C:\\ProgramData\\Vendor\\", "/ProgramData/Vendor/sub/deep/agent.exe", true);
	covers(DEF_PATH, "c:\\programdata\\VENDOR", "/ProgramData/Vendor/agent.exe", true);
	covers(DEF_PATH, "C:\\ProgramData\\Vendor", "/ProgramData/VendorX/agent.exe", false);
	covers(DEF_PATH, "C:\\ProgramData\\Vendor", "/ProgramData/agent.exe", false);
	covers(DEF_PATH, "%ProgramData%\\Vendor", "/ProgramData/Vendor/agent.exe", true);
	covers(DEF_PATH, "%windir%\\Temp", "/Windows/Temp/x.ps1", true);
	covers(DEF_PATH, "%SystemRoot%\\System32\\evil.dll", "/Windows/System32/evil.dll", true);
	covers(DEF_PATH, "%SystemRoot%\\System32\\evil.dll", "/Windows/System32/good.dll", false);
	covers(DEF_PATH, "%ProgramFiles%\\Vendor*", "/Program Files/VendorTools/x.exe", true);
	covers(DEF_PATH, "C:\\Users\\*\\AppData\\Local\\Temp", "/Users/op/AppData/Local/Temp/a.exe", true);
	covers(DEF_PATH, "%USERPROFILE%\\Downloads", "/Users/op/Downloads/a.exe", true);
	covers(DEF_PATH, "%TEMP%", "/Users/op/AppData/Local/Temp/a.exe", true);
	/* "*" stays inside one folder name */
	covers(DEF_PATH, "C:\\Users\\*\\Tools", "/Users/a/b/Tools/x.exe", false);
	covers(DEF_PATH, "C:\\Tools\\?.exe", "/Tools/a.exe", true);
	covers(DEF_PATH, "C:\\Tools\\?.exe", "/Tools/ab.exe", false);
	covers(DEF_PATH, "C:\\", "/anything.exe", true);
	covers(DEF_PATH, "D:\\Data", "/Data/x.exe", false);
	covers(DEF_PATH, "\\\\server\\share", "/server/share/x.exe", false);
	covers(DEF_TEMP_PATH, "C:\\Windows\\Temp\\", "/Windows/Temp/a.exe", true);
}

static void test_placement(void **state)
{
	struct def_exclusion *x;
	(void)state;

	x = mk(DEF_PATH, "D:\\Data");
	assert_null(x->pattern);
	assert_non_null(strstr(x->note, "not on the installation's volume"));
	drop(x);
	x = mk(DEF_PATH, "%NOSUCHVAR%\\x");
	assert_non_null(x->note);
	assert_non_null(strstr(x->note, "not known offline"));
	drop(x);
	x = mk(DEF_PATH, "%ProgramData%\\Vendor\\");
	assert_string_equal(x->pattern, "/programdata/vendor");
	assert_null(x->note);
	drop(x);
	x = mk(DEF_IP, "10.0.0.1");
	assert_null(x->pattern);
	assert_false(defender_exclusion_covers(x, "/10.0.0.1"));
	drop(x);
}

static void test_extensions(void **state)
{
	static const char *const code[] = { "exe", ".dll", "*.ps1", "BAT", "cmd", "vbs", ".js", "scr" };
	struct def_exclusion *x;
	(void)state;

	for (size_t i = 0; i < sizeof(code) / sizeof(code[0]); i++) {
		x = mk(DEF_EXTENSION, code[i]);
		assert_true(x->risky_extension);
		drop(x);
	}
	x = mk(DEF_EXTENSION, ".log");
	assert_false(x->risky_extension);
	assert_string_equal(x->pattern, "log");
	drop(x);
	covers(DEF_EXTENSION, ".exe", "/Tools/A.EXE", true);
	covers(DEF_EXTENSION, "exe", "/Tools/a.exe.txt", false);
	covers(DEF_EXTENSION, "*.ps1", "/x/run.ps1", true);
	covers(DEF_EXTENSION, "exe", "/x.y/noext", false);
}

static void test_processes(void **state)
{
	(void)state;
	covers(DEF_PROCESS, "agent.exe", "/ProgramData/Vendor/Agent.exe", true);
	covers(DEF_PROCESS, "agent.exe", "/ProgramData/Vendor/agent2.exe", false);
	covers(DEF_PROCESS, "agent*.exe", "/x/agent2.exe", true);
	covers(DEF_PROCESS, "C:\\ProgramData\\Vendor\\agent.exe", "/ProgramData/Vendor/agent.exe", true);
	covers(DEF_PROCESS, "C:\\ProgramData\\Vendor\\agent.exe", "/Other/agent.exe", false);
	covers(DEF_PROCESS, "%ProgramFiles%\\V\\*.exe", "/Program Files/V/a.exe", true);
}

static void test_add_cover_caps(void **state)
{
	struct def_exclusion *x = mk(DEF_PATH, "C:\\");
	(void)state;

	for (unsigned i = 0; i < DEF_MAX_COVERS + 5; i++)
		defender_exclusion_add_cover(x, "file: /a.exe", i == 3);
	assert_int_equal(x->ncovers, DEF_MAX_COVERS);
	assert_int_equal(x->covers_total, DEF_MAX_COVERS + 5);
	assert_true(x->covers_autorun);
	drop(x);
}

static const struct def_exclusion *find(const struct os_defender *d, const char *value)
{
	for (size_t i = 0; i < d->nexcl; i++)
		if (!strcmp(d->excl[i].value, value))
			return &d->excl[i];
	return NULL;
}

static void test_hive(void **state)
{
	struct hive *h = reg("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\Paths]\n"
			     "@=\"ignored\"\n"
			     "\"C:\\\\ProgramData\\\\Vendor\"=dword:00000000\n"
			     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\Extensions]\n"
			     "\".exe\"=dword:00000000\n"
			     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\Processes]\n"
			     "\"agent.exe\"=dword:00000000\n"
			     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\IpAddresses]\n"
			     "\"10.1.2.3\"=dword:00000000\n"
			     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\TemporaryPaths]\n"
			     "\"C:\\\\Windows\\\\Temp\\\\Setup\"=dword:00000000\n"
			     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender]\n"
			     "\"DisableAntiSpyware\"=dword:00000001\n"
			     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection]\n"
			     "\"DisableRealtimeMonitoring\"=dword:00000001\n"
			     "\"DisableBehaviorMonitoring\"=dword:00000000\n"
			     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Exclusions\\Paths]\n"
			     "\"%ProgramData%\\\\Plant\"=\"0\"\n");
	struct os_defender d = { 0 };
	const struct def_exclusion *x;
	(void)state;

	defender_read_hive(h, "/Windows", &d);
	hive_close(h);
	assert_int_equal(d.nexcl, 6);
	x = find(&d, "C:\\ProgramData\\Vendor");
	assert_non_null(x);
	assert_string_equal(x->kind_name, "path");
	assert_false(x->policy);
	assert_string_equal(x->source, "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\Paths");
	assert_string_equal(x->pattern, "/programdata/vendor");
	x = find(&d, "%ProgramData%\\Plant");
	assert_non_null(x);
	assert_true(x->policy);
	assert_string_equal(x->source, "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Exclusions\\Paths");
	assert_true(defender_exclusion_covers(x, "/ProgramData/Plant/run.exe"));
	x = find(&d, ".exe");
	assert_string_equal(x->kind_name, "extension");
	assert_true(x->risky_extension);
	assert_string_equal(find(&d, "agent.exe")->kind_name, "process");
	assert_string_equal(find(&d, "10.1.2.3")->kind_name, "ip-address");
	assert_string_equal(find(&d, "C:\\Windows\\Temp\\Setup")->kind_name, "temporary-path");
	assert_true(d.policy.has_disable_antispyware);
	assert_int_equal(d.policy.disable_antispyware, 1);
	assert_false(d.policy.has_disable_antivirus);
	assert_true(d.policy.has_disable_realtime);
	assert_int_equal(d.policy.disable_realtime, 1);
	assert_true(d.policy.has_disable_behavior);
	assert_int_equal(d.policy.disable_behavior, 0);
	defender_release(&d);
	defender_release(&d);

	/* nothing of Defender's: nothing listed, no switch */
	h = reg("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n\"CurrentBuild\"=\"7601\"\n");
	defender_read_hive(h, "/Windows", &d);
	hive_close(h);
	assert_int_equal(d.nexcl, 0);
	assert_false(d.policy.has_disable_antispyware || d.policy.has_disable_realtime);
	defender_release(&d);
}

static void test_quarantine_paths(void **state)
{
	(void)state;
	assert_true(defender_is_quarantine_entry(
		"/ProgramData/Microsoft/Windows Defender/Quarantine/Entries/{80000000-0000-0000-0000-000000000000}"));
	assert_true(defender_is_quarantine_entry(
		"/programdata/microsoft/windows defender/quarantine/entries/{x}"));
	assert_false(defender_is_quarantine_entry(
		"/ProgramData/Microsoft/Windows Defender/Quarantine/ResourceData/AB/ABCD"));
	assert_false(defender_is_quarantine_entry("/ProgramData/Microsoft/Windows Defender/Quarantine/Entries/x"));
	assert_false(defender_is_quarantine_entry(
		"/ProgramData/Microsoft/Windows Defender/Quarantine/Entries/{x}/y"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_add_cover_caps),
		cmocka_unit_test(test_hive),
		cmocka_unit_test(test_quarantine_paths),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

#include <kenshu/banned.h>
