/* Authenticode: the PE certificate table's WIN_CERTIFICATE entries, each a
 * PKCS#7 SignedData over an SpcIndirectDataContent that holds the image's
 * digest; the signer's signature; nested signatures (the unauthenticated
 * attribute 1.3.6.1.4.1.311.2.4.1, how SHA-1 and SHA-256 signatures are
 * carried together); countersignatures that date the signature (PKCS#9
 * 1.2.840.113549.1.9.6, RFC 3161 tokens in 1.3.6.1.4.1.311.3.3.1). The
 * chain is chain.c's.
 *
 * Several signatures (Windows looks at the primary only; signify wants all
 * valid): any signature whose content digest or signer signature does not
 * match makes the file INVALID — a tampered file is tampered whichever
 * signature says so. Otherwise one VALID signature makes the file VALID
 * and speaks for it (the first such): dual signing exists so that old
 * systems read the SHA-1 signature and new ones the SHA-256 one, and a
 * SHA-1 signature the root program no longer honours (sigcheck.exe's,
 * under the old Microsoft root's NotBefore) must not spoil the SHA-256
 * one. With none valid, the worst (error, then untrusted) decides.
 * Nested signatures sit in unauthenticated attributes, which no signature
 * covers: appended ones can make a file fail, never pass.
 *
 * The time a chain is checked at: a valid timestamp's (RFC 3161 genTime, or
 * the PKCS#9 countersigner's signingTime, the countersigner's own chain
 * valid for time stamping at that time); without one, or when the leaf
 * has Microsoft's lifetime-signing EKU (1.3.6.1.4.1.311.10.3.13), the scan
 * date. An invalid timestamp counts as none.
 *
 * The signed content's digest (messageDigest) covers the content's value
 * without its outer tag and length: Authenticode's rule, also for catalogs. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "trust_internal.h"
#include <kenshu/banned.h>

#define MAX_SIGS 16   /* signatures judged per file: more is padding for an attack */
#define MAX_DEPTH 4   /* nested signatures inside nested signatures */

#define OID_SPC_INDIRECT "1.3.6.1.4.1.311.2.1.4"
#define OID_NESTED "1.3.6.1.4.1.311.2.4.1"
#define OID_RFC3161 "1.3.6.1.4.1.311.3.3.1"
#define OID_LIFETIME "1.3.6.1.4.1.311.10.3.13"

struct judged {
	enum sig_status st;
	char *reason;
	X509 *leaf;          /* a reference, or NULL */
	const char *digest_alg;
	time_t ts;           /* a valid timestamp's time, or 0 */
	bool ms_root;        /* the chain ends at a Microsoft root */
};

struct run {
	const struct trust_ctx *t;
	const struct pe_digest_out *pe;   /* the image's digests; NULL: not an image's signature */
	struct judged v[MAX_SIGS];
	unsigned n;
};

/* One DER element at *p (left bytes): its universal tag number, value and
 * length; definite lengths only. */
static int der_next(const unsigned char **p, long *left, int *tag, const unsigned char **val, long *vlen)
{
	const unsigned char *q = *p;
	long len;
	int t, cls, r;

	if (*left <= 0)
		return -1;
	r = ASN1_get_object(&q, &len, &t, &cls, *left);
	if ((r & 0x80) || r == 0x21 || cls != V_ASN1_UNIVERSAL || len > *left - (q - *p))
		return -1;
	*tag = t;
	*val = q;
	*vlen = len;
	*left -= (q - *p) + len;
	*p = q + len;
	return 0;
}

static bool oid_is(const ASN1_OBJECT *o, const char *dotted)
{
	char buf[96];
	int n = o ? OBJ_obj2txt(buf, sizeof(buf), o, 1) : -1;

	return n > 0 && (size_t)n < sizeof(buf) && !strcmp(buf, dotted);
}

