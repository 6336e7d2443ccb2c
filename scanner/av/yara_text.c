/* A rule's own text out of its rule file, for exports that carry the rule
 * (STIX indicators with pattern_type "yara"). libyara keeps no source, so
 * the file the profile named is read again from memory: a light lexer that
 * knows comments, strings and regular expressions well enough to find the
 * rule's braces. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include "av_internal.h"
#include <kenshu/banned.h>

static bool ident_char(char c)
{
	return is_alnum((unsigned char)c) || c == '_';
}

/* Past a comment, string or regular expression starting at p; p itself
 * when none starts there. */
static const char *skip_lexeme(const char *p, bool regex_ok)
{
	if (p[0] == '/' && p[1] == '/') {
		const char *e = strchr(p, '\n');
		return e ? e : p + strlen(p);
	}
	if (p[0] == '/' && p[1] == '*') {
		const char *e = strstr(p + 2, "*/");
		return e ? e + 2 : p + strlen(p);
	}
	if (*p == '"' || (regex_ok && *p == '/')) {
		char q = *p++;
		while (*p && *p != q && *p != '\n') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		return *p == q ? p + 1 : p;
	}
	return p;
}

char *yara_find_rule_text(const char *text, const char *rule)
{
	size_t rl = strlen(rule);
	const char *p = text, *line = text;
	char prev = '\n';

	while (*p) {
		const char *q = skip_lexeme(p, false);
		if (q != p) {
			p = q;
			prev = ' ';
			continue;
		}
		if (*p == '\n')
			line = p + 1;
		if (!ident_char(prev) && !strncmp(p, "rule", 4) && (p[4] == ' ' || p[4] == '\t')) {
			const char *n = p + 4;
			while (*n == ' ' || *n == '\t')
				n++;
			if (!strncmp(n, rule, rl) && !ident_char(n[rl])) {
				const char *b = strchr(n + rl, '{');
				int depth = 0;
				/* Modifiers on the same line belong to the rule. */
				const char *start = line;
				for (const char *k = start; k < p; k++)
					if (!(*k >= 'a' && *k <= 'z') && *k != ' ' && *k != '\t')
						start = p;
				while (*start == ' ' || *start == '\t')
					start++;
				for (const char *c = b; c && *c; ) {
					const char *s = skip_lexeme(c, false);
					/* A '/' in a condition is division: a regular
					 * expression is one only as a string's value. */
					if (s == c && *c == '/') {
						const char *k = c - 1;
						while (k > b && (*k == ' ' || *k == '\t'))
							k--;
						if (*k == '=')
							s = skip_lexeme(c, true);
					}
					if (s != c) {
						c = s;
						continue;
					}
					if (*c == '{')
						depth++;
					else if (*c == '}' && --depth == 0)
						return xstrndup(start, (size_t)(c + 1 - start));
					c++;
				}
				return NULL;
			}
		}
		prev = *p++;
	}
	return NULL;
}
