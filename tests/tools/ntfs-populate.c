/*
 * ntfs-populate - write files into an NTFS volume file from a text script.
 *
 * Test fixtures must be built without root, FUSE or loop devices, so this
 * drives libntfs-3g directly on a volume file made by mkntfs.  The script
 * format is documented in images/README; in short:
 *
 *	dir        /path
 *	file       /path SRC
 *	ads        /path:stream SRC
 *	link       /newpath /existingpath
 *	sparse     /path SIZE SRC
 *	compressed /path SRC
 *	symlink    /path TARGET
 *	junction   /path TARGET
 *	efs        /path SRC
 *	wof        /path FORMAT SRC
 *	wofraw     /path FORMAT SIZE SRC
 *
 * SRC is @hostfile, text:LITERAL, eicar, zeros:N or random:N:SEED, or one of
 * lnk:TARGET|ARGUMENTS (a minimal shell link), and
 * those wrapped in ZIP archives: zipnest:DEPTH:SRC, zipcrypt:SRC,
 * zipmany:COUNT:SIZE:SEED:SRC, or repeated: repeat:COUNT:SRC.
 *
 * `ntfs-populate --cat SRC` writes the bytes of SRC to stdout, so tests can
 * derive expected hashes and signatures from the same decoder;
 * `ntfs-populate --wof FORMAT SRC` writes the WofCompressedData stream that
 * `wof` would store (seeds for tests/fuzz/fuzz-wof).
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <wimlib.h>	/* before ntfs-3g: its headers use time() undeclared */

#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/reparse.h>

#define PROG		"ntfs-populate"
#define CHUNK		(64 * 1024)
#define NAME_MAX_U16	255		/* NTFS limit, in UTF-16 units */

/*
 * The EICAR test string, each byte XOR 0x5A.  Stored obfuscated so that no
 * committed file carries the signature and trips scanners on the source tree.
 */
static const unsigned char eicar_xor[68] = {
	0x02, 0x6f, 0x15, 0x7b, 0x0a, 0x7f, 0x1a, 0x1b, 0x0a, 0x01, 0x6e, 0x06,
	0x0a, 0x00, 0x02, 0x6f, 0x6e, 0x72, 0x0a, 0x04, 0x73, 0x6d, 0x19, 0x19,
	0x73, 0x6d, 0x27, 0x7e, 0x1f, 0x13, 0x19, 0x1b, 0x08, 0x77, 0x09, 0x0e,
	0x1b, 0x14, 0x1e, 0x1b, 0x08, 0x1e, 0x77, 0x1b, 0x14, 0x0e, 0x13, 0x0c,
	0x13, 0x08, 0x0f, 0x09, 0x77, 0x0e, 0x1f, 0x09, 0x0e, 0x77, 0x1c, 0x13,
	0x16, 0x1f, 0x7b, 0x7e, 0x12, 0x71, 0x12, 0x70,
};
#define EICAR_KEY	0x5A

struct ctx {
	const char *script;
	unsigned long line;
	ntfs_volume *vol;
	bool failed;
	char err[1024];
};

enum src_kind { SRC_FILE, SRC_BYTES, SRC_ZEROS, SRC_RANDOM, SRC_ZIPMANY };

struct zipmany;

struct source {
	enum src_kind kind;
	uint64_t size;
	uint64_t pos;
	FILE *fp;
	char *path;
	unsigned char *bytes;
	uint64_t rng;			/* SRC_RANDOM: the seed */
	struct zipmany *zm;		/* SRC_ZIPMANY: generated on the fly */
};

static void zipmany_free(struct zipmany *zm);
static void zipmany_fill(const struct zipmany *zm, uint64_t off,
		unsigned char *buf, size_t n);

/* A split absolute path: comp[0..n) point into buf. */
struct path {
	char *buf;
	char **comp;
	size_t n;
};

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

/*
 * libntfs-3g logs straight to stderr by default, which would break the
 * one-line error contract; NTFS_POPULATE_DEBUG brings the messages back.
 */
static void setup_logging(void)
{
	if (getenv("NTFS_POPULATE_DEBUG")) {
		ntfs_log_set_handler(ntfs_log_handler_stderr);
		ntfs_log_set_levels(NTFS_LOG_LEVEL_DEBUG | NTFS_LOG_LEVEL_TRACE |
				NTFS_LOG_LEVEL_INFO | NTFS_LOG_LEVEL_VERBOSE |
				NTFS_LOG_LEVEL_WARNING | NTFS_LOG_LEVEL_ERROR |
				NTFS_LOG_LEVEL_PERROR | NTFS_LOG_LEVEL_CRITICAL);
	} else {
		ntfs_log_set_handler(ntfs_log_handler_null);
	}
}

/* ---- numbers ---------------------------------------------------------- */

/* Sizes accept K/M/G/T binary suffixes to match the recipe format. */
static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end) {
		switch (*end) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		case 'T': case 't': shift = 40; break;
		default: return false;
		}
		if (end[1])
			return false;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* ---- sources ---------------------------------------------------------- */

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

/* Escapes let a one-line script entry produce multi-line file content. */
static bool unescape_text(const char *in, unsigned char **out, size_t *outlen,
		char *why, size_t whylen)
{
	size_t n = strlen(in), o = 0;
	unsigned char *b = malloc(n + 1);

	if (!b) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (in[i] != '\\') {
			b[o++] = (unsigned char)in[i];
			continue;
		}
		switch (in[++i]) {
		case 'n': b[o++] = '\n'; break;
		case 't': b[o++] = '\t'; break;
		case 'r': b[o++] = '\r'; break;
		case '0': b[o++] = '\0'; break;
		case '\\': b[o++] = '\\'; break;
		case 'x': {
			int hi = i + 1 < n ? hexval(in[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(in[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				snprintf(why, whylen, "bad \\x escape in text");
				free(b);
				return false;
			}
			b[o++] = (unsigned char)(hi << 4 | lo);
			i += 2;
			break;
		}
		case '\0':
			snprintf(why, whylen, "text ends with a lone backslash");
			free(b);
			return false;
		default:
			snprintf(why, whylen, "unknown escape '\\%c' in text",
					in[i]);
			free(b);
			return false;
		}
	}
	*out = b;
	*outlen = o;
	return true;
}

/* Relative host paths are anchored so recipes work from any cwd. */
static char *resolve_host_path(const char *p)
{
	const char *base = getenv("NTFS_POPULATE_SRCDIR");
	char *r;
	size_t len;

	if (p[0] == '/' || !base || !*base)
		return strdup(p);
	len = strlen(base) + 1 + strlen(p) + 1;
	r = malloc(len);
	if (r)
		snprintf(r, len, "%s/%s", base, p);
	return r;
}

static void src_free(struct source *s)
{
	if (s->fp)
		fclose(s->fp);
	free(s->path);
	free(s->bytes);
	zipmany_free(s->zm);
	memset(s, 0, sizeof(*s));
}

static bool utf8_to_ntfs(const char *in, ntfschar **out, int *outlen);

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* lnk:TARGET|ARGUMENTS — a minimal Windows shell link (MS-SHLLINK): header,
 * LinkInfo with VolumeID and an ANSI LocalBasePath (TARGET must be ASCII,
 * as ANSI paths are), Unicode COMMAND_LINE_ARGUMENTS, terminal block. What
 * a Startup-folder shortcut made by an installer looks like to a parser. */
static bool make_lnk(const char *spec, struct source *s, char *why, size_t whylen)
{
	static const unsigned char clsid[16] = { 0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
						 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };
	const char *bar = strchr(spec, '|');
	size_t tlen = bar ? (size_t)(bar - spec) : strlen(spec);
	ntfschar *args = NULL;
	int alen = 0;

	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)spec[i] >= 0x80 || spec[i] < 0x20) {
			snprintf(why, whylen, "lnk: target must be printable ASCII");
			return false;
		}
	if (tlen == 0 || tlen > 200) {
		snprintf(why, whylen, "lnk: target must be 1 to 200 characters");
		return false;
	}
	if (bar && bar[1] && (!utf8_to_ntfs(bar + 1, &args, &alen) || alen > 1000)) {
		free(args);
		snprintf(why, whylen, "lnk: bad arguments");
		return false;
	}
	/* LinkInfo: header 0x1C, VolumeID 0x11 (empty label), path, suffix "". */
	size_t vol = 0x11, li = 0x1C + vol + tlen + 1 + 1;
	size_t total = 0x4C + li + (alen ? 2 + 2 * (size_t)alen : 0) + 4;
	unsigned char *b = calloc(1, total), *p;

	if (!b) {
		free(args);
		snprintf(why, whylen, "out of memory");
		return false;
	}
	put_le32(b, 0x4C);
	memcpy(b + 4, clsid, 16);
	/* HasLinkInfo | IsUnicode, plus HasArguments */
	put_le32(b + 0x14, 0x02 | 0x80 | (alen ? 0x20 : 0));
	put_le32(b + 0x18, 0x20);          /* FILE_ATTRIBUTE_ARCHIVE */
	put_le32(b + 0x3C, 1);             /* SW_SHOWNORMAL */
	p = b + 0x4C;
	put_le32(p, (uint32_t)li);
	put_le32(p + 4, 0x1C);
	put_le32(p + 8, 1);                /* VolumeIDAndLocalBasePath */
	put_le32(p + 12, 0x1C);            /* VolumeIDOffset */
	put_le32(p + 16, (uint32_t)(0x1C + vol));       /* LocalBasePathOffset */
	put_le32(p + 20, 0);               /* no network link */
	put_le32(p + 24, (uint32_t)(0x1C + vol + tlen + 1)); /* CommonPathSuffixOffset */
	put_le32(p + 0x1C, (uint32_t)vol);
	put_le32(p + 0x1C + 4, 3);         /* DRIVE_FIXED */
	put_le32(p + 0x1C + 8, 0x4b454e53);
	put_le32(p + 0x1C + 12, 0x10);     /* label offset: an empty string */
	memcpy(p + 0x1C + vol, spec, tlen);
	p += li;
	if (alen) {
		p[0] = (unsigned char)alen;
		p[1] = (unsigned char)(alen >> 8);
		for (int i = 0; i < alen; i++) {
			uint16_t c = le16_to_cpu(args[i]);
			p[2 + 2 * i] = (unsigned char)c;
			p[3 + 2 * i] = (unsigned char)(c >> 8);
		}
	}
	free(args);
	s->kind = SRC_BYTES;
	s->bytes = b;
	s->size = total;
	return true;
}

