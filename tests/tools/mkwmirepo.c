/*
 * mkwmirepo - write a small WMI repository objects file (OBJECTS.DATA)
 * holding permanent event subscriptions, from a text recipe.
 *
 *	mkwmirepo OUT [RECIPE]		(RECIPE "-" or absent: stdin)
 *
 * The file has the layout of a real Windows 10 repository: 8 KiB pages,
 * each starting with a table of record descriptors {id, offset, size,
 * checksum 0} ended by a zero entry, records packed after it; a record too
 * big for a page is alone in a page and runs on into the next ones. Records
 * are class definitions, instances (class-name hash, two FILETIMEs, the
 * instance block) and the reference records Windows keeps for a binding's
 * Consumer and Filter (namespace, class, property, key path). Only
 * OBJECTS.DATA is written: no INDEX.BTR and no MAPPING*.MAP, so Windows
 * itself would not open it; kenshu reads OBJECTS.DATA alone.
 *
 * Recipe: one statement a line, '#' starts a comment. Fields are separated
 * by blanks; "..." quotes a field (escapes \" \\ \n \r \t), a bare field is
 * taken literally (C:\Windows needs no escaping); a bare - is a
 * property that is not set (a quoted "" is set to the empty string).
 *
 *   md5                     name instances by MD5, as XP/2003 (default SHA-256)
 *   classdefs on|off        class definitions of the subscription classes,
 *                           written first (default on)
 *   layout builtin|other    property layout: Windows 10's, or another
 *                           version's (own properties in reverse order and
 *                           one more), in class definitions and instances
 *   refs on|off             reference records for bindings (default on)
 *   namespace NS            namespace of what follows (default ROOT\subscription);
 *                           only bindings' reference records hold it
 *   filter NAME QUERY [EVENTNAMESPACE]
 *   cmdline NAME TEMPLATE [EXECUTABLEPATH]
 *   script NAME ENGINE TEXT [SCRIPTFILENAME]
 *   bigscript NAME ENGINE BYTES   ScriptText of BYTES bytes of VBScript comments
 *   binding CONSUMERCLASS CONSUMERNAME FILTERNAME
 *   padding N               N unrelated records (instances, class definitions
 *                           and references of other classes, some naming the
 *                           subscription classes)
 *   pagebreak               the next record starts a page
 *   freepage                an all-zero page
 *   scatter                 the pages a later big record runs on into are put
 *                           at the end of the file, not after its first page
 *                           (as the mapping file may have it)
 *   untabled                the next object is left in a page whose table is
 *                           zeroed (a deleted object in a free page)
 *
 * Instances are written as Windows writes them: values in the heap in
 * property name order, strings not set and numbers left to their default,
 * a creator SID, fixed FILETIMEs. Settings (md5, classdefs, layout, refs)
 * hold for the whole file wherever they are written. Errors: `mkwmirepo:
 * LINE: message`, exit status 1, OUT not created. Same recipe, same bytes.
 *
 * Example:
 *   filter ProcessStartTrigger "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'procexp64.exe'"
 *   script KillProcess VBScript "Set o = GetObject(\"winmgmts:\")\r\n"
 *   binding ActiveScriptEventConsumer KillProcess ProcessStartTrigger
 *   cmdline Updater "cmd.exe /c C:\\ProgramData\\u.exe" C:\Windows\System32\cmd.exe
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PROG		"mkwmirepo"
#define PAGE		8192u
#define DESC		16u
#define MAXTOK		8
#define FILETIME_A	0x01D8349CD486EEDDull	/* 2022-03-10, as in the sample */
#define FILETIME_B	0x01D5ACDF25985A8Full
#define MAX_PROPS	64

static const char *tmp_path;
static unsigned long lineno;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	if (lineno)
		fprintf(stderr, "%lu: ", lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (tmp_path)
		unlink(tmp_path);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die("out of memory");
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n), s, n);
}

/* ---- byte buffers ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (n > SIZE_MAX / 4 - b->len)
		die("out of memory");
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	put(b, &x, 1);
}

static void put16(struct buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, x, 2);
}

static void put32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	put(b, x, 4);
}

static void put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void set32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- UTF-8 to UTF-16 ---- */

struct u16 {
	uint16_t *u;
	size_t n;
};

