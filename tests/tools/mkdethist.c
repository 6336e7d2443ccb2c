/*
 * mkdethist - write a Windows Defender DetectionHistory file the way
 * Defender lays it out (include/kenshu/artifacts.h, "dethist"), for test
 * images, unit tests and fuzz seeds.
 *
 *	mkdethist [options] OUT THREAT RESOURCE...
 *
 * RESOURCE is TYPE:LOCATION as MSFT_MpThreatDetection writes it
 * ("file:_C:\Users\op\x.exe", "containerfile:_C:\a.zip",
 * "webfile:_C:\x.exe|https://host/x.exe|pid:12"; the "_" is optional).
 * OUT is a file, or an existing directory: then the file is OUT/<GUID>
 * (Defender's naming) and the GUID is printed. Options:
 *	-time FILETIME     InitialDetectionTime (default 2024-03-01T06:00:00Z);
 *	                   the status change and tracking start are the same,
 *	                   the remediation 15 s later
 *	-threat-id N       (default 2147519003, EICAR's)
 *	-category N        MSFT_MpThreat CategoryID (default 42, VIRUS)
 *	-user TEXT         DomainUser (default "WORKGROUP\operator")
 *	-process TEXT      (default "C:\Windows\explorer.exe")
 *	-sha256 HEX        ThreatTrackingSha256 of the first resource
 *	-size N            ThreatTrackingSize of the first resource
 *	-header            tracking data with its 20-byte header
 *	-extra             the optional block before the user (moves the
 *	                   user, process and times six values on)
 *	-no-magic          no separator before the threat name (Server 2016)
 *	-no-state          no values after the last resource's tracking data
 * The GUID is made from THREAT and the resources, so the same input gives
 * the same file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct buf {
	unsigned char *p;
	size_t n;
};

static void die(const char *m)
{
	fprintf(stderr, "mkdethist: %s\n", m);
	exit(1);
}

static void put(struct buf *b, const void *d, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	if (!b->p)
		die("out of memory");
	if (n)
		memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	put(b, x, 4);
}

static void put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

/* ASCII/Latin-1 text as UTF-16LE; with_nul adds the terminator. */
static void put_wstr(struct buf *b, const char *s, int with_nul)
{
	for (; *s; s++) {
		unsigned char c[2] = { (unsigned char)*s, 0 };
		put(b, c, 2);
	}
	if (with_nul)
		put(b, "\0\0", 2);
}

/* One value: size, type, data, padding to 8. */
static void value(struct buf *f, uint32_t type, const void *d, size_t n)
{
	static const unsigned char zero[8];

	put32(f, (uint32_t)n);
	put32(f, type);
	put(f, d, n);
	put(f, zero, (8 - (8 + n) % 8) % 8);
}

static void v_u32(struct buf *f, uint32_t type, uint32_t x)
{
	struct buf b = { 0 };
	put32(&b, x);
	value(f, type, b.p, b.n);
	free(b.p);
}

static void v_u64(struct buf *f, uint32_t type, uint64_t x)
{
	struct buf b = { 0 };
	put64(&b, x);
	value(f, type, b.p, b.n);
	free(b.p);
}

static void v_str(struct buf *f, const char *s)
{
	struct buf b = { 0 };
	put_wstr(&b, s, 1);
	value(f, 0x15, b.p, b.n);
	free(b.p);
}

static void tt_key(struct buf *t, const char *k, uint32_t type)
{
	put32(t, (uint32_t)(2 * strlen(k) + 2));
	put_wstr(t, k, 1);
	put32(t, type);
}