static const char *md_name(int nid)
{
	switch (nid) {
	case NID_md5:
		return "md5";
	case NID_sha1:
		return "sha1";
	case NID_sha256:
		return "sha256";
	case NID_sha384:
		return "sha384";
	case NID_sha512:
		return "sha512";
	default:
		return "unknown";
	}
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

static struct judged *add(struct run *r, enum sig_status st, char *reason)
{
	struct judged *j;

	if (r->n == MAX_SIGS)
		return NULL;
	j = &r->v[r->n++];
	memset(j, 0, sizeof(*j));
	j->st = st;
	j->reason = reason;
	return j;
}

/* The signed content's bytes as messageDigest covers them. */
static int content_bytes(PKCS7 *p7, const unsigned char **out, long *len, const ASN1_OBJECT **type)
{
	PKCS7 *c = p7->d.sign->contents;
	const unsigned char *p;
	long left;
	int tag;

	if (!c || !c->type)
		return -1;
	*type = c->type;
	switch (OBJ_obj2nid(c->type)) {
	case NID_pkcs7_data:
		if (!c->d.data)
			return -1;
		*out = c->d.data->data;
		*len = c->d.data->length;
		return 0;
	case NID_pkcs7_signed:
	case NID_pkcs7_enveloped:
	case NID_pkcs7_signedAndEnveloped:
	case NID_pkcs7_digest:
	case NID_pkcs7_encrypted:
		return -1;
	default:
		break;
	}
	if (!c->d.other || c->d.other->type != V_ASN1_SEQUENCE || !c->d.other->value.sequence)
		return -1;
	p = c->d.other->value.sequence->data;
	left = c->d.other->value.sequence->length;
	if (der_next(&p, &left, &tag, out, len) || tag != V_ASN1_SEQUENCE)
		return -1;
	return 0;
}

/* SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptionalValue,
 * messageDigest DigestInfo }; val/len: its value. */
static int spc_digest(const unsigned char *val, long len, int *nid, const unsigned char **dig, long *dlen)
{
	const unsigned char *p = val, *v, *alg, *oidp;
	long left = len, vlen, alen, olen;
	int tag;
	ASN1_OBJECT *o;

	if (der_next(&p, &left, &tag, &v, &vlen) || tag != V_ASN1_SEQUENCE)
		return -1;
	if (der_next(&p, &left, &tag, &v, &vlen) || tag != V_ASN1_SEQUENCE)
		return -1;
	p = v;
	left = vlen;
	if (der_next(&p, &left, &tag, &alg, &alen) || tag != V_ASN1_SEQUENCE)
		return -1;
	if (der_next(&p, &left, &tag, dig, dlen) || tag != V_ASN1_OCTET_STRING)
		return -1;
	oidp = alg;
	olen = alen;
	{
		const unsigned char *q = alg, *ov;
		long ol;

		if (der_next(&q, &olen, &tag, &ov, &ol) || tag != V_ASN1_OBJECT)
			return -1;
		olen = q - oidp;
	}
	o = d2i_ASN1_OBJECT(NULL, &oidp, olen);
	if (!o)
		return -1;
	*nid = OBJ_obj2nid(o);
	ASN1_OBJECT_free(o);
	return 0;
}

static char *openssl_reason(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	char *out = xasprintf("%s%s%s", what, r ? ": " : "", r ? r : "");

	ERR_clear_error();
	return out;
}

/* The union of two certificate lists (references). */
static STACK_OF(X509) *merged(STACK_OF(X509) *a, STACK_OF(X509) *b)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	if (!s)
		ks_oom(0);
	for (int i = 0; i < sk_X509_num(a); i++)
		sk_X509_push(s, sk_X509_value(a, i));
	for (int i = 0; i < sk_X509_num(b); i++)
		sk_X509_push(s, sk_X509_value(b, i));
	return s;
}

/* The signature over the digest h (hlen bytes) by x's key. RSA signatures
 * of old VeriSign timestamps hold the bare digest instead of a DigestInfo:
 * both forms are accepted (the bare one is as hard to forge). */