static struct u16 utf16(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct u16 r = { xrealloc(NULL, (strlen(s) + 1) * 2 * sizeof(uint16_t)), 0 };

	while (*p) {
		uint32_t v;
		int extra;

		if (p[0] < 0x80) {
			v = p[0];
			extra = 0;
		} else if ((p[0] & 0xE0) == 0xC0) {
			v = p[0] & 0x1F;
			extra = 1;
		} else if ((p[0] & 0xF0) == 0xE0) {
			v = p[0] & 0x0F;
			extra = 2;
		} else if ((p[0] & 0xF8) == 0xF0) {
			v = p[0] & 0x07;
			extra = 3;
		} else {
			die("invalid UTF-8");
		}
		for (int k = 1; k <= extra; k++) {
			if ((p[k] & 0xC0) != 0x80)
				die("invalid UTF-8");
			v = v << 6 | (p[k] & 0x3F);
		}
		if ((extra == 1 && v < 0x80) || (extra == 2 && v < 0x800) ||
		    (extra == 3 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			die("invalid UTF-8");
		p += 1 + extra;
		if (v >= 0x10000) {
			v -= 0x10000;
			r.u[r.n++] = (uint16_t)(0xD800 | v >> 10);
			r.u[r.n++] = (uint16_t)(0xDC00 | (v & 0x3FF));
		} else {
			r.u[r.n++] = (uint16_t)v;
		}
	}
	return r;
}

static void put_utf16(struct buf *b, const struct u16 *u)
{
	for (size_t i = 0; i < u->n; i++)
		put16(b, u->u[i]);
}

/* ---- SHA-256 and MD5 (the repository names things by them) ---- */

static uint32_t ror(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

static void sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
	static const uint32_t k[64] = {
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
		0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
		0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
		0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
		0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
		0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
		0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
		0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
	};
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	size_t total = (len + 9 + 63) / 64 * 64;
	uint8_t *m = calloc(total, 1);

	if (!m)
		die("out of memory");
	memcpy(m, msg, len);
	m[len] = 0x80;
	for (int i = 0; i < 8; i++)
		m[total - 1 - i] = (uint8_t)((uint64_t)len * 8 >> (8 * i));
	for (size_t blk = 0; blk < total; blk += 64) {
		uint32_t w[64], a[8];

		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)m[blk + 4 * i] << 24 | (uint32_t)m[blk + 4 * i + 1] << 16 |
			       (uint32_t)m[blk + 4 * i + 2] << 8 | m[blk + 4 * i + 3];
		for (int i = 16; i < 64; i++) {
			uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3;
			uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10;

			w[i] = w[i - 16] + s0 + w[i - 7] + s1;
		}
		memcpy(a, h, sizeof(a));
		for (int i = 0; i < 64; i++) {
			uint32_t s1 = ror(a[4], 6) ^ ror(a[4], 11) ^ ror(a[4], 25);
			uint32_t ch = (a[4] & a[5]) ^ (~a[4] & a[6]);
			uint32_t t1 = a[7] + s1 + ch + k[i] + w[i];
			uint32_t s0 = ror(a[0], 2) ^ ror(a[0], 13) ^ ror(a[0], 22);
			uint32_t mj = (a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]);

			memmove(a + 1, a, 7 * sizeof(uint32_t));
			a[4] += t1;
			a[0] = t1 + s0 + mj;
		}
		for (int i = 0; i < 8; i++)
			h[i] += a[i];
	}
	free(m);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

static void md5(const uint8_t *msg, size_t len, uint8_t out[16])
{
	static const uint32_t k[64] = {
		0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
		0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
		0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
		0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
		0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
		0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
		0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
		0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
	};
	static const unsigned r[16] = { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21 };
	uint32_t h[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	size_t total = (len + 9 + 63) / 64 * 64;
	uint8_t *m = calloc(total, 1);

	if (!m)
		die("out of memory");
	memcpy(m, msg, len);
	m[len] = 0x80;
	for (int i = 0; i < 8; i++)
		m[total - 8 + i] = (uint8_t)((uint64_t)len * 8 >> (8 * i));
	for (size_t blk = 0; blk < total; blk += 64) {
		uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];

		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)m[blk + 4 * i] | (uint32_t)m[blk + 4 * i + 1] << 8 |
			       (uint32_t)m[blk + 4 * i + 2] << 16 | (uint32_t)m[blk + 4 * i + 3] << 24;
		for (unsigned i = 0; i < 64; i++) {
			uint32_t f, t;
			unsigned g;

			if (i < 16) {
				f = (b & c) | (~b & d);
				g = i;
			} else if (i < 32) {
				f = (d & b) | (~d & c);
				g = (5 * i + 1) % 16;
			} else if (i < 48) {
				f = b ^ c ^ d;
				g = (3 * i + 5) % 16;
			} else {
				f = c ^ (b | ~d);
				g = (7 * i) % 16;
			}
			t = d;
			d = c;
			c = b;
			f = a + f + k[i] + w[g];
			b = b + (f << r[(i / 16) * 4 + i % 4] | f >> (32 - r[(i / 16) * 4 + i % 4]));
			a = t;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
	}
	free(m);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(h[i] >> (8 * j));
}

static bool use_md5;

/* Hex (upper case) of the repository hash of parts in upper-case UTF-16LE
 * joined by U+FFFF. */
static void name_hash(const char *const *parts, size_t nparts, char *hex)
{
	struct buf b = { 0 };
	uint8_t d[32];
	size_t dl = use_md5 ? 16 : 32;

	for (size_t i = 0; i < nparts; i++) {
		struct u16 u = utf16(parts[i]);

		if (i)
			put16(&b, 0xFFFF);
		for (size_t j = 0; j < u.n; j++) {
			uint16_t c = u.u[j];

			if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))
				c = (uint16_t)(c - 0x20);
			put16(&b, c);
		}
		free(u.u);
	}
	if (use_md5)
		md5(b.p ? b.p : (const uint8_t *)"", b.len, d);
	else
		sha256(b.p ? b.p : (const uint8_t *)"", b.len, d);
	free(b.p);
	for (size_t i = 0; i < dl; i++)
		snprintf(hex + 2 * i, 3, "%02X", d[i]);
}

/* ---- classes ---- */

#define T_SINT32	0x03u
#define T_STRING	0x08u
#define T_BOOLEAN	0x0Bu
#define T_UINT16	0x12u
#define T_UINT32	0x13u
#define T_REFERENCE	0x66u
#define T_UINT8_ARRAY	0x2011u

struct prop {
	const char *name;
	uint32_t type;
};

