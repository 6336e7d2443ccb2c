/* Differencing disks found from the container's own headers (VHD, VHDX,
 * VMDK): headers built here byte by byte, then damaged the ways a hostile
 * or broken file would be; and qemu-img's own differencing VMDK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include "bytes.h"

struct mem {
	uint8_t *d;
	size_t n;
};

static int mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct mem *m = ctx;

	if (off > m->n || len > m->n - off)
		return -1;
	memcpy(buf, m->d + off, len);
	return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static struct img_parent parent_of(const char *format, const struct mem *m)
{
	struct img_parent p;

	img_parent_read(format, mem_read, (void *)m, m->n, &p);
	return p;
}

/* ---- VHD: footer copy at 0, dynamic header at 512, data, footer ---- */

#define VHD_SIZE (64u << 10)

/* A dynamic VHD of disk type `type` whose header names `parent` (ASCII,
 * written UTF-16BE; NULL: no name). */
static struct mem vhd(uint32_t type, const char *parent)
{
	struct mem m = { xcalloc(1, VHD_SIZE), VHD_SIZE };
	uint8_t *f = m.d, *dyn = m.d + 512;

	memcpy(f, "conectix", 8);
	put_be32(f + 8, 2);
	put_be32(f + 12, 0x00010000);
	put_be64(f + 16, 512);                /* the dynamic header */
	put_be64(f + 48, 4u << 20);
	put_be32(f + 60, type);
	memcpy(dyn, "cxsparse", 8);
	put_be64(dyn + 8, UINT64_MAX);
	put_be64(dyn + 16, 1536);
	put_be32(dyn + 24, 0x00010000);
	for (size_t i = 0; parent && parent[i]; i++) {
		dyn[64 + 2 * i] = 0;
		dyn[64 + 2 * i + 1] = (uint8_t)parent[i];
	}
	memcpy(m.d + VHD_SIZE - 512, f, 512);
	return m;
}

static void vhd_names_its_parent(void **state)
{
	struct mem m = vhd(4, "C:\\Projects\\dfvfs\\test_data\\fat-parent.vhd");
	struct img_parent p = parent_of("vhd", &m);

	(void)state;
	assert_true(p.differencing);
	assert_string_equal(p.name, "C:\\Projects\\dfvfs\\test_data\\fat-parent.vhd");
	free(m.d);

	/* Dynamic (3) and fixed (2) disks have no parent. */
	m = vhd(3, "ignored.vhd");
	assert_false(parent_of("vhd", &m).differencing);
	free(m.d);
	m = vhd(2, NULL);
	assert_false(parent_of("vhd", &m).differencing);
	/* Only the footer at the end (a fixed disk's layout). */
	memset(m.d, 0, 512);
	put_be32(m.d + VHD_SIZE - 512 + 60, 4);
	p = parent_of("vhd", &m);
	assert_true(p.differencing);
	assert_string_equal(p.name, "");
	assert_string_equal(p.why, "its header names no parent");
	memset(m.d + 512, 0, 8);   /* the dynamic header's cookie gone */
	p = parent_of("vhd", &m);
	assert_true(p.differencing);
	assert_string_equal(p.why, "its dynamic disk header (at byte 512) is damaged");
	free(m.d);
}

static void vhd_locators_when_no_name(void **state)
{
	struct mem m = vhd(4, NULL);
	uint8_t *loc = m.d + 512 + 576;
	static const char rel[] = ".\\base.vhd", abs_[] = "D:\\VMs\\base.vhd";

	(void)state;
	/* W2ru at 4096, W2ku at 8192: the absolute path wins. */
	memcpy(loc, "W2ru", 4);
	put_be32(loc + 4, 512);
	put_be32(loc + 8, 2 * (uint32_t)strlen(rel));
	put_be64(loc + 16, 4096);
	memcpy(loc + 24, "W2ku", 4);
	put_be32(loc + 24 + 4, 512);
	put_be32(loc + 24 + 8, 2 * (uint32_t)strlen(abs_));
	put_be64(loc + 24 + 16, 8192);
	for (size_t i = 0; rel[i]; i++)
		m.d[4096 + 2 * i] = (uint8_t)rel[i];
	for (size_t i = 0; abs_[i]; i++)
		m.d[8192 + 2 * i] = (uint8_t)abs_[i];
	struct img_parent p = parent_of("vhd", &m);
	assert_true(p.differencing);
	assert_string_equal(p.name, "D:\\VMs\\base.vhd");
	/* An absurd offset or length: skipped, the next one is used. */
	put_be64(loc + 24 + 16, UINT64_MAX - 4);
	p = parent_of("vhd", &m);
	assert_string_equal(p.name, ".\\base.vhd");
	put_be32(loc + 8, 0xFFFFFFF0u);
	p = parent_of("vhd", &m);
	assert_true(p.differencing);
	assert_string_equal(p.name, "");
	assert_string_equal(p.why, "its header names no parent");
	free(m.d);
}

