/*
 * mkcat - write a Windows catalog (a signed certificate trust list of file
 * digests) the way MakeCat and signtool do, for catalog-signed and
 * catalog-tampered test cases.
 *
 *	mkcat -key KEY.pem -cert CERT.pem [-chain CHAIN.pem] [-v2] [-tamper]
 *	      [-time UNIX] -out OUT.cat MEMBER...
 *
 * MEMBER is pe:sha1|sha256:HEX:NAME (an Authenticode digest, as
 * `osslsigncode extract-data` prints it) or flat:sha1|sha256:HEX:NAME (the
 * digest of the whole file, e.g. an .inf).
 *
 * The output is PKCS#7 SignedData (DER) whose content is the CTL itself
 * ([0] EXPLICIT CertificateTrustList, eContentType szOID_CTL
 * 1.3.6.1.4.1.311.10.1, as Authenticode writes it, not CMS's OCTET
 * STRING), usage szOID_CATALOG_LIST 1.3.6.1.4.1.311.12.1.1, one trusted
 * subject per member with the attributes real catalogs carry: the member
 * info, a CAT_NAMEVALUE "File" (UTF-16LE) and SPC_INDIRECT_DATA holding
 * the digest (SPC_PE_IMAGE_DATAOBJ for pe:, SPC_CAB_DATA_OBJID for
 * flat:). Subject identifiers are the digest as upper-case hex in UTF-16LE
 * (catalog version 1, member algorithm 1.3.6.1.4.1.311.12.1.2) or, with
 * -v2, the digest's bytes (1.3.6.1.4.1.311.12.1.3). One signer (SHA-256,
 * RSA or ECDSA key) with the signed attributes contentType,
 * SpcSpOpusInfo and messageDigest, the digest over the CTL's DER value
 * (its contents without the outer tag and length). CERT and CHAIN
 * certificates go into the certificate set.
 *
 * -tamper flips the first byte of every copy of the first member's digest
 * after signing: the content no longer matches messageDigest.
 * -time sets thisUpdate (default: now).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define PROG "mkcat"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- a tiny DER writer: every value is a malloc'd byte string ---- */

struct bs {
	unsigned char *p;
	size_t n;
};

static void *xalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

static struct bs raw(const void *p, size_t n)
{
	struct bs b = { xalloc(n), n };

	memcpy(b.p, p, n);
	return b;
}

static void cat_to(struct bs *dst, struct bs add)
{
	unsigned char *p = xalloc(dst->n + add.n);

	if (dst->n)
		memcpy(p, dst->p, dst->n);
	memcpy(p + dst->n, add.p, add.n);
	free(dst->p);
	free(add.p);
	dst->p = p;
	dst->n += add.n;
}

/* TAG LENGTH content; consumes content. */
static struct bs tlv(unsigned char tag, struct bs content)
{
	unsigned char hdr[6];
	size_t hl = 0, n = content.n;
	struct bs out;

	hdr[hl++] = tag;
	if (n < 0x80) {
		hdr[hl++] = (unsigned char)n;
	} else {
		int k = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;

		hdr[hl++] = (unsigned char)(0x80 | k);
		for (int i = k - 1; i >= 0; i--)
			hdr[hl++] = (unsigned char)(n >> (8 * i));
	}
	out = raw(hdr, hl);
	cat_to(&out, content);
	return out;
}

/* TAG LENGTH and the count values after it, concatenated; consumes them. */
static struct bs seq_of(unsigned char tag, int count, ...)
{
	struct bs all = { NULL, 0 };
	va_list ap;

	va_start(ap, count);
	for (int i = 0; i < count; i++)
		cat_to(&all, va_arg(ap, struct bs));
	va_end(ap);
	return tlv(tag, all);
}

