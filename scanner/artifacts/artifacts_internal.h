/* What the pieces of artifacts/ share: the files one parser was split
 * into (wmi, cmdline) see each other through this header. Internal to
 * scanner/artifacts/. */
#ifndef KENSHU_ARTIFACTS_INTERNAL_H
#define KENSHU_ARTIFACTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

/* ---- wmi: wmi.c (the passes, the entry points), wmi_records.c (strings,
 * hashes, pages, class definitions, reference records), wmi_instances.c
 * (instances and the objects they give) ---- */

#define WMI_DESC_SIZE 16u
#define WMI_MAX_DESC (WMI_PAGE_SIZE / WMI_DESC_SIZE - 1)
#define WMI_FILETIMES 16u
#define WMI_BLOCK_HEAD 9u       /* instance: u32 length, u32 class name ref, u8 */
#define WMI_HEAP_LEN_MASK 0x7FFFFFFFu
#define WMI_MAX_LAYOUTS 16u     /* distinct layouts kept per class */

enum wmi_cls { WMI_C_FILTER, WMI_C_BINDING, WMI_C_CMDLINE, WMI_C_SCRIPT, WMI_NCLASSES };

#define WMI_NEEDED 4

/* The four classes read, the properties wanted from each (keys first) and
 * the layout their class definitions give them in the Windows 10 and
 * Server 2022 repositories this was checked against, used only when the
 * file holds no definition of the class. The hashes are SHA-256 and MD5 of
 * the upper-case UTF-16LE class name. */
struct wmi_known {
	const char *name;
	const char *sha256;
	const char *md5;
	const char *props[WMI_NEEDED];
	unsigned nprops, nkeys;
	uint32_t b_nprops, b_vt_len;
	uint16_t b_index[WMI_NEEDED];
	uint32_t b_offset[WMI_NEEDED];
};

extern const struct wmi_known wmi_known[WMI_NCLASSES];

struct wmi_layout {
	uint32_t nprops;        /* of the class, inherited ones included */
	uint32_t nd_len, vt_len;
	uint16_t index[WMI_NEEDED];
	uint32_t offset[WMI_NEEDED];
	char *def[WMI_NEEDED];  /* the class's default value, NULL if none */
};

enum wmi_page_state { WMI_PS_NONE, WMI_PS_EMPTY, WMI_PS_TABLE, WMI_PS_CONT };

struct wmi_inst {
	size_t off;             /* record start in the file */
	size_t avail;           /* bytes of it readable from off on */
	size_t size;            /* its size as recorded */
	unsigned hexlen;        /* bytes of the class-name hash */
	enum wmi_cls cls;
	unsigned flags;
};

struct wmi_nsref {
	char key[SHA256_HEX_LEN + 1]; /* I_ hash of the binding, upper case */
	char *ns;
};

struct wmi_ctx {
	const uint8_t *d;
	size_t size, npages;
	uint8_t *state;         /* enum wmi_page_state per page */
	uint16_t *covered;      /* WMI_PS_TABLE pages: offset in the page of the last
	                           byte of its last record */
	struct wmi_layout layouts[WMI_NCLASSES][WMI_MAX_LAYOUTS];
	size_t nlayouts[WMI_NCLASSES];
	struct wmi_inst *insts;
	size_t ninsts, instcap;
	struct wmi_nsref *refs;
	size_t nrefs, refcap;
	size_t cons_cap, filt_cap, bind_cap;
	size_t work, budget;    /* string bytes looked at for instances, and the cap */
	uint8_t pat[WMI_NCLASSES][2][2 * SHA256_HEX_LEN]; /* hashes as UTF-16LE: [0] SHA-256, [1] MD5 */
	struct wmi_subscriptions *out;
};

struct wmi_desc {
	uint32_t off, size;
};

/* The CIM string at heap ref, inside the hav bytes of the heap that can be
 * read: a flag byte (0 Latin-1, 1 UTF-16LE) and NUL-terminated text. At
 * most WMI_MAX_STRING characters are looked at: a longer string is cut
 * there (WMI_F_TRUNCATED) without looking for its end. Returns 1 and a UTF-8
 * copy in *out (the caller frees it), 0 if the text runs to the end of what can be read (*out
 * holds what there is), -1 if ref or the flag is bad (*out is NULL). Adds
 * the bytes looked at to *work when work is not NULL. */
