/* windows: what an installation says — identity, autostart entries,
 * the task cache, patch level and hardening.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_WINDOWS_H
#define KENSHU_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/volume.h>
#include <kenshu/trust.h>

/* taskcache: the Task Scheduler's registry cache, read from an offline
 * SOFTWARE hive.
 *
 * Since Vista the Schedule service keeps every registered task under
 * SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache:
 *
 *   Tree\<folder>\...\<name>  Id = "{GUID}" (REG_SZ), Index (REG_DWORD),
 *                             SD (REG_BINARY security descriptor); folder
 *                             keys hold only SD and their subkeys
 *   Tasks\{GUID}              Path = "\Folder\Name", Hash, and from Windows 8
 *                             on Actions, Triggers, DynamicInfo (REG_BINARY),
 *                             Author, Description, URI, Date...
 *
 * The service enumerates tasks from Tree. A Tree entry without an SD value,
 * or with an empty one, is left out of schtasks and the Task Scheduler UI
 * while the task still runs: that is how the "Tarrask" malware hid its tasks
 * (design/autostart-locations.md row 13; RegRipper's hiddentasks.pl looks
 * for it); an Index of 0 is reported to hide a task as well. Both are flagged here. A Tree entry whose
 * Id has no Tasks key, and a Tasks key no Tree entry points at, are listed
 * too. Comparing with the XML files under System32\Tasks ("registered but no
 * file", "file but not registered") is the caller's job.
 *
 * Windows 7 / WES7 keep only Path and Hash under Tasks\{GUID}, no Actions:
 * that is normal there, the XML file is the source; actions_state is then
 * TASKCACHE_ACTIONS_ABSENT ("unknown here").
 *
 * The Actions value (Windows 8 and later), little-endian; a "bstr" is a u32
 * byte count followed by that many bytes of UTF-16LE, no terminator:
 *
 *   u16  version      1, 2 or 3
 *   bstr context      the Principal id the actions run as; versions 2 and 3
 *   then, to the end of the value, actions of the form
 *   u16  magic, bstr id, and by magic:
 *     0x6666 Exec         bstr command, bstr arguments, bstr working
 *                         directory, u16 flags (version 3 only)
 *     0x7777 ComHandler   16-byte CLSID (a GUID as Windows holds it in
 *                         memory: Data1-3 little-endian), bstr data
 *     0x8888 SendEmail    bstr from, to, cc, bcc, reply-to, server, subject,
 *                         body; u32 n + n bstr attachments; u32 n + n
 *                         (bstr name, bstr value) headers
 *     0x9999 ShowMessage  bstr title, bstr body
 *
 * Sources followed (no Microsoft specification exists):
 *   - GDATAAdvancedAnalytics/winreg-tasks kaitai/actions.ksy and its test
 *     vectors generated/actions_test.go (MIT; research on Windows 10 1909,
 *     blog cyber.wtf 2022-06-01 "Windows Registry Analysis - Today's Episode:
 *     Tasks"): the action records, the e-mail field order, flags on Exec for
 *     version 3; it reads the context for version 3 only.
 *   - netero1010/GhostTask GhostTask.c AddScheduleTask(): writes version 3
 *     (context "Author", Exec with the trailing u16 flags) and, on Server
 *     2016 (build 14393), version 2: the same bytes without the flags, i.e.
 *     version 2 carries the context but no flags.
 *   - reinject.vercel.app, "Research on Triggers and Actions Data Structures
 *     of Scheduled Tasks in the Registry": a Windows 8.1 blob of version 1
 *     with the first magic right after the version (no context), and
 *     Windows 10 blobs of version 2 or 3 with the context.
 *   - RegRipper 3.0 tasks.pl reads Path/URI/DynamicInfo only (its Actions
 *     probe is commented out); design/autostart-locations.md row 13 (Dijji/
 *     RepairTasks) for Windows 7 keeping only Path and Hash.
 * The sources disagree on whether versions 1 and 2 carry the context, so
 * taskcache_parse_actions() reads version 1 without and version 2 with it,
 * and if that does not account for every byte, tries the other reading and
 * keeps it only if it does. No sample blob from a real hive was available.
 *
 * Everything here is hostile input: every length is checked against the
 * data, counts, sizes and the depth of the Tree walk are capped, a Tree key
 * reached twice (key lists that loop or share keys) is not followed again,
 * and nothing here prints or exits.
 */

