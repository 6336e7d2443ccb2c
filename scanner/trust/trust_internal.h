/* What the trust stage's files share: the catalog index's insertion (the
 * index lives in ctx.c; catalog.c parses catalogs and feeds it). */
#ifndef KENSHU_TRUST_INTERNAL_H
#define KENSHU_TRUST_INTERNAL_H

#include <openssl/err.h>
#include <openssl/x509.h>

#include <kenshu/trust.h>

struct catalog_index *catalog_index_new(void);
void catalog_index_free(struct catalog_index *ci);

/* Registers one catalog: path (copied) and the result of verifying its
 * signature (deep-copied). Returns the catalog's number for
 * catalog_index_insert. */
size_t catalog_index_register(struct catalog_index *ci, const char *path,
			      const struct sig_result *sig);
/* Indexes one member digest (20 or 32 bytes) of catalog number cat. A
 * digest listed by several catalogs keeps all; lookup prefers a valid one. */
void catalog_index_insert(struct catalog_index *ci, size_t cat, const unsigned char *digest,
			  size_t len);

/* The anchors' certificates (anchors.c), for the verifier's store. */
X509 *trust_anchor_cert(const struct trust_anchors *a, size_t i);

/* A name as one stable line, most specific first: "CN=..., O=..., C=..."
 * (RFC 2253 escapes, UTF-8 kept). */
char *trust_name_line(const X509_NAME *n);

/* What a fed pe_digest found (pe_digest.c): pe_digest_finish ends the
 * digests (once; later calls return the same). */
struct pe_digest_out {
	bool pe;
	const char *error;            /* headers or certificate table damaged: why; else NULL */
	unsigned char md5[16], sha1[20], sha256[32];
	bool have_md5;                /* false after pe_digest_lookahead found no use for it */
	const unsigned char *table;   /* the certificate table, NULL when the PE has none */
	size_t table_len;
};
void pe_digest_finish(struct pe_digest *d, struct pe_digest_out *out);

/* The context's parts (ctx.c) the verifier uses. */
X509_STORE *trust_ctx_store(const struct trust_ctx *t);
time_t trust_ctx_scan_time(const struct trust_ctx *t);

/* Path validation (chain.c): leaf up to one of the context's anchors,
 * with the untrusted certificates as intermediates, at time when, for a
 * purpose, with the anchor's program constraints. Returns SIG_VALID,
 * SIG_UNTRUSTED or SIG_INVALID (a certificate on explicit curve
 * parameters: a forged chain), with *reason (owned) for the last two and
 * *anchor the root reached (may be NULL). when_is_timestamp words the
 * reason ("no valid timestamp"). */
enum trust_purpose { TRUST_CODE_SIGNING, TRUST_TIME_STAMPING };
enum sig_status trust_chain_check(const struct trust_ctx *t, X509 *leaf, STACK_OF(X509) *untrusted,
				  time_t when, bool when_is_timestamp, enum trust_purpose purpose,
				  const struct trust_anchor **anchor, char **reason);
/* The certificate's EC key is given by explicit curve parameters. */
bool trust_explicit_curve(X509 *x);
/* The anchor whose certificate this is (by SHA-1), or NULL. */
const struct trust_anchor *trust_anchor_of(const struct trust_anchors *a, X509 *x);

/* Judges an embedded certificate table against the image's Authenticode
 * digests (verify.c). */
void trust_verify_table(const struct trust_ctx *t, const unsigned char *table, size_t len,
			const struct pe_digest_out *digests, struct sig_result *out);

/* OpenSSL reports a failed allocation like any other error: a decode that
 * failed for want of memory is not damage in the input, and must not be
 * reported as such. The queue is left for the caller's message. */
static inline void trust_oom_if_malloc_failed(void)
{
	if (ERR_GET_REASON(ERR_peek_error()) == ERR_R_MALLOC_FAILURE ||
	    ERR_GET_REASON(ERR_peek_last_error()) == ERR_R_MALLOC_FAILURE)
		ks_oom(0);
}

#endif
