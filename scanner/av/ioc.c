/* IOC feeds: reading, checking and re-fanging each line, keeping each
 * indicator once, and writing the ClamAV databases they compile to. One
 * line is read by ioc_parse.c (av_internal.h joins the two). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kenshu/core.h>
#include <kenshu/av.h>
#include "av_internal.h"
#include <kenshu/banned.h>

#define SIG_PREFIX "Kenshu.IOC."
#define UNOFFICIAL ".UNOFFICIAL"

struct item {
	struct ioc_entry pub;
	char *orig;          /* strings: as the feed wrote it (re-fanged), one more case to match */
};

struct ioc {
	struct item *items;
	size_t n, alloc;
	struct ioc_feed *feeds;
	size_t nfeeds;
	uint32_t *slots;     /* de-duplication table: index + 1 into items, 0 = empty */
	size_t nslots;       /* a power of two, at least twice n */
};

/* The files ioc_write_databases() writes, and which indicators go where. */
static const struct {
	const char *file;
	bool hash;
} db_files[IOC_DB_FILES] = {
	{ "kenshu-ioc.hsb", true },
	{ "kenshu-ioc.ndb", false },
};

int ioc_fail(const struct ioc_pos *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_vfail_at(p->err, KS_EINPUT, p->feed, p->line, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- the set of indicators ---- */

static uint64_t key_hash(bool hash, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (hash ? 0x9e3779b97f4a7c15ull : 0);

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	/* FNV's low bits, the ones the table uses, mix poorly: finish with
	 * MurmurHash3's fmix64. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* The slot holding (hash, s), or the empty slot where it would go. */
static uint32_t *find_slot(const struct ioc *ioc, bool hash, const char *s)
{
	size_t mask = ioc->nslots - 1, i = (size_t)key_hash(hash, s) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t v = ioc->slots[i];
		if (!v)
			return &ioc->slots[i];
		const struct ioc_entry *e = &ioc->items[v - 1].pub;
		if (e->hash == hash && strcmp(e->indicator, s) == 0)
			return &ioc->slots[i];
	}
}

static void grow_slots(struct ioc *ioc)
{
	size_t old = ioc->nslots;
	uint32_t *was = ioc->slots;

	ioc->nslots = old ? old * 2 : 1024;
	ioc->slots = xcalloc(ioc->nslots, sizeof(*ioc->slots));
	for (size_t i = 0; i < old; i++)
		if (was[i]) {
			const struct ioc_entry *e = &ioc->items[was[i] - 1].pub;
			*find_slot(ioc, e->hash, e->indicator) = was[i];
		}
	free(was);
}

/* Keeps the first occurrence of an indicator; returns whether it was new. */
static bool add(struct ioc *ioc, struct ioc_feed *feed, unsigned line, const char *kind,
		const char *indicator, const char *orig, const char *name)
{
	uint32_t *slot;
	struct item *it;

	if ((ioc->n + 1) * 2 > ioc->nslots)
		grow_slots(ioc);
	slot = find_slot(ioc, feed->hash, indicator);
	if (*slot)
		return false;
	if (ioc->n == ioc->alloc) {
		ioc->alloc = ioc->alloc ? ioc->alloc * 2 : 256;
		ioc->items = xrealloc(ioc->items, ioc->alloc * sizeof(*ioc->items));
	}
	it = &ioc->items[ioc->n];
	memset(it, 0, sizeof(*it));
	it->pub.feed = feed->path;
	it->pub.line = line;
	it->pub.kind = kind;
	it->pub.indicator = xstrdup(indicator);
	it->pub.name = xstrdup_or_null(name);
	it->pub.signame = xasprintf(SIG_PREFIX "%zu", ioc->n + 1);
	it->pub.hash = feed->hash;
	it->orig = orig && strcmp(orig, indicator) != 0 ? xstrdup(orig) : NULL;
	ioc->n++;
	*slot = (uint32_t)ioc->n;
	feed->entries++;
	return true;
}

static int parse_line(struct ioc *ioc, struct ioc_feed *feed, const struct ioc_pos *p,
		      const char *raw, size_t len)
{
	char buf[IOC_MAX_LINE + 1], *line, *tok = NULL, *name = NULL, *orig = NULL;
	const char *kind = NULL;
	int rc = -1;

	if (len > IOC_MAX_LINE)
		return ioc_fail(p, "line longer than %d bytes", IOC_MAX_LINE);
	if (ioc_check_text(p, (const unsigned char *)raw, len) < 0)
		return -1;
	memcpy(buf, raw, len);
	buf[len] = '\0';
	line = str_trim(buf, " \t");
	if (!*line || ioc_is_comment(line))
		return 0;
	if (ioc_split(p, line, &tok, &name) < 0)
		return -1;
	if (feed->hash) {
		if (ioc_parse_hash(p, tok, &kind) < 0)
			return -1;
	} else if (ioc_parse_string(p, &tok, &kind, &orig) < 0) {
		goto out;
	}
	if (ioc->n >= IOC_MAX_ENTRIES && !find_slot(ioc, feed->hash, tok)[0]) {
		ioc_fail(p, "more than %u indicators in the feeds", IOC_MAX_ENTRIES);
		goto out;
	}
	add(ioc, feed, p->line, kind, tok, orig, name);
	rc = 0;
out:
	free(orig);
	return rc;
}

/* ---- feed files ---- */

/* Reads the whole file (bounded), hashing exactly the bytes parsed. */
static int read_feed(struct ioc_feed *feed, char **data, size_t *len, struct ks_err *err)
{
	struct ioc_pos p = { feed->path, 0, err };
	struct sha256 *h;
	int e;

	switch (hostfile_read(feed->path, 0, IOC_MAX_FEED_BYTES, data, len, &e)) {
	case HOSTFILE_OK:
		break;
	case HOSTFILE_ERRNO:
		return ioc_fail(&p, "cannot read: %s", strerror(e));
	case HOSTFILE_NOT_REGULAR:
		return ioc_fail(&p, "cannot read: %s", e == EISDIR ? strerror(EISDIR) : "not a regular file");
	case HOSTFILE_TOO_LARGE:
		return ioc_fail(&p, "cannot read: larger than %u MiB", IOC_MAX_FEED_BYTES >> 20);
	}
	h = sha256_new();
	sha256_update(h, *data, *len);
	sha256_final_hex(h, feed->sha256);
	sha256_free(h);
	feed->size = *len;
	return 0;
}

/* UTF-16LE text (with its BOM) as UTF-8, so that lines parse alike. */
static int from_utf16(struct ioc_feed *feed, char **data, size_t *len, struct ks_err *err)
{
	const unsigned char *u = (const unsigned char *)*data + 2;
	size_t units = (*len - 2) / 2;
	struct ioc_pos p = { feed->path, 1, err };
	bool lossy = false;
	char *text;

	if ((*len - 2) % 2) {
		p.line = 0;
		return ioc_fail(&p, "UTF-16 text with an odd number of bytes");
	}
	for (size_t i = 0; i < units; i++) {
		unsigned c = u[2 * i] | (unsigned)u[2 * i + 1] << 8;
		if (c == 0)
			return ioc_fail(&p, "NUL character: not a text file");
		p.line += c == '\n';
	}
	text = utf16le_to_utf8(u, units, &lossy);
	if (lossy) {
		free(text);
		p.line = 0;
		return ioc_fail(&p, "not valid UTF-16 text (an unpaired surrogate)");
	}
	free(*data);
	*data = text;
	*len = strlen(text);
	return 0;
}

static int load_feed(struct ioc *ioc, struct ioc_feed *feed, struct ks_err *err)
{
	struct ioc_pos p = { feed->path, 1, err };
	char *data = NULL;
	const char *s, *end;
	size_t len = 0;
	int rc = 0;

	if (read_feed(feed, &data, &len, err) < 0)
		return -1;
	s = data;
	if (len >= 2 && (unsigned char)data[0] == 0xFF && (unsigned char)data[1] == 0xFE) {
		if (from_utf16(feed, &data, &len, err) < 0) {
			free(data);
			return -1;
		}
		s = data;
	} else if (len >= 2 && (unsigned char)data[0] == 0xFE && (unsigned char)data[1] == 0xFF) {
		free(data);
		return ioc_fail(&p, "UTF-16 big-endian text: save the feed as UTF-8");
	} else if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
	}
	end = data + len;
	for (; s < end && rc == 0; p.line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		if (n && s[n - 1] == '\r')
			n--;
		rc = parse_line(ioc, feed, &p, s, n);
		s = nl ? nl + 1 : end;
	}
	free(data);
	return rc;
}

int ioc_load(const char *const *hash_lists, size_t nhash,
	     const char *const *string_lists, size_t nstring,
	     struct ioc **out, struct ks_err *err)
{
	struct ioc *ioc = xcalloc(1, sizeof(*ioc));

	*out = NULL;
	ks_err_clear(err);
	ioc->feeds = xcalloc(nhash + nstring + 1, sizeof(*ioc->feeds));
	for (size_t i = 0; i < nhash + nstring; i++) {
		struct ioc_feed *f = &ioc->feeds[ioc->nfeeds++];
		f->hash = i < nhash;
		f->path = xstrdup(f->hash ? hash_lists[i] : string_lists[i - nhash]);
		if (load_feed(ioc, f, err) < 0) {
			ioc_free(ioc);
			return -1;
		}
	}
	*out = ioc;
	return 0;
}

void ioc_free(struct ioc *ioc)
{
	if (!ioc)
		return;
	/* The public fields are const for readers; this module owns them. */
	for (size_t i = 0; i < ioc->n; i++) {
		struct item *it = &ioc->items[i];
		free((char *)it->pub.indicator);
		free((char *)it->pub.name);
		free((char *)it->pub.signame);
		free(it->orig);
	}
	for (size_t i = 0; i < ioc->nfeeds; i++)
		free((char *)ioc->feeds[i].path);
	free(ioc->items);
	free(ioc->feeds);
	free(ioc->slots);
	free(ioc);
}

size_t ioc_entry_count(const struct ioc *ioc) { return ioc ? ioc->n : 0; }
const struct ioc_entry *ioc_entry(const struct ioc *ioc, size_t i) { return i < ioc_entry_count(ioc) ? &ioc->items[i].pub : NULL; }
size_t ioc_feed_count(const struct ioc *ioc) { return ioc ? ioc->nfeeds : 0; }
const struct ioc_feed *ioc_feed(const struct ioc *ioc, size_t i) { return i < ioc_feed_count(ioc) ? &ioc->feeds[i] : NULL; }

const struct ioc_entry *ioc_lookup(const struct ioc *ioc, const char *signame)
{
	size_t pl = strlen(SIG_PREFIX), n = 0, digits = 0;
	const char *s;

	if (!ioc || !signame || strncmp(signame, SIG_PREFIX, pl) != 0)
		return NULL;
	s = signame + pl;
	if (*s == '0')
		return NULL;
	for (; *s >= '0' && *s <= '9' && digits < 10; s++, digits++)
		n = n * 10 + (size_t)(*s - '0');
	if (!digits || (*s && strcmp(s, UNOFFICIAL) != 0))
		return NULL;
	return n >= 1 && n <= ioc->n ? &ioc->items[n - 1].pub : NULL;
}

/* ---- ClamAV databases ---- */

static void put_hex(FILE *f, const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char out[256];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		out[k++] = digits[b[i] >> 4];
		out[k++] = digits[b[i] & 15];
		if (k == sizeof(out)) {
			fwrite(out, 1, k, f);
			k = 0;
		}
	}
	fwrite(out, 1, k, f);
}

