/* The autostart table and its collector, on hives built at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/windows.h>
#include <kenshu/core.h>
#include <kenshu/artifacts.h>

static char dir[] = "/tmp/kenshu-test-autorun-XXXXXX";

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* Builds a hive from .reg text with build/tools/mkhive and opens it. */
static struct hive *hive_from(const char *reg_text)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char *reg = xasprintf("%s/in.reg", dir), *out = xasprintf("%s/out.hive", dir);
	char *cmd = xasprintf("'%s/mkhive' '%s' '%s'", tools ? tools : "build/tools", out, reg);
	FILE *f = fopen(reg, "w");
	struct hive *h = NULL;
	struct hive_health hh;
	void *data;
	long n;

	assert_non_null(f);
	fputs("Windows Registry Editor Version 5.00\n\n", f);
	fputs(reg_text, f);
	fclose(f);
	assert_int_equal(system(cmd), 0);
	f = fopen(out, "rb");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = xmalloc((size_t)n);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_int_equal(hive_open_mem(data, (size_t)n, &h, &hh), 0);
	free(data);
	free(reg);
	free(out);
	free(cmd);
	return h;
}

static const struct autorun *find(const struct autorun_list *l, const char *category, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].category, category) && !strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static void table_sorted_unique_documented(void **state)
{
	for (size_t i = 0; i < autorun_nlocs; i++) {
		const struct autorun_loc *a = &autorun_locs[i];
		assert_non_null(a->category);
		assert_non_null(a->technique);
		assert_true(strncmp(a->technique, "T1", 2) == 0);
		assert_non_null(a->why);
		/* Rules over named values need the name; the others take all, or
		 * (subkey names) an optional value. */
		if (a->rule == AR_VALUE || a->rule == AR_SUBKEY_VALUE)
			assert_non_null(a->value);
		if (a->rule == AR_ALL_VALUES || a->rule == AR_SUBKEY_ALL_VALUES)
			assert_null(a->value);
		if (i == 0)
			continue;
		const struct autorun_loc *p = &autorun_locs[i - 1];
		assert_true(p->hive <= a->hive);
		if (p->hive == a->hive) {
			int c = strcmp(p->key, a->key);
			assert_true(c <= 0);
			if (c == 0)   /* same key: different value or sub key */
				assert_true(strcmp(p->value ? p->value : "", a->value ? a->value : "") != 0 ||
					    strcmp(p->sub ? p->sub : "", a->sub ? a->sub : "") != 0);
		}
	}
}

static void software_locations(void **state)
{
	struct hive *h = hive_from(
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run]\n"
		"\"Updater\"=\"C:\\\\ProgramData\\\\Updater\\\\bankupd.exe\"\n"
		"@=\"C:\\\\default.exe\"\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]\n"
		"\"Shell\"=\"explorer.exe, C:\\\\Users\\\\Public\\\\svchosts.exe\"\n"
		"\"DefaultUserName\"=\"operator\"\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe]\n"
		"\"Debugger\"=\"C:\\\\Windows\\\\System32\\\\cmd.exe\"\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\notepad.exe]\n"
		"\"UseFilter\"=dword:00000001\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce]\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnceEx\\0001]\n"
		"\"step1\"=\"C:\\\\Windows\\\\Temp\\\\s.exe\"\n");
	struct autorun_list l = { 0 };
	const struct autorun *a;

	autorun_collect(h, AR_SOFTWARE, 0, NULL, 2, &l);
	autorun_sort(&l);
	/* Winlogon Shell lists two programs: one entry each. */
	assert_int_equal(l.n, 6);
	a = find(&l, "RunOnceEx", "step1");
	assert_non_null(a);
	assert_string_equal(a->location, "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnceEx\\0001");
	a = find(&l, "Run", "Updater");
	assert_non_null(a);
	assert_string_equal(a->command, "C:\\ProgramData\\Updater\\bankupd.exe");
	assert_string_equal(a->location, "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run");
	assert_string_equal(a->technique, "T1547.001");
	assert_null(a->user);
	assert_int_equal(a->volume, 2);
	assert_non_null(find(&l, "Run", ""));            /* the default value counts too */
	size_t shells = 0;
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].name, "Shell"))
			shells++;
	assert_int_equal(shells, 2);
	assert_string_equal(l.v[l.n - 1].category, "Winlogon");
	assert_null(find(&l, "Winlogon", "DefaultUserName")); /* only the named values */
	a = find(&l, "Image File Execution Options", "sethc.exe");
	assert_non_null(a);
	assert_string_equal(a->command, "C:\\Windows\\System32\\cmd.exe");
	assert_null(find(&l, "Image File Execution Options", "notepad.exe"));
	/* sorted: category, then location, then name */
	for (size_t i = 1; i < l.n; i++)
		assert_true(strcmp(l.v[i - 1].category, l.v[i].category) <= 0);
	autorun_list_release(&l);
	hive_close(h);
}