struct hive;

/* Below the SOFTWARE hive's root. */
#define TASKCACHE_KEY "Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache"

/* Action record magics. */
#define TASKCACHE_MAGIC_EXEC 0x6666u
#define TASKCACHE_MAGIC_COM 0x7777u
#define TASKCACHE_MAGIC_EMAIL 0x8888u
#define TASKCACHE_MAGIC_MESSAGE 0x9999u

/* Named caps against hostile data (Windows itself allows 32 actions). Past a
 * cap the rest is still checked but not kept, and truncated is set. */
#define TASKCACHE_MAX_ACTIONS 64u        /* actions kept per task */
#define TASKCACHE_MAX_LIST 64u           /* e-mail attachments / headers kept per action */
#define TASKCACHE_ACTIONS_MAX_BYTES (1u << 20) /* larger Actions values are refused */
#define TASKCACHE_MAX_TASKS 8192u        /* entries listed (Tree entries and Tasks keys) */
#define TASKCACHE_MAX_TREE_KEYS 65536u   /* Tree keys visited */
#define TASKCACHE_MAX_DEPTH 32u          /* levels of keys below Tree read */

struct taskcache_email_header {
	char *name, *value;
};

/* Strings are UTF-8 and NULL when empty, except inside the arrays, which
 * hold "" instead. Trailing U+0000 units are dropped; invalid UTF-16 and
 * embedded U+0000 become U+FFFD and set lossy. */
struct taskcache_action {
	const char *kind;     /* "Exec", "ComHandler", "SendEmail", "ShowMessage"
	                       * (static; the same names as struct task_action) */
	uint16_t magic;
	char *id;             /* the action's Id attribute */
	char *command, *arguments, *working_dir;   /* Exec */
	uint16_t exec_flags;  /* Exec, version 3 only (undocumented; the public
	                       * vectors hold 0 and 1): has_exec_flags says if read */
	bool has_exec_flags;
	char *com_class_id;   /* ComHandler: "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" */
	char *com_data;
	char *email_from, *email_to, *email_cc, *email_bcc, *email_reply_to,
	     *email_server, *email_subject, *email_body;   /* SendEmail */
	char **email_attachments;
	size_t nemail_attachments;
	struct taskcache_email_header *email_headers;
	size_t nemail_headers;
	char *message_title, *message_body;              /* ShowMessage */
};

struct taskcache_actions {
	uint16_t version;     /* as read, also when unsupported */
	char *context;        /* the Principal id (versions 2 and 3), NULL if none */
	struct taskcache_action *v;
	size_t n;
	bool lossy;
	bool truncated;       /* a cap was hit: actions or list items not kept */
};

/* Parses an Actions value. Returns 0 when every byte was accounted for,
 * else -1 with a one-line lowercase message in err (may be NULL): the blob
 * is too short or too large, its version is not 1-3, or it is damaged (a
 * length past the end, an odd byte count, an unknown magic, stray bytes).
 * Either way *out holds what was read (on damage: the complete actions before
 * it) and is released with taskcache_actions_release(). */
int taskcache_parse_actions(const void *blob, size_t size, struct taskcache_actions *out,
			    struct ks_err *err);
/* Frees what a parse filled in and zeroes *a; safe to call twice. */
void taskcache_actions_release(struct taskcache_actions *a);

enum taskcache_actions_state {
	TASKCACHE_ACTIONS_ABSENT = 0, /* no Tasks key or no Actions value (Windows 7):
	                               * unknown here, read the XML file */
	TASKCACHE_ACTIONS_OK,         /* actions fully parsed */
	TASKCACHE_ACTIONS_DAMAGED,    /* not fully understood: actions_error says why,
	                               * actions holds what came before the damage */
};

