/* The fleet manifest: the CSV the plant keeps, one row per machine.
 *
 * The file comes from a spreadsheet someone edits by hand, so it is read
 * as untrusted text: RFC 4180 strictly (a stray quote is an error, not a
 * guess), every limit named, and every error "NAME:LINE: problem" where
 * LINE is what the user's editor shows. Byte-level errors (a NUL, bad
 * UTF-8, a misplaced quote) name the line the byte is on; a row's errors
 * (its fields, its asset) the line the row starts on. Nothing the rows
 * name is opened here: manifest_check.c does that. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/fleet.h>
#include "fleet_internal.h"
#include <kenshu/banned.h>

enum col { COL_ASSET, COL_IMAGE, COL_BASELINE, COL_PROFILE, COL_META, COL_N };

static const char *const col_names[COL_N] = { "asset", "image", "baseline", "profile", "meta" };

/* The header may hold one column more than there are names: that one is
 * then surely unknown or a duplicate, and is kept so the error can name it. */
#define HEADER_FIELDS_KEPT (COL_N + 1)

struct csv {
	const char *name;
	const unsigned char *p;
	size_t len, pos;
	unsigned line;          /* of p[pos] */
	struct ks_err *err;
};

struct csv_row {
	char **f;               /* the first kept fields */
	size_t n;               /* every field, kept or not */
	size_t kept, cap;
	unsigned line;
};

static void row_clear(struct csv_row *r)
{
	for (size_t i = 0; i < r->kept; i++)
		free(r->f[i]);
	r->n = r->kept = 0;
}

static void row_release(struct csv_row *r)
{
	row_clear(r);
	free(r->f);
	r->f = NULL;
	r->cap = 0;
}

/* Length of the UTF-8 sequence at s (n bytes readable), 0 when it is not
 * one: overlongs, surrogates and values past U+10FFFF are refused, as
 * utf8_to_utf16le() refuses them. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		need = 1;
	else if (c < 0xf0) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need + 1;
}

/* A line of nothing but blanks (or the end): skipped, pos past it. */
static bool skip_blank_line(struct csv *c)
{
	size_t i = c->pos;

	while (i < c->len && (c->p[i] == ' ' || c->p[i] == '\t'))
		i++;
	if (i < c->len && c->p[i] == '\r' && i + 1 < c->len && c->p[i + 1] == '\n')
		i++;
	if (i < c->len && c->p[i] != '\n')
		return false;
	if (i < c->len)
		c->line++;
	c->pos = i < c->len ? i + 1 : i;
	return true;
}

/* One field's bytes into sb; pos is left on the delimiter (',', the line
 * end, or the end of the text). Returns 0 or -1 with err. */
