/* kenshu profile check FILE... | show NAME|FILE | list: acceptance
 * profiles looked at without scanning. */
#include <stdio.h>
#include <string.h>

#include <kenshu/profile.h>
#include <kenshu/rules.h>
#include "cli.h"
#include <kenshu/banned.h>

static const struct opt profile_opts[] = { { 0 } };
static const char *const profile_operands[] = { "check FILE...", "show NAME|FILE", "list", NULL };

const struct cmd_usage profile_usage = {
	.opts = profile_opts,
	.operands = profile_operands,
	.about = "check validates each profile file with its includes and IOC feeds and prints its effective "
		 "hash; show prints the effective profile, every key with its value and where it came from; "
		 "list prints the names of the shipped profiles.",
	.exit_status = "Exit status: 0 valid (check) or printed, 2 a profile does not validate, 64 usage.",
};

int cmd_profile(int argc, char **argv)
{
	struct ks_err err;
	struct profile *p;
	int code = 0;

	if (argc < 2)
		usage_error("profile wants a subcommand: check, show or list");
	/* Subcommands are read by hand: a FILE is never taken for an option. */
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_cmd_help(&profile_usage);
		return 0;
	}
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
