/* kenshu's libguestfs back end over fuzzer-made volumes: the input is a
 * disk (a bare FAT12/16/32 or exFAT volume, or one behind an MBR/GPT), run
 * through the scanner's own path -- img_open, fs_discover_volumes (LVM,
 * LDM), fs_open (mount read-only, find0, lstatnslist per directory, the
 * labels and file-system type), fs_walk, fs_lookup, fs_read_file, every stream read
 * through a second handle as the workers do, fs_release_image -- with the
 * file system parsed by the appliance's kernel.
 *
 * An appliance takes 15-30 s to start, so there is one per process
 * (LLVMFuzzerInitialize), launched here over a scratch disk of DEV_SIZE
 * bytes, and lent to kenshu for each input through the test seam
 * fs_guestfs_use_handle() (volume.h). Per input the blocks of the scratch
 * disk that differ from the input (zero-padded to DEV_SIZE) are written
 * with pwrite_device, after an MD5 of the whole disk proved it still holds
 * the last input (else it is written whole). One shell round trip then
 * syncs, drops every page cache (partitions and device-mapper volumes
 * cache apart from the disk), waits for udev (which re-reads the table and
 * activates LVM by itself after a write), removes every device-mapper
 * device and re-reads the partition table; the first 4 KiB, read back from
 * the disk itself, must equal the input. Volume managers are activated
 * only when kenshu's image layer finds one, as the appliance's init does
 * at boot. The same bytes are the image file kenshu opens on the host, so
 * the two views agree. KENSHU_FUZZ_VERBOSE=1 prints every volume and
 * entry.
 *
 * Not instrumented: the appliance's kernel (vfat, exfat, the partition
 * parser, device-mapper) and guestfsd. Coverage is of kenshu's code and of
 * libguestfs's library side; a kernel hang shows as a timeout.
 *
 * Properties: after fs_release_image nothing is mounted in the appliance
 * (kenshu unmounts what it mounted on a lent handle), and every listed
 * stream of the walk opens by its id and key. */
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <openssl/evp.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include <kenshu/volume.h>
#include "fuzz.h"

enum {
	DEV_SIZE = 8 << 20,   /* the scratch disk; longer inputs are cut */
	BLOCK = 64 << 10,     /* unit of the comparison with the last input */
	WRITE_MAX = 1 << 20,  /* per pwrite_device (guestfs messages are a few MiB) */
	MAX_ENTRIES = 2000,
	MAX_READS = 256,      /* streams read per volume */
	READ_CAP = 256 << 10, /* bytes read per stream */
};

static guestfs_h *g;
static uint8_t *shadow;   /* what the scratch disk holds now */
static uint8_t *disk;     /* this input, zero-padded */
static bool verbose;
static void find_kdev(void);

struct item {
	uint64_t id;
	char *key;
	size_t key_len;
	char *path;
};

struct walk {
	size_t n, nitems;
	struct item items[MAX_ENTRIES];
};

static int on_entry(void *ctx, const struct fs_entry *e)
{
	struct walk *w = ctx;

	if (++w->n > MAX_ENTRIES)
		return 1;
	if (verbose)
		fprintf(stderr, "fuzz-guestfs:   %d %s%s%s %llu\n", (int)e->kind, e->path, e->stream[0] ? ":" : "",
			e->stream, (unsigned long long)e->size);
	if (e->kind != FS_ENTRY_STREAM)
		return 0;
	struct item *it = &w->items[w->nitems++];
	it->id = e->id;
	it->key_len = e->stream_key_len;
	it->key = xmalloc(e->stream_key_len + 1);
	memcpy(it->key, e->stream_key, e->stream_key_len);
	it->path = xstrdup(e->path);
	return 0;
}

