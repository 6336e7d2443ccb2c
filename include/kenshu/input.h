/* input: what the user hands over besides a disk image: vendor delivery
 * archives (libarchive) and WIM captures (wimlib).
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_INPUT_H
#define KENSHU_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kenshu/core.h>
#include <kenshu/av.h>
#include <kenshu/scan.h>

/* Where each disk image that a bundle or a WIM holds goes once scanned:
 * the caller saves its report (and may show it), by the same path as for
 * a disk image given directly (cli/). */
struct image_sink {
	/* Takes over *r (report_release() it) and saves it into dir. Returns
	 * the image's exit code: its verdict's (verdict_exit_code), or
	 * EXIT_ERROR with err set when the report could not be written. */
	int (*save)(void *ctx, struct report *r, const char *dir, struct ks_err *err);
	/* An image that could not be scanned or saved; err names it (the
	 * member inside the bundle, or the WIM) and says why. */
	void (*failed)(void *ctx, const struct ks_err *err);
	void *ctx;
};

/* bundle: a vendor delivery archive (zip, 7z, tar with any compression,
 * ISO 9660, CAB, or one compressed file such as disk.img.xz) opened with
 * libarchive. Every member that is a disk image is scanned as an image
 * with its own report; every other member is hashed and scanned as a
 * file; bundles inside bundles are opened up to a depth. No name from the
 * archive ever touches the host file system: members are kept in memory
 * or spilled under generated names into a private temporary directory.
 */

/* Defaults; each can be lowered or raised with an environment variable
 * (KENSHU_BUNDLE_MAX_BYTES, _MAX_ENTRIES, _MAX_RATIO, _MAX_DEPTH). */
#define BUNDLE_MAX_BYTES_DEFAULT (64ull << 30)
#define BUNDLE_MAX_ENTRIES_DEFAULT 100000u
#define BUNDLE_MAX_RATIO_DEFAULT 1000u
#define BUNDLE_RATIO_MIN_SIZE (1ull << 20)
#define BUNDLE_MAX_DEPTH_DEFAULT 3u
#define BUNDLE_MEM_MAX (64ull << 20)

struct bundle_caps {
	uint64_t max_bytes;     /* bytes extracted from one bundle, nested ones included */
	uint64_t max_entries;   /* members read, nested ones included */
	uint64_t max_ratio;     /* uncompressed : compressed of one member that is not an image */
	uint64_t ratio_min;     /* the ratio is judged only past this many bytes */
	unsigned max_depth;     /* 1: the bundle itself; 3: two bundles inside it */
	uint64_t mem_max;       /* members up to this size are scanned from memory */
};

void bundle_default_caps(struct bundle_caps *c);
/* Applies the environment overrides. Returns 0, or -1 with err naming the
 * variable. */
int bundle_caps_from_env(struct bundle_caps *c, struct ks_err *err);

/* What a file or a member is, judged by its first bytes (and its last 512
 * for a fixed VHD's footer). A disk image is never a bundle. */
enum bundle_content {
	BUNDLE_CONTENT_DATA = 0,
	BUNDLE_CONTENT_IMAGE,     /* MBR/GPT, NTFS boot sector, VMDK/VHD/VHDX/QCOW */
	BUNDLE_CONTENT_ARCHIVE,   /* zip, 7z, tar, gzip/bzip2/xz/zstd, ISO 9660, CAB */
};

/* head: the first bytes (BUNDLE_HEAD_LEN are enough; fewer when the data
 * is shorter); tail: the last 512 bytes, or NULL. */
#define BUNDLE_HEAD_LEN 36864
enum bundle_content bundle_sniff(const unsigned char *head, size_t n, const unsigned char *tail,
				 size_t tn);

/* True when path should be scanned as a bundle rather than as a disk image. */
bool bundle_detect(const char *path);

/* Why a member name cannot be used (an absolute path, a ".." component,
 * an empty or over-long name, control characters), or NULL when it is
 * safe. Backslashes count as separators: Windows tools honour them. */
const char *bundle_name_problem(const char *name);

