/* Hardening facts: SMBv1, RDP and NLA, Winlogon's cleartext password,
 * firewall profiles, Defender, AutoRun, the Guest account, the hosts file
 * and the write filter. Each says whether the image SETS a value (safe or
 * unsafe) or leaves it ABSENT, and what this Windows does then: the policy
 * engine holds "unsafe" and "absent-unsafe" against the image, and strict
 * profiles also review "absent-safe". Locations: design reference
 * autostart-locations.md sections 3 (SMBv1) and 4 (kiosk hardening, whose
 * AutoRun, Guest, hosts and write-filter checks are in posture_kiosk.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>
#include "windows_internal.h"
#include <kenshu/banned.h>

/* "SYSTEM\ControlSet001\" before a control-set-relative path. */
static void cs_path(struct strbuf *b, const struct posture_inputs *in, const char *rel)
{
	strbuf_addf(b, "SYSTEM\\ControlSet%03u\\%s", in->control_set, rel);
}

/* "KEY\Value = 4", "KEY\Value absent", "KEY\Value is not a number". */
static void dword_ev(struct strbuf *b, const char *hivename, const struct posture_inputs *in, const char *rel,
		     const char *value, int rc, uint32_t v)
{
	sb_sep(b);
	if (in && !strcmp(hivename, "SYSTEM"))
		cs_path(b, in, rel);
	else
		strbuf_addf(b, "%s\\%s", hivename, rel);
	if (rc == 1)
		strbuf_addf(b, "\\%s = %u", value, v);
	else if (rc == 0)
		strbuf_addf(b, "\\%s absent", value);
	else
		strbuf_addf(b, "\\%s is not a number", value);
}

bool ph_system_ok(const struct posture_inputs *in, const char *rule, const char *scope, struct posture *out)
{
	if (in->system && in->control_set)
		return true;
	posture_add(out, rule, scope, POSTURE_UNKNOWN, xstrdup("the SYSTEM hive could not be read"),
		    xstrdup(in->system ? "SYSTEM has no Select\\Current control set"
			    : in->system_error ? in->system_error : "no SYSTEM hive"));
	return false;
}

bool ph_software_ok(const struct posture_inputs *in, const char *rule, struct posture *out)
{
	if (in->software)
		return true;
	posture_add(out, rule, NULL, POSTURE_UNKNOWN, xstrdup("the SOFTWARE hive could not be read"),
		    xstrdup(in->software_error ? in->software_error : "no SOFTWARE hive"));
	return false;
}

int ph_service_start(const struct posture_inputs *in, const char *name, uint32_t *v)
{
	char rel[128];
	size_t k;
	int rc;

	snprintf(rel, sizeof(rel), "Services\\%s", name);
	k = pk_cs(in->system, in->control_set, rel);
	if (!k)
		return -1;
	rc = pk_dword(in->system, k, "Start", v);
	return rc < 0 ? -2 : rc;
}

void ph_service_ev(struct strbuf *b, const struct posture_inputs *in, const char *name, int rc, uint32_t v)
{
	sb_sep(b);
	strbuf_addf(b, "SYSTEM\\ControlSet%03u\\Services\\%s", in->control_set, name);
	if (rc == -1)
		strbuf_addstr(b, " absent");
	else if (rc == 0)
		strbuf_addstr(b, "\\Start absent");
	else if (rc == -2)
		strbuf_addstr(b, "\\Start is not a number");
	else
		strbuf_addf(b, "\\Start = %u", v);
}

/* ---- smb1-enabled ---------------------------------------------------------- */

