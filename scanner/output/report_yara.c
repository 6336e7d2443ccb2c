/* YARA's matches and rule sets in report.txt and report.html, beside
 * ClamAV's detections; only when the profile named [yara] rules. */
#include <stdio.h>
#include <string.h>

#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

void report_yara_text(const struct report *r, FILE *f)
{
	const struct rep_yara *y = &r->yara;

	if (!y->enabled)
		return;
	fprintf(f, "YARA matches: %zu (libyara %s, %zu rule set%s)\n", y->nm, y->version ? y->version : "?",
		y->nsets, pl_s(y->nsets));
	for (size_t i = 0; i < y->nm; i++) {
		const struct rep_yara_match *m = &y->m[i];
		fprintf(f, "  [vol %u] %s%s%s\n", m->volume, m->path, m->stream[0] ? ":" : "", m->stream);
		fprintf(f, "      %s%s%s%s  (rule set %s, sha256 %s, %llu byte%s)\n", m->rule,
			m->tags[0] ? " [" : "", m->tags, m->tags[0] ? "]" : "", m->set, m->sha256,
			(unsigned long long)m->size, pl_s(m->size));
		if (m->author || m->reference || m->date)
			fprintf(f, "      %s%s%s%s%s%s%s%s\n", m->author ? "author " : "", m->author ? m->author : "",
				m->author && (m->reference || m->date) ? "; " : "",
				m->reference ? "reference " : "", m->reference ? m->reference : "",
				m->reference && m->date ? "; " : "", m->date ? "date " : "", m->date ? m->date : "");
	}
	for (size_t i = 0; i < y->nsets; i++)
		if (y->sets[i].too_slow)
			fprintf(f, "  rule set too slow: %s (%llu stream%s, %llu timed out)\n", y->sets[i].path,
				(unsigned long long)y->sets[i].streams, pl_s(y->sets[i].streams),
				(unsigned long long)y->sets[i].timeouts);
}

void report_yara_html(const struct report *r, FILE *f)
{
	const struct rep_yara *y = &r->yara;

	if (!y->enabled)
		return;
	fprintf(f, "<section id=\"yara\">\n<h2>YARA matches (%zu)</h2>\n", y->nm);
	fputs("<p class=\"small\">Streams a rule of the profile's [yara] rule sets matched (libyara ", f);
	html_esc(f, y->version);
	fputs("), scanned from the same read as ClamAV.</p>\n", f);
	if (y->nm) {
		report_html_table_head(f, NULL, "w4|Volume", "|File", "p25|Rule", "w14|SHA-256", "w7|Size", NULL);
		for (size_t i = 0; i < y->nm; i++) {
			const struct rep_yara_match *m = &y->m[i];
			fprintf(f, "<tr><td class=\"num\">%u</td><td>", m->volume);
			html_location(f, m->path, m->stream);
			fputs("</td><td><strong>", f);
			html_esc(f, m->rule);
			fputs("</strong>", f);
			if (m->tags[0]) {
				fputs(" <span class=\"muted\">", f);
				html_esc(f, m->tags);
				fputs("</span>", f);
			}
			fputs("<br><span class=\"small\">", f);
			html_esc(f, m->set);
			if (m->author) {
				fputs("; author ", f);
				html_esc(f, m->author);
			}
			if (m->reference) {
				fputs("; reference ", f);
				html_esc(f, m->reference);
			}
			if (m->date) {
				fputs("; date ", f);
				html_esc(f, m->date);
			}
			fputs("</span></td><td class=\"mono small\">", f);
			html_esc(f, m->sha256);
			fputs("</td>", f);
			html_size_cell(f, m->size);
			fputs("</tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	} else {
		fputs("<p>None.</p>\n", f);
	}
	fputs("<h3>Rule sets</h3>\n", f);
	report_html_table_head(f, NULL, "|Rule set", "w7|Rules", "w7|Streams", "w7|Seconds", "w14|SHA-256", NULL);
	for (size_t i = 0; i < y->nsets; i++) {
		const struct rep_yara_set *s = &y->sets[i];
		fputs("<tr><td><code>", f);
		html_esc(f, s->path);
		fputs("</code>", f);
		if (s->too_slow)
			fprintf(f, " <strong>too slow</strong> (%llu timed out)", (unsigned long long)s->timeouts);
		fprintf(f, "</td><td class=\"num\">%u</td><td class=\"num\">%llu</td><td class=\"num\">%.3f</td>"
			"<td class=\"mono small\">", s->rules, (unsigned long long)s->streams, s->seconds);
		html_esc(f, s->sha256);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n</section>\n", f);
}
