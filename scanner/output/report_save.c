/* Writing a report directory so that it holds one whole report or none:
 * each file is written under a temporary name and flushed to disk, then
 * the older report steps aside and the new files are renamed in,
 * report.json last, so its presence means the rest is there too; a
 * failure, or a kill that a later scan finds, puts the older report back
 * (commit(), recover()). A signed directory's report.sig is made from the
 * temporary files' bytes. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/output.h>
#include "output_internal.h"
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
	/* A writer's failure may leave errno as it was (a short write stdio
	 * did not retry): not a stale errno from before in the message. */
	errno = 0;
	werr = write(ctx, f);
	e = errno ? errno : EIO;
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
	if (!text) {
		/* Which directory went unsigned, whatever stopped OpenSSL. */
		char why[KS_ERR_MAX];
		snprintf(why, sizeof(why), "%s", err->msg);
		ks_fail(err, err->code, "'%s/%s': %s", dir, SIGN_FILE, why);
	}
out:
	free(files);
	return text;
}

/* ".NAME.tmp.PID" (a file being written) and ".NAME.old.PID" (an older
 * report's file while the new one is renamed in): the names a save uses
 * besides the final ones. */
static char *side_name(const char *dir, const char *name, const char *what)
{
	return xasprintf("%s/.%s.%s.%ld", dir, name, what, (long)getpid());
}

/* The i-th of owned, then report.sig; NULL past the end. */
static const char *nth_name(const char *const *owned, size_t i)
{
	size_t n = 0;

	while (owned[n])
		n++;
	return i < n ? owned[i] : i == n ? SIGN_FILE : NULL;
}

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* A killed kenshu's save, by its side names: a commit it left halfway
 * (the marker gone) is undone as commit() undoes a failed one: every name
 * with an ".old" copy gets it back, the marker last. A name without one
 * is the older report's when the renaming in had not begun (the first
 * output's temporary file is still there: only on a file system without
 * hard links, where the older files are moved aside one by one), else a
 * new file: removed. Then its side names go. owned[0] is the first
 * output, the marker among owned. */
static void recover(const char *dir, const char *const *owned, const char *marker, long pid)
{
	char *mfinal = xasprintf("%s/%s", dir, marker);
	char *mold = xasprintf("%s/.%s.old.%ld", dir, marker, pid);
	char *first = xasprintf("%s/.%s.tmp.%ld", dir, owned[0], pid);
	bool undo = !exists(mfinal), placing = !exists(first);
	const char *name;

	for (size_t i = 0; (name = nth_name(owned, i)); i++) {
		char *final = xasprintf("%s/%s", dir, name);
		char *old = xasprintf("%s/.%s.old.%ld", dir, name, pid);
		char *tmp = xasprintf("%s/.%s.tmp.%ld", dir, name, pid);

		if (undo && strcmp(name, marker) != 0) {
			if (exists(old))
				rename(old, final);
			else if (placing)
				unlink(final);
		}
		if (strcmp(name, marker) != 0)
			unlink(old);
		unlink(tmp);
		free(final);
		free(old);
		free(tmp);
	}
	if (undo)
		rename(mold, mfinal);
	unlink(mold);
	free(first);
	free(mfinal);
	free(mold);
}

/* Side names of a kenshu that was killed (SIGKILL, a power cut): its save
 * recovered, so that nothing piles up or reads as part of a report. A
 * live process's are its own business (two scans into one directory). */
static void recover_leftovers(const char *dir, const char *const *owned, const char *marker)
{
	long dead[16];
	size_t ndead = 0;
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) && ndead < sizeof(dead) / sizeof(dead[0])) {
		const char *n = de->d_name;
		const char *tail = n[0] == '.' ? strrchr(n, '.') : NULL;
		char *end;
		long pid;
		bool ours = false, seen = false;
		const char *o;

		if (!tail || tail - n < 5 || (strncmp(tail - 4, ".tmp", 4) && strncmp(tail - 4, ".old", 4)))
			continue;
		for (size_t i = 0; (o = nth_name(owned, i)); i++)
			ours = ours || ((size_t)(tail - 4 - n) == strlen(o) + 1 && !strncmp(n + 1, o, strlen(o)));
		errno = 0;
		pid = strtol(tail + 1, &end, 10);
		/* Our own pid's are a dead predecessor's that had the same pid:
		 * this process has no save under way when it looks. */
		if (!ours || errno || *end || pid <= 0 ||
		    (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH)))
			continue;
		for (size_t k = 0; k < ndead; k++)
			seen = seen || dead[k] == pid;
		if (!seen)
			dead[ndead++] = pid;
	}
	closedir(d);
	for (size_t k = 0; k < ndead; k++)
		recover(dir, owned, marker, dead[k]);
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* One name of the directory through the commit: its final path, the
 * older file's second name, and the new file, if any. */
