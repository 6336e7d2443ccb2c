/* Unit tests for wmi: repositories are written at test time by
 * $KENSHU_TOOLS/mkwmirepo from recipes (no binary fixture is committed) and
 * scanned from exact-size heap copies, so any read past the end trips the
 * sanitizer. Hostile cases cut, mutate and forge the page tables and the
 * records' sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

#include "bytes.h"

#define MUTATIONS 24000
#define PAGE WMI_PAGE_SIZE

static char dir[] = "/tmp/kenshu-test-wmi-XXXXXX";
static unsigned nfixture;

struct repo {
	uint8_t *p;
	size_t size;
};

/* ---- fixtures ---- */

static struct repo build(const char *recipe)
{
	struct repo r;

	r.p = tool_fixture(dir, nfixture++, "mkwmirepo", true, recipe, &r.size);
	assert_true(r.size % PAGE == 0);
	return r;
}

/* ---- the scan contract ---- */

static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 :
			    (*p & 0xF8) == 0xF0 ? 3 : -1;

		if (extra < 0)
			return false;
		for (int k = 1; k <= extra; k++)
			if ((p[k] & 0xC0) != 0x80)
				return false;
		p += 1 + extra;
	}
	return true;
}

static void check_string(const char *s)
{
	if (!s)
		return;
	assert_true(strlen(s) <= WMI_MAX_STRING);
	assert_true(utf8_ok(s));
}

static void check_contract(int rc, const struct wmi_subscriptions *s, const char *err)
{
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n'));
		assert_null(s->consumers);
		assert_null(s->filters);
		assert_null(s->bindings);
		assert_int_equal(s->nconsumers + s->nfilters + s->nbindings, 0);
		return;
	}
	assert_string_equal(err, "");
	assert_true(s->nconsumers <= WMI_MAX_OBJECTS);
	assert_true(s->nfilters <= WMI_MAX_OBJECTS);
	assert_true(s->nbindings <= WMI_MAX_OBJECTS);
	assert_true(s->table_pages <= s->pages);
	for (size_t i = 0; i < s->nconsumers; i++) {
		const struct wmi_consumer *w = &s->consumers[i];

		assert_non_null(w->class_name);
		check_string(w->name);
		check_string(w->ns);
		check_string(w->command_line_template);
		check_string(w->executable_path);
		check_string(w->scripting_engine);
		check_string(w->script_text);
		check_string(w->script_file_name);
		check_string(w->strings);
		for (size_t k = 0; k < w->nbindings; k++)
			assert_true(w->bindings[k] < s->nbindings);
	}
	for (size_t i = 0; i < s->nfilters; i++) {
		check_string(s->filters[i].name);
		check_string(s->filters[i].query);
		check_string(s->filters[i].strings);
	}
	for (size_t i = 0; i < s->nbindings; i++) {
		const struct wmi_binding *b = &s->bindings[i];

		check_string(b->consumer_ref);
		check_string(b->filter_ref);
		check_string(b->consumer_name);
		check_string(b->filter_name);
		assert_true(b->consumer == WMI_NONE || b->consumer < s->nconsumers);
		assert_true(b->filter == WMI_NONE || b->filter < s->nfilters);
	}
}

/* Scans a copy of exactly size bytes. */
static int scan(const void *data, size_t size, struct wmi_subscriptions *s)
{
	struct ks_err err;
	void *copy = size ? xmalloc(size) : NULL;
	int rc;

	if (size)
		memcpy(copy, data, size);
	memset(s, 0x5a, sizeof(*s));
	memset(err.msg, 'x', sizeof(err.msg));
	rc = wmi_scan_objects(copy ? copy : "", size, s, &err);
	check_contract(rc, s, err.msg);
	free(copy);
	return rc;
}

static const struct wmi_consumer *consumer(const struct wmi_subscriptions *s, const char *name)
{
	for (size_t i = 0; i < s->nconsumers; i++)
		if (s->consumers[i].name && strcmp(s->consumers[i].name, name) == 0)
			return &s->consumers[i];
	fail_msg("no consumer '%s'", name);
	return NULL;
}

