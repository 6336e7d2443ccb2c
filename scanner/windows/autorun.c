/* Walks the autostart table over one hive. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <fnmatch.h>

#include <kenshu/windows.h>
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/banned.h>

static const char *const hive_prefix[] = {
	[AR_SOFTWARE] = "HKLM\\SOFTWARE",
	[AR_SYSTEM] = "HKLM\\SYSTEM",
	[AR_NTUSER] = "HKU",
	[AR_USRCLASS] = "HKU",
};

/* Nested "*" components are few in the table; this caps what a hostile
 * hive with thousands of subkeys at each level can make us visit. */
#define GLOB_MAX_KEYS 256

static void add(struct autorun_list *out, const struct autorun_loc *loc, const char *location,
		const char *name, const char *command, const char *user, unsigned volume)
{
	struct autorun *a;

	out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
	a = &out->v[out->n++];
	memset(a, 0, sizeof(*a));   /* fields added later start empty */
	a->loc = loc;
	a->category = loc->category;
	a->technique = loc->technique;
	a->location = xstrdup(location);
	a->name = xstrdup(name);
	a->command = xstrdup(command);
	a->user = xstrdup_or_null(user);
	a->volume = volume;
	a->note = NULL;
	a->target = a->target_sha256 = a->target_detection = NULL;
	a->host = a->payload = a->decoded = NULL;
	a->target_exists = -1;
	a->resolve_flags = 0;
	a->flags = 0;
	a->other_control_set = 0;
	a->setting = loc->setting;
	a->clsid = a->shadows = NULL;
}

/* The spooler's folder of each print environment (the Environments
 * subkey), below System32\spool\prtprocs and spool\drivers. */
static const struct {
	const char *environment;
	const char *dir;
} print_arch[] = {
	{ "Windows 4.0", "win40" },        { "Windows ARM64", "arm64" },
	{ "Windows IA64", "ia64" },        { "Windows NT Alpha_AXP", "w32alpha" },
	{ "Windows NT x86", "w32x86" },    { "Windows x64", "x64" },
};

/* What the row's loader opens for value s (see load_dir); star is the
 * subkey the key's "<*>" matched, or NULL. */
static char *load_path(const struct autorun_loc *loc, const char *s, const char *star)
{
	const char *arch = NULL, *mark, *base = s;
	struct strbuf b = STRBUF_INIT;

	if (!loc->load_dir || !*s)
		return NULL;
	mark = strstr(loc->load_dir, "<arch>");
	if (mark) {
		for (size_t i = 0; star && i < sizeof(print_arch) / sizeof(print_arch[0]) && !arch; i++)
			if (!strcasecmp(star, print_arch[i].environment))
				arch = print_arch[i].dir;
		if (!arch)
			return NULL;
	}
	for (const char *c = s; *c; c++)
		if (*c == '\\' || *c == '/' || *c == ':')
			base = NULL;
	/* A path is loaded as written; only a bare name is the folder's. */
	if (base) {
		if (mark) {
			strbuf_add(&b, loc->load_dir, (size_t)(mark - loc->load_dir));
			strbuf_addstr(&b, arch);
			strbuf_addstr(&b, mark + 6);
		} else {
			strbuf_addstr(&b, loc->load_dir);
		}
		strbuf_addch(&b, '\\');
	}
	strbuf_addstr(&b, s);
	const char *dot = strrchr(s, '.');
	if (loc->load_ext && (!dot || strpbrk(dot, "\\/")))
		strbuf_addstr(&b, loc->load_ext);
	return strbuf_detach(&b, NULL);
}

/* One entry per string: REG_MULTI_SZ values (BootExecute, LSA packages)
 * list several things that each start. */
