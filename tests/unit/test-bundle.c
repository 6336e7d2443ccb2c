/* The pure parts of bundle.c: what a member is by content, which names
 * are refused, report directory names, cap and ratio arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/input.h>
#include <kenshu/core.h>
#include "bytes.h"

static uint8_t head[BUNDLE_HEAD_LEN];

static enum bundle_content sniff_with(size_t off, const char *magic, size_t len)
{
	memset(head, 0, sizeof(head));
	memcpy(head + off, magic, len);
	return bundle_sniff(head, sizeof(head), NULL, 0);
}

static void images_by_content(void **state)
{
	assert_int_equal(sniff_with(512, "EFI PART", 8), BUNDLE_CONTENT_IMAGE);
	assert_int_equal(sniff_with(4096, "EFI PART", 8), BUNDLE_CONTENT_IMAGE);
	assert_int_equal(sniff_with(3, "NTFS    ", 8), BUNDLE_CONTENT_IMAGE);
	assert_int_equal(sniff_with(0, "KDMV", 4), BUNDLE_CONTENT_IMAGE);
	assert_int_equal(sniff_with(0, "# Disk DescriptorFile", 21), BUNDLE_CONTENT_IMAGE);
	assert_int_equal(sniff_with(0, "QFI\xfb", 4), BUNDLE_CONTENT_IMAGE);
	assert_int_equal(sniff_with(0, "vhdxfile", 8), BUNDLE_CONTENT_IMAGE);
	assert_int_equal(sniff_with(0, "conectix", 8), BUNDLE_CONTENT_IMAGE);

	/* A fixed VHD says so only in its last sector. */
	uint8_t tail[512] = { 0 };
	memset(head, 0, sizeof(head));
	memcpy(tail, "conectix", 8);
	assert_int_equal(bundle_sniff(head, sizeof(head), tail, sizeof(tail)), BUNDLE_CONTENT_IMAGE);
	assert_int_equal(bundle_sniff(head, sizeof(head), tail, 100), BUNDLE_CONTENT_DATA);

	/* An MBR: 0x55AA and a used, sane entry. */
	memset(head, 0, sizeof(head));
	head[446] = 0x80;
	head[446 + 4] = 0x07;
	set32(head + 446 + 8, 2048);
	set32(head + 446 + 12, 4096);
	head[510] = 0x55;
	head[511] = 0xaa;
	assert_int_equal(bundle_sniff(head, 512, NULL, 0), BUNDLE_CONTENT_IMAGE);
	/* 0x55AA alone, or with a garbage boot flag, is any file's two bytes. */
	head[446] = 0x42;
	assert_int_equal(bundle_sniff(head, 512, NULL, 0), BUNDLE_CONTENT_DATA);
	memset(head + 446, 0, 64);
	assert_int_equal(bundle_sniff(head, 512, NULL, 0), BUNDLE_CONTENT_DATA);
	/* Half an entry (a type but no size) is not a partition table. */
	head[446 + 4] = 0x07;
	assert_int_equal(bundle_sniff(head, 512, NULL, 0), BUNDLE_CONTENT_DATA);
	/* Too short to hold the signature. */
	assert_int_equal(bundle_sniff(head, 100, NULL, 0), BUNDLE_CONTENT_DATA);
}

static void archives_by_content(void **state)
{
	assert_int_equal(sniff_with(0, "PK\x03\x04", 4), BUNDLE_CONTENT_ARCHIVE);
	assert_int_equal(sniff_with(0, "7z\xbc\xaf\x27\x1c", 6), BUNDLE_CONTENT_ARCHIVE);
	assert_int_equal(sniff_with(0, "\x1f\x8b", 2), BUNDLE_CONTENT_ARCHIVE);
	assert_int_equal(sniff_with(0, "\xfd" "7zXZ\0", 6), BUNDLE_CONTENT_ARCHIVE);
	assert_int_equal(sniff_with(0, "BZh91AY&SY", 10), BUNDLE_CONTENT_ARCHIVE);
	assert_int_equal(sniff_with(0, "BZh is how this text starts", 27), BUNDLE_CONTENT_DATA);
	assert_int_equal(sniff_with(0, "\x28\xb5\x2f\xfd", 4), BUNDLE_CONTENT_ARCHIVE);
	assert_int_equal(sniff_with(0, "MSCF\0\0\0\0", 8), BUNDLE_CONTENT_ARCHIVE);
	assert_int_equal(sniff_with(257, "ustar", 5), BUNDLE_CONTENT_ARCHIVE);
	assert_int_equal(sniff_with(0x8001, "CD001", 5), BUNDLE_CONTENT_ARCHIVE);
	assert_int_equal(sniff_with(0, "MZ", 2), BUNDLE_CONTENT_DATA);
	assert_int_equal(sniff_with(0, "Hello", 5), BUNDLE_CONTENT_DATA);

	/* A disk image is never a bundle, whatever else it starts with: a
	 * zip signature over an NTFS boot sector is a disk. */
	memset(head, 0, sizeof(head));
	memcpy(head, "PK\x03\x04", 4);
	memcpy(head + 512, "EFI PART", 8);
	assert_int_equal(bundle_sniff(head, sizeof(head), NULL, 0), BUNDLE_CONTENT_IMAGE);
	/* ISO's magic lies past 32 KiB: a short head does not see it. */
	memset(head, 0, sizeof(head));
	memcpy(head + 0x8001, "CD001", 5);
	assert_int_equal(bundle_sniff(head, 0x8003, NULL, 0), BUNDLE_CONTENT_DATA);
}

