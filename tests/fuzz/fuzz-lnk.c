/* A shell link (.lnk, MS-SHLLINK) as a Startup folder holds it. */
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lnk_info li;
	struct ks_err err = { 0 };

	(void)lnk_parse(data, size, &li, &err);
	lnk_info_release(&li);
	return 0;
}
