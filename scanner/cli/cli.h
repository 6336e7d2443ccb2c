/* What the files of the command line share; internal to cli/, the one
 * stage that prints and exits. */
#ifndef KENSHU_CLI_H
#define KENSHU_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/core.h>
#include <kenshu/report.h>

struct snapshot;

/* msg.c */

/* "kenshu: error: MESSAGE" on stderr, newlines in it flattened; returns -1
 * so that "return error(...);" reads as it does. */
int error(const char *fmt, ...) KS_PRINTF(1, 2);
/* "kenshu: warning: MESSAGE" on stderr. */
void warning(const char *fmt, ...) KS_PRINTF(1, 2);
/* An error record a stage filled, printed as error() prints; returns -1. */
int say_err(const struct ks_err *err);
/* The image a signal's line names, and whether its report is saved. */
void say_signal_target(const char *image, bool saved);
/* The one line of a scan a signal ends (cleanup_install_signal_handlers'
 * say): "'IMAGE': interrupted by SIGTERM ...", with write(2) alone. */
void say_signal(int sig, bool late);

/* options.c: one option table per command. From it come getopt_long's
 * struct option[] and optstring, the synopsis lines of the usage block and
 * the command's --help, so the three cannot disagree (and
 * tests/e2e/test-cli-docs.sh holds docs/kenshu.1 to the same table). */

enum opt_flags {
	/* Repeatable: each one counts ("..." in the synopsis). Without OPT_REPEAT
	 * or OPT_ONCE a later one replaces an earlier one. */
	OPT_REPEAT = 1u << 0,
	OPT_ONCE = 1u << 1,     /* given twice is a usage error */
	OPT_REQUIRED = 1u << 2, /* shown without brackets in the synopsis */
};

/* Ids of options that have no short letter: above every char. */
#define OPT_LONG_ONLY 256

struct opt {
	const char *name; /* long name, without "--" */
	int id;           /* the short letter, or OPT_LONG_ONLY + n */
	unsigned flags;   /* OPT_* */
	/* The value's placeholder (DIR, N, KEY=VALUE): an option with one takes
	 * a value, one without is a flag. */
	const char *arg;
	/* The long name of the option this one refines: nested in that one's
	 * brackets in the synopsis, and refused without it (check_needs). */
	const char *needs;
	const char *help; /* for --help, one sentence or two; wrapped there */
};

enum cmd_flags {
	/* Options and operands in any order (getopt's "-" mode); without it
	 * the first operand ends the options ("+"), as with scan's images. */
	CMD_OPTS_ANYWHERE = 1u << 0,
};

/* What a command says of itself: its option table (ends with a row whose
 * name is NULL; -h, --help is every command's and is not in it), one
 * synopsis line per operand line, and the text of its --help. */
struct cmd_usage {
	unsigned flags; /* CMD_* */
	const struct opt *opts;
	const char *const *operands; /* NULL-terminated */
	const char *about;           /* what it does */
	const char *exit_status;     /* "Exit status: ..." */
};

/* main.c: the command table, ending with a row whose name is NULL. */
struct cmd_struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const struct cmd_usage *usage;
};
extern const struct cmd_struct commands[];

/* Each option as getopt_long meets it: id is the row's id, or OPT_OPERAND
 * for an operand (all of them, in order, also those after "--"); val is the
 * value or the operand, NULL for a flag. */
#define OPT_OPERAND 1
typedef void opt_fn(void *ctx, int id, const char *val);

/* Parses argv[1...] against the command's table, calling fn for each
 * option and operand. --help prints the command's help and exits 0; an
 * unknown option, a missing value or an OPT_ONCE option given twice is a
 * usage error. Returns the rows given, bit i for u->opts[i]. */
uint64_t parse_options(const struct cmd_usage *u, int argc, char **argv, opt_fn *fn, void *ctx);
/* "--X without --Y" for a row given (in seen) without the row it needs. */
void check_needs(const struct cmd_usage *u, uint64_t seen);
/* "kenshu: MESSAGE", the usage block on stderr, exit 64. */
_Noreturn void usage_error(const char *fmt, ...) KS_PRINTF(1, 2);
/* The usage block alone, on stderr: kenshu without a command. */
void print_usage(void);
/* kenshu --help: the usage block, then every command's options. */
void print_help(void);
/* kenshu CMD --help: that command's synopsis, options and exit status. */
void print_cmd_help(const struct cmd_usage *u);

