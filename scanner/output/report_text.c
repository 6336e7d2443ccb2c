/* report.txt: the summary a person reads first. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/artifacts.h>
#include <kenshu/windows.h>
#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

/* A file's signature in one line: "signed by X (embedded, timestamp T)". */
static void sig_line(FILE *f, const char *indent, const struct sig_result *s)
{
	const char *st = sig_status_name(s->status);

	if (s->status == SIG_NOT_CHECKED)
		return;
	fprintf(f, "%ssignature: %s%s%s%s%s%s%s%s%s\n", indent, st,
		s->signer_name ? ", signer " : "", s->signer_name ? s->signer_name : "",
		s->source != SIG_SRC_NONE ? ", " : "", s->source != SIG_SRC_NONE ? sig_source_name(s->source) : "",
		s->catalog ? " " : "", s->catalog ? path_base(s->catalog) : "",
		s->reason ? ": " : "", s->reason ? s->reason : "");
}

/* What signatures were judged against, and what came of it. */
static void signatures_section(FILE *f, const struct rep_trust *t)
{
	size_t bad = 0;

	if (!t->anchors_name)
		return;
	fprintf(f, "\nSignatures: %llu PE files checked: %llu valid, %llu invalid, %llu untrusted, "
		"%llu unsigned, %llu unreadable\n", (unsigned long long)t->pe_checked,
		(unsigned long long)t->by_status[SIG_VALID], (unsigned long long)t->by_status[SIG_INVALID],
		(unsigned long long)t->by_status[SIG_UNTRUSTED], (unsigned long long)t->by_status[SIG_UNSIGNED],
		(unsigned long long)t->by_status[SIG_ERROR]);
	fprintf(f, "  anchors:  %s (%zu root%s, sha256 %s)\n", t->anchors_name, t->anchors,
		t->anchors == 1 ? "" : "s", t->anchors_sha256);
	fprintf(f, "  catalogs: %zu read, %zu digest%s listed\n", t->ncats, t->catalog_members,
		t->catalog_members == 1 ? "" : "s");
	for (size_t i = 0; i < t->ncats; i++) {
		const struct rep_catalog *c = &t->cats[i];
		if (c->sig.status == SIG_VALID)
			continue;
		if (bad++ < 20)
			fprintf(f, "    [vol %u] %s: %s%s%s\n", c->volume, c->path, sig_status_name(c->sig.status),
				c->sig.reason ? ": " : "", c->sig.reason ? c->sig.reason : "");
	}
	if (bad > 20)
		fprintf(f, "    (%zu more catalogs whose signature is not valid: report.json)\n", bad - 20);
}

static void print_loc(FILE *f, unsigned vol, const char *path, const char *stream)
{
	if (!path[0])
		fprintf(f, "  [vol %u] (whole volume)\n", vol);
	else
		fprintf(f, "  [vol %u] %s%s%s\n", vol, path, stream[0] ? ":" : "", stream);
}

/* Inline code (a WMI script, mshta javascript:) shown as one line, cut:
 * enough to see what it does; report.json has it whole. */
static void script_excerpt(FILE *f, const char *code)
{
	enum { SHOW = 160 };
	char line[SHOW * 4 + 8];
	size_t o = 0, n = 0;

	const char *c = code;

	/* Stops before a character, never inside one: a cut is whole UTF-8. */
	for (; *c && o + 5 < sizeof(line); c++) {
		bool lead = ((unsigned char)*c & 0xC0) != 0x80;
		if (lead && n == SHOW)
			break;
		if (*c == '\r')
			continue;
		if (*c == '\n' || *c == '\t') {
			if (o && line[o - 1] != ' ')
				line[o++] = ' ', n++;
			continue;
		}
		n += lead;
		line[o++] = *c;
	}
	while (o && line[o - 1] == ' ')
		o--;
	line[o] = '\0';
	fprintf(f, "  %-26s   code: %s%s\n", "", line, *c ? " ..." : "");
}

/* A hive worth a line: one that could not be read, or not as Windows would. */
static void hive_line(FILE *f, const char *name, const char *user, const struct hive_health *h)
{
	const char *who = *user ? " of " : "";

	if (!h->opened)
		fprintf(f, "            hive %s%s%s not readable: %s\n", name, who, user, h->error);
	else if (h->dirty || h->log1 || h->log2)
		fprintf(f, "            hive %s%s%s %s%s%s (read as it is on disk)\n", name, who, user,
			h->dirty ? "dirty (sequence numbers differ)" : "",
			h->dirty && (h->log1 || h->log2) ? ", " : "",
			h->log1 || h->log2 ? "transaction logs present" : "");
}

