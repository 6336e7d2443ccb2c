/* Unit tests for taskcache: Actions blobs are built here field by field
 * (the layout of include/kenshu/windows.h); whole SOFTWARE hives are built
 * at test time with build/tools/mkhive from .reg text holding those blobs as
 * hex: values. Hostile inputs (every truncation, seeded mutations, huge and
 * odd lengths, unknown types and versions, deep and looping Tree keys) must
 * neither crash nor read outside their buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>

#include "bytes.h"

#define FUZZ_ITERATIONS 24000
#define HIVE_FUZZ_ITERATIONS 400
#define U_FFFD "\xEF\xBF\xBD"
#define TC "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache"

/* ---- building Actions blobs ---- */

struct blob {
	uint8_t *p;
	size_t n, cap;
	size_t bound[128];    /* offsets where a complete blob may end */
	size_t nbound;
};

static void b_raw(struct blob *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void b_u16(struct blob *b, uint16_t v)
{
	uint8_t le[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	b_raw(b, le, 2);
}

static void b_u32(struct blob *b, uint32_t v)
{
	uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	b_raw(b, le, 4);
}

/* A bstr from UTF-8; NULL gives a zero length. */
static void b_str(struct blob *b, const char *s)
{
	uint16_t *u = NULL;
	long n;

	if (!s) {
		b_u32(b, 0);
		return;
	}
	n = utf8_to_utf16le(s, &u);
	assert_true(n >= 0);
	b_u32(b, (uint32_t)(2 * n));
	for (long i = 0; i < n; i++)
		b_u16(b, u[i]);
	free(u);
}

static void b_mark(struct blob *b)
{
	assert_true(b->nbound < sizeof(b->bound) / sizeof(b->bound[0]));
	b->bound[b->nbound++] = b->n;
}

/* version, then the context when context is not NULL */
static void b_head(struct blob *b, uint16_t version, const char *context)
{
	memset(b, 0, sizeof(*b));
	b_u16(b, version);
	if (context)
		b_str(b, context);
	b_mark(b);
}

static void b_exec(struct blob *b, const char *id, const char *cmd, const char *args,
		   const char *wd, int flags)
{
	b_u16(b, 0x6666);
	b_str(b, id);
	b_str(b, cmd);
	b_str(b, args);
	b_str(b, wd);
	if (flags >= 0)
		b_u16(b, (uint16_t)flags);
	b_mark(b);
}

static const uint8_t clsid_bytes[16] = {
	0xb9, 0xd1, 0xbc, 0x61, 0x0c, 0x34, 0xec, 0x40,
	0x9d, 0x41, 0xd7, 0xf1, 0xc0, 0x63, 0x2f, 0x05,
};
#define CLSID_TEXT "{61BCD1B9-340C-40EC-9D41-D7F1C0632F05}"

static void b_com(struct blob *b, const char *id, const char *data)
{
	b_u16(b, 0x7777);
	b_str(b, id);
	b_raw(b, clsid_bytes, sizeof(clsid_bytes));
	b_str(b, data);
	b_mark(b);
}

static void b_email(struct blob *b, const char *id, unsigned nattach, unsigned nheaders)
{
	static const char *const f[] = { "from@vendor.example", "to@plant.example", "cc@plant.example",
		"bcc@plant.example", "reply@vendor.example", "smtp.vendor.example", "report", "body text" };
	char s[32];

	b_u16(b, 0x8888);
	b_str(b, id);
	for (size_t i = 0; i < 8; i++)
		b_str(b, f[i]);
	b_u32(b, nattach);
	for (unsigned i = 0; i < nattach; i++) {
		snprintf(s, sizeof(s), "C:\\logs\\%u.txt", i);
		b_str(b, s);
	}
	b_u32(b, nheaders);
	for (unsigned i = 0; i < nheaders; i++) {
		snprintf(s, sizeof(s), "X-H%u", i);
		b_str(b, s);
		snprintf(s, sizeof(s), "v%u", i);
		b_str(b, s);
	}
	b_mark(b);
}

static void b_msg(struct blob *b, const char *id, const char *title, const char *body)
{
	b_u16(b, 0x9999);
	b_str(b, id);
	b_str(b, title);
	b_str(b, body);
	b_mark(b);
}

/* The blob of every kind of action, for version 1, 2 or 3. */
static void b_mixed(struct blob *b, uint16_t version)
{
	int flags = version == 3 ? 0 : -1;

	b_head(b, version, version >= 2 ? "Author" : NULL);
	b_exec(b, "exec", "C:\\Windows\\System32\\cmd.exe", "/c echo 1", NULL, flags);
	b_com(b, "com", "MissingCredentials");
	b_email(b, "email", 3, 2);
	b_msg(b, "msg", "Title", "Body");
	b_exec(b, NULL, "C:\\tools\\x.exe", NULL, "C:\\tools", version == 3 ? 1 : -1);
}

/* ---- the parse contract ---- */

static void check_strings(const struct taskcache_actions *a)
{
	assert_true(a->n <= TASKCACHE_MAX_ACTIONS);
	if (a->context)
		assert_true(a->context[0] != '\0');
	for (size_t i = 0; i < a->n; i++) {
		const struct taskcache_action *x = &a->v[i];
		const char *const s[] = { x->id, x->command, x->arguments, x->working_dir, x->com_class_id,
			x->com_data, x->email_from, x->email_to, x->email_cc, x->email_bcc, x->email_reply_to,
			x->email_server, x->email_subject, x->email_body, x->message_title, x->message_body };

		assert_non_null(x->kind);
		for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
			if (s[k])
				assert_true(strlen(s[k]) > 0);
		assert_true(x->nemail_attachments <= TASKCACHE_MAX_LIST);
		assert_true(x->nemail_headers <= TASKCACHE_MAX_LIST);
		for (size_t k = 0; k < x->nemail_attachments; k++)
			assert_non_null(x->email_attachments[k]);
		for (size_t k = 0; k < x->nemail_headers; k++) {
			assert_non_null(x->email_headers[k].name);
			assert_non_null(x->email_headers[k].value);
		}
	}
}

static int parse(const void *p, size_t n, struct taskcache_actions *a, struct ks_err *err)
{
	int rc = taskcache_parse_actions(p, n, a, err);

	assert_true(rc == 0 || rc == -1);
	if (rc == 0)
		assert_string_equal(err->msg, "");
	else {
		assert_true(err->msg[0] != '\0');
		assert_null(strchr(err->msg, '\n'));
	}
	check_strings(a);
	return rc;
}

/* ---- Actions: the formats ---- */

static void exec_v1(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;

	/* Windows 8.1: the first magic right after the version. */
	b_head(&b, 1, NULL);
	b_exec(&b, NULL, "cmd.exe", "/c notepad.exe", "c:\\windows\\", -1);
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_int_equal(a.version, 1);
	assert_null(a.context);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].kind, "Exec");
	assert_int_equal(a.v[0].magic, 0x6666);
	assert_null(a.v[0].id);
	assert_string_equal(a.v[0].command, "cmd.exe");
	assert_string_equal(a.v[0].arguments, "/c notepad.exe");
	assert_string_equal(a.v[0].working_dir, "c:\\windows\\");
	assert_false(a.v[0].has_exec_flags);
	assert_false(a.truncated);
	assert_false(a.lossy);
	taskcache_actions_release(&a);
	taskcache_actions_release(&a);   /* twice is harmless */
	free(b.p);
}

