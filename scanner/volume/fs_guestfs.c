/* The general back end, through libguestfs: FAT and exFAT volumes (kenshu
 * has no reader of its own for them) and every volume inside a volume
 * manager (LVM logical volumes, Windows dynamic-disk volumes), whatever its
 * file system: such a volume need not be contiguous in the image, so no
 * reader at an offset can serve it; fs_discover_volumes() lists it.
 * libguestfs boots a small appliance VM that assembles (lvm, libldm) and
 * mounts the volume read-only; the image is attached read-only and nothing
 * is mounted on the host.
 *
 * One appliance per image, shared by the volume discovery, every volume and
 * every worker: it takes seconds to start (15-30 s under TCG), so fs_open()
 * of the second worker must not start another. A guestfs handle is not
 * thread-safe, so every call goes through the session's mutex.
 *
 * NTFS mounted in the appliance is read by ntfs-3g (FUSE), which shows a
 * file's alternate data streams as its "user.*" extended attributes; they
 * are listed and scanned from there (Linux caps an attribute at 64 KiB: a
 * larger stream is reported as not read, never dropped silently).
 *
 * KVM: when /dev/kvm cannot create a VM here, the appliance is started
 * with TCG (software emulation) from the start, and the volume's reader
 * says so in the report. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <guestfs.h>
#include <linux/kvm.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include <kenshu/report.h>
#include "volume_internal.h"
#include <kenshu/banned.h>

#define PREAD_MAX (1u << 20)   /* guestfs messages are limited to a few MiB */
#define FIND_MAX (256ull << 20)
#define XATTR_ADS "user."      /* ntfs-3g's streams_interface=xattr namespace */

/* One data stream of a mounted volume: a file's data, or an alternate data
 * stream of an NTFS file or directory. */
struct gentry {
	char *path;         /* relative to the mount point, starting with '/' */
	char *stream;       /* "" for the file's data, else the ADS name */
	uint64_t size;
	unsigned flags;     /* FS_F_DIRECTORY for a directory's ADS */
	size_t first;       /* index of the path's first entry: its file id */
};

/* A volume mounted in the appliance and listed once, for every handle the
 * walk and the workers open on it. Lives as long as its session. */
struct vlist {
	unsigned index;
	char dev[sizeof(((struct img_volume *)0)->device)];
	char mnt[32];
	char label[256];
	char version[32];
	bool ntfs;          /* mounted by ntfs-3g: ADS are its user.* xattrs */
	struct gentry *e;   /* sorted by path, then stream */
	size_t n;
	struct gproblem {   /* what could not be listed, for the walk to report */
		char *path, *why;
	} *problems;
	size_t nproblems;
};

struct session {
	struct img *img;
	guestfs_h *g;       /* NULL once the appliance failed to start */
	char failed[320];   /* why it failed: said again, never retried */
	pthread_mutex_t mu;
	unsigned refs;
	bool tcg;
	char reader[96];
	struct vlist **lists;
	size_t nlists;
};

/* Sessions by image; images are scanned one after another, so this stays
 * tiny. */
static struct session *sessions[8];
static pthread_mutex_t sessions_mu = PTHREAD_MUTEX_INITIALIZER;

struct gfs {
	struct session *s;
	const struct vlist *v;  /* borrowed from s */
};

struct gstream {
	const struct gfs *fs;
	size_t id;          /* index into fs->v->e */
};

/* Can this process create a KVM virtual machine? If not, the appliance
 * must use TCG: trying KVM first would fail after the appliance timeout. */
static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	bool ok = false;

	if (fd < 0)
		return false;
	if (ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION) {
		int vm = ioctl(fd, KVM_CREATE_VM, 0);
		if (vm >= 0) {
			/* A VM without a vCPU proves little: qemu also needs one. */
			int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
			ok = cpu >= 0;
			if (cpu >= 0)
				close(cpu);
			close(vm);
		}
	}
	close(fd);
	return ok;
}

/* qemu's name of the container format kenshu detected. */
static const char *qemu_format(const char *kenshu_format)
{
	static const struct {
		const char *kenshu, *qemu;
	} map[] = {
		{ "raw", "raw" }, { "vmdk", "vmdk" }, { "vhd", "vpc" }, { "vhdx", "vhdx" },
		{ "qcow2", "qcow2" }, { "qcow", "qcow" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].kenshu, kenshu_format))
			return map[i].qemu;
	return NULL;
}

