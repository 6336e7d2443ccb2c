/* quarantine: Defender's Entries and ResourceData files (layout in
 * artifacts.h). Every length is compared with what is left of the section
 * it lies in, as "len <= end - off", so nothing can overflow.
 *
 * RC4 is our own few lines rather than OpenSSL's: OpenSSL 3 keeps RC4 in
 * its legacy provider, which a distribution may leave out or a FIPS
 * configuration may forbid, and a scan must not depend on that. The key is
 * public and nothing secret is protected; tests/tools/mkquarantine.c
 * encrypts with OpenSSL's RC4, so the two are checked against each other. */
#include <kenshu/artifacts.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kenshu/core.h>

static const uint8_t quar_key[256] = {
	0x1E, 0x87, 0x78, 0x1B, 0x8D, 0xBA, 0xA8, 0x44, 0xCE, 0x69, 0x70, 0x2C, 0x0C, 0x78, 0xB7, 0x86,
	0xA3, 0xF6, 0x23, 0xB7, 0x38, 0xF5, 0xED, 0xF9, 0xAF, 0x83, 0x53, 0x0F, 0xB3, 0xFC, 0x54, 0xFA,
	0xA2, 0x1E, 0xB9, 0xCF, 0x13, 0x31, 0xFD, 0x0F, 0x0D, 0xA9, 0x54, 0xF6, 0x87, 0xCB, 0x9E, 0x18,
	0x27, 0x96, 0x97, 0x90, 0x0E, 0x53, 0xFB, 0x31, 0x7C, 0x9C, 0xBC, 0xE4, 0x8E, 0x23, 0xD0, 0x53,
	0x71, 0xEC, 0xC1, 0x59, 0x51, 0xB8, 0xF3, 0x64, 0x9D, 0x7C, 0xA3, 0x3E, 0xD6, 0x8D, 0xC9, 0x04,
	0x7E, 0x82, 0xC9, 0xBA, 0xAD, 0x97, 0x99, 0xD0, 0xD4, 0x58, 0xCB, 0x84, 0x7C, 0xA9, 0xFF, 0xBE,
	0x3C, 0x8A, 0x77, 0x52, 0x33, 0x55, 0x7D, 0xDE, 0x13, 0xA8, 0xB1, 0x40, 0x87, 0xCC, 0x1B, 0xC8,
	0xF1, 0x0F, 0x6E, 0xCD, 0xD0, 0x83, 0xA9, 0x59, 0xCF, 0xF8, 0x4A, 0x9D, 0x1D, 0x50, 0x75, 0x5E,
	0x3E, 0x19, 0x18, 0x18, 0xAF, 0x23, 0xE2, 0x29, 0x35, 0x58, 0x76, 0x6D, 0x2C, 0x07, 0xE2, 0x57,
	0x12, 0xB2, 0xCA, 0x0B, 0x53, 0x5E, 0xD8, 0xF6, 0xC5, 0x6C, 0xE7, 0x3D, 0x24, 0xBD, 0xD0, 0x29,
	0x17, 0x71, 0x86, 0x1A, 0x54, 0xB4, 0xC2, 0x85, 0xA9, 0xA3, 0xDB, 0x7A, 0xCA, 0x6D, 0x22, 0x4A,
	0xEA, 0xCD, 0x62, 0x1D, 0xB9, 0xF2, 0xA2, 0x2E, 0xD1, 0xE9, 0xE1, 0x1D, 0x75, 0xBE, 0xD7, 0xDC,
	0x0E, 0xCB, 0x0A, 0x8E, 0x68, 0xA2, 0xFF, 0x12, 0x63, 0x40, 0x8D, 0xC8, 0x08, 0xDF, 0xFD, 0x16,
	0x4B, 0x11, 0x67, 0x74, 0xCD, 0x0B, 0x9B, 0x8D, 0x05, 0x41, 0x1E, 0xD6, 0x26, 0x2E, 0x42, 0x9B,
	0xA4, 0x95, 0x67, 0x6B, 0x83, 0x98, 0xDB, 0x2F, 0x35, 0xD3, 0xC1, 0xB9, 0xCE, 0xD5, 0x26, 0x36,
	0xF2, 0x76, 0x5E, 0x1A, 0x95, 0xCB, 0x7C, 0xA4, 0xC3, 0xDD, 0xAB, 0xDD, 0xBF, 0xF3, 0x82, 0x53,
};

