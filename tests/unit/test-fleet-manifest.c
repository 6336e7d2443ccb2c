/* The fleet manifest: what a spreadsheet's CSV may look like (columns in
 * any order, CRLF, a BOM, quoted commas, newlines and quotes), how paths
 * and profiles resolve, the meta cell; every refusal with its exact words
 * and line; random garbage; loading a file; and the pre-flight check of
 * images, baselines and profiles against fixtures made here. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/output.h>
#include <kenshu/fleet.h>
#include "bytes.h"

static char dir[] = "/tmp/kenshu-test-fleet-manifest-XXXXXX";

static char *in_dir(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static char *write_file(const char *name, const char *text, size_t len)
{
	char *path = in_dir(name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static void make_dir(const char *name)
{
	char *path = in_dir(name);
	assert_int_equal(mkdir(path, 0700), 0);
	free(path);
}

static int parse(const char *text, size_t len, struct fleet_manifest *m, struct ks_err *err)
{
	return fleet_manifest_parse("m.csv", "/srv/plant", text, len, m, err);
}

static void parse_ok(const char *text, struct fleet_manifest *m)
{
	struct ks_err err;
	if (parse(text, strlen(text), m, &err) != 0)
		fail_msg("refused: %s", err.msg);
}

static void minimal(void **state)
{
	const char *text = "asset,image\nPLC-01,disk.img\n";
	struct fleet_manifest m;
	char hex[SHA256_HEX_LEN + 1];
	struct sha256 *h = sha256_new();

	parse_ok(text, &m);
	assert_string_equal(m.name, "m.csv");
	assert_int_equal(m.nrows, 1);
	assert_int_equal(m.rows[0].line, 2);
	assert_string_equal(m.rows[0].asset, "PLC-01");
	assert_string_equal(m.rows[0].image, "disk.img");
	assert_string_equal(m.rows[0].image_path, "/srv/plant/disk.img");
	assert_null(m.rows[0].baseline);
	assert_null(m.rows[0].profile);
	assert_int_equal(m.rows[0].meta.n, 0);
	sha256_update(h, text, strlen(text));
	sha256_final_hex(h, hex);
	sha256_free(h);
	assert_string_equal(m.sha256, hex);
	fleet_manifest_release(&m);
	assert_null(m.rows);
	assert_null(m.name);
	fleet_manifest_release(&m);   /* twice: harmless */

	/* No final line end. */
	parse_ok("asset,image\nPLC-01,disk.img", &m);
	assert_int_equal(m.nrows, 1);
	assert_string_equal(m.rows[0].image, "disk.img");
	fleet_manifest_release(&m);
}

/* What Excel writes: a BOM, CRLF, the columns in its own order and case,
 * blanks around the header names. */
static void spreadsheet_shape(void **state)
{
	struct fleet_manifest m;

	parse_ok("\xef\xbb\xbf Image ,META,\tAsset,Profile,baseline\r\n"
		 "disks/hmi.img,po=4500012345,HMI-01,strict,base/hmi\r\n"
		 "\r\n"
		 "/data/press.vhdx,,Press_2.a,,\r\n",
		 &m);
	assert_int_equal(m.nrows, 2);
	assert_int_equal(m.rows[0].line, 2);
	assert_string_equal(m.rows[0].asset, "HMI-01");
	assert_string_equal(m.rows[0].image, "disks/hmi.img");
	assert_string_equal(m.rows[0].image_path, "/srv/plant/disks/hmi.img");
	assert_string_equal(m.rows[0].baseline, "/srv/plant/base/hmi");
	assert_string_equal(m.rows[0].profile, "strict");
	assert_int_equal(m.rows[0].meta.n, 1);
	assert_string_equal(m.rows[0].meta.v[0].key, "po");
	assert_string_equal(m.rows[0].meta.v[0].value, "4500012345");
	assert_int_equal(m.rows[1].line, 4);   /* the blank line counts */
	assert_string_equal(m.rows[1].asset, "Press_2.a");
	assert_string_equal(m.rows[1].image_path, "/data/press.vhdx");
	assert_null(m.rows[1].baseline);
	assert_null(m.rows[1].profile);
	assert_int_equal(m.rows[1].meta.n, 0);
	fleet_manifest_release(&m);
}

