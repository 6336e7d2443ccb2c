/* posture: the patch level and hardening FACTS of one Windows install, read
 * offline, each with the evidence that decided it. The policy engine turns
 * them into findings; nothing here judges pass or fail.
 *
 * Checks (rule ids are static strings, one check per rule per install
 * except where a scope tells two apart):
 *   ms17-010                      srv.sys version against
 *                                 profiles/tables/ms17-010.tsv, else CBS
 *                                 packages / XP hotfix keys / UBR
 *   eol-os                        profiles/tables/eol.tsv against the scan
 *                                 date
 *   smb1-enabled   server|client  LanmanServer SMB1, mrxsmb10 Start
 *   rdp-enabled, rdp-no-nla       Terminal Server, RDP-Tcp, policy keys
 *   autologon-cleartext-password  Winlogon DefaultPassword exists (its
 *                                 value is never read into any output)
 *   firewall-disabled  domain|private|public
 *   defender-disabled, autoplay-enabled, guest-enabled (SAM), hosts-tampered
 *   write-filter                  EWF/FBWF/UWF state, always INFO
 *
 * Sources: /work/shared/design/autostart-locations.md sections 3 and 4.
 * Everything is pure code over hives and bytes already read, except
 * posture_collect(), which reads them from the image. Hostile input (a
 * damaged hive, a garbage SAM F value, a huge hosts file, a broken table)
 * gives POSTURE_UNKNOWN or an error, never a crash. */
#ifndef KENSHU_POSTURE_H
#define KENSHU_POSTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct hive;
struct fs;
struct os_info;

enum posture_state {
	POSTURE_UNKNOWN = 0,       /* could not tell (hive unreadable, file damaged...) */
	POSTURE_SAFE,              /* set to a safe state */
	POSTURE_UNSAFE,            /* set to an unsafe state: held against the image */
	POSTURE_ABSENT_UNSAFE,     /* not set, and this OS's default is unsafe */
	POSTURE_ABSENT_SAFE,       /* not set, and the default is safe (strict profiles review it) */
	POSTURE_INFO,              /* informational state (write filter) */
	POSTURE_NOT_APPLICABLE,    /* the check does not apply (a build never vulnerable, RDP off) */
};

/* "unknown", "safe", "unsafe", "absent-unsafe", "absent-safe", "info",
 * "not-applicable": the spelling report.json and profiles use. */
const char *posture_state_name(enum posture_state s);

struct posture_check {
	const char *rule;          /* static: "ms17-010", "smb1-enabled", ... */
	const char *scope;         /* static, NULL when the rule has one check:
	                              "server"/"client", "domain"/"private"/"public" */
	enum posture_state state;
	char *message;             /* one sentence for an engineer, owned */
	char *evidence;            /* what decided it: key path + value, file +
	                              version, package + state; owned, never a password */
};

struct posture {
	struct posture_check *c;   /* in a fixed order (see posture_evaluate) */
	size_t n;
};

/* Frees every check and zeroes *p. Accepts a zeroed *p. */
void posture_release(struct posture *p);
/* The first check of rule (and scope, when scope is non-NULL), or NULL. */
const struct posture_check *posture_find(const struct posture *p, const char *rule, const char *scope);

/* ---- data tables (the .tsv files in profiles/tables/) -------------- */

/* A parsed ms17-010.tsv. Rows and their fields are documented in the file's
 * header comment. */
enum patch_fix {
	PATCH_FIXED,          /* fixed[] is the first fixed version */
	PATCH_NO_FIX,         /* no fix was ever released for these builds */
	PATCH_NOT_AFFECTED,   /* released with the fix */
};

struct patch_row {
	uint32_t major, minor;
	uint32_t build_lo, build_hi;     /* inclusive; "*" = 0..UINT32_MAX */
	char file[32];                   /* "srv.sys", "" on a not-affected row */
	uint16_t branch_lo, branch_hi;   /* file revision range */
	enum patch_fix fix;
	uint16_t fixed[4];
	char **evidence;                 /* tokens: "KB4012212", "RollupFix>=14393.953", "UBR>=953" */
	size_t nevidence;
	char *label;
	unsigned line;                   /* in the table, for evidence text */
};

struct patch_table {
	char *name;                      /* as given to the parser, e.g. "tables/ms17-010.tsv" */
	struct patch_row *rows;
	size_t n;
};

