/* Patch level: MS17-010 from the real srv.sys version (then Component
 * Based Servicing, XP hotfix keys, UBR), and end of support, both against
 * the data tables in profiles/tables/ (ms17-010.tsv, eol.tsv), which
 * posture_tables.c reads. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>
#include "windows_internal.h"
#include <kenshu/banned.h>

#define MS17010_TABLE "tables/ms17-010.tsv"
#define EOL_TABLE "tables/eol.tsv"

/* ---- installed-update evidence ------------------------------------------ */

#define CBS_PACKAGES "Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages"

static const char *cbs_state_name(uint32_t s)
{
	switch (s) {
	case 0x50: return "superseded";
	case 0x70: return "installed";
	case 0x80: return "permanent";
	case 0x60: return "install pending";
	case 0x40: return "staged";
	case 0x00: return "absent";
	default: return "other";
	}
}

/* Installed, or installed then replaced by a later update of the same
 * files. */
static bool cbs_counts(uint32_t s)
{
	return s == 0x70 || s == 0x80 || s == 0x50;
}

/* "Package_for_KB4012215~..." or "Package_2_for_KB4012215~...": the KB
 * number, else 0. */
static uint32_t package_kb(const char *name)
{
	const char *p;
	uint32_t kb;
	size_t n;

	if (strncasecmp(name, "Package_", 8) != 0)
		return 0;
	p = name + 8;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p != name + 8 && *p == '_')
		p++;
	if (strncasecmp(p, "for_KB", 6) != 0)
		return 0;
	p += 6;
	n = strspn(p, "0123456789");
	if (p[n] != '~' || pt_uint(p, n, UINT32_MAX, &kb) < 0)
		return 0;
	return kb;
}

/* "Package_for_RollupFix~31bf3856ad364e35~amd64~~14393.953.1.6": build
 * and revision of the version after "~~". */
static int package_rollup(const char *name, uint32_t *build, uint32_t *rev)
{
	const char *v = strstr(name, "~~");
	const char *dot;

	if (strncasecmp(name, "Package_for_RollupFix~", 22) != 0 || !v)
		return -1;
	v += 2;
	dot = strchr(v, '.');
	if (!dot || pt_uint(v, (size_t)(dot - v), UINT32_MAX, build) < 0)
		return -1;
	v = dot + 1;
	return pt_uint(v, strspn(v, "0123456789"), UINT32_MAX, rev);
}

struct token_hit {
	bool found;           /* a token is satisfied */
	char *evidence;       /* how, owned */
	char *pending;        /* a matching package not (yet) installed, owned */
};

static bool token_kb(const char *tok, uint32_t *kb)
{
	return !strncmp(tok, "KB", 2) && pt_uint(tok + 2, strlen(tok + 2), UINT32_MAX, kb) == 0;
}

static bool row_has_kb(const struct patch_row *const *rows, size_t n, uint32_t kb)
{
	uint32_t k;

	for (size_t i = 0; i < n; i++)
		for (size_t t = 0; t < rows[i]->nevidence; t++)
			if (token_kb(rows[i]->evidence[t], &k) && k == kb)
				return true;
	return false;
}

/* Looks for any evidence token of rows in the SOFTWARE hive and UBR. */
static void find_tokens(const struct posture_inputs *in, const struct patch_row *const *rows, size_t nrows,
			struct token_hit *hit)
{
	struct hive *sw = in->software;
	uint32_t rf_build = 0, rf_rev = 0;
	bool want_rollup = false, want_kb = false;

	memset(hit, 0, sizeof(*hit));
	for (size_t i = 0; i < nrows; i++)
		for (size_t t = 0; t < rows[i]->nevidence; t++) {
			const char *tok = rows[i]->evidence[t];
			uint32_t n;
			if (!strncmp(tok, "UBR>=", 5) && pt_uint(tok + 5, strlen(tok + 5), UINT32_MAX, &n) == 0 &&
			    in->has_ubr && in->ubr >= n && !hit->found) {
				hit->found = true;
				hit->evidence = xasprintf("CurrentVersion UBR %u (build %u.%u) >= %u (%s)", in->ubr,
							  in->build, in->ubr, n, tok);
			}
			if (!strncmp(tok, "RollupFix>=", 11)) {
				const char *dot = strchr(tok + 11, '.');
				want_rollup = dot && pt_uint(tok + 11, (size_t)(dot - tok - 11), 65535, &rf_build) == 0 &&
					      pt_uint(dot + 1, strlen(dot + 1), 65535, &rf_rev) == 0;
			}
			if (!strncmp(tok, "KB", 2))
				want_kb = true;
		}
	if (hit->found || !sw || (!want_kb && !want_rollup))
		return;

