/*
 * mkhive - build a Windows registry hive file from .reg files.
 *
 *	mkhive [-n NAME] OUT FILE.reg...
 *
 * Registry fixtures are built at test time (no binary hive is committed),
 * and hivex, which kenshu reads hives with, can edit a hive but cannot
 * create one.  So this writes the smallest valid empty hive itself - a regf
 * base block and one hbin holding the root key, its security descriptor and
 * a free cell - to OUT.tmp, opens it with hivex, applies the .reg files in
 * order, commits, and renames the result to OUT.
 *
 * The .reg dialect is regedit's "Windows Registry Editor Version 5.00"
 * format (UTF-8) plus a few shorthands (qword:, expand:, multi:, and
 * class:"TEXT" for the key's class name, which hivex cannot set); it is
 * documented in images/README.  Errors are one line,
 * `mkhive: FILE:LINE: message`, exit status 1, and OUT is not created.
 *
 * Every timestamp in the hive is HIVE_TIME, so the same .reg files give the
 * same bytes.
 */

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <wctype.h>

#include <hivex.h>

#define PROG		"mkhive"
#define REG_HEADER	"Windows Registry Editor Version 5.00"

#define HIVE_TIME	1741944600ULL	/* 2025-03-14 09:30:00 UTC */
#define EPOCH_1601	11644473600ULL	/* seconds from 1601-01-01 to 1970 */

#define BASE_SIZE	4096		/* regf base block */
#define HBIN_SIZE	4096		/* our single hbin */
#define HBIN_HDR	32
#define CSUM_OFF	0x1FC		/* XOR-32 of the first 508 bytes */
#define FNAME_OFF	0x30		/* file name: 64 bytes of UTF-16LE */
#define FNAME_UNITS	31		/* ... the last 31 characters + NUL */
#define ROOT_NAME	"ROOT"

/* nk record (offsets from the start of the cell, size field included) */
#define NK_HDR		0x50
#define KEY_HIVE_ENTRY	0x0004
#define KEY_NO_DELETE	0x0008
#define KEY_COMP_NAME	0x0020
#define NO_CELL		0xFFFFFFFFu

/* Windows limits, in UTF-16 units. */
#define KEY_NAME_MAX	255
#define VALUE_NAME_MAX	16383

/* Access masks and ACE flags for the root key's security descriptor. */
#define KEY_READ		0x00020019u
#define KEY_ALL_ACCESS		0x000F003Fu
#define GENERIC_ALL		0x10000000u
#define CONTAINER_INHERIT_ACE	0x02
#define INHERIT_ONLY_ACE	0x08

struct ctx {
	const char *file;		/* the .reg file being applied */
	unsigned long line;		/* first line of the current entry */
	hive_h *h;
	hive_node_h key;		/* current [key]; 0 before one or in [-key] */
	bool in_delete;			/* below a [-key] line */
	bool failed;
	char err[1024];
};

/* A growable byte buffer. */
struct buf {
	unsigned char *p;
	size_t len;
	size_t cap;
};

static const char *tmp_path;		/* removed on every failure */

/* class:"TEXT" lines: hivex cannot write class names, so finish_hive
 * stores them in an hbin of its own after hivex_commit (an nk cell stays
 * where hivex put it, so its handle is its offset in the file). */
struct key_class {
	hive_node_h node;
	char *text;
};
static struct key_class *classes;
static size_t nclasses;
static locale_t utf8_locale;		/* for the Windows name hash */

static void fail(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Only the first failure matters: later ones are usually fallout from it. */
static void fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

static void cleanup(void)
{
	if (tmp_path)
		unlink(tmp_path);
	if (utf8_locale)
		freelocale(utf8_locale);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
		noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
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

static void buf_add(struct buf *b, const void *data, size_t n)
{
	if (n > SIZE_MAX / 2 - b->len)
		die("out of memory");
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* Appends a string and keeps the buffer NUL-terminated (NUL not counted). */
static void buf_add_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s) + 1);
	b->len--;
}

static void buf_add_u16(struct buf *b, uint16_t u)
{
	unsigned char le[2] = { (unsigned char)u, (unsigned char)(u >> 8) };

	buf_add(b, le, 2);
}

/* ---- little-endian fields ---------------------------------------------- */

static void put16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

/* Cell sizes are stored negated while the cell is in use. */
static void put_cell_size(unsigned char *p, size_t size, bool used)
{
	put32(p, used ? (uint32_t)0 - (uint32_t)size : (uint32_t)size);
}

static size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* hivex checks exactly this: the XOR of the first 127 dwords. */
static uint32_t base_checksum(const unsigned char *b)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < CSUM_OFF; i += 4)
		sum ^= get32(b + i);
	return sum;
}

/* ---- UTF-8 ------------------------------------------------------------ */

/*
 * Decodes one code point at *p (which is NUL-terminated) and advances.
 * Rejects overlong forms, surrogates and values past U+10FFFF.
 */
