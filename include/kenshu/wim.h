/* wim: Windows Imaging (.wim) captures, how many Embedded gold images are
 * kept and deployed. Each image inside is applied by wimlib, with its
 * NTFS-3G back end, to a private NTFS volume file (streams, alternate data
 * streams, reparse points, security and the registry hives as captured),
 * and that volume is scanned like a disk: the same report shape, with the
 * WIM file as the evidence that is hashed. */
#ifndef KENSHU_WIM_H
#define KENSHU_WIM_H

#include <stdbool.h>

#include <kenshu/av.h>
#include <kenshu/report.h>
#include <kenshu/scan.h>

/* The file is a WIM ("MSWIM\0\0\0" at its start): content, not name. */
bool wim_detect(const char *path);

/* Called with each image's finished report (owned by the callee: report
 * it, save it, release it). index is 1-based, count the number of images. */
typedef void (*wim_image_fn)(void *ctx, struct report *r, int index, int count);

/* Scans every image of the WIM at path. Returns 0 when every image was
 * scanned (fn was called for each), or -1 after printing one error line
 * naming the file (images scanned before the error were reported). */
int wim_scan(const char *path, const struct av *av, const struct scan_opts *so, wim_image_fn fn,
	     void *ctx);

#endif
