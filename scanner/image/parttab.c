/* parttab: partition-table reader for raw disk images (MBR, GPT, bare volume).
 *
 * Every field read from the disk is hostile until checked: offsets and sizes
 * are computed with overflow checks, every structure must lie inside the
 * disk, loops and overlaps are errors. The disk is only ever seen through the
 * caller's read callback, and nothing here prints or exits.
 *
 * The GPT reader is in parttab_gpt.c (image_internal.h joins the two).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include "image_internal.h"
#include <kenshu/banned.h>

#define MBR_SECTOR 512u
#define MBR_TABLE_OFF 446u
#define MBR_SIG_OFF 510u
#define MBR_SLOTS 4u
#define MBR_SLOT_SIZE 16u
#define MBR_FIRST_LOGICAL 5u

#define WHOLE_DISK_NAME "whole disk (no partition table)"

int pt_fail(struct pt_scan *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_vfail(s->err, KS_EINPUT, fmt, ap);
	va_end(ap);
	return -1;
}

void pt_why(struct pt_scan *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

int pt_read_at(struct pt_scan *s, void *buf, size_t len, uint64_t off)
{
	/* The callback is never asked for bytes outside the declared disk,
	 * so callers may back it with a plain pread on a file of that size. */
	if (!pt_in_disk(s, off, len))
		return pt_fail(s, "read of %zu bytes at byte %" PRIu64
			       " is past the end of the disk (%" PRIu64 " bytes)",
			       len, off, s->disk_size);
	if (s->rd(s->ctx, buf, len, off) != 0)
		return pt_fail(s, "read error at byte %" PRIu64 " (%zu bytes)", off, len);
	return 0;
}

static bool has_sig(const uint8_t *sec)
{
	return sec[MBR_SIG_OFF] == 0x55 && sec[MBR_SIG_OFF + 1] == 0xaa;
}

