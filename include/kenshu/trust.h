/* trust: code signatures and what makes them trusted — Authenticode
 * signatures embedded in PE files, Windows catalogs (signed certificate
 * trust lists of file digests), the trust anchors of Microsoft's root
 * program with their per-root constraints, and the certificate stores an
 * image's registry keeps.
 *
 * Everything here works offline on bytes: no network, no host trust store,
 * never the image's own store as an anchor. Verification is OpenSSL.
 *
 * Parts (one file each under scanner/trust/):
 *   anchors    the anchor file (PEM blocks, each preceded by "# Key: value"
 *              comment lines of the root program's data) and lookups
 *   pe_digest  the Authenticode digest of a PE, fed in one sequential pass
 *              (the scan's own read), and the certificate table it holds
 *   verify     PKCS#7 SignedData: content digest, signer, nested
 *              signatures, countersignatures (PKCS#9 and RFC 3161), chain
 *   catalog    certificate trust lists (catalogs, authroot.stl) and the
 *              index of member digests
 *   certstore  the registry's serialized certificate blobs
 *
 * Thread safety: a built struct trust_ctx (anchors + catalog index) is read
 * only; any number of threads may verify against it at once. */
#ifndef KENSHU_TRUST_H
#define KENSHU_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <kenshu/core.h>

/* ---- results ---- */

enum sig_status {
	SIG_NOT_CHECKED = 0, /* not a file kenshu checks (not a PE, not in a catalog) */
	SIG_VALID,           /* content matches, signer verifies, chain ends at a trusted anchor */
	SIG_INVALID,         /* content or signature does not match: tampered */
	SIG_UNTRUSTED,       /* matches, but no trusted anchor, or an EKU, keyUsage or date rule is broken */
	SIG_UNSIGNED,        /* no embedded signature and no catalog lists it */
	SIG_ERROR,           /* cannot be judged: damaged certificate table or PKCS#7 (reason says) */
};

enum sig_source {
	SIG_SRC_NONE = 0,
	SIG_SRC_EMBEDDED,    /* the PE's own certificate table */
	SIG_SRC_CATALOG,     /* a catalog lists the file's digest */
};

/* The one result a file gets. All strings owned (sig_result_release). */
struct sig_result {
	enum sig_status status;
	enum sig_source source;
	char *signer;        /* leaf subject, one line "CN=..., O=..., C=..."; NULL if none */
	char *signer_name;   /* the leaf's CN (else O): what a person reads; NULL if none */
	char *issuer;        /* leaf issuer, one line; NULL if none */
	char *signing_time;  /* ISO 8601 UTC of the valid timestamp, NULL without one */
	char *catalog;       /* catalog-signed: the catalog's path as the caller named it */
	char *reason;        /* one line for every status but VALID/NOT_CHECKED: why */
	char *digest_alg;    /* "sha1", "sha256"... of the signature that decided */
	unsigned signatures; /* embedded signatures found (nested ones included) */
	bool microsoft_windows; /* VALID and the leaf is one of Microsoft's Windows
	                           signing certificates (trust_is_windows_signer) */
};

void sig_result_release(struct sig_result *r);
/* Deep copy of src into *dst. */
void sig_result_copy(struct sig_result *dst, const struct sig_result *src);
const char *sig_status_name(enum sig_status s);   /* "valid", "invalid", ... "" for NOT_CHECKED */
const char *sig_source_name(enum sig_source s);   /* "embedded", "catalog", "" */

/* ---- anchors ---- */

/* One root of the anchor file, with the program's constraints. */
struct trust_anchor {
	char sha1[41];            /* hex thumbprint of the DER certificate (lower case) */
	char *friendly_name;      /* "Microsoft Root Certificate Authority 2010", may be NULL */
	char *subject;            /* one line */
	bool any_eku;             /* the program lists no EKU restriction for it */
	bool code_signing;        /* EKU 1.3.6.1.5.5.7.3.3 allowed */
	bool time_stamping;       /* EKU 1.3.6.1.5.5.7.3.8 allowed */
	time_t disallowed_after;  /* 0, or: signatures (by timestamp, else scan date) at or after it fail */
	bool disallowed_not_code_signing; /* the program limits the disallowed date to EKUs
	                                     that exclude code signing ("Disallowed extended key
	                                     usages: ['server_auth']"): it does not hold for code */
	time_t not_before;        /* 0, or: the not-before date of the program (see anchors.c) */
	bool not_before_code_signing; /* the not-before date applies to code signing */
	bool not_before_time_stamping; /* ... and to time stamping (a timestamp authority's chain) */
};

