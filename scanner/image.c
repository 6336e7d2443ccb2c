/* Image layer front: container detection by content, partition table,
 * and a first look at what each volume holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/err.h>
#include <kenshu/image.h>
#include <kenshu/parttab.h>
#include "image_internal.h"
#include "banned.h"

struct img {
	char *path;
	const struct img_backend *be;
	void *state;
	uint64_t size;
	struct parttab pt;
	size_t nvol;
	struct img_volume *vol;
};

/* Containers recognised by their magic so that they are never mistaken for
 * a raw disk (a VMDK read as raw would "pass" with nothing scanned). This
 * version has only the raw back end: these are refused by name. */
struct container_magic {
	const char *name;
	int64_t offset;        /* from the start; negative = from the end */
	const char *magic;
	size_t len;
	const char *hint;      /* what the user can do meanwhile */
};

#define QEMU_HINT "convert it with 'qemu-img convert -O raw' first"
#define UNPACK_HINT "unpack it and scan the disk image inside"

static const struct container_magic containers[] = {
	{ "VMDK (sparse)", 0, "KDMV", 4, QEMU_HINT },
	{ "VMDK (descriptor)", 0, "# Disk DescriptorFile", 21, QEMU_HINT },
	{ "QCOW", 0, "QFI\xfb", 4, QEMU_HINT },
	{ "VHDX", 0, "vhdxfile", 8, QEMU_HINT },
	{ "VHD (dynamic)", 0, "conectix", 8, QEMU_HINT },
	{ "VHD (fixed)", -512, "conectix", 8, QEMU_HINT },
	{ "EWF (E01)", 0, "EVF\x09\x0d\x0a\xff\x00", 8, "export it to raw with ewfexport (package ewf-tools) first" },
	{ "WIM", 0, "MSWIM\0\0\0", 8, "apply it with wimlib-imagex to a raw NTFS volume first" },
	{ "ZIP archive", 0, "PK\x03\x04", 4, UNPACK_HINT },
	{ "7-Zip archive", 0, "7z\xbc\xaf\x27\x1c", 6, UNPACK_HINT },
	{ "gzip file", 0, "\x1f\x8b", 2, UNPACK_HINT },
	{ "xz file", 0, "\xfd" "7zXZ\0", 6, UNPACK_HINT },
	{ "ISO 9660 image", 0x8001, "CD001", 5, UNPACK_HINT },
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
	{ "exfat", 3, "EXFAT   ", 8, VOL_UNSUPPORTED, "exFAT volume: no reader in this version of kenshu" },
	{ "refs", 3, "ReFS\0\0\0\0", 8, VOL_UNSUPPORTED, "ReFS volume: no reader in this version of kenshu" },
	{ "fat", 0x52, "FAT32   ", 8, VOL_UNSUPPORTED, "FAT volume: no reader in this version of kenshu" },
	{ "fat", 0x36, "FAT1", 4, VOL_UNSUPPORTED, "FAT volume: no reader in this version of kenshu" },
	{ "fat", 0x36, "FAT     ", 8, VOL_UNSUPPORTED, "FAT volume: no reader in this version of kenshu" },
};

static int pt_read_cb(void *ctx, void *buf, size_t len, uint64_t off)
{
	return img_pread(ctx, buf, len, off);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void probe_volume(struct img *img, struct img_volume *v, bool reserved)
{
	unsigned char sec[4096];
	size_t n = v->size < sizeof(sec) ? (size_t)v->size : sizeof(sec);

	v->fs = "unknown";
	v->state = VOL_UNKNOWN;
	v->state_reason = "contents not recognised as a file system";
	if (n < 512 || img_pread(img, sec, n, v->offset) < 0) {
		v->state_reason = "volume too small or unreadable";
		return;
	}
	for (size_t i = 0; i < sizeof(fs_magics) / sizeof(fs_magics[0]); i++) {
		const struct fs_magic *m = &fs_magics[i];

		if (memcmp(sec + m->offset, m->magic, m->len) == 0) {
			v->fs = m->fs;
			v->state = m->state;
			v->state_reason = m->reason;
			return;
		}
	}
	if (reserved) {
		v->fs = "none";
		v->state = VOL_RESERVED;
		v->state_reason = "reserved partition: holds no file system by design";
	} else if (all_zero(sec, n)) {
		v->fs = "none";
		v->state = VOL_EMPTY;
		v->state_reason = "never formatted: first sectors are all zero";
	}
}

static int check_container(struct img *img, char *err, size_t errlen)
{
	unsigned char buf[32];

	for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++) {
		const struct container_magic *c = &containers[i];
		uint64_t off;

		if (c->offset < 0) {
			if (img->size < (uint64_t)-c->offset)
				continue;
			off = img->size - (uint64_t)-c->offset;
		} else {
			off = (uint64_t)c->offset;
		}
		if (off + c->len > img->size || img_pread(img, buf, c->len, off) < 0)
			continue;
		if (memcmp(buf, c->magic, c->len) == 0) {
			snprintf(err, errlen, "%s: this format is not supported yet (%s)", c->name, c->hint);
			return -1;
		}
	}
	return 0;
}

int img_open(const char *path, struct img **out)
{
	char err[512] = "";
	struct img *img = xcalloc(1, sizeof(*img));

	img->path = xstrdup(path);
	img->be = &img_backend_raw;
	if (img->be->open(path, &img->state, &img->size, err, sizeof(err)) < 0)
		goto fail;
	if (img->size == 0) {
		snprintf(err, sizeof(err), "empty file (0 bytes), not a disk image");
		goto fail;
	}
	if (check_container(img, err, sizeof(err)) < 0)
		goto fail;
	if (parttab_read(&img->pt, pt_read_cb, img, img->size, err, sizeof(err)) < 0)
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
	}
	*out = img;
	return 0;
fail:
	error("'%s': %s", path, err);
	img_close(img);
	return -1;
}

void img_close(struct img *img)
{
	if (!img)
		return;
	if (img->state)
		img->be->close(img->state);
	parttab_release(&img->pt);
	free(img->vol);
	free(img->path);
	free(img);
}

int img_pread(struct img *img, void *buf, size_t n, uint64_t off)
{
	if (off > img->size || n > img->size - off) {
		errno = EIO;
		return -1;
	}
	return img->be->pread(img->state, buf, n, off);
}

const char *img_path(const struct img *img) { return img->path; }
const char *img_format(const struct img *img) { return img->be->name; }
const char *img_scheme(const struct img *img) { return pt_scheme_name(img->pt.scheme); }
const char *img_disk_guid(const struct img *img) { return img->pt.gpt_disk_guid; }
bool img_gpt_backup_used(const struct img *img) { return img->pt.gpt_backup_used; }
uint64_t img_size(const struct img *img) { return img->size; }
size_t img_nvolumes(const struct img *img) { return img->nvol; }

const struct img_volume *img_volume(const struct img *img, size_t i)
{
	return i < img->nvol ? &img->vol[i] : NULL;
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
