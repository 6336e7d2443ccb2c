/* The event-log evidence: which records of a parsed log are evidence (a
 * table keyed by provider, channel and event id), PowerShell script blocks
 * joined from their parts, service installs judged against the registry,
 * and the caps that keep a log of millions of records bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/evidence.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kind_names[EV_NKINDS] = {
	[EV_SERVICE_INSTALLED] = "service-installed",
	[EV_LOG_CLEARED] = "log-cleared",
	[EV_ACCOUNT_CREATED] = "account-created",
	[EV_ACCOUNT_ENABLED] = "account-enabled",
	[EV_GROUP_MEMBER_ADDED] = "group-member-added",
	[EV_DEFENDER_DETECTION] = "defender-detection",
	[EV_DEFENDER_ACTION] = "defender-action",
	[EV_DEFENDER_CONFIG_CHANGED] = "defender-config-changed",
	[EV_DEFENDER_PROTECTION_OFF] = "defender-protection-off",
	[EV_RDP_LOGON] = "rdp-logon",
	[EV_POWERSHELL_SCRIPT_BLOCK] = "powershell-script-block",
};

const char *ev_kind_name(enum ev_kind k)
{
	return (unsigned)k < EV_NKINDS ? kind_names[k] : "unknown";
}

/* ---- the selection table ---------------------------------------------- */

#define SEC_AUDIT "Microsoft-Windows-Security-Auditing"
#define DEFENDER "Microsoft-Windows-Windows Defender"
#define DEFENDER_OP "Microsoft-Windows-Windows Defender/Operational"
#define RCM "Microsoft-Windows-TerminalServices-RemoteConnectionManager"
#define PS "Microsoft-Windows-PowerShell"

static const char *const keep_7045[] = { "ServiceName", "ImagePath", "ServiceType", "StartType", "AccountName", NULL };
static const char *const keep_4697[] = { "SubjectUserName", "SubjectDomainName", "ServiceName", "ServiceFileName",
					 "ServiceType", "ServiceStartType", "ServiceAccount", NULL };
static const char *const keep_clear[] = { "SubjectUserName", "SubjectDomainName", "Channel", "BackupPath", NULL };
static const char *const keep_account[] = { "TargetUserName", "TargetDomainName", "TargetSid", "SubjectUserName",
					    "SubjectDomainName", NULL };
static const char *const keep_member[] = { "MemberName", "MemberSid", "TargetUserName", "TargetDomainName", "TargetSid",
					   "SubjectUserName", "SubjectDomainName", NULL };
static const char *const keep_threat[] = { "Threat Name", "Threat ID", "Severity Name", "Category Name", "Path",
					   "Detection User", "Process Name", "Action Name", "Action ID", "Error Description",
					   "Detection Time", NULL };
static const char *const keep_5007[] = { "Old Value", "New Value", NULL };
static const char *const keep_1149[] = { "Param1", "Param2", "Param3", NULL };
static const char *const keep_4624[] = { "TargetUserName", "TargetDomainName", "TargetUserSid", "LogonType",
					 "IpAddress", "IpPort", "WorkstationName", NULL };
static const char *const keep_4104[] = { "ScriptBlockText", "ScriptBlockId", "Path", "MessageNumber", "MessageTotal",
					 NULL };

/* A record is selected when provider, channel (both without case: .evt
 * logs and older manifests differ in case) and event id match, and, when
 * need_name is set, its data item need_name equals need_value. keep lists
 * the data items kept (NULL: all, for positional .evt strings). */
