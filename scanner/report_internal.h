/* Helpers the report writers (report_text.c, report_html.c) share.
 * Internal to scanner/, like json_fields.h. */
#ifndef KENSHU_REPORT_INTERNAL_H
#define KENSHU_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* "512 B", "1.5 MiB": one spelling of a size in every human format. */
void report_human_size(uint64_t n, char *out, size_t len);

struct report;
struct av;
struct json_object;
/* report.json's tree (the caller puts it): drift.c reads the scan in
 * memory through the same tree a baseline is read from. */
struct json_object *report_json_object(const struct report *r, const struct av *av);
/* report.json's "findings" array alone. */
struct json_object *report_json_findings(const struct report *r);

#endif
