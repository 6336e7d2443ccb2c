/* hostfile: a file exactly at the limit is read whole, one byte more is
 * refused; a directory, a FIFO (without blocking), a symbolic link with
 * HOSTFILE_NOFOLLOW and a missing file each give their own status. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/core.h>

static char dir[] = "/tmp/kenshu-test-hostfile-XXXXXX";

static char *make(const char *name, size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void limit_is_inclusive(void **state)
{
	char *path = make("exact", 100), *buf = NULL;
	size_t len = 0;
	int e;

	assert_int_equal(hostfile_read(path, 0, 100, &buf, &len, &e), HOSTFILE_OK);
	assert_int_equal(len, 100);
	assert_int_equal(buf[99], 'a' + 99 % 26);
	assert_int_equal(buf[100], '\0');
	free(buf);
	assert_int_equal(hostfile_read(path, 0, 99, &buf, &len, &e), HOSTFILE_TOO_LARGE);
	free(path);

	path = make("empty", 0);
	assert_int_equal(hostfile_read(path, 0, 10, &buf, &len, &e), HOSTFILE_OK);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	free(path);
}

static void not_regular(void **state)
{
	char *sub = xasprintf("%s/sub", dir), *fifo = xasprintf("%s/fifo", dir), *buf;
	size_t len;
	int e;

	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(hostfile_read(sub, 0, 10, &buf, &len, &e), HOSTFILE_NOT_REGULAR);
	assert_int_equal(e, EISDIR);
	/* No writer ever opens it: a blocking open would hang here. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(hostfile_read(fifo, 0, 10, &buf, &len, &e), HOSTFILE_NOT_REGULAR);
	assert_int_equal(e, 0);
	free(sub);
	free(fifo);
}

static void links_and_missing(void **state)
{
	char *target = make("target", 5), *link = xasprintf("%s/link", dir), *buf = NULL;
	char *missing = xasprintf("%s/missing", dir);
	size_t len;
	int e;

	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(hostfile_read(link, 0, 10, &buf, &len, &e), HOSTFILE_OK);
	assert_int_equal(len, 5);
	free(buf);
	assert_int_equal(hostfile_read(link, HOSTFILE_NOFOLLOW, 10, &buf, &len, &e), HOSTFILE_ERRNO);
	assert_int_equal(e, ELOOP);
	assert_int_equal(hostfile_read(missing, 0, 10, &buf, &len, &e), HOSTFILE_ERRNO);
	assert_int_equal(e, ENOENT);
	free(target);
	free(link);
	free(missing);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(limit_is_inclusive),
		cmocka_unit_test(not_regular),
		cmocka_unit_test(links_and_missing),
	};

	alarm(60);
	return cmocka_run_group_tests(tests, setup, teardown);
}
