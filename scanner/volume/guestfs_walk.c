/* libguestfs, listing and reading: a volume mounted in the appliance is
 * listed once (names, streams, sizes) and read by every handle on it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <guestfs.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include "volume_internal.h"
#include <kenshu/banned.h>

#define PREAD_MAX (1u << 20)   /* guestfs messages are limited to a few MiB */
#define FIND_MAX (256ull << 20)
#define XATTR_ADS "user."      /* ntfs-3g's streams_interface=xattr namespace */

struct gfs {
	struct session *s;
	const struct vlist *v;  /* borrowed from s */
};

struct gstream {
	const struct gfs *fs;
	size_t id;          /* index into fs->v->e */
};

/* ---- listing a mounted volume ---- */

static void add_entry(struct vlist *v, const char *rel, const char *stream, uint64_t size,
		      unsigned flags)
{
	struct gentry *e;

	v->e = xrealloc(v->e, (v->n + 1) * sizeof(*v->e));
	e = &v->e[v->n++];
	e->path = xasprintf("/%s", rel);
	e->stream = xstrdup(stream);
	e->size = size;
	e->flags = flags;
	e->first = 0;
}

static void add_problem(struct vlist *v, const char *rel, char *why)
{
	struct gproblem *p;

	v->problems = xrealloc(v->problems, (v->nproblems + 1) * sizeof(*v->problems));
	p = &v->problems[v->nproblems++];
	p->path = xasprintf("/%s", rel);
	p->why = why;
}

/* An NTFS file's or directory's alternate data streams, from ntfs-3g's
 * user.* attributes. Returns 0, or -1 when they cannot be listed (one
 * stream over Linux's 64 KiB attribute limit fails the whole listing). */
static int list_streams(guestfs_h *g, struct vlist *v, const char *full, const char *rel,
			unsigned flags)
{
	struct guestfs_xattr_list *x = guestfs_lgetxattrs(g, full);
	const size_t pre = strlen(XATTR_ADS);

	if (!x)
		return -1;
	for (size_t i = 0; i < x->len; i++) {
		const char *name = x->val[i].attrname;
		if (!strncmp(name, XATTR_ADS, pre) && name[pre])
			add_entry(v, rel, name + pre, x->val[i].attrval_len, flags);
	}
	guestfs_free_xattr_list(x);
	return 0;
}

/* Bytes of rel before its last '/' (its directory), 0 at the top. */
static size_t parent_len(const char *rel)
{
	const char *s = strrchr(rel, '/');

	return s ? (size_t)(s - rel) : 0;
}

/* By directory, so that each directory's names are together. */
static int by_parent(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = parent_len(x), ly = parent_len(y);
	int c = memcmp(x, y, lx < ly ? lx : ly);

	if (c)
		return c;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x, y);
}

/* Adds n names of one directory (plen bytes of each) with their sizes,
 * and on NTFS their streams: one lstatnslist round trip for all of them
 * (one lstatns per name only if that fails), since a round trip costs
 * milliseconds with KVM and far more under TCG, and a hostile volume can
 * hold hundreds of thousands of names. */
static void stat_names(guestfs_h *g, struct vlist *v, const char *const *rel, size_t n, size_t plen)
{
	char dir[4200], full[4200];
	char **base = xcalloc(n + 1, sizeof(*base));
	struct guestfs_statns_list *sl;

	for (size_t k = 0; k < n; k++)
		base[k] = (char *)rel[k] + (plen ? plen + 1 : 0);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%.*s", v->mnt, (int)plen, rel[0]) >= sizeof(dir))
		sl = NULL;
	else
		sl = guestfs_lstatnslist(g, dir, base);
	if (sl && sl->len != n) {
		guestfs_free_statns_list(sl);
		sl = NULL;
	}
	for (size_t k = 0; k < n; k++) {
		struct guestfs_statns *sn, *one = NULL;
		unsigned type;

		if ((size_t)snprintf(full, sizeof(full), "%s/%s", v->mnt, rel[k]) >= sizeof(full)) {
			add_problem(v, rel[k], xasprintf("not read: its path is longer than libguestfs "
							 "is asked for (%zu bytes)", sizeof(full) - 1));
			continue;
		}
		sn = sl ? &sl->val[k] : (one = guestfs_lstatns(g, full));
		/* lstatnslist: st_ino -1 for a name that cannot be lstat'ed. */
		if (!sn || sn->st_ino == -1) {
			if (one)
				guestfs_free_statns(one);
			continue;
		}
		type = (unsigned)(sn->st_mode & S_IFMT);
		if (type == S_IFREG)
			add_entry(v, rel[k], "", (uint64_t)sn->st_size, 0);
		if (one)
			guestfs_free_statns(one);
		if (v->ntfs && (type == S_IFREG || type == S_IFDIR) &&
		    list_streams(g, v, full, rel[k], type == S_IFDIR ? FS_F_DIRECTORY : 0) < 0) {
			char eb[256];
			const char *e = gfs_last_error(g, eb, sizeof(eb));
			add_problem(v, rel[k], xasprintf("alternate data streams not read: libguestfs cannot "
							 "list them (%s)", e));
		}
	}
	if (sl)
		guestfs_free_statns_list(sl);
	free(base);
}

