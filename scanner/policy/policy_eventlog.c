/* The event logs (report->evidence[i].eventlogs): what Windows itself
 * wrote down before delivery — a cleared log, a Defender detection or
 * protection switched off, a service or account added, remote logons —
 * and the logs that could not be read whole. Every finding names the log
 * file and the record. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/evidence.h>
#include <kenshu/policy.h>
#include "policy_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *get(const struct ev_event *e, const char *name)
{
	for (size_t i = 0; i < e->ndata; i++)
		if (!strcmp(e->data[i].name, name))
			return e->data[i].value;
	return NULL;
}

static const char *dash(const char *s)
{
	return s && *s && strcmp(s, "-") ? s : NULL;
}

static void when(const struct ev_event *e, char *buf, size_t n)
{
	ks_iso_time(e->time == EVT_TIME_UNKNOWN ? 0 : (time_t)e->time, buf, n);
	if (!*buf)
		snprintf(buf, n, "an unknown time");
}

/* Where: the log file and "record N (event ID)"; value points into buf. */
static struct where where_of(const struct os_info *os, const struct ev_event *e, char *buf, size_t n)
{
	snprintf(buf, n, "record %llu (event %u%s)", (unsigned long long)e->record_id, e->event_id,
		 e->recovered ? ", recovered" : "");
	return (struct where){ os->volume, e->log, buf, NULL, NULL, NULL };
}

/* "DOMAIN\user", "user" or "an unnamed account" */
static void who(const struct ev_event *e, const char *user_key, const char *domain_key, char *buf, size_t n)
{
	const char *u = dash(get(e, user_key)), *d = dash(get(e, domain_key));

	if (u && d)
		snprintf(buf, n, "%.80s\\%.80s", d, u);
	else if (u)
		snprintf(buf, n, "%.160s", u);
	else if (*e->user)
		snprintf(buf, n, "%.160s", e->user);
	else
		snprintf(buf, n, "an unnamed account");
}

static bool name_allowed(const struct profile *p, const char *name, bool service)
{
	if (!name)
		return false;
	for (size_t i = 0; i < profile_nallows(p); i++) {
		const struct profile_allow *a = profile_allow(p, i);
		const char *want = service ? a->service : a->account;
		if (want && !strcasecmp(want, name))
			return true;
	}
	return false;
}

static void cleared(struct pctx *c, const struct os_info *os, const struct ev_event *e)
{
	char t[32], wb[80], by[200];
	/* 104 names the log in Channel; 1102 (and XP's 517) is the Security log's own */
	const char *log = e->event_id == 104 ? dash(get(e, "Channel")) : "Security";
	struct where w = where_of(os, e, wb, sizeof(wb));

	when(e, t, sizeof(t));
	if (e->event_id == 517)
		snprintf(by, sizeof(by), "%.80s", dash(get(e, "4")) ? get(e, "4") : "an unnamed account");
	else
		who(e, "SubjectUserName", "SubjectDomainName", by, sizeof(by));
	policy_add(c, "eventlog-cleared", SEV_REVIEW, &w, "the %.80s log was cleared at %s by %s (event %u)",
		   log ? log : "unnamed", t, by, e->event_id);
}

static const char *threat_path(const struct ev_event *e)
{
	return ev_defender_resource(get(e, "Path"), "an unnamed resource");
}

static bool detected_earlier(const struct ev_eventlogs *el, const struct ev_event *act)
{
	for (size_t i = 0; i < el->nevents; i++) {
		const struct ev_event *d = &el->events[i];
		const char *a = get(d, "Threat Name"), *b = get(act, "Threat Name");
		if (d->kind == EV_DEFENDER_DETECTION && a && b && !strcmp(a, b) &&
		    !strcmp(threat_path(d), threat_path(act)))
			return true;
	}
	return false;
}