	size_t pk = hive_key(sw, CBS_PACKAGES), n = 0;
	size_t *kids = pk ? hive_subkeys(sw, pk, &n) : NULL;
	for (size_t i = 0; i < n && !hit->found; i++) {
		char *name = hive_key_name(sw, kids[i]);
		uint32_t kb, b, r, st = 0;
		bool match = false;

		if (!name)
			continue;
		if (want_kb && (kb = package_kb(name)) && row_has_kb(rows, nrows, kb))
			match = true;
		else if (want_rollup && package_rollup(name, &b, &r) == 0 && b == rf_build && r >= rf_rev)
			match = true;
		if (match) {
			int has = pk_dword(sw, kids[i], "CurrentState", &st);
			struct strbuf e;
			strbuf_init(&e, 512);
			strbuf_addstr(&e, "CBS package ");
			strbuf_add_printable(&e, name, strlen(name), false);
			if (has == 1)
				strbuf_addf(&e, " CurrentState 0x%X (%s)", st, cbs_state_name(st));
			else
				strbuf_addstr(&e, " without a CurrentState");
			if (has == 1 && cbs_counts(st)) {
				hit->found = true;
				free(hit->evidence);
				hit->evidence = strbuf_detach(&e, NULL);
			} else if (!hit->pending) {
				hit->pending = strbuf_detach(&e, NULL);
			} else {
				strbuf_release(&e);
			}
		}
		free(name);
	}
	free(kids);
	if (hit->found || !want_kb)
		return;

	/* XP / 2003: hotfixes register under Updates\<product>\<SP>\KBnnnn
	 * and CurrentVersion\HotFix\KBnnnn, not in CBS. */
	size_t up = hive_key(sw, "Microsoft\\Updates"), np = 0;
	size_t *prods = up ? hive_subkeys(sw, up, &np) : NULL;
	for (size_t i = 0; i < np && !hit->found; i++) {
		size_t ns = 0, *sps = hive_subkeys(sw, prods[i], &ns);
		for (size_t j = 0; j < ns && !hit->found; j++) {
			size_t nk = 0, *kbs = hive_subkeys(sw, sps[j], &nk);
			for (size_t k = 0; k < nk && !hit->found; k++) {
				char *kn = hive_key_name(sw, kbs[k]);
				uint32_t kb;
				if (kn && token_kb(kn, &kb) && row_has_kb(rows, nrows, kb)) {
					char *pn = hive_key_name(sw, prods[i]), *sn = hive_key_name(sw, sps[j]);
					struct strbuf e;
					strbuf_init(&e, 512);
					strbuf_addstr(&e, "SOFTWARE\\Microsoft\\Updates\\");
					strbuf_add_printable(&e, pn ? pn : "?", pn ? strlen(pn) : 1, false);
					strbuf_addstr(&e, "\\");
					strbuf_add_printable(&e, sn ? sn : "?", sn ? strlen(sn) : 1, false);
					strbuf_addf(&e, "\\KB%u present", kb);
					hit->found = true;
					hit->evidence = strbuf_detach(&e, NULL);
					free(pn);
					free(sn);
				}
				free(kn);
			}
			free(kbs);
		}
		free(sps);
	}
	free(prods);
	size_t hf = hive_key(sw, "Microsoft\\Windows NT\\CurrentVersion\\HotFix"), nh = 0;
	size_t *hfs = hf && !hit->found ? hive_subkeys(sw, hf, &nh) : NULL;
	for (size_t i = 0; i < nh && !hit->found; i++) {
		char *kn = hive_key_name(sw, hfs[i]);
		uint32_t kb;
		if (kn && token_kb(kn, &kb) && row_has_kb(rows, nrows, kb)) {
			hit->found = true;
			hit->evidence = xasprintf("SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\HotFix\\KB%u present", kb);
		}
		free(kn);
	}
	free(hfs);
}

/* ---- ms17-010 ------------------------------------------------------------- */

