/*
 * mkevtx - write a Windows event log (.evtx, or XP-era .evt) from a text
 * recipe, so that tests and sample images never commit a binary log.
 *
 *	mkevtx RECIPE OUT		(RECIPE "-": stdin)
 *
 * .evtx: a 4 KiB file header (CRC32 of bytes 0-119), 64 KiB chunks
 * ("ElfChnk", header CRC32 of bytes 0-119 and 128-511, records CRC32 at
 * offset 52), empty string and template tables, and records whose BinXML
 * is written with plain element/attribute/value tokens (no templates):
 * libevtx renders them as the XML Windows would show. .evt: the "LfLe"
 * header, records (source, computer, SID, positional strings: the data
 * values in order, names and userdata dropped) and the end-of-file record.
 *
 * Recipe: one statement a line; a line whose first non-blank is '#' is a
 * comment. In `data`/`userdata` the value is everything after the first
 * '=' (blanks kept); in `event` fields are KEY=VALUE, "..." quotes a value
 * with blanks.
 *
 *   format evtx|evt           (default evtx)
 *   channel NAME              Channel of the events that follow (default System)
 *   flags dirty|full...       file header flags
 *   event ID [provider=P] [time=YYYY-MM-DDTHH:MM:SSZ] [computer=C] [user=SID]
 *         [record=N] [qualifiers=N] [channel=NAME]
 *                             starts an event (records numbered from 1)
 *   data NAME=VALUE           an EventData <Data Name="NAME">VALUE</Data>;
 *   data =VALUE               one without a name (and every .evt string)
 *   datafill NAME CHAR COUNT  a Data item of COUNT times CHAR
 *   userdata ELEM NAME=VALUE  UserData/ELEM/NAME leaf (ELEM as the last
 *                             userdata line: the same element)
 *   repeat N                  N more copies of the last event (next record ids)
 *   chunk                     the events that follow start a new chunk
 *   leftover                  the events that follow, up to the next chunk,
 *                             lie past the chunk's free-space offset (as a
 *                             deleted record does: libevtx recovers them)
 *   corrupt-chunk N           after writing, break chunk N's header CRC
 *   corrupt-records N         after writing, break chunk N's records CRC
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 65536u
#define FILE_HDR 4096u

struct kv {
	char *name, *value;
};
struct event {
	unsigned id, qualifiers;
	bool has_qual;
	char *provider, *channel, *computer, *user;
	int64_t unix_time;
	uint64_t record;
	struct kv *data;
	size_t ndata;
	char *ud_elem;
	struct kv *ud;
	size_t nud;
	unsigned chunk;      /* forced chunk group */
	bool leftover;
};

static const char *recipe_name = "-";
static unsigned line_no;

