/* The files a fleet summary reads back: each machine's report.json (or a
 * bundle's bundle.json) and a previous campaign's fleet.json. Anyone who
 * can write to the campaign directory can edit them, so they are untrusted
 * input: every value used is type-checked here in the json-c tree and
 * copied out, strings cut at what one line of a summary can show, and the
 * tree freed. A problem is one line naming the field; the caller names
 * the file and makes that machine NOT-AUDITED. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/fleet.h>
#include "fleet_internal.h"
#include <kenshu/banned.h>

/* Bytes of one string copied from a report: enough for any message kenshu
 * writes, and a hostile megabyte-long one does not make fleet.html huge. */
#define TEXT_CAP 1024u
#define TIME_CAP 64u
/* Strings shown in a parse error (a verdict that is none). */
#define ERR_QUOTE 40

/* The fields a report gives, moved from a parsed one into out (the
 * rest of out, the row's, stays); *m is left empty. */
static void move_parsed(struct fleet_machine *out, struct fleet_machine *m)
{
	out->verdict = m->verdict;
	out->verdict_reason = m->verdict_reason;
	out->image_sha256 = m->image_sha256;
	out->started = m->started;
	out->finished = m->finished;
	out->seconds = m->seconds;
	out->detections = m->detections;
	out->has_drift = m->has_drift;
	out->drift = m->drift;
	out->decisive = m->decisive;
	out->ndecisive = m->ndecisive;
	out->decisive_total = m->decisive_total;
	memset(m, 0, sizeof(*m));
}

json_object *fleet_json_parse(const char *buf, size_t n, struct ks_err *err)
{
	json_tokener *tok;
	json_object *o;
	size_t end;

	if (n > INT32_MAX) {
		ks_fail(err, KS_EINPUT, "too large");
		return NULL;
	}
	if (memchr(buf, '\0', n)) {
		ks_fail(err, KS_EINPUT, "holds a NUL byte, not a file kenshu wrote");
		return NULL;
	}
	tok = json_tokener_new_ex(64);
	if (!tok)
		ks_oom(sizeof(json_tokener *));
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)n);
	if (!o) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		ks_fail(err, KS_EINPUT, "not valid JSON (%s at byte %zu)",
			e == json_tokener_continue || e == json_tokener_success ? "unexpected end"
										: json_tokener_error_desc(e),
			json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return NULL;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < n && (buf[end] == ' ' || buf[end] == '\n' || buf[end] == '\r' || buf[end] == '\t'))
		end++;
	if (end != n) {
		ks_fail(err, KS_EINPUT, "not valid JSON (trailing data at byte %zu)", end);
		json_object_put(o);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		ks_fail(err, KS_EINPUT, "not a JSON object");
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- typed access: each returns 0, or -1 with "WHERE.KEY: problem" ---- */

static int need(json_object *o, const char *where, const char *k, json_type t, bool nullable, json_object **out,
		struct ks_err *err)
{
	static const char *const names[] = {
		[json_type_null] = "null", [json_type_boolean] = "a boolean", [json_type_double] = "a number",
		[json_type_int] = "an integer", [json_type_object] = "an object", [json_type_array] = "an array",
		[json_type_string] = "a string",
	};
	json_object *v = NULL;
	const char *dot = where[0] ? "." : "";

	*out = NULL;
	if (!json_object_object_get_ex(o, k, &v))
		return ks_fail(err, KS_EINPUT, "%s%s%s: missing", where, dot, k);
	if (!v && nullable)
		return 0;
	if (!json_object_is_type(v, t))
		return ks_fail(err, KS_EINPUT, "%s%s%s: not %s", where, dot, k, names[t]);
	*out = v;
	return 0;
}

/* A copy of a JSON string, cut (on a UTF-8 boundary, " ..." marking it)
 * at cap bytes; NULL (with err) when it holds a NUL. */
static char *text_copy(json_object *v, size_t cap, const char *where, const char *k, struct ks_err *err)
{
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	struct strbuf sb;

	if (memchr(s, '\0', n)) {
		ks_fail(err, KS_EINPUT, "%s%s%s: holds a NUL character", where, where[0] ? "." : "", k);
		return NULL;
	}
	strbuf_init(&sb, cap);
	strbuf_add(&sb, s, n);
	return strbuf_detach(&sb, NULL);
}

static int get_text(json_object *o, const char *where, const char *k, bool nullable, size_t cap, char **out,
		    struct ks_err *err)
{
	json_object *v;

	*out = NULL;
	if (need(o, where, k, json_type_string, nullable, &v, err) < 0)
		return -1;
	if (v && !(*out = text_copy(v, cap, where, k, err)))
		return -1;
	return 0;
}

static int get_u64(json_object *o, const char *where, const char *k, uint64_t *out, struct ks_err *err)
{
	json_object *v;

	if (need(o, where, k, json_type_int, false, &v, err) < 0)
		return -1;
	if (json_object_get_int64(v) < 0)
		return ks_fail(err, KS_EINPUT, "%s.%s: negative", where, k);
	*out = json_object_get_uint64(v);
	return 0;
}

static int get_seconds(json_object *o, const char *where, double *out, struct ks_err *err)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, "seconds", &v))
		return ks_fail(err, KS_EINPUT, "%s.seconds: missing", where);
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return ks_fail(err, KS_EINPUT, "%s.seconds: not a number", where);
	*out = json_object_get_double(v);
	/* A year of scanning is no scan kenshu made. */
	if (!isfinite(*out) || *out < 0 || *out > 366.0 * 86400)
		return ks_fail(err, KS_EINPUT, "%s.seconds: out of range", where);
	return 0;
}