static void system_uses_the_current_control_set(void **state)
{
	struct hive *h = hive_from(
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\evil]\n"
		"\"ImagePath\"=\"C:\\\\Users\\\\Public\\\\evil.exe\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\good]\n"
		"\"ImagePath\"=expand:\"%SystemRoot%\\\\system32\\\\svchost.exe -k netsvcs\"\n"
		"\"Start\"=dword:00000004\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\good\\Parameters]\n"
		"\"ServiceDll\"=expand:\"%SystemRoot%\\\\system32\\\\good.dll\"\n"
		"\"FailureCommand\"=\"not here\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Control\\Session Manager]\n"
		"\"BootExecute\"=multi:\"autocheck autochk *\",\"C:\\\\evil.exe\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Control\\Lsa]\n"
		"\"Security Packages\"=multi:\"kerberos\",\"msv1_0\"\n");
	struct autorun_list l = { 0 };

	autorun_collect(h, AR_SYSTEM, 2, NULL, 1, &l);
	autorun_sort(&l);
	assert_null(find(&l, "Services and drivers", "evil"));   /* ControlSet001 is not current */
	const struct autorun *svc = find(&l, "Services and drivers", "good");
	assert_non_null(svc);
	/* Whether it runs at all: the service's Start, for its DLL too. */
	assert_true(svc->service && svc->has_start);
	assert_int_equal(svc->start, 4);
	const struct autorun *dll = find(&l, "Service DLLs", "good");
	assert_non_null(dll);
	assert_true(dll->service && dll->has_start);
	assert_int_equal(dll->start, 4);
	assert_string_equal(dll->command, "%SystemRoot%\\system32\\good.dll");
	assert_string_equal(dll->location, "HKLM\\SYSTEM\\ControlSet002\\Services\\good\\Parameters");
	assert_null(find(&l, "Service failure command", "good")); /* FailureCommand lives on the service key */
	size_t boot = 0, lsa = 0;
	for (size_t i = 0; i < l.n; i++) {
		boot += !strcmp(l.v[i].category, "Boot execute");
		lsa += !strcmp(l.v[i].category, "LSA packages");
	}
	assert_int_equal(boot, 2);   /* one entry per string */
	assert_int_equal(lsa, 2);
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].category, "Boot execute"))
			assert_false(l.v[i].service);
	autorun_list_release(&l);

	/* ControlSet001 is not current: its extra service is reported as a
	 * difference, once, and flagged. */
	autorun_other_control_sets(h, 2, 1, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "evil");
	assert_int_equal(l.v[0].other_control_set, 1);
	assert_true(l.v[0].service);
	assert_false(l.v[0].has_start);   /* evil has no Start value */
	assert_non_null(strstr(l.v[0].note, "only in ControlSet001"));
	autorun_judge(&l.v[0]);
	assert_true(l.v[0].flags & AR_FLAG_OTHER_CONTROL_SET);
	autorun_list_release(&l);
	hive_close(h);
}

static const struct autorun *find_cmd(const struct autorun_list *l, const char *category, const char *command)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].category, category) && !strcmp(l->v[i].command, command))
			return &l->v[i];
	return NULL;
}

/* LSA packages, security providers, print processors and monitors name a
 * DLL the way their loader finds it: a bare name in System32 (".dll"
 * added when there is no extension), a print processor in its print
 * environment's prtprocs folder; a path is loaded as written. */
