/* report.html: every string an image (or the command line) controls must
 * reach the page only as escaped text, the page must stay valid UTF-8, and
 * it may carry no script and no URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <kenshu/av.h>
#include <kenshu/output.h>
#include <kenshu/artifacts.h>
#include <kenshu/core.h>
#include <kenshu/report.h>
#include "engine.h"

static char tmpdir[] = "/tmp/kenshu-test-html-XXXXXX";
static struct av *av;

/* A hostile value per field: the field's name inside an element with an
 * event handler. The page must show each as &lt;img ... &gt; and never
 * hold "<img". */
static char *h(const char *field)
{
	return xasprintf("<img src=x onerror=alert('%s')>", field);
}

static char *escaped(const char *field)
{
	return xasprintf("&lt;img src=x onerror=alert(&#39;%s&#39;)&gt;", field);
}

/* Every hostile field, by the name h() was given. */
static const char *const fields[] = {
	"image_path", "verdict_reason", "profile_name", "profile_source", "profile_file",
	"det_path", "det_stream", "signature", "macro_path", "skip_path", "skip_reason",
	"rp_path", "rp_target", "label", "part_name", "fs_version", "cross_check_note",
	"product", "edition", "hostname", "owner", "organization", "time_zone", "install_date",
	"profile_user", "profile_path", "hive_path", "hive_error", "user_hive_user", "wmi_error",
	"os_cross_check", "ar_location", "ar_name", "ar_command", "ar_user", "ar_note", "ar_target",
	"ar_detection", "pe_company", "pe_product", "pe_original", "pe_error", "decoded",
	"wmi_payload", "default_command", "finding_message", "finding_path", "finding_stream", "finding_value",
	"finding_version", "waiver_name", "waiver_reason", "waiver_approver", "waiver_path",
	"posture_message", "posture_evidence", "dbname",
	"cert_user", "cert_subject", "cert_issuer", "cert_thumbprint", "cert_error", "cert_anchors",
};

static const char japanese[] = "/Users/Public/\xE5\x88\xB6\xE5\xBE\xA1/\xE8\xA8\xAD\xE5\xAE\x9A.exe";
/* Invalid UTF-8 of every kind: a stray continuation byte, a lead byte
 * without its tail, an overlong "/", a UTF-16 surrogate, past U+10FFFF. */
static const char bad_utf8[] = "bad\x80-\xC3-\xC0\xAF-\xED\xA0\x80-\xF4\x90\x80\x80-end";

static int setup(void **state)
{
	/* The database directory is the operator's, but its file names still
	 * reach the page. */
	char *dbname = h("dbname"), *name = xasprintf("%s.ndb", dbname);

	av = test_engine_open(tmpdir, (const struct test_db_file[]){ { name, TEST_NDB_LINE } }, 1);
	free(name);
	free(dbname);
	return av ? 0 : -1;
}

static int teardown(void **state)
{
	return test_engine_close(av, tmpdir);
}

static struct autorun autorun(const char *loc, const char *name, const char *cmd)
{
	struct autorun a = { 0 };

	a.category = "Run";
	a.technique = "T1547.001";
	a.location = xstrdup(loc);
	a.name = xstrdup(name);
	a.command = xstrdup(cmd);
	a.volume = 2;
	a.target_exists = 1;
	return a;
}

