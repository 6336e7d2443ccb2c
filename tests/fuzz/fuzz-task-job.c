/* A Task Scheduler 1.0 .job file (Windows\Tasks, XP/WES2009). */
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct task_info t;
	struct ks_err err = { 0 };

	(void)task_parse_job(data, size, &t, &err);
	task_info_release(&t);
	return 0;
}
