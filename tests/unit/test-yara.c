/* YARA (av/yara.c): the include check (absolute paths, '..', symbolic
 * links, missing files), every compile error collected as FILE:LINE, the
 * modules Debian's libyara has, rule sets from files and directories,
 * scanning memory with meta and tags, the per-stream timeout, and a rule's
 * own text found again in hostile rule files. */
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

#include <kenshu/av.h>
#include <kenshu/core.h>

static char tmpdir[] = "/tmp/kenshu-test-yara-XXXXXX";

static char *in_tmp(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void put(const char *name, const char *text)
{
	char *p = in_tmp(name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static int setup(void **state)
{
	char *d;

	assert_non_null(mkdtemp(tmpdir));
	d = in_tmp("rules");
	assert_int_equal(mkdir(d, 0700), 0);
	free(d);
	d = in_tmp("rules/sub");
	assert_int_equal(mkdir(d, 0700), 0);
	free(d);
	d = in_tmp("outside");
	assert_int_equal(mkdir(d, 0700), 0);
	free(d);
	put("outside/o.yar", "rule o { condition: true }\n");
	put("rules/sub/in.yar", "rule in_sub { condition: true }\n");
	char *target = in_tmp("outside/o.yar"), *link = in_tmp("rules/sub/out-link.yar");
	assert_int_equal(symlink(target, link), 0);
	free(target);
	free(link);
	target = in_tmp("rules/sub/in.yar");
	link = in_tmp("rules/in-link.yar");
	assert_int_equal(symlink(target, link), 0);
	free(target);
	free(link);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void resolve_ok(const char *name, const char *want_tail)
{
	char *dir = in_tmp("rules"), *res = NULL;
	const char *why = NULL;

	assert_int_equal(yara_include_resolve(dir, name, &res, &why), 0);
	assert_non_null(res);
	assert_non_null(strstr(res, want_tail));
	assert_int_equal(strncmp(res, "/", 1), 0);
	free(res);
	free(dir);
}

static void resolve_refused(const char *name, const char *want_why)
{
	char *dir = in_tmp("rules"), *res = (char *)"sentinel";
	const char *why = NULL;

	assert_int_equal(yara_include_resolve(dir, name, &res, &why), -1);
	assert_null(res);
	assert_non_null(why);
	assert_non_null(strstr(why, want_why));
	free(dir);
}

static void includes_inside_allowed(void **state)
{
	resolve_ok("sub/in.yar", "/rules/sub/in.yar");
	resolve_ok("./sub/in.yar", "/rules/sub/in.yar");
	resolve_ok("sub/../sub/in.yar", "/rules/sub/in.yar");   /* '..' that stays inside */
	resolve_ok("in-link.yar", "/rules/sub/in.yar");          /* a link that stays inside */
}

static void includes_outside_refused(void **state)
{
	resolve_refused("/etc/passwd", "absolute");
	resolve_refused("../outside/o.yar", "outside the rule file's directory");
	resolve_refused("sub/../../outside/o.yar", "outside");
	resolve_refused("sub/out-link.yar", "outside");            /* a link that leaves */
	resolve_refused("../../../../../../etc/passwd", "outside");
	resolve_refused("nosuch.yar", "no such file");
	resolve_refused("", "empty");
	/* The directory itself is not a file inside it. */
	resolve_refused(".", "outside");
	resolve_refused("sub/..", "outside");
}

static bool has_line(const struct yara_diags *d, const char *want)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->v[i], want))
			return true;
	return false;
}

static void every_error_collected(void **state)
{
	struct yara_diags d = { 0 };
	const char *t = "rule a { condition: foo }\n"
			"rule b { condition: bar }\n"
			"rule c { strings: $x = \"abc\" condition: true }\n";

	assert_int_equal(yara_check_text("t.yar", t, strlen(t), &d), -1);
	assert_true(d.n >= 3);
	assert_true(has_line(&d, "t.yar:1: undefined identifier \"foo\""));
	assert_true(has_line(&d, "t.yar:2: undefined identifier \"bar\""));
	assert_true(has_line(&d, "t.yar:3: unreferenced string \"$x\""));
	/* A warning is not an error. */
	assert_false(has_line(&d, "slow down"));
	yara_diags_release(&d);

	t = "rule ok { condition: true }\n\nrule broken {\n condition: true and\n}\n";
	assert_int_equal(yara_check_text("s.yar", t, strlen(t), &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0], "s.yar:5: syntax error");
	yara_diags_release(&d);

	/* Includes refused outright where no directory is given. */
	t = "include \"/etc/passwd\"\nrule r { condition: true }\n";
	assert_int_equal(yara_check_text("i.yar", t, strlen(t), &d), -1);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0], "i.yar:1: include \"/etc/passwd\" refused"));
	yara_diags_release(&d);

	/* A NUL byte: not rule text. */
	assert_int_equal(yara_check_text("n.yar", "rule a\0{}", 9, &d), -1);
	assert_true(has_line(&d, "not a text file"));
	yara_diags_release(&d);

	/* Empty text compiles (no rules). */
	assert_int_equal(yara_check_text("e.yar", "", 0, &d), 0);
	assert_int_equal(d.n, 0);
}

