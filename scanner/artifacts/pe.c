/* pe: PE headers and the VS_VERSIONINFO resource (PE/COFF specification,
 * "Resource Directory Table"; VS_VERSIONINFO, StringFileInfo, String).
 *
 * The file is hostile until checked. Every read goes through one of two
 * checks: "len <= size - off" for file offsets, or rva_map(), which only
 * answers for bytes that sit inside one section's raw data (or the headers)
 * and inside the buffer. Counts are bounded by the bytes that hold them, the
 * resource walk has a fixed depth of three and refuses to revisit a
 * directory, and version blocks always advance by at least their header, so
 * every loop ends.
 *
 *   DOS header | "PE\0\0" | COFF header | optional header | section table
 *   .rsrc: type (16 = RT_VERSION) -> name (1) -> language -> data entry
 *   VS_VERSIONINFO -> VS_FIXEDFILEINFO, StringFileInfo -> table -> String
 *
 * Where Windows is lenient the parser is too (version block lengths that
 * overrun their parent are clipped to it, string value lengths are ignored),
 * because real vendor files rely on it; where a structure cannot be located
 * at all the file is reported as damaged. Nothing here prints or exits.
 */
#include <kenshu/artifacts.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

#define DOS_HEADER_SIZE 0x40u
#define DOS_LFANEW 0x3Cu
#define COFF_SIZE 20u
#define COFF_CHAR_DLL 0x2000u
#define OPT_MAGIC_PE32 0x10Bu
#define OPT_MAGIC_PE32P 0x20Bu
#define OPT_SECTION_ALIGN 32u
#define OPT_FILE_ALIGN 36u
#define OPT_SIZE_OF_HEADERS 60u
#define OPT_SUBSYSTEM 68u
#define OPT_DD_PE32 96u         /* data directories start here ... */
#define OPT_DD_PE32P 112u       /* ... or here in PE32+ */
#define DD_RESOURCE 2u
#define SECTION_SIZE 40u

#define RES_DIR_SIZE 16u
#define RES_ENTRY_SIZE 8u
#define RES_DATA_SIZE 16u
#define RES_SUBDIR 0x80000000u
#define RES_LEVELS 3u           /* type, name, language */
#define RT_VERSION 16u
#define VS_VERSION_INFO_ID 1u
#define LANG_NEUTRAL 0u
#define LANG_EN_US 0x409u

#define VS_HEADER 6u            /* wLength, wValueLength, wType */
#define VS_TYPE_TEXT 1u
#define VS_FIXED_SIZE 52u
#define VS_FIXED_SIG 0xFEEF04BDu

struct rd {
	struct bytes_rd b;      /* the file's bytes, and where errors go */
	size_t sections;        /* file offset of the section table */
	unsigned nsec;
	uint32_t size_of_headers;
	uint32_t file_align;
	uint32_t section_align;
};

#define fail(r, ...) rd_fail(&(r)->b, __VA_ARGS__)

/* ---- RVA to file offset ---- */

enum map_res { MAP_OK, MAP_NO_SECTION, MAP_PAST_RAW, MAP_PAST_EOF };

/* Section names are 8 bytes of whatever the file says: printable ASCII for
 * messages, the rest as '?'. */
static void section_name(const uint8_t *s, char name[9])
{
	size_t i;

	for (i = 0; i < 8 && s[i]; i++)
		name[i] = s[i] >= 0x20 && s[i] < 0x7F ? (char)s[i] : '?';
	name[i] = '\0';
}

/* File offset of the len bytes at rva. The loader maps a section at its
 * VirtualAddress for VirtualSize (SizeOfRawData when 0) rounded up to
 * SectionAlignment, filled from the raw data and zeros after it; bytes in
 * that zero tail or past the end of the buffer cannot be read, so they are
 * refused. *sec receives the index of the section used (nsec for the
 * headers). */
