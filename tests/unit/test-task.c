/* Unit tests for task: scheduled task XML is written here as UTF-8 text and
 * turned into UTF-16LE with a BOM the way Windows stores it; .job files are
 * built byte by byte. Hostile inputs (external entities, entity bombs, cut
 * and mutated files) must neither crash nor read anything outside the buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

#include "bytes.h"

#define FUZZ_ITERATIONS 5000
#define XXE_MARKER "KENSHU-XXE-MARKER-7f3a"
#define U_FFFD "\xEF\xBF\xBD"

/* ---- the parse contract ---- */

static void check_contract(int rc, const struct task_info *t, const struct ks_err *e)
{
	const char *err = e->msg;

	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_true(e->code == KS_EINPUT);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n'));
		assert_null(t->author);
		assert_null(t->actions);
		assert_null(t->triggers);
		assert_int_equal(t->nactions, 0);
		assert_int_equal(t->ntriggers, 0);
		assert_null(t->format);
	} else {
		assert_string_equal(err, "");
		assert_non_null(t->format);
		assert_true(t->nactions <= TASK_MAX_ACTIONS);
		assert_true(t->ntriggers <= TASK_MAX_TRIGGERS);
	}
}

static int xml(const void *d, size_t n, struct task_info *t, struct ks_err *err)
{
	int rc;

	memset(t, 0x5a, sizeof(*t));
	rc = task_parse_xml(d, n, t, err);
	check_contract(rc, t, err);
	return rc;
}

static int job(const void *d, size_t n, struct task_info *t, struct ks_err *err)
{
	int rc;

	memset(t, 0x5a, sizeof(*t));
	rc = task_parse_job(d, n, t, err);
	check_contract(rc, t, err);
	return rc;
}

static void expect_xml_error(const void *d, size_t n, const char *prefix)
{
	struct task_info t;
	struct ks_err err;

	assert_int_equal(xml(d, n, &t, &err), -1);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, prefix);
}

static void expect_job_error(const void *d, size_t n, const char *prefix)
{
	struct task_info t;
	struct ks_err err;

	assert_int_equal(job(d, n, &t, &err), -1);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, prefix);
}

/* ---- UTF-16 the way Windows writes it ---- */

/* UTF-8 text to UTF-16 bytes, little- or big-endian, with or without BOM. */
static uint8_t *to_utf16(const char *s, bool bom, bool be, size_t *len)
{
	uint16_t *u;
	long n = utf8_to_utf16le(s, &u);
	size_t o = 0;
	uint8_t *b;

	assert_true(n >= 0);
	b = malloc(2 * (size_t)n + 2);
	assert_non_null(b);
	if (bom) {
		b[o++] = be ? 0xFE : 0xFF;
		b[o++] = be ? 0xFF : 0xFE;
	}
	for (long i = 0; i < n; i++) {
		b[o + (be ? 1 : 0)] = (uint8_t)u[i];
		b[o + (be ? 0 : 1)] = (uint8_t)(u[i] >> 8);
		o += 2;
	}
	free(u);
	*len = o;
	return b;
}

static uint8_t *windows_utf16(const char *s, size_t *len)
{
	return to_utf16(s, true, false, len);
}

static const char hidden_task[] =
	"<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n"
	"<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n"
	"  <RegistrationInfo>\r\n"
	"    <Date>2022-03-10T15:59:03</Date>\r\n"
	"    <Author>DESKTOP-TEST\\Mallory</Author>\r\n"
	"    <URI>\\GameOver</URI>\r\n"
	"  </RegistrationInfo>\r\n"
	"  <Triggers>\r\n"
	"    <TimeTrigger>\r\n"
	"      <Repetition>\r\n"
	"        <Interval>PT5M</Interval>\r\n"
	"        <StopAtDurationEnd>false</StopAtDurationEnd>\r\n"
	"      </Repetition>\r\n"
	"      <StartBoundary>2022-03-10T15:59:00</StartBoundary>\r\n"
	"      <Enabled>true</Enabled>\r\n"
	"    </TimeTrigger>\r\n"
	"  </Triggers>\r\n"
	"  <Principals>\r\n"
	"    <Principal id=\"Author\">\r\n"
	"      <UserId>S-1-5-18</UserId>\r\n"
	"      <RunLevel>HighestAvailable</RunLevel>\r\n"
	"    </Principal>\r\n"
	"  </Principals>\r\n"
	"  <Settings>\r\n"
	"    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\r\n"
	"    <Enabled>true</Enabled>\r\n"
	"    <Hidden>true</Hidden>\r\n"
	"  </Settings>\r\n"
	"  <Actions Context=\"Author\">\r\n"
	"    <Exec>\r\n"
	"      <Command>C:\\TMP\\mim.exe</Command>\r\n"
	"      <Arguments>sekurlsa::LogonPasswords &gt; C:\\TMP\\o.txt</Arguments>\r\n"
	"    </Exec>\r\n"
	"  </Actions>\r\n"
	"</Task>\r\n";

