/* evtx-dump LOG [EXPECT...]: the records kenshu's event-log parser reads
 * from LOG, one line each, then checks each EXPECT (tests/realdata/evtx.sh
 * builds it): ID (some record has that event id), ID:NAME (... with data
 * item NAME not empty), ID:NAME=VALUE (... equal to VALUE). Exit 1 when an
 * expectation fails or the log is not read. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

static bool expect(const struct evt_log *log, const char *spec)
{
	char *s = strdup(spec), *name = strchr(s, ':'), *value = NULL;
	unsigned long id;
	bool ok = false;

	if (name) {
		*name++ = '\0';
		value = strchr(name, '=');
		if (value)
			*value++ = '\0';
	}
	id = strtoul(s, NULL, 10);
	for (size_t i = 0; i < log->nrec && !ok; i++) {
		const struct evt_record *r = &log->rec[i];
		const char *v;
		if (r->event_id != id)
			continue;
		if (!name)
			ok = true;
		else if ((v = evt_data_get(r, name)) && *v && (!value || strcmp(v, value) == 0))
			ok = true;
	}
	free(s);
	return ok;
}

int main(int argc, char **argv)
{
	struct evt_log log;
	struct ks_err err;
	FILE *f;
	char *buf;
	long n;
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: evtx-dump LOG [ID[:NAME[=VALUE]]...]\n");
		return 64;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);
	if (evt_log_parse(buf, (size_t)n, argv[1], &log, &err) != 0) {
		printf("%s: not read: %s\n", argv[1], err.msg);
		return 1;
	}
	printf("%s: %s, %zu records, %u chunks (%u bad), %u unreadable%s%s; damage: %s\n", argv[1],
	       log.format == EVT_FORMAT_EVTX ? "evtx" : "evt", log.nrec, log.chunks, log.chunks_bad, log.records_bad,
	       log.dirty ? ", dirty" : "", log.full ? ", full" : "", log.damage ? log.damage : "none");
	for (size_t i = 0; i < log.nrec; i++) {
		const struct evt_record *r = &log.rec[i];
		printf("  #%" PRIu64 " %u %s | %s | %s | %s | t=%" PRId64 "%s", r->record_id, r->event_id, r->provider,
		       r->channel, r->computer, r->user_sid, r->time, r->recovered ? " RECOVERED" : "");
		for (size_t k = 0; k < r->ndata && k < 6; k++)
			printf(" | %s=%.60s", r->data[k].name, r->data[k].value);
		printf("%s\n", r->ndata > 6 ? " | ..." : "");
	}
	for (int a = 2; a < argc; a++) {
		bool ok = expect(&log, argv[a]);
		printf("%s: %s %s\n", ok ? "ok" : "FAIL", argv[1], argv[a]);
		bad += !ok;
	}
	evt_log_release(&log);
	free(buf);
	return bad ? 1 : 0;
}
