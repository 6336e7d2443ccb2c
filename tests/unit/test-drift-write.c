/* drift_write: the "Changes since the baseline" section. Both sides are
 * hostile (an image, a report directory anyone could edit): a text line
 * must stay one line with no control character, and the page must carry
 * every string only as escaped text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <kenshu/drift.h>
#include <kenshu/output.h>
#include <kenshu/core.h>

static const char img[] = "<img src=x onerror=alert(1)>.exe";
static const char img_escaped[] = "&lt;img src=x onerror=alert(1)&gt;.exe";
/* A newline and an ESC sequence (a terminal colour change). */
static const char nl_esc[] = "line\nbreak\x1b[31mred.exe";
static const char japanese[] = "/Users/Public/\xE5\x88\xB6\xE5\xBE\xA1.exe";   /* 制御.exe */
/* U+202E RIGHT-TO-LEFT OVERRIDE: "invoice\u202Etxt.exe" shows as "invoiceexe.txt". */
static const char bidi[] = "invoice\xE2\x80\xAEtxt.exe";

/* drift_release() is drift.c's, which this branch may not have yet: the
 * test frees what it built itself. */
static void free_fields(struct drift_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].name), free(f[i].old_value), free(f[i].new_value);
	free(f);
}

static void free_side(struct drift_side *s)
{
	free(s->dir), free(s->image_path), free(s->image_sha256), free(s->started);
	free(s->verdict), free(s->profile), free(s->tool);
}

static void free_drift(struct drift *d)
{
	free_side(&d->old);
	free_side(&d->new);
	for (size_t i = 0; i < d->nvol; i++)
		free(d->vol[i].filesystem), free(d->vol[i].label), free_fields(d->vol[i].f, d->vol[i].nf);
	free(d->vol);
	for (size_t i = 0; i < d->nos; i++)
		free(d->os[i].system_root), free(d->os[i].product), free_fields(d->os[i].f, d->os[i].nf);
	free(d->os);
	for (size_t i = 0; i < d->nfiles; i++) {
		struct drift_file *x = &d->files[i];
		free(x->path), free(x->stream), free(x->old_status), free(x->new_status);
	}
	free(d->files);
	for (size_t i = 0; i < d->nautoruns; i++) {
		struct drift_autorun *x = &d->autoruns[i];
		free(x->category), free(x->location), free(x->name), free(x->user);
		free(x->command), free(x->target), free(x->target_sha256), free(x->flags);
		free_fields(x->f, x->nf);
	}
	free(d->autoruns);
	for (size_t i = 0; i < d->ndet; i++) {
		struct drift_detection *x = &d->det[i];
		free(x->path), free(x->stream), free(x->signature), free(x->sha256);
	}
	free(d->det);
	for (size_t i = 0; i < d->nfindings; i++) {
		struct drift_finding *x = &d->findings[i];
		free(x->rule), free(x->path), free(x->value), free(x->old_severity), free(x->new_severity);
		free(x->old_waiver), free(x->new_waiver), free(x->message);
	}
	free(d->findings);
	free(d->reuse_note);
	memset(d, 0, sizeof(*d));
}

static char *dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct drift_field *field(const char *name, const char *o, const char *n)
{
	struct drift_field *f = xcalloc(1, sizeof(*f));

	f->name = dup(name), f->old_value = dup(o), f->new_value = dup(n);
	return f;
}

static void sides(struct drift *d, const char *old_dir)
{
	d->old.dir = dup(old_dir);
	d->old.image_sha256 = dup("1111111111111111111111111111111111111111111111111111111111111111");
	d->old.started = dup("2026-01-02T03:04:05Z");
	d->old.verdict = dup("PASS");
	d->old.profile = dup("default");
	memset(d->old.report_sha256, '3', SHA256_HEX_LEN);
	memset(d->old.manifest_sha256, '4', SHA256_HEX_LEN);
	d->new.image_sha256 = dup("2222222222222222222222222222222222222222222222222222222222222222");
	d->new.started = dup("2026-02-03T04:05:06Z");
	d->new.verdict = dup("REVIEW");
	d->new.profile = dup("default");
}

