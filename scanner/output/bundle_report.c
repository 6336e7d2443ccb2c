/* bundle.json and bundle.txt: what a bundle held and what became of each
 * member. Members are listed in the order the archive holds them, which
 * is fixed for a given bundle, so the output is deterministic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include <kenshu/input.h>
#include <kenshu/core.h>
#include <kenshu/rules.h>
#include "output_internal.h"
#include <kenshu/banned.h>

#define BUNDLE_SCHEMA_VERSION "1.0"

static json_object *member_json(const struct bundle_member *m)
{
	json_object *o = json_object_new_object(), *d;

	add_str(o, "path", m->path);
	add_str(o, "kind", bundle_kind_name(m->kind));
	if (m->format)
		add_str(o, "format", m->format);
	add_u64(o, "size", m->size);
	if (m->sha256[0])
		add_str(o, "sha256", m->sha256);
	add_str(o, "verdict", bundle_verdict_name(m->exit_code));
	if (m->kind == BUNDLE_IMAGE && m->verdict_reason)
		add_str(o, "verdict_reason", m->verdict_reason);
	if (m->report_dir)
		add_str(o, "report", m->report_dir);
	if (m->kind != BUNDLE_IMAGE) {
		d = json_object_new_array();
		for (size_t i = 0; i < m->ndet; i++)
			json_object_array_add(d, json_object_new_string(m->detections[i]));
		json_object_object_add(o, "detections", d);
	}
	if (m->nyara) {
		d = json_object_new_array();
		for (size_t i = 0; i < m->nyara; i++)
			json_object_array_add(d, json_object_new_string(m->yara[i]));
		json_object_object_add(o, "yara", d);
	}
	if (m->reason)
		add_str(o, "reason", m->reason);
	return o;
}

static json_object *bundle_json(const struct bundle_report *br)
{
	json_object *root = json_object_new_object(), *o, *a;
	size_t n[4] = { 0 }, det = 0, not_scanned = 0;

	add_str(root, "schema_version", BUNDLE_SCHEMA_VERSION);
	add_tool(root);
	add_case(root, &br->meta);
	add_str(root, "verdict", bundle_verdict_name(br->exit_code));
	add_str(root, "verdict_reason", br->verdict_reason);

	o = json_object_new_object();
	add_str(o, "path", br->path);
	add_str(o, "format", br->format);
	add_u64(o, "size", br->size);
	add_str(o, "sha256_before", br->sha256_before);
	add_str(o, "sha256_after", br->sha256_after);
	add_bool(o, "unchanged", !strcmp(br->sha256_before, br->sha256_after));
	add_bool(o, "complete", br->incomplete == NULL);
	if (br->incomplete)
		add_str(o, "incomplete_reason", br->incomplete);
	json_object_object_add(root, "bundle", o);

	o = json_object_new_object();
	add_str(o, "version", br->engine.version);
	add_str(o, "database_dir", br->engine.dbdir);
	add_u64(o, "signatures", br->engine.signatures);
	json_object_object_add(root, "engine", o);

	o = json_object_new_object();
	add_u64(o, "max_depth", br->caps.max_depth);
	add_u64(o, "max_bytes", br->caps.max_bytes);
	add_u64(o, "max_entries", br->caps.max_entries);
	add_u64(o, "max_ratio", br->caps.max_ratio);
	add_u64(o, "ratio_min_size", br->caps.ratio_min);
	json_object_object_add(root, "limits", o);

	o = json_object_new_object();
	add_str(o, "started", br->started);
	add_str(o, "finished", br->finished);
	add_str(o, "host", br->host);
	json_object_object_add(o, "seconds", json_object_new_double(br->seconds));
	json_object_object_add(root, "scan", o);

	a = json_object_new_array();
	for (size_t i = 0; i < br->nm; i++) {
		json_object_array_add(a, member_json(&br->m[i]));
		n[br->m[i].kind]++;
		det += br->m[i].ndet;
		not_scanned += br->m[i].reason != NULL;
	}
	json_object_object_add(root, "members", a);

	o = json_object_new_object();
	add_u64(o, "members", br->nm);
	add_u64(o, "images", n[BUNDLE_IMAGE]);
	add_u64(o, "files", n[BUNDLE_FILE]);
	add_u64(o, "bundles", n[BUNDLE_NESTED]);
	add_u64(o, "skipped", n[BUNDLE_SKIPPED]);
	add_u64(o, "not_fully_scanned", not_scanned);
	add_u64(o, "detections", det);
	add_u64(o, "entries_read", br->entries);
	add_u64(o, "bytes_extracted", br->bytes);
	json_object_object_add(root, "counters", o);
	return root;
}

int bundle_write_json(const struct bundle_report *br, FILE *f)
{
	json_object *root = bundle_json(br);
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = fputs(s, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;

	json_object_put(root);
	return rc;
}

int bundle_write_text(const struct bundle_report *br, FILE *f)
{
	size_t nimg = 0, ndet = 0, nskip = 0;

	for (size_t i = 0; i < br->nm; i++) {
		nimg += br->m[i].kind == BUNDLE_IMAGE;
		ndet += br->m[i].ndet ? 1 : 0;
		nskip += br->m[i].reason != NULL;
	}
	fprintf(f, "kenshu %s acceptance scan of a bundle\n\n", KENSHU_VERSION);
	report_write_case(&br->meta, f);
	fprintf(f, "VERDICT: %s (%s)\n\n", bundle_verdict_name(br->exit_code), br->verdict_reason);
	fprintf(f, "Bundle:     %s\n", br->path);
	fprintf(f, "            %s, %zu member%s\n", br->format, br->nm, br->nm == 1 ? "" : "s");
	fprintf(f, "SHA-256:    %s\n", br->sha256_before);
	fprintf(f, "            %s\n", strcmp(br->sha256_before, br->sha256_after) ?
		"CHANGED during the scan" : "identical after the scan: the bundle was not modified");
	if (br->incomplete)
		fprintf(f, "Incomplete: %s\n", br->incomplete);

	fprintf(f, "\nImages: %zu\n", nimg);
	for (size_t i = 0; i < br->nm; i++) {
		const struct bundle_member *m = &br->m[i];
		if (m->kind != BUNDLE_IMAGE)
			continue;
		fprintf(f, "  %s\n      %s", m->path, bundle_verdict_name(m->exit_code));
		if (m->report_dir)
			fprintf(f, " (%s), report: %s/report.txt\n", m->verdict_reason, m->report_dir);
		else
			fprintf(f, ": %s\n", m->reason);
	}
	fprintf(f, "\nDetections: %zu\n", ndet);
	for (size_t i = 0; i < br->nm; i++) {
		const struct bundle_member *m = &br->m[i];
		if (!m->ndet)
			continue;
		fprintf(f, "  %s\n", m->path);
		for (size_t k = 0; k < m->ndet; k++)
			fprintf(f, "      %s  (sha256 %s, %llu %s)\n", m->detections[k], m->sha256,
				(unsigned long long)m->size, plural(m->size, "byte", "bytes"));
	}
	for (size_t i = 0, first = 1; i < br->nm; i++) {
		const struct bundle_member *m = &br->m[i];
		if (!m->nyara)
			continue;
		if (first)
			fprintf(f, "\nYARA matches (the profile's [yara] rules):\n");
		first = 0;
		fprintf(f, "  %s  (sha256 %s)\n", m->path, m->sha256);
		for (size_t k = 0; k < m->nyara; k++)
			fprintf(f, "      %s\n", m->yara[k]);
	}
	fprintf(f, "\nNot fully scanned: %zu\n", nskip);
	for (size_t i = 0; i < br->nm; i++) {
		const struct bundle_member *m = &br->m[i];
		if (m->reason)
			fprintf(f, "  %s\n      %s\n", m->path, m->reason);
	}
	fprintf(f, "\nMembers: %zu\n", br->nm);
	for (size_t i = 0; i < br->nm; i++) {
		const struct bundle_member *m = &br->m[i];
		fprintf(f, "  %-7s %-6s %12llu  %s\n", bundle_kind_name(m->kind),
			bundle_verdict_name(m->exit_code), (unsigned long long)m->size, m->path);
	}
	return ferror(f) ? -1 : 0;
}

struct save_ctx {
	const struct bundle_report *br;
};

static int write_json(void *ctx, FILE *f)
{
	const struct save_ctx *sc = ctx;
	return bundle_write_json(sc->br, f);
}

static int write_text(void *ctx, FILE *f)
{
	return bundle_write_text(((const struct save_ctx *)ctx)->br, f);
}

const char *const bundle_owned[] = { "bundle.txt", "bundle.json", NULL };

/* Same discipline as report_save(), and bundle.json last so that its
 * presence means bundle.txt (and report.sig) are there too. */
