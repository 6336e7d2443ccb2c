/* input's own: what bundle.c shares with the files beside it. */
#ifndef KENSHU_INPUT_INTERNAL_H
#define KENSHU_INPUT_INTERNAL_H

#include <stdint.h>

#include <kenshu/input.h>
#include <kenshu/profile.h>

/* YARA over the loose members of a bundle (bundle_yara.c): the profile's
 * rule sets, as a disk image's files get them, so that a rule matching a
 * tool delivered beside the image is not missed. NULL when the profile has
 * no [yara] rules. */
struct bundle_yara;
struct bundle_yara *bundle_yara_new(const struct profile *p);
void bundle_yara_free(struct bundle_yara *by);
/* Scans size bytes (buf, or the file fd when buf is NULL) and records the
 * matches and any gap in m. by NULL: nothing. */
void bundle_yara_member(struct bundle_yara *by, const unsigned char *buf, int fd, uint64_t size,
			struct bundle_member *m);

#endif
