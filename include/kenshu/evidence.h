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

/* ---- one installation's evidence ------------------------------------- */

struct os_evidence {
	struct ev_payloads payloads;   /* scanned by the scan stage after the walk */
};

/* Reads what the installation os (found on fs by os_inspect) recorded.
 * Never fails: what cannot be read is recorded in *out (release with
 * evidence_release). */
void evidence_collect(struct fs *fs, const struct os_info *os, struct os_evidence *out);
void evidence_release(struct os_evidence *ev);

#endif
