/* units.c - typed parsers for durations, counts and booleans. */
#include "cli/units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int units_double(const char *s, double *out)
{
	if (!s || !*s)
		return -EINVAL;
	if (!strcasecmp(s, "inf") || !strcasecmp(s, "infinity")) {
		*out = INFINITY;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || isnan(v))
		return -EINVAL;
	*out = v;
	return 0;
}

int units_duration_s(const char *s, double default_unit_s, double *out)
{
	if (!s || !*s)
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || isnan(v) || v < 0)
		return -EINVAL;
	double mul;
	if (!*end)
		mul = default_unit_s;
	else if (!strcmp(end, "ns"))
		mul = 1e-9;
	else if (!strcmp(end, "us"))
		mul = 1e-6;
	else if (!strcmp(end, "ms"))
		mul = 1e-3;
	else if (!strcmp(end, "s"))
		mul = 1.0;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mul = 60.0;
	else if (!strcmp(end, "h"))
		mul = 3600.0;
	else
		return -EINVAL;
	*out = v * mul;
	return 0;
}

int units_int(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || isnan(v))
		return -EINVAL;
	double mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1e3, end++;
	else if (*end == 'M')
		mul = 1e6, end++;
	else if (*end == 'G')
		mul = 1e9, end++;
	if (*end)
		return -EINVAL;
	v *= mul;
	if (v != floor(v) || v > 9.2e18 || v < -9.2e18)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int units_bool(const char *s, int *out)
{
	static const char *yes[] = {"1", "yes", "true", "on"};
	static const char *no[] = {"0", "no", "false", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}
