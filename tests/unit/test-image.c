/* Image layer: container detection by content and the first look at each
 * volume, on small files written by the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* The error record the calls under test fill; said: its message. */
static struct ks_err kerr;
#define said (kerr.msg)

#include <kenshu/core.h>
#include <kenshu/image.h>
#include "bytes.h"

static char dir[] = "/tmp/kenshu-test-image-XXXXXX";


static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* Writes size bytes of zeros with patches (offset, bytes) into a file. */
struct patch {
	long off;
	const char *bytes;
	size_t len;
};

static char *make(const char *name, size_t size, const struct patch *p, size_t np)
{
	char *path = xasprintf("%s/%s", dir, name);
	unsigned char *buf = xcalloc(1, size);
	FILE *f;

	for (size_t i = 0; i < np; i++) {
		long off = p[i].off < 0 ? (long)size + p[i].off : p[i].off;
		memcpy(buf + off, p[i].bytes, p[i].len);
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, size, f), size);
	fclose(f);
	free(buf);
	return path;
}

static void bare_volumes_by_boot_sector(void **state)
{
	static const struct {
		const char *name;
		struct patch p[2];
		const char *fs;
		enum vol_state st;
	} cases[] = {
		{ "ntfs", { { 3, "NTFS    ", 8 }, { 510, "\x55\xaa", 2 } }, "ntfs", VOL_READABLE },
		{ "bitlocker", { { 3, "-FVE-FS-", 8 }, { 510, "\x55\xaa", 2 } }, "bitlocker", VOL_ENCRYPTED },
		/* read through libguestfs */
		{ "fat32", { { 0, "\xeb\x58\x90", 3 }, { 0x52, "FAT32   ", 8 } }, "fat", VOL_READABLE },
		{ "exfat", { { 0, "\xeb\x76\x90" "EXFAT   ", 11 }, { 510, "\x55\xaa", 2 } }, "exfat", VOL_READABLE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = make(cases[i].name, 1 << 20, cases[i].p, 2);
		struct img *img = NULL;

		assert_int_equal(img_open(path, &img, &kerr), 0);
		assert_string_equal(img_scheme(img), "none");
		assert_int_equal(img_nvolumes(img), 1);
		const struct img_volume *v = img_volume(img, 0);
		assert_string_equal(v->fs, cases[i].fs);
		assert_int_equal(v->state, cases[i].st);
		assert_int_equal(v->offset, 0);
		assert_int_equal(v->size, 1 << 20);
		if (cases[i].st != VOL_READABLE)
			assert_true(v->state_reason[0] != '\0');
		else
			assert_string_equal(v->state_reason, "");
		assert_null(img_volume(img, 1));
		img_close(img);
		free(path);
	}
}

static void mbr_volume_states(void **state)
{
	/* MBR: partition 1 type 0x07 at LBA 2048 (never formatted), partition 2
	 * type 0x0C at LBA 4096 holding random-looking bytes. */
	const struct patch p[] = {
		{ 446, "\x00\x00\x00\x00\x07\x00\x00\x00\x00\x08\x00\x00\x00\x08\x00\x00", 16 },
		{ 462, "\x00\x00\x00\x00\x0c\x00\x00\x00\x00\x10\x00\x00\x00\x08\x00\x00", 16 },
		{ 510, "\x55\xaa", 2 },
		{ 4096 * 512, "garbage, not a file system", 26 },
	};
	char *path = make("mbr", 4 << 20, p, 4);
	struct img *img = NULL;

	assert_int_equal(img_open(path, &img, &kerr), 0);
	assert_string_equal(img_scheme(img), "mbr");
	assert_string_equal(img_format(img), "raw");
	assert_int_equal(img_nvolumes(img), 2);
	assert_int_equal(img_volume(img, 0)->state, VOL_EMPTY);
	assert_string_equal(img_volume(img, 0)->mbr_type, "0x07");
	assert_int_equal(img_volume(img, 1)->state, VOL_UNKNOWN);
	assert_int_equal(img_volume(img, 1)->offset, 4096 * 512);
	assert_string_equal(vol_state_name(VOL_UNKNOWN), "unknown");

	/* Reads are bounded by the image. */
	char b[16];
	assert_int_equal(img_pread(img, b, sizeof(b), 0), 0);
	assert_int_equal(img_pread(img, b, sizeof(b), (4 << 20) - 8), -1);
	assert_int_equal(img_pread(img, b, sizeof(b), UINT64_MAX - 4), -1);
	img_close(img);
	free(path);
}

/* A volume manager's contents join the list after the partitions: an LVM
 * physical volume is recognised, then its logical volumes are added with
 * numbers above the highest partition number (MBR logicals start at 5). */
static void volumes_found_inside_others(void **state)
{
	/* MBR: partition 1 type 0x8E (Linux LVM) at LBA 2048 holding an LVM2
	 * label; an extended partition (2) at LBA 4096 whose EBR describes
	 * logical partition 5 at LBA 6144, never formatted. */
	const struct patch p[] = {
		{ 446, "\x00\x00\x00\x00\x8e\x00\x00\x00\x00\x08\x00\x00\x00\x08\x00\x00", 16 },
		{ 462, "\x00\x00\x00\x00\x05\x00\x00\x00\x00\x10\x00\x00\x00\x10\x00\x00", 16 },
		{ 510, "\x55\xaa", 2 },
		{ 2048 * 512 + 512, "LABELONE", 8 },
		{ 2048 * 512 + 0x218, "LVM2 001", 8 },
		{ 4096 * 512 + 446, "\x00\x00\x00\x00\x07\x00\x00\x00\x00\x08\x00\x00\x00\x08\x00\x00", 16 },
		{ 4096 * 512 + 510, "\x55\xaa", 2 },
	};
	char *path = make("lvm", 4 << 20, p, 7);
	struct img *img = NULL;
	struct img_volume lv;
	unsigned char first[4096] = { 0 };

	assert_int_equal(img_open(path, &img, &kerr), 0);
	assert_int_equal(img_nvolumes(img), 2);
	const struct img_volume *pv = img_volume(img, 0);
	assert_string_equal(pv->fs, "lvm2");
	assert_int_equal(pv->state, VOL_UNSUPPORTED);
	assert_non_null(strstr(pv->state_reason, "LVM physical volume"));
	assert_int_equal(pv->parent, 0);
	assert_string_equal(pv->device, "");
	assert_int_equal(img_volume(img, 1)->index, 5);

	/* What a logical volume holds, from its first bytes as libguestfs
	 * reads them: the same table as for partitions. */
	memset(&lv, 0, sizeof(lv));
	lv.parent = 1;
	lv.part_type = "LVM logical volume";
	snprintf(lv.device, sizeof(lv.device), "/dev/vg0/windows");
	memcpy(first + 3, "NTFS    ", 8);
	img_volume_probe(&lv, first, sizeof(first));
	assert_string_equal(lv.fs, "ntfs");
	assert_int_equal(lv.state, VOL_READABLE);
	assert_string_equal(lv.state_reason, "");
	assert_int_equal(img_add_volume(img, &lv), 6);

	memset(first, 0, sizeof(first));
	img_volume_probe(&lv, first, sizeof(first));
	assert_string_equal(lv.fs, "none");
	assert_int_equal(lv.state, VOL_EMPTY);
	img_volume_probe(&lv, first, 100);
	assert_int_equal(lv.state, VOL_UNKNOWN);
	assert_non_null(strstr(lv.state_reason, "too small"));
	snprintf(lv.device, sizeof(lv.device), "/dev/vg0/spare");
	assert_int_equal(img_add_volume(img, &lv), 7);

	assert_int_equal(img_nvolumes(img), 4);
	const struct img_volume *v = img_volume(img, 2);
	assert_int_equal(v->index, 6);
	assert_int_equal(v->parent, 1);
	assert_string_equal(v->fs, "ntfs");
	assert_string_equal(v->device, "/dev/vg0/windows");
	assert_string_equal(img_volume(img, 3)->device, "/dev/vg0/spare");
	assert_null(img_volume(img, 4));

	/* The physical volume then says what it holds; a reason too long is
	 * cut, never overrun. */
	img_set_volume_state(img, 0, VOL_RESERVED, "LVM physical volume: its logical volumes are listed as volumes 6 and 7");
	assert_int_equal(img_volume(img, 0)->state, VOL_RESERVED);
	assert_string_equal(img_volume(img, 0)->state_reason,
			    "LVM physical volume: its logical volumes are listed as volumes 6 and 7");
	char long_reason[1000];
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	img_set_volume_state(img, 0, VOL_UNSUPPORTED, long_reason);
	assert_int_equal(strlen(img_volume(img, 0)->state_reason), sizeof(v->state_reason) - 1);
	img_set_volume_state(img, 9, VOL_UNSUPPORTED, "out of range: ignored");
	img_close(img);
	free(path);
}

static uint32_t crc32_le(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? 0xedb88320u : 0);
	}
	return ~c;
}

