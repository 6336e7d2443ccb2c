#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <kenshu/core.h>

static void with_files(void **state)
{
	char line[256];

	/* 50 of 100 MiB in 10 s: 5 MiB/s, 10 s to go. */
	progress_format(line, sizeof(line), "disk.img", "scanning", 50u << 20, 100u << 20, 7, 20, 10.0);
	assert_string_equal(line, "disk.img: scanning 7/20 files, 50.0/100.0 MiB, 5.0 MiB/s, ETA 0:10");
}

static void without_files_and_no_rate_yet(void **state)
{
	char line[256];

	progress_format(line, sizeof(line), "d", "hashing image", 0, 1u << 20, 0, 0, 0.0);
	assert_string_equal(line, "d: hashing image 0.0/1.0 MiB, 0.0 MiB/s, ETA --:--");
}

static void long_eta_and_truncation(void **state)
{
	char line[32];

	progress_format(line, sizeof(line), "a-very-long-image-name.img", "scanning", 1u << 20, 4000u << 20, 1, 2, 1.0);
	/* Never overflows the buffer, always terminated. */
	assert_int_equal(line[sizeof(line) - 1], '\0');
	char big[256];
	progress_format(big, sizeof(big), "x", "scanning", 1u << 20, 3601u << 20, 1, 2, 1.0);
	assert_string_equal(big, "x: scanning 1/2 files, 1.0/3601.0 MiB, 1.0 MiB/s, ETA 60:00");
}

static void disabled_draws_nothing(void **state)
{
	struct progress_counts c = { 0 };

	assert_null(progress_start(false, "x", "y", &c));
	progress_phase(NULL, "z");
	progress_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(with_files),
		cmocka_unit_test(without_files_and_no_rate_yet),
		cmocka_unit_test(long_eta_and_truncation),
		cmocka_unit_test(disabled_draws_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