#define LSTAT_BATCH 1000 /* names per lstatnslist: well inside a guestfs message */

/* Lists every regular file of the mounted volume (find0 writes them to a
 * local file, NUL-separated) with its size, and on NTFS every alternate
 * data stream. */
static int list_files(guestfs_h *g, struct vlist *v, struct ks_err *err)
{
	char tmp[] = "/tmp/kenshu-guestfs-XXXXXX";
	int fd = mkstemp(tmp);
	struct stat st;
	char *buf = NULL;
	const char **names = NULL;
	size_t nn = 0, cap = 0;
	int rc = -1;

	if (fd < 0) {
		ks_fail(err, KS_EIO, "cannot create a temporary file: %s", strerror(errno));
		return -1;
	}
	cleanup_add(tmp, false);
	if (guestfs_find0(g, v->mnt, tmp) < 0) {
		char eb[256];
		const char *e = gfs_last_error(g, eb, sizeof(eb));
		ks_fail(err, KS_EINPUT, "cannot list the volume's files: %s", e);
		goto out;
	}
	errno = 0;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > FIND_MAX) {
		ks_fail(err, KS_EIO, "cannot list the volume's files: %s",
			 errno ? strerror(errno) : "listing too large");
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		ks_fail(err, KS_EIO, "cannot read the file list: %s", strerror(errno));
		goto out;
	}
	buf[st.st_size] = '\0';
	for (char *p = buf; p < buf + st.st_size; p += strlen(p) + 1) {
		/* find0 names are relative to the directory; some versions
		 * start them with '/'. */
		const char *rel = p + strspn(p, "/");
		if (!*rel)
			continue;
		if (nn == cap) {
			cap = cap ? 2 * cap : 256;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[nn++] = rel;
	}
	if (nn > 1)
		qsort(names, nn, sizeof(*names), by_parent);
	for (size_t i = 0; i < nn;) {
		size_t plen = parent_len(names[i]), j = i + 1;

		while (j < nn && j - i < LSTAT_BATCH && parent_len(names[j]) == plen &&
		       !memcmp(names[j], names[i], plen))
			j++;
		stat_names(g, v, names + i, j - i, plen);
		i = j;
	}
	rc = 0;
out:
	free(names);
	free(buf);
	close(fd);
	unlink(tmp);
	cleanup_forget(tmp);
	return rc;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct gentry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : strcmp(x->stream, y->stream);
}

static int problem_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gproblem *)a)->path, ((const struct gproblem *)b)->path);
}

/* Mounts volume vol in the appliance and lists it; called with s->mu held. */
static struct vlist *vlist_make(struct session *s, const struct img_volume *vol, struct ks_err *err)
{
	struct vlist *v = xcalloc(1, sizeof(*v));
	guestfs_h *g = s->g;

