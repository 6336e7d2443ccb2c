#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

static bool digits(const char *s, size_t n, int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

int scan_date_parse(const char *s, struct scan_date *out, struct ks_err *err)
{
	int y, m, d;
	struct tm tm, back;
	time_t t;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
	    !digits(s + 8, 2, &d) || y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	/* timegm normalises 2025-02-30 to March: such a day does not exist. */
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != m - 1)
		goto bad;
	memcpy(out->day, s, 11);
	out->midnight = t;
	return 0;
bad:
	ks_fail(err, KS_EINPUT, "'%.40s' is not a date (YYYY-MM-DD)", s);
	return -1;
}

void scan_date_of(time_t t, struct scan_date *out)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	out->midnight = timegm(&tm);
	strftime(out->day, sizeof(out->day), "%Y-%m-%d", &tm);
}

void ks_iso_time(time_t t, char *out, size_t n)
{
	struct tm tm;

	if (t <= 0 || !gmtime_r(&t, &tm) || strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

void ks_now_iso(char *out, size_t n)
{
	ks_iso_time(time(NULL), out, n);
}
