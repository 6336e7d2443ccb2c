/* Acceptance profiles (INI through inih): sections, keys, severities,
 * allowlists, waivers, includes and the IOC feeds a profile names.
 *
 * Input: PROFILE [FUZZ_SEP INCLUDED [FUZZ_SEP HASH_FEED [FUZZ_SEP STRING_FEED]]],
 * written as profile.ini, inc.ini, hashes.txt and strings.txt side by side,
 * which the seeds' include and [ioc] lines name.
 *
 * Property: a profile that loads, printed in canonical form and loaded
 * again, is the same effective profile (same effective SHA-256). Skipped
 * when it names feeds, whose canonical form stands by their hash. */
#include <kenshu/core.h>
#include <kenshu/av.h>
#include <kenshu/profile.h>
#include "fuzz.h"

static const char *const names[] = { "profile.ini", "inc.ini", "hashes.txt", "strings.txt" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[4];
	size_t len[4], n = fuzz_split(data, size, part, len, 4);
	char path[4096], other[4096];
	struct profile *p = NULL, *q = NULL;
	struct profile_diags d = PROFILE_DIAGS_INIT;
	struct ks_err err = { 0 };

	for (size_t i = 0; i < 4; i++)
		fuzz_write(i ? other : path, sizeof(path), names[i], i < n ? part[i] : (const uint8_t *)"",
			   i < n ? len[i] : 0);
	int rc = profile_check(path, &p, &d, &err);
	profile_diags_release(&d);
	if (rc < 0)
		return 0;

	const struct ioc *ioc = profile_ioc(p);
	if (!ioc || ioc_feed_count(ioc) == 0) {
		struct strbuf sb = STRBUF_INIT;
		profile_format(p, &sb, false);
		fuzz_write(other, sizeof(other), "round.ini", sb.buf, sb.len);
		if (profile_load(other, &q, &err) < 0) {
			fprintf(stderr, "canonical profile does not load: %s\n%s", err.msg, sb.buf);
			abort();
		}
		if (strcmp(profile_effective_sha256(p), profile_effective_sha256(q)) != 0) {
			fprintf(stderr, "canonical profile loads as another profile\n%s", sb.buf);
			abort();
		}
		profile_free(q);
		strbuf_release(&sb);
	}
	profile_free(p);
	return 0;
}
