/* The sharing exports of a report (--export): findings.csv for
 * spreadsheets and ticket systems, stix.json (a STIX 2.1 bundle) for
 * threat-intelligence platforms. Both are written from the finished
 * struct report, like report.json, and saved by report_save(). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/rules.h>
#include "output_internal.h"
#include <kenshu/banned.h>

unsigned report_export_parse(const char *name)
{
	if (!strcmp(name, "csv"))
		return REPORT_EXPORT_CSV;
	if (!strcmp(name, "stix"))
		return REPORT_EXPORT_STIX;
	return 0;
}

/* ---- findings.csv ---- */

static const char *const csv_header[] = {
	"image_path", "image_sha256", "rule", "severity", "message", "volume",
	"path", "value", "version", "sha256", "waiver", "stream",
};

#define NCOLS (sizeof(csv_header) / sizeof(csv_header[0]))

/* One cell: neutralised against formula injection, then quoted when it
 * holds a comma, a quote, CR or LF (RFC 4180 §2.6-2.7). */
static int csv_cell(FILE *f, const char *s, bool first)
{
	bool formula = strchr("=+-@\t\r", s[0]) && s[0];
	bool quote = strpbrk(s, ",\"\r\n") != NULL;

	if (!first && fputc(',', f) == EOF)
		return -1;
	if (quote && fputc('"', f) == EOF)
		return -1;
	if (formula && fputc('\'', f) == EOF)
		return -1;
	for (const char *c = s; *c; c++) {
		if (*c == '"' && fputc('"', f) == EOF)
			return -1;
		if (fputc(*c, f) == EOF)
			return -1;
	}
	if (quote && fputc('"', f) == EOF)
		return -1;
	return 0;
}

static int csv_row(FILE *f, const char *const *cells)
{
	for (size_t i = 0; i < NCOLS; i++)
		if (csv_cell(f, cells[i] ? cells[i] : "", i == 0) < 0)
			return -1;
	return fputs("\r\n", f) < 0 ? -1 : 0;
}

int report_write_csv(const struct report *r, FILE *f)
{
	if (csv_row(f, csv_header) < 0)
		return -1;
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct rep_finding *x = &r->findings[i];
		char vol[16] = "";
		if (x->volume)
			snprintf(vol, sizeof(vol), "%u", x->volume);
		const char *cells[NCOLS] = {
			r->image_path, r->sha256_before, x->rule, severity_name(x->severity),
			x->message, vol, x->path, x->value, x->version, x->sha256, x->waiver, x->stream,
		};
		if (csv_row(f, cells) < 0)
			return -1;
	}
	return 0;
}

/* ---- UUIDv5 ---- */

void report_uuid5(const unsigned char ns[16], const char *name, size_t len, char out[37])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (!c || EVP_DigestInit_ex(c, EVP_sha1(), NULL) != 1 || EVP_DigestUpdate(c, ns, 16) != 1 ||
	    EVP_DigestUpdate(c, name, len) != 1 || EVP_DigestFinal_ex(c, md, &mdlen) != 1 || mdlen < 16)
		BUG("SHA-1 for a UUIDv5 failed");
	EVP_MD_CTX_free(c);
	md[6] = (md[6] & 0x0f) | 0x50;   /* version 5 */
	md[8] = (md[8] & 0x3f) | 0x80;   /* RFC 9562 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9],
		 md[10], md[11], md[12], md[13], md[14], md[15]);
}

/* ---- stix.json ---- */

/* kenshu's namespace for the ids of its SDOs and the bundle,
 * 0131c375-8a65-5bed-ac0a-943bcabc06f3 = uuid5(DNS namespace, "kenshu.stix").
 * Fixed: changing it changes every id. */
static const unsigned char kenshu_ns[16] = {
	0x01, 0x31, 0xc3, 0x75, 0x8a, 0x65, 0x5b, 0xed, 0xac, 0x0a, 0x94, 0x3b, 0xca, 0xbc, 0x06, 0xf3,
};
/* STIX 2.1 §2.9: the namespace of deterministic SCO ids. */
static const unsigned char stix_sco_ns[16] = {
	0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
};