static enum map_res rva_map(const struct rd *r, uint32_t rva, uint32_t len,
			    size_t *off, unsigned *sec)
{
	uint32_t sa = r->section_align;

	for (unsigned i = 0; i < r->nsec; i++) {
		const uint8_t *s = r->b.p + r->sections + (size_t)i * SECTION_SIZE;
		uint32_t vsize = load_le32(s + 8), va = load_le32(s + 12);
		uint32_t raw = load_le32(s + 16), ptr = load_le32(s + 20);
		uint64_t span = vsize ? vsize : raw, have;
		uint64_t o;

		if (sa && !(sa & (sa - 1)))
			span = (span + sa - 1) & ~(uint64_t)(sa - 1);
		if (rva < va || rva - va >= span)
			continue;
		have = raw < span ? raw : span;
		*sec = i;
		/* The loader reads from the sector boundary below an unaligned
		 * PointerToRawData; a parser that did not would see other bytes. */
		if (r->file_align >= 0x200)
			ptr &= ~0x1FFu;
		if (rva - va > have || have - (rva - va) < len)
			return MAP_PAST_RAW;
		o = (uint64_t)ptr + (rva - va);
		if (o > r->b.size || r->b.size - o < len)
			return MAP_PAST_EOF;
		*off = (size_t)o;
		return MAP_OK;
	}
	*sec = r->nsec;
	/* Headers are mapped at RVA 0 too (tiny and hand-made files use it). */
	if (rva < r->size_of_headers && r->size_of_headers - rva >= len) {
		if (rva > r->b.size || r->b.size - rva < len)
			return MAP_PAST_EOF;
		*off = rva;
		return MAP_OK;
	}
	return MAP_NO_SECTION;
}

/* rva_map with the reason put into words: "<what> (<len> bytes at RVA x)". */
static int need(struct rd *r, uint32_t rva, uint32_t len, const char *what, size_t *off)
{
	unsigned sec;
	char name[9];

	switch (rva_map(r, rva, len, off, &sec)) {
	case MAP_OK:
		return 0;
	case MAP_NO_SECTION:
		return fail(r, "%s (%u bytes at RVA 0x%x) is not inside any section",
			    what, len, rva);
	case MAP_PAST_RAW:
		section_name(r->b.p + r->sections + (size_t)sec * SECTION_SIZE, name);
		return fail(r, "%s (%u bytes at RVA 0x%x) runs past the file data of section '%s'",
			    what, len, rva, name);
	default:
		return fail(r, "%s (%u bytes at RVA 0x%x) runs past the end of the file (%zu bytes)",
			    what, len, rva, r->b.size);
	}
}

/* ---- resource directory ---- */

/* Chooses an entry of the directory at root + dir: the first whose ID is in
 * want (in want's order), else the first entry when any_ok. Returns 1 with
 * its OffsetToData in *val, 0 when nothing fits, -1 on damage. */
static int res_pick(struct rd *r, uint32_t root, uint32_t dir, const uint32_t *want,
		    size_t nwant, bool any_ok, uint32_t *val)
{
	uint64_t at = (uint64_t)root + dir;
	size_t off, ents;
	uint32_t n;

	if (at > UINT32_MAX - RES_DIR_SIZE)
		return fail(r, "resource directory at offset 0x%x is past the 4 GiB address space", dir);
	if (need(r, (uint32_t)at, RES_DIR_SIZE, "resource directory", &off))
		return -1;
	n = (uint32_t)load_le16(r->b.p + off + 12) + load_le16(r->b.p + off + 14);
	if (n == 0)
		return 0;
	/* At most 131070 entries of 8 bytes, so this cannot overflow; they must
	 * all be readable, which is what bounds the scans below. */
	if (need(r, (uint32_t)at + RES_DIR_SIZE, n * RES_ENTRY_SIZE, "resource directory entries", &ents))
		return -1;
	for (size_t w = 0; w < nwant; w++)
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *e = r->b.p + ents + (size_t)i * RES_ENTRY_SIZE;
			uint32_t name = load_le32(e);

			/* Named entries (high bit) never match an ID. */
			if (!(name & RES_SUBDIR) && name == want[w]) {
				*val = load_le32(e + 4);
				return 1;
			}
		}
	if (!any_ok)
		return 0;
	*val = load_le32(r->b.p + ents + 4);
	return 1;
}

/* Finds the RT_VERSION data: ID 1 (VS_VERSION_INFO, what
 * GetFileVersionInfo asks for) else the first name, and the neutral then
 * en-US language else the first one. Returns 1 with the data's RVA and size,
 * 0 when there is no version resource, -1 on damage. */
