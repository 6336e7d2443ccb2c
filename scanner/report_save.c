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
	{ "report.json", report_write_json },   /* last: marks the report complete */
};

#define NOUT (sizeof(outputs) / sizeof(outputs[0]))

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
		FILE *f = fopen(tmp[done], "w");
		if (!f) {
			error("'%s': cannot write: %s", tmp[done], strerror(errno));
			goto out;
		}
		int werr = outputs[done].write(r, av, f);
		int e = errno;
		if (fflush(f) != 0 || fsync(fileno(f)) != 0)
			werr = -1, e = errno;
		if (fclose(f) != 0 && !werr)
			werr = -1, e = errno;
		if (werr) {
			error("'%s/%s': cannot write: %s", dir, outputs[done].name, strerror(e));
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