/* One item in every section, plain names: the whole text is known. */
static void small(struct drift *d)
{
	memset(d, 0, sizeof(*d));
	sides(d, "reports/v1");

	d->files = xcalloc(3, sizeof(*d->files));
	d->nfiles = 3;
	d->files[0] = (struct drift_file){ .change = DRIFT_ADDED, .volume = 2,
		.path = dup("/Program Files/X/new.exe"), .stream = dup(""), .new_size = 4608,
		.new_status = dup("scanned") };
	memset(d->files[0].new_sha256, 'a', 64);
	d->files[1] = (struct drift_file){ .change = DRIFT_CHANGED, .volume = 2,
		.path = dup("/Windows/System32/foo.dll"), .stream = dup(""), .old_size = 100, .new_size = 200,
		.old_status = dup("scanned"), .new_status = dup("detected") };
	memset(d->files[1].old_sha256, 'b', 64);
	memset(d->files[1].new_sha256, 'c', 64);
	d->files[2] = (struct drift_file){ .change = DRIFT_REMOVED, .volume = 2, .path = dup("/old.txt"),
		.stream = dup("Zone.Identifier"), .old_size = 26, .old_status = dup("scanned") };
	memset(d->files[2].old_sha256, 'd', 64);
	d->files_unchanged = 1200;

	d->autoruns = xcalloc(2, sizeof(*d->autoruns));
	d->nautoruns = 2;
	d->autoruns[0] = (struct drift_autorun){ .change = DRIFT_ADDED, .volume = 2, .category = dup("Run"),
		.location = dup("HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"),
		.name = dup("Updater"), .command = dup("C:\\X\\up.exe /q"), .flags = dup("") };
	d->autoruns[1] = (struct drift_autorun){ .change = DRIFT_CHANGED, .volume = 2, .category = dup("Service"),
		.location = dup("HKLM\\SYSTEM\\ControlSet001\\Services\\svc"), .name = dup("ImagePath"),
		.user = NULL, .command = dup("C:\\svc2.exe"), .flags = dup("user-writable"),
		.f = field("command", "C:\\svc.exe", "C:\\svc2.exe"), .nf = 1 };

	d->os = xcalloc(1, sizeof(*d->os));
	d->nos = 1;
	d->os[0] = (struct drift_os){ .change = DRIFT_CHANGED, .volume = 2, .system_root = dup("/Windows"),
		.product = dup("Windows 10 Enterprise LTSC 2019"), .f = xcalloc(2, sizeof(struct drift_field)),
		.nf = 2 };
	d->os[0].f[0] = (struct drift_field){ dup("ubr"), dup("1000"), dup("2000") };
	d->os[0].f[1] = (struct drift_field){ dup("hostname"), NULL, dup("KIOSK-2") };

	d->vol = xcalloc(1, sizeof(*d->vol));
	d->nvol = 1;
	d->vol[0] = (struct drift_volume){ .change = DRIFT_CHANGED, .index = 2, .filesystem = dup("ntfs"),
		.label = dup("OS"), .f = field("size", "1000", "2000"), .nf = 1 };

	d->det = xcalloc(2, sizeof(*d->det));
	d->ndet = 2;
	d->det[0] = (struct drift_detection){ .change = DRIFT_ADDED, .volume = 2, .path = dup("/Users/x/evil.exe"),
		.stream = dup(""), .signature = dup("Win.Test.EICAR_HDB-1"), .sha256 = dup("eeee") };
	d->det[1] = (struct drift_detection){ .change = DRIFT_REMOVED, .volume = 2, .path = dup("/old.exe"),
		.stream = dup(""), .signature = dup("Win.Trojan.Old"), .sha256 = dup("ffff") };

	d->findings = xcalloc(3, sizeof(*d->findings));
	d->nfindings = 3;
	d->findings[0] = (struct drift_finding){ .change = DRIFT_ADDED, .rule = dup("malware"), .volume = 2,
		.path = dup("/Users/x/evil.exe"), .value = dup("Win.Test.EICAR_HDB-1"),
		.new_severity = dup("fail"), .message = dup("ClamAV found Win.Test.EICAR_HDB-1") };
	d->findings[1] = (struct drift_finding){ .change = DRIFT_REMOVED, .rule = dup("os-eol"),
		.old_severity = dup("review"), .message = dup("Windows 10 is past its end of support") };
	d->findings[2] = (struct drift_finding){ .change = DRIFT_CHANGED, .rule = dup("autorun-unknown"),
		.volume = 2, .path = dup("/X/up.exe"), .old_severity = dup("review"), .new_severity = dup("review"),
		.new_waiver = dup("vendor-updater"), .message = dup("unknown start program") };

	d->reuse = true;
	d->files_reused = 1190;
	d->files_scanned = 13;
}