static const struct ev_select {
	const char *provider, *channel;
	uint32_t event_id;
	enum ev_kind kind;
	const char *need_name, *need_value;
	const char *const *keep;
} select_table[] = {
	/* "A service was installed in the system". Service Control Manager's
	 * own manifest (`wevtutil gp "Service Control Manager" /ge /gm`); no
	 * Microsoft Learn page of its own. ServiceName is the display name. */
	{ "Service Control Manager", "System", 7045, EV_SERVICE_INSTALLED, NULL, NULL, keep_7045 },
	/* learn.microsoft.com/.../threat-protection/auditing/event-4697 */
	{ SEC_AUDIT, "Security", 4697, EV_SERVICE_INSTALLED, NULL, NULL, keep_4697 },
	/* "The System log file was cleared": Microsoft-Windows-Eventlog's
	 * manifest (no Learn page of its own); Channel names the log. */
	{ "Microsoft-Windows-Eventlog", "System", 104, EV_LOG_CLEARED, NULL, NULL, keep_clear },
	/* learn.microsoft.com/.../threat-protection/auditing/event-1102 */
	{ "Microsoft-Windows-Eventlog", "Security", 1102, EV_LOG_CLEARED, NULL, NULL, keep_clear },
	/* learn.microsoft.com/.../threat-protection/auditing/event-4720 */
	{ SEC_AUDIT, "Security", 4720, EV_ACCOUNT_CREATED, NULL, NULL, keep_account },
	/* learn.microsoft.com/.../threat-protection/auditing/event-4722 */
	{ SEC_AUDIT, "Security", 4722, EV_ACCOUNT_ENABLED, NULL, NULL, keep_account },
	/* learn.microsoft.com/.../threat-protection/auditing/event-4728 (global group) */
	{ SEC_AUDIT, "Security", 4728, EV_GROUP_MEMBER_ADDED, NULL, NULL, keep_member },
	/* learn.microsoft.com/.../threat-protection/auditing/event-4732 (local group) */
	{ SEC_AUDIT, "Security", 4732, EV_GROUP_MEMBER_ADDED, NULL, NULL, keep_member },
	/* learn.microsoft.com/.../threat-protection/auditing/event-4756 (universal group) */
	{ SEC_AUDIT, "Security", 4756, EV_GROUP_MEMBER_ADDED, NULL, NULL, keep_member },
	/* learn.microsoft.com/.../threat-protection/auditing/event-4624: logon
	 * type 10 is RemoteInteractive (Remote Desktop). */
	{ SEC_AUDIT, "Security", 4624, EV_RDP_LOGON, "LogonType", "10", keep_4624 },
	/* learn.microsoft.com/en-us/defender-endpoint/troubleshoot-microsoft-defender-antivirus
	 * ("Microsoft Defender Antivirus event IDs"): 1116 MALWAREPROTECTION_STATE_MALWARE_DETECTED,
	 * 1117 ..._MALWARE_ACTION_TAKEN, 5001 ..._RTP_DISABLED, 5007 ..._CONFIG_CHANGED,
	 * 5010 ..._SCANNING_FOR_MALWARE_DISABLED, 5012 ..._SCANNING_FOR_VIRUSES_DISABLED. */
	{ DEFENDER, DEFENDER_OP, 1116, EV_DEFENDER_DETECTION, NULL, NULL, keep_threat },
	{ DEFENDER, DEFENDER_OP, 1117, EV_DEFENDER_ACTION, NULL, NULL, keep_threat },
	{ DEFENDER, DEFENDER_OP, 5001, EV_DEFENDER_PROTECTION_OFF, NULL, NULL, NULL },
	{ DEFENDER, DEFENDER_OP, 5007, EV_DEFENDER_CONFIG_CHANGED, NULL, NULL, keep_5007 },
	{ DEFENDER, DEFENDER_OP, 5010, EV_DEFENDER_PROTECTION_OFF, NULL, NULL, NULL },
	{ DEFENDER, DEFENDER_OP, 5012, EV_DEFENDER_PROTECTION_OFF, NULL, NULL, NULL },
	/* "Remote Desktop Services: User authentication succeeded": the
	 * provider's manifest (no Learn page); UserData EventXML Param1 user,
	 * Param2 domain, Param3 source address. */
	{ RCM, RCM "/Operational", 1149, EV_RDP_LOGON, NULL, NULL, keep_1149 },
	/* learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_logging_windows
	 * (script block logging): a long block is split over MessageTotal records. */
	{ PS, PS "/Operational", 4104, EV_POWERSHELL_SCRIPT_BLOCK, NULL, NULL, keep_4104 },
	/* Windows XP / Server 2003 Security log (.evt, positional strings):
	 * 517 audit log cleared, 624 user account created, 626 enabled,
	 * 632/636/660 member added to a global/local/universal group
	 * (support.microsoft.com "Description of security events in Windows
	 * 2003/XP", KB 299475 family). */
	{ "Security", "Security", 517, EV_LOG_CLEARED, NULL, NULL, NULL },
	{ "Security", "Security", 624, EV_ACCOUNT_CREATED, NULL, NULL, NULL },
	{ "Security", "Security", 626, EV_ACCOUNT_ENABLED, NULL, NULL, NULL },
	{ "Security", "Security", 632, EV_GROUP_MEMBER_ADDED, NULL, NULL, NULL },
	{ "Security", "Security", 636, EV_GROUP_MEMBER_ADDED, NULL, NULL, NULL },
	{ "Security", "Security", 660, EV_GROUP_MEMBER_ADDED, NULL, NULL, NULL },
};