static bool sha256_hex_ok(const char *s)
{
	size_t i;

	for (i = 0; i < SHA256_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

static int get_sha256(json_object *o, const char *where, const char *k, char **out, struct ks_err *err)
{
	if (get_text(o, where, k, false, TEXT_CAP, out, err) < 0)
		return -1;
	if (!sha256_hex_ok(*out)) {
		free(*out);
		*out = NULL;
		return ks_fail(err, KS_EINPUT, "%s.%s: not a SHA-256 (64 lower-case hex digits)", where, k);
	}
	return 0;
}

/* "verdict": one of the names in allowed (NULL-terminated); a copy. */
static int get_verdict(json_object *o, const char *const *allowed, char **out, struct ks_err *err)
{
	json_object *v;

	*out = NULL;
	if (need(o, "", "verdict", json_type_string, false, &v, err) < 0)
		return -1;
	for (size_t i = 0; allowed[i]; i++)
		if (!strcmp(json_object_get_string(v), allowed[i]) &&
		    strlen(allowed[i]) == (size_t)json_object_get_string_len(v)) {
			*out = xstrdup(allowed[i]);
			return 0;
		}
	/* The bad value is shown cut and printable: it goes into a reason. */
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_printable(&sb, json_object_get_string(v), strnlen(json_object_get_string(v), ERR_QUOTE), true);
	ks_fail(err, KS_EINPUT, "verdict: '%s' is not a verdict", sb.buf);
	strbuf_release(&sb);
	return -1;
}

/* ---- machines ---------------------------------------------------------- */

void fleet_findings_free(struct fleet_finding *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].rule);
		free(v[i].severity);
		free(v[i].message);
		free(v[i].path);
	}
	free(v);
}

void fleet_summary_machine_release(struct fleet_machine *m)
{
	free(m->asset);
	free(m->verdict);
	free(m->reason);
	free(m->verdict_reason);
	free(m->report);
	free(m->report_html);
	free(m->image);
	free(m->image_sha256);
	free(m->baseline);
	free(m->profile);
	case_meta_release(&m->meta);
	free(m->started);
	free(m->finished);
	fleet_findings_free(m->decisive, m->ndecisive);
	free(m->previous_verdict);
	memset(m, 0, sizeof(*m));
	m->seconds = -1;
}

