/* search.c - ladder + bisection state machine (see search.h). */
#include "decide/search.h"

#include <math.h>
#include <string.h>

void decide_search_init(struct decide_search *s, const double *ladder,
			size_t n_ladder, int integer, int bisect_max,
			double tol)
{
	memset(s, 0, sizeof(*s));
	s->ladder = ladder;
	s->n_ladder = n_ladder;
	s->integer = integer;
	s->bisect_max = bisect_max < 0 ? 0 : bisect_max;
	s->tol = tol < 0 ? 0 : tol;
	s->done = n_ladder == 0;
}

/* Midpoint for bisection, or NAN when the interval is narrow enough. */
static double midpoint(const struct decide_search *s)
{
	double lo = s->have_lo ? s->lo : 0, hi = s->hi;
	if (s->bisect_used >= s->bisect_max)
		return NAN;
	if (s->have_lo && hi - lo <= s->tol * lo)
		return NAN;
	if (s->integer) {
		if (hi - lo <= 1)
			return NAN;
		return floor((lo + hi) / 2);
	}
	double m = (lo + hi) / 2;
	if (!s->have_lo && m < hi * 1e-3)
		return NAN;
	return m;
}

int decide_search_next(struct decide_search *s, double *load)
{
	if (s->done)
		return 0;
	if (!s->bisecting) {
		if (s->rung < s->n_ladder) {
			s->pending = s->ladder[s->rung];
			*load = s->pending;
			return 1;
		}
		s->done = 1; /* every rung met */
		return 0;
	}
	double m = midpoint(s);
	if (isnan(m)) {
		s->done = 1;
		return 0;
	}
	s->pending = m;
	*load = m;
	return 1;
}

void decide_search_feed(struct decide_search *s, double load, int met)
{
	if (s->done)
		return;
	if (met) {
		if (!s->have_lo || load > s->lo) {
			s->lo = load;
			s->have_lo = 1;
		}
	} else if (!s->have_hi || load < s->hi) {
		s->hi = load;
		s->have_hi = 1;
	}
	if (!s->bisecting) {
		s->rung++;
		if (!met)
			s->bisecting = 1;
	} else {
		s->bisect_used++;
	}
}

enum decide_status decide_search_result(const struct decide_search *s,
					double *boundary, double *first_fail)
{
	*boundary = s->have_lo ? s->lo : 0;
	*first_fail = s->have_hi ? s->hi : 0;
	if (!s->have_hi)
		return DECIDE_ABOVE;
	if (!s->have_lo)
		return DECIDE_BELOW;
	return DECIDE_FOUND;
}

const char *decide_status_name(enum decide_status st)
{
	switch (st) {
	case DECIDE_FOUND:
		return "found";
	case DECIDE_ABOVE:
		return "above_ladder";
	case DECIDE_BELOW:
		return "below_ladder";
	}
	return "?";
}