/* The commands (cmd_*.c) and their tables. */
int cmd_scan(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_fleet_run(int argc, char **argv);
int cmd_fleet_submit(int argc, char **argv);
int cmd_fleet_resubmit(int argc, char **argv);
int cmd_fleet_status(int argc, char **argv);
int cmd_fleet_summary(int argc, char **argv);
int cmd_fleet_task(int argc, char **argv);
extern const struct cmd_usage scan_usage, diff_usage, keygen_usage, verify_usage, profile_usage;
extern const struct cmd_usage fleet_run_usage, fleet_submit_usage, fleet_resubmit_usage, fleet_status_usage,
	fleet_summary_usage, fleet_task_usage;

/* scan_one.c: one input (disk image, WIM, delivery archive) scanned and
 * saved into dir, as `kenshu scan` and each fleet worker do it. */
struct av;
struct scan_opts;
struct bundle_caps;
struct scan_one {
	const struct av *av;
	const struct scan_opts *so;     /* so->sign_key signs, so->baseline compares */
	const struct bundle_caps *caps;
	bool show;           /* report.txt (bundle.txt) on stdout unless quiet */
	bool quiet;
	bool all_autoruns;
	bool last;           /* the last input: no blank line after it */
	char error[KS_ERR_MAX];   /* out: the first error said, "" when none */
};
/* Returns the input's exit code (EXIT_ERROR after its error lines). */
int scan_one_input(struct scan_one *s, const char *image, const char *dir);

/* fleet_work.c: a fleet worker process (a Slurm task, or one of fleet
 * run's local workers) and fleet run's pool of them. */
struct fleet_campaign;
struct fleet_env;
/* The worker's set-up, once: signing key, trust anchors, limits; profiles
 * and engines are loaded on first use and kept. submission: 0 local. */
int fleet_env_init(struct fleet_env **out, const struct fleet_campaign *c, unsigned submission, bool quiet,
		   struct ks_err *err);
void fleet_env_release(struct fleet_env *e);
/* Claims the row, scans it into its report directory, writes its result.
 * Returns the image's exit code. */
int fleet_scan_row(struct fleet_env *e, size_t row);
/* Runs rows[0..n) on jobs worker processes; 0, or EXIT_ERROR when any
 * row could not complete or a worker died. */
int fleet_run_local(const struct fleet_campaign *c, const size_t *rows, size_t n, unsigned jobs, bool quiet);

/* cmd_fleet.c: what fleet run and fleet submit share. */
enum {
	FO_SIGN_KEY = OPT_LONG_ONLY + 100,
	FO_BASELINE_PUB,
	FO_TRUST_ANCHORS,
	FO_META,
	FO_EXPORT,
	FO_LAST,
};
#define FLEET_DEFAULT_DBDIR "/var/lib/clamav"
/* The options a campaign's scans take, as kenshu scan's. */
#define FLEET_COMMON_OPTS                                                                                       \
	{ "database", 'd', 0, "DBDIR", NULL, "ClamAV database directory (default " FLEET_DEFAULT_DBDIR ")" },  \
	{ "profile", 'p', 0, "PROFILE", NULL,                                                                   \
	  "the acceptance profile of rows without one: a shipped one by name or an INI file (default: default)" }, \
	{ "sign-key", FO_SIGN_KEY, OPT_ONCE, "KEY", NULL, "sign every machine's report directory with this Ed25519 key" }, \
	{ "baseline-pub", FO_BASELINE_PUB, OPT_ONCE, "KEY.pub", NULL,                                           \
	  "refuse a row's baseline unless its report.sig verifies with this public key" },                        \
	{ "trust-anchors", FO_TRUST_ANCHORS, OPT_ONCE, "FILE", NULL,                                            \
	  "judge code signatures against these root certificates (as kenshu scan --trust-anchors)" },            \
	{ "meta", FO_META, OPT_REPEAT, "KEY=VALUE", NULL,                                                       \
	  "case metadata for every machine (repeatable); a row's meta cell wins for its keys" },                  \
	{ "export", FO_EXPORT, OPT_REPEAT, "csv|stix", NULL, "also write findings.csv or stix.json per machine (repeatable)" }
struct fleet_common {
	const char *manifest, *outdir, *dbdir, *profile;
	const char *sign_key, *baseline_pub, *trust_anchors;
	unsigned exports;
	struct case_meta meta;
	bool quiet;
};
#define FLEET_COMMON_INIT { .dbdir = FLEET_DEFAULT_DBDIR, .profile = "default" }
struct fleet_manifest;
enum fleet_mode;
unsigned fleet_parse_count(const char *opt, const char *s, unsigned lo, unsigned hi);
void fleet_common_opt(struct fleet_common *f, int id, const char *val);
void fleet_common_release(struct fleet_common *f);
/* Loads and checks the manifest (every problem said, nothing made), the
 * database, key and anchors, then makes the campaign directory. 0 or -1
 * after the error lines. */
int fleet_prepare(struct fleet_common *f, enum fleet_mode mode, unsigned threads, struct fleet_campaign *c,
		  struct fleet_manifest *m, char **text, size_t *len);
int fleet_write_summary(const struct fleet_campaign *c, const char *previous, bool quiet);
int fleet_exit_code(const struct fleet_campaign *c);

/* cmd_scan.c: --trust-anchors read and checked (0, or -1 with err). */
int load_anchors(const char *path, char **text, size_t *len, struct ks_err *err);

/* cmd_diff.c: a report directory read back for comparison (diff, scan
 * --baseline), its signature checked first when pub_path is given.
 * Returns 0, or -1 after one line on stderr. */
int load_report_dir(const char *dir, const char *pub_path, struct snapshot **out);
/* The same, with the one line in err instead of on stderr. */
int load_report_dir_err(const char *dir, const char *pub_path, struct snapshot **out, struct ks_err *err);

#endif
