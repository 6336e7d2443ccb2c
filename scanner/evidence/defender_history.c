/* What Defender detected, from its detection history: one file per
 * detection under Scans\History\Service\DetectionHistory\<NN>\, which
 * Defender keeps for the Protection History page whether or not the
 * quarantine and the event log were cleared since. Each file-like
 * resource is placed in the volume so that the policy can say whether the
 * file is still there. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/volume.h>
#include <kenshu/evidence.h>

#define HISTORY "/microsoft/windows defender/scans/history/service/detectionhistory/"

static const char *find_ci(const char *h, const char *n)
{
	size_t ln = strlen(n);
	for (; *h; h++)
		if (!strncasecmp(h, n, ln))
			return h;
	return NULL;
}

bool defender_is_detection_history(const char *path)
{
	const char *e = find_ci(path, HISTORY), *sub, *slash;

	if (!e)
		return false;
	/* <NN>/<GUID>: one folder level, a file name that is not empty */
	sub = e + strlen(HISTORY);
	slash = strchr(sub, '/');
	return slash && slash > sub && slash[1] && !strchr(slash + 1, '/');
}

static void add_error(struct os_defender *d, const char *path, const char *why)
{
	d->hist_errors = xrealloc(d->hist_errors, (d->nhist_errors + 1) * sizeof(*d->hist_errors));
	d->hist_errors[d->nhist_errors++] = xasprintf("%s: %s", path, why);
}

static bool file_like(const char *kind)
{
	return !strcasecmp(kind, "file") || !strcasecmp(kind, "containerfile") || !strcasecmp(kind, "webfile");
}

/* The file a resource names, in the volume: the location up to a "|"
 * (webfile: path|url|pid) or "->" (a member of a container is reported
 * as the container), read as a Windows path on the system drive. */
static char *place(const char *kind, const char *location)
{
	static const struct cmd_env env[] = { { "SystemDrive", "C:" } };
	size_t n = strcspn(location, "|");
	const char *arrow = strstr(location, "->");
	char *win, *img = NULL;

	if (!file_like(kind) || !*location)
		return NULL;
	if (arrow && (size_t)(arrow - location) < n)
		n = (size_t)(arrow - location);
	win = xasprintf("%.*s", (int)n, location);
	if (cmd_resolve_path(win, env, 1, &img, NULL) != 1) {
		free(img);
		img = NULL;
	}
	free(win);
	return img;
}

void defender_history_add(struct os_defender *d, const char *path, const void *data, size_t len)
{
	struct dh_record r;
	struct ks_err err;
	struct def_detection *h;

	if (d->nhist >= DEF_MAX_HISTORY) {
		d->hist_truncated = true;
		return;
	}
	if (dh_parse(data, len, &r, &err) < 0) {
		add_error(d, path, err.msg);
		return;
	}
	d->hist = xrealloc(d->hist, (d->nhist + 1) * sizeof(*d->hist));
	h = &d->hist[d->nhist++];
	memset(h, 0, sizeof(*h));
	h->file = xstrdup(path);
	h->threat = xstrdup(r.threat);
	h->detection_id = xstrdup(r.detection_id);
	h->threat_id = r.threat_id;
	h->category = r.category_name;
	quar_filetime_iso(dh_time(&r), h->time, sizeof(h->time));
	quar_filetime_iso(r.remediation_time, h->remediated, sizeof(h->remediated));
	h->user = r.user ? xstrdup(r.user) : NULL;
	h->process = r.process ? xstrdup(r.process) : NULL;
	h->res_truncated = r.truncated;
	h->res = xmalloc((r.nres ? r.nres : 1) * sizeof(*h->res));
	for (size_t k = 0; k < r.nres; k++) {
		struct def_det_resource *o = &h->res[h->nres++];
		o->kind = xstrdup(r.res[k].type);
		o->location = xstrdup(r.res[k].location);
		o->path = place(o->kind, o->location);
		memcpy(o->sha256, r.res[k].sha256, sizeof(o->sha256));
	}
	if (r.damage[0])
		h->damage = xstrdup(r.damage);
	dh_record_release(&r);
}

void defender_history_read(struct fs *fs, const char *path, struct os_defender *d)
{
	void *data = NULL;
	uint64_t size = 0;
	struct ks_err err;

	if (d->nhist >= DEF_MAX_HISTORY) {
		d->hist_truncated = true;
		return;
	}
	if (fs_read_file(fs, path, DEF_MAX_HISTORY_FILE, &data, &size, &err) < 0) {
		add_error(d, path, err.msg);
		return;
	}
	defender_history_add(d, path, data, (size_t)size);
	free(data);
}

static int newest_first(const void *a, const void *b)
{
	const struct def_detection *x = a, *y = b;

	if (!x->time[0] != !y->time[0])
		return x->time[0] ? -1 : 1;
	int c = strcmp(y->time, x->time);
	return c ? c : strcmp(x->file, y->file);
}

void defender_history_finish(struct os_defender *d)
{
	if (d->nhist > 1)
		qsort(d->hist, d->nhist, sizeof(*d->hist), newest_first);
}

void defender_history_release(struct os_defender *d)
{
	for (size_t i = 0; i < d->nhist; i++) {
		struct def_detection *h = &d->hist[i];
		free(h->file);
		free(h->threat);
		free(h->detection_id);
		free(h->user);
		free(h->process);
		for (size_t k = 0; k < h->nres; k++) {
			free(h->res[k].kind);
			free(h->res[k].location);
			free(h->res[k].path);
		}
		free(h->res);
		free(h->damage);
	}
	free(d->hist);
	for (size_t i = 0; i < d->nhist_errors; i++)
		free(d->hist_errors[i]);
	free(d->hist_errors);
	d->hist = NULL;
	d->hist_errors = NULL;
	d->nhist = d->nhist_errors = 0;
}

#include <kenshu/banned.h>
