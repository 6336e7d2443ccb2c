/* report.html's "Local accounts": the SAM's accounts, the ones a person
 * must look at marked (enabled with an empty or unneeded password, enabled
 * administrators). Of a password only the judgement is shown. */
#include <stdio.h>
#include <string.h>

#include <kenshu/artifacts.h>
#include <kenshu/windows.h>
#include <kenshu/report.h>
#include "output_internal.h"
#include <kenshu/banned.h>

static void time_cell(FILE *f, time_t t)
{
	char iso[32];

	ks_iso_time(t, iso, sizeof(iso));
	fputs("<td class=\"mono\">", f);
	html_esc(f, iso[0] ? iso : "never");
	fputs("</td>", f);
}

static void accounts_os(const struct os_info *os, FILE *f)
{
	const struct sam_accounts *l = &os->accounts;

	fprintf(f, "<h3>Volume %u: %zu account%s%s</h3>\n", os->volume, l->n, pl_s(l->n),
		l->truncated ? " (more not listed)" : "");
	if (os->accounts_error) {
		fputs("<p>The SAM could not be read: ", f);
		html_esc(f, os->accounts_error);
		fputs("</p>\n", f);
		return;
	}
	if (l->key_note) {
		fputs("<p class=\"small\">Stored passwords could not be judged: ", f);
		html_esc(f, l->key_note);
		fputs("</p>\n", f);
	}
	report_html_table_head(f, NULL, "w4|RID", "w10|Name", "w6|State", "w6|Groups", "w8|Password", "|Last logon",
			       "|Password set", "w4|Logons", "p25|Notes", NULL);
	for (size_t i = 0; i < l->n; i++) {
		const struct sam_account *a = &l->v[i];
		bool on = a->has_f && !(a->acb & SAM_ACB_DISABLED);
		bool blank = on && (a->password == SAM_PW_EMPTY ||
				    (a->password != SAM_PW_SET && (a->acb & SAM_ACB_PW_NOT_REQUIRED)));
		fprintf(f, "<tr><td>%u</td><td>", a->rid);
		html_esc(f, a->name);
		if (a->full_name) {
			fputs("<br><span class=\"small\">", f);
			html_esc(f, a->full_name);
			fputs("</span>", f);
		}
		fprintf(f, "</td><td>%s</td><td%s>%s</td><td%s>%s%s</td>", !a->has_f ? "unknown" : on ? "enabled" : "disabled",
			on && a->admin && a->rid != 500 ? " class=\"st-bad\"" : "",
			a->admin && a->rdp ? "Administrators, Remote Desktop Users" : a->admin ? "Administrators"
			: a->rdp ? "Remote Desktop Users" : "",
			blank ? " class=\"st-bad\"" : "", sam_password_name(a->password),
			a->has_f && (a->acb & SAM_ACB_PW_NOT_REQUIRED) ? ", not required" : "");
		if (a->has_f) {
			time_cell(f, a->last_logon);
			time_cell(f, a->password_last_set);
			fprintf(f, "<td>%u</td>", a->logon_count);
		} else {
			fputs("<td></td><td></td><td></td>", f);
		}
		fputs("<td>", f);
		if (a->has_f && (a->acb & SAM_ACB_LOCKED))
			fputs("locked out ", f);
		if (a->note)
			html_esc(f, a->note);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

void html_accounts_section(const struct report *r, FILE *f)
{
	bool any = false;

	for (size_t i = 0; i < r->nos; i++)
		any |= r->os[i].accounts.n > 0 ||
		       (r->os[i].accounts_error && strncmp(r->os[i].accounts_error, "no SAM hive", 11));
	if (!any)
		return;   /* as report.txt: no section for an image without a SAM */
	fputs("<section id=\"accounts\">\n<h2>Local accounts</h2>\n", f);
	fputs("<p class=\"small\">From the SAM hive; of a password only whether it is empty, set or absent.</p>\n", f);
	for (size_t i = 0; i < r->nos; i++)
		if (r->os[i].accounts.n || r->os[i].accounts_error)
			accounts_os(&r->os[i], f);
	fputs("</section>\n", f);
}
