/* CompactOS (WOF FILE provider) decoding over wimlib's public
 * decompressor API: XPRESS here is XPRESS Huffman and LZX uses 32 KiB
 * chunks, exactly what wimlib implements for WIM resources.
 *
 * Everything read from the stream is hostile: the chunk table is checked
 * whole at open, so that a damaged file is reported with a reason before any
 * byte of it is scanned, and each chunk's bounds are checked again before it
 * is read, so that memory safety never depends on the stream reading the
 * same twice. The table is kept as a window of entries, not whole: its size
 * follows the logical size, which is attacker-chosen. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wimlib.h>

#include <kenshu/core.h>
#include <kenshu/volume.h>
#include <kenshu/banned.h>

#define WOF_VERSION 1u
#define WOF_PROVIDER_WIM 1u
#define WOF_PROVIDER_FILE 2u
#define FILE_PROVIDER_VERSION 1u
#define REPARSE_HDR 8u   /* ReparseTag, ReparseDataLength, Reserved */
#define WOF_INFO 8u      /* WOF_EXTERNAL_INFO */
#define FILE_INFO 8u     /* FILE_PROVIDER_EXTERNAL_INFO_V1 */

#define WINDOW 512       /* chunk table entries read at a time */
#define NO_CHUNK UINT64_MAX

struct wof {
	enum wof_format fmt;
	uint32_t chunk;          /* uncompressed bytes per chunk */
	uint64_t size;           /* logical size */
	uint64_t nchunks;
	unsigned width;          /* bytes per table entry */
	uint64_t table;          /* bytes of chunk table */
	uint64_t data;           /* bytes of chunk data after it */
	struct wof_source src;
	struct wimlib_decompressor *dec;
	uint8_t *stored;         /* one chunk as stored */
	uint8_t *cache;          /* one chunk decompressed */
	uint64_t cache_idx;
	uint64_t win_base;       /* entries [win_base, win_base + win_n) */
	size_t win_n;
	uint64_t win[WINDOW];
	uint8_t raw[WINDOW * 8];
	struct ks_err err;
};

static const struct {
	const char *name;
	uint32_t chunk;
} formats[] = {
	[WOF_XPRESS4K] = { "XPRESS4K", 4096 },
	[WOF_LZX] = { "LZX", 32768 },
	[WOF_XPRESS8K] = { "XPRESS8K", 8192 },
	[WOF_XPRESS16K] = { "XPRESS16K", 16384 },
};

const char *wof_format_name(unsigned fmt)
{
	return fmt < sizeof(formats) / sizeof(formats[0]) ? formats[fmt].name : NULL;
}

uint32_t wof_chunk_size(unsigned fmt)
{
	return fmt < sizeof(formats) / sizeof(formats[0]) ? formats[fmt].chunk : 0;
}

void wof_global_init(void)
{
	/* ASSUME_UTF8 keeps wimlib away from the process locale. */
	(void)wimlib_global_init(WIMLIB_INIT_FLAG_ASSUME_UTF8);
}

int wof_parse_reparse(const void *data, size_t len, enum wof_format *fmt, struct ks_err *err)
{
	const uint8_t *p = data;
	uint32_t tag, version, provider, fversion, f;
	size_t dlen;

	if (len < REPARSE_HDR) {
		ks_fail(err, KS_EINPUT, "reparse point of %zu bytes is too short", len);
		return -1;
	}
	tag = load_le32(p);
	dlen = load_le16(p + 4);
	if (tag != WOF_REPARSE_TAG) {
		ks_fail(err, KS_EINPUT, "reparse tag 0x%08" PRIX32 " is not WOF", tag);
		return -1;
	}
	if (dlen > len - REPARSE_HDR) {
		ks_fail(err, KS_EINPUT, "reparse data length %zu runs past the %zu-byte reparse point", dlen, len);
		return -1;
	}
	if (dlen < WOF_INFO) {
		ks_fail(err, KS_EINPUT, "WOF reparse data of %zu bytes is too short", dlen);
		return -1;
	}
	version = load_le32(p + REPARSE_HDR);
	provider = load_le32(p + REPARSE_HDR + 4);
	if (version != WOF_VERSION) {
		ks_fail(err, KS_EINPUT, "unknown WOF version %" PRIu32, version);
		return -1;
	}
	if (provider == WOF_PROVIDER_WIM) {
		ks_fail(err, KS_EINPUT, "WIM-backed file (WIMBoot): its contents are in a WIM image outside this volume");
		return -1;
	}
	if (provider != WOF_PROVIDER_FILE) {
		ks_fail(err, KS_EINPUT, "unknown WOF provider %" PRIu32, provider);
		return -1;
	}
	if (dlen < WOF_INFO + FILE_INFO) {
		ks_fail(err, KS_EINPUT, "CompactOS reparse data of %zu bytes is too short", dlen);
		return -1;
	}
	fversion = load_le32(p + REPARSE_HDR + WOF_INFO);
	f = load_le32(p + REPARSE_HDR + WOF_INFO + 4);
	if (fversion != FILE_PROVIDER_VERSION) {
		ks_fail(err, KS_EINPUT, "unknown CompactOS provider version %" PRIu32, fversion);
		return -1;
	}
	if (!wof_chunk_size(f)) {
		ks_fail(err, KS_EINPUT, "unknown CompactOS compression format %" PRIu32, f);
		return -1;
	}
	*fmt = (enum wof_format)f;
	return 0;
}