static void vhd_hostile(void **state)
{
	struct mem m = vhd(4, NULL);
	struct img_parent p;
	uint8_t *name = m.d + 512 + 64;

	(void)state;
	/* A name without its terminator: all 256 units, no more. */
	for (size_t i = 0; i < 256; i++) {
		name[2 * i] = 0;
		name[2 * i + 1] = 'A';
	}
	p = parent_of("vhd", &m);
	assert_true(p.differencing);
	assert_int_equal(strlen(p.name), 256);
	/* 256 units of a three-byte character: cut to fit, never mid-character. */
	for (size_t i = 0; i < 256; i++) {
		name[2 * i] = 0x30;
		name[2 * i + 1] = 0x42;   /* U+3042 */
	}
	p = parent_of("vhd", &m);
	assert_int_equal(strlen(p.name), 510);
	assert_int_equal(strncmp(p.name + 507, "\xE3\x81\x82", 3), 0);
	/* Bad UTF-16 (a lone surrogate) and control characters: replaced. */
	memset(name, 0, 512);
	name[0] = 0xD8; name[1] = 0x00;   /* high surrogate, then 'x' */
	name[3] = 'x';
	name[5] = '\n';
	name[7] = 'y';
	p = parent_of("vhd", &m);
	assert_string_equal(p.name, "\xEF\xBF\xBDx?y");
	/* The dynamic header's offset far past the end of the file. */
	put_be64(m.d + 16, UINT64_MAX - 100);
	p = parent_of("vhd", &m);
	assert_true(p.differencing);
	assert_non_null(strstr(p.why, "lies outside the file"));
	/* Header at the very end: 1024 bytes do not fit. */
	put_be64(m.d + 16, VHD_SIZE - 512);
	p = parent_of("vhd", &m);
	assert_non_null(strstr(p.why, "lies outside the file"));
	/* Truncated: a file shorter than a footer, and a footer cut short. */
	m.n = 300;
	assert_false(parent_of("vhd", &m).differencing);
	m.n = 0;
	assert_false(parent_of("vhd", &m).differencing);
	/* Not a VHD at all. */
	memset(m.d, 0xFF, VHD_SIZE);
	m.n = VHD_SIZE;
	assert_false(parent_of("vhd", &m).differencing);
	free(m.d);
}

/* ---- VHDX: region table at 192 KiB, metadata region at 1 MiB ---- */

#define VHDX_SIZE (2u << 20)
#define MD (1u << 20)

static const uint8_t g_metadata[16] = { 0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B,
					0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E };
static const uint8_t g_params[16] = { 0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D,
				      0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B };
static const uint8_t g_locator[16] = { 0x2D, 0x5F, 0xD3, 0xA8, 0x0B, 0xB3, 0x4D, 0x45,
				       0xAB, 0xF7, 0xD3, 0xD8, 0x48, 0x34, 0xAB, 0x0C };

static void utf16(uint8_t *p, const char *s)
{
	for (size_t i = 0; s[i]; i++) {
		p[2 * i] = (uint8_t)s[i];
		p[2 * i + 1] = 0;
	}
}

/* flags: the file parameters' flags; keys/values: the parent locator's
 * pairs (n of them; 0 = no locator item). */
static struct mem vhdx(uint32_t flags, const char *const *kv, size_t n)
{
	struct mem m = { xcalloc(1, VHDX_SIZE), VHDX_SIZE };
	uint8_t *rt = m.d + (192u << 10), *md = m.d + MD;

