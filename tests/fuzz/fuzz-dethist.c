/* Defender's DetectionHistory files (artifacts/dethist.c), as they are:
 * the file is not encrypted. tools/mkdethist writes the seeds. Property: a
 * parsed record's strings are NUL-terminated text within the caps, the
 * resources within DH_MAX_RESOURCES, hashes hex of their length, and the
 * GUID in its braces. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

static void hex(const char *s, size_t want)
{
	size_t n = strlen(s);

	if (n && n != want)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dh_record r;
	struct ks_err err = { 0 };

	if (dh_parse(data, size, &r, &err) < 0)
		return 0;
	if (!r.threat || strlen(r.threat) > 3 * DH_MAX_TEXT || r.nres > DH_MAX_RESOURCES ||
	    strlen(r.detection_id) != 38 || r.detection_id[0] != '{')
		abort();
	for (size_t i = 0; i < r.nres; i++) {
		if (!r.res[i].type || !r.res[i].location || strlen(r.res[i].location) > 3 * DH_MAX_TEXT)
			abort();
		hex(r.res[i].sha256, 64);
		hex(r.res[i].sha1, 40);
		hex(r.res[i].md5, 32);
	}
	(void)dh_time(&r);
	dh_record_release(&r);
	return 0;
}
