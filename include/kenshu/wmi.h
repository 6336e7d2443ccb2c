/* wmi: WMI permanent event subscriptions (ATT&CK T1546.003) read offline
 * from the CIM repository's objects file,
 * Windows\System32\wbem\Repository\OBJECTS.DATA (Repository\FS\ on XP/2003),
 * held whole in memory.
 *
 * Only OBJECTS.DATA is read, not INDEX.BTR nor the MAPPING*.MAP files: the
 * scanner then needs one file, and a damaged or forged index cannot hide an
 * object. The records are found by walking the file instead (layouts: MS-WMIO
 * for classes and instances; libyal dtformats "WMI repository file format"
 * for the pages).
 *
 * What is parsed:
 *   - every 8 KiB page whose start is a valid table of record descriptors
 *     {id, offset, size, checksum} ended by a zero entry (offsets inside
 *     the page, after the table, ascending, not overlapping; only the last
 *     record may run past the page): it delimits its records, so nothing is
 *     matched across record boundaries;
 *   - class definition records of __EventFilter, __FilterToConsumerBinding,
 *     CommandLineEventConsumer and ActiveScriptEventConsumer: property
 *     lookup table, each property's type, declaration order, value-table
 *     offset and default. Instances are read with the layout of the Windows
 *     version that wrote the file (the lookup tables differ between
 *     versions; localised copies without the key are skipped);
 *   - instance records of those four classes, recognised by the class-name
 *     hash they start with (64 UTF-16 hex digits of SHA-256, or 32 of MD5 in
 *     older repositories; both are looked for): property state bits, value
 *     table, qualifier sets, heap. A layout is accepted only if the record
 *     ends exactly where its heap ends and the heap holds the class name
 *     where the instance says, so class definitions and other records are
 *     never taken for instances. When the file holds no definition of the
 *     class the built-in layout is tried (WMI_F_BUILTIN_LAYOUT); when no
 *     layout fits, the heap is found by its class name and its strings are
 *     kept (WMI_F_NO_LAYOUT);
 *   - the reference records Windows keeps for a binding's Consumer and
 *     Filter (namespace, class, property, key path): through the SHA-256 of
 *     the binding's key they give its namespace, and so its consumer's and
 *     filter's (SHA-256 repositories only);
 *   - bytes no table covers (free pages, slack, pages whose table is
 *     damaged) are searched for the four class-name hashes; an instance found
 *     there is kept only if a layout fits it exactly (WMI_F_UNTABLED).
 *
 * What is not, and what follows from it: without the mapping file the page
 * a long record continues on is not known. It is read from the following
 * pages of the file, where Windows usually puts it (WMI_F_SPANS_PAGES); if
 * one of those holds a record table, or the file ends, only the first page
 * is read (WMI_F_PARTIAL: later strings cut or NULL). Without the index,
 * live and deleted objects are not told apart: a stale copy still in the
 * file is reported (identical copies once). Instances of other classes,
 * other consumer classes included (NTEventLog, LogFile, SMTP...), are not
 * read: they appear as bindings only. Namespaces are not told for objects
 * no binding names.
 */
#ifndef KENSHU_WMI_H
#define KENSHU_WMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WMI_PAGE_SIZE 8192u
/* Bytes of UTF-8 kept of one property (ScriptText can be long); past it the
 * string is cut on a character boundary and WMI_F_TRUNCATED is set. */
#define WMI_MAX_STRING (64u * 1024u)
/* Objects kept of each kind; past it the rest is dropped (overflow set). */
#define WMI_MAX_OBJECTS 4096u
/* No index: "not found" in wmi_binding.consumer / .filter. */
#define WMI_NONE ((size_t)-1)

/* How an object was read (flags on consumers, filters and bindings). */
#define WMI_F_SPANS_PAGES    0x01u /* continues past its page: the rest came from the following pages */
#define WMI_F_PARTIAL        0x02u /* the rest was not found: only its first page was read; later
                                      strings may be cut or NULL */
#define WMI_F_UNTABLED       0x04u /* found outside every record table (free page, slack, damaged
                                      table): most likely a deleted object */
#define WMI_F_BUILTIN_LAYOUT 0x08u /* the file holds no definition of the class: the layout
                                      Windows 10 and Server 2022 give it was assumed */
