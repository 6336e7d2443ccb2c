#include <kenshu/verdict.h>
#include "banned.h"

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return "PASS";
	case VERDICT_REVIEW: return "REVIEW";
	case VERDICT_FAIL: return "FAIL";
	}
	return "FAIL";
}

int verdict_exit_code(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return EXIT_PASS;
	case VERDICT_REVIEW: return EXIT_REVIEW;
	case VERDICT_FAIL: return EXIT_FAIL;
	}
	return EXIT_FAIL;
}

/* Higher rank wins. Unknown codes rank as errors: never as a pass. */
static int rank(int code)
{
	switch (code) {
	case EXIT_PASS: return 0;
	case EXIT_REVIEW: return 1;
	case EXIT_ERROR: return 2;
	case EXIT_FAIL: return 3;
	case EXIT_USAGE: return 4;
	default: return 2;
	}
}

int exit_code_combine(int a, int b)
{
	int r = rank(a) >= rank(b) ? a : b;

	return rank(r) == 2 ? EXIT_ERROR : r;
}

enum verdict verdict_decide(size_t detections, size_t skipped, size_t flagged_autoruns,
			    const char **reason)
{
	if (detections) {
		*reason = "malware detected";
		return VERDICT_FAIL;
	}
	if (skipped && flagged_autoruns) {
		*reason = "some content could not be fully scanned, and autostart entries are flagged";
		return VERDICT_REVIEW;
	}
	if (skipped) {
		*reason = "some content could not be fully scanned";
		return VERDICT_REVIEW;
	}
	if (flagged_autoruns) {
		*reason = "autostart entries are flagged";
		return VERDICT_REVIEW;
	}
	*reason = "no detections, everything was scanned, no autostart entry flagged";
	return VERDICT_PASS;
}
