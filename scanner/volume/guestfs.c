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
#include "volume_internal.h"
#include <kenshu/banned.h>


/* Sessions by image; images are scanned one after another, so this stays
 * tiny. */
static struct session *sessions[8];
static pthread_mutex_t sessions_mu = PTHREAD_MUTEX_INITIALIZER;

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
const char *gfs_last_error(guestfs_h *g, char *buf, size_t n)
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

void gfs_vlist_free(struct vlist *v)
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
	if (s->g && s->borrowed) {
		/* The caller's appliance goes on: it gets back what it lent,
		 * nothing mounted and no mount point of kenshu's left. */
		for (size_t i = 0; i < s->nlists; i++) {
			guestfs_umount(s->g, s->lists[i]->mnt);
			guestfs_rmmountpoint(s->g, s->lists[i]->mnt);
		}
	} else if (s->g) {
		guestfs_shutdown(s->g);
		guestfs_close(s->g);
	}
	for (size_t i = 0; i < s->nlists; i++)
		gfs_vlist_free(s->lists[i]);
	free(s->lists);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* The image's session, started on first use. An appliance that failed to
 * start is not tried again for the same image (each try can take minutes
 * to time out): its reason is given to every later caller. */
struct session *gfs_session_get(struct img *img, struct ks_err *err)
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
		const char *e = gfs_last_error(s->g, eb, sizeof(eb));
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

/* The test seam (volume.h): img's session is g, launched by the caller.
 * Kept in the table like any session, so that every later
 * gfs_session_get() of img (fs_open, fs_discover_volumes, fs_inspect_os)
 * finds it and none starts an appliance. */
int fs_guestfs_use_handle(struct img *img, struct guestfs_h *g, struct ks_err *err)
{
	struct session *s;
	int rc = -1;

	pthread_mutex_lock(&sessions_mu);
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		if (sessions[i] && sessions[i]->img == img) {
			ks_fail(err, KS_EINPUT, "the image already has a libguestfs appliance");
			goto out;
		}
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		if (!sessions[i]) {
			s = xcalloc(1, sizeof(*s));
			s->img = img;
			s->g = g;
			s->borrowed = true;
			pthread_mutex_init(&s->mu, NULL);
			guestfs_set_error_handler(g, NULL, NULL);
			snprintf(s->reader, sizeof(s->reader), "libguestfs appliance (the caller's), read-only");
			sessions[i] = s;
			rc = 0;
			goto out;
		}
	ks_fail(err, KS_EINPUT, "too many libguestfs sessions open");
out:
	pthread_mutex_unlock(&sessions_mu);
	return rc;
}

/* A session outlives its handles: the walk closes its handle before the
 * workers open theirs, and the appliance must not be started twice. It
 * ends with fs_guestfs_release(), or with its last handle when it could
 * not be kept in the table. */
void gfs_session_put(struct session *s)
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

