/* Bundles: vendor delivery archives read with libarchive, one member at a
 * time, as a stream. A member is held in memory or spilled into a private
 * directory under a generated name (O_EXCL|O_NOFOLLOW, mode 0600), so no
 * name from the archive is ever used on the host; the checks on names
 * still decide what is reported as not scanned. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>

#include <kenshu/input.h>
#include <kenshu/core.h>
#include <kenshu/report.h>
#include <kenshu/rules.h>
#include "input_internal.h"
#include <kenshu/banned.h>

#define BLOCK (64u << 10)

/* ---- the report --------------------------------------------------------- */

const char *bundle_kind_name(enum bundle_kind k)
{
	switch (k) {
	case BUNDLE_IMAGE: return "image";
	case BUNDLE_FILE: return "file";
	case BUNDLE_NESTED: return "bundle";
	case BUNDLE_SKIPPED: return "skipped";
	}
	return "unknown";
}

const char *bundle_verdict_name(int exit_code)
{
	switch (exit_code) {
	case EXIT_PASS: return "PASS";
	case EXIT_FAIL: return "FAIL";
	case EXIT_REVIEW: return "REVIEW";
	}
	return "ERROR";
}

static void member_release(struct bundle_member *m)
{
	free(m->path);
	free(m->format);
	for (size_t i = 0; i < m->ndet; i++)
		free(m->detections[i]);
	free(m->detections);
	for (size_t i = 0; i < m->nyara; i++)
		free(m->yara[i]);
	free(m->yara);
	free(m->reason);
	free(m->verdict_reason);
	free(m->report_dir);
}

void bundle_report_release(struct bundle_report *br)
{
	rep_engine_release(&br->engine);
	for (size_t i = 0; i < br->nm; i++)
		member_release(&br->m[i]);
	free(br->m);
	free(br->path);
	free(br->host);
	case_meta_release(&br->meta);
	free(br->format);
	free(br->incomplete);
	free(br->verdict_reason);
	memset(br, 0, sizeof(*br));
}

/* ---- reading ------------------------------------------------------------ */

struct ctx {
	const struct av *av;
	const struct scan_opts *so;
	const struct bundle_caps *caps;
	const char *outdir;
	const struct image_sink *sink;
	const char *bundle_path;
	char *tmpdir;
	unsigned seq;
	bool stop;               /* a cap over the whole bundle was reached */
	struct bundle_report *br;
	struct bundle_yara *yara; /* the profile's rule sets, NULL when none */
};

/* A member's bytes as read so far: in memory until mem_max, then in a
 * spill file; the head and the last 512 bytes decide what it is. */
struct data {
	unsigned char *buf;
	size_t len, alloc;
	int fd;
	char *spill;
	uint64_t size;
	unsigned char head[BUNDLE_HEAD_LEN];
	size_t headn;
	unsigned char tail[512];
	bool image;              /* decided from the head: spill sparsely, no ratio check */
	struct sha256 *h;
};

static struct bundle_member *add_member(struct ctx *c, const char *path, enum bundle_kind kind)
{
	struct bundle_report *br = c->br;
	struct bundle_member *m;

	br->m = xrealloc(br->m, (br->nm + 1) * sizeof(*br->m));
	m = &br->m[br->nm++];
	memset(m, 0, sizeof(*m));
	m->path = xstrdup(path);
	m->kind = kind;
	m->exit_code = EXIT_PASS;
	return m;
}

static void skip_member(struct ctx *c, const char *path, uint64_t size, const char *reason)
{
	struct bundle_member *m = add_member(c, path, BUNDLE_SKIPPED);

	m->size = size;
	m->reason = xstrdup(reason);
	m->exit_code = EXIT_REVIEW;
}

/* Takes over why. */
static void set_incomplete(struct ctx *c, char *why)
{
	if (c->br->incomplete)
		free(why);   /* the first cause is the one that stopped the reading */
	else
		c->br->incomplete = why;
}

