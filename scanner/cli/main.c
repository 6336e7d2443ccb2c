/* kenshu command line: parse, load the engine once, scan each image,
 * write each report, compose the exit code. The only file that exits. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/version.h>
#include <kenshu/av.h>
#include <kenshu/input.h>
#include <kenshu/core.h>
#include <kenshu/drift.h>
#include <kenshu/profile.h>
#include <kenshu/report.h>
#include <kenshu/scan.h>
#include <kenshu/output.h>
#include <kenshu/rules.h>
#include "../volume/volume_internal.h"
#include "cli.h"
#include <kenshu/banned.h>

#define DEFAULT_DBDIR "/var/lib/clamav"
#define DEFAULT_OUTDIR "kenshu-report"

static const char usage_text[] =
	"usage: kenshu scan [-d DBDIR] [-p PROFILE] [-o OUTDIR] [-j N] [--quiet] [--all-autoruns] [--cross-check]\n"
	"                   [--sign-key KEY] [--meta KEY=VALUE]... [--export csv|stix]...\n"
	"                   [--baseline DIR [--baseline-pub KEY.pub]] IMAGE...\n"
	"       kenshu diff [--json] [--pub KEY.pub] OLD_DIR NEW_DIR\n"
	"       kenshu keygen KEYFILE\n"
	"       kenshu verify --pub KEY.pub DIR...\n"
	"       kenshu profile check FILE...\n"
	"       kenshu profile show NAME|FILE\n"
	"       kenshu profile list\n"
	"       kenshu --version\n"
	"       kenshu --help\n";

static const char help_text[] =
	"\n"
	"Scans Windows disk images read-only with libclamav and decides whether\n"
	"the machine may be accepted. A delivery archive (zip, 7z, tar, ISO 9660,\n"
	"CAB, disk.img.xz) is opened: each disk image in it is scanned as an image,\n"
	"every other member as a file.\n"
	"\n"
	"  -d, --database DIR   ClamAV database directory (default " DEFAULT_DBDIR ")\n"
	"  -p, --profile NAME|FILE  acceptance profile: a shipped one by name\n"
	"                       (default, strict, example-vendor) or an INI file\n"
	"                       (default: default)\n"
	"  -o, --output DIR     report directory (default ./" DEFAULT_OUTDIR "; one\n"
	"                       sub-directory per image when several are given)\n"
	"  -j, --jobs N         worker threads (default: number of cores)\n"
	"  -q, --quiet          no progress line, no summary on stdout\n"
	"      --all-autoruns   list Windows' own unflagged autostart entries in\n"
	"                       report.txt too (report.json always has them all)\n"
	"      --cross-check    also inspect each image with libguestfs (inspect_os) and\n"
	"                       compare its Windows identity with kenshu's (slow: it\n"
	"                       boots libguestfs's appliance, 15-30 s under TCG)\n"
	"      --sign-key KEY   sign each report directory with the Ed25519 private key\n"
	"                       KEY (report.sig; make one with 'kenshu keygen')\n"
	"      --meta KEY=VALUE case metadata recorded in every report (repeatable:\n"
	"                       vendor=..., po=..., asset=..., operator=...)\n"
	"      --export FORMAT  also write FORMAT into each report directory\n"
	"                       (repeatable): csv (findings.csv), stix (stix.json,\n"
	"                       a STIX 2.1 bundle)\n"
	"      --baseline DIR   compare with an earlier report directory of this\n"
	"                       machine: changes go in the report and the drift-*\n"
	"                       rules judge them; files that scan found clean with\n"
	"                       the same engine are hashed but not rescanned\n"
	"      --baseline-pub KEY.pub  refuse the baseline unless its report.sig\n"
	"                       verifies with this public key\n"
	"\n"
	"diff OLD_DIR NEW_DIR lists what changed between two report directories:\n"
	"files (by SHA-256), autostart entries, Windows build and UBR, volumes,\n"
	"detections and rule outcomes; --json writes it as JSON; --pub verifies\n"
	"both directories' signatures first.\n"
	"keygen KEYFILE writes a new Ed25519 key pair: KEYFILE (private, mode 0600)\n"
	"and KEYFILE.pub; an existing file is never overwritten.\n"
	"verify --pub KEY.pub DIR... checks each report directory's report.sig and\n"
	"the files it covers; exit 0 only when every one verifies.\n"
	"\n"
	"Exit status of scan: 0 PASS, 1 FAIL, 2 could not complete, 3 REVIEW, 64 usage.\n"
	"For several images: FAIL > could not complete > REVIEW > PASS.\n"
	"Exit status of verify: 0 verified, 1 not verified, 2 key unreadable, 64 usage.\n"
	"Exit status of diff: 0 no change, 1 changes, 2 a directory cannot be read or\n"
	"does not verify, 64 usage.\n"
	"See kenshu(1) and docs/signing.md.\n";

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
	unsigned exports;   /* REPORT_EXPORT_* */
	struct case_meta meta;
	char **images;
	int nimages;
};

