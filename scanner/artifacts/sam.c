/* The SAM's account records: F (fixed: times, RID, flags, counts) and V
 * (an offset/length table, then the strings and hash entries it points
 * at), the Names keys and the Builtin aliases. Layouts as RegRipper's
 * samparse and impacket read them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

#define F_MIN       0x44    /* through the logon count; 80 bytes on every Windows */
#define V_TABLE     0xCC    /* the entries' offsets count from here */
#define V_NAME      0x0C
#define V_FULLNAME  0x18
#define V_COMMENT   0x24
#define V_NTHASH    0xA8
#define NAME_MAX_U16 1024   /* far past Windows' 20-character account names */

#define ALIAS_ADMINS "00000220"
#define ALIAS_RDP    "0000022B"

const char *sam_password_name(enum sam_password p)
{
	switch (p) {
	case SAM_PW_NONE: return "none";
	case SAM_PW_EMPTY: return "empty";
	case SAM_PW_SET: return "set";
	case SAM_PW_UNKNOWN: break;
	}
	return "unknown";
}

/* FILETIME to Unix seconds; 0 for "never" (0 and the all-ones maximum). */
static time_t filetime(const uint8_t *p)
{
	uint64_t ft = load_le64(p);

	if (ft == 0 || ft >= 0x7FFFFFFFFFFFFFFFull || ft / 10000000u < 11644473600ull)
		return 0;
	return (time_t)(ft / 10000000u - 11644473600ull);
}

int sam_parse_f(const uint8_t *p, size_t n, struct sam_account *a, struct ks_err *err)
{
	if (!p || n < F_MIN)
		return ks_fail(err, KS_EINPUT, "F is %zu bytes, %u expected at least", n, F_MIN);
	a->last_logon = filetime(p + 0x08);
	a->password_last_set = filetime(p + 0x18);
	a->account_expires = filetime(p + 0x20);
	a->acb = (uint16_t)(p[0x38] | p[0x39] << 8);
	a->logon_count = (uint16_t)(p[0x42] | p[0x43] << 8);
	a->has_f = true;
	/* the flags stay: a record carrying another RID is RID hijacking */
	if (a->rid && load_le32(p + 0x30) != a->rid)
		return ks_fail(err, KS_EINPUT, "F names RID %u, the key %u (RID hijacking?)", load_le32(p + 0x30), a->rid);
	return 0;
}

/* Entry i of V's table: its bytes inside V, or -1. */
static int v_entry(const uint8_t *p, size_t n, size_t at, const uint8_t **out, size_t *len)
{
	uint32_t off, l;

	*out = NULL;
	*len = 0;
	if (n < at + 8)
		return -1;
	off = load_le32(p + at);
	l = load_le32(p + at + 4);
	if (l == 0)
		return 0;
	if (n < V_TABLE || off > n - V_TABLE || l > n - V_TABLE - off)
		return -1;
	*out = p + V_TABLE + off;
	*len = l;
	return 0;
}

static int v_string(const uint8_t *p, size_t n, size_t at, const char *what, char **out, struct ks_err *err)
{
	const uint8_t *s;
	size_t l;

	*out = NULL;
	if (v_entry(p, n, at, &s, &l) < 0)
		return ks_fail(err, KS_EINPUT, "V's %s entry lies outside V (%zu bytes)", what, n);
	if (l & 1)
		return ks_fail(err, KS_EINPUT, "V's %s is %zu bytes: not UTF-16", what, l);
	if (l / 2 > NAME_MAX_U16)
		return ks_fail(err, KS_EINPUT, "V's %s is %zu bytes long", what, l);
	if (l)
		*out = utf16le_to_utf8(s, l / 2, NULL);
	return 0;
}

int sam_parse_v(const uint8_t *p, size_t n, struct sam_account *a, const uint8_t **nt, size_t *ntlen,
		struct ks_err *err)
{
	char *name = NULL, *full = NULL, *comment = NULL;

	*nt = NULL;
	*ntlen = 0;
	if (!p || n < V_TABLE)
		return ks_fail(err, KS_EINPUT, "V is %zu bytes, its table alone is %u", n, V_TABLE);
	if (v_string(p, n, V_NAME, "user name", &name, err) < 0 ||
	    v_string(p, n, V_FULLNAME, "full name", &full, err) < 0 ||
	    v_string(p, n, V_COMMENT, "comment", &comment, err) < 0 ||
	    (v_entry(p, n, V_NTHASH, nt, ntlen) < 0 &&
	     ks_fail(err, KS_EINPUT, "V's NT hash entry lies outside V (%zu bytes)", n) < 0)) {
		free(name);
		free(full);
		free(comment);
		return -1;
	}
	if (name && *name) {
		free(a->name);
		a->name = name;
	} else {
		free(name);
	}
	free(a->full_name);
	free(a->comment);
	a->full_name = full && *full ? full : NULL;
	a->comment = comment && *comment ? comment : NULL;
	if (a->full_name != full)
		free(full);
	if (a->comment != comment)
		free(comment);
	return 0;
}

