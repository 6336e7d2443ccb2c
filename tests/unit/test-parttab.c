/* Unit tests for parttab: disk images are built in memory (MBR, EBR chains,
 * GPT with real CRCs) and read through a memory-backed callback. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/image.h>

#include "bytes.h"

#define SECTOR 512u

/* ---- memory disk ---- */

struct memdisk {
	uint8_t *buf;       /* backing bytes; reads beyond them see zeros (sparse) */
	size_t len;
	uint64_t size;      /* declared disk size handed to parttab_read */
	uint64_t fail_from; /* reads touching this byte or later fail */
	unsigned reads;
	unsigned bad_reads; /* reads outside the declared size: must stay 0 */
};

static int md_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct memdisk *d = ctx;
	size_t have = 0;

	d->reads++;
	if (off > d->size || len > d->size - off) {
		d->bad_reads++;
		return -1;
	}
	if (off + len > d->fail_from)
		return -1;
	if (off < d->len)
		have = d->len - off < len ? (size_t)(d->len - off) : len;
	if (have)
		memcpy(buf, d->buf + off, have);
	memset((uint8_t *)buf + have, 0, len - have);
	return 0;
}

static struct memdisk md(uint8_t *buf, size_t len, uint64_t size)
{
	struct memdisk d = { .buf = buf, .len = len, .size = size, .fail_from = UINT64_MAX };

	return d;
}

static int scan(struct parttab *pt, struct memdisk *d, struct ks_err *err)
{
	int rc = parttab_read(pt, md_read, d, d->size, err);

	assert_int_equal(d->bad_reads, 0);
	if (rc != 0) {
		/* The contract on failure: a message, and nothing left to free. */
		assert_int_equal(rc, -1);
		assert_true(err->msg[0] != '\0');
		assert_null(pt->entries);
		assert_int_equal(pt->n, 0);
	} else {
		assert_string_equal(err, "");
	}
	return rc;
}

static void expect_error(struct memdisk *d, const char *want)
{
	struct parttab pt;
	struct ks_err err;

	memset(&pt, 0xa5, sizeof(pt));
	assert_int_equal(scan(&pt, d, &err), -1);
	assert_string_equal(err.msg, want);
}

static void expect_error_prefix(struct memdisk *d, const char *want)
{
	struct parttab pt;
	struct ks_err err;

	assert_int_equal(scan(&pt, d, &err), -1);
	if (strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, want);
}

/* ---- little-endian writers and an independent bitwise CRC32 ---- */

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t tcrc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? 0xedb88320u : 0);
	}
	return ~c;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Text GUID to the on-disk mixed-endian layout. */
static void guid_bytes(uint8_t out[16], const char *text)
{
	uint8_t be[16];
	size_t n = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '-')
			continue;
		assert_true(p[1] != '\0');
		assert_true(hexval(p[0]) >= 0 && hexval(p[1]) >= 0);
		assert_true(n < 16);
		be[n++] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
		p++;
	}
	assert_int_equal(n, 16);
	out[0] = be[3];
	out[1] = be[2];
	out[2] = be[1];
	out[3] = be[0];
	out[4] = be[5];
	out[5] = be[4];
	out[6] = be[7];
	out[7] = be[6];
	memcpy(out + 8, be + 8, 8);
}

/* ---- MBR / EBR builder ---- */

static void mbr_slot(uint8_t *sec, unsigned slot, uint8_t type, uint32_t lba, uint32_t count)
{
	uint8_t *p = sec + 446 + 16 * slot;

	memset(p, 0, 16);
	p[0] = slot == 0 ? 0x80 : 0x00;
	p[4] = type;
	set32(p + 8, lba);
	set32(p + 12, count);
	sec[510] = 0x55;
	sec[511] = 0xaa;
}

static uint8_t *sector(uint8_t *img, uint64_t lba)
{
	return img + lba * SECTOR;
}

/* ---- GPT builder ---- */

#define GUID_EFI "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GUID_MSR "E3C9E316-0B5C-4DB8-817D-F92DF00215AE"
#define GUID_DATA "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
#define GUID_RECOVERY "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC"
#define GUID_LDM_META "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3"
#define GUID_LDM_DATA "AF9B60A0-1431-4F62-BC68-3311714A69AD"
#define GUID_BIOS "21686148-6449-6E6F-744E-656564454649"
#define GUID_LINUX "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
#define GUID_SWAP "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
#define DISK_GUID "11223344-5566-7788-99AA-BBCCDDEEFF00"

struct gpt_part {
	unsigned slot; /* 0-based */
	const char *type;
	const char *guid;
	uint64_t first, last;
	const uint16_t *name; /* NUL-terminated UTF-16, or NULL */
	size_t name_units;    /* when nonzero: exact units, no terminator needed */
};

struct gpt_layout {
	uint32_t ss;
	uint64_t lbas;
	uint32_t count, esize;
};

struct gpt_geo {
	uint64_t esec, first, last, backup_entries, backup_hdr;
};

static struct gpt_geo gpt_geometry(const struct gpt_layout *l)
{
	struct gpt_geo g;

	g.esec = ((uint64_t)l->count * l->esize + l->ss - 1) / l->ss;
	g.first = 2 + g.esec;
	g.backup_hdr = l->lbas - 1;
	g.backup_entries = g.backup_hdr - g.esec;
	g.last = g.backup_entries - 1;
	return g;
}

/* Recomputes the entries CRC and header CRC of the header at lba, but only
 * where the fields are sane enough not to run off the image (the fuzzer
 * calls this on mutated headers). */
static void gpt_rehash(uint8_t *img, size_t len, uint32_t ss, uint64_t lba)
{
	uint8_t *h;
	uint64_t elba;
	uint32_t count, esize, hsize;

	if (lba > len / ss - 1)
		return;
	h = img + lba * ss;
	elba = get64(h + 72);
	count = get32(h + 80);
	esize = get32(h + 84);
	hsize = get32(h + 12);
	if (count <= 4096 && esize <= 8192 && elba < len / ss &&
	    (uint64_t)count * esize <= len - elba * ss)
		set32(h + 88, tcrc32(img + elba * ss, (size_t)count * esize));
	if (hsize >= 4 && hsize <= ss) {
		set32(h + 16, 0);
		set32(h + 16, tcrc32(h, hsize));
	}
}

static void gpt_header(uint8_t *img, const struct gpt_layout *l, uint64_t my,
		       uint64_t alt, uint64_t elba)
{
	struct gpt_geo g = gpt_geometry(l);
	uint8_t *h = img + my * l->ss;

	memset(h, 0, l->ss);
	memcpy(h, "EFI PART", 8);
	set32(h + 8, 0x00010000);
	set32(h + 12, 92);
	set64(h + 24, my);
	set64(h + 32, alt);
	set64(h + 40, g.first);
	set64(h + 48, g.last);
	guid_bytes(h + 56, DISK_GUID);
	set64(h + 72, elba);
	set32(h + 80, l->count);
	set32(h + 84, l->esize);
}

