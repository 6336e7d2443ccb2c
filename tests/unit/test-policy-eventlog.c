/* The event-log rules over hand-built evidence: each rule fires on what it
 * names and not on what it leaves alone (Windows' own services, ordinary
 * groups, harmless configuration changes), with the default and strict
 * severities, the allowlist by service and account name, and waivers by
 * the log's path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include <kenshu/core.h>
#include <kenshu/output.h>
#include <kenshu/policy.h>
#include <kenshu/profile.h>
#include <kenshu/report.h>
#include <kenshu/windows.h>
#include "policy-test.h"

#define LOGS "/Windows/System32/winevt/Logs/"

static char dir[] = "/tmp/kenshu-test-policy-eventlog-XXXXXX";

static struct ev_event *ev(struct ev_eventlogs *el, enum ev_kind k, uint32_t id, const char *log, uint64_t rid,
			   int64_t t, ...)
{
	struct ev_event *e;
	va_list ap;
	const char *name;

	el->events = xrealloc(el->events, (el->nevents + 1) * sizeof(*el->events));
	e = &el->events[el->nevents++];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	e->event_id = id;
	e->log = xstrdup(log);
	e->provider = xstrdup("p");
	e->channel = xstrdup("c");
	e->record_id = rid;
	e->time = t;
	e->computer = xstrdup("HMI-07");
	e->user = xstrdup("");
	va_start(ap, t);
	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		e->data = xrealloc(e->data, (e->ndata + 1) * sizeof(*e->data));
		e->data[e->ndata].name = xstrdup(name);
		e->data[e->ndata].value = xstrdup(value);
		e->ndata++;
	}
	va_end(ap);
	return e;
}

static void svc(struct ev_eventlogs *el, uint64_t rid, const char *name, const char *image, bool windows, bool present)
{
	struct ev_event *e = ev(el, EV_SERVICE_INSTALLED, 7045, LOGS "System.evtx", rid, 1764000000 + (int64_t)rid,
				"ServiceName", name, "ImagePath", image, NULL);
	e->service = xstrdup(name);
	e->image = xstrdup(image);
	e->windows_image = windows;
	e->service_present = present;
}

static void add_log(struct ev_eventlogs *el, const char *path, bool dirty, const char *damage, const char *error,
		    unsigned chunks_bad)
{
	el->logs = xrealloc(el->logs, (el->nlogs + 1) * sizeof(*el->logs));
	struct ev_log *l = &el->logs[el->nlogs++];
	memset(l, 0, sizeof(*l));
	l->path = xstrdup(path);
	l->read = !error;
	l->dirty = dirty;
	l->damage = damage ? xstrdup(damage) : NULL;
	l->error = error ? xstrdup(error) : NULL;
	l->chunks = 4;
	l->chunks_bad = chunks_bad;
}

static void fill(struct report *r)
{
	struct os_info os;

	report_init(r);
	strcpy(r->started, "2026-11-27T10:00:00Z");
	r->nvol = 1;
	r->vol = xcalloc(1, sizeof(*r->vol));
	r->vol[0].scanned = true;
	memset(&os, 0, sizeof(os));
	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	os.family = xstrdup("Windows 10");
	os.accounts.v = xcalloc(1, sizeof(*os.accounts.v));
	os.accounts.v[0] = (struct sam_account){ .rid = 1005, .name = xstrdup("svc2") };
	os.accounts.n = 1;
	report_add_os(r, &os);

	struct ev_eventlogs *el = &r->evidence[0].eventlogs;
	ev(el, EV_LOG_CLEARED, 104, LOGS "System.evtx", 7, 1764000000, "SubjectUserName", "vendor",
	   "SubjectDomainName", "HMI-07", "Channel", "Application", NULL);
	ev(el, EV_LOG_CLEARED, 1102, LOGS "Security.evtx", 8, 1764000100, "SubjectUserName", "vendor", NULL);
	ev(el, EV_DEFENDER_DETECTION, 1116, LOGS "Microsoft-Windows-Windows Defender%4Operational.evtx", 20, 1764000200,
	   "Threat Name", "Trojan:Win32/Steel.A", "Path", "file:_C:\\Tools\\plc-sync.exe", NULL);
	/* its action: no second finding */
	ev(el, EV_DEFENDER_ACTION, 1117, LOGS "Microsoft-Windows-Windows Defender%4Operational.evtx", 21, 1764000201,
	   "Threat Name", "Trojan:Win32/Steel.A", "Path", "file:_C:\\Tools\\plc-sync.exe", "Action Name", "Quarantine",
	   NULL);
	/* an action without its detection record (rotated out): a finding */
	ev(el, EV_DEFENDER_ACTION, 1117, LOGS "Microsoft-Windows-Windows Defender%4Operational.evtx", 22, 1764000300,
	   "Threat Name", "HackTool:Win32/Mimikatz", "Path", "file:_C:\\Users\\v\\m.exe", "Action Name", "Remove", NULL);
	ev(el, EV_DEFENDER_PROTECTION_OFF, 5001, LOGS "Microsoft-Windows-Windows Defender%4Operational.evtx", 23,
	   1764000400, NULL);
	ev(el, EV_DEFENDER_CONFIG_CHANGED, 5007, LOGS "Microsoft-Windows-Windows Defender%4Operational.evtx", 24,
	   1764000500, "Old Value", "", "New Value",
	   "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Exclusions\\Paths\\C:\\Tools = 0x0", NULL);
	ev(el, EV_DEFENDER_CONFIG_CHANGED, 5007, LOGS "Microsoft-Windows-Windows Defender%4Operational.evtx", 25,
	   1764000600, "Old Value", "", "New Value",
	   "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Real-Time Protection\\DisableRealtimeMonitoring = 0x1", NULL);
	/* signature update settings: harmless */
	ev(el, EV_DEFENDER_CONFIG_CHANGED, 5007, LOGS "Microsoft-Windows-Windows Defender%4Operational.evtx", 26,
	   1764000700, "Old Value", "", "New Value",
	   "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\ScheduleTime = 0x5a", NULL);
	svc(el, 30, "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe", false, false);
	svc(el, 31, "VendorUpdater", "\"C:\\Program Files\\Vendor\\upd.exe\"", false, true);
	svc(el, 32, "disk", "\\SystemRoot\\System32\\drivers\\disk.sys", true, true);
	ev(el, EV_ACCOUNT_CREATED, 4720, LOGS "Security.evtx", 40, 1764000800, "TargetUserName", "svc2",
	   "SubjectUserName", "vendor", "SubjectDomainName", "HMI-07", NULL);
	ev(el, EV_ACCOUNT_ENABLED, 4722, LOGS "Security.evtx", 41, 1764000900, "TargetUserName", "support", NULL);
	ev(el, EV_GROUP_MEMBER_ADDED, 4732, LOGS "Security.evtx", 42, 1764001000, "MemberName", "-", "MemberSid",
	   "S-1-5-21-1-2-3-1005", "TargetUserName", "Administrators", "TargetSid", "S-1-5-32-544", NULL);
	/* an ordinary group: listed, not a finding */
	ev(el, EV_GROUP_MEMBER_ADDED, 4732, LOGS "Security.evtx", 43, 1764001100, "MemberSid", "S-1-5-21-1-2-3-1005",
	   "TargetUserName", "Users", "TargetSid", "S-1-5-32-545", NULL);
	ev(el, EV_RDP_LOGON, 1149,
	   LOGS "Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx", 50, 1764002000,
	   "Param1", "vendor", "Param3", "192.0.2.7", NULL);
	ev(el, EV_RDP_LOGON, 1149,
	   LOGS "Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx", 51, 1764001000,
	   "Param1", "Vendor", "Param3", "192.0.2.7", NULL);
	ev(el, EV_RDP_LOGON, 4624, LOGS "Security.evtx", 52, 1764003000, "TargetUserName", "op", "IpAddress",
	   "10.1.1.1", "LogonType", "10", NULL);
	ev(el, EV_POWERSHELL_SCRIPT_BLOCK, 4104, LOGS "ps.evtx", 60, 1764003000, "ScriptBlockText", "x", NULL);
	add_log(el, LOGS "System.evtx", true, NULL, NULL, 0);
	add_log(el, LOGS "Security.evtx", true, NULL, NULL, 0);
	add_log(el, LOGS "Application.evtx", false, "chunk 2: CRC mismatch", NULL, 1);
	add_log(el, LOGS "Huge.evtx", false, NULL, "not read: larger than 256 MiB", 0);
	report_finish(r);
}

