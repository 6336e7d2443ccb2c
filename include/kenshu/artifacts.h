/* artifacts: pure parsers of Windows artefacts — bytes (or an open hive) in,
 * structs out. None of them knows about volumes, scans or reports.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_ARTIFACTS_H
#define KENSHU_ARTIFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/core.h>

/* hive: one offline registry hive, read from the image into memory and
 * opened with hivex — never from a mounted or copied file system.
 *
 * Hives come from an untrusted image: hivex's own checks stay on (no
 * HIVEX_OPEN_UNSAFE), and every accessor treats absence and damage alike
 * (returns NULL / -1), so callers report what is there and go on. */

struct hive;

#define HIVE_MAX_SIZE (512ull << 20) /* larger than any real SOFTWARE hive */

/* What the hive's own header says about its state. */
struct hive_health {
	bool opened;         /* hivex accepted it */
	bool dirty;          /* base block sequence numbers differ: writes were in flight */
	uint32_t seq1, seq2;
	bool log1, log2;     /* a non-empty NAME.LOG1 / NAME.LOG2 lies beside it */
	char error[160];     /* why it could not be opened, "" if it was */
};

/* The hive could not be read completely: hivex rejected it, or writes were
 * in flight and transaction logs hold changes hivex never replays (what
 * Windows would see at the next boot may differ from what was read). */
bool hive_health_incomplete(const struct hive_health *h);

/* The same for a hive already in memory (tests, hives inside archives). */
int hive_open_mem(const void *data, size_t size, struct hive **out, struct hive_health *health);
void hive_close(struct hive *h);

/* Looks up a key path below the root, '\'-separated, case-insensitively.
 * Returns the node, or 0 when absent. */
size_t hive_key(struct hive *h, const char *path);
/* The child of node named name (case-insensitive), or 0. */
size_t hive_child(struct hive *h, size_t node, const char *name);
/* Child keys of node, their count in *n; caller frees the array. */
size_t *hive_subkeys(struct hive *h, size_t node, size_t *n);
/* Key name as UTF-8; caller frees. */
char *hive_key_name(struct hive *h, size_t node);

/* Value of a key as UTF-8 text (REG_SZ, REG_EXPAND_SZ; a DWORD is given in
 * decimal); NULL if absent or of another type. Caller frees. */
char *hive_string(struct hive *h, size_t node, const char *value);
/* REG_DWORD (or a REG_SZ holding a number, as some vendors write them).
 * Returns 0, or -1 if absent or not a number. */
int hive_dword(struct hive *h, size_t node, const char *value, uint32_t *out);

/* The raw data of a value of any type (REG_BINARY for SD or Actions), its
 * length in *size. NULL if absent or unreadable; a value that is present but
 * empty gives a non-NULL pointer and *size 0. Caller frees. */
void *hive_binary(struct hive *h, size_t node, const char *value, size_t *size);

/* One value of a key, as text: REG_SZ/REG_EXPAND_SZ as stored, REG_DWORD in
 * decimal, REG_MULTI_SZ with its strings joined by '\n'; other types "".
 * name is "" for the default value. */
struct hive_value {
	char *name;
	char *text;
	uint32_t type;   /* hive_type: 1 SZ, 2 EXPAND_SZ, 4 DWORD, 7 MULTI_SZ ... */
};

/* All values of node; *n their count. Free with hive_values_free(). */
struct hive_value *hive_values(struct hive *h, size_t node, size_t *n);
void hive_values_free(struct hive_value *v, size_t n);
/* A key's class name (UTF-8, caller frees), NULL when it has none or the
 * record is damaged. */
char *hive_key_class(struct hive *h, size_t node);

/* pe: headers and version resource of a Windows PE file (.exe, .dll, .sys)
 * held in memory: what Explorer shows as CompanyName, ProductName, File
 * version..., used to describe autostart targets and to decide patch status
 * from the real file version of a system file.
 *
 * Pure code over a memory buffer, like lnk: every offset, size and count in
 * the file is checked before use, so hostile files give an error, never a
 * read outside [data, data + size). Nothing here prints or exits.
 */

/* COFF Machine values callers are likely to meet. */
#define PE_MACHINE_I386  0x014Cu
#define PE_MACHINE_AMD64 0x8664u
#define PE_MACHINE_ARMNT 0x01C4u
#define PE_MACHINE_ARM64 0xAA64u

/* Optional header Subsystem values (drivers are NATIVE). */
#define PE_SUBSYSTEM_NATIVE      1u
#define PE_SUBSYSTEM_WINDOWS_GUI 2u
#define PE_SUBSYSTEM_WINDOWS_CUI 3u

/* "65535.65535.65535.65535" and its NUL. */
#define PE_VERSION_BUFSZ 24

struct pe_info {
	bool is_pe;          /* MZ header whose e_lfanew points at "PE\0\0" */
	bool is_dll;         /* COFF Characteristics has IMAGE_FILE_DLL */
	bool is_64;          /* PE32+ optional header (magic 0x20B) */
	uint16_t machine;    /* COFF Machine: PE_MACHINE_* */
	uint16_t subsystem;  /* PE_SUBSYSTEM_* */

	bool has_version;    /* an RT_VERSION resource holding a VS_VERSIONINFO */
	/* VS_FIXEDFILEINFO was present with its signature: only then do the two
	 * arrays below mean anything (else they are zero). This binary version is
	 * what Windows Update compares; the strings are free text. Parts are
	 * major, minor, build, revision: {6, 1, 7601, 23689}. */
	bool has_fixed;
	uint16_t file_version[4];
	uint16_t product_version[4];

