/* FAT and exFAT volumes through libguestfs: the general back end for file
 * systems kenshu has no reader of its own for. libguestfs boots a small
 * appliance VM that mounts the volume read-only; the image is attached
 * read-only and nothing is mounted on the host.
 *
 * One appliance per image, shared by every volume and every worker: it
 * takes seconds to start (15-30 s under TCG), so fs_open() of the second
 * worker must not start another. A guestfs handle is not thread-safe, so
 * every call goes through the session's mutex.
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

#include <kenshu/cleanup.h>
#include <kenshu/err.h>
#include <kenshu/image.h>
#include <kenshu/report.h>
#include "fs_internal.h"
#include "banned.h"

#define PREAD_MAX (1u << 20)   /* guestfs messages are limited to a few MiB */
#define FIND_MAX (256ull << 20)

struct session {
	struct img *img;
	guestfs_h *g;
	pthread_mutex_t mu;
	unsigned refs;
	bool tcg;
	char reader[96];
};

/* Sessions by image; images are scanned one after another, so this stays
 * tiny. */
static struct session *sessions[8];
static pthread_mutex_t sessions_mu = PTHREAD_MUTEX_INITIALIZER;

struct gfs {
	struct session *s;
	unsigned index;
	char dev[32];
	char mnt[32];
	char label[256];
	char version[32];
	char **paths;       /* relative to mnt, "/" first component included */
	uint64_t *sizes;
	size_t n;
};

struct gstream {
	struct gfs *fs;
	size_t id;
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

static struct session *session_get(struct img *img, char *err, size_t errlen)
{
	struct session *s = NULL;
	const char *fmt = qemu_format(img_format(img));

