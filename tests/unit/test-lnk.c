/* Unit tests for lnk: shell links are built in memory by a small builder
 * (header, IDList with root/drive/file entry items, LinkInfo, StringData in
 * Unicode or ANSI, EnvironmentVariableDataBlock) and parsed from exact-size
 * heap copies, so any read past the end trips the sanitizer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/artifacts.h>
#include <kenshu/core.h>

#include "bytes.h"

/* ---- byte buffer (bytes.h) ---- */

/* Raw bytes (the test's ANSI strings are written in Windows-1252). */
static void put_ansi(struct buf *b, const char *s, bool nul)
{
	put(b, s, strlen(s) + nul);
}

/* What Windows writes as the ANSI twin of a Unicode string it cannot
 * represent: non-ASCII bytes become '?', so a parser using it is caught. */
static void put_ansi_twin(struct buf *b, const char *s)
{
	for (; *s; s++)
		put8(b, (unsigned char)*s < 0x80 ? (uint8_t)*s : '?');
	put8(b, 0);
}

/* ---- shell link builder ---- */

static const uint8_t link_clsid[16] = {
	0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
};

static const uint8_t my_computer[16] = { /* {20D04FE0-3AEA-1069-A2D8-08002B30309D} */
	0xE0, 0x4F, 0xD0, 0x20, 0xEA, 0x3A, 0x69, 0x10,
	0xA2, 0xD8, 0x08, 0x00, 0x2B, 0x30, 0x30, 0x9D,
};

struct spec {
	uint32_t flags;          /* IsUnicode, ForceNoLinkInfo...; Has* bits are added */
	uint32_t show;
	char drive;              /* 0: no IDList */
	const char *items[6];    /* folders then the file (last) */
	unsigned ext_version;    /* BEEF0004 version (3, 8, 9); 0: 8.3 names only */
	bool unknown_items;      /* unknown items before and inside the path */
	const char *local_base, *suffix, *net_name;
	bool li_unicode;         /* LinkInfo header 0x24 with Unicode strings */
	const char *name, *rel, *wd, *args, *icon;
	const char *env;
	bool env_ansi_only;
	bool no_terminal;
};

static void put_file_item(struct buf *b, const char *name, bool file,
			  unsigned ver, unsigned idx)
{
	struct buf it = { 0 };
	char shortname[16];

	put16(&it, 0);
	put8(&it, file ? 0x32 : 0x31);
	put8(&it, 0);
	put32(&it, file ? 4096 : 0);
	put32(&it, 0x5A215B3C);
	put16(&it, file ? 0x20 : 0x10);
	if (ver) {
		snprintf(shortname, sizeof(shortname), "ITEM~%u", idx);
		put_ansi(&it, shortname, true);
	} else {
		put_ansi(&it, name, true);
	}
	if (it.len & 1)
		put8(&it, 0);
	if (ver) {
		size_t ext = it.len;

		put16(&it, 0);
		put16(&it, (uint16_t)ver);
		put32(&it, 0xBEEF0004);
		put32(&it, 0x5A215B3C);
		put32(&it, 0x5A215B3C);
		put16(&it, ver >= 9 ? 0x2E : ver >= 8 ? 0x2A : 0x14);
		if (ver >= 7)
			zeros(&it, 18);
		if (ver >= 3)
			put16(&it, 0);
		if (ver >= 9)
			put32(&it, 0);
		if (ver >= 8)
			put32(&it, 0);
		put_utf16(&it, name, true);
		put16(&it, (uint16_t)ext);
		set16(it.p + ext, (uint16_t)(it.len - ext));
	}
	set16(it.p, (uint16_t)it.len);
	put(b, it.p, it.len);
	free(it.p);
}

