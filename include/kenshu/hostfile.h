/* hostfile: a host file the user named (an IOC feed, a baseline report
 * directory's files), opened as untrusted input: without blocking, so a
 * FIFO planted in its place cannot hang the run; a regular file only; and
 * never larger than the caller's limit. Callers word the errors. */
#ifndef KENSHU_HOSTFILE_H
#define KENSHU_HOSTFILE_H

#include <stddef.h>
#include <stdint.h>

enum hostfile_status {
	HOSTFILE_OK = 0,
	HOSTFILE_ERRNO,        /* open, stat or read failed: *err is the errno */
	HOSTFILE_NOT_REGULAR,  /* a directory (*err EISDIR), device, FIFO, socket (*err 0) */
	HOSTFILE_TOO_LARGE,    /* over max bytes, or grew past it while read */
};

#define HOSTFILE_NOFOLLOW 0x1u   /* a symbolic link is refused (ELOOP) */

/* Opens path for reading: *fd (the caller closes it) and *size. */
enum hostfile_status hostfile_open(const char *path, unsigned flags, uint64_t max, int *fd, uint64_t *size,
				   int *err);
/* Reads the whole file into *buf, NUL-terminated (the caller frees it). */
enum hostfile_status hostfile_read(const char *path, unsigned flags, uint64_t max, char **buf, size_t *len,
				   int *err);

#endif