/* libguestfs's last error as one report line: its first line (the rest is
 * advice on debugging, or a tool's further output) without the full stop. */
static const char *last_error(guestfs_h *g, char *buf, size_t n)
{
	const char *e = guestfs_last_error(g);
	size_t len;

	if (!e || !*e)
		return "no reason given";
	len = strcspn(e, "\n");
	while (len && (e[len - 1] == '.' || e[len - 1] == ' '))
		len--;
	snprintf(buf, n, "%.*s", (int)len, e);
	return buf;
}

static void vlist_free(struct vlist *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->e[i].path);
		free(v->e[i].stream);
	}
	free(v->e);
	for (size_t i = 0; i < v->nproblems; i++) {
		free(v->problems[i].path);
		free(v->problems[i].why);
	}
	free(v->problems);
	free(v);
}

static void session_free(struct session *s)
{
	if (s->g) {
		guestfs_shutdown(s->g);
		guestfs_close(s->g);
	}
	for (size_t i = 0; i < s->nlists; i++)
		vlist_free(s->lists[i]);
	free(s->lists);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* The image's session, started on first use. An appliance that failed to
 * start is not tried again for the same image (each try can take minutes
 * to time out): its reason is given to every later caller. */
static struct session *session_get(struct img *img, struct ks_err *err)
{
	struct session *s = NULL;
	const char *fmt = qemu_format(img_format(img));
	bool kept = false;

	pthread_mutex_lock(&sessions_mu);
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		if (sessions[i] && sessions[i]->img == img) {
			s = sessions[i];
			if (!s->g) {
				ks_fail(err, KS_EINPUT, "%s", s->failed);
				s = NULL;
			} else {
				s->refs++;
			}
			goto out;
		}
	if (!fmt) {
		ks_fail(err, KS_EINPUT, "libguestfs cannot read a '%s' container", img_format(img));
		goto out;
	}
	s = xcalloc(1, sizeof(*s));
	s->img = img;
	pthread_mutex_init(&s->mu, NULL);
	/* Kept in the table before it starts, so that a failure is kept too.
	 * When the table is full the session is used unshared. */
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]) && !kept; i++)
		if (!sessions[i]) {
			sessions[i] = s;
			kept = true;
		}
	s->g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
	if (!s->g) {
		snprintf(s->failed, sizeof(s->failed), "cannot create a libguestfs handle");
		goto fail;
	}
	/* Errors come back as values; libguestfs must not print them. */
	guestfs_set_error_handler(s->g, NULL, NULL);
	guestfs_parse_environment(s->g);
	s->tcg = !kvm_usable();
	if (s->tcg) {
		char *settings[] = { (char *)"force_tcg", NULL };
		guestfs_set_backend_settings(s->g, settings);
	}
	if (guestfs_add_drive_opts(s->g, img_path(img), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
				   GUESTFS_ADD_DRIVE_OPTS_FORMAT, fmt, -1) < 0 ||
	    guestfs_launch(s->g) < 0) {
		char eb[256];
		const char *e = last_error(s->g, eb, sizeof(eb));
		snprintf(s->failed, sizeof(s->failed), "libguestfs could not start its appliance%s: %s",
			 s->tcg ? " (TCG, KVM unusable)" : "", e);
		guestfs_close(s->g);
		s->g = NULL;
		goto fail;
	}
	snprintf(s->reader, sizeof(s->reader), "libguestfs appliance (%s), read-only",
		 s->tcg ? "TCG: KVM unusable here" : "KVM");
	s->refs = 1;
	goto out;
fail:
	ks_fail(err, KS_EINPUT, "%s", s->failed);
	if (!kept)
		session_free(s);
	s = NULL;
out:
	pthread_mutex_unlock(&sessions_mu);
	return s;
}

/* A session outlives its handles: the walk closes its handle before the
 * workers open theirs, and the appliance must not be started twice. It
 * ends with fs_guestfs_release(), or with its last handle when it could
 * not be kept in the table. */
