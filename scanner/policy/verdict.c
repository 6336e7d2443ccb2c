#include <stddef.h>
#include <stdio.h>

#include <kenshu/rules.h>
#include <kenshu/banned.h>

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
