/* report.txt's "Event-log evidence": the logs read and their state, then
 * the selected events by kind, newest first, a few of each (report.json
 * has all kept). The one-line summary of an event is shared with
 * report.html. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/evidence.h>
#include <kenshu/report.h>
#include "output_internal.h"

static const char *get(const struct ev_event *e, const char *name)
{
	for (size_t i = 0; i < e->ndata; i++)
		if (!strcmp(e->data[i].name, name))
			return e->data[i].value;
	return NULL;
}

static const char *val(const struct ev_event *e, const char *name, const char *absent)
{
	const char *v = get(e, name);

	return v && *v && strcmp(v, "-") ? v : absent;
}

/* One line of at most max characters: controls and line breaks become
 * blanks, a cut is marked " ...". */
static void add_line(struct strbuf *sb, const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++) {
		bool lead = ((unsigned char)*s & 0xC0) != 0x80;
		if (lead && n == max) {
			strbuf_addstr(sb, " ...");
			return;
		}
		n += lead;
		strbuf_addch(sb, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
	}
}

char *eventlog_summary(const struct ev_event *e)
{
	struct strbuf sb = STRBUF_INIT;

	switch (e->kind) {
	case EV_SERVICE_INSTALLED:
		strbuf_addstr(&sb, "service '");
		add_line(&sb, e->service ? e->service : "(unnamed)", 80);
		strbuf_addstr(&sb, "', image ");
		add_line(&sb, e->image ? e->image : "(none)", 160);
		if (e->windows_image)
			strbuf_addstr(&sb, " (Windows' own)");
		if (!e->service_present)
			strbuf_addstr(&sb, "; installed and later removed (no longer in the registry)");
		break;
	case EV_LOG_CLEARED:
		add_line(&sb, e->event_id == 104 ? val(e, "Channel", "a") : "Security", 60);
		strbuf_addstr(&sb, " log cleared by ");
		add_line(&sb, val(e, "SubjectUserName", val(e, "4", "an unnamed account")), 80);
		break;
	case EV_ACCOUNT_CREATED:
	case EV_ACCOUNT_ENABLED:
		strbuf_addstr(&sb, "account '");
		add_line(&sb, val(e, "TargetUserName", val(e, "1", "(unnamed)")), 80);
		strbuf_addstr(&sb, e->kind == EV_ACCOUNT_CREATED ? "' created by " : "' enabled by ");
		add_line(&sb, val(e, "SubjectUserName", "an unnamed account"), 80);
		break;
	case EV_GROUP_MEMBER_ADDED:
		add_line(&sb, val(e, "MemberName", val(e, "MemberSid", "an unnamed account")), 120);
		strbuf_addstr(&sb, " added to ");
		add_line(&sb, val(e, "TargetUserName", "a group"), 80);
		strbuf_addstr(&sb, " by ");
		add_line(&sb, val(e, "SubjectUserName", "an unnamed account"), 80);
		break;
	case EV_DEFENDER_DETECTION:
	case EV_DEFENDER_ACTION:
		add_line(&sb, val(e, "Threat Name", "a threat"), 100);
		strbuf_addstr(&sb, " in ");
		add_line(&sb, ev_defender_resource(get(e, "Path"), "an unnamed resource"), 160);
		if (get(e, "Action Name") && strncmp(get(e, "Action Name"), "%%", 2)) {
			strbuf_addstr(&sb, ", action ");
			add_line(&sb, val(e, "Action Name", "?"), 40);
		}
		break;
	case EV_DEFENDER_CONFIG_CHANGED:
		strbuf_addstr(&sb, "set ");
		add_line(&sb, val(e, "New Value", "(nothing)"), 200);
		break;
	case EV_DEFENDER_PROTECTION_OFF:
		strbuf_addstr(&sb, e->event_id == 5001   ? "real-time protection disabled"
				   : e->event_id == 5010 ? "scanning for malware and unwanted software disabled"
							 : "virus scanning disabled");
		break;
	case EV_RDP_LOGON:
		add_line(&sb, val(e, e->event_id == 1149 ? "Param1" : "TargetUserName", "(unnamed)"), 80);
		strbuf_addstr(&sb, " from ");
		add_line(&sb, val(e, e->event_id == 1149 ? "Param3" : "IpAddress", "an unknown address"), 60);
		break;
	case EV_POWERSHELL_SCRIPT_BLOCK:
		strbuf_addf(&sb, "%u of %u part%s, %zu bytes: ", e->parts, e->parts_total, pl_s(e->parts_total),
			    e->script_len);
		add_line(&sb, val(e, "ScriptBlockText", ""), 120);
		break;
	case EV_NKINDS:
		break;
	}
	return strbuf_detach(&sb, NULL);
}