static _Noreturn KS_PRINTF(1, 2) void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kenshu: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	exit(EXIT_USAGE);
}

/* --help, a missing value, an unknown option: the same for every command. */
static _Noreturn void other_option(int c, char **argv)
{
	if (c == 'h') {
		printf("%s%s", usage_text, help_text);
		exit(0);
	}
	if (c == ':')
		usage_error("option '%s' needs a value", argv[optind - 1]);
	usage_error("unknown option '%s'", argv[optind - 1]);
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

static void parse_scan(int argc, char **argv, struct scan_args *a)
{
	static const struct option opts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "profile", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "all-autoruns", no_argument, NULL, 'A' },
		{ "cross-check", no_argument, NULL, 'C' },
		{ "sign-key", required_argument, NULL, 'S' },
		{ "meta", required_argument, NULL, 'M' },
		{ "export", required_argument, NULL, 'E' },
		{ "baseline", required_argument, NULL, 'B' },
		{ "baseline-pub", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_err err;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	a->dbdir = DEFAULT_DBDIR;
	a->profile = "default";
	a->outdir = DEFAULT_OUTDIR;
	a->jobs = ncpu > 0 ? (unsigned)(ncpu > 256 ? 256 : ncpu) : 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+d:p:o:j:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->dbdir = optarg; break;
		case 'p': a->profile = optarg; break;
		case 'o': a->outdir = optarg; break;
		case 'j': a->jobs = parse_jobs(optarg); break;
		case 'q': a->quiet = true; break;
		case 'A': a->all_autoruns = true; break;
		case 'C': a->cross_check = true; break;
		case 'S':
			if (a->sign_key)
				usage_error("--sign-key given twice");
			a->sign_key = optarg;
			break;
		case 'B':
			if (a->baseline)
				usage_error("--baseline given twice");
			a->baseline = optarg;
			break;
		case 'K':
			if (a->baseline_pub)
				usage_error("--baseline-pub given twice");
			a->baseline_pub = optarg;
			break;
		case 'M':
			if (case_meta_add(&a->meta, optarg, &err) < 0)
				usage_error("%s", err.msg);
			break;
		case 'E': {
			unsigned e = report_export_parse(optarg);
			if (!e)
				usage_error("--export wants csv or stix, not '%s'", optarg);
			a->exports |= e;
			break;
		}
		default:
			other_option(c, argv);
		}
	}
	a->images = argv + optind;
	a->nimages = argc - optind;
	if (a->nimages == 0)
		usage_error("no image given");
	if (a->baseline && a->nimages > 1)
		usage_error("--baseline compares one image with its earlier report; %d images given", a->nimages);
	if (a->baseline_pub && !a->baseline)
		usage_error("--baseline-pub without --baseline");
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

/* A report directory read back for comparison, its signature checked
 * first when a public key is given. Returns 0, or -1 after one line. */
