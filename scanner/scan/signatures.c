/* The trust context of one scan: the anchors every signature is judged
 * against, and the image's own catalogs, which vouch for most Windows
 * system files (they carry no embedded signature).
 *
 * Catalogs are read before the workers start, so that each worker can
 * judge an unsigned PE the moment it has hashed it: the PE files are read
 * once, the catalogs (a few MB) twice. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/scan.h>
#include <kenshu/trust.h>
#include <kenshu/volume.h>
#include "scan_internal.h"
#include <kenshu/banned.h>

/* Larger than any catalog Windows ships (the biggest are a few MB). */
#define CATALOG_READ_MAX (64ull << 20)

/* The catalog store of the "driver action" policy, the one WinVerifyTrust
 * consults for system files and drivers. */
static const char catroot[] = "/system32/catroot/{f750e6c3-38ee-11d1-85e5-00c04fc295ee}/";

/* The time a signature without a valid timestamp must be valid at: now
 * when the scan judges as of today, else the end of the given day (the
 * rules judge "as of" that day). */
static time_t judge_time(const struct scan_date *day)
{
	time_t now = time(NULL);
	struct scan_date today;

	scan_date_of(now, &today);
	if (!strcmp(today.day, day->day))
		return now;
	return day->midnight + 86399;
}

struct trust_ctx *sigs_begin(const struct scan_opts *o, const struct scan_date *day, struct report *r,
			     struct ks_err *err)
{
	struct trust_anchors *a = NULL;
	struct trust_ctx *t;

	if (o->anchors_text) {
		if (trust_anchors_parse(o->anchors_text, o->anchors_len, o->anchors_name, &a, err) < 0)
			return NULL;
		r->trust.anchors_name = xstrdup(o->anchors_name);
	} else {
		if (trust_anchors_builtin(&a, err) < 0)
			return NULL;
		r->trust.anchors_name = xstrdup("shipped:trust/microsoft-root-program.pem");
	}
	snprintf(r->trust.anchors_sha256, sizeof(r->trust.anchors_sha256), "%s", trust_anchors_sha256(a));
	r->trust.anchors = trust_anchors_count(a);
	t = trust_ctx_new(a, judge_time(day));
	return t;
}

bool sigs_is_catalog(const char *path)
{
	size_t n = strlen(path), cl = sizeof(catroot) - 1;
	const char *p;

	if (n < 4 || strcasecmp(path + n - 4, ".cat"))
		return false;
	/* "<system root>/System32/CatRoot/{F750E6C3-...}/NAME.cat", NAME without '/' */
	for (p = path; (p = strchr(p, '/')); p++) {
		if (!strncasecmp(p, catroot, cl))
			return !strchr(p + cl, '/');
	}
	return false;
}

void sigs_add_catalog(struct trust_ctx *ctx, struct fs *fs, unsigned vol, const char *path,
		      struct rep_trust *t)
{
	struct rep_catalog *c;
	struct ks_err err;
	void *data = NULL;
	uint64_t size = 0;

	t->cats = xrealloc(t->cats, (t->ncats + 1) * sizeof(*t->cats));
	c = &t->cats[t->ncats++];
	memset(c, 0, sizeof(*c));
	c->volume = vol;
	c->path = xstrdup(path);
	if (!fs || fs_read_file(fs, path, CATALOG_READ_MAX, &data, &size, &err) < 0) {
		c->sig.status = SIG_ERROR;
		c->sig.reason = xstrdup(fs ? err.msg : "the volume is not open");
		return;
	}
	if (catalog_index_add(ctx, path, data, (size_t)size, &c->sig, &c->members, &err) < 0) {
		sig_result_release(&c->sig);
		c->sig.status = SIG_ERROR;
		c->sig.reason = xstrdup(err.msg);
	}
	free(data);
	t->catalog_members = catalog_index_members(trust_ctx_catalogs(ctx));
}

void sigs_tally(struct rep_trust *t, const struct sig_result *s)
{
	t->pe_checked++;
	if ((size_t)s->status < sizeof(t->by_status) / sizeof(t->by_status[0]))
		t->by_status[s->status]++;
}
