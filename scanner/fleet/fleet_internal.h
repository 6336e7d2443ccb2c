/* fleet_internal.h: what the fleet stage's own files share. Each section
 * is headed by the file that defines it. */
#ifndef KENSHU_FLEET_INTERNAL_H
#define KENSHU_FLEET_INTERNAL_H

#include <stddef.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>

/* ---- summary.c, summary_parse.c: the fleet summary ------------------- */

/* 0 PASS, 1 REVIEW, 2 FAIL, 3 NOT-AUDITED (the order of
 * fleet_summary.counts), -1 for anything else (NULL included). */
int fleet_summary_verdict_index(const char *verdict);

/* One report.json's bytes (untrusted: every field used is type-checked,
 * strings are cut at a length a summary can show) into the fields of m a
 * report gives: verdict, verdict_reason, image_sha256, started, finished,
 * seconds, detections, has_drift and drift, the decisive findings. Those
 * fields of m must be empty; on failure they stay so. Returns 0, or -1
 * with err holding the problem without a file name ("verdict: missing"). */
int fleet_summary_parse_report(const char *text, size_t len, struct fleet_machine *m, struct ks_err *err);
/* The same for a bundle's bundle.json: m->verdict may then also be
 * "ERROR"; the decisive findings are the members that are not PASS (rule
 * "bundle-member"); no drift. */
int fleet_summary_parse_bundle(const char *text, size_t len, struct fleet_machine *m, struct ks_err *err);

/* One machine of a previous campaign's fleet.json. */
struct fleet_prev {
	char *asset, *verdict;
};

/* A previous campaign's fleet.json (untrusted): the asset and verdict of
 * every machine, sorted by asset (unique). Returns 0 with *out (free with
 * fleet_summary_prev_free), or -1 with err holding the problem. */
int fleet_summary_parse_previous(const char *text, size_t len, struct fleet_prev **out, size_t *n,
				 struct ks_err *err);
void fleet_summary_prev_free(struct fleet_prev *v, size_t n);
/* Frees what m holds and empties it. */
void fleet_summary_machine_release(struct fleet_machine *m);

#endif