static const char *la_error(struct archive *a, const char *otherwise)
{
	return archive_error_string(a) ? archive_error_string(a) : otherwise;
}

static void data_release(struct data *d)
{
	free(d->buf);
	if (d->fd >= 0)
		close(d->fd);
	if (d->spill) {
		unlink(d->spill);
		free(d->spill);
	}
	sha256_free(d->h);
}

static int spill_open(struct ctx *c, struct data *d)
{
	d->spill = xasprintf("%s/m%u", c->tmpdir, ++c->seq);
	d->fd = open(d->spill, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d->fd < 0) {
		free(d->spill);
		d->spill = NULL;
		return -1;
	}
	return 0;
}

/* Zero blocks become holes: empty disk space costs no host disk, so an
 * image of mostly nothing needs no ratio limit, only the byte cap. */
static int spill_write(struct data *d, const unsigned char *p, size_t n)
{
	if (n >= 4096 && mem_is_zero(p, n))
		return lseek(d->fd, (off_t)n, SEEK_CUR) < 0 ? -1 : 0;
	while (n) {
		ssize_t w = write(d->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int to_spill(struct ctx *c, struct data *d)
{
	if (spill_open(c, d) < 0 || spill_write(d, d->buf, d->len) < 0)
		return -1;
	free(d->buf);
	d->buf = NULL;
	d->len = d->alloc = 0;
	return 0;
}

static int data_add(struct ctx *c, struct data *d, const unsigned char *p, size_t n)
{
	size_t h = d->headn < sizeof(d->head) ? sizeof(d->head) - d->headn : 0;

	if (n == 0)
		return 0;   /* libarchive may hand out an empty block with no buffer */
	if (h > n)
		h = n;
	memcpy(d->head + d->headn, p, h);
	d->headn += h;
	if (n >= 512) {
		memcpy(d->tail, p + n - 512, 512);
	} else {
		memmove(d->tail, d->tail + n, 512 - n);
		memcpy(d->tail + 512 - n, p, n);
	}
	sha256_update(d->h, p, n);
	d->size += n;
	if (d->fd < 0 && (d->image || d->len + n > c->caps->mem_max) && to_spill(c, d) < 0)
		return -1;
	if (d->fd >= 0)
		return spill_write(d, p, n);
	if (d->len + n > d->alloc) {
		d->alloc = d->alloc ? d->alloc * 2 : BLOCK;
		while (d->alloc < d->len + n)
			d->alloc *= 2;
		d->buf = xrealloc(d->buf, d->alloc);
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return 0;
}

static int data_zeros(struct ctx *c, struct data *d, uint64_t n)
{
	static const unsigned char zero[BLOCK];

	while (n) {
		size_t k = n < sizeof(zero) ? (size_t)n : sizeof(zero);
		if (data_add(c, d, zero, k) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* Reads the current member whole. Returns 0, or -1 with *why set (the
 * member is then not scanned); *fatal when the archive cannot go on. */
static int read_member(struct ctx *c, struct archive *a, struct data *d, const char **why,
		       char **why_owned, bool *fatal)
{
	int64_t in0 = archive_filter_bytes(a, -1);

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			*fatal = r == ARCHIVE_FATAL;
			*why_owned = xasprintf("read error: %s", archive_error_string(a) ?
					       archive_error_string(a) : "damaged data");
			return -1;
		}
		/* A sparse tar member skips ahead: the gap reads as zeros. */
		uint64_t gap = off > 0 && (uint64_t)off > d->size ? (uint64_t)off - d->size : 0;
		if (!bundle_within(c->br->bytes, gap + len, c->caps->max_bytes)) {
			*why = "the cap on bytes extracted from one bundle was reached: not read to its end";
			*fatal = true;
			c->stop = true;
			set_incomplete(c, xstrdup("the cap on bytes extracted from one bundle was reached: "
						  "the rest of the bundle was not read"));
			return -1;
		}
		c->br->bytes += gap + len;
		if ((gap && data_zeros(c, d, gap) < 0) || data_add(c, d, buf, len) < 0) {
			*why_owned = xasprintf("cannot write to the temporary directory: %s", strerror(errno));
			*fatal = true;
			return -1;
		}
		if (!d->image && d->headn >= 1024 && d->size - len < 1024)
			d->image = bundle_sniff(d->head, d->headn, NULL, 0) == BUNDLE_CONTENT_IMAGE;
		if (!d->image && bundle_ratio_exceeded(d->size, (uint64_t)(archive_filter_bytes(a, -1) - in0),
							c->caps)) {
			*why_owned = xasprintf("compression ratio over %llu:1: a decompression bomb? not read "
					       "past %llu bytes", (unsigned long long)c->caps->max_ratio,
					       (unsigned long long)d->size);
			return -1;
		}
	}
	if (d->fd >= 0 && ftruncate(d->fd, (off_t)d->size) < 0) {
		*why_owned = xasprintf("cannot write to the temporary directory: %s", strerror(errno));
		*fatal = true;
		return -1;
	}
	return 0;
}

static void add_detections(struct bundle_member *m, const struct av_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct av_match *x = &res->m[i];
		if (x->kind == AV_DETECTION) {
			m->detections = xrealloc(m->detections, (m->ndet + 1) * sizeof(*m->detections));
			m->detections[m->ndet++] = xstrdup(x->name);
			m->exit_code = EXIT_FAIL;
		} else if (x->kind == AV_MACROS) {
			continue;   /* a fact about a document, not a gap in the scan */
		} else if (!m->reason) {
			m->reason = xasprintf("not fully scanned: %s (%s)",
					      x->kind == AV_LIMIT ? "a ClamAV scan limit was reached" :
					      "encrypted content", x->name);
		}
	}
	if (!m->reason && res->error)
		m->reason = xasprintf("not scanned: %s", res->error);
	if (!m->reason && res->engine_error)
		m->reason = xasprintf("not fully scanned: libclamav reported an error (%s)", res->engine_error);
	if (m->reason)
		m->exit_code = exit_code_combine(m->exit_code, EXIT_REVIEW);
}

static void av_member(struct ctx *c, struct data *d, struct bundle_member *m)
{
	struct av_result res;
	const char *base = path_base(m->path);

	if (d->fd >= 0)
		av_scan_fd(c->av, d->fd, d->size, base, &res);
	else
		av_scan_memory(c->av, d->buf, d->size, base, &res);
	add_detections(m, &res);
	av_result_release(&res);
	bundle_yara_member(c->yara, d->fd >= 0 ? NULL : d->buf, d->fd, d->size, m);
}

static char *unique_dir(struct ctx *c, const char *member_path)
{
	char *base = bundle_safe_component(member_path), *name = xstrdup(base);
	unsigned dup = 1;

	for (;;) {
		bool taken = !strcmp(name, "bundle.json") || !strcmp(name, "bundle.txt");
		for (size_t i = 0; i < c->br->nm && !taken; i++)
			taken = c->br->m[i].report_dir && !strcmp(c->br->m[i].report_dir, name);
		if (!taken)
			break;
		free(name);
		name = xasprintf("%s.%u", base, ++dup);
	}
	free(base);
	return name;
}

static void image_member(struct ctx *c, struct data *d, struct bundle_member *m)
{
	struct report r;
	char *dir;

	m->kind = BUNDLE_IMAGE;
	if (d->fd < 0 && to_spill(c, d) < 0) {
		m->reason = xasprintf("not scanned: cannot write to the temporary directory: %s", strerror(errno));
		m->exit_code = EXIT_ERROR;
		return;
	}
	struct ks_err err;
	if (scan_image(d->spill, c->av, c->so, &r, &err) < 0) {
		/* The message names the spill file, a name of ours: the member
		 * is what the reader knows. */
		char *spill = xasprintf("'%s': ", d->spill);
		const char *why = strncmp(err.msg, spill, strlen(spill)) ? err.msg : err.msg + strlen(spill);
		char *said = xstrdup(why);
		m->reason = xasprintf("could not be scanned: %s", said);
		m->exit_code = EXIT_ERROR;
		ks_fail(&err, err.code, "'%s/%s': %s", c->bundle_path, m->path, said);
		free(said);
		c->sink->failed(c->sink->ctx, &err);
		free(spill);
		return;
	}
	free(r.image_path);
	r.image_path = xasprintf("%s/%s", c->bundle_path, m->path);
	m->report_dir = unique_dir(c, m->path);
	dir = xasprintf("%s/%s", c->outdir, m->report_dir);
	/* The sink releases r; what the bundle report keeps is copied first. */
	char *verdict_reason = xstrdup(r.verdict_reason ? r.verdict_reason : "");
	m->exit_code = c->sink->save(c->sink->ctx, &r, dir, &err);
	if (m->exit_code == EXIT_ERROR) {
		m->reason = xstrdup("could not be scanned: its report could not be written");
		c->sink->failed(c->sink->ctx, &err);
		free(verdict_reason);
	} else {
		m->verdict_reason = verdict_reason;
	}
	free(dir);
}

static int read_archive(struct ctx *c, struct archive *a, const char *prefix, unsigned depth,
			char **format);

static struct archive *archive_new(void)
{
	struct archive *a = archive_read_new();

	/* Never format_all: mtree would open host files named inside it.
	 * Filters by library only, none that runs an external program. */
	archive_read_support_format_zip(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_raw(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
	return a;
}

static void nested_member(struct ctx *c, struct data *d, struct bundle_member *m, unsigned depth)
{
	struct archive *a;
	int r;

	/* ClamAV sees it whole too: a hash signature of the archive itself,
	 * or a format it knows better (an Office document is a zip). */
	av_member(c, d, m);
	if (depth >= c->caps->max_depth) {
		m->kind = BUNDLE_SKIPPED;
		free(m->reason);
		m->reason = xasprintf("a bundle nested deeper than %u levels: its members were not opened "
				      "(ClamAV scanned it whole)", c->caps->max_depth);
		m->exit_code = exit_code_combine(m->exit_code, EXIT_REVIEW);
		return;
	}
	m->kind = BUNDLE_NESTED;
	a = archive_new();
	r = d->fd >= 0 ? archive_read_open_filename(a, d->spill, BLOCK)
		       : archive_read_open_memory(a, d->buf, d->len);
	if (r == ARCHIVE_OK) {
		size_t self = (size_t)(m - c->br->m);
		char *fmt = NULL, *prefix = xstrdup(m->path);

		r = read_archive(c, a, prefix, depth + 1, &fmt) < 0 ? ARCHIVE_FATAL : ARCHIVE_OK;
		free(prefix);
		m = &c->br->m[self];   /* read_archive grew the array */
		m->format = fmt ? fmt : xstrdup("unknown");
	}
	if (r != ARCHIVE_OK) {
		if (!m->reason)
			m->reason = xasprintf("damaged bundle: %s", la_error(a, "no member could be read"));
		m->exit_code = exit_code_combine(m->exit_code, EXIT_REVIEW);
	}
	archive_read_free(a);
}

static char *format_of(struct archive *a)
{
	const char *f;
	const char *filter = archive_filter_count(a) > 1 ? archive_filter_name(a, 0) : NULL;

	switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_ZIP: f = "zip"; break;
	case ARCHIVE_FORMAT_7ZIP: f = "7z"; break;
	case ARCHIVE_FORMAT_TAR: f = "tar"; break;
	case ARCHIVE_FORMAT_ISO9660: f = "iso9660"; break;
	case ARCHIVE_FORMAT_CAB: f = "cab"; break;
	case ARCHIVE_FORMAT_RAW: f = NULL; break;
	default: f = "unknown"; break;
	}
	if (!f)
		return xstrdup(filter ? filter : "raw");
	return filter ? xasprintf("%s+%s", f, filter) : xstrdup(f);
}

/* The one member of a compressed single file: its name without the
 * compression suffix (disk.img.xz holds disk.img). */
static char *raw_member_name(const char *container)
{
	static const char *const sfx[] = { ".gz", ".xz", ".bz2", ".zst", ".lzma", ".tgz", ".txz" };
	const char *base = strrchr(container, '/');
	size_t n;

	base = base ? base + 1 : container;
	n = strlen(base);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t k = strlen(sfx[i]);
		if (n > k && !strcmp(base + n - k, sfx[i]))
			return xstrndup(base, n - k);
	}
	return xstrdup("data");
}

static void one_member(struct ctx *c, struct archive *a, struct archive_entry *e, const char *full,
		       unsigned depth, bool *fatal)
{
	struct data d = { .fd = -1 };
	const char *why = NULL;
	char *why_owned = NULL;
	uint64_t size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0 ?
			(uint64_t)archive_entry_size(e) : 0;

	d.h = sha256_new();
	if (read_member(c, a, &d, &why, &why_owned, fatal) < 0) {
		skip_member(c, full, size ? size : d.size, why_owned ? why_owned : why);
		free(why_owned);
		data_release(&d);
		return;
	}
	struct bundle_member *m = add_member(c, full, BUNDLE_FILE);
	m->size = d.size;
	sha256_final_hex(d.h, m->sha256);
	switch (bundle_sniff(d.head, d.headn, d.size >= 512 ? d.tail : NULL, d.size >= 512 ? 512 : 0)) {
	case BUNDLE_CONTENT_IMAGE:
		image_member(c, &d, m);
		break;
	case BUNDLE_CONTENT_ARCHIVE:
		nested_member(c, &d, m, depth);
		break;
	case BUNDLE_CONTENT_DATA:
		av_member(c, &d, m);
		break;
	}
	data_release(&d);
}

/* Reads every member of a; prefix is the nested bundle's path ("" at the
 * top). Returns 0, or -1 when not even one header could be read. */
static int read_archive(struct ctx *c, struct archive *a, const char *prefix, unsigned depth,
			char **format)
{
	struct archive_entry *e;
	size_t headers = 0;

	while (!c->stop) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			if (headers == 0)
				return -1;
			set_incomplete(c, xasprintf("damaged: %s: the members after it could not be read",
						    la_error(a, "unreadable header")));
			break;
		}
		if (headers++ == 0)
			*format = format_of(a);
		/* A plain file read as "raw" is no bundle: the caller sniffed
		 * it as one, so say what it is rather than list it as a member. */
		if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_RAW &&
		    archive_filter_count(a) <= 1) {
			archive_set_error(a, EINVAL, "not an archive format kenshu opens");
			free(*format);
			*format = NULL;
			return -1;
		}
		if (!bundle_within(c->br->entries, 1, c->caps->max_entries)) {
			set_incomplete(c, xasprintf("more than %llu members: the rest of the bundle was not read",
						    (unsigned long long)c->caps->max_entries));
			c->stop = true;
			break;
		}
		c->br->entries++;

		const char *name = archive_entry_pathname_utf8(e);
		char *raw = NULL, *full;
		if (!name)
			name = archive_entry_pathname(e);
		if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_RAW)
			name = raw = raw_member_name(prefix[0] ? prefix : c->bundle_path);
		if (!name)
			name = "";
		full = prefix[0] ? xasprintf("%s/%s", prefix, name) : xstrdup(name);

		mode_t type = archive_entry_filetype(e);
		uint64_t size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0 ?
				(uint64_t)archive_entry_size(e) : 0;
		const char *problem = bundle_name_problem(name);
		bool fatal = false;

		if (type == AE_IFDIR && !problem) {
			/* Directories hold no content of their own. */
		} else if (archive_entry_hardlink(e)) {
			char *why = xasprintf("hard link to '%s': not followed", archive_entry_hardlink(e));
			skip_member(c, full, size, why);
			free(why);
		} else if (type == AE_IFLNK) {
			const char *t = archive_entry_symlink(e);
			char *why = xasprintf("symbolic link to '%s': never followed", t ? t : "");
			skip_member(c, full, size, why);
			free(why);
		} else if (problem) {
			skip_member(c, full, size, problem);
		} else if (type != AE_IFREG && type != 0) {
			skip_member(c, full, size, "device, FIFO or socket: not a file, not read");
		} else if (archive_entry_is_data_encrypted(e) || archive_entry_is_metadata_encrypted(e)) {
			skip_member(c, full, size, "encrypted: contents cannot be read without the password");
		} else {
			one_member(c, a, e, full, depth, &fatal);
		}
		free(full);
		free(raw);
		if (fatal) {
			set_incomplete(c, xasprintf("damaged: %s: the rest of the bundle could not be read",
						    la_error(a, "read error")));
			break;
		}
	}
	return 0;
}


