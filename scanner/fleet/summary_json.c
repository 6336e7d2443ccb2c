/* fleet.json through json-c, as report.json is written (output/): keys in
 * a fixed order, every key always present (null when absent, so readers
 * need not test for it), machines in manifest order. The same campaign
 * gives the same bytes apart from "generated". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include "fleet_internal.h"
#include <kenshu/banned.h>

#define FLEET_SCHEMA_VERSION "1.0"

static void add_opt(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static json_object *drift_json_of(const struct fleet_machine *m)
{
	json_object *o;

	if (!m->has_drift)
		return NULL;
	o = json_object_new_object();
	add_u64(o, "files_added", m->drift.files_added);
	add_u64(o, "files_removed", m->drift.files_removed);
	add_u64(o, "files_changed", m->drift.files_changed);
	add_u64(o, "autoruns_added", m->drift.autoruns_added);
	add_u64(o, "autoruns_removed", m->drift.autoruns_removed);
	add_u64(o, "autoruns_changed", m->drift.autoruns_changed);
	add_u64(o, "detections_new", m->drift.detections_new);
	add_u64(o, "detections_gone", m->drift.detections_gone);
	add_bool(o, "unchanged", m->drift.unchanged);
	return o;
}

static json_object *machine_json(const struct fleet_machine *m)
{
	json_object *o = json_object_new_object(), *meta = json_object_new_object(), *a = json_object_new_array();
	bool na = fleet_summary_verdict_index(m->verdict) == 3;

	add_opt(o, "asset", m->asset);
	add_opt(o, "verdict", m->verdict);
	/* The reason belongs to NOT-AUDITED only, whatever the model holds. */
	add_opt(o, "reason", na ? (m->reason ? m->reason : "not audited") : NULL);
	add_opt(o, "verdict_reason", m->verdict_reason);
	add_opt(o, "report", m->report);
	add_opt(o, "report_html", m->report_html);
	add_opt(o, "image", m->image);
	add_opt(o, "image_sha256", m->image_sha256);
	add_opt(o, "baseline", m->baseline);
	add_opt(o, "profile", m->profile);
	for (size_t i = 0; i < m->meta.n; i++)
		add_opt(meta, m->meta.v[i].key, m->meta.v[i].value);
	json_object_object_add(o, "meta", meta);
	add_opt(o, "started", m->started);
	add_opt(o, "finished", m->finished);
	if (m->seconds >= 0) {
		char text[32];
		/* Milliseconds, as report.json's durations. */
		snprintf(text, sizeof(text), "%.3f", m->seconds);
		json_object_object_add(o, "seconds", json_object_new_double_s(m->seconds, text));
	} else {
		json_object_object_add(o, "seconds", NULL);
	}
	add_u64(o, "detections", m->detections);
	json_object_object_add(o, "drift", drift_json_of(m));
	for (size_t i = 0; i < m->ndecisive; i++) {
		json_object *f = json_object_new_object();
		add_opt(f, "rule", m->decisive[i].rule);
		add_opt(f, "severity", m->decisive[i].severity);
		add_opt(f, "message", m->decisive[i].message);
		add_opt(f, "path", m->decisive[i].path);
		json_object_array_add(a, f);
	}
	json_object_object_add(o, "decisive_findings", a);
	add_u64(o, "decisive_total", m->decisive_total);
	add_opt(o, "previous_verdict", m->previous_verdict);
	add_bool(o, "worse", m->worse);
	return o;
}

static json_object *summary_json(const struct fleet_summary *s)
{
	static const char *const names[4] = { "PASS", "REVIEW", "FAIL", "NOT-AUDITED" };
	json_object *root = json_object_new_object(), *c = json_object_new_object(), *mf = json_object_new_object();
	json_object *counts = json_object_new_object(), *a = json_object_new_array();

	add_opt(root, "schema", "kenshu-fleet");
	add_opt(root, "schema_version", FLEET_SCHEMA_VERSION);
	add_opt(c, "dir", s->campaign_dir);
	add_opt(c, "created", s->created);
	add_opt(c, "generated", s->generated);
	add_opt(mf, "name", s->manifest_name);
	add_opt(mf, "sha256", s->manifest_sha256[0] ? s->manifest_sha256 : NULL);
	json_object_object_add(c, "manifest", mf);
	add_opt(c, "previous", s->previous);
	json_object_object_add(root, "campaign", c);
	for (int i = 0; i < 4; i++)
		add_u64(counts, names[i], s->counts[i]);
	json_object_object_add(root, "counts", counts);
	add_u64(root, "worse", s->worse);
	for (size_t i = 0; i < s->nmachines; i++)
		json_object_array_add(a, machine_json(&s->machines[i]));
	json_object_object_add(root, "machines", a);
	return root;
}

int fleet_summary_write_json(const struct fleet_summary *s, FILE *f)
{
	json_object *root = summary_json(s);
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								      JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc;

	if (!text) {
		json_object_put(root);
		errno = ENOMEM;
		return -1;
	}
	rc = fputs(text, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
	json_object_put(root);
	return rc;
}
