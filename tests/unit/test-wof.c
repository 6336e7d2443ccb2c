/* CompactOS (WOF) decoding: every format round-trips through wimlib's own
 * compressor, random access decompresses only the chunks it needs, the
 * 8-byte table of files of 4 GiB and more is read right (on a stream made
 * up on the fly), and hostile streams (cut short, bad offsets, garbage
 * chunks, 20k+ random mutations) give an error, never a crash, a hang or
 * bytes read as if nothing was wrong. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <wimlib.h>

#include <kenshu/core.h>
#include <kenshu/volume.h>

#include "bytes.h"

static const enum wof_format all_formats[] = { WOF_XPRESS4K, WOF_LZX, WOF_XPRESS8K, WOF_XPRESS16K };
#define NFORMATS (sizeof(all_formats) / sizeof(all_formats[0]))

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	return xorshift64(&rng_state);
}

/* ---- building streams the way Windows does ---- */

/* WofCompressedData for in[0..len): each chunk compressed with wimlib
 * unless that does not make it smaller (or `stored` asks for it as is). */
static uint8_t *compress_wof(enum wof_format fmt, const uint8_t *in, size_t len, bool stored,
			     size_t *outlen)
{
	uint32_t chunk = wof_chunk_size(fmt);
	size_t nchunks = (len + chunk - 1) / chunk, width = len <= UINT32_MAX ? 4 : 8;
	size_t table = nchunks ? (nchunks - 1) * width : 0, pos = table;
	uint8_t *out = malloc(table + len + 1);
	struct wimlib_compressor *c = NULL;

	assert_non_null(out);
	assert_int_equal(wimlib_create_compressor(fmt == WOF_LZX ? WIMLIB_COMPRESSION_TYPE_LZX
						  : WIMLIB_COMPRESSION_TYPE_XPRESS, chunk, 0, &c), 0);
	for (size_t i = 0; i < nchunks; i++) {
		size_t usize = len - i * chunk < chunk ? len - i * chunk : chunk;
		size_t n = stored ? 0 : wimlib_compress(in + i * chunk, usize, out + pos, usize - 1, c);

		if (n == 0) {
			memcpy(out + pos, in + i * chunk, usize);
			n = usize;
		}
		pos += n;
		if (i + 1 < nchunks) {
			if (width == 4)
				set32(out + 4 * i, (uint32_t)(pos - table));
			else
				set64(out + 8 * i, pos - table);
		}
	}
	wimlib_free_compressor(c);
	*outlen = pos;
	return out;
}

/* Text-like, compressible bytes, or xorshift noise that does not compress. */
static uint8_t *make_data(size_t len, int kind)
{
	static const char words[] = "kenshu acceptance scan of the vendor image: press line 3, HMI panel ";
	uint8_t *d = malloc(len + 1);

	assert_non_null(d);
	for (size_t i = 0; i < len; i++) {
		switch (kind) {
		case 0:
			d[i] = (uint8_t)words[(i * 7 + i / 97) % (sizeof(words) - 1)];
			break;
		case 1:
			d[i] = (uint8_t)rnd();
			break;
		default:
			/* Alternate compressible and stored chunks of 4 KiB. */
			d[i] = (i / 4096) % 2 ? (uint8_t)rnd() : (uint8_t)words[i % (sizeof(words) - 1)];
			break;
		}
	}
	return d;
}

/* ---- an in-memory stream, counting what is read from it ---- */

struct mem {
	const uint8_t *p;
	size_t n;
	uint64_t bytes_read;
	int fail_at;         /* >= 0: the fail_at-th read returns -1 */
	int reads;
	size_t short_by;     /* the stream really holds n - short_by bytes */
};

static int64_t mem_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
	struct mem *m = ctx;
	size_t real = m->n - m->short_by;

	if (m->fail_at >= 0 && m->reads++ == m->fail_at)
		return -1;
	if (off >= real)
		return 0;
	if (n > real - off)
		n = (size_t)(real - off);
	memcpy(buf, m->p + off, n);
	m->bytes_read += n;
	return (int64_t)n;
}

