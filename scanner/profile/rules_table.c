/* The rule table: what each rule id means and its built-in severity.
 * Alphabetical within each group; the order is also the order of
 * docs/rules.md and of `kenshu profile show`. */
#include <string.h>
#include <strings.h>

#include <kenshu/rules.h>
#include <kenshu/banned.h>

const struct rule_info rule_table[] = {
	/* What was and was not scanned. */
	{ "malware", "scan", SEV_FAIL, "ClamAV detected malware in a file (an IOC match is ioc-hash/ioc-string instead)" },
	{ "skipped-content", "scan", SEV_REVIEW, "something was not fully scanned: encrypted, over a limit, unreadable, or a volume kenshu cannot read" },
	{ "nothing-scanned", "scan", SEV_REVIEW, "no volume held a file system kenshu could walk: nothing on the disk was scanned" },
	{ "data-outside-partitions", "scan", SEV_REVIEW, "space outside every partition holds data, where no file system shows it" },
	{ "hive-incomplete", "scan", SEV_REVIEW, "a registry hive or the WMI repository could not be read completely (damaged, or unreplayed transaction logs)" },
	{ "identity-mismatch", "scan", SEV_REVIEW, "--cross-check: libguestfs's inspection disagrees with kenshu's on which Windows this is" },
	{ "signature-age", "scan", SEV_REVIEW, "the newest official ClamAV database is older than [signatures] max_age_days on the scan date" },
	{ "signature-missing", "scan", SEV_INFO, "no official ClamAV database (.cvd/.cld) was loaded: custom signatures only" },
	/* Autostart entries (report.json os[].autoruns). */
	{ "autorun-malware", "autostart", SEV_FAIL, "ClamAV detected malware in the file an autostart entry runs" },
	{ "autorun-target-missing", "autostart", SEV_INFO, "the file an autostart entry runs is not on the disk" },
	{ "autorun-user-writable", "autostart", SEV_REVIEW, "an autostart target lies where users can write (Users, ProgramData, Temp, Public)" },
	{ "autorun-lolbin", "autostart", SEV_REVIEW, "a script host or living-off-the-land binary runs a script, URL or inline code" },
	{ "autorun-encoded-command", "autostart", SEV_FAIL, "an autostart entry runs an encoded PowerShell command" },
	{ "autorun-hidden-task", "autostart", SEV_FAIL, "a scheduled task is hidden (Hidden flag, or no security descriptor / Index 0 in TaskCache)" },
	{ "autorun-masquerade", "autostart", SEV_REVIEW, "a target has a Windows program's name (or one letter off) outside the Windows folder" },
	{ "autorun-winlogon-modified", "autostart", SEV_REVIEW, "Winlogon Shell or Userinit differs from Windows' default" },
	{ "autorun-ifeo-debugger", "autostart", SEV_FAIL, "a debugger is set on an accessibility program (sticky-keys backdoor)" },
	{ "autorun-appinit", "autostart", SEV_REVIEW, "AppInit_DLLs loads a DLL into every process that loads user32.dll" },
	{ "autorun-path-hijack", "autostart", SEV_REVIEW, "an unquoted path with spaces can be hijacked by a shorter path" },
	{ "autorun-other-control-set", "autostart", SEV_REVIEW, "an entry exists only in a non-current ControlSet (starts after a last-known-good boot)" },
	{ "autorun-com-hijack", "autostart", SEV_REVIEW, "a per-user COM class overrides the machine's server" },
	{ "autorun-task-unregistered", "autostart", SEV_REVIEW, "a task file the Task Scheduler does not register, or a registered task without its file" },
	{ "autorun-wmi-consumer", "autostart", SEV_REVIEW, "a WMI event subscription runs a command or script" },
	{ "autorun-renamed", "autostart", SEV_REVIEW, "a target's version information names another original file (a renamed tool)" },
	{ "autorun-unknown", "autostart", SEV_INFO, "an autostart entry that is not Windows' own (validly signed by Microsoft Windows, in the Windows folder) and not on the profile's allowlist" },
	{ "autorun-unsigned", "autostart", SEV_REVIEW, "the file an autostart entry runs is unsigned, or its signature is not trusted (no trusted anchor, EKU or date rule broken), and it is not on the allowlist" },
	/* Patch level and support. */
	{ "ms17-010", "patch", SEV_FAIL, "srv.sys (or the servicing store) shows the MS17-010 (EternalBlue) fix is missing" },
	{ "eol-os", "patch", SEV_INFO, "the installed Windows is past its end of support on the scan date" },
	/* Hardening. */
	{ "smb1-enabled", "hardening", SEV_REVIEW, "the SMBv1 server or client is enabled (a missing SMB1 value means enabled)" },
	{ "rdp-enabled", "hardening", SEV_INFO, "Remote Desktop accepts connections" },
	{ "rdp-no-nla", "hardening", SEV_REVIEW, "Remote Desktop is enabled without Network Level Authentication" },
	{ "autologon-cleartext-password", "hardening", SEV_REVIEW, "Winlogon holds an automatic-logon password in clear text (DefaultPassword)" },
	{ "firewall-disabled", "hardening", SEV_REVIEW, "Windows Firewall is off for a network profile" },
	{ "defender-disabled", "hardening", SEV_INFO, "Windows Defender is disabled by policy or service start type" },
	{ "autoplay-enabled", "hardening", SEV_REVIEW, "AutoPlay/AutoRun is enabled for removable or CD drives" },
	{ "guest-enabled", "hardening", SEV_REVIEW, "the built-in Guest account is enabled" },
	{ "hosts-tampered", "hardening", SEV_REVIEW, "the hosts file maps names other than localhost" },
	{ "write-filter", "hardening", SEV_INFO, "state of the Enhanced/Unified Write Filter (EWF/UWF)" },
	/* Local accounts (report.json os[].accounts). */
	{ "account-blank-password", "accounts", SEV_FAIL, "an enabled local account has an empty password (its NT hash is the empty password's), or none is required (PASSWD_NOTREQD without a password)" },
	{ "account-admin-extra", "accounts", SEV_REVIEW, "an enabled local account other than the built-in Administrator (RID 500) is a member of Administrators, and no [allow.*] account names it" },
	/* Windows Defender's own traces (report.json os[].defender). */
	{ "defender-exclusion", "defender", SEV_REVIEW, "a Defender exclusion (its own or Group Policy's) covers a folder, process or file where executables or autostart targets lie, or excludes an extension of code (exe dll ps1 bat cmd vbs js scr)" },
	{ "defender-disabled-policy", "defender", SEV_REVIEW, "Group Policy turns Defender or part of it off (DisableAntiSpyware, DisableAntiVirus, Real-Time Protection DisableRealtimeMonitoring or DisableBehaviorMonitoring = 1)" },
	{ "defender-quarantine", "defender", SEV_REVIEW, "Defender quarantined something on this machine that kenshu's engines do not detect (a payload they detect is a malware finding)" },
	{ "defender-history", "defender", SEV_FAIL, "Windows Defender's detection history (Scans\\History\\Service\\DetectionHistory) records a detection on this machine: threat, resource, time, and whether the file is still in the image" },
	/* Code signatures (Authenticode, catalogs). */
	{ "signature-invalid", "code-signing", SEV_FAIL, "an executable's signature does not match its content or does not verify: the file was changed after it was signed (review at most when the signature cannot be read at all)" },
	{ "system-file-unsigned", "code-signing", SEV_REVIEW, "a PE file in System32 or SysWOW64 (drivers included) is neither embedded- nor catalog-signed by a trusted signer, and not on the allowlist" },
	/* The image's own certificate stores (report.json os[].certificate_stores). */
	{ "trusted-root-added", "code-signing", SEV_REVIEW, "a root store of the image (machine, Group Policy, enterprise or a user's) trusts a certificate the trust anchors do not hold" },
	/* Files. */
	{ "risky-file-type", "files", SEV_REVIEW, "a file type that does not belong on a control PC ([files] risky_extensions outside [files] system_dirs), or an Office document with macros (found by content)" },
	/* Indicators of compromise from the profile's [ioc] feeds. */
	{ "ioc-hash", "ioc", SEV_FAIL, "a file's SHA-256, SHA-1 or MD5 is on an [ioc] hash_list" },
	{ "ioc-string", "ioc", SEV_REVIEW, "a file contains a domain, URL, IP address or string of an [ioc] string_list (ASCII or UTF-16LE)" },
	/* YARA rules of the profile's [yara] rule sets. */
	{ "yara-match", "yara", SEV_REVIEW, "a rule of a [yara] rule set matched a stream (fails when the rule's meta says severity = \"fail\" or one of its tags is in [yara] fail_tags)" },
	/* Event logs (report.json os[].event_logs, os[].events). */
	{ "eventlog-cleared", "eventlog", SEV_REVIEW, "an event log was cleared (System 104, Security 1102; 517 on XP)" },
	{ "eventlog-defender-detection", "eventlog", SEV_FAIL, "Windows Defender's own log records a detection of malware on this machine (1116, or 1117 without it)" },
	{ "eventlog-defender-disabled", "eventlog", SEV_REVIEW, "Windows Defender's protection was switched off (5001, 5010, 5012), or a configuration change added an exclusion or turned a feature off (5007)" },
	{ "eventlog-service-installed", "eventlog", SEV_REVIEW, "a service was installed (7045, 4697) whose image is not Windows' own (in System32, outside its user-writable folders, no script host), and no [allow.*] service names it; says when it was removed since" },
	{ "eventlog-account-added", "eventlog", SEV_REVIEW, "an account was created or enabled (4720, 4722), or added to Administrators, Remote Desktop Users or Domain/Schema/Enterprise Admins (4728, 4732, 4756), and no [allow.*] account names it" },
	{ "eventlog-remote-logon", "eventlog", SEV_INFO, "Remote Desktop logons (RemoteConnectionManager 1149, Security 4624 logon type 10), one finding per user and source address" },
	{ "eventlog-damaged", "eventlog", SEV_REVIEW, "an event log could not be read, is damaged (chunks failing their CRC, unreadable records) or was not closed cleanly, or script blocks went unscanned" },
	/* Changes since a baseline (scan --baseline). */
	{ "drift-changed-system-file", "drift", SEV_REVIEW, "--baseline: a file under [files] system_dirs changed or was removed since the baseline (outside [drift] ignore)" },
	{ "drift-new-autorun", "drift", SEV_REVIEW, "--baseline: an autostart entry that is not in the baseline, or whose command, target or target's content changed" },
	{ "drift-new-executable", "drift", SEV_REVIEW, "--baseline: an executable or script ([drift] executable_extensions) that is not in the baseline, or that changed outside [files] system_dirs" },
	/* The policy itself. */
	{ "waiver-expired", "policy", SEV_REVIEW, "a waiver in the profile is past its expiry date: it no longer applies" },
};

const size_t rule_count = sizeof(rule_table) / sizeof(rule_table[0]);

const struct rule_info *rule_find(const char *id)
{
	int i = rule_index(id);

	return i < 0 ? NULL : &rule_table[i];
}

int rule_index(const char *id)
{
	for (size_t i = 0; i < rule_count; i++)
		if (!strcmp(rule_table[i].id, id))
			return (int)i;
	return -1;
}

static const char *const sev_names[] = { "off", "info", "review", "fail" };

const char *severity_name(enum severity s)
{
	return (unsigned)s < 4 ? sev_names[s] : "fail";
}

int severity_parse(const char *s, enum severity *out)
{
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(s, sev_names[i])) {
			*out = (enum severity)i;
			return 0;
		}
	return -1;
}
