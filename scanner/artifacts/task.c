/* task: Windows scheduled tasks (Task Scheduler 2.0 XML and 1.0 .job).
 *
 * XML goes through libxml2, but only ever as UTF-8 we produced or checked
 * ourselves: Windows writes UTF-16LE with a BOM, yet copies, exports and
 * attackers give BOM-less UTF-16, UTF-8 labelled "UTF-16" and the reverse, so
 * the bytes decide and the declaration is ignored (XML_PARSE_IGNORE_ENC).
 * libxml2 runs without XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE
 * and HUGE, with NONET, and with per-parser SAX hooks that refuse to resolve
 * any external entity or subset. Text is read only from text and CDATA nodes:
 * entity references are kept as "&name;" and never followed, since following
 * them is how files get read (XXE) and memory gets blown ("billion laughs").
 *
 * .job files are parsed by hand: every offset, count and string length is
 * checked against the buffer before use.
 */
#include <kenshu/artifacts.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

#define JOB_FIXED_LEN 68u      /* FIXDLEN_DATA */
#define JOB_OFF_VERSION 2u
#define JOB_OFF_APPNAME 20u
#define JOB_OFF_TRIGGERS 22u
#define JOB_OFF_FLAGS 48u
#define JOB_TRIGGER_LEN 48u
#define JOB_TRIG_OFF_INTERVAL 24u
#define JOB_TRIG_OFF_FLAGS 28u
#define JOB_TRIG_OFF_TYPE 32u

#define TASK_FLAG_DISABLED 0x4u
#define TASK_FLAG_HIDDEN 0x200u
#define TASK_TRIGGER_FLAG_DISABLED 0x4u

/* How many leading bytes the UTF-16 sniffing looks at. */
#define SNIFF_BYTES 64u

void task_info_release(struct task_info *t)
{
	if (!t)
		return;
	free(t->author);
	free(t->description);
	free(t->uri);
	free(t->date);
	free(t->user_id);
	free(t->group_id);
	free(t->run_level);
	for (size_t i = 0; i < t->ntriggers; i++)
		free(t->triggers[i]);
	free(t->triggers);
	for (size_t i = 0; i < t->nactions; i++) {
		struct task_action *a = &t->actions[i];

		free(a->command);
		free(a->arguments);
		free(a->working_dir);
		free(a->com_class_id);
		free(a->com_data);
	}
	free(t->actions);
	memset(t, 0, sizeof(*t));
}

/* Takes ownership of s. */
static void add_trigger(struct task_info *t, char *s)
{
	if (t->ntriggers >= TASK_MAX_TRIGGERS) {
		t->truncated = true;
		free(s);
		return;
	}
	t->triggers = xrealloc(t->triggers, (t->ntriggers + 1) * sizeof(*t->triggers));
	t->triggers[t->ntriggers++] = s;
}

/* NULL once the cap is reached. */
static struct task_action *add_action(struct task_info *t, const char *kind)
{
	struct task_action *a;

	if (t->nactions >= TASK_MAX_ACTIONS) {
		t->truncated = true;
		return NULL;
	}
	t->actions = xrealloc(t->actions, (t->nactions + 1) * sizeof(*t->actions));
	a = &t->actions[t->nactions++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

/* ---- XML ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The text held directly by a node list (an element's or an attribute's
 * children), trimmed; NULL when empty. Entity references stay literal. */
static char *list_text(const xmlNode *c)
{
	struct strbuf b = STRBUF_INIT;
	char *s, *t;

	for (; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
		    c->content) {
			strbuf_addstr(&b, (const char *)c->content);
		} else if (c->type == XML_ENTITY_REF_NODE && c->name) {
			strbuf_addch(&b, '&');
			strbuf_addstr(&b, (const char *)c->name);
			strbuf_addch(&b, ';');
		}
	}
	s = strbuf_detach(&b, NULL);
	t = str_trim(s, " \t\r\n");
	if (!*t) {
		free(s);
		return NULL;
	}
	memmove(s, t, strlen(t) + 1);
	return s;
}

static char *node_text(const xmlNode *n)
{
	return list_text(n->children);
}

/* Element names are matched on the local name alone, so a missing, foreign
 * or prefixed namespace still works. */
static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name &&
	       strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (is_elem(c, name))
			return c;
	return NULL;
}