static void put_idlist(struct buf *b, const struct spec *s)
{
	struct buf l = { 0 };
	size_t n = 0;

	if (s->unknown_items) {
		put16(&l, 8); /* type 0x00: nothing known */
		put8(&l, 0x00);
		zeros(&l, 5);
	}
	put16(&l, 0x14);
	put8(&l, 0x1F);
	put8(&l, 0x50);
	put(&l, my_computer, 16);
	put16(&l, 0x19);
	put8(&l, 0x2F);
	put8(&l, (uint8_t)s->drive);
	put_ansi(&l, ":\\", true);
	zeros(&l, 0x19 - 7);
	while (n < 6 && s->items[n])
		n++;
	for (size_t i = 0; i < n; i++) {
		put_file_item(&l, s->items[i], i + 1 == n, s->ext_version, (unsigned)i + 1);
		if (s->unknown_items && i == 0) {
			/* A URI item (class 0x60) whose bytes look like a drive. */
			put16(&l, 10);
			put8(&l, 0x61);
			put_ansi(&l, "D:\\", true);
			zeros(&l, 3);
		}
	}
	put16(&l, 0);
	put16(b, (uint16_t)l.len);
	put(b, l.p, l.len);
	free(l.p);
}

static void put_linkinfo(struct buf *b, const struct spec *s)
{
	struct buf li = { 0 };
	size_t hs = s->li_unicode ? 0x24 : 0x1C, cnrl = 0;
	uint32_t flags = (s->local_base ? 1u : 0u) | (s->net_name ? 2u : 0u);
	const char *suffix = s->suffix ? s->suffix : "";

	zeros(&li, hs);
	set32(li.p + 4, (uint32_t)hs);
	set32(li.p + 8, flags);
	if (s->local_base) {
		set32(li.p + 12, (uint32_t)li.len); /* VolumeID, empty label */
		put32(&li, 0x11);
		put32(&li, 3);
		put32(&li, 0x1234ABCD);
		put32(&li, 0x10);
		put8(&li, 0);
		set32(li.p + 16, (uint32_t)li.len);
		if (s->li_unicode)
			put_ansi_twin(&li, s->local_base);
		else
			put_ansi(&li, s->local_base, true);
	}
	if (s->net_name) {
		cnrl = li.len;
		set32(li.p + 20, (uint32_t)cnrl);
		put32(&li, 0);
		put32(&li, 2);
		put32(&li, s->li_unicode ? 0x1C : 0x14);
		put32(&li, 0);
		put32(&li, 0x00020000);
		if (s->li_unicode) {
			put32(&li, 0);
			put32(&li, 0);
			put_ansi_twin(&li, s->net_name);
			set32(li.p + cnrl + 20, (uint32_t)(li.len - cnrl));
			put_utf16(&li, s->net_name, true);
		} else {
			put_ansi(&li, s->net_name, true);
		}
		set32(li.p + cnrl, (uint32_t)(li.len - cnrl));
	}
	set32(li.p + 24, (uint32_t)li.len);
	if (s->li_unicode)
		put_ansi_twin(&li, suffix);
	else
		put_ansi(&li, suffix, true);
	if (s->li_unicode) {
		if (s->local_base) {
			set32(li.p + 28, (uint32_t)li.len);
			put_utf16(&li, s->local_base, true);
		}
		set32(li.p + 32, (uint32_t)li.len);
		put_utf16(&li, suffix, true);
	}
	set32(li.p, (uint32_t)li.len);
	put(b, li.p, li.len);
	free(li.p);
}

static void put_env(struct buf *b, const struct spec *s)
{
	size_t start = b->len;

	put32(b, 0x314);
	put32(b, 0xA0000001);
	if (s->env_ansi_only)
		put_ansi(b, s->env, true);
	else
		put_ansi_twin(b, s->env);
	zeros(b, start + 8 + 260 - b->len);
	if (!s->env_ansi_only)
		put_utf16(b, s->env, true);
	zeros(b, start + 0x314 - b->len);
}

static struct buf build(const struct spec *s)
{
	struct buf b = { 0 };
	const char *sd[5] = { s->name, s->rel, s->wd, s->args, s->icon };
	uint32_t flags = s->flags;

	if (s->drive)
		flags |= LNK_HAS_ID_LIST;
	if (s->local_base || s->net_name)
		flags |= LNK_HAS_LINK_INFO;
	for (unsigned i = 0; i < 5; i++)
		if (sd[i])
			flags |= LNK_HAS_NAME << i;
	if (s->env)
		flags |= LNK_HAS_EXP_STRING;

