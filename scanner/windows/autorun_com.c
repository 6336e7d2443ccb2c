/* COM classes behind autostart entries: a BHO, a shell extension or an
 * Office add-in names a class, and the class names the DLL or EXE that
 * actually loads. Per-user registrations (UsrClass.dat) win over the
 * machine's, which is how a COM hijack works without admin rights. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/windows.h>
#include <kenshu/core.h>
#include <kenshu/banned.h>

/* "{00000000-0000-0000-0000-000000000000}" */
static bool is_clsid(const char *s)
{
	static const char shape[] = "{########-####-####-####-############}";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '#' ? !isxdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	return true;
}

/* Where classes live in each hive: UsrClass.dat's root is
 * HKCU\Software\Classes; SOFTWARE has the 64- and the 32-bit view. */
static const char *const user_roots[] = { "" };
static const char *const machine_roots[] = { "Classes", "Classes\\Wow6432Node" };

static char *server_in(struct hive *h, const char *const *roots, size_t nroots, const char *clsid)
{
	static const char *const servers[] = { "InprocServer32", "LocalServer32" };

	for (size_t r = 0; h && r < nroots; r++) {
		char key[256];
		snprintf(key, sizeof(key), "%s%sCLSID\\%s", roots[r], *roots[r] ? "\\" : "", clsid);
		size_t node = hive_key(h, key);
		for (size_t s = 0; node && s < sizeof(servers) / sizeof(servers[0]); s++) {
			char *v = hive_string(h, hive_child(h, node, servers[s]), "");
			if (v && *v)
				return v;
			free(v);
		}
	}
	return NULL;
}

/* A ProgID ("Vendor.Addin") names its class in <ProgID>\CLSID. */
static char *progid_class(struct hive *h, const char *const *roots, size_t nroots, const char *progid)
{
	for (size_t r = 0; h && r < nroots; r++) {
		char key[512];
		snprintf(key, sizeof(key), "%s%s%s\\CLSID", roots[r], *roots[r] ? "\\" : "", progid);
		char *v = hive_string(h, hive_key(h, key), "");
		if (v && is_clsid(v))
			return v;
		free(v);
	}
	return NULL;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* VSTO add-ins name a manifest: "file:///C:/Vendor/addin.vsto|vstolocal". */
static void manifest_to_path(struct autorun *a)
{
	char *bar = strchr(a->command, '|');
	if (bar)
		*bar = '\0';
	if (!strncasecmp(a->command, "file:///", 8)) {
		char *p = xstrdup(a->command + 8);
		for (char *c = p; *c; c++)
			if (*c == '/')
				*c = '\\';
		free(a->command);
		a->command = p;
	}
}

static void resolve_one(struct autorun *a, struct hive *software, struct hive *user_classes)
{
	const char *candidate = a->loc->com == AR_COM_DATA ? a->command : a->name;
	char *clsid = NULL;

	if (a->loc->com == AR_COM_NAME && a->loc->rule == AR_SUBKEY_NAMES && *a->command) {
		manifest_to_path(a);   /* the add-in names its file itself */
		return;
	}
	if (is_clsid(candidate))
		clsid = xstrdup(candidate);
	else if (a->loc->com == AR_COM_DATA && is_clsid(a->name))
		clsid = xstrdup(a->name);   /* ContextMenuHandlers\{CLSID} with an empty default */
	else if (*candidate && !(clsid = progid_class(user_classes, user_roots, N(user_roots), candidate)))
		clsid = progid_class(software, machine_roots, N(machine_roots), candidate);
	if (!clsid) {
		a->setting = true;
		a->note = xasprintf("names no COM class that is registered (%s)", *candidate ? candidate : "empty");
		return;
	}
	a->clsid = clsid;

	char *user = server_in(user_classes, user_roots, N(user_roots), clsid);
	char *machine = server_in(software, machine_roots, N(machine_roots), clsid);
	bool per_user_row = a->loc->hive == AR_USRCLASS;

	if (per_user_row) {
		/* The entry is the user's own registration: command is its server. */
		if (machine && strcasecmp(machine, a->command) != 0)
			a->shadows = machine, machine = NULL;
	} else if (user || machine) {
		if (user && machine && strcasecmp(user, machine) != 0)
			a->shadows = xstrdup(machine);
		free(a->command);
		a->command = xstrdup(user ? user : machine);
	} else {
		a->setting = true;
		a->note = xasprintf("COM class %s has no server registered", clsid);
	}
	free(user);
	free(machine);
}

void autorun_resolve_com(struct autorun_list *l, size_t from, struct hive *software,
			 struct hive *user_classes)
{
	for (size_t i = from; i < l->n; i++)
		if (l->v[i].loc && l->v[i].loc->com != AR_COM_NONE)
			resolve_one(&l->v[i], software, user_classes);
}
