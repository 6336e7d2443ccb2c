/* NTFS through libntfs-3g, reading the image through our own device
 * operations: no mount, no FUSE, no root, no copy of the image. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <linux/fs.h>
/* ntfs-3g's headers use time() and struct timespec without including
 * <time.h> themselves; they must come after it. */
#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/cache.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/unistr.h>

#include <kenshu/core.h>
#include <kenshu/volume.h>
#include "volume_internal.h"
#include <kenshu/banned.h>

struct ntfs_stream {
	ntfs_inode *ni;
	ntfs_attr *na;
	ntfs_attr *wof_na;   /* CompactOS: WofCompressedData, read through wof */
	struct wof *wof;
};

/* libntfs-3g reports through a global log handler; keep its last error per
 * thread so that our own one-line messages can carry the reason. */
static __thread char last_err[256];
/* The last error names the structure that could not be loaded; an earlier
 * one may say why: a failed allocation, which is no damage to the volume. */
static __thread bool saw_enomem;

__attribute__((format(printf, 6, 0)))
static int log_to_last(const char *function, const char *file, int line,
		       u32 level, void *data, const char *format, va_list args)
{
	if (errno == ENOMEM)
		saw_enomem = true;
	vsnprintf(last_err, sizeof(last_err), format, args);
	size_t n = strlen(last_err);
	while (n && (last_err[n - 1] == '\n' || last_err[n - 1] == '.'))
		last_err[--n] = '\0';
	return 0;
}

const char *fs_last_error(void)
{
	return last_err;
}

void fs_ntfs_global_init(void)
{
	wof_global_init();
	ntfs_log_set_handler(log_to_last);
	ntfs_log_clear_levels(~0u);
	ntfs_log_set_levels(NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_PERROR | NTFS_LOG_LEVEL_CRITICAL);
}

/* ---- device operations over a slice of the image ---- */

static int dev_open(struct ntfs_device *dev, int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY) {
		errno = EROFS;
		return -1;
	}
	NDevSetReadOnly(dev);
	NDevSetOpen(dev);
	return 0;
}

static int dev_close(struct ntfs_device *dev)
{
	NDevClearOpen(dev);
	return 0;
}

static s64 dev_pread(struct ntfs_device *dev, void *buf, s64 count, s64 offset)
{
	struct ntfs_slice *s = dev->d_private;

	if (offset < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)offset >= s->size)
		return 0;
	if ((uint64_t)count > s->size - (uint64_t)offset)
		count = (s64)(s->size - (uint64_t)offset);
	if (img_pread(s->img, buf, (size_t)count, s->offset + (uint64_t)offset) < 0)
		return -1;
	return count;
}

static s64 dev_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct ntfs_slice *s = dev->d_private;
	s64 base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : (s64)s->size;

	if ((whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) || base + offset < 0) {
		errno = EINVAL;
		return -1;
	}
	s->pos = base + offset;
	return s->pos;
}

static s64 dev_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct ntfs_slice *s = dev->d_private;
	s64 got = dev_pread(dev, buf, count, s->pos);

	if (got > 0)
		s->pos += got;
	return got;
}

static s64 dev_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	errno = EROFS;
	return -1;
}

static s64 dev_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 offset)
{
	errno = EROFS;
	return -1;
}

static int dev_sync(struct ntfs_device *dev)
{
	return 0;
}

static int dev_stat(struct ntfs_device *dev, struct stat *st)
{
	struct ntfs_slice *s = dev->d_private;

	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0444;
	st->st_size = (off_t)s->size;
	return 0;
}

