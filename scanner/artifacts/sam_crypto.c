/* The SAM's password obfuscation, undone only far enough to compare with
 * the empty password's NT hash: the boot key (SYSTEM Lsa class names), the
 * hashed boot key (Account F: RC4 with MD5 for revision 1, AES-128-CBC for
 * revision 2), each entry (RC4 with MD5 of the key, RID and "NTPASSWORD",
 * or AES with the entry's salt), then DES-ECB with two keys made from the
 * RID. As impacket's secretsdump and samdump2 do. No key or hash leaves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

/* OpenSSL 3 serves RC4 only from the legacy provider, which a library
 * should not load behind its caller's back: RC4 is twelve lines. */
static void rc4(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t n)
{
	uint8_t s[256], t;
	unsigned i, j = 0;

	for (i = 0; i < 256; i++)
		s[i] = (uint8_t)i;
	for (i = 0; i < 256; i++) {
		j = (j + s[i] + key[i % klen]) & 0xFF;
		t = s[i], s[i] = s[j], s[j] = t;
	}
	i = j = 0;
	for (size_t k = 0; k < n; k++) {
		i = (i + 1) & 0xFF;
		j = (j + s[i]) & 0xFF;
		t = s[i], s[i] = s[j], s[j] = t;
		out[k] = in[k] ^ s[(s[i] + s[j]) & 0xFF];
	}
}

static int md5(const void *a, size_t na, const void *b, size_t nb, const void *c, size_t nc, const void *d,
	       size_t nd, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	int ok;

	if (!ctx)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) && EVP_DigestUpdate(ctx, a, na) && EVP_DigestUpdate(ctx, b, nb) &&
	     EVP_DigestUpdate(ctx, c, nc) && EVP_DigestUpdate(ctx, d, nd) && EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
	return ok && len == 16 ? 0 : -1;
}

/* n (a multiple of 16) bytes; no padding: the SAM stores whole blocks. */
static int aes128_cbc_decrypt(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok;

	if (!ctx || n == 0 || n % 16 || n > 4096) {
		EVP_CIPHER_CTX_free(ctx);
		return -1;
	}
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv) && EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_DecryptUpdate(ctx, out, &l1, in, (int)n) && EVP_DecryptFinal_ex(ctx, out + l1, &l2);
	EVP_CIPHER_CTX_free(ctx);
	return ok && (size_t)(l1 + l2) == n ? 0 : -1;
}

static const char QWERTY[] = "!@#$%^&*()qwertyUIOPAzxcvbnmQQQQQQQQQQQQ)(*@&%";
static const char DIGITS[] = "0123456789012345678901234567890123456789";

int sam_hashed_boot_key(const uint8_t *f, size_t n, const uint8_t boot_key[16], uint8_t out[16], struct ks_err *err)
{
	uint8_t key[16], plain[32], check[16];

	if (n < 0x70)
		return ks_fail(err, KS_EINPUT, "the Account F value is %zu bytes, its key starts at 0x68", n);
	uint32_t rev = load_le32(f + 0x68);
	if (rev == 1) {
		if (n < 0xA0)
			return ks_fail(err, KS_EINPUT, "the Account F value is %zu bytes, an RC4 key needs 160", n);
		/* the NULs ending both strings are part of the key */
		if (md5(f + 0x70, 16, QWERTY, sizeof(QWERTY), boot_key, 16, DIGITS, sizeof(DIGITS), key) < 0)
			return ks_fail(err, KS_EUNSUPPORTED, "MD5 is not available");
		rc4(key, 16, f + 0x80, plain, 32);
		if (md5(plain, 16, DIGITS, sizeof(DIGITS), plain, 16, QWERTY, sizeof(QWERTY), check) < 0)
			return ks_fail(err, KS_EUNSUPPORTED, "MD5 is not available");
		if (memcmp(check, plain + 16, 16) != 0)
			return ks_fail(err, KS_EINPUT, "the hashed boot key's checksum does not match: wrong boot key");
		memcpy(out, plain, 16);
		return 0;
	}
	if (rev == 2) {
		/* Revision, Length, CheckSumLength, DataLength, Salt[16], Data */
		if (n < 0x88)
			return ks_fail(err, KS_EINPUT, "the Account F value is %zu bytes, an AES key needs more than 136", n);
		uint32_t dlen = load_le32(f + 0x68 + 12);
		if (dlen < 16 || dlen > 64 || dlen % 16 || n - 0x88 < dlen)
			return ks_fail(err, KS_EINPUT, "the Account F value's AES key data is %u bytes (%zu present)", dlen,
				       n - 0x88);
		uint8_t buf[64];
		if (aes128_cbc_decrypt(boot_key, f + 0x78, f + 0x88, dlen, buf) < 0)
			return ks_fail(err, KS_EUNSUPPORTED, "AES-128-CBC is not available");
		memcpy(out, buf, 16);
		return 0;
	}
	return ks_fail(err, KS_EUNSUPPORTED, "the Account F value's key revision is %u (1 and 2 are known)", rev);
}

