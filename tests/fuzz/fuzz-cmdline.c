/* Command-line resolution: what a Run value, service ImagePath, task
 * <Exec> or shortcut really runs (%VAR% expansion, NT and Win32 prefixes,
 * quoting, unquoted paths with spaces, script hosts and their payloads). */
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

static const struct cmd_env env[] = {
	{ "SystemRoot", "C:\\Windows" },
	{ "windir", "C:\\Windows" },
	{ "SystemDrive", "C:" },
	{ "ProgramFiles", "C:\\Program Files" },
	{ "ProgramFiles(x86)", "C:\\Program Files (x86)" },
	{ "ProgramData", "C:\\ProgramData" },
	{ "APPDATA", "C:\\Users\\operator\\AppData\\Roaming" },
	{ "LOCALAPPDATA", "C:\\Users\\operator\\AppData\\Local" },
	{ "USERPROFILE", "C:\\Users\\operator" },
	{ "TEMP", "C:\\Users\\operator\\AppData\\Local\\Temp" },
	{ "LOOP", "%LOOP%%LOOP%" },
};

/* A deterministic image: the usual hosts and vendor files exist, and so
 * does every path whose length is a multiple of 7, so that both outcomes of
 * each probe are reachable from any input. */
static int exists(void *ctx, const char *path)
{
	static const char *const present[] = {
		"/windows/system32/cmd.exe", "/windows/system32/rundll32.exe", "/windows/system32/svchost.exe",
		"/windows/system32/windowspowershell/v1.0/powershell.exe", "/windows/system32/wscript.exe",
		"/windows/system32/mshta.exe", "/windows/system32/regsvr32.exe", "/program files/vendor/hmi/hmi.exe",
	};
	(void)ctx;
	for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++)
		if (!strcasecmp(path, present[i]))
			return 1;
	return strlen(path) % 7 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cmd = fuzz_strndup(data, size);
	struct cmd_resolution r;

	if (cmd_resolve(cmd, env, sizeof(env) / sizeof(env[0]), exists, NULL, &r) == 0)
		cmd_resolution_release(&r);
	free(cmd);
	return 0;
}