static uint8_t *gpt_build(const struct gpt_layout *l, const struct gpt_part *parts,
			  size_t np, size_t *len)
{
	struct gpt_geo g = gpt_geometry(l);
	size_t size = (size_t)(l->ss * l->lbas);
	uint8_t *img = calloc(1, size);
	uint8_t *ents;

	assert_non_null(img);
	mbr_slot(img, 0, 0xee, 1, l->lbas - 1 > 0xffffffffu ? 0xffffffffu : (uint32_t)(l->lbas - 1));
	img[446] = 0;

	ents = img + 2 * l->ss;
	for (size_t i = 0; i < np; i++) {
		uint8_t *e = ents + (size_t)parts[i].slot * l->esize;

		assert_true(parts[i].slot < l->count);
		guid_bytes(e, parts[i].type);
		guid_bytes(e + 16, parts[i].guid);
		set64(e + 32, parts[i].first);
		set64(e + 40, parts[i].last);
		if (parts[i].name) {
			size_t n = parts[i].name_units;

			if (!n)
				while (parts[i].name[n])
					n++;
			assert_true(n <= 36);
			for (size_t k = 0; k < n; k++)
				set16(e + 56 + 2 * k, parts[i].name[k]);
		}
	}
	memcpy(img + g.backup_entries * l->ss, ents, (size_t)(g.esec * l->ss));
	gpt_header(img, l, 1, g.backup_hdr, 2);
	gpt_header(img, l, g.backup_hdr, 1, g.backup_entries);
	gpt_rehash(img, size, l->ss, 1);
	gpt_rehash(img, size, l->ss, g.backup_hdr);
	*len = size;
	return img;
}

/* A 4 MiB 512-byte-sector disk the way Windows lays one out. */
static const uint16_t name_efi[] = { 'E', 'F', 'I', ' ', 's', 'y', 's', 't', 'e', 'm', 0 };
static const uint16_t name_msr[] = { 'M', 'S', 'R', 0 };
static const uint16_t name_jp[] = { 0x30c7, 0x30fc, 0x30bf, 0 }; /* データ */

static const struct gpt_layout std_layout = { 512, 8192, 128, 128 };
static const struct gpt_part std_parts[] = {
	{ 0, GUID_EFI, "0A0B0C0D-0E0F-1011-1213-141516171819", 40, 1063, name_efi, 0 },
	{ 1, GUID_MSR, "00000000-0000-0000-0000-000000000001", 1064, 1095, name_msr, 0 },
	{ 3, GUID_DATA, "DEADBEEF-CAFE-F00D-8899-AABBCCDDEEFF", 2048, 8158, name_jp, 0 },
};

static uint8_t *std_gpt(size_t *len)
{
	return gpt_build(&std_layout, std_parts, 3, len);
}

static uint8_t *gpt_entry(uint8_t *img, const struct gpt_layout *l, uint64_t elba, unsigned slot)
{
	return img + elba * l->ss + (size_t)slot * l->esize;
}

/* ---- invariants shared with the fuzzer ---- */

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
			(*p & 0xf8) == 0xf0 ? 3 : -1;

		if (n < 0)
			return false;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static void check_sane(const struct parttab *pt, uint64_t disk_size)
{
	assert_true(pt->scheme == PT_NONE || pt->scheme == PT_MBR || pt->scheme == PT_GPT);
	assert_true(pt->sector_size == 512 || pt->sector_size == 4096);
	assert_true(pt->disk_size == disk_size);
	assert_true((pt->n == 0) == (pt->entries == NULL));
	for (size_t i = 0; i < pt->n; i++) {
		const struct pt_entry *e = &pt->entries[i];

		assert_true(e->index >= 1);
		if (i)
			assert_true(e->index > pt->entries[i - 1].index);
		assert_true(e->size > 0);
		assert_true(e->offset <= disk_size && e->size <= disk_size - e->offset);
		assert_non_null(e->type_name);
		assert_true(strlen(e->type_name) > 0);
		assert_true(memchr(e->gpt_type, 0, sizeof(e->gpt_type)) != NULL);
		assert_true(memchr(e->gpt_guid, 0, sizeof(e->gpt_guid)) != NULL);
		assert_true(memchr(e->name, 0, sizeof(e->name)) != NULL);
		assert_true(utf8_valid(e->name));
		for (size_t j = 0; j < i; j++) {
			const struct pt_entry *f = &pt->entries[j];

			assert_false(e->offset < f->offset + f->size && f->offset < e->offset + e->size);
		}
	}
}

static const struct pt_entry *find(const struct parttab *pt, unsigned index)
{
	for (size_t i = 0; i < pt->n; i++)
		if (pt->entries[i].index == index)
			return &pt->entries[i];
	fail_msg("no entry with index %u", index);
	return NULL;
}

/* ---- helpers' own sanity ---- */

static void test_helpers(void **state)
{
	static const uint8_t data_raw[16] = {
		0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44,
		0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7,
	};
	uint8_t g[16];

	(void)state;
	assert_int_equal(tcrc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
	guid_bytes(g, GUID_DATA);
	assert_memory_equal(g, data_raw, 16);
	assert_string_equal(pt_scheme_name(PT_NONE), "none");
	assert_string_equal(pt_scheme_name(PT_MBR), "mbr");
	assert_string_equal(pt_scheme_name(PT_GPT), "gpt");
}

/* ---- GPT ---- */

static void test_gpt_512(void **state)
{
	struct parttab pt;
	size_t len;
	uint8_t *img = std_gpt(&len);
	struct memdisk d = md(img, len, len);
	struct ks_err err;
	const struct pt_entry *e;

	(void)state;
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, len);
	assert_int_equal(pt.scheme, PT_GPT);
	assert_int_equal(pt.sector_size, 512);
	assert_false(pt.gpt_backup_used);
	assert_int_equal(pt.disk_size, 8192 * 512);
	assert_string_equal(pt.gpt_disk_guid, DISK_GUID);
	assert_int_equal(pt.n, 3);

	e = &pt.entries[0];
	assert_int_equal(e->index, 1);
	assert_int_equal(e->offset, 40 * 512);
	assert_int_equal(e->size, 1024 * 512);
	assert_string_equal(e->gpt_type, GUID_EFI);
	assert_string_equal(e->gpt_guid, "0A0B0C0D-0E0F-1011-1213-141516171819");
	assert_string_equal(e->type_name, "EFI System");
	assert_string_equal(e->name, "EFI system");
	assert_false(e->reserved);
	assert_false(e->logical);
	assert_int_equal(e->mbr_type, 0);

	e = &pt.entries[1];
	assert_int_equal(e->index, 2);
	assert_int_equal(e->offset, 1064 * 512);
	assert_int_equal(e->size, 32 * 512);
	assert_string_equal(e->type_name, "Microsoft reserved");
	assert_true(e->reserved);
	assert_string_equal(e->name, "MSR");
	assert_string_equal(e->gpt_guid, "00000000-0000-0000-0000-000000000001");

	/* Slot 3 (index 3) is empty and must not appear. */
	e = &pt.entries[2];
	assert_int_equal(e->index, 4);
	assert_int_equal(e->offset, 2048 * 512);
	assert_int_equal(e->size, (uint64_t)(8158 - 2048 + 1) * 512);
	assert_string_equal(e->gpt_type, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
	assert_string_equal(e->gpt_guid, "DEADBEEF-CAFE-F00D-8899-AABBCCDDEEFF");
	assert_string_equal(e->type_name, "Microsoft basic data");
	assert_false(e->reserved);
	assert_string_equal(e->name, "\xe3\x83\x87\xe3\x83\xbc\xe3\x82\xbf");

	parttab_release(&pt);
	assert_null(pt.entries);
	assert_int_equal(pt.n, 0);
	parttab_release(&pt); /* twice: a zeroed table is fine */
	free(img);
}

static void test_gpt_type_names(void **state)
{
	static const struct {
		const char *guid, *name;
		bool reserved;
	} want[] = {
		{ GUID_RECOVERY, "Windows recovery", false },
		{ GUID_LDM_META, "LDM metadata", true },
		{ GUID_LDM_DATA, "LDM data", false },
		{ GUID_BIOS, "BIOS boot", true },
		{ GUID_LINUX, "Linux filesystem", false },
		{ GUID_SWAP, "Linux swap", true },
		{ "01234567-89AB-CDEF-0123-456789ABCDEF", "unknown", false },
	};
	struct gpt_part parts[7];
	struct parttab pt;
	size_t len;
	uint8_t *img;
	struct memdisk d;
	struct ks_err err;

	(void)state;
	for (unsigned i = 0; i < 7; i++) {
		parts[i] = (struct gpt_part){ i, want[i].guid, "00000000-0000-0000-0000-0000000000AA",
					      100 + 100 * i, 199 + 100 * i, NULL, 0 };
	}
	img = gpt_build(&std_layout, parts, 7, &len);
	d = md(img, len, len);
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, len);
	assert_int_equal(pt.n, 7);
	for (unsigned i = 0; i < 7; i++) {
		assert_int_equal(pt.entries[i].index, i + 1);
		assert_string_equal(pt.entries[i].type_name, want[i].name);
		assert_int_equal(pt.entries[i].reserved, want[i].reserved);
		assert_string_equal(pt.entries[i].gpt_type, want[i].guid);
		assert_string_equal(pt.entries[i].name, "");
	}
	parttab_release(&pt);
	free(img);
}