static void check_smb1_server(const struct posture_inputs *in, struct posture *out)
{
	const char *rule = "smb1-enabled", *scope = "server";
	struct strbuf ev;
	uint32_t smb1 = 0, ls = 0, srv = 0;
	enum posture_state st;
	char *msg;

	if (!ph_system_ok(in, rule, scope, out))
		return;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	size_t params = pk_cs(in->system, in->control_set, "Services\\LanmanServer\\Parameters");
	int rc = pk_dword(in->system, params, "SMB1", &smb1);
	int lsrc = ph_service_start(in, "LanmanServer", &ls);
	int srvrc = ph_service_start(in, "srv", &srv);
	bool dep = pk_lists(in->system, pk_cs(in->system, in->control_set, "Services\\LanmanServer"),
			    "DependOnService", "srv");
	dword_ev(&ev, "SYSTEM", in, "Services\\LanmanServer\\Parameters", "SMB1", rc, smb1);
	ph_service_ev(&ev, in, "LanmanServer", lsrc, ls);
	ph_service_ev(&ev, in, "srv", srvrc, srv);
	sb_sep(&ev);
	strbuf_addf(&ev, "srv.sys %s", in->srv_sys.present ? "present" : "not found");

	if (lsrc == 1 && ls == 4) {
		st = POSTURE_SAFE;
		msg = xstrdup("the Server service (LanmanServer) is disabled: nothing answers SMB");
	} else if (rc == 1) {
		st = smb1 ? POSTURE_UNSAFE : POSTURE_SAFE;
		msg = xasprintf("the SMBv1 server is %s (SMB1 = %u)", smb1 ? "enabled" : "disabled", smb1);
	} else if (rc < 0) {
		st = POSTURE_UNKNOWN;
		msg = xstrdup("LanmanServer's SMB1 value is not a DWORD: what Windows makes of it is unknown");
	} else if (lsrc == -1) {
		st = POSTURE_SAFE;
		msg = xstrdup("there is no Server service (LanmanServer): file sharing is not installed");
	} else if (in->major >= 6 && srvrc == 1 && srv == 4) {
		st = POSTURE_SAFE;
		msg = xstrdup("the SMBv1 server driver (srv) is disabled (Start = 4)");
	} else if (in->major >= 6 && srvrc == -1 && !in->srv_sys.present && !dep) {
		st = POSTURE_SAFE;
		msg = xstrdup("the SMBv1 server (srv.sys) is not installed");
	} else if (in->major == 5) {
		st = POSTURE_ABSENT_UNSAFE;
		msg = xstrdup("Windows XP/2003 serve SMBv1 whenever the Server service runs: they have no SMB1 switch");
	} else {
		st = POSTURE_ABSENT_UNSAFE;
		msg = xasprintf("no SMB1 value: the SMBv1 server is enabled by default on Windows %u.%u", in->major,
				in->minor);
	}
	posture_add(out, rule, scope, st, msg, strbuf_detach(&ev, NULL));
}

static void check_smb1_client(const struct posture_inputs *in, struct posture *out)
{
	const char *rule = "smb1-enabled", *scope = "client";
	struct strbuf ev;
	uint32_t mr = 0, lw = 0;
	enum posture_state st;
	char *msg;

	if (!ph_system_ok(in, rule, scope, out))
		return;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	int mrrc = ph_service_start(in, "mrxsmb10", &mr);
	int lwrc = ph_service_start(in, "LanmanWorkstation", &lw);
	bool dep = pk_lists(in->system, pk_cs(in->system, in->control_set, "Services\\LanmanWorkstation"),
			    "DependOnService", "MRxSmb10");
	ph_service_ev(&ev, in, "mrxsmb10", mrrc, mr);
	ph_service_ev(&ev, in, "LanmanWorkstation", lwrc, lw);
	if (lwrc != -1) {
		sb_sep(&ev);
		strbuf_addf(&ev, "LanmanWorkstation DependOnService %s MRxSmb10", dep ? "lists" : "does not list");
	}

	if (lwrc == 1 && lw == 4) {
		st = POSTURE_SAFE;
		msg = xstrdup("the Workstation service (SMB client) is disabled");
	} else if (in->major == 5) {
		st = lwrc == -1 ? POSTURE_SAFE : POSTURE_ABSENT_UNSAFE;
		msg = xstrdup(lwrc == -1 ? "there is no Workstation service (SMB client)"
			      : "the SMB client of Windows XP/2003 speaks only SMBv1 and has no switch for it");
	} else if (mrrc == -1) {
		st = POSTURE_SAFE;
		msg = xstrdup(dep ? "the SMBv1 client driver (mrxsmb10) is not installed, though the Workstation "
				    "service still depends on it"
			      : "the SMBv1 client driver (mrxsmb10) is not installed");
	} else if (mrrc == 1 && mr == 4) {
		st = POSTURE_SAFE;
		msg = xstrdup(dep ? "the SMBv1 client driver is disabled (mrxsmb10 Start = 4), but the Workstation "
				    "service still depends on it and will not start"
			      : "the SMBv1 client driver is disabled (mrxsmb10 Start = 4)");
	} else if (mrrc == 1) {
		st = POSTURE_UNSAFE;
		msg = xasprintf("the SMBv1 client is enabled (mrxsmb10 Start = %u)", mr);
	} else if (mrrc == 0) {
		st = POSTURE_ABSENT_UNSAFE;
		msg = xstrdup("mrxsmb10 has no Start value: the SMBv1 client is left as Windows installs it, enabled");
	} else {
		st = POSTURE_UNKNOWN;
		msg = xstrdup("mrxsmb10's Start value is not a number");
	}
	posture_add(out, rule, scope, st, msg, strbuf_detach(&ev, NULL));
}

