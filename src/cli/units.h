/* units.h - typed parsers for command-line and config values.
 *
 * Durations ("500ms", "2s", "1.5m", "250us"; a bare number is seconds),
 * counts with SI suffixes ("10k", "1M"), booleans. Pure functions; each
 * returns 0 or -EINVAL and never prints.
 */
#ifndef INFBENCH_CLI_UNITS_H
#define INFBENCH_CLI_UNITS_H

#include <stdint.h>

/* Duration to seconds. default_unit_s scales a bare number (1.0 = seconds,
 * 1e-3 = milliseconds). */
int units_duration_s(const char *s, double default_unit_s, double *out);
/* Integer with optional k/M/G (x1000) suffix. */
int units_int(const char *s, int64_t *out);
/* Floating point, "inf" accepted. */
int units_double(const char *s, double *out);
/* yes/no/true/false/1/0/on/off. */
int units_bool(const char *s, int *out);

#endif