	put32(&b, 0x4C);
	put(&b, link_clsid, 16);
	put32(&b, flags);
	put32(&b, 0x20);   /* FileAttributes */
	zeros(&b, 24);     /* three FILETIMEs */
	put32(&b, 4096);   /* FileSize */
	put32(&b, 0);      /* IconIndex */
	put32(&b, s->show);
	put16(&b, 0);      /* HotKey */
	zeros(&b, 10);
	assert_int_equal(b.len, 0x4C);
	if (s->drive)
		put_idlist(&b, s);
	if (flags & LNK_HAS_LINK_INFO)
		put_linkinfo(&b, s);
	for (unsigned i = 0; i < 5; i++) {
		size_t at = b.len;

		if (!sd[i])
			continue;
		put16(&b, 0);
		if (flags & LNK_IS_UNICODE) {
			set16(b.p + at, (uint16_t)put_utf16(&b, sd[i], false));
		} else {
			put_ansi(&b, sd[i], false);
			set16(b.p + at, (uint16_t)strlen(sd[i]));
		}
	}
	b.mark = b.len;   /* end of StringData: cutting before it must fail */
	if (s->env)
		put_env(&b, s);
	if (!s->no_terminal)
		put32(&b, 0);
	return b;
}

/* ---- parsing helpers ---- */

/* Parses an exact-size heap copy and checks the error contract. */
static int parse(const uint8_t *p, size_t n, struct lnk_info *li, struct ks_err *err)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	if (n)
		memcpy(copy, p, n);
	memset(li, 0xa5, sizeof(*li));
	rc = lnk_parse(copy, n, li, err);
	free(copy);
	if (rc != 0) {
		struct lnk_info zero;

		memset(&zero, 0, sizeof(zero));
		assert_int_equal(rc, -1);
		assert_true(err->msg[0] != '\0');
		assert_null(strchr(err->msg, '\n'));
		assert_memory_equal(li, &zero, sizeof(zero));
	} else {
		assert_string_equal(err, "");
	}
	return rc;
}

static void parse_ok(const struct buf *b, struct lnk_info *li)
{
	struct ks_err err;

	assert_int_equal(parse(b->p, b->len, li, &err), 0);
}

static void expect_error(const uint8_t *p, size_t n, const char *want)
{
	struct lnk_info li;
	struct ks_err err;

	assert_int_equal(parse(p, n, &li, &err), -1);
	assert_string_equal(err.msg, want);
}

#define assert_str_or_null(got, want) \
	do { \
		if (want) \
			assert_string_equal(got, want); \
		else \
			assert_null(got); \
	} while (0)

/* ---- fixtures ---- */

static const struct spec startup = {
	.flags = LNK_IS_UNICODE,
	.show = LNK_SW_SHOWMINNOACTIVE,
	.drive = 'C',
	.items = { "ProgramData", "Updater", "bankupd.exe" },
	.ext_version = 9,
	.local_base = "C:\\ProgramData\\Updater\\bankupd.exe",
	.wd = "C:\\ProgramData\\Updater",
	.args = "/silent",
	.icon = "C:\\ProgramData\\Updater\\bankupd.exe",
	.name = "Bank updater",
	.rel = "..\\..\\..\\..\\..\\..\\ProgramData\\Updater\\bankupd.exe",
};

static const struct spec full_unicode = {
	.flags = LNK_IS_UNICODE,
	.show = LNK_SW_SHOWMAXIMIZED,
	.drive = 'D',
	.items = { "share", "dir", "report.txt" },
	.ext_version = 8,
	.local_base = "D:\\share\\",
	.suffix = "dir\\report.txt",
	.net_name = "\\\\FILESRV\\share",
	.li_unicode = true,
	.name = "Quarterly report",
	.rel = ".\\report.txt",
	.wd = "D:\\share\\dir",
	.args = "--open \"x y\"",
	.icon = "%SystemRoot%\\system32\\shell32.dll",
	.env = "%USERPROFILE%\\report.txt",
};

