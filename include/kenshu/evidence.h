/* evidence: what Windows recorded about itself, beside its files — the
 * event logs (services installed, logs cleared, accounts added, Defender's
 * detections, remote logons, PowerShell script blocks) and Defender's own
 * traces (exclusions, detection history, quarantine).
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. The stage reads through volume and judges with
 * what windows found (os_info: hives, services); the parsers of the bytes
 * themselves live in artifacts. Nothing here fails a scan: what cannot be
 * read is recorded as such in the evidence. */
#ifndef KENSHU_EVIDENCE_H
#define KENSHU_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>

struct fs;

/* ---- bytes to scan like a file --------------------------------------- */

/* Content the evidence holds that the scan stage scans with libclamav,
 * YARA and the IOC strings exactly as it scans a file: PowerShell script
 * blocks (event 4104) and decoded quarantine payloads. A match is a
 * detection reported under path, with source saying where the bytes came
 * from. */
struct ev_payload {
	char *path;                /* where it is reported: the log or quarantine file, "/..." */
	char *stream;              /* what inside it, e.g. "record 1234" or "quarantine {GUID}" */
	char *source;              /* one line for the reader, e.g. "PowerShell script block (event 4104)" */
	unsigned char *data;
	size_t len;
};

struct ev_payloads {
	struct ev_payload *v;
	size_t n;
};

/* Appends a copy of data (owned by the list). */
void ev_payload_add(struct ev_payloads *l, const char *path, const char *stream, const char *source,
		    const void *data, size_t len);
void ev_payloads_release(struct ev_payloads *l);

/* ---- event logs (evidence/eventlog*.c) -------------------------------- */

/* Caps against logs that hold millions of records. */
#define EV_LOG_MAX_BYTES (256ull << 20)   /* a bigger log file is listed as not read */
#define EV_MAX_LOGS 1024                  /* log files read per installation */
#define EV_MAX_PER_KIND 1000u             /* events kept per kind: the last ones in log order */
#define EV_MAX_DATA_TEXT (16u << 10)      /* bytes of one kept data value (the payload has all) */
#define EV_MAX_SCRIPT_BYTES (16u << 20)   /* one joined script block */
#define EV_MAX_PAYLOAD_BYTES (128u << 20) /* all script blocks of an installation */

/* What an event is evidence of; ev_kind_name() gives the report's name. */
enum ev_kind {
	EV_SERVICE_INSTALLED,      /* System 7045, Security 4697 */
	EV_LOG_CLEARED,            /* System 104, Security 1102 (517 on XP) */
	EV_ACCOUNT_CREATED,        /* 4720 (624 on XP) */
	EV_ACCOUNT_ENABLED,        /* 4722 (626 on XP) */
	EV_GROUP_MEMBER_ADDED,     /* 4728, 4732, 4756 (632, 636, 660 on XP) */
	EV_DEFENDER_DETECTION,     /* Defender 1116 */
	EV_DEFENDER_ACTION,        /* Defender 1117 */
	EV_DEFENDER_CONFIG_CHANGED, /* Defender 5007 */
	EV_DEFENDER_PROTECTION_OFF, /* Defender 5001, 5010, 5012 */
	EV_RDP_LOGON,              /* RemoteConnectionManager 1149, Security 4624 type 10 */
	EV_POWERSHELL_SCRIPT_BLOCK, /* PowerShell 4104, its parts joined */
	EV_NKINDS
};
const char *ev_kind_name(enum ev_kind k);   /* "service-installed"...; static */

struct ev_kv {
	char *name;                /* the data item's name; "1", "2"... for positional strings */
	char *value;               /* cut at EV_MAX_DATA_TEXT bytes (on a UTF-8 boundary) */
};

/* One selected event. */
struct ev_event {
	enum ev_kind kind;
	uint32_t event_id;
	char *log;                 /* the log file inside the volume, "/Windows/System32/winevt/Logs/System.evtx" */
	char *provider, *channel;
	uint64_t record_id;
	int64_t time;              /* Unix seconds UTC, EVT_TIME_UNKNOWN */
	char *computer;
	char *user;                /* the record's user SID, "" when none */
	bool recovered;            /* read from a damaged chunk or a deleted area */
	struct ev_kv *data;        /* the event's own data, as the log holds it */
	size_t ndata;
	/* EV_SERVICE_INSTALLED: */
	char *service;             /* ServiceName, NULL for other kinds */
	char *image;               /* ImagePath (4697: ServiceFileName) as written, NULL when none */
	char *image_file;          /* image resolved inside the volume, NULL when it is not there */
	bool windows_image;        /* image is Windows' own (ev_image_windows_own) */
	bool service_present;      /* the installation's SYSTEM hive still has the service */
	/* EV_POWERSHELL_SCRIPT_BLOCK: */
	unsigned parts, parts_total; /* parts found and MessageTotal; the text joins those found */
	size_t script_len;         /* bytes of the joined text (ScriptBlockText holds at most
	                              EV_MAX_DATA_TEXT of them; the payload has them all) */
};

