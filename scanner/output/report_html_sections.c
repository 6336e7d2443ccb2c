/* report.html, the sections about each Windows installation, the volumes,
 * the evidence record and what was not fully scanned. */
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

void html_kv(FILE *f, const char *key, const char *val)
{
	fprintf(f, "<tr><th>%s</th><td>", key);
	html_esc_or(f, val, "unknown");
	fputs("</td></tr>\n", f);
}

static void hive_row(FILE *f, const char *name, const char *user, const struct hive_health *h)
{
	fputs("<tr><td>", f);
	html_code(f, name);
	if (user && *user) {
		fputs(" <span class=\"muted\">of</span> ", f);
		html_esc(f, user);
	}
	if (!h->opened) {
		fputs("</td><td class=\"st-bad\">not readable: ", f);
		html_esc(f, h->error);
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
	html_code(f, os->system_root);
	fputs("</h3>\n<table class=\"fixed kv\">\n", f);
	html_kv(f, "Product", os->product_name);
	html_kv(f, "Edition", os->edition);
	html_kv(f, "Family", os->family);
	if (os->major) {
		snprintf(buf, sizeof(buf), "%u.%u", os->major, os->minor);
		html_kv(f, "Version", buf);
	} else {
		html_kv(f, "Version", os->current_version);
	}
	fputs("<tr><th>Build</th><td>", f);
	html_esc_or(f, os->build, "unknown");
	if (os->has_ubr)
		fprintf(f, ".%u <span class=\"muted\">(update build revision)</span>", os->ubr);
	fputs("</td></tr>\n", f);
	html_kv(f, "Service pack", os->service_pack);
	html_kv(f, "Architecture", os->architecture);
	html_kv(f, "Computer name", os->hostname);
	html_kv(f, "Installed", os->install_date);
	html_kv(f, "Registered owner", os->registered_owner);
	html_kv(f, "Registered organization", os->registered_organization);
	html_kv(f, "Time zone", os->time_zone);
	if (os->control_set)
		fprintf(f, "<tr><th>Control set in use</th><td>ControlSet%03u</td></tr>\n", os->control_set);
	if (os->wmi_error)
		html_kv(f, "WMI repository", os->wmi_error);
	if (os->cross_check)
		html_kv(f, "libguestfs cross-check", os->cross_check);
	fputs("</table>\n", f);

	if (os->nprofiles) {
		report_html_table_head(f, "small", "w12|User profile", "|Folder", "p35|SID", NULL);
		for (size_t i = 0; i < os->nprofiles; i++) {
			const struct os_profile *p = &os->profiles[i];
			fputs("<tr><td>", f);
			html_esc(f, p->user);
			fputs("</td><td>", f);
			html_code(f, p->path);
			fputs("</td><td class=\"mono\">", f);
			html_esc_or(f, p->sid, p->found_on_disk ? "(not in ProfileList: found on disk)" : "");
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
	html_esc_or(f, os->product_name, "Windows");
	fputs(", build ", f);
	html_esc_or(f, os->build, "unknown");
	if (os->has_ubr)
		fprintf(f, ".%u", os->ubr);
	if (os->service_pack)
		fputs(", ", f), html_esc(f, os->service_pack);
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
		html_esc(f, c->rule);
		/* "domain,private,public" breaks after each comma in a narrow column. */
		for (const char *sc = c->scope, *e; sc && *sc; sc = *e ? e + 1 : e) {
			e = strchr(sc, ',');
			if (!e)
				e = sc + strlen(sc);
			fputs(sc == c->scope ? " " : ", ", f);
			report_html_escape(f, sc, (size_t)(e - sc));
		}
		fputs("</td><td>", f);
		html_esc(f, c->message);
		fputs("</td><td>", f);
		if (c->evidence)
			html_code(f, c->evidence);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

/* What a person must look at in one installation's stores, as in
 * report.txt: added roots, trusted publishers, distrusted certificates,
 * damaged or misnamed entries; the rest are counted per store. */
static void certstores_os(const struct os_info *os, FILE *f)
{
	const struct cert_store_list *l = &os->certstores;
	size_t added = 0;

	for (size_t i = 0; i < l->n; i++)
		added += cert_store_added_root(l, &l->v[i]);
	fprintf(f, "<h3>Volume %u: %zu entries%s</h3>\n<p class=\"small\">", os->volume, l->n,
		l->truncated ? " (more not listed)" : "");
	if (!l->marked) {
		fputs("Roots not checked: the scan had no trust anchors.", f);
	} else {
		fprintf(f, "%zu root%s not in ", added, added == 1 ? "" : "s");
		if (l->anchors_builtin)
			fputs("Microsoft's root program", f);
		else
			html_esc_or(f, l->anchors_name, "the trust anchors");
		fputs(".", f);
	}
	fputs(" Per store:", f);
	for (size_t i = 0, k; i < l->n; i = k) {
		const struct cert_store_entry *e = &l->v[i];
		for (k = i; k < l->n && !strcmp(l->v[k].scope, e->scope) && !strcmp(l->v[k].store, e->store) &&
			    !strcmp(l->v[k].user ? l->v[k].user : "", e->user ? e->user : ""); k++)
			;
		fputs(i ? ", " : " ", f);
		html_esc(f, e->scope);
		if (e->user)
			fputs(" ", f), html_esc(f, e->user);
		fputs(" ", f);
		html_esc(f, e->store);
		fprintf(f, " %zu", k - i);
	}
	fputs("</p>\n", f);
	report_html_table_head(f, NULL, "w10|Entry", "w12|Store", "|Certificate", "p30|Thumbprint", NULL);
	for (size_t i = 0; i < l->n; i++) {
		const struct cert_store_entry *e = &l->v[i];
		bool added_root = cert_store_added_root(l, e);
		const char *what = e->error ? "damaged" : added_root ? "ADDED ROOT"
			: !strcmp(e->store, "TrustedPublisher") ? "trusted publisher"
			: !strcmp(e->store, "Disallowed") ? "distrusted" : !e->thumbprint_matches ? "misnamed key" : NULL;
		if (!what)
			continue;
		fprintf(f, "<tr><td class=\"%s\">%s</td><td>", added_root || e->error ? "st-bad" : "", what);
		html_esc(f, e->scope);
		if (e->user)
			fputs(" ", f), html_esc(f, e->user);
		fputs(" ", f);
		html_esc(f, e->store);
		fputs("</td><td>", f);
		if (e->error) {
			html_esc(f, e->error);
		} else {
			html_esc_or(f, e->cert.subject, "(no subject)");
			fputs("<br><span class=\"muted\">issued by</span> ", f);
			html_esc_or(f, e->cert.issuer, "unknown");
			fputs("<br><span class=\"muted\">valid</span> ", f);
			html_esc(f, e->cert.not_before);
			fputs(" <span class=\"muted\">to</span> ", f);
			html_esc(f, e->cert.not_after);
			if (e->cert.code_signing_eku)
				fputs(", code signing", f);
		}
		fputs("</td><td>", f);
		html_code(f, e->parsed ? e->cert.sha1 : e->thumbprint);
		if (e->parsed && !e->thumbprint_matches) {
			fputs("<br><span class=\"muted\">stored under key</span> ", f);
			html_code(f, e->thumbprint);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

void html_os_section(const struct report *r, FILE *f)
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
	bool stores = false;
	for (size_t i = 0; i < r->nos; i++)
		stores |= r->os[i].certstores.n > 0;
	if (!stores)
		return;   /* most images keep no certificates in the registry worth a section */
	fputs("<section id=\"certstores\">\n<h2>Certificate stores</h2>\n", f);
	fputs("<p class=\"small\">The certificates the image's own registry trusts or distrusts "
	      "(report.json lists every entry).</p>\n", f);
	for (size_t i = 0; i < r->nos; i++)
		if (r->os[i].certstores.n)
			certstores_os(&r->os[i], f);
	fputs("</section>\n", f);
}

/* --- Volumes, evidence, coverage ------------------------------------------- */

void html_volumes_section(const struct report *r, FILE *f)
{
	fprintf(f, "<section id=\"volumes\">\n<h2>Volumes (%zu)</h2>\n", r->nvol);
	fputs("<p class=\"small\">Partition table: ", f);
	html_esc(f, r->scheme);
	if (r->disk_guid && r->disk_guid[0]) {
		fputs(", disk GUID <span class=\"mono\">", f);
		html_esc(f, r->disk_guid);
		fputs("</span>", f);
	}
	if (r->gpt_backup_used)
		fputs(", <strong>primary GPT damaged: the backup copy was used</strong>", f);
	fputs("</p>\n", f);
	report_html_table_head(f, NULL, "w3|#", "|Partition", "w7|Size", "p20|File system", "w10|Label", "p25|Scanned", NULL);
	for (size_t i = 0; i < r->nvol; i++) {
		const struct rep_volume *v = &r->vol[i];
		fprintf(f, "<tr><td class=\"num\">%u</td><td>", v->v.index);
		html_esc(f, v->v.part_type);
		if (v->v.part_name[0]) {
			fputs("<br><span class=\"muted\">name</span> ", f);
			html_code(f, v->v.part_name);
		}
		fputs("</td>", f);
		html_size_cell(f, v->v.size);
		fputs("<td>", f);
		html_esc(f, v->v.fs);
		if (v->fs_version && v->fs_version[0])
			fputs(" ", f), html_esc(f, v->fs_version);
		if (v->reader)
			fputs("<br><span class=\"muted small\">read by ", f), html_esc(f, v->reader), fputs("</span>", f);
		fputs("</td><td>", f);
		html_esc_or(f, v->label, "");
		if (v->scanned) {
			char b[32];
			report_human_size(v->bytes, b, sizeof(b));
			fprintf(f, "</td><td>yes: %llu file%s, %llu stream%s, %s", (unsigned long long)v->files,
				pl_s(v->files), (unsigned long long)v->streams, pl_s(v->streams), b);
			if (v->dirty)
				fputs("<br><strong>marked dirty</strong> (not shut down cleanly)", f);
		} else {
			/* A partition that holds no file system by design (MSR)
			 * hides nothing; anything else unread might. */
			fprintf(f, "</td><td%s>no: ", v->v.state == VOL_RESERVED ? "" : " class=\"st-bad\"");
			html_esc(f, v->v.state_reason);
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
			html_size_cell(f, g->size);
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
			html_code(f, p->path);
			fputs("</td><td>", f);
			html_esc(f, reparse_tag_name(p->tag));
			fprintf(f, " <span class=\"mono muted\">0x%08X</span></td><td>", p->tag);
			if (p->target && p->target[0])
				html_code(f, p->target);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n</details>\n", f);
	}
	if (r->cross_check_note) {
		fputs("<p><strong>libguestfs cross-check:</strong> ", f);
		html_esc(f, r->cross_check_note);
		fputs("</p>\n", f);
	}
	fputs("</section>\n", f);
}

void html_hash_row(FILE *f, const char *key, const char *hex)
{
	fprintf(f, "<tr><th>%s</th><td class=\"mono\">", key);
	html_esc_or(f, hex, "none");
	fputs("</td></tr>\n", f);
}

void html_evidence_section(const struct report *r, FILE *f)
{
	char sz[32];
	bool same = strcmp(r->sha256_before, r->sha256_after) == 0;

	fputs("<section id=\"evidence\" class=\"page-break\">\n<h2>Evidence</h2>\n", f);
	fputs("<p class=\"small\">What a second person needs to repeat this scan and get the same "
	      "result: the exact image, tool, signatures and profile.</p>\n", f);
	fputs("<h3>Image</h3>\n<table class=\"fixed kv\">\n", f);
	fputs("<tr><th>Path</th><td>", f);
	html_code(f, r->image_path);
	fputs("</td></tr>\n", f);
	html_kv(f, "Format", r->image_format);
	html_kv(f, "Read by", r->image_reader);
	report_human_size(r->image_size, sz, sizeof(sz));
	fprintf(f, "<tr><th>Size</th><td>%s (%llu byte%s)</td></tr>\n", sz, (unsigned long long)r->image_size,
		pl_s(r->image_size));
	if (r->disk_size != r->image_size) {
		report_human_size(r->disk_size, sz, sizeof(sz));
		fprintf(f, "<tr><th>Disk inside</th><td>%s (%llu byte%s)</td></tr>\n", sz,
			(unsigned long long)r->disk_size, pl_s(r->disk_size));
	}
	html_hash_row(f, "SHA-256 before the scan", r->sha256_before);
	html_hash_row(f, "SHA-256 after the scan", r->sha256_after);
	fprintf(f, "<tr><th>Modified by the scan</th><td%s>%s</td></tr>\n", same ? "" : " class=\"st-bad\"",
		same ? "no: the hashes are identical (the image was opened read-only)" : "THE HASHES DIFFER");
	fputs("</table>\n", f);

	fputs("<h3>Scan</h3>\n<table class=\"fixed kv\">\n", f);
	html_kv(f, "Started (UTC)", r->started);
	html_kv(f, "Finished (UTC)", r->finished);
	fprintf(f, "<tr><th>Duration</th><td>%.1f s (hashing %.1f s, scanning %.1f s), %u worker thread%s"
		"</td></tr>\n", r->seconds_total, r->seconds_hash, r->seconds_scan, r->threads, pl_s(r->threads));
	fputs("<tr><th>Tool</th><td>kenshu " KENSHU_VERSION ", commit <span class=\"mono\">", f);
	html_esc(f, kenshu_commit);
	fputs("</span></td></tr>\n", f);
	const struct rep_engine *l = &r->engine;
	fprintf(f, "<tr><th>Scan engine</th><td>libclamav %s (functionality level %u)</td></tr>\n",
		l->version ? l->version : "", l->functionality_level);
	if (l->dbdir) {
		fputs("<tr><th>Signature directory</th><td>", f);
		html_code(f, l->dbdir);
		fprintf(f, "</td></tr>\n<tr><th>Signatures loaded</th><td>%u</td></tr>\n", l->signatures);
		fprintf(f, "<tr><th>Scan limits</th><td>%llu bytes per file, %llu bytes per archive, nesting %u, "
			"%u members per archive, %u ms per file; content beyond them is listed as not "
			"scanned</td></tr>\n", (unsigned long long)l->max_filesize,
			(unsigned long long)l->max_scansize, l->max_recursion, l->max_files, l->max_scantime_ms);
	}
	fputs("</table>\n", f);

	if (l->dbdir) {
		fprintf(f, "<h3>Signature databases (%zu)</h3>\n", l->ndbs);
		report_html_table_head(f, NULL, "|File", "w7|Official", "w5|Version", "w10|Built (UTC)", "w6|Signatures",
			   "w7|Size", "w14|SHA-256", NULL);
		for (size_t i = 0; i < l->ndbs; i++) {
			const struct rep_db *d = &l->dbs[i];
			fputs("<tr><td>", f);
			html_code(f, d->name);
			fprintf(f, "</td><td>%s</td><td class=\"num\">", d->official ? "yes (Cisco-Talos)" : "no");
			if (d->version)
				fprintf(f, "%u", d->version);
			fputs("</td><td>", f);
			html_esc(f, d->build_time);
			if (d->builder && d->builder[0])
				fputs("<br><span class=\"muted small\">by ", f), html_esc(f, d->builder), fputs("</span>", f);
			fprintf(f, "</td><td class=\"num\">%u</td>", d->sigs);
			html_size_cell(f, d->size);
			fputs("<td class=\"mono small\">", f);
			html_esc(f, d->sha256);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}

	fputs("<h3>Acceptance profile</h3>\n<table class=\"fixed kv\">\n", f);
	html_kv(f, "Name", r->profile_name);
	html_kv(f, "Source", r->profile_source);
	html_hash_row(f, "Profile file SHA-256", r->profile_sha256);
	html_hash_row(f, "Effective profile SHA-256", r->profile_effective_sha256);
	html_kv(f, "Rules judged as of", r->scan_date);
	for (size_t i = 0; i < r->nprofile_files; i++) {
		const struct profile_file *pf = &r->profile_files[i];
		fputs("<tr><th>File read</th><td><code>", f);
		html_esc(f, pf->source);
		fputs("</code><br>SHA-256 <span class=\"mono\">", f);
		html_esc(f, pf->sha256);
		fputs("</span>", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n</section>\n", f);
}

void html_not_scanned_section(const struct report *r, FILE *f)
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
				html_esc(f, r->vol[i].v.part_type);
				fputs(", ", f);
				html_esc(f, r->vol[i].v.fs);
				fputs("): ", f);
				html_esc(f, r->vol[i].v.state_reason);
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
			html_location(f, s->path, s->stream);
			fputs("</td>", f);
			html_size_cell(f, s->size);
			fputs("<td>", f);
			html_esc(f, s->reason);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	}
	fputs("</section>\n", f);
}