static const char benign_task[] =
	"<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n"
	"<Task version=\"1.4\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n"
	"  <RegistrationInfo>\r\n"
	"    <Author>Contoso Ltd.</Author>\r\n"
	"    <Description>Keeps Contoso software up to date \xC3\xA9t\xC3\xA9 \xF0\x9F\x99\x82</Description>\r\n"
	"    <URI>\\Contoso\\Updater</URI>\r\n"
	"  </RegistrationInfo>\r\n"
	"  <Principals>\r\n"
	"    <Principal id=\"Users\"><GroupId>S-1-5-32-545</GroupId></Principal>\r\n"
	"    <Principal id=\"System\">\r\n"
	"      <UserId>S-1-5-18</UserId>\r\n"
	"      <RunLevel>LeastPrivilege</RunLevel>\r\n"
	"    </Principal>\r\n"
	"  </Principals>\r\n"
	"  <Triggers>\r\n"
	"    <LogonTrigger><Enabled>true</Enabled></LogonTrigger>\r\n"
	"    <BootTrigger><Enabled>false</Enabled></BootTrigger>\r\n"
	"    <CalendarTrigger>\r\n"
	"      <StartBoundary>2023-01-01T03:00:00</StartBoundary>\r\n"
	"      <ScheduleByWeek><WeeksInterval>1</WeeksInterval></ScheduleByWeek>\r\n"
	"    </CalendarTrigger>\r\n"
	"  </Triggers>\r\n"
	"  <Settings><Enabled>false</Enabled><Hidden>false</Hidden></Settings>\r\n"
	"  <Actions Context=\"System\">\r\n"
	"    <Exec>\r\n"
	"      <Command>\"%ProgramFiles%\\Contoso\\update.exe\"</Command>\r\n"
	"      <Arguments>/silent</Arguments>\r\n"
	"      <WorkingDirectory>%ProgramFiles%\\Contoso</WorkingDirectory>\r\n"
	"    </Exec>\r\n"
	"    <Exec><Command>%windir%\\system32\\cleanmgr.exe</Command></Exec>\r\n"
	"  </Actions>\r\n"
	"</Task>\r\n";

static const char com_task[] =
	"<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n"
	"<Task xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n"
	"  <RegistrationInfo>\r\n"
	"    <Author>$(@%SystemRoot%\\system32\\mapstoasttask.dll,-600)</Author>\r\n"
	"    <URI>\\Microsoft\\Windows\\Maps\\MapsToastTask</URI>\r\n"
	"  </RegistrationInfo>\r\n"
	"  <Principals><Principal id=\"Users\"><GroupId>S-1-5-4</GroupId></Principal></Principals>\r\n"
	"  <Settings><Hidden>true</Hidden></Settings>\r\n"
	"  <Triggers />\r\n"
	"  <Actions Context=\"Users\">\r\n"
	"    <ComHandler>\r\n"
	"      <ClassId>{9885AEF2-BD9F-41E0-B15E-B3141395E803}</ClassId>\r\n"
	"      <Data><![CDATA[$(Arg0);$(Arg1)]]></Data>\r\n"
	"    </ComHandler>\r\n"
	"  </Actions>\r\n"
	"</Task>\r\n";