static const struct ev_select *select_for(const struct evt_record *r)
{
	for (size_t i = 0; i < N(select_table); i++) {
		const struct ev_select *s = &select_table[i];
		if (s->event_id != r->event_id || !r->provider || !r->channel || strcasecmp(s->provider, r->provider) ||
		    strcasecmp(s->channel, r->channel))
			continue;
		if (s->need_name) {
			const char *v = evt_data_get(r, s->need_name);
			if (!v || strcmp(v, s->need_value))
				continue;
		}
		return s;
	}
	return NULL;
}

/* ---- building one event ----------------------------------------------- */

static const char *nz(const char *s)
{
	return s ? s : "";
}

static char *cut_dup(const char *s)
{
	size_t n = strlen(s);

	if (n <= EV_MAX_DATA_TEXT)
		return xstrdup(s);
	n = utf8_cut(s, EV_MAX_DATA_TEXT);
	return xstrndup(s, n);
}

static bool kept_name(const char *const *keep, const char *name)
{
	if (!keep)
		return true;
	for (size_t i = 0; keep[i]; i++)
		if (!strcmp(keep[i], name))
			return true;
	return false;
}

static void kv_add(struct ev_event *e, const char *name, const char *value)
{
	e->data = xrealloc(e->data, (e->ndata + 1) * sizeof(*e->data));
	e->data[e->ndata].name = xstrdup(name);
	e->data[e->ndata].value = cut_dup(value);
	e->ndata++;
}

static void event_init(struct ev_event *e, const struct ev_select *s, const char *path, const struct evt_record *r)
{
	memset(e, 0, sizeof(*e));
	e->kind = s->kind;
	e->event_id = r->event_id;
	e->log = xstrdup(path);
	e->provider = xstrdup(nz(r->provider));
	e->channel = xstrdup(nz(r->channel));
	e->record_id = r->record_id;
	e->time = r->time;
	e->computer = xstrdup(nz(r->computer));
	e->user = xstrdup(nz(r->user_sid));
	e->recovered = r->recovered;
	for (size_t i = 0; i < r->ndata; i++) {
		const char *name = nz(r->data[i].name);
		char pos[24];
		if (!*name) {
			snprintf(pos, sizeof(pos), "%zu", i + 1);
			name = pos;
		}
		if (kept_name(s->keep, name))
			kv_add(e, name, nz(r->data[i].value));
	}
}

static void event_release(struct ev_event *e)
{
	free(e->log);
	free(e->provider);
	free(e->channel);
	free(e->computer);
	free(e->user);
	for (size_t i = 0; i < e->ndata; i++) {
		free(e->data[i].name);
		free(e->data[i].value);
	}
	free(e->data);
	free(e->service);
	free(e->image);
	free(e->image_file);
	memset(e, 0, sizeof(*e));
}

/* ---- the per-kind cap --------------------------------------------------- */

/* Drops the oldest (first added) events of kind until keep are left. */
static void trim_kind(struct ev_eventlogs *el, enum ev_kind kind, size_t keep)
{
	size_t have = el->seen[kind] - el->dropped[kind], drop = have > keep ? have - keep : 0, j = 0;

	if (!drop)
		return;
	for (size_t i = 0; i < el->nevents; i++) {
		if (drop && el->events[i].kind == kind) {
			event_release(&el->events[i]);
			drop--;
			el->dropped[kind]++;
			continue;
		}
		el->events[j++] = el->events[i];
	}
	el->nevents = j;
}

/* Takes *e (moved in). The kept are the last ones in log order, those
 * nearest the delivery; the list is trimmed in batches so a log of
 * millions costs no more than a few passes over the kept. */
static void keep_event(struct ev_eventlogs *el, struct ev_event *e)
{
	el->events = xrealloc(el->events, (el->nevents + 1) * sizeof(*el->events));
	el->events[el->nevents++] = *e;
	el->seen[e->kind]++;
	if (el->seen[e->kind] - el->dropped[e->kind] >= 2 * EV_MAX_PER_KIND)
		trim_kind(el, e->kind, EV_MAX_PER_KIND);
}

const char *ev_defender_resource(const char *r, const char *absent)
{
	const char *p = r;

	if (!r || !*r)
		return absent;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	return p > r && p[0] == ':' && p[1] == '_' ? p + 2 : r;
}