static void exec_v2(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;

	/* Server 2016 (GhostTask): context, Exec without the trailing flags. */
	b_head(&b, 2, "Author");
	b_exec(&b, NULL, "C:\\Vendor\\agent.exe", "--serve", NULL, -1);
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_int_equal(a.version, 2);
	assert_string_equal(a.context, "Author");
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].command, "C:\\Vendor\\agent.exe");
	assert_string_equal(a.v[0].arguments, "--serve");
	assert_null(a.v[0].working_dir);
	assert_false(a.v[0].has_exec_flags);
	taskcache_actions_release(&a);
	free(b.p);
}

static void exec_v3(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;

	b_head(&b, 3, "LocalSystem");
	b_exec(&b, "Action1", "%windir%\\system32\\rundll32.exe", "x.dll,Entry", "%TEMP%", 1);
	b_exec(&b, NULL, "notepad.exe", NULL, NULL, 0);
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_int_equal(a.version, 3);
	assert_string_equal(a.context, "LocalSystem");
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[0].id, "Action1");
	assert_string_equal(a.v[0].command, "%windir%\\system32\\rundll32.exe");
	assert_string_equal(a.v[0].arguments, "x.dll,Entry");
	assert_string_equal(a.v[0].working_dir, "%TEMP%");
	assert_true(a.v[0].has_exec_flags);
	assert_int_equal(a.v[0].exec_flags, 1);
	assert_null(a.v[1].id);
	assert_string_equal(a.v[1].command, "notepad.exe");
	assert_null(a.v[1].arguments);
	assert_null(a.v[1].working_dir);
	assert_true(a.v[1].has_exec_flags);
	assert_int_equal(a.v[1].exec_flags, 0);
	taskcache_actions_release(&a);
	free(b.p);
}

static void com_handler(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;

	b_head(&b, 3, "Users");
	b_com(&b, "comhandler", "MissingCredentials");
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_string_equal(a.context, "Users");
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].kind, "ComHandler");
	assert_string_equal(a.v[0].id, "comhandler");
	/* Data1-3 little-endian, as the same GUID reads in the task's XML. */
	assert_string_equal(a.v[0].com_class_id, CLSID_TEXT);
	assert_string_equal(a.v[0].com_data, "MissingCredentials");
	assert_null(a.v[0].command);
	taskcache_actions_release(&a);
	free(b.p);
}

static void email(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;
	const struct taskcache_action *x;

	b_head(&b, 3, "Author");
	b_email(&b, "email", 3, 2);
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_int_equal(a.n, 1);
	x = &a.v[0];
	assert_string_equal(x->kind, "SendEmail");
	assert_string_equal(x->id, "email");
	assert_string_equal(x->email_from, "from@vendor.example");
	assert_string_equal(x->email_to, "to@plant.example");
	assert_string_equal(x->email_cc, "cc@plant.example");
	assert_string_equal(x->email_bcc, "bcc@plant.example");
	assert_string_equal(x->email_reply_to, "reply@vendor.example");
	assert_string_equal(x->email_server, "smtp.vendor.example");
	assert_string_equal(x->email_subject, "report");
	assert_string_equal(x->email_body, "body text");
	assert_int_equal(x->nemail_attachments, 3);
	assert_string_equal(x->email_attachments[0], "C:\\logs\\0.txt");
	assert_string_equal(x->email_attachments[2], "C:\\logs\\2.txt");
	assert_int_equal(x->nemail_headers, 2);
	assert_string_equal(x->email_headers[0].name, "X-H0");
	assert_string_equal(x->email_headers[0].value, "v0");
	assert_string_equal(x->email_headers[1].name, "X-H1");
	assert_string_equal(x->email_headers[1].value, "v1");
	assert_false(a.truncated);
	taskcache_actions_release(&a);
	free(b.p);
}

static void message(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;

	b_head(&b, 3, "Author");
	b_msg(&b, "messagebox", "z:\\allof\\it.exe", "arg1 arg2");
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].kind, "ShowMessage");
	assert_string_equal(a.v[0].id, "messagebox");
	assert_string_equal(a.v[0].message_title, "z:\\allof\\it.exe");
	assert_string_equal(a.v[0].message_body, "arg1 arg2");
	taskcache_actions_release(&a);
	free(b.p);
}

static void several_actions(void **state)
{
	for (uint16_t v = 1; v <= 3; v++) {
		struct blob b;
		struct taskcache_actions a;
		struct ks_err err;

		b_mixed(&b, v);
		assert_int_equal(parse(b.p, b.n, &a, &err), 0);
		assert_int_equal(a.version, v);
		if (v >= 2)
			assert_string_equal(a.context, "Author");
		else
			assert_null(a.context);
		assert_int_equal(a.n, 5);
		assert_string_equal(a.v[0].kind, "Exec");
		assert_string_equal(a.v[0].command, "C:\\Windows\\System32\\cmd.exe");
		assert_string_equal(a.v[0].arguments, "/c echo 1");
		assert_string_equal(a.v[1].kind, "ComHandler");
		assert_string_equal(a.v[1].com_class_id, CLSID_TEXT);
		assert_string_equal(a.v[2].kind, "SendEmail");
		assert_int_equal(a.v[2].nemail_attachments, 3);
		assert_string_equal(a.v[3].kind, "ShowMessage");
		assert_string_equal(a.v[3].message_body, "Body");
		assert_string_equal(a.v[4].command, "C:\\tools\\x.exe");
		assert_string_equal(a.v[4].working_dir, "C:\\tools");
		assert_int_equal(a.v[4].has_exec_flags, v == 3);
		if (v == 3)
			assert_int_equal(a.v[4].exec_flags, 1);
		taskcache_actions_release(&a);
		free(b.p);
	}
}