	/* From the StringFileInfo table chosen among several: 040904B0, else
	 * 040904E4, else the first one. UTF-8, owned, NULL when the key is
	 * absent or its value empty. */
	char *company;             /* CompanyName */
	char *product;             /* ProductName */
	char *file_version_str;    /* FileVersion */
	char *product_version_str; /* ProductVersion */
	char *original_filename;   /* OriginalFilename */
	char *file_description;    /* FileDescription */
	char *internal_name;       /* InternalName */
};

/* Parses the size bytes at data into *out. Returns 0 when the headers (and
 * the version resource, if any) were read: is_pe says whether the file is a
 * PE at all (text, an empty file or a DOS program are not), has_version
 * whether it has version information. Returns -1 for a damaged PE, with a
 * one-line lowercase reason in err (no file name: the caller prefixes it),
 * e.g. "section table (9 sections at byte 392) runs past the end of the file
 * (1024 bytes)". On -1 *out holds nothing to free and has_version is false;
 * is_pe, is_dll, is_64, machine and subsystem keep what the headers said if
 * they were read that far. */
int pe_parse(const void *data, size_t size, struct pe_info *out,
	     struct ks_err *err);

/* Frees what pe_parse allocated and zeroes *pi. Accepts a zeroed *pi. */
void pe_info_release(struct pe_info *pi);

/* Writes v as "10.0.17763.1" into buf and returns buf. */
const char *pe_version_fmt(const uint16_t v[4], char buf[PE_VERSION_BUFSZ]);

/* Parses "6.1.7601.23689" (one to four decimal parts, each at most 65535;
 * missing parts are 0) into v. Returns 0, or -1 (v untouched) for anything
 * else, trailing text included. */
int pe_version_parse(const char *s, uint16_t v[4]);

/* Compares part by part: <0, 0 or >0 as a is older than, equal to or newer
 * than b. */
int pe_version_cmp(const uint16_t a[4], const uint16_t b[4]);

/* lnk: Windows Shell Link (.lnk) parser (MS-SHLLINK), used to resolve what a
 * Startup-folder shortcut runs.
 *
 * Pure code over a memory buffer: every size, count and offset in the file is
 * checked against the buffer before it is used, so hostile files give an
 * error, never a read past the end. Strings come out as UTF-8: Unicode ones
 * through utf16le_to_utf8(), ANSI ones (the system code page of the machine
 * that wrote the link, unknown offline) decoded as Windows-1252.
 */

/* LinkFlags bits used by callers. */
#define LNK_HAS_ID_LIST      0x00000001u
#define LNK_HAS_LINK_INFO    0x00000002u
#define LNK_HAS_NAME         0x00000004u
#define LNK_HAS_RELATIVE_PATH 0x00000008u
#define LNK_HAS_WORKING_DIR  0x00000010u
#define LNK_HAS_ARGUMENTS    0x00000020u
#define LNK_HAS_ICON_LOCATION 0x00000040u
#define LNK_IS_UNICODE       0x00000080u
#define LNK_FORCE_NO_LINK_INFO 0x00000100u
#define LNK_HAS_EXP_STRING   0x00000200u

/* ShowCommand values (anything else means SW_SHOWNORMAL to Windows). */
#define LNK_SW_SHOWNORMAL      1u
#define LNK_SW_SHOWMAXIMIZED   3u
#define LNK_SW_SHOWMINNOACTIVE 7u

/* Every string is UTF-8, owned, NULL when absent. */
struct lnk_info {
	char *target;        /* best local path: LinkInfo LocalBasePath + CommonPathSuffix,
	                        else idlist_path, else NULL */
	char *idlist_path;   /* path built from the LinkTargetIDList (drive + item
	                        names, long names preferred), NULL if it has no drive item */
	char *network_path;  /* LinkInfo CommonNetworkRelativeLink NetName + "\" + suffix */
	char *arguments;     /* StringData COMMAND_LINE_ARGUMENTS */
	char *working_dir;   /* StringData WORKING_DIR */
	char *relative_path; /* StringData RELATIVE_PATH */
	char *icon_location; /* StringData ICON_LOCATION */
	char *description;   /* StringData NAME_STRING */
	char *env_target;    /* EnvironmentVariableDataBlock target (Unicode, else ANSI) */
	uint32_t show_command; /* raw ShowCommand: LNK_SW_* */
	uint32_t flags;        /* raw LinkFlags: LNK_* */
};

/* Parses the size bytes at data into *out. Returns 0, or -1 with a one-line
 * lowercase reason in err (no file name: the caller prefixes it), e.g.
 * "not a shell link" or "string data 'arguments' (40 characters at byte 302)
 * runs past the end of the file (320 bytes)". On error *out holds nothing to
 * free. With LNK_FORCE_NO_LINK_INFO set, LinkInfo is skipped like Windows
 * does and target falls back to idlist_path. */
int lnk_parse(const void *data, size_t size, struct lnk_info *out,
	      struct ks_err *err);

/* Frees what lnk_parse allocated and zeroes *li. Accepts a zeroed *li. */
void lnk_info_release(struct lnk_info *li);

/* task: Windows scheduled tasks read offline, to list what they run.
 *
 * Two formats: Task Scheduler 2.0 XML (the files under
 * Windows\System32\Tasks, UTF-16LE with a BOM as Windows writes them, at
 * times UTF-8) and legacy Task Scheduler 1.0 .job files (Windows\Tasks,
 * MS-TSCH binary). Both are hostile input: nothing outside the buffer is ever
 * read (no DTD, no external entity, no network), entity references are never
 * expanded, sizes and counts are capped, and nothing here prints or exits.
 */

