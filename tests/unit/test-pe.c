/* Unit tests for pe: PE files built in memory by a small builder (DOS
 * header, PE32 or PE32+ headers, .text and .rsrc sections, a resource tree
 * and a VS_VERSIONINFO with string tables), real PE files compiled at test
 * time by mingw-w64 through tests/tools/mkpe.sh, and hostile variants of
 * both: every prefix, loops, huge counts, lying lengths and a fixed-seed
 * mutation fuzz. Everything is parsed from exact-size heap copies, so any
 * read past the end trips the sanitizer. */
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

/* ---- byte buffer ---- */

static void pad_to(struct buf *b, size_t n)
{
	assert_true(b->len <= n);
	zeros(b, n - b->len);
}

/* ---- VS_VERSIONINFO builder ---- */

struct kv {
	const char *key, *value;
	bool lie;          /* write vlen as wValueLength instead of the truth */
	uint16_t vlen;
	bool no_nul;       /* value runs to wLength without a NUL */
	bool tight;        /* no value: wLength ends right after the key's NUL */
	bool key_no_nul;   /* no value: the key fills the block without a NUL */
};

struct table {
	const char *lang;  /* NULL: unused */
	struct kv kv[10];
};

struct spec {
	bool pe32, dll;
	uint16_t subsystem;
	bool no_fixed, bad_sig;
	uint32_t fv_ms, fv_ls, pv_ms, pv_ls;
	struct table tables[3];
	bool var_first;        /* VarFileInfo before StringFileInfo */
	bool no_version;       /* no RT_VERSION type at all */
	bool other_types;      /* a named type and RT_ICON before RT_VERSION */
	uint16_t name_id;      /* 0: 1 (VS_VERSION_INFO) */
	uint16_t lang;         /* 0: 0x409 */
	bool extra;            /* a second language, sorted first, with other data */
	uint16_t extra_lang;
	bool misalign;         /* version data at an RVA 2 mod 4 */
};

/* Blocks are aligned to 4 bytes from the start of the resource. */
static void valign(struct buf *b)
{
	while (b->len & 3)
		put8(b, 0);
}

static size_t vbegin(struct buf *b, const char *key, uint16_t vlen, uint16_t type)
{
	size_t at;

	valign(b);
	at = b->len;
	put16(b, 0);
	put16(b, vlen);
	put16(b, type);
	put_utf16(b, key, true);
	valign(b);
	return at;
}

static void vend(struct buf *b, size_t at)
{
	set16(b->p + at, (uint16_t)(b->len - at));
}

static void vstring(struct buf *b, const struct kv *kv)
{
	size_t at, n;

	if (kv->tight || kv->key_no_nul) {
		valign(b);
		at = b->len;
		put16(b, 0);
		put16(b, 0);
		put16(b, 1);
		put_utf16(b, kv->key, !kv->key_no_nul);
		vend(b, at);
		return;
	}
	at = vbegin(b, kv->key, 0, 1);
	n = kv->value ? put_utf16(b, kv->value, !kv->no_nul) : 0;

	set16(b->p + at + 2, kv->lie ? kv->vlen : (uint16_t)(kv->value ? n + 1 : 0));
	vend(b, at);
}

static void varfileinfo(struct buf *b)
{
	size_t v = vbegin(b, "VarFileInfo", 0, 1);
	size_t t = vbegin(b, "Translation", 4, 0);

	put16(b, 0x409);
	put16(b, 1200);
	vend(b, t);
	vend(b, v);
}

static struct buf build_version(const struct spec *s)
{
	struct buf b = { 0 };
	size_t root = vbegin(&b, "VS_VERSION_INFO", s->no_fixed ? 0 : 52, 0);

	if (!s->no_fixed) {
		put32(&b, s->bad_sig ? 0xFEEF04BC : 0xFEEF04BD);
		put32(&b, 0x00010000);
		put32(&b, s->fv_ms);
		put32(&b, s->fv_ls);
		put32(&b, s->pv_ms);
		put32(&b, s->pv_ls);
		put32(&b, 0x3F);
		put32(&b, 0);
		put32(&b, 0x40004);
		put32(&b, s->dll ? 2 : 1);
		zeros(&b, 12);
	}
	if (s->var_first)
		varfileinfo(&b);
	if (s->tables[0].lang) {
		size_t sfi = vbegin(&b, "StringFileInfo", 0, 1);

		for (int t = 0; t < 3 && s->tables[t].lang; t++) {
			size_t tb = vbegin(&b, s->tables[t].lang, 0, 1);

			for (int k = 0; k < 10 && s->tables[t].kv[k].key; k++)
				vstring(&b, &s->tables[t].kv[k]);
			vend(&b, tb);
		}
		vend(&b, sfi);
	}
	if (!s->var_first)
		varfileinfo(&b);
	vend(&b, root);
	return b;
}

/* ---- PE builder ---- */

#define LFANEW 0x80u
#define TEXT_RVA 0x1000u
#define RSRC_RVA 0x2000u
#define TEXT_OFF 0x200u
#define RSRC_OFF 0x400u

struct pe {
	uint8_t *p;
	size_t len;
	size_t opt, sections;   /* file offsets */
	size_t root, name_dir, lang_dir, data_entry;
	size_t vinfo, vinfo_end;
};

struct ent {
	uint32_t name, value;
};

static void put_dir(struct buf *b, uint16_t named, uint16_t ids, const struct ent *e)
{
	zeros(b, 12);
	put16(b, named);
	put16(b, ids);
	for (unsigned i = 0; i < (unsigned)named + ids; i++) {
		put32(b, e[i].name);
		put32(b, e[i].value);
	}
}

static void put_data_entry(struct buf *b, uint32_t rva, uint32_t size)
{
	put32(b, rva);
	put32(b, size);
	put32(b, 0);
	put32(b, 0);
}

static struct pe build(const struct spec *s)
{
	struct spec alt = *s;
	struct buf v = build_version(s), v2, r = { 0 }, f = { 0 };
	uint16_t lang = s->lang ? s->lang : 0x409, name_id = s->name_id ? s->name_id : 1;
	uint16_t opt_size = s->pe32 ? 224 : 240;
	unsigned nroot = 1 + (s->other_types ? 2 : 0);
	unsigned nlang = s->extra ? 2 : 1;
	/* Directories first, then data entries, names and data, as rc does. */
	uint32_t o_root = 0, o_name = 16 + 8 * nroot, o_lang = o_name + 24;
	uint32_t o_de = o_lang + 16 + 8 * nlang, o_de2 = o_de + 16;
	uint32_t o_d1 = o_de2 + 16, o_d2 = o_d1 + 24, o_dde = o_d2 + 24;
	uint32_t o_str = o_dde + 16, o_dd = o_str + 8, o_v = o_dd + 4 + (s->misalign ? 2 : 0);
	uint32_t o_v2 = (o_v + (uint32_t)v.len + 3) & ~3u;
	struct ent root[4], *e = root;
	struct pe pe = { 0 };
	size_t rsrc_raw;

	alt.fv_ms = alt.pv_ms = 0x00090009;
	alt.fv_ls = alt.pv_ls = 0x00090009;
	memset(alt.tables, 0, sizeof(alt.tables));
	alt.tables[0].lang = "040704B0";
	alt.tables[0].kv[0] = (struct kv){ .key = "CompanyName", .value = "Other language" };
	v2 = build_version(&alt);

