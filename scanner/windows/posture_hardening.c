/* Hardening facts: SMBv1, RDP and NLA, Winlogon's cleartext password,
 * firewall profiles, Defender, AutoRun, the Guest account, the hosts file
 * and the write filter. Each says whether the image SETS a value (safe or
 * unsafe) or leaves it ABSENT, and what this Windows does then: the policy
 * engine holds "unsafe" and "absent-unsafe" against the image, and strict
 * profiles also review "absent-safe". Locations: design reference
 * autostart-locations.md sections 3 (SMBv1) and 4 (kiosk hardening). */
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

/* SYSTEM checks need the hive and a control set. */
static bool system_ok(const struct posture_inputs *in, const char *rule, const char *scope, struct posture *out)
{
	if (in->system && in->control_set)
		return true;
	posture_add(out, rule, scope, POSTURE_UNKNOWN, xstrdup("the SYSTEM hive could not be read"),
		    xstrdup(in->system ? "SYSTEM has no Select\\Current control set"
			    : in->system_error ? in->system_error : "no SYSTEM hive"));
	return false;
}

static bool software_ok(const struct posture_inputs *in, const char *rule, struct posture *out)
{
	if (in->software)
		return true;
	posture_add(out, rule, NULL, POSTURE_UNKNOWN, xstrdup("the SOFTWARE hive could not be read"),
		    xstrdup(in->software_error ? in->software_error : "no SOFTWARE hive"));
	return false;
}

/* A service's Start: 1 with *v, 0 when the value is absent, -1 when the
 * service key is absent (*v untouched), -2 when Start is not a number. */
static int service_start(const struct posture_inputs *in, const char *name, uint32_t *v)
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

static void service_ev(struct strbuf *b, const struct posture_inputs *in, const char *name, int rc, uint32_t v)
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

	if (!system_ok(in, rule, scope, out))
		return;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	size_t params = pk_cs(in->system, in->control_set, "Services\\LanmanServer\\Parameters");
	int rc = pk_dword(in->system, params, "SMB1", &smb1);
	int lsrc = service_start(in, "LanmanServer", &ls);
	int srvrc = service_start(in, "srv", &srv);
	bool dep = pk_lists(in->system, pk_cs(in->system, in->control_set, "Services\\LanmanServer"),
			    "DependOnService", "srv");
	dword_ev(&ev, "SYSTEM", in, "Services\\LanmanServer\\Parameters", "SMB1", rc, smb1);
	service_ev(&ev, in, "LanmanServer", lsrc, ls);
	service_ev(&ev, in, "srv", srvrc, srv);
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

	if (!system_ok(in, rule, scope, out))
		return;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	int mrrc = service_start(in, "mrxsmb10", &mr);
	int lwrc = service_start(in, "LanmanWorkstation", &lw);
	bool dep = pk_lists(in->system, pk_cs(in->system, in->control_set, "Services\\LanmanWorkstation"),
			    "DependOnService", "MRxSmb10");
	service_ev(&ev, in, "mrxsmb10", mrrc, mr);
	service_ev(&ev, in, "LanmanWorkstation", lwrc, lw);
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

	if (!system_ok(in, rule, NULL, out))
		return POSTURE_UNKNOWN;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	int prc = in->software ? pk_dword(in->software, hive_key(in->software, TS_POLICY), "fDenyTSConnections", &pol)
			       : 0;
	size_t ts = pk_cs(in->system, in->control_set, "Control\\Terminal Server");
	int drc = pk_dword(in->system, ts, "fDenyTSConnections", &deny);
	int src = service_start(in, "TermService", &svc);
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
	service_ev(&ev, in, "TermService", src, svc);

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

	if (!system_ok(in, rule, NULL, out))
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

	if (!software_ok(in, rule, out))
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

