/* version: which kenshu this is. KENSHU_VERSION comes from the Makefile;
 * the git commit (with "-dirty" for local changes to scanner/ or include/,
 * "unknown" outside git) is defined in one generated object, so that every
 * part of a build names the same commit. */
#ifndef KENSHU_VERSION_H
#define KENSHU_VERSION_H

extern const char kenshu_commit[];

#endif
