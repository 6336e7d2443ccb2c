/* --cross-check: libguestfs's own idea of the installed Windows (its
 * inspect_os, volume.h) against kenshu's reading of the same hives. The
 * volume stage only reports what libguestfs says; judging agreement is
 * about what an installation says, so it lives here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/windows.h>
#include <kenshu/banned.h>

static bool arch_same(const char *guestfs_arch, const char *windows_arch)
{
	static const struct {
		const char *g, *w;
	} map[] = { { "x86_64", "AMD64" }, { "i386", "x86" }, { "aarch64", "ARM64" } };

	if (!guestfs_arch || !windows_arch)
		return true;   /* nothing to compare */
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(guestfs_arch, map[i].g))
			return !strcasecmp(windows_arch, map[i].w);
	return true;
}

static void compare(const struct fs_inspected *g, struct os_info *os)
{
	char diff[512] = "";
	size_t o = 0;

	if (g->product && os->product_name && strcmp(g->product, os->product_name) != 0)
		o += (size_t)snprintf(diff + o, sizeof(diff) - o, "%sproduct '%s' (kenshu: '%s')", o ? ", " : "",
				      g->product, os->product_name);
	/* libguestfs reads CurrentMajor/MinorVersionNumber too since 1.40. */
	if (g->major >= 0 && os->major && ((uint32_t)g->major != os->major || (uint32_t)g->minor != os->minor) &&
	    o < sizeof(diff))
		o += (size_t)snprintf(diff + o, sizeof(diff) - o, "%sversion %d.%d (kenshu: %u.%u)", o ? ", " : "",
				      g->major, g->minor, os->major, os->minor);
	if (g->hostname && *g->hostname && strcmp(g->hostname, "unknown") && os->hostname &&
	    strcasecmp(g->hostname, os->hostname) && o < sizeof(diff))
		o += (size_t)snprintf(diff + o, sizeof(diff) - o, "%shost name '%s' (kenshu: '%s')", o ? ", " : "",
				      g->hostname, os->hostname);
	if (!arch_same(g->arch, os->architecture) && o < sizeof(diff))
		o += (size_t)snprintf(diff + o, sizeof(diff) - o, "%sarchitecture %s (kenshu: %s)", o ? ", " : "",
				      g->arch, os->architecture);
	free(os->cross_check);
	if (o) {
		os->cross_check = xasprintf("differs: %s", diff);
		os->cross_check_differs = true;
	} else {
		os->cross_check = xasprintf("agrees (libguestfs: %s %d.%d, host %s, %s)",
					    g->product ? g->product : "?", g->major, g->minor,
					    g->hostname ? g->hostname : "?", g->arch ? g->arch : "?");
	}
}

char *os_cross_check(struct os_info *os, size_t nos, const struct fs_inspection *in)
{
	char extra[512] = "";
	size_t o = 0;

	for (size_t i = 0; i < nos; i++) {
		free(os[i].cross_check);
		os[i].cross_check = xstrdup("not found as an operating system by libguestfs");
	}
	if (in->failed)
		o += (size_t)snprintf(extra, sizeof(extra), "libguestfs's inspection failed: %s", in->failed);
	for (size_t k = 0; k < in->n; k++) {
		const struct fs_inspected *g = &in->v[k];
		bool matched = false;

		for (size_t i = 0; i < nos; i++)
			if (g->volume && os[i].volume == g->volume) {
				compare(g, &os[i]);
				matched = true;
			}
		if (!matched && o < sizeof(extra))
			o += (size_t)snprintf(extra + o, sizeof(extra) - o, "%slibguestfs also found %s on %s",
					      o ? "; " : "", g->type ? g->type : "an operating system", g->root);
	}
	return o ? xstrdup(extra) : NULL;
}
