/* scandate: the one day every rule and check of a scan judges by (waiver
 * expiry, end of support, signature age). Parsed once, by the CLI, from
 * KENSHU_SCAN_DATE; otherwise the UTC day the scan started. */
#ifndef KENSHU_SCANDATE_H
#define KENSHU_SCANDATE_H

#include <stddef.h>
#include <time.h>

struct scan_date {
	char day[11];      /* YYYY-MM-DD */
	time_t midnight;   /* 00:00:00 UTC of that day */
};

/* Parses YYYY-MM-DD strictly: a real calendar day from 1970-01-01 on, no
 * other characters. Returns 0, or -1 with err set ("'S' is not a date
 * (YYYY-MM-DD)"; the caller names where S came from). */
int scan_date_parse(const char *s, struct scan_date *out, char *err, size_t errlen);

/* The UTC day that t falls on. */
void scan_date_of(time_t t, struct scan_date *out);

#endif