static void session_put(struct session *s)
{
	bool kept = false, last;

	pthread_mutex_lock(&sessions_mu);
	last = --s->refs == 0;
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		kept |= sessions[i] == s;
	pthread_mutex_unlock(&sessions_mu);
	if (last && !kept)
		session_free(s);
}

void fs_guestfs_release(struct img *img)
{
	struct session *s = NULL;

	pthread_mutex_lock(&sessions_mu);
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		if (sessions[i] && sessions[i]->img == img) {
			s = sessions[i];
			sessions[i] = NULL;
		}
	pthread_mutex_unlock(&sessions_mu);
	if (s)
		session_free(s);
}

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

/* Lists every regular file of the mounted volume (find0 writes them to a
 * local file, NUL-separated) with its size, and on NTFS every alternate
 * data stream. */
static int list_files(guestfs_h *g, struct vlist *v, struct ks_err *err)
{
	char tmp[] = "/tmp/kenshu-guestfs-XXXXXX";
	int fd = mkstemp(tmp);
	struct stat st;
	char *buf = NULL;
	int rc = -1;

	if (fd < 0) {
		ks_fail(err, KS_EIO, "cannot create a temporary file: %s", strerror(errno));
		return -1;
	}
	cleanup_add(tmp, false);
	if (guestfs_find0(g, v->mnt, tmp) < 0) {
		char eb[256];
		const char *e = last_error(g, eb, sizeof(eb));
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
		char full[4200];
		struct guestfs_statns *sn;
		unsigned type;

		/* find0 names are relative to the directory; some versions
		 * start them with '/'. */
		const char *rel = p + strspn(p, "/");
		if (!*rel)
			continue;
		snprintf(full, sizeof(full), "%s/%s", v->mnt, rel);
		sn = guestfs_lstatns(g, full);
		if (!sn)
			continue;
		type = (unsigned)(sn->st_mode & S_IFMT);
		if (type == S_IFREG)
			add_entry(v, rel, "", (uint64_t)sn->st_size, 0);
		guestfs_free_statns(sn);
		if (v->ntfs && (type == S_IFREG || type == S_IFDIR) &&
		    list_streams(g, v, full, rel, type == S_IFDIR ? FS_F_DIRECTORY : 0) < 0) {
			char eb[256];
			const char *e = last_error(g, eb, sizeof(eb));
			add_problem(v, rel, xasprintf("alternate data streams not read: libguestfs cannot "
						      "list them (%s)", e));
		}
	}
	rc = 0;
out:
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
		const char *e = last_error(g, eb, sizeof(eb));
		ks_fail(err, KS_EINPUT, "libguestfs cannot mount %s read-only: %s", v->dev, e);
		/* A failed mount leaves the mount point: rmmountpoint lets a
		 * later handle try again cleanly. */
		guestfs_rmmountpoint(g, v->mnt);
		vlist_free(v);
		return NULL;
	}
	if (list_files(g, v, err) < 0) {
		vlist_free(v);
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

	f->s = session_get(img, err);
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
		session_put(f->s);
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
	session_put(f->s);
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

/* ---- volumes inside volume managers ---- */

/* kenshu's index of the volume libguestfs calls dev: "/dev/sda2" is
 * partition 2, "/dev/sda" the bare volume 1, "/dev/vg/lv" the volume found
 * with that device. 0 when no volume matches. */
static unsigned volume_index(struct img *img, const char *dev)
{
	static const char disk[] = "/dev/sda";
	size_t n = img_nvolumes(img);
	const char *p;
	unsigned num;

	for (size_t i = 0; i < n; i++) {
		const struct img_volume *v = img_volume(img, i);
		if (v->device[0] && !strcmp(v->device, dev))
			return v->index;
	}
	if (strncmp(dev, disk, strlen(disk)) != 0)
		return 0;
	p = dev + strlen(disk);
	if (!*p)
		return strcmp(img_scheme(img), "none") ? 0 : 1;
	if (*p < '1' || *p > '9' || p[strspn(p, "0123456789")])
		return 0;
	num = (unsigned)strtoul(p, NULL, 10);
	for (size_t i = 0; i < n; i++) {
		const struct img_volume *v = img_volume(img, i);
		if (!v->parent && v->index == num)
			return num;
	}
	return 0;
}

/* An LVM UUID without its dashes (pvuuid and vgpvuuids may differ in
 * that), cut to 32 characters. */
static void uuid_plain(char out[33], const char *in)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o < 32; i++)
		if (in[i] != '-')
			out[o++] = in[i];
	out[o] = '\0';
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_list(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

/* A container still waiting for its volumes to be listed: img_open()
 * recognised it (fs) and left it VOL_UNSUPPORTED. */
static bool pending(const struct img_volume *v, const char *fs)
{
	return !v->parent && !strcmp(v->fs, fs) && v->state == VOL_UNSUPPORTED;
}

/* What one container of the image (an LVM physical volume, a dynamic
 * disk's partition) was found to hold. */
struct held {
	char uuid[33];          /* LVM: the physical volume's UUID, "" if none */
	char group[128];        /* its volume group or disk group */
	unsigned first, last;   /* the indexes of the volumes added, 0 if none */
};

/* A volume manager whose volumes libguestfs's appliance assembles. */
struct vmgr {
	const char *fs;         /* img_volume.fs of its containers */
	const char *what;       /* a container, for people */
	const char *group;      /* what its group is called */
	const char *noun;       /* what its volumes are called */
	/* Adds the volumes to img and fills held[] for the first nvol
	 * volumes; returns how many were added, or -1 (nothing added) when
	 * they cannot be listed. Called with the session's lock held. */
	long (*discover)(guestfs_h *g, struct img *img, size_t nvol, struct held *held);
};

/* The first sectors and the size of a volume only libguestfs can read,
 * and from them what it holds. */
static void probe_device(guestfs_h *g, struct img_volume *v)
{
	int64_t size = guestfs_blockdev_getsize64(g, v->device);
	size_t got = 0;
	char *first;

	v->size = size > 0 ? (uint64_t)size : 0;
	first = guestfs_pread_device(g, v->device, v->size < 4096 ? (int)v->size : 4096, 0, &got);
	if (!first) {
		char eb[256];
		const char *e = last_error(g, eb, sizeof(eb));

		v->fs = "unknown";
		v->state = VOL_UNKNOWN;
		snprintf(v->state_reason, sizeof(v->state_reason), "cannot be read through libguestfs: %s", e);
		return;
	}
	img_volume_probe(v, first, got);
	free(first);
}

/* Appends v and records it in held[] of every container of its group. */
static void add_found(struct img *img, struct img_volume *v, const char *group, size_t nvol,
		      struct held *held)
{
	unsigned index = img_add_volume(img, v);

	for (size_t p = 0; p < nvol; p++)
		if (!strcmp(held[p].group, group)) {
			if (!held[p].first)
				held[p].first = index;
			held[p].last = index;
		}
}

/* LVM: guestfs_pvs names devices as the image's ("/dev/sda2"), where
 * pvs_full gives the appliance's own names, which change from boot to boot
 * ("/dev/sdb2" when the appliance's disk came first): the physical
 * volumes are matched to partitions through their UUIDs. */
static long discover_lvm(guestfs_h *g, struct img *img, size_t nvol, struct held *held)
{
	char **pvs = guestfs_pvs(g), **lvs = pvs ? guestfs_lvs(g) : NULL;
	size_t nlv = 0;
	long added = 0;

	if (!pvs || !lvs) {
		free_list(pvs);
		return -1;
	}
	for (size_t k = 0; pvs[k]; k++) {
		unsigned index = volume_index(img, pvs[k]);
		char *uuid = index ? guestfs_pvuuid(g, pvs[k]) : NULL;

		for (size_t p = 0; p < nvol && uuid; p++)
			if (img_volume(img, p)->index == index && pending(img_volume(img, p), "lvm2"))
				uuid_plain(held[p].uuid, uuid);
		free(uuid);
	}
	while (lvs[nlv])
		nlv++;
	/* By name: the same volume numbers on every run. */
	if (nlv > 1)
		qsort(lvs, nlv, sizeof(*lvs), str_cmp);
	for (size_t i = 0; i < nlv && added < FS_MAX_LOGICAL_VOLUMES; i++) {
		struct img_volume v;
		char vg[128], lv[128], **uuids;

		/* guestfs_lvs names them /dev/VG/LV; neither name holds a '/'. */
		if (sscanf(lvs[i], "/dev/%127[^/]/%127s", vg, lv) != 2)
			continue;
		memset(&v, 0, sizeof(v));
		v.part_type = "LVM logical volume";
		/* For people: the device carries the exact names. */
		snprintf(v.part_name, sizeof(v.part_name), "%.79s/%.79s", vg, lv);
		snprintf(v.device, sizeof(v.device), "%s", lvs[i]);
		/* Its parent is the first physical volume of its volume group
		 * in the image (a group can span several). */
		uuids = guestfs_vgpvuuids(g, vg);
		for (size_t u = 0; uuids && uuids[u]; u++) {
			char want[33];

			uuid_plain(want, uuids[u]);
			for (size_t p = 0; p < nvol; p++)
				if (held[p].uuid[0] && !strcmp(held[p].uuid, want)) {
					unsigned pv = img_volume(img, p)->index;

					snprintf(held[p].group, sizeof(held[p].group), "%s", vg);
					if (!v.parent || pv < v.parent)
						v.parent = pv;
				}
		}
		free_list(uuids);
		probe_device(g, &v);
		add_found(img, &v, vg, nvol, held);
		added++;
	}
	free_list(pvs);
	free_list(lvs);
	return added;
}

/* How each kind of dynamic-disk volume is called in the report
 * (ldmtool's names). */
static const struct {
	const char *type, *name;
} ldm_types[] = {
	{ "simple", "LDM simple volume" },
	{ "spanned", "LDM spanned volume" },
	{ "striped", "LDM striped volume" },
	{ "mirrored", "LDM mirrored volume" },
	{ "raid5", "LDM RAID-5 volume" },
};

/* Windows dynamic disks: the appliance's init assembled every volume it
 * could (ldmtool create all) as /dev/mapper/ldm_vol_GROUP_VOLUME. An
 * image is one disk: every volume of its group is held by its LDM
 * partition (the first one, should there be several). */
static long discover_ldm(guestfs_h *g, struct img *img, size_t nvol, struct held *held)
{
	char **groups = guestfs_ldmtool_scan(g), **devs = groups ? guestfs_list_ldm_volumes(g) : NULL;
	unsigned parent = 0;
	long added = 0;

	if (!groups || !devs) {
		free_list(groups);
		return -1;
	}
	for (size_t p = 0; p < nvol && !parent; p++)
		if (pending(img_volume(img, p), "ldm"))
			parent = img_volume(img, p)->index;
	for (size_t d = 0; groups[d] && added < FS_MAX_LOGICAL_VOLUMES; d++) {
		char *group = guestfs_ldmtool_diskgroup_name(g, groups[d]);
		char **vols = group ? guestfs_ldmtool_diskgroup_volumes(g, groups[d]) : NULL;
		size_t n = 0;

		for (size_t p = 0; p < nvol && group; p++)
			if (img_volume(img, p)->index == parent)
				snprintf(held[p].group, sizeof(held[p].group), "%s", group);
		while (vols && vols[n])
			n++;
		if (n > 1)
			qsort(vols, n, sizeof(*vols), str_cmp);
		for (size_t k = 0; k < n && added < FS_MAX_LOGICAL_VOLUMES; k++) {
			struct img_volume v;
			char *type = guestfs_ldmtool_volume_type(g, groups[d], vols[k]);
			bool assembled = false;

			memset(&v, 0, sizeof(v));
			v.parent = parent;
			v.part_type = "LDM volume";
			for (size_t t = 0; type && t < sizeof(ldm_types) / sizeof(ldm_types[0]); t++)
				if (!strcasecmp(type, ldm_types[t].type))
					v.part_type = ldm_types[t].name;
			free(type);
			snprintf(v.part_name, sizeof(v.part_name), "%.79s/%.79s", group, vols[k]);
			/* libldm's device-mapper name for it (ldm.c: _dm_vol_name). */
			snprintf(v.device, sizeof(v.device), "/dev/mapper/ldm_vol_%s_%s", group, vols[k]);
			for (size_t i = 0; devs[i]; i++)
				assembled |= !strcmp(devs[i], v.device);
			if (assembled) {
				probe_device(g, &v);
			} else {
				v.fs = "unknown";
				v.state = VOL_UNKNOWN;
				snprintf(v.state_reason, sizeof(v.state_reason), "libldm could not assemble it: "
					 "a disk of its disk group may be missing from the image");
			}
			add_found(img, &v, group, nvol, held);
			added++;
		}
		free_list(vols);
		free(group);
	}
	free_list(groups);
	free_list(devs);
	return added;
}

static const struct vmgr vmgrs[] = {
	{ "lvm2", "LVM physical volume", "volume group", "logical volume", discover_lvm },
	{ "ldm", "Windows dynamic disk (LDM)", "disk group", "volume", discover_ldm },
};

/* Says what each pending container of m (among the first nvol volumes)
 * holds, or why that is not known. */
static void say_held(struct img *img, const struct vmgr *m, size_t nvol, const struct held *held,
		     long added, const char *err)
{
	char why[320];

	for (size_t p = 0; p < nvol; p++) {
		const struct held *h = &held[p];
		enum vol_state st = VOL_RESERVED;

		if (!pending(img_volume(img, p), m->fs))
			continue;
		if (added < 0) {
			snprintf(why, sizeof(why), "%s: its %ss could not be listed: %.255s", m->what, m->noun, err);
			st = VOL_UNSUPPORTED;
		} else if (added >= FS_MAX_LOGICAL_VOLUMES) {
			snprintf(why, sizeof(why), "%s: holds %d %ss or more, more than kenshu reads: only "
				 "volumes %u to %u are listed", m->what, FS_MAX_LOGICAL_VOLUMES, m->noun,
				 h->first, h->last);
			st = VOL_UNSUPPORTED;
		} else if (!h->first) {
			snprintf(why, sizeof(why), "%s: no %s found in it", m->what, m->noun);
		} else if (h->first == h->last) {
			snprintf(why, sizeof(why), "%s of %s %s: its %s is listed as volume %u", m->what, m->group,
				 h->group, m->noun, h->first);
		} else {
			snprintf(why, sizeof(why), "%s of %s %s: its %ss are listed as volumes %u %s %u", m->what,
				 m->group, h->group, m->noun, h->first, h->last == h->first + 1 ? "and" : "to",
				 h->last);
		}
		img_set_volume_state(img, p, st, why);
	}
}

size_t fs_discover_volumes(struct img *img)
{
	const size_t nmgr = sizeof(vmgrs) / sizeof(vmgrs[0]);
	size_t nvol = img_nvolumes(img), total = 0;
	bool wanted[sizeof(vmgrs) / sizeof(vmgrs[0])] = { false }, any = false;
	struct session *s;
	struct ks_err err;

	for (size_t m = 0; m < nmgr; m++)
		for (size_t i = 0; i < nvol; i++)
			any |= wanted[m] |= pending(img_volume(img, i), vmgrs[m].fs);
	/* Images without a volume manager never start an appliance here. */
	if (!any)
		return 0;
	s = session_get(img, &err);
	for (size_t m = 0; m < nmgr; m++) {
		struct held *held;
		long added = -1;

		if (!wanted[m])
			continue;
		held = xcalloc(nvol, sizeof(*held));
		if (s) {
			pthread_mutex_lock(&s->mu);
			added = vmgrs[m].discover(s->g, img, nvol, held);
			if (added < 0) {
				char eb[256];
				ks_fail(&err, KS_EIO, "%s", last_error(s->g, eb, sizeof(eb)));
			}
			pthread_mutex_unlock(&s->mu);
		}
		say_held(img, &vmgrs[m], nvol, held, added, err.msg);
		total += added > 0 ? (size_t)added : 0;
		free(held);
	}
	if (s)
		session_put(s);
	return total;
}

/* ---- --cross-check: libguestfs's own idea of the installed Windows ---- */

static bool arch_same(const char *guestfs_arch, const char *windows_arch)
{
	static const struct {
		const char *g, *w;
	} map[] = { { "x86_64", "AMD64" }, { "i386", "x86" }, { "aarch64", "ARM64" } };

	if (!guestfs_arch || !windows_arch)
		return true;   /* nothing to compare */
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(guestfs_arch, map[i].g))
			return !strcasecmp(windows_arch, map[i].w);
	return true;
}