struct file_ver {
	const char *name;
	const struct posture_file *pf;
	bool have;            /* version read */
	uint16_t v[4];
	char how[400];        /* why not */
};

static void file_version(const char *name, const struct posture_file *pf, struct file_ver *fv)
{
	struct pe_info pi;
	struct ks_err err;

	memset(fv, 0, sizeof(*fv));
	fv->name = name;
	fv->pf = pf;
	if (!pf || !pf->present) {
		snprintf(fv->how, sizeof(fv->how), "%s not found", name);
		return;
	}
	if (!pf->data) {
		snprintf(fv->how, sizeof(fv->how), "%s not readable: %s", name, pf->error ? pf->error : "?");
		return;
	}
	if (pe_parse(pf->data, pf->size, &pi, &err) < 0) {
		snprintf(fv->how, sizeof(fv->how), "%s is a damaged PE: %.159s", name, err.msg);
		return;
	}
	if (!pi.is_pe) {
		snprintf(fv->how, sizeof(fv->how), "%s is not a PE file (%zu bytes)", name, pf->size);
	} else if (pi.has_fixed) {
		memcpy(fv->v, pi.file_version, sizeof(fv->v));
		fv->have = true;
	} else if (pi.file_version_str) {
		/* "6.1.7601.23689 (win7sp1_ldr.170209-0600)": the leading version. */
		char head[PE_VERSION_BUFSZ];
		size_t l = strcspn(pi.file_version_str, " (");
		if (l < sizeof(head)) {
			memcpy(head, pi.file_version_str, l);
			head[l] = '\0';
			fv->have = pt_count_dots(head) == 3 && pe_version_parse(head, fv->v) == 0;
		}
		if (!fv->have)
			snprintf(fv->how, sizeof(fv->how), "%s has no usable version resource", name);
	} else {
		snprintf(fv->how, sizeof(fv->how), "%s has no version resource", name);
	}
	pe_info_release(&pi);
}

static const struct posture_file *file_input(const struct posture_inputs *in, const char *name)
{
	if (!strcasecmp(name, "srv.sys"))
		return &in->srv_sys;
	if (!strcasecmp(name, "srv2.sys"))
		return &in->srv2_sys;
	return NULL;
}

/* The SMBv1 server is installed: its driver file, its service key, or the
 * Server service depending on it. -1 when SYSTEM cannot tell. */
static int smb1_server_present(const struct posture_inputs *in, struct strbuf *ev)
{
	size_t srv = pk_cs(in->system, in->control_set, "Services\\srv");
	size_t ls = pk_cs(in->system, in->control_set, "Services\\LanmanServer");
	bool dep = pk_lists(in->system, ls, "DependOnService", "srv");

	if (in->srv_sys.present)
		return 1;
	if (!in->system || !in->control_set)
		return -1;
	sb_sep(ev);
	strbuf_addf(ev, "SYSTEM\\ControlSet%03u\\Services\\srv %s; LanmanServer DependOnService %s srv",
		    in->control_set, srv ? "present" : "absent", dep ? "lists" : "does not list");
	return srv || dep;
}

