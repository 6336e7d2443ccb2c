#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

static void flatten(char *s)
{
	/* One line per problem: names from the image may carry newlines. */
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int ks_vfail(struct ks_err *e, enum ks_code code, const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	flatten(e->msg);
	return -1;
}

int ks_fail(struct ks_err *e, enum ks_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_vfail(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int ks_prefix(struct ks_err *e, const char *fmt, ...)
{
	char head[KS_ERR_MAX];
	size_t hl, ml;
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	flatten(head);
	hl = strlen(head);
	ml = strnlen(e->msg, sizeof(e->msg) - 1);
	if (hl + ml > sizeof(e->msg) - 1)
		ml = sizeof(e->msg) - 1 - hl;
	memmove(e->msg + hl, e->msg, ml);
	memcpy(e->msg, head, hl);
	e->msg[hl + ml] = '\0';
	return -1;
}

int ks_vfail_at(struct ks_err *e, enum ks_code code, const char *file, unsigned line, const char *fmt, va_list ap)
{
	char msg[KS_AT_MSG_MAX + 1];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line)
		return ks_fail(e, code, "%s:%u: %s", file, line, msg);
	return ks_fail(e, code, "%s: %s", file, msg);
}

int ks_fail_at(struct ks_err *e, enum ks_code code, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_vfail_at(e, code, file, line, fmt, ap);
	va_end(ap);
	return -1;
}

int rd_fail(const struct bytes_rd *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_vfail(r->err, KS_EINPUT, fmt, ap);
	va_end(ap);
	return -1;
}

void ks_err_clear(struct ks_err *e)
{
	if (e) {
		e->code = KS_OK;
		e->msg[0] = '\0';
	}
}

const char *ks_code_name(enum ks_code code)
{
	switch (code) {
	case KS_OK: return "ok";
	case KS_EINPUT: return "bad input";
	case KS_EIO: return "system error";
	case KS_EUNSUPPORTED: return "unsupported";
	case KS_EUSAGE: return "usage";
	case KS_ENOTFOUND: return "not found";
	}
	return "unknown";
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		ks_oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		ks_oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		ks_oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		ks_oom(strlen(s) + 1);
	return p;
}

char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		ks_oom(n + 1);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		ks_oom(strlen(fmt));
	return p;
}
