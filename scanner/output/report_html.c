/* report.html: the report for people who must decide on an image without
 * being forensics experts (factory acceptance, procurement), on screen or
 * printed to PDF.
 *
 * One self-contained file: CSS inline, no script, no URL of any kind (not
 * even a font), and a Content-Security-Policy that forbids fetching
 * anything should a later change slip one in. Everything that comes from
 * the image (file names, registry values, commands, task XML, WMI scripts,
 * labels) and from the command line goes through report_html_escape(): an
 * image can name a file "<img src=x onerror=...>.exe" and the page must
 * show that name, not run it.
 *
 * The content follows report_text.c and report_json.c (docs/report.md):
 * verdict first, then what decided it, then the evidence a second person
 * needs to check the decision. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/version.h>
#include <kenshu/artifacts.h>
#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

/* The running page header names the image; a longer name is cut. */
#define HTML_MAX_HEADER_NAME 60

static const char *const css =
	":root{color-scheme:light}"
	"html{font-family:\"Noto Sans\",\"DejaVu Sans\",\"Segoe UI\",\"Helvetica Neue\",Arial,"
	"\"Noto Sans CJK JP\",\"Source Han Sans JP\",\"IPAGothic\",\"IPAexGothic\",\"Yu Gothic\","
	"\"Meiryo\",\"Hiragino Sans\",\"Hiragino Kaku Gothic ProN\",\"Noto Sans CJK SC\","
	"\"Noto Sans CJK KR\",sans-serif;font-size:14px;line-height:1.4;color:#111;background:#fff}"
	"body{margin:0 auto;max-width:1200px;padding:16px 24px}"
	"code,pre,.mono{font-family:\"DejaVu Sans Mono\",\"Noto Sans Mono\",Consolas,\"Liberation Mono\","
	"\"Noto Sans Mono CJK JP\",\"IPAGothic\",\"MS Gothic\",monospace;font-size:.92em}"
	"td,code,.mono{overflow-wrap:anywhere}"
	".rule{font-family:\"DejaVu Sans Mono\",Consolas,monospace;font-size:.92em;overflow-wrap:normal}"
	".lbl{color:#555}"
	"pre{white-space:pre-wrap;background:#f4f4f4;border:1px solid #ccc;padding:4px 6px;margin:4px 0}"
	"h1{font-size:1.5em;margin:0 0 .2em}"
	"h2{font-size:1.25em;border-bottom:2px solid #333;margin:1.6em 0 .5em;padding-bottom:2px;"
	"break-after:avoid;page-break-after:avoid}"
	"h3{font-size:1.05em;margin:1.2em 0 .4em;break-after:avoid;page-break-after:avoid}"
	"p{margin:.4em 0}"
	".verdict{border:5px solid;padding:10px 16px;margin:12px 0;break-inside:avoid}"
	".verdict .word{font-size:2.4em;font-weight:bold;letter-spacing:.06em;line-height:1.1}"
	".verdict .means{font-size:1.15em;font-weight:bold}"
	".v-fail{background:#fde7e9;border-color:#b00020}.v-fail .word{color:#b00020}"
	".v-review{background:#fff4cc;border-color:#a86b00}.v-review .word{color:#7a4e00}"
	".v-pass{background:#e6f4ea;border-color:#1b7f3b}.v-pass .word{color:#1b7f3b}"
	"table{border-collapse:collapse;width:100%;margin:6px 0 12px}table.fixed{table-layout:fixed}"
	".w3{width:3em}.w4{width:5.5em}.w5{width:5em}.w6{width:7.5em}.w7{width:7.5em}.w8{width:8.5em}"
	".w10{width:10em}.w12{width:12em}.w14{width:14em}"
	".p20{width:20%}.p25{width:25%}.p30{width:30%}.p35{width:35%}.p40{width:40%}.p50{width:50%}"
	"th,td{border:1px solid #aaa;padding:3px 6px;text-align:left;vertical-align:top}"
	"thead{display:table-header-group}thead th{background:#e6e6e6}"
	"tr{break-inside:avoid;page-break-inside:avoid}"
	"table.kv th{width:14em;background:#f3f3f3;font-weight:600;text-align:left}"
	"td.num{text-align:right;white-space:nowrap}"
	/* A byte count may wrap between its digit groups, never run over. */
	"td.num .bytes{white-space:normal;overflow-wrap:normal;font-size:.9em}"
	".sev{font-weight:bold;white-space:nowrap}"
	".sev-fail{background:#b00020;color:#fff}.sev-review{background:#ffd24d}"
	".sev-info{background:#e3edff}.sev-waived{background:#ddd}"
	".st-bad{background:#fde7e9;font-weight:bold}.st-good{background:#e6f4ea}"
	".flag{display:inline-block;border:1px solid #b00020;color:#b00020;border-radius:3px;"
	"padding:0 3px;margin:1px 0;font-size:.8em;white-space:nowrap}"
	"tr.flagged>td{background:#fff5f5}"
	".d-added{background:#e3edff}.d-removed{background:#eee}.d-changed{background:#fff4cc}"
	".muted{color:#555}.small{font-size:.9em}"
		"details{margin:6px 0}summary{cursor:pointer;font-weight:600}"
	".screen-only{background:#f0f4fa;border:1px solid #c5d3e8;padding:6px 10px;margin:8px 0}"
	"footer{margin-top:2em;border-top:1px solid #999;padding-top:6px}"
	"@media print{"
	"html{font-size:9pt}body{max-width:none;padding:0}"
	".screen-only{display:none}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	".page-break{break-before:page;page-break-before:always}"
	"details.print-open::details-content{content-visibility:visible;display:contents}"
	"details.print-open>summary{list-style:none}"
	"}";

