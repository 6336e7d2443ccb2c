/* dethist: Defender's DetectionHistory files (layout and sources in
 * artifacts.h). Two passes: the values are cut out first, each size
 * compared with what is left as "len <= n - off" so nothing overflows;
 * then the sets between the "Magic.Version:1.2" separators are read by
 * position. A value the sources do not describe is skipped by its size:
 * only its position counts. */
#include <kenshu/artifacts.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>

#define T_U32A 0x00u
#define T_U32B 0x05u
#define T_U32C 0x06u
#define T_U64 0x08u
#define T_FILETIME 0x0Au
#define T_STRING 0x15u
#define T_GUID 0x1Eu
#define T_BINARY 0x28u
#define MAGIC "Magic.Version:1.2"

/* Threat tracking value types (a numbering of their own). */
#define TT_U32 3u
#define TT_U64 4u
#define TT_U8 5u
#define TT_WSTR 6u
#define TT_BYTES 7u
#define TT_HEADER 20u
#define TT_MAX_VALUES 4096u

struct val {
	uint32_t type;
	const uint8_t *p;
	uint32_t len;
	size_t off;
};

static const char *const categories[] = {
	"INVALID", "ADWARE", "SPYWARE", "PASSWORDSTEALER", "TROJANDOWNLOADER", "WORM", "BACKDOOR",
	"REMOTEACCESSTROJAN", "TROJAN", "EMAILFLOODER", "KEYLOGGER", "DIALER", "MONITORINGSOFTWARE",
	"BROWSERMODIFIER", "COOKIE", "BROWSERPLUGIN", "AOLEXPLOIT", "NUKER", "SECURITYDISABLER",
	"JOKEPROGRAM", "HOSTILEACTIVEXCONTROL", "SOFTWAREBUNDLER", "STEALTHNOTIFIER", "SETTINGSMODIFIER",
	"TOOLBAR", "REMOTECONTROLSOFTWARE", "TROJANFTP", "POTENTIALUNWANTEDSOFTWARE", "ICQEXPLOIT",
	"TROJANTELNET", "EXPLOIT", "FILESHARINGPROGRAM", "MALWARE_CREATION_TOOL", "REMOTE_CONTROL_SOFTWARE",
	"TOOL", NULL, "TROJAN_DENIALOFSERVICE", "TROJAN_DROPPER", "TROJAN_MASSMAILER",
	"TROJAN_MONITORINGSOFTWARE", "TROJAN_PROXYSERVER", NULL, "VIRUS", "KNOWN", "UNKNOWN", "SPP",
	"BEHAVIOR", "VULNERABILITY", "POLICY", "EUS", "RANSOM", "ASR",
};

static void damage(struct dh_record *r, const char *fmt, ...) KS_PRINTF(2, 3);
static void damage(struct dh_record *r, const char *fmt, ...)
{
	va_list ap;

	if (r->damage[0])
		return;     /* the first damage says where reading stopped */
	va_start(ap, fmt);
	vsnprintf(r->damage, sizeof(r->damage), fmt, ap);
	va_end(ap);
}

/* UTF-16LE of n bytes, cut at its first NUL unit or at DH_MAX_TEXT units;
 * without a NUL all of it is the text. */
static char *wstr(const uint8_t *p, size_t n, bool *lossy)
{
	size_t units = n / 2, k;

	if (units > DH_MAX_TEXT)
		units = DH_MAX_TEXT;
	for (k = 0; k < units; k++)
		if (!p[2 * k] && !p[2 * k + 1])
			break;
	return utf16le_to_utf8(p, k, lossy);
}

static bool is_string(const struct val *v)
{
	return v->type == T_STRING;
}

static char *str_of(const struct val *v, struct dh_record *r)
{
	return wstr(v->p, v->len, &r->lossy);
}

static bool is_magic(const struct val *v)
{
	static const char m[] = MAGIC;
	size_t n = sizeof(m) - 1;

	if (v->type != T_STRING || v->len < 2 * n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v->p[2 * i] != (uint8_t)m[i] || v->p[2 * i + 1])
			return false;
	return v->len < 2 * n + 2 || (!v->p[2 * n] && !v->p[2 * n + 1]);
}

static bool int_of(const struct val *v, uint64_t *x)
{
	if ((v->type == T_U32A || v->type == T_U32B || v->type == T_U32C) && v->len == 4)
		*x = load_le32(v->p);
	else if (v->type == T_U64 && v->len == 8)
		*x = load_le64(v->p);
	else
		return false;
	return true;
}