static char *child_text(const xmlNode *n, const char *name)
{
	const xmlNode *c = child(n, name);

	return c ? node_text(c) : NULL;
}

/* An attribute's value without xmlGetProp(), which expands entities. */
static char *attr_text(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (a->name && strcmp((const char *)a->name, name) == 0)
			return list_text(a->children);
	return NULL;
}

/* xs:boolean; -1 when it is neither. */
static int parse_bool(const xmlNode *n)
{
	char *s = node_text(n);
	int v = -1;

	if (s && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0))
		v = 1;
	else if (s && (strcmp(s, "false") == 0 || strcmp(s, "0") == 0))
		v = 0;
	free(s);
	return v;
}

/* The first occurrence wins; later duplicates are ignored. */
static void set_once(char **dst, const xmlNode *n)
{
	if (!*dst)
		*dst = node_text(n);
}

static void xml_registration(struct task_info *t, const xmlNode *ri)
{
	for (const xmlNode *c = ri->children; c; c = c->next) {
		if (is_elem(c, "Author"))
			set_once(&t->author, c);
		else if (is_elem(c, "Description"))
			set_once(&t->description, c);
		else if (is_elem(c, "URI"))
			set_once(&t->uri, c);
		else if (is_elem(c, "Date"))
			set_once(&t->date, c);
	}
}

static void xml_settings(struct task_info *t, const xmlNode *st)
{
	for (const xmlNode *c = st->children; c; c = c->next) {
		int v;

		if (is_elem(c, "Hidden") && (v = parse_bool(c)) >= 0) {
			t->hidden = v;
		} else if (is_elem(c, "Enabled") && (v = parse_bool(c)) >= 0) {
			t->enabled = v;
			t->has_enabled = true;
		}
	}
}

/* The Principal named by Actions/@Context, else the first one. */
static void xml_principal(struct task_info *t, const xmlNode *pr, const char *context)
{
	const xmlNode *pick = NULL;

	for (const xmlNode *c = pr->children; c; c = c->next) {
		char *id;

		if (!is_elem(c, "Principal"))
			continue;
		if (!pick)
			pick = c;
		if (!context)
			break;
		id = attr_text(c, "id");
		if (id && strcmp(id, context) == 0) {
			pick = c;
			free(id);
			break;
		}
		free(id);
	}
	if (!pick)
		return;
	t->user_id = child_text(pick, "UserId");
	t->group_id = child_text(pick, "GroupId");
	t->run_level = child_text(pick, "RunLevel");
}

static void xml_actions(struct task_info *t, const xmlNode *ac)
{
	for (const xmlNode *c = ac->children; c; c = c->next) {
		struct task_action *a;

		if (c->type != XML_ELEMENT_NODE || !c->name)
			continue;
		if (is_elem(c, "Exec")) {
			if (!(a = add_action(t, "Exec")))
				return;
			a->command = child_text(c, "Command");
			a->arguments = child_text(c, "Arguments");
			a->working_dir = child_text(c, "WorkingDirectory");
		} else if (is_elem(c, "ComHandler")) {
			if (!(a = add_action(t, "ComHandler")))
				return;
			a->com_class_id = child_text(c, "ClassId");
			a->com_data = child_text(c, "Data");
		} else if (is_elem(c, "SendEmail")) {
			if (!add_action(t, "SendEmail"))
				return;
		} else if (is_elem(c, "ShowMessage")) {
			if (!add_action(t, "ShowMessage"))
				return;
		}
	}
}

