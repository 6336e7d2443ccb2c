/* Helpers the report writers (report_text.c, report_html.c, drift_write.c) share.
 * Internal to scanner/, like json_fields.h. */
#ifndef KENSHU_REPORT_INTERNAL_H
#define KENSHU_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* "512 B", "1.5 MiB": one spelling of a size in every human format. */
void report_human_size(uint64_t n, char *out, size_t len);

struct report;
struct av;
struct json_object;
/* report.json's tree (the caller puts it): drift.c reads the scan in
 * memory through the same tree a baseline is read from. */
struct json_object *report_json_object(const struct report *r, const struct av *av);

/* report_html.c's UTF-8 reading, shared with drift_write.c so that the text
 * and the page judge a hostile name alike. report_utf8_decode: the length
 * of the sequence at s (n > 0 bytes left) and its code point in *cp, or 1
 * and U+FFFD for a byte that starts no valid, shortest-form sequence.
 * report_unsafe_cp: a C1 control, a noncharacter or a bidirectional
 * formatting character, which must not be shown as it is. */
size_t report_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
bool report_unsafe_cp(uint32_t cp);

/* Opens a report.html table with fixed column widths: each column after
 * cls is "CLASS|Header" (CLASS a width class of the style sheet, or empty),
 * the list ends with NULL. The caller closes with "</tbody>\n</table>\n". */
void report_html_table_head(FILE *f, const char *cls, ...);

#endif
