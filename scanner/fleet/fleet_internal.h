/* What the files of the fleet stage share; internal to scanner/fleet/. */
#ifndef KENSHU_FLEET_INTERNAL_H
#define KENSHU_FLEET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>

/* ---- campaign.c: the campaign directory's files ---------------------- */

/* Caps on the campaign's own files, read back as untrusted input (the
 * directory is shared by every node and anyone with access to it). */
#define FLEET_CAMPAIGN_JSON_MAX ((uint64_t)256 << 20)
#define FLEET_STATE_JSON_MAX ((uint64_t)64 << 10)

/* Writes len bytes as dir/name: a temporary name unique to this host and
 * process, fsynced, renamed into place (and the directory fsynced), so a
 * reader sees the old file or the new one, never part of one. */
int fleet_write_atomic(const char *dir, const char *name, const char *data, size_t len, struct ks_err *err);
/* The JSON object in path (a regular file of at most max bytes), or NULL
 * with err "'PATH': problem"; with missing_ok a file that is not there
 * returns NULL with err->code KS_ENOTFOUND. Caller puts the object. */
json_object *fleet_json_load(const char *path, uint64_t max, struct ks_err *err);
/* A member of o as a string (NULL when absent, null or not a string). */
const char *fleet_json_str(json_object *o, const char *key);
/* Whether s is an asset id a file may be named after. */
bool fleet_asset_ok(const char *s);
/* Frees what a row holds (manifest.c's rows become the campaign's). */
void fleet_row_release(struct fleet_row *r);
/* "HOST.PID": what makes a writer's temporary names its own. */
const char *fleet_writer_tag(void);
/* campaign.json's bytes as fleet_campaign_open reads them (path names
 * them in err); c->dir is left NULL. What tests/fuzz/fuzz-campaign.c
 * drives. */
int fleet_campaign_parse(const char *path, const char *text, size_t len, struct fleet_campaign *c,
			 struct ks_err *err);

/* ---- summary.c, summary_parse.c: the fleet summary ------------------- */

/* n bytes of JSON (strict, valid UTF-8, no NUL, nothing after it but
 * blanks) that must be an object; NULL with err ("not valid JSON (...)",
 * no file name: the caller prefixes it). */
json_object *fleet_json_parse(const char *buf, size_t n, struct ks_err *err);
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
/* Frees n findings and the array. */
void fleet_findings_free(struct fleet_finding *v, size_t n);
/* Frees what m holds and empties it. */
void fleet_summary_machine_release(struct fleet_machine *m);

#endif