static const struct rep_finding *find(const struct report *r, const char *rule, const char *needle)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].rule, rule) && strstr(r->findings[i].message, needle))
			return &r->findings[i];
	return NULL;
}

static void default_rules(void **state)
{
	struct profile *p = load_text_in(dir, "include = default\n");
	struct report r;
	const struct rep_finding *f;

	(void)state;
	fill(&r);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "eventlog-cleared", NULL), 2);
	f = find(&r, "eventlog-cleared", "the Application log was cleared at 2025-11-24T16:00:00Z by HMI-07\\vendor");
	assert_non_null(f);
	assert_string_equal(f->path, LOGS "System.evtx");
	assert_string_equal(f->value, "record 7 (event 104)");
	assert_int_equal(f->volume, 2);
	assert_non_null(find(&r, "eventlog-cleared", "the Security log was cleared"));
	assert_int_equal(severity_of(&r, "eventlog-cleared"), SEV_REVIEW);

	assert_int_equal(count_findings(&r, "eventlog-defender-detection", NULL), 2);
	assert_non_null(find(&r, "eventlog-defender-detection", "Trojan:Win32/Steel.A in C:\\Tools\\plc-sync.exe"));
	assert_non_null(find(&r, "eventlog-defender-detection", "HackTool:Win32/Mimikatz in C:\\Users\\v\\m.exe"));
	assert_non_null(find(&r, "eventlog-defender-detection", "action: Remove"));
	assert_int_equal(severity_of(&r, "eventlog-defender-detection"), SEV_FAIL);

	assert_int_equal(count_findings(&r, "eventlog-defender-disabled", NULL), 3);
	assert_non_null(find(&r, "eventlog-defender-disabled", "real-time protection was disabled"));
	assert_non_null(find(&r, "eventlog-defender-disabled", "an exclusion was added"));
	assert_non_null(find(&r, "eventlog-defender-disabled", "a feature was turned off"));
	assert_int_equal(count_findings(&r, "eventlog-defender-disabled", "ScheduleTime"), 0);

	assert_int_equal(count_findings(&r, "eventlog-service-installed", NULL), 2);
	assert_non_null(find(&r, "eventlog-service-installed", "'PSEXESVC' (image %SystemRoot%\\PSEXESVC.exe)"));
	assert_non_null(find(&r, "eventlog-service-installed", "installed and later removed"));
	assert_int_equal(count_findings(&r, "eventlog-service-installed", "VendorUpdater"), 1);
	assert_int_equal(count_findings(&r, "eventlog-service-installed", "later removed"), 1);
	assert_int_equal(count_findings(&r, "eventlog-service-installed", "'disk'"), 0);

	assert_int_equal(count_findings(&r, "eventlog-account-added", NULL), 3);
	assert_non_null(find(&r, "eventlog-account-added", "the account 'svc2' was created"));
	assert_non_null(find(&r, "eventlog-account-added", "the account 'support' was enabled"));
	/* the member's name from the SAM by its RID */
	assert_non_null(find(&r, "eventlog-account-added", "svc2 (S-1-5-21-1-2-3-1005) was added to Administrators"));
	assert_int_equal(count_findings(&r, "eventlog-account-added", "Users at"), 0);

	/* one per user and address, user names without case */
	assert_int_equal(count_findings(&r, "eventlog-remote-logon", NULL), 2);
	f = find(&r, "eventlog-remote-logon", "2 Remote Desktop logons of 'vendor' from 192.0.2.7");
	assert_non_null(f);
	assert_non_null(strstr(f->message, "first at"));
	assert_string_equal(f->value, "record 50 (event 1149)");
	assert_non_null(find(&r, "eventlog-remote-logon", "1 Remote Desktop logon of 'op' from 10.1.1.1"));
	assert_int_equal(severity_of(&r, "eventlog-remote-logon"), SEV_INFO);

	assert_int_equal(count_findings(&r, "eventlog-damaged", NULL), 3);
	assert_non_null(find(&r, "eventlog-damaged", "chunk 2: CRC mismatch (1 of 4 chunks bad"));
	assert_non_null(find(&r, "eventlog-damaged", "not read: larger than 256 MiB"));
	assert_non_null(find(&r, "eventlog-damaged", "2 event logs were not closed cleanly"));
	assert_non_null(find(&r, "eventlog-damaged", "System.evtx, Security.evtx"));
	assert_int_equal(r.verdict, VERDICT_FAIL);
	report_release(&r);
	profile_free(p);
}

