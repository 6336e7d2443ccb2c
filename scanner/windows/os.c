/* OS identity from SOFTWARE and SYSTEM. WES7 calls itself just "Windows
 * Embedded Standard", so the family comes from the version numbers, never
 * from ProductName. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <kenshu/core.h>
#include <kenshu/windows.h>
#include <kenshu/banned.h>

/* System roots Windows has used, looked up case-insensitively. */
static const char *const system_roots[] = { "/Windows", "/WINNT" };

static const struct {
	uint32_t major, minor;
	uint32_t build_min;      /* first build of this family */
	const char *family;
} families[] = {
	{ 5, 1, 0, "Windows XP / Windows Embedded POSReady 2009 / XP Embedded" },
	{ 5, 2, 0, "Windows Server 2003 / XP x64" },
	{ 6, 0, 0, "Windows Vista / Server 2008" },
	{ 6, 1, 0, "Windows 7 / Windows Embedded Standard 7 / POSReady 7" },
	{ 6, 2, 0, "Windows 8 / Windows Embedded 8" },
	{ 6, 3, 0, "Windows 8.1 / Windows Embedded 8.1 Industry" },
	{ 10, 0, 0, "Windows 10 / Windows 10 IoT Enterprise" },
	{ 10, 0, 22000, "Windows 11 / Windows 11 IoT Enterprise" },
};

const char *os_family(uint32_t major, uint32_t minor, uint32_t build)
{
	const char *best = NULL;

	/* Rows are in ascending build order: the last match wins. */
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (families[i].major == major && families[i].minor == minor && build >= families[i].build_min)
			best = families[i].family;
	return best ? best : "unknown Windows version";
}

static int parse_version(const char *s, uint32_t *major, uint32_t *minor)
{
	unsigned a, b;
	char extra;

	if (!s || sscanf(s, "%u.%u%c", &a, &b, &extra) != 2)
		return -1;
	*major = a;
	*minor = b;
	return 0;
}

static char *unix_time_iso(uint32_t t)
{
	char buf[32];

	ks_iso_time((time_t)t, buf, sizeof(buf));
	return buf[0] ? xstrdup(buf) : NULL;
}

static void read_software(struct hive *sw, struct os_info *os)
{
	size_t cv = hive_key(sw, "Microsoft\\Windows NT\\CurrentVersion");
	uint32_t v, build = 0;

	os->product_name = hive_string(sw, cv, "ProductName");
	os->edition = hive_string(sw, cv, "EditionID");
	os->current_version = hive_string(sw, cv, "CurrentVersion");
	os->build = hive_string(sw, cv, "CurrentBuildNumber");
	if (!os->build)
		os->build = hive_string(sw, cv, "CurrentBuild");
	os->service_pack = hive_string(sw, cv, "CSDVersion");
	os->registered_owner = hive_string(sw, cv, "RegisteredOwner");
	os->registered_organization = hive_string(sw, cv, "RegisteredOrganization");
	if (hive_dword(sw, cv, "UBR", &v) == 0) {
		os->has_ubr = true;
		os->ubr = v;
	}
	if (hive_dword(sw, cv, "InstallDate", &v) == 0)
		os->install_date = unix_time_iso(v);
	/* Windows 10 keeps "6.3" in CurrentVersion for old software's sake; the
	 * real numbers are in CurrentMajor/MinorVersionNumber. */
	if (hive_dword(sw, cv, "CurrentMajorVersionNumber", &os->major) < 0 ||
	    hive_dword(sw, cv, "CurrentMinorVersionNumber", &os->minor) < 0)
		parse_version(os->current_version, &os->major, &os->minor);
	if (os->build)
		build = (uint32_t)strtoul(os->build, NULL, 10);
	os->family = xstrdup(os->major ? os_family(os->major, os->minor, build) : "unknown Windows version");

	size_t pl = hive_key(sw, "Microsoft\\Windows NT\\CurrentVersion\\ProfileList"), n = 0;
	size_t *sids = pl ? hive_subkeys(sw, pl, &n) : NULL;
	os->profiles = xcalloc(n ? n : 1, sizeof(*os->profiles));
	for (size_t i = 0; i < n; i++) {
		struct os_profile *p = &os->profiles[os->nprofiles];
		char *path = hive_string(sw, sids[i], "ProfileImagePath");
		const char *slash;

		if (!path)
			continue;
		p->sid = hive_key_name(sw, sids[i]);
		p->path = path;
		slash = strrchr(path, '\\');
		p->user = xstrdup(slash ? slash + 1 : path);
		os->nprofiles++;
	}
	free(sids);
	/* The Default profile is no SID but its hive seeds every new user:
	 * a Run key planted there runs for each account created later. */
	char *def = hive_string(sw, pl, "Default");
	if (def) {
		os->profiles = xrealloc(os->profiles, (os->nprofiles + 1) * sizeof(*os->profiles));
		os->profiles[os->nprofiles].sid = xstrdup("Default");
		os->profiles[os->nprofiles].path = def;
		os->profiles[os->nprofiles].user = xstrdup("Default");
		os->profiles[os->nprofiles].found_on_disk = false;
		os->nprofiles++;
	}
}