static void add_each(struct autorun_list *out, const struct autorun_loc *loc, const char *location,
		     const struct hive_value *v, const char *name, const char *user, unsigned volume,
		     const char *star)
{
	char *copy = xstrdup(v->text), *save = NULL;
	char seps[3] = { '\n', loc->split, '\0' };
	bool any = false;

	for (char *s = strtok_r(copy, seps, &save); s; s = strtok_r(NULL, seps, &save)) {
		while (*s == ' ')
			s++;
		size_t n = strlen(s);
		while (n && s[n - 1] == ' ')
			s[--n] = '\0';
		if (!n || (loc->windows_default && !strcasecmp(s, loc->windows_default)))
			continue;
		add(out, loc, location, name, s, user, volume);
		out->v[out->n - 1].load_path = load_path(loc, s, star);
		any = true;
	}
	/* An empty value starts nothing, unless it overrides a default (an
	 * empty Winlogon Shell) or its name is the class it loads. */
	if (!any && !loc->windows_default && (loc->empty_matters || loc->com == AR_COM_NAME))
		add(out, loc, location, name, "", user, volume);
	free(copy);
}

/* The values of one key that a location counts: all of them (each named
 * by its value name), or the one loc->value (named `name`). */
static void emit_key(struct hive *h, size_t node, const struct autorun_loc *loc, const char *location,
		     const char *name, const char *user, unsigned volume, const char *star,
		     struct autorun_list *out)
{
	size_t n;
	struct hive_value *v = hive_values(h, node, &n);

	for (size_t i = 0; i < n; i++) {
		if (!loc->value)
			add_each(out, loc, location, &v[i], v[i].name, user, volume, star);
		else if (strchr(loc->value, '*') ? fnmatch(loc->value, v[i].name, FNM_CASEFOLD) == 0
						   : strcasecmp(v[i].name, loc->value) == 0)
			add_each(out, loc, location, &v[i], strchr(loc->value, '*') ? v[i].name : name,
				 user, volume, star);
	}
	hive_values_free(v, n);
}

/* One location at one key that exists. */
static void collect_at(struct hive *h, size_t node, const struct autorun_loc *loc, const char *location,
		       const char *user, unsigned volume, const char *star, struct autorun_list *out)
{
	if (loc->rule == AR_ALL_VALUES || loc->rule == AR_VALUE) {
		/* A default value is named after its key, not "". */
		const char *last = strrchr(location, '\\');
		emit_key(h, node, loc, location, loc->value && *loc->value ? loc->value : last + 1,
			 user, volume, star, out);
		return;
	}
	/* Subkey rules: services, IFEO programs, Active Setup, RunOnceEx steps,
	 * BHOs, add-ins. */
	size_t n;
	size_t *kids = hive_subkeys(h, node, &n);
	for (size_t k = 0; k < n; k++) {
		char *sub = hive_key_name(h, kids[k]);
		char subloc[1600];
		size_t target = kids[k];

		if (!sub && loc->rule != AR_SUBKEY_ALL_VALUES) {
			free(sub);
			continue;
		}
		if (loc->rule == AR_SUBKEY_NAMES) {
			char *cmd = loc->value ? hive_string(h, kids[k], loc->value) : NULL;
			snprintf(subloc, sizeof(subloc), "%s\\%s", location, sub);
			add(out, loc, subloc, sub, cmd ? cmd : "", user, volume);
			free(cmd);
			free(sub);
			continue;
		}
		if (loc->sub) {
			target = hive_child(h, kids[k], loc->sub);
			snprintf(subloc, sizeof(subloc), "%s\\%s\\%s", location, sub, loc->sub);
		} else {
			snprintf(subloc, sizeof(subloc), "%s\\%s", location, sub ? sub : "?");
		}
		size_t first = out->n;
		if (target)
			emit_key(h, target, loc, subloc, sub, user, volume, star, out);
		/* Whether a service's program runs at all is its Start value. */
		if (loc->hive == AR_SYSTEM && !strcmp(loc->key, "Services")) {
			uint32_t start = 0;
			bool has = hive_dword(h, kids[k], "Start", &start) == 0;
			for (size_t e = first; e < out->n; e++) {
				out->v[e].service = true;
				out->v[e].has_start = has;
				out->v[e].start = start;
			}
		}
		free(sub);
	}
	free(kids);
}

/* Follows loc->key from node, component by component; a "*" component
 * visits every subkey. `path` is the key path matched so far. */
