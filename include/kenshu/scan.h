/* scan: one image end to end.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_SCAN_H
#define KENSHU_SCAN_H

#include <stdbool.h>

#include <kenshu/av.h>
#include <kenshu/drift.h>
#include <kenshu/profile.h>
#include <kenshu/report.h>

/* scan: one image, end to end — hash, walk every volume, scan every data
 * stream with the shared engine on N threads, hash again, fill a report. */

struct scan_opts {
	unsigned threads;   /* worker threads, >= 1 */
	FILE *progress;     /* where to draw the progress line (a terminal), or NULL */
	bool cross_check;   /* compare the OS identity with libguestfs's inspect_os */
	const struct profile *profile; /* judges the report (policy.h); NULL: shipped default */
	const struct case_meta *meta;  /* --meta, copied into every report; NULL: none */
	unsigned exports;   /* REPORT_EXPORT_* (--export), copied into every report */
	const struct sign_key *sign_key; /* signs reports a scan saves itself (bundle members); NULL: unsigned */
	/* --baseline: the accepted report to compare with (r->drift), whose
	 * clean files are not rescanned when its engine was the same
	 * (drift.h); NULL: none. */
	const struct snapshot *baseline;
	/* The day rules and checks judge by (KENSHU_SCAN_DATE); NULL: the UTC
	 * day the scan started. */
	const struct scan_date *scan_date;
	/* Streams up to this many bytes are read into memory once, hashed and
	 * scanned from there; larger ones are hashed in one pass and scanned
	 * through a read callback (KENSHU_SCAN_BUF_MAX). 0: 64 MiB. */
	uint64_t buf_max;
	/* --trust-anchors: the anchor file's text (trust_anchors_parse), its
	 * name for the report; NULL: the shipped Microsoft root program. The
	 * CLI has checked that it parses. */
	const char *anchors_text;
	size_t anchors_len;
	const char *anchors_name;
};

/* The engine's version, databases and limits as report data (report.h);
 * *e is overwritten (rep_engine_release it). */
void scan_engine_facts(const struct av *av, struct rep_engine *e);

/* Returns 0 with *r filled (report_release() it), or -1 with err set: the
 * image could not be scanned completely and no report may be written. */
int scan_image(const char *path, const struct av *av, const struct scan_opts *o,
	       struct report *r, struct ks_err *err);

#endif
