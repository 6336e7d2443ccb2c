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

struct verdict_inputs {
	size_t detections;       /* ClamAV detections (autostart targets included) */
	size_t nothing_scanned;  /* 1 when no volume held a file system kenshu could walk
	                            (an empty or unformatted disk, a broken copy) */
	size_t skipped;          /* items not fully scanned */
	size_t data_outside;     /* areas outside every partition that hold data */
	size_t hive_problems;    /* hives unreadable, or dirty with unreplayed logs; an
	                            unreadable WMI repository */
	size_t flagged_autoruns; /* autostart entries with any flag */
	size_t identity_mismatch; /* --cross-check: libguestfs sees another Windows */
};

/* The interim policy until profiles land: any detection fails (an autostart
 * entry whose target is detected is a detection too); anything not fully
 * scanned or read, or a flagged autostart entry, needs review; otherwise
 * pass. The reason names every cause, in that order. */
enum verdict verdict_decide(const struct verdict_inputs *in, char *reason, size_t len);

#endif
