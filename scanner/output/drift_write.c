/* drift_write: the "Changes since the baseline" section of report.txt (and
 * `kenshu diff` on stdout) and of report.html.
 *
 * Both sides of a comparison are hostile: the new one is read from an
 * image, the old one from a report directory anyone could have edited.
 * The text writer shows every such string through text(), which turns
 * whatever a terminal or a line-based reader would act on into '?': a
 * line stays one line and no escape sequence reaches a terminal. The page
 * writer sends every one through report_html_escape().
 *
 * The sections come most decisive first (rule outcomes, detections,
 * autostart entries, Windows, volumes) and files last: an image update
 * can change thousands of files, and the rest must not drown in them. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

static bool reuse_known(const struct drift *d)
{
	return d->reuse || d->files_reused || d->files_scanned || d->reuse_note;
}

/* --- Text ------------------------------------------------------------------ */

/* A string from either side, made safe for a text line: control
 * characters (C0, DEL, C1), bidirectional formatting characters,
 * noncharacters and bytes that are not UTF-8 each become one '?'. Other
 * characters (a Japanese name) stay as they are. NULL writes absent. */
static void text(FILE *f, const char *s, const char *absent)
{
	const unsigned char *p, *end;

	if (!s) {
		fputs(absent, f);
		return;
	}
	p = (const unsigned char *)s;
	end = p + strlen(s);
	while (p < end) {
		uint32_t cp;
		size_t len = report_utf8_decode(p, (size_t)(end - p), &cp);
		if (cp < 0x20 || cp == 0x7F || cp == 0xFFFD || report_unsafe_cp(cp))
			fputc('?', f);
		else
			fwrite(p, 1, len, f);
		p += len;
	}
}

/* "  + added    ": the mark and word that begin every item line; the
 * continuation lines (changed fields) are indented to match. */
#define TEXT_INDENT "             "

static void mark(FILE *f, enum drift_change c, const char *const words[3])
{
	static const char marks[] = "+-~";
	unsigned i = (unsigned)c < 3 ? (unsigned)c : DRIFT_CHANGED;

	fprintf(f, "  %c %-8s ", marks[i], words[i]);
}

static const char *const change_words[3] = { "added", "removed", "changed" };
static const char *const presence_words[3] = { "new", "gone", "changed" };

static void text_side(FILE *f, const char *label, const struct drift_side *s)
{
	fprintf(f, "%-12s", label);
	text(f, s->dir, "this scan");
	fputs("\n            image sha256 ", f);   /* under the label's value */
	text(f, s->image_sha256, "?");
	fputs(", scan started ", f);
	text(f, s->started, "?");
	fputs(", verdict ", f);
	text(f, s->verdict, "?");
	fputs(", profile ", f);
	text(f, s->profile, "?");
	/* Which baseline, byte for byte: what a signature over it would cover. */
	if (s->report_sha256[0])
		fprintf(f, "\n            report.json sha256 %s, manifest.jsonl sha256 %s", s->report_sha256,
			s->manifest_sha256);
	fputc('\n', f);
}

static void text_fields(FILE *f, const struct drift_field *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs(TEXT_INDENT, f);
		text(f, x[i].name, "?");
		fputs(": ", f);
		text(f, x[i].old_value, "(none)");
		fputs(" -> ", f);
		text(f, x[i].new_value, "(none)");
		fputc('\n', f);
	}
}

static void text_location(FILE *f, unsigned vol, const char *path, const char *stream)
{
	fprintf(f, "vol %u ", vol);
	if (!path || !path[0]) {
		fputs("(whole volume)", f);
		return;
	}
	text(f, path, "");
	if (stream && stream[0]) {
		fputc(':', f);
		text(f, stream, "");
	}
}

