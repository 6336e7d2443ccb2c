/* lnk: Windows Shell Link (.lnk) parser (MS-SHLLINK).
 *
 * The file is hostile until checked: every count and offset is compared with
 * what is left of the buffer (or of the enclosing structure) before it is
 * used, always as "len <= end - off" so nothing can overflow. Layout:
 *
 *   ShellLinkHeader (0x4C) | LinkTargetIDList? | LinkInfo? | StringData* | ExtraData
 *
 * ANSI strings carry the writer's system code page, which is unknown offline;
 * they are decoded as Windows-1252 (its five unassigned bytes become U+FFFD).
 * Nothing here prints or exits.
 */
#include <kenshu/artifacts.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

#define HEADER_SIZE 0x4Cu
#define HDR_FLAGS 0x14u
#define HDR_SHOW 0x3Cu

#define LI_MIN_HEADER 0x1Cu     /* LinkInfo header without Unicode offsets */
#define LI_UNICODE_HEADER 0x24u /* ... with LocalBasePathOffsetUnicode etc. */
#define LI_VOLUME_AND_LOCAL 0x1u
#define LI_NETWORK 0x2u
#define CNRL_MIN_SIZE 0x14u
#define CNRL_UNICODE_SIZE 0x1Cu

#define EXTRA_MIN_BLOCK 8u
#define ENV_SIG 0xA0000001u
#define ENV_SIZE 0x314u
#define ENV_ANSI_OFF 8u
#define ENV_ANSI_LEN 260u
#define ENV_UNICODE_OFF 268u
#define ENV_UNICODE_UNITS 260u

#define ITEM_NAME_OFF 14u       /* primary name in a file entry shell item */
#define EXT_BEEF0004 0xBEEF0004u

/* Cap on a NUL-terminated string (in characters); counted strings are capped
 * by their 16-bit count. */
#define LNK_MAX_CHARS 32767u

static const uint8_t link_clsid[16] = {
	0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
};