static bool filetime_of(const struct val *v, uint64_t *x)
{
	if (v->type != T_FILETIME || v->len != 8)
		return false;
	*x = load_le64(v->p);
	return true;
}

/* Cuts the values out of [d, d+n); *nv of them, capped. */
static struct val *split(const uint8_t *d, size_t n, size_t *nv, struct dh_record *r)
{
	struct val *v = NULL;
	size_t cap = 0, off = 0;

	*nv = 0;
	while (off < n) {
		uint32_t len, type;
		size_t step;

		if (n - off < 8) {
			damage(r, "%zu stray bytes at the end", n - off);
			break;
		}
		len = load_le32(d + off);
		type = load_le32(d + off + 4);
		if (len > n - off - 8) {
			damage(r, "the value at offset %zu runs past the end of the file", off);
			break;
		}
		if (*nv >= DH_MAX_VALUES) {
			r->truncated = true;
			break;
		}
		if (*nv == cap) {
			cap = cap ? 2 * cap : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[*nv] = (struct val){ type, d + off + 8, len, off };
		(*nv)++;
		step = 8 + (size_t)len;
		step += (8 - step % 8) % 8;
		/* the last value's padding may be cut short: the file ends there */
		off = step > n - off ? n : off + step;
	}
	return v;
}

static void hex_into(char *dst, size_t want, const char *s)
{
	size_t k;

	for (k = 0; s[k]; k++)
		if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f') || (s[k] >= 'A' && s[k] <= 'F')))
			return;
	if (k != want)
		return;
	for (k = 0; k < want; k++)
		dst[k] = (char)(s[k] >= 'A' && s[k] <= 'F' ? s[k] - 'A' + 'a' : s[k]);
	dst[want] = '\0';
}

static void tracking_value(struct dh_resource *res, const char *key, uint32_t type, const uint8_t *p, size_t n,
			   bool *lossy)
{
	if (type == TT_WSTR) {
		char *s = wstr(p, n, lossy);
		if (!strcmp(key, "ThreatTrackingSha256"))
			hex_into(res->sha256, 64, s);
		else if (!strcmp(key, "ThreatTrackingSha1"))
			hex_into(res->sha1, 40, s);
		else if (!strcmp(key, "ThreatTrackingMD5"))
			hex_into(res->md5, 32, s);
		free(s);
	} else if (type == TT_U64 && n == 8) {
		if (!strcmp(key, "ThreatTrackingSize")) {
			res->has_size = true;
			res->size = load_le64(p);
		} else if (!strcmp(key, "ThreatTrackingStartTime")) {
			res->tracking_start = load_le64(p);
		}
	}
}

/* The key/value list of a resource's threat tracking data. */
static void tracking(struct dh_resource *res, const uint8_t *p, size_t n, struct dh_record *r)
{
	size_t off, end;
	uint32_t first;

	if (n < 4)
		return;
	first = load_le32(p);
	if (first == 1) {
		if (n < TT_HEADER) {
			damage(r, "a threat tracking header is cut short (%zu bytes)", n);
			return;
		}
		off = load_le32(p + 4);
		end = load_le32(p + 12);
		if (off > n - 4) {
			damage(r, "a threat tracking header size (%zu) is past its data", off);
			return;
		}
		off += 4;
	} else {
		off = 4;
		end = first;
	}
	if (end > n)
		end = n;
	for (unsigned k = 0; off < end && k < TT_MAX_VALUES; k++) {
		uint32_t klen, type, vlen;
		char *key;

		if (end - off < 4 || (klen = load_le32(p + off)) > end - off - 4) {
			damage(r, "a threat tracking key at %zu runs past its data", off);
			return;
		}
		key = wstr(p + off + 4, klen, &r->lossy);
		off += 4 + (size_t)klen;
		if (end - off < 4) {
			free(key);
			damage(r, "a threat tracking value at %zu runs past its data", off);
			return;
		}
		type = load_le32(p + off);
		off += 4;
		switch (type) {
		case TT_U32: vlen = 4; break;
		case TT_U64: vlen = 8; break;
		case TT_U8: vlen = 1; break;
		case TT_WSTR:
		case TT_BYTES:
			if (end - off < 4) {
				vlen = UINT32_MAX;
				break;
			}
			vlen = load_le32(p + off);
			off += 4;
			break;
		default:
			free(key);
			damage(r, "a threat tracking value has the unknown type %u", type);
			return;
		}
		if (vlen > end - off) {
			free(key);
			damage(r, "a threat tracking value at %zu runs past its data", off);
			return;
		}
		tracking_value(res, key, type, p + off, vlen, &r->lossy);
		free(key);
		off += vlen;
	}
}

/* The detection's state after a resource's tracking data (v[0] is the
 * set's index 6): anchored on InitialDetectionTime, the second FILETIME. */
static void state(const struct val *v, size_t n, struct dh_record *r)
{
	uint64_t t;
	size_t i;

	if (r->initial_time || !n || !filetime_of(&v[0], &r->change_time))
		return;
	for (i = 6; i < n; i++)
		if (filetime_of(&v[i], &t))
			break;
	if (i >= n)
		return;
	r->initial_time = t;
	if (is_string(&v[i - 6]))
		r->user = str_of(&v[i - 6], r);
	if (is_string(&v[i - 4]))
		r->process = str_of(&v[i - 4], r);
	if (i + 2 < n)
		filetime_of(&v[i + 2], &r->remediation_time);
}

static void resource(const struct val *v, size_t n, struct dh_record *r)
{
	struct dh_resource *res;

	if (r->nres >= DH_MAX_RESOURCES) {
		r->truncated = true;
		return;
	}
	r->res = xrealloc(r->res, (r->nres + 1) * sizeof(*r->res));
	res = &r->res[r->nres++];
	memset(res, 0, sizeof(*res));
	res->type = n > 1 && is_string(&v[1]) ? str_of(&v[1], r) : xstrdup("");
	res->location = n > 2 && is_string(&v[2]) ? str_of(&v[2], r) : xstrdup("");
	if (n > 5 && v[5].type == T_BINARY)
		tracking(res, v[5].p, v[5].len, r);
	if (n > 6)
		state(v + 6, n - 6, r);
}

static void threat(const struct val *v, size_t n, struct dh_record *r)
{
	uint64_t c;

	if (n > 1 && is_string(&v[1])) {
		free(r->threat);
		r->threat = str_of(&v[1], r);
	}
	if (n > 4 && int_of(&v[4], &c)) {
		r->has_category = true;
		r->category = (uint32_t)c;
		r->category_name = c < sizeof(categories) / sizeof(categories[0]) ? categories[c] : NULL;
	}
}

static void guid_text(const uint8_t *g, char *out)
{
	snprintf(out, 39, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", load_le32(g), load_le16(g + 4),
		 load_le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

int dh_parse(const void *data, size_t size, struct dh_record *out, struct ks_err *err)
{
	struct val *v;
	size_t nv, start, set;

	memset(out, 0, sizeof(*out));
	v = split(data, size, &nv, out);
	if (nv < 2 || v[0].type != T_U64 || v[0].len != 8 || v[1].type != T_GUID || v[1].len != 16) {
		free(v);
		memset(out, 0, sizeof(*out));
		return ks_fail(err, KS_EINPUT, "not a Defender detection history file: it does not begin with a threat id and a GUID");
	}
	out->threat_id = load_le64(v[0].p);
	guid_text(v[1].p, out->detection_id);
	out->threat = xstrdup("");
	/* a set runs from its separator to the next; set 1 has none, and
	 * without the first separator (Server 2016) set 2 starts at [1] */
	start = 2;
	set = 2;
	if (nv > 2 && !is_magic(&v[2]))
		start = 1;
	while (start < nv) {
		size_t end = start + 1;
		while (end < nv && !is_magic(&v[end]))
			end++;
		if (set == 2)
			threat(v + start, end - start, out);
		else
			resource(v + start, end - start, out);
		set++;
		start = end;
	}
	free(v);
	return 0;
}

void dh_record_release(struct dh_record *r)
{
	for (size_t i = 0; i < r->nres; i++) {
		free(r->res[i].type);
		free(r->res[i].location);
	}
	free(r->res);
	free(r->threat);
	free(r->user);
	free(r->process);
	memset(r, 0, sizeof(*r));
}

uint64_t dh_time(const struct dh_record *r)
{
	if (r->initial_time)
		return r->initial_time;
	if (r->nres && r->res[0].tracking_start)
		return r->res[0].tracking_start;
	return r->change_time;
}

#include <kenshu/banned.h>