	/* .rsrc */
	if (s->other_types) {
		*e++ = (struct ent){ 0x80000000u | o_str, 0x80000000u | o_d1 };
		*e++ = (struct ent){ 3, 0x80000000u | o_d1 };
	}
	if (s->no_version)
		*e++ = (struct ent){ 14, 0x80000000u | o_d1 };
	else
		*e++ = (struct ent){ 16, 0x80000000u | o_name };
	put_dir(&r, s->other_types ? 1 : 0, (uint16_t)(nroot - (s->other_types ? 1 : 0)), root);
	put_dir(&r, 0, 1, (struct ent[]){ { name_id, 0x80000000u | o_lang } });
	if (s->extra)
		put_dir(&r, 0, 2, (struct ent[]){ { s->extra_lang, o_de2 }, { lang, o_de } });
	else
		put_dir(&r, 0, 1, (struct ent[]){ { lang, o_de } });
	put_data_entry(&r, RSRC_RVA + o_v, (uint32_t)v.len);
	put_data_entry(&r, RSRC_RVA + o_v2, (uint32_t)v2.len);
	put_dir(&r, 0, 1, (struct ent[]){ { 1, 0x80000000u | o_d2 } });
	put_dir(&r, 0, 1, (struct ent[]){ { 0, o_dde } });
	put_data_entry(&r, RSRC_RVA + o_dd, 4);
	put16(&r, 3);
	put_utf16(&r, "ZZZ", false);
	put32(&r, 0xC3C3C3C3);
	pad_to(&r, o_v);
	put(&r, v.p, v.len);
	pad_to(&r, o_v2);
	put(&r, v2.p, v2.len);
	rsrc_raw = (r.len + 0x1FF) & ~(size_t)0x1FF;

	/* Headers. */
	put(&f, "MZ", 2);
	pad_to(&f, 0x3C);
	put32(&f, LFANEW);
	pad_to(&f, LFANEW);
	put(&f, "PE\0\0", 4);
	put16(&f, s->pe32 ? 0x014C : 0x8664);
	put16(&f, 2);
	zeros(&f, 12);
	put16(&f, opt_size);
	put16(&f, (uint16_t)((s->pe32 ? 0x0102 : 0x0022) | (s->dll ? 0x2000 : 0)));
	pe.opt = f.len;
	zeros(&f, opt_size);
	{
		uint8_t *o = f.p + pe.opt;
		size_t dd = s->pe32 ? 96 : 112;

		set16(o, s->pe32 ? 0x10B : 0x20B);
		set32(o + 16, TEXT_RVA);
		set32(o + 32, 0x1000);
		set32(o + 36, 0x200);
		set32(o + 56, RSRC_RVA + 0x1000);
		set32(o + 60, TEXT_OFF);
		set16(o + 68, s->subsystem ? s->subsystem : 2);
		set32(o + dd - 4, 16);
		set32(o + dd + 16, RSRC_RVA);
		set32(o + dd + 20, (uint32_t)r.len);
	}
	pe.sections = f.len;
	put(&f, ".text\0\0\0", 8);
	put32(&f, 0x10);
	put32(&f, TEXT_RVA);
	put32(&f, 0x200);
	put32(&f, TEXT_OFF);
	zeros(&f, 12);
	put32(&f, 0x60000020);
	put(&f, ".rsrc\0\0\0", 8);
	put32(&f, (uint32_t)r.len);
	put32(&f, RSRC_RVA);
	put32(&f, (uint32_t)rsrc_raw);
	put32(&f, RSRC_OFF);
	zeros(&f, 12);
	put32(&f, 0x40000040);
	pad_to(&f, TEXT_OFF);
	put8(&f, 0xC3);
	pad_to(&f, RSRC_OFF);
	put(&f, r.p, r.len);
	pad_to(&f, RSRC_OFF + rsrc_raw);

	pe.p = f.p;
	pe.len = f.len;
	pe.root = RSRC_OFF + o_root;
	pe.name_dir = RSRC_OFF + o_name;
	pe.lang_dir = RSRC_OFF + o_lang;
	pe.data_entry = RSRC_OFF + o_de;
	pe.vinfo = RSRC_OFF + o_v;
	pe.vinfo_end = pe.vinfo + v.len;
	free(v.p);
	free(v2.p);
	free(r.p);
	return pe;
}

/* ---- specs ---- */

static const struct spec plain = {
	.subsystem = 2,
	.fv_ms = 0x000A0000, .fv_ls = 0x45630001,   /* 10.0.17763.1 */
	.pv_ms = 0x000A0000, .pv_ls = 0x45630000,   /* 10.0.17763.0 */
	.tables = { {
		.lang = "040904B0",
		.kv = {
			{ .key = "CompanyName", .value = "Microsoft Corporation" },
			{ .key = "FileDescription", .value = "Server driver" },
			{ .key = "FileVersion", .value = "10.0.17763.1 (WinBuild.160101.0800)" },
			{ .key = "InternalName", .value = "SRV.SYS" },
			{ .key = "LegalCopyright", .value = "\xC2\xA9 Microsoft Corporation. All rights reserved." },
			{ .key = "OriginalFilename", .value = "srv.sys" },
			{ .key = "ProductName", .value = "Microsoft\xC2\xAE Windows\xC2\xAE Operating System" },
			{ .key = "ProductVersion", .value = "10.0.17763.1" },
		},
	} },
};

/* PE32 DLL with a Japanese-only table, a character outside the BMP and
 * VarFileInfo first. */
static const struct spec japanese = {
	.pe32 = true, .dll = true, .subsystem = 3, .var_first = true, .lang = 0x411,
	.fv_ms = 0x00060001, .fv_ls = 0x1DB15C89,   /* 6.1.7601.23689 */
	.pv_ms = 0x00060001, .pv_ls = 0x1DB10000,
	.tables = { {
		.lang = "041104B0",
		.kv = {
			{ .key = "CompanyName", .value = "株式会社サンプル" },
			{ .key = "ProductName", .value = "制御システム \xF0\xA0\xAE\xB7" }, /* U+20BB7 */
			{ .key = "FileDescription", .value = "制御サービス" },
			{ .key = "FileVersion", .value = "6.1.7601.23689" },
		},
	} },
};

/* ---- helpers ---- */

static int parse(const uint8_t *p, size_t n, struct pe_info *pi, struct ks_err *err)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	if (n)
		memcpy(copy, p, n);
	rc = pe_parse(copy, n, pi, err);
	free(copy);
	return rc;
}

static void expect_error(const uint8_t *p, size_t n, const char *want)
{
	struct pe_info pi;
	struct ks_err err;

	assert_int_equal(parse(p, n, &pi, &err), -1);
	assert_string_equal(err.msg, want);
	assert_false(pi.has_version);
	assert_null(pi.company);
	assert_null(pi.file_description);
}

static void expect_version(const uint16_t v[4], const char *want)
{
	char buf[PE_VERSION_BUFSZ];

	assert_string_equal(pe_version_fmt(v, buf), want);
}

