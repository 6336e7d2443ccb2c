/* Defender's own traces (report.json os[].defender): exclusions that hide
 * code from it, Group Policy switching it off, what it quarantined that
 * our engines no longer call malware, and what its detection history
 * says it detected. A quarantined payload our
 * engines still detect is a detection (rule malware, its stream saying
 * "quarantine: ..."), not judged again here. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/evidence.h>
#include <kenshu/policy.h>
#include "policy_internal.h"


static void eval_exclusions(struct pctx *c, unsigned vol, const struct os_defender *d)
{
	for (size_t k = 0; k < d->nexcl; k++) {
		const struct def_exclusion *x = &d->excl[k];
		struct where w = { vol, x->source, x->value, NULL, NULL, NULL };
		char list[512] = "";
		size_t o = 0;

		if (!x->covers_total && !x->risky_extension)
			continue;      /* listed in the report; nothing of ours lies under it */
		for (size_t i = 0; i < x->ncovers && o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? "; " : "", x->covers[i]);
		if (x->covers_total > x->ncovers && o < sizeof(list))
			snprintf(list + o, sizeof(list) - o, "; and %zu more", x->covers_total - x->ncovers);
		if (x->covers_total)
			policy_add(c, "defender-exclusion", SEV_FAIL, &w,
				   "the Defender %s exclusion '%s' (%s) covers %zu %s: %s", x->kind_name, x->value,
				   x->source, x->covers_total, x->covers_autorun ? "item(s), autostart targets among them" :
				   "executable(s)", list);
		else
			policy_add(c, "defender-exclusion", SEV_FAIL, &w,
				   "the Defender extension exclusion '%s' (%s) hides every .%s file from it", x->value,
				   x->source, x->pattern);
	}
}

static void eval_policy(struct pctx *c, unsigned vol, const struct def_policy *p)
{
	static const char base[] = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender";
	static const char rt[] = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection";
	const struct {
		bool on;
		const char *key, *value, *what;
	} s[] = {
		{ p->has_disable_antispyware && p->disable_antispyware == 1, base, "DisableAntiSpyware",
		  "Group Policy turns Windows Defender off" },
		{ p->has_disable_antivirus && p->disable_antivirus == 1, base, "DisableAntiVirus",
		  "Group Policy turns Defender's antivirus off" },
		{ p->has_disable_realtime && p->disable_realtime == 1, rt, "DisableRealtimeMonitoring",
		  "Group Policy turns Defender's real-time protection off" },
		{ p->has_disable_behavior && p->disable_behavior == 1, rt, "DisableBehaviorMonitoring",
		  "Group Policy turns Defender's behavior monitoring off" },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		struct where w = { vol, s[i].key, s[i].value, NULL, NULL, NULL };
		if (s[i].on)
			policy_add(c, "defender-disabled-policy", SEV_FAIL, &w, "%s (%s [%s] = 1)", s[i].what, s[i].key,
				   s[i].value);
	}
}

static bool detected(const struct report *r, unsigned vol, const char *path, const char *stream)
{
	for (size_t i = 0; path && i < r->ndet; i++)
		if (r->det[i].volume == vol && !strcmp(r->det[i].path, path) && !strcmp(r->det[i].stream, stream))
			return true;
	return false;
}

static void eval_quarantine(struct pctx *c, unsigned vol, const struct os_defender *d)
{
	for (size_t k = 0; k < d->nquar; k++) {
		const struct def_quarantined *q = &d->quar[k];
		char stream[1024];
		struct where w = { vol, q->resource_path ? q->resource_path : q->entry, q->threat, NULL,
				   q->decoded ? q->sha256 : NULL, NULL };

		snprintf(stream, sizeof(stream), "quarantine: %s", q->original_path);
		if (q->decoded && detected(c->r, vol, q->resource_path, stream))
			continue;      /* a detection already: rule malware */
		policy_add(c, "defender-quarantine", SEV_FAIL, &w,
			   "Windows Defender quarantined %s '%s' as %s%s%s (entry %s)%s%s", q->type, q->original_path,
			   q->threat, q->time[0] ? " on " : "", q->time, q->guid,
			   q->decoded ? "; our engines find nothing in the payload" : q->error ? "; payload not decoded: " : "",
			   !q->decoded && q->error ? q->error : "");
	}
}

/* Case-insensitive lookups (a linear pass each) per installation: Defender
 * writes a path as it was opened, so the exact lookup usually finds it. */
#define HISTORY_CI_LOOKUPS 64u

static const struct rep_file *find_file(const struct report *r, unsigned vol, const char *path, unsigned *budget)
{
	const struct rep_file *f = report_find_file(r, vol, path, "");

	if (f || !*budget)
		return f;
	(*budget)--;
	for (size_t k = 0; k < r->nfiles; k++)
		if (r->files[k].volume == vol && !r->files[k].stream[0] && !strcasecmp(r->files[k].path, path))
			return &r->files[k];
	return NULL;
}

static void eval_history(struct pctx *c, unsigned vol, const struct os_defender *d)
{
	unsigned budget = HISTORY_CI_LOOKUPS;

	for (size_t k = 0; k < d->nhist; k++) {
		const struct def_detection *h = &d->hist[k];
		const struct def_det_resource *res = NULL;
		const struct rep_file *f = NULL;
		char state[600] = "", more[48] = "";

		for (size_t i = 0; i < h->nres && !res; i++)
			if (h->res[i].path)
				res = &h->res[i];
		if (res)
			f = find_file(c->r, vol, res->path, &budget);
		else if (h->nres)
			res = &h->res[0];
		if (f)
			snprintf(state, sizeof(state), "; the file is still in the image as %s%s", f->path,
				 res->sha256[0] && f->sha256[0] && !strcmp(res->sha256, f->sha256) ?
				 " (same SHA-256 as Defender recorded)" : "");
		else if (res && res->path)
			snprintf(state, sizeof(state), "; the file is gone from the image (%s)", res->path);
		else if (res)
			snprintf(state, sizeof(state), "; not a file on this volume");
		if (h->nres > 1)
			snprintf(more, sizeof(more), " and %zu more resource%s", h->nres - 1, h->nres > 2 ? "s" : "");

		struct where w = { vol, f ? f->path : h->file, h->threat, NULL, f && f->sha256[0] ? f->sha256 : NULL,
				   NULL };
		policy_add(c, "defender-history", SEV_FAIL, &w,
			   "Windows Defender's detection history records %s in %s %s%s at %s (%s)%s",
			   h->threat[0] ? h->threat : "an unnamed threat", res ? res->kind : "an unnamed",
			   res ? res->location : "resource", more, h->time[0] ? h->time : "an unknown time", h->file, state);
	}
}

void eval_defender(struct pctx *c)
{
	const struct report *r = c->r;

	for (size_t i = 0; r->evidence && i < r->nos; i++) {
		const struct os_defender *d = &r->evidence[i].defender;
		eval_exclusions(c, r->os[i].volume, d);
		eval_policy(c, r->os[i].volume, &d->policy);
		eval_quarantine(c, r->os[i].volume, d);
		eval_history(c, r->os[i].volume, d);
	}
}
#include <kenshu/banned.h>
