/* The event-log evidence over whatever a hostile log parses into: the
 * selection table, script blocks joined from hostile parts and the service
 * judgement of a hostile ImagePath. Property: the per-kind cap holds,
 * every kept event names its log, and no payload is larger than a joined
 * block may be. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/evidence.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evt_log log;
	struct ks_err err = { 0 };
	struct ev_eventlogs el = { 0 };
	struct ev_payloads pl = { 0 };
	struct os_info os = { .system_root = (char *)"/Windows" };
	size_t per_kind[EV_NKINDS] = { 0 };

	if (evt_log_parse(data, size, "System.evtx", &log, &err) != 0)
		return 0;
	ev_eventlogs_add(&el, "/Windows/System32/winevt/Logs/System.evtx", &log, &os, NULL, NULL, &pl);
	ev_eventlogs_finish(&el);
	for (size_t i = 0; i < el.nevents; i++) {
		const struct ev_event *e = &el.events[i];
		if ((unsigned)e->kind >= EV_NKINDS || !e->log || !e->provider || !e->channel || !e->computer || !e->user)
			abort();
		if (++per_kind[e->kind] > EV_MAX_PER_KIND)
			abort();
		for (size_t k = 0; k < e->ndata; k++)
			if (strlen(e->data[k].value) > EV_MAX_DATA_TEXT)
				abort();
	}
	for (int k = 0; k < EV_NKINDS; k++)
		if (el.dropped[k] > el.seen[k] || el.seen[k] - el.dropped[k] != per_kind[k])
			abort();
	for (size_t i = 0; i < pl.n; i++)
		if (pl.v[i].len > EV_MAX_SCRIPT_BYTES)
			abort();
	ev_payloads_release(&pl);
	ev_eventlogs_release(&el);
	evt_log_release(&log);
	return 0;
}
