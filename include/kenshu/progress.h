/* progress: a single self-overwriting status line on a terminal. */
#ifndef KENSHU_PROGRESS_H
#define KENSHU_PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress;

/* Counters the workers bump; the progress thread only reads them. */
struct progress_counts {
	_Atomic uint64_t bytes_done;
	_Atomic uint64_t files_done;
	uint64_t bytes_total;
	uint64_t files_total;
};

/* Starts a thread redrawing "label: phase ..." on stderr 4 times a second.
 * Returns NULL (and draws nothing) when enabled is false. */
struct progress *progress_start(bool enabled, const char *label, const char *phase,
				struct progress_counts *c);
void progress_phase(struct progress *p, const char *phase);
/* Stops the thread and erases the line. Accepts NULL. */
void progress_stop(struct progress *p);

/* Formats the line; exposed for tests. */
void progress_format(char *out, size_t len, const char *label, const char *phase,
		     uint64_t bytes_done, uint64_t bytes_total, uint64_t files_done,
		     uint64_t files_total, double elapsed);

#endif