/* The verdict: the worst member's, and at least REVIEW when anything was
 * not read or nothing was there to scan. */
static void decide(struct bundle_report *br)
{
	size_t det = 0, yara = 0, err = 0, skipped = 0, review = 0;
	char reason[512] = "";
	size_t o = 0;

	br->exit_code = EXIT_PASS;
	for (size_t i = 0; i < br->nm; i++) {
		const struct bundle_member *m = &br->m[i];
		br->exit_code = exit_code_combine(br->exit_code, m->exit_code);
		det += m->ndet ? 1 : 0;
		yara += m->nyara ? 1 : 0;
		err += m->exit_code == EXIT_ERROR;
		skipped += m->reason != NULL && m->exit_code != EXIT_ERROR;
		review += m->kind == BUNDLE_IMAGE && m->exit_code == EXIT_REVIEW;
	}
	if (br->incomplete || br->nm == 0)
		br->exit_code = exit_code_combine(br->exit_code, EXIT_REVIEW);
#define SAY(...) (o += (size_t)snprintf(reason + o, o < sizeof(reason) ? sizeof(reason) - o : 0, __VA_ARGS__))
	if (det)
		SAY("%smalware detected in %zu member%s", o ? "; " : "", det, det == 1 ? "" : "s");
	if (yara)
		SAY("%sYARA rules matched %zu member%s", o ? "; " : "", yara, yara == 1 ? "" : "s");
	if (err)
		SAY("%s%zu image%s could not be scanned", o ? "; " : "", err, err == 1 ? "" : "s");
	if (skipped)
		SAY("%s%zu member%s not fully scanned", o ? "; " : "", skipped, skipped == 1 ? "" : "s");
	if (br->incomplete)
		SAY("%sthe bundle was not read completely", o ? "; " : "");
	if (br->nm == 0)
		SAY("%sthe bundle holds nothing to scan", o ? "; " : "");
	if (review)
		SAY("%s%zu image%s need%s review", o ? "; " : "", review, review == 1 ? "" : "s",
		    review == 1 ? "s" : "");
	if (!o)
		SAY("nothing detected, everything scanned");
#undef SAY
	br->verdict_reason = xstrdup(reason);
}