static void japanese(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;

	b_head(&b, 3, "管理者");
	b_exec(&b, "アクション1", "C:\\Program Files\\ベンダー\\監視.exe", "--設定 \"日本語 テスト\"",
	       "D:\\データ", 0);
	/* U+20BB7 needs a surrogate pair. */
	b_msg(&b, NULL, "警告", "𠮷野家で待つ");
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_string_equal(a.context, "管理者");
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[0].id, "アクション1");
	assert_string_equal(a.v[0].command, "C:\\Program Files\\ベンダー\\監視.exe");
	assert_string_equal(a.v[0].arguments, "--設定 \"日本語 テスト\"");
	assert_string_equal(a.v[0].working_dir, "D:\\データ");
	assert_string_equal(a.v[1].message_title, "警告");
	assert_string_equal(a.v[1].message_body, "𠮷野家で待つ");
	assert_false(a.lossy);
	taskcache_actions_release(&a);
	free(b.p);
}

/* The other reading of versions 1 and 2 is taken when it alone fits. */
static void context_either_way(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;

	/* version 1 with a context, as winreg-tasks' layout minus its "== 3" */
	b_head(&b, 1, "Author");
	b_exec(&b, NULL, "a.exe", NULL, NULL, -1);
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_string_equal(a.context, "Author");
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].command, "a.exe");
	taskcache_actions_release(&a);
	free(b.p);

	/* version 2 without one, as winreg-tasks reads it */
	b_head(&b, 2, NULL);
	b_exec(&b, NULL, "b.exe", "x", NULL, -1);
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_null(a.context);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].command, "b.exe");
	taskcache_actions_release(&a);
	free(b.p);

	/* version 3 is never read without its context */
	b_head(&b, 3, NULL);
	b_exec(&b, NULL, "c.exe", NULL, NULL, 0);
	assert_int_equal(parse(b.p, b.n, &a, &err), -1);
	taskcache_actions_release(&a);
	free(b.p);
}

static void odd_strings(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;
	static const uint8_t nul_inside[] = { 'a', 0, 0, 0, 'b', 0, 0, 0, 0, 0 };   /* "a\0b\0\0" */
	static const uint8_t lone[] = { 0x00, 0xd8, 'x', 0 };                      /* lone high surrogate */

	b_head(&b, 3, NULL);
	b_str(&b, "");            /* an empty context */
	b_u16(&b, 0x6666);
	b_str(&b, NULL);
	b_u32(&b, sizeof(nul_inside));
	b_raw(&b, nul_inside, sizeof(nul_inside));
	b_u32(&b, sizeof(lone));
	b_raw(&b, lone, sizeof(lone));
	b_u32(&b, 4);
	b_raw(&b, "\0\0\0\0", 4);  /* only NULs: empty */
	b_u16(&b, 0);
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_null(a.context);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].command, "a" U_FFFD "b");
	assert_string_equal(a.v[0].arguments, U_FFFD "x");
	assert_null(a.v[0].working_dir);
	assert_true(a.lossy);
	taskcache_actions_release(&a);
	free(b.p);
}

static void caps(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;

	b_head(&b, 3, "Author");
	for (int i = 0; i < 100; i++)
		b_exec(&b, NULL, "x.exe", NULL, NULL, 0);
	b_msg(&b, NULL, "t", "after the cap");
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_int_equal(a.n, TASKCACHE_MAX_ACTIONS);
	assert_true(a.truncated);
	taskcache_actions_release(&a);
	/* Past the cap the rest is still checked: one byte short is damage. */
	assert_int_equal(parse(b.p, b.n - 1, &a, &err), -1);
	assert_int_equal(a.n, TASKCACHE_MAX_ACTIONS);
	taskcache_actions_release(&a);
	free(b.p);

	b_head(&b, 3, "Author");
	b_email(&b, "e", 100, 70);
	assert_int_equal(parse(b.p, b.n, &a, &err), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.v[0].nemail_attachments, TASKCACHE_MAX_LIST);
	assert_int_equal(a.v[0].nemail_headers, TASKCACHE_MAX_LIST);
	assert_string_equal(a.v[0].email_attachments[63], "C:\\logs\\63.txt");
	assert_true(a.truncated);
	taskcache_actions_release(&a);
	free(b.p);

	/* Larger than any real value: refused without reading it. */
	size_t big = TASKCACHE_ACTIONS_MAX_BYTES + 1;
	uint8_t *p = xcalloc(1, big);
	p[0] = 3;
	assert_int_equal(parse(p, big, &a, &err), -1);
	assert_non_null(strstr(err.msg, "larger"));
	assert_int_equal(a.n, 0);
	taskcache_actions_release(&a);
	free(p);
}

/* ---- Actions: hostile ---- */

static void too_short_and_versions(void **state)
{
	struct taskcache_actions a;
	struct ks_err err;
	static const uint16_t versions[] = { 0, 4, 99, 0x6666, 0xffff };
	uint8_t v[2];

	assert_int_equal(parse(NULL, 0, &a, &err), -1);
	assert_int_equal(parse("", 0, &a, &err), -1);
	assert_int_equal(parse("\x03", 1, &a, &err), -1);
	assert_non_null(strstr(err.msg, "too short"));
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct blob b;

		b_head(&b, versions[i], "Author");
		b_exec(&b, NULL, "x.exe", NULL, NULL, 0);
		assert_int_equal(parse(b.p, b.n, &a, &err), -1);
		assert_non_null(strstr(err.msg, "unsupported actions version"));
		assert_int_equal(a.version, versions[i]);
		assert_int_equal(a.n, 0);
		assert_null(a.context);
		taskcache_actions_release(&a);
		free(b.p);
	}
	/* A bare version: no actions, nothing wrong. */
	v[0] = 1;
	v[1] = 0;
	assert_int_equal(parse(v, 2, &a, &err), 0);
	assert_int_equal(a.n, 0);
	taskcache_actions_release(&a);
	/* No error record wanted, and one that says what kind of failure. */
	assert_int_equal(taskcache_parse_actions(v, 1, &a, NULL), -1);
	taskcache_actions_release(&a);
	assert_int_equal(taskcache_parse_actions(v, 1, &a, &err), -1);
	assert_int_equal(err.code, KS_EINPUT);
	taskcache_actions_release(&a);
}