static void expect_str(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void assert_utf8_or_null(const char *s)
{
	uint16_t *u;

	if (!s)
		return;
	assert_true(utf8_to_utf16le(s, &u) >= 0);
	free(u);
}

/* Parses the spec's PE and returns the result; fails on error. */
static void parse_ok(const struct pe *pe, struct pe_info *pi)
{
	struct ks_err err;

	if (parse(pe->p, pe->len, pi, &err) != 0)
		fail_msg("pe_parse failed: %s", err);
}

/* ---- well-formed files ---- */

static void test_plain_pe64(void **state)
{
	struct pe pe = build(&plain);
	struct pe_info pi;

	(void)state;
	parse_ok(&pe, &pi);
	assert_true(pi.is_pe);
	assert_true(pi.is_64);
	assert_false(pi.is_dll);
	assert_int_equal(pi.machine, PE_MACHINE_AMD64);
	assert_int_equal(pi.subsystem, PE_SUBSYSTEM_WINDOWS_GUI);
	assert_true(pi.has_version);
	assert_true(pi.has_fixed);
	expect_version(pi.file_version, "10.0.17763.1");
	expect_version(pi.product_version, "10.0.17763.0");
	expect_str(pi.company, "Microsoft Corporation");
	expect_str(pi.product, "Microsoft\xC2\xAE Windows\xC2\xAE Operating System");
	expect_str(pi.file_version_str, "10.0.17763.1 (WinBuild.160101.0800)");
	expect_str(pi.product_version_str, "10.0.17763.1");
	expect_str(pi.original_filename, "srv.sys");
	expect_str(pi.file_description, "Server driver");
	expect_str(pi.internal_name, "SRV.SYS");
	pe_info_release(&pi);
	assert_null(pi.company);
	assert_false(pi.is_pe);
	pe_info_release(&pi); /* a zeroed struct is fine */
	free(pe.p);
}

static void test_japanese_pe32_dll(void **state)
{
	struct pe pe = build(&japanese);
	struct pe_info pi;

	(void)state;
	parse_ok(&pe, &pi);
	assert_true(pi.is_pe);
	assert_false(pi.is_64);
	assert_true(pi.is_dll);
	assert_int_equal(pi.machine, PE_MACHINE_I386);
	assert_int_equal(pi.subsystem, PE_SUBSYSTEM_WINDOWS_CUI);
	assert_true(pi.has_fixed);
	expect_version(pi.file_version, "6.1.7601.23689");
	expect_version(pi.product_version, "6.1.7601.0");
	expect_str(pi.company, "株式会社サンプル");
	expect_str(pi.product, "制御システム \xF0\xA0\xAE\xB7");
	expect_str(pi.file_description, "制御サービス");
	expect_str(pi.file_version_str, "6.1.7601.23689");
	expect_str(pi.product_version_str, NULL);
	expect_str(pi.original_filename, NULL);
	expect_str(pi.internal_name, NULL);
	pe_info_release(&pi);
	free(pe.p);
}

static const char *company_of(const struct spec *s)
{
	static char got[64];
	struct pe pe = build(s);
	struct pe_info pi;

	parse_ok(&pe, &pi);
	snprintf(got, sizeof(got), "%s", pi.company ? pi.company : "(none)");
	pe_info_release(&pi);
	free(pe.p);
	return got;
}

static void test_table_choice(void **state)
{
	struct spec s = plain;
	struct table ja = { "041104B0", { { .key = "CompanyName", .value = "日本語" } } };
	struct table e4 = { "040904E4", { { .key = "CompanyName", .value = "cp1252 table" } } };
	struct table b0 = { "040904b0", { { .key = "CompanyName", .value = "unicode table" } } };
	struct table de = { "040704B0", { { .key = "CompanyName", .value = "Deutsch" } } };

	(void)state;
	/* US English Unicode beats everything, whatever the order and case. */
	s.tables[0] = ja, s.tables[1] = e4, s.tables[2] = b0;
	assert_string_equal(company_of(&s), "unicode table");
	s.tables[0] = b0, s.tables[1] = e4, s.tables[2] = ja;
	assert_string_equal(company_of(&s), "unicode table");
	/* Then US English in Windows-1252. */
	s.tables[0] = ja, s.tables[1] = e4, s.tables[2] = de;
	assert_string_equal(company_of(&s), "cp1252 table");
	/* Otherwise the first table, whatever its language. */
	s.tables[0] = de, s.tables[1] = ja;
	memset(&s.tables[2], 0, sizeof(s.tables[2]));
	assert_string_equal(company_of(&s), "Deutsch");
	/* No StringFileInfo: only the fixed part. */
	memset(s.tables, 0, sizeof(s.tables));
	assert_string_equal(company_of(&s), "(none)");
}

static void test_resource_choice(void **state)
{
	struct spec s = plain;
	struct pe pe;
	struct pe_info pi;

	(void)state;
	/* Other types (one named) come first in the root directory; a second
	 * language sorted before en-US holds other data. */
	s.other_types = true;
	s.extra = true;
	s.extra_lang = 0x407;
	pe = build(&s);
	parse_ok(&pe, &pi);
	expect_str(pi.company, "Microsoft Corporation");
	expect_version(pi.file_version, "10.0.17763.1");
	pe_info_release(&pi);
	free(pe.p);

	/* Neither neutral nor en-US: the first language. */
	s.lang = 0x411;
	assert_string_equal(company_of(&s), "Other language");
	/* Language neutral beats en-US. */
	s.lang = 0x409;
	s.extra_lang = 0;
	assert_string_equal(company_of(&s), "Other language");

	/* A name other than 1 is used when it is the only one. */
	s = plain;
	s.name_id = 7;
	assert_string_equal(company_of(&s), "Microsoft Corporation");

	/* Resources, but no RT_VERSION. */
	s = plain;
	s.no_version = true;
	s.other_types = true;
	pe = build(&s);
	parse_ok(&pe, &pi);
	assert_true(pi.is_pe);
	assert_false(pi.has_version);
	assert_false(pi.has_fixed);
	assert_null(pi.company);
	pe_info_release(&pi);
	free(pe.p);

	/* Version data at an RVA that is 2 mod 4: alignment is counted from
	 * the start of the block. */
	s = plain;
	s.misalign = true;
	pe = build(&s);
	assert_int_equal(pe.vinfo % 4, 2);
	parse_ok(&pe, &pi);
	expect_str(pi.internal_name, "SRV.SYS");
	expect_str(pi.product_version_str, "10.0.17763.1");
	expect_version(pi.file_version, "10.0.17763.1");
	pe_info_release(&pi);
	free(pe.p);
}

static void test_fixed_info_missing_or_bad(void **state)
{
	struct spec s = plain;
	struct pe pe;
	struct pe_info pi;

	(void)state;
	for (int bad = 0; bad < 2; bad++) {
		s.no_fixed = !bad;
		s.bad_sig = bad;
		pe = build(&s);
		parse_ok(&pe, &pi);
		assert_true(pi.has_version);
		assert_false(pi.has_fixed);
		expect_version(pi.file_version, "0.0.0.0");
		expect_version(pi.product_version, "0.0.0.0");
		/* The strings are still there. */
		expect_str(pi.company, "Microsoft Corporation");
		expect_str(pi.product_version_str, "10.0.17763.1");
		pe_info_release(&pi);
		free(pe.p);
	}
}

static void test_value_length_lies(void **state)
{
	struct spec s = { .fv_ms = 0x00010002, .fv_ls = 0x00030004 };
	struct pe pe;
	struct pe_info pi;

	(void)state;
	s.tables[0] = (struct table){
		"040904B0", {
			/* In bytes instead of characters, as some compilers write. */
			{ .key = "CompanyName", .value = "Bytes Inc", .lie = true, .vlen = 20 },
			/* Zero, one, and far more than the block holds. */
			{ .key = "ProductName", .value = "Zero", .lie = true, .vlen = 0 },
			{ .key = "FileVersion", .value = "1.2.3.4", .lie = true, .vlen = 1 },
			{ .key = "ProductVersion", .value = "Huge", .lie = true, .vlen = 0xFFFF },
			/* No NUL: the value runs to the end of the block. */
			{ .key = "originalfilename", .value = "nonul.exe", .no_nul = true },
			/* Empty, then a duplicate that must not win. */
			{ .key = "FileDescription", .value = "" },
			{ .key = "InternalName", .value = "first" },
			{ .key = "INTERNALNAME", .value = "second" },
			{ .key = "FileDescription", .value = "late" },
		}
	};
	pe = build(&s);
	parse_ok(&pe, &pi);
	expect_version(pi.file_version, "1.2.3.4");
	expect_str(pi.company, "Bytes Inc");
	expect_str(pi.product, "Zero");
	expect_str(pi.file_version_str, "1.2.3.4");
	expect_str(pi.product_version_str, "Huge");
	expect_str(pi.original_filename, "nonul.exe");
	/* The first FileDescription is empty: NULL, not the later one. */
	expect_str(pi.file_description, NULL);
	expect_str(pi.internal_name, "first");
	pe_info_release(&pi);
	free(pe.p);
}

/* Blocks that end where no writer would end them. */
static void test_odd_blocks(void **state)
{
	struct spec s = { .fv_ms = 0x00010002, .fv_ls = 0x00030004 };
	struct pe pe;
	struct pe_info pi;

	(void)state;
	s.tables[0] = (struct table){
		"040904B0", {
			/* A key without its NUL matches nothing and is skipped. */
			{ .key = "CompanyName", .key_no_nul = true },
			{ .key = "CompanyName", .value = "Real Co" },
			/* wLength 30: the block ends before the key's padding. */
			{ .key = "ProductName", .tight = true },
			{ .key = "ProductName", .value = "not the first" },
			{ .key = "FileVersion", .value = "1.0" },
		}
	};
	pe = build(&s);
	assert_int_equal(get16(pe.p + pe.vinfo + 40 + 52 + 36 + 24), 28);
	parse_ok(&pe, &pi);
	expect_str(pi.company, "Real Co");
	expect_str(pi.product, NULL);
	expect_str(pi.file_version_str, "1.0");
	pe_info_release(&pi);
	free(pe.p);
}

/* The version data is the last thing in the buffer and its size is odd: the
 * last String loses its NUL, then half of a character. */
static void test_odd_size_at_end(void **state)
{
	static const struct { size_t cut; const char *want; } cuts[] = {
		{ 0, "6.1.7601.23689" }, { 1, "6.1.7601.23689" }, { 2, "6.1.7601.23689" },
		{ 3, "6.1.7601.2368" }, { 4, "6.1.7601.2368" }, { 27, "6" }, { 28, "6" },
		{ 29, NULL }, { 30, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct pe pe = build(&japanese);
		size_t n = pe.vinfo_end - cuts[i].cut;
		struct pe_info pi;
		struct ks_err err;

		set32(pe.p + pe.data_entry + 4, (uint32_t)(n - pe.vinfo));
		if (parse(pe.p, n, &pi, &err) != 0)
			fail_msg("cut %zu: %s", cuts[i].cut, err);
		expect_str(pi.file_version_str, cuts[i].want);
		expect_str(pi.company, "株式会社サンプル");
		expect_version(pi.file_version, "6.1.7601.23689");
		pe_info_release(&pi);
		free(pe.p);
	}

	/* The last String has wLength 0 and the buffer ends with its header. */
	{
		struct pe pe = build(&japanese);
		size_t last = pe.vinfo_end - 6 - 24 - 2 - 30; /* header, key, pad, value */
		struct pe_info pi;
		struct ks_err err;

		assert_int_equal(get16(pe.p + last), 62);
		assert_int_equal(get16(pe.p + last + 6), 'F');
		set16(pe.p + last, 0);
		set32(pe.p + pe.data_entry + 4, (uint32_t)(last + 6 - pe.vinfo));
		assert_int_equal(parse(pe.p, last + 6, &pi, &err), 0);
		expect_str(pi.file_version_str, NULL);
		expect_str(pi.file_description, "制御サービス");
		pe_info_release(&pi);
		free(pe.p);
	}

	/* The buffer ends inside VS_FIXEDFILEINFO. */
	for (size_t cut = 1; cut <= 52; cut += 17) {
		struct pe pe = build(&japanese);
		size_t n = pe.vinfo + 40 + 52 - cut;
		struct pe_info pi;
		struct ks_err err;

		set32(pe.p + pe.data_entry + 4, (uint32_t)(n - pe.vinfo));
		assert_int_equal(parse(pe.p, n, &pi, &err), 0);
		assert_true(pi.has_version);
		assert_false(pi.has_fixed);
		expect_str(pi.company, NULL);
		pe_info_release(&pi);
		free(pe.p);
	}
}

/* wLength values that overrun their parent are clipped to it, as Windows
 * does; the file is still read. */
static void test_block_length_lies(void **state)
{
	struct pe pe = build(&plain);
	struct pe_info pi;
	struct ks_err err;
	size_t sfi, tbl, last;
	uint8_t *p = pe.p;

	(void)state;
	/* Root wLength larger than the resource: clipped to the data size. */
	set16(p + pe.vinfo, 0xFFF0);
	parse_ok(&pe, &pi);
	expect_str(pi.company, "Microsoft Corporation");
	expect_str(pi.product_version_str, "10.0.17763.1");
	pe_info_release(&pi);
	set16(p + pe.vinfo, (uint16_t)(pe.vinfo_end - pe.vinfo));

	/* The last String's wLength past its table: clipped at the table end. */
	sfi = pe.vinfo + 40 + 52;
	tbl = sfi + 6 + 30; /* "StringFileInfo\0" is 30 bytes, no padding needed */
	assert_int_equal(get16(p + sfi + 6), 'S');
	assert_int_equal(get16(p + tbl + 6), '0');
	last = tbl + 6 + 18 + 0;
	for (size_t c = last, next; c < tbl + get16(p + tbl); c = next) {
		last = c;
		next = c + ((get16(p + c) + 3u) & ~3u);
	}
	assert_int_equal(get16(p + last + 6), 'P'); /* ProductVersion */
	set16(p + last, 0xFFFF);
	parse_ok(&pe, &pi);
	expect_str(pi.product_version_str, "10.0.17763.1");
	expect_str(pi.company, "Microsoft Corporation");
	pe_info_release(&pi);

	/* A String whose wLength is too small for its header ends the list. */
	set16(p + last, 4);
	parse_ok(&pe, &pi);
	expect_str(pi.product_version_str, NULL);
	expect_str(pi.original_filename, "srv.sys");
	pe_info_release(&pi);
	{
		size_t third = tbl + 24;

		for (int i = 0; i < 2; i++)
			third += (get16(p + third) + 3u) & ~3u;
		assert_int_equal(get16(p + third + 6), 'F'); /* FileVersion */
		for (uint16_t len = 0; len < 6; len++) {
			set16(p + third, len);
			parse_ok(&pe, &pi);
			expect_str(pi.company, "Microsoft Corporation");
			expect_str(pi.file_description, "Server driver");
			expect_str(pi.file_version_str, NULL);
			expect_str(pi.internal_name, NULL);
			expect_str(pi.original_filename, NULL);
			expect_str(pi.product, NULL);
			pe_info_release(&pi);
		}
	}

	/* Root wValueLength 0: there is no fixed part, whatever follows. */
	set16(p + pe.vinfo + 2, 0);
	parse_ok(&pe, &pi);
	assert_true(pi.has_version);
	assert_false(pi.has_fixed);
	pe_info_release(&pi);

	/* Root wValueLength far past the root: the fixed part is read, the
	 * children cannot be placed. */
	set16(p + pe.vinfo + 2, 0xFFFF);
	parse_ok(&pe, &pi);
	assert_true(pi.has_fixed);
	expect_version(pi.file_version, "10.0.17763.1");
	expect_str(pi.company, NULL);
	pe_info_release(&pi);
	set16(p + pe.vinfo + 2, 52);

	/* The root key is not VS_VERSION_INFO. */
	p[pe.vinfo + 6] = 'X';
	assert_int_equal(parse(pe.p, pe.len, &pi, &err), -1);
	assert_true(pi.is_pe);
	assert_true(pi.is_64);
	assert_false(pi.has_version);
	assert_null(pi.company);
	free(pe.p);
}

static void test_versions(void **state)
{
	uint16_t a[4], b[4] = { 9, 9, 9, 9 };
	char buf[PE_VERSION_BUFSZ];
	static const uint16_t max[4] = { 65535, 65535, 65535, 65535 };
	static const uint16_t patched[4] = { 6, 1, 7601, 23689 };
	static const char *const bad[] = {
		"", ".", "1.", ".1", "1..2", "1.2.3.4.5", "65536", "1.2.3.65536",
		"-1", "+1", " 1", "1 ", "1.2a", "6.1.7601.23689 (win7sp1)", "0x10",
		"99999999999999999999",
	};

	(void)state;
	assert_string_equal(pe_version_fmt(max, buf), "65535.65535.65535.65535");
	assert_int_equal(strlen(buf) + 1, PE_VERSION_BUFSZ);
	assert_int_equal(pe_version_parse("6.1.7601.23689", a), 0);
	assert_int_equal(pe_version_cmp(a, patched), 0);
	assert_int_equal(pe_version_parse("6.1", a), 0);
	assert_string_equal(pe_version_fmt(a, buf), "6.1.0.0");
	assert_int_equal(pe_version_parse("0", a), 0);
	assert_string_equal(pe_version_fmt(a, buf), "0.0.0.0");
	assert_int_equal(pe_version_parse("65535.0.00012.1", a), 0);
	assert_string_equal(pe_version_fmt(a, buf), "65535.0.12.1");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pe_version_parse(bad[i], b) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_string_equal(pe_version_fmt(b, buf), "9.9.9.9");
	}

	/* Part by part, numerically: 6.1.7601.17514 < 6.1.7601.23689, and a
	 * later build beats any revision. */
	{
		static const char *const order[] = {
			"0.0.0.0", "5.2.3790.4000", "6.0.6002.24000", "6.1.7600.16385",
			"6.1.7601.9", "6.1.7601.17514", "6.1.7601.23689", "6.1.7602.0",
			"6.2.9200.0", "10.0.14393.953", "10.0.17763.1", "65535.65535.65535.65535",
		};
		size_t n = sizeof(order) / sizeof(order[0]);

		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++) {
				int c;

				assert_int_equal(pe_version_parse(order[i], a), 0);
				assert_int_equal(pe_version_parse(order[j], b), 0);
				c = pe_version_cmp(a, b);
				if (i < j)
					assert_true(c < 0);
				else if (i > j)
					assert_true(c > 0);
				else
					assert_int_equal(c, 0);
			}
	}
}