/* One log file found on the installation. */
struct ev_log {
	char *path;
	enum evt_format format;
	uint64_t size;
	bool read;                 /* parsed; false: error says why */
	char *error;               /* not read: too large, unreadable, not an event log */
	size_t records;
	bool dirty, full, truncated;
	unsigned chunks, chunks_bad, records_bad;
	size_t recovered;          /* records marked recovered */
	char *damage;              /* the parser's one line, NULL when nothing was wrong */
};

struct ev_eventlogs {
	struct ev_log *logs;       /* in path order */
	size_t nlogs;
	size_t logs_skipped;       /* past EV_MAX_LOGS */
	struct ev_event *events;   /* sorted: by kind, newest first (unknown times last) */
	size_t nevents;
	size_t seen[EV_NKINDS];    /* events of each kind in the logs */
	size_t dropped[EV_NKINDS]; /* of those, not kept (EV_MAX_PER_KIND) */
	size_t scripts_unscanned;  /* script blocks past EV_MAX_PAYLOAD_BYTES: not scanned */
	uint64_t payload_bytes;    /* script-block bytes handed to the scan */
};

/* The walk's part: true for a file the event logs are read from, a
 * "/ROOT/System32/winevt/Logs/NAME.evtx" or "/ROOT/System32/config/NAME.evt"
 * (case-insensitive). The system root is not known during the walk. */
bool ev_log_path_wanted(const char *path);

/* Reads the logs among found (ev_log_path_wanted paths) that lie in os's
 * system root, in path order, into *out (zeroed first), and adds each
 * joined script block to payloads. */
void eventlog_collect(struct fs *fs, const struct os_info *os, const char *const *found, size_t nfound,
		      struct ev_eventlogs *out, struct ev_payloads *payloads);

/* The selection over one parsed log (eventlog_collect's work for one file,
 * exposed for tests): adds the events the selection table names, joins
 * the log's script blocks (adding each to payloads), and judges service
 * installs against os (its autoruns: still there? its system root:
 * Windows' own?). exists (may be NULL: nothing exists) probes the volume
 * for the image path. Call ev_eventlogs_finish once after the last log. */
void ev_eventlogs_add(struct ev_eventlogs *el, const char *path, const struct evt_log *log,
		      const struct os_info *os, cmd_exists_fn exists, void *ctx, struct ev_payloads *payloads);
/* Flattens the kept events into el->events, sorted. */
void ev_eventlogs_finish(struct ev_eventlogs *el);
void ev_eventlogs_release(struct ev_eventlogs *el);

/* A Defender resource ("file:_C:\\x.exe", "containerfile:_C:\\a.zip") without
 * its kind prefix; absent when r is NULL or empty. Points into r. */
const char *ev_defender_resource(const char *r, const char *absent);

/* A service image (ImagePath as written) is Windows' own: it resolves
 * into system_root's System32 (drivers included), outside the folders
 * there that users can write, and runs no script host with a payload
 * (cmd /c, powershell...). *file (may be NULL) gets the resolved path
 * (malloc'd, NULL when not on the volume). */
bool ev_image_windows_own(const char *image, const char *system_root, cmd_exists_fn exists, void *ctx,
			  char **file);

/* ---- Defender (evidence/defender*.c) ---------------------------------- */

/* Defender's own traces: its exclusions and policy switches (SOFTWARE
 * hive: Microsoft\Windows Defender and Policies\Microsoft\Windows Defender)
 * and what it put in quarantine (ProgramData\Microsoft\Windows Defender\
 * Quarantine, read with artifacts' quar_* parser). */