static void strict_rules(void **state)
{
	struct profile *p = load_text_in(dir, "include = strict\n");
	struct report r;

	(void)state;
	fill(&r);
	policy_apply(p, &r);
	assert_int_equal(severity_of(&r, "eventlog-remote-logon"), SEV_REVIEW);
	assert_int_equal(severity_of(&r, "eventlog-defender-detection"), SEV_FAIL);
	assert_int_equal(severity_of(&r, "eventlog-cleared"), SEV_REVIEW);
	assert_int_equal(severity_of(&r, "eventlog-service-installed"), SEV_REVIEW);
	report_release(&r);
	profile_free(p);
}

static void allowlists_and_waivers(void **state)
{
	struct profile *p = load_text_in(dir, "include = default\n"
				      "[allow.updater]\nservice = vendorupdater\n"
				      "[allow.svc]\naccount = SVC2\n"
				      "[waiver.defender]\nrule = eventlog-defender-detection\n"
				      "path = /Windows/System32/winevt/Logs/Microsoft-Windows-Windows Defender%4Operational.evtx\n"
				      "reason = reimaged after the FAT\napprover = QA\nexpires = 2099-12-31\n");
	struct report r;

	(void)state;
	fill(&r);
	policy_apply(p, &r);
	assert_int_equal(count_findings(&r, "eventlog-service-installed", NULL), 1);
	assert_int_equal(count_findings(&r, "eventlog-service-installed", "VendorUpdater"), 0);
	assert_int_equal(count_findings(&r, "eventlog-account-added", "svc2"), 0);
	assert_int_equal(count_findings(&r, "eventlog-account-added", "support"), 1);
	/* waived findings are kept, marked */
	for (size_t i = 0; i < r.nfindings; i++)
		if (!strcmp(r.findings[i].rule, "eventlog-defender-detection"))
			assert_non_null(r.findings[i].waiver);
	assert_int_not_equal(r.verdict, VERDICT_FAIL);
	report_release(&r);
	profile_free(p);
}

