/* drift: snapshots of report directories and of the scan in memory, and
 * their comparison.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_DRIFT_H
#define KENSHU_DRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kenshu/core.h>
#include <kenshu/report.h>

/* drift: what changed between an accepted baseline and a later scan.
 *
 * A baseline is a report directory kenshu wrote earlier (report.json and
 * manifest.jsonl), read back as untrusted input: anyone could have edited
 * it, so every field is checked before use and a bad one is one error line.
 * A snapshot is one report as the comparison sees it: the properties it
 * compares and shows, and the engine facts of the reuse check, as plain
 * text and numbers. A baseline's are read from its report.json; the scan
 * in memory becomes a snapshot straight from struct report, each property
 * spelled exactly as report.json writes it, so the comparison cannot tell
 * the two kinds of side apart.
 *
 * drift_compare() lists files added, removed and changed (SHA-256 and size
 * from the manifests), autostart entries added, removed and changed,
 * Windows identity changes (build, UBR, edition...), volumes, detections
 * new and gone, and rule outcomes that changed. `kenshu diff OLD NEW`
 * prints it; `kenshu scan --baseline OLD` puts it in the report, where the
 * drift-* rules (policy.h) judge it. */

struct report;
struct av;

/* Limits on a baseline directory's files (hostile input). */
#define SNAPSHOT_MAX_REPORT ((uint64_t)512 << 20)   /* report.json bytes */
#define SNAPSHOT_MAX_MANIFEST ((uint64_t)16 << 30)  /* manifest.jsonl bytes */
#define SNAPSHOT_MAX_LINE ((size_t)1 << 20)         /* one manifest line */

struct snapshot;

/* Reads DIR/report.json and DIR/manifest.jsonl. Returns 0 with *out
 * (caller frees with snapshot_free), or -1 and *out NULL with one line in
 * err naming the file and the problem ("'old/report.json': not a kenshu
 * report: no schema_version"). A bundle's directory (bundle.json) is
 * refused with the hint to give one image's directory. */
int snapshot_load(const char *dir, struct snapshot **out, struct ks_err *err);
/* The report in memory as a snapshot (what drift_compare and the reuse
 * check read, and the file list), without going through JSON. Caller frees
 * with snapshot_free; everything is copied, r may go away. */
struct snapshot *snapshot_of_report(const struct report *r);
/* Reads r again, all but its file list (after policy_apply: the rule
 * outcomes, verdict and profile). r->drift is never read. */
void snapshot_update(struct snapshot *s, const struct report *r);
/* Accepts NULL. */
void snapshot_free(struct snapshot *s);

/* Whether a file this snapshot's scan found clean may stand in for
 * scanning the same bytes now: the same kenshu build, libclamav version
 * and functionality level, the same database files and IOC feeds (names
 * and SHA-256) and the same scan limits. Else false with the first
 * difference in why ("database daily.cld differs"). */
bool snapshot_reuse_ok(const struct snapshot *s, const struct rep_engine *now, char *why, size_t whylen);
/* True when the baseline (a snapshot_load()ed directory; never a snapshot
 * of the scan in memory, which has no clean set) scanned content of this SHA-256 (lowercase hex)
 * and size and found nothing in it: manifest status "scanned", and no
 * detection, macro document or skipped item at that file. Read-only after
 * loading: safe from every worker thread. */
bool snapshot_clean(const struct snapshot *s, const char *sha256, uint64_t size);

/* Compares every section; *d is filled (drift_release). Each list is
 * sorted by its key. */
void drift_compare(const struct snapshot *old, const struct snapshot *new, struct drift *d);
/* Recompares only the rule outcomes and the new side's summary (after
 * snapshot_update). */
void drift_compare_findings(const struct snapshot *old, const struct snapshot *new, struct drift *d);

#endif
