/* Verifying a signed report directory: report.sig parsed as hostile
 * input with hard caps before anything in it is trusted, then every
 * problem named instead of stopping at the first. The format is in
 * output.h and docs/report.md; signing is in sign.c. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <kenshu/core.h>
#include <kenshu/output.h>
#include "output_internal.h"
#include <kenshu/banned.h>

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
	if (!sign_is_hex64(sp2 + 1, n - (size_t)(sp2 + 1 - v))) {
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
			if (n != strlen(SIGN_MAGIC) || memcmp(line, SIGN_MAGIC, n) != 0) {
				*why = "not a kenshu signature (expected '" SIGN_MAGIC "')";
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
			if (!(v = field(line, n, "key-id", &vn)) || !sign_is_hex64(v, vn)) {
				*why = "expected 'key-id: <64 hex digits>'";
				return false;
			}
			p->key_id = v;
		} else if (ln == 4) {
			if (!(v = field(line, n, "signed-at", &vn)) || !sign_is_utc_time(v, vn)) {
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
	again = sign_b64(sig, SIG_BYTES);
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
