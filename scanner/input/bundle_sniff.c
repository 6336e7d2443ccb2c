/* Bundles, before any member is read: what a file is by its first bytes,
 * which member names are safe to use, and the caps that bound a bundle.
 * Pure functions of their arguments (and the environment), so the tests
 * reach every branch without an archive. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/input.h>
#include <kenshu/core.h>
#include <kenshu/banned.h>

/* ---- caps --------------------------------------------------------------- */

void bundle_default_caps(struct bundle_caps *c)
{
	c->max_bytes = BUNDLE_MAX_BYTES_DEFAULT;
	c->max_entries = BUNDLE_MAX_ENTRIES_DEFAULT;
	c->max_ratio = BUNDLE_MAX_RATIO_DEFAULT;
	c->ratio_min = BUNDLE_RATIO_MIN_SIZE;
	c->max_depth = BUNDLE_MAX_DEPTH_DEFAULT;
	c->mem_max = BUNDLE_MEM_MAX;
}

static int env_u64(const char *var, uint64_t min, uint64_t max, uint64_t *out, struct ks_err *err)
{
	const char *e = getenv(var);
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return 0;
	errno = 0;
	v = strtoull(e, &end, 10);
	if (errno || *end || e[0] == '-' || v < min || v > max)
		return ks_fail(err, KS_EUSAGE, "%s='%s': expected a whole number from %llu to %llu", var, e,
			       (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int bundle_caps_from_env(struct bundle_caps *c, struct ks_err *err)
{
	uint64_t depth = c->max_depth;

	if (env_u64("KENSHU_BUNDLE_MAX_BYTES", 1, UINT64_MAX, &c->max_bytes, err) < 0 ||
	    env_u64("KENSHU_BUNDLE_MAX_ENTRIES", 1, UINT64_MAX, &c->max_entries, err) < 0 ||
	    env_u64("KENSHU_BUNDLE_MAX_RATIO", 2, UINT64_MAX, &c->max_ratio, err) < 0 ||
	    env_u64("KENSHU_BUNDLE_MAX_DEPTH", 1, 16, &depth, err) < 0)
		return -1;
	c->max_depth = (unsigned)depth;
	return 0;
}

/* ---- content sniffing --------------------------------------------------- */

static bool at(const unsigned char *p, size_t n, size_t off, const char *magic, size_t len)
{
	return off + len <= n && memcmp(p + off, magic, len) == 0;
}

/* 0x55AA alone is two bytes any file can hold: a partition table also
 * needs sane entries (boot flag 0 or 0x80, at least one used slot). */
static bool plausible_mbr(const unsigned char *p, size_t n)
{
	int used = 0;

	if (!at(p, n, 510, "\x55\xaa", 2))
		return false;
	for (int i = 0; i < 4; i++) {
		const unsigned char *e = p + 446 + 16 * i;
		if (e[0] != 0x00 && e[0] != 0x80)
			return false;
		if (e[4] != 0 && load_le32(e + 12) != 0)
			used++;
		else if (e[4] != 0 || load_le32(e + 12) != 0)
			return false;
	}
	return used > 0;
}

enum bundle_content bundle_sniff(const unsigned char *head, size_t n, const unsigned char *tail,
				 size_t tn)
{
	static const struct {
		size_t off;
		const char *magic;
		size_t len;
	} images[] = {
		{ 512, "EFI PART", 8 }, { 4096, "EFI PART", 8 }, { 3, "NTFS    ", 8 },
		{ 0, "KDMV", 4 }, { 0, "# Disk DescriptorFile", 21 }, { 0, "QFI\xfb", 4 },
		{ 0, "vhdxfile", 8 }, { 0, "conectix", 8 },
	}, archives[] = {
		{ 0, "PK\x03\x04", 4 }, { 0, "PK\x05\x06", 4 }, { 0, "7z\xbc\xaf\x27\x1c", 6 },
		/* bzip2: "BZh" alone starts too much text; its first block's
		 * magic (the digits of pi) follows the level digit. */
		{ 0, "\x1f\x8b", 2 }, { 0, "\xfd" "7zXZ\0", 6 }, { 4, "1AY&SY", 6 },
		{ 0, "\x28\xb5\x2f\xfd", 4 }, { 0, "MSCF\0\0\0\0", 8 }, { 257, "ustar", 5 },
		{ 0x8001, "CD001", 5 },
	};

	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		if (at(head, n, images[i].off, images[i].magic, images[i].len))
			return BUNDLE_CONTENT_IMAGE;
	if (plausible_mbr(head, n) || (tail && at(tail, tn, 0, "conectix", 8) && tn == 512))
		return BUNDLE_CONTENT_IMAGE;
	for (size_t i = 0; i < sizeof(archives) / sizeof(archives[0]); i++)
		if (at(head, n, archives[i].off, archives[i].magic, archives[i].len))
			return BUNDLE_CONTENT_ARCHIVE;
	return BUNDLE_CONTENT_DATA;
}

bool bundle_detect(const char *path)
{
	unsigned char head[BUNDLE_HEAD_LEN], tail[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n = -1, tn = 0;

	if (fd < 0)
		return false;   /* scan_image says why, in its words */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		n = pread(fd, head, sizeof(head), 0);
		if (st.st_size >= 512)
			tn = pread(fd, tail, sizeof(tail), st.st_size - 512);
	}
	close(fd);
	return n > 0 && bundle_sniff(head, (size_t)n, tail, tn == 512 ? 512 : 0) ==
			BUNDLE_CONTENT_ARCHIVE;
}

/* ---- names and caps ----------------------------------------------------- */

const char *bundle_name_problem(const char *name)
{
	size_t len = strlen(name);
	const char *p = name;

	if (len == 0)
		return "empty name: not extracted";
	if (len > 4096)
		return "name longer than 4096 bytes: not extracted";
	if (name[0] == '/' || name[0] == '\\' || (len >= 2 && name[1] == ':'))
		return "absolute path: would be written outside the extraction directory, not extracted";
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return "control character in the name: not extracted";
	while (*p) {
		size_t seg = strcspn(p, "/\\");
		if (seg == 2 && p[0] == '.' && p[1] == '.')
			return "'..' in the path: would be written outside the extraction directory, not extracted";
		p += seg;
		if (*p)
			p++;
	}
	return NULL;
}

char *bundle_safe_component(const char *member_path)
{
	size_t n = strlen(member_path), o = 0;
	char *s = xmalloc((n > 200 ? 200 : n) + 2);

	for (size_t i = 0; i < n && o < 200; i++) {
		char c = member_path[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '-' || c == '_' || (c == '.' && o > 0);
		s[o++] = ok ? c : '_';
	}
	if (o == 0)
		s[o++] = '_';
	s[o] = '\0';
	return s;
}

bool bundle_within(uint64_t used, uint64_t add, uint64_t max)
{
	return used <= max && add <= max - used;
}

bool bundle_ratio_exceeded(uint64_t out, uint64_t in, const struct bundle_caps *c)
{
	if (out <= c->ratio_min)
		return false;
	/* out / in > ratio without dividing by a zero "in": some formats
	 * decompress a whole block before the first byte is counted. */
	return in == 0 || out / in > c->max_ratio;
}