static void text_summary(const struct drift *d, FILE *f)
{
	struct drift_counts c;

	drift_count(d, &c);

	fprintf(f, "Summary:    files %zu added, %zu removed, %zu changed, %llu unchanged; "
		"autostart entries %zu added, %zu removed, %zu changed; detections %zu new, %zu gone; "
		"rule outcomes %zu new, %zu gone, %zu changed; Windows %zu added, %zu removed, %zu changed; "
		"volumes %zu added, %zu removed, %zu changed\n",
		c.files[0], c.files[1], c.files[2], (unsigned long long)d->files_unchanged, c.autoruns[0], c.autoruns[1], c.autoruns[2],
		c.det[0], c.det[1], c.findings[0], c.findings[1], c.findings[2], c.os[0], c.os[1], c.os[2], c.vol[0], c.vol[1],
		c.vol[2]);
}

static void text_reuse(const struct drift *d, FILE *f)
{
	if (d->reuse_note) {
		fputs("Reuse:      none (", f);
		text(f, d->reuse_note, "");
		fprintf(f, "); %llu file%s scanned\n", (unsigned long long)d->files_scanned, pl_s(d->files_scanned));
	} else {
		fprintf(f, "Reused:     %llu file%s scanned clean in the baseline with the same engine %s "
			"not rescanned; %llu scanned\n", (unsigned long long)d->files_reused, pl_s(d->files_reused),
			plural(d->files_reused, "was", "were"), (unsigned long long)d->files_scanned);
	}
}

/* A rule's outcome on one side: "fail", "review waived by 'w'", "none". */
static void text_outcome(FILE *f, const char *severity, const char *waiver)
{
	text(f, severity, "none");
	if (waiver) {
		fputs(" waived by '", f);
		text(f, waiver, "");
		fputc('\'', f);
	}
}

static void text_findings(const struct drift *d, FILE *f)
{
	fprintf(f, "\nRule outcomes that changed (%zu):\n", d->nfindings);
	for (size_t i = 0; i < d->nfindings; i++) {
		const struct drift_finding *x = &d->findings[i];
		mark(f, x->change, presence_words);
		text(f, x->rule, "?");
		fputs("  ", f);
		text_outcome(f, x->old_severity, x->old_waiver);
		fputs(" -> ", f);
		text_outcome(f, x->new_severity, x->new_waiver);
		if (x->volume)
			fprintf(f, "  vol %u", x->volume);
		if (x->path) {
			fputs("  ", f);
			text(f, x->path, "");
		}
		if (x->value) {
			fputs("  value ", f);
			text(f, x->value, "");
		}
		if (x->message) {
			fputs(": ", f);
			text(f, x->message, "");
		}
		fputc('\n', f);
	}
}

static void text_detections(const struct drift *d, FILE *f)
{
	fprintf(f, "\nDetections new or gone (%zu):\n", d->ndet);
	for (size_t i = 0; i < d->ndet; i++) {
		const struct drift_detection *x = &d->det[i];
		mark(f, x->change, presence_words);
		text_location(f, x->volume, x->path, x->stream);
		fputs("  ", f);
		text(f, x->signature, "?");
		fputs("  sha256 ", f);
		text(f, x->sha256 && x->sha256[0] ? x->sha256 : NULL, "(not read)");
		fputc('\n', f);
	}
}

static void text_autoruns(const struct drift *d, FILE *f)
{
	fprintf(f, "\nAutostart entries that differ (%zu):\n", d->nautoruns);
	for (size_t i = 0; i < d->nautoruns; i++) {
		const struct drift_autorun *x = &d->autoruns[i];
		mark(f, x->change, change_words);
		fprintf(f, "vol %u ", x->volume);
		text(f, x->category, "?");
		fputc(' ', f);
		text(f, x->location, "?");
		fputs("  ", f);
		if (x->user) {
			text(f, x->user, "");
			fputs(": ", f);
		}
		text(f, x->name && x->name[0] ? x->name : NULL, "(default)");
		fputs(" = ", f);
		text(f, x->command, "(none)");
		fputc('\n', f);
		text_fields(f, x->f, x->nf);
	}
}

static void text_os(const struct drift *d, FILE *f)
{
	fprintf(f, "\nWindows installations that differ (%zu):\n", d->nos);
	for (size_t i = 0; i < d->nos; i++) {
		const struct drift_os *x = &d->os[i];
		mark(f, x->change, change_words);
		fprintf(f, "vol %u ", x->volume);
		text(f, x->system_root, "?");
		fputs("  ", f);
		text(f, x->product, "(no product name)");
		fputc('\n', f);
		text_fields(f, x->f, x->nf);
	}
}

