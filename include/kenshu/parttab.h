/* parttab: partition-table reader for raw disk images (MBR, GPT, bare volume).
 *
 * Pure code: it sees the disk only through a read callback, so it is unit
 * tested without images and never trusts a single field of what it reads.
 * Every offset and size is checked against the disk size; structures that
 * point outside the disk, overlap or loop are errors, not guesses.
 */
#ifndef KENSHU_PARTTAB_H
#define KENSHU_PARTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
		 uint64_t disk_size, char *err, size_t errlen);

/* Frees what parttab_read allocated and zeroes *pt. Accepts a zeroed *pt. */
void parttab_release(struct parttab *pt);

const char *pt_scheme_name(enum pt_scheme s); /* "none", "mbr", "gpt" */

#endif