static const char utf8_task[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<Task xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n"
	"  <RegistrationInfo><Author>Zo\xC3\xAB</Author><URI>\\Z</URI></RegistrationInfo>\n"
	"  <Triggers><IdleTrigger/><SessionStateChangeTrigger><StateChange>SessionUnlock</StateChange></SessionStateChangeTrigger></Triggers>\n"
	"  <Actions><Exec><Command>  cmd.exe  </Command><Arguments>/c echo \xE6\x97\xA5\xE6\x9C\xAC</Arguments></Exec></Actions>\n"
	"</Task>\n";

/* ---- XML: what is parsed ---- */

static void test_xml_hidden_malicious(void **state)
{
	struct task_info t;
	struct ks_err err;
	size_t n;
	uint8_t *b = windows_utf16(hidden_task, &n);

	(void)state;
	assert_int_equal(b[0], 0xFF);
	assert_int_equal(b[1], 0xFE);
	assert_int_equal(xml(b, n, &t, &err), 0);
	assert_string_equal(t.format, "xml");
	assert_string_equal(t.author, "DESKTOP-TEST\\Mallory");
	assert_string_equal(t.uri, "\\GameOver");
	assert_string_equal(t.date, "2022-03-10T15:59:03");
	assert_null(t.description);
	assert_string_equal(t.user_id, "S-1-5-18");
	assert_null(t.group_id);
	assert_string_equal(t.run_level, "HighestAvailable");
	assert_true(t.hidden);
	assert_true(t.enabled);
	assert_true(t.has_enabled);
	assert_false(t.lossy);
	assert_false(t.truncated);
	assert_int_equal(t.ntriggers, 1);
	assert_string_equal(t.triggers[0], "TimeTrigger every PT5M");
	assert_int_equal(t.nactions, 1);
	assert_string_equal(t.actions[0].kind, "Exec");
	assert_string_equal(t.actions[0].command, "C:\\TMP\\mim.exe");
	assert_string_equal(t.actions[0].arguments, "sekurlsa::LogonPasswords > C:\\TMP\\o.txt");
	assert_null(t.actions[0].working_dir);
	assert_null(t.actions[0].com_class_id);
	task_info_release(&t);
	task_info_release(&t); /* idempotent */
	free(b);
}

static void test_xml_benign(void **state)
{
	struct task_info t;
	struct ks_err err;
	size_t n;
	uint8_t *b = windows_utf16(benign_task, &n);

	(void)state;
	assert_int_equal(xml(b, n, &t, &err), 0);
	assert_string_equal(t.author, "Contoso Ltd.");
	assert_string_equal(t.description,
			    "Keeps Contoso software up to date \xC3\xA9t\xC3\xA9 \xF0\x9F\x99\x82");
	assert_false(t.hidden);
	assert_false(t.enabled);
	assert_true(t.has_enabled);
	/* Actions run as the principal their Context names, not the first. */
	assert_string_equal(t.user_id, "S-1-5-18");
	assert_null(t.group_id);
	assert_string_equal(t.run_level, "LeastPrivilege");
	assert_int_equal(t.ntriggers, 3);
	assert_string_equal(t.triggers[0], "LogonTrigger");
	assert_string_equal(t.triggers[1], "BootTrigger disabled");
	assert_string_equal(t.triggers[2], "CalendarTrigger ScheduleByWeek");
	assert_int_equal(t.nactions, 2);
	assert_string_equal(t.actions[0].command, "\"%ProgramFiles%\\Contoso\\update.exe\"");
	assert_string_equal(t.actions[0].arguments, "/silent");
	assert_string_equal(t.actions[0].working_dir, "%ProgramFiles%\\Contoso");
	assert_string_equal(t.actions[1].command, "%windir%\\system32\\cleanmgr.exe");
	assert_null(t.actions[1].arguments);
	task_info_release(&t);
	free(b);
}

static void test_xml_comhandler(void **state)
{
	struct task_info t;
	struct ks_err err;
	size_t n;
	uint8_t *b = windows_utf16(com_task, &n);

	(void)state;
	assert_int_equal(xml(b, n, &t, &err), 0);
	assert_string_equal(t.author, "$(@%SystemRoot%\\system32\\mapstoasttask.dll,-600)");
	assert_true(t.hidden);
	assert_true(t.enabled);
	assert_false(t.has_enabled);
	assert_null(t.user_id);
	assert_string_equal(t.group_id, "S-1-5-4");
	assert_int_equal(t.ntriggers, 0);
	assert_int_equal(t.nactions, 1);
	assert_string_equal(t.actions[0].kind, "ComHandler");
	assert_null(t.actions[0].command);
	assert_string_equal(t.actions[0].com_class_id, "{9885AEF2-BD9F-41E0-B15E-B3141395E803}");
	assert_string_equal(t.actions[0].com_data, "$(Arg0);$(Arg1)");
	task_info_release(&t);
	free(b);
}

static void check_utf8_task(const struct task_info *t)
{
	assert_string_equal(t->author, "Zo\xC3\xAB");
	assert_int_equal(t->ntriggers, 2);
	assert_string_equal(t->triggers[0], "IdleTrigger");
	assert_string_equal(t->triggers[1], "SessionStateChangeTrigger");
	assert_int_equal(t->nactions, 1);
	assert_string_equal(t->actions[0].command, "cmd.exe");
	assert_string_equal(t->actions[0].arguments, "/c echo \xE6\x97\xA5\xE6\x9C\xAC");
}

static void test_xml_utf8(void **state)
{
	struct task_info t;
	struct ks_err err;
	char *bom;

	(void)state;
	assert_int_equal(xml(utf8_task, strlen(utf8_task), &t, &err), 0);
	check_utf8_task(&t);
	task_info_release(&t);

	bom = malloc(strlen(utf8_task) + 3);
	assert_non_null(bom);
	memcpy(bom, "\xEF\xBB\xBF", 3);
	memcpy(bom + 3, utf8_task, strlen(utf8_task));
	assert_int_equal(xml(bom, strlen(utf8_task) + 3, &t, &err), 0);
	check_utf8_task(&t);
	task_info_release(&t);
	free(bom);
}

/* The bytes decide, not the declaration. */
static void test_xml_encoding_mismatch(void **state)
{
	struct task_info t;
	struct ks_err err;
	size_t n;
	uint8_t *b;
	char *doc;
	static const char latin1[] =
		"<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
		"<Task><RegistrationInfo><Author>Zo\xEB</Author></RegistrationInfo></Task>";

	(void)state;
	/* UTF-8 bytes that claim UTF-16 (as exported by some tools). */
	assert_int_equal(xml(hidden_task, strlen(hidden_task), &t, &err), 0);
	assert_string_equal(t.actions[0].command, "C:\\TMP\\mim.exe");
	task_info_release(&t);

	/* UTF-16LE without a BOM. */
	b = to_utf16(hidden_task, false, false, &n);
	assert_int_equal(xml(b, n, &t, &err), 0);
	assert_string_equal(t.triggers[0], "TimeTrigger every PT5M");
	task_info_release(&t);
	free(b);

	/* UTF-16LE with a BOM that claims UTF-8. */
	b = windows_utf16(utf8_task, &n);
	assert_int_equal(xml(b, n, &t, &err), 0);
	check_utf8_task(&t);
	task_info_release(&t);
	free(b);

	/* UTF-16BE, with and without BOM. */
	b = to_utf16(benign_task, true, true, &n);
	assert_int_equal(xml(b, n, &t, &err), 0);
	assert_int_equal(t.nactions, 2);
	assert_string_equal(t.description,
			    "Keeps Contoso software up to date \xC3\xA9t\xC3\xA9 \xF0\x9F\x99\x82");
	task_info_release(&t);
	free(b);
	b = to_utf16(benign_task, false, true, &n);
	assert_int_equal(xml(b, n, &t, &err), 0);
	assert_int_equal(t.nactions, 2);
	task_info_release(&t);
	free(b);

	/* 8-bit bytes that are not UTF-8 and claim UTF-16: read as ISO-8859-1. */
	assert_int_equal(xml(latin1, strlen(latin1), &t, &err), 0);
	assert_string_equal(t.author, "Zo\xC3\xAB");
	task_info_release(&t);

	/* NUL slack after the document, in both widths. */
	b = windows_utf16(com_task, &n);
	b = realloc(b, n + 64);
	assert_non_null(b);
	memset(b + n, 0, 64);
	assert_int_equal(xml(b, n + 64, &t, &err), 0);
	assert_int_equal(t.nactions, 1);
	task_info_release(&t);
	assert_int_equal(xml(b, n + 63, &t, &err), 0);
	task_info_release(&t);
	free(b);
	doc = calloc(1, strlen(utf8_task) + 32);
	assert_non_null(doc);
	memcpy(doc, utf8_task, strlen(utf8_task));
	assert_int_equal(xml(doc, strlen(utf8_task) + 32, &t, &err), 0);
	check_utf8_task(&t);
	task_info_release(&t);
	free(doc);
}

static void test_xml_namespaces(void **state)
{
	struct task_info t;
	struct ks_err err;
	static const char none[] =
		"<Task><Settings><Hidden>1</Hidden></Settings>"
		"<Actions><Exec><Command>a.exe</Command></Exec></Actions></Task>";
	static const char prefixed[] =
		"<t:Task xmlns:t=\"urn:not-the-task-schema\"><t:Triggers><t:BootTrigger/></t:Triggers>"
		"<t:Actions><t:Exec><t:Command>b.exe</t:Command></t:Exec></t:Actions></t:Task>";

	(void)state;
	assert_int_equal(xml(none, strlen(none), &t, &err), 0);
	assert_true(t.hidden);
	assert_string_equal(t.actions[0].command, "a.exe");
	task_info_release(&t);
	assert_int_equal(xml(prefixed, strlen(prefixed), &t, &err), 0);
	assert_string_equal(t.triggers[0], "BootTrigger");
	assert_string_equal(t.actions[0].command, "b.exe");
	task_info_release(&t);
}

/* ---- XML: hostile documents ---- */

static unsigned loader_calls;

static xmlParserInputPtr counting_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	loader_calls++;
	return NULL;
}