static char *render(const struct drift *d, bool html)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	assert_int_equal(html ? drift_write_html(d, f) : drift_write_text(d, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(buf), n);
	return buf;
}

static const char small_text[] =
	"Changes since the baseline\n"
	"Baseline:   reports/v1\n"
	"            image sha256 1111111111111111111111111111111111111111111111111111111111111111, "
	"scan started 2026-01-02T03:04:05Z, verdict PASS, profile default\n"
	"            report.json sha256 3333333333333333333333333333333333333333333333333333333333333333, "
	"manifest.jsonl sha256 4444444444444444444444444444444444444444444444444444444444444444\n"
	"Now:        this scan\n"
	"            image sha256 2222222222222222222222222222222222222222222222222222222222222222, "
	"scan started 2026-02-03T04:05:06Z, verdict REVIEW, profile default\n"
	"Summary:    files 1 added, 1 removed, 1 changed, 1200 unchanged; autostart entries 1 added, "
	"0 removed, 1 changed; detections 1 new, 1 gone; rule outcomes 1 new, 1 gone, 1 changed; "
	"Windows 0 added, 0 removed, 1 changed; volumes 0 added, 0 removed, 1 changed\n"
	"Reused:     1190 files scanned clean in the baseline with the same engine were not rescanned; "
	"13 scanned\n"
	"\n"
	"Rule outcomes that changed (3):\n"
	"  + new      malware  none -> fail  vol 2  /Users/x/evil.exe  value Win.Test.EICAR_HDB-1: "
	"ClamAV found Win.Test.EICAR_HDB-1\n"
	"  - gone     os-eol  review -> none: Windows 10 is past its end of support\n"
	"  ~ changed  autorun-unknown  review -> review waived by 'vendor-updater'  vol 2  /X/up.exe: "
	"unknown start program\n"
	"\n"
	"Detections new or gone (2):\n"
	"  + new      vol 2 /Users/x/evil.exe  Win.Test.EICAR_HDB-1  sha256 eeee\n"
	"  - gone     vol 2 /old.exe  Win.Trojan.Old  sha256 ffff\n"
	"\n"
	"Autostart entries that differ (2):\n"
	"  + added    vol 2 Run HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run  Updater = "
	"C:\\X\\up.exe /q\n"
	"  ~ changed  vol 2 Service HKLM\\SYSTEM\\ControlSet001\\Services\\svc  ImagePath = C:\\svc2.exe\n"
	"             command: C:\\svc.exe -> C:\\svc2.exe\n"
	"\n"
	"Windows installations that differ (1):\n"
	"  ~ changed  vol 2 /Windows  Windows 10 Enterprise LTSC 2019\n"
	"             ubr: 1000 -> 2000\n"
	"             hostname: (none) -> KIOSK-2\n"
	"\n"
	"Volumes that differ (1):\n"
	"  ~ changed  vol 2 ntfs \"OS\"\n"
	"             size: 1000 -> 2000\n"
	"\n"
	"Files that differ (3):\n"
	"  + added    vol 2 /Program Files/X/new.exe  sha256 "
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, 4608 bytes\n"
	"  ~ changed  vol 2 /Windows/System32/foo.dll  sha256 "
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb -> "
	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc, 100 -> 200 bytes, "
	"status scanned -> detected\n"
	"  - removed  vol 2 /old.txt:Zone.Identifier  sha256 "
	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd, 26 bytes\n";

static void text_small_whole(void **state)
{
	struct drift d;

	small(&d);
	char *t = render(&d, false);
	assert_string_equal(t, small_text);
	free(t);
	free_drift(&d);
}