/* A GPT type GUID as stored: the first three fields little-endian. */
static void guid_put(uint8_t *out, const char *text)
{
	unsigned b[16];

	assert_int_equal(sscanf(text, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x",
				&b[3], &b[2], &b[1], &b[0], &b[5], &b[4], &b[7], &b[6], &b[8], &b[9],
				&b[10], &b[11], &b[12], &b[13], &b[14], &b[15]), 16);
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)b[i];
}

/* A 4 MiB GPT disk (primary and backup) with an LDM metadata partition
 * (LBA 34-2047) and an LDM data partition (2048-8158), as Windows makes a
 * dynamic GPT disk; with its PRIVHEAD in the metadata's last sector or not. */
static char *gpt_dynamic(const char *name, bool privhead)
{
	const size_t ss = 512, lbas = 8192, esec = 32;
	uint8_t *img = xcalloc(lbas, ss), *ents = img + 2 * ss;
	static const struct {
		const char *type;
		uint64_t first, last;
	} parts[] = {
		{ "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3", 34, 2047 },
		{ "AF9B60A0-1431-4F62-BC68-3311714A69AD", 2048, 8158 },
	};
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f;

	img[446 + 4] = 0xee;
	set32(img + 446 + 8, 1);
	set32(img + 446 + 12, (uint32_t)(lbas - 1));
	img[510] = 0x55;
	img[511] = 0xaa;
	for (size_t i = 0; i < 2; i++) {
		guid_put(ents + 128 * i, parts[i].type);
		ents[128 * i + 16] = (uint8_t)(i + 1);   /* unique GUID */
		set64(ents + 128 * i + 32, parts[i].first);
		set64(ents + 128 * i + 40, parts[i].last);
	}
	memcpy(img + (lbas - 1 - esec) * ss, ents, esec * ss);
	for (int backup = 0; backup < 2; backup++) {
		uint64_t my = backup ? lbas - 1 : 1, alt = backup ? 1 : lbas - 1;
		uint8_t *h = img + my * ss;

		memcpy(h, "EFI PART", 8);
		set32(h + 8, 0x00010000);
		set32(h + 12, 92);
		set64(h + 24, my);
		set64(h + 32, alt);
		set64(h + 40, 2 + esec);
		set64(h + 48, lbas - 2 - esec);
		h[56] = 0x42;   /* disk GUID */
		set64(h + 72, backup ? lbas - 1 - esec : 2);
		set32(h + 80, 128);
		set32(h + 84, 128);
		set32(h + 88, crc32_le(ents, esec * ss));
		set32(h + 16, crc32_le(h, 92));
	}
	if (privhead)
		memcpy(img + 2047 * ss, "PRIVHEAD", 8);
	/* The data partition starts like NTFS: not trusted either. */
	memcpy(img + 2048 * ss + 3, "NTFS    ", 8);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img, ss, lbas, f), lbas);
	fclose(f);
	free(img);
	return path;
}