static void bare_dll_load_paths(void **state)
{
	static const struct {
		const char *category, *command, *load_path;   /* NULL: none */
	} want[] = {
		{ "LSA packages", "kerberos", "%SystemRoot%\\System32\\kerberos.dll" },
		{ "LSA packages", "schannel", "%SystemRoot%\\System32\\schannel.dll" },
		{ "LSA packages", "msv1_0", "%SystemRoot%\\System32\\msv1_0.dll" },
		{ "LSA packages", "scecli", "%SystemRoot%\\System32\\scecli.dll" },
		{ "LSA packages", "rassfm.dll", "%SystemRoot%\\System32\\rassfm.dll" },
		{ "LSA packages", "C:\\Users\\Public\\mimilib", "C:\\Users\\Public\\mimilib.dll" },
		{ "LSA packages", "pku2u", "%SystemRoot%\\System32\\pku2u.dll" },
		{ "LSA packages", "credssp.dll", "%SystemRoot%\\System32\\credssp.dll" },
		{ "Print processors", "winprint.dll", "%SystemRoot%\\System32\\spool\\prtprocs\\x64\\winprint.dll" },
		{ "Print processors", "hpzpp.dll", "%SystemRoot%\\System32\\spool\\prtprocs\\w32x86\\hpzpp.dll" },
		{ "Print processors", "odd.dll", NULL },
		{ "Print monitors", "localspl.dll", "%SystemRoot%\\System32\\localspl.dll" },
		{ "Print monitors", "C:\\Vendor\\Print Mon\\pmon", "C:\\Vendor\\Print Mon\\pmon.dll" },
	};
	struct hive *h = hive_from(
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa]\n"
		"\"Authentication Packages\"=multi:\"msv1_0\",\"C:\\\\Users\\\\Public\\\\mimilib\"\n"
		"\"Notification Packages\"=multi:\"scecli\",\"rassfm.dll\"\n"
		"\"Security Packages\"=multi:\"kerberos\",\"schannel\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa\\OSConfig]\n"
		"\"Security Packages\"=multi:\"pku2u\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\SecurityProviders]\n"
		"\"SecurityProviders\"=\"credssp.dll\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Print\\Environments\\Windows x64\\Print Processors\\winprint]\n"
		"\"Driver\"=\"winprint.dll\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Print\\Environments\\windows nt X86\\Print Processors\\hp]\n"
		"\"Driver\"=\"hpzpp.dll\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Print\\Environments\\Windows Nowhere\\Print Processors\\odd]\n"
		"\"Driver\"=\"odd.dll\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Print\\Monitors\\Local Port]\n"
		"\"Driver\"=\"localspl.dll\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Print\\Monitors\\Vendor]\n"
		"\"Driver\"=\"C:\\\\Vendor\\\\Print Mon\\\\pmon\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\svc]\n"
		"\"ImagePath\"=\"svc.exe\"\n");
	struct autorun_list l = { 0 };
	size_t n = 0;

	autorun_collect(h, AR_SYSTEM, 1, NULL, 1, &l);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct autorun *a = find_cmd(&l, want[i].category, want[i].command);

		if (!a)
			fail_msg("no %s entry '%s'", want[i].category, want[i].command);
		if (want[i].load_path ? !a->load_path || strcmp(a->load_path, want[i].load_path) : a->load_path != NULL)
			fail_msg("%s '%s': load path '%s', expected '%s'", want[i].category, want[i].command,
				 a->load_path ? a->load_path : "(null)", want[i].load_path ? want[i].load_path : "(null)");
	}
	for (size_t i = 0; i < l.n; i++)
		n += !strcmp(l.v[i].category, "LSA packages");
	assert_int_equal(n, 8);   /* one entry per string */
	/* Other locations are resolved from their command, as before. */
	assert_null(find(&l, "Services and drivers", "svc")->load_path);
	autorun_list_release(&l);
	hive_close(h);
}

static void per_user(void **state)
{
	struct hive *h = hive_from(
		"[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run]\n"
		"\"OneDrive\"=\"C:\\\\Users\\\\operator\\\\AppData\\\\Local\\\\x.exe /background\"\n"
		"[HKEY_CURRENT_USER\\Control Panel\\Desktop]\n"
		"\"SCRNSAVE.EXE\"=\"C:\\\\Users\\\\operator\\\\evil.scr\"\n");
	struct autorun_list l = { 0 };

	autorun_collect(h, AR_NTUSER, 0, "operator", 2, &l);
	assert_int_equal(l.n, 2);
	const struct autorun *a = find(&l, "Run", "OneDrive");
	assert_non_null(a);
	assert_string_equal(a->user, "operator");
	assert_string_equal(a->location, "HKU\\operator\\Software\\Microsoft\\Windows\\CurrentVersion\\Run");
	assert_non_null(find(&l, "Screensaver", "SCRNSAVE.EXE"));
	autorun_list_release(&l);
	hive_close(h);
}