static const struct wmi_filter *filter(const struct wmi_subscriptions *s, const char *name)
{
	for (size_t i = 0; i < s->nfilters; i++)
		if (s->filters[i].name && strcmp(s->filters[i].name, name) == 0)
			return &s->filters[i];
	fail_msg("no filter '%s'", name);
	return NULL;
}

static const struct wmi_binding *binding(const struct wmi_subscriptions *s, const char *cname)
{
	for (size_t i = 0; i < s->nbindings; i++)
		if (s->bindings[i].consumer_name && strcmp(s->bindings[i].consumer_name, cname) == 0)
			return &s->bindings[i];
	fail_msg("no binding of '%s'", cname);
	return NULL;
}

/* ---- consumers ---- */

static void test_command_line(void **state)
{
	struct repo r = build(
		"padding 7\n"
		"cmdline Updater \"cmd.exe /c start \\\"\\\" C:\\\\ProgramData\\\\u.exe\" C:\\Windows\\System32\\cmd.exe\n"
		"cmdline OnlyTemplate \"powershell -enc SQBFAFgA\"\n"
		"cmdline OnlyPath - C:\\Temp\\run.exe\n"
		"cmdline EmptyTemplate \"\" C:\\x.exe\n"
		"padding 5\n");
	struct wmi_subscriptions s;
	const struct wmi_consumer *w;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.nconsumers, 4);
	assert_int_equal(s.nfilters + s.nbindings, 0);
	assert_int_equal(s.class_defs, 4);
	assert_false(s.md5);

	w = consumer(&s, "Updater");
	assert_int_equal(w->kind, WMI_COMMAND_LINE);
	assert_string_equal(w->class_name, "CommandLineEventConsumer");
	assert_string_equal(w->command_line_template, "cmd.exe /c start \"\" C:\\ProgramData\\u.exe");
	assert_string_equal(w->executable_path, "C:\\Windows\\System32\\cmd.exe");
	assert_null(w->scripting_engine);
	assert_null(w->script_text);
	assert_null(w->strings);
	assert_null(w->ns); /* no binding: its namespace cannot be told */
	assert_int_equal(w->nbindings, 0);
	assert_int_equal(w->flags, 0);
	assert_true(w->offset > 0 && w->offset < r.size);

	w = consumer(&s, "OnlyTemplate");
	assert_string_equal(w->command_line_template, "powershell -enc SQBFAFgA");
	assert_null(w->executable_path);
	w = consumer(&s, "OnlyPath");
	assert_null(w->command_line_template);
	assert_string_equal(w->executable_path, "C:\\Temp\\run.exe");
	w = consumer(&s, "EmptyTemplate");
	assert_string_equal(w->command_line_template, "");
	assert_string_equal(w->executable_path, "C:\\x.exe");
	wmi_subscriptions_release(&s);
	wmi_subscriptions_release(&s); /* twice is fine */
	free(r.p);
}

static void test_active_script(void **state)
{
	struct repo r = build(
		"script KillProcess VBScript \"Set o = CreateObject(\\\"WScript.Shell\\\")\\r\\n\\to.Run \\\"calc\\\"\\n\"\n"
		"script Wide JScript \"var s = '\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e'; // caf\xc3\xa9\"\n"
		"script Latin JScript \"caf\xc3\xa9 \xc2\xa9\"\n"
		"script FromFile VBScript - C:\\Windows\\Temp\\x.vbs\n");
	struct wmi_subscriptions s;
	const struct wmi_consumer *w;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.nconsumers, 4);

	w = consumer(&s, "KillProcess");
	assert_int_equal(w->kind, WMI_ACTIVE_SCRIPT);
	assert_string_equal(w->class_name, "ActiveScriptEventConsumer");
	assert_string_equal(w->scripting_engine, "VBScript");
	assert_string_equal(w->script_text, "Set o = CreateObject(\"WScript.Shell\")\r\n\to.Run \"calc\"\n");
	assert_null(w->script_file_name);
	assert_null(w->command_line_template);
	assert_int_equal(w->flags, 0);

	/* stored as UTF-16 (a character past U+00FF) and as Latin-1 */
	w = consumer(&s, "Wide");
	assert_string_equal(w->script_text, "var s = '\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e'; // caf\xc3\xa9");
	w = consumer(&s, "Latin");
	assert_string_equal(w->script_text, "caf\xc3\xa9 \xc2\xa9");

	w = consumer(&s, "FromFile");
	assert_null(w->script_text);
	assert_string_equal(w->script_file_name, "C:\\Windows\\Temp\\x.vbs");
	assert_string_equal(w->scripting_engine, "VBScript");
	wmi_subscriptions_release(&s);
	free(r.p);
}

