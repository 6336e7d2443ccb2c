/* TEMP STUB for compiling the policy branch; replaced by helper's ioc.h */
#ifndef KENSHU_IOC_H
#define KENSHU_IOC_H
#include <stdbool.h>
#include <stddef.h>
struct ioc;
struct ioc_entry { const char *feed; unsigned line; const char *kind; const char *indicator; const char *name; bool is_hash; };
int ioc_load(const char *const *hash_lists, size_t nhash, const char *const *string_lists, size_t nstring, struct ioc **out, char *err, size_t errlen);
const struct ioc_entry *ioc_lookup(const struct ioc *ioc, const char *signame);
void ioc_free(struct ioc *ioc);
#endif
