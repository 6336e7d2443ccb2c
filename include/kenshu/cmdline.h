/* cmdline: what an autostart command really runs, resolved offline.
 *
 * A command as stored in a Run value, a service ImagePath, a task <Exec> or a
 * shortcut is Windows text: %VAR% references, NT and Win32 path prefixes,
 * quotes, unquoted paths with spaces, and script hosts (LOLBins) told to run
 * something else. cmd_resolve() turns it into the file inside the image that
 * runs and, for a host, what the host runs. Pure code: the caller supplies the
 * environment map (the host's getenv is never read) and an existence probe
 * over the image; nothing here prints, exits or touches the host's files.
 * Every input is hostile: lengths, prefixes, probes and nesting are capped.
 */
#ifndef KENSHU_CMDLINE_H
#define KENSHU_CMDLINE_H

#include <stddef.h>

/* Named caps against hostile commands. */
#define CMD_MAX_DEPTH 8            /* nested cmd /c levels unwrapped */
#define CMD_MAX_PREFIXES 16        /* space-split prefixes tried for an unquoted path */
#define CMD_MAX_PROBES 512         /* exists() calls per cmd_resolve() */
#define CMD_MAX_PATH 32767         /* longer paths are never probed (Windows' own limit) */
#define CMD_MAX_EXPANDED (1u << 20) /* %VAR% expansion stops growing the text here */
#define CMD_MAX_SEARCH_DIRS 16     /* System32, SystemRoot, then entries of env Path */

/* One environment variable of the scanned system, e.g. {"SystemRoot", "C:\\Windows"}.
 * Names match case-insensitively. SystemDrive (default "C:") says which drive
 * letter is the image volume; SystemRoot (else windir, else <drive>\Windows)
 * anchors \SystemRoot\, system32\... and bare names; Path, if given, is
 * searched after System32 and SystemRoot (its own %VAR%s are expanded). */
struct cmd_env {
	const char *name;
	const char *value;
};

/* Returns 1 if path names a file in the image, else 0. path is image-relative,
 * '/'-separated and starts with '/' ("/Windows/System32/svchost.exe"); its
 * case is as written in the command, so the caller matches case-insensitively. */
typedef int (*cmd_exists_fn)(void *ctx, const char *path);

enum {
	CMD_F_URL = 1u << 0,          /* the payload is a URL, or inline code fetches one (http/https/ftp) */
	CMD_F_ENCODED = 1u << 1,      /* powershell -EncodedCommand (see decoded) */
	CMD_F_SCRIPT = 1u << 2,       /* the payload is script: .vbs/.js/.ps1/.hta/.sct or inline script */
	CMD_F_UNRESOLVED_VAR = 1u << 3, /* a %VAR% not in the env map was left as written */
	CMD_F_NOT_LOCAL = 1u << 4,    /* a path is on another drive letter, UNC or a device: not in the image */
	CMD_F_SPACE_HIJACK = 1u << 5, /* unquoted path with spaces: a shorter prefix exists and runs
	                               * instead of the longer existing file (see shadowed) */
	CMD_F_NOT_FOUND = 1u << 6,    /* the program is not in the image (image_path is the path tried, or NULL) */
	CMD_F_PAYLOAD_NOT_FOUND = 1u << 7, /* the host's file payload is not in the image */
	CMD_F_INLINE = 1u << 8,       /* the payload is code written into the command (mshta
	                               * javascript:, powershell -Command, rundll32 javascript:) */
	CMD_F_BAD_QUOTE = 1u << 9,    /* an unterminated quote: the text ran to the end */
	CMD_F_BAD_ENCODING = 1u << 10, /* -EncodedCommand is not valid base64 (decoded is NULL) */
	CMD_F_DEPTH = 1u << 11,       /* cmd /c nesting deeper than CMD_MAX_DEPTH was not followed */
	CMD_F_TRUNCATED = 1u << 12,   /* a cap was hit (prefixes, probes, expansion): result may be partial */
};

struct cmd_resolution {
	char *expanded;     /* the command after %VAR% expansion, trimmed (Windows text) */
	char *image_path;   /* the file that runs, inside the image: "/Windows/System32/x.exe".
	                     * Not found: the path Windows would have run (CMD_F_NOT_FOUND), or
	                     * NULL when that depends on a search (bare names). NULL if not local. */
	char *arguments;    /* the text after the program, trimmed; "" when none */
	char *host;         /* a recognised host by its canonical name ("rundll32.exe",
	                     * "powershell.exe", "cmd.exe"...), else NULL */
	char *payload;      /* what the host runs, as written: the DLL, script, URL or command text
	                     * (for -EncodedCommand the base64 text) */
	char *payload_path; /* the payload file inside the image, as image_path; for cmd /c the
	                     * program the inner command runs; NULL if none */
	char *decoded;      /* -EncodedCommand decoded (base64 -> UTF-16LE -> UTF-8), also lifted
	                     * from a nested cmd /c */
	char *shadowed;     /* with CMD_F_SPACE_HIJACK: the longer existing path that was meant */
	struct cmd_resolution *inner; /* cmd /c or /k: the inner command resolved; its flags
	                     * are also or'ed into this one (NOT_FOUND as PAYLOAD_NOT_FOUND) */
	unsigned flags;     /* CMD_F_* */
};

/* Resolves command into *out (fully overwritten). Returns 0, or -1 only when
 * command is NULL or empty/blank after expansion; then *out holds nothing to
 * free. Every string in *out is malloc'd: free with cmd_resolution_release(). */
int cmd_resolve(const char *command, const struct cmd_env *env, size_t nenv,
		cmd_exists_fn exists, void *ctx, struct cmd_resolution *out);

/* Frees what cmd_resolve() allocated and zeroes *r. Accepts a zeroed *r. */
void cmd_resolution_release(struct cmd_resolution *r);

#endif
