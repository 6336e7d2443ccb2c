/* Profiles: shipped ones load, inheritance, every validation error with its
 * line, every error of a file in line order (profile check), hostile text,
 * the effective hash, path patterns, and the docs (profiles.md, rules.md)
 * against the key and rule tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/profile.h>
#include <kenshu/rules.h>
#include "bytes.h"

static char dir[] = "/tmp/kenshu-test-profile-XXXXXX";

static char *write_file(const char *name, const char *text, size_t len)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static char *write_text(const char *name, const char *text)
{
	return write_file(name, text, strlen(text));
}

static void shipped_profiles_load(void **state)
{
	struct ks_err err;
	struct profile *p;

	for (const char *const *n = profile_shipped(); *n; n++) {
		assert_int_equal(profile_load(*n, &p, &err), 0);
		assert_string_equal(profile_name(p), *n);
		assert_int_equal(strlen(profile_effective_sha256(p)), 64);
		profile_free(p);
	}
	/* strict builds on default and tightens it. */
	assert_int_equal(profile_load("strict", &p, &err), 0);
	assert_int_equal(profile_nfiles(p), 2);
	assert_string_equal(profile_file(p, 1)->source, "shipped:default");
	assert_int_equal(profile_severity(p, "eol-os"), SEV_FAIL);
	assert_int_equal(profile_severity(p, "autorun-unknown"), SEV_REVIEW);
	assert_int_equal(profile_severity(p, "malware"), SEV_FAIL);
	assert_int_equal(profile_key_severity(p, "hardening", "absent"), SEV_REVIEW);
	assert_int_equal(profile_int(p, "signatures", "max_age_days"), 3);
	profile_free(p);
	assert_int_equal(profile_load("default", &p, &err), 0);
	assert_int_equal(profile_severity(p, "eol-os"), SEV_INFO);
	assert_int_equal(profile_severity(p, "signature-missing"), SEV_INFO);
	assert_int_equal(profile_key_severity(p, "hardening", "absent"), SEV_OFF);
	size_t n;
	const char *const *ext = profile_list(p, "files", "risky_extensions", &n);
	assert_true(n >= 10);
	assert_string_equal(ext[0], ".iqy");
	assert_true(profile_bool(p, "files", "macros"));
	profile_free(p);
	/* The annotated example's allowlist and waiver. */
	assert_int_equal(profile_load("example-vendor", &p, &err), 0);
	assert_int_equal(profile_nallows(p), 3);   /* by path (2) and by signer */
	assert_int_equal(profile_nwaivers(p), 1);
	assert_string_equal(profile_waiver(p, 0)->rule, "smb1-enabled");
	assert_string_equal(profile_waiver(p, 0)->expires, "2027-03-31");
	assert_non_null(strstr(profile_waiver(p, 0)->origin, "shipped:example-vendor:"));
	profile_free(p);
}