static bool utf8_next(const unsigned char **pp, uint32_t *cp)
{
	const unsigned char *p = *pp;
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
		return false;
	}
	for (int k = 1; k <= extra; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return false;
		v = v << 6 | (p[k] & 0x3F);
	}
	if ((extra == 1 && v < 0x80) || (extra == 2 && v < 0x800) ||
			(extra == 3 && v < 0x10000) || v > 0x10FFFF ||
			(v >= 0xD800 && v <= 0xDFFF))
		return false;
	*pp = p + 1 + extra;
	*cp = v;
	return true;
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p)
		if (!utf8_next(&p, &cp))
			return false;
	return true;
}

/* Appends valid UTF-8 s as UTF-16LE; returns the number of UTF-16 units. */
static size_t utf16_append(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t units = 0;
	uint32_t cp;

	while (*p && utf8_next(&p, &cp)) {
		if (cp >= 0x10000) {
			cp -= 0x10000;
			buf_add_u16(b, (uint16_t)(0xD800 | (cp >> 10)));
			buf_add_u16(b, (uint16_t)(0xDC00 | (cp & 0x3FF)));
			units += 2;
		} else {
			buf_add_u16(b, (uint16_t)cp);
			units++;
		}
	}
	return units;
}

static size_t utf16_units(const char *s)
{
	struct buf b = { 0 };
	size_t n = utf16_append(&b, s);

	free(b.p);
	return n;
}

/* ---- the empty base hive ------------------------------------------------ */

struct sid {
	unsigned char authority;
	unsigned char count;
	uint32_t sub[2];
};

static const struct sid sid_creator_owner = { 3, 1, { 0, 0 } };   /* S-1-3-0 */
static const struct sid sid_system = { 5, 1, { 18, 0 } };         /* S-1-5-18 */
static const struct sid sid_admins = { 5, 2, { 32, 544 } };  /* S-1-5-32-544 */
static const struct sid sid_users = { 5, 2, { 32, 545 } };   /* S-1-5-32-545 */

static size_t put_sid(unsigned char *p, const struct sid *s)
{
	p[0] = 1;			/* revision */
	p[1] = s->count;
	memset(p + 2, 0, 5);		/* identifier authority, big-endian */
	p[7] = s->authority;
	for (int i = 0; i < s->count; i++)
		put32(p + 8 + 4 * i, s->sub[i]);
	return 8 + 4 * (size_t)s->count;
}

/* ACCESS_ALLOWED_ACE: type 0, flags, size, mask, SID. */
static size_t put_ace(unsigned char *p, unsigned char flags, uint32_t mask,
		const struct sid *s)
{
	size_t n = 8 + put_sid(p + 8, s);

	p[0] = 0;
	p[1] = flags;
	put16(p + 2, (uint32_t)n);
	put32(p + 4, mask);
	return n;
}

/*
 * A self-relative security descriptor like the one Windows puts on a hive
 * root: owner Administrators, group SYSTEM, a protected DACL that the whole
 * tree inherits (full control for SYSTEM, Administrators and CREATOR OWNER,
 * read for Users), no SACL.  Returns its size; sd needs 160 bytes.
 */
static size_t build_sd(unsigned char *sd)
{
	const size_t dacl = 20;
	size_t off = dacl + 8, owner, group;

	memset(sd, 0, 160);
	off += put_ace(sd + off, CONTAINER_INHERIT_ACE | INHERIT_ONLY_ACE,
			GENERIC_ALL, &sid_creator_owner);
	off += put_ace(sd + off, CONTAINER_INHERIT_ACE, KEY_ALL_ACCESS,
			&sid_system);
	off += put_ace(sd + off, CONTAINER_INHERIT_ACE, KEY_ALL_ACCESS,
			&sid_admins);
	off += put_ace(sd + off, CONTAINER_INHERIT_ACE, KEY_READ, &sid_users);
	sd[dacl] = 2;				/* ACL revision */
	put16(sd + dacl + 2, (uint32_t)(off - dacl));
	put16(sd + dacl + 4, 4);		/* ACE count */
	owner = off;
	off += put_sid(sd + off, &sid_admins);
	group = off;
	off += put_sid(sd + off, &sid_system);

	sd[0] = 1;				/* revision */
	/* SE_SELF_RELATIVE | SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED |
	 * SE_DACL_PRESENT */
	put16(sd + 2, 0x8000 | 0x1000 | 0x0400 | 0x0004);
	put32(sd + 4, (uint32_t)owner);
	put32(sd + 8, (uint32_t)group);
	put32(sd + 12, 0);			/* no SACL */
	put32(sd + 16, (uint32_t)dacl);
	return off;
}

/*
 * The base block's file name field holds the end of the hive's path as
 * Windows knows it (\SystemRoot\System32\Config\SOFTWARE keeps its last 31
 * characters: "emRoot\System32\Config\SOFTWARE").
 */
static void put_file_name(unsigned char *b, const char *name)
{
	struct buf u = { 0 };
	size_t units = utf16_append(&u, name), skip = 0;

	if (units > FNAME_UNITS)
		skip = units - FNAME_UNITS;
	/* Do not start in the middle of a surrogate pair. */
	if (skip < units && (get16(u.p + 2 * skip) & 0xFC00) == 0xDC00)
		skip++;
	memcpy(b + FNAME_OFF, u.p + 2 * skip, 2 * (units - skip));
	free(u.p);
}