/* Named caps against hostile tasks (Windows itself allows 32 actions and
 * 48 triggers). Past a cap the rest is dropped and truncated is set. */
#define TASK_XML_MAX (1u << 20)  /* bytes of task XML accepted */
#define TASK_MAX_ACTIONS 64u
#define TASK_MAX_TRIGGERS 64u

struct task_action {
	const char *kind;     /* "Exec", "ComHandler", "SendEmail", "ShowMessage"
	                       * or the element name; static or owned by the task */
	char *command, *arguments, *working_dir;   /* Exec / .job */
	char *com_class_id, *com_data;             /* ComHandler */
};

/* Every string is UTF-8, trimmed, and NULL when absent or empty. Text that
 * held an entity reference keeps it literally ("&x;"), never its expansion. */
struct task_info {
	char *author, *description, *uri, *date;   /* RegistrationInfo (.job: author, comment) */
	char *user_id, *group_id, *run_level;      /* the Principal the actions run as */
	bool hidden;          /* Settings/Hidden, or TASK_FLAG_HIDDEN in a .job */
	bool enabled;         /* Settings/Enabled (true when absent), or !TASK_FLAG_DISABLED */
	bool has_enabled;     /* enabled was stated by the file, not defaulted */
	bool lossy;           /* some UTF-16 was invalid and became U+FFFD */
	bool truncated;       /* the data ended early or a cap was hit: parts are missing */
	char **triggers;      /* "LogonTrigger", "TimeTrigger every PT5M", "Daily every PT60M"... */
	size_t ntriggers;
	struct task_action *actions;
	size_t nactions;
	const char *format;   /* "xml" or "job" (static) */
};

/* Parses one task file held in memory. On success returns 0 and fills *out,
 * which the caller releases with task_info_release(). On failure returns -1,
 * writes a one-line lowercase message to err (may be NULL) and leaves *out
 * zeroed, with nothing to free. */
int task_parse_xml(const void *data, size_t size, struct task_info *out,
		   struct ks_err *err);
int task_parse_job(const void *data, size_t size, struct task_info *out,
		   struct ks_err *err);

/* Frees what a parse filled in and zeroes *t; safe to call twice. */
void task_info_release(struct task_info *t);

/* cmdline: what an autostart command really runs, resolved offline.
 *
 * A command as stored in a Run value, a service ImagePath, a task <Exec> or a
 * shortcut is Windows text: %VAR% references, NT and Win32 path prefixes,
 * quotes, unquoted paths with spaces, and script hosts (LOLBins) told to run
 * something else. cmd_resolve() turns it into the file inside the image that
 * runs and, for a host, what the host runs. Pure code: the caller supplies the
 * environment map (the host's getenv is never read) and an existence probe
 * over the image; nothing here prints, exits or touches the host's files.
 * Every input is hostile: lengths, prefixes, probes and nesting are capped.
 */

/* Named caps against hostile commands. */
#define CMD_MAX_DEPTH 8            /* nested cmd /c levels unwrapped */
#define CMD_MAX_PREFIXES 16        /* space-split prefixes tried for an unquoted path */
#define CMD_MAX_PROBES 512         /* exists() calls per cmd_resolve() */
#define CMD_MAX_PATH 32767         /* longer paths are never probed (Windows' own limit) */
#define CMD_MAX_EXPANDED (1u << 20) /* %VAR% expansion stops growing the text here */
#define CMD_MAX_SEARCH_DIRS 16     /* System32, SystemRoot, then entries of env Path */

/* One environment variable of the scanned system, e.g. {"SystemRoot", "C:\\Windows"}.
 * Names match case-insensitively. SystemDrive (default "C:") says which drive
 * letter is the image volume; SystemRoot (else windir, else <drive>\Windows)
 * anchors \SystemRoot\, system32\... and bare names; Path, if given, is
 * searched after System32 and SystemRoot (its own %VAR%s are expanded). */
struct cmd_env {
	const char *name;
	const char *value;
};

/* Returns 1 if path names a file in the image, else 0. path is image-relative,
 * '/'-separated and starts with '/' ("/Windows/System32/svchost.exe"); its
 * case is as written in the command, so the caller matches case-insensitively. */
typedef int (*cmd_exists_fn)(void *ctx, const char *path);

enum {
	CMD_F_URL = 1u << 0,          /* the payload is a URL, or inline code fetches one (http/https/ftp) */
	CMD_F_ENCODED = 1u << 1,      /* powershell -EncodedCommand (see decoded) */
	CMD_F_SCRIPT = 1u << 2,       /* the payload is script: .vbs/.js/.ps1/.hta/.sct or inline script */
	CMD_F_UNRESOLVED_VAR = 1u << 3, /* a %VAR% not in the env map was left as written */
	CMD_F_NOT_LOCAL = 1u << 4,    /* a path is on another drive letter, UNC or a device: not in the image */
	CMD_F_SPACE_HIJACK = 1u << 5, /* unquoted path with spaces: a shorter prefix exists and runs
	                               * instead of the longer existing file (see shadowed) */
	CMD_F_NOT_FOUND = 1u << 6,    /* the program is not in the image (image_path is the path tried, or NULL) */
	CMD_F_PAYLOAD_NOT_FOUND = 1u << 7, /* the host's file payload is not in the image */
	CMD_F_INLINE = 1u << 8,       /* the payload is code written into the command (mshta
	                               * javascript:, powershell -Command, rundll32 javascript:) */
	CMD_F_BAD_QUOTE = 1u << 9,    /* an unterminated quote: the text ran to the end */
	CMD_F_BAD_ENCODING = 1u << 10, /* -EncodedCommand is not valid base64 (decoded is NULL) */
	CMD_F_DEPTH = 1u << 11,       /* cmd /c nesting deeper than CMD_MAX_DEPTH was not followed */
	CMD_F_TRUNCATED = 1u << 12,   /* a cap was hit (prefixes, probes, expansion): result may be partial */
};

