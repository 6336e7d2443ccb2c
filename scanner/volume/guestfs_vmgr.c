/* libguestfs, volumes inside volume managers: LVM logical volumes and
 * Windows dynamic-disk (LDM) volumes, which only the appliance can
 * assemble, listed as volumes of the image before the walk. */
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

/* ---- volumes inside volume managers ---- */

/* kenshu's index of the volume libguestfs calls dev: "/dev/sda2" is
 * partition 2, "/dev/sda" the bare volume 1, "/dev/vg/lv" the volume found
 * with that device. 0 when no volume matches. */
unsigned gfs_volume_index(struct img *img, const char *dev)
{
	static const char disk[] = "/dev/sda";
	size_t n = img_nvolumes(img);
	const char *p;
	unsigned num;

	for (size_t i = 0; i < n; i++) {
		const struct img_volume *v = img_volume(img, i);
		if (v->device[0] && !strcmp(v->device, dev))
			return v->index;
	}
	if (strncmp(dev, disk, strlen(disk)) != 0)
		return 0;
	p = dev + strlen(disk);
	if (!*p)
		return strcmp(img_scheme(img), "none") ? 0 : 1;
	if (*p < '1' || *p > '9' || p[strspn(p, "0123456789")])
		return 0;
	num = (unsigned)strtoul(p, NULL, 10);
	for (size_t i = 0; i < n; i++) {
		const struct img_volume *v = img_volume(img, i);
		if (!v->parent && v->index == num)
			return num;
	}
	return 0;
}

/* An LVM UUID without its dashes (pvuuid and vgpvuuids may differ in
 * that), cut to 32 characters. */
static void uuid_plain(char out[33], const char *in)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o < 32; i++)
		if (in[i] != '-')
			out[o++] = in[i];
	out[o] = '\0';
}

