/* Defender's exclusions and the policy switches that turn it off, from the
 * installation's SOFTWARE hive, and whether an exclusion covers a file.
 *
 * Windows Defender reads exclusions from two places: its own settings
 * (Microsoft\Windows Defender\Exclusions, written by the UI, PowerShell's
 * Add-MpPreference or a local administrator) and Group Policy
 * (Policies\Microsoft\Windows Defender\Exclusions). In both the value
 * NAMES are the exclusions (the data is 0). Both are read and each
 * exclusion says which it came from. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/evidence.h>

#define DEF_KEY "Microsoft\\Windows Defender"
#define DEF_POLICY_KEY "Policies\\Microsoft\\Windows Defender"

static const struct {
	const char *sub;
	enum def_kind kind;
	const char *name;
} kinds[] = {
	{ "Paths", DEF_PATH, "path" },
	{ "Extensions", DEF_EXTENSION, "extension" },
	{ "Processes", DEF_PROCESS, "process" },
	{ "IpAddresses", DEF_IP, "ip-address" },
	{ "TemporaryPaths", DEF_TEMP_PATH, "temporary-path" },
};

/* Extensions of code Windows runs: excluding one hides every such file. */
static const char *const risky_ext[] = { "exe", "dll", "ps1", "bat", "cmd", "vbs", "js", "scr" };

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static bool has_sep(const char *s)
{
	return strchr(s, '\\') || strchr(s, '/') || strchr(s, ':') || strchr(s, '%');
}

/* A folder or file pattern of a Windows path, placed in the volume. The
 * installation's own defaults stand for the variables (as autoruns does);
 * per-user variables become every profile ("*"): Defender expands them for
 * the user the scan runs as, which offline is any of them. */
static void place_path(struct def_exclusion *x, const char *system_root)
{
	char *windir = xasprintf("C:%s", system_root && *system_root ? system_root : "/Windows");
	const struct cmd_env env[] = {
		{ "SystemRoot", windir }, { "windir", windir }, { "SystemDrive", "C:" },
		{ "ProgramFiles", "C:\\Program Files" }, { "ProgramFiles(x86)", "C:\\Program Files (x86)" },
		{ "ProgramW6432", "C:\\Program Files" },
		{ "CommonProgramFiles", "C:\\Program Files\\Common Files" },
		{ "ProgramData", "C:\\ProgramData" }, { "ALLUSERSPROFILE", "C:\\ProgramData" },
		{ "PUBLIC", "C:\\Users\\Public" }, { "USERPROFILE", "C:\\Users\\*" },
		{ "APPDATA", "C:\\Users\\*\\AppData\\Roaming" }, { "LOCALAPPDATA", "C:\\Users\\*\\AppData\\Local" },
		{ "TEMP", "C:\\Users\\*\\AppData\\Local\\Temp" }, { "TMP", "C:\\Users\\*\\AppData\\Local\\Temp" },
	};
	char *img = NULL;
	unsigned flags = 0;

	for (char *c = windir; *c; c++)
		if (*c == '/')
			*c = '\\';
	if (cmd_resolve_path(x->value, env, sizeof(env) / sizeof(env[0]), &img, &flags) == 1 && img) {
		lower(img);
		x->pattern = img;
		if (flags & CMD_F_UNRESOLVED_VAR)
			x->note = xstrdup("a %VARIABLE% in it is not known offline and was left as written");
	} else {
		free(img);
		x->note = xstrdup(flags & CMD_F_UNRESOLVED_VAR ?
				  "a %VARIABLE% in it is not known offline: where it points is unknown" :
				  "not on the installation's volume (another drive, a network path or a relative path)");
	}
	free(windir);
}