/* One body signature in ASCII/UTF-8 and one in UTF-16LE. An address,
 * domain or URL must not run on into letters or digits: (W) is ClamAV's
 * "one non-alphanumeric byte, or the start or end of the data". In
 * UTF-16LE the neighbouring character is (W) and a zero byte. */
static void put_form(FILE *f, const char *signame, const char *s, bool bounded)
{
	size_t n = strlen(s);
	bool left = bounded && is_alnum((unsigned char)s[0]);
	bool right = bounded && is_alnum((unsigned char)s[n - 1]);
	uint16_t *u = NULL;
	long units;

	fprintf(f, "%s:0:*:%s", signame, left ? "(W)" : "");
	put_hex(f, (const unsigned char *)s, n);
	fprintf(f, "%s\n", right ? "(W)" : "");
	units = utf8_to_utf16le(s, &u);
	if (units > 0) {
		unsigned char *le = xmalloc((size_t)units * 2);
		for (long k = 0; k < units; k++) {
			le[2 * k] = (unsigned char)(u[k] & 0xFF);
			le[2 * k + 1] = (unsigned char)(u[k] >> 8);
		}
		fprintf(f, "%s:0:*:%s", signame, left ? "(W)00" : "");
		put_hex(f, le, (size_t)units * 2);
		fprintf(f, "%s\n", right ? "(W)00" : "");
		free(le);
	}
	free(u);
}

