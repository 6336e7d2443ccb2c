#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kenshu/verdict.h>

static enum verdict d(size_t det, size_t skip, size_t hives, size_t flagged, char *why, size_t len)
{
	struct verdict_inputs in = { .detections = det, .skipped = skip, .hive_problems = hives,
				     .flagged_autoruns = flagged };
	return verdict_decide(&in, why, len);
}

static void decide(void **state)
{
	char why[512];

	assert_int_equal(d(0, 0, 0, 0, why, sizeof(why)), VERDICT_PASS);
	assert_string_equal(why, "no detections, everything was scanned, no autostart entry flagged");
	assert_int_equal(d(0, 3, 0, 0, why, sizeof(why)), VERDICT_REVIEW);
	assert_string_equal(why, "some content could not be fully scanned");
	assert_int_equal(d(1, 0, 0, 0, why, sizeof(why)), VERDICT_FAIL);
	/* Malware decides even when other content was skipped. */
	assert_int_equal(d(2, 5, 1, 4, why, sizeof(why)), VERDICT_FAIL);
	assert_string_equal(why, "malware detected");
	/* A flagged autostart entry alone needs review, and says so. */
	assert_int_equal(d(0, 0, 0, 1, why, sizeof(why)), VERDICT_REVIEW);
	assert_string_equal(why, "autostart entries are flagged");
	/* A hive that could not be read hides autostart entries: review. */
	assert_int_equal(d(0, 0, 1, 0, why, sizeof(why)), VERDICT_REVIEW);
	assert_non_null(strstr(why, "registry hives"));
	/* Every cause is named, in a fixed order. */
	assert_int_equal(d(0, 2, 1, 1, why, sizeof(why)), VERDICT_REVIEW);
	assert_string_equal(why, "some content could not be fully scanned, and some registry hives or the WMI "
				 "repository could not be read completely (damaged, or with unreplayed transaction logs), and autostart "
				 "entries are flagged");
	/* A disk with nothing to walk (all zeros, a broken copy) is never a PASS. */
	struct verdict_inputs none = { .nothing_scanned = 1 };
	assert_int_equal(verdict_decide(&none, why, sizeof(why)), VERDICT_REVIEW);
	assert_string_equal(why, "no file system was found to inspect: nothing on the disk was scanned");
	/* libguestfs seeing another Windows than kenshu is for a person to look at. */
	struct verdict_inputs other = { .identity_mismatch = 1 };
	assert_int_equal(verdict_decide(&other, why, sizeof(why)), VERDICT_REVIEW);
	assert_non_null(strstr(why, "libguestfs"));
	/* A short buffer truncates, never overflows. */
	char tiny[8];
	assert_int_equal(d(0, 2, 1, 1, tiny, sizeof(tiny)), VERDICT_REVIEW);
	assert_int_equal(strlen(tiny), 7);
}

static void exit_codes(void **state)
{
	assert_int_equal(verdict_exit_code(VERDICT_PASS), 0);
	assert_int_equal(verdict_exit_code(VERDICT_FAIL), 1);
	assert_int_equal(verdict_exit_code(VERDICT_REVIEW), 3);
	assert_string_equal(verdict_name(VERDICT_REVIEW), "REVIEW");
}

/* The documented batch precedence: FAIL > ERROR > REVIEW > PASS. */
static void batch_precedence(void **state)
{
	const int order[] = { EXIT_PASS, EXIT_REVIEW, EXIT_ERROR, EXIT_FAIL };

	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 4; j++) {
			int want = order[i > j ? i : j];
			assert_int_equal(exit_code_combine(order[i], order[j]), want);
		}
	/* A batch: PASS, REVIEW, ERROR, PASS, FAIL, REVIEW -> FAIL */
	int seq[] = { 0, 3, 2, 0, 1, 3 }, c = 0;
	for (size_t i = 0; i < 6; i++)
		c = exit_code_combine(c, seq[i]);
	assert_int_equal(c, EXIT_FAIL);
	/* ERROR outranks REVIEW: an incomplete scan is never "just review". */
	assert_int_equal(exit_code_combine(EXIT_REVIEW, EXIT_ERROR), EXIT_ERROR);
	/* An unknown code counts as an error, never as a pass. */
	assert_int_equal(exit_code_combine(EXIT_PASS, 42), EXIT_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decide),
		cmocka_unit_test(exit_codes),
		cmocka_unit_test(batch_precedence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