static void hostile_names(void **state)
{
	static const char *const bad[] = {
		"../../etc/evil.txt", "/abs/path.txt", "dir/../../x", "..", "a/..", "../",
		"..\\..\\windows\\system32\\evil.dll", "dir\\..\\x", "\\server\\share", "C:\\evil.exe",
		"c:evil", "", "tab\there", "new\nline", "del\x7f",
	};
	static const char *const good[] = {
		"setup.exe", "dir/sub/file.txt", "...", "..hidden", "a..b", "dir/.../x", "./x",
		"日本語/設定.exe", "name with spaces.txt",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = bundle_name_problem(bad[i]);
		if (!why)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(why, "not extracted"));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (bundle_name_problem(good[i]))
			fail_msg("'%s' was refused: %s", good[i], bundle_name_problem(good[i]));

	char *longname = xmalloc(5000);
	memset(longname, 'a', 4999);
	longname[4999] = '\0';
	assert_non_null(bundle_name_problem(longname));
	free(longname);
}

static void safe_components(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "vendor-clean.img", "vendor-clean.img" },
		{ "inner.7z/disk.img", "inner.7z_disk.img" },
		{ "../../etc/passwd", "_._.._etc_passwd" },
		{ "..", "_." },
		{ ".", "_" },
		{ "", "_" },
		{ ".hidden", "_hidden" },
		{ "/abs", "_abs" },
		{ "日本", "______" },
		{ "a b\\c:d", "a_b_c_d" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = bundle_safe_component(cases[i].in);
		assert_string_equal(s, cases[i].out);
		assert_null(strchr(s, '/'));
		free(s);
	}
	char in[600];
	memset(in, 'x', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	char *s = bundle_safe_component(in);
	assert_int_equal(strlen(s), 200);
	free(s);
}

static void caps_and_ratio(void **state)
{
	struct bundle_caps c;

	bundle_default_caps(&c);
	assert_int_equal(c.max_bytes, 64ull << 30);
	assert_int_equal(c.max_entries, 100000);
	assert_int_equal(c.max_ratio, 1000);
	assert_int_equal(c.max_depth, 3);

	assert_true(bundle_within(0, 10, 10));
	assert_false(bundle_within(1, 10, 10));
	assert_false(bundle_within(11, 0, 10));
	/* No wrap-around: a huge "add" is never within the cap. */
	assert_false(bundle_within(5, UINT64_MAX, 10));
	assert_false(bundle_within(UINT64_MAX, 1, UINT64_MAX));
	assert_true(bundle_within(UINT64_MAX - 1, 1, UINT64_MAX));

	/* Below the floor nothing is a bomb, however well it compresses. */
	assert_false(bundle_ratio_exceeded(c.ratio_min, 0, &c));
	assert_false(bundle_ratio_exceeded(c.ratio_min, 1, &c));
	/* Past it: more than 1000:1, or nothing consumed at all. */
	assert_true(bundle_ratio_exceeded(c.ratio_min + 1, 0, &c));
	assert_true(bundle_ratio_exceeded(2ull << 20, 2000, &c));
	assert_false(bundle_ratio_exceeded(2ull << 20, 2098, &c));
	assert_false(bundle_ratio_exceeded(64ull << 20, 1ull << 20, &c));
	assert_true(bundle_ratio_exceeded(UINT64_MAX, 1, &c));
}

static void caps_from_environment(void **state)
{
	struct bundle_caps c;

	bundle_default_caps(&c);
	setenv("KENSHU_BUNDLE_MAX_DEPTH", "5", 1);
	setenv("KENSHU_BUNDLE_MAX_BYTES", "1048576", 1);
	assert_int_equal(bundle_caps_from_env(&c, NULL), 0);
	assert_int_equal(c.max_depth, 5);
	assert_int_equal(c.max_bytes, 1048576);
	setenv("KENSHU_BUNDLE_MAX_DEPTH", "0", 1);
	assert_int_equal(bundle_caps_from_env(&c, NULL), -1);
	setenv("KENSHU_BUNDLE_MAX_DEPTH", "-1", 1);
	assert_int_equal(bundle_caps_from_env(&c, NULL), -1);
	setenv("KENSHU_BUNDLE_MAX_DEPTH", "3x", 1);
	assert_int_equal(bundle_caps_from_env(&c, NULL), -1);
	unsetenv("KENSHU_BUNDLE_MAX_DEPTH");
	setenv("KENSHU_BUNDLE_MAX_RATIO", "1", 1);
	assert_int_equal(bundle_caps_from_env(&c, NULL), -1);
	unsetenv("KENSHU_BUNDLE_MAX_RATIO");
	unsetenv("KENSHU_BUNDLE_MAX_BYTES");
}

static void names_of_things(void **state)
{
	assert_string_equal(bundle_kind_name(BUNDLE_IMAGE), "image");
	assert_string_equal(bundle_kind_name(BUNDLE_FILE), "file");
	assert_string_equal(bundle_kind_name(BUNDLE_NESTED), "bundle");
	assert_string_equal(bundle_kind_name(BUNDLE_SKIPPED), "skipped");
	assert_string_equal(bundle_verdict_name(0), "PASS");
	assert_string_equal(bundle_verdict_name(1), "FAIL");
	assert_string_equal(bundle_verdict_name(2), "ERROR");
	assert_string_equal(bundle_verdict_name(3), "REVIEW");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(images_by_content),
		cmocka_unit_test(archives_by_content),
		cmocka_unit_test(hostile_names),
		cmocka_unit_test(safe_components),
		cmocka_unit_test(caps_and_ratio),
		cmocka_unit_test(caps_from_environment),
		cmocka_unit_test(names_of_things),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