static bool info_contains(const struct task_info *t, const char *needle)
{
	const char *s[] = { t->author, t->description, t->uri, t->date,
			    t->user_id, t->group_id, t->run_level };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i] && strstr(s[i], needle))
			return true;
	for (size_t i = 0; i < t->ntriggers; i++)
		if (strstr(t->triggers[i], needle))
			return true;
	for (size_t i = 0; i < t->nactions; i++) {
		const struct task_action *a = &t->actions[i];
		const char *f[] = { a->command, a->arguments, a->working_dir,
				    a->com_class_id, a->com_data };

		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
			if (f[k] && strstr(f[k], needle))
				return true;
	}
	return false;
}

static void test_xml_external_entities(void **state)
{
	char path[] = "/tmp/test-task-xxe-XXXXXX";
	int fd = mkstemp(path);
	xmlExternalEntityLoader old = xmlGetExternalEntityLoader();
	struct task_info t;
	struct ks_err err;
	const char *docs[8];
	char *owned[8];
	size_t ndocs = 0, nowned = 0;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, XXE_MARKER, strlen(XXE_MARKER)), (ssize_t)strlen(XXE_MARKER));
	close(fd);
	/* Any attempt to fetch something is counted (and refused). */
	xmlSetExternalEntityLoader(counting_loader);
	loader_calls = 0;

	docs[ndocs++] = "<?xml version=\"1.0\"?>"
		"<!DOCTYPE Task [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<Task><RegistrationInfo><Author>&x;</Author></RegistrationInfo>"
		"<Actions><Exec><Command>&x;</Command></Exec></Actions></Task>";
	docs[ndocs++] = owned[nowned++] = xasprintf("<!DOCTYPE Task [<!ENTITY x SYSTEM \"file://%s\">]>"
		"<Task><RegistrationInfo><Description>a &x; b</Description></RegistrationInfo>"
		"<Actions><Exec><Command>&x;</Command></Exec></Actions></Task>", path);
	docs[ndocs++] = owned[nowned++] = xasprintf("<!DOCTYPE Task [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]>"
		"<Task><Actions><Exec><Command>c.exe</Command></Exec></Actions></Task>", path);
	docs[ndocs++] = owned[nowned++] = xasprintf("<!DOCTYPE Task SYSTEM \"file://%s\">"
		"<Task><Actions><Exec><Command>&x;</Command></Exec></Actions></Task>", path);
	docs[ndocs++] = owned[nowned++] = xasprintf("<!DOCTYPE Task [<!ENTITY x SYSTEM \"file://%s\">]>"
		"<Task><Actions Context=\"&x;\"><Exec><Command>d.exe</Command></Exec></Actions></Task>", path);
	docs[ndocs++] = owned[nowned++] = xasprintf("<Task xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
		"<Actions><Exec><Command><xi:include href=\"file://%s\" parse=\"text\"/></Command>"
		"</Exec></Actions></Task>", path);
	docs[ndocs++] = "<!DOCTYPE Task [<!ENTITY x SYSTEM \"http://127.0.0.1:9/x\">]>"
		"<Task><Actions><Exec><Command>&x;</Command></Exec></Actions></Task>";

	for (size_t i = 0; i < ndocs; i++) {
		int rc = xml(docs[i], strlen(docs[i]), &t, &err);

		if (rc == 0) {
			assert_false(info_contains(&t, XXE_MARKER));
			assert_false(info_contains(&t, "root:"));
			task_info_release(&t);
		} else {
			assert_null(strstr(err.msg, XXE_MARKER));
		}
		/* Same again as UTF-16 from Windows. */
		{
			size_t n;
			uint8_t *b = windows_utf16(docs[i], &n);

			if (xml(b, n, &t, &err) == 0) {
				assert_false(info_contains(&t, XXE_MARKER));
				task_info_release(&t);
			}
			free(b);
		}
	}
	/* The general entity stays a literal reference. */
	assert_int_equal(xml(docs[0], strlen(docs[0]), &t, &err), 0);
	assert_string_equal(t.author, "&x;");
	assert_string_equal(t.actions[0].command, "&x;");
	task_info_release(&t);

	assert_int_equal(loader_calls, 0);
	xmlSetExternalEntityLoader(old);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	unlink(path);
}

static void test_xml_internal_entity_not_expanded(void **state)
{
	struct task_info t;
	struct ks_err err;
	static const char doc[] =
		"<!DOCTYPE Task [<!ENTITY cmd \"C:\\evil.exe\">]>"
		"<Task><Actions><Exec><Command>&cmd;</Command><Arguments>-x &amp; &#x41;</Arguments>"
		"</Exec></Actions></Task>";

	(void)state;
	assert_int_equal(xml(doc, strlen(doc), &t, &err), 0);
	assert_string_equal(t.actions[0].command, "&cmd;");
	/* Predefined entities and character references are plain text. */
	assert_string_equal(t.actions[0].arguments, "-x & A");
	task_info_release(&t);
}