/* As a worker: its own handle, every stream by id and key, bounded. */
static void read_streams(struct img *img, const struct img_volume *v, struct walk *w)
{
	static uint8_t buf[65536];
	struct ks_err err = { 0 };
	struct fs *fs;

	if (fs_open(img, v, &fs, &err) < 0) {
		fprintf(stderr, "fuzz-guestfs: a second handle on a listed volume failed: %s\n", err.msg);
		abort();
	}
	for (size_t i = 0; i < w->nitems && i < MAX_READS; i++) {
		struct fs_stream *s;
		if (fs_stream_open(fs, w->items[i].id, w->items[i].key, w->items[i].key_len, &s, &err) < 0) {
			fprintf(stderr, "fuzz-guestfs: %s: listed but does not open: %s\n", w->items[i].path, err.msg);
			abort();
		}
		for (uint64_t off = 0; off < READ_CAP && off < fs_stream_size(s);) {
			int64_t r = fs_stream_pread(s, buf, sizeof(buf), off);
			if (r <= 0)
				break;
			off += (uint64_t)r;
		}
		fs_stream_close(s);
	}
	/* By path, as the windows stage reads files. */
	for (size_t i = 0; i < w->nitems && i < 8; i++) {
		uint64_t id, size;
		void *data;
		if (fs_lookup(fs, w->items[i].path, &id) == 1 &&
		    fs_read_file(fs, w->items[i].path, 64 << 10, &data, &size, &err) == 0)
			free(data);
	}
	fs_close(fs);
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm = -1, cpu = -1;

	if (fd >= 0 && (vm = ioctl(fd, KVM_CREATE_VM, 0)) >= 0)
		cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (cpu >= 0)
		close(cpu);
	if (vm >= 0)
		close(vm);
	if (fd >= 0)
		close(fd);
	return cpu >= 0;
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz-guestfs: %s: %s\n", what, g ? guestfs_last_error(g) : "no handle");
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("KENSHU_FUZZ_VERBOSE") != NULL;
	shadow = xcalloc(1, DEV_SIZE);
	disk = xcalloc(1, DEV_SIZE);
	g = guestfs_create();
	if (!g)
		die("guestfs_create");
	/* As the scanner does: TCG from the start when KVM cannot work here
	 * (the environment, read by guestfs_create, may say so too). */
	if (!kvm_usable()) {
		char *settings[] = { (char *)"force_tcg", NULL };
		guestfs_set_backend_settings(g, settings);
	}
	guestfs_set_memsize(g, 512);
	if (guestfs_add_drive_scratch(g, DEV_SIZE, -1) < 0 || guestfs_launch(g) < 0)
		die("cannot start the appliance");
	guestfs_set_error_handler(g, NULL, NULL);
	find_kdev();
	return 0;
}

/* The scratch disk's kernel name in the appliance ("sdb": libguestfs
 * calls it /dev/sda in its API, its own disk may come first), found by
 * its size. */
static char kdev[32];

/* One shell command in the appliance (libguestfs's debug "sh", which
 * guestfsd has built in): a round trip costs 0.1-1 s under TCG, so the
 * whole reset between inputs is one. Returns its output (caller frees). */
static char *appliance_sh(const char *script)
{
	char *cmd[] = { (char *)script, NULL };
	char *out = guestfs_debug(g, "sh", cmd);

	if (!out)
		die(script);
	return out;
}

static void find_kdev(void)
{
	char script[200];

	snprintf(script, sizeof(script),
		 "for d in /sys/block/sd*; do [ \"$(cat $d/size)\" = %d ] && echo ${d##*/}; done; true",
		 DEV_SIZE / 512);
	char *out = appliance_sh(script);
	out[strcspn(out, "\n")] = '\0';
	if (strncmp(out, "sd", 2) || strlen(out) >= sizeof(kdev)) {
		fprintf(stderr, "fuzz-guestfs: cannot find the scratch disk in the appliance (%s)\n", out);
		abort();
	}
	snprintf(kdev, sizeof(kdev), "%s", out);
	free(out);
}

/* After fs_release_image nothing of kenshu's may be mounted. */
static void check_unmounted(void)
{
	char **m = guestfs_mounts(g);

	if (!m)
		die("mounts");
	if (m[0]) {
		fprintf(stderr, "fuzz-guestfs: %s is still mounted after fs_release_image\n", m[0]);
		abort();
	}
	free(m);
}

/* Does the scratch disk still hold shadow? Something in the appliance
 * may have changed it while the last input ran: seen with a damaged FAT16
 * volume whose find0 failed, after which both FAT copies read back with
 * entries zeroed (the appliance kernel's doing, on a read-only mount; the
 * scanner's drive is read-only to qemu, so there no write reaches the
 * image). LVM activation may also update metadata it finds inconsistent. */
