/* Ed25519 signatures over report directories, through OpenSSL's EVP
 * interface. The format is in sign.h and docs/report.md; this file keeps
 * three promises: a private key never leaves its file except into OpenSSL
 * (never printed, buffers cleansed), report.sig is parsed as hostile input
 * with hard caps before anything in it is trusted, and verification names
 * every problem instead of stopping at the first. */
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
#include <kenshu/banned.h>

#define SIG_BYTES 64
#define SIG_B64_LEN 88              /* base64 of 64 bytes, "==" padded */
#define RAW_PUB_BYTES 32
#define MAGIC "kenshu-signature-v1"

struct sign_key {
	EVP_PKEY *pkey;
	bool private_key;
	char id[SIGN_KEY_ID_LEN + 1];
};

/* The report files kenshu writes: if one lies in a signed directory, the
 * signature must cover it, or a signed statement could be moved next to
 * files it never saw. */
static const char *const report_files[] = {
	"bundle.json", "bundle.txt", "findings.csv", "manifest.jsonl", "report.html", "report.json",
	"report.txt", "stix.json",
};

static const struct {
	const char *kind;
	const char *required[2];
} kinds[] = {
	{ "report", { "report.json", "manifest.jsonl" } },
	{ "bundle", { "bundle.json", "bundle.txt" } },
};

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

static bool is_hex64(const char *s, size_t n)
{
	if (n != SHA256_HEX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* YYYY-MM-DDTHH:MM:SSZ, digits where digits belong. */
static bool is_utc_time(const char *s, size_t n)
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

static char *b64(const unsigned char *sig, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, sig, (int)n);
	return out;
}

char *sign_statement(const struct sign_key *k, const char *kind, const struct sign_file *files,
		     size_t n, const char *signed_at, struct ks_err *err)
{
	struct sign_file *sorted = NULL;
	char now[32], *text = NULL, *sig64 = NULL, *out = NULL;
	unsigned char sig[SIG_BYTES];
	size_t len = 0, siglen = sizeof(sig);
	EVP_MD_CTX *ctx = NULL;
	FILE *f;

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
	if (!is_utc_time(signed_at, strlen(signed_at))) {
		ks_fail(err, KS_EINPUT, "cannot sign: '%s' is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)", signed_at);
		return NULL;
	}
	sorted = xmalloc(n * sizeof(*sorted));
	memcpy(sorted, files, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), by_name);
	for (size_t i = 0; i < n; i++) {
		if (!sign_name_ok(sorted[i].name) || !is_hex64(sorted[i].sha256, strlen(sorted[i].sha256))) {
			ks_fail(err, KS_EINPUT, "cannot sign '%s': not a plain file name with a SHA-256", sorted[i].name);
			goto out;
		}
		if (i && !strcmp(sorted[i].name, sorted[i - 1].name)) {
			ks_fail(err, KS_EINPUT, "cannot sign '%s' twice", sorted[i].name);
			goto out;
		}
	}

	f = open_memstream(&text, &len);
	if (!f)
		ks_oom(0);
	fprintf(f, MAGIC "\nkind: %s\nkey-id: %s\nsigned-at: %s\n", kind, k->id, signed_at);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "file: %s %llu %s\n", sorted[i].name, (unsigned long long)sorted[i].size,
			sorted[i].sha256);
	if (fclose(f) != 0)
		ks_oom(0);

	/* Ed25519 is one-shot (PureEdDSA): the message goes in whole. */
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)text, len) != 1 || siglen != SIG_BYTES) {
		ks_fail(err, KS_EIO, "cannot sign: %s", ossl_reason());
		goto out;
	}
	sig64 = b64(sig, siglen);
	out = xasprintf("%ssignature: %s\n", text, sig64);
out:
	EVP_MD_CTX_free(ctx);
	free(sig64);
	free(text);
	free(sorted);
	return out;
}

/* ---- verification ----------------------------------------------------- */

void sign_check_release(struct sign_check *c)
{
	for (size_t i = 0; i < c->nfailures; i++)
		free(c->failures[i]);
	free(c->failures);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->kind);
	free(c->key_id);
	free(c->signed_at);
	memset(c, 0, sizeof(*c));
}