/* The sources that are not archives; src_open() adds the ZIP wrappers. */
static bool src_open_basic(const char *spec, struct source *s, char *why,
		size_t whylen)
{
	memset(s, 0, sizeof(*s));
	if (spec[0] == '@') {
		struct stat st;

		if (!spec[1]) {
			snprintf(why, whylen, "empty host path in '@'");
			return false;
		}
		s->kind = SRC_FILE;
		s->path = resolve_host_path(spec + 1);
		if (!s->path) {
			snprintf(why, whylen, "out of memory");
			return false;
		}
		s->fp = fopen(s->path, "rb");
		if (!s->fp || fstat(fileno(s->fp), &st) != 0) {
			snprintf(why, whylen, "cannot read '%s': %s", s->path,
					strerror(errno));
			src_free(s);
			return false;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(why, whylen, "'%s' is not a regular file",
					s->path);
			src_free(s);
			return false;
		}
		s->size = (uint64_t)st.st_size;
		return true;
	}
	if (!strncmp(spec, "text:", 5)) {
		size_t n;

		s->kind = SRC_BYTES;
		if (!unescape_text(spec + 5, &s->bytes, &n, why, whylen))
			return false;
		s->size = n;
		return true;
	}
	if (!strncmp(spec, "lnk:", 4))
		return make_lnk(spec + 4, s, why, whylen);
	if (!strcmp(spec, "eicar")) {
		s->kind = SRC_BYTES;
		s->bytes = malloc(sizeof(eicar_xor));
		if (!s->bytes) {
			snprintf(why, whylen, "out of memory");
			return false;
		}
		for (size_t i = 0; i < sizeof(eicar_xor); i++)
			s->bytes[i] = eicar_xor[i] ^ EICAR_KEY;
		s->size = sizeof(eicar_xor);
		return true;
	}
	if (!strncmp(spec, "zeros:", 6)) {
		s->kind = SRC_ZEROS;
		if (!parse_size(spec + 6, &s->size)) {
			snprintf(why, whylen, "bad size in '%s'", spec);
			return false;
		}
		return true;
	}
	if (!strncmp(spec, "random:", 7)) {
		const char *colon = strchr(spec + 7, ':');
		char num[32];
		size_t nlen;

		s->kind = SRC_RANDOM;
		nlen = colon ? (size_t)(colon - (spec + 7)) : 0;
		if (!colon || nlen == 0 || nlen >= sizeof(num)) {
			snprintf(why, whylen, "expected random:N:SEED, got '%s'",
					spec);
			return false;
		}
		memcpy(num, spec + 7, nlen);
		num[nlen] = '\0';
		if (!parse_size(num, &s->size) || !parse_u64(colon + 1, &s->rng)) {
			snprintf(why, whylen, "bad size or seed in '%s'", spec);
			return false;
		}
		return true;
	}
	snprintf(why, whylen,
		"unknown source '%s' (want @path, text:..., eicar, zeros:N, "
		"random:N:SEED, zipnest:DEPTH:SRC, zipcrypt:SRC or "
		"zipmany:COUNT:SIZE:SEED:SRC)", spec);
	return false;
}

#define SPLITMIX_GAMMA	UINT64_C(0x9e3779b97f4a7c15)

/* splitmix64: tiny, well known, and identical on every platform. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += SPLITMIX_GAMMA);

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/*
 * Bytes [off, off + n) of the random:N:SEED stream: splitmix64 seeded with
 * SEED, each 64-bit output little-endian.  The generator's state is a plain
 * counter (word k comes from state SEED + k * GAMMA), so any offset can be
 * produced directly and the bytes do not depend on how reads are chunked.
 */
static void random_fill(uint64_t seed, uint64_t off, unsigned char *buf,
		size_t n)
{
	uint64_t state = seed + (off / 8) * SPLITMIX_GAMMA;
	unsigned skip = (unsigned)(off % 8);
	size_t i = 0;

	while (i < n) {
		uint64_t w = splitmix64(&state);

		for (unsigned k = skip; k < 8 && i < n; k++)
			buf[i++] = (unsigned char)(w >> (8 * k));
		skip = 0;
	}
}

/* Fills buf with the next min(len, remaining) bytes. */
static int64_t src_read(struct source *s, unsigned char *buf, size_t len,
		char *why, size_t whylen)
{
	uint64_t left = s->size - s->pos;
	size_t n = left < len ? (size_t)left : len;

	switch (s->kind) {
	case SRC_FILE:
		if (n && fread(buf, 1, n, s->fp) != n) {
			snprintf(why, whylen, "short read from '%s'", s->path);
			return -1;
		}
		break;
	case SRC_BYTES:
		memcpy(buf, s->bytes + s->pos, n);
		break;
	case SRC_ZEROS:
		memset(buf, 0, n);
		break;
	case SRC_RANDOM:
		random_fill(s->rng, s->pos, buf, n);
		break;
	case SRC_ZIPMANY:
		zipmany_fill(s->zm, s->pos, buf, n);
		break;
	}
	s->pos += n;
	return (int64_t)n;
}

/* ---- ZIP wrappers ----------------------------------------------------- */

/*
 * zipnest:DEPTH:SRC and zipcrypt:SRC build a whole archive in memory and
 * serve it as SRC_BYTES.  zipmany:COUNT:SIZE:SEED:SRC keeps only its headers
 * and SRC in memory and generates the member data as it is read
 * (SRC_ZIPMANY).  Only what the fixtures need: stored (method 0) members, no
 * data descriptor, no ZIP64, fixed timestamps so two builds give identical
 * bytes.
 */
#define ZIP_LOCAL_SIG	UINT32_C(0x04034b50)
#define ZIP_CENTRAL_SIG	UINT32_C(0x02014b50)
#define ZIP_END_SIG	UINT32_C(0x06054b50)
#define ZIP_LOCAL_LEN	30
#define ZIP_CENTRAL_LEN	46
#define ZIP_END_LEN	22
#define ZIP_CRYPT_HDR	12		/* PKWARE encryption header */
#define ZIP_DOS_TIME	0x6000		/* 12:00:00 */
#define ZIP_DOS_DATE	0x5821		/* 2024-01-01 */
#define ZIP_PASSWORD	"kenshu"
#define ZIPNEST_MAX	1000
#define ZIP_SRC_MAX	(UINT64_C(256) << 20)	/* what we hold in memory */
#define ZIP_MAX_ENTRIES	65535		/* 16-bit counts in the end record */
#define ZIP_MAX_SIZE	UINT64_C(0xFFFFFFFF)	/* 32-bit sizes and offsets */
#define ZIPMANY_PAYLOAD	"lib/zz/payload.bin"

static uint32_t crc_table[256];

/* Standard CRC-32 (reflected polynomial 0xEDB88320), as ZIP uses it. */
static void crc_init(void)
{
	if (crc_table[1])
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? UINT32_C(0xEDB88320) ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* One raw table step: what both the CRC and the ZipCrypto keys use. */
static uint32_t crc_byte(uint32_t crc, unsigned char b)
{
	return crc_table[(crc ^ b) & 0xff] ^ (crc >> 8);
}

/* Running CRC: start with 0xFFFFFFFF, XOR the end result with it. */
static uint32_t crc32_more(uint32_t crc, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		crc = crc_byte(crc, p[i]);
	return crc;
}

static uint32_t crc32_buf(const unsigned char *p, size_t n)
{
	return crc32_more(UINT32_C(0xFFFFFFFF), p, n) ^ UINT32_C(0xFFFFFFFF);
}

/* Traditional PKWARE ("ZipCrypto") stream cipher, APPNOTE.TXT 6.1. */
struct zipcrypto {
	uint32_t k0, k1, k2;
};

static void zc_update(struct zipcrypto *z, unsigned char plain)
{
	z->k0 = crc_byte(z->k0, plain);
	z->k1 = (z->k1 + (z->k0 & 0xff)) * UINT32_C(134775813) + 1;
	z->k2 = crc_byte(z->k2, (unsigned char)(z->k1 >> 24));
}

static void zc_init(struct zipcrypto *z, const char *password)
{
	z->k0 = UINT32_C(0x12345678);
	z->k1 = UINT32_C(0x23456789);
	z->k2 = UINT32_C(0x34567890);
	for (const char *p = password; *p; p++)
		zc_update(z, (unsigned char)*p);
}

static unsigned char zc_encrypt(struct zipcrypto *z, unsigned char plain)
{
	uint32_t t = (z->k2 | 2) & 0xffff;
	unsigned char cipher = plain ^ (unsigned char)((t * (t ^ 1)) >> 8);

	zc_update(z, plain);
	return cipher;
}

static unsigned char *put16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	return p + 2;
}

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	p = put16(p, v & 0xffff);
	return put16(p, v >> 16);
}

/* What the local and central headers of one member share. */
struct zip_member {
	const char *name;
	size_t nlen;
	uint32_t need;			/* APPNOTE version needed */
	uint32_t flags;			/* general purpose bits */
	uint32_t crc;
	uint32_t csize;			/* stored size (+ encryption header) */
	uint32_t usize;
	uint32_t offset;		/* of the local header */
};

/* Local file header (APPNOTE 4.3.7), no extra field, then the name. */
static unsigned char *zip_local(unsigned char *p, const struct zip_member *m)
{
	p = put32(p, ZIP_LOCAL_SIG);
	p = put16(p, m->need);
	p = put16(p, m->flags);
	p = put16(p, 0);			/* method: stored */
	p = put16(p, ZIP_DOS_TIME);
	p = put16(p, ZIP_DOS_DATE);
	p = put32(p, m->crc);
	p = put32(p, m->csize);
	p = put32(p, m->usize);
	p = put16(p, (uint32_t)m->nlen);
	p = put16(p, 0);			/* extra field length */
	memcpy(p, m->name, m->nlen);
	return p + m->nlen;
}

/* Central directory header (APPNOTE 4.3.12), then the name. */
static unsigned char *zip_central(unsigned char *p, const struct zip_member *m)
{
	p = put32(p, ZIP_CENTRAL_SIG);
	p = put16(p, 20);			/* made by: MS-DOS, 2.0 */
	p = put16(p, m->need);
	p = put16(p, m->flags);
	p = put16(p, 0);			/* method: stored */
	p = put16(p, ZIP_DOS_TIME);
	p = put16(p, ZIP_DOS_DATE);
	p = put32(p, m->crc);
	p = put32(p, m->csize);
	p = put32(p, m->usize);
	p = put16(p, (uint32_t)m->nlen);
	p = put16(p, 0);			/* extra field length */
	p = put16(p, 0);			/* comment length */
	p = put16(p, 0);			/* disk number start */
	p = put16(p, 0);			/* internal attributes */
	p = put32(p, 0x20);			/* external: FILE_ATTRIBUTE_ARCHIVE */
	p = put32(p, m->offset);
	memcpy(p, m->name, m->nlen);
	return p + m->nlen;
}

/* End of central directory record (APPNOTE 4.3.16), single disk. */
static unsigned char *zip_end(unsigned char *p, uint32_t entries,
		uint32_t cd_size, uint32_t cd_off)
{
	p = put32(p, ZIP_END_SIG);
	p = put16(p, 0);			/* this disk */
	p = put16(p, 0);			/* disk with the central directory */
	p = put16(p, entries);			/* entries on this disk */
	p = put16(p, entries);			/* entries in total */
	p = put32(p, cd_size);
	p = put32(p, cd_off);
	return put16(p, 0);			/* comment length */
}

