/* hash: SHA-256 through OpenSSL's EVP interface. */
#ifndef KENSHU_HASH_H
#define KENSHU_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

struct sha256;

struct sha256 *sha256_new(void);   /* caller frees with sha256_free() */
void sha256_update(struct sha256 *h, const void *data, size_t n);
/* Writes 64 lower-case hex digits and a NUL into hex; h can be reused. */
void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1]);
/* Drops whatever was hashed so far: h starts afresh. */
void sha256_reset(struct sha256 *h);
void sha256_free(struct sha256 *h);

/* Hashes a whole host file. Returns 0, or -1 with errno set. */
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size);
/* Hashes what is left to read on fd (the caller opened it and closes it).
 * Returns 0, or -1 with errno set. */
int sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1], uint64_t *size);

#endif
