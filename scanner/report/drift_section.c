/* The drift section of the report model (report.h): names, counts and
 * release of what drift/ computed. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/report.h>
#include <kenshu/banned.h>

const char *drift_change_name(enum drift_change c)
{
	switch (c) {
	case DRIFT_ADDED: return "added";
	case DRIFT_REMOVED: return "removed";
	case DRIFT_CHANGED: return "changed";
	}
	return "?";
}


bool drift_empty(const struct drift *d)
{
	return !d->nvol && !d->nos && !d->nfiles && !d->nautoruns && !d->ndet && !d->nfindings;
}

void drift_count(const struct drift *d, struct drift_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < d->nfiles; i++)
		c->files[d->files[i].change]++;
	for (size_t i = 0; i < d->nautoruns; i++)
		c->autoruns[d->autoruns[i].change]++;
	for (size_t i = 0; i < d->nos; i++)
		c->os[d->os[i].change]++;
	for (size_t i = 0; i < d->nvol; i++)
		c->vol[d->vol[i].change]++;
	for (size_t i = 0; i < d->ndet; i++)
		c->det[d->det[i].change]++;
	for (size_t i = 0; i < d->nfindings; i++)
		c->findings[d->findings[i].change]++;
}


static void release_fields(struct drift_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].old_value);
		free(f[i].new_value);
	}
	free(f);
}

void drift_side_release(struct drift_side *s)
{
	free(s->dir);
	free(s->image_path);
	free(s->image_sha256);
	free(s->started);
	free(s->verdict);
	free(s->profile);
	free(s->tool);
	memset(s, 0, sizeof(*s));
}

void drift_release(struct drift *d)
{
	if (!d)
		return;
	drift_side_release(&d->old);
	drift_side_release(&d->new);
	for (size_t i = 0; i < d->nvol; i++) {
		free(d->vol[i].filesystem);
		free(d->vol[i].label);
		release_fields(d->vol[i].f, d->vol[i].nf);
	}
	free(d->vol);
	for (size_t i = 0; i < d->nos; i++) {
		free(d->os[i].system_root);
		free(d->os[i].product);
		release_fields(d->os[i].f, d->os[i].nf);
	}
	free(d->os);
	for (size_t i = 0; i < d->nfiles; i++) {
		free(d->files[i].path);
		free(d->files[i].stream);
		free(d->files[i].old_status);
		free(d->files[i].new_status);
	}
	free(d->files);
	for (size_t i = 0; i < d->nautoruns; i++) {
		struct drift_autorun *a = &d->autoruns[i];
		free(a->category);
		free(a->location);
		free(a->name);
		free(a->user);
		free(a->command);
		free(a->target);
		free(a->target_sha256);
		free(a->flags);
		release_fields(a->f, a->nf);
	}
	free(d->autoruns);
	for (size_t i = 0; i < d->ndet; i++) {
		free(d->det[i].path);
		free(d->det[i].stream);
		free(d->det[i].signature);
		free(d->det[i].sha256);
	}
	free(d->det);
	drift_release_findings(d);
	free(d->reuse_note);
	memset(d, 0, sizeof(*d));
}

void drift_release_findings(struct drift *d)
{
	for (size_t i = 0; i < d->nfindings; i++) {
		struct drift_finding *x = &d->findings[i];
		free(x->rule);
		free(x->path);
		free(x->value);
		free(x->old_severity);
		free(x->new_severity);
		free(x->old_waiver);
		free(x->new_waiver);
		free(x->message);
	}
	free(d->findings);
	d->findings = NULL;
	d->nfindings = 0;
}
