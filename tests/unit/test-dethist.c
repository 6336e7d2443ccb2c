/* Defender's detection history: the parser (artifacts/dethist.c) over
 * files built here value by value (round trips: resources, tracking data
 * with and without its header, the optional block that moves the user and
 * times, the Server 2016 layout without the first separator), hostile
 * files (truncated, sizes past the end, wrong types, non-terminated
 * UTF-16, huge counts and values), then the evidence (placing resources in
 * the volume, the order) and the rule defender-history (file still there
 * or gone). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/evidence.h>
#include <kenshu/profile.h>
#include <kenshu/policy.h>
#include <kenshu/report.h>
#include "bytes.h"
#include "policy-test.h"

static char dir[] = "/tmp/kenshu-test-dethist-XXXXXX";

#define FT_2024 133537464000000000ull     /* 2024-03-01T06:00:00Z */
#define SHA "275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F"

static void pad8(struct buf *b)
{
	while (b->len % 8)
		put8(b, 0);
}

static void value(struct buf *b, uint32_t type, const void *d, size_t n)
{
	put32(b, (uint32_t)n);
	put32(b, type);
	put(b, d, n);
	pad8(b);
}

static void v32(struct buf *b, uint32_t x)
{
	uint8_t t[4];
	set32(t, x);
	value(b, 6, t, 4);
}

static void v64(struct buf *b, uint32_t type, uint64_t x)
{
	uint8_t t[8];
	set64(t, x);
	value(b, type, t, 8);
}

static void vstr(struct buf *b, const char *s)
{
	struct buf t = { 0 };
	put_utf16(&t, s, true);
	value(b, 0x15, t.p, t.len);
	free(t.p);
}

static const uint8_t guid[16] = { 0xCF, 0xE9, 0xBB, 0x94, 0xEB, 0xCD, 0x85, 0x48,
				  0x91, 0x78, 0xCC, 0x93, 0xFB, 0x10, 0x82, 0x2D };

static void tkey(struct buf *t, const char *k, uint32_t type)
{
	put32(t, (uint32_t)(2 * strlen(k) + 2));
	put_utf16(t, k, true);
	put32(t, type);
}

static void tracking(struct buf *b, bool header)
{
	struct buf v = { 0 }, t = { 0 };
	uint8_t x[8];

	tkey(&v, "ThreatTrackingSha256", 6);
	put32(&v, 2 * 64 + 2);
	put_utf16(&v, SHA, true);
	tkey(&v, "ThreatTrackingSize", 4);
	set64(x, 68);
	put(&v, x, 8);
	tkey(&v, "ThreatTrackingStartTime", 4);
	set64(x, FT_2024 - 10000000);
	put(&v, x, 8);
	tkey(&v, "ThreatTrackingIsEsuSig", 5);
	put8(&v, 0);
	tkey(&v, "ThreatTrackingResearchData", 7);
	put32(&v, 1);
	put8(&v, 9);
	if (header) {
		put32(&t, 1);
		put32(&t, 20);
		put32(&t, (uint32_t)v.len);
		put32(&t, (uint32_t)(24 + v.len));
		put32(&t, 0);
		put32(&t, (uint32_t)v.len);
	} else {
		put32(&t, (uint32_t)(4 + v.len));
	}
	put(&t, v.p, v.len);
	v32(b, (uint32_t)t.len);
	value(b, 0x28, t.p, t.len);
	free(v.p);
	free(t.p);
}

struct shape {
	bool magic, header, extra, state;
	unsigned nres;
};

/* A file as Defender writes one (layout: artifacts.h, "dethist"). */
static struct buf build(struct shape s)
{
	struct buf b = { 0 };