/* Keeps the finding when there is room: the caller offers them in the
 * order they are to be shown (fail first, then review). Takes rule,
 * message and path. */
static void keep_decisive(struct fleet_machine *m, char *rule, const char *severity, char *message, char *path)
{
	m->decisive_total++;
	if (m->ndecisive >= FLEET_MAX_DECISIVE) {
		free(rule);
		free(message);
		free(path);
		return;
	}
	if (!m->decisive)
		m->decisive = xcalloc(FLEET_MAX_DECISIVE, sizeof(*m->decisive));
	m->decisive[m->ndecisive++] = (struct fleet_finding){ rule, xstrdup(severity), message, path };
}

/* One findings[] entry checked; *rank 0 fail, 1 review, 2 not decisive
 * (info, or waived). */
static int finding_rank(json_object *f, size_t i, int *rank, struct ks_err *err)
{
	char where[48];
	json_object *v, *ev;
	const char *sev;

	snprintf(where, sizeof(where), "findings[%zu]", i);
	if (!json_object_is_type(f, json_type_object))
		return ks_fail(err, KS_EINPUT, "%s: not an object", where);
	if (need(f, where, "rule", json_type_string, false, &v, err) < 0 ||
	    need(f, where, "message", json_type_string, false, &v, err) < 0 ||
	    need(f, where, "evidence", json_type_object, false, &ev, err) < 0 ||
	    need(f, where, "severity", json_type_string, false, &v, err) < 0)
		return -1;
	sev = json_object_get_string(v);
	*rank = !strcmp(sev, "fail") ? 0 : !strcmp(sev, "review") ? 1 : !strcmp(sev, "info") ? 2 : -1;
	if (*rank < 0)
		return ks_fail(err, KS_EINPUT, "%s.severity: not fail, review or info", where);
	if (need(f, where, "waived", json_type_boolean, false, &v, err) < 0)
		return -1;
	if (json_object_get_boolean(v))
		*rank = 2;
	if (json_object_object_get_ex(ev, "path", &v) && !json_object_is_type(v, json_type_string))
		return ks_fail(err, KS_EINPUT, "%s.evidence.path: not a string", where);
	return 0;
}

static int take_finding(struct fleet_machine *m, json_object *f, size_t i, struct ks_err *err)
{
	char where[48], *rule = NULL, *message = NULL, *path = NULL;
	json_object *ev = json_object_object_get(f, "evidence"), *v;
	int rank;

	if (finding_rank(f, i, &rank, err) < 0)
		return -1;
	snprintf(where, sizeof(where), "findings[%zu]", i);
	if (get_text(f, where, "rule", false, TEXT_CAP, &rule, err) < 0 ||
	    get_text(f, where, "message", false, TEXT_CAP, &message, err) < 0 ||
	    (json_object_object_get_ex(ev, "path", &v) &&
	     !(path = text_copy(v, TEXT_CAP, where, "evidence.path", err)))) {
		free(rule);
		free(message);
		return -1;
	}
	keep_decisive(m, rule, rank == 0 ? "fail" : "review", message, path);
	return 0;
}

static int report_findings(struct fleet_machine *m, json_object *root, struct ks_err *err)
{
	json_object *a;
	size_t n;
	int rank;

	if (need(root, "", "findings", json_type_array, false, &a, err) < 0)
		return -1;
	n = json_object_array_length(a);
	/* The report sorts decisive findings first; a summary does not rely
	 * on an order someone could have edited: fail ones, then review ones. */
	for (int want = 0; want < 2; want++)
		for (size_t i = 0; i < n; i++) {
			json_object *f = json_object_array_get_idx(a, i);
			if (finding_rank(f, i, &rank, err) < 0)
				return -1;
			if (rank == want && take_finding(m, f, i, err) < 0)
				return -1;
		}
	return 0;
}