/*
 * Returns a new buffer holding a ZIP archive whose only member is `name`
 * with contents data[0..len).  With `encrypt` the member is ZipCrypto
 * encrypted with ZIP_PASSWORD (general purpose bit 0).
 */
static unsigned char *zip_wrap(const char *name, const unsigned char *data,
		size_t len, bool encrypt, size_t *outlen, char *why,
		size_t whylen)
{
	size_t nlen = strlen(name);
	size_t csize = len + (encrypt ? ZIP_CRYPT_HDR : 0);
	size_t cd_off = ZIP_LOCAL_LEN + nlen + csize;
	size_t total = cd_off + ZIP_CENTRAL_LEN + nlen + ZIP_END_LEN;
	uint32_t crc;
	struct zip_member m = {
		.name = name,
		.nlen = nlen,
		.need = encrypt ? 20 : 10,
		.flags = encrypt ? 1 : 0,
		.csize = (uint32_t)csize,
		.usize = (uint32_t)len,
		.offset = 0,
	};
	unsigned char *buf, *p;

	if (len > UINT32_MAX - 64 || total > UINT32_MAX) {
		snprintf(why, whylen, "zip member too large (no ZIP64)");
		return NULL;
	}
	buf = malloc(total);
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	crc_init();
	crc = crc32_buf(data, len);
	m.crc = crc;

	p = zip_local(buf, &m);
	if (encrypt) {
		struct zipcrypto z;
		/* Deterministic "random" header bytes: same input, same zip. */
		uint64_t rng = crc ^ UINT64_C(0x6b656e736875);

		zc_init(&z, ZIP_PASSWORD);
		for (int i = 0; i < ZIP_CRYPT_HDR - 1; i++)
			*p++ = zc_encrypt(&z, (unsigned char)splitmix64(&rng));
		/* Last header byte: CRC high byte, the password check. */
		*p++ = zc_encrypt(&z, (unsigned char)(crc >> 24));
		for (size_t i = 0; i < len; i++)
			*p++ = zc_encrypt(&z, data[i]);
	} else {
		memcpy(p, data, len);
		p += len;
	}
	p = zip_central(p, &m);
	p = zip_end(p, 1, (uint32_t)(ZIP_CENTRAL_LEN + nlen),
			(uint32_t)cd_off);
	if ((size_t)(p - buf) != total) {
		free(buf);
		snprintf(why, whylen, "internal error: zip size mismatch");
		return NULL;
	}
	*outlen = total;
	return buf;
}

