/* Raw (dd) images: the file is the disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include "image_internal.h"
#include <kenshu/banned.h>

struct raw {
	int fd;
};

static int raw_open(const char *path, void **state, uint64_t *size, struct ks_err *err)
{
	struct stat st;
	struct raw *r;
	/* O_RDONLY is the whole guarantee that the evidence is never written;
	 * O_NOATIME keeps even the inode untouched where we own the file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ks_fail(err, KS_EIO, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		ks_fail(err, KS_EIO, "cannot stat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		ks_fail(err, KS_EINPUT, "is a directory, not a disk image");
		close(fd);
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0) {
			ks_fail(err, KS_EIO, "cannot size block device: %s", strerror(errno));
			close(fd);
			return -1;
		}
		*size = (uint64_t)end;
	} else if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else {
		ks_fail(err, KS_EINPUT, "not a regular file or block device");
		close(fd);
		return -1;
	}
	r = xmalloc(sizeof(*r));
	r->fd = fd;
	*state = r;
	return 0;
}

static int raw_pread(void *state, void *buf, size_t n, uint64_t off)
{
	struct raw *r = state;
	char *p = buf;

	while (n) {
		ssize_t got = pread(r->fd, p, n, (off_t)off);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (got == 0) {
			errno = EIO;
			return -1;
		}
		p += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
}

static void raw_close(void *state)
{
	struct raw *r = state;

	if (!r)
		return;
	close(r->fd);
	free(r);
}

const struct img_backend img_backend_raw = {
	.name = "raw",
	.reader = "kenshu (the file itself, O_RDONLY)",
	.open = raw_open,
	.pread = raw_pread,
	.close = raw_close,
};