static void startup_folders(void **state)
{
	struct autorun_list l = { 0 };
	static const struct {
		const char *path;
		int is;
		const char *user;
	} cases[] = {
		{ "/ProgramData/Microsoft/Windows/Start Menu/Programs/Startup/evil.lnk", 1, NULL },
		{ "/PROGRAMDATA/microsoft/windows/start menu/programs/startup/a.bat", 1, NULL },
		{ "/Users/operator/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/x.exe", 1, "operator" },
		{ "/Documents and Settings/All Users/Start Menu/Programs/Startup/old.lnk", 1, NULL },
		{ "/Documents and Settings/bob/Start Menu/Programs/Startup/b.vbs", 1, "bob" },
		{ "/ProgramData/Microsoft/Windows/Start Menu/Programs/Startup/desktop.ini", 0, NULL },
		{ "/ProgramData/Microsoft/Windows/Start Menu/Programs/Startup/sub/deeper.exe", 0, NULL },
		{ "/ProgramData/Microsoft/Windows/Start Menu/Programs/Accessories/x.lnk", 0, NULL },
		{ "/Users/operator/Desktop/Startup/x.exe", 0, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t before = l.n;
		assert_int_equal(autorun_startup_file(cases[i].path, 3, &l), cases[i].is);
		assert_int_equal(l.n, before + (size_t)cases[i].is);
		if (!cases[i].is)
			continue;
		const struct autorun *a = &l.v[l.n - 1];
		assert_string_equal(a->category, "Startup folder");
		assert_string_equal(a->command, cases[i].path);
		assert_int_equal(a->volume, 3);
		if (cases[i].user)
			assert_string_equal(a->user, cases[i].user);
		else
			assert_null(a->user);
		assert_string_equal(a->name, strrchr(cases[i].path, '/') + 1);
	}
	autorun_list_release(&l);
}


#define CLSID_A "{11111111-2222-3333-4444-555555555555}"
#define CLSID_B "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}"
#define CLSID_C "{01234567-89AB-CDEF-0123-456789ABCDEF}"
#define CLSID_D "{DDDDDDDD-0000-0000-0000-000000000001}"

static const char machine_com[] =
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Browser Helper Objects\\" CLSID_A "]\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\" CLSID_A "\\InprocServer32]\n"
	"@=\"C:\\\\Program Files\\\\Vendor\\\\bho.dll\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\ShellServiceObjectDelayLoad]\n"
	"\"Tray\"=\"" CLSID_B "\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Wow6432Node\\CLSID\\" CLSID_B "\\InprocServer32]\n"
	"@=expand:\"%SystemRoot%\\\\SysWOW64\\\\tray32.dll\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Shell Extensions\\Approved]\n"
	"\"" CLSID_C "\"=\"An extension whose class is gone\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Office\\Excel\\Addins\\Vendor.Addin]\n"
	"\"LoadBehavior\"=dword:00000003\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Vendor.Addin\\CLSID]\n"
	"@=\"" CLSID_D "\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\" CLSID_D "\\LocalServer32]\n"
	"@=\"C:\\\\ProgramData\\\\Vendor\\\\addin.exe\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Office\\Word\\Addins\\Vendor.Vsto]\n"
	"\"Manifest\"=\"file:///C:/Program Files/Vendor/report.vsto|vstolocal\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\NetSh]\n"
	"\"ifmon\"=\"ifmon.dll\"\n"
	"\"evil\"=\"C:\\\\ProgramData\\\\nh.dll\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\*\\shellex\\ContextMenuHandlers\\Vendor]\n"
	"@=\"" CLSID_A "\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Directory\\shellex\\ContextMenuHandlers\\" CLSID_A "]\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\osk.exe]\n"
	"\"GlobalFlag\"=dword:00000200\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit\\osk.exe]\n"
	"\"MonitorProcess\"=\"C:\\\\ProgramData\\\\mon.exe\"\n"
	/* Windows' own open command is no entry; a changed one is */
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\exefile\\shell\\open\\command]\n"
	"@=\"\\\"%1\\\" %*\"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\batfile\\shell\\open\\command]\n"
	"@=\"C:\\\\ProgramData\\\\w.exe \\\"%1\\\" %*\"\n";

static void com_classes_resolved(void **state)
{
	struct hive *h = hive_from(machine_com);
	struct autorun_list l = { 0 };
	const struct autorun *a;

	autorun_collect(h, AR_SOFTWARE, 0, NULL, 2, &l);
	autorun_resolve_com(&l, 0, h, NULL);
	autorun_sort(&l);

	a = find(&l, "Browser Helper Objects", CLSID_A);
	assert_non_null(a);
	assert_string_equal(a->command, "C:\\Program Files\\Vendor\\bho.dll");
	assert_string_equal(a->clsid, CLSID_A);
	assert_null(a->shadows);
	/* the 32-bit view is searched too */
	a = find(&l, "Explorer shell extensions", "Tray");
	assert_non_null(a);
	assert_string_equal(a->command, "%SystemRoot%\\SysWOW64\\tray32.dll");
	/* an approved extension whose class is gone starts nothing */
	a = find(&l, "Explorer shell extensions", CLSID_C);
	assert_non_null(a);
	assert_true(a->setting);
	assert_non_null(strstr(a->note, "no server"));
	/* a ProgID names the class, the class its server */
	a = find(&l, "Office add-ins", "Vendor.Addin");
	assert_non_null(a);
	assert_string_equal(a->location, "HKLM\\SOFTWARE\\Microsoft\\Office\\Excel\\Addins\\Vendor.Addin");
	assert_string_equal(a->clsid, CLSID_D);
	assert_string_equal(a->command, "C:\\ProgramData\\Vendor\\addin.exe");
	/* a VSTO add-in names its manifest */
	a = find(&l, "Office add-ins", "Vendor.Vsto");
	assert_non_null(a);
	assert_string_equal(a->command, "C:\\Program Files\\Vendor\\report.vsto");
	assert_null(a->clsid);
	assert_non_null(find(&l, "Netsh helpers", "ifmon"));
	assert_non_null(find(&l, "Netsh helpers", "evil"));
	/* "*" in Classes is the key of that name; the handler's class is its
	 * default value, or its own name */
	a = find(&l, "Explorer shell extensions", "Vendor");
	assert_non_null(a);
	assert_string_equal(a->location, "HKLM\\SOFTWARE\\Classes\\*\\shellex\\ContextMenuHandlers\\Vendor");
	assert_string_equal(a->command, "C:\\Program Files\\Vendor\\bho.dll");
	size_t handlers = 0;
	for (size_t i = 0; i < l.n; i++)
		handlers += l.v[i].clsid && !strcmp(l.v[i].clsid, CLSID_A);
	assert_int_equal(handlers, 3);
	/* GlobalFlag is a setting, not a program; the monitor process is */
	a = find(&l, "Image File Execution Options", "osk.exe");
	assert_non_null(a);
	size_t ifeo = 0;
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].category, "Image File Execution Options")) {
			ifeo++;
			if (strstr(l.v[i].location, "SilentProcessExit")) {
				assert_string_equal(l.v[i].command, "C:\\ProgramData\\mon.exe");
				assert_false(l.v[i].setting);
			} else {
				assert_true(l.v[i].setting);
				assert_string_equal(l.v[i].command, "512");
				autorun_judge(&l.v[i]);
				/* only a Debugger is the accessibility backdoor */
				assert_false(l.v[i].flags & AR_FLAG_IFEO_ACCESSIBILITY);
			}
		}
	assert_int_equal(ifeo, 2);
	size_t opens = 0;
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].category, "File type open command")) {
			opens++;
			assert_non_null(strstr(l.v[i].location, "batfile"));
			assert_string_equal(l.v[i].command, "C:\\ProgramData\\w.exe \"%1\" %*");
		}
	assert_int_equal(opens, 1);
	autorun_list_release(&l);
	hive_close(h);
}