/* Each bad profile and the exact start of its message after the file name. */
static const struct {
	const char *text;
	const char *want;   /* ":LINE: message" prefix, after the path */
} bad[] = {
	{ "[nope]\nx = 1\n", ":1: unknown section [nope]" },
	{ "[rules]\nmalware = maybe\n", ":2: [rules] malware: 'maybe' is not a severity" },
	{ "[rules]\n\nnot-a-rule = fail\n", ":3: [rules] unknown rule 'not-a-rule'" },
	{ "[signatures]\nmax_age = 3\n", ":2: [signatures] unknown key 'max_age'" },
	{ "[signatures]\nmax_age_days = soon\n", ":2: [signatures] max_age_days: 'soon' is not a whole number" },
	{ "[signatures]\nmax_age_days = 0\n", ":2: [signatures] max_age_days: '0' is not a whole number from 1 to 3650" },
	{ "[signatures]\nmax_age_days = 99999999999999999999\n", ":2: [signatures] max_age_days:" },
	{ "[files]\nmacros = perhaps\n", ":2: [files] macros: 'perhaps' is not yes or no" },
	{ "[files]\nrisky_extensions = .vbs, exe\n", ":2: [files] risky_extensions: 'exe' is not an extension" },
	{ "[rules]\nmalware = fail\nmalware = info\n", ":3: [rules] malware is set twice (first on line 2)" },
	{ "[rules]\nthis line has no equals sign\n", ":2: expected '[section]' or 'key = value'" },
	{ "name = x\n", ":1: 'name' outside a section" },
	{ "[rules\nmalware = fail\n", ":1: section header without ']'" },
	{ "[allow.]\npath = x\n", ":1: unknown section [allow.]" },
	{ "[allow.a/b]\npath = x\n", ":1: unknown section [allow.a/b]" },
	{ "[allow.x]\nvendor = v\n", ":2: [allow.x] needs path, sha256 or signer, a thumbprint, an account or a service" },
	{ "[allow.x]\nsha256 = abc\n", ":2: [allow.x] sha256: 'abc' is not a SHA-256" },
	{ "[allow.x]\nthumbprint = abc\n", ":2: [allow.x] thumbprint: 'abc' is not a SHA-1 thumbprint" },
	{ "[allow.x]\nthumbprint = 0123456789abcdef0123456789abcdef0123456z\n", ":2: [allow.x] thumbprint: " },
	{ "[allow.x]\npath = /a*/b*/c*/d*/e*\n", ":2: [allow.x] path: more than 4 '*'" },
	{ "[waiver.w]\nrule = malware\npath = /x\nreason = r\nexpires = 2027-01-01\n", ":2: [waiver.w] needs approver" },
	{ "[waiver.w]\nrule = malware\nreason = r\napprover = a\nexpires = 2027-01-01\n", ":2: [waiver.w] needs path or sha256" },
	{ "[waiver.w]\nrule = no-such-rule\n", ":2: [waiver.w] rule: unknown rule 'no-such-rule'" },
	{ "[waiver.w]\nexpires = 2026-02-29\n", ":2: [waiver.w] expires: '2026-02-29' is not a date" },
	{ "[waiver.w]\nexpires = 2026-13-01\n", ":2: [waiver.w] expires: '2026-13-01' is not a date" },
	{ "[waiver.w]\nexpires = 27/03/2026\n", ":2: [waiver.w] expires: '27/03/2026' is not a date" },
	{ "[profile]\ninclude = does-not-exist.ini\n", ":2: include 'does-not-exist.ini':" },
	{ "[rules]\nmalware = fail\n[profile]\nname = \xff\xfe\n", ":4: not UTF-8 text" },
	{ "[rules]\nmalware = \xe3\x81\n", ":2: not UTF-8 text" },
};

static void validation_errors(void **state)
{
	struct ks_err err;
	char want[600];
	struct profile *p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_text("bad.ini", bad[i].text);
		snprintf(want, sizeof(want), "%s%s", path, bad[i].want);
		assert_int_equal(profile_load(path, &p, &err), -1);
		assert_null(p);
		if (strncmp(err.msg, want, strlen(want)) != 0)
			fail_msg("case %zu: got \"%s\", want prefix \"%s\"", i, err, want);
		free(path);
	}
}