static void collect_glob(struct hive *h, size_t node, const char *rest, char *path, size_t pathlen,
			 const struct autorun_loc *loc, const char *prefix, const char *user, unsigned volume,
			 const char *star, size_t *budget, struct autorun_list *out)
{
	if (!*rest) {
		char location[1200];
		snprintf(location, sizeof(location), "%s\\%s", prefix, path);
		collect_at(h, node, loc, location, user, volume, star, out);
		return;
	}
	const char *end = strchr(rest, '\\');
	size_t clen = end ? (size_t)(end - rest) : strlen(rest);
	const char *next = end ? end + 1 : rest + clen;
	size_t used = strlen(path);

	if (clen == 3 && !strncmp(rest, "<*>", 3)) {
		size_t n;
		size_t *kids = hive_subkeys(h, node, &n);
		for (size_t k = 0; k < n && *budget; k++, (*budget)--) {
			char *name = hive_key_name(h, kids[k]);
			if (name && used + strlen(name) + 2 < pathlen) {
				snprintf(path + used, pathlen - used, "%s%s", used ? "\\" : "", name);
				collect_glob(h, kids[k], next, path, pathlen, loc, prefix, user, volume, name, budget, out);
				path[used] = '\0';
			}
			free(name);
		}
		free(kids);
		return;
	}
	char comp[256];
	if (clen >= sizeof(comp) || used + clen + 2 >= pathlen)
		return;
	memcpy(comp, rest, clen);
	comp[clen] = '\0';
	size_t child = hive_child(h, node, comp);
	if (!child)
		return;
	/* The report shows the key as the table spells it. */
	snprintf(path + used, pathlen - used, "%s%s", used ? "\\" : "", comp);
	collect_glob(h, child, next, path, pathlen, loc, prefix, user, volume, star, budget, out);
	path[used] = '\0';
}

void autorun_collect(struct hive *h, enum ar_hive kind, unsigned control_set, const char *user,
		     unsigned volume, struct autorun_list *out)
{
	for (size_t i = 0; i < autorun_nlocs; i++) {
		const struct autorun_loc *loc = &autorun_locs[i];
		char key[512], prefix[256], path[1024] = "";
		size_t budget = GLOB_MAX_KEYS;

		if (loc->hive != kind)
			continue;
		if (kind == AR_SYSTEM)
			snprintf(key, sizeof(key), "ControlSet%03u\\%s", control_set, loc->key);
		else
			snprintf(key, sizeof(key), "%s", loc->key);
		if (kind == AR_NTUSER)
			snprintf(prefix, sizeof(prefix), "%s\\%s", hive_prefix[kind], user ? user : "?");
		else if (kind == AR_USRCLASS)
			snprintf(prefix, sizeof(prefix), "%s\\%s_Classes", hive_prefix[kind], user ? user : "?");
		else
			snprintf(prefix, sizeof(prefix), "%s", hive_prefix[kind]);
		collect_glob(h, hive_key(h, ""), key, path, sizeof(path), loc, prefix, user, volume, NULL, &budget, out);
	}
}

static const struct autorun_loc startup_loc = {
	.category = "Startup folder", .technique = "T1547.001", .why = "runs at logon",
};
static const struct autorun_loc ps_profile_loc = {
	.category = "PowerShell profile", .technique = "T1546.013", .why = "runs in every PowerShell session",
};
static const struct autorun_loc office_startup_loc = {
	.category = "Office startup folder", .technique = "T1137", .why = "opened by Word or Excel at every start",
};

/* Folders whose files start at logon, or with Office, with the position of
 * the user name in the pattern (0: all users). */