/* A report in which every image-derived string is hostile. */
static void fill(struct report *r)
{
	struct os_info os = { 0 };
	struct rep_volume *v;

	report_init(r);
	scan_engine_facts(av, &r->engine);   /* what a scan records */
	r->image_path = h("image_path");
	r->image_format = xstrdup("raw");
	r->image_reader = xstrdup("kenshu");
	r->scheme = xstrdup("gpt");
	r->disk_guid = xstrdup("");
	memset(r->sha256_before, 'a', 64);
	memset(r->sha256_after, 'a', 64);
	snprintf(r->started, sizeof(r->started), "2026-01-02T03:04:05Z");
	snprintf(r->finished, sizeof(r->finished), "2026-01-02T03:04:09Z");
	r->verdict = VERDICT_FAIL;
	r->verdict_reason = h("verdict_reason");
	r->profile_name = h("profile_name");
	r->profile_source = h("profile_source");
	snprintf(r->scan_date, sizeof(r->scan_date), "2026-01-02");
	r->profile_files = xcalloc(1, sizeof(*r->profile_files));
	r->profile_files[0].source = xasprintf("%s/x.ini", "<img src=x onerror=alert('profile_file')>");
	memset(r->profile_files[0].sha256, '0', SHA256_HEX_LEN);
	r->nprofile_files = 1;
	r->cross_check_note = h("cross_check_note");

	char *p = xasprintf("/Users/Public/%s.exe", "<img src=x onerror=alert('det_path')>");
	char *s = h("det_stream"), *sig = h("signature");
	report_add_detection(r, 2, p, s, sig, "00", 544);
	report_add_detection(r, 2, japanese, "", "Kenshu.Test", "11", 544);
	report_add_detection(r, 2, bad_utf8, "", "Kenshu.Test", "22", 1);
	free(p), free(s), free(sig);
	p = h("skip_path"), s = h("skip_reason");
	report_add_skip(r, 2, p, "", s, 9);
	free(p), free(s);
	p = h("rp_path"), s = h("rp_target");
	report_add_reparse(r, 2, p, 0xA000000Cu, s, false);
	free(p), free(s);
	r->macros = xcalloc(1, sizeof(*r->macros));
	r->macros[0].path = h("macro_path");
	r->macros[0].stream = xstrdup("");
	r->macros[0].signature = xstrdup("Office.Macro");
	r->nmacros = 1;

	r->vol = xcalloc(2, sizeof(*r->vol));
	r->nvol = 2;
	v = &r->vol[0];
	v->v.index = 1;
	v->v.part_type = "Microsoft reserved";
	v->v.fs = "none";
	v->v.state = VOL_RESERVED;
	snprintf(v->v.state_reason, sizeof(v->v.state_reason), "reserved partition: holds no file system by design");
	v->label = xstrdup("");
	v = &r->vol[1];
	v->v.index = 2;
	v->v.size = 1 << 20;
	v->v.part_type = "Microsoft basic data";
	snprintf(v->v.part_name, sizeof(v->v.part_name), "<img src=x onerror=alert('part_name')>");
	v->v.fs = "ntfs";
	v->label = h("label");
	v->fs_version = h("fs_version");
	v->scanned = true;
	r->gaps = xcalloc(1, sizeof(*r->gaps));
	r->gaps[0] = (struct img_gap){ .offset = 1 << 20, .size = 2 << 20, .holds_data = true };
	r->ngaps = 1;

	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	os.product_name = h("product");
	os.edition = h("edition");
	os.family = xstrdup("Windows 7");
	os.build = xstrdup("7601");
	os.hostname = h("hostname");
	os.registered_owner = h("owner");
	os.registered_organization = h("organization");
	os.time_zone = h("time_zone");
	os.install_date = h("install_date");
	os.wmi_error = h("wmi_error");
	os.cross_check = h("os_cross_check");
	os.profiles = xcalloc(1, sizeof(*os.profiles));
	os.profiles[0].sid = xstrdup("S-1-5-21-1-2-3-1001");
	os.profiles[0].user = h("profile_user");
	os.profiles[0].path = h("profile_path");
	os.nprofiles = 1;
	os.hives[0].name = "SOFTWARE";
	os.hives[0].path = h("hive_path");
	os.hives[0].health.opened = false;
	snprintf(os.hives[0].health.error, sizeof(os.hives[0].health.error),
		 "<img src=x onerror=alert('hive_error')>");
	os.user_hives = xcalloc(1, sizeof(*os.user_hives));
	os.user_hives[0].kind = "NTUSER.DAT";
	os.user_hives[0].user = h("user_hive_user");
	os.user_hives[0].path = xstrdup("/Users/x/NTUSER.DAT");
	os.user_hives[0].health.opened = true;
	os.nuser_hives = 1;

	os.autoruns.v = xcalloc(3, sizeof(struct autorun));
	os.autoruns.n = 3;
	struct autorun *a = &os.autoruns.v[0];
	char *loc = h("ar_location"), *name = h("ar_name");
	char *cmd = xasprintf("%s http://evil.example/x", "<img src=x onerror=alert('ar_command')>");
	*a = autorun(loc, name, cmd);
	free(loc), free(name), free(cmd);
	a->user = h("ar_user");
	a->note = h("ar_note");
	a->target = h("ar_target");
	a->target_detection = h("ar_detection");
	a->decoded = xasprintf("line one\r\n\t%s\nline three", "<img src=x onerror=alert('decoded')>");
	a->pe_error = h("pe_error");
	a->pe = xcalloc(1, sizeof(*a->pe));
	a->pe->company = h("pe_company");
	a->pe->product = h("pe_product");
	a->pe->original_filename = h("pe_original");
	a->flags = AR_FLAG_DETECTED | AR_FLAG_USER_WRITABLE;
	/* A WMI consumer whose script is inline code. */
	a = &os.autoruns.v[1];
	*a = autorun("ROOT\\subscription", "Consumer", "VBScript script in the repository");
	a->category = "WMI event subscription";
	a->payload = xasprintf("Set x = 1 ' %s\nWScript.Run \"</pre><script>alert(9)</script>\"",
			       "<img src=x onerror=alert('wmi_payload')>");
	a->resolve_flags = CMD_F_INLINE;
	a->target_exists = -1;
	a->flags = AR_FLAG_WMI_CONSUMER;
	/* One of Windows' own: folded, but still escaped. */
	a = &os.autoruns.v[2];
	cmd = xasprintf("C:\\Windows\\System32\\svc.exe %s", "<img src=x onerror=alert('default_command')>");
	*a = autorun("HKLM\\SYSTEM\\ControlSet001\\Services\\svc", "ImagePath", cmd);
	free(cmd);
	a->target = xstrdup("/Windows/System32/svc.exe");

	os.posture.c = xcalloc(1, sizeof(*os.posture.c));
	os.posture.c[0].rule = "smb1-enabled";
	os.posture.c[0].state = POSTURE_UNSAFE;
	os.posture.c[0].message = h("posture_message");
	os.posture.c[0].evidence = h("posture_evidence");
	/* Certificate stores: an added root of a user (subject, issuer, user
	 * and key name from the image), a damaged Blob, checked against a
	 * plant's own anchor file (its name from the profile). */
	os.certstores.v = xcalloc(2, sizeof(*os.certstores.v));
	os.certstores.n = 2;
	struct cert_store_entry *ce = &os.certstores.v[0];
	ce->scope = "user";
	ce->store = "Root";
	ce->user = h("cert_user");
	ce->key = xstrdup("HKU\\x\\Software\\Microsoft\\SystemCertificates\\Root\\Certificates\\x");
	ce->thumbprint = h("cert_thumbprint");
	ce->parsed = true;
	memset(ce->cert.sha1, 'b', 40);
	ce->cert.subject = h("cert_subject");
	ce->cert.issuer = h("cert_issuer");
	ce = &os.certstores.v[1];
	ce->scope = "machine";
	ce->store = "CA";
	ce->key = xstrdup("HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\CA\\Certificates\\y");
	ce->thumbprint = xstrdup("y");
	ce->error = h("cert_error");
	os.certstores.marked = true;
	os.certstores.anchors_name = h("cert_anchors");
	os.posture.n = 1;
	report_add_os(r, &os);

	r->findings = xcalloc(2, sizeof(*r->findings));
	r->nfindings = 2;
	r->findings[0].rule = "malware";
	r->findings[0].severity = SEV_FAIL;
	r->findings[0].message = h("finding_message");
	r->findings[0].volume = 2;
	r->findings[0].path = h("finding_path");
	r->findings[0].stream = h("finding_stream");
	r->findings[0].value = h("finding_value");
	r->findings[0].version = h("finding_version");
	r->findings[0].sha256 = xstrdup("00");
	r->findings[1].rule = "autorun-unknown";
	r->findings[1].severity = SEV_REVIEW;
	r->findings[1].message = xasprintf("runs %s", japanese);
	r->findings[1].waiver = h("waiver_name");
	r->waivers = xcalloc(1, sizeof(*r->waivers));
	r->nwaivers = 1;
	r->waivers[0].w.name = h("waiver_name");
	r->waivers[0].w.rule = xstrdup("autorun-unknown");
	r->waivers[0].w.path = h("waiver_path");
	r->waivers[0].w.reason = h("waiver_reason");
	r->waivers[0].w.approver = h("waiver_approver");
	r->waivers[0].w.origin = xstrdup("profile.ini:12");
	r->waivers[0].status = "applied";
	r->waivers[0].applied = 1;
	snprintf(r->waivers[0].w.expires, sizeof(r->waivers[0].w.expires), "2027-01-01");
	report_finish(r);
}

