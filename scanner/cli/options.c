/* The option tables at work: getopt_long's arrays, the usage block and
 * --help are all generated from each command's struct opt[] (cli.h), as
 * curl generates its help from one table, so that no option can be parsed
 * and not shown, or shown and not parsed. */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/rules.h>
#include "cli.h"
#include <kenshu/banned.h>

/* Every command takes -h, --help; it is not in the tables. */
#define HELP_ID 'h'
/* The rows of a table fit the mask parse_options() returns. */
#define MAX_OPTS 64
/* The usage block wraps its synopsis lines past this column (scan's is the
 * only one that wraps); --help wraps its text at HELP_WIDTH, the option
 * descriptions starting at HELP_COL. */
#define SYNOPSIS_WIDTH 120
#define HELP_WIDTH 79
#define HELP_COL 24
/* "usage: " and the lines below it. */
#define USAGE_INDENT "       "

static const char intro[] =
	"Scans Windows disk images read-only with libclamav and decides whether the machine may be accepted. "
	"A delivery archive (zip, 7z, tar, ISO 9660, CAB, disk.img.xz) is opened: each disk image in it is "
	"scanned as an image, every other member as a file.";

static size_t count_opts(const struct cmd_usage *u)
{
	size_t n = 0;

	while (u->opts[n].name)
		n++;
	if (n > MAX_OPTS)
		BUG("%zu options in one table: parse_options() counts %d", n, MAX_OPTS);
	return n;
}

static const struct cmd_struct *cmd_of(const struct cmd_usage *u)
{
	for (const struct cmd_struct *c = commands; c->name; c++)
		if (c->usage == u)
			return c;
	BUG("a command's usage is not in the command table");
}

static bool has_short(const struct opt *o)
{
	return o->id < OPT_LONG_ONLY;
}

/* ---- synopsis ---- */

/* One option as the synopsis shows it: "[-d DBDIR]", "[--meta KEY=VALUE]...",
 * "--pub KEY.pub", with the options that refine it nested inside. A flag
 * is shown by its long name (--quiet says more than -q), an option with a
 * value by its short letter when it has one. */
static void synopsis_item(struct strbuf *sb, const struct cmd_usage *u, const struct opt *o)
{
	bool brackets = !(o->flags & OPT_REQUIRED);

	if (brackets)
		strbuf_addch(sb, '[');
	if (o->arg && has_short(o))
		strbuf_addf(sb, "-%c %s", o->id, o->arg);
	else
		strbuf_addf(sb, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	for (const struct opt *n = u->opts; n->name; n++)
		if (n->needs && !strcmp(n->needs, o->name)) {
			strbuf_addch(sb, ' ');
			synopsis_item(sb, u, n);
		}
	if (brackets)
		strbuf_addch(sb, ']');
	if (o->flags & OPT_REPEAT)
		strbuf_addstr(sb, "...");
}

/* Appends item to the synopsis line (*col: its length so far), on a new
 * line at column indent, under the first item, when it would pass
 * SYNOPSIS_WIDTH. */
static void synopsis_add(FILE *f, const char *item, size_t *col, size_t indent)
{
	if (*col > indent && *col + 1 + strlen(item) > SYNOPSIS_WIDTH) {
		fprintf(f, "\n%*s", (int)indent, "");
		*col = indent;
	} else {
		fputc(' ', f);
		(*col)++;
	}
	*col += (size_t)fprintf(f, "%s", item);
}

/* "kenshu NAME [OPTION]... OPERAND" after lead: the options in table order,
 * those that refine another inside that one's brackets. */
static void synopsis_line(FILE *f, const char *lead, const char *name, const struct cmd_usage *u,
			  const char *operand)
{
	struct strbuf item = STRBUF_INIT;
	/* the first item's column */
	size_t indent = strlen(USAGE_INDENT) + strlen("kenshu ") + strlen(name) + 1;
	size_t col = (size_t)fprintf(f, "%skenshu %s", lead, name);

	for (const struct opt *o = u->opts; o->name; o++) {
		if (o->needs)
			continue;
		strbuf_reset(&item);
		synopsis_item(&item, u, o);
		synopsis_add(f, item.buf, &col, indent);
	}
	if (*operand)
		synopsis_add(f, operand, &col, indent);
	fputc('\n', f);
	strbuf_release(&item);
}

/* The synopsis lines of one command, the first after lead. */
static void synopsis(FILE *f, const char *lead, const struct cmd_struct *c)
{
	for (const char *const *op = c->usage->operands; *op; op++) {
		synopsis_line(f, lead, c->name, c->usage, *op);
		lead = USAGE_INDENT;
	}
}

static void usage_block(FILE *f)
{
	const char *lead = "usage: ";

	for (const struct cmd_struct *c = commands; c->name; c++) {
		synopsis(f, lead, c);
		lead = USAGE_INDENT;
	}
	/* main()'s own. */
	fprintf(f, USAGE_INDENT "kenshu --version\n" USAGE_INDENT "kenshu --help\n");
}

void print_usage(void)
{
	usage_block(stderr);
}

_Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kenshu: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage_block(stderr);
	exit(EXIT_USAGE);
}

/* ---- help ---- */

/* text from column col (the cursor is there), word-wrapped at HELP_WIDTH
 * with the lines after the first at column indent; ends the line. */
