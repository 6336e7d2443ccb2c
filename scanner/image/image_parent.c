/* Whether a virtual disk is a differencing disk, from the container's own
 * headers. qemu-img does not say so for every format: a VHD whose parent
 * is missing opens as a disk of unallocated blocks (zeros), which would be
 * "scanned" as an empty disk; a differencing VHDX is refused with a
 * message that does not name the parent. Every field read is hostile:
 * offsets and lengths are checked against the file before any read, and
 * names are bounded and converted to printable UTF-8.
 *
 * Layouts: Microsoft "Virtual Hard Disk Image Format Specification" 1.0
 * (footer, dynamic disk header, parent locators); [MS-VHDX] 2.2-2.6
 * (region table, metadata table, file parameters, parent locator); VMware
 * "Virtual Disk Format 1.1" (sparse extent header, descriptor). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include <kenshu/banned.h>

#define VHD_FOOTER 512u
#define VHD_DYN_HEADER 1024u
#define VHD_TYPE_DIFFERENCING 4u
#define VHD_NAME_UNITS 256u         /* 512 bytes of UTF-16BE at 64 */
#define VHD_LOCATORS 8u
#define LOCATOR_MAX 4096u           /* bytes: 2048 UTF-16 units, far above the 260 of the Win32
                                       path a locator holds */