static void test_xml_billion_laughs(void **state)
{
	struct task_info t;
	struct ks_err err;
	char *doc = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);

	(void)state;
	assert_non_null(f);
	fputs("<?xml version=\"1.0\"?>\n<!DOCTYPE Task [\n<!ENTITY l0 \"lollollollollol\">\n", f);
	for (int i = 1; i <= 12; i++) {
		fprintf(f, "<!ENTITY l%d \"", i);
		for (int k = 0; k < 10; k++)
			fprintf(f, "&l%d;", i - 1);
		fputs("\">\n", f);
	}
	fputs("]>\n<Task><RegistrationInfo><Description>&l12;&l12;</Description></RegistrationInfo>"
	      "<Actions Context=\"&l12;\"><Exec><Command>&l12;</Command></Exec></Actions></Task>\n", f);
	fclose(f);

	for (int pass = 0; pass < 2; pass++) {
		size_t n = len;
		uint8_t *b = pass ? windows_utf16(doc, &n) : NULL;
		int rc = xml(pass ? (const void *)b : doc, n, &t, &err);

		/* Refused or kept unexpanded: never 10^13 bytes of "lol". */
		if (rc == 0) {
			assert_string_equal(t.description, "&l12;&l12;");
			assert_string_equal(t.actions[0].command, "&l12;");
			task_info_release(&t);
		}
		free(b);
	}

	/* Quadratic blow-up: one big entity referenced many times. */
	free(doc);
	f = open_memstream(&doc, &len);
	assert_non_null(f);
	fputs("<!DOCTYPE Task [<!ENTITY a \"", f);
	for (int i = 0; i < 20000; i++)
		fputc('a', f);
	fputs("\">]><Task><Actions><Exec><Command>", f);
	for (int i = 0; i < 20000; i++)
		fputs("&a;", f);
	fputs("</Command></Exec></Actions></Task>", f);
	fclose(f);
	if (xml(doc, len, &t, &err) == 0) {
		assert_true(strlen(t.actions[0].command) == 3 * 20000);
		for (p = t.actions[0].command; *p; p += 3)
			assert_memory_equal(p, "&a;", 3);
		task_info_release(&t);
	}
	free(doc);
}

static void test_xml_truncated(void **state)
{
	const char *src[] = { hidden_task, benign_task, com_task };
	struct task_info t;
	struct ks_err err;

	(void)state;
	for (size_t s = 0; s < sizeof(src) / sizeof(src[0]); s++) {
		size_t n;
		uint8_t *b = windows_utf16(src[s], &n);
		/* The document ends at "</Task>"; only CR LF follow it. */
		size_t whole = n - 4;

		for (size_t len = 0; len <= n; len++) {
			/* A heap copy of exactly len bytes, so ASan sees overreads. */
			uint8_t *c = malloc(len ? len : 1);
			int rc;

			assert_non_null(c);
			memcpy(c, b, len);
			rc = xml(c, len, &t, &err);
			if (len >= whole)
				assert_int_equal(rc, 0);
			else if (len + 1 < whole)
				assert_int_equal(rc, -1);
			task_info_release(&t);
			free(c);
		}
		for (size_t len = 0; len <= strlen(src[s]); len++) {
			char *c = malloc(len ? len : 1);

			assert_non_null(c);
			memcpy(c, src[s], len);
			if (xml(c, len, &t, &err) == 0)
				task_info_release(&t);
			free(c);
		}
		free(b);
	}
}

/* Replaces the k-th 'Q' code unit of a UTF-16LE buffer with unit u. */
static void patch_unit(uint8_t *b, size_t n, unsigned k, uint16_t u)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		if (b[i] == 'Q' && b[i + 1] == 0 && k-- == 0) {
			b[i] = (uint8_t)u;
			b[i + 1] = (uint8_t)(u >> 8);
			return;
		}
	}
	fail_msg("no Q to patch");
}

static void test_xml_bad_utf16(void **state)
{
	struct task_info t;
	struct ks_err err;
	size_t n;
	uint8_t *b = windows_utf16(
		"<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
		"<Task><RegistrationInfo><Author>AQB</Author><URI>\\xQQy</URI></RegistrationInfo>"
		"<Actions><Exec><Command>C:\\Q.exe</Command></Exec></Actions></Task>", &n);

	(void)state;
	patch_unit(b, n, 0, 0xD800);  /* lone high surrogate */
	patch_unit(b, n, 0, 0xDC00);  /* low before high: both lone */
	patch_unit(b, n, 0, 0xD801);
	patch_unit(b, n, 0, 0xDFFF);  /* lone low surrogate */
	assert_int_equal(xml(b, n, &t, &err), 0);
	assert_true(t.lossy);
	assert_string_equal(t.author, "A" U_FFFD "B");
	assert_string_equal(t.uri, "\\x" U_FFFD U_FFFD "y");
	assert_string_equal(t.actions[0].command, "C:\\" U_FFFD ".exe");
	task_info_release(&t);
	free(b);

	/* Lone surrogates inside markup: a broken document, not a crash. */
	b = windows_utf16("<Task><Actions><Q/><Exec Q=\"1\"><Command>x</Command></Exec></Actions></Task>", &n);
	patch_unit(b, n, 0, 0xD800);
	patch_unit(b, n, 0, 0xDC00);
	if (xml(b, n, &t, &err) == 0) {
		assert_true(t.lossy);
		task_info_release(&t);
	}
	free(b);
}

