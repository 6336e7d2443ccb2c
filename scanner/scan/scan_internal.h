/* What the files of the scan stage share; internal to it. */
#ifndef KENSHU_SCAN_INTERNAL_H
#define KENSHU_SCAN_INTERNAL_H

#include <kenshu/image.h>
#include <kenshu/report.h>

/* autoruns.c: the autostart work that needs a finished scan — entries
 * that are files (Startup folders, scheduled tasks), and resolving every
 * entry to the file it runs, with that file's hash and detections. */

/* Adds Startup-folder files (shortcuts resolved) and scheduled tasks
 * (System32\Tasks XML, Tasks\*.job) of every Windows install in r. */
void autoruns_from_files(struct img *img, struct report *r);

/* Resolves each entry's command offline (the install's own environment:
 * SystemRoot, SystemDrive, ProgramFiles...), looks the target up in the
 * scan's manifest and detections, and reads its version information when
 * it is a PE. */
void autoruns_resolve(struct img *img, struct report *r);

#endif
