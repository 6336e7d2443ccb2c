/* wmi: WMI permanent event subscriptions from the CIM repository's
 * OBJECTS.DATA, without the index or the mapping files.
 *
 * The file is hostile until checked: every size, count and offset is
 * compared with what is left of the buffer (or of the enclosing structure)
 * before it is used, always as "len <= end - off", and every loop is bounded
 * by the file. Nothing here prints or exits; there is no recursion.
 *
 * Layout (little-endian; MS-WMIO for the class and instance encodings):
 *
 *   page (8 KiB): descriptor {u32 id, u32 offset, u32 size, u32 crc} ...
 *                 {0,0,0,0} | records, packed after the table. A record
 *                 larger than what is left of the page is alone in it and
 *                 continues on the next *logical* page (mapping file).
 *
 *   class definition record: u32 n | UTF-16 super class name (n units) |
 *     FILETIME | ClassPart: u32 length (includes itself) | u8 | u32 class
 *     name ref | u32 ndtable+valuetable length | derivation list (u32
 *     length) | qualifier set (u32 length) | u32 property count | {u32 name
 *     ref, u32 info ref} each | nd table + default value table | heap (u32
 *     length | 0x80000000). A property info in the heap: u32 CIM type | u16
 *     declaration order | u32 value-table offset | u32 class of origin |
 *     qualifier set. The lookup lists the class's own properties only; the
 *     inherited ones come first in declaration order, so the class has
 *     max(order) + 1 properties.
 *
 *   instance record: class-name hash (64 or 32 UTF-16 hex digits) | 2
 *     FILETIMEs | u32 length (includes itself, runs to the record end) | u32
 *     class name ref | u8 | nd table (2 bits per property: bit 0 "not set",
 *     bit 1 "default") | value table | qualifier set | u8 1 (or 2 and one
 *     qualifier set per property) | heap (u32 length | 0x80000000). Strings
 *     and references are u32 heap refs to a flag byte (0 Latin-1, 1
 *     UTF-16LE) and a NUL-terminated string.
 *
 *   reference record (a binding's Consumer or Filter): four counted UTF-16
 *     strings (namespace, "__FilterToConsumerBinding", property, key path
 *     "NS_<h>\KI_<h>\I_<h>") and 8 bytes. The I_ hash is SHA-256 of the
 *     binding's key, Consumer U+FFFF Filter, in upper case: that links a
 *     binding to its namespace.
 */
#include <kenshu/artifacts.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

#define PAGE WMI_PAGE_SIZE
#define DESC_SIZE 16u
#define MAX_DESC (PAGE / DESC_SIZE - 1)
#define FILETIMES 16u
#define BLOCK_HEAD 9u           /* instance: u32 length, u32 class name ref, u8 */
#define CLASS_HEAD 13u          /* class part: u32 length, u8, u32 name ref, u32 nd+value length */
#define HEAP_LEN_MASK 0x7FFFFFFFu

#define MAX_SUPER_CHARS 256u    /* super class name of a class definition */
#define MAX_CD_PROPS 1024u      /* own properties of a class definition */
#define MAX_PROPS 4096u         /* properties of a class, inherited ones included */
#define MAX_LAYOUTS 16u         /* distinct layouts kept per class */
#define MAX_REF_CHARS 4096u     /* each string of a reference record */
#define MAX_REFS (2u * WMI_MAX_OBJECTS)
#define MIN_CARVED 1u           /* characters of a string carved from a heap */
/* Bytes of strings looked at while reading instances: per byte of file,
 * and a floor. Real repositories need a few KiB; forged ones that make every
 * property of every layout run for WMI_MAX_STRING stop here. */
#define WORK_PER_BYTE 16u
#define WORK_FLOOR (16u << 20)

#define CIM_STRING 0x08u
#define CIM_REFERENCE 0x66u
#define CIM_FLAG_INHERITED 0x4000u

enum cls { C_FILTER, C_BINDING, C_CMDLINE, C_SCRIPT, NCLASSES };

#define NEEDED 4

/* The four classes read, the properties wanted from each (keys first) and
 * the layout their class definitions give them in the Windows 10 and
 * Server 2022 repositories this was checked against, used only when the
 * file holds no definition of the class. The hashes are SHA-256 and MD5 of
 * the upper-case UTF-16LE class name. */
static const struct known {
	const char *name;
	const char *sha256;
	const char *md5;
	const char *props[NEEDED];
	unsigned nprops, nkeys;
	uint32_t b_nprops, b_vt_len;
	uint16_t b_index[NEEDED];
	uint32_t b_offset[NEEDED];
} known[NCLASSES] = {
	[C_FILTER] = { "__EventFilter",
		"47C79E62C2227EDD0FF29BF44D87F2FAF9FEDF60A18D9F82597602BD95E20BD3",
		"D4A52B2BD3BF3604AD338F63412AEB3C",
		{ "Name", "Query", "QueryLanguage", "EventNamespace" }, 4, 1,
		6, 24, { 0, 3, 2, 4 }, { 0, 12, 8, 16 } },
	[C_BINDING] = { "__FilterToConsumerBinding",
		"0A7ABE63F36E2B2920FEDAFAE849823AF9429CC0EA373FFEE1507EDB21FD9170",
		"A8B3187D121830A052261C3643ACD9AF",
		{ "Consumer", "Filter" }, 2, 2,
		7, 22, { 1, 0 }, { 4, 0 } },
	[C_CMDLINE] = { "CommandLineEventConsumer",
		"BBFCCB444CF66AA09AE6F15967A6865175BB0ED216D19970A7988B72CDF0A3A4",
		"350EB6ACE592C89B344EECFE24ACDF77",
		{ "Name", "CommandLineTemplate", "ExecutablePath" }, 3, 1,
		27, 92, { 3, 5, 4 }, { 12, 20, 16 } },
	[C_SCRIPT] = { "ActiveScriptEventConsumer",
		"3E78A37E1DE70357C353A15D6BBB8A17A1D31F8D501ED8F1C3EB8104F5B04F97",
		"5D1A479DE8D5AFD9BDEDA7BE5BEA9591",
		{ "Name", "ScriptingEngine", "ScriptText", "ScriptFileName" }, 4, 1,
		8, 32, { 3, 4, 5, 6 }, { 12, 16, 20, 24 } },
};