struct cspec {
	const char *name;
	const struct cspec *parent;
	const struct prop *own;
	size_t nown;
	bool leaf;		/* "layout other" changes it */
};

static const struct prop event_consumer_props[] = {
	{ "MachineName", T_STRING }, { "MaximumQueueSize", T_UINT32 },
	{ "CreatorSID", T_UINT8_ARRAY },
};
static const struct prop filter_props[] = {
	{ "Name", T_STRING }, { "CreatorSID", T_UINT8_ARRAY }, { "QueryLanguage", T_STRING },
	{ "Query", T_STRING }, { "EventNamespace", T_STRING }, { "EventAccess", T_STRING },
};
static const struct prop binding_props[] = {
	{ "Filter", T_REFERENCE }, { "Consumer", T_REFERENCE }, { "DeliveryQoS", T_UINT32 },
	{ "DeliverSynchronously", T_BOOLEAN }, { "MaintainSecurityContext", T_BOOLEAN },
	{ "SlowDownProviders", T_BOOLEAN }, { "CreatorSID", T_UINT8_ARRAY },
};
static const struct prop cmdline_props[] = {
	{ "Name", T_STRING }, { "ExecutablePath", T_STRING }, { "CommandLineTemplate", T_STRING },
	{ "UseDefaultErrorMode", T_BOOLEAN }, { "CreateNewConsole", T_BOOLEAN },
	{ "CreateNewProcessGroup", T_BOOLEAN }, { "CreateSeparateWowVdm", T_BOOLEAN },
	{ "CreateSharedWowVdm", T_BOOLEAN }, { "Priority", T_SINT32 },
	{ "WorkingDirectory", T_STRING }, { "DesktopName", T_STRING }, { "WindowTitle", T_STRING },
	{ "XCoordinate", T_UINT32 }, { "YCoordinate", T_UINT32 }, { "XSize", T_UINT32 },
	{ "YSize", T_UINT32 }, { "XNumCharacters", T_UINT32 }, { "YNumCharacters", T_UINT32 },
	{ "FillAttribute", T_UINT32 }, { "ShowWindowCommand", T_UINT32 },
	{ "ForceOnFeedback", T_BOOLEAN }, { "ForceOffFeedback", T_BOOLEAN },
	{ "RunInteractively", T_BOOLEAN }, { "KillTimeout", T_UINT32 },
};
static const struct prop script_props[] = {
	{ "Name", T_STRING }, { "ScriptingEngine", T_STRING }, { "ScriptText", T_STRING },
	{ "ScriptFilename", T_STRING }, { "KillTimeout", T_UINT32 },
};

static const struct cspec system_class = { "__SystemClass", NULL, NULL, 0, false };
static const struct cspec indication_related = { "__IndicationRelated", &system_class, NULL, 0, false };
static const struct cspec event_consumer = { "__EventConsumer", &indication_related,
	event_consumer_props, 3, false };
static const struct cspec event_filter = { "__EventFilter", &indication_related,
	filter_props, 6, true };
static const struct cspec binding_class = { "__FilterToConsumerBinding", &indication_related,
	binding_props, 7, true };
static const struct cspec cmdline_class = { "CommandLineEventConsumer", &event_consumer,
	cmdline_props, 24, true };
static const struct cspec script_class = { "ActiveScriptEventConsumer", &event_consumer,
	script_props, 5, true };

static bool layout_other;

struct lprop {
	const char *name;
	uint32_t type;
	unsigned index, offset, level;
	bool own;
};

struct layout {
	const struct cspec *cls;
	struct lprop p[MAX_PROPS];
	size_t n, vt_len, nd_len;
	const char *deriv[1];	/* the parent: all a stored definition names */
	size_t nderiv;
	unsigned level;
};

static unsigned type_size(uint32_t t)
{
	if (t & 0x2000)
		return 4;
	switch (t) {
	case T_BOOLEAN:
	case T_UINT16:
		return 2;
	default:
		return 4;
	}
}

static const struct prop extra_prop = { "KenshuReserved", T_UINT32 };

/* Properties of cls with the inherited ones first, declared in order. */
static void build_layout(const struct cspec *cls, struct layout *l)
{
	const struct cspec *chain[5];
	size_t nchain = 0;

	memset(l, 0, sizeof(*l));
	l->cls = cls;
	for (const struct cspec *c = cls; c; c = c->parent)
		chain[nchain++] = c;
	if (nchain > 1)
		l->deriv[l->nderiv++] = chain[1]->name;
	l->level = (unsigned)nchain - 1;
	for (size_t i = nchain; i-- > 0;) {
		const struct cspec *c = chain[i];
		bool other = layout_other && c->leaf;
		size_t n = c->nown + (other ? 1 : 0);

		for (size_t j = 0; j < n; j++) {
			const struct prop *p = !other ? &c->own[j] :
					       j < c->nown ? &c->own[c->nown - 1 - j] : &extra_prop;
			struct lprop *lp = &l->p[l->n];

			lp->name = p->name;
			lp->type = p->type;
			lp->index = (unsigned)l->n;
			lp->offset = (unsigned)l->vt_len;
			lp->level = (unsigned)(nchain - 1 - i);
			lp->own = i == 0;
			l->vt_len += type_size(p->type);
			l->n++;
		}
	}
	l->nd_len = (2 * l->n + 7) / 8;
}

/* A CIM string: flag 0 and Latin-1 when every unit fits, else flag 1 and
 * UTF-16LE; NUL-terminated. */