static void head(const struct report *r, FILE *f)
{
	const char *base = path_base(r->image_path);
	const char *vname = verdict_name(r->verdict);

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	/* Defence in depth: the page has no script and no URL, and if a
	 * later change let one in, the browser still may not fetch or run
	 * anything. Only the inline style and data: images are allowed. */
	fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n", f);
	fputs("<meta name=\"referrer\" content=\"no-referrer\">\n", f);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
	fprintf(f, "<title>%s: ", vname);
	html_esc(f, base);
	fputs(" (kenshu acceptance report)</title>\n<style>\n", f);
	fputs(css, f);
	/* Printed pages carry the verdict and the image in their header and
	 * a page number in the footer (CSS page margin boxes: no script). */
	fprintf(f, "\n@page{size:A4;margin:16mm 12mm 15mm 12mm;"
		"@top-left{content:\"kenshu acceptance report: %s\";font:bold 8pt sans-serif}"
		"@top-right{content:\"", vname);
	html_css_string(f, base, HTML_MAX_HEADER_NAME);
	fputs("\";font:8pt sans-serif}"
	      "@bottom-left{content:\"kenshu " KENSHU_VERSION "\";font:8pt sans-serif}"
	      "@bottom-right{content:\"page \" counter(page) \" of \" counter(pages);font:8pt sans-serif}}\n", f);
	fputs("</style>\n</head>\n<body>\n", f);
}

/* --- Verdict and findings ------------------------------------------------ */

static const char *verdict_meaning(enum verdict v)
{
	switch (v) {
	case VERDICT_FAIL:
		return "Rejected: do not accept this image. The findings below say why.";
	case VERDICT_REVIEW:
		return "Not accepted yet: a person must look at the findings below and decide.";
	case VERDICT_PASS:
		break;
	}
	return "Accepted: no rule of the acceptance profile rejected the image or asked for review.";
}

static bool decisive(const struct rep_finding *x)
{
	return !x->waiver && x->severity >= SEV_REVIEW;
}

static void count_findings(const struct report *r, size_t n[4], size_t *waived)
{
	memset(n, 0, 4 * sizeof(n[0]));
	*waived = 0;
	for (size_t i = 0; i < r->nfindings; i++) {
		if (r->findings[i].waiver)
			(*waived)++;
		else if ((unsigned)r->findings[i].severity < 4)
			n[r->findings[i].severity]++;
	}
}

