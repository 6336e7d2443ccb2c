/* Small byte and string helpers that several stages had each written for
 * themselves (core.h, "text"). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

const char *path_base(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;

	return s ? s + 1 : p ? p : "";
}

int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool mem_is_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

char *str_trim(char *s, const char *blanks)
{
	size_t n;

	s += strspn(s, blanks);
	n = strlen(s);
	/* s[n - 1] is never the NUL, which strchr() would find in blanks. */
	while (n && strchr(blanks, s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

size_t utf8_cut(const char *s, size_t n)
{
	while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

char *latin1_to_utf8(const void *src, size_t n)
{
	const uint8_t *p = src;
	/* A byte yields at most 3 bytes (a NUL becomes U+FFFD). */
	char *out = xmalloc(3 * n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
		} else if (p[i] < 0x80) {
			out[o++] = (char)p[i];
		} else {
			out[o++] = (char)(0xC0 | (p[i] >> 6));
			out[o++] = (char)(0x80 | (p[i] & 0x3F));
		}
	}
	out[o] = '\0';
	return out;
}
