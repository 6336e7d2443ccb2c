/* What a campaign needs of every manifest row, checked before anything
 * runs or is submitted: a fleet of a thousand machines should not learn
 * on node 612, hours in, that one image path had a typo. Every problem of
 * every row is collected, one line each; nothing is printed. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <kenshu/core.h>
#include <kenshu/profile.h>
#include <kenshu/drift.h>
#include <kenshu/output.h>
#include <kenshu/fleet.h>
#include <kenshu/banned.h>

struct problems {
	char **v;
	size_t n, cap;
};

static void add(struct problems *p, const char *name, unsigned line, const char *fmt, ...) KS_PRINTF(4, 5);

/* "NAME:LINE: problem", or "NAME: problem" for line 0. Newlines in
 * messages from below become spaces: each problem is one line. */
static void add(struct problems *p, const char *name, unsigned line, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (line)
		strbuf_addf(&sb, "%s:%u: ", name, line);
	else
		strbuf_addf(&sb, "%s: ", name);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\n' || sb.buf[i] == '\r')
			sb.buf[i] = ' ';
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 8;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n++] = strbuf_detach(&sb, NULL);
}

/* A block device is an image too: image_raw.c reads one as it reads a
 * file (a disk pulled from a machine, attached read-only). */
static void check_image(struct problems *p, const char *name, const struct fleet_row *r)
{
	struct stat st;
	int fd;

	if (stat(r->image_path, &st) < 0) {
		if (errno == ENOENT)
			add(p, name, r->line, "image '%s': no such file", r->image_path);
		else
			add(p, name, r->line, "image '%s': %s", r->image_path, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		add(p, name, r->line, "image '%s': a directory, not an image file", r->image_path);
		return;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		add(p, name, r->line, "image '%s': not a regular file or a block device", r->image_path);
		return;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		add(p, name, r->line, "image '%s': an empty file", r->image_path);
		return;
	}
	/* O_NONBLOCK: what was a file at stat() may be a FIFO now. */
	fd = open(r->image_path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		add(p, name, r->line, "image '%s': cannot open: %s", r->image_path, strerror(errno));
		return;
	}
	close(fd);
}

struct key_state {
	bool tried;
	struct sign_key *key;
};

static void check_baseline(struct problems *p, const struct fleet_manifest *m, const struct fleet_row *r,
			   const char *baseline_pub, struct key_state *ks)
{
	struct stat st;
	struct snapshot *s = NULL;
	struct ks_err err;

	if (stat(r->baseline, &st) < 0) {
		if (errno == ENOENT)
			add(p, m->name, r->line, "baseline '%s': no such directory", r->baseline);
		else
			add(p, m->name, r->line, "baseline '%s': %s", r->baseline, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		add(p, m->name, r->line, "baseline '%s': not a directory (a report directory is wanted)",
		    r->baseline);
		return;
	}
	if (snapshot_load(r->baseline, &s, &err) < 0)
		add(p, m->name, r->line, "baseline: %s", err.msg);
	snapshot_free(s);
	if (!baseline_pub)
		return;
	if (!ks->tried) {
		ks->tried = true;
		/* Once, not per row: it is the campaign's key, not a row's. */
		if (sign_key_load_public(baseline_pub, &ks->key, &err) < 0)
			add(p, m->name, 0, "the baselines' public key: %s", err.msg);
	}
	if (!ks->key)
		return;
	struct sign_check c;
	memset(&c, 0, sizeof(c));
	if (sign_verify_dir(r->baseline, ks->key, baseline_pub, &c) < 0) {
		if (c.nfailures > 1)
			add(p, m->name, r->line, "baseline '%s': signature: %s (and %zu more)", r->baseline,
			    c.failures[0], c.nfailures - 1);
		else
			add(p, m->name, r->line, "baseline '%s': signature: %s", r->baseline,
			    c.nfailures ? c.failures[0] : "does not verify");
	}
	sign_check_release(&c);
}

/* Every profile named is loaded once, however many rows name it: a
 * profile's includes and IOC feeds may be large. */
struct profile_seen {
	char *name;
	char *msg;          /* why profile_load() refused it, NULL: it loads */
	unsigned line;      /* the first row that named it */
};

struct profile_cache {
	struct profile_seen *v;
	size_t n, cap;
};

static const struct profile_seen *profile_lookup(struct profile_cache *pc, const char *name, unsigned line,
						 bool *first)
{
	for (size_t i = 0; i < pc->n; i++)
		if (strcmp(pc->v[i].name, name) == 0) {
			*first = false;
			return &pc->v[i];
		}
	if (pc->n == pc->cap) {
		pc->cap = pc->cap ? 2 * pc->cap : 8;
		pc->v = xrealloc(pc->v, pc->cap * sizeof(*pc->v));
	}
	struct profile_seen *s = &pc->v[pc->n++];
	struct profile *pr = NULL;
	struct ks_err err;
	s->name = xstrdup(name);
	s->line = line;
	s->msg = profile_load(name, &pr, &err) < 0 ? xstrdup(err.msg) : NULL;
	profile_free(pr);
	*first = true;
	return s;
}

size_t fleet_manifest_check(const struct fleet_manifest *m, const char *default_profile,
			    const char *baseline_pub, char ***problems)
{
	struct problems p = { 0 };
	struct profile_cache pc = { 0 };
	struct key_state ks = { 0 };

	for (size_t i = 0; i < m->nrows; i++) {
		const struct fleet_row *r = &m->rows[i];

		check_image(&p, m->name, r);
		if (r->baseline)
			check_baseline(&p, m, r, baseline_pub, &ks);
		const char *prof = r->profile ? r->profile : default_profile;
		if (prof) {
			bool first;
			const struct profile_seen *s = profile_lookup(&pc, prof, r->line, &first);
			if (s->msg && first)
				add(&p, m->name, r->line, "profile%s: %s", r->profile ? "" : " (the campaign's)",
				    s->msg);
			else if (s->msg)
				add(&p, m->name, r->line, "profile '%s'%s: refused, as on line %u", prof,
				    r->profile ? "" : " (the campaign's)", s->line);
		}
	}
	for (size_t i = 0; i < pc.n; i++) {
		free(pc.v[i].name);
		free(pc.v[i].msg);
	}
	free(pc.v);
	sign_key_free(ks.key);
	*problems = p.v;
	return p.n;
}