static size_t count_other_autoruns(const struct os_info *os, size_t *flagged)
{
	size_t other = 0;

	*flagged = 0;
	for (size_t k = 0; k < os->autoruns.n; k++) {
		const struct autorun *a = &os->autoruns.v[k];
		*flagged += a->flags != 0;
		other += !autorun_is_windows_default(a, os->system_root);
	}
	return other;
}

static void verdict_banner(const struct report *r, FILE *f)
{
	static const char *const cls[] = { "v-pass", "v-review", "v-fail" };
	size_t n[4], waived, flagged = 0, other = 0, scanned = 0, unscanned = 0, reserved = 0;

	fputs("<header>\n<h1>Acceptance scan of ", f);
	html_code(f, r->image_path);
	fputs("</h1>\n", f);
	fprintf(f, "<section class=\"verdict %s\" id=\"verdict\">\n<div class=\"word\">%s</div>\n",
		cls[r->verdict <= VERDICT_FAIL ? r->verdict : VERDICT_FAIL], verdict_name(r->verdict));
	fprintf(f, "<p class=\"means\">%s</p>\n<p>", verdict_meaning(r->verdict));
	html_esc(f, r->verdict_reason);
	fputs("</p>\n<p class=\"small\">Judged by the acceptance profile <strong>", f);
	html_esc_or(f, r->profile_name, "(none)");
	fputs("</strong> (", f);
	html_esc(f, r->profile_source);
	fputs(") as of ", f);
	html_esc(f, r->scan_date);
	fputs(", profile file SHA-256 <span class=\"mono\">", f);
	html_esc(f, r->profile_sha256);
	fputs("</span>, effective profile SHA-256 <span class=\"mono\">", f);
	html_esc(f, r->profile_effective_sha256);
	fputs("</span></p>\n</section>\n</header>\n", f);

	count_findings(r, n, &waived);
	for (size_t i = 0; i < r->nos; i++) {
		size_t fl;
		other += count_other_autoruns(&r->os[i], &fl);
		flagged += fl;
	}
	for (size_t i = 0; i < r->nvol; i++) {
		if (r->vol[i].scanned)
			scanned++;
		else if (r->vol[i].v.state == VOL_RESERVED)
			reserved++;
		else
			unscanned++;
	}
	fputs("<table class=\"fixed kv\">\n", f);
	fprintf(f, "<tr><th>Findings</th><td>%zu reject%s (fail), %zu need%s review, %zu for information, "
		"%zu waived</td></tr>\n", n[SEV_FAIL], plural(n[SEV_FAIL], "s", ""), n[SEV_REVIEW],
		plural(n[SEV_REVIEW], "s", ""), n[SEV_INFO], waived);
	fprintf(f, "<tr><th>Malware detections</th><td>%zu</td></tr>\n", r->ndet);
	fprintf(f, "<tr><th>Start-up programs</th><td>%zu not part of Windows, %zu flagged</td></tr>\n",
		other, flagged);
	fprintf(f, "<tr><th>Volumes</th><td>%zu scanned, %zu not scanned", scanned, unscanned);
	if (reserved)
		fprintf(f, " (and %zu reserved, holding no file system by design)", reserved);
	fputs("</td></tr>\n", f);
	fprintf(f, "<tr><th>Items not fully scanned</th><td>%zu</td></tr>\n", r->nskip);
	fprintf(f, "<tr><th>Image unchanged by the scan</th><td>%s</td></tr>\n",
		strcmp(r->sha256_before, r->sha256_after) == 0 ? "yes (same SHA-256 before and after)"
							       : "<strong>NO: the SHA-256 differs</strong>");
	fprintf(f, "<tr><th>Signatures</th><td>libclamav %s, %u signature%s</td></tr>\n",
		r->engine.version ? r->engine.version : "", r->engine.signatures, pl_s(r->engine.signatures));
	fputs("</table>\n", f);
	fputs("<p class=\"screen-only small\">This page is self-contained: it runs no script and loads "
	      "nothing from any network. To keep a PDF, print it (Ctrl+P) and choose \"Save as PDF\"; "
	      "turn off the browser's own headers and footers, the page carries its own. "
	      "report.json beside it has every detail in machine-readable form.</p>\n", f);
}

