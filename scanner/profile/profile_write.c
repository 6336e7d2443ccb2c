/* Profiles: the effective profile as INI text (`kenshu profile show`, and
 * the canonical text the effective hash is taken over). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kenshu/core.h>
#include <kenshu/av.h>
#include <kenshu/profile.h>
#include "profile_internal.h"
#include <kenshu/banned.h>

static void format_key(struct strbuf *sb, const struct profile *p, const char *section, const char *key, const char *def,
		      bool origins)
{
	struct entry *e = prof_entries_find((struct entries *)&p->eff, section, key);
	const char *v = e ? e->value : def;

	if (!v)
		return;
	const struct profile_key *k = prof_key_find(section, key);
	if (!origins && k && k->type == PK_FILES && *v) {
		/* The effective hash stands for what decides: a feed's content,
		 * not where the profile happens to lie on this machine. */
		size_t cnt;
		char **items = prof_split_list(v, &cnt);
		strbuf_addf(sb, "%s = ", key);
		for (size_t i = 0; i < cnt; i++) {
			char hex[SHA256_HEX_LEN + 1];
			uint64_t size;
			const struct yara_set *ys = !strcmp(section, "yara") ? yara_set(p->yara, i) : NULL;
			/* A rule directory stands by its files' hash. */
			if (ys)
				memcpy(hex, ys->sha256, sizeof(hex));
			else if (sha256_file(items[i], hex, &size) < 0)
				snprintf(hex, sizeof(hex), "unreadable");
			strbuf_addf(sb, "%ssha256:%s", i ? ", " : "", hex);
		}
		prof_free_items(items, cnt);
		strbuf_addch(sb, '\n');
		return;
	}
	strbuf_addf(sb, "%s = %s", key, v);
	if (origins)
		strbuf_addf(sb, "    ; %s", e ? e->origin : "built-in default");
	strbuf_addch(sb, '\n');
}

/* Sections in table order, keys in table order, named sections sorted by
 * name: the same effective profile always gives the same text. */
void profile_format(const struct profile *p, struct strbuf *sb, bool origins)
{
	const char *last = NULL;

	if (origins) {
		strbuf_addf(sb, "; effective profile %s\n; source %s\n", p->name, p->source);
		for (size_t i = 1; i < p->nfiles; i++)
			strbuf_addf(sb, "; includes %s\n", p->files[i].source);
	}
	for (size_t i = 0; i < profile_nkeys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (strchr(k->section, '.'))
			continue;
		if (!last || strcmp(last, k->section) != 0) {
			strbuf_addf(sb, "%s[%s]\n", last ? "\n" : "", k->section);
			last = k->section;
		}
		if (!strcmp(k->key, "*")) {
			for (size_t r = 0; r < rule_count; r++)
				format_key(sb, p, "rules", rule_table[r].id, severity_name(p->sev[r]), origins);
			continue;
		}
		if (!strcmp(k->key, "include"))
			continue;   /* already followed: the effective profile stands alone */
		format_key(sb, p, k->section, k->key, k->def, origins);
	}
	/* Named sections, sorted by section name. */
	size_t n = 0;
	const char **names = NULL;
	for (size_t i = 0; i < p->eff.n; i++) {
		const char *s = p->eff.v[i].section;
		bool seen = false;
		if (!strchr(s, '.'))
			continue;
		for (size_t k = 0; k < n; k++)
			seen |= !strcasecmp(names[k], s);
		if (!seen) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = s;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcasecmp(names[k - 1], names[k]) > 0; k--) {
			const char *t = names[k];
			names[k] = names[k - 1];
			names[k - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		const char *base = !strncasecmp(names[i], "allow.", 6) ? "allow.*" : "waiver.*";
		strbuf_addf(sb, "\n[%s]\n", names[i]);
		for (size_t k = 0; k < profile_nkeys; k++)
			if (!strcmp(profile_keys[k].section, base))
				format_key(sb, p, names[i], profile_keys[k].key, NULL, origins);
	}
	free(names);
}

void profile_write(const struct profile *p, FILE *f, bool origins)
{
	struct strbuf sb = STRBUF_INIT;

	profile_format(p, &sb, origins);
	fwrite(sb.buf, 1, sb.len, f);
	strbuf_release(&sb);
}
