/* Code signatures (report.json manifest and autoruns[].target
 * authenticode): what the trust stage found, judged.
 *
 * A file whose signature does not match its bytes was changed after it was
 * signed: that is tampering, whatever the location or allowlist says, so
 * only a waiver lifts it. Unsigned programs where Windows keeps its own,
 * and unsigned or untrusted autostart targets, are what a planted trojan
 * without an antivirus signature looks like (the steel-plate case). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/policy.h>
#include <kenshu/trust.h>
#include "policy_internal.h"
#include <kenshu/banned.h>

/* Where Windows keeps its programs and drivers (drivers is under System32). */
static const char *const system_subdirs[] = { "System32", "SysWOW64" };

static bool in_system_dir(const char *path, const char *system_root)
{
	size_t rl = strlen(system_root);

	if (strncasecmp(path, system_root, rl) || path[rl] != '/')
		return false;
	for (size_t i = 0; i < sizeof(system_subdirs) / sizeof(system_subdirs[0]); i++) {
		size_t sl = strlen(system_subdirs[i]);
		if (!strncasecmp(path + rl + 1, system_subdirs[i], sl) && path[rl + 1 + sl] == '/')
			return true;
	}
	return false;
}

/* What the signature says, in the words of one report line. */
static void sig_words(const struct sig_result *s, char *buf, size_t n)
{
	const char *who = s->signer_name ? s->signer_name : "an unnamed signer";
	const char *why = s->reason ? s->reason : "";

	switch (s->status) {
	case SIG_UNSIGNED:
		snprintf(buf, n, "unsigned: no embedded signature and no catalog of the image lists it");
		break;
	case SIG_UNTRUSTED:
		snprintf(buf, n, "signed by %s%s%s, but not trusted: %s", who,
			 s->source == SIG_SRC_CATALOG ? " through catalog " : "",
			 s->source == SIG_SRC_CATALOG && s->catalog ? path_base(s->catalog) : "", why);
		break;
	case SIG_ERROR:
		snprintf(buf, n, "its signature cannot be read: %s", why);
		break;
	case SIG_INVALID:
		snprintf(buf, n, "its signature does not match its content: %s", why);
		break;
	case SIG_VALID:
		snprintf(buf, n, "signed by %s", who);
		break;
	case SIG_NOT_CHECKED:
		buf[0] = 0;
		break;
	}
}

static const struct os_info *os_of(const struct report *r, unsigned volume)
{
	for (size_t i = 0; i < r->nos; i++)
		if (r->os[i].volume == volume)
			return &r->os[i];
	return NULL;
}

static void eval_files(struct pctx *c)
{
	const struct report *r = c->r;
	char words[1024];

	for (size_t i = 0; i < r->nfiles; i++) {
		const struct rep_file *f = &r->files[i];
		const struct sig_result *s = f->sig;
		const struct os_info *os;

		if (!s || f->link_of)
			continue;
		struct where w = { f->volume, f->path, s->signer_name, NULL, f->sha256, f->stream };
		sig_words(s, words, sizeof(words));
		if (s->status == SIG_INVALID) {
			policy_add(c, "signature-invalid", SEV_FAIL, &w, "%s%s%s: %s (changed after it was signed)",
				   f->path, f->stream[0] ? ":" : "", f->stream, words);
			continue;
		}
		/* A certificate table that points outside the file or cannot be
		 * parsed was damaged or cut short: no proof of tampering, so at
		 * most review. */
		if (s->status == SIG_ERROR) {
			policy_add(c, "signature-invalid", SEV_REVIEW, &w, "%s%s%s: %s (damaged or cut short)",
				   f->path, f->stream[0] ? ":" : "", f->stream, words);
			continue;
		}
		if (s->status == SIG_VALID || f->stream[0])
			continue;
		os = os_of(r, f->volume);
		if (!os || !in_system_dir(f->path, os->system_root) ||
		    policy_allowed(c->p, f->path, f->sha256, s))
			continue;
		policy_add(c, "system-file-unsigned", SEV_FAIL, &w, "%s: a program in Windows' system folders, %s",
			   f->path, words);
	}
}

static void eval_targets(struct pctx *c)
{
	const struct report *r = c->r;
	char words[1024];

	for (size_t i = 0; i < r->nos; i++) {
		const struct os_info *os = &r->os[i];
		for (size_t k = 0; k < os->autoruns.n; k++) {
			const struct autorun *a = &os->autoruns.v[k];
			const struct sig_result *s = a->target_sig;

			if (!s || a->target_exists != 1 || s->status == SIG_VALID || s->status == SIG_INVALID ||
			    s->status == SIG_NOT_CHECKED)
				continue;
			if (policy_allowed(c->p, a->target, a->target_sha256, s))
				continue;
			sig_words(s, words, sizeof(words));
			struct where w = { a->volume, a->target, a->command, NULL, a->target_sha256, NULL };
			char *where_ = autorun_where(a);
			policy_add(c, "autorun-unsigned", SEV_FAIL, &w, "%s%s%s%s (%s) runs %s: %s", where_,
				   a->user ? " (user " : "", a->user ? a->user : "", a->user ? ")" : "", a->category,
				   a->target, words);
			free(where_);
		}
	}
}

void eval_code_signatures(struct pctx *c)
{
	eval_files(c);
	eval_targets(c);
}
