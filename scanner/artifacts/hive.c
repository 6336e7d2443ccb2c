/* hivex wants a file name: a memfd holds the hive read from the image, so
 * nothing of the evidence ever lands on the host's disks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <hivex.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

struct hive {
	hive_h *h;
	int fd;
	size_t size;   /* of the hive in the memfd, for hive_key_class's bounds */
};

int hive_open_mem(const void *data, size_t size, struct hive **out, struct hive_health *health)
{
	const unsigned char *d = data;
	struct hive *h;
	char path[64];
	int fd;

	memset(health, 0, sizeof(*health));
	if (size < 4096 || memcmp(d, "regf", 4) != 0) {
		snprintf(health->error, sizeof(health->error), "not a registry hive (%s)",
			 size < 4096 ? "shorter than a base block" : "no 'regf' signature");
		return -1;
	}
	health->seq1 = load_le32(d + 4);
	health->seq2 = load_le32(d + 8);
	health->dirty = health->seq1 != health->seq2;
	fd = memfd_create("kenshu-hive", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(health->error, sizeof(health->error), "memfd_create: %s", strerror(errno));
		return -1;
	}
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, d + off, size - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(health->error, sizeof(health->error), "memfd write: %s", strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	errno = 0;
	hive_h *hx = hivex_open(path, 0);
	if (!hx) {
		snprintf(health->error, sizeof(health->error), "damaged hive: %s",
			 errno == ENOTSUP ? "structure not valid" : strerror(errno));
		close(fd);
		return -1;
	}
	h = xmalloc(sizeof(*h));
	h->h = hx;
	h->fd = fd;
	h->size = size;
	health->opened = true;
	*out = h;
	return 0;
}

bool hive_health_incomplete(const struct hive_health *h)
{
	return !h->opened || (h->dirty && (h->log1 || h->log2));
}

void hive_close(struct hive *h)
{
	if (!h)
		return;
	hivex_close(h->h);
	close(h->fd);
	free(h);
}

size_t hive_key(struct hive *h, const char *path)
{
	size_t node = hivex_root(h->h);
	char *copy = xstrdup(path), *save = NULL;

	for (char *part = strtok_r(copy, "\\", &save); part && node; part = strtok_r(NULL, "\\", &save))
		node = hivex_node_get_child(h->h, node, part);
	free(copy);
	return node;
}

size_t hive_child(struct hive *h, size_t node, const char *name)
{
	return node ? hivex_node_get_child(h->h, node, name) : 0;
}

size_t *hive_subkeys(struct hive *h, size_t node, size_t *n)
{
	hive_node_h *c = hivex_node_children(h->h, node);
	size_t k = 0;

	if (!c) {
		*n = 0;
		return NULL;
	}
	while (c[k])
		k++;
	*n = k;
	return c;
}

char *hive_key_name(struct hive *h, size_t node)
{
	return hivex_node_name(h->h, node);
}

char *hive_string(struct hive *h, size_t node, const char *value)
{
	hive_value_h v;
	hive_type t;
	size_t len;

	if (!node)
		return NULL;
	v = hivex_node_get_value(h->h, node, value);
	if (!v || hivex_value_type(h->h, v, &t, &len) < 0)
		return NULL;
	if (t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ)
		return hivex_value_string(h->h, v);
	if (t == hive_t_REG_DWORD && len == 4)
		return xasprintf("%u", (uint32_t)hivex_value_dword(h->h, v));
	return NULL;
}

int hive_dword(struct hive *h, size_t node, const char *value, uint32_t *out)
{
	hive_value_h v;
	hive_type t;
	size_t len;

	if (!node)
		return -1;
	v = hivex_node_get_value(h->h, node, value);
	if (!v || hivex_value_type(h->h, v, &t, &len) < 0)
		return -1;
	if (t == hive_t_REG_DWORD && len == 4) {
		*out = (uint32_t)hivex_value_dword(h->h, v);
		return 0;
	}
	if (t == hive_t_REG_SZ) {
		char *s = hivex_value_string(h->h, v), *end;
		unsigned long n;
		int rc = -1;

		if (s && *s) {
			errno = 0;
			n = strtoul(s, &end, 0);
			if (!errno && !*end && n <= UINT32_MAX) {
				*out = (uint32_t)n;
				rc = 0;
			}
		}
		free(s);
		return rc;
	}
	return -1;
}

void *hive_binary(struct hive *h, size_t node, const char *value, size_t *size)
{
	hive_value_h v;
	hive_type t;
	size_t len = 0;
	char *data;

	*size = 0;
	if (!node)
		return NULL;
	v = hivex_node_get_value(h->h, node, value);
	if (!v)
		return NULL;
	data = hivex_value_value(h->h, v, &t, &len);
	if (!data) {
		/* malloc(0) may give NULL: tell an empty value from a damaged one. */
		if (hivex_value_type(h->h, v, &t, &len) == 0 && len == 0)
			return xmalloc(1);
		return NULL;
	}
	*size = len;
	return data;
}

struct hive_value *hive_values(struct hive *h, size_t node, size_t *n)
{
	hive_value_h *vals = node ? hivex_node_values(h->h, node) : NULL;
	struct hive_value *out;
	size_t k = 0, cnt = 0;

	*n = 0;
	if (!vals)
		return NULL;
	while (vals[cnt])
		cnt++;
	out = xcalloc(cnt ? cnt : 1, sizeof(*out));
	for (size_t i = 0; i < cnt; i++) {
		hive_type t;
		size_t len;
		char *name = hivex_value_key(h->h, vals[i]);

		if (!name || hivex_value_type(h->h, vals[i], &t, &len) < 0) {
			free(name);
			continue;    /* a damaged value: skip it, keep the rest */
		}
		out[k].name = name;
		out[k].type = (uint32_t)t;
		if (t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ) {
			out[k].text = hivex_value_string(h->h, vals[i]);
		} else if (t == hive_t_REG_DWORD && len == 4) {
			out[k].text = xasprintf("%u", (uint32_t)hivex_value_dword(h->h, vals[i]));
		} else if (t == hive_t_REG_MULTI_SZ) {
			char **items = hivex_value_multiple_strings(h->h, vals[i]);
			struct strbuf text = STRBUF_INIT;
			for (size_t j = 0; items && items[j]; j++) {
				if (!items[j][0])
					continue;
				if (text.len)
					strbuf_addch(&text, '\n');
				strbuf_addstr(&text, items[j]);
			}
			out[k].text = strbuf_detach(&text, NULL);
			for (size_t j = 0; items && items[j]; j++)
				free(items[j]);
			free(items);
		}
		if (!out[k].text)
			out[k].text = xstrdup("");
		k++;
	}
	free(vals);
	*n = k;
	return out;
}

void hive_values_free(struct hive_value *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].text);
	}
	free(v);
}

