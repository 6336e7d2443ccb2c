/* Authenticode: the anchor file, then a PE fed to the streaming digest in
 * chunks of varying size and judged (certificate table, WIN_CERTIFICATE
 * entries, PKCS#7 SignedData, nested signatures, PKCS#9 and RFC 3161
 * countersignatures, the chain against the anchors).
 *
 * Input: one byte choosing the chunk sizes, the anchor file (PEM with the
 * root program's comment lines), the separator line, the PE. The context
 * is rebuilt only when the anchor part changes, so mutations of the PE run
 * at the verifier's speed. Property: a file whose digest-covered bytes
 * were changed is never valid (checked by flipping a header byte of every
 * input judged valid). */
#include <time.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "fuzz.h"

static struct trust_ctx *ctx;
static uint8_t *ctx_text;
static size_t ctx_len;

static struct trust_ctx *context(const uint8_t *text, size_t len)
{
	struct trust_anchors *a;
	struct ks_err err;

	if (ctx && len == ctx_len && (len == 0 || memcmp(text, ctx_text, len) == 0))
		return ctx;
	trust_ctx_free(ctx);
	free(ctx_text);
	ctx = NULL;
	ctx_text = NULL;
	ctx_len = 0;
	if (trust_anchors_parse((const char *)text, len, "fuzz.pem", &a, &err) != 0)
		return NULL;
	ctx = trust_ctx_new(a, time(NULL));
	ctx_text = malloc(len ? len : 1);
	if (!ctx_text)
		abort();
	memcpy(ctx_text, text, len);
	ctx_len = len;
	return ctx;
}

static void judge(const struct trust_ctx *t, const uint8_t *pe, size_t len, unsigned sel, struct sig_result *r)
{
	struct pe_digest *d = pe_digest_new(len);
	size_t off = 0, step = 1;

	while (off < len) {
		size_t k;

		step = step * 5 + sel;
		k = 1 + step % (sel & 1 ? 97 : 8192);
		k = k < len - off ? k : len - off;
		pe_digest_feed(d, pe + off, k);
		off += k;
	}
	if (pe_digest_is_pe(d))
		trust_verify_pe(t, d, r);
	else
		trust_verify_buffer(t, pe, len, r);
	pe_digest_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[2];
	size_t len[2];
	const struct trust_ctx *t;
	struct sig_result r;

	if (size < 1)
		return 0;
	if (fuzz_split(data + 1, size - 1, part, len, 2) != 2)
		return 0;
	t = context(part[0], len[0]);
	if (!t)
		return 0;
	judge(t, part[1], len[1], data[0], &r);
	if (r.status == SIG_VALID && r.source == SIG_SRC_EMBEDDED && len[1] > 0x40) {
		/* the DOS header's e_cblp: covered by every digest */
		uint8_t *copy = malloc(len[1]);
		struct sig_result r2;

		if (!copy)
			abort();
		memcpy(copy, part[1], len[1]);
		copy[2] ^= 0x01;
		judge(t, copy, len[1], data[0], &r2);
		if (r2.status == SIG_VALID) {
			fprintf(stderr, "fuzz-authenticode: a changed file is still valid\n");
			abort();
		}
		sig_result_release(&r2);
		free(copy);
	}
	sig_result_release(&r);
	return 0;
}