static int load_report_dir(const char *dir, const char *pub_path, struct snapshot **out)
{
	struct ks_err err;

	*out = NULL;
	if (pub_path) {
		struct sign_key *pub;
		struct sign_check c;
		if (sign_key_load_public(pub_path, &pub, &err) < 0)
			return say_err(&err);
		int v = sign_verify_dir(dir, pub, pub_path, &c);
		sign_key_free(pub);
		if (v < 0) {
			error("'%s': does not verify with %s: %s%s", dir, pub_path, c.nfailures ? c.failures[0] : "?",
			      c.nfailures > 1 ? " (and more: see kenshu verify)" : "");
			sign_check_release(&c);
			return -1;
		}
		sign_check_release(&c);
	}
	if (snapshot_load(dir, out, &err) < 0)
		return say_err(&err);
	return 0;
}

/* Report directory of image i: OUTDIR itself for one image, else
 * OUTDIR/<image file name>, made unique when two images share a name. */
static char *out_dir_for(const struct scan_args *a, int i)
{
	const char *base, *s;
	int dup = 0;

	if (a->nimages == 1)
		return xstrdup(a->outdir);
	s = strrchr(a->images[i], '/');
	base = s ? s + 1 : a->images[i];
	for (int k = 0; k < i; k++) {
		const char *o = strrchr(a->images[k], '/');
		if (strcmp(o ? o + 1 : a->images[k], base) == 0)
			dup++;
	}
	return dup ? xasprintf("%s/%s.%d", a->outdir, base, dup + 1) : xasprintf("%s/%s", a->outdir, base);
}

/* What every scanned image's report goes through (input.h's image_sink):
 * a disk image given directly, each image of a WIM, each disk image
 * inside a delivery archive. */
struct scan_run {
	const struct scan_args *a;
	const struct av *av;
	const struct sign_key *key;
	bool show;          /* report.txt on stdout (not for a bundle's members) */
	const char *sep;    /* printed after "Report: ..." */
};

static int save_image(void *ctx, struct report *r, const char *dir, struct ks_err *err)
{
	const struct scan_run *s = ctx;
	int c;

	r->all_autoruns = s->a->all_autoruns;
	if (report_save(r, s->av, s->key, dir, err) < 0) {
		c = EXIT_ERROR;
	} else {
		c = verdict_exit_code(r->verdict);
		if (s->show && !s->a->quiet) {
			report_write_text(r, s->av, stdout);
			printf("Report:     %s/report.json\n%s", dir, s->sep);
			fflush(stdout);
		}
	}
	report_release(r);
	return c;
}

static void image_failed(void *ctx, const struct ks_err *err)
{
	say_err(err);
}

/* A delivery archive: each member scanned, bundle.json beside the
 * members' image reports. Returns the bundle's exit code. */
static int scan_bundle(const struct scan_args *a, int i, const struct av *av,
		       const struct scan_opts *so, const struct bundle_caps *caps, const char *dir)
{
	struct scan_run run = { .a = a, .av = av, .key = so->sign_key, .show = false, .sep = "" };
	const struct image_sink sink = { save_image, image_failed, &run };
	struct bundle_report br;
	struct ks_err err;
	int c;

	if (bundle_scan(a->images[i], av, so, caps, dir, &sink, &br, &err) < 0)
		return say_err(&err), EXIT_ERROR;
	if (bundle_save(&br, av, so->sign_key, dir, &err) < 0) {
		say_err(&err);
		c = EXIT_ERROR;
	} else {
		c = br.exit_code;
		if (!a->quiet) {
			bundle_write_text(&br, stdout);
			printf("Report:     %s/bundle.json\n%s", dir, i + 1 < a->nimages ? "\n" : "");
			fflush(stdout);
		}
	}
	bundle_report_release(&br);
	return c;
}

