/* wmi_records: the parts of OBJECTS.DATA the passes (wmi.c) read record
 * by record: CIM strings, the repository's hashes, page tables, class
 * definitions and reference records. The file is hostile (see wmi.c). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "artifacts_internal.h"
#include <kenshu/banned.h>

#define CLASS_HEAD 13u          /* class part: u32 length, u8, u32 name ref, u32 nd+value length */
#define MAX_SUPER_CHARS 256u    /* super class name of a class definition */
#define MAX_CD_PROPS 1024u      /* own properties of a class definition */
#define MAX_PROPS 4096u         /* properties of a class, inherited ones included */
#define MAX_REF_CHARS 4096u     /* each string of a reference record */
#define MAX_REFS (2u * WMI_MAX_OBJECTS)

#define CIM_STRING 0x08u
#define CIM_REFERENCE 0x66u
#define CIM_FLAG_INHERITED 0x4000u

static bool streq_null(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}


/* ---- strings ---- */

/* Cuts s to at most WMI_MAX_STRING bytes on a UTF-8 character boundary. */
static void cap_utf8(char *s, unsigned *flags)
{
	if (strlen(s) <= WMI_MAX_STRING)
		return;
	s[utf8_cut(s, WMI_MAX_STRING)] = '\0';
	*flags |= WMI_F_TRUNCATED;
}

int wmi_cim_string(const uint8_t *h, size_t hav, size_t ref, char **out,
		   unsigned *flags, size_t *work)
{
	const uint8_t *s;
	size_t n, avail;
	int terminated = 0;

	*out = NULL;
	if (ref >= hav || h[ref] > 1)
		return -1;
	s = h + ref + 1;
	avail = hav - ref - 1;
	if (h[ref] == 0) {
		size_t look = avail < WMI_MAX_STRING + 1 ? avail : WMI_MAX_STRING + 1;
		const uint8_t *z = memchr(s, 0, look);

		n = z ? (size_t)(z - s) : look;
		terminated = z || look < avail;
		if (work)
			*work += n;
		if (n > WMI_MAX_STRING) {
			n = WMI_MAX_STRING;
			*flags |= WMI_F_TRUNCATED;
		}
		*out = latin1_to_utf8(s, n);
	} else {
		size_t units = avail / 2;
		size_t look = units < WMI_MAX_STRING + 1 ? units : WMI_MAX_STRING + 1;

		for (n = 0; n < look; n++)
			if (s[2 * n] == 0 && s[2 * n + 1] == 0)
				break;
		terminated = n < look || look < units;
		if (work)
			*work += 2 * n;
		if (n > WMI_MAX_STRING) {
			n = WMI_MAX_STRING;
			*flags |= WMI_F_TRUNCATED;
		}
		*out = utf16le_to_utf8(s, n, NULL);
	}
	cap_utf8(*out, flags);
	return terminated;
}

bool wmi_cim_is(const uint8_t *h, size_t hav, size_t ref, const char *name)
{
	size_t len = strlen(name), unit;

	if (ref >= hav || h[ref] > 1)
		return false;
	unit = h[ref] ? 2 : 1;
	if ((hav - ref - 1) / unit < len + 1)
		return false;
	for (size_t i = 0; i <= len; i++) {
		const uint8_t *c = h + ref + 1 + i * unit;
		unsigned a = c[0], b = (unsigned char)name[i];

		if (unit == 2 && c[1])
			return false;
		if (a >= 'A' && a <= 'Z')
			a += 0x20;
		if (b >= 'A' && b <= 'Z')
			b += 0x20;
		if (a != b)
			return false;
	}
	return true;
}

/* n UTF-16LE units at p (a counted string of a reference record) as UTF-8. */
static char *counted(const uint8_t *p, size_t n)
{
	return utf16le_to_utf8(p, n, NULL);
}

/* ---- hashes ---- */

/* Upper case the way a CIM repository names things, for ASCII and Latin-1
 * (Windows' table covers more; a miss only loses the namespace). */
static uint16_t upcase(uint16_t u)
{
	if ((u >= 'a' && u <= 'z') || (u >= 0xE0 && u <= 0xFE && u != 0xF7))
		return (uint16_t)(u - 0x20);
	if (u == 0xFF)
		return 0x178;
	return u;
}

