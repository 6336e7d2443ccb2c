/* kenshu keygen KEYFILE and kenshu verify --pub KEY.pub DIR...: the key
 * pair that signs reports, and the check of what it signed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <kenshu/input.h>
#include <kenshu/output.h>
#include <kenshu/rules.h>
#include "cli.h"
#include <kenshu/banned.h>

static const struct opt keygen_opts[] = { { 0 } };
static const char *const keygen_operands[] = { "KEYFILE", NULL };

const struct cmd_usage keygen_usage = {
	.opts = keygen_opts,
	.operands = keygen_operands,
	.about = "Writes a new Ed25519 key pair: KEYFILE (private, mode 0600) and KEYFILE.pub; an existing "
		 "file is never overwritten.",
	.exit_status = "Exit status: 0 written, 2 not written (a file exists or cannot be written), 64 usage.",
};

enum { O_PUB = OPT_LONG_ONLY };

static const struct opt verify_opts[] = {
	{ "pub", O_PUB, OPT_ONCE | OPT_REQUIRED, "KEY.pub", NULL,
	  "the public key of the key pair that signed the reports" },
	{ 0 },
};

static const char *const verify_operands[] = { "DIR...", NULL };

const struct cmd_usage verify_usage = {
	.flags = CMD_OPTS_ANYWHERE,
	.opts = verify_opts,
	.operands = verify_operands,
	.about = "Checks each report directory's report.sig and the files it covers (for a bundle's "
		 "directory, its members' report directories too). The options may come before or after the "
		 "directories.",
	.exit_status = "Exit status: 0 every directory verified, 1 one did not, 2 the key cannot be read, "
		       "64 usage.",
};

/* kenshu keygen KEYFILE: read by hand, not by getopt, so that a KEYFILE
 * is never taken for an option, nor "--" for a KEYFILE. */
int cmd_keygen(int argc, char **argv)
{
	char id[SIGN_KEY_ID_LEN + 1];

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_cmd_help(&keygen_usage);
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

struct verify_args {
	const char *pub_path;
	const char **dirs;
	int ndirs;
};

static void verify_opt(void *ctx, int id, const char *val)
{
	struct verify_args *a = ctx;

	switch (id) {
	case OPT_OPERAND: a->dirs[a->ndirs++] = val; break;
	case O_PUB: a->pub_path = val; break;
	default:
		BUG("verify: option id %d has no case", id);
	}
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a = { .dirs = xcalloc((size_t)argc, sizeof(*a.dirs)) };
	struct sign_key *pub;
	struct ks_err err;
	int code = VERIFY_OK;

	parse_options(&verify_usage, argc, argv, verify_opt, &a);
	if (!a.pub_path)
		usage_error("verify wants the public key: --pub KEY.pub");
	if (a.ndirs == 0)
		usage_error("verify wants a report directory");
	if (sign_key_load_public(a.pub_path, &pub, &err) < 0) {
		say_err(&err);
		free(a.dirs);
		return EXIT_ERROR;
	}
	for (int i = 0; i < a.ndirs; i++)
		if (verify_dir(a.dirs[i], pub, a.pub_path, 0) != VERIFY_OK)
			code = VERIFY_FAILED;
	sign_key_free(pub);
	free(a.dirs);
	return fflush(stdout) == 0 ? code : EXIT_ERROR;
}