/* One registered task: a Tree entry (with or without its Tasks key), or a
 * Tasks key that no Tree entry points at. Strings are UTF-8, NULL when
 * absent or empty. */
struct taskcache_task {
	char *path;           /* "\Folder\Name": the Tree key's path, or for a
	                       * Tasks-only entry its Path value */
	char *id;             /* "{GUID}": the Tree entry's Id, or for a Tasks-only
	                       * entry the Tasks key's name */
	bool in_tree;         /* listed under Tree */
	bool in_tasks;        /* Tasks\{id} exists */

	/* Tree side (meaningful when in_tree) */
	bool sd_present;      /* an SD value exists (maybe empty) */
	size_t sd_size;
	bool no_sd;           /* SD absent or empty: hidden from enumeration (Tarrask) */
	bool has_index;       /* an Index DWORD exists */
	uint32_t index;
	bool index_zero;      /* Index is 0: also hides the task */
	bool hidden;          /* no_sd || index_zero */

	/* Tasks side (meaningful when in_tasks) */
	char *tasks_path;     /* its Path value */
	bool path_mismatch;   /* Tree path and Path differ (ASCII case ignored) */
	char *author, *description, *uri, *date;
	bool has_hash, has_triggers, has_dynamic_info;
	enum taskcache_actions_state actions_state;
	char actions_error[128];   /* "" unless DAMAGED */
	struct taskcache_actions actions;

	bool lossy;           /* some UTF-16 in the actions became U+FFFD */
};

struct taskcache {
	struct taskcache_task *v; /* Tree entries in walk order, then Tasks-only keys */
	size_t n;
	bool has_tree, has_tasks; /* the Tree and Tasks keys exist */
	bool truncated;       /* a cap was hit: entries were not listed */
	bool too_deep;        /* Tree keys nested past TASKCACHE_MAX_DEPTH were not read */
	bool loop;            /* a Tree key was reached twice (its key lists loop
	                       * or share keys): it was not followed again */
	size_t tree_keys;     /* Tree keys visited */
};

/* Reads the TaskCache of a SOFTWARE hive. Returns 0 with *out filled (an
 * empty list is possible), or -1 when the TaskCache key is absent, *out
 * then zeroed. Release with taskcache_release() either way. */
int taskcache_read(struct hive *h, struct taskcache *out);
void taskcache_release(struct taskcache *tc);

/* autorun: every way code starts at boot or logon, from the offline
 * registry. The locations are one data table (scanner/windows/autorun_table.c):
 * a row names the hive, the key, which values count, the category, why it
 * matters and the ATT&CK technique. */

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
	const char *load_dir;   /* the value names a DLL its loader finds in this folder
	                           (Windows text, "%SystemRoot%\System32"): a bare name is
	                           looked for there, not along the search path. "<arch>" is
	                           the folder of the print environment the key's "<*>"
	                           matched ("Windows x64" -> x64, "Windows NT x86" -> w32x86) */
	const char *load_ext;   /* appended by the loader to a name without extension (".dll") */
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
	char *load_path;        /* rows with load_dir: the file the loader opens, as Windows
	                           text ("%SystemRoot%\System32\kerberos.dll"); resolved
	                           instead of command. NULL when the row has none, or for a
	                           print environment whose folder is unknown */
	char *user;             /* profile user for AR_NTUSER rows, else NULL */
	unsigned volume;
	char *note;             /* e.g. a task's "hidden; TimeTrigger every PT5M", else NULL */
	unsigned other_control_set; /* N when the entry is only in ControlSet00N, not the current set */
	bool service;           /* a value of a service's key (ImagePath, ServiceDll, FailureCommand) */
	bool has_start;         /* service: its Start value was read into start */
	uint32_t start;         /* 0 boot, 1 system, 2 automatic, 3 on demand, 4 disabled */
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
	struct sig_result *target_sig; /* its code signature (owned copy), NULL if not checked */
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

