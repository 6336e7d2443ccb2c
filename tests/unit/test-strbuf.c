/* strbuf (core.h): never-NULL buffer, growth, the cap and its UTF-8 cut,
 * ownership through detach and release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kenshu/core.h>

static void empty_is_a_string(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	strbuf_reset(&sb);
	strbuf_release(&sb);
	assert_string_equal(sb.buf, "");
	char *s = strbuf_detach(&sb, NULL);
	assert_string_equal(s, "");
	free(s);   /* detach of an empty buffer still gives the caller memory */
}

static void grows_and_detaches(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;

	(void)state;
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%04d,", i);
	assert_int_equal(sb.len, 5000);
	assert_int_equal(strlen(sb.buf), 5000);
	assert_memory_equal(sb.buf + 4995, "0999,", 5);
	strbuf_addch(&sb, '!');
	strbuf_addstr(&sb, "end");
	/* A long formatted piece takes the second vsnprintf path. */
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_addf(&sb, "[%s]", big);
	char *s = strbuf_detach(&sb, &len);
	assert_int_equal(len, 5000 + 4 + 601);
	assert_int_equal(strlen(s), len);
	assert_int_equal(s[len - 1], ']');
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	free(s);
}

static void embedded_bytes_and_reset(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_add(&sb, "a\0b", 3);
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.buf, "a\0b", 4);
	strbuf_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	strbuf_addstr(&sb, "again");
	assert_string_equal(sb.buf, "again");
	strbuf_release(&sb);
	assert_int_equal(sb.len, 0);
}

static void cap_cuts_once_on_a_character(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 10);
	strbuf_addstr(&sb, "12345678");
	assert_false(sb.truncated);
	/* "é" is two bytes: at 9 and 10 it would fit, "ü" after it not. */
	strbuf_addstr(&sb, "\xc3\xa9\xc3\xbc");
	assert_true(sb.truncated);
	assert_string_equal(sb.buf, "12345678\xc3\xa9 ...");
	strbuf_addstr(&sb, "dropped");
	assert_string_equal(sb.buf, "12345678\xc3\xa9 ...");
	strbuf_reset(&sb);
	assert_false(sb.truncated);
	/* A cut inside a character backs off to its start. */
	strbuf_addstr(&sb, "123456789\xe6\x97\xa5");
	assert_string_equal(sb.buf, "123456789 ...");
	strbuf_release(&sb);
	assert_int_equal(sb.cap, 10);
}

static void printable(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_add_printable(&sb, "a\nb\x7f" "c\xe6\x97\xa5", 8, false);
	assert_string_equal(sb.buf, "a?b?c\xe6\x97\xa5");
	strbuf_reset(&sb);
	strbuf_add_printable(&sb, "c\xe6\x97\xa5", 4, true);
	assert_string_equal(sb.buf, "c???");
	/* Longer than its chunk of 256. */
	char many[700];
	memset(many, '\t', sizeof(many));
	strbuf_reset(&sb);
	strbuf_add_printable(&sb, many, sizeof(many), false);
	assert_int_equal(sb.len, sizeof(many));
	assert_int_equal(sb.buf[699], '?');
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_is_a_string),
		cmocka_unit_test(grows_and_detaches),
		cmocka_unit_test(embedded_bytes_and_reset),
		cmocka_unit_test(cap_cuts_once_on_a_character),
		cmocka_unit_test(printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
