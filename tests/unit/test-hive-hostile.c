/* Hostile hives: truncated, bit-flipped, cyclic subkey lists, huge value
 * sizes, broken UTF-16. Each must give a finding (open refused, values
 * missing), never a crash, a hang or a leak. The seed hives are built at
 * test time by build/tools/mkhive from the .reg files in images/hives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <hivex.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>

#include "bytes.h"

struct seed {
	unsigned char *data;
	size_t size;
	enum os_hive_kind kind;
};

static struct seed seeds[2];
static char dir[] = "/tmp/kenshu-test-hive-XXXXXX";

static void load_seed(struct seed *s, const char *reg, enum os_hive_kind kind)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char *out = xasprintf("%s/seed.hive", dir);
	char *cmd = xasprintf("'%s/mkhive' '%s' '%s'", tools ? tools : "build/tools", out, reg);
	FILE *f;
	long n;

	assert_int_equal(system(cmd), 0);
	f = fopen(out, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s->data = xmalloc((size_t)n);
	assert_int_equal(fread(s->data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	s->size = (size_t)n;
	s->kind = kind;
	unlink(out);
	free(out);
	free(cmd);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	load_seed(&seeds[0], "images/hives/software-wes7.reg", OS_HIVE_SOFTWARE);
	load_seed(&seeds[1], "images/hives/system-wes7.reg", OS_HIVE_SYSTEM);
	return 0;
}

static int teardown(void **state)
{
	free(seeds[0].data);
	free(seeds[1].data);
	rmdir(dir);
	return 0;
}

/* Visits every key and value once (a bitmap of cell offsets guards against
 * cycles), reading names and data as a full registry walk will. */
static void walk(hive_h *h, hive_node_h node, uint8_t *seen, size_t nbits, int depth, size_t *count)
{
	size_t bit = node / 8;

	if (!node || depth > 64 || bit >= nbits || (seen[bit / 8] & (1u << (bit % 8))))
		return;
	seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
	(*count)++;
	free(hivex_node_name(h, node));
	hive_value_h *vals = hivex_node_values(h, node);
	for (size_t i = 0; vals && vals[i]; i++) {
		hive_type t;
		size_t len;
		free(hivex_value_key(h, vals[i]));
		free(hivex_value_value(h, vals[i], &t, &len));
		if (t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ)
			free(hivex_value_string(h, vals[i]));
	}
	free(vals);
	hive_node_h *kids = hivex_node_children(h, node);
	for (size_t i = 0; kids && kids[i]; i++)
		walk(h, kids[i], seen, nbits, depth + 1, count);
	free(kids);
}

/* Returns 1 if the hive opened (and was fully read), 0 if refused. */
static int try(const unsigned char *data, size_t size, enum os_hive_kind kind)
{
	struct hive *h = NULL;
	struct hive_health hh;
	struct os_info os;

	if (hive_open_mem(data, size, &h, &hh) < 0) {
		assert_false(hh.opened);
		assert_true(hh.error[0] != '\0');
		return 0;
	}
	memset(&os, 0, sizeof(os));
	os_read_hive(h, kind, &os);
	os_info_release(&os);
	/* The raw hivex handle is private to hive.c: re-open the same bytes
	 * through hivex directly for the full walk. */
	hive_close(h);
	char *path = xasprintf("%s/w.hive", dir);
	FILE *f = fopen(path, "wb");
	fwrite(data, 1, size, f);
	fclose(f);
	hive_h *hx = hivex_open(path, 0);
	if (hx) {
		size_t nbits = size / 8 + 1, count = 0;
		uint8_t *seen = xcalloc(nbits / 8 + 1, 1);
		walk(hx, hivex_root(hx), seen, nbits, 0, &count);
		free(seen);
		hivex_close(hx);
	}
	unlink(path);
	free(path);
	return 1;
}

static void seeds_read_correctly(void **state)
{
	struct hive *h = NULL;
	struct hive_health hh;
	struct os_info os;

	memset(&os, 0, sizeof(os));
	assert_int_equal(hive_open_mem(seeds[0].data, seeds[0].size, &h, &hh), 0);
	assert_false(hh.dirty);
	os_read_hive(h, OS_HIVE_SOFTWARE, &os);
	hive_close(h);
	assert_int_equal(hive_open_mem(seeds[1].data, seeds[1].size, &h, &hh), 0);
	os_read_hive(h, OS_HIVE_SYSTEM, &os);
	hive_close(h);
	assert_string_equal(os.product_name, "Windows Embedded Standard");
	assert_string_equal(os.hostname, "PRESS-HMI-01");
	assert_int_equal(os.major, 6);
	assert_int_equal(os.minor, 1);
	assert_true(os.nprofiles >= 4);
	os_info_release(&os);
}