static struct wof_source mem_source(struct mem *m)
{
	struct wof_source s = { .pread = mem_pread, .ctx = m, .size = m->n };

	return s;
}

static struct mem mem_of(const uint8_t *p, size_t n)
{
	struct mem m = { .p = p, .n = n, .fail_at = -1 };

	return m;
}

static struct wof *open_ok(enum wof_format fmt, uint64_t size, struct mem *m)
{
	struct wof_source src = mem_source(m);
	struct wof *w = NULL;
	struct ks_err err;

	if (wof_open(fmt, size, &src, &w, &err) != 0)
		fail_msg("wof_open failed: %s", err);
	return w;
}

/* wof_open must refuse, with `want` in the reason. */
static void open_fails(enum wof_format fmt, uint64_t size, const uint8_t *p, size_t n, const char *want)
{
	struct mem m = mem_of(p, n);
	struct wof_source src = mem_source(&m);
	struct wof *w = NULL;
	struct ks_err err;

	if (wof_open(fmt, size, &src, &w, &err) == 0) {
		wof_close(w);
		fail_msg("wof_open accepted a stream it must refuse (%s)", want);
	}
	if (!strstr(err.msg, want))
		fail_msg("reason '%s' does not say '%s'", err, want);
}

/* Reads everything in pieces of `piece` bytes; returns the total, or -1. */
static int64_t read_all(struct wof *w, uint8_t *out, size_t size, size_t piece)
{
	size_t off = 0;

	while (off < size) {
		size_t want = size - off < piece ? size - off : piece;
		int64_t got = wof_pread(w, out + off, want, off);

		if (got < 0) {
			assert_int_equal(errno, EIO);
			assert_true(wof_error(w)[0] != '\0');
			return -1;
		}
		assert_true(got > 0);
		assert_true((size_t)got <= want);
		off += (size_t)got;
	}
	assert_int_equal(wof_pread(w, out, 1, size), 0);
	return (int64_t)off;
}

/* ---- round trips ---- */

static void roundtrip(enum wof_format fmt, size_t len, int kind, bool stored)
{
	uint8_t *d = make_data(len, kind), *back = malloc(len + 1);
	size_t clen;
	uint8_t *c = compress_wof(fmt, d, len, stored, &clen);
	struct mem m = mem_of(c, clen);
	struct wof *w = open_ok(fmt, len, &m);
	static const size_t pieces[] = { (size_t)-1, 1000, 4095, 65536 };

	assert_non_null(back);
	assert_int_equal(wof_size(w), len);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		memset(back, 0xA5, len);
		assert_int_equal(read_all(w, back, len, pieces[i]), (int64_t)len);
		if (len && memcmp(back, d, len) != 0)
			fail_msg("%s, %zu bytes, kind %d: decompressed bytes differ",
				 wof_format_name(fmt), len, kind);
	}
	wof_close(w);
	free(c);
	free(d);
	free(back);
}

static void test_roundtrip_sizes(void **state)
{
	for (size_t f = 0; f < NFORMATS; f++) {
		size_t ch = wof_chunk_size(all_formats[f]);
		const size_t sizes[] = { 0, 1, 2, ch - 1, ch, ch + 1, 2 * ch, 5 * ch + 123, 40 * ch + 7 };

		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			for (int kind = 0; kind < 3; kind++)
				roundtrip(all_formats[f], sizes[s], kind, false);
	}
}

static void test_stored_chunks(void **state)
{
	for (size_t f = 0; f < NFORMATS; f++) {
		size_t ch = wof_chunk_size(all_formats[f]), len = 3 * ch + 17, clen;
		uint8_t *d = make_data(len, 1);
		uint8_t *c = compress_wof(all_formats[f], d, len, false, &clen);

		/* Noise does not shrink: every chunk is stored as it is, so
		 * the stream is the table then the file itself. */
		assert_int_equal(clen, 3 * 4 + len);
		assert_memory_equal(c + 12, d, len);
		free(c);
		free(d);
		/* Compressible data forced to be stored reads the same. */
		roundtrip(all_formats[f], len, 0, true);
		roundtrip(all_formats[f], 1, 0, true);
	}
}