static const struct {
	const char *pattern;
	int user_component;   /* 1-based '/'-component holding the user name, 0 none */
	const struct autorun_loc *loc;
} startup_dirs[] = {
	{ "/ProgramData/Microsoft/Windows/Start Menu/Programs/Startup/*", 0, &startup_loc },
	{ "/Users/*/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/*", 2, &startup_loc },
	{ "/Documents and Settings/All Users/Start Menu/Programs/Startup/*", 0, &startup_loc },
	{ "/Documents and Settings/*/Start Menu/Programs/Startup/*", 2, &startup_loc },
	{ "/Users/*/AppData/Roaming/Microsoft/Word/STARTUP/*", 2, &office_startup_loc },
	{ "/Users/*/AppData/Roaming/Microsoft/Excel/XLSTART/*", 2, &office_startup_loc },
	{ "/Documents and Settings/*/Application Data/Microsoft/Word/STARTUP/*", 2, &office_startup_loc },
	{ "/Documents and Settings/*/Application Data/Microsoft/Excel/XLSTART/*", 2, &office_startup_loc },
	{ "/Windows/System32/WindowsPowerShell/v1.0/*profile.ps1", 0, &ps_profile_loc },
	{ "/Windows/SysWOW64/WindowsPowerShell/v1.0/*profile.ps1", 0, &ps_profile_loc },
	{ "/Users/*/Documents/WindowsPowerShell/*profile.ps1", 2, &ps_profile_loc },
	{ "/Users/*/Documents/PowerShell/*profile.ps1", 2, &ps_profile_loc },
	{ "/Documents and Settings/*/My Documents/WindowsPowerShell/*profile.ps1", 2, &ps_profile_loc },
};

int autorun_startup_file(const char *path, unsigned volume, struct autorun_list *out)
{
	for (size_t i = 0; i < sizeof(startup_dirs) / sizeof(startup_dirs[0]); i++) {
		const char *slash = strrchr(path, '/');
		char *dir, *user = NULL;

		if (fnmatch(startup_dirs[i].pattern, path, FNM_PATHNAME | FNM_CASEFOLD) != 0)
			continue;
		/* Explorer's folder settings, not something that runs. */
		if (!strcasecmp(slash + 1, "desktop.ini"))
			return 0;
		if (startup_dirs[i].user_component) {
			const char *p = path;
			for (int c = 1; c < startup_dirs[i].user_component && p; c++)
				p = strchr(p + 1, '/');
			if (p) {
				const char *end = strchr(p + 1, '/');
				user = xstrndup(p + 1, end ? (size_t)(end - p - 1) : strlen(p + 1));
			}
			/* "All Users" matched the XP all-users row already. */
			if (user && !strcasecmp(user, "All Users")) {
				free(user);
				return 0;
			}
		}
		dir = xstrndup(path, (size_t)(slash - path));
		add(out, startup_dirs[i].loc, dir, slash + 1, path, user, volume);
		free(dir);
		free(user);
		return 1;
	}
	return 0;
}

static bool same_entry(const struct autorun *a, const struct autorun *b)
{
	return !strcmp(a->category, b->category) && !strcasecmp(a->name, b->name) &&
	       !strcasecmp(a->command, b->command);
}

void autorun_other_control_sets(struct hive *h, unsigned current, unsigned volume,
				struct autorun_list *out)
{
	size_t n, base = out->n;
	size_t *sets = hive_subkeys(h, hive_key(h, ""), &n);
	struct autorun_list cur = { 0 };

	/* The current set's entries, to compare against. */
	autorun_collect(h, AR_SYSTEM, current, NULL, volume, &cur);
	for (size_t i = 0; i < n; i++) {
		char *name = hive_key_name(h, sets[i]);
		unsigned num;
		char extra;

		if (!name || sscanf(name, "ControlSet%3u%c", &num, &extra) != 1 || num == current || num == 0) {
			free(name);
			continue;
		}
		free(name);
		struct autorun_list other = { 0 };
		autorun_collect(h, AR_SYSTEM, num, NULL, volume, &other);
		for (size_t k = 0; k < other.n; k++) {
			bool found = false;
			for (size_t c = 0; c < cur.n && !found; c++)
				found = same_entry(&other.v[k], &cur.v[c]);
			/* one entry per difference, however many other sets hold it */
			for (size_t c = base; c < out->n && !found; c++)
				found = same_entry(&other.v[k], &out->v[c]);
			if (found)
				continue;
			out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
			out->v[out->n] = other.v[k];
			out->v[out->n].other_control_set = num;
			out->v[out->n].note = xasprintf("only in ControlSet%03u, not in the current ControlSet%03u",
							num, current);
			out->n++;
			memset(&other.v[k], 0, sizeof(other.v[k]));
		}
		autorun_list_release(&other);   /* what was moved out is zeroed */
	}
	autorun_list_release(&cur);
	free(sets);
}