#define DEF_MAX_EXCLUSIONS 4096u     /* exclusions kept per installation */
#define DEF_MAX_COVERS 20u           /* things listed under one exclusion (all are counted) */
#define DEF_MAX_QUARANTINE 4096u     /* quarantined resources kept per installation */
#define DEF_MAX_ENTRY_FILE (16u << 20)       /* larger Entries files are not read */
#define DEF_MAX_PAYLOAD (256ull << 20)       /* larger ResourceData files are not decoded */
#define DEF_MAX_PAYLOAD_TOTAL (1ull << 30)   /* decoded bytes held per installation until the scan */

enum def_kind { DEF_PATH, DEF_EXTENSION, DEF_PROCESS, DEF_IP, DEF_TEMP_PATH };

struct def_exclusion {
	enum def_kind kind;
	const char *kind_name;  /* static: "path", "extension", "process", "ip-address", "temporary-path" */
	char *value;            /* the value name, as stored */
	char *source;           /* "HKLM\SOFTWARE\...\Exclusions\Paths" */
	bool policy;            /* from Policies\Microsoft\Windows Defender (Group Policy) */
	char *pattern;          /* paths and processes with a folder: where in the volume,
	                           lower-case, '/'-separated, %VAR%s expanded, "*"/"?" kept;
	                           extensions: the extension lower-case without "*."/"."; a
	                           bare process name: the name lower-case. NULL: not on this
	                           volume (another drive, UNC) or an IP address */
	char *note;             /* why pattern is NULL, or that a %VAR% was unknown; else NULL */
	bool risky_extension;   /* an extension of code: exe dll ps1 bat cmd vbs js scr */
	/* What lies under it, filled by the scan stage (defender_exclusion_covers) */
	char **covers;          /* "autostart: KEY [Value] -> /path", "file: /path" */
	size_t ncovers;         /* listed (at most DEF_MAX_COVERS) */
	size_t covers_total;    /* counted */
	bool covers_autorun;    /* one of them is an autostart target */
};

/* The policy switches that turn Defender off (facts; the rule is
 * defender-disabled-policy). has_*: the value exists. */
struct def_policy {
	bool has_disable_antispyware, has_disable_antivirus, has_disable_realtime,
	     has_disable_behavior;
	uint32_t disable_antispyware;   /* Policies\...\Windows Defender DisableAntiSpyware */
	uint32_t disable_antivirus;     /* ... DisableAntiVirus */
	uint32_t disable_realtime;      /* ...\Real-Time Protection DisableRealtimeMonitoring */
	uint32_t disable_behavior;      /* ...\Real-Time Protection DisableBehaviorMonitoring */
};

/* One quarantined resource (one Entries file may hold several). */
struct def_quarantined {
	char *entry;            /* the Entries file in the volume */
	char *guid;             /* its name, "{...}" */
	char *threat;           /* the detection name, e.g. "Trojan:Win32/Foo.A!ml" */
	char time[24];          /* ISO 8601 of the quarantine, "" when none */
	uint64_t threat_id;
	char *original_path;    /* where the file was, Windows text */
	char *type;             /* "file", "regkey", ... */
	char *resource_id;      /* the ResourceData id (SHA-1 hex), NULL if none */
	char *resource_path;    /* ResourceData\XX\<id> in the volume, NULL if none */
	bool decoded;           /* the payload was decoded and handed to the scan */
	uint64_t size;          /* decoded payload bytes */
	char sha256[SHA256_HEX_LEN + 1];   /* of the payload, "" when not decoded */
	char *error;            /* why the payload was not decoded, NULL when it was */
};

/* Defender's detection history (ProgramData\Microsoft\Windows Defender\
 * Scans\History\Service\DetectionHistory\<NN>\<GUID>, read with
 * artifacts' dh_* parser): one record per file, kept by Defender after the
 * quarantine and the event log are gone. */
#define DEF_MAX_HISTORY 4096u          /* DetectionHistory files read per installation */
#define DEF_MAX_HISTORY_FILE (4u << 20) /* larger ones are not read */

struct def_det_resource {
	char *kind;             /* "file", "containerfile", "webfile", "process", "regkey"... */
	char *location;         /* as Defender wrote it */
	char *path;             /* a file-like resource (file, containerfile, webfile) placed in
	                           the volume ("/Users/x/a.exe"; a container's own file for
	                           "a.zip->inner"), NULL when it is not on the volume or not a file */
	char sha256[65];        /* from the tracking data, "" when none */
};