static int bs_cmp(const void *a, const void *b)
{
	const struct bs *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->p, y->p, n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* DER SET OF: the elements in the order of their encodings. */
static struct bs set_sorted(struct bs *el, int count)
{
	struct bs all = { NULL, 0 };

	qsort(el, (size_t)count, sizeof(*el), bs_cmp);
	for (int i = 0; i < count; i++)
		cat_to(&all, el[i]);
	return tlv(0x31, all);
}

static struct bs oid(const char *der_content, size_t n)
{
	return tlv(0x06, raw(der_content, n));
}

#define OID(s) oid((s), sizeof(s) - 1)
#define MS "\x2b\x06\x01\x04\x01\x82\x37"

static struct bs null_der(void)
{
	return raw("\x05\x00", 2);
}

static struct bs octets(const void *p, size_t n)
{
	return tlv(0x04, raw(p, n));
}

/* ASCII as UTF-16: little-endian with a NUL (catalog values), or
 * big-endian without (BMPString). */
static struct bs utf16(const char *s, int big_endian, int nul)
{
	size_t n = strlen(s) + (nul ? 1 : 0);
	unsigned char *p = xalloc(2 * n);
	struct bs b;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		p[2 * i] = big_endian ? 0 : c;
		p[2 * i + 1] = big_endian ? c : 0;
	}
	b.p = p;
	b.n = 2 * n;
	return b;
}

static struct bs integer(unsigned long v)
{
	unsigned char b[9];
	int n = 0;

	do {
		b[8 - n++] = (unsigned char)v;
		v >>= 8;
	} while (v);
	if (b[9 - n] & 0x80)
		b[8 - n++] = 0;
	return tlv(0x02, raw(b + 9 - n, (size_t)n));
}

static struct bs attribute(struct bs type, struct bs value)
{
	return seq_of(0x30, 2, type, seq_of(0x31, 1, value));
}

/* CAT_NAMEVALUE { BMPString name, INTEGER flags, OCTET STRING value } */
static struct bs namevalue(const char *name, const char *value)
{
	struct bs v = utf16(value, 0, 1);

	return seq_of(0x30, 3, tlv(0x1e, utf16(name, 1, 0)), integer(0x10010001), tlv(0x04, v));
}

/* ---- members ---- */

struct member {
	int pe;
	int sha256;
	unsigned char digest[32];
	size_t len;
	const char *name;
};

static int hexv(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void parse_member(const char *arg, struct member *m)
{
	const char *alg, *hex, *name;
	size_t hexlen;

	if (strncmp(arg, "pe:", 3) == 0)
		m->pe = 1;
	else if (strncmp(arg, "flat:", 5) != 0)
		die("'%s': a member is pe:ALG:HEX:NAME or flat:ALG:HEX:NAME", arg);
	alg = strchr(arg, ':') + 1;
	hex = strchr(alg, ':');
	if (!hex)
		die("'%s': no digest", arg);
	hex++;
	name = strchr(hex, ':');
	if (!name)
		die("'%s': no name", arg);
	hexlen = (size_t)(name - hex);
	name++;
	if (strncmp(alg, "sha256:", 7) == 0)
		m->sha256 = 1;
	else if (strncmp(alg, "sha1:", 5) != 0)
		die("'%s': the algorithm is sha1 or sha256", arg);
	m->len = m->sha256 ? 32 : 20;
	if (hexlen != 2 * m->len)
		die("'%s': a %s digest has %zu hex digits", arg, m->sha256 ? "sha256" : "sha1", 2 * m->len);
	for (size_t i = 0; i < m->len; i++) {
		int hi = hexv(hex[2 * i]), lo = hexv(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			die("'%s': the digest is not hex", arg);
		m->digest[i] = (unsigned char)(hi << 4 | lo);
	}
	m->name = name;
}

static struct bs alg_id(int sha256)
{
	return sha256 ? seq_of(0x30, 2, OID("\x60\x86\x48\x01\x65\x03\x04\x02\x01"), null_der())
		      : seq_of(0x30, 2, OID("\x2b\x0e\x03\x02\x1a"), null_der());
}

static struct bs trusted_subject(const struct member *m, int v2)
{
	struct bs attrs[3], id, type_value, indirect;
	char hex[65];

	if (v2) {
		id = octets(m->digest, m->len);
	} else {
		for (size_t i = 0; i < m->len; i++)
			snprintf(hex + 2 * i, 3, "%02X", m->digest[i]);
		id = tlv(0x04, utf16(hex, 0, 1));
	}
	if (m->pe)
		/* SpcPeImageData { flags BIT STRING, file [0] { [2] { [0] "" } } } */
		type_value = seq_of(0x30, 2, OID(MS "\x02\x01\x0f"),
				    seq_of(0x30, 2, raw("\x03\x02\x05\xa0", 4), raw("\xa0\x04\xa2\x02\x80\x00", 6)));
	else
		type_value = seq_of(0x30, 2, OID(MS "\x02\x01\x19"), raw("\xa2\x02\x80\x00", 4));
	indirect = seq_of(0x30, 2, type_value, seq_of(0x30, 2, alg_id(m->sha256), octets(m->digest, m->len)));
	attrs[0] = attribute(OID(MS "\x02\x01\x04"), indirect);
	attrs[1] = attribute(OID(MS "\x0c\x02\x01"), namevalue("File", m->name));
	/* CAT_MEMBERINFO { subject GUID, cert version }: the SIP that hashed
	 * the file (PE image, or flat) */
	attrs[2] = attribute(OID(MS "\x0c\x02\x02"),
			     seq_of(0x30, 2,
				    tlv(0x1e, utf16(m->pe ? "{C689AAB8-8E78-11D0-8C47-00C04FC295EE}"
							   : "{DE351A42-8E59-11D0-8C47-00C04FC295EE}", 1, 0)),
				    integer(512)));
	return seq_of(0x30, 2, id, set_sorted(attrs, 3));
}

static struct bs utctime(time_t t)
{
	struct tm tm;
	char s[64];

	gmtime_r(&t, &tm);
	if (tm.tm_year >= 150) { /* 2050 on: GeneralizedTime (RFC 5280) */
		snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		return tlv(0x18, raw(s, strlen(s)));
	}
	snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	return tlv(0x17, raw(s, strlen(s)));
}

static struct bs ctl_der(const struct member *m, int nm, int v2, time_t now)
{
	struct bs subjects = { NULL, 0 }, ext;
	unsigned char list_id[16];

	for (size_t i = 0; i < sizeof(list_id); i++)
		list_id[i] = (unsigned char)(now >> (i % 8) ^ (unsigned char)(i * 37));
	for (int i = 0; i < nm; i++)
		cat_to(&subjects, trusted_subject(&m[i], v2));
	/* The catalog's own attributes, as MakeCat writes its CatalogHeader. */
	{
		struct bs nv = namevalue("OSAttr", "2:10.0");

		ext = seq_of(0xa0, 1, seq_of(0x30, 1, seq_of(0x30, 2, OID(MS "\x0c\x02\x01"), tlv(0x04, nv))));
	}
	return seq_of(0x30, 6, seq_of(0x30, 1, OID(MS "\x0c\x01\x01")), octets(list_id, sizeof(list_id)),
		      utctime(now), seq_of(0x30, 2, OID(v2 ? MS "\x0c\x01\x03" : MS "\x0c\x01\x02"), null_der()),
		      tlv(0x30, subjects), ext);
}

/* ---- signing ---- */

static struct bs x509_der(X509 *x)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);
	struct bs b;

	if (n <= 0)
		die("cannot encode a certificate");
	b = raw(p, (size_t)n);
	OPENSSL_free(p);
	return b;
}