struct layout {
	uint32_t nprops;        /* of the class, inherited ones included */
	uint32_t nd_len, vt_len;
	uint16_t index[NEEDED];
	uint32_t offset[NEEDED];
	char *def[NEEDED];      /* the class's default value, NULL if none */
};

enum page_state { PS_NONE, PS_EMPTY, PS_TABLE, PS_CONT };

struct inst {
	size_t off;             /* record start in the file */
	size_t avail;           /* bytes of it readable from off on */
	size_t size;            /* its size as recorded */
	unsigned hexlen;        /* bytes of the class-name hash */
	enum cls cls;
	unsigned flags;
};

struct nsref {
	char key[SHA256_HEX_LEN + 1]; /* I_ hash of the binding, upper case */
	char *ns;
};

struct ctx {
	const uint8_t *d;
	size_t size, npages;
	uint8_t *state;         /* enum page_state per page */
	uint16_t *covered;      /* PS_TABLE pages: offset in the page of the last
	                           byte of its last record */
	struct layout layouts[NCLASSES][MAX_LAYOUTS];
	size_t nlayouts[NCLASSES];
	struct inst *insts;
	size_t ninsts, instcap;
	struct nsref *refs;
	size_t nrefs, refcap;
	size_t cons_cap, filt_cap, bind_cap;
	size_t work, budget;    /* string bytes looked at for instances, and the cap */
	uint8_t pat[NCLASSES][2][2 * SHA256_HEX_LEN]; /* hashes as UTF-16LE: [0] SHA-256, [1] MD5 */
	struct wmi_subscriptions *out;
};

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

/* The CIM string at heap ref, inside the hav bytes of the heap that can be
 * read: a flag byte (0 Latin-1, 1 UTF-16LE) and NUL-terminated text. At
 * most WMI_MAX_STRING characters are looked at: a longer string is cut
 * there (WMI_F_TRUNCATED) without looking for its end. Returns 1 and a UTF-8
 * copy in *out, 0 if the text runs to the end of what can be read (*out
 * holds what there is), -1 if ref or the flag is bad (*out is NULL). Adds
 * the bytes looked at to *work when work is not NULL. */
