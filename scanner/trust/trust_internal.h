/* What the trust stage's files share: the catalog index's insertion (the
 * index lives in ctx.c; catalog.c parses catalogs and feeds it). */
#ifndef KENSHU_TRUST_INTERNAL_H
#define KENSHU_TRUST_INTERNAL_H

#include <kenshu/trust.h>

struct catalog_index *catalog_index_new(void);
void catalog_index_free(struct catalog_index *ci);

/* Registers one catalog: path (copied) and the result of verifying its
 * signature (deep-copied). Returns the catalog's number for
 * catalog_index_insert. */
size_t catalog_index_register(struct catalog_index *ci, const char *path,
			      const struct sig_result *sig);
/* Indexes one member digest (20 or 32 bytes) of catalog number cat. A
 * digest listed by several catalogs keeps all; lookup prefers a valid one. */
void catalog_index_insert(struct catalog_index *ci, size_t cat, const unsigned char *digest,
			  size_t len);

#endif