static void test_gpt_names_utf8(void **state)
{
	static const uint16_t clef[] = { 'a', 0xd834, 0xdd1e, 'b', 0 };  /* U+1D11E */
	static const uint16_t lone_hi[] = { 'x', 0xd800, 'y', 0 };
	static const uint16_t lone_lo[] = { 0xdc00, 'z', 0 };
	static const uint16_t hi_at_end[] = { 'q', 0xd83d, 0 };
	static const uint16_t mixed[] = { 0xe9, 0x3b1, 0x65e5, 0 }; /* é α 日 */
	uint16_t full[36];
	struct gpt_part parts[6];
	struct parttab pt;
	size_t len;
	uint8_t *img;
	struct memdisk d;
	struct ks_err err;
	char want[160];

	(void)state;
	for (unsigned i = 0; i < 36; i++)
		full[i] = 0x3042; /* あ, no terminator: fills all 36 units */
	want[0] = '\0';
	for (unsigned i = 0; i < 36; i++)
		memcpy(want + 3 * i, "\xe3\x81\x82", 4);

	parts[0] = (struct gpt_part){ 0, GUID_DATA, DISK_GUID, 100, 199, clef, 0 };
	parts[1] = (struct gpt_part){ 1, GUID_DATA, DISK_GUID, 200, 299, lone_hi, 0 };
	parts[2] = (struct gpt_part){ 2, GUID_DATA, DISK_GUID, 300, 399, lone_lo, 0 };
	parts[3] = (struct gpt_part){ 3, GUID_DATA, DISK_GUID, 400, 499, hi_at_end, 0 };
	parts[4] = (struct gpt_part){ 4, GUID_DATA, DISK_GUID, 500, 599, mixed, 0 };
	parts[5] = (struct gpt_part){ 5, GUID_DATA, DISK_GUID, 600, 699, full, 36 };
	img = gpt_build(&std_layout, parts, 6, &len);
	d = md(img, len, len);
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, len);
	assert_int_equal(pt.n, 6);
	assert_string_equal(find(&pt, 1)->name, "a\xf0\x9d\x84\x9e" "b");
	assert_string_equal(find(&pt, 2)->name, "x\xef\xbf\xbdy");
	assert_string_equal(find(&pt, 3)->name, "\xef\xbf\xbdz");
	assert_string_equal(find(&pt, 4)->name, "q\xef\xbf\xbd");
	assert_string_equal(find(&pt, 5)->name, "\xc3\xa9\xce\xb1\xe6\x97\xa5");
	assert_string_equal(find(&pt, 6)->name, want);
	assert_int_equal(strlen(find(&pt, 6)->name), 108);
	parttab_release(&pt);
	free(img);
}

static void test_gpt_4096(void **state)
{
	static const struct gpt_layout l = { 4096, 1024, 128, 128 };
	const struct gpt_part parts[] = {
		{ 0, GUID_EFI, DISK_GUID, 6, 69, NULL, 0 },
		{ 1, GUID_DATA, DISK_GUID, 256, 1018, name_jp, 0 },
	};
	struct gpt_geo g = gpt_geometry(&l);
	struct parttab pt;
	size_t len;
	uint8_t *img = gpt_build(&l, parts, 2, &len);
	struct memdisk d = md(img, len, len);
	struct ks_err err;

	(void)state;
	assert_int_equal(g.first, 6);
	assert_int_equal(g.last, 1018);
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, len);
	assert_int_equal(pt.scheme, PT_GPT);
	assert_int_equal(pt.sector_size, 4096);
	assert_false(pt.gpt_backup_used);
	assert_int_equal(pt.n, 2);
	assert_int_equal(pt.entries[0].offset, 6 * 4096);
	assert_int_equal(pt.entries[0].size, 64 * 4096);
	assert_int_equal(pt.entries[1].offset, 256 * 4096);
	assert_int_equal(pt.entries[1].size, (uint64_t)(1018 - 256 + 1) * 4096);
	assert_string_equal(pt.entries[1].name, "\xe3\x83\x87\xe3\x83\xbc\xe3\x82\xbf");
	parttab_release(&pt);

	/* Primary wiped: the sector size must be found from the backup. */
	memset(img + 4096, 0, 4096);
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, len);
	assert_int_equal(pt.sector_size, 4096);
	assert_true(pt.gpt_backup_used);
	assert_int_equal(pt.n, 2);
	assert_int_equal(pt.entries[1].offset, 256 * 4096);
	parttab_release(&pt);
	free(img);
}

static void expect_backup(uint8_t *img, size_t len, uint64_t disk_size)
{
	struct parttab pt;
	struct memdisk d = md(img, len, disk_size);
	struct ks_err err;

	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, disk_size);
	assert_int_equal(pt.scheme, PT_GPT);
	assert_true(pt.gpt_backup_used);
	assert_int_equal(pt.n, 3);
	assert_int_equal(pt.entries[2].index, 4);
	assert_int_equal(pt.entries[2].offset, 2048 * 512);
	assert_string_equal(pt.entries[2].type_name, "Microsoft basic data");
	assert_string_equal(pt.gpt_disk_guid, DISK_GUID);
	parttab_release(&pt);
}

static void test_gpt_primary_damaged(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	uint8_t *saved = malloc(len);

	(void)state;
	assert_non_null(saved);
	memcpy(saved, img, len);

	img[512 + 40] ^= 1; /* first usable LBA: header CRC no longer matches */
	expect_backup(img, len, len);

	memcpy(img, saved, len);
	memset(img + 512, 0, 8); /* signature gone */
	expect_backup(img, len, len);

	memcpy(img, saved, len);
	img[2 * 512 + 200] ^= 0x40; /* primary entries array damaged */
	expect_backup(img, len, len);

	memcpy(img, saved, len);
	set32(img + 512 + 84, 100); /* bogus entry size with a valid CRC */
	gpt_rehash(img, len, 512, 1);
	expect_backup(img, len, len);

	free(saved);
	free(img);
}

static void test_gpt_backup_at_alternate_lba(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	uint64_t grown = len + 64 * 512;
	uint8_t *big = calloc(1, (size_t)grown);

	(void)state;
	/* The disk grew after partitioning: the last LBA holds nothing and
	 * only the primary's alternate LBA leads to the backup. */
	assert_non_null(big);
	memcpy(big, img, len);
	big[512 + 16] ^= 0xff;
	expect_backup(big, (size_t)grown, grown);
	free(big);
	free(img);
}

