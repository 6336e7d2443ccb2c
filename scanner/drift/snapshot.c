/* Snapshots: one report as drift.c compares it. The model and what both of
 * its builders share; the loader of a report directory (untrusted) is
 * snapshot_load.c, the builder from the scan in memory snapshot_live.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/version.h>
#include <kenshu/drift.h>
#include <kenshu/core.h>
#include "drift_internal.h"
#include <kenshu/banned.h>

/* ---- the lists and their properties ---- */

static const struct snap_field volume_fields[SNAP_VOL_N] = {
	[SNAP_VOL_PARTITION_TYPE] = { "partition_type", SNAP_COMPARED },
	[SNAP_VOL_FILESYSTEM] = { "filesystem", SNAP_COMPARED },
	[SNAP_VOL_LABEL] = { "label", SNAP_COMPARED },
	[SNAP_VOL_SIZE] = { "size", SNAP_COMPARED },
	[SNAP_VOL_STATE] = { "state", SNAP_COMPARED },
	[SNAP_VOL_SCANNED] = { "scanned", SNAP_COMPARED },
};
static const struct snap_field os_fields[SNAP_OS_N] = {
	[SNAP_OS_SYSTEM_ROOT] = { "system_root", 0 },
	[SNAP_OS_PRODUCT_NAME] = { "product_name", SNAP_COMPARED },
	[SNAP_OS_EDITION] = { "edition", SNAP_COMPARED },
	[SNAP_OS_CURRENT_VERSION] = { "current_version", SNAP_COMPARED },
	[SNAP_OS_VERSION] = { "version", SNAP_COMPARED },
	[SNAP_OS_BUILD] = { "build", SNAP_COMPARED },
	[SNAP_OS_UBR] = { "ubr", SNAP_COMPARED },
	[SNAP_OS_SERVICE_PACK] = { "service_pack", SNAP_COMPARED },
	[SNAP_OS_ARCHITECTURE] = { "architecture", SNAP_COMPARED },
	[SNAP_OS_HOSTNAME] = { "hostname", SNAP_COMPARED },
	/* The user profiles' names: an account added to a gold image is drift. */
	[SNAP_OS_USERS] = { "users", SNAP_COMPARED | SNAP_DERIVED },
	[SNAP_OS_ACCOUNTS] = { "accounts", SNAP_COMPARED | SNAP_DERIVED },
};
static const struct snap_field autorun_fields[SNAP_AR_N] = {
	[SNAP_AR_CATEGORY] = { "category", 0 },
	[SNAP_AR_LOCATION] = { "location", 0 },
	[SNAP_AR_NAME] = { "name", 0 },
	[SNAP_AR_USER] = { "user", 0 },
	[SNAP_AR_COMMAND] = { "command", SNAP_COMPARED },
	[SNAP_AR_TARGET] = { "target", SNAP_COMPARED },
	[SNAP_AR_TARGET_SHA256] = { "target_sha256", SNAP_COMPARED },
	[SNAP_AR_FLAGS] = { "flags", SNAP_COMPARED },
};
static const struct snap_field detection_fields[SNAP_DET_N] = {
	[SNAP_DET_PATH] = { "path", 0 },
	[SNAP_DET_STREAM] = { "stream", 0 },
	[SNAP_DET_SIGNATURE] = { "signature", 0 },
	[SNAP_DET_SHA256] = { "sha256", 0 },
};
static const struct snap_field finding_fields[SNAP_FND_N] = {
	[SNAP_FND_RULE] = { "rule", 0 },
	[SNAP_FND_PATH] = { "evidence.path", 0 },
	[SNAP_FND_VALUE] = { "evidence.value", 0 },
	[SNAP_FND_SEVERITY] = { "severity", SNAP_COMPARED },
	[SNAP_FND_WAIVER] = { "waiver", SNAP_COMPARED },
	[SNAP_FND_MESSAGE] = { "message", 0 },
};