/* ---- not PE, damaged headers ---- */

static void expect_not_pe(const void *p, size_t n)
{
	struct pe_info pi;
	struct ks_err err = { .msg = "junk" };

	assert_int_equal(parse(p, n, &pi, &err), 0);
	assert_false(pi.is_pe);
	assert_false(pi.has_version);
	assert_string_equal(err.msg, "");
}

static void test_not_pe(void **state)
{
	static const char text[] = "@echo off\r\nstart C:\\Tools\\hmi.exe\r\n";
	uint8_t dos[0x80] = { 'M', 'Z' };
	struct pe pe = build(&plain);

	(void)state;
	expect_not_pe("", 0);
	expect_not_pe("M", 1);
	expect_not_pe("ZM", 2);
	expect_not_pe(text, sizeof(text) - 1);
	expect_not_pe(pe.p + 1, pe.len - 1);
	/* A DOS program: e_lfanew inside the file, no PE signature there. */
	expect_not_pe(dos, sizeof(dos));
	set32(dos + 0x3C, 0x40);
	memcpy(dos + 0x40, "NE", 2);
	expect_not_pe(dos, sizeof(dos));
	memcpy(dos + 0x40, "PE\0\1", 4);
	expect_not_pe(dos, sizeof(dos));

	/* MZ alone or short: a truncated executable, not "not a PE". */
	expect_error((const uint8_t *)"MZ", 2, "truncated DOS header (2 of 64 bytes)");
	expect_error(dos, 63, "truncated DOS header (63 of 64 bytes)");
	set32(dos + 0x3C, 0x7D);
	expect_error(dos, sizeof(dos), "e_lfanew 125 points past the end of the file (128 bytes)");
	set32(dos + 0x3C, 0xFFFFFFFF);
	expect_error(dos, sizeof(dos), "e_lfanew 4294967295 points past the end of the file (128 bytes)");
	set32(dos + 0x3C, 0x7C);
	memcpy(dos + 0x7C, "PE\0\0", 4);
	expect_error(dos, sizeof(dos), "file header (COFF) at byte 128 runs past the end of the file (128 bytes)");
	free(pe.p);
}

