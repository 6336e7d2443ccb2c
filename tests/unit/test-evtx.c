/* Unit tests for the event-log parser (evtx.c, evt.c): logs are written at
 * test time by $KENSHU_TOOLS/mkevtx from recipes (no binary fixture is
 * committed), or byte by byte here for BinXML mkevtx would never write, and
 * parsed from exact-size heap copies, so any read past the end trips the
 * sanitizer. Hostile cases cut, forge and mutate headers, chunks, record
 * sizes and tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

#include "bytes.h"

#define CHUNK 65536u
#define HDR 4096u
#define MUTATIONS 1000

static char dir[] = "/tmp/kenshu-test-evtx-XXXXXX";
static unsigned nfixture;

struct blob {
	uint8_t *p;
	size_t size;
};

/* ---- fixtures ---- */

static struct blob build(const char *recipe)
{
	struct blob b;

	b.p = tool_fixture(dir, nfixture++, "mkevtx", false, recipe, &b.size);
	return b;
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* After a test edits chunk k: both its CRCs right again. */
static void reseal_chunk(struct blob *b, unsigned k)
{
	uint8_t *c = b->p + HDR + (size_t)k * CHUNK;
	uint32_t free_off = get32(c + 48);
	set32(c + 52, crc32(0, c + 512, free_off - 512));
	set32(c + 124, crc32(crc32(0, c, 120), c + 128, 384));
}

static void reseal_header(struct blob *b)
{
	set32(b->p + 124, crc32(0, b->p, 120));
}

/* Parses an exact-size copy of [p, p+n) and checks what the interface
 * promises whatever the bytes. */
static int parse(const void *p, size_t n, const char *name, struct evt_log *log, struct ks_err *err)
{
	uint8_t *copy = xmalloc(n ? n : 1);
	if (n)
		memcpy(copy, p, n);
	memset(err, 0, sizeof(*err));
	int rc = evt_log_parse(copy, n, name, log, err);
	free(copy);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_true(err->msg[0] != '\0');
		assert_null(log->rec);
		assert_int_equal(log->nrec, 0);
		return rc;
	}
	assert_true(log->nrec <= EVT_MAX_RECORDS);
	assert_true(log->chunks_bad <= log->chunks);
	for (size_t i = 0; i < log->nrec; i++) {
		const struct evt_record *r = &log->rec[i];
		assert_non_null(r->provider);
		assert_non_null(r->channel);
		assert_non_null(r->computer);
		assert_non_null(r->user_sid);
		assert_true(r->event_id <= 0xFFFF);
		for (size_t k = 0; k < r->ndata; k++) {
			assert_non_null(r->data[k].name);
			assert_non_null(r->data[k].value);
			assert_true(strlen(r->data[k].value) <= EVT_MAX_VALUE);
		}
	}
	return 0;
}

static struct evt_log parse_ok(const struct blob *b, const char *name)
{
	struct evt_log log;
	struct ks_err err;
	assert_int_equal(parse(b->p, b->size, name, &log, &err), 0);
	return log;
}

/* ---- records read right ---- */

static const char system_log[] =
	"# a System log\n"
	"channel System\n"
	"event 7045 provider=\"Service Control Manager\" time=2026-01-02T03:04:05Z computer=VENDOR-PC "
	"user=S-1-5-21-1-2-3-500 qualifiers=16384\n"
	"data ServiceName=EvilSvc\n"
	"data ImagePath=C:\\Users\\Public\\evil.exe -k  two  blanks\n"
	"data StartType=auto start\n"
	"event 104 provider=Microsoft-Windows-Eventlog time=2026-01-02T03:10:00Z computer=VENDOR-PC user=S-1-5-18 "
	"record=41\n"
	"userdata LogFileCleared SubjectUserName=admin\n"
	"userdata LogFileCleared Channel=System\n"
	"event 7036 provider=\"Service Control Manager\" time=1999-12-31T23:59:59Z\n"
	"data =positional one\n"
	"data =two\n";

