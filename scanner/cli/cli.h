/* What the files of the command line share; internal to cli/, the one
 * stage that prints and exits. */
#ifndef KENSHU_CLI_H
#define KENSHU_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <kenshu/core.h>

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
extern const struct cmd_usage scan_usage, diff_usage, keygen_usage, verify_usage, profile_usage;

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

/* cmd_diff.c: a report directory read back for comparison (diff, scan
 * --baseline), its signature checked first when pub_path is given.
 * Returns 0, or -1 after one line on stderr. */
int load_report_dir(const char *dir, const char *pub_path, struct snapshot **out);

#endif
