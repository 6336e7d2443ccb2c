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


/* ---- libguestfs (guestfs*.c) ---- */

#include <pthread.h>

typedef struct guestfs_h guestfs_h;

/* One data stream of a mounted volume: a file's data, or an alternate data
 * stream of an NTFS file or directory. */
struct gentry {
	char *path;         /* relative to the mount point, starting with '/' */
	char *stream;       /* "" for the file's data, else the ADS name */
	uint64_t size;
	unsigned flags;     /* FS_F_DIRECTORY for a directory's ADS */
	size_t first;       /* index of the path's first entry: its file id */
};

/* A volume mounted in the appliance and listed once, for every handle the
 * walk and the workers open on it. Lives as long as its session. */
struct vlist {
	unsigned index;
	char dev[sizeof(((struct img_volume *)0)->device)];
	char mnt[32];
	char label[256];
	char version[32];
	bool ntfs;          /* mounted by ntfs-3g: ADS are its user.* xattrs */
	struct gentry *e;   /* sorted by path, then stream */
	size_t n;
	struct gproblem {   /* what could not be listed, for the walk to report */
		char *path, *why;
	} *problems;
	size_t nproblems;
};

struct session {
	struct img *img;
	guestfs_h *g;       /* NULL once the appliance failed to start */
	char failed[320];   /* why it failed: said again, never retried */
	pthread_mutex_t mu;
	unsigned refs;
	bool tcg;
	bool borrowed;      /* g is the caller's (fs_guestfs_use_handle): the
	                       session's end unmounts, never shuts it down */
	char reader[96];
	struct vlist **lists;
	size_t nlists;
};

/* The image's appliance session, started on first use (guestfs.c). An
 * appliance that failed to start is not tried again for the same image:
 * its reason is given to every later caller. NULL with err set. */
struct session *gfs_session_get(struct img *img, struct ks_err *err);
/* A session outlives its handles; it ends with fs_guestfs_release(), or
 * with its last handle when it could not be kept. */
void gfs_session_put(struct session *s);
/* libguestfs's last error as one report line, in buf. */
const char *gfs_last_error(guestfs_h *g, char *buf, size_t n);
void gfs_vlist_free(struct vlist *v);
/* The image volume an appliance device is ("/dev/sda2" -> 2; an LVM or LDM
 * device by its img_volume.device), 0 when none (guestfs_vmgr.c). */
unsigned gfs_volume_index(struct img *img, const char *dev);

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
