/* fleet.html: a campaign at a glance, for the plant's people who are not
 * forensics experts, on screen or printed to PDF: how many machines
 * passed, failed, need review or could not be audited, which got worse
 * since the previous campaign, and one row per machine (not audited
 * first, then FAIL, REVIEW, PASS) with what changed since its baseline,
 * what decided its verdict, and a link to its own report.
 *
 * The same rules as report.html: one self-contained file, CSS inline, no
 * script, no URL but the relative links to the machines' reports, and a
 * Content-Security-Policy that forbids fetching anything. Every string
 * from the campaign or a report goes through report_html_escape(): the
 * campaign directory is editable, so a report could carry a message
 * "<script>...". A link's target is percent-encoded down to
 * [A-Za-z0-9._/-], so it can only be a relative path. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/output.h>
#include <kenshu/fleet.h>
#include "fleet_internal.h"
#include <kenshu/banned.h>

static const char *const css =
	":root{color-scheme:light}"
	"html{font-family:\"Noto Sans\",\"DejaVu Sans\",\"Segoe UI\",\"Helvetica Neue\",Arial,"
	"\"Noto Sans CJK JP\",\"Source Han Sans JP\",\"IPAGothic\",\"IPAexGothic\",\"Yu Gothic\","
	"\"Meiryo\",\"Hiragino Sans\",\"Hiragino Kaku Gothic ProN\",sans-serif;font-size:14px;"
	"line-height:1.4;color:#111;background:#fff}"
	"body{margin:0 auto;max-width:1400px;padding:16px 24px}"
	"code,.mono{font-family:\"DejaVu Sans Mono\",\"Noto Sans Mono\",Consolas,\"Liberation Mono\","
	"monospace;font-size:.92em}"
	"td,code,.mono{overflow-wrap:anywhere}"
	".rule{font-family:\"DejaVu Sans Mono\",Consolas,monospace;font-size:.92em}"
	".lbl{color:#555}"
	"h1{font-size:1.5em;margin:0 0 .2em}"
	"h2{font-size:1.25em;border-bottom:2px solid #333;margin:1.6em 0 .5em;padding-bottom:2px;"
	"break-after:avoid;page-break-after:avoid}"
	"p{margin:.4em 0}"
	".counts{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0;break-inside:avoid}"
	".count{border:5px solid;padding:8px 16px;min-width:9em}"
	".count .n{font-size:2.4em;font-weight:bold;line-height:1.1}"
	".count .word{font-weight:bold;letter-spacing:.06em}"
	".v-fail{background:#fde7e9;border-color:#b00020}.v-fail .n,.v-fail .word{color:#b00020}"
	".v-review{background:#fff4cc;border-color:#a86b00}.v-review .n,.v-review .word{color:#7a4e00}"
	".v-pass{background:#e6f4ea;border-color:#1b7f3b}.v-pass .n,.v-pass .word{color:#1b7f3b}"
	".v-na{background:#eee;border-color:#444;border-style:dashed}.v-na .n,.v-na .word{color:#222}"
	".worse{border:3px solid #b00020;padding:6px 12px;margin:10px 0;break-inside:avoid}"
	"table{border-collapse:collapse;width:100%;margin:6px 0 12px}table.fixed{table-layout:fixed}"
	".w8{width:8em}.w10{width:10em}.w12{width:12em}.w14{width:14em}.p30{width:30%}"
	"th,td{border:1px solid #aaa;padding:3px 6px;text-align:left;vertical-align:top}"
	"thead{display:table-header-group}thead th{background:#e6e6e6}"
	"tr{break-inside:avoid;page-break-inside:avoid}"
	"table.kv th{width:14em;background:#f3f3f3;font-weight:600}"
	".sev{font-weight:bold;white-space:nowrap}"
	"td.sev-fail{background:#b00020;color:#fff}td.sev-review{background:#ffd24d}"
	"td.sev-pass{background:#e6f4ea;color:#1b7f3b}td.sev-na{background:#444;color:#fff}"
	".muted{color:#555}.small{font-size:.9em}"
	"ul.find{margin:0;padding-left:1.2em}"
	".screen-only{background:#f0f4fa;border:1px solid #c5d3e8;padding:6px 10px;margin:8px 0}"
	"@media print{"
	"html{font-size:9pt}body{max-width:none;padding:0}"
	".screen-only{display:none}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"a{color:inherit}"
	"}"
	"@page{size:A4 landscape;margin:14mm 10mm 14mm 10mm;"
	"@top-left{content:\"kenshu fleet summary\";font:bold 8pt sans-serif}"
	"@bottom-right{content:\"page \" counter(page) \" of \" counter(pages);font:8pt sans-serif}}";

static const char *const vclass[4] = { "pass", "review", "fail", "na" };
static const char *const vname[4] = { "PASS", "REVIEW", "FAIL", "NOT-AUDITED" };
static const char *const vwords[4] = {
	"accepted: no rule rejected the image or asked for review",
	"a person must look at the findings and decide",
	"rejected: do not accept these images",
	"could not be audited: nothing is known about these machines from this campaign",
};

static void esc(FILE *f, const char *s)
{
	if (s)
		report_html_escape(f, s, strlen(s));
}

static void esc_or(FILE *f, const char *s, const char *absent)
{
	if (s && s[0])
		esc(f, s);
	else
		fprintf(f, "<span class=\"muted\">%s</span>", absent);
}

static int vidx(const char *v)
{
	int i = fleet_summary_verdict_index(v);
	return i < 0 ? 3 : i;
}

/* Only a relative path within the campaign is linked: no scheme, no '..'
 * component, no absolute path. */