/* ---- rdp-enabled, rdp-no-nla ----------------------------------------------- */

#define TS_POLICY "Policies\\Microsoft\\Windows NT\\Terminal Services"

/* Returns the rdp-enabled state (for rdp-no-nla). */
static enum posture_state check_rdp(const struct posture_inputs *in, struct posture *out)
{
	const char *rule = "rdp-enabled";
	struct strbuf ev;
	uint32_t pol = 0, deny = 0, svc = 0;
	enum posture_state st;
	char *msg;

	if (!ph_system_ok(in, rule, NULL, out))
		return POSTURE_UNKNOWN;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	int prc = in->software ? pk_dword(in->software, hive_key(in->software, TS_POLICY), "fDenyTSConnections", &pol)
			       : 0;
	size_t ts = pk_cs(in->system, in->control_set, "Control\\Terminal Server");
	int drc = pk_dword(in->system, ts, "fDenyTSConnections", &deny);
	int src = ph_service_start(in, "TermService", &svc);
	if (in->software)
		dword_ev(&ev, "SOFTWARE", NULL, TS_POLICY, "fDenyTSConnections", prc, pol);
	else {
		sb_sep(&ev);
		strbuf_addf(&ev, "policy not read: %s", in->software_error ? in->software_error : "no SOFTWARE hive");
	}
	if (ts)
		dword_ev(&ev, "SYSTEM", in, "Control\\Terminal Server", "fDenyTSConnections", drc, deny);
	else {
		sb_sep(&ev);
		cs_path(&ev, in, "Control\\Terminal Server absent");
	}
	ph_service_ev(&ev, in, "TermService", src, svc);

	if (src == 1 && svc == 4) {
		st = POSTURE_SAFE;
		msg = xstrdup("the Remote Desktop service (TermService) is disabled");
	} else if (prc == 1) {
		st = pol ? POSTURE_SAFE : POSTURE_UNSAFE;
		msg = xstrdup(pol ? "Remote Desktop connections are denied by Group Policy"
			      : "Remote Desktop connections are allowed by Group Policy");
	} else if (drc == 1) {
		st = deny ? POSTURE_SAFE : POSTURE_UNSAFE;
		msg = xasprintf("Remote Desktop connections are %s (fDenyTSConnections = %u)", deny ? "denied" : "allowed",
				deny);
	} else if (drc < 0 || prc < 0) {
		st = POSTURE_UNKNOWN;
		msg = xstrdup("fDenyTSConnections is not a number");
	} else if (!ts && src == -1) {
		st = POSTURE_SAFE;
		msg = xstrdup("Remote Desktop (Terminal Services) is not installed");
	} else {
		st = POSTURE_ABSENT_SAFE;
		msg = xstrdup("fDenyTSConnections is not set: Windows denies Remote Desktop connections by default");
	}
	posture_add(out, rule, NULL, st, msg, strbuf_detach(&ev, NULL));
	return st;
}

