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
#ifndef KENSHU_TASKCACHE_H
#define KENSHU_TASKCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
			    char *err, size_t errlen);
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

#endif
