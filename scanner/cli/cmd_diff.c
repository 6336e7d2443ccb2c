/* kenshu diff OLD_DIR NEW_DIR: what changed between two report
 * directories, and the reading of a report directory that scan --baseline
 * shares. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kenshu/drift.h>
#include <kenshu/output.h>
#include <kenshu/rules.h>
#include "cli.h"
#include <kenshu/banned.h>

enum { O_JSON = OPT_LONG_ONLY, O_PUB };

static const struct opt diff_opts[] = {
	{ "json", O_JSON, 0, NULL, NULL, "write the comparison as JSON (the drift object of docs/report.md)" },
	{ "pub", O_PUB, OPT_ONCE, "KEY.pub", NULL,
	  "verify both directories' report.sig with this public key first" },
	{ 0 },
};

static const char *const diff_operands[] = { "OLD_DIR NEW_DIR", NULL };

const struct cmd_usage diff_usage = {
	.flags = CMD_OPTS_ANYWHERE,
	.opts = diff_opts,
	.operands = diff_operands,
	.about = "Lists what changed between two report directories: files (by SHA-256), autostart entries, "
		 "Windows build and UBR, volumes, detections and rule outcomes, as scan --baseline compares "
		 "them. The options may come before or after the directories.",
	.exit_status = "Exit status: 0 no change, 1 changes, 2 a directory cannot be read or does not verify, "
		       "64 usage.",
};

int load_report_dir_err(const char *dir, const char *pub_path, struct snapshot **out, struct ks_err *err)
{
	*out = NULL;
	if (pub_path) {
		struct sign_key *pub;
		struct sign_check c;
		if (sign_key_load_public(pub_path, &pub, err) < 0)
			return -1;
		int v = sign_verify_dir(dir, pub, pub_path, &c);
		sign_key_free(pub);
		if (v < 0) {
			ks_fail(err, KS_EINPUT, "'%s': does not verify with %s: %s%s", dir, pub_path,
				c.nfailures ? c.failures[0] : "?",
				c.nfailures > 1 ? " (and more: see kenshu verify)" : "");
			sign_check_release(&c);
			return -1;
		}
		sign_check_release(&c);
	}
	return snapshot_load(dir, out, err);
}

int load_report_dir(const char *dir, const char *pub_path, struct snapshot **out)
{
	struct ks_err err;

	if (load_report_dir_err(dir, pub_path, out, &err) < 0)
		return say_err(&err);
	return 0;
}

enum { DIFF_SAME = 0, DIFF_CHANGED = 1 };

struct diff_args {
	const char *pub, *dirs[2];
	int ndirs;
	bool json;
};

static void diff_opt(void *ctx, int id, const char *val)
{
	struct diff_args *a = ctx;

	switch (id) {
	case OPT_OPERAND:
		if (a->ndirs == 2)
			usage_error("diff wants two report directories, OLD and NEW");
		a->dirs[a->ndirs++] = val;
		break;
	case O_JSON: a->json = true; break;
	case O_PUB: a->pub = val; break;
	default:
		BUG("diff: option id %d has no case", id);
	}
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args a = { 0 };
	struct snapshot *old = NULL, *new = NULL;
	struct drift d;
	int code;

	parse_options(&diff_usage, argc, argv, diff_opt, &a);
	if (a.ndirs != 2)
		usage_error("diff wants two report directories, OLD and NEW");
	if (load_report_dir(a.dirs[0], a.pub, &old) < 0 || load_report_dir(a.dirs[1], a.pub, &new) < 0) {
		snapshot_free(old);
		return EXIT_ERROR;
	}
	drift_compare(old, new, &d);
	code = drift_empty(&d) ? DIFF_SAME : DIFF_CHANGED;
	if ((a.json ? drift_write_json(&d, stdout) : drift_write_text(&d, stdout)) < 0 || fflush(stdout) != 0) {
		error("cannot write the comparison to stdout: %s", strerror(errno));
		code = EXIT_ERROR;
	}
	drift_release(&d);
	snapshot_free(old);
	snapshot_free(new);
	return code;
}
