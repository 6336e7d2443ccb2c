/* wmi: WMI permanent event subscriptions from the CIM repository's
 * OBJECTS.DATA, without the index or the mapping files.
 *
 * The file is hostile until checked: every size, count and offset is
 * compared with what is left of the buffer (or of the enclosing structure)
 * before it is used, always as "len <= end - off", and every loop is bounded
 * by the file. Nothing here prints or exits; there is no recursion.
 *
 * This file makes the passes over the file; wmi_records.c reads its
 * strings, page tables, class definitions and reference records, and
 * wmi_instances.c the instances (artifacts_internal.h joins them).
 *
 * Layout (little-endian; MS-WMIO for the class and instance encodings):
 *
 *   page (8 KiB): descriptor {u32 id, u32 offset, u32 size, u32 crc} ...
 *                 {0,0,0,0} | records, packed after the table. A record
 *                 larger than what is left of the page is alone in it and
 *                 continues on the next *logical* page (mapping file).
 *
 *   class definition record: u32 n | UTF-16 super class name (n units) |
 *     FILETIME | ClassPart: u32 length (includes itself) | u8 | u32 class
 *     name ref | u32 ndtable+valuetable length | derivation list (u32
 *     length) | qualifier set (u32 length) | u32 property count | {u32 name
 *     ref, u32 info ref} each | nd table + default value table | heap (u32
 *     length | 0x80000000). A property info in the heap: u32 CIM type | u16
 *     declaration order | u32 value-table offset | u32 class of origin |
 *     qualifier set. The lookup lists the class's own properties only; the
 *     inherited ones come first in declaration order, so the class has
 *     max(order) + 1 properties.
 *
 *   instance record: class-name hash (64 or 32 UTF-16 hex digits) | 2
 *     FILETIMEs | u32 length (includes itself, runs to the record end) | u32
 *     class name ref | u8 | nd table (2 bits per property: bit 0 "not set",
 *     bit 1 "default") | value table | qualifier set | u8 1 (or 2 and one
 *     qualifier set per property) | heap (u32 length | 0x80000000). Strings
 *     and references are u32 heap refs to a flag byte (0 Latin-1, 1
 *     UTF-16LE) and a NUL-terminated string.
 *
 *   reference record (a binding's Consumer or Filter): four counted UTF-16
 *     strings (namespace, "__FilterToConsumerBinding", property, key path
 *     "NS_<h>\KI_<h>\I_<h>") and 8 bytes. The I_ hash is SHA-256 of the
 *     binding's key, Consumer U+FFFF Filter, in upper case: that links a
 *     binding to its namespace.
 */
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

/* Bytes of strings looked at while reading instances: per byte of file,
 * and a floor. Real repositories need a few KiB; forged ones that make every
 * property of every layout run for WMI_MAX_STRING stop here. */
#define WORK_PER_BYTE 16u
#define WORK_FLOOR (16u << 20)

const struct wmi_known wmi_known[WMI_NCLASSES] = {
	[WMI_C_FILTER] = { "__EventFilter",
		"47C79E62C2227EDD0FF29BF44D87F2FAF9FEDF60A18D9F82597602BD95E20BD3",
		"D4A52B2BD3BF3604AD338F63412AEB3C",
		{ "Name", "Query", "QueryLanguage", "EventNamespace" }, 4, 1,
		6, 24, { 0, 3, 2, 4 }, { 0, 12, 8, 16 } },
	[WMI_C_BINDING] = { "__FilterToConsumerBinding",
		"0A7ABE63F36E2B2920FEDAFAE849823AF9429CC0EA373FFEE1507EDB21FD9170",
		"A8B3187D121830A052261C3643ACD9AF",
		{ "Consumer", "Filter" }, 2, 2,
		7, 22, { 1, 0 }, { 4, 0 } },
	[WMI_C_CMDLINE] = { "CommandLineEventConsumer",
		"BBFCCB444CF66AA09AE6F15967A6865175BB0ED216D19970A7988B72CDF0A3A4",
		"350EB6ACE592C89B344EECFE24ACDF77",
		{ "Name", "CommandLineTemplate", "ExecutablePath" }, 3, 1,
		27, 92, { 3, 5, 4 }, { 12, 20, 16 } },
	[WMI_C_SCRIPT] = { "ActiveScriptEventConsumer",
		"3E78A37E1DE70357C353A15D6BBB8A17A1D31F8D501ED8F1C3EB8104F5B04F97",
		"5D1A479DE8D5AFD9BDEDA7BE5BEA9591",
		{ "Name", "ScriptingEngine", "ScriptText", "ScriptFileName" }, 4, 1,
		8, 32, { 3, 4, 5, 6 }, { 12, 16, 20, 24 } },
};

