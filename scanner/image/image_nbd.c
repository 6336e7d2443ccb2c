/* Virtual-disk containers (VMDK, VHD, VHDX, QCOW2) read through qemu-nbd:
 * qemu's own format drivers serve the disk read-only over a private Unix
 * socket, and libnbd reads it, so the same partition and NTFS code sees the
 * same bytes as for a raw image. No VM, no kernel nbd device, no root.
 *
 * Safe by construction:
 *   - the format is the one kenshu detected, passed explicitly: qemu never
 *     probes (a raw image is never handed to qemu at all);
 *   - qemu-nbd runs with --read-only, and the container file is only read;
 *   - a container that names other files (a backing file, a differencing
 *     parent, VMDK extents outside its own directory) is refused: an image
 *     must not make kenshu read a file on the scanning host;
 *   - qemu-nbd dies with kenshu (PR_SET_PDEATHSIG), and its socket lives in
 *     a private directory removed on every exit path, signals included. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libnbd.h>

#include <kenshu/core.h>
#include "image_internal.h"
#include <kenshu/banned.h>

/* NBD servers may refuse larger requests; qemu-nbd's limit is 32 MiB. */
#define NBD_CHUNK (8u << 20)
#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 2000   /* SIGTERM to SIGKILL */
#define INFO_MAX (1u << 20)

struct nbd {
	struct nbd_handle *h;
	pid_t pid;
	char dir[80];         /* short: a Unix socket path has 108 bytes at most */
	char sock[96];
	char log[100];   /* qemu-nbd's stderr: its reason goes into our one line */
	uint64_t align;  /* the server's minimum block size (VHDX: its sector size) */
};