static void put_cim_string(struct buf *b, const char *s)
{
	struct u16 u = utf16(s);
	bool wide = false;

	for (size_t i = 0; i < u.n; i++)
		wide = wide || u.u[i] > 0xFF;
	put8(b, wide);
	for (size_t i = 0; i < u.n; i++) {
		if (wide)
			put16(b, u.u[i]);
		else
			put8(b, u.u[i]);
	}
	if (wide)
		put16(b, 0);
	else
		put8(b, 0);
	free(u.u);
}

static const char *cimtype_name(uint32_t t)
{
	switch (t) {
	case T_SINT32: return "sint32";
	case T_STRING: return "string";
	case T_BOOLEAN: return "boolean";
	case T_UINT16: return "uint16";
	case T_UINT32: return "uint32";
	case T_REFERENCE: return "ref";
	case T_UINT8_ARRAY: return "uint8";
	}
	return "object";
}

static int cmp_lprop(const void *a, const void *b)
{
	return strcasecmp((*(const struct lprop *const *)a)->name,
			  (*(const struct lprop *const *)b)->name);
}

/* A class definition record as Windows writes one. */
static void class_def(const struct layout *l, struct buf *rec)
{
	struct buf cp = { 0 }, heap = { 0 };
	const struct lprop *own[MAX_PROPS];
	uint32_t name_ref[MAX_PROPS], info_ref[MAX_PROPS];
	size_t nown = 0, deriv_len = 4;
	struct u16 super = utf16(l->nderiv ? l->deriv[0] : "");

	/* heap: class name, then each own property's name, info, CIMTYPE */
	put_cim_string(&heap, l->cls->name);
	for (size_t i = 0; i < l->n; i++) {
		const struct lprop *p = &l->p[i];
		size_t qual_at;

		if (!p->own)
			continue;
		name_ref[nown] = (uint32_t)heap.len;
		put_cim_string(&heap, p->name);
		info_ref[nown] = (uint32_t)heap.len;
		own[nown++] = p;
		put32(&heap, p->type);
		put16(&heap, p->index);
		put32(&heap, p->offset);
		put32(&heap, p->level);
		put32(&heap, 4 + 13);		/* qualifier set: CIMTYPE */
		put32(&heap, 0x8000000Au);
		put8(&heap, 0x03);
		put32(&heap, T_STRING);
		qual_at = heap.len;
		put32(&heap, 0);
		set32(heap.p + qual_at, (uint32_t)heap.len);
		put_cim_string(&heap, cimtype_name(p->type));
	}

	put32(&cp, 0);				/* length, set below */
	put8(&cp, 0);
	put32(&cp, 0);				/* class name ref */
	put32(&cp, (uint32_t)(l->nd_len + l->vt_len));
	for (size_t i = 0; i < l->nderiv; i++)
		deriv_len += strlen(l->deriv[i]) + 2 + 4;
	put32(&cp, (uint32_t)deriv_len);
	for (size_t i = 0; i < l->nderiv; i++) {
		put_cim_string(&cp, l->deriv[i]);
		put32(&cp, (uint32_t)strlen(l->deriv[i]) + 2);
	}
	put32(&cp, 4);				/* class qualifier set: none */
	put32(&cp, (uint32_t)nown);
	{
		const struct lprop *sorted[MAX_PROPS];
		size_t at[MAX_PROPS];

		memcpy(sorted, own, nown * sizeof(own[0]));
		qsort(sorted, nown, sizeof(sorted[0]), cmp_lprop);
		for (size_t i = 0; i < nown; i++) {
			for (size_t j = 0; j < nown; j++)
				if (own[j] == sorted[i])
					at[i] = j;
			put32(&cp, name_ref[at[i]]);
			put32(&cp, info_ref[at[i]]);
		}
	}
	/* defaults: none; inherited properties marked so */
	for (size_t i = 0; i < l->nd_len; i++) {
		unsigned byte = 0;

		for (size_t j = 0; j < 4; j++) {
			size_t idx = 4 * i + j;
			unsigned st = idx >= l->n ? 3 : l->p[idx].own ? 1 : 3;

			byte |= st << (2 * j);
		}
		put8(&cp, byte);
	}
	for (size_t i = 0; i < l->vt_len; i++)
		put8(&cp, 0xFF);
	put32(&cp, (uint32_t)heap.len | 0x80000000u);
	put(&cp, heap.p, heap.len);
	set32(cp.p, (uint32_t)cp.len);

	put32(rec, (uint32_t)super.n);
	put_utf16(rec, &super);
	put64(rec, FILETIME_B);
	put(rec, cp.p, cp.len);
	put32(rec, 12);				/* methods part: none */
	put16(rec, 0);
	put16(rec, 0);
	put32(rec, 0x80000000u);
	free(cp.p);
	free(heap.p);
	free(super.u);
}

/* ---- instances ---- */

enum vstate { V_SET = 0, V_DEFAULT = 2, V_UNSET = 3 };

struct value {
	enum vstate st;
	const char *s;		/* strings and references */
	uint32_t n;		/* numbers */
};

static const uint8_t creator_sid[28] = {	/* S-1-5-21-...-1001 */
	0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x15, 0x00, 0x00, 0x00,
	0x31, 0xA1, 0xE6, 0x83, 0xA5, 0xB3, 0xC7, 0xA2, 0x58, 0x85, 0xE7, 0x9D,
	0xE9, 0x03, 0x00, 0x00,
};

