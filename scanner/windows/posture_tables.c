/* The posture data tables, profiles/tables/ms17-010.tsv and eol.tsv: each
 * row checked field by field (pt_parse() in posture.c splits the lines),
 * for posture_patch.c to judge by. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>
#include "windows_internal.h"
#include <kenshu/banned.h>

#define MAX_EVIDENCE_TOKENS 64

/* ---- ms17-010.tsv -------------------------------------------------------- */

static const char *const patch_fields[] = { "os", "builds", "file", "branch", "fixed", "evidence", "label" };

static int valid_file_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= sizeof(((struct patch_row *)0)->file))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return strcmp(s, ".") && strcmp(s, "..");
}

/* KB4012212 | RollupFix>=14393.953 | UBR>=953 */
static int valid_token(const char *t)
{
	uint32_t v;
	const char *dot;

	if (!strncmp(t, "KB", 2))
		return strlen(t + 2) >= 4 && strlen(t + 2) <= 8 && pt_uint(t + 2, strlen(t + 2), UINT32_MAX, &v) == 0;
	if (!strncmp(t, "UBR>=", 5))
		return pt_uint(t + 5, strlen(t + 5), UINT32_MAX, &v) == 0;
	if (!strncmp(t, "RollupFix>=", 11)) {
		dot = strchr(t + 11, '.');
		return dot && pt_uint(t + 11, (size_t)(dot - t - 11), 65535, &v) == 0 &&
		       pt_uint(dot + 1, strlen(dot + 1), 65535, &v) == 0;
	}
	return 0;
}

int pt_count_dots(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '.';
	return n;
}

static int patch_row(void *ctx, char **f, unsigned line, char *msg, size_t msglen)
{
	struct patch_table *t = ctx;
	struct patch_row r;
	uint32_t lo, hi;

	memset(&r, 0, sizeof(r));
	r.line = line;
	if (pt_os(f[0], &r.major, &r.minor, msg, msglen) < 0 ||
	    pt_range(f[1], "builds", UINT32_MAX, &r.build_lo, &r.build_hi, msg, msglen) < 0 ||
	    pt_range(f[3], "branch", 65535, &lo, &hi, msg, msglen) < 0)
		return -1;
	r.branch_lo = (uint16_t)lo;
	r.branch_hi = (uint16_t)hi;
	if (!strcmp(f[4], "none")) {
		r.fix = PATCH_NO_FIX;
	} else if (!strcmp(f[4], "not-affected")) {
		r.fix = PATCH_NOT_AFFECTED;
	} else if (pt_count_dots(f[4]) == 3 && pe_version_parse(f[4], r.fixed) == 0) {
		r.fix = PATCH_FIXED;
	} else {
		snprintf(msg, msglen, "fixed '%s' is not a four-part version, none or not-affected", f[4]);
		return -1;
	}
	if (!strcmp(f[2], "-")) {
		if (r.fix != PATCH_NOT_AFFECTED) {
			snprintf(msg, msglen, "file '-' only goes with fixed 'not-affected'");
			return -1;
		}
	} else if (!valid_file_name(f[2])) {
		snprintf(msg, msglen, "file '%.64s' is not a file name (letters, digits, . _ -; at most 31)", f[2]);
		return -1;
	} else {
		memcpy(r.file, f[2], strlen(f[2]) + 1);
	}
	if (strcmp(f[5], "-") != 0) {
		for (char *tok = f[5]; tok;) {
			char *comma = strchr(tok, ',');
			if (comma)
				*comma = '\0';
			if (!valid_token(tok)) {
				snprintf(msg, msglen, "evidence '%.64s' is not KBnnnnnnn, RollupFix>=BUILD.REV or UBR>=N", tok);
				goto bad;
			}
			if (r.nevidence == MAX_EVIDENCE_TOKENS) {
				snprintf(msg, msglen, "more than %d evidence tokens", MAX_EVIDENCE_TOKENS);
				goto bad;
			}
			r.evidence = xrealloc(r.evidence, (r.nevidence + 1) * sizeof(*r.evidence));
			r.evidence[r.nevidence++] = xstrdup(tok);
			tok = comma ? comma + 1 : NULL;
		}
	}
	r.label = xstrdup(f[6]);
	t->rows = xrealloc(t->rows, (t->n + 1) * sizeof(*t->rows));
	t->rows[t->n++] = r;
	return 0;
bad:
	for (size_t i = 0; i < r.nevidence; i++)
		free(r.evidence[i]);
	free(r.evidence);
	return -1;
}