static void check_nla(const struct posture_inputs *in, enum posture_state rdp, struct posture *out)
{
	const char *rule = "rdp-no-nla";
	struct strbuf ev;
	uint32_t pol = 0, ua = 0;
	enum posture_state st;
	char *msg;

	if (!ph_system_ok(in, rule, NULL, out))
		return;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	int prc = in->software ? pk_dword(in->software, hive_key(in->software, TS_POLICY), "UserAuthentication", &pol)
			       : 0;
	const char *tcp = "Control\\Terminal Server\\WinStations\\RDP-Tcp";
	int urc = pk_dword(in->system, pk_cs(in->system, in->control_set, tcp), "UserAuthentication", &ua);
	if (in->software)
		dword_ev(&ev, "SOFTWARE", NULL, TS_POLICY, "UserAuthentication", prc, pol);
	dword_ev(&ev, "SYSTEM", in, tcp, "UserAuthentication", urc, ua);

	if (rdp == POSTURE_SAFE || rdp == POSTURE_ABSENT_SAFE) {
		st = POSTURE_NOT_APPLICABLE;
		msg = xstrdup("Remote Desktop is off, so Network Level Authentication does not come into play");
	} else if (in->major == 5) {
		st = POSTURE_ABSENT_UNSAFE;
		msg = xstrdup("the Remote Desktop server of Windows XP/2003 cannot require Network Level Authentication");
	} else if (prc == 1) {
		st = pol ? POSTURE_SAFE : POSTURE_UNSAFE;
		msg = xstrdup(pol ? "Group Policy requires Network Level Authentication for Remote Desktop"
			      : "Group Policy lets Remote Desktop clients connect without Network Level Authentication");
	} else if (urc == 1) {
		st = ua ? POSTURE_SAFE : POSTURE_UNSAFE;
		msg = xasprintf("Remote Desktop %s Network Level Authentication (UserAuthentication = %u)",
				ua ? "requires" : "does not require", ua);
	} else if (urc < 0 || prc < 0) {
		st = POSTURE_UNKNOWN;
		msg = xstrdup("UserAuthentication is not a number");
	} else if (in->major == 6 && in->minor <= 1) {
		st = POSTURE_ABSENT_UNSAFE;
		msg = xstrdup("UserAuthentication is not set: Windows Vista/7 accept Remote Desktop without NLA by default");
	} else {
		st = POSTURE_ABSENT_SAFE;
		msg = xstrdup("UserAuthentication is not set: Windows 8 and later require NLA by default");
	}
	posture_add(out, rule, NULL, st, msg, strbuf_detach(&ev, NULL));
}

/* ---- autologon-cleartext-password ---------------------------------------- */

static void check_autologon(const struct posture_inputs *in, struct posture *out)
{
	const char *rule = "autologon-cleartext-password";
	const char *wl = "Microsoft\\Windows NT\\CurrentVersion\\Winlogon";
	struct strbuf ev;

	if (!ph_software_ok(in, rule, out))
		return;
	size_t k = hive_key(in->software, wl);
	/* Only whether DefaultPassword exists is ever asked: its data is wiped
	 * and freed inside pk_present, never copied into the report. */
	bool pw = pk_present(in->software, k, "DefaultPassword");
	char *aal = pk_text(in->software, k, "AutoAdminLogon");
	char *user = pk_text(in->software, k, "DefaultUserName");

	strbuf_init(&ev, POSTURE_TEXT_MAX);
	strbuf_addf(&ev, "SOFTWARE\\%s\\DefaultPassword %s", wl, pw ? "present (value not shown)" : "absent");
	sb_sep(&ev);
	strbuf_addstr(&ev, "AutoAdminLogon ");
	if (aal) {
		strbuf_addstr(&ev, "= ");
		strbuf_add_printable(&ev, aal, strlen(aal), false);
	} else {
		strbuf_addstr(&ev, "absent");
	}
	if (user) {
		sb_sep(&ev);
		strbuf_addstr(&ev, "DefaultUserName = ");
		strbuf_add_printable(&ev, user, strlen(user), false);
	}
	bool autologon = aal && !strcmp(aal, "1");
	posture_add(out, rule, NULL, pw ? POSTURE_UNSAFE : POSTURE_SAFE,
		    xstrdup(pw ? (autologon ? "Winlogon keeps the automatic logon password in clear text (DefaultPassword)"
				  : "Winlogon holds a clear-text DefaultPassword value")
			    : autologon ? "automatic logon is on, but no clear-text DefaultPassword is stored"
					: "no clear-text DefaultPassword in Winlogon"),
		    strbuf_detach(&ev, NULL));
	free(aal);
	free(user);
}

