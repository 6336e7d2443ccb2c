/* The signature parts of report.json and manifest.jsonl: one object per
 * judged file ("authenticode") and the record of what signatures were
 * judged against ("signatures"). */
#include <kenshu/report.h>
#include <kenshu/trust.h>
#include "output_internal.h"
#include <kenshu/banned.h>

json_object *sig_json(const struct sig_result *s)
{
	json_object *o;

	if (!s)
		return NULL;
	o = json_object_new_object();
	add_str(o, "status", s->status == SIG_NOT_CHECKED ? "not-checked" : sig_status_name(s->status));
	add_opt(o, "source", s->source == SIG_SRC_NONE ? NULL : sig_source_name(s->source));
	add_opt(o, "signer", s->signer);
	add_opt(o, "signer_name", s->signer_name);
	add_opt(o, "issuer", s->issuer);
	add_opt(o, "signing_time", s->signing_time);
	add_opt(o, "catalog", s->catalog);
	add_opt(o, "digest_algorithm", s->digest_alg);
	add_u64(o, "signatures", s->signatures);
	add_bool(o, "microsoft_windows", s->microsoft_windows);
	add_opt(o, "reason", s->reason);
	return o;
}

json_object *trust_json(const struct rep_trust *t)
{
	json_object *o = json_object_new_object(), *a, *x;
	static const enum sig_status order[] = { SIG_VALID, SIG_INVALID, SIG_UNTRUSTED, SIG_UNSIGNED, SIG_ERROR };

	x = json_object_new_object();
	add_str(x, "name", t->anchors_name);
	add_str(x, "sha256", t->anchors_sha256);
	add_u64(x, "roots", t->anchors);
	json_object_object_add(o, "anchors", x);
	x = json_object_new_object();
	add_u64(x, "checked", t->pe_checked);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		add_u64(x, sig_status_name(order[i]), t->by_status[order[i]]);
	json_object_object_add(o, "pe_files", x);
	add_u64(o, "catalog_members", t->catalog_members);
	a = json_object_new_array();
	for (size_t i = 0; i < t->ncats; i++) {
		const struct rep_catalog *c = &t->cats[i];
		x = json_object_new_object();
		add_u64(x, "volume", c->volume);
		add_str(x, "path", c->path);
		add_u64(x, "members", c->members);
		json_object_object_add(x, "authenticode", sig_json(&c->sig));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "catalogs", a);
	return o;
}
