/* What the files of this stage share; internal to it. */
#ifndef KENSHU_OUTPUT_INTERNAL_H
#define KENSHU_OUTPUT_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <openssl/types.h>

#include <kenshu/core.h>
#include <kenshu/output.h>
#include <kenshu/version.h>

/* json-c returns NULL (or -1) when an allocation fails and takes no
 * allocator, so out of memory would surface as a NULL object added to a
 * report (an assertion in json-c, a half-built report.json). Every call
 * the writers make goes through these checks instead: out of memory ends
 * kenshu as an allocation of its own does (ks_oom: one line, temporary
 * files removed, exit 2). A macro does not expand inside itself, so each
 * name below still calls json-c's function. */
static inline json_object *json_checked(json_object *o)
{
	if (!o)
		ks_oom(0);
	return o;
}

static inline void json_added(int rc)
{
	if (rc < 0)
		ks_oom(0);
}

static inline const char *json_text_checked(const char *s)
{
	if (!s)
		ks_oom(0);
	return s;
}

#define json_object_new_object() json_checked(json_object_new_object())
#define json_object_new_array() json_checked(json_object_new_array())
#define json_object_new_string(s) json_checked(json_object_new_string(s))
#define json_object_new_uint64(v) json_checked(json_object_new_uint64(v))
#define json_object_new_boolean(v) json_checked(json_object_new_boolean(v))
#define json_object_new_double(v) json_checked(json_object_new_double(v))
#define json_object_new_double_s(v, s) json_checked(json_object_new_double_s(v, s))
#define json_object_object_add(o, k, v) json_added(json_object_object_add(o, k, v))
#define json_object_array_add(a, v) json_added(json_object_array_add(a, v))
#define json_object_to_json_string_ext(o, fl) json_text_checked(json_object_to_json_string_ext(o, fl))

/* Helpers the report writers (report_text.c, report_html.c, drift_write.c) share.
 * Internal to scanner/, like json_fields.h. */

/* The files of a bundle's directory, bundle.json (the marker) last. */
extern const char *const bundle_owned[];

/* "512 B", "1.5 MiB": one spelling of a size in every human format. */
void report_human_size(uint64_t n, char *out, size_t len);
/* The noun's form for a count: "1 profile", "2 profiles", "0 entries". */
static inline const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
/* "s" or "" after a regular noun. */
static inline const char *pl_s(uint64_t n)
{
	return n == 1 ? "" : "s";
}

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

/* The json-c field helpers report.json and bundle.json share: one
 * spelling of a string, a count, a flag, and of the tool record. Internal
 * to scanner/, like le.h. */

static inline void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* A string that may be absent: null in the JSON. */
static inline void add_opt(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static inline void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static inline void add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

/* A duration in seconds: millisecond precision is all it means here. */
static inline void add_seconds(json_object *o, const char *k, double v)
{
	char text[32];

	snprintf(text, sizeof(text), "%.3f", v);
	json_object_object_add(o, k, json_object_new_double_s(v, text));
}

/* "tool": which kenshu wrote the file (name, version, git commit). */
static inline void add_tool(json_object *root)
{
	json_object *o = json_object_new_object();

	add_str(o, "name", "kenshu");
	add_str(o, "version", KENSHU_VERSION);
	add_str(o, "commit", kenshu_commit);
	json_object_object_add(root, "tool", o);
}

/* "case": the --meta entries, an object in key order ({} when none, so
 * that readers need not test for it). */
static inline void add_case(json_object *root, const struct case_meta *m)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < m->n; i++)
		add_str(o, m->v[i].key, m->v[i].value);
	json_object_object_add(root, "case", o);
}

/* report.html's pieces (report_html_parts.c): each writes s (NULL as
 * nothing) escaped by report_html_escape(). */