static void test_system_fields(void **state)
{
	struct blob b = build(system_log);
	struct evt_log log = parse_ok(&b, "System.evtx");

	assert_int_equal(log.format, EVT_FORMAT_EVTX);
	assert_false(log.dirty);
	assert_false(log.full);
	assert_int_equal(log.chunks, 1);
	assert_int_equal(log.chunks_bad, 0);
	assert_int_equal(log.records_bad, 0);
	assert_false(log.truncated);
	assert_null(log.damage);
	assert_int_equal(log.nrec, 3);

	const struct evt_record *r = &log.rec[0];
	assert_int_equal(r->record_id, 1);
	assert_int_equal(r->event_id, 7045);   /* qualifiers 16384 not in it */
	assert_string_equal(r->provider, "Service Control Manager");
	assert_string_equal(r->channel, "System");
	assert_string_equal(r->computer, "VENDOR-PC");
	assert_string_equal(r->user_sid, "S-1-5-21-1-2-3-500");
	assert_int_equal(r->time, 1767323045);
	assert_false(r->recovered);
	assert_int_equal(r->ndata, 3);
	assert_string_equal(r->data[0].name, "ServiceName");
	assert_string_equal(r->data[0].value, "EvilSvc");
	assert_string_equal(evt_data_get(r, "ImagePath"), "C:\\Users\\Public\\evil.exe -k  two  blanks");
	assert_string_equal(evt_data_get(r, "StartType"), "auto start");
	assert_null(evt_data_get(r, "servicename"));   /* case-sensitive */
	assert_null(evt_data_get(r, "Missing"));

	r = &log.rec[1];
	assert_int_equal(r->record_id, 41);
	assert_int_equal(r->event_id, 104);
	assert_string_equal(r->provider, "Microsoft-Windows-Eventlog");
	assert_string_equal(r->user_sid, "S-1-5-18");
	assert_int_equal(r->time, 1767323400);
	assert_int_equal(r->ndata, 2);
	assert_string_equal(evt_data_get(r, "SubjectUserName"), "admin");
	assert_string_equal(evt_data_get(r, "Channel"), "System");

	r = &log.rec[2];
	assert_int_equal(r->record_id, 42);
	assert_int_equal(r->time, 946684799);
	assert_string_equal(r->user_sid, "");
	assert_string_equal(r->computer, "VENDOR-PC");
	assert_int_equal(r->ndata, 2);
	assert_string_equal(r->data[0].name, "");
	assert_string_equal(r->data[0].value, "positional one");
	assert_string_equal(r->data[1].value, "two");

	evt_log_release(&log);
	assert_null(log.rec);
	evt_log_release(&log);   /* twice is harmless */
	free(b.p);
}

static void test_non_ascii_and_markup(void **state)
{
	struct blob b = build("channel Microsoft-Windows-PowerShell/Operational\n"
			      "event 4104 provider=Microsoft-Windows-PowerShell computer=端末-01 user=S-1-5-18\n"
			      "data ScriptBlockText=Write-Host \"日本語\" & <b>'x'</b>\n"
			      "data Path=C:\\ユーザー\\a.ps1\n"
			      "data Emoji=😀\n");
	struct evt_log log = parse_ok(&b, "ps.evtx");
	assert_int_equal(log.nrec, 1);
	const struct evt_record *r = &log.rec[0];
	assert_string_equal(r->channel, "Microsoft-Windows-PowerShell/Operational");
	assert_string_equal(r->computer, "端末-01");
	assert_string_equal(evt_data_get(r, "ScriptBlockText"), "Write-Host \"日本語\" & <b>'x'</b>");
	assert_string_equal(evt_data_get(r, "Path"), "C:\\ユーザー\\a.ps1");
	/* libevtx 20181227 (libuna) decodes a surrogate pair to the wrong code
	 * point (U+1F600 comes out as U+1F201): only its shape is checked */
	const char *emoji = evt_data_get(r, "Emoji");
	assert_non_null(emoji);
	assert_int_equal(strlen(emoji), 4);
	assert_int_equal((unsigned char)emoji[0], 0xF0);
	evt_log_release(&log);
	free(b.p);
}

static void test_flags(void **state)
{
	struct blob b = build("flags dirty full\nevent 1 provider=X\n");
	struct evt_log log = parse_ok(&b, "x.evtx");
	assert_true(log.dirty);
	assert_true(log.full);
	assert_int_equal(log.nrec, 1);
	assert_string_equal(log.damage, "the log was not closed cleanly (dirty)");
	evt_log_release(&log);
	free(b.p);

	b = build("flags full\nevent 1 provider=X\n");
	log = parse_ok(&b, "x.evtx");
	assert_false(log.dirty);
	assert_true(log.full);
	assert_null(log.damage);
	evt_log_release(&log);
	free(b.p);
}

