/* posture: the check list, its text helpers and the table tokenizer; and
 * posture_collect, which reads from the image what posture_evaluate needs. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <kenshu/core.h>
#include <kenshu/volume.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>
#include "windows_internal.h"
#include <kenshu/banned.h>

static const char *const state_names[] = {
	[POSTURE_UNKNOWN] = "unknown",
	[POSTURE_SAFE] = "safe",
	[POSTURE_UNSAFE] = "unsafe",
	[POSTURE_ABSENT_UNSAFE] = "absent-unsafe",
	[POSTURE_ABSENT_SAFE] = "absent-safe",
	[POSTURE_INFO] = "info",
	[POSTURE_NOT_APPLICABLE] = "not-applicable",
};

const char *posture_state_name(enum posture_state s)
{
	if ((unsigned)s < sizeof(state_names) / sizeof(state_names[0]) && state_names[s])
		return state_names[s];
	return "unknown";
}

void posture_release(struct posture *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->c[i].message);
		free(p->c[i].evidence);
	}
	free(p->c);
	p->c = NULL;
	p->n = 0;
}

/* scope is one of the comma-separated names of list. */
static bool scope_in(const char *list, const char *scope)
{
	size_t n = strlen(scope);

	for (const char *s = list; s; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL)
		if (!strncmp(s, scope, n) && (s[n] == ',' || s[n] == '\0'))
			return true;
	return false;
}

const struct posture_check *posture_find(const struct posture *p, const char *rule, const char *scope)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct posture_check *c = &p->c[i];
		if (strcmp(c->rule, rule) != 0)
			continue;
		if (scope && (!c->scope || !scope_in(c->scope, scope)))
			continue;
		return c;
	}
	return NULL;
}

void posture_add(struct posture *p, const char *rule, const char *scope, enum posture_state st,
		 char *message, char *evidence)
{
	struct posture_check *c;

	p->c = xrealloc(p->c, (p->n + 1) * sizeof(*p->c));
	c = &p->c[p->n++];
	c->rule = rule;
	c->scope = scope;
	c->state = st;
	c->message = message ? message : xstrdup("");
	c->evidence = evidence ? evidence : xstrdup("");
}

/* ---- registry helpers -------------------------------------------------- */

size_t pk_cs(struct hive *sys, uint32_t cs, const char *rel)
{
	char path[512];

	if (!sys || !cs)
		return 0;
	snprintf(path, sizeof(path), "ControlSet%03u\\%s", cs, rel);
	return hive_key(sys, path);
}

bool pk_present(struct hive *h, size_t node, const char *name)
{
	size_t n;
	void *d;

	if (!h || !node)
		return false;
	d = hive_binary(h, node, name, &n);
	if (!d)
		return false;
	explicit_bzero(d, n);
	free(d);
	return true;
}

int pk_dword(struct hive *h, size_t node, const char *name, uint32_t *v)
{
	if (!h || !node)
		return 0;
	if (hive_dword(h, node, name, v) == 0)
		return 1;
	return pk_present(h, node, name) ? -1 : 0;
}

char *pk_text(struct hive *h, size_t node, const char *name)
{
	struct hive_value *v;
	size_t n;
	char *out = NULL;

	if (!h || !node)
		return NULL;
	v = hive_values(h, node, &n);
	for (size_t i = 0; i < n && !out; i++)
		if (!strcasecmp(v[i].name, name)) {
			out = v[i].text;
			v[i].text = NULL;
		}
	hive_values_free(v, n);
	return out;
}

bool pk_lists(struct hive *h, size_t node, const char *name, const char *item)
{
	char *t = pk_text(h, node, name);
	bool found = false;
	size_t il = strlen(item);

	for (const char *p = t; p && *p && !found;) {
		size_t l = strcspn(p, "\n");
		found = l == il && !strncasecmp(p, item, il);
		p += l;
		if (*p)
			p++;
	}
	free(t);
	return found;
}

/* ---- table tokenizer --------------------------------------------------- */