static int report_drift(struct fleet_machine *m, json_object *root, struct ks_err *err)
{
	static const struct {
		const char *key;
		size_t off;
	} counts[] = {
#define C(k) { #k, offsetof(struct fleet_machine, drift.k) }
		C(files_added), C(files_removed), C(files_changed), C(autoruns_added), C(autoruns_removed),
		C(autoruns_changed), C(detections_new), C(detections_gone),
#undef C
	};
	json_object *d, *s, *v;

	if (need(root, "", "drift", json_type_object, true, &d, err) < 0)
		return -1;
	if (!d)
		return 0;
	if (need(d, "drift", "summary", json_type_object, false, &s, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (get_u64(s, "drift.summary", counts[i].key, (uint64_t *)((char *)m + counts[i].off), err) < 0)
			return -1;
	if (need(s, "drift.summary", "unchanged", json_type_boolean, false, &v, err) < 0)
		return -1;
	m->drift.unchanged = json_object_get_boolean(v);
	m->has_drift = true;
	return 0;
}

static int scan_times(struct fleet_machine *m, json_object *root, struct ks_err *err)
{
	json_object *scan;

	if (need(root, "", "scan", json_type_object, false, &scan, err) < 0 ||
	    get_text(scan, "scan", "started", false, TIME_CAP, &m->started, err) < 0 ||
	    get_text(scan, "scan", "finished", false, TIME_CAP, &m->finished, err) < 0 ||
	    get_seconds(scan, "scan", &m->seconds, err) < 0)
		return -1;
	return 0;
}

int fleet_summary_parse_report(const char *text, size_t len, struct fleet_machine *out, struct ks_err *err)
{
	static const char *const verdicts[] = { "PASS", "REVIEW", "FAIL", NULL };
	struct fleet_machine m = { .seconds = -1 };
	json_object *root, *o;
	int rc = -1;

	if (!(root = fleet_json_parse(text, len, err)))
		return -1;
	if (get_verdict(root, verdicts, &m.verdict, err) < 0 ||
	    get_text(root, "", "verdict_reason", false, TEXT_CAP, &m.verdict_reason, err) < 0 ||
	    need(root, "", "image", json_type_object, false, &o, err) < 0 ||
	    get_sha256(o, "image", "sha256_before", &m.image_sha256, err) < 0 || scan_times(&m, root, err) < 0 ||
	    need(root, "", "detections", json_type_array, false, &o, err) < 0)
		goto out;
	for (size_t i = 0; i < json_object_array_length(o); i++)
		if (!json_object_is_type(json_object_array_get_idx(o, i), json_type_object)) {
			ks_fail(err, KS_EINPUT, "detections[%zu]: not an object", i);
			goto out;
		}
	m.detections = json_object_array_length(o) > UINT32_MAX ? UINT32_MAX : (unsigned)json_object_array_length(o);
	if (report_drift(&m, root, err) < 0 || report_findings(&m, root, err) < 0)
		goto out;
	move_parsed(out, &m);
	rc = 0;
out:
	fleet_summary_machine_release(&m);
	json_object_put(root);
	return rc;
}

/* ---- bundles ----------------------------------------------------------- */

/* One members[] entry checked; *rank 0 FAIL, 1 ERROR, 2 REVIEW, 3 PASS. */
static int member_rank(json_object *mb, size_t i, int *rank, struct ks_err *err)
{
	static const char *const names[] = { "FAIL", "ERROR", "REVIEW", "PASS" };
	char where[48];
	json_object *v;

	snprintf(where, sizeof(where), "members[%zu]", i);
	if (!json_object_is_type(mb, json_type_object))
		return ks_fail(err, KS_EINPUT, "%s: not an object", where);
	if (need(mb, where, "path", json_type_string, false, &v, err) < 0 ||
	    need(mb, where, "kind", json_type_string, false, &v, err) < 0 ||
	    need(mb, where, "verdict", json_type_string, false, &v, err) < 0)
		return -1;
	for (*rank = 0; *rank < 4; (*rank)++)
		if (!strcmp(json_object_get_string(v), names[*rank]))
			break;
	if (*rank == 4)
		return ks_fail(err, KS_EINPUT, "%s.verdict: not PASS, REVIEW, FAIL or ERROR", where);
	if (json_object_object_get_ex(mb, "detections", &v)) {
		if (!json_object_is_type(v, json_type_array))
			return ks_fail(err, KS_EINPUT, "%s.detections: not an array", where);
		for (size_t k = 0; k < json_object_array_length(v); k++)
			if (!json_object_is_type(json_object_array_get_idx(v, k), json_type_string))
				return ks_fail(err, KS_EINPUT, "%s.detections[%zu]: not a string", where, k);
	}
	if (json_object_object_get_ex(mb, "reason", &v) && v && !json_object_is_type(v, json_type_string))
		return ks_fail(err, KS_EINPUT, "%s.reason: not a string", where);
	return 0;
}

/* A member as a finding: "PATH: VERDICT", its signatures, its reason. */
static int take_member(struct fleet_machine *m, json_object *mb, size_t i, int rank, struct ks_err *err)
{
	static const char *const names[] = { "FAIL", "could not be scanned (ERROR)", "REVIEW" };
	char where[48], *path;
	json_object *v;
	struct strbuf sb;

	snprintf(where, sizeof(where), "members[%zu]", i);
	if (get_text(mb, where, "path", false, TEXT_CAP, &path, err) < 0)
		return -1;
	strbuf_init(&sb, TEXT_CAP);
	strbuf_addf(&sb, "%s: %s", path, names[rank]);
	if (json_object_object_get_ex(mb, "detections", &v) && json_object_array_length(v)) {
		strbuf_addstr(&sb, ", detected: ");
		for (size_t k = 0; k < json_object_array_length(v) && !sb.truncated; k++) {
			json_object *d = json_object_array_get_idx(v, k);
			if (k)
				strbuf_addstr(&sb, ", ");
			strbuf_add_printable(&sb, json_object_get_string(d), (size_t)json_object_get_string_len(d), false);
		}
	}
	if (json_object_object_get_ex(mb, "reason", &v) && v) {
		strbuf_addstr(&sb, " (");
		strbuf_add_printable(&sb, json_object_get_string(v), (size_t)json_object_get_string_len(v), false);
		strbuf_addch(&sb, ')');
	}
	keep_decisive(m, xstrdup("bundle-member"), rank == 0 ? "fail" : "review", strbuf_detach(&sb, NULL), path);
	return 0;
}

int fleet_summary_parse_bundle(const char *text, size_t len, struct fleet_machine *out, struct ks_err *err)
{
	static const char *const verdicts[] = { "PASS", "REVIEW", "FAIL", "ERROR", NULL };
	struct fleet_machine m = { .seconds = -1 };
	json_object *root, *o, *members;
	uint64_t detections = 0;
	int rc = -1, rank;

	if (!(root = fleet_json_parse(text, len, err)))
		return -1;
	if (get_verdict(root, verdicts, &m.verdict, err) < 0 ||
	    get_text(root, "", "verdict_reason", false, TEXT_CAP, &m.verdict_reason, err) < 0 ||
	    need(root, "", "bundle", json_type_object, false, &o, err) < 0 ||
	    get_sha256(o, "bundle", "sha256_before", &m.image_sha256, err) < 0 || scan_times(&m, root, err) < 0 ||
	    need(root, "", "members", json_type_array, false, &members, err) < 0)
		goto out;
	size_t n = json_object_array_length(members);
	for (size_t i = 0; i < n; i++) {
		json_object *mb = json_object_array_get_idx(members, i), *d;
		if (member_rank(mb, i, &rank, err) < 0)
			goto out;
		if (json_object_object_get_ex(mb, "detections", &d))
			detections += json_object_array_length(d);
	}
	/* An image member's own detections are in its report, not counted:
	 * the bundle's row says which members failed, the link shows why. */
	m.detections = detections > UINT32_MAX ? UINT32_MAX : (unsigned)detections;
	for (int want = 0; want < 3; want++)
		for (size_t i = 0; i < n; i++) {
			json_object *mb = json_object_array_get_idx(members, i);
			member_rank(mb, i, &rank, err);
			if (rank == want && take_member(&m, mb, i, rank, err) < 0)
				goto out;
		}
	move_parsed(out, &m);
	rc = 0;
out:
	fleet_summary_machine_release(&m);
	json_object_put(root);
	return rc;
}

/* ---- a previous campaign's fleet.json ----------------------------------- */

void fleet_summary_prev_free(struct fleet_prev *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].asset);
		free(v[i].verdict);
	}
	free(v);
}

