/* TEMPORARY (branch i16-evlog only, removed when i16-evtx is merged). */
#include <stdlib.h>
#include <string.h>
#include <kenshu/core.h>
#include <kenshu/artifacts.h>

int evt_log_parse(const void *data, size_t len, const char *name, struct evt_log *out, struct ks_err *err)
{
	(void)data;
	(void)len;
	memset(out, 0, sizeof(*out));
	return ks_fail(err, KS_EINPUT, "%s: no event-log parser yet", name);
}

void evt_log_release(struct evt_log *log)
{
	memset(log, 0, sizeof(*log));
}

const char *evt_data_get(const struct evt_record *r, const char *name)
{
	for (size_t i = 0; i < r->ndata; i++)
		if (r->data[i].name && !strcmp(r->data[i].name, name))
			return r->data[i].value;
	return NULL;
}
#include <kenshu/banned.h>