/* Parses a ms17-010 table (text need not be NUL-terminated; len bytes).
 * Returns 0 with *out (free with patch_table_free), or -1 with
 * "NAME:LINE: message" in err. A table without rows is an error. */
int patch_table_parse(const char *text, size_t len, const char *name, struct patch_table **out,
		      char *err, size_t errlen);
void patch_table_free(struct patch_table *t);

/* A parsed eol.tsv; first matching row wins. */
enum eol_marker {
	EOL_MARK_NONE = 0,
	EOL_MARK_EMBEDDEDNT,   /* SYSTEM Control\ProductOptions ProductSuite has EmbeddedNT */
	EOL_MARK_POSREADY,     /* SYSTEM WPA\PosReady Installed = 1 */
};

struct eol_row {
	uint32_t major, minor;
	uint32_t build_lo, build_hi;
	char *edition;                   /* fnmatch glob, "*" = any */
	char *product;                   /* fnmatch glob, "*" = any */
	enum eol_marker marker;
	int end_year, end_month, end_day;
	char *name;
	char *source;
	unsigned line;
};

struct eol_table {
	char *name;
	struct eol_row *rows;
	size_t n;
};

int eol_table_parse(const char *text, size_t len, const char *name, struct eol_table **out,
		    char *err, size_t errlen);
void eol_table_free(struct eol_table *t);

/* Caps against hostile tables. */
#define POSTURE_TABLE_MAX_ROWS 10000
#define POSTURE_TABLE_MAX_LINE 4096

/* ---- evaluation -------------------------------------------------------- */

/* A file read from the image for a check. */
struct posture_file {
	bool present;              /* it exists in the volume */
	const void *data;          /* its bytes when it could be read, else NULL */
	size_t size;
	const char *error;         /* why it could not be read (present, data NULL) */
};

struct posture_user_hive {
	const char *user;          /* profile name, for evidence */
	struct hive *ntuser;       /* NULL when it could not be opened */
};

/* Everything posture_evaluate looks at. Hives may be NULL (absent or
 * unreadable: the checks needing them say UNKNOWN, with *_error as reason). */
struct posture_inputs {
	/* Identity, as struct os_info has it. */
	uint32_t major, minor;     /* 0 when unknown */
	uint32_t build;            /* 0 when unknown */
	bool has_ubr;
	uint32_t ubr;
	const char *edition;       /* EditionID, may be NULL */
	const char *product_name;  /* may be NULL */
	uint32_t control_set;      /* Select\Current; 0 = SYSTEM checks unknown */

	struct hive *system, *software, *sam;
	const char *system_error, *software_error, *sam_error;
	const struct posture_user_hive *users;   /* NTUSER.DAT of each profile */
	size_t nusers;

	struct posture_file srv_sys;   /* <root>/System32/drivers/srv.sys */
	struct posture_file srv2_sys;  /* <root>/System32/drivers/srv2.sys */
	struct posture_file hosts;     /* the hosts file */
	const char *hosts_path;        /* where it was looked for, for evidence */

	/* The scan date, as a calendar day (UTC, scandate.h): eol-os compares
	 * it with the end date. */
	time_t now;

	/* Tables; NULL = the shipped ones (embedded_file), parsed per call. */
	const struct patch_table *ms17010;
	const struct eol_table *eol;
};

/* Fills *out (release with posture_release) with every check, in this
 * order: ms17-010, eol-os, smb1-enabled server, smb1-enabled client,
 * rdp-enabled, rdp-no-nla, autologon-cleartext-password, firewall-disabled
 * domain/private/public, defender-disabled, autoplay-enabled,
 * guest-enabled, hosts-tampered, write-filter. Never fails. */
void posture_evaluate(const struct posture_inputs *in, struct posture *out);

/* Caps on what is read from the image. */
#define POSTURE_MAX_DRIVER_SIZE (64ull << 20)  /* srv.sys, srv2.sys */
#define POSTURE_MAX_HOSTS_SIZE (32ull << 20)   /* hosts: larger is UNKNOWN */
#define POSTURE_HOSTS_SHOWN 10                  /* entries quoted in evidence */

/* Reads what the checks need from the install os_inspect found (SYSTEM,
 * SAM and each NTUSER.DAT are opened here; software is the SOFTWARE hive
 * os_inspect holds open, or NULL), evaluates, and stores the result in
 * os->posture. Never fails: what cannot be read becomes UNKNOWN. */
void posture_collect(struct fs *fs, struct os_info *os, struct hive *software, time_t scan_day);

#endif