static void severity_cell(FILE *f, const struct rep_finding *x)
{
	if (x->waiver) {
		fputs("<td class=\"sev sev-waived\">WAIVED</td>", f);
		return;
	}
	switch (x->severity) {
	case SEV_FAIL: fputs("<td class=\"sev sev-fail\">FAIL</td>", f); break;
	case SEV_REVIEW: fputs("<td class=\"sev sev-review\">REVIEW</td>", f); break;
	default: fputs("<td class=\"sev sev-info\">INFO</td>", f); break;
	}
}

static void evidence_cell(FILE *f, const struct rep_finding *x)
{
	fputs("<td class=\"small\">", f);
	if (x->volume)
		fprintf(f, "<span class=\"lbl\">volume</span> %u<br>", x->volume);
	if (x->path) {
		/* A stream's hash beside its file's bare path would name the wrong data. */
		char *p = x->stream ? xasprintf("%s:%s", x->path, x->stream) : NULL;
		fputs("<span class=\"lbl\">path </span>", f);
		html_code(f, p ? p : x->path);
		fputs("<br>", f);
		free(p);
	}
	if (x->value) {
		fputs("<span class=\"lbl\">value </span>", f);
		html_code(f, x->value);
		fputs("<br>", f);
	}
	if (x->version) {
		fputs("<span class=\"lbl\">version </span>", f);
		html_esc(f, x->version);
		fputs("<br>", f);
	}
	if (x->sha256) {
		fputs("<span class=\"lbl\">SHA-256</span> <span class=\"mono\">", f);
		html_esc(f, x->sha256);
		fputs("</span>", f);
	}
	fputs("</td>", f);
}

