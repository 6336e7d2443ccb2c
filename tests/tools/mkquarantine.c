/*
 * mkquarantine - write a Windows Defender quarantine entry the way
 * Defender does (layout: include/kenshu/artifacts.h, "quarantine"), for
 * test images and fuzz seeds.
 *
 *	mkquarantine [-time FILETIME] [-plain] QUARANTINE_DIR THREAT ORIGINAL_PATH PAYLOAD_FILE
 *
 * Writes QUARANTINE_DIR/Entries/{GUID} (header, section 1 with THREAT,
 * section 2 with one "file" resource: ORIGINAL_PATH, the resource id and a
 * creation time) and QUARANTINE_DIR/ResourceData/XX/<ID>, whose id is the
 * payload's SHA-1 (as Defender names them) and which holds a security
 * descriptor and the payload as a WIN32_STREAM_ID DATA stream. The GUID is
 * made from the id, so the same input gives the same files.
 *
 * Encryption is OpenSSL's RC4 (legacy provider, a library context of its
 * own) with the published key: the scanner has its own RC4, so the two
 * implementations check each other. -plain writes the unencrypted forms
 * instead, as the fuzz target takes them (a mode byte, then the bytes):
 * QUARANTINE_DIR/entry.plain and QUARANTINE_DIR/resource.plain.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/sha.h>

static const unsigned char key[256] = {
#include "quarantine_key.inc"
};

struct buf {
	unsigned char *p;
	size_t n;
};

static void die(const char *m)
{
	fprintf(stderr, "mkquarantine: %s\n", m);
	exit(1);
}

static void put(struct buf *b, const void *d, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	if (!b->p)
		die("out of memory");
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void put16(struct buf *b, unsigned v)
{
	unsigned char x[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	put(b, x, 2);
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char x[4];
	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	put(b, x, 4);
}

static void put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void align4(struct buf *b)
{
	while (b->n % 4)
		put(b, "", 1);
}

/* ASCII and Latin-1 paths: each byte one UTF-16 unit (enough for tests). */
static void put_wstr(struct buf *b, const char *s)
{
	for (; *s; s++)
		put16(b, (unsigned char)*s);
	put16(b, 0);
}

static OSSL_LIB_CTX *ctx;
static EVP_CIPHER *rc4;

/* A fresh key stream over b, as Defender starts one per part. */
static void crypt(struct buf *b)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char *out = malloc(b->n + 16);
	int l = 0, l2 = 0;

	if (!c || !out || EVP_EncryptInit_ex2(c, rc4, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_key_length(c, sizeof(key)) != 1 || EVP_EncryptInit_ex2(c, NULL, key, NULL, NULL) != 1 ||
	    EVP_EncryptUpdate(c, out, &l, b->p, (int)b->n) != 1 || EVP_EncryptFinal_ex(c, out + l, &l2) != 1 ||
	    (size_t)(l + l2) != b->n)
		die("RC4 failed");
	memcpy(b->p, out, b->n);
	free(out);
	EVP_CIPHER_CTX_free(c);
}

static void write_file(const char *path, const struct buf *a, const struct buf *b, const struct buf *c)
{
	FILE *f = fopen(path, "wb");

	if (!f) {
		fprintf(stderr, "mkquarantine: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	const struct buf *parts[3] = { a, b, c };

	for (int i = 0; i < 3; i++)
		if (parts[i]->n && fwrite(parts[i]->p, 1, parts[i]->n, f) != parts[i]->n)
			die("write failed");
	if (fclose(f) != 0)
		die("write failed");
}

static void mkdirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0755);
			*p = '/';
		}
	mkdir(tmp, 0755);
}

