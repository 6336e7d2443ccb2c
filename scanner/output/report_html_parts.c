/* report.html's escaping and the small pieces every section is built of:
 * one escaper for everything that comes from the image. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kenshu/version.h>
#include <kenshu/artifacts.h>
#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

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
void html_css_string(FILE *f, const char *s, size_t max_chars)
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
void html_esc(FILE *f, const char *s)
{
	if (s)
		report_html_escape(f, s, strlen(s));
}

/* s, or a grey placeholder when it is unknown. */
void html_esc_or(FILE *f, const char *s, const char *unknown)
{
	if (s && *s)
		html_esc(f, s);
	else
		fprintf(f, "<span class=\"muted\">%s</span>", unknown);
}

void html_code(FILE *f, const char *s)
{
	fputs("<code>", f);
	html_esc(f, s);
	fputs("</code>", f);
}

/* A multi-line text (a script, a decoded command) in a <pre>: line breaks
 * and tabs are kept as layout, every other character is escaped. */
void html_pre_block(FILE *f, const char *s)
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

/* 1099511627776 as "1 099 511 627 776", the groups apart by THIN SPACE
 * (U+2009): readable, and a narrow cell wraps between groups instead of
 * letting the number run into the next one. */
void html_grouped_number(uint64_t n, char *out, size_t len)
{
	char d[24];
	int nd = snprintf(d, sizeof(d), "%llu", (unsigned long long)n);
	size_t o = 0;

	for (int i = 0; i < nd && o + 4 < len; i++) {
		if (i && (nd - i) % 3 == 0) {
			memcpy(out + o, "\xE2\x80\x89", 3);
			o += 3;
		}
		out[o++] = d[i];
	}
	out[o] = '\0';
}

void html_size_cell(FILE *f, uint64_t n)
{
	char h[32], g[48];

	report_human_size(n, h, sizeof(h));
	html_grouped_number(n, g, sizeof(g));
	fprintf(f, "<td class=\"num\">%s<br><span class=\"muted bytes\">%s %s</span></td>", h, g,
		plural(n, "byte", "bytes"));
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
void html_location(FILE *f, const char *path, const char *stream)
{
	if (!path || !path[0]) {
		fputs("<span class=\"muted\">(the whole volume)</span>", f);
		return;
	}
	fputs("<code>", f);
	html_esc(f, path);
	fputs("</code>", f);
	if (stream && stream[0]) {
		fputs(" <span class=\"muted\">stream</span> <code>", f);
		html_esc(f, stream);
		fputs("</code>", f);
	}
}

/* Sizes for people, the same in the text, the page and the drift section. */
void report_human_size(uint64_t n, char *out, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%llu B", (unsigned long long)n);
	else
		snprintf(out, len, "%.1f %s", v, units[u]);
}