static const struct spec ansi = {
	.show = LNK_SW_SHOWNORMAL,
	.local_base = "C:\\Qualit\xC9\\",
	.net_name = "\\\\ALS-FICHIERS3\\QUALIT\xC9",
	.suffix = "Archives\\M\xE9thode.doc",
	.name = "Caf\xE9 \x80 \x93x\x94 \x81",
	.args = "-q",
	.wd = "C:\\Temp",
	.env = "%ProgramFiles%\\Caf\xE9\\a.exe",
	.env_ansi_only = true,
};

static const struct spec japanese = {
	.flags = LNK_IS_UNICODE,
	.show = LNK_SW_SHOWNORMAL,
	.drive = 'C',
	.items = { "Users", "田中", "デスクトップ", "請求書.exe" },
	.ext_version = 9,
	.local_base = "C:\\Users\\田中\\デスクトップ\\請求書.exe",
	.li_unicode = true,
	.args = "/対象 \"東京\"",
	.wd = "C:\\Users\\田中\\デスクトップ",
	.name = "請求書 😀",
	.env = "%USERPROFILE%\\デスクトップ\\請求書.exe",
};

/* ---- well-formed links ---- */

static void test_startup_link(void **state)
{
	struct buf b = build(&startup);
	struct lnk_info li;

	(void)state;
	parse_ok(&b, &li);
	assert_string_equal(li.target, "C:\\ProgramData\\Updater\\bankupd.exe");
	assert_string_equal(li.idlist_path, "C:\\ProgramData\\Updater\\bankupd.exe");
	assert_string_equal(li.arguments, "/silent");
	assert_string_equal(li.working_dir, "C:\\ProgramData\\Updater");
	assert_string_equal(li.icon_location, "C:\\ProgramData\\Updater\\bankupd.exe");
	assert_string_equal(li.description, "Bank updater");
	assert_string_equal(li.relative_path,
			    "..\\..\\..\\..\\..\\..\\ProgramData\\Updater\\bankupd.exe");
	assert_null(li.network_path);
	assert_null(li.env_target);
	assert_int_equal(li.show_command, LNK_SW_SHOWMINNOACTIVE);
	assert_int_equal(li.flags, LNK_HAS_ID_LIST | LNK_HAS_LINK_INFO | LNK_HAS_NAME |
			 LNK_HAS_RELATIVE_PATH | LNK_HAS_WORKING_DIR | LNK_HAS_ARGUMENTS |
			 LNK_HAS_ICON_LOCATION | LNK_IS_UNICODE);
	lnk_info_release(&li);
	assert_null(li.target);
	lnk_info_release(&li); /* a released struct is zeroed: safe to release again */
	free(b.p);
}

static void test_full_unicode(void **state)
{
	struct buf b = build(&full_unicode);
	struct lnk_info li;

	(void)state;
	parse_ok(&b, &li);
	assert_string_equal(li.target, "D:\\share\\dir\\report.txt");
	assert_string_equal(li.idlist_path, "D:\\share\\dir\\report.txt");
	assert_string_equal(li.network_path, "\\\\FILESRV\\share\\dir\\report.txt");
	assert_string_equal(li.description, "Quarterly report");
	assert_string_equal(li.relative_path, ".\\report.txt");
	assert_string_equal(li.working_dir, "D:\\share\\dir");
	assert_string_equal(li.arguments, "--open \"x y\"");
	assert_string_equal(li.icon_location, "%SystemRoot%\\system32\\shell32.dll");
	assert_string_equal(li.env_target, "%USERPROFILE%\\report.txt");
	assert_int_equal(li.show_command, LNK_SW_SHOWMAXIMIZED);
	assert_true(li.flags & LNK_HAS_EXP_STRING);
	lnk_info_release(&li);
	free(b.p);
}

static void test_ansi_strings(void **state)
{
	struct buf b = build(&ansi);
	struct lnk_info li;

	(void)state;
	parse_ok(&b, &li);
	assert_false(li.flags & LNK_IS_UNICODE);
	/* Windows-1252: 0xC9 É, 0x80 €, 0x93/0x94 curly quotes, 0x81 unassigned. */
	assert_string_equal(li.target, "C:\\Qualit\xC3\x89\\Archives\\M\xC3\xA9thode.doc");
	assert_string_equal(li.network_path,
			    "\\\\ALS-FICHIERS3\\QUALIT\xC3\x89\\Archives\\M\xC3\xA9thode.doc");
	assert_string_equal(li.description, "Caf\xC3\xA9 \xE2\x82\xAC \xE2\x80\x9Cx\xE2\x80\x9D \xEF\xBF\xBD");
	assert_string_equal(li.arguments, "-q");
	assert_string_equal(li.working_dir, "C:\\Temp");
	assert_string_equal(li.env_target, "%ProgramFiles%\\Caf\xC3\xA9\\a.exe");
	assert_null(li.idlist_path);
	assert_null(li.relative_path);
	assert_null(li.icon_location);
	lnk_info_release(&li);
	free(b.p);
}

