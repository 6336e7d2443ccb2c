/* ntfs-open-loop IMAGE N [CHECKPOINT...] - opens IMAGE's volumes N times
 * the way a scan does (img_open, fs_discover_volumes, fs_open on each
 * readable volume, then fs_close and img_close), and prints the memory of
 * the process after each checkpoint (default 10 100 1000, and N): resident
 * (now, and the peak so far) and the heap glibc has handed out and not got
 * back. For bench/damaged.sh: a fleet run meets many damaged volumes, and a
 * leak per failed open shows as heap that grows with the opens.
 *
 * One line per checkpoint:
 *   opens=100 failed=100 rss_kb=... maxrss_kb=... heap_bytes=...
 * then the first failure's message, and
 *   growth opens=A..B heap_bytes=... per_open_bytes=... rss_kb=...
 * between the last two checkpoints. Exit 0, or 2 if IMAGE cannot be opened
 * at all (its container or partition table: there is nothing to repeat). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include <kenshu/volume.h>

struct mem {
	long rss_kb, maxrss_kb;
	long long heap;
};

static struct mem mem_now(void)
{
	struct mem m = { 0, 0, 0 };
	struct rusage ru;
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	m.rss_kb = resident * (sysconf(_SC_PAGESIZE) / 1024);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		m.maxrss_kb = ru.ru_maxrss;
	/* In use: small blocks from the arenas plus mmap'ed ones. */
	struct mallinfo2 mi = mallinfo2();
	m.heap = (long long)(mi.uordblks + mi.hblkhd);
	return m;
}

/* One open of the image as a scan does it; the number of volumes that
 * failed to open, *first_err set at the first failure. */
static unsigned open_once(const char *path, char *first_err, size_t n)
{
	struct img *img;
	struct ks_err err;
	unsigned failed = 0;

	if (img_open(path, &img, &err) < 0) {
		fprintf(stderr, "ntfs-open-loop: %s\n", err.msg);
		exit(2);
	}
	fs_discover_volumes(img);
	for (size_t i = 0; i < img_nvolumes(img); i++) {
		const struct img_volume *v = img_volume(img, i);
		struct fs *fs;

		if (v->state != VOL_READABLE)
			continue;
		if (fs_open(img, v, &fs, &err) < 0) {
			if (!first_err[0])
				snprintf(first_err, n, "volume %u: %.400s", v->index, err.msg);
			failed++;
			continue;
		}
		fs_close(fs);
	}
	fs_release_image(img);
	img_close(img);
	return failed;
}

int main(int argc, char **argv)
{
	long n, cps[16];
	int ncp = 0;
	char first_err[512] = "";
	struct mem prev = { 0, 0, 0 }, cur;
	long prev_at = 0, failed = 0;

	if (argc < 3 || (n = strtol(argv[2], NULL, 10)) <= 0 || argc - 3 > 15) {
		fprintf(stderr, "usage: ntfs-open-loop IMAGE N [CHECKPOINT...]\n");
		return 2;
	}
	for (int i = 3; i < argc; i++)
		cps[ncp++] = strtol(argv[i], NULL, 10);
	if (!ncp) {
		cps[ncp++] = 10;
		cps[ncp++] = 100;
		cps[ncp++] = 1000;
	}
	if (cps[ncp - 1] != n)
		cps[ncp++] = n;
	fs_ntfs_global_init();

	int c = 0;
	for (long i = 1; i <= n; i++) {
		failed += open_once(argv[1], first_err, sizeof(first_err));
		if (c < ncp && i == cps[c]) {
			cur = mem_now();
			printf("opens=%ld failed=%ld rss_kb=%ld maxrss_kb=%ld heap_bytes=%lld\n", i, failed,
			       cur.rss_kb, cur.maxrss_kb, cur.heap);
			if (c > 0 && prev_at > 0) {
				/* Only the last pair is printed as the result. */
				if (c == ncp - 1)
					printf("growth opens=%ld..%ld heap_bytes=%lld per_open_bytes=%.1f rss_kb=%ld\n",
					       prev_at, i, cur.heap - prev.heap,
					       (double)(cur.heap - prev.heap) / (double)(i - prev_at),
					       cur.rss_kb - prev.rss_kb);
			}
			prev = cur;
			prev_at = i;
			fflush(stdout);
			while (c < ncp && cps[c] <= i)
				c++;
		}
	}
	printf("first failure: %s\n", first_err[0] ? first_err : "(none: every volume opened)");
	return 0;
}