/* Random offsets and lengths across chunk boundaries, against the original;
 * a read decompresses only what it covers, and the last chunk is kept. */
static void test_random_access(void **state)
{
	for (size_t f = 0; f < NFORMATS; f++) {
		enum wof_format fmt = all_formats[f];
		size_t ch = wof_chunk_size(fmt), len = 37 * ch + 999, clen;
		uint8_t *d = make_data(len, 2), *buf = malloc(3 * ch);
		uint8_t *c = compress_wof(fmt, d, len, false, &clen);
		struct mem m = mem_of(c, clen);
		struct wof *w = open_ok(fmt, len, &m);

		for (int i = 0; i < 2000; i++) {
			size_t off = rnd() % (len + 10), n = rnd() % (2 * ch + 3);
			int64_t got = wof_pread(w, buf, n, off);
			size_t want = off >= len ? 0 : (n < len - off ? n : len - off);

			assert_int_equal(got, (int64_t)want);
			if (want)
				assert_memory_equal(buf, d + off, want);
		}
		/* Ten bytes in chunk 20: the bytes of that chunk (and perhaps a
		 * table window), never the whole stream. */
		assert_int_equal(wof_pread(w, buf, 1, 3 * ch), 1);
		m.bytes_read = 0;
		assert_int_equal(wof_pread(w, buf, 10, 20 * ch + 5), 10);
		assert_true(m.bytes_read > 0);
		assert_true(m.bytes_read <= ch + 512 * 4);
		assert_memory_equal(buf, d + 20 * ch + 5, 10);
		/* The same chunk again: served from the kept chunk. */
		m.bytes_read = 0;
		assert_int_equal(wof_pread(w, buf, 100, 20 * ch + 1000), 100);
		assert_int_equal(m.bytes_read, 0);
		assert_memory_equal(buf, d + 20 * ch + 1000, 100);
		/* Across a boundary: two chunks, no more. */
		m.bytes_read = 0;
		assert_int_equal(wof_pread(w, buf, 20, 30 * ch - 10), 20);
		assert_true(m.bytes_read <= 2 * ch + 512 * 4);
		assert_memory_equal(buf, d + 30 * ch - 10, 20);
		wof_close(w);
		free(c);
		free(d);
		free(buf);
	}
}

/* Each reader holds its own decompressor: readers on several threads at
 * once (as the scanner's workers are) must not disturb each other. */
struct thread_arg {
	enum wof_format fmt;
	const uint8_t *c, *d;
	size_t clen, len;
	int ok;
};

static void *reader_thread(void *p)
{
	struct thread_arg *a = p;
	struct mem m = mem_of(a->c, a->clen);
	struct wof_source src = mem_source(&m);
	struct wof *w;
	struct ks_err err;
	uint8_t *back = malloc(a->len);

	a->ok = 0;
	if (back && wof_open(a->fmt, a->len, &src, &w, &err) == 0) {
		a->ok = 1;
		for (int round = 0; round < 20 && a->ok; round++) {
			size_t off = 0;
			while (off < a->len) {
				int64_t got = wof_pread(w, back + off, 7777, off);
				if (got <= 0) {
					a->ok = 0;
					break;
				}
				off += (size_t)got;
			}
			a->ok = a->ok && memcmp(back, a->d, a->len) == 0;
		}
		wof_close(w);
	}
	free(back);
	return NULL;
}