static void release_extra(struct report *r)
{
	report_release(r);
}

static char *render(const struct report *r)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	assert_int_equal(report_write_html(r, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(buf), n);   /* no NUL inside */
	return buf;
}

static bool valid_utf8(const unsigned char *s)
{
	while (*s) {
		size_t len = *s < 0x80 ? 1 : (*s & 0xE0) == 0xC0 ? 2 : (*s & 0xF0) == 0xE0 ? 3
			   : (*s & 0xF8) == 0xF0 ? 4 : 0;
		uint32_t cp = len == 1 ? *s : len == 2 ? *s & 0x1Fu : len == 3 ? *s & 0x0Fu : *s & 0x07u;
		if (!len)
			return false;
		for (size_t i = 1; i < len; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3Fu);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		s += len;
	}
	return true;
}

static void every_hostile_field_escaped(void **state)
{
	struct report r;
	char *html;

	fill(&r);
	html = render(&r);
	/* Nothing hostile became an element... */
	assert_null(strstr(html, "<img"));
	assert_null(strcasestr(html, "<script"));
	/* ...and each field is on the page, escaped. */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *e = escaped(fields[i]);
		if (!strstr(html, e))
			fail_msg("field %s is not on the page escaped as %s", fields[i], e);
		free(e);
	}
	free(html);
	release_extra(&r);
}

