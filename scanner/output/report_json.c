/* report.json and manifest.jsonl through json-c (escaping, UTF-8 and
 * number formatting are json-c's, not ours). Keys are added in a fixed
 * order and lists are pre-sorted, so the output is deterministic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>
#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

static const struct {
	unsigned flag;
	const char *name;
} flag_names[] = {
	{ FS_F_COMPRESSED, "compressed" },
	{ FS_F_SPARSE, "sparse" },
	{ FS_F_ENCRYPTED, "encrypted" },
	{ FS_F_REPARSE, "reparse-point" },
	{ FS_F_DIRECTORY, "directory" },
	{ FS_F_HARDLINK, "hardlink" },
	{ FS_F_NAME_LOSSY, "name-not-valid-utf16" },
	{ FS_F_WOF, "wof-compressed" },
};

/* Every finding starts with where it is. */
static json_object *located(unsigned volume, const char *path, const char *stream)
{
	json_object *o = json_object_new_object();

	add_u64(o, "volume", volume);
	add_str(o, "path", path);
	if (stream)
		add_str(o, "stream", stream);
	return o;
}

static json_object *flags_array(unsigned flags)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (flags & flag_names[i].flag)
			json_object_array_add(a, json_object_new_string(flag_names[i].name));
	return a;
}

static json_object *engine_json(const struct rep_engine *l)
{
	json_object *e = json_object_new_object(), *dbs = json_object_new_array(), *lim;

	add_str(e, "name", "libclamav");
	add_str(e, "version", l->version);
	add_u64(e, "functionality_level", l->functionality_level);
	add_str(e, "database_dir", l->dbdir);
	add_u64(e, "signatures", l->signatures);
	for (size_t i = 0; i < l->ndbs; i++) {
		const struct rep_db *d = &l->dbs[i];
		json_object *o = json_object_new_object();

		add_str(o, "name", d->name);
		add_bool(o, "official", d->official);
		add_u64(o, "version", d->version);
		add_u64(o, "signatures", d->sigs);
		if (d->build_time[0])
			add_str(o, "build_time", d->build_time);
		if (d->builder[0])
			add_str(o, "builder", d->builder);
		add_u64(o, "size", d->size);
		add_str(o, "sha256", d->sha256);
		json_object_array_add(dbs, o);
	}
	json_object_object_add(e, "databases", dbs);
	lim = json_object_new_object();
	add_u64(lim, "max_filesize", l->max_filesize);
	add_u64(lim, "max_scansize", l->max_scansize);
	add_u64(lim, "max_recursion", l->max_recursion);
	add_u64(lim, "max_files", l->max_files);
	add_u64(lim, "max_scantime_ms", l->max_scantime_ms);
	json_object_object_add(e, "limits", lim);
	return e;
}

static json_object *volume_json(const struct rep_volume *rv)
{
	json_object *o = json_object_new_object();
	const struct img_volume *v = &rv->v;

	add_u64(o, "index", v->index);
	/* A volume inside another has no one place on the disk. */
	if (!v->parent)
		add_u64(o, "offset", v->offset);
	add_u64(o, "size", v->size);
	add_str(o, "partition_type", v->part_type);
	if (v->parent) {
		add_u64(o, "parent", v->parent);
		add_str(o, "device", v->device);
	}
	if (v->gpt_type[0])
		add_str(o, "gpt_type", v->gpt_type);
	if (v->mbr_type[0])
		add_str(o, "mbr_type", v->mbr_type);
	if (v->part_name[0])
		add_str(o, "partition_name", v->part_name);
	if (v->logical)
		add_bool(o, "logical", true);
	add_str(o, "filesystem", v->fs);
	add_str(o, "label", rv->label);
	if (rv->fs_version && rv->fs_version[0])
		add_str(o, "filesystem_version", rv->fs_version);
	if (rv->reader)
		add_str(o, "reader", rv->reader);
	add_str(o, "state", vol_state_name(v->state));
	if (v->state_reason[0])
		add_str(o, "state_reason", v->state_reason);
	add_bool(o, "scanned", rv->scanned);
	if (rv->scanned) {
		add_bool(o, "dirty", rv->dirty);
		add_u64(o, "files", rv->files);
		add_u64(o, "streams", rv->streams);
		add_u64(o, "bytes_scanned", rv->bytes);
		add_u64(o, "reparse_points", rv->reparse_points);
		add_u64(o, "hardlinks", rv->hardlinks);
	}
	return o;
}