static void compare(guestfs_h *g, const char *root, struct os_info *os)
{
	char *product = guestfs_inspect_get_product_name(g, root);
	char *host = guestfs_inspect_get_hostname(g, root);
	char *arch = guestfs_inspect_get_arch(g, root);
	int major = guestfs_inspect_get_major_version(g, root);
	int minor = guestfs_inspect_get_minor_version(g, root);
	char diff[512] = "";
	size_t o = 0;

	if (product && os->product_name && strcmp(product, os->product_name) != 0)
		o += (size_t)snprintf(diff + o, sizeof(diff) - o, "%sproduct '%s' (kenshu: '%s')", o ? ", " : "",
				      product, os->product_name);
	/* libguestfs reads CurrentMajor/MinorVersionNumber too since 1.40. */
	if (major >= 0 && os->major && ((uint32_t)major != os->major || (uint32_t)minor != os->minor) &&
	    o < sizeof(diff))
		o += (size_t)snprintf(diff + o, sizeof(diff) - o, "%sversion %d.%d (kenshu: %u.%u)", o ? ", " : "",
				      major, minor, os->major, os->minor);
	if (host && *host && strcmp(host, "unknown") && os->hostname && strcasecmp(host, os->hostname) &&
	    o < sizeof(diff))
		o += (size_t)snprintf(diff + o, sizeof(diff) - o, "%shost name '%s' (kenshu: '%s')", o ? ", " : "",
				      host, os->hostname);
	if (!arch_same(arch, os->architecture) && o < sizeof(diff))
		o += (size_t)snprintf(diff + o, sizeof(diff) - o, "%sarchitecture %s (kenshu: %s)", o ? ", " : "",
				      arch, os->architecture);
	free(os->cross_check);
	if (o) {
		os->cross_check = xasprintf("differs: %s", diff);
		os->cross_check_differs = true;
	} else {
		os->cross_check = xasprintf("agrees (libguestfs: %s %d.%d, host %s, %s)", product ? product : "?",
					    major, minor, host ? host : "?", arch ? arch : "?");
	}
	free(product);
	free(host);
	free(arch);
}

