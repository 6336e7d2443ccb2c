/* What the policy tests share: a profile from text, and questions about
 * the findings policy_apply left in a report. Include after <cmocka.h>,
 * <kenshu/profile.h> and <kenshu/report.h>. */
#ifndef KENSHU_TEST_POLICY_H
#define KENSHU_TEST_POLICY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The profile text, written as DIR/p.ini (so that relative paths in it are
 * DIR's) and loaded; fails the test when it does not load. */
static inline struct profile *load_text_in(const char *where, const char *text)
{
	char *path = xasprintf("%s/p.ini", where);
	struct ks_err err;
	FILE *f = fopen(path, "w");
	struct profile *p;

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (profile_load(path, &p, &err) < 0)
		fail_msg("profile: %s", err.msg);
	free(path);
	return p;
}

/* Findings of rule whose message contains needle (NULL: any). */
static inline size_t count_findings(const struct report *r, const char *rule, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nfindings; i++)
		n += !strcmp(r->findings[i].rule, rule) && (!needle || strstr(r->findings[i].message, needle));
	return n;
}

/* The severity of rule's first finding, SEV_OFF when it has none. */
static inline enum severity severity_of(const struct report *r, const char *rule)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].rule, rule))
			return r->findings[i].severity;
	return SEV_OFF;
}

#endif