static int find_version(struct rd *r, uint32_t root, uint32_t *rva, uint32_t *len)
{
	static const uint32_t want_type[] = { RT_VERSION };
	static const uint32_t want_name[] = { VS_VERSION_INFO_ID };
	static const uint32_t want_lang[] = { LANG_NEUTRAL, LANG_EN_US };
	static const char *const level[RES_LEVELS] = { "type", "name", "language" };
	const uint32_t *want[RES_LEVELS] = { want_type, want_name, want_lang };
	const size_t nwant[RES_LEVELS] = { 1, 1, 2 };
	uint32_t seen[RES_LEVELS];
	uint32_t dir = 0, val = 0;
	size_t off;
	int rc;

	for (unsigned lv = 0; lv < RES_LEVELS; lv++) {
		seen[lv] = dir;
		rc = res_pick(r, root, dir, want[lv], nwant[lv], lv > 0, &val);
		if (rc <= 0)
			return rc;
		if (lv + 1 == RES_LEVELS)
			break;
		if (!(val & RES_SUBDIR))
			return fail(r, "version resource %s entry at offset 0x%x is data, not a directory",
				    level[lv], dir);
		dir = val & ~RES_SUBDIR;
		/* A fixed depth already stops a cycle; this names it. */
		for (unsigned k = 0; k <= lv; k++)
			if (seen[k] == dir)
				return fail(r, "resource directory at offset 0x%x refers back to the directory at offset 0x%x",
					    seen[lv], dir);
	}
	if (val & RES_SUBDIR)
		return fail(r, "version resource language entry at offset 0x%x is a directory: the tree is deeper than %u levels",
			    dir, RES_LEVELS);
	if ((uint64_t)root + val > UINT32_MAX)
		return fail(r, "resource data entry at offset 0x%x is past the 4 GiB address space", val);
	if (need(r, root + val, RES_DATA_SIZE, "resource data entry", &off))
		return -1;
	*rva = load_le32(r->b.p + off);
	*len = load_le32(r->b.p + off + 4);
	return 1;
}

/* ---- VS_VERSIONINFO ---- */

/* One block: wLength, wValueLength, wType, szKey, padding, Value, padding,
 * Children. Offsets are file offsets; alignment is counted from the start
 * of the resource (base), as GetFileVersionInfo copies it to an aligned
 * buffer before VerQueryValue walks it. */
struct vblock {
	size_t end;        /* clipped to the parent's end */
	size_t key;        /* first UTF-16 unit of szKey */
	size_t key_units;  /* without the NUL */
	bool key_ok;       /* the NUL is inside the block */
	size_t value;      /* aligned start of Value; == end when there is none */
	uint16_t value_len;
	uint16_t type;
};

static size_t align4(size_t base, size_t off)
{
	return base + ((off - base + 3) & ~(size_t)3);
}

/* Reads the block at off, which must end by end. False for a block too
 * short to hold its header, which ends a list as a zero wLength does for
 * Windows (lists are often followed by zero padding). A block whose key has
 * no NUL is still a block, with a key that matches nothing. */
static bool vblock_read(const struct rd *r, size_t base, size_t off, size_t end,
			struct vblock *b)
{
	size_t len, u;

	if (off > end || end - off < VS_HEADER)
		return false;
	len = load_le16(r->b.p + off);
	if (len < VS_HEADER)
		return false;
	b->end = len > end - off ? end : off + len;
	b->value_len = load_le16(r->b.p + off + 2);
	b->type = load_le16(r->b.p + off + 4);
	b->key = off + VS_HEADER;
	for (u = b->key; b->end - u >= 2; u += 2)
		if (r->b.p[u] == 0 && r->b.p[u + 1] == 0)
			break;
	b->key_ok = b->end - u >= 2;
	b->key_units = (u - b->key) / 2;
	b->value = b->key_ok ? align4(base, u + 2) : b->end;
	/* A block may end right after its key, before the padding. */
	if (b->value > b->end)
		b->value = b->end;
	return true;
}

static unsigned ascii_upper(unsigned c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Case-insensitive comparison of the key with an ASCII name, as VerQueryValue
 * does. */
static bool key_is(const struct rd *r, const struct vblock *b, const char *name)
{
	size_t n = strlen(name);

	if (!b->key_ok || b->key_units != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_upper(load_le16(r->b.p + b->key + 2 * i)) != ascii_upper((unsigned char)name[i]))
			return false;
	return true;
}

/* The String value: up to its NUL or the end of the block. wValueLength is
 * not trusted: compilers have written it in bytes, in characters with and
 * without the NUL, and as 0. NULL when empty. */
static char *vblock_string(const struct rd *r, const struct vblock *b)
{
	size_t n = 0;

	while (b->end - b->value - 2 * n >= 2 &&
	       (r->b.p[b->value + 2 * n] || r->b.p[b->value + 2 * n + 1]))
		n++;
	return n ? utf16le_to_utf8(r->b.p + b->value, n, NULL) : NULL;
}

static void read_strings(const struct rd *r, size_t base, const struct vblock *table,
			 struct pe_info *out)
{
	static const char *const keys[] = {
		"CompanyName", "ProductName", "FileVersion", "ProductVersion",
		"OriginalFilename", "FileDescription", "InternalName",
	};
	char **dst[] = {
		&out->company, &out->product, &out->file_version_str,
		&out->product_version_str, &out->original_filename,
		&out->file_description, &out->internal_name,
	};
	unsigned seen = 0;
	struct vblock s;

	/* A table's Value is empty by definition; a non-zero wValueLength there
	 * is a writer's bug, not data to skip. */
	for (size_t c = table->value; vblock_read(r, base, c, table->end, &s);
	     c = align4(base, s.end)) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			/* The first of duplicate keys wins, as in VerQueryValue,
			 * even when it is empty. */
			if (!(seen & 1u << k) && key_is(r, &s, keys[k])) {
				seen |= 1u << k;
				*dst[k] = vblock_string(r, &s);
				break;
			}
	}
}

