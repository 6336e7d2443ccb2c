/* kenshu scan: load the engine once, scan each image, write each report,
 * compose the exit code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kenshu/av.h>
#include <kenshu/core.h>
#include <kenshu/drift.h>
#include <kenshu/input.h>
#include <kenshu/output.h>
#include <kenshu/profile.h>
#include <kenshu/report.h>
#include <kenshu/rules.h>
#include <kenshu/scan.h>
#include <kenshu/trust.h>
#include <kenshu/volume.h>
#include "cli.h"
#include <kenshu/banned.h>

#define DEFAULT_DBDIR "/var/lib/clamav"
#define DEFAULT_OUTDIR "kenshu-report"

enum {
	O_ALL_AUTORUNS = OPT_LONG_ONLY,
	O_CROSS_CHECK,
	O_SIGN_KEY,
	O_META,
	O_EXPORT,
	O_BASELINE,
	O_BASELINE_PUB,
	O_TRUST_ANCHORS,
};

/* Larger than Microsoft's whole root program (1 MB of PEM). */
#define ANCHORS_MAX (16u << 20)

/* In the order of the synopsis and of --help. */
static const struct opt scan_opts[] = {
	{ "database", 'd', 0, "DBDIR", NULL, "ClamAV database directory (default " DEFAULT_DBDIR ")" },
	{ "profile", 'p', 0, "PROFILE", NULL,
	  "acceptance profile: a shipped one by name (default, strict, example-vendor) or an INI file "
	  "(default: default)" },
	{ "output", 'o', 0, "OUTDIR", NULL,
	  "report directory (default ./" DEFAULT_OUTDIR "; one sub-directory per image when several are given)" },
	{ "jobs", 'j', 0, "N", NULL, "worker threads, 1 to 256 (default: number of cores)" },
	{ "quiet", 'q', 0, NULL, NULL, "no progress line, no summary on stdout" },
	{ "all-autoruns", O_ALL_AUTORUNS, 0, NULL, NULL,
	  "list Windows' own unflagged autostart entries in report.txt too (report.json always has them all)" },
	{ "cross-check", O_CROSS_CHECK, 0, NULL, NULL,
	  "also inspect each image with libguestfs (inspect_os) and compare its Windows identity with "
	  "kenshu's (slow: it boots libguestfs's appliance, 15-30 s under TCG)" },
	{ "sign-key", O_SIGN_KEY, OPT_ONCE, "KEY", NULL,
	  "sign each report directory with the Ed25519 private key KEY (report.sig; make one with "
	  "'kenshu keygen')" },
	{ "meta", O_META, OPT_REPEAT, "KEY=VALUE", NULL,
	  "case metadata recorded in every report (repeatable: vendor=..., po=..., asset=..., operator=...)" },
	{ "export", O_EXPORT, OPT_REPEAT, "csv|stix", NULL,
	  "also write this format into each report directory (repeatable): csv (findings.csv), stix "
	  "(stix.json, a STIX 2.1 bundle)" },
	{ "baseline", O_BASELINE, OPT_ONCE, "DIR", NULL,
	  "compare with an earlier report directory of this machine: changes go in the report and the "
	  "drift-* rules judge them; files that scan found clean with the same engine are hashed but not "
	  "rescanned" },
	{ "baseline-pub", O_BASELINE_PUB, OPT_ONCE, "KEY.pub", "baseline",
	  "refuse the baseline unless its report.sig verifies with this public key" },
	{ "trust-anchors", O_TRUST_ANCHORS, OPT_ONCE, "FILE", NULL,
	  "judge code signatures against the root certificates in FILE (PEM, with the root program's "
	  "constraints as comment lines: docs/trust.md) instead of the shipped Microsoft Trusted Root "
	  "Program" },
	{ 0 },
};

static const char *const scan_operands[] = { "IMAGE...", NULL };

const struct cmd_usage scan_usage = {
	.opts = scan_opts,
	.operands = scan_operands,
	.about = "Scans each IMAGE read-only and writes its report (report.json, report.txt, report.html, "
		 "manifest.jsonl). An IMAGE is a disk image (raw, VMDK, VHD, VHDX, QCOW2), a WIM capture or a "
		 "delivery archive (zip, 7z, tar, ISO 9660, CAB, disk.img.xz), whose disk images are scanned as "
		 "images and other members as files (bundle.json lists them). The options come before the "
		 "images.",
	.exit_status = "Exit status: 0 PASS, 1 FAIL, 2 could not complete, 3 REVIEW, 64 usage. For several "
		       "images: FAIL > could not complete > REVIEW > PASS.",
};

