/* evtlog: what the two event-log readers share (evtx.c for .evtx, evt.c
 * for .evt): the entry points, the bounds of artifacts.h, the damage line,
 * and the libbfio handle both libraries read the bytes through.
 *
 * The handle is our own, not libbfio's memory-range handle: libbfio
 * 20170123 copies past the range when asked to read at its very end
 * (fuzz-evtx found it through libevt), so every read is bounded here. No
 * temporary file is ever written.
 */
#include "artifacts_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libbfio.h>

#include <kenshu/banned.h>

/* ---- bounds and the damage line ---- */

/* Output grows in proportion to the input, whatever templates make of it. */
void evtl_budget_init(struct evtl_build *b, size_t input_len)
{
	memset(b, 0, sizeof(*b));
	b->budget = input_len * 16 + (4u << 20);
}

char *evtl_value(struct evtl_build *b, const char *s, size_t n)
{
	if (n > EVT_MAX_VALUE) {
		n = EVT_MAX_VALUE;
		/* not inside a UTF-8 sequence */
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		b->cut++;
	}
	b->used += n + 1;
	return xstrndup(s, n);
}

struct evt_record *evtl_add(struct evtl_build *b, struct evt_log *log)
{
	if (log->nrec >= EVT_MAX_RECORDS || b->used > b->budget) {
		log->truncated = true;
		return NULL;
	}
	if (log->nrec == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		log->rec = xrealloc(log->rec, b->cap * sizeof(*log->rec));
	}
	struct evt_record *r = &log->rec[log->nrec++];
	memset(r, 0, sizeof(*r));
	r->time = EVT_TIME_UNKNOWN;
	b->used += sizeof(*r);
	return r;
}

void evtl_add_data(struct evtl_build *b, struct evt_record *r, const char *name, const char *value, size_t vlen)
{
	if (b->used > b->budget)
		return;
	r->data = xrealloc(r->data, (r->ndata + 1) * sizeof(*r->data));
	r->data[r->ndata].name = evtl_value(b, name, strlen(name));
	r->data[r->ndata].value = evtl_value(b, value, vlen);
	r->ndata++;
	b->used += sizeof(*r->data);
}

/* Fields the parser left empty get "" (the interface promises non-NULL). */
void evtl_finish_record(struct evt_record *r)
{
	if (!r->provider)
		r->provider = xstrdup("");
	if (!r->channel)
		r->channel = xstrdup("");
	if (!r->computer)
		r->computer = xstrdup("");
	if (!r->user_sid)
		r->user_sid = xstrdup("");
}

void evtl_damage(struct evt_log *log, const struct evtl_build *b)
{
	struct strbuf s = STRBUF_INIT;
	if (b->header_bad)
		strbuf_addstr(&s, "the file header failed its checksum");
	if (log->chunks_bad)
		strbuf_addf(&s, "%s%u of %u chunks failed their checksum", s.len ? "; " : "", log->chunks_bad, log->chunks);
	if (b->open_failed)
		strbuf_addf(&s, "%s%s", s.len ? "; " : "", b->open_failed);
	if (log->records_bad)
		strbuf_addf(&s, "%s%u record%s could not be read", s.len ? "; " : "", log->records_bad,
			    log->records_bad == 1 ? "" : "s");
	if (log->truncated)
		strbuf_addf(&s, "%sonly the first %zu records were read (a limit)", s.len ? "; " : "", log->nrec);
	if (b->cut)
		strbuf_addf(&s, "%s%zu value%s cut at %u bytes", s.len ? "; " : "", b->cut, b->cut == 1 ? "" : "s",
			    EVT_MAX_VALUE);
	if (log->dirty)
		strbuf_addf(&s, "%sthe log was not closed cleanly (dirty)", s.len ? "; " : "");
	log->damage = s.len ? strbuf_detach(&s, NULL) : NULL;
	strbuf_release(&s);
}

/* 0: FILETIME absent */
int64_t evtl_filetime(uint64_t ft)
{
	if (ft == 0)
		return EVT_TIME_UNKNOWN;
	return (int64_t)(ft / 10000000u) - 11644473600LL;
}

/* ---- the bytes, as libbfio reads them ---- */

struct evtl_mem {
	const uint8_t *d;
	size_t len;
	size_t off;
	bool open;
};

static int mem_free(intptr_t **io, libbfio_error_t **e)
{
	(void)e;
	if (io) {
		free(*io);
		*io = NULL;
	}
	return 1;
}

static int mem_clone(intptr_t **dst, intptr_t *src, libbfio_error_t **e)
{
	(void)e;
	if (!dst)
		return -1;
	if (!src) {
		*dst = NULL;
		return 1;
	}
	struct evtl_mem *m = xmalloc(sizeof(*m));
	*m = *(const struct evtl_mem *)(void *)src;
	m->open = false;
	m->off = 0;
	*dst = (intptr_t *)(void *)m;
	return 1;
}