static int read_field(struct csv *c, struct strbuf *sb)
{
	const unsigned char *p = c->p;
	unsigned start = c->line;
	bool quoted = c->pos < c->len && p[c->pos] == '"';

	if (quoted)
		c->pos++;
	for (;;) {
		if (sb->len > FLEET_FIELD_MAX)
			return ks_fail_at(c->err, KS_EINPUT, c->name, start, "a field longer than %u bytes",
					  FLEET_FIELD_MAX);
		if (c->pos >= c->len) {
			if (quoted)
				return ks_fail_at(c->err, KS_EINPUT, c->name, start,
						  "a quoted field is not closed (its quote opens on this line)");
			return 0;
		}
		unsigned char ch = p[c->pos];
		if (ch == '\0')
			return ks_fail_at(c->err, KS_EINPUT, c->name, c->line, "a NUL byte");
		if (ch >= 0x80) {
			size_t k = utf8_seq(p + c->pos, c->len - c->pos);
			if (!k)
				return ks_fail_at(c->err, KS_EINPUT, c->name, c->line, "not UTF-8 text");
			strbuf_add(sb, p + c->pos, k);
			c->pos += k;
			continue;
		}
		if (quoted) {
			if (ch == '"') {
				if (c->pos + 1 < c->len && p[c->pos + 1] == '"') {
					strbuf_addch(sb, '"');
					c->pos += 2;
					continue;
				}
				c->pos++;
				break;
			}
			if (ch == '\n')
				c->line++;
			strbuf_addch(sb, (char)ch);
			c->pos++;
			continue;
		}
		if (ch == ',' || ch == '\n' || (ch == '\r' && c->pos + 1 < c->len && p[c->pos + 1] == '\n'))
			return 0;
		if (ch == '\r')
			return ks_fail_at(c->err, KS_EINPUT, c->name, c->line,
					  "a carriage return that does not end the line");
		if (ch == '"')
			return ks_fail_at(c->err, KS_EINPUT, c->name, c->line,
					  "a quote inside an unquoted field (quote the whole field and double the quote)");
		strbuf_addch(sb, (char)ch);
		c->pos++;
	}
	/* After a closing quote only a delimiter may follow. */
	if (c->pos < c->len && p[c->pos] != ',' && p[c->pos] != '\n' &&
	    !(p[c->pos] == '\r' && c->pos + 1 < c->len && p[c->pos + 1] == '\n'))
		return ks_fail_at(c->err, KS_EINPUT, c->name, c->line, "text after the closing quote of a field");
	return 0;
}

/* The next row that is not blank: 1 with *r filled (its first keep fields
 * kept), 0 at the end of the text, -1 with err. */
static int read_row(struct csv *c, struct csv_row *r, size_t keep)
{
	struct strbuf sb = STRBUF_INIT;

	row_clear(r);
	while (c->pos < c->len && skip_blank_line(c))
		;
	if (c->pos >= c->len)
		return 0;
	r->line = c->line;
	for (;;) {
		strbuf_reset(&sb);
		if (read_field(c, &sb) < 0) {
			strbuf_release(&sb);
			return -1;
		}
		if (r->kept < keep) {
			if (r->kept == r->cap) {
				r->cap = r->cap ? 2 * r->cap : 8;
				r->f = xrealloc(r->f, r->cap * sizeof(*r->f));
			}
			r->f[r->kept++] = xstrndup(sb.buf, sb.len);
		}
		r->n++;
		if (c->pos >= c->len)
			break;
		if (c->p[c->pos] == ',') {
			c->pos++;
			continue;
		}
		c->pos += c->p[c->pos] == '\r' ? 2 : 1;
		c->line++;
		break;
	}
	strbuf_release(&sb);
	return 1;
}

/* s for a message: control characters shown as '?', cut at max bytes (on
 * a character boundary) with "..." after. Caller frees. */
static char *shown(const char *s, size_t max)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(s);
	bool cut = n > max;

	if (cut)
		n = utf8_cut(s, max);
	strbuf_add_printable(&sb, s, n, false);
	if (cut)
		strbuf_addstr(&sb, "...");
	return strbuf_detach(&sb, NULL);
}

static int header(struct csv *c, const struct csv_row *r, int *col_of, struct ks_err *err)
{
	int have[COL_N];

	for (int k = 0; k < COL_N; k++)
		have[k] = 0;
	for (size_t i = 0; i < r->kept; i++) {
		char *name = str_trim(r->f[i], " \t");
		int k = 0;
		while (k < COL_N && strcasecmp(name, col_names[k]) != 0)
			k++;
		if (k == COL_N) {
			char *s = shown(name, 64);
			ks_fail_at(err, KS_EINPUT, c->name, r->line,
				   "unknown column '%s' (the columns are asset, image, baseline, profile, meta)", s);
			free(s);
			return -1;
		}
		if (have[k])
			return ks_fail_at(err, KS_EINPUT, c->name, r->line, "column '%s' given twice", col_names[k]);
		have[k] = 1;
		col_of[i] = k;
	}
	for (int k = COL_ASSET; k <= COL_IMAGE; k++)
		if (!have[k])
			return ks_fail_at(err, KS_EINPUT, c->name, r->line,
					  "no column '%s' (asset and image are required)", col_names[k]);
	return 0;
}

