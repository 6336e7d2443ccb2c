/* Flags on autostart entries: data tables of places and names, each flag
 * with the reason a person reading the report is given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/windows.h>
#include <kenshu/artifacts.h>
#include <kenshu/banned.h>

const struct ar_flag_info ar_flag_info[] = {
	{ AR_FLAG_DETECTED, "target-detected", "ClamAV detected the file this entry starts" },
	{ AR_FLAG_TARGET_MISSING, "target-missing",
	  "the file it starts is not on the disk; what that means depends on the entry (a disabled service does not "
	  "run, a boot or automatic one fails at every start, a Run key or task outside Windows may be waiting for a "
	  "dropper to re-create its file): each entry's finding says which" },
	{ AR_FLAG_USER_WRITABLE, "user-writable-location",
	  "the file it starts lies where users or any program can write (Users, ProgramData, Temp, Public, Recycle Bin)" },
	{ AR_FLAG_SCRIPT_HOST, "script-host",
	  "a script host or system utility (LOLBin) runs a script, a URL or inline code" },
	{ AR_FLAG_ENCODED, "encoded-command", "PowerShell runs an encoded command (decoded in the report)" },
	{ AR_FLAG_HIDDEN_TASK, "hidden-task", "a scheduled task marked hidden from the Task Scheduler's view" },
	{ AR_FLAG_MASQUERADE, "masquerade",
	  "named like a Windows system program (or one letter off) but outside the Windows folder" },
	{ AR_FLAG_WINLOGON, "winlogon-modified", "Winlogon Shell or Userinit is not the Windows default" },
	{ AR_FLAG_IFEO_ACCESSIBILITY, "ifeo-accessibility",
	  "a debugger replaces an accessibility program that runs at the logon screen without a password" },
	{ AR_FLAG_PATH_HIJACK, "unquoted-path-hijack",
	  "an unquoted path with spaces: a program at a shorter prefix runs instead" },
	{ AR_FLAG_OTHER_CONTROL_SET, "other-control-set",
	  "only in a control set Windows is not using now: it runs after a \"last known good\" or fallback boot" },
	{ AR_FLAG_COM_HIJACK, "com-hijack",
	  "a COM class registered for one user with another server than the machine's: every program that user runs loads it instead (no admin rights needed)" },
	{ AR_FLAG_TASK_UNREGISTERED, "task-unregistered",
	  "the task's file and the Task Scheduler's registry cache disagree: a task without its file, or a file the scheduler does not run" },
	{ AR_FLAG_RENAMED, "renamed-binary",
	  "the file's own version information names another original file: a known tool renamed to look harmless" },
	{ AR_FLAG_WMI_CONSUMER, "wmi-consumer",
	  "a WMI event subscription runs a command line or script when its event fires; Windows ships none, and they survive most clean-ups" },
};
const size_t ar_nflag_info = sizeof(ar_flag_info) / sizeof(ar_flag_info[0]);

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Path prefixes anyone (or any user) can write to. */
static const char *const writable[] = {
	"/Users/", "/ProgramData/", "/Windows/Temp/", "/Temp/", "/$Recycle.Bin/", "/RECYCLER/",
	"/Documents and Settings/",
};

bool autorun_path_user_writable(const char *path)
{
	for (size_t i = 0; i < N(writable); i++)
		if (!strncasecmp(path, writable[i], strlen(writable[i])))
			return true;
	return false;
}

static const char *const system_names[] = {
	"csrss.exe", "explorer.exe", "lsass.exe", "lsm.exe", "rundll32.exe", "services.exe",
	"smss.exe", "spoolsv.exe", "svchost.exe", "taskhost.exe", "taskhostw.exe", "wininit.exe",
	"winlogon.exe", "dllhost.exe", "conhost.exe", "userinit.exe",
};

static const char *const accessibility[] = {
	"sethc.exe", "utilman.exe", "osk.exe", "narrator.exe", "magnify.exe", "displayswitch.exe",
	"atbroker.exe",
};

static const struct {
	const char *name;
	const char *value;  /* the default, compared without case */
} winlogon_defaults[] = {
	{ "Shell", "explorer.exe" },
	{ "Userinit", "C:\\Windows\\system32\\userinit.exe" },
};


/* Levenshtein distance up to 1, case-insensitive: svchosts.exe, scvhost.exe... */
static int one_off(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0, j = 0;
	int edits = 0;

	if (la > lb + 1 || lb > la + 1)
		return 0;
	while (i < la && j < lb) {
		if ((a[i] | 0x20) == (b[j] | 0x20)) {
			i++, j++;
			continue;
		}
		if (++edits > 1)
			return 0;
		if (la > lb)
			i++;
		else if (lb > la)
			j++;
		else if (i + 1 < la && (a[i] | 0x20) == (b[j + 1] | 0x20) && (a[i + 1] | 0x20) == (b[j] | 0x20))
			i += 2, j += 2;   /* a swap of two letters counts as one */
		else
			i++, j++;
	}
	return edits + (int)(la - i) + (int)(lb - j) <= 1;
}