static void truncated(void **state)
{
	for (int s = 0; s < 2; s++) {
		size_t sizes[] = { 0, 100, 4095, 4096, 4100, 6000, 8192, seeds[s].size / 2, seeds[s].size - 1 };
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			try(seeds[s].data, sizes[i] < seeds[s].size ? sizes[i] : seeds[s].size - 1, seeds[s].kind);
	}
}

static uint64_t rnd_state = 0x6b656e736875ull;

static uint64_t rnd(void)
{
	return xorshift64(&rnd_state);
}

static void bit_flips(void **state)
{
	int opened = 0, refused = 0;

	for (int i = 0; i < 1500; i++) {
		const struct seed *s = &seeds[i % 2];
		unsigned char *d = xmalloc(s->size);
		int flips = 1 + (int)(rnd() % 16);

		memcpy(d, s->data, s->size);
		for (int k = 0; k < flips; k++)
			d[4096 + rnd() % (s->size - 4096)] = (unsigned char)rnd();
		if (try(d, s->size, s->kind))
			opened++;
		else
			refused++;
		free(d);
	}
	print_message("bit flips: %d opened, %d refused\n", opened, refused);
	/* Both outcomes must occur, or the mutations are not reaching the parser. */
	assert_true(opened > 0);
	assert_true(refused > 0 || opened == 1500);
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void huge_value_sizes(void **state)
{
	for (int s = 0; s < 2; s++) {
		unsigned char *d = xmalloc(seeds[s].size);
		int patched = 0;

		memcpy(d, seeds[s].data, seeds[s].size);
		/* vk cell: size(4) "vk" name_len(2) data_len(4) data_off(4) ... */
		for (size_t off = 4096; off + 12 < seeds[s].size; off += 8) {
			if (d[off + 4] == 'v' && d[off + 5] == 'k') {
				wr32(d + off + 8, 0x7ffffff0u);
				patched++;
			}
		}
		assert_true(patched > 5);
		try(d, seeds[s].size, seeds[s].kind);
		free(d);
	}
}

static void cyclic_subkey_lists(void **state)
{
	for (int s = 0; s < 2; s++) {
		unsigned char *d = xmalloc(seeds[s].size);
		uint32_t root = rd32(seeds[s].data + 0x24);
		int patched = 0;

		memcpy(d, seeds[s].data, seeds[s].size);
		/* lf/lh lists: size(4) sig(2) count(2) then {offset(4), hash(4)}:
		 * point every entry back at the root key. */
		for (size_t off = 4096; off + 16 < seeds[s].size; off += 8) {
			if ((d[off + 4] == 'l' && (d[off + 5] == 'f' || d[off + 5] == 'h'))) {
				unsigned n = (unsigned)(d[off + 6] | d[off + 7] << 8);
				for (unsigned k = 0; k < n && off + 8 + 8 * k + 4 <= seeds[s].size; k++)
					wr32(d + off + 8 + 8 * k, root);
				patched++;
			}
		}
		assert_true(patched > 0);
		try(d, seeds[s].size, seeds[s].kind);
		free(d);
	}
}

static void broken_utf16(void **state)
{
	unsigned char *d = xmalloc(seeds[0].size);
	static const unsigned char windows[] = { 'W', 0, 'i', 0, 'n', 0, 'd', 0, 'o', 0, 'w', 0, 's', 0 };
	int patched = 0;

	memcpy(d, seeds[0].data, seeds[0].size);
	for (size_t off = 4096; off + sizeof(windows) <= seeds[0].size; off++) {
		if (memcmp(d + off, windows, sizeof(windows)) == 0) {
			d[off] = 0x00;     /* a lone high surrogate */
			d[off + 1] = 0xD8;
			patched++;
		}
	}
	assert_true(patched > 0);
	assert_int_equal(try(d, seeds[0].size, OS_HIVE_SOFTWARE), 1);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seeds_read_correctly),
		cmocka_unit_test(truncated),
		cmocka_unit_test(bit_flips),
		cmocka_unit_test(huge_value_sizes),
		cmocka_unit_test(cyclic_subkey_lists),
		cmocka_unit_test(broken_utf16),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
