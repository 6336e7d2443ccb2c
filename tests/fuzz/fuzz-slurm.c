/* What Slurm's tools print, as status reads it: the first byte chooses
 * scontrol show job -o (even) or sacct -n -P -X (odd), the rest is their
 * output, with no NUL after it.
 *
 * Property: every job has an id that is digits with at most one '_'
 * (they go on command lines), a state, and there are at most 200000 of
 * them (SLURM_MAX_JOBS). */
#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slurm_job *v;
	size_t n;
	char *text;

	if (size == 0)
		return 0;
	/* Exactly the bytes: ASan sees a read past them. */
	text = malloc(size - 1 ? size - 1 : 1);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	if (data[0] & 1)
		slurm_parse_sacct(text, size - 1, &v, &n);
	else
		slurm_parse_scontrol(text, size - 1, &v, &n);
	if (n > 200000u)
		abort();
	for (size_t i = 0; i < n; i++) {
		const char *id = v[i].id, *us = strchr(id, '_');
		if (!*id || strspn(id, "0123456789_") != strlen(id) || (us && (us == id || !us[1] || strchr(us + 1, '_')))) {
			fprintf(stderr, "fuzz-slurm: job id '%s'\n", id);
			abort();
		}
		if (!v[i].state || !*v[i].state)
			abort();
	}
	slurm_jobs_free(v, n);
	free(text);
	return 0;
}