static void test_evt_format(void **state)
{
	static const char recipe[] = "format evt\n"
				     "event 7035 provider=\"Service Control Manager\" computer=OLDPC user=S-1-5-21-7-8-9-1001 "
				     "qualifiers=16384 time=2005-06-07T08:09:10Z\n"
				     "data =EvilSvc\n"
				     "data =running 日本語\n"
				     "event 6005 provider=EventLog record=9\n";
	struct blob b = build(recipe);
	static const char *const names[][2] = {
		{"SysEvent.Evt", "System"},
		{"C:/WINDOWS/system32/config/AppEvent.Evt", "Application"},
		{"secevent.evt", "Security"},
		{"Custom Log.evt", "Custom Log"},
		{"NoExt", "NoExt"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct evt_log log = parse_ok(&b, names[i][0]);
		assert_int_equal(log.format, EVT_FORMAT_EVT);
		assert_int_equal(log.chunks, 0);
		assert_int_equal(log.nrec, 2);
		assert_null(log.damage);
		const struct evt_record *r = &log.rec[0];
		assert_string_equal(r->channel, names[i][1]);
		assert_int_equal(r->record_id, 1);
		assert_int_equal(r->event_id, 7035);
		assert_string_equal(r->provider, "Service Control Manager");
		assert_string_equal(r->computer, "OLDPC");
		assert_string_equal(r->user_sid, "S-1-5-21-7-8-9-1001");
		assert_int_equal(r->time, 1118131750);
		assert_int_equal(r->ndata, 2);
		assert_string_equal(r->data[0].name, "");
		assert_string_equal(r->data[0].value, "EvilSvc");
		assert_string_equal(r->data[1].value, "running 日本語");
		assert_int_equal(log.rec[1].record_id, 9);
		assert_int_equal(log.rec[1].event_id, 6005);
		assert_string_equal(log.rec[1].user_sid, "");
		assert_int_equal(log.rec[1].ndata, 0);
		evt_log_release(&log);
	}
	free(b.p);

	b = build("format evt\nflags dirty\nevent 1 provider=X\n");
	struct evt_log log = parse_ok(&b, "SysEvent.Evt");
	assert_true(log.dirty);
	assert_string_equal(log.damage, "the log was not closed cleanly (dirty)");
	evt_log_release(&log);
	free(b.p);
}

static const char two_chunks[] = "event 7045 provider=\"Service Control Manager\"\n"
				 "data ServiceName=InBadChunk\n"
				 "event 7045 provider=\"Service Control Manager\"\n"
				 "data ServiceName=AlsoInBadChunk\n"
				 "chunk\n"
				 "event 104 provider=Microsoft-Windows-Eventlog\n"
				 "data Other=good\n";

static void test_bad_chunk_crc(void **state)
{
	const char *breaks[] = {"corrupt-chunk 0\n", "corrupt-records 0\n"};
	for (size_t k = 0; k < 2; k++) {
		char *recipe = xasprintf("%s%s", two_chunks, breaks[k]);
		struct blob b = build(recipe);
		assert_int_equal(b.size, HDR + 2 * CHUNK);
		struct evt_log log = parse_ok(&b, "System.evtx");
		assert_int_equal(log.chunks, 2);
		assert_int_equal(log.chunks_bad, 1);
		assert_string_equal(log.damage, "1 of 2 chunks failed their checksum");
		/* the sound chunk's record is read and not marked */
		bool good = false;
		for (size_t i = 0; i < log.nrec; i++) {
			const struct evt_record *r = &log.rec[i];
			if (r->event_id == 104) {
				good = true;
				assert_false(r->recovered);
				assert_string_equal(evt_data_get(r, "Other"), "good");
			} else {
				/* libevtx still reads the bad chunk: its records are marked */
				assert_int_equal(r->event_id, 7045);
				assert_true(r->recovered);
			}
		}
		assert_true(good);
		evt_log_release(&log);
		free(b.p);
		free(recipe);
	}
}

static void test_recovered_leftover(void **state)
{
	struct blob b = build("event 1 provider=Live\nleftover\nevent 2 provider=Deleted\ndata Gone=yes\n");
	struct evt_log log = parse_ok(&b, "x.evtx");
	assert_int_equal(log.nrec, 2);
	assert_int_equal(log.records_bad, 0);
	assert_null(log.damage);
	assert_string_equal(log.rec[0].provider, "Live");
	assert_false(log.rec[0].recovered);
	assert_string_equal(log.rec[1].provider, "Deleted");
	assert_true(log.rec[1].recovered);
	assert_string_equal(evt_data_get(&log.rec[1], "Gone"), "yes");
	evt_log_release(&log);
	free(b.p);
}

static void test_value_cap(void **state)
{
	struct blob b = build("format evt\nevent 1 provider=X\ndatafill Big A 1100000\ndata =after\n");
	struct evt_log log = parse_ok(&b, "AppEvent.evt");
	assert_int_equal(log.nrec, 1);
	assert_int_equal(log.rec[0].ndata, 2);
	assert_int_equal(strlen(log.rec[0].data[0].value), EVT_MAX_VALUE);
	assert_string_equal(log.rec[0].data[1].value, "after");
	assert_string_equal(log.damage, "1 value cut at 1048576 bytes");
	evt_log_release(&log);
	free(b.p);

	/* the longest value a 64 KiB chunk holds passes whole */
	b = build("event 1 provider=X\ndatafill Big B 30000\n");
	log = parse_ok(&b, "x.evtx");
	assert_int_equal(strlen(evt_data_get(&log.rec[0], "Big")), 30000);
	assert_null(log.damage);
	evt_log_release(&log);
	free(b.p);
}

/* Not timed: it must end, and every record is there. */
static void test_many_records(void **state)
{
	struct blob b = build("event 4624 provider=Microsoft-Windows-Security-Auditing\ndata LogonType=10\nrepeat 99999\n");
	struct evt_log log = parse_ok(&b, "Security.evtx");
	assert_int_equal(log.nrec, 100000);
	assert_true(log.chunks > 100);
	assert_int_equal(log.chunks_bad, 0);
	assert_int_equal(log.rec[99999].record_id, 100000);
	assert_string_equal(evt_data_get(&log.rec[99999], "LogonType"), "10");
	evt_log_release(&log);
	free(b.p);
}

/* ---- hostile ---- */

static void test_not_a_log(void **state)
{
	struct evt_log log;
	struct ks_err err;
	assert_int_equal(parse("", 0, "empty.evtx", &log, &err), -1);
	assert_non_null(strstr(err.msg, "too short"));
	assert_int_equal(parse("E", 1, "one.evtx", &log, &err), -1);
	assert_int_equal(parse("ElfFil", 6, "six.evtx", &log, &err), -1);
	static const char mz[64] = "MZ\x90\0 this is no event log";
	assert_int_equal(parse(mz, sizeof(mz), "fake.evtx", &log, &err), -1);
	assert_non_null(strstr(err.msg, "not an event log"));
	assert_non_null(strstr(err.msg, "fake.evtx"));
	assert_int_equal(parse(mz, sizeof(mz), NULL, &log, &err), -1);
}

static void test_truncated(void **state)
{
	struct blob b = build(two_chunks);
	/* every cut: a log (maybe empty, with damage), never a crash */
	const size_t cuts[] = {8, 9, 100, 127, 128, 4095, HDR, HDR + 8, HDR + 511, HDR + 600, HDR + 30000,
			       HDR + CHUNK - 1, HDR + CHUNK, HDR + CHUNK + 1000};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct evt_log log;
		struct ks_err err;
		assert_int_equal(parse(b.p, cuts[i], "cut.evtx", &log, &err), 0);
		if (cuts[i] < 128)
			assert_non_null(log.damage);
		if (cuts[i] > HDR + 8 && cuts[i] < HDR + CHUNK) {
			assert_int_equal(log.chunks_bad, 1);
			assert_non_null(strstr(log.damage, "chunks failed their checksum"));
		}
		if (cuts[i] == HDR + CHUNK)
			assert_int_equal(log.chunks_bad, 0);
		evt_log_release(&log);
	}
	free(b.p);

	b = build("format evt\nevent 1 provider=X\ndata =a\nevent 2 provider=Y\n");
	for (size_t n = 8; n < b.size; n += 7) {
		struct evt_log log;
		struct ks_err err;
		assert_int_equal(parse(b.p, n, "SysEvent.Evt", &log, &err), 0);
		assert_true(log.nrec <= 2);
		evt_log_release(&log);
	}
	free(b.p);
}

