#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/windows.h>
#include <kenshu/artifacts.h>
#include <kenshu/core.h>
#include <kenshu/volume.h>
#include "scan_internal.h"
#include <kenshu/banned.h>

#define SMALL_FILE_MAX (4u << 20)   /* shortcuts and task files are tiny */

/* A shortcut runs its target: the entry's command becomes what Windows
 * would start ("target arguments"); the .lnk stays its location. */
static void resolve_shortcut(struct fs *fs, struct autorun *a)
{
	size_t n = strlen(a->command);
	struct lnk_info li;
	struct ks_err err;
	void *data;
	uint64_t size;

	if (n < 4 || strcasecmp(a->command + n - 4, ".lnk") != 0)
		return;
	if (fs_read_file(fs, a->command, SMALL_FILE_MAX, &data, &size, &err) < 0)
		return;
	if (lnk_parse(data, (size_t)size, &li, &err) == 0) {
		const char *target = li.target ? li.target : li.env_target ? li.env_target : li.relative_path;
		if (target) {
			free(a->command);
			a->command = li.arguments && *li.arguments ? xasprintf("%s %s", target, li.arguments)
								  : xstrdup(target);
		}
		lnk_info_release(&li);
	} else {
		a->note = xasprintf("shortcut not readable: %s", err.msg);
	}
	free(data);
}

struct fs *walked_fs(const struct walked *w, unsigned index)
{
	for (size_t v = 0; v < w->n && v < w->r->nvol; v++)
		if (w->r->vol[v].v.index == index)
			return w->fs[v];
	return NULL;
}

static void task_file(struct fs *fs, struct os_info *os, const char *path, const char *tasks_dir)
{
	struct ks_err err;
	void *data;
	uint64_t size;

	if (fs_read_file(fs, path, SMALL_FILE_MAX, &data, &size, &err) < 0)
		return;
	autorun_task_file(path, tasks_dir, data, (size_t)size, os->volume, &os->autoruns, &err);
	free(data);
}

#define WMI_REPOSITORY_MAX (1ull << 30)   /* real ones are tens of MiB */

/* WMI's repository: Vista and later in Repository\, XP in Repository\FS\. */
static const char *const wmi_objects[] = {
	"/System32/wbem/Repository/OBJECTS.DATA",
	"/System32/wbem/Repository/FS/OBJECTS.DATA",
};

static void wmi_files(struct fs *fs, struct os_info *os)
{
	for (size_t i = 0; i < sizeof(wmi_objects) / sizeof(wmi_objects[0]); i++) {
		char *path = xasprintf("%s%s", os->system_root, wmi_objects[i]);
		struct ks_err err;
		void *data;
		uint64_t size, id;

		if (fs_lookup(fs, path, &id) == 1 &&
		    fs_read_file(fs, path, WMI_REPOSITORY_MAX, &data, &size, &err) == 0) {
			if (autorun_wmi_file(path, data, (size_t)size, os->volume, &os->autoruns, &err) < 0)
				os->wmi_error = xasprintf("%s: %s", path, err.msg);
			free(data);
		} else if (fs_lookup(fs, path, &id) == 1) {
			os->wmi_error = xasprintf("%s: %s", path, err.msg);
		}
		free(path);
	}
}

void autoruns_from_files(const struct walked *w, struct report *r)
{
	for (size_t i = 0; i < r->nos; i++) {
		struct os_info *os = &r->os[i];
		struct fs *fs = walked_fs(w, os->volume);
		char *tasks = xasprintf("%s/System32/Tasks", os->system_root);
		char *jobs = xasprintf("%s/Tasks/", os->system_root);
		size_t tl = strlen(tasks), jl = strlen(jobs);

		for (size_t k = 0; k < r->nfiles; k++) {
			const struct rep_file *f = &r->files[k];
			size_t n = strlen(f->path);

			if (f->volume != os->volume || f->stream[0] || (f->flags & FS_F_DIRECTORY) ||
			    !strcmp(f->status, "link"))
				continue;
			if (autorun_startup_file(f->path, os->volume, &os->autoruns)) {
				if (fs)
					resolve_shortcut(fs, &os->autoruns.v[os->autoruns.n - 1]);
			} else if (fs && !strncasecmp(f->path, tasks, tl) && f->path[tl] == '/') {
				task_file(fs, os, f->path, tasks);
			} else if (fs && !strncasecmp(f->path, jobs, jl) && !strchr(f->path + jl, '/') &&
				   n > 4 && !strcasecmp(f->path + n - 4, ".job")) {
				task_file(fs, os, f->path, jobs);
			}
		}
		if (os->has_taskcache)
			autorun_taskcache(&os->taskcache, os->volume, &os->autoruns);
		if (fs)
			wmi_files(fs, os);
		free(tasks);
		free(jobs);
		autorun_sort(&os->autoruns);
	}
}

/* ---- resolution ---- */

/* The volume's files by case-insensitive path: every probe of every
 * command (several per entry, hundreds of entries) is a binary search,
 * not a pass over a manifest of perhaps a hundred thousand files. */
