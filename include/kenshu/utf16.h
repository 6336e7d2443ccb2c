/* utf16: UTF-16LE names from disk structures to UTF-8 for reports. */
#ifndef KENSHU_UTF16_H
#define KENSHU_UTF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Converts n UTF-16LE code units at src (unaligned bytes allowed) to a
 * NUL-terminated UTF-8 string. Lone surrogates and U+0000 become U+FFFD and
 * set *lossy (may be NULL). Caller frees the result with free(). */
char *utf16le_to_utf8(const void *src, size_t n, bool *lossy);

/* Converts UTF-8 to UTF-16LE code units; returns the count, or -1 if s is not
 * valid UTF-8 (overlongs, surrogates and values past U+10FFFF included).
 * *out is malloc'd; caller frees. */
long utf8_to_utf16le(const char *s, uint16_t **out);

#endif