struct cmd_resolution {
	char *expanded;     /* the command after %VAR% expansion, trimmed (Windows text) */
	char *image_path;   /* the file that runs, inside the image: "/Windows/System32/x.exe".
	                     * Not found: the path Windows would have run (CMD_F_NOT_FOUND), or
	                     * NULL when that depends on a search (bare names). NULL if not local. */
	char *arguments;    /* the text after the program, trimmed; "" when none */
	char *host;         /* a recognised host by its canonical name ("rundll32.exe",
	                     * "powershell.exe", "cmd.exe"...), else NULL */
	char *payload;      /* what the host runs, as written: the DLL, script, URL or command text
	                     * (for -EncodedCommand the base64 text) */
	char *payload_path; /* the payload file inside the image, as image_path; for cmd /c the
	                     * program the inner command runs; NULL if none */
	char *decoded;      /* -EncodedCommand decoded (base64 -> UTF-16LE -> UTF-8), also lifted
	                     * from a nested cmd /c */
	char *shadowed;     /* with CMD_F_SPACE_HIJACK: the longer existing path that was meant */
	struct cmd_resolution *inner; /* cmd /c or /k: the inner command resolved; its flags
	                     * are also or'ed into this one (NOT_FOUND as PAYLOAD_NOT_FOUND) */
	unsigned flags;     /* CMD_F_* */
};

/* Resolves command into *out (fully overwritten). Returns 0, or -1 only when
 * command is NULL or empty/blank after expansion; then *out holds nothing to
 * free. Every string in *out is malloc'd: free with cmd_resolution_release(). */
int cmd_resolve(const char *command, const struct cmd_env *env, size_t nenv,
		cmd_exists_fn exists, void *ctx, struct cmd_resolution *out);

/* A path as Windows stores it in a setting (Tcpip DataBasePath, a profile
 * folder): one path, no arguments, nothing searched. %VAR%s are expanded
 * from env, NT prefixes (\??\, \\?\), the drive letter and \SystemRoot\
 * are read as cmd_resolve() reads them, '.' and '..' folded, separators
 * made '/', a trailing separator dropped. Returns 1 with *img the path
 * inside the image ("/Windows/System32/drivers/etc", malloc'd, the case as
 * written); 0 with *img NULL when it is not on the image volume (another
 * drive, UNC, a device: CMD_F_NOT_LOCAL) or relative. *flags (may be NULL)
 * gets the CMD_F_* of the expansion. */
int cmd_resolve_path(const char *path, const struct cmd_env *env, size_t nenv, char **img, unsigned *flags);

/* Frees what cmd_resolve() allocated and zeroes *r. Accepts a zeroed *r. */
void cmd_resolution_release(struct cmd_resolution *r);

/* wmi: WMI permanent event subscriptions (ATT&CK T1546.003) read offline
 * from the CIM repository's objects file,
 * Windows\System32\wbem\Repository\OBJECTS.DATA (Repository\FS\ on XP/2003),
 * held whole in memory.
 *
 * Only OBJECTS.DATA is read, not INDEX.BTR nor the MAPPING*.MAP files: the
 * scanner then needs one file, and a damaged or forged index cannot hide an
 * object. The records are found by walking the file instead (layouts: MS-WMIO
 * for classes and instances; libyal dtformats "WMI repository file format"
 * for the pages).
 *
 * What is parsed:
 *   - every 8 KiB page whose start is a valid table of record descriptors
 *     {id, offset, size, checksum} ended by a zero entry (offsets inside
 *     the page, after the table, ascending, not overlapping; only the last
 *     record may run past the page): it delimits its records, so nothing is
 *     matched across record boundaries;
 *   - class definition records of __EventFilter, __FilterToConsumerBinding,
 *     CommandLineEventConsumer and ActiveScriptEventConsumer: property
 *     lookup table, each property's type, declaration order, value-table
 *     offset and default. Instances are read with the layout of the Windows
 *     version that wrote the file (the lookup tables differ between
 *     versions; localised copies without the key are skipped);
 *   - instance records of those four classes, recognised by the class-name
 *     hash they start with (64 UTF-16 hex digits of SHA-256, or 32 of MD5 in
 *     older repositories; both are looked for): property state bits, value
 *     table, qualifier sets, heap. A layout is accepted only if the record
 *     ends exactly where its heap ends and the heap holds the class name
 *     where the instance says, so class definitions and other records are
 *     never taken for instances. When the file holds no definition of the
 *     class the built-in layout is tried (WMI_F_BUILTIN_LAYOUT); when no
 *     layout fits, the heap is found by its class name and its strings are
 *     kept (WMI_F_NO_LAYOUT);
 *   - the reference records Windows keeps for a binding's Consumer and
 *     Filter (namespace, class, property, key path): through the SHA-256 of
 *     the binding's key they give its namespace, and so its consumer's and
 *     filter's (SHA-256 repositories only);
 *   - bytes no table covers (free pages, slack, pages whose table is
 *     damaged) are searched for the four class-name hashes; an instance found
 *     there is kept only if a layout fits it exactly (WMI_F_UNTABLED).
 *
 * What is not, and what follows from it: without the mapping file the page
 * a long record continues on is not known. It is read from the following
 * pages of the file, where Windows usually puts it (WMI_F_SPANS_PAGES); if
 * one of those holds a record table, or the file ends, only the first page
 * is read (WMI_F_PARTIAL: later strings cut or NULL). Without the index,
 * live and deleted objects are not told apart: a stale copy still in the
 * file is reported (identical copies once). Instances of other classes,
 * other consumer classes included (NTEventLog, LogFile, SMTP...), are not
 * read: they appear as bindings only. Namespaces are not told for objects
 * no binding names.
 */

