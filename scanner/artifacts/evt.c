/* evt: XP/2003-era event logs (.evt, "LfLe") through libevt, opened from
 * memory through evtl_bfio like the .evtx ones (evtx.c holds the entry points). A .evt record
 * has no channel: the log's file name gives it (SysEvent -> System). */
#include "artifacts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libbfio.h>
#define LIBEVT_HAVE_BFIO
#include <libevt.h>

#include <kenshu/banned.h>


#define EVT_MAX_STRING (1u << 24)     /* one libevt string; a record cannot hold more */
#define EVT_MAX_STRINGS 4096

/* "C:/Windows/System32/config/SysEvent.Evt" -> "System" */
static char *channel_of(const char *name)
{
	static const char *const known[][2] = {
		{"AppEvent", "Application"}, {"SecEvent", "Security"}, {"SysEvent", "System"},
	};
	const char *base = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i][0]) == n && strncasecmp(base, known[i][0], n) == 0)
			return xstrdup(known[i][1]);
	return xstrndup(base, n);
}

typedef int (*evt_size_fn)(libevt_record_t *, size_t *, libevt_error_t **);
typedef int (*evt_get_fn)(libevt_record_t *, uint8_t *, size_t, libevt_error_t **);

static char *string_of(struct evtl_build *b, libevt_record_t *rec, evt_size_fn size_fn, evt_get_fn get_fn)
{
	size_t n = 0;
	libevt_error_t *e = NULL;
	char *v = NULL;
	if (size_fn(rec, &n, &e) == 1 && n > 0 && n <= EVT_MAX_STRING) {
		uint8_t *buf = xmalloc(n);
		if (get_fn(rec, buf, n, &e) == 1) {
			buf[n - 1] = 0;
			v = evtl_value(b, (const char *)buf, strlen((const char *)buf));
		}
		free(buf);
	}
	libevt_error_free(&e);
	return v ? v : xstrdup("");
}

static int read_record(struct evtl_build *b, struct evt_log *log, libevt_record_t *rec, const char *channel,
		       bool recovered)
{
	libevt_error_t *e = NULL;
	uint32_t id = 0, t = 0, eid = 0;
	if (libevt_record_get_identifier(rec, &id, &e) != 1 || libevt_record_get_event_identifier(rec, &eid, &e) != 1) {
		libevt_error_free(&e);
		return -1;
	}
	struct evt_record *r = evtl_add(b, log);
	if (!r)
		return 0;
	r->record_id = id;
	r->event_id = eid & 0xFFFFu;
	r->recovered = recovered;
	if (libevt_record_get_written_time(rec, &t, &e) == 1 && t != 0)
		r->time = (int64_t)t;
	libevt_error_free(&e);
	r->channel = xstrdup(channel);
	r->provider = string_of(b, rec, libevt_record_get_utf8_source_name_size, libevt_record_get_utf8_source_name);
	r->computer = string_of(b, rec, libevt_record_get_utf8_computer_name_size, libevt_record_get_utf8_computer_name);
	r->user_sid = string_of(b, rec, libevt_record_get_utf8_user_security_identifier_size,
				libevt_record_get_utf8_user_security_identifier);
	int ns = 0;
	if (libevt_record_get_number_of_strings(rec, &ns, &e) != 1)
		ns = 0;
	libevt_error_free(&e);
	for (int i = 0; i < ns && i < EVT_MAX_STRINGS; i++) {
		size_t n = 0;
		if (libevt_record_get_utf8_string_size(rec, i, &n, &e) == 1 && n > 0 && n <= EVT_MAX_STRING) {
			uint8_t *buf = xmalloc(n);
			if (libevt_record_get_utf8_string(rec, i, buf, n, &e) == 1) {
				buf[n - 1] = 0;
				evtl_add_data(b, r, "", (const char *)buf, strlen((const char *)buf));
			}
			free(buf);
		}
		libevt_error_free(&e);
	}
	evtl_finish_record(r);
	return 0;
}

static void read_records(struct evtl_build *b, struct evt_log *log, libevt_file_t *f, const char *channel,
			 bool recovered)
{
	libevt_error_t *e = NULL;
	int count = 0;
	int rc = recovered ? libevt_file_get_number_of_recovered_records(f, &count, &e)
			   : libevt_file_get_number_of_records(f, &count, &e);
	libevt_error_free(&e);
	if (rc != 1)
		return;
	for (int i = 0; i < count && !log->truncated; i++) {
		libevt_record_t *rec = NULL;
		rc = recovered ? libevt_file_get_recovered_record_by_index(f, i, &rec, &e)
			       : libevt_file_get_record_by_index(f, i, &rec, &e);
		libevt_error_free(&e);
		if (rc != 1 || !rec || read_record(b, log, rec, channel, recovered) != 0) {
			/* slack holds pieces of overwritten records: not damage */
			if (!recovered)
				log->records_bad++;
		}
		libevt_record_free(&rec, NULL);
	}
}

int evt_parse(const uint8_t *d, size_t len, const char *name, struct evt_log *out, struct ks_err *err)
{
	struct evtl_build b;
	evtl_budget_init(&b, len);
	out->format = EVT_FORMAT_EVT;

	libbfio_handle_t *io = evtl_bfio(d, len);
	libevt_file_t *f = NULL;
	libevt_error_t *e = NULL;
	if (!io)
		return ks_fail(err, KS_EIO, "'%s': cannot set up libbfio", name);
	if (libevt_file_initialize(&f, &e) != 1) {
		libevt_error_free(&e);
		libbfio_handle_free(&io, NULL);
		return ks_fail(err, KS_EIO, "'%s': cannot set up libevt", name);
	}
	if (libevt_file_open_file_io_handle(f, io, LIBEVT_OPEN_READ, &e) != 1) {
		libevt_error_free(&e);
		b.open_failed = "libevt could not open the log";
	} else {
		uint32_t flags = 0;
		if (libevt_file_get_flags(f, &flags, &e) == 1) {
			out->dirty = (flags & LIBEVT_FILE_FLAG_IS_DIRTY) != 0;
			out->full = (flags & LIBEVT_FILE_FLAG_IS_FULL) != 0;
		}
		libevt_error_free(&e);
		char *channel = channel_of(name);
		read_records(&b, out, f, channel, false);
		read_records(&b, out, f, channel, true);
		free(channel);
		libevt_file_close(f, NULL);
	}
	libevt_file_free(&f, NULL);
	libbfio_handle_free(&io, NULL);
	evtl_damage(out, &b);
	return 0;
}