int pt_parse(const char *text, size_t len, const char *name, const char *const *field_names,
	     int nfields, pt_row_fn fn, void *ctx, struct ks_err *err)
{
	char line[POSTURE_TABLE_MAX_LINE + 1], msg[256];
	char *fields[16];
	unsigned no = 0, rows = 0;
	size_t pos = 0;

	if (nfields > (int)(sizeof(fields) / sizeof(fields[0])))
		BUG("table with %d fields", nfields);
	if (!text)
		len = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *start = text + pos;

		no++;
		pos += l + (nl ? 1 : 0);
		if (l && start[l - 1] == '\r')
			l--;
		if (l > POSTURE_TABLE_MAX_LINE) {
			ks_fail_at(err, KS_EINPUT, name, no, "line longer than %d bytes", POSTURE_TABLE_MAX_LINE);
			return -1;
		}
		if (memchr(start, '\0', l)) {
			ks_fail_at(err, KS_EINPUT, name, no, "NUL byte in the line");
			return -1;
		}
		memcpy(line, start, l);
		line[l] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (++rows > POSTURE_TABLE_MAX_ROWS) {
			ks_fail_at(err, KS_EINPUT, name, no, "more than %d rows", POSTURE_TABLE_MAX_ROWS);
			return -1;
		}
		int n = 0;
		for (char *f = line;; n++) {
			char *tab = strchr(f, '\t');
			if (n < nfields)
				fields[n] = f;
			if (!tab) {
				n++;
				break;
			}
			*tab = '\0';
			f = tab + 1;
		}
		if (n != nfields) {
			ks_fail_at(err, KS_EINPUT, name, no, "expected %d tab-separated fields, found %d", nfields, n);
			return -1;
		}
		for (int i = 0; i < nfields; i++) {
			fields[i] = str_trim(fields[i], " ");
			if (!*fields[i]) {
				ks_fail_at(err, KS_EINPUT, name, no, "field %d (%s) is empty", i + 1, field_names[i]);
				return -1;
			}
		}
		msg[0] = '\0';
		if (fn(ctx, fields, no, msg, sizeof(msg)) < 0) {
			ks_fail_at(err, KS_EINPUT, name, no, "%s", msg);
			return -1;
		}
	}
	if (!rows) {
		ks_fail_at(err, KS_EINPUT, name, 0, "no rows");
		return -1;
	}
	return 0;
}

int pt_uint(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!n || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int pt_os(const char *s, uint32_t *major, uint32_t *minor, char *msg, size_t msglen)
{
	const char *dot = strchr(s, '.');

	if (!dot || pt_uint(s, (size_t)(dot - s), 65535, major) < 0 ||
	    pt_uint(dot + 1, strlen(dot + 1), 65535, minor) < 0) {
		snprintf(msg, msglen, "os '%s' is not MAJOR.MINOR (e.g. 6.1)", s);
		return -1;
	}
	return 0;
}

int pt_range(const char *s, const char *what, uint32_t max, uint32_t *lo, uint32_t *hi,
	     char *msg, size_t msglen)
{
	const char *dash = strchr(s, '-');

	if (!strcmp(s, "*")) {
		*lo = 0;
		*hi = max;
		return 0;
	}
	if (!dash) {
		if (pt_uint(s, strlen(s), max, lo) == 0) {
			*hi = *lo;
			return 0;
		}
	} else if (pt_uint(s, (size_t)(dash - s), max, lo) == 0) {
		if (!dash[1]) {
			*hi = max;
			return 0;
		}
		if (pt_uint(dash + 1, strlen(dash + 1), max, hi) == 0) {
			if (*lo <= *hi)
				return 0;
			snprintf(msg, msglen, "%s range '%s' ends before it starts", what, s);
			return -1;
		}
	}
	snprintf(msg, msglen, "%s '%s' is not N, N-M, N- or * (numbers up to %u)", what, s, max);
	return -1;
}

/* ---- dates ------------------------------------------------------------- */

void posture_day(time_t t, int *y, int *m, int *d)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
}

/* ---- evaluation -------------------------------------------------------- */

void posture_evaluate(const struct posture_inputs *in, struct posture *out)
{
	memset(out, 0, sizeof(*out));
	posture_patch_checks(in, out);
	posture_hardening_checks(in, out);
}

/* ---- reading the image -------------------------------------------------- */

struct read_file {
	struct posture_file pf;
	void *data;
	char err[256];
};

static void read_one(struct fs *fs, const char *path, uint64_t max, struct read_file *rf)
{
	uint64_t id, size = 0;
	struct ks_err err;
	int r = fs_lookup(fs, path, &id);

	memset(rf, 0, sizeof(*rf));
	if (r == 0)
		return;
	rf->pf.present = true;
	if (r < 0) {
		snprintf(rf->err, sizeof(rf->err), "cannot look it up: %s", fs_last_error());
	} else if (fs_read_file(fs, path, max, &rf->data, &size, &err) == 0) {
		rf->pf.data = rf->data;
		rf->pf.size = (size_t)size;
		return;
	} else {
		snprintf(rf->err, sizeof(rf->err), "%.255s", err.msg);
	}
	if (!rf->err[0])
		snprintf(rf->err, sizeof(rf->err), "cannot be read");
	rf->pf.error = rf->err;
}

/* Where Tcpip\Parameters DataBasePath puts the hosts file, as a path in
 * the volume; NULL when it points outside it (another drive, a share). */
static char *hosts_path(struct hive *sys, uint32_t cs, const char *system_root)
{
	char *db = pk_text(sys, pk_cs(sys, cs, "Services\\Tcpip\\Parameters"), "DataBasePath");
	char *dir, *out;

	if (!db)
		return xasprintf("%s/System32/drivers/etc/hosts", system_root);
	dir = posture_hosts_dir(db, system_root);
	free(db);
	if (!dir)
		return NULL;
	out = xasprintf("%s/hosts", strcmp(dir, "/") ? dir : "");
	free(dir);
	return out;
}

/* The local accounts (sam.c), with the boot key when SYSTEM gives it: the
 * passwords are judged here, once, and only the judgement is kept. */
