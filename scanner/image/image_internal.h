/* Back-end interface behind struct img. Each container format implements
 * one struct img_backend; image.c picks it by content. */
#ifndef KENSHU_IMAGE_INTERNAL_H
#define KENSHU_IMAGE_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include <kenshu/image.h>

struct img_backend {
	const char *name;  /* reported as image.format */
	const char *reader; /* reported as image.reader: what reads the disk */
	/* Opens the container read-only; *state is the back end's own. Returns
	 * 0, or -1 with a reason in err (no file name: the caller adds it). */
	int (*open)(const char *path, void **state, uint64_t *size, struct ks_err *err);
	/* Full read or -1 with errno; must be thread-safe. */
	int (*pread)(void *state, void *buf, size_t n, uint64_t off);
	void (*close)(void *state);
};

extern const struct img_backend img_backend_raw;
/* Through qemu-nbd (image_nbd.c). */
extern const struct img_backend img_backend_vmdk, img_backend_vhd, img_backend_vhdx,
	img_backend_qcow2, img_backend_qcow;

#endif
