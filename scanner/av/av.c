/* libclamav 1.4 wrapper. Lifecycle in clamscan's order: init, new, load,
 * compile, set limits, set callbacks, then scan from any number of threads. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <clamav.h>

#include <kenshu/av.h>
#include <kenshu/core.h>
#include <kenshu/banned.h>

struct av {
	struct cl_engine *engine;
	char *dbdir;
	char *tmpdir;
	unsigned sigs;
	struct av_db *db;
	size_t ndb;
	struct av_limits limits;
};

/* File name extensions cl_load() reads from a database directory. */
static const char *const db_exts[] = {
	".cvd", ".cld", ".cud", ".db", ".hdb", ".hdu", ".hsb", ".hsu", ".mdb", ".mdu",
	".msb", ".msu", ".ndb", ".ndu", ".ldb", ".ldu", ".sdb", ".zmd", ".rmd", ".idb",
	".fp", ".sfp", ".pdb", ".gdb", ".wdb", ".cbc", ".ftm", ".cfg", ".cdb", ".cat",
	".crb", ".ioc", ".yar", ".yara", ".pwdb", ".ign", ".ign2", ".imp",
};

/* ClamAV's heuristic names that do not mean "malware": "not fully
 * scanned", or a property of the file the profile may care about. */
static const struct {
	const char *prefix;
	enum av_match_kind kind;
} match_kinds[] = {
	{ "Heuristics.Limits.Exceeded", AV_LIMIT },
	{ "Heuristics.Encrypted", AV_ENCRYPTED },
	{ "Heuristics.OLE2.ContainsMacros", AV_MACROS },   /* .VBA, .XLM */
};

void av_default_limits(struct av_limits *l)
{
	/* Larger than clamscan's defaults (100M/400M): an acceptance scan must
	 * see whole installers and archives, and says so when it cannot. */
	l->max_filesize = 1024ull << 20;
	l->max_scansize = 4096ull << 20;
	l->max_recursion = 17;
	l->max_files = 100000;
	l->max_scantime_ms = 600000;
}

static bool is_db_file(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(db_exts) / sizeof(db_exts[0]); i++) {
		size_t el = strlen(db_exts[i]);
		if (len > el && strcmp(name + len - el, db_exts[i]) == 0)
			return true;
	}
	return false;
}

static int db_cmp(const void *a, const void *b)
{
	return strcmp(((const struct av_db *)a)->name, ((const struct av_db *)b)->name);
}


static int inventory(struct av *av, struct ks_err *err)
{
	DIR *d = opendir(av->dbdir);
	struct dirent *de;
	size_t alloc = 0;

	if (!d)
		return ks_fail(err, KS_EIO, "'%s': cannot open ClamAV database directory: %s", av->dbdir, strerror(errno));
	while ((de = readdir(d))) {
		struct av_db db = { 0 };
		char *path;

		if (de->d_name[0] == '.' || !is_db_file(de->d_name))
			continue;
		path = xasprintf("%s/%s", av->dbdir, de->d_name);
		if (sha256_file(path, db.sha256, &db.size) < 0) {
			ks_fail(err, KS_EIO, "'%s': cannot read database file: %s", path, strerror(errno));
			free(path);
			closedir(d);
			return -1;
		}
		db.name = xstrdup(de->d_name);
		db.builder = xstrdup("");
		if (strstr(de->d_name, ".cvd") || strstr(de->d_name, ".cld") || strstr(de->d_name, ".cud")) {
			struct cl_cvd *cvd = cl_cvdhead(path);
			if (!cvd) {
				ks_fail(err, KS_EINPUT, "'%s': damaged CVD header", path);
				free(db.name);
				free(db.builder);
				free(path);
				closedir(d);
				return -1;
			}
			db.official = true;
			db.version = cvd->version;
			db.sigs = cvd->sigs;
			ks_iso_time((time_t)cvd->stime, db.build_time, sizeof(db.build_time));
			free(db.builder);
			db.builder = xstrdup(cvd->builder ? cvd->builder : "");
			cl_cvdfree(cvd);
		} else {
			unsigned n = 0;
			if (cl_countsigs(path, CL_COUNTSIGS_ALL, &n) == CL_SUCCESS)
				db.sigs = n;
		}
		free(path);
		if (av->ndb == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			av->db = xrealloc(av->db, alloc * sizeof(*av->db));
		}
		av->db[av->ndb++] = db;
	}
	closedir(d);
	if (av->ndb > 1)
		qsort(av->db, av->ndb, sizeof(*av->db), db_cmp);
	if (av->ndb == 0)
		return ks_fail(err, KS_ENOTFOUND, "'%s': no ClamAV signature databases in this directory "
			     "(expected .cvd/.cld/.hdb/.ndb/... files: run freshclam or copy them from the plant's mirror)",
			     av->dbdir);
	return 0;
}

