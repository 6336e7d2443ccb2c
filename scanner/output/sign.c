/* Ed25519 signatures over report directories, through OpenSSL's EVP
 * interface: keys and signing. The format is in output.h and
 * docs/report.md; sign_verify.c checks a signed directory. A private key
 * never leaves its file except into OpenSSL (never printed, buffers
 * cleansed). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <kenshu/core.h>
#include <kenshu/output.h>
#include "output_internal.h"
#include <kenshu/banned.h>

#define RAW_PUB_BYTES 32

/* OpenSSL's reason for the last failure, for messages; never key bytes. */
static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "unknown OpenSSL error";
}

/* ---- keys ------------------------------------------------------------- */

static int key_id_of(EVP_PKEY *pkey, char id[SIGN_KEY_ID_LEN + 1])
{
	unsigned char raw[RAW_PUB_BYTES];
	size_t len = sizeof(raw);
	struct sha256 *h;

	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != RAW_PUB_BYTES)
		return -1;
	h = sha256_new();
	sha256_update(h, raw, len);
	sha256_final_hex(h, id);
	sha256_free(h);
	return 0;
}

static struct sign_key *key_new(EVP_PKEY *pkey, bool private_key)
{
	struct sign_key *k = xcalloc(1, sizeof(*k));

	k->pkey = pkey;
	k->private_key = private_key;
	if (key_id_of(pkey, k->id) < 0) {
		EVP_PKEY_free(pkey);
		free(k);
		return NULL;
	}
	return k;
}

const char *sign_key_id(const struct sign_key *k)
{
	return k->id;
}

void sign_key_free(struct sign_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* Writes all of buf to a new file (O_EXCL: never over an existing one),
 * fsynced. Returns 0, or -1 with errno set; the file is removed on a
 * failure after it was created. */
static int write_new_file(const char *path, mode_t mode, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	const char *p = buf;
	int e;

	if (fd < 0)
		return -1;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	e = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(path);
	errno = e;
	return -1;
}

/* The PEM text of a key, with the "# ..." line before it. Caller frees
 * with free_secret() (a private key's text is cleansed). */
static char *pem_text(EVP_PKEY *pkey, bool private_key, const char *id, size_t *len)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data, *out = NULL;
	long n;
	int ok;

	if (!b)
		return NULL;
	BIO_printf(b, "# kenshu %s key, key id %s\n", private_key ? "private" : "public", id);
	if (private_key)
		BIO_printf(b, "# keep it offline, mode 0600, never share it (docs/signing.md)\n");
	ok = private_key ? PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_bio_PUBKEY(b, pkey);
	n = BIO_get_mem_data(b, &data);
	if (ok == 1 && n > 0) {
		out = xmalloc((size_t)n);
		memcpy(out, data, (size_t)n);
		*len = (size_t)n;
	}
	BIO_free(b);
	return out;
}

static void free_secret(char *p, size_t n)
{
	if (p)
		OPENSSL_cleanse(p, n);
	free(p);
}

int sign_keygen(const char *path, char key_id[SIGN_KEY_ID_LEN + 1], struct ks_err *err)
{
	char *pub_path = xasprintf("%s.pub", path);
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *priv = NULL, *pub = NULL;
	size_t priv_len = 0, pub_len = 0;
	struct stat st;
	int rc = -1;

	if (!pkey) {
		ks_fail(err, KS_EIO, "cannot make an Ed25519 key: %s", ossl_reason());
		goto out;
	}
	if (key_id_of(pkey, key_id) < 0 || !(priv = pem_text(pkey, true, key_id, &priv_len)) ||
	    !(pub = pem_text(pkey, false, key_id, &pub_len))) {
		ks_fail(err, KS_EIO, "cannot encode the new key: %s", ossl_reason());
		goto out;
	}
	/* Both names are checked before either is written: a half-made
	 * pair must never replace half of an existing one. */
	if (lstat(pub_path, &st) == 0) {
		ks_fail(err, KS_EUSAGE, "'%s': already exists: not overwritten (move it away to make a new key)", pub_path);
		goto out;
	}
	if (write_new_file(path, 0600, priv, priv_len) < 0) {
		if (errno == EEXIST)
			ks_fail(err, KS_EUSAGE, "'%s': already exists: not overwritten (move it away to make a new key)", path);
		else
			ks_fail(err, KS_EIO, "'%s': cannot write the private key: %s", path, strerror(errno));
		goto out;
	}
	if (write_new_file(pub_path, 0644, pub, pub_len) < 0) {
		int e = errno;
		unlink(path);   /* ours: created above, a pair or nothing */
		if (e == EEXIST)
			ks_fail(err, KS_EUSAGE, "'%s': already exists: not overwritten (move it away to make a new key)", pub_path);
		else
			ks_fail(err, KS_EIO, "'%s': cannot write the public key: %s", pub_path, strerror(e));
		goto out;
	}
	rc = 0;
out:
	free_secret(priv, priv_len);
	free(pub);
	EVP_PKEY_free(pkey);
	free(pub_path);
	return rc;
}