static void quoting(void **state)
{
	struct fleet_manifest m;

	parse_ok("\"asset\",\"image\",\"meta\"\n"
		 "\"A1\",\"disks/a,b \"\"x\"\".img\",\"note=line one; vendor=\"\"Acme, Inc.\"\"\"\n"
		 "A2,\"x.img\",\"\"\n"
		 "\"A3\",\"y.img\",\"po=1;\n"
		 "   note=two\"\n"
		 "A4,z.img,\n",
		 &m);
	assert_int_equal(m.nrows, 4);
	assert_string_equal(m.rows[0].image, "disks/a,b \"x\".img");
	assert_int_equal(m.rows[0].meta.n, 2);
	assert_string_equal(m.rows[0].meta.v[0].key, "note");
	assert_string_equal(m.rows[0].meta.v[0].value, "line one");
	assert_string_equal(m.rows[0].meta.v[1].value, "\"Acme, Inc.\"");
	assert_int_equal(m.rows[1].line, 3);
	assert_int_equal(m.rows[1].meta.n, 0);
	/* A field over two lines: the row is on the line it starts on, the
	 * next row after both. The newline is a blank around ';'. */
	assert_int_equal(m.rows[2].line, 4);
	assert_int_equal(m.rows[2].meta.n, 2);
	assert_string_equal(m.rows[2].meta.v[0].key, "note");
	assert_string_equal(m.rows[2].meta.v[0].value, "two");
	assert_int_equal(m.rows[3].line, 6);
	assert_string_equal(m.rows[3].asset, "A4");
	fleet_manifest_release(&m);
}

static void paths_and_profiles(void **state)
{
	struct fleet_manifest m;
	struct ks_err err;
	const char *text = "asset,image,baseline,profile\n"
			   "a,rel/x.img,old/a,default\n"
			   "b,/abs/y.img,/abs/base,plant.ini\n"
			   "c,./z.img,,profiles/kiosk\n"
			   "d,w.img,,/etc/kenshu/p.INI\n"
			   "e,v.img,,example-vendor\n";

	parse_ok(text, &m);
	assert_string_equal(m.rows[0].image_path, "/srv/plant/rel/x.img");
	assert_string_equal(m.rows[0].baseline, "/srv/plant/old/a");
	assert_string_equal(m.rows[0].profile, "default");          /* shipped: as written */
	assert_string_equal(m.rows[1].image, "/abs/y.img");
	assert_string_equal(m.rows[1].image_path, "/abs/y.img");
	assert_string_equal(m.rows[1].baseline, "/abs/base");
	assert_string_equal(m.rows[1].profile, "/srv/plant/plant.ini");   /* .ini: a file */
	assert_string_equal(m.rows[2].image_path, "/srv/plant/./z.img");  /* joined, not normalised */
	assert_string_equal(m.rows[2].profile, "/srv/plant/profiles/kiosk");
	assert_string_equal(m.rows[3].profile, "/etc/kenshu/p.INI");
	assert_string_equal(m.rows[4].profile, "example-vendor");
	fleet_manifest_release(&m);

	/* A base with its own '/', and none at all. */
	assert_int_equal(fleet_manifest_parse("m.csv", "/", text, strlen(text), &m, &err), 0);
	assert_string_equal(m.rows[0].image_path, "/rel/x.img");
	fleet_manifest_release(&m);
	assert_int_equal(fleet_manifest_parse("m.csv", NULL, text, strlen(text), &m, &err), 0);
	assert_string_equal(m.rows[0].image_path, "rel/x.img");
	assert_string_equal(m.rows[1].profile, "plant.ini");
	fleet_manifest_release(&m);
}

static void meta_cells(void **state)
{
	struct fleet_manifest m;

	parse_ok("asset,image,meta\n"
		 "a,x,  vendor=Acme ; po=42 ;  \n"
		 "b,x,operator=山田 太郎\n"
		 "c,x,\" \"\n"
		 "d,x,k=a=b\n",
		 &m);
	assert_int_equal(m.rows[0].meta.n, 2);
	assert_string_equal(m.rows[0].meta.v[0].key, "po");
	assert_string_equal(m.rows[0].meta.v[0].value, "42");
	assert_string_equal(m.rows[0].meta.v[1].key, "vendor");
	assert_string_equal(m.rows[0].meta.v[1].value, "Acme");
	assert_string_equal(m.rows[1].meta.v[0].value, "山田 太郎");
	assert_int_equal(m.rows[2].meta.n, 0);
	assert_string_equal(m.rows[3].meta.v[0].value, "a=b");
	fleet_manifest_release(&m);
}

