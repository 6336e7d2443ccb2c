#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

static size_t put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

char *utf16le_to_utf8(const void *src, size_t n, bool *lossy)
{
	const unsigned char *p = src;
	/* Each code unit yields at most 3 bytes (a pair yields 4 for 2 units). */
	char *out = xmalloc(n * 3 + 1);
	size_t o = 0;

	if (lossy)
		*lossy = false;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = (uint32_t)p[2 * i] | ((uint32_t)p[2 * i + 1] << 8);

		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n) {
			uint32_t d = (uint32_t)p[2 * i + 2] | ((uint32_t)p[2 * i + 3] << 8);

			if (d >= 0xDC00 && d <= 0xDFFF) {
				c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
				i++;
				o += put_utf8(out + o, c);
				continue;
			}
		}
		if ((c >= 0xD800 && c <= 0xDFFF) || c == 0) {
			c = 0xFFFD;
			if (lossy)
				*lossy = true;
		}
		o += put_utf8(out + o, c);
	}
	out[o] = '\0';
	return out;
}

long utf8_to_utf16le(const char *s, uint16_t **out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	uint16_t *u = xmalloc((len + 1) * sizeof(*u) * 2);
	long n = 0;

	while (*p) {
		uint32_t c;
		int extra;

		if (p[0] < 0x80) {
			c = p[0];
			extra = 0;
		} else if ((p[0] & 0xE0) == 0xC0) {
			c = p[0] & 0x1F;
			extra = 1;
		} else if ((p[0] & 0xF0) == 0xE0) {
			c = p[0] & 0x0F;
			extra = 2;
		} else if ((p[0] & 0xF8) == 0xF0) {
			c = p[0] & 0x07;
			extra = 3;
		} else {
			goto bad;
		}
		for (int k = 1; k <= extra; k++) {
			if ((p[k] & 0xC0) != 0x80)
				goto bad;
			c = (c << 6) | (p[k] & 0x3F);
		}
		if ((extra == 1 && c < 0x80) || (extra == 2 && c < 0x800) ||
		    (extra == 3 && c < 0x10000) || c > 0x10FFFF ||
		    (c >= 0xD800 && c <= 0xDFFF))
			goto bad;
		p += extra + 1;
		if (c >= 0x10000) {
			c -= 0x10000;
			u[n++] = (uint16_t)(0xD800 + (c >> 10));
			u[n++] = (uint16_t)(0xDC00 + (c & 0x3FF));
		} else {
			u[n++] = (uint16_t)c;
		}
	}
	*out = u;
	return n;
bad:
	free(u);
	*out = NULL;
	return -1;
}