static void detection(struct pctx *c, const struct os_info *os, const struct ev_eventlogs *el,
		      const struct ev_event *e)
{
	char t[32], wb[80];
	struct where w = where_of(os, e, wb, sizeof(wb));
	const char *threat = get(e, "Threat Name"), *action = dash(get(e, "Action Name"));

	if (action && !strncmp(action, "%%", 2))
		action = NULL;   /* a message id the log did not resolve ("%%887": not applicable) */

	/* 1117 is the action on what 1116 reported: one finding per threat */
	if (e->kind == EV_DEFENDER_ACTION && detected_earlier(el, e))
		return;
	when(e, t, sizeof(t));
	policy_add(c, "eventlog-defender-detection", SEV_FAIL, &w,
		   "Windows Defender detected %.200s in %.300s at %s (event %u%s%.80s)",
		   threat && *threat ? threat : "a threat", threat_path(e), t, e->event_id,
		   action ? ", action: " : "", action ? action : "");
}

/* A 5007 that weakens Defender: an exclusion added, a Disable* value set. */
static const char *weakening(const struct ev_event *e)
{
	const char *nv = get(e, "New Value"), *ov = get(e, "Old Value");
	size_t n;

	if (!nv)
		return NULL;
	if (strcasestr(nv, "\\Exclusions\\") && (!ov || strcmp(ov, nv)))
		return "an exclusion was added";
	n = strlen(nv);
	if (strcasestr(nv, "\\Disable") && n >= 5 && !strcasecmp(nv + n - 5, "= 0x1"))
		return "a feature was turned off";
	if (strcasestr(nv, "TamperProtection =") && n >= 5 && !strcasecmp(nv + n - 5, "= 0x4"))
		return "tamper protection was turned off";
	return NULL;
}

static void defender_off(struct pctx *c, const struct os_info *os, const struct ev_event *e)
{
	static const struct {
		uint32_t id;
		const char *what;
	} off[] = {
		{ 5001, "real-time protection was disabled" },
		{ 5010, "scanning for malware and other unwanted software was disabled" },
		{ 5012, "scanning for viruses was disabled" },
	};
	char t[32], wb[80];
	struct where w = where_of(os, e, wb, sizeof(wb));

	when(e, t, sizeof(t));
	if (e->kind == EV_DEFENDER_CONFIG_CHANGED) {
		const char *why = weakening(e);
		if (why)
			policy_add(c, "eventlog-defender-disabled", SEV_REVIEW, &w,
				   "Windows Defender's configuration changed at %s: %s (%.300s)", t, why,
				   get(e, "New Value"));
		return;
	}
	for (size_t i = 0; i < N(off); i++)
		if (off[i].id == e->event_id)
			policy_add(c, "eventlog-defender-disabled", SEV_REVIEW, &w, "Windows Defender: %s at %s (event %u)",
				   off[i].what, t, e->event_id);
}

static void service(struct pctx *c, const struct os_info *os, const struct ev_event *e)
{
	char t[32], wb[80];
	struct where w = where_of(os, e, wb, sizeof(wb));

	if (e->windows_image || name_allowed(c->p, e->service, true))
		return;
	when(e, t, sizeof(t));
	policy_add(c, "eventlog-service-installed", SEV_REVIEW, &w,
		   "the service '%.120s' (image %.300s) was installed at %s (event %u)%s",
		   e->service ? e->service : "(unnamed)", e->image ? e->image : "(none)", t, e->event_id,
		   e->service_present ? "" : "; installed and later removed: the SYSTEM hive no longer has it");
}

/* Administrators, Remote Desktop Users; Domain, Schema and Enterprise Admins. */
static bool privileged_group(const struct ev_event *e)
{
	static const char *const names[] = { "Administrators", "Remote Desktop Users", "Domain Admins",
					     "Enterprise Admins", "Schema Admins" };
	static const char *const rids[] = { "-512", "-518", "-519" };
	const char *sid = get(e, "TargetSid"), *name = get(e, "TargetUserName");

	if (sid) {
		size_t n = strlen(sid);
		if (!strcmp(sid, "S-1-5-32-544") || !strcmp(sid, "S-1-5-32-555"))
			return true;
		for (size_t i = 0; i < N(rids); i++)
			if (!strncmp(sid, "S-1-5-21-", 9) && n > 4 && !strcmp(sid + n - 4, rids[i]))
				return true;
	}
	for (size_t i = 0; i < N(names); i++) {
		if (name && !strcasecmp(name, names[i]))
			return true;
		/* XP's positional strings: the group's name is one of them */
		for (size_t k = 0; !name && k < e->ndata; k++)
			if (!strcasecmp(e->data[k].value, names[i]))
				return true;
	}
	return false;
}

