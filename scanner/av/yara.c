/* libyara 4.2: the profile's rule sets, compiled once per process, and one
 * scanner per set and worker thread over the buffer libclamav scans. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <yara.h>

#include <kenshu/av.h>
#include <kenshu/core.h>
#include "av_internal.h"
#include <kenshu/banned.h>

struct yset {
	struct yara_set info;
	char *root;            /* real path of the directory includes must stay in */
	char **texts;          /* each file's bytes, for yara_rule_text */
	YR_RULES *rules;
};

struct yara {
	struct yset *sets;
	size_t n;
};

struct yara_scanner {
	const struct yara *y;
	YR_SCANNER **sc;       /* one per set */
	unsigned timeout;      /* seconds per stream and set */
};

/* What the compiler callbacks of one file see. */
struct cctx {
	struct yara_diags *d;
	const char *root;      /* NULL: every include is refused */
	const char *refused;   /* why the last include was refused */
	char *refused_name;
	const char *text;      /* the file being compiled, for errors at its end */
	size_t len;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

/* libyara's modules keep process-wide state: initialise once, and leave it
 * for the process's end (workers of a later image reuse it). */
static void init_yara(void)
{
	init_rc = yr_initialize();
}

static int yara_init(struct ks_err *err)
{
	pthread_once(&init_once, init_yara);
	if (init_rc != ERROR_SUCCESS)
		return ks_fail(err, KS_EIO, "libyara: cannot initialise (error %d)", init_rc);
	return 0;
}

static void diag(struct yara_diags *d, const char *fmt, ...) KS_PRINTF(2, 3);
static void diag(struct yara_diags *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (d->n > YARA_MAX_DIAGS)
		return;
	if (d->n == YARA_MAX_DIAGS) {
		s = xasprintf("(more than %u compile errors: the list stops here)", YARA_MAX_DIAGS);
	} else {
		va_start(ap, fmt);
		if (vasprintf(&s, fmt, ap) < 0)
			BUG("out of memory");
		va_end(ap);
	}
	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	d->v[d->n++] = s;
}

void yara_diags_release(struct yara_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

static void on_compile(int level, const char *file, int line, const YR_RULE *rule, const char *msg, void *user)
{
	struct cctx *c = user;

	if (level != YARA_ERROR_LEVEL_ERROR)
		return;   /* warnings ("may slow down scanning") do not refuse a set */
	if (line <= 0 && c->text) {
		/* libyara says line 0 when the text ends inside a rule: that is
		 * its last line. */
		line = 1;
		for (size_t i = 0; i + 1 < c->len; i++)
			line += c->text[i] == '\n';
	}
	if (c->refused && strstr(msg, "include")) {
		diag(c->d, "%s:%d: include \"%s\" refused: %s", file ? file : "(rules)", line,
		     c->refused_name ? c->refused_name : "", c->refused);
		c->refused = NULL;
		return;
	}
	diag(c->d, "%s:%d: %s", file ? file : "(rules)", line, msg);
}

int yara_include_resolve(const char *dir, const char *name, char **resolved, const char **why)
{
	char real_dir[PATH_MAX], real[PATH_MAX];
	size_t dl;

	*resolved = NULL;
	if (!*name) {
		*why = "empty include name";
		return -1;
	}
	if (name[0] == '/') {
		*why = "an absolute path: includes must stay in the rule file's directory";
		return -1;
	}
	if (!realpath(dir, real_dir)) {
		*why = "the rule directory cannot be resolved";
		return -1;
	}
	char *joined = xasprintf("%s/%s", real_dir, name);
	bool ok = realpath(joined, real) != NULL;
	free(joined);
	if (!ok) {
		*why = "no such file";
		return -1;
	}
	dl = strlen(real_dir);
	/* Both sides resolved: '..' and symbolic links are judged by where they
	 * lead, not by how they are spelt. */
	if (strncmp(real, real_dir, dl) != 0 || (real[dl] != '/' && !(dl == 1 && real_dir[0] == '/'))) {
		*why = "outside the rule file's directory";
		return -1;
	}
	*resolved = xstrdup(real);
	return 0;
}

static const char *on_include(const char *name, const char *calling, const char *ns, void *user)
{
	struct cctx *c = user;
	char *path = NULL, *buf = NULL;
	size_t len;
	int e;

	free(c->refused_name);
	c->refused_name = xstrdup(name);
	if (!c->root) {
		c->refused = "includes are not allowed here";
		return NULL;
	}
	if (yara_include_resolve(c->root, name, &path, &c->refused) < 0)
		return NULL;
	switch (hostfile_read(path, 0, YARA_MAX_RULE_FILE, &buf, &len, &e)) {
	case HOSTFILE_OK:
		c->refused = NULL;
		free(path);
		return buf;
	case HOSTFILE_NOT_REGULAR:
		c->refused = "not a regular file";
		break;
	case HOSTFILE_TOO_LARGE:
		c->refused = "larger than 64 MiB";
		break;
	default:
		c->refused = "cannot be read";
		break;
	}
	free(path);
	return NULL;
}

static void include_free(const char *p, void *user)
{
	free((void *)p);
}

static YR_COMPILER *new_compiler(struct cctx *c)
{
	YR_COMPILER *cc = NULL;

	if (yr_compiler_create(&cc) != ERROR_SUCCESS)
		BUG("libyara: cannot create a compiler");
	yr_compiler_set_callback(cc, on_compile, c);
	yr_compiler_set_include_callback(cc, on_include, include_free, c);
	return cc;
}

/* One file of text into cc under its name; returns its error count. */
static int add_text(YR_COMPILER *cc, struct cctx *c, const char *name, const char *text, size_t len)
{
	FILE *f;
	int n;

	if (len == 0)
		return 0;   /* no rules; fmemopen cannot open an empty buffer */
	c->text = text;
	c->len = len;
	/* From the bytes already read (and hashed): the file is not opened twice. */
	f = fmemopen((void *)text, len, "r");
	if (!f)
		BUG("fmemopen: %s", strerror(errno));
	n = yr_compiler_add_file(cc, f, NULL, name);
	fclose(f);
	c->text = NULL;
	return n;
}

int yara_check_text(const char *name, const char *text, size_t len, struct yara_diags *d)
{
	struct cctx c = { .d = d };
	struct ks_err err;
	YR_COMPILER *cc;
	int n;

	if (yara_init(&err) < 0) {
		diag(d, "%s", err.msg);
		return -1;
	}
	if (memchr(text, 0, len)) {
		diag(d, "%s: not a text file (NUL byte)", name);
		return -1;
	}
	cc = new_compiler(&c);
	n = add_text(cc, &c, name, text, len);
	yr_compiler_destroy(cc);
	free(c.refused_name);
	return n ? -1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_rule_ext(const char *n)
{
	size_t l = strlen(n);
	return (l > 4 && !strcmp(n + l - 4, ".yar")) || (l > 5 && !strcmp(n + l - 5, ".yara"));
}

/* The files of one entry: itself, or a directory's rule files sorted. */
static int list_files(struct yset *s, struct yara_diags *d)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	char real[PATH_MAX];

	if (stat(s->info.path, &st) < 0) {
		diag(d, "%s: cannot read YARA rules: %s", s->info.path, strerror(errno));
		return -1;
	}
	if (!realpath(s->info.path, real)) {
		diag(d, "%s: cannot resolve: %s", s->info.path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		s->info.files = xmalloc(sizeof(*s->info.files));
		s->info.files[s->info.nfiles++] = xstrdup(s->info.path);
		char *slash = strrchr(real, '/');
		s->root = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));
		return 0;
	}
	s->root = xstrdup(real);
	if (!(dir = opendir(s->info.path))) {
		diag(d, "%s: cannot open YARA rule directory: %s", s->info.path, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !has_rule_ext(de->d_name))
			continue;
		s->info.files = xrealloc(s->info.files, (s->info.nfiles + 1) * sizeof(*s->info.files));
		s->info.files[s->info.nfiles++] = xasprintf("%s/%s", s->info.path, de->d_name);
	}
	closedir(dir);
	if (s->info.nfiles > 1)
		qsort(s->info.files, s->info.nfiles, sizeof(*s->info.files), cmp_str);
	if (s->info.nfiles == 0) {
		diag(d, "%s: no YARA rule files (*.yar, *.yara) in this directory", s->info.path);
		return -1;
	}
	return 0;
}

static int compile_set(struct yset *s, struct yara_diags *d)
{
	struct cctx c = { .d = d, .root = NULL };
	struct sha256 *h = sha256_new();
	YR_COMPILER *cc;
	size_t before = d->n;
	bool failed = false;

	if (list_files(s, d) < 0) {
		sha256_free(h);
		return -1;
	}
	c.root = s->root;
	cc = new_compiler(&c);
	s->texts = xcalloc(s->info.nfiles, sizeof(*s->texts));
	for (size_t i = 0; i < s->info.nfiles; i++) {
		const char *f = s->info.files[i];
		size_t len = 0;
		int e;

		switch (hostfile_read(f, 0, YARA_MAX_RULE_FILE, &s->texts[i], &len, &e)) {
		case HOSTFILE_OK:
			break;
		case HOSTFILE_TOO_LARGE:
			diag(d, "%s: larger than 64 MiB: not a rule file", f);
			failed = true;
			continue;
		case HOSTFILE_NOT_REGULAR:
			diag(d, "%s: not a regular file", f);
			failed = true;
			continue;
		default:
			diag(d, "%s: cannot read: %s", f, strerror(e));
			failed = true;
			continue;
		}
		sha256_update(h, s->texts[i], len);
		if (memchr(s->texts[i], 0, len)) {
			diag(d, "%s: not a text file (NUL byte)", f);
			failed = true;
			continue;
		}
		if (add_text(cc, &c, f, s->texts[i], len)) {
			/* libyara refuses more input into a compiler that failed:
			 * the remaining files get compilers of their own, so that
			 * every file's errors are reported. */
			yr_compiler_destroy(cc);
			cc = new_compiler(&c);
			failed = true;
		}
	}
	sha256_final_hex(h, s->info.sha256);
	sha256_free(h);
	if (!failed && yr_compiler_get_rules(cc, &s->rules) != ERROR_SUCCESS) {
		diag(d, "%s: libyara cannot build the compiled rules", s->info.path);
		failed = true;
	}
	yr_compiler_destroy(cc);
	free(c.refused_name);
	if (failed || d->n > before)
		return -1;
	YR_RULE *r;
	yr_rules_foreach(s->rules, r)
		s->info.rules++;
	return 0;
}

int yara_load(const char *const *paths, size_t n, struct yara **out, struct yara_diags *d,
	      struct ks_err *err)
{
	struct yara *y = xcalloc(1, sizeof(*y));
	bool failed = false;

