/* wmi_instances: instances of the four classes read through a class
 * layout (or, when none fits, carved from their heap), and the objects
 * they give. The file is hostile (see wmi.c). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "artifacts_internal.h"
#include <kenshu/banned.h>

#define MIN_CARVED 1u           /* characters of a string carved from a heap */

/* ---- instances ---- */

int wmi_instance_class(const struct wmi_ctx *c, const uint8_t *r, size_t avail,
		       unsigned *hexlen)
{
	for (int i = 0; i < WMI_NCLASSES; i++) {
		for (int m = 0; m < 2; m++) {
			size_t len = m ? 2 * 32 : 2 * SHA256_HEX_LEN;

			if (avail >= len && memcmp(r, c->pat[i][m], len) == 0) {
				*hexlen = (unsigned)len;
				return i;
			}
		}
	}
	return -1;
}

void wmi_add_inst(struct wmi_ctx *c, size_t off, size_t avail, size_t size,
		  unsigned hexlen, enum wmi_cls cls, unsigned flags)
{
	if (c->ninsts == c->instcap) {
		c->instcap = c->instcap ? 2 * c->instcap : 64;
		c->insts = xrealloc(c->insts, c->instcap * sizeof(*c->insts));
	}
	c->insts[c->ninsts++] = (struct wmi_inst){ off, avail, size, hexlen, cls, flags };
}

/* An instance seen through a layout. */
struct view {
	const uint8_t *nd, *vt, *heap;
	size_t heap_len;        /* as recorded */
	size_t heap_avail;      /* readable */
};

/* Fits layout l to the instance record r: the record must end where the
 * heap ends (partial: the heap must end where the recorded size says) and
 * hold the class name where it says. Returns 0 and fills *v, or -1. */
static int fit(const uint8_t *r, size_t avail, size_t size, unsigned hexlen,
	       const struct wmi_layout *l, enum wmi_cls cls, bool partial, struct view *v)
{
	size_t o = hexlen + WMI_FILETIMES, q, hl;
	uint32_t cno;

	if (avail < o || avail - o < WMI_BLOCK_HEAD || load_le32(r + o) != size - o)
		return -1;
	cno = load_le32(r + o + 4);
	o += WMI_BLOCK_HEAD;
	if (l->nd_len > avail - o)
		return -1;
	v->nd = r + o;
	o += l->nd_len;
	if (l->vt_len > avail - o)
		return -1;
	v->vt = r + o;
	o += l->vt_len;
	if (avail - o < 4 || (q = load_le32(r + o)) < 4 || q > avail - o)
		return -1;
	o += q;
	if (avail - o < 1)
		return -1;
	if (r[o] == 2) {
		o++;
		for (uint32_t i = 0; i < l->nprops; i++) {
			if (avail - o < 4 || (q = load_le32(r + o)) < 4 || q > avail - o)
				return -1;
			o += q;
		}
	} else if (r[o] == 1) {
		o++;
	} else {
		return -1;
	}
	if (avail - o < 4)
		return -1;
	hl = load_le32(r + o) & WMI_HEAP_LEN_MASK;
	o += 4;
	if (partial ? hl > size - o : hl != size - o)
		return -1;
	v->heap = r + o;
	v->heap_len = hl;
	v->heap_avail = hl < avail - o ? hl : avail - o;
	return wmi_cim_is(v->heap, v->heap_avail, cno, wmi_known[cls].name) ? 0 : -1;
}

/* The wanted properties through a fitted layout into vals. Returns -1 when
 * a value is malformed (the layout does not fit after all). */
static int read_props(const struct view *v, const struct wmi_layout *l, enum wmi_cls cls,
		      bool partial, char **vals, unsigned *flags, size_t *work)
{
	for (unsigned k = 0; k < wmi_known[cls].nprops; k++) {
		unsigned idx = l->index[k], st = v->nd[idx / 4] >> (2 * (idx % 4)) & 3;
		uint32_t ref;
		int rc;

		if (st & 1)
			continue; /* not set */
		if (st & 2) {
			if (l->def[k])
				vals[k] = xstrdup(l->def[k]);
			continue;
		}
		ref = load_le32(v->vt + l->offset[k]);
		if (ref >= v->heap_len)
			return -1;
		if (ref >= v->heap_avail)
			continue; /* partial: on a page that was not found */
		rc = wmi_cim_string(v->heap, v->heap_avail, ref, &vals[k], flags, work);
		if (rc < 0 || (rc == 0 && !partial))
			return -1;
	}
	return 0;
}