static void per_user_classes_and_office(void **state)
{
	struct hive *sw = hive_from(machine_com);
	struct hive *cls = hive_from(
		"[HKEY_USERS\\S-1-5-21-1_Classes\\CLSID\\" CLSID_A "\\InprocServer32]\n"
		"@=\"C:\\\\Users\\\\operator\\\\AppData\\\\Roaming\\\\hook.dll\"\n"
		"[HKEY_USERS\\S-1-5-21-1_Classes\\CLSID\\" CLSID_C "\\InprocServer32]\n"
		"@=\"C:\\\\Users\\\\operator\\\\AppData\\\\Local\\\\own.dll\"\n"
		"[HKEY_USERS\\S-1-5-21-1_Classes\\CLSID\\{645FF040-5081-101B-9F08-00AA002F954E}\\shell\\open\\command]\n"
		"@=\"C:\\\\Users\\\\Public\\\\rb.exe\"\n");
	struct hive *nt = hive_from(
		"[HKEY_CURRENT_USER\\Software\\Microsoft\\Office test\\Special\\Perf]\n"
		"@=\"C:\\\\Users\\\\operator\\\\perf.dll\"\n"
		"[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\14.0\\Excel\\Options]\n"
		"\"OPEN\"=\"/R \\\"C:\\\\Users\\\\operator\\\\a.xll\\\"\"\n"
		"\"Font\"=\"Calibri,11\"\n"
		"[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Excel\\Options]\n"
		"\"OPEN1\"=\"C:\\\\Users\\\\operator\\\\b.xlam\"\n");
	struct autorun_list l = { 0 };
	const struct autorun *a;

	autorun_collect(cls, AR_USRCLASS, 0, "operator", 1, &l);
	autorun_collect(nt, AR_NTUSER, 0, "operator", 1, &l);
	autorun_resolve_com(&l, 0, sw, cls);
	autorun_sort(&l);

	/* the user's class overrides the machine's server: a COM hijack */
	a = find(&l, "COM objects (per user)", CLSID_A);
	assert_non_null(a);
	assert_string_equal(a->location, "HKU\\operator_Classes\\CLSID\\" CLSID_A "\\InprocServer32");
	assert_string_equal(a->command, "C:\\Users\\operator\\AppData\\Roaming\\hook.dll");
	assert_string_equal(a->shadows, "C:\\Program Files\\Vendor\\bho.dll");
	assert_string_equal(a->user, "operator");
	autorun_judge((struct autorun *)a);
	assert_true(a->flags & AR_FLAG_COM_HIJACK);
	/* a class the machine has without a server is not overridden */
	a = find(&l, "COM objects (per user)", CLSID_C);
	assert_non_null(a);
	assert_null(a->shadows);
	a = find(&l, "COM objects (per user)", "command");
	assert_non_null(a);
	assert_string_equal(a->command, "C:\\Users\\Public\\rb.exe");
	a = find(&l, "Office Test", "Perf");
	assert_non_null(a);
	assert_string_equal(a->command, "C:\\Users\\operator\\perf.dll");
	/* every Office version's Excel OPEN values, and nothing else there */
	a = find(&l, "Office add-ins", "OPEN");
	assert_non_null(a);
	assert_string_equal(a->location, "HKU\\operator\\Software\\Microsoft\\Office\\14.0\\Excel\\Options");
	assert_non_null(find(&l, "Office add-ins", "OPEN1"));
	assert_null(find(&l, "Office add-ins", "Font"));
	autorun_list_release(&l);
	hive_close(nt);
	hive_close(cls);
	hive_close(sw);
}

/* A hive with more keys under a "<*>" component than any real one (Office
 * versions, print environments) costs bounded work: 256 subkeys a level. */
