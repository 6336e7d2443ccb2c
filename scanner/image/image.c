/* Image layer front: container detection by content, partition table,
 * and a first look at what each volume holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include "image_internal.h"
#include <kenshu/banned.h>

struct img {
	char *path;
	void *file;            /* the container file itself, raw: what is hashed */
	uint64_t file_size;
	const struct img_backend *be;   /* the disk inside it (raw: the file again) */
	void *state;
	uint64_t size;         /* the disk's size */
	struct parttab pt;
	size_t nvol;
	struct img_volume *vol;
	size_t ngaps;
	struct img_gap *gaps;
};

#define GAP_MIN (1u << 20)            /* alignment gaps are 1 MiB at most */
#define GAP_READ_WHOLE (256ull << 20) /* larger gaps are sampled */
#define PROBE_BYTES 4096              /* a volume's first bytes that say what it holds */

/* Containers recognised by their magic, never by the file name, so that
 * one is never mistaken for a raw disk (a VMDK read as raw would "pass"
 * with nothing scanned). Virtual disks are read through qemu-nbd; the
 * others are refused by name with what to do instead. Archives never get
 * here: main.c opens them as bundles (bundle.c) first. */
struct container_magic {
	const char *name;
	int64_t offset;        /* from the start; negative = from the end */
	const char *magic;
	size_t len;
	const struct img_backend *be;   /* NULL: refused */
	const char *hint;      /* for a refused one: what the user can do */
};

static const struct container_magic containers[] = {
	{ "VMDK (sparse)", 0, "KDMV", 4, &img_backend_vmdk, NULL },
	{ "VMDK (descriptor)", 0, "# Disk DescriptorFile", 21, &img_backend_vmdk, NULL },
	/* QCOW version 1 and QCOW2 (versions 2, 3) share the magic. */
	{ "QCOW", 0, "QFI\xfb\0\0\0\x01", 8, &img_backend_qcow, NULL },
	{ "QCOW2", 0, "QFI\xfb", 4, &img_backend_qcow2, NULL },
	{ "VHDX", 0, "vhdxfile", 8, &img_backend_vhdx, NULL },
	{ "VHD (dynamic)", 0, "conectix", 8, &img_backend_vhd, NULL },
	{ "VHD (fixed)", -512, "conectix", 8, &img_backend_vhd, NULL },
	{ "EWF (E01)", 0, "EVF\x09\x0d\x0a\xff\x00", 8, NULL, "export it to raw with ewfexport (package ewf-tools) first" },
	{ "WIM", 0, "MSWIM\0\0\0", 8, NULL, "apply it with wimlib-imagex to a raw NTFS volume first" },
};

/* File systems recognised from a volume's first sector. */
struct fs_magic {
	const char *fs;
	size_t offset;
	const char *magic;
	size_t len;
	enum vol_state state;
	const char *reason;
};

static const struct fs_magic fs_magics[] = {
	{ "ntfs", 3, "NTFS    ", 8, VOL_READABLE, NULL },
	{ "bitlocker", 3, "-FVE-FS-", 8, VOL_ENCRYPTED, "BitLocker-encrypted volume: contents cannot be inspected" },
	/* FAT and exFAT: read through libguestfs (fs_guestfs.c). */
	{ "exfat", 3, "EXFAT   ", 8, VOL_READABLE, NULL },
	{ "refs", 3, "ReFS\0\0\0\0", 8, VOL_UNSUPPORTED, "ReFS volume: no reader in this version of kenshu" },
	{ "fat", 0x52, "FAT32   ", 8, VOL_READABLE, NULL },
	{ "fat", 0x36, "FAT1", 4, VOL_READABLE, NULL },
	{ "fat", 0x36, "FAT     ", 8, VOL_READABLE, NULL },
};

/* What an unrecognised volume's first bytes look like: said in the report
 * so that a person knows what was not inspected. */
