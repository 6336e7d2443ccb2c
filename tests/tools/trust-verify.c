/* trust-verify [-a ANCHORS.pem] [-t UNIXTIME] [-C CATALOG]... [-S] [-f | -o OFFSET] [-s] [-c CHUNK] FILE... — judges each
 * file as a scan does (pe_digest fed in CHUNK-byte pieces, then
 * trust_verify_pe; a non-PE by its flat digests) and prints one line each:
 *   FILE<TAB>status<TAB>source<TAB>signatures<TAB>signer_name<TAB>signing_time<TAB>digest_alg<TAB>windows<TAB>reason
 * -a: the anchor file (default: the shipped anchors); -t: the scan time
 * (default now); -o OFFSET: flip one bit of the byte at OFFSET first (a
 * tampered variant; -f: the middle byte); -s: the file is a PKCS#7
 * SignedData (a catalog): trust_verify_signed_data; -C: add CATALOG to the
 * index first (catalog_index_add; repeatable); -S: strip a PE's
 * certificate table first (its directory entry zeroed, the table cut off
 * the end), so only the catalogs can vouch for it. For
 * tests/realdata/authenticode.sh and by hand.
 * Exit 0, or 2 when the anchors or a file cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, alloc = 0, k;

	if (!f)
		return NULL;
	do {
		if (n == alloc)
			buf = xrealloc(buf, (alloc = alloc ? 2 * alloc : 65536) + 1);
		k = fread(buf + n, 1, alloc - n, f);
		n += k;
	} while (k > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A PE whose certificate table ends the file, without it: the Authenticode
 * digest is unchanged (it never covers the table or its entry). Returns
 * the new length; a file of another shape is left as it is. */
static size_t strip_table(unsigned char *p, size_t len)
{
	uint32_t lfanew, off, size;
	size_t dir;

	if (len < 0x40 || p[0] != 'M' || p[1] != 'Z')
		return len;
	lfanew = rd32(p + 0x3c);
	if ((size_t)lfanew + 26 > len)
		return len;
	dir = (size_t)lfanew + 24 + ((p[lfanew + 24] | p[lfanew + 25] << 8) == 0x20b ? 144 : 128);
	if (dir + 8 > len)
		return len;
	off = rd32(p + dir);
	size = rd32(p + dir + 4);
	if (!off || (size_t)off + size != len)
		return len;
	memset(p + dir, 0, 8);
	return off;
}

int main(int argc, char **argv)
{
	const char *anchors_path = NULL;
	time_t now = time(NULL);
	struct trust_anchors *a = NULL;
	struct trust_ctx *t;
	struct ks_err err;
	size_t chunk = 65536;
	bool flip = false, signed_data = false, strip = false;
	const char *cats[16];
	int ncats = 0;
	long long flip_at = -1;
	int c, rc = 0;

	while ((c = getopt(argc, argv, "a:t:fo:sc:C:S")) != -1) {
		switch (c) {
		case 'C':
			if (ncats < 16)
				cats[ncats++] = optarg;
			break;
		case 'S':
			strip = true;
			break;
		case 'a':
			anchors_path = optarg;
			break;
		case 't':
			now = (time_t)strtoll(optarg, NULL, 10);
			break;
		case 'f':
			flip = true;
			break;
		case 's':
			signed_data = true;
			break;
		case 'o':
			flip_at = strtoll(optarg, NULL, 0);
			break;
		case 'c':
			chunk = (size_t)strtoull(optarg, NULL, 10);
			if (!chunk)
				chunk = 1;
			break;
		default:
			fprintf(stderr, "usage: trust-verify [-a ANCHORS.pem] [-t UNIXTIME] [-f | -o OFFSET] [-s] [-c CHUNK] FILE...\n");
			return 64;
		}
	}
	if (anchors_path) {
		size_t len;
		char *text = slurp(anchors_path, &len);

		if (!text) {
			fprintf(stderr, "trust-verify: cannot read '%s'\n", anchors_path);
			return 2;
		}
		c = trust_anchors_parse(text, len, anchors_path, &a, &err);
		free(text);
	} else {
		c = trust_anchors_builtin(&a, &err);
	}
	if (c) {
		fprintf(stderr, "trust-verify: %s\n", err.msg);
		return 2;
	}
	t = trust_ctx_new(a, now);
	for (int i = 0; i < ncats; i++) {
		size_t len;
		char *data = slurp(cats[i], &len);

		if (!data || catalog_index_add(t, cats[i], data, len, NULL, NULL, &err) < 0) {
			fprintf(stderr, "trust-verify: catalog '%s': %s\n", cats[i], data ? err.msg : "cannot read");
			free(data);
			trust_ctx_free(t);
			return 2;
		}
		free(data);
	}
	for (int i = optind; i < argc; i++) {
		size_t len;
		char *data = slurp(argv[i], &len);
		struct sig_result r;
		struct pe_digest *d;

		if (!data) {
			fprintf(stderr, "trust-verify: cannot read '%s'\n", argv[i]);
			rc = 2;
			continue;
		}
		if (strip)
			len = strip_table((unsigned char *)data, len);
		if (flip && len)
			data[len / 2] ^= 0x01;
		if (flip_at >= 0 && (size_t)flip_at < len)
			data[flip_at] ^= 0x01;
		d = pe_digest_new(len);
		if (signed_data)
			trust_verify_signed_data(t, (const unsigned char *)data, len, &r);
		else
			for (size_t off = 0; off < len; off += chunk)
				pe_digest_feed(d, data + off, len - off < chunk ? len - off : chunk);
		if (signed_data)
			;
		else if (pe_digest_is_pe(d))
			trust_verify_pe(t, d, &r);
		else
			trust_verify_buffer(t, data, len, &r);
		printf("%s\t%s\t%s\t%u\t%s\t%s\t%s\t%s\t%s\n", argv[i],
		       r.status == SIG_NOT_CHECKED ? "not-checked" : sig_status_name(r.status),
		       sig_source_name(r.source), r.signatures, r.signer_name ? r.signer_name : "",
		       r.signing_time ? r.signing_time : "", r.digest_alg ? r.digest_alg : "",
		       r.microsoft_windows ? "windows" : "", r.reason ? r.reason : "");
		sig_result_release(&r);
		pe_digest_free(d);
		free(data);
	}
	trust_ctx_free(t);
	return rc;
}
