/* The json-c field helpers report.json and bundle.json share: one
 * spelling of a string, a count, a flag, and of the tool record. Internal
 * to scanner/, like le.h. */
#ifndef KENSHU_JSON_FIELDS_H
#define KENSHU_JSON_FIELDS_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include <kenshu/version.h>
#include <kenshu/report.h>

static inline void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* A string that may be absent: null in the JSON. */
static inline void add_opt(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static inline void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static inline void add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

/* "tool": which kenshu wrote the file (name, version, git commit). */
static inline void add_tool(json_object *root)
{
	json_object *o = json_object_new_object();

	add_str(o, "name", "kenshu");
	add_str(o, "version", KENSHU_VERSION);
	add_str(o, "commit", kenshu_commit);
	json_object_object_add(root, "tool", o);
}

/* "case": the --meta entries, an object in key order ({} when none, so
 * that readers need not test for it). */
static inline void add_case(json_object *root, const struct case_meta *m)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < m->n; i++)
		add_str(o, m->v[i].key, m->v[i].value);
	json_object_object_add(root, "case", o);
}

#endif
