/* grid.h - the configurations of a launch: a grid (cartesian product of
 * each parameter's values) enumerated in a fixed order.
 *
 * Owns only the enumeration arithmetic (mixed radix, the last parameter
 * varying fastest, like nested loops written in file order). Knows nothing
 * of YAML or of what the values mean. Pure; thread-safe.
 */
#ifndef INFBENCH_LAUNCHER_GRID_H
#define INFBENCH_LAUNCHER_GRID_H

#include <stddef.h>

#define GRID_MAX_AXES 16     /* parameters of one grid */
#define GRID_MAX_POINTS 64   /* configurations one grid may produce */

/* Number of configurations of axes with sizes[0..n_axes) values each
 * (1 for no axes), or 0 when an axis is empty or the product exceeds
 * GRID_MAX_POINTS. */
size_t grid_count(const size_t *sizes, size_t n_axes);

/* Value indices of configuration k (0 <= k < grid_count) into idx[0..
 * n_axes): the last axis varies fastest. */
void grid_point(const size_t *sizes, size_t n_axes, size_t k, size_t *idx);

#endif
