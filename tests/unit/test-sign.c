/* Signing: key pairs, report.sig written with a report directory, and
 * verification that fails for any change to what was signed, for another
 * key, and for hostile signature files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* The error record the calls under test fill; said: its message. */
static struct ks_err kerr;
#define said (kerr.msg)

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/output.h>

static char tmpdir[] = "/tmp/kenshu-test-sign-XXXXXX";
static char *key, *pub, *key2, *pub2;


static void quiet(void)
{
	said[0] = '\0';
}

static void loud(void)
{
}

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void put(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static char *get(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char *buf = xmalloc(1 << 20);
	assert_non_null(f);
	*n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	buf[*n] = '\0';
	return buf;
}

static int setup(void **state)
{
	char id[SIGN_KEY_ID_LEN + 1];

	assert_non_null(mkdtemp(tmpdir));
	key = path_in(tmpdir, "plant.key");
	pub = xasprintf("%s.pub", key);
	key2 = path_in(tmpdir, "other.key");
	pub2 = xasprintf("%s.pub", key2);
	assert_int_equal(sign_keygen(key, id, &kerr), 0);
	assert_int_equal(sign_keygen(key2, id, &kerr), 0);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(key);
	free(pub);
	free(key2);
	free(pub2);
	return 0;
}

/* ---- a small signed report directory, through report_save_outputs ---- */

static const char json_text[] = "{ \"verdict\": \"PASS\" }\n";
static const char manifest_text[] = "{\"path\":\"/a\",\"sha256\":\"00\"}\n";
static const char txt_text[] = "VERDICT: PASS\n";

static int write_str(void *ctx, FILE *f)
{
	return fputs(ctx, f) < 0 ? -1 : 0;
}

/* The names a directory of these tests may hold. */
static const char *const owned[] = { "manifest.jsonl", "report.txt", "report.json", NULL };

static char *make_dir(const char *name, const char *keyfile)
{
	char *dir = path_in(tmpdir, name);
	struct sign_key *k = NULL;
	const struct report_output out[] = {
		{ "manifest.jsonl", write_str, (void *)manifest_text },
		{ "report.txt", write_str, (void *)txt_text },
		{ "report.json", write_str, (void *)json_text },
	};

	if (keyfile)
		assert_int_equal(sign_key_load_private(keyfile, &k, &kerr), 0);
	assert_int_equal(report_save_outputs(dir, out, 3, owned, k, "report", &kerr), 0);
	sign_key_free(k);
	return dir;
}

static struct sign_key *load_pub(const char *p)
{
	struct sign_key *k = NULL;
	assert_int_equal(sign_key_load_public(p, &k, &kerr), 0);
	return k;
}

/* Verifies dir with pub; returns the failures joined by newlines. */
static char *verify(const char *dir, const char *pubfile, int *rc)
{
	struct sign_key *k = load_pub(pubfile);
	struct sign_check c;
	char *all = xstrdup("");

	*rc = sign_verify_dir(dir, k, "KEY", &c);
	for (size_t i = 0; i < c.nfailures; i++) {
		char *n = xasprintf("%s%s\n", all, c.failures[i]);
		free(all);
		all = n;
	}
	/* A result is never both: passed, or said why not. */
	assert_true((*rc == 0) == (c.nfailures == 0));
	sign_check_release(&c);
	sign_key_free(k);
	return all;
}

static void assert_verifies(const char *dir)
{
	int rc;
	char *f = verify(dir, pub, &rc);
	if (rc != 0)
		print_error("unexpected failures:\n%s", f);
	assert_int_equal(rc, 0);
	free(f);
}

static void assert_fails_with(const char *dir, const char *what)
{
	int rc;
	char *f = verify(dir, pub, &rc);
	assert_int_equal(rc, -1);
	if (!strstr(f, what))
		print_error("wanted '%s' in:\n%s", what, f);
	assert_non_null(strstr(f, what));
	free(f);
}

static void round_trip(void **state)
{
	char *dir = make_dir("rt", key), *sigpath = path_in(dir, SIGN_FILE);
	struct sign_key *k = load_pub(pub);
	struct sign_check c;
	size_t n;
	char *text = get(sigpath, &n);

	assert_int_equal(sign_verify_dir(dir, k, "KEY", &c), 0);
	assert_string_equal(c.kind, "report");
	assert_string_equal(c.key_id, sign_key_id(k));
	assert_int_equal(c.nfiles, 3);
	assert_string_equal(c.files[0], "manifest.jsonl");   /* sorted by name */
	assert_string_equal(c.files[1], "report.json");
	assert_string_equal(c.files[2], "report.txt");
	assert_int_equal(strlen(c.signed_at), 20);
	sign_check_release(&c);
	/* The statement says what it covers, plainly. */
	assert_true(!strncmp(text, "kenshu-signature-v1\nkind: report\nkey-id: ", 40));
	char *line = xasprintf("\nfile: report.json %zu ", sizeof(json_text) - 1);
	assert_non_null(strstr(text, line));
	free(line);
	assert_non_null(strstr(text, "\nsignature: "));
	/* No temporary file left behind. */
	char *cmd = xasprintf("test $(ls -A '%s' | wc -l) = 4", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(text);
	free(sigpath);
	sign_key_free(k);
	free(dir);
}

static void key_files(void **state)
{
	struct stat st;
	char id[SIGN_KEY_ID_LEN + 1];
	size_t n, m;
	char *before, *after, *p = path_in(tmpdir, "fresh.key"), *pp = xasprintf("%s.pub", p);

	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(S_ISREG(st.st_mode));

	/* Never overwritten, whichever half exists. */
	before = get(key, &n);
	quiet();
	assert_int_equal(sign_keygen(key, id, &kerr), -1);
	loud();
	assert_non_null(strstr(said, "already exists: not overwritten"));
	after = get(key, &m);
	assert_int_equal(n, m);
	assert_memory_equal(before, after, n);
	free(before);
	free(after);

	put(pp, "someone's public key\n", 21);
	quiet();
	assert_int_equal(sign_keygen(p, id, &kerr), -1);
	loud();
	assert_non_null(strstr(said, ".pub': already exists"));
	assert_int_equal(access(p, F_OK), -1);      /* no half pair */
	before = get(pp, &n);
	assert_string_equal(before, "someone's public key\n");
	free(before);
	unlink(pp);

	/* The key id in the .pub is the key's, and verifies what it names. */
	assert_int_equal(sign_keygen(p, id, &kerr), 0);
	struct sign_key *k = load_pub(pp), *s = NULL;
	assert_string_equal(sign_key_id(k), id);
	assert_int_equal(sign_key_load_private(p, &s, &kerr), 0);
	assert_string_equal(sign_key_id(s), id);
	char *text = get(pp, &n);
	assert_non_null(strstr(text, id));
	free(text);
	sign_key_free(k);
	sign_key_free(s);
	free(p);
	free(pp);
}

static void private_key_permissions(void **state)
{
	struct sign_key *k = NULL;
	size_t n;
	char *body = get(key, &n), *b;

	/* The key's own base64 line, to show it is never echoed. */
	b = strstr(body, "-----BEGIN PRIVATE KEY-----\n");
	assert_non_null(b);
	b += strlen("-----BEGIN PRIVATE KEY-----\n");
	*strchr(b, '\n') = '\0';

	for (mode_t bad = 0001; bad <= 0040; bad <<= 1) {
		assert_int_equal(chmod(key, 0600 | bad), 0);
		quiet();
		assert_int_equal(sign_key_load_private(key, &k, &kerr), -1);
		loud();
		assert_null(k);
		assert_non_null(strstr(said, "private key is accessible by group or others"));
		assert_null(strstr(said, b));
	}
	assert_int_equal(chmod(key, 0400), 0);
	assert_int_equal(sign_key_load_private(key, &k, &kerr), 0);
	sign_key_free(k);
	assert_int_equal(chmod(key, 0600), 0);

	/* Handing the private key to verify is refused, without echoing it. */
	quiet();
	assert_int_equal(sign_key_load_public(key, &k, &kerr), -1);
	loud();
	assert_non_null(strstr(said, "a private key: verify wants the public key"));
	assert_null(strstr(said, b));
	/* And the public key to --sign-key. */
	quiet();
	assert_int_equal(sign_key_load_private(pub, &k, &kerr), -1);
	loud();
	assert_non_null(strstr(said, "a public key: --sign-key wants the private key"));
	free(body);
}

static void bad_key_files(void **state)
{
	struct sign_key *k = NULL;
	size_t n;
	char *good = get(pub, &n), *p = path_in(tmpdir, "bad.pub"), *pk = path_in(tmpdir, "bad.key");

	/* Truncated at every length: never a key, never a crash. */
	for (size_t cut = 0; cut < n; cut++) {
		put(p, good, cut);
		quiet();
		int rc = sign_key_load_public(p, &k, &kerr);
		loud();
		if (rc == 0) {
			/* Only a cut inside the trailing "-----END" line's
			 * newline can still hold the whole key. */
			assert_true(cut >= n - 1);
			sign_key_free(k);
		}
	}
	/* Garbage, empty, a directory, a missing file. */
	put(p, "\x01\x02garbage\xff\n", 11);
	quiet();
	assert_int_equal(sign_key_load_public(p, &k, &kerr), -1);
	assert_non_null(strstr(said, "not a readable public key"));
	put(pk, "", 0);
	chmod(pk, 0600);
	assert_int_equal(sign_key_load_private(pk, &k, &kerr), -1);
	assert_int_equal(sign_key_load_public(tmpdir, &k, &kerr), -1);
	assert_int_equal(sign_key_load_public("/nonexistent/k.pub", &k, &kerr), -1);
	assert_non_null(strstr(said, "cannot read the key: No such file"));
	loud();

	/* An altered key id line. */
	char *alt = xstrdup(good);
	char *id = strstr(alt, "key id ") + 7;
	id[0] = id[0] == '0' ? '1' : '0';
	put(p, alt, strlen(alt));
	quiet();
	assert_int_equal(sign_key_load_public(p, &k, &kerr), -1);
	loud();
	assert_non_null(strstr(said, "key id in its first line is not the key's"));
	free(alt);

	/* A plain PEM public key (no kenshu line) is fine: a third party's. */
	char *plain = strstr(good, "-----BEGIN");
	put(p, plain, strlen(plain));
	assert_int_equal(sign_key_load_public(p, &k, &kerr), 0);
	sign_key_free(k);

	/* Another algorithm: refused by name. */
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(ec);
	FILE *f = fopen(pk, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, ec, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	chmod(pk, 0600);
	f = fopen(p, "w");
	assert_int_equal(PEM_write_PUBKEY(f, ec), 1);
	fclose(f);
	EVP_PKEY_free(ec);
	quiet();
	assert_int_equal(sign_key_load_private(pk, &k, &kerr), -1);
	assert_non_null(strstr(said, "key, not Ed25519"));
	said[0] = '\0';
	assert_int_equal(sign_key_load_public(p, &k, &kerr), -1);
	assert_non_null(strstr(said, "key, not Ed25519"));
	loud();

	/* Oversized. */
	char *big = xcalloc(1, SIGN_KEY_MAX_BYTES + 10);
	memset(big, 'A', SIGN_KEY_MAX_BYTES + 9);
	put(p, big, SIGN_KEY_MAX_BYTES + 9);
	quiet();
	assert_int_equal(sign_key_load_public(p, &k, &kerr), -1);
	loud();
	assert_non_null(strstr(said, "not a key file"));
	free(big);
	free(good);
	free(p);
	free(pk);
}

/* Flips one bit of byte i of dir/name, returns the original byte. */
static unsigned char flip(const char *dir, const char *name, size_t i)
{
	char *p = path_in(dir, name);
	int fd = open(p, O_RDWR);
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, (off_t)i), 1);
	unsigned char x = c ^ 0x01;
	assert_int_equal(pwrite(fd, &x, 1, (off_t)i), 1);
	close(fd);
	free(p);
	return c;
}

static void unflip(const char *dir, const char *name, size_t i, unsigned char c)
{
	char *p = path_in(dir, name);
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &c, 1, (off_t)i), 1);
	close(fd);
	free(p);
}

