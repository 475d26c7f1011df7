/* cost.h - roofline step-time model and its fitted constants (profile).
 *
 * Owns the §5 equations of simulator.md: linear layers and attention each
 * bounded by compute or bandwidth, lm_head per logit-emitting sequence, fixed
 * and per-sequence overheads, tensor-parallel split and all-reduce. Knows
 * nothing of scheduling: it prices one step's shape. A struct sim_cost is
 * immutable after sim_cost_init and may be shared between threads.
 */
#ifndef INFBENCH_SIM_COST_H
#define INFBENCH_SIM_COST_H

#include <stdint.h>

#include "sim/catalog.h"

#define SIM_PROFILE_FORMAT "infbench-sim-profile"
#define SIM_PROFILE_VERSION 1

/* The constants calibration fits. Defaults are the [est] starting values of
 * simulator.md §5/§7. */
struct sim_profile {
	double eta_f;     /* GEMM efficiency vs peak FLOP/s (0.6) */
	double eta_b;     /* memory efficiency vs peak bandwidth (0.8) */
	double eta_a;     /* attention compute efficiency (0.5) */
	double t_fixed_s; /* per-step overhead (1.5 ms) */
	double t_seq_s;   /* per-sequence per-step overhead (10 us) */
	double t_eager_s; /* extra per step run without a CUDA graph (1 ms) */
	/* Provenance, written by calibrate; informational. */
	char model[SIM_NAME_MAX]; /* "" when not fitted */
	char gpu[SIM_NAME_MAX];
	double fit_rms_rel_err;   /* -1 when not fitted */
	int32_t fit_points;
};

/* The default (uncalibrated) profile. */
void sim_profile_default(struct sim_profile *p);
/* Parse a profile from JSON text. Missing keys keep their default; unknown
 * keys are ignored; a non-positive efficiency or negative time is an error.
 * Returns 0 or -EINVAL with *err set (caller frees). */
int sim_profile_from_json(struct sim_profile *p, const char *text,
			  char **err);
/* The profile as a JSON object; the caller frees the string. */
char *sim_profile_to_json(const struct sim_profile *p);
/* File variants of the two above. 0 or -errno with *err set. */
int sim_profile_load(struct sim_profile *p, const char *path, char **err);
int sim_profile_save(const struct sim_profile *p, const char *path,
		     char **err);

/* One engine step's shape, the input of the time model. */
struct sim_shape {
	int32_t n_decode;     /* |D|: sequences decoding one token */
	int32_t n_prefill;    /* |P|: prefill chunks */
	int32_t n_logits;     /* |S|: sequences that emit a token this step */
	int32_t eager;        /* 1 when the step runs without a CUDA graph */
	int64_t decode_ctx;   /* Σ c_i: KV tokens each decode attends to */
	int64_t prefill_tok;  /* Σ p_j: new tokens in prefill chunks */
	int64_t prefill_kv;   /* Σ (k_j + p_j): KV read by prefill attention */
	double prefill_attn;  /* Σ p_j·(k_j + (p_j+1)/2): causal QK pairs */
};

/* Terms of the step time that do not depend on the profile: seconds at
 * 100 % efficiency, per GPU. t = max(a_lin·u_f, b_lin·u_b) +
 * max(a_attn·u_a, b_attn·u_b) + t_fixed + t_seq·n_seq + allreduce
 * [+ t_eager], with u = 1/eta. */
struct sim_terms {
	double a_lin, b_lin, a_attn, b_attn, allreduce_s;
	int32_t n_seq;
	int32_t eager;
};

struct sim_cost {
	struct sim_profile prof;
	int32_t tp;                 /* tensor-parallel degree */
	double flops, bw;           /* per GPU peak FLOP/s, bytes/s */
	double lin_flop_per_tok;    /* 2·N_nonemb / tp */
	double lm_flop_per_seq;     /* 2·V·h / tp */
	double weight_bytes;        /* per GPU, streamed once per step */
	double attn_flop_coef;      /* 4·L·H_q·d / tp */
	double kv_bytes_per_tok;    /* per GPU */
	double allreduce_s_per_tok; /* 2·L·h·dtype / link (tp > 1), else 0 */
};

/* Derive the constants. tp >= 1, dtype_bytes >= 1. */
void sim_cost_init(struct sim_cost *c, const struct sim_model *m,
		   const struct sim_gpu *g, int32_t tp, int32_t dtype_bytes,
		   const struct sim_profile *p);
/* Profile-free terms of one step. */
void sim_cost_terms(const struct sim_cost *c, const struct sim_shape *s,
		    struct sim_terms *t);
/* Seconds the terms take under profile p. */
double sim_terms_time_s(const struct sim_terms *t, const struct sim_profile *p);
/* Seconds one step takes (0 for an empty shape). */
double sim_cost_step_s(const struct sim_cost *c, const struct sim_shape *s);

#endif
