/* parttab: partition-table reader for raw disk images (MBR, GPT, bare volume).
 *
 * Every field read from the disk is hostile until checked: offsets and sizes
 * are computed with overflow checks, every structure must lie inside the
 * disk, loops and overlaps are errors. The disk is only ever seen through the
 * caller's read callback, and nothing here prints or exits.
 */
#include <kenshu/image.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kenshu/core.h>
#include <kenshu/banned.h>

#define MBR_SECTOR 512u
#define MBR_TABLE_OFF 446u
#define MBR_SIG_OFF 510u
#define MBR_SLOTS 4u
#define MBR_SLOT_SIZE 16u
#define MBR_FIRST_LOGICAL 5u

#define GPT_MAX_SECTOR 4096u
#define GPT_HDR_MIN 92u
#define GPT_ENTRY_MIN 128u
#define GPT_ENTRY_MAX 4096u
#define GPT_NAME_OFF 56u
#define GPT_NAME_UNITS 36u

#define WHOLE_DISK_NAME "whole disk (no partition table)"

struct scan {
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

__attribute__((format(printf, 2, 3)))
static int fail(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_vfail(s->err, KS_EINPUT, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 2, 3)))
static void why(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* A 16-entry table keeps the code small and free of mutable state while
 * still being fast enough for a 4 MiB hostile entries array. */
static uint32_t crc32(const uint8_t *p, size_t len)
{
	static const uint32_t t[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		c = (c >> 4) ^ t[c & 15];
		c = (c >> 4) ^ t[c & 15];
	}
	return c ^ 0xffffffffu;
}

static bool in_disk(const struct scan *s, uint64_t off, uint64_t len)
{
	return off <= s->disk_size && len <= s->disk_size - off;
}

static int read_at(struct scan *s, void *buf, size_t len, uint64_t off)
{
	/* The callback is never asked for bytes outside the declared disk,
	 * so callers may back it with a plain pread on a file of that size. */
	if (!in_disk(s, off, len))
		return fail(s, "read of %zu bytes at byte %" PRIu64
			    " is past the end of the disk (%" PRIu64 " bytes)",
			    len, off, s->disk_size);
	if (s->rd(s->ctx, buf, len, off) != 0)
		return fail(s, "read error at byte %" PRIu64 " (%zu bytes)", off, len);
	return 0;
}

static bool has_sig(const uint8_t *sec)
{
	return sec[MBR_SIG_OFF] == 0x55 && sec[MBR_SIG_OFF + 1] == 0xaa;
}

/* Sectors to bytes; false when the result does not fit in 64 bits. */
static bool span_bytes(uint64_t lba, uint64_t count, uint32_t ss,
		       uint64_t *off, uint64_t *size)
{
	return !__builtin_mul_overflow(lba, (uint64_t)ss, off) &&
	       !__builtin_mul_overflow(count, (uint64_t)ss, size);
}

static struct pt_entry *add_entry(struct scan *s, unsigned index,
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
			fail(s, "out of memory");
			return NULL;
		}
		v = realloc(s->v, bytes);
		if (!v) {
			fail(s, "out of memory");
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

static int add_mbr_entry(struct scan *s, unsigned index, uint8_t type,
			 uint64_t lba, uint64_t count, bool logical)
{
	uint64_t off, size;
	struct pt_entry *e;

	if (!span_bytes(lba, count, MBR_SECTOR, &off, &size))
		return fail(s, "partition %u ends past the end of the disk (%" PRIu64 " bytes)",
			    index, s->disk_size);
	e = add_entry(s, index, off, size);
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

static int check_end(struct scan *s, unsigned index, uint64_t off, uint64_t size)
{
	uint64_t end;

	if (__builtin_add_overflow(off, size, &end))
		return fail(s, "partition %u ends past the end of the disk (%" PRIu64 " bytes)",
			    index, s->disk_size);
	if (end > s->disk_size)
		return fail(s, "partition %u ends at byte %" PRIu64
			    ", past the end of the disk (%" PRIu64 " bytes)",
			    index, end, s->disk_size);
	return 0;
}

/* Walks the EBR chain of one extended partition. EBR links are relative to
 * the extended partition's start, logical starts to their own EBR. */
static int walk_ebr(struct scan *s, const struct ext *x, unsigned *nlog)
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
				return fail(s, "extended partition chain loops");
		if (nseen == PT_MAX_LOGICAL)
			return fail(s, "extended partition chain has more than %d boot records",
				    PT_MAX_LOGICAL);
		seen[nseen++] = ebr;

		if (ebr < x->start || ebr >= x->end)
			return fail(s, "extended boot record at sector %" PRIu64
				    " lies outside extended partition %u (sectors %" PRIu64
				    "..%" PRIu64 ")", ebr, x->index, x->start, x->end - 1);
		if (__builtin_mul_overflow(ebr, (uint64_t)MBR_SECTOR, &off))
			return fail(s, "extended boot record at sector %" PRIu64
				    " is past the end of the disk", ebr);
		if (read_at(s, sec, sizeof(sec), off))
			return -1;
		if (!has_sig(sec))
			return fail(s, "extended boot record at sector %" PRIu64
				    " has no 0x55aa signature", ebr);

		/* An empty first slot is legal (a chain with no logicals yet)
		 * and, like Linux, does not consume a partition number. */
		if (lp[4] != 0 && load_le32(lp + 12) != 0) {
			unsigned index = MBR_FIRST_LOGICAL + *nlog;
			uint64_t rel = load_le32(lp + 8);

			if (*nlog >= PT_MAX_LOGICAL)
				return fail(s, "more than %d logical partitions", PT_MAX_LOGICAL);
			if (rel == 0)
				return fail(s, "logical partition %u overlaps its extended boot record",
					    index);
			if (__builtin_add_overflow(ebr, rel, &start) ||
			    __builtin_add_overflow(start, (uint64_t)load_le32(lp + 12), &end) ||
			    end > x->end)
				return fail(s, "logical partition %u lies outside extended partition %u"
					    " (sectors %" PRIu64 "..%" PRIu64 ")",
					    index, x->index, x->start, x->end - 1);
			if (add_mbr_entry(s, index, lp[4], start, end - start, true))
				return -1;
			(*nlog)++;
		}

		if (np[4] == 0 || load_le32(np + 12) == 0)
			return 0;
		if (__builtin_add_overflow(x->start, (uint64_t)load_le32(np + 8), &link))
			return fail(s, "extended partition chain points past the end of the disk");
		ebr = link;
	}
}

static int read_mbr(struct scan *s, const uint8_t *mbr)
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
			return fail(s, "partition %u starts at sector 0, over the partition table",
				    index);
		if (!is_extended(type)) {
			if (add_mbr_entry(s, index, type, lba, count, false))
				return -1;
			continue;
		}
		/* The container is never listed, so its bounds are checked
		 * here rather than by check_layout. */
		if (!span_bytes(lba, count, MBR_SECTOR, &off, &size))
			return fail(s, "partition %u ends past the end of the disk (%" PRIu64
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
				return fail(s, "partitions %u and %u overlap", lo, hi);
			}
		}
		for (size_t j = k + 1; j < next; j++)
			if (ranges_overlap(ext[k].start, ext[k].end, ext[j].start, ext[j].end))
				return fail(s, "partitions %u and %u overlap",
					    ext[k].index, ext[j].index);
	}

	for (size_t k = 0; k < next; k++)
		if (walk_ebr(s, &ext[k], &nlog))
			return -1;
	return 0;
}