/* "TimeTrigger every PT5M", "CalendarTrigger ScheduleByDay disabled"... */
static void xml_triggers(struct task_info *t, const xmlNode *tr)
{
	for (const xmlNode *c = tr->children; c; c = c->next) {
		const xmlNode *rep, *en, *sched = NULL;
		char *interval = NULL;
		struct strbuf b = STRBUF_INIT;
		const char *name;

		if (c->type != XML_ELEMENT_NODE || !c->name)
			continue;
		name = (const char *)c->name;
		strbuf_addstr(&b, name);
		for (const xmlNode *s = c->children; s && !sched; s = s->next)
			if (s->type == XML_ELEMENT_NODE && s->name &&
			    strncmp((const char *)s->name, "ScheduleBy", 10) == 0)
				sched = s;
		if (sched) {
			strbuf_addch(&b, ' ');
			strbuf_addstr(&b, (const char *)sched->name);
		}
		if ((rep = child(c, "Repetition")))
			interval = child_text(rep, "Interval");
		if (interval) {
			strbuf_addstr(&b, " every ");
			strbuf_addstr(&b, interval);
			free(interval);
		}
		if ((en = child(c, "Enabled")) && parse_bool(en) == 0)
			strbuf_addstr(&b, " disabled");
		add_trigger(t, strbuf_detach(&b, NULL));
	}
}

static void xml_task(struct task_info *t, const xmlNode *root)
{
	const xmlNode *n;
	char *context = NULL;

	t->enabled = true; /* the schema default */
	for (n = root->children; n; n = n->next) {
		if (is_elem(n, "RegistrationInfo"))
			xml_registration(t, n);
		else if (is_elem(n, "Settings"))
			xml_settings(t, n);
		else if (is_elem(n, "Triggers"))
			xml_triggers(t, n);
		else if (is_elem(n, "Actions")) {
			if (!context)
				context = attr_text(n, "Context");
			xml_actions(t, n);
		}
	}
	if ((n = child(root, "Principals")))
		xml_principal(t, n, context);
	free(context);
}

static bool valid_utf8(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t c;
		size_t extra;

		if (p[i] < 0x80) {
			i++;
			continue;
		} else if ((p[i] & 0xE0) == 0xC0) {
			c = p[i] & 0x1F;
			extra = 1;
		} else if ((p[i] & 0xF0) == 0xE0) {
			c = p[i] & 0x0F;
			extra = 2;
		} else if ((p[i] & 0xF8) == 0xF0) {
			c = p[i] & 0x07;
			extra = 3;
		} else {
			return false;
		}
		if (extra > n - i - 1)
			return false;
		for (size_t k = 1; k <= extra; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			c = (c << 6) | (p[i + k] & 0x3F);
		}
		if ((extra == 1 && c < 0x80) || (extra == 2 && c < 0x800) ||
		    (extra == 3 && c < 0x10000) || c > 0x10FFFF ||
		    (c >= 0xD800 && c <= 0xDFFF))
			return false;
		i += extra + 1;
	}
	return true;
}

enum xml_enc { ENC_8BIT, ENC_UTF16LE, ENC_UTF16BE };

/* What the bytes are, from a BOM or else from where the NULs sit: markup
 * is ASCII, so UTF-16 shows a NUL in every other byte. *skip is the BOM. */
static enum xml_enc sniff(const uint8_t *p, size_t n, size_t *skip)
{
	size_t even = 0, odd = 0, m = n < SNIFF_BYTES ? n : SNIFF_BYTES;

	*skip = 0;
	if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
		*skip = 2;
		return ENC_UTF16LE;
	}
	if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
		*skip = 2;
		return ENC_UTF16BE;
	}
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		*skip = 3;
		return ENC_8BIT;
	}
	for (size_t i = 0; i + 1 < m; i += 2) {
		even += p[i] == 0;
		odd += p[i + 1] == 0;
	}
	if (m >= 4 && odd * 2 >= m / 2 && even == 0)
		return ENC_UTF16LE;
	if (m >= 4 && even * 2 >= m / 2 && odd == 0)
		return ENC_UTF16BE;
	return ENC_8BIT;
}

/* Refuse, per parser, anything that would leave the buffer: these are what
 * libxml2 calls to fetch an external entity or the external DTD subset. */
static xmlParserInputPtr no_entity(void *ctx, const xmlChar *publicId,
				   const xmlChar *systemId)
{
	(void)ctx;
	(void)publicId;
	(void)systemId;
	return NULL;
}

static void no_subset(void *ctx, const xmlChar *name, const xmlChar *ExternalID,
		      const xmlChar *SystemID)
{
	(void)ctx;
	(void)name;
	(void)ExternalID;
	(void)SystemID;
}