static void read_system(struct hive *sys, struct os_info *os)
{
	char key[160];
	size_t node;

	if (hive_dword(sys, hive_key(sys, "Select"), "Current", &os->control_set) < 0 || !os->control_set)
		return;   /* no ControlSet to read from: leave the rest unknown */
	snprintf(key, sizeof(key), "ControlSet%03u\\Control\\ComputerName\\ComputerName", os->control_set);
	os->hostname = hive_string(sys, hive_key(sys, key), "ComputerName");
	if (!os->hostname) {
		snprintf(key, sizeof(key), "ControlSet%03u\\Services\\Tcpip\\Parameters", os->control_set);
		os->hostname = hive_string(sys, hive_key(sys, key), "Hostname");
	}
	snprintf(key, sizeof(key), "ControlSet%03u\\Control\\Session Manager\\Environment", os->control_set);
	os->architecture = hive_string(sys, hive_key(sys, key), "PROCESSOR_ARCHITECTURE");
	snprintf(key, sizeof(key), "ControlSet%03u\\Control\\TimeZoneInformation", os->control_set);
	node = hive_key(sys, key);
	os->time_zone = hive_string(sys, node, "TimeZoneKeyName");
	if (!os->time_zone)
		os->time_zone = hive_string(sys, node, "StandardName"); /* XP has no key name */
}

void os_read_hive(struct hive *h, enum os_hive_kind kind, struct os_info *os)
{
	if (kind == OS_HIVE_SOFTWARE) {
		read_software(h, os);
		autorun_collect(h, AR_SOFTWARE, 0, NULL, os->volume, &os->autoruns);
	} else {
		read_system(h, os);
		if (os->control_set) {
			autorun_collect(h, AR_SYSTEM, os->control_set, NULL, os->volume, &os->autoruns);
			autorun_other_control_sets(h, os->control_set, os->volume, &os->autoruns);
		}
	}
}

/* A profile path as Windows stores it ("%SystemDrive%\Users\bob",
 * "C:\Users\bob", "%systemroot%\ServiceProfiles\x") as a path in the
 * volume, or NULL when it points elsewhere (another drive, a share). */
static char *profile_dir(const struct os_info *os, const char *stored)
{
	static const struct {
		const char *prefix;
		int root;   /* 1: replaced by the system root, 0: by the volume root */
	} prefixes[] = {
		{ "%SystemDrive%", 0 }, { "C:", 0 }, { "%SystemRoot%", 1 }, { "%windir%", 1 },
	};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t l = strlen(prefixes[i].prefix);
		if (strncasecmp(stored, prefixes[i].prefix, l) != 0)
			continue;
		char *p = xasprintf("%s%s", prefixes[i].root ? os->system_root : "", stored + l);
		for (char *c = p; *c; c++)
			if (*c == '\\')
				*c = '/';
		return p;
	}
	return NULL;
}

/* Where Windows keeps profiles: a hive found in one of these folders is a
 * profile even when ProfileList does not name it (a deleted SID key, a
 * service account, a profile copied in by the vendor's imaging tool). */
