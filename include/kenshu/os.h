/* os: which Windows is installed on a volume, from its own registry.
 *
 * The Windows volume is found by content (a SOFTWARE and a SYSTEM hive
 * under a system root), never by partition number, so every install on an
 * image is reported. */
#ifndef KENSHU_OS_H
#define KENSHU_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <kenshu/autorun.h>
#include <kenshu/fs.h>
#include <kenshu/hive.h>
#include <kenshu/posture.h>
#include <kenshu/taskcache.h>

struct os_profile {
	char *sid;
	char *path;        /* as stored, e.g. "%SystemDrive%\Users\operator" */
	char *user;        /* last component of the path */
	bool found_on_disk; /* not in ProfileList: its NTUSER.DAT lies in a profile folder;
	                       sid is "" and path is the folder in the volume */
};

struct os_hive {
	const char *name;  /* "SOFTWARE", "SYSTEM" */
	char *path;        /* inside the volume */
	struct hive_health health;
};

struct os_user_hive {
	const char *kind;  /* "NTUSER.DAT" or "UsrClass.dat" */
	char *user;
	char *path;        /* inside the volume */
	struct hive_health health;
};

struct os_info {
	unsigned volume;           /* partition index */
	char *system_root;         /* "/Windows" */
	char *product_name, *edition, *current_version, *build, *service_pack;
	uint32_t major, minor;     /* 0 when unknown */
	bool has_ubr;
	uint32_t ubr;
	char *family;              /* derived from version and build, static text copied */
	char *architecture, *hostname, *install_date, *registered_owner, *registered_organization;
	char *time_zone;
	uint32_t control_set;      /* Select\Current, 0 if unknown */
	struct os_profile *profiles;
	size_t nprofiles;
	struct os_hive hives[2];
	struct os_user_hive *user_hives;   /* each profile's NTUSER.DAT and UsrClass.dat found */
	size_t nuser_hives;
	struct autorun_list autoruns;      /* sorted */
	struct taskcache taskcache;        /* SOFTWARE's Task Scheduler cache (empty when absent) */
	bool has_taskcache;
	char *wmi_error;
	/* --cross-check: what libguestfs's inspect_os says of this install.
	 * NULL when not asked; "agrees (...)", "differs: ...", or "not found
	 * as an operating system by libguestfs". */
	char *cross_check;
	bool cross_check_differs;           /* the WMI repository could not be read, NULL if it was or is absent */
	/* Patch level and hardening facts (posture.h), each with its evidence;
	 * filled by os_inspect, empty when os_read_hive alone was used. */
	struct posture posture;
};

/* Looks for a Windows system root on fs. Returns 1 and fills *os (release
 * with os_info_release), 0 when there is none, never fails otherwise:
 * damaged hives are recorded in os->hives[].health. ntuser_found lists
 * every NTUSER.DAT the walk saw: those in a profile folder (Users\*,
 * Documents and Settings\*, ServiceProfiles\*, systemprofile) are read as
 * profiles even when ProfileList does not name them. scan_day (UTC
 * midnight, scandate.h) is the day end of support is judged by. */
int os_inspect(struct fs *fs, unsigned volume, const char *const *ntuser_found, size_t nfound,
	       time_t scan_day, struct os_info *os);
void os_info_release(struct os_info *os);

enum os_hive_kind { OS_HIVE_SOFTWARE, OS_HIVE_SYSTEM };
/* Fills the fields of *os that one open hive gives (os_inspect's work for
 * a single hive; exposed so hostile hives can be tested without an image).
 * Call once per kind on a zeroed *os. */
void os_read_hive(struct hive *h, enum os_hive_kind kind, struct os_info *os);

/* Family from the version numbers: "Windows 7 / Windows Embedded Standard 7"
 * for 6.1, ... Exposed for tests. Static string. */
const char *os_family(uint32_t major, uint32_t minor, uint32_t build);

#endif
