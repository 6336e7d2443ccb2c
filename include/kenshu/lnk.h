/* lnk: Windows Shell Link (.lnk) parser (MS-SHLLINK), used to resolve what a
 * Startup-folder shortcut runs.
 *
 * Pure code over a memory buffer: every size, count and offset in the file is
 * checked against the buffer before it is used, so hostile files give an
 * error, never a read past the end. Strings come out as UTF-8: Unicode ones
 * through utf16le_to_utf8(), ANSI ones (the system code page of the machine
 * that wrote the link, unknown offline) decoded as Windows-1252.
 */
#ifndef KENSHU_LNK_H
#define KENSHU_LNK_H

#include <stddef.h>
#include <stdint.h>

/* LinkFlags bits used by callers. */
#define LNK_HAS_ID_LIST      0x00000001u
#define LNK_HAS_LINK_INFO    0x00000002u
#define LNK_HAS_NAME         0x00000004u
#define LNK_HAS_RELATIVE_PATH 0x00000008u
#define LNK_HAS_WORKING_DIR  0x00000010u
#define LNK_HAS_ARGUMENTS    0x00000020u
#define LNK_HAS_ICON_LOCATION 0x00000040u
#define LNK_IS_UNICODE       0x00000080u
#define LNK_FORCE_NO_LINK_INFO 0x00000100u
#define LNK_HAS_EXP_STRING   0x00000200u

/* ShowCommand values (anything else means SW_SHOWNORMAL to Windows). */
#define LNK_SW_SHOWNORMAL      1u
#define LNK_SW_SHOWMAXIMIZED   3u
#define LNK_SW_SHOWMINNOACTIVE 7u

/* Every string is UTF-8, owned, NULL when absent. */
struct lnk_info {
	char *target;        /* best local path: LinkInfo LocalBasePath + CommonPathSuffix,
	                        else idlist_path, else NULL */
	char *idlist_path;   /* path built from the LinkTargetIDList (drive + item
	                        names, long names preferred), NULL if it has no drive item */
	char *network_path;  /* LinkInfo CommonNetworkRelativeLink NetName + "\" + suffix */
	char *arguments;     /* StringData COMMAND_LINE_ARGUMENTS */
	char *working_dir;   /* StringData WORKING_DIR */
	char *relative_path; /* StringData RELATIVE_PATH */
	char *icon_location; /* StringData ICON_LOCATION */
	char *description;   /* StringData NAME_STRING */
	char *env_target;    /* EnvironmentVariableDataBlock target (Unicode, else ANSI) */
	uint32_t show_command; /* raw ShowCommand: LNK_SW_* */
	uint32_t flags;        /* raw LinkFlags: LNK_* */
};

/* Parses the size bytes at data into *out. Returns 0, or -1 with a one-line
 * lowercase reason in err (no file name: the caller prefixes it), e.g.
 * "not a shell link" or "string data 'arguments' (40 characters at byte 302)
 * runs past the end of the file (320 bytes)". On error *out holds nothing to
 * free. With LNK_FORCE_NO_LINK_INFO set, LinkInfo is skipped like Windows
 * does and target falls back to idlist_path. */
int lnk_parse(const void *data, size_t size, struct lnk_info *out,
	      char *err, size_t errlen);

/* Frees what lnk_parse allocated and zeroes *li. Accepts a zeroed *li. */
void lnk_info_release(struct lnk_info *li);

#endif
