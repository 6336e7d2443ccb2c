/* certstore: the certificates an image's registry keeps (the "Blob" values
 * of ...\SystemCertificates\<store>\Certificates\<sha1>): a serialized
 * property list whose CERT_CERT_PROP_ID (32) is the DER certificate, or,
 * in the Group Policy stores, the DER certificate itself. The bytes come
 * from the image: every length is checked against what is left. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "trust_internal.h"
#include <kenshu/banned.h>

enum {
	PROP_FRIENDLY_NAME = 11,
	PROP_CERT = 32,
};

/* A subject or issuer in one line, "CN=..., O=..., C=..." (most specific
 * first, as Windows shows it), control characters replaced. */
static char *name_line(const X509_NAME *n)
{
	unsigned long flags = (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~XN_FLAG_SEP_MASK) | XN_FLAG_SEP_CPLUS_SPC;
	struct strbuf sb = STRBUF_INIT;
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long len;

	if (!b)
		ks_oom(0);
	if (X509_NAME_print_ex(b, n, 0, flags) < 0)
		BIO_reset(b);
	len = BIO_get_mem_data(b, &p);
	strbuf_add_printable(&sb, p, len > 0 ? (size_t)len : 0, false);
	BIO_free(b);
	return strbuf_detach(&sb, NULL);
}

static void iso_of(const ASN1_TIME *t, char out[21])
{
	struct tm tm;

	out[0] = '\0';
	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		ks_iso_time(timegm(&tm), out, 21);
}

/* No EKU extension allows every use; otherwise code signing or
 * anyExtendedKeyUsage must be listed. A damaged extension allows nothing. */
static bool allows_code_signing(X509 *x)
{
	int crit = 0;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	bool ok = false;

	if (!eku)
		return crit == -1;
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));

		if (nid == NID_code_sign || nid == NID_anyExtendedKeyUsage)
			ok = true;
	}
	EXTENDED_KEY_USAGE_free(eku);
	return ok;
}

static int fill_from_der(const unsigned char *der, size_t len, struct certstore_cert *out, struct ks_err *err)
{
	const unsigned char *p = der;
	unsigned char md[20];
	unsigned mdlen = 0;
	X509 *x;

	if (len > LONG_MAX || !(x = d2i_X509(NULL, &p, (long)len))) {
		trust_oom_if_malloc_failed();
		return ks_fail(err, KS_EINPUT, "the certificate is not valid DER");
	}
	/* The thumbprint is of the certificate's own bytes, not of what a
	 * value holds after it. */
	len = (size_t)(p - der);
	if (EVP_Digest(der, len, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20) {
		X509_free(x);
		return ks_fail(err, KS_EINPUT, "cannot hash the certificate");
	}
	for (unsigned i = 0; i < 20; i++) {
		out->sha1[2 * i] = "0123456789abcdef"[md[i] >> 4];
		out->sha1[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	out->sha1[40] = '\0';
	out->subject = name_line(X509_get_subject_name(x));
	out->issuer = name_line(X509_get_issuer_name(x));
	iso_of(X509_get0_notBefore(x), out->not_before);
	iso_of(X509_get0_notAfter(x), out->not_after);
	out->code_signing_eku = allows_code_signing(x);
	/* By its own signature, not by names alone: a forged issuer name
	 * does not make a root. */
	out->self_signed = X509_self_signed(x, 1) == 1;
	X509_free(x);
	return 0;
}

void certstore_cert_release(struct certstore_cert *c)
{
	if (!c)
		return;
	free(c->subject);
	free(c->issuer);
	free(c->friendly_name);
	memset(c, 0, sizeof(*c));
}

int certstore_blob_parse(const void *data, size_t size, struct certstore_cert *out, struct ks_err *err)
{
	const unsigned char *p = data;
	const unsigned char *der = NULL;
	size_t der_len = 0, off = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	/* A DER certificate starts with SEQUENCE and a long-form length; a
	 * property list with a small property id, never 0x30. */
	if (size >= 2 && p[0] == 0x30 && (p[1] & 0x80))
		return fill_from_der(p, size, out, err);
	while (off < size) {
		uint32_t id, len;

		if (size - off < 12) {
			certstore_cert_release(out);
			return ks_fail(err, KS_EINPUT, "certificate blob: a property header is cut at byte %zu", off);
		}
		id = load_le32(p + off);
		len = load_le32(p + off + 8);
		off += 12;
		if (len > size - off) {
			certstore_cert_release(out);
			return ks_fail(err, KS_EINPUT,
				       "certificate blob: property %u claims %u bytes, %zu are left", id, len, size - off);
		}
		if (id == PROP_CERT && !der) {
			der = p + off;
			der_len = len;
		} else if (id == PROP_FRIENDLY_NAME && !out->friendly_name) {
			size_t units = len / 2;

			while (units && p[off + 2 * units - 2] == 0 && p[off + 2 * units - 1] == 0)
				units--;
			out->friendly_name = utf16le_to_utf8(p + off, units, NULL);
		}
		off += len;
	}
	if (!der) {
		certstore_cert_release(out);
		return ks_fail(err, KS_EINPUT, "certificate blob: no certificate property");
	}
	rc = fill_from_der(der, der_len, out, err);
	if (rc < 0)
		certstore_cert_release(out);
	return rc;
}
