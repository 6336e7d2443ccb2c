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
	char *error;            /* why the SOFTWARE hive could not be read, NULL when it was */
};

/* Reads exclusions and policy from the installation's SOFTWARE hive. */
void defender_collect(struct fs *fs, const struct os_info *os, struct os_defender *out);
void defender_release(struct os_defender *d);
/* defender_collect's work on an open SOFTWARE hive (exposed for tests). */
void defender_read_hive(struct hive *h, const char *system_root, struct os_defender *out);
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
	struct ev_payloads payloads;   /* scanned by the scan stage after the walk */
	struct os_defender defender;   /* Defender's exclusions, policy and quarantine */
};

/* Reads what the installation os (found on fs by os_inspect) recorded.
 * Never fails: what cannot be read is recorded in *out (release with
 * evidence_release). */
void evidence_collect(struct fs *fs, const struct os_info *os, struct os_evidence *out);
void evidence_release(struct os_evidence *ev);

#endif