/* The image's own certificate stores; in_root_program is null when the
 * scan had no anchors to mark them with, and the certificate's fields are
 * null for a Blob that did not parse. */
static void certstores_json(json_object *o, const struct cert_store_list *l)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < l->n; i++) {
		const struct cert_store_entry *e = &l->v[i];
		const struct certstore_cert *c = e->parsed ? &e->cert : NULL;
		json_object *h = json_object_new_object();
		add_str(h, "scope", e->scope);
		add_opt(h, "user", e->user);
		add_str(h, "store", e->store);
		add_str(h, "key", e->key);
		add_str(h, "thumbprint", e->thumbprint);
		add_opt(h, "sha1", c ? c->sha1 : NULL);
		add_opt(h, "subject", c ? c->subject : NULL);
		add_opt(h, "issuer", c ? c->issuer : NULL);
		add_opt(h, "friendly_name", c ? c->friendly_name : NULL);
		add_opt(h, "not_before", c && c->not_before[0] ? c->not_before : NULL);
		add_opt(h, "not_after", c && c->not_after[0] ? c->not_after : NULL);
		json_object_object_add(h, "code_signing", c ? json_object_new_boolean(c->code_signing_eku) : NULL);
		json_object_object_add(h, "self_signed", c ? json_object_new_boolean(c->self_signed) : NULL);
		json_object_object_add(h, "in_root_program",
				       l->marked && c ? json_object_new_boolean(e->in_root_program) : NULL);
		add_bool(h, "windows_required", e->windows_required);
		add_bool(h, "added_root", cert_store_added_root(l, e));
		add_bool(h, "thumbprint_matches", e->thumbprint_matches);
		add_opt(h, "error", e->error);
		json_object_array_add(a, h);
	}
	json_object_object_add(o, "certificate_stores", a);
	add_bool(o, "certificate_stores_truncated", l->truncated);
	add_opt(o, "certificate_stores_anchors", l->marked ? (l->anchors_name ? l->anchors_name : "") : NULL);
}

static void add_time(json_object *o, const char *k, time_t t)
{
	char iso[32];

	ks_iso_time(t, iso, sizeof(iso));
	add_opt(o, k, iso[0] ? iso : NULL);
}

/* The SAM's local accounts (schema 1.4): flags and times from F, names
 * from V, memberships from the aliases, and of the password only the
 * judgement (never a hash). Flags are null when F could not be read. */
static void accounts_json(json_object *o, const struct os_info *os)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < os->accounts.n; i++) {
		const struct sam_account *u = &os->accounts.v[i];
		json_object *h = json_object_new_object();
		bool f = u->has_f;
		add_u64(h, "rid", u->rid);
		add_str(h, "name", u->name);
		add_opt(h, "full_name", u->full_name);
		add_opt(h, "comment", u->comment);
		json_object_object_add(h, "enabled", f ? json_object_new_boolean(!(u->acb & SAM_ACB_DISABLED)) : NULL);
		json_object_object_add(h, "password_required",
				       f ? json_object_new_boolean(!(u->acb & SAM_ACB_PW_NOT_REQUIRED)) : NULL);
		json_object_object_add(h, "password_never_expires",
				       f ? json_object_new_boolean(u->acb & SAM_ACB_PW_NEVER_EXPIRES) : NULL);
		json_object_object_add(h, "locked", f ? json_object_new_boolean(u->acb & SAM_ACB_LOCKED) : NULL);
		json_object_object_add(h, "account_control", f ? json_object_new_int(u->acb) : NULL);
		add_time(h, "last_logon", u->last_logon);
		add_time(h, "password_last_set", u->password_last_set);
		add_time(h, "account_expires", u->account_expires);
		json_object_object_add(h, "logon_count", f ? json_object_new_int(u->logon_count) : NULL);
		add_bool(h, "admin", u->admin);
		add_bool(h, "rdp", u->rdp);
		add_str(h, "password", sam_password_name(u->password));
		add_opt(h, "note", u->note);
		json_object_array_add(a, h);
	}
	json_object_object_add(o, "accounts", a);
	add_bool(o, "accounts_truncated", os->accounts.truncated);
	add_opt(o, "accounts_error", os->accounts_error);
	add_opt(o, "accounts_password_note", os->accounts.key_note);
}

