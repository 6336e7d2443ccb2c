/* YARA's part of one image's report: the sets it scanned with, each
 * stream's matches beside ClamAV's, the time each set took, and the streams
 * it could not finish (never silent: they are not fully scanned). */
#include <stdlib.h>
#include <string.h>

#include <kenshu/av.h>
#include <kenshu/core.h>
#include <kenshu/report.h>
#include "scan_internal.h"
#include <kenshu/banned.h>

void scan_yara_facts(const struct yara *y, uint64_t max_file_size, unsigned timeout, struct rep_yara *out)
{
	size_t n = yara_set_count(y);

	out->enabled = true;
	out->version = xstrdup(yara_version());
	out->max_file_size = max_file_size;
	out->timeout = timeout;
	out->slow_seconds = YARA_SLOW_SET_SECONDS;
	out->sets = xcalloc(n ? n : 1, sizeof(*out->sets));
	out->nsets = n;
	for (size_t i = 0; i < n; i++) {
		const struct yara_set *s = yara_set(y, i);
		out->sets[i].path = xstrdup(s->path);
		memcpy(out->sets[i].sha256, s->sha256, sizeof(out->sets[i].sha256));
		out->sets[i].files = s->nfiles;
		out->sets[i].rules = s->rules;
	}
}

bool scan_yara_collect(const struct yara *y, struct report *r, unsigned vol, const char *path, const char *stream,
		       const char *sha256, uint64_t size, const struct yara_result *res, bool over)
{
	struct rep_yara *ry = &r->yara;

	if (over) {
		char *why = xasprintf("not fully scanned: larger than the YARA limit ([yara] max_file_size = %llu bytes)",
				      (unsigned long long)ry->max_file_size);
		report_add_skip(r, vol, path, stream, why, size);
		free(why);
		ry->over_limit++;
		return true;
	}
	for (size_t k = 0; res->seconds && k < ry->nsets; k++) {
		ry->sets[k].seconds += res->seconds[k];
		ry->sets[k].streams++;
	}
	if (res->timed_out && res->timed_out_set < ry->nsets)
		ry->sets[res->timed_out_set].timeouts++;
	for (size_t k = 0; k < res->n; k++) {
		const struct yara_match *m = &res->m[k];
		struct rep_yara_match rm = {
			.volume = vol, .path = (char *)path, .stream = (char *)stream, .size = size,
			.rule = m->rule, .set = (char *)yara_set(y, m->set)->path, .tags = m->tags,
			.author = m->author, .reference = m->reference, .date = m->date,
			.meta_fail = m->meta_fail,
		};
		memcpy(rm.sha256, sha256, sizeof(rm.sha256));
		rm.text = yara_rule_text(y, m->set, m->rule);
		report_add_yara_match(r, &rm);
		free(rm.text);
	}
	if (res->incomplete) {
		report_add_skip(r, vol, path, stream, res->incomplete, size);
		return true;
	}
	return false;
}

void scan_yara_finish(struct rep_yara *y)
{
	for (size_t i = 0; i < y->nsets; i++) {
		struct rep_yara_set *s = &y->sets[i];
		s->too_slow = s->timeouts > 0 || (s->streams && s->seconds / (double)s->streams > y->slow_seconds);
	}
}