/* Reads a key file whole (at most SIGN_KEY_MAX_BYTES), NUL-terminated,
 * into a buffer the caller frees with free_secret(); *mode is the mode of
 * the file that was read (fstat of the open descriptor, not the name). */
static char *read_key_file(const char *path, mode_t *mode, size_t *len, struct ks_err *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char *buf = NULL;
	size_t n = 0;
	struct stat st;

	if (fd < 0) {
		ks_fail(err, KS_EIO, "'%s': cannot read the key: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ks_fail(err, KS_EINPUT, "'%s': not a key file (not a regular file)", path);
		goto fail;
	}
	*mode = st.st_mode;
	if (st.st_size > SIGN_KEY_MAX_BYTES) {
		ks_fail(err, KS_EINPUT, "'%s': not a key file (%lld bytes, a key is under %d)", path, (long long)st.st_size,
		      SIGN_KEY_MAX_BYTES);
		goto fail;
	}
	buf = xmalloc(SIGN_KEY_MAX_BYTES + 1);
	for (;;) {
		ssize_t got = read(fd, buf + n, SIGN_KEY_MAX_BYTES + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ks_fail(err, KS_EIO, "'%s': cannot read the key: %s", path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > SIGN_KEY_MAX_BYTES) {
			ks_fail(err, KS_EINPUT, "'%s': not a key file (over %d bytes)", path, SIGN_KEY_MAX_BYTES);
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*len = SIGN_KEY_MAX_BYTES + 1;
	return buf;
fail:
	free_secret(buf, SIGN_KEY_MAX_BYTES + 1);
	close(fd);
	return NULL;
}

/* Never prompts for a passphrase: a batch tool must not wait on a tty. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static int check_ed25519(const char *path, EVP_PKEY *pkey, struct ks_err *err)
{
	if (EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519)
		return 0;
	const char *t = EVP_PKEY_get0_type_name(pkey);
	return ks_fail(err, KS_EUSAGE, "'%s': a %s key, not Ed25519: make one with 'kenshu keygen'", path, t ? t : "different");
}

/* A kenshu key file names its key id; when it does, it must be the key's. */
static int check_id_line(const char *path, const char *text, const char *id, struct ks_err *err)
{
	const char *eol = strchr(text, '\n'), *p = strstr(text, ", key id ");

	if (text[0] != '#' || !eol || !p || p > eol)
		return 0;
	p += strlen(", key id ");
	if (strncmp(p, id, SIGN_KEY_ID_LEN) != 0 || p[SIGN_KEY_ID_LEN] != '\n')
		return ks_fail(err, KS_EINPUT, "'%s': the key id in its first line is not the key's: the file was altered", path);
	return 0;
}

/* The PEM key in text, private or public, or NULL; OpenSSL's error queue
 * is left empty either way (the caller says what went wrong). */
static EVP_PKEY *pem_key(const char *text, bool private_key)
{
	BIO *b = BIO_new_mem_buf(text, (int)strlen(text));
	EVP_PKEY *pkey = NULL;

	if (b)
		pkey = private_key ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL)
				   : PEM_read_bio_PUBKEY(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	ERR_clear_error();
	return pkey;
}

int sign_key_load_private(const char *path, struct sign_key **out, struct ks_err *err)
{
	size_t len = 0;
	mode_t mode = 0;
	char *text = read_key_file(path, &mode, &len, err);
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	if (!text)
		return -1;
	if (strstr(text, "-----BEGIN PUBLIC KEY-----") && !strstr(text, "PRIVATE KEY-----")) {
		ks_fail(err, KS_EUSAGE, "'%s': a public key: --sign-key wants the private key (the file without .pub)", path);
		free_secret(text, len);
		return -1;
	}
	/* Like ssh: a key others could have read may have been copied, and
	 * signatures made with it prove nothing. */
	if (mode & (S_IRWXG | S_IRWXO)) {
		ks_fail(err, KS_EUSAGE, "'%s': private key is accessible by group or others (mode %04o): refused; "
		      "'chmod 600 %s' if it was never exposed, else make a new key",
		      path, (unsigned)(mode & 07777), path);
		free_secret(text, len);
		return -1;
	}
	pkey = pem_key(text, true);
	if (!pkey) {
		if (strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----"))
			ks_fail(err, KS_EUSAGE, "'%s': an encrypted private key: kenshu signs unattended and reads only "
			      "unencrypted keys (see docs/signing.md)", path);
		else
			ks_fail(err, KS_EINPUT, "'%s': not a readable private key (PEM)", path);
		free_secret(text, len);
		return -1;
	}
	free_secret(text, len);
	if (check_ed25519(path, pkey, err) < 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	if (!(*out = key_new(pkey, true)))
		return ks_fail(err, KS_EINPUT, "'%s': cannot read the public half of the key", path);
	return 0;
}

int sign_key_load_public(const char *path, struct sign_key **out, struct ks_err *err)
{
	size_t len = 0;
	mode_t mode = 0;
	char *text = read_key_file(path, &mode, &len, err);
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	*out = NULL;
	if (!text)
		return -1;
	/* Said before parsing: a private key must not be handed around as if
	 * it were the public one, and verifying never needs it. */
	if (strstr(text, "PRIVATE KEY-----")) {
		ks_fail(err, KS_EUSAGE, "'%s': a private key: verify wants the public key (%s.pub)", path, path);
		goto out;
	}
	pkey = pem_key(text, false);
	if (!pkey) {
		ks_fail(err, KS_EINPUT, "'%s': not a readable public key (PEM)", path);
		goto out;
	}
	if (check_ed25519(path, pkey, err) < 0) {
		EVP_PKEY_free(pkey);
		goto out;
	}
	if (!(*out = key_new(pkey, false))) {
		ks_fail(err, KS_EINPUT, "'%s': cannot read the raw public key", path);
		goto out;
	}
	if (check_id_line(path, text, (*out)->id, err) < 0) {
		sign_key_free(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	free_secret(text, len);
	return rc;
}

/* ---- the statement ---------------------------------------------------- */

int sign_name_ok(const char *name)
{
	size_t n = 0;

	if (!name || !name[0] || name[0] == '.')
		return 0;
	for (; name[n]; n++) {
		unsigned char c = (unsigned char)name[n];
		if (n >= SIGN_MAX_NAME || (!(isalnum(c) && c < 0x80) && c != '_' && c != '.' && c != '-'))
			return 0;
	}
	return 1;
}

bool sign_is_hex64(const char *s, size_t n)
{
	if (n != SHA256_HEX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool sign_is_utc_time(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (n != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return false;
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct sign_file *)a)->name, ((const struct sign_file *)b)->name);
}

char *sign_b64(const unsigned char *sig, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, sig, (int)n);
	return out;
}

char *sign_statement(const struct sign_key *k, const char *kind, const struct sign_file *files,
		     size_t n, const char *signed_at, struct ks_err *err)
{
	struct sign_file *sorted = NULL;
	char now[32], *sig64 = NULL, *out = NULL;
	unsigned char sig[SIG_BYTES];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = NULL;
	struct strbuf sb = STRBUF_INIT;

	if (!k->private_key) {
		ks_fail(err, KS_EINPUT, "cannot sign with a public key");
		return NULL;
	}
	if (!kind || (strcmp(kind, "report") && strcmp(kind, "bundle"))) {
		ks_fail(err, KS_EINPUT, "cannot sign: unknown kind '%s'", kind ? kind : "");
		return NULL;
	}
	if (n == 0 || n > SIGN_MAX_FILES) {
		ks_fail(err, KS_EINPUT, "cannot sign %zu files: a signature covers 1 to %d", n, SIGN_MAX_FILES);
		return NULL;
	}
	if (!signed_at) {
		ks_now_iso(now, sizeof(now));
		signed_at = now;
	}
	if (!sign_is_utc_time(signed_at, strlen(signed_at))) {
		ks_fail(err, KS_EINPUT, "cannot sign: '%s' is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)", signed_at);
		return NULL;
	}
	sorted = xmalloc(n * sizeof(*sorted));
	memcpy(sorted, files, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), by_name);
	for (size_t i = 0; i < n; i++) {
		if (!sign_name_ok(sorted[i].name) || !sign_is_hex64(sorted[i].sha256, strlen(sorted[i].sha256))) {
			ks_fail(err, KS_EINPUT, "cannot sign '%s': not a plain file name with a SHA-256", sorted[i].name);
			goto out;
		}
		if (i && !strcmp(sorted[i].name, sorted[i - 1].name)) {
			ks_fail(err, KS_EINPUT, "cannot sign '%s' twice", sorted[i].name);
			goto out;
		}
	}

	strbuf_addf(&sb, SIGN_MAGIC "\nkind: %s\nkey-id: %s\nsigned-at: %s\n", kind, k->id, signed_at);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "file: %s %llu %s\n", sorted[i].name, (unsigned long long)sorted[i].size,
			    sorted[i].sha256);

	/* Ed25519 is one-shot (PureEdDSA): the message goes in whole. */
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)sb.buf, sb.len) != 1 || siglen != SIG_BYTES) {
		ks_fail(err, KS_EIO, "cannot sign: %s", ossl_reason());
		goto out;
	}
	sig64 = sign_b64(sig, siglen);
	strbuf_addf(&sb, "signature: %s\n", sig64);
	out = strbuf_detach(&sb, NULL);
out:
	EVP_MD_CTX_free(ctx);
	free(sig64);
	strbuf_release(&sb);
	free(sorted);
	return out;
}
