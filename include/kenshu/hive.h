/* hive: one offline registry hive, read from the image into memory and
 * opened with hivex — never from a mounted or copied file system.
 *
 * Hives come from an untrusted image: hivex's own checks stay on (no
 * HIVEX_OPEN_UNSAFE), and every accessor treats absence and damage alike
 * (returns NULL / -1), so callers report what is there and go on. */
#ifndef KENSHU_HIVE_H
#define KENSHU_HIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kenshu/fs.h>

struct hive;

#define HIVE_MAX_SIZE (512ull << 20) /* larger than any real SOFTWARE hive */

/* What the hive's own header says about its state. */
struct hive_health {
	bool opened;         /* hivex accepted it */
	bool dirty;          /* base block sequence numbers differ: writes were in flight */
	uint32_t seq1, seq2;
	bool log1, log2;     /* a non-empty NAME.LOG1 / NAME.LOG2 lies beside it */
	char error[160];     /* why it could not be opened, "" if it was */
};

/* The hive could not be read completely: hivex rejected it, or writes were
 * in flight and transaction logs hold changes hivex never replays (what
 * Windows would see at the next boot may differ from what was read). */
bool hive_health_incomplete(const struct hive_health *h);

/* Opens path on fs (e.g. "/Windows/System32/config/SOFTWARE"). Returns 0
 * with *out set (hive_close() it), or -1 when the file is absent,
 * unreadable or rejected by hivex; *health is filled either way. */
int hive_open_fs(struct fs *fs, const char *path, struct hive **out, struct hive_health *health);
/* The same for a hive already in memory (tests, hives inside archives). */
int hive_open_mem(const void *data, size_t size, struct hive **out, struct hive_health *health);
void hive_close(struct hive *h);

/* Looks up a key path below the root, '\'-separated, case-insensitively.
 * Returns the node, or 0 when absent. */
size_t hive_key(struct hive *h, const char *path);
/* The child of node named name (case-insensitive), or 0. */
size_t hive_child(struct hive *h, size_t node, const char *name);
/* Child keys of node, their count in *n; caller frees the array. */
size_t *hive_subkeys(struct hive *h, size_t node, size_t *n);
/* Key name as UTF-8; caller frees. */
char *hive_key_name(struct hive *h, size_t node);

/* Value of a key as UTF-8 text (REG_SZ, REG_EXPAND_SZ; a DWORD is given in
 * decimal); NULL if absent or of another type. Caller frees. */
char *hive_string(struct hive *h, size_t node, const char *value);
/* REG_DWORD (or a REG_SZ holding a number, as some vendors write them).
 * Returns 0, or -1 if absent or not a number. */
int hive_dword(struct hive *h, size_t node, const char *value, uint32_t *out);

/* The raw data of a value of any type (REG_BINARY for SD or Actions), its
 * length in *size. NULL if absent or unreadable; a value that is present but
 * empty gives a non-NULL pointer and *size 0. Caller frees. */
void *hive_binary(struct hive *h, size_t node, const char *value, size_t *size);

/* One value of a key, as text: REG_SZ/REG_EXPAND_SZ as stored, REG_DWORD in
 * decimal, REG_MULTI_SZ with its strings joined by '\n'; other types "".
 * name is "" for the default value. */
struct hive_value {
	char *name;
	char *text;
	uint32_t type;   /* hive_type: 1 SZ, 2 EXPAND_SZ, 4 DWORD, 7 MULTI_SZ ... */
};

/* All values of node; *n their count. Free with hive_values_free(). */
struct hive_value *hive_values(struct hive *h, size_t node, size_t *n);
void hive_values_free(struct hive_value *v, size_t n);

#endif
