/* libguestfs, --cross-check: what its inspect_os finds on the image, as
 * facts for the windows stage to compare (os_cross_check). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <guestfs.h>

#include <kenshu/core.h>
#include <kenshu/image.h>
#include "volume_internal.h"
#include <kenshu/banned.h>

/* ---- --cross-check: libguestfs's own idea of the installed Windows ---- */

int fs_inspect_os(struct img *img, struct fs_inspection *out, struct ks_err *err)
{
	struct session *s = gfs_session_get(img, err);
	char **roots;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	pthread_mutex_lock(&s->mu);
	roots = guestfs_inspect_os(s->g);
	/* Its error handlers pushed and popped, libguestfs must still not
	 * print errors itself. */
	guestfs_set_error_handler(s->g, NULL, NULL);
	/* inspect_os unmounts every file system, also the volumes the walk
	 * listed: the workers read them later, so they are mounted again. A
	 * failure shows as read errors on their files. */
	for (size_t i = 0; i < s->nlists; i++)
		guestfs_mount_ro(s->g, s->lists[i]->dev, s->lists[i]->mnt);
	if (!roots) {
		char eb[256];
		out->failed = xstrdup(gfs_last_error(s->g, eb, sizeof(eb)));
	}
	for (size_t k = 0; roots && roots[k]; k++) {
		struct fs_inspected *g;

		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		g = &out->v[out->n++];
		g->root = roots[k];
		g->volume = gfs_volume_index(img, roots[k]);
		g->type = guestfs_inspect_get_type(s->g, roots[k]);
		g->product = guestfs_inspect_get_product_name(s->g, roots[k]);
		g->hostname = guestfs_inspect_get_hostname(s->g, roots[k]);
		g->arch = guestfs_inspect_get_arch(s->g, roots[k]);
		g->major = guestfs_inspect_get_major_version(s->g, roots[k]);
		g->minor = guestfs_inspect_get_minor_version(s->g, roots[k]);
	}
	free(roots);
	pthread_mutex_unlock(&s->mu);
	gfs_session_put(s);
	return 0;
}

void fs_inspection_release(struct fs_inspection *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i].root);
		free(in->v[i].type);
		free(in->v[i].product);
		free(in->v[i].hostname);
		free(in->v[i].arch);
	}
	free(in->v);
	free(in->failed);
	memset(in, 0, sizeof(*in));
}