/* Every byte of every signed file and of the signature file itself. */
static void every_flipped_byte_fails(void **state)
{
	char *dir = make_dir("flip", key), *msg;
	static const struct {
		const char *name;
		size_t len;
	} files[] = {
		{ "report.json", sizeof(json_text) - 1 },
		{ "manifest.jsonl", sizeof(manifest_text) - 1 },
		{ "report.txt", sizeof(txt_text) - 1 },
	};

	for (size_t f = 0; f < 3; f++) {
		msg = xasprintf("%s: SHA-256 differs from the signed statement", files[f].name);
		for (size_t i = 0; i < files[f].len; i++) {
			unsigned char c = flip(dir, files[f].name, i);
			assert_fails_with(dir, msg);
			unflip(dir, files[f].name, i, c);
		}
		free(msg);
	}
	assert_verifies(dir);

	char *sigpath = path_in(dir, SIGN_FILE);
	struct stat st;
	assert_int_equal(stat(sigpath, &st), 0);
	for (size_t i = 0; i < (size_t)st.st_size; i++) {
		unsigned char c = flip(dir, SIGN_FILE, i);
		assert_fails_with(dir, SIGN_FILE ": ");
		unflip(dir, SIGN_FILE, i, c);
	}
	assert_verifies(dir);
	/* Cut short anywhere, or grown by a byte. */
	size_t n;
	char *text = get(sigpath, &n);
	for (size_t cut = 0; cut < n; cut++) {
		put(sigpath, text, cut);
		assert_fails_with(dir, SIGN_FILE ": ");
	}
	char *more = xasprintf("%s\n", text);
	put(sigpath, more, n + 1);
	assert_fails_with(dir, SIGN_FILE ": malformed");
	put(sigpath, text, n);
	assert_verifies(dir);
	free(more);
	free(text);
	free(sigpath);
	free(dir);
}