struct def_detection {
	char *file;             /* the DetectionHistory file in the volume */
	char *threat;           /* "" when the file names none */
	char *detection_id;     /* "{GUID}" */
	uint64_t threat_id;
	const char *category;   /* static, NULL when unknown */
	char time[24];          /* ISO 8601 of the detection (dh_time), "" when none */
	char remediated[24];    /* ISO 8601 of the remediation, "" when none */
	char *user, *process;   /* NULL when not given */
	struct def_det_resource *res;
	size_t nres;
	bool res_truncated;
	char *damage;           /* the parser's one line, NULL when nothing was wrong */
};

struct os_defender {
	struct def_exclusion *excl;
	size_t nexcl;
	bool excl_truncated;
	struct def_policy policy;
	struct def_quarantined *quar;
	size_t nquar;
	bool quar_truncated;
	uint64_t payload_bytes; /* decoded so far (DEF_MAX_PAYLOAD_TOTAL) */
	char **quar_errors;     /* Entries files that could not be read, "PATH: why" */
	size_t nquar_errors;
	struct def_detection *hist;  /* the detection history, newest first (unknown times last) */
	size_t nhist;
	bool hist_truncated;    /* DEF_MAX_HISTORY reached */
	char **hist_errors;     /* DetectionHistory files that could not be read, "PATH: why" */
	size_t nhist_errors;
	char *error;            /* why the SOFTWARE hive could not be read, NULL when it was */
};

/* Reads exclusions and policy from the installation's SOFTWARE hive. */
void defender_collect(struct fs *fs, const struct os_info *os, struct os_defender *out);
void defender_release(struct os_defender *d);
/* defender_collect's work on an open SOFTWARE hive (exposed for tests). */
void defender_read_hive(struct hive *h, const char *system_root, struct os_defender *out);
/* path (in the volume) is a file of Defender's detection history. */
bool defender_is_detection_history(const char *path);
/* Reads one DetectionHistory file into d (a file not read goes to
 * hist_errors). Call defender_history_finish once after the last. */
void defender_history_read(struct fs *fs, const char *path, struct os_defender *d);
/* defender_history_read's work on the file's bytes (exposed for tests). */
void defender_history_add(struct os_defender *d, const char *path, const void *data, size_t len);
/* Sorts the history: newest first, unknown times last. */
void defender_history_finish(struct os_defender *d);
/* Frees the history's part of d (defender_release calls it). */
void defender_history_release(struct os_defender *d);
/* path (in the volume) is an Entries file of Defender's quarantine. */
bool defender_is_quarantine_entry(const char *path);
/* Reads one Entries file, its ResourceData files, appends the resources to
 * d and every decoded payload to payloads (path = the ResourceData file,
 * stream = "quarantine: <original path>"). */
void defender_quarantine_read(struct fs *fs, const char *entry_path, struct os_defender *d,
			      struct ev_payloads *payloads);
/* The exclusion covers the file at path (in the volume, '/'-separated):
 * it lies in or below an excluded folder (wildcards, case ignored), has an
 * excluded extension, or is an excluded process. IP addresses cover nothing. */
bool defender_exclusion_covers(const struct def_exclusion *x, const char *path);
/* Records what lies under x (copied; counted past DEF_MAX_COVERS). */
void defender_exclusion_add_cover(struct def_exclusion *x, const char *what, bool autorun);
/* For tests: fills x's pattern from kind and value for an installation
 * whose Windows folder is system_root ("/Windows"). */
void defender_exclusion_place(struct def_exclusion *x, const char *system_root);

/* ---- one installation's evidence ------------------------------------- */

struct os_evidence {
	struct ev_eventlogs eventlogs; /* the logs read and the events selected */
	struct ev_payloads payloads;   /* scanned by the scan stage after the walk */
	struct os_defender defender;   /* Defender's exclusions, policy and quarantine */
};

/* The files the evidence reads that no fixed path names (each part's
 * predicate, e.g. ev_log_path_wanted): the scan's walk passes every main
 * stream's path for which this is true to evidence_collect as found. */
bool evidence_wants(const char *path);

/* Reads what the installation os (found on fs by os_inspect) recorded.
 * Never fails: what cannot be read is recorded in *out (release with
 * evidence_release). */
void evidence_collect(struct fs *fs, const struct os_info *os, const char *const *found, size_t nfound,
		      struct os_evidence *out);
void evidence_release(struct os_evidence *ev);

#endif