int bundle_save(const struct bundle_report *br, const struct sign_key *key,
		const char *dir, struct ks_err *err)
{
	struct save_ctx sc = { br };
	const struct report_output out[] = {
		{ "bundle.txt", write_text, &sc },
		{ "bundle.json", write_json, &sc },
	};

	return report_save_outputs(dir, out, 2, bundle_owned, key, "bundle", err);
}

int bundle_read_report_dirs(const char *bundle_json, char ***dirs, size_t *n, struct ks_err *err)
{
	json_object *root = json_object_from_file(bundle_json), *members, *m, *rep;
	size_t count;

	*dirs = NULL;
	*n = 0;
	if (!root || !json_object_object_get_ex(root, "members", &members) ||
	    !json_object_is_type(members, json_type_array)) {
		json_object_put(root);
		return ks_fail(err, KS_EINPUT, "'%s': not a bundle.json with members", bundle_json);
	}
	count = json_object_array_length(members);
	*dirs = xcalloc(count ? count : 1, sizeof(**dirs));
	for (size_t i = 0; i < count; i++) {
		const char *d;
		m = json_object_array_get_idx(members, i);
		if (!json_object_object_get_ex(m, "report", &rep))
			continue;
		d = json_object_get_string(rep);
		/* What bundle_safe_component() makes, and nothing that climbs out. */
		if (!d || !d[0] || d[0] == '.' || strchr(d, '/') || strlen(d) > 255) {
			/* d points into the tree: the message is made before it is freed. */
			ks_fail(err, KS_EINPUT, "'%s': member report directory '%s' is not one plain name", bundle_json,
				d ? d : "");
			for (size_t k = 0; k < *n; k++)
				free((*dirs)[k]);
			free(*dirs);
			*dirs = NULL;
			*n = 0;
			json_object_put(root);
			return -1;
		}
		(*dirs)[(*n)++] = xstrdup(d);
	}
	json_object_put(root);
	return 0;
}