static bool relative_ok(const char *p)
{
	if (!p || !p[0] || p[0] == '/' || strchr(p, ':') || strchr(p, '\\'))
		return false;
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return false;
	return true;
}

static void href(FILE *f, const char *p)
{
	for (const unsigned char *s = (const unsigned char *)p; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		    *s == '_' || *s == '-' || *s == '/')
			fputc(*s, f);
		else
			fprintf(f, "%%%02X", *s);
	}
}

static void head(const struct fleet_summary *s, FILE *f)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	/* Defence in depth, as report.html: nothing may be fetched or run
	 * even if a later change let something in. */
	fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n", f);
	fputs("<meta name=\"referrer\" content=\"no-referrer\">\n", f);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
	fputs("<title>Fleet audit ", f);
	esc(f, path_base(s->campaign_dir));
	fputs(" (kenshu fleet summary)</title>\n<style>\n", f);
	fputs(css, f);
	fputs("\n</style>\n</head>\n<body>\n", f);
}

static void campaign_table(const struct fleet_summary *s, FILE *f)
{
	fputs("<header>\n<h1>Fleet audit: ", f);
	esc(f, path_base(s->campaign_dir));
	fputs("</h1>\n<table class=\"fixed kv\">\n<tr><th>Campaign directory</th><td><code>", f);
	esc(f, s->campaign_dir);
	fputs("</code></td></tr>\n<tr><th>Campaign created</th><td>", f);
	esc_or(f, s->created, "unknown");
	fputs(" (UTC)</td></tr>\n<tr><th>This summary made</th><td>", f);
	esc_or(f, s->generated, "unknown");
	fputs(" (UTC)</td></tr>\n<tr><th>Machine list (manifest)</th><td><code>", f);
	esc_or(f, s->manifest_name, "unknown");
	fputs("</code><br><span class=\"lbl\">SHA-256 </span><span class=\"mono\">", f);
	esc_or(f, s->manifest_sha256, "unknown");
	fputs("</span></td></tr>\n", f);
	if (s->previous) {
		fputs("<tr><th>Compared with</th><td>the previous campaign <code>", f);
		esc(f, s->previous);
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n</header>\n", f);
}

static void counts(const struct fleet_summary *s, FILE *f)
{
	fprintf(f, "<section id=\"counts\">\n<h2>Verdicts of the %zu machine%s</h2>\n<div class=\"counts\">\n",
		s->nmachines, s->nmachines == 1 ? "" : "s");
	/* Worst first, as the table below. */
	static const int order[4] = { 3, 2, 1, 0 };
	for (int k = 0; k < 4; k++) {
		int i = order[k];
		fprintf(f, "<div class=\"count v-%s\"><div class=\"n\">%zu</div><div class=\"word\">%s</div>"
			"<div class=\"small\">%s</div></div>\n",
			vclass[i], s->counts[i], vname[i], vwords[i]);
	}
	fputs("</div>\n<p class=\"small\">The word says it, the colour only repeats it: the page reads the same "
	      "printed in black and white. Each machine's verdict comes from its own report (linked in the "
	      "table); NOT-AUDITED means the campaign has no trustworthy report for it, and the reason "
	      "says why.</p>\n", f);
	if (s->previous) {
		fprintf(f, "<div class=\"worse\"><strong>%zu machine%s got worse</strong> since the previous campaign",
			s->worse, s->worse == 1 ? "" : "s");
		if (s->worse) {
			fputs(":<ul>\n", f);
			for (size_t i = 0; i < s->nmachines; i++) {
				const struct fleet_machine *m = &s->machines[i];
				if (!m->worse)
					continue;
				fputs("<li><strong>", f);
				esc(f, m->asset);
				fputs("</strong>: ", f);
				esc(f, m->previous_verdict);
				fputs(" \xe2\x86\x92 ", f);
				esc(f, m->verdict);
				fputs("</li>\n", f);
			}
			fputs("</ul>", f);
		} else {
			fputs(".", f);
		}
		fputs("<p class=\"small\">Worse: PASS became REVIEW or FAIL, REVIEW became FAIL, or a machine "
		      "that was PASS or REVIEW could not be audited this time.</p></div>\n", f);
	}
	fputs("</section>\n", f);
}

static void plus_minus(FILE *f, bool *any, const char *what, uint64_t add, uint64_t del, uint64_t chg)
{
	if (!add && !del && !chg)
		return;
	fprintf(f, "%s%s", *any ? ", " : "", what);
	if (add)
		fprintf(f, " +%llu", (unsigned long long)add);
	if (del)
		fprintf(f, " \xe2\x88\x92%llu", (unsigned long long)del);   /* U+2212 minus */
	if (chg)
		fprintf(f, " ~%llu", (unsigned long long)chg);
	*any = true;
}

static void changes_cell(const struct fleet_machine *m, FILE *f)
{
	bool any = false;

	fputs("<td>", f);
	if (!m->has_drift) {
		fputs(m->baseline ? "<span class=\"muted\">not compared (no report)</span>"
				  : "<span class=\"muted\">no baseline</span>", f);
	} else if (m->drift.unchanged) {
		fputs("unchanged", f);
	} else {
		plus_minus(f, &any, "files", m->drift.files_added, m->drift.files_removed, m->drift.files_changed);
		plus_minus(f, &any, "autostarts", m->drift.autoruns_added, m->drift.autoruns_removed,
			   m->drift.autoruns_changed);
		plus_minus(f, &any, "detections", m->drift.detections_new, m->drift.detections_gone, 0);
		/* Only other kinds changed (volumes, Windows, rule outcomes). */
		if (!any)
			fputs("other changes (see the report)", f);
	}
	fputs("</td>", f);
}

static void findings_cell(const struct fleet_machine *m, FILE *f)
{
	fputs("<td class=\"small\">", f);
	if (vidx(m->verdict) == 3) {
		fputs("<strong>Not audited:</strong> ", f);
		esc_or(f, m->reason, "no reason recorded");
		if (m->ndecisive)
			fputs("<br>", f);
	} else if (!m->ndecisive) {
		fputs("<span class=\"muted\">none</span>", f);
	}
	if (m->ndecisive) {
		fputs("<ul class=\"find\">", f);
		for (size_t i = 0; i < m->ndecisive; i++) {
			const struct fleet_finding *x = &m->decisive[i];
			fprintf(f, "<li><span class=\"sev\">%s</span> <span class=\"rule\">",
				x->severity && !strcmp(x->severity, "fail") ? "FAIL" : "REVIEW");
			esc(f, x->rule);
			fputs("</span>: ", f);
			esc(f, x->message);
			if (x->path) {
				fputs(" <code>", f);
				esc(f, x->path);
				fputs("</code>", f);
			}
			fputs("</li>", f);
		}
		fputs("</ul>", f);
		if (m->decisive_total > m->ndecisive)
			fprintf(f, "<span class=\"muted\">and %zu more in the report</span>",
				m->decisive_total - m->ndecisive);
	}
	fputs("</td>", f);
}

/* "12 s", "4 min 05 s", "2 h 03 min". */
static void duration(FILE *f, double sec)
{
	if (sec < 0) {
		fputs("<span class=\"muted\">unknown</span>", f);
		return;
	}
	uint64_t s = (uint64_t)(sec + 0.5);
	if (sec < 10)
		fprintf(f, "%.1f s", sec);
	else if (s < 60)
		fprintf(f, "%llu s", (unsigned long long)s);
	else if (s < 3600)
		fprintf(f, "%llu min %02llu s", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else
		fprintf(f, "%llu h %02llu min", (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60));
}

static void machine_row(const struct fleet_machine *m, FILE *f)
{
	int v = vidx(m->verdict);

	fputs("<tr><td><strong>", f);
	esc_or(f, m->asset, "(no asset id)");
	fputs("</strong>", f);
	for (size_t i = 0; i < m->meta.n; i++) {
		fputs("<br><span class=\"lbl small\">", f);
		esc(f, m->meta.v[i].key);
		fputs("</span> <span class=\"small\">", f);
		esc(f, m->meta.v[i].value);
		fputs("</span>", f);
	}
	if (m->image) {
		fputs("<br><span class=\"lbl small\">image </span><code class=\"small\">", f);
		esc(f, m->image);
		fputs("</code>", f);
	}
	fprintf(f, "</td><td class=\"sev sev-%s\">%s", vclass[v], vname[v]);
	if (m->previous_verdict) {
		fputs("<br><span class=\"small\">before: ", f);
		esc(f, m->previous_verdict);
		fputs(m->worse ? " (worse)" : "", f);
		fputs("</span>", f);
	}
	fputs("</td>", f);
	changes_cell(m, f);
	findings_cell(m, f);
	fputs("<td>", f);
	duration(f, m->seconds);
	fputs("</td><td>", f);
	if (relative_ok(m->report_html)) {
		fputs("<a href=\"", f);
		href(f, m->report_html);
		fputs("\">report</a>", f);
	} else {
		fputs("<span class=\"muted\">none</span>", f);
	}
	fputs("</td></tr>\n", f);
}

static void machines_table(const struct fleet_summary *s, FILE *f)
{
	static const int order[4] = { 3, 2, 1, 0 };

	fputs("<section id=\"machines\">\n<h2>Machines</h2>\n", f);
	fputs("<p class=\"small\">Machines that could not be audited come first, then rejected ones (FAIL), "
	      "those that need a decision (REVIEW), and accepted ones (PASS), each group in the order of the "
	      "machine list. <em>Changes since the baseline</em> compares the image with the accepted earlier "
	      "report of the same machine: files and autostarts added (+), removed (\xe2\x88\x92) or changed "
	      "(~), malware detections new (+) or gone (\xe2\x88\x92). <em>What decided it</em> lists the "
	      "findings that made the verdict (the report has all of them and the evidence).</p>\n", f);
	fputs("<table class=\"fixed\">\n<thead><tr><th class=\"w14\">Machine</th><th class=\"w8\">Verdict</th>"
	      "<th class=\"w14\">Changes since the baseline</th><th>What decided it</th>"
	      "<th class=\"w8\">Scan time</th><th class=\"w8\">Report</th></tr></thead>\n<tbody>\n", f);
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; i < s->nmachines; i++)
			if (vidx(s->machines[i].verdict) == order[k])
				machine_row(&s->machines[i], f);
	if (!s->nmachines)
		fputs("<tr><td colspan=\"6\">The campaign lists no machine.</td></tr>\n", f);
	fputs("</tbody>\n</table>\n</section>\n", f);
}

int fleet_summary_write_html(const struct fleet_summary *s, FILE *f)
{
	head(s, f);
	campaign_table(s, f);
	counts(s, f);
	machines_table(s, f);
	fputs("<p class=\"screen-only small\">This page is self-contained: it runs no script and loads nothing "
	      "from any network; the links open each machine's own report beside it. To keep a PDF, print it "
	      "(Ctrl+P) and choose \"Save as PDF\". fleet.json beside it has the same in machine-readable "
	      "form.</p>\n", f);
	fputs("</body>\n</html>\n", f);
	if (ferror(f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
