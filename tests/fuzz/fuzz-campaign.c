/* The campaign directory as every node reads it back: campaign.json
 * (fleet_campaign_parse, from memory) and, when it parses, its first
 * machine's claim and result and submission 1, then the status of every
 * machine (as a local campaign: a fuzzer runs no Slurm tools).
 *
 * Input: CAMPAIGN_JSON [FUZZ_SEP CLAIM [FUZZ_SEP RESULT [FUZZ_SEP SUBMISSION]]],
 * the last three written into a private campaign directory.
 *
 * Property: a campaign that parses has 1 to FLEET_MAX_ROWS machines whose
 * asset ids are file names and unique ignoring case, 1 to 256 threads; a
 * submission read back names distinct machines of the campaign; every
 * machine has a status with a verdict. */
#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include "../../scanner/fleet/fleet_internal.h"
#include "fuzz.h"

static void put(const char *name, const uint8_t *data, size_t size, bool there)
{
	char path[4096];

	if (there) {
		fuzz_write(path, sizeof(path), name, data, size);
	} else {
		snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(), name);
		unlink(path);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[4];
	size_t len[4], n = fuzz_split(data, size, part, len, 4);
	struct fleet_campaign c;
	struct ks_err err;
	char *text = malloc(len[0] ? len[0] : 1), name[200];
	static bool dirs;

	if (!text)
		abort();
	memcpy(text, part[0], len[0]);
	int rc = fleet_campaign_parse("campaign.json", text, len[0], &c, &err);
	free(text);
	if (rc < 0) {
		if (c.rows || c.nrows)
			abort();
		return 0;
	}
	if (c.nrows == 0 || c.nrows > FLEET_MAX_ROWS || c.threads < 1 || c.threads > 256 || c.dir)
		abort();
	for (size_t i = 0; i < c.nrows; i++) {
		if (!fleet_asset_ok(c.rows[i].asset))
			abort();
		for (size_t k = 0; k < i && c.nrows < 2000; k++)
			if (!strcasecmp(c.rows[k].asset, c.rows[i].asset))
				abort();
	}

	if (!dirs) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/state", fuzz_tmpdir());
		mkdir(p, 0700);
		snprintf(p, sizeof(p), "%s/slurm", fuzz_tmpdir());
		mkdir(p, 0700);
		dirs = true;
	}
	c.dir = strdup(fuzz_tmpdir());
	c.mode = FLEET_LOCAL;
	snprintf(name, sizeof(name), "state/%s.claim", c.rows[0].asset);
	put(name, n > 1 ? part[1] : NULL, n > 1 ? len[1] : 0, n > 1);
	snprintf(name, sizeof(name), "state/%s.result", c.rows[0].asset);
	put(name, n > 2 ? part[2] : NULL, n > 2 ? len[2] : 0, n > 2);
	put("slurm/submission-1.json", n > 3 ? part[3] : NULL, n > 3 ? len[3] : 0, n > 3);

	struct fleet_claim cl;
	if (fleet_claim_read(&c, 0, &cl, &err) > 0)
		fleet_claim_release(&cl);
	struct fleet_result r;
	if (fleet_result_read(&c, 0, &r, &err) > 0) {
		if (!r.verdict || r.exit_code < 0 || r.exit_code > 255)
			abort();
		fleet_result_release(&r);
	}
	struct fleet_submission *subs;
	size_t nsub;
	if (fleet_submissions_read(&c, &subs, &nsub, &err) == 0) {
		for (size_t k = 0; k < nsub; k++) {
			const struct fleet_submission *s = &subs[k];
			unsigned tasks = fleet_task_count(s);
			size_t total = 0, first, m;
			for (size_t i = 0; i < s->nrows; i++) {
				if (s->rows[i] >= c.nrows)
					abort();
				for (size_t j = 0; j < i && s->nrows < 2000; j++)
					if (s->rows[j] == s->rows[i])
						abort();
			}
			for (unsigned t = 0; t < tasks && t < 100000; t++) {
				fleet_task_rows(s, t, &first, &m);
				if (first != total || m == 0)
					abort();
				total += m;
			}
			if (tasks < 100000 && total != s->nrows)
				abort();
			fleet_submission_release(&subs[k]);
		}
		free(subs);
	}
	struct fleet_status *st;
	if (fleet_status_read(&c, &st, &err) == 0) {
		for (size_t i = 0; i < c.nrows; i++)
			if (!st[i].verdict || (!strcmp(st[i].verdict, "NOT-AUDITED") && !st[i].reason))
				abort();
		fleet_status_free(st, c.nrows);
	}
	fleet_campaign_release(&c);
	return 0;
}
