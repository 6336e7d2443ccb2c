/* Writing a report directory so that it is whole or absent: each file is
 * written under a temporary name, flushed to disk and renamed; report.json
 * is renamed last, so its presence means the rest is there too. A signed
 * directory's report.sig is made from the temporary files' bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/output.h>
#include <kenshu/banned.h>

typedef int (*writer_fn)(const struct report *r, FILE *f);

/* In writing order; an export is written only when r->exports asks. */
static const struct {
	const char *name;
	writer_fn write;
	unsigned export;   /* REPORT_EXPORT_*, 0: always */
} outputs[] = {
	{ "manifest.jsonl", report_write_manifest, 0 },
	{ "report.txt", report_write_text, 0 },
	{ "report.html", report_write_html, 0 },
	{ "findings.csv", report_write_csv, REPORT_EXPORT_CSV },
	{ "stix.json", report_write_stix, REPORT_EXPORT_STIX },
	{ "report.json", report_write_json, 0 },   /* last: marks the report complete */
};

#define NOUT (sizeof(outputs) / sizeof(outputs[0]))

struct save_ctx {
	const struct report *r;
	writer_fn write;
};

static int write_output(void *ctx, FILE *f)
{
	struct save_ctx *sc = ctx;
	return sc->write(sc->r, f);
}

static int write_text(void *ctx, FILE *f)
{
	return fputs(ctx, f) < 0 ? -1 : 0;
}

int report_write_synced(const char *tmp, const char *dir, const char *name,
			int (*write)(void *ctx, FILE *f), void *ctx, struct ks_err *err)
{
	FILE *f = fopen(tmp, "w");
	int werr, e;

	if (!f)
		return ks_fail(err, KS_EIO, "'%s': cannot write: %s", tmp, strerror(errno));
	werr = write(ctx, f);
	e = errno;
	/* On disk before the rename makes it visible. */
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		werr = -1, e = errno;
	if (fclose(f) != 0 && !werr)
		werr = -1, e = errno;
	if (werr)
		return ks_fail(err, KS_EIO, "'%s/%s': cannot write: %s", dir, name, strerror(e));
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

/* The signature is made from the temporary files as they are on disk
 * after fsync: the bytes a verifier will read, not what a writer meant to
 * write. Returns report.sig's text (caller frees), or NULL after an error
 * line. */
static char *sign_outputs(const char *dir, const struct report_output *out, char **tmp, size_t n,
			  const struct sign_key *key, const char *kind, struct ks_err *err)
{
	struct sign_file *files = xcalloc(n, sizeof(*files));
	char *text = NULL;

	for (size_t i = 0; i < n; i++) {
		files[i].name = out[i].name;
		if (sha256_file(tmp[i], files[i].sha256, &files[i].size) < 0) {
			ks_fail(err, KS_EIO, "'%s/%s': cannot read back to sign: %s", dir, out[i].name, strerror(errno));
			goto out;
		}
	}
	text = sign_statement(key, kind, files, n, NULL, err);
out:
	free(files);
	return text;
}

int report_save_outputs(const char *dir, const struct report_output *out, size_t n,
			const struct sign_key *key, const char *kind, struct ks_err *err)
{
	/* tmp[n] is report.sig's, when signing. */
	char **tmp = xcalloc(n + 1, sizeof(*tmp)), *sig = NULL, *final;
	size_t nt = n;   /* files to rename */
	int rc = -1;

	if (n == 0)
		BUG("report_save_outputs with no output");
	if (report_mkdir_p(dir) < 0) {
		free(tmp);
		return ks_fail(err, KS_EIO, "'%s': cannot create report directory: %s", dir, strerror(errno));
	}
	for (size_t i = 0; i < n; i++) {
		tmp[i] = xasprintf("%s/.%s.tmp.%ld", dir, out[i].name, (long)getpid());
		cleanup_add(tmp[i], false);
		if (report_write_synced(tmp[i], dir, out[i].name, out[i].write, out[i].ctx, err) < 0)
			goto out;
	}
	if (key) {
		if (!(sig = sign_outputs(dir, out, tmp, n, key, kind, err)))
			goto out;
		tmp[n] = xasprintf("%s/.%s.tmp.%ld", dir, SIGN_FILE, (long)getpid());
		nt = n + 1;
		cleanup_add(tmp[n], false);
		if (report_write_synced(tmp[n], dir, SIGN_FILE, write_text, sig, err) < 0)
			goto out;
	} else {
		/* A signature left by an earlier signed scan into this directory
		 * would name files about to be replaced. */
		final = xasprintf("%s/%s", dir, SIGN_FILE);
		int gone = unlink(final) == 0 || errno == ENOENT;
		free(final);
		if (!gone) {
			ks_fail(err, KS_EIO, "'%s/%s': cannot remove the old signature: %s", dir, SIGN_FILE, strerror(errno));
			goto out;
		}
	}
	/* Everything but the last output, then the signature, then the last. */
	for (size_t k = 0; k < nt; k++) {
		size_t i = k + 1 < n ? k : k + 1 == nt ? n - 1 : n;
		const char *name = i == n ? SIGN_FILE : out[i].name;
		final = xasprintf("%s/%s", dir, name);
		int ok = rename(tmp[i], final);
		free(final);
		if (ok < 0) {
			ks_fail(err, KS_EIO, "'%s/%s': cannot rename into place: %s", dir, name, strerror(errno));
			goto out;
		}
		cleanup_forget(tmp[i]);
		free(tmp[i]);
		tmp[i] = NULL;
	}
	rc = 0;
out:
	for (size_t i = 0; i <= n; i++) {
		if (tmp[i]) {
			cleanup_forget(tmp[i]);
			unlink(tmp[i]);
			free(tmp[i]);
		}
	}
	free(tmp);
	free(sig);
	return rc;
}

int report_save(const struct report *r, const struct sign_key *key,
		const char *dir, struct ks_err *err)
{
	struct save_ctx sc[NOUT];
	struct report_output out[NOUT];
	size_t n = 0;

	for (size_t i = 0; i < NOUT; i++) {
		if (outputs[i].export && !(r->exports & outputs[i].export))
			continue;
		sc[n] = (struct save_ctx){ r, outputs[i].write };
		out[n] = (struct report_output){ outputs[i].name, write_output, &sc[n] };
		n++;
	}
	return report_save_outputs(dir, out, n, key, "report", err);
}