/* ---- the rows' cells ---- */

/* Asset ids become file names (machines/ASSET, state/ASSET.claim) on
 * file systems that may ignore case: a narrow alphabet, no hidden or
 * option-like names, and uniqueness without case, kept in a hash table so
 * that 100000 rows stay linear. */
struct asset_set {
	size_t *slot;           /* row index + 1, 0 empty */
	size_t cap;
	size_t n;
};

static uint64_t asset_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		h = (h ^ (ch >= 'A' && ch <= 'Z' ? ch + 32u : ch)) * 0x100000001b3u;
	}
	return h;
}

static void asset_put(struct asset_set *a, const struct fleet_row *rows, size_t i)
{
	size_t j = (size_t)asset_hash(rows[i].asset) & (a->cap - 1);
	while (a->slot[j])
		j = (j + 1) & (a->cap - 1);
	a->slot[j] = i + 1;
	a->n++;
}

/* The earlier row with the same asset, or SIZE_MAX; else row i is added. */
static size_t asset_add(struct asset_set *a, const struct fleet_row *rows, size_t i)
{
	if (2 * (a->n + 1) > a->cap) {
		size_t *old = a->slot, oldcap = a->cap;
		a->cap = a->cap ? 2 * a->cap : 64;
		a->slot = xcalloc(a->cap, sizeof(*a->slot));
		a->n = 0;
		for (size_t j = 0; j < oldcap; j++)
			if (old[j])
				asset_put(a, rows, old[j] - 1);
		free(old);
	}
	for (size_t j = (size_t)asset_hash(rows[i].asset) & (a->cap - 1); a->slot[j]; j = (j + 1) & (a->cap - 1))
		if (strcasecmp(rows[a->slot[j] - 1].asset, rows[i].asset) == 0)
			return a->slot[j] - 1;
	asset_put(a, rows, i);
	return SIZE_MAX;
}

static int check_asset(const char *name, unsigned line, const char *s, struct ks_err *err)
{
	size_t n = strlen(s);
	const char *why = NULL;

	if (n == 0)
		return ks_fail_at(err, KS_EINPUT, name, line, "asset is empty");
	if (n > FLEET_ASSET_MAX)
		why = "is longer than 64 bytes";
	else if (s[0] == '.' || s[0] == '-')
		why = "may not start with '.' or '-'";
	else
		for (size_t i = 0; i < n && !why; i++) {
			char ch = s[i];
			if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			      ch == '.' || ch == '_' || ch == '-'))
				why = "may hold only A-Z a-z 0-9 . _ -";
		}
	if (why) {
		char *v = shown(s, 64);
		ks_fail_at(err, KS_EINPUT, name, line, "asset '%s' %s", v, why);
		free(v);
		return -1;
	}
	return 0;
}

/* A path cell: no control characters (they would be one line of a
 * message, a job script, a report). */
static int check_path(const char *name, unsigned line, const char *what, const char *s, struct ks_err *err)
{
	for (const unsigned char *q = (const unsigned char *)s; *q; q++)
		if (*q < 0x20 || *q == 0x7f) {
			char *v = shown(s, 80);
			ks_fail_at(err, KS_EINPUT, name, line, "%s '%s' holds a control character (0x%02x)", what, v,
				   *q);
			free(v);
			return -1;
		}
	return 0;
}

static char *resolve(const char *base_dir, const char *path)
{
	if (path[0] == '/' || !base_dir || !base_dir[0])
		return xstrdup(path);
	size_t bl = strlen(base_dir);
	return xasprintf("%s%s%s", base_dir, base_dir[bl - 1] == '/' ? "" : "/", path);
}

/* A profile cell names a file when it looks like one, else a shipped
 * profile, which must not be resolved against the manifest's directory. */