char *eventlog_state(const struct ev_log *l)
{
	struct strbuf sb = STRBUF_INIT;

	if (l->error) {
		add_line(&sb, l->error, 300);
		return strbuf_detach(&sb, NULL);
	}
	strbuf_addf(&sb, "%zu record%s", l->records, pl_s(l->records));
	if (l->recovered)
		strbuf_addf(&sb, " (%zu recovered)", l->recovered);
	if (l->chunks_bad)
		strbuf_addf(&sb, ", %u of %u chunks bad", l->chunks_bad, l->chunks);
	if (l->records_bad)
		strbuf_addf(&sb, ", %u records unreadable", l->records_bad);
	if (l->dirty)
		strbuf_addstr(&sb, ", dirty (not closed cleanly)");
	if (l->full)
		strbuf_addstr(&sb, ", full");
	if (l->truncated)
		strbuf_addstr(&sb, ", cut at the record limit");
	if (l->damage) {
		strbuf_addstr(&sb, "; damage: ");
		add_line(&sb, l->damage, 300);
	}
	return strbuf_detach(&sb, NULL);
}

void eventlog_when(const struct ev_event *e, char *buf, size_t n)
{
	buf[0] = '\0';
	if (e->time != EVT_TIME_UNKNOWN)
		ks_iso_time((time_t)e->time, buf, n);
	if (!buf[0])
		snprintf(buf, n, "(time unknown)");
}

static void os_text(const struct os_info *os, const struct ev_eventlogs *el, FILE *f)
{
	size_t total = 0;

	for (int k = 0; k < EV_NKINDS; k++)
		total += el->seen[k];
	fprintf(f, "\nEvent-log evidence [vol %u]: %zu log%s, %zu selected event%s (%zu kept)\n", os->volume, el->nlogs,
		pl_s(el->nlogs), total, pl_s(total), el->nevents);
	for (size_t i = 0; i < el->nlogs; i++) {
		char *st = eventlog_state(&el->logs[i]);
		fprintf(f, "  %-5s %s: %s\n", el->logs[i].format == EVT_FORMAT_EVT ? "evt" : "evtx", el->logs[i].path, st);
		free(st);
	}
	if (el->logs_skipped)
		fprintf(f, "  and %zu more logs not read (over %d)\n", el->logs_skipped, EV_MAX_LOGS);
	for (size_t i = 0; i < el->nevents;) {
		enum ev_kind k = el->events[i].kind;
		size_t n = 0, shown = 0;
		while (i + n < el->nevents && el->events[i + n].kind == k)
			n++;
		fprintf(f, "  %s: %zu\n", ev_kind_name(k), el->seen[k]);
		for (; shown < n && shown < REPORT_EVENTS_SHOWN; shown++) {
			const struct ev_event *e = &el->events[i + shown];
			char t[32];
			char *s = eventlog_summary(e);
			eventlog_when(e, t, sizeof(t));
			fprintf(f, "    %s  %u  %s record %llu%s  %s\n", t, e->event_id, path_base(e->log),
				(unsigned long long)e->record_id, e->recovered ? " (recovered)" : "", s);
			free(s);
		}
		if (el->seen[k] > shown)
			fprintf(f, "    and %zu more%s\n", el->seen[k] - shown,
				el->dropped[k] ? " (report.json has the newest kept)" : " (in report.json)");
		i += n;
	}
	if (el->scripts_unscanned)
		fprintf(f, "  %zu script block%s not scanned (over %u MiB of script text)\n", el->scripts_unscanned,
			pl_s(el->scripts_unscanned), (unsigned)(EV_MAX_PAYLOAD_BYTES >> 20));
}

void report_eventlog_text(const struct report *r, FILE *f)
{
	for (size_t i = 0; r->evidence && i < r->nos; i++)
		if (r->evidence[i].eventlogs.nlogs || r->evidence[i].eventlogs.logs_skipped)
			os_text(&r->os[i], &r->evidence[i].eventlogs, f);
}

#include <kenshu/banned.h>
