/* image: a disk image file (raw, or a container served by qemu-nbd) and
 * its partition table, as a list of volumes.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_IMAGE_H
#define KENSHU_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/core.h>

/* image: a disk image opened read-only, and the volumes on it.
 *
 * The walker, scanner and report see images only through this header, so a
 * new container (VMDK, VHD(X), QCOW2 through qemu-nbd, libguestfs) is a new
 * back end in scanner/image_*.c and nothing else changes.
 */

struct img;

/* Why a volume is or is not inspected. */
enum vol_state {
	VOL_READABLE = 0,   /* a file-system reader exists and will walk it */
	VOL_RESERVED,       /* no file system by design (MSR, BIOS boot, LDM metadata; a
	                       volume manager's container whose volumes are listed) */
	VOL_UNSUPPORTED,    /* file system recognised, no reader yet (ReFS); a volume
	                       manager's container whose volumes are not listed (yet) */
	VOL_ENCRYPTED,      /* BitLocker: contents cannot be inspected */
	VOL_EMPTY,          /* first sectors all zero: never formatted */
	VOL_UNKNOWN,        /* contents not recognised */
};

/* A volume is a partition, a bare disk, or a volume found inside one by a
 * volume manager (an LVM logical volume, a Windows dynamic-disk volume):
 * those have a parent and a libguestfs device, and follow the partitions. */
struct img_volume {
	unsigned index;         /* partition number (1-based); 1 for a bare volume;
	                           after the highest partition number for a volume
	                           inside another */
	uint64_t offset;        /* bytes from the start of the image (0 and
	                           meaningless when parent != 0: a logical volume
	                           need not be contiguous) */
	uint64_t size;          /* bytes */
	const char *part_type;  /* partition type, human readable, static */
	char gpt_type[37];      /* GPT type GUID or "" */
	char mbr_type[5];       /* "0x07" or "" */
	char part_name[160];    /* GPT partition name, "vg/lv" of a logical volume,
	                           "diskgroup/volume" of a dynamic-disk volume, or "" */
	bool logical;           /* MBR logical partition */
	unsigned parent;        /* index of the volume holding this one, 0 for a partition */
	char device[272];       /* libguestfs's device for it ("/dev/vg/lv") when parent != 0,
	                           else "": only libguestfs can assemble it */
	const char *fs;         /* "ntfs", "fat", "exfat", "refs", "bitlocker", "lvm2", "ldm",
	                           "none", "unknown" (static) */
	enum vol_state state;
	char state_reason[320]; /* human sentence for state != VOL_READABLE, else "" */
};

/* Space on the disk outside every partition and partition table, larger
 * than 1 MiB: data can hide there (a payload written after the last
 * partition survives a reformat and is invisible to file-system tools). */
struct img_gap {
	uint64_t offset, size;
	bool holds_data;   /* a non-zero byte was found */
	bool sampled;      /* too large to read whole: 1 MiB of every 16 was read */
};

/* Opens path O_RDONLY, detects the container by content (virtual disks are
 * served read-only by qemu-nbd, see image_nbd.c) and reads the partition
 * table. Returns 0, or -1 with err naming the file and the problem. *out
 * is owned by the caller: img_close(). */
int img_open(const char *path, struct img **out, struct ks_err *err);
void img_close(struct img *img);

const char *img_path(const struct img *img);
const char *img_format(const struct img *img);   /* "raw", "vmdk", "vhd", "vhdx", "qcow2", "qcow" */
const char *img_reader(const struct img *img);   /* what reads the disk, for the report */
const char *img_scheme(const struct img *img);   /* "gpt", "mbr", "none" */
const char *img_disk_guid(const struct img *img); /* GPT disk GUID or "" */
bool img_gpt_backup_used(const struct img *img);
uint64_t img_size(const struct img *img);        /* the disk's size (a container's virtual size) */
/* The image file itself: the evidence that is hashed before and after.
 * For a raw image the same bytes as the disk; for a container its file. */
uint64_t img_file_size(const struct img *img);
int img_file_pread(struct img *img, void *buf, size_t n, uint64_t off);
size_t img_nvolumes(const struct img *img);
/* Borrowed, valid until img_close() or the next img_add_volume(). */
const struct img_volume *img_volume(const struct img *img, size_t i);

/* Appends a volume found inside volume `v->parent` (a logical volume of an
 * LVM physical volume, a volume of a dynamic disk) to the list, so that the report lists it and the scan
 * walks it like a partition. *v is copied; its index is assigned here, one
 * above the highest index so far. Returns that index. */
unsigned img_add_volume(struct img *img, const struct img_volume *v);
/* Changes what is said about volume i (the i-th of the list): a volume
 * manager's container once its contents are known, or why they are not.
 * reason is copied (truncated to fit). */
void img_set_volume_state(struct img *img, size_t i, enum vol_state state, const char *reason);
/* Classifies a volume by its first n bytes (n >= 512, at most 4096 are
 * looked at) as img_open() classifies each partition: sets v->fs, v->state
 * and v->state_reason. For volumes read by other means than offsets into
 * the image (a logical volume's first sectors read through libguestfs). */
void img_volume_probe(struct img_volume *v, const void *first, size_t n);