static void test_japanese(void **state)
{
	struct buf b = build(&japanese);
	struct lnk_info li;

	(void)state;
	parse_ok(&b, &li);
	/* The '?' ANSI twins in LinkInfo and the env block must not win. */
	assert_string_equal(li.target, "C:\\Users\\田中\\デスクトップ\\請求書.exe");
	assert_string_equal(li.idlist_path, "C:\\Users\\田中\\デスクトップ\\請求書.exe");
	assert_string_equal(li.arguments, "/対象 \"東京\"");
	assert_string_equal(li.working_dir, "C:\\Users\\田中\\デスクトップ");
	assert_string_equal(li.description, "請求書 😀");
	assert_string_equal(li.env_target, "%USERPROFILE%\\デスクトップ\\請求書.exe");
	lnk_info_release(&li);
	free(b.p);
}

static void test_idlist_only(void **state)
{
	static const unsigned versions[] = { 0, 3, 8, 9 };

	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct spec s = {
			.flags = LNK_IS_UNICODE,
			.drive = 'e', /* lower case in the item: normalised */
			.items = { "Program Files", "Vendor Tool", "tool.exe" },
			.ext_version = versions[i],
			.unknown_items = true,
			.args = "-x",
		};
		struct buf b = build(&s);
		struct lnk_info li;

		parse_ok(&b, &li);
		assert_string_equal(li.target, "E:\\Program Files\\Vendor Tool\\tool.exe");
		assert_string_equal(li.idlist_path, li.target);
		assert_string_equal(li.arguments, "-x");
		lnk_info_release(&li);
		free(b.p);
	}
}

static void test_idlist_without_drive(void **state)
{
	struct buf b = build(&startup);
	struct lnk_info li;

	(void)state;
	free(b.p);
	{
		struct spec s = startup;

		s.local_base = NULL;
		b = build(&s);
	}
	/* Turn the drive item (after the 2-byte size and the 0x14 root item)
	 * into a URI item: the path has no anchor and is not guessed. */
	assert_int_equal(b.p[0x4C + 2 + 0x14 + 2], 0x2F);
	b.p[0x4C + 2 + 0x14 + 2] = 0x61;
	parse_ok(&b, &li);
	assert_null(li.idlist_path);
	assert_null(li.target);
	assert_string_equal(li.arguments, "/silent");
	lnk_info_release(&li);
	free(b.p);
}

static void test_force_no_link_info(void **state)
{
	struct spec s = startup;
	struct buf b;
	struct lnk_info li;

	(void)state;
	s.local_base = "C:\\Windows\\notepad.exe"; /* decoy Windows ignores */
	s.flags |= LNK_FORCE_NO_LINK_INFO;
	b = build(&s);
	parse_ok(&b, &li);
	assert_string_equal(li.target, "C:\\ProgramData\\Updater\\bankupd.exe");
	assert_string_equal(li.arguments, "/silent"); /* LinkInfo was still skipped over */
	lnk_info_release(&li);
	free(b.p);
}

static void test_header_only(void **state)
{
	struct spec s = { .show = 0x12345678, .no_terminal = true };
	struct buf b = build(&s);
	struct lnk_info li;

	(void)state;
	parse_ok(&b, &li);
	assert_null(li.target);
	assert_null(li.idlist_path);
	assert_null(li.network_path);
	assert_null(li.arguments);
	assert_null(li.working_dir);
	assert_null(li.relative_path);
	assert_null(li.icon_location);
	assert_null(li.description);
	assert_null(li.env_target);
	assert_int_equal(li.show_command, 0x12345678);
	assert_int_equal(li.flags, 0);
	lnk_info_release(&li);
	free(b.p);
}

