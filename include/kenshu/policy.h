/* policy: the profile's rules applied to a report: findings, waivers,
 * verdict.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. */
#ifndef KENSHU_POLICY_H
#define KENSHU_POLICY_H



#include <kenshu/profile.h>
#include <kenshu/report.h>

/* policy: applies a profile's rules to a finished report.
 *
 * Every rule of rules.h is evaluated over what the scan recorded
 * (detections, skips, volumes, hives, autostart entries, patch level and
 * hardening, files, IOC matches); each outcome whose severity is not off
 * becomes a finding. Waivers then lift matching findings, an expired
 * waiver is a finding of its own, and the verdict is the worst severity of
 * the findings left: fail → FAIL, review → REVIEW, else PASS. */

/* Judges as of r->scan_date (YYYY-MM-DD, set by the scan); when it is
 * empty, as of the day of r->started. The signature rules read the
 * engine's databases from r->engine. Fills r->findings, r->waivers, the
 * profile fields, r->verdict and r->verdict_reason. Findings are sorted
 * decisive first (fail, review, info; waived last), then by rule table
 * order and location. */
void policy_apply(const struct profile *p, struct report *r);

#endif
