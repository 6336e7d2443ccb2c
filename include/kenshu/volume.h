/* volume: file-system readers over an image's volumes (NTFS through
 * libntfs-3g, others through libguestfs) and CompactOS (WOF) files.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_VOLUME_H
#define KENSHU_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/core.h>
#include <kenshu/image.h>

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
int wof_parse_reparse(const void *data, size_t len, enum wof_format *fmt, struct ks_err *err);

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
	     struct ks_err *err);
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

/* fs: one file system on one volume of an image — walk it, read its files.
 *
 * A struct fs is NOT thread-safe (libntfs-3g has no locking): open one per
 * thread on the same volume. The walker hands out entries whose `id` and
 * `stream_key` any other struct fs on the same volume accepts.
 */

struct fs;
struct fs_stream;

/* Named caps against hostile file systems. */
#define FS_MAX_PATH 32768          /* bytes of UTF-8 path; deeper entries are recorded, not walked */
#define FS_MAX_DIR_ENTRIES 1000000 /* entries read from one directory */
#define FS_MAX_LOGICAL_VOLUMES 256 /* volumes taken from an image's volume managers */

enum fs_entry_kind {
	FS_ENTRY_STREAM = 0,  /* a data stream to hash and scan */
	FS_ENTRY_REPARSE,     /* a reparse point (junction, symlink...): reported, not followed */
	FS_ENTRY_LINK,        /* a further hard-link name: scanned once under link_of */
	FS_ENTRY_PROBLEM,     /* something that cannot be read; `problem` says why */
};

/* Borrowed by the walk callback for the duration of the call only. */
struct fs_entry {
	enum fs_entry_kind kind;
	const char *path;        /* absolute in the volume, '/'-separated, UTF-8 */
	const char *stream;      /* ADS name, "" for the main data */
	uint64_t id;             /* file id (NTFS MFT reference) for fs_stream_open */
	const void *stream_key;  /* back-end name of the stream, for fs_stream_open */
	size_t stream_key_len;   /* bytes */
	uint64_t size;           /* logical size in bytes */
	unsigned flags;          /* FS_F_* */
	uint32_t reparse_tag;    /* for FS_F_REPARSE */
	const char *reparse_target; /* symlink/junction target if known, else NULL */
	const char *link_of;     /* FS_ENTRY_LINK: the path scanned for this file */
	const char *problem;     /* FS_ENTRY_PROBLEM, or a stream that must not be trusted */
};

/* Return 0 to go on, non-zero to stop the walk (returned by fs_walk). */
typedef int (*fs_walk_fn)(void *ctx, const struct fs_entry *e);

/* Finds the volumes inside the image's volume managers -- the logical
 * volumes of its LVM physical volumes, the volumes of a Windows dynamic
 * disk's LDM database -- and adds each to img as a volume of its own
 * (img_add_volume), so that the report lists it and the scan walks it like
 * a partition. Such a volume is read through libguestfs whatever its file
 * system: its blocks need not be contiguous in the image. Starts
 * libguestfs's appliance only when the image has such a container (an LVM
 * physical volume, a dynamic disk's partition with its database). Each
 * container then says which volumes it holds (VOL_RESERVED), or why they
 * could not be listed (VOL_UNSUPPORTED: the appliance did not start...),
 * which leaves the image for review, never failed. Call after img_open(),
 * before the volumes are read. Returns the number of volumes added. */
size_t fs_discover_volumes(struct img *img);

/* Opens the file system of a readable volume, read-only. Returns 0, or -1
 * with the reason in err (no image name: the caller adds it). */
int fs_open(struct img *img, const struct img_volume *vol, struct fs **out,
	    struct ks_err *err);
void fs_close(struct fs *fs);
/* When fs_open() fails on vol: true if the volume is then only left unread
 * (a general back end such as libguestfs could not start), false if the
 * image itself is broken (kenshu's own NTFS reader rejects it). */
bool fs_open_failure_leaves_unread(const struct img_volume *vol);

