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
#include <string.h>

#include <kenshu/version.h>
#include <kenshu/artifacts.h>
#include <kenshu/drift.h>
#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

/* Inline code (a WMI script, a decoded PowerShell command) is shown whole
 * up to this; report.json always has all of it. */
#define HTML_MAX_CODE (64 * 1024)
/* The running page header names the image; a longer name is cut. */
#define HTML_MAX_HEADER_NAME 60

/* --- Escaping ---------------------------------------------------------- */

/* Decodes the UTF-8 sequence at s (n > 0 bytes left). Returns its length
 * and sets *cp; a byte that does not start a valid, shortest-form
 * sequence of a Unicode scalar value is 1 byte long with *cp = U+FFFD, so
 * every bad byte becomes one replacement character. */
size_t report_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, v = c & 0x1F, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, v = c & 0x0F, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, v = c & 0x07, min = 0x10000;
	else
		goto bad;
	if (n < len)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto bad;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		goto bad;
	*cp = v;
	return len;
bad:
	*cp = 0xFFFD;
	return 1;
}

/* Code points a page must not carry as they are: C1 controls and
 * noncharacters (parse errors in HTML), and the bidirectional formatting
 * characters, which would let a name display as something else
 * ("invoice\u202Etxt.exe" shows as "invoiceexe.txt"). */
bool report_unsafe_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

void report_html_escape(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		uint32_t cp;
		size_t len = report_utf8_decode(p, (size_t)(end - p), &cp);

		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (cp < 0x20) {
				/* Visible as itself, not acted on: U+2400 + c
				 * (a newline in a name shows as U+240A). */
				fputc(0xE2, f);
				fputc(0x90, f);
				fputc((int)(0x80 + cp), f);
			} else if (cp == 0x7F) {
				fputs("\xE2\x90\xA1", f);
			} else if (cp == 0xFFFD || report_unsafe_cp(cp)) {
				fputs("\xEF\xBF\xBD", f);
			} else {
				fwrite(p, 1, len, f);
			}
		}
		p += len;
	}
}

/* The same text as a CSS string body (the running page header): letters,
 * digits and a few safe marks as they are, everything else as a CSS
 * escape, so no quote, backslash or "</style" can end the string. */
static void css_string(FILE *f, const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t chars = 0;

	for (; p < end && chars < max_chars; chars++) {
		uint32_t cp;
		size_t len = report_utf8_decode(p, (size_t)(end - p), &cp);

		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
		    cp == ' ' || cp == '.' || cp == '-' || cp == '_')
			fputc((int)cp, f);
		else
			fprintf(f, "\\%X ", cp < 0x20 || cp == 0x7F || report_unsafe_cp(cp) ? 0xFFFDu : cp);
		p += len;
	}
	if (p < end)
		fputs("\\2026 ", f);
}

/* Data, never markup: every string written into the page goes through
 * one of these. NULL writes nothing. */
static void esc(FILE *f, const char *s)
{
	if (s)
		report_html_escape(f, s, strlen(s));
}

/* s, or a grey placeholder when it is unknown. */
static void esc_or(FILE *f, const char *s, const char *unknown)
{
	if (s && *s)
		esc(f, s);
	else
		fprintf(f, "<span class=\"muted\">%s</span>", unknown);
}

static void code(FILE *f, const char *s)
{
	fputs("<code>", f);
	esc(f, s);
	fputs("</code>", f);
}

/* A multi-line text (a script, a decoded command) in a <pre>: line breaks
 * and tabs are kept as layout, every other character is escaped. */
static void pre_block(FILE *f, const char *s)
{
	size_t n = strlen(s), shown = n;

	if (shown > HTML_MAX_CODE) {
		shown = HTML_MAX_CODE;
		while (shown && ((unsigned char)s[shown] & 0xC0) == 0x80)
			shown--;      /* a cut falls between characters */
	}
	fputs("<pre>", f);
	for (size_t i = 0; i < shown;) {
		size_t k = i;
		while (k < shown && s[k] != '\n' && s[k] != '\t' && !(s[k] == '\r' && s[k + 1] == '\n'))
			k++;
		report_html_escape(f, s + i, k - i);
		if (k < shown && s[k] == '\r')
			k++;
		if (k < shown)
			fputc(s[k], f), k++;
		i = k;
	}
	fputs("</pre>", f);
	if (shown < n)
		fprintf(f, "<p class=\"muted\">(%zu more bytes: report.json has all of it)</p>", n - shown);
}

/* --- Shared pieces ------------------------------------------------------ */