static void put_hash_utf16(struct buf *b, const char *hex)
{
	for (const char *p = hex; *p; p++)
		put16(b, (unsigned char)*p);
}

/* An instance record: hash, FILETIMEs, block (nd table, value table,
 * qualifier set, heap with the values in property name order). */
static void instance(const struct layout *l, const struct value *v, struct buf *rec)
{
	struct buf blk = { 0 }, heap = { 0 };
	const struct lprop *order[MAX_PROPS];
	uint32_t ref[MAX_PROPS] = { 0 };
	char hex[65];
	const char *cname = l->cls->name;

	name_hash(&cname, 1, hex);
	put_cim_string(&heap, cname);
	for (size_t i = 0; i < l->n; i++)
		order[i] = &l->p[i];
	qsort(order, l->n, sizeof(order[0]), cmp_lprop);
	for (size_t i = 0; i < l->n; i++) {
		const struct lprop *p = order[i];

		if (v[p->index].st != V_SET)
			continue;
		if (p->type == T_STRING || p->type == T_REFERENCE) {
			ref[p->index] = (uint32_t)heap.len;
			put_cim_string(&heap, v[p->index].s);
		} else if (p->type == T_UINT8_ARRAY) {
			ref[p->index] = (uint32_t)heap.len;
			put32(&heap, sizeof(creator_sid));
			put(&heap, creator_sid, sizeof(creator_sid));
		}
	}

	put32(&blk, 0);				/* length, set below */
	put32(&blk, 0);				/* class name ref */
	put8(&blk, 0);
	for (size_t i = 0; i < l->nd_len; i++) {
		unsigned byte = 0;

		for (size_t j = 0; j < 4 && 4 * i + j < l->n; j++)
			byte |= (unsigned)v[4 * i + j].st << (2 * j);
		put8(&blk, byte);
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct lprop *p = &l->p[i];
		uint32_t x = p->type == T_STRING || p->type == T_REFERENCE ||
			     p->type == T_UINT8_ARRAY ? ref[i] : v[i].n;

		if (type_size(p->type) == 2)
			put16(&blk, x);
		else
			put32(&blk, x);
	}
	put32(&blk, 4);				/* instance qualifier set: none */
	put8(&blk, 1);				/* no property qualifiers */
	put32(&blk, (uint32_t)heap.len | 0x80000000u);
	put(&blk, heap.p, heap.len);
	set32(blk.p, (uint32_t)blk.len);

	put_hash_utf16(rec, hex);
	put64(rec, FILETIME_A);
	put64(rec, FILETIME_B);
	put(rec, blk.p, blk.len);
	free(blk.p);
	free(heap.p);
}

/* Values of an instance as Windows writes them: strings (and the two
 * queue settings) not set, other numbers and flags default, the creator SID
 * set; then the named ones. */
static void values_init(const struct layout *l, struct value *v)
{
	for (size_t i = 0; i < l->n; i++) {
		v[i].s = NULL;
		v[i].n = 0;
		if (l->p[i].type == T_STRING || l->p[i].type == T_REFERENCE ||
		    strcmp(l->p[i].name, "MaximumQueueSize") == 0 ||
		    strcmp(l->p[i].name, "DeliveryQoS") == 0)
			v[i].st = V_UNSET;
		else if (l->p[i].type == T_UINT8_ARRAY)
			v[i].st = V_SET;
		else
			v[i].st = V_DEFAULT;
	}
}

static void value_set(const struct layout *l, struct value *v, const char *name,
		      const char *s, uint32_t n)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcasecmp(l->p[i].name, name) != 0)
			continue;
		if (l->p[i].type == T_STRING || l->p[i].type == T_REFERENCE) {
			v[i].st = s ? V_SET : V_UNSET;
			v[i].s = s;
		} else {
			v[i].st = V_SET;
			v[i].n = n;
		}
		return;
	}
	die("no property %s in %s", name, l->cls->name);
}

/* A binding's reference record. */
static void reference(const char *ns, const char *prop, const char *consumer,
		      const char *filter, struct buf *rec)
{
	char path[3 * 70 + 16], h1[65], h2[65], h3[65];
	const char *cls = binding_class.name, *parts[2] = { consumer, filter };
	const char *fields[4];

	name_hash(&ns, 1, h1);
	name_hash(&cls, 1, h2);
	name_hash(parts, 2, h3);
	snprintf(path, sizeof(path), "NS_%s\\KI_%s\\I_%s", h1, h2, h3);
	fields[0] = ns;
	fields[1] = cls;
	fields[2] = prop;
	fields[3] = path;
	for (int i = 0; i < 4; i++) {
		struct u16 u = utf16(fields[i]);

		put32(rec, (uint32_t)u.n);
		put_utf16(rec, &u);
		free(u.u);
	}
	put64(rec, 0);
}

/* ---- pages ---- */

struct page {
	uint8_t b[PAGE];
	size_t nrec, used;	/* records, bytes of records */
	uint32_t off[PAGE / DESC], size[PAGE / DESC];
	bool sealed;
};

static struct page **pages;
static size_t npages;
static struct page **late;		/* scattered continuation pages */
static size_t nlate;
static uint32_t next_id = 0x2A5A0B6Fu;
static bool scatter, untabled;

static struct page *new_page(void)
{
	struct page *p = calloc(1, sizeof(*p));

	if (!p)
		die("out of memory");
	pages = xrealloc(pages, (npages + 1) * sizeof(*pages));
	pages[npages++] = p;
	return p;
}