/* A single path component naming a member's report directory: every byte
 * other than [A-Za-z0-9._-] becomes '_', a leading '.' too, at most 200
 * bytes. Never empty, never "." or "..". Caller frees. */
char *bundle_safe_component(const char *member_path);

/* Cap arithmetic, overflow-proof: may used + add bytes still be read? */
bool bundle_within(uint64_t used, uint64_t add, uint64_t max);
/* Is out bytes decompressed from in bytes a decompression bomb? */
bool bundle_ratio_exceeded(uint64_t out, uint64_t in, const struct bundle_caps *c);

enum bundle_kind { BUNDLE_IMAGE, BUNDLE_FILE, BUNDLE_NESTED, BUNDLE_SKIPPED };

struct bundle_member {
	char *path;              /* inside the bundle; nested: "inner.7z/x.exe" */
	enum bundle_kind kind;
	char *format;            /* a nested bundle's format, else NULL */
	uint64_t size;           /* bytes read ("size" of what was hashed) */
	char sha256[SHA256_HEX_LEN + 1];  /* "" when not read whole */
	char **detections;       /* signature names */
	size_t ndet;
	char **yara;             /* YARA rules that matched a loose member: "RULE (rule set SET[; tags T])" */
	size_t nyara;
	char *reason;            /* why not (fully) scanned, or NULL */
	int exit_code;           /* this member's EXIT_* (PASS, FAIL, ERROR, REVIEW) */
	char *verdict_reason;    /* an image's verdict_reason */
	char *report_dir;        /* an image's report directory, relative to the bundle's */
};

struct bundle_report {
	char *path;
	char *format;            /* "zip", "7z", "tar+xz", "xz", "iso9660", "cab" */
	uint64_t size;
	char sha256_before[SHA256_HEX_LEN + 1];
	char sha256_after[SHA256_HEX_LEN + 1];
	char started[32], finished[32];
	char *host;              /* the scanning machine */
	struct case_meta meta;   /* --meta */
	double seconds;
	struct bundle_caps caps;
	struct rep_engine engine;  /* what scanned the members (report.h) */
	uint64_t entries;        /* members read, nested ones included */
	uint64_t bytes;          /* bytes extracted */
	char *incomplete;        /* why some of the bundle was not read, or NULL */
	struct bundle_member *m;
	size_t nm;
	int exit_code;           /* the worst of the members' */
	char *verdict_reason;
};

void bundle_report_release(struct bundle_report *br);
const char *bundle_kind_name(enum bundle_kind k);
/* "PASS", "FAIL", "ERROR", "REVIEW" for an EXIT_* code. */
const char *bundle_verdict_name(int exit_code);

/* Scans the bundle at path. Image members are scanned with scan_image()
 * and handed to sink with the directory outdir/<safe member path>/.
 * Returns 0 with *br filled (bundle_report_release), or -1 with err set:
 * nothing could be read, or the bundle changed during the scan. */
int bundle_scan(const char *path, const struct av *av, const struct scan_opts *so,
		const struct bundle_caps *caps, const char *outdir, const struct image_sink *sink,
		struct bundle_report *br, struct ks_err *err);

/* wim: Windows Imaging (.wim) captures, how many Embedded gold images are
 * kept and deployed. Each image inside is applied by wimlib, with its
 * NTFS-3G back end, to a private NTFS volume file (streams, alternate data
 * streams, reparse points, security and the registry hives as captured),
 * and that volume is scanned like a disk: the same report shape, with the
 * WIM file as the evidence that is hashed. */

/* The file is a WIM ("MSWIM\0\0\0" at its start): content, not name. */
bool wim_detect(const char *path);

/* Scans every image of the WIM at path and hands each to sink, with the
 * directory outdir for a WIM of one image, outdir/image-N (N from 1) for
 * one of several; *code gets the exit codes the sink returned, combined
 * (exit_code_combine). Returns 0 when every image was scanned, or -1 with
 * err naming the file (images scanned before the error went to the sink). */
int wim_scan(const char *path, const struct av *av, const struct scan_opts *so, const char *outdir,
	     const struct image_sink *sink, int *code, struct ks_err *err);

#endif