/* ---- firewall-disabled ------------------------------------------------------ */

/* One fact, one check: profiles in the same state for the same reason (a
 * missing service switches off all three) are one check, whose scope
 * names them all ("domain,private,public"), not three findings. */
enum fw_cause { FW_SVC_DISABLED, FW_SVC_MISSING, FW_POLICY, FW_LOCAL, FW_NAN, FW_UNSET };

struct fw_profile {
	enum posture_state st;
	enum fw_cause cause;
	uint32_t value;     /* the EnableFirewall that decided it (FW_POLICY, FW_LOCAL) */
	char *ev;           /* this profile's own values (policy, local) */
};

static const char *const fw_scopes[8] = {
	NULL, "domain", "private", "domain,private", "public", "domain,public", "private,public",
	"domain,private,public",
};

/* "the domain profile", "the private and public profiles",
 * "the domain, private and public profiles". */
static void fw_names(struct strbuf *b, unsigned mask, const char *word)
{
	static const char *const names[] = { "domain", "private", "public" };
	unsigned n = (unsigned)__builtin_popcount(mask), k = 0;

	strbuf_addstr(b, "the ");
	for (unsigned i = 0; i < 3; i++) {
		if (!(mask & (1u << i)))
			continue;
		k++;
		strbuf_addf(b, "%s%s", k == 1 ? "" : k == n ? " and " : ", ", names[i]);
	}
	strbuf_addf(b, " %s%s", word, n == 1 ? "profile" : "profiles");
}

static char *fw_message(const struct fw_profile *p, unsigned mask, const char *svcname)
{
	struct strbuf b = STRBUF_INIT;
	bool one = __builtin_popcount(mask) == 1;

	switch (p->cause) {
	case FW_SVC_DISABLED:
		strbuf_addf(&b, "the Windows Firewall service (%s) is disabled: ", svcname);
		fw_names(&b, mask, "");
		strbuf_addstr(&b, one ? " filters nothing" : " filter nothing");
		break;
	case FW_SVC_MISSING:
		strbuf_addf(&b, "there is no Windows Firewall service (%s): ", svcname);
		fw_names(&b, mask, "");
		strbuf_addstr(&b, one ? " filters nothing" : " filter nothing");
		break;
	case FW_POLICY:
		strbuf_addstr(&b, "Group Policy turns ");
		fw_names(&b, mask, "firewall ");
		strbuf_addstr(&b, p->value ? " on" : " off");
		break;
	case FW_LOCAL:
		fw_names(&b, mask, "firewall ");
		strbuf_addf(&b, " %s %s (EnableFirewall = %u)", one ? "is" : "are", p->value ? "on" : "off", p->value);
		break;
	case FW_NAN:
		strbuf_addstr(&b, "EnableFirewall is not a number for ");
		fw_names(&b, mask, "");
		break;
	case FW_UNSET:
		fw_names(&b, mask, "firewall ");
		strbuf_addf(&b, " %s not configured: Windows Firewall is on by default", one ? "is" : "are");
		break;
	}
	return strbuf_detach(&b, NULL);
}