/* "Patch level and hardening": one line per check, the evidence under
 * those that are not plainly fine, cut to a readable length on a UTF-8
 * boundary (report.json has it whole). */
static void posture_section(FILE *f, const struct os_info *os)
{
	enum { EVIDENCE_SHOWN = 400 };
	size_t unsafe = 0, by_default = 0, unknown = 0;

	for (size_t i = 0; i < os->posture.n; i++) {
		enum posture_state st = os->posture.c[i].state;
		unsafe += st == POSTURE_UNSAFE;
		by_default += st == POSTURE_ABSENT_UNSAFE;
		unknown += st == POSTURE_UNKNOWN;
	}
	/* A check of several firewall profiles has a longer name: the
	 * column widens for it. */
	int width = 30;
	for (size_t i = 0; i < os->posture.n; i++) {
		const struct posture_check *c = &os->posture.c[i];
		int w = (int)(strlen(c->rule) + (c->scope ? 1 + strlen(c->scope) : 0));
		if (w > width && w < 64)
			width = w;
	}
	fprintf(f, "\nPatch level and hardening [vol %u]: %zu check%s, %zu unsafe, %zu unsafe by default, %zu unknown\n",
		os->volume, os->posture.n, pl_s(os->posture.n), unsafe, by_default, unknown);
	for (size_t i = 0; i < os->posture.n; i++) {
		const struct posture_check *c = &os->posture.c[i];
		char name[64];
		size_t n = strlen(c->evidence);

		snprintf(name, sizeof(name), "%s%s%s", c->rule, c->scope ? " " : "", c->scope ? c->scope : "");
		fprintf(f, "  %-*s %-15s %s\n", width, name, posture_state_name(c->state), c->message);
		if (c->state == POSTURE_SAFE || c->state == POSTURE_ABSENT_SAFE || c->state == POSTURE_NOT_APPLICABLE ||
		    !n)
			continue;
		if (n > EVIDENCE_SHOWN) {
			n = EVIDENCE_SHOWN;
			while (n && ((unsigned char)c->evidence[n] & 0xC0) == 0x80)
				n--;
		}
		fprintf(f, "  %-*s %-15s %.*s%s\n", width, "", "", (int)n, c->evidence, c->evidence[n] ? " ..." : "");
	}
}

/* "Certificate stores": counts per store, then every entry a person must
 * look at: roots the anchors do not hold, trusted publishers (their code
 * runs without a prompt), distrusted certificates, damaged Blobs. */
static void certstores_section(FILE *f, const struct os_info *os)
{
	const struct cert_store_list *l = &os->certstores;
	size_t added = 0;

	for (size_t i = 0; i < l->n; i++)
		added += cert_store_added_root(l, &l->v[i]);
	fprintf(f, "\nCertificate stores [vol %u]: %zu entries%s, ", os->volume, l->n,
		l->truncated ? " (more not listed)" : "");
	if (!l->marked)
		fprintf(f, "roots not checked (no trust anchors)\n");
	else
		fprintf(f, "%zu root%s not in %s\n", added, added == 1 ? "" : "s",
			l->anchors_builtin ? "Microsoft's root program" : l->anchors_name ? l->anchors_name : "the anchors");
	for (size_t i = 0, k; i < l->n; i = k) {
		const struct cert_store_entry *e = &l->v[i];
		for (k = i; k < l->n && !strcmp(l->v[k].scope, e->scope) && !strcmp(l->v[k].store, e->store) &&
			    !strcmp(l->v[k].user ? l->v[k].user : "", e->user ? e->user : ""); k++)
			;
		fprintf(f, "  %s%s%s %s: %zu\n", e->scope, e->user ? " " : "", e->user ? e->user : "", e->store, k - i);
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct cert_store_entry *e = &l->v[i];
		const char *what = e->error ? "DAMAGED" : cert_store_added_root(l, e) ? "ADDED ROOT"
			: !strcmp(e->store, "TrustedPublisher") ? "PUBLISHER"
			: !strcmp(e->store, "Disallowed") ? "DISALLOWED" : NULL;
		if (!what && e->thumbprint_matches)
			continue;
		if (!what)
			what = "MISNAMED";
		fprintf(f, "  %-11s %s%s%s %s  %s\n", what, e->scope, e->user ? " " : "", e->user ? e->user : "",
			e->store, e->error ? e->thumbprint : e->cert.subject ? e->cert.subject : "(no subject)");
		if (e->error) {
			fprintf(f, "  %-11s   %s\n", "", e->error);
			continue;
		}
		fprintf(f, "  %-11s   sha1 %s, issued by %s, valid %s to %s%s\n", "", e->cert.sha1,
			e->cert.issuer ? e->cert.issuer : "?", e->cert.not_before, e->cert.not_after,
			e->cert.code_signing_eku ? ", code signing" : "");
		if (!e->thumbprint_matches)
			fprintf(f, "  %-11s   stored under key %s, not its SHA-1\n", "", e->thumbprint);
	}
}