/* A dynamic disk's partition is never read through its first sector: its
 * volumes are listed from its LDM database (fs_discover_volumes), and
 * without one (no PRIVHEAD in sector 6 of an MBR disk, in the last sector
 * of a GPT disk's LDM metadata partition) where they lie is not known. */
static void dynamic_disk_needs_its_database(void **state)
{
	struct patch p[] = {
		{ 446, "\x00\x00\x00\x00\x42\x00\x00\x00\x00\x08\x00\x00\x00\x18\x00\x00", 16 },
		{ 510, "\x55\xaa", 2 },
		/* The partition starts like an NTFS volume: not trusted. */
		{ 2048 * 512 + 3, "NTFS    ", 8 },
		{ 6 * 512, "PRIVHEAD", 8 },
	};
	for (size_t with = 0; with < 2; with++) {
		char *path = make(with ? "ldm-db" : "ldm-nodb", 4 << 20, p, with ? 4 : 3);
		struct img *img = NULL;

		assert_int_equal(img_open(path, &img, &kerr), 0);
		assert_int_equal(img_nvolumes(img), 1);
		const struct img_volume *v = img_volume(img, 0);
		assert_string_equal(v->fs, "ldm");
		assert_int_equal(v->state, with ? VOL_UNSUPPORTED : VOL_UNKNOWN);
		assert_non_null(strstr(v->state_reason, with ? "have not been listed" : "without an LDM database"));
		img_close(img);
		free(path);

		path = gpt_dynamic(with ? "gpt-ldm-db" : "gpt-ldm-nodb", with);
		assert_int_equal(img_open(path, &img, &kerr), 0);
		assert_string_equal(img_scheme(img), "gpt");
		assert_int_equal(img_nvolumes(img), 2);
		assert_int_equal(img_volume(img, 0)->state, VOL_RESERVED);   /* LDM metadata */
		v = img_volume(img, 1);
		assert_string_equal(v->fs, "ldm");
		assert_int_equal(v->state, with ? VOL_UNSUPPORTED : VOL_UNKNOWN);
		img_close(img);
		free(path);
	}
}