static bool profile_is_file(const char *s)
{
	size_t n = strlen(s);
	return strchr(s, '/') || (n >= 4 && strcasecmp(s + n - 4, ".ini") == 0);
}

/* KEY=VALUE;KEY=VALUE: blanks around each part dropped (line ends too:
 * a spreadsheet cell may put each entry on a line), one trailing ';'
 * allowed. A value cannot hold ';' (the campaign's --meta can). */
static int parse_meta(const char *name, unsigned line, char *cell, struct case_meta *meta, struct ks_err *err)
{
	char *p = cell;

	if (!*str_trim(cell, " \t\r\n"))
		return 0;
	for (;;) {
		char *semi = strchr(p, ';');
		if (semi)
			*semi = '\0';
		char *part = str_trim(p, " \t\r\n");
		if (!*part) {
			if (!semi)
				return 0;   /* after a trailing ';' */
			return ks_fail_at(err, KS_EINPUT, name, line, "meta: an empty entry before a ';'");
		}
		struct ks_err e;
		if (case_meta_add(meta, part, &e) < 0) {
			/* Its words are the option's; here the column speaks. */
			const char *m = strncmp(e.msg, "--meta", 6) == 0 ? e.msg + 2 : e.msg;
			return ks_fail_at(err, KS_EINPUT, name, line, "%s", m);
		}
		if (!semi)
			return 0;
		p = semi + 1;
	}
}

/* The row's cells into *out (zeroed first; released by the caller on
 * failure too). */
static int make_row(const char *name, const char *base_dir, const struct csv_row *r, const int *col_of,
		    struct fleet_row *out, struct ks_err *err)
{
	char *cell[COL_N] = { NULL };
	unsigned line = r->line;

	memset(out, 0, sizeof(*out));
	out->line = line;
	for (size_t i = 0; i < r->kept; i++)
		cell[col_of[i]] = r->f[i];
	if (check_asset(name, line, cell[COL_ASSET], err) < 0)
		return -1;
	out->asset = xstrdup(cell[COL_ASSET]);
	if (!cell[COL_IMAGE][0])
		return ks_fail_at(err, KS_EINPUT, name, line, "image is empty (asset '%s')", out->asset);
	if (check_path(name, line, "image", cell[COL_IMAGE], err) < 0)
		return -1;
	out->image = xstrdup(cell[COL_IMAGE]);
	out->image_path = resolve(base_dir, out->image);
	if (cell[COL_BASELINE] && cell[COL_BASELINE][0]) {
		if (check_path(name, line, "baseline", cell[COL_BASELINE], err) < 0)
			return -1;
		out->baseline = resolve(base_dir, cell[COL_BASELINE]);
	}
	if (cell[COL_PROFILE] && cell[COL_PROFILE][0]) {
		if (check_path(name, line, "profile", cell[COL_PROFILE], err) < 0)
			return -1;
		out->profile = profile_is_file(cell[COL_PROFILE]) ? resolve(base_dir, cell[COL_PROFILE])
								   : xstrdup(cell[COL_PROFILE]);
	}
	if (cell[COL_META] && parse_meta(name, line, cell[COL_META], &out->meta, err) < 0)
		return -1;
	return 0;
}

