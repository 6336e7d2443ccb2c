/* IOC feeds (hash lists and string/domain/IP lists) a plant adds to its
 * profile, compiled into ClamAV signatures.
 *
 * Input: HASH_LIST FUZZ_SEP STRING_LIST.
 *
 * Property: a feed ioc_load() accepts compiles into the engine. A line
 * that passed validation but made a signature libclamav refuses would turn
 * a plant's feed into a scan that cannot start. */
#include <kenshu/core.h>
#include <kenshu/av.h>
#include "fuzz.h"

static char dbdir[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* av_open refuses a directory without databases: one signature the
	 * feeds cannot collide with stands in for the plant's. */
	static const char sig[] = "Kenshu.Fuzz.Base:0:*:00ff00ff00ff00ff4b454e534855\n";
	char path[4096];

	snprintf(dbdir, sizeof(dbdir), "%s/db", fuzz_tmpdir());
	if (mkdir(dbdir, 0700) < 0)
		abort();
	fuzz_write(path, sizeof(path), "db/base.ndb", sig, strlen(sig));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[2];
	size_t len[2], n = fuzz_split(data, size, part, len, 2);
	char hp[4096], sp[4096];
	const char *hash = fuzz_write(hp, sizeof(hp), "hashes.txt", part[0], len[0]);
	const char *str = fuzz_write(sp, sizeof(sp), "strings.txt", n > 1 ? part[1] : (const uint8_t *)"",
				     n > 1 ? len[1] : 0);
	struct ioc *ioc;
	struct ks_err err = { 0 };

	if (ioc_load(&hash, 1, &str, 1, &ioc, &err) < 0)
		return 0;
	for (size_t i = 0; i < ioc_entry_count(ioc); i++)
		(void)ioc_entry(ioc, i);
	if (ioc_entry_count(ioc)) {
		struct av *av;
		struct av_limits lim;
		av_default_limits(&lim);
		if (av_open(dbdir, ioc, &lim, &av, &err) < 0) {
			fprintf(stderr, "accepted feed does not compile: %s\n", err.msg);
			abort();
		}
		av_close(av);
	}
	ioc_free(ioc);
	return 0;
}