static size_t sid_len(const uint8_t *p, size_t n)
{
	if (n < 8 || p[0] != 1 || p[1] > 15 || n < 8 + 4u * p[1])
		return 0;
	return 8 + 4u * p[1];
}

/* C: a 0x34-byte header, the member table at 0x28 (offset from 0x34) and
 * its count at 0x30; each member a SID. */
long sam_alias_members(const uint8_t *p, size_t n, const uint8_t *domain_sid, uint32_t **rids, struct ks_err *err)
{
	size_t k = 0, off;
	uint32_t count;

	*rids = NULL;
	if (!p || n < 0x34)
		return ks_fail(err, KS_EINPUT, "the alias C value is %zu bytes, its header is 52", n);
	off = load_le32(p + 0x28);
	count = load_le32(p + 0x30);
	if (count == 0)
		return 0;
	if (off > n - 0x34 || count > (n - 0x34 - off) / 12)
		return ks_fail(err, KS_EINPUT, "the alias C value lists %u members at 0x%zx: more than its %zu bytes hold",
			       count, off, n);
	*rids = xcalloc(count, sizeof(**rids));
	off += 0x34;
	for (uint32_t i = 0; i < count; i++) {
		size_t l = sid_len(p + off, n - off);
		if (!l) {
			free(*rids);
			*rids = NULL;
			return ks_fail(err, KS_EINPUT, "the alias C value's member %u is not a SID", i + 1);
		}
		/* S-1-5-21-a-b-c-RID: the machine's own accounts */
		static const uint8_t nt_auth[6] = { 0, 0, 0, 0, 0, 5 };
		if (p[off + 1] == 5 && !memcmp(p + off + 2, nt_auth, 6) && load_le32(p + off + 8) == 21 &&
		    (!domain_sid || !memcmp(p + off + 8, domain_sid + 8, 16)))
			(*rids)[k++] = load_le32(p + off + 24);
		off += l;
	}
	if (!k) {
		free(*rids);
		*rids = NULL;
	}
	return (long)k;
}

static int rid_cmp(const void *a, const void *b)
{
	const struct sam_account *x = a, *y = b;
	return x->rid < y->rid ? -1 : x->rid > y->rid;
}

const struct sam_account *sam_find(const struct sam_accounts *a, uint32_t rid)
{
	struct sam_account key = { .rid = rid };
	return a->n ? bsearch(&key, a->v, a->n, sizeof(*a->v), rid_cmp) : NULL;
}

static void note(struct sam_account *a, const char *what, const struct ks_err *e)
{
	char *old = a->note;
	a->note = xasprintf("%s%s%s: %s", old ? old : "", old ? "; " : "", what, e->msg);
	free(old);
}

static bool parse_rid(const char *s, uint32_t *rid)
{
	uint32_t v = 0;

	if (strlen(s) != 8)
		return false;
	for (const char *c = s; *c; c++) {
		unsigned d = *c >= '0' && *c <= '9' ? (unsigned)(*c - '0')
			   : *c >= 'a' && *c <= 'f' ? (unsigned)(*c - 'a' + 10)
			   : *c >= 'A' && *c <= 'F' ? (unsigned)(*c - 'A' + 10) : 16;
		if (d > 15)
			return false;
		v = v << 4 | d;
	}
	*rid = v;
	return true;
}

/* Names\<name>: the default value's type is the account's RID. */
static void names_fill(struct hive *h, size_t account, struct sam_accounts *out)
{
	size_t names = hive_child(h, account, "Users"), n = 0;
	size_t *keys;

	names = hive_child(h, names, "Names");
	keys = names ? hive_subkeys(h, names, &n) : NULL;
	for (size_t i = 0; i < n && i < SAM_MAX_ACCOUNTS; i++) {
		size_t nv = 0;
		struct hive_value *v = hive_values(h, keys[i], &nv);
		for (size_t k = 0; k < nv; k++) {
			struct sam_account *a;
			if (v[k].name[0] || !(a = (struct sam_account *)sam_find(out, v[k].type)) || a->name[0] != '(')
				continue;
			char *name = hive_key_name(h, keys[i]);
			if (name) {
				free(a->name);
				a->name = name;
			}
		}
		hive_values_free(v, nv);
	}
	free(keys);
}

