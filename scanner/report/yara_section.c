/* The report's YARA section: the rule sets and their matches. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/banned.h>

void report_add_yara_match(struct report *r, const struct rep_yara_match *m)
{
	struct rep_yara *y = &r->yara;
	struct rep_yara_match *d;

	y->m = xrealloc(y->m, (y->nm + 1) * sizeof(*y->m));
	d = &y->m[y->nm++];
	*d = *m;
	d->path = xstrdup(m->path ? m->path : "");
	d->stream = xstrdup(m->stream ? m->stream : "");
	d->rule = xstrdup(m->rule);
	d->set = xstrdup(m->set ? m->set : "");
	d->tags = xstrdup(m->tags ? m->tags : "");
	d->author = xstrdup_or_null(m->author);
	d->reference = xstrdup_or_null(m->reference);
	d->date = xstrdup_or_null(m->date);
	d->text = xstrdup_or_null(m->text);
}

void rep_yara_release(struct rep_yara *y)
{
	for (size_t i = 0; i < y->nsets; i++)
		free(y->sets[i].path);
	free(y->sets);
	for (size_t i = 0; i < y->nm; i++) {
		struct rep_yara_match *m = &y->m[i];
		free(m->path);
		free(m->stream);
		free(m->rule);
		free(m->set);
		free(m->tags);
		free(m->author);
		free(m->reference);
		free(m->date);
		free(m->text);
	}
	free(y->m);
	free(y->version);
	memset(y, 0, sizeof(*y));
}
