/* What the files of windows/ share: the separator of items in a note or
 * in evidence (core's strbuf builds them; posture's are capped at
 * POSTURE_TEXT_MAX), and for posture.c, posture_patch.c and
 * posture_hardening.c registry helpers that tell an absent value from a
 * damaged one, and the table tokenizer. Internal to scanner/. */
#ifndef KENSHU_POSTURE_INTERNAL_H
#define KENSHU_POSTURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>

/* Evidence and messages are bounded: a hostile hive or hosts file cannot
 * make a report line megabytes long. */
#define POSTURE_TEXT_MAX 4096

/* "; " before every item but the first. */
static inline void sb_sep(struct strbuf *sb)
{
	if (sb->len)
		strbuf_addstr(sb, "; ");
}

/* Adds a check; takes ownership of message and evidence (either may be
 * NULL: "" is stored). */
void posture_add(struct posture *p, const char *rule, const char *scope, enum posture_state st,
		 char *message, char *evidence);

/* Registry access. cs_key: SYSTEM ControlSet%03u\rel (0 when absent or cs
 * is 0). */
size_t pk_cs(struct hive *sys, uint32_t cs, const char *rel);
/* 1 with *v when the value is a DWORD (or a number in a REG_SZ), 0 when
 * the value is absent, -1 when it is there but not a number. */
int pk_dword(struct hive *h, size_t node, const char *name, uint32_t *v);
/* The value exists (any type). Its data is wiped before it is freed: this
 * is how DefaultPassword is tested without keeping the password. */
bool pk_present(struct hive *h, size_t node, const char *name);
/* The value as text (hive_values: SZ as is, DWORD decimal, MULTI_SZ
 * joined by '\n'), NULL when absent. Caller frees. */
char *pk_text(struct hive *h, size_t node, const char *name);
/* A REG_MULTI_SZ (or SZ) value lists item, compared case-insensitively. */
bool pk_lists(struct hive *h, size_t node, const char *name, const char *item);

/* Table tokenizer: calls fn for each data line (comments and blank lines
 * skipped, CR stripped, fields split at tabs and trimmed of blanks).
 * Returns 0, or -1 with "NAME:LINE: message" in err when a line is too
 * long, holds a NUL byte, has the wrong field count or an empty field, or
 * when fn returns -1 (fn writes its message, without the prefix, in msg). */
typedef int (*pt_row_fn)(void *ctx, char **fields, unsigned line, char *msg, size_t msglen);
int pt_parse(const char *text, size_t len, const char *name, const char *const *field_names,
	     int nfields, pt_row_fn fn, void *ctx, struct ks_err *err);
/* Field parsers: 0 on success, -1 with msg set. */
int pt_os(const char *s, uint32_t *major, uint32_t *minor, char *msg, size_t msglen);
int pt_range(const char *s, const char *what, uint32_t max, uint32_t *lo, uint32_t *hi,
	     char *msg, size_t msglen);
/* A decimal number 0..max (no sign, no blanks, at most 10 digits). */
int pt_uint(const char *s, size_t n, uint32_t max, uint32_t *out);
/* The number of '.' in s: a four-part version has 3 (posture_tables.c). */
int pt_count_dots(const char *s);

/* The folder a Tcpip\Parameters DataBasePath value names, as a path in
 * the volume of the installation whose system root is system_root
 * ("/Windows"), resolved as autostart paths are (%SystemRoot%, %windir%,
 * %SystemDrive%, the drive letter, \??\, case and trailing separators as
 * written); NULL when it lies outside the volume. Caller frees. */
char *posture_hosts_dir(const char *db, const char *system_root);

/* The two halves of posture_evaluate. */
void posture_patch_checks(const struct posture_inputs *in, struct posture *out);
void posture_hardening_checks(const struct posture_inputs *in, struct posture *out);
/* The kiosk part of posture_hardening_checks (posture_kiosk.c). */
void posture_kiosk_checks(const struct posture_inputs *in, struct posture *out);

/* What posture_hardening.c (which defines them) and posture_kiosk.c both
 * use. SYSTEM checks need the hive and a control set, SOFTWARE checks the
 * hive: without them these add an "unknown" check and return false. */
bool ph_system_ok(const struct posture_inputs *in, const char *rule, const char *scope, struct posture *out);
bool ph_software_ok(const struct posture_inputs *in, const char *rule, struct posture *out);
/* A service's Start: 1 with *v, 0 when the value is absent, -1 when the
 * service key is absent (*v untouched), -2 when Start is not a number. */
int ph_service_start(const struct posture_inputs *in, const char *name, uint32_t *v);
/* "; " and the evidence of what ph_service_start() returned. */
void ph_service_ev(struct strbuf *b, const struct posture_inputs *in, const char *name, int rc, uint32_t v);

/* Calendar day of t (UTC). */
void posture_day(time_t t, int *y, int *m, int *d);

#endif