int main(int argc, char **argv)
{
	uint64_t when = 133000000000000000ull;   /* 2022-06-18 */
	int plain = 0, a = 1;
	struct buf payload = { 0 }, h = { 0 }, s1 = { 0 }, s2 = { 0 }, rd = { 0 }, mode = { 0 };
	unsigned char id[20], sd[20] = { 1, 0, 4, 0x80, 0x14 }, zero[16] = { 0 };
	char hex[41], path[4096], guid[40];
	FILE *f;
	size_t off;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-plain"))
			plain = 1;
		else if (!strcmp(argv[a], "-time") && a + 1 < argc)
			when = strtoull(argv[++a], NULL, 10);
		else
			die("usage: mkquarantine [-time FILETIME] [-plain] DIR THREAT ORIGINAL_PATH PAYLOAD_FILE");
	}
	if (argc - a != 4)
		die("usage: mkquarantine [-time FILETIME] [-plain] DIR THREAT ORIGINAL_PATH PAYLOAD_FILE");
	if (!(f = fopen(argv[a + 3], "rb")))
		die("cannot open the payload file");
	for (int ch; (ch = fgetc(f)) != EOF;) {
		unsigned char c = (unsigned char)ch;
		put(&payload, &c, 1);
	}
	fclose(f);
	SHA1(payload.p ? payload.p : (const unsigned char *)"", payload.n, id);
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02X", id[i]);
	snprintf(guid, sizeof(guid), "{%.8s-%.4s-%.4s-%.4s-%.12s}", hex, hex + 8, hex + 12, hex + 16, hex + 20);

	/* section 1: ids, time, threat id, 1, the name */
	put(&s1, id, 16);
	put(&s1, zero, 16);
	put64(&s1, when);
	put64(&s1, 2147519003ull);
	put32(&s1, 1);
	put(&s1, argv[a + 1], strlen(argv[a + 1]) + 1);
	/* section 2: one resource at offset 8 */
	put32(&s2, 1);
	put32(&s2, 8);
	put_wstr(&s2, argv[a + 2]);
	put16(&s2, 2);
	put(&s2, "file", 5);
	align4(&s2);
	put16(&s2, 20);
	put16(&s2, 0x02 | 4 << 12);
	put(&s2, id, 20);
	align4(&s2);
	put16(&s2, 8);
	put16(&s2, 0x0F | 6 << 12);
	put64(&s2, when - 36000000000ull);
	/* header */
	put(&h, "\xDB\xE8\xC5\x01\x01\x00\x01\x00", 8);
	for (int i = 0; i < 32; i++)
		put(&h, "", 1);
	put32(&h, (uint32_t)s1.n);
	put32(&h, (uint32_t)s2.n);
	put32(&h, 0);
	put32(&h, 0);
	put(&h, "\0\0\0\0", 4);
	/* ResourceData: header, descriptor, one DATA stream */
	put32(&rd, 2);
	put32(&rd, 0);
	put32(&rd, sizeof(sd));
	put32(&rd, 0);
	put32(&rd, 0);
	put(&rd, sd, sizeof(sd));
	put32(&rd, 1);
	put32(&rd, 0);
	put64(&rd, payload.n);
	put32(&rd, 0);
	if (payload.n)
		put(&rd, payload.p, payload.n);

	mkdirs(argv[a]);
	if (plain) {
		struct buf none = { 0 };
		put(&mode, "E", 1);
		snprintf(path, sizeof(path), "%s/entry.plain", argv[a]);
		{
			struct buf all = { 0 };
			put(&all, mode.p, 1);
			put(&all, h.p, h.n);
			put(&all, s1.p, s1.n);
			write_file(path, &all, &s2, &none);
			free(all.p);
		}
		mode.p[0] = 'R';
		snprintf(path, sizeof(path), "%s/resource.plain", argv[a]);
		write_file(path, &mode, &rd, &none);
		return 0;
	}
	ctx = OSSL_LIB_CTX_new();
	if (!ctx || !OSSL_PROVIDER_load(ctx, "legacy") || !(rc4 = EVP_CIPHER_fetch(ctx, "RC4", NULL)))
		die("OpenSSL's legacy provider (RC4) is not available");
	crypt(&h);
	crypt(&s1);
	crypt(&s2);
	crypt(&rd);
	snprintf(path, sizeof(path), "%s/Entries", argv[a]);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/Entries/%s", argv[a], guid);
	write_file(path, &h, &s1, &s2);
	off = (size_t)snprintf(path, sizeof(path), "%s/ResourceData/%.2s", argv[a], hex);
	mkdirs(path);
	snprintf(path + off, sizeof(path) - off, "/%s", hex);
	{
		struct buf none = { 0 };
		write_file(path, &rd, &none, &none);
	}
	printf("%s %s\n", guid, hex);
	return 0;
}