static void check_ms17010(const struct posture_inputs *in, const struct patch_table *t, struct posture *out)
{
	const char *rule = "ms17-010";
	const struct patch_row **rows = xcalloc(t->n ? t->n : 1, sizeof(*rows));
	size_t nrows = 0;
	struct strbuf ev, msg;
	enum posture_state st = POSTURE_UNKNOWN;

	strbuf_init(&ev, POSTURE_TEXT_MAX);
	strbuf_init(&msg, POSTURE_TEXT_MAX);
	if (!in->major || !in->build) {
		posture_add(out, rule, NULL, POSTURE_UNKNOWN,
			    xstrdup("the Windows version or build could not be read, so MS17-010 cannot be judged"),
			    xasprintf("version %u.%u, build %u", in->major, in->minor, in->build));
		goto done;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct patch_row *r = &t->rows[i];
		if (r->major == in->major && r->minor == in->minor && in->build >= r->build_lo && in->build <= r->build_hi)
			rows[nrows++] = r;
	}
	if (!nrows) {
		posture_add(out, rule, NULL, POSTURE_UNKNOWN,
			    xasprintf("%s has no row for Windows %u.%u build %u: MS17-010 status unknown", t->name,
				      in->major, in->minor, in->build),
			    xasprintf("Windows %u.%u build %u", in->major, in->minor, in->build));
		goto done;
	}
	for (size_t i = 0; i < nrows; i++)
		if (rows[i]->fix == PATCH_NOT_AFFECTED) {
			posture_add(out, rule, NULL, POSTURE_NOT_APPLICABLE,
				    xasprintf("Windows %u.%u build %u was released with the MS17-010 fix", in->major,
					      in->minor, in->build),
				    xasprintf("%s:%u: %s", t->name, rows[i]->line, rows[i]->label));
			goto done;
		}

	/* The files the rows name, each read once. */
	struct file_ver fv[4];
	size_t nfv = 0;
	for (size_t i = 0; i < nrows; i++) {
		bool seen = false;
		for (size_t k = 0; k < nfv; k++)
			seen |= !strcasecmp(fv[k].name, rows[i]->file);
		if (!seen && nfv < sizeof(fv) / sizeof(fv[0]))
			file_version(rows[i]->file, file_input(in, rows[i]->file), &fv[nfv++]);
	}

	bool no_fix = false;
	for (size_t i = 0; i < nrows; i++)
		no_fix |= rows[i]->fix == PATCH_NO_FIX;
	if (no_fix) {
		const struct patch_row *r = rows[0];
		for (size_t i = 0; i < nrows; i++)
			if (rows[i]->fix == PATCH_NO_FIX) {
				r = rows[i];
				break;
			}
		char vb[PE_VERSION_BUFSZ];
		for (size_t k = 0; k < nfv; k++) {
			sb_sep(&ev);
			if (fv[k].have)
				strbuf_addf(&ev, "%s %s present", fv[k].name, pe_version_fmt(fv[k].v, vb));
			else
				strbuf_addf(&ev, "%s", fv[k].how);
		}
		int present = smb1_server_present(in, &ev);
		sb_sep(&ev);
		strbuf_addf(&ev, "%s:%u: no fix for build %u (%s)", t->name, r->line, in->build, r->label);
		if (present == 1) {
			st = POSTURE_UNSAFE;
			strbuf_addf(&msg, "no MS17-010 fix was ever released for Windows %u.%u build %u and its SMBv1 "
					  "server is installed: vulnerable to EternalBlue", in->major, in->minor, in->build);
		} else if (present == 0) {
			st = POSTURE_NOT_APPLICABLE;
			strbuf_addf(&msg, "no MS17-010 fix exists for build %u, but the SMBv1 server is not installed",
				    in->build);
		} else {
			strbuf_addf(&msg, "no MS17-010 fix exists for build %u; whether the SMBv1 server is installed "
					  "could not be read", in->build);
		}
		posture_add(out, rule, NULL, st, strbuf_detach(&msg, NULL), strbuf_detach(&ev, NULL));
		goto done;
	}

	/* Fixed rows: each file against the row of its branch. */
	bool any_old = false, any_ok = false, any_unknown = false;
	for (size_t k = 0; k < nfv; k++) {
		char vb[PE_VERSION_BUFSZ], fb[PE_VERSION_BUFSZ];
		const struct patch_row *r = NULL;
		if (!fv[k].have)
			continue;
		for (size_t i = 0; i < nrows && !r; i++)
			if (!strcasecmp(rows[i]->file, fv[k].name) && fv[k].v[3] >= rows[i]->branch_lo &&
			    fv[k].v[3] <= rows[i]->branch_hi)
				r = rows[i];
		sb_sep(&ev);
		if (!r) {
			any_unknown = true;
			strbuf_addf(&ev, "%s %s: revision %u is in no branch of %s", fv[k].name,
				    pe_version_fmt(fv[k].v, vb), fv[k].v[3], t->name);
			continue;
		}
		bool old = pe_version_cmp(fv[k].v, r->fixed) < 0;
		strbuf_addf(&ev, "%s %s %s %s (%s:%u, %s", fv[k].name, pe_version_fmt(fv[k].v, vb), old ? "<" : ">=",
			    pe_version_fmt(r->fixed, fb), t->name, r->line, r->label);
		for (size_t e = 0; e < r->nevidence && e < 3; e++)
			strbuf_addf(&ev, "%s%s", e ? ", " : "; fixed by ", r->evidence[e]);
		strbuf_addf(&ev, "%s)", r->nevidence > 3 ? ", ..." : "");
		any_old |= old;
		any_ok |= !old;
	}
	struct token_hit hit;
	find_tokens(in, rows, nrows, &hit);
	if (any_old) {
		st = POSTURE_UNSAFE;
		strbuf_addstr(&msg, "MS17-010 (EternalBlue) is not fixed: the SMBv1 server driver is older than the fixed version");
		if (hit.found) {
			sb_sep(&ev);
			strbuf_addf(&ev, "%s, yet the file was not replaced (pending reboot or a damaged update?)", hit.evidence);
		}
	} else if (any_ok && !any_unknown) {
		st = POSTURE_SAFE;
		strbuf_addstr(&msg, "MS17-010 is fixed: decided by the SMBv1 server driver's file version");
		if (hit.found) {
			sb_sep(&ev);
			strbuf_addf(&ev, "agrees: %s", hit.evidence);
		}
	} else if (hit.found) {
		st = POSTURE_SAFE;
		for (size_t k = 0; k < nfv; k++)
			if (!fv[k].have) {
				sb_sep(&ev);
				strbuf_addf(&ev, "%s", fv[k].how);
			}
		sb_sep(&ev);
		strbuf_addf(&ev, "%s", hit.evidence);
		strbuf_addf(&msg, "MS17-010 fix recorded as installed: decided by the installed-update record, "
				  "the driver file could not tell");
	} else {
		for (size_t k = 0; k < nfv; k++)
			if (!fv[k].have) {
				sb_sep(&ev);
				strbuf_addf(&ev, "%s", fv[k].how);
			}
		if (hit.pending) {
			sb_sep(&ev);
			strbuf_addf(&ev, "%s", hit.pending);
		}
		if (!in->software) {
			sb_sep(&ev);
			strbuf_addf(&ev, "installed updates not read: %s",
				    in->software_error ? in->software_error : "no SOFTWARE hive");
		}
		int present = any_unknown ? 1 : smb1_server_present(in, &ev);
		if (present == 0) {
			st = POSTURE_NOT_APPLICABLE;
			strbuf_addstr(&msg, "the SMBv1 server is not installed (no srv.sys, no srv service): MS17-010 does not apply");
		} else {
			strbuf_addf(&msg, "MS17-010 status unknown: the SMBv1 server driver's version could not be read "
					  "and no update carrying the fix is recorded");
		}
	}
	free(hit.evidence);
	free(hit.pending);
	posture_add(out, rule, NULL, st, strbuf_detach(&msg, NULL), strbuf_detach(&ev, NULL));
done:
	strbuf_release(&msg);
	strbuf_release(&ev);
	free(rows);
}