static void test_damaged_headers(void **state)
{
	struct pe pe = build(&plain);
	uint8_t *p = pe.p;
	struct pe_info pi;
	char want[256];
	struct ks_err err;
	size_t coff = LFANEW + 4, dd = pe.opt + 112;

	(void)state;
	/* Unknown optional header magic (ROM image). */
	set16(p + pe.opt, 0x107);
	snprintf(want, sizeof(want), "unknown optional header magic 0x0107 at byte %zu", pe.opt);
	expect_error(p, pe.len, want);
	set16(p + pe.opt, 0x20B);

	/* Huge section count and SizeOfOptionalHeader. */
	set16(p + coff + 2, 0xFFFF);
	snprintf(want, sizeof(want),
		 "section table (65535 sections at byte %zu) runs past the end of the file (%zu bytes)",
		 pe.sections, pe.len);
	expect_error(p, pe.len, want);
	set16(p + coff + 2, 2);
	set16(p + coff + 16, 0xFFFF);
	snprintf(want, sizeof(want),
		 "section table (2 sections at byte %zu) runs past the end of the file (%zu bytes)",
		 pe.opt + 0xFFFF, pe.len);
	expect_error(p, pe.len, want);
	set16(p + coff + 16, 240);

	/* Two data directories: no resource directory, so no version. */
	set32(p + dd - 4, 2);
	assert_int_equal(parse(p, pe.len, &pi, &err), 0);
	assert_true(pi.is_pe);
	assert_false(pi.has_version);
	pe_info_release(&pi);
	set32(p + dd - 4, 16);
	/* Resource RVA 0: none either. */
	set32(p + dd + 16, 0);
	assert_int_equal(parse(p, pe.len, &pi, &err), 0);
	assert_true(pi.is_pe);
	assert_false(pi.has_version);
	pe_info_release(&pi);
	/* Resource RVA in no section and past the headers. */
	set32(p + dd + 16, 0x9000);
	expect_error(p, pe.len, "resource directory (16 bytes at RVA 0x9000) is not inside any section");
	/* In .text's virtual size but past its raw data. */
	set32(p + pe.sections + 8, 0x800);
	set32(p + dd + 16, TEXT_RVA + 0x300);
	expect_error(p, pe.len,
		     "resource directory (16 bytes at RVA 0x1300) runs past the file data of section '.text'");
	/* Section names are whatever the file says. */
	memcpy(p + pe.sections, "\x01\xFF" "abcdef", 8);
	expect_error(p, pe.len,
		     "resource directory (16 bytes at RVA 0x1300) runs past the file data of section '??abcdef'");
	/* Raw data pointer past the end of the file. */
	set32(p + pe.sections + 20, 0x7FFFF000);
	set32(p + dd + 16, TEXT_RVA);
	snprintf(want, sizeof(want),
		 "resource directory (16 bytes at RVA 0x1000) runs past the end of the file (%zu bytes)",
		 pe.len);
	expect_error(p, pe.len, want);
	free(pe.p);

	/* An unaligned PointerToRawData is rounded down to 512 by the loader
	 * when FileAlignment is at least 512, and used as is below that. */
	pe = build(&plain);
	p = pe.p;
	set32(p + pe.sections + 40 + 20, RSRC_OFF + 0x1FF);
	parse_ok(&pe, &pi);
	expect_str(pi.company, "Microsoft Corporation");
	pe_info_release(&pi);
	set32(p + pe.opt + 36, 0x100);
	assert_int_equal(parse(p, pe.len, &pi, &err), -1);
	free(pe.p);

	/* VirtualSize 0 means SizeOfRawData; a VirtualSize that stops short of
	 * the data still maps up to the next SectionAlignment boundary. */
	pe = build(&plain);
	p = pe.p;
	set32(p + pe.sections + 40 + 8, 0);
	parse_ok(&pe, &pi);
	expect_str(pi.company, "Microsoft Corporation");
	pe_info_release(&pi);
	set32(p + pe.sections + 40 + 8, 0x10);
	parse_ok(&pe, &pi);
	expect_str(pi.company, "Microsoft Corporation");
	pe_info_release(&pi);
	set32(p + pe.opt + 32, 0x200);
	assert_true(pe.vinfo_end - RSRC_OFF > 0x200);
	snprintf(want, sizeof(want),
		 "version resource (%zu bytes at RVA 0x%zx) runs past the file data of section '.rsrc'",
		 pe.vinfo_end - pe.vinfo, RSRC_RVA + pe.vinfo - RSRC_OFF);
	expect_error(p, pe.len, want);
	free(pe.p);

	/* Resource tree at the top of the 4 GiB address space. */
	pe = build(&plain);
	p = pe.p;
	set32(p + dd + 16, 0xFFFFFFF8);
	expect_error(p, pe.len, "resource directory at offset 0x0 is past the 4 GiB address space");
	set32(p + dd + 16, 0xFFFF0000);
	set32(p + pe.sections + 40 + 12, 0xFFFF0000);
	set32(p + pe.lang_dir + 16 + 4, 0x7FFFFFF0);
	expect_error(p, pe.len, "resource data entry at offset 0x7ffffff0 is past the 4 GiB address space");
	set32(p + pe.lang_dir + 16 + 4, (uint32_t)(pe.data_entry - pe.root));
	/* The data entry's RVA is absolute: move it with the section. */
	set32(p + pe.data_entry, 0xFFFF0000 + (uint32_t)(pe.vinfo - RSRC_OFF));
	parse_ok(&pe, &pi);
	expect_str(pi.company, "Microsoft Corporation");
	pe_info_release(&pi);
	free(pe.p);

	/* No sections, no optional header size: the file ends inside the
	 * data directories. */
	pe = build(&plain);
	p = pe.p;
	set16(p + coff + 2, 0);
	set16(p + coff + 16, 0);
	snprintf(want, sizeof(want),
		 "resource data directory at byte %zu runs past the end of the file (%zu bytes)",
		 dd + 16, dd + 23);
	expect_error(p, dd + 23, want);
	expect_error(p, dd + 24, "resource directory (16 bytes at RVA 0x2000) is not inside any section");
	snprintf(want, sizeof(want),
		 "optional header (112 bytes at byte %zu) runs past the end of the file (%zu bytes)",
		 pe.opt, dd - 1);
	expect_error(p, dd - 1, want);
	free(pe.p);

	/* RVAs below SizeOfHeaders and outside every section map 1:1: a
	 * directory in the gap after the section table is found there. */
	pe = build(&plain);
	p = pe.p;
	assert_true(pe.sections + 80 + 24 <= TEXT_OFF);
	set16(p + pe.sections + 80 + 14, 1);
	set32(p + pe.sections + 80 + 16, 16);
	set32(p + pe.sections + 80 + 20, 0);
	set32(p + dd + 16, (uint32_t)pe.sections + 80);
	expect_error(p, pe.len, "version resource type entry at offset 0x0 is data, not a directory");
	free(pe.p);
}