static json_object *os_json(const struct os_info *os)
{
	json_object *o = json_object_new_object(), *a, *h;

	add_u64(o, "volume", os->volume);
	add_str(o, "system_root", os->system_root);
	add_opt(o, "product_name", os->product_name);
	add_opt(o, "edition", os->edition);
	add_str(o, "family", os->family);
	add_opt(o, "current_version", os->current_version);
	{
		char ver[REPORT_OS_VERSION_MAX];
		add_opt(o, "version", report_os_version(os, ver, sizeof(ver)));
	}
	add_opt(o, "build", os->build);
	if (os->has_ubr)
		add_u64(o, "ubr", os->ubr);
	else
		add_opt(o, "ubr", NULL);
	add_opt(o, "service_pack", os->service_pack);
	add_opt(o, "architecture", os->architecture);
	add_opt(o, "hostname", os->hostname);
	add_opt(o, "install_date", os->install_date);
	add_opt(o, "registered_owner", os->registered_owner);
	add_opt(o, "registered_organization", os->registered_organization);
	add_opt(o, "time_zone", os->time_zone);
	add_u64(o, "control_set", os->control_set);
	a = json_object_new_array();
	for (size_t i = 0; i < os->nprofiles; i++) {
		json_object *p = json_object_new_object();
		add_str(p, "sid", os->profiles[i].sid);
		add_str(p, "user", os->profiles[i].user);
		add_str(p, "path", os->profiles[i].path);
		add_str(p, "source", os->profiles[i].found_on_disk ? "profile folder"
				     : !strcmp(os->profiles[i].sid, "Default") ? "ProfileList Default" : "ProfileList");
		json_object_array_add(a, p);
	}
	json_object_object_add(o, "profiles", a);
	a = json_object_new_array();
	for (int k = 0; k < 2; k++) {
		const struct os_hive *hv = &os->hives[k];
		if (!hv->name)
			continue;
		h = json_object_new_object();
		add_str(h, "name", hv->name);
		add_str(h, "path", hv->path);
		add_bool(h, "opened", hv->health.opened);
		if (hv->health.error[0])
			add_str(h, "error", hv->health.error);
		add_bool(h, "dirty", hv->health.dirty);
		add_u64(h, "sequence1", hv->health.seq1);
		add_u64(h, "sequence2", hv->health.seq2);
		add_bool(h, "log1_present", hv->health.log1);
		add_bool(h, "log2_present", hv->health.log2);
		json_object_array_add(a, h);
	}
	json_object_object_add(o, "hives", a);
	a = json_object_new_array();
	for (size_t i = 0; i < os->nuser_hives; i++) {
		const struct os_user_hive *u = &os->user_hives[i];
		h = json_object_new_object();
		add_str(h, "user", u->user);
		add_str(h, "kind", u->kind);
		add_str(h, "path", u->path);
		add_bool(h, "opened", u->health.opened);
		if (u->health.error[0])
			add_str(h, "error", u->health.error);
		add_bool(h, "dirty", u->health.dirty);
		add_bool(h, "log1_present", u->health.log1);
		add_bool(h, "log2_present", u->health.log2);
		json_object_array_add(a, h);
	}
	json_object_object_add(o, "user_hives", a);
	add_opt(o, "wmi_repository_error", os->wmi_error);
	if (os->cross_check)
		add_str(o, "cross_check", os->cross_check);
	/* Patch level and hardening facts, in posture_evaluate's order. */
	a = json_object_new_array();
	for (size_t i = 0; i < os->posture.n; i++) {
		const struct posture_check *c = &os->posture.c[i];
		h = json_object_new_object();
		add_str(h, "rule", c->rule);
		add_opt(h, "scope", c->scope);
		add_str(h, "state", posture_state_name(c->state));
		add_str(h, "message", c->message);
		add_str(h, "evidence", c->evidence);
		json_object_array_add(a, h);
	}
	json_object_object_add(o, "posture", a);
	certstores_json(o, &os->certstores);
	accounts_json(o, os);
	return o;
}

static const struct {
	unsigned flag;
	const char *name;
} cmd_flag_names[] = {
	{ CMD_F_URL, "url" }, { CMD_F_ENCODED, "encoded-command" }, { CMD_F_SCRIPT, "script" },
	{ CMD_F_UNRESOLVED_VAR, "unresolved-variable" }, { CMD_F_NOT_LOCAL, "not-in-image" },
	{ CMD_F_SPACE_HIJACK, "unquoted-path-hijack" }, { CMD_F_NOT_FOUND, "target-missing" },
	{ CMD_F_PAYLOAD_NOT_FOUND, "payload-missing" }, { CMD_F_INLINE, "inline-code" },
	{ CMD_F_BAD_QUOTE, "unterminated-quote" }, { CMD_F_BAD_ENCODING, "bad-encoded-command" },
	{ CMD_F_DEPTH, "nesting-too-deep" }, { CMD_F_TRUNCATED, "truncated" },
};

