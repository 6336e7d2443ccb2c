/* The verification context (anchors, their X509 store, the scan date, the
 * catalog index) and the one result each file gets: embedded signature
 * first, then the catalogs.
 *
 * Embedded VALID or INVALID decides (a tampered file stays tampered,
 * whatever a catalog says). Otherwise — unsigned, or an embedded signature
 * that is untrusted or cannot be judged — a valid catalog listing the
 * file's Authenticode digest (SHA-256, then SHA-1) signs it, as Windows
 * accepts a system file through its catalog; failing that, the embedded
 * result, else the listing catalog's own (non-valid) result, else
 * unsigned. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include "trust_internal.h"
#include <kenshu/banned.h>

struct cat_entry {
	unsigned char digest[32];
	unsigned char len;
	bool used;
	size_t cat;
};

struct catalog {
	char *path;
	struct sig_result sig;
};

struct catalog_index {
	struct catalog *cats;
	size_t ncats, cats_alloc;
	struct cat_entry *slots;   /* open addressing, power-of-two size */
	size_t nslots, used;
};

struct trust_ctx {
	struct trust_anchors *anchors;
	X509_STORE *store;
	time_t scan_time;
	struct catalog_index *catalogs;
};

struct catalog_index *catalog_index_new(void)
{
	return xcalloc(1, sizeof(struct catalog_index));
}

void catalog_index_free(struct catalog_index *ci)
{
	if (!ci)
		return;
	for (size_t i = 0; i < ci->ncats; i++) {
		free(ci->cats[i].path);
		sig_result_release(&ci->cats[i].sig);
	}
	free(ci->cats);
	free(ci->slots);
	free(ci);
}

size_t catalog_index_register(struct catalog_index *ci, const char *path, const struct sig_result *sig)
{
	if (ci->ncats == ci->cats_alloc) {
		ci->cats_alloc = ci->cats_alloc ? 2 * ci->cats_alloc : 16;
		ci->cats = xrealloc(ci->cats, ci->cats_alloc * sizeof(*ci->cats));
	}
	ci->cats[ci->ncats].path = xstrdup(path);
	sig_result_copy(&ci->cats[ci->ncats].sig, sig);
	return ci->ncats++;
}

/* FNV-1a: digests are uniformly distributed already; any mix will do. */
static size_t slot_of(const unsigned char *d, size_t len, size_t nslots)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ d[i]) * 1099511628211ull;
	return (size_t)h & (nslots - 1);
}

static void put(struct cat_entry *slots, size_t nslots, const struct cat_entry *e)
{
	size_t i = slot_of(e->digest, e->len, nslots);

	while (slots[i].used)
		i = (i + 1) & (nslots - 1);
	slots[i] = *e;
}

void catalog_index_insert(struct catalog_index *ci, size_t cat, const unsigned char *digest, size_t len)
{
	struct cat_entry e = { .len = (unsigned char)len, .used = true, .cat = cat };

	if ((len != 20 && len != 32) || cat >= ci->ncats)
		BUG("catalog_index_insert: digest of %zu bytes, catalog %zu of %zu", len, cat, ci->ncats);
	memcpy(e.digest, digest, len);
	if ((ci->used + 1) * 2 > ci->nslots) {
		size_t n = ci->nslots ? 2 * ci->nslots : 1024;
		struct cat_entry *s = xcalloc(n, sizeof(*s));

		for (size_t i = 0; i < ci->nslots; i++)
			if (ci->slots[i].used)
				put(s, n, &ci->slots[i]);
		free(ci->slots);
		ci->slots = s;
		ci->nslots = n;
	}
	/* the same digest from the same catalog once */
	for (size_t i = slot_of(digest, len, ci->nslots); ci->slots[i].used; i = (i + 1) & (ci->nslots - 1))
		if (ci->slots[i].cat == cat && ci->slots[i].len == len && !memcmp(ci->slots[i].digest, digest, len))
			return;
	put(ci->slots, ci->nslots, &e);
	ci->used++;
}

size_t catalog_index_count(const struct catalog_index *ci)
{
	return ci ? ci->ncats : 0;
}

size_t catalog_index_members(const struct catalog_index *ci)
{
	return ci ? ci->used : 0;
}

const char *catalog_index_lookup(const struct catalog_index *ci, const unsigned char *digest, size_t len,
				 const struct sig_result **res)
{
	const struct catalog *best = NULL;

	if (res)
		*res = NULL;
	if (!ci || !ci->nslots || (len != 20 && len != 32))
		return NULL;
	for (size_t i = slot_of(digest, len, ci->nslots); ci->slots[i].used; i = (i + 1) & (ci->nslots - 1)) {
		const struct cat_entry *e = &ci->slots[i];
		const struct catalog *c;

		if (e->len != len || memcmp(e->digest, digest, len))
			continue;
		c = &ci->cats[e->cat];
		if (!best || (c->sig.status == SIG_VALID && best->sig.status != SIG_VALID))
			best = c;
	}
	if (!best)
		return NULL;
	if (res)
		*res = &best->sig;
	return best->path;
}