#define WMI_F_NO_LAYOUT      0x10u /* no layout fits the instance: fields are NULL (a filter's query
                                      and a binding's references are guessed from its strings) and
                                      `strings` lists what was carved */
#define WMI_F_TRUNCATED      0x20u /* a string was longer than WMI_MAX_STRING and was cut */

enum wmi_consumer_kind {
	WMI_COMMAND_LINE = 0, /* CommandLineEventConsumer: runs a program */
	WMI_ACTIVE_SCRIPT,    /* ActiveScriptEventConsumer: runs VBScript/JScript */
};

/* Strings are UTF-8 as stored (no trimming), owned, NULL when the property
 * is not set (an empty string when it is set to ""). */
struct wmi_consumer {
	enum wmi_consumer_kind kind;
	const char *class_name;     /* static: "CommandLineEventConsumer"... */
	char *name;                 /* Name, the key */
	char *ns;                   /* namespace ("ROOT\subscription") learnt through a
	                               binding, NULL when it cannot be told */
	char *command_line_template; /* WMI_COMMAND_LINE */
	char *executable_path;
	char *scripting_engine;     /* WMI_ACTIVE_SCRIPT: "VBScript", "JScript" */
	char *script_text;
	char *script_file_name;
	char *strings;              /* WMI_F_NO_LAYOUT: carved strings, one per line */
	size_t *bindings;           /* indices into wmi_subscriptions.bindings of the
	                               bindings that name this consumer */
	size_t nbindings;
	uint64_t offset;            /* of the record in the file */
	unsigned flags;             /* WMI_F_* */
};

struct wmi_filter {
	char *name;                 /* Name, the key */
	char *query;                /* "SELECT * FROM __InstanceModificationEvent ..." */
	char *query_language;       /* "WQL" */
	char *event_namespace;      /* EventNamespace: where the query runs */
	char *ns;                   /* namespace holding the filter, NULL if unknown */
	char *strings;              /* WMI_F_NO_LAYOUT: carved strings, one per line */
	uint64_t offset;
	unsigned flags;
};

struct wmi_binding {
	char *consumer_ref;         /* Consumer as stored: ActiveScriptEventConsumer.Name="KillProcess" */
	char *filter_ref;           /* Filter as stored: __EventFilter.Name="ProcessStartTrigger" */
	char *consumer_class;       /* parsed from consumer_ref, NULL if it cannot be parsed */
	char *consumer_name;        /* its Name key, NULL if none */
	char *filter_name;          /* Name key of filter_ref, NULL if none */
	char *ns;                   /* namespace of the binding, NULL if unknown */
	size_t consumer;            /* index into consumers, WMI_NONE: not found (or another class) */
	size_t filter;              /* index into filters, WMI_NONE: not found */
	bool other_class;           /* the consumer is neither a CommandLine nor an ActiveScript
	                               consumer (NTEventLog, LogFile, SMTP...): it runs no code */
	bool is_default;            /* Windows' own "SCM Event Log Consumer" bound to
	                               "SCM Event Log Filter" */
	uint64_t offset;
	unsigned flags;
};

struct wmi_subscriptions {
	struct wmi_consumer *consumers;
	size_t nconsumers;
	struct wmi_filter *filters;
	size_t nfilters;
	struct wmi_binding *bindings;
	size_t nbindings;
	size_t pages;               /* pages in the file (the last may be short) */
	size_t table_pages;         /* pages with a valid record table */
	size_t records;             /* records those tables list */
	size_t class_defs;          /* definitions of the four classes found */
	bool md5;                   /* instances are named by MD5 (the older repository format) */
	bool overflow;              /* a cap was hit (WMI_MAX_OBJECTS, or the work a forged
	                               file may cost): objects may be missing */
};

/* Reads the objects file (size bytes at data) into *out. Returns 0, also
 * when it holds no subscription, or -1 with a one-line lowercase reason in
 * err (no file name: the caller prefixes it), e.g. "empty file" or "no page
 * holds a record table: not a WMI repository objects file"; then *out holds
 * nothing to free. Pure code: nothing outside the buffer is read, nothing is
 * printed. Release *out with wmi_subscriptions_release(). */
int wmi_scan_objects(const void *data, size_t size, struct wmi_subscriptions *out,
		     char *err, size_t errlen);

/* Frees what wmi_scan_objects filled in and zeroes *s; safe to call twice. */
void wmi_subscriptions_release(struct wmi_subscriptions *s);

#endif