/* ---- bindings ---- */

static void test_binding_to_filter(void **state)
{
	struct repo r = build(
		"filter ProcessStartTrigger \"SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'procexp64.exe'\" ROOT\\cimv2\n"
		"padding 3\n"
		"script KillProcess VBScript \"WScript.Echo 1\"\n"
		"binding ActiveScriptEventConsumer KillProcess ProcessStartTrigger\n"
		"filter Timer \"SELECT * FROM __TimerEvent WHERE TimerID = 'Timer'\"\n"
		"binding ActiveScriptEventConsumer KillProcess Timer\n"
		"namespace root\\default\n"
		"filter Boot \"SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'\"\n"
		"cmdline \"quote\\\"d name\" \"calc.exe\"\n"
		"binding CommandLineEventConsumer \"quote\\\"d name\" Boot\n");
	struct wmi_subscriptions s;
	const struct wmi_consumer *w;
	const struct wmi_binding *b;
	const struct wmi_filter *f;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.nconsumers, 2);
	assert_int_equal(s.nfilters, 3);
	assert_int_equal(s.nbindings, 3);

	w = consumer(&s, "KillProcess");
	assert_string_equal(w->ns, "ROOT\\subscription");
	assert_int_equal(w->nbindings, 2);
	b = &s.bindings[w->bindings[0]];
	assert_string_equal(b->consumer_ref, "ActiveScriptEventConsumer.Name=\"KillProcess\"");
	assert_string_equal(b->filter_ref, "__EventFilter.Name=\"ProcessStartTrigger\"");
	assert_string_equal(b->consumer_class, "ActiveScriptEventConsumer");
	assert_string_equal(b->consumer_name, "KillProcess");
	assert_string_equal(b->filter_name, "ProcessStartTrigger");
	assert_string_equal(b->ns, "ROOT\\subscription");
	assert_true(&s.consumers[b->consumer] == w);
	assert_false(b->other_class);
	assert_false(b->is_default);
	assert_int_not_equal(b->filter, WMI_NONE);
	f = &s.filters[b->filter];
	assert_string_equal(f->name, "ProcessStartTrigger");
	assert_string_equal(f->query, "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'procexp64.exe'");
	assert_string_equal(f->query_language, "WQL");
	assert_string_equal(f->event_namespace, "ROOT\\cimv2");
	assert_string_equal(f->ns, "ROOT\\subscription");
	b = &s.bindings[w->bindings[1]];
	assert_string_equal(s.filters[b->filter].query, "SELECT * FROM __TimerEvent WHERE TimerID = 'Timer'");

	/* another namespace, and a name that needs escaping in the path */
	w = consumer(&s, "quote\"d name");
	assert_string_equal(w->ns, "root\\default");
	b = binding(&s, "quote\"d name");
	assert_string_equal(b->consumer_ref, "CommandLineEventConsumer.Name=\"quote\\\"d name\"");
	assert_string_equal(b->ns, "root\\default");
	assert_true(&s.consumers[b->consumer] == w);
	f = filter(&s, "Boot");
	assert_true(&s.filters[b->filter] == f);
	assert_string_equal(f->ns, "root\\default");
	wmi_subscriptions_release(&s);
	free(r.p);
}