static void tracking(struct buf *f, const char *sha256, int has_size, uint64_t size, uint64_t start, int header)
{
	struct buf v = { 0 }, t = { 0 };

	if (sha256) {
		tt_key(&v, "ThreatTrackingSha256", 6);
		put32(&v, (uint32_t)(2 * strlen(sha256) + 2));
		put_wstr(&v, sha256, 1);
	}
	if (has_size) {
		tt_key(&v, "ThreatTrackingSize", 4);
		put64(&v, size);
	}
	tt_key(&v, "ThreatTrackingStartTime", 4);
	put64(&v, start);
	tt_key(&v, "ThreatTrackingThreatId", 3);
	put32(&v, 2147519003u);
	tt_key(&v, "ThreatTrackingIsEsuSig", 5);
	put(&v, "\0", 1);
	if (header) {
		put32(&t, 1);
		put32(&t, 20);
		put32(&t, (uint32_t)v.n);
		put32(&t, (uint32_t)(24 + v.n));
		put32(&t, 0);
		put32(&t, (uint32_t)v.n);
	} else {
		put32(&t, (uint32_t)(4 + v.n));
	}
	put(&t, v.p, v.n);
	v_u32(f, 0x06, (uint32_t)t.n);
	value(f, 0x28, t.p, t.n);
	free(v.p);
	free(t.p);
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int main(int argc, char **argv)
{
	uint64_t when = 133537464000000000ull, threat_id = 2147519003ull, size = 0, h = 14695981039346656037ull;
	uint32_t category = 42;
	const char *user = "WORKGROUP\\operator", *process = "C:\\Windows\\explorer.exe", *sha256 = NULL;
	int header = 0, extra = 0, magic = 1, has_state = 1, has_size = 0, a = 1, nres;
	unsigned char guid[16];
	char gtext[40], path[4096];
	struct buf f = { 0 };
	struct stat st;
	FILE *out;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-time") && a + 1 < argc)
			when = strtoull(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "-threat-id") && a + 1 < argc)
			threat_id = strtoull(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "-category") && a + 1 < argc)
			category = (uint32_t)strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "-user") && a + 1 < argc)
			user = argv[++a];
		else if (!strcmp(argv[a], "-process") && a + 1 < argc)
			process = argv[++a];
		else if (!strcmp(argv[a], "-sha256") && a + 1 < argc)
			sha256 = argv[++a];
		else if (!strcmp(argv[a], "-size") && a + 1 < argc) {
			size = strtoull(argv[++a], NULL, 10);
			has_size = 1;
		} else if (!strcmp(argv[a], "-header"))
			header = 1;
		else if (!strcmp(argv[a], "-extra"))
			extra = 1;
		else if (!strcmp(argv[a], "-no-magic"))
			magic = 0;
		else if (!strcmp(argv[a], "-no-state"))
			has_state = 0;
		else
			die("unknown option (see the comment at the top of tests/tools/mkdethist.c)");
	}
	if (argc - a < 3)
		die("usage: mkdethist [options] OUT THREAT TYPE:LOCATION...");
	nres = argc - a - 2;
	for (int i = a + 1; i < argc; i++)
		h = fnv(h, argv[i]);
	for (int i = 0; i < 16; i++) {
		h = h * 6364136223846793005ull + 1442695040888963407ull;
		guid[i] = (unsigned char)(h >> 56);
	}
	guid[7] = (unsigned char)((guid[7] & 0x0F) | 0x40);   /* a version-4 GUID, as Defender makes */
	guid[8] = (unsigned char)((guid[8] & 0x3F) | 0x80);
	snprintf(gtext, sizeof(gtext), "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 guid[3], guid[2], guid[1], guid[0], guid[5], guid[4], guid[7], guid[6], guid[8], guid[9], guid[10],
		 guid[11], guid[12], guid[13], guid[14], guid[15]);

	/* set 1 */
	v_u64(&f, 0x08, threat_id);
	value(&f, 0x1E, guid, 16);
	/* set 2 */
	if (magic)
		v_str(&f, "Magic.Version:1.2");
	v_str(&f, argv[a + 1]);
	v_u32(&f, 0x06, 0);          /* type: known bad */
	v_u32(&f, 0x06, 5);          /* severity */
	v_u32(&f, 0x06, category);
	v_u32(&f, 0x06, 49);
	v_u32(&f, 0x06, 4);
	v_u32(&f, 0x06, 1);
	v_u32(&f, 0x06, 1);
	v_u32(&f, 0x06, 2);
	v_u32(&f, 0x06, (uint32_t)nres);
	/* one set 3 per resource; the state after the last one */
	for (int r = 0; r < nres; r++) {
		const char *res = argv[a + 2 + r], *colon = strchr(res, ':');
		char type[64];

		if (!colon || (size_t)(colon - res) >= sizeof(type))
			die("a resource is TYPE:LOCATION");
		memcpy(type, res, (size_t)(colon - res));
		type[colon - res] = '\0';
		colon++;
		if (*colon == '_')
			colon++;
		v_str(&f, "Magic.Version:1.2");
		v_str(&f, type);
		v_str(&f, colon);
		v_u32(&f, 0x06, 0);
		tracking(&f, r == 0 ? sha256 : NULL, r == 0 && has_size, size, when, header);
		if (r + 1 < nres || !has_state)
			continue;
		v_u64(&f, 0x0A, when);                  /* 6: last status change */
		v_u32(&f, 0x05, 0);
		v_u32(&f, 0x06, 0);
		value(&f, 0x1E, guid, 16);
		v_u32(&f, 0x06, 0);
		if (extra) {                            /* the optional block */
			v_str(&f, "extra-1");
			v_str(&f, "extra-2");
			v_u32(&f, 0x06, 0);
			v_u32(&f, 0x06, 0);
			v_str(&f, "extra-3");
			v_str(&f, "extra-4");
		}
		v_u32(&f, 0x06, 2);
		v_str(&f, user);                        /* 12 */
		v_u32(&f, 0x06, 2);
		v_str(&f, process);                     /* 14 */
		v_u32(&f, 0x06, 2);
		v_u32(&f, 0x06, 0);
		v_u32(&f, 0x06, 0);
		v_u64(&f, 0x0A, when);                  /* 18: initial detection */
		v_u32(&f, 0x06, 0);
		v_u64(&f, 0x0A, when + 150000000ull);   /* 20: remediation */
		v_u32(&f, 0x06, 0);
		v_u32(&f, 0x00, 0);
		v_u32(&f, 0x06, 0);
		v_str(&f, user);                        /* 24 */
		v_u32(&f, 0x06, 0);
		v_u32(&f, 0x06, 0);
	}

	if (stat(argv[a], &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(path, sizeof(path), "%s/%s", argv[a], gtext);
		printf("%s\n", gtext);
	} else {
		snprintf(path, sizeof(path), "%s", argv[a]);
	}
	if (!(out = fopen(path, "wb")) || fwrite(f.p, 1, f.n, out) != f.n || fclose(out) != 0)
		die("cannot write the output file");
	free(f.p);
	return 0;
}