/* The registry value that holds the entry's command ("" the key's default
 * value), or NULL when the entry is no registry value (a file, a task, a
 * WMI subscription, a subkey that is the entry by its name). */
const char *autorun_value_name(const struct autorun *a);
/* Where the entry is registered, as every report shows it: a registry
 * value as "KEY [Value]" ("KEY [(default)]"), so a service's
 * "...\Services\HTTP [ImagePath]" does not read as a subkey HTTP\HTTP; a
 * file as its path; a task as its file or key with " (task NAME)" when the
 * name is not already in it; a WMI consumer as "...Class.Name=\"NAME\"".
 * Allocated. */
char *autorun_where(const struct autorun *a);

/* path (inside the volume) lies where users can write: Users,
 * ProgramData, Temp, Public, the Recycle Bin (the autorun-user-writable
 * list). */
bool autorun_path_user_writable(const char *path);
/* Its target lies in the system root ("/Windows"): what "Windows' own"
 * means for autorun_missing_reason() until signatures decide it. */
bool autorun_in_system_root(const struct autorun *a, const char *system_root);
/* Why a target-missing entry matters, by what is known: a service's start
 * type (disabled: nothing runs; boot or automatic: fails at every boot),
 * whether the entry is Windows' own (windows_own, however the caller
 * decides it), and only for other entries outside Windows that a dropper
 * may re-create the file. One sentence, allocated. */
char *autorun_missing_reason(const struct autorun *a, bool windows_own);

/* Windows' own: no flag, target in the system root and validly signed by
 * Microsoft Windows (embedded or catalog); location alone proves nothing.
 * report.txt counts these instead of listing them (as Autoruns -m). */
bool autorun_is_windows_default(const struct autorun *a, const char *system_root);

/* What its target's signature says, in words for the report line
 * ("unsigned: ...", "signed by X (not Microsoft Windows)"), into buf; ""
 * when there is no file target on the disk. */
const char *autorun_trust_note(const struct autorun *a, char *buf, size_t n);

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
		      unsigned volume, struct autorun_list *out, struct ks_err *err);

/* Appends the CommandLine and ActiveScript consumers of a WMI repository's
 * OBJECTS.DATA (path: where it lies in the volume) as entries, with the
 * filters they are bound to in `note` and an inline script as `payload`;
 * returns how many, or -1 when the file is not a repository (err says why). */
int autorun_wmi_file(const char *path, const void *data, size_t size, unsigned volume,
		     struct autorun_list *out, struct ks_err *err);

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

/* posture: the patch level and hardening FACTS of one Windows install, read
 * offline, each with the evidence that decided it. The policy engine turns
 * them into findings; nothing here judges pass or fail.
 *
 * Checks (rule ids are static strings, one check per rule per install
 * except where a scope tells two apart):
 *   ms17-010                      srv.sys version against
 *                                 profiles/tables/ms17-010.tsv, else CBS
 *                                 packages / XP hotfix keys / UBR
 *   eol-os                        profiles/tables/eol.tsv against the scan
 *                                 date
 *   smb1-enabled   server|client  LanmanServer SMB1, mrxsmb10 Start
 *   rdp-enabled, rdp-no-nla       Terminal Server, RDP-Tcp, policy keys
 *   autologon-cleartext-password  Winlogon DefaultPassword exists (its
 *                                 value is never read into any output)
 *   firewall-disabled  domain|private|public, profiles alike in one check
 *   defender-disabled, autoplay-enabled, guest-enabled (SAM), hosts-tampered
 *   write-filter                  EWF/FBWF/UWF state, always INFO
 *
 * Sources: /work/shared/design/autostart-locations.md sections 3 and 4.
 * Everything is pure code over hives and bytes already read, except
 * posture_collect(), which reads them from the image. Hostile input (a
 * damaged hive, a garbage SAM F value, a huge hosts file, a broken table)
 * gives POSTURE_UNKNOWN or an error, never a crash. */

