#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <cmocka.h>

#include <kenshu/core.h>

static const char abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void vectors(void **state)
{
	struct sha256 *h = sha256_new();
	char hex[SHA256_HEX_LEN + 1];

	sha256_final_hex(h, hex);
	assert_string_equal(hex, empty);
	sha256_update(h, "a", 1);
	sha256_update(h, "bc", 2);
	sha256_final_hex(h, hex);
	assert_string_equal(hex, abc);
	/* final leaves the context ready for the next stream */
	sha256_update(h, "abc", 3);
	sha256_final_hex(h, hex);
	assert_string_equal(hex, abc);
	sha256_free(h);
}

static void reset_discards_partial_data(void **state)
{
	struct sha256 *h = sha256_new();
	char hex[SHA256_HEX_LEN + 1];

	sha256_update(h, "half of a stream that failed to read", 36);
	sha256_reset(h);
	sha256_update(h, "abc", 3);
	sha256_final_hex(h, hex);
	assert_string_equal(hex, abc);
	sha256_free(h);
}

static void host_file(void **state)
{
	char path[] = "/tmp/kenshu-test-hash-XXXXXX";
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	assert_int_equal(sha256_file(path, hex, &size), 0);
	assert_string_equal(hex, abc);
	assert_int_equal(size, 3);
	unlink(path);
	assert_int_equal(sha256_file(path, hex, &size), -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vectors),
		cmocka_unit_test(reset_discards_partial_data),
		cmocka_unit_test(host_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