static void assets(void **state)
{
	struct fleet_manifest m;
	char text[256];
	char id[FLEET_ASSET_MAX + 1];

	memset(id, 'x', FLEET_ASSET_MAX);
	id[FLEET_ASSET_MAX] = '\0';
	snprintf(text, sizeof(text), "asset,image\n%s,x\n0.9_A-z,y\n_u,z\n", id);
	parse_ok(text, &m);
	assert_int_equal(m.nrows, 3);
	assert_string_equal(m.rows[0].asset, id);
	fleet_manifest_release(&m);

	/* Blank lines before the header, and lines of blanks: skipped. */
	parse_ok("\n \t\n\r\nasset,image\n   \na,x\n", &m);
	assert_int_equal(m.nrows, 1);
	assert_int_equal(m.rows[0].line, 6);
	fleet_manifest_release(&m);
}

struct bad {
	const char *text;
	size_t len;     /* 0: strlen */
	const char *want;
};

static const struct bad bad[] = {
	{ "", 0, "m.csv: no machine in the manifest" },
	{ "\xef\xbb\xbf", 0, "m.csv: no machine in the manifest" },
	{ "\n\n \t\r\n", 0, "m.csv: no machine in the manifest" },
	{ "asset,image\n", 0, "m.csv: no machine in the manifest" },
	{ "asset,image\r\n\r\n\n", 0, "m.csv: no machine in the manifest" },
	/* the header */
	{ "asset,image,foo\n", 0,
	  "m.csv:1: unknown column 'foo' (the columns are asset, image, baseline, profile, meta)" },
	{ "\n\nasset,image,owner\na,b,c\n", 0,
	  "m.csv:3: unknown column 'owner' (the columns are asset, image, baseline, profile, meta)" },
	{ "asset,,image\n", 0,
	  "m.csv:1: unknown column '' (the columns are asset, image, baseline, profile, meta)" },
	{ "asset,image,ASSET \n", 0, "m.csv:1: column 'asset' given twice" },
	{ "asset,image,meta,profile,baseline,meta,x,y\n", 0, "m.csv:1: column 'meta' given twice" },
	{ "asset,baseline\na,b\n", 0, "m.csv:1: no column 'image' (asset and image are required)" },
	{ "image\nx\n", 0, "m.csv:1: no column 'asset' (asset and image are required)" },
	{ "PLC-01,disk.img\n", 0,
	  "m.csv:1: unknown column 'PLC-01' (the columns are asset, image, baseline, profile, meta)" },
	/* syntax */
	{ "asset,image\na,\"b\n", 0, "m.csv:2: a quoted field is not closed (its quote opens on this line)" },
	{ "asset,image\na,b\nc,\"d\n\ne,f\n", 0,
	  "m.csv:3: a quoted field is not closed (its quote opens on this line)" },
	{ "asset,image\na,b\"c\n", 0,
	  "m.csv:2: a quote inside an unquoted field (quote the whole field and double the quote)" },
	{ "asset,image\na,b\nc,d\"\n", 0,
	  "m.csv:3: a quote inside an unquoted field (quote the whole field and double the quote)" },
	{ "asset,image\na,\"b\"c\n", 0, "m.csv:2: text after the closing quote of a field" },
	{ "asset,image\na,\"b\" \n", 0, "m.csv:2: text after the closing quote of a field" },
	{ "asset,image\na,\"x\ny\"z\n", 0, "m.csv:3: text after the closing quote of a field" },
	{ "asset,image\na,\"b\"\r", 0, "m.csv:2: text after the closing quote of a field" },
	{ "asset,image\ra,b\n", 0, "m.csv:1: a carriage return that does not end the line" },
	{ "asset,image\na,b\rc\n", 0, "m.csv:2: a carriage return that does not end the line" },
	{ "asset,image\na,b\0c\n", 16, "m.csv:2: a NUL byte" },
	{ "asset,image\na,\"x\n\0\"\n", 20, "m.csv:3: a NUL byte" },
	{ "\0", 1, "m.csv:1: a NUL byte" },
	{ "asset,image\na,b\xff\n", 0, "m.csv:2: not UTF-8 text" },
	{ "asset,image\na,\xc0\xaf\n", 0, "m.csv:2: not UTF-8 text" },          /* overlong '/' */
	{ "asset,image\na,\xed\xa0\x80\n", 0, "m.csv:2: not UTF-8 text" },      /* a surrogate */
	{ "asset,image\na,\xf4\x90\x80\x80\n", 0, "m.csv:2: not UTF-8 text" },  /* past U+10FFFF */
	{ "asset,image\na,\"x\n\xe3\x81\"\n", 0, "m.csv:3: not UTF-8 text" },
	{ "asset,image\na,\xe3\x81", 0, "m.csv:2: not UTF-8 text" },             /* cut at the end */
	{ "\xef\xbb\xbf\xef\xbb\xbf" "asset,image\n", 0,
	  "m.csv:1: unknown column '\xef\xbb\xbf" "asset' (the columns are asset, image, baseline, profile, meta)" },
	/* rows */
	{ "asset,image\na,b,c\n", 0, "m.csv:2: 3 fields, the header has 2" },
	{ "asset,image\na\n", 0, "m.csv:2: 1 field, the header has 2" },
	{ "asset,image\na,b\nc,d,\n", 0, "m.csv:3: 3 fields, the header has 2" },
	{ "asset,image,meta\na,x,\"k=1;\nj=2\"\nb\n", 0, "m.csv:4: 1 field, the header has 3" },
	{ "asset,image\n,x\n", 0, "m.csv:2: asset is empty" },
	{ "asset,image\n.a,x\n", 0, "m.csv:2: asset '.a' may not start with '.' or '-'" },
	{ "asset,image\n-a,x\n", 0, "m.csv:2: asset '-a' may not start with '.' or '-'" },
	{ "asset,image\na b,x\n", 0, "m.csv:2: asset 'a b' may hold only A-Z a-z 0-9 . _ -" },
	{ "asset,image\n PLC,x\n", 0, "m.csv:2: asset ' PLC' may hold only A-Z a-z 0-9 . _ -" },
	{ "asset,image\nPLC/01,x\n", 0, "m.csv:2: asset 'PLC/01' may hold only A-Z a-z 0-9 . _ -" },
	{ "asset,image\nPräss,x\n", 0, "m.csv:2: asset 'Präss' may hold only A-Z a-z 0-9 . _ -" },
	{ "asset,image\n\"a\nb\",x\n", 0, "m.csv:2: asset 'a?b' may hold only A-Z a-z 0-9 . _ -" },
	{ "asset,image\n\"a\x1b[31m\",x\n", 0, "m.csv:2: asset 'a?[31m' may hold only A-Z a-z 0-9 . _ -" },
	{ "asset,image\nPLC-01,a\nx,b\n\nplc-01,c\n", 0, "m.csv:5: asset 'plc-01' is also on line 2" },
	{ "asset,image\na,\n", 0, "m.csv:2: image is empty (asset 'a')" },
	{ "asset,image\na,\"\"\n", 0, "m.csv:2: image is empty (asset 'a')" },
	{ "asset,image\na,\"x\ty\"\n", 0, "m.csv:2: image 'x?y' holds a control character (0x09)" },
	{ "asset,image\na,\"x\r\ny\"\n", 0, "m.csv:2: image 'x??y' holds a control character (0x0d)" },
	{ "asset,image,baseline\na,x,\"b\x7f\"\n", 0, "m.csv:2: baseline 'b?' holds a control character (0x7f)" },
	{ "asset,image,profile\na,x,\"p\n\"\n", 0, "m.csv:2: profile 'p?' holds a control character (0x0a)" },
	/* meta */
	{ "asset,image,meta\na,x,po\n", 0, "m.csv:2: meta wants KEY=VALUE, not 'po'" },
	{ "asset,image,meta\na,x,a=1;;b=2\n", 0, "m.csv:2: meta: an empty entry before a ';'" },
	{ "asset,image,meta\na,x,a=1; ;b=2\n", 0, "m.csv:2: meta: an empty entry before a ';'" },
	{ "asset,image,meta\na,x,;a=1\n", 0, "m.csv:2: meta: an empty entry before a ';'" },
	{ "asset,image,meta\na,x,a=1;;\n", 0, "m.csv:2: meta: an empty entry before a ';'" },
	{ "asset,image,meta\na,x,a=1;a=2\n", 0, "m.csv:2: meta 'a': given twice" },
	{ "asset,image,meta\na,x,a=\n", 0, "m.csv:2: meta 'a': empty value" },
	{ "asset,image,meta\nb,y,k=1\na,x,\"k=\xe3\x81\x82\x01\"\n", 0,
	  "m.csv:3: meta 'k': value holds a control character (0x01)" },
	{ "asset,image,meta\na,x,k y=1\n", 0, "m.csv:2: meta: KEY 'k y' may hold only A-Z a-z 0-9 _ . -" },
};

