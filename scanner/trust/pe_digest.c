/* The Authenticode digest of a PE in the scan's one sequential read.
 *
 * The digest covers the whole file in order except three ranges: the
 * optional header's CheckSum (4 bytes), the certificate-table entry of the
 * data directories (index 4, 8 bytes) and the certificate table itself.
 * Bytes after the last section and after the table are hashed too: that is
 * the contiguous hashing osslsigncode and signify do, and what signing
 * tools produce (they pad the file to 8 bytes before appending the table,
 * and the padding is hashed). The real files of signify's suite agree.
 *
 * MD5 too: old signatures (Apple's Software Update among the reference
 * files) sign an MD5 image digest, and the one read cannot go back.
 *
 * Every excluded range lies at or after e_lfanew + 88, so the bytes before
 * the NT headers are hashed as they pass; only the NT headers (at most
 * NT_NEED bytes) are held back until their fields say what to skip. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "trust_internal.h"
#include <kenshu/banned.h>

#define NT_NEED 176                  /* signature, COFF header, PE32+ optional header through directory 4 */
#define TABLE_MAX (8u * 1024 * 1024) /* certificate tables are a few KiB; 8 MiB is damage */

enum pe_state { ST_DOS, ST_NT, ST_BODY, ST_NOT_PE };

struct pe_digest {
	uint64_t size, pos;
	enum pe_state st;
	unsigned char dos[64];
	uint32_t lfanew;
	unsigned char nt[NT_NEED];
	size_t nt_len, nt_need;
	uint64_t hashed;                 /* bytes before this offset went into the digests */
	bool hashing;                    /* false once damage makes the digest useless */
	EVP_MD_CTX *md5, *sha1, *sha256;
	uint64_t skip_off[3], skip_len[3];
	int nskip, table_skip;           /* table_skip: the index of the table in skip_*, or -1 */
	unsigned char *table;
	size_t table_len;
	bool pe, finished;
	bool no_md5;                     /* pe_digest_lookahead: no signature can need MD5 */
	char error[160];
	unsigned char d5[16], d1[20], d256[32];
};

struct pe_digest *pe_digest_new(uint64_t file_size)
{
	struct pe_digest *d = xcalloc(1, sizeof(*d));

	d->size = file_size;
	d->table_skip = -1;
	return d;
}

void pe_digest_free(struct pe_digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->md5);
	EVP_MD_CTX_free(d->sha1);
	EVP_MD_CTX_free(d->sha256);
	free(d->table);
	free(d);
}

bool pe_digest_is_pe(const struct pe_digest *d)
{
	return d && d->pe;
}

static void damaged(struct pe_digest *d, const char *fmt, ...) KS_PRINTF(2, 3);
static void damaged(struct pe_digest *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->error[0]) {
		va_start(ap, fmt);
		vsnprintf(d->error, sizeof(d->error), fmt, ap);
		va_end(ap);
	}
	d->hashing = false;
}

static uint32_t le32(const unsigned char *p);

static void hash(struct pe_digest *d, const void *p, size_t n)
{
	if ((d->md5 && !EVP_DigestUpdate(d->md5, p, n)) || !EVP_DigestUpdate(d->sha1, p, n) ||
	    !EVP_DigestUpdate(d->sha256, p, n))
		ks_oom(n);
}

/* The DER of the MD5 OID 1.2.840.113549.2.5: a signature over an MD5
 * image digest names it in its SpcIndirectDataContent. */
static const unsigned char md5_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05 };

void pe_digest_lookahead(struct pe_digest *d, const void *file, size_t size)
{
	const unsigned char *p = file;
	uint32_t lfanew, toff, tsize;
	size_t dir;

	/* Anything unexpected keeps MD5: the sequential pass judges. */
	if (d->pos || size < 0x40 || p[0] != 'M' || p[1] != 'Z')
		return;
	lfanew = (uint32_t)p[0x3c] | (uint32_t)p[0x3d] << 8 | (uint32_t)p[0x3e] << 16 | (uint32_t)p[0x3f] << 24;
	if ((uint64_t)lfanew + 24 + 2 > size || memcmp(p + lfanew, "PE\0\0", 4))
		return;
	switch (p[lfanew + 24] | p[lfanew + 25] << 8) {
	case 0x10b: dir = (size_t)lfanew + 24 + 128; break;
	case 0x20b: dir = (size_t)lfanew + 24 + 144; break;
	default: return;
	}
	if (dir + 8 > size)
		return;
	toff = le32(p + dir);
	tsize = le32(p + dir + 4);
	if (!toff && !tsize) {
		d->no_md5 = true;   /* unsigned: only the catalogs' SHA-1 and SHA-256 */
		return;
	}
	if (toff > size || tsize > size - toff)
		return;
	d->no_md5 = !memmem(p + toff, tsize, md5_oid, sizeof(md5_oid));
}