/* Reads a whole source into memory (the archive needs its CRC up front). */
static bool src_slurp(struct source *s, unsigned char **out, size_t *outlen,
		char *why, size_t whylen)
{
	unsigned char *buf;
	size_t len = 0;

	if (s->size > ZIP_SRC_MAX) {
		snprintf(why, whylen, "source of %" PRIu64 " bytes is too large "
				"to put in a zip (max %" PRIu64 ")", s->size,
				ZIP_SRC_MAX);
		return false;
	}
	/* +1: malloc(0) may return NULL. */
	buf = malloc((size_t)s->size + 1);
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	for (;;) {
		size_t want = (size_t)s->size - len;
		int64_t n = src_read(s, buf + len, want < CHUNK ? want : CHUNK,
				why, whylen);

		if (n < 0) {
			free(buf);
			return false;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	return true;
}

/* Skips a "PREFIXNUMBER:" prefix (zipnest:3:, repeat:60:) and stores the
 * number; returns NULL if spec does not start that way. */
static const char *counted_inner(const char *spec, const char *prefix, uint64_t *n)
{
	size_t pl = strlen(prefix);
	const char *p = spec + pl, *colon;
	char num[16];

	if (strncmp(spec, prefix, pl))
		return NULL;
	colon = strchr(p, ':');
	if (!colon || colon == p || (size_t)(colon - p) >= sizeof(num))
		return NULL;
	memcpy(num, p, (size_t)(colon - p));
	num[colon - p] = '\0';
	/* Decimal only: parse_u64() would read a leading 0 as octal. */
	if (strspn(num, "0123456789") != strlen(num))
		return NULL;
	*n = strtoull(num, NULL, 10);
	return colon + 1;
}

static const char *zipnest_inner(const char *spec, uint64_t *depth)
{
	return counted_inner(spec, "zipnest:", depth);
}

static const char *repeat_inner(const char *spec, uint64_t *count)
{
	return counted_inner(spec, "repeat:", count);
}

/*
 * zipmany:COUNT:SIZE:SEED:SRC - one archive with COUNT stored members
 * lib/m0000.bin, lib/m0001.bin, ... of SIZE pseudo-random bytes each, then
 * lib/zz/payload.bin = SRC.  Member I holds random:SIZE:S_I, where S_I is the
 * I-th (from 0) output of splitmix64 seeded with SEED, that is the I-th
 * little-endian 64-bit word of random:8*COUNT:SEED.
 *
 * The archive is described as a list of contiguous segments: literal bytes
 * (headers, central directory, SRC) or a random: stream.  Only the headers
 * and SRC are held in memory, so an archive near the 4 GiB ZIP limit costs
 * a few MiB; the member data is generated again on every read.
 */
struct zm_seg {
	uint64_t start;			/* offset in the archive */
	uint64_t len;			/* > 0 */
	const unsigned char *lit;	/* literal bytes, or NULL: */
	uint64_t seed;			/* random:len:seed */
};

struct zipmany {
	struct zm_seg *seg;
	size_t nseg;
	unsigned char *meta;		/* local headers, central dir, end */
	unsigned char *payload;
};

static void zipmany_free(struct zipmany *zm)
{
	if (!zm)
		return;
	free(zm->seg);
	free(zm->meta);
	free(zm->payload);
	free(zm);
}

static void zipmany_fill(const struct zipmany *zm, uint64_t off,
		unsigned char *buf, size_t n)
{
	size_t lo = 0, hi = zm->nseg;

	/* The last segment starting at or before off. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (zm->seg[mid].start <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (size_t i = lo; n > 0 && i < zm->nseg; i++) {
		const struct zm_seg *g = &zm->seg[i];
		uint64_t in = off - g->start;
		size_t take = g->len - in < n ? (size_t)(g->len - in) : n;

		if (g->lit)
			memcpy(buf, g->lit + in, take);
		else
			random_fill(g->seed, in, buf, take);
		buf += take;
		off += take;
		n -= take;
	}
}

static void zipmany_name(char *buf, size_t len, uint64_t i, uint64_t count)
{
	if (i < count)
		snprintf(buf, len, "lib/m%04" PRIu64 ".bin", i);
	else
		snprintf(buf, len, "%s", ZIPMANY_PAYLOAD);
}

/* Seed of member i: output i of splitmix64 seeded with seed. */
static uint64_t zipmany_seed(uint64_t seed, uint64_t i)
{
	uint64_t state = seed + i * SPLITMIX_GAMMA;

	return splitmix64(&state);
}

static uint32_t random_crc(uint64_t seed, uint64_t len, unsigned char *tmp)
{
	uint32_t crc = UINT32_C(0xFFFFFFFF);

	for (uint64_t off = 0; off < len; ) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;

		random_fill(seed, off, tmp, n);
		crc = crc32_more(crc, tmp, n);
		off += n;
	}
	return crc ^ UINT32_C(0xFFFFFFFF);
}

/*
 * Makes s a SRC_ZIPMANY source; takes over payload (freed on failure too).
 */
static bool zipmany_open(struct source *s, uint64_t count, uint64_t msize,
		uint64_t seed, unsigned char *payload, size_t plen, char *why,
		size_t whylen)
{
	struct zipmany *zm = NULL;
	struct zip_member m = { .need = 10 };
	unsigned char *tmp = NULL, *p, *cd;
	uint64_t members = count + 1, names = 0, meta_len, total, off;
	uint64_t cd_size;
	char name[32];
	size_t k = 0;

	if (count >= ZIP_MAX_ENTRIES) {
		snprintf(why, whylen, "zipmany: %" PRIu64 " members plus "
				ZIPMANY_PAYLOAD " is more than the %d entries "
				"a ZIP without ZIP64 can hold (COUNT at most "
				"%d)", count, ZIP_MAX_ENTRIES,
				ZIP_MAX_ENTRIES - 1);
		goto fail;
	}
	if (count > 0 && msize > ZIP_MAX_SIZE) {
		snprintf(why, whylen, "zipmany: members of %" PRIu64 " bytes "
				"are over the 4 GiB - 1 (%" PRIu64 " bytes) a "
				"ZIP without ZIP64 can hold", msize,
				ZIP_MAX_SIZE);
		goto fail;
	}
	for (uint64_t i = 0; i < members; i++) {
		zipmany_name(name, sizeof(name), i, count);
		names += strlen(name);
	}
	cd_size = members * ZIP_CENTRAL_LEN + names;
	meta_len = members * ZIP_LOCAL_LEN + names + cd_size + ZIP_END_LEN;
	/* count < 65535 and msize < 2^32: no overflow. */
	total = meta_len + count * msize + plen;
	if (total > ZIP_MAX_SIZE) {
		snprintf(why, whylen, "zipmany: the archive would be %" PRIu64
				" bytes, over the 4 GiB - 1 (%" PRIu64 " bytes) "
				"a ZIP without ZIP64 can hold", total,
				ZIP_MAX_SIZE);
		goto fail;
	}

	zm = calloc(1, sizeof(*zm));
	tmp = malloc(CHUNK);
	if (zm) {
		zm->meta = malloc((size_t)meta_len);
		/* Header + data per member, central directory + end. */
		zm->seg = calloc((size_t)(2 * members + 1), sizeof(*zm->seg));
	}
	if (!zm || !tmp || !zm->meta || !zm->seg) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	zm->payload = payload;
	payload = NULL;

	/* Local headers go to the front of meta, the central directory
	 * right after them: both are written in one pass. */
	crc_init();
	p = zm->meta;
	cd = zm->meta + (meta_len - cd_size - ZIP_END_LEN);
	off = 0;
	for (uint64_t i = 0; i < members; i++) {
		bool last = i == count;
		uint64_t dlen = last ? plen : msize;
		uint64_t mseed = last ? 0 : zipmany_seed(seed, i);

		zipmany_name(name, sizeof(name), i, count);
		m.name = name;
		m.nlen = strlen(name);
		m.crc = last ? crc32_buf(zm->payload, plen) :
				random_crc(mseed, msize, tmp);
		m.csize = m.usize = (uint32_t)dlen;
		m.offset = (uint32_t)off;

		zm->seg[k++] = (struct zm_seg){ off, ZIP_LOCAL_LEN + m.nlen,
				p, 0 };
		p = zip_local(p, &m);
		off += ZIP_LOCAL_LEN + m.nlen;
		if (dlen) {
			zm->seg[k++] = (struct zm_seg){ off, dlen,
					last ? zm->payload : NULL, mseed };
			off += dlen;
		}
		cd = zip_central(cd, &m);
	}
	zm->seg[k++] = (struct zm_seg){ off, cd_size + ZIP_END_LEN, p, 0 };
	cd = zip_end(cd, (uint32_t)members, (uint32_t)cd_size, (uint32_t)off);
	off += cd_size + ZIP_END_LEN;
	if (off != total || cd != zm->meta + meta_len ||
			p != zm->meta + (meta_len - cd_size - ZIP_END_LEN)) {
		snprintf(why, whylen, "internal error: zip size mismatch");
		goto fail;
	}
	zm->nseg = k;
	free(tmp);
	memset(s, 0, sizeof(*s));
	s->kind = SRC_ZIPMANY;
	s->zm = zm;
	s->size = total;
	return true;

fail:
	free(payload);
	free(tmp);
	zipmany_free(zm);
	return false;
}

/*
 * Skips a "zipmany:COUNT:SIZE:SEED:" prefix and parses its numbers; returns
 * NULL if spec does not have a well-formed one.
 */
static const char *zipmany_inner(const char *spec, uint64_t *count,
		uint64_t *msize, uint64_t *seed)
{
	const char *p = spec + 8;
	uint64_t *out[3] = { count, msize, seed };
	char num[32];

	if (strncmp(spec, "zipmany:", 8))
		return NULL;
	for (int i = 0; i < 3; i++) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : 0;

		if (!colon || n == 0 || n >= sizeof(num))
			return NULL;
		memcpy(num, p, n);
		num[n] = '\0';
		if (i == 0) {
			/* Decimal only, like zipnest's DEPTH. */
			if (strspn(num, "0123456789") != n || n > 19)
				return NULL;
			*out[i] = strtoull(num, NULL, 10);
		} else if (!(i == 1 ? parse_size(num, out[i]) :
				parse_u64(num, out[i]))) {
			return NULL;
		}
		p = colon + 1;
	}
	return p;
}

/*
 * The innermost SRC under any ZIP wrappers, so that the script parser knows
 * when a text: source (which takes the rest of the line) is wrapped.
 */
static const char *src_innermost(const char *spec)
{
	for (;;) {
		uint64_t depth, count, msize, seed;
		const char *inner = zipnest_inner(spec, &depth);

		if (!inner)
			inner = zipmany_inner(spec, &count, &msize, &seed);
		if (!inner)
			inner = repeat_inner(spec, &count);
		if (inner)
			spec = inner;
		else if (!strncmp(spec, "zipcrypt:", 9))
			spec += 9;
		else
			return spec;
	}
}

static bool src_open(const char *spec, struct source *s, char *why,
		size_t whylen)
{
	struct source inner;
	const char *inner_spec;
	unsigned char *data;
	size_t len;
	uint64_t depth = 1, count = 0, msize = 0, seed = 0;
	bool crypt = false, many = false, repeat = false;

	if (!strncmp(spec, "repeat:", 7)) {
		repeat = true;
		inner_spec = repeat_inner(spec, &count);
		if (!inner_spec || count < 1 || count > 1000000) {
			snprintf(why, whylen, "expected repeat:COUNT:SRC with "
					"COUNT 1..1000000, got '%s'", spec);
			return false;
		}
	} else if (!strncmp(spec, "zipcrypt:", 9)) {
		crypt = true;
		inner_spec = spec + 9;
	} else if (!strncmp(spec, "zipnest:", 8)) {
		inner_spec = zipnest_inner(spec, &depth);
		if (!inner_spec || depth < 1 || depth > ZIPNEST_MAX) {
			snprintf(why, whylen, "expected zipnest:DEPTH:SRC with "
					"DEPTH 1..%d, got '%s'", ZIPNEST_MAX,
					spec);
			return false;
		}
	} else if (!strncmp(spec, "zipmany:", 8)) {
		many = true;
		inner_spec = zipmany_inner(spec, &count, &msize, &seed);
		if (!inner_spec) {
			snprintf(why, whylen, "expected zipmany:COUNT:SIZE:SEED:"
					"SRC (COUNT decimal, SIZE as in "
					"random:N), got '%s'", spec);
			return false;
		}
	} else {
		return src_open_basic(spec, s, why, whylen);
	}

	if (!src_open(inner_spec, &inner, why, whylen))
		return false;
	if (!src_slurp(&inner, &data, &len, why, whylen)) {
		src_free(&inner);
		return false;
	}
	src_free(&inner);
	if (many)
		return zipmany_open(s, count, msize, seed, data, len, why,
				whylen);
	if (repeat) {
		unsigned char *r;

		if (len > ZIP_SRC_MAX / count) {
			snprintf(why, whylen, "repeat: %" PRIu64 " copies of %zu "
					"bytes is too large (max %" PRIu64 ")",
					count, len, ZIP_SRC_MAX);
			free(data);
			return false;
		}
		r = malloc(len * count + 1);
		if (!r) {
			snprintf(why, whylen, "out of memory");
			free(data);
			return false;
		}
		for (uint64_t i = 0; i < count; i++)
			memcpy(r + i * len, data, len);
		free(data);
		memset(s, 0, sizeof(*s));
		s->kind = SRC_BYTES;
		s->bytes = r;
		s->size = len * count;
		return true;
	}

	/* Innermost first: payload.bin, then level<DEPTH>.zip ... level2.zip;
	 * the outermost archive (level 1) is the source itself. */
	for (uint64_t level = depth; level >= 1; level--) {
		char name[32];
		unsigned char *zip;
		size_t zlen;

		if (level == depth)
			snprintf(name, sizeof(name), "payload.bin");
		else
			snprintf(name, sizeof(name), "level%" PRIu64 ".zip",
					level + 1);
		zip = zip_wrap(name, data, len, crypt, &zlen, why, whylen);
		free(data);
		if (!zip)
			return false;
		data = zip;
		len = zlen;
	}
	memset(s, 0, sizeof(*s));
	s->kind = SRC_BYTES;
	s->bytes = data;
	s->size = len;
	return true;
}

/* ---- names ------------------------------------------------------------ */

/*
 * Our own UTF-8 decoder: ntfs_mbstoucs() goes through the C library locale,
 * and tests run with LANG=C, where Japanese names would be rejected.
 */
static bool utf8_to_ntfs(const char *in, ntfschar **out, int *outlen)
{
	size_t n = strlen(in), o = 0;
	ntfschar *u = malloc((n + 1) * sizeof(*u));
	const unsigned char *p = (const unsigned char *)in;

	if (!u)
		return false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int extra;

		if (p[i] < 0x80) {
			cp = p[i];
			extra = 0;
		} else if ((p[i] & 0xE0) == 0xC0) {
			cp = p[i] & 0x1F;
			extra = 1;
		} else if ((p[i] & 0xF0) == 0xE0) {
			cp = p[i] & 0x0F;
			extra = 2;
		} else if ((p[i] & 0xF8) == 0xF0) {
			cp = p[i] & 0x07;
			extra = 3;
		} else {
			goto bad;
		}
		if (i + (size_t)extra >= n)
			goto bad;
		for (int k = 1; k <= extra; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		/* Reject overlong forms, surrogates and out-of-range values. */
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
				(extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
				(cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += (size_t)extra + 1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[o++] = cpu_to_le16((u16)(0xD800 | (cp >> 10)));
			u[o++] = cpu_to_le16((u16)(0xDC00 | (cp & 0x3FF)));
		} else {
			u[o++] = cpu_to_le16((u16)cp);
		}
	}
	u[o] = 0;
	*out = u;
	*outlen = (int)o;
	return true;
bad:
	free(u);
	errno = EILSEQ;
	return false;
}

/* Converts one name component, enforcing what NTFS itself would refuse. */
static ntfschar *to_uname(struct ctx *c, const char *name, int *len)
{
	ntfschar *u;

	if (!utf8_to_ntfs(name, &u, len)) {
		fail(c, "name '%s' is not valid UTF-8", name);
		return NULL;
	}
	if (*len == 0 || *len > NAME_MAX_U16) {
		fail(c, "name '%s' must be 1..%d UTF-16 units long", name,
				NAME_MAX_U16);
		free(u);
		return NULL;
	}
	return u;
}

static void path_free(struct path *p)
{
	free(p->buf);
	free(p->comp);
	memset(p, 0, sizeof(*p));
}

/*
 * Splits "/a/b/c" into components.  "." and ".." are refused because libntfs
 * would create them as literal names, which no Windows system could have.
 */
static bool path_split(struct ctx *c, const char *path, struct path *p)
{
	size_t cap;

	memset(p, 0, sizeof(*p));
	if (path[0] != '/') {
		fail(c, "path '%s' must be absolute", path);
		return false;
	}
	p->buf = strdup(path);
	cap = strlen(path) / 2 + 2;
	p->comp = calloc(cap, sizeof(*p->comp));
	if (!p->buf || !p->comp) {
		fail(c, "out of memory");
		path_free(p);
		return false;
	}
	for (char *s = p->buf; *s;) {
		char *e;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchr(s, '/');
		if (e)
			*e = '\0';
		if (!strcmp(s, ".") || !strcmp(s, "..")) {
			fail(c, "'.' and '..' are not allowed in '%s'", path);
			path_free(p);
			return false;
		}
		if (strchr(s, ':')) {
			fail(c, "':' is not allowed in a file name ('%s'); "
					"use 'ads' for streams", path);
			path_free(p);
			return false;
		}
		p->comp[p->n++] = s;
		if (!e)
			break;
		s = e + 1;
	}
	return true;
}

/* ---- volume operations ------------------------------------------------ */

static bool is_dir(const ntfs_inode *ni)
{
	return (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0;
}

/*
 * Looks a name up in an open directory.  Returns 1 and *mref when found,
 * 0 when absent, -1 on error.
 */
static int lookup(struct ctx *c, ntfs_inode *dir, const ntfschar *u, int len,
		const char *name, u64 *mref)
{
	u64 r;

	errno = 0;
	r = ntfs_inode_lookup_by_name(dir, u, len);
	if (r == (u64)-1) {
		if (errno == ENOENT)
			return 0;
		fail(c, "lookup of '%s' failed: %s", name, strerror(errno));
		return -1;
	}
	*mref = r;
	return 1;
}

/*
 * Opens the directory named by comp[0..n), creating missing levels when
 * asked.  Only one inode is open at any time: libntfs-3g keeps no shared
 * in-memory inode table, so opening a record twice and writing both copies
 * would corrupt it.
 */
static ntfs_inode *open_dir(struct ctx *c, char **comp, size_t n, bool create,
		const char *fullpath)
{
	ntfs_inode *dir = ntfs_inode_open(c->vol, FILE_root);

	if (!dir) {
		fail(c, "cannot open root directory: %s", strerror(errno));
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		ntfschar *u;
		int len, found;
		u64 mref = 0;

		u = to_uname(c, comp[i], &len);
		if (!u)
			goto err;
		found = lookup(c, dir, u, len, comp[i], &mref);
		if (found < 0) {
			free(u);
			goto err;
		}
		if (!found) {
			ntfs_inode *child;

			if (!create) {
				fail(c, "'%s': directory '%s' does not exist",
						fullpath, comp[i]);
				free(u);
				goto err;
			}
			child = ntfs_create(dir, const_cpu_to_le32(0), u,
					(u8)len, S_IFDIR);
			if (!child) {
				fail(c, "cannot create directory '%s' in '%s': "
						"%s", comp[i], fullpath,
						strerror(errno));
				free(u);
				goto err;
			}
			mref = MK_MREF(child->mft_no,
					le16_to_cpu(child->mrec->sequence_number));
			if (ntfs_inode_close_in_dir(child, dir)) {
				fail(c, "cannot write directory '%s': %s",
						comp[i], strerror(errno));
				free(u);
				goto err;
			}
		}
		free(u);
		if (ntfs_inode_close(dir)) {
			dir = NULL;
			fail(c, "cannot write directory: %s", strerror(errno));
			goto err;
		}
		dir = ntfs_inode_open(c->vol, MREF(mref));
		if (!dir) {
			fail(c, "cannot open '%s': %s", comp[i],
					strerror(errno));
			return NULL;
		}
		if (!is_dir(dir)) {
			fail(c, "'%s': '%s' is not a directory", fullpath,
					comp[i]);
			goto err;
		}
		/* Windows keeps junctions empty; so do we. */
		if (dir->flags & FILE_ATTR_REPARSE_POINT) {
			fail(c, "'%s': '%s' is a reparse point (junction)",
					fullpath, comp[i]);
			goto err;
		}
	}
	return dir;
err:
	if (dir)
		ntfs_inode_close(dir);
	return NULL;
}

/*
 * What a command needs to create, look up or link a name: the split path,
 * the parent directory (open) and the last component in UTF-16.  Zeroed by
 * entry_split(), so entry_close()/entry_free() are safe after any failure.
 */
struct entry {
	struct path p;
	ntfs_inode *dir;
	ntfschar *u;
	int len;
};

/* Splits path into e, refusing the root directory (it has no parent). */
static bool entry_split(struct ctx *c, const char *path, struct entry *e)
{
	memset(e, 0, sizeof(*e));
	if (!path_split(c, path, &e->p))
		return false;
	if (e->p.n == 0) {
		fail(c, "'%s' names the root directory", path);
		return false;
	}
	return true;
}

/*
 * Opens the parent of a split entry (creating missing levels when asked),
 * converts its name and looks it up.  Returns 1 and *mref when the name
 * exists, 0 when not, -1 on error.
 */
static int entry_lookup(struct ctx *c, struct entry *e, bool create,
		const char *path, u64 *mref)
{
	e->dir = open_dir(c, e->p.comp, e->p.n - 1, create, path);
	if (!e->dir)
		return -1;
	e->u = to_uname(c, e->p.comp[e->p.n - 1], &e->len);
	if (!e->u)
		return -1;
	return lookup(c, e->dir, e->u, e->len, path, mref);
}

/*
 * Readies a split entry for a new name: its parents created and the parent
 * open in e->dir, its name in e->u; refuses a name that already exists.
 */
static bool prepare_new_entry(struct ctx *c, struct entry *e,
		const char *path)
{
	u64 mref;
	int found = entry_lookup(c, e, true, path, &mref);

	if (found < 0)
		return false;
	if (found) {
		fail(c, "'%s' already exists", path);
		return false;
	}
	return true;
}

/* Creates the prepared entry as a file (S_IFREG) or directory (S_IFDIR). */
static ntfs_inode *entry_create(struct ctx *c, struct entry *e,
		const char *path, mode_t type)
{
	ntfs_inode *ni = ntfs_create(e->dir, const_cpu_to_le32(0), e->u,
			(u8)e->len, type);

	if (!ni)
		fail(c, "cannot create '%s': %s", path, strerror(errno));
	return ni;
}

/* Releases an entry, closing its parent without checking the write. */
static void entry_free(struct entry *e)
{
	if (e->dir)
		ntfs_inode_close(e->dir);
	free(e->u);
	path_free(&e->p);
	memset(e, 0, sizeof(*e));
}

/*
 * Closes ni (may be NULL; named niname in messages) through the entry's
 * parent, then the parent, then frees the entry.  Write errors turn a
 * successful ok into false; after an earlier failure they are not reported.
 */
static bool entry_close(struct ctx *c, struct entry *e, ntfs_inode *ni,
		const char *niname, const char *path, bool ok)
{
	if (ni && ntfs_inode_close_in_dir(ni, e->dir) && ok) {
		fail(c, "cannot write '%s': %s", niname, strerror(errno));
		ok = false;
	}
	if (e->dir && ntfs_inode_close(e->dir) && ok) {
		fail(c, "cannot write parent of '%s': %s", path,
				strerror(errno));
		ok = false;
	}
	e->dir = NULL;
	entry_free(e);
	return ok;
}

/*
 * Writes a whole source at offset; ntfs_attr_pwrite may write short.  A
 * compressed attribute buffers its last compression block until
 * ntfs_attr_pclose(), so `compressed` flushes it at the end.
 */
static bool write_source(struct ctx *c, ntfs_attr *na, s64 offset,
		struct source *src, const char *what, bool compressed)
{
	unsigned char *buf = malloc(CHUNK);
	char why[512];
	bool ok = false;

	if (!buf) {
		fail(c, "out of memory");
		return false;
	}
	for (;;) {
		int64_t n = src_read(src, buf, CHUNK, why, sizeof(why));
		int64_t done = 0;

		if (n < 0) {
			fail(c, "%s", why);
			goto out;
		}
		if (n == 0)
			break;
		while (done < n) {
			s64 w = ntfs_attr_pwrite(na, offset + done, n - done,
					buf + done);

			if (w <= 0) {
				fail(c, "cannot write '%s': %s", what,
						w < 0 ? strerror(errno) :
						"no progress");
				goto out;
			}
			done += w;
		}
		offset += n;
	}
	if (compressed && ntfs_attr_pclose(na)) {
		fail(c, "cannot finish compressed '%s': %s", what,
				strerror(errno));
		goto out;
	}
	ok = true;
out:
	free(buf);
	return ok;
}

enum data_mode { DATA_PLAIN, DATA_SPARSE, DATA_COMPRESSED };

static bool cmd_dir(struct ctx *c, const char *path)
{
	struct path p;
	ntfs_inode *dir;
	bool ok;

	if (!path_split(c, path, &p))
		return false;
	dir = open_dir(c, p.comp, p.n, true, path);
	ok = dir != NULL;
	if (dir && ntfs_inode_close(dir)) {
		fail(c, "cannot write '%s': %s", path, strerror(errno));
		ok = false;
	}
	path_free(&p);
	return ok;
}

/*
 * Creates a new regular file.  DATA_SPARSE places the content at the end of
 * a logical size so everything before it is a hole; DATA_COMPRESSED marks
 * the inode compressed before the (still empty) $DATA is opened, which is
 * when libntfs-3g decides whether the stream gets LZNT1 compression.
 */
static bool cmd_file(struct ctx *c, const char *path, struct source *src,
		enum data_mode mode, uint64_t size)
{
	struct entry e;
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	s64 offset = 0;
	bool ok = false;

	if (!entry_split(c, path, &e))
		goto out;
	if (mode == DATA_SPARSE) {
		if (size < src->size) {
			fail(c, "sparse size %" PRIu64 " is smaller than its "
					"content (%" PRIu64 " bytes)", size,
					src->size);
			goto out;
		}
		if (size > (uint64_t)INT64_MAX) {
			fail(c, "sparse size too large");
			goto out;
		}
		offset = (s64)(size - src->size);
	}
	if (!prepare_new_entry(c, &e, path))
		goto out;
	ni = entry_create(c, &e, path, S_IFREG);
	if (!ni)
		goto out;
	if (mode == DATA_COMPRESSED) {
		ni->flags |= FILE_ATTR_COMPRESSED;
		NInoSetDirty(ni);
		NInoFileNameSetDirty(ni);
	}
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		fail(c, "cannot open $DATA of '%s': %s", path, strerror(errno));
		goto out;
	}
	if (mode == DATA_COMPRESSED && !(na->data_flags & ATTR_IS_COMPRESSED)) {
		fail(c, "'%s': libntfs-3g refused compression (cluster size "
				"above 4 KiB or NTFS < 3.0?)", path);
		goto out;
	}
	if (mode == DATA_SPARSE && ntfs_attr_truncate(na, (s64)size)) {
		fail(c, "cannot extend '%s' to %" PRIu64 " bytes: %s", path,
				size, strerror(errno));
		goto out;
	}
	if (!write_source(c, na, offset, src, path, mode == DATA_COMPRESSED))
		goto out;
	ok = true;
out:
	if (na)
		ntfs_attr_close(na);
	return entry_close(c, &e, ni, path, path, ok);
}

/*
 * Adds the named $DATA stream su (slen UTF-16 units, named `what` in
 * messages) to an open inode and writes src into it.
 */
static bool add_stream(struct ctx *c, ntfs_inode *ni, ntfschar *su, int slen,
		struct source *src, const char *what)
{
	ntfs_attr *na;
	bool ok;

	if (ntfs_attr_exist(ni, AT_DATA, su, (u32)slen)) {
		fail(c, "stream '%s' already exists", what);
		return false;
	}
	if (ntfs_attr_add(ni, AT_DATA, su, (u8)slen, NULL, 0)) {
		fail(c, "cannot add stream '%s': %s", what, strerror(errno));
		return false;
	}
	na = ntfs_attr_open(ni, AT_DATA, su, (u32)slen);
	if (!na) {
		fail(c, "cannot open stream '%s': %s", what, strerror(errno));
		return false;
	}
	/* A named stream is compressed when its file is (libntfs-3g fixes
	 * that when it opens the empty stream). */
	ok = write_source(c, na, 0, src, what,
			(na->data_flags & ATTR_IS_COMPRESSED) != 0);
	ntfs_attr_close(na);
	return ok;
}

/* Adds a named $DATA stream, creating the file when it does not exist. */
static bool cmd_ads(struct ctx *c, const char *spec, struct source *src)
{
	const char *slash = strrchr(spec, '/');
	const char *colon = slash ? strchr(slash, ':') : NULL;
	char *path = NULL;
	struct entry e = { 0 };
	ntfs_inode *ni = NULL;
	ntfschar *su = NULL;
	int slen, found;
	u64 mref;
	bool ok = false;

	if (!colon || colon[1] == '\0') {
		fail(c, "expected /path:stream, got '%s'", spec);
		return false;
	}
	if (strchr(colon + 1, ':') || strchr(colon + 1, '/')) {
		fail(c, "stream name in '%s' must not contain ':' or '/'",
				spec);
		return false;
	}
	path = strndup(spec, (size_t)(colon - spec));
	if (!path) {
		fail(c, "out of memory");
		return false;
	}
	/* Not entry_split(): the root gets its own message here. */
	if (!path_split(c, path, &e.p))
		goto out;
	if (e.p.n == 0) {
		fail(c, "'%s': streams on the root directory are not "
				"supported", spec);
		goto out;
	}
	su = to_uname(c, colon + 1, &slen);
	if (!su)
		goto out;
	found = entry_lookup(c, &e, true, path, &mref);
	if (found < 0)
		goto out;
	if (found)
		ni = ntfs_inode_open(c->vol, MREF(mref));
	else
		ni = ntfs_create(e.dir, const_cpu_to_le32(0), e.u, (u8)e.len,
				S_IFREG);
	if (!ni) {
		fail(c, "cannot %s '%s': %s", found ? "open" : "create", path,
				strerror(errno));
		goto out;
	}
	ok = add_stream(c, ni, su, slen, src, spec);
out:
	ok = entry_close(c, &e, ni, path, path, ok);
	free(su);
	free(path);
	return ok;
}

/* Resolves an existing path to its MFT reference, leaving nothing open. */
static bool resolve(struct ctx *c, const char *path, u64 *mref)
{
	struct entry e;
	int found;
	bool ok = false;

	if (!entry_split(c, path, &e))
		goto out;
	found = entry_lookup(c, &e, false, path, mref);
	if (found < 0)
		goto out;
	if (!found) {
		fail(c, "'%s' does not exist", path);
		goto out;
	}
	ok = true;
out:
	entry_free(&e);
	return ok;
}

static bool cmd_link(struct ctx *c, const char *newpath, const char *oldpath)
{
	struct entry e;
	ntfs_inode *ni = NULL;
	u64 target;
	bool ok = false;

	/* Resolve first, so the target's parent is closed again before the
	 * link's parent is opened: the two may be the same directory. */
	if (!resolve(c, oldpath, &target))
		return false;
	if (!entry_split(c, newpath, &e) || !prepare_new_entry(c, &e, newpath))
		goto out;
	ni = ntfs_inode_open(c->vol, MREF(target));
	if (!ni) {
		fail(c, "cannot open '%s': %s", oldpath, strerror(errno));
		goto out;
	}
	if (is_dir(ni)) {
		fail(c, "'%s' is a directory; only files can be hard linked",
				oldpath);
		goto out;
	}
	if (ntfs_link(ni, e.dir, e.u, (u8)e.len)) {
		fail(c, "cannot link '%s' to '%s': %s", newpath, oldpath,
				strerror(errno));
		goto out;
	}
	ok = true;
out:
	return entry_close(c, &e, ni, oldpath, newpath, ok);
}

/*
 * Reparse points, laid out as Windows writes them (MS-FSCC 2.1.2):
 *   REPARSE_POINT header: tag, data length, reserved
 *   symlink:  SubstituteName{Offset,Length}, PrintName{Offset,Length},
 *             Flags, then PrintName and SubstituteName (no terminators),
 *             as CreateSymbolicLink stores them
 *   junction: the same without Flags, then SubstituteName and PrintName,
 *             each NUL-terminated, as mklink /J stores them
 * Offsets and lengths are in bytes into the path buffer, lengths without the
 * terminator.
 */
#define REPARSE_HDR_LEN		8
#define REPARSE_MAX_LEN		16384	/* MAXIMUM_REPARSE_DATA_BUFFER_SIZE */
#define SYMLINK_FLAG_RELATIVE	1

static bool is_drive_path(const char *t)
{
	return ((t[0] >= 'A' && t[0] <= 'Z') || (t[0] >= 'a' && t[0] <= 'z'))
		&& t[1] == ':' && t[2] == '\\';
}

static unsigned char *build_reparse(struct ctx *c, const char *target,
		bool junction, size_t *size)
{
	bool relative = !is_drive_path(target);
	ntfschar *sub = NULL, *prn = NULL;
	int sublen, prnlen;
	size_t sb, pb, fixed, data_len, total;
	char *subst = NULL;
	unsigned char *buf = NULL, *p;

	if (!*target) {
		fail(c, "empty reparse target");
		return NULL;
	}
	if (relative && junction) {
		fail(c, "junction target '%s' must be absolute, like "
				"C:\\Users", target);
		return NULL;
	}
	if (relative && (target[0] == '\\' || strchr(target, ':'))) {
		fail(c, "symlink target '%s' must be X:\\... or relative "
				"(no leading '\\', no ':')", target);
		return NULL;
	}
	if (relative) {
		subst = strdup(target);
	} else {
		size_t n = strlen(target) + 5;

		subst = malloc(n);
		if (subst)
			snprintf(subst, n, "\\??\\%s", target);
	}
	if (!subst) {
		fail(c, "out of memory");
		return NULL;
	}
	if (!utf8_to_ntfs(subst, &sub, &sublen) ||
			!utf8_to_ntfs(target, &prn, &prnlen)) {
		fail(c, "reparse target '%s' is not valid UTF-8", target);
		goto out;
	}
	sb = (size_t)sublen * 2;
	pb = (size_t)prnlen * 2;
	fixed = junction ? 8 : 12;
	data_len = fixed + sb + pb + (junction ? 4 : 0);
	total = REPARSE_HDR_LEN + data_len;
	if (total > REPARSE_MAX_LEN) {
		fail(c, "reparse target '%s' is too long", target);
		goto out;
	}
	buf = calloc(1, total);
	if (!buf) {
		fail(c, "out of memory");
		goto out;
	}
	p = put32(buf, junction ? 0xA0000003u : 0xA000000Cu);
	p = put16(p, (uint32_t)data_len);
	p = put16(p, 0);
	if (junction) {
		p = put16(p, 0);			/* substitute offset */
		p = put16(p, (uint32_t)sb);
		p = put16(p, (uint32_t)(sb + 2));	/* print offset */
		p = put16(p, (uint32_t)pb);
		memcpy(p, sub, sb);
		memcpy(p + sb + 2, prn, pb);		/* calloc: NULs */
	} else {
		p = put16(p, (uint32_t)pb);		/* substitute offset */
		p = put16(p, (uint32_t)sb);
		p = put16(p, 0);			/* print offset */
		p = put16(p, (uint32_t)pb);
		p = put32(p, relative ? SYMLINK_FLAG_RELATIVE : 0);
		memcpy(p, prn, pb);
		memcpy(p + pb, sub, sb);
	}
	*size = total;
out:
	free(subst);
	free(sub);
	free(prn);
	return buf;
}

/*
 * symlink: a regular file (empty unnamed $DATA) with a symlink reparse point;
 * junction: an empty directory with a mount-point reparse point.  libntfs-3g
 * adds the $REPARSE_POINT attribute, the $Extend/$Reparse index entry and
 * FILE_ATTR_REPARSE_POINT (also in the parent's index on close).
 */
static bool cmd_reparse(struct ctx *c, const char *path, const char *target,
		bool junction)
{
	struct entry e;
	ntfs_inode *ni = NULL;
	unsigned char *rp;
	size_t rplen = 0;
	bool ok = false;

	rp = build_reparse(c, target, junction, &rplen);
	if (!rp)
		return false;
	if (!entry_split(c, path, &e) || !prepare_new_entry(c, &e, path))
		goto out;
	ni = entry_create(c, &e, path, junction ? S_IFDIR : S_IFREG);
	if (!ni)
		goto out;
	if (ntfs_set_ntfs_reparse_data(ni, (const char *)rp, rplen,
				XATTR_CREATE)) {
		fail(c, "cannot set reparse point on '%s': %s", path,
				strerror(errno));
		goto out;
	}
	if (!(ni->flags & FILE_ATTR_REPARSE_POINT)) {
		fail(c, "'%s': libntfs-3g did not mark the file "
				"REPARSE_POINT", path);
		goto out;
	}
	ok = true;
out:
	ok = entry_close(c, &e, ni, path, path, ok);
	free(rp);
	return ok;
}

/*
 * EFS, as Windows leaves an encrypted file on disk: the ciphertext in the
 * unnamed $DATA, which is non-resident and flagged ATTR_IS_ENCRYPTED;
 * FILE_ATTR_ENCRYPTED in $STANDARD_INFORMATION and in the parent's index
 * entry; the wrapped file encryption keys in a $LOGGED_UTILITY_STREAM named
 * $EFS.  SRC plays the ciphertext, and $EFS is a dummy holding no key.
 *
 * libntfs-3g will not write to an encrypted attribute (EACCES, as it will
 * not read one), so the data is written first and the flags set afterwards
 * by editing the attribute record.  ntfs_set_efs_info() would set them too,
 * but it expects the padded raw format of ntfs-3g's efs_raw mount option.
 */
#define EFS_HDR_LEN	76	/* sizeof(EFS_ATTR_HEADER) */
#define EFS_INFO_LEN	96	/* ntfs.sys rejects $EFS values <= 0x54 bytes */
#define EFS_MARKER	"KENSHU-DUMMY-EFS"

_Static_assert(sizeof(EFS_ATTR_HEADER) == EFS_HDR_LEN,
		"EFS_ATTR_HEADER layout");
_Static_assert(EFS_HDR_LEN + 4 + sizeof(EFS_MARKER) - 1 == EFS_INFO_LEN,
		"$EFS blob layout");

static ntfschar efs_stream_name[] = {
	const_cpu_to_le16('$'), const_cpu_to_le16('E'),
	const_cpu_to_le16('F'), const_cpu_to_le16('S'),
};

/*
 * A well-formed but empty $EFS value: EFS_ATTR_HEADER (version 2, zero
 * GUID and checksums), a data decryption field array with no entries, no
 * recovery field array, and a marker saying what this is.
 */
static void build_efs_info(unsigned char *b)
{
	unsigned char *p;

	memset(b, 0, EFS_INFO_LEN);
	p = put32(b, EFS_INFO_LEN);		/* length */
	p = put32(p, 0);			/* state */
	p = put32(p, 2);			/* version */
	put32(p, 0);				/* crypto API version */
	p = put32(b + 64, EFS_HDR_LEN);		/* offset to the DDF array */
	p = put32(p, 0);			/* no DRF array */
	p = put32(p, 0);			/* reserved */
	p = put32(p, 0);			/* DDF array: df_count 0 */
	memcpy(p, EFS_MARKER, sizeof(EFS_MARKER) - 1);
}

static bool cmd_efs(struct ctx *c, const char *path, struct source *src)
{
	struct entry e;
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	ntfs_attr_search_ctx *actx = NULL;
	unsigned char info[EFS_INFO_LEN];
	bool ok = false;

	if (!entry_split(c, path, &e) || !prepare_new_entry(c, &e, path))
		goto out;
	ni = entry_create(c, &e, path, S_IFREG);
	if (!ni)
		goto out;
	if (ni->flags & FILE_ATTR_COMPRESSED) {
		fail(c, "'%s': a compressed file cannot be encrypted", path);
		goto out;
	}
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		fail(c, "cannot open $DATA of '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!write_source(c, na, 0, src, path, false))
		goto out;
	/* Encrypted data is always non-resident, however small. */
	if (!NAttrNonResident(na) && ntfs_attr_force_non_resident(na)) {
		fail(c, "cannot make $DATA of '%s' non-resident: %s", path,
				strerror(errno));
		goto out;
	}
	ntfs_attr_close(na);
	na = NULL;

	build_efs_info(info);
	if (ntfs_attr_add(ni, AT_LOGGED_UTILITY_STREAM, efs_stream_name, 4,
				info, sizeof(info))) {
		fail(c, "cannot add $EFS to '%s': %s", path, strerror(errno));
		goto out;
	}

	/* Looked up only now: adding $EFS may have moved the record. */
	actx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!actx || ntfs_attr_lookup(AT_DATA, AT_UNNAMED, 0, CASE_SENSITIVE,
				0, NULL, 0, actx)) {
		fail(c, "cannot find $DATA of '%s': %s", path, strerror(errno));
		goto out;
	}
	actx->attr->flags |= ATTR_IS_ENCRYPTED;
	ntfs_inode_mark_dirty(actx->ntfs_ino);	/* may be an extent record */
	/* Written to $STANDARD_INFORMATION and the index entry on close. */
	ni->flags |= FILE_ATTR_ENCRYPTED;
	NInoSetDirty(ni);
	NInoFileNameSetDirty(ni);
	ok = true;
out:
	if (actx)
		ntfs_attr_put_search_ctx(actx);
	if (na)
		ntfs_attr_close(na);
	return entry_close(c, &e, ni, path, path, ok);
}

/*
 * CompactOS (Windows Overlay Filter, WOF), as `compact /CompactOS` and
 * Windows 10 IoT images leave system files: the unnamed $DATA is sparse,
 * keeps the original size and has no clusters (without the filter it reads
 * as zeros); the compressed bytes are in the named $DATA stream
 * WofCompressedData; a $REPARSE_POINT with tag IO_REPARSE_TAG_WOF tells the
 * filter how to decode them: WOF_EXTERNAL_INFO {Version, Provider} then
 * FILE_PROVIDER_EXTERNAL_INFO_V1 {Version, CompressionFormat}, four ULONGs.
 *
 * WofCompressedData: a table of (chunks - 1) little-endian offsets, 4 bytes
 * each below 4 GiB of logical size, else 8, each the end of a chunk counted
 * from the end of the table; then the chunks, each the XPRESS (Huffman) or
 * LZX compression of chunk-size bytes of the file (the last: the rest), or
 * those bytes as they are when compression did not make them smaller.
 */
#define WOF_REPARSE_TAG		0x80000017u	/* IO_REPARSE_TAG_WOF */
#define WOF_CURRENT_VERSION	1
#define WOF_PROVIDER_FILE	2
#define FILE_PROVIDER_VERSION	1
#define WOF_DATA_LEN		16
#define WOF_STREAM		"WofCompressedData"
#define WOF_SRC_MAX		(UINT64_C(256) << 20)	/* held in memory */

/* FILE_PROVIDER_EXTERNAL_INFO_V1.CompressionFormat and its chunk size. */
static const struct {
	const char *name;
	uint32_t chunk;
} wof_formats[] = {
	{ "xpress4k", 4096 },		/* 0 */
	{ "lzx", 32768 },		/* 1 */
	{ "xpress8k", 8192 },		/* 2 */
	{ "xpress16k", 16384 },		/* 3 */
};
#define WOF_NFORMATS	(sizeof(wof_formats) / sizeof(wof_formats[0]))

/* A format name, or (raw only: for hostile fixtures) any 32-bit number. */
static bool parse_wof_format(const char *s, bool raw, uint32_t *fmt)
{
	uint64_t v;

	for (uint32_t i = 0; i < WOF_NFORMATS; i++)
		if (!strcmp(s, wof_formats[i].name)) {
			*fmt = i;
			return true;
		}
	if (!raw || strspn(s, "0123456789") != strlen(s) ||
			strlen(s) > 10 || !parse_u64(s, &v) ||
			v > UINT32_MAX)
		return false;
	*fmt = (uint32_t)v;
	return true;
}

/*
 * Compresses src as Windows does for the format: chunk by chunk with
 * wimlib's compressor (the XPRESS and LZX formats of WIM resources are those
 * of WOF), each chunk stored as it is unless it got smaller.  Replaces src
 * with the WofCompressedData bytes and sets *size to the logical size.
 */
static bool wof_compress(struct ctx *c, uint32_t fmt, struct source *src,
		uint64_t *size)
{
	uint32_t chunk = wof_formats[fmt].chunk;
	struct wimlib_compressor *comp = NULL;
	unsigned char *in = NULL, *out = NULL;
	size_t len, nchunks, table, pos;
	char why[512];
	bool ok = false;
	int rc;

	if (src->size > WOF_SRC_MAX) {
		fail(c, "WOF source of %" PRIu64 " bytes is too large (max %"
				PRIu64 ")", src->size, WOF_SRC_MAX);
		return false;
	}
	if (!src_slurp(src, &in, &len, why, sizeof(why))) {
		fail(c, "%s", why);
		return false;
	}
	if (len == 0) {
		fail(c, "WOF source is empty (CompactOS does not compress "
				"empty files)");
		goto out;
	}
	nchunks = (len + chunk - 1) / chunk;
	/* len <= WOF_SRC_MAX < 4 GiB: 4-byte table entries. */
	table = (nchunks - 1) * 4;
	out = malloc(table + len);
	if (!out) {
		fail(c, "out of memory");
		goto out;
	}
	rc = wimlib_create_compressor(fmt == 1 ? WIMLIB_COMPRESSION_TYPE_LZX :
			WIMLIB_COMPRESSION_TYPE_XPRESS, chunk, 0, &comp);
	if (rc) {
		fail(c, "wimlib_create_compressor: %s",
				wimlib_get_error_string((enum wimlib_error_code)rc));
		goto out;
	}
	pos = table;
	for (size_t i = 0; i < nchunks; i++) {
		size_t usize = len - i * chunk < chunk ? len - i * chunk : chunk;
		/* Room for usize - 1 bytes: 0 means "did not shrink". */
		size_t n = wimlib_compress(in + i * chunk, usize, out + pos,
				usize - 1, comp);

		if (n == 0) {
			memcpy(out + pos, in + i * chunk, usize);
			n = usize;
		}
		pos += n;
		if (i + 1 < nchunks)
			put32(out + 4 * i, (uint32_t)(pos - table));
	}
	src_free(src);
	src->kind = SRC_BYTES;
	src->bytes = out;
	src->size = pos;
	out = NULL;
	*size = len;
	ok = true;
out:
	wimlib_free_compressor(comp);
	free(in);
	free(out);
	return ok;
}

/* True when the (non-resident) attribute has no cluster allocated. */
static bool no_clusters(ntfs_attr *na)
{
	if (!NAttrNonResident(na))
		return na->data_size == 0;
	if (ntfs_attr_map_whole_runlist(na))
		return false;
	for (const runlist_element *rl = na->rl; rl && rl->length; rl++)
		if (rl->lcn >= 0)
			return false;
	return true;
}

/* wof (compress) or wofraw (src written as it is, size given). */
static bool cmd_wof(struct ctx *c, const char *path, uint32_t fmt,
		uint64_t size, bool raw, struct source *src)
{
	struct entry e;
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	ntfschar *su = NULL;
	char *what = NULL;
	unsigned char rp[REPARSE_HDR_LEN + WOF_DATA_LEN], *p;
	size_t wlen;
	int slen;
	bool ok = false;

	if (!entry_split(c, path, &e))
		goto out;
	if (!raw && !wof_compress(c, fmt, src, &size))
		goto out;
	if (size == 0 || size > (uint64_t)INT64_MAX) {
		fail(c, "WOF size must be 1 to 2^63-1 bytes");
		goto out;
	}
	wlen = strlen(path) + sizeof(":" WOF_STREAM);
	what = malloc(wlen);
	su = to_uname(c, WOF_STREAM, &slen);
	if (!what || !su) {
		fail(c, "out of memory");
		goto out;
	}
	snprintf(what, wlen, "%s:" WOF_STREAM, path);
	if (!prepare_new_entry(c, &e, path))
		goto out;
	ni = entry_create(c, &e, path, S_IFREG);
	if (!ni)
		goto out;
	if (ni->flags & FILE_ATTR_COMPRESSED) {
		fail(c, "'%s': WOF does not apply to NTFS-compressed files",
				path);
		goto out;
	}

	/* The main stream: made non-resident while still empty, so that
	 * growing it adds a hole instead of allocating clusters. */
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		fail(c, "cannot open $DATA of '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!NAttrNonResident(na) && ntfs_attr_force_non_resident(na)) {
		fail(c, "cannot make $DATA of '%s' non-resident: %s", path,
				strerror(errno));
		goto out;
	}
	if (ntfs_attr_truncate(na, (s64)size)) {
		fail(c, "cannot extend '%s' to %" PRIu64 " bytes: %s", path,
				size, strerror(errno));
		goto out;
	}
	if (!NAttrSparse(na) || !no_clusters(na)) {
		fail(c, "'%s': libntfs-3g did not leave $DATA a sparse hole",
				path);
		goto out;
	}
	ntfs_attr_close(na);
	na = NULL;

	if (!add_stream(c, ni, su, slen, src, what))
		goto out;

	p = put32(rp, WOF_REPARSE_TAG);
	p = put16(p, WOF_DATA_LEN);
	p = put16(p, 0);
	p = put32(p, WOF_CURRENT_VERSION);
	p = put32(p, WOF_PROVIDER_FILE);
	p = put32(p, FILE_PROVIDER_VERSION);
	put32(p, fmt);
	if (ntfs_set_ntfs_reparse_data(ni, (const char *)rp, sizeof(rp),
				XATTR_CREATE)) {
		fail(c, "cannot set reparse point on '%s': %s", path,
				strerror(errno));
		goto out;
	}
	if (!(ni->flags & FILE_ATTR_REPARSE_POINT) ||
			!(ni->flags & FILE_ATTR_SPARSE_FILE)) {
		fail(c, "'%s': libntfs-3g did not mark the file "
				"REPARSE_POINT and SPARSE_FILE", path);
		goto out;
	}
	ok = true;
out:
	if (na)
		ntfs_attr_close(na);
	ok = entry_close(c, &e, ni, path, path, ok);
	free(su);
	free(what);
	return ok;
}

/* ---- script parsing --------------------------------------------------- */

/*
 * Splits off the next whitespace-separated token, in place.  Double quotes
 * group words (\" and \\ escape inside them).  Returns 1 with *tok set,
 * 0 at end of line, -1 on a syntax error.
 */
static int next_token(struct ctx *c, char **cur, char **tok)
{
	char *s = *cur, *o;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s) {
		*cur = s;
		return 0;
	}
	if (*s != '"') {
		*tok = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
		*cur = s;
		return 1;
	}
	*tok = o = ++s;
	for (;;) {
		if (!*s) {
			fail(c, "unterminated double quote");
			return -1;
		}
		if (*s == '"')
			break;
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		*o++ = *s++;
	}
	s++;
	if (*s && *s != ' ' && *s != '\t') {
		fail(c, "junk after closing double quote");
		return -1;
	}
	*o = '\0';
	*cur = s;
	return 1;
}

/*
 * A text: source swallows the rest of the line, spaces included, also when
 * it is wrapped (zipcrypt:text:..., zipnest:3:text:...).
 */
static int next_source(struct ctx *c, char **cur, char **tok)
{
	char *s = *cur;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!strncmp(src_innermost(s), "text:", 5)) {
		*tok = s;
		*cur = s + strlen(s);
		return 1;
	}
	*cur = s;
	return next_token(c, cur, tok);
}

