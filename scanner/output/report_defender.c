/* The "Windows Defender" section of report.txt and report.html: every
 * exclusion (with its source and what lies under it), the policy switches
 * set, every quarantined resource and every detection of the detection
 * history. Only when an installation has any. */
#include <stdio.h>
#include <string.h>

#include <kenshu/evidence.h>
#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

static bool has_traces(const struct os_defender *d)
{
	const struct def_policy *p = &d->policy;
	return d->nexcl || d->nquar || d->nquar_errors || d->nhist || d->nhist_errors || p->has_disable_antispyware || p->has_disable_antivirus ||
	       p->has_disable_realtime || p->has_disable_behavior;
}

static bool any_traces(const struct report *r)
{
	for (size_t i = 0; r->evidence && i < r->nos; i++)
		if (has_traces(&r->evidence[i].defender))
			return true;
	return false;
}

/* A line of report.txt must stay one line whatever the image holds. */
static void put(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7F ? '?' : *s, f);
}

static void policy_lines(FILE *f, const struct def_policy *p)
{
	const struct {
		bool has;
		uint32_t v;
		const char *name;
	} s[] = {
		{ p->has_disable_antispyware, p->disable_antispyware, "DisableAntiSpyware" },
		{ p->has_disable_antivirus, p->disable_antivirus, "DisableAntiVirus" },
		{ p->has_disable_realtime, p->disable_realtime, "Real-Time Protection DisableRealtimeMonitoring" },
		{ p->has_disable_behavior, p->disable_behavior, "Real-Time Protection DisableBehaviorMonitoring" },
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].has)
			fprintf(f, "  policy %s = %u%s\n", s[i].name, s[i].v, s[i].v == 1 ? " (off by Group Policy)" : "");
}

static void history_text(FILE *f, const struct os_defender *d)
{
	for (size_t k = 0; k < d->nhist; k++) {
		const struct def_detection *h = &d->hist[k];
		fputs("  detected ", f);
		put(f, h->threat[0] ? h->threat : "(no threat name)");
		fprintf(f, " (%s%s", h->time[0] ? h->time : "time unknown", h->user ? ", user " : "");
		put(f, h->user);
		if (h->process) {
			fputs(", process ", f);
			put(f, h->process);
		}
		fputs(", ", f);
		put(f, h->file);
		fputs(")\n", f);
		for (size_t c = 0; c < h->nres; c++) {
			fputs("      ", f);
			put(f, h->res[c].kind);
			fputs(": ", f);
			put(f, h->res[c].location);
			fputc('\n', f);
		}
		if (h->damage) {
			fputs("      damaged: ", f);
			put(f, h->damage);
			fputc('\n', f);
		}
	}
	for (size_t k = 0; k < d->nhist_errors; k++) {
		fputs("  detection history file not read: ", f);
		put(f, d->hist_errors[k]);
		fputc('\n', f);
	}
}