static void test_gpt_both_damaged(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	struct memdisk d = md(img, len, len);
	struct gpt_geo g = gpt_geometry(&std_layout);

	(void)state;
	img[512 + 40] ^= 1;
	img[g.backup_hdr * 512 + 40] ^= 1;
	expect_error(&d, "gpt header crc mismatch and no valid backup");

	memset(img + 512, 0, 512);
	memset(img + g.backup_hdr * 512, 0, 512);
	expect_error(&d, "gpt header not found and no valid backup");
	free(img);
}

static void test_gpt_entries_crc(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	struct memdisk d = md(img, len, len);
	struct gpt_geo g = gpt_geometry(&std_layout);

	(void)state;
	/* Same bit flipped in both arrays: neither copy is trustworthy. */
	img[2 * 512 + 3 * 128 + 60] ^= 0x01;
	img[g.backup_entries * 512 + 3 * 128 + 60] ^= 0x01;
	expect_error(&d, "gpt entries crc mismatch and no valid backup");
	free(img);
}

static void set_both(uint8_t *img, size_t len, unsigned off, uint32_t v)
{
	struct gpt_geo g = gpt_geometry(&std_layout);

	set32(img + 512 + off, v);
	set32(img + g.backup_hdr * 512 + off, v);
	gpt_rehash(img, len, 512, 1);
	gpt_rehash(img, len, 512, g.backup_hdr);
}

static void test_gpt_entry_count_huge(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	struct memdisk d = md(img, len, len);

	(void)state;
	set_both(img, len, 80, 100000);
	expect_error(&d, "gpt entry count 100000 exceeds the limit of 1024 and no valid backup");
	set_both(img, len, 80, PT_MAX_GPT_ENTRIES + 1); /* the cap itself, not a side effect */
	expect_error(&d, "gpt entry count 1025 exceeds the limit of 1024 and no valid backup");
	set_both(img, len, 80, 0xffffffffu);
	expect_error(&d, "gpt entry count 4294967295 exceeds the limit of 1024 and no valid backup");
	free(img);
}

static void test_gpt_entry_size_bogus(void **state)
{
	static const uint32_t bad[] = { 0, 8, 100, 127, 132, 8192, 0xffffffffu };
	size_t len;
	uint8_t *img = std_gpt(&len);
	struct memdisk d = md(img, len, len);
	char want[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_both(img, len, 84, bad[i]);
		snprintf(want, sizeof(want), "gpt entry size %u is invalid and no valid backup",
			 (unsigned)bad[i]);
		expect_error(&d, want);
	}
	free(img);
}

static void test_gpt_header_size_bogus(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	struct memdisk d = md(img, len, len);

	(void)state;
	set_both(img, len, 12, 91);
	expect_error(&d, "gpt header size 91 is invalid and no valid backup");
	set_both(img, len, 12, 513);
	expect_error(&d, "gpt header size 513 is invalid and no valid backup");
	free(img);
}

static void test_gpt_header_geometry_bogus(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	uint8_t *saved = malloc(len);
	struct memdisk d = md(img, len, len);
	struct gpt_geo g = gpt_geometry(&std_layout);

	(void)state;
	assert_non_null(saved);
	memcpy(saved, img, len);

	/* Entries array placed beyond the end of the disk. */
	set64(img + 512 + 72, 1u << 30);
	set64(img + g.backup_hdr * 512 + 72, 1u << 30);
	gpt_rehash(img, len, 512, 1);
	gpt_rehash(img, len, 512, g.backup_hdr);
	expect_error(&d, "gpt entries array at lba 1073741824 lies outside the disk and no valid backup");

	/* First usable above last usable. */
	memcpy(img, saved, len);
	set64(img + 512 + 40, 9000);
	set64(img + g.backup_hdr * 512 + 40, 9000);
	gpt_rehash(img, len, 512, 1);
	gpt_rehash(img, len, 512, g.backup_hdr);
	expect_error(&d, "gpt usable area lba 9000..8158 is invalid and no valid backup");

	/* Usable area swallowing the entries array. */
	memcpy(img, saved, len);
	set64(img + 512 + 40, 2);
	set64(img + g.backup_hdr * 512 + 48, g.backup_hdr - 1);
	gpt_rehash(img, len, 512, 1);
	gpt_rehash(img, len, 512, g.backup_hdr);
	expect_error_prefix(&d, "gpt entries array at lba 2 overlaps the usable area");

	/* Header claiming to live elsewhere. */
	memcpy(img, saved, len);
	set64(img + 512 + 24, 7);
	set64(img + g.backup_hdr * 512 + 24, 7);
	gpt_rehash(img, len, 512, 1);
	gpt_rehash(img, len, 512, g.backup_hdr);
	expect_error(&d, "gpt header at lba 1 says it is at lba 7 and no valid backup");

	free(saved);
	free(img);
}

static void test_gpt_partition_outside_usable(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	struct memdisk d = md(img, len, len);
	struct gpt_geo g = gpt_geometry(&std_layout);

	(void)state;
	set64(gpt_entry(img, &std_layout, 2, 3) + 40, 8159);
	set64(gpt_entry(img, &std_layout, g.backup_entries, 3) + 40, 8159);
	gpt_rehash(img, len, 512, 1);
	gpt_rehash(img, len, 512, g.backup_hdr);
	expect_error(&d, "partition 4 (lba 2048..8159) lies outside the gpt usable area (lba 34..8158)");

	/* first > last */
	set64(gpt_entry(img, &std_layout, 2, 0) + 32, 2000);
	set64(gpt_entry(img, &std_layout, 2, 0) + 40, 1999);
	gpt_rehash(img, len, 512, 1);
	expect_error(&d, "partition 1 (lba 2000..1999) lies outside the gpt usable area (lba 34..8158)");
	free(img);
}

static void test_gpt_overlap(void **state)
{
	const struct gpt_part parts[] = {
		{ 0, GUID_DATA, DISK_GUID, 100, 2000, NULL, 0 },
		{ 1, GUID_DATA, DISK_GUID, 3000, 4000, NULL, 0 },
		{ 5, GUID_DATA, DISK_GUID, 2000, 2500, NULL, 0 },
	};
	size_t len;
	uint8_t *img = gpt_build(&std_layout, parts, 3, &len);
	struct memdisk d = md(img, len, len);

	(void)state;
	expect_error(&d, "partitions 1 and 6 overlap");
	free(img);
}

static void test_gpt_past_end_of_truncated_disk(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	/* The image file was cut short: the header is intact, the data
	 * partition runs past what is there. */
	struct memdisk d = md(img, len, 4096 * 512);

	(void)state;
	expect_error(&d, "partition 4 ends at byte 4177408, past the end of the disk (2097152 bytes)");
	free(img);
}

static void test_gpt_truncated_read(void **state)
{
	size_t len;
	uint8_t *img = std_gpt(&len);
	struct memdisk d = md(img, len, len);

	(void)state;
	d.fail_from = 512; /* sector 0 reads, the second sector does not */
	expect_error(&d, "read error at byte 512 (8 bytes)");
	assert_true(d.reads >= 2);

	d.fail_from = 3 * 512; /* header readable, entries array not */
	expect_error(&d, "read error at byte 1024 (16384 bytes)");
	free(img);
}