	memcpy(m.d, "vhdxfile", 8);
	memcpy(rt, "regi", 4);
	set32(rt + 8, 1);
	memcpy(rt + 16, g_metadata, 16);
	set64(rt + 32, MD);
	set32(rt + 40, 1u << 20);
	memcpy(md, "metadata", 8);
	set16(md + 10, n ? 2 : 1);
	memcpy(md + 32, g_params, 16);
	set32(md + 48, 65536);
	set32(md + 52, 8);
	set32(md + 65536, 32u << 20);
	set32(md + 65536 + 4, flags);
	if (n) {
		uint8_t *loc = md + 65536 + 4096;
		uint32_t at = 20 + 12 * (uint32_t)n;

		memcpy(md + 64, g_locator, 16);
		set32(md + 80, 65536 + 4096);
		set32(md + 84, 4096);
		set16(loc + 18, (uint16_t)n);
		for (size_t i = 0; i < n; i++) {
			uint8_t *e = loc + 20 + 12 * i;
			uint16_t kl = (uint16_t)(2 * strlen(kv[2 * i])), vl = (uint16_t)(2 * strlen(kv[2 * i + 1]));

			set32(e, at);
			set16(e + 8, kl);
			utf16(loc + at, kv[2 * i]);
			at += kl;
			set32(e + 4, at);
			set16(e + 10, vl);
			utf16(loc + at, kv[2 * i + 1]);
			at += vl;
		}
	}
	return m;
}

static void vhdx_parent_locator(void **state)
{
	static const char *const kv[] = {
		"parent_linkage", "{83ddd7bd-fc4f-4a5e-9fd6-8f3ca1a9e3a6}",
		"relative_path", "..\\base\\disk.vhdx",
		"absolute_win32_path", "\\\\?\\C:\\VMs\\base\\disk.vhdx",
	};
	struct mem m = vhdx(2, kv, 3);
	struct img_parent p = parent_of("vhdx", &m);

	(void)state;
	assert_true(p.differencing);
	assert_string_equal(p.name, "\\\\?\\C:\\VMs\\base\\disk.vhdx");
	free(m.d);
	m = vhdx(2, kv, 2);   /* no absolute path: the relative one */
	assert_string_equal(parent_of("vhdx", &m).name, "..\\base\\disk.vhdx");
	free(m.d);
	m = vhdx(2, kv, 1);
	assert_string_equal(parent_of("vhdx", &m).name, "{83ddd7bd-fc4f-4a5e-9fd6-8f3ca1a9e3a6}");
	free(m.d);
	/* HasParent without a locator; a locator without HasParent. */
	m = vhdx(2, kv, 0);
	p = parent_of("vhdx", &m);
	assert_true(p.differencing);
	assert_string_equal(p.why, "it has no parent locator");
	free(m.d);
	m = vhdx(1, kv, 3);
	assert_true(parent_of("vhdx", &m).differencing);
	free(m.d);
	/* A plain disk: LeaveBlocksAllocated only, no locator. */
	m = vhdx(1, kv, 0);
	assert_false(parent_of("vhdx", &m).differencing);
	/* The backup region table is used when the first is damaged. */
	memcpy(m.d + (256u << 10), m.d + (192u << 10), 64);
	memset(m.d + (192u << 10), 0, 4);
	set32(m.d + MD + 65536 + 4, 2);
	assert_true(parent_of("vhdx", &m).differencing);
	free(m.d);
}

static void vhdx_hostile(void **state)
{
	static const char *const kv[] = { "absolute_win32_path", "C:\\base.vhdx" };
	struct mem m = vhdx(2, kv, 1);
	uint8_t *loc = m.d + MD + 65536 + 4096;
	struct img_parent p;

	(void)state;
	/* Key and value offsets and lengths past the item: no name, still a child. */
	set32(loc + 20 + 4, 0xFFFFFF00u);
	p = parent_of("vhdx", &m);
	assert_true(p.differencing);
	assert_string_equal(p.name, "");
	assert_string_equal(p.why, "its parent locator names no parent");
	set32(loc + 20 + 4, 20 + 12 + 38);
	set16(loc + 18, 0xFFFF);   /* more pairs than the item holds */
	assert_string_equal(parent_of("vhdx", &m).name, "C:\\base.vhdx");
	/* An item longer than the region, or at an absurd offset: ignored, but
	 * HasParent still says it is a child. */
	set32(m.d + MD + 84, 0x7FFFFFFFu);
	p = parent_of("vhdx", &m);
	assert_true(p.differencing);
	assert_string_equal(p.name, "");
	set32(m.d + MD + 84, 4096);
	set32(m.d + MD + 80, 0xFFFFF000u);
	assert_string_equal(parent_of("vhdx", &m).name, "");
	/* The metadata region far outside the file; an absurd entry count. */
	set64(m.d + (192u << 10) + 32, UINT64_MAX - 10);
	assert_false(parent_of("vhdx", &m).differencing);
	set64(m.d + (192u << 10) + 32, MD);
	set32(m.d + (192u << 10) + 8, 0xFFFFFFFFu);
	assert_true(parent_of("vhdx", &m).differencing);   /* found before the cap */
	set16(m.d + MD + 10, 0xFFFF);
	assert_true(parent_of("vhdx", &m).differencing);
	/* Truncated inside the region table. */
	m.n = (192u << 10) + 20;
	assert_false(parent_of("vhdx", &m).differencing);
	free(m.d);
}