struct hive;
struct fs;
struct os_info;

enum posture_state {
	POSTURE_UNKNOWN = 0,       /* could not tell (hive unreadable, file damaged...) */
	POSTURE_SAFE,              /* set to a safe state */
	POSTURE_UNSAFE,            /* set to an unsafe state: held against the image */
	POSTURE_ABSENT_UNSAFE,     /* not set, and this OS's default is unsafe */
	POSTURE_ABSENT_SAFE,       /* not set, and the default is safe (strict profiles review it) */
	POSTURE_INFO,              /* informational state (write filter) */
	POSTURE_NOT_APPLICABLE,    /* the check does not apply (a build never vulnerable, RDP off) */
};

/* "unknown", "safe", "unsafe", "absent-unsafe", "absent-safe", "info",
 * "not-applicable": the spelling report.json and profiles use. */
const char *posture_state_name(enum posture_state s);

struct posture_check {
	const char *rule;          /* static: "ms17-010", "smb1-enabled", ... */
	const char *scope;         /* static, NULL when the rule has one check:
	                              "server"/"client"; for firewall-disabled the
	                              profiles in one state for one reason, comma-
	                              separated ("domain", "private,public",
	                              "domain,private,public"): one fact, one check */
	enum posture_state state;
	char *message;             /* one sentence for an engineer, owned */
	char *evidence;            /* what decided it: key path + value, file +
	                              version, package + state; owned, never a password */
};

struct posture {
	struct posture_check *c;   /* in a fixed order (see posture_evaluate) */
	size_t n;
};

/* Frees every check and zeroes *p. Accepts a zeroed *p. */
void posture_release(struct posture *p);
/* The first check of rule (and covering scope, when scope is non-NULL:
 * "public" finds the check scoped "private,public"), or NULL. */
const struct posture_check *posture_find(const struct posture *p, const char *rule, const char *scope);

/* ---- data tables (the .tsv files in profiles/tables/) -------------- */

/* A parsed ms17-010.tsv. Rows and their fields are documented in the file's
 * header comment. */
enum patch_fix {
	PATCH_FIXED,          /* fixed[] is the first fixed version */
	PATCH_NO_FIX,         /* no fix was ever released for these builds */
	PATCH_NOT_AFFECTED,   /* released with the fix */
};

struct patch_row {
	uint32_t major, minor;
	uint32_t build_lo, build_hi;     /* inclusive; "*" = 0..UINT32_MAX */
	char file[32];                   /* "srv.sys", "" on a not-affected row */
	uint16_t branch_lo, branch_hi;   /* file revision range */
	enum patch_fix fix;
	uint16_t fixed[4];
	char **evidence;                 /* tokens: "KB4012212", "RollupFix>=14393.953", "UBR>=953" */
	size_t nevidence;
	char *label;
	unsigned line;                   /* in the table, for evidence text */
};

struct patch_table {
	char *name;                      /* as given to the parser, e.g. "tables/ms17-010.tsv" */
	struct patch_row *rows;
	size_t n;
};

/* Parses a ms17-010 table (text need not be NUL-terminated; len bytes).
 * Returns 0 with *out (free with patch_table_free), or -1 with
 * "NAME:LINE: message" in err. A table without rows is an error. */
int patch_table_parse(const char *text, size_t len, const char *name, struct patch_table **out,
		      struct ks_err *err);
void patch_table_free(struct patch_table *t);

/* A parsed eol.tsv; first matching row wins. */
enum eol_marker {
	EOL_MARK_NONE = 0,
	EOL_MARK_EMBEDDEDNT,   /* SYSTEM Control\ProductOptions ProductSuite has EmbeddedNT */
	EOL_MARK_POSREADY,     /* SYSTEM WPA\PosReady Installed = 1 */
};

struct eol_row {
	uint32_t major, minor;
	uint32_t build_lo, build_hi;
	char *edition;                   /* fnmatch glob, "*" = any */
	char *product;                   /* fnmatch glob, "*" = any */
	enum eol_marker marker;
	int end_year, end_month, end_day;
	char *name;
	char *source;
	unsigned line;
};