static void refusals(void **state)
{
	struct fleet_manifest m;
	struct ks_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		memset(&err, 0, sizeof(err));
		if (parse(bad[i].text, len, &m, &err) != -1)
			fail_msg("case %zu accepted", i);
		if (strcmp(err.msg, bad[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, bad[i].want);
		assert_int_equal(err.code, KS_EINPUT);
		assert_null(m.rows);
		assert_null(m.name);
		assert_int_equal(m.nrows, 0);
	}
}

static void limits(void **state)
{
	struct fleet_manifest m;
	struct ks_err err;
	struct strbuf sb = STRBUF_INIT;
	char *field = xmalloc(FLEET_FIELD_MAX + 2);

	/* A field of FLEET_FIELD_MAX bytes, quoted or not; one more is refused. */
	memset(field, 'f', FLEET_FIELD_MAX + 1);
	field[FLEET_FIELD_MAX] = '\0';
	strbuf_addf(&sb, "asset,image\na,%s\nb,\"%s\"\n", field, field);
	parse_ok(sb.buf, &m);
	assert_int_equal(strlen(m.rows[1].image), FLEET_FIELD_MAX);
	fleet_manifest_release(&m);
	strbuf_reset(&sb);
	field[FLEET_FIELD_MAX] = 'f';
	field[FLEET_FIELD_MAX + 1] = '\0';
	strbuf_addf(&sb, "asset,image\na,x\n\nb,%s\n", field);
	assert_int_equal(parse(sb.buf, sb.len, &m, &err), -1);
	assert_string_equal(err.msg, "m.csv:4: a field longer than 4096 bytes");
	strbuf_reset(&sb);
	strbuf_addf(&sb, "asset,image\na,\"x\n%s\"\n", field);
	assert_int_equal(parse(sb.buf, sb.len, &m, &err), -1);
	assert_string_equal(err.msg, "m.csv:2: a field longer than 4096 bytes");
	free(field);

	/* An over-long asset is cut in the message, on a character boundary. */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "asset,image\n");
	for (int i = 0; i < 21; i++)
		strbuf_addstr(&sb, "abc");
	strbuf_addstr(&sb, "\xc3\xa4,x\n");   /* byte 64 is the middle of the 'a' with umlaut */
	assert_int_equal(parse(sb.buf, sb.len, &m, &err), -1);
	assert_non_null(strstr(err.msg, "cabc...' is longer than 64 bytes"));
	assert_null(strchr(err.msg, '\xc3'));

	/* FLEET_MAX_ROWS rows, then one more. */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "asset,image\n");
	for (unsigned i = 0; i < FLEET_MAX_ROWS; i++)
		strbuf_addf(&sb, "m%u,d%u.img\n", i, i);
	parse_ok(sb.buf, &m);
	assert_int_equal(m.nrows, FLEET_MAX_ROWS);
	assert_int_equal(m.rows[FLEET_MAX_ROWS - 1].line, FLEET_MAX_ROWS + 1);
	assert_string_equal(m.rows[77777].asset, "m77777");
	fleet_manifest_release(&m);
	strbuf_addstr(&sb, "M5,again.img\n");   /* refused for its count, before its asset */
	assert_int_equal(parse(sb.buf, sb.len, &m, &err), -1);
	assert_string_equal(err.msg, "m.csv:100002: more than 100000 machines");
	/* A duplicate far down, found at once (the table is hashed). */
	strbuf_setlen(&sb, sb.len - strlen("M5,again.img\n"));
	strbuf_setlen(&sb, sb.len - strlen("m99999,d99999.img\n"));
	strbuf_addstr(&sb, "M5,again.img\n");
	assert_int_equal(parse(sb.buf, sb.len, &m, &err), -1);
	assert_string_equal(err.msg, "m.csv:100001: asset 'M5' is also on line 7");
	strbuf_release(&sb);

	/* The whole text: refused before a byte of it is read. */
	char *big = calloc(1, FLEET_MANIFEST_MAX + 1);
	assert_non_null(big);
	assert_int_equal(parse(big, FLEET_MANIFEST_MAX + 1, &m, &err), -1);
	assert_string_equal(err.msg, "m.csv: larger than 64 MiB");
	free(big);
}