/* ---- passes ---- */

/* Records of every page with a valid table: class definitions, reference
 * records and instances of the four classes. */
static void collect(struct wmi_ctx *c)
{
	struct wmi_desc desc[WMI_MAX_DESC];

	for (size_t pg = 0; pg < c->npages; pg++) {
		long n;

		if (c->state[pg] != WMI_PS_TABLE)
			continue;
		n = wmi_page_table(c, pg, desc);
		for (long i = 0; i < n; i++) {
			size_t off = pg * WMI_PAGE_SIZE + desc[i].off, avail;
			unsigned flags, hexlen;
			const uint8_t *r = c->d + off;
			struct wmi_layout l;
			enum wmi_cls cls;
			int ic;

			avail = wmi_record_extent(c, pg, desc[i].off, desc[i].size, &flags);
			c->covered[pg] = (uint16_t)(desc[i].off + (avail < WMI_PAGE_SIZE - desc[i].off ?
								  avail : WMI_PAGE_SIZE - desc[i].off) - 1);
			ic = wmi_instance_class(c, r, avail, &hexlen);
			if (ic >= 0) {
				wmi_add_inst(c, off, avail, desc[i].size, hexlen, (enum wmi_cls)ic, flags);
				continue;
			}
			if (flags & WMI_F_PARTIAL)
				continue;
			if (wmi_parse_cd(r, avail, &cls, &l))
				wmi_add_layout(c, cls, &l);
			else
				wmi_parse_ref(c, r, avail);
		}
	}
}

/* An instance of one of the four classes outside every table, at file
 * offset at: read if its class-name hash starts there. Returns the bytes
 * it takes when it gave an object, else 0. */
static size_t carve_at(struct wmi_ctx *c, size_t at)
{
	const uint8_t *p = c->d + at;
	unsigned hexlen, flags = WMI_F_UNTABLED;
	size_t o, size;
	struct wmi_inst in;
	int ic = wmi_instance_class(c, p, c->size - at, &hexlen);

	if (ic < 0 || c->size - at < hexlen + WMI_FILETIMES + 4)
		return 0;
	o = at + hexlen + WMI_FILETIMES;
	if (load_le32(c->d + o) > c->size - o)
		return 0;
	size = hexlen + WMI_FILETIMES + load_le32(c->d + o);
	if (at / WMI_PAGE_SIZE != (at + size - 1) / WMI_PAGE_SIZE)
		flags |= WMI_F_SPANS_PAGES;
	in = (struct wmi_inst){ at, size, size, hexlen, (enum wmi_cls)ic, flags };
	return wmi_read_instance(c, &in) ? size : 0;
}

/* Instances outside every table (deleted objects in free pages or slack,
 * pages whose table is damaged), found by their class-name hash: every
 * byte no table covers is looked at once. */
static void carve_untabled(struct wmi_ctx *c)
{
	bool first[256] = { false };

	for (int i = 0; i < WMI_NCLASSES; i++) {
		first[(uint8_t)wmi_known[i].sha256[0]] = true;
		first[(uint8_t)wmi_known[i].md5[0]] = true;
	}
	for (size_t pg = 0; pg < c->npages; pg++) {
		size_t base = pg * WMI_PAGE_SIZE, end = base + wmi_page_len(c, pg), at;

		if (c->state[pg] == WMI_PS_CONT)
			continue;
		at = base + (c->state[pg] == WMI_PS_TABLE ? (size_t)c->covered[pg] + 1 : 0);
		for (; at < end && c->size - at >= 4; at++) {
			const uint8_t *p = c->d + at;

			if (p[1] == 0 && p[3] == 0 && first[p[0]]) {
				size_t used = carve_at(c, at);

				if (used)
					at += used - 1; /* nothing is read twice */
			}
		}
	}
}

static void consumer_free(struct wmi_consumer *w)
{
	free(w->name);
	free(w->ns);
	free(w->command_line_template);
	free(w->executable_path);
	free(w->scripting_engine);
	free(w->script_text);
	free(w->script_file_name);
	free(w->strings);
	free(w->bindings);
}

static void filter_free(struct wmi_filter *f)
{
	free(f->name);
	free(f->query);
	free(f->query_language);
	free(f->event_namespace);
	free(f->ns);
	free(f->strings);
}

static void binding_free(struct wmi_binding *b)
{
	free(b->consumer_ref);
	free(b->filter_ref);
	free(b->consumer_class);
	free(b->consumer_name);
	free(b->filter_name);
	free(b->ns);
}