struct lookup {
	const struct rep_file **idx;
	size_t n;
};

static int by_path(const void *a, const void *b)
{
	const struct rep_file *x = *(const struct rep_file *const *)a, *y = *(const struct rep_file *const *)b;
	int c = strcasecmp(x->path, y->path);

	return c ? c : strcmp(x->path, y->path);
}

static void lookup_init(struct lookup *l, const struct report *r, unsigned volume)
{
	l->idx = xmalloc((r->nfiles ? r->nfiles : 1) * sizeof(*l->idx));
	l->n = 0;
	for (size_t i = 0; i < r->nfiles; i++)
		if (r->files[i].volume == volume && !r->files[i].stream[0])
			l->idx[l->n++] = &r->files[i];
	if (l->n > 1)
		qsort(l->idx, l->n, sizeof(*l->idx), by_path);
}

/* The first match in byte order when names differ only in case. */
static const struct rep_file *find_file(const struct lookup *l, const char *path)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcasecmp(l->idx[mid]->path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && !strcasecmp(l->idx[lo]->path, path) ? l->idx[lo] : NULL;
}

static int exists(void *ctx, const char *path)
{
	const struct rep_file *f = find_file(ctx, path);

	return f && !(f->flags & FS_F_DIRECTORY);
}

static char *windows_dir(const char *system_root)
{
	/* "/Windows" -> "C:\Windows": the install sees its volume as C:. */
	char *w = xasprintf("C:%s", system_root);
	for (char *c = w; *c; c++)
		if (*c == '/')
			*c = '\\';
	return w;
}

/* Words some locations put before the program. */
static const struct {
	const char *category;
	const char *prefix;
} command_prefixes[] = {
	{ "Boot execute", "autocheck " },  /* BootExecute: "autocheck autochk *" runs autochk.exe */
};

static void resolve_one(const struct report *r, struct lookup *l, struct autorun *a,
			const struct cmd_env *env, size_t nenv)
{
	struct cmd_resolution res;
	const char *target, *command = a->command;

	if (!*command || a->setting)
		return;
	for (size_t i = 0; i < sizeof(command_prefixes) / sizeof(command_prefixes[0]); i++) {
		size_t pl = strlen(command_prefixes[i].prefix);
		if (!strcmp(a->category, command_prefixes[i].category) &&
		    !strncasecmp(command, command_prefixes[i].prefix, pl))
			command += pl;
	}

	if (a->command[0] == '/') {
		/* a file in a Startup folder: it is its own target */
		target = a->command;
	} else {
		/* A DLL its loader finds in its own folder (LSA packages, print
		 * processors): that file, quoted, as a path is not split at spaces. */
		char *quoted = a->load_path && !strchr(a->load_path, '"') ? xasprintf("\"%s\"", a->load_path) : NULL;
		int rc = cmd_resolve(quoted ? quoted : command, env, nenv, exists, l, &res);
		free(quoted);
		if (rc < 0)
			return;
		a->resolve_flags = res.flags;
		if (res.host)
			a->host = xstrdup(res.host);
		if (res.payload)
			a->payload = xstrdup(res.payload);
		if (res.decoded)
			a->decoded = xstrdup(res.decoded);
		/* What really runs: the host's file payload when there is one. */
		target = res.payload_path ? res.payload_path : res.image_path;
		a->target = xstrdup_or_null(target);
		cmd_resolution_release(&res);
		target = a->target;
		if (!target) {
			a->target_exists = -1;
			return;
		}
	}
	if (!a->target)
		a->target = xstrdup(target);
	const struct rep_file *f = find_file(l, a->target);
	a->target_exists = f != NULL;
	if (f) {
		free(a->target);
		a->target = xstrdup(f->path);   /* as stored on disk */
		if (f->sha256[0])
			a->target_sha256 = xstrdup(f->sha256);
		if (f->sig) {
			a->target_sig = xcalloc(1, sizeof(*a->target_sig));
			sig_result_copy(a->target_sig, f->sig);
		}
		for (size_t i = 0; i < r->ndet; i++)
			if (r->det[i].volume == a->volume && !strcmp(r->det[i].path, f->path) && !a->target_detection)
				a->target_detection = xstrdup(r->det[i].signature);
	}
}

/* ---- version information of targets ---- */

#define PE_READ_MAX (256ull << 20)   /* larger than any program an autostart entry runs */

/* One read per distinct target: hundreds of services share svchost.exe. */
struct pe_cache {
	struct pe_cache_entry {
		char *path;
		struct autorun_pe *pe;   /* NULL: not a PE, or unreadable */
		char *error;
		struct sig_result *flat; /* not a PE: what the catalogs say of its bytes */
	} *v;
	size_t n;
};

static const char *machine_name(uint16_t m)
{
	switch (m) {
	case PE_MACHINE_I386: return "x86";
	case PE_MACHINE_AMD64: return "x64";
	case PE_MACHINE_ARM64: return "arm64";
	case PE_MACHINE_ARMNT: return "arm";
	default: return "other";
	}
}