static int scan_wim(const struct scan_args *a, int i, const struct av *av, const struct scan_opts *so,
		    const char *dir)
{
	struct scan_run run = { .a = a, .av = av, .key = so->sign_key, .show = true, .sep = "\n" };
	const struct image_sink sink = { save_image, image_failed, &run };
	struct ks_err err;
	int code;

	if (wim_scan(a->images[i], av, so, dir, &sink, &code, &err) < 0) {
		say_err(&err);
		return exit_code_combine(code, EXIT_ERROR);
	}
	return code;
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

static int cmd_scan(int argc, char **argv)
{
	struct scan_args a = { 0 };
	struct av_limits limits;
	struct bundle_caps caps;
	struct av *av;
	struct sign_key *key = NULL;
	struct ks_err err;
	int code = EXIT_PASS;

	parse_scan(argc, argv, &a);
	/* One day for every rule and check: a date that does not parse would
	 * judge waivers and end of support as of some other day. */
	struct scan_date day;
	const char *day_env = getenv("KENSHU_SCAN_DATE");
	if (day_env && *day_env) {
		struct ks_err derr;
		if (scan_date_parse(day_env, &day, &derr) < 0) {
			error("KENSHU_SCAN_DATE %s", derr.msg);
			case_meta_release(&a.meta);
			return EXIT_ERROR;
		}
	}
	/* A key that cannot sign is found before hours of scanning, and
	 * before any report directory exists. */
	if (a.sign_key && sign_key_load_private(a.sign_key, &key, &err) < 0) {
		say_err(&err);
		case_meta_release(&a.meta);
		return EXIT_ERROR;
	}
	bundle_default_caps(&caps);
	if (bundle_caps_from_env(&caps, &err) < 0) {
		say_err(&err);
		sign_key_free(key);
		case_meta_release(&a.meta);
		return EXIT_ERROR;
	}
	av_default_limits(&limits);
	fs_ntfs_global_init();
	cleanup_install_signal_handlers();
	/* A scan never runs on a profile that does not validate. */
	struct profile *profile;
	if (profile_load(a.profile, &profile, &err) < 0) {
		error("profile %s", err.msg);
		sign_key_free(key);
		case_meta_release(&a.meta);
		return EXIT_ERROR;
	}
	/* A baseline that cannot be read or does not verify stops the scan
	 * before it starts, like a bad profile. */
	struct snapshot *baseline = NULL;
	if (a.baseline && load_report_dir(a.baseline, a.baseline_pub, &baseline) < 0) {
		profile_free(profile);
		sign_key_free(key);
		case_meta_release(&a.meta);
		return EXIT_ERROR;
	}
	if (av_open(a.dbdir, profile_ioc(profile), &limits, &av, &err) < 0) {
		say_err(&err);
		snapshot_free(baseline);
		profile_free(profile);
		sign_key_free(key);
		case_meta_release(&a.meta);
		return EXIT_ERROR;
	}

	struct scan_opts so = { .threads = a.jobs, .progress = !a.quiet && isatty(STDERR_FILENO) ? stderr : NULL,
				.cross_check = a.cross_check, .profile = profile, .meta = &a.meta,
				.exports = a.exports, .sign_key = key, .baseline = baseline,
				.scan_date = day_env && *day_env ? &day : NULL, .buf_max = scan_buf_max() };
	for (int i = 0; i < a.nimages; i++) {
		struct report r;
		char *dir = out_dir_for(&a, i);
		int c;

		if (wim_detect(a.images[i])) {
			c = scan_wim(&a, i, av, &so, dir);
		} else if (baseline && bundle_detect(a.images[i])) {
			error("'%s': a delivery archive: --baseline compares one disk image with its earlier report; "
				  "scan the archive without it", a.images[i]);
			c = EXIT_ERROR;
		} else if (bundle_detect(a.images[i])) {
			c = scan_bundle(&a, i, av, &so, &caps, dir);
		} else if (scan_image(a.images[i], av, &so, &r, &err) < 0) {
			say_err(&err);   /* no report is written */
			c = EXIT_ERROR;
		} else {
			struct scan_run run = { .a = &a, .av = av, .key = key, .show = true,
						.sep = i + 1 < a.nimages ? "\n" : "" };
			c = save_image(&run, &r, dir, &err);
			if (c == EXIT_ERROR)
				say_err(&err);
		}
		code = exit_code_combine(code, c);
		free(dir);
	}
	av_close(av);
	snapshot_free(baseline);
	profile_free(profile);
	sign_key_free(key);
	case_meta_release(&a.meta);
	return code;
}

enum { DIFF_SAME = 0, DIFF_CHANGED = 1 };

/* kenshu diff [--json] [--pub KEY] OLD_DIR NEW_DIR (options anywhere) */
static int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "pub", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pub = NULL, *dirs[2];
	struct snapshot *old = NULL, *new = NULL;
	struct drift d;
	bool json = false;
	int c, ndirs = 0, code;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (ndirs == 2)
				usage_error("diff wants two report directories, OLD and NEW");
			dirs[ndirs++] = optarg;
			break;
		case 'J': json = true; break;
		case 'P':
			if (pub)
				usage_error("--pub given twice");
			pub = optarg;
			break;
		default:
			other_option(c, argv);
		}
	}
	for (; optind < argc; optind++) {   /* after "--" */
		if (ndirs == 2)
			usage_error("diff wants two report directories, OLD and NEW");
		dirs[ndirs++] = argv[optind];
	}
	if (ndirs != 2)
		usage_error("diff wants two report directories, OLD and NEW");
	if (load_report_dir(dirs[0], pub, &old) < 0 || load_report_dir(dirs[1], pub, &new) < 0) {
		snapshot_free(old);
		return EXIT_ERROR;
	}
	drift_compare(old, new, &d);
	code = drift_empty(&d) ? DIFF_SAME : DIFF_CHANGED;
	if ((json ? drift_write_json(&d, stdout) : drift_write_text(&d, stdout)) < 0 || fflush(stdout) != 0)
	{
		error("cannot write the comparison to stdout: %s", strerror(errno));
		code = EXIT_ERROR;
	}
	drift_release(&d);
	snapshot_free(old);
	snapshot_free(new);
	return code;
}