struct trust_ctx *trust_ctx_new(struct trust_anchors *anchors, time_t scan_time)
{
	struct trust_ctx *t = xcalloc(1, sizeof(*t));

	t->anchors = anchors;
	t->scan_time = scan_time;
	t->catalogs = catalog_index_new();
	t->store = X509_STORE_new();
	if (!t->store)
		ks_oom(0);
	for (size_t i = 0; i < trust_anchors_count(anchors); i++)
		if (!X509_STORE_add_cert(t->store, trust_anchor_cert(anchors, i)))
			ks_oom(0);
	return t;
}

void trust_ctx_free(struct trust_ctx *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	catalog_index_free(t->catalogs);
	trust_anchors_free(t->anchors);
	free(t);
}

const struct trust_anchors *trust_ctx_anchors(const struct trust_ctx *t)
{
	return t->anchors;
}

struct catalog_index *trust_ctx_catalogs(struct trust_ctx *t)
{
	return t->catalogs;
}

X509_STORE *trust_ctx_store(const struct trust_ctx *t)
{
	return t->store;
}

time_t trust_ctx_scan_time(const struct trust_ctx *t)
{
	return t->scan_time;
}

/* The catalog listing one of the digests (the first that any lists). */
static bool from_catalog(const struct trust_ctx *t, const unsigned char *a, size_t alen,
			 const unsigned char *b, size_t blen, struct sig_result *out)
{
	const struct sig_result *res = NULL;
	const char *path = catalog_index_lookup(t->catalogs, a, alen, &res);

	if (!path && b)
		path = catalog_index_lookup(t->catalogs, b, blen, &res);
	if (!path)
		return false;
	sig_result_copy(out, res);
	out->source = SIG_SRC_CATALOG;
	free(out->catalog);
	out->catalog = xstrdup(path);
	if (out->status != SIG_VALID) {
		char *r = xasprintf("listed in '%s', whose signature is %s%s%s", path, sig_status_name(out->status),
				    res->reason ? ": " : "", res->reason ? res->reason : "");

		free(out->reason);
		out->reason = r;
		out->microsoft_windows = false;
	}
	return true;
}

void trust_verify_pe(const struct trust_ctx *t, struct pe_digest *d, struct sig_result *out)
{
	struct pe_digest_out o;
	struct sig_result cat;

	memset(out, 0, sizeof(*out));
	pe_digest_finish(d, &o);
	if (!o.pe)
		return;
	if (o.error) {
		out->status = SIG_ERROR;
		out->source = SIG_SRC_EMBEDDED;
		out->reason = xstrdup(o.error);
		return;
	}
	if (o.table) {
		trust_verify_table(t, o.table, o.table_len, &o, out);
		if (out->status == SIG_VALID || out->status == SIG_INVALID)
			return;
	}
	if (from_catalog(t, o.sha256, 32, o.sha1, 20, &cat)) {
		if (cat.status == SIG_VALID || !o.table) {
			cat.signatures += out->signatures;
			sig_result_release(out);
			*out = cat;
			return;
		}
		sig_result_release(&cat);
	}
	if (!o.table) {
		out->status = SIG_UNSIGNED;
		out->reason = xstrdup("no embedded signature, and no catalog lists it");
	}
}

void trust_verify_flat(const struct trust_ctx *t, const unsigned char flat_sha256[32],
		       const unsigned char *flat_sha1, struct sig_result *out)
{
	memset(out, 0, sizeof(*out));
	from_catalog(t, flat_sha256, 32, flat_sha1, 20, out);
}

void trust_verify_buffer(const struct trust_ctx *t, const void *data, size_t size, struct sig_result *out)
{
	struct pe_digest *d = pe_digest_new(size);
	unsigned char s256[32], s1[20];

	pe_digest_lookahead(d, data, size);
	pe_digest_feed(d, data, size);
	if (pe_digest_is_pe(d)) {
		trust_verify_pe(t, d, out);
	} else {
		if (!EVP_Digest(data, size, s256, NULL, EVP_sha256(), NULL) ||
		    !EVP_Digest(data, size, s1, NULL, EVP_sha1(), NULL))
			ks_oom(0);
		trust_verify_flat(t, s256, s1, out);
	}
	pe_digest_free(d);
}
