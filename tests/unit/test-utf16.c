#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kenshu/core.h>

static char *conv(const uint16_t *u, size_t n, bool *lossy)
{
	unsigned char b[64];

	for (size_t i = 0; i < n; i++) {
		b[2 * i] = (unsigned char)(u[i] & 0xFF);
		b[2 * i + 1] = (unsigned char)(u[i] >> 8);
	}
	return utf16le_to_utf8(b, n, lossy);
}

static void ascii_and_japanese(void **state)
{
	/* "制御/a" as NTFS stores it */
	const uint16_t u[] = { 0x5236, 0x5FA1, '/', 'a' };
	bool lossy = true;
	char *s = conv(u, 4, &lossy);

	assert_string_equal(s, "\xE5\x88\xB6\xE5\xBE\xA1/a");
	assert_false(lossy);
	free(s);
}

static void surrogate_pair(void **state)
{
	const uint16_t u[] = { 0xD83D, 0xDE00 }; /* U+1F600 */
	bool lossy = true;
	char *s = conv(u, 2, &lossy);

	assert_string_equal(s, "\xF0\x9F\x98\x80");
	assert_false(lossy);
	free(s);
}

static void lone_surrogates_and_nul_are_replaced(void **state)
{
	const uint16_t u[] = { 'x', 0xD800, 'y', 0xDC00, 0x0000, 0xDBFF };
	bool lossy = false;
	char *s = conv(u, 6, &lossy);

	assert_string_equal(s, "x\xEF\xBF\xBDy\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_true(lossy);
	free(s);
}

static void empty(void **state)
{
	char *s = utf16le_to_utf8("", 0, NULL);

	assert_string_equal(s, "");
	free(s);
}

static void utf8_round_trip(void **state)
{
	const char *in = "\xE8\xA8\xAD\xE5\xAE\x9A.exe \xF0\x9F\x98\x80";
	uint16_t *u = NULL;
	long n = utf8_to_utf16le(in, &u);
	unsigned char b[64];

	assert_int_equal(n, 9);
	assert_int_equal(u[0], 0x8A2D);
	assert_int_equal(u[7], 0xD83D);
	for (long i = 0; i < n; i++) {
		b[2 * i] = (unsigned char)(u[i] & 0xFF);
		b[2 * i + 1] = (unsigned char)(u[i] >> 8);
	}
	char *back = utf16le_to_utf8(b, (size_t)n, NULL);
	assert_string_equal(back, in);
	free(back);
	free(u);
}

static void utf8_invalid_rejected(void **state)
{
	const char *bad[] = {
		"\xC0\xAF",             /* overlong '/' */
		"\xED\xA0\x80",         /* encoded surrogate */
		"\xF4\x90\x80\x80",     /* past U+10FFFF */
		"abc\xE3\x81",          /* truncated */
		"\xFF",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t *u = (uint16_t *)1;
		assert_int_equal(utf8_to_utf16le(bad[i], &u), -1);
		assert_null(u);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ascii_and_japanese),
		cmocka_unit_test(surrogate_pair),
		cmocka_unit_test(lone_surrogates_and_nul_are_replaced),
		cmocka_unit_test(empty),
		cmocka_unit_test(utf8_round_trip),
		cmocka_unit_test(utf8_invalid_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
