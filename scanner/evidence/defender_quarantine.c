/* What Defender put in quarantine: each Entries\{GUID} file names the
 * threat and the resources it removed; a file resource's bytes lie in
 * ResourceData\XX\<id> beside it (XX: the id's first two hex digits). The
 * decoded bytes go to the payloads, so that the scan judges them with its
 * own engines: a payload that is still malware is a detection. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/volume.h>
#include <kenshu/evidence.h>

#define ENTRIES "/microsoft/windows defender/quarantine/entries/"

static const char *strcasestr_ascii(const char *h, const char *n)
{
	size_t ln = strlen(n);
	for (; *h; h++)
		if (!strncasecmp(h, n, ln))
			return h;
	return NULL;
}

bool defender_is_quarantine_entry(const char *path)
{
	const char *e = strcasestr_ascii(path, ENTRIES);

	/* a file directly in Entries, named {GUID} */
	return e && e[strlen(ENTRIES)] == '{' && !strchr(e + strlen(ENTRIES), '/');
}

static void add_error(struct os_defender *d, const char *path, const char *why)
{
	d->quar_errors = xrealloc(d->quar_errors, (d->nquar_errors + 1) * sizeof(*d->quar_errors));
	d->quar_errors[d->nquar_errors++] = xasprintf("%s: %s", path, why);
}

static void decode_payload(struct fs *fs, struct os_defender *d, struct def_quarantined *q,
			   struct ev_payloads *payloads)
{
	void *raw = NULL;
	uint64_t rsize = 0;
	unsigned char *pl = NULL;
	size_t plen = 0;
	struct ks_err err;

	if (fs_read_file(fs, q->resource_path, DEF_MAX_PAYLOAD, &raw, &rsize, &err) < 0) {
		q->error = xasprintf("its ResourceData file %s could not be read: %s", q->resource_path, err.msg);
		return;
	}
	if (quar_resource_decode(raw, (size_t)rsize, &pl, &plen, &err) < 0) {
		q->error = xstrdup(err.msg);
	} else if (plen > DEF_MAX_PAYLOAD_TOTAL - d->payload_bytes) {
		/* every payload stays in memory until the scan reads it */
		q->error = xasprintf("the quarantine's decoded payloads would exceed %llu bytes: left out",
				     (unsigned long long)DEF_MAX_PAYLOAD_TOTAL);
	} else {
		d->payload_bytes += plen;
		struct sha256 *h = sha256_new();
		char *stream = xasprintf("quarantine: %s", q->original_path);

		sha256_update(h, pl, plen);
		sha256_final_hex(h, q->sha256);
		sha256_free(h);
		q->decoded = true;
		q->size = plen;
		ev_payload_add(payloads, q->resource_path, stream, "Windows Defender quarantine", pl, plen);
		free(stream);
	}
	free(pl);
	free(raw);
}

void defender_quarantine_read(struct fs *fs, const char *entry_path, struct os_defender *d,
			      struct ev_payloads *payloads)
{
	void *data = NULL;
	uint64_t size = 0;
	struct ks_err err;
	struct quar_entry e;
	const char *e_at = strcasestr_ascii(entry_path, ENTRIES);
	size_t base_len = e_at ? (size_t)(e_at - entry_path) + strlen("/microsoft/windows defender/quarantine") : 0;
	char when[24];

	if (fs_read_file(fs, entry_path, DEF_MAX_ENTRY_FILE, &data, &size, &err) < 0) {
		add_error(d, entry_path, err.msg);
		return;
	}
	if (quar_entry_parse(data, (size_t)size, &e, &err) < 0) {
		add_error(d, entry_path, err.msg);
		free(data);
		return;
	}
	free(data);
	if (e.damage[0])
		add_error(d, entry_path, e.damage);
	quar_filetime_iso(e.time, when, sizeof(when));
	for (size_t k = 0; k < e.n; k++) {
		const struct quar_resource *r = &e.v[k];
		struct def_quarantined *q;

		if (d->nquar >= DEF_MAX_QUARANTINE) {
			d->quar_truncated = true;
			break;
		}
		d->quar = xrealloc(d->quar, (d->nquar + 1) * sizeof(*d->quar));
		q = &d->quar[d->nquar++];
		memset(q, 0, sizeof(*q));
		q->entry = xstrdup(entry_path);
		q->guid = xstrdup(strrchr(entry_path, '/') ? strrchr(entry_path, '/') + 1 : entry_path);
		q->threat = xstrdup(e.detection);
		memcpy(q->time, when, sizeof(q->time));
		q->threat_id = e.threat_id;
		q->original_path = xstrdup(r->path);
		q->type = xstrdup(r->type);
		if (r->has_id) {
			q->resource_id = xstrdup(r->id);
			q->resource_path = xasprintf("%.*s/ResourceData/%.2s/%s", (int)base_len, entry_path, r->id, r->id);
		}
		if (strcasecmp(r->type, "file") != 0)
			continue;      /* registry keys and the like hold no file bytes */
		if (!q->resource_path) {
			q->error = xstrdup("the entry names no ResourceData file for it");
			continue;
		}
		decode_payload(fs, d, q, payloads);
	}
	quar_entry_release(&e);
}

#include <kenshu/banned.h>
