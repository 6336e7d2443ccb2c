/* The one place kenshu's messages are printed (stages fill a struct
 * ks_err, core.h). */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include <kenshu/banned.h>

static void vsay(const char *prefix, const char *fmt, va_list ap)
{
	char buf[KS_ERR_MAX];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One line per problem: names from the image may carry newlines. */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "kenshu: %s%s\n", prefix, buf);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

int say_err(const struct ks_err *err)
{
	return error("%s", err->msg);
}