/*
 * Writes an empty hive: the regf base block (version 1.3, as Windows 7
 * creates them: no big-data records, so hivex's single-cell values of any
 * size are valid), then one 4 KiB hbin holding the root nk, its sk and a
 * free cell for the rest.
 */
static void write_base(const char *path, const char *name)
{
	static unsigned char b[BASE_SIZE + HBIN_SIZE];
	unsigned char *hb = b + BASE_SIZE, *p, sd[160];
	const uint64_t ft = (HIVE_TIME + EPOCH_1601) * 10000000ULL;
	const size_t nk = HBIN_HDR;
	size_t nk_len = round8(NK_HDR + strlen(ROOT_NAME)), sk, sk_len, sd_len,
		fr, off = 0;
	int fd;

	memset(b, 0, sizeof(b));
	memcpy(b, "regf", 4);
	put32(b + 0x04, 1);		/* primary sequence number */
	put32(b + 0x08, 1);		/* secondary: equal, i.e. clean */
	put64(b + 0x0C, ft);		/* last written */
	put32(b + 0x14, 1);		/* major version */
	put32(b + 0x18, 3);		/* minor version */
	put32(b + 0x1C, 0);		/* file type: primary */
	put32(b + 0x20, 1);		/* file format: direct memory load */
	put32(b + 0x24, (uint32_t)nk);	/* root cell, from the first hbin */
	put32(b + 0x28, HBIN_SIZE);	/* hive bins data size */
	put32(b + 0x2C, 1);		/* clustering factor */
	put_file_name(b, name);
	put32(b + CSUM_OFF, base_checksum(b));

	memcpy(hb, "hbin", 4);
	put32(hb + 0x04, 0);		/* offset of this hbin */
	put32(hb + 0x08, HBIN_SIZE);
	put64(hb + 0x14, ft);		/* timestamp (first hbin only) */

	sd_len = build_sd(sd);
	sk = nk + nk_len;
	sk_len = round8(0x18 + sd_len);
	fr = sk + sk_len;

	p = hb + nk;
	put_cell_size(p, nk_len, true);
	memcpy(p + 0x04, "nk", 2);
	put16(p + 0x06, KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME);
	put64(p + 0x08, ft);
	put32(p + 0x14, 0);		/* parent */
	put32(p + 0x20, NO_CELL);	/* subkey list */
	put32(p + 0x24, NO_CELL);	/* volatile subkey list */
	put32(p + 0x2C, NO_CELL);	/* value list */
	put32(p + 0x30, (uint32_t)sk);
	put32(p + 0x34, NO_CELL);	/* class name */
	put16(p + 0x4C, (uint32_t)strlen(ROOT_NAME));
	memcpy(p + NK_HDR, ROOT_NAME, strlen(ROOT_NAME));

	p = hb + sk;
	put_cell_size(p, sk_len, true);
	memcpy(p + 0x04, "sk", 2);
	put32(p + 0x08, (uint32_t)sk);	/* the sk list is circular: just us */
	put32(p + 0x0C, (uint32_t)sk);
	put32(p + 0x10, 1);		/* reference count: the root */
	put32(p + 0x14, (uint32_t)sd_len);
	memcpy(p + 0x18, sd, sd_len);

	put_cell_size(hb + fr, HBIN_SIZE - fr, false);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	while (off < sizeof(b)) {
		ssize_t w = write(fd, b + off, sizeof(b) - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;

			close(fd);
			die("%s: write: %s", path, strerror(e));
		}
		off += (size_t)w;
	}
	if (close(fd))
		die("%s: close: %s", path, strerror(errno));
}

/* ---- after hivex ------------------------------------------------------ */

/* RtlUpcaseUnicodeChar, near enough: the Unicode simple upper case. */
static uint32_t upcase(uint32_t u)
{
	wint_t w;

	if (u < 0x80)
		return (u >= 'a' && u <= 'z') ? u - 32 : u;
	if (!utf8_locale)
		return u;
	w = towupper_l((wint_t)u, utf8_locale);
	return w <= 0xFFFF ? (uint32_t)w : u;
}

/*
 * hivex hashes subkey names for the lh list from their UTF-8 bytes.  That is
 * what Windows does for ASCII names only: Windows multiplies by 37 and adds
 * each upcased character of the stored name (Latin-1 bytes or UTF-16
 * units).  Recompute every lh hash that way, so that non-ASCII key names
 * (Japanese, say) are found by Windows and strict parsers too.
 */
