/* Partition tables (MBR with extended/logical chains, GPT with its backup)
 * over a disk held in memory: the input is the disk, its length the
 * disk's size. */
#include <kenshu/core.h>
#include <kenshu/image.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_mem m = { data, size };
	struct parttab pt;
	struct ks_err err = { 0 };

	memset(&pt, 0, sizeof(pt));
	if (parttab_read(&pt, fuzz_mem_read, &m, size, &err) == 0) {
		for (size_t i = 0; i < pt.n; i++)
			(void)pt.entries[i];
		parttab_release(&pt);
	}
	return 0;
}
