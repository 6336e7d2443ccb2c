/* Certificate trust lists: Windows catalogs and authroot.stl (ctl_parse),
 * the outer PKCS#7 through OpenSSL and the CTL's own DER walk. Property:
 * every member it returns has a 20- or 32-byte digest, and a root list's
 * properties are parallel to its members. */
#include <stdlib.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl c;
	struct ks_err err = { 0 };

	if (ctl_parse(data, size, "fuzz.cat", &c, &err) == 0) {
		for (size_t i = 0; i < c.nmembers; i++) {
			if (c.members[i].digest_len != 20 && c.members[i].digest_len != 32)
				abort();
			if (c.props && c.props[i].sha1[40] != '\0')
				abort();
		}
		ctl_release(&c);
	}
	return 0;
}