static void hostile_text(void **state)
{
	struct ks_err err;
	struct profile *p;
	char *path;

	/* A NUL byte, a line too long, a file too large, binary noise. */
	path = write_file("nul.ini", "[rules]\nmal\0ware = fail\n", 24);
	assert_int_equal(profile_load(path, &p, &err), -1);
	assert_non_null(strstr(err.msg, ":2: NUL byte"));
	free(path);

	char *longline = malloc(10000);
	memcpy(longline, "[profile]\ndescription = ", 24);
	memset(longline + 24, 'x', 9000);
	strcpy(longline + 9024, "\n");
	path = write_text("long.ini", longline);
	assert_int_equal(profile_load(path, &p, &err), -1);
	assert_non_null(strstr(err.msg, ":2: line longer than 4096 bytes"));
	free(path);
	free(longline);

	/* The longest line allowed is read whole, not cut where inih's
	 * default 200-byte buffer would cut it. */
	char *maxline = malloc(5000);
	int head = snprintf(maxline, 5000, "[profile]\ndescription = ");
	memset(maxline + head, 'y', 4000);
	strcpy(maxline + head + 4000, "\n[drift]\nignore = /Vendor/**\n");
	path = write_text("maxline.ini", maxline);
	assert_int_equal(profile_load(path, &p, &err), 0);
	size_t nign;
	const char *const *ign = profile_list(p, "drift", "ignore", &nign);
	assert_int_equal(nign, 1);
	assert_string_equal(ign[0], "/Vendor/**");
	profile_free(p);
	free(path);
	free(maxline);

	char *huge = calloc(1, (2u << 20) + 1);
	memset(huge, ';', 2u << 20);
	path = write_text("huge.ini", huge);
	assert_int_equal(profile_load(path, &p, &err), -1);
	assert_non_null(strstr(err.msg, "larger than"));
	free(path);
	free(huge);

	/* Mutations of a valid profile: each loads or fails with FILE:..., never crashes. */
	const char *base = "include = default\n[profile]\nname = m\n[rules]\nmalware = review\n"
			   "[waiver.w]\nrule = malware\npath = /a/*.exe\nreason = r\napprover = a\nexpires = 2030-01-01\n"
			   "[allow.a]\nsha256 = 0000000000000000000000000000000000000000000000000000000000000000\n";
	size_t len = strlen(base);
	char *buf = malloc(len + 1);
	uint64_t seed = 42;
	for (int round = 0; round < 1500; round++) {
		memcpy(buf, base, len + 1);
		for (int k = 0; k < 3; k++) {
			size_t at = (size_t)(xorshift64(&seed) % len);
			static const char pool[] = "[]=;#.\n\r \t*\\/\"'\xc3\xff\x01a";
			buf[at] = pool[xorshift64(&seed) % (sizeof(pool) - 1)];
		}
		path = write_file("mut.ini", buf, len);
		int rc = profile_load(path, &p, &err);
		if (rc == 0)
			profile_free(p);
		else
			assert_int_equal(strncmp(err.msg, path, strlen(path)) == 0 || strstr(err.msg, "shipped:") != NULL, 1);
		free(path);
	}
	free(buf);
}

static void includes_and_override(void **state)
{
	struct ks_err err;
	struct profile *p;
	char *base = write_text("base.ini", "[rules]\nmalware = info\nrdp-enabled = fail\n[signatures]\nmax_age_days = 30\n"
					    "[allow.hmi]\npath = C:\\HMI\\hmi.exe\nvendor = ACME\n");
	free(base);
	/* The includer wins although its include line comes last. */
	char *child = write_text("child.ini", "[signatures]\nmax_age_days = 10\n[allow.hmi]\ncomment = extended\n"
					      "[profile]\ninclude = base.ini\n");
	assert_int_equal(profile_load(child, &p, &err), 0);
	assert_int_equal(profile_int(p, "signatures", "max_age_days"), 10);
	assert_int_equal(profile_severity(p, "malware"), SEV_INFO);
	assert_int_equal(profile_severity(p, "rdp-enabled"), SEV_FAIL);
	/* A rule nobody sets keeps the rule table's severity. */
	assert_int_equal(profile_severity(p, "ms17-010"), rule_find("ms17-010")->def);
	assert_int_equal(profile_nallows(p), 1);
	assert_string_equal(profile_allow(p, 0)->vendor, "ACME");
	assert_string_equal(profile_allow(p, 0)->comment, "extended");
	assert_int_equal(profile_nfiles(p), 2);
	profile_free(p);
	free(child);

	/* Shipped names, with or without .ini. */
	for (int i = 0; i < 2; i++) {
		char *f = write_text("ship.ini", i ? "include = default.ini\n" : "include = strict\n[rules]\neol-os = off\n");
		assert_int_equal(profile_load(f, &p, &err), 0);
		assert_int_equal(profile_severity(p, "eol-os"), i ? SEV_INFO : SEV_OFF);
		assert_int_equal(profile_severity(p, "signature-missing"), i ? SEV_INFO : SEV_FAIL);
		profile_free(p);
		free(f);
	}

	/* Cycles: a → b → a, and a file including itself. */
	free(write_text("a.ini", "include = b.ini\n"));
	char *b = write_text("b.ini", "\n\ninclude = a.ini\n");
	char *a;
	if (asprintf(&a, "%s/a.ini", dir) < 0)
		abort();
	assert_int_equal(profile_load(a, &p, &err), -1);
	assert_non_null(strstr(err.msg, "b.ini:3: include 'a.ini': cycle"));
	free(a);
	free(b);
	char *self = write_text("self.ini", "include = self.ini\n");
	assert_int_equal(profile_load(self, &p, &err), -1);
	assert_non_null(strstr(err.msg, "self.ini:1: include 'self.ini': cycle"));
	free(self);

	/* A chain deeper than 16 levels. */
	for (int i = 0; i < 20; i++) {
		char name[32], text[64];
		snprintf(name, sizeof(name), "d%d.ini", i);
		snprintf(text, sizeof(text), i < 19 ? "include = d%d.ini\n" : "[rules]\nmalware = fail\n", i + 1);
		free(write_text(name, text));
	}
	char *d0;
	if (asprintf(&d0, "%s/d0.ini", dir) < 0)
		abort();
	assert_int_equal(profile_load(d0, &p, &err), -1);
	assert_non_null(strstr(err.msg, "more than 16 levels"));
	free(d0);

	/* An error inside an included file names that file and line. */
	free(write_text("broken.ini", "[rules]\n\nmalware = sometimes\n"));
	char *inc = write_text("inc.ini", "include = broken.ini\n");
	assert_int_equal(profile_load(inc, &p, &err), -1);
	assert_non_null(strstr(err.msg, "broken.ini:3: [rules] malware: 'sometimes'"));
	free(inc);

	/* Shipped profiles cannot name files relative to nowhere; a user file can. */
	char *ioc = write_text("ioc.ini", "[ioc]\nhash_list = feeds/missing.txt\n");
	assert_int_equal(profile_load(ioc, &p, &err), -1);
	assert_non_null(strstr(err.msg, "feeds/missing.txt"));
	free(ioc);
}