/* kenshu keygen KEYFILE */
static int cmd_keygen(int argc, char **argv)
{
	char id[SIGN_KEY_ID_LEN + 1];

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("%s%s", usage_text, help_text);
		return 0;
	}
	if (argc != 2)
		usage_error("keygen wants one KEYFILE");
	if (argv[1][0] == '-')
		usage_error("keygen: unknown option '%s'", argv[1]);
	struct ks_err err;
	if (sign_keygen(argv[1], id, &err) < 0)
		return say_err(&err), EXIT_ERROR;
	printf("%s: private key, mode 0600: keep it offline (see docs/signing.md)\n"
	       "%s.pub: public key, key id %s\n", argv[1], argv[1], id);
	return fflush(stdout) == 0 ? 0 : EXIT_ERROR;
}

enum { VERIFY_OK = 0, VERIFY_FAILED = 1 };

/* One directory: every problem on its own line, then what was verified.
 * A bundle's directory vouches for its members' report directories
 * (bundle.json names them), so they are verified too. */
static int verify_dir(const char *dir, const struct sign_key *pub, const char *pub_name, unsigned depth)
{
	struct sign_check c;
	struct stat st;
	int rc = VERIFY_OK;

	int e = stat(dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;

	if (e) {
		printf("%s: NOT VERIFIED (not a report directory: %s)\n", dir, strerror(e));
		return VERIFY_FAILED;
	}
	if (sign_verify_dir(dir, pub, pub_name, &c) < 0) {
		for (size_t i = 0; i < c.nfailures; i++)
			printf("%s/%s\n", dir, c.failures[i]);
		printf("%s: NOT VERIFIED (%zu problem%s)\n", dir, c.nfailures, c.nfailures == 1 ? "" : "s");
		sign_check_release(&c);
		return VERIFY_FAILED;
	}
	printf("%s: verified (", dir);
	for (size_t i = 0; i < c.nfiles; i++)
		printf("%s%s", i ? ", " : "", c.files[i]);
	printf("), signed %s by key id %s\n", c.signed_at, c.key_id);
	if (!strcmp(c.kind, "bundle") && depth == 0) {
		char *bj = xasprintf("%s/bundle.json", dir), **sub = NULL;
		size_t nsub = 0;
		struct ks_err err;
		if (bundle_read_report_dirs(bj, &sub, &nsub, &err) < 0) {
			say_err(&err);
			printf("%s/bundle.json: member report directories cannot be read\n", dir);
			rc = VERIFY_FAILED;
		}
		for (size_t i = 0; i < nsub; i++) {
			char *d = xasprintf("%s/%s", dir, sub[i]);
			if (verify_dir(d, pub, pub_name, depth + 1) != VERIFY_OK)
				rc = VERIFY_FAILED;
			free(d);
			free(sub[i]);
		}
		free(sub);
		free(bj);
	}
	sign_check_release(&c);
	return rc;
}

/* kenshu verify --pub KEY DIR... (options anywhere) */
static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pub_path = NULL;
	struct sign_key *pub;
	int c, code = VERIFY_OK;

	opterr = 0;
	optind = 1;
	/* "-" first: DIR and --pub in any order, whatever POSIXLY_CORRECT says. */
	char **dirs = xcalloc((size_t)argc, sizeof(*dirs));
	int ndirs = 0;
	while ((c = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
		switch (c) {
		case 1: dirs[ndirs++] = optarg; break;
		case 'P':
			if (pub_path)
				usage_error("--pub given twice");
			pub_path = optarg;
			break;
		default:
			other_option(c, argv);
		}
	}
	for (; optind < argc; optind++)   /* after "--" */
		dirs[ndirs++] = argv[optind];
	if (!pub_path)
		usage_error("verify wants the public key: --pub KEY.pub");
	if (ndirs == 0)
		usage_error("verify wants a report directory");
	struct ks_err err;
	if (sign_key_load_public(pub_path, &pub, &err) < 0) {
		say_err(&err);
		free(dirs);
		return EXIT_ERROR;
	}
	for (int i = 0; i < ndirs; i++)
		if (verify_dir(dirs[i], pub, pub_path, 0) != VERIFY_OK)
			code = VERIFY_FAILED;
	sign_key_free(pub);
	free(dirs);
	return fflush(stdout) == 0 ? code : EXIT_ERROR;
}

/* kenshu profile check FILE... | show NAME|FILE | list */
static int cmd_profile(int argc, char **argv)
{
	struct ks_err err;
	struct profile *p;
	int code = 0;

	if (argc < 2)
		usage_error("profile wants a subcommand: check, show or list");
	if (!strcmp(argv[1], "list")) {
		if (argc != 2)
			usage_error("profile list takes no argument");
		for (const char *const *n = profile_shipped(); *n; n++)
			printf("%s\n", *n);
		return 0;
	}
	if (!strcmp(argv[1], "check")) {
		if (argc < 3)
			usage_error("profile check wants at least one FILE");
		for (int i = 2; i < argc; i++) {
			struct profile_diags diags;
			/* Every error of the file, one line each, in line order. */
			if (profile_check(argv[i], &p, &diags, &err) < 0) {
				for (size_t d = 0; d < diags.n; d++)
					fprintf(stderr, "%s\n", diags.v[d]);
				profile_diags_release(&diags);
				code = EXIT_ERROR;
				continue;
			}
			profile_diags_release(&diags);
			printf("%s: ok (%s, effective sha256 %s)\n", argv[i], profile_name(p),
			       profile_effective_sha256(p));
			profile_free(p);
		}
		return code;
	}
	if (!strcmp(argv[1], "show")) {
		if (argc != 3)
			usage_error("profile show wants one NAME or FILE");
		if (profile_load(argv[2], &p, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return EXIT_ERROR;
		}
		profile_write(p, stdout, true);
		printf("\n; profile sha256 %s\n; effective sha256 %s\n", profile_sha256(p),
		       profile_effective_sha256(p));
		profile_free(p);
		return fflush(stdout) == 0 ? 0 : EXIT_ERROR;
	}
	usage_error("unknown profile subcommand '%s' (check, show or list)", argv[1]);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("kenshu %s (%s), libclamav %s\n", KENSHU_VERSION, kenshu_commit, av_version());
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		printf("%s%s", usage_text, help_text);
		return 0;
	}
	if (!strcmp(argv[1], "scan"))
		return cmd_scan(argc - 1, argv + 1);
	if (!strcmp(argv[1], "profile"))
		return cmd_profile(argc - 1, argv + 1);
	if (!strcmp(argv[1], "keygen"))
		return cmd_keygen(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "diff"))
		return cmd_diff(argc - 1, argv + 1);
	fprintf(stderr, "kenshu: unknown command '%s'\n%s", argv[1], usage_text);
	return EXIT_USAGE;
}