static void free_vals(char **vals)
{
	for (unsigned k = 0; k < WMI_NEEDED; k++) {
		free(vals[k]);
		vals[k] = NULL;
	}
}

static bool printable(unsigned u)
{
	return u == '\t' || u == '\n' || u == '\r' || (u >= 0x20 && u != 0x7F &&
	       !(u >= 0x80 && u < 0xA0));
}

/* Strings carved from n bytes of heap at p: a flag byte, printable
 * characters and a NUL (or the end of p when cut_ok: a partial record).
 * One per line, capped; the first one equal to skip is left out and
 * *saw_skip set. */
static char *carve(const uint8_t *p, size_t n, const char *skip, bool cut_ok,
		   unsigned *flags, bool *saw_skip)
{
	struct strbuf out = STRBUF_INIT;
	size_t i = 0;

	while (i + 1 < n) {
		size_t j = i + 1, chars = 0;
		char *s = NULL;
		bool end;

		if (p[i] == 0) {
			while (j < n && p[j] && printable(p[j]))
				j++;
			chars = j - i - 1;
			end = j == n && cut_ok;
			if ((end || (j < n && p[j] == 0)) && chars >= MIN_CARVED)
				s = latin1_to_utf8(p + i + 1, chars < WMI_MAX_STRING ? chars : WMI_MAX_STRING);
		} else if (p[i] == 1) {
			while (n - j >= 2 && (p[j] | p[j + 1]) && printable(load_le16(p + j)))
				j += 2;
			chars = (j - i - 1) / 2;
			end = n - j < 2 && cut_ok;
			if ((end || (n - j >= 2 && !(p[j] | p[j + 1]))) && chars >= MIN_CARVED)
				s = utf16le_to_utf8(p + i + 1, chars < WMI_MAX_STRING ? chars : WMI_MAX_STRING, NULL);
			if (s)
				j++;
		}
		if (!s) {
			i++;
			continue;
		}
		if (chars > WMI_MAX_STRING)
			*flags |= WMI_F_TRUNCATED;
		if (skip && !*saw_skip && strcasecmp(s, skip) == 0) {
			*saw_skip = true;
		} else if (out.len + strlen(s) + 1 <= WMI_MAX_STRING) {
			if (out.len)
				strbuf_addch(&out, '\n');
			strbuf_addstr(&out, s);
		} else {
			*flags |= WMI_F_TRUNCATED;
		}
		free(s);
		i = j + 1;
	}
	return strbuf_detach(&out, NULL);
}

bool wmi_parse_path(const char *s, char **cls, char **ns, char **name)
{
	const char *p, *colon, *stop;
	size_t n;

	*cls = *ns = *name = NULL;
	if (!s)
		return false;
	p = s;
	colon = strchr(s, ':');
	stop = strpbrk(s, "=\"");
	if (colon && (!stop || colon < stop)) {
		const char *q = s;

		if ((q[0] == '\\' || q[0] == '/') && (q[1] == '\\' || q[1] == '/')) {
			q += 2 + strcspn(q + 2, "\\/");
			if (q < colon)
				q++;
		}
		if (q < colon)
			*ns = xstrndup(q, (size_t)(colon - q));
		p = colon + 1;
	}
	n = strcspn(p, ".=");
	if (n == 0)
		goto bad;
	*cls = xstrndup(p, n);
	p += n;
	if (*p == '.')
		p++;
	else if (*p == '=' && p[1] == '@')
		return true; /* singleton */
	else if (*p == '=')
		p++;
	else
		return true; /* a class path */
	while (*p) {
		const char *k = NULL;
		size_t klen = 0, span = strcspn(p, "=,\""), vlen = 0;
		char *v;

		if (p[span] == '=') {
			k = p;
			klen = span;
			p += span + 1;
		}
		v = xmalloc(strlen(p) + 1);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				v[vlen++] = *p;
			}
			if (*p != '"') {
				free(v);
				goto bad;
			}
			p++;
		} else {
			while (*p && *p != ',')
				v[vlen++] = *p++;
		}
		v[vlen] = '\0';
		if (!*name && (!k || (klen == 4 && strncasecmp(k, "Name", 4) == 0)))
			*name = v;
		else
			free(v);
		if (*p != ',')
			break;
		p++;
	}
	return true;