static void text_volumes(const struct drift *d, FILE *f)
{
	fprintf(f, "\nVolumes that differ (%zu):\n", d->nvol);
	for (size_t i = 0; i < d->nvol; i++) {
		const struct drift_volume *x = &d->vol[i];
		mark(f, x->change, change_words);
		fprintf(f, "vol %u ", x->index);
		text(f, x->filesystem, "?");
		fputs(" \"", f);
		text(f, x->label, "");
		fputs("\"\n", f);
		text_fields(f, x->f, x->nf);
	}
}

/* One side of a file: "sha256 H, N bytes[, status S]"; a status is shown
 * only when it is not the plain "scanned". */
static void text_file_side(FILE *f, const char *sha, uint64_t size, const char *status, bool dir)
{
	if (dir) {
		fputs("directory", f);
	} else {
		fputs("sha256 ", f);
		text(f, sha[0] ? sha : NULL, "(not read)");
		fprintf(f, ", %llu %s", (unsigned long long)size, plural(size, "byte", "bytes"));
	}
	if (status && strcmp(status, "scanned") != 0) {
		fputs(", ", f);
		text(f, status, "");
	}
}

static void text_files(const struct drift *d, FILE *f)
{
	fprintf(f, "\nFiles that differ (%zu):\n", d->nfiles);
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct drift_file *x = &d->files[i];
		mark(f, x->change, change_words);
		text_location(f, x->volume, x->path, x->stream);
		fputs("  ", f);
		if (x->change == DRIFT_ADDED) {
			text_file_side(f, x->new_sha256, x->new_size, x->new_status, x->directory);
		} else if (x->change == DRIFT_REMOVED) {
			text_file_side(f, x->old_sha256, x->old_size, x->old_status, x->directory);
		} else {
			/* Only what differs gets an arrow. */
			fputs("sha256 ", f);
			text(f, x->old_sha256[0] ? x->old_sha256 : NULL, "(not read)");
			if (strcmp(x->old_sha256, x->new_sha256) != 0) {
				fputs(" -> ", f);
				text(f, x->new_sha256[0] ? x->new_sha256 : NULL, "(not read)");
			}
			if (x->old_size != x->new_size)
				fprintf(f, ", %llu -> %llu %s", (unsigned long long)x->old_size,
					(unsigned long long)x->new_size, plural(x->new_size, "byte", "bytes"));
			else
				fprintf(f, ", %llu %s", (unsigned long long)x->new_size, plural(x->new_size, "byte", "bytes"));
			if ((x->old_status || x->new_status) &&
			    (!x->old_status || !x->new_status || strcmp(x->old_status, x->new_status) != 0)) {
				fputs(", status ", f);
				text(f, x->old_status, "(none)");
				fputs(" -> ", f);
				text(f, x->new_status, "(none)");
			}
		}
		fputc('\n', f);
	}
}