static uint32_t record_id(void)
{
	next_id = next_id * 1103515245u + 12345u;
	return next_id | 1u;
}

/* Writes the table of page p (records are already in place). */
static void seal(struct page *p)
{
	if (p->sealed)
		return;
	for (size_t i = 0; i < p->nrec; i++) {
		set32(p->b + DESC * i, record_id());
		set32(p->b + DESC * i + 4, p->off[i]);
		set32(p->b + DESC * i + 8, p->size[i]);
		set32(p->b + DESC * i + 12, 0);
	}
	p->sealed = true;
}

static struct page *current(void)
{
	if (!npages || pages[npages - 1]->sealed)
		return new_page();
	return pages[npages - 1];
}

static void page_break(void)
{
	if (npages && !pages[npages - 1]->sealed)
		seal(pages[npages - 1]);
}

/* Records are packed after the table, so a page is laid out again each
 * time one is added. */
static void add_record(const struct buf *r)
{
	struct page *p;

	if (untabled) {
		/* a free page: zeroed table, the record left where it was */
		page_break();
		p = new_page();
		if (r->len > PAGE - 2 * DESC)
			die("an untabled record must fit in a page");
		memcpy(p->b + 2 * DESC, r->p, r->len);
		p->sealed = true;
		untabled = false;
		return;
	}
	if (r->len > PAGE - 2 * DESC) {
		size_t done;

		page_break();
		p = new_page();
		p->nrec = 1;
		p->off[0] = 2 * DESC;
		p->size[0] = (uint32_t)r->len;
		memcpy(p->b + 2 * DESC, r->p, PAGE - 2 * DESC);
		seal(p);
		for (done = PAGE - 2 * DESC; done < r->len; done += PAGE) {
			struct page *q;
			size_t n = r->len - done < PAGE ? r->len - done : PAGE;

			if (scatter) {
				q = calloc(1, sizeof(*q));
				if (!q)
					die("out of memory");
				late = xrealloc(late, (nlate + 1) * sizeof(*late));
				late[nlate++] = q;
			} else {
				q = new_page();
			}
			memcpy(q->b, r->p + done, n);
			q->sealed = true;
		}
		return;
	}
	p = current();
	if ((p->nrec + 2) * DESC + p->used + r->len > PAGE) {
		seal(p);
		p = new_page();
	}
	p->off[p->nrec] = 0;
	p->size[p->nrec] = (uint32_t)r->len;
	p->nrec++;
	{
		/* move the records one descriptor down, append the new one */
		uint8_t tmp[PAGE];
		size_t at = (p->nrec + 1) * DESC, old = p->nrec * DESC;

		memcpy(tmp, p->b + old, p->used);
		memset(p->b, 0, PAGE);
		memcpy(p->b + at, tmp, p->used);
		memcpy(p->b + at + p->used, r->p, r->len);
		for (size_t i = 0, o = at; i < p->nrec; i++) {
			p->off[i] = (uint32_t)o;
			o += p->size[i];
		}
		p->used += r->len;
	}
}

/* ---- padding ---- */

static uint32_t rnd_state = 0x4B454E53u;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static const char *const decoys[] = {
	"CommandLineEventConsumer", "ActiveScriptEventConsumer", "__EventFilter",
	"__FilterToConsumerBinding", "Name", "ScriptText", "SELECT * FROM __InstanceModificationEvent",
	"Win32_Service", "StdRegProv", "root\\cimv2", "KillTimeout",
};

static void padding_record(unsigned k, struct buf *r)
{
	char name[64], hex[65];
	const char *cname = name;
	size_t n = 48 + rnd() % 1200;

	snprintf(name, sizeof(name), "Kenshu_Padding%u", k);
	switch (k % 4) {
	case 0: {	/* an instance of another class, with decoy strings */
		struct buf heap = { 0 };

		name_hash(&cname, 1, hex);
		put_cim_string(&heap, name);
		while (heap.len < n) {
			const char *d = decoys[rnd() % (sizeof(decoys) / sizeof(decoys[0]))];

			if (heap.len + strlen(d) + 2 > n)
				put8(&heap, (unsigned)rnd());
			else
				put_cim_string(&heap, d);
		}
		put_hash_utf16(r, hex);
		put64(r, FILETIME_A);
		put64(r, FILETIME_B);
		put32(r, (uint32_t)(4 + 4 + 1 + 4 + 1 + 4 + heap.len));
		put32(r, 0);
		put8(r, 0);
		put32(r, 4);
		put8(r, 1);
		put32(r, (uint32_t)heap.len | 0x80000000u);
		put(r, heap.p, heap.len);
		free(heap.p);
		break;
	}
	case 1: {	/* a class definition deriving from a subscription class */
		static const struct prop p[] = { { "Name", T_STRING }, { "ScriptText", T_STRING } };
		struct cspec c = { name, &event_consumer, p, 2, false };
		struct layout l;

		build_layout(&c, &l);
		class_def(&l, r);
		break;
	}
	case 2:	/* a reference record of another class */
		reference("ROOT\\cimv2", "Win32_Service", "CommandLineEventConsumer.Name=\"x\"", name, r);
		break;
	default:	/* bytes */
		for (size_t i = 0; i < n; i++)
			put8(r, (unsigned)rnd());
		break;
	}
}

/* ---- recipe ---- */

struct stmt {
	unsigned long line;
	int ntok;
	char *tok[MAXTOK];	/* NULL: "-" */
};

