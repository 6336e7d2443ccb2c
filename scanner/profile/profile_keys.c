/* Every profile key: parsing, validation, `profile show` and
 * docs/profiles.md follow this table (tests/unit/test-profile.c checks the
 * docs). Sections in the order `profile show` writes them. */
#include <kenshu/profile.h>
#include <kenshu/banned.h>

const struct profile_key profile_keys[] = {
	{ "profile", "name", PK_STRING, "", 0, 0, false, "a short name for the profile, shown in reports" },
	{ "profile", "description", PK_STRING, "", 0, 0, false, "what the profile is for" },
	{ "profile", "include", PK_PROFILES, "", 0, 0, false,
	  "profiles this one builds on: paths relative to this file, or shipped names (default, strict); this file's keys win" },
	{ "rules", "*", PK_SEVERITY, NULL, 0, 0, false,
	  "RULE-ID = fail | review | info | off, for every rule of docs/rules.md" },
	{ "signatures", "max_age_days", PK_INT, "7", 1, 3650, false,
	  "signature-age: the newest official database may be at most this many days old on the scan date" },
	{ "hardening", "absent", PK_SEVERITY, "off", 0, 0, false,
	  "severity for a hardening setting that is merely absent where Windows' default is safe, or that cannot be determined (never above the rule's own severity)" },
	{ "files", "risky_extensions", PK_LIST, ".iqy, .wiz, .hta, .js, .jse, .vbs, .vbe, .wsf, .wsh, .scr, .ps1, .slk, .settingcontent-ms", 0, 0, false,
	  "risky-file-type: file name extensions that do not belong on a control PC" },
	{ "files", "system_dirs", PK_LIST, "/Windows", 0, 0, false,
	  "risky-file-type: folders whose files are Windows' own (risky_extensions are not held against files there)" },
	{ "files", "macros", PK_BOOL, "yes", 0, 0, false,
	  "risky-file-type: Office documents and templates that contain macros (found by content, any extension, anywhere)" },
	{ "ioc", "hash_list", PK_FILES, "", 0, 0, false,
	  "ioc-hash: files of SHA-256 / SHA-1 / MD5 hashes, one per line, optional name after it" },
	{ "ioc", "string_list", PK_FILES, "", 0, 0, false,
	  "ioc-string: files of domains, URLs, IP addresses or strings, one per line (defanged forms accepted)" },
	{ "yara", "rules", PK_FILES, "", 0, 0, false,
	  "yara-match: YARA rule files, or directories whose *.yar / *.yara files are read (sorted); each entry is one rule set, compiled once, timed on its own" },
	{ "yara", "fail_tags", PK_LIST, "", 0, 0, false,
	  "yara-match: a matching rule with one of these tags fails (as does one whose meta says severity = \"fail\"); other matches take the rule's severity" },
	{ "yara", "timeout", PK_INT, "10", 1, 3600, false,
	  "yara-match: seconds YARA may spend on one stream per rule set; a stream it cannot finish is not fully scanned" },
	{ "yara", "max_file_size", PK_INT, "67108864", 1, 2147483647, false,
	  "yara-match: streams larger than this many bytes are not scanned with YARA (reported as not fully scanned)" },
	{ "drift", "executable_extensions", PK_LIST, ".exe, .dll, .sys, .drv, .ocx, .cpl, .scr, .com, .efi, .msi, .msp, .ps1, .psm1, .bat, .cmd, .vbs, .vbe, .js, .jse, .wsf, .wsh, .hta, .jar", 0, 0, false,
	  "drift-new-executable: file name extensions (of a file or of an alternate data stream's name) that run code" },
	{ "drift", "ignore", PK_LIST, "/Windows/System32/config/**, /Windows/System32/LogFiles/**, /Windows/Logs/**, /Windows/Prefetch/**, /Windows/Temp/**, /Windows/SoftwareDistribution/**, /Windows/ServiceProfiles/**, **/*.log, **/*.etl, /pagefile.sys, /hiberfil.sys, /swapfile.sys, /System Volume Information/**", 0, 0, false,
	  "drift rules: paths that change whenever Windows runs (hives, logs, caches); still listed as changes, never a drift finding ('*' and '**' globs)" },
	{ "allow.*", "path", PK_PATH, NULL, 0, 0, false,
	  "an expected file or autostart target (path inside the image; '*' and '**' globs)" },
	{ "allow.*", "sha256", PK_HASH, NULL, 0, 0, false,
	  "its SHA-256; with path, both must match; at least one of path, sha256, signer and thumbprint" },
	{ "allow.*", "signer", PK_STRING, NULL, 0, 0, false,
	  "the signer (certificate CN or O) of a valid code signature, embedded or by catalog: the vendor's "
	  "signed software is accepted by signer, not by hash; with path or sha256, all must match" },
	{ "allow.*", "thumbprint", PK_THUMBPRINT, NULL, 0, 0, false,
	  "an expected certificate in the image's own stores: its SHA-1 thumbprint (trusted-root-added)" },
	{ "allow.*", "account", PK_STRING, NULL, 0, 0, false,
	  "an expected local account by its name (account-admin-extra: a vendor's service administrator); "
	  "allows no file, autostart or certificate" },
	{ "allow.*", "service", PK_STRING, NULL, 0, 0, false,
	  "an expected service by its name as the install event gives it (eventlog-service-installed: a vendor's "
	  "updater); allows no file, autostart or account" },
	{ "allow.*", "vendor", PK_STRING, NULL, 0, 0, false, "who ships it" },
	{ "allow.*", "comment", PK_STRING, NULL, 0, 0, false, "why it is expected" },
	{ "waiver.*", "rule", PK_RULE, NULL, 0, 0, true, "the rule id the waiver lifts" },
	{ "waiver.*", "path", PK_PATH, NULL, 0, 0, false,
	  "the finding's path (file, autostart target; '*' and '**' globs)" },
	{ "waiver.*", "sha256", PK_HASH, NULL, 0, 0, false,
	  "the finding's SHA-256; with path, both must match; at least one of path and sha256" },
	{ "waiver.*", "reason", PK_STRING, NULL, 0, 0, true, "why the finding is accepted" },
	{ "waiver.*", "approver", PK_STRING, NULL, 0, 0, true, "who accepted it" },
	{ "waiver.*", "expires", PK_DATE, NULL, 0, 0, true,
	  "last day the waiver applies (YYYY-MM-DD); after it, it is reported as waiver-expired" },
};

const size_t profile_nkeys = sizeof(profile_keys) / sizeof(profile_keys[0]);
