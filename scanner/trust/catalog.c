/* catalog: certificate trust lists — the Windows catalogs of CatRoot
 * (member digests of the files Windows vouches for) and authroot.stl (the
 * root program's roots with their constraints) — and their indexing.
 * (catalog_add.c feeds the index; this file stands alone so that the
 * parser links, and is tested and fuzzed, without the verifier.)
 *
 * The outer PKCS#7 goes through OpenSSL (d2i_PKCS7), which hands back the
 * CTL as the raw DER of an unknown content type; the CTL itself is walked
 * here with a bounded DER reader: every length is checked against what is
 * left of its parent, every loop consumes at least two bytes, no
 * recursion, so hostile input ends in an error, never an over-read. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "trust_internal.h"
#include <kenshu/banned.h>

/* OIDs as the content bytes of their DER encoding. */
#define MS "\x2b\x06\x01\x04\x01\x82\x37" /* 1.3.6.1.4.1.311 */
static const char OID_CTL[] = MS "\x0a\x01";               /* szOID_CTL */
static const char OID_ROOT_LIST[] = MS "\x0a\x03\x09";     /* szOID_ROOT_LIST_SIGNER */
static const char OID_INDIRECT[] = MS "\x02\x01\x04";      /* SPC_INDIRECT_DATA_OBJID */
static const char OID_PE_IMAGE[] = MS "\x02\x01\x0f";      /* SPC_PE_IMAGE_DATAOBJ */
static const char OID_NAMEVALUE[] = MS "\x0c\x02\x01";     /* CAT_NAMEVALUE_OBJID */
static const char OID_ROOT_PROP[] = MS "\x0a\x0b";         /* 1.3.6.1.4.1.311.10.11.<prop id> */
static const char OID_EKU_CODE[] = "\x2b\x06\x01\x05\x05\x07\x03\x03";
static const char OID_EKU_TIME[] = "\x2b\x06\x01\x05\x05\x07\x03\x08";
static const char OID_EKU_ANY[] = "\x55\x1d\x25\x00";

/* The root program's property ids (CERT_*_PROP_ID) in authroot.stl. */
enum {
	PROP_EKU = 9,
	PROP_FRIENDLY_NAME = 11,
	PROP_DISALLOWED_FILETIME = 104,
	PROP_DISALLOWED_EKU = 122,
	PROP_NOT_BEFORE_FILETIME = 126,
	PROP_NOT_BEFORE_EKU = 127,
};

enum {
	T_INTEGER = 0x02,
	T_OCTETS = 0x04,
	T_OID = 0x06,
	T_UTCTIME = 0x17,
	T_GENTIME = 0x18,
	T_BMP = 0x1e,
	T_SEQ = 0x30,
	T_SET = 0x31,
	T_CTX0 = 0xa0,
};

struct der {
	const unsigned char *p;
	size_t n;
};

/* Takes one definite-length TLV off the front of *d: its tag, its content
 * and (tlv, may be NULL) the whole encoding. High tag numbers and lengths
 * past 2^32 are refused: nothing a CTL holds needs them. */
static bool der_get(struct der *d, unsigned char *tag, struct der *val, struct der *tlv)
{
	size_t len, hl = 2;

	if (d->n < 2 || (d->p[0] & 0x1f) == 0x1f)
		return false;
	len = d->p[1];
	if (len & 0x80) {
		size_t k = len & 0x7f;

		if (k == 0 || k > 4 || d->n - 2 < k)
			return false;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | d->p[2 + i];
		hl += k;
	}
	if (len > d->n - hl)
		return false;
	*tag = d->p[0];
	val->p = d->p + hl;
	val->n = len;
	if (tlv) {
		tlv->p = d->p;
		tlv->n = hl + len;
	}
	d->p += hl + len;
	d->n -= hl + len;
	return true;
}

/* Like der_get, but only a TLV of this tag; *d is untouched otherwise. */
static bool der_want(struct der *d, unsigned char tag, struct der *val)
{
	struct der save = *d;
	unsigned char t;

	if (!der_get(d, &t, val, NULL))
		return false;
	if (t != tag) {
		*d = save;
		return false;
	}
	return true;
}