static int tokenize(char *s, char **tok)
{
	int n = 0;

	for (;;) {
		char *o;

		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (!*s || *s == '#')
			return n;
		if (n == MAXTOK)
			die("too many fields");
		if (*s == '"') {
			o = ++s;
			tok[n] = o;
			while (*s != '"') {
				if (!*s)
					die("unterminated quote");
				if (*s == '\\' && s[1]) {
					s++;
					*o++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
					s++;
				} else {
					*o++ = *s++;
				}
			}
			s++;
			*o = '\0';
			tok[n] = xstrdup(tok[n]);
		} else {
			o = s;
			while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
				s++;
			if (s - o == 1 && *o == '-') {
				tok[n] = NULL;
			} else {
				tok[n] = strndup(o, (size_t)(s - o));
				if (!tok[n])
					die("out of memory");
			}
		}
		n++;
	}
}

static bool is(const struct stmt *st, const char *word, int min, int max)
{
	if (!st->tok[0] || strcmp(st->tok[0], word) != 0)
		return false;
	lineno = st->line;
	if (st->ntok - 1 < min || st->ntok - 1 > max)
		die("%s takes %d to %d fields", word, min, max);
	if (min > 0 && !st->tok[1])
		die("%s: the first field cannot be -", word);
	return true;
}

static bool on_off(const char *s)
{
	if (s && strcmp(s, "on") == 0)
		return true;
	if (s && strcmp(s, "off") == 0)
		return false;
	die("expected on or off");
}

static char *escape_key(const char *s)
{
	struct buf b = { 0 };

	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			put8(&b, '\\');
		put8(&b, (unsigned char)*s);
	}
	put8(&b, 0);
	return (char *)b.p;
}

static char *big_text(unsigned long bytes)
{
	char *t = xrealloc(NULL, bytes + 1);
	size_t n = 0;
	unsigned long line = 0;

	while (n < bytes) {
		char l[64];
		int k = snprintf(l, sizeof(l), "' kenshu filler line %06lu\r\n", line++);

		for (int i = 0; i < k && n < bytes; i++)
			t[n++] = l[i];
	}
	t[n] = '\0';
	return t;
}

