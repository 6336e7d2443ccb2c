/* One installation's evidence: each part reads its own sources and records
 * what it could not read; the payloads are left for the scan stage. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/evidence.h>

void ev_payload_add(struct ev_payloads *l, const char *path, const char *stream, const char *source,
		    const void *data, size_t len)
{
	struct ev_payload *p;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	p = &l->v[l->n++];
	p->path = xstrdup(path);
	p->stream = xstrdup(stream ? stream : "");
	p->source = xstrdup(source);
	p->data = xmalloc(len ? len : 1);
	if (len)
		memcpy(p->data, data, len);
	p->len = len;
}

void ev_payloads_release(struct ev_payloads *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].stream);
		free(l->v[i].source);
		free(l->v[i].data);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

bool evidence_wants(const char *path)
{
	return ev_log_path_wanted(path);
}

void evidence_collect(struct fs *fs, const struct os_info *os, const char *const *found, size_t nfound,
		      struct os_evidence *out)
{
	memset(out, 0, sizeof(*out));
	eventlog_collect(fs, os, found, nfound, &out->eventlogs, &out->payloads);
	defender_collect(fs, os, &out->defender);
}

void evidence_release(struct os_evidence *ev)
{
	ev_eventlogs_release(&ev->eventlogs);
	ev_payloads_release(&ev->payloads);
	defender_release(&ev->defender);
	memset(ev, 0, sizeof(*ev));
}

#include <kenshu/banned.h>