static void effective_hash(void **state)
{
	struct ks_err err;
	struct profile *a, *b, *c;

	/* Same decisions, different layout → same effective hash. */
	char *pa = write_text("ea.ini", "include = default\n[rules]\nmalware = fail\n");
	char *pb = write_text("eb.ini", "; a comment\ninclude = default\n\n[profile]\n");
	char *pc = write_text("ec.ini", "include = default\n[rules]\nmalware = review\n");
	assert_int_equal(profile_load(pa, &a, &err), 0);
	assert_int_equal(profile_load(pb, &b, &err), 0);
	assert_int_equal(profile_load(pc, &c, &err), 0);
	assert_string_not_equal(profile_sha256(a), profile_sha256(b));
	assert_string_equal(profile_effective_sha256(a), profile_effective_sha256(b));
	assert_string_not_equal(profile_effective_sha256(a), profile_effective_sha256(c));

	/* The same feed in another folder: the same effective hash (it stands
	 * for the feed's content, not its path); other content: another. */
	struct profile *f1, *f2, *f3;
	char *sub = NULL;
	if (asprintf(&sub, "%s/elsewhere", dir) < 0 || mkdir(sub, 0755) < 0)
		abort();
	free(write_text("feed.txt", "example-c2.invalid\n"));
	free(write_text("elsewhere/feed.txt", "example-c2.invalid\n"));
	char *q1 = write_text("fa.ini", "[ioc]\nstring_list = feed.txt\n");
	char *q2 = write_text("elsewhere/fa.ini", "[ioc]\nstring_list = feed.txt\n");
	assert_int_equal(profile_load(q1, &f1, &err), 0);
	assert_int_equal(profile_load(q2, &f2, &err), 0);
	assert_string_equal(profile_effective_sha256(f1), profile_effective_sha256(f2));
	free(write_text("elsewhere/feed.txt", "other-c2.invalid\n"));
	assert_int_equal(profile_load(q2, &f3, &err), 0);
	assert_string_not_equal(profile_effective_sha256(f1), profile_effective_sha256(f3));
	profile_free(f1);
	profile_free(f2);
	profile_free(f3);
	free(q1);
	free(q2);
	free(sub);

	/* show: every key, with where it came from. */
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	profile_write(c, m, true);
	fclose(m);
	assert_non_null(strstr(out, "malware = review    ; "));
	assert_non_null(strstr(out, "ec.ini:3"));
	assert_non_null(strstr(out, "max_age_days = 7    ; shipped:default:"));
	for (size_t i = 0; i < rule_count; i++) {
		char key[80];
		snprintf(key, sizeof(key), "\n%s = ", rule_table[i].id);
		assert_non_null(strstr(out, key));
	}
	free(out);
	profile_free(a);
	profile_free(b);
	profile_free(c);
	free(pa);
	free(pb);
	free(pc);
}