#define DEF(k, vk, f) { k, vk, f, sizeof(f) / sizeof(f[0]) }
const struct snap_list_def snap_lists[SNAP_NLISTS] = {
	[SNAP_VOLUMES] = DEF("volumes", "index", volume_fields),
	[SNAP_OS] = DEF("os", "volume", os_fields),
	[SNAP_AUTORUNS] = DEF("autoruns", "volume", autorun_fields),
	[SNAP_DETECTIONS] = DEF("detections", "volume", detection_fields),
	[SNAP_FINDINGS] = DEF("findings", "evidence.volume", finding_fields),
};
#undef DEF

_Static_assert(SNAP_VOL_N <= SNAP_MAX_FIELDS && SNAP_OS_N <= SNAP_MAX_FIELDS && SNAP_AR_N <= SNAP_MAX_FIELDS &&
		       SNAP_DET_N <= SNAP_MAX_FIELDS && SNAP_FND_N <= SNAP_MAX_FIELDS,
	       "SNAP_MAX_FIELDS is too small for a list");

const char *const snap_limit_names[SNAP_NLIMITS] = {
	[SNAP_LIM_MAX_FILESIZE] = "max_filesize", [SNAP_LIM_MAX_SCANSIZE] = "max_scansize",
	[SNAP_LIM_MAX_RECURSION] = "max_recursion", [SNAP_LIM_MAX_FILES] = "max_files",
	[SNAP_LIM_MAX_SCANTIME_MS] = "max_scantime_ms",
};

/* ---- building ---- */

struct snap_item *snap_item_add(struct snapshot *s, enum snap_list l)
{
	struct snap_items *a = &s->lists[l];

	if (a->n == a->alloc) {
		a->alloc = a->alloc ? a->alloc * 2 : 16;
		a->v = xrealloc(a->v, a->alloc * sizeof(*a->v));
	}
	memset(&a->v[a->n], 0, sizeof(a->v[a->n]));
	return &a->v[a->n++];
}

void snap_add_file(struct snapshot *s, size_t *alloc, unsigned vol, const char *path, const char *stream,
		   uint64_t size, const char *sha, const char *status, const char *link_of, bool dir)
{
	if (s->nfiles == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 1024;
		s->files = xrealloc(s->files, *alloc * sizeof(*s->files));
	}
	struct snap_file *f = &s->files[s->nfiles++];
	f->volume = vol;
	f->path = xstrdup(path);
	f->stream = xstrdup(stream);
	f->size = size;
	snprintf(f->sha256, sizeof(f->sha256), "%s", sha ? sha : "");
	f->status = xstrdup(status);
	f->link_of = xstrdup_or_null(link_of);
	f->directory = dir;
}

char *snap_join(const char *const *v, size_t n)
{
	size_t len = 1;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i] ? v[i] : "") + 2;
	out = p = xmalloc(len);
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += snprintf(p, len - (size_t)(p - out), "%s%s", i ? ", " : "", v[i] ? v[i] : "");
	return out;
}

char *snap_users(const char **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), str_ptr_cmp);
	return snap_join(v, n);
}

char *snap_account(const char *name, uint64_t rid, int enabled, bool admin, bool rdp, const char *password)
{
	return xasprintf("%s (RID %llu, %s%s%s, password %s)", name, (unsigned long long)rid,
			 enabled < 0 ? "state unknown" : enabled ? "enabled" : "disabled", admin ? ", admin" : "",
			 rdp ? ", rdp" : "", password);
}

char *snap_accounts(char **v, const uint64_t *rids, size_t n)
{
	char *out;

	if (!n)
		return NULL;
	/* few accounts: an insertion sort by RID keeps v and rids together */
	uint64_t *r = xcalloc(n, sizeof(*r));
	memcpy(r, rids, n * sizeof(*r));
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && r[k - 1] > r[k]; k--) {
			uint64_t t = r[k];
			char *s = v[k];
			r[k] = r[k - 1], r[k - 1] = t;
			v[k] = v[k - 1], v[k - 1] = s;
		}
	out = snap_join((const char *const *)v, n);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(r);
	return out;
}