bool wmi_upper_hash(const char *const *parts, size_t nparts, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 *h = sha256_new();
	bool ok = true;

	for (size_t i = 0; i < nparts && ok; i++) {
		uint16_t *u;
		uint8_t *b;
		long n = utf8_to_utf16le(parts[i], &u);
		static const uint8_t sep[2] = { 0xFF, 0xFF };

		if (n < 0) {
			ok = false;
			break;
		}
		b = xmalloc(2 * (size_t)n + 1);
		for (long j = 0; j < n; j++) {
			uint16_t c = upcase(u[j]);

			b[2 * j] = (uint8_t)c;
			b[2 * j + 1] = (uint8_t)(c >> 8);
		}
		if (i)
			sha256_update(h, sep, 2);
		sha256_update(h, b, 2 * (size_t)n);
		free(b);
		free(u);
	}
	sha256_final_hex(h, hex);
	sha256_free(h);
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	return ok;
}

void wmi_digest(const char *const *s, size_t n, bool fold, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 *h = sha256_new();

	for (size_t i = 0; i < n; i++) {
		uint8_t mark = s[i] ? 1 : 0;

		sha256_update(h, &mark, 1);
		if (!s[i])
			continue;
		if (fold) {
			for (const char *p = s[i]; *p; p++) {
				uint8_t c = (uint8_t)*p;

				if (c >= 'A' && c <= 'Z')
					c = (uint8_t)(c + 0x20);
				sha256_update(h, &c, 1);
			}
		} else {
			sha256_update(h, s[i], strlen(s[i]));
		}
		sha256_update(h, "", 1);
	}
	sha256_final_hex(h, hex);
	sha256_free(h);
}

/* ---- pages ---- */

size_t wmi_page_len(const struct wmi_ctx *c, size_t pg)
{
	size_t base = pg * WMI_PAGE_SIZE;

	return c->size - base < WMI_PAGE_SIZE ? c->size - base : WMI_PAGE_SIZE;
}

long wmi_page_table(const struct wmi_ctx *c, size_t pg, struct wmi_desc *desc)
{
	const uint8_t *p = c->d + pg * WMI_PAGE_SIZE;
	size_t plen = wmi_page_len(c, pg), n = 0, prev_end;
	static const uint8_t zero[WMI_DESC_SIZE];

	for (;;) {
		if (n >= WMI_MAX_DESC || (n + 1) * WMI_DESC_SIZE > plen)
			return -1;
		if (memcmp(p + n * WMI_DESC_SIZE, zero, WMI_DESC_SIZE) == 0)
			break;
		n++;
	}
	prev_end = (n + 1) * WMI_DESC_SIZE;
	for (size_t i = 0; i < n; i++) {
		uint32_t off = load_le32(p + i * WMI_DESC_SIZE + 4);
		uint32_t size = load_le32(p + i * WMI_DESC_SIZE + 8);

		if (size == 0 || off < prev_end || off >= plen)
			return -1;
		if (i + 1 < n && size > plen - off)
			return -1;
		prev_end = (size_t)off + size;
		if (desc) {
			desc[i].off = off;
			desc[i].size = size;
		}
	}
	return (long)n;
}

size_t wmi_record_extent(struct wmi_ctx *c, size_t pg, size_t off, size_t size,
			 unsigned *flags)
{
	size_t base = pg * WMI_PAGE_SIZE, plen = wmi_page_len(c, pg), start = base + off, last;

	*flags = 0;
	if (size <= plen - off)
		return size;
	if (size <= WMI_PAGE_SIZE - off) {
		*flags = WMI_F_PARTIAL; /* the file ends inside the page */
		return plen - off;
	}
	*flags = WMI_F_SPANS_PAGES;
	if (size <= c->size - start) {
		last = (start + size - 1) / WMI_PAGE_SIZE;
		for (size_t q = pg + 1; q <= last; q++) {
			if (c->state[q] == WMI_PS_TABLE) {
				*flags |= WMI_F_PARTIAL;
				return plen - off;
			}
		}
		for (size_t q = pg + 1; q <= last; q++)
			c->state[q] = WMI_PS_CONT;
		return size;
	}
	*flags |= WMI_F_PARTIAL;
	return plen - off;
}