struct slot {
	const char *name;
	char *final, *old, *tmp;
	bool had_old;   /* the older file has its ".old" name */
	bool moved;     /* ... and only that one (no hard links here) */
	bool removed;   /* the older file's own name is gone */
	bool placed;    /* the new file is in place */
};

/* Puts the written files in place of the older report, with signals held
 * and nothing allocated (running out of memory cannot stop it halfway):
 * every older file gets a second, ".old" name (a hard link: the older
 * report stays whole in place), the older marker goes (from then on the
 * directory holds no report), then its files this report does not write,
 * the new files are renamed in, the marker last, and the ".old" names go.
 * Any failure puts the older report back; only when even that fails is
 * the directory left without a report. Where the file system has no hard
 * links (FAT), the older files are renamed aside instead, marker first.
 * slots[nslots - 1] is the marker; new files are placed in slot order. */
static int commit(const char *dir, struct slot *slots, size_t nslots, struct ks_err *err)
{
	struct slot *marker = &slots[nslots - 1], *bad = NULL;
	const char *what = "cannot keep a second name of the earlier file";
	int e = 0, rc;

	cleanup_hold_signals();
	for (size_t k = 0; k < nslots && !bad; k++) {
		struct slot *s = k == 0 ? marker : &slots[k - 1];
		if (link(s->final, s->old) == 0) {
			s->had_old = true;
		} else if (errno == EPERM || errno == EOPNOTSUPP || errno == EMLINK || errno == ENOSYS) {
			if (rename(s->final, s->old) == 0)
				s->had_old = s->moved = true;
			else if (errno != ENOENT)
				bad = s, e = errno;
		} else if (errno != ENOENT) {
			bad = s, e = errno;
		}
	}
	for (size_t k = 0; k < nslots && !bad; k++) {
		struct slot *s = k == 0 ? marker : &slots[k - 1];
		if (s->had_old && !s->moved && (s == marker || !s->tmp)) {
			if (unlink(s->final) == 0)
				s->removed = true;
			else
				bad = s, e = errno, what = "cannot remove the earlier file";
		}
	}
	for (size_t i = 0; i < nslots && !bad; i++) {
		struct slot *s = &slots[i];
		if (!s->tmp)
			continue;
		if (rename(s->tmp, s->final) == 0)
			s->placed = true;
		else
			bad = s, e = errno, what = "cannot rename into place";
	}
	if (!bad) {
		for (size_t i = 0; i < nslots; i++)
			if (slots[i].had_old)
				unlink(slots[i].old);
		sync_dir(dir);
		cleanup_release_signals();
		return 0;
	}
	/* Back out, the marker last: the older files return, the new go. */
	bool restored = true;
	for (size_t k = 0; k < nslots; k++) {
		struct slot *s = k + 1 < nslots ? &slots[k] : marker;
		if (!s->had_old) {
			if (s->placed && unlink(s->final) < 0)
				restored = false;
			continue;
		}
		/* Where the older file never left, only its second name goes
		 * (rename() between two names of one file does nothing); one
		 * removed comes back as a link, which needs no rename. */
		if ((s->moved || s->placed) ? rename(s->old, s->final) < 0
		    : s->removed && link(s->old, s->final) < 0 && rename(s->old, s->final) < 0)
			restored = false;
		unlink(s->old);
	}
	if (!restored) {
		/* Neither report whole: none at all, never a mixture. */
		unlink(marker->final);
		for (size_t i = 0; i < nslots; i++) {
			unlink(slots[i].final);
			unlink(slots[i].old);
		}
	}
	sync_dir(dir);
	rc = ks_fail(err, KS_EIO, "'%s/%s': %s: %s; %s", dir, bad->name, what, strerror(e),
		     restored ? "the earlier report in the directory is kept as it was"
			      : "the directory now holds no report");
	cleanup_release_signals();
	return rc;
}

