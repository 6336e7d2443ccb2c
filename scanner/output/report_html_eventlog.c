/* report.html's "Event-log evidence": the logs read and their state
 * (damaged ones marked), then the selected events by kind, newest first,
 * a few of each; every text from a log is escaped. */
#include <stdio.h>
#include <stdlib.h>

#include <kenshu/evidence.h>
#include <kenshu/report.h>
#include "output_internal.h"

static bool log_bad(const struct ev_log *l)
{
	return l->error || l->damage || l->chunks_bad || l->records_bad || l->truncated || l->dirty;
}

static void os_html(const struct os_info *os, const struct ev_eventlogs *el, FILE *f)
{
	fprintf(f, "<h3>Volume %u: %zu event log%s</h3>\n", os->volume, el->nlogs, pl_s(el->nlogs));
	report_html_table_head(f, NULL, "w4|Format", "p40|Log", "|State", NULL);
	for (size_t i = 0; i < el->nlogs; i++) {
		const struct ev_log *l = &el->logs[i];
		char *st = eventlog_state(l);
		fprintf(f, "<tr><td>%s</td><td class=\"mono\">", l->format == EVT_FORMAT_EVT ? "evt" : "evtx");
		html_esc(f, l->path);
		fprintf(f, "</td><td%s>", log_bad(l) ? " class=\"st-bad\"" : "");
		html_esc(f, st);
		fputs("</td></tr>\n", f);
		free(st);
	}
	fputs("</tbody>\n</table>\n", f);
	if (el->logs_skipped)
		fprintf(f, "<p class=\"st-bad\">%zu more logs were not read (over %d).</p>\n", el->logs_skipped,
			EV_MAX_LOGS);
	if (el->scripts_unscanned)
		fprintf(f, "<p class=\"st-bad\">%zu script block%s not scanned (over %u MiB of script text).</p>\n",
			el->scripts_unscanned, pl_s(el->scripts_unscanned), (unsigned)(EV_MAX_PAYLOAD_BYTES >> 20));
	for (size_t i = 0; i < el->nevents;) {
		enum ev_kind k = el->events[i].kind;
		size_t n = 0, shown = 0;
		while (i + n < el->nevents && el->events[i + n].kind == k)
			n++;
		fputs("<h4>", f);
		html_esc(f, ev_kind_name(k));
		fprintf(f, ": %zu</h4>\n", el->seen[k]);
		report_html_table_head(f, NULL, "w12|Time", "w4|Event", "p30|Log, record", "|What", NULL);
		for (; shown < n && shown < REPORT_EVENTS_SHOWN; shown++) {
			const struct ev_event *e = &el->events[i + shown];
			char t[32];
			char *s = eventlog_summary(e);
			eventlog_when(e, t, sizeof(t));
			fputs("<tr><td class=\"mono\">", f);
			html_esc(f, t);
			fprintf(f, "</td><td>%u</td><td class=\"mono\">", e->event_id);
			html_esc(f, path_base(e->log));
			fprintf(f, " record %llu", (unsigned long long)e->record_id);
			if (e->recovered)
				fputs(" <span class=\"st-bad\">recovered</span>", f);
			fprintf(f, "</td><td%s>", e->kind == EV_SERVICE_INSTALLED && !e->service_present ? " class=\"st-bad\"" : "");
			html_esc(f, s);
			fputs("</td></tr>\n", f);
			free(s);
		}
		fputs("</tbody>\n</table>\n", f);
		if (el->seen[k] > shown)
			fprintf(f, "<p class=\"small\">and %zu more (report.json has %s).</p>\n", el->seen[k] - shown,
				el->dropped[k] ? "the newest kept" : "them all");
		i += n;
	}
}

void report_eventlog_html(const struct report *r, FILE *f)
{
	bool any = false;

	for (size_t i = 0; r->evidence && i < r->nos; i++)
		any |= r->evidence[i].eventlogs.nlogs || r->evidence[i].eventlogs.logs_skipped;
	if (!any)
		return;   /* as report.txt: no section for an image without event logs */
	fputs("<section id=\"eventlogs\">\n<h2>Event-log evidence</h2>\n", f);
	fputs("<p class=\"small\">What Windows itself recorded: services installed, logs cleared, accounts added, "
	      "Defender's detections, remote logons, PowerShell script blocks. Newest first; report.json has every "
	      "event kept with its own data.</p>\n", f);
	for (size_t i = 0; i < r->nos; i++)
		if (r->evidence[i].eventlogs.nlogs || r->evidence[i].eventlogs.logs_skipped)
			os_html(&r->os[i], &r->evidence[i].eventlogs, f);
	fputs("</section>\n", f);
}

#include <kenshu/banned.h>