/* ---- class definitions ---- */

void wmi_layout_release(struct wmi_layout *l)
{
	for (unsigned k = 0; k < WMI_NEEDED; k++)
		free(l->def[k]);
	memset(l, 0, sizeof(*l));
}

static bool layout_same(const struct wmi_layout *a, const struct wmi_layout *b)
{
	if (a->nprops != b->nprops || a->nd_len != b->nd_len || a->vt_len != b->vt_len)
		return false;
	for (unsigned k = 0; k < WMI_NEEDED; k++)
		if (a->index[k] != b->index[k] || a->offset[k] != b->offset[k] ||
		    !streq_null(a->def[k], b->def[k]))
			return false;
	return true;
}

void wmi_builtin_layout(enum wmi_cls cls, struct wmi_layout *l)
{
	const struct wmi_known *k = &wmi_known[cls];

	memset(l, 0, sizeof(*l));
	l->nprops = k->b_nprops;
	l->nd_len = (2 * k->b_nprops + 7) / 8;
	l->vt_len = k->b_vt_len;
	for (unsigned i = 0; i < k->nprops; i++) {
		l->index[i] = k->b_index[i];
		l->offset[i] = k->b_offset[i];
	}
}

bool wmi_parse_cd(const uint8_t *r, size_t n, enum wmi_cls *clsp, struct wmi_layout *l)
{
	size_t o, cp, end, pc, hl, nd_len, vt_len, maxidx = 0;
	uint32_t cno, ndvt;
	const uint8_t *lookup, *dv, *heap;
	unsigned fl = 0;
	int cls = -1;
	bool found[WMI_NEEDED] = { false };

	if (n < 4 || load_le32(r) > MAX_SUPER_CHARS)
		return false;
	o = 4 + 2 * (size_t)load_le32(r) + 8;
	if (o > n || n - o < CLASS_HEAD)
		return false;
	cp = o;
	if (load_le32(r + cp) < CLASS_HEAD || load_le32(r + cp) > n - cp)
		return false;
	end = cp + load_le32(r + cp);
	cno = load_le32(r + cp + 5);
	ndvt = load_le32(r + cp + 9);
	o = cp + 13;
	/* derivation list, class qualifier set */
	for (int i = 0; i < 2; i++) {
		if (end - o < 4 || load_le32(r + o) < 4 || load_le32(r + o) > end - o)
			return false;
		o += load_le32(r + o);
	}
	if (end - o < 4)
		return false;
	pc = load_le32(r + o);
	o += 4;
	if (pc == 0 || pc > MAX_CD_PROPS || pc * 8 > end - o)
		return false;
	lookup = r + o;
	o += pc * 8;
	if (ndvt > end - o)
		return false;
	dv = r + o;
	o += ndvt;
	if (end - o < 4)
		return false;
	hl = load_le32(r + o) & WMI_HEAP_LEN_MASK;
	o += 4;
	if (hl != end - o)
		return false;
	heap = r + o;

	for (int i = 0; i < WMI_NCLASSES; i++)
		if (wmi_cim_is(heap, hl, cno, wmi_known[i].name))
			cls = i;
	if (cls < 0)
		return false;

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < pc; i++) {
		uint32_t nref = load_le32(lookup + 8 * i), iref = load_le32(lookup + 8 * i + 4);
		uint32_t type;
		uint16_t idx;

		if (iref >= hl || hl - iref < 14)
			return false;
		idx = load_le16(heap + iref + 4);
		if (idx >= MAX_PROPS)
			return false;
		if (idx > maxidx)
			maxidx = idx;
		if (nref & 0x80000000u)
			continue; /* a predefined name: none of ours */
		for (unsigned k = 0; k < wmi_known[cls].nprops; k++) {
			if (found[k] || !wmi_cim_is(heap, hl, nref, wmi_known[cls].props[k]))
				continue;
			type = load_le32(heap + iref) & ~CIM_FLAG_INHERITED;
			if (type != CIM_STRING && type != CIM_REFERENCE)
				return false;
			found[k] = true;
			l->index[k] = idx;
			l->offset[k] = load_le32(heap + iref + 6);
		}
	}
	for (unsigned k = 0; k < wmi_known[cls].nprops; k++)
		if (!found[k])
			return false; /* e.g. an amended (localised) copy */
	l->nprops = (uint32_t)maxidx + 1;
	nd_len = (2 * (size_t)l->nprops + 7) / 8;
	if (nd_len > ndvt)
		return false;
	vt_len = ndvt - nd_len;
	l->nd_len = (uint32_t)nd_len;
	l->vt_len = (uint32_t)vt_len;
	for (unsigned k = 0; k < wmi_known[cls].nprops; k++)
		if (l->offset[k] > vt_len || vt_len - l->offset[k] < 4)
			return false;
	for (unsigned k = 0; k < wmi_known[cls].nprops; k++) {
		unsigned st;
		uint32_t ref;

		st = dv[l->index[k] / 4] >> (2 * (l->index[k] % 4)) & 3;
		if (st != 0)
			continue; /* no default, or one inherited from a parent */
		ref = load_le32(dv + nd_len + l->offset[k]);
		if (wmi_cim_string(heap, hl, ref, &l->def[k], &fl, NULL) != 1) {
			free(l->def[k]);
			l->def[k] = NULL;
		}
	}
	*clsp = (enum wmi_cls)cls;
	return true;
}

