/* cleanup: temporary paths removed even when kenshu is interrupted.
 *
 * libclamav unpacks archive members into a private directory and reports
 * are written under temporary names; a Ctrl-C or a kill must not leave
 * either behind. Paths are kept in a fixed table so that the signal handler
 * needs no allocation. */
#ifndef KENSHU_CLEANUP_H
#define KENSHU_CLEANUP_H

#include <stdbool.h>

#define CLEANUP_MAX_PATHS 32

/* Registers a path (a file, or a directory whose files are removed with it).
 * Returns 0, or -1 when the table is full or the path too long. */
int cleanup_add(const char *path, bool is_dir);
/* Forgets a path (it was renamed into place or removed normally). */
void cleanup_forget(const char *path);
/* Removes one registered path now (a directory with all it holds) and
 * forgets it. Returns 0, or -1 when the path was not registered. */
int cleanup_remove(const char *path);
/* Removes every registered path now. */
void cleanup_run(void);
/* SIGINT, SIGTERM, SIGHUP: clean up, then die of the same signal. */
void cleanup_install_signal_handlers(void);

#endif