static int cim_string(const uint8_t *h, size_t hav, size_t ref, char **out,
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

/* Whether the CIM string at heap ref is name (ASCII case folded): looks at
 * strlen(name) + 1 characters at most. */
static bool cim_is(const uint8_t *h, size_t hav, size_t ref, const char *name)
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

/* SHA-256 (upper-case hex) of the parts in upper-case UTF-16LE joined by
 * U+FFFF. Returns false if a part is not valid UTF-8. */
static bool upper_hash(const char *const *parts, size_t nparts, char hex[SHA256_HEX_LEN + 1])
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

/* A digest of strings (NULL kept apart from ""), ASCII case folded when
 * fold: compares long strings once instead of pairwise. */
static void digest(const char *const *s, size_t n, bool fold, char hex[SHA256_HEX_LEN + 1])
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

struct desc {
	uint32_t off, size;
};

static size_t page_len(const struct ctx *c, size_t pg)
{
	size_t base = pg * PAGE;

	return c->size - base < PAGE ? c->size - base : PAGE;
}

/* The record table at the start of page pg: returns the number of records
 * (0 when the page starts with a zero entry) and fills desc, or -1 when
 * there is no valid table. */
static long page_table(const struct ctx *c, size_t pg, struct desc *desc)
{
	const uint8_t *p = c->d + pg * PAGE;
	size_t plen = page_len(c, pg), n = 0, prev_end;
	static const uint8_t zero[DESC_SIZE];

	for (;;) {
		if (n >= MAX_DESC || (n + 1) * DESC_SIZE > plen)
			return -1;
		if (memcmp(p + n * DESC_SIZE, zero, DESC_SIZE) == 0)
			break;
		n++;
	}
	prev_end = (n + 1) * DESC_SIZE;
	for (size_t i = 0; i < n; i++) {
		uint32_t off = load_le32(p + i * DESC_SIZE + 4);
		uint32_t size = load_le32(p + i * DESC_SIZE + 8);

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

/* Where the record at off (size bytes) of page pg can be read: all of it
 * when it fits in the page, or when it runs on into following pages that
 * hold no record table (they are marked as its continuation); else only
 * what is in its page, WMI_F_PARTIAL. */
static size_t record_extent(struct ctx *c, size_t pg, size_t off, size_t size,
			    unsigned *flags)
{
	size_t base = pg * PAGE, plen = page_len(c, pg), start = base + off, last;

	*flags = 0;
	if (size <= plen - off)
		return size;
	if (size <= PAGE - off) {
		*flags = WMI_F_PARTIAL; /* the file ends inside the page */
		return plen - off;
	}
	*flags = WMI_F_SPANS_PAGES;
	if (size <= c->size - start) {
		last = (start + size - 1) / PAGE;
		for (size_t q = pg + 1; q <= last; q++) {
			if (c->state[q] == PS_TABLE) {
				*flags |= WMI_F_PARTIAL;
				return plen - off;
			}
		}
		for (size_t q = pg + 1; q <= last; q++)
			c->state[q] = PS_CONT;
		return size;
	}
	*flags |= WMI_F_PARTIAL;
	return plen - off;
}

/* ---- class definitions ---- */

static void layout_release(struct layout *l)
{
	for (unsigned k = 0; k < NEEDED; k++)
		free(l->def[k]);
	memset(l, 0, sizeof(*l));
}

static bool layout_same(const struct layout *a, const struct layout *b)
{
	if (a->nprops != b->nprops || a->nd_len != b->nd_len || a->vt_len != b->vt_len)
		return false;
	for (unsigned k = 0; k < NEEDED; k++)
		if (a->index[k] != b->index[k] || a->offset[k] != b->offset[k] ||
		    !streq_null(a->def[k], b->def[k]))
			return false;
	return true;
}

static void builtin_layout(enum cls cls, struct layout *l)
{
	const struct known *k = &known[cls];

	memset(l, 0, sizeof(*l));
	l->nprops = k->b_nprops;
	l->nd_len = (2 * k->b_nprops + 7) / 8;
	l->vt_len = k->b_vt_len;
	for (unsigned i = 0; i < k->nprops; i++) {
		l->index[i] = k->b_index[i];
		l->offset[i] = k->b_offset[i];
	}
}

/* A class definition record of one of the four classes: its layout into
 * *l and true, else false. The whole record must be readable. */
static bool parse_cd(const uint8_t *r, size_t n, enum cls *clsp, struct layout *l)
{
	size_t o, cp, end, pc, hl, nd_len, vt_len, maxidx = 0;
	uint32_t cno, ndvt;
	const uint8_t *lookup, *dv, *heap;
	unsigned fl = 0;
	int cls = -1;
	bool found[NEEDED] = { false };

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
	hl = load_le32(r + o) & HEAP_LEN_MASK;
	o += 4;
	if (hl != end - o)
		return false;
	heap = r + o;

	for (int i = 0; i < NCLASSES; i++)
		if (cim_is(heap, hl, cno, known[i].name))
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
		for (unsigned k = 0; k < known[cls].nprops; k++) {
			if (found[k] || !cim_is(heap, hl, nref, known[cls].props[k]))
				continue;
			type = load_le32(heap + iref) & ~CIM_FLAG_INHERITED;
			if (type != CIM_STRING && type != CIM_REFERENCE)
				return false;
			found[k] = true;
			l->index[k] = idx;
			l->offset[k] = load_le32(heap + iref + 6);
		}
	}
	for (unsigned k = 0; k < known[cls].nprops; k++)
		if (!found[k])
			return false; /* e.g. an amended (localised) copy */
	l->nprops = (uint32_t)maxidx + 1;
	nd_len = (2 * (size_t)l->nprops + 7) / 8;
	if (nd_len > ndvt)
		return false;
	vt_len = ndvt - nd_len;
	l->nd_len = (uint32_t)nd_len;
	l->vt_len = (uint32_t)vt_len;
	for (unsigned k = 0; k < known[cls].nprops; k++)
		if (l->offset[k] > vt_len || vt_len - l->offset[k] < 4)
			return false;
	for (unsigned k = 0; k < known[cls].nprops; k++) {
		unsigned st;
		uint32_t ref;

		st = dv[l->index[k] / 4] >> (2 * (l->index[k] % 4)) & 3;
		if (st != 0)
			continue; /* no default, or one inherited from a parent */
		ref = load_le32(dv + nd_len + l->offset[k]);
		if (cim_string(heap, hl, ref, &l->def[k], &fl, NULL) != 1) {
			free(l->def[k]);
			l->def[k] = NULL;
		}
	}
	*clsp = (enum cls)cls;
	return true;
}

static void add_layout(struct ctx *c, enum cls cls, struct layout *l)
{
	c->out->class_defs++;
	for (size_t i = 0; i < c->nlayouts[cls]; i++) {
		if (layout_same(&c->layouts[cls][i], l)) {
			layout_release(l);
			return;
		}
	}
	if (c->nlayouts[cls] == MAX_LAYOUTS) {
		layout_release(l);
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

/* A binding's reference record: remembers the namespace of the binding it
 * names. The whole record must be readable. */
static void parse_ref(struct ctx *c, const uint8_t *r, size_t n)
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
	if (n - o != 8 || strcasecmp(s[1], known[C_BINDING].name) != 0)
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
	if (!upper_hash(part, 1, hex) || strncasecmp(hex, nsh + 3, SHA256_HEX_LEN) != 0)
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

/* ---- instances ---- */

/* The class whose hash starts the record (avail bytes), or -1. */
static int instance_class(const struct ctx *c, const uint8_t *r, size_t avail,
			  unsigned *hexlen)
{
	for (int i = 0; i < NCLASSES; i++) {
		for (int m = 0; m < 2; m++) {
			size_t len = m ? 2 * 32 : 2 * SHA256_HEX_LEN;

			if (avail >= len && memcmp(r, c->pat[i][m], len) == 0) {
				*hexlen = (unsigned)len;
				return i;
			}
		}
	}
	return -1;
}

static void add_inst(struct ctx *c, size_t off, size_t avail, size_t size,
		     unsigned hexlen, enum cls cls, unsigned flags)
{
	if (c->ninsts == c->instcap) {
		c->instcap = c->instcap ? 2 * c->instcap : 64;
		c->insts = xrealloc(c->insts, c->instcap * sizeof(*c->insts));
	}
	c->insts[c->ninsts++] = (struct inst){ off, avail, size, hexlen, cls, flags };
}

/* An instance seen through a layout. */
struct view {
	const uint8_t *nd, *vt, *heap;
	size_t heap_len;        /* as recorded */
	size_t heap_avail;      /* readable */
};

/* Fits layout l to the instance record r: the record must end where the
 * heap ends (partial: the heap must end where the recorded size says) and
 * hold the class name where it says. Returns 0 and fills *v, or -1. */
static int fit(const uint8_t *r, size_t avail, size_t size, unsigned hexlen,
	       const struct layout *l, enum cls cls, bool partial, struct view *v)
{
	size_t o = hexlen + FILETIMES, q, hl;
	uint32_t cno;

	if (avail < o || avail - o < BLOCK_HEAD || load_le32(r + o) != size - o)
		return -1;
	cno = load_le32(r + o + 4);
	o += BLOCK_HEAD;
	if (l->nd_len > avail - o)
		return -1;
	v->nd = r + o;
	o += l->nd_len;
	if (l->vt_len > avail - o)
		return -1;
	v->vt = r + o;
	o += l->vt_len;
	if (avail - o < 4 || (q = load_le32(r + o)) < 4 || q > avail - o)
		return -1;
	o += q;
	if (avail - o < 1)
		return -1;
	if (r[o] == 2) {
		o++;
		for (uint32_t i = 0; i < l->nprops; i++) {
			if (avail - o < 4 || (q = load_le32(r + o)) < 4 || q > avail - o)
				return -1;
			o += q;
		}
	} else if (r[o] == 1) {
		o++;
	} else {
		return -1;
	}
	if (avail - o < 4)
		return -1;
	hl = load_le32(r + o) & HEAP_LEN_MASK;
	o += 4;
	if (partial ? hl > size - o : hl != size - o)
		return -1;
	v->heap = r + o;
	v->heap_len = hl;
	v->heap_avail = hl < avail - o ? hl : avail - o;
	return cim_is(v->heap, v->heap_avail, cno, known[cls].name) ? 0 : -1;
}

/* The wanted properties through a fitted layout into vals. Returns -1 when
 * a value is malformed (the layout does not fit after all). */
static int read_props(const struct view *v, const struct layout *l, enum cls cls,
		      bool partial, char **vals, unsigned *flags, size_t *work)
{
	for (unsigned k = 0; k < known[cls].nprops; k++) {
		unsigned idx = l->index[k], st = v->nd[idx / 4] >> (2 * (idx % 4)) & 3;
		uint32_t ref;
		int rc;

		if (st & 1)
			continue; /* not set */
		if (st & 2) {
			if (l->def[k])
				vals[k] = xstrdup(l->def[k]);
			continue;
		}
		ref = load_le32(v->vt + l->offset[k]);
		if (ref >= v->heap_len)
			return -1;
		if (ref >= v->heap_avail)
			continue; /* partial: on a page that was not found */
		rc = cim_string(v->heap, v->heap_avail, ref, &vals[k], flags, work);
		if (rc < 0 || (rc == 0 && !partial))
			return -1;
	}
	return 0;
}

static void free_vals(char **vals)
{
	for (unsigned k = 0; k < NEEDED; k++) {
		free(vals[k]);
		vals[k] = NULL;
	}
}

static bool printable(unsigned u)
{
	return u == '\t' || u == '\n' || u == '\r' || (u >= 0x20 && u != 0x7F &&
	       !(u >= 0x80 && u < 0xA0));
}

/* Strings carved from n bytes of heap at p: a flag byte, printable
 * characters and a NUL (or the end of p when cut_ok: a partial record).
 * One per line, capped; the first one equal to skip is left out and
 * *saw_skip set. */
static char *carve(const uint8_t *p, size_t n, const char *skip, bool cut_ok,
		   unsigned *flags, bool *saw_skip)
{
	struct strbuf out = STRBUF_INIT;
	size_t i = 0;

	while (i + 1 < n) {
		size_t j = i + 1, chars = 0;
		char *s = NULL;
		bool end;

		if (p[i] == 0) {
			while (j < n && p[j] && printable(p[j]))
				j++;
			chars = j - i - 1;
			end = j == n && cut_ok;
			if ((end || (j < n && p[j] == 0)) && chars >= MIN_CARVED)
				s = latin1_to_utf8(p + i + 1, chars < WMI_MAX_STRING ? chars : WMI_MAX_STRING);
		} else if (p[i] == 1) {
			while (n - j >= 2 && (p[j] | p[j + 1]) && printable(load_le16(p + j)))
				j += 2;
			chars = (j - i - 1) / 2;
			end = n - j < 2 && cut_ok;
			if ((end || (n - j >= 2 && !(p[j] | p[j + 1]))) && chars >= MIN_CARVED)
				s = utf16le_to_utf8(p + i + 1, chars < WMI_MAX_STRING ? chars : WMI_MAX_STRING, NULL);
			if (s)
				j++;
		}
		if (!s) {
			i++;
			continue;
		}
		if (chars > WMI_MAX_STRING)
			*flags |= WMI_F_TRUNCATED;
		if (skip && !*saw_skip && strcasecmp(s, skip) == 0) {
			*saw_skip = true;
		} else if (out.len + strlen(s) + 1 <= WMI_MAX_STRING) {
			if (out.len)
				strbuf_addch(&out, '\n');
			strbuf_addstr(&out, s);
		} else {
			*flags |= WMI_F_TRUNCATED;
		}
		free(s);
		i = j + 1;
	}
	return strbuf_detach(&out, NULL);
}

/* "[\\host\ns:]Class.Key="value"[,...]", "Class="value"" or "Class=@":
 * class, namespace prefix (NULL if none) and the Name key (or the only,
 * unnamed key) unescaped (NULL if none). False if s is no object path. */
static bool parse_path(const char *s, char **cls, char **ns, char **name)
{
	const char *p, *colon, *stop;
	size_t n;

	*cls = *ns = *name = NULL;
	if (!s)
		return false;
	p = s;
	colon = strchr(s, ':');
	stop = strpbrk(s, "=\"");
	if (colon && (!stop || colon < stop)) {
		const char *q = s;

		if ((q[0] == '\\' || q[0] == '/') && (q[1] == '\\' || q[1] == '/')) {
			q += 2 + strcspn(q + 2, "\\/");
			if (q < colon)
				q++;
		}
		if (q < colon)
			*ns = xstrndup(q, (size_t)(colon - q));
		p = colon + 1;
	}
	n = strcspn(p, ".=");
	if (n == 0)
		goto bad;
	*cls = xstrndup(p, n);
	p += n;
	if (*p == '.')
		p++;
	else if (*p == '=' && p[1] == '@')
		return true; /* singleton */
	else if (*p == '=')
		p++;
	else
		return true; /* a class path */
	while (*p) {
		const char *k = NULL;
		size_t klen = 0, span = strcspn(p, "=,\""), vlen = 0;
		char *v;

		if (p[span] == '=') {
			k = p;
			klen = span;
			p += span + 1;
		}
		v = xmalloc(strlen(p) + 1);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				v[vlen++] = *p;
			}
			if (*p != '"') {
				free(v);
				goto bad;
			}
			p++;
		} else {
			while (*p && *p != ',')
				v[vlen++] = *p++;
		}
		v[vlen] = '\0';
		if (!*name && (!k || (klen == 4 && strncasecmp(k, "Name", 4) == 0)))
			*name = v;
		else
			free(v);
		if (*p != ',')
			break;
		p++;
	}
	return true;
bad:
	free(*cls);
	free(*ns);
	free(*name);
	*cls = *ns = *name = NULL;
	return false;
}

/* ---- output ---- */

static bool full(struct ctx *c, size_t n)
{
	if (n < WMI_MAX_OBJECTS)
		return false;
	c->out->overflow = true;
	return true;
}

static void *grow(void *arr, size_t n, size_t *cap, size_t elem)
{
	if (n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		arr = xrealloc(arr, *cap * elem);
	}
	return arr;
}

/* Hands vals over to a new object of class cls. */
static void emit(struct ctx *c, enum cls cls, char **vals, char *strings,
		 size_t off, unsigned flags)
{
	struct wmi_subscriptions *o = c->out;

	switch (cls) {
	case C_CMDLINE:
	case C_SCRIPT: {
		struct wmi_consumer *w;

		if (full(c, o->nconsumers))
			break;
		o->consumers = grow(o->consumers, o->nconsumers, &c->cons_cap, sizeof(*w));
		w = &o->consumers[o->nconsumers++];
		memset(w, 0, sizeof(*w));
		w->class_name = known[cls].name;
		w->name = vals[0];
		if (cls == C_CMDLINE) {
			w->kind = WMI_COMMAND_LINE;
			w->command_line_template = vals[1];
			w->executable_path = vals[2];
		} else {
			w->kind = WMI_ACTIVE_SCRIPT;
			w->scripting_engine = vals[1];
			w->script_text = vals[2];
			w->script_file_name = vals[3];
		}
		w->strings = strings;
		w->offset = off;
		w->flags = flags;
		memset(vals, 0, NEEDED * sizeof(*vals));
		return;
	}
	case C_FILTER: {
		struct wmi_filter *f;

		if (full(c, o->nfilters))
			break;
		o->filters = grow(o->filters, o->nfilters, &c->filt_cap, sizeof(*f));
		f = &o->filters[o->nfilters++];
		memset(f, 0, sizeof(*f));
		f->name = vals[0];
		f->query = vals[1];
		f->query_language = vals[2];
		f->event_namespace = vals[3];
		f->strings = strings;
		f->offset = off;
		f->flags = flags;
		memset(vals, 0, NEEDED * sizeof(*vals));
		return;
	}
	case C_BINDING: {
		struct wmi_binding *b;

		if (full(c, o->nbindings))
			break;
		o->bindings = grow(o->bindings, o->nbindings, &c->bind_cap, sizeof(*b));
		b = &o->bindings[o->nbindings++];
		memset(b, 0, sizeof(*b));
		b->consumer_ref = vals[0];
		b->filter_ref = vals[1];
		b->consumer = b->filter = WMI_NONE;
		b->offset = off;
		b->flags = flags;
		free(strings); /* the references say it all */
		memset(vals, 0, NEEDED * sizeof(*vals));
		return;
	}
	case NCLASSES:
		break;
	}
	free_vals(vals);
	free(strings);
}

/* The heap of an instance whose layout is unknown: it starts with the
 * class name (a Latin-1 CIM string) and the heap length before it says it
 * runs to the recorded end of the record. Returns its offset in r, or 0. */
static size_t find_heap(const uint8_t *r, size_t avail, size_t size, size_t from,
			const char *cls)
{
	uint8_t pat[64];
	size_t len = strlen(cls) + 2;

	if (len > sizeof(pat))
		return 0;
	pat[0] = 0;
	memcpy(pat + 1, cls, len - 2);
	pat[len - 1] = 0;
	while (from + 4 < avail) {
		const uint8_t *hit = memmem(r + from + 4, avail - from - 4, pat, len);
		size_t at;

		if (!hit)
			return 0;
		at = (size_t)(hit - r);
		if ((load_le32(r + at - 4) & HEAP_LEN_MASK) == size - at)
			return at;
		from = at - 3;
	}
	return 0;
}

/* No layout fits: keep the strings of the heap, guessing a filter's query
 * and a binding's references from their shape. */
static bool emit_carved(struct ctx *c, const struct inst *in, unsigned flags)
{
	const uint8_t *r = c->d + in->off;
	size_t at = find_heap(r, in->avail, in->size, in->hexlen + FILETIMES + BLOCK_HEAD,
			      known[in->cls].name);
	char *vals[NEEDED] = { NULL };
	char *strings, *line, *save = NULL, *copy;
	bool saw = false;

	if (!at)
		return false; /* no heap that starts with the class name: not an instance */
	strings = carve(r + at, in->avail - at, known[in->cls].name,
			(flags & WMI_F_PARTIAL) != 0, &flags, &saw);
	copy = xstrdup(strings);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cls, *ns, *name;

		if (in->cls == C_FILTER && !vals[1] && strncasecmp(line, "select ", 7) == 0)
			vals[1] = xstrdup(line);
		if (in->cls != C_BINDING || !parse_path(line, &cls, &ns, &name))
			continue;
		if (name && strcasecmp(cls, known[C_FILTER].name) == 0 && !vals[1])
			vals[1] = xstrdup(line);
		else if (name && strcasecmp(cls, known[C_FILTER].name) != 0 && !vals[0])
			vals[0] = xstrdup(line);
		free(cls);
		free(ns);
		free(name);
	}
	free(copy);
	if (in->cls == C_BINDING) {
		free(strings);
		strings = NULL;
		if (!vals[0] && !vals[1])
			return false;
	}
	emit(c, in->cls, vals, strings, in->off, flags | WMI_F_NO_LAYOUT);
	return true;
}

static bool kind_full(const struct ctx *c, enum cls cls)
{
	const struct wmi_subscriptions *o = c->out;
	size_t n = cls == C_FILTER ? o->nfilters : cls == C_BINDING ? o->nbindings : o->nconsumers;

	return n >= WMI_MAX_OBJECTS;
}

/* Reads one instance record; true if it gave an object. */
static bool read_instance(struct ctx *c, const struct inst *in)
{
	const uint8_t *r = c->d + in->off;
	bool partial = in->flags & WMI_F_PARTIAL;
	struct layout builtin, *cands = c->layouts[in->cls];
	size_t ncands = c->nlayouts[in->cls];
	unsigned flags = in->flags, fl, keep_fl = 0;
	char *vals[NEEDED] = { NULL }, *keep[NEEDED] = { NULL };
	bool have_keep = false;

	if (c->work > c->budget || kind_full(c, in->cls)) {
		c->out->overflow = true;
		return false;
	}
	if (ncands == 0) {
		builtin_layout(in->cls, &builtin);
		cands = &builtin;
		ncands = 1;
		flags |= WMI_F_BUILTIN_LAYOUT;
	}
	for (size_t i = 0; i < ncands; i++) {
		struct view v;
		bool keys = true;

		fl = 0;
		if (fit(r, in->avail, in->size, in->hexlen, &cands[i], in->cls, partial, &v) != 0 ||
		    read_props(&v, &cands[i], in->cls, partial, vals, &fl, &c->work) != 0) {
			free_vals(vals);
			continue;
		}
		for (unsigned k = 0; k < known[in->cls].nkeys; k++)
			keys = keys && vals[k];
		if (keys || !have_keep) {
			free_vals(keep);
			memcpy(keep, vals, sizeof(keep));
			memset(vals, 0, sizeof(vals));
			keep_fl = fl;
			have_keep = true;
		} else {
			free_vals(vals);
		}
		if (keys)
			break;
	}
	if (have_keep) {
		if (in->hexlen == 2 * 32)
			c->out->md5 = true;
		emit(c, in->cls, keep, NULL, in->off, flags | keep_fl);
		return true;
	}
	if (in->flags & WMI_F_UNTABLED)
		return false; /* carving needs a layout: anything else is noise */
	return emit_carved(c, in, flags & ~WMI_F_BUILTIN_LAYOUT);
}

/* ---- passes ---- */

/* Records of every page with a valid table: class definitions, reference
 * records and instances of the four classes. */
static void collect(struct ctx *c)
{
	struct desc desc[MAX_DESC];

	for (size_t pg = 0; pg < c->npages; pg++) {
		long n;

		if (c->state[pg] != PS_TABLE)
			continue;
		n = page_table(c, pg, desc);
		for (long i = 0; i < n; i++) {
			size_t off = pg * PAGE + desc[i].off, avail;
			unsigned flags, hexlen;
			const uint8_t *r = c->d + off;
			struct layout l;
			enum cls cls;
			int ic;

			avail = record_extent(c, pg, desc[i].off, desc[i].size, &flags);
			c->covered[pg] = (uint16_t)(desc[i].off + (avail < PAGE - desc[i].off ?
								  avail : PAGE - desc[i].off) - 1);
			ic = instance_class(c, r, avail, &hexlen);
			if (ic >= 0) {
				add_inst(c, off, avail, desc[i].size, hexlen, (enum cls)ic, flags);
				continue;
			}
			if (flags & WMI_F_PARTIAL)
				continue;
			if (parse_cd(r, avail, &cls, &l))
				add_layout(c, cls, &l);
			else
				parse_ref(c, r, avail);
		}
	}
}

/* An instance of one of the four classes outside every table, at file
 * offset at: read if its class-name hash starts there. Returns the bytes
 * it takes when it gave an object, else 0. */
static size_t carve_at(struct ctx *c, size_t at)
{
	const uint8_t *p = c->d + at;
	unsigned hexlen, flags = WMI_F_UNTABLED;
	size_t o, size;
	struct inst in;
	int ic = instance_class(c, p, c->size - at, &hexlen);

	if (ic < 0 || c->size - at < hexlen + FILETIMES + 4)
		return 0;
	o = at + hexlen + FILETIMES;
	if (load_le32(c->d + o) > c->size - o)
		return 0;
	size = hexlen + FILETIMES + load_le32(c->d + o);
	if (at / PAGE != (at + size - 1) / PAGE)
		flags |= WMI_F_SPANS_PAGES;
	in = (struct inst){ at, size, size, hexlen, (enum cls)ic, flags };
	return read_instance(c, &in) ? size : 0;
}

/* Instances outside every table (deleted objects in free pages or slack,
 * pages whose table is damaged), found by their class-name hash: every
 * byte no table covers is looked at once. */
static void carve_untabled(struct ctx *c)
{
	bool first[256] = { false };

	for (int i = 0; i < NCLASSES; i++) {
		first[(uint8_t)known[i].sha256[0]] = true;
		first[(uint8_t)known[i].md5[0]] = true;
	}
	for (size_t pg = 0; pg < c->npages; pg++) {
		size_t base = pg * PAGE, end = base + page_len(c, pg), at;

		if (c->state[pg] == PS_CONT)
			continue;
		at = base + (c->state[pg] == PS_TABLE ? (size_t)c->covered[pg] + 1 : 0);
		for (; at < end && c->size - at >= 4; at++) {
			const uint8_t *p = c->d + at;

			if (p[1] == 0 && p[3] == 0 && first[p[0]]) {
				size_t used = carve_at(c, at);

				if (used)
					at += used - 1; /* nothing is read twice */
			}
		}
	}
}

static void consumer_free(struct wmi_consumer *w)
{
	free(w->name);
	free(w->ns);
	free(w->command_line_template);
	free(w->executable_path);
	free(w->scripting_engine);
	free(w->script_text);
	free(w->script_file_name);
	free(w->strings);
	free(w->bindings);
}

static void filter_free(struct wmi_filter *f)
{
	free(f->name);
	free(f->query);
	free(f->query_language);
	free(f->event_namespace);
	free(f->ns);
	free(f->strings);
}

static void binding_free(struct wmi_binding *b)
{
	free(b->consumer_ref);
	free(b->filter_ref);
	free(b->consumer_class);
	free(b->consumer_name);
	free(b->filter_name);
	free(b->ns);
}

/* Digests fields into dg[kept]; true when an earlier object had the same. */
static bool seen_before(char (*dg)[SHA256_HEX_LEN + 1], size_t kept, const char *const *fields, size_t n)
{
	digest(fields, n, false, dg[kept]);
	for (size_t j = 0; j < kept; j++)
		if (strcmp(dg[j], dg[kept]) == 0)
			return true;
	return false;
}

/* Drops later identical copies (stale pages hold many). */
static void dedupe(struct ctx *c)
{
	struct wmi_subscriptions *o = c->out;
	size_t n = o->nconsumers > o->nfilters ? o->nconsumers : o->nfilters;
	char (*dg)[SHA256_HEX_LEN + 1];
	size_t kept;

	if (o->nbindings > n)
		n = o->nbindings;
	if (!n)
		return;
	dg = xcalloc(n, sizeof(*dg));

	kept = 0;
	for (size_t i = 0; i < o->nconsumers; i++) {
		struct wmi_consumer *w = &o->consumers[i];
		const char *f[] = { w->class_name, w->name, w->command_line_template,
				    w->executable_path, w->scripting_engine, w->script_text,
				    w->script_file_name, w->strings };

		if (seen_before(dg, kept, f, sizeof(f) / sizeof(f[0])))
			consumer_free(w);
		else
			o->consumers[kept++] = *w;
	}
	o->nconsumers = kept;

	kept = 0;
	for (size_t i = 0; i < o->nfilters; i++) {
		struct wmi_filter *f = &o->filters[i];
		const char *k[] = { f->name, f->query, f->query_language, f->event_namespace, f->strings };

		if (seen_before(dg, kept, k, sizeof(k) / sizeof(k[0])))
			filter_free(f);
		else
			o->filters[kept++] = *f;
	}
	o->nfilters = kept;

	kept = 0;
	for (size_t i = 0; i < o->nbindings; i++) {
		struct wmi_binding *b = &o->bindings[i];
		const char *k[] = { b->consumer_ref, b->filter_ref };

		if (seen_before(dg, kept, k, 2))
			binding_free(b);
		else
			o->bindings[kept++] = *b;
	}
	o->nbindings = kept;
	free(dg);
}

static bool ns_compatible(const char *a, const char *b)
{
	return !a || !b || strcasecmp(a, b) == 0;
}

/* Parses each binding's references, finds its namespace, its consumer and
 * its filter, and flags Windows' own binding. */
static void link_bindings(struct ctx *c)
{
	struct wmi_subscriptions *o = c->out;
	char (*cdg)[SHA256_HEX_LEN + 1] = NULL, (*fdg)[SHA256_HEX_LEN + 1] = NULL;

	if (!o->nbindings)
		return;
	if (o->nconsumers)
		cdg = xcalloc(o->nconsumers, sizeof(*cdg));
	if (o->nfilters)
		fdg = xcalloc(o->nfilters, sizeof(*fdg));
	for (size_t i = 0; i < o->nconsumers; i++) {
		const char *s[] = { o->consumers[i].class_name, o->consumers[i].name };

		digest(s, 2, true, cdg[i]);
	}
	for (size_t i = 0; i < o->nfilters; i++) {
		const char *s[] = { known[C_FILTER].name, o->filters[i].name };

		digest(s, 2, true, fdg[i]);
	}
	for (size_t i = 0; i < o->nbindings; i++) {
		struct wmi_binding *b = &o->bindings[i];
		char *cns = NULL, *fcls = NULL, *fns = NULL, hex[SHA256_HEX_LEN + 1];

		parse_path(b->consumer_ref, &b->consumer_class, &cns, &b->consumer_name);
		parse_path(b->filter_ref, &fcls, &fns, &b->filter_name);
		if (b->consumer_class)
			b->other_class = strcasecmp(b->consumer_class, known[C_CMDLINE].name) != 0 &&
					 strcasecmp(b->consumer_class, known[C_SCRIPT].name) != 0;
		b->is_default = b->consumer_class && b->consumer_name && b->filter_name &&
				strcasecmp(b->consumer_class, "NTEventLogEventConsumer") == 0 &&
				strcmp(b->consumer_name, "SCM Event Log Consumer") == 0 &&
				strcmp(b->filter_name, "SCM Event Log Filter") == 0;
		if (c->nrefs && b->consumer_ref && b->filter_ref) {
			const char *parts[] = { b->consumer_ref, b->filter_ref };

			if (upper_hash(parts, 2, hex)) {
				for (size_t r = 0; r < c->nrefs; r++) {
					if (strcasecmp(c->refs[r].key, hex) == 0) {
						b->ns = xstrdup(c->refs[r].ns);
						break;
					}
				}
			}
		}
		if (!cns && b->ns)
			cns = xstrdup(b->ns);
		if (!fns && b->ns)
			fns = xstrdup(b->ns);

		if (b->consumer_class && b->consumer_name && !b->other_class) {
			const char *s[] = { b->consumer_class, b->consumer_name };

			digest(s, 2, true, hex);
			for (size_t k = 0; k < o->nconsumers; k++) {
				struct wmi_consumer *w = &o->consumers[k];

				if (strcmp(cdg[k], hex) != 0 || !ns_compatible(w->ns, cns))
					continue;
				if (b->consumer == WMI_NONE)
					b->consumer = k;
				w->bindings = xrealloc(w->bindings, (w->nbindings + 1) * sizeof(size_t));
				w->bindings[w->nbindings++] = i;
				if (!w->ns && cns)
					w->ns = xstrdup(cns);
			}
		}
		if (fcls && b->filter_name && strcasecmp(fcls, known[C_FILTER].name) == 0) {
			const char *s[] = { known[C_FILTER].name, b->filter_name };

			digest(s, 2, true, hex);
			for (size_t k = 0; k < o->nfilters; k++) {
				struct wmi_filter *f = &o->filters[k];

				if (strcmp(fdg[k], hex) != 0 || !ns_compatible(f->ns, fns))
					continue;
				if (b->filter == WMI_NONE)
					b->filter = k;
				if (!f->ns && fns)
					f->ns = xstrdup(fns);
			}
		}
		free(cns);
		free(fcls);
		free(fns);
	}
	free(cdg);
	free(fdg);
}

static void ctx_release(struct ctx *c)
{
	for (int i = 0; i < NCLASSES; i++)
		for (size_t j = 0; j < c->nlayouts[i]; j++)
			layout_release(&c->layouts[i][j]);
	for (size_t i = 0; i < c->nrefs; i++)
		free(c->refs[i].ns);
	free(c->refs);
	free(c->insts);
	free(c->state);
	free(c->covered);
}

int wmi_scan_objects(const void *data, size_t size, struct wmi_subscriptions *out,
		     struct ks_err *err)
{
	struct ctx *c;

	memset(out, 0, sizeof(*out));
	ks_err_clear(err);
	if (!data || size == 0)
		return ks_fail(err, KS_EINPUT, "empty file");

	c = xcalloc(1, sizeof(*c));
	c->d = data;
	c->size = size;
	c->out = out;
	c->npages = size / PAGE + (size % PAGE != 0);
	c->budget = size > (SIZE_MAX - WORK_FLOOR) / WORK_PER_BYTE ? SIZE_MAX :
		    WORK_PER_BYTE * size + WORK_FLOOR;
	c->state = xcalloc(c->npages, 1);
	c->covered = xcalloc(c->npages, sizeof(*c->covered));
	for (int i = 0; i < NCLASSES; i++) {
		for (size_t j = 0; j < SHA256_HEX_LEN; j++) {
			c->pat[i][0][2 * j] = (uint8_t)known[i].sha256[j];
			if (j < 32)
				c->pat[i][1][2 * j] = (uint8_t)known[i].md5[j];
		}
	}
	out->pages = c->npages;
	for (size_t pg = 0; pg < c->npages; pg++) {
		long n = page_table(c, pg, NULL);

		c->state[pg] = n < 0 ? PS_NONE : n == 0 ? PS_EMPTY : PS_TABLE;
		if (n > 0) {
			out->table_pages++;
			out->records += (size_t)n;
		}
	}
	if (!out->table_pages) {
		ctx_release(c);
		free(c);
		memset(out, 0, sizeof(*out));
		return ks_fail(err, KS_EINPUT, "no page holds a record table: not a WMI repository objects file");
	}
	collect(c);
	for (size_t i = 0; i < c->ninsts; i++)
		read_instance(c, &c->insts[i]);
	carve_untabled(c);
	dedupe(c);
	link_bindings(c);
	ctx_release(c);
	free(c);
	return 0;
}

void wmi_subscriptions_release(struct wmi_subscriptions *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nconsumers; i++)
		consumer_free(&s->consumers[i]);
	for (size_t i = 0; i < s->nfilters; i++)
		filter_free(&s->filters[i]);
	for (size_t i = 0; i < s->nbindings; i++)
		binding_free(&s->bindings[i]);
	free(s->consumers);
	free(s->filters);
	free(s->bindings);
	memset(s, 0, sizeof(*s));
}
