#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <openssl/evp.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

struct sha256 {
	EVP_MD_CTX *ctx;
};

/* EVP digest calls fail only when OpenSSL cannot allocate: out of memory. */
struct sha256 *sha256_new(void)
{
	struct sha256 *h = xmalloc(sizeof(*h));

	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		ks_oom(0);
	return h;
}

void sha256_update(struct sha256 *h, const void *data, size_t n)
{
	if (n && EVP_DigestUpdate(h->ctx, data, n) != 1)
		ks_oom(0);
}

void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32 ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		ks_oom(0);
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[SHA256_HEX_LEN] = '\0';
}

void sha256_reset(struct sha256 *h)
{
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		ks_oom(0);
}

void sha256_free(struct sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1], uint64_t *size)
{
	static const size_t bufsize = 1 << 20;
	struct sha256 *h = sha256_new();
	char *buf = xmalloc(bufsize);
	uint64_t total = 0;
	ssize_t got;

	while ((got = read(fd, buf, bufsize)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			sha256_free(h);
			errno = e;
			return -1;
		}
		sha256_update(h, buf, (size_t)got);
		total += (uint64_t)got;
	}
	sha256_final_hex(h, hex);
	if (size)
		*size = total;
	free(buf);
	sha256_free(h);
	return 0;
}

int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, e;

	if (fd < 0)
		return -1;
	rc = sha256_fd(fd, hex, size);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
