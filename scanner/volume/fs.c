/* fs front: picks the reader for a volume and forwards to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/volume.h>
#include "volume_internal.h"
#include <kenshu/banned.h>

struct fs {
	const struct fs_backend *be;
	void *state;
};

struct fs_stream {
	const struct fs_backend *be;
	void *state;
};

/* An NTFS volume libntfs-3g refuses is not handed to libguestfs instead:
 * Debian 12's appliance reads NTFS with ntfs-3g too (its kernel has no
 * ntfs3 driver), which refuses the same volumes with the same message (a
 * $MFTMirr that does not match $MFT, say). Such an image stays failed. */
static const struct fs_backend *const backends[] = {
	&fs_backend_ntfs,
	&fs_backend_fat,
	&fs_backend_exfat,
};

/* The reader of a volume: its file system's, except for a volume inside a
 * volume manager, which only libguestfs can assemble. NULL if none. */
static const struct fs_backend *backend_of(const struct img_volume *vol)
{
	if (vol->device[0])
		return &fs_backend_guestfs;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, vol->fs))
			return backends[i];
	return NULL;
}

int fs_open(struct img *img, const struct img_volume *vol, struct fs **out, struct ks_err *err)
{
	const struct fs_backend *be = backend_of(vol);
	void *state;

	if (!be) {
		ks_fail(err, KS_EINPUT, "no reader for file system '%s'", vol->fs);
		return -1;
	}
	if (be->open(img, vol, &state, err) < 0)
		return -1;
	*out = xmalloc(sizeof(**out));
	(*out)->be = be;
	(*out)->state = state;
	return 0;
}

bool fs_open_failure_leaves_unread(const struct img_volume *vol)
{
	const struct fs_backend *be = backend_of(vol);

	return be && be->general;
}

void fs_close(struct fs *fs)
{
	if (!fs)
		return;
	fs->be->close(fs->state);
	free(fs);
}

const char *fs_label(const struct fs *fs) { return fs->be->label(fs->state); }
const char *fs_version(const struct fs *fs) { return fs->be->version(fs->state); }
const char *fs_reader(const struct fs *fs) { return fs->be->reader(fs->state); }

void fs_release_image(struct img *img)
{
	fs_guestfs_release(img);
}
bool fs_dirty(const struct fs *fs) { return fs->be->dirty(fs->state); }

int fs_walk(struct fs *fs, fs_walk_fn fn, void *ctx, struct ks_err *err)
{
	return fs->be->walk(fs->state, fn, ctx, err);
}

int fs_lookup(struct fs *fs, const char *path, uint64_t *id)
{
	return fs->be->lookup(fs->state, path, id);
}

int fs_read_file(struct fs *fs, const char *path, uint64_t max, void **data, uint64_t *size,
		 struct ks_err *err)
{
	struct fs_stream *s = NULL;
	uint64_t id, n, off = 0;
	unsigned char *buf;
	int found = fs_lookup(fs, path, &id);

	if (found <= 0) {
		ks_fail(err, KS_EINPUT, "%s", found == 0 ? "not found" : "cannot look it up");
		return -1;
	}
	if (fs_stream_open(fs, id, NULL, 0, &s, err) < 0)
		return -1;
	n = fs_stream_size(s);
	if (n > max) {
		ks_fail(err, KS_EINPUT, "%llu bytes, more than the limit of %llu",
			 (unsigned long long)n, (unsigned long long)max);
		fs_stream_close(s);
		return -1;
	}
	buf = xmalloc(n ? (size_t)n : 1);
	while (off < n) {
		int64_t got = fs_stream_pread(s, buf + off, (size_t)(n - off), off);
		if (got <= 0) {
			ks_fail(err, KS_EINPUT, "read error at offset %llu", (unsigned long long)off);
			free(buf);
			fs_stream_close(s);
			return -1;
		}
		off += (uint64_t)got;
	}
	fs_stream_close(s);
	*data = buf;
	*size = n;
	return 0;
}

int fs_stream_open(struct fs *fs, uint64_t id, const void *key, size_t key_len,
		   struct fs_stream **out, struct ks_err *err)
{
	void *state;

	if (fs->be->stream_open(fs->state, id, key, key_len, &state, err) < 0)
		return -1;
	*out = xmalloc(sizeof(**out));
	(*out)->be = fs->be;
	(*out)->state = state;
	return 0;
}

int64_t fs_stream_pread(struct fs_stream *s, void *buf, size_t n, uint64_t off)
{
	return s->be->stream_pread(s->state, buf, n, off);
}

uint64_t fs_stream_size(const struct fs_stream *s)
{
	return s->be->stream_size(s->state);
}

void fs_stream_close(struct fs_stream *s)
{
	if (!s)
		return;
	s->be->stream_close(s->state);
	free(s);
}