static json_object *autorun_json(const struct autorun *ar)
{
	json_object *o = json_object_new_object(), *fl;

	add_u64(o, "volume", ar->volume);
	add_str(o, "category", ar->category);
	add_str(o, "technique", ar->technique);
	add_str(o, "location", ar->location);
	add_str(o, "name", ar->name);
	add_opt(o, "value", autorun_value_name(ar));
	add_str(o, "command", ar->command);
	add_opt(o, "user", ar->user);
	/* A service's Start (0 boot .. 4 disabled): whether its program runs at all. */
	if (ar->service)
		json_object_object_add(o, "service_start", ar->has_start ? json_object_new_int64(ar->start) : NULL);
	add_opt(o, "note", ar->note);
	add_opt(o, "clsid", ar->clsid);
	add_opt(o, "overrides_machine_server", ar->shadows);
	add_opt(o, "target", ar->target);
	json_object_object_add(o, "target_exists", ar->target_exists < 0 ? NULL
				: json_object_new_boolean(ar->target_exists));
	add_opt(o, "target_sha256", ar->target_sha256);
	add_opt(o, "target_detection", ar->target_detection);
	json_object_object_add(o, "target_authenticode", sig_json(ar->target_sig));
	if (ar->pe) {
		json_object *pe = json_object_new_object();
		add_opt(pe, "company", ar->pe->company);
		add_opt(pe, "product", ar->pe->product);
		add_opt(pe, "description", ar->pe->description);
		add_opt(pe, "file_version", ar->pe->file_version);
		add_opt(pe, "file_version_fixed", ar->pe->fixed_version[0] ? ar->pe->fixed_version : NULL);
		add_opt(pe, "original_filename", ar->pe->original_filename);
		add_str(pe, "machine", ar->pe->machine);
		add_bool(pe, "dll", ar->pe->is_dll);
		json_object_object_add(o, "target_pe", pe);
	} else {
		json_object_object_add(o, "target_pe", NULL);
	}
	add_opt(o, "target_pe_error", ar->pe_error);
	add_opt(o, "host", ar->host);
	add_opt(o, "payload", ar->payload);
	add_opt(o, "decoded", ar->decoded);
	fl = json_object_new_array();
	for (size_t i = 0; i < sizeof(cmd_flag_names) / sizeof(cmd_flag_names[0]); i++)
		if (ar->resolve_flags & cmd_flag_names[i].flag)
			json_object_array_add(fl, json_object_new_string(cmd_flag_names[i].name));
	json_object_object_add(o, "resolution", fl);
	fl = json_object_new_array();
	for (size_t i = 0; i < ar_nflag_info; i++)
		if (ar->flags & ar_flag_info[i].flag)
			json_object_array_add(fl, json_object_new_string(ar_flag_info[i].name));
	json_object_object_add(o, "flags", fl);
	return o;
}

/* Which profile judged, by content: the file's hash and the effective
 * hash (after includes), and every waiver with what became of it. */
static json_object *profile_json(const struct report *r)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	add_str(o, "name", r->profile_name);
	add_str(o, "source", r->profile_source);
	add_str(o, "sha256", r->profile_sha256);
	add_str(o, "effective_sha256", r->profile_effective_sha256);
	add_str(o, "scan_date", r->scan_date);
	for (size_t i = 0; i < r->nprofile_files; i++) {
		json_object *f = json_object_new_object();
		add_str(f, "source", r->profile_files[i].source);
		add_str(f, "sha256", r->profile_files[i].sha256);
		json_object_array_add(a, f);
	}
	json_object_object_add(o, "files", a);
	a = json_object_new_array();
	for (size_t i = 0; i < r->nwaivers; i++) {
		const struct rep_waiver *w = &r->waivers[i];
		json_object *x = json_object_new_object();
		add_str(x, "name", w->w.name);
		add_str(x, "rule", w->w.rule);
		add_opt(x, "path", w->w.path);
		add_opt(x, "sha256", w->w.sha256);
		add_str(x, "reason", w->w.reason);
		add_str(x, "approver", w->w.approver);
		add_str(x, "expires", w->w.expires);
		add_str(x, "status", w->status);
		add_u64(x, "findings_lifted", w->applied);
		add_str(x, "defined_at", w->w.origin);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "waivers", a);
	return o;
}