static int dev_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	struct ntfs_slice *s = dev->d_private;

	switch (request) {
	case BLKGETSIZE64:
		*(uint64_t *)argp = s->size;
		return 0;
	case BLKSSZGET:
		*(int *)argp = 512;
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static struct ntfs_device_operations slice_ops = {
	.open = dev_open, .close = dev_close, .seek = dev_seek, .read = dev_read,
	.write = dev_write, .pread = dev_pread, .pwrite = dev_pwrite,
	.sync = dev_sync, .stat = dev_stat, .ioctl = dev_ioctl,
};

/* ---- open / close ---- */

/* The $AttrDef size ntfs_device_mount accepts (it checks for 24 bits). */
#define ATTRDEF_MAX 0xffffffLL

/* libntfs-3g 2022.10.3 (Debian 12's) loses the $AttrDef inode and its
 * $DATA attribute (1,248 bytes; 1,160 without the attribute, 5,344 with its
 * runlist when the read fails) each time ntfs_device_mount fails on
 * $AttrDef: its $DATA cannot be opened, is over 24 bits, or cannot be read
 * in full (volume.c: the "goto error_exit" after ntfs_inode_open(vol,
 * FILE_AttrDef) close neither; the pointers are local, nothing can free
 * them afterwards). A fleet run meets many
 * damaged volumes, and a process that scans them one after another grows
 * with each. So before the mount, kenshu takes these same steps itself with
 * the library's own calls, on a volume of its own from ntfs_volume_startup
 * (the public first half of the mount, which cleans up after itself), and
 * closes everything it opened: a volume whose $AttrDef would fail the
 * mount is refused here, and nothing is lost. The mount's steps before
 * $AttrDef set the NTFS version, which the probe does not read: it takes
 * the permissive one (3.1), so that it never refuses a volume the mount
 * would accept. What it lets through and the mount then fails on (memory
 * exhausted, a read that fails only the second time) still leaks once per
 * open; tests/lsan.supp and docs/reliability.md say so. Returns 0 when
 * $AttrDef reads, else -1 with the reason in err (also when the startup
 * fails: the mount would fail there the same way, so it is not tried). */
static int attrdef_probe(struct img *img, struct ntfs_slice *slice, struct ks_err *err)
{
	struct ntfs_device *dev = ntfs_device_alloc(img_path(img), 0, &slice_ops, slice);
	ntfs_volume *vol;
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	char buf[16384];
	int rc = -1;

	if (!dev)
		return ks_fail(err, KS_EINPUT, "cannot allocate ntfs device");
	last_err[0] = '\0';
	errno = 0;
	vol = ntfs_volume_startup(dev, NTFS_MNT_RDONLY);
	if (!vol) {
		ks_fail(err, KS_EIO, "corrupt or unreadable NTFS: %s",
			last_err[0] ? last_err : errno ? strerror(errno) : "mount failed");
		if (NDevOpen(dev))
			dev_close(dev);
		ntfs_device_free(dev);
		slice->pos = 0;
		return -1;
	}
	vol->major_ver = 3;
	vol->minor_ver = 1;
	ni = ntfs_inode_open(vol, FILE_AttrDef);
	if (!ni) {
		ks_fail(err, KS_EIO, "corrupt or unreadable NTFS: $AttrDef cannot be opened: %s",
			last_err[0] ? last_err : strerror(errno));
		goto out;
	}
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		if (errno == ENOENT)
			ks_fail(err, KS_EIO, "corrupt or unreadable NTFS: $AttrDef has no $DATA attribute");
		else
			ks_fail(err, KS_EIO, "corrupt or unreadable NTFS: $AttrDef's $DATA cannot be opened: %s",
				last_err[0] ? last_err : strerror(errno));
		goto out;
	}
	if ((u64)na->data_size > (u64)ATTRDEF_MAX) {
		ks_fail(err, KS_EIO, "corrupt or unreadable NTFS: $AttrDef is %lld bytes, more than "
			"the %lld libntfs-3g accepts", (long long)na->data_size, ATTRDEF_MAX);
		goto out;
	}
	/* Read in pieces: the mount's one buffer of up to 16 MiB is not
	 * needed to know whether every byte reads. */
	for (s64 off = 0; off < na->data_size;) {
		s64 want = na->data_size - off < (s64)sizeof(buf) ? na->data_size - off : (s64)sizeof(buf);
		s64 got = ntfs_attr_pread(na, off, want, buf);
		if (got != want) {
			ks_fail(err, KS_EIO, "corrupt or unreadable NTFS: $AttrDef cannot be read at "
				"byte %lld of %lld%s%s", (long long)off, (long long)na->data_size,
				last_err[0] ? ": " : "", last_err);
			goto out;
		}
		off += got;
	}
	rc = 0;
out:
	if (na)
		ntfs_attr_close(na);
	if (ni)
		ntfs_inode_close(ni);
	ntfs_umount(vol, FALSE); /* closes and frees dev */
	/* The mount starts from a device nobody has moved. */
	slice->pos = 0;
	return rc;
}

