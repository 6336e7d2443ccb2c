/* The local accounts (os_info.accounts, read from the SAM): an enabled
 * account anyone can log on to without a password, and administrators
 * besides the built-in one. Only judgements of the hash ever reach here. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/policy.h>
#include "policy_internal.h"
#include <kenshu/banned.h>

#define RID_ADMINISTRATOR 500u

/* Windows compares account names without regard to case. */
static bool account_allowed(const struct profile *p, const char *name)
{
	for (size_t i = 0; i < profile_nallows(p); i++) {
		const struct profile_allow *a = profile_allow(p, i);
		if (a->account && !strcasecmp(a->account, name))
			return true;
	}
	return false;
}

void eval_accounts(struct pctx *c)
{
	const struct report *r = c->r;

	for (size_t i = 0; i < r->nos; i++) {
		const struct os_info *os = &r->os[i];
		for (size_t k = 0; k < os->accounts.n; k++) {
			const struct sam_account *a = &os->accounts.v[k];
			char where_[160];
			struct where w = { os->volume, NULL, where_, NULL, NULL, NULL };

			/* without F nothing says it is enabled */
			if (!a->has_f || (a->acb & SAM_ACB_DISABLED))
				continue;
			snprintf(where_, sizeof(where_), "SAM\\Domains\\Account\\Users\\%08X", a->rid);
			if (a->password == SAM_PW_EMPTY)
				policy_add(c, "account-blank-password", SEV_FAIL, &w,
					   "the enabled local account '%s' (RID %u) has an empty password%s", a->name, a->rid,
					   a->admin ? ", and is an administrator" : "");
			else if (a->password != SAM_PW_SET && (a->acb & SAM_ACB_PW_NOT_REQUIRED))
				/* a password set now is one: the flag alone only lets it be cleared */
				policy_add(c, "account-blank-password", SEV_FAIL, &w,
					   "the enabled local account '%s' (RID %u) needs no password (password not required) "
					   "and %s%s", a->name, a->rid,
					   a->password == SAM_PW_NONE ? "has none" : "whether it has one is unknown",
					   a->admin ? "; it is an administrator" : "");
			if (a->admin && a->rid != RID_ADMINISTRATOR && !account_allowed(c->p, a->name))
				policy_add(c, "account-admin-extra", SEV_FAIL, &w,
					   "the enabled local account '%s' (RID %u) is a member of Administrators%s", a->name,
					   a->rid, a->rdp ? " and of Remote Desktop Users" : "");
		}
	}
}