static void test_resource_loops_and_counts(void **state)
{
	struct pe pe = build(&plain);
	uint8_t *p = pe.p;
	uint32_t name_off = (uint32_t)(pe.name_dir - pe.root);
	uint32_t lang_off = (uint32_t)(pe.lang_dir - pe.root);
	char want[256];

	(void)state;
	/* RT_VERSION points back at the root. */
	set32(p + pe.root + 16 + 4, 0x80000000u);
	expect_error(p, pe.len,
		     "resource directory at offset 0x0 refers back to the directory at offset 0x0");
	set32(p + pe.root + 16 + 4, 0x80000000u | name_off);
	/* The name directory points at itself, then at the root. */
	set32(p + pe.name_dir + 16 + 4, 0x80000000u | name_off);
	snprintf(want, sizeof(want),
		 "resource directory at offset 0x%x refers back to the directory at offset 0x%x",
		 name_off, name_off);
	expect_error(p, pe.len, want);
	set32(p + pe.name_dir + 16 + 4, 0x80000000u);
	snprintf(want, sizeof(want),
		 "resource directory at offset 0x%x refers back to the directory at offset 0x0",
		 name_off);
	expect_error(p, pe.len, want);
	set32(p + pe.name_dir + 16 + 4, 0x80000000u | lang_off);
	/* The language entry is a directory: a fourth level. */
	set32(p + pe.lang_dir + 16 + 4, 0x80000000u | name_off);
	snprintf(want, sizeof(want),
		 "version resource language entry at offset 0x%x is a directory: the tree is deeper than 3 levels",
		 lang_off);
	expect_error(p, pe.len, want);
	set32(p + pe.lang_dir + 16 + 4, (uint32_t)(pe.data_entry - pe.root));
	/* The name entry is data. */
	set32(p + pe.name_dir + 16 + 4, lang_off);
	snprintf(want, sizeof(want),
		 "version resource name entry at offset 0x%x is data, not a directory", name_off);
	expect_error(p, pe.len, want);
	set32(p + pe.name_dir + 16 + 4, 0x80000000u | lang_off);
	/* Subdirectory offsets near 2^31 from a high root RVA. */
	set32(p + pe.root + 16 + 4, 0xFFFFFFFFu);
	expect_error(p, pe.len, "resource directory (16 bytes at RVA 0x80001fff) is not inside any section");
	set32(p + pe.root + 16 + 4, 0x80000000u | name_off);

	/* Huge entry counts. */
	set16(p + pe.root + 14, 0xFFFF);
	set16(p + pe.root + 12, 0xFFFF);
	expect_error(p, pe.len,
		     "resource directory entries (1048560 bytes at RVA 0x2010) runs past the file data of section '.rsrc'");
	set16(p + pe.root + 12, 0);
	set16(p + pe.root + 14, 1);
	set16(p + pe.lang_dir + 14, 0x2000);
	snprintf(want, sizeof(want),
		 "resource directory entries (65536 bytes at RVA 0x%x) runs past the file data of section '.rsrc'",
		 RSRC_RVA + lang_off + 16);
	expect_error(p, pe.len, want);
	/* Zero entries: no version, not an error. */
	set16(p + pe.lang_dir + 14, 0);
	{
		struct pe_info pi;
		struct ks_err err;

		assert_int_equal(parse(p, pe.len, &pi, &err), 0);
		assert_true(pi.is_pe);
		assert_false(pi.has_version);
	}
	set16(p + pe.lang_dir + 14, 1);

	/* Data entry size and RVA. */
	set32(p + pe.data_entry + 4, 0xFFFFFFFF);
	snprintf(want, sizeof(want),
		 "version resource (4294967295 bytes at RVA 0x%x) runs past the file data of section '.rsrc'",
		 (unsigned)(RSRC_RVA + pe.vinfo - RSRC_OFF));
	expect_error(p, pe.len, want);
	set32(p + pe.data_entry + 4, 3);
	snprintf(want, sizeof(want), "version resource at byte %zu is not a VS_VERSIONINFO block",
		 pe.vinfo);
	expect_error(p, pe.len, want);
	set32(p + pe.data_entry + 4, (uint32_t)(pe.vinfo_end - pe.vinfo));
	set32(p + pe.data_entry, 0xFFFFFFF0);
	snprintf(want, sizeof(want), "version resource (%zu bytes at RVA 0xfffffff0) is not inside any section",
		 pe.vinfo_end - pe.vinfo);
	expect_error(p, pe.len, want);
	free(pe.p);
}

