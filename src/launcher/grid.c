/* grid.c - cartesian product enumeration (see grid.h). */
#include "launcher/grid.h"

size_t grid_count(const size_t *sizes, size_t n_axes)
{
	size_t n = 1;
	if (n_axes > GRID_MAX_AXES)
		return 0;
	for (size_t a = 0; a < n_axes; a++) {
		if (!sizes[a] || sizes[a] > GRID_MAX_POINTS)
			return 0;
		n *= sizes[a];
		if (n > GRID_MAX_POINTS)
			return 0;
	}
	return n;
}

void grid_point(const size_t *sizes, size_t n_axes, size_t k, size_t *idx)
{
	for (size_t a = n_axes; a-- > 0;) {
		idx[a] = k % sizes[a];
		k /= sizes[a];
	}
}
