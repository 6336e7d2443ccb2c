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

#endif