static void nothing_without_logs(void **state)
{
	struct profile *p = load_text_in(dir, "include = strict\n");
	struct report r;
	struct os_info os;

	(void)state;
	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	r.nvol = 1;
	r.vol = xcalloc(1, sizeof(*r.vol));
	r.vol[0].scanned = true;
	memset(&os, 0, sizeof(os));
	os.system_root = xstrdup("/Windows");
	report_add_os(&r, &os);
	report_finish(&r);
	policy_apply(p, &r);
	for (size_t i = 0; i < r.nfindings; i++)
		assert_null(strstr(r.findings[i].rule, "eventlog-"));
	report_release(&r);
	profile_free(p);
}

__attribute__((noinline)) static char *written(const struct report *r, int (*fn)(const struct report *, FILE *))
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_int_equal(fn(r, f), 0);
	fclose(f);
	return buf;
}

/* The three writers: every kept event in report.json, a few of each kind
 * with "and N more" in report.txt and report.html, and the log's own text
 * escaped in the page and blanked of controls in the text. */
static void writers(void **state)
{
	struct profile *p = load_text_in(dir, "include = default\n");
	struct report r;
	struct os_info os;

	(void)state;
	report_init(&r);
	strcpy(r.started, "2026-11-27T10:00:00Z");
	strcpy(r.finished, "2026-11-27T10:00:09Z");
	r.image_path = xstrdup("/tmp/x.img");
	r.image_format = xstrdup("raw");
	r.image_reader = xstrdup("kenshu");
	r.scheme = xstrdup("gpt");
	r.disk_guid = xstrdup("");
	memset(r.sha256_before, 'a', 64);
	memset(r.sha256_after, 'a', 64);
	r.nvol = 1;
	r.vol = xcalloc(1, sizeof(*r.vol));
	r.vol[0].scanned = true;
	r.vol[0].v.index = 2;
	r.vol[0].v.part_type = "Microsoft basic data";
	r.vol[0].v.fs = "ntfs";
	r.vol[0].label = xstrdup("OS");
	r.vol[0].fs_version = xstrdup("3.1");
	r.vol[0].reader = xstrdup("libntfs-3g");
	memset(&os, 0, sizeof(os));
	os.volume = 2;
	os.system_root = xstrdup("/Windows");
	report_add_os(&r, &os);
	struct ev_eventlogs *el = &r.evidence[0].eventlogs;
	for (int i = 0; i < 25; i++)
		ev(el, EV_RDP_LOGON, 1149, LOGS "rcm.evtx", 100 - (uint64_t)i, 1764000000 - i, "Param1", "eng", "Param3",
		   "192.0.2.1", NULL);
	el->seen[EV_RDP_LOGON] = 25;
	svc(el, 7, "<script>alert(1)</script>", "C:\\Users\\x\n\x1b[31mevil.exe", false, false);
	el->seen[EV_SERVICE_INSTALLED] = 1;
	el->events[el->nevents - 1].recovered = true;
	add_log(el, LOGS "rcm.evtx", false, "chunk 1: <b>CRC</b>", NULL, 1);
	ev_eventlogs_finish(el);
	report_finish(&r);
	policy_apply(p, &r);

	char *json = written(&r, report_write_json);
	json_object *root = json_tokener_parse(json), *a, *o, *v;
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "schema_version", &v));
	assert_string_equal(json_object_get_string(v), "1.5");
	assert_true(json_object_object_get_ex(root, "os", &a));
	o = json_object_array_get_idx(a, 0);
	assert_true(json_object_object_get_ex(o, "events", &v));
	assert_int_equal(json_object_array_length(v), 26);
	json_object *e = json_object_array_get_idx(v, 0);   /* service-installed sorts first */
	assert_true(json_object_object_get_ex(e, "kind", &a));
	assert_string_equal(json_object_get_string(a), "service-installed");
	assert_true(json_object_object_get_ex(e, "service_present", &a));
	assert_false(json_object_get_boolean(a));
	assert_true(json_object_object_get_ex(e, "recovered", &a));
	assert_true(json_object_get_boolean(a));
	assert_true(json_object_object_get_ex(e, "data", &a));
	assert_true(json_object_object_get_ex(a, "ServiceName", &a));
	assert_string_equal(json_object_get_string(a), "<script>alert(1)</script>");
	assert_true(json_object_object_get_ex(o, "event_logs", &v));
	assert_int_equal(json_object_array_length(v), 1);
	assert_true(json_object_object_get_ex(json_object_array_get_idx(v, 0), "damage", &a));
	assert_string_equal(json_object_get_string(a), "chunk 1: <b>CRC</b>");
	assert_true(json_object_object_get_ex(o, "events_summary", &v));
	assert_true(json_object_object_get_ex(v, "rdp-logon", &a));
	assert_false(json_object_object_get_ex(v, "log-cleared", NULL));
	json_object_put(root);
	free(json);

	char *txt = written(&r, report_write_text);
	assert_non_null(strstr(txt, "Event-log evidence [vol 2]: 1 log, 26 selected events (26 kept)"));
	assert_non_null(strstr(txt, "  rdp-logon: 25\n"));
	assert_non_null(strstr(txt, "    and 5 more (in report.json)\n"));
	assert_non_null(strstr(txt, "System.evtx record 7 (recovered)"));
	const char *from = strstr(txt, "Event-log evidence [vol 2]");
	assert_non_null(from);
	size_t len = strcspn(from, "V");   /* up to "Volumes:" */
	assert_null(memchr(from, 0x1b, len));   /* the section's own lines; findings quote as they do */
	assert_non_null(strstr(txt, "C:\\Users\\x  [31mevil.exe; installed and later removed"));
	free(txt);

	char *html = written(&r, report_write_html);
	assert_non_null(strstr(html, "<h2>Event-log evidence</h2>"));
	assert_null(strstr(html, "<script>alert"));
	assert_null(strstr(html, "<b>CRC"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "and 5 more (report.json has them all)"));
	free(html);
	report_release(&r);
	profile_free(p);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_rules),
		cmocka_unit_test(strict_rules),
		cmocka_unit_test(allowlists_and_waivers),
		cmocka_unit_test(nothing_without_logs),
		cmocka_unit_test(writers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
