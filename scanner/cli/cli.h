/* What the files of the command line share; internal to cli/, the one
 * stage that prints and exits. */
#ifndef KENSHU_CLI_H
#define KENSHU_CLI_H

#include <kenshu/core.h>

/* "kenshu: error: MESSAGE" on stderr, newlines in it flattened; returns -1
 * so that "return error(...);" reads as it does. */
int error(const char *fmt, ...) KS_PRINTF(1, 2);
/* "kenshu: warning: MESSAGE" on stderr. */
void warning(const char *fmt, ...) KS_PRINTF(1, 2);
/* An error record a stage filled, printed as error() prints; returns -1. */
int say_err(const struct ks_err *err);

#endif