/* ---- service installs ----------------------------------------------------- */

/* Folders inside System32 that any user can write to (the usual AppLocker
 * bypass list): an image there is not Windows' own. */
static const char *const system32_writable[] = {
	"Tasks/", "Tasks_Migrated/", "spool/drivers/color/", "spool/PRINTERS/", "spool/SERVERS/", "FxsTmp/",
	"com/dmp/", "Microsoft/Crypto/RSA/MachineKeys/", "LogFiles/", "Temp/",
};

static char *windir_text(const char *system_root)
{
	char *w = xasprintf("C:%s", system_root);

	for (char *p = w; *p; p++)
		if (*p == '/')
			*p = '\\';
	return w;
}

static int never_exists(void *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	return 0;
}

bool ev_image_windows_own(const char *image, const char *system_root, cmd_exists_fn exists, void *ctx,
			  char **file)
{
	struct cmd_resolution res;
	bool own = false;

	if (file)
		*file = NULL;
	if (!image || !*image || !system_root || !*system_root)
		return false;
	char *windir = windir_text(system_root);
	const struct cmd_env env[] = {
		{ "SystemRoot", windir }, { "windir", windir }, { "SystemDrive", "C:" },
		{ "ProgramFiles", "C:\\Program Files" }, { "ProgramData", "C:\\ProgramData" },
	};
	int rc = cmd_resolve(image, env, N(env), exists ? exists : never_exists, ctx, &res);
	free(windir);
	if (rc < 0)
		return false;
	if (res.image_path) {
		char *sys32 = xasprintf("%s/System32/", system_root);
		size_t sl = strlen(sys32);
		const char *p = res.image_path;
		own = !strncasecmp(p, sys32, sl) && !autorun_path_user_writable(p);
		for (size_t i = 0; own && i < N(system32_writable); i++)
			if (!strncasecmp(p + sl, system32_writable[i], strlen(system32_writable[i])))
				own = false;
		free(sys32);
		if (file)
			*file = xstrdup(p);
	}
	/* cmd.exe /c, powershell -enc...: Windows' program running someone's code */
	if (res.host || res.payload || (res.flags & (CMD_F_SCRIPT | CMD_F_URL | CMD_F_INLINE | CMD_F_ENCODED |
						     CMD_F_NOT_LOCAL | CMD_F_SPACE_HIJACK)))
		own = false;
	cmd_resolution_release(&res);
	return own;
}

static bool service_in_registry(const struct os_info *os, const char *name, const char *image)
{
	for (size_t i = 0; i < os->autoruns.n; i++) {
		const struct autorun *a = &os->autoruns.v[i];
		if (!a->service)
			continue;
		/* 7045's ServiceName is the display name: the key name or the
		 * image identifies the service as well */
		if ((name && a->name && !strcasecmp(a->name, name)) ||
		    (image && *image && a->command && !strcasecmp(a->command, image)))
			return true;
	}
	return false;
}

static void judge_service(struct ev_event *e, const struct evt_record *r, const struct os_info *os,
			  cmd_exists_fn exists, void *ctx)
{
	const char *name = evt_data_get(r, "ServiceName");
	const char *image = evt_data_get(r, r->event_id == 4697 ? "ServiceFileName" : "ImagePath");

	e->service = name ? xstrdup(name) : NULL;
	e->image = image ? cut_dup(image) : NULL;
	e->windows_image = os && ev_image_windows_own(image, os->system_root, exists, ctx, &e->image_file);
	e->service_present = os && service_in_registry(os, name, image);
}

/* ---- script blocks -------------------------------------------------------- */

struct part {
	const struct evt_record *r;
	const char *id;
	unsigned long number, total;
};

static int part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return x->r->record_id < y->r->record_id ? -1 : x->r->record_id > y->r->record_id;
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	v = strtoul(s, &end, 10);
	return *end ? 0 : v;
}

