/* The policy engine: rules over a finished report, then waivers, then the
 * verdict. Each evaluator reads one part of the report and proposes
 * findings by rule id; the profile decides their severity (off drops
 * them), so no evaluator knows what a profile wants. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <kenshu/core.h>
#include <kenshu/av.h>
#include <kenshu/policy.h>
#include "policy_internal.h"
#include <kenshu/banned.h>

void policy_add(struct pctx *c, const char *rule, enum severity cap, const struct where *w, const char *fmt, ...)
{
	const struct rule_info *ri = rule_find(rule);
	enum severity sev;
	va_list ap;
	char msg[1024];

	if (!ri)
		BUG("finding for unknown rule '%s'", rule);
	sev = profile_severity(c->p, rule);
	if (cap < sev)
		sev = cap;   /* e.g. a merely absent hardening value: never above [hardening] absent */
	if (sev == SEV_OFF)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct report *r = c->r;
	r->findings = xrealloc(r->findings, (r->nfindings + 1) * sizeof(*r->findings));
	struct rep_finding *f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->rule = ri->id;
	f->severity = sev;
	f->message = xstrdup(msg);
	f->volume = w ? w->volume : 0;
	if (w) {
		f->path = xstrdup_or_null(w->path);
		f->stream = w->stream && *w->stream ? xstrdup(w->stream) : NULL;
		f->value = xstrdup_or_null(w->value);
		f->version = w->version && *w->version ? xstrdup(w->version) : NULL;
		f->sha256 = w->sha256 && *w->sha256 ? xstrdup(w->sha256) : NULL;
	}
}