#define VHDX_REGION_MAX_ENTRIES 2047u
#define VHDX_METADATA_MAX_ENTRIES 2047u
#define VHDX_ITEM_MAX (64u << 10)   /* file parameters, parent locator: a few hundred bytes */
#define VMDK_DESCRIPTOR_MAX (64u << 10)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* len bytes at off lie inside a file of size bytes (no wrap). */
static bool inside(uint64_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

static int read_in(pt_read_fn rd, void *ctx, uint64_t size, void *buf, uint64_t len, uint64_t off)
{
	return inside(size, off, len) ? rd(ctx, buf, (size_t)len, off) : -1;
}

static void set_why(struct img_parent *p, const char *fmt, ...) KS_PRINTF(2, 3);
static void set_why(struct img_parent *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

/* The n bytes at s as the printable name (only ASCII kept when they are
 * not valid UTF-8), cut at a character boundary when longer than the
 * field. */
static void set_name(struct img_parent *p, const char *s, size_t n)
{
	struct strbuf b = STRBUF_INIT;
	char *copy = xstrndup(s, n);
	uint16_t *u = NULL;
	bool utf8 = strlen(copy) == n && utf8_to_utf16le(copy, &u) >= 0;
	size_t len;

	free(u);
	free(copy);
	strbuf_add_printable(&b, s, n, !utf8);
	len = b.len < sizeof(p->name) ? b.len : utf8_cut(b.buf, sizeof(p->name) - 1);
	memcpy(p->name, b.buf, len);
	p->name[len] = '\0';
	strbuf_release(&b);
}

/* n UTF-16LE units (stopping at a NUL) as the printable name. */
static void set_name_utf16le(struct img_parent *p, const uint8_t *u, size_t n)
{
	size_t len = 0;
	bool lossy = false;

	while (len < n && (u[2 * len] || u[2 * len + 1]))
		len++;
	if (!len)
		return;
	char *s = utf16le_to_utf8(u, len, &lossy);
	set_name(p, s, strlen(s));
	free(s);
}

/* ---- VHD ---- */

static void vhd_locators(const uint8_t *dyn, pt_read_fn rd, void *ctx, uint64_t size, struct img_parent *p)
{
	/* Absolute Windows path first, then relative: the name Windows resolves. */
	static const char *const codes[] = { "W2ku", "W2ru" };

	for (size_t c = 0; c < 2 && !p->name[0]; c++) {
		for (size_t i = 0; i < VHD_LOCATORS && !p->name[0]; i++) {
			const uint8_t *e = dyn + 576 + 24 * i;
			uint32_t len = be32(e + 8);
			uint64_t off = be64(e + 16);
			uint8_t *buf;

			if (memcmp(e, codes[c], 4) != 0 || len < 2 || len > LOCATOR_MAX)
				continue;
			buf = xmalloc(len);
			if (read_in(rd, ctx, size, buf, len, off) == 0)
				set_name_utf16le(p, buf, len / 2);
			free(buf);
		}
	}
}

static void vhd_parent(pt_read_fn rd, void *ctx, uint64_t size, struct img_parent *p)
{
	uint8_t foot[VHD_FOOTER], dyn[VHD_DYN_HEADER], name[2 * VHD_NAME_UNITS];

	/* The copy at the start first: a dynamic disk cut short has lost the
	 * footer at its end, not this one. */
	if (read_in(rd, ctx, size, foot, sizeof(foot), 0) < 0 || memcmp(foot, "conectix", 8) != 0) {
		if (size < VHD_FOOTER || read_in(rd, ctx, size, foot, sizeof(foot), size - VHD_FOOTER) < 0 ||
		    memcmp(foot, "conectix", 8) != 0)
			return;
	}
	if (be32(foot + 60) != VHD_TYPE_DIFFERENCING)
		return;
	p->differencing = true;
	uint64_t off = be64(foot + 16);
	if (read_in(rd, ctx, size, dyn, sizeof(dyn), off) < 0) {
		set_why(p, "its dynamic disk header (at byte %llu) lies outside the file", (unsigned long long)off);
		return;
	}
	if (memcmp(dyn, "cxsparse", 8) != 0) {
		set_why(p, "its dynamic disk header (at byte %llu) is damaged", (unsigned long long)off);
		return;
	}
	/* The parent's name is UTF-16 big-endian, unlike the locators. */
	for (size_t i = 0; i < VHD_NAME_UNITS; i++) {
		name[2 * i] = dyn[64 + 2 * i + 1];
		name[2 * i + 1] = dyn[64 + 2 * i];
	}
	set_name_utf16le(p, name, VHD_NAME_UNITS);
	if (!p->name[0])
		vhd_locators(dyn, rd, ctx, size, p);
	if (!p->name[0])
		set_why(p, "its header names no parent");
}

/* ---- VHDX ---- */

/* GUIDs as stored (the first three fields little-endian). */
static const uint8_t guid_metadata[16] = { 0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B,
					   0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E };
static const uint8_t guid_file_params[16] = { 0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D,
					      0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B };
static const uint8_t guid_parent_locator[16] = { 0x2D, 0x5F, 0xD3, 0xA8, 0x0B, 0xB3, 0x4D, 0x45,
						 0xAB, 0xF7, 0xD3, 0xD8, 0x48, 0x34, 0xAB, 0x0C };

/* The metadata region from the first region table that has one. */
static bool vhdx_metadata_region(pt_read_fn rd, void *ctx, uint64_t size, uint64_t *off, uint64_t *len)
{
	static const uint64_t tables[] = { 192u << 10, 256u << 10 };
	uint8_t head[16], e[32];

	for (size_t t = 0; t < 2; t++) {
		if (read_in(rd, ctx, size, head, sizeof(head), tables[t]) < 0 || memcmp(head, "regi", 4) != 0)
			continue;
		uint32_t n = load_le32(head + 8);
		for (uint32_t i = 0; i < n && i < VHDX_REGION_MAX_ENTRIES; i++) {
			if (read_in(rd, ctx, size, e, sizeof(e), tables[t] + 16 + 32ull * i) < 0)
				break;
			if (!memcmp(e, guid_metadata, 16)) {
				*off = load_le64(e + 16);
				*len = load_le32(e + 24);
				return true;
			}
		}
	}
	return false;
}

/* An item of the metadata table, read whole (at most VHDX_ITEM_MAX). */
static uint8_t *vhdx_item(pt_read_fn rd, void *ctx, uint64_t size, uint64_t moff, uint64_t mlen,
			  const uint8_t guid[16], uint32_t *n)
{
	uint8_t head[32], e[32];

	if (read_in(rd, ctx, size, head, sizeof(head), moff) < 0 || memcmp(head, "metadata", 8) != 0)
		return NULL;
	uint16_t count = load_le16(head + 10);
	for (uint32_t i = 0; i < count && i < VHDX_METADATA_MAX_ENTRIES; i++) {
		if (32 + 32ull * (i + 1) > mlen || read_in(rd, ctx, size, e, sizeof(e), moff + 32 + 32ull * i) < 0)
			return NULL;
		if (memcmp(e, guid, 16) != 0)
			continue;
		uint32_t off = load_le32(e + 16), len = load_le32(e + 20);
		if (len == 0 || len > VHDX_ITEM_MAX || !inside(mlen, off, len))
			return NULL;
		uint8_t *buf = xmalloc(len);
		if (read_in(rd, ctx, size, buf, len, moff + off) < 0) {
			free(buf);
			return NULL;
		}
		*n = len;
		return buf;
	}
	return NULL;
}

/* The parent locator's value for key, as the name; false if absent. */
static bool vhdx_locator_value(const uint8_t *loc, uint32_t n, const char *key, struct img_parent *p)
{
	size_t klen = strlen(key);

	if (n < 20)
		return false;
	uint16_t count = load_le16(loc + 18);
	for (uint32_t i = 0; i < count && 20 + 12ull * (i + 1) <= n; i++) {
		const uint8_t *e = loc + 20 + 12 * i;
		uint32_t ko = load_le32(e), vo = load_le32(e + 4);
		uint16_t kl = load_le16(e + 8), vl = load_le16(e + 10);
		bool same = kl == 2 * klen && inside(n, ko, kl);

		for (size_t c = 0; same && c < klen; c++)
			same = loc[ko + 2 * c] == (uint8_t)key[c] && loc[ko + 2 * c + 1] == 0;
		if (!same || !vl || !inside(n, vo, vl))
			continue;
		set_name_utf16le(p, loc + vo, vl / 2);
		return p->name[0] != '\0';
	}
	return false;
}

static void vhdx_parent(pt_read_fn rd, void *ctx, uint64_t size, struct img_parent *p)
{
	/* The path Windows tries first, then the others it falls back to. */
	static const char *const keys[] = { "absolute_win32_path", "relative_path", "volume_path",
					    "parent_linkage" };
	uint64_t moff, mlen;
	uint32_t n = 0;
	uint8_t *fp, *loc;

	if (!vhdx_metadata_region(rd, ctx, size, &moff, &mlen))
		return;
	fp = vhdx_item(rd, ctx, size, moff, mlen, guid_file_params, &n);
	/* File parameters: block size, then flags; bit 1 is HasParent. */
	if (fp && n >= 8 && (load_le32(fp + 4) & 2u))
		p->differencing = true;
	free(fp);
	loc = vhdx_item(rd, ctx, size, moff, mlen, guid_parent_locator, &n);
	if (loc)
		p->differencing = true;
	for (size_t i = 0; loc && i < sizeof(keys) / sizeof(keys[0]) && !p->name[0]; i++)
		vhdx_locator_value(loc, n, keys[i], p);
	free(loc);
	if (p->differencing && !p->name[0])
		set_why(p, loc ? "its parent locator names no parent" : "it has no parent locator");
}

/* ---- VMDK ---- */

/* The value of "key=..." on a descriptor line, quotes dropped. */
static bool vmdk_value(const char *line, size_t n, const char *key, const char **v, size_t *vl)
{
	size_t k = strlen(key), i = 0;

	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (n - i < k || strncasecmp(line + i, key, k) != 0)
		return false;
	i += k;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= n || line[i] != '=')
		return false;
	i++;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	size_t e = n;
	while (e > i && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r'))
		e--;
	if (e - i >= 2 && line[i] == '"' && line[e - 1] == '"') {
		i++;
		e--;
	}
	*v = line + i;
	*vl = e - i;
	return true;
}

static void vmdk_descriptor(const char *d, size_t n, struct img_parent *p)
{
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(d + i, '\n', n - i);
		size_t l = nl ? (size_t)(nl - d - i) : n - i;
		const char *v;
		size_t vl;

		if (vmdk_value(d + i, l, "parentCID", &v, &vl) && !(vl == 8 && !strncasecmp(v, "ffffffff", 8)))
			p->differencing = true;
		if (vmdk_value(d + i, l, "parentFileNameHint", &v, &vl) && vl) {
			p->differencing = true;
			set_name(p, v, vl);
		}
		i += l + 1;
	}
	if (p->differencing && !p->name[0])
		set_why(p, "its descriptor names no parentFileNameHint");
}

static void vmdk_parent(pt_read_fn rd, void *ctx, uint64_t size, struct img_parent *p)
{
	uint8_t head[44];
	uint64_t off = 0, len;

	if (read_in(rd, ctx, size, head, sizeof(head), 0) < 0)
		return;
	if (!memcmp(head, "KDMV", 4)) {
		/* descriptorOffset and descriptorSize, in sectors */
		uint64_t so = load_le64(head + 28), sn = load_le64(head + 36);
		if (!so || !sn || so > size / 512 || sn > VMDK_DESCRIPTOR_MAX / 512)
			return;
		off = so * 512;
		len = sn * 512;
	} else {
		len = size < VMDK_DESCRIPTOR_MAX ? size : VMDK_DESCRIPTOR_MAX;
	}
	if (!inside(size, off, len))
		len = size - off;
	if (!len)
		return;
	char *d = xmalloc(len + 1);
	if (rd(ctx, d, (size_t)len, off) == 0) {
		d[len] = '\0';
		vmdk_descriptor(d, strnlen(d, len), p);
	}
	free(d);
}

void img_parent_read(const char *format, pt_read_fn rd, void *ctx, uint64_t size, struct img_parent *p)
{
	memset(p, 0, sizeof(*p));
	if (!strcmp(format, "vhd"))
		vhd_parent(rd, ctx, size, p);
	else if (!strcmp(format, "vhdx"))
		vhdx_parent(rd, ctx, size, p);
	else if (!strcmp(format, "vmdk"))
		vmdk_parent(rd, ctx, size, p);
}