/* ClamAV on the bundle file as delivered, parsers off: a hash signature
 * of the archive itself (a CERT's IOC for "delivery.zip") matches only
 * there; what it holds, the members report. A match becomes a member
 * standing for the whole bundle. */
static void scan_whole(struct ctx *c, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct av_result res;
	struct bundle_member *whole = NULL;

	if (fd < 0)
		return;   /* it was readable a moment ago; the hash check catches a change */
	av_scan_fd_outer(c->av, fd, c->br->size, path, &res);
	close(fd);
	for (size_t i = 0; i < res.n; i++) {
		const struct av_match *x = &res.m[i];
		bool known = false;

		if (x->kind != AV_DETECTION)
			continue;
		for (size_t k = 0; k < c->br->nm && !known; k++)
			for (size_t d = 0; d < c->br->m[k].ndet && !known; d++)
				known = !strcmp(c->br->m[k].detections[d], x->name);
		if (known)
			continue;
		if (!whole) {
			whole = add_member(c, "(the bundle file itself)", BUNDLE_FILE);
			whole->size = c->br->size;
			memcpy(whole->sha256, c->br->sha256_before, sizeof(whole->sha256));
		}
		whole->detections = xrealloc(whole->detections, (whole->ndet + 1) * sizeof(*whole->detections));
		whole->detections[whole->ndet++] = xstrdup(x->name);
		whole->exit_code = EXIT_FAIL;
	}
	av_result_release(&res);
}