static const struct autorun_loc task_loc = {
	.category = "Scheduled task", .technique = "T1053.005", .why = "run by the Task Scheduler",
};

/* What a task action runs, as one command line. NULL: nothing to run. */
static char *action_command(const char *command, const char *arguments, const char *com_class_id,
			    const char *com_data)
{
	if (command)
		return arguments && *arguments ? xasprintf("%s %s", command, arguments) : xstrdup(command);
	if (com_class_id)
		return xasprintf("COM handler %s%s%s", com_class_id, com_data ? " " : "", com_data ? com_data : "");
	return NULL;
}

int autorun_task_file(const char *path, const char *tasks_dir, const void *data, size_t size,
		      unsigned volume, struct autorun_list *out, struct ks_err *err)
{
	struct task_info t;
	size_t n = strlen(path), dl = strlen(tasks_dir);
	bool job = n > 4 && !strcasecmp(path + n - 4, ".job");
	int added = 0;

	if ((job ? task_parse_job : task_parse_xml)(data, size, &t, err) < 0)
		return -1;
	/* The task's name is its path below the Tasks folder, as schtasks shows it. */
	const char *name = strncasecmp(path, tasks_dir, dl) == 0 && path[dl] == '/' ? path + dl : path;
	char note[512];
	size_t o = (size_t)snprintf(note, sizeof(note), "%s%s", t.hidden ? "hidden" : "visible",
				    t.enabled ? "" : ", disabled");
	for (size_t i = 0; i < t.ntriggers && o < sizeof(note); i++)
		o += (size_t)snprintf(note + o, sizeof(note) - o, "; %s", t.triggers[i]);
	for (size_t i = 0; i < t.nactions; i++) {
		const struct task_action *a = &t.actions[i];
		char *cmd = action_command(a->command, a->arguments, a->com_class_id, a->com_data);

		if (!cmd)
			continue;
		add(out, &task_loc, path, name, cmd, t.user_id, volume);
		out->v[out->n - 1].note = xstrdup(note);
		free(cmd);
		added++;
	}
	task_info_release(&t);
	return added;
}

/* "/Folder/Name" (a task file below Tasks) and "\\Folder\\Name" (TaskCache). */
static bool same_task_path(const char *file_name, const char *cache_path)
{
	for (; *file_name && *cache_path; file_name++, cache_path++) {
		char a = *file_name == '/' ? '\\' : *file_name, b = *cache_path;
		if (a != b && !((unsigned char)a < 0x80 && (unsigned char)b < 0x80 && tolower(a) == tolower(b)))
			return false;
	}
	return !*file_name && !*cache_path;
}

static void append_note(struct autorun *a, const char *text)
{
	char *n = a->note ? xasprintf("%s; %s", a->note, text) : xstrdup(text);
	free(a->note);
	a->note = n;
}

static const char *hidden_why(const struct taskcache_task *t)
{
	return t->no_sd ? "hidden from the Task Scheduler: its TaskCache Tree entry has no security descriptor"
			: "hidden from the Task Scheduler: its TaskCache Tree entry has Index 0";
}

#define TASKCACHE_REPORT_KEY "HKLM\\SOFTWARE\\" TASKCACHE_KEY