static void alias_fill(struct hive *h, const char *alias, const uint8_t *domain_sid, struct sam_accounts *out,
		       bool rdp)
{
	size_t node = hive_key(h, "SAM\\Domains\\Builtin\\Aliases"), n = 0;
	uint32_t *rids = NULL;
	struct ks_err e;
	uint8_t *c;
	long k;

	node = hive_child(h, node, alias);
	c = node ? hive_binary(h, node, "C", &n) : NULL;
	if (!c)
		return;
	k = sam_alias_members(c, n, domain_sid, &rids, &e);
	for (long i = 0; i < k; i++) {
		struct sam_account *a = (struct sam_account *)sam_find(out, rids[i]);
		if (!a)
			continue;
		if (rdp)
			a->rdp = true;
		else
			a->admin = true;
	}
	free(rids);
	free(c);
}

static void read_user(struct hive *h, size_t key, const uint8_t *hbk, struct sam_account *a)
{
	struct ks_err e;
	size_t n = 0, ntlen = 0;
	const uint8_t *nt = NULL;
	uint8_t *f = hive_binary(h, key, "F", &n), *v;

	if (!f)
		ks_fail(&e, KS_EINPUT, "absent or damaged");
	if (!f || sam_parse_f(f, n, a, &e) < 0)
		note(a, "F", &e);
	free(f);
	v = hive_binary(h, key, "V", &n);
	if (!v)
		ks_fail(&e, KS_EINPUT, "absent or damaged");
	if (!v || sam_parse_v(v, n, a, &nt, &ntlen, &e) < 0) {
		note(a, "V", &e);
		a->password = SAM_PW_UNKNOWN;
	} else {
		a->password = sam_nt_password(nt, ntlen, a->rid, hbk);
	}
	free(v);
}

int sam_read(struct hive *h, const uint8_t *boot_key, struct sam_accounts *out, struct ks_err *err)
{
	size_t account = hive_key(h, "SAM\\Domains\\Account"), users, nkeys = 0;
	uint8_t hbk[16], domain_sid[24], *f, *v;
	bool have_hbk = false, have_sid = false;
	size_t n = 0;
	size_t *keys;
	struct ks_err e;

	memset(out, 0, sizeof(*out));
	users = hive_child(h, account, "Users");
	if (!users)
		return ks_fail(err, KS_EINPUT, "SAM\\Domains\\Account\\Users absent");
	if (boot_key) {
		f = hive_binary(h, account, "F", &n);
		if (!f)
			out->key_note = xstrdup("SAM\\Domains\\Account\\F absent or damaged");
		else if (sam_hashed_boot_key(f, n, boot_key, hbk, &e) < 0)
			out->key_note = xstrdup(e.msg);
		else
			have_hbk = true;
		free(f);
	}
	/* the machine's SID closes the Account V value */
	v = hive_binary(h, account, "V", &n);
	if (v && n >= 24 && sid_len(v + n - 24, 24) == 24 && v[n - 23] == 4 && load_le32(v + n - 16) == 21) {
		memcpy(domain_sid, v + n - 24, 24);
		have_sid = true;
	}
	free(v);

	keys = hive_subkeys(h, users, &nkeys);
	out->v = xcalloc(nkeys ? nkeys : 1, sizeof(*out->v));
	for (size_t i = 0; i < nkeys; i++) {
		char *name = hive_key_name(h, keys[i]);
		uint32_t rid;
		if (name && parse_rid(name, &rid)) {
			if (out->n == SAM_MAX_ACCOUNTS) {
				out->truncated = true;
				free(name);
				break;
			}
			struct sam_account *a = &out->v[out->n++];
			a->rid = rid;
			a->name = xasprintf("(RID %u)", rid);
			read_user(h, keys[i], have_hbk ? hbk : NULL, a);
		}
		free(name);
	}
	free(keys);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), rid_cmp);
	/* two keys of one RID: a forged hive; keep the first */
	for (size_t i = 1; i < out->n;) {
		if (out->v[i].rid == out->v[i - 1].rid) {
			free(out->v[i].name);
			free(out->v[i].full_name);
			free(out->v[i].comment);
			free(out->v[i].note);
			memmove(&out->v[i], &out->v[i + 1], (out->n - i - 1) * sizeof(*out->v));
			out->n--;
		} else {
			i++;
		}
	}
	names_fill(h, account, out);
	alias_fill(h, ALIAS_ADMINS, have_sid ? domain_sid : NULL, out, false);
	alias_fill(h, ALIAS_RDP, have_sid ? domain_sid : NULL, out, true);
	if (!boot_key)
		out->key_note = xstrdup("no boot key (SYSTEM hive unreadable)");
	memset(hbk, 0, sizeof(hbk));
	return 0;
}

void sam_accounts_release(struct sam_accounts *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].full_name);
		free(a->v[i].comment);
		free(a->v[i].note);
	}
	free(a->v);
	free(a->key_note);
	memset(a, 0, sizeof(*a));
}
#include <kenshu/banned.h>
