/* The one place kenshu's messages are printed (stages fill a struct
 * ks_err, core.h). */
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* What the signal line names: set outside the handler, read inside it. */
static char sig_image[PATH_MAX];
static volatile sig_atomic_t sig_saved;

void say_signal_target(const char *image, bool saved)
{
	sig_saved = 0;
	snprintf(sig_image, sizeof(sig_image), "%s", image ? image : "");
	for (char *p = sig_image; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	sig_saved = saved;
}

static void put(const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void say_signal(int sig, bool late)
{
	const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";

	put("kenshu: error: ");
	if (!sig_image[0]) {
		put("interrupted by ");
		put(name);
		put(" before the scan began: temporary files removed\n");
		return;
	}
	put("'");
	put(sig_image);
	put("': interrupted by ");
	put(name);
	put(late || sig_saved ? "; its report was written first\n"
			      : " before its report was written: temporary files removed\n");
}