static void findings_table(const struct report *r, FILE *f, int which)
{
	report_html_table_head(f, NULL, "w6|Severity", "w10|Rule", "|What was found", "p35|Evidence", NULL);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct rep_finding *x = &r->findings[i];
		int kind = x->waiver ? 2 : decisive(x) ? 0 : 1;
		if (kind != which)
			continue;
		fputs("<tr>", f);
		severity_cell(f, x);
		fputs("<td class=\"rule\">", f);
		html_esc(f, x->rule);
		fputs("</td><td>", f);
		html_esc(f, x->message);
		if (x->waiver) {
			fputs("<br><span class=\"muted\">lifted by waiver </span>", f);
			html_code(f, x->waiver);
		}
		fputs("</td>", f);
		evidence_cell(f, x);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

/* Each rule the findings name, with what it checks (rules.md): the
 * report explains itself. */
static void rules_legend(const struct report *r, FILE *f)
{
	bool any = false;

	for (size_t k = 0; k < rule_count; k++) {
		bool used = false;
		for (size_t i = 0; i < r->nfindings && !used; i++)
			used = r->findings[i].rule && !strcmp(r->findings[i].rule, rule_table[k].id);
		if (!used)
			continue;
		if (!any) {
			fputs("<details class=\"print-open\"><summary>What these rules check</summary>\n", f);
			report_html_table_head(f, "small", "w12|Rule", "w6|Group", "|Checks for", NULL);
		}
		any = true;
		fputs("<tr><td class=\"rule\">", f);
		html_esc(f, rule_table[k].id);
		fputs("</td><td>", f);
		html_esc(f, rule_table[k].group);
		fputs("</td><td>", f);
		html_esc(f, rule_table[k].summary);
		fputs("</td></tr>\n", f);
	}
	if (any)
		fputs("</tbody>\n</table>\n</details>\n", f);
}

static void findings_section(const struct report *r, FILE *f)
{
	size_t n[4], waived;

	count_findings(r, n, &waived);
	fputs("<section id=\"findings\">\n<h2>Findings that decide the verdict</h2>\n", f);
	fputs("<p class=\"small\">Each finding is one rule of the acceptance profile that matched. "
	      "<strong>FAIL</strong>: the profile rejects an image with it. <strong>REVIEW</strong>: a person "
	      "must decide. <strong>INFO</strong>: recorded, does not change the verdict. "
	      "<strong>WAIVED</strong>: an approved waiver of the profile lifts it.</p>\n", f);
	if (n[SEV_FAIL] + n[SEV_REVIEW])
		findings_table(r, f, 0);
	else
		fputs("<p>None: no rule of this profile rejected the image or asked for a review.</p>\n", f);
	if (waived) {
		fprintf(f, "<h3>Waived findings (%zu)</h3>\n", waived);
		findings_table(r, f, 2);
	}
	if (r->nwaivers) {
		fprintf(f, "<h3>Waivers of the profile (%zu)</h3>\n", r->nwaivers);
		report_html_table_head(f, NULL, "w8|Waiver", "w10|Rule", "|Applies to", "|Reason", "w8|Approved by",
			   "w6|Expires", "w10|Status", NULL);
		for (size_t i = 0; i < r->nwaivers; i++) {
			const struct rep_waiver *w = &r->waivers[i];
			fputs("<tr><td>", f);
			html_esc(f, w->w.name);
			fputs("</td><td class=\"rule\">", f);
			html_esc(f, w->w.rule);
			fputs("</td><td>", f);
			if (w->w.path)
				html_code(f, w->w.path);
			if (w->w.sha256) {
				fputs("<br>SHA-256 <span class=\"mono\">", f);
				html_esc(f, w->w.sha256);
				fputs("</span>", f);
			}
			if (!w->w.path && !w->w.sha256)
				fputs("<span class=\"muted\">every finding of the rule</span>", f);
			fputs("</td><td>", f);
			html_esc(f, w->w.reason);
			fputs("</td><td>", f);
			html_esc(f, w->w.approver);
			fputs("</td><td>", f);
			html_esc(f, w->w.expires);
			fprintf(f, "</td><td%s>", w->status && !strcmp(w->status, "expired") ? " class=\"st-bad\"" : "");
			html_esc(f, w->status);
			fprintf(f, ", %u finding%s lifted<br><span class=\"muted small\">", w->applied,
				w->applied == 1 ? "" : "s");
			html_esc(f, w->w.origin);
			fputs("</span></td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}
	if (n[SEV_INFO]) {
		fprintf(f, "<details class=\"print-open\"><summary>Findings for information only (%zu)</summary>\n",
			n[SEV_INFO]);
		findings_table(r, f, 1);
		fputs("</details>\n", f);
	}
	rules_legend(r, f);
	fputs("</section>\n", f);
}

/* --- Detections ------------------------------------------------------------ */

static void detection_rows(const struct report *r, FILE *f, const struct rep_detection *d, size_t n)
{
	report_html_table_head(f, NULL, "w4|Volume", "|File", "p25|Signature", "w14|SHA-256", "w7|Size", NULL);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<tr><td class=\"num\">%u</td><td>", d[i].volume);
		html_location(f, d[i].path, d[i].stream);
		const struct rep_file *df = report_find_file(r, d[i].volume, d[i].path, d[i].stream);
		html_sig_words(f, df ? df->sig : NULL);
		fputs("</td><td><strong>", f);
		html_esc(f, d[i].signature);
		fputs("</strong></td><td class=\"mono small\">", f);
		html_esc(f, d[i].sha256);
		fputs("</td>", f);
		html_size_cell(f, d[i].size);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void detections_section(const struct report *r, FILE *f)
{
	fprintf(f, "<section id=\"detections\">\n<h2>Malware detections (%zu)</h2>\n", r->ndet);
	fputs("<p class=\"small\">Files (and alternate data streams, archive members) in which ClamAV "
	      "found a signature. The signature name is ClamAV's.</p>\n", f);
	if (r->ndet)
		detection_rows(r, f, r->det, r->ndet);
	else
		fputs("<p>None.</p>\n", f);
	if (r->nmacros) {
		fprintf(f, "<h3>Office documents with macros (%zu)</h3>\n", r->nmacros);
		detection_rows(r, f, r->macros, r->nmacros);
	}
	fputs("</section>\n", f);
}

/* --- Autostart entries ----------------------------------------------------- */

static void autorun_entry(FILE *f, const struct autorun *a)
{
	/* The same "KEY [Value]" as the findings and report.txt. */
	char *at = autorun_where(a);
	fputs("<td>", f);
	html_code(f, at);
	free(at);
	if (a->user) {
		fputs("<br><span class=\"muted\">user</span> ", f);
		html_esc(f, a->user);
	}
	fputs("</td>", f);
}

static void autorun_runs(FILE *f, const struct autorun *a)
{
	fputs("<td>", f);
	html_code(f, a->command);
	if (a->target) {
		fputs("<br><span class=\"muted\">runs</span> ", f);
		html_code(f, a->target);
		if (a->target_exists == 0)
			fputs(" <strong>(missing from the disk)</strong>", f);
		if (a->target_detection) {
			fputs(" <strong>DETECTED: ", f);
			html_esc(f, a->target_detection);
			fputs("</strong>", f);
		}
		html_sig_words(f, a->target_sig);
	}
	if (a->pe) {
		const char *ver = a->pe->fixed_version[0] ? a->pe->fixed_version : a->pe->file_version;
		fputs("<br><span class=\"muted\">version info</span> ", f);
		html_esc_or(f, a->pe->company, "(no company)");
		if (a->pe->product)
			fputs(", ", f), html_esc(f, a->pe->product);
		if (ver)
			fputs(", ", f), html_esc(f, ver);
		if (a->pe->original_filename)
			fputs(", originally ", f), html_code(f, a->pe->original_filename);
	}
	if (a->pe_error) {
		fputs("<br><span class=\"muted\">damaged program file:</span> ", f);
		html_esc(f, a->pe_error);
	}
	if (a->note) {
		fputs("<br><span class=\"muted\">note</span> ", f);
		html_esc(f, a->note);
	}
	if (a->decoded) {
		fputs("<br><span class=\"muted\">decoded command:</span>", f);
		html_pre_block(f, a->decoded);
	} else if (a->payload && (a->resolve_flags & CMD_F_INLINE)) {
		fputs("<details><summary>inline code</summary>", f);
		html_pre_block(f, a->payload);
		fputs("</details>", f);
	}
	fputs("</td>", f);
}

static void autorun_row(FILE *f, const struct autorun *a, bool with_flags)
{
	fprintf(f, "<tr%s>", a->flags ? " class=\"flagged\"" : "");
	if (with_flags) {
		fputs("<td>", f);
		for (size_t i = 0; i < ar_nflag_info; i++)
			if (a->flags & ar_flag_info[i].flag) {
				fputs("<span class=\"flag\">", f);
				html_esc(f, ar_flag_info[i].name);
				fputs("</span> ", f);
			}
		if (!a->flags)
			fputs("<span class=\"muted\">none</span>", f);
		fputs("</td>", f);
	}
	fputs("<td>", f);
	html_esc(f, a->category);
	if (a->technique && a->technique[0]) {
		fputs("<br><span class=\"muted small\">ATT&amp;CK ", f);
		html_esc(f, a->technique);
		fputs("</span>", f);
	}
	fputs("</td>", f);
	autorun_entry(f, a);
	autorun_runs(f, a);
	fputs("</tr>\n", f);
}

static void autoruns_os(const struct os_info *os, FILE *f)
{
	const struct autorun_list *l = &os->autoruns;
	size_t flagged, other = count_other_autoruns(os, &flagged), windows = l->n - other;
	unsigned used = 0;

	fprintf(f, "<h3>Windows on volume %u (", os->volume);
	html_code(f, os->system_root);
	fprintf(f, "): %zu %s</h3>\n", l->n, plural(l->n, "entry", "entries"));
	fprintf(f, "<p>%zu flagged, %zu other program%s not part of Windows, %zu of Windows' own.</p>\n",
		flagged, other - flagged, pl_s(other - flagged), windows);
	if (other) {
		report_html_table_head(f, NULL, "w12|Flags", "w8|Kind", "p30|Where it is registered", "|What it starts", NULL);
		/* Flagged entries first: they are the ones to look at. */
		for (int pass = 0; pass < 2; pass++)
			for (size_t k = 0; k < l->n; k++) {
				const struct autorun *a = &l->v[k];
				if (autorun_is_windows_default(a, os->system_root) || (pass == 0) != (a->flags != 0))
					continue;
				used |= a->flags;
				autorun_row(f, a, true);
			}
		fputs("</tbody>\n</table>\n", f);
	}
	if (used) {
		report_html_table_head(f, "small", "w12|Flag", "|Why it deserves a look", NULL);
		for (size_t i = 0; i < ar_nflag_info; i++)
			if (used & ar_flag_info[i].flag) {
				fputs("<tr><td><span class=\"flag\">", f);
				html_esc(f, ar_flag_info[i].name);
				fputs("</span></td><td>", f);
				html_esc(f, ar_flag_info[i].reason);
				fputs("</td></tr>\n", f);
			}
		fputs("</tbody>\n</table>\n", f);
	}
	if (windows) {
		/* Hundreds on a real system: folded, they would bury the rest. */
		fprintf(f, "<details><summary>%zu of Windows' own start %s (programs in ", windows,
			plural(windows, "entry", "entries"));
		html_code(f, os->system_root);
		fputs(" validly signed by Microsoft Windows, no flag)</summary>\n", f);
		report_html_table_head(f, NULL, "w8|Kind", "p35|Where it is registered", "|What it starts", NULL);
		for (size_t k = 0; k < l->n; k++)
			if (autorun_is_windows_default(&l->v[k], os->system_root))
				autorun_row(f, &l->v[k], false);
		fputs("</tbody>\n</table>\n</details>\n", f);
	}
}

static void autoruns_section(const struct report *r, FILE *f)
{
	fputs("<section id=\"autostart\" class=\"page-break\">\n<h2>Programs that start automatically</h2>\n", f);
	fputs("<p class=\"small\">Everything the offline registry, the Startup folders, scheduled tasks "
	      "and WMI subscriptions would start at boot or logon. A flag names a reason to look closer; "
	      "programs of the machine vendor are expected here, but each should be known.</p>\n", f);
	if (!r->nos)
		fputs("<p>No Windows installation was found, so no autostart locations could be read.</p>\n", f);
	for (size_t i = 0; i < r->nos; i++)
		autoruns_os(&r->os[i], f);
	fputs("</section>\n", f);
}

/* --- Windows installation, patch level and hardening ----------------------- */

int report_write_html(const struct report *r, FILE *f)
{
	head(r, f);
	verdict_banner(r, f);
	findings_section(r, f);
	/* A re-audit sees what changed before the full inventory. */
	if (r->drift && drift_write_html(r->drift, f) < 0)
		return -1;
	detections_section(r, f);
	report_yara_html(r, f);
	autoruns_section(r, f);
	html_os_section(r, f);
	html_accounts_section(r, f);
	report_eventlog_html(r, f);
	report_defender_html(r, f);
	html_signatures_section(r, f);
	html_volumes_section(r, f);
	html_evidence_section(r, f);
	html_not_scanned_section(r, f);
	fputs("<footer class=\"small muted\">Written by kenshu " KENSHU_VERSION " (commit ", f);
	html_esc(f, kenshu_commit);
	fputs("). The complete, machine-readable report is report.json in the same directory; "
	      "manifest.jsonl lists every file with its SHA-256.</footer>\n</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