void wmi_add_layout(struct wmi_ctx *c, enum wmi_cls cls, struct wmi_layout *l)
{
	c->out->class_defs++;
	for (size_t i = 0; i < c->nlayouts[cls]; i++) {
		if (layout_same(&c->layouts[cls][i], l)) {
			wmi_layout_release(l);
			return;
		}
	}
	if (c->nlayouts[cls] == WMI_MAX_LAYOUTS) {
		wmi_layout_release(l);
		return;
	}
	c->layouts[cls][c->nlayouts[cls]++] = *l;
}

/* ---- reference records ---- */

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void wmi_parse_ref(struct wmi_ctx *c, const uint8_t *r, size_t n)
{
	char *s[4] = { NULL };
	size_t o = 0;
	const char *key, *nsh;
	char hex[SHA256_HEX_LEN + 1];
	const char *part[1];

	for (int i = 0; i < 4; i++) {
		size_t len;

		if (n - o < 4 || load_le32(r + o) > MAX_REF_CHARS)
			goto out;
		len = load_le32(r + o);
		if (2 * len > n - o - 4)
			goto out;
		s[i] = counted(r + o + 4, len);
		o += 4 + 2 * len;
	}
	if (n - o != 8 || strcasecmp(s[1], wmi_known[WMI_C_BINDING].name) != 0)
		goto out;
	/* NS_<64 hex>\KI_<64 hex>\I_<64 hex> */
	nsh = s[3];
	if (strncmp(nsh, "NS_", 3) != 0 || strlen(nsh) < 3 + SHA256_HEX_LEN ||
	    !is_hex(nsh + 3, SHA256_HEX_LEN))
		goto out;
	key = strrchr(nsh, '\\');
	if (!key || strncmp(key, "\\I_", 3) != 0 || strlen(key + 3) != SHA256_HEX_LEN ||
	    !is_hex(key + 3, SHA256_HEX_LEN))
		goto out;
	part[0] = s[0];
	if (!wmi_upper_hash(part, 1, hex) || strncasecmp(hex, nsh + 3, SHA256_HEX_LEN) != 0)
		goto out;
	if (c->nrefs == MAX_REFS)
		goto out;
	if (c->nrefs == c->refcap) {
		c->refcap = c->refcap ? 2 * c->refcap : 16;
		c->refs = xrealloc(c->refs, c->refcap * sizeof(*c->refs));
	}
	memcpy(c->refs[c->nrefs].key, key + 3, SHA256_HEX_LEN + 1);
	c->refs[c->nrefs].ns = s[0];
	s[0] = NULL;
	c->nrefs++;
out:
	for (int i = 0; i < 4; i++)
		free(s[i]);
}