/* Digests fields into dg[kept]; true when an earlier object had the same. */
static bool seen_before(char (*dg)[SHA256_HEX_LEN + 1], size_t kept, const char *const *fields, size_t n)
{
	wmi_digest(fields, n, false, dg[kept]);
	for (size_t j = 0; j < kept; j++)
		if (strcmp(dg[j], dg[kept]) == 0)
			return true;
	return false;
}

/* Drops later identical copies (stale pages hold many). */
static void dedupe(struct wmi_ctx *c)
{
	struct wmi_subscriptions *o = c->out;
	size_t n = o->nconsumers > o->nfilters ? o->nconsumers : o->nfilters;
	char (*dg)[SHA256_HEX_LEN + 1];
	size_t kept;

	if (o->nbindings > n)
		n = o->nbindings;
	if (!n)
		return;
	dg = xcalloc(n, sizeof(*dg));

	kept = 0;
	for (size_t i = 0; i < o->nconsumers; i++) {
		struct wmi_consumer *w = &o->consumers[i];
		const char *f[] = { w->class_name, w->name, w->command_line_template,
				    w->executable_path, w->scripting_engine, w->script_text,
				    w->script_file_name, w->strings };

		if (seen_before(dg, kept, f, sizeof(f) / sizeof(f[0])))
			consumer_free(w);
		else
			o->consumers[kept++] = *w;
	}
	o->nconsumers = kept;

	kept = 0;
	for (size_t i = 0; i < o->nfilters; i++) {
		struct wmi_filter *f = &o->filters[i];
		const char *k[] = { f->name, f->query, f->query_language, f->event_namespace, f->strings };

		if (seen_before(dg, kept, k, sizeof(k) / sizeof(k[0])))
			filter_free(f);
		else
			o->filters[kept++] = *f;
	}
	o->nfilters = kept;

	kept = 0;
	for (size_t i = 0; i < o->nbindings; i++) {
		struct wmi_binding *b = &o->bindings[i];
		const char *k[] = { b->consumer_ref, b->filter_ref };

		if (seen_before(dg, kept, k, 2))
			binding_free(b);
		else
			o->bindings[kept++] = *b;
	}
	o->nbindings = kept;
	free(dg);
}

static bool ns_compatible(const char *a, const char *b)
{
	return !a || !b || strcasecmp(a, b) == 0;
}

/* Parses each binding's references, finds its namespace, its consumer and
 * its filter, and flags Windows' own binding. */
static void link_bindings(struct wmi_ctx *c)
{
	struct wmi_subscriptions *o = c->out;
	char (*cdg)[SHA256_HEX_LEN + 1] = NULL, (*fdg)[SHA256_HEX_LEN + 1] = NULL;

	if (!o->nbindings)
		return;
	if (o->nconsumers)
		cdg = xcalloc(o->nconsumers, sizeof(*cdg));
	if (o->nfilters)
		fdg = xcalloc(o->nfilters, sizeof(*fdg));
	for (size_t i = 0; i < o->nconsumers; i++) {
		const char *s[] = { o->consumers[i].class_name, o->consumers[i].name };

		wmi_digest(s, 2, true, cdg[i]);
	}
	for (size_t i = 0; i < o->nfilters; i++) {
		const char *s[] = { wmi_known[WMI_C_FILTER].name, o->filters[i].name };

		wmi_digest(s, 2, true, fdg[i]);
	}
	for (size_t i = 0; i < o->nbindings; i++) {
		struct wmi_binding *b = &o->bindings[i];
		char *cns = NULL, *fcls = NULL, *fns = NULL, hex[SHA256_HEX_LEN + 1];

		wmi_parse_path(b->consumer_ref, &b->consumer_class, &cns, &b->consumer_name);
		wmi_parse_path(b->filter_ref, &fcls, &fns, &b->filter_name);
		if (b->consumer_class)
			b->other_class = strcasecmp(b->consumer_class, wmi_known[WMI_C_CMDLINE].name) != 0 &&
					 strcasecmp(b->consumer_class, wmi_known[WMI_C_SCRIPT].name) != 0;
		b->is_default = b->consumer_class && b->consumer_name && b->filter_name &&
				strcasecmp(b->consumer_class, "NTEventLogEventConsumer") == 0 &&
				strcmp(b->consumer_name, "SCM Event Log Consumer") == 0 &&
				strcmp(b->filter_name, "SCM Event Log Filter") == 0;
		if (c->nrefs && b->consumer_ref && b->filter_ref) {
			const char *parts[] = { b->consumer_ref, b->filter_ref };

			if (wmi_upper_hash(parts, 2, hex)) {
				for (size_t r = 0; r < c->nrefs; r++) {
					if (strcasecmp(c->refs[r].key, hex) == 0) {
						b->ns = xstrdup(c->refs[r].ns);
						break;
					}
				}
			}
		}
		if (!cns && b->ns)
			cns = xstrdup(b->ns);
		if (!fns && b->ns)
			fns = xstrdup(b->ns);

		if (b->consumer_class && b->consumer_name && !b->other_class) {
			const char *s[] = { b->consumer_class, b->consumer_name };

			wmi_digest(s, 2, true, hex);
			for (size_t k = 0; k < o->nconsumers; k++) {
				struct wmi_consumer *w = &o->consumers[k];

				if (strcmp(cdg[k], hex) != 0 || !ns_compatible(w->ns, cns))
					continue;
				if (b->consumer == WMI_NONE)
					b->consumer = k;
				w->bindings = xrealloc(w->bindings, (w->nbindings + 1) * sizeof(size_t));
				w->bindings[w->nbindings++] = i;
				if (!w->ns && cns)
					w->ns = xstrdup(cns);
			}
		}
		if (fcls && b->filter_name && strcasecmp(fcls, wmi_known[WMI_C_FILTER].name) == 0) {
			const char *s[] = { wmi_known[WMI_C_FILTER].name, b->filter_name };

			wmi_digest(s, 2, true, hex);
			for (size_t k = 0; k < o->nfilters; k++) {
				struct wmi_filter *f = &o->filters[k];

				if (strcmp(fdg[k], hex) != 0 || !ns_compatible(f->ns, fns))
					continue;
				if (b->filter == WMI_NONE)
					b->filter = k;
				if (!f->ns && fns)
					f->ns = xstrdup(fns);
			}
		}
		free(cns);
		free(fcls);
		free(fns);
	}
	free(cdg);
	free(fdg);
}

