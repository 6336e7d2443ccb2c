/* OS family derivation and the hive reader's first defences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kenshu/artifacts.h>
#include <kenshu/windows.h>

static void family_from_numbers_not_names(void **state)
{
	/* WES7 says only "Windows Embedded Standard": 6.1 decides. */
	assert_string_equal(os_family(6, 1, 7601), "Windows 7 / Windows Embedded Standard 7 / POSReady 7");
	assert_string_equal(os_family(5, 1, 2600), "Windows XP / Windows Embedded POSReady 2009 / XP Embedded");
	assert_string_equal(os_family(6, 3, 9600), "Windows 8.1 / Windows Embedded 8.1 Industry");
	assert_string_equal(os_family(10, 0, 19044), "Windows 10 / Windows 10 IoT Enterprise");
	assert_string_equal(os_family(10, 0, 22000), "Windows 11 / Windows 11 IoT Enterprise");
	assert_string_equal(os_family(10, 0, 26100), "Windows 11 / Windows 11 IoT Enterprise");
	assert_string_equal(os_family(7, 0, 1), "unknown Windows version");
}

static void not_a_hive(void **state)
{
	struct hive *h = NULL;
	struct hive_health hh;
	unsigned char *buf = calloc(1, 8192);

	assert_int_equal(hive_open_mem(buf, 100, &h, &hh), -1);
	assert_false(hh.opened);
	assert_non_null(strstr(hh.error, "shorter than a base block"));
	assert_int_equal(hive_open_mem(buf, 8192, &h, &hh), -1);
	assert_non_null(strstr(hh.error, "no 'regf' signature"));
	assert_null(h);
	free(buf);
}

static void damaged_base_block_reported_dirty(void **state)
{
	struct hive *h = NULL;
	struct hive_health hh;
	unsigned char *buf = calloc(1, 8192);

	/* A regf header with differing sequence numbers and nothing valid
	 * behind it: the state is read from the header, hivex then refuses. */
	memcpy(buf, "regf", 4);
	buf[4] = 7;
	buf[8] = 6;
	assert_int_equal(hive_open_mem(buf, 8192, &h, &hh), -1);
	assert_true(hh.dirty);
	assert_int_equal(hh.seq1, 7);
	assert_int_equal(hh.seq2, 6);
	assert_non_null(strstr(hh.error, "damaged hive"));
	assert_null(h);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(family_from_numbers_not_names),
		cmocka_unit_test(not_a_hive),
		cmocka_unit_test(damaged_base_block_reported_dirty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