void patch_table_free(struct patch_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->rows[i].nevidence; k++)
			free(t->rows[i].evidence[k]);
		free(t->rows[i].evidence);
		free(t->rows[i].label);
	}
	free(t->rows);
	free(t->name);
	free(t);
}

int patch_table_parse(const char *text, size_t len, const char *name, struct patch_table **out,
		      struct ks_err *err)
{
	struct patch_table *t = xcalloc(1, sizeof(*t));

	*out = NULL;
	t->name = xstrdup(name);
	if (pt_parse(text, len, name, patch_fields, 7, patch_row, t, err) < 0) {
		patch_table_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* ---- eol.tsv ------------------------------------------------------------- */

static const char *const eol_fields[] = { "os", "builds", "edition", "product", "marker", "end", "name", "source" };

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
	uint32_t a, b, c;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || pt_uint(s, 4, 9999, &a) < 0 ||
	    pt_uint(s + 5, 2, 12, &b) < 0 || pt_uint(s + 8, 2, 31, &c) < 0 || a < 1970 || !b || !c ||
	    (int)c > days_in_month((int)a, (int)b))
		return -1;
	*y = (int)a;
	*m = (int)b;
	*d = (int)c;
	return 0;
}

static int eol_row(void *ctx, char **f, unsigned line, char *msg, size_t msglen)
{
	struct eol_table *t = ctx;
	struct eol_row r;

	memset(&r, 0, sizeof(r));
	r.line = line;
	if (pt_os(f[0], &r.major, &r.minor, msg, msglen) < 0 ||
	    pt_range(f[1], "builds", UINT32_MAX, &r.build_lo, &r.build_hi, msg, msglen) < 0)
		return -1;
	if (!strcmp(f[4], "-"))
		r.marker = EOL_MARK_NONE;
	else if (!strcmp(f[4], "embeddednt"))
		r.marker = EOL_MARK_EMBEDDEDNT;
	else if (!strcmp(f[4], "posready"))
		r.marker = EOL_MARK_POSREADY;
	else {
		snprintf(msg, msglen, "marker '%.64s' is not -, embeddednt or posready", f[4]);
		return -1;
	}
	if (parse_date(f[5], &r.end_year, &r.end_month, &r.end_day) < 0) {
		snprintf(msg, msglen, "end '%.64s' is not a date (YYYY-MM-DD)", f[5]);
		return -1;
	}
	r.edition = xstrdup(f[2]);
	r.product = xstrdup(f[3]);
	r.name = xstrdup(f[6]);
	r.source = xstrdup(f[7]);
	t->rows = xrealloc(t->rows, (t->n + 1) * sizeof(*t->rows));
	t->rows[t->n++] = r;
	return 0;
}

void eol_table_free(struct eol_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].edition);
		free(t->rows[i].product);
		free(t->rows[i].name);
		free(t->rows[i].source);
	}
	free(t->rows);
	free(t->name);
	free(t);
}

int eol_table_parse(const char *text, size_t len, const char *name, struct eol_table **out,
		    struct ks_err *err)
{
	struct eol_table *t = xcalloc(1, sizeof(*t));

	*out = NULL;
	t->name = xstrdup(name);
	if (pt_parse(text, len, name, eol_fields, 8, eol_row, t, err) < 0) {
		eol_table_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