/* Whatever the bytes: 0 with rows that keep every promise, or -1 with
 * one line naming the manifest. */
static void garbage(void **state)
{
	static const char seed[] = "\xef\xbb\xbf" "asset,image,baseline,profile,meta\r\n"
				   "PLC-01,\"disks/a,b.img\",base/a,strict,po=1;vendor=X\r\n"
				   "\"PLC-02\",\"x \"\"y\"\".img\",,my.ini,\"a=1;\nb=2\"\r\n"
				   "hmi.3,/abs/c.img,,,k=v;\n";
	static const char alphabet[] = ",\"\r\n;=/.-_aA0 \t\xc3\xa4\xff";
	uint64_t rng = 0x2545f4914f6cdd1dull;
	char buf[512];
	struct fleet_manifest m;
	struct ks_err err;
	size_t accepted = 0;

	for (int iter = 0; iter < 30000; iter++) {
		size_t len = sizeof(seed) - 1;
		memcpy(buf, seed, len);
		if (iter % 10 == 9) {   /* pure noise */
			len = xorshift64(&rng) % 200;
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)(xorshift64(&rng) & 0xff);
		} else {
			unsigned edits = 1 + (unsigned)(xorshift64(&rng) % 4);
			for (unsigned e = 0; e < edits; e++) {
				size_t at = xorshift64(&rng) % len;
				uint64_t r = xorshift64(&rng);
				switch (r % 3) {
				case 0:   /* replace */
					buf[at] = alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
					break;
				case 1:   /* delete */
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
					break;
				default:   /* insert */
					if (len + 1 < sizeof(buf)) {
						memmove(buf + at + 1, buf + at, len - at);
						buf[at] = alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
						len++;
					}
				}
			}
		}
		memset(&err, 0, sizeof(err));
		if (parse(buf, len, &m, &err) == 0) {
			accepted++;
			assert_true(m.nrows >= 1);
			for (size_t i = 0; i < m.nrows; i++) {
				const struct fleet_row *r = &m.rows[i];
				size_t n = strlen(r->asset);
				assert_true(n >= 1 && n <= FLEET_ASSET_MAX);
				assert_true(strspn(r->asset, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
							     "0123456789._-") == n);
				assert_true(r->asset[0] != '.' && r->asset[0] != '-');
				assert_true(r->image[0] != '\0');
				assert_true(r->line >= 2 && (i == 0 || r->line > m.rows[i - 1].line));
				for (size_t j = 0; j < i; j++)
					assert_true(strcasecmp(m.rows[j].asset, r->asset) != 0);
			}
			fleet_manifest_release(&m);
		} else {
			assert_int_equal(strncmp(err.msg, "m.csv:", 6), 0);
			assert_null(strchr(err.msg, '\n'));
			assert_null(m.rows);
		}
	}
	/* The mutations keep enough manifests whole for the checks above to
	 * mean something. */
	assert_true(accepted > 1000);
}