static bool sha_eq(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

/* An allowlist entry names this file: path and hash must each match when
 * given. */
/* The signer of a valid signature is named by its CN or by the O of its
 * subject ("CN=Press HMI, O=Example Press Machinery KK, C=JP"). */
static bool signer_is(const struct sig_result *s, const char *want)
{
	const char *o;
	size_t wl = strlen(want);

	if (!s || s->status != SIG_VALID)
		return false;
	if (s->signer_name && !strcmp(s->signer_name, want))
		return true;
	for (o = s->signer; o && (o = strstr(o, "O=")); o += 2)
		if ((o == s->signer || o[-1] == ' ' || o[-1] == ',') && !strncmp(o + 2, want, wl) &&
		    (o[2 + wl] == ',' || o[2 + wl] == 0))
			return true;
	return false;
}

bool policy_allowed(const struct profile *p, const char *path, const char *sha256, const struct sig_result *sig)
{
	for (size_t i = 0; i < profile_nallows(p); i++) {
		const struct profile_allow *a = profile_allow(p, i);
		if (a->thumbprint || a->account || a->service)
			continue;   /* names a certificate, an account or a service, not a file */
		if (a->path && (!path || !profile_path_match(a->path, path)))
			continue;
		if (a->sha256 && !sha_eq(a->sha256, sha256))
			continue;
		if (a->signer && !signer_is(sig, a->signer))
			continue;
		return true;
	}
	return false;
}

static bool allowed(const struct profile *p, const char *path, const char *sha256)
{
	return policy_allowed(p, path, sha256, NULL);
}

/* --- What was scanned ----------------------------------------------- */

static void eval_detections(struct pctx *c)
{
	const struct report *r = c->r;

	for (size_t i = 0; i < r->ndet; i++) {
		const struct rep_detection *d = &r->det[i];
		const struct ioc_entry *e = c->ioc ? ioc_lookup(c->ioc, d->signature) : NULL;
		struct where w = { d->volume, d->path, d->signature, NULL, d->sha256, d->stream };

		if (e) {
			w.value = e->indicator;
			policy_add(c, e->hash ? "ioc-hash" : "ioc-string", SEV_FAIL, &w, "%s%s%s matches %s %s%s%s (%s line %u)",
			    d->path, d->stream[0] ? ":" : "", d->stream, e->kind, e->indicator, e->name ? ", " : "",
			    e->name ? e->name : "", e->feed, e->line);
		} else {
			policy_add(c, "malware", SEV_FAIL, &w, "ClamAV detected %s in %s%s%s", d->signature, d->path,
			    d->stream[0] ? ":" : "", d->stream);
		}
	}
}

static void eval_coverage(struct pctx *c)
{
	const struct report *r = c->r;
	bool any = false;

	for (size_t i = 0; i < r->nskip; i++) {
		const struct rep_skip *s = &r->skip[i];
		struct where w = { s->volume, s->path[0] ? s->path : NULL, NULL, NULL, NULL, s->stream };
		if (s->path[0])
			policy_add(c, "skipped-content", SEV_FAIL, &w, "%s%s%s not fully scanned: %s", s->path,
			    s->stream[0] ? ":" : "", s->stream, s->reason);
		else
			policy_add(c, "skipped-content", SEV_FAIL, &w, "volume %u not read: %s", s->volume, s->reason);
	}
	for (size_t i = 0; i < r->nvol; i++)
		any |= r->vol[i].scanned;
	if (!any)
		policy_add(c, "nothing-scanned", SEV_FAIL, NULL,
		    "no volume held a file system kenshu could walk: nothing on the disk was scanned");
	for (size_t i = 0; i < r->ngaps; i++) {
		const struct img_gap *g = &r->gaps[i];
		char where_[64];
		if (!g->holds_data)
			continue;
		snprintf(where_, sizeof(where_), "bytes %llu-%llu", (unsigned long long)g->offset,
			 (unsigned long long)(g->offset + g->size));
		struct where w = { 0, NULL, where_, NULL, NULL, NULL };
		policy_add(c, "data-outside-partitions", SEV_FAIL, &w,
		    "%llu bytes at offset %llu lie outside every partition and hold data%s",
		    (unsigned long long)g->size, (unsigned long long)g->offset, g->sampled ? " (sampled)" : "");
	}
	for (size_t i = 0; i < r->nos; i++) {
		const struct os_info *os = &r->os[i];
		for (int k = 0; k < 2; k++) {
			const struct os_hive *h = &os->hives[k];
			struct where w = { os->volume, h->path, NULL, NULL, NULL, NULL };
			if (h->name && hive_health_incomplete(&h->health))
				policy_add(c, "hive-incomplete", SEV_FAIL, &w, "the %s hive %s", h->name,
				    h->health.opened ? "has transaction logs Windows would replay" : "could not be read");
		}
		for (size_t k = 0; k < os->nuser_hives; k++) {
			const struct os_user_hive *h = &os->user_hives[k];
			struct where w = { os->volume, h->path, NULL, NULL, NULL, NULL };
			if (hive_health_incomplete(&h->health))
				policy_add(c, "hive-incomplete", SEV_FAIL, &w, "%s of %s %s", h->kind, h->user,
				    h->health.opened ? "has transaction logs Windows would replay" : "could not be read");
		}
		if (os->wmi_error) {
			struct where w = { os->volume, NULL, os->wmi_error, NULL, NULL, NULL };
			policy_add(c, "hive-incomplete", SEV_FAIL, &w, "the WMI repository could not be read: %s", os->wmi_error);
		}
		if (os->cross_check_differs) {
			struct where w = { os->volume, os->system_root, os->cross_check, NULL, NULL, NULL };
			policy_add(c, "identity-mismatch", SEV_FAIL, &w, "libguestfs %s", os->cross_check);
		}
	}
}

/* Days from 1970-01-01 of a "YYYY-MM-DD..." date, or -1. */
static long day_number(const char *iso)
{
	struct tm tm = { 0 };

	if (sscanf(iso, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	return t < 0 ? -1 : (long)(t / 86400);
}

static void eval_signatures(struct pctx *c)
{
	const struct rep_db *newest = NULL;

	for (size_t i = 0; i < c->ndbs; i++) {
		const struct rep_db *d = &c->dbs[i];
		if (d->official && d->build_time[0] && (!newest || strcmp(d->build_time, newest->build_time) > 0))
			newest = d;
	}
	if (!newest) {
		struct where w = { 0, NULL, c->dbdir, NULL, NULL, NULL };
		policy_add(c, "signature-missing", SEV_FAIL, &w,
		    "no official ClamAV database (.cvd/.cld) in %s: only custom signatures were used", c->dbdir);
		return;
	}
	long max = profile_int(c->p, "signatures", "max_age_days");
	long age = day_number(c->r->scan_date) - day_number(newest->build_time);
	if (age > max) {
		char ver[16];
		snprintf(ver, sizeof(ver), "%u", newest->version);
		struct where w = { 0, newest->name, newest->build_time, ver, newest->sha256, NULL };
		policy_add(c, "signature-age", SEV_FAIL, &w, "the newest database, %s version %u, was built %s: %ld days before the scan (at most %ld allowed)",
		    newest->name, newest->version, newest->build_time, age, max);
	}
}

/* --- Autostart entries ---------------------------------------------- */

/* The flags autorun_judge() sets, and the rule each one answers to. */
static const struct {
	unsigned flag;
	const char *rule;
} flag_rules[] = {
	{ AR_FLAG_DETECTED, "autorun-malware" },
	{ AR_FLAG_TARGET_MISSING, "autorun-target-missing" },
	{ AR_FLAG_USER_WRITABLE, "autorun-user-writable" },
	{ AR_FLAG_SCRIPT_HOST, "autorun-lolbin" },
	{ AR_FLAG_ENCODED, "autorun-encoded-command" },
	{ AR_FLAG_HIDDEN_TASK, "autorun-hidden-task" },
	{ AR_FLAG_MASQUERADE, "autorun-masquerade" },
	{ AR_FLAG_WINLOGON, "autorun-winlogon-modified" },
	{ AR_FLAG_IFEO_ACCESSIBILITY, "autorun-ifeo-debugger" },
	{ AR_FLAG_PATH_HIJACK, "autorun-path-hijack" },
	{ AR_FLAG_OTHER_CONTROL_SET, "autorun-other-control-set" },
	{ AR_FLAG_COM_HIJACK, "autorun-com-hijack" },
	{ AR_FLAG_TASK_UNREGISTERED, "autorun-task-unregistered" },
	{ AR_FLAG_WMI_CONSUMER, "autorun-wmi-consumer" },
	{ AR_FLAG_RENAMED, "autorun-renamed" },
};

/* Locations that are a rule by themselves, whatever the entry's flags. */
static const struct {
	const char *category;
	const char *rule;
} category_rules[] = {
	{ "AppInit DLLs", "autorun-appinit" },
};

static const char *flag_reason(unsigned flag)
{
	for (size_t i = 0; i < ar_nflag_info; i++)
		if (ar_flag_info[i].flag == flag)
			return ar_flag_info[i].reason;
	return "";
}

static void eval_autoruns(struct pctx *c)
{
	const struct report *r = c->r;

	for (size_t i = 0; i < r->nos; i++) {
		const struct os_info *os = &r->os[i];
		for (size_t k = 0; k < os->autoruns.n; k++) {
			const struct autorun *a = &os->autoruns.v[k];
			char where_[2048];
			/* "KEY [Value]": a service's ...\Services\HTTP [ImagePath], not a subkey HTTP\HTTP. */
			char *at = autorun_where(a);
			snprintf(where_, sizeof(where_), "%s%s%s%s", at, a->user ? " (user " : "", a->user ? a->user : "",
				 a->user ? ")" : "");
			free(at);
			struct where w = { a->volume, a->target ? a->target : where_, a->command, NULL, a->target_sha256, NULL };
			if (a->pe && a->pe->fixed_version[0])
				w.version = a->pe->fixed_version;
			for (size_t f = 0; f < sizeof(flag_rules) / sizeof(flag_rules[0]); f++) {
				if (!(a->flags & flag_rules[f].flag))
					continue;
				/* An IOC hit on the target is ioc-hash/ioc-string, already a finding. */
				if (flag_rules[f].flag == AR_FLAG_DETECTED && c->ioc && a->target_detection &&
				    ioc_lookup(c->ioc, a->target_detection))
					continue;
				/* Worded by what is known of the entry, not one sentence for all. */
				char *why = flag_rules[f].flag == AR_FLAG_TARGET_MISSING
					? autorun_missing_reason(a, autorun_in_system_root(a, os->system_root)) : NULL;
				policy_add(c, flag_rules[f].rule, SEV_FAIL, &w, "%s: %s%s%s", where_,
				    why ? why : flag_reason(flag_rules[f].flag),
				    a->target_detection && flag_rules[f].flag == AR_FLAG_DETECTED ? ": " : "",
				    a->target_detection && flag_rules[f].flag == AR_FLAG_DETECTED ? a->target_detection : "");
				free(why);
			}
			for (size_t f = 0; f < sizeof(category_rules) / sizeof(category_rules[0]); f++)
				if (a->category && !strcmp(a->category, category_rules[f].category) && a->command && *a->command)
					policy_add(c, category_rules[f].rule, SEV_FAIL, &w, "%s loads %s", where_, a->command);
			if (!autorun_is_windows_default(a, os->system_root) &&
			    !policy_allowed(c->p, a->target, a->target_sha256, a->target_sig)) {
				char why[1024];
				autorun_trust_note(a, why, sizeof(why));
				policy_add(c, "autorun-unknown", SEV_FAIL, &w, "%s (%s) runs %s: not Windows' own%s%s%s and not on the allowlist",
				    where_, a->category, a->command ? a->command : "(nothing)", why[0] ? " (" : "", why, why[0] ? ")" : "");
			}
		}
	}
}

/* --- Patch level and hardening (os_info.posture) --------------------- */

static void eval_posture(struct pctx *c)
{
	const struct report *r = c->r;
	enum severity absent = profile_key_severity(c->p, "hardening", "absent");

	for (size_t i = 0; i < r->nos; i++) {
		const struct os_info *os = &r->os[i];
		for (size_t k = 0; k < os->posture.n; k++) {
			const struct posture_check *pc = &os->posture.c[k];
			struct where w = { os->volume, NULL, pc->evidence, NULL, NULL, NULL };
			switch (pc->state) {
			case POSTURE_UNSAFE:
			case POSTURE_ABSENT_UNSAFE:
			case POSTURE_INFO:
				policy_add(c, pc->rule, SEV_FAIL, &w, "%s", pc->message);
				break;
			case POSTURE_ABSENT_SAFE:
			case POSTURE_UNKNOWN:
				policy_add(c, pc->rule, absent, &w, "%s", pc->message);
				break;
			case POSTURE_SAFE:
			case POSTURE_NOT_APPLICABLE:
				break;
			}
		}
	}
}

/* --- The image's own certificate stores (os_info.certstores) --------- */

static bool thumbprint_allowed(const struct profile *p, const char *sha1)
{
	for (size_t i = 0; i < profile_nallows(p); i++) {
		const struct profile_allow *a = profile_allow(p, i);
		if (a->thumbprint && !strcasecmp(a->thumbprint, sha1))
			return true;
	}
	return false;
}

/* One finding per root the image trusts that the anchors do not hold. */
static void eval_certstores(struct pctx *c)
{
	const struct report *r = c->r;

	for (size_t i = 0; i < r->nos; i++) {
		const struct cert_store_list *l = &r->os[i].certstores;
		for (size_t k = 0; k < l->n; k++) {
			const struct cert_store_entry *e = &l->v[k];
			char scope[160], why[320], key_note[128] = "";
			if (!cert_store_added_root(l, e) || thumbprint_allowed(c->p, e->cert.sha1))
				continue;
			if (e->user)
				snprintf(scope, sizeof(scope), "%s %s", e->scope, e->user);
			else
				snprintf(scope, sizeof(scope), "%s", e->scope);
			if (l->anchors_builtin)
				snprintf(why, sizeof(why), "not in Microsoft's root program");
			else
				snprintf(why, sizeof(why), "not in the trust anchors (%.256s)",
					 l->anchors_name ? l->anchors_name : "a plant's own file");
			/* A key not named by the certificate's SHA-1 was written by hand. */
			if (!e->thumbprint_matches)
				snprintf(key_note, sizeof(key_note), ", under a key named %.60s, not its SHA-1", e->thumbprint);
			struct where w = { r->os[i].volume, e->key, e->cert.sha1, NULL, NULL, NULL };
			policy_add(c, "trusted-root-added", SEV_FAIL, &w, "%s %s store trusts %s (thumbprint %s%s): %s", scope,
			    e->store, e->cert.subject ? e->cert.subject : "(no subject)", e->cert.sha1, key_note, why);
		}
	}
}

/* --- Files --------------------------------------------------------------- */

static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);

	return n > e && !strcasecmp(path + n - e, ext) && path[n - e - 1] != '/';
}

static bool under(const char *path, const char *const *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *pat = xasprintf("%s/**", dirs[i]);
		bool m = profile_path_match(pat, path);
		free(pat);
		if (m)
			return true;
	}
	return false;
}

