/* taskcache: the Task Scheduler's registry cache (see taskcache.h for the
 * layout and the sources it was taken from).
 *
 * The Actions parser reads through a cursor that checks every length
 * against what is left before touching a byte; an action is kept only once
 * all of it was read. The Tree walk is depth-first with a depth cap, a cap
 * on keys visited and a set of the keys already seen, so key lists that loop
 * back, or share keys, end the walk there instead of running forever.
 */
#include <kenshu/windows.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/banned.h>

#define CLSID_LEN 16u

/* ---- the Actions value ---- */

struct cur {
	const uint8_t *p;
	size_t size, off;
	bool lossy;
	char why[96];         /* why the last read failed */
};

static bool need(struct cur *c, size_t n, const char *what)
{
	if (c->size - c->off >= n)
		return true;
	snprintf(c->why, sizeof(c->why), "%s at byte %zu needs %zu bytes, %zu left",
		 what, c->off, n, c->size - c->off);
	return false;
}

static bool get_u16(struct cur *c, uint16_t *v, const char *what)
{
	if (!need(c, 2, what))
		return false;
	*v = load_le16(c->p + c->off);
	c->off += 2;
	return true;
}

static bool get_u32(struct cur *c, uint32_t *v, const char *what)
{
	if (!need(c, 4, what))
		return false;
	*v = load_le32(c->p + c->off);
	c->off += 4;
	return true;
}

/* A bstr. *out is NULL for an empty string, or "" when keep_empty. */
static bool get_bstr(struct cur *c, char **out, bool keep_empty, const char *what)
{
	uint32_t len;
	size_t units;
	bool lossy = false;

	*out = NULL;
	if (!get_u32(c, &len, what))
		return false;
	if (len > c->size - c->off) {
		snprintf(c->why, sizeof(c->why), "%s at byte %zu: %u bytes, only %zu left",
			 what, c->off - 4, len, c->size - c->off);
		return false;
	}
	if (len % 2) {
		snprintf(c->why, sizeof(c->why), "%s at byte %zu: odd byte count %u",
			 what, c->off - 4, len);
		return false;
	}
	units = len / 2;
	while (units && c->p[c->off + 2 * units - 2] == 0 && c->p[c->off + 2 * units - 1] == 0)
		units--;
	if (units) {
		*out = utf16le_to_utf8(c->p + c->off, units, &lossy);
		c->lossy |= lossy;
	} else if (keep_empty) {
		*out = xstrdup("");
	}
	c->off += len;
	return true;
}

static void action_free(struct taskcache_action *a)
{
	free(a->id);
	free(a->command);
	free(a->arguments);
	free(a->working_dir);
	free(a->com_class_id);
	free(a->com_data);
	free(a->email_from);
	free(a->email_to);
	free(a->email_cc);
	free(a->email_bcc);
	free(a->email_reply_to);
	free(a->email_server);
	free(a->email_subject);
	free(a->email_body);
	for (size_t i = 0; i < a->nemail_attachments; i++)
		free(a->email_attachments[i]);
	free(a->email_attachments);
	for (size_t i = 0; i < a->nemail_headers; i++) {
		free(a->email_headers[i].name);
		free(a->email_headers[i].value);
	}
	free(a->email_headers);
	free(a->message_title);
	free(a->message_body);
	memset(a, 0, sizeof(*a));
}