int main(int argc, char **argv)
{
	FILE *in = stdin, *out;
	char line[65536];
	struct stmt *st = NULL;
	size_t nst = 0;
	bool classdefs = true, refs = true;
	const char *ns = "ROOT\\subscription";
	struct layout lay_filter, lay_binding, lay_cmd, lay_script, lay_consumer;
	unsigned padding_k = 0;
	char *tmp;

	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: " PROG " OUT [RECIPE]\n");
		return 64;
	}
	if (argc == 3 && strcmp(argv[2], "-") != 0) {
		in = fopen(argv[2], "r");
		if (!in)
			die("%s: %s", argv[2], strerror(errno));
	}
	while (fgets(line, sizeof(line), in)) {
		struct stmt s = { 0 };

		lineno++;
		if (!strchr(line, '\n') && !feof(in))
			die("line too long");
		s.line = lineno;
		s.ntok = tokenize(line, s.tok);
		if (!s.ntok)
			continue;
		if (!s.tok[0])
			die("a statement cannot be -");
		st = xrealloc(st, (nst + 1) * sizeof(*st));
		st[nst++] = s;
	}
	if (in != stdin)
		fclose(in);

	/* settings first: they hold for the whole file */
	for (size_t i = 0; i < nst; i++) {
		if (is(&st[i], "md5", 0, 0))
			use_md5 = true;
		else if (is(&st[i], "classdefs", 1, 1))
			classdefs = on_off(st[i].tok[1]);
		else if (is(&st[i], "refs", 1, 1))
			refs = on_off(st[i].tok[1]);
		else if (is(&st[i], "layout", 1, 1)) {
			if (!st[i].tok[1] || (strcmp(st[i].tok[1], "builtin") != 0 &&
					       strcmp(st[i].tok[1], "other") != 0))
				die("layout is builtin or other");
			layout_other = strcmp(st[i].tok[1], "other") == 0;
		}
	}
	lineno = 0;
	build_layout(&event_filter, &lay_filter);
	build_layout(&binding_class, &lay_binding);
	build_layout(&cmdline_class, &lay_cmd);
	build_layout(&script_class, &lay_script);
	build_layout(&event_consumer, &lay_consumer);
	if (classdefs) {
		const struct layout *all[] = { &lay_consumer, &lay_filter, &lay_binding, &lay_cmd, &lay_script };

		for (size_t i = 0; i < 5; i++) {
			struct buf r = { 0 };

			class_def(all[i], &r);
			add_record(&r);
			free(r.p);
		}
	}

	for (size_t i = 0; i < nst; i++) {
		struct stmt *s = &st[i];
		struct value v[MAX_PROPS];
		struct buf r = { 0 };

		if (is(s, "md5", 0, 0) || is(s, "classdefs", 1, 1) || is(s, "refs", 1, 1) ||
		    is(s, "layout", 1, 1)) {
			continue;
		} else if (is(s, "namespace", 1, 1)) {
			if (!s->tok[1])
				die("namespace cannot be -");
			ns = s->tok[1];
			continue;
		} else if (is(s, "filter", 2, 3)) {
			values_init(&lay_filter, v);
			value_set(&lay_filter, v, "Name", s->tok[1], 0);
			value_set(&lay_filter, v, "Query", s->tok[2], 0);
			value_set(&lay_filter, v, "QueryLanguage", "WQL", 0);
			value_set(&lay_filter, v, "EventNamespace", s->ntok > 3 ? s->tok[3] : "root\\cimv2", 0);
			instance(&lay_filter, v, &r);
		} else if (is(s, "cmdline", 2, 3)) {
			values_init(&lay_cmd, v);
			value_set(&lay_cmd, v, "Name", s->tok[1], 0);
			value_set(&lay_cmd, v, "CommandLineTemplate", s->tok[2], 0);
			value_set(&lay_cmd, v, "ExecutablePath", s->ntok > 3 ? s->tok[3] : NULL, 0);
			value_set(&lay_cmd, v, "Priority", NULL, 32);
			value_set(&lay_cmd, v, "KillTimeout", NULL, 0);
			instance(&lay_cmd, v, &r);
		} else if (is(s, "script", 3, 4) || is(s, "bigscript", 3, 3)) {
			char *text = NULL;

			if (strcmp(s->tok[0], "bigscript") == 0) {
				char *end;
				unsigned long n = s->tok[3] ? strtoul(s->tok[3], &end, 10) : 0;

				if (!s->tok[3] || *end || n == 0 || n > 16ul << 20)
					die("bigscript takes a size from 1 to 16777216");
				text = big_text(n);
			}
			values_init(&lay_script, v);
			value_set(&lay_script, v, "Name", s->tok[1], 0);
			value_set(&lay_script, v, "ScriptingEngine", s->tok[2], 0);
			value_set(&lay_script, v, "ScriptText", text ? text : s->tok[3], 0);
			value_set(&lay_script, v, "ScriptFilename", s->ntok > 4 ? s->tok[4] : NULL, 0);
			value_set(&lay_script, v, "KillTimeout", NULL, 45);
			instance(&lay_script, v, &r);
			free(text);
		} else if (is(s, "binding", 3, 3)) {
			char *cn, *fn, *cref, *fref;
			size_t n;

			if (!s->tok[1] || !s->tok[2] || !s->tok[3])
				die("binding fields cannot be -");
			cn = escape_key(s->tok[2]);
			fn = escape_key(s->tok[3]);
			n = strlen(s->tok[1]) + strlen(cn) + 16;
			cref = xrealloc(NULL, n);
			snprintf(cref, n, "%s.Name=\"%s\"", s->tok[1], cn);
			n = strlen(fn) + 32;
			fref = xrealloc(NULL, n);
			snprintf(fref, n, "__EventFilter.Name=\"%s\"", fn);
			values_init(&lay_binding, v);
			value_set(&lay_binding, v, "Consumer", cref, 0);
			value_set(&lay_binding, v, "Filter", fref, 0);
			instance(&lay_binding, v, &r);
			if (refs && !untabled) {
				struct buf r1 = { 0 }, r2 = { 0 };

				add_record(&r);
				r.len = 0;
				reference(ns, "Consumer", cref, fref, &r1);
				reference(ns, "Filter", cref, fref, &r2);
				add_record(&r1);
				add_record(&r2);
				free(r1.p);
				free(r2.p);
			}
			free(cn);
			free(fn);
			free(cref);
			free(fref);
		} else if (is(s, "padding", 1, 1)) {
			char *end;
			unsigned long n = s->tok[1] ? strtoul(s->tok[1], &end, 10) : 0;

			if (!s->tok[1] || *end || n > 100000)
				die("padding takes a count from 0 to 100000");
			for (unsigned long k = 0; k < n; k++) {
				struct buf p = { 0 };

				padding_record(padding_k++, &p);
				add_record(&p);
				free(p.p);
			}
		} else if (is(s, "pagebreak", 0, 0)) {
			page_break();
		} else if (is(s, "freepage", 0, 0)) {
			page_break();
			new_page()->sealed = true;
		} else if (is(s, "scatter", 0, 0)) {
			scatter = true;
		} else if (is(s, "untabled", 0, 0)) {
			untabled = true;
		} else {
			lineno = s->line;
			die("unknown statement '%s'", s->tok[0]);
		}
		if (r.len)
			add_record(&r);
		free(r.p);
	}
	lineno = 0;
	page_break();

	tmp = xrealloc(NULL, strlen(argv[1]) + 8);
	snprintf(tmp, strlen(argv[1]) + 8, "%s.tmp", argv[1]);
	tmp_path = tmp;
	out = fopen(tmp, "wb");
	if (!out)
		die("%s: %s", tmp, strerror(errno));
	for (size_t i = 0; i < npages; i++)
		if (fwrite(pages[i]->b, PAGE, 1, out) != 1)
			die("%s: %s", tmp, strerror(errno));
	for (size_t i = 0; i < nlate; i++)
		if (fwrite(late[i]->b, PAGE, 1, out) != 1)
			die("%s: %s", tmp, strerror(errno));
	if (fclose(out) != 0)
		die("%s: %s", tmp, strerror(errno));
	if (rename(tmp, argv[1]) != 0)
		die("%s: %s", argv[1], strerror(errno));
	tmp_path = NULL;
	for (size_t i = 0; i < npages; i++)
		free(pages[i]);
	for (size_t i = 0; i < nlate; i++)
		free(late[i]);
	free(pages);
	free(late);
	for (size_t i = 0; i < nst; i++)
		for (int k = 0; k < st[i].ntok; k++)
			free(st[i].tok[k]);
	free(st);
	free(tmp);
	return 0;
}