static struct bs name_der(const X509_NAME *nm)
{
	unsigned char *p = NULL;
	int n = i2d_X509_NAME(nm, &p);
	struct bs b;

	if (n <= 0)
		die("cannot encode a name");
	b = raw(p, (size_t)n);
	OPENSSL_free(p);
	return b;
}

static struct bs serial_der(const ASN1_INTEGER *a)
{
	unsigned char *p = NULL;
	int n = i2d_ASN1_INTEGER(a, &p);
	struct bs b;

	if (n <= 0)
		die("cannot encode a serial number");
	b = raw(p, (size_t)n);
	OPENSSL_free(p);
	return b;
}

static void read_certs(const char *path, X509 ***list, int *n)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (!f)
		die("'%s': cannot open", path);
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		*list = realloc(*list, (size_t)(*n + 1) * sizeof(**list));
		if (!*list)
			die("out of memory");
		(*list)[(*n)++] = x;
	}
	fclose(f);
}

static struct bs sign_der(EVP_PKEY *key, const struct bs *tbs)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 0;
	struct bs sig;

	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &n, tbs->p, tbs->n) != 1)
		die("cannot sign");
	sig.p = xalloc(n);
	if (EVP_DigestSign(md, sig.p, &n, tbs->p, tbs->n) != 1)
		die("cannot sign");
	sig.n = n;
	EVP_MD_CTX_free(md);
	return sig;
}

/* Offset of the DER value inside a TLV (what messageDigest covers). */
static size_t value_offset(const struct bs *t)
{
	return t->p[1] < 0x80 ? 2 : 2 + (size_t)(t->p[1] & 0x7f);
}