static void every_truncation(void **state)
{
	for (uint16_t v = 1; v <= 3; v++) {
		struct blob b;

		b_mixed(&b, v);
		for (size_t len = 0; len <= b.n; len++) {
			struct taskcache_actions a;
			struct ks_err err;
			uint8_t *copy = xmalloc(len ? len : 1);
			bool boundary = false;
			int rc;

			/* An exact-size copy, so ASan sees any read past the end. */
			memcpy(copy, b.p, len);
			for (size_t k = 0; k < b.nbound; k++)
				boundary |= b.bound[k] == len;
			/* A bare version 2 reads as an empty list without a context. */
			boundary |= v == 2 && len == 2;
			rc = parse(copy, len, &a, &err);
			assert_int_equal(rc == 0, boundary);
			if (boundary && !(v == 2 && len == 2)) {
				/* Whole actions only, never a half-read one. */
				size_t k = 0;
				while (b.bound[k] != len)
					k++;
				assert_int_equal(a.n, k);
			}
			taskcache_actions_release(&a);
			free(copy);
		}
		free(b.p);
	}
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void huge_and_odd_lengths(void **state)
{
	struct blob b;
	/* Offsets of the length fields in a v3 blob: context, id, command,
	 * arguments, working directory. */
	size_t at[5];
	static const uint32_t bad[] = { 0xffffffffu, 0xfffffffeu, 0x80000000u, 0x7ffffffeu,
					0x10000u, 3, 1 };

	b_head(&b, 3, NULL);
	at[0] = b.n;
	b_str(&b, "Author");
	b_u16(&b, 0x6666);
	at[1] = b.n;
	b_str(&b, "id");
	at[2] = b.n;
	b_str(&b, "x.exe");
	at[3] = b.n;
	b_str(&b, "-a");
	at[4] = b.n;
	b_str(&b, "C:\\");
	b_u16(&b, 0);
	for (size_t i = 0; i < 5; i++) {
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			struct taskcache_actions a;
			struct ks_err err;
			uint8_t *copy = xmalloc(b.n);

			memcpy(copy, b.p, b.n);
			wr32(copy + at[i], bad[k]);
			assert_int_equal(parse(copy, b.n, &a, &err), -1);
			assert_int_equal(a.n, 0);
			if (bad[k] % 2)
				assert_true(strstr(err.msg, "odd byte count") || strstr(err.msg, "left"));
			taskcache_actions_release(&a);
			free(copy);
		}
	}
	/* The remaining size + 2: one unit past the end. */
	{
		struct taskcache_actions a;
		struct ks_err err;

		wr32(b.p + at[4], (uint32_t)(b.n - at[4] - 4 + 2));
		assert_int_equal(parse(b.p, b.n, &a, &err), -1);
		assert_non_null(strstr(err.msg, "working directory"));
		taskcache_actions_release(&a);
	}
	free(b.p);

	/* An e-mail claiming 4 billion attachments or headers ends with the data. */
	for (int which = 0; which < 2; which++) {
		struct taskcache_actions a;
		struct ks_err err;

		b_head(&b, 3, "Author");
		b_exec(&b, NULL, "kept.exe", NULL, NULL, 0);
		b_u16(&b, 0x8888);
		for (int i = 0; i < 9; i++)
			b_str(&b, "s");
		if (which) {
			b_u32(&b, 0);
			b_u32(&b, 0xffffffffu);
			b_str(&b, "k");
			b_str(&b, "v");
		} else {
			b_u32(&b, 0xffffffffu);
			b_str(&b, "att");
		}
		assert_int_equal(parse(b.p, b.n, &a, &err), -1);
		assert_int_equal(a.n, 1);    /* the action before the damage stays */
		assert_string_equal(a.v[0].command, "kept.exe");
		taskcache_actions_release(&a);
		free(b.p);
	}
}

static void unknown_magic_and_stray_bytes(void **state)
{
	struct blob b;
	struct taskcache_actions a;
	struct ks_err err;

	b_head(&b, 3, "Author");
	b_exec(&b, NULL, "first.exe", NULL, NULL, 0);
	b_u16(&b, 0x1234);
	b_str(&b, "id");
	b_str(&b, "whatever");
	assert_int_equal(parse(b.p, b.n, &a, &err), -1);
	assert_non_null(strstr(err.msg, "unknown action type 0x1234"));
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].command, "first.exe");
	taskcache_actions_release(&a);
	free(b.p);

	b_head(&b, 3, "Author");
	b_exec(&b, NULL, "first.exe", NULL, NULL, 0);
	b_raw(&b, "\x66", 1);
	assert_int_equal(parse(b.p, b.n, &a, &err), -1);
	assert_non_null(strstr(err.msg, "stray"));
	assert_int_equal(a.n, 1);
	taskcache_actions_release(&a);
	free(b.p);

	/* Magic and id read up to the very end, the rest missing. */
	b_head(&b, 3, "Author");
	b_u16(&b, 0x6666);
	b_str(&b, "id");
	assert_int_equal(parse(b.p, b.n, &a, &err), -1);
	assert_non_null(strstr(err.msg, "exec command"));
	assert_int_equal(a.n, 0);
	taskcache_actions_release(&a);
	free(b.p);
}

static uint64_t rnd_state = 0x7461736b63616368ull;   /* fixed seed */

static uint64_t rnd(void)
{
	return xorshift64(&rnd_state);
}

