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

#include <kenshu/err.h>
#include <kenshu/image.h>

static char dir[] = "/tmp/kenshu-test-image-XXXXXX";
static char said[1024];

static void capture(const char *prefix, const char *msg)
{
	snprintf(said, sizeof(said), "%s%s", prefix, msg);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	ks_set_msg_fn(capture);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	ks_set_msg_fn(NULL);
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

		assert_int_equal(img_open(path, &img), 0);
		assert_string_equal(img_scheme(img), "none");
		assert_int_equal(img_nvolumes(img), 1);
		const struct img_volume *v = img_volume(img, 0);
		assert_string_equal(v->fs, cases[i].fs);
		assert_int_equal(v->state, cases[i].st);
		assert_int_equal(v->offset, 0);
		assert_int_equal(v->size, 1 << 20);
		if (cases[i].st != VOL_READABLE)
			assert_non_null(v->state_reason);
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

	assert_int_equal(img_open(path, &img), 0);
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
		assert_int_equal(img_open(path, &img), -1);
		assert_non_null(strstr(said, cases[i].want));
		assert_non_null(strstr(said, cases[i].name));
		free(path);
	}
}

static void unreadable_inputs(void **state)
{
	struct img *img;
	char *empty = make("empty", 0, NULL, 0);

	assert_int_equal(img_open(empty, &img), -1);
	assert_non_null(strstr(said, "empty file"));
	assert_int_equal(img_open(dir, &img), -1);
	assert_non_null(strstr(said, "is a directory"));
	char *missing = xasprintf("%s/missing", dir);
	assert_int_equal(img_open(missing, &img), -1);
	assert_non_null(strstr(said, "No such file"));
	free(missing);
	free(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bare_volumes_by_boot_sector),
		cmocka_unit_test(mbr_volume_states),
		cmocka_unit_test(containers_are_refused_by_name),
		cmocka_unit_test(unreadable_inputs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