/* "Local accounts": one line per SAM account, flags first; of the
 * password only the judgement. */
static void accounts_section(FILE *f, const struct os_info *os)
{
	const struct sam_accounts *l = &os->accounts;
	size_t enabled = 0, admins = 0;

	for (size_t i = 0; i < l->n; i++) {
		bool on = l->v[i].has_f && !(l->v[i].acb & SAM_ACB_DISABLED);
		enabled += on;
		admins += on && l->v[i].admin;
	}
	fprintf(f, "\nLocal accounts [vol %u]: ", os->volume);
	if (os->accounts_error) {
		fprintf(f, "not read (%s)\n", os->accounts_error);
		return;
	}
	fprintf(f, "%zu account%s%s, %zu enabled, %zu enabled administrator%s\n", l->n, pl_s(l->n),
		l->truncated ? " (more not listed)" : "", enabled, admins, pl_s(admins));
	if (l->key_note)
		fprintf(f, "  passwords stored could not be judged: %s\n", l->key_note);
	for (size_t i = 0; i < l->n; i++) {
		const struct sam_account *a = &l->v[i];
		char t1[32], t2[32];
		ks_iso_time(a->last_logon, t1, sizeof(t1));
		ks_iso_time(a->password_last_set, t2, sizeof(t2));
		fprintf(f, "  %5u %-20s %-8s %-9s password %s%s%s%s%s\n", a->rid, a->name,
			!a->has_f ? "?" : a->acb & SAM_ACB_DISABLED ? "disabled" : "enabled",
			a->admin && a->rdp ? "admin,rdp" : a->admin ? "admin" : a->rdp ? "rdp" : "-",
			sam_password_name(a->password),
			a->has_f && (a->acb & SAM_ACB_PW_NOT_REQUIRED) ? ", not required" : "",
			a->has_f && (a->acb & SAM_ACB_LOCKED) ? ", locked out" : "",
			a->full_name ? "  " : "", a->full_name ? a->full_name : "");
		if (a->has_f)
			fprintf(f, "        last logon %s, password set %s, %u logon%s\n", t1[0] ? t1 : "never",
				t2[0] ? t2 : "never", a->logon_count, pl_s(a->logon_count));
		if (a->note)
			fprintf(f, "        %s\n", a->note);
	}
}

static bool info_only(const struct rep_finding *x)
{
	return !x->waiver && x->severity == SEV_INFO;
}

static void finding_line(FILE *f, const struct rep_finding *x)
{
	char sev[16];

	snprintf(sev, sizeof(sev), "%s", x->waiver ? "waived" : severity_name(x->severity));
	for (char *c = sev; *c && !x->waiver; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
	fprintf(f, "  %-7s %-28s %s\n", sev, x->rule, x->message);
	if (x->version)
		fprintf(f, "  %-7s %-28s version %s\n", "", "", x->version);
	if (x->waiver)
		fprintf(f, "  %-7s %-28s lifted by waiver '%s'\n", "", "", x->waiver);
}

/* What decided the verdict, fail first (the list is sorted so), waived
 * ones last; findings for information only are counted here and listed
 * after the inventory (info_findings_text), where they do not stand
 * between the reader and the summary. */
static void findings_text(const struct report *r, FILE *f)
{
	size_t n[4] = { 0 }, waived = 0;

	for (size_t i = 0; i < r->nfindings; i++) {
		if (r->findings[i].waiver)
			waived++;
		else if ((unsigned)r->findings[i].severity < 4)
			n[r->findings[i].severity]++;
	}
	/* Both hashes, labelled as report.html labels them: the file as
	 * written, and the profile in effect after includes. */
	fprintf(f, "Profile:    %s (%s), judged as of %s\n", r->profile_name, r->profile_source, r->scan_date);
	fprintf(f, "            profile file SHA-256 %s\n", r->profile_sha256);
	fprintf(f, "            effective profile SHA-256 %s\n", r->profile_effective_sha256);
	fprintf(f, "Findings:   %zu: %zu fail, %zu review, %zu waived; %zu for information only%s\n", r->nfindings,
		n[SEV_FAIL], n[SEV_REVIEW], waived, n[SEV_INFO], n[SEV_INFO] ? " (listed at the end)" : "");
	for (size_t i = 0; i < r->nfindings; i++)
		if (!info_only(&r->findings[i]))
			finding_line(f, &r->findings[i]);
	for (size_t i = 0; i < r->nwaivers; i++) {
		const struct rep_waiver *w = &r->waivers[i];
		fprintf(f, "  waiver '%s' (%s, approved by %s, expires %s): %s, %u finding%s lifted\n", w->w.name,
			w->w.rule, w->w.approver, w->w.expires, w->status, w->applied, w->applied == 1 ? "" : "s");
	}
	fputc('\n', f);
}

static void info_findings_text(const struct report *r, FILE *f)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nfindings; i++)
		n += info_only(&r->findings[i]);
	if (!n)
		return;
	fprintf(f, "\nFor information only (recorded, no effect on the verdict): %zu\n", n);
	for (size_t i = 0; i < r->nfindings; i++)
		if (info_only(&r->findings[i]))
			finding_line(f, &r->findings[i]);
}