static void check_firewall(const struct posture_inputs *in, struct posture *out)
{
	static const struct {
		const char *local, *policy, *legacy_policy;
	} profiles[] = {
		{ "DomainProfile", "DomainProfile", NULL },
		{ "StandardProfile", "PrivateProfile", "StandardProfile" },
		{ "PublicProfile", "PublicProfile", NULL },
	};
	const char *rule = "firewall-disabled";
	const char *svcname = in->major >= 6 ? "MpsSvc" : "SharedAccess";
	struct fw_profile fp[3];
	struct strbuf svc_ev;
	uint32_t svc = 0;
	unsigned n = in->major == 5 ? 2 : 3;   /* Windows XP/2003 have no public profile */

	if (!ph_system_ok(in, rule, fw_scopes[7], out))
		return;
	strbuf_init(&svc_ev, POSTURE_TEXT_MAX);
	int src = ph_service_start(in, svcname, &svc);
	ph_service_ev(&svc_ev, in, svcname, src, svc);
	for (unsigned i = 0; i < n; i++) {
		struct strbuf ev;
		char rel[160], pol[160];
		uint32_t pv = 0, lv = 0;
		int prc = 0;

		strbuf_init(&ev, POSTURE_TEXT_MAX);
		if (in->software) {
			snprintf(pol, sizeof(pol), "Policies\\Microsoft\\WindowsFirewall\\%s", profiles[i].policy);
			prc = pk_dword(in->software, hive_key(in->software, pol), "EnableFirewall", &pv);
			if (prc == 0 && profiles[i].legacy_policy) {
				char legacy[160];
				snprintf(legacy, sizeof(legacy), "Policies\\Microsoft\\WindowsFirewall\\%s",
					 profiles[i].legacy_policy);
				prc = pk_dword(in->software, hive_key(in->software, legacy), "EnableFirewall", &pv);
				if (prc != 0)
					memcpy(pol, legacy, sizeof(pol));
			}
			dword_ev(&ev, "SOFTWARE", NULL, pol, "EnableFirewall", prc, pv);
		} else {
			sb_sep(&ev);
			strbuf_addf(&ev, "policy not read: %s", in->software_error ? in->software_error : "no SOFTWARE hive");
		}
		snprintf(rel, sizeof(rel), "Services\\SharedAccess\\Parameters\\FirewallPolicy\\%s", profiles[i].local);
		int lrc = pk_dword(in->system, pk_cs(in->system, in->control_set, rel), "EnableFirewall", &lv);
		dword_ev(&ev, "SYSTEM", in, rel, "EnableFirewall", lrc, lv);

		struct fw_profile *p = &fp[i];
		p->value = 0;
		if (src == 1 && svc == 4)
			p->st = POSTURE_UNSAFE, p->cause = FW_SVC_DISABLED;
		else if (src == -1)
			p->st = POSTURE_ABSENT_UNSAFE, p->cause = FW_SVC_MISSING;
		else if (prc == 1)
			p->st = pv ? POSTURE_SAFE : POSTURE_UNSAFE, p->cause = FW_POLICY, p->value = pv;
		else if (lrc == 1)
			p->st = lv ? POSTURE_SAFE : POSTURE_UNSAFE, p->cause = FW_LOCAL, p->value = lv;
		else if (lrc < 0 || prc < 0)
			p->st = POSTURE_UNKNOWN, p->cause = FW_NAN;
		else
			p->st = POSTURE_ABSENT_SAFE, p->cause = FW_UNSET;
		p->ev = strbuf_detach(&ev, NULL);
	}
	/* Groups in the order of their first profile. */
	unsigned done = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned mask = 0;
		struct strbuf ev;

		if (done & (1u << i))
			continue;
		strbuf_init(&ev, POSTURE_TEXT_MAX);
		strbuf_addstr(&ev, svc_ev.buf);
		for (unsigned k = i; k < n; k++) {
			if ((done & (1u << k)) || fp[k].st != fp[i].st || fp[k].cause != fp[i].cause ||
			    fp[k].value != fp[i].value)
				continue;
			mask |= 1u << k;
			sb_sep(&ev);
			strbuf_addstr(&ev, fp[k].ev);
		}
		done |= mask;
		posture_add(out, rule, fw_scopes[mask], fp[i].st, fw_message(&fp[i], mask, svcname),
			    strbuf_detach(&ev, NULL));
	}
	for (unsigned i = 0; i < n; i++)
		free(fp[i].ev);
	if (n == 2)
		posture_add(out, rule, fw_scopes[4], POSTURE_NOT_APPLICABLE,
			    xstrdup("Windows XP/2003 have no public firewall profile"),
			    xasprintf("Windows %u.%u", in->major, in->minor));
	strbuf_release(&svc_ev);
}