static void other_key_fails(void **state)
{
	char *dir = make_dir("other", key2);
	struct sign_key *k1 = load_pub(pub), *k2 = load_pub(pub2);
	char *want = xasprintf(SIGN_FILE ": signature does not verify with KEY (key id %s; "
			       "the statement names key id %s)", sign_key_id(k1), sign_key_id(k2));
	int rc;
	char *f;

	f = verify(dir, pub, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(f, want));
	free(f);
	f = verify(dir, pub2, &rc);
	assert_int_equal(rc, 0);
	free(f);
	free(want);
	sign_key_free(k1);
	sign_key_free(k2);
	free(dir);
}

static void missing_and_extra_files(void **state)
{
	char *dir = make_dir("missing", key), *p;

	/* An unlisted file that is not a report file is no concern. */
	p = path_in(dir, "notes-from-the-operator.txt");
	put(p, "x", 1);
	assert_verifies(dir);
	free(p);

	/* A report file the signature does not cover is. */
	p = path_in(dir, "report.html");
	put(p, "<html>", 6);
	assert_fails_with(dir, "report.html: present but not covered by report.sig");
	unlink(p);
	free(p);

	p = path_in(dir, "manifest.jsonl");
	char *q = path_in(dir, "manifest.keep");
	assert_int_equal(rename(p, q), 0);
	assert_fails_with(dir, "manifest.jsonl: missing");
	/* A directory where a file was is not that file. */
	assert_int_equal(mkdir(p, 0755), 0);
	assert_fails_with(dir, "manifest.jsonl: not a regular file");
	rmdir(p);
	assert_int_equal(rename(q, p), 0);
	assert_verifies(dir);
	free(q);
	free(p);

	p = path_in(dir, SIGN_FILE);
	unlink(p);
	assert_fails_with(dir, "report.sig: missing");
	free(p);
	free(dir);
}

