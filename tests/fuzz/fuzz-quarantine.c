/* Defender's quarantine files, fed in the clear: the first byte picks the
 * file ('E' an Entries file, 'R' a ResourceData file, anything else: the
 * bytes as they are, a wrong key), and the target encrypts the rest as
 * Defender does (the header, then each section by the lengths the header
 * gives when they fit, with a fresh key stream each), so that mutations
 * reach the layout instead of the cipher. tools/mkquarantine -plain writes
 * the seeds. Property: a parsed entry's strings are NUL-terminated text
 * within the caps, and a decoded payload is no larger than its file. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "fuzz.h"

static void entry(const uint8_t *d, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	struct quar_entry e;
	struct ks_err err = { 0 };

	if (!c)
		return;
	memcpy(c, d, n);
	if (n >= 60) {
		size_t n1 = load_le32(d + 0x28), n2 = load_le32(d + 0x2C), rest = n - 60;
		quar_rc4(c, c, 60);
		if (n1 > rest)
			n1 = rest;
		quar_rc4(c + 60, c + 60, n1);
		if (n2 > rest - n1)
			n2 = rest - n1;
		quar_rc4(c + 60 + n1, c + 60 + n1, n2);
	} else {
		quar_rc4(c, c, n);
	}
	if (quar_entry_parse(c, n, &e, &err) == 0) {
		if (!e.detection || e.n > QUAR_MAX_RESOURCES)
			abort();
		for (size_t i = 0; i < e.n; i++)
			if (!e.v[i].path || !e.v[i].type || (e.v[i].has_id && strlen(e.v[i].id) != 40))
				abort();
	}
	quar_entry_release(&e);
	free(c);
}

static void resource(const uint8_t *d, size_t n, bool encrypt)
{
	uint8_t *c = malloc(n ? n : 1);
	unsigned char *out = NULL;
	size_t len = 0;
	struct ks_err err = { 0 };

	if (!c)
		return;
	memcpy(c, d, n);
	if (encrypt)
		quar_rc4(c, c, n);
	if (quar_resource_decode(c, n, &out, &len, &err) == 0 && len > n)
		abort();
	free(out);
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char iso[24];

	if (size < 1)
		return 0;
	if (data[0] == 'E')
		entry(data + 1, size - 1);
	else if (data[0] == 'R')
		resource(data + 1, size - 1, true);
	else {
		struct quar_entry e;
		struct ks_err err = { 0 };
		if (quar_entry_parse(data + 1, size - 1, &e, &err) == 0)
			quar_entry_release(&e);
		resource(data + 1, size - 1, false);
	}
	if (size >= 9) {
		quar_filetime_iso(load_le64(data + 1), iso, sizeof(iso));
		if (strlen(iso) != 0 && strlen(iso) != 20)
			abort();
	}
	return 0;
}
