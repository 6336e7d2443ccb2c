/* Little-endian byte builders shared by the unit tests that write binary
 * formats (shell links, PE files, task files, partition tables, WMI pages)
 * byte by byte, and the random stream their mutation tests use. Include after <cmocka.h>. All static inline: each test
 * uses what it needs. */
#ifndef KENSHU_TEST_BYTES_H
#define KENSHU_TEST_BYTES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kenshu/core.h>

static inline void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void set32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void set64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* xorshift64: the fixed-seed stream the mutation tests draw from, so a
 * failure found once is found again. */
static inline uint64_t xorshift64(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* A growing buffer; `mark` is a position the test wants to remember (e.g.
 * where a structure ends, so cutting before it must fail). */
struct buf {
	uint8_t *p;
	size_t len, cap;
	size_t mark;
};

static inline void put(struct buf *b, const void *d, size_t n)
{
	if (b->cap - b->len < n) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

static inline void put8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static inline void put16(struct buf *b, uint16_t v)
{
	uint8_t x[2];

	set16(x, v);
	put(b, x, 2);
}

static inline void put32(struct buf *b, uint32_t v)
{
	uint8_t x[4];

	set32(x, v);
	put(b, x, 4);
}

static inline void zeros(struct buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(b, 0);
}

/* s (UTF-8) as UTF-16LE, with a NUL if asked; returns the code units. */
static inline size_t put_utf16(struct buf *b, const char *s, bool nul)
{
	uint16_t *u;
	long n = utf8_to_utf16le(s, &u);

	assert_true(n >= 0);
	for (long i = 0; i < n; i++)
		put16(b, u[i]);
	if (nul)
		put16(b, 0);
	free(u);
	return (size_t)n;
}

/* A fixture made by one of tests/tools' recipe programs: recipe is written
 * to DIR/recipeN.txt, the program (KENSHU_TOOLS, else build/tools) run as
 * "TOOL RECIPE OUT" or, out_first, "TOOL OUT RECIPE", and OUT's bytes
 * returned (free them; *n their count, never 0). Both files are removed. */
static inline uint8_t *tool_fixture(const char *dir, unsigned seq, const char *tool, bool out_first,
				    const char *recipe, size_t *n)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char *rpath = xasprintf("%s/recipe%u.txt", dir, seq);
	char *opath = xasprintf("%s/out%u", dir, seq);
	char *cmd = xasprintf("'%s/%s' '%s' '%s'", tools ? tools : "build/tools", tool,
			      out_first ? opath : rpath, out_first ? rpath : opath);
	uint8_t *p;
	FILE *f;
	long len;

	f = fopen(rpath, "w");
	assert_non_null(f);
	assert_true(fputs(recipe, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(system(cmd), 0);
	f = fopen(opath, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	p = xmalloc((size_t)len);
	*n = (size_t)len;
	assert_int_equal(fread(p, 1, *n, f), *n);
	fclose(f);
	unlink(rpath);
	unlink(opath);
	free(rpath);
	free(opath);
	free(cmd);
	return p;
}

#endif
