#include <stddef.h>
#include <stdio.h>

#include <kenshu/verdict.h>
#include "banned.h"

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return "PASS";
	case VERDICT_REVIEW: return "REVIEW";
	case VERDICT_FAIL: return "FAIL";
	}
	return "FAIL";
}

int verdict_exit_code(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return EXIT_PASS;
	case VERDICT_REVIEW: return EXIT_REVIEW;
	case VERDICT_FAIL: return EXIT_FAIL;
	}
	return EXIT_FAIL;
}

/* Higher rank wins. Unknown codes rank as errors: never as a pass. */
static int rank(int code)
{
	switch (code) {
	case EXIT_PASS: return 0;
	case EXIT_REVIEW: return 1;
	case EXIT_ERROR: return 2;
	case EXIT_FAIL: return 3;
	case EXIT_USAGE: return 4;
	default: return 2;
	}
}

int exit_code_combine(int a, int b)
{
	int r = rank(a) >= rank(b) ? a : b;

	return rank(r) == 2 ? EXIT_ERROR : r;
}

/* Why an image needs a person, in the order the reason names them. */
static const struct {
	size_t offset;
	const char *text;
} review_causes[] = {
	{ offsetof(struct verdict_inputs, nothing_scanned),
	  "no file system was found to inspect: nothing on the disk was scanned" },
	{ offsetof(struct verdict_inputs, skipped), "some content could not be fully scanned" },
	{ offsetof(struct verdict_inputs, data_outside),
	  "the disk holds data outside every partition, where no file system shows it" },
	{ offsetof(struct verdict_inputs, hive_problems),
	  "some registry hives or the WMI repository could not be read completely (damaged, or with unreplayed transaction logs)" },
	{ offsetof(struct verdict_inputs, flagged_autoruns), "autostart entries are flagged" },
	{ offsetof(struct verdict_inputs, identity_mismatch),
	  "libguestfs's inspection disagrees with kenshu's on which Windows this is" },
};

enum verdict verdict_decide(const struct verdict_inputs *in, char *reason, size_t len)
{
	size_t o = 0;

	if (in->detections) {
		snprintf(reason, len, "malware detected");
		return VERDICT_FAIL;
	}
	reason[0] = '\0';
	for (size_t i = 0; i < sizeof(review_causes) / sizeof(review_causes[0]); i++) {
		size_t n = *(const size_t *)((const char *)in + review_causes[i].offset);
		if (!n || o >= len)
			continue;
		o += (size_t)snprintf(reason + o, len - o, "%s%s", o ? ", and " : "", review_causes[i].text);
	}
	if (o)
		return VERDICT_REVIEW;
	snprintf(reason, len, "no detections, everything was scanned, no autostart entry flagged");
	return VERDICT_PASS;
}
