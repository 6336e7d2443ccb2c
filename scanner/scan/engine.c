/* The live engine's facts copied into the report model, once per image:
 * from here on the policy and the writers need no engine. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/scan.h>
#include <kenshu/banned.h>

void scan_engine_facts(const struct av *av, struct rep_engine *e)
{
	const struct av_limits *l = av_limits(av);
	size_t n = av_db_count(av);

	memset(e, 0, sizeof(*e));
	e->version = xstrdup(av_version());
	e->functionality_level = av_functionality_level();
	e->dbdir = xstrdup(av_dbdir(av));
	e->signatures = av_signature_count(av);
	e->dbs = xcalloc(n ? n : 1, sizeof(*e->dbs));
	for (size_t i = 0; i < n; i++) {
		const struct av_db *d = av_db(av, i);
		struct rep_db *x = &e->dbs[e->ndbs++];

		x->name = xstrdup(d->name);
		x->official = d->official;
		x->ioc_feed = d->ioc_feed;
		x->version = d->version;
		x->sigs = d->sigs;
		memcpy(x->build_time, d->build_time, sizeof(x->build_time));
		x->builder = xstrdup(d->builder ? d->builder : "");
		x->size = d->size;
		memcpy(x->sha256, d->sha256, sizeof(x->sha256));
	}
	e->max_filesize = l->max_filesize;
	e->max_scansize = l->max_scansize;
	e->max_recursion = l->max_recursion;
	e->max_files = l->max_files;
	e->max_scantime_ms = l->max_scantime_ms;
}
