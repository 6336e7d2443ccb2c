#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

struct slot {
	atomic_int used;   /* 0 free, 1 being filled, 2 live */
	bool is_dir;
	char path[PATH_MAX];
};

static struct slot slots[CLEANUP_MAX_PATHS];

int cleanup_add(const char *path, bool is_dir)
{
	size_t n = strlen(path);

	if (n >= PATH_MAX)
		return -1;
	for (int i = 0; i < CLEANUP_MAX_PATHS; i++) {
		int expect = 0;
		if (!atomic_compare_exchange_strong(&slots[i].used, &expect, 1))
			continue;
		memcpy(slots[i].path, path, n + 1);
		slots[i].is_dir = is_dir;
		atomic_store(&slots[i].used, 2);
		return 0;
	}
	return -1;
}

void cleanup_forget(const char *path)
{
	for (int i = 0; i < CLEANUP_MAX_PATHS; i++)
		if (atomic_load(&slots[i].used) == 2 && strcmp(slots[i].path, path) == 0)
			atomic_store(&slots[i].used, 0);
}

/* open, getdents64, unlink, rmdir: what a signal handler can afford, and
 * no allocation (opendir's is what fails when cleaning up after running
 * out of memory). Entries removed while listing may hide others from the
 * same pass: a few passes until rmdir succeeds. */
static void remove_dir(const char *dir)
{
	char buf[4096] __attribute__((aligned(8)));
	char p[PATH_MAX];
	size_t dl = strlen(dir);

	for (int pass = 0; pass < 4; pass++) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			break;
		while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *de = (struct dirent64 *)(buf + off);
				size_t nl = strlen(de->d_name);

				off += de->d_reclen;
				if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || dl + 1 + nl >= sizeof(p))
					continue;
				memcpy(p, dir, dl);
				p[dl] = '/';
				memcpy(p + dl + 1, de->d_name, nl + 1);
				if (unlink(p) < 0)
					remove_dir(p);   /* libclamav makes sub-directories for some archives */
			}
		}
		close(fd);
		if (rmdir(dir) == 0 || errno != ENOTEMPTY)
			break;
	}
}

int cleanup_remove(const char *path)
{
	for (int i = 0; i < CLEANUP_MAX_PATHS; i++) {
		if (atomic_load(&slots[i].used) != 2 || strcmp(slots[i].path, path) != 0)
			continue;
		if (slots[i].is_dir)
			remove_dir(slots[i].path);
		else
			unlink(slots[i].path);
		atomic_store(&slots[i].used, 0);
		return 0;
	}
	return -1;
}

void cleanup_run(void)
{
	for (int i = 0; i < CLEANUP_MAX_PATHS; i++) {
		if (atomic_load(&slots[i].used) != 2)
			continue;
		if (slots[i].is_dir)
			remove_dir(slots[i].path);
		else
			unlink(slots[i].path);
		atomic_store(&slots[i].used, 0);
	}
}

/* A signal that arrives while the renames of a report directory run waits
 * for them (cleanup_hold_signals): dying halfway would leave a directory
 * mixing two reports. */
static atomic_int held;
static volatile sig_atomic_t pending;
static void (*said)(int sig, bool late);

static void die_of(int sig, bool late)
{
	cleanup_run();
	if (said)
		said(sig, late);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_signal(int sig)
{
	if (atomic_load(&held) > 0) {
		pending = sig;
		return;
	}
	die_of(sig, false);
}

void cleanup_install_signal_handlers(void (*say)(int sig, bool late))
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	said = say;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void cleanup_hold_signals(void)
{
	atomic_fetch_add(&held, 1);
}

void cleanup_release_signals(void)
{
	if (atomic_fetch_sub(&held, 1) == 1 && pending) {
		int sig = pending;
		pending = 0;
		die_of(sig, true);
	}
}