void taskcache_actions_release(struct taskcache_actions *a)
{
	if (!a)
		return;
	free(a->context);
	for (size_t i = 0; i < a->n; i++)
		action_free(&a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static char *clsid_text(const uint8_t *g)
{
	return xasprintf("{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
			 (unsigned)load_le32(g), (unsigned)load_le16(g + 4), (unsigned)load_le16(g + 6),
			 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static bool read_exec(struct cur *c, struct taskcache_action *a, uint16_t version)
{
	if (!get_bstr(c, &a->command, false, "exec command") ||
	    !get_bstr(c, &a->arguments, false, "exec arguments") ||
	    !get_bstr(c, &a->working_dir, false, "exec working directory"))
		return false;
	if (version >= 3) {
		if (!get_u16(c, &a->exec_flags, "exec flags"))
			return false;
		a->has_exec_flags = true;
	}
	return true;
}

static bool read_com(struct cur *c, struct taskcache_action *a)
{
	if (!need(c, CLSID_LEN, "com handler clsid"))
		return false;
	a->com_class_id = clsid_text(c->p + c->off);
	c->off += CLSID_LEN;
	return get_bstr(c, &a->com_data, false, "com handler data");
}

/* Reads count strings (or name/value pairs), keeping the first
 * TASKCACHE_MAX_LIST; the loop ends with the data, since each string takes
 * at least its four length bytes. */
static bool read_list(struct cur *c, char ***items, size_t *nitems, bool *truncated, const char *what)
{
	uint32_t count;

	if (!get_u32(c, &count, what))
		return false;
	for (uint32_t i = 0; i < count; i++) {
		char *s;

		if (!get_bstr(c, &s, true, what))
			return false;
		if (*nitems >= TASKCACHE_MAX_LIST) {
			*truncated = true;
			free(s);
			continue;
		}
		*items = xrealloc(*items, (*nitems + 1) * sizeof(**items));
		(*items)[(*nitems)++] = s;
	}
	return true;
}

static bool read_headers(struct cur *c, struct taskcache_action *a, bool *truncated)
{
	uint32_t count;

	if (!get_u32(c, &count, "email header count"))
		return false;
	for (uint32_t i = 0; i < count; i++) {
		char *name, *value;

		if (!get_bstr(c, &name, true, "email header name"))
			return false;
		if (!get_bstr(c, &value, true, "email header value")) {
			free(name);
			return false;
		}
		if (a->nemail_headers >= TASKCACHE_MAX_LIST) {
			*truncated = true;
			free(name);
			free(value);
			continue;
		}
		a->email_headers = xrealloc(a->email_headers,
					    (a->nemail_headers + 1) * sizeof(*a->email_headers));
		a->email_headers[a->nemail_headers].name = name;
		a->email_headers[a->nemail_headers].value = value;
		a->nemail_headers++;
	}
	return true;
}

static bool read_email(struct cur *c, struct taskcache_action *a, bool *truncated)
{
	return get_bstr(c, &a->email_from, false, "email from") &&
	       get_bstr(c, &a->email_to, false, "email to") &&
	       get_bstr(c, &a->email_cc, false, "email cc") &&
	       get_bstr(c, &a->email_bcc, false, "email bcc") &&
	       get_bstr(c, &a->email_reply_to, false, "email reply-to") &&
	       get_bstr(c, &a->email_server, false, "email server") &&
	       get_bstr(c, &a->email_subject, false, "email subject") &&
	       get_bstr(c, &a->email_body, false, "email body") &&
	       read_list(c, &a->email_attachments, &a->nemail_attachments, truncated,
			 "email attachment") &&
	       read_headers(c, a, truncated);
}

static bool read_message(struct cur *c, struct taskcache_action *a)
{
	return get_bstr(c, &a->message_title, false, "message title") &&
	       get_bstr(c, &a->message_body, false, "message body");
}

/* One reading of the blob: with or without the context string. */
static int parse_layout(const uint8_t *p, size_t size, uint16_t version, bool with_context,
			struct taskcache_actions *out, struct ks_err *err)
{
	struct cur c = { .p = p, .size = size, .off = 2 };
	bool damaged = false;

	memset(out, 0, sizeof(*out));
	out->version = version;
	if (with_context && !get_bstr(&c, &out->context, false, "context")) {
		ks_fail(err, KS_EINPUT, "actions version %u: %s", version, c.why);
		out->lossy = c.lossy;
		return -1;
	}
	while (c.off < c.size) {
		struct taskcache_action a = { 0 };
		size_t start = c.off;
		bool ok;

		if (!get_u16(&c, &a.magic, "action type")) {
			ks_fail(err, KS_EINPUT, "actions version %u: %zu stray byte(s) at byte %zu",
				version, c.size - start, start);
			damaged = true;
			break;
		}
		if (!get_bstr(&c, &a.id, false, "action id")) {
			ks_fail(err, KS_EINPUT, "actions version %u: %s", version, c.why);
			action_free(&a);
			damaged = true;
			break;
		}
		switch (a.magic) {
		case TASKCACHE_MAGIC_EXEC:
			a.kind = "Exec";
			ok = read_exec(&c, &a, version);
			break;
		case TASKCACHE_MAGIC_COM:
			a.kind = "ComHandler";
			ok = read_com(&c, &a);
			break;
		case TASKCACHE_MAGIC_EMAIL:
			a.kind = "SendEmail";
			ok = read_email(&c, &a, &out->truncated);
			break;
		case TASKCACHE_MAGIC_MESSAGE:
			a.kind = "ShowMessage";
			ok = read_message(&c, &a);
			break;
		default:
			snprintf(c.why, sizeof(c.why), "unknown action type 0x%04x at byte %zu",
				 a.magic, start);
			ok = false;
			break;
		}
		if (!ok) {
			ks_fail(err, KS_EINPUT, "actions version %u: %s", version, c.why);
			action_free(&a);
			damaged = true;
			break;
		}
		if (out->n >= TASKCACHE_MAX_ACTIONS) {
			/* Past the cap the rest is still checked, not kept. */
			out->truncated = true;
			action_free(&a);
			continue;
		}
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = a;
	}
	out->lossy = c.lossy;
	return damaged ? -1 : 0;
}

int taskcache_parse_actions(const void *blob, size_t size, struct taskcache_actions *out,
			    struct ks_err *err)
{
	const uint8_t *p = blob;
	uint16_t version;
	bool context;
	int rc;

	memset(out, 0, sizeof(*out));
	ks_err_clear(err);
	if (!p || size < 2) {
		ks_fail(err, KS_EINPUT, "actions value of %zu bytes is too short", p ? size : 0);
		return -1;
	}
	version = load_le16(p);
	out->version = version;
	if (size > TASKCACHE_ACTIONS_MAX_BYTES) {
		ks_fail(err, KS_EINPUT, "actions value of %zu bytes is larger than %u", size,
			TASKCACHE_ACTIONS_MAX_BYTES);
		return -1;
	}
	if (version < 1 || version > 3) {
		ks_fail(err, KS_EINPUT, "unsupported actions version %u", version);
		return -1;
	}
	/* Version 3 always carries the context; for 1 and 2 the sources
	 * disagree (see the header): the likelier reading first, then the
	 * other, kept only if it accounts for every byte. */
	context = version >= 2;
	rc = parse_layout(p, size, version, context, out, err);
	if (rc < 0 && version <= 2) {
		struct taskcache_actions alt;

		if (parse_layout(p, size, version, !context, &alt, NULL) == 0) {
			taskcache_actions_release(out);
			*out = alt;
			ks_err_clear(err);
			return 0;
		}
		taskcache_actions_release(&alt);
	}
	return rc;
}

/* ---- the hive ---- */

/* Open addressing over node offsets (never 0). */
struct nodeset {
	size_t *slot;
	size_t cap, n;
};

static size_t node_hash(size_t node, size_t cap)
{
	return (size_t)(((uint64_t)node * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

/* false if node was already in the set */
static bool nodeset_add(struct nodeset *s, size_t node)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct nodeset g = { .cap = s->cap ? s->cap * 2 : 64 };

		g.slot = xcalloc(g.cap, sizeof(*g.slot));
		for (size_t k = 0; k < s->cap; k++) {
			if (!s->slot[k])
				continue;
			for (i = node_hash(s->slot[k], g.cap); g.slot[i]; i = (i + 1) & (g.cap - 1))
				;
			g.slot[i] = s->slot[k];
		}
		g.n = s->n;
		free(s->slot);
		*s = g;
	}
	for (i = node_hash(node, s->cap); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == node)
			return false;
	s->slot[i] = node;
	s->n++;
	return true;
}

struct walk {
	struct hive *h;
	struct taskcache *tc;
	struct nodeset seen;
};

static char *nonempty(char *s)
{
	if (s && !*s) {
		free(s);
		return NULL;
	}
	return s;
}

static bool value_exists(struct hive *h, size_t node, const char *name)
{
	size_t n;
	void *d = hive_binary(h, node, name, &n);

	free(d);
	return d != NULL;
}

/* NULL once the cap is reached. */
static struct taskcache_task *add_task(struct taskcache *tc)
{
	struct taskcache_task *t;

	if (tc->n >= TASKCACHE_MAX_TASKS) {
		tc->truncated = true;
		return NULL;
	}
	tc->v = xrealloc(tc->v, (tc->n + 1) * sizeof(*tc->v));
	t = &tc->v[tc->n++];
	memset(t, 0, sizeof(*t));
	return t;
}

/* A Tree key with an Id or an Index is a task; one with neither a folder. */
static void tree_entry(struct walk *w, size_t node, const char *path)
{
	char *id = nonempty(hive_string(w->h, node, "Id"));
	uint32_t index = 0;
	bool has_index = hive_dword(w->h, node, "Index", &index) == 0;
	size_t sd_size = 0;
	void *sd;
	struct taskcache_task *t;

	if (!id && !has_index)
		return;
	t = add_task(w->tc);
	if (!t) {
		free(id);
		return;
	}
	sd = hive_binary(w->h, node, "SD", &sd_size);
	t->path = xstrdup(path);
	t->id = id;
	t->in_tree = true;
	t->sd_present = sd != NULL;
	t->sd_size = sd ? sd_size : 0;
	t->no_sd = !sd || sd_size == 0;
	t->has_index = has_index;
	t->index = index;
	t->index_zero = has_index && index == 0;
	t->hidden = t->no_sd || t->index_zero;
	free(sd);
}

static void walk_tree(struct walk *w, size_t node, const char *path, unsigned depth)
{
	size_t n = 0;
	size_t *kids = hive_subkeys(w->h, node, &n);

	if (n && depth >= TASKCACHE_MAX_DEPTH) {
		w->tc->too_deep = true;
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		char *name, *sub;

		if (w->tc->tree_keys >= TASKCACHE_MAX_TREE_KEYS) {
			w->tc->truncated = true;
			break;
		}
		if (!kids[i] || !nodeset_add(&w->seen, kids[i])) {
			w->tc->loop = true;
			continue;
		}
		w->tc->tree_keys++;
		name = hive_key_name(w->h, kids[i]);
		sub = xasprintf("%s\\%s", path, name ? name : "");
		free(name);
		tree_entry(w, kids[i], sub);
		walk_tree(w, kids[i], sub, depth + 1);
		free(sub);
	}
	free(kids);
}

struct tasks_key {
	char *name;
	size_t node;
	bool used;
};

static int tasks_key_cmp(const void *a, const void *b)
{
	const struct tasks_key *x = a, *y = b;

	return strcasecmp(x->name, y->name);
}

static int tasks_key_find(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct tasks_key *)elem)->name);
}

static void tasks_side(struct hive *h, size_t node, struct taskcache_task *t)
{
	size_t size = 0;
	void *blob;

	t->in_tasks = true;
	t->tasks_path = nonempty(hive_string(h, node, "Path"));
	t->author = nonempty(hive_string(h, node, "Author"));
	t->description = nonempty(hive_string(h, node, "Description"));
	t->uri = nonempty(hive_string(h, node, "URI"));
	t->date = nonempty(hive_string(h, node, "Date"));
	t->has_hash = value_exists(h, node, "Hash");
	t->has_triggers = value_exists(h, node, "Triggers");
	t->has_dynamic_info = value_exists(h, node, "DynamicInfo");
	blob = hive_binary(h, node, "Actions", &size);
	if (blob) {
		struct ks_err err;
		if (taskcache_parse_actions(blob, size, &t->actions, &err) == 0) {
			t->actions_state = TASKCACHE_ACTIONS_OK;
		} else {
			t->actions_state = TASKCACHE_ACTIONS_DAMAGED;
			snprintf(t->actions_error, sizeof(t->actions_error), "%.127s", err.msg);
		}
		t->lossy |= t->actions.lossy;
		free(blob);
	}
	if (t->path && t->tasks_path && strcasecmp(t->path, t->tasks_path))
		t->path_mismatch = true;
}

static void read_tasks(struct hive *h, size_t tasks, struct taskcache *tc)
{
	size_t n = 0, k = 0, ntree = tc->n;
	size_t *kids = hive_subkeys(h, tasks, &n);
	struct tasks_key *keys;

	if (n > TASKCACHE_MAX_TASKS) {
		tc->truncated = true;
		n = TASKCACHE_MAX_TASKS;
	}
	keys = xcalloc(n ? n : 1, sizeof(*keys));
	for (size_t i = 0; i < n; i++) {
		char *name = kids[i] ? hive_key_name(h, kids[i]) : NULL;

		if (!name)
			continue;    /* damaged: nothing to match it with */
		keys[k].name = name;
		keys[k].node = kids[i];
		k++;
	}
	free(kids);
	qsort(keys, k, sizeof(*keys), tasks_key_cmp);

	for (size_t i = 0; i < ntree; i++) {
		struct taskcache_task *t = &tc->v[i];
		struct tasks_key *m;

		if (!t->id)
			continue;
		m = bsearch(t->id, keys, k, sizeof(*keys), tasks_key_find);
		if (!m)
			continue;
		m->used = true;
		tasks_side(h, m->node, t);
	}
	for (size_t i = 0; i < k; i++) {
		struct taskcache_task *t;

		if (keys[i].used)
			continue;
		t = add_task(tc);
		if (!t)
			break;
		t->id = xstrdup(keys[i].name);
		tasks_side(h, keys[i].node, t);
		if (t->tasks_path)
			t->path = xstrdup(t->tasks_path);
	}
	for (size_t i = 0; i < k; i++)
		free(keys[i].name);
	free(keys);
}

int taskcache_read(struct hive *h, struct taskcache *out)
{
	size_t root, tree, tasks;

	memset(out, 0, sizeof(*out));
	root = hive_key(h, TASKCACHE_KEY);
	if (!root)
		return -1;
	tree = hive_child(h, root, "Tree");
	tasks = hive_child(h, root, "Tasks");
	out->has_tree = tree != 0;
	out->has_tasks = tasks != 0;
	if (tree) {
		struct walk w = { .h = h, .tc = out };

		nodeset_add(&w.seen, tree);
		nodeset_add(&w.seen, root);
		walk_tree(&w, tree, "", 0);
		free(w.seen.slot);
	}
	if (tasks)
		read_tasks(h, tasks, out);
	return 0;
}

void taskcache_release(struct taskcache *tc)
{
	if (!tc)
		return;
	for (size_t i = 0; i < tc->n; i++) {
		struct taskcache_task *t = &tc->v[i];

		free(t->path);
		free(t->id);
		free(t->tasks_path);
		free(t->author);
		free(t->description);
		free(t->uri);
		free(t->date);
		taskcache_actions_release(&t->actions);
	}
	free(tc->v);
	memset(tc, 0, sizeof(*tc));
}