static unsigned char der_peek(const struct der *d)
{
	return d->n ? d->p[0] : 0;
}

static bool oid_is(const struct der *oid, const char *want, size_t want_len)
{
	return oid->n == want_len && memcmp(oid->p, want, want_len) == 0;
}

#define OID_IS(o, c) oid_is((o), (c), sizeof(c) - 1)

/* Dotted text of an OID's content bytes, or NULL when malformed. */
static char *oid_text(const struct der *oid)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t v = 0;
	bool first = true;

	if (oid->n == 0 || (oid->p[oid->n - 1] & 0x80))
		return NULL;
	for (size_t i = 0; i < oid->n; i++) {
		if (v > (UINT64_MAX >> 7)) {
			strbuf_release(&sb);
			return NULL;
		}
		v = v << 7 | (oid->p[i] & 0x7f);
		if (oid->p[i] & 0x80)
			continue;
		if (first) {
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;

			strbuf_addf(&sb, "%u.%llu", a, (unsigned long long)(v - 40u * a));
			first = false;
		} else {
			strbuf_addf(&sb, ".%llu", (unsigned long long)v);
		}
		v = 0;
	}
	return strbuf_detach(&sb, NULL);
}

static char *hex_of(const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char *s = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		s[2 * i] = hx[p[i] >> 4];
		s[2 * i + 1] = hx[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

/* UTF-16LE text that may end in NULs (the catalog writers store the
 * terminator) as UTF-8. */
static char *utf16_value(const struct der *v)
{
	size_t units = v->n / 2;

	while (units && v->p[2 * units - 2] == 0 && v->p[2 * units - 1] == 0)
		units--;
	return utf16le_to_utf8(v->p, units, NULL);
}

/* A UTCTime or GeneralizedTime TLV as time_t, through OpenSSL's checks. */
static bool der_time(const struct der *tlv, time_t *out)
{
	const unsigned char *p = tlv->p;
	ASN1_TIME *t = d2i_ASN1_TIME(NULL, &p, (long)tlv->n);
	struct tm tm;
	bool ok;

	if (!t)
		return false;
	ok = ASN1_TIME_to_tm(t, &tm) == 1;
	ASN1_TIME_free(t);
	if (!ok)
		return false;
	*out = timegm(&tm);
	return true;
}

/* A FILETIME (100 ns since 1601, little-endian) as time_t; 1 for a date
 * before 1970, so that a set date never reads as "none". */
static time_t filetime_of(const struct der *v)
{
	uint64_t ft = 0;
	int64_t s;

	for (int i = 7; i >= 0; i--)
		ft = ft << 8 | v->p[i];
	s = (int64_t)(ft / 10000000u) - INT64_C(11644473600);
	return s > 0 ? (time_t)s : 1;
}

/* ---- members ---- */

struct parse {
	const char *name;
	struct ks_err *err;
	struct ctl *c;
	size_t cap;
	bool roots;       /* authroot.stl: properties, not file digests */
};

static int damaged(struct parse *ps, const char *what)
{
	return ks_fail(ps->err, KS_EINPUT, "'%s': damaged certificate trust list: %s", ps->name, what);
}

/* The first value of an attribute's SET OF. */
static bool first_value(const struct der *set, unsigned char *tag, struct der *val)
{
	struct der s = *set;

	return der_get(&s, tag, val, NULL);
}

/* SpcIndirectDataContent: the member's digest and whether it is a PE's. */
static bool indirect_digest(const struct der *val, struct ctl_member *m)
{
	struct der in = *val, type_val, type, dinfo, alg, dig;

	if (!der_want(&in, T_SEQ, &type_val) || !der_want(&type_val, T_OID, &type) ||
	    !der_want(&in, T_SEQ, &dinfo) || !der_want(&dinfo, T_SEQ, &alg) || !der_want(&dinfo, T_OCTETS, &dig))
		return false;
	if (dig.n != 20 && dig.n != 32)
		return false;
	memcpy(m->digest, dig.p, dig.n);
	m->digest_len = dig.n;
	m->pe = OID_IS(&type, OID_PE_IMAGE);
	return true;
}

/* CAT_NAMEVALUE { BMPString tag, INTEGER flags, OCTET STRING value }: the
 * value of the "File" tag (case as the writer chose). */
static char *namevalue_file(const struct der *val)
{
	static const char file_be[] = { 0, 'f', 0, 'i', 0, 'l', 0, 'e' };
	struct der in = *val, tag, flags, v;

	if (!der_want(&in, T_BMP, &tag) || !der_want(&in, T_INTEGER, &flags) || !der_want(&in, T_OCTETS, &v))
		return NULL;
	if (tag.n != sizeof(file_be))
		return NULL;
	for (size_t i = 0; i < tag.n; i++)
		if ((tag.p[i] | (i & 1 ? 0x20 : 0)) != file_be[i])
			return NULL;
	return utf16_value(&v);
}

static int hexval(unsigned c)
{
	return c >= '0' && c <= '9' ? (int)c - '0' : c >= 'a' && c <= 'f' ? (int)c - 'a' + 10
		: c >= 'A' && c <= 'F' ? (int)c - 'A' + 10 : -1;
}

/* A subject identifier as a digest: the raw 20 or 32 bytes (catalogs of
 * version 2, authroot.stl), or the hash as upper-case hex in UTF-16LE with
 * a NUL (version 1 catalogs, e.g. catfiletest.cat). */
static bool subject_digest(const struct der *id, struct ctl_member *m)
{
	size_t units = id->n / 2;

	if (id->n == 20 || id->n == 32) {
		memcpy(m->digest, id->p, id->n);
		m->digest_len = id->n;
		return true;
	}
	if (id->n % 2)
		return false;
	if (units && id->p[2 * units - 2] == 0 && id->p[2 * units - 1] == 0)
		units--;
	if (units != 40 && units != 64)
		return false;
	for (size_t i = 0; i < units / 2; i++) {
		const unsigned char *u = id->p + 4 * i;
		int hi = u[1] ? -1 : hexval(u[0]), lo = u[3] ? -1 : hexval(u[2]);

		if (hi < 0 || lo < 0)
			return false;
		m->digest[i] = (unsigned char)(hi << 4 | lo);
	}
	m->digest_len = units / 2;
	return true;
}

/* Code signing (and time stamping) in a DER SEQUENCE OF OID. */
static bool eku_list(const struct der *v, bool *code, bool *time_st)
{
	struct der in = *v, seq, oid;

	*code = *time_st = false;
	if (!der_want(&in, T_SEQ, &seq))
		return false;
	while (seq.n) {
		if (!der_want(&seq, T_OID, &oid))
			return false;
		if (OID_IS(&oid, OID_EKU_ANY))
			*code = *time_st = true;
		else if (OID_IS(&oid, OID_EKU_CODE))
			*code = true;
		else if (OID_IS(&oid, OID_EKU_TIME))
			*time_st = true;
	}
	return true;
}

/* One property of the root program (attribute 1.3.6.1.4.1.311.10.11.id,
 * its value a SET OF OCTET STRING). */
static int root_prop(struct parse *ps, unsigned id, const struct der *values, struct trust_anchor *a,
		     bool *nb_eku_seen)
{
	unsigned char tag;
	struct der v;
	bool code, time_st;

	if (!first_value(values, &tag, &v) || tag != T_OCTETS)
		return damaged(ps, "a root property is not an octet string");
	/* The program writes empty values for properties it cleared. */
	if (v.n == 0)
		return 0;
	switch (id) {
	case PROP_EKU:
		if (!eku_list(&v, &code, &time_st))
			return damaged(ps, "a root's EKU list");
		a->any_eku = false;
		a->code_signing = code;
		a->time_stamping = time_st;
		break;
	case PROP_FRIENDLY_NAME:
		free(a->friendly_name);
		a->friendly_name = utf16_value(&v);
		break;
	case PROP_DISALLOWED_FILETIME:
	case PROP_NOT_BEFORE_FILETIME:
		if (v.n != 8)
			return damaged(ps, "a root's FILETIME is not 8 bytes");
		*(id == PROP_DISALLOWED_FILETIME ? &a->disallowed_after : &a->not_before) = filetime_of(&v);
		break;
	case PROP_DISALLOWED_EKU:
		if (!eku_list(&v, &code, &time_st))
			return damaged(ps, "a root's disallowed EKU list");
		a->disallowed_not_code_signing = !code;
		break;
	case PROP_NOT_BEFORE_EKU:
		if (!eku_list(&v, &code, &time_st))
			return damaged(ps, "a root's not-before EKU list");
		a->not_before_code_signing = code;
		*nb_eku_seen = true;
		break;
	default:
		break;
	}
	return 0;
}

/* TrustedSubject ::= SEQUENCE { subjectIdentifier OCTET STRING,
 * subjectAttributes SET OF Attribute OPTIONAL }. A member whose digest
 * kenshu cannot tell (another algorithm, an identifier of another form)
 * is left out, not an error. */
static int member(struct parse *ps, struct der *subj)
{
	struct ctl_member m = { 0 };
	struct trust_anchor a = { .any_eku = true, .code_signing = true, .time_stamping = true };
	struct der id, attrs = { 0 }, attr, type, values;
	bool have_digest = false, nb_eku_seen = false;
	unsigned char tag;
	struct der val;

	if (!der_want(subj, T_OCTETS, &id))
		return damaged(ps, "a subject without an identifier");
	if (subj->n && !der_want(subj, T_SET, &attrs))
		return damaged(ps, "a subject's attributes are not a set");
	while (attrs.n) {
		if (!der_want(&attrs, T_SEQ, &attr) || !der_want(&attr, T_OID, &type) ||
		    !der_want(&attr, T_SET, &values)) {
			free(m.file_name);
			free(a.friendly_name);
			return damaged(ps, "a subject attribute");
		}
		if (ps->roots) {
			if (type.n == sizeof(OID_ROOT_PROP) && memcmp(type.p, OID_ROOT_PROP, sizeof(OID_ROOT_PROP) - 1) == 0 &&
			    !(type.p[type.n - 1] & 0x80) &&
			    root_prop(ps, type.p[type.n - 1], &values, &a, &nb_eku_seen) < 0) {
				free(a.friendly_name);
				return -1;
			}
			continue;
		}
		if (!first_value(&values, &tag, &val) || tag != T_SEQ)
			continue;
		if (OID_IS(&type, OID_INDIRECT)) {
			have_digest = indirect_digest(&val, &m);
		} else if (OID_IS(&type, OID_NAMEVALUE) && !m.file_name) {
			m.file_name = namevalue_file(&val);
		}
	}
	if (!have_digest) {
		m.pe = false;
		have_digest = ps->roots ? id.n == 20 && subject_digest(&id, &m) : subject_digest(&id, &m);
	}
	if (!have_digest) {
		free(m.file_name);
		free(a.friendly_name);
		return 0;
	}
	if (ps->c->nmembers == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 16;
		ps->c->members = xrealloc(ps->c->members, ps->cap * sizeof(*ps->c->members));
		if (ps->roots)
			ps->c->props = xrealloc(ps->c->props, ps->cap * sizeof(*ps->c->props));
	}
	if (ps->roots) {
		char *h = hex_of(m.digest, 20);

		memcpy(a.sha1, h, 41);
		free(h);
		/* The program's not-before date without an EKU list holds for
		 * every use, code signing included. */
		if (a.not_before && !nb_eku_seen)
			a.not_before_code_signing = true;
		ps->c->props[ps->c->nmembers] = a;
	}
	ps->c->members[ps->c->nmembers++] = m;
	return 0;
}

/* CertificateTrustList ::= SEQUENCE { version INTEGER DEFAULT 0,
 * subjectUsage SEQUENCE OF OID, listIdentifier OCTET STRING OPTIONAL,
 * sequenceNumber INTEGER OPTIONAL, thisUpdate Time, nextUpdate Time
 * OPTIONAL, subjectAlgorithm AlgorithmIdentifier, trustedSubjects
 * SEQUENCE OF TrustedSubject OPTIONAL, extensions [0] OPTIONAL } */
static int ctl_body(struct parse *ps, const struct der *body)
{
	struct der in = *body, ctl, usage, oid, v, subjects, subj, tlv;
	unsigned char tag;

	if (!der_want(&in, T_SEQ, &ctl))
		return damaged(ps, "not a sequence");
	(void)der_want(&ctl, T_INTEGER, &v);
	if (!der_want(&ctl, T_SEQ, &usage))
		return damaged(ps, "no subject usage");
	if (!der_want(&usage, T_OID, &oid) || !(ps->c->usage = oid_text(&oid)))
		return damaged(ps, "subject usage is not an OID");
	ps->roots = OID_IS(&oid, OID_ROOT_LIST);
	if (der_want(&ctl, T_OCTETS, &v))
		ps->c->list_id = hex_of(v.p, v.n > 64 ? 64 : v.n);
	(void)der_want(&ctl, T_INTEGER, &v);
	if (!der_get(&ctl, &tag, &v, &tlv) || (tag != T_UTCTIME && tag != T_GENTIME) ||
	    !der_time(&tlv, &ps->c->this_update))
		return damaged(ps, "no valid thisUpdate time");
	if (der_peek(&ctl) == T_UTCTIME || der_peek(&ctl) == T_GENTIME)
		(void)der_get(&ctl, &tag, &v, NULL);
	if (!der_want(&ctl, T_SEQ, &v))
		return damaged(ps, "no subject algorithm");
	if (!der_want(&ctl, T_SEQ, &subjects))
		subjects.n = 0;
	while (subjects.n) {
		if (!der_want(&subjects, T_SEQ, &subj))
			return damaged(ps, "a subject is not a sequence");
		if (member(ps, &subj) < 0)
			return -1;
	}
	if (ctl.n && der_peek(&ctl) != T_CTX0)
		return damaged(ps, "unexpected data after the subjects");
	return 0;
}

void ctl_release(struct ctl *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nmembers; i++) {
		free(c->members[i].file_name);
		if (c->props)
			free(c->props[i].friendly_name);
	}
	free(c->members);
	free(c->props);
	free(c->list_id);
	free(c->usage);
	memset(c, 0, sizeof(*c));
}

int ctl_parse(const void *data, size_t size, const char *name, struct ctl *out, struct ks_err *err)
{
	const unsigned char *p = data;
	struct parse ps = { .name = name, .err = err, .c = out };
	PKCS7 *p7;
	PKCS7 *inner;
	const ASN1_TYPE *content;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (size > LONG_MAX)
		return ks_fail(err, KS_EINPUT, "'%s': too large for a certificate trust list", name);
	p7 = d2i_PKCS7(NULL, &p, (long)size);
	if (!p7) {
		trust_oom_if_malloc_failed();
		return ks_fail(err, KS_EINPUT, "'%s': not a PKCS#7 structure", name);
	}
	if (!PKCS7_type_is_signed(p7) || !p7->d.sign || !(inner = p7->d.sign->contents) || !inner->type) {
		ks_fail(err, KS_EINPUT, "'%s': not a PKCS#7 SignedData with content", name);
		goto out;
	}
	if (OBJ_length(inner->type) != sizeof(OID_CTL) - 1 ||
	    memcmp(OBJ_get0_data(inner->type), OID_CTL, sizeof(OID_CTL) - 1) != 0) {
		ks_fail(err, KS_EINPUT, "'%s': the signed content is not a certificate trust list", name);
		goto out;
	}
	content = inner->d.other;
	if (!content || content->type != V_ASN1_SEQUENCE || !content->value.sequence ||
	    content->value.sequence->length <= 0) {
		ks_fail(err, KS_EINPUT, "'%s': the certificate trust list is missing or not a sequence", name);
		goto out;
	}
	rc = ctl_body(&ps, &(struct der){ content->value.sequence->data, (size_t)content->value.sequence->length });
out:
	PKCS7_free(p7);
	if (rc < 0)
		ctl_release(out);
	return rc;
}
