/* autorun: every way code starts at boot or logon, from the offline
 * registry. The locations are one data table (scanner/autorun_table.c):
 * a row names the hive, the key, which values count, the category, why it
 * matters and the ATT&CK technique. */
#ifndef KENSHU_AUTORUN_H
#define KENSHU_AUTORUN_H

#include <stdbool.h>
#include <stddef.h>

#include <kenshu/hive.h>
#include <kenshu/taskcache.h>

enum ar_hive {
	AR_SOFTWARE = 0,  /* HKLM\SOFTWARE */
	AR_SYSTEM,        /* HKLM\SYSTEM\ControlSetNNN (the Select\Current set) */
	AR_NTUSER,        /* HKU\<user> (each profile's NTUSER.DAT) */
	AR_USRCLASS,      /* HKU\<user>_Classes (each profile's UsrClass.dat) */
};

enum ar_rule {
	AR_ALL_VALUES = 0, /* every value of the key */
	AR_VALUE,          /* the named value of the key */
	AR_SUBKEY_VALUE,   /* the named value of every subkey (services, IFEO, Active Setup),
	                      or of a key below each subkey when `sub` is set */
	AR_SUBKEY_ALL_VALUES, /* every value of every subkey (RunOnceEx\0001...) */
	AR_SUBKEY_NAMES,   /* every subkey is an entry, named by the subkey; its command
	                      is `value` when set and present (BHOs, Office add-ins) */
};

enum ar_com {
	AR_COM_NONE = 0,
	AR_COM_DATA,      /* the value's data is a CLSID (ShellServiceObjectDelayLoad) */
	AR_COM_NAME,      /* the value or subkey name is a CLSID, else a ProgID (BHOs, add-ins);
	                     the data (a description) is not a program */
};

struct autorun_loc {
	enum ar_hive hive;
	const char *key;        /* below the hive root; for AR_SYSTEM below ControlSetNNN.
	                           A "<*>" component matches every subkey (Office\<*>\Addins);
	                           a plain "*" is the key of that name (Classes\*). */
	enum ar_rule rule;
	const char *value;      /* for AR_VALUE and AR_SUBKEY_VALUE ("" is the default
	                           value; "OPEN*" a glob over value names) */
	const char *sub;        /* AR_SUBKEY_VALUE: read value in this key below each subkey */
	char split;             /* the value lists several programs separated by this, or 0 */
	enum ar_com com;        /* the entry names a COM class, to be resolved to its server */
	bool setting;           /* the value is a setting (GlobalFlag), not a program */
	const char *windows_default; /* the value Windows ships: not an entry when equal
	                                (a file type's "%1" %*), an entry when changed */
	bool empty_matters;     /* an empty value is an entry too: it overrides a default
	                           (Winlogon Shell); elsewhere empty values start nothing */
	const char *category;
	const char *technique;  /* MITRE ATT&CK id */
	const char *why;
};

extern const struct autorun_loc autorun_locs[];
extern const size_t autorun_nlocs;

/* The version resource of a target that is a PE file (what Explorer shows
 * as its properties). Claims of the file itself: not a signature. */
struct autorun_pe {
	char *company, *product, *description, *original_filename;
	char *file_version;     /* the FileVersion string as written */
	char fixed_version[24]; /* VS_FIXEDFILEINFO "6.1.7601.23689", "" if none */
	char machine[8];        /* "x86", "x64", "arm64", "other" */
	bool is_dll;
};

struct autorun {
	const struct autorun_loc *loc; /* the table row (or a static row for files) */
	const char *category;   /* static, from the table */
	const char *technique;  /* static */
	char *location;         /* "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run" */
	char *name;             /* value name, or subkey name for AR_SUBKEY_VALUE rows */
	char *command;          /* as stored (one entry per REG_MULTI_SZ string) */
	char *user;             /* profile user for AR_NTUSER rows, else NULL */
	unsigned volume;
	char *note;             /* e.g. a task's "hidden; TimeTrigger every PT5M", else NULL */
	unsigned other_control_set; /* N when the entry is only in ControlSet00N, not the current set */
	bool setting;           /* a setting, not a program: no target */
	char *clsid;            /* "{...}" the entry names, after autorun_resolve_com() */
	char *shadows;          /* per-user COM class: the machine's server it overrides */
	struct autorun_pe *pe;  /* target's version info when it is a PE, else NULL */
	char *pe_error;         /* the target looks like a PE but is damaged, else NULL */
	/* Filled by autorun_resolve(): */
	char *target;           /* the file that runs, inside the volume, or NULL */
	int target_exists;      /* 1 yes, 0 no, -1 not applicable (no file: URL, inline code) */
	char *target_sha256;    /* from the scan's manifest, NULL if not scanned */
	char *target_detection; /* signature ClamAV found in the target, NULL if none */
	char *host;             /* script host or LOLBin that runs the payload */
	char *payload;          /* what the host runs */
	char *decoded;          /* powershell -EncodedCommand, decoded */
	unsigned resolve_flags; /* CMD_F_* from cmdline.h */
	unsigned flags;         /* AR_FLAG_*, set by autorun_judge() */
};