static const struct {
	bool in_system_root;
	const char *glob;
} profile_globs[] = {
	{ false, "/Users/*/NTUSER.DAT" },
	{ false, "/Documents and Settings/*/NTUSER.DAT" },
	{ true, "/ServiceProfiles/*/NTUSER.DAT" },
	{ true, "/System32/config/systemprofile/NTUSER.DAT" },
};

static bool in_profile_folder(const struct os_info *os, const char *path)
{
	for (size_t i = 0; i < sizeof(profile_globs) / sizeof(profile_globs[0]); i++) {
		char *glob = xasprintf("%s%s", profile_globs[i].in_system_root ? os->system_root : "",
				       profile_globs[i].glob);
		int m = fnmatch(glob, path, FNM_PATHNAME | FNM_CASEFOLD);
		free(glob);
		if (m == 0)
			return true;
	}
	return false;
}

/* Profiles whose NTUSER.DAT the walk found but ProfileList does not name. */
static void add_found_profiles(struct os_info *os, const char *const *found, size_t nfound)
{
	for (size_t f = 0; f < nfound; f++) {
		bool known = false;

		if (!in_profile_folder(os, found[f]))
			continue;
		for (size_t i = 0; i < os->nprofiles && !known; i++) {
			char *dir = profile_dir(os, os->profiles[i].path);
			size_t dl = dir ? strlen(dir) : 0;
			known = dir && !strncasecmp(found[f], dir, dl) && found[f][dl] == '/' &&
				!strchr(found[f] + dl + 1, '/');
			free(dir);
		}
		if (known)
			continue;
		const char *end = strrchr(found[f], '/');
		const char *start = end;
		while (start > found[f] && start[-1] != '/')
			start--;
		struct os_profile *p;
		os->profiles = xrealloc(os->profiles, (os->nprofiles + 1) * sizeof(*os->profiles));
		p = &os->profiles[os->nprofiles++];
		p->sid = xstrdup("");
		p->user = xstrndup(start, (size_t)(end - start));
		p->path = xasprintf("C:%.*s", (int)(end - found[f]), found[f]);
		for (char *c = p->path; *c; c++)
			if (*c == '/')
				*c = '\\';
		p->found_on_disk = true;
	}
}

static struct os_user_hive *new_user_hive(struct os_info *os, const char *user, char *path, const char *kind)
{
	struct os_user_hive *u;

	os->user_hives = xrealloc(os->user_hives, (os->nuser_hives + 1) * sizeof(*os->user_hives));
	u = &os->user_hives[os->nuser_hives++];
	memset(u, 0, sizeof(*u));
	u->user = xstrdup(user);
	u->path = path;
	u->kind = kind;
	return u;
}

/* Each profile's NTUSER.DAT and UsrClass.dat: the per-user autostart keys,
 * and the user's COM classes that override the machine's. */
static void read_user_hives(struct fs *fs, struct os_info *os, struct hive *software)
{
	for (size_t i = 0; i < os->nprofiles; i++) {
		char *dir = profile_dir(os, os->profiles[i].path);
		const char *user = os->profiles[i].user;
		struct hive *h = NULL, *classes = NULL;
		uint64_t id;

		if (!dir)
			continue;
		/* Vista and later keep the classes in AppData, XP in Local Settings. */
		static const char *const classes_paths[] = {
			"/AppData/Local/Microsoft/Windows/UsrClass.dat",
			"/Local Settings/Application Data/Microsoft/Windows/UsrClass.dat",
		};
		for (size_t k = 0; k < sizeof(classes_paths) / sizeof(classes_paths[0]); k++) {
			char *path = xasprintf("%s%s", dir, classes_paths[k]);
			if (fs_lookup(fs, path, &id) != 1) {
				free(path);
				continue;
			}
			struct os_user_hive *u = new_user_hive(os, user, path, "UsrClass.dat");
			if (hive_open_fs(fs, path, &classes, &u->health) == 0) {
				size_t from = os->autoruns.n;
				autorun_collect(classes, AR_USRCLASS, 0, user, os->volume, &os->autoruns);
				autorun_resolve_com(&os->autoruns, from, software, classes);
			}
			break;
		}
		char *path = xasprintf("%s/NTUSER.DAT", dir);
		free(dir);
		if (fs_lookup(fs, path, &id) != 1) {
			free(path);   /* a profile never logged on has no hive */
			hive_close(classes);
			continue;
		}
		struct os_user_hive *u = new_user_hive(os, user, path, "NTUSER.DAT");
		if (hive_open_fs(fs, path, &h, &u->health) == 0) {
			size_t from = os->autoruns.n;
			autorun_collect(h, AR_NTUSER, 0, user, os->volume, &os->autoruns);
			autorun_resolve_com(&os->autoruns, from, software, classes);
			certstores_collect_user(h, user, &os->certstores);
			hive_close(h);
		}
		hive_close(classes);
	}
}