/* ---- defender-disabled ------------------------------------------------------ */

static void check_defender(const struct posture_inputs *in, struct posture *out)
{
	static const struct {
		const char *key, *value, *what;
	} switches[] = {
		{ "Policies\\Microsoft\\Windows Defender", "DisableAntiSpyware", "Group Policy turns Defender off" },
		{ "Policies\\Microsoft\\Windows Defender", "DisableAntiVirus", "Group Policy turns Defender's antivirus off" },
		{ "Policies\\Microsoft\\Windows Defender\\Real-Time Protection", "DisableRealtimeMonitoring",
		  "Group Policy turns real-time protection off" },
		{ "Microsoft\\Windows Defender", "DisableAntiSpyware", "Defender is turned off" },
		{ "Microsoft\\Windows Defender", "DisableAntiVirus", "Defender's antivirus is turned off" },
		{ "Microsoft\\Windows Defender\\Real-Time Protection", "DisableRealtimeMonitoring",
		  "real-time protection is turned off" },
	};
	const char *rule = "defender-disabled";
	struct strbuf ev;
	const char *off = NULL;
	bool any_set = false, bad = false;
	uint32_t svc = 0;

	if (!ph_software_ok(in, rule, out))
		return;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	for (size_t i = 0; i < sizeof(switches) / sizeof(switches[0]); i++) {
		uint32_t v = 0;
		int rc = pk_dword(in->software, hive_key(in->software, switches[i].key), switches[i].value, &v);
		if (rc == 0)
			continue;
		dword_ev(&ev, "SOFTWARE", NULL, switches[i].key, switches[i].value, rc, v);
		any_set = true;
		bad |= rc < 0;
		if (rc == 1 && v && !off)
			off = switches[i].what;
	}
	int src = in->system && in->control_set ? ph_service_start(in, "WinDefend", &svc) : -3;
	if (src == -3) {
		sb_sep(&ev);
		strbuf_addf(&ev, "WinDefend service not read: %s", in->system_error ? in->system_error : "no control set");
	} else {
		ph_service_ev(&ev, in, "WinDefend", src, svc);
	}
	bool installed = src >= 0 || src == -2 || hive_key(in->software, "Microsoft\\Windows Defender");
	if (!any_set && !hive_key(in->software, "Microsoft\\Windows Defender")) {
		sb_sep(&ev);
		strbuf_addstr(&ev, "SOFTWARE\\Microsoft\\Windows Defender absent");
	}

	enum posture_state st;
	char *msg;
	if (off) {
		st = POSTURE_UNSAFE;
		msg = xasprintf("%s", off);
	} else if (src == 1 && svc == 4) {
		st = POSTURE_UNSAFE;
		msg = xstrdup("the Windows Defender service (WinDefend) is disabled");
	} else if (!installed) {
		st = src == -3 ? POSTURE_UNKNOWN : POSTURE_NOT_APPLICABLE;
		msg = xstrdup(src == -3 ? "whether Windows Defender is installed could not be read"
			      : "Windows Defender is not installed (Windows XP, or an image built without it): "
				"this alone is no tampering");
	} else if (bad) {
		st = POSTURE_UNKNOWN;
		msg = xstrdup("a Defender switch is not a number");
	} else if (any_set) {
		st = POSTURE_SAFE;
		msg = xstrdup("Windows Defender is set to run");
	} else {
		st = POSTURE_ABSENT_SAFE;
		msg = xstrdup("no Defender switch is set: Windows Defender runs by default");
	}
	posture_add(out, rule, NULL, st, msg, strbuf_detach(&ev, NULL));
}

void posture_hardening_checks(const struct posture_inputs *in, struct posture *out)
{
	check_smb1_server(in, out);
	check_smb1_client(in, out);
	enum posture_state rdp = check_rdp(in, out);
	check_nla(in, rdp, out);
	check_autologon(in, out);
	check_firewall(in, out);
	check_defender(in, out);
	posture_kiosk_checks(in, out);
}