bad:
	free(*cls);
	free(*ns);
	free(*name);
	*cls = *ns = *name = NULL;
	return false;
}

/* ---- output ---- */

static bool full(struct wmi_ctx *c, size_t n)
{
	if (n < WMI_MAX_OBJECTS)
		return false;
	c->out->overflow = true;
	return true;
}

static void *grow(void *arr, size_t n, size_t *cap, size_t elem)
{
	if (n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		arr = xrealloc(arr, *cap * elem);
	}
	return arr;
}

/* Hands vals over to a new object of class cls. */
static void emit(struct wmi_ctx *c, enum wmi_cls cls, char **vals, char *strings,
		 size_t off, unsigned flags)
{
	struct wmi_subscriptions *o = c->out;

	switch (cls) {
	case WMI_C_CMDLINE:
	case WMI_C_SCRIPT: {
		struct wmi_consumer *w;

		if (full(c, o->nconsumers))
			break;
		o->consumers = grow(o->consumers, o->nconsumers, &c->cons_cap, sizeof(*w));
		w = &o->consumers[o->nconsumers++];
		memset(w, 0, sizeof(*w));
		w->class_name = wmi_known[cls].name;
		w->name = vals[0];
		if (cls == WMI_C_CMDLINE) {
			w->kind = WMI_COMMAND_LINE;
			w->command_line_template = vals[1];
			w->executable_path = vals[2];
		} else {
			w->kind = WMI_ACTIVE_SCRIPT;
			w->scripting_engine = vals[1];
			w->script_text = vals[2];
			w->script_file_name = vals[3];
		}
		w->strings = strings;
		w->offset = off;
		w->flags = flags;
		memset(vals, 0, WMI_NEEDED * sizeof(*vals));
		return;
	}
	case WMI_C_FILTER: {
		struct wmi_filter *f;

		if (full(c, o->nfilters))
			break;
		o->filters = grow(o->filters, o->nfilters, &c->filt_cap, sizeof(*f));
		f = &o->filters[o->nfilters++];
		memset(f, 0, sizeof(*f));
		f->name = vals[0];
		f->query = vals[1];
		f->query_language = vals[2];
		f->event_namespace = vals[3];
		f->strings = strings;
		f->offset = off;
		f->flags = flags;
		memset(vals, 0, WMI_NEEDED * sizeof(*vals));
		return;
	}
	case WMI_C_BINDING: {
		struct wmi_binding *b;

		if (full(c, o->nbindings))
			break;
		o->bindings = grow(o->bindings, o->nbindings, &c->bind_cap, sizeof(*b));
		b = &o->bindings[o->nbindings++];
		memset(b, 0, sizeof(*b));
		b->consumer_ref = vals[0];
		b->filter_ref = vals[1];
		b->consumer = b->filter = WMI_NONE;
		b->offset = off;
		b->flags = flags;
		free(strings); /* the references say it all */
		memset(vals, 0, WMI_NEEDED * sizeof(*vals));
		return;
	}
	case WMI_NCLASSES:
		break;
	}
	free_vals(vals);
	free(strings);
}

/* The heap of an instance whose layout is unknown: it starts with the
 * class name (a Latin-1 CIM string) and the heap length before it says it
 * runs to the recorded end of the record. Returns its offset in r, or 0. */
static size_t find_heap(const uint8_t *r, size_t avail, size_t size, size_t from,
			const char *cls)
{
	uint8_t pat[64];
	size_t len = strlen(cls) + 2;

	if (len > sizeof(pat))
		return 0;
	pat[0] = 0;
	memcpy(pat + 1, cls, len - 2);
	pat[len - 1] = 0;
	while (from + 4 < avail) {
		const uint8_t *hit = memmem(r + from + 4, avail - from - 4, pat, len);
		size_t at;

		if (!hit)
			return 0;
		at = (size_t)(hit - r);
		if ((load_le32(r + at - 4) & WMI_HEAP_LEN_MASK) == size - at)
			return at;
		from = at - 3;
	}
	return 0;
}