static bool fix_lh_hashes(unsigned char *b, size_t size, const char **why)
{
	size_t end = BASE_SIZE + (size_t)get32(b + 0x28), off, hsz;

	if (end > size) {
		*why = "hive bins run past the end of the file";
		return false;
	}
	for (off = BASE_SIZE; off < end; off += hsz) {
		size_t cell, csz;

		if (end - off < HBIN_HDR) {
			*why = "truncated hbin";
			return false;
		}
		hsz = get32(b + off + 8);
		if (memcmp(b + off, "hbin", 4) || hsz < HBIN_SIZE ||
				hsz % HBIN_SIZE || hsz > end - off) {
			*why = "bad hbin";
			return false;
		}
		for (cell = off + HBIN_HDR; cell < off + hsz; cell += csz) {
			uint32_t raw = get32(b + cell);
			bool used = raw & 0x80000000u;
			unsigned char *lh = b + cell;

			csz = used ? (size_t)(0 - raw) : raw;
			if (csz < 8 || csz % 8 || csz > off + hsz - cell) {
				*why = "bad cell size";
				return false;
			}
			if (!used || memcmp(lh + 4, "lh", 2))
				continue;
			if (8 + 8 * (size_t)get16(lh + 6) > csz) {
				*why = "bad lh record";
				return false;
			}
			for (size_t i = 0; i < get16(lh + 6); i++) {
				size_t nk = BASE_SIZE + (size_t)get32(lh + 8 + 8 * i);
				size_t nlen;
				uint32_t hash = 0;

				if (nk + NK_HDR > end ||
						memcmp(b + nk + 4, "nk", 2)) {
					*why = "lh entry is not an nk record";
					return false;
				}
				nlen = get16(b + nk + 0x4C);
				if (nk + NK_HDR + nlen > end) {
					*why = "nk name past the end of the hive";
					return false;
				}
				if (get16(b + nk + 6) & KEY_COMP_NAME) {
					for (size_t k = 0; k < nlen; k++)
						hash = hash * 37 +
							upcase(b[nk + NK_HDR + k]);
				} else {
					for (size_t k = 0; k + 1 < nlen; k += 2)
						hash = hash * 37 + upcase(
							get16(b + nk + NK_HDR + k));
				}
				put32(lh + 8 + 8 * i + 4, hash);
			}
		}
	}
	return true;
}

/*
 * Appends one hbin holding a used cell with each class name (UTF-16LE, no
 * NUL) and points each nk record at its cell: class offset at 0x30 and
 * length at 0x4A of the record (after the cell's size field).
 */
static unsigned char *add_classes(unsigned char *b, size_t *size)
{
	struct buf cells = { 0 };
	size_t hbin_off = BASE_SIZE + (size_t)get32(b + 0x28), hsz;

	if (hbin_off != *size)
		die("the hive's bins end at %zu, the file at %zu", hbin_off, *size);
	for (size_t i = 0; i < nclasses; i++) {
		struct buf t = { 0 };
		size_t units = utf16_append(&t, classes[i].text);
		size_t cell = round8(4 + 2 * units);
		size_t at = HBIN_HDR + cells.len;	/* from the hbin start */
		unsigned char *nk = b + classes[i].node;
		unsigned char hdr[4];

		if (classes[i].node + 0x50 > hbin_off || memcmp(nk + 4, "nk", 2))
			die("class for a key that is no longer there");
		put_cell_size(hdr, cell, true);
		buf_add(&cells, hdr, 4);
		buf_add(&cells, t.p, 2 * units);
		while (cells.len % 8)
			buf_add(&cells, "", 1);
		put32(nk + 4 + 0x30, (uint32_t)(hbin_off - BASE_SIZE + at));
		put16(nk + 4 + 0x4A, (uint32_t)(2 * units));
		free(t.p);
	}
	hsz = (HBIN_HDR + cells.len + 8 + HBIN_SIZE - 1) / HBIN_SIZE * HBIN_SIZE;
	b = xrealloc(b, *size + hsz);
	memset(b + *size, 0, hsz);
	memcpy(b + *size, "hbin", 4);
	put32(b + *size + 4, (uint32_t)(hbin_off - BASE_SIZE));
	put32(b + *size + 8, (uint32_t)hsz);
	memcpy(b + *size + HBIN_HDR, cells.p, cells.len);
	put_cell_size(b + *size + HBIN_HDR + cells.len, hsz - HBIN_HDR - cells.len, false);
	*size += hsz;
	put32(b + 0x28, (uint32_t)(*size - BASE_SIZE));
	free(cells.p);
	return b;
}

/*
 * Post-processes what hivex_commit wrote: Windows-correct lh hashes, and a
 * header checksum that is neither 0 nor 0xFFFFFFFF (Windows stores those as
 * 1 and 0xFFFFFFFE, which hivex would then reject; bump the sequence
 * numbers instead).  Then checks that hivex can read the result.
 */
static void finish_hive(const char *path)
{
	struct stat st;
	unsigned char *b;
	const char *why = NULL;
	uint32_t sum, seq;
	FILE *fp = fopen(path, "r+be");
	hive_h *h;

	if (!fp || fstat(fileno(fp), &st))
		die("%s: %s", path, strerror(errno));
	if ((uintmax_t)st.st_size < BASE_SIZE + HBIN_SIZE ||
			(uintmax_t)st.st_size > SIZE_MAX)
		die("%s: hivex wrote a file of %jd bytes", path,
				(intmax_t)st.st_size);
	b = xrealloc(NULL, (size_t)st.st_size);
	if (fread(b, 1, (size_t)st.st_size, fp) != (size_t)st.st_size)
		die("%s: read: %s", path, strerror(errno));
	if (!fix_lh_hashes(b, (size_t)st.st_size, &why))
		die("%s: hivex wrote a hive we cannot walk: %s", path, why);
	if (nclasses) {
		size_t size = (size_t)st.st_size;
		b = add_classes(b, &size);
		st.st_size = (off_t)size;
	}
	for (sum = base_checksum(b); sum == 0 || sum == 0xFFFFFFFFu;
			sum = base_checksum(b)) {
		seq = get32(b + 4) + 1;
		put32(b + 4, seq);
		put32(b + 8, seq);
	}
	put32(b + CSUM_OFF, sum);
	if (fseek(fp, 0, SEEK_SET) ||
			fwrite(b, 1, (size_t)st.st_size, fp) != (size_t)st.st_size
			|| fclose(fp))
		die("%s: write: %s", path, strerror(errno));
	free(b);

	h = hivex_open(path, 0);
	if (!h)
		die("%s: hivex cannot read the result: %s", path,
				strerror(errno));
	hivex_close(h);
}

