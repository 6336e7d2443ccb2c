/* Finding the installation's event logs and reading each one: the paths
 * come from the scan's walk (the volume layer lists no directory), each
 * file is read whole up to EV_LOG_MAX_BYTES and parsed; whatever stops a
 * log is recorded with it, never dropped. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/evidence.h>
#include <kenshu/volume.h>

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcasecmp(s + n - m, suffix);
}

/* "/ROOT/rest" with ROOT one component: the part after it, else NULL. */
static const char *after_root(const char *path)
{
	const char *p;

	if (path[0] != '/' || !(p = strchr(path + 1, '/')) || p == path + 1)
		return NULL;
	return p + 1;
}

static bool in_dir(const char *rest, const char *dir, const char *ext)
{
	size_t dl = strlen(dir);

	return !strncasecmp(rest, dir, dl) && !strchr(rest + dl, '/') && has_suffix(rest + dl, ext);
}

bool ev_log_path_wanted(const char *path)
{
	const char *rest = after_root(path);

	return rest && (in_dir(rest, "System32/winevt/Logs/", ".evtx") || in_dir(rest, "System32/config/", ".evt"));
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int fs_exists(void *ctx, const char *path)
{
	uint64_t id;

	return fs_lookup(ctx, path, &id) == 1;
}

static void read_one(struct fs *fs, const struct os_info *os, const char *path, struct ev_eventlogs *el,
		     struct ev_payloads *payloads)
{
	struct ev_log *l;
	struct ks_err err;
	struct evt_log log;
	void *data = NULL;
	uint64_t size = 0;

	el->logs = xrealloc(el->logs, (el->nlogs + 1) * sizeof(*el->logs));
	l = &el->logs[el->nlogs++];
	memset(l, 0, sizeof(*l));
	l->path = xstrdup(path);
	l->format = has_suffix(path, ".evt") ? EVT_FORMAT_EVT : EVT_FORMAT_EVTX;
	if (fs_read_file(fs, path, EV_LOG_MAX_BYTES, &data, &size, &err) < 0) {
		l->error = xasprintf("not read: %s (logs are read up to %llu MiB)", err.msg,
				     (unsigned long long)(EV_LOG_MAX_BYTES >> 20));
		return;
	}
	l->size = size;
	if (evt_log_parse(data, (size_t)size, path, &log, &err) < 0) {
		l->error = xasprintf("not an event log: %s", err.msg);
		free(data);
		return;
	}
	free(data);
	l->read = true;
	l->format = log.format;
	l->records = log.nrec;
	l->dirty = log.dirty;
	l->full = log.full;
	l->truncated = log.truncated;
	l->chunks = log.chunks;
	l->chunks_bad = log.chunks_bad;
	l->records_bad = log.records_bad;
	l->damage = xstrdup_or_null(log.damage);
	for (size_t i = 0; i < log.nrec; i++)
		l->recovered += log.rec[i].recovered;
	ev_eventlogs_add(el, path, &log, os, fs_exists, fs, payloads);
	evt_log_release(&log);
}

void eventlog_collect(struct fs *fs, const struct os_info *os, const char *const *found, size_t nfound,
		      struct ev_eventlogs *out, struct ev_payloads *payloads)
{
	const char **mine = xcalloc(nfound ? nfound : 1, sizeof(*mine));
	size_t n = 0, rl = os->system_root ? strlen(os->system_root) : 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nfound; i++)
		if (rl && !strncasecmp(found[i], os->system_root, rl) && found[i][rl] == '/' && ev_log_path_wanted(found[i]))
			mine[n++] = found[i];
	qsort(mine, n, sizeof(*mine), path_cmp);
	for (size_t i = 0; i < n; i++) {
		if (out->nlogs == EV_MAX_LOGS) {
			out->logs_skipped = n - i;
			break;
		}
		read_one(fs, os, mine[i], out, payloads);
	}
	free(mine);
	ev_eventlogs_finish(out);
}

#include <kenshu/banned.h>
