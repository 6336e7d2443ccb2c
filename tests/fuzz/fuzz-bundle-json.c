/* A bundle report's bundle.json, read by `kenshu verify` to find the
 * member report directories it must also verify. */
#include <kenshu/core.h>
#include <kenshu/output.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096];
	char **dirs;
	size_t n;
	struct ks_err err = { 0 };

	fuzz_write(path, sizeof(path), "bundle.json", data, size);
	if (bundle_read_report_dirs(path, &dirs, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			free(dirs[i]);
		free(dirs);
	}
	return 0;
}