static void test_threads(void **state)
{
	struct thread_arg args[8];
	pthread_t t[8];
	uint8_t *d[NFORMATS], *c[NFORMATS];
	size_t clen[NFORMATS], len = 200000;

	for (size_t f = 0; f < NFORMATS; f++) {
		d[f] = make_data(len, 2);
		c[f] = compress_wof(all_formats[f], d[f], len, false, &clen[f]);
	}
	for (int i = 0; i < 8; i++) {
		size_t f = (size_t)i % NFORMATS;
		args[i] = (struct thread_arg){ all_formats[f], c[f], d[f], clen[f], len, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, reader_thread, &args[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].ok, 1);
	}
	for (size_t f = 0; f < NFORMATS; f++) {
		free(d[f]);
		free(c[f]);
	}
}

/* ---- files of 4 GiB and more: 8-byte table entries ---- */

/* A stream made up on the fly: every chunk but the last is the same
 * compressed chunk of zeros, the table has `width`-byte entries. */
struct virt {
	unsigned width;
	uint64_t nchunks;
	const uint8_t *c;
	size_t clen;
	const uint8_t *last;
	size_t lastlen;
	uint64_t table;
};

static uint64_t virt_size(const struct virt *v)
{
	return v->table + (v->nchunks - 1) * v->clen + v->lastlen;
}

static int64_t virt_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
	const struct virt *v = ctx;
	uint8_t *o = buf;
	uint64_t end = virt_size(v);

	if (off >= end)
		return 0;
	if (n > end - off)
		n = (size_t)(end - off);
	for (size_t i = 0; i < n; i++) {
		uint64_t p = off + i;

		if (p < v->table) {
			uint64_t k = p / v->width, val = (k + 1) * v->clen;
			o[i] = (uint8_t)(val >> (8 * (p % v->width)));
		} else {
			uint64_t q = p - v->table, idx = q / v->clen;
			o[i] = idx < v->nchunks - 1 ? v->c[q % v->clen] : v->last[q - (v->nchunks - 1) * v->clen];
		}
	}
	return (int64_t)n;
}

static void big_file(uint64_t size, unsigned width, bool expect_ok)
{
	const uint32_t ch = 32768;
	uint8_t *zeros_in = calloc(1, ch), *c, *last, *buf = malloc(70000);
	size_t clen, lastlen;
	uint32_t lastu = (uint32_t)(((size - 1) % ch) + 1);
	uint8_t *c1 = compress_wof(WOF_LZX, zeros_in, ch, false, &clen);
	uint8_t *c2 = compress_wof(WOF_LZX, zeros_in, lastu, false, &lastlen);
	struct virt v = { .width = width, .nchunks = (size + ch - 1) / ch };
	struct wof_source src = { .pread = virt_pread, .ctx = &v };
	struct wof *w = NULL;
	struct ks_err err;

	c = c1;
	last = c2;
	v.c = c;
	v.clen = clen;
	v.last = last;
	v.lastlen = lastlen;
	v.table = (v.nchunks - 1) * width;
	src.size = virt_size(&v);
	if (!expect_ok) {
		assert_int_not_equal(wof_open(WOF_LZX, size, &src, &w, &err), 0);
		assert_true(strstr(err.msg, "corrupt chunk table") != NULL);
		goto out;
	}
	if (wof_open(WOF_LZX, size, &src, &w, &err) != 0)
		fail_msg("%llu bytes, %u-byte entries: %s", (unsigned long long)size, width, err);
	assert_int_equal(wof_size(w), size);
	/* Around 4 GiB, across chunk boundaries, and the very end. */
	const uint64_t offs[] = { 0, (1ull << 32) - 40000, (1ull << 32) - 5, size - 70000, size - 1 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		uint64_t off = offs[i];
		size_t want = size - off < 70000 ? (size_t)(size - off) : 70000;

		memset(buf, 0xEE, 70000);
		assert_int_equal(wof_pread(w, buf, 70000, off), (int64_t)want);
		for (size_t k = 0; k < want; k++)
			if (buf[k])
				fail_msg("byte %llu is not zero", (unsigned long long)(off + k));
	}
	assert_int_equal(wof_pread(w, buf, 10, size), 0);
	wof_close(w);
out:
	free(zeros_in);
	free(c1);
	free(c2);
	free(buf);
}