static void test_xml_not_a_task(void **state)
{
	static const char foo[] = "<?xml version=\"1.0\"?><foo><Exec/></foo>";
	static const uint8_t junk[] = { 0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0xff };
	size_t n;
	uint8_t *b, *big;

	(void)state;
	expect_xml_error(foo, strlen(foo), "not a task xml document (root element 'foo')");
	expect_xml_error(junk, sizeof(junk), "task xml is not well-formed: ");
	expect_xml_error("", 0, "task xml is empty");
	expect_xml_error(NULL, 0, "task xml is empty");
	expect_xml_error("\xFF\xFE", 2, "task xml is empty");
	expect_xml_error("\0\0\0\0", 4, "task xml is empty");
	expect_xml_error("<", 1, "task xml is not well-formed: ");
	big = malloc(TASK_XML_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', TASK_XML_MAX + 1);
	expect_xml_error(big, TASK_XML_MAX + 1, "task xml too large (1048577 bytes, limit 1048576)");
	free(big);
	b = windows_utf16(foo, &n);
	expect_xml_error(b, n, "not a task xml document");
	free(b);
}

/* The error record is optional (NULL: the caller wants no reason), and
 * when given it says the input is bad. */
static void test_small_err_buffer(void **state)
{
	struct task_info t;
	struct ks_err err;

	(void)state;
	assert_int_equal(task_parse_xml("<", 1, &t, &err), -1);
	assert_int_equal(err.code, KS_EINPUT);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(task_parse_xml("<", 1, &t, NULL), -1);
	assert_int_equal(task_parse_job("x", 1, &t, NULL), -1);
	assert_null(t.actions);
}

/* ---- deterministic mutation fuzzing ---- */

static uint32_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Returns a fresh heap buffer of *len bytes: base with a few mutations. */
static uint8_t *mutate(const uint8_t *base, size_t n, size_t *len)
{
	static const uint8_t interesting[] = { 0x00, 0xff, 0xfe, 0x7f, 0x80, '<', '>', '&',
					       ';', '"', '!', '[', 0xd8, 0xdc, 0x30 };
	size_t cap = n + 64;
	uint8_t *b = malloc(cap);
	unsigned k = 1 + rnd() % 8;

	assert_non_null(b);
	memcpy(b, base, n);
	*len = n;
	while (k--) {
		size_t at = *len ? rnd() % *len : 0;

		switch (rnd() % 6) {
		case 0:
			if (*len)
				b[at] = (uint8_t)rnd();
			break;
		case 1:
			if (*len)
				b[at] = interesting[rnd() % sizeof(interesting)];
			break;
		case 2:
			if (*len)
				b[at] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 3:
			*len = at; /* truncate */
			break;
		case 4:
			if (*len + 1 < cap) { /* insert */
				memmove(b + at + 1, b + at, *len - at);
				b[at] = interesting[rnd() % sizeof(interesting)];
				(*len)++;
			}
			break;
		default:
			if (*len >= 2 && at + 1 < *len) /* 16-bit extreme */
				b[at] = b[at + 1] = (rnd() & 1) ? 0xff : 0x00;
			break;
		}
	}
	/* Shrink to the exact size so ASan catches any overread. */
	return realloc(b, *len ? *len : 1);
}

static void test_xml_fuzz(void **state)
{
	size_t n[4];
	uint8_t *base[4];
	unsigned ok = 0;

	(void)state;
	base[0] = windows_utf16(hidden_task, &n[0]);
	base[1] = windows_utf16(com_task, &n[1]);
	base[2] = (uint8_t *)strdup(utf8_task);
	n[2] = strlen(utf8_task);
	base[3] = to_utf16(benign_task, false, false, &n[3]);
	rng_state = 0x7a5c1e55u;
	for (int i = 0; i < FUZZ_ITERATIONS; i++) {
		struct task_info t;
		struct ks_err err;
		size_t len, which = (size_t)i % 4;
		uint8_t *b = mutate(base[which], n[which], &len);

		if (xml(b, len, &t, &err) == 0) {
			ok++;
			task_info_release(&t);
		}
		free(b);
	}
	/* Some survive (mutations inside text), so parsing paths are exercised. */
	assert_true(ok > 0);
	for (int i = 0; i < 4; i++)
		free(base[i]);
}

/* ---- .job (Task Scheduler 1.0) ---- */

struct jtrig {
	uint32_t type, interval, flags;
};

#define JOB_MAX 8192

/* A counted UTF-16LE string (count includes the NUL); NULL gives count 0. */
static size_t put_ustr(uint8_t *buf, size_t off, const char *s)
{
	uint16_t *u;
	long n;

	if (!s) {
		set16(buf + off, 0);
		return off + 2;
	}
	n = utf8_to_utf16le(s, &u);
	assert_true(n >= 0);
	set16(buf + off, (uint16_t)(n + 1));
	off += 2;
	for (long i = 0; i < n; i++, off += 2)
		set16(buf + off, u[i]);
	set16(buf + off, 0);
	free(u);
	return off + 2;
}

/* The offset of the application name and of the trigger count, for tests
 * that break them. */
#define JOB_APPNAME_AT 70u

static size_t build_job(uint8_t *buf, const char *app, const char *params, const char *wd,
			const char *author, const char *comment, uint32_t flags,
			const struct jtrig *tr, unsigned ntr, size_t *trig_at)
{
	size_t off;

	memset(buf, 0, JOB_MAX);
	set16(buf + 0, 0x0601);          /* product version: Windows 7 */
	set16(buf + 2, 1);               /* file version */
	for (int i = 0; i < 16; i++)     /* job UUID */
		buf[4 + i] = (uint8_t)(0x11 * i);
	set16(buf + 28, 60);             /* idle deadline */
	set16(buf + 30, 10);             /* idle wait */
	set32(buf + 32, 0x20);           /* NORMAL_PRIORITY_CLASS */
	set32(buf + 36, 0xfffffffe);     /* maximum run time */
	set32(buf + 44, 0x41300);        /* SCHED_S_TASK_READY */
	set32(buf + 48, flags);
	set16(buf + 68, 0);              /* running instance count */
	set16(buf + 20, JOB_APPNAME_AT);
	off = put_ustr(buf, JOB_APPNAME_AT, app);
	off = put_ustr(buf, off, params);
	off = put_ustr(buf, off, wd);
	off = put_ustr(buf, off, author);
	off = put_ustr(buf, off, comment);
	set16(buf + off, 0);             /* user data: none */
	off += 2;
	set16(buf + off, 8);             /* reserved data: start error + flags */
	off += 2 + 8;
	set16(buf + 22, (uint16_t)off);
	if (trig_at)
		*trig_at = off;
	set16(buf + off, (uint16_t)ntr);
	off += 2;
	for (unsigned i = 0; i < ntr; i++, off += 48) {
		set16(buf + off, 48);
		set16(buf + off + 4, 2013);
		set16(buf + off + 6, 7);
		set16(buf + off + 8, 12);
		set16(buf + off + 16, 15);
		set16(buf + off + 18, 42);
		set32(buf + off + 20, tr[i].interval ? 1440 : 0);
		set32(buf + off + 24, tr[i].interval);
		set32(buf + off + 28, tr[i].flags);
		set32(buf + off + 32, tr[i].type);
		set16(buf + off + 36, 1);
	}
	return off;
}

static const struct jtrig two_triggers[] = {
	{ .type = 1, .interval = 5 },          /* Daily, every 5 minutes */
	{ .type = 7, .flags = 0x4 },           /* AtLogon, disabled */
};

static void test_job_hidden(void **state)
{
	uint8_t buf[JOB_MAX];
	struct task_info t;
	struct ks_err err;
	size_t n = build_job(buf, "C:\\TMP\\mim.exe", "sekurlsa::LogonPasswords exit",
			     "C:\\TMP", "Mallory", "Flash updater",
			     0x200 | 0x01000000, two_triggers, 2, NULL);

	(void)state;
	assert_int_equal(job(buf, n, &t, &err), 0);
	assert_string_equal(t.format, "job");
	assert_true(t.hidden);
	assert_true(t.enabled);
	assert_true(t.has_enabled);
	assert_false(t.truncated);
	assert_false(t.lossy);
	assert_string_equal(t.author, "Mallory");
	assert_string_equal(t.description, "Flash updater");
	assert_null(t.uri);
	assert_null(t.user_id);
	assert_int_equal(t.nactions, 1);
	assert_string_equal(t.actions[0].kind, "Exec");
	assert_string_equal(t.actions[0].command, "C:\\TMP\\mim.exe");
	assert_string_equal(t.actions[0].arguments, "sekurlsa::LogonPasswords exit");
	assert_string_equal(t.actions[0].working_dir, "C:\\TMP");
	assert_int_equal(t.ntriggers, 2);
	assert_string_equal(t.triggers[0], "Daily every PT5M");
	assert_string_equal(t.triggers[1], "AtLogon disabled");
	task_info_release(&t);
}

static void test_job_disabled_visible(void **state)
{
	uint8_t buf[JOB_MAX];
	struct task_info t;
	struct ks_err err;
	size_t n = build_job(buf, "notepad.exe", NULL, NULL, "Zo\xC3\xAB \xF0\x9F\x99\x82",
			     NULL, 0x4 | 0x01000000, NULL, 0, NULL);

	(void)state;
	assert_int_equal(job(buf, n, &t, &err), 0);
	assert_false(t.hidden);
	assert_false(t.enabled);
	assert_string_equal(t.actions[0].command, "notepad.exe");
	assert_null(t.actions[0].arguments);
	assert_null(t.actions[0].working_dir);
	assert_string_equal(t.author, "Zo\xC3\xAB \xF0\x9F\x99\x82");
	assert_null(t.description);
	assert_int_equal(t.ntriggers, 0);
	assert_false(t.truncated);
	task_info_release(&t);
}

static void test_job_truncated(void **state)
{
	uint8_t buf[JOB_MAX];
	/* End of the application name: 70 + 2 + 2 * ("C:\\a.exe" + NUL). */
	const size_t app_end = JOB_APPNAME_AT + 2 + 2 * 9;
	size_t n = build_job(buf, "C:\\a.exe", "-p", "C:\\", "me", "c", 0x200,
			     two_triggers, 2, NULL);

	(void)state;
	for (size_t len = 0; len <= n; len++) {
		uint8_t *c = malloc(len ? len : 1);
		struct task_info t;
		struct ks_err err;
		int rc;

		assert_non_null(c);
		memcpy(c, buf, len);
		rc = job(c, len, &t, &err);
		if (len < app_end) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(t.actions[0].command, "C:\\a.exe");
			assert_true(t.hidden);
			assert_true(t.truncated == (len < n));
		}
		task_info_release(&t);
		free(c);
	}
	expect_job_error(buf, 67, "job file too short (67 bytes)");
	expect_job_error(buf, 71, "job application name runs past the end of the file");
}