struct trust_anchors;

/* Parses an anchor file (the shipped one, or a plant's own with the same
 * format: PEM certificates; comment lines before each give its constraints,
 * docs/trust.md). name is for messages. A certificate without comments is
 * an anchor for code signing and time stamping with no dates. Caller frees
 * with trust_anchors_free. -1 with err on a damaged file (names it and the
 * line). */
int trust_anchors_parse(const char *text, size_t len, const char *name,
			struct trust_anchors **out, struct ks_err *err);
/* The anchors shipped in the binary: the whole root program,
 * profiles/trust/microsoft-root-program.pem (embedded_file
 * "trust/microsoft-root-program.pem"); per-root EKUs decide what each may
 * vouch for. */
int trust_anchors_builtin(struct trust_anchors **out, struct ks_err *err);
void trust_anchors_free(struct trust_anchors *a);
size_t trust_anchors_count(const struct trust_anchors *a);
const struct trust_anchor *trust_anchor_at(const struct trust_anchors *a, size_t i);
/* The anchor with this SHA-1 thumbprint (40 hex, any case), or NULL. */
const struct trust_anchor *trust_anchor_find_sha1(const struct trust_anchors *a, const char *sha1);
/* SHA-256 of the anchor file's bytes, hex: recorded in the report. */
const char *trust_anchors_sha256(const struct trust_anchors *a);
const char *trust_anchors_name(const struct trust_anchors *a);

/* ---- the verification context ---- */

struct trust_ctx;
struct catalog_index;

/* Takes ownership of anchors. scan_time: the time a signature without a
 * valid timestamp is judged at (the scan date). */
struct trust_ctx *trust_ctx_new(struct trust_anchors *anchors, time_t scan_time);
void trust_ctx_free(struct trust_ctx *t);
const struct trust_anchors *trust_ctx_anchors(const struct trust_ctx *t);
/* The catalog index the context owns (empty at first). */
struct catalog_index *trust_ctx_catalogs(struct trust_ctx *t);

/* ---- the PE digest, in the scan's one read ---- */

/* Fed the file's bytes in order, from offset 0, in chunks of any size; it
 * finds the PE headers in the first bytes, and computes the Authenticode
 * digests (MD5, SHA-1 and SHA-256, as old signatures sign MD5 ones;
 * checksum, certificate-table directory entry and the table itself
 * excluded, data after the last section included as Windows does) and keeps a copy of the certificate table (bounded). A file
 * that is not a PE costs a look at its first bytes only. */
struct pe_digest;

struct pe_digest *pe_digest_new(uint64_t file_size);
void pe_digest_feed(struct pe_digest *d, const void *buf, size_t n);
/* Before the first feed, when the caller holds the whole file: lets the
 * digest skip MD5 unless the certificate table names it (MD5 is almost
 * half of the hashing, and only very old signatures use it). */
void pe_digest_lookahead(struct pe_digest *d, const void *file, size_t size);
/* After the last byte: true when the file is a PE (MZ + PE header). */
bool pe_digest_is_pe(const struct pe_digest *d);
void pe_digest_free(struct pe_digest *d);

/* Judges a file fed to d: embedded signature first, else the catalogs of
 * t (by the Authenticode digests). A non-PE file is looked up in the
 * catalogs by its flat digests (flat_sha1 may be NULL when not computed)
 * and is SIG_NOT_CHECKED when no catalog lists it. Fills *out (caller
 * releases). */
void trust_verify_pe(const struct trust_ctx *t, struct pe_digest *d, struct sig_result *out);
void trust_verify_flat(const struct trust_ctx *t, const unsigned char flat_sha256[32],
		       const unsigned char *flat_sha1, struct sig_result *out);
/* Convenience for a whole file in memory (tests, autostart targets read on
 * their own): feeds a pe_digest, computes the flat digests and verifies. */