static int ntfs_fs_open(struct img *img, const struct img_volume *v, void **out,
			struct ks_err *err)
{
	struct ntfs_fs *fs = xcalloc(1, sizeof(*fs));

	fs->slice.img = img;
	fs->slice.offset = v->offset;
	fs->slice.size = v->size;
	if (attrdef_probe(img, &fs->slice, err) < 0) {
		free(fs);
		return -1;
	}
	fs->dev = ntfs_device_alloc(img_path(img), 0, &slice_ops, &fs->slice);
	if (!fs->dev) {
		ks_fail(err, KS_EIO, "out of memory opening the NTFS volume");
		free(fs);
		return -1;
	}
	last_err[0] = '\0';
	saw_enomem = false;
	errno = 0;
	fs->vol = ntfs_device_mount(fs->dev, NTFS_MNT_RDONLY);
	if (!fs->vol) {
		if (saw_enomem || errno == ENOMEM)
			ks_fail(err, KS_EIO, "out of memory mounting NTFS%s%s", last_err[0] ? ": " : "", last_err);
		else
			ks_fail(err, KS_EIO, "corrupt or unreadable NTFS: %s",
				last_err[0] ? last_err : errno ? strerror(errno) : "mount failed");
		if (NDevOpen(fs->dev))
			dev_close(fs->dev);
		ntfs_device_free(fs->dev);
		free(fs);
		return -1;
	}
	ntfs_create_lru_caches(fs->vol);
	snprintf(fs->version, sizeof(fs->version), "%u.%u", fs->vol->major_ver, fs->vol->minor_ver);
	*out = fs;
	return 0;
}

static void ntfs_fs_close(void *p)
{
	struct ntfs_fs *fs = p;

	/* ntfs_umount closes and frees the device; the slice lives in *fs. */
	ntfs_umount(fs->vol, FALSE);
	free(fs);
}

static const char *ntfs_fs_label(const void *p)
{
	const struct ntfs_fs *fs = p;

	return fs->vol->vol_name ? fs->vol->vol_name : "";
}

static const char *ntfs_fs_reader(const void *p)
{
	return "libntfs-3g through kenshu's read-only device operations";
}

static const char *ntfs_fs_version(const void *p)
{
	const struct ntfs_fs *fs = p;

	return fs->version;
}

static bool ntfs_fs_dirty(const void *p)
{
	const struct ntfs_fs *fs = p;

	return (fs->vol->flags & VOLUME_IS_DIRTY) != 0;
}

/* ---- reparse points ---- */

/* Reparse data: tag, for junctions and symlinks the print name, for WOF
 * whether kenshu can decompress the file. */
void fs_ntfs_read_reparse(ntfs_inode *ni, struct ntfs_reparse *r)
{
	s64 len = 0;
	uint8_t *rp = ntfs_attr_readall(ni, AT_REPARSE_POINT, AT_UNNAMED, 0, &len);

	memset(r, 0, sizeof(*r));
	if (!rp || len < 8) {
		free(rp);
		return;
	}
	r->tag = (uint32_t)rp[0] | (uint32_t)rp[1] << 8 | (uint32_t)rp[2] << 16 | (uint32_t)rp[3] << 24;
	if (r->tag == REPARSE_TAG_MOUNT_POINT || r->tag == REPARSE_TAG_SYMLINK) {
		size_t hdr = r->tag == REPARSE_TAG_SYMLINK ? 20 : 16;
		if ((size_t)len >= hdr) {
			size_t po = (size_t)(rp[12] | rp[13] << 8), pl = (size_t)(rp[14] | rp[15] << 8);
			size_t so = (size_t)(rp[8] | rp[9] << 8), sl = (size_t)(rp[10] | rp[11] << 8);
			/* Prefer the print name; fall back to the substitute name. */
			if (pl == 0) {
				po = so;
				pl = sl;
			}
			if (pl && hdr + po + pl <= (size_t)len && pl % 2 == 0)
				r->target = utf16le_to_utf8(rp + hdr + po, pl / 2, NULL);
		}
	} else if (r->tag == WOF_REPARSE_TAG) {
		struct ks_err why;

		r->wof_ok = wof_parse_reparse(rp, (size_t)len, &r->wof_fmt, &why) == 0;
		if (!r->wof_ok)
			snprintf(r->wof_problem, sizeof(r->wof_problem),
				 "CompactOS (WOF) file not readable: %.255s", why.msg);
	}
	free(rp);
}