static void load(void **state)
{
	struct fleet_manifest m;
	struct ks_err err;
	char *path = write_file("plant.csv", "asset,image,profile\na,disk.img,p.ini\n", 37);
	char *real = realpath(dir, NULL), *want;

	assert_int_equal(fleet_manifest_load(path, &m, &err), 0);
	assert_string_equal(m.name, path);
	want = xasprintf("%s/disk.img", real);
	assert_string_equal(m.rows[0].image_path, want);
	free(want);
	want = xasprintf("%s/p.ini", real);
	assert_string_equal(m.rows[0].profile, want);
	free(want);
	fleet_manifest_release(&m);

	/* Through a symbolic link from elsewhere: the real file's directory. */
	make_dir("elsewhere");
	char *link = in_dir("elsewhere/link.csv");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(fleet_manifest_load(link, &m, &err), 0);
	assert_string_equal(m.name, link);
	want = xasprintf("%s/disk.img", real);
	assert_string_equal(m.rows[0].image_path, want);
	free(want);
	fleet_manifest_release(&m);
	free(link);

	/* Errors name the path as given. */
	char *missing = in_dir("missing.csv");
	assert_int_equal(fleet_manifest_load(missing, &m, &err), -1);
	want = xasprintf("%s: no such file", missing);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, KS_ENOTFOUND);
	free(want);
	free(missing);
	assert_int_equal(fleet_manifest_load(dir, &m, &err), -1);
	want = xasprintf("%s: a directory, not a manifest", dir);
	assert_string_equal(err.msg, want);
	free(want);
	char *fifo = in_dir("fifo.csv");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(fleet_manifest_load(fifo, &m, &err), -1);   /* without hanging */
	want = xasprintf("%s: not a regular file", fifo);
	assert_string_equal(err.msg, want);
	free(want);
	free(fifo);
	char *big = in_dir("big.csv");
	FILE *f = fopen(big, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(truncate(big, (off_t)FLEET_MANIFEST_MAX + 1), 0);
	assert_int_equal(fleet_manifest_load(big, &m, &err), -1);
	want = xasprintf("%s: larger than 64 MiB", big);
	assert_string_equal(err.msg, want);
	free(want);
	free(big);
	/* A parse error names the path as given, with the line. */
	char *badf = write_file("bad.csv", "asset,image\n.x,y\n", 17);
	assert_int_equal(fleet_manifest_load(badf, &m, &err), -1);
	want = xasprintf("%s:2: asset '.x' may not start with '.' or '-'", badf);
	assert_string_equal(err.msg, want);
	free(want);
	free(badf);
	free(path);
	free(real);
}