static const char *const allowed_tags[] = {
	"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "section", "footer",
	"div", "p", "h1", "h2", "h3", "table", "colgroup", "col", "thead", "tbody", "tr", "th", "td",
	"details", "summary", "pre", "code", "span", "strong", "br", "ul", "li",
};
static const char *const allowed_attrs[] = { "class", "id", "lang", "charset", "http-equiv", "content", "name" };

static bool in(const char *const *set, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(set[i]) == len && !strncasecmp(set[i], s, len))
			return true;
	return false;
}

/* Every tag is one the writer emits, with only its known attributes, none
 * an event handler and none naming a URL; the style sheet fetches nothing. */
static void only_known_markup_no_url(void **state)
{
	struct report r;
	char *html, *p;

	fill(&r);
	html = render(&r);
	for (p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		const char *t = p + 1 + (p[1] == '/'), *end = strchr(p, '>');
		size_t tl = strcspn(t, " >");
		assert_non_null(end);
		if (!in(allowed_tags, sizeof(allowed_tags) / sizeof(allowed_tags[0]), t, tl))
			fail_msg("unexpected tag: %.40s", p);
		/* Attributes: name="value" pairs after the tag name. */
		for (const char *a = t + tl; a < end;) {
			a += strspn(a, " ");
			if (a >= end)
				break;
			size_t al = strcspn(a, "= >");
			if (!strncmp(t, "!DOCTYPE", 8))
				break;
			if (!in(allowed_attrs, sizeof(allowed_attrs) / sizeof(allowed_attrs[0]), a, al))
				fail_msg("unexpected attribute: %.40s", a);
			a += al;
			if (*a == '=') {
				assert_int_equal(a[1], '"');
				const char *q = strchr(a + 2, '"');
				assert_non_null(q);
				char *val = xstrndup(a + 2, (size_t)(q - a - 2));
				assert_null(strstr(val, "//"));
				assert_null(strcasestr(val, "http:"));
				assert_null(strcasestr(val, "url("));
				free(val);
				a = q + 1;
			}
		}
	}
	/* The style sheet: no url(), no @import, no "//" at all. */
	char *st = strstr(html, "<style>"), *se = strstr(html, "</style>");
	assert_non_null(st);
	assert_non_null(se);
	char *css = xstrndup(st, (size_t)(se - st));
	assert_null(strcasestr(css, "url("));
	assert_null(strcasestr(css, "@import"));
	assert_null(strstr(css, "//"));
	assert_null(strcasestr(css, "http"));
	free(css);
	/* Exactly one style sheet end: the image name in the running header
	 * cannot close it. */
	assert_null(strstr(se + 1, "</style"));
	/* The URL in a command is text, nothing else. */
	assert_non_null(strstr(html, " http://evil.example/x"));
	assert_non_null(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
				     "style-src 'unsafe-inline'; img-src data:"));
	assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
	free(html);
	release_extra(&r);
}