	v->index = vol->index;
	if (vol->device[0])
		snprintf(v->dev, sizeof(v->dev), "%s", vol->device);
	else if (!strcmp(img_scheme(s->img), "none"))
		snprintf(v->dev, sizeof(v->dev), "/dev/sda");
	else
		snprintf(v->dev, sizeof(v->dev), "/dev/sda%u", vol->index);
	snprintf(v->mnt, sizeof(v->mnt), "/kenshu-vol%u", vol->index);
	/* Before mounting: ntfslabel, which vfs_label runs for NTFS, refuses
	 * a volume ntfs-3g has open. */
	char *label = guestfs_vfs_label(g, v->dev), *type = guestfs_vfs_type(g, v->dev);
	snprintf(v->label, sizeof(v->label), "%s", label ? label : "");
	snprintf(v->version, sizeof(v->version), "%s", type ? type : "");
	v->ntfs = type && !strcmp(type, "ntfs");
	free(label);
	free(type);
	if (guestfs_mkmountpoint(g, v->mnt) < 0 || guestfs_mount_ro(g, v->dev, v->mnt) < 0) {
		char eb[256];
		const char *e = gfs_last_error(g, eb, sizeof(eb));
		ks_fail(err, KS_EINPUT, "libguestfs cannot mount %s read-only: %s", v->dev, e);
		/* A failed mount leaves the mount point: rmmountpoint lets a
		 * later handle try again cleanly. */
		guestfs_rmmountpoint(g, v->mnt);
		gfs_vlist_free(v);
		return NULL;
	}
	if (list_files(g, v, err) < 0) {
		/* Not kept, so nothing would ever unmount it, and the next
		 * handle's mkmountpoint would fail on the mount point. */
		guestfs_umount(g, v->mnt);
		guestfs_rmmountpoint(g, v->mnt);
		gfs_vlist_free(v);
		return NULL;
	}
	/* Sorted, as the NTFS walk is: a deterministic report. A file's data
	 * comes before its ADS ("" sorts first), and all share one id. */
	if (v->n > 1)
		qsort(v->e, v->n, sizeof(*v->e), entry_cmp);
	if (v->nproblems > 1)
		qsort(v->problems, v->nproblems, sizeof(*v->problems), problem_cmp);
	for (size_t i = 0; i < v->n; i++)
		v->e[i].first = i && !strcmp(v->e[i].path, v->e[i - 1].path) ? v->e[i - 1].first : i;
	return v;
}

static int gfs_open(struct img *img, const struct img_volume *vol, void **out, struct ks_err *err)
{
	struct gfs *f = xcalloc(1, sizeof(*f));
	struct vlist *v = NULL;

	f->s = gfs_session_get(img, err);
	if (!f->s) {
		free(f);
		return -1;
	}
	/* The first handle of a volume mounts and lists it; later ones (the
	 * workers', autoruns') share that listing. */
	pthread_mutex_lock(&f->s->mu);
	for (size_t i = 0; i < f->s->nlists && !v; i++)
		if (f->s->lists[i]->index == vol->index)
			v = f->s->lists[i];
	if (!v) {
		v = vlist_make(f->s, vol, err);
		if (v) {
			f->s->lists = xrealloc(f->s->lists, (f->s->nlists + 1) * sizeof(*f->s->lists));
			f->s->lists[f->s->nlists++] = v;
		}
	}
	pthread_mutex_unlock(&f->s->mu);
	if (!v) {
		gfs_session_put(f->s);
		free(f);
		return -1;
	}
	f->v = v;
	*out = f;
	return 0;
}

static void gfs_close(void *p)
{
	struct gfs *f = p;

	if (!f)
		return;
	gfs_session_put(f->s);
	free(f);
}

static const char *gfs_label(const void *p) { return ((const struct gfs *)p)->v->label; }
static const char *gfs_version(const void *p) { return ((const struct gfs *)p)->v->version; }
static bool gfs_dirty(const void *p) { return false; }
static const char *gfs_reader(const void *p) { return ((const struct gfs *)p)->s->reader; }

static int gfs_walk(void *p, fs_walk_fn fn, void *ctx, struct ks_err *err)
{
	const struct vlist *v = ((struct gfs *)p)->v;
	size_t k = 0;

	/* Problems are reported in path order among the streams. */
	for (size_t i = 0; i <= v->n; i++) {
		for (; k < v->nproblems && (i == v->n || strcmp(v->problems[k].path, v->e[i].path) <= 0); k++) {
			struct fs_entry pe = {
				.kind = FS_ENTRY_PROBLEM, .path = v->problems[k].path, .stream = "",
				.problem = v->problems[k].why,
			};
			int rc = fn(ctx, &pe);
			if (rc)
				return rc;
		}
		if (i == v->n)
			break;
		const struct gentry *g = &v->e[i];
		struct fs_entry e = {
			.kind = FS_ENTRY_STREAM, .path = g->path, .stream = g->stream, .id = g->first,
			.stream_key = g->stream, .stream_key_len = strlen(g->stream), .size = g->size,
			.flags = g->flags,
		};
		int rc = fn(ctx, &e);
		if (rc)
			return rc;
	}
	return 0;
}