int fs_cross_check(struct img *img, struct report *r, struct ks_err *err)
{
	struct session *s = session_get(img, err);
	char **roots;
	char extra[512] = "";
	size_t o = 0;

	if (!s)
		return -1;
	pthread_mutex_lock(&s->mu);
	roots = guestfs_inspect_os(s->g);
	/* Its error handlers pushed and popped, libguestfs must still not
	 * print errors itself. */
	guestfs_set_error_handler(s->g, NULL, NULL);
	/* inspect_os unmounts every file system, also the volumes the walk
	 * listed: the workers read them later, so they are mounted again. A
	 * failure shows as read errors on their files. */
	for (size_t i = 0; i < s->nlists; i++)
		guestfs_mount_ro(s->g, s->lists[i]->dev, s->lists[i]->mnt);
	for (size_t i = 0; i < r->nos; i++) {
		free(r->os[i].cross_check);
		r->os[i].cross_check = xstrdup("not found as an operating system by libguestfs");
	}
	if (!roots) {
		char eb[256];
		const char *e = last_error(s->g, eb, sizeof(eb));
		o += (size_t)snprintf(extra, sizeof(extra), "libguestfs's inspection failed: %s", e);
	}
	for (size_t k = 0; roots && roots[k]; k++) {
		unsigned idx = volume_index(img, roots[k]);
		bool matched = false;
		char *type = guestfs_inspect_get_type(s->g, roots[k]);

		for (size_t i = 0; i < r->nos; i++)
			if (idx && r->os[i].volume == idx) {
				compare(s->g, roots[k], &r->os[i]);
				matched = true;
			}
		if (!matched && o < sizeof(extra))
			o += (size_t)snprintf(extra + o, sizeof(extra) - o, "%slibguestfs also found %s on %s",
					      o ? "; " : "", type ? type : "an operating system", roots[k]);
		free(type);
		free(roots[k]);
	}
	free(roots);
	pthread_mutex_unlock(&s->mu);
	if (o) {
		free(r->cross_check_note);
		r->cross_check_note = xstrdup(extra);
	}
	session_put(s);
	return 0;
}