void report_write_case(const struct case_meta *m, FILE *f)
{
	for (size_t i = 0; i < m->n; i++)
		fprintf(f, "%-12s%s: %s\n", i ? "" : "Case:", m->v[i].key, m->v[i].value);
	if (m->n)
		fputc('\n', f);
}

int report_write_text(const struct report *r, FILE *f)
{
	char sz[32];
	uint64_t files = 0, streams = 0, bytes = 0;

	fprintf(f, "kenshu %s acceptance scan\n\n", KENSHU_VERSION);
	report_write_case(&r->meta, f);
	fprintf(f, "VERDICT: %s (%s)\n\n", verdict_name(r->verdict), r->verdict_reason);
	/* The summary first: which image, which Windows, what ClamAV found;
	 * then what decided the verdict; then the inventory. */
	report_human_size(r->image_size, sz, sizeof(sz));
	fprintf(f, "Image:      %s\n", r->image_path);
	fprintf(f, "            %s, %s (%llu byte%s), partition table: %s\n", r->image_format, sz,
		(unsigned long long)r->image_size, pl_s(r->image_size), r->scheme);
	if (strcmp(r->image_format, "raw") != 0) {
		report_human_size(r->disk_size, sz, sizeof(sz));
		fprintf(f, "            holds a disk of %s (%llu byte%s), read by %s\n", sz,
			(unsigned long long)r->disk_size, pl_s(r->disk_size), r->image_reader);
	}
	fprintf(f, "SHA-256:    %s\n", r->sha256_before);
	fprintf(f, "            %s\n", strcmp(r->sha256_before, r->sha256_after) == 0
		? "identical after the scan: the image was not modified"
		: "DIFFERENT after the scan");

	for (size_t i = 0; i < r->nos; i++) {
		const struct os_info *os = &r->os[i];
		fprintf(f, "Windows:    [vol %u] %s%s%s (%s), build %s%s%s%s%s\n", os->volume,
			os->product_name ? os->product_name : "(no product name)",
			os->edition ? ", edition " : "", os->edition ? os->edition : "",
			os->family, os->build ? os->build : "?", os->service_pack ? ", " : "",
			os->service_pack ? os->service_pack : "", os->architecture ? ", " : "",
			os->architecture ? os->architecture : "");
		fprintf(f, "            host %s, time zone %s, installed %s, %zu profile%s\n",
			os->hostname ? os->hostname : "?", os->time_zone ? os->time_zone : "?",
			os->install_date ? os->install_date : "?", os->nprofiles, pl_s(os->nprofiles));
		for (int k = 0; k < 2; k++)
			if (os->hives[k].name)
				hive_line(f, os->hives[k].name, "", &os->hives[k].health);
		for (size_t k = 0; k < os->nuser_hives; k++)
			hive_line(f, os->user_hives[k].path, os->user_hives[k].user, &os->user_hives[k].health);
		if (os->wmi_error)
			fprintf(f, "            WMI repository not readable: %s\n", os->wmi_error);
		if (os->cross_check)
			fprintf(f, "            libguestfs cross-check: %s\n", os->cross_check);
	}

	if (r->cross_check_note)
		fprintf(f, "Cross-check: %s\n", r->cross_check_note);
	fprintf(f, "Detections: %zu\n", r->ndet);
	for (size_t i = 0; i < r->ndet; i++) {
		const struct rep_detection *d = &r->det[i];
		print_loc(f, d->volume, d->path, d->stream);
		fprintf(f, "      %s  (sha256 %s, %llu byte%s)\n", d->signature, d->sha256,
			(unsigned long long)d->size, pl_s(d->size));
		const struct rep_file *df = report_find_file(r, d->volume, d->path, d->stream);
		if (df && df->sig)
			sig_line(f, "      ", df->sig);
	}
	report_yara_text(r, f);
	fputc('\n', f);
	findings_text(r, f);
	/* Right after what decided the verdict: on a re-audit what changed
	 * is the news, the inventory below is mostly what it was. */
	if (r->drift) {
		if (drift_write_text(r->drift, f) < 0)
			return -1;
		fputc('\n', f);
	}

	/* Only when there are some: most images have none. */
	if (r->nmacros)
		fprintf(f, "Documents with macros: %zu\n", r->nmacros);
	for (size_t i = 0; i < r->nmacros; i++) {
		const struct rep_detection *d = &r->macros[i];
		print_loc(f, d->volume, d->path, d->stream);
		fprintf(f, "      %s  (sha256 %s, %llu byte%s)\n", d->signature, d->sha256,
			(unsigned long long)d->size, pl_s(d->size));
	}

	fprintf(f, "%sNot fully scanned: %zu\n", r->nmacros ? "\n" : "", r->nskip);
	for (size_t i = 0; i < r->nskip; i++) {
		const struct rep_skip *s = &r->skip[i];
		print_loc(f, s->volume, s->path, s->stream);
		fprintf(f, "      %s\n", s->reason);
	}

	for (size_t i = 0; i < r->nos; i++) {
		const struct os_info *os = &r->os[i];
		const struct autorun_list *l = &os->autoruns;
		size_t collapsed = 0;

		fprintf(f, "\nAutostart entries [vol %u]: %zu\n", os->volume, l->n);
		for (size_t k = 0; k < l->n; k++) {
			const struct autorun *a = &l->v[k];
			/* Windows' own entries (hundreds of services and KnownDLLs on a
			 * real system) run programs in the Windows folder and raise no
			 * flag: counted here, all listed in report.json. */
			if (!r->all_autoruns && autorun_is_windows_default(a, os->system_root)) {
				collapsed++;
				continue;
			}
			fprintf(f, "  %-26s %s%s%s = %s\n", a->category, a->user ? a->user : "",
				a->user ? ": " : "", a->name[0] ? a->name : "(default)", a->command);
			if (a->target)
				fprintf(f, "  %-26s   runs %s%s%s%s\n", "", a->target,
					a->target_exists == 0 ? " (MISSING)" : "",
					a->target_detection ? ", DETECTED: " : "",
					a->target_detection ? a->target_detection : "");
			if (a->target && a->target_exists == 1) {
				char why[1024];
				fprintf(f, "  %-26s   %s%s\n", "", autorun_is_windows_default(a, os->system_root) ?
					"Windows' own: " : "not Windows' own: ", autorun_trust_note(a, why, sizeof(why)));
			}
			if (a->pe)
				fprintf(f, "  %-26s   version info: %s%s%s%s%s%s%s\n", "",
					a->pe->company ? a->pe->company : "(no company)",
					a->pe->product ? ", " : "", a->pe->product ? a->pe->product : "",
					a->pe->fixed_version[0] || a->pe->file_version ? ", " : "",
					a->pe->fixed_version[0] ? a->pe->fixed_version
								: a->pe->file_version ? a->pe->file_version : "",
					a->pe->original_filename ? ", originally " : "",
					a->pe->original_filename ? a->pe->original_filename : "");
			if (a->note)
				fprintf(f, "  %-26s   %s\n", "", a->note);
			if (a->decoded)
				fprintf(f, "  %-26s   decoded: %s\n", "", a->decoded);
			if (a->payload && (a->resolve_flags & CMD_F_INLINE) && !a->decoded)
				script_excerpt(f, a->payload);
			for (size_t fi = 0; fi < ar_nflag_info; fi++) {
				if (!(a->flags & ar_flag_info[fi].flag))
					continue;
				char *why = ar_flag_info[fi].flag == AR_FLAG_TARGET_MISSING
					? autorun_missing_reason(a, autorun_in_system_root(a, os->system_root)) : NULL;
				fprintf(f, "  %-26s   FLAG %s: %s\n", "", ar_flag_info[fi].name,
					why ? why : ar_flag_info[fi].reason);
				free(why);
			}
		}
		if (collapsed)
			fprintf(f, "  (%zu more start program%s in %s, signed by Microsoft Windows and none flagged: "
				"listed in report.json, or here with --all-autoruns)\n", collapsed, pl_s(collapsed), os->system_root);
	}

	signatures_section(f, &r->trust);

	for (size_t i = 0; i < r->nos; i++)
		if (r->os[i].posture.n)
			posture_section(f, &r->os[i]);
	/* Only when there are some, as for macros. */
	for (size_t i = 0; i < r->nos; i++)
		if (r->os[i].certstores.n)
			certstores_section(f, &r->os[i]);
	/* Accounts, or why the SAM that is there could not be read. */
	for (size_t i = 0; i < r->nos; i++)
		if (r->os[i].accounts.n ||
		    (r->os[i].accounts_error && strncmp(r->os[i].accounts_error, "no SAM hive", 11)))
			accounts_section(f, &r->os[i]);
	report_eventlog_text(r, f);
	report_defender_text(r, f);

	fprintf(f, "\nVolumes: %zu\n", r->nvol);
	for (size_t i = 0; i < r->nvol; i++) {
		const struct rep_volume *v = &r->vol[i];
		report_human_size(v->v.size, sz, sizeof(sz));
		fprintf(f, "  %u  %-28s %10s  %-9s", v->v.index, v->v.part_type, sz, v->v.fs);
		if (v->scanned) {
			char b[32];
			report_human_size(v->bytes, b, sizeof(b));
			fprintf(f, " \"%s\"  %llu file%s, %llu stream%s, %s scanned%s\n", v->label,
				(unsigned long long)v->files, pl_s(v->files), (unsigned long long)v->streams,
				pl_s(v->streams), b,
				v->dirty ? ", marked dirty (unclean shutdown)" : "");
			files += v->files;
			streams += v->streams;
			bytes += v->bytes;
		} else {
			fprintf(f, " not scanned: %s\n", v->v.state_reason);
		}
		if (v->v.parent)
			fprintf(f, "     %s in volume %u\n", v->v.part_name, v->v.parent);
	}
	for (size_t i = 0; i < r->ngaps; i++) {
		const struct img_gap *g = &r->gaps[i];
		report_human_size(g->size, sz, sizeof(sz));
		fprintf(f, "  -  outside any partition       %10s  at byte %llu: %s\n", sz,
			(unsigned long long)g->offset,
			g->holds_data ? "HOLDS DATA (not inspected by any file system)"
				      : g->sampled ? "no data found (sampled: 1 MiB of every 16)" : "all zero");
	}
	if (r->nrp)
		fprintf(f, "\nReparse points (reported, not followed): %zu\n", r->nrp);
	for (size_t i = 0; i < r->nrp; i++) {
		const struct rep_reparse *p = &r->rp[i];
		fprintf(f, "  [vol %u] %s  %s (0x%08X)%s%s\n", p->volume, p->path,
			reparse_tag_name(p->tag), p->tag, p->target[0] ? " -> " : "", p->target);
	}

	info_findings_text(r, f);

	const struct rep_engine *e = &r->engine;
	report_human_size(bytes, sz, sizeof(sz));
	fprintf(f, "\nScanned:    %llu file%s, %llu stream%s, %s in %.1f s (%u worker thread%s)\n",
		(unsigned long long)files, pl_s(files), (unsigned long long)streams, pl_s(streams), sz,
		r->seconds_total, r->threads, pl_s(r->threads));
	fprintf(f, "Engine:     libclamav %s, %u signature%s from %zu database file%s in %s\n",
		e->version ? e->version : "", e->signatures, pl_s(e->signatures), e->ndbs, pl_s(e->ndbs),
		e->dbdir ? e->dbdir : "");
	for (size_t i = 0; i < e->ndbs; i++) {
		const struct rep_db *d = &e->dbs[i];
		if (d->version)
			fprintf(f, "            %s: %u signature%s, version %u built %s\n", d->name,
				d->sigs, pl_s(d->sigs), d->version, d->build_time);
		else
			fprintf(f, "            %s: %u signature%s\n", d->name, d->sigs, pl_s(d->sigs));
	}
	fprintf(f, "Started:    %s\nFinished:   %s\nHost:       %s\n", r->started, r->finished, r->host ? r->host : "");
	return ferror(f) ? -1 : 0;
}