/* A correctly signed statement that covers too little still fails. */
static void required_files_listed(void **state)
{
	char *dir = make_dir("partial", NULL), *p, *text;
	struct sign_key *k;
	struct sign_file f = { .name = "report.txt", .size = 0 };

	p = path_in(dir, "report.txt");
	assert_int_equal(sha256_file(p, f.sha256, &f.size), 0);
	free(p);
	assert_int_equal(sign_key_load_private(key, &k, &kerr), 0);
	text = sign_statement(k, "report", &f, 1, "2026-11-27T10:00:00Z", &kerr);
	assert_non_null(text);
	p = path_in(dir, SIGN_FILE);
	put(p, text, strlen(text));
	assert_fails_with(dir, "report.json: not covered by report.sig");
	assert_fails_with(dir, "manifest.jsonl: not covered by report.sig");
	free(text);

	/* A bundle statement dropped beside an image report. */
	text = sign_statement(k, "bundle", &f, 1, "2026-11-27T10:00:00Z", &kerr);
	put(p, text, strlen(text));
	assert_fails_with(dir, "report.json: present but not covered by report.sig");
	assert_fails_with(dir, "bundle.json: not covered by report.sig");
	free(text);

	/* What sign_statement refuses to write. */
	struct sign_file bad[2] = { { .name = "../etc/passwd" }, { .name = "report.txt" } };
	memcpy(bad[0].sha256, f.sha256, sizeof(f.sha256));
	memcpy(bad[1].sha256, f.sha256, sizeof(f.sha256));
	quiet();
	assert_null(sign_statement(k, "report", bad, 1, NULL, &kerr));
	bad[0].name = "report.txt";
	assert_null(sign_statement(k, "report", bad, 2, NULL, &kerr));       /* twice */
	assert_null(sign_statement(k, "report", bad, 0, NULL, &kerr));
	assert_null(sign_statement(k, "other", bad, 1, NULL, &kerr));
	assert_null(sign_statement(k, "report", bad, 1, "yesterday", &kerr));
	struct sign_key *pk = load_pub(pub);
	assert_null(sign_statement(pk, "report", bad, 1, NULL, &kerr));     /* public keys cannot sign */
	loud();
	sign_key_free(pk);
	sign_key_free(k);
	free(p);
	free(dir);
}

