/* --meta KEY=VALUE: what is accepted, what is refused with which words,
 * and that reports carry the entries in key order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/output.h>
#include <kenshu/report.h>

static void accepted_and_sorted(void **state)
{
	struct case_meta m = { 0 }, copy;
	struct ks_err err;

	assert_int_equal(case_meta_add(&m, "vendor=Acme Präzision GmbH", &err), 0);
	assert_int_equal(case_meta_add(&m, "po=4500012345", &err), 0);
	assert_int_equal(case_meta_add(&m, "asset=PRESS-HMI-01", &err), 0);
	assert_int_equal(case_meta_add(&m, "operator=山田 太郎", &err), 0);
	assert_int_equal(case_meta_add(&m, "note=a=b, \"quoted\" <tag> & more", &err), 0);
	assert_int_equal(case_meta_add(&m, "A_b.c-9=x", &err), 0);
	assert_int_equal(m.n, 6);
	/* Byte order of the keys, whatever order they were given in. */
	const char *keys[] = { "A_b.c-9", "asset", "note", "operator", "po", "vendor" };
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(m.v[i].key, keys[i]);
	assert_string_equal(m.v[2].value, "a=b, \"quoted\" <tag> & more");   /* only the first '=' splits */

	case_meta_copy(&copy, &m);
	assert_int_equal(copy.n, 6);
	assert_string_equal(copy.v[3].value, "山田 太郎");
	assert_ptr_not_equal(copy.v[3].value, m.v[3].value);
	case_meta_release(&copy);
	case_meta_copy(&copy, NULL);
	assert_int_equal(copy.n, 0);
	case_meta_release(&copy);
	case_meta_release(&m);
	assert_int_equal(m.n, 0);
}

static void limits(void **state)
{
	struct case_meta m = { 0 };
	struct ks_err err;
	char *arg;
	char key[CASE_KEY_MAX + 2], val[CASE_VALUE_MAX + 2];

	memset(key, 'k', sizeof(key));
	key[CASE_KEY_MAX] = '\0';
	memset(val, 'v', sizeof(val));
	val[CASE_VALUE_MAX] = '\0';
	arg = xasprintf("%s=%s", key, val);   /* both at their limit */
	assert_int_equal(case_meta_add(&m, arg, &err), 0);
	free(arg);
	key[CASE_KEY_MAX] = 'k';
	key[CASE_KEY_MAX + 1] = '\0';
	arg = xasprintf("%s=x", key);
	assert_int_equal(case_meta_add(&m, arg, &err), -1);
	assert_non_null(strstr(err.msg, "1 to 64 characters"));
	free(arg);
	val[CASE_VALUE_MAX] = 'v';
	val[CASE_VALUE_MAX + 1] = '\0';
	arg = xasprintf("long=%s", val);
	assert_int_equal(case_meta_add(&m, arg, &err), -1);
	assert_string_equal(err.msg, "--meta 'long': value is 1025 bytes, at most 1024");
	free(arg);
	case_meta_release(&m);

	for (int i = 0; i < CASE_META_MAX; i++) {
		arg = xasprintf("k%03d=v", i);
		assert_int_equal(case_meta_add(&m, arg, &err), 0);
		free(arg);
	}
	assert_int_equal(case_meta_add(&m, "one=more", &err), -1);
	assert_non_null(strstr(err.msg, "at most 64 entries"));
	case_meta_release(&m);
}

static void refused(void **state)
{
	static const struct {
		const char *arg, *err;
	} bad[] = {
		{ "novalue", "--meta wants KEY=VALUE, not 'novalue'" },
		{ "=value", "--meta: a KEY must be 1 to 64 characters of A-Z a-z 0-9 _ . -" },
		{ "po number=1", "--meta: KEY 'po number' may hold only A-Z a-z 0-9 _ . -" },
		{ "pö=1", "may hold only" },
		{ "a/b=1", "may hold only" },
		{ "operator=", "--meta 'operator': empty value" },
		{ "note=two\nlines", "--meta 'note': value holds a control character (0x0a)" },
		{ "note=tab\there", "control character (0x09)" },
		{ "note=esc\x1b[31m", "control character (0x1b)" },
		{ "note=del\x7f", "control character (0x7f)" },
		{ "note=\xff\xfe", "--meta 'note': value is not valid UTF-8" },
		{ "note=\xc0\xaf", "not valid UTF-8" },        /* overlong '/' */
		{ "note=\xed\xa0\x80", "not valid UTF-8" },    /* a surrogate */
		{ "po=1", "--meta 'po': given twice" },
	};
	struct case_meta m = { 0 };
	struct ks_err err;

	assert_int_equal(case_meta_add(&m, "po=4500012345", &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(case_meta_add(&m, bad[i].arg, &err), -1);
		if (!strstr(err.msg, bad[i].err))
			print_error("'%s': said '%s'\n", bad[i].arg, err.msg);
		assert_non_null(strstr(err.msg, bad[i].err));
	}
	assert_int_equal(m.n, 1);   /* nothing refused was kept */
	assert_string_equal(m.v[0].value, "4500012345");
	case_meta_release(&m);
}

/* The case block and the host in both report files. */
static void in_the_reports(void **state)
{
	struct report r;
	struct ks_err err;
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	report_init(&r);
	r.host = xstrdup("acceptance-ws01");
	assert_int_equal(case_meta_add(&r.meta, "vendor=Acme \"KK\"", &err), 0);
	assert_int_equal(case_meta_add(&r.meta, "asset=PRESS-HMI-01", &err), 0);

	f = open_memstream(&buf, &n);
	report_write_case(&r.meta, f);
	fclose(f);
	assert_string_equal(buf, "Case:       asset: PRESS-HMI-01\n"
				 "            vendor: Acme \"KK\"\n\n");
	free(buf);
	report_release(&r);

	struct case_meta none = { 0 };
	f = open_memstream(&buf, &n);
	report_write_case(&none, f);
	fclose(f);
	assert_int_equal(n, 0);
	free(buf);

	char *host = report_host_name();
	assert_non_null(host);
	assert_true(strlen(host) > 0);
	free(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_and_sorted),
		cmocka_unit_test(limits),
		cmocka_unit_test(refused),
		cmocka_unit_test(in_the_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