static void test_default_and_other_bindings(void **state)
{
	struct repo r = build(
		"filter \"SCM Event Log Filter\" \"select * from MSFT_SCMEventLogEvent\"\n"
		"binding NTEventLogEventConsumer \"SCM Event Log Consumer\" \"SCM Event Log Filter\"\n"
		"binding LogFileEventConsumer Logger \"SCM Event Log Filter\"\n"
		"binding NTEventLogEventConsumer \"SCM Event Log Consumer\" Other\n"
		"binding ActiveScriptEventConsumer Gone Missing\n"
		"padding 4\n");
	struct wmi_subscriptions s;
	const struct wmi_binding *b;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.nconsumers, 0);
	assert_int_equal(s.nbindings, 4);

	b = &s.bindings[0];
	assert_string_equal(b->consumer_class, "NTEventLogEventConsumer");
	assert_string_equal(b->consumer_name, "SCM Event Log Consumer");
	assert_true(b->is_default);
	assert_true(b->other_class);
	assert_int_equal(b->consumer, WMI_NONE);
	assert_int_not_equal(b->filter, WMI_NONE);
	assert_string_equal(s.filters[b->filter].query, "select * from MSFT_SCMEventLogEvent");

	b = binding(&s, "Logger");
	assert_string_equal(b->consumer_class, "LogFileEventConsumer");
	assert_true(b->other_class);
	assert_false(b->is_default);

	/* Windows' consumer with another filter is not the default binding */
	b = &s.bindings[2];
	assert_string_equal(b->filter_name, "Other");
	assert_false(b->is_default);
	assert_int_equal(b->filter, WMI_NONE);

	/* a code-running consumer that is not there: reported, not "other" */
	b = binding(&s, "Gone");
	assert_false(b->other_class);
	assert_false(b->is_default);
	assert_int_equal(b->consumer, WMI_NONE);
	assert_int_equal(b->filter, WMI_NONE);
	assert_string_equal(b->ns, "ROOT\\subscription");
	wmi_subscriptions_release(&s);
	free(r.p);
}

/* A reference with a namespace path names a consumer elsewhere. */
static void test_absolute_reference(void **state)
{
	struct repo r = build(
		"cmdline Abs calc.exe\n"
		"filter f q\n"
		"binding \\\\.\\root\\cimv2:CommandLineEventConsumer Abs f\n"); /* bare: no escapes */
	struct wmi_subscriptions s;
	const struct wmi_binding *b;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	b = binding(&s, "Abs");
	assert_string_equal(b->consumer_ref, "\\\\.\\root\\cimv2:CommandLineEventConsumer.Name=\"Abs\"");
	assert_string_equal(b->consumer_class, "CommandLineEventConsumer");
	assert_string_equal(b->ns, "ROOT\\subscription");
	assert_int_not_equal(b->consumer, WMI_NONE);
	assert_string_equal(s.consumers[b->consumer].ns, "root\\cimv2");
	assert_string_equal(s.filters[b->filter].ns, "ROOT\\subscription");
	wmi_subscriptions_release(&s);
	free(r.p);
}

/* Class definitions (and records that merely name the classes) are no
 * subscription. */
static void test_class_definitions_alone(void **state)
{
	struct repo r = build("padding 60\n");
	struct wmi_subscriptions s;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.class_defs, 4);
	assert_int_equal(s.nconsumers + s.nfilters + s.nbindings, 0);
	assert_true(s.table_pages >= 2);
	assert_true(s.records >= 65);
	wmi_subscriptions_release(&s);
	free(r.p);
}

static void test_duplicates_once(void **state)
{
	struct repo r = build(
		"cmdline Twice calc.exe\n"
		"padding 30\n"
		"cmdline Twice calc.exe\n"
		"cmdline Twice notepad.exe\n");
	struct wmi_subscriptions s;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.nconsumers, 2); /* the identical stale copy once */
	assert_string_equal(s.consumers[0].command_line_template, "calc.exe");
	assert_string_equal(s.consumers[1].command_line_template, "notepad.exe");
	wmi_subscriptions_release(&s);
	free(r.p);
}

/* ---- layouts ---- */

static void test_md5_repository(void **state)
{
	struct repo r = build(
		"md5\n"
		"filter f \"SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_LogonSession'\"\n"
		"cmdline c calc.exe C:\\Windows\\System32\\calc.exe\n"
		"binding CommandLineEventConsumer c f\n");
	struct wmi_subscriptions s;
	const struct wmi_consumer *w;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_true(s.md5);
	w = consumer(&s, "c");
	assert_string_equal(w->command_line_template, "calc.exe");
	assert_int_equal(w->nbindings, 1);
	assert_null(w->ns); /* namespaces are told through SHA-256 only */
	assert_string_equal(s.filters[s.bindings[w->bindings[0]].filter].name, "f");
	wmi_subscriptions_release(&s);
	free(r.p);
}