static void free_list(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

/* A container still waiting for its volumes to be listed: img_open()
 * recognised it (fs) and left it VOL_UNSUPPORTED. */
static bool pending(const struct img_volume *v, const char *fs)
{
	return !v->parent && !strcmp(v->fs, fs) && v->state == VOL_UNSUPPORTED;
}

/* What one container of the image (an LVM physical volume, a dynamic
 * disk's partition) was found to hold. */
struct held {
	char uuid[33];          /* LVM: the physical volume's UUID, "" if none */
	char group[128];        /* its volume group or disk group */
	unsigned first, last;   /* the indexes of the volumes added, 0 if none */
};

/* A volume manager whose volumes libguestfs's appliance assembles. */
struct vmgr {
	const char *fs;         /* img_volume.fs of its containers */
	const char *what;       /* a container, for people */
	const char *group;      /* what its group is called */
	const char *noun;       /* what its volumes are called */
	/* Adds the volumes to img and fills held[] for the first nvol
	 * volumes; returns how many were added, or -1 (nothing added) when
	 * they cannot be listed. Called with the session's lock held. */
	long (*discover)(guestfs_h *g, struct img *img, size_t nvol, struct held *held);
};

/* The first sectors and the size of a volume only libguestfs can read,
 * and from them what it holds. */
static void probe_device(guestfs_h *g, struct img_volume *v)
{
	int64_t size = guestfs_blockdev_getsize64(g, v->device);
	size_t got = 0;
	char *first;

	v->size = size > 0 ? (uint64_t)size : 0;
	first = guestfs_pread_device(g, v->device, v->size < 4096 ? (int)v->size : 4096, 0, &got);
	if (!first) {
		char eb[256];
		const char *e = gfs_last_error(g, eb, sizeof(eb));

		v->fs = "unknown";
		v->state = VOL_UNKNOWN;
		snprintf(v->state_reason, sizeof(v->state_reason), "cannot be read through libguestfs: %s", e);
		return;
	}
	img_volume_probe(v, first, got);
	free(first);
}

/* Appends v and records it in held[] of every container of its group. */
static void add_found(struct img *img, struct img_volume *v, const char *group, size_t nvol,
		      struct held *held)
{
	unsigned index = img_add_volume(img, v);

	for (size_t p = 0; p < nvol; p++)
		if (!strcmp(held[p].group, group)) {
			if (!held[p].first)
				held[p].first = index;
			held[p].last = index;
		}
}

/* LVM: guestfs_pvs names devices as the image's ("/dev/sda2"), where
 * pvs_full gives the appliance's own names, which change from boot to boot
 * ("/dev/sdb2" when the appliance's disk came first): the physical
 * volumes are matched to partitions through their UUIDs. */
static long discover_lvm(guestfs_h *g, struct img *img, size_t nvol, struct held *held)
{
	char **pvs = guestfs_pvs(g), **lvs = pvs ? guestfs_lvs(g) : NULL;
	size_t nlv = 0;
	long added = 0;

	if (!pvs || !lvs) {
		free_list(pvs);
		return -1;
	}
	for (size_t k = 0; pvs[k]; k++) {
		unsigned index = gfs_volume_index(img, pvs[k]);
		char *uuid = index ? guestfs_pvuuid(g, pvs[k]) : NULL;

		for (size_t p = 0; p < nvol && uuid; p++)
			if (img_volume(img, p)->index == index && pending(img_volume(img, p), "lvm2"))
				uuid_plain(held[p].uuid, uuid);
		free(uuid);
	}
	while (lvs[nlv])
		nlv++;
	/* By name: the same volume numbers on every run. */
	if (nlv > 1)
		qsort(lvs, nlv, sizeof(*lvs), str_ptr_cmp);
	for (size_t i = 0; i < nlv && added < FS_MAX_LOGICAL_VOLUMES; i++) {
		struct img_volume v;
		char vg[128], lv[128], **uuids;

		/* guestfs_lvs names them /dev/VG/LV; neither name holds a '/'. */
		if (sscanf(lvs[i], "/dev/%127[^/]/%127s", vg, lv) != 2)
			continue;
		memset(&v, 0, sizeof(v));
		v.part_type = "LVM logical volume";
		/* For people: the device carries the exact names. */
		snprintf(v.part_name, sizeof(v.part_name), "%.79s/%.79s", vg, lv);
		snprintf(v.device, sizeof(v.device), "%s", lvs[i]);
		/* Its parent is the first physical volume of its volume group
		 * in the image (a group can span several). */
		uuids = guestfs_vgpvuuids(g, vg);
		for (size_t u = 0; uuids && uuids[u]; u++) {
			char want[33];

			uuid_plain(want, uuids[u]);
			for (size_t p = 0; p < nvol; p++)
				if (held[p].uuid[0] && !strcmp(held[p].uuid, want)) {
					unsigned pv = img_volume(img, p)->index;

					snprintf(held[p].group, sizeof(held[p].group), "%s", vg);
					if (!v.parent || pv < v.parent)
						v.parent = pv;
				}
		}
		free_list(uuids);
		probe_device(g, &v);
		add_found(img, &v, vg, nvol, held);
		added++;
	}
	free_list(pvs);
	free_list(lvs);
	return added;
}

/* How each kind of dynamic-disk volume is called in the report
 * (ldmtool's names). */
static const struct {
	const char *type, *name;
} ldm_types[] = {
	{ "simple", "LDM simple volume" },
	{ "spanned", "LDM spanned volume" },
	{ "striped", "LDM striped volume" },
	{ "mirrored", "LDM mirrored volume" },
	{ "raid5", "LDM RAID-5 volume" },
};

/* Windows dynamic disks: the appliance's init assembled every volume it
 * could (ldmtool create all) as /dev/mapper/ldm_vol_GROUP_VOLUME. An
 * image is one disk: every volume of its group is held by its LDM
 * partition (the first one, should there be several). */
static long discover_ldm(guestfs_h *g, struct img *img, size_t nvol, struct held *held)
{
	char **groups = guestfs_ldmtool_scan(g), **devs = groups ? guestfs_list_ldm_volumes(g) : NULL;
	unsigned parent = 0;
	long added = 0;

	if (!groups || !devs) {
		free_list(groups);
		return -1;
	}
	for (size_t p = 0; p < nvol && !parent; p++)
		if (pending(img_volume(img, p), "ldm"))
			parent = img_volume(img, p)->index;
	for (size_t d = 0; groups[d] && added < FS_MAX_LOGICAL_VOLUMES; d++) {
		char *group = guestfs_ldmtool_diskgroup_name(g, groups[d]);
		char **vols = group ? guestfs_ldmtool_diskgroup_volumes(g, groups[d]) : NULL;
		size_t n = 0;

		for (size_t p = 0; p < nvol && group; p++)
			if (img_volume(img, p)->index == parent)
				snprintf(held[p].group, sizeof(held[p].group), "%s", group);
		while (vols && vols[n])
			n++;
		if (n > 1)
			qsort(vols, n, sizeof(*vols), str_ptr_cmp);
		for (size_t k = 0; k < n && added < FS_MAX_LOGICAL_VOLUMES; k++) {
			struct img_volume v;
			char *type = guestfs_ldmtool_volume_type(g, groups[d], vols[k]);
			bool assembled = false;

			memset(&v, 0, sizeof(v));
			v.parent = parent;
			v.part_type = "LDM volume";
			for (size_t t = 0; type && t < sizeof(ldm_types) / sizeof(ldm_types[0]); t++)
				if (!strcasecmp(type, ldm_types[t].type))
					v.part_type = ldm_types[t].name;
			free(type);
			snprintf(v.part_name, sizeof(v.part_name), "%.79s/%.79s", group, vols[k]);
			/* libldm's device-mapper name for it (ldm.c: _dm_vol_name). */
			snprintf(v.device, sizeof(v.device), "/dev/mapper/ldm_vol_%s_%s", group, vols[k]);
			for (size_t i = 0; devs[i]; i++)
				assembled |= !strcmp(devs[i], v.device);
			if (assembled) {
				probe_device(g, &v);
			} else {
				v.fs = "unknown";
				v.state = VOL_UNKNOWN;
				snprintf(v.state_reason, sizeof(v.state_reason), "libldm could not assemble it: "
					 "a disk of its disk group may be missing from the image");
			}
			add_found(img, &v, group, nvol, held);
			added++;
		}
		free_list(vols);
		free(group);
	}
	free_list(groups);
	free_list(devs);
	return added;
}

static const struct vmgr vmgrs[] = {
	{ "lvm2", "LVM physical volume", "volume group", "logical volume", discover_lvm },
	{ "ldm", "Windows dynamic disk (LDM)", "disk group", "volume", discover_ldm },
};

/* Says what each pending container of m (among the first nvol volumes)
 * holds, or why that is not known. */
static void say_held(struct img *img, const struct vmgr *m, size_t nvol, const struct held *held,
		     long added, const char *err)
{
	char why[320];

	for (size_t p = 0; p < nvol; p++) {
		const struct held *h = &held[p];
		enum vol_state st = VOL_RESERVED;

		if (!pending(img_volume(img, p), m->fs))
			continue;
		if (added < 0) {
			snprintf(why, sizeof(why), "%s: its %ss could not be listed: %.255s", m->what, m->noun, err);
			st = VOL_UNSUPPORTED;
		} else if (added >= FS_MAX_LOGICAL_VOLUMES) {
			snprintf(why, sizeof(why), "%s: holds %d %ss or more, more than kenshu reads: only "
				 "volumes %u to %u are listed", m->what, FS_MAX_LOGICAL_VOLUMES, m->noun,
				 h->first, h->last);
			st = VOL_UNSUPPORTED;
		} else if (!h->first) {
			snprintf(why, sizeof(why), "%s: no %s found in it", m->what, m->noun);
		} else if (h->first == h->last) {
			snprintf(why, sizeof(why), "%s of %s %s: its %s is listed as volume %u", m->what, m->group,
				 h->group, m->noun, h->first);
		} else {
			snprintf(why, sizeof(why), "%s of %s %s: its %ss are listed as volumes %u %s %u", m->what,
				 m->group, h->group, m->noun, h->first, h->last == h->first + 1 ? "and" : "to",
				 h->last);
		}
		img_set_volume_state(img, p, st, why);
	}
}

size_t fs_discover_volumes(struct img *img)
{
	const size_t nmgr = sizeof(vmgrs) / sizeof(vmgrs[0]);
	size_t nvol = img_nvolumes(img), total = 0;
	bool wanted[sizeof(vmgrs) / sizeof(vmgrs[0])] = { false }, any = false;
	struct session *s;
	struct ks_err err;

	for (size_t m = 0; m < nmgr; m++)
		for (size_t i = 0; i < nvol; i++)
			any |= wanted[m] |= pending(img_volume(img, i), vmgrs[m].fs);
	/* Images without a volume manager never start an appliance here. */
	if (!any)
		return 0;
	s = gfs_session_get(img, &err);
	for (size_t m = 0; m < nmgr; m++) {
		struct held *held;
		long added = -1;

		if (!wanted[m])
			continue;
		held = xcalloc(nvol, sizeof(*held));
		if (s) {
			pthread_mutex_lock(&s->mu);
			added = vmgrs[m].discover(s->g, img, nvol, held);
			if (added < 0) {
				char eb[256];
				ks_fail(&err, KS_EIO, "%s", gfs_last_error(s->g, eb, sizeof(eb)));
			}
			pthread_mutex_unlock(&s->mu);
		}
		say_held(img, &vmgrs[m], nvol, held, added, err.msg);
		total += added > 0 ? (size_t)added : 0;
		free(held);
	}
	if (s)
		gfs_session_put(s);
	return total;
}