static void ctx_release(struct wmi_ctx *c)
{
	for (int i = 0; i < WMI_NCLASSES; i++)
		for (size_t j = 0; j < c->nlayouts[i]; j++)
			wmi_layout_release(&c->layouts[i][j]);
	for (size_t i = 0; i < c->nrefs; i++)
		free(c->refs[i].ns);
	free(c->refs);
	free(c->insts);
	free(c->state);
	free(c->covered);
}

int wmi_scan_objects(const void *data, size_t size, struct wmi_subscriptions *out,
		     struct ks_err *err)
{
	struct wmi_ctx *c;

	memset(out, 0, sizeof(*out));
	ks_err_clear(err);
	if (!data || size == 0)
		return ks_fail(err, KS_EINPUT, "empty file");

	c = xcalloc(1, sizeof(*c));
	c->d = data;
	c->size = size;
	c->out = out;
	c->npages = size / WMI_PAGE_SIZE + (size % WMI_PAGE_SIZE != 0);
	c->budget = size > (SIZE_MAX - WORK_FLOOR) / WORK_PER_BYTE ? SIZE_MAX :
		    WORK_PER_BYTE * size + WORK_FLOOR;
	c->state = xcalloc(c->npages, 1);
	c->covered = xcalloc(c->npages, sizeof(*c->covered));
	for (int i = 0; i < WMI_NCLASSES; i++) {
		for (size_t j = 0; j < SHA256_HEX_LEN; j++) {
			c->pat[i][0][2 * j] = (uint8_t)wmi_known[i].sha256[j];
			if (j < 32)
				c->pat[i][1][2 * j] = (uint8_t)wmi_known[i].md5[j];
		}
	}
	out->pages = c->npages;
	for (size_t pg = 0; pg < c->npages; pg++) {
		long n = wmi_page_table(c, pg, NULL);

		c->state[pg] = n < 0 ? WMI_PS_NONE : n == 0 ? WMI_PS_EMPTY : WMI_PS_TABLE;
		if (n > 0) {
			out->table_pages++;
			out->records += (size_t)n;
		}
	}
	if (!out->table_pages) {
		ctx_release(c);
		free(c);
		memset(out, 0, sizeof(*out));
		return ks_fail(err, KS_EINPUT, "no page holds a record table: not a WMI repository objects file");
	}
	collect(c);
	for (size_t i = 0; i < c->ninsts; i++)
		wmi_read_instance(c, &c->insts[i]);
	carve_untabled(c);
	dedupe(c);
	link_bindings(c);
	ctx_release(c);
	free(c);
	return 0;
}

void wmi_subscriptions_release(struct wmi_subscriptions *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nconsumers; i++)
		consumer_free(&s->consumers[i]);
	for (size_t i = 0; i < s->nfilters; i++)
		filter_free(&s->filters[i]);
	for (size_t i = 0; i < s->nbindings; i++)
		binding_free(&s->bindings[i]);
	free(s->consumers);
	free(s->filters);
	free(s->bindings);
	memset(s, 0, sizeof(*s));
}