static struct autorun_pe *pe_copy(const struct autorun_pe *pe)
{
	struct autorun_pe *c;

	if (!pe)
		return NULL;
	c = xmalloc(sizeof(*c));
	*c = *pe;
	c->company = xstrdup_or_null(pe->company);
	c->product = xstrdup_or_null(pe->product);
	c->description = xstrdup_or_null(pe->description);
	c->original_filename = xstrdup_or_null(pe->original_filename);
	c->file_version = xstrdup_or_null(pe->file_version);
	return c;
}

static struct pe_cache_entry *pe_lookup(struct pe_cache *c, struct fs *fs, const char *path,
					const struct trust_ctx *trust)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].path, path))
			return &c->v[i];
	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	struct pe_cache_entry *e = &c->v[c->n++];
	e->path = xstrdup(path);
	e->pe = NULL;
	e->error = NULL;
	e->flat = NULL;

	struct ks_err err;
	void *data;
	uint64_t size;
	struct pe_info pi;

	if (fs_read_file(fs, path, PE_READ_MAX, &data, &size, &err) < 0)
		return e;   /* too large or unreadable: the scan reports its content */
	if (pe_parse(data, (size_t)size, &pi, &err) < 0) {
		if (pi.is_pe)
			e->error = xstrdup(err.msg);
	} else if (!pi.is_pe && trust) {
		/* A script or other file: a catalog may list its flat digest. */
		e->flat = xcalloc(1, sizeof(*e->flat));
		trust_verify_buffer(trust, data, (size_t)size, e->flat);
		if (e->flat->status == SIG_NOT_CHECKED) {
			/* What an autostart entry runs is judged like a program:
			 * nothing vouches for these bytes. */
			e->flat->status = SIG_UNSIGNED;
			e->flat->reason = xstrdup("not a PE file, and no catalog lists its digest");
		}
	} else if (pi.is_pe) {
		struct autorun_pe *pe = xcalloc(1, sizeof(*pe));
		pe->company = xstrdup_or_null(pi.company);
		pe->product = xstrdup_or_null(pi.product);
		pe->description = xstrdup_or_null(pi.file_description);
		pe->original_filename = xstrdup_or_null(pi.original_filename);
		pe->file_version = xstrdup_or_null(pi.file_version_str);
		if (pi.has_fixed)
			pe_version_fmt(pi.file_version, pe->fixed_version);
		snprintf(pe->machine, sizeof(pe->machine), "%s", machine_name(pi.machine));
		pe->is_dll = pi.is_dll;
		e->pe = pe;
		pe_info_release(&pi);
	}
	free(data);
	return e;
}

static void pe_cache_release(struct pe_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].path);
		autorun_pe_free(c->v[i].pe);
		free(c->v[i].error);
		if (c->v[i].flat) {
			sig_result_release(c->v[i].flat);
			free(c->v[i].flat);
		}
	}
	free(c->v);
}

void autoruns_resolve(const struct walked *w, const struct trust_ctx *trust, struct report *r)
{
	for (size_t i = 0; i < r->nos; i++) {
		struct os_info *os = &r->os[i];
		char *windir = windows_dir(os->system_root);
		/* Windows' default search path, so bare "powershell.exe" is found. */
		char *path = xasprintf("%s\\system32;%s;%s\\System32\\Wbem;%s\\System32\\WindowsPowerShell\\v1.0",
				       windir, windir, windir, windir);
		/* Only the install's own values; the host environment never leaks in. */
		const struct cmd_env env[] = {
			{ "SystemRoot", windir }, { "windir", windir }, { "SystemDrive", "C:" },
			{ "ProgramFiles", "C:\\Program Files" }, { "ProgramFiles(x86)", "C:\\Program Files (x86)" },
			{ "CommonProgramFiles", "C:\\Program Files\\Common Files" },
			{ "ProgramData", "C:\\ProgramData" }, { "ALLUSERSPROFILE", "C:\\ProgramData" },
			{ "PUBLIC", "C:\\Users\\Public" }, { "Path", path },
		};
		struct lookup l;
		struct pe_cache pc = { 0 };
		struct fs *fs = walked_fs(w, os->volume);

		lookup_init(&l, r, os->volume);
		for (size_t k = 0; k < os->autoruns.n; k++) {
			struct autorun *a = &os->autoruns.v[k];
			resolve_one(r, &l, a, env, sizeof(env) / sizeof(env[0]));
			if (fs && a->target && a->target_exists == 1) {
				struct pe_cache_entry *e = pe_lookup(&pc, fs, a->target, trust);
				a->pe = pe_copy(e->pe);
				a->pe_error = xstrdup_or_null(e->error);
				if (!a->target_sig && e->flat) {
					a->target_sig = xcalloc(1, sizeof(*a->target_sig));
					sig_result_copy(a->target_sig, e->flat);
				}
			}
			autorun_judge(a);
		}
		pe_cache_release(&pc);
		free(l.idx);
		free(path);
		free(windir);
	}
}