/* ---- .reg parsing --------------------------------------------------- */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Case-insensitive prefix test; advances *pp past the prefix on a match. */
static bool eat(const char **pp, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncasecmp(*pp, prefix, n))
		return false;
	*pp += n;
	return true;
}

/*
 * "quoted string" at *pp, with \" and \\ as the only escapes (as regedit
 * writes them).  Anything else after a backslash is an error: a lone
 * backslash in a path ("C:\Windows") is the commonest .reg mistake.
 */
static char *parse_quoted(struct ctx *c, const char **pp)
{
	const char *p = *pp + 1;
	struct buf b = { 0 };

	for (;; p++) {
		if (*p == '\0') {
			fail(c, "unterminated string");
			free(b.p);
			return NULL;
		}
		if (*p == '"')
			break;
		if (*p == '\\') {
			if (p[1] != '\\' && p[1] != '"') {
				fail(c, "unknown escape '\\%.1s' in a string "
						"(only \\\\ and \\\" are "
						"escapes: write C:\\\\Windows)",
						p[1] ? p + 1 : "");
				free(b.p);
				return NULL;
			}
			p++;
		}
		buf_add(&b, p, 1);
	}
	buf_add(&b, "", 1);
	*pp = p + 1;
	return (char *)b.p;
}

/* Nothing but blanks or a ; comment may follow a value. */
static bool expect_end(struct ctx *c, const char *p)
{
	p = skip_blanks(p);
	if (*p == '\0' || *p == ';')
		return true;
	fail(c, "unexpected text after the value: '%.40s'", p);
	return false;
}

/* 1..maxdigits hex digits, as dword: and qword: take them. */
static bool parse_hexnum(struct ctx *c, const char **pp, int maxdigits,
		const char *what, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int n = 0;

	while (hexval(*p) >= 0) {
		if (++n > maxdigits)
			break;
		v = v << 4 | (uint64_t)hexval(*p++);
	}
	if (n == 0 || n > maxdigits) {
		fail(c, "%s needs 1 to %d hex digits", what, maxdigits);
		return false;
	}
	*pp = p;
	*out = v;
	return true;
}

/* Comma-separated hex bytes, as in hex:de,ad,be,ef (may be empty). */
static bool parse_hexlist(struct ctx *c, const char **pp, struct buf *data)
{
	const char *p = skip_blanks(*pp);

	if (*p == '\0' || *p == ';') {
		*pp = p;
		return true;
	}
	for (;;) {
		int hi = hexval(p[0]), lo;
		unsigned char byte;

		if (hi < 0 && (*p == '\0' || *p == ';')) {
			fail(c, "hex byte list ends with ','");
			return false;
		}
		if (hi < 0) {
			fail(c, "bad hex byte list at '%.20s' (expected "
					"hex bytes like 0a,ff)", p);
			return false;
		}
		lo = hexval(p[1]);
		if (lo >= 0) {
			byte = (unsigned char)(hi << 4 | lo);
			p += 2;
		} else {
			byte = (unsigned char)hi;
			p++;
		}
		buf_add(data, &byte, 1);
		p = skip_blanks(p);
		if (*p != ',')
			break;
		p = skip_blanks(p + 1);
	}
	*pp = p;
	return true;
}

/* One string for REG_SZ / REG_EXPAND_SZ: UTF-16LE and a terminating NUL. */
static bool add_string(struct ctx *c, const char **pp, struct buf *data)
{
	char *s;

	if (**pp != '"') {
		fail(c, "expected a \"quoted string\" at '%.20s'", *pp);
		return false;
	}
	s = parse_quoted(c, pp);
	if (!s)
		return false;
	utf16_append(data, s);
	buf_add_u16(data, 0);
	free(s);
	return true;
}

/*
 * Value data after '=': "string", dword:, qword:, hex:, hex(T):, expand:,
 * multi:.  Leaves the type in *t and the bytes in data.
 */
static bool parse_data(struct ctx *c, const char **pp, hive_type *t,
		struct buf *data)
{
	const char *p = *pp;
	uint64_t v;
	unsigned char le[8];