static bool expect_end(struct ctx *c, char **cur)
{
	char *extra;
	int r = next_token(c, cur, &extra);

	if (r < 0)
		return false;
	if (r > 0) {
		fail(c, "unexpected extra argument '%s'", extra);
		return false;
	}
	return true;
}

static bool need(struct ctx *c, int r, const char *cmd, const char *what)
{
	if (r > 0)
		return true;
	if (r == 0)
		fail(c, "'%s' needs %s", cmd, what);
	return false;
}

static bool with_source(struct ctx *c, const char *spec, struct source *src)
{
	char why[512];

	if (!src_open(spec, src, why, sizeof(why))) {
		fail(c, "%s", why);
		return false;
	}
	return true;
}

static bool run_line(struct ctx *c, char *line)
{
	char *cur = line, *cmd, *a = NULL, *b = NULL, *spec = NULL;
	struct source src = { 0 };
	uint64_t size = 0;
	uint32_t wfmt = 0;
	bool ok = false;
	int r;

	r = next_token(c, &cur, &cmd);
	if (r <= 0)
		return r == 0;

	if (!strcmp(cmd, "dir")) {
		if (!need(c, next_token(c, &cur, &a), cmd, "a path") ||
				!expect_end(c, &cur))
			return false;
		return cmd_dir(c, a);
	}
	if (!strcmp(cmd, "symlink") || !strcmp(cmd, "junction")) {
		if (!need(c, next_token(c, &cur, &a), cmd, "/path TARGET") ||
				!need(c, next_token(c, &cur, &b), cmd,
					"/path TARGET") ||
				!expect_end(c, &cur))
			return false;
		return cmd_reparse(c, a, b, !strcmp(cmd, "junction"));
	}
	if (!strcmp(cmd, "link")) {
		if (!need(c, next_token(c, &cur, &a), cmd, "/newpath /existing")
				|| !need(c, next_token(c, &cur, &b), cmd,
					"/newpath /existing")
				|| !expect_end(c, &cur))
			return false;
		return cmd_link(c, a, b);
	}
	if (strcmp(cmd, "file") && strcmp(cmd, "ads") &&
			strcmp(cmd, "sparse") && strcmp(cmd, "compressed") &&
			strcmp(cmd, "efs") && strcmp(cmd, "wof") &&
			strcmp(cmd, "wofraw")) {
		fail(c, "unknown command '%s'", cmd);
		return false;
	}
	if (!need(c, next_token(c, &cur, &a), cmd, "a path"))
		return false;
	if (!strcmp(cmd, "wof") || !strcmp(cmd, "wofraw")) {
		bool raw = !strcmp(cmd, "wofraw");

		if (!need(c, next_token(c, &cur, &b), cmd, "a format"))
			return false;
		if (!parse_wof_format(b, raw, &wfmt)) {
			fail(c, raw ? "bad WOF format '%s' (xpress4k, xpress8k, "
					"xpress16k, lzx or a number)" :
					"unknown WOF format '%s' (xpress4k, "
					"xpress8k, xpress16k or lzx; for raw "
					"WofCompressedData bytes: wofraw /path "
					"FORMAT SIZE SRC)", b);
			return false;
		}
	}
	if (!strcmp(cmd, "sparse") || !strcmp(cmd, "wofraw")) {
		if (!need(c, next_token(c, &cur, &b), cmd, "a size"))
			return false;
		if (!parse_size(b, &size)) {
			fail(c, "bad size '%s'", b);
			return false;
		}
	}
	if (!need(c, next_source(c, &cur, &spec), cmd, "a source") ||
			!expect_end(c, &cur) || !with_source(c, spec, &src))
		return false;

	if (!strcmp(cmd, "file"))
		ok = cmd_file(c, a, &src, DATA_PLAIN, 0);
	else if (!strcmp(cmd, "sparse"))
		ok = cmd_file(c, a, &src, DATA_SPARSE, size);
	else if (!strcmp(cmd, "compressed"))
		ok = cmd_file(c, a, &src, DATA_COMPRESSED, 0);
	else if (!strcmp(cmd, "efs"))
		ok = cmd_efs(c, a, &src);
	else if (!strcmp(cmd, "wof") || !strcmp(cmd, "wofraw"))
		ok = cmd_wof(c, a, wfmt, size, !strcmp(cmd, "wofraw"), &src);
	else
		ok = cmd_ads(c, a, &src);
	src_free(&src);
	return ok;
}