int fleet_manifest_parse(const char *name, const char *base_dir, const char *text, size_t len,
			 struct fleet_manifest *m, struct ks_err *err)
{
	struct csv c = { .name = name, .p = (const unsigned char *)text, .len = len, .line = 1, .err = err };
	struct csv_row r = { 0 };
	struct asset_set assets = { 0 };
	int col_of[HEADER_FIELDS_KEPT];
	size_t ncols, cap = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > FLEET_MANIFEST_MAX)
		return ks_fail_at(err, KS_EINPUT, name, 0, "larger than %llu MiB",
				  (unsigned long long)(FLEET_MANIFEST_MAX >> 20));
	m->name = xstrdup(name);
	struct sha256 *h = sha256_new();
	sha256_update(h, text, len);
	sha256_final_hex(h, m->sha256);
	sha256_free(h);

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c.pos = 3;
	rc = read_row(&c, &r, HEADER_FIELDS_KEPT);
	if (rc == 0)
		ks_fail_at(err, KS_EINPUT, name, 0, "no machine in the manifest");
	if (rc <= 0 || header(&c, &r, col_of, err) < 0)
		goto fail;
	ncols = r.n;
	while ((rc = read_row(&c, &r, ncols)) > 0) {
		if (m->nrows == FLEET_MAX_ROWS) {
			ks_fail_at(err, KS_EINPUT, name, r.line, "more than %u machines", FLEET_MAX_ROWS);
			goto fail;
		}
		if (r.n != ncols) {
			ks_fail_at(err, KS_EINPUT, name, r.line, "%zu field%s, the header has %zu", r.n,
				   r.n == 1 ? "" : "s", ncols);
			goto fail;
		}
		if (m->nrows == cap) {
			cap = cap ? 2 * cap : 16;
			m->rows = xrealloc(m->rows, cap * sizeof(*m->rows));
		}
		struct fleet_row *row = &m->rows[m->nrows++];
		if (make_row(name, base_dir, &r, col_of, row, err) < 0)
			goto fail;
		size_t dup = asset_add(&assets, m->rows, m->nrows - 1);
		if (dup != SIZE_MAX) {
			ks_fail_at(err, KS_EINPUT, name, r.line, "asset '%s' is also on line %u", row->asset,
				   m->rows[dup].line);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	if (m->nrows == 0) {
		ks_fail_at(err, KS_EINPUT, name, 0, "no machine in the manifest");
		goto fail;
	}
	row_release(&r);
	free(assets.slot);
	return 0;
fail:
	row_release(&r);
	free(assets.slot);
	fleet_manifest_release(m);
	return -1;
}

int fleet_manifest_load(const char *path, struct fleet_manifest *m, struct ks_err *err)
{
	char *text, *real, *slash;
	size_t len;
	int e = 0, rc;

	memset(m, 0, sizeof(*m));
	switch (hostfile_read(path, 0, FLEET_MANIFEST_MAX, &text, &len, &e)) {
	case HOSTFILE_OK:
		break;
	case HOSTFILE_ERRNO:
		if (e == ENOENT)
			return ks_fail_at(err, KS_ENOTFOUND, path, 0, "no such file");
		if (e == EISDIR)
			return ks_fail_at(err, KS_EINPUT, path, 0, "a directory, not a manifest");
		return ks_fail_at(err, KS_EIO, path, 0, "cannot read: %s", strerror(e));
	case HOSTFILE_NOT_REGULAR:
		if (e == EISDIR)
			return ks_fail_at(err, KS_EINPUT, path, 0, "a directory, not a manifest");
		return ks_fail_at(err, KS_EINPUT, path, 0, "not a regular file");
	case HOSTFILE_TOO_LARGE:
	default:
		return ks_fail_at(err, KS_EINPUT, path, 0, "larger than %llu MiB",
				  (unsigned long long)(FLEET_MANIFEST_MAX >> 20));
	}
	real = realpath(path, NULL);
	if (!real) {
		e = errno;
		free(text);
		return ks_fail_at(err, KS_EIO, path, 0, "cannot resolve its directory: %s", strerror(e));
	}
	slash = strrchr(real, '/');
	if (slash == real)
		slash[1] = '\0';   /* a manifest in "/" */
	else if (slash)
		*slash = '\0';
	rc = fleet_manifest_parse(path, real, text, len, m, err);
	free(real);
	free(text);
	return rc;
}

void fleet_manifest_release(struct fleet_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nrows; i++)
		fleet_row_release(&m->rows[i]);
	free(m->rows);
	free(m->name);
	memset(m, 0, sizeof(*m));
}