/* hivex 1.3 has no call for a key's class name (the SYSTEM Lsa keys keep
 * the boot key there), so the nk record is read from the hive's bytes: a
 * node handle is the nk cell's offset in the file, the class offset (from
 * the first hbin) sits at 0x30 past the cell's size field, its byte length
 * at 0x4A. Everything is bounds-checked against the hive. */
char *hive_key_class(struct hive *h, size_t node)
{
	uint8_t nk[0x50], sz[4];
	uint32_t coff;
	uint16_t clen;
	uint8_t *buf;
	char *out;

	if (!node || node > h->size || h->size - node < sizeof(nk))
		return NULL;
	if (pread(h->fd, nk, sizeof(nk), (off_t)node) != (ssize_t)sizeof(nk) || memcmp(nk + 4, "nk", 2) != 0)
		return NULL;
	coff = load_le32(nk + 4 + 0x30);
	clen = (uint16_t)(nk[4 + 0x4A] | nk[4 + 0x4B] << 8);
	if (coff == 0xFFFFFFFFu || clen == 0 || (clen & 1))
		return NULL;
	uint64_t cell = (uint64_t)coff + 0x1000;
	if (cell + 4 + clen > h->size)
		return NULL;
	if (pread(h->fd, sz, 4, (off_t)cell) != 4)
		return NULL;
	/* a used cell has a negative size that must hold the class */
	int32_t csize = (int32_t)load_le32(sz);
	if (csize >= 0 || (uint32_t)-(int64_t)csize < 4u + clen)
		return NULL;
	buf = xmalloc(clen);
	if (pread(h->fd, buf, clen, (off_t)(cell + 4)) != (ssize_t)clen) {
		free(buf);
		return NULL;
	}
	out = utf16le_to_utf8(buf, clen / 2, NULL);
	free(buf);
	return out;
}
#include <kenshu/banned.h>