/* Reads exactly n bytes at off. Safe to call from many threads at once.
 * Returns 0, or -1 with errno set (EIO for a short read past the end). */
int img_pread(struct img *img, void *buf, size_t n, uint64_t off);

size_t img_ngaps(const struct img *img);
const struct img_gap *img_gap(const struct img *img, size_t i);

const char *vol_state_name(enum vol_state s);

/* parttab: partition-table reader for raw disk images (MBR, GPT, bare volume).
 *
 * Pure code: it sees the disk only through a read callback, so it is unit
 * tested without images and never trusts a single field of what it reads.
 * Every offset and size is checked against the disk size; structures that
 * point outside the disk, overlap or loop are errors, not guesses.
 */

enum pt_scheme {
	PT_NONE = 0, /* no table: the whole disk is one volume (bare NTFS, FAT...) */
	PT_MBR,
	PT_GPT,
};

/* Named caps against hostile tables. */
#define PT_MAX_LOGICAL 128   /* logical partitions followed in an MBR extended chain */
#define PT_MAX_GPT_ENTRIES 1024

struct pt_entry {
	unsigned index;      /* 1-based, in table order; logicals follow primaries from 5 */
	uint64_t offset;     /* bytes from the start of the disk */
	uint64_t size;       /* bytes */
	bool logical;        /* MBR logical partition inside an extended one */
	uint8_t mbr_type;    /* MBR type byte (0 for GPT) */
	char gpt_type[37];   /* GPT type GUID, upper-case canonical text ("" for MBR) */
	char gpt_guid[37];   /* GPT unique partition GUID ("" for MBR) */
	char name[160];      /* GPT partition name as UTF-8 ("" for MBR) */
	const char *type_name; /* human name of the type, static string, never NULL */
	bool reserved;       /* type says "no file system by design" (MSR, BIOS boot, LDM metadata) */
};

struct parttab {
	enum pt_scheme scheme;
	uint32_t sector_size;     /* 512 or 4096 */
	uint64_t disk_size;       /* bytes, as given to parttab_read */
	bool gpt_backup_used;     /* primary GPT was damaged, the backup header was used */
	char gpt_disk_guid[37];
	size_t n;                 /* number of entries */
	struct pt_entry *entries; /* owned: release with parttab_release() */
};

/* Reads exactly len bytes at off. Returns 0, or -1 on error/short read. */
typedef int (*pt_read_fn)(void *ctx, void *buf, size_t len, uint64_t off);

/* Fills *pt from the disk behind rd. Empty MBR/GPT slots are not listed.
 * Returns 0, or -1 with a one-line lowercase reason in err (no file name:
 * the caller prefixes it), e.g. "partition 2 ends at byte 1048576000, past
 * the end of the disk (524288000 bytes)". On error *pt holds nothing to free.
 */
int parttab_read(struct parttab *pt, pt_read_fn rd, void *ctx,
		 uint64_t disk_size, struct ks_err *err);

/* Frees what parttab_read allocated and zeroes *pt. Accepts a zeroed *pt. */
void parttab_release(struct parttab *pt);

const char *pt_scheme_name(enum pt_scheme s); /* "none", "mbr", "gpt" */

/* The container the file behind rd (size bytes) is, by its magic, never
 * its name, as img_open() judges it: "raw" (no container), "vmdk", "vhd",
 * "vhdx", "qcow2" or "qcow", with *label the human name ("VHD (fixed)").
 * NULL, with err set, for a container kenshu refuses (EWF, WIM). */
const char *img_sniff(pt_read_fn rd, void *ctx, uint64_t size, const char **label, struct ks_err *err);

/* Reads what `qemu-img info --output=json` printed (len bytes at json) for
 * the container at path: *vsize its virtual size. Returns 0, or -1 with err
 * set when the output is not what qemu-img prints for a disk kenshu can
 * read alone (no size, a backing file, an external data file, an extent
 * outside the descriptor's directory). qemu-img parsed hostile headers to
 * write it: every field is checked. */
int img_qemu_info_parse(const char *json, size_t len, const char *path, uint64_t *vsize, struct ks_err *err);

/* image_parent: whether a virtual disk is a differencing disk, read from
 * the container's own headers (qemu-img does not tell for every format: a
 * VHD whose parent is missing reads as unallocated, all zeros). */
struct img_parent {
	bool differencing;   /* the container says it has a parent: VHD disk type 4;
	                        VHDX HasParent or a parent locator; VMDK parentCID
	                        other than ffffffff or a parentFileNameHint */
	char name[512];      /* the parent it names, printable UTF-8 (control characters
	                        as '?'), cut to fit; "" when none could be read */
	char why[160];       /* differencing with no name: why ("its dynamic disk header
	                        (at byte N) lies outside the file") */
};

/* Fills *p for the container behind rd (size bytes; the container file,
 * not the disk). format is the back end's name: "vhd", "vhdx" or "vmdk";
 * any other leaves *p zeroed. Headers that cannot be read or are not
 * the format's leave differencing false: damage is qemu-img check's to
 * report. Never fails; reads at most a few KiB per field, each checked
 * against size first. */
void img_parent_read(const char *format, pt_read_fn rd, void *ctx, uint64_t size, struct img_parent *p);

#endif