static void test_string_nuls(void **state)
{
	struct spec s = { .flags = LNK_IS_UNICODE, .args = "a" };
	struct buf b = build(&s);
	struct buf c = { 0 };
	struct lnk_info li;

	(void)state;
	/* Replace the arguments with "a\0b\0\0": inner NUL shown, padding dropped. */
	put(&c, b.p, 0x4C);
	put16(&c, 5);
	put_utf16(&c, "a", true);
	put_utf16(&c, "b", true);
	put16(&c, 0);
	put32(&c, 0);
	parse_ok(&c, &li);
	assert_string_equal(li.arguments, "a\xEF\xBF\xBD" "b");
	lnk_info_release(&li);
	free(b.p);
	free(c.p);
}

static void test_many_blocks_and_long_string(void **state)
{
	struct spec s = { .flags = LNK_IS_UNICODE, .no_terminal = true };
	struct buf b = build(&s);
	struct lnk_info li;

	(void)state;
	/* 65535 spaces of arguments (the usual way to hide a payload), then
	 * 10000 unknown extra blocks, then an env block. */
	b.p[0x14] |= LNK_HAS_ARGUMENTS;
	put16(&b, 0xFFFF);
	for (unsigned i = 0; i < 0xFFFF; i++)
		put16(&b, i == 0xFFFE ? 'Z' : ' ');
	for (unsigned i = 0; i < 10000; i++) {
		put32(&b, 8);
		put32(&b, 0xA0000003 + (i & 1));
	}
	{
		struct spec e = { .env = "%TEMP%\\x.exe" };

		put_env(&b, &e);
	}
	put32(&b, 0);
	parse_ok(&b, &li);
	assert_int_equal(strlen(li.arguments), 0xFFFF);
	assert_int_equal(li.arguments[0xFFFE], 'Z');
	assert_string_equal(li.env_target, "%TEMP%\\x.exe");
	lnk_info_release(&li);
	free(b.p);
}

/* ---- hostile input ---- */

static void test_not_a_shell_link(void **state)
{
	struct buf b = build(&startup);
	uint8_t *p = b.p;

	(void)state;
	expect_error(p, 0, "not a shell link");
	expect_error(p, 10, "not a shell link");
	expect_error(p, 19, "not a shell link");
	expect_error(p, 40, "shell link header truncated (40 of 76 bytes)");
	expect_error(p, 75, "shell link header truncated (75 of 76 bytes)");
	p[0] = 0x4D;
	expect_error(p, b.len, "not a shell link");
	p[0] = 0x4C;
	p[4 + 15] = 0x47; /* last CLSID byte */
	expect_error(p, b.len, "not a shell link");
	p[4 + 15] = 0x46;
	p[5] = 0x15;
	expect_error(p, b.len, "not a shell link");
	p[5] = 0x14;
	{
		static const char text[] = "[InternetShortcut]\r\nURL=http://example.com/\r\n";

		expect_error((const uint8_t *)text, sizeof(text), "not a shell link");
	}
	free(b.p);
}

static void check_truncations(const struct spec *s)
{
	struct buf b = build(s);

	for (size_t n = 0; n <= b.len; n++) {
		struct lnk_info li;
		struct ks_err err;
		int rc = parse(b.p, n, &li, &err);

		if (n < b.mark)
			assert_int_equal(rc, -1);
		if (n == b.len)
			assert_int_equal(rc, 0);
		if (rc == 0)
			lnk_info_release(&li);
	}
	free(b.p);
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	check_truncations(&startup);
	check_truncations(&full_unicode);
	check_truncations(&ansi);
	check_truncations(&japanese);
}

