/* A baseline report directory read back as untrusted input (report.json
 * and manifest.jsonl through json-c), compared with another, and the drift
 * written as text, JSON and HTML.
 *
 * Input: REPORT_A FUZZ_SEP MANIFEST_A [FUZZ_SEP REPORT_B FUZZ_SEP MANIFEST_B];
 * without B, A is compared with itself.
 *
 * Property: a snapshot compared with itself shows no change. */
#include <kenshu/core.h>
#include <kenshu/drift.h>
#include <kenshu/output.h>
#include "fuzz.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char d[4096];
	snprintf(d, sizeof(d), "%s/a", fuzz_tmpdir());
	if (mkdir(d, 0700) < 0)
		abort();
	snprintf(d, sizeof(d), "%s/b", fuzz_tmpdir());
	if (mkdir(d, 0700) < 0)
		abort();
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

static struct snapshot *load(const char *side, const uint8_t *rep, size_t rn, const uint8_t *man, size_t mn)
{
	char path[4096], name[64];
	struct snapshot *s;
	struct ks_err err = { 0 };

	snprintf(name, sizeof(name), "%s/report.json", side);
	fuzz_write(path, sizeof(path), name, rep, rn);
	snprintf(name, sizeof(name), "%s/manifest.jsonl", side);
	fuzz_write(path, sizeof(path), name, man, mn);
	snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(), side);
	return snapshot_load(path, &s, &err) == 0 ? s : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[4];
	size_t len[4], n = fuzz_split(data, size, part, len, 4);
	struct snapshot *a, *b = NULL;
	struct drift d;

	if (n < 2)
		return 0;
	a = load("a", part[0], len[0], part[1], len[1]);
	if (!a)
		return 0;

	memset(&d, 0, sizeof(d));
	drift_compare(a, a, &d);
	if (!drift_empty(&d)) {
		fputs("a snapshot differs from itself:\n", stderr);
		drift_write_text(&d, stderr);
		abort();
	}
	drift_release(&d);

	if (n == 4 && (b = load("b", part[2], len[2], part[3], len[3]))) {
		memset(&d, 0, sizeof(d));
		drift_compare(a, b, &d);
		drift_write_text(&d, devnull);
		drift_write_json(&d, devnull);
		drift_write_html(&d, devnull);
		drift_release(&d);
		snapshot_free(b);
	}
	snapshot_free(a);
	return 0;
}
