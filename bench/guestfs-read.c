/* guestfs-read IMAGE FORMAT - the libguestfs peer of bench/containers.sh:
 * launches the appliance on IMAGE read-only, mounts its first NTFS file
 * system read-only and reads every file through tar-out into /dev/null.
 * Prints "launch SECONDS" and "read SECONDS". */
#include <guestfs.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	guestfs_h *g;
	char **fs;
	const char *ntfs = NULL;
	double t0, t1;

	if (argc != 3) {
		fprintf(stderr, "usage: guestfs-read IMAGE FORMAT\n");
		return 2;
	}
	g = guestfs_create();
	if (!g || guestfs_add_drive_opts(g, argv[1], GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
					 GUESTFS_ADD_DRIVE_OPTS_FORMAT, argv[2], -1) < 0)
		return 1;
	t0 = now();
	if (guestfs_launch(g) < 0)
		return 1;
	t1 = now();
	printf("launch %.2f\n", t1 - t0);
	fs = guestfs_list_filesystems(g);
	for (size_t i = 0; fs && fs[i] && fs[i + 1] && !ntfs; i += 2)
		if (!strcmp(fs[i + 1], "ntfs"))
			ntfs = fs[i];
	if (!ntfs || guestfs_mount_ro(g, ntfs, "/") < 0 || guestfs_tar_out(g, "/", "/dev/null") < 0)
		return 1;
	printf("read %.2f\n", now() - t1);
	guestfs_close(g);
	return 0;
}