static void test_lengths_past_end(void **state)
{
	struct buf b = build(&full_unicode);
	struct buf a = build(&ansi);
	uint8_t *p = b.p;
	size_t idl = 0x4C, li = idl + 2 + (p[idl] | p[idl + 1] << 8);
	size_t li_a = 0x4C;
	char want[200];

	(void)state;
	/* IDList size. */
	set16(p + idl, 0xFFFF);
	snprintf(want, sizeof(want),
		 "id list (65535 bytes at byte 78) runs past the end of the file (%zu bytes)", b.len);
	expect_error(p, b.len, want);
	set16(p + idl, (uint16_t)(li - idl - 2));
	/* First item (root, 0x14 bytes) claims more than the list. */
	set16(p + idl + 2, 0x7FFF);
	expect_error(p, b.len,
		     "id list item at byte 78 (32767 bytes) runs past the end of the id list");
	set16(p + idl + 2, 1);
	expect_error(p, b.len,
		     "id list item at byte 78 (1 bytes) runs past the end of the id list");
	set16(p + idl + 2, 0x14);

	/* LinkInfo size, header size, offsets, unterminated strings. */
	set32(p + li, 0xFFFFFFF0);
	snprintf(want, sizeof(want),
		 "link info (4294967280 bytes at byte %zu) runs past the end of the file (%zu bytes)",
		 li, b.len);
	expect_error(p, b.len, want);
	set32(p + li, 0x10);
	snprintf(want, sizeof(want), "link info at byte %zu is too small (16 bytes)", li);
	expect_error(p, b.len, want);
	free(b.p);
	b = build(&full_unicode);
	p = b.p;
	{
		uint32_t lsize = (uint32_t)p[li] | (uint32_t)p[li + 1] << 8;
		uint32_t saved;

		set32(p + li + 4, lsize + 1);
		snprintf(want, sizeof(want), "link info header size %u at byte %zu is invalid",
			 lsize + 1, li);
		expect_error(p, b.len, want);
		set32(p + li + 4, 0x24);

		saved = (uint32_t)p[li + 28] | (uint32_t)p[li + 29] << 8;
		set32(p + li + 28, 0xFFFFFFFF); /* LocalBasePathOffsetUnicode */
		snprintf(want, sizeof(want),
			 "link info 'local base path' offset 4294967295 is outside its structure (%u bytes at byte %zu)",
			 lsize, li);
		expect_error(p, b.len, want);
		set32(p + li + 28, lsize - 1); /* last byte: no room for a UTF-16 NUL */
		snprintf(want, sizeof(want),
			 "link info 'local base path' at byte %zu is not terminated inside its structure",
			 li + lsize - 1);
		expect_error(p, b.len, want);
		set32(p + li + 28, saved);

		saved = (uint32_t)p[li + 20] | (uint32_t)p[li + 21] << 8;
		set32(p + li + 20, lsize - 8); /* network link offset: no room for 0x14 */
		snprintf(want, sizeof(want),
			 "link info network link offset %u is outside the link info (%u bytes at byte %zu)",
			 lsize - 8, lsize, li);
		expect_error(p, b.len, want);
		set32(p + li + 20, saved);
		set32(p + li + saved, 0x7FFFFFFF); /* CNRL size */
		snprintf(want, sizeof(want),
			 "link info network link size 2147483647 at byte %zu is invalid", li + saved);
		expect_error(p, b.len, want);
	}
	free(b.p);

	/* ANSI LinkInfo: the local base path loses its NUL at the structure end. */
	{
		uint32_t lsize = (uint32_t)a.p[li_a] | (uint32_t)a.p[li_a + 1] << 8;
		uint32_t suf = (uint32_t)a.p[li_a + 24];
		struct lnk_info out;
		struct ks_err err;

		/* Move the suffix offset onto the last byte (NUL) only: still fine. */
		set32(a.p + li_a + 24, lsize - 1);
		assert_int_equal(parse(a.p, a.len, &out, &err), 0);
		assert_string_equal(out.target, "C:\\Qualit\xC3\x89\\");
		lnk_info_release(&out);
		a.p[li_a + lsize - 1] = 'x';
		snprintf(want, sizeof(want),
			 "link info 'common path suffix' at byte %zu is not terminated inside its structure",
			 li_a + lsize - 1);
		expect_error(a.p, a.len, want);
		a.p[li_a + lsize - 1] = 0;
		set32(a.p + li_a + 24, suf);

		/* StringData count past the end. */
		{
			size_t sd = li_a + lsize; /* NAME_STRING count */

			set16(a.p + sd, 0xFFFF);
			snprintf(want, sizeof(want),
				 "string data 'name' (65535 characters at byte %zu) runs past the end of the file (%zu bytes)",
				 sd + 2, a.len);
			expect_error(a.p, a.len, want);
		}
	}
	free(a.p);

	/* Extra data block size. */
	b = build(&startup);
	set32(b.p + b.len - 4, 0xFFFFFFFF);
	snprintf(want, sizeof(want),
		 "extra data block at byte %zu (4294967295 bytes) runs past the end of the file (%zu bytes)",
		 b.len - 4, b.len);
	expect_error(b.p, b.len, want);
	set32(b.p + b.len - 4, 5);
	snprintf(want, sizeof(want), "extra data block at byte %zu is too small (5 bytes)",
		 b.len - 4);
	expect_error(b.p, b.len, want);
	free(b.p);
}

