/* cmdline_hosts: the programs that run other code (rundll32, regsvr32,
 * mshta, the script hosts, cmd, PowerShell) and how each one's arguments
 * name its payload; the argument splitting they share. See cmdline.c. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include "artifacts_internal.h"
#include <kenshu/banned.h>

/* ---- small helpers ---- */

static const char *skip_ws(const char *s)
{
	while (is_ws(*s))
		s++;
	return s;
}

static bool istarts(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strnlen(s, n) == n && ieq_n(s, prefix, n);
}

static bool icontains(const char *hay, const char *needle)
{
	for (; *hay; hay++)
		if (istarts(hay, needle))
			return true;
	return false;
}

static bool mentions_url(const char *s)
{
	return icontains(s, "http://") || icontains(s, "https://") || icontains(s, "ftp://");
}

static bool is_inline_script(const char *s)
{
	return istarts(s, "javascript:") || istarts(s, "vbscript:") || istarts(s, "about:");
}

/* Last component of p[0..n). */
static const char *base_of(const char *p, size_t n, size_t *blen)
{
	size_t i = n;

	while (i > 0 && !is_sep(p[i - 1]))
		i--;
	*blen = n - i;
	return p + i;
}

/* ---- argument splitting ---- */

/* Next argument per the Microsoft C runtime rules (2n backslashes before a
 * quote are n, 2n+1 make the quote literal, "" inside quotes is a quote).
 * Returns NULL at the end; *start (may be NULL) gets where it began raw. */
static char *next_arg(const char **pp, const char **start)
{
	const char *p = skip_ws(*pp);
	struct strbuf b = STRBUF_INIT;
	bool inq = false;

	if (!*p) {
		*pp = p;
		return NULL;
	}
	if (start)
		*start = p;
	while (*p && (inq || !is_ws(*p))) {
		if (*p == '\\') {
			size_t nb = 0;

			while (p[nb] == '\\')
				nb++;
			if (p[nb] == '"') {
				for (size_t i = 0; i < nb / 2; i++)
					strbuf_addch(&b, '\\');
				p += nb;
				if (nb % 2) {
					strbuf_addch(&b, '"');
					p++;
				}
				continue;
			}
			strbuf_add(&b, p, nb);
			p += nb;
			continue;
		}
		if (*p == '"') {
			if (inq && p[1] == '"') {
				strbuf_addch(&b, '"');
				p += 2;
				continue;
			}
			inq = !inq;
			p++;
			continue;
		}
		strbuf_addch(&b, *p++);
	}
	*pp = p;
	return strbuf_detach(&b, NULL);
}

/* ---- payload helpers ---- */

static void set_payload_file(struct cmd_rs *rs, struct cmd_resolution *out,
			     const char *p, size_t n, enum cmd_fmode mode)
{
	unsigned fl = 0;
	bool found;

	free(out->payload);
	free(out->payload_path);
	out->payload = xstrndup(p, n);
	out->payload_path = cmd_find_file(rs, p, n, mode, false, &found, &fl);
	out->flags |= fl;
	if (!found && !(fl & CMD_F_NOT_LOCAL))
		out->flags |= CMD_F_PAYLOAD_NOT_FOUND;
}