void defender_exclusion_place(struct def_exclusion *x, const char *system_root)
{
	const char *v = x->value;

	free(x->pattern);
	free(x->note);
	x->pattern = x->note = NULL;
	x->risky_extension = false;
	switch (x->kind) {
	case DEF_EXTENSION:
		while (*v == '*' || *v == '.')
			v++;
		x->pattern = xstrdup(v);
		lower(x->pattern);
		for (size_t i = 0; i < sizeof(risky_ext) / sizeof(risky_ext[0]); i++)
			if (!strcmp(x->pattern, risky_ext[i]))
				x->risky_extension = true;
		break;
	case DEF_PROCESS:
		if (!has_sep(v)) {
			x->pattern = xstrdup(v);
			lower(x->pattern);
			break;
		}
		place_path(x, system_root);
		break;
	case DEF_PATH:
	case DEF_TEMP_PATH:
		place_path(x, system_root);
		break;
	case DEF_IP:
		break;
	}
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

bool defender_exclusion_covers(const struct def_exclusion *x, const char *path)
{
	char *l;
	bool hit = false;

	if (!x->pattern || !path || !*path)
		return false;
	l = xstrdup(path);
	lower(l);
	switch (x->kind) {
	case DEF_EXTENSION: {
		const char *b = base_name(l), *dot = strrchr(b, '.');
		hit = dot && !strcmp(dot + 1, x->pattern);
		break;
	}
	case DEF_PROCESS:
		if (!strchr(x->pattern, '/')) {
			hit = fnmatch(x->pattern, base_name(l), FNM_NOESCAPE) == 0;
			break;
		}
		hit = fnmatch(x->pattern, l, FNM_NOESCAPE | FNM_PATHNAME) == 0;
		break;
	case DEF_PATH:
	case DEF_TEMP_PATH:
		/* the file itself, or any folder above it: a folder exclusion
		 * covers everything below (the volume's root all of it) */
		hit = !strcmp(x->pattern, "/");
		for (char *c = l + 1; !hit; c++) {
			char keep = *c;
			if (keep != '/' && keep != '\0')
				continue;
			*c = '\0';
			hit = fnmatch(x->pattern, l, FNM_NOESCAPE | FNM_PATHNAME) == 0;
			*c = keep;
			if (!keep)
				break;
		}
		break;
	case DEF_IP:
		break;
	}
	free(l);
	return hit;
}

void defender_exclusion_add_cover(struct def_exclusion *x, const char *what, bool autorun)
{
	x->covers_total++;
	x->covers_autorun |= autorun;
	if (x->ncovers >= DEF_MAX_COVERS)
		return;
	x->covers = xrealloc(x->covers, (x->ncovers + 1) * sizeof(*x->covers));
	x->covers[x->ncovers++] = xstrdup(what);
}

static void read_kind(struct hive *h, const char *root, bool policy, size_t k, const char *system_root,
		      struct os_defender *d)
{
	char *key = xasprintf("%s\\Exclusions\\%s", root, kinds[k].sub);
	size_t node = hive_key(h, key), n = 0;
	struct hive_value *v = node ? hive_values(h, node, &n) : NULL;

	for (size_t i = 0; i < n; i++) {
		struct def_exclusion *x;

		if (!v[i].name[0])
			continue;      /* the default value is no exclusion */
		if (d->nexcl >= DEF_MAX_EXCLUSIONS) {
			d->excl_truncated = true;
			break;
		}
		d->excl = xrealloc(d->excl, (d->nexcl + 1) * sizeof(*d->excl));
		x = &d->excl[d->nexcl++];
		memset(x, 0, sizeof(*x));
		x->kind = kinds[k].kind;
		x->kind_name = kinds[k].name;
		x->value = xstrdup(v[i].name);
		x->source = xasprintf("HKLM\\SOFTWARE\\%s", key);
		x->policy = policy;
		defender_exclusion_place(x, system_root);
	}
	hive_values_free(v, n);
	free(key);
}

static void read_policy(struct hive *h, struct def_policy *p)
{
	size_t n = hive_key(h, DEF_POLICY_KEY), rt = n ? hive_child(h, n, "Real-Time Protection") : 0;

	if (n) {
		p->has_disable_antispyware = hive_dword(h, n, "DisableAntiSpyware", &p->disable_antispyware) == 0;
		p->has_disable_antivirus = hive_dword(h, n, "DisableAntiVirus", &p->disable_antivirus) == 0;
	}
	if (rt) {
		p->has_disable_realtime = hive_dword(h, rt, "DisableRealtimeMonitoring", &p->disable_realtime) == 0;
		p->has_disable_behavior = hive_dword(h, rt, "DisableBehaviorMonitoring", &p->disable_behavior) == 0;
	}
}

void defender_collect(struct fs *fs, const struct os_info *os, struct os_defender *out)
{
	struct hive *h = NULL;
	struct hive_health health;
	const char *path = NULL;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(os->hives) / sizeof(os->hives[0]); i++)
		if (os->hives[i].name && !strcmp(os->hives[i].name, "SOFTWARE"))
			path = os->hives[i].path;
	if (!path || hive_open_fs(fs, path, &h, &health) < 0) {
		out->error = xasprintf("the SOFTWARE hive could not be read%s%s", path && health.error[0] ? ": " : "",
				       path ? health.error : "");
		return;
	}
	defender_read_hive(h, os->system_root, out);
	hive_close(h);
}

void defender_read_hive(struct hive *h, const char *system_root, struct os_defender *out)
{
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		read_kind(h, DEF_KEY, false, k, system_root, out);
		read_kind(h, DEF_POLICY_KEY, true, k, system_root, out);
	}
	read_policy(h, &out->policy);
}

void defender_release(struct os_defender *d)
{
	for (size_t i = 0; i < d->nexcl; i++) {
		struct def_exclusion *x = &d->excl[i];
		free(x->value);
		free(x->source);
		free(x->pattern);
		free(x->note);
		for (size_t k = 0; k < x->ncovers; k++)
			free(x->covers[k]);
		free(x->covers);
	}
	free(d->excl);
	for (size_t i = 0; i < d->nquar; i++) {
		struct def_quarantined *q = &d->quar[i];
		free(q->entry);
		free(q->guid);
		free(q->threat);
		free(q->original_path);
		free(q->type);
		free(q->resource_id);
		free(q->resource_path);
		free(q->error);
	}
	free(d->quar);
	for (size_t i = 0; i < d->nquar_errors; i++)
		free(d->quar_errors[i]);
	free(d->quar_errors);
	defender_history_release(d);
	free(d->error);
	memset(d, 0, sizeof(*d));
}

#include <kenshu/banned.h>
