/* A raw disk image end to end below the scan: container sniffing, the
 * partition table, volume probing, NTFS through libntfs-3g (boot sector,
 * $MFT, attributes, runlists, compressed and sparse streams, reparse
 * points, WOF), the walk, stream reads, and the windows stage over the
 * volume — hives opened through the image layer, identity, autostarts,
 * task files and cache, WMI, posture.
 *
 * Containers qemu-nbd serves (VMDK, VHD, VHDX, QCOW) are left to
 * fuzz-container: here they would start a process per input. Volumes that
 * only libguestfs reads (FAT, LVM, LDM) are skipped for the same reason:
 * the appliance takes seconds to start (fuzz-guestfs reads them through
 * one appliance kept for the whole run).
 *
 * Property: the image file is byte for byte what it was (kenshu opens
 * images read-only; a write anywhere would be a broken promise). */
#include <kenshu/core.h>
#include <kenshu/image.h>
#include <kenshu/volume.h>
#include <kenshu/windows.h>
#include "fuzz.h"

enum { MAX_ENTRIES = 2000, READ_CAP = 256 << 10 };

struct item {
	uint64_t id;
	void *key;
	size_t key_len;
};

struct walk {
	size_t n;
	struct item items[MAX_ENTRIES];
	size_t nitems;
	char *ntuser[16];
	size_t nntuser;
};

/* Streams are only listed during the walk and read afterwards through a
 * handle of their own, as the scan's workers do. */
static int on_entry(void *ctx, const struct fs_entry *e)
{
	struct walk *w = ctx;

	if (++w->n > MAX_ENTRIES)
		return 1;
	if (e->kind != FS_ENTRY_STREAM)
		return 0;
	const char *base = strrchr(e->path, '/');
	if (base && !strcasecmp(base + 1, "NTUSER.DAT") && !e->stream[0] && w->nntuser < 16)
		w->ntuser[w->nntuser++] = xstrdup(e->path);
	struct item *it = &w->items[w->nitems++];
	it->id = e->id;
	it->key_len = e->stream_key_len;
	it->key = xmalloc(e->stream_key_len ? e->stream_key_len : 1);
	if (e->stream_key_len)
		memcpy(it->key, e->stream_key, e->stream_key_len);
	return 0;
}

static void read_streams(struct img *img, const struct img_volume *v, struct walk *w)
{
	static uint8_t buf[65536];
	struct ks_err err = { 0 };
	struct fs *fs;

	if (fs_open(img, v, &fs, &err) < 0)
		return;
	for (size_t i = 0; i < w->nitems; i++) {
		struct fs_stream *s;
		if (fs_stream_open(fs, w->items[i].id, w->items[i].key, w->items[i].key_len, &s, &err) < 0)
			continue;
		for (uint64_t off = 0; off < READ_CAP && off < fs_stream_size(s);) {
			int64_t r = fs_stream_pread(s, buf, sizeof(buf), off);
			if (r <= 0)
				break;
			off += (uint64_t)r;
		}
		fs_stream_close(s);
	}
	fs_close(fs);
}

static bool container_magic(const uint8_t *d, size_t n)
{
	static const char *const head[] = { "KDMV", "# Disk DescriptorFile", "QFI\xfb", "vhdxfile", "conectix" };
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		if (n >= strlen(head[i]) && !memcmp(d, head[i], strlen(head[i])))
			return true;
	return n >= 512 && !memcmp(d + n - 512, "conectix", 8);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fs_ntfs_global_init();
	wof_global_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096];
	struct img *img;
	struct ks_err err = { 0 };

	if (container_magic(data, size))
		return 0;
	fuzz_write(path, sizeof(path), "disk.img", data, size);
	if (img_open(path, &img, &err) < 0)
		return 0;
	for (size_t i = 0; i < img_nvolumes(img); i++) {
		const struct img_volume *v = img_volume(img, i);
		struct fs *fs;
		if (strcmp(v->fs, "ntfs") || v->device[0] || v->state != VOL_READABLE)
			continue;
		if (fs_open(img, v, &fs, &err) < 0)
			continue;
		static struct walk w;
		w.n = w.nitems = w.nntuser = 0;
		(void)fs_walk(fs, on_entry, &w, &err);
		read_streams(img, v, &w);
		(void)fs_label(fs);
		(void)fs_dirty(fs);

		struct os_info os;
		memset(&os, 0, sizeof(os));
		if (os_inspect(fs, v->index, (const char *const *)w.ntuser, w.nntuser, 1795046400, &os) == 1)
			os_info_release(&os);
		for (size_t k = 0; k < w.nntuser; k++)
			free(w.ntuser[k]);
		for (size_t k = 0; k < w.nitems; k++)
			free(w.items[k].key);
		fs_close(fs);
	}
	fs_release_image(img);
	img_close(img);
	fuzz_unchanged(path, data, size);
	return 0;
}