/* 7 key bytes spread over 8, the low bit of each left for parity */
static void des_key(const uint8_t k7[7], uint8_t k[8])
{
	k[0] = k7[0] >> 1;
	k[1] = (uint8_t)((k7[0] & 0x01) << 6 | k7[1] >> 2);
	k[2] = (uint8_t)((k7[1] & 0x03) << 5 | k7[2] >> 3);
	k[3] = (uint8_t)((k7[2] & 0x07) << 4 | k7[3] >> 4);
	k[4] = (uint8_t)((k7[3] & 0x0F) << 3 | k7[4] >> 5);
	k[5] = (uint8_t)((k7[4] & 0x1F) << 2 | k7[5] >> 6);
	k[6] = (uint8_t)((k7[5] & 0x3F) << 1 | k7[6] >> 7);
	k[7] = k7[6] & 0x7F;
	for (int i = 0; i < 8; i++)
		k[i] = (uint8_t)(k[i] << 1);
}

/* Single DES is only in OpenSSL 3's legacy provider; triple DES with three
 * equal keys is single DES, and the default provider has it. */
static int des_ecb_decrypt(const uint8_t k8[8], const uint8_t in[8], uint8_t out[8])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t k24[24];
	int l1 = 0, l2 = 0, ok;

	if (!ctx)
		return -1;
	memcpy(k24, k8, 8);
	memcpy(k24 + 8, k8, 8);
	memcpy(k24 + 16, k8, 8);
	ok = EVP_DecryptInit_ex(ctx, EVP_des_ede3_ecb(), NULL, k24, NULL) && EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_DecryptUpdate(ctx, out, &l1, in, 8) && EVP_DecryptFinal_ex(ctx, out + l1, &l2);
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(k24, sizeof(k24));
	return ok && l1 + l2 == 8 ? 0 : -1;
}

/* The last layer: DES-ECB of each half, keyed by the RID's bytes. */
static int des_by_rid(uint32_t rid, const uint8_t in[16], uint8_t out[16])
{
	uint8_t r[4] = { (uint8_t)rid, (uint8_t)(rid >> 8), (uint8_t)(rid >> 16), (uint8_t)(rid >> 24) };
	uint8_t k1[7] = { r[0], r[1], r[2], r[3], r[0], r[1], r[2] };
	uint8_t k2[7] = { r[3], r[0], r[1], r[2], r[3], r[0], r[1] };
	uint8_t c1[8], c2[8];

	des_key(k1, c1);
	des_key(k2, c2);
	return des_ecb_decrypt(c1, in, out) < 0 || des_ecb_decrypt(c2, in + 8, out + 8) < 0 ? -1 : 0;
}

static const uint8_t EMPTY_NT[16] = { 0x31, 0xd6, 0xcf, 0xe0, 0xd1, 0x6a, 0xe9, 0x31,
				      0xb7, 0x3c, 0x59, 0xd7, 0xe0, 0xc0, 0x89, 0xc0 };

