/* Bounded, non-blocking reads of host files the user named. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

enum hostfile_status hostfile_open(const char *path, unsigned flags, uint64_t max, int *fd, uint64_t *size,
				   int *err)
{
	struct stat st;
	int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
				   (flags & HOSTFILE_NOFOLLOW ? O_NOFOLLOW : 0));

	*err = 0;
	if (f < 0 || fstat(f, &st) < 0) {
		*err = errno;
		if (f >= 0)
			close(f);
		return HOSTFILE_ERRNO;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = S_ISDIR(st.st_mode) ? EISDIR : 0;
		close(f);
		return HOSTFILE_NOT_REGULAR;
	}
	if ((uint64_t)st.st_size > max) {
		close(f);
		return HOSTFILE_TOO_LARGE;
	}
	*fd = f;
	*size = (uint64_t)st.st_size;
	return HOSTFILE_OK;
}

enum hostfile_status hostfile_read(const char *path, unsigned flags, uint64_t max, char **buf, size_t *len,
				   int *err)
{
	enum hostfile_status rc;
	uint64_t size;
	size_t n = 0, alloc;
	char *b;
	int fd;

	if ((rc = hostfile_open(path, flags, max, &fd, &size, err)) != HOSTFILE_OK)
		return rc;
	alloc = (size_t)size + 1;
	b = xmalloc(alloc);
	/* To the end, not to the size fstat saw: a file that grows is read
	 * whole or refused, never cut. */
	for (;;) {
		ssize_t r;
		if (n > max) {
			rc = HOSTFILE_TOO_LARGE;
			break;
		}
		if (n + 1 >= alloc) {
			/* Room for one byte past max, to see whether there is one. */
			alloc = alloc * 2 > (size_t)max + 2 ? (size_t)max + 2 : alloc * 2;
			b = xrealloc(b, alloc);
		}
		r = read(fd, b + n, alloc - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = errno;
			rc = HOSTFILE_ERRNO;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (rc != HOSTFILE_OK) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return HOSTFILE_OK;
}