static int in_windows(const char *path)
{
	return !strncasecmp(path, "/Windows/", 9) || !strncasecmp(path, "/WINNT/", 7);
}

/* Version info that says Microsoft wrote the file. */
static bool claims_microsoft(const struct autorun_pe *pe)
{
	return pe->company && !strncasecmp(pe->company, "Microsoft", 9);
}

static bool in_root(const char *path, const char *system_root)
{
	size_t rl = strlen(system_root);

	return !strncasecmp(path, system_root, rl) && path[rl] == '/';
}

bool autorun_is_windows_default(const struct autorun *a, const char *system_root)
{
	if (a->flags || !a->target || !in_root(a->target, system_root))
		return false;
	/* A file that is itself the entry (a PowerShell profile in System32)
	 * is nothing Windows ships. */
	if (a->command[0] == '/')
		return false;
	/* The version resource is the file's own claim; only Microsoft's
	 * Windows signature, embedded or through a catalog, is proof. Both
	 * are required: a Windows-signed program copied outside the Windows
	 * folder is a LOLBin copy, not Windows' own entry. */
	return a->target_sig && a->target_sig->status == SIG_VALID && a->target_sig->microsoft_windows;
}

const char *autorun_trust_note(const struct autorun *a, char *buf, size_t n)
{
	const struct sig_result *s = a->target_sig;
	const char *who = s && s->signer_name ? s->signer_name : "an unnamed signer";
	const char *why = s && s->reason ? s->reason : "";

	buf[0] = 0;
	if (!a->target || a->target_exists != 1)
		return buf;
	if (!s || s->status == SIG_NOT_CHECKED) {
		snprintf(buf, n, "not a signed program type (no Authenticode check), not in any catalog");
		return buf;
	}
	switch (s->status) {
	case SIG_VALID:
		if (s->microsoft_windows)
			snprintf(buf, n, "signed by %s%s%s", who,
				 s->source == SIG_SRC_CATALOG ? " through catalog " : "",
				 s->source == SIG_SRC_CATALOG && s->catalog ? path_base(s->catalog) : "");
		else
			snprintf(buf, n, "signed by %s (not Microsoft Windows)%s%s", who,
				 s->source == SIG_SRC_CATALOG ? " through catalog " : "",
				 s->source == SIG_SRC_CATALOG && s->catalog ? path_base(s->catalog) : "");
		break;
	case SIG_UNSIGNED:
		snprintf(buf, n, "unsigned: no embedded signature and not in any catalog");
		break;
	case SIG_INVALID:
		snprintf(buf, n, "signature does not match the file: %s", why);
		break;
	case SIG_UNTRUSTED:
		snprintf(buf, n, "signed by %s, not trusted: %s", who, why);
		break;
	case SIG_ERROR:
		snprintf(buf, n, "signature cannot be read: %s", why);
		break;
	case SIG_NOT_CHECKED:
		break;
	}
	return buf;
}

const char *autorun_value_name(const struct autorun *a)
{
	const struct autorun_loc *l = a->loc;

	if (!l || !l->key)
		return NULL;   /* a file, a task, a WMI subscription */
	switch (l->rule) {
	case AR_ALL_VALUES:
	case AR_SUBKEY_ALL_VALUES:
		return a->name;
	case AR_VALUE:
	case AR_SUBKEY_VALUE:
		return l->value && !strchr(l->value, '*') ? l->value : a->name;
	case AR_SUBKEY_NAMES:
		/* The subkey is the entry; a value is shown when it is what was
		 * read (a CLSID in the default value), not when the name is. */
		if (l->value && (l->com == AR_COM_DATA || (l->com == AR_COM_NONE && a->command[0])))
			return l->value;
		return NULL;
	}
	return NULL;
}

char *autorun_where(const struct autorun *a)
{
	const char *vn = autorun_value_name(a), *loc = a->location, *name = a->name ? a->name : "";
	size_t ll = strlen(loc), nl = strlen(name);

	if (vn)
		return xasprintf("%s [%s]", loc, *vn ? vn : "(default)");
	if (a->category && !strcmp(a->category, "WMI event subscription"))
		return xasprintf("%s.Name=\"%s\"", loc, name);
	/* A key or file named by the entry already (a BHO's key, a task's file). */
	if (!nl || (ll > nl && !strcasecmp(loc + ll - nl, name) && strchr("\\/", loc[ll - nl - 1])) ||
	    (name[0] == '/' && ll >= nl && !strcasecmp(loc + ll - nl, name)))
		return xstrdup(loc);
	if (a->category && !strcmp(a->category, "Scheduled task"))
		return xasprintf("%s (task %s)", loc, name);
	if (loc[0] == '/')
		return xasprintf("%s/%s", loc, name);   /* a file in a Startup folder */
	return xasprintf("%s (%s)", loc, name);
}

bool autorun_in_system_root(const struct autorun *a, const char *system_root)
{
	size_t rl = system_root ? strlen(system_root) : 0;

	return rl && a->target && !strncasecmp(a->target, system_root, rl) && a->target[rl] == '/';
}