static void eval_files(struct pctx *c)
{
	const struct report *r = c->r;
	size_t next, nsys;
	const char *const *ext = profile_list(c->p, "files", "risky_extensions", &next);
	const char *const *sys = profile_list(c->p, "files", "system_dirs", &nsys);

	for (size_t i = 0; i < r->nfiles; i++) {
		const struct rep_file *f = &r->files[i];
		if (f->stream[0] || f->link_of || (f->flags & FS_F_DIRECTORY))
			continue;
		for (size_t k = 0; k < next; k++) {
			if (!has_ext(f->path, ext[k]))
				continue;
			if (!under(f->path, sys, nsys) && !allowed(c->p, f->path, f->sha256)) {
				struct where w = { f->volume, f->path, ext[k], NULL, f->sha256, NULL };
				policy_add(c, "risky-file-type", SEV_FAIL, &w, "%s: a %s file outside the system folders", f->path, ext[k]);
			}
			break;
		}
	}
	if (!profile_bool(c->p, "files", "macros"))
		return;
	for (size_t i = 0; i < r->nmacros; i++) {
		const struct rep_detection *m = &r->macros[i];
		if (allowed(c->p, m->path, m->sha256))
			continue;
		struct where w = { m->volume, m->path, m->signature, NULL, m->sha256, m->stream };
		policy_add(c, "risky-file-type", SEV_FAIL, &w, "%s%s%s: an Office document with macros (%s)", m->path,
		    m->stream[0] ? ":" : "", m->stream, m->signature);
	}
}