static const struct fs_magic content_guesses[] = {
	{ "luks", 0, "LUKS\xba\xbe", 6, VOL_ENCRYPTED, "LUKS-encrypted volume: contents cannot be inspected" },
	{ "ext", 0x438, "\x53\xef", 2, VOL_UNSUPPORTED, "looks like a Linux ext2/3/4 file system: not read by kenshu" },
	{ "xfs", 0, "XFSB", 4, VOL_UNSUPPORTED, "looks like an XFS file system: not read by kenshu" },
	/* Its logical volumes are listed through libguestfs by
	 * fs_discover_volumes(), which then rewrites this reason. */
	{ "lvm2", 0x218, "LVM2 001", 8, VOL_UNSUPPORTED, "LVM physical volume: its logical volumes have not been listed" },
	{ "swap", 0xff6, "SWAPSPACE2", 10, VOL_UNSUPPORTED, "looks like Linux swap space: not read by kenshu" },
	{ "unknown", 0, "MZ", 2, VOL_UNKNOWN, "starts like a Windows program (MZ), not a file system: raw data written over the volume" },
	{ "unknown", 0, "PK\x03\x04", 4, VOL_UNKNOWN, "starts like a zip archive, not a file system: raw data written over the volume" },
	{ "unknown", 0x1fe, "\x55\xaa", 2, VOL_UNKNOWN, "a boot sector of no file system kenshu knows" },
};

static int pt_read_cb(void *ctx, void *buf, size_t len, uint64_t off)
{
	return img_pread(ctx, buf, len, off);
}

static void set_reason(struct img_volume *v, const char *reason)
{
	snprintf(v->state_reason, sizeof(v->state_reason), "%s", reason ? reason : "");
}

/* What a volume holds, from its first n bytes (n >= 512). A partition
 * whose type says "no file system by design" is only checked for the
 * file systems kenshu reads, not for look-alikes. */
static void classify(struct img_volume *v, const unsigned char *sec, size_t n, bool reserved)
{
	v->fs = "unknown";
	v->state = VOL_UNKNOWN;
	set_reason(v, "contents not recognised as a file system");
	for (size_t i = 0; i < sizeof(fs_magics) / sizeof(fs_magics[0]); i++) {
		const struct fs_magic *m = &fs_magics[i];

		if (memcmp(sec + m->offset, m->magic, m->len) == 0) {
			v->fs = m->fs;
			v->state = m->state;
			set_reason(v, m->reason);
			return;
		}
	}
	for (size_t i = 0; i < sizeof(content_guesses) / sizeof(content_guesses[0]) && !reserved; i++) {
		const struct fs_magic *m = &content_guesses[i];

		if (m->offset + m->len <= n && memcmp(sec + m->offset, m->magic, m->len) == 0) {
			v->fs = m->fs;
			v->state = m->state;
			set_reason(v, m->reason);
			return;
		}
	}
	if (reserved) {
		v->fs = "none";
		v->state = VOL_RESERVED;
		set_reason(v, "reserved partition: holds no file system by design");
	} else if (mem_is_zero(sec, n)) {
		v->fs = "none";
		v->state = VOL_EMPTY;
		set_reason(v, "never formatted: first sectors are all zero");
	}
}

static void probe_volume(struct img *img, struct img_volume *v, bool reserved)
{
	unsigned char sec[PROBE_BYTES];
	size_t n = v->size < sizeof(sec) ? (size_t)v->size : sizeof(sec);

	if (n < 512 || img_pread(img, sec, n, v->offset) < 0) {
		v->fs = "unknown";
		v->state = VOL_UNKNOWN;
		set_reason(v, "volume too small or unreadable");
		return;
	}
	classify(v, sec, n, reserved);
}

void img_volume_probe(struct img_volume *v, const void *first, size_t n)
{
	if (n < 512) {
		v->fs = "unknown";
		v->state = VOL_UNKNOWN;
		set_reason(v, "volume too small or unreadable");
		return;
	}
	classify(v, first, n < PROBE_BYTES ? n : PROBE_BYTES, false);
}

