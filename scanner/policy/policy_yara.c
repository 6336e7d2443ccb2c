/* yara-match: what YARA found, judged. The rule's author marks a decisive
 * rule with meta severity = "fail", the profile with [yara] fail_tags;
 * every other match is for a person to decide. */
#include <stdio.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/policy.h>
#include "policy_internal.h"
#include <kenshu/banned.h>

void eval_yara(struct pctx *c)
{
	const struct rep_yara *y = &c->r->yara;

	for (size_t i = 0; i < y->nm; i++) {
		const struct rep_yara_match *m = &y->m[i];
		struct where w = { m->volume, m->path, m->rule, NULL, m->sha256, m->stream };
		bool decisive = profile_yara_decisive(c->p, m->meta_fail, m->tags);
		size_t before = c->r->nfindings;

		policy_add(c, "yara-match", SEV_FAIL, &w,
			   "YARA rule %s matched %s%s%s (rule set %s%s%s%s%s%s%s%s%s)%s",
			   m->rule, m->path, m->stream[0] ? ":" : "", m->stream, m->set,
			   m->tags[0] ? "; tags " : "", m->tags,
			   m->author ? "; author " : "", m->author ? m->author : "",
			   m->reference ? "; reference " : "", m->reference ? m->reference : "",
			   m->date ? "; date " : "", m->date ? m->date : "",
			   decisive ? (m->meta_fail ? ": the rule says severity fail" : ": a [yara] fail_tags tag") : "");
		/* A decisive rule fails whatever yara-match's own severity,
		 * unless the profile turned the rule off. */
		if (decisive && c->r->nfindings > before)
			c->r->findings[c->r->nfindings - 1].severity = SEV_FAIL;
	}
}
