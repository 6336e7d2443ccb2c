/* err: the one way kenshu reports problems.
 *
 * Library modules never exit: they call error() (prints "kenshu: error: ..."
 * and returns -1) or record the problem as report data. Only main.c calls
 * die(). Messages are lowercase, without a full stop, and quote the subject:
 *     return error("'%s': cannot read boot sector: %s", path, strerror(errno));
 */
#ifndef KENSHU_ERR_H
#define KENSHU_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define KS_PRINTF(f, a) __attribute__((format(printf, f, a)))

int error(const char *fmt, ...) KS_PRINTF(1, 2);
void warning(const char *fmt, ...) KS_PRINTF(1, 2);
_Noreturn void die(int code, const char *fmt, ...) KS_PRINTF(2, 3);
/* An internal invariant broke: a kenshu bug, never bad input. */
#define BUG(...) ks_bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void ks_bug(const char *file, int line, const char *fmt, ...) KS_PRINTF(3, 4);

/* Where messages go; tests redirect them to capture what was said. */
typedef void (*ks_msg_fn)(const char *prefix, const char *msg);
void ks_set_msg_fn(ks_msg_fn fn);

/* Allocation that cannot fail quietly: on exhaustion the process dies with
 * exit code 2 (scan could not complete) — partial results are never written. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) KS_PRINTF(1, 2);

#endif