static void read_accounts(struct os_info *os, struct hive *system, struct hive *sam, const char *sam_error)
{
	struct ks_err err;
	uint8_t key[16];
	bool have_key = false;
	char *why = NULL;

	sam_accounts_release(&os->accounts);
	free(os->accounts_error);
	os->accounts_error = NULL;
	if (!sam) {
		os->accounts_error = xstrdup(sam_error ? sam_error : "no SAM hive");
		return;
	}
	if (!system)
		why = xstrdup("the SYSTEM hive (which holds the boot key) could not be read");
	else if (sam_boot_key(system, os->control_set, key, &err) < 0)
		why = xasprintf("no boot key: %s", err.msg);
	else
		have_key = true;
	if (sam_read(sam, have_key ? key : NULL, &os->accounts, &err) < 0) {
		os->accounts_error = xasprintf("SAM: %s", err.msg);
		free(why);
		return;
	}
	if (why) {
		free(os->accounts.key_note);
		os->accounts.key_note = why;
	}
	memset(key, 0, sizeof(key));
}

void posture_collect(struct fs *fs, struct os_info *os, struct hive *software, time_t scan_day)
{
	struct posture_inputs in;
	struct hive *system = NULL, *own_software = NULL, *sam = NULL;
	struct hive_health hh;
	struct posture_user_hive *users = NULL;
	struct read_file srv, srv2, hosts;
	char sys_err[200] = "", sw_err[200] = "", sam_err[300] = "";
	char *path;
	uint64_t id;

	memset(&in, 0, sizeof(in));
	in.major = os->major;
	in.minor = os->minor;
	in.build = os->build ? (uint32_t)strtoul(os->build, NULL, 10) : 0;
	in.has_ubr = os->has_ubr;
	in.ubr = os->ubr;
	in.edition = os->edition;
	in.product_name = os->product_name;
	in.control_set = os->control_set;
	in.system_root = os->system_root;

	if (os->hives[1].path && hive_open_fs(fs, os->hives[1].path, &system, &hh) < 0)
		snprintf(sys_err, sizeof(sys_err), "SYSTEM hive not readable: %s", hh.error);
	in.system = system;
	in.system_error = sys_err[0] ? sys_err : NULL;
	if (!software && os->hives[0].path && hive_open_fs(fs, os->hives[0].path, &own_software, &hh) < 0)
		snprintf(sw_err, sizeof(sw_err), "SOFTWARE hive not readable: %s", hh.error);
	in.software = software ? software : own_software;
	in.software_error = sw_err[0] ? sw_err : NULL;

	path = xasprintf("%s/System32/config/SAM", os->system_root);
	if (fs_lookup(fs, path, &id) != 1)
		snprintf(sam_err, sizeof(sam_err), "no SAM hive at %s", path);
	else if (hive_open_fs(fs, path, &sam, &hh) < 0)
		snprintf(sam_err, sizeof(sam_err), "SAM hive not readable: %s", hh.error);
	free(path);
	in.sam = sam;
	in.sam_error = sam_err[0] ? sam_err : NULL;
	read_accounts(os, system, sam, in.sam_error);
	in.accounts = os->accounts_error ? NULL : &os->accounts;

	users = xcalloc(os->nuser_hives ? os->nuser_hives : 1, sizeof(*users));
	for (size_t i = 0; i < os->nuser_hives; i++) {
		const struct os_user_hive *u = &os->user_hives[i];
		if (strcmp(u->kind, "NTUSER.DAT") != 0)
			continue;
		users[in.nusers].user = u->user;
		if (u->health.opened && hive_open_fs(fs, u->path, &users[in.nusers].ntuser, &hh) < 0)
			users[in.nusers].ntuser = NULL;
		in.nusers++;
	}
	in.users = users;

	path = xasprintf("%s/System32/drivers/srv.sys", os->system_root);
	read_one(fs, path, POSTURE_MAX_DRIVER_SIZE, &srv);
	free(path);
	path = xasprintf("%s/System32/drivers/srv2.sys", os->system_root);
	read_one(fs, path, POSTURE_MAX_DRIVER_SIZE, &srv2);
	free(path);
	in.srv_sys = srv.pf;
	in.srv2_sys = srv2.pf;

	path = hosts_path(system, os->control_set, os->system_root);
	if (path) {
		read_one(fs, path, POSTURE_MAX_HOSTS_SIZE, &hosts);
	} else {
		memset(&hosts, 0, sizeof(hosts));
		hosts.pf.present = true;
		snprintf(hosts.err, sizeof(hosts.err), "Tcpip DataBasePath points outside this volume");
		hosts.pf.error = hosts.err;
	}
	in.hosts = hosts.pf;
	in.hosts_path = path ? path : "(outside the volume)";

	in.now = scan_day;

	posture_release(&os->posture);
	posture_evaluate(&in, &os->posture);

	free(srv.data);
	free(srv2.data);
	free(hosts.data);
	free(path);
	for (size_t i = 0; i < in.nusers; i++)
		hive_close(users[i].ntuser);
	free(users);
	hive_close(sam);
	hive_close(own_software);
	hive_close(system);
}