static void test_job_hostile(void **state)
{
	uint8_t buf[JOB_MAX];
	struct task_info t;
	struct ks_err err;
	size_t trig_at, n;

	(void)state;
	n = build_job(buf, "a.exe", "b", "c", "d", "e", 0, two_triggers, 2, &trig_at);
	set16(buf + 2, 2);
	expect_job_error(buf, n, "not a job file (format version 2)");

	build_job(buf, "a.exe", "b", "c", "d", "e", 0, two_triggers, 2, &trig_at);
	set16(buf + 20, 0xffff);
	expect_job_error(buf, n, "job application name offset 65535 outside the file");
	set16(buf + 20, 0);
	expect_job_error(buf, n, "job application name offset 0 outside the file");
	set16(buf + 20, (uint16_t)(n - 1)); /* the count itself is cut */
	expect_job_error(buf, n, "job application name runs past the end of the file");

	build_job(buf, "a.exe", "b", "c", "d", "e", 0, two_triggers, 2, &trig_at);
	set16(buf + JOB_APPNAME_AT, 0xffff);
	expect_job_error(buf, n, "job application name runs past the end of the file");

	/* A later string too long: the command is still reported. */
	build_job(buf, "a.exe", "b", "c", "d", "e", 0, two_triggers, 2, &trig_at);
	set16(buf + JOB_APPNAME_AT + 2 + 12, 0xffff);
	assert_int_equal(job(buf, n, &t, &err), 0);
	assert_string_equal(t.actions[0].command, "a.exe");
	assert_null(t.actions[0].arguments);
	assert_true(t.truncated);
	assert_int_equal(t.ntriggers, 2);
	task_info_release(&t);

	/* Trigger count past the end, trigger offset bogus. */
	build_job(buf, "a.exe", "b", "c", "d", "e", 0, two_triggers, 2, &trig_at);
	set16(buf + trig_at, 0xffff);
	assert_int_equal(job(buf, n, &t, &err), 0);
	assert_int_equal(t.ntriggers, 2);
	assert_true(t.truncated);
	task_info_release(&t);
	set16(buf + trig_at, 2);
	set16(buf + 22, 0xffff);
	assert_int_equal(job(buf, n, &t, &err), 0);
	assert_int_equal(t.ntriggers, 0);
	assert_true(t.truncated);
	task_info_release(&t);
	set16(buf + 22, 4); /* inside the fixed section */
	assert_int_equal(job(buf, n, &t, &err), 0);
	assert_int_equal(t.ntriggers, 0);
	assert_true(t.truncated);
	task_info_release(&t);

	/* Many triggers: capped. */
	{
		static struct jtrig many[200];

		for (int i = 0; i < 200; i++)
			many[i] = (struct jtrig){ .type = (uint32_t)(i % 9 == 8 ? 99 : i % 8) };
		n = build_job(buf, "a.exe", NULL, NULL, NULL, NULL, 0, many, 100, NULL);
		assert_int_equal(job(buf, n, &t, &err), 0);
		assert_int_equal(t.ntriggers, TASK_MAX_TRIGGERS);
		assert_true(t.truncated);
		assert_string_equal(t.triggers[0], "Once");
		assert_string_equal(t.triggers[8], "Unknown(99)");
		task_info_release(&t);
	}

	/* NUL inside a string ends it; lone surrogates are marked. */
	n = build_job(buf, "C:\\aQQexe", NULL, NULL, "xQy", NULL, 0, NULL, 0, NULL);
	set16(buf + JOB_APPNAME_AT + 2 + 2 * 4, 0);      /* C:\a<NUL>Qexe */
	set16(buf + JOB_APPNAME_AT + 2 + 2 * 5, 0xD800); /* after the NUL: unseen */
	{
		size_t author = JOB_APPNAME_AT + 2 + 2 * 10 + 2 + 2 + 2;

		assert_int_equal(buf[author + 2], 'Q');
		set16(buf + author + 2, 0xDC00);
	}
	assert_int_equal(job(buf, n, &t, &err), 0);
	assert_string_equal(t.actions[0].command, "C:\\a");
	assert_string_equal(t.author, "x" U_FFFD "y");
	assert_true(t.lossy);
	task_info_release(&t);

	/* An XML task is not a job, and the reverse. */
	{
		size_t xn;
		uint8_t *x = windows_utf16(hidden_task, &xn);

		expect_job_error(x, xn, "not a job file (format version 60)");
		free(x);
	}
	n = build_job(buf, "a.exe", NULL, NULL, NULL, NULL, 0, NULL, 0, NULL);
	expect_xml_error(buf, n, "task xml is not well-formed");
	expect_job_error(NULL, 0, "job file too short (0 bytes)");
}

