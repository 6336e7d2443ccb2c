/* embedded: the shipped profiles and data tables, compiled into the binary
 * from profiles/ at build time, so `-p default` and the MS17-010 table work
 * wherever kenshu is copied, and the data stays data (one file each). */
#ifndef KENSHU_EMBEDDED_H
#define KENSHU_EMBEDDED_H

#include <stddef.h>

/* The file's bytes (NUL-terminated, len excludes the NUL) by its path
 * relative to profiles/, e.g. "default.ini" or "tables/ms17-010.tsv";
 * NULL when no such file was shipped. Static storage. */
const char *embedded_file(const char *name, size_t *len);

/* Names of the shipped files, in a static NULL-terminated array. */
const char *const *embedded_names(void);

#endif
