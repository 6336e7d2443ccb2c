/* YARA over a bundle's loose members. Judged here rather than by policy
 * because a member has no report of its own: a decisive rule (meta
 * severity = "fail", a [yara] fail_tags tag) fails the member, any other
 * match takes yara-match's severity from the profile, as in a disk image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <kenshu/core.h>
#include <kenshu/av.h>
#include <kenshu/rules.h>
#include "input_internal.h"
#include <kenshu/banned.h>

struct bundle_yara {
	const struct profile *p;
	const struct yara *y;
	struct yara_scanner *s;
	uint64_t max;
};

struct bundle_yara *bundle_yara_new(const struct profile *p)
{
	const struct yara *y = profile_yara(p);
	struct bundle_yara *by;

	if (!y)
		return NULL;
	by = xcalloc(1, sizeof(*by));
	by->p = p;
	by->y = y;
	by->s = yara_scanner_new(y, (unsigned)profile_int(p, "yara", "timeout"));
	by->max = (uint64_t)profile_int(p, "yara", "max_file_size");
	return by;
}

void bundle_yara_free(struct bundle_yara *by)
{
	if (!by)
		return;
	yara_scanner_free(by->s);
	free(by);
}

static void note_gap(struct bundle_member *m, char *why)
{
	if (!m->reason)
		m->reason = why;
	else
		free(why);
	m->exit_code = exit_code_combine(m->exit_code, EXIT_REVIEW);
}

void bundle_yara_member(struct bundle_yara *by, const unsigned char *buf, int fd, uint64_t size,
			struct bundle_member *m)
{
	struct yara_result res;
	void *map = NULL;
	enum severity sev;

	if (!by)
		return;
	if (size > by->max) {
		note_gap(m, xasprintf("not fully scanned: %llu bytes, larger than the YARA limit ([yara] "
				      "max_file_size %llu)", (unsigned long long)size, (unsigned long long)by->max));
		return;
	}
	if (!buf && size) {
		map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			note_gap(m, xasprintf("not fully scanned: cannot map the spilled member for YARA: %s",
					      strerror(errno)));
			return;
		}
		buf = map;
	}
	yara_scan_mem(by->s, buf ? (const void *)buf : "", (size_t)size, &res);
	if (map)
		munmap(map, (size_t)size);
	sev = profile_severity(by->p, "yara-match");
	for (size_t i = 0; i < res.n; i++) {
		const struct yara_match *x = &res.m[i];
		bool decisive = profile_yara_decisive(by->p, x->meta_fail, x->tags);
		const struct yara_set *set = yara_set(by->y, x->set);

		m->yara = xrealloc(m->yara, (m->nyara + 1) * sizeof(*m->yara));
		m->yara[m->nyara++] = xasprintf("%s (rule set %s%s%s)", x->rule, set->path,
						x->tags[0] ? "; tags " : "", x->tags);
		if (decisive || sev == SEV_FAIL)
			m->exit_code = exit_code_combine(m->exit_code, EXIT_FAIL);
		else if (sev == SEV_REVIEW)
			m->exit_code = exit_code_combine(m->exit_code, EXIT_REVIEW);
	}
	if (res.incomplete)
		note_gap(m, xstrdup(res.incomplete));
	yara_result_release(&res);
}

#include <kenshu/banned.h>