static int prev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fleet_prev *)a)->asset, ((const struct fleet_prev *)b)->asset);
}

int fleet_summary_parse_previous(const char *text, size_t len, struct fleet_prev **out, size_t *nout,
				 struct ks_err *err)
{
	static const char *const verdicts[] = { "PASS", "REVIEW", "FAIL", "NOT-AUDITED", NULL };
	json_object *root, *v, *a;
	struct fleet_prev *p = NULL;
	size_t n = 0;
	int rc = -1;

	*out = NULL;
	*nout = 0;
	if (!(root = fleet_json_parse(text, len, err)))
		return -1;
	if (need(root, "", "schema", json_type_string, false, &v, err) < 0)
		goto out;
	if (strcmp(json_object_get_string(v), "kenshu-fleet") != 0) {
		ks_fail(err, KS_EINPUT, "schema: not kenshu-fleet");
		goto out;
	}
	if (need(root, "", "schema_version", json_type_string, false, &v, err) < 0)
		goto out;
	if (strncmp(json_object_get_string(v), "1.", 2) != 0) {
		ks_fail(err, KS_EUNSUPPORTED, "schema_version: not 1.x");
		goto out;
	}
	if (need(root, "", "machines", json_type_array, false, &a, err) < 0)
		goto out;
	if (json_object_array_length(a) > FLEET_MAX_ROWS) {
		ks_fail(err, KS_EINPUT, "machines: more than %u", FLEET_MAX_ROWS);
		goto out;
	}
	p = xcalloc(json_object_array_length(a) + 1, sizeof(*p));
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *mo = json_object_array_get_idx(a, i);
		char where[48];

