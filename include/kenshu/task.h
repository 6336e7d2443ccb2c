/* task: Windows scheduled tasks read offline, to list what they run.
 *
 * Two formats: Task Scheduler 2.0 XML (the files under
 * Windows\System32\Tasks, UTF-16LE with a BOM as Windows writes them, at
 * times UTF-8) and legacy Task Scheduler 1.0 .job files (Windows\Tasks,
 * MS-TSCH binary). Both are hostile input: nothing outside the buffer is ever
 * read (no DTD, no external entity, no network), entity references are never
 * expanded, sizes and counts are capped, and nothing here prints or exits.
 */
#ifndef KENSHU_TASK_H
#define KENSHU_TASK_H

#include <stdbool.h>
#include <stddef.h>

/* Named caps against hostile tasks (Windows itself allows 32 actions and
 * 48 triggers). Past a cap the rest is dropped and truncated is set. */
#define TASK_XML_MAX (1u << 20)  /* bytes of task XML accepted */
#define TASK_MAX_ACTIONS 64u
#define TASK_MAX_TRIGGERS 64u

struct task_action {
	const char *kind;     /* "Exec", "ComHandler", "SendEmail", "ShowMessage"
	                       * or the element name; static or owned by the task */
	char *command, *arguments, *working_dir;   /* Exec / .job */
	char *com_class_id, *com_data;             /* ComHandler */
};

/* Every string is UTF-8, trimmed, and NULL when absent or empty. Text that
 * held an entity reference keeps it literally ("&x;"), never its expansion. */
struct task_info {
	char *author, *description, *uri, *date;   /* RegistrationInfo (.job: author, comment) */
	char *user_id, *group_id, *run_level;      /* the Principal the actions run as */
	bool hidden;          /* Settings/Hidden, or TASK_FLAG_HIDDEN in a .job */
	bool enabled;         /* Settings/Enabled (true when absent), or !TASK_FLAG_DISABLED */
	bool has_enabled;     /* enabled was stated by the file, not defaulted */
	bool lossy;           /* some UTF-16 was invalid and became U+FFFD */
	bool truncated;       /* the data ended early or a cap was hit: parts are missing */
	char **triggers;      /* "LogonTrigger", "TimeTrigger every PT5M", "Daily every PT60M"... */
	size_t ntriggers;
	struct task_action *actions;
	size_t nactions;
	const char *format;   /* "xml" or "job" (static) */
};

/* Parses one task file held in memory. On success returns 0 and fills *out,
 * which the caller releases with task_info_release(). On failure returns -1,
 * writes a one-line lowercase message to err (may be NULL) and leaves *out
 * zeroed, with nothing to free. */
int task_parse_xml(const void *data, size_t size, struct task_info *out,
		   char *err, size_t errlen);
int task_parse_job(const void *data, size_t size, struct task_info *out,
		   char *err, size_t errlen);

/* Frees what a parse filled in and zeroes *t; safe to call twice. */
void task_info_release(struct task_info *t);

#endif