static void test_gpt_hybrid_mbr(void **state)
{
	struct parttab pt;
	size_t len;
	uint8_t *img = std_gpt(&len);
	struct memdisk d = md(img, len, len);
	struct ks_err err;

	(void)state;
	/* A hybrid MBR lists real partitions beside 0xEE: GPT wins. */
	mbr_slot(img, 1, 0x07, 2048, 6111);
	mbr_slot(img, 0, 0xee, 1, 2047);
	assert_int_equal(scan(&pt, &d, &err), 0);
	assert_int_equal(pt.scheme, PT_GPT);
	assert_int_equal(pt.n, 3);
	parttab_release(&pt);
	free(img);
}

static void test_gpt_protective_without_gpt(void **state)
{
	uint8_t *img = calloc(1, 64 * 1024);
	struct memdisk d = md(img, 64 * 1024, 64 * 1024);

	(void)state;
	assert_non_null(img);
	mbr_slot(img, 0, 0xee, 1, 127);
	expect_error(&d, "gpt header not found and no valid backup");
	free(img);
}

static void test_gpt_max_entries(void **state)
{
	static const struct gpt_layout l = { 512, 2048, 1024, 128 };
	struct gpt_part parts[2] = {
		{ 0, GUID_DATA, DISK_GUID, 300, 400, NULL, 0 },
		{ 1023, GUID_LINUX, DISK_GUID, 500, 1700, NULL, 0 },
	};
	struct parttab pt;
	size_t len;
	uint8_t *img = gpt_build(&l, parts, 2, &len);
	struct memdisk d = md(img, len, len);
	struct ks_err err;

	(void)state;
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, len);
	assert_int_equal(pt.n, 2);
	assert_int_equal(pt.entries[1].index, 1024);
	assert_string_equal(pt.entries[1].type_name, "Linux filesystem");
	parttab_release(&pt);
	free(img);
}

/* ---- MBR ---- */

static void test_mbr_two_primaries(void **state)
{
	uint8_t *img = calloc(1, 1 << 20);
	struct memdisk d = md(img, 1 << 20, 8u << 20);
	struct parttab pt;
	struct ks_err err;

	(void)state;
	assert_non_null(img);
	mbr_slot(img, 0, 0x07, 2048, 4096);
	mbr_slot(img, 2, 0x0c, 8192, 8192);
	mbr_slot(img, 1, 0x00, 100, 100);  /* type 0: empty */
	mbr_slot(img, 3, 0x83, 100, 0);    /* size 0: empty */
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, d.size);
	assert_int_equal(pt.scheme, PT_MBR);
	assert_int_equal(pt.sector_size, 512);
	assert_false(pt.gpt_backup_used);
	assert_string_equal(pt.gpt_disk_guid, "");
	assert_int_equal(pt.n, 2);
	assert_int_equal(pt.entries[0].index, 1);
	assert_int_equal(pt.entries[0].offset, 2048 * 512);
	assert_int_equal(pt.entries[0].size, 4096 * 512);
	assert_int_equal(pt.entries[0].mbr_type, 0x07);
	assert_string_equal(pt.entries[0].type_name, "NTFS/exFAT/HPFS (0x07)");
	assert_false(pt.entries[0].logical);
	assert_false(pt.entries[0].reserved);
	assert_string_equal(pt.entries[0].gpt_type, "");
	assert_string_equal(pt.entries[0].gpt_guid, "");
	assert_string_equal(pt.entries[0].name, "");
	assert_int_equal(pt.entries[1].index, 3);
	assert_int_equal(pt.entries[1].offset, 8192 * 512);
	assert_int_equal(pt.entries[1].size, 8192 * 512);
	assert_int_equal(pt.entries[1].mbr_type, 0x0c);
	assert_true(strstr(pt.entries[1].type_name, "FAT32") != NULL);
	assert_true(strstr(pt.entries[1].type_name, "(0x0C)") != NULL);
	parttab_release(&pt);
	free(img);
}

static void test_mbr_type_names(void **state)
{
	static const struct {
		uint8_t type;
		const char *name;
	} want[] = {
		{ 0x27, "Windows recovery (0x27)" },
		{ 0x42, "Windows dynamic disk (0x42)" },
		{ 0x12, "OEM/diagnostic (0x12)" },
		{ 0xa5, "unknown (0xA5)" },
	};
	uint8_t img[512] = { 0 };
	struct memdisk d = md(img, sizeof(img), 1u << 30);
	struct parttab pt;
	struct ks_err err;

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		mbr_slot(img, i, want[i].type, 1000 + 1000 * i, 1000);
	assert_int_equal(scan(&pt, &d, &err), 0);
	assert_int_equal(pt.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_string_equal(pt.entries[i].type_name, want[i].name);
		assert_int_equal(pt.entries[i].mbr_type, want[i].type);
	}
	parttab_release(&pt);

	/* Spot checks of the rest of the table and the generated fallbacks. */
	{
		static const struct {
			uint8_t type;
			const char *substr;
			bool reserved;
		} more[] = {
			{ 0x83, "Linux", false }, { 0x82, "Linux swap", true },
			{ 0x17, "hidden NTFS", false }, { 0xef, "EFI", false },
			{ 0x01, "FAT12", false }, { 0x04, "FAT16", false },
			{ 0x06, "FAT16", false }, { 0x0b, "FAT32", false },
			{ 0x0e, "FAT16", false }, { 0x00 + 0x10, "unknown (0x10)", false },
			{ 0xff, "unknown (0xFF)", false }, { 0x9a, "unknown (0x9A)", false },
		};

		for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
			memset(img, 0, sizeof(img));
			mbr_slot(img, 0, more[i].type, 63, 1000);
			assert_int_equal(scan(&pt, &d, &err), 0);
			assert_int_equal(pt.n, 1);
			if (!strstr(pt.entries[0].type_name, more[i].substr))
				fail_msg("type 0x%02x named \"%s\"", more[i].type, pt.entries[0].type_name);
			assert_int_equal(pt.entries[0].reserved, more[i].reserved);
			parttab_release(&pt);
		}
	}
}

/* MBR: NTFS primary, extended 10000..15999 with three logicals. */
static uint8_t *mbr_ext_image(size_t *len)
{
	uint8_t *img = calloc(1, 16384 * 512);

	assert_non_null(img);
	mbr_slot(img, 0, 0x07, 2048, 4096);
	mbr_slot(img, 1, 0x0f, 10000, 6000);
	/* EBR 1 at 10000: logical at +63, next EBR at ext+2000 */
	mbr_slot(sector(img, 10000), 0, 0x07, 63, 1000);
	mbr_slot(sector(img, 10000), 1, 0x05, 2000, 2000);
	/* EBR 2 at 12000 */
	mbr_slot(sector(img, 12000), 0, 0x0b, 63, 1937);
	mbr_slot(sector(img, 12000), 1, 0x05, 4000, 2000);
	/* EBR 3 at 14000: last logical ends exactly at the extended end */
	mbr_slot(sector(img, 14000), 0, 0x83, 1, 1999);
	*len = 16384 * 512;
	return img;
}