struct pt_entry *pt_add_entry(struct pt_scan *s, unsigned index,
			      uint64_t off, uint64_t size)
{
	struct pt_entry *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct pt_entry *v;

		size_t bytes;

		/* cap stays near PT_MAX_GPT_ENTRIES, but a wrap here would
		 * turn into a heap overflow, so it is checked anyway. */
		if (__builtin_mul_overflow(cap, sizeof(*v), &bytes)) {
			pt_fail(s, "out of memory");
			return NULL;
		}
		v = realloc(s->v, bytes);
		if (!v) {
			pt_fail(s, "out of memory");
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	e->index = index;
	e->offset = off;
	e->size = size;
	e->type_name = "unknown";
	return e;
}

/* ---- bare volumes ---- */

static bool is_bare_volume(const uint8_t *sec)
{
	/* A volume boot sector also carries 0x55AA, so it has to be
	 * recognised before the MBR reading would misparse its code bytes
	 * as partition slots. */
	if (!memcmp(sec + 3, "NTFS    ", 8) || !memcmp(sec + 3, "EXFAT   ", 8) ||
	    !memcmp(sec + 3, "-FVE-FS-", 8))
		return true;
	if (sec[0] == 0xeb || sec[0] == 0xe9)
		return !memcmp(sec + 0x36, "FAT", 3) || !memcmp(sec + 0x52, "FAT32", 5);
	return false;
}

/* ---- MBR ---- */

struct mbr_type {
	uint8_t type;
	bool reserved;
	const char *name;
};

static const struct mbr_type mbr_types[] = {
	{ 0x01, false, "FAT12 (0x01)" },
	{ 0x04, false, "FAT16 <32 MiB (0x04)" },
	{ 0x05, false, "extended (0x05)" },
	{ 0x06, false, "FAT16 (0x06)" },
	{ 0x07, false, "NTFS/exFAT/HPFS (0x07)" },
	{ 0x0b, false, "FAT32 (0x0B)" },
	{ 0x0c, false, "FAT32 LBA (0x0C)" },
	{ 0x0e, false, "FAT16 LBA (0x0E)" },
	{ 0x0f, false, "extended LBA (0x0F)" },
	{ 0x11, false, "hidden FAT12 (0x11)" },
	{ 0x12, false, "OEM/diagnostic (0x12)" },
	{ 0x14, false, "hidden FAT16 <32 MiB (0x14)" },
	{ 0x16, false, "hidden FAT16 (0x16)" },
	{ 0x17, false, "hidden NTFS (0x17)" },
	{ 0x1b, false, "hidden FAT32 (0x1B)" },
	{ 0x1c, false, "hidden FAT32 LBA (0x1C)" },
	{ 0x1e, false, "hidden FAT16 LBA (0x1E)" },
	{ 0x27, false, "Windows recovery (0x27)" },
	{ 0x42, false, "Windows dynamic disk (0x42)" },
	{ 0x82, true, "Linux swap (0x82)" },
	{ 0x83, false, "Linux (0x83)" },
	{ 0x85, false, "Linux extended (0x85)" },
	{ 0x8e, false, "Linux LVM (0x8E)" },
	{ 0xee, false, "GPT protective (0xEE)" },
	{ 0xef, false, "EFI System (0xEF)" },
	{ 0xfd, false, "Linux RAID (0xFD)" },
};

/* type_name must be a static string, so the fallback names are spelled out
 * at compile time rather than formatted into shared storage. */
#define UNK(h, l) "unknown (0x" #h #l ")"
#define UNK_ROW(h) UNK(h, 0), UNK(h, 1), UNK(h, 2), UNK(h, 3), UNK(h, 4), \
		   UNK(h, 5), UNK(h, 6), UNK(h, 7), UNK(h, 8), UNK(h, 9), \
		   UNK(h, A), UNK(h, B), UNK(h, C), UNK(h, D), UNK(h, E), UNK(h, F)
static const char *const mbr_unknown[256] = {
	UNK_ROW(0), UNK_ROW(1), UNK_ROW(2), UNK_ROW(3),
	UNK_ROW(4), UNK_ROW(5), UNK_ROW(6), UNK_ROW(7),
	UNK_ROW(8), UNK_ROW(9), UNK_ROW(A), UNK_ROW(B),
	UNK_ROW(C), UNK_ROW(D), UNK_ROW(E), UNK_ROW(F),
};
#undef UNK_ROW
#undef UNK

static bool is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

static int add_mbr_entry(struct pt_scan *s, unsigned index, uint8_t type,
			 uint64_t lba, uint64_t count, bool logical)
{
	uint64_t off, size;
	struct pt_entry *e;

	if (!pt_span_bytes(lba, count, MBR_SECTOR, &off, &size))
		return pt_fail(s, "partition %u ends past the end of the disk (%" PRIu64 " bytes)",
			       index, s->disk_size);
	e = pt_add_entry(s, index, off, size);
	if (!e)
		return -1;
	e->logical = logical;
	e->mbr_type = type;
	e->type_name = mbr_unknown[type];
	for (size_t i = 0; i < sizeof(mbr_types) / sizeof(mbr_types[0]); i++) {
		if (mbr_types[i].type == type) {
			e->type_name = mbr_types[i].name;
			e->reserved = mbr_types[i].reserved;
			break;
		}
	}
	return 0;
}

struct ext {
	unsigned index;
	uint64_t start, end; /* sectors, end exclusive */
};

static bool ranges_overlap(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

static int check_end(struct pt_scan *s, unsigned index, uint64_t off, uint64_t size)
{
	uint64_t end;

	if (__builtin_add_overflow(off, size, &end))
		return pt_fail(s, "partition %u ends past the end of the disk (%" PRIu64 " bytes)",
			       index, s->disk_size);
	if (end > s->disk_size)
		return pt_fail(s, "partition %u ends at byte %" PRIu64
			       ", past the end of the disk (%" PRIu64 " bytes)",
			       index, end, s->disk_size);
	return 0;
}

/* Walks the EBR chain of one extended partition. EBR links are relative to
 * the extended partition's start, logical starts to their own EBR. */
static int walk_ebr(struct pt_scan *s, const struct ext *x, unsigned *nlog)
{
	uint64_t seen[PT_MAX_LOGICAL];
	size_t nseen = 0;
	uint64_t ebr = x->start;
	uint8_t sec[MBR_SECTOR];

	for (;;) {
		const uint8_t *lp = sec + MBR_TABLE_OFF;
		const uint8_t *np = lp + MBR_SLOT_SIZE;
		uint64_t off, start, end, link;

		for (size_t k = 0; k < nseen; k++)
			if (seen[k] == ebr)
				return pt_fail(s, "extended partition chain loops");
		if (nseen == PT_MAX_LOGICAL)
			return pt_fail(s, "extended partition chain has more than %d boot records",
				       PT_MAX_LOGICAL);
		seen[nseen++] = ebr;

		if (ebr < x->start || ebr >= x->end)
			return pt_fail(s, "extended boot record at sector %" PRIu64
				       " lies outside extended partition %u (sectors %" PRIu64
				       "..%" PRIu64 ")", ebr, x->index, x->start, x->end - 1);
		if (__builtin_mul_overflow(ebr, (uint64_t)MBR_SECTOR, &off))
			return pt_fail(s, "extended boot record at sector %" PRIu64
				       " is past the end of the disk", ebr);
		if (pt_read_at(s, sec, sizeof(sec), off))
			return -1;
		if (!has_sig(sec))
			return pt_fail(s, "extended boot record at sector %" PRIu64
				       " has no 0x55aa signature", ebr);

		/* An empty first slot is legal (a chain with no logicals yet)
		 * and, like Linux, does not consume a partition number. */
		if (lp[4] != 0 && load_le32(lp + 12) != 0) {
			unsigned index = MBR_FIRST_LOGICAL + *nlog;
			uint64_t rel = load_le32(lp + 8);

			if (*nlog >= PT_MAX_LOGICAL)
				return pt_fail(s, "more than %d logical partitions", PT_MAX_LOGICAL);
			if (rel == 0)
				return pt_fail(s, "logical partition %u overlaps its extended boot record",
					       index);
			if (__builtin_add_overflow(ebr, rel, &start) ||
			    __builtin_add_overflow(start, (uint64_t)load_le32(lp + 12), &end) ||
			    end > x->end)
				return pt_fail(s, "logical partition %u lies outside extended partition %u"
					       " (sectors %" PRIu64 "..%" PRIu64 ")",
					       index, x->index, x->start, x->end - 1);
			if (add_mbr_entry(s, index, lp[4], start, end - start, true))
				return -1;
			(*nlog)++;
		}

		if (np[4] == 0 || load_le32(np + 12) == 0)
			return 0;
		if (__builtin_add_overflow(x->start, (uint64_t)load_le32(np + 8), &link))
			return pt_fail(s, "extended partition chain points past the end of the disk");
		ebr = link;
	}
}

static int read_mbr(struct pt_scan *s, const uint8_t *mbr)
{
	struct ext ext[MBR_SLOTS];
	size_t next = 0;
	unsigned nlog = 0;

	for (unsigned i = 0; i < MBR_SLOTS; i++) {
		const uint8_t *p = mbr + MBR_TABLE_OFF + i * MBR_SLOT_SIZE;
		uint8_t type = p[4];
		uint64_t lba = load_le32(p + 8), count = load_le32(p + 12);
		unsigned index = i + 1;
		uint64_t off, size;

		if (type == 0 || count == 0)
			continue;
		if (lba == 0)
			return pt_fail(s, "partition %u starts at sector 0, over the partition table",
				       index);
		if (!is_extended(type)) {
			if (add_mbr_entry(s, index, type, lba, count, false))
				return -1;
			continue;
		}
		/* The container is never listed, so its bounds are checked
		 * here rather than by check_layout. */
		if (!pt_span_bytes(lba, count, MBR_SECTOR, &off, &size))
			return pt_fail(s, "partition %u ends past the end of the disk (%" PRIu64
				       " bytes)", index, s->disk_size);
		if (check_end(s, index, off, size))
			return -1;
		ext[next].index = index;
		ext[next].start = lba;
		ext[next].end = lba + count;
		next++;
	}

	/* MBR fields are 32-bit sector numbers: these products stay far
	 * below 2^64 and were checked against the disk above. */
	for (size_t k = 0; k < next; k++) {
		uint64_t a = ext[k].start * MBR_SECTOR, a_end = ext[k].end * MBR_SECTOR;

		for (size_t j = 0; j < s->n; j++) {
			const struct pt_entry *e = &s->v[j];

			if (ranges_overlap(a, a_end, e->offset, e->offset + e->size)) {
				unsigned lo = ext[k].index, hi = e->index;

				if (lo > hi) {
					lo = e->index;
					hi = ext[k].index;
				}
				return pt_fail(s, "partitions %u and %u overlap", lo, hi);
			}
		}
		for (size_t j = k + 1; j < next; j++)
			if (ranges_overlap(ext[k].start, ext[k].end, ext[j].start, ext[j].end))
				return pt_fail(s, "partitions %u and %u overlap",
					       ext[k].index, ext[j].index);
	}

	for (size_t k = 0; k < next; k++)
		if (walk_ebr(s, &ext[k], &nlog))
			return -1;
	return 0;
}

/* ---- common ---- */

static int by_index(const void *a, const void *b)
{
	const struct pt_entry *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

static int check_layout(struct pt_scan *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), by_index);
	for (size_t i = 0; i < s->n; i++)
		if (check_end(s, s->v[i].index, s->v[i].offset, s->v[i].size))
			return -1;
	/* Quadratic, but n is capped near a thousand and the first pair in
	 * index order makes the message stable. */
	for (size_t i = 0; i < s->n; i++) {
		const struct pt_entry *a = &s->v[i];

		for (size_t j = i + 1; j < s->n; j++) {
			const struct pt_entry *b = &s->v[j];

			if (ranges_overlap(a->offset, a->offset + a->size,
					   b->offset, b->offset + b->size))
				return pt_fail(s, "partitions %u and %u overlap", a->index, b->index);
		}
	}
	return 0;
}

static bool has_protective(const uint8_t *mbr)
{
	for (unsigned i = 0; i < MBR_SLOTS; i++)
		if (mbr[MBR_TABLE_OFF + i * MBR_SLOT_SIZE + 4] == 0xee)
			return true;
	return false;
}

int parttab_read(struct parttab *pt, pt_read_fn rd, void *ctx,
		 uint64_t disk_size, struct ks_err *err)
{
	struct pt_scan s = {
		.rd = rd, .ctx = ctx, .disk_size = disk_size,
		.err = err,
	};
	uint8_t sec0[MBR_SECTOR];
	int rc = -1;

	ks_err_clear(err);
	memset(pt, 0, sizeof(*pt));
	pt->sector_size = MBR_SECTOR;
	pt->disk_size = disk_size;

	if (disk_size < MBR_SECTOR) {
		pt_fail(&s, "disk too small for a partition table (%" PRIu64 " bytes)", disk_size);
		goto out;
	}
	if (pt_read_at(&s, sec0, sizeof(sec0), 0))
		goto out;

	if (is_bare_volume(sec0)) {
		struct pt_entry *e = pt_add_entry(&s, 1, 0, disk_size);

		if (!e)
			goto out;
		e->type_name = WHOLE_DISK_NAME;
		pt->scheme = PT_NONE;
	} else if (!has_sig(sec0)) {
		/* Unpartitioned or unknown: not an error here, the caller
		 * decides what an empty disk means. */
		pt->scheme = PT_NONE;
	} else if (has_protective(sec0)) {
		pt->scheme = PT_GPT;
		if (pt_read_gpt(&s, pt))
			goto out;
	} else {
		pt->scheme = PT_MBR;
		if (read_mbr(&s, sec0))
			goto out;
	}
	if (check_layout(&s))
		goto out;

	pt->n = s.n;
	pt->entries = s.v;
	s.v = NULL;
	rc = 0;
out:
	free(s.v);
	if (rc)
		memset(pt, 0, sizeof(*pt));
	return rc;
}

void parttab_release(struct parttab *pt)
{
	if (!pt)
		return;
	free(pt->entries);
	memset(pt, 0, sizeof(*pt));
}

const char *pt_scheme_name(enum pt_scheme s)
{
	switch (s) {
	case PT_NONE:
		return "none";
	case PT_MBR:
		return "mbr";
	case PT_GPT:
		return "gpt";
	}
	return "unknown";
}