static void assert_sig_rejected(const char *dir, const void *data, size_t n, const char *what)
{
	char *p = path_in(dir, SIGN_FILE);
	put(p, data, n);
	assert_fails_with(dir, what);
	free(p);
}

static void hostile_signature_files(void **state)
{
	char *dir = make_dir("hostile", key), *p = path_in(dir, SIGN_FILE), *good, *t, *s;
	size_t n;

	good = get(p, &n);
	assert_sig_rejected(dir, "", 0, "malformed, line 1: no signature line");
	assert_sig_rejected(dir, "\x7f" "ELF\x02\x01\x01\0\0\0", 10, "holds a NUL byte");
	assert_sig_rejected(dir, "garbage\n", 8, "not a kenshu signature");

	/* One huge line, and a huge file. */
	char *huge = xmalloc(SIGN_MAX_BYTES + 100);
	memset(huge, 'A', SIGN_MAX_BYTES + 100);
	memcpy(huge, good, n - 1);
	assert_sig_rejected(dir, huge, 4000, "line too long");
	assert_sig_rejected(dir, huge, SIGN_MAX_BYTES + 100, "too large");
	free(huge);

	/* Each header line missing in turn. */
	for (int line = 0; line < 4; line++) {
		t = xstrdup(good);
		char *a = t;
		for (int i = 0; i < line; i++)
			a = strchr(a, '\n') + 1;
		char *b = strchr(a, '\n') + 1;
		memmove(a, b, strlen(b) + 1);
		assert_sig_rejected(dir, t, strlen(t), "malformed");
		free(t);
	}
	/* No file lines; no signature line; two signature lines; CRLF. */
	t = xstrdup(good);
	s = strstr(t, "file: ");
	memmove(s, strstr(t, "signature: "), strlen(strstr(t, "signature: ")) + 1);
	assert_sig_rejected(dir, t, strlen(t), "no file is listed");
	free(t);
	t = xstrdup(good);
	*strstr(t, "signature: ") = '\0';
	assert_sig_rejected(dir, t, strlen(t), "no signature line");
	free(t);
	t = xasprintf("%s%s", good, strstr(good, "signature: "));
	assert_sig_rejected(dir, t, strlen(t), "text after the signature line");
	free(t);
	t = xstrdup(good);
	s = strchr(t, '\n');
	char *crlf = xasprintf("%.*s\r%s", (int)(s - t), t, s);
	assert_sig_rejected(dir, crlf, strlen(crlf), "not a kenshu signature");
	free(crlf);
	free(t);

	/* File lines that would reach outside the directory or repeat. */
	static const char *const lines[] = {
		"file: ../../etc/passwd 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
		"file: /etc/passwd 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
		"file: .hidden 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
		"file: report.json 1 E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n",
		"file: report.json -1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
		"file: report.json 99999999999999999999999 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
		"file: report.json 01 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
		"file: report.json 1\n",
		"file: report.json\n",
		"file: manifest.jsonl 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
		"unknown: field\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		t = xstrdup(good);
		s = strstr(t, "file: ");
		char *mod = xasprintf("%.*s%s%s", (int)(s - t), t, lines[i], s);
		assert_sig_rejected(dir, mod, strlen(mod), "malformed");
		free(mod);
		free(t);
	}
	/* Too many files. */
	t = xstrdup("");
	for (int i = 0; i <= SIGN_MAX_FILES; i++) {
		char *u = xasprintf("%sfile: f%d 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", t, i);
		free(t);
		t = u;
	}
	s = strstr(good, "file: ");
	char *mod = xasprintf("%.*s%s%s", (int)(s - good), good, t, s);
	assert_sig_rejected(dir, mod, strlen(mod), "too many files");
	free(mod);
	free(t);
	/* A signature that is not 64 bytes of canonical base64. */
	t = xstrdup(good);
	s = strstr(t, "signature: ") + 11;
	s[10] = '*';
	assert_sig_rejected(dir, t, strlen(t), "signature does not verify");
	free(t);
	t = xstrdup(good);
	s = strstr(t, "signature: ") + 11;
	memmove(s + 4, s + 8, strlen(s + 8) + 1);
	assert_sig_rejected(dir, t, strlen(t), "not 88 base64 characters");
	free(t);
	/* report.sig that is not a regular file: a FIFO must not block. */
	unlink(p);
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_fails_with(dir, "report.sig: not a regular file");
	unlink(p);
	put(p, good, n);
	assert_verifies(dir);
	free(good);
	free(p);
	free(dir);
}

/* Saving without a key removes a signature an earlier signed save left:
 * it could not cover the new files. The older report's other files go
 * too: the directory is replaced whole, not overlaid. */
static void unsigned_save_drops_stale_signature(void **state)
{
	char *dir = make_dir("resave", key), *p = path_in(dir, SIGN_FILE), *m = path_in(dir, "manifest.jsonl");
	const struct report_output out[] = { { "report.json", write_str, (void *)"{}\n" } };

	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(access(m, F_OK), 0);
	assert_int_equal(report_save_outputs(dir, out, 1, owned, NULL, "report", &kerr), 0);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(access(m, F_OK), -1);
	free(m);
	free(p);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(key_files),
		cmocka_unit_test(private_key_permissions),
		cmocka_unit_test(bad_key_files),
		cmocka_unit_test(every_flipped_byte_fails),
		cmocka_unit_test(other_key_fails),
		cmocka_unit_test(missing_and_extra_files),
		cmocka_unit_test(required_files_listed),
		cmocka_unit_test(hostile_signature_files),
		cmocka_unit_test(unsigned_save_drops_stale_signature),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
