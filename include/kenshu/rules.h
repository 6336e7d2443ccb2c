/* rules: every acceptance rule kenshu knows, by stable id.
 *
 * One table (scanner/profile/rules_table.c) names each rule, what it checks and
 * the severity used when a profile does not set one. Profiles, the policy
 * engine, `kenshu profile show` and docs/rules.md all follow that table;
 * a test fails when docs/rules.md and the table drift apart. */
#ifndef KENSHU_RULES_H
#define KENSHU_RULES_H

#include <stddef.h>

/* Ordered: a larger value is more severe. */
enum severity { SEV_OFF = 0, SEV_INFO, SEV_REVIEW, SEV_FAIL };

struct rule_info {
	const char *id;        /* "malware", "autorun-lolbin"... */
	const char *group;     /* "scan", "autostart", "code-signing", "patch", "hardening", "files", "ioc", "drift", "policy" */
	enum severity def;     /* severity when no profile sets it (default.ini's choice) */
	const char *summary;   /* one line: what triggers it */
};

extern const struct rule_info rule_table[];
extern const size_t rule_count;

/* The rule of that id, or NULL. */
const struct rule_info *rule_find(const char *id);
/* Index of the rule in rule_table, or -1. */
int rule_index(const char *id);

const char *severity_name(enum severity s);        /* "off", "info", "review", "fail" */
/* Parses a severity name (case-insensitive); returns 0 or -1. */
int severity_parse(const char *s, enum severity *out);

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
