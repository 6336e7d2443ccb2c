/* The only two ways code outside cli/ ends the process (core.h): running
 * out of memory, and a broken internal invariant. Both write their one
 * line with write(2), which needs no allocation and no stdio lock, so
 * they work in the state that got us here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

static void say(const char *line)
{
	size_t n = strlen(line);

	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, line, n);
		if (w <= 0)
			return;
		line += w;
		n -= (size_t)w;
	}
}

void ks_oom(size_t n)
{
	char line[128];

	/* 0: a library's allocation, of a size it does not say. */
	if (n)
		snprintf(line, sizeof(line), "kenshu: error: out of memory (allocating %zu bytes)\n", n);
	else
		snprintf(line, sizeof(line), "kenshu: error: out of memory\n");
	say(line);
	/* Registered temporary files go with the process: exit runs no
	 * handlers of ours, and the caller's half-written outputs are only
	 * ever temporary names (output stage), removed by cleanup_run(). */
	cleanup_run();
	_exit(2);
}

void ks_bug(const char *file, int line, const char *fmt, ...)
{
	char buf[1024];
	int o;
	va_list ap;

	o = snprintf(buf, sizeof(buf), "kenshu: BUG: %s:%d: ", file, line);
	if (o < 0 || (size_t)o >= sizeof(buf))
		o = 0;
	va_start(ap, fmt);
	vsnprintf(buf + o, sizeof(buf) - (size_t)o - 1, fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t len = strlen(buf);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	say(buf);
	abort();
}
