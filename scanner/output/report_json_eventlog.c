/* report.json's event-log evidence (schema 1.5), in each os[] object:
 * "event_logs" (every log file found and its state) and "events" (every
 * kept event with its own data), "events_summary" (per kind seen: how
 * many, and how many the cap dropped). */
#include <stdio.h>

#include <kenshu/evidence.h>
#include <kenshu/report.h>
#include "output_internal.h"

static void add_when(json_object *o, const char *k, int64_t t)
{
	char iso[32] = "";

	if (t != EVT_TIME_UNKNOWN)
		ks_iso_time((time_t)t, iso, sizeof(iso));
	add_opt(o, k, iso[0] ? iso : NULL);
}

static json_object *log_json(const struct ev_log *l)
{
	json_object *o = json_object_new_object();

	add_str(o, "path", l->path);
	add_str(o, "format", l->format == EVT_FORMAT_EVT ? "evt" : "evtx");
	add_u64(o, "size", l->size);
	add_bool(o, "read", l->read);
	add_opt(o, "error", l->error);
	add_u64(o, "records", l->records);
	add_u64(o, "records_recovered", l->recovered);
	add_u64(o, "records_bad", l->records_bad);
	add_u64(o, "chunks", l->chunks);
	add_u64(o, "chunks_bad", l->chunks_bad);
	add_bool(o, "dirty", l->dirty);
	add_bool(o, "full", l->full);
	add_bool(o, "truncated", l->truncated);
	add_opt(o, "damage", l->damage);
	return o;
}

static json_object *event_json(const struct ev_event *e)
{
	json_object *o = json_object_new_object(), *d = json_object_new_object();

	add_str(o, "kind", ev_kind_name(e->kind));
	add_u64(o, "event_id", e->event_id);
	add_str(o, "log", e->log);
	add_str(o, "provider", e->provider);
	add_str(o, "channel", e->channel);
	add_u64(o, "record_id", e->record_id);
	add_when(o, "time", e->time);
	add_str(o, "computer", e->computer);
	add_str(o, "user", e->user);
	add_bool(o, "recovered", e->recovered);
	/* data items keep the log's names; a repeated name keeps the first */
	for (size_t i = 0; i < e->ndata; i++)
		if (!json_object_object_get_ex(d, e->data[i].name, NULL))
			add_str(d, e->data[i].name, e->data[i].value);
	json_object_object_add(o, "data", d);
	if (e->kind == EV_SERVICE_INSTALLED) {
		add_opt(o, "service", e->service);
		add_opt(o, "image", e->image);
		add_opt(o, "image_file", e->image_file);
		add_bool(o, "windows_image", e->windows_image);
		add_bool(o, "service_present", e->service_present);
	}
	if (e->kind == EV_POWERSHELL_SCRIPT_BLOCK) {
		add_u64(o, "parts", e->parts);
		add_u64(o, "parts_total", e->parts_total);
		add_u64(o, "script_length", e->script_len);
	}
	return o;
}

void eventlog_json(json_object *os, const struct os_evidence *ev)
{
	const struct ev_eventlogs *el = &ev->eventlogs;
	json_object *a = json_object_new_array(), *s = json_object_new_object();

	for (size_t i = 0; i < el->nlogs; i++)
		json_object_array_add(a, log_json(&el->logs[i]));
	json_object_object_add(os, "event_logs", a);
	add_u64(os, "event_logs_skipped", el->logs_skipped);
	a = json_object_new_array();
	for (size_t i = 0; i < el->nevents; i++)
		json_object_array_add(a, event_json(&el->events[i]));
	json_object_object_add(os, "events", a);
	for (int k = 0; k < EV_NKINDS; k++) {
		if (!el->seen[k])
			continue;   /* only the kinds the logs hold */
		json_object *o = json_object_new_object();
		add_u64(o, "seen", el->seen[k]);
		add_u64(o, "dropped", el->dropped[k]);
		json_object_object_add(s, ev_kind_name((enum ev_kind)k), o);
	}
	json_object_object_add(os, "events_summary", s);
	add_u64(os, "script_blocks_unscanned", el->scripts_unscanned);
}

#include <kenshu/banned.h>
