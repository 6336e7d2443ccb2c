/* wof: CompactOS ("system compression") files read as their real contents.
 *
 * Windows 10/11 (IoT images above all) store many system files through the
 * Windows Overlay Filter's FILE provider: the unnamed $DATA is a sparse hole
 * of the file's logical size (it reads as zeros without the filter), a
 * reparse point tagged IO_REPARSE_TAG_WOF names the compression format, and
 * the bytes are in the named $DATA stream WofCompressedData:
 *
 *   chunk table   nchunks - 1 little-endian entries, 4 bytes each when the
 *                 logical size is below 4 GiB, else 8: the end of chunk i
 *                 (= start of chunk i + 1), counted from the end of the table
 *   chunks        each chunk_size bytes once decompressed (the last one: the
 *                 rest); a chunk whose stored size equals that is stored as
 *                 it is, any smaller one is XPRESS (Huffman) or LZX data
 *
 * Nothing here knows NTFS: the stream is reached through a read callback, so
 * the decoder is tested on its own and kept apart from the file system. A
 * struct wof is not thread-safe; open one per reader (each holds its own
 * wimlib decompressor). */
#ifndef KENSHU_WOF_H
#define KENSHU_WOF_H

#include <stddef.h>
#include <stdint.h>

#define WOF_REPARSE_TAG 0x80000017u /* IO_REPARSE_TAG_WOF */
#define WOF_STREAM "WofCompressedData"

/* FILE_PROVIDER_EXTERNAL_INFO_V1.CompressionFormat */
enum wof_format {
	WOF_XPRESS4K = 0,
	WOF_LZX = 1, /* 32 KiB chunks */
	WOF_XPRESS8K = 2,
	WOF_XPRESS16K = 3,
};

/* "XPRESS4K", "LZX"...; NULL for a value that is not a format. */
const char *wof_format_name(unsigned fmt);
/* Uncompressed bytes per chunk; 0 for a value that is not a format. */
uint32_t wof_chunk_size(unsigned fmt);

/* Decodes the whole $REPARSE_POINT value (8-byte header, then
 * WOF_EXTERNAL_INFO and FILE_PROVIDER_EXTERNAL_INFO_V1). Returns 0 with *fmt
 * for a file kenshu can decompress, or -1 with the reason in why (a WIM-backed
 * WIMBoot file, an unknown provider, version or format, truncated data). */
int wof_parse_reparse(const void *data, size_t len, enum wof_format *fmt, char *why, size_t whylen);

/* The compressed stream: read n bytes at off, return how many were read
 * (fewer only at its end), or -1 on an I/O error. */
struct wof_source {
	int64_t (*pread)(void *ctx, void *buf, size_t n, uint64_t off);
	void *ctx;
	uint64_t size; /* bytes in the stream */
};

struct wof;

/* Opens a file of `size` logical bytes whose compressed stream is *src (the
 * structure is copied; ctx must outlive the struct wof). Reads and checks the
 * whole chunk table: ascending offsets, every chunk inside the stream and no
 * larger than it decompresses to, nothing after the last one. Returns 0, or
 * -1 with the reason in err. */
int wof_open(enum wof_format fmt, uint64_t size, const struct wof_source *src, struct wof **out,
	     char *err, size_t errlen);
/* Reads up to n logical bytes at off, decompressing only the chunks that
 * cover them (the last one is kept). Returns the bytes read (0 at the end),
 * or -1 with errno EIO and wof_error() saying which chunk is bad; a read
 * that fails part-way returns what came before the bad chunk. */
int64_t wof_pread(struct wof *w, void *buf, size_t n, uint64_t off);
uint64_t wof_size(const struct wof *w);
/* Why the last wof_pread failed, or "". Borrowed until the next call. */
const char *wof_error(const struct wof *w);
void wof_close(struct wof *w); /* accepts NULL */

/* Once, before any thread starts: wimlib asks for it before any other call
 * (it detects CPU features in a library-wide variable). */
void wof_global_init(void);

#endif