struct eol_table {
	char *name;
	struct eol_row *rows;
	size_t n;
};

int eol_table_parse(const char *text, size_t len, const char *name, struct eol_table **out,
		    struct ks_err *err);
void eol_table_free(struct eol_table *t);

/* Caps against hostile tables. */
#define POSTURE_TABLE_MAX_ROWS 10000
#define POSTURE_TABLE_MAX_LINE 4096

/* ---- evaluation -------------------------------------------------------- */

/* A file read from the image for a check. */
struct posture_file {
	bool present;              /* it exists in the volume */
	const void *data;          /* its bytes when it could be read, else NULL */
	size_t size;
	const char *error;         /* why it could not be read (present, data NULL) */
};

struct posture_user_hive {
	const char *user;          /* profile name, for evidence */
	struct hive *ntuser;       /* NULL when it could not be opened */
};

/* Everything posture_evaluate looks at. Hives may be NULL (absent or
 * unreadable: the checks needing them say UNKNOWN, with *_error as reason). */
struct posture_inputs {
	/* Identity, as struct os_info has it. */
	uint32_t major, minor;     /* 0 when unknown */
	uint32_t build;            /* 0 when unknown */
	bool has_ubr;
	uint32_t ubr;
	const char *edition;       /* EditionID, may be NULL */
	const char *product_name;  /* may be NULL */
	uint32_t control_set;      /* Select\Current; 0 = SYSTEM checks unknown */
	const char *system_root;   /* "/Windows" as os_info has it; NULL is read as "/Windows" */

	struct hive *system, *software, *sam;
	const char *system_error, *software_error, *sam_error;
	const struct sam_accounts *accounts;     /* sam_read's, NULL when it failed */
	const struct posture_user_hive *users;   /* NTUSER.DAT of each profile */
	size_t nusers;

	struct posture_file srv_sys;   /* <root>/System32/drivers/srv.sys */
	struct posture_file srv2_sys;  /* <root>/System32/drivers/srv2.sys */
	struct posture_file hosts;     /* the hosts file */
	const char *hosts_path;        /* where it was looked for, for evidence */

	/* The scan date, as a calendar day (UTC, scandate.h): eol-os compares
	 * it with the end date. */
	time_t now;

	/* Tables; NULL = the shipped ones (embedded_file), parsed per call. */
	const struct patch_table *ms17010;
	const struct eol_table *eol;
};

/* Fills *out (release with posture_release) with every check, in this
 * order: ms17-010, eol-os, smb1-enabled server, smb1-enabled client,
 * rdp-enabled, rdp-no-nla, autologon-cleartext-password, firewall-disabled
 * domain/private/public, defender-disabled, autoplay-enabled,
 * guest-enabled, hosts-tampered, write-filter. Never fails. */
void posture_evaluate(const struct posture_inputs *in, struct posture *out);

/* Caps on what is read from the image. */
#define POSTURE_MAX_DRIVER_SIZE (64ull << 20)  /* srv.sys, srv2.sys */
#define POSTURE_MAX_HOSTS_SIZE (32ull << 20)   /* hosts: larger is UNKNOWN */
#define POSTURE_HOSTS_SHOWN 10                  /* entries quoted in evidence */

/* Reads what the checks need from the install os_inspect found (SYSTEM,
 * SAM and each NTUSER.DAT are opened here; software is the SOFTWARE hive
 * os_inspect holds open, or NULL), evaluates, and stores the result in
 * os->posture. Never fails: what cannot be read becomes UNKNOWN. */
void posture_collect(struct fs *fs, struct os_info *os, struct hive *software, time_t scan_day);

