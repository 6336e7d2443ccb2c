/* A registry hive (regf) as the image holds it, read the way the windows
 * stage reads one: hivex through kenshu's hive access, every key and value
 * walked, then each consumer of a hive over it — identity (os_read_hive as
 * SOFTWARE and as SYSTEM), the autostart table for every hive kind, COM
 * resolution, other control sets, the Task Scheduler cache and the
 * certificate stores (machine and user layouts, their Blobs parsed). */
#include <kenshu/core.h>
#include <kenshu/artifacts.h>
#include <kenshu/windows.h>
#include "fuzz.h"

enum { MAX_DEPTH = 24, MAX_NODES = 4096 };

static void walk(struct hive *h, size_t node, unsigned depth, size_t *budget)
{
	size_t n = 0, nv = 0;
	size_t *sub;
	struct hive_value *v;

	if (!node || depth > MAX_DEPTH || !*budget)
		return;
	--*budget;
	free(hive_key_name(h, node));
	v = hive_values(h, node, &nv);
	for (size_t i = 0; i < nv; i++) {
		uint32_t d;
		size_t bn;
		if (!v[i].name)
			continue;
		free(hive_string(h, node, v[i].name));
		(void)hive_dword(h, node, v[i].name, &d);
		free(hive_binary(h, node, v[i].name, &bn));
	}
	hive_values_free(v, nv);
	sub = hive_subkeys(h, node, &n);
	for (size_t i = 0; i < n && *budget; i++)
		walk(h, sub[i], depth + 1, budget);
	free(sub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hive *h;
	struct hive_health health;
	size_t budget = MAX_NODES;

	if (hive_open_mem(data, size, &h, &health) < 0)
		return 0;
	walk(h, hive_key(h, ""), 0, &budget);
	(void)hive_child(h, hive_key(h, ""), "Microsoft");

	struct os_info os;
	memset(&os, 0, sizeof(os));
	os_read_hive(h, OS_HIVE_SOFTWARE, &os);
	os_read_hive(h, OS_HIVE_SYSTEM, &os);
	os_info_release(&os);

	struct autorun_list l = { 0 };
	autorun_collect(h, AR_SOFTWARE, 0, NULL, 1, &l);
	autorun_collect(h, AR_SYSTEM, 1, NULL, 1, &l);
	autorun_collect(h, AR_NTUSER, 0, "operator", 1, &l);
	autorun_collect(h, AR_USRCLASS, 0, "operator", 1, &l);
	autorun_resolve_com(&l, 0, h, h);
	autorun_other_control_sets(h, 1, 1, &l);

	struct taskcache tc;
	if (taskcache_read(h, &tc) == 0)
		autorun_taskcache(&tc, 1, &l);
	taskcache_release(&tc);
	for (size_t i = 0; i < l.n; i++)
		autorun_judge(&l.v[i]);
	autorun_sort(&l);
	autorun_list_release(&l);

	memset(&os, 0, sizeof(os));
	certstores_collect_machine(h, &os.certstores);
	certstores_collect_user(h, "operator", &os.certstores);
	certstores_sort(&os.certstores);
	for (size_t i = 0; i < os.certstores.n; i++)
		(void)cert_store_added_root(&os.certstores, &os.certstores.v[i]);
	os_info_release(&os);
	hive_close(h);
	return 0;
}