/* ---- GPT ---- */

struct gpt_type {
	const char *guid;
	bool reserved;
	const char *name;
};

static const struct gpt_type gpt_types[] = {
	{ "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", false, "EFI System" },
	{ "E3C9E316-0B5C-4DB8-817D-F92DF00215AE", true, "Microsoft reserved" },
	{ "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", false, "Microsoft basic data" },
	{ "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", false, "Windows recovery" },
	{ "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3", true, "LDM metadata" },
	{ "AF9B60A0-1431-4F62-BC68-3311714A69AD", false, "LDM data" },
	{ "E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D", false, "Storage Spaces" },
	{ "21686148-6449-6E6F-744E-656564454649", true, "BIOS boot" },
	{ "0FC63DAF-8483-4772-8E79-3D69D8477DE4", false, "Linux filesystem" },
	{ "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", false, "Linux root (x86-64)" },
	{ "933AC7E1-2EB4-4F13-B844-0E14E2AEF915", false, "Linux home" },
	{ "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", true, "Linux swap" },
	{ "E6D6D379-F507-44C2-A23C-238F2A3DF928", false, "Linux LVM" },
	{ "A19D880F-05FC-4D3B-A006-743F0F84911E", false, "Linux RAID" },
};

/* On-disk GUIDs store the first three fields little-endian, the rest as
 * bytes; the canonical text is what Windows tools and docs show. */