static void test_table_width(void **state)
{
	/* 4 GiB - 1 is the largest size with 4-byte entries, 4 GiB the
	 * smallest with 8-byte ones. */
	big_file((1ull << 32) - 1, 4, true);
	big_file(1ull << 32, 8, true);
	big_file((1ull << 32) + 1000, 8, true);
	big_file(5ull << 30, 8, true);
	/* The other width misreads every entry. */
	big_file((1ull << 32) - 1, 8, false);
	big_file((1ull << 32) + 1000, 4, false);
}

/* ---- hostile streams ---- */

static void test_bad_sizes(void **state)
{
	uint8_t one[1] = { 'A' };
	struct mem m = mem_of(one, 0);
	struct wof *w = open_ok(WOF_XPRESS4K, 0, &m);
	uint8_t b;

	assert_int_equal(wof_pread(w, &b, 1, 0), 0);
	wof_close(w);
	open_fails(WOF_XPRESS4K, 0, one, 1, "empty file");
	open_fails(WOF_XPRESS4K, (uint64_t)INT64_MAX + 1, one, 1, "not a valid file size");
	open_fails(WOF_XPRESS4K, UINT64_MAX, one, 1, "not a valid file size");
	/* A huge logical size needs a table the stream cannot hold: refused
	 * before any of it is read or allocated. */
	open_fails(WOF_XPRESS4K, 1ull << 50, one, 1, "too short");
	open_fails(WOF_LZX, INT64_MAX, one, 1, "too short");
	/* Two chunks need a 4-byte entry and a byte each. */
	open_fails(WOF_XPRESS4K, 4097, one, 1, "too short");
	open_fails((enum wof_format)4, 10, one, 1, "unknown CompactOS compression format 4");
}

static void put_entries(uint8_t *p, const uint32_t *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		set32(p + 4 * i, e[i]);
}

static void test_bad_tables(void **state)
{
	/* 3 XPRESS4K chunks (10000 bytes): 2 entries, then the data. */
	uint8_t s[8 + 12000];
	const uint32_t desc[] = { 3000, 2000 }, equal[] = { 3000, 3000 }, zero[] = { 0, 3000 },
		       past[] = { 3000, 20000 }, big[] = { 4097, 5000 }, big2[] = { 100, 4300 },
		       ok[] = { 100, 200 };

	memset(s, 0x11, sizeof(s));
	put_entries(s, desc, 2);
	open_fails(WOF_XPRESS4K, 10000, s, 8 + 4000, "offsets go backwards at chunk 1");
	put_entries(s, equal, 2);
	open_fails(WOF_XPRESS4K, 10000, s, 8 + 4000, "chunk 1 is empty");
	put_entries(s, zero, 2);
	open_fails(WOF_XPRESS4K, 10000, s, 8 + 4000, "chunk 0 is empty");
	put_entries(s, past, 2);
	open_fails(WOF_XPRESS4K, 10000, s, 8 + 4000, "chunk 1 ends at 20000, past the end");
	put_entries(s, big, 2);
	open_fails(WOF_XPRESS4K, 10000, s, 8 + 6000, "chunk 0 is 4097 bytes, more than the 4096");
	put_entries(s, big2, 2);
	open_fails(WOF_XPRESS4K, 10000, s, 8 + 6000, "chunk 1 is 4200 bytes, more than the 4096");
	/* The last chunk (1808 bytes once decompressed) is what is left. */
	put_entries(s, ok, 2);
	open_fails(WOF_XPRESS4K, 10000, s, 8 + 200, "chunk 2 is empty");
	open_fails(WOF_XPRESS4K, 10000, s, 8 + 150, "chunk 1 ends at 200, past the end of the data (150 bytes)");
	open_fails(WOF_XPRESS4K, 10000, s, 8 + 200 + 1809, "chunk 2 is 1809 bytes, more than the 1808");
	open_fails(WOF_XPRESS4K, 10000, s, 7, "too short");
	/* ... and with 1808 stored bytes it opens. */
	struct mem m = mem_of(s, 8 + 200 + 1808);
	wof_close(open_ok(WOF_XPRESS4K, 10000, &m));
}