/* The n bytes at file offset off, with the excluded ranges left out and
 * the table's bytes copied. Only bytes at or after d->hashed count. */
static void body(struct pe_digest *d, const unsigned char *p, size_t n, uint64_t off)
{
	if (off < d->hashed) {
		uint64_t k = d->hashed - off;

		if (k >= n)
			return;
		p += k;
		n -= (size_t)k;
		off += k;
	}
	while (n > 0 && d->hashing) {
		size_t take = n;
		bool skipped = false;

		for (int i = 0; i < d->nskip; i++) {
			uint64_t s = d->skip_off[i], e = s + d->skip_len[i];

			if (off >= s && off < e) {
				size_t k = (size_t)(e - off < n ? e - off : n);

				if (i == d->table_skip)
					memcpy(d->table + (off - s), p, k);
				p += k;
				n -= k;
				off += k;
				skipped = true;
				break;
			}
			if (s > off && s - off < take)
				take = (size_t)(s - off);
		}
		if (skipped)
			continue;
		hash(d, p, take);
		p += take;
		n -= take;
		off += take;
	}
	d->hashed = off > d->hashed ? off : d->hashed;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void add_skip(struct pe_digest *d, uint64_t off, uint64_t len)
{
	d->skip_off[d->nskip] = off;
	d->skip_len[d->nskip] = len;
	d->nskip++;
}

/* The NT headers are in d->nt (d->nt_len bytes): find what to skip. */
static void parse_nt(struct pe_digest *d)
{
	const unsigned char *nt = d->nt, *opt = d->nt + 24;
	size_t have = d->nt_len;
	uint16_t opt_size, magic;
	uint32_t dd, nrva_at, nrva, headers, toff, tsize;
	uint64_t opt_end, dir_end;

	if (have < 4 || memcmp(nt, "PE\0\0", 4)) {
		d->st = ST_NOT_PE;
		d->hashing = false;
		return;
	}
	d->pe = true;
	d->st = ST_BODY;
	if (have < 26)
		return damaged(d, "the file ends inside the PE header");
	opt_size = le16(nt + 20);
	magic = le16(opt);
	if (magic == 0x10b) {
		dd = 96;
		nrva_at = 92;
	} else if (magic == 0x20b) {
		dd = 112;
		nrva_at = 108;
	} else {
		return damaged(d, "optional header magic 0x%x is neither PE32 nor PE32+", magic);
	}
	if (opt_size < 68 || have < 24 + 68) {
		return damaged(d, "optional header of %u bytes has no checksum", opt_size);
	}
	add_skip(d, (uint64_t)d->lfanew + 24 + 64, 4);
	headers = le32(opt + 60);
	opt_end = (uint64_t)d->lfanew + 24 + opt_size;
	if (opt_size < nrva_at + 4 || have < 24 + nrva_at + 4)
		return;   /* no data directories: unsigned */
	nrva = le32(opt + nrva_at);
	if (nrva < 5 || opt_size < dd + 40 || have < 24 + dd + 40)
		return;   /* no certificate-table entry: unsigned */
	add_skip(d, (uint64_t)d->lfanew + 24 + dd + 32, 8);
	dir_end = (uint64_t)d->lfanew + 24 + dd + 40;
	toff = le32(opt + dd + 32);
	tsize = le32(opt + dd + 36);
	if (toff == 0 && tsize == 0)
		return;
	if (tsize < 8) {
		return damaged(d, "certificate table of %u bytes at 0x%x", tsize, toff);
	}
	if ((uint64_t)toff + tsize > d->size) {
		return damaged(d, "certificate table 0x%x+%u points outside the file of %llu bytes", toff, tsize,
			 (unsigned long long)d->size);
	}
	if (toff < dir_end || toff < opt_end || toff < headers) {
		return damaged(d, "certificate table at 0x%x overlaps the headers", toff);
	}
	if (tsize > TABLE_MAX) {
		return damaged(d, "certificate table of %u bytes (more than 8 MiB)", tsize);
	}
	d->table = xmalloc(tsize);
	d->table_len = tsize;
	d->table_skip = d->nskip;
	add_skip(d, toff, tsize);
}

static void start_hashing(struct pe_digest *d)
{
	d->md5 = d->no_md5 ? NULL : EVP_MD_CTX_new();
	d->sha1 = EVP_MD_CTX_new();
	d->sha256 = EVP_MD_CTX_new();
	if ((!d->no_md5 && (!d->md5 || !EVP_DigestInit_ex(d->md5, EVP_md5(), NULL))) || !d->sha1 || !d->sha256 ||
	    !EVP_DigestInit_ex(d->sha1, EVP_sha1(), NULL) ||
	    !EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL))
		ks_oom(0);
	d->hashing = true;
}

