/* evtx: Windows event logs (.evtx through libevtx; .evt in evt.c).
 *
 * The log is opened from memory through evtl_bfio's bounded libbfio
 * handle (evtlog.c): no temporary file. Each record's fields come from the XML libevtx renders
 * for it (libevtx's own getters lose EventData's Name attributes), parsed
 * by libxml2 with NONET and without entity substitution, DTD loading or
 * HUGE, so a hostile value cannot reach the network, the files or the
 * memory. When that XML is missing or not well-formed the record falls
 * back to libevtx's getters (positional strings).
 *
 * libevtx reads a chunk whose CRCs fail without saying so (records from it
 * come back as ordinary ones or as recovered ones), so the chunk headers
 * are checked here too, by bounded code of our own, to say in `damage` how
 * many chunks were bad.
 */
#include "artifacts_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libbfio.h>
#define LIBEVTX_HAVE_BFIO
#include <libevtx.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <kenshu/banned.h>


#define EVTX_FILE_HEADER 4096u
#define EVTX_CHUNK 65536u
#define EVTX_CHUNK_RECORDS 512u       /* first record of a chunk */
#define EVTX_MAX_XML (8u << 20)       /* a record's rendered XML; more is not a real record */
#define EVTX_XML_DEPTH 64

/* ---- chunk headers ---- */