	pthread_mutex_lock(&sessions_mu);
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		if (sessions[i] && sessions[i]->img == img) {
			s = sessions[i];
			s->refs++;
			goto out;
		}
	if (!fmt) {
		snprintf(err, errlen, "libguestfs cannot read a '%s' container", img_format(img));
		goto out;
	}
	s = xcalloc(1, sizeof(*s));
	s->img = img;
	pthread_mutex_init(&s->mu, NULL);
	s->g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
	if (!s->g) {
		snprintf(err, errlen, "cannot create a libguestfs handle");
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
		const char *e = guestfs_last_error(s->g);
		snprintf(err, errlen, "libguestfs could not start its appliance%s: %s",
			 s->tcg ? " (TCG, KVM unusable)" : "", e ? e : "no reason given");
		goto fail;
	}
	snprintf(s->reader, sizeof(s->reader), "libguestfs appliance (%s), read-only",
		 s->tcg ? "TCG: KVM unusable here" : "KVM");
	s->refs = 1;
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		if (!sessions[i]) {
			sessions[i] = s;
			goto out;
		}
	/* Table full: the session is used unshared. */
	goto out;
fail:
	if (s->g)
		guestfs_close(s->g);
	pthread_mutex_destroy(&s->mu);
	free(s);
	s = NULL;
out:
	pthread_mutex_unlock(&sessions_mu);
	return s;
}

static void session_free(struct session *s)
{
	guestfs_shutdown(s->g);
	guestfs_close(s->g);
	pthread_mutex_destroy(&s->mu);
	free(s);
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

/* Lists every regular file of the mounted volume (find0 writes them to a
 * local file, NUL-separated), with their sizes. */
static int list_files(struct gfs *f, char *err, size_t errlen)
{
	char tmp[] = "/tmp/kenshu-guestfs-XXXXXX";
	int fd = mkstemp(tmp);
	struct stat st;
	char *buf = NULL;

	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file: %s", strerror(errno));
		return -1;
	}
	cleanup_add(tmp, false);
	int rc = guestfs_find0(f->s->g, f->mnt, tmp);
	if (rc < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size > FIND_MAX) {
		const char *e = guestfs_last_error(f->s->g);
		snprintf(err, errlen, "cannot list the volume's files: %s", rc < 0 && e ? e : "listing too large");
		goto fail;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		snprintf(err, errlen, "cannot read the file list: %s", strerror(errno));
		goto fail;
	}
	buf[st.st_size] = '\0';
	for (char *p = buf; p < buf + st.st_size; p += strlen(p) + 1) {
		char full[4200];
		struct guestfs_statns *sn;

		/* find0 names are relative to the directory; some versions
		 * start them with '/'. */
		const char *rel = p + strspn(p, "/");
		if (!*rel)
			continue;
		snprintf(full, sizeof(full), "%s/%s", f->mnt, rel);
		sn = guestfs_lstatns(f->s->g, full);
		if (!sn)
			continue;
		if ((sn->st_mode & S_IFMT) == S_IFREG) {
			f->paths = xrealloc(f->paths, (f->n + 1) * sizeof(*f->paths));
			f->sizes = xrealloc(f->sizes, (f->n + 1) * sizeof(*f->sizes));
			f->paths[f->n] = xasprintf("/%s", rel);
			f->sizes[f->n] = (uint64_t)sn->st_size;
			f->n++;
		}
		guestfs_free_statns(sn);
	}
	free(buf);
	close(fd);
	unlink(tmp);
	cleanup_forget(tmp);
	return 0;
fail:
	free(buf);
	close(fd);
	unlink(tmp);
	cleanup_forget(tmp);
	return -1;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int gfs_open(struct img *img, const struct img_volume *v, void **out, char *err, size_t errlen)
{
	struct gfs *f = xcalloc(1, sizeof(*f));

	f->s = session_get(img, err, errlen);
	if (!f->s) {
		free(f);
		return -1;
	}
	f->index = v->index;
	if (!strcmp(img_scheme(img), "none"))
		snprintf(f->dev, sizeof(f->dev), "/dev/sda");
	else
		snprintf(f->dev, sizeof(f->dev), "/dev/sda%u", v->index);
	snprintf(f->mnt, sizeof(f->mnt), "/kenshu-vol%u", v->index);

	pthread_mutex_lock(&f->s->mu);
	guestfs_h *g = f->s->g;
	/* The first handle of a volume mounts it; later ones find it mounted. */
	if (guestfs_is_dir(g, f->mnt) != 1) {
		if (guestfs_mkmountpoint(g, f->mnt) < 0 || guestfs_mount_ro(g, f->dev, f->mnt) < 0) {
			const char *e = guestfs_last_error(g);
			snprintf(err, errlen, "libguestfs cannot mount %s read-only: %s", f->dev, e ? e : "no reason given");
			pthread_mutex_unlock(&f->s->mu);
			session_put(f->s);
			free(f);
			return -1;
		}
	}
	char *label = guestfs_vfs_label(g, f->dev), *type = guestfs_vfs_type(g, f->dev);
	snprintf(f->label, sizeof(f->label), "%s", label ? label : "");
	snprintf(f->version, sizeof(f->version), "%s", type ? type : "");
	free(label);
	free(type);
	int rc = list_files(f, err, errlen);
	pthread_mutex_unlock(&f->s->mu);
	if (rc < 0) {
		session_put(f->s);
		free(f);
		return -1;
	}
	/* Sorted, as the NTFS walk is: a deterministic report. */
	if (f->n > 1) {
		size_t *order = xmalloc(f->n * sizeof(*order));
		char **p = xmalloc(f->n * sizeof(*p));
		memcpy(p, f->paths, f->n * sizeof(*p));
		qsort(p, f->n, sizeof(*p), path_cmp);
		for (size_t i = 0; i < f->n; i++)
			for (size_t k = 0; k < f->n; k++)
				if (f->paths[k] == p[i]) {
					order[i] = k;
					break;
				}
		uint64_t *sizes = xmalloc(f->n * sizeof(*sizes));
		for (size_t i = 0; i < f->n; i++)
			sizes[i] = f->sizes[order[i]];
		free(f->sizes);
		free(f->paths);
		f->paths = p;
		f->sizes = sizes;
		free(order);
	}
	*out = f;
	return 0;
}

static void gfs_close(void *p)
{
	struct gfs *f = p;

	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->sizes);
	session_put(f->s);
	free(f);
}

static const char *gfs_label(const void *p) { return ((const struct gfs *)p)->label; }
static const char *gfs_version(const void *p) { return ((const struct gfs *)p)->version; }
static bool gfs_dirty(const void *p) { return false; }
static const char *gfs_reader(const void *p) { return ((const struct gfs *)p)->s->reader; }

static int gfs_walk(void *p, fs_walk_fn fn, void *ctx, char *err, size_t errlen)
{
	struct gfs *f = p;

	for (size_t i = 0; i < f->n; i++) {
		struct fs_entry e = {
			.kind = FS_ENTRY_STREAM, .path = f->paths[i], .stream = "", .id = i,
			.size = f->sizes[i],
		};
		int rc = fn(ctx, &e);
		if (rc)
			return rc;
	}
	return 0;
}

static int gfs_lookup(void *p, const char *path, uint64_t *id)
{
	struct gfs *f = p;

	/* FAT names are case-insensitive, as Windows sees them. */
	for (size_t i = 0; i < f->n; i++)
		if (!strcasecmp(f->paths[i], path)) {
			*id = i;
			return 1;
		}
	return 0;
}

static int gfs_stream_open(void *p, uint64_t id, const void *key, size_t key_len, void **out,
			   char *err, size_t errlen)
{
	struct gfs *f = p;
	struct gstream *s;

	if (id >= f->n) {
		snprintf(err, errlen, "no such file");
		return -1;
	}
	s = xmalloc(sizeof(*s));
	s->fs = f;
	s->id = (size_t)id;
	*out = s;
	return 0;
}

static int64_t gfs_stream_pread(void *p, void *buf, size_t n, uint64_t off)
{
	struct gstream *s = p;
	struct gfs *f = s->fs;
	char full[4200];
	size_t done = 0;

	snprintf(full, sizeof(full), "%s%s", f->mnt, f->paths[s->id]);
	if (off >= f->sizes[s->id])
		return 0;
	if (n > f->sizes[s->id] - off)
		n = (size_t)(f->sizes[s->id] - off);
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
	return s->fs->sizes[s->id];
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

/* ---- --cross-check: libguestfs's own idea of the installed Windows ---- */

/* The partition number of "/dev/sda2" (0 for the whole disk "/dev/sda"). */
static unsigned root_index(const char *dev)
{
	const char *p = dev + strcspn(dev, "0123456789");
	return *p ? (unsigned)strtoul(p, NULL, 10) : 0;
}

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

int fs_cross_check(struct img *img, struct report *r, char *err, size_t errlen)
{
	struct session *s = session_get(img, err, errlen);
	char **roots;
	char extra[512] = "";
	size_t o = 0;

	if (!s)
		return -1;
	pthread_mutex_lock(&s->mu);
	roots = guestfs_inspect_os(s->g);
	for (size_t i = 0; i < r->nos; i++) {
		free(r->os[i].cross_check);
		r->os[i].cross_check = xstrdup("not found as an operating system by libguestfs");
	}
	if (!roots) {
		const char *e = guestfs_last_error(s->g);
		o += (size_t)snprintf(extra, sizeof(extra), "libguestfs's inspection failed: %s",
				      e ? e : "no reason given");
	}
	for (size_t k = 0; roots && roots[k]; k++) {
		unsigned idx = root_index(roots[k]);
		bool matched = false;
		char *type = guestfs_inspect_get_type(s->g, roots[k]);

		for (size_t i = 0; i < r->nos; i++)
			if (r->os[i].volume == (idx ? idx : 1)) {
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