static int gfs_lookup(void *p, const char *path, uint64_t *id)
{
	const struct vlist *v = ((struct gfs *)p)->v;

	/* Names are matched case-insensitively, as Windows does. */
	for (size_t i = 0; i < v->n; i++)
		if (!v->e[i].stream[0] && !strcasecmp(v->e[i].path, path)) {
			*id = i;
			return 1;
		}
	return 0;
}

static int gfs_stream_open(void *p, uint64_t id, const void *key, size_t key_len, void **out,
			   struct ks_err *err)
{
	const struct gfs *f = p;
	const struct vlist *v = f->v;
	struct gstream *s;

	/* id is the path's first entry; key names the stream ("" or none:
	 * the file's data). */
	for (size_t i = (size_t)id; id < v->n && i < v->n && v->e[i].first == id; i++) {
		const char *name = v->e[i].stream;
		if (strlen(name) != key_len || (key_len && memcmp(name, key, key_len)))
			continue;
		s = xmalloc(sizeof(*s));
		s->fs = f;
		s->id = i;
		*out = s;
		return 0;
	}
	ks_fail(err, KS_EINPUT, "no such file or stream");
	return -1;
}

/* An ADS is one extended attribute, read whole (64 KiB at most). */
static int64_t ads_pread(const struct gfs *f, const struct gentry *e, void *buf, size_t n, uint64_t off)
{
	char full[4200], name[600];
	size_t got = 0;
	char *data;

	snprintf(full, sizeof(full), "%s%s", f->v->mnt, e->path);
	snprintf(name, sizeof(name), XATTR_ADS "%s", e->stream);
	pthread_mutex_lock(&f->s->mu);
	data = guestfs_lgetxattr(f->s->g, full, name, &got);
	pthread_mutex_unlock(&f->s->mu);
	if (!data) {
		errno = EIO;
		return -1;
	}
	if (off >= got) {
		free(data);
		return 0;
	}
	if (n > got - off)
		n = (size_t)(got - off);
	memcpy(buf, data + off, n);
	free(data);
	return (int64_t)n;
}

static int64_t gfs_stream_pread(void *p, void *buf, size_t n, uint64_t off)
{
	struct gstream *s = p;
	const struct gfs *f = s->fs;
	const struct gentry *e = &f->v->e[s->id];
	char full[4200];
	size_t done = 0;

	if (off >= e->size)
		return 0;
	if (n > e->size - off)
		n = (size_t)(e->size - off);
	if (e->stream[0])
		return ads_pread(f, e, buf, n, off);
	snprintf(full, sizeof(full), "%s%s", f->v->mnt, e->path);
	pthread_mutex_lock(&f->s->mu);
	while (done < n) {
		size_t want = n - done < PREAD_MAX ? n - done : PREAD_MAX, got = 0;
		char *data = guestfs_pread(f->s->g, full, (int)want, (int64_t)(off + done), &got);
		if (!data) {
			pthread_mutex_unlock(&f->s->mu);
			errno = EIO;
			return -1;
		}
		memcpy((char *)buf + done, data, got);
		free(data);
		if (!got)
			break;
		done += got;
	}
	pthread_mutex_unlock(&f->s->mu);
	return (int64_t)done;
}

static uint64_t gfs_stream_size(const void *p)
{
	const struct gstream *s = p;
	return s->fs->v->e[s->id].size;
}

static void gfs_stream_close(void *p)
{
	free(p);
}

#define GUESTFS_BACKEND(var, fsname)                                                            \
	const struct fs_backend var = {                                                         \
		.name = fsname, .general = true, .open = gfs_open, .close = gfs_close, .label = gfs_label,      \
		.version = gfs_version, .reader = gfs_reader, .dirty = gfs_dirty,              \
		.walk = gfs_walk,                                                              \
		.lookup = gfs_lookup, .stream_open = gfs_stream_open,                          \
		.stream_pread = gfs_stream_pread, .stream_size = gfs_stream_size,              \
		.stream_close = gfs_stream_close,                                              \
	}

GUESTFS_BACKEND(fs_backend_fat, "fat");
GUESTFS_BACKEND(fs_backend_exfat, "exfat");
/* Any file system the appliance mounts, for volumes only it can assemble. */
GUESTFS_BACKEND(fs_backend_guestfs, "guestfs");