/* --- Changes since the baseline (scan --baseline) ------------------- */

static bool any_match(const char *const *globs, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (profile_path_match(globs[i], path))
			return true;
	return false;
}

static bool executable(const struct drift_file *f, const char *const *ext, size_t n)
{
	/* An alternate data stream named like a program is one, whatever its file. */
	const char *name = f->stream[0] ? f->stream : f->path;

	for (size_t i = 0; i < n; i++)
		if (has_ext(name, ext[i]))
			return true;
	return false;
}

static void eval_drift_files(struct pctx *c, const struct drift *d)
{
	size_t next, nsys, nign;
	const char *const *ext = profile_list(c->p, "drift", "executable_extensions", &next);
	const char *const *sys = profile_list(c->p, "files", "system_dirs", &nsys);
	const char *const *ign = profile_list(c->p, "drift", "ignore", &nign);

	for (size_t i = 0; i < d->nfiles; i++) {
		const struct drift_file *f = &d->files[i];
		const char *sha = f->change == DRIFT_REMOVED ? f->old_sha256 : f->new_sha256;
		struct where w = { f->volume, f->path, f->stream[0] ? f->stream : NULL, NULL, sha, f->stream };
		const char *colon = f->stream[0] ? ":" : "";

		if (f->directory || any_match(ign, nign, f->path) || allowed(c->p, f->path, sha))
			continue;
		bool system = under(f->path, sys, nsys), exe = executable(f, ext, next);
		if (system && f->change == DRIFT_REMOVED)
			policy_add(c, "drift-changed-system-file", SEV_FAIL, &w, "%s%s%s was removed since the baseline", f->path,
			    colon, f->stream);
		else if (system && f->change == DRIFT_CHANGED)
			policy_add(c, "drift-changed-system-file", SEV_FAIL, &w,
			    "%s%s%s changed since the baseline (SHA-256 %.12s... -> %.12s...)", f->path, colon, f->stream,
			    f->old_sha256[0] ? f->old_sha256 : "unread", f->new_sha256[0] ? f->new_sha256 : "unread");
		else if (exe && f->change == DRIFT_ADDED)
			policy_add(c, "drift-new-executable", SEV_FAIL, &w, "%s%s%s is a new executable since the baseline", f->path,
			    colon, f->stream);
		else if (exe && f->change == DRIFT_CHANGED)
			policy_add(c, "drift-new-executable", SEV_FAIL, &w,
			    "%s%s%s changed since the baseline: a new executable under an old name", f->path, colon, f->stream);
	}
}