static void check_firewall(const struct posture_inputs *in, struct posture *out)
{
	static const struct {
		const char *scope, *local, *policy, *legacy_policy;
	} profiles[] = {
		{ "domain", "DomainProfile", "DomainProfile", NULL },
		{ "private", "StandardProfile", "PrivateProfile", "StandardProfile" },
		{ "public", "PublicProfile", "PublicProfile", NULL },
	};
	const char *rule = "firewall-disabled";
	const char *svcname = in->major >= 6 ? "MpsSvc" : "SharedAccess";

	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		const char *scope = profiles[i].scope;
		struct strbuf ev;
		enum posture_state st;
		char *msg, rel[160], pol[160];
		uint32_t svc = 0, pv = 0, lv = 0;
		int prc = 0;

		if (!system_ok(in, rule, scope, out))
			continue;
		if (in->major == 5 && !strcmp(scope, "public")) {
			posture_add(out, rule, scope, POSTURE_NOT_APPLICABLE,
				    xstrdup("Windows XP/2003 have no public firewall profile"),
				    xasprintf("Windows %u.%u", in->major, in->minor));
			continue;
		}
		strbuf_init(&ev, POSTURE_TEXT_MAX);
		int src = service_start(in, svcname, &svc);
		service_ev(&ev, in, svcname, src, svc);
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

		if (src == 1 && svc == 4) {
			st = POSTURE_UNSAFE;
			msg = xasprintf("the Windows Firewall service (%s) is disabled: no profile filters anything", svcname);
		} else if (src == -1) {
			st = POSTURE_ABSENT_UNSAFE;
			msg = xasprintf("there is no Windows Firewall service (%s): the %s profile filters nothing", svcname,
					scope);
		} else if (prc == 1) {
			st = pv ? POSTURE_SAFE : POSTURE_UNSAFE;
			msg = xasprintf("Group Policy turns the %s firewall profile %s", scope, pv ? "on" : "off");
		} else if (lrc == 1) {
			st = lv ? POSTURE_SAFE : POSTURE_UNSAFE;
			msg = xasprintf("the %s firewall profile is %s (EnableFirewall = %u)", scope, lv ? "on" : "off", lv);
		} else if (lrc < 0 || prc < 0) {
			st = POSTURE_UNKNOWN;
			msg = xasprintf("the %s profile's EnableFirewall is not a number", scope);
		} else {
			st = POSTURE_ABSENT_SAFE;
			msg = xasprintf("the %s firewall profile is not configured: Windows Firewall is on by default", scope);
		}
		posture_add(out, rule, scope, st, msg, strbuf_detach(&ev, NULL));
	}
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

	if (!software_ok(in, rule, out))
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
	int src = in->system && in->control_set ? service_start(in, "WinDefend", &svc) : -3;
	if (src == -3) {
		sb_sep(&ev);
		strbuf_addf(&ev, "WinDefend service not read: %s", in->system_error ? in->system_error : "no control set");
	} else {
		service_ev(&ev, in, "WinDefend", src, svc);
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

/* ---- autoplay-enabled ------------------------------------------------------- */

#define EXPLORER_POLICY "Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer"

/* NoDriveTypeAutoRun bits: 0x01 unknown, 0x04 removable, 0x08 fixed,
 * 0x10 network, 0x20 CD-ROM, 0x40 RAM disk, 0x80 unknown type. */
static void drive_types_left(struct strbuf *b, uint32_t v)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} types[] = {
		{ 0x04, "removable" }, { 0x20, "CD/DVD" }, { 0x08, "fixed" }, { 0x10, "network" }, { 0x40, "RAM disk" },
		{ 0x01, "unknown" }, { 0x80, "unknown type" },
	};
	bool first = true;

	strbuf_addstr(b, " (AutoRun left on for:");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!(v & types[i].bit)) {
			strbuf_addf(b, "%s %s", first ? "" : ",", types[i].name);
			first = false;
		}
	strbuf_addstr(b, ")");
}

