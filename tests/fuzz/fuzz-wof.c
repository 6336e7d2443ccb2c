/* WOF/CompactOS files: the $REPARSE_POINT value that says a file is
 * compressed, then its WofCompressedData stream — the chunk table and the
 * XPRESS/LZX chunks — read back in pieces as the scanner reads a file.
 *
 * Input: REPARSE FUZZ_SEP HEADER(4: logical size, little-endian) STREAM.
 * When the reparse value is refused, the format comes from its first byte
 * so the chunk reader is reached from any input. */
#include <kenshu/core.h>
#include <kenshu/volume.h>
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	wof_global_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[2];
	size_t len[2];
	struct ks_err err = { 0 };
	enum wof_format fmt;

	if (fuzz_split(data, size, part, len, 2) < 2 || len[1] < 4)
		return 0;
	if (wof_parse_reparse(part[0], len[0], &fmt, &err) < 0)
		fmt = (enum wof_format)(len[0] ? part[0][0] % 4 : 0);

	uint64_t logical = load_le32(part[1]) & ((1u << 22) - 1); /* at most 4 MiB */
	struct fuzz_mem m = { part[1] + 4, len[1] - 4 };
	struct wof_source src = { fuzz_mem_pread, &m, m.n };
	struct wof *w;
	if (wof_open(fmt, logical, &src, &w, &err) < 0)
		return 0;

	static uint8_t buf[70000];
	uint64_t off = 0;
	size_t step = 4096 + (len[0] % 61440); /* reads that straddle chunks */
	while (off < wof_size(w)) {
		int64_t r = wof_pread(w, buf, step, off);
		if (r <= 0)
			break;
		off += (uint64_t)r;
	}
	/* A read far back after the end: the kept chunk must not be trusted. */
	(void)wof_pread(w, buf, 16, 0);
	wof_close(w);
	return 0;
}