#define WMI_PAGE_SIZE 8192u
/* Bytes of UTF-8 kept of one property (ScriptText can be long); past it the
 * string is cut on a character boundary and WMI_F_TRUNCATED is set. */
#define WMI_MAX_STRING (64u * 1024u)
/* Objects kept of each kind; past it the rest is dropped (overflow set). */
#define WMI_MAX_OBJECTS 4096u
/* No index: "not found" in wmi_binding.consumer / .filter. */
#define WMI_NONE ((size_t)-1)

/* How an object was read (flags on consumers, filters and bindings). */
#define WMI_F_SPANS_PAGES    0x01u /* continues past its page: the rest came from the following pages */
#define WMI_F_PARTIAL        0x02u /* the rest was not found: only its first page was read; later
                                      strings may be cut or NULL */
#define WMI_F_UNTABLED       0x04u /* found outside every record table (free page, slack, damaged
                                      table): most likely a deleted object */
#define WMI_F_BUILTIN_LAYOUT 0x08u /* the file holds no definition of the class: the layout
                                      Windows 10 and Server 2022 give it was assumed */
#define WMI_F_NO_LAYOUT      0x10u /* no layout fits the instance: fields are NULL (a filter's query
                                      and a binding's references are guessed from its strings) and
                                      `strings` lists what was carved */
#define WMI_F_TRUNCATED      0x20u /* a string was longer than WMI_MAX_STRING and was cut */

enum wmi_consumer_kind {
	WMI_COMMAND_LINE = 0, /* CommandLineEventConsumer: runs a program */
	WMI_ACTIVE_SCRIPT,    /* ActiveScriptEventConsumer: runs VBScript/JScript */
};

/* Strings are UTF-8 as stored (no trimming), owned, NULL when the property
 * is not set (an empty string when it is set to ""). */
struct wmi_consumer {
	enum wmi_consumer_kind kind;
	const char *class_name;     /* static: "CommandLineEventConsumer"... */
	char *name;                 /* Name, the key */
	char *ns;                   /* namespace ("ROOT\subscription") learnt through a
	                               binding, NULL when it cannot be told */
	char *command_line_template; /* WMI_COMMAND_LINE */
	char *executable_path;
	char *scripting_engine;     /* WMI_ACTIVE_SCRIPT: "VBScript", "JScript" */
	char *script_text;
	char *script_file_name;
	char *strings;              /* WMI_F_NO_LAYOUT: carved strings, one per line */
	size_t *bindings;           /* indices into wmi_subscriptions.bindings of the
	                               bindings that name this consumer */
	size_t nbindings;
	uint64_t offset;            /* of the record in the file */
	unsigned flags;             /* WMI_F_* */
};

struct wmi_filter {
	char *name;                 /* Name, the key */
	char *query;                /* "SELECT * FROM __InstanceModificationEvent ..." */
	char *query_language;       /* "WQL" */
	char *event_namespace;      /* EventNamespace: where the query runs */
	char *ns;                   /* namespace holding the filter, NULL if unknown */
	char *strings;              /* WMI_F_NO_LAYOUT: carved strings, one per line */
	uint64_t offset;
	unsigned flags;
};

struct wmi_binding {
	char *consumer_ref;         /* Consumer as stored: ActiveScriptEventConsumer.Name="KillProcess" */
	char *filter_ref;           /* Filter as stored: __EventFilter.Name="ProcessStartTrigger" */
	char *consumer_class;       /* parsed from consumer_ref, NULL if it cannot be parsed */
	char *consumer_name;        /* its Name key, NULL if none */
	char *filter_name;          /* Name key of filter_ref, NULL if none */
	char *ns;                   /* namespace of the binding, NULL if unknown */
	size_t consumer;            /* index into consumers, WMI_NONE: not found (or another class) */
	size_t filter;              /* index into filters, WMI_NONE: not found */
	bool other_class;           /* the consumer is neither a CommandLine nor an ActiveScript
	                               consumer (NTEventLog, LogFile, SMTP...): it runs no code */
	bool is_default;            /* Windows' own "SCM Event Log Consumer" bound to
	                               "SCM Event Log Filter" */
	uint64_t offset;
	unsigned flags;
};

struct wmi_subscriptions {
	struct wmi_consumer *consumers;
	size_t nconsumers;
	struct wmi_filter *filters;
	size_t nfilters;
	struct wmi_binding *bindings;
	size_t nbindings;
	size_t pages;               /* pages in the file (the last may be short) */
	size_t table_pages;         /* pages with a valid record table */
	size_t records;             /* records those tables list */
	size_t class_defs;          /* definitions of the four classes found */
	bool md5;                   /* instances are named by MD5 (the older repository format) */
	bool overflow;              /* a cap was hit (WMI_MAX_OBJECTS, or the work a forged
	                               file may cost): objects may be missing */
};