/* Every case form that differs: as the feed wrote it, as kept, in lower
 * and in upper case. ClamAV has no case-blind body signature; text files
 * it lower-cases before matching, so the lower-case form covers those. */
static void put_string(FILE *f, const struct item *it)
{
	const struct ioc_entry *e = &it->pub;
	bool bounded = strcmp(e->kind, "string") != 0;
	char *forms[4];
	size_t nforms = 0;

	forms[nforms++] = xstrdup(e->indicator);
	if (it->orig)
		forms[nforms++] = xstrdup(it->orig);
	forms[nforms] = xstrdup(e->indicator);
	ascii_case(forms[nforms++], false);
	forms[nforms] = xstrdup(e->indicator);
	ascii_case(forms[nforms++], true);
	for (size_t i = 0; i < nforms; i++) {
		bool dup = false;
		for (size_t k = 0; k < i && !dup; k++)
			dup = strcmp(forms[k], forms[i]) == 0;
		if (!dup)
			put_form(f, e->signame, forms[i], bounded);
	}
	for (size_t i = 0; i < nforms; i++)
		free(forms[i]);
}

int ioc_write_databases(const struct ioc *ioc, const char *dir,
			char *paths[IOC_DB_FILES], size_t *n, struct ks_err *err)
{
	*n = 0;
	for (size_t d = 0; d < IOC_DB_FILES; d++) {
		size_t count = 0;
		char *path;
		FILE *f;
		int fd;

		for (size_t i = 0; i < ioc_entry_count(ioc); i++)
			count += ioc->items[i].pub.hash == db_files[d].hash;
		if (!count)
			continue;
		path = xasprintf("%s/%s", dir, db_files[d].file);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			ks_fail(err, KS_EIO, "'%s': cannot write IOC signatures: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			free(path);
			return -1;
		}
		paths[(*n)++] = path;
		for (size_t i = 0; i < ioc->n; i++) {
			const struct item *it = &ioc->items[i];
			if (it->pub.hash != db_files[d].hash)
				continue;
			if (it->pub.hash)
				/* Any size ('*'): feeds give none. ClamAV then hashes
				 * every file, which needs functionality level 73. */
				fprintf(f, "%s:*:%s:73\n", it->pub.indicator, it->pub.signame);
			else
				put_string(f, it);
		}
		if (fflush(f) != 0 || ferror(f)) {
			int e = errno;
			fclose(f);
			return ks_fail(err, KS_EIO, "'%s': cannot write IOC signatures: %s", path, strerror(e));
		}
		if (fclose(f) != 0)
			return ks_fail(err, KS_EIO, "'%s': cannot write IOC signatures: %s", path, strerror(errno));
	}
	return 0;
}
