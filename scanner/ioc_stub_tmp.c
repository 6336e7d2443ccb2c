#include <stdio.h>
#include <kenshu/ioc.h>
int ioc_load(const char *const *h, size_t nh, const char *const *s, size_t ns, struct ioc **out, char *err, size_t errlen) { snprintf(err, errlen, "stub"); return -1; }
const struct ioc_entry *ioc_lookup(const struct ioc *ioc, const char *signame) { return NULL; }
void ioc_free(struct ioc *ioc) {}
