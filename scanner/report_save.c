/* Writing a report directory so that it is whole or absent: each file is
 * written under a temporary name, flushed to disk and renamed; report.json
 * is renamed last, so its presence means the rest is there too. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/cleanup.h>
#include <kenshu/err.h>
#include <kenshu/report.h>
#include "banned.h"

typedef int (*writer_fn)(const struct report *r, const struct av *av, FILE *f);

static int write_manifest_adapter(const struct report *r, const struct av *av, FILE *f)
{
	return report_write_manifest(r, f);
}

static const struct {
	const char *name;
	writer_fn write;
} outputs[] = {
	{ "manifest.jsonl", write_manifest_adapter },
	{ "report.txt", report_write_text },
	{ "report.html", report_write_html },
	{ "report.json", report_write_json },   /* last: marks the report complete */
};

#define NOUT (sizeof(outputs) / sizeof(outputs[0]))

struct save_ctx {
	const struct report *r;
	const struct av *av;
	writer_fn write;
};

static int write_output(void *ctx, FILE *f)
{
	struct save_ctx *sc = ctx;
	return sc->write(sc->r, sc->av, f);
}

int report_write_synced(const char *tmp, const char *dir, const char *name,
			int (*write)(void *ctx, FILE *f), void *ctx)
{
	FILE *f = fopen(tmp, "w");
	int werr, e;

	if (!f)
		return error("'%s': cannot write: %s", tmp, strerror(errno));
	werr = write(ctx, f);
	e = errno;
	/* On disk before the rename makes it visible. */
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		werr = -1, e = errno;
	if (fclose(f) != 0 && !werr)
		werr = -1, e = errno;
	if (werr)
		return error("'%s/%s': cannot write: %s", dir, name, strerror(e));
	return 0;
}

int report_mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	return mkdir(dir, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

int report_save(const struct report *r, const struct av *av, const char *dir)
{
	char *tmp[NOUT] = { 0 };
	size_t done = 0;
	int rc = -1;

	if (report_mkdir_p(dir) < 0)
		return error("'%s': cannot create report directory: %s", dir, strerror(errno));
	for (; done < NOUT; done++) {
		tmp[done] = xasprintf("%s/.%s.tmp.%ld", dir, outputs[done].name, (long)getpid());
		cleanup_add(tmp[done], false);
		struct save_ctx sc = { r, av, outputs[done].write };
		if (report_write_synced(tmp[done], dir, outputs[done].name, write_output, &sc) < 0) {
			done++;
			goto out;
		}
	}
	for (size_t i = 0; i < NOUT; i++) {
		char *final = xasprintf("%s/%s", dir, outputs[i].name);
		int ok = rename(tmp[i], final);
		free(final);
		if (ok < 0) {
			error("'%s/%s': cannot rename into place: %s", dir, outputs[i].name, strerror(errno));
			goto out;
		}
		cleanup_forget(tmp[i]);
		free(tmp[i]);
		tmp[i] = NULL;
	}
	rc = 0;
out:
	for (size_t i = 0; i < NOUT; i++) {
		if (tmp[i]) {
			cleanup_forget(tmp[i]);
			unlink(tmp[i]);
			free(tmp[i]);
		}
	}
	return rc;
}