/* Every prefix: before the end of the version data the result is an error
 * (or "not a PE" for the first two bytes); from there on, the full result. */
static void check_prefixes(const uint8_t *p, size_t len, size_t vend, const struct pe_info *full)
{
	for (size_t n = 0; n <= len; n++) {
		struct pe_info pi;
		struct ks_err err;
		int rc = parse(p, n, &pi, &err);

		if (n < 2) {
			assert_int_equal(rc, 0);
			assert_false(pi.is_pe);
		} else if (n < vend) {
			if (rc != -1)
				fail_msg("prefix of %zu bytes (version data ends at %zu) parsed", n, vend);
			assert_true(err.msg[0] != '\0');
			assert_false(pi.has_version);
			assert_null(pi.company);
		} else {
			assert_int_equal(rc, 0);
			assert_true(pi.has_fixed);
			assert_int_equal(pe_version_cmp(pi.file_version, full->file_version), 0);
			expect_str(pi.company, full->company);
			expect_str(pi.product, full->product);
			expect_str(pi.file_description, full->file_description);
			expect_str(pi.product_version_str, full->product_version_str);
			pe_info_release(&pi);
		}
	}
}

static void test_truncated_everywhere(void **state)
{
	const struct spec *specs[] = { &plain, &japanese };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct pe pe = build(specs[i]);
		struct pe_info full;

		parse_ok(&pe, &full);
		check_prefixes(pe.p, pe.len, pe.vinfo_end, &full);
		pe_info_release(&full);
		free(pe.p);
	}
}

/* ---- deterministic mutation fuzz ---- */

static uint64_t rng_state = 0x6b656e7368750002ull;

static uint64_t rnd(void)
{
	return xorshift64(&rng_state);
}

/* Checks what a caller may rely on, whatever the input. Returns 0 for an
 * error or not a PE, 1 for a PE, 2 for a PE with version information. */
static int fuzz_one(const uint8_t *p, size_t n)
{
	struct pe_info pi;
	struct ks_err err;
	int rc = parse(p, n, &pi, &err);
	char *s[] = {
		pi.company, pi.product, pi.file_version_str, pi.product_version_str,
		pi.original_filename, pi.file_description, pi.internal_name,
	};

	if (rc == -1) {
		assert_true(err.msg[0] != '\0');
		assert_true(strlen(err.msg) < sizeof(err.msg));
		assert_false(pi.has_version);
		assert_false(pi.has_fixed);
	} else {
		assert_int_equal(rc, 0);
		assert_string_equal(err.msg, "");
	}
	if (!pi.is_pe)
		assert_false(pi.has_version);
	if (pi.has_fixed)
		assert_true(pi.has_version);
	if (!pi.has_fixed) {
		expect_version(pi.file_version, "0.0.0.0");
		expect_version(pi.product_version, "0.0.0.0");
	}
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (!pi.has_version || rc)
			assert_null(s[i]);
		if (s[i]) {
			assert_true(s[i][0] != '\0');
			assert_utf8_or_null(s[i]);
		}
	}
	rc = rc == 0 && pi.is_pe ? 1 + pi.has_version : 0;
	pe_info_release(&pi);
	return rc;
}

/* iters mutants of base: bytes set, bits flipped, 16/32-bit fields
 * overwritten near the hot offsets (the last one is the VS_VERSIONINFO,
 * whose wLength/wValueLength fields get overwritten too), a fifth of them
 * also truncated. Counts PEs parsed and those with version information. */
