/* Back-end interface behind struct fs: one table per file-system reader. */
#ifndef KENSHU_FS_INTERNAL_H
#define KENSHU_FS_INTERNAL_H

#include <kenshu/volume.h>

struct ntfs_fs;
struct ntfs_stream;

/* Typed per back end; fs.c holds them as void pointers. */
struct fs_backend {
	const char *name; /* matches img_volume.fs */
	bool general;     /* a general back end (libguestfs): if it cannot open the
	                     volume, the volume is left unread, not the image failed */
	int (*open)(struct img *img, const struct img_volume *v, void **out, struct ks_err *err);
	void (*close)(void *fs);
	const char *(*label)(const void *fs);
	const char *(*version)(const void *fs);
	const char *(*reader)(const void *fs);   /* what reads the volume, for the report */
	bool (*dirty)(const void *fs);
	int (*walk)(void *fs, fs_walk_fn fn, void *ctx, struct ks_err *err);
	int (*lookup)(void *fs, const char *path, uint64_t *id);
	int (*stream_open)(void *fs, uint64_t id, const void *key, size_t key_len,
			   void **out, struct ks_err *err);
	int64_t (*stream_pread)(void *s, void *buf, size_t n, uint64_t off);
	uint64_t (*stream_size)(const void *s);
	void (*stream_close)(void *s);
};

extern const struct fs_backend fs_backend_ntfs;
/* Through libguestfs (fs_guestfs.c); fs_backend_guestfs reads a volume
 * only libguestfs can assemble (img_volume.device), whatever its file
 * system. */
extern const struct fs_backend fs_backend_fat, fs_backend_exfat, fs_backend_guestfs;
/* Shuts down the image's libguestfs appliance, if one was started. */
void fs_guestfs_release(struct img *img);

/* Installs libntfs-3g's log handler; called once before any thread starts. */
void fs_ntfs_global_init(void);

/* fs_ntfs.c (open, lookup, reading) and fs_ntfs_walk.c share the volume
 * handle and what a reparse point says. libntfs-3g's types are named by
 * their struct tags, so that this header needs none of its headers (they
 * must come after <time.h>, and the other back ends do not use them). */
struct _ntfs_volume;
struct _ntfs_inode;
struct ntfs_device;

#define REPARSE_TAG_MOUNT_POINT 0xA0000003u
#define REPARSE_TAG_SYMLINK 0xA000000Cu
#define REPARSE_TAG_DEDUP 0x80000013u

/* Where the volume lives in the image; the device's d_private. */
struct ntfs_slice {
	struct img *img;
	uint64_t offset;
	uint64_t size;
	int64_t pos;
};

struct ntfs_fs {
	struct _ntfs_volume *vol;
	struct ntfs_device *dev;
	struct ntfs_slice slice;
	char version[8];
};

/* What a reparse point says, as far as kenshu uses it. */
struct ntfs_reparse {
	uint32_t tag;
	char *target;            /* junction or symlink print name, else NULL */
	bool wof_ok;             /* WOF: a CompactOS file kenshu decompresses */
	enum wof_format wof_fmt;
	char wof_problem[320];   /* WOF, !wof_ok: why its main stream cannot be read */
};

/* Reparse data: tag, for junctions and symlinks the print name (the
 * caller frees r->target), for WOF whether kenshu can decompress the file. */
void fs_ntfs_read_reparse(struct _ntfs_inode *ni, struct ntfs_reparse *r);
/* The backend's walk (fs_ntfs_walk.c). */
int fs_ntfs_walk(void *fs, fs_walk_fn fn, void *ctx, struct ks_err *err);

#endif
