/* engine.h: the unit tests' temporary ClamAV engine. A test writes its own
 * signature files into DIR/db (DIR a mkdtemp template, filled in place),
 * opens one engine on them, and removes it all at teardown. Header-only,
 * like bytes.h: each unit test is one program. */
#ifndef KENSHU_TEST_ENGINE_H
#define KENSHU_TEST_ENGINE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <kenshu/av.h>
#include <kenshu/core.h>
#include <kenshu/policy.h>
#include <kenshu/scan.h>

struct test_db_file {
	const char *name;   /* file name inside DIR/db ("t.ndb") */
	const char *text;   /* its content */
};

/* The engine on DIR/db holding the n files, or NULL when anything failed
 * (the test's setup then fails). */
static inline struct av *test_engine_open(char *dir, const struct test_db_file *files, size_t n)
{
	struct av_limits l;
	struct av *av = NULL;
	char *db;

	if (!mkdtemp(dir))
		return NULL;
	db = xasprintf("%s/db", dir);
	if (mkdir(db, 0755) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", db, files[i].name);
		FILE *f = fopen(path, "w");
		int bad = !f || fputs(files[i].text, f) < 0;
		if (f && fclose(f) != 0)
			bad = 1;
		free(path);
		if (bad)
			goto out;
	}
	av_default_limits(&l);
	if (av_open(db, NULL, &l, &av, NULL) < 0)
		av = NULL;
out:
	free(db);
	return av;
}

/* The policy over r as a scan runs it, with the engine's databases given
 * directly (r->engine): tests judge signature age without a signed
 * official database. */
static inline void test_policy_apply_dbs(const struct profile *p, const struct av_db *const *dbs, size_t n,
					 const char *dbdir, struct report *r)
{
	rep_engine_release(&r->engine);
	r->engine.dbdir = xstrdup(dbdir);
	r->engine.dbs = xcalloc(n ? n : 1, sizeof(*r->engine.dbs));
	for (size_t i = 0; i < n; i++) {
		struct rep_db *x = &r->engine.dbs[r->engine.ndbs++];

		x->name = xstrdup(dbs[i]->name ? dbs[i]->name : "");
		x->official = dbs[i]->official;
		x->ioc_feed = dbs[i]->ioc_feed;
		x->version = dbs[i]->version;
		x->sigs = dbs[i]->sigs;
		memcpy(x->build_time, dbs[i]->build_time, sizeof(x->build_time));
		x->builder = xstrdup(dbs[i]->builder ? dbs[i]->builder : "");
		x->size = dbs[i]->size;
		memcpy(x->sha256, dbs[i]->sha256, sizeof(x->sha256));
	}
	policy_apply(p, r);
}

/* Closes the engine and removes DIR; 0, or -1 when DIR could not be removed. */
static inline int test_engine_close(struct av *av, const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc;

	av_close(av);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* The one-signature database most tests need: the writers name the engine. */
#define TEST_NDB_LINE "Kenshu.Unit.Test:0:*:6b656e7368752d756e69742d74657374\n"

#endif
