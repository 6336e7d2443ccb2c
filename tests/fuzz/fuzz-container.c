/* Containers kenshu reads itself before qemu-nbd serves them: sniffing by
 * magic (start and end of the file), the VHD footer and dynamic header,
 * the VHDX region and metadata tables and parent locator, the VMDK
 * descriptor (whether the disk is a differencing child, and which parent
 * it names), and what `qemu-img info` printed about the file.
 *
 * Input: CONTAINER_BYTES [FUZZ_SEP QEMU_IMG_INFO_JSON]. The container is
 * also written to a file, so that extent names in the JSON are judged
 * against a real directory. */
#include <kenshu/core.h>
#include <kenshu/image.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[2];
	size_t len[2], n = fuzz_split(data, size, part, len, 2);
	struct fuzz_mem m = { part[0], len[0] };
	const char *label, *format;
	struct ks_err err = { 0 };
	struct img_parent par;
	char path[4096];

	format = img_sniff(fuzz_mem_read, &m, m.n, &label, &err);
	/* Every format the parent reader knows, whatever the magic said: a
	 * header damaged past its magic must be as safe as a whole one. */
	static const char *const formats[] = { "vhd", "vhdx", "vmdk", "qcow2", "raw" };
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&par, 0, sizeof(par));
		img_parent_read(formats[i], fuzz_mem_read, &m, m.n, &par);
		if (memchr(par.name, '\0', sizeof(par.name)) == NULL || memchr(par.why, '\0', sizeof(par.why)) == NULL)
			abort();
	}
	(void)format;
	if (n == 2) {
		uint64_t vsize;
		fuzz_write(path, sizeof(path), "disk.vmdk", part[0], len[0]);
		(void)img_qemu_info_parse((const char *)part[1], len[1], path, &vsize, &err);
	}
	return 0;
}
