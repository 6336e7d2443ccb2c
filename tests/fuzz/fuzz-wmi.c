/* The WMI repository's OBJECTS.DATA: pages, then the instance records of
 * event consumers, filters and their bindings. */
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wmi_subscriptions s;
	struct ks_err err = { 0 };

	(void)wmi_scan_objects(data, size, &s, &err);
	wmi_subscriptions_release(&s);
	return 0;
}
