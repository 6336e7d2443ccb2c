/* What the pieces of image/ share: the back-end interface behind struct
 * img (each container format implements one struct img_backend; image.c
 * picks it by content), and the two halves of the partition-table reader. */
#ifndef KENSHU_IMAGE_INTERNAL_H
#define KENSHU_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <kenshu/core.h>
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

/* ---- parttab: parttab.c (MBR, bare volumes, the checks every table gets)
 * and parttab_gpt.c (GPT) ---- */

/* One parttab_read() call. */
struct pt_scan {
	pt_read_fn rd;
	void *ctx;
	uint64_t disk_size;
	struct ks_err *err;
	/* Why a GPT header was rejected: kept apart from err because a damaged
	 * primary is only an error once the backup has failed too. */
	char why[160];
	struct pt_entry *v;
	size_t n, cap;
};

/* Fills s->err (KS_EINPUT) and returns -1. */
int pt_fail(struct pt_scan *s, const char *fmt, ...) KS_PRINTF(2, 3);

/* Why a GPT header was refused, into s->why. */
void pt_why(struct pt_scan *s, const char *fmt, ...) KS_PRINTF(2, 3);

/* The len bytes at off lie inside the disk (no wrap on hostile values). */
static inline bool pt_in_disk(const struct pt_scan *s, uint64_t off, uint64_t len)
{
	return off <= s->disk_size && len <= s->disk_size - off;
}

/* Sectors to bytes; false when the result does not fit in 64 bits. */
static inline bool pt_span_bytes(uint64_t lba, uint64_t count, uint32_t ss,
				 uint64_t *off, uint64_t *size)
{
	return !__builtin_mul_overflow(lba, (uint64_t)ss, off) &&
	       !__builtin_mul_overflow(count, (uint64_t)ss, size);
}

/* Reads len bytes at off through the caller's callback. Returns 0, or -1
 * with the reason in s->err (outside the disk, or a read error). */
int pt_read_at(struct pt_scan *s, void *buf, size_t len, uint64_t off);

/* A new entry (zeroed but for these fields, type "unknown"), or NULL
 * with the reason in s->err. */
struct pt_entry *pt_add_entry(struct pt_scan *s, unsigned index,
			      uint64_t off, uint64_t size);

/* Reads the GPT of a disk whose MBR is protective: pt's sector size,
 * backup flag and disk GUID, and the entries into s. Returns 0, or -1 with
 * the reason in s->err. */
int pt_read_gpt(struct pt_scan *s, struct parttab *pt);

#endif
