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
	ntfs_volume *vol;
	struct ntfs_device *dev;
	struct ntfs_slice slice;
	char version[8];
};

struct ntfs_stream {
	ntfs_inode *ni;
	ntfs_attr *na;
	ntfs_attr *wof_na;   /* CompactOS: WofCompressedData, read through wof */
	struct wof *wof;
};

/* What a reparse point says, as far as kenshu uses it. */
struct reparse {
	uint32_t tag;
	char *target;            /* junction or symlink print name, else NULL */
	bool wof_ok;             /* WOF: a CompactOS file kenshu decompresses */
	enum wof_format wof_fmt;
	char wof_problem[320];   /* WOF, !wof_ok: why its main stream cannot be read */
};

/* libntfs-3g reports through a global log handler; keep its last error per
 * thread so that our own one-line messages can carry the reason. */
static __thread char last_err[256];

static int log_to_last(const char *function, const char *file, int line,
		       u32 level, void *data, const char *format, va_list args)
{
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

static int ntfs_fs_open(struct img *img, const struct img_volume *v, void **out,
			struct ks_err *err)
{
	struct ntfs_fs *fs = xcalloc(1, sizeof(*fs));

	fs->slice.img = img;
	fs->slice.offset = v->offset;
	fs->slice.size = v->size;
	fs->dev = ntfs_device_alloc(img_path(img), 0, &slice_ops, &fs->slice);
	if (!fs->dev) {
		ks_fail(err, KS_EINPUT, "cannot allocate ntfs device");
		free(fs);
		return -1;
	}
	last_err[0] = '\0';
	errno = 0;
	fs->vol = ntfs_device_mount(fs->dev, NTFS_MNT_RDONLY);
	if (!fs->vol) {
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

/* ---- walking ---- */

struct child {
	MFT_REF mref;
	char *name;
	bool lossy;
};

struct dir_list {
	struct child *v;
	size_t n, alloc;
	bool too_many;
};

static int collect_child(void *ctx, const ntfschar *name, const int name_len,
			 const int name_type, const s64 pos, const MFT_REF mref,
			 const unsigned dt_type)
{
	struct dir_list *l = ctx;

	/* An 8.3 alias is a second index entry for the same file. */
	if (name_type == FILE_NAME_DOS)
		return 0;
	if (name_len == 1 && le16_to_cpu(name[0]) == '.')
		return 0;
	if (name_len == 2 && le16_to_cpu(name[0]) == '.' && le16_to_cpu(name[1]) == '.')
		return 0;
	if (l->n >= FS_MAX_DIR_ENTRIES) {
		l->too_many = true;
		return -1;
	}
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 64;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n].mref = mref;
	l->v[l->n].name = utf16le_to_utf8(name, (size_t)name_len, &l->v[l->n].lossy);
	l->n++;
	return 0;
}

static void dir_list_release(struct dir_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int child_cmp(const void *a, const void *b)
{
	return strcmp(((const struct child *)a)->name, ((const struct child *)b)->name);
}

/* Directories still to walk: an explicit stack, so depth is unbounded. */
struct pending {
	MFT_REF mref;
	char *path;
};

struct walk {
	struct ntfs_fs *fs;
	fs_walk_fn fn;
	void *ctx;
	struct pending *stack;
	size_t depth, alloc;
	size_t pushed;       /* directories pushed by the current walk_dir */
	uint8_t *seen_dir;   /* bitmap by MFT record number: cycle guard */
	uint64_t nrec;
	/* Files with several names: record number -> first path walked. */
	struct link_slot { uint64_t rec; char *path; } *links;
	size_t nlinks, links_alloc;
	int stop;
};

static bool bit_test_set(uint8_t *map, uint64_t nbits, uint64_t i)
{
	bool was;

	if (i >= nbits)
		return false;
	was = map[i >> 3] & (1u << (i & 7));
	map[i >> 3] |= (uint8_t)(1u << (i & 7));
	return was;
}

static uint64_t link_hash(uint64_t rec, size_t size)
{
	return (rec * 0x9E3779B97F4A7C15ull) & (size - 1);
}

/* Returns the first path of this record if already seen, else remembers it. */
static const char *link_seen(struct walk *w, uint64_t rec, const char *path)
{
	if (w->nlinks * 2 >= w->links_alloc) {
		size_t nalloc = w->links_alloc ? w->links_alloc * 2 : 256;
		struct link_slot *nl = xcalloc(nalloc, sizeof(*nl));

		for (size_t i = 0; i < w->links_alloc; i++) {
			if (!w->links[i].path)
				continue;
			size_t h = link_hash(w->links[i].rec, nalloc);
			while (nl[h].path)
				h = (h + 1) & (nalloc - 1);
			nl[h] = w->links[i];
		}
		free(w->links);
		w->links = nl;
		w->links_alloc = nalloc;
	}
	size_t h = link_hash(rec, w->links_alloc);
	while (w->links[h].path) {
		if (w->links[h].rec == rec)
			return w->links[h].path;
		h = (h + 1) & (w->links_alloc - 1);
	}
	w->links[h].rec = rec;
	w->links[h].path = xstrdup(path);
	w->nlinks++;
	return NULL;
}

static int emit(struct walk *w, const struct fs_entry *e)
{
	if (!w->stop)
		w->stop = w->fn(w->ctx, e);
	return w->stop;
}

static int emit_problem(struct walk *w, const char *path, uint64_t id, const char *why)
{
	struct fs_entry e = { .kind = FS_ENTRY_PROBLEM, .path = path, .stream = "", .id = id, .problem = why };

	return emit(w, &e);
}

/* Reparse data: tag, for junctions and symlinks the print name, for WOF
 * whether kenshu can decompress the file. */
static void read_reparse(ntfs_inode *ni, struct reparse *r)
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

/* Emits every $DATA attribute of an open inode: the main stream of a file,
 * and the named streams of files and directories alike. */
static void emit_streams(struct walk *w, ntfs_inode *ni, const char *path, unsigned base_flags,
			 const struct reparse *rp)
{
	uint32_t tag = rp ? rp->tag : 0;

	ntfs_attr_search_ctx *actx = ntfs_attr_get_search_ctx(ni, NULL);

	if (!actx) {
		emit_problem(w, path, ni->mft_no, "cannot read attributes");
		return;
	}
	while (!w->stop && !ntfs_attr_lookup(AT_DATA, NULL, 0, CASE_SENSITIVE, 0, NULL, 0, actx)) {
		ATTR_RECORD *a = actx->attr;
		struct fs_entry e = { .kind = FS_ENTRY_STREAM, .path = path, .stream = "",
				      .id = MK_MREF(ni->mft_no, le16_to_cpu(ni->mrec->sequence_number)),
				      .flags = base_flags, .reparse_tag = tag };
		char *sname = NULL;
		bool lossy = false;

		/* Extents of one attribute spread over an attribute list repeat
		 * the attribute: only the first (lowest_vcn 0) describes it. */
		if (a->non_resident && sle64_to_cpu(a->lowest_vcn) != 0)
			continue;
		if (a->name_length) {
			uint16_t off = le16_to_cpu(a->name_offset);
			uint32_t alen = le32_to_cpu(a->length);
			if ((uint32_t)off + (uint32_t)a->name_length * 2 > alen) {
				emit_problem(w, path, ni->mft_no, "corrupt attribute name");
				continue;
			}
			e.stream_key = (const uint8_t *)a + off;
			e.stream_key_len = (size_t)a->name_length * 2;
			sname = utf16le_to_utf8(e.stream_key, a->name_length, &lossy);
			e.stream = sname;
			if (lossy)
				e.flags |= FS_F_NAME_LOSSY;
		} else if (base_flags & FS_F_DIRECTORY) {
			/* A directory has no unnamed $DATA on a sane volume. */
		}
		if (a->non_resident) {
			e.size = (uint64_t)sle64_to_cpu(a->data_size);
			if (a->flags & ATTR_IS_COMPRESSED)
				e.flags |= FS_F_COMPRESSED;
			if (a->flags & ATTR_IS_SPARSE)
				e.flags |= FS_F_SPARSE;
		} else {
			e.size = le32_to_cpu(a->value_length);
		}
		if (a->flags & ATTR_IS_ENCRYPTED || ni->flags & FILE_ATTR_ENCRYPTED) {
			e.flags |= FS_F_ENCRYPTED;
			e.problem = "EFS-encrypted: contents cannot be read offline";
		}
		if (!a->name_length && tag == WOF_REPARSE_TAG) {
			e.flags |= FS_F_WOF;
			if (!rp->wof_ok)
				e.problem = rp->wof_problem;
		} else if (!a->name_length && tag == REPARSE_TAG_DEDUP) {
			e.problem = "Data Deduplication reparse point: contents are in the chunk store";
		}
		emit(w, &e);
		free(sname);
	}
	ntfs_attr_put_search_ctx(actx);
}

static void push_dir(struct walk *w, MFT_REF mref, char *path)
{
	if (w->depth == w->alloc) {
		w->alloc = w->alloc ? w->alloc * 2 : 64;
		w->stack = xrealloc(w->stack, w->alloc * sizeof(*w->stack));
	}
	w->stack[w->depth].mref = mref;
	w->stack[w->depth].path = path;
	w->depth++;
}

static void visit_child(struct walk *w, const char *dirpath, const struct child *c)
{
	char *path;
	ntfs_inode *ni;
	uint64_t rec = MREF(c->mref);
	unsigned flags = c->lossy ? FS_F_NAME_LOSSY : 0;
	size_t plen = strlen(dirpath) + 1 + strlen(c->name);

	path = xasprintf("%s/%s", dirpath, c->name);
	if (plen > FS_MAX_PATH) {
		emit_problem(w, path, rec, "path longer than kenshu's limit; not walked further");
		free(path);
		return;
	}
	ni = ntfs_inode_open(w->fs->vol, c->mref);
	if (!ni) {
		emit_problem(w, path, rec, last_err[0] ? "corrupt MFT record: cannot open" : "cannot open MFT record");
		free(path);
		return;
	}
	bool isdir = ni->mrec->flags & MFT_RECORD_IS_DIRECTORY;
	struct reparse rp = { 0 };

	if (ni->flags & FILE_ATTR_REPARSE_POINT) {
		read_reparse(ni, &rp);
		struct fs_entry e = { .kind = FS_ENTRY_REPARSE, .path = path, .stream = "", .id = rec,
				      .flags = FS_F_REPARSE | (isdir ? FS_F_DIRECTORY : 0) | flags,
				      .reparse_tag = rp.tag, .reparse_target = rp.target };
		emit(w, &e);
		flags |= FS_F_REPARSE;
	}
	if (isdir) {
		emit_streams(w, ni, path, flags | FS_F_DIRECTORY, &rp);
		ntfs_inode_close(ni);
		if (flags & FS_F_REPARSE) {
			free(path);      /* junctions and directory symlinks are never followed */
		} else if (bit_test_set(w->seen_dir, w->nrec, rec)) {
			emit_problem(w, path, rec, "directory already walked under another name (cycle); not walked again");
			free(path);
		} else {
			push_dir(w, c->mref, path);
			w->pushed++;
		}
		free(rp.target);
		return;
	}
	if (le16_to_cpu(ni->mrec->link_count) > 1) {
		const char *first = link_seen(w, rec, path);
		if (first) {
			struct fs_entry e = { .kind = FS_ENTRY_LINK, .path = path, .stream = "", .id = rec,
					      .flags = flags | FS_F_HARDLINK, .link_of = first };
			emit(w, &e);
			goto done;
		}
	}
	emit_streams(w, ni, path, flags, &rp);
done:
	ntfs_inode_close(ni);
	free(rp.target);
	free(path);
}

static int walk_dir(struct walk *w, MFT_REF mref, const char *path)
{
	struct dir_list l = { 0 };
	ntfs_inode *dir = ntfs_inode_open(w->fs->vol, mref);
	s64 pos = 0;
	bool at_root = MREF(mref) == FILE_root;

	if (!dir)
		return emit_problem(w, *path ? path : "/", MREF(mref), "corrupt directory record: cannot open");
	if (ntfs_readdir(dir, &pos, &l, collect_child) < 0 && !l.too_many) {
		ntfs_inode_close(dir);
		dir_list_release(&l);
		return emit_problem(w, *path ? path : "/", MREF(mref), "corrupt directory index: listing stopped early");
	}
	ntfs_inode_close(dir);
	if (l.too_many)
		emit_problem(w, *path ? path : "/", MREF(mref), "directory has more entries than kenshu's limit; the rest were not walked");
	/* Sorted so that two scans of one volume walk in the same order. */
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), child_cmp);
	size_t base = w->depth;
	w->pushed = 0;
	for (size_t i = 0; i < l.n && !w->stop; i++) {
		/* NTFS metadata files ($MFT, $LogFile, $Extend...) live in the root
		 * below the first user record; they are the file system itself. */
		if (at_root && MREF(l.v[i].mref) < FILE_first_user)
			continue;
		visit_child(w, path, &l.v[i]);
	}
	/* Reverse this directory's sub-directories on the stack so that they
	 * pop in name order: the walk is a plain sorted depth-first one. */
	for (size_t a = base, b = w->depth; a + 1 < b; a++, b--) {
		struct pending t = w->stack[a];
		w->stack[a] = w->stack[b - 1];
		w->stack[b - 1] = t;
	}
	dir_list_release(&l);
	return w->stop;
}

static int ntfs_fs_walk(void *p, fs_walk_fn fn, void *ctx, struct ks_err *err)
{
	struct ntfs_fs *fs = p;
	struct walk w = { .fs = fs, .fn = fn, .ctx = ctx };
	ntfs_inode *root;

	w.nrec = fs->vol->mft_na ? (uint64_t)fs->vol->mft_na->data_size >> fs->vol->mft_record_size_bits : 0;
	w.seen_dir = xcalloc(w.nrec / 8 + 1, 1);
	root = ntfs_inode_open(fs->vol, FILE_root);
	if (!root) {
		ks_fail(err, KS_EINPUT, "cannot open the root directory: %s", last_err[0] ? last_err : "corrupt");
		free(w.seen_dir);
		return -1;
	}
	emit_streams(&w, root, "/", FS_F_DIRECTORY, NULL);
	ntfs_inode_close(root);
	bit_test_set(w.seen_dir, w.nrec, FILE_root);
	push_dir(&w, FILE_root, xstrdup(""));
	while (w.depth && !w.stop) {
		struct pending next = w.stack[--w.depth];
		walk_dir(&w, next.mref, next.path);
		free(next.path);
	}
	while (w.depth)
		free(w.stack[--w.depth].path);
	for (size_t i = 0; i < w.links_alloc; i++)
		free(w.links[i].path);
	free(w.links);
	free(w.stack);
	free(w.seen_dir);
	return w.stop;
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
static int open_wof(struct ntfs_stream *s, const struct reparse *rp, struct ks_err *err)
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
		struct reparse rp;

		read_reparse(ni, &rp);
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
	.walk = ntfs_fs_walk,
	.lookup = ntfs_fs_lookup,
	.stream_open = ntfs_stream_open,
	.stream_pread = ntfs_stream_pread,
	.stream_size = ntfs_stream_size,
	.stream_close = ntfs_stream_close,
};
