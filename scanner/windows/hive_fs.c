/* Hives on a volume: the file read through the volume layer, opened from
 * memory by artifacts' hive reader, and the transaction logs beside it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kenshu/windows.h>
#include <kenshu/banned.h>

static bool nonempty_file(struct fs *fs, const char *path)
{
	void *data;
	uint64_t size;
	struct ks_err err;

	if (fs_read_file(fs, path, HIVE_MAX_SIZE, &data, &size, &err) < 0)
		return false;
	free(data);
	return size > 0;
}

int hive_open_fs(struct fs *fs, const char *path, struct hive **out, struct hive_health *health)
{
	void *data;
	uint64_t size;
	struct ks_err err;
	int rc;

	memset(health, 0, sizeof(*health));
	if (fs_read_file(fs, path, HIVE_MAX_SIZE, &data, &size, &err) < 0) {
		snprintf(health->error, sizeof(health->error), "%.159s", err.msg);
		return -1;
	}
	rc = hive_open_mem(data, (size_t)size, out, health);
	free(data);
	/* Transaction logs Windows had not yet folded into the hive. */
	char *log = xasprintf("%s.LOG1", path);
	health->log1 = nonempty_file(fs, log);
	free(log);
	log = xasprintf("%s.LOG2", path);
	health->log2 = nonempty_file(fs, log);
	free(log);
	return rc;
}
