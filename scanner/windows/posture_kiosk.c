/* Kiosk hardening facts (design reference autostart-locations.md section
 * 4): AutoRun, the Guest account, the hosts file and the write filter,
 * judged as posture_hardening.c judges the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>
#include "windows_internal.h"
#include <kenshu/banned.h>

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

	if (!ph_software_ok(in, rule, out))
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

/* From the accounts sam_read parsed (RID 501 and its account-control
 * flags); false when they cannot tell, and the F value is read below. */
static bool guest_from_accounts(const struct posture_inputs *in, struct posture *out)
{
	const struct sam_account *g = sam_find(in->accounts, 0x1F5);
	bool disabled, hijack;

	if (!g) {
		posture_add(out, "guest-enabled", NULL, POSTURE_SAFE, xstrdup("there is no Guest account (RID 501)"),
			    xstrdup("SAM\\" GUEST_KEY " absent"));
		return true;
	}
	if (!g->has_f)
		return false;
	disabled = g->acb & SAM_ACB_DISABLED;
	hijack = g->note && strstr(g->note, "RID hijacking");
	posture_add(out, "guest-enabled", NULL, disabled ? POSTURE_SAFE : POSTURE_UNSAFE,
		    xasprintf("the Guest account is %s%s", disabled ? "disabled" : "enabled",
			      hijack ? ", and its F record carries another account's RID" : ""),
		    xasprintf("SAM\\" GUEST_KEY "\\F: account '%s', account control flags 0x%04X, disabled bit %s%s%s",
			      g->name, g->acb, disabled ? "set" : "clear", hijack ? "; " : "", hijack ? g->note : ""));
	return true;
}

static void check_guest(const struct posture_inputs *in, struct posture *out)
{
	const char *rule = "guest-enabled";
	size_t users, guest, n = 0;
	uint8_t *f;

	if (in->accounts && guest_from_accounts(in, out))
		return;
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
			    f ? xasprintf("SAM\\" GUEST_KEY "\\F is %zu byte%s, the flags are at byte 56 (80 expected)", n, n == 1 ? "" : "s")
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

char *posture_hosts_dir(const char *db, const char *system_root)
{
	/* "/Windows" -> "C:\Windows": the installation sees its volume as C:. */
	char *windir = xasprintf("C:%s", system_root), *dir = NULL;
	for (char *c = windir; *c; c++)
		if (*c == '/')
			*c = '\\';
	const struct cmd_env env[] = {
		{ "SystemRoot", windir }, { "windir", windir }, { "SystemDrive", "C:" },
	};

	cmd_resolve_path(db, env, sizeof(env) / sizeof(env[0]), &dir, NULL);
	free(windir);
	return dir;
}

/* DataBasePath is read as Windows reads it: a value that names the
 * default folder in other words (C:\windows\system32\drivers\etc,
 * %systemroot%\...\ETC\) is no redirection. */
static bool hosts_redirected(const struct posture_inputs *in, const char *db, struct strbuf *ev)
{
	const char *root = in->system_root ? in->system_root : "/Windows";
	char *want = xasprintf("%s/System32/drivers/etc", root);
	char *dir = posture_hosts_dir(db, root);
	bool moved = !dir || strcasecmp(dir, want) != 0;

	if (moved) {
		strbuf_addf(ev, "SYSTEM\\ControlSet%03u\\Services\\Tcpip\\Parameters\\DataBasePath = ", in->control_set);
		strbuf_add_printable(ev, db, strlen(db), false);
		if (dir) {
			strbuf_addstr(ev, " (");
			strbuf_add_printable(ev, dir, strlen(dir), false);
			strbuf_addstr(ev, " in the volume, not ");
			strbuf_add_printable(ev, want, strlen(want), false);
			strbuf_addstr(ev, ")");
		} else {
			strbuf_addstr(ev, " (outside the volume)");
		}
	}
	free(dir);
	free(want);
	return moved;
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
		redirected = db && hosts_redirected(in, db, &ev);
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
							strbuf_addf(&list, " (+%d name%s)", ntok - 2, ntok - 2 == 1 ? "" : "s");
					}
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	sb_sep(&ev);
	strbuf_add_printable(&ev, path, strlen(path), false);
	strbuf_addf(&ev, ": %zu byte%s, %zu entr%s, %zu other than localhost", h->size, h->size == 1 ? "" : "s",
		    entries, entries == 1 ? "y" : "ies", bad);
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

	if (!ph_system_ok(in, rule, NULL, out))
		return;
	strbuf_init(&ev, POSTURE_TEXT_MAX);
	strbuf_init(&msg, 1024);
	int erc = ph_service_start(in, "ewf", &ewf);
	int frc = ph_service_start(in, "FBWF", &fbwf);
	int urc = ph_service_start(in, "uwfvol", &uwf);
	bool upper = pk_lists(in->system,
			      pk_cs(in->system, in->control_set, "Control\\Class\\{71A27CDD-812A-11D0-BEC7-08002BE2092F}"),
			      "UpperFilters", "ewf");
	ph_service_ev(&ev, in, "ewf", erc, ewf);
	if (erc != -1) {
		sb_sep(&ev);
		strbuf_addf(&ev, "volume class UpperFilters %s ewf", upper ? "lists" : "does not list");
		ewf_volumes(in, &ev, &nvol);
	}
	ph_service_ev(&ev, in, "FBWF", frc, fbwf);
	ph_service_ev(&ev, in, "uwfvol", urc, uwf);
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

void posture_kiosk_checks(const struct posture_inputs *in, struct posture *out)
{
	check_autoplay(in, out);
	check_guest(in, out);
	check_hosts(in, out);
	check_write_filter(in, out);
}