const char *img_sniff(pt_read_fn rd, void *ctx, uint64_t size, const char **label, struct ks_err *err)
{
	unsigned char buf[32];

	*label = "raw";
	for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++) {
		const struct container_magic *c = &containers[i];
		uint64_t off;

		if (c->offset < 0) {
			if (size < (uint64_t)-c->offset)
				continue;
			off = size - (uint64_t)-c->offset;
		} else {
			off = (uint64_t)c->offset;
		}
		if (off + c->len > size || rd(ctx, buf, c->len, off) < 0)
			continue;
		if (memcmp(buf, c->magic, c->len) != 0)
			continue;
		*label = c->name;
		if (!c->be) {
			ks_fail(err, KS_EINPUT, "%s: this format is not supported yet (%s)", c->name, c->hint);
			return NULL;
		}
		return c->be->name;
	}
	return "raw";
}

/* The back end of the container the file is, by content (raw when none),
 * or -1 for a refused format. */
static int detect_container(struct img *img, const struct img_backend **be, const char **name,
			    struct ks_err *err)
{
	const char *format = img_sniff(img_backend_raw.pread, img->file, img->file_size, name, err);

	*be = &img_backend_raw;
	if (!format)
		return -1;
	for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++)
		if (containers[i].be && !strcmp(containers[i].be->name, format))
			*be = containers[i].be;
	return 0;
}

static bool range_has_data(struct img *img, uint64_t off, uint64_t len, unsigned char *buf)
{
	while (len) {
		size_t n = len < GAP_MIN ? (size_t)len : GAP_MIN;
		if (img_pread(img, buf, n, off) < 0 || !mem_is_zero(buf, n))
			return true;   /* unreadable counts as "look here" */
		off += n;
		len -= n;
	}
	return false;
}

static void add_gap(struct img *img, uint64_t start, uint64_t end, unsigned char *buf)
{
	struct img_gap *g;

	if (end <= start || end - start <= GAP_MIN)
		return;
	img->gaps = xrealloc(img->gaps, (img->ngaps + 1) * sizeof(*img->gaps));
	g = &img->gaps[img->ngaps++];
	g->offset = start;
	g->size = end - start;
	g->sampled = g->size > GAP_READ_WHOLE;
	g->holds_data = false;
	for (uint64_t o = start; o < end && !g->holds_data; o += g->sampled ? 16ull * GAP_MIN : GAP_MIN)
		g->holds_data = range_has_data(img, o, end - o < GAP_MIN ? end - o : GAP_MIN, buf);
}