/* The lines profile_check() gave, each compared with path + want[i]
 * (want[i] starting with ':' is relative to path; else a whole line's
 * prefix after dir + '/'). */
static void expect_diags(const char *path, const struct profile_diags *d, const char *const *want, size_t n)
{
	char line[600];

	for (size_t i = 0; i < d->n || i < n; i++) {
		if (i >= d->n || i >= n)
			fail_msg("%zu lines, want %zu (line %zu: \"%s\")", d->n, n, i, i < d->n ? d->v[i] : want[i]);
		if (want[i][0] == ':')
			snprintf(line, sizeof(line), "%s%s", path, want[i]);
		else
			snprintf(line, sizeof(line), "%s/%s", dir, want[i]);
		if (strncmp(d->v[i], line, strlen(line)) != 0)
			fail_msg("line %zu: got \"%s\", want prefix \"%s\"", i, d->v[i], line);
	}
}

/* profile check: every error of a file, in line order; profile_load keeps
 * the first. */
static void every_error_in_line_order(void **state)
{
	struct profile_diags d;
	struct ks_err err, first;
	struct profile *p;

	/* The defect: line 2 is not key = value, line 3 names an unknown
	 * section; only line 3 was reported (the whole-file section check ran
	 * before inih's parse error). The keys of the unknown section are not
	 * errors of their own; a header after white space inih skips counts. */
	char *path = write_text("order.ini", "[rules]\nthis line has no equals sign\n[nope]\nmalware = fail\n"
					     "[signatures]\nmax_age_days = 0\n\v[bogus]\nx = 1\n");
	static const char *const w1[] = {
		":2: expected '[section]' or 'key = value'",
		":3: unknown section [nope]",
		":6: [signatures] max_age_days: '0' is not a whole number from 1 to 3650",
		":7: unknown section [bogus]",
	};
	assert_int_equal(profile_check(path, &p, &d, &err), -1);
	assert_null(p);
	expect_diags(path, &d, w1, 4);
	assert_string_equal(err.msg, d.v[0]);
	profile_diags_release(&d);
	assert_int_equal(d.n, 0);
	assert_int_equal(profile_load(path, &p, &first), -1);
	assert_string_equal(first.msg, err.msg);
	free(path);

	/* An included file's errors stand where its include line does, under
	 * that file's own name; a missing include at its line. */
	free(write_text("inc-bad.ini", "\n[signatures]\nmax_age = 3\n"));
	path = write_text("includer.ini", "[rules]\nmalware = maybe\n[profile]\ninclude = nope.ini, inc-bad.ini\n"
					  "[files]\nmacros = perhaps\n");
	static const char *const w2[] = {
		":2: [rules] malware: 'maybe' is not a severity",
		":4: include 'nope.ini':",
		"inc-bad.ini:3: [signatures] unknown key 'max_age'",
		":6: [files] macros: 'perhaps' is not yes or no",
	};
	assert_int_equal(profile_check(path, &p, &d, &err), -1);
	expect_diags(path, &d, w2, 4);
	profile_diags_release(&d);
	free(path);

	/* One mistake, one error: a line refused before inih sees it (no ']',
	 * a NUL byte, not UTF-8, too long) is not misread into more, and the
	 * keys under a refused section header are not looked at. */
	static const char text[] = "[rules\nmalware = x\n[files]\nmacros = perhaps\nmal\0ware = 1\n"
				   "name = \xff\n[drift\xff]\nignore = 1\n[rules]\nmalware = fail\nmalware = info\n";
	path = write_file("lines.ini", text, sizeof(text) - 1);
	static const char *const w3[] = {
		":1: section header without ']'",
		":4: [files] macros: 'perhaps' is not yes or no",
		":5: NUL byte: not a text file",
		":6: not UTF-8 text",
		":7: not UTF-8 text",
		":11: [rules] malware is set twice (first on line 10)",
	};
	assert_int_equal(profile_check(path, &p, &d, &err), -1);
	expect_diags(path, &d, w3, 6);
	profile_diags_release(&d);
	free(path);

	/* Checks that span a section: each problem of each, once every line
	 * is valid (and not at all while one is not). */
	path = write_text("named.ini", "[waiver.w]\nrule = malware\n[allow.a]\nvendor = v\n");
	static const char *const w4[] = {
		":2: [waiver.w] needs path or sha256",
		":2: [waiver.w] needs reason",
		":2: [waiver.w] needs approver",
		":2: [waiver.w] needs expires",
		":4: [allow.a] needs path, sha256 or signer, a thumbprint, an account or a service",
	};
	assert_int_equal(profile_check(path, &p, &d, &err), -1);
	expect_diags(path, &d, w4, 5);
	profile_diags_release(&d);
	free(path);
	path = write_text("named2.ini", "[waiver.w]\nrule = no-such-rule\n");
	static const char *const w5[] = { ":2: [waiver.w] rule: unknown rule 'no-such-rule'" };
	assert_int_equal(profile_check(path, &p, &d, &err), -1);
	expect_diags(path, &d, w5, 1);
	profile_diags_release(&d);
	free(path);

	/* A file of nothing but errors: the first PROFILE_MAX_DIAGS, then one
	 * line that says the reading stopped. */
	char many[300 * 16] = "", *o = many;
	for (int i = 0; i < 300; i++)
		o += snprintf(o, sizeof(many) - (size_t)(o - many), "bogus line %d\n", i);
	path = write_text("many.ini", many);
	assert_int_equal(profile_check(path, &p, &d, &err), -1);
	assert_int_equal(d.n, PROFILE_MAX_DIAGS + 1);
	char want[600];
	snprintf(want, sizeof(want), "%s:%d: expected", path, PROFILE_MAX_DIAGS);
	assert_int_equal(strncmp(d.v[PROFILE_MAX_DIAGS - 1], want, strlen(want)), 0);
	assert_non_null(strstr(d.v[PROFILE_MAX_DIAGS], "stopped after 100 errors"));
	profile_diags_release(&d);
	free(path);

	/* A valid profile: no line at all, and the profile. */
	path = write_text("fine.ini", "include = default\n[rules]\nmalware = fail\n");
	assert_int_equal(profile_check(path, &p, &d, &err), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(profile_severity(p, "malware"), SEV_FAIL);
	profile_diags_release(&d);
	profile_free(p);
	free(path);

	/* Mutations: the first line is profile_load's error, and the lines of
	 * the one file are in line order. */
	const char *base = "include = default\n[profile]\nname = m\n[rules]\nmalware = review\n"
			   "[waiver.w]\nrule = malware\npath = /a/*.exe\nreason = r\napprover = a\nexpires = 2030-01-01\n"
			   "[allow.a]\nsha256 = 0000000000000000000000000000000000000000000000000000000000000000\n";
	size_t len = strlen(base);
	char *buf = malloc(len + 1);
	uint64_t seed = 7;
	for (int round = 0; round < 500; round++) {
		memcpy(buf, base, len + 1);
		for (int k = 0; k < 6; k++) {
			size_t at = (size_t)(xorshift64(&seed) % len);
			static const char pool[] = "[]=;#.\n\r \t*\\/\"'\xc3\xff\x01a";
			buf[at] = pool[xorshift64(&seed) % (sizeof(pool) - 1)];
		}
		path = write_file("mut2.ini", buf, len);
		if (profile_check(path, &p, &d, &err) == 0) {
			profile_free(p);
		} else {
			assert_true(d.n >= 1);
			assert_string_equal(d.v[0], err.msg);
			assert_int_equal(profile_load(path, &p, &first), -1);
			assert_string_equal(first.msg, err.msg);
			unsigned last = 0;
			size_t pl = strlen(path);
			for (size_t i = 0; i < d.n; i++) {
				unsigned line = 0;
				if (strncmp(d.v[i], path, pl) != 0 || d.v[i][pl] != ':' ||
				    sscanf(d.v[i] + pl + 1, "%u:", &line) != 1)
					continue;
				if (line < last)
					fail_msg("round %d: line %u after line %u: %s", round, line, last, d.v[i]);
				last = line;
			}
		}
		profile_diags_release(&d);
		free(path);
	}
	free(buf);
}

/* profile_format is the text profile_write writes. */
static void format_is_write(void **state)
{
	struct ks_err err;
	struct profile *p;
	struct strbuf sb = STRBUF_INIT;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(profile_load("example-vendor", &p, &err), 0);
	for (int origins = 0; origins < 2; origins++) {
		FILE *m = open_memstream(&out, &len);
		profile_write(p, m, origins);
		fclose(m);
		profile_format(p, &sb, origins);
		assert_int_equal(sb.len, len);
		assert_memory_equal(sb.buf, out, len);
		strbuf_release(&sb);
		free(out);
	}
	profile_free(p);
}

static void path_patterns(void **state)
{
	static const struct {
		const char *pattern, *path;
		bool match;
	} cases[] = {
		{ "C:\\Program Files\\ACME\\hmi.exe", "/Program Files/ACME/hmi.exe", true },
		{ "c:/program files/acme/HMI.EXE", "/Program Files/ACME/hmi.exe", true },
		{ "/ACME/Scripts/*.vbs", "/ACME/Scripts/line.vbs", true },
		{ "/ACME/Scripts/*.vbs", "/ACME/Scripts/sub/line.vbs", false },
		{ "/ACME/**/*.vbs", "/ACME/Scripts/sub/line.vbs", true },
		{ "/ACME/**", "/ACME/x", true },
		{ "/Windows/**", "/Windowsx/evil.js", false },
		{ "/Windows/**", "/Windows/System32/slmgr.vbs", true },
		{ "*", "/a", true },
		{ "/a/b", "/a/b/c", false },
		{ "/a\\\\b", "/a/b", true },
		{ "/x/*y*z*", "/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (profile_path_match(cases[i].pattern, cases[i].path) != cases[i].match)
			fail_msg("case %zu: '%s' vs '%s'", i, cases[i].pattern, cases[i].path);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s (run from the source tree)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Every row of the table is in docs/profiles.md, and every documented key
 * exists; every rule is in docs/rules.md with the shipped profiles'
 * severities, and nothing else is. */
static void docs_follow_tables(void **state)
{
	char *doc = slurp("docs/profiles.md");
	size_t rows = 0;

	for (size_t i = 0; i < profile_nkeys; i++) {
		char row[160];
		snprintf(row, sizeof(row), "\n| `%s` | `%s` |", profile_keys[i].section, profile_keys[i].key);
		if (!strstr(doc, row))
			fail_msg("docs/profiles.md lacks [%s] %s", profile_keys[i].section, profile_keys[i].key);
	}
	for (const char *p = doc; (p = strstr(p, "\n| `")); p++)
		rows++;
	assert_int_equal(rows, profile_nkeys);
	free(doc);

	struct ks_err err;
	struct profile *def, *strict;
	assert_int_equal(profile_load("default", &def, &err), 0);
	assert_int_equal(profile_load("strict", &strict, &err), 0);
	doc = slurp("docs/rules.md");
	rows = 0;
	for (size_t i = 0; i < rule_count; i++) {
		char row[200];
		const char *id = rule_table[i].id;
		snprintf(row, sizeof(row), "\n| `%s` | %s | %s |", id, severity_name(profile_severity(def, id)),
			 severity_name(profile_severity(strict, id)));
		if (!strstr(doc, row))
			fail_msg("docs/rules.md lacks the row %s", row + 1);
		/* default.ini sets every rule, as the table's default does. */
		assert_int_equal(profile_severity(def, id), rule_table[i].def);
	}
	for (const char *p = doc; (p = strstr(p, "\n| `")); p++)
		rows++;
	assert_int_equal(rows, rule_count);
	free(doc);
	profile_free(def);
	profile_free(strict);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped_profiles_load),
		cmocka_unit_test(validation_errors),
		cmocka_unit_test(hostile_text),
		cmocka_unit_test(includes_and_override),
		cmocka_unit_test(effective_hash),
		cmocka_unit_test(every_error_in_line_order),
		cmocka_unit_test(format_is_write),
		cmocka_unit_test(path_patterns),
		cmocka_unit_test(docs_follow_tables),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
