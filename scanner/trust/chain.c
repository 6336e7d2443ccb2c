/* Path validation of a signer (or a timestamp authority) against the
 * context's anchors only — never the host's store, never the image's —
 * with the rules Windows applies to code signing that OpenSSL does not
 * know: the key usages, and the root program's per-root constraints.
 *
 *   EKU       the leaf names the purpose (code signing 1.3.6.1.5.5.7.3.3,
 *             time stamping 1.3.6.1.5.5.7.3.8); a CA certificate that has
 *             an EKU extension must allow it too (CryptoAPI's EKU nesting).
 *   keyUsage  when the leaf has one, digitalSignature.
 *   root      the program allows the purpose for the root (or restricts no
 *             EKU); its disallowed date is after the signature's time (the
 *             timestamp's, else the scan date); its not-before date is
 *             after the leaf's notBefore, for the purposes it concerns.
 *   curves    a certificate whose EC key carries explicit curve parameters
 *             is the CVE-2020-0601 forgery (a "Microsoft" root's key with a
 *             chosen generator): the signature is INVALID, whatever the
 *             path says. OpenSSL only refuses those under X509_V_FLAG_
 *             X509_STRICT, which old Microsoft roots do not pass, so the
 *             check is explicit. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "trust_internal.h"
#include <kenshu/banned.h>

bool trust_explicit_curve(X509 *x)
{
	X509_PUBKEY *pub = x ? X509_get_X509_PUBKEY(x) : NULL;
	ASN1_OBJECT *alg = NULL;
	X509_ALGOR *pa = NULL;
	const void *pval = NULL;
	int ptype = 0;

	if (!pub || !X509_PUBKEY_get0_param(&alg, NULL, NULL, &pa, pub) || !pa)
		return false;
	if (OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey)
		return false;
	X509_ALGOR_get0(NULL, &ptype, &pval, pa);
	return ptype != V_ASN1_OBJECT;
}

/* What a person reads: the CN, else the whole subject. */
static char *short_name(X509 *x)
{
	X509_NAME *n = x ? X509_get_subject_name(x) : NULL;
	int i = n ? X509_NAME_get_index_by_NID(n, NID_commonName, -1) : -1;
	ASN1_STRING *s;
	unsigned char *u = NULL;
	int len;
	char *out;

	if (i < 0)
		return trust_name_line(n);
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	len = ASN1_STRING_to_UTF8(&u, s);
	if (len < 0)
		return trust_name_line(n);
	out = xstrndup((const char *)u, (size_t)len);
	OPENSSL_free(u);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	return out;
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

static const char *anchor_label(const struct trust_anchor *a)
{
	return a->friendly_name && a->friendly_name[0] ? a->friendly_name : a->subject;
}

/* A reason naming one certificate: "certificate 'NAME'" + rest. */
static char *about(X509 *x, const char *pre, const char *rest)
{
	char *n = short_name(x), *r = xasprintf("%scertificate '%s'%s", pre, n, rest);

	free(n);
	return r;
}

static enum sig_status path_failed(X509_STORE_CTX *sc, time_t when, bool ts, char **reason)
{
	int e = X509_STORE_CTX_get_error(sc);
	X509 *cur = X509_STORE_CTX_get_current_cert(sc);
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(sc);
	char at[32], w[32], *n, *end;
	X509 *last;

	ks_iso_time(when, w, sizeof(w));
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		ks_iso_time(asn1_time(X509_get0_notAfter(cur)), at, sizeof(at));
		n = short_name(cur);
		*reason = ts ? xasprintf("certificate '%s' had expired at %s, before the timestamp %s", n, at, w)
			     : xasprintf("certificate '%s' has expired at %s, no valid timestamp", n, at);
		free(n);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		ks_iso_time(asn1_time(X509_get0_notBefore(cur)), at, sizeof(at));
		n = short_name(cur);
		*reason = xasprintf("certificate '%s' is valid only from %s, checked at %s%s", n, at, w,
				    ts ? " (timestamp)" : "");
		free(n);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		last = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1) : cur;
		end = trust_name_line(last ? (X509_check_issued(last, last) == X509_V_OK
						      ? X509_get_subject_name(last)
						      : X509_get_issuer_name(last))
					   : NULL);
		*reason = xasprintf("chain ends at '%s', not a trusted anchor", end);
		free(end);
		break;
	default:
		n = short_name(cur);
		*reason = xasprintf("certificate '%s': %s", n, X509_verify_cert_error_string(e));
		free(n);
		break;
	}
	return SIG_UNTRUSTED;
}

static bool eku_allows(X509 *x, enum trust_purpose p, bool required)
{
	uint32_t want = p == TRUST_CODE_SIGNING ? XKU_CODE_SIGN : XKU_TIMESTAMP;

	if (!(X509_get_extension_flags(x) & EXFLAG_XKUSAGE))
		return !required;
	return (X509_get_extended_key_usage(x) & (want | XKU_ANYEKU)) != 0;
}