		snprintf(where, sizeof(where), "machines[%zu]", i);
		if (!json_object_is_type(mo, json_type_object)) {
			ks_fail(err, KS_EINPUT, "%s: not an object", where);
			goto out;
		}
		if (get_text(mo, where, "asset", false, SIZE_MAX, &p[n].asset, err) < 0)
			goto out;
		n++;
		if (!p[n - 1].asset[0] || strlen(p[n - 1].asset) > FLEET_ASSET_MAX) {
			ks_fail(err, KS_EINPUT, "%s.asset: not an asset id", where);
			goto out;
		}
		if (get_verdict(mo, verdicts, &p[n - 1].verdict, err) < 0) {
			ks_prefix(err, "%s.", where);
			goto out;
		}
	}
	qsort(p, n, sizeof(*p), prev_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(p[i - 1].asset, p[i].asset)) {
			/* Asset ids are [A-Za-z0-9._-]: safe to quote. */
			struct strbuf sb = STRBUF_INIT;
			strbuf_add_printable(&sb, p[i].asset, strlen(p[i].asset), true);
			ks_fail(err, KS_EINPUT, "machines: asset '%s' listed twice", sb.buf);
			strbuf_release(&sb);
			goto out;
		}
	*out = p;
	*nout = n;
	p = NULL;
	n = 0;
	rc = 0;
out:
	if (p)
		fleet_summary_prev_free(p, n);
	json_object_put(root);
	return rc;
}