int os_inspect(struct fs *fs, unsigned volume, const char *const *ntuser_found, size_t nfound,
	       time_t scan_day, struct os_info *os)
{
	static const char *const names[2] = { "SOFTWARE", "SYSTEM" };

	memset(os, 0, sizeof(*os));
	for (size_t r = 0; r < sizeof(system_roots) / sizeof(system_roots[0]); r++) {
		char *sw_path = xasprintf("%s/System32/config/SOFTWARE", system_roots[r]);
		char *sys_path = xasprintf("%s/System32/config/SYSTEM", system_roots[r]);
		struct hive *software = NULL;
		uint64_t id;
		bool found = fs_lookup(fs, sw_path, &id) == 1 && fs_lookup(fs, sys_path, &id) == 1;

		if (!found) {
			free(sw_path);
			free(sys_path);
			continue;
		}
		os->volume = volume;
		os->system_root = xstrdup(system_roots[r]);
		char *paths[2] = { sw_path, sys_path };
		for (int k = 0; k < 2; k++) {
			struct hive *h = NULL;

			os->hives[k].name = names[k];
			os->hives[k].path = paths[k];
			if (hive_open_fs(fs, paths[k], &h, &os->hives[k].health) < 0)
				continue;
			size_t from = os->autoruns.n;
			os_read_hive(h, k == 0 ? OS_HIVE_SOFTWARE : OS_HIVE_SYSTEM, os);
			if (k == 0) {
				autorun_resolve_com(&os->autoruns, from, h, NULL);
				os->has_taskcache = taskcache_read(h, &os->taskcache) == 0;
				certstores_collect_machine(h, &os->certstores);
				software = h;   /* kept open: user COM classes are compared with it */
			} else {
				hive_close(h);
			}
		}
		if (!os->family)
			os->family = xstrdup("unknown Windows version");
		if (!os->profiles)
			os->profiles = xcalloc(1, sizeof(*os->profiles));
		add_found_profiles(os, ntuser_found, nfound);
		read_user_hives(fs, os, software);
		/* Patch level and hardening facts (posture.h): after identity and
		 * user hives are known; reuses the open SOFTWARE hive. */
		posture_collect(fs, os, software, scan_day);
		hive_close(software);
		autorun_sort(&os->autoruns);
		certstores_sort(&os->certstores);
		return 1;
	}
	return 0;
}

void os_info_release(struct os_info *os)
{
	free(os->system_root);
	free(os->product_name);
	free(os->edition);
	free(os->current_version);
	free(os->build);
	free(os->service_pack);
	free(os->family);
	free(os->architecture);
	free(os->hostname);
	free(os->install_date);
	free(os->registered_owner);
	free(os->registered_organization);
	free(os->time_zone);
	for (size_t i = 0; i < os->nprofiles; i++) {
		free(os->profiles[i].sid);
		free(os->profiles[i].path);
		free(os->profiles[i].user);
	}
	free(os->profiles);
	for (int k = 0; k < 2; k++)
		free(os->hives[k].path);
	for (size_t i = 0; i < os->nuser_hives; i++) {
		free(os->user_hives[i].user);
		free(os->user_hives[i].path);
	}
	free(os->user_hives);
	autorun_list_release(&os->autoruns);
	free(os->wmi_error);
	free(os->cross_check);
	taskcache_release(&os->taskcache);
	posture_release(&os->posture);
	certstores_release(&os->certstores);
	sam_accounts_release(&os->accounts);
	free(os->accounts_error);
	memset(os, 0, sizeof(*os));
}