static const char layout_recipe[] =
	"filter f \"SELECT * FROM __TimerEvent\"\n"
	"cmdline c calc.exe C:\\calc.exe\n"
	"script v VBScript \"WScript.Echo 2\" C:\\v.vbs\n"
	"binding CommandLineEventConsumer c f\n";

static void check_layout_result(const struct wmi_subscriptions *s, unsigned flags)
{
	const struct wmi_consumer *w = consumer(s, "c");

	assert_int_equal(w->flags, flags);
	assert_string_equal(w->command_line_template, "calc.exe");
	assert_string_equal(w->executable_path, "C:\\calc.exe");
	w = consumer(s, "v");
	assert_int_equal(w->flags, flags);
	assert_string_equal(w->scripting_engine, "VBScript");
	assert_string_equal(w->script_text, "WScript.Echo 2");
	assert_string_equal(w->script_file_name, "C:\\v.vbs");
	assert_string_equal(filter(s, "f")->query, "SELECT * FROM __TimerEvent");
	assert_string_equal(binding(s, "c")->filter_name, "f");
	assert_int_equal(binding(s, "c")->flags, flags);
}

/* Another Windows version's layout is read through the class definitions
 * the file holds. */
static void test_layout_from_class_definitions(void **state)
{
	char *recipe = xasprintf("layout other\n%s", layout_recipe);
	struct repo r = build(recipe);
	struct wmi_subscriptions s;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	check_layout_result(&s, 0);
	wmi_subscriptions_release(&s);
	free(r.p);
	free(recipe);
}

/* No class definitions: the built-in (Windows 10) layout, said so. */
static void test_builtin_layout(void **state)
{
	char *recipe = xasprintf("classdefs off\n%s", layout_recipe);
	struct repo r = build(recipe);
	struct wmi_subscriptions s;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.class_defs, 0);
	check_layout_result(&s, WMI_F_BUILTIN_LAYOUT);
	wmi_subscriptions_release(&s);
	free(r.p);
	free(recipe);
}

/* Neither: the objects are still reported, with the strings of their heap
 * (a filter's query and a binding's references recognised by shape). */
static void test_no_layout(void **state)
{
	char *recipe = xasprintf("classdefs off\nlayout other\n%s", layout_recipe);
	struct repo r = build(recipe);
	struct wmi_subscriptions s;
	const struct wmi_binding *b;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.nconsumers, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct wmi_consumer *w = &s.consumers[i];

		assert_int_equal(w->flags, WMI_F_NO_LAYOUT);
		assert_null(w->name);
		assert_null(w->command_line_template);
		assert_null(w->script_text);
		assert_non_null(w->strings);
	}
	assert_int_equal(s.consumers[0].kind, WMI_COMMAND_LINE);
	assert_string_equal(s.consumers[0].strings, "calc.exe\nC:\\calc.exe\nc");
	assert_int_equal(s.consumers[1].kind, WMI_ACTIVE_SCRIPT);
	assert_string_equal(s.consumers[1].strings, "v\nC:\\v.vbs\nVBScript\nWScript.Echo 2");
	assert_int_equal(s.nfilters, 1);
	assert_int_equal(s.filters[0].flags, WMI_F_NO_LAYOUT);
	assert_string_equal(s.filters[0].query, "SELECT * FROM __TimerEvent");
	assert_int_equal(s.nbindings, 1);
	b = &s.bindings[0];
	assert_int_equal(b->flags, WMI_F_NO_LAYOUT);
	assert_string_equal(b->consumer_ref, "CommandLineEventConsumer.Name=\"c\"");
	assert_string_equal(b->filter_ref, "__EventFilter.Name=\"f\"");
	assert_string_equal(b->ns, "ROOT\\subscription");
	wmi_subscriptions_release(&s);
	free(r.p);
	free(recipe);
}

/* ---- records across pages ---- */

static char *filler(size_t bytes)
{
	char *t = xmalloc(bytes + 1);
	size_t n = 0;
	unsigned long line = 0;

	while (n < bytes) {
		char l[64];
		int k = snprintf(l, sizeof(l), "' kenshu filler line %06lu\r\n", line++);

		for (int i = 0; i < k && n < bytes; i++)
			t[n++] = l[i];
	}
	t[n] = '\0';
	return t;
}