static void size_cell(FILE *f, uint64_t n)
{
	char h[32];

	report_human_size(n, h, sizeof(h));
	fprintf(f, "<td class=\"num\">%s<br><span class=\"muted\">%llu bytes</span></td>", h,
		(unsigned long long)n);
}

/* Opens a table with fixed column widths (a printed page is narrow and
 * must not be overflowed by one long path): each column is "CLASS|Header",
 * CLASS a width from the style sheet (w4 = 4em, p30 = 30%) or empty for
 * an equal share of what is left. Ends with NULL. */
void report_html_table_head(FILE *f, const char *cls, ...)
{
	va_list ap;
	const char *c;

	fprintf(f, "<table class=\"fixed%s%s\">\n<colgroup>", cls ? " " : "", cls ? cls : "");
	va_start(ap, cls);
	while ((c = va_arg(ap, const char *))) {
		const char *bar = strchr(c, '|');
		if (bar == c)
			fputs("<col>", f);
		else
			fprintf(f, "<col class=\"%.*s\">", (int)(bar - c), c);
	}
	va_end(ap);
	fputs("</colgroup>\n<thead><tr>", f);
	va_start(ap, cls);
	while ((c = va_arg(ap, const char *)))
		fprintf(f, "<th>%s</th>", strchr(c, '|') + 1);
	va_end(ap);
	fputs("</tr></thead>\n<tbody>\n", f);
}

/* A file inside a volume: its path and, for an alternate data stream,
 * ":stream" set apart so nobody reads it as part of the name. */
static void location(FILE *f, const char *path, const char *stream)
{
	if (!path || !path[0]) {
		fputs("<span class=\"muted\">(the whole volume)</span>", f);
		return;
	}
	fputs("<code>", f);
	esc(f, path);
	fputs("</code>", f);
	if (stream && stream[0]) {
		fputs(" <span class=\"muted\">stream</span> <code>", f);
		esc(f, stream);
		fputs("</code>", f);
	}
}

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
	".w3{width:3em}.w4{width:4.5em}.w5{width:5em}.w6{width:6.5em}.w7{width:7.5em}.w8{width:8.5em}"
	".w10{width:10em}.w12{width:12em}.w14{width:14em}"
	".p20{width:20%}.p25{width:25%}.p30{width:30%}.p35{width:35%}.p40{width:40%}.p50{width:50%}"
	"th,td{border:1px solid #aaa;padding:3px 6px;text-align:left;vertical-align:top}"
	"thead{display:table-header-group}thead th{background:#e6e6e6}"
	"tr{break-inside:avoid;page-break-inside:avoid}"
	"table.kv th{width:14em;background:#f3f3f3;font-weight:600;text-align:left}"
	"td.num{text-align:right;white-space:nowrap}"
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
	const char *base = r->image_path ? strrchr(r->image_path, '/') : NULL;
	const char *vname = verdict_name(r->verdict);

	base = base ? base + 1 : r->image_path ? r->image_path : "";
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	/* Defence in depth: the page has no script and no URL, and if a
	 * later change let one in, the browser still may not fetch or run
	 * anything. Only the inline style and data: images are allowed. */
	fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n", f);
	fputs("<meta name=\"referrer\" content=\"no-referrer\">\n", f);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
	fprintf(f, "<title>%s: ", vname);
	esc(f, base);
	fputs(" (kenshu acceptance report)</title>\n<style>\n", f);
	fputs(css, f);
	/* Printed pages carry the verdict and the image in their header and
	 * a page number in the footer (CSS page margin boxes: no script). */
	fprintf(f, "\n@page{size:A4;margin:16mm 12mm 15mm 12mm;"
		"@top-left{content:\"kenshu acceptance report: %s\";font:bold 8pt sans-serif}"
		"@top-right{content:\"", vname);
	css_string(f, base, HTML_MAX_HEADER_NAME);
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