static KS_PRINTF(2, 3) void fail(struct sign_check *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		ks_oom(0);
	va_end(ap);
	c->failures = xrealloc(c->failures, (c->nfailures + 1) * sizeof(*c->failures));
	c->failures[c->nfailures++] = s;
}

/* A parsed report.sig; strings point into the file's buffer. */
struct parsed {
	size_t statement_len;
	const char *kind, *key_id, *signed_at, *sig64;
	size_t kind_len;
	struct {
		char name[SIGN_MAX_NAME + 1];
		uint64_t size;
		char sha256[SHA256_HEX_LEN + 1];
	} file[SIGN_MAX_FILES];
	size_t nfiles;
};

/* Is line (len bytes) "key: value"? Returns the value, or NULL. */
static const char *field(const char *line, size_t len, const char *key, size_t *vlen)
{
	size_t k = strlen(key);

	if (len < k + 2 || memcmp(line, key, k) != 0 || line[k] != ':' || line[k + 1] != ' ')
		return NULL;
	*vlen = len - k - 2;
	return line + k + 2;
}

static bool parse_file_line(const char *v, size_t n, struct parsed *p, const char **why)
{
	const char *sp1 = memchr(v, ' ', n), *sp2;
	size_t nl, sl;
	uint64_t size = 0;

	if (!sp1 || !(sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - v)))) {
		*why = "expected 'file: NAME SIZE SHA256'";
		return false;
	}
	nl = (size_t)(sp1 - v);
	sl = (size_t)(sp2 - sp1 - 1);
	if (nl == 0 || nl > SIGN_MAX_NAME) {
		*why = "a file name must be 1 to 64 bytes";
		return false;
	}
	memcpy(p->file[p->nfiles].name, v, nl);
	p->file[p->nfiles].name[nl] = '\0';
	if (!sign_name_ok(p->file[p->nfiles].name)) {
		*why = "a file name must be one plain component of [A-Za-z0-9_.-]";
		return false;
	}
	if (sl == 0 || sl > 20 || (sl > 1 && sp1[1] == '0')) {
		*why = "a file size must be a decimal number";
		return false;
	}
	for (size_t i = 0; i < sl; i++) {
		char d = sp1[1 + i];
		if (d < '0' || d > '9' || size > (UINT64_MAX - (uint64_t)(d - '0')) / 10) {
			*why = "a file size must be a decimal number";
			return false;
		}
		size = size * 10 + (uint64_t)(d - '0');
	}
	if (!is_hex64(sp2 + 1, n - (size_t)(sp2 + 1 - v))) {
		*why = "a SHA-256 must be 64 lower-case hex digits";
		return false;
	}
	for (size_t i = 0; i < p->nfiles; i++)
		if (!strcmp(p->file[i].name, p->file[p->nfiles].name)) {
			*why = "a file is listed twice";
			return false;
		}
	p->file[p->nfiles].size = size;
	memcpy(p->file[p->nfiles].sha256, sp2 + 1, SHA256_HEX_LEN);
	p->file[p->nfiles].sha256[SHA256_HEX_LEN] = '\0';
	p->nfiles++;
	return true;
}

/* Strict: the lines kenshu writes, in its order, nothing else. Returns
 * true, or false with *why and *lineno set. */