	if (*p == '"') {
		*t = hive_t_REG_SZ;
		if (!add_string(c, &p, data))
			return false;
	} else if (eat(&p, "dword:")) {
		*t = hive_t_REG_DWORD;
		if (!parse_hexnum(c, &p, 8, "dword:", &v))
			return false;
		put32(le, (uint32_t)v);
		buf_add(data, le, 4);
	} else if (eat(&p, "qword:")) {
		*t = hive_t_REG_QWORD;
		if (!parse_hexnum(c, &p, 16, "qword:", &v))
			return false;
		put64(le, v);
		buf_add(data, le, 8);
	} else if (eat(&p, "hex:")) {
		*t = hive_t_REG_BINARY;
		if (!parse_hexlist(c, &p, data))
			return false;
	} else if (eat(&p, "hex(")) {
		if (!parse_hexnum(c, &p, 8, "hex(TYPE)", &v))
			return false;
		if (*p != ')' || p[1] != ':') {
			fail(c, "expected hex(TYPE): with TYPE in hex, "
					"like hex(7):");
			return false;
		}
		p += 2;
		*t = (hive_type)v;
		if (!parse_hexlist(c, &p, data))
			return false;
	} else if (eat(&p, "expand:")) {
		*t = hive_t_REG_EXPAND_SZ;
		if (!add_string(c, &p, data))
			return false;
	} else if (eat(&p, "multi:")) {
		*t = hive_t_REG_MULTI_SZ;
		p = skip_blanks(p);
		if (*p == '"') {
			for (;;) {
				if (p[1] == '"') {
					fail(c, "multi: cannot hold an empty "
							"string (it would end "
							"the list)");
					return false;
				}
				if (!add_string(c, &p, data))
					return false;
				p = skip_blanks(p);
				if (*p != ',')
					break;
				p = skip_blanks(p + 1);
			}
		}
		buf_add_u16(data, 0);	/* the empty string ending the list */
	} else {
		fail(c, "unknown value data '%.20s' (expected \"string\", "
				"dword:, qword:, hex:, hex(TYPE):, expand:, "
				"multi: or -)", p);
		return false;
	}
	*pp = p;
	return true;
}

/* ---- applying to the hive -------------------------------------------- */

/*
 * Strips a root key prefix: HKEY_LOCAL_MACHINE\NAME, HKEY_USERS\NAME or
 * HKEY_CURRENT_USER, each alone (the hive root) or followed by \path.
 * Returns the path relative to the hive root, or NULL.
 */
static const char *strip_root(struct ctx *c, const char *path)
{
	const char *p = path;

	if (strncasecmp(p, "HKEY_", 5))
		return path;
	if (eat(&p, "HKEY_LOCAL_MACHINE\\") || eat(&p, "HKEY_USERS\\")) {
		const char *slash = strchr(p, '\\');

		if (p[0] == '\0' || p[0] == '\\') {
			fail(c, "'%s': name the hive after the root key "
					"(HKEY_LOCAL_MACHINE\\SOFTWARE\\...)",
					path);
			return NULL;
		}
		return slash ? slash + 1 : p + strlen(p);
	}
	if (eat(&p, "HKEY_CURRENT_USER")) {
		if (*p == '\0')
			return p;
		if (*p == '\\')
			return p + 1;
	}
	fail(c, "'%s' is not in a hive file: use HKEY_LOCAL_MACHINE\\NAME\\..., "
			"HKEY_USERS\\NAME\\..., HKEY_CURRENT_USER\\... or a "
			"path relative to the hive root", path);
	return NULL;
}

/*
 * Walks path (relative to the root, "" is the root itself), creating
 * missing keys when create is set.  Returns the node, or 0: *missing tells
 * "not there" from an error.
 */
static hive_node_h walk(struct ctx *c, const char *path, bool create,
		bool *missing)
{
	char *copy = xstrdup(path), *comp = copy, *next;
	hive_node_h node = hivex_root(c->h);

	*missing = false;
	if (*path == '\0')
		goto out;
	for (; comp; comp = next) {
		hive_node_h child;

		next = strchr(comp, '\\');
		if (next)
			*next++ = '\0';
		if (*comp == '\0') {
			fail(c, "empty key name in '%s'", path);
			node = 0;
			break;
		}
		if (utf16_units(comp) > KEY_NAME_MAX) {
			fail(c, "key name '%.40s...' is longer than %d "
					"characters", comp, KEY_NAME_MAX);
			node = 0;
			break;
		}
		errno = 0;
		child = hivex_node_get_child(c->h, node, comp);
		if (!child && errno) {
			fail(c, "cannot look up key '%s': %s", comp,
					strerror(errno));
			node = 0;
			break;
		}
		if (!child && !create) {
			*missing = true;
			node = 0;
			break;
		}
		if (!child) {
			child = hivex_node_add_child(c->h, node, comp);
			if (!child) {
				fail(c, "hivex cannot add key '%s': %s", comp,
						strerror(errno));
				node = 0;
				break;
			}
		}
		node = child;
	}
out:
	free(copy);
	return node;
}

/* [Key\Path] or [-Key\Path]; s is the whole line, '[' first. */
static bool key_line(struct ctx *c, char *s)
{
	size_t n = strlen(s);
	bool del = false, missing;
	const char *rel;
	hive_node_h node;

	if (n < 2 || s[n - 1] != ']') {
		fail(c, "a key line must end with ']'");
		return false;
	}
	s[n - 1] = '\0';
	s++;
	if (*s == '-') {
		del = true;
		s++;
	}
	rel = strip_root(c, s);
	if (!rel)
		return false;
	c->key = 0;
	c->in_delete = del;
	if (!del) {
		c->key = walk(c, rel, true, &missing);
		return c->key != 0;
	}
	if (*rel == '\0') {
		fail(c, "cannot delete the hive root");
		return false;
	}
	node = walk(c, rel, false, &missing);
	if (!node)
		return missing;		/* like regedit: nothing to delete */
	if (hivex_node_delete_child(c->h, node)) {
		fail(c, "hivex cannot delete '%s': %s", rel, strerror(errno));
		return false;
	}
	return true;
}