int main(int argc, char **argv)
{
	const char *key_path = NULL, *cert_path = NULL, *chain_path = NULL, *out_path = NULL;
	int v2 = 0, tamper = 0, nm = 0, ncerts = 0;
	time_t now = time(NULL);
	struct member *m = xalloc((size_t)argc * sizeof(*m));
	X509 **certs = NULL;
	EVP_PKEY *key;
	FILE *f;
	struct bs ctl, attrs[3], attr_set, sig, certset = { NULL, 0 }, signer, sd, out;
	unsigned char md[32];
	unsigned mdlen = 0;
	size_t voff;
	int is_ec;

	memset(m, 0, (size_t)argc * sizeof(*m));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-key") == 0 && i + 1 < argc)
			key_path = argv[++i];
		else if (strcmp(argv[i], "-cert") == 0 && i + 1 < argc)
			cert_path = argv[++i];
		else if (strcmp(argv[i], "-chain") == 0 && i + 1 < argc)
			chain_path = argv[++i];
		else if (strcmp(argv[i], "-out") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else if (strcmp(argv[i], "-time") == 0 && i + 1 < argc)
			now = (time_t)strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-v2") == 0)
			v2 = 1;
		else if (strcmp(argv[i], "-tamper") == 0)
			tamper = 1;
		else if (argv[i][0] == '-')
			die("unknown option '%s'", argv[i]);
		else
			parse_member(argv[i], &m[nm++]);
	}
	if (!key_path || !cert_path || !out_path) {
		fprintf(stderr, "usage: " PROG " -key KEY.pem -cert CERT.pem [-chain CHAIN.pem] [-v2] [-tamper] [-time UNIX]"
				" -out OUT.cat MEMBER...\n");
		return 2;
	}
	if (!(f = fopen(key_path, "r")) || !(key = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
		die("'%s': cannot read the private key", key_path);
	fclose(f);
	read_certs(cert_path, &certs, &ncerts);
	if (ncerts == 0)
		die("'%s': no certificate", cert_path);
	if (chain_path)
		read_certs(chain_path, &certs, &ncerts);
	is_ec = EVP_PKEY_base_id(key) == EVP_PKEY_EC;

	ctl = ctl_der(m, nm, v2, now);
	voff = value_offset(&ctl);
	if (EVP_Digest(ctl.p + voff, ctl.n - voff, md, &mdlen, EVP_sha256(), NULL) != 1)
		die("cannot hash");

	attrs[0] = attribute(OID("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03"), OID(MS "\x0a\x01"));
	attrs[1] = attribute(OID("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04"), octets(md, mdlen));
	attrs[2] = attribute(OID(MS "\x02\x01\x0c"), raw("\x30\x00", 2));
	attr_set = set_sorted(attrs, 3);
	sig = sign_der(key, &attr_set);
	/* In the SignerInfo the set is [0] IMPLICIT. */
	attr_set.p[0] = 0xa0;

	for (int i = 0; i < ncerts; i++)
		cat_to(&certset, x509_der(certs[i]));
	signer = seq_of(0x30, 6, integer(1),
			seq_of(0x30, 2, name_der(X509_get_issuer_name(certs[0])), serial_der(X509_get0_serialNumber(certs[0]))),
			alg_id(1), attr_set,
			is_ec ? seq_of(0x30, 1, OID("\x2a\x86\x48\xce\x3d\x04\x03\x02"))
			      : seq_of(0x30, 2, OID("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"), null_der()),
			tlv(0x04, sig));

	if (tamper && nm > 0) {
		for (size_t i = 0; i + m[0].len <= ctl.n; i++)
			if (memcmp(ctl.p + i, m[0].digest, m[0].len) == 0)
				ctl.p[i] ^= 0x01;
	}
	sd = seq_of(0x30, 5, integer(1), seq_of(0x31, 1, alg_id(1)),
		    seq_of(0x30, 2, OID(MS "\x0a\x01"), seq_of(0xa0, 1, ctl)), tlv(0xa0, certset),
		    seq_of(0x31, 1, signer));
	out = seq_of(0x30, 2, OID("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"), seq_of(0xa0, 1, sd));

	if (!(f = fopen(out_path, "wb")) || fwrite(out.p, 1, out.n, f) != out.n || fclose(f) != 0)
		die("'%s': cannot write", out_path);
	free(out.p);
	for (int i = 0; i < ncerts; i++)
		X509_free(certs[i]);
	free(certs);
	EVP_PKEY_free(key);
	free(m);
	return 0;
}