static bool parse_sig(const char *buf, size_t len, struct parsed *p, const char **why, unsigned *lineno)
{
	size_t off = 0;
	unsigned ln = 0;
	bool done = false;

	memset(p, 0, sizeof(*p));
	if (memchr(buf, '\0', len)) {
		*why = "holds a NUL byte";
		*lineno = 0;
		return false;
	}
	while (off < len) {
		const char *line = buf + off, *nl = memchr(line, '\n', len - off), *v;
		size_t n, vn;

		*lineno = ++ln;
		if (done) {
			*why = "text after the signature line";
			return false;
		}
		n = nl ? (size_t)(nl - line) : len - off;
		if (n > SIGN_MAX_LINE) {
			*why = "line too long";
			return false;
		}
		if (!nl) {
			*why = "the last line has no newline";
			return false;
		}
		if (ln == 1) {
			if (n != strlen(MAGIC) || memcmp(line, MAGIC, n) != 0) {
				*why = "not a kenshu signature (expected '" MAGIC "')";
				return false;
			}
		} else if (ln == 2) {
			if (!(v = field(line, n, "kind", &vn)) ||
			    !((vn == 6 && !memcmp(v, "report", 6)) || (vn == 6 && !memcmp(v, "bundle", 6)))) {
				*why = "expected 'kind: report' or 'kind: bundle'";
				return false;
			}
			p->kind = v;
			p->kind_len = vn;
		} else if (ln == 3) {
			if (!(v = field(line, n, "key-id", &vn)) || !is_hex64(v, vn)) {
				*why = "expected 'key-id: <64 hex digits>'";
				return false;
			}
			p->key_id = v;
		} else if (ln == 4) {
			if (!(v = field(line, n, "signed-at", &vn)) || !is_utc_time(v, vn)) {
				*why = "expected 'signed-at: YYYY-MM-DDTHH:MM:SSZ'";
				return false;
			}
			p->signed_at = v;
		} else if ((v = field(line, n, "file", &vn))) {
			if (p->nfiles == SIGN_MAX_FILES) {
				*why = "too many files";
				return false;
			}
			if (!parse_file_line(v, vn, p, why))
				return false;
		} else if ((v = field(line, n, "signature", &vn))) {
			if (p->nfiles == 0) {
				*why = "no file is listed";
				return false;
			}
			if (vn != SIG_B64_LEN) {
				*why = "the signature is not 88 base64 characters";
				return false;
			}
			p->statement_len = off;
			p->sig64 = v;
			done = true;
		} else {
			*why = ln <= 4 ? "header line missing" : "expected a 'file:' or 'signature:' line";
			return false;
		}
		off += n + 1;
	}
	if (!done) {
		*lineno = ln + 1;
		*why = "no signature line";
		return false;
	}
	return true;
}

/* Strict base64 of exactly 64 bytes: re-encoding must give the same text,
 * so one signature has one spelling. */
static bool decode_sig(const char *s64, unsigned char sig[SIG_BYTES])
{
	unsigned char buf[SIG_B64_LEN];
	char *again;
	bool ok;

	for (size_t i = 0; i < SIG_B64_LEN; i++) {
		unsigned char c = (unsigned char)s64[i];
		if (!(isalnum(c) && c < 0x80) && c != '+' && c != '/' && !(c == '=' && i >= SIG_B64_LEN - 2))
			return false;
	}
	if (EVP_DecodeBlock(buf, (const unsigned char *)s64, SIG_B64_LEN) != 66)
		return false;
	memcpy(sig, buf, SIG_BYTES);
	again = b64(sig, SIG_BYTES);
	ok = !memcmp(again, s64, SIG_B64_LEN);
	free(again);
	return ok;
}

/* Reads dir/name whole if it is a regular file of at most max bytes.
 * Returns the buffer (caller frees), or NULL with *why. */
static char *read_small(const char *dir, const char *name, size_t max, size_t *len, const char **why,
			int *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char *buf = NULL;
	size_t n = 0;
	struct stat st;

	free(path);
	*err = 0;
	if (fd < 0) {
		*err = errno;
		*why = errno == ENOENT ? "missing" : "cannot read";
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		close(fd);
		return NULL;
	}
	buf = xmalloc(max + 1);
	for (;;) {
		ssize_t got = read(fd, buf + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*err = errno;
			*why = "cannot read";
			free(buf);
			close(fd);
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			*why = "too large to be a kenshu signature";
			free(buf);
			close(fd);
			return NULL;
		}
	}
	close(fd);
	*len = n;
	return buf;
}