/* Containers are known by content: virtual disks go to qemu (these fakes
 * are then refused by it, never read as raw), others are refused by name.
 * The file names say nothing: a ".img" holding a VHDX is a VHDX. */
static void containers_are_refused_by_name(void **state)
{
	static const struct {
		const char *name;
		struct patch p;
		const char *want;
	} cases[] = {
		{ "a.img", { 0, "KDMV", 4 }, "VMDK (sparse) image:" },
		{ "b.raw", { 0, "QFI\xfb\0\0\0\x03", 8 }, "QCOW2 image:" },
		{ "c.dd", { 0, "QFI\xfb\0\0\0\x01", 8 }, "QCOW image:" },
		{ "d.img", { 0, "vhdxfile", 8 }, "VHDX image:" },
		{ "e.img", { -512, "conectix", 8 }, "VHD (fixed) image:" },
		{ "f.img", { 0, "EVF\x09\x0d\x0a\xff\x00", 8 }, "ewfexport" },
		{ "g.img", { 0, "MSWIM\0\0\0", 8 }, "wimlib-imagex" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = make(cases[i].name, 64 << 10, &cases[i].p, 1);
		struct img *img = (struct img *)1;

		said[0] = '\0';
		assert_int_equal(img_open(path, &img, &kerr), -1);
		assert_non_null(strstr(said, cases[i].want));
		assert_non_null(strstr(said, cases[i].name));
		free(path);
	}
}

static void unreadable_inputs(void **state)
{
	struct img *img;
	char *empty = make("empty", 0, NULL, 0);

	assert_int_equal(img_open(empty, &img, &kerr), -1);
	assert_non_null(strstr(said, "empty file"));
	assert_int_equal(img_open(dir, &img, &kerr), -1);
	assert_non_null(strstr(said, "is a directory"));
	char *missing = xasprintf("%s/missing", dir);
	assert_int_equal(img_open(missing, &img, &kerr), -1);
	assert_non_null(strstr(said, "No such file"));
	free(missing);
	free(empty);
}

/* What qemu-img info prints is written by qemu from hostile headers. */
static void qemu_info_is_checked(void **state)
{
	static const struct {
		const char *json, *want; /* want NULL: accepted */
	} cases[] = {
		{ "{\"virtual-size\": 8388608, \"format\": \"vpc\"}", NULL },
		{ "{\"virtual-size\": -1}", "no virtual size" },
		{ "{\"virtual-size\": 0}", "no virtual size" },
		{ "{\"virtual-size\": \"8388608\"}", "no virtual size" },
		{ "{\"virtual-size\": 9223372036854775807}", "no virtual size" },
		{ "{\"virtual-size\": 99999999999999999999999}", "no virtual size" },
		{ "{\"format\": \"vmdk\"}", "no virtual size" },
		{ "[8388608]", "not give a JSON object" },
		{ "{\"virtual-size\": 83", "not give a JSON object" },
		{ "", "not give a JSON object" },
		{ "{\"virtual-size\": 1048576, \"backing-filename\": \"base.qcow2\"}", "parent is 'base.qcow2'" },
		{ "{\"virtual-size\": 1048576, \"format-specific\": {\"data\": {\"data-file\": \"/dev/sda\"}}}",
		  "external file '/dev/sda'" },
		{ "{\"virtual-size\": 1048576, \"format-specific\": {\"data\": {\"extents\": "
		  "[{\"filename\": \"/etc/passwd\"}]}}}", "outside the descriptor's directory" },
		{ "{\"virtual-size\": 1048576, \"format-specific\": {\"data\": {\"extents\": "
		  "[{\"filename\": null}]}}}", "outside the descriptor's directory" },
	};
	char qdir[] = "/tmp/kenshu-qinfo-XXXXXX";
	assert_non_null(mkdtemp(qdir));
	char *path = xasprintf("%s/disk.vmdk", qdir);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ks_err e = { 0 };
		uint64_t vsize = 0;
		int rc = img_qemu_info_parse(cases[i].json, strlen(cases[i].json), path, &vsize, &e);
		if (!cases[i].want) {
			assert_int_equal(rc, 0);
			assert_int_equal(vsize, 8388608);
		} else {
			assert_int_equal(rc, -1);
			if (!strstr(e.msg, cases[i].want))
				fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].want);
		}
	}
	free(path);
	rmdir(qdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bare_volumes_by_boot_sector),
		cmocka_unit_test(mbr_volume_states),
		cmocka_unit_test(volumes_found_inside_others),
		cmocka_unit_test(dynamic_disk_needs_its_database),
		cmocka_unit_test(containers_are_refused_by_name),
		cmocka_unit_test(unreadable_inputs),
		cmocka_unit_test(qemu_info_is_checked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
