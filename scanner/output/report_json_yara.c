/* report.json's "yara": the rule sets YARA scanned with (their hash, rule
 * count, time spent, whether too slow) and every match, beside ClamAV's
 * "detections". */
#include <stdio.h>

#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

json_object *yara_json(const struct rep_yara *y)
{
	json_object *root = json_object_new_object(), *a, *o;

	add_bool(root, "enabled", y->enabled);
	add_opt(root, "version", y->version);
	add_u64(root, "max_file_size", y->max_file_size);
	add_u64(root, "timeout", y->timeout);
	add_seconds(root, "slow_seconds_per_stream", y->slow_seconds);
	add_u64(root, "streams_over_limit", y->over_limit);
	a = json_object_new_array();
	for (size_t i = 0; i < y->nsets; i++) {
		const struct rep_yara_set *s = &y->sets[i];
		o = json_object_new_object();
		add_str(o, "path", s->path);
		add_str(o, "sha256", s->sha256);
		add_u64(o, "files", s->files);
		add_u64(o, "rules", s->rules);
		add_u64(o, "streams", s->streams);
		add_u64(o, "timeouts", s->timeouts);
		add_seconds(o, "seconds", s->seconds);
		add_bool(o, "too_slow", s->too_slow);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "rule_sets", a);
	a = json_object_new_array();
	for (size_t i = 0; i < y->nm; i++) {
		const struct rep_yara_match *m = &y->m[i];
		json_object *tags = json_object_new_array();
		o = json_object_new_object();
		add_u64(o, "volume", m->volume);
		add_str(o, "path", m->path);
		if (m->stream[0])
			add_str(o, "stream", m->stream);
		add_str(o, "rule", m->rule);
		add_str(o, "rule_set", m->set);
		for (const char *t = m->tags; *t; ) {
			const char *e = t;
			while (*e && *e != ' ')
				e++;
			json_object_array_add(tags, json_checked(json_object_new_string_len(t, (int)(e - t))));
			t = *e ? e + 1 : e;
		}
		json_object_object_add(o, "tags", tags);
		add_opt(o, "author", m->author);
		add_opt(o, "reference", m->reference);
		add_opt(o, "date", m->date);
		add_bool(o, "meta_severity_fail", m->meta_fail);
		add_str(o, "sha256", m->sha256);
		add_u64(o, "size", m->size);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "matches", a);
	return root;
}