static void quiet(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

/* buf is valid UTF-8 (NULs aside): libxml2 is told so and never converts. */
static int parse_utf8_doc(const char *buf, size_t len, struct task_info *out,
			  struct ks_err *err)
{
	/* Never NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
		   XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC;
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	const xmlNode *root;
	int rc = 0;

	if (len > (size_t)INT32_MAX)
		return ks_fail(err, KS_EINPUT, "task xml too large (%zu bytes)", len);
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return ks_fail(err, KS_EINPUT, "cannot create an xml parser");
	ctxt->sax->resolveEntity = no_entity;
	ctxt->sax->externalSubset = no_subset;
	ctxt->sax->serror = quiet;
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, "UTF-8", opts);
	if (!doc) {
		const char *msg = ctxt->lastError.message;
		char why[160];
		size_t n;

		snprintf(why, sizeof(why), "%s", msg ? msg : "unknown error");
		n = strlen(why);
		while (n > 0 && is_space(why[n - 1]))
			why[--n] = '\0';
		rc = ks_fail(err, KS_EINPUT, "task xml is not well-formed: %s (line %d)",
			  why, ctxt->lastError.line);
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "Task")) {
		rc = ks_fail(err, KS_EINPUT, "not a task xml document (root element '%.40s')",
			  root && root->name ? (const char *)root->name : "");
		goto out;
	}
	xml_task(out, root);
	out->format = "xml";
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

int task_parse_xml(const void *data, size_t size, struct task_info *out,
		   struct ks_err *err)
{
	const uint8_t *p = data;
	size_t skip, n;
	enum xml_enc enc;
	int rc;

	memset(out, 0, sizeof(*out));
	ks_err_clear(err);
	if (size > TASK_XML_MAX)
		return ks_fail(err, KS_EINPUT, "task xml too large (%zu bytes, limit %u)",
			    size, TASK_XML_MAX);
	if (!p || size == 0)
		return ks_fail(err, KS_EINPUT, "task xml is empty");
	enc = sniff(p, size, &skip);
	p += skip;
	n = size - skip;
	if (enc == ENC_8BIT) {
		/* Slack after the document is often NUL padding. */
		while (n > 0 && p[n - 1] == 0)
			n--;
		if (n == 0)
			return ks_fail(err, KS_EINPUT, "task xml is empty");
		/* UTF-8 (or ASCII) whatever the declaration says; anything else
		 * is taken as ISO-8859-1, which every byte sequence is, rather
		 * than trusted to the label. */
		if (valid_utf8(p, n)) {
			rc = parse_utf8_doc((const char *)p, n, out, err);
		} else {
			char *u8 = latin1_to_utf8(p, n);

			rc = parse_utf8_doc(u8, strlen(u8), out, err);
			free(u8);
		}
	} else {
		size_t units = n / 2;
		uint8_t *swapped = NULL;
		char *u8;
		bool lossy;

		while (units > 0 && p[2 * units - 1] == 0 && p[2 * units - 2] == 0)
			units--;
		if (units == 0)
			return ks_fail(err, KS_EINPUT, "task xml is empty");
		if (enc == ENC_UTF16BE) {
			swapped = xmalloc(2 * units);
			for (size_t i = 0; i < units; i++) {
				swapped[2 * i] = p[2 * i + 1];
				swapped[2 * i + 1] = p[2 * i];
			}
		}
		u8 = utf16le_to_utf8(swapped ? swapped : p, units, &lossy);
		free(swapped);
		rc = parse_utf8_doc(u8, strlen(u8), out, err);
		free(u8);
		if (rc == 0)
			out->lossy = lossy;
	}
	if (rc != 0)
		task_info_release(out);
	return rc;
}

/* ---- .job (MS-TSCH) ---- */

struct rd {
	const uint8_t *p;
	size_t n, off;
};

static bool rd_u16(struct rd *r, uint16_t *v)
{
	if (r->off > r->n || r->n - r->off < 2)
		return false;
	*v = load_le16(r->p + r->off);
	r->off += 2;
	return true;
}

/* A counted UTF-16LE string: a character count (terminating NUL included)
 * then the characters. Reading stops at the first NUL, as Windows does. */