/* ---- deterministic mutation fuzz ---- */

static uint64_t rng_state = 0x6b656e7368750001ull;

static uint64_t rnd(void)
{
	return xorshift64(&rng_state);
}

static void assert_utf8_or_null(const char *s)
{
	uint16_t *u;

	if (!s)
		return;
	assert_true(utf8_to_utf16le(s, &u) >= 0);
	free(u);
}

static void test_fuzz(void **state)
{
	const struct spec *specs[] = { &startup, &full_unicode, &ansi, &japanese };
	struct buf base[4];
	static const uint32_t magic[] = {
		0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
		0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF,
	};
	unsigned ok = 0;

	(void)state;
	for (int i = 0; i < 4; i++)
		base[i] = build(specs[i]);
	for (unsigned iter = 0; iter < 20000; iter++) {
		const struct buf *src = &base[rnd() % 4];
		size_t n = src->len;
		uint8_t *p = malloc(n);
		unsigned muts = 1 + (unsigned)(rnd() % 6);
		struct lnk_info li;
		struct ks_err err;

		assert_non_null(p);
		memcpy(p, src->p, n);
		for (unsigned m = 0; m < muts; m++) {
			/* Mostly after the header, where lengths and offsets live;
			 * flags and the header itself are hit now and then. */
			size_t at = rnd() % 8 == 0 ? rnd() % 0x4C : 0x4C + rnd() % (n - 0x4C);
			uint32_t v = magic[rnd() % (sizeof(magic) / sizeof(magic[0]))];

			switch (rnd() % 5) {
			case 0:
				p[at] = (uint8_t)rnd();
				break;
			case 1:
				p[at] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 2:
				if (n - at >= 2)
					set16(p + at, (uint16_t)v);
				break;
			case 3:
				if (n - at >= 4)
					set32(p + at, rnd() % 2 ? v : (uint32_t)(rnd() % (n + 8)));
				break;
			default:
				if (0x14 + 4 <= n)
					set32(p + 0x14, (uint32_t)rnd() & 0x3FF);
				break;
			}
		}
		if (rnd() % 4 == 0)
			n = (size_t)(rnd() % (n + 1));
		if (parse(p, n, &li, &err) == 0) {
			ok++;
			assert_utf8_or_null(li.target);
			assert_utf8_or_null(li.idlist_path);
			assert_utf8_or_null(li.network_path);
			assert_utf8_or_null(li.arguments);
			assert_utf8_or_null(li.working_dir);
			assert_utf8_or_null(li.relative_path);
			assert_utf8_or_null(li.icon_location);
			assert_utf8_or_null(li.description);
			assert_utf8_or_null(li.env_target);
			lnk_info_release(&li);
		}
		free(p);
	}
	/* Both outcomes must be exercised for the loop to mean anything. */
	assert_true(ok > 1000);
	assert_true(ok < 19000);
	for (int i = 0; i < 4; i++)
		free(base[i].p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup_link),
		cmocka_unit_test(test_full_unicode),
		cmocka_unit_test(test_ansi_strings),
		cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_idlist_only),
		cmocka_unit_test(test_idlist_without_drive),
		cmocka_unit_test(test_force_no_link_info),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_string_nuls),
		cmocka_unit_test(test_many_blocks_and_long_string),
		cmocka_unit_test(test_not_a_shell_link),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_lengths_past_end),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