/* Reads the objects file (size bytes at data) into *out. Returns 0, also
 * when it holds no subscription, or -1 with a one-line lowercase reason in
 * err (no file name: the caller prefixes it), e.g. "empty file" or "no page
 * holds a record table: not a WMI repository objects file"; then *out holds
 * nothing to free. Pure code: nothing outside the buffer is read, nothing is
 * printed. Release *out with wmi_subscriptions_release(). */
int wmi_scan_objects(const void *data, size_t size, struct wmi_subscriptions *out,
		     struct ks_err *err);

/* Frees what wmi_scan_objects filled in and zeroes *s; safe to call twice. */
void wmi_subscriptions_release(struct wmi_subscriptions *s);


/* sam: the local accounts of the SAM hive. Each Users\<RID> key's F value
 * (fixed record: times, RID, account-control flags, logon count) and V
 * value (a table of offset/length pairs, offsets from 0xCC, then the
 * names and hash entries), the Names keys, and the Builtin aliases
 * Administrators (0x220) and Remote Desktop Users (0x22B). Whether the
 * password is empty needs the NT hash decrypted: the boot key from the
 * SYSTEM hive's Lsa class names, the hashed boot key from the Account F
 * value (RC4 or AES), then the entry (RC4 or AES, then DES by RID). No
 * hash ever leaves this file: only sam_password. Every offset, length and
 * count comes from an untrusted hive and is checked. */

#define SAM_ACB_DISABLED        0x0001u
#define SAM_ACB_PW_NOT_REQUIRED 0x0004u
#define SAM_ACB_NORMAL          0x0010u
#define SAM_ACB_PW_NEVER_EXPIRES 0x0200u
#define SAM_ACB_LOCKED          0x0400u

#define SAM_MAX_ACCOUNTS 4096   /* more Users subkeys than this: the rest are not read */

enum sam_password {
	SAM_PW_UNKNOWN = 0,   /* a hash is stored but could not be decrypted */
	SAM_PW_NONE,          /* no NT hash stored */
	SAM_PW_EMPTY,         /* the NT hash of the empty password */
	SAM_PW_SET,           /* any other hash */
};
/* "unknown", "none", "empty", "set": the report's spelling. */
const char *sam_password_name(enum sam_password p);

struct sam_account {
	uint32_t rid;             /* from the key name (the F record's is checked against it) */
	char *name;               /* UTF-8, owned; from V, else Names; never NULL */
	char *full_name, *comment;/* owned, NULL when empty or unreadable */
	bool has_f;               /* F was read: the fields below it are valid */
	uint16_t acb;             /* SAM_ACB_* */
	uint16_t logon_count;
	time_t last_logon, password_last_set, account_expires; /* 0: never */
	bool admin, rdp;          /* member of Administrators / Remote Desktop Users */
	enum sam_password password;
	char *note;               /* what could not be read, owned, NULL when all was */
};

struct sam_accounts {
	struct sam_account *v;    /* sorted by RID */
	size_t n;
	bool truncated;           /* SAM_MAX_ACCOUNTS reached */
	char *key_note;           /* why passwords are unknown (no boot key...), owned, NULL */
};

/* The boot key from SYSTEM ControlSet00N\Control\Lsa {JD,Skew1,GBG,Data}
 * class names. 0, or -1 with a reason in err. */
int sam_boot_key(struct hive *system, uint32_t control_set, uint8_t key[16], struct ks_err *err);
/* Reads every account of the SAM hive into *out (release with
 * sam_accounts_release). boot_key NULL: passwords "unknown" unless absent.
 * 0, or -1 with err when the hive holds no SAM\Domains\Account\Users. */
int sam_read(struct hive *sam, const uint8_t *boot_key, struct sam_accounts *out, struct ks_err *err);
void sam_accounts_release(struct sam_accounts *a);
/* The account of rid, or NULL. */
const struct sam_account *sam_find(const struct sam_accounts *a, uint32_t rid);

/* The byte-level parts, exposed for tests and the fuzz target. Each
 * returns 0, or -1 with a reason in err; nothing is read outside [p, p+n). */
int sam_parse_f(const uint8_t *p, size_t n, struct sam_account *a, struct ks_err *err);
int sam_parse_v(const uint8_t *p, size_t n, struct sam_account *a, const uint8_t **nt, size_t *ntlen,
		struct ks_err *err);
int sam_hashed_boot_key(const uint8_t *f, size_t n, const uint8_t boot_key[16], uint8_t out[16],
			struct ks_err *err);
enum sam_password sam_nt_password(const uint8_t *entry, size_t n, uint32_t rid, const uint8_t hbk[16]);
/* The member RIDs of an alias C value that belong to domain_sid (the
 * machine's S-1-5-21-a-b-c, 24 bytes; NULL: any S-1-5-21 account). *rids
 * is malloc'd (free it); returns the count, or -1 with err. */
long sam_alias_members(const uint8_t *p, size_t n, const uint8_t *domain_sid, uint32_t **rids,
		       struct ks_err *err);

/* ---- event logs (evtx.c through libevtx, evt.c through libevt, evtlog.c
 * the entry points) ---- */

/* One EventData/UserData item. name is "" for positional strings (.evt
 * logs, or EventData without Name attributes). */