/* A record larger than a page runs on into the following pages. */
static void test_spans_pages(void **state)
{
	struct repo r = build(
		"filter f q\n"
		"bigscript Big VBScript 20000\n"
		"binding ActiveScriptEventConsumer Big f\n"
		"bigscript Huge JScript 100000\n");
	struct wmi_subscriptions s;
	const struct wmi_consumer *w;
	char *text = filler(100000);

	assert_int_equal(scan(r.p, r.size, &s), 0);
	w = consumer(&s, "Big");
	assert_int_equal(w->flags, WMI_F_SPANS_PAGES);
	assert_string_equal(w->scripting_engine, "VBScript");
	assert_int_equal(strlen(w->script_text), 20000);
	assert_memory_equal(w->script_text, text, 20000);
	assert_int_equal(w->nbindings, 1);

	/* kept whole up to WMI_MAX_STRING */
	w = consumer(&s, "Huge");
	assert_int_equal(w->flags, WMI_F_SPANS_PAGES | WMI_F_TRUNCATED);
	assert_int_equal(strlen(w->script_text), WMI_MAX_STRING);
	assert_memory_equal(w->script_text, text, WMI_MAX_STRING);
	wmi_subscriptions_release(&s);
	free(r.p);
	free(text);
}

/* The documented limit: when the rest of a big record is not on the
 * following pages (the mapping file put it elsewhere), only its first page
 * is read and it is flagged partial. */
static void test_scattered_record(void **state)
{
	struct repo r = build(
		"scatter\n"
		"bigscript Big VBScript 20000\n"
		"filter f q\n"
		"binding ActiveScriptEventConsumer Big f\n");
	struct wmi_subscriptions s;
	const struct wmi_consumer *w;
	char *text = filler(20000);
	size_t n;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	w = consumer(&s, "Big");
	assert_int_equal(w->flags, WMI_F_SPANS_PAGES | WMI_F_PARTIAL);
	assert_string_equal(w->scripting_engine, "VBScript");
	n = strlen(w->script_text);
	assert_true(n > 7000 && n < PAGE);
	assert_memory_equal(w->script_text, text, n);
	assert_int_equal(w->nbindings, 1);
	assert_int_not_equal(s.bindings[w->bindings[0]].filter, WMI_NONE);
	wmi_subscriptions_release(&s);
	free(r.p);

	/* the same without class definitions: the heap is still found */
	r = build("classdefs off\nlayout other\nscatter\nbigscript Big VBScript 20000\nfilter f q\n");
	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.nconsumers, 1);
	w = &s.consumers[0];
	assert_int_equal(w->flags, WMI_F_SPANS_PAGES | WMI_F_PARTIAL | WMI_F_NO_LAYOUT);
	assert_non_null(strstr(w->strings, "Big\nVBScript\n' kenshu filler line 000000\r\n"));
	wmi_subscriptions_release(&s);
	free(r.p);
	free(text);
}

/* An object no table lists (a deleted one in a free page) is still read. */
static void test_untabled(void **state)
{
	struct repo r = build(
		"cmdline Live calc.exe\n"
		"untabled\n"
		"cmdline Deleted \"cmd /c del x\"\n"
		"freepage\n"
		"untabled\n"
		"filter Old \"SELECT * FROM __TimerEvent\"\n"
		"padding 10\n");
	struct wmi_subscriptions s;
	const struct wmi_consumer *w;

	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.nconsumers, 2);
	assert_int_equal(consumer(&s, "Live")->flags, 0);
	w = consumer(&s, "Deleted");
	assert_int_equal(w->flags, WMI_F_UNTABLED);
	assert_string_equal(w->command_line_template, "cmd /c del x");
	assert_int_equal(filter(&s, "Old")->flags, WMI_F_UNTABLED);
	wmi_subscriptions_release(&s);
	free(r.p);
}

/* ---- hostile input ---- */

static const char hostile_recipe[] =
	"filter f \"SELECT * FROM __TimerEvent\"\n"
	"cmdline c \"cmd.exe /c x\" C:\\x.exe\n"
	"script v VBScript \"WScript.Echo 1\"\n"
	"binding CommandLineEventConsumer c f\n"
	"binding ActiveScriptEventConsumer v f\n"
	"binding NTEventLogEventConsumer \"SCM Event Log Consumer\" \"SCM Event Log Filter\"\n"
	"padding 6\n"
	"bigscript b JScript 9000\n"
	"untabled\n"
	"script u VBScript hidden\n";