struct scan_args {
	const char *dbdir;
	const char *profile;
	const char *outdir;
	unsigned jobs;
	bool quiet;
	bool all_autoruns;
	bool cross_check;
	const char *sign_key;
	const char *baseline, *baseline_pub;
	const char *trust_anchors;
	unsigned exports;   /* REPORT_EXPORT_* */
	struct case_meta meta;
	const char **images;
	int nimages;
};

static void scan_args_release(struct scan_args *a)
{
	case_meta_release(&a->meta);
	free(a->images);
}

static unsigned parse_jobs(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 256 || s[0] == '-')
		usage_error("-j wants a number of threads from 1 to 256, not '%s'", s);
	return (unsigned)v;
}

static void scan_opt(void *ctx, int id, const char *val)
{
	struct scan_args *a = ctx;
	struct ks_err err;

	switch (id) {
	case OPT_OPERAND: a->images[a->nimages++] = val; break;
	case 'd': a->dbdir = val; break;
	case 'p': a->profile = val; break;
	case 'o': a->outdir = val; break;
	case 'j': a->jobs = parse_jobs(val); break;
	case 'q': a->quiet = true; break;
	case O_ALL_AUTORUNS: a->all_autoruns = true; break;
	case O_CROSS_CHECK: a->cross_check = true; break;
	case O_SIGN_KEY: a->sign_key = val; break;
	case O_BASELINE: a->baseline = val; break;
	case O_BASELINE_PUB: a->baseline_pub = val; break;
	case O_TRUST_ANCHORS: a->trust_anchors = val; break;
	case O_META:
		if (case_meta_add(&a->meta, val, &err) < 0)
			usage_error("%s", err.msg);
		break;
	case O_EXPORT: {
		unsigned e = report_export_parse(val);
		if (!e)
			usage_error("--export wants csv or stix, not '%s'", val);
		a->exports |= e;
		break;
	}
	default:
		BUG("scan: option id %d has no case", id);
	}
}

static void parse_scan(int argc, char **argv, struct scan_args *a)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t seen;

	a->dbdir = DEFAULT_DBDIR;
	a->profile = "default";
	a->outdir = DEFAULT_OUTDIR;
	a->jobs = ncpu > 0 ? (unsigned)(ncpu > 256 ? 256 : ncpu) : 1;
	a->images = xcalloc((size_t)argc, sizeof(*a->images));
	seen = parse_options(&scan_usage, argc, argv, scan_opt, a);
	if (a->nimages == 0)
		usage_error("no image given");
	if (a->baseline && a->nimages > 1)
		usage_error("--baseline compares one image with its earlier report; %d images given", a->nimages);
	check_needs(&scan_usage, seen);
	if (a->baseline) {
		/* The accepted report must survive its re-audit. */
		char *o = realpath(a->outdir, NULL), *b = realpath(a->baseline, NULL);
		bool same_dir = o && b && !strcmp(o, b);
		free(o);
		free(b);
		if (same_dir)
			usage_error("-o %s would replace the baseline it is compared with: write the re-audit elsewhere",
				    a->outdir);
	}
}

/* Report directory of image i: OUTDIR itself for one image, else
 * OUTDIR/<image file name>, made unique when two images share a name. */
static char *out_dir_for(const struct scan_args *a, int i)
{
	const char *base = path_base(a->images[i]);
	int dup = 0;

	if (a->nimages == 1)
		return xstrdup(a->outdir);
	for (int k = 0; k < i; k++)
		if (strcmp(path_base(a->images[k]), base) == 0)
			dup++;
	return dup ? xasprintf("%s/%s.%d", a->outdir, base, dup + 1) : xasprintf("%s/%s", a->outdir, base);
}

/* KENSHU_SCAN_BUF_MAX (bytes) trades memory for speed; the tests also use
 * it to send small streams down the read-callback path. 0: the default. */
static uint64_t scan_buf_max(void)
{
	const char *e = getenv("KENSHU_SCAN_BUF_MAX");
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return 0;
	errno = 0;
	v = strtoull(e, &end, 10);
	if (errno || *end || e[0] == '-') {
		warning("KENSHU_SCAN_BUF_MAX='%s' is not a number of bytes; using %u", e, 64u << 20);
		return 0;
	}
	return v;
}