static void history_html(FILE *f, const struct os_defender *d)
{
	if (d->nhist) {
		report_html_table_head(f, NULL, "w10|Detected", "p25|Resources", "w8|Time", "|User, process", NULL);
		for (size_t k = 0; k < d->nhist; k++) {
			const struct def_detection *h = &d->hist[k];
			fputs("<tr><td class=\"st-bad\">", f);
			html_esc(f, h->threat);
			fputs("</td><td>", f);
			for (size_t c = 0; c < h->nres; c++) {
				html_esc(f, h->res[c].kind);
				fputs(": ", f);
				html_code(f, h->res[c].location);
				fputs("<br>", f);
			}
			fputs("<span class=\"small\">", f);
			html_esc(f, h->file);
			if (h->damage) {
				fputs("; damaged: ", f);
				html_esc(f, h->damage);
			}
			fputs("</span></td><td class=\"mono\">", f);
			html_esc(f, h->time);
			fputs("</td><td class=\"small\">", f);
			html_esc_or(f, h->user, "");
			fputs("<br>", f);
			html_esc_or(f, h->process, "");
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}
	for (size_t k = 0; k < d->nhist_errors; k++) {
		fputs("<p class=\"small\">Detection history file not read: ", f);
		html_esc(f, d->hist_errors[k]);
		fputs("</p>\n", f);
	}
}

void report_defender_text(const struct report *r, FILE *f)
{
	if (!any_traces(r))
		return;
	for (size_t i = 0; i < r->nos; i++) {
		const struct os_defender *d = &r->evidence[i].defender;

		if (!has_traces(d))
			continue;
		fprintf(f, "\nWindows Defender [vol %u]: %zu exclusion%s%s, %zu quarantined resource%s%s, "
			"%zu detection%s in its history%s\n", r->os[i].volume,
			d->nexcl, pl_s(d->nexcl), d->excl_truncated ? " (more not listed)" : "", d->nquar, pl_s(d->nquar),
			d->quar_truncated ? " (more not listed)" : "", d->nhist, pl_s(d->nhist),
			d->hist_truncated ? " (more not listed)" : "");
		policy_lines(f, &d->policy);
		for (size_t k = 0; k < d->nexcl; k++) {
			const struct def_exclusion *x = &d->excl[k];
			fprintf(f, "  exclusion %-14s ", x->kind_name);
			put(f, x->value);
			fprintf(f, "  (%s)", x->policy ? "Group Policy" : "Defender's settings");
			if (x->covers_total)
				fprintf(f, "  covers %zu", x->covers_total);
			else if (x->risky_extension)
				fputs("  an extension of code", f);
			fputc('\n', f);
			for (size_t c = 0; c < x->ncovers; c++) {
				fputs("      ", f);
				put(f, x->covers[c]);
				fputc('\n', f);
			}
			if (x->covers_total > x->ncovers)
				fprintf(f, "      and %zu more\n", x->covers_total - x->ncovers);
		}
		for (size_t k = 0; k < d->nquar; k++) {
			const struct def_quarantined *q = &d->quar[k];
			fputs("  quarantined ", f);
			put(f, q->threat);
			fputs(": ", f);
			put(f, q->original_path);
			fprintf(f, " (%s%s%s, entry ", q->type, q->time[0] ? ", " : "", q->time);
			put(f, q->guid);
			fputs(")\n", f);
			if (q->decoded)
				fprintf(f, "      payload %llu bytes, sha256 %s\n", (unsigned long long)q->size, q->sha256);
			else if (q->error) {
				fputs("      payload not decoded: ", f);
				put(f, q->error);
				fputc('\n', f);
			}
		}
		for (size_t k = 0; k < d->nquar_errors; k++) {
			fputs("  quarantine entry not read: ", f);
			put(f, d->quar_errors[k]);
			fputc('\n', f);
		}
		history_text(f, d);
	}
}

void report_defender_html(const struct report *r, FILE *f)
{
	if (!any_traces(r))
		return;
	fputs("<section id=\"defender\">\n<h2>Windows Defender</h2>\n", f);
	fputs("<p class=\"small\">Exclusions and policy from the SOFTWARE hive; quarantined payloads decoded and "
	      "scanned like files; the detection history as Defender kept it.</p>\n", f);
	for (size_t i = 0; i < r->nos; i++) {
		const struct os_defender *d = &r->evidence[i].defender;
		const struct def_policy *p = &d->policy;

		if (!has_traces(d))
			continue;
		fprintf(f, "<h3>Volume %u</h3>\n", r->os[i].volume);
		if (p->has_disable_antispyware || p->has_disable_antivirus || p->has_disable_realtime ||
		    p->has_disable_behavior) {
			fputs("<p>Group Policy:", f);
			if (p->has_disable_antispyware)
				fprintf(f, " DisableAntiSpyware = %u;", p->disable_antispyware);
			if (p->has_disable_antivirus)
				fprintf(f, " DisableAntiVirus = %u;", p->disable_antivirus);
			if (p->has_disable_realtime)
				fprintf(f, " DisableRealtimeMonitoring = %u;", p->disable_realtime);
			if (p->has_disable_behavior)
				fprintf(f, " DisableBehaviorMonitoring = %u;", p->disable_behavior);
			fputs("</p>\n", f);
		}
		if (d->nexcl) {
			report_html_table_head(f, NULL, "w6|Kind", "p25|Exclusion", "p25|Source", "|Covers", NULL);
			for (size_t k = 0; k < d->nexcl; k++) {
				const struct def_exclusion *x = &d->excl[k];
				fprintf(f, "<tr><td>%s</td><td%s>", x->kind_name,
					x->covers_total || x->risky_extension ? " class=\"st-bad\"" : "");
				html_code(f, x->value);
				fputs("</td><td class=\"small\">", f);
				html_esc(f, x->source);
				fputs("</td><td class=\"small\">", f);
				for (size_t c = 0; c < x->ncovers; c++) {
					html_esc(f, x->covers[c]);
					fputs("<br>", f);
				}
				if (x->covers_total > x->ncovers)
					fprintf(f, "and %zu more", x->covers_total - x->ncovers);
				else if (!x->covers_total)
					fputs(x->risky_extension ? "every file of this extension" : "nothing present", f);
				fputs("</td></tr>\n", f);
			}
			fputs("</tbody>\n</table>\n", f);
		}
		if (d->nquar) {
			report_html_table_head(f, NULL, "w10|Threat", "p25|Original path", "w8|Quarantined", "|Payload", NULL);
			for (size_t k = 0; k < d->nquar; k++) {
				const struct def_quarantined *q = &d->quar[k];
				fputs("<tr><td>", f);
				html_esc(f, q->threat);
				fputs("</td><td>", f);
				html_code(f, q->original_path);
				fputs("<br><span class=\"small\">entry ", f);
				html_esc(f, q->guid);
				fputs("</span></td><td class=\"mono\">", f);
				html_esc(f, q->time);
				fputs("</td><td class=\"small\">", f);
				if (q->decoded) {
					fprintf(f, "%llu bytes<br><span class=\"mono\">%s</span>", (unsigned long long)q->size,
						q->sha256);
				} else {
					fputs("not decoded: ", f);
					html_esc_or(f, q->error, q->type);
				}
				fputs("</td></tr>\n", f);
			}
			fputs("</tbody>\n</table>\n", f);
		}
		for (size_t k = 0; k < d->nquar_errors; k++) {
			fputs("<p class=\"small\">Quarantine entry not read: ", f);
			html_esc(f, d->quar_errors[k]);
			fputs("</p>\n", f);
		}
		history_html(f, d);
	}
	fputs("</section>\n", f);
}
