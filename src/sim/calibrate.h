/* calibrate.h - fit the step-time profile to measured step times.
 *
 * Owns the least-squares fit of eta_f, eta_b, eta_a, t_fixed and t_seq
 * (simulator.md §8.1) from points such as "decode step of batch B at context
 * c took s seconds". Knows nothing of result files: a caller extracts the
 * points. Pure computation; thread-safe.
 */
#ifndef INFBENCH_SIM_CALIBRATE_H
#define INFBENCH_SIM_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/catalog.h"
#include "sim/cost.h"

#define SIM_CALIB_MAX_POINTS 1000000 /* points one fit accepts */

enum sim_calib_kind {
	SIM_CALIB_DECODE = 0, /* batch sequences, each decoding 1 token with
				 ctx tokens of context */
	SIM_CALIB_PREFILL,    /* batch sequences whose prompts total `tokens`
				 new tokens (split evenly), each after a
				 cached prefix of ctx tokens */
	SIM_CALIB_MIXED,      /* batch decodes at ctx plus one prefill chunk
				 of `tokens` tokens (prefix 0) */
};

struct sim_calib_point {
	enum sim_calib_kind kind;
	int32_t batch;
	int32_t tokens;
	int32_t ctx;
	double seconds; /* measured step (or forward) time, > 0 */
};

/* Bits of sim_calib_result.fitted. */
enum {
	SIM_FIT_ETA_F = 1,
	SIM_FIT_ETA_B = 2,
	SIM_FIT_ETA_A = 4,
	SIM_FIT_T_FIXED = 8,
	SIM_FIT_T_SEQ = 16,
};

struct sim_calib_result {
	struct sim_profile profile; /* fitted; unfitted fields keep start's */
	unsigned fitted;            /* SIM_FIT_* of the identifiable ones */
	double rms_rel_err;         /* sqrt(mean(((model-meas)/meas)^2)) */
	double max_rel_err;
	uint32_t n_points;
	int iterations;
};

/* Fit the profile for model m on gpu g (tp GPUs, dtype_bytes) starting from
 * `start` (NULL = sim_profile_default). Minimises squared relative error
 * with a regime-assignment Gauss-Newton over u = 1/eta (the model is
 * piecewise linear in u, t_fixed, t_seq), restarted from a few points.
 * Parameters no point constrains are left at their start value and not set
 * in `fitted`; t_eager_s is never fitted (points are priced graph-captured).
 * Returns 0, or -EINVAL with *err set (caller frees) for fewer than 2 usable
 * points or bad values. */
int sim_calibrate(const struct sim_model *m, const struct sim_gpu *g,
		  int32_t tp, int32_t dtype_bytes,
		  const struct sim_calib_point *pts, size_t n,
		  const struct sim_profile *start,
		  struct sim_calib_result *out, char **err);

/* The shape a point describes (for callers that want to price it). */
void sim_calib_shape(const struct sim_calib_point *p, struct sim_shape *s);

#endif