/* ---- VMDK ---- */

static void vmdk_descriptor(void **state)
{
	static const char child[] = "# Disk DescriptorFile\nversion=1\nCID=12345678\n"
				    "parentCID = 9abcdef0\ncreateType=\"monolithicSparse\"\n"
				    "parentFileNameHint=\"..\\\\base\\\\disk.vmdk\"\r\n\nRW 8192 SPARSE \"child-s001.vmdk\"\n";
	static const char plain[] = "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n"
				    "createType=\"monolithicFlat\"\nRW 2048 FLAT \"disk-flat.vmdk\" 0\n";
	static const char no_hint[] = "# Disk DescriptorFile\nparentCID=0000abcd\ncreateType=\"vmfsSparse\"\n";
	struct mem m = { (uint8_t *)child, sizeof(child) - 1 };
	struct img_parent p = parent_of("vmdk", &m);

	(void)state;
	assert_true(p.differencing);
	assert_string_equal(p.name, "..\\\\base\\\\disk.vmdk");
	m = (struct mem){ (uint8_t *)plain, sizeof(plain) - 1 };
	assert_false(parent_of("vmdk", &m).differencing);
	/* A hint that is not UTF-8 is shown as ASCII only. */
	static const char bad[] = "# Disk DescriptorFile\nparentFileNameHint=\"b\xFF\xC3se\x01.vmdk\"\n";
	m = (struct mem){ (uint8_t *)bad, sizeof(bad) - 1 };
	assert_string_equal(parent_of("vmdk", &m).name, "b??se?.vmdk");
	m = (struct mem){ (uint8_t *)no_hint, sizeof(no_hint) - 1 };
	p = parent_of("vmdk", &m);
	assert_true(p.differencing);
	assert_string_equal(p.why, "its descriptor names no parentFileNameHint");

	/* A sparse extent with its descriptor embedded at sector 1. */
	struct mem s = { xcalloc(1, 8192), 8192 };
	memcpy(s.d, "KDMV", 4);
	set64(s.d + 28, 1);
	set64(s.d + 36, 2);
	memcpy(s.d + 512, child, sizeof(child) - 1);
	assert_string_equal(parent_of("vmdk", &s).name, "..\\\\base\\\\disk.vmdk");
	/* Hostile: the descriptor past the end, or absurdly large. */
	set64(s.d + 28, UINT64_MAX / 512);
	assert_false(parent_of("vmdk", &s).differencing);
	set64(s.d + 28, 1);
	set64(s.d + 36, UINT64_MAX);
	assert_false(parent_of("vmdk", &s).differencing);
	/* Cut short: what is there is read. */
	set64(s.d + 36, 2);
	s.n = 512 + 60;
	assert_true(parent_of("vmdk", &s).differencing);
	free(s.d);
	/* Another format's name: nothing read. */
	assert_false(parent_of("qcow2", &m).differencing);
}

/* The real thing: qemu-img's differencing VMDK, whose parent then goes. */
static void vmdk_from_qemu(void **state)
{
	char dir[] = "/tmp/kenshu-test-parent-XXXXXX";
	char *cmd, *child;
	FILE *f;
	struct mem m;
	long n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	cmd = xasprintf("cd '%s' && qemu-img create -q -f vmdk base.vmdk 4M && "
			"qemu-img create -q -f vmdk -b base.vmdk -F vmdk child.vmdk && rm base.vmdk", dir);
	if (system(cmd) != 0)
		fail_msg("'%s' failed: qemu-img (qemu-utils) is needed", cmd);
	free(cmd);
	child = xasprintf("%s/child.vmdk", dir);
	f = fopen(child, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	m.n = (size_t)n;
	m.d = xmalloc(m.n);
	assert_int_equal(fread(m.d, 1, m.n, f), m.n);
	fclose(f);
	struct img_parent p = parent_of("vmdk", &m);
	assert_true(p.differencing);
	assert_string_equal(p.name, "base.vmdk");
	free(m.d);
	free(child);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vhd_names_its_parent),
		cmocka_unit_test(vhd_locators_when_no_name),
		cmocka_unit_test(vhd_hostile),
		cmocka_unit_test(vhdx_parent_locator),
		cmocka_unit_test(vhdx_hostile),
		cmocka_unit_test(vmdk_descriptor),
		cmocka_unit_test(vmdk_from_qemu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