static json_object *findings_json(const struct report *r)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < r->nfindings; i++) {
		const struct rep_finding *f = &r->findings[i];
		json_object *o = json_object_new_object(), *e = json_object_new_object();
		add_str(o, "rule", f->rule);
		add_str(o, "severity", severity_name(f->severity));
		add_str(o, "message", f->message);
		if (f->volume)
			add_u64(e, "volume", f->volume);
		if (f->path)
			add_str(e, "path", f->path);
		if (f->stream)
			add_str(e, "stream", f->stream);
		if (f->value)
			add_str(e, "value", f->value);
		if (f->version)
			add_str(e, "version", f->version);
		if (f->sha256)
			add_str(e, "sha256", f->sha256);
		json_object_object_add(o, "evidence", e);
		add_bool(o, "waived", f->waiver != NULL);
		add_opt(o, "waiver", f->waiver);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *report_json_object(const struct report *r)
{
	json_object *root = json_object_new_object(), *o, *a;
	uint64_t files = 0, streams = 0, bytes = 0, scanned = 0, rp = 0, hl = 0;

	add_str(root, "schema_version", REPORT_SCHEMA_VERSION);
	add_tool(root);
	add_case(root, &r->meta);

	add_str(root, "verdict", verdict_name(r->verdict));
	add_str(root, "verdict_reason", r->verdict_reason);
	json_object_object_add(root, "profile", profile_json(r));
	json_object_object_add(root, "findings", findings_json(r));
	/* null without --baseline: the schema does not change shape. */
	json_object_object_add(root, "drift", r->drift ? drift_json(r->drift) : NULL);

	o = json_object_new_object();
	add_str(o, "path", r->image_path);
	add_str(o, "format", r->image_format);
	add_str(o, "reader", r->image_reader);
	add_u64(o, "size", r->image_size);
	add_u64(o, "disk_size", r->disk_size);
	add_str(o, "sha256_before", r->sha256_before);
	add_str(o, "sha256_after", r->sha256_after);
	add_bool(o, "unchanged", strcmp(r->sha256_before, r->sha256_after) == 0);
	add_str(o, "partition_scheme", r->scheme);
	if (r->disk_guid && r->disk_guid[0])
		add_str(o, "disk_guid", r->disk_guid);
	if (r->gpt_backup_used)
		add_bool(o, "gpt_backup_used", true);
	json_object_object_add(root, "image", o);

	json_object_object_add(root, "engine", engine_json(&r->engine));

	o = json_object_new_object();
	add_str(o, "started", r->started);
	add_str(o, "finished", r->finished);
	add_str(o, "host", r->host);
	add_seconds(o, "seconds", r->seconds_total);
	add_seconds(o, "seconds_hashing", r->seconds_hash);
	add_seconds(o, "seconds_scanning", r->seconds_scan);
	add_u64(o, "threads", r->threads);
	json_object_object_add(root, "scan", o);

	a = json_object_new_array();
	for (size_t i = 0; i < r->nvol; i++) {
		const struct rep_volume *v = &r->vol[i];
		json_object_array_add(a, volume_json(v));
		if (v->scanned) {
			scanned++;
			files += v->files;
			streams += v->streams;
			bytes += v->bytes;
			rp += v->reparse_points;
			hl += v->hardlinks;
		}
	}
	json_object_object_add(root, "volumes", a);
	a = json_object_new_array();
	for (size_t i = 0; i < r->ngaps; i++) {
		json_object *g = json_object_new_object();
		add_u64(g, "offset", r->gaps[i].offset);
		add_u64(g, "size", r->gaps[i].size);
		add_bool(g, "holds_data", r->gaps[i].holds_data);
		add_bool(g, "sampled", r->gaps[i].sampled);
		json_object_array_add(a, g);
	}
	json_object_object_add(root, "unallocated", a);
	if (r->cross_check_note)
		add_str(root, "cross_check_note", r->cross_check_note);

	a = json_object_new_array();
	for (size_t i = 0; i < r->nos; i++) {
		json_object *oj = os_json(&r->os[i]);
		if (r->evidence)
			eventlog_json(oj, &r->evidence[i]);
		defender_json(oj, r->evidence ? &r->evidence[i].defender : NULL);
		json_object_array_add(a, oj);
	}
	json_object_object_add(root, "os", a);

	a = json_object_new_array();
	for (size_t i = 0; i < r->nos; i++)
		for (size_t k = 0; k < r->os[i].autoruns.n; k++)
			json_object_array_add(a, autorun_json(&r->os[i].autoruns.v[k]));
	json_object_object_add(root, "autoruns", a);

	a = json_object_new_array();
	for (size_t i = 0; i < r->ndet; i++) {
		const struct rep_detection *d = &r->det[i];
		o = located(d->volume, d->path, d->stream);
		add_str(o, "signature", d->signature);
		add_str(o, "sha256", d->sha256);
		add_u64(o, "size", d->size);
		const struct rep_file *df = report_find_file(r, d->volume, d->path, d->stream);
		json_object_object_add(o, "authenticode", sig_json(df ? df->sig : NULL));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "detections", a);
	json_object_object_add(root, "yara", yara_json(&r->yara));
	json_object_object_add(root, "signatures", trust_json(&r->trust));

	/* Always present, [] when none: the schema does not change shape. */
	a = json_object_new_array();
	for (size_t i = 0; i < r->nmacros; i++) {
		const struct rep_detection *d = &r->macros[i];
		o = located(d->volume, d->path, d->stream);
		add_str(o, "heuristic", d->signature);
		add_str(o, "sha256", d->sha256);
		add_u64(o, "size", d->size);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "macro_documents", a);

	a = json_object_new_array();
	for (size_t i = 0; i < r->nskip; i++) {
		const struct rep_skip *s = &r->skip[i];
		o = located(s->volume, s->path, s->stream);
		add_str(o, "reason", s->reason);
		add_u64(o, "size", s->size);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "skipped", a);

	a = json_object_new_array();
	for (size_t i = 0; i < r->nrp; i++) {
		const struct rep_reparse *p = &r->rp[i];
		char tag[16];
		o = located(p->volume, p->path, NULL);
		snprintf(tag, sizeof(tag), "0x%08X", p->tag);
		add_str(o, "tag", tag);
		add_str(o, "kind", reparse_tag_name(p->tag));
		add_str(o, "target", p->target);
		add_bool(o, "directory", p->directory);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "reparse_points", a);

	o = json_object_new_object();
	add_u64(o, "volumes", r->nvol);
	add_u64(o, "volumes_scanned", scanned);
	add_u64(o, "files", files);
	add_u64(o, "streams", streams);
	add_u64(o, "bytes_scanned", bytes);
	add_u64(o, "detections", r->ndet);
	add_u64(o, "skipped", r->nskip);
	add_u64(o, "reparse_points", rp);
	add_u64(o, "hardlinks", hl);
	for (int sev = SEV_FAIL; sev >= SEV_INFO; sev--) {
		uint64_t n = 0;
		char k[32];
		for (size_t i = 0; i < r->nfindings; i++)
			n += !r->findings[i].waiver && (int)r->findings[i].severity == sev;
		snprintf(k, sizeof(k), "findings_%s", severity_name((enum severity)sev));
		add_u64(o, k, n);
	}
	{
		uint64_t n = 0;
		for (size_t i = 0; i < r->nfindings; i++)
			n += r->findings[i].waiver != NULL;
		add_u64(o, "findings_waived", n);
	}
	json_object_object_add(root, "counters", o);
	return root;
}

static int write_all(FILE *f, const char *s)
{
	size_t n = strlen(s);

	return fwrite(s, 1, n, f) == n ? 0 : -1;
}

int report_write_json(const struct report *r, FILE *f)
{
	json_object *root = report_json_object(r);
	int rc = write_all(f, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE));

	if (rc == 0)
		rc = write_all(f, "\n");
	json_object_put(root);
	return rc;
}

int report_write_manifest(const struct report *r, FILE *f)
{
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct rep_file *m = &r->files[i];
		json_object *o = located(m->volume, m->path, m->stream);
		int rc;

		add_u64(o, "size", m->size);
		if (m->sha256[0])
			add_str(o, "sha256", m->sha256);
		add_str(o, "status", m->status);
		if (m->flags)
			json_object_object_add(o, "flags", flags_array(m->flags));
		if (m->link_of)
			add_str(o, "link_of", m->link_of);
		if (m->sig)
			json_object_object_add(o, "authenticode", sig_json(m->sig));
		rc = write_all(f, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		if (rc < 0 || write_all(f, "\n") < 0)
			return -1;
	}
	return 0;
}