static void text_empty(void **state)
{
	struct drift d = { 0 };

	sides(&d, "reports/v1");
	char *t = render(&d, false);
	assert_non_null(strstr(t, "\nNo changes since the baseline.\n"));
	assert_null(strstr(t, "Summary:"));
	assert_null(strstr(t, "Reuse"));
	assert_null(strstr(t, "that differ"));
	free(t);

	/* Reuse refused still says why, with nothing changed. */
	d.reuse_note = xstrdup("database daily.cld differs");
	d.files_scanned = 7;
	t = render(&d, false);
	assert_non_null(strstr(t, "No changes since the baseline.\n"
				  "Reuse:      none (database daily.cld differs); 7 files scanned\n"));
	free(t);

	t = render(&d, true);
	assert_non_null(strstr(t, "No changes since the baseline."));
	assert_null(strstr(t, "<h3>"));
	free(t);
	free_drift(&d);
}

/* The small drift with a hostile string in every field the writers show. */
static void hostile(struct drift *d)
{
	small(d);
	free(d->old.dir), d->old.dir = dup(img);
	free(d->old.verdict), d->old.verdict = dup(nl_esc);
	free(d->old.profile), d->old.profile = dup(bidi);
	free(d->files[0].path), d->files[0].path = dup(img);
	free(d->files[1].path), d->files[1].path = dup(nl_esc);
	free(d->files[2].path), d->files[2].path = dup(japanese);
	free(d->files[2].stream), d->files[2].stream = dup(bidi);
	free(d->autoruns[0].name), d->autoruns[0].name = dup(nl_esc);
	free(d->autoruns[0].command), d->autoruns[0].command = dup(img);
	d->autoruns[0].user = dup(bidi);
	free(d->autoruns[1].f[0].new_value), d->autoruns[1].f[0].new_value = dup(nl_esc);
	free(d->os[0].product), d->os[0].product = dup(img);
	free(d->vol[0].label), d->vol[0].label = dup(nl_esc);
	free(d->det[0].path), d->det[0].path = dup(img);
	free(d->det[1].signature), d->det[1].signature = dup(nl_esc);
	free(d->findings[0].message), d->findings[0].message = dup(img);
	free(d->findings[2].new_waiver), d->findings[2].new_waiver = dup(nl_esc);
	free(d->findings[1].message), d->findings[1].message = xasprintf("runs %s", japanese);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void text_hostile_neutralised(void **state)
{
	struct drift d;

	hostile(&d);
	char *t = render(&d, false);
	/* No control character but the line ends, and as many lines as the
	 * plain drift: a newline in a name did not make one. */
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			fail_msg("control character 0x%02x at offset %td", *p, (const char *)p - t);
	assert_int_equal(count(t, "\n"), count(small_text, "\n"));
	assert_null(strstr(t, "\xE2\x80\xAE"));
	assert_non_null(strstr(t, "line?break?[31mred.exe"));
	assert_non_null(strstr(t, "invoice?txt.exe"));
	/* Text is not HTML: the name shows as it is. */
	assert_non_null(strstr(t, img));
	/* Japanese stays readable. */
	assert_non_null(strstr(t, "  - removed  vol 2 /Users/Public/\xE5\x88\xB6\xE5\xBE\xA1.exe:invoice?txt.exe  sha256 "));
	assert_non_null(strstr(t, "Run  invoice?txt.exe: line?break?[31mred.exe = <img src=x onerror=alert(1)>.exe\n"));
	free(t);
	free_drift(&d);
}

static void html_hostile_escaped(void **state)
{
	struct drift d;

	hostile(&d);
	char *h = render(&d, true);
	assert_null(strstr(h, "<img"));
	assert_null(strcasestr(h, "<script"));
	assert_non_null(strstr(h, img_escaped));
	/* Every hostile path, command, product, message and the baseline's
	 * directory: each on the page, escaped. */
	assert_int_equal(count(h, img_escaped), 6);
	assert_null(strstr(h, "\x1b"));
	assert_null(strstr(h, "\xE2\x80\xAE"));
	assert_non_null(strstr(h, "line\xE2\x90\x8A" "break\xE2\x90\x9B[31mred.exe"));
	assert_non_null(strstr(h, "invoice\xEF\xBF\xBDtxt.exe"));
	assert_non_null(strstr(h, "\xE5\x88\xB6\xE5\xBE\xA1.exe"));
	assert_true(!strncmp(h, "<section id=\"drift\" class=\"page-break\">\n<h2>Changes since the baseline</h2>\n",
			     strlen("<section id=\"drift\" class=\"page-break\">\n<h2>Changes since the baseline</h2>\n")));
	assert_non_null(strstr(h, "</section>\n"));
	/* Only the markup report.html's own test allows, no attribute but
	 * class and id, and nothing that names a URL. */
	static const char *const tags[] = { "section", "h2", "h3", "p", "table", "colgroup", "col", "thead",
					    "tbody", "tr", "th", "td", "span", "code", "strong", "br" };
	for (const char *p = strchr(h, '<'); p; p = strchr(p + 1, '<')) {
		const char *t = p + 1 + (p[1] == '/');
		size_t tl = strcspn(t, " >"), k = 0;
		while (k < sizeof(tags) / sizeof(tags[0]) && (strlen(tags[k]) != tl || strncmp(tags[k], t, tl)))
			k++;
		if (k == sizeof(tags) / sizeof(tags[0]))
			fail_msg("unexpected tag: %.40s", p);
		if (t[tl] == ' ' && strncmp(t + tl, " class=\"", 8) && strncmp(t + tl, " id=\"", 5))
			fail_msg("unexpected attribute: %.40s", p);
	}
	assert_null(strstr(h, "//"));
	assert_null(strcasestr(h, "url("));
	free(h);
	free_drift(&d);
}

static void html_sections_counted(void **state)
{
	struct drift d;

	small(&d);
	char *h = render(&d, true);
	assert_non_null(strstr(h, "<h3>Rule outcomes that changed (3)</h3>"));
	assert_non_null(strstr(h, "<h3>Malware detections new or gone (2)</h3>"));
	assert_non_null(strstr(h, "<h3>Autostart entries that differ (2)</h3>"));
	assert_non_null(strstr(h, "<h3>Windows installations that differ (1)</h3>"));
	assert_non_null(strstr(h, "<h3>Volumes that differ (1)</h3>"));
	assert_non_null(strstr(h, "<h3>Files that differ (3)</h3>"));
	assert_non_null(strstr(h, "<td>1 added, 1 removed, 1 changed, 1200 unchanged</td>"));
	assert_non_null(strstr(h, "<tr><th>Malware detections</th><td>1 new, 1 gone</td></tr>"));
	/* One row per item, each with its change cell. */
	assert_int_equal(count(h, "<tr><td class=\"sev d-"), 3 + 2 + 2 + 1 + 1 + 3);
	assert_int_equal(count(h, "d-added\">added<") + count(h, "d-added\">new<"), 4);
	assert_int_equal(count(h, "d-removed\">removed<") + count(h, "d-removed\">gone<"), 3);
	assert_int_equal(count(h, "d-changed\">changed<"), 5);
	assert_null(strstr(h, "No changes"));
	free(h);

	/* A section without items is left out, in text and page alike. */
	for (size_t i = 0; i < d.nvol; i++)
		free(d.vol[i].filesystem), free(d.vol[i].label), free_fields(d.vol[i].f, d.vol[i].nf);
	free(d.vol), d.vol = NULL, d.nvol = 0;
	h = render(&d, true);
	assert_null(strstr(h, "Volumes that differ"));
	free(h);
	h = render(&d, false);
	assert_null(strstr(h, "Volumes that differ"));
	assert_non_null(strstr(h, "volumes 0 added, 0 removed, 0 changed\n"));
	free(h);
	free_drift(&d);
}

/* A full stream is a write error the caller can report. */
static void write_error(void **state)
{
	struct drift d;
	char buf[64];
	FILE *f;

	small(&d);
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(drift_write_text(&d, f), -1);
	fclose(f);
	free_drift(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_small_whole),
		cmocka_unit_test(text_empty),
		cmocka_unit_test(text_hostile_neutralised),
		cmocka_unit_test(html_hostile_escaped),
		cmocka_unit_test(html_sections_counted),
		cmocka_unit_test(write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