static void guid_text(char out[37], const uint8_t *g)
{
	snprintf(out, 37, "%08" PRIX32 "-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 load_le32(g), (unsigned)load_le16(g + 4), (unsigned)load_le16(g + 6),
		 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

/* The name ends at its first NUL unit; lone surrogates become U+FFFD.
 * 36 UTF-16 units need at most 108 UTF-8 bytes, so the name always fits;
 * the bound only guards against a future smaller buffer. */
static void utf16le_name(char *out, size_t outlen, const uint8_t *in, size_t units)
{
	size_t n = 0;
	char *s;

	while (n < units && load_le16(in + 2 * n))
		n++;
	s = utf16le_to_utf8(in, n, NULL);
	snprintf(out, outlen, "%s", s);
	free(s);
}

struct gpt_hdr {
	uint64_t my_lba, alt_lba, first, last, entries_lba;
	uint32_t count, esize;
	uint8_t disk_guid[16];
};

enum { GPT_FATAL = -1, GPT_OK = 0, GPT_BAD = 1 };

/* Loads the header at lba and its entries array into *arr (malloc'd, NULL
 * when the array is empty). GPT_BAD means damaged, reason in s->why, and a
 * backup may still save the day; GPT_FATAL (read error, no memory) has the
 * reason in err and ends the scan. */
static int gpt_load(struct scan *s, uint32_t ss, uint64_t lba,
		    struct gpt_hdr *h, uint8_t **arr)
{
	uint8_t sec[GPT_MAX_SECTOR];
	uint8_t *a = NULL;
	uint64_t off, arr_off, arr_lbas, arr_end;
	uint32_t hsize, crc;
	size_t bytes;
	int rc = GPT_BAD;

	*arr = NULL;
	if (__builtin_mul_overflow(lba, (uint64_t)ss, &off) || !in_disk(s, off, ss)) {
		why(s, "gpt header lba %" PRIu64 " is past the end of the disk", lba);
		return GPT_BAD;
	}
	if (read_at(s, sec, ss, off))
		return GPT_FATAL;
	if (memcmp(sec, "EFI PART", 8)) {
		why(s, "gpt header not found");
		return GPT_BAD;
	}
	hsize = load_le32(sec + 12);
	if (hsize < GPT_HDR_MIN || hsize > ss) {
		why(s, "gpt header size %" PRIu32 " is invalid", hsize);
		return GPT_BAD;
	}
	crc = load_le32(sec + 16);
	memset(sec + 16, 0, 4);
	if (crc32(sec, hsize) != crc) {
		why(s, "gpt header crc mismatch");
		return GPT_BAD;
	}

	h->my_lba = load_le64(sec + 24);
	h->alt_lba = load_le64(sec + 32);
	h->first = load_le64(sec + 40);
	h->last = load_le64(sec + 48);
	memcpy(h->disk_guid, sec + 56, 16);
	h->entries_lba = load_le64(sec + 72);
	h->count = load_le32(sec + 80);
	h->esize = load_le32(sec + 84);

	/* A copied header left at the wrong place would describe another
	 * disk's geometry. */
	if (h->my_lba != lba) {
		why(s, "gpt header at lba %" PRIu64 " says it is at lba %" PRIu64,
		    lba, h->my_lba);
		return GPT_BAD;
	}
	/* LBA 0 and 1 are always the protective MBR and the primary header. */
	if (h->first < 2 || h->first > h->last ||
	    (h->my_lba >= h->first && h->my_lba <= h->last)) {
		why(s, "gpt usable area lba %" PRIu64 "..%" PRIu64 " is invalid",
		    h->first, h->last);
		return GPT_BAD;
	}
	if (h->esize < GPT_ENTRY_MIN || h->esize % 8 || h->esize > GPT_ENTRY_MAX) {
		why(s, "gpt entry size %" PRIu32 " is invalid", h->esize);
		return GPT_BAD;
	}
	if (h->count > PT_MAX_GPT_ENTRIES) {
		why(s, "gpt entry count %" PRIu32 " exceeds the limit of %d",
		    h->count, PT_MAX_GPT_ENTRIES);
		return GPT_BAD;
	}
	bytes = (size_t)h->count * h->esize; /* both capped above: no wrap */

	if (bytes) {
		arr_lbas = (bytes + ss - 1) / ss;
		if (h->entries_lba < 2 ||
		    __builtin_mul_overflow(h->entries_lba, (uint64_t)ss, &arr_off) ||
		    __builtin_add_overflow(h->entries_lba, arr_lbas, &arr_end) ||
		    !in_disk(s, arr_off, bytes)) {
			why(s, "gpt entries array at lba %" PRIu64 " lies outside the disk",
			    h->entries_lba);
			return GPT_BAD;
		}
		/* Inclusive comparisons: h->last may be UINT64_MAX. */
		if ((h->entries_lba <= h->last && h->first < arr_end) ||
		    (h->entries_lba <= h->my_lba && h->my_lba < arr_end)) {
			why(s, "gpt entries array at lba %" PRIu64
			    " overlaps the usable area or its header", h->entries_lba);
			return GPT_BAD;
		}
		a = malloc(bytes);
		if (!a) {
			fail(s, "out of memory");
			return GPT_FATAL;
		}
		if (read_at(s, a, bytes, arr_off)) {
			rc = GPT_FATAL;
			goto out;
		}
	}
	if (crc32(a, bytes) != load_le32(sec + 88)) {
		why(s, "gpt entries crc mismatch");
		goto out;
	}
	*arr = a;
	a = NULL;
	rc = GPT_OK;
out:
	free(a);
	return rc;
}

static int add_gpt_entries(struct scan *s, const struct gpt_hdr *h,
			   const uint8_t *arr, uint32_t ss)
{
	for (uint32_t i = 0; i < h->count; i++) {
		const uint8_t *p = arr + (size_t)i * h->esize;
		unsigned index = i + 1;
		uint64_t first = load_le64(p + 32), last = load_le64(p + 40);
		uint64_t off, size;
		struct pt_entry *e;

		if (mem_is_zero(p, 16))
			continue;
		if (first > last || first < h->first || last > h->last)
			return fail(s, "partition %u (lba %" PRIu64 "..%" PRIu64
				    ") lies outside the gpt usable area (lba %" PRIu64
				    "..%" PRIu64 ")", index, first, last, h->first, h->last);
		/* last - first + 1 cannot wrap: first >= h->first >= 2. */
		if (!span_bytes(first, last - first + 1, ss, &off, &size))
			return fail(s, "partition %u ends past the end of the disk (%" PRIu64
				    " bytes)", index, s->disk_size);
		e = add_entry(s, index, off, size);
		if (!e)
			return -1;
		guid_text(e->gpt_type, p);
		guid_text(e->gpt_guid, p + 16);
		utf16le_name(e->name, sizeof(e->name), p + GPT_NAME_OFF, GPT_NAME_UNITS);
		for (size_t t = 0; t < sizeof(gpt_types) / sizeof(gpt_types[0]); t++) {
			if (!strcmp(gpt_types[t].guid, e->gpt_type)) {
				e->type_name = gpt_types[t].name;
				e->reserved = gpt_types[t].reserved;
				break;
			}
		}
	}
	return 0;
}

static int read_gpt(struct scan *s, struct parttab *pt)
{
	static const uint32_t sizes[] = { 512, 4096 };
	char primary_why[sizeof(s->why)];
	struct gpt_hdr h;
	uint8_t *arr = NULL;
	uint8_t probe[8];
	uint32_t ss = 0;
	bool backup = false;
	int rc = -1, r = GPT_BAD;

	/* The sector size is not recorded anywhere but in where the header
	 * sits: LBA 1 is byte 512 on 512-byte disks, byte 4096 on 4Kn. */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (!in_disk(s, sizes[i], sizes[i]))
			continue;
		if (read_at(s, probe, sizeof(probe), sizes[i]))
			return -1;
		if (!memcmp(probe, "EFI PART", 8)) {
			ss = sizes[i];
			break;
		}
	}

	if (ss) {
		uint8_t altb[8];
		uint64_t last = s->disk_size / ss - 1, alt;

		r = gpt_load(s, ss, 1, &h, &arr);
		if (r == GPT_FATAL)
			return -1;
		if (r == GPT_BAD) {
			memcpy(primary_why, s->why, sizeof(primary_why));
			if (read_at(s, altb, sizeof(altb), (uint64_t)ss + 32))
				return -1;
			alt = load_le64(altb);
			backup = true;
			if (last >= 2)
				r = gpt_load(s, ss, last, &h, &arr);
			/* A disk grown after partitioning keeps its backup
			 * where the primary says, not at the new last LBA. */
			if (r == GPT_BAD && alt != last && alt >= 2 && alt < s->disk_size / ss)
				r = gpt_load(s, ss, alt, &h, &arr);
		}
	} else {
		snprintf(primary_why, sizeof(primary_why), "gpt header not found");
		backup = true;
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && r == GPT_BAD; i++) {
			if (s->disk_size / sizes[i] < 3)
				continue;
			ss = sizes[i];
			r = gpt_load(s, ss, s->disk_size / ss - 1, &h, &arr);
		}
	}
	if (r == GPT_FATAL)
		return -1;
	if (r == GPT_BAD)
		return fail(s, "%s and no valid backup", primary_why);

	pt->sector_size = ss;
	pt->gpt_backup_used = backup;
	guid_text(pt->gpt_disk_guid, h.disk_guid);
	if (add_gpt_entries(s, &h, arr, ss))
		goto out;
	rc = 0;
out:
	free(arr);
	return rc;
}

/* ---- common ---- */

static int by_index(const void *a, const void *b)
{
	const struct pt_entry *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

static int check_layout(struct scan *s)
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
				return fail(s, "partitions %u and %u overlap", a->index, b->index);
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
	struct scan s = {
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
		fail(&s, "disk too small for a partition table (%" PRIu64 " bytes)", disk_size);
		goto out;
	}
	if (read_at(&s, sec0, sizeof(sec0), 0))
		goto out;

	if (is_bare_volume(sec0)) {
		struct pt_entry *e = add_entry(&s, 1, 0, disk_size);

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
		if (read_gpt(&s, pt))
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