static uint32_t crc32_le(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* Counts the chunks and the bad ones: signature, header CRC (bytes 0-119
 * and 128-511), free-space offset, records CRC. An all-zero chunk is space
 * Windows allocated and never used: neither. */
/* The identifiers of the records a bad chunk seems to hold, walked by
 * their size fields: libevtx gives no record's offset, so this is how its
 * records are known to come from that chunk. */
static void note_bad_chunk(struct evtl_build *b, const uint8_t *c, size_t avail)
{
	size_t off = EVTX_CHUNK_RECORDS;
	while (off + 28 <= avail && memcmp(c + off, "**\0\0", 4) == 0) {
		uint32_t size = load_le32(c + off + 4);
		if (size < 28 || size > avail - off)
			break;
		if (b->nbad_ids == b->bad_cap) {
			b->bad_cap = b->bad_cap ? b->bad_cap * 2 : 64;
			b->bad_ids = xrealloc(b->bad_ids, b->bad_cap * sizeof(*b->bad_ids));
		}
		b->bad_ids[b->nbad_ids++] = load_le64(c + off + 8);
		off += size;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool in_bad_chunk(const struct evtl_build *b, uint64_t id)
{
	return b->nbad_ids && bsearch(&id, b->bad_ids, b->nbad_ids, sizeof(id), cmp_u64);
}

enum chunk_state { CHUNK_UNUSED, CHUNK_GOOD, CHUNK_BAD };

static enum chunk_state chunk_state(const uint8_t *c, size_t avail)
{
	if (avail < 8 || memcmp(c, "ElfChnk", 8) != 0) {
		for (size_t i = 0; i < avail && i < EVTX_CHUNK_RECORDS; i++)
			if (c[i] != 0)
				return CHUNK_BAD;
		return CHUNK_UNUSED;
	}
	if (avail < EVTX_CHUNK)
		return CHUNK_BAD;
	uint32_t crc = crc32_le(0, c, 120);
	crc = crc32_le(crc, c + 128, 384);
	uint32_t free_off = load_le32(c + 48);
	if (crc != load_le32(c + 124) || free_off < EVTX_CHUNK_RECORDS || free_off > EVTX_CHUNK ||
	    crc32_le(0, c + EVTX_CHUNK_RECORDS, free_off - EVTX_CHUNK_RECORDS) != load_le32(c + 52))
		return CHUNK_BAD;
	return CHUNK_GOOD;
}

static void check_chunks(const uint8_t *d, size_t len, struct evt_log *log, struct evtl_build *b)
{
	for (size_t off = EVTX_FILE_HEADER; off < len; off += EVTX_CHUNK) {
		size_t avail = len - off < EVTX_CHUNK ? len - off : EVTX_CHUNK;
		enum chunk_state st = chunk_state(d + off, avail);
		if (st == CHUNK_UNUSED)
			continue;
		log->chunks++;
		if (st == CHUNK_BAD) {
			log->chunks_bad++;
			if (avail >= 8 && memcmp(d + off, "ElfChnk", 8) == 0)
				note_bad_chunk(b, d + off, avail);
		}
	}
}

/* The log with its bad chunks zeroed (unused space to libevtx), for when
 * libevtx refuses the whole file over one of them. */
static uint8_t *without_bad_chunks(const uint8_t *d, size_t len)
{
	uint8_t *copy = xmalloc(len);
	memcpy(copy, d, len);
	for (size_t off = EVTX_FILE_HEADER; off < len; off += EVTX_CHUNK) {
		size_t avail = len - off < EVTX_CHUNK ? len - off : EVTX_CHUNK;
		if (chunk_state(d + off, avail) == CHUNK_BAD)
			memset(copy + off, 0, avail);
	}
	return copy;
}

/* ---- XML of one record ---- */

static xmlParserInputPtr no_entity(void *ctx, const xmlChar *publicId, const xmlChar *systemId)
{
	(void)ctx;
	(void)publicId;
	(void)systemId;
	return NULL;
}

static void no_subset(void *ctx, const xmlChar *name, const xmlChar *ExternalID, const xmlChar *SystemID)
{
	(void)ctx;
	(void)name;
	(void)ExternalID;
	(void)SystemID;
}

static void quiet(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static bool is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name && strcmp((const char *)n->name, name) == 0;
}

/* Text of n's text and CDATA children only: entity references are not
 * followed. */
static void node_text(const xmlNode *n, struct strbuf *out)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
		    out->len <= EVT_MAX_VALUE)
			strbuf_addstr(out, (const char *)c->content);
}

static char *attr(struct evtl_build *b, const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (a->name && strcmp((const char *)a->name, name) == 0) {
			struct strbuf s = STRBUF_INIT;
			node_text((const xmlNode *)a, &s);
			char *v = evtl_value(b, s.buf, s.len);
			strbuf_release(&s);
			return v;
		}
	return NULL;
}

static char *text_of(struct evtl_build *b, const xmlNode *n)
{
	struct strbuf s = STRBUF_INIT;
	node_text(n, &s);
	char *v = evtl_value(b, s.buf ? s.buf : "", s.len);
	strbuf_release(&s);
	return v;
}

static void set_once(char **dst, char *v)
{
	if (*dst)
		free(v);
	else
		*dst = v;
}

/* "2019-03-19T23:34:25.894341300Z" -> Unix seconds, or EVT_TIME_UNKNOWN */
static int64_t iso_time(const char *s)
{
	unsigned y, mo, d, h, mi, sec;
	char t;
	if (!s || sscanf(s, "%4u-%2u-%2u%c%2u:%2u:%2u", &y, &mo, &d, &t, &h, &mi, &sec) != 7 || t != 'T' ||
	    y < 1601 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return EVT_TIME_UNKNOWN;
	/* days from civil (proleptic Gregorian) */
	int64_t yy = (int64_t)y - (mo <= 2);
	int64_t era = yy / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return days * 86400 + h * 3600 + mi * 60 + sec;
}

struct xml_sys {
	int64_t time;           /* TimeCreated SystemTime */
	uint64_t record_id;     /* EventRecordID, 0 when absent */
};

static void xml_system(struct evtl_build *b, struct evt_record *r, const xmlNode *sys, struct xml_sys *xs)
{
	for (const xmlNode *n = sys->children; n; n = n->next) {
		if (is_el(n, "TimeCreated")) {
			char *v = attr(b, n, "SystemTime");
			xs->time = iso_time(v);
			free(v);
		} else if (is_el(n, "EventRecordID")) {
			char *v = text_of(b, n), *end;
			unsigned long long id = strtoull(v, &end, 10);
			if (end != v && !*end)
				xs->record_id = id;
			free(v);
		} else if (is_el(n, "Provider")) {
			char *v = attr(b, n, "Name");
			if (v)
				set_once(&r->provider, v);
		} else if (is_el(n, "EventID")) {
			char *v = text_of(b, n);
			r->event_id = (uint32_t)(strtoul(v, NULL, 10) & 0xFFFFu);
			free(v);
		} else if (is_el(n, "Channel")) {
			set_once(&r->channel, text_of(b, n));
		} else if (is_el(n, "Computer")) {
			set_once(&r->computer, text_of(b, n));
		} else if (is_el(n, "Security")) {
			char *v = attr(b, n, "UserID");
			if (v)
				set_once(&r->user_sid, v);
		}
	}
}

static bool has_child_element(const xmlNode *n)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

/* UserData (and EventData's non-Data items): each leaf element's name and
 * text, depth first. */
static void xml_leaves(struct evtl_build *b, struct evt_record *r, const xmlNode *n, int depth)
{
	if (depth > EVTX_XML_DEPTH)
		return;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (has_child_element(c)) {
			xml_leaves(b, r, c, depth + 1);
			continue;
		}
		struct strbuf s = STRBUF_INIT;
		node_text(c, &s);
		evtl_add_data(b, r, (const char *)c->name, s.buf ? s.buf : "", s.len);
		strbuf_release(&s);
	}
}

static void xml_eventdata(struct evtl_build *b, struct evt_record *r, const xmlNode *ed)
{
	for (const xmlNode *c = ed->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		struct strbuf s = STRBUF_INIT;
		node_text(c, &s);
		char *name = is_el(c, "Data") ? attr(b, c, "Name") : xstrdup((const char *)c->name);
		evtl_add_data(b, r, name ? name : "", s.buf ? s.buf : "", s.len);
		free(name);
		strbuf_release(&s);
	}
}

/* 0 when the XML gave the record its fields, -1 when it is not usable. */
static int record_from_xml(struct evtl_build *b, struct evt_record *r, const char *xml, size_t len)
{
	/* Never NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	if (len > EVTX_MAX_XML)
		return -1;
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return -1;
	ctxt->sax->resolveEntity = no_entity;
	ctxt->sax->externalSubset = no_subset;
	ctxt->sax->serror = quiet;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, "UTF-8", opts);
	const xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	int rc = -1;
	struct xml_sys xs = {.time = EVT_TIME_UNKNOWN};
	if (root && is_el(root, "Event")) {
		rc = 0;
		for (const xmlNode *n = root->children; n; n = n->next) {
			if (is_el(n, "System"))
				xml_system(b, r, n, &xs);
			else if (is_el(n, "EventData"))
				xml_eventdata(b, r, n);
			else if (is_el(n, "UserData"))
				xml_leaves(b, r, n, 0);
		}
	}
	/* Event Viewer shows the XML's EventRecordID; exported logs renumber
	 * the record headers and may leave their time 0. */
	if (rc == 0 && xs.record_id)
		r->record_id = xs.record_id;
	if (rc == 0 && r->time == EVT_TIME_UNKNOWN)
		r->time = xs.time;
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/* ---- records ---- */

typedef int (*utf8_size_fn)(libevtx_record_t *, size_t *, libevtx_error_t **);
typedef int (*utf8_get_fn)(libevtx_record_t *, uint8_t *, size_t, libevtx_error_t **);

static char *lib_string(struct evtl_build *b, libevtx_record_t *rec, utf8_size_fn size_fn, utf8_get_fn get_fn)
{
	size_t n = 0;
	libevtx_error_t *e = NULL;
	if (size_fn(rec, &n, &e) != 1 || n == 0 || n > EVTX_MAX_XML) {
		libevtx_error_free(&e);
		return NULL;
	}
	uint8_t *buf = xmalloc(n);
	if (get_fn(rec, buf, n, &e) != 1) {
		libevtx_error_free(&e);
		free(buf);
		return NULL;
	}
	buf[n - 1] = 0;
	char *v = evtl_value(b, (const char *)buf, strlen((const char *)buf));
	free(buf);
	return v;
}

/* What libevtx itself reads of a record whose XML is not usable. */
static void record_from_lib(struct evtl_build *b, struct evt_record *r, libevtx_record_t *rec)
{
	libevtx_error_t *e = NULL;
	uint32_t id = 0;
	if (libevtx_record_get_event_identifier(rec, &id, &e) == 1)
		r->event_id = id & 0xFFFFu;
	libevtx_error_free(&e);
	set_once(&r->provider, lib_string(b, rec, libevtx_record_get_utf8_source_name_size,
					  libevtx_record_get_utf8_source_name));
	set_once(&r->computer, lib_string(b, rec, libevtx_record_get_utf8_computer_name_size,
					  libevtx_record_get_utf8_computer_name));
	set_once(&r->user_sid, lib_string(b, rec, libevtx_record_get_utf8_user_security_identifier_size,
					  libevtx_record_get_utf8_user_security_identifier));
	int ns = 0;
	if (libevtx_record_get_number_of_strings(rec, &ns, &e) != 1)
		ns = 0;
	libevtx_error_free(&e);
	for (int i = 0; i < ns && i < 4096; i++) {
		size_t n = 0;
		if (libevtx_record_get_utf8_string_size(rec, i, &n, &e) != 1 || n == 0 || n > EVTX_MAX_XML) {
			libevtx_error_free(&e);
			continue;
		}
		uint8_t *buf = xmalloc(n);
		if (libevtx_record_get_utf8_string(rec, i, buf, n, &e) == 1) {
			buf[n - 1] = 0;
			evtl_add_data(b, r, "", (const char *)buf, strlen((const char *)buf));
		}
		libevtx_error_free(&e);
		free(buf);
	}
}

/* 0 when kept, -1 when libevtx cannot give the record's XML or identifier. */
static int read_record(struct evtl_build *b, struct evt_log *log, libevtx_record_t *rec, bool recovered)
{
	libevtx_error_t *e = NULL;
	uint64_t id = 0, ft = 0;
	size_t n = 0;
	if (libevtx_record_get_identifier(rec, &id, &e) != 1) {
		libevtx_error_free(&e);
		return -1;
	}
	if (libevtx_record_get_written_time(rec, &ft, &e) != 1)
		ft = 0;
	libevtx_error_free(&e);
	uint8_t *xml = NULL;
	if (libevtx_record_get_utf8_xml_string_size(rec, &n, &e) == 1 && n > 0 && n <= EVTX_MAX_XML) {
		xml = xmalloc(n);
		if (libevtx_record_get_utf8_xml_string(rec, xml, n, &e) != 1) {
			free(xml);
			xml = NULL;
		} else {
			xml[n - 1] = 0;
			n = strlen((const char *)xml);
		}
	}
	libevtx_error_free(&e);
	struct evt_record *r = evtl_add(b, log);
	if (!r) {
		free(xml);
		return 0;
	}
	r->record_id = id;
	r->time = evtl_filetime(ft);
	/* libevtx reads a chunk whose CRCs fail as if it were sound */
	r->recovered = recovered || in_bad_chunk(b, id);
	if (!xml || record_from_xml(b, r, (const char *)xml, n) != 0) {
		/* what the XML gave is dropped: the getters give it all again */
		for (size_t i = 0; i < r->ndata; i++) {
			free(r->data[i].name);
			free(r->data[i].value);
		}
		free(r->data);
		r->data = NULL;
		r->ndata = 0;
		record_from_lib(b, r, rec);
	}
	free(xml);
	evtl_finish_record(r);
	return 0;
}

static void read_records(struct evtl_build *b, struct evt_log *log, libevtx_file_t *f, bool recovered)
{
	libevtx_error_t *e = NULL;
	int count = 0;
	int rc = recovered ? libevtx_file_get_number_of_recovered_records(f, &count, &e)
			   : libevtx_file_get_number_of_records(f, &count, &e);
	libevtx_error_free(&e);
	if (rc != 1)
		return;
	for (int i = 0; i < count && !log->truncated; i++) {
		libevtx_record_t *rec = NULL;
		rc = recovered ? libevtx_file_get_recovered_record_by_index(f, i, &rec, &e)
			       : libevtx_file_get_record_by_index(f, i, &rec, &e);
		libevtx_error_free(&e);
		if (rc != 1 || !rec || read_record(b, log, rec, recovered) != 0) {
			/* slack holds pieces of overwritten records: not damage */
			if (!recovered)
				log->records_bad++;
		}
		libevtx_record_free(&rec, NULL);
	}
}

/* 1: read; 0: libevtx would not open it; -1: libevtx/libbfio not set up */
static int open_and_read(struct evtl_build *b, struct evt_log *out, const uint8_t *d, size_t len)
{
	libbfio_handle_t *io = evtl_bfio(d, len);
	libevtx_file_t *f = NULL;
	libevtx_error_t *e = NULL;
	int rc = 1;
	if (!io)
		return -1;
	if (libevtx_file_initialize(&f, &e) != 1) {
		libevtx_error_free(&e);
		libbfio_handle_free(&io, NULL);
		return -1;
	}
	if (libevtx_file_open_file_io_handle(f, io, LIBEVTX_OPEN_READ, &e) != 1) {
		libevtx_error_free(&e);
		rc = 0;
	} else {
		uint32_t flags = 0;
		if (libevtx_file_get_flags(f, &flags, &e) == 1) {
			out->dirty = (flags & LIBEVTX_FILE_FLAG_IS_DIRTY) != 0;
			out->full = (flags & LIBEVTX_FILE_FLAG_IS_FULL) != 0;
		}
		libevtx_error_free(&e);
		read_records(b, out, f, false);
		read_records(b, out, f, true);
		libevtx_file_close(f, NULL);
	}
	libevtx_file_free(&f, NULL);
	libbfio_handle_free(&io, NULL);
	return rc;
}

int evtx_parse(const uint8_t *d, size_t len, const char *name, struct evt_log *out, struct ks_err *err)
{
	struct evtl_build b;
	evtl_budget_init(&b, len);
	out->format = EVT_FORMAT_EVTX;
	b.header_bad = len < 128 || crc32_le(0, d, 120) != load_le32(d + 124);
	check_chunks(d, len, out, &b);
	if (b.nbad_ids)
		qsort(b.bad_ids, b.nbad_ids, sizeof(*b.bad_ids), cmp_u64);

	int rc = open_and_read(&b, out, d, len);
	if (rc == 0 && out->chunks_bad) {
		/* libevtx gives up on the whole file over a chunk whose offsets
		 * are impossible: the others are read without it */
		uint8_t *copy = without_bad_chunks(d, len);
		rc = open_and_read(&b, out, copy, len);
		free(copy);
	}
	free(b.bad_ids);
	if (rc < 0)
		return ks_fail(err, KS_EIO, "'%s': cannot set up libevtx", name);
	if (rc == 0)
		/* the signature was there: a damaged log, kept as such */
		b.open_failed = "libevtx could not open the log";
	evtl_damage(out, &b);
	return 0;
}