/* ---- lookup ---- */

/* One directory's entries matching a name case-insensitively through the
 * volume's $UpCase table. Names in the POSIX namespace (written by Linux
 * tools, or by our fixture builder) are case-sensitive to libntfs-3g's own
 * lookup, but not to Windows' view of a system path: compare them all. */
struct find_ctx {
	ntfs_volume *vol;
	const uint16_t *name;
	size_t len;
	MFT_REF found;
	bool hit;
};

static int match_child(void *ctx, const ntfschar *name, const int name_len,
		       const int name_type, const s64 pos, const MFT_REF mref,
		       const unsigned dt_type)
{
	struct find_ctx *f = ctx;

	if (name_type == FILE_NAME_DOS || (size_t)name_len != f->len)
		return 0;
	if (ntfs_names_are_equal(name, (size_t)name_len, (const ntfschar *)f->name, f->len,
				 IGNORE_CASE, f->vol->upcase, f->vol->upcase_len)) {
		f->found = mref;
		f->hit = true;
		return 1;   /* stop the listing */
	}
	return 0;
}

static int ntfs_fs_lookup(void *p, const char *path, uint64_t *id)
{
	struct ntfs_fs *fs = p;
	MFT_REF cur = FILE_root;
	char *copy = xstrdup(path), *save = NULL;
	int rc = 1;

	for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		uint16_t *u = NULL;
		long n = utf8_to_utf16le(part, &u);
		ntfs_inode *dir;
		s64 pos = 0;

		if (n <= 0) {
			free(u);
			rc = 0;
			break;
		}
		for (long k = 0; k < n; k++)
			u[k] = cpu_to_le16(u[k]);
		struct find_ctx f = { .vol = fs->vol, .name = u, .len = (size_t)n };
		dir = ntfs_inode_open(fs->vol, cur);
		if (!dir) {
			free(u);
			rc = -1;
			break;
		}
		if (!(dir->mrec->flags & MFT_RECORD_IS_DIRECTORY)) {
			ntfs_inode_close(dir);
			free(u);
			rc = 0;
			break;
		}
		ntfs_readdir(dir, &pos, &f, match_child);
		ntfs_inode_close(dir);
		free(u);
		if (!f.hit) {
			rc = 0;
			break;
		}
		cur = f.found;
	}
	free(copy);
	if (rc == 1)
		*id = cur;
	return rc;
}

/* ---- reading ---- */

static int64_t wof_stream_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
	ntfs_attr *na = ctx;

	if (off >= (uint64_t)na->data_size)
		return 0;
	return ntfs_attr_pread(na, (s64)off, (s64)n, buf);
}

/* The main stream of a CompactOS file is a hole of its logical size: its
 * bytes are decompressed from WofCompressedData instead. */