static void eval_drift(struct pctx *c)
{
	const struct drift *d = c->r->drift;

	if (!d)
		return;
	eval_drift_files(c, d);
	for (size_t i = 0; i < d->nautoruns; i++) {
		const struct drift_autorun *a = &d->autoruns[i];
		struct where w = { a->volume, a->target, a->command, NULL, a->target_sha256, NULL };

		bool runs_else = false;
		for (size_t k = 0; k < a->nf; k++)
			runs_else |= strcmp(a->f[k].name, "flags") != 0;
		/* A removed entry, or one whose flags alone changed (its target
		 * deleted, say), starts nothing new. */
		if (a->change == DRIFT_REMOVED || (a->change == DRIFT_CHANGED && !runs_else) ||
		    (a->target && allowed(c->p, a->target, a->target_sha256)))
			continue;
		if (a->change == DRIFT_ADDED) {
			policy_add(c, "drift-new-autorun", SEV_FAIL, &w, "new autostart entry since the baseline: %s '%s' runs %s",
			    a->location, a->name, a->command);
		} else {
			char what[256] = "";
			for (size_t k = 0, o = 0; k < a->nf && o < sizeof(what); k++)
				o += (size_t)snprintf(what + o, sizeof(what) - o, "%s%s", k ? ", " : "", a->f[k].name);
			policy_add(c, "drift-new-autorun", SEV_FAIL, &w, "autostart entry %s '%s' changed since the baseline (%s): now runs %s",
			    a->location, a->name, what, a->command);
		}
	}
}