static void key_glob_is_bounded(void **state)
{
	size_t len = 0, cap = 400 * 128;
	char *reg = xmalloc(cap);
	for (int i = 0; i < 400; i++)
		len += (size_t)snprintf(reg + len, cap - len,
					"[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\v%03d\\Excel\\Options]\n"
					"\"OPEN\"=\"x%d.xll\"\n", i, i);
	struct hive *h = hive_from(reg);
	struct autorun_list l = { 0 };

	autorun_collect(h, AR_NTUSER, 0, "u", 1, &l);
	assert_int_equal(l.n, 256);
	autorun_list_release(&l);
	hive_close(h);
	free(reg);
}

/* WMI consumers become entries; Windows' own SCM pair (no code) does not. */
static void wmi_subscriptions(void **state)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char *recipe = xasprintf("%s/r.wmi", dir), *out = xasprintf("%s/OBJECTS.DATA", dir);
	char *cmd = xasprintf("'%s/mkwmirepo' '%s' '%s'", tools ? tools : "build/tools", out, recipe);
	FILE *f = fopen(recipe, "w");

	assert_non_null(f);
	fputs("filter \"SCM Event Log Filter\" \"select * from MSFT_SCMEventLogEvent\"\n"
	      "binding NTEventLogEventConsumer \"SCM Event Log Consumer\" \"SCM Event Log Filter\"\n"
	      "filter Every60 \"SELECT * FROM __TimerEvent WHERE TimerID = 'T'\"\n"
	      "cmdline Upd \"C:\\\\ProgramData\\\\u.exe -q\"\n"
	      "binding CommandLineEventConsumer Upd Every60\n"
	      "script Kill VBScript \"WScript.Echo 1\"\n", f);
	fclose(f);
	assert_int_equal(system(cmd), 0);

	f = fopen(out, "rb");
	assert_non_null(f);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);

	struct autorun_list l = { 0 };
	struct ks_err err;
	assert_int_equal(autorun_wmi_file("/Windows/System32/wbem/Repository/OBJECTS.DATA", buf, n, 2, &l,
					  &err), 2);
	assert_int_equal(l.n, 2);
	autorun_sort(&l);
	const struct autorun *a = find(&l, "WMI event subscription", "Upd");
	assert_non_null(a);
	assert_string_equal(a->command, "C:\\ProgramData\\u.exe -q");
	assert_string_equal(a->technique, "T1546.003");
	assert_non_null(strstr(a->location, "CommandLineEventConsumer"));
	assert_non_null(strstr(a->note, "filter Every60: SELECT * FROM __TimerEvent"));
	assert_true(a->flags & AR_FLAG_WMI_CONSUMER);
	a = find(&l, "WMI event subscription", "Kill");
	assert_non_null(a);
	assert_string_equal(a->payload, "WScript.Echo 1");
	assert_string_equal(a->host, "scrcons.exe");
	assert_true(a->setting);                     /* inline code: no file target */
	assert_non_null(strstr(a->note, "not bound"));
	autorun_judge((struct autorun *)a);
	assert_true(a->flags & AR_FLAG_SCRIPT_HOST);
	assert_true(a->flags & AR_FLAG_WMI_CONSUMER); /* judging keeps what reading set */
	autorun_list_release(&l);

	/* Not a repository: an error, no entries. */
	memset(buf, 'A', 8192 * 2);
	assert_int_equal(autorun_wmi_file("/x", buf, 8192 * 2, 2, &l, &err), -1);
	assert_true(err.msg[0]);
	assert_int_equal(l.n, 0);
	free(recipe);
	free(out);
	free(cmd);
}