/* One block: parts [a, b) of the sorted list, one per MessageNumber. */
static void add_block(struct ev_eventlogs *el, const struct ev_select *s, const char *path, const struct part *p,
		      size_t n, struct ev_payloads *payloads)
{
	struct strbuf sb = STRBUF_INIT;
	struct ev_event e;
	unsigned parts = 0;

	strbuf_init(&sb, EV_MAX_SCRIPT_BYTES);
	for (size_t i = 0; i < n; i++) {
		if (i && p[i].number == p[i - 1].number)
			continue;   /* a part written twice (a recovered copy) counts once */
		strbuf_addstr(&sb, nz(evt_data_get(p[i].r, "ScriptBlockText")));
		parts++;
	}
	event_init(&e, s, path, p[0].r);
	e.parts = parts;
	e.parts_total = p[0].total ? (unsigned)p[0].total : parts;
	e.script_len = sb.len;
	for (size_t i = 0; i < n; i++)
		e.recovered |= p[i].r->recovered;
	for (size_t i = 0; i < e.ndata; i++)
		if (!strcmp(e.data[i].name, "ScriptBlockText")) {
			free(e.data[i].value);
			e.data[i].value = cut_dup(sb.buf);
		}
	if (payloads && el->payload_bytes + sb.len <= EV_MAX_PAYLOAD_BYTES) {
		char *stream = xasprintf("record %llu (script block %s)", (unsigned long long)e.record_id, p[0].id);
		ev_payload_add(payloads, path, stream, "PowerShell script block (event 4104)", sb.buf, sb.len);
		el->payload_bytes += sb.len;
		free(stream);
	} else if (payloads) {
		el->scripts_unscanned++;
	}
	strbuf_release(&sb);
	keep_event(el, &e);
}

static void join_blocks(struct ev_eventlogs *el, const char *path, struct part *p, size_t n,
			struct ev_payloads *payloads)
{
	const struct ev_select *s = NULL;

	if (!n)
		return;
	for (size_t i = 0; i < N(select_table); i++)
		if (select_table[i].kind == EV_POWERSHELL_SCRIPT_BLOCK)
			s = &select_table[i];
	qsort(p, n, sizeof(*p), part_cmp);
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && *p[a].id && !strcmp(p[a].id, p[b].id); b++)
			;
		add_block(el, s, path, p + a, b - a, payloads);
	}
}

/* ---- one log -------------------------------------------------------------- */

void ev_eventlogs_add(struct ev_eventlogs *el, const char *path, const struct evt_log *log,
		      const struct os_info *os, cmd_exists_fn exists, void *ctx, struct ev_payloads *payloads)
{
	struct part *parts = NULL;
	size_t nparts = 0;

	for (size_t i = 0; i < log->nrec; i++) {
		const struct evt_record *r = &log->rec[i];
		const struct ev_select *s = select_for(r);
		struct ev_event e;

		if (!s)
			continue;
		if (s->kind == EV_POWERSHELL_SCRIPT_BLOCK) {
			parts = xrealloc(parts, (nparts + 1) * sizeof(*parts));
			/* a part without its block id is a block of its own */
			const char *id = evt_data_get(r, "ScriptBlockId");
			parts[nparts++] = (struct part){ r, id ? id : "", num(evt_data_get(r, "MessageNumber")),
							 num(evt_data_get(r, "MessageTotal")) };
			if (!id || !*id)
				parts[nparts - 1].number = (unsigned long)i;
			continue;
		}
		event_init(&e, s, path, r);
		if (s->kind == EV_SERVICE_INSTALLED)
			judge_service(&e, r, os, exists, ctx);
		keep_event(el, &e);
	}
	join_blocks(el, path, parts, nparts, payloads);
	free(parts);
}

static int event_cmp(const void *a, const void *b)
{
	const struct ev_event *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->time != y->time) {
		if (x->time == EVT_TIME_UNKNOWN || y->time == EVT_TIME_UNKNOWN)
			return x->time == EVT_TIME_UNKNOWN ? 1 : -1;
		return x->time > y->time ? -1 : 1;   /* newest first */
	}
	int c = strcmp(x->log, y->log);
	if (c)
		return c;
	return x->record_id > y->record_id ? -1 : x->record_id < y->record_id;
}

void ev_eventlogs_finish(struct ev_eventlogs *el)
{
	for (int k = 0; k < EV_NKINDS; k++)
		trim_kind(el, (enum ev_kind)k, EV_MAX_PER_KIND);
	if (el->nevents)
		qsort(el->events, el->nevents, sizeof(*el->events), event_cmp);
}

void ev_eventlogs_release(struct ev_eventlogs *el)
{
	for (size_t i = 0; i < el->nlogs; i++) {
		free(el->logs[i].path);
		free(el->logs[i].error);
		free(el->logs[i].damage);
	}
	free(el->logs);
	for (size_t i = 0; i < el->nevents; i++)
		event_release(&el->events[i]);
	free(el->events);
	memset(el, 0, sizeof(*el));
}

#include <kenshu/banned.h>