void cmd_set_payload_text(struct cmd_resolution *out, const char *s, unsigned flags)
{
	free(out->payload);
	out->payload = xstrdup(s);
	out->flags |= flags;
	if (mentions_url(s))
		out->flags |= CMD_F_URL;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64, whitespace ignored, padding optional. NULL if invalid. */
static unsigned char *b64_decode(const char *s, size_t *outlen)
{
	unsigned char *o = xmalloc(strlen(s) / 4 * 3 + 3);
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t k = 0;
	bool pad = false;

	for (; *s; s++) {
		int v;

		if (is_ws(*s))
			continue;
		if (*s == '=') {
			pad = true;
			continue;
		}
		v = b64_value(*s);
		if (v < 0 || pad) {
			free(o);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (bits >= 6) { /* one dangling character carries no byte */
		free(o);
		return NULL;
	}
	*outlen = k;
	return o;
}

static void set_encoded(struct cmd_resolution *out, char *b64)
{
	size_t n = 0;
	unsigned char *raw = b64_decode(b64, &n);

	free(out->payload);
	free(out->decoded);
	out->payload = b64;
	out->decoded = NULL;
	out->flags |= CMD_F_ENCODED;
	if (!raw) {
		out->flags |= CMD_F_BAD_ENCODING;
		return;
	}
	if (n >= 2 && raw[0] == 0xFF && raw[1] == 0xFE)
		out->decoded = utf16le_to_utf8(raw + 2, (n - 2) / 2, NULL);
	else
		out->decoded = utf16le_to_utf8(raw, n / 2, NULL);
	free(raw);
	if (mentions_url(out->decoded))
		out->flags |= CMD_F_URL;
}

/* ---- hosts ---- */

static void host_rundll32(struct cmd_rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = skip_ws(args);
	char *dll;
	size_t n;

	(void)depth;
	/* rundll32 javascript:"\..\mshtml,RunHTMLApplication ";... */
	if (is_inline_script(a)) {
		cmd_set_payload_text(out, a, CMD_F_SCRIPT | CMD_F_INLINE);
		return;
	}
	dll = next_arg(&a, NULL);
	if (!dll)
		return;
	n = strcspn(dll, ",");
	while (n && is_ws(dll[n - 1]))
		n--;
	if (n)
		set_payload_file(rs, out, dll, n, CMD_FM_DLL);
	free(dll);
}

static void host_regsvr32(struct cmd_rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = args;
	char *t, *dll = NULL, *iarg = NULL;
	size_t blen = 0;
	const char *base;

	(void)depth;
	while ((t = next_arg(&a, NULL))) {
		if ((t[0] == '/' || t[0] == '-') && t[1]) {
			if (lc((unsigned char)t[1]) == 'i' && t[2] == ':' && !iarg)
				iarg = xstrdup(t + 3);
			free(t);
			continue;
		}
		if (!dll)
			dll = t;
		else
			free(t);
	}
	base = dll ? base_of(dll, strlen(dll), &blen) : NULL;
	if (iarg && is_url(iarg)) {
		cmd_set_payload_text(out, iarg, CMD_F_URL);
	} else if (iarg && *iarg && base &&
		   (ieq_len(base, blen, "scrobj.dll") || ieq_len(base, blen, "scrobj"))) {
		/* /i:<scriptlet> handed to scrobj's DllInstall */
		set_payload_file(rs, out, iarg, strlen(iarg), CMD_FM_FILE);
		out->flags |= CMD_F_SCRIPT;
	} else if (dll) {
		set_payload_file(rs, out, dll, strlen(dll), CMD_FM_DLL);
	}
	free(iarg);
	free(dll);
}

static void host_mshta(struct cmd_rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = skip_ws(args);
	char *t = next_arg(&a, NULL);

	(void)depth;
	if (!t)
		return;
	if (is_inline_script(t))
		cmd_set_payload_text(out, skip_ws(args), CMD_F_SCRIPT | CMD_F_INLINE);
	else if (is_url(t))
		cmd_set_payload_text(out, t, CMD_F_URL);
	else {
		set_payload_file(rs, out, t, strlen(t), CMD_FM_FILE);
		out->flags |= CMD_F_SCRIPT;
	}
	free(t);
}

static void host_wsh(struct cmd_rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = args;
	char *t;

	(void)depth;
	while ((t = next_arg(&a, NULL))) {
		if (t[0] == '/' && t[1] == '/') { /* //B, //E:jscript, //Nologo... */
			free(t);
			continue;
		}
		set_payload_file(rs, out, t, strlen(t), CMD_FM_FILE);
		out->flags |= CMD_F_SCRIPT;
		free(t);
		break;
	}
}

/* cmd builtins that run the rest of their line. */
static const char *skip_start(const char *s)
{
	bool title = false;

	for (;;) {
		size_t w;

		s = skip_ws(s);
		if (*s == '"' && !title) { /* the first quoted argument is the window title */
			const char *e = strchr(s + 1, '"');

			s = e ? e + 1 : s + strlen(s);
			title = true;
			continue;
		}
		if (*s != '/')
			return s;
		w = 0;
		while (s[w] && !is_ws(s[w]))
			w++;
		if (ieq_len(s, w, "/d") || ieq_len(s, w, "/node") || ieq_len(s, w, "/affinity")) {
			s = skip_ws(s + w);
			w = 0;
			while (s[w] && !is_ws(s[w]))
				w++;
		}
		s += w;
	}
}

static const char *skip_call(const char *s)
{
	return skip_ws(s);
}

static const struct cmd_builtin {
	const char *name;
	const char *(*skip)(const char *rest);
} cmd_builtins[] = {
	{ "start", skip_start },
	{ "call", skip_call },
};

static void host_cmd(struct cmd_rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	const char *a = args, *st = NULL, *rest = NULL, *p;
	bool opt_s = false;
	char *t, *text, *inner;
	size_t n;

	while ((t = next_arg(&a, &st))) {
		int c = lc((unsigned char)st[1]);

		free(t);
		if (st[0] != '/')
			break; /* no /c or /k: cmd would just start interactively */
		if (c == 'c' || c == 'k' || c == 'r') {
			rest = skip_ws(st + 2);
			break;
		}
		if (c == 's' && (st[2] == '\0' || is_ws(st[2])))
			opt_s = true;
	}
	if (!rest || !*rest)
		return;

	/* cmd /? : the outer quotes are kept only for exactly two quotes around
	 * text with a blank and no special character, and no /s. */
	text = xstrdup(rest);
	n = strlen(text);
	if (text[0] == '"') {
		size_t nq = 0;
		bool blank = false, special = false;
		char *last = strrchr(text, '"');

		for (size_t i = 0; i < n; i++)
			nq += text[i] == '"';
		for (p = text + 1; p < last; p++) {
			blank |= is_ws(*p);
			special |= strchr("&<>()@^|", *p) != NULL;
		}
		if (opt_s || nq != 2 || !blank || special || last == text) {
			memmove(last, last + 1, strlen(last + 1) + 1);
			if (last != text)
				memmove(text, text + 1, strlen(text + 1) + 1);
		}
	}
	free(out->payload);
	out->payload = text;

	/* The first command of a chain: up to an unquoted & | < > (^ escapes). */
	{
		bool inq = false;

		for (n = 0; text[n]; n++) {
			if (text[n] == '^' && text[n + 1] && !inq) {
				n++;
				continue;
			}
			if (text[n] == '"')
				inq = !inq;
			else if (!inq && strchr("&|<>", text[n]))
				break;
		}
	}
	inner = xstrndup(text, n);
	p = skip_ws(inner);
	for (int round = 0; round < 4; round++) {
		size_t w = 0;
		bool hit = false;

		while (p[w] && !is_ws(p[w]) && p[w] != '"')
			w++;
		for (size_t i = 0; i < sizeof(cmd_builtins) / sizeof(cmd_builtins[0]); i++) {
			if (ieq_len(p, w, cmd_builtins[i].name)) {
				p = cmd_builtins[i].skip(p + w);
				hit = true;
				break;
			}
		}
		if (!hit)
			break;
	}

	out->inner = xcalloc(1, sizeof(*out->inner));
	if (cmd_resolve_text(rs, p, depth + 1, out->inner) != 0) {
		free(out->inner);
		out->inner = NULL;
	} else {
		struct cmd_resolution *r = out->inner;
		unsigned f = r->flags;

		if (f & CMD_F_NOT_FOUND)
			f = (f & ~(unsigned)CMD_F_NOT_FOUND) | CMD_F_PAYLOAD_NOT_FOUND;
		out->flags |= f;
		if (r->image_path)
			out->payload_path = xstrdup(r->image_path);
		if (!out->decoded && r->decoded)
			out->decoded = xstrdup(r->decoded);
	}
	free(inner);
}

enum ps_kind { PS_FLAG, PS_ARG, PS_ENC, PS_CMD, PS_FILE };

/* powershell.exe / pwsh parameters that matter here. A parameter may be any
 * prefix of its name at least min long; the first match in table order wins
 * (PowerShell itself resolves -e to -EncodedCommand). Unknown ones are flags. */
static const struct ps_opt {
	const char *name;
	unsigned char min;
	unsigned char kind;
} ps_opts[] = {
	{ "encodedcommand", 1, PS_ENC },
	{ "ec", 2, PS_ENC },
	{ "encodedarguments", 8, PS_ARG },
	{ "ea", 2, PS_ARG },
	{ "executionpolicy", 2, PS_ARG },
	{ "ep", 2, PS_ARG },
	{ "commandwithargs", 8, PS_CMD },
	{ "cwa", 3, PS_CMD },
	{ "configurationname", 3, PS_ARG },
	{ "command", 1, PS_CMD },
	{ "file", 1, PS_FILE },
	{ "inputformat", 2, PS_ARG },
	{ "outputformat", 1, PS_ARG },
	{ "windowstyle", 1, PS_ARG },
	{ "workingdirectory", 2, PS_ARG },
	{ "wd", 2, PS_ARG },
	{ "version", 1, PS_ARG },
	{ "psconsolefile", 2, PS_ARG },
	{ "settingsfile", 2, PS_ARG },
	{ "custompipename", 2, PS_ARG },
};

/* Length of a parameter introducer: '-', '/', or the en dash, em dash and
 * horizontal bar PowerShell also accepts. 0 if none. */
static size_t ps_dash(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (s[0] == '-' || s[0] == '/')
		return 1;
	if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x93 && u[2] <= 0x95)
		return 3;
	return 0;
}

static enum ps_kind ps_lookup(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(ps_opts) / sizeof(ps_opts[0]); i++) {
		const struct ps_opt *o = &ps_opts[i];

		if (n >= o->min && n <= strlen(o->name) && ieq_n(name, o->name, n))
			return (enum ps_kind)o->kind;
	}
	return PS_FLAG;
}

static void host_ps_common(struct cmd_rs *rs, const char *args, struct cmd_resolution *out,
			   bool positional_is_file)
{
	const char *a = args, *st = NULL;
	char *t, *v;

	while ((t = next_arg(&a, &st))) {
		size_t dl = ps_dash(t);

		if (dl && t[dl]) {
			enum ps_kind k = ps_lookup(t + dl);

			free(t);
			switch (k) {
			case PS_FLAG:
				continue;
			case PS_ARG:
				free(next_arg(&a, NULL));
				continue;
			case PS_ENC:
				v = next_arg(&a, NULL);
				if (v)
					set_encoded(out, v);
				continue;
			case PS_CMD:
				a = skip_ws(a);
				if (*a)
					cmd_set_payload_text(out, a, CMD_F_INLINE);
				return;
			case PS_FILE:
				v = next_arg(&a, NULL);
				if (v) {
					set_payload_file(rs, out, v, strlen(v), CMD_FM_FILE);
					out->flags |= CMD_F_SCRIPT;
					free(v);
				}
				return;
			}
			continue;
		}
		/* The first positional argument: -Command for Windows PowerShell,
		 * -File for pwsh. */
		if (positional_is_file) {
			set_payload_file(rs, out, t, strlen(t), CMD_FM_FILE);
			out->flags |= CMD_F_SCRIPT;
		} else {
			cmd_set_payload_text(out, st, CMD_F_INLINE);
		}
		free(t);
		return;
	}
}

static void host_powershell(struct cmd_rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	(void)depth;
	host_ps_common(rs, args, out, false);
}

static void host_pwsh(struct cmd_rs *rs, const char *args, int depth, struct cmd_resolution *out)
{
	(void)depth;
	host_ps_common(rs, args, out, true);
}

static const struct cmd_host hosts[] = {
	{ "rundll32", "rundll32.exe", host_rundll32 },
	{ "regsvr32", "regsvr32.exe", host_regsvr32 },
	{ "mshta", "mshta.exe", host_mshta },
	{ "wscript", "wscript.exe", host_wsh },
	{ "cscript", "cscript.exe", host_wsh },
	{ "cmd", "cmd.exe", host_cmd },
	{ "powershell", "powershell.exe", host_powershell },
	{ "pwsh", "pwsh.exe", host_pwsh },
};

const struct cmd_host *cmd_host_lookup(const char *tok, size_t n)
{
	size_t blen;
	const char *b = base_of(tok, n, &blen);

	if (blen > 4 && ieq_n(b + blen - 4, ".exe", 4))
		blen -= 4;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (ieq_len(b, blen, hosts[i].name))
			return &hosts[i];
	return NULL;
}