/* --- Waivers ------------------------------------------------------------- */

static bool waiver_matches(const struct profile_waiver *wv, const struct rep_finding *f)
{
	if (strcmp(wv->rule, f->rule) != 0)
		return false;
	/* "*" alone is every finding of the rule, image-wide ones (hardening) too. */
	if (wv->path && strcmp(wv->path, "*") != 0 && (!f->path || !profile_path_match(wv->path, f->path)))
		return false;
	if (wv->sha256 && !sha_eq(wv->sha256, f->sha256))
		return false;
	return true;
}

static void apply_waivers(struct pctx *c)
{
	struct report *r = c->r;
	size_t n = profile_nwaivers(c->p);

	r->waivers = n ? xcalloc(n, sizeof(*r->waivers)) : NULL;
	r->nwaivers = n;
	for (size_t i = 0; i < n; i++) {
		const struct profile_waiver *wv = profile_waiver(c->p, i);
		struct rep_waiver *rw = &r->waivers[i];
		profile_waiver_copy(&rw->w, wv);
		/* Applies through its expiry day. */
		bool expired = strcmp(r->scan_date, wv->expires) > 0;
		rw->status = expired ? "expired" : "unused";
		if (expired)
			continue;
		for (size_t k = 0; k < r->nfindings; k++) {
			struct rep_finding *f = &r->findings[k];
			if (f->waiver || !waiver_matches(wv, f))
				continue;
			f->waiver = xstrdup(wv->name);
			rw->applied++;
			rw->status = "applied";
		}
	}
	/* Reported after matching, so an expired waiver cannot lift its own finding. */
	for (size_t i = 0; i < n; i++) {
		struct rep_waiver *rw = &r->waivers[i];
		if (strcmp(rw->status, "expired") != 0)
			continue;
		const struct profile_waiver *x = &rw->w;
		struct where w = { 0, x->path, x->name, NULL, x->sha256, NULL };
		policy_add(c, "waiver-expired", SEV_FAIL, &w, "waiver '%s' for %s expired on %s (%s): it no longer applies",
		    x->name, x->rule, x->expires, x->origin);
	}
}

/* --- Order and verdict ---------------------------------------------- */

static int finding_cmp(const void *a, const void *b)
{
	const struct rep_finding *x = a, *y = b;
	int c;

	if ((x->waiver != NULL) != (y->waiver != NULL))
		return x->waiver ? 1 : -1;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if ((c = rule_index(x->rule) - rule_index(y->rule)))
		return c;
	if (x->volume != y->volume)
		return x->volume < y->volume ? -1 : 1;
	if ((c = strcmp(x->path ? x->path : "", y->path ? y->path : "")))
		return c;
	if ((c = strcmp(x->value ? x->value : "", y->value ? y->value : "")))
		return c;
	return strcmp(x->message, y->message);
}

