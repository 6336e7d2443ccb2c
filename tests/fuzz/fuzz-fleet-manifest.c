/* The fleet manifest (CSV a plant keeps by hand) through
 * fleet_manifest_parse.
 *
 * Input: the manifest's bytes.
 *
 * Properties: an accepted manifest keeps every promise of fleet.h (asset
 * ids of the alphabet, unique without case, rows in line order, images
 * not empty); written back as CSV with every field quoted, it parses
 * again to the same rows. */
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/fleet.h>
#include "fuzz.h"

#define BASE "/b"

static void quoted(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; s && *s; s++) {
		if (*s == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void invariants(const struct fleet_manifest *m)
{
	if (m->nrows == 0 || m->nrows > FLEET_MAX_ROWS)
		abort();
	for (size_t i = 0; i < m->nrows; i++) {
		const struct fleet_row *r = &m->rows[i];
		size_t n = strlen(r->asset);
		if (n < 1 || n > FLEET_ASSET_MAX || r->asset[0] == '.' || r->asset[0] == '-' ||
		    strspn(r->asset, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
			abort();
		if (!r->image[0] || !r->image_path || (i && r->line <= m->rows[i - 1].line) || r->line < 2)
			abort();
		if ((r->baseline && !r->baseline[0]) || (r->profile && !r->profile[0]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_manifest m, again;
	struct ks_err err;
	struct strbuf sb = STRBUF_INIT;

	if (fleet_manifest_parse("fuzz.csv", BASE, (const char *)data, size, &m, &err) < 0) {
		if (strncmp(err.msg, "fuzz.csv", 8) != 0 || strchr(err.msg, '\n') || m.rows || m.name)
			abort();
		return 0;
	}
	invariants(&m);

	/* Written back: paths already resolved stay as they are, since BASE
	 * made them absolute (a shipped profile name has no '/'). */
	bool fits = true;
	strbuf_addstr(&sb, "asset,image,baseline,profile,meta\r\n");
	for (size_t i = 0; i < m.nrows; i++) {
		const struct fleet_row *r = &m.rows[i];
		struct strbuf meta = STRBUF_INIT;
		for (size_t k = 0; k < r->meta.n; k++)
			strbuf_addf(&meta, "%s%s=%s", k ? ";" : "", r->meta.v[k].key, r->meta.v[k].value);
		fits = fits && strlen(r->image_path) <= FLEET_FIELD_MAX && meta.len <= FLEET_FIELD_MAX &&
		       (!r->baseline || strlen(r->baseline) <= FLEET_FIELD_MAX) &&
		       (!r->profile || strlen(r->profile) <= FLEET_FIELD_MAX);
		quoted(&sb, r->asset);
		strbuf_addch(&sb, ',');
		quoted(&sb, r->image_path);
		strbuf_addch(&sb, ',');
		quoted(&sb, r->baseline);
		strbuf_addch(&sb, ',');
		quoted(&sb, r->profile);
		strbuf_addch(&sb, ',');
		quoted(&sb, meta.buf);
		strbuf_addstr(&sb, "\r\n");
		strbuf_release(&meta);
	}
	if (fits) {
		if (fleet_manifest_parse("again.csv", BASE, sb.buf, sb.len, &again, &err) < 0) {
			fprintf(stderr, "written back, the manifest is refused: %s\n", err.msg);
			abort();
		}
		if (again.nrows != m.nrows)
			abort();
		for (size_t i = 0; i < m.nrows; i++) {
			const struct fleet_row *a = &m.rows[i], *b = &again.rows[i];
			if (!same(a->asset, b->asset) || !same(a->image_path, b->image_path) ||
			    !same(a->baseline, b->baseline) || !same(a->profile, b->profile) ||
			    a->meta.n != b->meta.n) {
				fprintf(stderr, "row %zu differs when written back\n", i);
				abort();
			}
			for (size_t k = 0; k < a->meta.n; k++)
				if (!same(a->meta.v[k].key, b->meta.v[k].key) ||
				    !same(a->meta.v[k].value, b->meta.v[k].value))
					abort();
		}
		fleet_manifest_release(&again);
	}
	strbuf_release(&sb);
	fleet_manifest_release(&m);
	return 0;
}
