/* One input of a scan — a disk image, a WIM capture or a delivery archive
 * — scanned and saved into its report directory: what `kenshu scan` does
 * for each image it is given, and what each fleet worker does for each
 * machine, so a campaign's reports are a scan's reports. */
#include <stdio.h>
#include <string.h>

#include <kenshu/av.h>
#include <kenshu/core.h>
#include <kenshu/input.h>
#include <kenshu/output.h>
#include <kenshu/report.h>
#include <kenshu/rules.h>
#include <kenshu/scan.h>
#include "cli.h"
#include <kenshu/banned.h>

/* Says the error and keeps the first one for the caller. */
static void fail(struct scan_one *s, const struct ks_err *err)
{
	say_err(err);
	if (!s->error[0])
		snprintf(s->error, sizeof(s->error), "%s", err->msg);
}

struct sink_ctx {
	struct scan_one *s;
	bool show;          /* report.txt on stdout (not for a bundle's members) */
	const char *sep;    /* printed after "Report: ..." */
};

/* What every scanned image's report goes through (input.h's image_sink):
 * a disk image given directly, each image of a WIM, each disk image
 * inside a delivery archive. */
static int save_image(void *ctx, struct report *r, const char *dir, struct ks_err *err)
{
	const struct sink_ctx *k = ctx;
	int c;

	r->all_autoruns = k->s->all_autoruns;
	if (report_save(r, k->s->so->sign_key, dir, err) < 0) {
		c = EXIT_ERROR;
	} else {
		c = verdict_exit_code(r->verdict);
		if (k->show && !k->s->quiet) {
			report_write_text(r, stdout);
			printf("Report:     %s/report.json\n%s", dir, k->sep);
			fflush(stdout);
		}
	}
	report_release(r);
	return c;
}

static void image_failed(void *ctx, const struct ks_err *err)
{
	fail(((struct sink_ctx *)ctx)->s, err);
}

/* A delivery archive: each member scanned, bundle.json beside the
 * members' image reports. Returns the bundle's exit code. */
static int scan_bundle(struct scan_one *s, const char *image, const char *dir)
{
	struct sink_ctx k = { .s = s, .show = false, .sep = "" };
	const struct image_sink sink = { save_image, image_failed, &k };
	struct bundle_report br;
	struct ks_err err;
	int c;

	if (bundle_scan(image, s->av, s->so, s->caps, dir, &sink, &br, &err) < 0)
		return fail(s, &err), EXIT_ERROR;
	if (bundle_save(&br, s->so->sign_key, dir, &err) < 0) {
		fail(s, &err);
		c = EXIT_ERROR;
	} else {
		c = br.exit_code;
		if (s->show && !s->quiet) {
			bundle_write_text(&br, stdout);
			printf("Report:     %s/bundle.json\n%s", dir, s->last ? "" : "\n");
			fflush(stdout);
		}
	}
	bundle_report_release(&br);
	return c;
}

static int scan_wim(struct scan_one *s, const char *image, const char *dir)
{
	struct sink_ctx k = { .s = s, .show = s->show, .sep = "\n" };
	const struct image_sink sink = { save_image, image_failed, &k };
	struct ks_err err;
	int code;

	if (wim_scan(image, s->av, s->so, dir, &sink, &code, &err) < 0) {
		fail(s, &err);
		return exit_code_combine(code, EXIT_ERROR);
	}
	return code;
}

int scan_one_input(struct scan_one *s, const char *image, const char *dir)
{
	struct ks_err err;
	struct report r;
	int c;

	s->error[0] = '\0';
	report_dir_recover(dir);
	if (wim_detect(image)) {
		c = scan_wim(s, image, dir);
	} else if (s->so->baseline && bundle_detect(image)) {
		ks_fail(&err, KS_EUSAGE,
			"'%s': a delivery archive: --baseline compares one disk image with its earlier report; "
			"scan the archive without it",
			image);
		fail(s, &err);
		c = EXIT_ERROR;
	} else if (bundle_detect(image)) {
		c = scan_bundle(s, image, dir);
	} else if (scan_image(image, s->av, s->so, &r, &err) < 0) {
		fail(s, &err);   /* no report is written */
		c = EXIT_ERROR;
	} else {
		struct sink_ctx k = { .s = s, .show = s->show, .sep = s->last ? "" : "\n" };
		c = save_image(&k, &r, dir, &err);
		if (c == EXIT_ERROR)
			fail(s, &err);
	}
	return c;
}