	*out = NULL;
	if (yara_init(err) < 0) {
		diag(d, "%s", err->msg);
		free(y);
		return -1;
	}
	y->sets = xcalloc(n ? n : 1, sizeof(*y->sets));
	for (size_t i = 0; i < n; i++) {
		y->sets[y->n].info.path = xstrdup(paths[i]);
		if (compile_set(&y->sets[y->n++], d) < 0)
			failed = true;
	}
	if (failed) {
		ks_fail(err, KS_EINPUT, "%s", d->n ? d->v[0] : "YARA rules do not compile");
		yara_free(y);
		return -1;
	}
	*out = y;
	return 0;
}

void yara_free(struct yara *y)
{
	if (!y)
		return;
	for (size_t i = 0; i < y->n; i++) {
		struct yset *s = &y->sets[i];
		for (size_t k = 0; k < s->info.nfiles; k++) {
			free(s->info.files[k]);
			free(s->texts ? s->texts[k] : NULL);
		}
		free(s->info.files);
		free(s->texts);
		free(s->info.path);
		free(s->root);
		if (s->rules)
			yr_rules_destroy(s->rules);
	}
	free(y->sets);
	free(y);
}

const char *yara_version(void) { return YR_VERSION; }
size_t yara_set_count(const struct yara *y) { return y ? y->n : 0; }
const struct yara_set *yara_set(const struct yara *y, size_t i) { return y && i < y->n ? &y->sets[i].info : NULL; }

char *yara_rule_text(const struct yara *y, size_t set, const char *rule)
{
	if (!y || set >= y->n)
		return NULL;
	for (size_t i = 0; i < y->sets[set].info.nfiles; i++) {
		char *t = yara_find_rule_text(y->sets[set].texts[i], rule);
		if (t)
			return t;
	}
	return NULL;
}

/* ---- scanning ---- */

struct yara_scanner *yara_scanner_new(const struct yara *y, unsigned timeout_s)
{
	struct yara_scanner *s;