static size_t check(const char *text, const char *def, const char *pub, char ***problems)
{
	struct fleet_manifest m;
	struct ks_err err;
	size_t n;

	if (fleet_manifest_parse("m.csv", dir, text, strlen(text), &m, &err) < 0)
		fail_msg("refused: %s", err.msg);
	n = fleet_manifest_check(&m, def, pub, problems);
	fleet_manifest_release(&m);
	return n;
}

static void free_problems(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Each problem, in order, is exactly want[i] with DIR standing for the
 * fixtures' directory; a want ending in '*' is a prefix. */
static void expect(char **got, size_t n, const char *const *want, size_t nwant)
{
	if (n != nwant) {
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "problem %zu: %s\n", i, got[i]);
		fail_msg("%zu problems, want %zu", n, nwant);
	}
	for (size_t i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		for (const char *p = want[i]; *p; p++) {
			if (strncmp(p, "DIR", 3) == 0) {
				strbuf_addstr(&sb, dir);
				p += 2;
			} else
				strbuf_addch(&sb, *p);
		}
		bool prefix = sb.len && sb.buf[sb.len - 1] == '*';
		if (prefix)
			strbuf_setlen(&sb, sb.len - 1);
		if (prefix ? strncmp(got[i], sb.buf, sb.len) != 0 : strcmp(got[i], sb.buf) != 0)
			fail_msg("problem %zu: got \"%s\", want \"%s\"%s", i, got[i], sb.buf, prefix ? "..." : "");
		strbuf_release(&sb);
	}
}