static void utf8_valid_and_japanese_kept(void **state)
{
	struct report r;
	char *html;

	fill(&r);
	html = render(&r);
	assert_true(valid_utf8((const unsigned char *)html));
	/* Japanese verbatim, bad bytes each one U+FFFD. */
	assert_non_null(strstr(html, japanese));
	assert_non_null(strstr(html, "bad\xEF\xBF\xBD-\xEF\xBF\xBD-\xEF\xBF\xBD\xEF\xBF\xBD-"));
	assert_non_null(strstr(html, "-end"));
	/* The decoded command keeps its lines and tab inside <pre>; \r\n is
	 * one break. */
	assert_non_null(strstr(html, "<pre>line one\n\t&lt;img"));
	assert_non_null(strstr(html, "&gt;\nline three</pre>"));
	free(html);
	release_extra(&r);
}

static char *esc_str(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	report_html_escape(f, s, n);
	fclose(f);
	return buf;
}

static void escape_function(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "a&b<c>d\"e'f", 11, "a&amp;b&lt;c&gt;d&quot;e&#39;f" },
		/* Control characters show as Control Pictures, DEL as U+2421. */
		{ "x\x01y\nz\t\x7f", 7, "x\xE2\x90\x81y\xE2\x90\x8Az\xE2\x90\x89\xE2\x90\xA1" },
		/* A NUL inside the length is shown, not a terminator. */
		{ "a\0b", 3, "a\xE2\x90\x80" "b" },
		/* Right-to-left override (U+202E) and isolates could make
		 * "exe.txt" read as "txt.exe": replaced. C1 control U+0085 too. */
		{ "evil\xE2\x80\xAEtxt.exe", 14, "evil\xEF\xBF\xBDtxt.exe" },
		{ "\xE2\x81\xA6x\xC2\x85", 6, "\xEF\xBF\xBDx\xEF\xBF\xBD" },
		/* Valid multi-byte text passes, a truncated sequence does not. */
		{ "\xE8\xA8\xAD\xF0\x9F\x98\x80", 7, "\xE8\xA8\xAD\xF0\x9F\x98\x80" },
		{ "\xE8\xA8", 2, "\xEF\xBF\xBD\xEF\xBF\xBD" },
		/* Noncharacters U+FFFE and U+FDD0. */
		{ "\xEF\xBF\xBE\xEF\xB7\x90", 6, "\xEF\xBF\xBD\xEF\xBF\xBD" },
		/* Only n bytes are read. */
		{ "<abc", 1, "&lt;" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = esc_str(cases[i].in, cases[i].n);
		if (strcmp(got, cases[i].out))
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].out);
		free(got);
	}
}

/* The running page header carries the image name inside a CSS string:
 * quotes, backslashes and "</style>" must not end it. */
