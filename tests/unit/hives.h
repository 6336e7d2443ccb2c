/* Hives for unit tests, built at test time from .reg text by mkhive
 * (BUILD/tools/mkhive, found through KENSHU_TOOLS), in the test's own
 * temporary directory: no binary hive is ever committed. Include after
 * cmocka.h; the test defines `static char dir[]` (its mkdtemp template)
 * before including this. */
#ifndef KENSHU_TEST_HIVES_H
#define KENSHU_TEST_HIVES_H

#include <stdio.h>
#include <stdlib.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* The whole file (caller frees). */
static void *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	void *data;
	long l;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	l = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = xmalloc((size_t)l + 1);
	assert_int_equal(fread(data, 1, (size_t)l, f), (size_t)l);
	fclose(f);
	*n = (size_t)l;
	return data;
}

/* A hive from .reg text (the header line is added); caller closes it. */
static struct hive *reg(const char *text)
{
	static unsigned hive_no;
	const char *tools = getenv("KENSHU_TOOLS");
	char *in = xasprintf("%s/h%u.reg", dir, hive_no), *out = xasprintf("%s/h%u.hive", dir, hive_no);
	char *cmd = xasprintf("'%s/mkhive' '%s' '%s'", tools ? tools : "build/tools", out, in);
	FILE *f = fopen(in, "w");
	struct hive *h = NULL;
	struct hive_health hh;
	size_t n;
	void *data;

	hive_no++;
	assert_non_null(f);
	fputs("Windows Registry Editor Version 5.00\n\n", f);
	fputs(text, f);
	fclose(f);
	if (system(cmd) != 0)
		fail_msg("mkhive failed on:\n%s", text);
	data = slurp(out, &n);
	assert_int_equal(hive_open_mem(data, n, &h, &hh), 0);
	free(data);
	free(in);
	free(out);
	free(cmd);
	return h;
}

#endif