static void mutate_and_check(const uint8_t *base, size_t len, const size_t *hot, size_t nhot,
			     unsigned iters, unsigned *ok, unsigned *versions)
{
	static const uint32_t magic[] = {
		0, 1, 2, 3, 4, 6, 0x10, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
		0x10000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF,
	};
	uint8_t *p = malloc(len);

	assert_non_null(p);
	for (unsigned iter = 0; iter < iters; iter++) {
		unsigned muts = 1 + (unsigned)(rnd() % 4);
		size_t n = len;

		memcpy(p, base, len);
		for (unsigned m = 0; m < muts; m++) {
			/* Mostly near the structures that hold lengths and offsets:
			 * headers, section table, resource tree, version blocks. */
			size_t at = rnd() % 4 == 0 ? rnd() % len
				  : (hot[rnd() % nhot] + rnd() % 64) % len;
			uint32_t v = magic[rnd() % (sizeof(magic) / sizeof(magic[0]))];

			switch (rnd() % 5) {
			case 0:
				p[at] = (uint8_t)rnd();
				break;
			case 1:
				p[at] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 2:
				if (len - at >= 2)
					set16(p + at, rnd() % 2 ? (uint16_t)v : (uint16_t)(rnd() % 0x400));
				break;
			case 3:
				if (len - at >= 4)
					set32(p + at, rnd() % 2 ? v : (uint32_t)(rnd() % (len + 16)));
				break;
			default:
				/* Overwrite a length field of a version block. */
				at = hot[nhot - 1] + 4 * (rnd() % 64);
				if (at + 2 <= len)
					set16(p + at, (uint16_t)(rnd() % 0x300));
				break;
			}
		}
		if (rnd() % 5 == 0)
			n = (size_t)(rnd() % (len + 1));
		switch (fuzz_one(p, n)) {
		case 2:
			(*versions)++;
			/* fall through */
		case 1:
			(*ok)++;
			break;
		}
	}
	free(p);
}

static void test_fuzz(void **state)
{
	const struct spec *specs[] = { &plain, &japanese };
	unsigned ok = 0, versions = 0, total = 0;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct pe pe = build(specs[i]);
		size_t hot[] = { 0x3C, LFANEW, pe.opt, pe.opt + 56, pe.opt + 104, pe.sections,
				 pe.sections + 40, pe.root, pe.name_dir, pe.lang_dir, pe.data_entry,
				 pe.vinfo, pe.vinfo + 92, pe.vinfo + 160, pe.vinfo };

		mutate_and_check(pe.p, pe.len, hot, sizeof(hot) / sizeof(hot[0]), 12000,
				 &ok, &versions);
		total += 12000;
		free(pe.p);
	}
	/* Both outcomes must be exercised for the loop to mean anything. */
	print_message("fuzz: %u inputs, %u parsed as PE, %u of them with version info\n",
		      total, ok, versions);
	assert_true(ok > total / 10);
	assert_true(ok < total - total / 10);
	assert_true(versions > total / 20);
}

/* ---- real PE files from mingw-w64 ---- */

struct real {
	const char *name, *company, *product, *version, *kind;
	bool dll;
	uint16_t subsystem;
};

static const struct real reals[] = {
	{ "srv.sys", "Microsoft Corporation", "Microsoft\xC2\xAE Windows\xC2\xAE Operating System",
	  "6.1.7601.23689", "sys", false, PE_SUBSYSTEM_NATIVE },
	{ "HmiCore.dll", "株式会社 \"引用\" \\ 工業", "HMI ランタイム", "10.0.17763.1", "dll", true,
	  PE_SUBSYSTEM_WINDOWS_CUI },
	{ "press-ctl.exe", "Acme Press GmbH", "PressControl", "65535.0.1.65534", "exe", false,
	  PE_SUBSYSTEM_WINDOWS_CUI },
};

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	p = xmalloc((size_t)n);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Start of the VS_VERSIONINFO: its "VS_VERSION_INFO" key less the 6-byte
 * header. */
static size_t find_vinfo(const uint8_t *p, size_t len)
{
	static const char key[] = "VS_VERSION_INFO";
	size_t k = 2 * (sizeof(key) - 1);

	for (size_t i = 6; i + k <= len; i++) {
		size_t j;

		for (j = 0; j < sizeof(key) - 1; j++)
			if (p[i + 2 * j] != (uint8_t)key[j] || p[i + 2 * j + 1])
				break;
		if (j == sizeof(key) - 1)
			return i - 6;
	}
	fail_msg("no VS_VERSION_INFO in the mingw file");
	return 0;
}

static void test_mingw_files(void **state)
{
	char dir[] = "/tmp/kenshu-test-pe-XXXXXX";
	const char *script = "tests/tools/mkpe.sh";

	(void)state;
	if (system("command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 && "
		   "command -v x86_64-w64-mingw32-windres >/dev/null 2>&1") != 0)
		fail_msg("x86_64-w64-mingw32-gcc/windres not found: install gcc-mingw-w64-x86-64 and "
			 "binutils-mingw-w64-x86-64 (tests/install-deps.sh); the real-PE checks cannot run");
	if (access(script, X_OK) != 0)
		fail_msg("%s is missing or not executable: run the tests from the source tree root", script);
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		const struct real *r = &reals[i];
		char *out = xasprintf("%s/%s", dir, r->name);
		char *base = xstrndup(r->name, strcspn(r->name, "."));
		/* Single quotes around arguments: the company has " and \ in it. */
		char *cmd = xasprintf("%s '%s' '%s' '%s' '%s' %s", script, out, r->company, r->product,
				      r->version, r->kind);
		struct pe_info pi;
		uint16_t want[4];
		size_t len, vinfo;
		uint8_t *p;
		struct ks_err err;

		if (system(cmd) != 0)
			fail_msg("'%s' failed", cmd);
		p = slurp(out, &len);
		if (parse(p, len, &pi, &err) != 0)
			fail_msg("%s: %s", r->name, err);
		assert_true(pi.is_pe);
		assert_true(pi.is_64);
		assert_int_equal(pi.machine, PE_MACHINE_AMD64);
		assert_int_equal(pi.is_dll, r->dll);
		assert_int_equal(pi.subsystem, r->subsystem);
		assert_true(pi.has_version);
		assert_true(pi.has_fixed);
		assert_int_equal(pe_version_parse(r->version, want), 0);
		assert_int_equal(pe_version_cmp(pi.file_version, want), 0);
		assert_int_equal(pe_version_cmp(pi.product_version, want), 0);
		expect_str(pi.company, r->company);
		expect_str(pi.product, r->product);
		expect_str(pi.file_version_str, r->version);
		expect_str(pi.product_version_str, r->version);
		expect_str(pi.original_filename, r->name);
		expect_str(pi.internal_name, base);
		expect_str(pi.file_description, "制御サービス");

		/* Hostile variants of a file a real linker wrote. */
		vinfo = find_vinfo(p, len);
		check_prefixes(p, len, vinfo + get16(p + vinfo), &pi);
		{
			size_t lfanew = get32(p + 0x3C);
			size_t hot[] = { 0x3C, lfanew, lfanew + 24, lfanew + 24 + 240,
					 vinfo - 0x100, vinfo - 0x80, vinfo + 92, vinfo };
			unsigned ok = 0, versions = 0;

			mutate_and_check(p, len, hot, sizeof(hot) / sizeof(hot[0]), 3000, &ok, &versions);
			assert_true(ok > 0);
		}
		pe_info_release(&pi);
		unlink(out);
		free(p);
		free(cmd);
		free(base);
		free(out);
	}
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_pe64),
		cmocka_unit_test(test_japanese_pe32_dll),
		cmocka_unit_test(test_table_choice),
		cmocka_unit_test(test_resource_choice),
		cmocka_unit_test(test_fixed_info_missing_or_bad),
		cmocka_unit_test(test_value_length_lies),
		cmocka_unit_test(test_odd_blocks),
		cmocka_unit_test(test_odd_size_at_end),
		cmocka_unit_test(test_block_length_lies),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_not_pe),
		cmocka_unit_test(test_damaged_headers),
		cmocka_unit_test(test_resource_loops_and_counts),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_mingw_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