static bool sig_verifies(X509 *x, const EVP_MD *md, const unsigned char *h, size_t hlen,
			 const unsigned char *sig, size_t siglen)
{
	EVP_PKEY *pkey = X509_get0_pubkey(x);
	EVP_PKEY_CTX *pc = pkey ? EVP_PKEY_CTX_new(pkey, NULL) : NULL;
	unsigned char rec[1024];
	size_t rlen = sizeof(rec);
	bool ok;

	if (!pc)
		return false;
	ok = EVP_PKEY_verify_init(pc) == 1 && EVP_PKEY_CTX_set_signature_md(pc, md) == 1 &&
	     EVP_PKEY_verify(pc, sig, siglen, h, hlen) == 1;
	if (!ok && EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA && EVP_PKEY_get_size(pkey) <= (int)sizeof(rec) &&
	    EVP_PKEY_verify_recover_init(pc) == 1 && EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_verify_recover(pc, rec, &rlen, sig, siglen) == 1)
		ok = rlen == hlen && !memcmp(rec, h, hlen);
	EVP_PKEY_CTX_free(pc);
	return ok;
}

/* A legacy countersignature: a SignerInfo over the signer's encrypted
 * digest, dated by its signingTime. 0 when not valid. */
static time_t pkcs9_countersig(const struct trust_ctx *t, PKCS7 *p7, PKCS7_SIGNER_INFO *si,
			       const ASN1_STRING *der)
{
	const unsigned char *q = der->data;
	PKCS7_SIGNER_INFO *csi = d2i_PKCS7_SIGNER_INFO(NULL, &q, der->length);
	const struct trust_anchor *anchor;
	X509 *tsa = NULL;
	const EVP_MD *md;
	ASN1_OCTET_STRING *mdattr;
	ASN1_TYPE *st;
	unsigned char h[EVP_MAX_MD_SIZE], *abuf = NULL;
	unsigned hlen = 0;
	int alen;
	time_t when = 0;
	char *reason = NULL;

	if (!csi || !csi->issuer_and_serial || !csi->digest_alg || !si->enc_digest || !csi->enc_digest ||
	    sk_X509_ATTRIBUTE_num(csi->auth_attr) <= 0)
		goto out;
	tsa = X509_find_by_issuer_and_serial(p7->d.sign->cert, csi->issuer_and_serial->issuer,
					     csi->issuer_and_serial->serial);
	md = EVP_get_digestbyobj(csi->digest_alg->algorithm);
	mdattr = PKCS7_digest_from_attributes(csi->auth_attr);
	if (!tsa || !md || !mdattr ||
	    !EVP_Digest(si->enc_digest->data, (size_t)si->enc_digest->length, h, &hlen, md, NULL) ||
	    (unsigned)mdattr->length != hlen || memcmp(mdattr->data, h, hlen))
		goto out;
	alen = ASN1_item_i2d((ASN1_VALUE *)csi->auth_attr, &abuf, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	if (alen <= 0 || !EVP_Digest(abuf, (size_t)alen, h, &hlen, md, NULL) ||
	    !sig_verifies(tsa, md, h, hlen, csi->enc_digest->data, (size_t)csi->enc_digest->length))
		goto out;
	st = PKCS7_get_signed_attribute(csi, NID_pkcs9_signingTime);
	if (!st || (st->type != V_ASN1_UTCTIME && st->type != V_ASN1_GENERALIZEDTIME))
		goto out;
	when = asn1_time(st->value.utctime);
	if (when && trust_chain_check(t, tsa, p7->d.sign->cert, when, true, TRUST_TIME_STAMPING, &anchor,
				      &reason) != SIG_VALID)
		when = 0;
out:
	free(reason);
	OPENSSL_free(abuf);
	PKCS7_SIGNER_INFO_free(csi);
	ERR_clear_error();
	return when;
}

/* An RFC 3161 token whose TSTInfo's messageImprint is the digest of the
 * signer's signature value. 0 when not valid. Read as CMS: Microsoft's
 * tokens carry attribute certificates in their certificate set, which
 * OpenSSL's PKCS#7 decoder refuses. */
static time_t rfc3161_token(const struct trust_ctx *t, PKCS7 *p7, PKCS7_SIGNER_INFO *si,
			    const ASN1_STRING *der)
{
	const unsigned char *q = der->data;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, der->length);
	ASN1_OCTET_STRING **pos;
	TS_TST_INFO *tst = NULL;
	STACK_OF(X509) *signers = NULL, *certs = NULL, *all = NULL;
	const struct trust_anchor *anchor;
	const ASN1_OCTET_STRING *imp;
	TS_MSG_IMPRINT *mi;
	const EVP_MD *md;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned hlen = 0;
	time_t when = 0;
	char *reason = NULL;

	if (!cms || !si->enc_digest || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_id_smime_ct_TSTInfo)
		goto out;
	pos = CMS_get0_content(cms);
	if (!pos || !*pos)
		goto out;
	q = (*pos)->data;
	tst = d2i_TS_TST_INFO(NULL, &q, (*pos)->length);
	if (!tst)
		goto out;
	mi = TS_TST_INFO_get_msg_imprint(tst);
	imp = mi ? TS_MSG_IMPRINT_get_msg(mi) : NULL;
	md = mi && TS_MSG_IMPRINT_get_algo(mi) ? EVP_get_digestbyobj(TS_MSG_IMPRINT_get_algo(mi)->algorithm) : NULL;
	if (!imp || !md || !EVP_Digest(si->enc_digest->data, (size_t)si->enc_digest->length, h, &hlen, md, NULL) ||
	    (unsigned)imp->length != hlen || memcmp(imp->data, h, hlen))
		goto out;
	certs = CMS_get1_certs(cms);
	all = merged(certs, p7->d.sign->cert);
	if (CMS_verify(cms, all, NULL, NULL, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
		goto out;
	signers = CMS_get0_signers(cms);
	when = asn1_time(TS_TST_INFO_get_time(tst));
	if (!signers || sk_X509_num(signers) != 1 ||
	    (when && trust_chain_check(t, sk_X509_value(signers, 0), all, when, true, TRUST_TIME_STAMPING,
				       &anchor, &reason) != SIG_VALID))
		when = 0;
out:
	free(reason);
	sk_X509_free(signers);
	sk_X509_free(all);
	sk_X509_pop_free(certs, X509_free);
	TS_TST_INFO_free(tst);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return when;
}

static void judge_der(struct run *r, const unsigned char *der, long len, int depth);

/* The first valid timestamp among the unauthenticated attributes, or 0. */
static time_t timestamp_of(const struct trust_ctx *t, PKCS7 *p7, PKCS7_SIGNER_INFO *si)
{
	STACK_OF(X509_ATTRIBUTE) *ua = si->unauth_attr;
	time_t ts = 0;

	for (int i = 0; i < X509at_get_attr_count(ua) && !ts; i++) {
		X509_ATTRIBUTE *at = X509at_get_attr(ua, i);
		ASN1_OBJECT *o = X509_ATTRIBUTE_get0_object(at);
		bool cs = OBJ_obj2nid(o) == NID_pkcs9_countersignature, tsp = oid_is(o, OID_RFC3161);

		for (int k = 0; k < X509_ATTRIBUTE_count(at) && !ts && (cs || tsp); k++) {
			ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(at, k);

			if (!v || v->type != V_ASN1_SEQUENCE || !v->value.sequence)
				continue;
			ts = cs ? pkcs9_countersig(t, p7, si, v->value.sequence)
				: rfc3161_token(t, p7, si, v->value.sequence);
		}
	}
	return ts;
}

/* Microsoft's lifetime-signing EKU: the signature lives only as long as
 * the certificate, whatever the timestamp says. */
static bool lifetime_signing(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	bool found = false;

	for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku) && !found; i++)
		found = oid_is(sk_ASN1_OBJECT_value(eku, i), OID_LIFETIME);
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

static bool microsoft_root(const struct trust_anchor *a)
{
	return a && a->subject && !strncmp(a->subject, "CN=Microsoft ", 13) && strstr(a->subject, "Root");
}

/* One SignedData's own judgement, appended to r. */
static void judge_one(struct run *r, PKCS7 *p7, PKCS7_SIGNER_INFO *si)
{
	STACK_OF(X509) *signers = NULL;
	const ASN1_OBJECT *type = NULL;
	const unsigned char *content, *dig;
	const struct trust_anchor *anchor = NULL;
	long clen, dlen;
	int nid = NID_undef;
	struct judged *j;
	BIO *in;
	X509 *leaf;
	char *reason = NULL;
	unsigned long e;

	if (content_bytes(p7, &content, &clen, &type)) {
		add(r, SIG_ERROR, xstrdup("the signed content does not parse"));
		return;
	}
	if (r->pe) {
		const unsigned char *mine;

		if (!oid_is(type, OID_SPC_INDIRECT)) {
			add(r, SIG_ERROR, xstrdup("the signed content is not an SpcIndirectDataContent"));
			return;
		}
		if (spc_digest(content, clen, &nid, &dig, &dlen)) {
			add(r, SIG_ERROR, xstrdup("the SpcIndirectDataContent does not parse"));
			return;
		}
		mine = nid == NID_md5 ? (r->pe->have_md5 ? r->pe->md5 : NULL) : nid == NID_sha1 ? r->pe->sha1 : nid == NID_sha256 ? r->pe->sha256 : NULL;
		if (!mine) {
			add(r, SIG_ERROR, xasprintf("the image digest is %s, which kenshu does not compute",
						    md_name(nid)));
			return;
		}
		if (dlen != (nid == NID_md5 ? 16 : nid == NID_sha1 ? 20 : 32) || memcmp(mine, dig, (size_t)dlen)) {
			j = add(r, SIG_INVALID, xasprintf("the file's %s digest does not match the signed one",
							  md_name(nid)));
			if (j) {
				/* Who signed what the file was: the report names them. */
				signers = PKCS7_get0_signers(p7, NULL, 0);
				if (signers && sk_X509_num(signers) == 1 && X509_up_ref(sk_X509_value(signers, 0)))
					j->leaf = sk_X509_value(signers, 0);
				sk_X509_free(signers);
				j->digest_alg = md_name(nid);
			}
			return;
		}
	} else if (si->digest_alg) {
		nid = OBJ_obj2nid(si->digest_alg->algorithm);
	}
	signers = PKCS7_get0_signers(p7, NULL, 0);
	if (!signers || sk_X509_num(signers) != 1) {
		sk_X509_free(signers);
		add(r, SIG_ERROR, openssl_reason("the signer's certificate is not in the signature"));
		return;
	}
	leaf = sk_X509_value(signers, 0);
	sk_X509_free(signers);
	in = BIO_new_mem_buf(content, (int)clen);
	if (!in)
		ks_oom(0);
	if (PKCS7_verify(p7, NULL, NULL, in, NULL, PKCS7_NOVERIFY | PKCS7_NOCHAIN | PKCS7_BINARY) != 1) {
		BIO_free(in);
		/* a mismatch is tampering; an algorithm OpenSSL lacks is not */
		e = ERR_peek_last_error();
		j = ERR_GET_LIB(e) == ERR_LIB_PKCS7 && (ERR_GET_REASON(e) == PKCS7_R_SIGNATURE_FAILURE ||
							 ERR_GET_REASON(e) == PKCS7_R_DIGEST_FAILURE)
			    ? add(r, SIG_INVALID, openssl_reason("the signer's signature does not verify"))
			    : add(r, SIG_ERROR, openssl_reason("the signer's signature cannot be checked"));
		if (j) {
			j->digest_alg = md_name(nid);
			j->leaf = X509_up_ref(leaf) ? leaf : NULL;
		}
		return;
	}
	BIO_free(in);
	/* this signature's slot comes before its nested ones */
	j = add(r, SIG_VALID, NULL);
	if (!j)
		return;
	j->digest_alg = md_name(nid);
	j->leaf = X509_up_ref(leaf) ? leaf : NULL;
	j->ts = timestamp_of(r->t, p7, si);
	if (j->ts && lifetime_signing(leaf))
		j->ts = 0;
	j->st = trust_chain_check(r->t, leaf, p7->d.sign->cert, j->ts ? j->ts : trust_ctx_scan_time(r->t),
				  j->ts != 0, TRUST_CODE_SIGNING, &anchor, &reason);
	j->reason = reason;
	j->ms_root = microsoft_root(anchor);
}

/* One SignedData: its judgement is appended to r, then those of the
 * signatures nested in it (whatever its own came to: they are counted). */
static void judge_p7(struct run *r, PKCS7 *p7, int depth)
{
	STACK_OF(PKCS7_SIGNER_INFO) *sis;
	PKCS7_SIGNER_INFO *si;

	if (!PKCS7_type_is_signed(p7) || !p7->d.sign) {
		add(r, SIG_ERROR, xstrdup("the signature is not a PKCS#7 SignedData"));
		return;
	}
	sis = PKCS7_get_signer_info(p7);
	if (sk_PKCS7_SIGNER_INFO_num(sis) != 1) {
		add(r, SIG_ERROR, xasprintf("the SignedData has %d signers, not one", sk_PKCS7_SIGNER_INFO_num(sis)));
		return;
	}
	si = sk_PKCS7_SIGNER_INFO_value(sis, 0);
	judge_one(r, p7, si);
	{
		STACK_OF(X509_ATTRIBUTE) *ua = si->unauth_attr;

		for (int i = 0; i < X509at_get_attr_count(ua); i++) {
			X509_ATTRIBUTE *at = X509at_get_attr(ua, i);

			if (!oid_is(X509_ATTRIBUTE_get0_object(at), OID_NESTED))
				continue;
			for (int k = 0; k < X509_ATTRIBUTE_count(at); k++) {
				ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(at, k);

				if (!v || v->type != V_ASN1_SEQUENCE || !v->value.sequence) {
					add(r, SIG_ERROR, xstrdup("a nested signature is not a SEQUENCE"));
					continue;
				}
				if (depth + 1 >= MAX_DEPTH) {
					add(r, SIG_ERROR, xstrdup("nested signatures too deep"));
					continue;
				}
				judge_der(r, v->value.sequence->data, v->value.sequence->length, depth + 1);
			}
		}
	}
}

static void judge_der(struct run *r, const unsigned char *der, long len, int depth)
{
	const unsigned char *p = der;
	PKCS7 *p7 = len > 0 ? d2i_PKCS7(NULL, &p, len) : NULL;

	if (!p7) {
		trust_oom_if_malloc_failed();
		add(r, SIG_ERROR, openssl_reason("the PKCS#7 signature does not parse"));
		return;
	}
	judge_p7(r, p7, depth);
	PKCS7_free(p7);
}

static int rank(enum sig_status s)
{
	switch (s) {
	case SIG_INVALID:
		return 4;
	case SIG_ERROR:
		return 3;
	case SIG_UNTRUSTED:
		return 2;
	case SIG_VALID:
		return 1;
	default:
		return 0;
	}
}

static char *name_part(X509 *x, int nid)
{
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, nid, -1);
	unsigned char *u = NULL;
	int len;
	char *out;

	if (i < 0)
		return NULL;
	len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
	if (len < 0)
		return NULL;
	out = xstrndup((const char *)u, (size_t)len);
	OPENSSL_free(u);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	return out;
}