static void page_header_name_is_css_escaped(void **state)
{
	struct report r;
	char *html;

	fill(&r);
	free(r.image_path);
	/* The header shows the last component: it cannot hold '/'. */
	r.image_path = xstrdup("/img/</style>a\"b\\c<x>\n\xE8\xA8\xAD d.img");
	html = render(&r);
	char *hdr = strstr(html, "@top-right{content:\"");
	assert_non_null(hdr);
	hdr += strlen("@top-right{content:\"");
	char *close = strchr(hdr, '"');
	assert_non_null(close);
	char *name = xstrndup(hdr, (size_t)(close - hdr));
	assert_string_equal(name, "style\\3E a\\22 b\\5C c\\3C x\\3E \\FFFD \\8A2D  d.img");
	free(name);
	assert_null(strstr(html, "<img"));
	/* The title escapes it as text. */
	assert_non_null(strstr(html, "<title>FAIL: style&gt;a&quot;b\\c&lt;x&gt;\xE2\x90\x8A\xE8\xA8\xAD d.img"));
	assert_non_null(strstr(html, "<h1>Acceptance scan of <code>/img/&lt;/style&gt;a&quot;"));
	free(html);
	release_extra(&r);
}

static void long_code_is_cut(void **state)
{
	struct report r;
	char *html;
	size_t big = 100 * 1024;

	fill(&r);
	struct autorun *a = &r.os[0].autoruns.v[1];
	free(a->payload);
	a->payload = xmalloc(big + 1);
	/* Three-byte characters, so the cut falls inside one unless it is
	 * moved back to a character boundary. */
	for (size_t i = 0; i + 3 <= big; i += 3)
		memcpy(a->payload + i, "\xE8\xA8\xAD", 3);
	a->payload[big - big % 3] = '\0';
	html = render(&r);
	assert_true(valid_utf8((const unsigned char *)html));
	assert_null(strstr(html, "\xEF\xBF\xBD</pre>"));
	assert_non_null(strstr(html, "more bytes: report.json has all of it"));
	free(html);
	release_extra(&r);
}

static void same_input_same_bytes(void **state)
{
	struct report a, b;
	char *ha, *hb;

	fill(&a);
	fill(&b);
	ha = render(&a);
	hb = render(&b);
	assert_string_equal(ha, hb);
	free(ha);
	free(hb);
	release_extra(&a);
	release_extra(&b);
}

/* The banner says the verdict in words, not colour alone, and the
 * decisive findings come before the detections and the evidence. */
static void verdict_first_in_words(void **state)
{
	struct report r;
	char *html;

	fill(&r);
	html = render(&r);
	char *banner = strstr(html, "<div class=\"word\">FAIL</div>");
	char *findings = strstr(html, "<h2>Findings that decide the verdict</h2>");
	char *det = strstr(html, "<h2>Malware detections (3)</h2>");
	char *autoruns = strstr(html, "<h2>Programs that start automatically</h2>");
	char *evidence = strstr(html, "<h2>Evidence</h2>");
	char *unscanned = strstr(html, "<h2>What was not scanned</h2>");
	assert_non_null(banner);
	assert_non_null(strstr(html, "Rejected: do not accept this image."));
	assert_true(banner < findings && findings < det && det < autoruns && autoruns < evidence &&
		    evidence < unscanned);
	/* The reserved partition is not something that was missed. */
	assert_null(strstr(unscanned, "volume 1 ("));
	assert_non_null(strstr(unscanned, "HOLDS DATA") ? unscanned : strstr(unscanned, "outside every partition"));
	free(html);
	release_extra(&r);
}

/* The banner names both profile hashes, labelled as report.txt does: the
 * file's and the effective profile's. */