/* certstores: the certificate stores the image's own registry keeps: the
 * machine's, Group Policy's and the enterprise stores of the SOFTWARE hive
 * and each profile's NTUSER.DAT (scopes "machine", "group-policy",
 * "enterprise", "user", "user-group-policy"; the key table is in
 * certstores.c, the list in docs/report.md).
 *
 * Windows names each certificate's key by its SHA-1 thumbprint; the key
 * name is compared with the SHA-1 of the DER the Blob holds, and a key
 * named otherwise is listed as such (someone wrote the store by hand).
 * A Blob that does not parse is listed with the reason. Nothing here knows
 * the trust anchors: the scan marks entries with certstores_mark(). */

#define CERTSTORE_MAX_ENTRIES 4096u         /* entries kept per installation */
#define CERTSTORE_MAX_BLOB (256u << 10)     /* larger Blob values are not parsed (a certificate is a few KiB) */

struct cert_store_entry {
	const char *scope;    /* static: "machine", "group-policy", "enterprise",
	                         "user", "user-group-policy" */
	char *user;           /* profile name for the user scopes, else NULL */
	const char *store;    /* static: "ROOT", "AuthRoot", "CA", "TrustedPublisher",
	                         "Disallowed", "TrustedPeople" (policy, enterprise and
	                         user stores spell it "Root") */
	char *key;            /* "HKLM\SOFTWARE\Microsoft\SystemCertificates\ROOT\Certificates\<thumb>" */
	char *thumbprint;     /* the key's name, as stored */
	bool parsed;          /* cert holds the parsed certificate */
	struct certstore_cert cert;
	bool thumbprint_matches; /* the key name is cert.sha1 (case ignored); false when not parsed */
	char *error;          /* why the Blob was not parsed, else NULL */
	bool in_root_program; /* set by certstores_mark: cert.sha1 is one of the anchors */
	bool windows_required; /* one of the roots Windows itself requires (KB 293781) that
	                          the root program's list does not carry: never "added" */
};

struct cert_store_list {
	struct cert_store_entry *v;
	size_t n;
	bool truncated;       /* CERTSTORE_MAX_ENTRIES was reached: entries were not listed */
	bool marked;          /* certstores_mark ran: in_root_program means something */
	bool anchors_builtin; /* ... with the shipped root program (else a plant's own file) */
	char *anchors_name;   /* "shipped:trust/microsoft-root-program.pem", or
	                         trust_anchors_name() of a plant's own file */
};

/* Appends the machine stores (the three SOFTWARE scopes) of h. */
void certstores_collect_machine(struct hive *software, struct cert_store_list *out);
/* Appends one user's stores from its NTUSER.DAT. */
void certstores_collect_user(struct hive *ntuser, const char *user, struct cert_store_list *out);
/* Sorts by scope, user, store, thumbprint: a stable report order. */
void certstores_sort(struct cert_store_list *l);
void certstores_release(struct cert_store_list *l);

/* A store whose certificates Windows trusts as roots (ROOT, AuthRoot, Root). */
bool cert_store_is_root(const struct cert_store_entry *e);
/* A root-store entry whose certificate is not in the anchors and not one
 * of the roots Windows itself requires: the trusted-root-added case. False
 * before certstores_mark. */
bool cert_store_added_root(const struct cert_store_list *l, const struct cert_store_entry *e);

/* Marks every parsed entry of os's stores in_root_program when its SHA-1
 * is one of anchors (trust_anchor_find_sha1). builtin: the anchors are the
 * shipped root program, not a plant's own file (the findings say which). */
void certstores_mark(struct os_info *os, const struct trust_anchors *anchors, bool builtin);

/* os: which Windows is installed on a volume, from its own registry.
 *
 * The Windows volume is found by content (a SOFTWARE and a SYSTEM hive
 * under a system root), never by partition number, so every install on an
 * image is reported. */

struct os_profile {
	char *sid;
	char *path;        /* as stored, e.g. "%SystemDrive%\Users\operator" */
	char *user;        /* last component of the path */
	bool found_on_disk; /* not in ProfileList: its NTUSER.DAT lies in a profile folder;
	                       sid is "" and path is the folder in the volume */
};

struct os_hive {
	const char *name;  /* "SOFTWARE", "SYSTEM" */
	char *path;        /* inside the volume */
	struct hive_health health;
};

