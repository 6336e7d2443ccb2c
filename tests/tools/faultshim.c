/* faultshim.so — an LD_PRELOAD library for tests/e2e/test-faults.sh: it
 * makes the calls kenshu (and libntfs-3g, which reads through kenshu's
 * device operations) uses on the image and on the report directory fail
 * the way a bad disk, a full disk or a full memory would. Nothing here is
 * linked into kenshu. Everything is off unless its variable is set:
 *
 *   KENSHU_FAULT_IMAGE=PATH       the image whose reads are faulted (found
 *                                 by device and inode, whatever name opens it)
 *   KENSHU_FAULT_EIO_AT=OFF       a read of the image covering byte OFF fails
 *                                 with EIO ...
 *   KENSHU_FAULT_EIO_SKIP=K       ... except the first K such reads (the
 *                                 whole-image hash reads every byte first)
 *   KENSHU_FAULT_EIO_COUNT=C      ... and only C reads fail (default 0: every
 *                                 one after those, as a bad sector does)
 *   KENSHU_FAULT_SHORT=N          every read of the image returns at most N bytes
 *   KENSHU_FAULT_TRUNCATE_AFTER=N once N bytes of the image have been read,
 *                                 truncate(2) it to KENSHU_FAULT_TRUNCATE_TO
 *                                 bytes (default: half): a copy, never a fixture
 *   KENSHU_FAULT_OUTDIR=DIR       files opened for writing under DIR (by path,
 *                                 relative to the working directory) ...
 *   KENSHU_FAULT_ENOSPC_AFTER=N   ... take N bytes in all; then the operation
 *   KENSHU_FAULT_ENOSPC_ON=OP     OP (write, the default; fsync; close;
 *                                 rename) fails with ENOSPC, as on a full disk
 *                                 (fsync and close: delayed allocation)
 *   KENSHU_FAULT_RENAME_FAIL_AT=K the K-th rename(2) to a name under DIR fails
 *                                 with ENOSPC (a directory that cannot grow)
 *   KENSHU_FAULT_KILL_AT_RENAME=K the K-th rename(2) to a name under DIR is
 *                                 not done: the process gets SIGKILL (a
 *                                 power cut at that moment)
 *   KENSHU_FAULT_NO_LINK=1        link(2) to a name under DIR fails with
 *                                 EPERM, as on FAT
 *   KENSHU_FAULT_MALLOC_FAIL_AT=N the N-th malloc/calloc/realloc fails with
 *                                 ENOMEM, counted from the first open of the
 *                                 image (so the database load, which takes
 *                                 most allocations, is not counted) or from
 *                                 the start without KENSHU_FAULT_IMAGE ...
 *   KENSHU_FAULT_MALLOC_FAILS=K   ... and the K-1 after it (default 0: every
 *                                 one from then on, as when memory is gone)
 *   KENSHU_FAULT_LOG=FILE         one line per fault injected, so that a test
 *                                 knows its fault was reached; at a normal
 *                                 exit, how many allocations were counted
 *
 * The allocator is glibc's own (__libc_malloc): no dlsym() in the path,
 * which would recurse (dlsym allocates). Counting is process-wide and
 * atomic; with several worker threads the order of allocations varies
 * between runs, so the tests scan with -j 1. The ASan runtime replaces
 * malloc itself: under a sanitizer build only the I/O faults apply.
 * stdio writes do not pass through write(2) symbols anyone can interpose,
 * so a stream opened for writing under DIR is a fopencookie() stream over
 * the real descriptor (fileno() is answered for it). openat() with a
 * directory descriptor is not matched against DIR. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

#define MAXFD 4096
#define MAXSTREAMS 64

enum enospc_op { ON_WRITE, ON_FSYNC, ON_CLOSE, ON_RENAME };

static struct {
	bool ready;
	/* image */
	bool image;
	char image_path[4096];
	dev_t dev;
	ino_t ino;
	long long eio_at, eio_skip, eio_count, short_max, trunc_after, trunc_to;
	atomic_llong eio_seen, bytes_read;
	atomic_bool truncated, short_logged;
	/* output directory */
	char outdir[4096];
	size_t outdir_len;
	long long enospc_after, rename_fail_at, kill_at_rename;
	bool no_link;
	enum enospc_op enospc_on;
	atomic_llong bytes_written, renames;
	/* allocation */
	long long malloc_fail_at, malloc_fails;
	atomic_bool malloc_armed;
	atomic_llong mallocs;
	atomic_bool malloc_logged;
	int log_fd;
} F = { .log_fd = -1, .eio_at = -1, .trunc_after = -1, .trunc_to = -1, .enospc_after = -1 };