static int fail(struct wof *w, const char *fmt, ...) KS_PRINTF(2, 3);

static int fail(struct wof *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_vfail(&w->err, KS_EINPUT, fmt, ap);
	va_end(ap);
	return -1;
}

static int read_exact(struct wof *w, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		int64_t got = w->src.pread(w->src.ctx, (uint8_t *)buf + done, n - done, off + done);

		if (got < 0)
			return fail(w, "cannot read the " WOF_STREAM " stream at offset %" PRIu64, off + done);
		if (got == 0 || (uint64_t)got > n - done)
			return fail(w, "the " WOF_STREAM " stream ends at offset %" PRIu64
				    ", before its recorded size", off + done);
		done += (size_t)got;
	}
	return 0;
}

/* Table entry k: where chunk k ends (and chunk k + 1 starts). */
static int entry(struct wof *w, uint64_t k, uint64_t *v)
{
	if (k < w->win_base || k - w->win_base >= w->win_n) {
		uint64_t nent = w->nchunks - 1, base = k - k % WINDOW;
		size_t n = nent - base < WINDOW ? (size_t)(nent - base) : WINDOW;

		w->win_n = 0;
		if (read_exact(w, w->raw, n * w->width, base * w->width) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			w->win[i] = w->width == 4 ? load_le32(w->raw + 4 * i) : load_le64(w->raw + 8 * i);
		w->win_base = base;
		w->win_n = n;
	}
	*v = w->win[k - w->win_base];
	return 0;
}

static uint32_t chunk_usize(const struct wof *w, uint64_t idx)
{
	return idx + 1 < w->nchunks ? w->chunk : (uint32_t)(w->size - idx * w->chunk);
}

/* Where chunk idx is stored, relative to the end of the table. */
static int chunk_bounds(struct wof *w, uint64_t idx, uint64_t *start, uint64_t *end)
{
	uint32_t usize = chunk_usize(w, idx);

	*start = 0;
	*end = w->data;
	if ((idx > 0 && entry(w, idx - 1, start) < 0) || (idx + 1 < w->nchunks && entry(w, idx, end) < 0))
		return -1;
	if (*end > w->data)
		return fail(w, "corrupt chunk table: chunk %" PRIu64 " ends at %" PRIu64
			    ", past the end of the data (%" PRIu64 " bytes)", idx, *end, w->data);
	if (*end < *start)
		return fail(w, "corrupt chunk table: offsets go backwards at chunk %" PRIu64
			    " (%" PRIu64 " after %" PRIu64 ")", idx, *end, *start);
	if (*end == *start)
		return fail(w, "corrupt chunk table: chunk %" PRIu64 " is empty", idx);
	if (*end - *start > usize)
		return fail(w, "corrupt chunk table: chunk %" PRIu64 " is %" PRIu64
			    " bytes, more than the %" PRIu32 " it decompresses to",
			    idx, *end - *start, usize);
	return 0;
}

int wof_open(enum wof_format fmt, uint64_t size, const struct wof_source *src, struct wof **out,
	     struct ks_err *err)
{
	struct wof *w;
	uint32_t chunk = wof_chunk_size(fmt);
	uint64_t nchunks, table;
	unsigned width = size <= UINT32_MAX ? 4 : 8;

	if (!chunk) {
		ks_fail(err, KS_EINPUT, "unknown CompactOS compression format %u", (unsigned)fmt);
		return -1;
	}
	if (size > INT64_MAX) {
		ks_fail(err, KS_EINPUT, "logical size %" PRIu64 " is not a valid file size", size);
		return -1;
	}
	nchunks = size / chunk + (size % chunk != 0);
	table = nchunks ? (nchunks - 1) * width : 0;
	/* Every chunk takes at least one byte: this bounds the table, and
	 * with it the time spent checking it, by what is really stored. */
	if (src->size < table || src->size - table < nchunks) {
		ks_fail(err, KS_EINPUT, "the " WOF_STREAM " stream (%" PRIu64 " bytes) is too short for the %"
			 PRIu64 " chunks of a %" PRIu64 "-byte file", src->size, nchunks, size);
		return -1;
	}
	if (nchunks == 0 && src->size != 0) {
		ks_fail(err, KS_EINPUT, "%" PRIu64 " bytes of compressed data for an empty file", src->size);
		return -1;
	}

	w = xcalloc(1, sizeof(*w));
	w->fmt = fmt;
	w->chunk = chunk;
	w->size = size;
	w->nchunks = nchunks;
	w->width = width;
	w->table = table;
	w->data = src->size - table;
	w->src = *src;
	w->cache_idx = NO_CHUNK;
	if (wimlib_create_decompressor(fmt == WOF_LZX ? WIMLIB_COMPRESSION_TYPE_LZX
				       : WIMLIB_COMPRESSION_TYPE_XPRESS, chunk, &w->dec) != 0) {
		ks_fail(err, KS_EINPUT, "cannot create a %s decompressor", formats[fmt].name);
		free(w);
		return -1;
	}
	w->stored = xmalloc(chunk);
	w->cache = xmalloc(chunk);
	for (uint64_t i = 0; i < nchunks; i++) {
		uint64_t start, end;

		if (chunk_bounds(w, i, &start, &end) < 0) {
			*err = w->err;
			wof_close(w);
			return -1;
		}
	}
	*out = w;
	return 0;
}

/* wimlib takes an XPRESS chunk whose 512 code lengths are all zero (an
 * empty Huffman code, which cannot encode a single byte) as a chunk of
 * zeros: zeroed clusters of a damaged stream would read as a clean file. */
static bool empty_xpress_code(const uint8_t *p, size_t n)
{
	if (n < 256)
		return false;   /* too short for the table: wimlib refuses it */
	for (size_t i = 0; i < 256; i++)
		if (p[i])
			return false;
	return true;
}

static int load_chunk(struct wof *w, uint64_t idx)
{
	uint32_t usize = chunk_usize(w, idx);
	uint64_t start, end;

	if (idx == w->cache_idx)
		return 0;
	w->cache_idx = NO_CHUNK;
	if (chunk_bounds(w, idx, &start, &end) < 0)
		return -1;
	if (end - start == usize) {
		/* A chunk that did not shrink is stored as it is. */
		if (read_exact(w, w->cache, usize, w->table + start) < 0)
			return -1;
	} else {
		if (read_exact(w, w->stored, (size_t)(end - start), w->table + start) < 0)
			return -1;
		if ((w->fmt != WOF_LZX && empty_xpress_code(w->stored, (size_t)(end - start))) ||
		    wimlib_decompress(w->stored, (size_t)(end - start), w->cache, usize, w->dec) != 0)
			return fail(w, "chunk %" PRIu64 " (logical offset %" PRIu64 "): %s data is corrupt",
				    idx, idx * w->chunk, formats[w->fmt].name);
	}
	w->cache_idx = idx;
	return 0;
}

int64_t wof_pread(struct wof *w, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	ks_err_clear(&w->err);
	if (off >= w->size)
		return 0;
	if (n > w->size - off)
		n = (size_t)(w->size - off);
	while (done < n) {
		uint64_t pos = off + done, idx = pos / w->chunk;
		uint32_t in = (uint32_t)(pos % w->chunk), len = chunk_usize(w, idx) - in;

		if (load_chunk(w, idx) < 0) {
			if (done)
				return (int64_t)done;
			errno = EIO;
			return -1;
		}
		if (len > n - done)
			len = (uint32_t)(n - done);
		memcpy((uint8_t *)buf + done, w->cache + in, len);
		done += len;
	}
	return (int64_t)done;
}

uint64_t wof_size(const struct wof *w)
{
	return w->size;
}

const char *wof_error(const struct wof *w)
{
	return w->err.msg;
}

void wof_close(struct wof *w)
{
	if (!w)
		return;
	wimlib_free_decompressor(w->dec);
	free(w->stored);
	free(w->cache);
	free(w);
}
