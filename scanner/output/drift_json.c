/* The drift as JSON: report.json's "drift" object and `kenshu diff
 * --json`. Same conventions as report.json: fixed key order, null for a
 * side that is absent, lists in the comparison's (key) order. */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

static json_object *side_json(const struct drift_side *s)
{
	json_object *o = json_object_new_object();

	add_opt(o, "directory", s->dir);
	add_str(o, "image_path", s->image_path);
	add_str(o, "image_sha256", s->image_sha256);
	add_str(o, "started", s->started);
	add_str(o, "verdict", s->verdict);
	add_str(o, "profile", s->profile);
	add_str(o, "tool", s->tool);
	add_opt(o, "report_sha256", s->report_sha256[0] ? s->report_sha256 : NULL);
	add_opt(o, "manifest_sha256", s->manifest_sha256[0] ? s->manifest_sha256 : NULL);
	return o;
}

static json_object *fields_json(const struct drift_field *f, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		add_str(o, "name", f[i].name);
		add_opt(o, "old", f[i].old_value);
		add_opt(o, "new", f[i].new_value);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *summary_json(const struct drift *d)
{
	json_object *o = json_object_new_object();
	struct drift_counts c;

	drift_count(d, &c);
	add_u64(o, "files_added", c.files[DRIFT_ADDED]);
	add_u64(o, "files_removed", c.files[DRIFT_REMOVED]);
	add_u64(o, "files_changed", c.files[DRIFT_CHANGED]);
	add_u64(o, "files_unchanged", d->files_unchanged);
	add_u64(o, "autoruns_added", c.autoruns[DRIFT_ADDED]);
	add_u64(o, "autoruns_removed", c.autoruns[DRIFT_REMOVED]);
	add_u64(o, "autoruns_changed", c.autoruns[DRIFT_CHANGED]);
	add_u64(o, "detections_new", c.det[DRIFT_ADDED]);
	add_u64(o, "detections_gone", c.det[DRIFT_REMOVED]);
	add_u64(o, "findings_added", c.findings[DRIFT_ADDED]);
	add_u64(o, "findings_removed", c.findings[DRIFT_REMOVED]);
	add_u64(o, "findings_changed", c.findings[DRIFT_CHANGED]);
	add_u64(o, "os_changes", d->nos);
	add_u64(o, "volume_changes", d->nvol);
	add_bool(o, "unchanged", drift_empty(d));
	return o;
}

json_object *drift_json(const struct drift *d)
{
	json_object *root = json_object_new_object(), *a, *o;

	json_object_object_add(root, "old", side_json(&d->old));
	json_object_object_add(root, "new", side_json(&d->new));
	json_object_object_add(root, "summary", summary_json(d));
	/* Only a scan reuses; a comparison of two directories has no reuse. */
	if (!d->new.dir) {
		o = json_object_new_object();
		add_bool(o, "allowed", d->reuse);
		add_opt(o, "note", d->reuse_note);
		add_u64(o, "files_reused", d->files_reused);
		add_u64(o, "files_scanned", d->files_scanned);
		json_object_object_add(root, "reuse", o);
	} else {
		json_object_object_add(root, "reuse", NULL);
	}

	a = json_object_new_array();
	for (size_t i = 0; i < d->nvol; i++) {
		o = json_object_new_object();
		add_str(o, "change", drift_change_name(d->vol[i].change));
		add_u64(o, "index", d->vol[i].index);
		add_str(o, "filesystem", d->vol[i].filesystem);
		add_str(o, "label", d->vol[i].label);
		json_object_object_add(o, "fields", fields_json(d->vol[i].f, d->vol[i].nf));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "volumes", a);

	a = json_object_new_array();
	for (size_t i = 0; i < d->nos; i++) {
		o = json_object_new_object();
		add_str(o, "change", drift_change_name(d->os[i].change));
		add_u64(o, "volume", d->os[i].volume);
		add_str(o, "system_root", d->os[i].system_root);
		add_opt(o, "product_name", d->os[i].product);
		json_object_object_add(o, "fields", fields_json(d->os[i].f, d->os[i].nf));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "os", a);

	a = json_object_new_array();
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct drift_file *f = &d->files[i];
		bool o_ = f->change != DRIFT_ADDED, n_ = f->change != DRIFT_REMOVED;
		o = json_object_new_object();
		add_str(o, "change", drift_change_name(f->change));
		add_u64(o, "volume", f->volume);
		add_str(o, "path", f->path);
		add_str(o, "stream", f->stream);
		json_object_object_add(o, "old_size", o_ ? json_object_new_uint64(f->old_size) : NULL);
		json_object_object_add(o, "new_size", n_ ? json_object_new_uint64(f->new_size) : NULL);
		add_opt(o, "old_sha256", o_ && f->old_sha256[0] ? f->old_sha256 : NULL);
		add_opt(o, "new_sha256", n_ && f->new_sha256[0] ? f->new_sha256 : NULL);
		add_opt(o, "old_status", f->old_status);
		add_opt(o, "new_status", f->new_status);
		if (f->directory)
			add_bool(o, "directory", true);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "files", a);

	a = json_object_new_array();
	for (size_t i = 0; i < d->nautoruns; i++) {
		const struct drift_autorun *x = &d->autoruns[i];
		o = json_object_new_object();
		add_str(o, "change", drift_change_name(x->change));
		add_u64(o, "volume", x->volume);
		add_str(o, "category", x->category);
		add_str(o, "location", x->location);
		add_str(o, "name", x->name);
		add_opt(o, "user", x->user);
		add_str(o, "command", x->command);
		add_opt(o, "target", x->target);
		add_opt(o, "target_sha256", x->target_sha256);
		add_str(o, "flags", x->flags);
		json_object_object_add(o, "fields", fields_json(x->f, x->nf));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "autoruns", a);

	a = json_object_new_array();
	for (size_t i = 0; i < d->ndet; i++) {
		const struct drift_detection *x = &d->det[i];
		o = json_object_new_object();
		add_str(o, "change", x->change == DRIFT_ADDED ? "new" : "gone");
		add_u64(o, "volume", x->volume);
		add_str(o, "path", x->path);
		add_str(o, "stream", x->stream);
		add_str(o, "signature", x->signature);
		add_str(o, "sha256", x->sha256);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "detections", a);

	a = json_object_new_array();
	for (size_t i = 0; i < d->nfindings; i++) {
		const struct drift_finding *x = &d->findings[i];
		o = json_object_new_object();
		add_str(o, "change", drift_change_name(x->change));
		add_str(o, "rule", x->rule);
		if (x->volume)
			add_u64(o, "volume", x->volume);
		add_opt(o, "path", x->path);
		add_opt(o, "value", x->value);
		add_opt(o, "old_severity", x->old_severity);
		add_opt(o, "new_severity", x->new_severity);
		add_opt(o, "old_waiver", x->old_waiver);
		add_opt(o, "new_waiver", x->new_waiver);
		add_str(o, "message", x->message);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "findings", a);
	return root;
}

int drift_write_json(const struct drift *d, FILE *f)
{
	json_object *root = drift_json(d);
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								     JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = fputs(s, f) < 0 || fputs("\n", f) < 0 ? -1 : 0;

	json_object_put(root);
	return rc;
}