/* 1 = safe (AutoRun off for all drives), 0 = unsafe, -1 = not set. */
static int autorun_setting(struct hive *h, const char *key, const char *who, struct strbuf *ev)
{
	uint32_t nd = 0, na = 0;
	size_t k = hive_key(h, key);
	int ndrc = pk_dword(h, k, "NoDriveTypeAutoRun", &nd);
	int narc = pk_dword(h, k, "NoAutorun", &na);

	if (ndrc == 0 && narc == 0)
		return -1;
	sb_sep(ev);
	strbuf_addf(ev, "%s\\%s:", who, key);
	if (narc == 1)
		strbuf_addf(ev, " NoAutorun = %u", na);
	else if (narc < 0)
		strbuf_addstr(ev, " NoAutorun is not a number");
	if (ndrc == 1) {
		strbuf_addf(ev, " NoDriveTypeAutoRun = 0x%02X", nd);
		if ((nd & 0xFF) != 0xFF && !(narc == 1 && na))
			drive_types_left(ev, nd);
	} else if (ndrc < 0) {
		strbuf_addstr(ev, " NoDriveTypeAutoRun is not a number");
	}
	if ((narc == 1 && na) || (ndrc == 1 && (nd & 0xFF) == 0xFF))
		return 1;
	return ndrc == 1 ? 0 : -1;
}

static void check_autoplay(const struct posture_inputs *in, struct posture *out)
{
	const char *rule = "autoplay-enabled";
	struct strbuf ev, who;
	size_t nsafe = 0, nunsafe = 0, nunread = 0;

	if (!software_ok(in, rule, out))
		return;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	strbuf_init(&who, 512);
	int m = autorun_setting(in->software, EXPLORER_POLICY, "SOFTWARE", &ev);
	if (m < 0) {
		sb_sep(&ev);
		strbuf_addf(&ev, "SOFTWARE\\%s: NoDriveTypeAutoRun and NoAutorun absent", EXPLORER_POLICY);
	}
	for (size_t i = 0; m < 0 && i < in->nusers; i++) {
		char label[300];
		if (!in->users[i].ntuser) {
			nunread++;
			sb_sep(&ev);
			strbuf_addstr(&ev, "NTUSER.DAT of ");
			strbuf_add_printable(&ev, in->users[i].user, strlen(in->users[i].user), false);
			strbuf_addstr(&ev, " not readable");
			continue;
		}
		snprintf(label, sizeof(label), "NTUSER.DAT of %s", in->users[i].user);
		int u = autorun_setting(in->users[i].ntuser, "Software\\" EXPLORER_POLICY, label, &ev);
		if (u == 1)
			nsafe++;
		if (u == 0) {
			nunsafe++;
			sb_sep(&who);
			strbuf_add_printable(&who, in->users[i].user, strlen(in->users[i].user), false);
		}
	}

	enum posture_state st;
	char *msg;
	if (m == 1) {
		st = POSTURE_SAFE;
		msg = xstrdup("AutoRun is turned off for every drive type for the whole machine");
	} else if (m == 0) {
		st = POSTURE_UNSAFE;
		msg = xstrdup("machine policy leaves AutoRun on for some drive types");
	} else if (nunsafe) {
		st = POSTURE_UNSAFE;
		msg = xasprintf("the policy of %s leaves AutoRun on for some drive types", who.buf);
	} else if (in->nusers && nsafe == in->nusers) {
		st = POSTURE_SAFE;
		msg = xstrdup("every user's policy turns AutoRun off for every drive type");
	} else if (in->major == 5 || (in->major == 6 && in->minor == 0)) {
		st = POSTURE_ABSENT_UNSAFE;
		msg = xstrdup("AutoRun is not restricted: Windows XP/Vista run autorun.inf from USB drives by default "
			      "(NoDriveTypeAutoRun 0x91)");
	} else {
		st = POSTURE_ABSENT_SAFE;
		msg = xstrdup("AutoRun is not restricted by policy: Windows 7 and later run autorun.inf only from "
			      "CD/DVD media by default");
	}
	(void)nunread;
	strbuf_release(&who);
	posture_add(out, rule, NULL, st, msg, strbuf_detach(&ev, NULL));
}

/* ---- guest-enabled ------------------------------------------------------------ */

#define GUEST_KEY "SAM\\Domains\\Account\\Users\\000001F5"

