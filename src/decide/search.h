/* search.h - find the SLA boundary: a load ladder, then bisection.
 *
 * Owns the search as a pure state machine: it proposes the next load, the
 * caller measures it and feeds back met / not met. The ladder runs upward
 * and stops at the first failure (a failed SLA or over-saturation); the
 * boundary is then bisected between the last load that met the SLA and the
 * first that did not (from 0 when the first rung fails), assuming latency
 * grows with load. Runs nothing itself; deterministic; not thread-safe.
 */
#ifndef INFBENCH_DECIDE_SEARCH_H
#define INFBENCH_DECIDE_SEARCH_H

#include <stddef.h>

enum decide_status {
	DECIDE_FOUND = 0,  /* lo met, hi did not: boundary is lo */
	DECIDE_ABOVE,      /* every rung met: boundary >= the top rung */
	DECIDE_BELOW,      /* nothing met, not even the smallest load tried */
};

struct decide_search {
	const double *ladder; /* borrowed, strictly increasing */
	size_t n_ladder;
	int integer;          /* loads are whole numbers (concurrency) */
	int bisect_max;       /* bisection points at most */
	double tol;           /* stop when hi - lo <= tol * lo */
	/* state */
	size_t rung;          /* next ladder index */
	int bisecting, done;
	int bisect_used;
	double lo, hi;        /* highest met (0 = none), lowest failed */
	int have_lo, have_hi;
	double pending;       /* load proposed, awaiting feed */
};

/* Start a search. bisect_max >= 0, tol >= 0. */
void decide_search_init(struct decide_search *s, const double *ladder,
			size_t n_ladder, int integer, int bisect_max,
			double tol);

/* The next load to measure in *load: returns 1, or 0 when the search is
 * over (then read decide_search_result). Calling it twice without a feed
 * proposes the same load again. */
int decide_search_next(struct decide_search *s, double *load);

/* Report whether the proposed load met the SLA (not saturated). */
void decide_search_feed(struct decide_search *s, double load, int met);

/* Outcome: status, the boundary (highest load that met; 0 when none) and
 * the lowest load that failed (0 when none failed). */
enum decide_status decide_search_result(const struct decide_search *s,
					double *boundary, double *first_fail);

/* "found", "above_ladder", "below_ladder". */
const char *decide_status_name(enum decide_status st);

#endif