/* Hashes dir/name as it is now and compares it with the statement. */
static void check_file(struct sign_check *c, const char *dir, const char *name, uint64_t size,
		       const char *sha256)
{
	char *path = xasprintf("%s/%s", dir, name), hex[SHA256_HEX_LEN + 1];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	uint64_t got = 0;
	struct stat st;

	free(path);
	if (fd < 0) {
		if (errno == ENOENT)
			fail(c, "%s: missing", name);
		else
			fail(c, "%s: cannot read: %s", name, strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fail(c, "%s: not a regular file", name);
		close(fd);
		return;
	}
	if (sha256_fd(fd, hex, &got) < 0) {
		fail(c, "%s: cannot read: %s", name, strerror(errno));
		close(fd);
		return;
	}
	close(fd);
	if (got != size)
		fail(c, "%s: SHA-256 differs from the signed statement (%llu bytes, %llu signed)", name,
		     (unsigned long long)got, (unsigned long long)size);
	else if (strcmp(hex, sha256) != 0)
		fail(c, "%s: SHA-256 differs from the signed statement", name);
}

int sign_verify_dir(const char *dir, const struct sign_key *pub, const char *pub_name,
		    struct sign_check *c)
{
	struct parsed p;
	unsigned char sig[SIG_BYTES];
	const char *why = NULL;
	unsigned lineno = 0;
	size_t len = 0;
	int err = 0;
	char *buf;
	EVP_MD_CTX *ctx;

	memset(c, 0, sizeof(*c));
	buf = read_small(dir, SIGN_FILE, SIGN_MAX_BYTES, &len, &why, &err);
	if (!buf) {
		if (err && err != ENOENT)
			fail(c, SIGN_FILE ": %s: %s", why, strerror(err));
		else
			fail(c, SIGN_FILE ": %s", why);
		return -1;
	}
	if (!parse_sig(buf, len, &p, &why, &lineno)) {
		fail(c, SIGN_FILE ": malformed, line %u: %s", lineno, why);
		free(buf);
		return -1;
	}
	c->kind = xstrndup(p.kind, p.kind_len);
	c->key_id = xstrndup(p.key_id, SIGN_KEY_ID_LEN);
	c->signed_at = xstrndup(p.signed_at, 20);
	c->files = xcalloc(p.nfiles, sizeof(*c->files));
	for (size_t i = 0; i < p.nfiles; i++)
		c->files[c->nfiles++] = xstrdup(p.file[i].name);

	/* The signature first: what follows is only meaningful if it holds,
	 * but is said either way so that one run names every problem. */
	ctx = EVP_MD_CTX_new();
	if (!decode_sig(p.sig64, sig) || !ctx || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub->pkey) != 1 ||
	    EVP_DigestVerify(ctx, sig, SIG_BYTES, (const unsigned char *)buf, p.statement_len) != 1) {
		if (strcmp(c->key_id, pub->id) != 0)
			fail(c, SIGN_FILE ": signature does not verify with %s (key id %s; the statement names key id %s)",
			     pub_name, pub->id, c->key_id);
		else
			fail(c, SIGN_FILE ": signature does not verify with %s (key id %s)", pub_name, pub->id);
	} else if (strcmp(c->key_id, pub->id) != 0) {
		/* A valid signature by this key over a statement naming another:
		 * only a forger's tool writes that. */
		fail(c, SIGN_FILE ": the statement names key id %s, not %s's (key id %s)", c->key_id, pub_name,
		     pub->id);
	}
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);

	for (size_t i = 0; i < p.nfiles; i++)
		check_file(c, dir, p.file[i].name, p.file[i].size, p.file[i].sha256);
	for (size_t r = 0; r < sizeof(report_files) / sizeof(report_files[0]); r++) {
		const char *name = report_files[r];
		bool listed = false, required = false;
		struct stat st;
		char *path;

		for (size_t i = 0; i < p.nfiles; i++)
			listed |= !strcmp(p.file[i].name, name);
		if (listed)
			continue;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (!strcmp(kinds[k].kind, c->kind))
				required = !strcmp(kinds[k].required[0], name) || !strcmp(kinds[k].required[1], name);
		path = xasprintf("%s/%s", dir, name);
		if (required)
			fail(c, "%s: not covered by " SIGN_FILE " (a signed %s must cover it)", name, c->kind);
		else if (lstat(path, &st) == 0)
			fail(c, "%s: present but not covered by " SIGN_FILE, name);
		free(path);
	}
	free(buf);
	return c->nfailures ? -1 : 0;
}
