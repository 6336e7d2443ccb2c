/* core's text helpers (core.h, "text"): zero runs, trimming, UTF-8 cuts,
 * Latin-1 to UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kenshu/core.h>

static void zero_runs(void **state)
{
	unsigned char b[600] = { 0 };

	(void)state;
	assert_true(mem_is_zero(b, 0));
	assert_true(mem_is_zero(b, sizeof(b)));
	b[599] = 1;
	assert_false(mem_is_zero(b, sizeof(b)));
	assert_true(mem_is_zero(b, 599));
}

static void trims_only_the_listed_blanks(void **state)
{
	char a[] = " \t x y \t ", b[] = " \t x y \t ", c[] = "   ", d[] = "";

	(void)state;
	assert_string_equal(str_trim(a, " \t"), "x y");
	assert_string_equal(str_trim(b, " "), "\t x y \t");
	assert_string_equal(str_trim(c, " "), "");
	assert_string_equal(str_trim(d, " \t"), "");
}

static void cuts_between_characters(void **state)
{
	const char *s = "ab\xe6\x97\xa5" "c";   /* a b U+65E5 c */

	(void)state;
	assert_int_equal(utf8_cut(s, 0), 0);
	assert_int_equal(utf8_cut(s, 2), 2);
	assert_int_equal(utf8_cut(s, 3), 2);
	assert_int_equal(utf8_cut(s, 4), 2);
	assert_int_equal(utf8_cut(s, 5), 5);
	assert_int_equal(utf8_cut(s, 6), 6);
}

static void latin1(void **state)
{
	const uint8_t in[] = { 'A', 0xE9, 0x00, 0xFF };
	char *s;

	(void)state;
	s = latin1_to_utf8(in, sizeof(in));
	assert_string_equal(s, "A\xc3\xa9\xef\xbf\xbd\xc3\xbf");
	free(s);
	s = latin1_to_utf8(in, 0);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_runs),
		cmocka_unit_test(trims_only_the_listed_blanks),
		cmocka_unit_test(cuts_between_characters),
		cmocka_unit_test(latin1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