/* One page: class definitions, then the subscription objects. */
static const char truncation_recipe[] =
	"filter f \"SELECT * FROM __TimerEvent\"\n"
	"cmdline c \"cmd.exe /c x\" C:\\x.exe\n"
	"script v VBScript \"WScript.Echo 1\"\n"
	"binding CommandLineEventConsumer c f\n"
	"binding NTEventLogEventConsumer \"SCM Event Log Consumer\" \"SCM Event Log Filter\"\n";

static void test_empty_and_tiny(void **state)
{
	struct wmi_subscriptions s;
	struct ks_err err;
	uint8_t z[3 * PAGE] = { 0 };

	assert_int_equal(wmi_scan_objects(NULL, 0, &s, &err), -1);
	assert_string_equal(err.msg, "empty file");
	assert_int_equal(scan("", 0, &s), -1);
	assert_int_equal(wmi_scan_objects("x", 0, &s, NULL), -1);
	for (size_t n = 1; n <= 40; n++)
		assert_int_equal(scan(z, n, &s), -1);
	/* zero pages hold no table */
	assert_int_equal(scan(z, sizeof(z), &s), -1);
	assert_int_equal(wmi_scan_objects(z, sizeof(z), &s, &err), -1);
	assert_non_null(strstr(err.msg, "not a WMI repository"));
}

static void test_every_truncation(void **state)
{
	struct repo r = build(truncation_recipe);
	struct wmi_subscriptions s;
	size_t found_at = 0;

	/* the whole file, for reference */
	assert_int_equal(scan(r.p, r.size, &s), 0);
	assert_int_equal(s.nconsumers, 2);
	assert_int_equal(s.nbindings, 2);
	wmi_subscriptions_release(&s);
	for (size_t n = 0; n <= r.size; n++) {
		if (scan(r.p, n, &s) == 0 && s.nconsumers && !found_at)
			found_at = n;
		wmi_subscriptions_release(&s);
	}
	assert_true(found_at > 0);
	free(r.p);
}

static uint32_t rng = 0x6b656e73u;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void test_mutations(void **state)
{
	struct repo r = build(hostile_recipe);
	uint8_t *m = xmalloc(r.size);
	static const uint32_t nasty[] = {
		0, 1, 3, 4, 8, 9, 13, 16, 0x7F, 0x80, 0xFF, 0x100, 0x1FFF, 0x2000, 0x2001,
		0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000u, 0x80000001u, 0xFFFFFFF0u,
		0xFFFFFFFFu,
	};
	size_t ok = 0;

	for (unsigned it = 0; it < MUTATIONS; it++) {
		struct wmi_subscriptions s;
		unsigned k = 1 + next() % 8;

		memcpy(m, r.p, r.size);
		for (unsigned j = 0; j < k; j++) {
			/* half the hits on page tables and record heads */
			size_t pg = next() % (r.size / PAGE);
			size_t at = (next() & 1) ? pg * PAGE + next() % 256 : next() % r.size;

			switch (next() % 4) {
			case 0:
				m[at] ^= (uint8_t)(1u << (next() % 8));
				break;
			case 1:
				m[at] = (uint8_t)next();
				break;
			default:
				if (r.size - at >= 4)
					set32(m + at, nasty[next() % (sizeof(nasty) / sizeof(nasty[0]))] +
						(next() % 3 == 0 ? (uint32_t)r.size : 0));
				break;
			}
		}
		if (scan(m, r.size, &s) == 0)
			ok++;
		wmi_subscriptions_release(&s);
	}
	assert_true(ok > MUTATIONS / 2);
	free(m);
	free(r.p);
}