static bool shadow_holds(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	char *dev = guestfs_checksum_device(g, "md5", "/dev/sda");

	if (!dev)
		die("checksum_device");
	EVP_Digest(shadow, DEV_SIZE, md, &len, EVP_md5(), NULL);
	for (unsigned i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	bool same = !strcmp(dev, hex);
	free(dev);
	return same;
}

/* Writes the blocks of disk that differ from what the scratch disk holds. */
static void load(void)
{
	static unsigned long changed;

	if (!shadow_holds()) {
		/* Written anew, whole. */
		if (verbose || !changed++)
			fprintf(stderr, "fuzz-guestfs: the scratch disk changed while the last input ran "
				"(KENSHU_FUZZ_VERBOSE=1 shows where): written whole again (said once)\n");
		size_t shown = 0;
		for (size_t off = 0; verbose && shown < 32 && off < DEV_SIZE; off += BLOCK) {
			size_t got = 0;
			char *b = guestfs_pread_device(g, "/dev/sda", BLOCK, (int64_t)off, &got);
			for (size_t k = 0; b && k < got; k++)
				if ((uint8_t)b[k] != shadow[off + k] && shown++ < 32)
					fprintf(stderr, "fuzz-guestfs:   at %zu: %02x, written %02x\n", off + k,
						(uint8_t)b[k], shadow[off + k]);
			free(b);
		}
		memset(shadow, 0xa5, DEV_SIZE);
		for (size_t off = 0; off < DEV_SIZE; off += BLOCK)
			shadow[off] = (uint8_t)~disk[off];
	}
	for (size_t off = 0; off < DEV_SIZE;) {
		if (!memcmp(disk + off, shadow + off, BLOCK)) {
			off += BLOCK;
			continue;
		}
		size_t end = off + BLOCK;
		while (end < DEV_SIZE && end - off < WRITE_MAX && memcmp(disk + end, shadow + end, BLOCK))
			end += BLOCK;
		for (size_t p = off; p < end;) {
			int w = guestfs_pwrite_device(g, "/dev/sda", (const char *)disk + p, end - p, (int64_t)p);
			if (w <= 0)
				die("pwrite_device");
			p += (size_t)w;
		}
		memcpy(shadow + off, disk + off, end - off);
		off = end;
	}
	/* The write went into the disk's page cache, but partitions and
	 * device-mapper volumes (LVM, LDM) have caches of their own over the
	 * disk below it: so write the disk (sync) and drop every clean page.
	 * udev watches the disk: closing it after a write makes udev read the
	 * partition table again and activate any volume group it finds,
	 * behind our back. Let it finish, take down every device-mapper
	 * device (also those of volume groups the write took away, which
	 * vgchange no longer sees), read the table again ourselves (udev's
	 * may have failed on a busy partition), and again. Every input then
	 * starts from the same state: its own partitions, nothing assembled. */
	char script[512];
	snprintf(script, sizeof(script),
		 "sync; echo 3 >/proc/sys/vm/drop_caches; udevadm settle; dmsetup remove_all; "
		 "blockdev --rereadpt /dev/%s 2>&1; udevadm settle; dmsetup remove_all; "
		 "ls /dev/mapper | grep -vx control; true", kdev);
	char *out = appliance_sh(script);
	if (verbose && *out)
		fprintf(stderr, "fuzz-guestfs: reset: %s\n", out);
	free(out);
	/* The first 4 KiB as the appliance reads them now, from the disk
	 * itself (its cache dropped): what any device above it reads. */
	size_t got = 0;
	char *back = guestfs_pread_device(g, "/dev/sda", 4096, 0, &got);
	if (!back || got != 4096 || memcmp(back, disk, 4096)) {
		fprintf(stderr, "fuzz-guestfs: the appliance does not see the bytes written\n");
		abort();
	}
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool vmgr = false;
	char path[4096];
	struct img *img;
	struct ks_err err = { 0 };

	if (size > DEV_SIZE)
		size = DEV_SIZE;
	memcpy(disk, data, size);
	memset(disk + size, 0, DEV_SIZE - size);
	load();
	fuzz_write(path, sizeof(path), "disk.img", disk, DEV_SIZE);
	if (img_open(path, &img, &err) < 0)
		return 0;
	if (fs_guestfs_use_handle(img, g, &err) < 0)
		die(err.msg);
	/* Volume managers, as the appliance's init assembles them at boot. */
	for (size_t i = 0; i < img_nvolumes(img); i++) {
		const struct img_volume *v = img_volume(img, i);
		if (v->state == VOL_UNSUPPORTED && (!strcmp(v->fs, "lvm2") || !strcmp(v->fs, "ldm")))
			vmgr = true;
	}
	if (vmgr) {
		guestfs_lvm_scan(g, 1);
		guestfs_ldmtool_create_all(g);
	}
	(void)fs_discover_volumes(img);
	for (size_t i = 0; verbose && i < img_nvolumes(img); i++) {
		const struct img_volume *v = img_volume(img, i);
		fprintf(stderr, "fuzz-guestfs: volume %u: %s %s state %d: %s\n", v->index, v->fs, v->device,
			(int)v->state, v->state_reason);
	}
	for (size_t i = 0; i < img_nvolumes(img); i++) {
		const struct img_volume *v = img_volume(img, i);
		struct fs *fs;
		if (v->state != VOL_READABLE || (!v->device[0] && strcmp(v->fs, "fat") && strcmp(v->fs, "exfat")))
			continue;
		if (fs_open(img, v, &fs, &err) < 0) {
			if (verbose)
				fprintf(stderr, "fuzz-guestfs:   not opened: %s\n", err.msg);
			continue;
		}
		static struct walk w;
		w.n = w.nitems = 0;
		(void)fs_walk(fs, on_entry, &w, &err);
		(void)fs_label(fs);
		(void)fs_version(fs);
		(void)fs_reader(fs);
		(void)fs_dirty(fs);
		fs_close(fs);
		read_streams(img, v, &w);
		for (size_t k = 0; k < w.nitems; k++) {
			free(w.items[k].key);
			free(w.items[k].path);
		}
	}
	fs_release_image(img);
	img_close(img);
	check_unmounted();
	return 0;
}
