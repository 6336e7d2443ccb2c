/* The one string builder (core.h): git's strbuf shape, with curl dynbuf's
 * optional cap for text that hostile input could make huge. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

/* What an empty strbuf points at: buf is never NULL, always a string. */
char strbuf_slopbuf[1];

#define TRUNCATION_MARK " ..."

void strbuf_init(struct strbuf *sb, size_t cap)
{
	sb->alloc = 0;
	sb->len = 0;
	sb->cap = cap ? cap : SIZE_MAX;
	sb->truncated = false;
	sb->buf = strbuf_slopbuf;
}

static void grow(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;

	if (want < sb->len)
		ks_oom(SIZE_MAX);
	if (want <= sb->alloc)
		return;
	size_t alloc = sb->alloc ? sb->alloc : 64;
	while (alloc < want)
		alloc = alloc > SIZE_MAX / 2 ? want : alloc * 2;
	if (sb->buf == strbuf_slopbuf) {
		sb->buf = xmalloc(alloc);
		sb->buf[0] = '\0';
	} else {
		sb->buf = xrealloc(sb->buf, alloc);
	}
	sb->alloc = alloc;
}

void strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	const char *s = p;
	bool cut = false;

	if (sb->truncated || n == 0)
		return;
	if (n > sb->cap - sb->len) {
		n = sb->cap > sb->len ? sb->cap - sb->len : 0;
		/* Cut on a UTF-8 character boundary. */
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		cut = true;
	}
	grow(sb, n + (cut ? strlen(TRUNCATION_MARK) : 0));
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	if (cut) {
		memcpy(sb->buf + sb->len, TRUNCATION_MARK, strlen(TRUNCATION_MARK));
		sb->len += strlen(TRUNCATION_MARK);
		sb->truncated = true;
	}
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	char small[256], *s = small;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(again);
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		s = xmalloc((size_t)n + 1);
		vsnprintf(s, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	strbuf_add(sb, s, (size_t)n);
	if (s != small)
		free(s);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_add_printable(struct strbuf *sb, const char *s, size_t n, bool ascii_only)
{
	char tmp[256];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool bad = c < 0x20 || c == 0x7F || (ascii_only && c >= 0x80);

		tmp[o++] = bad ? '?' : (char)c;
		if (o == sizeof(tmp)) {
			strbuf_add(sb, tmp, o);
			o = 0;
		}
	}
	strbuf_add(sb, tmp, o);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (len > sb->len)
		BUG("strbuf_setlen(%zu) past the text (%zu bytes)", len, sb->len);
	sb->len = len;
	/* An empty strbuf_slopbuf already holds its NUL. */
	if (sb->buf != strbuf_slopbuf)
		sb->buf[len] = '\0';
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->truncated = false;
	if (sb->buf != strbuf_slopbuf)
		sb->buf[0] = '\0';
}

void strbuf_release(struct strbuf *sb)
{
	size_t cap = sb->cap;

	if (sb->buf != strbuf_slopbuf)
		free(sb->buf);
	strbuf_init(sb, cap == SIZE_MAX ? 0 : cap);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	size_t cap = sb->cap;
	char *s = sb->buf == strbuf_slopbuf ? xstrdup("") : sb->buf;

	if (len)
		*len = sb->len;
	strbuf_init(sb, cap == SIZE_MAX ? 0 : cap);
	return s;
}
