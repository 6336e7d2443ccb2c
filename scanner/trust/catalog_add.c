/* catalog_add: a catalog into the index — parsed (catalog.c), its own
 * signature verified as code signing, its members indexed under that
 * result, so that a member of a catalog whose signature fails reports the
 * catalog and why rather than "unsigned". */
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "trust_internal.h"
#include <kenshu/banned.h>

int catalog_index_add(struct trust_ctx *t, const char *path, const void *data, size_t size,
		      struct sig_result *sig, size_t *members, struct ks_err *err)
{
	struct catalog_index *ci = trust_ctx_catalogs(t);
	struct sig_result res = { 0 };
	struct ctl c;
	size_t cat;

	if (ctl_parse(data, size, path, &c, err) < 0)
		return -1;
	if (strcmp(c.usage, "1.3.6.1.4.1.311.12.1.1") != 0) {
		ks_fail(err, KS_EINPUT, "'%s': a certificate trust list of usage %s, not a catalog", path, c.usage);
		ctl_release(&c);
		return -1;
	}
	(void)trust_verify_signed_data(t, data, size, &res);
	res.source = SIG_SRC_CATALOG;
	free(res.catalog);
	res.catalog = xstrdup(path);
	cat = catalog_index_register(ci, path, &res);
	for (size_t i = 0; i < c.nmembers; i++)
		catalog_index_insert(ci, cat, c.members[i].digest, c.members[i].digest_len);
	if (members)
		*members = c.nmembers;
	if (sig)
		*sig = res;   /* the caller owns it now */
	else
		sig_result_release(&res);
	ctl_release(&c);
	return 0;
}