/* --trust-anchors: read and checked before any scan, like a profile. */
int load_anchors(const char *path, char **text, size_t *len, struct ks_err *err)
{
	struct trust_anchors *ta;
	int e = 0;

	switch (hostfile_read(path, 0, ANCHORS_MAX, text, len, &e)) {
	case HOSTFILE_OK:
		break;
	case HOSTFILE_ERRNO:
		return ks_fail(err, KS_EIO, "'%s': cannot read the trust anchors: %s", path, strerror(e));
	case HOSTFILE_NOT_REGULAR:
		return ks_fail(err, KS_EINPUT, "'%s': the trust anchors are not a regular file", path);
	case HOSTFILE_TOO_LARGE:
		return ks_fail(err, KS_EINPUT, "'%s': the trust anchors are larger than %u MiB", path,
			       ANCHORS_MAX >> 20);
	}
	if (trust_anchors_parse(*text, *len, path, &ta, err) < 0) {
		free(*text);
		*text = NULL;
		return -1;
	}
	if (!trust_anchors_count(ta)) {
		trust_anchors_free(ta);
		free(*text);
		*text = NULL;
		return ks_fail(err, KS_EINPUT, "'%s': no certificate in the trust anchors", path);
	}
	trust_anchors_free(ta);
	return 0;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a = { 0 };
	struct av_limits limits;
	struct bundle_caps caps;
	struct av *av;
	struct sign_key *key = NULL;
	struct ks_err err;
	int code = EXIT_PASS;

	parse_scan(argc, argv, &a);
	/* First: a signal from here on gets its one line and its clean-up. */
	cleanup_install_signal_handlers(say_signal);
	/* One day for every rule and check: a date that does not parse would
	 * judge waivers and end of support as of some other day. */
	struct scan_date day;
	const char *day_env = getenv("KENSHU_SCAN_DATE");
	if (day_env && *day_env) {
		struct ks_err derr;
		if (scan_date_parse(day_env, &day, &derr) < 0) {
			error("KENSHU_SCAN_DATE %s", derr.msg);
			scan_args_release(&a);
			return EXIT_ERROR;
		}
	}
	/* A key that cannot sign is found before hours of scanning, and
	 * before any report directory exists. */
	if (a.sign_key && sign_key_load_private(a.sign_key, &key, &err) < 0) {
		say_err(&err);
		scan_args_release(&a);
		return EXIT_ERROR;
	}
	bundle_default_caps(&caps);
	if (bundle_caps_from_env(&caps, &err) < 0) {
		say_err(&err);
		sign_key_free(key);
		scan_args_release(&a);
		return EXIT_ERROR;
	}
	av_default_limits(&limits);
	fs_ntfs_global_init();
	/* A scan never runs on a profile that does not validate. */
	struct profile *profile;
	if (profile_load(a.profile, &profile, &err) < 0) {
		error("profile %s", err.msg);
		sign_key_free(key);
		scan_args_release(&a);
		return EXIT_ERROR;
	}
	char *anchors = NULL;
	size_t anchors_len = 0;
	if (a.trust_anchors && load_anchors(a.trust_anchors, &anchors, &anchors_len, &err) < 0) {
		say_err(&err);
		profile_free(profile);
		sign_key_free(key);
		scan_args_release(&a);
		return EXIT_ERROR;
	}
	/* A baseline that cannot be read or does not verify stops the scan
	 * before it starts, like a bad profile. */
	struct snapshot *baseline = NULL;
	if (a.baseline && load_report_dir(a.baseline, a.baseline_pub, &baseline) < 0) {
		free(anchors);
		profile_free(profile);
		sign_key_free(key);
		scan_args_release(&a);
		return EXIT_ERROR;
	}
	if (av_open(a.dbdir, profile_ioc(profile), &limits, &av, &err) < 0) {
		say_err(&err);
		free(anchors);
		snapshot_free(baseline);
		profile_free(profile);
		sign_key_free(key);
		scan_args_release(&a);
		return EXIT_ERROR;
	}

	struct scan_opts so = { .threads = a.jobs, .progress = !a.quiet && isatty(STDERR_FILENO) ? stderr : NULL,
				.cross_check = a.cross_check, .profile = profile, .meta = &a.meta,
				.exports = a.exports, .sign_key = key, .baseline = baseline,
				.scan_date = day_env && *day_env ? &day : NULL, .buf_max = scan_buf_max(),
				.anchors_text = anchors, .anchors_len = anchors_len, .anchors_name = a.trust_anchors };
	for (int i = 0; i < a.nimages; i++) {
		struct scan_one one = { .av = av, .so = &so, .caps = &caps, .show = true, .quiet = a.quiet,
					.all_autoruns = a.all_autoruns, .last = i + 1 == a.nimages };
		char *dir = out_dir_for(&a, i);
		int c;

		say_signal_target(a.images[i], false);
		c = scan_one_input(&one, a.images[i], dir);
		say_signal_target(a.images[i], c != EXIT_ERROR);
		code = exit_code_combine(code, c);
		free(dir);
	}
	av_close(av);
	free(anchors);
	snapshot_free(baseline);
	profile_free(profile);
	sign_key_free(key);
	scan_args_release(&a);
	return code;
}
