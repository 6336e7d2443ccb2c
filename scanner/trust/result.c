/* The one result a file gets: release, copy and the names the reports use. */
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/trust.h>
#include <kenshu/banned.h>

void sig_result_release(struct sig_result *r)
{
	if (!r)
		return;
	free(r->signer);
	free(r->signer_name);
	free(r->issuer);
	free(r->signing_time);
	free(r->catalog);
	free(r->reason);
	free(r->digest_alg);
	memset(r, 0, sizeof(*r));
}

void sig_result_copy(struct sig_result *dst, const struct sig_result *src)
{
	*dst = *src;
	dst->signer = xstrdup_or_null(src->signer);
	dst->signer_name = xstrdup_or_null(src->signer_name);
	dst->issuer = xstrdup_or_null(src->issuer);
	dst->signing_time = xstrdup_or_null(src->signing_time);
	dst->catalog = xstrdup_or_null(src->catalog);
	dst->reason = xstrdup_or_null(src->reason);
	dst->digest_alg = xstrdup_or_null(src->digest_alg);
}

const char *sig_status_name(enum sig_status s)
{
	switch (s) {
	case SIG_VALID:
		return "valid";
	case SIG_INVALID:
		return "invalid";
	case SIG_UNTRUSTED:
		return "untrusted";
	case SIG_UNSIGNED:
		return "unsigned";
	case SIG_ERROR:
		return "error";
	case SIG_NOT_CHECKED:
		break;
	}
	return "";
}

const char *sig_source_name(enum sig_source s)
{
	switch (s) {
	case SIG_SRC_EMBEDDED:
		return "embedded";
	case SIG_SRC_CATALOG:
		return "catalog";
	case SIG_SRC_NONE:
		break;
	}
	return "";
}
