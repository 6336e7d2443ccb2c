/* What the policy stage's files share: the evaluation context, where a
 * finding is, and proposing one. Internal to policy/. */
#ifndef KENSHU_POLICY_INTERNAL_H
#define KENSHU_POLICY_INTERNAL_H

#include <kenshu/core.h>
#include <kenshu/policy.h>
#include <kenshu/trust.h>

struct pctx {
	const struct profile *p;
	const struct rep_db *dbs;
	size_t ndbs;
	const char *dbdir;
	struct report *r;
	const struct ioc *ioc;
};

/* Where a finding is and what it shows; unset fields are NULL. stream
 * names the alternate data stream of path (the sha256 is then the
 * stream's): NULL or "" is the main data. */
struct where {
	unsigned volume;
	const char *path, *value, *version, *sha256, *stream;
};

/* Proposes a finding of rule; the profile's severity for it applies, never
 * above cap (off drops it). */
void policy_add(struct pctx *c, const char *rule, enum severity cap, const struct where *w, const char *fmt, ...)
	KS_PRINTF(5, 6);

/* An allowlist entry names this file or target: path, hash and signer
 * (of a valid signature, sig may be NULL) must each match when given. */
bool policy_allowed(const struct profile *p, const char *path, const char *sha256, const struct sig_result *sig);

/* policy_trust.c: signature-invalid, autorun-unsigned, system-file-unsigned. */
void eval_code_signatures(struct pctx *c);
/* policy_accounts.c: account-blank-password, account-admin-extra. */
void eval_accounts(struct pctx *c);

/* policy_defender.c: defender-exclusion, defender-disabled-policy,
 * defender-quarantine, defender-history. */
void eval_defender(struct pctx *c);

/* policy_yara.c: yara-match. */
void eval_yara(struct pctx *c);

/* policy_eventlog.c: eventlog-cleared, -defender-detection,
 * -defender-disabled, -service-installed, -account-added, -remote-logon,
 * -damaged. */
void eval_eventlogs(struct pctx *c);

#endif