static void test_mbr_logicals(void **state)
{
	size_t len;
	uint8_t *img = mbr_ext_image(&len);
	struct memdisk d = md(img, len, len);
	struct parttab pt;
	struct ks_err err;

	(void)state;
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, len);
	assert_int_equal(pt.scheme, PT_MBR);
	assert_int_equal(pt.n, 4); /* the container is not listed */
	assert_int_equal(pt.entries[0].index, 1);
	assert_false(pt.entries[0].logical);

	assert_int_equal(pt.entries[1].index, 5);
	assert_true(pt.entries[1].logical);
	assert_int_equal(pt.entries[1].offset, (uint64_t)10063 * 512);
	assert_int_equal(pt.entries[1].size, 1000 * 512);
	assert_int_equal(pt.entries[1].mbr_type, 0x07);

	assert_int_equal(pt.entries[2].index, 6);
	assert_true(pt.entries[2].logical);
	assert_int_equal(pt.entries[2].offset, (uint64_t)12063 * 512);
	assert_int_equal(pt.entries[2].size, 1937 * 512);
	assert_int_equal(pt.entries[2].mbr_type, 0x0b);

	assert_int_equal(pt.entries[3].index, 7);
	assert_true(pt.entries[3].logical);
	assert_int_equal(pt.entries[3].offset, (uint64_t)14001 * 512);
	assert_int_equal(pt.entries[3].size, 1999 * 512);
	assert_string_equal(pt.entries[3].type_name, "Linux (0x83)");
	parttab_release(&pt);

	/* Extended in slot 1 ahead of a primary in slot 3: sorted by index. */
	mbr_slot(img, 3, 0x06, 100, 1000);
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, len);
	assert_int_equal(pt.n, 5);
	assert_int_equal(pt.entries[1].index, 4);
	assert_int_equal(pt.entries[2].index, 5);
	parttab_release(&pt);
	free(img);
}

static void test_mbr_empty_first_ebr(void **state)
{
	size_t len;
	uint8_t *img = mbr_ext_image(&len);
	struct memdisk d = md(img, len, len);
	struct parttab pt;
	struct ks_err err;

	(void)state;
	/* The first EBR only links on: numbering still starts at 5. */
	memset(sector(img, 10000) + 446, 0, 16);
	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, len);
	assert_int_equal(pt.n, 3);
	assert_int_equal(pt.entries[1].index, 5);
	assert_int_equal(pt.entries[1].offset, (uint64_t)12063 * 512);
	assert_int_equal(pt.entries[2].index, 6);
	parttab_release(&pt);
	free(img);
}

static void test_mbr_ebr_loop(void **state)
{
	size_t len;
	uint8_t *img = mbr_ext_image(&len);
	struct memdisk d = md(img, len, len);

	(void)state;
	mbr_slot(sector(img, 14000), 1, 0x05, 2000, 2000); /* back to EBR 2 */
	expect_error(&d, "extended partition chain loops");

	mbr_slot(sector(img, 14000), 1, 0x05, 0, 2000); /* back to EBR 1 */
	expect_error(&d, "extended partition chain loops");

	mbr_slot(sector(img, 10000), 1, 0x05, 0, 2000); /* self loop */
	expect_error(&d, "extended partition chain loops");
	free(img);
}

static void test_mbr_ebr_chain_too_long(void **state)
{
	uint8_t *img = calloc(1, 2048 * 512);
	struct memdisk d = md(img, 2048 * 512, 2048 * 512);

	(void)state;
	assert_non_null(img);
	/* 200 EBRs, each linking to the next: longer than PT_MAX_LOGICAL. */
	mbr_slot(img, 0, 0x0f, 100, 1900);
	for (unsigned i = 0; i < 200; i++) {
		mbr_slot(sector(img, 100 + 4 * i), 0, 0x07, 1, 3);
		mbr_slot(sector(img, 100 + 4 * i), 1, 0x05, 4 * (i + 1), 4);
	}
	expect_error(&d, "extended partition chain has more than 128 boot records");
	free(img);
}

static void test_mbr_ebr_outside_extended(void **state)
{
	size_t len;
	uint8_t *img = mbr_ext_image(&len);
	uint8_t *saved = malloc(len);
	struct memdisk d = md(img, len, len);

	(void)state;
	assert_non_null(saved);
	memcpy(saved, img, len);

	/* Link beyond the extended partition (which ends at 15999). */
	mbr_slot(sector(img, 12000), 1, 0x05, 6000, 100);
	expect_error(&d, "extended boot record at sector 16000 lies outside extended partition 2"
		     " (sectors 10000..15999)");

	/* Logical running past the extended partition's end. */
	memcpy(img, saved, len);
	mbr_slot(sector(img, 14000), 0, 0x83, 1, 2000);
	expect_error(&d, "logical partition 7 lies outside extended partition 2"
		     " (sectors 10000..15999)");

	/* Logical starting on its own EBR. */
	memcpy(img, saved, len);
	mbr_slot(sector(img, 12000), 0, 0x07, 0, 100);
	expect_error(&d, "logical partition 6 overlaps its extended boot record");

	/* EBR without signature. */
	memcpy(img, saved, len);
	sector(img, 12000)[511] = 0;
	expect_error(&d, "extended boot record at sector 12000 has no 0x55aa signature");

	/* Logicals overlapping each other inside the container. */
	memcpy(img, saved, len);
	mbr_slot(sector(img, 10000), 0, 0x07, 63, 3000);
	expect_error(&d, "partitions 5 and 6 overlap");

	free(saved);
	free(img);
}

static void test_mbr_past_end(void **state)
{
	uint8_t img[512] = { 0 };
	struct memdisk d = md(img, sizeof(img), 524288000);

	(void)state;
	mbr_slot(img, 0, 0x07, 2048, 100000);
	mbr_slot(img, 1, 0x07, 1024000, 1024000);
	expect_error(&d, "partition 2 ends at byte 1048576000, past the end of the disk (524288000 bytes)");

	/* Extended container past the end is caught before its chain. */
	mbr_slot(img, 1, 0x0f, 1024000, 1024000);
	expect_error(&d, "partition 2 ends at byte 1048576000, past the end of the disk (524288000 bytes)");

	/* Largest representable values: no wrap. */
	mbr_slot(img, 1, 0x07, 0xffffffffu, 0xffffffffu);
	expect_error(&d, "partition 2 ends at byte 4398046510080, past the end of the disk"
		     " (524288000 bytes)");

	memset(img, 0, sizeof(img));
	mbr_slot(img, 2, 0x07, 0, 100);
	expect_error(&d, "partition 3 starts at sector 0, over the partition table");
}

static void test_mbr_overlap(void **state)
{
	uint8_t img[512] = { 0 };
	struct memdisk d = md(img, sizeof(img), 1u << 30);

	(void)state;
	mbr_slot(img, 0, 0x07, 2048, 4096);
	mbr_slot(img, 1, 0x07, 6143, 100); /* shares sector 6143 */
	expect_error(&d, "partitions 1 and 2 overlap");

	mbr_slot(img, 1, 0x07, 6144, 100); /* adjacent is fine */
	mbr_slot(img, 3, 0x05, 100, 2000); /* container over partition 1 */
	expect_error(&d, "partitions 1 and 4 overlap");

	memset(img, 0, sizeof(img));
	mbr_slot(img, 0, 0x05, 100, 2000);
	mbr_slot(img, 1, 0x0f, 2000, 2000);
	expect_error(&d, "partitions 1 and 2 overlap");
}

/* ---- bare volumes, empty and tiny disks ---- */

static void expect_bare(uint8_t *sec0)
{
	struct memdisk d = md(sec0, 512, 64u << 20);
	struct parttab pt;
	struct ks_err err;

	assert_int_equal(scan(&pt, &d, &err), 0);
	check_sane(&pt, d.size);
	assert_int_equal(pt.scheme, PT_NONE);
	assert_int_equal(pt.n, 1);
	assert_int_equal(pt.entries[0].index, 1);
	assert_int_equal(pt.entries[0].offset, 0);
	assert_int_equal(pt.entries[0].size, 64u << 20);
	assert_string_equal(pt.entries[0].type_name, "whole disk (no partition table)");
	assert_false(pt.entries[0].reserved);
	parttab_release(&pt);
}