static void mutations(void **state)
{
	struct blob seeds[3];
	static const uint32_t lens[] = { 0, 1, 2, 3, 4, 0xffffffffu, 0x7fffffffu, 0x80000000u, 0xfffffffeu };
	static const uint16_t words[] = { 0x6666, 0x7777, 0x8888, 0x9999, 0, 1, 2, 3, 0xffff };
	size_t ok = 0, bad = 0;

	for (uint16_t v = 1; v <= 3; v++)
		b_mixed(&seeds[v - 1], v);
	for (int it = 0; it < FUZZ_ITERATIONS; it++) {
		const struct blob *s = &seeds[it % 3];
		size_t n = s->n;
		uint8_t *p;
		struct taskcache_actions a;
		struct ks_err err;
		int kinds = 1 + (int)(rnd() % 4);

		/* Sometimes shorter, sometimes with random bytes appended. */
		if (rnd() % 5 == 0)
			n = (size_t)(rnd() % (s->n + 1));
		else if (rnd() % 7 == 0)
			n = s->n + (size_t)(rnd() % 40);
		p = xmalloc(n ? n : 1);
		for (size_t i = 0; i < n; i++)
			p[i] = i < s->n ? s->p[i] : (uint8_t)rnd();
		for (int k = 0; k < kinds && n; k++) {
			size_t at = (size_t)(rnd() % n);

			switch (rnd() % 5) {
			case 0:
				p[at] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 1:
				p[at] = (uint8_t)rnd();
				break;
			case 2:
				if (at + 4 <= n)
					wr32(p + at, lens[rnd() % (sizeof(lens) / sizeof(lens[0]))]);
				break;
			case 3:
				if (at + 2 <= n) {
					uint16_t w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
					p[at] = (uint8_t)w;
					p[at + 1] = (uint8_t)(w >> 8);
				}
				break;
			default:
				if (at + 4 <= n)
					wr32(p + at, (uint32_t)(n - at - 4 + rnd() % 3));
				break;
			}
		}
		if (parse(p, n, &a, &err) == 0)
			ok++;
		else
			bad++;
		taskcache_actions_release(&a);
		free(p);
	}
	print_message("actions mutations: %zu parsed, %zu refused\n", ok, bad);
	/* Both outcomes must occur, or the mutations are not reaching the parser. */
	assert_true(ok > 100);
	assert_true(bad > 100);
	for (int i = 0; i < 3; i++)
		free(seeds[i].p);
}

/* ---- whole hives ---- */