/* ---- eol-os --------------------------------------------------------------- */

static bool has_marker(const struct posture_inputs *in, enum eol_marker m)
{
	uint32_t v;

	switch (m) {
	case EOL_MARK_NONE:
		return true;
	case EOL_MARK_EMBEDDEDNT:
		return pk_lists(in->system, pk_cs(in->system, in->control_set, "Control\\ProductOptions"),
				"ProductSuite", "EmbeddedNT");
	case EOL_MARK_POSREADY:
		return in->system && pk_dword(in->system, hive_key(in->system, "WPA\\PosReady"), "Installed", &v) == 1 &&
		       v == 1;
	}
	return false;
}

static const char *const marker_names[] = {
	[EOL_MARK_NONE] = "-", [EOL_MARK_EMBEDDEDNT] = "embeddednt", [EOL_MARK_POSREADY] = "posready",
};

static void check_eol(const struct posture_inputs *in, const struct eol_table *t, struct posture *out)
{
	const char *rule = "eol-os";
	const struct eol_row *r = NULL;
	struct strbuf ev;

	if (!in->major) {
		posture_add(out, rule, NULL, POSTURE_UNKNOWN,
			    xstrdup("the Windows version could not be read, so its end of support is unknown"),
			    xstrdup("no CurrentVersion in SOFTWARE"));
		return;
	}
	for (size_t i = 0; i < t->n && !r; i++) {
		const struct eol_row *c = &t->rows[i];
		bool any_build = c->build_lo == 0 && c->build_hi == UINT32_MAX;
		if (c->major != in->major || c->minor != in->minor)
			continue;
		if (in->build ? in->build < c->build_lo || in->build > c->build_hi : !any_build)
			continue;
		if (strcmp(c->edition, "*") && fnmatch(c->edition, in->edition ? in->edition : "", FNM_CASEFOLD))
			continue;
		if (strcmp(c->product, "*") && fnmatch(c->product, in->product_name ? in->product_name : "", FNM_CASEFOLD))
			continue;
		if (!has_marker(in, c->marker))
			continue;
		r = c;
	}
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	strbuf_addf(&ev, "Windows %u.%u build %u, EditionID ", in->major, in->minor, in->build);
	strbuf_add_printable(&ev, in->edition ? in->edition : "(none)", strlen(in->edition ? in->edition : "(none)"), false);
	strbuf_addstr(&ev, ", ProductName ");
	strbuf_add_printable(&ev, in->product_name ? in->product_name : "(none)",
			     strlen(in->product_name ? in->product_name : "(none)"), false);
	if (!r) {
		posture_add(out, rule, NULL, POSTURE_UNKNOWN,
			    xasprintf("%s has no row for this Windows: its end of support is unknown", t->name),
			    strbuf_detach(&ev, NULL));
		return;
	}
	strbuf_addf(&ev, ": %s:%u", t->name, r->line);
	if (r->marker != EOL_MARK_NONE)
		strbuf_addf(&ev, " (marker %s found in SYSTEM)", marker_names[r->marker]);
	strbuf_addf(&ev, " -> %s, support ends %04d-%02d-%02d (%s)", r->name, r->end_year, r->end_month, r->end_day,
		    r->source);
	int y, m, d;
	posture_day(in->now, &y, &m, &d);
	long today = (long)y * 10000 + m * 100 + d, end = (long)r->end_year * 10000 + r->end_month * 100 + r->end_day;
	struct tm a = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };
	struct tm b = { .tm_year = r->end_year - 1900, .tm_mon = r->end_month - 1, .tm_mday = r->end_day };
	long days = (long)((timegm(&b) - timegm(&a)) / 86400);
	sb_sep(&ev);
	strbuf_addf(&ev, "scan date %04d-%02d-%02d", y, m, d);
	if (today > end)
		posture_add(out, rule, NULL, POSTURE_UNSAFE,
			    xasprintf("%s is past its end of support: it ended on %04d-%02d-%02d, %ld day%s before the scan",
				      r->name, r->end_year, r->end_month, r->end_day, -days, days == -1 ? "" : "s"),
			    strbuf_detach(&ev, NULL));
	else
		posture_add(out, rule, NULL, POSTURE_SAFE,
			    xasprintf("%s is supported until %04d-%02d-%02d (%ld day%s after the scan)", r->name,
				      r->end_year, r->end_month, r->end_day, days, days == 1 ? "" : "s"),
			    strbuf_detach(&ev, NULL));
}