const char *fs_label(const struct fs *fs);    /* volume label, UTF-8 */
const char *fs_version(const struct fs *fs);  /* e.g. "3.1" */
const char *fs_reader(const struct fs *fs);   /* what reads it, e.g. "libntfs-3g ..." */
/* Frees what readers keep per image across fs_open() calls (libguestfs's
 * appliance, started once for all FAT volumes and workers). Call once the
 * image's scan is over. */
void fs_release_image(struct img *img);

/* Test seam, for tests/fuzz/fuzz-guestfs.c only (the scanner never calls
 * it): img's volumes that libguestfs reads (FAT, exFAT, volume managers)
 * are read through g, an appliance the caller launched, instead of one
 * started for img. g's first drive (/dev/sda) must hold img's bytes, and
 * nothing of the caller's may be mounted on /kenshu-vol*. Everything else
 * is the scanner's own path: fs_discover_volumes(), fs_open() and the
 * walk, fs_inspect_os() then use g. The handle stays the caller's:
 * fs_release_image(img) unmounts what kenshu mounted and removes its
 * mount points, leaving g launched. Call after img_open(), before any of
 * those. Returns 0, or -1 with err set when img already has an appliance. */
struct guestfs_h;
int fs_guestfs_use_handle(struct img *img, struct guestfs_h *g, struct ks_err *err);

/* One operating system libguestfs's inspection (inspect_os) found. */
struct fs_inspected {
	char *root;          /* the appliance's device, "/dev/sda2" */
	unsigned volume;     /* the image volume it lies on (img_volume.index), 0: none of them */
	char *type;          /* "windows", "linux"..., NULL if not said */
	char *product, *hostname, *arch;   /* NULL if not said */
	int major, minor;    /* -1 if not said */
};

/* What --cross-check learnt from libguestfs: facts only; comparing them
 * with kenshu's own reading is the windows stage's (os_cross_check). */
struct fs_inspection {
	struct fs_inspected *v;
	size_t n;
	char *failed;        /* inspect_os itself failed: why; else NULL */
};

/* Inspects the image with libguestfs's inspect_os, through the image's
 * appliance (started if need be; the volumes it had mounted are mounted
 * again for the workers). Returns 0 with *out filled
 * (fs_inspection_release), or -1 with err set when the appliance could not
 * start. */
int fs_inspect_os(struct img *img, struct fs_inspection *out, struct ks_err *err);
void fs_inspection_release(struct fs_inspection *in);
bool fs_dirty(const struct fs *fs);           /* unclean shutdown: journal not replayed */

/* Walks every directory (no depth cut-off; iterative), reporting every data
 * stream of every file and directory, each reparse point, each further
 * hard-link name and each unreadable item. Never follows reparse points.
 * Returns 0, the callback's non-zero value, or -1 when the walk could not
 * start (err says why). */
int fs_walk(struct fs *fs, fs_walk_fn fn, void *ctx, struct ks_err *err);

/* Finds a path ('/'-separated, UTF-8; matched case-insensitively as Windows
 * does). Returns 1 and sets *id, 0 if it does not exist, -1 on error. */
int fs_lookup(struct fs *fs, const char *path, uint64_t *id);

/* Reads a whole main data stream into memory, up to max bytes. Returns 0
 * with *data (caller frees) and *size, or -1 with err set (a larger file
 * is an error, not a truncation). */
int fs_read_file(struct fs *fs, const char *path, uint64_t max, void **data, uint64_t *size,
		 struct ks_err *err);

int fs_stream_open(struct fs *fs, uint64_t id, const void *stream_key, size_t key_len,
		   struct fs_stream **out, struct ks_err *err);
/* Reads up to n bytes at off; returns bytes read (0 at end), or -1 with the
 * reason in errno (EACCES for EFS-encrypted data, EIO for corruption). */
int64_t fs_stream_pread(struct fs_stream *s, void *buf, size_t n, uint64_t off);
uint64_t fs_stream_size(const struct fs_stream *s);
void fs_stream_close(struct fs_stream *s);

/* Reason text of the back end's last error on this thread, or "". */
const char *fs_last_error(void);


/* Installs libntfs-3g's log handler; called once before any thread starts. */
void fs_ntfs_global_init(void);

#endif
