/* What the files of the scan stage share; internal to it. */
#ifndef KENSHU_SCAN_INTERNAL_H
#define KENSHU_SCAN_INTERNAL_H

#include <kenshu/report.h>
#include <kenshu/volume.h>
#include <kenshu/trust.h>

/* The volumes as the walk opened them, kept open until the autostart work
 * is done: it reads shortcuts, task files, WMI's repository and the
 * targets' version information through the same handles, so no volume is
 * opened a second time after the scan. fs[i] belongs to r->vol[i]; NULL
 * when that volume was not walked. */
struct walked {
	struct fs **fs;
	size_t n;
	const struct report *r;
};

/* The handle of the volume numbered index (img_volume.index), or NULL. */
struct fs *walked_fs(const struct walked *w, unsigned index);

/* autoruns.c: the autostart work that needs a finished scan — entries
 * that are files (Startup folders, scheduled tasks), and resolving every
 * entry to the file it runs, with that file's hash and detections. */

/* Adds Startup-folder files (shortcuts resolved) and scheduled tasks
 * (System32\Tasks XML, Tasks\*.job) of every Windows install in r. */
void autoruns_from_files(const struct walked *w, struct report *r);

/* Resolves each entry's command offline (the install's own environment:
 * SystemRoot, SystemDrive, ProgramFiles...), looks the target up in the
 * scan's manifest and detections (and signature: the manifest's result for
 * a PE, a catalog lookup by flat digest for another file), and reads its
 * version information when it is a PE. */
void autoruns_resolve(const struct walked *w, const struct trust_ctx *trust, struct report *r);

/* signatures.c: the trust context of one scan (anchors, the image's
 * catalogs) and the report's record of it. */
struct scan_opts;
struct trust_ctx;

/* The anchors (--trust-anchors, else the shipped root program) and an
 * empty catalog index, judging at the scan date; r->trust records the
 * anchors. NULL with err when the anchor text does not parse. */
struct trust_ctx *sigs_begin(const struct scan_opts *o, const struct scan_date *day, struct report *r,
			     struct ks_err *err);
/* A catalog Windows reads: ...\System32\CatRoot\{GUID}\NAME.cat. */
bool sigs_is_catalog(const char *path);
/* Reads, verifies and indexes one catalog; records it (or why it could not
 * be used) in t->cats. */
void sigs_add_catalog(struct trust_ctx *ctx, struct fs *fs, unsigned vol, const char *path,
		      struct rep_trust *t);
/* Counts one PE stream's result. */
void sigs_tally(struct rep_trust *t, const struct sig_result *s);

/* yara_results.c: YARA's part of the report. */
struct yara;
struct yara_result;

/* The rule sets as the report records them (r->yara), before the scan. */
void scan_yara_facts(const struct yara *y, uint64_t max_file_size, unsigned timeout, struct rep_yara *out);
/* One stream's YARA result into r: its matches, the time per set, and why
 * it was not fully scanned (then returns true: a skip was added). */
bool scan_yara_collect(const struct yara *y, struct report *r, unsigned vol, const char *path, const char *stream,
		       const char *sha256, uint64_t size, const struct yara_result *res, bool over);
/* After every stream: which sets were too slow. */
void scan_yara_finish(struct rep_yara *y);


/* evidence_scan.c: the evidence's part of the scan, after the workers and
 * the autostart work: Defender's quarantine is read (its Entries files are
 * in the manifest), every exclusion learns what lies under it, and every
 * payload of every installation's evidence (quarantined files, PowerShell
 * script blocks) is scanned with libclamav (the IOC strings included) and
 * YARA like a file: a match is a detection or YARA match at the payload's
 * path and stream. */
struct av;
void scan_evidence(const struct walked *w, const struct av *av, const struct yara *y, uint64_t yara_max,
		   unsigned yara_timeout, struct report *r);

#endif
