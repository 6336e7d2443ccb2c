/* verdict: the decision, and the exit codes that carry it.
 *
 * Exit codes (documented in kenshu(1)):
 *   0  PASS    accepted
 *   1  FAIL    rejected
 *   2  ERROR   could not complete (bad input, database, unreadable image)
 *   3  REVIEW  needs review by a person
 *  64  usage error
 * For a batch of images the most severe wins, in this order:
 *   FAIL (1) > ERROR (2) > REVIEW (3) > PASS (0)
 * A rejection is final whatever else happened; an incomplete scan can never
 * be accepted or reviewed, so it outranks REVIEW.
 */
#ifndef KENSHU_VERDICT_H
#define KENSHU_VERDICT_H

#include <stddef.h>

enum verdict { VERDICT_PASS = 0, VERDICT_REVIEW, VERDICT_FAIL };

enum {
	EXIT_PASS = 0,
	EXIT_FAIL = 1,
	EXIT_ERROR = 2,
	EXIT_REVIEW = 3,
	EXIT_USAGE = 64,
};

const char *verdict_name(enum verdict v);       /* "PASS", "REVIEW", "FAIL" */
int verdict_exit_code(enum verdict v);
/* Combines per-image exit codes of a batch by the precedence above. */
int exit_code_combine(int a, int b);

#endif