	if (!y)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->y = y;
	s->timeout = timeout_s;
	s->sc = xcalloc(y->n ? y->n : 1, sizeof(*s->sc));
	for (size_t i = 0; i < y->n; i++) {
		if (yr_scanner_create(y->sets[i].rules, &s->sc[i]) != ERROR_SUCCESS)
			BUG("libyara: cannot create a scanner");
		yr_scanner_set_timeout(s->sc[i], (int)timeout_s);
		yr_scanner_set_flags(s->sc[i], SCAN_FLAGS_REPORT_RULES_MATCHING);
	}
	return s;
}

void yara_scanner_free(struct yara_scanner *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->y->n; i++)
		if (s->sc[i])
			yr_scanner_destroy(s->sc[i]);
	free(s->sc);
	free(s);
}

struct mctx {
	struct yara_result *res;
	size_t set;
};

static const char *meta_str(const YR_RULE *r, const char *id)
{
	const YR_META *m;

	yr_rule_metas_foreach(r, m)
		if (m->type == META_TYPE_STRING && m->identifier && !strcmp(m->identifier, id))
			return m->string;
	return NULL;
}

static int on_scan(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
	struct mctx *c = user;
	const YR_RULE *r = data;
	struct yara_match *m;
	struct strbuf tags = STRBUF_INIT;
	const char *tag;
	const char *sev;

	if (message != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	c->res->m = xrealloc(c->res->m, (c->res->n + 1) * sizeof(*c->res->m));
	m = &c->res->m[c->res->n++];
	memset(m, 0, sizeof(*m));
	m->set = c->set;
	m->rule = xstrdup(r->identifier);
	yr_rule_tags_foreach(r, tag) {
		if (tags.len)
			strbuf_addch(&tags, ' ');
		strbuf_addstr(&tags, tag);
	}
	m->tags = strbuf_detach(&tags, NULL);
	m->author = xstrdup_or_null(meta_str(r, "author"));
	m->reference = xstrdup_or_null(meta_str(r, "reference"));
	m->date = xstrdup_or_null(meta_str(r, "date"));
	sev = meta_str(r, "severity");
	m->meta_fail = sev && !strcasecmp(sev, "fail");
	return CALLBACK_CONTINUE;
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void yara_scan_mem(struct yara_scanner *s, const void *data, size_t n, struct yara_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!s)
		return;
	res->seconds = xcalloc(s->y->n ? s->y->n : 1, sizeof(*res->seconds));
	for (size_t i = 0; i < s->y->n; i++) {
		struct mctx c = { res, i };
		double t0 = mono();
		int rc;

		yr_scanner_set_callback(s->sc[i], on_scan, &c);
		rc = yr_scanner_scan_mem(s->sc[i], n ? data : (const uint8_t *)"", n);
		res->seconds[i] = mono() - t0;
		if (rc == ERROR_SUCCESS || res->incomplete)
			continue;
		if (rc == ERROR_SCAN_TIMEOUT) {
			res->timed_out = true;
			res->timed_out_set = i;
			res->incomplete = xasprintf("not fully scanned: YARA timed out after %u s (rule set %s)",
						    s->timeout, s->y->sets[i].info.path);
		} else
			res->incomplete = xasprintf("not fully scanned: YARA error %d (rule set %s)", rc,
						    s->y->sets[i].info.path);
	}
}

void yara_result_release(struct yara_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		free(res->m[i].rule);
		free(res->m[i].tags);
		free(res->m[i].author);
		free(res->m[i].reference);
		free(res->m[i].date);
	}
	free(res->m);
	free(res->incomplete);
	free(res->seconds);
	memset(res, 0, sizeof(*res));
}