static char dir[] = "/tmp/kenshu-test-taskcache-XXXXXX";

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* Builds a hive from .reg text with mkhive; returns its bytes. */
static void *hive_bytes(const char *reg_text, size_t *size)
{
	const char *tools = getenv("KENSHU_TOOLS");
	char *reg = xasprintf("%s/in.reg", dir), *out = xasprintf("%s/SOFTWARE", dir);
	char *cmd = xasprintf("'%s/mkhive' -n '\\SystemRoot\\System32\\Config\\SOFTWARE' '%s' '%s'",
			      tools ? tools : "build/tools", out, reg);
	FILE *f = fopen(reg, "w");
	void *data;
	long n;

	assert_non_null(f);
	fputs("Windows Registry Editor Version 5.00\n\n", f);
	fputs(reg_text, f);
	fclose(f);
	assert_int_equal(system(cmd), 0);
	f = fopen(out, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = xmalloc((size_t)n);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(out);
	unlink(reg);
	free(reg);
	free(out);
	free(cmd);
	*size = (size_t)n;
	return data;
}

static struct hive *open_bytes(const void *data, size_t n)
{
	struct hive *h = NULL;
	struct hive_health hh;

	assert_int_equal(hive_open_mem(data, n, &h, &hh), 0);
	return h;
}

static struct hive *hive_from(const char *reg_text)
{
	size_t n;
	void *data = hive_bytes(reg_text, &n);
	struct hive *h = open_bytes(data, n);

	free(data);
	return h;
}

/* A growable text. */
struct text {
	char *p;
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void t_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(len >= 0);
	t->p = xrealloc(t->p, t->n + (size_t)len + 1);
	memcpy(t->p + t->n, s, (size_t)len + 1);
	t->n += (size_t)len;
	free(s);
}

/* "NAME"=hex:.. of a blob */
static void t_hex(struct text *t, const char *name, const struct blob *b)
{
	t_add(t, "\"%s\"=hex:", name);
	for (size_t i = 0; i < b->n; i++)
		t_add(t, "%s%02x", i ? "," : "", b->p[i]);
	t_add(t, "\n");
}

#define SD_HEX "hex:01,00,04,80,14,00,00,00,20,00,00,00,00,00,00,00,2c,00,00,00," \
	"01,01,00,00,00,00,00,05,12,00,00,00,01,01,00,00,00,00,00,05,12,00,00,00," \
	"02,00,08,00,00,00,00,00"

static void t_tree(struct text *t, const char *path, const char *id, int index, const char *sd)
{
	t_add(t, "[" TC "\\Tree\\%s]\n", path);
	if (id)
		t_add(t, "\"Id\"=\"%s\"\n", id);
	if (index >= 0)
		t_add(t, "\"Index\"=dword:%08x\n", (unsigned)index);
	if (sd)
		t_add(t, "\"SD\"=%s\n", sd);
	t_add(t, "\n");
}

/* A Tasks key with Path (written with .reg escapes), and an exec action
 * running cmd when cmd is not NULL. */
static void t_tasks(struct text *t, const char *id, const char *path, const char *cmd)
{
	t_add(t, "[" TC "\\Tasks\\%s]\n", id);
	if (path)
		t_add(t, "\"Path\"=\"%s\"\n", path);
	t_add(t, "\"Hash\"=hex:5e,11,ae,1c,6e,13,ef,7c,d3,d1,51,0f,61,cc,9a,09,"
		 "3d,39,a2,c7,53,9b,25,6e,a1,74,8d,e7,37,56,cf,0d\n");
	if (cmd) {
		struct blob b;

		b_head(&b, 3, "Author");
		b_exec(&b, NULL, cmd, NULL, NULL, 0);
		t_hex(t, "Actions", &b);
		free(b.p);
		t_add(t, "\"Triggers\"=hex:17,00,00,00,00,00,00,00\n");
		t_add(t, "\"DynamicInfo\"=hex:03,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,"
			 "00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00\n");
	}
	t_add(t, "\n");
}

#define G(n) "{0A0A0A0A-0000-4000-8000-0000000000" n "}"

static const struct taskcache_task *by_path(const struct taskcache *tc, const char *path)
{
	const struct taskcache_task *found = NULL;

	for (size_t i = 0; i < tc->n; i++)
		if (tc->v[i].path && !strcmp(tc->v[i].path, path)) {
			assert_null(found);      /* listed once */
			found = &tc->v[i];
		}
	assert_non_null(found);
	return found;
}

static const struct taskcache_task *by_id(const struct taskcache *tc, const char *id)
{
	for (size_t i = 0; i < tc->n; i++)
		if (tc->v[i].id && !strcmp(tc->v[i].id, id))
			return &tc->v[i];
	return NULL;
}

static char *software_reg(void)
{
	struct text t = { 0 };
	struct blob b;

	/* A visible task with everything Windows 10 writes. */
	t_tree(&t, "Visible", G("01"), 3, SD_HEX);
	t_tasks(&t, G("01"), "\\\\Visible", "C:\\Vendor\\updater.exe");
	t_add(&t, "[" TC "\\Tasks\\" G("01") "]\n\"Author\"=\"Vendor\"\n\"Description\"=\"updates\"\n"
		  "\"URI\"=\"\\\\Visible\"\n\"Date\"=\"2024-01-02T03:04:05\"\n\n");
	/* Tarrask: the SD value deleted; and an SD value emptied. */
	t_tree(&t, "Tarrask", G("02"), 3, NULL);
	t_tasks(&t, G("02"), "\\\\Tarrask", "C:\\ProgramData\\winupd.exe");
	t_tree(&t, "EmptySD", G("03"), 3, "hex:");
	t_tasks(&t, G("03"), "\\\\EmptySD", "c.exe");
	/* Index 0. */
	t_tree(&t, "Index0", G("04"), 0, SD_HEX);
	t_tasks(&t, G("04"), "\\\\Index0", "d.exe");
	/* A Tree entry whose Id has no Tasks key. */
	t_tree(&t, "NoTasksKey", G("05"), 3, SD_HEX);
	/* A Tasks key no Tree entry points at. */
	t_tasks(&t, G("06"), "\\\\Ghost", "C:\\Users\\Public\\ghost.exe");
	/* Nested folders (folder keys hold an SD only). */
	t_tree(&t, "Vendor", NULL, -1, SD_HEX);
	t_tree(&t, "Vendor\\Line1", NULL, -1, SD_HEX);
	t_tree(&t, "Vendor\\Line1\\Poll", G("07"), 3, SD_HEX);
	t_tasks(&t, G("07"), "\\\\Vendor\\\\Line1\\\\Poll", "poll.exe");
	/* Japanese folder and task names, a Japanese command. */
	t_tree(&t, "ベンダー\\監視タスク", G("08"), 3, SD_HEX);
	t_add(&t, "[" TC "\\Tasks\\" G("08") "]\n\"Path\"=\"\\\\ベンダー\\\\監視タスク\"\n");
	b_head(&b, 3, "管理者");
	b_exec(&b, NULL, "C:\\ベンダー\\監視.exe", "/常駐", NULL, 0);
	t_hex(&t, "Actions", &b);
	free(b.p);
	t_add(&t, "\n");
	/* Windows 7: Path and Hash only. */
	t_tree(&t, "Win7Task", G("09"), 3, SD_HEX);
	t_tasks(&t, G("09"), "\\\\Win7Task", NULL);
	/* A damaged Actions value. */
	t_tree(&t, "Damaged", G("10"), 3, SD_HEX);
	t_add(&t, "[" TC "\\Tasks\\" G("10") "]\n\"Path\"=\"\\\\Damaged\"\n\"Actions\"=hex:63,00,01,02\n\n");
	/* Path in Tasks differs from the Tree; the Id in lower case. */
	t_tree(&t, "Renamed", "{0a0a0a0a-0000-4000-8000-000000000011}", 3, SD_HEX);
	t_tasks(&t, G("11"), "\\\\Other", "e.exe");
	/* An Index-only entry (no Id). */
	t_tree(&t, "NoId", NULL, 3, SD_HEX);
	/* TaskCache's other keys are not Tree entries. */
	t_add(&t, "[" TC "\\Plain\\" G("01") "]\n\n[" TC "\\Boot]\n\n");
	return t.p;
}

static void hive_tasks(void **state)
{
	char *reg = software_reg();
	struct hive *h = hive_from(reg);
	struct taskcache tc;
	const struct taskcache_task *t;
	bool orphans = false;

	assert_int_equal(taskcache_read(h, &tc), 0);
	assert_true(tc.has_tree);
	assert_true(tc.has_tasks);
	assert_false(tc.truncated);
	assert_false(tc.too_deep);
	assert_false(tc.loop);
	assert_int_equal(tc.n, 12);
	/* Tree entries first, then the Tasks-only keys. */
	for (size_t i = 0; i < tc.n; i++) {
		if (!tc.v[i].in_tree)
			orphans = true;
		else
			assert_false(orphans);
	}

	t = by_path(&tc, "\\Visible");
	assert_string_equal(t->id, G("01"));
	assert_true(t->in_tree);
	assert_true(t->in_tasks);
	assert_true(t->sd_present);
	assert_int_equal(t->sd_size, 52);
	assert_false(t->no_sd);
	assert_true(t->has_index);
	assert_int_equal(t->index, 3);
	assert_false(t->index_zero);
	assert_false(t->hidden);
	assert_string_equal(t->tasks_path, "\\Visible");
	assert_false(t->path_mismatch);
	assert_string_equal(t->author, "Vendor");
	assert_string_equal(t->description, "updates");
	assert_string_equal(t->uri, "\\Visible");
	assert_string_equal(t->date, "2024-01-02T03:04:05");
	assert_true(t->has_hash);
	assert_true(t->has_triggers);
	assert_true(t->has_dynamic_info);
	assert_int_equal(t->actions_state, TASKCACHE_ACTIONS_OK);
	assert_string_equal(t->actions_error, "");
	assert_int_equal(t->actions.version, 3);
	assert_string_equal(t->actions.context, "Author");
	assert_int_equal(t->actions.n, 1);
	assert_string_equal(t->actions.v[0].command, "C:\\Vendor\\updater.exe");

	t = by_path(&tc, "\\Tarrask");
	assert_true(t->no_sd);
	assert_false(t->sd_present);
	assert_true(t->hidden);
	assert_false(t->index_zero);
	assert_true(t->in_tasks);
	assert_string_equal(t->actions.v[0].command, "C:\\ProgramData\\winupd.exe");

	t = by_path(&tc, "\\EmptySD");
	assert_true(t->sd_present);
	assert_int_equal(t->sd_size, 0);
	assert_true(t->no_sd);
	assert_true(t->hidden);

	t = by_path(&tc, "\\Index0");
	assert_false(t->no_sd);
	assert_true(t->has_index);
	assert_true(t->index_zero);
	assert_true(t->hidden);

	t = by_path(&tc, "\\NoTasksKey");
	assert_true(t->in_tree);
	assert_false(t->in_tasks);
	assert_int_equal(t->actions_state, TASKCACHE_ACTIONS_ABSENT);
	assert_null(t->tasks_path);

	t = by_path(&tc, "\\Ghost");
	assert_false(t->in_tree);
	assert_true(t->in_tasks);
	assert_string_equal(t->id, G("06"));
	assert_false(t->hidden);         /* no Tree side to judge */
	assert_string_equal(t->actions.v[0].command, "C:\\Users\\Public\\ghost.exe");

	t = by_path(&tc, "\\Vendor\\Line1\\Poll");
	assert_true(t->in_tree);
	assert_true(t->in_tasks);
	assert_false(t->path_mismatch);
	assert_string_equal(t->actions.v[0].command, "poll.exe");

	t = by_path(&tc, "\\ベンダー\\監視タスク");
	assert_string_equal(t->tasks_path, "\\ベンダー\\監視タスク");
	assert_false(t->path_mismatch);
	assert_string_equal(t->actions.context, "管理者");
	assert_string_equal(t->actions.v[0].command, "C:\\ベンダー\\監視.exe");
	assert_string_equal(t->actions.v[0].arguments, "/常駐");

	t = by_path(&tc, "\\Win7Task");
	assert_true(t->in_tasks);
	assert_true(t->has_hash);
	assert_false(t->has_triggers);
	assert_int_equal(t->actions_state, TASKCACHE_ACTIONS_ABSENT);
	assert_int_equal(t->actions.n, 0);

	t = by_path(&tc, "\\Damaged");
	assert_int_equal(t->actions_state, TASKCACHE_ACTIONS_DAMAGED);
	assert_non_null(strstr(t->actions_error, "unsupported actions version 99"));

	t = by_path(&tc, "\\Renamed");
	assert_true(t->in_tasks);          /* GUIDs match whatever their case */
	assert_string_equal(t->tasks_path, "\\Other");
	assert_true(t->path_mismatch);
	assert_null(by_id(&tc, G("11")));  /* not listed again as Tasks-only */

	t = by_path(&tc, "\\NoId");
	assert_null(t->id);
	assert_false(t->in_tasks);

	/* Folders are not tasks. */
	for (size_t i = 0; i < tc.n; i++)
		if (tc.v[i].path) {
			assert_string_not_equal(tc.v[i].path, "\\Vendor");
			assert_string_not_equal(tc.v[i].path, "\\Vendor\\Line1");
			assert_string_not_equal(tc.v[i].path, "\\ベンダー");
		}

	taskcache_release(&tc);
	taskcache_release(&tc);
	hive_close(h);
	free(reg);
}

static void hive_without_taskcache(void **state)
{
	struct hive *h = hive_from("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n"
				   "\"CurrentVersion\"=\"6.1\"\n\n");
	struct taskcache tc;

	assert_int_equal(taskcache_read(h, &tc), -1);
	assert_int_equal(tc.n, 0);
	assert_null(tc.v);
	taskcache_release(&tc);
	hive_close(h);

	h = hive_from("[" TC "]\n\n");
	assert_int_equal(taskcache_read(h, &tc), 0);
	assert_int_equal(tc.n, 0);
	assert_false(tc.has_tree);
	assert_false(tc.has_tasks);
	taskcache_release(&tc);
	hive_close(h);
}

static void hive_binary_values(void **state)
{
	struct hive *h = hive_from("[Key]\n\"Bin\"=hex:de,ad,be,ef,01\n\"Empty\"=hex:\n\"B3\"=hex(3):aa\n"
				   "\"D\"=dword:01020304\n\"S\"=\"ab\"\n\n");
	size_t node = hive_key(h, "Key"), n = 99;
	uint8_t *p;

	p = hive_binary(h, node, "Bin", &n);
	assert_non_null(p);
	assert_int_equal(n, 5);
	assert_memory_equal(p, "\xde\xad\xbe\xef\x01", 5);
	free(p);
	p = hive_binary(h, node, "empty", &n);     /* names are case-insensitive */
	assert_non_null(p);
	assert_int_equal(n, 0);
	free(p);
	p = hive_binary(h, node, "B3", &n);
	assert_int_equal(n, 1);
	assert_int_equal(p[0], 0xaa);
	free(p);
	p = hive_binary(h, node, "D", &n);         /* any type: its raw bytes */
	assert_int_equal(n, 4);
	assert_memory_equal(p, "\x04\x03\x02\x01", 4);
	free(p);
	p = hive_binary(h, node, "S", &n);
	assert_int_equal(n, 6);
	assert_memory_equal(p, "a\0b\0\0\0", 6);
	free(p);
	n = 99;
	assert_null(hive_binary(h, node, "Missing", &n));
	assert_int_equal(n, 0);
	assert_null(hive_binary(h, 0, "Bin", &n));
	hive_close(h);
}

static void hive_deep_tree(void **state)
{
	struct text t = { 0 };
	struct text path = { 0 };
	struct hive *h;
	struct taskcache tc;
	const struct taskcache_task *x;

	for (int i = 0; i < 300; i++)
		t_add(&path, "%sL%d", i ? "\\" : "", i);
	t_tree(&t, path.p, G("20"), 3, SD_HEX);
	t_tasks(&t, G("20"), "\\\\deep", "deep.exe");
	t_tree(&t, "L0\\L1\\L2\\Shallow", G("21"), 3, SD_HEX);
	h = hive_from(t.p);
	assert_int_equal(taskcache_read(h, &tc), 0);
	assert_true(tc.too_deep);
	assert_false(tc.loop);
	assert_int_equal(tc.tree_keys, TASKCACHE_MAX_DEPTH + 1);  /* the L chain and Shallow */
	x = by_path(&tc, "\\L0\\L1\\L2\\Shallow");
	assert_true(x->in_tree);
	/* The deep task is known only from its Tasks key. */
	x = by_path(&tc, "\\deep");
	assert_false(x->in_tree);
	assert_true(x->in_tasks);
	assert_int_equal(tc.n, 2);
	taskcache_release(&tc);
	hive_close(h);
	free(t.p);
	free(path.p);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The file offset of the nk cell of the key named name (ASCII). */
static size_t find_nk(const uint8_t *d, size_t size, const char *name)
{
	size_t len = strlen(name), found = 0;

	for (size_t off = 4096; off + 0x50 + len <= size; off += 8) {
		if (d[off + 4] != 'n' || d[off + 5] != 'k')
			continue;
		if ((size_t)(d[off + 0x4c] | d[off + 0x4d] << 8) != len || memcmp(d + off + 0x50, name, len))
			continue;
		assert_int_equal(found, 0);   /* names are unique in the fixture */
		found = off;
	}
	assert_true(found != 0);
	return found;
}

/* nk: subkey count at 0x18, subkey list at 0x20 */
static void copy_subkeys(uint8_t *d, size_t to, size_t from)
{
	wr32(d + to + 0x18, rd32(d + from + 0x18));
	wr32(d + to + 0x20, rd32(d + from + 0x20));
}

/* The one Tree entry with that id, at path. */
static void in_tree(const struct taskcache *tc, const char *id, const char *path)
{
	const struct taskcache_task *found = NULL;

	for (size_t i = 0; i < tc->n; i++)
		if (tc->v[i].in_tree && tc->v[i].id && !strcmp(tc->v[i].id, id)) {
			assert_null(found);
			found = &tc->v[i];
		}
	assert_non_null(found);
	assert_string_equal(found->path, path);
}

static void tasks_only(const struct taskcache *tc, const char *id, const char *path)
{
	const struct taskcache_task *x = by_id(tc, id);

	assert_non_null(x);
	assert_false(x->in_tree);
	assert_true(x->in_tasks);
	assert_string_equal(x->path, path);
}

static void hive_looping_tree(void **state)
{
	struct text t = { 0 };
	size_t size;
	uint8_t *base;

	t_tree(&t, "Loop\\Inner\\T1", G("30"), 3, SD_HEX);
	t_tree(&t, "Other", G("31"), 3, SD_HEX);
	t_tree(&t, "Shared\\Leaf", G("32"), 3, SD_HEX);
	t_tasks(&t, G("30"), "\\\\Loop\\\\Inner\\\\T1", "t1.exe");
	base = hive_bytes(t.p, &size);

	for (int variant = 0; variant < 4; variant++) {
		uint8_t *d = xmalloc(size);
		size_t tree, loop, inner, other, shared;
		struct hive *h;
		struct taskcache tc;

		memcpy(d, base, size);
		tree = find_nk(d, size, "Tree");
		loop = find_nk(d, size, "Loop");
		inner = find_nk(d, size, "Inner");
		other = find_nk(d, size, "Other");
		shared = find_nk(d, size, "Shared");
		switch (variant) {
		case 0: /* Inner's subkeys are Tree's: Loop -> Inner -> Loop ... */
			copy_subkeys(d, inner, tree);
			break;
		case 1: /* Inner is its own child */
			copy_subkeys(d, inner, loop);
			break;
		case 2: /* two keys share a subkey list: Other's child is Shared's */
			copy_subkeys(d, other, shared);
			break;
		default: /* every key below Tree points back at Tree's list */
			copy_subkeys(d, loop, tree);
			copy_subkeys(d, inner, tree);
			copy_subkeys(d, other, tree);
			copy_subkeys(d, shared, tree);
			break;
		}
		h = open_bytes(d, size);
		assert_int_equal(taskcache_read(h, &tc), 0);
		assert_true(tc.loop);
		assert_false(tc.truncated);
		assert_true(tc.tree_keys <= 6);   /* Loop Inner T1 Other Shared Leaf */
		switch (variant) {
		case 0:
			in_tree(&tc, G("31"), "\\Loop\\Inner\\Other");
			in_tree(&tc, G("32"), "\\Loop\\Inner\\Shared\\Leaf");
			tasks_only(&tc, G("30"), "\\Loop\\Inner\\T1");
			break;
		case 1:
			in_tree(&tc, G("31"), "\\Other");
			in_tree(&tc, G("32"), "\\Shared\\Leaf");
			tasks_only(&tc, G("30"), "\\Loop\\Inner\\T1");
			break;
		case 2:
			in_tree(&tc, G("30"), "\\Loop\\Inner\\T1");
			in_tree(&tc, G("31"), "\\Other");
			in_tree(&tc, G("32"), "\\Other\\Leaf");
			break;
		default:
			in_tree(&tc, G("31"), "\\Loop\\Other");
			tasks_only(&tc, G("30"), "\\Loop\\Inner\\T1");
			assert_null(by_id(&tc, G("32")));
			break;
		}
		taskcache_release(&tc);
		hive_close(h);
		free(d);
	}
	free(base);
	free(t.p);
}

/* Bit flips and rewritten fields over the whole fixture hive. */
static void hive_mutations(void **state)
{
	char *reg = software_reg();
	size_t size, opened = 0, found = 0;
	uint8_t *base = hive_bytes(reg, &size);

	for (int it = 0; it < HIVE_FUZZ_ITERATIONS; it++) {
		uint8_t *d = xmalloc(size);
		struct hive *h = NULL;
		struct hive_health hh;
		int flips = 1 + (int)(rnd() % 8);

		memcpy(d, base, size);
		for (int k = 0; k < flips; k++) {
			/* Past the base block, where the keys and values are. */
			size_t at = 4096 + (size_t)(rnd() % (size - 4096));

			if (rnd() % 3 == 0 && at + 4 <= size)
				wr32(d + at, (uint32_t)rnd() % 3 == 0 ? 0xffffffffu : (uint32_t)rnd());
			else
				d[at] ^= (uint8_t)(1u << (rnd() % 8));
		}
		if (hive_open_mem(d, size, &h, &hh) == 0) {
			struct taskcache tc;

			opened++;
			if (taskcache_read(h, &tc) == 0) {
				found++;
				assert_true(tc.n <= TASKCACHE_MAX_TASKS);
				for (size_t i = 0; i < tc.n; i++)
					check_strings(&tc.v[i].actions);
			}
			taskcache_release(&tc);
			hive_close(h);
		}
		free(d);
	}
	print_message("hive mutations: %zu opened, %zu with a TaskCache\n", opened, found);
	assert_true(found > 0);
	free(base);
	free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exec_v1),
		cmocka_unit_test(exec_v2),
		cmocka_unit_test(exec_v3),
		cmocka_unit_test(com_handler),
		cmocka_unit_test(email),
		cmocka_unit_test(message),
		cmocka_unit_test(several_actions),
		cmocka_unit_test(japanese),
		cmocka_unit_test(context_either_way),
		cmocka_unit_test(odd_strings),
		cmocka_unit_test(caps),
		cmocka_unit_test(too_short_and_versions),
		cmocka_unit_test(every_truncation),
		cmocka_unit_test(huge_and_odd_lengths),
		cmocka_unit_test(unknown_magic_and_stray_bytes),
		cmocka_unit_test(mutations),
		cmocka_unit_test(hive_tasks),
		cmocka_unit_test(hive_without_taskcache),
		cmocka_unit_test(hive_binary_values),
		cmocka_unit_test(hive_deep_tree),
		cmocka_unit_test(hive_looping_tree),
		cmocka_unit_test(hive_mutations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