/* Removes value name (case-insensitively) from the current key, if there. */
static bool delete_value(struct ctx *c, const char *name)
{
	hive_value_h *vals = hivex_node_values(c->h, c->key);
	hive_set_value *keep = NULL;
	size_t n, k = 0, idx = SIZE_MAX;
	bool ok = false;

	if (!vals) {
		fail(c, "hivex cannot list values: %s", strerror(errno));
		return false;
	}
	for (n = 0; vals[n]; n++) {
		char *kname = hivex_value_key(c->h, vals[n]);

		if (!kname) {
			fail(c, "hivex cannot read a value name: %s",
					strerror(errno));
			goto out;
		}
		if (idx == SIZE_MAX && !strcasecmp(kname, name))
			idx = n;
		free(kname);
	}
	if (idx == SIZE_MAX) {
		ok = true;		/* like regedit: nothing to delete */
		goto out;
	}
	keep = xrealloc(NULL, n * sizeof(*keep));
	memset(keep, 0, n * sizeof(*keep));
	for (size_t i = 0; i < n; i++) {
		hive_type t;
		size_t len;

		if (i == idx)
			continue;
		keep[k].key = hivex_value_key(c->h, vals[i]);
		keep[k].value = hivex_value_value(c->h, vals[i], &t, &len);
		keep[k].t = t;
		keep[k].len = len;
		if (!keep[k].key || (!keep[k].value && len)) {
			k++;
			fail(c, "hivex cannot read a value: %s",
					strerror(errno));
			goto out;
		}
		k++;
	}
	if (hivex_node_set_values(c->h, c->key, k, keep, 0)) {
		fail(c, "hivex cannot rewrite the values: %s",
				strerror(errno));
		goto out;
	}
	ok = true;
out:
	for (size_t i = 0; i < k; i++) {
		free(keep[i].key);
		free(keep[i].value);
	}
	free(keep);
	free(vals);
	return ok;
}

/* "name"=DATA, @=DATA, "name"=- */
static bool value_line(struct ctx *c, const char *s)
{
	const char *p = s;
	char *name;
	bool ok = false;
	hive_set_value v;
	struct buf data = { 0 };

	if (!c->key) {
		fail(c, c->in_delete ? "value below a [-key] line"
				: "value before any [key] line");
		return false;
	}
	if (*p == '@') {
		name = xstrdup("");
		p++;
	} else {
		name = parse_quoted(c, &p);
		if (!name)
			return false;
	}
	if (utf16_units(name) > VALUE_NAME_MAX) {
		fail(c, "value name is longer than %d characters",
				VALUE_NAME_MAX);
		goto out;
	}
	p = skip_blanks(p);
	if (*p != '=') {
		fail(c, "expected '=' after the value name");
		goto out;
	}
	p = skip_blanks(p + 1);
	if (*p == '-') {
		if (expect_end(c, p + 1))
			ok = delete_value(c, name);
		goto out;
	}
	v.t = hive_t_REG_NONE;
	if (!parse_data(c, &p, &v.t, &data) || !expect_end(c, p))
		goto out;
	if (!data.p)
		data.p = xrealloc(NULL, 1);	/* empty: hivex copies 0 bytes */
	v.key = name;
	v.len = data.len;
	v.value = (char *)data.p;
	if (hivex_node_set_value(c->h, c->key, &v, 0)) {
		if (errno == ERANGE)
			fail(c, "hivex cannot store %zu bytes of data (at "
					"most 999996 bytes: its cells are "
					"limited to 1000000 bytes)", data.len);
		else
			fail(c, "hivex cannot set the value: %s",
					strerror(errno));
		goto out;
	}
	ok = true;
out:
	free(data.p);
	free(name);
	return ok;
}

/* class:"TEXT": the current key's class name (the boot key's hiding place) */
static bool class_line(struct ctx *c, const char *s)
{
	const char *p = s + strlen("class:");
	char *text;

	if (!c->key) {
		fail(c, "class: before any [key] line");
		return false;
	}
	p = skip_blanks(p);
	text = parse_quoted(c, &p);
	if (!text)
		return false;
	if (!expect_end(c, p)) {
		free(text);
		return false;
	}
	if (utf16_units(text) > 0xFFFF / 2) {
		free(text);
		fail(c, "class name too long");
		return false;
	}
	for (size_t i = 0; i < nclasses; i++)
		if (classes[i].node == c->key) {
			free(classes[i].text);
			classes[i].text = text;
			return true;
		}
	classes = xrealloc(classes, (nclasses + 1) * sizeof(*classes));
	classes[nclasses].node = c->key;
	classes[nclasses++].text = text;
	return true;
}