/* The first line qemu-nbd wrote on stderr, or a fallback. */
static void server_reason(const struct nbd *s, char *buf, size_t len)
{
	FILE *f = s->log[0] ? fopen(s->log, "r") : NULL;

	snprintf(buf, len, "no reason given");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

/* Runs argv, returns its stdout (NUL-terminated, at most INFO_MAX bytes), or
 * NULL with the reason in err. stderr's first line is kept for the reason.
 * With exit_code set, any exit status is accepted and stored there. */
static char *run_capture(char *const argv[], int *exit_code, struct ks_err *err)
{
	int out[2], errp[2];
	pid_t pid;
	char *buf = xmalloc(INFO_MAX + 1), ebuf[512];
	size_t n = 0, en = 0;
	int status;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		ks_fail(err, KS_EIO, "cannot create a pipe: %s", strerror(errno));
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		ks_fail(err, KS_EIO, "cannot start %s: %s", argv[0], strerror(errno));
		free(buf);
		return NULL;
	}
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(errp[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	struct pollfd pf[2] = { { out[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
	int open_fds = 2;
	while (open_fds) {
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < 2; k++) {
			if (pf[k].fd < 0 || !(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char tmp[4096];
			ssize_t got = read(pf[k].fd, tmp, sizeof(tmp));
			if (got <= 0) {
				close(pf[k].fd);
				pf[k].fd = -1;
				open_fds--;
				continue;
			}
			if (k == 0) {
				size_t take = (size_t)got < INFO_MAX - n ? (size_t)got : INFO_MAX - n;
				memcpy(buf + n, tmp, take);
				n += take;
			} else {
				size_t take = (size_t)got < sizeof(ebuf) - 1 - en ? (size_t)got : sizeof(ebuf) - 1 - en;
				memcpy(ebuf + en, tmp, take);
				en += take;
			}
		}
	}
	buf[n] = '\0';
	ebuf[en] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (exit_code && WIFEXITED(status) && WEXITSTATUS(status) != 127) {
		*exit_code = WEXITSTATUS(status);
		return buf;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *nl = strchr(ebuf, '\n');
		if (nl)
			*nl = '\0';
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			ks_fail(err, KS_EINPUT, "%s not found: install qemu-utils", argv[0]);
		else
			ks_fail(err, KS_EINPUT, "%s refused it: %s", argv[0], *ebuf ? ebuf : "no reason given");
		free(buf);
		return NULL;
	}
	return buf;
}

/* A path the container names, relative to its own directory; refused when
 * it leaves that directory. */
static int inside_dir(const char *container, const char *named)
{
	char dir[PATH_MAX], real_dir[PATH_MAX], full[PATH_MAX * 2], real[PATH_MAX];
	const char *slash = strrchr(container, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - container) : 1, slash ? container : ".");
	if (!realpath(dir, real_dir))
		return 0;
	if (named[0] == '/')
		snprintf(full, sizeof(full), "%s", named);
	else
		snprintf(full, sizeof(full), "%s/%s", dir, named);
	if (!realpath(full, real))
		return 0;
	size_t dl = strlen(real_dir);
	return !strncmp(real, real_dir, dl) && real[dl] == '/';
}

/* qemu-img check: a damaged container (a truncated copy) would be served
 * with its missing clusters as zeros, which scan clean. Formats qemu cannot
 * check (VHD) rely on read errors instead. Leaked clusters are harmless. */
static int check(const char *path, const char *format, struct ks_err *err)
{
	char fmt[64];
	snprintf(fmt, sizeof(fmt), "%s", format);
	char *argv[] = { (char *)"qemu-img", (char *)"check", (char *)"--output=json", (char *)"-f", fmt,
			 (char *)"-U", (char *)path, NULL };
	int code = 0;
	char *out = run_capture(argv, &code, err);
	json_object *root = NULL, *v;
	long long corruptions = 0, errors = 0;

	if (!out)
		return -1;
	root = json_tokener_parse(out);
	free(out);
	if (root && json_object_object_get_ex(root, "corruptions", &v))
		corruptions = json_object_get_int64(v);
	if (root && json_object_object_get_ex(root, "check-errors", &v))
		errors = json_object_get_int64(v);
	json_object_put(root);
	/* 0 clean, 3 leaks only, 63 format has no check */
	if (code == 0 || code == 3 || code == 63)
		return 0;
	if (code == 2 || corruptions)
		ks_fail(err, KS_EINPUT, "the container is damaged (qemu-img check: %lld corruptions): "
			 "a truncated or broken copy cannot be scanned as the vendor's disk", corruptions);
	else
		ks_fail(err, KS_EINPUT, "qemu-img check could not read the container (%lld errors)", errors);
	return -1;
}

/* What qemu says about the container: its virtual size, and every file it
 * would read besides the container itself. */
int img_qemu_info_parse(const char *json, size_t len, const char *path, uint64_t *vsize, struct ks_err *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *root, *v;
	int rc = -1;

	if (!tok)
		ks_oom(sizeof(json_tokener));
	root = len <= INT_MAX ? json_tokener_parse_ex(tok, json, (int)len) : NULL;
	json_tokener_free(tok);
	if (!root || !json_object_is_type(root, json_type_object)) {
		ks_fail(err, KS_EINPUT, "qemu-img info did not give a JSON object");
		goto done;
	}
	/* json-c turns what is not a number into 0 and clamps; a size must be
	 * a positive integer that fits, whatever qemu-img was made to print. */
	if (!json_object_object_get_ex(root, "virtual-size", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) <= 0 || json_object_get_int64(v) == INT64_MAX) {
		ks_fail(err, KS_EINPUT, "qemu-img info gave no virtual size");
		goto done;
	}
	*vsize = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(root, "backing-filename", &v) ||
	    json_object_object_get_ex(root, "full-backing-filename", &v)) {
		ks_fail(err, KS_EINPUT, "it is a differencing image whose parent is '%s': flatten the chain with "
			 "'qemu-img convert' and scan the result", json_object_get_string(v));
		goto done;
	}
	json_object *fs, *data, *extents;
	if (json_object_object_get_ex(root, "format-specific", &fs) &&
	    json_object_object_get_ex(fs, "data", &data)) {
		json_object *ext;
		if (json_object_object_get_ex(data, "data-file", &ext)) {
			ks_fail(err, KS_EINPUT, "it keeps its data in an external file '%s'", json_object_get_string(ext));
			goto done;
		}
		if (json_object_object_get_ex(data, "extents", &extents) &&
		    json_object_is_type(extents, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(extents); i++) {
				json_object *e = json_object_array_get_idx(extents, i), *fn;
				const char *name;
				if (!json_object_object_get_ex(e, "filename", &fn))
					continue;
				name = json_object_get_string(fn);
				if (!name || !inside_dir(path, name)) {
					ks_fail(err, KS_EINPUT, "its extent '%s' lies outside the descriptor's directory",
						 name ? name : "");
					goto done;
				}
			}
		}
	}
	rc = 0;
done:
	json_object_put(root);
	return rc;
}

static int inspect(const char *path, const char *format, uint64_t *vsize, struct ks_err *err)
{
	char fmt[64];
	snprintf(fmt, sizeof(fmt), "%s", format);
	char *argv[] = { (char *)"qemu-img", (char *)"info", (char *)"--output=json", (char *)"-f", fmt,
			 (char *)"-U", (char *)path, NULL };
	char *out = run_capture(argv, NULL, err);
	int rc;

	if (!out)
		return -1;
	rc = img_qemu_info_parse(out, strlen(out), path, vsize, err);
	free(out);
	return rc < 0 ? -1 : check(path, format, err);
}

static void nbd_state_free(struct nbd *s)
{
	if (s->h)
		nbd_close(s->h);   /* before the server goes: a clean disconnect */
	if (s->pid > 0) {
		/* qemu-nbd may ignore SIGTERM while it is still starting up (seen
		 * once in CI: a scan hung for minutes in waitpid): give it a
		 * moment, then SIGKILL. It holds the image read-only, so killing
		 * it loses nothing. */
		kill(s->pid, SIGTERM);
		for (int i = 0;; i++) {
			pid_t w = waitpid(s->pid, NULL, WNOHANG);
			if (w == s->pid || (w < 0 && errno != EINTR))
				break;
			if (i == STOP_TIMEOUT_MS / 10) {
				kill(s->pid, SIGKILL);
				while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
					;
				break;
			}
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		}
	}
	if (s->sock[0])
		unlink(s->sock);
	if (s->log[0])
		unlink(s->log);
	if (s->dir[0]) {
		rmdir(s->dir);
		cleanup_forget(s->dir);
	}
	free(s);
}

static int nbd_open_fmt(const char *path, const char *format, void **state, uint64_t *size,
			struct ks_err *err)
{
	struct nbd *s = xcalloc(1, sizeof(*s));
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp || strlen(tmp) > 50)
		tmp = "/tmp";   /* the socket path must stay short */
	uint64_t vsize;
	int64_t got;

	if (inspect(path, format, &vsize, err) < 0)
		goto fail;
	snprintf(s->dir, sizeof(s->dir), "%s/kenshu-nbd-XXXXXX", tmp);
	if (!mkdtemp(s->dir)) {
		ks_fail(err, KS_EIO, "cannot create a private directory in %s: %s", tmp, strerror(errno));
		s->dir[0] = '\0';
		goto fail;
	}
	cleanup_add(s->dir, true);
	snprintf(s->sock, sizeof(s->sock), "%.70s/nbd.sock", s->dir);
	snprintf(s->log, sizeof(s->log), "%.70s/qemu-nbd.log", s->dir);

	char fmt[80];
	snprintf(fmt, sizeof(fmt), "--format=%s", format);
	char *argv[] = { (char *)"qemu-nbd", (char *)"--read-only", fmt, (char *)"--persistent",
			 (char *)"--shared=0", (char *)"--socket", s->sock,
			 (char *)path, NULL };
	pid_t parent = getpid();
	s->pid = fork();
	if (s->pid < 0) {
		ks_fail(err, KS_EIO, "cannot start qemu-nbd: %s", strerror(errno));
		goto fail;
	}
	if (s->pid == 0) {
		/* The server must not outlive kenshu, however kenshu ends. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		int devnull = open("/dev/null", O_RDWR);
		int log = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		if (log >= 0)
			dup2(log, 2);
		execvp(argv[0], argv);
		_exit(127);
	}

	/* Connect once the socket is there (qemu-nbd creates it when ready). */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int status;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			char why[256];
			s->pid = 0;
			server_reason(s, why, sizeof(why));
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				ks_fail(err, KS_EINPUT, "qemu-nbd not found: install qemu-utils");
			else
				ks_fail(err, KS_EINPUT, "qemu-nbd could not serve it: %s", why);
			goto fail;
		}
		struct stat st;
		if (stat(s->sock, &st) == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > START_TIMEOUT_MS) {
			ks_fail(err, KS_EINPUT, "qemu-nbd did not start within %d s", START_TIMEOUT_MS / 1000);
			goto fail;
		}
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	/* The socket file appears at bind(), a moment before listen(): a
	 * refused connection that early is a race, not a failure. */
	for (;;) {
		s->h = nbd_create();
		if (!s->h) {
			ks_fail(err, KS_EINPUT, "cannot connect to qemu-nbd: %s", nbd_get_error());
			goto fail;
		}
		if (nbd_connect_unix(s->h, s->sock) == 0)
			break;
		int e = nbd_get_errno();
		ks_fail(err, KS_EINPUT, "cannot connect to qemu-nbd: %s", nbd_get_error());
		nbd_close(s->h);
		s->h = NULL;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((e != ECONNREFUSED && e != ENOENT) ||
		    (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > START_TIMEOUT_MS)
			goto fail;
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	got = nbd_get_size(s->h);
	if (got < 0) {
		ks_fail(err, KS_EINPUT, "qemu-nbd gave no disk size: %s", nbd_get_error());
		goto fail;
	}
	if ((uint64_t)got != vsize) {
		ks_fail(err, KS_EINPUT, "qemu-nbd serves %lld bytes where qemu-img says %llu", (long long)got,
			 (unsigned long long)vsize);
		goto fail;
	}
	int64_t min = nbd_get_block_size(s->h, LIBNBD_SIZE_MINIMUM);
	s->align = min > 1 && min <= 65536 ? (uint64_t)min : 1;
	*size = (uint64_t)got;
	*state = s;
	return 0;
fail:
	nbd_state_free(s);
	return -1;
}

static int read_aligned(struct nbd *s, void *buf, size_t n, uint64_t off)
{
	char *p = buf;

	/* libnbd serialises calls on one handle itself: safe from every worker. */
	while (n) {
		size_t k = n < NBD_CHUNK ? n : NBD_CHUNK;
		if (nbd_pread(s->h, p, k, off, 0) < 0) {
			errno = nbd_get_errno() ? nbd_get_errno() : EIO;
			return -1;
		}
		p += k;
		n -= k;
		off += k;
	}
	return 0;
}

static int nbd_read(void *state, void *buf, size_t n, uint64_t off)
{
	struct nbd *s = state;

	if (off % s->align == 0 && n % s->align == 0)
		return read_aligned(s, buf, n, off);
	/* The server takes whole blocks only: read the blocks around the range. */
	uint64_t start = off - off % s->align, end = off + n;
	end += (s->align - end % s->align) % s->align;
	char *bounce = xmalloc((size_t)(end - start));
	int rc = read_aligned(s, bounce, (size_t)(end - start), start);
	if (rc == 0)
		memcpy(buf, bounce + (off - start), n);
	free(bounce);
	return rc;
}

static void nbd_close_state(void *state)
{
	if (state)
		nbd_state_free(state);
}

#define NBD_BACKEND(var, fmt, label)                                                              \
	static int var##_open(const char *path, void **state, uint64_t *size, struct ks_err *err) \
	{                                                                                           \
		return nbd_open_fmt(path, fmt, state, size, err);                           \
	}                                                                                           \
	const struct img_backend var = { .name = label, .reader = "qemu-nbd (read-only) via libnbd", \
					 .open = var##_open, .pread = nbd_read,                     \
					 .close = nbd_close_state }

NBD_BACKEND(img_backend_vmdk, "vmdk", "vmdk");
NBD_BACKEND(img_backend_vhd, "vpc", "vhd");
NBD_BACKEND(img_backend_vhdx, "vhdx", "vhdx");
NBD_BACKEND(img_backend_qcow2, "qcow2", "qcow2");
NBD_BACKEND(img_backend_qcow, "qcow", "qcow");