static void debian_modules_present(void **state)
{
	static const char *const mods[] = { "pe", "math", "hash", "elf", "dotnet", "time", "console" };
	struct yara_diags d = { 0 };

	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char *t = xasprintf("import \"%s\"\nrule m { condition: true }\n", mods[i]);
		assert_int_equal(yara_check_text("m.yar", t, strlen(t), &d), 0);
		assert_int_equal(d.n, 0);
		free(t);
	}
	assert_int_equal(yara_check_text("m.yar", "import \"nosuch\"\n", 16, &d), -1);
	assert_true(has_line(&d, "m.yar:1: unknown module \"nosuch\""));
	yara_diags_release(&d);
}

static void load_reports_every_file(void **state)
{
	struct yara_diags d = { 0 };
	struct ks_err err;
	struct yara *y = NULL;
	char *bad = in_tmp("bad");

	assert_int_equal(mkdir(bad, 0700), 0);
	put("bad/1.yar", "rule a { condition: nope }\n");
	put("bad/2.yara", "rule b {\n");
	put("bad/3.yar", "include \"../outside/o.yar\"\n");
	put("bad/4.txt", "not a rule file: ignored\n");
	const char *paths[] = { bad };
	assert_int_equal(yara_load(paths, 1, &y, &d, &err), -1);
	assert_null(y);
	assert_int_equal(d.n, 3);
	assert_non_null(strstr(d.v[0], "bad/1.yar:1: undefined identifier \"nope\""));
	assert_non_null(strstr(d.v[1], "bad/2.yara:1: syntax error"));
	assert_non_null(strstr(d.v[2], "bad/3.yar:1: include \"../outside/o.yar\" refused: outside"));
	assert_string_equal(err.msg, d.v[0]);
	yara_diags_release(&d);
	free(bad);
}