	v64(&b, 8, 2147519003u);
	value(&b, 0x1E, guid, 16);
	if (s.magic)
		vstr(&b, "Magic.Version:1.2");
	vstr(&b, "Virus:DOS/EICAR_Test_File");
	v32(&b, 0);
	v32(&b, 5);
	v32(&b, 42);
	for (int i = 0; i < 5; i++)
		v32(&b, 1);
	v32(&b, s.nres);
	for (unsigned r = 0; r < s.nres; r++) {
		vstr(&b, "Magic.Version:1.2");
		vstr(&b, r == 0 ? "file" : "containerfile");
		vstr(&b, r == 0 ? "C:\\Users\\Public\\Downloads\\eicar.com" : "C:\\Users\\Public\\a.zip->(Zip)x.com");
		v32(&b, 0);
		tracking(&b, s.header);
		if (!s.state || r + 1 < s.nres)
			continue;
		v64(&b, 0x0A, FT_2024 + 1);
		v32(&b, 0);
		v32(&b, 0);
		value(&b, 0x1E, guid, 16);
		v32(&b, 0);
		if (s.extra) {
			vstr(&b, "x1");
			vstr(&b, "x2");
			v32(&b, 0);
			v32(&b, 0);
			vstr(&b, "x3");
			vstr(&b, "x4");
		}
		v32(&b, 2);
		vstr(&b, "PLANT\\operator");
		v32(&b, 2);
		vstr(&b, "C:\\Windows\\explorer.exe");
		v32(&b, 2);
		v32(&b, 0);
		v32(&b, 0);
		v64(&b, 0x0A, FT_2024);
		v32(&b, 0);
		v64(&b, 0x0A, FT_2024 + 150000000ull);
		v32(&b, 0);
		v32(&b, 0);
	}
	return b;
}