static void test_forged_header(void **state)
{
	struct blob b = build(two_chunks);
	/* chunk counts and numbers far past the file */
	set16(b.p + 42, 0xFFFF);
	set64(b.p + 16, UINT64_C(1) << 60);
	set64(b.p + 24, UINT64_MAX);
	reseal_header(&b);
	struct evt_log log = parse_ok(&b, "x.evtx");
	assert_int_equal(log.chunks, 2);
	evt_log_release(&log);

	/* a header CRC that fails is said */
	b.p[60] ^= 1;
	log = parse_ok(&b, "x.evtx");
	assert_non_null(log.damage);
	assert_non_null(strstr(log.damage, "the file header failed its checksum"));
	evt_log_release(&log);

	/* chunk header: record numbers and offsets outside the chunk */
	uint8_t *c = b.p + HDR;
	set64(c + 8, UINT64_MAX);
	set64(c + 16, 0);
	set32(c + 44, 0xFFFFFFF0u);
	set32(c + 48, 0xFFFFFFF0u);
	set32(c + 124, crc32(crc32(0, c, 120), c + 128, 384));
	log = parse_ok(&b, "x.evtx");
	assert_int_equal(log.chunks_bad, 1);
	/* libevtx refuses the whole file over that chunk: the other one is
	 * still read (from a copy without it) */
	assert_int_equal(log.nrec, 1);
	assert_int_equal(log.rec[0].event_id, 104);
	assert_false(log.rec[0].recovered);
	assert_string_equal(log.damage, "the file header failed its checksum; 1 of 2 chunks failed their checksum");
	evt_log_release(&log);
	free(b.p);
}