/* Why an entry deserves a look; each has a documented reason (report.md). */
enum {
	AR_FLAG_DETECTED = 1u << 0,        /* ClamAV detected the target */
	AR_FLAG_TARGET_MISSING = 1u << 1,  /* the file it runs is not on the disk */
	AR_FLAG_USER_WRITABLE = 1u << 2,   /* target in Users, ProgramData, Temp, Public, Recycle Bin */
	AR_FLAG_SCRIPT_HOST = 1u << 3,     /* a script host or LOLBin runs a script, URL or inline code */
	AR_FLAG_ENCODED = 1u << 4,         /* an encoded PowerShell command */
	AR_FLAG_HIDDEN_TASK = 1u << 5,     /* a scheduled task marked hidden */
	AR_FLAG_MASQUERADE = 1u << 6,      /* a Windows program's name (or one letter off) outside Windows */
	AR_FLAG_WINLOGON = 1u << 7,        /* Winlogon Shell/Userinit other than the defaults */
	AR_FLAG_IFEO_ACCESSIBILITY = 1u << 8, /* a debugger on an accessibility program (sticky keys...) */
	AR_FLAG_PATH_HIJACK = 1u << 9,     /* unquoted path with spaces that a shorter path hijacks */
	AR_FLAG_OTHER_CONTROL_SET = 1u << 10, /* only in a non-current ControlSet (e.g. LastKnownGood) */
	AR_FLAG_COM_HIJACK = 1u << 11,     /* a per-user COM class overriding the machine's */
	AR_FLAG_TASK_UNREGISTERED = 1u << 12, /* task file the Task Scheduler does not know, or the reverse */
	AR_FLAG_WMI_CONSUMER = 1u << 13,   /* a WMI event subscription that runs a command or script */
	AR_FLAG_RENAMED = 1u << 14,        /* the target's version info names another original file */
};

struct ar_flag_info {
	unsigned flag;
	const char *name;
	const char *reason;
};
extern const struct ar_flag_info ar_flag_info[];
extern const size_t ar_nflag_info;

/* Is this entry one of Windows' own? Its target is in the system root
 * (e.g. "/Windows"), it raises no flag, and if it is a PE its version
 * information names Microsoft. report.txt counts these instead of listing
 * them. */
bool autorun_is_windows_default(const struct autorun *a, const char *system_root);

/* Sets a->flags from its resolved fields (after autorun_resolve). */
void autorun_judge(struct autorun *a);

struct autorun_list {
	struct autorun *v;
	size_t n;
};

/* Appends the entries one hive holds. control_set is Select\Current (for
 * AR_SYSTEM), user the profile name (for AR_NTUSER). */
void autorun_collect(struct hive *h, enum ar_hive kind, unsigned control_set, const char *user,
		     unsigned volume, struct autorun_list *out);
/* COM entries [from, l->n) of l: finds the class (CLSID in the command or
 * name, else the name as a ProgID) and sets command to its server
 * (InprocServer32, else LocalServer32). user_classes (the profile's
 * UsrClass.dat, may be NULL) is searched before SOFTWARE\Classes, as
 * Windows does. Per-user CLSID entries (AR_USRCLASS) get `shadows` when
 * the machine registers the same class with another server. */
void autorun_resolve_com(struct autorun_list *l, size_t from, struct hive *software,
			 struct hive *user_classes);

/* If path (a file in the volume, '/'-separated) sits in a Startup folder —
 * all users' or a profile's, Vista+ or XP layout — appends it as an entry
 * and returns 1; else returns 0. Matching is case-insensitive. */
int autorun_startup_file(const char *path, unsigned volume, struct autorun_list *out);

/* Appends the actions of one scheduled task file (XML under
 * System32\Tasks, or a legacy .job) as entries; returns how many, or -1
 * when the file is not a task (err says why). */
int autorun_task_file(const char *path, const char *tasks_dir, const void *data, size_t size,
		      unsigned volume, struct autorun_list *out, char *err, size_t errlen);

/* Appends the CommandLine and ActiveScript consumers of a WMI repository's
 * OBJECTS.DATA (path: where it lies in the volume) as entries, with the
 * filters they are bound to in `note` and an inline script as `payload`;
 * returns how many, or -1 when the file is not a repository (err says why). */
int autorun_wmi_file(const char *path, const void *data, size_t size, unsigned volume,
		     struct autorun_list *out, char *err, size_t errlen);

/* Compares the task-file entries in l with the Task Scheduler's registry
 * cache: a file the cache does not register is flagged task-unregistered;
 * one whose Tree entry is hidden (no SD, Index 0: Tarrask) hidden-task; and
 * each registered task without a file becomes entries of its own (actions
 * from the cache's Actions value, Windows 8+), flagged task-unregistered. */
void autorun_taskcache(const struct taskcache *tc, unsigned volume, struct autorun_list *l);

/* Entries of SYSTEM's other ControlSetNNN that the current set does not
 * have (same category, name and command): a service planted in the
 * LastKnownGood set starts after a "last known good" boot. */
void autorun_other_control_sets(struct hive *h, unsigned current, unsigned volume,
				struct autorun_list *out);

/* Sorts by category, location, name, command: a stable report order. */
void autorun_sort(struct autorun_list *l);
void autorun_list_release(struct autorun_list *l);
void autorun_pe_free(struct autorun_pe *pe);

#endif
