/* Macro-enabled Office documents found by content: ClamAV's OLE2 and OOXML
 * parsers report VBA and Excel 4.0 macros as AV_MACROS, never as a
 * detection, and still scan the macro source for signatures. The documents
 * are written at test time by tests/tools/mkmacrodoc.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/av.h>
#include <kenshu/output.h>
#include <kenshu/core.h>
#include <kenshu/report.h>
#include "engine.h"

#define MARKER "kenshu-vba-marker-7f3a"

static char tmpdir[] = "/tmp/kenshu-test-av-macros-XXXXXX";
static struct av *av;


/* Writes KIND with mkmacrodoc.py and reads it back whole. */
static uint8_t *make_doc(const char *kind, const char *text, size_t *n)
{
	char *path = xasprintf("%s/%s.bin", tmpdir, kind);
	char *cmd = xasprintf("python3 tests/tools/mkmacrodoc.py %s '%s' %s", kind, path, text ? text : "");
	struct stat st;
	uint8_t *data;
	FILE *f;

	assert_int_equal(system(cmd), 0);
	assert_int_equal(stat(path, &st), 0);
	data = malloc((size_t)st.st_size);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(data, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*n = (size_t)st.st_size;
	free(cmd);
	free(path);
	return data;
}

static int setup(void **state)
{
	char hex[2 * sizeof(MARKER) + 1] = "", *line;
	for (size_t i = 0; MARKER[i]; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)MARKER[i]);
	line = xasprintf("Kenshu.Unit.VbaMarker:0:*:%s\n", hex);
	av = test_engine_open(tmpdir, (const struct test_db_file[]){ { "marker.ndb", line } }, 1);
	free(line);
	return av ? 0 : -1;
}

static int teardown(void **state)
{
	return test_engine_close(av, tmpdir);
}

static void scan_doc(const char *kind, const char *text, struct av_result *res)
{
	size_t n;
	uint8_t *doc = make_doc(kind, text, &n);

	assert_int_equal(av_scan_memory(av, doc, n, kind, res), 0);
	assert_null(res->error);
	assert_null(res->engine_error);
	free(doc);
}

/* The result is exactly one AV_MACROS match with this name. */
static void expect_macros(const char *kind, const char *heuristic)
{
	struct av_result res;

	scan_doc(kind, NULL, &res);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.m[0].kind, AV_MACROS);
	assert_string_equal(res.m[0].name, heuristic);
	assert_string_equal(av_match_kind_name(res.m[0].kind), "macros");
	av_result_release(&res);
}

static void expect_nothing(const char *kind)
{
	struct av_result res;

	scan_doc(kind, NULL, &res);
	for (size_t i = 0; i < res.n; i++)
		print_message("unexpected: %s\n", res.m[i].name);
	assert_int_equal(res.n, 0);
	av_result_release(&res);
}

static void word_97_with_vba(void **state)
{
	expect_macros("vba-doc", "Heuristics.OLE2.ContainsMacros.VBA");
}

static void word_2007_docm_with_vba(void **state)
{
	expect_macros("docm", "Heuristics.OLE2.ContainsMacros.VBA");
}

static void excel_4_macro_sheet(void **state)
{
	expect_macros("xlm-xls", "Heuristics.OLE2.ContainsMacros.XLM");
}

static void documents_without_macros(void **state)
{
	expect_nothing("plain-doc");
	expect_nothing("docx");
}

/* All-match: the macro finding does not stop ClamAV from scanning the
 * macro source, which only exists decompressed. */
static void macro_source_still_scanned(void **state)
{
	struct av_result res;
	bool macros = false, marker = false;

	for (int k = 0; k < 2; k++) {
		scan_doc(k ? "docm" : "vba-doc", MARKER, &res);
		macros = marker = false;
		for (size_t i = 0; i < res.n; i++) {
			macros |= res.m[i].kind == AV_MACROS;
			marker |= res.m[i].kind == AV_DETECTION &&
				  strcmp(res.m[i].name, "Kenshu.Unit.VbaMarker.UNOFFICIAL") == 0;
		}
		assert_true(macros);
		assert_true(marker);
		av_result_release(&res);
	}
}

/* Macro documents have their own list, sorted, apart from detections. */
static void report_lists_macro_documents(void **state)
{
	struct report r;
	char *text = NULL;
	size_t n = 0;
	FILE *f;

	report_init(&r);
	scan_engine_facts(av, &r.engine);
	r.image_path = xstrdup("/tmp/x.img");
	r.image_format = xstrdup("raw");
	r.scheme = xstrdup("gpt");
	r.disk_guid = xstrdup("");
	report_add_macro(&r, 2, "/Users/Public/b.xlsm", "", "Heuristics.OLE2.ContainsMacros.VBA", "bb", 20);
	report_add_macro(&r, 2, "/Users/Public/a.doc", "", "Heuristics.OLE2.ContainsMacros.VBA", "aa", 10);
	report_add_macro(&r, 1, "/z.xls", "", "Heuristics.OLE2.ContainsMacros.XLM", "cc", 30);
	report_add_file(&r, 2, "/Users/Public/a.doc", "", 10, "aa", 0, NULL, "scanned");
	report_finish(&r);
	assert_int_equal(r.ndet, 0);
	assert_int_equal(r.nmacros, 3);
	assert_string_equal(r.macros[0].path, "/z.xls");
	assert_string_equal(r.macros[1].path, "/Users/Public/a.doc");
	assert_string_equal(r.macros[2].signature, "Heuristics.OLE2.ContainsMacros.VBA");

	f = open_memstream(&text, &n);
	assert_int_equal(report_write_json(&r, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "\"macro_documents\": [\n"));
	assert_non_null(strstr(text, "\"heuristic\": \"Heuristics.OLE2.ContainsMacros.XLM\""));
	free(text);
	f = open_memstream(&text, &n);
	assert_int_equal(report_write_text(&r, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "\nDocuments with macros: 3\n"));
	free(text);
	report_release(&r);

	/* None: the JSON list is empty and report.txt says nothing. */
	report_init(&r);
	scan_engine_facts(av, &r.engine);
	r.image_path = xstrdup("/tmp/x.img");
	r.image_format = xstrdup("raw");
	r.scheme = xstrdup("gpt");
	r.disk_guid = xstrdup("");
	report_finish(&r);
	f = open_memstream(&text, &n);
	assert_int_equal(report_write_json(&r, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "\"macro_documents\": [\n  ]"));
	free(text);
	f = open_memstream(&text, &n);
	assert_int_equal(report_write_text(&r, f), 0);
	fclose(f);
	assert_null(strstr(text, "Documents with macros"));
	free(text);
	report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(word_97_with_vba),
		cmocka_unit_test(word_2007_docm_with_vba),
		cmocka_unit_test(excel_4_macro_sheet),
		cmocka_unit_test(documents_without_macros),
		cmocka_unit_test(macro_source_still_scanned),
		cmocka_unit_test(report_lists_macro_documents),
	};

	return cmocka_run_group_tests_name("av macros", tests, setup, teardown);
}