static void test_record_sizes(void **state)
{
	const uint32_t sizes[] = {0, 1, 27, 28, 29, CHUNK, CHUNK * 2, 0xFFFFFFFFu};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct blob b = build(two_chunks);
		set32(b.p + HDR + 512 + 4, sizes[i]);
		reseal_chunk(&b, 0);
		struct evt_log log = parse_ok(&b, "x.evtx");
		/* the other chunk's record is always there */
		bool good = false;
		for (size_t k = 0; k < log.nrec; k++)
			good |= log.rec[k].event_id == 104;
		assert_true(good);
		evt_log_release(&log);
		free(b.p);
	}
}

/* A one-chunk log around one record of raw BinXML (x is chunk-relative at
 * offset 512 + 24). */
static struct blob raw_log(const struct buf *x)
{
	struct blob b;
	uint32_t size = (uint32_t)(24 + x->len + 4);
	assert_true(512 + size <= CHUNK);
	b.size = HDR + CHUNK;
	b.p = xcalloc(1, b.size);
	memcpy(b.p, "ElfFile", 8);
	set64(b.p + 16, 0);
	set64(b.p + 24, 2);
	set32(b.p + 32, 128);
	set16(b.p + 36, 1);
	set16(b.p + 38, 3);
	set16(b.p + 40, HDR);
	set16(b.p + 42, 1);
	reseal_header(&b);
	uint8_t *c = b.p + HDR;
	memcpy(c, "ElfChnk", 8);
	set64(c + 8, 1);
	set64(c + 16, 1);
	set64(c + 24, 1);
	set64(c + 32, 1);
	set32(c + 40, 128);
	set32(c + 44, 512);
	set32(c + 48, 512 + size);
	uint8_t *r = c + 512;
	memcpy(r, "**\0\0", 4);
	set32(r + 4, size);
	set64(r + 8, 1);
	set64(r + 16, UINT64_C(133000000000000000));
	memcpy(r + 24, x->p, x->len);
	set32(r + size - 4, size);
	reseal_chunk(&b, 0);
	return b;
}

#define bx_u8(x, v) put8(x, (uint8_t)(v))
#define bx_u16(x, v) put16(x, (uint16_t)(v))
#define bx_u32(x, v) put32(x, (uint32_t)(v))

/* open element "E" whose name is inline at its first use (name_at 0) or
 * refers back to name_at */