/* A member SID of a local account: its name from the SAM, else NULL. */
static const char *sam_name(const struct os_info *os, const char *sid)
{
	const char *dash_rid = sid ? strrchr(sid, '-') : NULL;

	if (!dash_rid || strncmp(sid, "S-1-5-21-", 9))
		return NULL;
	for (size_t i = 0; i < os->accounts.n; i++) {
		char rid[16];
		snprintf(rid, sizeof(rid), "-%u", os->accounts.v[i].rid);
		if (!strcmp(dash_rid, rid))
			return os->accounts.v[i].name;
	}
	return NULL;
}

static void account(struct pctx *c, const struct os_info *os, const struct ev_event *e)
{
	char t[32], wb[80], by[200];
	struct where w = where_of(os, e, wb, sizeof(wb));

	when(e, t, sizeof(t));
	who(e, "SubjectUserName", "SubjectDomainName", by, sizeof(by));
	if (e->kind != EV_GROUP_MEMBER_ADDED) {
		const char *name = dash(get(e, "TargetUserName"));
		if (!name && e->event_id < 1000)
			name = dash(get(e, "1"));   /* XP: the new account's name comes first */
		if (name_allowed(c->p, name, false))
			return;
		policy_add(c, "eventlog-account-added", SEV_REVIEW, &w, "the account '%.120s' was %s at %s by %s (event %u)",
			   name ? name : "(unnamed)", e->kind == EV_ACCOUNT_CREATED ? "created" : "enabled", t, by,
			   e->event_id);
		return;
	}
	if (!privileged_group(e))
		return;
	const char *sid = dash(get(e, "MemberSid"));
	const char *member = dash(get(e, "MemberName"));
	if (!member)
		member = sam_name(os, sid);
	if (name_allowed(c->p, member, false))
		return;
	const char *group = dash(get(e, "TargetUserName"));
	policy_add(c, "eventlog-account-added", SEV_REVIEW, &w, "%.160s%s%.80s%s was added to %.80s at %s by %s (event %u)",
		   member ? member : sid ? sid : "an unnamed account", member && sid ? " (" : "",
		   member && sid ? sid : "", member && sid ? ")" : "", group ? group : "a privileged group", t, by,
		   e->event_id);
}

/* One finding per user and source address: a vendor's commissioning
 * sessions are many logons of one account from one laptop. */
static void remote_logons(struct pctx *c, const struct os_info *os, const struct ev_eventlogs *el)
{
	for (size_t i = 0; i < el->nevents; i++) {
		const struct ev_event *e = &el->events[i];
		const char *u = e->event_id == 1149 ? get(e, "Param1") : get(e, "TargetUserName");
		const char *a = e->event_id == 1149 ? get(e, "Param3") : get(e, "IpAddress");
		bool dup = false;
		size_t n = 0;
		int64_t oldest = e->time;

		if (e->kind != EV_RDP_LOGON)
			continue;
		u = dash(u) ? u : "(unnamed)";
		a = dash(a) ? a : "an unknown address";
		/* sorted newest first: the first of a pair reports it */
		for (size_t k = 0; k < el->nevents; k++) {
			const struct ev_event *o = &el->events[k];
			const char *ou = o->event_id == 1149 ? get(o, "Param1") : get(o, "TargetUserName");
			const char *oa = o->event_id == 1149 ? get(o, "Param3") : get(o, "IpAddress");
			if (o->kind != EV_RDP_LOGON || strcasecmp(dash(ou) ? ou : "(unnamed)", u) ||
			    strcmp(dash(oa) ? oa : "an unknown address", a))
				continue;
			if (k < i)
				dup = true;
			n++;
			if (o->time != EVT_TIME_UNKNOWN && (oldest == EVT_TIME_UNKNOWN || o->time < oldest))
				oldest = o->time;
		}
		if (dup)
			continue;
		char t[32], first[32], wb[80];
		struct where w = where_of(os, e, wb, sizeof(wb));
		struct ev_event fe = *e;
		when(e, t, sizeof(t));
		fe.time = oldest;
		when(&fe, first, sizeof(first));
		policy_add(c, "eventlog-remote-logon", SEV_REVIEW, &w,
			   "%zu Remote Desktop logon%s of '%.120s' from %.80s (last at %s%s%s)", n, n == 1 ? "" : "s", u,
			   a, t, n > 1 ? ", first at " : "", n > 1 ? first : "");
	}
}

