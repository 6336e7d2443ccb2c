/* Windows event logs: .evtx (file header, chunks, BinXML through libevtx,
 * the rendered XML through libxml2) and .evt (libevt). Property: a parsed
 * log keeps the interface's promises (no NULL string, values within
 * EVT_MAX_VALUE, at most EVT_MAX_RECORDS records). */
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evt_log log;
	struct ks_err err = { 0 };

	if (evt_log_parse(data, size, "SysEvent.Evt", &log, &err) != 0) {
		if (!err.msg[0] || log.rec)
			abort();
		return 0;
	}
	if (log.nrec > EVT_MAX_RECORDS || log.chunks_bad > log.chunks)
		abort();
	for (size_t i = 0; i < log.nrec; i++) {
		const struct evt_record *r = &log.rec[i];
		if (!r->provider || !r->channel || !r->computer || !r->user_sid || r->event_id > 0xFFFF)
			abort();
		for (size_t k = 0; k < r->ndata; k++)
			if (!r->data[k].name || !r->data[k].value || strlen(r->data[k].value) > EVT_MAX_VALUE)
				abort();
	}
	evt_log_release(&log);
	return 0;
}