static enum sig_status rules(const struct trust_ctx *t, STACK_OF(X509) *chain, time_t when,
			     enum trust_purpose p, const struct trust_anchor **anchor, char **reason)
{
	int n = sk_X509_num(chain);
	X509 *leaf = sk_X509_value(chain, 0), *root = sk_X509_value(chain, n - 1);
	const struct trust_anchor *a = trust_anchor_of(trust_ctx_anchors(t), root);
	const char *what = p == TRUST_CODE_SIGNING ? "code signing" : "time stamping";
	char at[32];
	time_t issued;

	for (int i = 0; i < n; i++) {
		if (trust_explicit_curve(sk_X509_value(chain, i))) {
			*reason = about(sk_X509_value(chain, i), "",
					" uses explicit elliptic-curve parameters (CVE-2020-0601 forgery)");
			return SIG_INVALID;
		}
	}
	*anchor = a;
	if (!a) {
		char *end = trust_name_line(X509_get_subject_name(root));

		*reason = xasprintf("chain ends at '%s', not a trusted anchor", end);
		free(end);
		return SIG_UNTRUSTED;
	}
	if (!eku_allows(leaf, p, true)) {
		*reason = about(leaf, "", p == TRUST_CODE_SIGNING ? " is not for code signing" : " is not for time stamping");
		return SIG_UNTRUSTED;
	}
	for (int i = 1; i < n - 1; i++) {
		if (!eku_allows(sk_X509_value(chain, i), p, false)) {
			*reason = about(sk_X509_value(chain, i), "CA ",
					p == TRUST_CODE_SIGNING ? " does not allow code signing" : " does not allow time stamping");
			return SIG_UNTRUSTED;
		}
	}
	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) && !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
		*reason = about(leaf, "", " has no digitalSignature key usage");
		return SIG_UNTRUSTED;
	}
	if (!a->any_eku && !(p == TRUST_CODE_SIGNING ? a->code_signing : a->time_stamping)) {
		*reason = xasprintf("root '%s' is not allowed for %s", anchor_label(a), what);
		return SIG_UNTRUSTED;
	}
	if (a->disallowed_after && when >= a->disallowed_after) {
		ks_iso_time(a->disallowed_after, at, sizeof(at));
		*reason = xasprintf("root '%s' is disabled since %s", anchor_label(a), at);
		return SIG_UNTRUSTED;
	}
	issued = asn1_time(X509_get0_notBefore(leaf));
	if (a->not_before && issued >= a->not_before &&
	    (p == TRUST_CODE_SIGNING ? a->not_before_code_signing : a->not_before_time_stamping)) {
		ks_iso_time(a->not_before, at, sizeof(at));
		*reason = xasprintf("root '%s' does not vouch for %s by certificates issued since %s",
				    anchor_label(a), what, at);
		return SIG_UNTRUSTED;
	}
	return SIG_VALID;
}

enum sig_status trust_chain_check(const struct trust_ctx *t, X509 *leaf, STACK_OF(X509) *untrusted,
				  time_t when, bool when_is_timestamp, enum trust_purpose purpose,
				  const struct trust_anchor **anchor, char **reason)
{
	X509_STORE_CTX *sc;
	enum sig_status st;

	*anchor = NULL;
	*reason = NULL;
	if (trust_explicit_curve(leaf)) {
		*reason = about(leaf, "", " uses explicit elliptic-curve parameters (CVE-2020-0601 forgery)");
		return SIG_INVALID;
	}
	for (int i = 0; i < sk_X509_num(untrusted); i++) {
		if (trust_explicit_curve(sk_X509_value(untrusted, i))) {
			*reason = about(sk_X509_value(untrusted, i), "",
					" uses explicit elliptic-curve parameters (CVE-2020-0601 forgery)");
			return SIG_INVALID;
		}
	}
	sc = X509_STORE_CTX_new();
	if (!sc || !X509_STORE_CTX_init(sc, trust_ctx_store(t), leaf, untrusted))
		ks_oom(0);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(sc), when);
	if (X509_verify_cert(sc) == 1)
		st = rules(t, X509_STORE_CTX_get0_chain(sc), when, purpose, anchor, reason);
	else
		st = path_failed(sc, when, when_is_timestamp, reason);
	X509_STORE_CTX_free(sc);
	ERR_clear_error();
	return st;
}

/* Microsoft's Windows signing certificates: the leaves that sign Windows'
 * own files and the drivers Microsoft vouches for (WHQL). The caller also
 * requires the chain to end at a Microsoft root. docs/trust.md lists them. */
static const char *const windows_signers[] = {
	"Microsoft Windows",
	"Microsoft Windows Publisher",
	"Microsoft Windows Hardware Compatibility Publisher",
	"Microsoft Windows Hardware Abstraction Layer Publisher",
	"Microsoft Windows Early Launch Anti-malware Publisher",
	"Microsoft Windows Component Publisher",
	"Microsoft Windows Kits Publisher",
	"Microsoft Windows Third Party Component Publisher",
};

bool trust_is_windows_signer(const char *subject_cn, const char *subject_o)
{
	if (!subject_cn || (subject_o && strcmp(subject_o, "Microsoft Corporation")))
		return false;
	for (size_t i = 0; i < sizeof(windows_signers) / sizeof(windows_signers[0]); i++)
		if (!strcmp(subject_cn, windows_signers[i]))
			return true;
	return false;
}