/* The DOS header is complete: hash it and look for the NT headers. */
static void parse_dos(struct pe_digest *d)
{
	d->lfanew = le32(d->dos + 0x3c);
	if ((uint64_t)d->lfanew + 4 > d->size) {
		d->st = ST_NOT_PE;
		return;
	}
	start_hashing(d);
	body(d, d->dos, sizeof(d->dos), 0);
	d->nt_need = (size_t)(d->size - d->lfanew < NT_NEED ? d->size - d->lfanew : NT_NEED);
	d->st = ST_NT;
	if (d->lfanew < sizeof(d->dos)) {
		/* headers overlapping the DOS header (tiny PEs do it) */
		size_t k = sizeof(d->dos) - d->lfanew;

		if (k > d->nt_need)
			k = d->nt_need;
		memcpy(d->nt, d->dos + d->lfanew, k);
		d->nt_len = k;
		if (d->nt_len == d->nt_need) {
			parse_nt(d);
			if (d->hashing)
				body(d, d->nt, d->nt_len, d->lfanew);
		}
	}
}

void pe_digest_feed(struct pe_digest *d, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		uint64_t off = d->pos;
		size_t k;

		switch (d->st) {
		case ST_DOS:
			k = sizeof(d->dos) - (size_t)off;
			k = k < n ? k : n;
			memcpy(d->dos + off, p, k);
			if ((off == 0 && p[0] != 'M') || (off <= 1 && off + k >= 2 && d->dos[1] != 'Z')) {
				d->st = ST_NOT_PE;
				break;
			}
			d->pos += k;
			p += k;
			n -= k;
			if (d->pos == sizeof(d->dos))
				parse_dos(d);
			continue;
		case ST_NT:
			if (off < d->lfanew) {
				uint64_t gap = d->lfanew - off;

				k = gap < n ? (size_t)gap : n;
				body(d, p, k, off);
			} else {
				k = d->nt_need - d->nt_len;
				k = k < n ? k : n;
				memcpy(d->nt + d->nt_len, p, k);
				d->nt_len += k;
			}
			d->pos += k;
			p += k;
			n -= k;
			if (d->pos >= d->lfanew && d->nt_len == d->nt_need) {
				parse_nt(d);
				if (d->hashing)
					body(d, d->nt, d->nt_len, d->lfanew);
			}
			continue;
		case ST_BODY:
			if (d->hashing)
				body(d, p, n, off);
			break;
		case ST_NOT_PE:
			break;
		}
		d->pos += n;
		break;
	}
}

void pe_digest_finish(struct pe_digest *d, struct pe_digest_out *out)
{
	memset(out, 0, sizeof(*out));
	if (!d->finished) {
		d->finished = true;
		if (d->st == ST_NT && d->pos >= d->lfanew)
			parse_nt(d);   /* the declared size ended the headers early */
		if (d->pe && d->pos != d->size) {
			snprintf(d->error, sizeof(d->error), "%llu bytes read of a file of %llu",
				 (unsigned long long)d->pos, (unsigned long long)d->size);
			d->hashing = false;
		}
		if (d->pe && d->hashing) {
			if ((d->md5 && !EVP_DigestFinal_ex(d->md5, d->d5, NULL)) || !EVP_DigestFinal_ex(d->sha1, d->d1, NULL) ||
			    !EVP_DigestFinal_ex(d->sha256, d->d256, NULL))
				ks_oom(0);
		}
	}
	out->pe = d->pe;
	if (!d->pe)
		return;
	out->error = d->error[0] ? d->error : NULL;
	memcpy(out->md5, d->d5, 16);
	out->have_md5 = d->md5 != NULL;
	memcpy(out->sha1, d->d1, 20);
	memcpy(out->sha256, d->d256, 32);
	if (!out->error && d->table) {
		out->table = d->table;
		out->table_len = d->table_len;
	}
}