/* Value lines continue onto the next line after a trailing backslash. */
static bool continues(const char *s)
{
	bool inq = false;
	const char *last = NULL;

	if (*s != '"' && *s != '@')
		return false;
	for (const char *p = s; *p; p++) {
		if (inq && *p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			inq = !inq;
		last = p;
	}
	return !inq && last && *last == '\\';
}

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
				s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/*
 * Reads the next physical line into *line (trailing blanks and the line
 * end removed).  Returns false at EOF or on error (c->failed set).
 */
static bool read_line(struct ctx *c, FILE *fp, char **line, size_t *cap,
		unsigned long *lineno)
{
	ssize_t n = getline(line, cap, fp);

	if (n < 0) {
		if (ferror(fp))
			fail(c, "read error: %s", strerror(errno));
		return false;
	}
	(*lineno)++;
	c->line = c->line ? c->line : *lineno;
	if ((size_t)n != strlen(*line)) {
		c->line = *lineno;
		fail(c, "NUL byte in the file (UTF-16 .reg files are not "
				"supported: save it as UTF-8)");
		return false;
	}
	rstrip(*line);
	if (!utf8_valid(*line)) {
		c->line = *lineno;
		fail(c, "invalid UTF-8");
		return false;
	}
	return true;
}

static bool apply_file(struct ctx *c, const char *file)
{
	FILE *fp = fopen(file, "re");
	char *line = NULL, *s;
	size_t cap = 0;
	unsigned long lineno = 0;
	struct buf entry = { 0 };
	bool ok = true;

	c->file = file;
	c->line = 0;
	c->key = 0;
	c->in_delete = false;
	if (!fp) {
		fail(c, "%s", strerror(errno));
		return false;
	}
	if (!read_line(c, fp, &line, &cap, &lineno)) {
		if (!c->failed)
			fail(c, "empty file (the first line must be '"
					REG_HEADER "')");
		ok = false;
		goto out;
	}
	s = line;
	if (!strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;			/* a UTF-8 byte order mark */
	if (strcmp(s, REG_HEADER)) {
		fail(c, "the first line must be '" REG_HEADER "'");
		ok = false;
		goto out;
	}
	for (;;) {
		c->line = 0;
		if (!read_line(c, fp, &line, &cap, &lineno)) {
			ok = !c->failed;
			break;
		}
		s = (char *)skip_blanks(line);
		if (*s == '\0' || *s == ';')
			continue;
		entry.len = 0;
		buf_add_str(&entry, s);
		while (continues((char *)entry.p)) {
			entry.p[--entry.len] = '\0';	/* drop the backslash */
			if (!read_line(c, fp, &line, &cap, &lineno)) {
				if (!c->failed)
					fail(c, "line continuation at the end "
							"of the file");
				break;
			}
			buf_add_str(&entry, skip_blanks(line));
		}
		if (c->failed) {
			ok = false;
			break;
		}
		s = (char *)entry.p;
		if (*s == '[')
			ok = key_line(c, s);
		else if (*s == '"' || *s == '@')
			ok = value_line(c, s);
		else if (!strncmp(s, "class:", 6))
			ok = class_line(c, s);
		else {
			fail(c, "expected [key], \"name\"=value, @=value or "
					"a ; comment");
			ok = false;
		}
		if (!ok)
			break;
	}
out:
	free(entry.p);
	free(line);
	fclose(fp);
	return ok;
}

/* ---- main ------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr,
		"usage: " PROG " [-n NAME] OUT FILE.reg...\n"
		"  Writes an empty registry hive, applies the .reg files in\n"
		"  order with hivex and saves it as OUT.  NAME is the path kept\n"
		"  in the header (default: OUT's file name), e.g.\n"
		"  \\SystemRoot\\System32\\Config\\SOFTWARE.\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	const char *name = NULL, *out;
	char *tmp;
	size_t n;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			return usage();
		name = optarg;
	}
	if (argc - optind < 2)
		return usage();
	out = argv[optind];
	if (!name) {
		name = strrchr(out, '/');
		name = name ? name + 1 : out;
	}
	if (!utf8_valid(name))
		die("-n '%s': not valid UTF-8", name);

	n = strlen(out) + sizeof(".tmp");
	tmp = xrealloc(NULL, n);
	snprintf(tmp, n, "%s.tmp", out);
	tmp_path = tmp;
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	write_base(tmp, name);
	c.h = hivex_open(tmp, HIVEX_OPEN_WRITE);
	if (!c.h)
		die("%s: hivex cannot open the empty hive: %s", tmp,
				strerror(errno));
	for (int i = optind + 1; i < argc; i++) {
		if (apply_file(&c, argv[i]))
			continue;
		hivex_close(c.h);
		if (c.line)
			die("%s:%lu: %s", c.file, c.line, c.err);
		die("%s: %s", c.file, c.err);
	}
	if (hivex_commit(c.h, NULL, 0)) {
		int e = errno;

		hivex_close(c.h);
		die("%s: hivex_commit: %s", tmp, strerror(e));
	}
	hivex_close(c.h);
	finish_hive(tmp);
	if (rename(tmp, out))
		die("%s: %s", out, strerror(errno));
	tmp_path = NULL;
	cleanup();
	free(tmp);
	return 0;
}