static void test_bare_volumes(void **state)
{
	uint8_t sec[512];

	(void)state;
	/* NTFS boot sectors carry 0x55AA and bytes at 446.. that would make
	 * nonsense partitions: the VBR test must come first. */
	memset(sec, 0x41, sizeof(sec));
	sec[0] = 0xeb;
	sec[1] = 0x52;
	sec[2] = 0x90;
	memcpy(sec + 3, "NTFS    ", 8);
	sec[510] = 0x55;
	sec[511] = 0xaa;
	expect_bare(sec);

	memset(sec, 0, sizeof(sec));
	sec[0] = 0xeb;
	memcpy(sec + 3, "MSDOS5.0", 8);
	memcpy(sec + 0x36, "FAT16   ", 8);
	sec[510] = 0x55;
	sec[511] = 0xaa;
	expect_bare(sec);

	memset(sec, 0, sizeof(sec));
	sec[0] = 0xe9;
	memcpy(sec + 0x52, "FAT32   ", 8);
	expect_bare(sec);

	memset(sec, 0, sizeof(sec));
	sec[0] = 0xeb;
	memcpy(sec + 3, "EXFAT   ", 8);
	expect_bare(sec);

	memset(sec, 0, sizeof(sec));
	sec[0] = 0xeb;
	memcpy(sec + 3, "-FVE-FS-", 8);
	sec[510] = 0x55;
	sec[511] = 0xaa;
	expect_bare(sec);
}

static void test_fat_word_without_jump_is_not_bare(void **state)
{
	uint8_t sec[512] = { 0 };
	struct memdisk d = md(sec, sizeof(sec), 1u << 20);
	struct parttab pt;
	struct ks_err err;

	(void)state;
	/* "FAT" alone without a jump instruction is MBR boot code text. */
	memcpy(sec + 0x36, "FAT16   ", 8);
	mbr_slot(sec, 0, 0x06, 63, 1000);
	assert_int_equal(scan(&pt, &d, &err), 0);
	assert_int_equal(pt.scheme, PT_MBR);
	assert_int_equal(pt.n, 1);
	parttab_release(&pt);
}

static void test_unpartitioned(void **state)
{
	uint8_t *img = calloc(1, 1 << 20);
	struct memdisk d = md(img, 1 << 20, 1 << 20);
	struct parttab pt;
	struct ks_err err;

	(void)state;
	assert_non_null(img);
	assert_int_equal(scan(&pt, &d, &err), 0);
	assert_int_equal(pt.scheme, PT_NONE);
	assert_int_equal(pt.n, 0);
	assert_null(pt.entries);
	assert_int_equal(pt.disk_size, 1 << 20);
	parttab_release(&pt);

	/* Noise with no 0x55AA is still "no table", not an error. */
	for (size_t i = 0; i < 512; i++)
		img[i] = (uint8_t)(i * 37 + 11);
	img[0] = 0x90;
	img[511] = 0;
	assert_int_equal(scan(&pt, &d, &err), 0);
	assert_int_equal(pt.scheme, PT_NONE);
	assert_int_equal(pt.n, 0);
	parttab_release(&pt);

	/* A signed MBR with four empty slots is an MBR with no partitions. */
	memset(img, 0, 512);
	img[510] = 0x55;
	img[511] = 0xaa;
	assert_int_equal(scan(&pt, &d, &err), 0);
	assert_int_equal(pt.scheme, PT_MBR);
	assert_int_equal(pt.n, 0);
	parttab_release(&pt);
	free(img);
}

static void test_tiny_disks(void **state)
{
	uint8_t buf[512] = { 0 };
	struct memdisk d;

	(void)state;
	d = md(buf, 0, 0);
	expect_error(&d, "disk too small for a partition table (0 bytes)");
	assert_int_equal(d.reads, 0);
	d = md(buf, 100, 100);
	expect_error(&d, "disk too small for a partition table (100 bytes)");
	d = md(buf, 300, 300);
	expect_error(&d, "disk too small for a partition table (300 bytes)");
	assert_int_equal(d.reads, 0);

	/* 512 bytes exactly: readable, one sector, no table. */
	d = md(buf, 512, 512);
	{
		struct parttab pt;
		struct ks_err err;

		assert_int_equal(scan(&pt, &d, &err), 0);
		assert_int_equal(pt.scheme, PT_NONE);
		assert_int_equal(pt.n, 0);
	}

	/* Sector 0 itself unreadable. */
	d = md(buf, 512, 1 << 20);
	d.fail_from = 0;
	expect_error(&d, "read error at byte 0 (512 bytes)");
}

static void test_small_err_buffer(void **state)
{
	uint8_t buf[512] = { 0 };
	struct memdisk d = md(buf, 100, 100);
	struct parttab pt;
	struct ks_err err;

	(void)state;
	memset(err.msg, 'x', sizeof(err.msg));
	assert_int_equal(parttab_read(&pt, md_read, &d, d.size, &err), -1);
	assert_string_equal(err.msg, "disk too small for a partition table (100 bytes)");
	assert_int_equal(err.code, KS_EINPUT);
	/* No record at all must not crash either. */
	assert_int_equal(parttab_read(&pt, md_read, &d, d.size, NULL), -1);
	assert_null(pt.entries);
}

/* ---- fuzzing ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	return xorshift64(&rng);
}

struct region {
	size_t off, len;
};

struct fuzz_stats {
	unsigned ok, failed, backup;
};

static void mutate(uint8_t *img, const struct region *r, size_t nr, const size_t *hot, size_t nhot)
{
	static const uint64_t special[] = {
		0, 1, 2, 33, 34, 127, 128, 0x7f, 0x80, 0xff, 0x100, 0x400, 0x401,
		0x7fffffff, 0x80000000u, 0xffffffffu, 0xfffffffffull,
		0x7fffffffffffffffull, 0xffffffffffffffffull,
	};
	unsigned n = 1 + (unsigned)(rnd() % 6);

	for (unsigned k = 0; k < n; k++) {
		const struct region *g = &r[rnd() % nr];
		size_t off, end;

		/* Mostly hit the fields that steer parsing, sometimes anywhere. */
		if (nhot && rnd() % 4 != 0) {
			off = hot[rnd() % nhot] + (size_t)(rnd() % 8);
			for (size_t i = 0; i < nr; i++)
				if (off >= r[i].off && off < r[i].off + r[i].len)
					g = &r[i];
			assert_true(off >= g->off && off < g->off + g->len);
		} else {
			off = g->off + (size_t)(rnd() % g->len);
		}
		/* Writes stay inside the region so the restore undoes them. */
		end = g->off + g->len;
		switch (rnd() % 4) {
		case 0:
			img[off] = (uint8_t)rnd();
			break;
		case 1:
			img[off] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		default: {
			uint64_t v = special[rnd() % (sizeof(special) / sizeof(special[0]))];
			size_t w = rnd() % 2 ? 8 : 4;

			/* Near misses around the boundaries; the builtins wrap
			 * by design, which keeps clang's integer sanitizer quiet. */
			if (rnd() % 3 == 0)
				__builtin_add_overflow(v, rnd() % 64, &v);
			else if (rnd() % 2 == 0)
				__builtin_sub_overflow(v, rnd() % 64, &v);
			for (size_t i = 0; i < w && off + i < end; i++)
				img[off + i] = (uint8_t)(v >> (8 * i));
			break;
		}
		}
	}
}