static void test_io_errors(void **state)
{
	size_t len = 40000, clen;
	uint8_t *d = make_data(len, 0), buf[16];
	uint8_t *c = compress_wof(WOF_XPRESS4K, d, len, false, &clen);
	struct wof *w = NULL;
	struct ks_err err;

	/* The table read fails. */
	struct mem m = mem_of(c, clen);
	m.fail_at = 0;
	struct wof_source src = mem_source(&m);
	assert_int_not_equal(wof_open(WOF_XPRESS4K, len, &src, &w, &err), 0);
	assert_non_null(strstr(err.msg, "cannot read"));
	/* The stream is shorter than its recorded size: the table checks
	 * pass, the last chunk cannot be read. */
	m = mem_of(c, clen);
	m.short_by = 10;
	w = open_ok(WOF_XPRESS4K, len, &m);
	assert_int_equal(wof_pread(w, buf, 16, 0), 16);
	assert_int_equal(wof_pread(w, buf, 16, len - 16), -1);
	assert_int_equal(errno, EIO);
	assert_non_null(strstr(wof_error(w), "ends at offset"));
	/* A read that fails part-way returns what came before. */
	uint8_t *all = malloc(len);
	assert_int_equal(wof_pread(w, all, len, 0), (int64_t)(len / 4096 * 4096));
	free(all);
	wof_close(w);
	/* A chunk read fails after a good open. */
	m = mem_of(c, clen);
	m.fail_at = 1;
	w = open_ok(WOF_XPRESS4K, len, &m);
	m.reads = 0;
	m.fail_at = 0;
	assert_int_equal(wof_pread(w, buf, 16, 8192), -1);
	assert_non_null(strstr(wof_error(w), "cannot read"));
	m.fail_at = -1;
	assert_int_equal(wof_pread(w, buf, 16, 8192), 16);
	assert_memory_equal(buf, d + 8192, 16);
	wof_close(w);
	free(c);
	free(d);
}

/* Chunks that are not XPRESS or LZX data: wimlib says so, and so do we. */
static void test_garbage_chunks(void **state)
{
	for (size_t f = 0; f < NFORMATS; f++) {
		enum wof_format fmt = all_formats[f];
		size_t ch = wof_chunk_size(fmt);
		uint8_t *s = malloc(4 + ch), buf[64];

		for (int kind = 0; kind < 3; kind++) {
			/* Two chunks: 1000 stored-as-compressed bytes of junk, then
			 * the rest stored as it is. */
			set32(s, 1000);
			for (size_t i = 4; i < 4 + 1000; i++)
				s[i] = kind == 0 ? 0xFF : kind == 1 ? 0x00 : (uint8_t)rnd();
			struct mem m = mem_of(s, 4 + 1000 + 100);
			struct wof *w = open_ok(fmt, ch + 100, &m);

			assert_int_equal(wof_pread(w, buf, 64, 0), -1);
			assert_int_equal(errno, EIO);
			if (!strstr(wof_error(w), "chunk 0 (logical offset 0)") ||
			    !strstr(wof_error(w), "data is corrupt"))
				fail_msg("%s: '%s'", wof_format_name(fmt), wof_error(w));
			/* The stored chunk after it still reads. */
			memset(s + 4 + 1000, 'x', 100);
			assert_int_equal(wof_pread(w, buf, 64, ch), 64);
			assert_int_equal(buf[0], 'x');
			wof_close(w);
		}
		free(s);
	}
}