int drift_write_text(const struct drift *d, FILE *f)
{
	fputs("Changes since the baseline\n", f);
	text_side(f, "Baseline:", &d->old);
	text_side(f, "Now:", &d->new);
	if (drift_empty(d))
		fputs("No changes since the baseline.\n", f);
	else
		text_summary(d, f);
	if (reuse_known(d))
		text_reuse(d, f);
	if (d->nfindings)
		text_findings(d, f);
	if (d->ndet)
		text_detections(d, f);
	if (d->nautoruns)
		text_autoruns(d, f);
	if (d->nos)
		text_os(d, f);
	if (d->nvol)
		text_volumes(d, f);
	if (d->nfiles)
		text_files(d, f);
	if (ferror(f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* --- HTML ------------------------------------------------------------------ */

static void esc_code(FILE *f, const char *s, const char *absent)
{
	if (!s || !s[0]) {
		html_esc_or(f, s, absent);
		return;
	}
	fputs("<code>", f);
	report_html_escape(f, s, strlen(s));
	fputs("</code>", f);
}

static void mono(FILE *f, const char *s, const char *absent)
{
	if (!s || !s[0]) {
		html_esc_or(f, s, absent);
		return;
	}
	fputs("<span class=\"mono\">", f);
	report_html_escape(f, s, strlen(s));
	fputs("</span>", f);
}

/* The change as the first cell of a row, coloured by its kind. */
static void change_cell(FILE *f, enum drift_change c, const char *const words[3])
{
	static const char *const cls[3] = { "d-added", "d-removed", "d-changed" };
	unsigned i = (unsigned)c < 3 ? (unsigned)c : DRIFT_CHANGED;

	fprintf(f, "<tr><td class=\"sev %s\">%s</td>", cls[i], words[i]);
}

/* The changed properties of an entry, one "name: old → new" a line. */
static void html_fields(FILE *f, const struct drift_field *x, size_t n)
{
	fputs("<td class=\"small\">", f);
	if (!n)
		fputs("<span class=\"muted\">—</span>", f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? "<br><span class=\"lbl\">" : "<span class=\"lbl\">", f);
		html_esc_or(f, x[i].name, "?");
		fputs("</span> ", f);
		esc_code(f, x[i].old_value, "(none)");
		fputs(" → ", f);
		esc_code(f, x[i].new_value, "(none)");
	}
	fputs("</td>", f);
}

static void html_side(FILE *f, const char *label, const struct drift_side *s)
{
	fprintf(f, "<tr><th>%s</th><td>", label);
	if (s->dir)
		esc_code(f, s->dir, "");
	else
		fputs("this scan", f);
	fputs("<br><span class=\"lbl\">image SHA-256</span> ", f);
	mono(f, s->image_sha256, "unknown");
	fputs("<br><span class=\"lbl\">scan started</span> ", f);
	html_esc_or(f, s->started, "unknown");
	fputs(", <span class=\"lbl\">verdict</span> ", f);
	html_esc_or(f, s->verdict, "unknown");
	fputs(", <span class=\"lbl\">profile</span> ", f);
	html_esc_or(f, s->profile, "unknown");
	if (s->report_sha256[0]) {
		fputs("<br><span class=\"lbl\">report.json SHA-256</span> ", f);
		mono(f, s->report_sha256, "unknown");
		fputs("<br><span class=\"lbl\">manifest.jsonl SHA-256</span> ", f);
		mono(f, s->manifest_sha256, "unknown");
	}
	fputs("</td></tr>\n", f);
}

static void html_summary(const struct drift *d, FILE *f)
{
	struct drift_counts c;

	drift_count(d, &c);

	fprintf(f, "<tr><th>Rule outcomes</th><td>%zu new, %zu gone, %zu changed</td></tr>\n",
		c.findings[0], c.findings[1], c.findings[2]);
	fprintf(f, "<tr><th>Malware detections</th><td>%zu new, %zu gone</td></tr>\n", c.det[0], c.det[1]);
	fprintf(f, "<tr><th>Autostart entries</th><td>%zu added, %zu removed, %zu changed</td></tr>\n",
		c.autoruns[0], c.autoruns[1], c.autoruns[2]);
	fprintf(f, "<tr><th>Windows installations</th><td>%zu added, %zu removed, %zu changed</td></tr>\n",
		c.os[0], c.os[1], c.os[2]);
	fprintf(f, "<tr><th>Volumes</th><td>%zu added, %zu removed, %zu changed</td></tr>\n", c.vol[0],
		c.vol[1], c.vol[2]);
	fprintf(f, "<tr><th>Files</th><td>%zu added, %zu removed, %zu changed, %llu unchanged</td></tr>\n",
		c.files[0], c.files[1], c.files[2], (unsigned long long)d->files_unchanged);
}

static void html_reuse(const struct drift *d, FILE *f)
{
	fputs("<tr><th>Reuse of the baseline's scan</th><td>", f);
	if (d->reuse_note) {
		fputs("none: ", f);
		html_esc_or(f, d->reuse_note, "");
		fprintf(f, "; %llu file%s scanned", (unsigned long long)d->files_scanned, pl_s(d->files_scanned));
	} else {
		fprintf(f, "%llu file%s scanned clean in the baseline with the same engine %s not "
			"rescanned; %llu scanned", (unsigned long long)d->files_reused, pl_s(d->files_reused),
			plural(d->files_reused, "was", "were"), (unsigned long long)d->files_scanned);
	}
	fputs("</td></tr>\n", f);
}

static void html_outcome(FILE *f, const char *severity, const char *waiver)
{
	fputs("<td>", f);
	html_esc_or(f, severity, "none");
	if (waiver) {
		fputs("<br><span class=\"muted\">waived by</span> ", f);
		esc_code(f, waiver, "");
	}
	fputs("</td>", f);
}

static void html_findings(const struct drift *d, FILE *f)
{
	fprintf(f, "<h3>Rule outcomes that changed (%zu)</h3>\n", d->nfindings);
	report_html_table_head(f, NULL, "w6|Change", "w10|Rule", "w7|Before", "w7|Now", "|What was found",
			       "p30|Evidence", NULL);
	for (size_t i = 0; i < d->nfindings; i++) {
		const struct drift_finding *x = &d->findings[i];
		change_cell(f, x->change, presence_words);
		fputs("<td class=\"rule\">", f);
		html_esc_or(f, x->rule, "?");
		fputs("</td>", f);
		html_outcome(f, x->old_severity, x->old_waiver);
		html_outcome(f, x->new_severity, x->new_waiver);
		fputs("<td>", f);
		html_esc_or(f, x->message, "—");
		fputs("</td><td class=\"small\">", f);
		if (x->volume)
			fprintf(f, "<span class=\"lbl\">volume</span> %u<br>", x->volume);
		if (x->path) {
			fputs("<span class=\"lbl\">path </span>", f);
			esc_code(f, x->path, "");
			fputs("<br>", f);
		}
		if (x->value) {
			fputs("<span class=\"lbl\">value </span>", f);
			esc_code(f, x->value, "");
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void html_detections(const struct drift *d, FILE *f)
{
	fprintf(f, "<h3>Malware detections new or gone (%zu)</h3>\n", d->ndet);
	report_html_table_head(f, NULL, "w6|Change", "w4|Volume", "|File", "p25|Signature", "w14|SHA-256",
			       NULL);
	for (size_t i = 0; i < d->ndet; i++) {
		const struct drift_detection *x = &d->det[i];
		change_cell(f, x->change, presence_words);
		fprintf(f, "<td class=\"num\">%u</td><td>", x->volume);
		html_location(f, x->path, x->stream);
		fputs("</td><td><strong>", f);
		html_esc_or(f, x->signature, "?");
		fputs("</strong></td><td class=\"mono small\">", f);
		html_esc_or(f, x->sha256, "not read");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void html_autoruns(const struct drift *d, FILE *f)
{
	fprintf(f, "<h3>Autostart entries that differ (%zu)</h3>\n", d->nautoruns);
	report_html_table_head(f, NULL, "w6|Change", "w4|Volume", "p40|Entry", "|Command", "p30|What changed",
			       NULL);
	for (size_t i = 0; i < d->nautoruns; i++) {
		const struct drift_autorun *x = &d->autoruns[i];
		change_cell(f, x->change, change_words);
		fprintf(f, "<td class=\"num\">%u</td><td>", x->volume);
		html_esc_or(f, x->category, "?");
		fputs("<br>", f);
		esc_code(f, x->location, "?");
		fputs("<br><span class=\"lbl\">name</span> ", f);
		esc_code(f, x->name, "(default)");
		fputs("<br><span class=\"lbl\">user</span> ", f);
		html_esc_or(f, x->user, "all users");
		fputs("</td><td>", f);
		esc_code(f, x->command, "none");
		if (x->flags && x->flags[0]) {
			fputs("<br><span class=\"lbl\">flags</span> ", f);
			html_esc_or(f, x->flags, "");
		}
		fputs("</td>", f);
		html_fields(f, x->f, x->nf);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void html_os(const struct drift *d, FILE *f)
{
	fprintf(f, "<h3>Windows installations that differ (%zu)</h3>\n", d->nos);
	report_html_table_head(f, NULL, "w6|Change", "w4|Volume", "p40|Installation", "|What changed", NULL);
	for (size_t i = 0; i < d->nos; i++) {
		const struct drift_os *x = &d->os[i];
		change_cell(f, x->change, change_words);
		fprintf(f, "<td class=\"num\">%u</td><td>", x->volume);
		esc_code(f, x->system_root, "?");
		fputs("<br>", f);
		html_esc_or(f, x->product, "(no product name)");
		fputs("</td>", f);
		html_fields(f, x->f, x->nf);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void html_volumes(const struct drift *d, FILE *f)
{
	fprintf(f, "<h3>Volumes that differ (%zu)</h3>\n", d->nvol);
	report_html_table_head(f, NULL, "w6|Change", "w4|Volume", "p40|File system and label", "|What changed",
			       NULL);
	for (size_t i = 0; i < d->nvol; i++) {
		const struct drift_volume *x = &d->vol[i];
		change_cell(f, x->change, change_words);
		fprintf(f, "<td class=\"num\">%u</td><td>", x->index);
		html_esc_or(f, x->filesystem, "unknown");
		fputs(" <span class=\"lbl\">label</span> ", f);
		html_esc_or(f, x->label, "none");
		fputs("</td>", f);
		html_fields(f, x->f, x->nf);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void html_file_side(FILE *f, const char *sha, uint64_t size, const char *status, bool dir,
			   bool present)
{
	char h[32];

	fputs("<td class=\"small\">", f);
	if (!present) {
		fputs("<span class=\"muted\">—</span></td>", f);
		return;
	}
	if (dir) {
		fputs("directory", f);
	} else {
		mono(f, sha, "not read");
		report_human_size(size, h, sizeof(h));
		fprintf(f, "<br>%s <span class=\"muted\">(%llu %s)</span>", h, (unsigned long long)size,
			plural(size, "byte", "bytes"));
	}
	if (status) {
		fputs("<br><span class=\"lbl\">status</span> ", f);
		html_esc_or(f, status, "");
	}
	fputs("</td>", f);
}

static void html_files(const struct drift *d, FILE *f)
{
	fprintf(f, "<h3>Files that differ (%zu)</h3>\n", d->nfiles);
	report_html_table_head(f, NULL, "w6|Change", "w4|Volume", "|File", "p25|Before", "p25|Now", NULL);
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct drift_file *x = &d->files[i];
		change_cell(f, x->change, change_words);
		fprintf(f, "<td class=\"num\">%u</td><td>", x->volume);
		html_location(f, x->path, x->stream);
		fputs("</td>", f);
		html_file_side(f, x->old_sha256, x->old_size, x->old_status, x->directory,
			       x->change != DRIFT_ADDED);
		html_file_side(f, x->new_sha256, x->new_size, x->new_status, x->directory,
			       x->change != DRIFT_REMOVED);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

int drift_write_html(const struct drift *d, FILE *f)
{
	fputs("<section id=\"drift\" class=\"page-break\">\n<h2>Changes since the baseline</h2>\n", f);
	fputs("<p class=\"small\">What differs between an earlier report of this image (the baseline, "
	      "accepted before) and now. The baseline is read from its report directory as it is; "
	      "report.json has every change in machine-readable form.</p>\n", f);
	fputs("<table class=\"fixed kv\">\n", f);
	html_side(f, "Baseline", &d->old);
	html_side(f, "Now", &d->new);
	if (!drift_empty(d))
		html_summary(d, f);
	if (reuse_known(d))
		html_reuse(d, f);
	fputs("</table>\n", f);
	if (drift_empty(d))
		fputs("<p><strong>No changes since the baseline.</strong></p>\n", f);
	if (d->nfindings)
		html_findings(d, f);
	if (d->ndet)
		html_detections(d, f);
	if (d->nautoruns)
		html_autoruns(d, f);
	if (d->nos)
		html_os(d, f);
	if (d->nvol)
		html_volumes(d, f);
	if (d->nfiles)
		html_files(d, f);
	fputs("</section>\n", f);
	if (ferror(f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