struct os_user_hive {
	const char *kind;  /* "NTUSER.DAT" or "UsrClass.dat" */
	char *user;
	char *path;        /* inside the volume */
	struct hive_health health;
};

struct os_info {
	unsigned volume;           /* partition index */
	char *system_root;         /* "/Windows" */
	char *product_name, *edition, *current_version, *build, *service_pack;
	uint32_t major, minor;     /* 0 when unknown */
	bool has_ubr;
	uint32_t ubr;
	char *family;              /* derived from version and build, static text copied */
	char *architecture, *hostname, *install_date, *registered_owner, *registered_organization;
	char *time_zone;
	uint32_t control_set;      /* Select\Current, 0 if unknown */
	struct os_profile *profiles;
	size_t nprofiles;
	struct os_hive hives[2];
	struct os_user_hive *user_hives;   /* each profile's NTUSER.DAT and UsrClass.dat found */
	size_t nuser_hives;
	struct autorun_list autoruns;      /* sorted */
	struct taskcache taskcache;        /* SOFTWARE's Task Scheduler cache (empty when absent) */
	bool has_taskcache;
	char *wmi_error;
	/* --cross-check: what libguestfs's inspect_os says of this install.
	 * NULL when not asked; "agrees (...)", "differs: ...", or "not found
	 * as an operating system by libguestfs". */
	char *cross_check;
	bool cross_check_differs;           /* the WMI repository could not be read, NULL if it was or is absent */
	/* Patch level and hardening facts (posture.h), each with its evidence;
	 * filled by os_inspect, empty when os_read_hive alone was used. */
	struct posture posture;
	/* The image's own certificate stores (certstores above), sorted. */
	struct cert_store_list certstores;
	struct sam_accounts accounts;      /* the SAM's local accounts, read by posture_collect */
	char *accounts_error;              /* why none were read (no SAM...), NULL when they were */
};

/* Looks for a Windows system root on fs. Returns 1 and fills *os (release
 * with os_info_release), 0 when there is none, never fails otherwise:
 * damaged hives are recorded in os->hives[].health. ntuser_found lists
 * every NTUSER.DAT the walk saw: those in a profile folder (Users\*,
 * Documents and Settings\*, ServiceProfiles\*, systemprofile) are read as
 * profiles even when ProfileList does not name them. scan_day (UTC
 * midnight, scandate.h) is the day end of support is judged by. */
int os_inspect(struct fs *fs, unsigned volume, const char *const *ntuser_found, size_t nfound,
	       time_t scan_day, struct os_info *os);
void os_info_release(struct os_info *os);

enum os_hive_kind { OS_HIVE_SOFTWARE, OS_HIVE_SYSTEM };
/* Fills the fields of *os that one open hive gives (os_inspect's work for
 * a single hive; exposed so hostile hives can be tested without an image).
 * Call once per kind on a zeroed *os. */
void os_read_hive(struct hive *h, enum os_hive_kind kind, struct os_info *os);

/* Family from the version numbers: "Windows 7 / Windows Embedded Standard 7"
 * for 6.1, ... Exposed for tests. Static string. */
const char *os_family(uint32_t major, uint32_t minor, uint32_t build);

/* Opens path on fs (e.g. "/Windows/System32/config/SOFTWARE"). Returns 0
 * with *out set (hive_close() it), or -1 when the file is absent,
 * unreadable or rejected by hivex; *health is filled either way. */
int hive_open_fs(struct fs *fs, const char *path, struct hive **out, struct hive_health *health);


/* --cross-check: compares libguestfs's inspection with the installs kenshu
 * found and sets each one's cross_check ("agrees (...)", "differs: ...",
 * "not found as an operating system by libguestfs"). Returns what only
 * libguestfs saw, or why its inspection failed, as one note (caller frees;
 * NULL when there is nothing to say). */
char *os_cross_check(struct os_info *os, size_t nos, const struct fs_inspection *in);

#endif
