/* YARA rule files a plant takes from a CERT or ISAC and names in its
 * profile: libyara's compiler over arbitrary text, through kenshu's error
 * collection (every error as FILE:LINE) with every include refused, then,
 * for text that compiles, the rule-set load and the search for each rule's
 * own text (yara_rule_text, kenshu's own lexer of rule files).
 *
 * Property: an error is never silent (a refused text has at least one
 * message, each "NAME:LINE: ..."), and text that compiles alone loads as a
 * set whose rules' texts, when found, start with the rule keyword. */
#include <kenshu/core.h>
#include <kenshu/av.h>
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* The names after "rule" in text, roughly: enough to ask for them. */
static void ask_rule_texts(const struct yara *y, const char *text)
{
	for (const char *p = text; (p = strstr(p, "rule ")); p += 5) {
		char name[129];
		size_t n = 0;
		const char *q = p + 5;
		while (*q == ' ')
			q++;
		while (n < sizeof(name) - 1 && (q[n] == '_' || (q[n] >= '0' && q[n] <= '9') ||
						 (q[n] >= 'a' && q[n] <= 'z') || (q[n] >= 'A' && q[n] <= 'Z')))
			n++;
		if (!n)
			continue;
		memcpy(name, q, n);
		name[n] = 0;
		char *t = yara_rule_text(y, 0, name);
		if (t && !strstr(t, "rule")) {
			fprintf(stderr, "rule text of %s lacks the keyword: %s\n", name, t);
			abort();
		}
		free(t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yara_diags d = { 0 };
	char *text = xstrndup((const char *)data, size);
	int rc = yara_check_text("fuzz.yar", (const char *)data, size, &d);

	if (rc < 0 && d.n == 0) {
		fprintf(stderr, "refused without a message\n");
		abort();
	}
	for (size_t i = 0; i < d.n; i++)
		if (strncmp(d.v[i], "fuzz.yar", 8) != 0) {
			fprintf(stderr, "message without the file: %s\n", d.v[i]);
			abort();
		}
	yara_diags_release(&d);
	if (rc == 0 && !strstr(text, "include")) {
		char path[4096];
		const char *p = fuzz_write(path, sizeof(path), "rules.yar", data, size);
		struct yara *y = NULL;
		struct ks_err err;
		if (yara_load(&p, 1, &y, &d, &err) < 0) {
			fprintf(stderr, "compiled alone, refused as a set: %s\n", err.msg);
			abort();
		}
		ask_rule_texts(y, text);
		yara_free(y);
		yara_diags_release(&d);
	}
	free(text);
	return 0;
}