struct evt_data {
	char *name;
	char *value;
};

/* One event record, as the log holds it: nothing judged here. */
struct evt_record {
	uint64_t record_id;
	uint32_t event_id;         /* without qualifiers (low 16 bits) */
	char *provider;            /* Provider Name (.evtx) or source name (.evt) */
	char *channel;             /* Channel; for .evt the log's name ("System"); never NULL */
	char *computer;            /* never NULL, "" when absent */
	char *user_sid;            /* "S-1-5-18", "" when absent */
	int64_t time;              /* written time, Unix seconds UTC; EVT_TIME_UNKNOWN when absent */
	struct evt_data *data;
	size_t ndata;
	bool recovered;            /* from a damaged chunk or a recovered (deleted) area: marked in the report */
};
#define EVT_TIME_UNKNOWN INT64_MIN

enum evt_format { EVT_FORMAT_EVTX, EVT_FORMAT_EVT };

struct evt_log {
	enum evt_format format;
	bool dirty;                /* header says the log was not closed cleanly */
	bool full;                 /* header says the log is full */
	unsigned chunks;           /* chunks (.evtx); 0 for .evt */
	unsigned chunks_bad;       /* chunks whose header or CRC failed */
	unsigned records_bad;      /* records that could not be read (not counting
	                              unreadable remnants in a chunk's slack) */
	bool truncated;            /* EVT_MAX_RECORDS, or the memory bound (16 x the input), reached */
	char *damage;              /* one line: what was wrong with the log, NULL when nothing:
	                              "1 of 2 chunks failed their checksum; 3 records could
	                              not be read; the log was not closed cleanly (dirty)" */
	struct evt_record *rec;
	size_t nrec;
};
/* Bounds a hostile log cannot get past. */
#define EVT_MAX_RECORDS 1000000u
#define EVT_MAX_VALUE   (1u << 20)   /* bytes of one data value; longer ones are cut */

/* Parses the event log held in [data, data+len) (name: for messages only).
 * Returns 0 with *out filled (release with evt_log_release) — a damaged or
 * dirty log is 0 with its damage recorded and what could be read kept —
 * or -1 with err when the bytes are not an event log at all. */
int evt_log_parse(const void *data, size_t len, const char *name, struct evt_log *out, struct ks_err *err);
void evt_log_release(struct evt_log *log);
/* The value of the data item called name (case-sensitive), or NULL. */
const char *evt_data_get(const struct evt_record *r, const char *name);


/* quarantine: Windows Defender's quarantine files
 * (ProgramData\Microsoft\Windows Defender\Quarantine), bytes in, structs out.
 *
 * Every file is RC4 with one fixed 256-byte key that mpengine.dll holds and
 * that is published (cuckoo-modified lib/cuckoo/common/quarantine.py;
 * dissect.target plugins/os/windows/defender; ERNW whitepaper 71 "AV
 * Quarantine"); each part below is decrypted with a fresh key stream.
 *
 *   Entries\{GUID}: a 60-byte header (u32 section 1 size at 0x28, section 2
 *     size at 0x2C), then section 1: 16-byte entry id, 16-byte scan id, u64
 *     FILETIME at 0x20, u64 threat id at 0x28, u32, the detection name
 *     (UTF-8, NUL-terminated) at 0x34; then section 2: u32 count, count u32
 *     offsets into section 2, each a resource: the path (UTF-16LE,
 *     NUL-terminated), u16 field count, the type ("file", "regkey"...:
 *     ASCII, NUL-terminated), then the fields, each aligned to 4 bytes of
 *     section 2: u16 size, u16 (id low 12 bits, type high 4), size bytes.
 *     Field 0x02 is the resource id: 20 bytes (a SHA-1) naming
 *     ResourceData\XX\<ID>; 0x0C a physical path (UTF-16LE); 0x0F, 0x10,
 *     0x11 creation, access and write times (u64 FILETIME).
 *   ResourceData\XX\<ID>: the whole file in one key stream: u32 security
 *     descriptor length at 0x08, the descriptor at 0x14, then
 *     WIN32_STREAM_ID records (u32 id, u32 attributes, u64 size, u32 name
 *     size, name, data); the one with id 1 (DATA) is the original file.
 *
 * Everything is hostile: each offset and length is checked against the
 * section it lies in, counts are capped, and nothing here prints or exits.
 * Older layouts (Microsoft Security Essentials, Defender before Windows 10)
 * are not described by these sources and are not read. */

#define QUAR_MAX_RESOURCES 256u        /* resources kept per entry */
#define QUAR_MAX_SECTION (16u << 20)   /* larger sections are refused */

struct quar_resource {
	char *path;            /* original path, UTF-8, "\\?\" dropped; "" when empty */
	char *type;            /* "file", "regkey", ... ("" when empty) */
	bool has_id;
	char id[41];           /* the resource id in upper-case hex: the ResourceData file's name */
	bool has_ctime, has_atime, has_mtime;
	uint64_t ctime, atime, mtime;   /* FILETIME */
	bool lossy;            /* some UTF-16 became U+FFFD */
};

struct quar_entry {
	uint8_t id[16], scan_id[16];
	uint64_t time;         /* FILETIME of the quarantine, 0 when none */
	uint64_t threat_id;
	char *detection;       /* the threat name, UTF-8 */
	struct quar_resource *v;
	size_t n;
	bool truncated;        /* more resources than QUAR_MAX_RESOURCES, or some damaged */
	char damage[128];      /* "" unless a resource could not be read */
};