void autorun_taskcache(const struct taskcache *tc, unsigned volume, struct autorun_list *l)
{
	bool *seen = xcalloc(tc->n ? tc->n : 1, sizeof(*seen));
	size_t files = l->n;

	/* Task files against the cache: each should be registered (when the
	 * cache has a Tree at all: XP's scheduler keeps none). */
	for (size_t i = 0; i < files && tc->has_tree; i++) {
		struct autorun *a = &l->v[i];
		size_t n = strlen(a->location), k;

		if (a->loc != &task_loc || a->name[0] != '/' || (n > 4 && !strcasecmp(a->location + n - 4, ".job")))
			continue;
		for (k = 0; k < tc->n; k++)
			if (tc->v[k].path && same_task_path(a->name, tc->v[k].path))
				break;
		if (k == tc->n) {
			a->flags |= AR_FLAG_TASK_UNREGISTERED;
			append_note(a, "not registered in the Task Scheduler's cache (TaskCache): the file alone does not run");
			continue;
		}
		seen[k] = true;
		if (tc->v[k].in_tree && tc->v[k].hidden) {
			a->flags |= AR_FLAG_HIDDEN_TASK;
			append_note(a, hidden_why(&tc->v[k]));
		}
	}
	/* Registered tasks without a file: the cache is what the scheduler runs. */
	for (size_t k = 0; k < tc->n; k++) {
		const struct taskcache_task *t = &tc->v[k];
		char location[1024], *name, *note;

		if (seen[k] || !t->path)
			continue;
		if (t->in_tasks && t->id)
			snprintf(location, sizeof(location), "%s\\Tasks\\%s", TASKCACHE_REPORT_KEY, t->id);
		else
			snprintf(location, sizeof(location), "%s\\Tree%s", TASKCACHE_REPORT_KEY, t->path);
		name = xstrdup(t->path);
		for (char *c = name; *c; c++)
			if (*c == '\\')
				*c = '/';
		note = xasprintf("registered in TaskCache without a task file in System32\\Tasks%s%s%s",
				 t->in_tree && t->hidden ? "; " : "", t->in_tree && t->hidden ? hidden_why(t) : "",
				 t->actions_state == TASKCACHE_ACTIONS_ABSENT
				 ? "; its actions are only in the missing file (Windows 7 keeps no copy)"
				 : t->actions_state == TASKCACHE_ACTIONS_DAMAGED ? "; its Actions value is damaged" : "");
		size_t before = l->n;
		for (size_t i = 0; i < t->actions.n; i++) {
			const struct taskcache_action *x = &t->actions.v[i];
			char *cmd = action_command(x->command, x->arguments, x->com_class_id, x->com_data);
			if (!cmd)
				continue;
			add(l, &task_loc, location, name, cmd, NULL, volume);
			free(cmd);
		}
		if (l->n == before) {
			add(l, &task_loc, location, name, "", NULL, volume);
			l->v[l->n - 1].setting = true;   /* nothing known to run */
		}
		for (size_t i = before; i < l->n; i++) {
			l->v[i].note = xstrdup(note);
			l->v[i].flags |= AR_FLAG_TASK_UNREGISTERED | (t->in_tree && t->hidden ? AR_FLAG_HIDDEN_TASK : 0);
		}
		free(note);
		free(name);
	}
	free(seen);
}

void autorun_pe_free(struct autorun_pe *pe)
{
	if (!pe)
		return;
	free(pe->company);
	free(pe->product);
	free(pe->description);
	free(pe->original_filename);
	free(pe->file_version);
	free(pe);
}

static int cmp(const void *a, const void *b)
{
	const struct autorun *x = a, *y = b;
	int c;

	if (x->volume != y->volume)
		return x->volume < y->volume ? -1 : 1;
	if ((c = strcmp(x->category, y->category)) || (c = strcmp(x->location, y->location)) ||
	    (c = strcmp(x->name, y->name)))
		return c;
	return strcmp(x->command, y->command);
}

void autorun_sort(struct autorun_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp);
}

void autorun_list_release(struct autorun_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct autorun *a = &l->v[i];
		free(a->location);
		free(a->name);
		free(a->command);
		free(a->load_path);
		free(a->user);
		free(a->note);
		free(a->target);
		free(a->target_sha256);
		if (a->target_sig) {
			sig_result_release(a->target_sig);
			free(a->target_sig);
		}
		free(a->target_detection);
		free(a->host);
		free(a->payload);
		free(a->decoded);
		free(a->clsid);
		free(a->shadows);
		autorun_pe_free(a->pe);
		free(a->pe_error);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
