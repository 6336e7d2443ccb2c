/* NTFS through libntfs-3g: the walk of every directory, file and data
 * stream of a volume (fs_ntfs.c opens it and reads the streams). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
/* ntfs-3g's headers use time() and struct timespec without including
 * <time.h> themselves, and define struct timespec unless <sys/stat.h>
 * came first; they must come after both. */
#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/volume.h>

#include <kenshu/core.h>
#include <kenshu/volume.h>
#include "volume_internal.h"
#include <kenshu/banned.h>

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

/* Emits every $DATA attribute of an open inode: the main stream of a file,
 * and the named streams of files and directories alike. */
static void emit_streams(struct walk *w, ntfs_inode *ni, const char *path, unsigned base_flags,
			 const struct ntfs_reparse *rp)
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
		emit_problem(w, path, rec, fs_last_error()[0] ? "corrupt MFT record: cannot open" : "cannot open MFT record");
		free(path);
		return;
	}
	bool isdir = ni->mrec->flags & MFT_RECORD_IS_DIRECTORY;
	struct ntfs_reparse rp = { 0 };

	if (ni->flags & FILE_ATTR_REPARSE_POINT) {
		fs_ntfs_read_reparse(ni, &rp);
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

int fs_ntfs_walk(void *p, fs_walk_fn fn, void *ctx, struct ks_err *err)
{
	struct ntfs_fs *fs = p;
	struct walk w = { .fs = fs, .fn = fn, .ctx = ctx };
	ntfs_inode *root;

	w.nrec = fs->vol->mft_na ? (uint64_t)fs->vol->mft_na->data_size >> fs->vol->mft_record_size_bits : 0;
	w.seen_dir = xcalloc(w.nrec / 8 + 1, 1);
	root = ntfs_inode_open(fs->vol, FILE_root);
	if (!root) {
		ks_fail(err, KS_EINPUT, "cannot open the root directory: %s", fs_last_error()[0] ? fs_last_error() : "corrupt");
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