static void damaged(struct pctx *c, const struct os_info *os, const struct ev_eventlogs *el)
{
	struct strbuf dirty = STRBUF_INIT;
	size_t ndirty = 0;

	for (size_t i = 0; i < el->nlogs; i++) {
		const struct ev_log *l = &el->logs[i];
		struct where w = { os->volume, l->path, NULL, NULL, NULL, NULL };
		if (l->error) {
			policy_add(c, "eventlog-damaged", SEV_REVIEW, &w, "the event log could not be used: %.300s", l->error);
			continue;
		}
		if (l->damage || l->chunks_bad || l->records_bad || l->truncated)
			policy_add(c, "eventlog-damaged", SEV_REVIEW, &w,
				   "the event log is damaged: %.300s (%u of %u chunks bad, %u records unreadable, %zu recovered%s)",
				   l->damage ? l->damage : "records could not be read", l->chunks_bad, l->chunks,
				   l->records_bad, l->recovered, l->truncated ? ", cut at the record limit" : "");
		else if (l->dirty) {
			strbuf_addf(&dirty, "%s%s", ndirty ? ", " : "", path_base(l->path));
			ndirty++;
		}
	}
	/* Every log of a machine switched off by its power button is dirty:
	 * one finding says so, naming them. */
	if (ndirty) {
		struct where w = { os->volume, ndirty == 1 ? el->logs[0].path : NULL, NULL, NULL, NULL, NULL };
		for (size_t i = 0; ndirty == 1 && i < el->nlogs; i++)
			if (el->logs[i].dirty && !el->logs[i].error)
				w.path = el->logs[i].path;
		policy_add(c, "eventlog-damaged", SEV_REVIEW, &w,
			   "%zu event log%s not closed cleanly (dirty: Windows did not shut down, or was imaged running); "
			   "what it last wrote may be missing: %.600s", ndirty, ndirty == 1 ? " was" : "s were", dirty.buf);
	}
	strbuf_release(&dirty);
	struct where w = { os->volume, NULL, NULL, NULL, NULL, NULL };
	if (el->logs_skipped)
		policy_add(c, "eventlog-damaged", SEV_REVIEW, &w, "%zu event logs were not read (more than %d logs)",
			   el->logs_skipped, EV_MAX_LOGS);
	if (el->scripts_unscanned)
		policy_add(c, "eventlog-damaged", SEV_REVIEW, &w,
			   "%zu PowerShell script blocks were not scanned (over %u MiB of script text)",
			   el->scripts_unscanned, (unsigned)(EV_MAX_PAYLOAD_BYTES >> 20));
}

void eval_eventlogs(struct pctx *c)
{
	const struct report *r = c->r;

	for (size_t i = 0; r->evidence && i < r->nos; i++) {
		const struct os_info *os = &r->os[i];
		const struct ev_eventlogs *el = &r->evidence[i].eventlogs;
		for (size_t k = 0; k < el->nevents; k++) {
			const struct ev_event *e = &el->events[k];
			switch (e->kind) {
			case EV_LOG_CLEARED:
				cleared(c, os, e);
				break;
			case EV_DEFENDER_DETECTION:
			case EV_DEFENDER_ACTION:
				detection(c, os, el, e);
				break;
			case EV_DEFENDER_CONFIG_CHANGED:
			case EV_DEFENDER_PROTECTION_OFF:
				defender_off(c, os, e);
				break;
			case EV_SERVICE_INSTALLED:
				service(c, os, e);
				break;
			case EV_ACCOUNT_CREATED:
			case EV_ACCOUNT_ENABLED:
			case EV_GROUP_MEMBER_ADDED:
				account(c, os, e);
				break;
			case EV_RDP_LOGON:
			case EV_POWERSHELL_SCRIPT_BLOCK:   /* judged by the scan of its text */
			case EV_NKINDS:
				break;
			}
		}
		remote_logons(c, os, el);
		damaged(c, os, el);
	}
}

#include <kenshu/banned.h>