static void check_guest(const struct posture_inputs *in, struct posture *out)
{
	const char *rule = "guest-enabled";
	size_t users, guest, n = 0;
	uint8_t *f;

	if (!in->sam) {
		posture_add(out, rule, NULL, POSTURE_UNKNOWN, xstrdup("the SAM hive could not be read"),
			    xstrdup(in->sam_error ? in->sam_error : "no SAM hive"));
		return;
	}
	users = hive_key(in->sam, "SAM\\Domains\\Account\\Users");
	if (!users) {
		posture_add(out, rule, NULL, POSTURE_UNKNOWN, xstrdup("the SAM hive holds no local accounts"),
			    xstrdup("SAM\\SAM\\Domains\\Account\\Users absent"));
		return;
	}
	guest = hive_child(in->sam, users, "000001F5");
	if (!guest) {
		posture_add(out, rule, NULL, POSTURE_SAFE, xstrdup("there is no Guest account (RID 501)"),
			    xstrdup("SAM\\" GUEST_KEY " absent"));
		return;
	}
	f = hive_binary(in->sam, guest, "F", &n);
	/* The fixed-length F record: RID at 0x30, account control (ACB) flags
	 * at 0x38, bit 0x0001 = disabled (RegRipper samparse). 80 bytes on
	 * every Windows since NT. */
	if (!f || n < 0x3A) {
		posture_add(out, rule, NULL, POSTURE_UNKNOWN,
			    xstrdup("the Guest account's F value cannot be read, so whether it is enabled is unknown"),
			    f ? xasprintf("SAM\\" GUEST_KEY "\\F is %zu bytes, the flags are at byte 56 (80 expected)", n)
			      : xstrdup("SAM\\" GUEST_KEY "\\F absent or damaged"));
		free(f);
		return;
	}
	uint16_t acb = (uint16_t)(f[0x38] | f[0x39] << 8);
	uint32_t rid = n >= 0x34 ? (uint32_t)f[0x30] | (uint32_t)f[0x31] << 8 | (uint32_t)f[0x32] << 16 |
					   (uint32_t)f[0x33] << 24
				 : 0;
	bool disabled = acb & 0x0001;
	struct strbuf ev;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	strbuf_addf(&ev, "SAM\\" GUEST_KEY "\\F (%zu bytes): account control flags 0x%04X, disabled bit %s", n, acb,
		disabled ? "set" : "clear");
	if (rid != 0x1F5) {
		sb_sep(&ev);
		strbuf_addf(&ev, "the F record names RID %u, not 501: RID hijacking?", rid);
	}
	free(f);
	posture_add(out, rule, NULL, disabled ? POSTURE_SAFE : POSTURE_UNSAFE,
		    xasprintf("the Guest account is %s%s", disabled ? "disabled" : "enabled",
			      rid != 0x1F5 ? ", and its F record carries another account's RID" : ""),
		    strbuf_detach(&ev, NULL));
}

/* ---- hosts-tampered ------------------------------------------------------------ */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\0' || c == '\v' || c == '\f';
}

