/* PE headers and the version resource (company, product, file version),
 * which judge whether an autostart target is Windows' own. */
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pe_info pi;
	struct ks_err err = { 0 };

	(void)pe_parse(data, size, &pi, &err);
	pe_info_release(&pi);
	return 0;
}