static int table_rank(const struct rd *r, const struct vblock *t)
{
	if (key_is(r, t, "040904B0"))
		return 0;
	if (key_is(r, t, "040904E4"))
		return 1;
	return 2;
}

static int parse_version(struct rd *r, size_t base, uint32_t len, struct pe_info *out)
{
	struct vblock root, sfi, t, best;
	int best_rank = 3;

	if (!vblock_read(r, base, base, base + len, &root) || !key_is(r, &root, "VS_VERSION_INFO"))
		return fail(r, "version resource at byte %zu is not a VS_VERSIONINFO block", base);
	out->has_version = true;
	if (root.value_len >= VS_FIXED_SIZE && root.end - root.value >= VS_FIXED_SIZE &&
	    load_le32(r->b.p + root.value) == VS_FIXED_SIG) {
		const uint8_t *f = r->b.p + root.value;
		uint32_t fms = load_le32(f + 8), fls = load_le32(f + 12);
		uint32_t pms = load_le32(f + 16), pls = load_le32(f + 20);

		out->has_fixed = true;
		out->file_version[0] = (uint16_t)(fms >> 16);
		out->file_version[1] = (uint16_t)fms;
		out->file_version[2] = (uint16_t)(fls >> 16);
		out->file_version[3] = (uint16_t)fls;
		out->product_version[0] = (uint16_t)(pms >> 16);
		out->product_version[1] = (uint16_t)pms;
		out->product_version[2] = (uint16_t)(pls >> 16);
		out->product_version[3] = (uint16_t)pls;
	}
	/* The root's value length places its children: follow it as Windows
	 * does (in bytes unless the block says text). Past the root's end,
	 * vblock_read finds nothing. */
	for (size_t c = align4(base, root.value + (root.type == VS_TYPE_TEXT ?
						   2u * root.value_len : root.value_len));
	     vblock_read(r, base, c, root.end, &sfi); c = align4(base, sfi.end)) {
		if (!key_is(r, &sfi, "StringFileInfo"))
			continue; /* VarFileInfo and unknown blocks */
		for (size_t d = sfi.value; vblock_read(r, base, d, sfi.end, &t);
		     d = align4(base, t.end)) {
			int rank = table_rank(r, &t);

			if (rank < best_rank) {
				best = t;
				best_rank = rank;
			}
		}
	}
	if (best_rank < 3)
		read_strings(r, base, &best, out);
	return 0;
}

/* ---- headers ---- */

