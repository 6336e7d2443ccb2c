/*
 * mksam - write the .reg text of a SAM hive whose accounts carry NT hashes
 * encrypted as Windows does, and of the SYSTEM Lsa keys whose class names
 * hold the boot key, for mkhive to build (images/README, "SAM hives").
 *
 *	mksam [-1] -k BOOTKEY -o SAM.reg -s SYSTEM.reg [-c N] ACCOUNT...
 *
 * BOOTKEY is the boot key, 32 hex digits, as secretsdump prints it. -1
 * writes the Windows XP/7 format (RC4 and MD5, revision 1) instead of the
 * Windows 10 1607+ one (AES-128-CBC, revision 2). -c: the control set
 * (default 1). Each ACCOUNT is
 *
 *	RID:NAME:ACB:PASSWORD[:GROUPS[:FULL NAME[:LOGONS]]]
 *
 * RID decimal, ACB the account-control flags (0x0010 normal, 0x0001
 * disabled, 0x0004 password not required, 0x0200 never expires),
 * PASSWORD the password in clear (may be empty) or "-" for no hash
 * stored, GROUPS a comma list of "admin" (Administrators) and "rdp"
 * (Remote Desktop Users). The machine SID is S-1-5-21-1111-2222-3333.
 *
 * This is the encrypting side, written apart from kenshu's decrypting
 * side (scanner/artifacts/sam_crypto.c) and through other OpenSSL code
 * paths (the legacy provider's RC4, DES and MD4), so that a test of one
 * against the other means something. Salts are derived from the RID: the
 * same arguments give the same text. Errors: one line, exit 1.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

#define PROG "mksam"
#define FILETIME_2025 133852896000000000ULL   /* 2025-03-01 08:00:00 UTC */

static const uint32_t machine_sid[3] = { 1111, 2222, 3333 };

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void cipher(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv, bool pad, const uint8_t *in, int n,
		   uint8_t *out, int *outlen)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;

	if (!ctx || !c || !EVP_EncryptInit_ex(ctx, c, NULL, key, iv) || !EVP_CIPHER_CTX_set_padding(ctx, pad) ||
	    !EVP_EncryptUpdate(ctx, out, &l1, in, n) || !EVP_EncryptFinal_ex(ctx, out + l1, &l2))
		die("OpenSSL cannot encrypt (%s)", c ? EVP_CIPHER_get0_name(c) : "cipher missing");
	EVP_CIPHER_CTX_free(ctx);
	if (outlen)
		*outlen = l1 + l2;
}