/* Windows-1252 0x80..0x9F; 0xFFFD for the unassigned bytes. */
static const uint16_t cp1252_80[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

/* ---- strings ---- */

/* n ANSI bytes, read as Windows-1252, to UTF-8. NUL becomes U+FFFD, as
 * utf16le_to_utf8 does for UTF-16. */
static char *ansi_to_utf8(const uint8_t *s, size_t n)
{
	uint8_t *u = xmalloc(2 * n + 2);
	char *out;

	for (size_t i = 0; i < n; i++) {
		uint16_t c = s[i];

		if (c >= 0x80 && c < 0xA0)
			c = cp1252_80[c - 0x80];
		u[2 * i] = (uint8_t)c;
		u[2 * i + 1] = (uint8_t)(c >> 8);
	}
	out = utf16le_to_utf8(u, n, NULL);
	free(u);
	return out;
}

/* Length in characters of the NUL-terminated string at off, which must end
 * before end (and within LNK_MAX_CHARS); false when it does not. */
static bool cstr_len(const uint8_t *p, size_t off, size_t end, bool wide,
		     size_t *len)
{
	size_t unit = wide ? 2 : 1;

	for (size_t n = 0; n <= LNK_MAX_CHARS; n++) {
		size_t at = off + n * unit;

		if (at > end || end - at < unit)
			return false;
		if (p[at] == 0 && (!wide || p[at + 1] == 0)) {
			*len = n;
			return true;
		}
	}
	return false;
}

static char *decode(const uint8_t *s, size_t n, bool wide)
{
	return wide ? utf16le_to_utf8(s, n, NULL) : ansi_to_utf8(s, n);
}

/* a + b, with one backslash between them when neither side has one. */
static char *join_path(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (!*b)
		return xstrdup(a);
	if (la && a[la - 1] != '\\' && b[0] != '\\')
		return xasprintf("%s\\%s", a, b);
	return xasprintf("%s%s", a, b);
}

/* ---- LinkTargetIDList ---- */

/* Appends a component, with a backslash before it unless the path ends in one. */
static void path_add(struct strbuf *pa, const char *part)
{
	if (pa->len && pa->buf[pa->len - 1] != '\\')
		strbuf_addch(pa, '\\');
	strbuf_addstr(pa, part);
}

/* Long name from the BEEF0004 extension block of a file entry item, searched
 * from pos on; NULL if there is none. */
static char *beef0004_name(const uint8_t *it, size_t isz, size_t pos)
{
	while (pos <= isz && isz - pos >= EXTRA_MIN_BLOCK) {
		size_t bsz = load_le16(it + pos);
		unsigned ver;
		size_t off, n;

		if (bsz < EXTRA_MIN_BLOCK || bsz > isz - pos)
			return NULL;
		if (load_le32(it + pos + 4) != EXT_BEEF0004) {
			pos += bsz;
			continue;
		}
		/* size, version, signature, 2 FAT times, identifier = 18 bytes;
		 * v7+ adds 2 + file reference 8 + 8, v3+ a long string size,
		 * v8+ and v9+ 4 bytes each. */
		ver = load_le16(it + pos + 2);
		off = 18;
		if (ver >= 7)
			off += 18;
		if (ver >= 3)
			off += 2;
		if (ver >= 9)
			off += 4;
		if (ver >= 8)
			off += 4;
		if (off >= bsz || !cstr_len(it, pos + off, pos + bsz, true, &n) || !n)
			return NULL;
		return utf16le_to_utf8(it + pos + off, n, NULL);
	}
	return NULL;
}

/* Name of a file entry item (class 0x30): the long Unicode name when the
 * item has one, else its primary (8.3 or Unicode) name; NULL if empty. */
static char *file_entry_name(const uint8_t *it, size_t isz)
{
	bool wide = it[2] & 0x04;
	size_t n, pos;
	char *name;

	if (isz <= ITEM_NAME_OFF)
		return NULL;
	if (cstr_len(it, ITEM_NAME_OFF, isz, wide, &n)) {
		pos = ITEM_NAME_OFF + (n + 1) * (wide ? 2 : 1);
		pos += pos & 1;
		name = beef0004_name(it, isz, pos);
		if (name)
			return name;
	} else {
		/* Unterminated: the name runs to the end of the item. */
		n = (isz - ITEM_NAME_OFF) / (wide ? 2 : 1);
	}
	if (!n)
		return NULL;
	return decode(it + ITEM_NAME_OFF, n, wide);
}

static bool is_drive_item(const uint8_t *it, size_t isz)
{
	uint8_t d;

	if ((it[2] & 0x70) != 0x20 || isz < 6)
		return false;
	d = it[3] & (uint8_t)~0x20;
	return d >= 'A' && d <= 'Z' && it[4] == ':';
}

static int parse_idlist(struct bytes_rd *r, size_t *posp, char **path)
{
	size_t pos = *posp, len, end;
	struct strbuf pa = STRBUF_INIT;
	bool drive = false;

	if (r->size - pos < 2)
		return rd_fail(r, "id list size at byte %zu is past the end of the file (%zu bytes)",
			    pos, r->size);
	len = load_le16(r->p + pos);
	pos += 2;
	if (len > r->size - pos)
		return rd_fail(r, "id list (%zu bytes at byte %zu) runs past the end of the file (%zu bytes)",
			    len, pos, r->size);
	end = pos + len;
	while (pos < end) {
		const uint8_t *it = r->p + pos;
		size_t isz;

		if (end - pos < 2)
			goto bad;
		isz = load_le16(it);
		if (isz == 0)
			break; /* TerminalID */
		if (isz < 2 || isz > end - pos) {
			strbuf_release(&pa);
			return rd_fail(r, "id list item at byte %zu (%zu bytes) runs past the end of the id list",
				    pos, isz);
		}
		if (isz >= 3 && is_drive_item(it, isz)) {
			char d[4] = { (char)(it[3] & ~0x20), ':', '\\', '\0' };

			strbuf_reset(&pa);
			path_add(&pa, d);
			drive = true;
		} else if (isz >= 3 && (it[2] & 0x70) == 0x30 && drive) {
			char *name = file_entry_name(it, isz);

			if (name)
				path_add(&pa, name);
			free(name);
		}
		/* Root folders (0x1F), network, URI and unknown items: skipped. */
		pos += isz;
	}
	*path = drive ? strbuf_detach(&pa, NULL) : NULL;
	strbuf_release(&pa);
	*posp = end;
	return 0;
bad:
	strbuf_release(&pa);
	return rd_fail(r, "id list item at byte %zu runs past the end of the id list", pos);
}

/* ---- LinkInfo ---- */

/* A NUL-terminated string at base + off, inside [base, base + limit). */
static int li_string(struct bytes_rd *r, size_t base, size_t limit, uint32_t off,
		     bool wide, const char *what, char **dst)
{
	size_t n;

	if (off >= limit)
		return rd_fail(r, "link info '%s' offset %u is outside its structure (%zu bytes at byte %zu)",
			    what, off, limit, base);
	if (!cstr_len(r->p, base + off, base + limit, wide, &n))
		return rd_fail(r, "link info '%s' at byte %zu is not terminated inside its structure",
			    what, base + off);
	*dst = decode(r->p + base + off, n, wide);
	return 0;
}

static int parse_linkinfo(struct bytes_rd *r, size_t *posp, bool use, struct lnk_info *out)
{
	size_t li = *posp, lsize, hsize;
	uint32_t lflags, base_off, net_off, suf_off, base_uni = 0, suf_uni = 0;
	char *base = NULL, *suffix = NULL, *net = NULL;
	int rc = -1;

	if (r->size - li < 4)
		return rd_fail(r, "link info size at byte %zu is past the end of the file (%zu bytes)",
			    li, r->size);
	lsize = load_le32(r->p + li);
	if (lsize > r->size - li)
		return rd_fail(r, "link info (%zu bytes at byte %zu) runs past the end of the file (%zu bytes)",
			    lsize, li, r->size);
	if (lsize < LI_MIN_HEADER)
		return rd_fail(r, "link info at byte %zu is too small (%zu bytes)", li, lsize);
	hsize = load_le32(r->p + li + 4);
	if (hsize < LI_MIN_HEADER || hsize > lsize)
		return rd_fail(r, "link info header size %zu at byte %zu is invalid", hsize, li);
	*posp = li + lsize;
	if (!use)
		return 0;

	lflags = load_le32(r->p + li + 8);
	base_off = load_le32(r->p + li + 16);
	net_off = load_le32(r->p + li + 20);
	suf_off = load_le32(r->p + li + 24);
	if (hsize >= LI_UNICODE_HEADER) {
		base_uni = load_le32(r->p + li + 28);
		suf_uni = load_le32(r->p + li + 32);
	}
	if (lflags & (LI_VOLUME_AND_LOCAL | LI_NETWORK)) {
		if (suf_uni ? li_string(r, li, lsize, suf_uni, true, "common path suffix", &suffix)
			    : li_string(r, li, lsize, suf_off, false, "common path suffix", &suffix))
			goto out;
	}
	if (lflags & LI_VOLUME_AND_LOCAL) {
		if (base_uni ? li_string(r, li, lsize, base_uni, true, "local base path", &base)
			     : li_string(r, li, lsize, base_off, false, "local base path", &base))
			goto out;
		if (*base)
			out->target = join_path(base, suffix);
	}
	if (lflags & LI_NETWORK) {
		size_t c, csize;
		uint32_t name_off, name_uni = 0;

		if (net_off >= lsize || lsize - net_off < CNRL_MIN_SIZE) {
			rd_fail(r, "link info network link offset %u is outside the link info (%zu bytes at byte %zu)",
			     net_off, lsize, li);
			goto out;
		}
		c = li + net_off;
		csize = load_le32(r->p + c);
		if (csize < CNRL_MIN_SIZE || csize > lsize - net_off) {
			rd_fail(r, "link info network link size %zu at byte %zu is invalid", csize, c);
			goto out;
		}
		name_off = load_le32(r->p + c + 8);
		if (name_off > CNRL_MIN_SIZE && csize >= CNRL_UNICODE_SIZE)
			name_uni = load_le32(r->p + c + 20);
		if (name_uni ? li_string(r, c, csize, name_uni, true, "net name", &net)
			     : li_string(r, c, csize, name_off, false, "net name", &net))
			goto out;
		if (*net)
			out->network_path = join_path(net, suffix);
	}
	rc = 0;
out:
	free(base);
	free(suffix);
	free(net);
	return rc;
}

/* ---- StringData and ExtraData ---- */

static int string_data(struct bytes_rd *r, size_t *posp, bool wide, const char *what,
		       char **dst)
{
	size_t pos = *posp, n, bytes;

	if (r->size - pos < 2)
		return rd_fail(r, "string data '%s' at byte %zu is past the end of the file (%zu bytes)",
			    what, pos, r->size);
	n = load_le16(r->p + pos);
	pos += 2;
	bytes = wide ? 2 * n : n;
	if (bytes > r->size - pos)
		return rd_fail(r, "string data '%s' (%zu characters at byte %zu) runs past the end of the file (%zu bytes)",
			    what, n, pos, r->size);
	*posp = pos + bytes;
	/* Trailing NULs are padding; inner ones show as U+FFFD. */
	while (n && r->p[pos + (n - 1) * (wide ? 2 : 1)] == 0 &&
	       (!wide || r->p[pos + 2 * (n - 1) + 1] == 0))
		n--;
	*dst = decode(r->p + pos, n, wide);
	return 0;
}

static void env_block(struct bytes_rd *r, size_t b, struct lnk_info *out)
{
	size_t n;

	if (out->env_target)
		return; /* only the first block counts */
	if (!cstr_len(r->p, b + ENV_UNICODE_OFF, b + ENV_UNICODE_OFF + 2 * ENV_UNICODE_UNITS,
		      true, &n))
		n = ENV_UNICODE_UNITS;
	if (n) {
		out->env_target = utf16le_to_utf8(r->p + b + ENV_UNICODE_OFF, n, NULL);
		return;
	}
	if (!cstr_len(r->p, b + ENV_ANSI_OFF, b + ENV_ANSI_OFF + ENV_ANSI_LEN, false, &n))
		n = ENV_ANSI_LEN;
	if (n)
		out->env_target = ansi_to_utf8(r->p + b + ENV_ANSI_OFF, n);
}

static int extra_data(struct bytes_rd *r, size_t pos, struct lnk_info *out)
{
	/* Each block is at least 8 bytes, so the loop ends within size / 8. */
	while (r->size - pos >= 4) {
		size_t bsz = load_le32(r->p + pos);

		if (bsz < 4)
			return 0; /* TerminalBlock */
		if (bsz < EXTRA_MIN_BLOCK)
			return rd_fail(r, "extra data block at byte %zu is too small (%zu bytes)",
				    pos, bsz);
		if (bsz > r->size - pos)
			return rd_fail(r, "extra data block at byte %zu (%zu bytes) runs past the end of the file (%zu bytes)",
				    pos, bsz, r->size);
		if (load_le32(r->p + pos + 4) == ENV_SIG && bsz >= ENV_SIZE)
			env_block(r, pos, out);
		pos += bsz;
	}
	return 0; /* a missing TerminalBlock is tolerated */
}

/* ---- entry points ---- */

int lnk_parse(const void *data, size_t size, struct lnk_info *out,
	      struct ks_err *err)
{
	struct bytes_rd r = { .p = data, .size = size, .err = err };
	static const char *const what[] = {
		"name", "relative path", "working dir", "arguments", "icon location",
	};
	char **dst[5];
	size_t pos = HEADER_SIZE;
	bool wide;

	memset(out, 0, sizeof(*out));
	ks_err_clear(err);
	if (size < 4 + sizeof(link_clsid) || load_le32(r.p) != HEADER_SIZE ||
	    memcmp(r.p + 4, link_clsid, sizeof(link_clsid)) != 0)
		return rd_fail(&r, "not a shell link");
	if (size < HEADER_SIZE)
		return rd_fail(&r, "shell link header truncated (%zu of %u bytes)", size, HEADER_SIZE);
	out->flags = load_le32(r.p + HDR_FLAGS);
	out->show_command = load_le32(r.p + HDR_SHOW);
	wide = out->flags & LNK_IS_UNICODE;

	if ((out->flags & LNK_HAS_ID_LIST) && parse_idlist(&r, &pos, &out->idlist_path))
		goto bad;
	if ((out->flags & LNK_HAS_LINK_INFO) &&
	    parse_linkinfo(&r, &pos, !(out->flags & LNK_FORCE_NO_LINK_INFO), out))
		goto bad;
	dst[0] = &out->description;
	dst[1] = &out->relative_path;
	dst[2] = &out->working_dir;
	dst[3] = &out->arguments;
	dst[4] = &out->icon_location;
	for (unsigned i = 0; i < 5; i++)
		if ((out->flags & (LNK_HAS_NAME << i)) &&
		    string_data(&r, &pos, wide, what[i], dst[i]))
			goto bad;
	if (extra_data(&r, pos, out))
		goto bad;
	if (!out->target && out->idlist_path)
		out->target = xstrdup(out->idlist_path);
	return 0;
bad:
	lnk_info_release(out);
	return -1;
}

void lnk_info_release(struct lnk_info *li)
{
	free(li->target);
	free(li->idlist_path);
	free(li->network_path);
	free(li->arguments);
	free(li->working_dir);
	free(li->relative_path);
	free(li->icon_location);
	free(li->description);
	free(li->env_target);
	memset(li, 0, sizeof(*li));
}