/* 1: resources located in *root; 0: none; -1: damaged. */
static int parse_headers(struct rd *r, struct pe_info *out, uint32_t *root)
{
	size_t pe, coff, opt, dd;
	uint16_t magic, opt_size;
	uint32_t ndd;

	if (r->b.size < DOS_HEADER_SIZE)
		return fail(r, "truncated DOS header (%zu of %u bytes)", r->b.size, DOS_HEADER_SIZE);
	pe = load_le32(r->b.p + DOS_LFANEW);
	if (pe > r->b.size || r->b.size - pe < 4)
		return fail(r, "e_lfanew %zu points past the end of the file (%zu bytes)",
			    pe, r->b.size);
	/* DOS, NE and LE programs: executables, but not PE ones. */
	if (memcmp(r->b.p + pe, "PE\0\0", 4) != 0)
		return 0;
	out->is_pe = true;
	coff = pe + 4;
	if (r->b.size - coff < COFF_SIZE)
		return fail(r, "file header (COFF) at byte %zu runs past the end of the file (%zu bytes)",
			    coff, r->b.size);
	out->machine = load_le16(r->b.p + coff);
	r->nsec = load_le16(r->b.p + coff + 2);
	opt_size = load_le16(r->b.p + coff + 16);
	out->is_dll = load_le16(r->b.p + coff + 18) & COFF_CHAR_DLL;
	opt = coff + COFF_SIZE;
	if (r->b.size - opt < 2)
		return fail(r, "optional header at byte %zu runs past the end of the file (%zu bytes)",
			    opt, r->b.size);
	magic = load_le16(r->b.p + opt);
	if (magic == OPT_MAGIC_PE32)
		dd = OPT_DD_PE32;
	else if (magic == OPT_MAGIC_PE32P)
		dd = OPT_DD_PE32P;
	else
		return fail(r, "unknown optional header magic 0x%04x at byte %zu", magic, opt);
	out->is_64 = magic == OPT_MAGIC_PE32P;
	/* The fixed fields are read whatever SizeOfOptionalHeader says, as the
	 * loader does; only the section table's place depends on it. */
	if (r->b.size - opt < dd)
		return fail(r, "optional header (%zu bytes at byte %zu) runs past the end of the file (%zu bytes)",
			    dd, opt, r->b.size);
	out->subsystem = load_le16(r->b.p + opt + OPT_SUBSYSTEM);
	r->section_align = load_le32(r->b.p + opt + OPT_SECTION_ALIGN);
	r->file_align = load_le32(r->b.p + opt + OPT_FILE_ALIGN);
	r->size_of_headers = load_le32(r->b.p + opt + OPT_SIZE_OF_HEADERS);
	ndd = load_le32(r->b.p + opt + dd - 4);
	r->sections = opt + opt_size;
	if (r->sections > r->b.size || (r->b.size - r->sections) / SECTION_SIZE < r->nsec)
		return fail(r, "section table (%u sections at byte %zu) runs past the end of the file (%zu bytes)",
			    r->nsec, r->sections, r->b.size);
	if (ndd <= DD_RESOURCE)
		return 0;
	dd = opt + dd + DD_RESOURCE * 8;
	if (r->b.size - opt < dd - opt + 8)
		return fail(r, "resource data directory at byte %zu runs past the end of the file (%zu bytes)",
			    dd, r->b.size);
	*root = load_le32(r->b.p + dd);
	return *root ? 1 : 0;
}

/* ---- entry points ---- */

int pe_parse(const void *data, size_t size, struct pe_info *out,
	     struct ks_err *err)
{
	struct rd r = { .b = { .p = data, .size = size, .err = err } };
	uint32_t root = 0, vrva = 0, vlen = 0;
	size_t voff;
	int rc;

	memset(out, 0, sizeof(*out));
	ks_err_clear(err);
	if (size < 2 || r.b.p[0] != 'M' || r.b.p[1] != 'Z')
		return 0;
	rc = parse_headers(&r, out, &root);
	if (rc <= 0)
		return rc;
	rc = find_version(&r, root, &vrva, &vlen);
	if (rc <= 0)
		return rc;
	if (need(&r, vrva, vlen, "version resource", &voff) || parse_version(&r, voff, vlen, out))
		goto bad;
	return 0;
bad:
	{
		struct pe_info keep = *out;

		pe_info_release(out);
		out->is_pe = keep.is_pe;
		out->is_dll = keep.is_dll;
		out->is_64 = keep.is_64;
		out->machine = keep.machine;
		out->subsystem = keep.subsystem;
	}
	return -1;
}

void pe_info_release(struct pe_info *pi)
{
	free(pi->company);
	free(pi->product);
	free(pi->file_version_str);
	free(pi->product_version_str);
	free(pi->original_filename);
	free(pi->file_description);
	free(pi->internal_name);
	memset(pi, 0, sizeof(*pi));
}

/* ---- versions ---- */

const char *pe_version_fmt(const uint16_t v[4], char buf[PE_VERSION_BUFSZ])
{
	snprintf(buf, PE_VERSION_BUFSZ, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
	return buf;
}

int pe_version_parse(const char *s, uint16_t v[4])
{
	uint16_t t[4] = { 0 };
	unsigned i = 0;

	for (;;) {
		uint32_t n = 0;

		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (uint32_t)(*s++ - '0');
			if (n > UINT16_MAX)
				return -1;
		}
		t[i++] = (uint16_t)n;
		if (!*s)
			break;
		if (*s++ != '.' || i == 4)
			return -1;
	}
	memcpy(v, t, sizeof(t));
	return 0;
}

int pe_version_cmp(const uint16_t a[4], const uint16_t b[4])
{
	for (int i = 0; i < 4; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}
