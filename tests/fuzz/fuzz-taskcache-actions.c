/* The binary Actions value of a TaskCache\Tasks\{GUID} key (SOFTWARE). */
#include <kenshu/core.h>
#include <kenshu/windows.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct taskcache_actions a;
	struct ks_err err = { 0 };

	/* *a holds what was read before damage, released either way. */
	(void)taskcache_parse_actions(data, size, &a, &err);
	taskcache_actions_release(&a);
	return 0;
}
