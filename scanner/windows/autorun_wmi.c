/* WMI event subscriptions as autostart entries: a consumer that runs a
 * command line or a script, started whenever its filter's event fires
 * (a process start, a timer, logon). Windows ships none that run code, so
 * each one is listed and flagged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/windows.h>
#include <kenshu/artifacts.h>
#include <kenshu/core.h>
#include "windows_internal.h"
#include <kenshu/banned.h>

static const struct autorun_loc wmi_loc = {
	.category = "WMI event subscription", .technique = "T1546.003",
	.why = "runs whenever the bound event filter fires",
};

/* The filters a consumer is bound to, as "filter NAME: QUERY; ...". */
static char *bound_filters(const struct wmi_subscriptions *s, const struct wmi_consumer *c)
{
	struct strbuf note = STRBUF_INIT;

	if (!c->nbindings)
		return xstrdup("not bound to any filter (dormant until bound)");
	for (size_t i = 0; i < c->nbindings; i++) {
		const struct wmi_binding *b = &s->bindings[c->bindings[i]];
		const struct wmi_filter *f = b->filter != WMI_NONE ? &s->filters[b->filter] : NULL;

		sb_sep(&note);
		if (f)
			strbuf_addf(&note, "filter %s: %s", f->name ? f->name : "?", f->query ? f->query : "?");
		else
			strbuf_addf(&note, "filter %s (not found)", b->filter_name ? b->filter_name : "?");
	}
	return strbuf_detach(&note, NULL);
}

int autorun_wmi_file(const char *path, const void *data, size_t size, unsigned volume,
		     struct autorun_list *out, struct ks_err *err)
{
	struct wmi_subscriptions s;
	int added = 0;

	if (wmi_scan_objects(data, size, &s, err) < 0)
		return -1;
	for (size_t i = 0; i < s.nconsumers; i++) {
		const struct wmi_consumer *c = &s.consumers[i];
		char location[1024], *command;
		bool script = c->kind == WMI_ACTIVE_SCRIPT;

		snprintf(location, sizeof(location), "%s:%s\\%s", path, c->ns ? c->ns : "?", c->class_name);
		if (!script)
			command = xstrdup(c->command_line_template && *c->command_line_template
					  ? c->command_line_template
					  : c->executable_path ? c->executable_path : "");
		else if (c->script_file_name && *c->script_file_name)
			command = xstrdup(c->script_file_name);
		else
			command = xasprintf("%s script in the repository (%zu bytes)",
					    c->scripting_engine ? c->scripting_engine : "ActiveScript",
					    c->script_text ? strlen(c->script_text) : 0);
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		memset(&out->v[out->n], 0, sizeof(out->v[out->n]));
		struct autorun *a = &out->v[out->n++];
		a->loc = &wmi_loc;
		a->category = wmi_loc.category;
		a->technique = wmi_loc.technique;
		a->location = xstrdup(location);
		a->name = xstrdup(c->name ? c->name : "");
		a->command = command;
		a->volume = volume;
		a->target_exists = -1;
		a->note = bound_filters(&s, c);
		if (c->flags & (WMI_F_PARTIAL | WMI_F_NO_LAYOUT | WMI_F_SPANS_PAGES)) {
			char *n = xasprintf("%s; read from a damaged or scattered record, fields may be incomplete", a->note);
			free(a->note);
			a->note = n;
		}
		if (script) {
			/* scrcons.exe hosts ActiveScript consumers. */
			a->host = xstrdup("scrcons.exe");
			if (c->script_text) {
				a->payload = xstrdup(c->script_text);
				a->resolve_flags |= CMD_F_INLINE;
				a->setting = !(c->script_file_name && *c->script_file_name);
			}
		}
		a->flags |= AR_FLAG_WMI_CONSUMER;
		added++;
	}
	wmi_subscriptions_release(&s);
	return added;
}