/* A name once, in the order of the first call that gives it. */
static void add_slot(struct slot *slots, size_t *n, const char *dir, const char *name, char *tmp)
{
	for (size_t k = 0; k < *n; k++)
		if (!strcmp(slots[k].name, name))
			return;
	/* Not registered for cleanup: until the commit ends, an ".old" name
	 * may hold the only copy of the older report. */
	slots[*n] = (struct slot){ .name = name, .final = xasprintf("%s/%s", dir, name),
				   .old = side_name(dir, name, "old"), .tmp = tmp };
	(*n)++;
}

int report_save_outputs(const char *dir, const struct report_output *out, size_t n,
			const char *const *owned, const struct sign_key *key, const char *kind,
			struct ks_err *err)
{
	/* tmp[n] is report.sig's, when signing. */
	char **tmp = xcalloc(n + 1, sizeof(*tmp)), *sig = NULL;
	size_t nowned = 0, nslots = 0;
	struct slot *slots = NULL;
	int rc = -1;

	if (n == 0)
		BUG("report_save_outputs with no output");
	if (report_mkdir_p(dir) < 0) {
		free(tmp);
		return ks_fail(err, KS_EIO, "'%s': cannot create report directory: %s", dir, strerror(errno));
	}
	recover_leftovers(dir, owned, out[n - 1].name);
	for (size_t i = 0; i < n; i++) {
		tmp[i] = side_name(dir, out[i].name, "tmp");
		cleanup_add(tmp[i], false);
		if (report_write_synced(tmp[i], dir, out[i].name, out[i].write, out[i].ctx, err) < 0)
			goto out;
	}
	if (key) {
		if (!(sig = sign_outputs(dir, out, tmp, n, key, kind, err)))
			goto out;
		tmp[n] = side_name(dir, SIGN_FILE, "tmp");
		cleanup_add(tmp[n], false);
		if (report_write_synced(tmp[n], dir, SIGN_FILE, write_text, sig, err) < 0)
			goto out;
	}
	/* Every name the older report may have used, the marker (the last
	 * output) last: a file it had and this one does not write (an export
	 * not asked for again, a signature) goes with it. */
	while (owned[nowned])
		nowned++;
	slots = xcalloc(nowned + n + 1, sizeof(*slots));
	for (size_t i = 0; i + 1 < n; i++)
		add_slot(slots, &nslots, dir, out[i].name, tmp[i]);
	add_slot(slots, &nslots, dir, SIGN_FILE, tmp[n]);
	for (size_t i = 0; i < nowned; i++)
		if (strcmp(owned[i], out[n - 1].name) != 0)
			add_slot(slots, &nslots, dir, owned[i], NULL);
	add_slot(slots, &nslots, dir, out[n - 1].name, tmp[n - 1]);
	rc = commit(dir, slots, nslots, err);
	for (size_t i = 0; i < nslots; i++) {
		free(slots[i].final);
		free(slots[i].old);
	}
	for (size_t i = 0; i <= n; i++)
		if (tmp[i] && rc == 0) {
			cleanup_forget(tmp[i]);
			free(tmp[i]);
			tmp[i] = NULL;
		}
out:
	for (size_t i = 0; i <= n; i++) {
		if (tmp[i]) {
			cleanup_forget(tmp[i]);
			unlink(tmp[i]);
			free(tmp[i]);
		}
	}
	free(slots);
	free(tmp);
	free(sig);
	return rc;
}

static void report_names(const char *owned[NOUT + 1])
{
	for (size_t i = 0; i < NOUT; i++)
		owned[i] = outputs[i].name;
	owned[NOUT] = NULL;
}

void report_dir_recover(const char *dir)
{
	const char *owned[NOUT + 1];

	report_names(owned);
	recover_leftovers(dir, owned, outputs[NOUT - 1].name);
	recover_leftovers(dir, bundle_owned, "bundle.json");
}

int report_save(const struct report *r, const struct sign_key *key,
		const char *dir, struct ks_err *err)
{
	struct save_ctx sc[NOUT];
	struct report_output out[NOUT];
	const char *owned[NOUT + 1];
	size_t n = 0;

	report_names(owned);
	for (size_t i = 0; i < NOUT; i++) {
		if (outputs[i].export && !(r->exports & outputs[i].export))
			continue;
		sc[n] = (struct save_ctx){ r, outputs[i].write };
		out[n] = (struct report_output){ outputs[i].name, write_output, &sc[n] };
		n++;
	}
	return report_save_outputs(dir, out, n, owned, key, "report", err);
}