static void on_virus(int fd, const char *virname, void *context)
{
	struct av_result *res = context;
	enum av_match_kind kind = AV_DETECTION;

	if (!res || !virname)
		return;
	for (size_t i = 0; i < sizeof(match_kinds) / sizeof(match_kinds[0]); i++)
		if (strncmp(virname, match_kinds[i].prefix, strlen(match_kinds[i].prefix)) == 0)
			kind = match_kinds[i].kind;
	/* All-match mode can report one name twice for one file (e.g. a member
	 * and the archive): once is enough. */
	for (size_t i = 0; i < res->n; i++)
		if (strcmp(res->m[i].name, virname) == 0)
			return;
	res->m = xrealloc(res->m, (res->n + 1) * sizeof(*res->m));
	res->m[res->n].kind = kind;
	res->m[res->n].name = xstrdup(virname);
	res->n++;
}

static void on_msg(enum cl_msg severity, const char *fullmsg, const char *msg, void *context)
{
	struct av_result *res = context;

	/* libclamav's chatter would interleave with our one-line errors. But an
	 * ERROR during a scan (context is then that scan's result) can mean part
	 * of the file went unscanned while the scan still returns CL_CLEAN:
	 * keep the first one so the stream is reported as not fully scanned. */
	if (!res || severity != CL_MSG_ERROR || res->engine_error)
		return;
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	res->engine_error = xstrndup(msg, n);
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char *p = xasprintf("%s/%s", dir, de->d_name);
			if (unlink(p) < 0)
				rm_tree(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* The IOC feeds in the evidence list, after the directory's files. */
static void inventory_ioc(struct av *av, const struct ioc *ioc)
{
	for (size_t i = 0; i < ioc_feed_count(ioc); i++) {
		const struct ioc_feed *f = ioc_feed(ioc, i);
		struct av_db db = { 0 };

		db.name = xstrdup(f->path);
		db.builder = xstrdup("");
		db.ioc_feed = true;
		db.sigs = f->entries;
		db.size = f->size;
		memcpy(db.sha256, f->sha256, sizeof(db.sha256));
		av->db = xrealloc(av->db, (av->ndb + 1) * sizeof(*av->db));
		av->db[av->ndb++] = db;
	}
}

/* Writes the IOC signatures into a private directory, loads each file into
 * the engine and removes the directory at once: the databases live only
 * between those two steps (and a signal then removes them too). */
static int load_ioc(struct av *av, const struct ioc *ioc, const char *tmp, struct ks_err *err)
{
	char *dir = xasprintf("%s/kenshu-ioc-XXXXXX", tmp);
	char *paths[IOC_DB_FILES];
	size_t n = 0;
	int rc = -1;

	if (!mkdtemp(dir)) {   /* mode 0700 */
		ks_fail(err, KS_EIO, "'%s': cannot create temporary directory: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	cleanup_add(dir, true);
	if (ioc_write_databases(ioc, dir, paths, &n, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		unsigned sigs = 0;
		cl_error_t e = cl_load(paths[i], av->engine, &sigs, CL_DB_STDOPT);
		if (e != CL_SUCCESS) {
			ks_fail(err, KS_EINPUT, "'%s': cannot load the IOC signatures: %s", paths[i], cl_strerror(e));
			goto out;
		}
		av->sigs += sigs;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	if (cleanup_remove(dir) < 0)
		rm_tree(dir);   /* the cleanup table was full: not registered */
	free(dir);
	return rc;
}

int av_open(const char *dbdir, const struct ioc *ioc, const struct av_limits *limits,
	    struct av **out, struct ks_err *err)
{
	struct av *av = xcalloc(1, sizeof(*av));
	const char *tmp = getenv("TMPDIR");
	cl_error_t rc;
	struct stat st;

	av->dbdir = xstrdup(dbdir);
	av->limits = *limits;
	if (stat(dbdir, &st) < 0) {
		ks_fail(err, KS_EIO, "'%s': cannot open ClamAV database directory: %s", dbdir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		ks_fail(err, KS_EUSAGE, "'%s': not a directory (give the ClamAV database directory with -d)", dbdir);
		goto fail;
	}
	if (inventory(av, err) < 0)
		goto fail;
	inventory_ioc(av, ioc);

	cl_set_clcb_msg(on_msg);
	if ((rc = cl_init(CL_INIT_DEFAULT)) != CL_SUCCESS) {
		ks_fail(err, KS_EIO, "libclamav: cannot initialise: %s", cl_strerror(rc));
		goto fail;
	}
	av->engine = cl_engine_new();
	if (!av->engine) {
		ks_fail(err, KS_EIO, "libclamav: cannot create engine");
		goto fail;
	}
	/* ClamAV unpacks archive members into its temp dir: keep it private. */
	av->tmpdir = xasprintf("%s/kenshu-clamav-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(av->tmpdir)) {
		ks_fail(err, KS_EIO, "'%s': cannot create temporary directory: %s", av->tmpdir, strerror(errno));
		free(av->tmpdir);
		av->tmpdir = NULL;
		goto fail;
	}
	cleanup_add(av->tmpdir, true);
	cl_engine_set_str(av->engine, CL_ENGINE_TMPDIR, av->tmpdir);
	if ((rc = cl_load(dbdir, av->engine, &av->sigs, CL_DB_STDOPT)) != CL_SUCCESS) {
		ks_fail(err, KS_EINPUT, "'%s': cannot load ClamAV databases: %s", dbdir, cl_strerror(rc));
		goto fail;
	}
	if (av->sigs == 0) {
		ks_fail(err, KS_ENOTFOUND, "'%s': the databases hold no signatures", dbdir);
		goto fail;
	}
	if (ioc_entry_count(ioc) && load_ioc(av, ioc, tmp && *tmp ? tmp : "/tmp", err) < 0)
		goto fail;
	if ((rc = cl_engine_compile(av->engine)) != CL_SUCCESS) {
		ks_fail(err, KS_EINPUT, "'%s': cannot compile ClamAV databases: %s", dbdir, cl_strerror(rc));
		goto fail;
	}
	cl_engine_set_num(av->engine, CL_ENGINE_MAX_FILESIZE, (long long)limits->max_filesize);
	cl_engine_set_num(av->engine, CL_ENGINE_MAX_SCANSIZE, (long long)limits->max_scansize);
	cl_engine_set_num(av->engine, CL_ENGINE_MAX_RECURSION, limits->max_recursion);
	cl_engine_set_num(av->engine, CL_ENGINE_MAX_FILES, limits->max_files);
	cl_engine_set_num(av->engine, CL_ENGINE_MAX_SCANTIME, limits->max_scantime_ms);
	cl_engine_set_clcb_virus_found(av->engine, on_virus);
	*out = av;
	return 0;
fail:
	av_close(av);
	return -1;
}

void av_close(struct av *av)
{
	if (!av)
		return;
	if (av->engine)
		cl_engine_free(av->engine);
	if (av->tmpdir) {
		cleanup_forget(av->tmpdir);
		rm_tree(av->tmpdir);
		free(av->tmpdir);
	}
	for (size_t i = 0; i < av->ndb; i++) {
		free(av->db[i].name);
		free(av->db[i].builder);
	}
	free(av->db);
	free(av->dbdir);
	free(av);
}

const char *av_version(void) { return cl_retver(); }
unsigned av_functionality_level(void) { return cl_retflevel(); }
const char *av_dbdir(const struct av *av) { return av->dbdir; }
unsigned av_signature_count(const struct av *av) { return av->sigs; }
size_t av_db_count(const struct av *av) { return av->ndb; }
const struct av_db *av_db(const struct av *av, size_t i) { return i < av->ndb ? &av->db[i] : NULL; }
const struct av_limits *av_limits(const struct av *av) { return &av->limits; }

struct pread_ctx {
	av_read_fn rd;
	void *handle;
};

static off_t fmap_pread(void *handle, void *buf, size_t count, off_t offset)
{
	struct pread_ctx *c = handle;

	return (off_t)c->rd(c->handle, buf, count, (uint64_t)offset);
}

static void scan_options(struct cl_scan_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->general = CL_SCAN_GENERAL_ALLMATCHES | CL_SCAN_GENERAL_HEURISTICS;
	opts->parse = ~0u;
	/* MACROS: with ALLMATCHES ClamAV reports the macros and still scans
	 * the macro source for signatures (tests/unit/test-av-macros.c). */
	opts->heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
			  CL_SCAN_HEURISTIC_ENCRYPTED_DOC | CL_SCAN_HEURISTIC_MACROS;
}

static int scan_done(cl_error_t rc, const char *virname, struct av_result *res)
{
	if (rc == CL_VIRUS && res->n == 0 && virname)
		on_virus(-1, virname, res);
	if (rc != CL_CLEAN && rc != CL_VIRUS) {
		res->error = xasprintf("ClamAV error: %s", cl_strerror(rc));
		return -1;
	}
	return 0;
}

static int scan_map(const struct av *av, cl_fmap_t *map, const char *name, struct av_result *res)
{
	struct cl_scan_options opts;
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_error_t rc;

	scan_options(&opts);
	rc = cl_scanmap_callback(map, name, &virname, &scanned, av->engine, &opts, res);
	cl_fmap_close(map);
	return scan_done(rc, virname, res);
}

static int too_big(uint64_t size, struct av_result *res)
{
	if (size <= AV_MAX_STREAM)
		return 0;
	res->error = xstrdup("larger than 2 GiB: ClamAV cannot scan it");
	return -1;
}

int av_scan(const struct av *av, av_read_fn rd, void *handle, uint64_t size,
	    const char *name, struct av_result *res)
{
	struct pread_ctx pc = { rd, handle };
	cl_fmap_t *map;

	memset(res, 0, sizeof(*res));
	if (size == 0 || too_big(size, res))
		return size == 0 ? 0 : -1;
	/* No page ageing: libclamav 1.4 cannot read back a page it aged out of
	 * a handle-based map ("fmap_readpage: fstat failed"), and silently
	 * scans the rest of an archive without it. Without ageing the map
	 * keeps what it read: memory up to the stream's size. */
	map = cl_fmap_open_handle(&pc, 0, (size_t)size, fmap_pread, 0);
	if (!map) {
		res->error = xstrdup("ClamAV cannot map the data");
		return -1;
	}
	return scan_map(av, map, name, res);
}

int av_scan_memory(const struct av *av, const void *data, uint64_t size,
		   const char *name, struct av_result *res)
{
	cl_fmap_t *map;

	memset(res, 0, sizeof(*res));
	if (size == 0 || too_big(size, res))
		return size == 0 ? 0 : -1;
	map = cl_fmap_open_memory(data, (size_t)size);
	if (!map) {
		res->error = xstrdup("ClamAV cannot map the data");
		return -1;
	}
	return scan_map(av, map, name, res);
}

/* A real descriptor: libclamav maps it itself and can drop and re-read
 * pages, which the callback maps of av_scan() cannot. */
static int scan_fd(const struct av *av, int fd, uint64_t size, const char *name,
		   struct cl_scan_options *opts, struct av_result *res)
{
	const char *virname = NULL;
	unsigned long scanned = 0;

	memset(res, 0, sizeof(*res));
	if (size == 0 || too_big(size, res))
		return size == 0 ? 0 : -1;
	return scan_done(cl_scandesc_callback(fd, name, &virname, &scanned, av->engine, opts, res),
			 virname, res);
}

int av_scan_fd(const struct av *av, int fd, uint64_t size, const char *name,
	       struct av_result *res)
{
	struct cl_scan_options opts;

	scan_options(&opts);
	return scan_fd(av, fd, size, name, &opts, res);
}

int av_scan_fd_outer(const struct av *av, int fd, uint64_t size, const char *name,
		     struct av_result *res)
{
	/* The bytes as they are: no archive or document parser, so a match is
	 * on the container itself (its hash), never on what it holds. */
	struct cl_scan_options opts = { .general = CL_SCAN_GENERAL_ALLMATCHES };

	return scan_fd(av, fd, size, name, &opts, res);
}

void av_result_release(struct av_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		free(res->m[i].name);
	free(res->m);
	free(res->error);
	free(res->engine_error);
	memset(res, 0, sizeof(*res));
}

const char *av_match_kind_name(enum av_match_kind k)
{
	switch (k) {
	case AV_DETECTION: return "detection";
	case AV_LIMIT: return "limit";
	case AV_ENCRYPTED: return "encrypted";
	case AV_MACROS: return "macros";
	}
	return "unknown";
}
