/* A Task Scheduler 2.0 task file (UTF-16 or UTF-8 XML) from System32\Tasks. */
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct task_info t;
	struct ks_err err = { 0 };

	(void)task_parse_xml(data, size, &t, &err);
	task_info_release(&t);
	return 0;
}