static bool run_script(struct ctx *c, FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool ok = true;

	while ((n = getline(&line, &cap, fp)) >= 0) {
		char *s = line;

		c->line++;
		if ((size_t)n != strlen(line)) {
			fail(c, "NUL byte in script");
			ok = false;
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (!run_line(c, s)) {
			ok = false;
			break;
		}
	}
	if (ok && ferror(fp)) {
		fail(c, "read error: %s", strerror(errno));
		ok = false;
	}
	free(line);
	return ok;
}

/* ---- main ------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr,
		"usage: " PROG " VOLUME_FILE SCRIPT\n"
		"       " PROG " --cat SRC\n"
		"       " PROG " --wof FORMAT SRC\n"
		"script commands (one per line, # comments):\n"
		"  dir /path\n"
		"  file /path SRC\n"
		"  ads /path:stream SRC\n"
		"  link /newpath /existingpath\n"
		"  sparse /path SIZE SRC\n"
		"  compressed /path SRC\n"
		"  symlink /path TARGET       (TARGET: C:\\dir\\file or relative)\n"
		"  junction /path TARGET      (TARGET: C:\\dir)\n"
		"  efs /path SRC              (EFS-encrypted; SRC as ciphertext)\n"
		"  wof /path FORMAT SRC       (CompactOS: SRC compressed into "
		"WofCompressedData;\n"
		"                             FORMAT xpress4k|xpress8k|xpress16k|lzx)\n"
		"  wofraw /path FORMAT SIZE SRC (CompactOS, SIZE bytes; SRC as "
		"WofCompressedData;\n"
		"                             FORMAT as above or a number)\n"
		"SRC: @hostfile | text:LITERAL | eicar | zeros:N | "
		"random:N:SEED |\n"
		"     zipnest:DEPTH:SRC | zipcrypt:SRC | "
		"zipmany:COUNT:SIZE:SEED:SRC |\n"
		"     repeat:COUNT:SRC\n");
	return 2;
}

/* --wof FORMAT SRC: the WofCompressedData bytes `wof` would store, for
 * the WOF fuzz target's seeds (tests/fuzz/mkseeds.sh). */
static int cat_wof(const char *format, const char *spec)
{
	struct ctx c = { .script = "--wof" };
	struct source src;
	uint32_t fmt;
	uint64_t size;
	char why[512];

	if (!parse_wof_format(format, false, &fmt)) {
		fprintf(stderr, PROG ": unknown WOF format '%s'\n", format);
		return 1;
	}
	if (!src_open(spec, &src, why, sizeof(why))) {
		fprintf(stderr, PROG ": %s\n", why);
		return 1;
	}
	if (!wof_compress(&c, fmt, &src, &size)) {
		fprintf(stderr, PROG ": %s\n", c.err);
		src_free(&src);
		return 1;
	}
	int rc = fwrite(src.bytes, 1, (size_t)src.size, stdout) == src.size && fflush(stdout) == 0 ? 0 : 1;
	if (rc)
		fprintf(stderr, PROG ": write error: %s\n", strerror(errno));
	src_free(&src);
	return rc;
}

static int cat_source(const char *spec)
{
	struct source src;
	unsigned char *buf;
	char why[512];
	int rc = 0;

	if (!src_open(spec, &src, why, sizeof(why))) {
		fprintf(stderr, PROG ": %s\n", why);
		return 1;
	}
	buf = malloc(CHUNK);
	if (!buf) {
		fprintf(stderr, PROG ": out of memory\n");
		src_free(&src);
		return 1;
	}
	for (;;) {
		int64_t n = src_read(&src, buf, CHUNK, why, sizeof(why));

		if (n < 0) {
			fprintf(stderr, PROG ": %s\n", why);
			rc = 1;
			break;
		}
		if (n == 0)
			break;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			fprintf(stderr, PROG ": write error: %s\n",
					strerror(errno));
			rc = 1;
			break;
		}
	}
	if (fflush(stdout) != 0 && !rc) {
		fprintf(stderr, PROG ": write error: %s\n", strerror(errno));
		rc = 1;
	}
	free(buf);
	src_free(&src);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	FILE *fp;
	bool ok;

	if (argc == 3 && !strcmp(argv[1], "--cat"))
		return cat_source(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "--wof"))
		return cat_wof(argv[2], argv[3]);
	if (argc != 3 || argv[1][0] == '-')
		return usage();

	setup_logging();
	c.script = argv[2];
	fp = fopen(c.script, "r");
	if (!fp) {
		fprintf(stderr, PROG ": %s: %s\n", c.script, strerror(errno));
		return 1;
	}
	c.vol = ntfs_mount(argv[1], NTFS_MNT_NONE);
	if (!c.vol) {
		fprintf(stderr, PROG ": %s: cannot mount read-write: %s\n",
				argv[1], strerror(errno));
		fclose(fp);
		return 1;
	}
	/* Compression is opt-in per volume in libntfs-3g; files only get it
	 * when their inode asks (see cmd_file), so enabling it is harmless. */
	NVolSetCompression(c.vol);

	ok = run_script(&c, fp);
	fclose(fp);

	if (ntfs_umount(c.vol, FALSE)) {
		if (ok) {
			fprintf(stderr, PROG ": %s: unmount failed: %s\n",
					argv[1], strerror(errno));
			return 1;
		}
	}
	if (!ok) {
		fprintf(stderr, PROG ": %s:%lu: %s\n", c.script, c.line, c.err);
		return 1;
	}
	return 0;
}
