/* sam-dump SAM [SYSTEM]: the accounts kenshu's SAM parser reads from a
 * hive pair, one line each (tests/realdata/sam.sh builds it). Never a hash:
 * only what the report would say. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/artifacts.h>

static struct hive *open_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct hive *h = NULL;
	struct hive_health hh;
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n || hive_open_mem(buf, (size_t)n, &h, &hh) < 0) {
		fprintf(stderr, "%s: %s\n", path, hh.error);
		h = NULL;
	}
	free(buf);
	fclose(f);
	return h;
}

int main(int argc, char **argv)
{
	struct hive *sam, *sys = NULL;
	struct sam_accounts a;
	struct ks_err err;
	uint8_t key[16];
	int have_key = 0;
	uint32_t cs = 1;
	char t1[32], t2[32];

	if (argc < 2 || !(sam = open_file(argv[1])))
		return 2;
	if (argc > 2 && (sys = open_file(argv[2]))) {
		hive_dword(sys, hive_key(sys, "Select"), "Current", &cs);
		if (sam_boot_key(sys, cs, key, &err) < 0)
			printf("boot key: %s\n", err.msg);
		else
			have_key = 1;
	}
	/* the boot key itself is never printed: only whether it is the one a
	 * reference tool found (SAM_DUMP_BOOT_KEY, 32 hex digits) */
	if (have_key && getenv("SAM_DUMP_BOOT_KEY")) {
		char hex[33];
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", key[i]);
		printf("boot key %s the expected one\n", strcmp(hex, getenv("SAM_DUMP_BOOT_KEY")) ? "differs from" : "is");
	}
	if (sam_read(sam, have_key ? key : NULL, &a, &err) < 0) {
		printf("error: %s\n", err.msg);
		return 1;
	}
	printf("accounts %zu%s, key: %s\n", a.n, a.truncated ? " (truncated)" : "", a.key_note ? a.key_note : "ok");
	for (size_t i = 0; i < a.n; i++) {
		const struct sam_account *u = &a.v[i];
		ks_iso_time(u->last_logon, t1, sizeof(t1));
		ks_iso_time(u->password_last_set, t2, sizeof(t2));
		printf("%u\t%s\tfull=%s\tacb=0x%04x\tlogons=%u\tlast=%s\tpwset=%s\tadmin=%d\trdp=%d\tpassword=%s%s%s\n",
		       u->rid, u->name, u->full_name ? u->full_name : "", u->acb, u->logon_count, t1, t2, u->admin,
		       u->rdp, sam_password_name(u->password), u->note ? "\tnote=" : "", u->note ? u->note : "");
	}
	sam_accounts_release(&a);
	hive_close(sam);
	hive_close(sys);
	return 0;
}