/* Entry: PekID u16, Revision u16, then revision 1: the 16-byte hash;
 * revision 2: DataOffset u32, Salt[16], the AES data. A header alone
 * (4 or 24 bytes) is no hash. */
enum sam_password sam_nt_password(const uint8_t *e, size_t n, uint32_t rid, const uint8_t hbk[16])
{
	uint8_t obf[16], nt[16], key[16];
	static const char NTPW[] = "NTPASSWORD";
	enum sam_password res;

	if (n == 0 || (n == 4 && e && e[2] == 1) || (n == 24 && e && e[2] == 2))
		return SAM_PW_NONE;
	if (!e || n < 4 || !hbk)
		return SAM_PW_UNKNOWN;
	uint16_t rev = (uint16_t)(e[2] | e[3] << 8);
	if (rev == 1 && n == 20) {
		uint8_t r[4] = { (uint8_t)rid, (uint8_t)(rid >> 8), (uint8_t)(rid >> 16), (uint8_t)(rid >> 24) };
		if (md5(hbk, 16, r, 4, NTPW, sizeof(NTPW), "", 0, key) < 0)
			return SAM_PW_UNKNOWN;
		rc4(key, 16, e + 4, obf, 16);
	} else if (rev == 2 && n > 24 && n <= 24 + 4096) {
		size_t dlen = (n - 24) & ~(size_t)15;
		uint8_t buf[4096];
		if (dlen < 16 || aes128_cbc_decrypt(hbk, e + 8, e + 24, dlen, buf) < 0)
			return SAM_PW_UNKNOWN;
		memcpy(obf, buf, 16);
		OPENSSL_cleanse(buf, dlen);
	} else {
		return SAM_PW_UNKNOWN;
	}
	if (des_by_rid(rid, obf, nt) < 0)
		return SAM_PW_UNKNOWN;
	res = CRYPTO_memcmp(nt, EMPTY_NT, 16) == 0 ? SAM_PW_EMPTY : SAM_PW_SET;
	OPENSSL_cleanse(nt, sizeof(nt));
	OPENSSL_cleanse(obf, sizeof(obf));
	OPENSSL_cleanse(key, sizeof(key));
	return res;
}

/* The class names hold the boot key as hex, its bytes scrambled. */
int sam_boot_key(struct hive *system, uint32_t control_set, uint8_t key[16], struct ks_err *err)
{
	static const char *const parts[] = { "JD", "Skew1", "GBG", "Data" };
	static const uint8_t perm[16] = { 8, 5, 4, 2, 11, 9, 13, 3, 0, 6, 1, 12, 14, 10, 15, 7 };
	char path[64], hex[33] = "";
	uint8_t raw[16];
	size_t lsa;

	snprintf(path, sizeof(path), "ControlSet%03u\\Control\\Lsa", control_set ? control_set : 1);
	lsa = hive_key(system, path);
	if (!lsa)
		return ks_fail(err, KS_EINPUT, "SYSTEM %s absent", path);
	for (size_t i = 0; i < 4; i++) {
		char *c = hive_key_class(system, hive_child(system, lsa, parts[i]));
		if (!c || strlen(c) != 8) {
			ks_fail(err, KS_EINPUT, "SYSTEM %s\\%s has %s class name", path, parts[i], c ? "no 8-digit" : "no");
			free(c);
			return -1;
		}
		memcpy(hex + 8 * i, c, 8);
		free(c);
	}
	hex[32] = 0;
	for (size_t i = 0; i < 16; i++) {
		unsigned v = 0;
		for (size_t k = 0; k < 2; k++) {
			char ch = hex[2 * i + k];
			unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0')
				   : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
				   : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10) : 16;
			if (d > 15)
				return ks_fail(err, KS_EINPUT, "SYSTEM %s class names are not hexadecimal", path);
			v = v << 4 | d;
		}
		raw[i] = (uint8_t)v;
	}
	for (size_t i = 0; i < 16; i++)
		key[i] = raw[perm[i]];
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(hex, sizeof(hex));
	return 0;
}
#include <kenshu/banned.h>