void trust_verify_buffer(const struct trust_ctx *t, const void *data, size_t size,
			 struct sig_result *out);

/* Verifies one detached PKCS#7 SignedData as code signing (used by the
 * catalogs): signer signature over the content, countersignatures, chain at
 * the timestamp or scan time. Returns the status; *out filled as for a
 * file (source left SIG_SRC_NONE for the caller to set). */
enum sig_status trust_verify_signed_data(const struct trust_ctx *t, const unsigned char *der,
					 size_t len, struct sig_result *out);

/* Is this leaf subject one of Microsoft's Windows signing certificates
 * ("Microsoft Windows", "Microsoft Windows Publisher", "Microsoft Windows
 * Hardware Compatibility Publisher", ... chained to a Microsoft root)?
 * One table in verify.c, documented in docs/trust.md. */
bool trust_is_windows_signer(const char *subject_cn, const char *subject_o);

/* ---- catalogs ---- */

/* One parsed certificate trust list. */
struct ctl_member {
	unsigned char digest[32];
	size_t digest_len;        /* 20 (SHA-1) or 32 (SHA-256) */
	bool pe;                  /* the member's digest is an Authenticode digest (SPC_PE_IMAGE_DATA) */
	char *file_name;          /* the member's "File" attribute, UTF-8, or NULL */
};

struct ctl {
	char *list_id;            /* hex of the ListIdentifier, or NULL */
	char *usage;              /* first SubjectUsage OID, e.g. "1.3.6.1.4.1.311.12.1.1" */
	time_t this_update;
	struct ctl_member *members;
	size_t nmembers;
	/* authroot.stl entries: the SHA-1 subject identifier and the
	 * properties the root program sets (ctl_member.digest holds the
	 * identifier; these are parallel to members) */
	struct trust_anchor *props; /* NULL for catalogs; else nmembers entries */
};

/* Parses the CTL inside a catalog/STL file (PKCS#7 SignedData with
 * eContentType szOID_CTL 1.3.6.1.4.1.311.10.1). Does not verify the
 * signature. -1 with err naming name on damaged input. */
int ctl_parse(const void *data, size_t size, const char *name, struct ctl *out, struct ks_err *err);
void ctl_release(struct ctl *c);

/* Adds a catalog file to the index: parses it, verifies its signature
 * (trust_verify_signed_data) and indexes its members. A catalog that does
 * not parse is refused (-1, err); one whose signature fails is indexed
 * with that result, so a member reports "listed in X, whose signature is
 * untrusted". path is what the report will show. sig (may be NULL)
 * receives the catalog's own signature result (caller releases), members
 * (may be NULL) the number of digests it lists. */
int catalog_index_add(struct trust_ctx *t, const char *path, const void *data, size_t size,
		      struct sig_result *sig, size_t *members, struct ks_err *err);
size_t catalog_index_count(const struct catalog_index *ci);     /* catalogs */
size_t catalog_index_members(const struct catalog_index *ci);   /* digests */
/* The best catalog listing this digest (a valid one first), or NULL; *res
 * points at that catalog's own signature result. */
const char *catalog_index_lookup(const struct catalog_index *ci, const unsigned char *digest,
				 size_t len, const struct sig_result **res);

/* ---- the registry's certificate stores ---- */

/* A value "Blob" under ...\SystemCertificates\<store>\Certificates\<sha1>:
 * a sequence of properties { u32 id, u32 reserved (1), u32 length, bytes }.
 * Property 32 (CERT_CERT_PROP_ID) is the DER certificate. */
struct certstore_cert {
	char sha1[41];            /* computed from the DER, lower case */
	char *subject, *issuer;   /* one line each */
	char *friendly_name;      /* property 11, UTF-16 → UTF-8, or NULL */
	char not_before[21], not_after[21]; /* ISO 8601 */
	bool code_signing_eku;    /* the certificate's EKU allows code signing (or has no EKU) */
	bool self_signed;
};

/* Parses a Blob (or, for Group Policy and some stores, a DER certificate
 * stored directly). -1 with err on damaged input. */
int certstore_blob_parse(const void *data, size_t size, struct certstore_cert *out,
			 struct ks_err *err);
void certstore_cert_release(struct certstore_cert *c);

#endif