static const char *start_name(uint32_t start)
{
	static const char *const names[] = { "boot", "system", "automatic", "on demand", "disabled" };

	return start < sizeof(names) / sizeof(names[0]) ? names[start] : "unknown";
}

char *autorun_missing_reason(const struct autorun *a, bool windows_own)
{
	static const char missing[] = "the file it starts is not on the disk";
	const char *why = windows_own ? "a Windows component missing from this image"
				      : "a leftover of a program removed without its entry";

	if (a->service && !a->has_start)
		return xasprintf("%s; the service has no Start value, so when it would run is unknown: %s", missing,
				 why);
	if (a->service) {
		switch (a->start) {
		case 4:
			return xasprintf("%s, but the service is disabled (Start = 4): nothing runs; %s", missing, why);
		case 3:
			return xasprintf("%s; the service starts on demand (Start = 3) and fails when something starts "
					 "it: %s", missing, why);
		case 0:
		case 1:
		case 2:
			if (a->other_control_set)
				return xasprintf("%s; the %s would start at boot (Start = %u, %s) only when Windows "
						 "boots ControlSet%03u, and fail: %s", missing,
						 a->start < 2 ? "driver" : "service", a->start, start_name(a->start),
						 a->other_control_set, why);
			return xasprintf("%s and the %s starts at every boot (Start = %u, %s), failing each time: %s",
					 missing, a->start < 2 ? "driver" : "service", a->start, start_name(a->start),
					 why);
		default:
			return xasprintf("%s; the service's Start value %u is none Windows knows: %s", missing, a->start,
					 why);
		}
	}
	if (windows_own)
		return xasprintf("%s: %s", missing, why);
	/* Outside Windows, a Run key or task whose file is gone is how some
	 * droppers wait (the miner worm's Run key re-creates it). */
	return xasprintf("%s: a leftover of a removed program, or an entry whose file a dropper may re-create",
			 missing);
}

/* OriginalFilename other than the file's own name. Windows' own files say
 * "cmd.exe.mui"; and some Microsoft files are legitimately installed under
 * another name (ntkrnlmp.exe as ntoskrnl.exe), so those are not held
 * against a Microsoft file inside the Windows folder. */
static bool renamed(const struct autorun *a)
{
	const char *base, *orig;
	size_t ol;

	if (!a->pe || !a->pe->original_filename || !a->target)
		return false;
	base = path_base(a->target);
	orig = a->pe->original_filename;
	ol = strlen(orig);
	if (ol > 4 && !strcasecmp(orig + ol - 4, ".mui"))
		ol -= 4;
	if (strlen(base) == ol && !strncasecmp(base, orig, ol))
		return false;
	return !(claims_microsoft(a->pe) && in_windows(a->target));
}

void autorun_judge(struct autorun *a)
{
	const char *t = a->target;
	unsigned f = 0;

	if (a->target_detection)
		f |= AR_FLAG_DETECTED;
	if (a->target_exists == 0)
		f |= AR_FLAG_TARGET_MISSING;
	/* A file in a Startup folder is where it has to be; what it starts is judged. */
	int self = t && a->command[0] == '/' && !strcmp(t, a->command);
	if (t && !self)
		if (autorun_path_user_writable(t))
			f |= AR_FLAG_USER_WRITABLE;
	if (a->resolve_flags & (CMD_F_SCRIPT | CMD_F_URL | CMD_F_INLINE))
		f |= AR_FLAG_SCRIPT_HOST;
	if (a->resolve_flags & CMD_F_ENCODED)
		f |= AR_FLAG_ENCODED;
	if (a->resolve_flags & CMD_F_SPACE_HIJACK)
		f |= AR_FLAG_PATH_HIJACK;
	if (!strcmp(a->category, "Scheduled task") && a->note && !strncmp(a->note, "hidden", 6))
		f |= AR_FLAG_HIDDEN_TASK;
	if (t && !in_windows(t)) {
		const char *base = path_base(t);
		for (size_t i = 0; i < N(system_names); i++)
			if (one_off(base, system_names[i]))
				f |= AR_FLAG_MASQUERADE;
	}
	if (!strcmp(a->category, "Winlogon")) {
		for (size_t i = 0; i < N(winlogon_defaults); i++)
			if (!strcasecmp(a->name, winlogon_defaults[i].name) &&
			    strcasecmp(a->command, winlogon_defaults[i].value) != 0)
				f |= AR_FLAG_WINLOGON;
	}
	if (!strcmp(a->category, "Image File Execution Options") && a->loc && a->loc->value &&
	    !strcasecmp(a->loc->value, "Debugger"))
		for (size_t i = 0; i < N(accessibility); i++)
			if (!strcasecmp(a->name, accessibility[i]))
				f |= AR_FLAG_IFEO_ACCESSIBILITY;
	if (a->other_control_set)
		f |= AR_FLAG_OTHER_CONTROL_SET;
	if (a->shadows)
		f |= AR_FLAG_COM_HIJACK;
	if (renamed(a))
		f |= AR_FLAG_RENAMED;
	a->flags |= f;   /* task-unregistered is set when the task store is compared */
}