#define HDR_SIZE 60u
#define HDR_S1 0x28u
#define HDR_S2 0x2Cu
#define S1_TIME 0x20u
#define S1_THREAT 0x28u
#define S1_NAME 0x34u
#define F_RESOURCE_ID 0x02u
#define F_PHYSICAL_PATH 0x0Cu
#define F_CTIME 0x0Fu
#define F_ATIME 0x10u
#define F_MTIME 0x11u
#define RD_SD_LEN 0x08u
#define RD_SD 0x14u
#define STREAM_HDR 20u          /* WIN32_STREAM_ID before its name */
#define STREAM_DATA 1u
#define MAX_STREAMS 64u

void quar_rc4(const void *in, void *out, size_t n)
{
	uint8_t s[256], t;
	const uint8_t *src = in;
	uint8_t *dst = out;
	unsigned i, j = 0;

	for (i = 0; i < 256; i++)
		s[i] = (uint8_t)i;
	for (i = 0; i < 256; i++) {
		j = (j + s[i] + quar_key[i]) & 0xFF;
		t = s[i]; s[i] = s[j]; s[j] = t;
	}
	i = j = 0;
	for (size_t k = 0; k < n; k++) {
		i = (i + 1) & 0xFF;
		j = (j + s[i]) & 0xFF;
		t = s[i]; s[i] = s[j]; s[j] = t;
		dst[k] = src[k] ^ s[(s[i] + s[j]) & 0xFF];
	}
}

static uint8_t *decrypt(const uint8_t *p, size_t n)
{
	uint8_t *d = xmalloc(n ? n : 1);
	quar_rc4(p, d, n);
	return d;
}

/* UTF-16LE from off up to its U+0000 inside [off, end): *next past the
 * terminator. Returns NULL when there is no terminator. */
static char *wstr(const uint8_t *d, size_t off, size_t end, size_t *next, bool *lossy)
{
	for (size_t k = off; end - k >= 2 && k < end; k += 2) {
		if (d[k] == 0 && d[k + 1] == 0) {
			*next = k + 2;
			return utf16le_to_utf8(d + off, (k - off) / 2, lossy);
		}
	}
	return NULL;
}

/* Printable ASCII/UTF-8 from off to its NUL inside [off, end). */
static char *cstr(const uint8_t *d, size_t off, size_t end, size_t *next)
{
	const uint8_t *z = off < end ? memchr(d + off, 0, end - off) : NULL;
	char *s;

	if (!z)
		return NULL;
	s = xmalloc((size_t)(z - (d + off)) + 1);
	memcpy(s, d + off, (size_t)(z - (d + off)));
	s[z - (d + off)] = '\0';
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7F)
			*c = '?';
	*next = (size_t)(z - d) + 1;
	return s;
}

static char *strip_nt_prefix(char *p)
{
	if (!strncmp(p, "\\\\?\\", 4) || !strncmp(p, "\\??\\", 4))
		memmove(p, p + 4, strlen(p + 4) + 1);
	return p;
}