int wmi_cim_string(const uint8_t *h, size_t hav, size_t ref, char **out,
		   unsigned *flags, size_t *work);

/* Whether the CIM string at heap ref is name (ASCII case folded): looks at
 * strlen(name) + 1 characters at most. */
bool wmi_cim_is(const uint8_t *h, size_t hav, size_t ref, const char *name);

/* SHA-256 (upper-case hex) of the parts in upper-case UTF-16LE joined by
 * U+FFFF. Returns false if a part is not valid UTF-8. */
bool wmi_upper_hash(const char *const *parts, size_t nparts, char hex[SHA256_HEX_LEN + 1]);

/* A digest of strings (NULL kept apart from ""), ASCII case folded when
 * fold: compares long strings once instead of pairwise. */
void wmi_digest(const char *const *s, size_t n, bool fold, char hex[SHA256_HEX_LEN + 1]);

/* Bytes of page pg in the file (the last one may be short). */
size_t wmi_page_len(const struct wmi_ctx *c, size_t pg);

/* The record table at the start of page pg: returns the number of records
 * (0 when the page starts with a zero entry) and fills desc, or -1 when
 * there is no valid table. */
long wmi_page_table(const struct wmi_ctx *c, size_t pg, struct wmi_desc *desc);

/* Where the record at off (size bytes) of page pg can be read: all of it
 * when it fits in the page, or when it runs on into following pages that
 * hold no record table (they are marked as its continuation); else only
 * what is in its page, WMI_F_PARTIAL. */
size_t wmi_record_extent(struct wmi_ctx *c, size_t pg, size_t off, size_t size,
			 unsigned *flags);

/* Frees the default values; *l is zeroed. */
void wmi_layout_release(struct wmi_layout *l);

/* The layout of wmi_known[cls], for a file without its class definition. */
void wmi_builtin_layout(enum wmi_cls cls, struct wmi_layout *l);

/* A class definition record of one of the four classes: its layout into
 * *l and true, else false. The whole record must be readable. */
bool wmi_parse_cd(const uint8_t *r, size_t n, enum wmi_cls *clsp, struct wmi_layout *l);

/* Keeps *l (taking its defaults) unless an equal one is kept or the
 * class has WMI_MAX_LAYOUTS already; then *l is released. */
void wmi_add_layout(struct wmi_ctx *c, enum wmi_cls cls, struct wmi_layout *l);

/* A binding's reference record: remembers the namespace of the binding it
 * names. The whole record must be readable. */
void wmi_parse_ref(struct wmi_ctx *c, const uint8_t *r, size_t n);

/* The class whose hash starts the record (avail bytes), or -1. */
int wmi_instance_class(const struct wmi_ctx *c, const uint8_t *r, size_t avail,
		       unsigned *hexlen);

/* Remembers an instance record for wmi_read_instance(). */
void wmi_add_inst(struct wmi_ctx *c, size_t off, size_t avail, size_t size,
		  unsigned hexlen, enum wmi_cls cls, unsigned flags);

/* "[\\host\ns:]Class.Key="value"[,...]", "Class="value"" or "Class=@":
 * class, namespace prefix (NULL if none) and the Name key (or the only,
 * unnamed key) unescaped (NULL if none), each for the caller to free.
 * False if s is no object path. */
bool wmi_parse_path(const char *s, char **cls, char **ns, char **name);

/* Reads one instance record; true if it gave an object. */
bool wmi_read_instance(struct wmi_ctx *c, const struct wmi_inst *in);

/* ---- cmdline: cmdline.c (expansion, paths, the program token, the entry
 * points), cmdline_hosts.c (argument splitting, payloads, the hosts) ---- */

/* ASCII-only text primitives both files use: command lines are matched the
 * way Windows does, never by the host's locale. */

static inline int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static inline bool is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool is_sep(char c)
{
	return c == '\\' || c == '/';
}

/* Case-insensitive (ASCII) equality of n bytes. */
static inline bool ieq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return false;
	return true;
}