/* Decrypts n bytes with the quarantine key stream from its start (in and
 * out may be the same). */
void quar_rc4(const void *in, void *out, size_t n);
/* Parses an Entries file. Returns 0 with *out filled (a damaged resource is
 * left out and named in damage), or -1 with err when the header or a section
 * does not fit; *out is then zeroed. Release with quar_entry_release(). */
int quar_entry_parse(const void *data, size_t size, struct quar_entry *out, struct ks_err *err);
void quar_entry_release(struct quar_entry *e);
/* Decodes a ResourceData file: returns 0 with *payload (malloc'd, at least
 * one byte allocated) and *len, or -1 with err. */
int quar_resource_decode(const void *data, size_t size, unsigned char **payload, size_t *len,
			 struct ks_err *err);
/* "YYYY-MM-DDTHH:MM:SSZ" of a FILETIME into buf (n >= 21); "" for 0 or out of range. */
void quar_filetime_iso(uint64_t ft, char *buf, size_t n);

/* dethist: Windows Defender's detection history (Windows 10 and later),
 * ProgramData\Microsoft\Windows Defender\Scans\History\Service\
 * DetectionHistory\<NN>\<GUID>: one file per detection, kept after the
 * quarantine and the event log are cleared. Bytes in, struct out.
 *
 * Layout (libyal dtformats "Windows Defender scan DetectionHistory file
 * format" and detection_history.yaml; plaso's windefender_history parser;
 * Orange Cyberdefense CERT, "Digging into Windows Defender Detection
 * History (WDDH)" and its wddh-parser doc.md): the file is a run of values,
 * each u32 data size, u32 data type, the data, padding to 8 bytes. Types:
 * 0x00/0x05/0x06 u32, 0x08 u64, 0x0A FILETIME, 0x15 UTF-16LE string
 * (NUL-terminated within its size), 0x1E GUID, 0x28 binary. Strings
 * "Magic.Version:1.2" separate sets of values:
 *   set 1: [0] u64 threat id, [1] GUID detection id (the file's name);
 *   set 2: [1] threat name, [4] category (MSFT_MpThreat CategoryID);
 *   set 3, one per resource: [1] resource type ("file", "containerfile",
 *     "webfile", "process", "regkey"...), [2] its location, [5] the threat
 *     tracking data: an optional 20-byte header (u32 1, header size, values
 *     size, total size, u32) or a u32 total size, then values, each u32 key
 *     size, UTF-16LE key, u32 type (3 u32, 4 u64, 5 u8, 6 u32 size +
 *     UTF-16LE, 7 u32 size + bytes): ThreatTrackingSha256, ...Sha1, ...MD5,
 *     ...Size, ...StartTime (FILETIME);
 *   after a resource's tracking data Defender writes the detection's state:
 *     [6] FILETIME last status change, then (after optional values the
 *     sources do not explain) the FILETIME InitialDetectionTime, with the
 *     domain user 6 values and the process name 4 values before it, and
 *     the FILETIME RemediationTime 2 values after it. These are found
 *     anchored on that FILETIME rather than by a fixed index, because the
 *     optional block moves them.
 * Server 2016 may leave out the first separator; the threat name then
 * follows the GUID directly. Everything is hostile: every size is checked
 * against what is left, counts are capped, strings are cut. */

#define DH_MAX_VALUES 65536u        /* values read per file; more: truncated */
#define DH_MAX_RESOURCES 256u       /* resources kept per detection */
#define DH_MAX_TEXT 32767u          /* UTF-16 units kept of one string */

struct dh_resource {
	char *type;              /* "file", "containerfile", ...; "" when not given */
	char *location;          /* as Defender wrote it (UTF-8); "" when not given */
	char sha256[65], sha1[41], md5[33];   /* from the tracking data, lower-case hex; "" */
	bool has_size;
	uint64_t size;           /* ThreatTrackingSize */
	uint64_t tracking_start; /* ThreatTrackingStartTime (FILETIME), 0 */
};

struct dh_record {
	uint64_t threat_id;
	char detection_id[39];   /* "{XXXXXXXX-...}", "" when not given */
	char *threat;            /* the threat's name, "" when not given */
	bool has_category;
	uint32_t category;
	const char *category_name; /* static ("TROJAN", "VIRUS"...), NULL when not known */
	struct dh_resource *res;
	size_t nres;
	uint64_t initial_time;   /* InitialDetectionTime (FILETIME), 0 */
	uint64_t change_time;    /* LastThreatStatusChangeTime, 0 */
	uint64_t remediation_time; /* RemediationTime, 0 when none */
	char *user;              /* "DOMAIN\user", NULL when not given */
	char *process;           /* the process that touched the resource, NULL */
	bool truncated;          /* DH_MAX_VALUES or DH_MAX_RESOURCES reached */
	bool lossy;              /* some UTF-16 became U+FFFD */
	char damage[160];        /* "" unless part of the file could not be read */
};

/* Parses one DetectionHistory file. Returns 0 with *out filled (a file
 * damaged after its first values keeps what was read, damage says where),
 * or -1 with err when it does not begin as one (a u64 threat id, then a
 * GUID); *out is then zeroed. Release with dh_record_release(). */
int dh_parse(const void *data, size_t size, struct dh_record *out, struct ks_err *err);
void dh_record_release(struct dh_record *r);
/* The detection's time: InitialDetectionTime, else the first resource's
 * ThreatTrackingStartTime, else the last status change; 0 when none. */
uint64_t dh_time(const struct dh_record *r);

#endif