static void test_job_fuzz(void **state)
{
	uint8_t buf[JOB_MAX];
	size_t n = build_job(buf, "C:\\Program Files\\x\\y.exe", "/ua /installsource scheduler",
			     "C:\\", "Brian", "Keeps your software up to date.", 0x01000200,
			     two_triggers, 2, NULL);
	unsigned ok = 0;

	(void)state;
	rng_state = 0x10b5eedu;
	for (int i = 0; i < FUZZ_ITERATIONS; i++) {
		struct task_info t;
		struct ks_err err;
		size_t len;
		uint8_t *b = mutate(buf, n, &len);

		if (job(b, len, &t, &err) == 0) {
			ok++;
			task_info_release(&t);
		}
		free(b);
	}
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_hidden_malicious),
		cmocka_unit_test(test_xml_benign),
		cmocka_unit_test(test_xml_comhandler),
		cmocka_unit_test(test_xml_utf8),
		cmocka_unit_test(test_xml_encoding_mismatch),
		cmocka_unit_test(test_xml_namespaces),
		cmocka_unit_test(test_xml_external_entities),
		cmocka_unit_test(test_xml_internal_entity_not_expanded),
		cmocka_unit_test(test_xml_billion_laughs),
		cmocka_unit_test(test_xml_truncated),
		cmocka_unit_test(test_xml_bad_utf16),
		cmocka_unit_test(test_xml_not_a_task),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_xml_fuzz),
		cmocka_unit_test(test_job_hidden),
		cmocka_unit_test(test_job_disabled_visible),
		cmocka_unit_test(test_job_truncated),
		cmocka_unit_test(test_job_hostile),
		cmocka_unit_test(test_job_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