static void check_fixtures(void **state)
{
	char **p;
	size_t n;

	free(write_file("disk.img", "not really a disk, but bytes", 28));
	free(write_file("empty.img", "", 0));
	make_dir("imgdir");
	char *fifo = in_dir("fifo.img");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	free(fifo);
	make_dir("base-empty");
	make_dir("base-notjson");
	free(write_file("base-notjson/report.json", "this is { not json", 18));
	free(write_file("base-notjson/manifest.jsonl", "", 0));
	free(write_file("base-file", "x", 1));
	free(write_file("bad.ini", "[rules]\nmalware = sometimes\n", 28));
	free(write_file("good.ini", "[profile]\nname = plant\n", 23));

	/* Everything well: a shipped profile, a profile file, the campaign's. */
	n = check("asset,image,profile\n"
		  "a,disk.img,default\n"
		  "b,disk.img,good.ini\n"
		  "c,disk.img,\n",
		  "strict", NULL, &p);
	expect(p, n, NULL, 0);
	free_problems(p, n);

	const char *text = "asset,image,baseline,profile\n"
			   "ok,disk.img,,default\n"                 /* 2: nothing */
			   "missing,nope.img,,\n"                   /* 3 */
			   "dir,imgdir,,\n"                         /* 4 */
			   "empty,empty.img,,\n"                    /* 5 */
			   "fifo,fifo.img,,\n"                      /* 6 */
			   "b1,disk.img,base-empty,\n"              /* 7 */
			   "b2,disk.img,base-notjson,\n"            /* 8 */
			   "b3,disk.img,base-file,\n"               /* 9 */
			   "b4,disk.img,no-base,\n"                 /* 10 */
			   "p1,disk.img,,bad.ini\n"                 /* 11 */
			   "p2,disk.img,,no-such-profile\n"         /* 12 */
			   "p3,disk.img,,bad.ini\n"                 /* 13: loaded once, said again */
			   "all,nope2.img,base-empty,no-such-profile\n";   /* 14: every problem of the row */
	const char *const want[] = {
		"m.csv:3: image 'DIR/nope.img': no such file",
		"m.csv:4: image 'DIR/imgdir': a directory, not an image file",
		"m.csv:5: image 'DIR/empty.img': an empty file",
		"m.csv:6: image 'DIR/fifo.img': not a regular file or a block device",
		"m.csv:7: baseline: 'DIR/base-empty/report.json': cannot read: No such file or directory",
		"m.csv:8: baseline: 'DIR/base-notjson/report.json': not valid JSON*",
		"m.csv:9: baseline 'DIR/base-file': not a directory (a report directory is wanted)",
		"m.csv:10: baseline 'DIR/no-base': no such directory",
		"m.csv:11: profile: DIR/bad.ini:2: [rules] malware: 'sometimes' is not a severity (fail, review, info or off)",
		"m.csv:12: profile: no-such-profile: no such profile file, and not a shipped profile "
		"(default, strict, example-vendor)",
		"m.csv:13: profile 'DIR/bad.ini': refused, as on line 11",
		"m.csv:14: image 'DIR/nope2.img': no such file",
		"m.csv:14: baseline: 'DIR/base-empty/report.json': cannot read: No such file or directory",
		"m.csv:14: profile 'no-such-profile': refused, as on line 12",
	};
	n = check(text, "default", NULL, &p);
	expect(p, n, want, sizeof(want) / sizeof(want[0]));
	free_problems(p, n);

	/* The campaign's profile for rows without one: said once in full. */
	n = check("asset,image\na,disk.img\nb,disk.img\n", "no-such-default", NULL, &p);
	const char *const want_def[] = {
		"m.csv:2: profile (the campaign's): no-such-default: no such profile file*",
		"m.csv:3: profile 'no-such-default' (the campaign's): refused, as on line 2",
	};
	expect(p, n, want_def, 2);
	free_problems(p, n);

	/* With a public key for the baselines: a directory that is no report
	 * has no report.sig either, and both are said. A key that cannot be
	 * loaded is said once, for the whole manifest. */
	char *key = in_dir("baseline.key"), *pub = in_dir("baseline.key.pub");
	char id[SIGN_KEY_ID_LEN + 1];
	struct ks_err err;
	assert_int_equal(sign_keygen(key, id, &err), 0);
	n = check("asset,image,baseline\na,disk.img,base-notjson\nb,disk.img,\n", NULL, pub, &p);
	const char *const want_sig[] = {
		"m.csv:2: baseline: 'DIR/base-notjson/report.json': *",
		"m.csv:2: baseline 'DIR/base-notjson': signature: report.sig: missing",
	};
	expect(p, n, want_sig, 2);
	free_problems(p, n);
	char *nokey = in_dir("no.pub");
	n = check("asset,image,baseline\na,disk.img,base-notjson\nb,disk.img,base-empty\n", NULL, nokey, &p);
	const char *const want_nokey[] = {
		"m.csv:2: baseline: 'DIR/base-notjson/report.json': *",
		"m.csv: the baselines' public key: *",
		"m.csv:3: baseline: 'DIR/base-empty/report.json': *",
	};
	expect(p, n, want_nokey, 3);
	assert_non_null(strstr(p[1], "no.pub"));
	free_problems(p, n);
	free(nokey);
	free(key);
	free(pub);

	/* An image nobody may read (root may read anything: not tested then). */
	if (geteuid() != 0) {
		char *locked = write_file("locked.img", "x", 1);
		assert_int_equal(chmod(locked, 0), 0);
		n = check("asset,image\na,locked.img\n", NULL, NULL, &p);
		const char *const want_locked[] = { "m.csv:2: image 'DIR/locked.img': cannot open: Permission denied" };
		expect(p, n, want_locked, 1);
		free_problems(p, n);
		free(locked);
	}
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(minimal),
		cmocka_unit_test(spreadsheet_shape),
		cmocka_unit_test(quoting),
		cmocka_unit_test(paths_and_profiles),
		cmocka_unit_test(meta_cells),
		cmocka_unit_test(assets),
		cmocka_unit_test(refusals),
		cmocka_unit_test(limits),
		cmocka_unit_test(garbage),
		cmocka_unit_test(load),
		cmocka_unit_test(check_fixtures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