/* Which judgement decides (the header's rule); its signer speaks for the
 * file. */
static enum sig_status conclude(struct run *r, struct sig_result *out)
{
	struct judged *d = NULL;
	char when[32];

	memset(out, 0, sizeof(*out));
	struct judged *inv = NULL, *val = NULL, *worst = NULL;

	for (unsigned i = 0; i < r->n; i++) {
		struct judged *j = &r->v[i];

		if (j->st == SIG_INVALID && !inv)
			inv = j;
		if (j->st == SIG_VALID && !val)
			val = j;
		if (!worst || rank(j->st) > rank(worst->st))
			worst = j;
	}
	d = inv ? inv : val ? val : worst;
	if (!d) {
		out->status = SIG_ERROR;
		out->reason = xstrdup("the certificate table holds no signature");
		return out->status;
	}
	out->status = d->st;
	out->signatures = r->n;
	out->reason = d->st == SIG_VALID ? NULL : xstrdup_or_null(d->reason);
	if (d->st != SIG_VALID && !out->reason)
		out->reason = xstrdup(sig_status_name(d->st));
	out->digest_alg = d->digest_alg ? xstrdup(d->digest_alg) : NULL;
	if (d->leaf) {
		char *cn = name_part(d->leaf, NID_commonName), *o = name_part(d->leaf, NID_organizationName);

		out->signer = trust_name_line(X509_get_subject_name(d->leaf));
		out->issuer = trust_name_line(X509_get_issuer_name(d->leaf));
		out->microsoft_windows = d->st == SIG_VALID && d->ms_root && trust_is_windows_signer(cn, o);
		out->signer_name = cn ? cn : o;
		if (cn)
			free(o);
	}
	if (d->ts) {
		ks_iso_time(d->ts, when, sizeof(when));
		out->signing_time = xstrdup(when);
	}
	for (unsigned i = 0; i < r->n; i++) {
		free(r->v[i].reason);
		X509_free(r->v[i].leaf);
	}
	r->n = 0;
	ERR_clear_error();
	return out->status;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void trust_verify_table(const struct trust_ctx *t, const unsigned char *table, size_t len,
			const struct pe_digest_out *digests, struct sig_result *out)
{
	struct run r = { .t = t, .pe = digests };
	size_t off = 0;

	while (len - off >= 8 && r.n < MAX_SIGS) {
		uint32_t dw = le32(table + off);
		unsigned rev = table[off + 4] | table[off + 5] << 8, type = table[off + 6] | table[off + 7] << 8;

		if (dw < 8 || dw > len - off) {
			add(&r, SIG_ERROR, xasprintf("certificate entry at %zu claims %u bytes of a table of %zu",
						     off, dw, len));
			break;
		}
		if (rev != 0x0200 || type != 2) {
			add(&r, SIG_ERROR, xasprintf("certificate entry at %zu has revision 0x%x type %u, not a "
						     "PKCS#7 signature (0x200, 2)", off, rev, type));
			break;
		}
		judge_der(&r, table + off + 8, (long)(dw - 8), 0);
		off += ((size_t)dw + 7) & ~(size_t)7;
		if (off > len)
			break;
	}
	conclude(&r, out);
	out->source = SIG_SRC_EMBEDDED;
}

enum sig_status trust_verify_signed_data(const struct trust_ctx *t, const unsigned char *der,
					 size_t len, struct sig_result *out)
{
	struct run r = { .t = t };

	if (len > 0x7fffffff) {
		memset(out, 0, sizeof(*out));
		out->status = SIG_ERROR;
		out->reason = xstrdup("the signature is larger than 2 GiB");
		return out->status;
	}
	judge_der(&r, der, (long)len, 0);
	return conclude(&r, out);
}