struct stix {
	const struct report *r;
	json_object *objects;   /* the bundle's array */
	json_object *seen;      /* id -> true: each object once */
	json_object *refs;      /* observed-data's object_refs */
	char identity[80], observed[80];
};

static bool is_sha256(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return false;
	return n == SHA256_HEX_LEN;
}

static void lower_hex(char out[SHA256_HEX_LEN + 1], const char *s)
{
	for (size_t i = 0; i < SHA256_HEX_LEN; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[SHA256_HEX_LEN] = '\0';
}

/* id = TYPE--uuid5(kenshu_ns, TYPE "\n" key). */
static void sdo_id(char out[80], const char *type, const char *key)
{
	char *name = xasprintf("%s\n%s", type, key), u[37];

	report_uuid5(kenshu_ns, name, strlen(name), u);
	snprintf(out, 80, "%s--%s", type, u);
	free(name);
}

/* Adds o under id unless an object with that id is there already (then o
 * is dropped). Returns whether it was added. */
static bool stix_add(struct stix *s, const char *id, json_object *o)
{
	if (json_object_object_get_ex(s->seen, id, NULL)) {
		json_object_put(o);
		return false;
	}
	json_object_object_add(s->seen, id, json_object_new_boolean(1));
	json_object_array_add(s->objects, o);
	return true;
}

static json_object *sdo_new(const struct stix *s, const char *type, const char *id)
{
	json_object *o = json_object_new_object();

	add_str(o, "type", type);
	add_str(o, "spec_version", "2.1");
	add_str(o, "id", id);
	add_str(o, "created", s->r->finished);
	add_str(o, "modified", s->r->finished);
	return o;
}

/* A file SCO: name and SHA-256 (either may be missing, not both). Its id
 * follows STIX 2.1 §2.9: uuid5 of the SCO namespace and the canonical
 * JSON of its id-contributing properties (hashes, name). Adds its id to
 * observed-data's object_refs; writes it to id_out when given. */
static void file_sco(struct stix *s, const char *name, const char *sha256, uint64_t size,
		     unsigned volume, const char *path, char id_out[80])
{
	json_object *key = json_object_new_object(), *o = json_object_new_object(), *h;
	char hex[SHA256_HEX_LEN + 1], u[37], id[80];
	const char *canon;

	if (is_sha256(sha256)) {
		lower_hex(hex, sha256);
		h = json_object_new_object();
		add_str(h, "SHA-256", hex);
		json_object_object_add(key, "hashes", h);
	}
	if (name && *name)
		add_str(key, "name", name);
	canon = json_object_to_json_string_ext(key, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	report_uuid5(stix_sco_ns, canon, strlen(canon), u);
	snprintf(id, sizeof(id), "file--%s", u);
	if (id_out)
		memcpy(id_out, id, sizeof(id));

	add_str(o, "type", "file");
	add_str(o, "spec_version", "2.1");
	add_str(o, "id", id);
	if (json_object_object_get_ex(key, "hashes", &h))
		json_object_object_add(o, "hashes", json_object_get(h));
	if (name && *name)
		add_str(o, "name", name);
	if (size)
		add_u64(o, "size", size);
	if (path) {   /* where on the image: custom properties (§11.1) */
		if (volume)
			add_u64(o, "x_kenshu_volume", volume);
		add_str(o, "x_kenshu_path", path);
	}
	json_object_put(key);
	if (stix_add(s, id, o))
		json_object_array_add(s->refs, json_object_new_string(id));
}

/* An autostart finding about a target worth sharing: flagged, not merely
 * unknown or informational. */
static bool suspicious_autorun(const struct rep_finding *x)
{
	return !strncmp(x->rule, "autorun-", 8) && strcmp(x->rule, "autorun-unknown") != 0 &&
	       x->severity > SEV_INFO;
}

static bool indicator_rule(const struct rep_finding *x)
{
	return !strcmp(x->rule, "malware") || !strcmp(x->rule, "autorun-malware") ||
	       !strncmp(x->rule, "ioc-", 4);
}

static void indicator(struct stix *s, const struct rep_finding *x)
{
	char hex[SHA256_HEX_LEN + 1], id[80], rid[80];
	json_object *o, *types, *rel;
	char *key, *desc, *pattern, *name;
	bool malicious = !strcmp(x->rule, "malware") || !strcmp(x->rule, "autorun-malware") ||
			 !strcmp(x->rule, "ioc-hash");

	lower_hex(hex, x->sha256);
	/* A stream is named only when there is one: the ids of other
	 * indicators stay what they were. */
	key = xasprintf("%s\n%s\n%s\n%u\n%s\n%s%s%s", s->r->sha256_before, x->rule, hex, x->volume,
			x->path ? x->path : "", x->value ? x->value : "", x->stream ? "\n" : "",
			x->stream ? x->stream : "");
	sdo_id(id, "indicator", key);
	o = sdo_new(s, "indicator", id);
	json_object_object_add(o, "created_by_ref", json_object_new_string(s->identity));
	name = xasprintf("%s: %s", x->rule, x->value && *x->value ? x->value : path_base(x->path));
	add_str(o, "name", name);
	desc = xasprintf("kenshu rule %s (%s): %s%s%s%s%s%s%s", x->rule, severity_name(x->severity),
			 x->message ? x->message : "", x->path ? " File: " : "", x->path ? x->path : "",
			 x->path && x->stream ? ":" : "", x->path && x->stream ? x->stream : "",
			 x->waiver ? " Waived by: " : "", x->waiver ? x->waiver : "");
	add_str(o, "description", desc);
	types = json_object_new_array();
	json_object_array_add(types, json_object_new_string(malicious ? "malicious-activity"
								       : "anomalous-activity"));
	json_object_object_add(o, "indicator_types", types);
	pattern = xasprintf("[file:hashes.'SHA-256' = '%s']", hex);
	add_str(o, "pattern", pattern);
	add_str(o, "pattern_type", "stix");
	add_str(o, "pattern_version", "2.1");
	add_str(o, "valid_from", s->r->started);
	if (stix_add(s, id, o)) {
		char *rkey = xasprintf("%s\nbased-on\n%s", id, s->observed);
		sdo_id(rid, "relationship", rkey);
		rel = sdo_new(s, "relationship", rid);
		json_object_object_add(rel, "created_by_ref", json_object_new_string(s->identity));
		add_str(rel, "relationship_type", "based-on");
		add_str(rel, "source_ref", id);
		add_str(rel, "target_ref", s->observed);
		stix_add(s, rid, rel);
		free(rkey);
	}
	free(pattern);
	free(desc);
	free(name);
	free(key);
}

/* One indicator per YARA rule that matched: the rule itself is the
 * pattern (pattern_type "yara"), its text when the rule file let it be
 * told apart, else its name; the files it matched are observed. */
static void yara_indicators(struct stix *s)
{
	const struct rep_yara *y = &s->r->yara;

	for (size_t i = 0; i < y->nm; i++) {
		const struct rep_yara_match *m = &y->m[i];
		char *nm = m->stream[0] ? xasprintf("%s:%s", path_base(m->path), m->stream) : xstrdup(path_base(m->path));
		file_sco(s, nm, m->sha256, m->size, m->volume, m->path, NULL);
		free(nm);
	}
	for (size_t i = 0; i < y->nm; i++) {
		const struct rep_yara_match *m = &y->m[i];
		char id[80], rid[80], *key = xasprintf("%s\nyara\n%s\n%s", s->r->sha256_before, m->set, m->rule);
		struct strbuf d = STRBUF_INIT;
		json_object *o, *types;

		sdo_id(id, "indicator", key);
		free(key);
		if (json_object_object_get_ex(s->seen, id, NULL))
			continue;   /* the rule's first match made it */
		o = sdo_new(s, "indicator", id);
		json_object_object_add(o, "created_by_ref", json_object_new_string(s->identity));
		key = xasprintf("yara-match: %s", m->rule);
		add_str(o, "name", key);
		free(key);
		strbuf_addf(&d, "YARA rule %s of rule set %s matched:", m->rule, m->set);
		for (size_t k = i; k < y->nm; k++)
			if (!strcmp(y->m[k].rule, m->rule) && !strcmp(y->m[k].set, m->set))
				strbuf_addf(&d, " %s%s%s (sha256 %s);", y->m[k].path, y->m[k].stream[0] ? ":" : "",
					    y->m[k].stream, y->m[k].sha256);
		add_str(o, "description", d.buf);
		strbuf_release(&d);
		types = json_object_new_array();
		json_object_array_add(types, json_object_new_string(m->meta_fail ? "malicious-activity"
										   : "anomalous-activity"));
		json_object_object_add(o, "indicator_types", types);
		add_str(o, "pattern", m->text ? m->text : m->rule);
		add_str(o, "pattern_type", "yara");
		add_str(o, "valid_from", s->r->started);
		if (stix_add(s, id, o)) {
			char *rkey = xasprintf("%s\nbased-on\n%s", id, s->observed);
			json_object *rel;
			sdo_id(rid, "relationship", rkey);
			rel = sdo_new(s, "relationship", rid);
			json_object_object_add(rel, "created_by_ref", json_object_new_string(s->identity));
			add_str(rel, "relationship_type", "based-on");
			add_str(rel, "source_ref", id);
			add_str(rel, "target_ref", s->observed);
			stix_add(s, rid, rel);
			free(rkey);
		}
	}
}

static json_object *stix_bundle(const struct report *r)
{
	struct stix s = { .r = r, .objects = json_object_new_array(), .seen = json_object_new_object(),
			  .refs = json_object_new_array() };
	json_object *bundle = json_object_new_object(), *o, *od;
	char bid[80], *key;

	sdo_id(s.identity, "identity", "kenshu");
	key = xasprintf("%s\n%s\n%s\n%s", r->image_path ? r->image_path : "", r->sha256_before,
			r->started, r->finished);
	sdo_id(s.observed, "observed-data", key);
	sdo_id(bid, "bundle", key);
	free(key);

	o = sdo_new(&s, "identity", s.identity);
	add_str(o, "name", "kenshu");
	add_str(o, "identity_class", "system");
	add_str(o, "description", "kenshu " KENSHU_VERSION ", acceptance scanner for Windows disk images");
	stix_add(&s, s.identity, o);

	/* observed-data goes in once its refs are known; hold its place. */
	od = sdo_new(&s, "observed-data", s.observed);
	json_object_object_add(od, "created_by_ref", json_object_new_string(s.identity));
	add_str(od, "first_observed", r->started);
	add_str(od, "last_observed", r->finished);
	add_u64(od, "number_observed", 1);
	stix_add(&s, s.observed, od);

	file_sco(&s, path_base(r->image_path), r->sha256_before, r->image_size, 0, NULL, NULL);
	for (size_t i = 0; i < r->ndet; i++) {
		const struct rep_detection *d = &r->det[i];
		char *nm = d->stream && *d->stream ? xasprintf("%s:%s", path_base(d->path), d->stream)
						   : xstrdup(path_base(d->path));
		file_sco(&s, nm, d->sha256, d->size, d->volume, d->path, NULL);
		free(nm);
	}
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct rep_finding *x = &r->findings[i];
		if (suspicious_autorun(x) && x->path && (is_sha256(x->sha256) || *path_base(x->path)))
			file_sco(&s, path_base(x->path), x->sha256, 0, x->volume, x->path, NULL);
	}
	json_object_object_add(od, "object_refs", s.refs);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct rep_finding *x = &r->findings[i];
		if (indicator_rule(x) && is_sha256(x->sha256))
			indicator(&s, x);
	}
	yara_indicators(&s);

	add_str(bundle, "type", "bundle");
	add_str(bundle, "id", bid);
	json_object_object_add(bundle, "objects", s.objects);
	json_object_put(s.seen);
	return bundle;
}

int report_write_stix(const struct report *r, FILE *f)
{
	json_object *b = stix_bundle(r);
	const char *t = json_object_to_json_string_ext(b, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(t);
	int rc = fwrite(t, 1, n, f) == n && fputc('\n', f) != EOF ? 0 : -1;

	json_object_put(b);
	return rc;
}