static void verdict_banner(const struct report *r, const struct av *av, FILE *f)
{
	static const char *const cls[] = { "v-pass", "v-review", "v-fail" };
	size_t n[4], waived, flagged = 0, other = 0, scanned = 0, unscanned = 0, reserved = 0;

	fputs("<header>\n<h1>Acceptance scan of ", f);
	code(f, r->image_path);
	fputs("</h1>\n", f);
	fprintf(f, "<section class=\"verdict %s\" id=\"verdict\">\n<div class=\"word\">%s</div>\n",
		cls[r->verdict <= VERDICT_FAIL ? r->verdict : VERDICT_FAIL], verdict_name(r->verdict));
	fprintf(f, "<p class=\"means\">%s</p>\n<p>", verdict_meaning(r->verdict));
	esc(f, r->verdict_reason);
	fputs("</p>\n<p class=\"small\">Judged by the acceptance profile <strong>", f);
	esc_or(f, r->profile_name, "(none)");
	fputs("</strong> (", f);
	esc(f, r->profile_source);
	fputs(") as of ", f);
	esc(f, r->scan_date);
	fputs(", profile SHA-256 <span class=\"mono\">", f);
	esc(f, r->profile_sha256);
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
	fprintf(f, "<tr><th>Findings</th><td>%zu reject (fail), %zu need review, %zu for information, "
		"%zu waived</td></tr>\n", n[SEV_FAIL], n[SEV_REVIEW], n[SEV_INFO], waived);
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
	fprintf(f, "<tr><th>Signatures</th><td>libclamav %s, %u signatures</td></tr>\n", av_version(),
		av ? av_signature_count(av) : 0);
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
		fputs("<span class=\"lbl\">path </span>", f);
		code(f, x->path);
		fputs("<br>", f);
	}
	if (x->value) {
		fputs("<span class=\"lbl\">value </span>", f);
		code(f, x->value);
		fputs("<br>", f);
	}
	if (x->version) {
		fputs("<span class=\"lbl\">version </span>", f);
		esc(f, x->version);
		fputs("<br>", f);
	}
	if (x->sha256) {
		fputs("<span class=\"lbl\">SHA-256</span> <span class=\"mono\">", f);
		esc(f, x->sha256);
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
		esc(f, x->rule);
		fputs("</td><td>", f);
		esc(f, x->message);
		if (x->waiver) {
			fputs("<br><span class=\"muted\">lifted by waiver </span>", f);
			code(f, x->waiver);
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
		esc(f, rule_table[k].id);
		fputs("</td><td>", f);
		esc(f, rule_table[k].group);
		fputs("</td><td>", f);
		esc(f, rule_table[k].summary);
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
			esc(f, w->w.name);
			fputs("</td><td class=\"rule\">", f);
			esc(f, w->w.rule);
			fputs("</td><td>", f);
			if (w->w.path)
				code(f, w->w.path);
			if (w->w.sha256) {
				fputs("<br>SHA-256 <span class=\"mono\">", f);
				esc(f, w->w.sha256);
				fputs("</span>", f);
			}
			if (!w->w.path && !w->w.sha256)
				fputs("<span class=\"muted\">every finding of the rule</span>", f);
			fputs("</td><td>", f);
			esc(f, w->w.reason);
			fputs("</td><td>", f);
			esc(f, w->w.approver);
			fputs("</td><td>", f);
			esc(f, w->w.expires);
			fprintf(f, "</td><td%s>", w->status && !strcmp(w->status, "expired") ? " class=\"st-bad\"" : "");
			esc(f, w->status);
			fprintf(f, ", %u finding%s lifted<br><span class=\"muted small\">", w->applied,
				w->applied == 1 ? "" : "s");
			esc(f, w->w.origin);
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

static void detection_rows(FILE *f, const struct rep_detection *d, size_t n)
{
	report_html_table_head(f, NULL, "w4|Volume", "|File", "p25|Signature", "w14|SHA-256", "w7|Size", NULL);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<tr><td class=\"num\">%u</td><td>", d[i].volume);
		location(f, d[i].path, d[i].stream);
		fputs("</td><td><strong>", f);
		esc(f, d[i].signature);
		fputs("</strong></td><td class=\"mono small\">", f);
		esc(f, d[i].sha256);
		fputs("</td>", f);
		size_cell(f, d[i].size);
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
		detection_rows(f, r->det, r->ndet);
	else
		fputs("<p>None.</p>\n", f);
	if (r->nmacros) {
		fprintf(f, "<h3>Office documents with macros (%zu)</h3>\n", r->nmacros);
		detection_rows(f, r->macros, r->nmacros);
	}
	fputs("</section>\n", f);
}

/* --- Autostart entries ----------------------------------------------------- */

static void autorun_entry(FILE *f, const struct autorun *a)
{
	fputs("<td>", f);
	code(f, a->location);
	fputs("<br>", f);
	if (a->name[0])
		code(f, a->name);
	else
		fputs("<span class=\"muted\">(default value)</span>", f);
	if (a->user) {
		fputs("<br><span class=\"muted\">user</span> ", f);
		esc(f, a->user);
	}
	fputs("</td>", f);
}

static void autorun_runs(FILE *f, const struct autorun *a)
{
	fputs("<td>", f);
	code(f, a->command);
	if (a->target) {
		fputs("<br><span class=\"muted\">runs</span> ", f);
		code(f, a->target);
		if (a->target_exists == 0)
			fputs(" <strong>(missing from the disk)</strong>", f);
		if (a->target_detection) {
			fputs(" <strong>DETECTED: ", f);
			esc(f, a->target_detection);
			fputs("</strong>", f);
		}
	}
	if (a->pe) {
		const char *ver = a->pe->fixed_version[0] ? a->pe->fixed_version : a->pe->file_version;
		fputs("<br><span class=\"muted\">version info</span> ", f);
		esc_or(f, a->pe->company, "(no company)");
		if (a->pe->product)
			fputs(", ", f), esc(f, a->pe->product);
		if (ver)
			fputs(", ", f), esc(f, ver);
		if (a->pe->original_filename)
			fputs(", originally ", f), code(f, a->pe->original_filename);
	}
	if (a->pe_error) {
		fputs("<br><span class=\"muted\">damaged program file:</span> ", f);
		esc(f, a->pe_error);
	}
	if (a->note) {
		fputs("<br><span class=\"muted\">note</span> ", f);
		esc(f, a->note);
	}
	if (a->decoded) {
		fputs("<br><span class=\"muted\">decoded command:</span>", f);
		pre_block(f, a->decoded);
	} else if (a->payload && (a->resolve_flags & CMD_F_INLINE)) {
		fputs("<details><summary>inline code</summary>", f);
		pre_block(f, a->payload);
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
				esc(f, ar_flag_info[i].name);
				fputs("</span> ", f);
			}
		if (!a->flags)
			fputs("<span class=\"muted\">none</span>", f);
		fputs("</td>", f);
	}
	fputs("<td>", f);
	esc(f, a->category);
	if (a->technique && a->technique[0]) {
		fputs("<br><span class=\"muted small\">ATT&amp;CK ", f);
		esc(f, a->technique);
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
	code(f, os->system_root);
	fprintf(f, "): %zu entries</h3>\n", l->n);
	fprintf(f, "<p>%zu flagged, %zu other programs not part of Windows, %zu of Windows' own.</p>\n",
		flagged, other - flagged, windows);
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
				esc(f, ar_flag_info[i].name);
				fputs("</span></td><td>", f);
				esc(f, ar_flag_info[i].reason);
				fputs("</td></tr>\n", f);
			}
		fputs("</tbody>\n</table>\n", f);
	}
	if (windows) {
		/* Hundreds on a real system: folded, they would bury the rest. */
		fprintf(f, "<details><summary>%zu of Windows' own start entries (programs in ", windows);
		code(f, os->system_root);
		fputs(" with Microsoft version information, no flag)</summary>\n", f);
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

static void kv(FILE *f, const char *key, const char *val)
{
	fprintf(f, "<tr><th>%s</th><td>", key);
	esc_or(f, val, "unknown");
	fputs("</td></tr>\n", f);
}

static void hive_row(FILE *f, const char *name, const char *user, const struct hive_health *h)
{
	fputs("<tr><td>", f);
	code(f, name);
	if (user && *user) {
		fputs(" <span class=\"muted\">of</span> ", f);
		esc(f, user);
	}
	if (!h->opened) {
		fputs("</td><td class=\"st-bad\">not readable: ", f);
		esc(f, h->error);
	} else if (h->dirty || h->log1 || h->log2) {
		fputs("</td><td class=\"st-bad\">", f);
		fprintf(f, "%s%s%s (read as it is on disk; Windows would replay the logs at the next boot)",
			h->dirty ? "dirty (sequence numbers differ)" : "",
			h->dirty && (h->log1 || h->log2) ? ", " : "",
			h->log1 || h->log2 ? "transaction logs present" : "");
	} else {
		fputs("</td><td>read completely", f);
	}
	fputs("</td></tr>\n", f);
}

static void os_identity(const struct os_info *os, FILE *f)
{
	char buf[64];

	fprintf(f, "<h3>Volume %u, system root ", os->volume);
	code(f, os->system_root);
	fputs("</h3>\n<table class=\"fixed kv\">\n", f);
	kv(f, "Product", os->product_name);
	kv(f, "Edition", os->edition);
	kv(f, "Family", os->family);
	if (os->major) {
		snprintf(buf, sizeof(buf), "%u.%u", os->major, os->minor);
		kv(f, "Version", buf);
	} else {
		kv(f, "Version", os->current_version);
	}
	fputs("<tr><th>Build</th><td>", f);
	esc_or(f, os->build, "unknown");
	if (os->has_ubr)
		fprintf(f, ".%u <span class=\"muted\">(update build revision)</span>", os->ubr);
	fputs("</td></tr>\n", f);
	kv(f, "Service pack", os->service_pack);
	kv(f, "Architecture", os->architecture);
	kv(f, "Computer name", os->hostname);
	kv(f, "Installed", os->install_date);
	kv(f, "Registered owner", os->registered_owner);
	kv(f, "Registered organization", os->registered_organization);
	kv(f, "Time zone", os->time_zone);
	if (os->control_set)
		fprintf(f, "<tr><th>Control set in use</th><td>ControlSet%03u</td></tr>\n", os->control_set);
	if (os->wmi_error)
		kv(f, "WMI repository", os->wmi_error);
	if (os->cross_check)
		kv(f, "libguestfs cross-check", os->cross_check);
	fputs("</table>\n", f);

	if (os->nprofiles) {
		report_html_table_head(f, "small", "w12|User profile", "|Folder", "p35|SID", NULL);
		for (size_t i = 0; i < os->nprofiles; i++) {
			const struct os_profile *p = &os->profiles[i];
			fputs("<tr><td>", f);
			esc(f, p->user);
			fputs("</td><td>", f);
			code(f, p->path);
			fputs("</td><td class=\"mono\">", f);
			esc_or(f, p->sid, p->found_on_disk ? "(not in ProfileList: found on disk)" : "");
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}
	report_html_table_head(f, "small", "p50|Registry hive", "|State", NULL);
	for (int k = 0; k < 2; k++)
		if (os->hives[k].name)
			hive_row(f, os->hives[k].path ? os->hives[k].path : os->hives[k].name, "",
				 &os->hives[k].health);
	for (size_t k = 0; k < os->nuser_hives; k++)
		hive_row(f, os->user_hives[k].path, os->user_hives[k].user, &os->user_hives[k].health);
	fputs("</tbody>\n</table>\n", f);
}

static const char *posture_name(enum posture_state s, bool *bad)
{
	*bad = false;
	switch (s) {
	case POSTURE_SAFE: return "safe";
	case POSTURE_UNSAFE: *bad = true; return "UNSAFE";
	case POSTURE_ABSENT_UNSAFE: *bad = true; return "not set (Windows default is unsafe)";
	case POSTURE_ABSENT_SAFE: return "not set (Windows default is safe)";
	case POSTURE_INFO: return "information";
	case POSTURE_NOT_APPLICABLE: return "not applicable";
	case POSTURE_UNKNOWN: break;
	}
	return "could not be determined";
}

static void posture_os(const struct os_info *os, FILE *f)
{
	fprintf(f, "<h3>Volume %u: ", os->volume);
	esc_or(f, os->product_name, "Windows");
	fputs(", build ", f);
	esc_or(f, os->build, "unknown");
	if (os->has_ubr)
		fprintf(f, ".%u", os->ubr);
	if (os->service_pack)
		fputs(", ", f), esc(f, os->service_pack);
	fputs("</h3>\n", f);
	if (!os->posture.n) {
		fputs("<p>No patch or hardening checks were recorded for this installation.</p>\n", f);
		return;
	}
	report_html_table_head(f, NULL, "w10|State", "w12|Check", "|What it means", "p30|As read", NULL);
	for (size_t i = 0; i < os->posture.n; i++) {
		const struct posture_check *c = &os->posture.c[i];
		bool bad;
		const char *st = posture_name(c->state, &bad);
		fprintf(f, "<tr><td class=\"%s\">%s</td><td class=\"rule\">", bad ? "st-bad"
			: c->state == POSTURE_SAFE ? "st-good" : "", st);
		esc(f, c->rule);
		if (c->scope) {
			fputs(" ", f);
			esc(f, c->scope);
		}
		fputs("</td><td>", f);
		esc(f, c->message);
		fputs("</td><td>", f);
		if (c->evidence)
			code(f, c->evidence);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void os_section(const struct report *r, FILE *f)
{
	fputs("<section id=\"os\" class=\"page-break\">\n<h2>Windows installation</h2>\n", f);
	fputs("<p class=\"small\">As the image's own registry records it (not what the vendor says).</p>\n", f);
	if (!r->nos)
		fputs("<p>No Windows installation was found on any volume.</p>\n", f);
	for (size_t i = 0; i < r->nos; i++)
		os_identity(&r->os[i], f);
	fputs("</section>\n<section id=\"posture\">\n<h2>Patch level and hardening</h2>\n", f);
	if (!r->nos)
		fputs("<p>Nothing to check: no Windows installation.</p>\n", f);
	for (size_t i = 0; i < r->nos; i++)
		posture_os(&r->os[i], f);
	fputs("</section>\n", f);
}

/* --- Volumes, evidence, coverage ------------------------------------------- */

static void volumes_section(const struct report *r, FILE *f)
{
	fprintf(f, "<section id=\"volumes\">\n<h2>Volumes (%zu)</h2>\n", r->nvol);
	fputs("<p class=\"small\">Partition table: ", f);
	esc(f, r->scheme);
	if (r->disk_guid && r->disk_guid[0]) {
		fputs(", disk GUID <span class=\"mono\">", f);
		esc(f, r->disk_guid);
		fputs("</span>", f);
	}
	if (r->gpt_backup_used)
		fputs(", <strong>primary GPT damaged: the backup copy was used</strong>", f);
	fputs("</p>\n", f);
	report_html_table_head(f, NULL, "w3|#", "|Partition", "w7|Size", "p20|File system", "w10|Label", "p25|Scanned", NULL);
	for (size_t i = 0; i < r->nvol; i++) {
		const struct rep_volume *v = &r->vol[i];
		fprintf(f, "<tr><td class=\"num\">%u</td><td>", v->v.index);
		esc(f, v->v.part_type);
		if (v->v.part_name[0]) {
			fputs("<br><span class=\"muted\">name</span> ", f);
			code(f, v->v.part_name);
		}
		fputs("</td>", f);
		size_cell(f, v->v.size);
		fputs("<td>", f);
		esc(f, v->v.fs);
		if (v->fs_version && v->fs_version[0])
			fputs(" ", f), esc(f, v->fs_version);
		if (v->reader)
			fputs("<br><span class=\"muted small\">read by ", f), esc(f, v->reader), fputs("</span>", f);
		fputs("</td><td>", f);
		esc_or(f, v->label, "");
		if (v->scanned) {
			char b[32];
			report_human_size(v->bytes, b, sizeof(b));
			fprintf(f, "</td><td>yes: %llu files, %llu streams, %s",
				(unsigned long long)v->files, (unsigned long long)v->streams, b);
			if (v->dirty)
				fputs("<br><strong>marked dirty</strong> (not shut down cleanly)", f);
		} else {
			/* A partition that holds no file system by design (MSR)
			 * hides nothing; anything else unread might. */
			fprintf(f, "</td><td%s>no: ", v->v.state == VOL_RESERVED ? "" : " class=\"st-bad\"");
			esc(f, v->v.state_reason);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	if (r->ngaps) {
		fputs("<h3>Space outside every partition</h3>\n", f);
		report_html_table_head(f, NULL, "w10|At byte", "w7|Size", "|Contents", NULL);
		for (size_t i = 0; i < r->ngaps; i++) {
			const struct img_gap *g = &r->gaps[i];
			fprintf(f, "<tr><td class=\"num\">%llu</td>", (unsigned long long)g->offset);
			size_cell(f, g->size);
			fprintf(f, "<td%s>%s</td></tr>\n", g->holds_data ? " class=\"st-bad\"" : "",
				g->holds_data ? "HOLDS DATA that no file system shows"
				: g->sampled ? "no data found (sampled: 1 MiB of every 16)" : "all zero");
		}
		fputs("</tbody>\n</table>\n", f);
	}
	if (r->nrp) {
		fprintf(f, "<details><summary>Reparse points: %zu (links and junctions, reported, not "
			"followed)</summary>\n", r->nrp);
		report_html_table_head(f, NULL, "w4|Volume", "|Path", "w12|Kind", "|Target", NULL);
		for (size_t i = 0; i < r->nrp; i++) {
			const struct rep_reparse *p = &r->rp[i];
			fprintf(f, "<tr><td class=\"num\">%u</td><td>", p->volume);
			code(f, p->path);
			fputs("</td><td>", f);
			esc(f, reparse_tag_name(p->tag));
			fprintf(f, " <span class=\"mono muted\">0x%08X</span></td><td>", p->tag);
			if (p->target && p->target[0])
				code(f, p->target);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n</details>\n", f);
	}
	if (r->cross_check_note) {
		fputs("<p><strong>libguestfs cross-check:</strong> ", f);
		esc(f, r->cross_check_note);
		fputs("</p>\n", f);
	}
	fputs("</section>\n", f);
}

static void hash_row(FILE *f, const char *key, const char *hex)
{
	fprintf(f, "<tr><th>%s</th><td class=\"mono\">", key);
	esc_or(f, hex, "none");
	fputs("</td></tr>\n", f);
}

static void evidence_section(const struct report *r, const struct av *av, FILE *f)
{
	char sz[32];
	bool same = strcmp(r->sha256_before, r->sha256_after) == 0;

	fputs("<section id=\"evidence\" class=\"page-break\">\n<h2>Evidence</h2>\n", f);
	fputs("<p class=\"small\">What a second person needs to repeat this scan and get the same "
	      "result: the exact image, tool, signatures and profile.</p>\n", f);
	fputs("<h3>Image</h3>\n<table class=\"fixed kv\">\n", f);
	fputs("<tr><th>Path</th><td>", f);
	code(f, r->image_path);
	fputs("</td></tr>\n", f);
	kv(f, "Format", r->image_format);
	kv(f, "Read by", r->image_reader);
	report_human_size(r->image_size, sz, sizeof(sz));
	fprintf(f, "<tr><th>Size</th><td>%s (%llu bytes)</td></tr>\n", sz, (unsigned long long)r->image_size);
	if (r->disk_size != r->image_size) {
		report_human_size(r->disk_size, sz, sizeof(sz));
		fprintf(f, "<tr><th>Disk inside</th><td>%s (%llu bytes)</td></tr>\n", sz,
			(unsigned long long)r->disk_size);
	}
	hash_row(f, "SHA-256 before the scan", r->sha256_before);
	hash_row(f, "SHA-256 after the scan", r->sha256_after);
	fprintf(f, "<tr><th>Modified by the scan</th><td%s>%s</td></tr>\n", same ? "" : " class=\"st-bad\"",
		same ? "no: the hashes are identical (the image was opened read-only)" : "THE HASHES DIFFER");
	fputs("</table>\n", f);

	fputs("<h3>Scan</h3>\n<table class=\"fixed kv\">\n", f);
	kv(f, "Started (UTC)", r->started);
	kv(f, "Finished (UTC)", r->finished);
	fprintf(f, "<tr><th>Duration</th><td>%.1f s (hashing %.1f s, scanning %.1f s), %u worker threads"
		"</td></tr>\n", r->seconds_total, r->seconds_hash, r->seconds_scan, r->threads);
	fputs("<tr><th>Tool</th><td>kenshu " KENSHU_VERSION ", commit <span class=\"mono\">", f);
	esc(f, kenshu_commit);
	fputs("</span></td></tr>\n", f);
	fprintf(f, "<tr><th>Scan engine</th><td>libclamav %s (functionality level %u)</td></tr>\n",
		av_version(), av_functionality_level());
	if (av) {
		const struct av_limits *l = av_limits(av);
		fputs("<tr><th>Signature directory</th><td>", f);
		code(f, av_dbdir(av));
		fprintf(f, "</td></tr>\n<tr><th>Signatures loaded</th><td>%u</td></tr>\n", av_signature_count(av));
		fprintf(f, "<tr><th>Scan limits</th><td>%llu bytes per file, %llu bytes per archive, nesting %u, "
			"%u members per archive, %u ms per file; content beyond them is listed as not "
			"scanned</td></tr>\n", (unsigned long long)l->max_filesize,
			(unsigned long long)l->max_scansize, l->max_recursion, l->max_files, l->max_scantime_ms);
	}
	fputs("</table>\n", f);

	if (av) {
		fprintf(f, "<h3>Signature databases (%zu)</h3>\n", av_db_count(av));
		report_html_table_head(f, NULL, "|File", "w7|Official", "w5|Version", "w10|Built (UTC)", "w6|Signatures",
			   "w7|Size", "w14|SHA-256", NULL);
		for (size_t i = 0; i < av_db_count(av); i++) {
			const struct av_db *d = av_db(av, i);
			fputs("<tr><td>", f);
			code(f, d->name);
			fprintf(f, "</td><td>%s</td><td class=\"num\">", d->official ? "yes (Cisco-Talos)" : "no");
			if (d->version)
				fprintf(f, "%u", d->version);
			fputs("</td><td>", f);
			esc(f, d->build_time);
			if (d->builder && d->builder[0])
				fputs("<br><span class=\"muted small\">by ", f), esc(f, d->builder), fputs("</span>", f);
			fprintf(f, "</td><td class=\"num\">%u</td>", d->sigs);
			size_cell(f, d->size);
			fputs("<td class=\"mono small\">", f);
			esc(f, d->sha256);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}

	fputs("<h3>Acceptance profile</h3>\n<table class=\"fixed kv\">\n", f);
	kv(f, "Name", r->profile_name);
	kv(f, "Source", r->profile_source);
	hash_row(f, "SHA-256 of the file", r->profile_sha256);
	hash_row(f, "SHA-256 effective", r->profile_effective_sha256);
	kv(f, "Rules judged as of", r->scan_date);
	for (size_t i = 0; i < r->nprofile_files; i++) {
		const struct profile_file *pf = &r->profile_files[i];
		fputs("<tr><th>File read</th><td><code>", f);
		esc(f, pf->source);
		fputs("</code><br>SHA-256 <span class=\"mono\">", f);
		esc(f, pf->sha256);
		fputs("</span>", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n</section>\n", f);
}

static void not_scanned_section(const struct report *r, FILE *f)
{
	size_t vols = 0, gaps = 0, hives = 0;

	for (size_t i = 0; i < r->nvol; i++)
		vols += !r->vol[i].scanned && r->vol[i].v.state != VOL_RESERVED;
	for (size_t i = 0; i < r->ngaps; i++)
		gaps += r->gaps[i].holds_data;
	for (size_t i = 0; i < r->nos; i++) {
		for (int k = 0; k < 2; k++)
			hives += r->os[i].hives[k].name && !r->os[i].hives[k].health.opened;
		for (size_t k = 0; k < r->os[i].nuser_hives; k++)
			hives += !r->os[i].user_hives[k].health.opened;
	}
	fputs("<section id=\"not-scanned\">\n<h2>What was not scanned</h2>\n", f);
	fputs("<p class=\"small\">The scan covers what is listed here as not scanned only partly or not at "
	      "all: a clean result says nothing about it.</p>\n", f);
	if (!vols && !gaps && !hives && !r->nskip) {
		fputs("<p>Nothing: every volume was read and every file scanned whole.</p>\n", f);
		fputs("</section>\n", f);
		return;
	}
	if (vols) {
		fputs("<h3>Volumes not read</h3>\n<ul>\n", f);
		for (size_t i = 0; i < r->nvol; i++)
			if (!r->vol[i].scanned && r->vol[i].v.state != VOL_RESERVED) {
				fprintf(f, "<li>volume %u (", r->vol[i].v.index);
				esc(f, r->vol[i].v.part_type);
				fputs(", ", f);
				esc(f, r->vol[i].v.fs);
				fputs("): ", f);
				esc(f, r->vol[i].v.state_reason);
				fputs("</li>\n", f);
			}
		fputs("</ul>\n", f);
	}
	if (gaps)
		fprintf(f, "<p>%zu area%s outside every partition hold%s data no file system shows (see Volumes).</p>\n",
			gaps, gaps == 1 ? "" : "s", gaps == 1 ? "s" : "");
	if (hives)
		fprintf(f, "<p>%zu registry hive%s could not be read: autostart entries in %s are unknown "
			"(see Windows installation).</p>\n", hives, hives == 1 ? "" : "s", hives == 1 ? "it" : "them");
	if (r->nskip) {
		fprintf(f, "<h3>Files not fully scanned (%zu)</h3>\n", r->nskip);
		report_html_table_head(f, NULL, "w4|Volume", "|File", "w7|Size", "p35|Why", NULL);
		for (size_t i = 0; i < r->nskip; i++) {
			const struct rep_skip *s = &r->skip[i];
			fprintf(f, "<tr><td class=\"num\">%u</td><td>", s->volume);
			location(f, s->path, s->stream);
			fputs("</td>", f);
			size_cell(f, s->size);
			fputs("<td>", f);
			esc(f, s->reason);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}
	fputs("</section>\n", f);
}

int report_write_html(const struct report *r, const struct av *av, FILE *f)
{
	head(r, f);
	verdict_banner(r, av, f);
	findings_section(r, f);
	/* A re-audit sees what changed before the full inventory. */
	if (r->drift && drift_write_html(r->drift, f) < 0)
		return -1;
	detections_section(r, f);
	autoruns_section(r, f);
	os_section(r, f);
	volumes_section(r, f);
	evidence_section(r, av, f);
	not_scanned_section(r, f);
	fputs("<footer class=\"small muted\">Written by kenshu " KENSHU_VERSION " (commit ", f);
	esc(f, kenshu_commit);
	fputs("). The complete, machine-readable report is report.json in the same directory; "
	      "manifest.jsonl lists every file with its SHA-256.</footer>\n</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
