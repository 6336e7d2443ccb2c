/* report.json's os[].defender (docs/report.md): every exclusion with where
 * it came from and what lies under it, the policy switches, and every
 * quarantined resource with its payload's size and hash. */
#include <kenshu/evidence.h>
#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

static void add_switch(json_object *o, const char *k, bool has, uint32_t v)
{
	json_object_object_add(o, k, has ? json_object_new_uint64(v) : NULL);
}

/* One object per DetectionHistory file, newest first. */
static json_object *history_json(const struct os_defender *d)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < d->nhist; i++) {
		const struct def_detection *h = &d->hist[i];
		json_object *e = json_object_new_object(), *res = json_object_new_array();

		add_str(e, "threat", h->threat);
		add_opt(e, "time", h->time[0] ? h->time : NULL);
		add_opt(e, "remediation_time", h->remediated[0] ? h->remediated : NULL);
		add_str(e, "file", h->file);
		add_str(e, "detection_id", h->detection_id);
		add_u64(e, "threat_id", h->threat_id);
		add_opt(e, "category", h->category);
		add_opt(e, "user", h->user);
		add_opt(e, "process", h->process);
		for (size_t k = 0; k < h->nres; k++) {
			const struct def_det_resource *r = &h->res[k];
			json_object *o = json_object_new_object();
			add_str(o, "kind", r->kind);
			add_str(o, "location", r->location);
			add_opt(o, "path", r->path);
			add_opt(o, "sha256", r->sha256[0] ? r->sha256 : NULL);
			json_object_array_add(res, o);
		}
		json_object_object_add(e, "resources", res);
		add_bool(e, "resources_truncated", h->res_truncated);
		add_opt(e, "damage", h->damage);
		json_object_array_add(a, e);
	}
	return a;
}

void defender_json(json_object *os, const struct os_defender *d)
{
	json_object *o, *a, *e, *c;

	if (!d) {
		json_object_object_add(os, "defender", NULL);
		return;
	}
	o = json_object_new_object();
	a = json_object_new_array();
	for (size_t i = 0; i < d->nexcl; i++) {
		const struct def_exclusion *x = &d->excl[i];
		e = json_object_new_object();
		add_str(e, "kind", x->kind_name);
		add_str(e, "value", x->value);
		add_str(e, "source", x->source);
		add_bool(e, "policy", x->policy);
		add_opt(e, "pattern", x->pattern);
		add_opt(e, "note", x->note);
		add_bool(e, "code_extension", x->risky_extension);
		c = json_object_new_array();
		for (size_t k = 0; k < x->ncovers; k++)
			json_object_array_add(c, json_object_new_string(x->covers[k]));
		json_object_object_add(e, "covers", c);
		add_u64(e, "covers_total", x->covers_total);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "exclusions", a);
	add_bool(o, "exclusions_truncated", d->excl_truncated);
	e = json_object_new_object();
	add_switch(e, "disable_antispyware", d->policy.has_disable_antispyware, d->policy.disable_antispyware);
	add_switch(e, "disable_antivirus", d->policy.has_disable_antivirus, d->policy.disable_antivirus);
	add_switch(e, "disable_realtime_monitoring", d->policy.has_disable_realtime, d->policy.disable_realtime);
	add_switch(e, "disable_behavior_monitoring", d->policy.has_disable_behavior, d->policy.disable_behavior);
	json_object_object_add(o, "policy", e);
	a = json_object_new_array();
	for (size_t i = 0; i < d->nquar; i++) {
		const struct def_quarantined *q = &d->quar[i];
		e = json_object_new_object();
		add_str(e, "threat", q->threat);
		add_str(e, "original_path", q->original_path);
		add_str(e, "type", q->type);
		add_opt(e, "time", q->time[0] ? q->time : NULL);
		add_str(e, "entry", q->entry);
		add_str(e, "guid", q->guid);
		add_u64(e, "threat_id", q->threat_id);
		add_opt(e, "resource_id", q->resource_id);
		add_opt(e, "resource_path", q->resource_path);
		add_bool(e, "decoded", q->decoded);
		json_object_object_add(e, "size", q->decoded ? json_object_new_uint64(q->size) : NULL);
		add_opt(e, "sha256", q->decoded ? q->sha256 : NULL);
		add_opt(e, "error", q->error);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "quarantine", a);
	add_bool(o, "quarantine_truncated", d->quar_truncated);
	a = json_object_new_array();
	for (size_t i = 0; i < d->nquar_errors; i++)
		json_object_array_add(a, json_object_new_string(d->quar_errors[i]));
	json_object_object_add(o, "quarantine_errors", a);
	json_object_object_add(o, "detection_history", history_json(d));
	add_bool(o, "detection_history_truncated", d->hist_truncated);
	a = json_object_new_array();
	for (size_t i = 0; i < d->nhist_errors; i++)
		json_object_array_add(a, json_object_new_string(d->hist_errors[i]));
	json_object_object_add(o, "detection_history_errors", a);
	add_opt(o, "error", d->error);
	json_object_object_add(os, "defender", o);
}