/* Tables that point outside their page, overlap, or claim huge records. */
static void test_forged_tables(void **state)
{
	struct repo r = build("cmdline c calc.exe\npadding 3\n");
	uint8_t *m = xmalloc(r.size);
	struct wmi_subscriptions s;
	uint32_t first_off;
	size_t base;

	/* each forgery costs page 0 its table, nothing else */
	assert_int_equal(scan(r.p, r.size, &s), 0);
	base = s.table_pages;
	wmi_subscriptions_release(&s);
	for (int forgery = 0; forgery < 5; forgery++) {
		memcpy(m, r.p, r.size);
		switch (forgery) {
		case 0: /* a record starting past the page */
			set32(m + 4, PAGE);
			break;
		case 1: /* a record inside the table */
			set32(m + 4, 16);
			break;
		case 2: /* records overlapping */
			first_off = (uint32_t)(m[4] | m[5] << 8);
			set32(m + 16 + 4, first_off);
			break;
		case 3: /* a record in the middle of the table running past the page */
			set32(m + 8, 0xFFFFFFFFu);
			break;
		default: /* no terminator: 511 entries */
			memset(m, 0x41, PAGE);
			break;
		}
		if (scan(m, r.size, &s) == 0)
			assert_int_equal(s.table_pages, base - 1);
		wmi_subscriptions_release(&s);
	}

	/* the last record claiming 4 GiB: read as partial, no more */
	memcpy(m, r.p, r.size);
	for (size_t i = 0; i < 64; i++) {
		if (m[16 * i] == 0 && m[16 * i + 4] == 0 && m[16 * i + 8] == 0) {
			assert_true(i > 0);
			set32(m + 16 * (i - 1) + 8, 0xFFFFFFFFu);
			break;
		}
	}
	assert_int_equal(scan(m, r.size, &s), 0);
	wmi_subscriptions_release(&s);

	/* the consumer's own sizes forged: block, heap, string refs */
	for (unsigned field = 0; field < 4; field++) {
		for (size_t v = 0; v < 6; v++) {
			static const uint32_t vals[] = { 0, 9, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 0x1000 };
			uint8_t *hit;
			size_t at;

			memcpy(m, r.p, r.size);
			/* the consumer record starts with the class hash "BBFCCB44..." */
			hit = memmem(m, r.size, "B\0B\0F\0C\0C\0B\0", 12);
			assert_non_null(hit);
			at = (size_t)(hit - m) + 128 + 16;
			switch (field) {
			case 0: set32(m + at, vals[v]); break;          /* block length */
			case 1: set32(m + at + 4, vals[v]); break;      /* class name ref */
			case 2: set32(m + at + 9 + 7 + 12, vals[v]); break; /* Name's heap ref */
			default: set32(m + at + 9 + 7 + 92 + 4 + 1, vals[v]); break; /* heap length */
			}
			assert_int_equal(scan(m, r.size, &s), 0);
			wmi_subscriptions_release(&s);
		}
	}
	free(m);
	free(r.p);
}

static void test_random_data(void **state)
{
	static const size_t sizes[] = { 1, 15, 16, 17, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE + 5, 8 * PAGE };
	uint8_t *m = xmalloc(8 * PAGE);

	for (unsigned round = 0; round < 40; round++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct wmi_subscriptions s;

			for (size_t j = 0; j < sizes[i]; j++)
				m[j] = (uint8_t)next();
			/* some pages with a plausible table over random records */
			if (round % 2 && sizes[i] >= PAGE) {
				memset(m, 0, 48);
				set32(m, 1);
				set32(m + 4, 48);
				set32(m + 8, 1 + next() % 20000);
				set32(m + 16, 2);
				set32(m + 20, 48 + 1 + next() % 100);
				set32(m + 24, 1 + next() % 20000);
				m[4] = 48;
			}
			scan(m, sizes[i], &s);
			wmi_subscriptions_release(&s);
		}
	}
	free(m);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_active_script),
		cmocka_unit_test(test_binding_to_filter),
		cmocka_unit_test(test_default_and_other_bindings),
		cmocka_unit_test(test_absolute_reference),
		cmocka_unit_test(test_class_definitions_alone),
		cmocka_unit_test(test_duplicates_once),
		cmocka_unit_test(test_md5_repository),
		cmocka_unit_test(test_layout_from_class_definitions),
		cmocka_unit_test(test_builtin_layout),
		cmocka_unit_test(test_no_layout),
		cmocka_unit_test(test_spans_pages),
		cmocka_unit_test(test_scattered_record),
		cmocka_unit_test(test_untabled),
		cmocka_unit_test(test_empty_and_tiny),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_forged_tables),
		cmocka_unit_test(test_random_data),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
