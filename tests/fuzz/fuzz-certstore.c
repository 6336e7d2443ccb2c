/* The registry's serialized certificates (certstore_blob_parse): a
 * property list or a bare DER certificate. */
#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certstore_cert c;
	struct ks_err err = { 0 };

	if (certstore_blob_parse(data, size, &c, &err) == 0)
		certstore_cert_release(&c);
	return 0;
}