int snap_file_cmp(const void *a, const void *b)
{
	const struct snap_file *x = a, *y = b;
	int c;

	if (x->volume != y->volume)
		return x->volume < y->volume ? -1 : 1;
	if ((c = strcmp(x->path, y->path)))
		return c;
	return strcmp(x->stream, y->stream);
}

/* ---- releasing ---- */

void snap_release_report(struct snapshot *s)
{
	struct snap_side *t = &s->side;
	struct snap_engine *e = &s->engine;

	for (int l = 0; l < SNAP_NLISTS; l++) {
		struct snap_items *a = &s->lists[l];
		for (size_t i = 0; i < a->n; i++)
			for (size_t k = 0; k < SNAP_MAX_FIELDS; k++)
				free(a->v[i].v[k]);
		free(a->v);
		memset(a, 0, sizeof(*a));
	}
	free(t->image_path);
	free(t->image_sha256);
	free(t->started);
	free(t->verdict);
	free(t->profile);
	free(t->tool_version);
	free(t->tool_commit);
	memset(t, 0, sizeof(*t));
	free(e->version);
	for (size_t i = 0; i < e->ndbs; i++) {
		free(e->dbs[i].name);
		free(e->dbs[i].sha256);
	}
	free(e->dbs);
	memset(e, 0, sizeof(*e));
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	snap_release_report(s);
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].stream);
		free(s->files[i].status);
		free(s->files[i].link_of);
	}
	free(s->files);
	free(s->clean);
	free(s->dir);
	free(s);
}

/* ---- may the baseline's clean files stand in for a scan? ---- */

bool snapshot_reuse_ok(const struct snapshot *s, const struct rep_engine *now, char *why, size_t whylen)
{
	const struct snap_side *t = &s->side;
	const struct snap_engine *e = &s->engine;
	const uint64_t limits[SNAP_NLIMITS] = {
		[SNAP_LIM_MAX_FILESIZE] = now->max_filesize, [SNAP_LIM_MAX_SCANSIZE] = now->max_scansize,
		[SNAP_LIM_MAX_RECURSION] = now->max_recursion, [SNAP_LIM_MAX_FILES] = now->max_files,
		[SNAP_LIM_MAX_SCANTIME_MS] = now->max_scantime_ms,
	};

	if (strcmp(t->tool_version, KENSHU_VERSION) != 0 || strcmp(t->tool_commit, kenshu_commit) != 0) {
		snprintf(why, whylen, "the baseline was scanned by kenshu %.40s (%.40s), this is %s (%s)",
		       t->tool_version, t->tool_commit, KENSHU_VERSION, kenshu_commit);
		return false;
	}
	if (strcmp(e->version, now->version) != 0) {
		snprintf(why, whylen, "the baseline used libclamav %.40s, this is %s", e->version, now->version);
		return false;
	}
	if (e->functionality_level != now->functionality_level) {
		snprintf(why, whylen, "the baseline used libclamav functionality level %u, this is %u",
		       e->functionality_level, now->functionality_level);
		return false;
	}
	for (size_t i = 0; i < SNAP_NLIMITS; i++) {
		if (!e->has_limit[i] || e->limit[i] != limits[i]) {
			snprintf(why, whylen, "the scan limit %s differs", snap_limit_names[i]);
			return false;
		}
	}
	for (size_t i = 0; i < e->ndbs || i < now->ndbs; i++) {
		const struct snap_db *b = i < e->ndbs ? &e->dbs[i] : NULL;
		const struct rep_db *d = i < now->ndbs ? &now->dbs[i] : NULL;
		if (!b || !d || strcmp(b->name, d->name) != 0) {
			snprintf(why, whylen, "the signature databases differ (%.100s)", d ? d->name : b->name);
			return false;
		}
		if (strcmp(b->sha256, d->sha256) != 0) {
			snprintf(why, whylen, "the signature database %.100s differs", d->name);
			return false;
		}
	}
	return true;
}