static uint32_t bx_open(struct buf *x, uint32_t name_at)
{
	bx_u8(x, 0x01);
	bx_u16(x, 0xFFFF);
	bx_u32(x, 0x100);   /* data size: not what libevtx walks by */
	uint32_t here = (uint32_t)(512 + 24 + x->len + 4);
	if (name_at) {
		bx_u32(x, name_at);
		return name_at;
	}
	bx_u32(x, here);
	bx_u32(x, 0);
	bx_u16(x, 'E');
	bx_u16(x, 1);
	bx_u16(x, 'E');
	bx_u16(x, 0);
	return here;
}

static void test_binxml_hostile(void **state)
{
	/* deep nesting */
	for (unsigned depth = 10; depth <= 5000; depth *= 10) {
		struct buf x = {0};
		bx_u8(&x, 0x0f), bx_u8(&x, 1), bx_u8(&x, 1), bx_u8(&x, 0);
		uint32_t name = 0;
		for (unsigned i = 0; i < depth && x.len < CHUNK - 2048; i++) {
			name = bx_open(&x, name);
			bx_u8(&x, 0x02);
		}
		for (unsigned i = 0; i < depth; i++)
			bx_u8(&x, 0x04);
		bx_u8(&x, 0x00);
		struct blob b = raw_log(&x);
		struct evt_log log = parse_ok(&b, "deep.evtx");
		assert_int_equal(log.nrec + log.records_bad, 1);
		evt_log_release(&log);
		free(b.p);
		free(x.p);
	}
	/* every token byte after a valid start, and names pointing anywhere */
	for (unsigned tok = 0; tok < 256; tok++) {
		struct buf x = {0};
		bx_u8(&x, 0x0f), bx_u8(&x, 1), bx_u8(&x, 1), bx_u8(&x, 0);
		bx_open(&x, 0);
		bx_u8(&x, 0x02);
		bx_u8(&x, tok);
		bx_u32(&x, tok * 0x01010101u);
		bx_u32(&x, 0xFFFFFFFFu);
		bx_u8(&x, 0x04);
		bx_u8(&x, 0x00);
		struct blob b = raw_log(&x);
		struct evt_log log = parse_ok(&b, "tok.evtx");
		assert_true(log.nrec + log.records_bad <= 1);
		evt_log_release(&log);
		free(b.p);
		free(x.p);
	}
	for (uint32_t at = 0; at < CHUNK + 16; at += 4093) {
		struct buf x = {0};
		bx_u8(&x, 0x0f), bx_u8(&x, 1), bx_u8(&x, 1), bx_u8(&x, 0);
		bx_open(&x, at ? at : 1);
		bx_u8(&x, 0x03);
		bx_u8(&x, 0x00);
		struct blob b = raw_log(&x);
		struct evt_log log = parse_ok(&b, "name.evtx");
		evt_log_release(&log);
		free(b.p);
		free(x.p);
	}
}

/* Random bytes flipped anywhere past the signature: a log each time. */
static void test_mutations(void **state)
{
	struct blob b = build(system_log);
	struct blob e = build("format evt\nevent 1 provider=X user=S-1-5-18\ndata =a\nevent 2 provider=Y\ndata =b\n");
	uint64_t seed = 0x5eed0e7;
	for (unsigned i = 0; i < MUTATIONS; i++) {
		const struct blob *src = i % 3 == 2 ? &e : &b;
		uint8_t *m = xmalloc(src->size);
		memcpy(m, src->p, src->size);
		unsigned flips = 1 + (unsigned)(xorshift64(&seed) % 8);
		for (unsigned k = 0; k < flips; k++) {
			/* header, chunk header and records: where the structure is */
			size_t at = src == &b && k % 2 ? HDR + xorshift64(&seed) % 2048 : xorshift64(&seed) % src->size;
			if (at < 8)
				at += 8;
			m[at] = (uint8_t)xorshift64(&seed);
		}
		struct evt_log log;
		struct ks_err err;
		assert_int_equal(parse(m, src->size, "m.evtx", &log, &err), 0);
		evt_log_release(&log);
		free(m);
	}
	free(b.p);
	free(e.p);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_fields),
		cmocka_unit_test(test_non_ascii_and_markup),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_evt_format),
		cmocka_unit_test(test_bad_chunk_crc),
		cmocka_unit_test(test_recovered_leftover),
		cmocka_unit_test(test_value_cap),
		cmocka_unit_test(test_many_records),
		cmocka_unit_test(test_not_a_log),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_forged_header),
		cmocka_unit_test(test_record_sizes),
		cmocka_unit_test(test_binxml_hostile),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