static void hex_upper(const uint8_t *b, size_t n, char *out)
{
	static const char x[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[b[i] >> 4];
		out[2 * i + 1] = x[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void resource_release(struct quar_resource *r)
{
	free(r->path);
	free(r->type);
	memset(r, 0, sizeof(*r));
}

/* One resource at off of section 2 (d, n). Returns 0, or -1 with why. */
static int parse_resource(const uint8_t *d, size_t n, size_t off, struct quar_resource *r, const char **why)
{
	size_t p;
	uint16_t nfields;

	memset(r, 0, sizeof(*r));
	if (off >= n)
		return *why = "a resource offset lies outside section 2", -1;
	if (!(r->path = wstr(d, off, n, &p, &r->lossy)))
		return *why = "a resource path has no terminator", -1;
	strip_nt_prefix(r->path);
	if (n - p < 2) {
		resource_release(r);
		return *why = "a resource ends before its field count", -1;
	}
	nfields = load_le16(d + p);
	p += 2;
	if (!(r->type = cstr(d, p, n, &p))) {
		resource_release(r);
		return *why = "a resource type has no terminator", -1;
	}
	for (unsigned f = 0; f < nfields; f++) {
		uint16_t size, idt;
		const uint8_t *v;

		p = (p + 3) & ~(size_t)3;
		if (p > n || n - p < 4) {
			resource_release(r);
			return *why = "a resource field lies outside section 2", -1;
		}
		size = load_le16(d + p);
		idt = load_le16(d + p + 2);
		if (size > n - p - 4) {
			resource_release(r);
			return *why = "a resource field is longer than section 2", -1;
		}
		v = d + p + 4;
		switch (idt & 0x0FFF) {
		case F_RESOURCE_ID:
			if (size == 20) {
				hex_upper(v, 20, r->id);
				r->has_id = true;
			}
			break;
		case F_PHYSICAL_PATH: {
			size_t units = size / 2;
			while (units && v[2 * units - 2] == 0 && v[2 * units - 1] == 0)
				units--;
			if (units) {
				free(r->path);
				r->path = strip_nt_prefix(utf16le_to_utf8(v, units, &r->lossy));
			}
			break;
		}
		case F_CTIME: case F_ATIME: case F_MTIME:
			if (size == 8) {
				uint64_t t = load_le64(v);
				if ((idt & 0x0FFF) == F_CTIME)
					r->ctime = t, r->has_ctime = true;
				else if ((idt & 0x0FFF) == F_ATIME)
					r->atime = t, r->has_atime = true;
				else
					r->mtime = t, r->has_mtime = true;
			}
			break;
		default:
			break;
		}
		p += 4u + size;
	}
	return 0;
}

int quar_entry_parse(const void *data, size_t size, struct quar_entry *out, struct ks_err *err)
{
	const uint8_t *in = data;
	uint8_t hdr[HDR_SIZE], *s1 = NULL, *s2 = NULL;
	uint32_t n1, n2, count;
	size_t end;

	memset(out, 0, sizeof(*out));
	if (size < HDR_SIZE)
		return ks_fail(err, KS_EINPUT, "a quarantine entry of %zu bytes is shorter than its %u-byte header",
			       size, HDR_SIZE);
	quar_rc4(in, hdr, HDR_SIZE);
	n1 = load_le32(hdr + HDR_S1);
	n2 = load_le32(hdr + HDR_S2);
	if (n1 > QUAR_MAX_SECTION || n2 > QUAR_MAX_SECTION)
		return ks_fail(err, KS_EINPUT, "a quarantine entry's section sizes (%u, %u) are beyond %u bytes",
			       n1, n2, QUAR_MAX_SECTION);
	if (n1 > size - HDR_SIZE || n2 > size - HDR_SIZE - n1)
		return ks_fail(err, KS_EINPUT, "a quarantine entry's sections (%u + %u bytes) run past its %zu bytes",
			       n1, n2, size);
	if (n1 < S1_NAME || n2 < 4)
		return ks_fail(err, KS_EINPUT, "a quarantine entry's sections (%u, %u bytes) are too short", n1, n2);
	s1 = decrypt(in + HDR_SIZE, n1);
	memcpy(out->id, s1, 16);
	memcpy(out->scan_id, s1 + 16, 16);
	out->time = load_le64(s1 + S1_TIME);
	out->threat_id = load_le64(s1 + S1_THREAT);
	if (!(out->detection = cstr(s1, S1_NAME, n1, &end))) {
		/* a name running to the section's end is still the name */
		out->detection = xmalloc(n1 - S1_NAME + 1);
		memcpy(out->detection, s1 + S1_NAME, n1 - S1_NAME);
		out->detection[n1 - S1_NAME] = '\0';
		for (char *c = out->detection; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7F)
				*c = '?';
	}
	free(s1);

	s2 = decrypt(in + HDR_SIZE + n1, n2);
	count = load_le32(s2);
	if (count > (n2 - 4) / 4) {
		free(s2);
		quar_entry_release(out);
		return ks_fail(err, KS_EINPUT, "a quarantine entry lists %u resources, more than its section 2 holds",
			       count);
	}
	if (count > QUAR_MAX_RESOURCES) {
		out->truncated = true;
		count = QUAR_MAX_RESOURCES;
	}
	out->v = xcalloc(count ? count : 1, sizeof(*out->v));
	for (uint32_t k = 0; k < count; k++) {
		const char *why = NULL;
		if (parse_resource(s2, n2, load_le32(s2 + 4 + 4 * (size_t)k), &out->v[out->n], &why) < 0) {
			out->truncated = true;
			if (!out->damage[0])
				snprintf(out->damage, sizeof(out->damage), "resource %u: %s", k, why);
			continue;
		}
		out->n++;
	}
	free(s2);
	return 0;
}

void quar_entry_release(struct quar_entry *e)
{
	for (size_t i = 0; i < e->n; i++)
		resource_release(&e->v[i]);
	free(e->v);
	free(e->detection);
	memset(e, 0, sizeof(*e));
}

int quar_resource_decode(const void *data, size_t size, unsigned char **payload, size_t *len,
			 struct ks_err *err)
{
	uint8_t *d;
	size_t p;
	uint32_t sd;

	*payload = NULL;
	*len = 0;
	if (size < RD_SD)
		return ks_fail(err, KS_EINPUT, "a quarantined resource of %zu bytes is shorter than its header", size);
	d = decrypt(data, size);
	sd = load_le32(d + RD_SD_LEN);
	if (sd > size - RD_SD) {
		free(d);
		return ks_fail(err, KS_EINPUT, "a quarantined resource's security descriptor (%u bytes) runs past its end",
			       sd);
	}
	p = RD_SD + sd;
	for (unsigned k = 0; k < MAX_STREAMS && size - p >= STREAM_HDR; k++) {
		uint32_t id = load_le32(d + p);
		uint64_t n = load_le64(d + p + 8);
		uint32_t name = load_le32(d + p + 16);

		p += STREAM_HDR;
		if (name > size - p) {
			free(d);
			return ks_fail(err, KS_EINPUT, "a quarantined resource's stream name runs past its end");
		}
		p += name;
		if (n > size - p) {
			free(d);
			return ks_fail(err, KS_EINPUT, "a quarantined resource's stream (%llu bytes) runs past its end "
				       "(wrong key or damaged)", (unsigned long long)n);
		}
		if (id == STREAM_DATA) {
			*payload = xmalloc(n ? (size_t)n : 1);
			memcpy(*payload, d + p, (size_t)n);
			*len = (size_t)n;
			free(d);
			return 0;
		}
		p += (size_t)n;
	}
	free(d);
	return ks_fail(err, KS_EINPUT, "a quarantined resource holds no data stream");
}

void quar_filetime_iso(uint64_t ft, char *buf, size_t n)
{
	struct tm tm;
	time_t t;
	/* 1601-01-01 to 1970-01-01 in 100 ns units; years past 9999 are not dates */
	const uint64_t epoch = 116444736000000000ull, max = 2650467743999999999ull;

	if (n)
		buf[0] = '\0';
	if (ft < epoch || ft > max || n < 21)
		return;
	t = (time_t)((ft - epoch) / 10000000ull);
	if (!gmtime_r(&t, &tm))
		return;
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

#include <kenshu/banned.h>