/* Task files against the Task Scheduler's cache, in both directions. */
static void taskcache_cross_check(void **state)
{
	static const char xml[] =
		"<?xml version=\"1.0\"?><Task xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">"
		"<Actions><Exec><Command>C:\\x.exe</Command></Exec></Actions></Task>";
	struct autorun_list l = { 0 };
	struct ks_err err;

	assert_int_equal(autorun_task_file("/Windows/System32/Tasks/Folder/Known", "/Windows/System32/Tasks", xml,
					   sizeof(xml) - 1, 2, &l, &err), 1);
	assert_int_equal(autorun_task_file("/Windows/System32/Tasks/Stray", "/Windows/System32/Tasks", xml,
					   sizeof(xml) - 1, 2, &l, &err), 1);

	/* the module's structs own writable strings */
	char cmd[] = "C:\\ProgramData\\g.exe", args[] = "-q", p1[] = "\\FOLDER\\known", p2[] = "\\Ghost",
	     p3[] = "\\Win7Only", i1[] = "{1}", i2[] = "{2}", i3[] = "{3}";
	struct taskcache_action act = { .kind = "Exec", .magic = 0x6666, .command = cmd, .arguments = args };
	struct taskcache_task t[3] = {
		/* the file's task, hidden Tarrask-style; names differ in case only */
		{ .path = p1, .id = i1, .in_tree = true, .in_tasks = true, .no_sd = true, .hidden = true },
		/* registered, no file, actions from the cache */
		{ .path = p2, .id = i2, .in_tree = true, .in_tasks = true,
		  .actions_state = TASKCACHE_ACTIONS_OK, .actions = { .version = 3, .v = &act, .n = 1 } },
		/* registered, no file, nothing known (Windows 7) */
		{ .path = p3, .id = i3, .in_tree = true, .in_tasks = true },
	};
	struct taskcache tc = { .v = t, .n = 3, .has_tree = true, .has_tasks = true };

	autorun_taskcache(&tc, 2, &l);
	assert_int_equal(l.n, 4);
	for (size_t i = 0; i < l.n; i++)
		autorun_judge(&l.v[i]);
	const struct autorun *a = find(&l, "Scheduled task", "/Folder/Known");
	assert_non_null(a);
	assert_true(a->flags & AR_FLAG_HIDDEN_TASK);
	assert_false(a->flags & AR_FLAG_TASK_UNREGISTERED);
	assert_non_null(strstr(a->note, "no security descriptor"));
	a = find(&l, "Scheduled task", "/Stray");
	assert_non_null(a);
	assert_true(a->flags & AR_FLAG_TASK_UNREGISTERED);
	a = find(&l, "Scheduled task", "/Ghost");
	assert_non_null(a);
	assert_string_equal(a->command, "C:\\ProgramData\\g.exe -q");
	assert_string_equal(a->location,
			    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tasks\\{2}");
	assert_true(a->flags & AR_FLAG_TASK_UNREGISTERED);
	assert_false(a->flags & AR_FLAG_HIDDEN_TASK);
	a = find(&l, "Scheduled task", "/Win7Only");
	assert_non_null(a);
	assert_true(a->setting);
	assert_non_null(strstr(a->note, "only in the missing file"));
	autorun_list_release(&l);

	/* No Tree (XP): files are not held against the cache. */
	assert_int_equal(autorun_task_file("/Windows/System32/Tasks/Stray", "/Windows/System32/Tasks", xml,
					   sizeof(xml) - 1, 2, &l, &err), 1);
	struct taskcache empty = { 0 };
	autorun_taskcache(&empty, 2, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].flags, 0);
	autorun_list_release(&l);
}

/* Version information: a renamed tool is flagged; Windows' own are defaults. */
static void version_info_judged(void **state)
{
	char target[] = "/Users/Public/svchosts.exe", command[] = "C:\\Users\\Public\\svchosts.exe";
	char company[] = "www.xmrig.com", orig[] = "xmrig.exe";
	struct autorun_pe pe = { .company = company, .original_filename = orig };
	struct autorun a = { .category = "Run", .name = command, .command = command, .target = target,
			     .target_exists = 1, .pe = &pe };

	autorun_judge(&a);
	assert_true(a.flags & AR_FLAG_RENAMED);
	assert_false(autorun_is_windows_default(&a, "/Windows"));

	/* Windows' own: "cmd.exe.mui", or another name inside Windows, are not renames. */
	char t2[] = "/Windows/System32/cmd.exe", ms[] = "Microsoft Corporation", o2[] = "Cmd.Exe.MUI";
	char t3[] = "/Windows/System32/ntoskrnl.exe", o3[] = "ntkrnlmp.exe";
	struct autorun_pe p2 = { .company = ms, .original_filename = o2 }, p3 = { .company = ms, .original_filename = o3 };
	char c2[] = "C:\\Windows\\System32\\cmd.exe /k";
	struct autorun b = { .category = "Run", .name = c2, .command = c2, .target = t2, .target_exists = 1, .pe = &p2 };
	autorun_judge(&b);
	assert_int_equal(b.flags, 0);
	/* Microsoft's version information is a claim: only Windows' signature
	 * makes the entry Windows' own. */
	assert_false(autorun_is_windows_default(&b, "/Windows"));
	struct sig_result ws = { .status = SIG_VALID, .source = SIG_SRC_CATALOG, .microsoft_windows = true };
	b.target_sig = &ws;
	assert_true(autorun_is_windows_default(&b, "/Windows"));
	b.target = t3;
	b.pe = &p3;
	autorun_judge(&b);
	assert_int_equal(b.flags, 0);

	/* A vendor's program in System32, signed by the vendor, is listed, not
	 * counted as Windows'. */
	char intel[] = "Intel Corporation", t4[] = "/Windows/System32/igfxtray.exe", o4[] = "igfxtray.exe";
	struct autorun_pe p4 = { .company = intel, .original_filename = o4 };
	struct sig_result vs = { .status = SIG_VALID, .source = SIG_SRC_EMBEDDED };
	b.target = t4;
	b.pe = &p4;
	b.target_sig = &vs;
	autorun_judge(&b);
	assert_int_equal(b.flags, 0);
	assert_false(autorun_is_windows_default(&b, "/Windows"));
	/* Not a PE (a script, a random file) in the Windows folder: place alone
	 * no longer makes it Windows' own. */
	b.pe = NULL;
	b.target_sig = NULL;
	assert_false(autorun_is_windows_default(&b, "/Windows"));
}

static void where_is(const struct autorun *a, const char *want)
{
	char *got;

	assert_non_null(a);
	got = autorun_where(a);
	assert_string_equal(got, want);
	free(got);
}

/* Every report names where an entry is registered alike: key and value
 * apart ("KEY [Value]"), so a service's ImagePath does not read as a
 * subkey named after the service; files and tasks as their path. */