static inline bool ieq_len(const char *a, size_t n, const char *word)
{
	return strlen(word) == n && ieq_n(a, word, n);
}

/* scheme://... with a scheme of two letters or more (so "C://x" is a path). */
static inline bool is_url(const char *s)
{
	size_t i = 0;

	if (!is_alpha((unsigned char)s[0]))
		return false;
	while (is_alpha((unsigned char)s[i]) || (s[i] >= '0' && s[i] <= '9') ||
	       s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return i >= 2 && s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/';
}

enum cmd_fmode {
	CMD_FM_EXE,  /* CreateProcess: ".exe" appended to a name without extension */
	CMD_FM_DLL,  /* LoadLibrary: ".dll" appended */
	CMD_FM_FILE, /* scripts and the like: as written */
};

/* The resolver state of one cmd_resolve() call (cmdline.c). */
struct cmd_rs;

typedef void (*cmd_host_fn)(struct cmd_rs *rs, const char *args, int depth, struct cmd_resolution *out);

struct cmd_host {
	const char *name; /* file name without ".exe", matched case-insensitively */
	const char *canon;
	cmd_host_fn fn;
};

/* The image file that the Windows path p[0..n) names. Returns the hit (and
 * *found), else the path Windows would use if it is fixed, else NULL. With
 * no_search, relative paths are not searched for. */
char *cmd_find_file(struct cmd_rs *rs, const char *p, size_t n, enum cmd_fmode mode,
		    bool no_search, bool *found, unsigned *flags);

/* Resolves text (already expanded) into *out, nested depth levels deep
 * (cmd /c runs another command line). Returns 0, or -1 when text is blank
 * (*out is then empty). The caller releases *out with
 * cmd_resolution_release(). */
int cmd_resolve_text(struct cmd_rs *rs, const char *text, int depth, struct cmd_resolution *out);

/* A payload given as text (inline script, URL): copied into out->payload,
 * with flags, and CMD_F_URL when it names a URL. */
void cmd_set_payload_text(struct cmd_resolution *out, const char *s, unsigned flags);

/* The host program the token tok[0..n) names (by its last component, with
 * or without ".exe"), or NULL. Static storage. */
const struct cmd_host *cmd_host_lookup(const char *tok, size_t n);

/* ---- event logs: evtlog.c (the entry points, what both share), evtx.c
 * (.evtx), evt.c (.evt) ---- */

/* What one parse has built so far, against the bounds of artifacts.h. */
struct evtl_build {
	size_t cap;             /* of log->rec */
	size_t used, budget;    /* bytes kept, at most about 16 x the input */
	size_t cut;             /* values cut at EVT_MAX_VALUE */
	const char *open_failed; /* the library refused the file: why, static */
	bool header_bad;        /* .evtx: the file header's CRC failed */
	uint64_t *bad_ids;      /* .evtx: identifiers of the records in bad chunks, sorted */
	size_t nbad_ids, bad_cap;
};

void evtl_budget_init(struct evtl_build *b, size_t input_len);
/* s[0..n) cut at EVT_MAX_VALUE (on a UTF-8 boundary), allocated. */
char *evtl_value(struct evtl_build *b, const char *s, size_t n);
/* A new record in log, or NULL (log->truncated set) past the bounds. */
struct evt_record *evtl_add(struct evtl_build *b, struct evt_log *log);
void evtl_add_data(struct evtl_build *b, struct evt_record *r, const char *name, const char *value, size_t vlen);
void evtl_finish_record(struct evt_record *r);
void evtl_damage(struct evt_log *log, const struct evtl_build *b);
int64_t evtl_filetime(uint64_t ft);
/* A libbfio handle (libbfio_handle_t *) reading [d, d+len) and nothing
 * past it, or NULL; libbfio_handle_free frees it. */
intptr_t *evtl_bfio(const uint8_t *d, size_t len);
int evtx_parse(const uint8_t *d, size_t len, const char *name, struct evt_log *out, struct ks_err *err);
int evt_parse(const uint8_t *d, size_t len, const char *name, struct evt_log *out, struct ks_err *err);

#endif