static bool decisive(const struct rep_finding *f, enum severity worst)
{
	return !f->waiver && f->severity == worst;
}

static void decide(struct report *r)
{
	enum severity worst = SEV_OFF;
	char reason[1024];
	size_t o = 0, ninfo = 0, nwaived = 0;

	for (size_t i = 0; i < r->nfindings; i++) {
		const struct rep_finding *f = &r->findings[i];
		if (f->waiver)
			nwaived++;
		else if (f->severity > worst)
			worst = f->severity;
		ninfo += !f->waiver && f->severity == SEV_INFO;
	}
	r->verdict = worst == SEV_FAIL ? VERDICT_FAIL : worst == SEV_REVIEW ? VERDICT_REVIEW : VERDICT_PASS;
	if (worst < SEV_REVIEW) {
		snprintf(reason, sizeof(reason), "no finding fails or needs review (%zu for information, %zu waived)",
			 ninfo, nwaived);
	} else {
		/* Sorted decisive first and by rule: the decisive findings are a
		 * prefix, in runs of one rule. Each run is named with its count. */
		const char *sep = "";
		o = (size_t)snprintf(reason, sizeof(reason), "%s: ", worst == SEV_FAIL ? "rejected by" : "needs review for");
		for (size_t i = 0, k; i < r->nfindings && decisive(&r->findings[i], worst) && o < sizeof(reason) - 64; i = k) {
			for (k = i; k < r->nfindings && decisive(&r->findings[k], worst) &&
				    r->findings[k].rule == r->findings[i].rule; k++)
				;
			o += (size_t)snprintf(reason + o, sizeof(reason) - o, "%s%s (%zu)", sep, r->findings[i].rule, k - i);
			sep = ", ";
		}
	}
	free(r->verdict_reason);
	r->verdict_reason = xstrdup(reason);
}

/* The scan set r->scan_date (scandate.h); a report built by hand that
 * did not is judged as of the day it started. */
static void scan_date_default(struct report *r)
{
	if (r->scan_date[0])
		return;
	memcpy(r->scan_date, r->started, 10);
	r->scan_date[10] = '\0';
}

/* Each part of the report, in rule-table order of the rules it serves. */
static void (*const evaluators[])(struct pctx *) = {
	eval_detections, eval_coverage, eval_signatures, eval_autoruns, eval_code_signatures, eval_posture,
	eval_accounts, eval_defender, eval_certstores, eval_files, eval_yara, eval_eventlogs, eval_drift,
};

void policy_apply(const struct profile *p, struct report *r)
{
	struct pctx c = { .p = p, .dbs = r->engine.dbs, .ndbs = r->engine.ndbs,
			  .dbdir = r->engine.dbdir ? r->engine.dbdir : "", .r = r, .ioc = profile_ioc(p) };

	scan_date_default(r);
	free(r->profile_name);
	free(r->profile_source);
	r->profile_name = xstrdup(profile_name(p));
	r->profile_source = xstrdup(profile_source(p));
	memcpy(r->profile_sha256, profile_sha256(p), sizeof(r->profile_sha256));
	memcpy(r->profile_effective_sha256, profile_effective_sha256(p), sizeof(r->profile_effective_sha256));
	r->nprofile_files = profile_nfiles(p);
	r->profile_files = xcalloc(r->nprofile_files ? r->nprofile_files : 1, sizeof(*r->profile_files));
	for (size_t i = 0; i < r->nprofile_files; i++) {
		r->profile_files[i] = *profile_file(p, i);
		r->profile_files[i].source = xstrdup(r->profile_files[i].source);
	}

	for (size_t i = 0; i < sizeof(evaluators) / sizeof(evaluators[0]); i++)
		evaluators[i](&c);
	apply_waivers(&c);
	if (r->nfindings > 1)
		qsort(r->findings, r->nfindings, sizeof(*r->findings), finding_cmp);
	decide(r);
}
