/* The image's own certificate stores, read from its hives (windows.h,
 * "certstores"). The blobs are hostile input: certstore_blob_parse judges
 * them; here only sizes and counts are capped. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/trust.h>
#include <kenshu/windows.h>
#include <kenshu/banned.h>

/* Where the stores lie, below the hive's root, and what the report calls
 * their place. */
struct store_loc {
	const char *scope;
	const char *prefix;   /* shown before the key path: "HKLM\SOFTWARE", "HKU\<user>" */
	const char *base;     /* the folder of stores */
	const char *const *stores;
};

static const char *const machine_stores[] = { "ROOT", "AuthRoot", "CA", "TrustedPublisher",
					      "Disallowed", "TrustedPeople", NULL };
/* Group Policy, enterprise and per-user locations keep these four. */
static const char *const other_stores[] = { "Root", "CA", "TrustedPublisher", "Disallowed", NULL };

static const struct store_loc machine_locs[] = {
	{ "machine", "HKLM\\SOFTWARE", "Microsoft\\SystemCertificates", machine_stores },
	{ "group-policy", "HKLM\\SOFTWARE", "Policies\\Microsoft\\SystemCertificates", other_stores },
	{ "enterprise", "HKLM\\SOFTWARE", "Microsoft\\EnterpriseCertificates", other_stores },
};

static const struct store_loc user_locs[] = {
	{ "user", "HKU", "Software\\Microsoft\\SystemCertificates", other_stores },
	{ "user-group-policy", "HKU", "Software\\Policies\\Microsoft\\SystemCertificates", other_stores },
};

/* Roots Windows requires to run ("Required trusted root certificates",
 * Microsoft KB 293781) that its root program's list (authroot.stl, the
 * shipped anchors) does not carry: Windows XP to 7 keep them in the
 * machine's ROOT store from setup on. The others of that article are in
 * the program. By thumbprint only: a look-alike subject is no match. */
static const char *const windows_required_roots[] = {
	"245c97df7514e7cf2df8be72ae957b9e04741e85", /* Copyright (c) 1997 Microsoft Corp. (Microsoft Timestamp Root) */
	"7f88cd7223f3c813818c994614a89c99fa3b5247", /* Microsoft Authenticode(tm) Root Authority */
};

static bool windows_required(const char *sha1)
{
	for (size_t i = 0; i < sizeof(windows_required_roots) / sizeof(windows_required_roots[0]); i++)
		if (!strcasecmp(windows_required_roots[i], sha1))
			return true;
	return false;
}

static void add_entry(struct hive *h, size_t node, const struct store_loc *loc, const char *user,
		      const char *store, struct cert_store_list *out)
{
	struct cert_store_entry *e;
	struct ks_err err;
	size_t size = 0;
	void *blob;

	if (out->n >= CERTSTORE_MAX_ENTRIES) {
		out->truncated = true;
		return;
	}
	out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
	e = &out->v[out->n++];
	memset(e, 0, sizeof(*e));
	e->scope = loc->scope;
	e->user = xstrdup_or_null(user);
	e->store = store;
	e->thumbprint = hive_key_name(h, node);
	if (!e->thumbprint)
		e->thumbprint = xstrdup("");
	if (user)
		e->key = xasprintf("%s\\%s\\%s\\%s\\Certificates\\%s", loc->prefix, user, loc->base, store, e->thumbprint);
	else
		e->key = xasprintf("%s\\%s\\%s\\Certificates\\%s", loc->prefix, loc->base, store, e->thumbprint);

	blob = hive_binary(h, node, "Blob", &size);
	if (!blob) {
		e->error = xstrdup("no Blob value");
		return;
	}
	if (size > CERTSTORE_MAX_BLOB) {
		e->error = xasprintf("Blob of %zu bytes is over the %u-byte limit", size, CERTSTORE_MAX_BLOB);
		free(blob);
		return;
	}
	memset(&err, 0, sizeof(err));
	if (certstore_blob_parse(blob, size, &e->cert, &err) < 0) {
		memset(&e->cert, 0, sizeof(e->cert));
		e->error = xstrdup(err.msg[0] ? err.msg : "damaged Blob");
	} else {
		e->parsed = true;
		e->windows_required = windows_required(e->cert.sha1);
		e->thumbprint_matches = strlen(e->thumbprint) == 40 && !strcasecmp(e->thumbprint, e->cert.sha1);
	}
	free(blob);
}

static void collect(struct hive *h, const struct store_loc *locs, size_t nlocs, const char *user,
		    struct cert_store_list *out)
{
	if (!h)
		return;
	for (size_t l = 0; l < nlocs; l++) {
		for (const char *const *s = locs[l].stores; *s; s++) {
			char *path = xasprintf("%s\\%s\\Certificates", locs[l].base, *s);
			size_t certs = hive_key(h, path), n = 0;
			size_t *subs = certs ? hive_subkeys(h, certs, &n) : NULL;

			for (size_t i = 0; i < n; i++)
				add_entry(h, subs[i], &locs[l], user, *s, out);
			free(subs);
			free(path);
		}
	}
}

void certstores_collect_machine(struct hive *software, struct cert_store_list *out)
{
	collect(software, machine_locs, sizeof(machine_locs) / sizeof(machine_locs[0]), NULL, out);
}

void certstores_collect_user(struct hive *ntuser, const char *user, struct cert_store_list *out)
{
	collect(ntuser, user_locs, sizeof(user_locs) / sizeof(user_locs[0]), user ? user : "?", out);
}

/* The order of the scopes in the report: machine first, users last. */
static int scope_rank(const char *scope)
{
	static const char *const order[] = { "machine", "group-policy", "enterprise", "user", "user-group-policy" };

	for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++)
		if (!strcmp(order[i], scope))
			return i;
	return 99;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct cert_store_entry *x = a, *y = b;
	int c;

	if ((c = scope_rank(x->scope) - scope_rank(y->scope)))
		return c;
	if ((c = strcmp(x->user ? x->user : "", y->user ? y->user : "")))
		return c;
	if ((c = strcmp(x->store, y->store)))
		return c;
	return strcmp(x->thumbprint, y->thumbprint);
}

void certstores_sort(struct cert_store_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), entry_cmp);
}

void certstores_release(struct cert_store_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct cert_store_entry *e = &l->v[i];
		free(e->user);
		free(e->key);
		free(e->thumbprint);
		free(e->error);
		if (e->parsed)
			certstore_cert_release(&e->cert);
	}
	free(l->v);
	free(l->anchors_name);
	memset(l, 0, sizeof(*l));
}

bool cert_store_is_root(const struct cert_store_entry *e)
{
	return !strcasecmp(e->store, "ROOT") || !strcasecmp(e->store, "AuthRoot");
}

bool cert_store_added_root(const struct cert_store_list *l, const struct cert_store_entry *e)
{
	return l->marked && e->parsed && cert_store_is_root(e) && !e->in_root_program && !e->windows_required;
}

void certstores_mark(struct os_info *os, const struct trust_anchors *anchors, bool builtin)
{
	struct cert_store_list *l = &os->certstores;

	if (!anchors)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct cert_store_entry *e = &l->v[i];
		e->in_root_program = e->parsed && trust_anchor_find_sha1(anchors, e->cert.sha1) != NULL;
	}
	l->marked = true;
	l->anchors_builtin = builtin;
	free(l->anchors_name);
	/* The shipped file by the name profiles use for shipped data, whatever
	 * name the anchors were parsed under. */
	l->anchors_name = builtin ? xstrdup("shipped:trust/microsoft-root-program.pem")
				  : xstrdup_or_null(trust_anchors_name(anchors));
}