__attribute__((format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mkevtx: %s:%u: ", recipe_name, line_no);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("mkevtx: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *dup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

/* ---- bytes ---------------------------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void b_grow(struct buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
}
static void b_add(struct buf *b, const void *d, size_t n)
{
	b_grow(b, n);
	memcpy(b->p + b->len, d, n);
	b->len += n;
}
static void b_u8(struct buf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;
	b_add(b, &c, 1);
}
static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static void b_u16(struct buf *b, unsigned v)
{
	b_grow(b, 2);
	put16(b->p + b->len, v);
	b->len += 2;
}
static void b_u32(struct buf *b, uint32_t v)
{
	b_grow(b, 4);
	put32(b->p + b->len, v);
	b->len += 4;
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* UTF-8 -> UTF-16LE code units appended to b; returns the unit count. */
static size_t b_utf16(struct buf *b, const char *s)
{
	size_t units = 0;
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		uint32_t c = *u++;
		int more = 0;
		if (c >= 0xf0) { c &= 7; more = 3; }
		else if (c >= 0xe0) { c &= 15; more = 2; }
		else if (c >= 0xc0) { c &= 31; more = 1; }
		for (; more && (*u & 0xc0) == 0x80; more--)
			c = c << 6 | (*u++ & 0x3f);
		if (c >= 0x10000) {
			c -= 0x10000;
			b_u16(b, 0xd800 | (c >> 10));
			b_u16(b, 0xdc00 | (c & 0x3ff));
			units += 2;
		} else {
			b_u16(b, c);
			units++;
		}
	}
	return units;
}

/* ---- BinXML ---------------------------------------------------------------- */

/* base: chunk offset of b->p[0], so inline names can point at themselves. */
struct bx {
	struct buf b;
	uint32_t base;
};

static void bx_name(struct bx *x, const char *name)
{
	struct buf u = {0};
	size_t n = b_utf16(&u, name);
	unsigned hash = 0;
	for (size_t i = 0; i < n; i++)
		hash = hash * 65599u + (unsigned)(u.p[2 * i] | u.p[2 * i + 1] << 8);
	b_u32(&x->b, x->base + (uint32_t)x->b.len + 4);  /* name follows inline */
	b_u32(&x->b, 0);                                  /* next string in hash chain */
	b_u16(&x->b, hash & 0xffff);
	b_u16(&x->b, (unsigned)n);
	b_add(&x->b, u.p, u.len);
	b_u16(&x->b, 0);
	free(u.p);
}

static void bx_text(struct bx *x, const char *s)
{
	struct buf u = {0};
	size_t n = b_utf16(&u, s);
	if (n > 0xffff)
		die("value longer than 65535 UTF-16 units");
	b_u8(&x->b, 0x05);
	b_u8(&x->b, 0x01);                                /* string value */
	b_u16(&x->b, (unsigned)n);
	b_add(&x->b, u.p, u.len);
	free(u.p);
}

/* Opens <name attr="val"...>; nattr pairs in attrs. Returns the offset of
 * the data-size field to patch in bx_close. */
static size_t bx_open(struct bx *x, const char *name, const char *const *attrs, size_t nattr)
{
	b_u8(&x->b, nattr ? 0x41 : 0x01);
	b_u16(&x->b, 0xffff);                             /* dependency id: none */
	size_t size_at = x->b.len;
	b_u32(&x->b, 0);
	bx_name(x, name);
	if (nattr) {
		size_t list_at = x->b.len;
		b_u32(&x->b, 0);
		for (size_t i = 0; i < nattr; i++) {
			b_u8(&x->b, i + 1 < nattr ? 0x46 : 0x06);
			bx_name(x, attrs[2 * i]);
			bx_text(x, attrs[2 * i + 1]);
		}
		put32(x->b.p + list_at, (uint32_t)(x->b.len - list_at - 4));
	}
	return size_at;
}

static void bx_close(struct bx *x, size_t size_at, bool empty)
{
	if (empty) {
		b_u8(&x->b, 0x03);
	} else {
		b_u8(&x->b, 0x04);
	}
	put32(x->b.p + size_at, (uint32_t)(x->b.len - size_at - 4));
}

/* <name attrs>text</name>, or <name attrs/> without text */
static void bx_leaf(struct bx *x, const char *name, const char *const *attrs, size_t nattr, const char *text)
{
	size_t at = bx_open(x, name, attrs, nattr);
	if (text) {
		b_u8(&x->b, 0x02);
		if (*text)
			bx_text(x, text);
	}
	bx_close(x, at, !text);
}

static void bx_start(struct bx *x, size_t *at, const char *name, const char *const *attrs, size_t nattr)
{
	*at = bx_open(x, name, attrs, nattr);
	b_u8(&x->b, 0x02);
}

static char *iso_time(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[64];
	gmtime_r(&tt, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
	return dup(s);
}

static void event_binxml(struct bx *x, const struct event *e)
{
	size_t ev, sys, ed;
	char num[32], rec[32];
	const char *xmlns[] = {"xmlns", "http://schemas.microsoft.com/win/2004/08/events/event"};

	b_u8(&x->b, 0x0f);                                /* fragment header 1.1 */
	b_u8(&x->b, 1);
	b_u8(&x->b, 1);
	b_u8(&x->b, 0);
	bx_start(x, &ev, "Event", xmlns, 1);
	bx_start(x, &sys, "System", NULL, 0);
	const char *prov[] = {"Name", e->provider};
	bx_leaf(x, "Provider", prov, 1, NULL);
	snprintf(num, sizeof num, "%u", e->qualifiers);
	const char *qual[] = {"Qualifiers", num};
	char id[16];
	snprintf(id, sizeof id, "%u", e->id);
	bx_leaf(x, "EventID", qual, e->has_qual ? 1 : 0, id);
	char *iso = iso_time(e->unix_time);
	const char *tc[] = {"SystemTime", iso};
	bx_leaf(x, "TimeCreated", tc, 1, NULL);
	free(iso);
	snprintf(rec, sizeof rec, "%llu", (unsigned long long)e->record);
	bx_leaf(x, "EventRecordID", NULL, 0, rec);
	bx_leaf(x, "Channel", NULL, 0, e->channel);
	bx_leaf(x, "Computer", NULL, 0, e->computer);
	const char *sec[] = {"UserID", e->user};
	bx_leaf(x, "Security", sec, *e->user ? 1 : 0, NULL);
	bx_close(x, sys, false);
	if (e->ud_elem) {
		size_t ud, el;
		const char *ns[] = {"xmlns", "http://manifests.microsoft.com/win/2004/08/windows/eventlog"};
		bx_start(x, &ud, "UserData", NULL, 0);
		bx_start(x, &el, e->ud_elem, ns, 1);
		for (size_t i = 0; i < e->nud; i++)
			bx_leaf(x, e->ud[i].name, NULL, 0, e->ud[i].value);
		bx_close(x, el, false);
		bx_close(x, ud, false);
	} else if (e->ndata) {
		bx_start(x, &ed, "EventData", NULL, 0);
		for (size_t i = 0; i < e->ndata; i++) {
			const char *dn[] = {"Name", e->data[i].name};
			bx_leaf(x, "Data", dn, *e->data[i].name ? 1 : 0, e->data[i].value);
		}
		bx_close(x, ed, false);
	}
	bx_close(x, ev, false);
	b_u8(&x->b, 0x00);                                /* end of stream */
}

/* ---- .evtx ----------------------------------------------------------------- */

static uint64_t filetime(int64_t t)
{
	return (uint64_t)(t + 11644473600LL) * 10000000u;
}

static void chunk_seal(uint8_t *c, uint64_t first, uint64_t last, uint32_t last_off, uint32_t free_off)
{
	memcpy(c, "ElfChnk", 8);
	put64(c + 8, first);
	put64(c + 16, last);
	put64(c + 24, first);
	put64(c + 32, last);
	put32(c + 40, 128);
	put32(c + 44, last_off);
	put32(c + 48, free_off);
	put32(c + 52, crc32(0, c + 512, free_off - 512));
	uint32_t crc = crc32(0, c, 120);
	crc = crc32(crc, c + 128, 384);
	put32(c + 124, crc);
}

static void write_evtx(FILE *out, struct event *ev, size_t nev, uint32_t flags, const int *corrupt, size_t ncorrupt)
{
	struct buf file = {0};
	b_grow(&file, FILE_HDR);
	memset(file.p, 0, FILE_HDR);
	file.len = FILE_HDR;
	unsigned nchunks = 0;
	size_t i = 0;
	uint64_t next_id = 1;
	while (i < nev || nchunks == 0) {
		uint8_t *c = calloc(1, CHUNK);
		uint32_t off = 512, last_off = 512, free_off = 0;
		uint64_t first = 0, last = 0;
		unsigned group = i < nev ? ev[i].chunk : 0;
		while (i < nev && ev[i].chunk == group) {
			struct bx x = {.base = off + 24};
			event_binxml(&x, &ev[i]);
			while ((x.b.len + 28) % 8)
				b_u8(&x.b, 0);
			uint32_t size = (uint32_t)x.b.len + 28;
			if (size > CHUNK - 512)
				die("event %zu does not fit in a chunk", i + 1);
			if (off + size > CHUNK) {     /* full: the rest goes on in the next chunk */
				free(x.b.p);
				if (ev[i].leftover)
					die("leftover events do not fit in the chunk");
				for (size_t k = i; k < nev && ev[k].chunk == group; k++)
					ev[k].chunk = group + 1000000;
				break;
			}
			if (ev[i].leftover && !free_off)
				free_off = off;
			memcpy(c + off, "**\0\0", 4);
			put32(c + off + 4, size);
			put64(c + off + 8, ev[i].record);
			put64(c + off + 16, filetime(ev[i].unix_time));
			memcpy(c + off + 24, x.b.p, x.b.len);
			put32(c + off + size - 4, size);
			free(x.b.p);
			if (!ev[i].leftover) {
				if (!first)
					first = ev[i].record;
				last = ev[i].record;
				last_off = off;
				if (ev[i].record >= next_id)
					next_id = ev[i].record + 1;
			}
			off += size;
			i++;
		}
		if (!free_off)
			free_off = off;
		chunk_seal(c, first, last, last_off, free_off);
		for (size_t k = 0; k < ncorrupt; k++) {
			if (corrupt[k] / 2 == (int)nchunks)
				c[corrupt[k] % 2 ? 52 : 124] ^= 0x5a;
		}
		b_add(&file, c, CHUNK);
		free(c);
		nchunks++;
	}
	uint8_t *h = file.p;
	memcpy(h, "ElfFile", 8);
	put64(h + 8, 0);
	put64(h + 16, nchunks - 1);
	put64(h + 24, next_id);
	put32(h + 32, 128);
	put16(h + 36, 1);
	put16(h + 38, 3);
	put16(h + 40, FILE_HDR);
	put16(h + 42, nchunks);
	put32(h + 120, flags);
	put32(h + 124, crc32(0, h, 120));
	if (fwrite(file.p, 1, file.len, out) != file.len)
		die("write: %s", strerror(errno));
	free(file.p);
}

/* ---- .evt ------------------------------------------------------------------ */

/* "S-1-5-21-1-2-3" -> binary SID appended to b; returns its length. */
static size_t b_sid(struct buf *b, const char *s)
{
	unsigned long long auth;
	unsigned long sub[15];
	int n = 0;
	const char *p = s + 4;
	char *end;
	if (strncmp(s, "S-1-", 4))
		die("bad SID '%s'", s);
	auth = strtoull(p, &end, 10);
	while (*end == '-' && n < 15) {
		sub[n++] = strtoul(end + 1, &end, 10);
	}
	b_u8(b, 1);
	b_u8(b, (unsigned)n);
	for (int i = 5; i >= 0; i--)
		b_u8(b, (unsigned)(auth >> (8 * i)));
	for (int i = 0; i < n; i++)
		b_u32(b, (uint32_t)sub[i]);
	return 8 + 4 * (size_t)n;
}

static void write_evt(FILE *out, const struct event *ev, size_t nev, uint32_t flags)
{
	struct buf f = {0};
	b_grow(&f, 48);
	memset(f.p, 0, 48);
	f.len = 48;
	uint32_t cur = 1, oldest = nev ? (uint32_t)ev[0].record : 1;
	for (size_t i = 0; i < nev; i++) {
		const struct event *e = &ev[i];
		struct buf r = {0};
		b_grow(&r, 56);
		memset(r.p, 0, 56);
		r.len = 56;
		b_utf16(&r, e->provider);
		b_u16(&r, 0);
		b_utf16(&r, e->computer);
		b_u16(&r, 0);
		while (r.len % 4)
			b_u8(&r, 0);
		size_t sid_off = r.len, sid_len = *e->user ? b_sid(&r, e->user) : 0;
		size_t str_off = r.len;
		for (size_t k = 0; k < e->ndata; k++) {
			b_utf16(&r, e->data[k].value);
			b_u16(&r, 0);
		}
		size_t data_off = r.len;
		while ((r.len + 4) % 4)
			b_u8(&r, 0);
		b_u32(&r, 0);
		uint32_t size = (uint32_t)r.len;
		uint8_t *p = r.p;
		put32(p, size);
		memcpy(p + 4, "LfLe", 4);
		put32(p + 8, (uint32_t)e->record);
		put32(p + 12, (uint32_t)e->unix_time);
		put32(p + 16, (uint32_t)e->unix_time);
		put32(p + 20, e->id | (e->qualifiers << 16));
		put16(p + 24, 4);                               /* information */
		put16(p + 26, (unsigned)e->ndata);
		put32(p + 32, 0);
		put32(p + 36, (uint32_t)str_off);
		put32(p + 40, (uint32_t)sid_len);
		put32(p + 44, sid_len ? (uint32_t)sid_off : 0);
		put32(p + 48, 0);
		put32(p + 52, (uint32_t)data_off);
		put32(p + size - 4, size);
		b_add(&f, r.p, r.len);
		free(r.p);
		if (e->record >= cur)
			cur = (uint32_t)e->record + 1;
	}
	uint32_t end_off = (uint32_t)f.len;
	b_u32(&f, 0x28);
	b_u32(&f, 0x11111111);
	b_u32(&f, 0x22222222);
	b_u32(&f, 0x33333333);
	b_u32(&f, 0x44444444);
	b_u32(&f, 48);
	b_u32(&f, end_off);
	b_u32(&f, cur);
	b_u32(&f, oldest);
	b_u32(&f, 0x28);
	uint8_t *h = f.p;
	put32(h, 48);
	memcpy(h + 4, "LfLe", 4);
	put32(h + 8, 1);
	put32(h + 12, 1);
	put32(h + 16, 48);
	put32(h + 20, end_off);
	put32(h + 24, cur);
	put32(h + 28, oldest);
	put32(h + 32, (uint32_t)f.len);
	/* .evt flags: dirty 1, wrapped 2, full 4 */
	put32(h + 36, (flags & 1) | (flags & 2 ? 4 : 0));
	put32(h + 40, 0);
	put32(h + 44, 48);
	if (fwrite(f.p, 1, f.len, out) != f.len)
		die("write: %s", strerror(errno));
	free(f.p);
}

/* ---- recipe ----------------------------------------------------------------- */

static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z")))
		die("bad time '%s' (YYYY-MM-DDTHH:MM:SSZ)", s);
	return (int64_t)timegm(&tm);
}

/* Next blank-separated field of *p, "..." quoting blanks; NULL at the end. */
static char *field(char **p)
{
	char *s = *p, *o;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	char *start = o = s;
	bool q = false;
	for (; *s && (q || (*s != ' ' && *s != '\t')); s++) {
		if (*s == '"')
			q = !q;
		else if (q && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
			*o++ = *++s;
		else
			*o++ = *s;
	}
	if (q)
		die("unterminated double quote");
	if (*s)
		s++;
	*o = 0;
	*p = s;
	return start;
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (!*s || *end || errno || v > max)
		die("bad number '%s'", s);
	return v;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fputs("usage: mkevtx RECIPE OUT\n", stderr);
		return 2;
	}
	recipe_name = argv[1];
	FILE *in = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	if (!in) {
		fprintf(stderr, "mkevtx: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct event *ev = NULL;
	size_t nev = 0;
	bool evt = false, leftover = false;
	uint32_t flags = 0;
	unsigned group = 0;
	uint64_t next_rec = 1;
	char *channel = dup("System");
	int corrupt[64];
	size_t ncorrupt = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, in)) >= 0) {
		line_no++;
		while (got && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = 0;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		char *kw = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		struct event *e = nev ? &ev[nev - 1] : NULL;
		if (!strcmp(kw, "format")) {
			if (!strcmp(p, "evt"))
				evt = true;
			else if (strcmp(p, "evtx"))
				die("format: evtx or evt");
		} else if (!strcmp(kw, "channel")) {
			if (!*p)
				die("usage: channel NAME");
			free(channel);
			channel = dup(p);
		} else if (!strcmp(kw, "flags")) {
			char *f;
			while ((f = field(&p))) {
				if (!strcmp(f, "dirty"))
					flags |= 1;
				else if (!strcmp(f, "full"))
					flags |= 2;
				else
					die("unknown flag '%s' (dirty, full)", f);
			}
		} else if (!strcmp(kw, "event")) {
			char *f = field(&p);
			if (!f)
				die("usage: event ID [KEY=VALUE...]");
			ev = xrealloc(ev, (nev + 1) * sizeof *ev);
			e = &ev[nev++];
			memset(e, 0, sizeof *e);
			e->id = (unsigned)num(f, 0xffff);
			e->provider = dup("Service Control Manager");
			e->channel = dup(channel);
			e->computer = dup("VENDOR-PC");
			e->user = dup("");
			e->unix_time = 1767323045;   /* 2026-01-02T03:04:05Z */
			e->record = next_rec;
			e->chunk = group;
			e->leftover = leftover;
			while ((f = field(&p))) {
				char *eq = strchr(f, '=');
				if (!eq)
					die("'%s' is not KEY=VALUE", f);
				*eq++ = 0;
				if (!strcmp(f, "provider")) { free(e->provider); e->provider = dup(eq); }
				else if (!strcmp(f, "channel")) { free(e->channel); e->channel = dup(eq); }
				else if (!strcmp(f, "computer")) { free(e->computer); e->computer = dup(eq); }
				else if (!strcmp(f, "user")) { free(e->user); e->user = dup(eq); }
				else if (!strcmp(f, "time")) e->unix_time = parse_time(eq);
				else if (!strcmp(f, "record")) e->record = num(eq, 0xffffffffUL);
				else if (!strcmp(f, "qualifiers")) { e->qualifiers = (unsigned)num(eq, 0xffff); e->has_qual = true; }
				else die("unknown event field '%s'", f);
			}
			next_rec = e->record + 1;
		} else if (!strcmp(kw, "data") || !strcmp(kw, "datafill")) {
			if (!e)
				die("'%s' before any event", kw);
			char *name, *value;
			if (!strcmp(kw, "datafill")) {
				name = field(&p);
				char *ch = field(&p), *cnt = field(&p);
				if (!name || !ch || !cnt || strlen(ch) != 1)
					die("usage: datafill NAME CHAR COUNT");
				size_t n = num(cnt, 1u << 28);
				value = xrealloc(NULL, n + 1);
				memset(value, *ch, n);
				value[n] = 0;
				name = dup(name);
			} else {
				char *eq = strchr(p, '=');
				name = dup(eq ? p : "");
				if (eq)
					name[eq - p] = 0;
				value = dup(eq ? eq + 1 : p);
			}
			e->data = xrealloc(e->data, (e->ndata + 1) * sizeof *e->data);
			e->data[e->ndata++] = (struct kv){name, value};
		} else if (!strcmp(kw, "userdata")) {
			if (!e)
				die("'userdata' before any event");
			char *el = field(&p);
			if (!el)
				die("usage: userdata ELEM NAME=VALUE");
			if (!e->ud_elem)
				e->ud_elem = dup(el);
			else if (strcmp(e->ud_elem, el))
				die("one UserData element per event");
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p) {
				char *eq = strchr(p, '=');
				if (!eq || eq == p)
					die("usage: userdata ELEM NAME=VALUE");
				*eq = 0;
				e->ud = xrealloc(e->ud, (e->nud + 1) * sizeof *e->ud);
				e->ud[e->nud++] = (struct kv){dup(p), dup(eq + 1)};
			}
		} else if (!strcmp(kw, "repeat")) {
			if (!e)
				die("'repeat' before any event");
			size_t n = num(p, 10000000);
			size_t base = nev - 1;
			ev = xrealloc(ev, (nev + n) * sizeof *ev);
			for (size_t k = 0; k < n; k++) {
				ev[nev] = ev[base];     /* strings shared: never freed */
				ev[nev].record = next_rec++;
				nev++;
			}
		} else if (!strcmp(kw, "chunk")) {
			group++;
			leftover = false;
		} else if (!strcmp(kw, "leftover")) {
			leftover = true;
		} else if (!strcmp(kw, "corrupt-chunk") || !strcmp(kw, "corrupt-records")) {
			if (ncorrupt == 64)
				die("too many corrupt lines");
			corrupt[ncorrupt++] = (int)num(p, 100000) * 2 + (kw[8] == 'r');
		} else {
			die("unknown keyword '%s'", kw);
		}
	}
	free(line);
	if (in != stdin)
		fclose(in);
	line_no = 0;
	FILE *out = fopen(argv[2], "wb");
	if (!out) {
		fprintf(stderr, "mkevtx: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (evt)
		write_evt(out, ev, nev, flags);
	else
		write_evtx(out, ev, nev, flags, corrupt, ncorrupt);
	if (fclose(out)) {
		fprintf(stderr, "mkevtx: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