/* ---- both ----------------------------------------------------------------- */

void posture_patch_checks(const struct posture_inputs *in, struct posture *out)
{
	const struct patch_table *pt = in->ms17010;
	const struct eol_table *et = in->eol;
	struct patch_table *own_pt = NULL;
	struct eol_table *own_et = NULL;
	struct ks_err err;
	size_t len;
	const char *text;

	if (!pt) {
		text = embedded_file(MS17010_TABLE, &len);
		if (!text)
			ks_fail(&err, KS_ENOTFOUND, "%s was not built into kenshu", MS17010_TABLE);
		if (text && patch_table_parse(text, len, MS17010_TABLE, &own_pt, &err) == 0)
			pt = own_pt;
		else
			posture_add(out, "ms17-010", NULL, POSTURE_UNKNOWN,
				    xstrdup("the MS17-010 table could not be read"), xstrdup(err.msg));
	}
	if (pt)
		check_ms17010(in, pt, out);
	if (!et) {
		text = embedded_file(EOL_TABLE, &len);
		if (!text)
			ks_fail(&err, KS_ENOTFOUND, "%s was not built into kenshu", EOL_TABLE);
		if (text && eol_table_parse(text, len, EOL_TABLE, &own_et, &err) == 0)
			et = own_et;
		else
			posture_add(out, "eol-os", NULL, POSTURE_UNKNOWN,
				    xstrdup("the end-of-support table could not be read"), xstrdup(err.msg));
	}
	if (et)
		check_eol(in, et, out);
	patch_table_free(own_pt);
	eol_table_free(own_et);
}