static int mem_open(intptr_t *io, int flags, libbfio_error_t **e)
{
	(void)e;
	struct evtl_mem *m = (struct evtl_mem *)(void *)io;
	if (flags & LIBBFIO_ACCESS_FLAG_WRITE)
		return -1;
	m->open = true;
	m->off = 0;
	return 1;
}

static int mem_close(intptr_t *io, libbfio_error_t **e)
{
	(void)e;
	((struct evtl_mem *)(void *)io)->open = false;
	return 0;
}

static ssize_t mem_read(intptr_t *io, uint8_t *buf, size_t size, libbfio_error_t **e)
{
	(void)e;
	struct evtl_mem *m = (struct evtl_mem *)(void *)io;
	if (!m->open || !buf || size > (size_t)SSIZE_MAX)
		return -1;
	if (m->off >= m->len)
		return 0;
	size_t n = m->len - m->off < size ? m->len - m->off : size;
	memcpy(buf, m->d + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static ssize_t mem_write(intptr_t *io, const uint8_t *buf, size_t size, libbfio_error_t **e)
{
	(void)io;
	(void)buf;
	(void)size;
	(void)e;
	return -1;
}

static off64_t mem_seek(intptr_t *io, off64_t offset, int whence, libbfio_error_t **e)
{
	(void)e;
	struct evtl_mem *m = (struct evtl_mem *)(void *)io;
	off64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (off64_t)m->off
				 : whence == SEEK_END ? (off64_t)m->len : -1;
	if (base < 0 || (offset > 0 && offset > INT64_MAX - base) || base + offset < 0)
		return -1;
	m->off = (uint64_t)(base + offset) > SIZE_MAX ? SIZE_MAX : (size_t)(base + offset);
	return base + offset;
}

static int mem_exists(intptr_t *io, libbfio_error_t **e)
{
	(void)io;
	(void)e;
	return 1;
}

static int mem_is_open(intptr_t *io, libbfio_error_t **e)
{
	(void)e;
	return ((struct evtl_mem *)(void *)io)->open ? 1 : 0;
}

static int mem_size(intptr_t *io, size64_t *size, libbfio_error_t **e)
{
	(void)e;
	*size = ((struct evtl_mem *)(void *)io)->len;
	return 1;
}

intptr_t *evtl_bfio(const uint8_t *d, size_t len)
{
	struct evtl_mem *m = xcalloc(1, sizeof(*m));
	libbfio_handle_t *h = NULL;
	libbfio_error_t *e = NULL;
	m->d = d;
	m->len = len;
	if (libbfio_handle_initialize(&h, (intptr_t *)(void *)m, mem_free, mem_clone, mem_open, mem_close, mem_read,
				      mem_write, mem_seek, mem_exists, mem_is_open, mem_size,
				      LIBBFIO_FLAG_IO_HANDLE_MANAGED | LIBBFIO_FLAG_IO_HANDLE_CLONE_BY_FUNCTION,
				      &e) != 1) {
		libbfio_error_free(&e);
		free(m);
		return NULL;
	}
	return h;
}

/* ---- entry points ---- */

int evt_log_parse(const void *data, size_t len, const char *name, struct evt_log *out, struct ks_err *err)
{
	const uint8_t *d = data;
	memset(out, 0, sizeof(*out));
	if (!name)
		name = "event log";
	if (!d || len < 8)
		return ks_fail(err, KS_EINPUT, "'%s': too short to be an event log (%zu bytes)", name, len);
	if (memcmp(d, "ElfFile", 8) == 0)
		return evtx_parse(d, len, name, out, err);
	if (memcmp(d + 4, "LfLe", 4) == 0)
		return evt_parse(d, len, name, out, err);
	return ks_fail(err, KS_EINPUT, "'%s': not an event log (no ElfFile or LfLe signature)", name);
}

void evt_log_release(struct evt_log *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->nrec; i++) {
		struct evt_record *r = &log->rec[i];
		free(r->provider);
		free(r->channel);
		free(r->computer);
		free(r->user_sid);
		for (size_t k = 0; k < r->ndata; k++) {
			free(r->data[k].name);
			free(r->data[k].value);
		}
		free(r->data);
	}
	free(log->rec);
	free(log->damage);
	memset(log, 0, sizeof(*log));
}

const char *evt_data_get(const struct evt_record *r, const char *name)
{
	if (!r || !name)
		return NULL;
	for (size_t i = 0; i < r->ndata; i++)
		if (strcmp(r->data[i].name, name) == 0)
			return r->data[i].value;
	return NULL;
}