/* Every cut of a compressed stream. A cut before the last chunk breaks the
 * table and is refused at open. A cut inside the last chunk (whose end is
 * the end of the stream, so no table entry checks it) gives a read error,
 * or, when only the tail of its bit stream went, bytes the decoder still
 * made something of: XPRESS and LZX carry no checksum and wimlib reads a
 * short bit stream as if padded with zeros. Never a crash, never a read
 * that returns fewer bytes than the file has. */
static void test_truncations(void **state)
{
	for (size_t f = 0; f < NFORMATS; f++) {
		enum wof_format fmt = all_formats[f];
		size_t ch = wof_chunk_size(fmt), len = 2 * ch + 1500, clen;
		uint8_t *d = make_data(len, 0), *back = malloc(len);
		uint8_t *c = compress_wof(fmt, d, len, false, &clen);
		unsigned refused = 0, errors = 0, read = 0;
		size_t last_start = 8 + get32(c + 4);   /* 3 chunks: 2 entries */

		for (size_t cut = 0; cut < clen; cut++) {
			struct mem m = mem_of(c, cut);
			struct wof_source src = mem_source(&m);
			struct wof *w = NULL;
			struct ks_err err;

			if (wof_open(fmt, len, &src, &w, &err) != 0) {
				refused++;
				continue;
			}
			if (cut <= last_start)
				fail_msg("%s: cut at %zu, before the last chunk (%zu), was accepted",
					 wof_format_name(fmt), cut, last_start);
			if (read_all(w, back, len, 5000) < 0)
				errors++;
			else
				read++;
			wof_close(w);
		}
		assert_int_equal(refused, last_start + 1);
		assert_true(errors > 0);
		assert_int_equal(refused + errors + read, clen);
		print_message("%s: %zu cuts: %u refused at open, %u read errors, %u decoded\n",
			      wof_format_name(fmt), clen, refused, errors, read);
		free(c);
		free(d);
		free(back);
	}
}

/* 5000 fixed-seed mutations per format (20000 in all) of a good stream:
 * 1 to 8 bytes overwritten, table and chunks alike. */
static void test_mutations(void **state)
{
	unsigned total_ok = 0, total_bad = 0;

	for (size_t f = 0; f < NFORMATS; f++) {
		enum wof_format fmt = all_formats[f];
		size_t ch = wof_chunk_size(fmt), len = fmt == WOF_LZX ? 3 * ch + 321 : 6 * ch + 321, clen;
		uint8_t *d = make_data(len, 2), *back = malloc(len);
		uint8_t *c = compress_wof(fmt, d, len, false, &clen), *mut = malloc(clen);

		for (int round = 0; round < 5000; round++) {
			struct mem m = mem_of(mut, clen);
			struct wof_source src = mem_source(&m);
			struct wof *w = NULL;
			struct ks_err err;
			int nmut = 1 + (int)(rnd() % 8);

			memcpy(mut, c, clen);
			for (int k = 0; k < nmut; k++) {
				/* Half the hits on the table, where they matter most. */
				size_t at = rnd() % 2 ? rnd() % clen : rnd() % (clen < 64 ? clen : 64);
				mut[at] = (uint8_t)rnd();
			}
			if (wof_open(fmt, len, &src, &w, &err) != 0) {
				assert_true(err.msg[0] != '\0');
				total_bad++;
				continue;
			}
			if (read_all(w, back, len, 1 + rnd() % (2 * ch)) < 0)
				total_bad++;
			else
				total_ok++;
			wof_close(w);
		}
		free(mut);
		free(c);
		free(d);
		free(back);
	}
	print_message("20000 mutations: %u read through, %u refused or failed\n", total_ok, total_bad);
	assert_true(total_bad > 1000);
	assert_true(total_ok + total_bad == 20000);
}

/* ---- reparse data ---- */

static size_t reparse(uint8_t *b, uint32_t tag, uint16_t dlen, uint32_t ver, uint32_t prov,
		      uint32_t fver, uint32_t fmt)
{
	set32(b, tag);
	set16(b + 4, dlen);
	set16(b + 6, 0);
	set32(b + 8, ver);
	set32(b + 12, prov);
	set32(b + 16, fver);
	set32(b + 20, fmt);
	return 24;
}