static int by_offset(const void *a, const void *b)
{
	const struct pt_entry *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The disk minus its partition tables and partitions. */
static void find_gaps(struct img *img)
{
	uint64_t ss = img->pt.sector_size ? img->pt.sector_size : 512, start, end = img->size;
	struct pt_entry *e;
	unsigned char *buf;

	if (img->pt.scheme == PT_NONE || !img->pt.n)
		return;
	/* The table itself: GPT's header and entries at both ends (34 and 33
	 * sectors), MBR's first sector. */
	start = img->pt.scheme == PT_GPT ? 34 * ss : ss;
	if (img->pt.scheme == PT_GPT && end > 33 * ss)
		end -= 33 * ss;
	e = xmalloc(img->pt.n * sizeof(*e));
	memcpy(e, img->pt.entries, img->pt.n * sizeof(*e));
	qsort(e, img->pt.n, sizeof(*e), by_offset);
	buf = xmalloc(GAP_MIN);
	for (size_t i = 0; i < img->pt.n; i++) {
		/* An MBR logical partition's EBR sits in the sector before it. */
		uint64_t from = e[i].logical && e[i].offset >= ss ? e[i].offset - ss : e[i].offset;
		if (from > start)
			add_gap(img, start, from, buf);
		if (e[i].offset + e[i].size > start)
			start = e[i].offset + e[i].size;
	}
	if (end > start)
		add_gap(img, start, end, buf);
	free(buf);
	free(e);
}

#define LDM_DATA_GUID "AF9B60A0-1431-4F62-BC68-3311714A69AD"
#define LDM_METADATA_GUID "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3"

/* Does a dynamic disk's partition come with its LDM database? Its PRIVHEAD
 * is in sector 6 of an MBR disk, in the last sector of the LDM metadata
 * partition of a GPT disk (where libldm looks for it). */
static bool ldm_database(struct img *img, const struct pt_entry *data)
{
	uint64_t ss = img->pt.sector_size ? img->pt.sector_size : 512, at = UINT64_MAX;
	char magic[8];

	if (data->mbr_type == 0x42)
		at = 6 * ss;
	for (size_t i = 0; i < img->pt.n && at == UINT64_MAX; i++) {
		const struct pt_entry *e = &img->pt.entries[i];
		if (!strcmp(e->gpt_type, LDM_METADATA_GUID) && e->size >= ss)
			at = e->offset + e->size - ss;
	}
	return at != UINT64_MAX && img_pread(img, magic, sizeof(magic), at) == 0 &&
	       !memcmp(magic, "PRIVHEAD", sizeof(magic));
}

int img_open(const char *path, struct img **out, struct ks_err *err)
{
	struct img *img = xcalloc(1, sizeof(*img));

	const char *container;

	img->path = xstrdup(path);
	if (img_backend_raw.open(path, &img->file, &img->file_size, err) < 0)
		goto fail;
	if (img->file_size == 0) {
		ks_fail(err, KS_EINPUT, "empty file (0 bytes), not a disk image");
		goto fail;
	}
	if (detect_container(img, &img->be, &container, err) < 0)
		goto fail;
	if (img->be != &img_backend_raw) {
		/* A child disk alone is not the vendor's disk: its parent holds
		 * the blocks it did not change. */
		struct img_parent par;
		img_parent_read(img->be->name, img_backend_raw.pread, img->file, img->file_size, &par);
		if (par.differencing) {
			if (par.name[0])
				ks_fail(err, KS_EINPUT, "%s image: it is a differencing disk whose parent is '%s': "
					"merge the chain into one disk and scan the result",
					container, par.name);
			else
				ks_fail(err, KS_EINPUT, "%s image: it is a differencing disk (%s): merge the chain "
					"into one disk and scan the result", container, par.why);
			goto fail;
		}
	}
	if (img->be == &img_backend_raw) {
		img->size = img->file_size;
	} else if (img->be->open(path, &img->state, &img->size, err) < 0) {
		ks_prefix(err, "%s image: ", container);
		goto fail;
	}
	if (parttab_read(&img->pt, pt_read_cb, img, img->size, err) < 0)
		goto fail;

	img->nvol = img->pt.n;
	img->vol = xcalloc(img->nvol ? img->nvol : 1, sizeof(*img->vol));
	for (size_t i = 0; i < img->pt.n; i++) {
		const struct pt_entry *e = &img->pt.entries[i];
		struct img_volume *v = &img->vol[i];

		v->index = e->index;
		v->offset = e->offset;
		v->size = e->size;
		v->part_type = e->type_name;
		v->logical = e->logical;
		memcpy(v->gpt_type, e->gpt_type, sizeof(v->gpt_type));
		memcpy(v->part_name, e->name, sizeof(v->part_name));
		if (img->pt.scheme == PT_MBR)
			snprintf(v->mbr_type, sizeof(v->mbr_type), "0x%02X", e->mbr_type);
		probe_volume(img, v, e->reserved);
		/* A dynamic disk's partition holds several volumes described by
		 * the LDM database; its first sector may well be one volume's NTFS
		 * boot sector, and reading that alone would miss the others.
		 * fs_discover_volumes() lists them when the database is there. */
		if (e->mbr_type == 0x42 || !strcmp(e->gpt_type, LDM_DATA_GUID)) {
			v->fs = "ldm";
			if (ldm_database(img, e)) {
				v->state = VOL_UNSUPPORTED;
				set_reason(v, "Windows dynamic disk (LDM): its volumes have not been listed");
			} else {
				v->state = VOL_UNKNOWN;
				set_reason(v, "Windows dynamic disk (LDM) partition without an LDM database: "
					   "where its volumes lie is not known");
			}
		}
	}
	find_gaps(img);
	*out = img;
	return 0;
fail:
	ks_prefix(err, "'%s': ", path);
	img_close(img);
	return -1;
}

void img_close(struct img *img)
{
	if (!img)
		return;
	if (img->state)
		img->be->close(img->state);
	if (img->file)
		img_backend_raw.close(img->file);
	parttab_release(&img->pt);
	free(img->vol);
	free(img->gaps);
	free(img->path);
	free(img);
}

int img_pread(struct img *img, void *buf, size_t n, uint64_t off)
{
	if (off > img->size || n > img->size - off) {
		errno = EIO;
		return -1;
	}
	if (img->be == &img_backend_raw)
		return img_backend_raw.pread(img->file, buf, n, off);
	return img->be->pread(img->state, buf, n, off);
}

int img_file_pread(struct img *img, void *buf, size_t n, uint64_t off)
{
	if (off > img->file_size || n > img->file_size - off) {
		errno = EIO;
		return -1;
	}
	return img_backend_raw.pread(img->file, buf, n, off);
}

uint64_t img_file_size(const struct img *img) { return img->file_size; }

const char *img_path(const struct img *img) { return img->path; }
const char *img_format(const struct img *img) { return img->be->name; }
const char *img_reader(const struct img *img) { return img->be->reader; }
const char *img_scheme(const struct img *img) { return pt_scheme_name(img->pt.scheme); }
const char *img_disk_guid(const struct img *img) { return img->pt.gpt_disk_guid; }
bool img_gpt_backup_used(const struct img *img) { return img->pt.gpt_backup_used; }
uint64_t img_size(const struct img *img) { return img->size; }
size_t img_nvolumes(const struct img *img) { return img->nvol; }

const struct img_volume *img_volume(const struct img *img, size_t i)
{
	return i < img->nvol ? &img->vol[i] : NULL;
}

unsigned img_add_volume(struct img *img, const struct img_volume *v)
{
	unsigned top = 0;

	/* Partition numbers have holes and MBR logicals start at 5: the
	 * highest one, not the count, says where new numbers are free. */
	for (size_t i = 0; i < img->nvol; i++)
		if (img->vol[i].index > top)
			top = img->vol[i].index;
	img->vol = xrealloc(img->vol, (img->nvol + 1) * sizeof(*img->vol));
	img->vol[img->nvol] = *v;
	img->vol[img->nvol].index = top + 1;
	img->nvol++;
	return top + 1;
}

void img_set_volume_state(struct img *img, size_t i, enum vol_state state, const char *reason)
{
	if (i >= img->nvol)
		return;
	img->vol[i].state = state;
	set_reason(&img->vol[i], reason);
}

size_t img_ngaps(const struct img *img) { return img->ngaps; }

const struct img_gap *img_gap(const struct img *img, size_t i)
{
	return i < img->ngaps ? &img->gaps[i] : NULL;
}

const char *vol_state_name(enum vol_state s)
{
	static const char *const names[] = {
		[VOL_READABLE] = "readable", [VOL_RESERVED] = "reserved",
		[VOL_UNSUPPORTED] = "unsupported", [VOL_ENCRYPTED] = "encrypted",
		[VOL_EMPTY] = "empty", [VOL_UNKNOWN] = "unknown",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}