/* No layout fits: keep the strings of the heap, guessing a filter's query
 * and a binding's references from their shape. */
static bool emit_carved(struct wmi_ctx *c, const struct wmi_inst *in, unsigned flags)
{
	const uint8_t *r = c->d + in->off;
	size_t at = find_heap(r, in->avail, in->size, in->hexlen + WMI_FILETIMES + WMI_BLOCK_HEAD,
			      wmi_known[in->cls].name);
	char *vals[WMI_NEEDED] = { NULL };
	char *strings, *line, *save = NULL, *copy;
	bool saw = false;

	if (!at)
		return false; /* no heap that starts with the class name: not an instance */
	strings = carve(r + at, in->avail - at, wmi_known[in->cls].name,
			(flags & WMI_F_PARTIAL) != 0, &flags, &saw);
	copy = xstrdup(strings);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cls, *ns, *name;

		if (in->cls == WMI_C_FILTER && !vals[1] && strncasecmp(line, "select ", 7) == 0)
			vals[1] = xstrdup(line);
		if (in->cls != WMI_C_BINDING || !wmi_parse_path(line, &cls, &ns, &name))
			continue;
		if (name && strcasecmp(cls, wmi_known[WMI_C_FILTER].name) == 0 && !vals[1])
			vals[1] = xstrdup(line);
		else if (name && strcasecmp(cls, wmi_known[WMI_C_FILTER].name) != 0 && !vals[0])
			vals[0] = xstrdup(line);
		free(cls);
		free(ns);
		free(name);
	}
	free(copy);
	if (in->cls == WMI_C_BINDING) {
		free(strings);
		strings = NULL;
		if (!vals[0] && !vals[1])
			return false;
	}
	emit(c, in->cls, vals, strings, in->off, flags | WMI_F_NO_LAYOUT);
	return true;
}

static bool kind_full(const struct wmi_ctx *c, enum wmi_cls cls)
{
	const struct wmi_subscriptions *o = c->out;
	size_t n = cls == WMI_C_FILTER ? o->nfilters : cls == WMI_C_BINDING ? o->nbindings : o->nconsumers;

	return n >= WMI_MAX_OBJECTS;
}

bool wmi_read_instance(struct wmi_ctx *c, const struct wmi_inst *in)
{
	const uint8_t *r = c->d + in->off;
	bool partial = in->flags & WMI_F_PARTIAL;
	struct wmi_layout builtin, *cands = c->layouts[in->cls];
	size_t ncands = c->nlayouts[in->cls];
	unsigned flags = in->flags, fl, keep_fl = 0;
	char *vals[WMI_NEEDED] = { NULL }, *keep[WMI_NEEDED] = { NULL };
	bool have_keep = false;

	if (c->work > c->budget || kind_full(c, in->cls)) {
		c->out->overflow = true;
		return false;
	}
	if (ncands == 0) {
		wmi_builtin_layout(in->cls, &builtin);
		cands = &builtin;
		ncands = 1;
		flags |= WMI_F_BUILTIN_LAYOUT;
	}
	for (size_t i = 0; i < ncands; i++) {
		struct view v;
		bool keys = true;

		fl = 0;
		if (fit(r, in->avail, in->size, in->hexlen, &cands[i], in->cls, partial, &v) != 0 ||
		    read_props(&v, &cands[i], in->cls, partial, vals, &fl, &c->work) != 0) {
			free_vals(vals);
			continue;
		}
		for (unsigned k = 0; k < wmi_known[in->cls].nkeys; k++)
			keys = keys && vals[k];
		if (keys || !have_keep) {
			free_vals(keep);
			memcpy(keep, vals, sizeof(keep));
			memset(vals, 0, sizeof(vals));
			keep_fl = fl;
			have_keep = true;
		} else {
			free_vals(vals);
		}
		if (keys)
			break;
	}
	if (have_keep) {
		if (in->hexlen == 2 * 32)
			c->out->md5 = true;
		emit(c, in->cls, keep, NULL, in->off, flags | keep_fl);
		return true;
	}
	if (in->flags & WMI_F_UNTABLED)
		return false; /* carving needs a layout: anything else is noise */
	return emit_carved(c, in, flags & ~WMI_F_BUILTIN_LAYOUT);
}