static void where_key_and_value_apart(void **state)
{
	struct hive *h = hive_from(
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run]\n"
		"\"Updater\"=\"C:\\\\ProgramData\\\\Updater\\\\bankupd.exe\"\n"
		"@=\"C:\\\\default.exe\"\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe]\n"
		"\"Debugger\"=\"C:\\\\Windows\\\\System32\\\\cmd.exe\"\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Browser Helper Objects\\{6C1E7A52-9D3B-4F0E-8B41-2A57C0D9E311}]\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnceEx\\0001]\n"
		"\"step1\"=\"C:\\\\Windows\\\\Temp\\\\s.exe\"\n");
	struct hive *sys = hive_from(
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\HTTP]\n"
		"\"ImagePath\"=expand:\"system32\\\\drivers\\\\HTTP.sys\"\n"
		"\"Start\"=dword:00000003\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\HTTP\\Parameters]\n"
		"\"ServiceDll\"=expand:\"%SystemRoot%\\\\system32\\\\http.dll\"\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa]\n"
		"\"Notification Packages\"=multi:\"scecli\"\n");
	struct autorun_list l = { 0 };

	autorun_collect(h, AR_SOFTWARE, 0, NULL, 2, &l);
	autorun_collect(sys, AR_SYSTEM, 1, NULL, 2, &l);
	where_is(find(&l, "Run", "Updater"), "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run [Updater]");
	where_is(find(&l, "Run", ""), "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run [(default)]");
	where_is(find(&l, "Image File Execution Options", "sethc.exe"),
		 "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe [Debugger]");
	where_is(find(&l, "Browser Helper Objects", "{6C1E7A52-9D3B-4F0E-8B41-2A57C0D9E311}"),
		 "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Browser Helper Objects\\"
		 "{6C1E7A52-9D3B-4F0E-8B41-2A57C0D9E311}");
	where_is(find(&l, "RunOnceEx", "step1"), "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnceEx\\0001 [step1]");
	where_is(find(&l, "Services and drivers", "HTTP"), "HKLM\\SYSTEM\\ControlSet001\\Services\\HTTP [ImagePath]");
	where_is(find(&l, "Service DLLs", "HTTP"), "HKLM\\SYSTEM\\ControlSet001\\Services\\HTTP\\Parameters [ServiceDll]");
	where_is(find(&l, "LSA packages", "Notification Packages"),
		 "HKLM\\SYSTEM\\ControlSet001\\Control\\Lsa [Notification Packages]");
	assert_string_equal(autorun_value_name(find(&l, "Services and drivers", "HTTP")), "ImagePath");
	assert_null(autorun_value_name(find(&l, "Browser Helper Objects", "{6C1E7A52-9D3B-4F0E-8B41-2A57C0D9E311}")));
	autorun_list_release(&l);

	/* Files: a Startup folder's file is its path. */
	assert_int_equal(autorun_startup_file("/ProgramData/Microsoft/Windows/Start Menu/Programs/Startup/HMI Panel.lnk", 2,
					      &l), 1);
	where_is(&l.v[0], "/ProgramData/Microsoft/Windows/Start Menu/Programs/Startup/HMI Panel.lnk");
	assert_null(autorun_value_name(&l.v[0]));
	autorun_list_release(&l);
	/* A task: its file, or its cache key with the task's name; a WMI
	 * consumer by its object path. */
	struct autorun t = { .category = "Scheduled task", .location = (char *)"/Windows/System32/Tasks/Vendor/Backup",
			     .name = (char *)"/Vendor/Backup", .command = (char *)"x" };
	where_is(&t, "/Windows/System32/Tasks/Vendor/Backup");
	t.location = (char *)"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tasks\\{9B}";
	where_is(&t, "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tasks\\{9B} "
		     "(task /Vendor/Backup)");
	struct autorun w = { .category = "WMI event subscription",
			     .location = (char *)"/Windows/System32/wbem/Repository/OBJECTS.DATA:ROOT\\subscription\\"
						 "CommandLineEventConsumer",
			     .name = (char *)"Updater", .command = (char *)"x" };
	where_is(&w, "/Windows/System32/wbem/Repository/OBJECTS.DATA:ROOT\\subscription\\CommandLineEventConsumer"
		     ".Name=\"Updater\"");
	hive_close(h);
	hive_close(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_sorted_unique_documented),
		cmocka_unit_test(software_locations),
		cmocka_unit_test(where_key_and_value_apart),
		cmocka_unit_test(system_uses_the_current_control_set),
		cmocka_unit_test(bare_dll_load_paths),
		cmocka_unit_test(per_user),
		cmocka_unit_test(startup_folders),
		cmocka_unit_test(com_classes_resolved),
		cmocka_unit_test(per_user_classes_and_office),
		cmocka_unit_test(key_glob_is_bounded),
		cmocka_unit_test(wmi_subscriptions),
		cmocka_unit_test(taskcache_cross_check),
		cmocka_unit_test(version_info_judged),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