static void check_full(const struct dh_record *r, unsigned nres)
{
	char t[24];

	assert_int_equal(r->threat_id, 2147519003u);
	assert_string_equal(r->detection_id, "{94BBE9CF-CDEB-4885-9178-CC93FB10822D}");
	assert_string_equal(r->threat, "Virus:DOS/EICAR_Test_File");
	assert_true(r->has_category);
	assert_int_equal(r->category, 42);
	assert_string_equal(r->category_name, "VIRUS");
	assert_int_equal(r->nres, nres);
	assert_string_equal(r->res[0].type, "file");
	assert_string_equal(r->res[0].location, "C:\\Users\\Public\\Downloads\\eicar.com");
	assert_string_equal(r->res[0].sha256, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
	assert_true(r->res[0].has_size);
	assert_int_equal(r->res[0].size, 68);
	assert_int_equal(r->res[0].tracking_start, FT_2024 - 10000000);
	assert_string_equal(r->user, "PLANT\\operator");
	assert_string_equal(r->process, "C:\\Windows\\explorer.exe");
	assert_int_equal(r->initial_time, FT_2024);
	assert_int_equal(r->change_time, FT_2024 + 1);
	assert_int_equal(r->remediation_time, FT_2024 + 150000000ull);
	quar_filetime_iso(dh_time(r), t, sizeof(t));
	assert_string_equal(t, "2024-03-01T06:00:00Z");
	assert_string_equal(r->damage, "");
	assert_false(r->truncated);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *d = xmalloc(1u << 20);

	assert_non_null(f);
	*n = fread(d, 1, 1u << 20, f);
	fclose(f);
	return d;
}

static void round_trips(void **state)
{
	struct dh_record r;
	struct ks_err err;
	struct buf b;
	(void)state;

	for (int v = 0; v < 4; v++) {
		struct shape s = { true, v & 1, v & 2, true, v ? 2 : 1 };
		b = build(s);
		assert_int_equal(dh_parse(b.p, b.len, &r, &err), 0);
		check_full(&r, s.nres);
		if (s.nres == 2) {
			assert_string_equal(r.res[1].type, "containerfile");
			assert_string_equal(r.res[1].sha256, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
		}
		dh_record_release(&r);
		free(b.p);
	}
	/* Server 2016: no separator before the threat */
	b = build((struct shape){ false, false, false, true, 1 });
	assert_int_equal(dh_parse(b.p, b.len, &r, &err), 0);
	check_full(&r, 1);
	dh_record_release(&r);
	free(b.p);
	/* no state: the time is the tracking start, no user */
	b = build((struct shape){ true, false, false, false, 1 });
	assert_int_equal(dh_parse(b.p, b.len, &r, &err), 0);
	assert_null(r.user);
	assert_null(r.process);
	assert_int_equal(dh_time(&r), FT_2024 - 10000000);
	dh_record_release(&r);
	free(b.p);
}

/* The fixture tool writes what the parser reads. */
static void mkdethist_file(void **state)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char *out = xasprintf("%s/mk", dir), *cmd;
	uint8_t *data;
	size_t n;
	struct dh_record r;
	struct ks_err err;
	(void)state;

	cmd = xasprintf("'%s/mkdethist' -extra -header -user 'D\\u' -sha256 %s '%s' 'HackTool:Win32/Mimikatz' "
			"'file:_C:\\Tools\\m.exe' 'webfile:_C:\\Tools\\m.exe|https://x/m.exe|pid:4'",
			tools ? tools : "build/tools", SHA, out);
	assert_int_equal(system(cmd), 0);
	data = slurp(out, &n);
	assert_int_equal(dh_parse(data, n, &r, &err), 0);
	assert_string_equal(r.threat, "HackTool:Win32/Mimikatz");
	assert_int_equal(r.nres, 2);
	assert_string_equal(r.res[1].location, "C:\\Tools\\m.exe|https://x/m.exe|pid:4");
	assert_string_equal(r.user, "D\\u");
	assert_string_equal(r.process, "C:\\Windows\\explorer.exe");
	assert_int_equal(r.initial_time, FT_2024);
	dh_record_release(&r);
	free(data);
	free(cmd);
	free(out);
}

static void hostile(void **state)
{
	struct dh_record r;
	struct ks_err err;
	struct buf b = build((struct shape){ true, true, true, true, 2 });
	uint8_t *c;
	(void)state;

	/* every truncation: never a crash; before the GUID is whole, refused */
	for (size_t n = 0; n <= b.len; n++) {
		int rc = dh_parse(b.p, n, &r, &err);
		if (n < 40)
			assert_int_equal(rc, -1);
		else
			assert_int_equal(rc, 0);
		if (rc == 0 && n < b.len && n % 8)
			assert_true(r.damage[0] != '\0' || r.nres <= 2);
		dh_record_release(&r);
	}
	/* a size past the end stops the walk there, named in damage */
	c = malloc(b.len);
	memcpy(c, b.p, b.len);
	set32(c + 40, 0xFFFFFFF0u);
	assert_int_equal(dh_parse(c, b.len, &r, &err), 0);
	assert_non_null(strstr(r.damage, "runs past the end"));
	assert_string_equal(r.threat, "");
	assert_int_equal(r.nres, 0);
	dh_record_release(&r);
	/* wrong types at the start: not a detection history file */
	memcpy(c, b.p, b.len);
	set32(c + 4, 6);
	assert_int_equal(dh_parse(c, b.len, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not a Defender detection history"));
	memcpy(c, b.p, b.len);
	set32(c + 20, 0x15);
	assert_int_equal(dh_parse(c, b.len, &r, &err), -1);
	free(c);
	free(b.p);

	/* a threat name as an integer, a category as a string: left out */
	b = (struct buf){ 0 };
	v64(&b, 8, 1);
	value(&b, 0x1E, guid, 16);
	vstr(&b, "Magic.Version:1.2");
	v32(&b, 7);
	v32(&b, 0);
	v32(&b, 0);
	vstr(&b, "42");
	assert_int_equal(dh_parse(b.p, b.len, &r, &err), 0);
	assert_string_equal(r.threat, "");
	assert_false(r.has_category);
	dh_record_release(&r);
	/* a resource whose strings are not terminated: the whole value is the
	 * text, nothing read past it; a tracking blob of hostile sizes */
	vstr(&b, "Magic.Version:1.2");
	{
		struct buf t = { 0 };
		put_utf16(&t, "file", false);
		value(&b, 0x15, t.p, t.len);
		t.len = 0;
		put_utf16(&t, "C:\\x.exe", false);
		put8(&t, 'Z');    /* an odd byte */
		value(&b, 0x15, t.p, t.len);
		v32(&b, 0);
		v32(&b, 99);
		t.len = 0;
		put32(&t, 0xFFFFFFFFu);      /* a total size past the blob */
		put32(&t, 0x7FFFFFFFu);      /* a key size past it */
		value(&b, 0x28, t.p, t.len);
		free(t.p);
	}
	assert_int_equal(dh_parse(b.p, b.len, &r, &err), 0);
	assert_int_equal(r.nres, 1);
	assert_string_equal(r.res[0].type, "file");
	assert_string_equal(r.res[0].location, "C:\\x.exe");
	assert_non_null(strstr(r.damage, "threat tracking key"));
	dh_record_release(&r);
	free(b.p);

	/* tracking: an unknown type, a header past its data, a string size past it */
	{
		static const struct { uint32_t w[8]; size_t n; const char *want; } tt[] = {
			{ { 1, 0x7FFFFFF0u, 0, 0, 0 }, 20, "header size" },
			{ { 1, 20 }, 8, "header is cut short" },
			{ { 16, 0, 0, 0 }, 16, "unknown type 0" },
		};
		for (size_t i = 0; i < sizeof(tt) / sizeof(tt[0]); i++) {
			struct buf t = { 0 };
			b = (struct buf){ 0 };
			v64(&b, 8, 1);
			value(&b, 0x1E, guid, 16);
			vstr(&b, "Magic.Version:1.2");
			vstr(&b, "T");
			vstr(&b, "Magic.Version:1.2");
			vstr(&b, "file");
			vstr(&b, "C:\\y");
			v32(&b, 0);
			v32(&b, 0);
			for (size_t k = 0; k < tt[i].n / 4; k++)
				put32(&t, tt[i].w[k]);
			value(&b, 0x28, t.p, t.len);
			assert_int_equal(dh_parse(b.p, b.len, &r, &err), 0);
			assert_non_null(strstr(r.damage, tt[i].want));
			dh_record_release(&r);
			free(t.p);
			free(b.p);
		}
	}

	/* huge counts: more values and resources than the caps */
	b = (struct buf){ 0 };
	v64(&b, 8, 1);
	value(&b, 0x1E, guid, 16);
	vstr(&b, "Magic.Version:1.2");
	vstr(&b, "T");
	for (unsigned i = 0; i < DH_MAX_RESOURCES + 10; i++) {
		vstr(&b, "Magic.Version:1.2");
		vstr(&b, "file");
	}
	assert_int_equal(dh_parse(b.p, b.len, &r, &err), 0);
	assert_int_equal(r.nres, DH_MAX_RESOURCES);
	assert_true(r.truncated);
	dh_record_release(&r);
	while (b.len < (size_t)(DH_MAX_VALUES + 100) * 16)
		v32(&b, 0);
	assert_int_equal(dh_parse(b.p, b.len, &r, &err), 0);
	assert_true(r.truncated);
	dh_record_release(&r);
	free(b.p);

	/* a string longer than DH_MAX_TEXT is cut there */
	b = (struct buf){ 0 };
	v64(&b, 8, 1);
	value(&b, 0x1E, guid, 16);
	vstr(&b, "Magic.Version:1.2");
	{
		char *big = xmalloc(DH_MAX_TEXT + 100);
		memset(big, 'A', DH_MAX_TEXT + 99);
		big[DH_MAX_TEXT + 99] = '\0';
		vstr(&b, big);
		free(big);
	}
	assert_int_equal(dh_parse(b.p, b.len, &r, &err), 0);
	assert_int_equal(strlen(r.threat), DH_MAX_TEXT);
	dh_record_release(&r);
	free(b.p);
}

static void evidence(void **state)
{
	struct os_defender d;
	struct buf b = build((struct shape){ true, false, false, true, 2 });
	struct buf old = build((struct shape){ true, false, false, false, 1 });
	(void)state;

	memset(&d, 0, sizeof(d));
	assert_true(defender_is_detection_history(
		"/ProgramData/Microsoft/Windows Defender/Scans/History/Service/DetectionHistory/02/94BBE9CF-CDEB-4885-9178-CC93FB10822D"));
	assert_true(defender_is_detection_history(
		"/programdata/microsoft/windows defender/scans/history/service/detectionhistory/00/x"));
	assert_false(defender_is_detection_history(
		"/ProgramData/Microsoft/Windows Defender/Scans/History/Service/DetectionHistory/02"));
	assert_false(defender_is_detection_history(
		"/ProgramData/Microsoft/Windows Defender/Scans/History/Service/DetectionHistory/02/a/b"));
	assert_false(defender_is_detection_history("/ProgramData/Microsoft/Windows Defender/Scans/mpcache-1.bin"));

	set64(old.p + 8, 7);   /* another threat id; its time is the tracking start, older */
	defender_history_add(&d, "/DH/00/old", old.p, old.len);
	defender_history_add(&d, "/DH/02/new", b.p, b.len);
	defender_history_add(&d, "/DH/03/junk", "not one", 7);
	defender_history_finish(&d);
	assert_int_equal(d.nhist, 2);
	assert_string_equal(d.hist[0].file, "/DH/02/new");
	assert_string_equal(d.hist[0].time, "2024-03-01T06:00:00Z");
	assert_string_equal(d.hist[0].remediated, "2024-03-01T06:00:15Z");
	assert_string_equal(d.hist[0].category, "VIRUS");
	assert_string_equal(d.hist[0].user, "PLANT\\operator");
	assert_int_equal(d.hist[0].nres, 2);
	assert_string_equal(d.hist[0].res[0].path, "/Users/Public/Downloads/eicar.com");
	assert_string_equal(d.hist[0].res[1].path, "/Users/Public/a.zip");
	assert_string_equal(d.hist[1].file, "/DH/00/old");
	assert_string_equal(d.hist[1].time, "2024-03-01T05:59:59Z");
	assert_int_equal(d.nhist_errors, 1);
	assert_non_null(strstr(d.hist_errors[0], "/DH/03/junk: not a Defender detection history"));
	defender_release(&d);
	free(b.p);
	free(old.p);
}

static void fill(struct report *r, bool present)
{
	struct os_info os;
	struct buf b = build((struct shape){ true, false, false, true, 1 });

	report_init(r);
	strcpy(r->started, "2026-12-08T10:00:00Z");
	r->nvol = 1;
	r->vol = xcalloc(1, sizeof(*r->vol));
	r->vol[0].scanned = true;
	memset(&os, 0, sizeof(os));
	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	os.family = xstrdup("Windows 10");
	report_add_os(r, &os);
	defender_history_add(&r->evidence[0].defender, "/ProgramData/DH/02/G", b.p, b.len);
	if (present)
		report_add_file(r, 2, "/Users/Public/Downloads/EICAR.com", "", 68,
				"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", 0, NULL, "scanned");
	report_finish(r);
	free(b.p);
}

static void rule(void **state)
{
	struct profile *p = load_text_in(dir, "include = default\n");
	struct report r;
	(void)state;

	fill(&r, false);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "defender-history", NULL), 1);
	assert_int_equal(count_findings(&r, "defender-history", "records Virus:DOS/EICAR_Test_File in file "
				"C:\\Users\\Public\\Downloads\\eicar.com at 2024-03-01T06:00:00Z (/ProgramData/DH/02/G); "
				"the file is gone from the image (/Users/Public/Downloads/eicar.com)"), 1);
	assert_int_equal(severity_of(&r, "defender-history"), SEV_FAIL);
	assert_int_equal(r.verdict, VERDICT_FAIL);
	report_release(&r);

	fill(&r, true);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "defender-history", "the file is still in the image as "
				"/Users/Public/Downloads/EICAR.com (same SHA-256 as Defender recorded)"), 1);
	report_release(&r);
	profile_free(p);

	p = load_text_in(dir, "include = strict\n");
	fill(&r, false);
	policy_apply(p, &r);
	assert_int_equal(severity_of(&r, "defender-history"), SEV_FAIL);
	report_release(&r);
	profile_free(p);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trips),
		cmocka_unit_test(mkdethist_file),
		cmocka_unit_test(hostile),
		cmocka_unit_test(evidence),
		cmocka_unit_test(rule),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

#include <kenshu/banned.h>