/* Descriptor flags: the image, and files written under DIR. */
static atomic_uchar fd_kind[MAXFD];
#define FD_IMAGE 1
#define FD_OUT 2

static struct {
	_Atomic(FILE *) f;
	int fd;
} streams[MAXSTREAMS];

#define REAL(ret, name, args) \
	static ret(*real_##name) args; \
	if (!real_##name) \
		real_##name = (ret(*) args)dlsym(RTLD_NEXT, #name)

/* write(2) to the log without allocating: callable from malloc(). */
static void note(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (F.log_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0) {
		ssize_t w = syscall(SYS_write, F.log_fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
		(void)w;
	}
}

static long long env_num(const char *name, long long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoll(v, NULL, 0) : dflt;
}

__attribute__((constructor)) static void faultshim_init(void)
{
	const char *v;
	struct stat st;

	if ((v = getenv("KENSHU_FAULT_LOG")) && *v)
		F.log_fd = (int)syscall(SYS_open, v, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if ((v = getenv("KENSHU_FAULT_IMAGE")) && *v && stat(v, &st) == 0 && strlen(v) < sizeof(F.image_path)) {
		F.image = true;
		strcpy(F.image_path, v);
		F.dev = st.st_dev;
		F.ino = st.st_ino;
		F.trunc_to = st.st_size / 2;
	}
	F.eio_at = env_num("KENSHU_FAULT_EIO_AT", -1);
	F.eio_skip = env_num("KENSHU_FAULT_EIO_SKIP", 0);
	F.eio_count = env_num("KENSHU_FAULT_EIO_COUNT", 0);
	F.short_max = env_num("KENSHU_FAULT_SHORT", 0);
	F.trunc_after = env_num("KENSHU_FAULT_TRUNCATE_AFTER", -1);
	F.trunc_to = env_num("KENSHU_FAULT_TRUNCATE_TO", F.trunc_to);
	if ((v = getenv("KENSHU_FAULT_OUTDIR")) && *v && strlen(v) + 2 < sizeof(F.outdir)) {
		if (v[0] != '/' && getcwd(F.outdir, sizeof(F.outdir) - strlen(v) - 2))
			strcat(F.outdir, "/");
		strcat(F.outdir, v);
		while (strlen(F.outdir) > 1 && F.outdir[strlen(F.outdir) - 1] == '/')
			F.outdir[strlen(F.outdir) - 1] = '\0';
		F.outdir_len = strlen(F.outdir);
	}
	F.enospc_after = env_num("KENSHU_FAULT_ENOSPC_AFTER", -1);
	F.rename_fail_at = env_num("KENSHU_FAULT_RENAME_FAIL_AT", 0);
	F.kill_at_rename = env_num("KENSHU_FAULT_KILL_AT_RENAME", 0);
	F.no_link = env_num("KENSHU_FAULT_NO_LINK", 0) != 0;
	if ((v = getenv("KENSHU_FAULT_ENOSPC_ON")))
		F.enospc_on = !strcmp(v, "fsync") ? ON_FSYNC : !strcmp(v, "close") ? ON_CLOSE
			      : !strcmp(v, "rename") ? ON_RENAME : ON_WRITE;
	F.malloc_fail_at = env_num("KENSHU_FAULT_MALLOC_FAIL_AT", 0);
	F.malloc_fails = env_num("KENSHU_FAULT_MALLOC_FAILS", 0);
	if (F.malloc_fail_at > 0 && !F.image)
		atomic_store(&F.malloc_armed, true);
	F.ready = true;
}

/* A test picks its allocation numbers from a run's count. */
__attribute__((destructor)) static void faultshim_fini(void)
{
	if (F.malloc_fail_at > 0)
		note("malloc: %lld allocations counted\n", (long long)atomic_load(&F.mallocs));
}

/* ---- allocation ---- */

static bool malloc_fails_now(void)
{
	long long c;

	if (!F.ready || F.malloc_fail_at <= 0 || !atomic_load(&F.malloc_armed))
		return false;
	c = atomic_fetch_add(&F.mallocs, 1) + 1;
	if (c < F.malloc_fail_at || (F.malloc_fails > 0 && c >= F.malloc_fail_at + F.malloc_fails))
		return false;
	if (!atomic_exchange(&F.malloc_logged, true))
		note("malloc: allocation %lld fails (ENOMEM)\n", c);
	errno = ENOMEM;
	return true;
}

void *malloc(size_t n)
{
	return malloc_fails_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return malloc_fails_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return malloc_fails_now() ? NULL : __libc_realloc(p, n);
}

/* ---- which descriptors are watched ---- */

static bool under_outdir(const char *path)
{
	char abs[4096];

	if (!F.outdir_len || !path)
		return false;
	if (path[0] != '/') {
		if (!getcwd(abs, sizeof(abs)) || strlen(abs) + strlen(path) + 2 > sizeof(abs))
			return false;
		strcat(abs, "/");
		strcat(abs, path);
		path = abs;
	}
	return strncmp(path, F.outdir, F.outdir_len) == 0 && path[F.outdir_len] == '/';
}

static void mark_fd(int fd, const char *path, int flags)
{
	struct stat st;

	if (fd < 0 || fd >= MAXFD)
		return;
	atomic_store(&fd_kind[fd], 0);
	if (F.image && fstat(fd, &st) == 0 && st.st_dev == F.dev && st.st_ino == F.ino) {
		atomic_store(&fd_kind[fd], FD_IMAGE);
		if (F.malloc_fail_at > 0 && !atomic_exchange(&F.malloc_armed, true))
			note("malloc: counting from the first open of the image\n");
	} else if ((flags & (O_WRONLY | O_RDWR)) && under_outdir(path)) {
		atomic_store(&fd_kind[fd], FD_OUT);
	}
}

static int kind(int fd)
{
	return fd >= 0 && fd < MAXFD ? atomic_load(&fd_kind[fd]) : 0;
}

static int open_flags_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode, fd;
	REAL(int, open, (const char *, int, ...));

	va_start(ap, flags);
	mode = open_flags_mode(flags, ap);
	va_end(ap);
	fd = real_open(path, flags, mode);
	mark_fd(fd, path, flags);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	int mode, fd;
	REAL(int, open64, (const char *, int, ...));

	va_start(ap, flags);
	mode = open_flags_mode(flags, ap);
	va_end(ap);
	fd = real_open64(path, flags, mode);
	mark_fd(fd, path, flags);
	return fd;
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	int mode, fd;
	REAL(int, openat, (int, const char *, int, ...));

	va_start(ap, flags);
	mode = open_flags_mode(flags, ap);
	va_end(ap);
	fd = real_openat(dirfd, path, flags, mode);
	mark_fd(fd, dirfd == AT_FDCWD || path[0] == '/' ? path : NULL, flags);
	return fd;
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	int mode, fd;
	REAL(int, openat64, (int, const char *, int, ...));

	va_start(ap, flags);
	mode = open_flags_mode(flags, ap);
	va_end(ap);
	fd = real_openat64(dirfd, path, flags, mode);
	mark_fd(fd, dirfd == AT_FDCWD || path[0] == '/' ? path : NULL, flags);
	return fd;
}

/* ---- reading the image ---- */

/* Before a read of n bytes at off from the image: 0 to go on (n may be
 * cut short), or -1 with errno for the fault. */
static int image_fault(size_t *n, long long off)
{
	long long done;

	if (F.short_max > 0 && *n > (size_t)F.short_max) {
		*n = (size_t)F.short_max;
		if (!atomic_exchange(&F.short_logged, true))
			note("pread: reads of the image cut to %lld bytes\n", F.short_max);
	}
	if (F.eio_at >= 0 && off <= F.eio_at && F.eio_at < off + (long long)*n) {
		long long seen = atomic_fetch_add(&F.eio_seen, 1);
		if (seen >= F.eio_skip && (F.eio_count <= 0 || seen < F.eio_skip + F.eio_count)) {
			note("pread: EIO reading %zu bytes at %lld (covers %lld)\n", *n, off, F.eio_at);
			errno = EIO;
			return -1;
		}
	}
	done = atomic_fetch_add(&F.bytes_read, (long long)*n);
	if (F.trunc_after >= 0 && done + (long long)*n > F.trunc_after && !atomic_exchange(&F.truncated, true)) {
		if (truncate(F.image_path, F.trunc_to) == 0)
			note("truncate: image cut to %lld bytes after %lld read\n", F.trunc_to, done);
	}
	return 0;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	REAL(ssize_t, pread, (int, void *, size_t, off_t));

	if (kind(fd) == FD_IMAGE && image_fault(&n, (long long)off) < 0)
		return -1;
	return real_pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	REAL(ssize_t, pread64, (int, void *, size_t, off64_t));

	if (kind(fd) == FD_IMAGE && image_fault(&n, (long long)off) < 0)
		return -1;
	return real_pread64(fd, buf, n, off);
}

ssize_t read(int fd, void *buf, size_t n)
{
	REAL(ssize_t, read, (int, void *, size_t));

	if (kind(fd) == FD_IMAGE && image_fault(&n, (long long)lseek(fd, 0, SEEK_CUR)) < 0)
		return -1;
	return real_read(fd, buf, n);
}

/* ---- writing under the output directory ---- */

static bool over_budget(void)
{
	return F.enospc_after >= 0 && atomic_load(&F.bytes_written) >= F.enospc_after;
}

/* How many of n bytes the disk still takes (for ON_WRITE), counting them. */
static size_t take(size_t n)
{
	long long had = atomic_fetch_add(&F.bytes_written, (long long)n), room;

	if (F.enospc_after < 0 || F.enospc_on != ON_WRITE)
		return n;
	room = F.enospc_after - had;
	if (room < (long long)n) {
		atomic_fetch_sub(&F.bytes_written, (long long)n - (room > 0 ? room : 0));
		return room > 0 ? (size_t)room : 0;
	}
	return n;
}

static ssize_t out_write(int fd, const void *buf, size_t n)
{
	REAL(ssize_t, write, (int, const void *, size_t));
	size_t k = take(n);

	if (k == 0 && n > 0) {
		note("write: ENOSPC after %lld bytes\n", F.enospc_after);
		errno = ENOSPC;
		return -1;
	}
	return real_write(fd, buf, k);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL(ssize_t, write, (int, const void *, size_t));

	if (kind(fd) == FD_OUT)
		return out_write(fd, buf, n);
	return real_write(fd, buf, n);
}

static int fsync_fault(int fd)
{
	if (kind(fd) == FD_OUT && F.enospc_on == ON_FSYNC && over_budget()) {
		note("fsync: ENOSPC after %lld bytes\n", F.enospc_after);
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int fsync(int fd)
{
	REAL(int, fsync, (int));

	return fsync_fault(fd) < 0 ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
	REAL(int, fdatasync, (int));

	return fsync_fault(fd) < 0 ? -1 : real_fdatasync(fd);
}

/* The descriptor is closed either way, as close(2) does. */
static int out_close(int fd)
{
	REAL(int, close, (int));
	bool fail = kind(fd) == FD_OUT && F.enospc_on == ON_CLOSE && over_budget();
	int rc;

	if (fd >= 0 && fd < MAXFD)
		atomic_store(&fd_kind[fd], 0);
	rc = real_close(fd);
	if (fail && rc == 0) {
		note("close: ENOSPC after %lld bytes\n", F.enospc_after);
		errno = ENOSPC;
		return -1;
	}
	return rc;
}

int close(int fd)
{
	return out_close(fd);
}

int rename(const char *from, const char *to)
{
	REAL(int, rename, (const char *, const char *));

	if (under_outdir(to)) {
		long long k = atomic_fetch_add(&F.renames, 1) + 1;
		if (k == F.kill_at_rename) {
			note("rename: SIGKILL instead of renaming to %s (rename %lld)\n", to, k);
			raise(SIGKILL);
		}
		if (k == F.rename_fail_at || (F.enospc_on == ON_RENAME && over_budget())) {
			note("rename: ENOSPC renaming to %s (rename %lld)\n", to, k);
			errno = ENOSPC;
			return -1;
		}
	}
	return real_rename(from, to);
}

int link(const char *from, const char *to)
{
	REAL(int, link, (const char *, const char *));

	if (F.no_link && under_outdir(to)) {
		note("link: EPERM linking to %s\n", to);
		errno = EPERM;
		return -1;
	}
	return real_link(from, to);
}

/* Streams for writing under DIR: stdio over the watched descriptor. */
static ssize_t ck_read(void *c, char *buf, size_t n)
{
	REAL(ssize_t, read, (int, void *, size_t));
	return real_read((int)(intptr_t)c, buf, n);
}

static ssize_t ck_write(void *c, const char *buf, size_t n)
{
	ssize_t w = out_write((int)(intptr_t)c, buf, n);

	/* stdio does not retry a short cookie write as it retries write(2),
	 * where the retry is what reports ENOSPC: say it now. fopencookie's
	 * error return is 0. */
	if (w >= 0 && (size_t)w < n) {
		note("write: ENOSPC after %lld bytes (a short write)\n", F.enospc_after);
		errno = ENOSPC;
	}
	return w < 0 ? 0 : w;
}

static int ck_seek(void *c, off64_t *off, int whence)
{
	off_t r = lseek((int)(intptr_t)c, (off_t)*off, whence);

	if (r < 0)
		return -1;
	*off = r;
	return 0;
}

static int ck_close(void *c)
{
	int fd = (int)(intptr_t)c;

	for (int i = 0; i < MAXSTREAMS; i++)
		if (streams[i].f && streams[i].fd == fd)
			atomic_store(&streams[i].f, NULL);
	return out_close(fd);
}

static FILE *out_fopen(const char *path, const char *mode)
{
	int flags = mode[0] == 'a' ? O_WRONLY | O_CREAT | O_APPEND : O_WRONLY | O_CREAT | O_TRUNC;
	cookie_io_functions_t io = { ck_read, ck_write, ck_seek, ck_close };
	FILE *f;
	int fd;

	if (strchr(mode, '+'))
		flags = (flags & ~O_WRONLY) | O_RDWR;
	if (strchr(mode, 'x'))
		flags |= O_EXCL;
	if (strchr(mode, 'e'))
		flags |= O_CLOEXEC;
	fd = open(path, flags, 0666);
	if (fd < 0)
		return NULL;
	f = fopencookie((void *)(intptr_t)fd, mode, io);
	if (!f) {
		out_close(fd);
		return NULL;
	}
	for (int i = 0; i < MAXSTREAMS; i++) {
		FILE *expect = NULL;
		if (atomic_compare_exchange_strong(&streams[i].f, &expect, f)) {
			streams[i].fd = fd;
			break;
		}
	}
	return f;
}

FILE *fopen(const char *path, const char *mode)
{
	REAL(FILE *, fopen, (const char *, const char *));

	if (mode[0] != 'r' && under_outdir(path))
		return out_fopen(path, mode);
	return real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	REAL(FILE *, fopen64, (const char *, const char *));

	if (mode[0] != 'r' && under_outdir(path))
		return out_fopen(path, mode);
	return real_fopen64(path, mode);
}

int fileno(FILE *f)
{
	REAL(int, fileno, (FILE *));

	for (int i = 0; i < MAXSTREAMS; i++)
		if (f && atomic_load(&streams[i].f) == f)
			return streams[i].fd;
	return real_fileno(f);
}
