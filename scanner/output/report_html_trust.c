/* report.html's signature parts: a file's signature in a few words, and
 * the section that says what signatures were judged against. */
#include <stdio.h>

#include <kenshu/report.h>
#include <kenshu/trust.h>
#include "output_internal.h"
#include <kenshu/banned.h>

void html_sig_words(FILE *f, const struct sig_result *s)
{
	if (!s || s->status == SIG_NOT_CHECKED)
		return;
	fputs("<br><span class=\"muted\">signature</span> ", f);
	if (s->status == SIG_VALID)
		fputs("valid", f);
	else
		fprintf(f, "<strong>%s</strong>", sig_status_name(s->status));
	if (s->signer_name) {
		fputs(", signed by ", f);
		html_esc(f, s->signer_name);
	}
	if (s->source == SIG_SRC_CATALOG && s->catalog) {
		fputs(" through catalog ", f);
		html_code(f, path_base(s->catalog));
	}
	if (s->signing_time) {
		fputs(", timestamp ", f);
		html_esc(f, s->signing_time);
	}
	if (s->reason) {
		fputs(": ", f);
		html_esc(f, s->reason);
	}
}

void html_signatures_section(const struct report *r, FILE *f)
{
	const struct rep_trust *t = &r->trust;
	static const enum sig_status order[] = { SIG_VALID, SIG_INVALID, SIG_UNTRUSTED, SIG_UNSIGNED, SIG_ERROR };
	size_t bad = 0;

	if (!t->anchors_name)
		return;
	fputs("<section id=\"signatures\">\n<h2>Code signatures</h2>\n", f);
	fputs("<p class=\"small\">Every PE file's Authenticode signature, embedded or through one of the "
	      "image's catalogs (<code>System32\\CatRoot</code>), checked offline against the trust anchors "
	      "below: never against the image's own certificate store.</p>\n", f);
	fputs("<table class=\"kv\"><tbody>\n", f);
	html_kv(f, "Trust anchors", t->anchors_name);
	html_hash_row(f, "Anchor file SHA-256", t->anchors_sha256);
	fprintf(f, "<tr><th>Roots</th><td>%zu</td></tr>\n", t->anchors);
	fprintf(f, "<tr><th>Catalogs</th><td>%zu read, %zu digests listed</td></tr>\n", t->ncats,
		t->catalog_members);
	fprintf(f, "<tr><th>PE files checked</th><td>%llu</td></tr>\n", (unsigned long long)t->pe_checked);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		fprintf(f, "<tr><th>%s</th><td>%llu</td></tr>\n", sig_status_name(order[i]),
			(unsigned long long)t->by_status[order[i]]);
	fputs("</tbody></table>\n", f);
	for (size_t i = 0; i < t->ncats; i++)
		bad += t->cats[i].sig.status != SIG_VALID;
	if (bad) {
		fprintf(f, "<h3>Catalogs whose own signature is not valid (%zu)</h3>\n", bad);
		report_html_table_head(f, NULL, "w4|Volume", "|Catalog", "w10|Status", "p40|Why", NULL);
		for (size_t i = 0; i < t->ncats; i++) {
			const struct rep_catalog *c = &t->cats[i];
			if (c->sig.status == SIG_VALID)
				continue;
			fprintf(f, "<tr><td class=\"num\">%u</td><td>", c->volume);
			html_code(f, c->path);
			fprintf(f, "</td><td>%s</td><td>", sig_status_name(c->sig.status));
			html_esc_or(f, c->sig.reason, "");
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}
	fputs("</section>\n", f);
}