static bool rd_str(struct rd *r, char **out, bool *lossy)
{
	uint16_t count;
	const uint8_t *s;
	size_t len = 0;

	*out = NULL;
	if (!rd_u16(r, &count))
		return false;
	if (count > (r->n - r->off) / 2)
		return false;
	s = r->p + r->off;
	while (len < count && (s[2 * len] | s[2 * len + 1]))
		len++;
	if (len) {
		bool l;

		*out = utf16le_to_utf8(s, len, &l);
		*lossy |= l;
	}
	r->off += 2 * (size_t)count;
	return true;
}

static const char *job_trigger_name(uint32_t type)
{
	static const char *const names[] = {
		"Once", "Daily", "Weekly", "MonthlyDate", "MonthlyDOW",
		"OnIdle", "AtSystemStart", "AtLogon",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

static void job_triggers(struct task_info *t, const uint8_t *p, size_t size, size_t off)
{
	uint16_t count;

	if (off < JOB_FIXED_LEN || off > size || size - off < 2) {
		t->truncated = true;
		return;
	}
	count = load_le16(p + off);
	off += 2;
	for (unsigned i = 0; i < count; i++, off += JOB_TRIGGER_LEN) {
		const uint8_t *tr = p + off;
		uint32_t type, interval, flags;
		const char *name;
		char *s;

		if (size - off < JOB_TRIGGER_LEN || t->ntriggers >= TASK_MAX_TRIGGERS) {
			t->truncated = true;
			return;
		}
		type = load_le32(tr + JOB_TRIG_OFF_TYPE);
		interval = load_le32(tr + JOB_TRIG_OFF_INTERVAL);
		flags = load_le32(tr + JOB_TRIG_OFF_FLAGS);
		name = job_trigger_name(type);
		if (name)
			s = xasprintf("%s%s", name, interval ? " every PT" : "");
		else
			s = xasprintf("Unknown(%" PRIu32 ")%s", type, interval ? " every PT" : "");
		if (interval) {
			char *u = xasprintf("%s%" PRIu32 "M", s, interval);

			free(s);
			s = u;
		}
		if (flags & TASK_TRIGGER_FLAG_DISABLED) {
			char *u = xasprintf("%s disabled", s);

			free(s);
			s = u;
		}
		add_trigger(t, s);
	}
}

int task_parse_job(const void *data, size_t size, struct task_info *out,
		   struct ks_err *err)
{
	const uint8_t *p = data;
	struct rd r;
	struct task_action *a;
	uint16_t version, appoff, trigoff;
	uint32_t flags;

	memset(out, 0, sizeof(*out));
	ks_err_clear(err);
	if (!p || size < JOB_FIXED_LEN)
		return ks_fail(err, KS_EINPUT, "job file too short (%zu bytes)", p ? size : 0);
	version = load_le16(p + JOB_OFF_VERSION);
	if (version != 1)
		return ks_fail(err, KS_EINPUT, "not a job file (format version %u)", version);
	appoff = load_le16(p + JOB_OFF_APPNAME);
	trigoff = load_le16(p + JOB_OFF_TRIGGERS);
	flags = load_le32(p + JOB_OFF_FLAGS);
	if (appoff < JOB_FIXED_LEN || appoff >= size)
		return ks_fail(err, KS_EINPUT, "job application name offset %u outside the file (%zu bytes)",
			    appoff, size);

	a = add_action(out, "Exec");
	r = (struct rd){ .p = p, .n = size, .off = appoff };
	if (!rd_str(&r, &a->command, &out->lossy)) {
		task_info_release(out);
		return ks_fail(err, KS_EINPUT, "job application name runs past the end of the file");
	}
	out->format = "job";
	out->hidden = flags & TASK_FLAG_HIDDEN;
	out->enabled = !(flags & TASK_FLAG_DISABLED);
	out->has_enabled = true;
	/* Past the application name a cut file still says what it runs. */
	if (!rd_str(&r, &a->arguments, &out->lossy) ||
	    !rd_str(&r, &a->working_dir, &out->lossy) ||
	    !rd_str(&r, &out->author, &out->lossy) ||
	    !rd_str(&r, &out->description, &out->lossy))
		out->truncated = true;
	job_triggers(out, p, size, trigoff);
	return 0;
}
