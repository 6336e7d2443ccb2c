/* parttab_gpt: the GPT reader of parttab (see parttab.c): the sector size
 * from where the header sits, the primary header or else a backup, the
 * entries array with its CRC, and the entries. As hostile as the rest. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include "image_internal.h"
#include <kenshu/banned.h>

#define GPT_MAX_SECTOR 4096u
#define GPT_HDR_MIN 92u
#define GPT_ENTRY_MIN 128u
#define GPT_ENTRY_MAX 4096u
#define GPT_NAME_OFF 56u
#define GPT_NAME_UNITS 36u

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
static int gpt_load(struct pt_scan *s, uint32_t ss, uint64_t lba,
		    struct gpt_hdr *h, uint8_t **arr)
{
	uint8_t sec[GPT_MAX_SECTOR];
	uint8_t *a = NULL;
	uint64_t off, arr_off, arr_lbas, arr_end;
	uint32_t hsize, crc;
	size_t bytes;
	int rc = GPT_BAD;

	*arr = NULL;
	if (__builtin_mul_overflow(lba, (uint64_t)ss, &off) || !pt_in_disk(s, off, ss)) {
		pt_why(s, "gpt header lba %" PRIu64 " is past the end of the disk", lba);
		return GPT_BAD;
	}
	if (pt_read_at(s, sec, ss, off))
		return GPT_FATAL;
	if (memcmp(sec, "EFI PART", 8)) {
		pt_why(s, "gpt header not found");
		return GPT_BAD;
	}
	hsize = load_le32(sec + 12);
	if (hsize < GPT_HDR_MIN || hsize > ss) {
		pt_why(s, "gpt header size %" PRIu32 " is invalid", hsize);
		return GPT_BAD;
	}
	crc = load_le32(sec + 16);
	memset(sec + 16, 0, 4);
	if (crc32(sec, hsize) != crc) {
		pt_why(s, "gpt header crc mismatch");
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
		pt_why(s, "gpt header at lba %" PRIu64 " says it is at lba %" PRIu64,
		       lba, h->my_lba);
		return GPT_BAD;
	}
	/* LBA 0 and 1 are always the protective MBR and the primary header. */
	if (h->first < 2 || h->first > h->last ||
	    (h->my_lba >= h->first && h->my_lba <= h->last)) {
		pt_why(s, "gpt usable area lba %" PRIu64 "..%" PRIu64 " is invalid",
		       h->first, h->last);
		return GPT_BAD;
	}
	if (h->esize < GPT_ENTRY_MIN || h->esize % 8 || h->esize > GPT_ENTRY_MAX) {
		pt_why(s, "gpt entry size %" PRIu32 " is invalid", h->esize);
		return GPT_BAD;
	}
	if (h->count > PT_MAX_GPT_ENTRIES) {
		pt_why(s, "gpt entry count %" PRIu32 " exceeds the limit of %d",
		       h->count, PT_MAX_GPT_ENTRIES);
		return GPT_BAD;
	}
	bytes = (size_t)h->count * h->esize; /* both capped above: no wrap */

	if (bytes) {
		arr_lbas = (bytes + ss - 1) / ss;
		if (h->entries_lba < 2 ||
		    __builtin_mul_overflow(h->entries_lba, (uint64_t)ss, &arr_off) ||
		    __builtin_add_overflow(h->entries_lba, arr_lbas, &arr_end) ||
		    !pt_in_disk(s, arr_off, bytes)) {
			pt_why(s, "gpt entries array at lba %" PRIu64 " lies outside the disk",
			       h->entries_lba);
			return GPT_BAD;
		}
		/* Inclusive comparisons: h->last may be UINT64_MAX. */
		if ((h->entries_lba <= h->last && h->first < arr_end) ||
		    (h->entries_lba <= h->my_lba && h->my_lba < arr_end)) {
			pt_why(s, "gpt entries array at lba %" PRIu64
			       " overlaps the usable area or its header", h->entries_lba);
			return GPT_BAD;
		}
		a = malloc(bytes);
		if (!a) {
			pt_fail(s, "out of memory");
			return GPT_FATAL;
		}
		if (pt_read_at(s, a, bytes, arr_off)) {
			rc = GPT_FATAL;
			goto out;
		}
	}
	if (crc32(a, bytes) != load_le32(sec + 88)) {
		pt_why(s, "gpt entries crc mismatch");
		goto out;
	}
	*arr = a;
	a = NULL;
	rc = GPT_OK;
out:
	free(a);
	return rc;
}

static int add_gpt_entries(struct pt_scan *s, const struct gpt_hdr *h,
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
			return pt_fail(s, "partition %u (lba %" PRIu64 "..%" PRIu64
				       ") lies outside the gpt usable area (lba %" PRIu64
				       "..%" PRIu64 ")", index, first, last, h->first, h->last);
		/* last - first + 1 cannot wrap: first >= h->first >= 2. */
		if (!pt_span_bytes(first, last - first + 1, ss, &off, &size))
			return pt_fail(s, "partition %u ends past the end of the disk (%" PRIu64
				       " bytes)", index, s->disk_size);
		e = pt_add_entry(s, index, off, size);
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

int pt_read_gpt(struct pt_scan *s, struct parttab *pt)
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
		if (!pt_in_disk(s, sizes[i], sizes[i]))
			continue;
		if (pt_read_at(s, probe, sizeof(probe), sizes[i]))
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
			if (pt_read_at(s, altb, sizeof(altb), (uint64_t)ss + 32))
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
		return pt_fail(s, "%s and no valid backup", primary_why);

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

