/* One machine's report.json (and, over the same bytes, a bundle's
 * bundle.json) as the fleet summary reads it back from an editable
 * campaign directory. Property: whatever is accepted goes into a
 * one-machine summary whose fleet.json json-c reads back and whose
 * fleet.html holds no markup from the input. */
#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include "../../scanner/fleet/fleet_internal.h"
#include "fuzz.h"

static void check(struct fleet_machine *m)
{
	struct fleet_summary s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	m->asset = xstrdup("m1");
	m->report_html = xstrdup("machines/m1/report.html");
	s.campaign_dir = xstrdup("/c");
	s.machines = m;
	s.nmachines = 1;
	s.counts[3] = 1;
	if (!(f = open_memstream(&buf, &len)) || fleet_summary_write_json(&s, f) < 0 || fclose(f) != 0)
		abort();
	json_object *o = json_tokener_parse(buf);
	if (!o) {
		fprintf(stderr, "fuzz: fleet.json does not parse back\n");
		abort();
	}
	json_object_put(o);
	free(buf);
	buf = NULL;
	if (!(f = open_memstream(&buf, &len)) || fleet_summary_write_html(&s, f) < 0 || fclose(f) != 0)
		abort();
	if (strstr(buf, "<script") || strstr(buf, "://") || strstr(buf, "\xe2\x80\xae")) {
		fprintf(stderr, "fuzz: input markup reached fleet.html\n");
		abort();
	}
	free(buf);
	free(s.campaign_dir);
	fleet_summary_machine_release(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_err err = { 0 };
	struct fleet_machine m = { .seconds = -1 };

	if (fleet_summary_parse_report((const char *)data, size, &m, &err) == 0)
		check(&m);
	fleet_summary_machine_release(&m);
	if (fleet_summary_parse_bundle((const char *)data, size, &m, &err) == 0)
		check(&m);
	fleet_summary_machine_release(&m);
	return 0;
}