static void check_hosts(const struct posture_inputs *in, struct posture *out)
{
	const char *rule = "hosts-tampered";
	const struct posture_file *h = &in->hosts;
	const char *path = in->hosts_path ? in->hosts_path : "hosts";
	struct strbuf ev, list;
	size_t entries = 0, bad = 0, shown = 0;
	char *db = NULL;
	bool redirected = false;

	strbuf_init(&ev, POSTURE_TEXT_MAX);
	if (in->system && in->control_set) {
		db = pk_text(in->system, pk_cs(in->system, in->control_set, "Services\\Tcpip\\Parameters"), "DataBasePath");
		redirected = db && strcasecmp(db, "%SystemRoot%\\System32\\drivers\\etc") != 0 &&
			     strcasecmp(db, "%SystemRoot%\\System32\\drivers\\etc\\") != 0;
		if (redirected) {
			strbuf_addf(&ev, "SYSTEM\\ControlSet%03u\\Services\\Tcpip\\Parameters\\DataBasePath = ", in->control_set);
			strbuf_add_printable(&ev, db, strlen(db), false);
		}
	}
	free(db);
	if (!h->present || !h->data) {
		enum posture_state st = redirected ? POSTURE_UNSAFE : h->present ? POSTURE_UNKNOWN : POSTURE_SAFE;
		sb_sep(&ev);
		strbuf_add_printable(&ev, path, strlen(path), false);
		if (h->present) {
			strbuf_addstr(&ev, " not readable: ");
			strbuf_add_printable(&ev, h->error ? h->error : "?", strlen(h->error ? h->error : "?"), false);
		} else {
			strbuf_addstr(&ev, " absent");
		}
		posture_add(out, rule, NULL, st,
			    xstrdup(redirected ? "Tcpip DataBasePath moves the hosts file away from drivers\\etc"
				    : h->present ? "the hosts file could not be read"
						 : "there is no hosts file: names resolve through DNS only"),
			    strbuf_detach(&ev, NULL));
		return;
	}

	strbuf_init(&list, 2048);
	const char *p = h->data, *end = p + h->size;
	if (end - p >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *hash = memchr(p, '#', (size_t)(le - p));
		const char *e = hash ? hash : le;
		const char *tok[2] = { NULL, NULL };
		size_t tl[2] = { 0, 0 };
		bool benign = true;
		int ntok = 0;

		/* Tokens: the address, then names; all names must be localhost
		 * and the address a loopback one for the line to be harmless. */
		for (const char *q = p; q < e;) {
			while (q < e && (is_space(*q) || *q == '\r'))
				q++;
			if (q >= e)
				break;
			const char *s = q;
			while (q < e && !is_space(*q) && *q != '\r')
				q++;
			size_t l = (size_t)(q - s);
			if (ntok == 0) {
				benign = (l == 9 && !memcmp(s, "127.0.0.1", 9)) || (l == 3 && !memcmp(s, "::1", 3));
				tok[0] = s;
				tl[0] = l;
			} else {
				benign &= l == 9 && !strncasecmp(s, "localhost", 9);
				if (ntok == 1) {
					tok[1] = s;
					tl[1] = l;
				}
			}
			ntok++;
		}
		if (ntok == 1)
			benign = false;   /* an address without a name: malformed */
		if (ntok) {
			entries++;
			if (!benign) {
				bad++;
				if (shown < POSTURE_HOSTS_SHOWN) {
					shown++;
					sb_sep(&list);
					strbuf_add_printable(&list, tok[0], tl[0] > 64 ? 64 : tl[0], true);
					if (tok[1]) {
						strbuf_addstr(&list, " ");
						strbuf_add_printable(&list, tok[1], tl[1] > 100 ? 100 : tl[1], true);
						if (ntok > 2)
							strbuf_addf(&list, " (+%d names)", ntok - 2);
					}
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	sb_sep(&ev);
	strbuf_add_printable(&ev, path, strlen(path), false);
	strbuf_addf(&ev, ": %zu bytes, %zu entries, %zu other than localhost", h->size, entries, bad);
	if (bad) {
		strbuf_addf(&ev, ": %s", list.buf);
		if (bad > shown)
			strbuf_addf(&ev, "; and %zu more", bad - shown);
	}
	strbuf_release(&list);
	enum posture_state st = bad || redirected ? POSTURE_UNSAFE : POSTURE_SAFE;
	char *msg;
	if (bad)
		msg = xasprintf("the hosts file maps %zu entr%s other than localhost%s", bad, bad == 1 ? "y" : "ies",
				redirected ? ", and Tcpip DataBasePath moves it" : "");
	else if (redirected)
		msg = xstrdup("Tcpip DataBasePath moves the hosts file away from drivers\\etc");
	else
		msg = xstrdup(entries ? "the hosts file maps only localhost" : "the hosts file holds no entries");
	posture_add(out, rule, NULL, st, msg, strbuf_detach(&ev, NULL));
}

/* ---- write-filter ------------------------------------------------------------- */

static void ewf_volumes(const struct posture_inputs *in, struct strbuf *ev, size_t *nvol)
{
	size_t prot = pk_cs(in->system, in->control_set, "Services\\ewf\\Parameters\\Protected"), n = 0;
	size_t *vols = prot ? hive_subkeys(in->system, prot, &n) : NULL;

	*nvol = 0;
	for (size_t i = 0; i < n && i < 8; i++) {
		char *name = hive_key_name(in->system, vols[i]);
		uint32_t type = 0, en = 0;
		int trc = pk_dword(in->system, vols[i], "Type", &type);
		int erc = pk_dword(in->system, vols[i], "Enabled", &en);
		char *arc = pk_text(in->system, vols[i], "ArcName");
		static const char *const types[] = { "disk overlay", "RAM", "RAM-Reg" };

		(*nvol)++;
		sb_sep(ev);
		strbuf_addstr(ev, "ewf\\Parameters\\Protected\\");
		strbuf_add_printable(ev, name ? name : "?", name ? strlen(name) : 1, false);
		strbuf_addstr(ev, ":");
		if (trc == 1)
			strbuf_addf(ev, " Type = %u (%s)", type, type < 3 ? types[type] : "unknown");
		if (erc == 1)
			strbuf_addf(ev, " Enabled = %u", en);
		if (arc) {
			strbuf_addstr(ev, " ArcName = ");
			strbuf_add_printable(ev, arc, strlen(arc), false);
		}
		free(arc);
		free(name);
	}
	if (n > 8) {
		sb_sep(ev);
		strbuf_addf(ev, "and %zu more protected volumes", n - 8);
	}
	free(vols);
}

static void check_write_filter(const struct posture_inputs *in, struct posture *out)
{
	const char *rule = "write-filter";
	struct strbuf ev, msg;
	uint32_t ewf = 0, fbwf = 0, uwf = 0;
	size_t nvol = 0;

	if (!system_ok(in, rule, NULL, out))
		return;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	strbuf_init(&msg, 1024);
	int erc = service_start(in, "ewf", &ewf);
	int frc = service_start(in, "FBWF", &fbwf);
	int urc = service_start(in, "uwfvol", &uwf);
	bool upper = pk_lists(in->system,
			      pk_cs(in->system, in->control_set, "Control\\Class\\{71A27CDD-812A-11D0-BEC7-08002BE2092F}"),
			      "UpperFilters", "ewf");
	service_ev(&ev, in, "ewf", erc, ewf);
	if (erc != -1) {
		sb_sep(&ev);
		strbuf_addf(&ev, "volume class UpperFilters %s ewf", upper ? "lists" : "does not list");
		ewf_volumes(in, &ev, &nvol);
	}
	service_ev(&ev, in, "FBWF", frc, fbwf);
	service_ev(&ev, in, "uwfvol", urc, uwf);
	if (urc != -1) {
		size_t p = pk_cs(in->system, in->control_set, "Services\\uwfvol\\Parameters"), n = 0;
		size_t *kids = p ? hive_subkeys(in->system, p, &n) : NULL;
		if (n) {
			sb_sep(&ev);
			strbuf_addstr(&ev, "uwfvol\\Parameters subkeys:");
			for (size_t i = 0; i < n && i < 8; i++) {
				char *k = hive_key_name(in->system, kids[i]);
				strbuf_addstr(&ev, " ");
				strbuf_add_printable(&ev, k ? k : "?", k ? strlen(k) : 1, false);
				free(k);
			}
		}
		free(kids);
	}

	/* Start 0/1/2: loaded at boot; 3: on demand; 4: disabled. */
#define ON(rc, v) ((rc) == 1 && (v) <= 2)
	if (erc != -1) {
		strbuf_addf(&msg, "EWF %s", ON(erc, ewf) ? "installed and loaded at boot" : "installed, not loaded at boot");
		if (erc == 1)
			strbuf_addf(&msg, " (Start %u)", ewf);
		if (upper)
			strbuf_addstr(&msg, ", in the volume filter chain");
		if (nvol)
			strbuf_addf(&msg, ", %zu protected volume%s configured", nvol, nvol == 1 ? "" : "s");
	}
	if (frc != -1) {
		sb_sep(&msg);
		strbuf_addf(&msg, "FBWF %s", ON(frc, fbwf) ? "installed and loaded at boot" : "installed, not loaded at boot");
	}
	if (urc != -1) {
		sb_sep(&msg);
		strbuf_addf(&msg, "UWF %s", ON(urc, uwf) ? "installed and loaded at boot" : "installed, not loaded at boot");
	}
	if (!msg.len)
		strbuf_addstr(&msg, "no write filter (EWF, FBWF, UWF) is installed: changes are written to disk");
#undef ON
	posture_add(out, rule, NULL, POSTURE_INFO, strbuf_detach(&msg, NULL), strbuf_detach(&ev, NULL));
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
	check_autoplay(in, out);
	check_guest(in, out);
	check_hosts(in, out);
	check_write_filter(in, out);
}