static int open_wof(struct ntfs_stream *s, const struct ntfs_reparse *rp, struct ks_err *err)
{
	ntfschar name[sizeof(WOF_STREAM) - 1];
	struct wof_source src = { .pread = wof_stream_pread };
	const char *fmt = wof_format_name(rp->wof_fmt);
	struct ks_err why;

	if (!rp->wof_ok) {
		ks_fail(err, KS_EINPUT, "%s", rp->wof_problem);
		return -1;
	}
	for (size_t i = 0; i < sizeof(name) / sizeof(name[0]); i++)
		name[i] = cpu_to_le16((uint16_t)WOF_STREAM[i]);
	last_err[0] = '\0';
	s->wof_na = ntfs_attr_open(s->ni, AT_DATA, name, (u32)(sizeof(name) / sizeof(name[0])));
	if (!s->wof_na) {
		ks_fail(err, KS_EIO, "CompactOS (WOF, %s) file not readable: no " WOF_STREAM " stream (%s)",
			 fmt, last_err[0] ? last_err : strerror(errno));
		return -1;
	}
	src.ctx = s->wof_na;
	src.size = (uint64_t)s->wof_na->data_size;
	if (wof_open(rp->wof_fmt, (uint64_t)s->na->data_size, &src, &s->wof, &why) < 0) {
		ks_fail(err, KS_EINPUT, "CompactOS (WOF, %s) file not readable: %s", fmt, why.msg);
		return -1;
	}
	return 0;
}

static void ntfs_stream_close(void *p);

static int ntfs_stream_open(void *p, uint64_t id, const void *key, size_t key_len,
			    void **out, struct ks_err *err)
{
	struct ntfs_fs *fs = p;
	struct ntfs_stream *s;
	ntfs_inode *ni = ntfs_inode_open(fs->vol, (MFT_REF)id);
	ntfschar *name = AT_UNNAMED;

	if (!ni) {
		ks_fail(err, KS_EIO, "cannot open MFT record %llu: %s",
			 (unsigned long long)MREF(id), last_err[0] ? last_err : strerror(errno));
		return -1;
	}
	if (key_len) {
		/* The key is the on-disk UTF-16 name, possibly unaligned in the record. */
		name = xmalloc(key_len);
		memcpy(name, key, key_len);
	}
	ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, name, (u32)(key_len / 2));
	if (key_len)
		free(name);
	if (!na) {
		ks_fail(err, KS_EIO, "cannot open data stream: %s", last_err[0] ? last_err : strerror(errno));
		ntfs_inode_close(ni);
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	s->ni = ni;
	s->na = na;
	if (!key_len && (ni->flags & FILE_ATTR_REPARSE_POINT)) {
		struct ntfs_reparse rp;

		fs_ntfs_read_reparse(ni, &rp);
		free(rp.target);
		if (rp.tag == WOF_REPARSE_TAG && open_wof(s, &rp, err) < 0) {
			ntfs_stream_close(s);
			return -1;
		}
	}
	*out = s;
	return 0;
}

static int64_t ntfs_stream_pread(void *p, void *buf, size_t n, uint64_t off)
{
	struct ntfs_stream *s = p;
	s64 got;

	if (s->wof) {
		got = wof_pread(s->wof, buf, n, off);
		if (got < 0) {
			int saved = errno;

			/* errno alone cannot say which chunk is bad. */
			snprintf(last_err, sizeof(last_err), "%s", wof_error(s->wof));
			errno = saved;
		}
		return got;
	}
	if (off >= (uint64_t)s->na->data_size)
		return 0;
	got = ntfs_attr_pread(s->na, (s64)off, (s64)n, buf);
	if (got < 0 && errno == 0)
		errno = EIO;
	return got;
}

static uint64_t ntfs_stream_size(const void *p)
{
	const struct ntfs_stream *s = p;

	return s->wof ? wof_size(s->wof) : (uint64_t)s->na->data_size;
}

static void ntfs_stream_close(void *p)
{
	struct ntfs_stream *s = p;

	wof_close(s->wof);
	if (s->wof_na)
		ntfs_attr_close(s->wof_na);
	ntfs_attr_close(s->na);
	ntfs_inode_close(s->ni);
	free(s);
}

const struct fs_backend fs_backend_ntfs = {
	.name = "ntfs",
	.open = ntfs_fs_open,
	.close = ntfs_fs_close,
	.label = ntfs_fs_label,
	.version = ntfs_fs_version,
	.reader = ntfs_fs_reader,
	.dirty = ntfs_fs_dirty,
	.walk = fs_ntfs_walk,
	.lookup = ntfs_fs_lookup,
	.stream_open = ntfs_stream_open,
	.stream_pread = ntfs_stream_pread,
	.stream_size = ntfs_stream_size,
	.stream_close = ntfs_stream_close,
};