static void digest(const char *alg, const void *const *parts, const size_t *lens, size_t nparts, uint8_t *out)
{
	EVP_MD *md = EVP_MD_fetch(NULL, alg, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len;

	if (!md || !ctx || !EVP_DigestInit_ex(ctx, md, NULL))
		die("OpenSSL has no %s", alg);
	for (size_t i = 0; i < nparts; i++)
		EVP_DigestUpdate(ctx, parts[i], lens[i]);
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
}

static const char QWERTY[] = "!@#$%^&*()qwertyUIOPAzxcvbnmQQQQQQQQQQQQ)(*@&%";
static const char DIGITS[] = "0123456789012345678901234567890123456789";

static void salt_of(uint32_t rid, uint8_t salt[16])
{
	for (int i = 0; i < 16; i++)
		salt[i] = (uint8_t)(rid * 31u + (unsigned)i * 17u + 5u);
}

/* 7 bytes to a DES key (parity bits left 0) */
static void des_key(const uint8_t s[7], uint8_t k[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 7; i++)
		v = v << 8 | s[i];
	for (int i = 0; i < 8; i++)
		k[i] = (uint8_t)(((v >> (49 - 7 * i)) & 0x7F) << 1);
}

static void hex_reg(FILE *f, const char *name, const uint8_t *p, size_t n, const char *type)
{
	fprintf(f, "%s=hex%s:", name, type);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x%s", p[i], i + 1 < n ? (i % 24 == 23 ? ",\\\n  " : ",") : "");
	fputc('\n', f);
}

/* how to write the file again */
static void print_args(FILE *f, int argc, char **argv)
{
	fputs("; mksam", f);
	for (int i = 1; i < argc; i++)
		fprintf(f, strpbrk(argv[i], " !*$") ? " '%s'" : " %s", argv[i]);
	fputc('\n', f);
}

struct account {
	uint32_t rid, acb, logons;
	char *name, *password, *full;
	bool admin, rdp;
};

static size_t utf16(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80)
			die("'%s': only ASCII names and passwords", s);
		out[n++] = *p;
		out[n++] = 0;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *keyhex = NULL, *sam_out = NULL, *sys_out = NULL;
	bool rc4_format = false;
	unsigned cs = 1;
	uint8_t boot[16], hbk[16], salt[16];
	struct account *acc;
	size_t nacc;
	int opt;
	FILE *f;

	while ((opt = getopt(argc, argv, "1k:o:s:c:")) != -1) {
		switch (opt) {
		case '1': rc4_format = true; break;
		case 'k': keyhex = optarg; break;
		case 'o': sam_out = optarg; break;
		case 's': sys_out = optarg; break;
		case 'c': cs = (unsigned)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!keyhex || !sam_out || !sys_out || optind >= argc || cs < 1 || cs > 999) {
usage:
		fprintf(stderr, "usage: " PROG " [-1] -k BOOTKEY -o SAM.reg -s SYSTEM.reg [-c N] "
				"RID:NAME:ACB:PASSWORD[:GROUPS[:FULL NAME[:LOGONS]]]...\n");
		return 2;
	}
	if (strlen(keyhex) != 32)
		die("-k: 32 hex digits expected");
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(keyhex + 2 * i, "%2x", &v) != 1)
			die("-k: not hexadecimal");
		boot[i] = (uint8_t)v;
	}
	if (!OSSL_PROVIDER_load(NULL, "legacy") || !OSSL_PROVIDER_load(NULL, "default"))
		die("the OpenSSL legacy provider is not available");

	nacc = (size_t)(argc - optind);
	acc = calloc(nacc, sizeof(*acc));
	for (size_t i = 0; i < nacc; i++) {
		char *spec = strdup(argv[optind + (int)i]), *fld[7] = { 0 }, *p = spec;
		int k = 0;
		for (; k < 7 && p; k++) {
			fld[k] = p;
			p = strchr(p, ':');
			if (p && k < 6)
				*p++ = 0;
			else
				p = NULL;
		}
		if (k < 4)
			die("'%s': RID:NAME:ACB:PASSWORD expected", argv[optind + (int)i]);
		acc[i].rid = (uint32_t)strtoul(fld[0], NULL, 10);
		acc[i].name = fld[1];
		acc[i].acb = (uint32_t)strtoul(fld[2], NULL, 0);
		acc[i].password = strcmp(fld[3], "-") ? fld[3] : NULL;
		acc[i].admin = fld[4] && strstr(fld[4], "admin");
		acc[i].rdp = fld[4] && strstr(fld[4], "rdp");
		acc[i].full = fld[5] && *fld[5] ? fld[5] : NULL;
		acc[i].logons = fld[6] ? (uint32_t)strtoul(fld[6], NULL, 10) : 0;
		if (!acc[i].rid || !*acc[i].name || strlen(acc[i].name) > 64)
			die("'%s': bad RID or name", argv[optind + (int)i]);
	}

	/* SYSTEM: the boot key scrambled into four class names */
	static const uint8_t perm[16] = { 8, 5, 4, 2, 11, 9, 13, 3, 0, 6, 1, 12, 14, 10, 15, 7 };
	uint8_t raw[16];
	for (int i = 0; i < 16; i++)
		raw[perm[i]] = boot[i];
	if (!(f = fopen(sys_out, "w")))
		die("%s: cannot write", sys_out);
	fprintf(f, "Windows Registry Editor Version 5.00\n\n; written by tests/tools/mksam: the boot key in the Lsa class names\n");
	print_args(f, argc, argv);
	static const char *const parts[] = { "JD", "Skew1", "GBG", "Data" };
	for (int i = 0; i < 4; i++)
		fprintf(f, "\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet%03u\\Control\\Lsa\\%s]\nclass:\"%02x%02x%02x%02x\"\n", cs,
			parts[i], raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]);
	if (fclose(f))
		die("%s: write error", sys_out);

	/* the hashed boot key: any 16 bytes; derived so the output is stable */
	for (int i = 0; i < 16; i++)
		hbk[i] = (uint8_t)(0xA5 ^ (i * 37) ^ boot[15 - i]);

	if (!(f = fopen(sam_out, "w")))
		die("%s: cannot write", sam_out);
	fprintf(f, "Windows Registry Editor Version 5.00\n\n; written by tests/tools/mksam (%s format)\n",
		rc4_format ? "RC4, revision 1" : "AES, revision 2");
	print_args(f, argc, argv);

	uint8_t af[0xB0];
	size_t aflen;
	memset(af, 0, sizeof(af));
	put32(af, 3);
	salt_of(0, salt);
	if (rc4_format) {
		uint8_t plain[32], key[16];
		const void *pp[] = { hbk, DIGITS, hbk, QWERTY };
		const size_t pl[] = { 16, sizeof(DIGITS), 16, sizeof(QWERTY) };
		memcpy(plain, hbk, 16);
		digest("MD5", pp, pl, 4, plain + 16);
		const void *kp[] = { salt, QWERTY, boot, DIGITS };
		const size_t kl[] = { 16, sizeof(QWERTY), 16, sizeof(DIGITS) };
		digest("MD5", kp, kl, 4, key);
		put32(af + 0x68, 1);
		put32(af + 0x6C, 0x30);
		memcpy(af + 0x70, salt, 16);
		cipher(EVP_rc4(), key, NULL, false, plain, 32, af + 0x80, NULL);
		aflen = 0xA0;
	} else {
		uint8_t plain[32];
		memcpy(plain, hbk, 16);
		memset(plain + 16, 0x10, 16);
		put32(af + 0x68, 2);
		put32(af + 0x6C, 0x40);
		put32(af + 0x70, 16);
		put32(af + 0x74, 32);
		memcpy(af + 0x78, salt, 16);
		cipher(EVP_aes_128_cbc(), boot, salt, false, plain, 32, af + 0x88, NULL);
		aflen = 0xA8;
	}
	fprintf(f, "\n[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account]\n");
	hex_reg(f, "\"F\"", af, aflen, "");
	uint8_t av[0x40 + 24];
	memset(av, 0, sizeof(av));
	uint8_t *sid = av + 0x40;
	sid[0] = 1, sid[1] = 4, sid[7] = 5;
	put32(sid + 8, 21);
	for (int i = 0; i < 3; i++)
		put32(sid + 12 + 4 * i, machine_sid[i]);
	hex_reg(f, "\"V\"", av, sizeof(av), "");

	for (size_t i = 0; i < nacc; i++) {
		struct account *a = &acc[i];
		uint8_t uf[0x50], v[0xCC + 1024], nt[16], obf[16], entry[64];
		size_t vlen = 0xCC, elen;
		memset(uf, 0, sizeof(uf));
		memset(v, 0, sizeof(v));
		put32(uf, 0x00010002);
		if (a->logons)
			put64(uf + 0x08, FILETIME_2025 + (uint64_t)a->logons * 36000000000ULL);
		put64(uf + 0x18, FILETIME_2025 - 864000000000ULL);
		put64(uf + 0x20, 0x7FFFFFFFFFFFFFFFULL);
		put32(uf + 0x30, a->rid);
		put32(uf + 0x34, 0x0201);
		uf[0x38] = (uint8_t)a->acb;
		uf[0x39] = (uint8_t)(a->acb >> 8);
		uf[0x42] = (uint8_t)a->logons;
		uf[0x43] = (uint8_t)(a->logons >> 8);

		/* V: the strings, then the LM entry (header only) and the NT entry */
		struct { size_t at; const uint8_t *p; size_t n; } ent[5];
		uint8_t name16[256], full16[256], lm[24] = { 0 };
		ent[0].at = 0x0C, ent[0].p = name16, ent[0].n = utf16(a->name, name16);
		ent[1].at = 0x18, ent[1].p = full16, ent[1].n = a->full ? utf16(a->full, full16) : 0;
		ent[2].at = 0x24, ent[2].p = NULL, ent[2].n = 0;
		lm[2] = rc4_format ? 1 : 2;
		ent[3].at = 0x9C, ent[3].p = lm, ent[3].n = rc4_format ? 4 : 24;
		memset(entry, 0, sizeof(entry));
		entry[2] = rc4_format ? 1 : 2;
		elen = rc4_format ? 4 : 24;
		if (a->password) {
			uint8_t pw16[256];
			size_t pn = utf16(a->password, pw16);
			const void *pp[] = { pw16 };
			digest("MD4", pp, &pn, 1, nt);
			uint8_t r[4], k7a[7], k7b[7], ka[8], kb[8];
			put32(r, a->rid);
			const uint8_t sa[7] = { r[0], r[1], r[2], r[3], r[0], r[1], r[2] };
			const uint8_t sb[7] = { r[3], r[0], r[1], r[2], r[3], r[0], r[1] };
			memcpy(k7a, sa, 7);
			memcpy(k7b, sb, 7);
			des_key(k7a, ka);
			des_key(k7b, kb);
			cipher(EVP_des_ecb(), ka, NULL, false, nt, 8, obf, NULL);
			cipher(EVP_des_ecb(), kb, NULL, false, nt + 8, 8, obf + 8, NULL);
			if (rc4_format) {
				static const char NTPW[] = "NTPASSWORD";
				uint8_t key[16];
				const void *kp[] = { hbk, r, NTPW };
				const size_t kl[] = { 16, 4, sizeof(NTPW) };
				digest("MD5", kp, kl, 3, key);
				cipher(EVP_rc4(), key, NULL, false, obf, 16, entry + 4, NULL);
				elen = 20;
			} else {
				int outl = 0;
				salt_of(a->rid, salt);
				put32(entry + 4, 0x10);
				memcpy(entry + 8, salt, 16);
				cipher(EVP_aes_128_cbc(), hbk, salt, true, obf, 16, entry + 24, &outl);
				elen = 24 + (size_t)outl;
			}
		}
		ent[4].at = 0xA8, ent[4].p = entry, ent[4].n = elen;
		for (int e = 0; e < 5; e++) {
			put32(v + ent[e].at, (uint32_t)(vlen - 0xCC));
			put32(v + ent[e].at + 4, (uint32_t)ent[e].n);
			if (ent[e].n)
				memcpy(v + vlen, ent[e].p, ent[e].n);
			vlen += (ent[e].n + 3) & ~(size_t)3;
		}
		fprintf(f, "\n[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\%08X]\n", a->rid);
		hex_reg(f, "\"F\"", uf, sizeof(uf), "");
		hex_reg(f, "\"V\"", v, vlen, "");
		fprintf(f, "\n[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account\\Users\\Names\\%s]\n", a->name);
		/* the default value's type is the RID, its data empty */
		fprintf(f, "@=hex(%x):\n", a->rid);
	}
	for (int g = 0; g < 2; g++) {
		uint8_t c[0x34 + 28 * 64];
		uint32_t n = 0;
		memset(c, 0, 0x34);
		for (size_t i = 0; i < nacc && n < 64; i++) {
			if (!(g ? acc[i].rdp : acc[i].admin))
				continue;
			uint8_t *s = c + 0x34 + 28 * n++;
			memset(s, 0, 28);
			s[0] = 1, s[1] = 5, s[7] = 5;
			put32(s + 8, 21);
			for (int k = 0; k < 3; k++)
				put32(s + 12 + 4 * k, machine_sid[k]);
			put32(s + 24, acc[i].rid);
		}
		put32(c + 0x28, 0);
		put32(c + 0x30, n);
		fprintf(f, "\n[HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Builtin\\Aliases\\%s]\n", g ? "0000022B" : "00000220");
		hex_reg(f, "\"C\"", c, 0x34 + 28 * n, "");
	}
	if (fclose(f))
		die("%s: write error", sam_out);
	free(acc);
	return 0;
}
