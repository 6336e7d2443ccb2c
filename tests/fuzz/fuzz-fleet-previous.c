/* A previous campaign's fleet.json (kenshu fleet summary --previous).
 * Property: the machines come back sorted by asset, unique, each with
 * one of the four verdicts. */
#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include "../../scanner/fleet/fleet_internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_err err = { 0 };
	struct fleet_prev *p;
	size_t n;

	if (fleet_summary_parse_previous((const char *)data, size, &p, &n, &err) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (fleet_summary_verdict_index(p[i].verdict) < 0 || (i && strcmp(p[i - 1].asset, p[i].asset) >= 0)) {
			fprintf(stderr, "fuzz: previous machine %zu out of order or without a verdict\n", i);
			abort();
		}
	}
	fleet_summary_prev_free(p, n);
	return 0;
}