static void load_scan_and_rule_text(void **state)
{
	struct yara_diags d = { 0 };
	struct ks_err err;
	struct yara *y = NULL;
	char *f1 = in_tmp("rules/main.yar"), *f2 = in_tmp("rules/sub/in.yar");

	put("rules/main.yar",
	    "// a comment with rule fake { and } braces\n"
	    "include \"sub/in.yar\"\n"
	    "/* rule hidden { condition: true } */\n"
	    "private rule helper { condition: filesize > 0 }\n"
	    "rule tagged : alpha beta\n"
	    "{\n"
	    "\tmeta:\n"
	    "\t\tauthor = \"A. Author\"\n"
	    "\t\treference = \"https://example.invalid/r}\"\n"
	    "\t\tdate = \"2026-01-02\"\n"
	    "\t\tseverity = \"fail\"\n"
	    "\tstrings:\n"
	    "\t\t$h = { 4D 5A [2-8] 90 }\n"
	    "\t\t$r = /ab{2,3}c/\n"
	    "\t\t$s = \"}{\" \n"
	    "\tcondition:\n"
	    "\t\thelper and ($h or $r or $s) and filesize \\ 2 > 1\n"
	    "}\n"
	    "rule tagged_too { condition: false }\n");
	const char *paths[] = { f1, f2 };
	assert_int_equal(yara_load(paths, 2, &y, &d, &err), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(yara_set_count(y), 2);
	/* helper, tagged, tagged_too and the included in_sub. */
	assert_int_equal(yara_set(y, 0)->rules, 4);
	assert_int_equal(yara_set(y, 0)->nfiles, 1);
	assert_int_equal(strlen(yara_set(y, 0)->sha256), 64);
	assert_int_equal(yara_set(y, 1)->rules, 1);

	char *t = yara_rule_text(y, 0, "tagged");
	assert_non_null(t);
	assert_int_equal(strncmp(t, "rule tagged : alpha beta\n{", 26), 0);
	assert_non_null(strstr(t, "filesize \\ 2 > 1\n}"));
	assert_null(strstr(t, "tagged_too"));
	free(t);
	t = yara_rule_text(y, 0, "helper");
	assert_non_null(t);
	assert_string_equal(t, "private rule helper { condition: filesize > 0 }");
	free(t);
	assert_null(yara_rule_text(y, 0, "hidden"));   /* only in a comment */
	assert_null(yara_rule_text(y, 0, "fake"));
	assert_null(yara_rule_text(y, 0, "nosuch"));
	assert_null(yara_rule_text(y, 9, "tagged"));

	struct yara_scanner *s = yara_scanner_new(y, 5);
	struct yara_result res;
	const char data[] = "xxMZ\x01\x02\x03\x90yy";
	yara_scan_mem(s, data, sizeof(data) - 1, &res);
	assert_null(res.incomplete);
	/* tagged and the included in_sub (set 0), in_sub again (set 1). */
	assert_int_equal(res.n, 3);
	const struct yara_match *m = NULL;
	for (size_t i = 0; i < res.n; i++)
		if (!strcmp(res.m[i].rule, "tagged"))
			m = &res.m[i];
	assert_non_null(m);
	assert_int_equal(res.m[2].set, 1);
	assert_string_equal(m->rule, "tagged");
	assert_string_equal(m->tags, "alpha beta");
	assert_string_equal(m->author, "A. Author");
	assert_string_equal(m->reference, "https://example.invalid/r}");
	assert_string_equal(m->date, "2026-01-02");
	assert_true(m->meta_fail);
	assert_int_equal(m->set, 0);
	assert_non_null(res.seconds);
	yara_result_release(&res);

	/* An empty stream: only rules that need no bytes. */
	yara_scan_mem(s, NULL, 0, &res);
	assert_null(res.incomplete);
	assert_int_equal(res.n, 2);
	assert_string_equal(res.m[0].rule, "in_sub");
	assert_string_equal(res.m[1].rule, "in_sub");
	yara_result_release(&res);
	yara_scanner_free(s);
	yara_free(y);
	free(f1);
	free(f2);
}

static void timeout_is_not_fully_scanned(void **state)
{
	struct yara_diags d = { 0 };
	struct ks_err err;
	struct yara *y = NULL;
	char *f = in_tmp("outside/slow.yar");
	size_t n = 1u << 16;
	unsigned char *buf = xcalloc(1, n);

	put("outside/slow.yar", "rule slow { condition: for all i in (0 .. filesize) : "
				"(for all j in (0 .. filesize) : (uint8(j) >= 0 or i < 0)) }\n");
	const char *paths[] = { f };
	assert_int_equal(yara_load(paths, 1, &y, &d, &err), 0);
	struct yara_scanner *s = yara_scanner_new(y, 1);
	struct yara_result res;
	yara_scan_mem(s, buf, n, &res);
	assert_non_null(res.incomplete);
	assert_non_null(strstr(res.incomplete, "not fully scanned: YARA timed out after 1 s"));
	assert_true(res.timed_out);
	assert_int_equal(res.timed_out_set, 0);
	assert_int_equal(res.n, 0);
	yara_result_release(&res);
	yara_scanner_free(s);
	yara_free(y);
	free(buf);
	free(f);
}

static void hostile_rule_text(void **state)
{
	/* Unterminated comments, strings and braces: found nowhere, no
	 * overrun (run under the sanitizers by make check). */
	static const char *const texts[] = {
		"rule a { condition: true", "rule a /* { */", "rule a \"{", "rule a {\"}", "rule a { /",
		"rule a { $r = /", "rule a { //", "rule", "rule ", "rule a", "", "{{{{}}}}", "rule a {{{",
	};
	struct yara_diags d = { 0 };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "h%zu.yar", i);
		put(name, texts[i]);
		char *p = in_tmp(name);
		const char *paths[] = { p };
		struct yara *y = NULL;
		struct ks_err err;
		if (yara_load(paths, 1, &y, &d, &err) == 0) {
			char *t = yara_rule_text(y, 0, "a");
			free(t);
			yara_free(y);
		}
		yara_diags_release(&d);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(includes_inside_allowed),
		cmocka_unit_test(includes_outside_refused),
		cmocka_unit_test(every_error_collected),
		cmocka_unit_test(debian_modules_present),
		cmocka_unit_test(load_reports_every_file),
		cmocka_unit_test(load_scan_and_rule_text),
		cmocka_unit_test(timeout_is_not_fully_scanned),
		cmocka_unit_test(hostile_rule_text),
	};

	return cmocka_run_group_tests_name("yara", tests, setup, teardown);
}
