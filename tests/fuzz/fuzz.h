/* fuzz.h — what the libFuzzer targets in tests/fuzz/ share.
 *
 * Several parsers take a path, not bytes (profiles, IOC feeds, a baseline
 * report directory, archives, images): the target writes the input into a
 * private directory made once per process and removed at exit, so that a
 * campaign never touches anything else on the host. Inputs that hold
 * several files are split at a separator line (fuzz_split), which the
 * dictionaries name so the fuzzer can make and keep it.
 */
#ifndef KENSHU_FUZZ_H
#define KENSHU_FUZZ_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <ftw.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_SEP "\n--8<-- kenshu-fuzz --8<--\n"

static char fuzz_dir[4096];

static inline int fuzz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static inline void fuzz_cleanup(void)
{
	if (fuzz_dir[0])
		nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The process's private directory; aborts when it cannot be made, since a
 * target that cannot write its input would report nothing but noise. */
static inline const char *fuzz_tmpdir(void)
{
	if (!fuzz_dir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/kenshu-fuzz.XXXXXX", base && *base ? base : "/tmp");
		if (!mkdtemp(fuzz_dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(fuzz_cleanup);
	}
	return fuzz_dir;
}

/* Writes size bytes to NAME in the private directory (replacing it) and
 * returns its path in a static buffer of the caller's choosing. */
static inline const char *fuzz_write(char *path, size_t pathlen, const char *name, const void *data, size_t size)
{
	snprintf(path, pathlen, "%s/%s", fuzz_tmpdir(), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		abort();
	}
	const uint8_t *p = data;
	while (size) {
		ssize_t w = write(fd, p, size);
		if (w <= 0) {
			perror(path);
			abort();
		}
		p += w;
		size -= (size_t)w;
	}
	close(fd);
	return path;
}

/* Aborts unless the file at path holds exactly size bytes equal to data:
 * the inputs kenshu must only read (images, archives) are checked after
 * every execution, which is a stronger statement than equal hashes. */
static inline void fuzz_unchanged(const char *path, const void *data, size_t size)
{
	static uint8_t *buf;
	static size_t cap;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0) {
		perror(path);
		abort();
	}
	if (cap < size + 1) {
		free(buf);
		cap = size + 1;
		buf = malloc(cap);
		if (!buf)
			abort();
	}
	for (;;) {
		ssize_t r = read(fd, buf + got, cap - got);
		if (r < 0) {
			perror(path);
			abort();
		}
		if (r == 0 || (got += (size_t)r) == cap)
			break;
	}
	close(fd);
	if (got != size || memcmp(buf, data, size) != 0) {
		fprintf(stderr, "fuzz: %s was changed by the code under test\n", path);
		abort();
	}
}

/* Splits data at FUZZ_SEP into at most max parts; the last part takes the
 * rest. Returns the number of parts (at least 1). */
static inline size_t fuzz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len, size_t max)
{
	size_t n = 0, seplen = strlen(FUZZ_SEP);

	while (n + 1 < max) {
		const uint8_t *s = memmem(data, size, FUZZ_SEP, seplen);
		if (!s)
			break;
		part[n] = data;
		len[n++] = (size_t)(s - data);
		size -= (size_t)(s - data) + seplen;
		data = s + seplen;
	}
	part[n] = data;
	len[n++] = size;
	return n;
}

/* Bytes in memory behind the read callbacks the parsers take: fuzz_mem_read
 * has pt_read_fn's contract (exactly len bytes, else -1), fuzz_mem_pread a
 * pread's (up to n bytes, 0 at the end). */
struct fuzz_mem {
	const uint8_t *p;
	size_t n;
};

static inline int fuzz_mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct fuzz_mem *m = ctx;
	if (off > m->n || len > m->n - off)
		return -1;
	memcpy(buf, m->p + off, len);
	return 0;
}

static inline int64_t fuzz_mem_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
	const struct fuzz_mem *m = ctx;
	if (off >= m->n)
		return 0;
	if (n > m->n - off)
		n = m->n - off;
	memcpy(buf, m->p + off, n);
	return (int64_t)n;
}

/* A NUL-terminated copy of bytes, for parsers of text; the caller frees. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
