/* The evidence's part of the scan (scan_internal.h): Defender's quarantine,
 * detection history and exclusions against the finished manifest, then
 * the payloads through the same engines as every file. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/av.h>
#include <kenshu/core.h>
#include <kenshu/evidence.h>
#include <kenshu/report.h>
#include <kenshu/windows.h>
#include "scan_internal.h"

/* Files that run as code although the scan may not see a PE in them. */
static const char *const script_ext[] = { "ps1", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "hta", "msi" };

static bool executable(const struct rep_file *f)
{
	const char *b = strrchr(f->path, '/'), *dot;

	if (f->stream[0] || f->link_of)
		return false;
	if (f->sig)
		return true;    /* a PE: the scan checked its signature */
	dot = strrchr(b ? b : f->path, '.');
	if (!dot)
		return false;
	if (!strcasecmp(dot, ".exe") || !strcasecmp(dot, ".dll") || !strcasecmp(dot, ".sys") ||
	    !strcasecmp(dot, ".scr") || !strcasecmp(dot, ".com"))
		return true;
	for (size_t i = 0; i < sizeof(script_ext) / sizeof(script_ext[0]); i++)
		if (!strcasecmp(dot + 1, script_ext[i]))
			return true;
	return false;
}

static void read_quarantine(const struct walked *w, struct report *r, size_t i)
{
	struct fs *fs = walked_fs(w, r->os[i].volume);

	if (!fs)
		return;
	for (size_t k = 0; k < r->nfiles; k++) {
		const struct rep_file *f = &r->files[k];
		if (f->volume == r->os[i].volume && !f->stream[0] && !f->link_of &&
		    defender_is_quarantine_entry(f->path))
			defender_quarantine_read(fs, f->path, &r->evidence[i].defender, &r->evidence[i].payloads);
		else if (f->volume == r->os[i].volume && !f->stream[0] && !f->link_of &&
			 defender_is_detection_history(f->path))
			defender_history_read(fs, f->path, &r->evidence[i].defender);
	}
	defender_history_finish(&r->evidence[i].defender);
}

/* The file is an autostart target: listed as such already. */
static bool autorun_target(const struct os_info *os, const char *path)
{
	for (size_t k = 0; k < os->autoruns.n; k++)
		if (os->autoruns.v[k].target && !strcasecmp(os->autoruns.v[k].target, path))
			return true;
	return false;
}

static void find_covers(struct report *r, size_t i)
{
	const struct os_info *os = &r->os[i];
	struct os_defender *d = &r->evidence[i].defender;

	for (size_t x = 0; x < d->nexcl; x++) {
		struct def_exclusion *e = &d->excl[x];

		if (!e->pattern)
			continue;
		for (size_t k = 0; k < os->autoruns.n; k++) {
			const struct autorun *a = &os->autoruns.v[k];
			if (a->target && defender_exclusion_covers(e, a->target)) {
				char *where = autorun_where(a);
				char *what = xasprintf("autostart: %s -> %s", where, a->target);
				defender_exclusion_add_cover(e, what, true);
				free(what);
				free(where);
			}
		}
		for (size_t k = 0; k < r->nfiles; k++) {
			const struct rep_file *f = &r->files[k];
			if (f->volume == os->volume && executable(f) && defender_exclusion_covers(e, f->path) &&
			    !autorun_target(os, f->path)) {
				char *what = xasprintf("file: %s", f->path);
				defender_exclusion_add_cover(e, what, false);
				free(what);
			}
		}
	}
}

static void scan_payload(const struct av *av, const struct yara *y, struct yara_scanner *ys, uint64_t yara_max,
			 struct report *r, unsigned vol, const struct ev_payload *p)
{
	struct av_result res = { 0 };
	struct yara_result yres = { 0 };
	char hex[SHA256_HEX_LEN + 1];
	struct sha256 *h = sha256_new();
	char *name = xasprintf("%s:%s", p->path, p->stream);

	sha256_update(h, p->data, p->len);
	sha256_final_hex(h, hex);
	sha256_free(h);
	av_scan_memory(av, p->data, p->len, name, &res);
	free(name);
	if (res.error)
		report_add_skip(r, vol, p->path, p->stream, res.error, p->len);
	for (size_t k = 0; k < res.n; k++) {
		const struct av_match *m = &res.m[k];
		char *why;

		switch (m->kind) {
		case AV_DETECTION:
			report_add_detection(r, vol, p->path, p->stream, m->name, hex, p->len);
			break;
		case AV_LIMIT:
		case AV_ENCRYPTED:
			why = xasprintf("not fully scanned: %s (%s)", m->kind == AV_LIMIT ?
					"a ClamAV scan limit was reached" : "encrypted content", m->name);
			report_add_skip(r, vol, p->path, p->stream, why, p->len);
			free(why);
			break;
		case AV_MACROS:
			report_add_macro(r, vol, p->path, p->stream, m->name, hex, p->len);
			break;
		}
	}
	av_result_release(&res);
	if (y) {
		bool over = p->len > yara_max;
		if (!over)
			yara_scan_mem(ys, p->data, p->len, &yres);
		scan_yara_collect(y, r, vol, p->path, p->stream, hex, p->len, &yres, over);
		yara_result_release(&yres);
	}
}

void scan_evidence(const struct walked *w, const struct av *av, const struct yara *y, uint64_t yara_max,
		   unsigned yara_timeout, struct report *r)
{
	struct yara_scanner *ys = y ? yara_scanner_new(y, yara_timeout) : NULL;

	for (size_t i = 0; i < r->nos; i++) {
		read_quarantine(w, r, i);
		find_covers(r, i);
		for (size_t k = 0; k < r->evidence[i].payloads.n; k++)
			scan_payload(av, y, ys, yara_max, r, r->os[i].volume, &r->evidence[i].payloads.v[k]);
	}
	yara_scanner_free(ys);
}

#include <kenshu/banned.h>