void html_esc(FILE *f, const char *s);
void html_esc_or(FILE *f, const char *s, const char *unknown);   /* unknown when s is NULL or "" */
void html_code(FILE *f, const char *s);        /* as <code> */
void html_pre_block(FILE *f, const char *s);   /* as <pre>, cut at HTML_MAX_CODE */
void html_css_string(FILE *f, const char *s, size_t max_chars);   /* inside a CSS string */
void html_size_cell(FILE *f, uint64_t n);      /* a <td> with the size in words and bytes */
void html_grouped_number(uint64_t n, char *out, size_t len); /* digits in groups of three (48 bytes hold any) */
void html_location(FILE *f, const char *path, const char *stream);
void html_kv(FILE *f, const char *key, const char *val);          /* a two-cell table row */
void html_hash_row(FILE *f, const char *key, const char *hex);

/* Inline code (a WMI script, a decoded PowerShell command) is shown whole
 * up to this; report.json always has all of it. */
#define HTML_MAX_CODE (64 * 1024)

/* report.html's sections about installations, volumes, evidence and what
 * was not fully scanned (report_html_sections.c). */
void html_os_section(const struct report *r, FILE *f);
void html_volumes_section(const struct report *r, FILE *f);
/* report_html_accounts.c: the SAM's local accounts, when there is a SAM. */
void html_accounts_section(const struct report *r, FILE *f);
/* report_html_trust.c */
void html_sig_words(FILE *f, const struct sig_result *s);   /* "<br>signature ..." or nothing */
void html_signatures_section(const struct report *r, FILE *f);
void html_evidence_section(const struct report *r, FILE *f);
void html_not_scanned_section(const struct report *r, FILE *f);

/* report.sig (sign.c writes it, sign_verify.c checks it): the pieces both
 * sides must spell alike. */

#define SIGN_MAGIC "kenshu-signature-v1"   /* its first line */
#define SIG_BYTES 64
#define SIG_B64_LEN 88              /* base64 of 64 bytes, "==" padded */

struct sign_key {
	EVP_PKEY *pkey;
	bool private_key;
	char id[SIGN_KEY_ID_LEN + 1];
};

/* 64 lower-case hex digits, exactly n bytes of s. */
bool sign_is_hex64(const char *s, size_t n);
/* YYYY-MM-DDTHH:MM:SSZ, digits where digits belong. */
bool sign_is_utc_time(const char *s, size_t n);
/* The padded base64 of n bytes (caller frees): one spelling of a signature. */
char *sign_b64(const unsigned char *sig, size_t n);

/* report_json_trust.c: a file's "authenticode" object (NULL for NULL),
 * and report.json's "signatures" record. */
struct sig_result;
struct rep_trust;
json_object *sig_json(const struct sig_result *s);
json_object *trust_json(const struct rep_trust *t);

/* report_json_defender.c: os[].defender (exclusions, policy, quarantine);
 * d NULL (a report without evidence) writes null. */
struct os_defender;
void defender_json(json_object *os, const struct os_defender *d);
/* report_defender.c: the "Windows Defender" section of report.txt and
 * report.html (nothing when no installation has a trace). */
void report_defender_text(const struct report *r, FILE *f);
void report_defender_html(const struct report *r, FILE *f);

/* report_json_yara.c: report.json's "yara" object. */
struct rep_yara;
json_object *yara_json(const struct rep_yara *y);
/* report_yara.c: the same in report.txt and report.html (nothing when
 * YARA was not used). */
void report_yara_text(const struct report *r, FILE *f);
void report_yara_html(const struct report *r, FILE *f);

/* report_json_eventlog.c: os[]'s "event_logs", "events" and their
 * summary; report_text_eventlog.c / report_html_eventlog.c: the
 * "Event-log evidence" section (nothing when no log was found). */
struct os_evidence;
struct ev_event;
struct ev_log;
void eventlog_json(json_object *os, const struct os_evidence *ev);
/* Events of one kind shown in report.txt/html; the rest are counted. */
#define REPORT_EVENTS_SHOWN 20
/* One line on an event / a log's state (allocated; controls blanked),
 * and an event's time or "(time unknown)". */
char *eventlog_summary(const struct ev_event *e);
char *eventlog_state(const struct ev_log *l);
void eventlog_when(const struct ev_event *e, char *buf, size_t n);
void report_eventlog_text(const struct report *r, FILE *f);
void report_eventlog_html(const struct report *r, FILE *f);

#endif
