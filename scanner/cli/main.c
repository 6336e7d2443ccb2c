/* kenshu command line: one row per command, each in its cmd_<name>.c with
 * its option table (options.c makes --help and the usage from them). The
 * cli/ stage is the only one that prints, exits or parses options. */
#include <stdio.h>
#include <string.h>

#include <kenshu/av.h>
#include <kenshu/rules.h>
#include <kenshu/version.h>
#include "cli.h"
#include <kenshu/banned.h>

/* In the order of the usage block and of kenshu --help. */
const struct cmd_struct commands[] = {
	{ "scan", cmd_scan, &scan_usage },
	{ "diff", cmd_diff, &diff_usage },
	{ "keygen", cmd_keygen, &keygen_usage },
	{ "verify", cmd_verify, &verify_usage },
	{ "profile", cmd_profile, &profile_usage },
	{ "fleet run", cmd_fleet_run, &fleet_run_usage },
	{ "fleet submit", cmd_fleet_submit, &fleet_submit_usage },
	{ "fleet resubmit", cmd_fleet_resubmit, &fleet_resubmit_usage },
	{ "fleet status", cmd_fleet_status, &fleet_status_usage },
	{ "fleet summary", cmd_fleet_summary, &fleet_summary_usage },
	{ "fleet task", cmd_fleet_task, &fleet_task_usage },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_usage();
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("kenshu %s (%s), libclamav %s\n", KENSHU_VERSION, kenshu_commit, av_version());
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_help();
		return 0;
	}
	for (const struct cmd_struct *c = commands; c->name; c++) {
		/* "fleet run": a command of two words takes argv[1] and argv[2]. */
		const char *sp = strchr(c->name, ' ');
		if (!sp && !strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
		if (sp && argc > 2 && strlen(argv[1]) == (size_t)(sp - c->name) &&
		    !strncmp(argv[1], c->name, (size_t)(sp - c->name)) && !strcmp(argv[2], sp + 1))
			return c->fn(argc - 2, argv + 2);
	}
	if (!strcmp(argv[1], "fleet"))
		usage_error("fleet wants a subcommand: run, submit, resubmit, status, summary or task");
	usage_error("unknown command '%s'", argv[1]);
}