static void fuzz_once(uint8_t *img, size_t len, uint64_t disk_size, struct fuzz_stats *st)
{
	struct memdisk d = md(img, len, disk_size);
	struct parttab pt;
	struct ks_err err;
	int rc;

	memset(err.msg, 0, sizeof(err.msg));
	rc = parttab_read(&pt, md_read, &d, disk_size, &err);
	assert_int_equal(d.bad_reads, 0);
	if (rc == 0) {
		check_sane(&pt, disk_size);
		st->ok++;
		st->backup += pt.gpt_backup_used;
		parttab_release(&pt);
	} else {
		size_t n = strlen(err.msg);

		assert_int_equal(rc, -1);
		assert_true(n > 0);
		assert_null(strchr(err.msg, '\n'));
		assert_true(err.msg[n - 1] != '.');
		assert_null(pt.entries);
		assert_int_equal(pt.n, 0);
		st->failed++;
	}
}

static void fuzz_loop(uint8_t *img, size_t len, const struct region *r, size_t nr,
		      const size_t *hot, size_t nhot, uint32_t ss, bool rehash,
		      unsigned iters, struct fuzz_stats *st)
{
	uint8_t *saved[8];

	assert_true(nr <= 8);
	for (size_t i = 0; i < nr; i++) {
		saved[i] = malloc(r[i].len);
		assert_non_null(saved[i]);
		memcpy(saved[i], img + r[i].off, r[i].len);
	}
	for (unsigned it = 0; it < iters; it++) {
		uint64_t disk_size = len;

		for (size_t i = 0; i < nr; i++)
			memcpy(img + r[i].off, saved[i], r[i].len);
		mutate(img, r, nr, hot, nhot);
		/* Half the GPT runs get valid CRCs so the mutations reach the
		 * checks behind them instead of stopping at the CRC. */
		if (rehash && rnd() % 2) {
			gpt_rehash(img, len, ss, 1);
			gpt_rehash(img, len, ss, len / ss - 1);
		}
		if (rnd() % 8 == 0)
			disk_size = len - (size_t)(rnd() % (len / 2));
		fuzz_once(img, len, disk_size, st);
	}
	for (size_t i = 0; i < nr; i++)
		free(saved[i]);
}

static void fuzz_gpt(uint32_t ss, uint64_t lbas, unsigned iters)
{
	const struct gpt_layout l = { ss, lbas, 32, 128 };
	struct gpt_geo g = gpt_geometry(&l);
	const struct gpt_part parts[] = {
		{ 0, GUID_EFI, DISK_GUID, g.first, g.first + 9, name_efi, 0 },
		{ 1, GUID_MSR, DISK_GUID, g.first + 10, g.first + 19, name_msr, 0 },
		{ 2, GUID_DATA, DISK_GUID, g.first + 20, g.last, name_jp, 0 },
	};
	size_t len;
	uint8_t *img = gpt_build(&l, parts, 3, &len);
	const struct region r[] = {
		{ 0, (size_t)(g.first * ss) },
		{ (size_t)(g.backup_entries * ss), (size_t)((g.esec + 1) * ss) },
	};
	/* Header fields and entry fields of both copies. */
	size_t hot[64], nhot = 0;
	static const unsigned hdr_fields[] = { 0, 12, 16, 24, 32, 40, 48, 72, 80, 84, 88 };
	static const unsigned ent_fields[] = { 0, 32, 40, 56 };
	struct fuzz_stats st = { 0, 0, 0 };

	for (size_t i = 0; i < sizeof(hdr_fields) / sizeof(hdr_fields[0]); i++) {
		hot[nhot++] = ss + hdr_fields[i];
		hot[nhot++] = (size_t)(g.backup_hdr * ss) + hdr_fields[i];
	}
	for (unsigned e = 0; e < 4; e++)
		for (size_t i = 0; i < sizeof(ent_fields) / sizeof(ent_fields[0]); i++) {
			hot[nhot++] = 2 * ss + e * 128 + ent_fields[i];
			hot[nhot++] = (size_t)(g.backup_entries * ss) + e * 128 + ent_fields[i];
		}
	hot[nhot++] = 446 + 4; /* protective slot type */

	fuzz_loop(img, len, r, 2, hot, nhot, ss, true, iters, &st);
	/* Both outcomes must have been exercised, including the backup path. */
	assert_true(st.ok > iters / 20);
	assert_true(st.failed > iters / 20);
	assert_true(st.backup > 0);
	free(img);
}

static void test_fuzz_gpt_512(void **state)
{
	(void)state;
	rng = 0x9e3779b97f4a7c15ull;
	fuzz_gpt(512, 256, 20000);
}

static void test_fuzz_gpt_4096(void **state)
{
	(void)state;
	rng = 0x0123456789abcdefull;
	fuzz_gpt(4096, 64, 5000);
}

static void test_fuzz_mbr(void **state)
{
	size_t len;
	uint8_t *img = mbr_ext_image(&len);
	const struct region r[] = {
		{ 0, 512 },
		{ 10000 * 512, 512 },
		{ 12000 * 512, 512 },
		{ 14000 * 512, 512 },
	};
	size_t hot[4 * 8], nhot = 0;
	struct fuzz_stats st = { 0, 0, 0 };

	(void)state;
	rng = 0x5eed5eed5eed5eedull;
	for (size_t i = 0; i < 4; i++)
		for (unsigned s = 0; s < 2; s++) {
			hot[nhot++] = r[i].off + 446 + 16 * s + 4;
			hot[nhot++] = r[i].off + 446 + 16 * s + 8;
			hot[nhot++] = r[i].off + 446 + 16 * s + 12;
			hot[nhot++] = r[i].off + 504; /* reaches the 0x55AA */
		}
	fuzz_loop(img, len, r, 4, hot, nhot, 512, false, 20000, &st);
	assert_true(st.ok > 1000);
	assert_true(st.failed > 1000);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_gpt_512),
		cmocka_unit_test(test_gpt_type_names),
		cmocka_unit_test(test_gpt_names_utf8),
		cmocka_unit_test(test_gpt_4096),
		cmocka_unit_test(test_gpt_primary_damaged),
		cmocka_unit_test(test_gpt_backup_at_alternate_lba),
		cmocka_unit_test(test_gpt_both_damaged),
		cmocka_unit_test(test_gpt_entries_crc),
		cmocka_unit_test(test_gpt_entry_count_huge),
		cmocka_unit_test(test_gpt_entry_size_bogus),
		cmocka_unit_test(test_gpt_header_size_bogus),
		cmocka_unit_test(test_gpt_header_geometry_bogus),
		cmocka_unit_test(test_gpt_partition_outside_usable),
		cmocka_unit_test(test_gpt_overlap),
		cmocka_unit_test(test_gpt_past_end_of_truncated_disk),
		cmocka_unit_test(test_gpt_truncated_read),
		cmocka_unit_test(test_gpt_hybrid_mbr),
		cmocka_unit_test(test_gpt_protective_without_gpt),
		cmocka_unit_test(test_gpt_max_entries),
		cmocka_unit_test(test_mbr_two_primaries),
		cmocka_unit_test(test_mbr_type_names),
		cmocka_unit_test(test_mbr_logicals),
		cmocka_unit_test(test_mbr_empty_first_ebr),
		cmocka_unit_test(test_mbr_ebr_loop),
		cmocka_unit_test(test_mbr_ebr_chain_too_long),
		cmocka_unit_test(test_mbr_ebr_outside_extended),
		cmocka_unit_test(test_mbr_past_end),
		cmocka_unit_test(test_mbr_overlap),
		cmocka_unit_test(test_bare_volumes),
		cmocka_unit_test(test_fat_word_without_jump_is_not_bare),
		cmocka_unit_test(test_unpartitioned),
		cmocka_unit_test(test_tiny_disks),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_fuzz_gpt_512),
		cmocka_unit_test(test_fuzz_gpt_4096),
		cmocka_unit_test(test_fuzz_mbr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