int bundle_scan(const char *path, const struct av *av, const struct scan_opts *so,
		const struct bundle_caps *caps, const char *outdir, const struct image_sink *sink,
		struct bundle_report *br, struct ks_err *err)
{
	const char *tmp = getenv("TMPDIR");
	struct ctx c = { .av = av, .so = so, .caps = caps, .outdir = outdir, .sink = sink, .bundle_path = path,
			 .br = br };
	struct archive *a = NULL;
	struct timespec t0, t1;
	char *fmt = NULL;
	int rc = -1;

	memset(br, 0, sizeof(*br));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ks_now_iso(br->started, sizeof(br->started));
	br->path = xstrdup(path);
	br->host = report_host_name();
	case_meta_copy(&br->meta, so->meta);
	br->caps = *caps;
	scan_engine_facts(av, &br->engine);
	if (sha256_file(path, br->sha256_before, &br->size) < 0)
		return ks_fail(err, KS_EIO, "'%s': cannot read: %s", path, strerror(errno));
	c.tmpdir = xasprintf("%s/kenshu-bundle-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(c.tmpdir)) {
		ks_fail(err, KS_EIO, "'%s': cannot create temporary directory: %s", c.tmpdir, strerror(errno));
		free(c.tmpdir);
		return -1;
	}
	if (cleanup_add(c.tmpdir, true) < 0) {
		ks_fail(err, KS_EIO, "'%s': cannot register temporary directory for removal", c.tmpdir);
		goto out;
	}
	c.yara = bundle_yara_new(so->profile);
	a = archive_new();
	if (archive_read_open_filename(a, path, BLOCK) != ARCHIVE_OK ||
	    read_archive(&c, a, "", 1, &fmt) < 0 || (!fmt && br->nm == 0 && !archive_format(a))) {
		ks_fail(err, KS_EINPUT, "'%s': cannot read the bundle: %s", path,
		      archive_error_string(a) ? archive_error_string(a) : "not a readable archive");
		goto out;
	}
	br->format = fmt ? fmt : format_of(a);
	fmt = NULL;
	scan_whole(&c, path);
	if (sha256_file(path, br->sha256_after, NULL) < 0 ||
	    strcmp(br->sha256_before, br->sha256_after) != 0) {
		ks_fail(err, KS_EINPUT, "'%s': the bundle changed during the scan: results discarded", path);
		goto out;
	}
	decide(br);
	ks_now_iso(br->finished, sizeof(br->finished));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	br->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	rc = 0;
out:
	free(fmt);
	bundle_yara_free(c.yara);
	if (a)
		archive_read_free(a);
	if (cleanup_remove(c.tmpdir) < 0)
		rmdir(c.tmpdir);   /* never registered: it is still empty */
	free(c.tmpdir);
	if (rc < 0)
		bundle_report_release(br);
	return rc;
}
