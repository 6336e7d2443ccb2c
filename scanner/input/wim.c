/* WIM captures: every image applied by wimlib to a private NTFS volume
 * file, then scanned by the normal disk path. Applying with NTFS-3G keeps
 * what a walk of the captured system needs to see (alternate data streams,
 * reparse points, hard links, the hives), which extracting to a host
 * directory would not; and no name from the WIM touches the host file
 * system. The volume is sparse and removed on every exit path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wimlib.h>

#include <kenshu/core.h>
#include <kenshu/input.h>
#include <kenshu/banned.h>

#define VOLUME_SLACK (64ull << 20)   /* NTFS metadata, the MFT, small files' clusters */

bool wim_detect(const char *path)
{
	unsigned char m[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false;
	yes = pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m) && !memcmp(m, "MSWIM\0\0\0", 8);
	close(fd);
	return yes;
}

/* mkntfs lives in /usr/sbin, which a normal user's PATH may lack. */
static int make_ntfs(const char *vol, struct ks_err *err)
{
	static const char *const tries[] = { "/usr/sbin/mkntfs", "/sbin/mkntfs", "mkntfs" };
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		ks_fail(err, KS_EIO, "cannot start mkntfs: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
			execvp(tries[i], (char *const[]){ (char *)"mkntfs", (char *)"-F", (char *)"-Q", (char *)"-q",
							   (char *)"-s", (char *)"512", (char *)vol, NULL });
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	ks_fail(err, KS_EINPUT, WIFEXITED(status) && WEXITSTATUS(status) == 127
		 ? "mkntfs not found: install ntfs-3g" : "mkntfs could not format the private volume");
	return -1;
}

/* The report describes the WIM, not the private volume it was read from. */
static void as_wim_report(struct report *r, const char *path, int index, int count, const char *name,
			  uint64_t wim_size, const char *sha_before, const char *sha_after)
{
	free(r->image_path);
	free(r->image_format);
	free(r->image_reader);
	r->image_path = *name ? xasprintf("%s [image %d of %d: %s]", path, index, count, name)
			      : xasprintf("%s [image %d of %d]", path, index, count);
	r->image_format = xstrdup("wim");
	r->image_reader = xstrdup("wimlib, the image applied with NTFS-3G to a private NTFS volume");
	r->disk_size = r->image_size;
	r->image_size = wim_size;
	memcpy(r->sha256_before, sha_before, sizeof(r->sha256_before));
	memcpy(r->sha256_after, sha_after, sizeof(r->sha256_after));
	/* --baseline: the comparison's new side is the WIM too. struct drift
	 * comes with scan's interface (scan.h, scan_opts.baseline), not
	 * from a direct include of the drift stage. */
	if (r->drift) {
		free(r->drift->new.image_path);
		free(r->drift->new.image_sha256);
		r->drift->new.image_path = xstrdup(r->image_path);
		r->drift->new.image_sha256 = xstrdup(sha_before);
	}
}

static int scan_one(WIMStruct *wim, const char *path, int index, int count, const char *dir,
		    const struct av *av, const struct scan_opts *so, uint64_t wim_size,
		    const char *sha_before, const char *outdir, const struct image_sink *sink, int *code,
		    struct ks_err *err)
{
	const char *bytes = wimlib_get_image_property(wim, index, "TOTALBYTES");
	const char *name = wimlib_get_image_name(wim, index);
	uint64_t total = bytes ? strtoull(bytes, NULL, 10) : 0, size;
	char *vol = xasprintf("%s/image%d.ntfs", dir, index), sha_after[SHA256_HEX_LEN + 1];
	struct ks_err why;
	struct report r;
	int fd, rc = -1;

	/* Room for the files, their clusters' rounding and NTFS's own files;
	 * sparse, so only what is written takes space. */
	size = (total + total / 4 + VOLUME_SLACK + (1u << 20) - 1) & ~((uint64_t)(1u << 20) - 1);
	fd = open(vol, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		ks_fail(err, KS_EIO, "'%s': image %d: cannot create a private volume in %s: %s", path, index, dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (make_ntfs(vol, &why) < 0) {
		ks_fail(err, why.code, "'%s': image %d: %s", path, index, why.msg);
		goto out;
	}
	int w = wimlib_extract_image(wim, index, vol, WIMLIB_EXTRACT_FLAG_NTFS);
	if (w) {
		ks_fail(err, KS_EINPUT, "'%s': image %d: wimlib could not apply it: %s", path, index, wimlib_get_error_string(w));
		goto out;
	}
	if (scan_image(vol, av, so, &r, err) < 0)
		goto out;
	if (sha256_file(path, sha_after, NULL) < 0 || strcmp(sha_before, sha_after) != 0) {
		ks_fail(err, KS_EINPUT, "'%s': the WIM changed during the scan: results are not evidence of its contents", path);
		report_release(&r);
		goto out;
	}
	as_wim_report(&r, path, index, count, name ? name : "", wim_size, sha_before, sha_after);
	char *rdir = count > 1 ? xasprintf("%s/image-%d", outdir, index) : xstrdup(outdir);
	struct ks_err serr;
	int c = sink->save(sink->ctx, &r, rdir, &serr);
	if (c == EXIT_ERROR)
		sink->failed(sink->ctx, &serr);
	*code = exit_code_combine(*code, c);
	free(rdir);
	rc = 0;
out:
	unlink(vol);
	free(vol);
	return rc;
}

int wim_scan(const char *path, const struct av *av, const struct scan_opts *so, const char *outdir,
	     const struct image_sink *sink, int *code, struct ks_err *err)
{
	const char *tmp = getenv("TMPDIR");
	char sha_before[SHA256_HEX_LEN + 1];
	struct wimlib_wim_info info;
	WIMStruct *wim = NULL;
	uint64_t wim_size;
	char *dir;
	int w, rc = -1;

	*code = EXIT_PASS;
	if (sha256_file(path, sha_before, &wim_size) < 0)
		return ks_fail(err, KS_EIO, "'%s': cannot read: %s", path, strerror(errno));
	w = wimlib_open_wim(path, WIMLIB_OPEN_FLAG_CHECK_INTEGRITY, &wim);
	if (w)
		return ks_fail(err, KS_EINPUT, "'%s': not a readable WIM: %s", path, wimlib_get_error_string(w));
	if (wimlib_get_wim_info(wim, &info) || info.image_count == 0) {
		wimlib_free(wim);
		return ks_fail(err, KS_EINPUT, "'%s': the WIM holds no image", path);
	}
	if (so->baseline && info.image_count > 1) {
		wimlib_free(wim);
		return ks_fail(err, KS_EUSAGE, "'%s': holds %u images and --baseline compares one: export the image with "
			     "'wimlib-imagex export' first", path, info.image_count);
	}
	if (info.total_parts > 1) {
		wimlib_free(wim);
		return ks_fail(err, KS_EUNSUPPORTED, "'%s': part %u of a split WIM (%u parts): join them with 'wimlib-imagex join' first",
			     path, info.part_number, info.total_parts);
	}
	dir = xasprintf("%s/kenshu-wim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		ks_fail(err, KS_EIO, "'%s': cannot create a private directory: %s", dir, strerror(errno));
		goto done;
	}
	cleanup_add(dir, true);
	rc = 0;
	for (int i = 1; i <= (int)info.image_count && rc == 0; i++)
		rc = scan_one(wim, path, i, (int)info.image_count, dir, av, so, wim_size, sha_before, outdir, sink,
			      code, err);
	cleanup_forget(dir);
	rmdir(dir);
done:
	free(dir);
	wimlib_free(wim);
	return rc;
}