static void parse_fails(const uint8_t *b, size_t len, const char *want)
{
	enum wof_format fmt;
	struct ks_err why;

	assert_int_not_equal(wof_parse_reparse(b, len, &fmt, &why), 0);
	if (!strstr(why.msg, want))
		fail_msg("reason '%s' does not say '%s'", why, want);
}

static void test_reparse(void **state)
{
	uint8_t b[64];
	enum wof_format fmt;
	struct ks_err why;

	for (uint32_t f = 0; f < 4; f++) {
		size_t n = reparse(b, WOF_REPARSE_TAG, 16, 1, 2, 1, f);
		assert_int_equal(wof_parse_reparse(b, n, &fmt, &why), 0);
		assert_int_equal(fmt, f);
	}
	assert_string_equal(wof_format_name(WOF_XPRESS4K), "XPRESS4K");
	assert_string_equal(wof_format_name(WOF_LZX), "LZX");
	assert_string_equal(wof_format_name(WOF_XPRESS8K), "XPRESS8K");
	assert_string_equal(wof_format_name(WOF_XPRESS16K), "XPRESS16K");
	assert_null(wof_format_name(4));
	assert_int_equal(wof_chunk_size(WOF_LZX), 32768);
	assert_int_equal(wof_chunk_size(WOF_XPRESS16K), 16384);
	assert_int_equal(wof_chunk_size(99), 0);
	/* Trailing bytes after the provider info are tolerated. */
	reparse(b, WOF_REPARSE_TAG, 20, 1, 2, 1, 1);
	assert_int_equal(wof_parse_reparse(b, 28, &fmt, &why), 0);

	reparse(b, WOF_REPARSE_TAG, 16, 1, 1, 1, 0);
	parse_fails(b, 24, "WIM-backed file (WIMBoot)");
	reparse(b, WOF_REPARSE_TAG, 16, 1, 3, 1, 0);
	parse_fails(b, 24, "unknown WOF provider 3");
	reparse(b, WOF_REPARSE_TAG, 16, 2, 2, 1, 0);
	parse_fails(b, 24, "unknown WOF version 2");
	reparse(b, WOF_REPARSE_TAG, 16, 1, 2, 2, 0);
	parse_fails(b, 24, "unknown CompactOS provider version 2");
	reparse(b, WOF_REPARSE_TAG, 16, 1, 2, 1, 4);
	parse_fails(b, 24, "unknown CompactOS compression format 4");
	reparse(b, WOF_REPARSE_TAG, 16, 1, 2, 1, 0xFFFFFFFFu);
	parse_fails(b, 24, "unknown CompactOS compression format 4294967295");
	reparse(b, 0xA000000Cu, 16, 1, 2, 1, 0);
	parse_fails(b, 24, "is not WOF");
	reparse(b, WOF_REPARSE_TAG, 17, 1, 2, 1, 0);
	parse_fails(b, 24, "runs past");
	reparse(b, WOF_REPARSE_TAG, 12, 1, 2, 1, 0);
	parse_fails(b, 24, "CompactOS reparse data of 12 bytes is too short");
	reparse(b, WOF_REPARSE_TAG, 4, 1, 2, 1, 0);
	parse_fails(b, 24, "WOF reparse data of 4 bytes is too short");
	/* Every cut of a good one fails cleanly. */
	reparse(b, WOF_REPARSE_TAG, 16, 1, 2, 1, 2);
	for (size_t n = 0; n < 24; n++) {
		uint8_t *cut = malloc(n + 1);
		memcpy(cut, b, n);
		assert_int_not_equal(wof_parse_reparse(cut, n, &fmt, &why), 0);
		assert_true(why.msg[0] != '\0');
		free(cut);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reparse),
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_stored_chunks),
		cmocka_unit_test(test_random_access),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_table_width),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_garbage_chunks),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),
	};

	wof_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