static void wrap(FILE *f, const char *text, size_t col, size_t indent)
{
	const char *p = text;
	bool line_start = true;

	while (*p) {
		size_t n = strcspn(p, " ");
		if (!line_start && col + 1 + n > HELP_WIDTH) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
			line_start = true;
		}
		if (!line_start) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, n, f);
		col += n;
		line_start = false;
		p += n;
		p += strspn(p, " ");
	}
	fputc('\n', f);
}

/* "  -d, --database DBDIR  ClamAV database directory...", the text in a
 * column of its own. */
static void help_row(FILE *f, int id, const char *name, const char *arg, const char *help)
{
	size_t col;

	if (id < OPT_LONG_ONLY)
		col = (size_t)fprintf(f, "  -%c, --%s", id, name);
	else
		col = (size_t)fprintf(f, "      --%s", name);
	if (arg)
		col += (size_t)fprintf(f, " %s", arg);
	if (col + 2 > HELP_COL) {
		col += (size_t)fprintf(f, "  ");
	} else {
		fprintf(f, "%*s", (int)(HELP_COL - col), "");
		col = HELP_COL;
	}
	wrap(f, help, col, HELP_COL);
}

static void help_rows(FILE *f, const struct cmd_usage *u)
{
	for (const struct opt *o = u->opts; o->name; o++)
		help_row(f, o->id, o->name, o->arg, o->help);
}

void print_cmd_help(const struct cmd_usage *u)
{
	synopsis(stdout, "usage: ", cmd_of(u));
	fputc('\n', stdout);
	wrap(stdout, u->about, 0, 0);
	fputc('\n', stdout);
	help_rows(stdout, u);
	help_row(stdout, HELP_ID, "help", NULL, "this help");
	fputc('\n', stdout);
	wrap(stdout, u->exit_status, 0, 0);
	printf("See kenshu(1).\n");
}

void print_help(void)
{
	usage_block(stdout);
	fputc('\n', stdout);
	wrap(stdout, intro, 0, 0);
	for (const struct cmd_struct *c = commands; c->name; c++) {
		fputc('\n', stdout);
		wrap(stdout, c->usage->about, (size_t)printf("%s: ", c->name), 0);
		help_rows(stdout, c->usage);
		wrap(stdout, c->usage->exit_status, (size_t)printf("  "), 2);
	}
	printf("\nEvery command takes -h, --help: its own usage, options and exit status.\n"
	       "See kenshu(1) and docs/signing.md.\n");
}

/* ---- parsing ---- */

static _Noreturn void other_option(int c, char **argv, const struct cmd_usage *u)
{
	if (c == HELP_ID) {
		print_cmd_help(u);
		exit(0);
	}
	if (c == ':')
		usage_error("option '%s' needs a value", argv[optind - 1]);
	usage_error("unknown option '%s'", argv[optind - 1]);
}

uint64_t parse_options(const struct cmd_usage *u, int argc, char **argv, opt_fn *fn, void *ctx)
{
	size_t n = count_opts(u), k = 0;
	struct option longopts[MAX_OPTS + 2];
	/* "+:" or "-:", two bytes a row, "h" and the NUL */
	char optstring[2 + 2 * MAX_OPTS + 2];
	uint64_t seen = 0;
	int c;

	/* "-" or "+" first: operands and options in any order, or options
	 * first, whatever POSIXLY_CORRECT says; then the ':' that makes getopt
	 * tell a missing value from an unknown option. */
	optstring[k++] = u->flags & CMD_OPTS_ANYWHERE ? '-' : '+';
	optstring[k++] = ':';
	for (size_t i = 0; i < n; i++) {
		const struct opt *o = &u->opts[i];
		if (o->id == HELP_ID || o->id == OPT_OPERAND || o->id == ':' || o->id == '?')
			BUG("option --%s: id %d is getopt's or --help's", o->name, o->id);
		longopts[i] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					       NULL, o->id };
		if (has_short(o)) {
			optstring[k++] = (char)o->id;
			if (o->arg)
				optstring[k++] = ':';
		}
	}
	longopts[n] = (struct option){ "help", no_argument, NULL, HELP_ID };
	longopts[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	optstring[k++] = HELP_ID;
	optstring[k] = '\0';

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		size_t i;
		if (c == OPT_OPERAND) {
			fn(ctx, OPT_OPERAND, optarg);
			continue;
		}
		for (i = 0; i < n && u->opts[i].id != c; i++)
			;
		if (i == n)
			other_option(c, argv, u);
		if ((u->opts[i].flags & OPT_ONCE) && (seen & (UINT64_C(1) << i)))
			usage_error("--%s given twice", u->opts[i].name);
		seen |= UINT64_C(1) << i;
		fn(ctx, c, u->opts[i].arg ? optarg : NULL);
	}
	/* Operands after "--", or after the first one in "+" mode. */
	for (; optind < argc; optind++)
		fn(ctx, OPT_OPERAND, argv[optind]);
	return seen;
}

void check_needs(const struct cmd_usage *u, uint64_t seen)
{
	for (size_t i = 0; u->opts[i].name; i++) {
		const struct opt *o = &u->opts[i];
		if (!o->needs || !(seen & (UINT64_C(1) << i)))
			continue;
		size_t j;
		for (j = 0; u->opts[j].name && strcmp(u->opts[j].name, o->needs); j++)
			;
		if (!u->opts[j].name)
			BUG("option --%s needs --%s, which is not in its table", o->name, o->needs);
		if (!(seen & (UINT64_C(1) << j)))
			usage_error("--%s without --%s", o->name, o->needs);
	}
}