static void both_profile_hashes_labelled(void **state)
{
	struct report r;
	char *html;

	fill(&r);
	memset(r.profile_sha256, 'a', 64);
	memset(r.profile_effective_sha256, 'e', 64);
	html = render(&r);
	char *end = strstr(html, "</header>");
	assert_non_null(end);
	*end = '\0';
	assert_non_null(strstr(html, "profile file SHA-256 <span class=\"mono\">" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</span>"));
	assert_non_null(strstr(html, "effective profile SHA-256 <span class=\"mono\">" "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee</span>"));
	free(html);
	release_extra(&r);
}

/* Byte counts are grouped by threes with THIN SPACE and may wrap between
 * groups: a 20-digit count does not run into the next cell (the layout
 * itself is measured in a browser by tests/e2e/test-html.sh). */
static void byte_counts_grouped(void **state)
{
	struct report r;
	char *html;

	fill(&r);
	r.vol[0].v.size = UINT64_MAX;
	r.vol[1].v.size = 999;
	r.gaps[0].size = 1000;
	html = render(&r);
	char *vol = strstr(html, "<section id=\"volumes\">");
	assert_non_null(vol);
	assert_non_null(strstr(vol, "<span class=\"muted bytes\">18\xE2\x80\x89" "446\xE2\x80\x89" "744\xE2\x80\x89"
				     "073\xE2\x80\x89" "709\xE2\x80\x89" "551\xE2\x80\x89" "615 bytes</span>"));
	assert_non_null(strstr(vol, "<span class=\"muted bytes\">999 bytes</span>"));
	assert_non_null(strstr(vol, "<span class=\"muted bytes\">1\xE2\x80\x89" "000 bytes</span>"));
	assert_null(strstr(html, "18446744073709551615"));
	/* The style lets the count wrap inside its nowrap cell. */
	assert_non_null(strstr(html, "td.num .bytes{white-space:normal"));
	free(html);
	release_extra(&r);
}

/* "1 NOUNs" nowhere: s holds no count of exactly 1 before a plural. */
static void no_one_plural(const char *s, const char *what)
{
	static const char *const nouns[] = { "profiles", "files", "streams", "worker threads", "signatures",
					     "database files", "checks", "entries", "bytes", "programs", "start programs",
					     "other programs", "need review" };

	for (size_t i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++) {
		char *needle = xasprintf("1 %s", nouns[i]);
		for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
			if (p == s || !(p[-1] >= '0' && p[-1] <= '9'))
				fail_msg("%s says '%s'", what, needle);
		free(needle);
	}
}

/* Counts of one take the singular, in report.txt and report.html. */
static void one_is_singular(void **state)
{
	struct report r;
	char *html, *txt = NULL;
	size_t n = 0;

	fill(&r);
	r.threads = 1;
	r.vol[1].files = 1;
	r.vol[1].streams = 1;
	r.vol[1].v.size = 1;
	r.engine.signatures = 1;
	r.image_size = r.disk_size = 1;
	assert_int_equal(r.os[0].nprofiles, 1);
	html = render(&r);
	FILE *f = open_memstream(&txt, &n);
	assert_int_equal(report_write_text(&r, f), 0);
	fclose(f);
	no_one_plural(txt, "report.txt");
	no_one_plural(html, "report.html");
	assert_non_null(strstr(txt, ", 1 profile\n"));
	assert_non_null(strstr(txt, "1 file, 1 stream"));
	assert_non_null(strstr(txt, "(1 worker thread)"));
	assert_non_null(strstr(html, "yes: 1 file, 1 stream"));
	assert_non_null(strstr(html, "1 byte</span>"));
	free(txt);
	free(html);
	release_extra(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_hostile_field_escaped),
		cmocka_unit_test(only_known_markup_no_url),
		cmocka_unit_test(utf8_valid_and_japanese_kept),
		cmocka_unit_test(escape_function),
		cmocka_unit_test(page_header_name_is_css_escaped),
		cmocka_unit_test(long_code_is_cut),
		cmocka_unit_test(same_input_same_bytes),
		cmocka_unit_test(verdict_first_in_words),
		cmocka_unit_test(both_profile_hashes_labelled),
		cmocka_unit_test(byte_counts_grouped),
		cmocka_unit_test(one_is_singular),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
