/* memeff.h - memory efficiency of a run, done so preallocation can't fool it.
 *
 * Owns the arithmetic only (pure, no I/O, no globals): from weights, device
 * memory (idle baseline, window peak/mean), a runtime-overhead estimate, the
 * server's KV-usage timeline, pool size, KV bytes per token, measured output
 * tok/s and the scenario's lengths it derives KV allocated vs. actually used,
 * tok/s per GB of each, the pool's max concurrency, and flags the case where
 * device memory is flat because the server reserved its KV pool up front.
 * GB = 1e9 bytes. Thread-safe (pure).
 */
#ifndef INFBENCH_TELEMETRY_MEMEFF_H
#define INFBENCH_TELEMETRY_MEMEFF_H

#include <jansson.h>
#include <stddef.h>

#define MEMEFF_DEFAULT_OVERHEAD_BYTES 1073741824.0 /* 1 GiB: CUDA context,
						    * activations, graphs */
#define MEMEFF_FLAT_MIN_BYTES 268435456.0 /* 256 MiB: flatness tolerance floor */

/* Unknown inputs are NaN (memeff_in_init sets all of them). */
struct memeff_in {
	double weights_bytes;      /* given */
	double params;             /* model parameters (with dtype_bytes) */
	double dtype_bytes;        /* bytes per parameter (2 = BF16) */
	double idle_used_bytes;    /* device used before the window */
	double used_peak_bytes;    /* device used, window peak */
	double used_mean_bytes;    /* device used, window mean */
	double overhead_bytes;     /* runtime overhead; NaN = default (see
				    * memeff_compute) */
	const double *kv_usage;    /* server KV usage fractions (0..1) in the
				    * window; NaN entries skipped */
	size_t n_kv_usage;
	double pool_tokens;        /* KV pool capacity, tokens */
	double pool_bytes;         /* KV pool capacity, bytes */
	double kv_bytes_per_token; /* 2 * layers * kv_heads * head_dim * dtype */
	double out_tok_s;          /* measured output tokens/s */
	double in_len, out_len;    /* scenario mean prompt / output tokens */
	double block_tokens;       /* allocation unit (vLLM 16); NaN = 1 */
	double flat_tol_bytes;     /* NaN = max(256 MiB, 1% of peak) */
};

struct memeff_out {
	double weights_bytes;
	const char *weights_src;    /* "given", "params", "idle_baseline",
				     * "none" */
	double overhead_bytes;
	double kv_alloc_bytes;      /* used_peak - weights - overhead */
	double kv_alloc_mean_bytes; /* used_mean - weights - overhead */
	double pool_bytes, pool_tokens; /* resolved */
	double kv_usage_mean, kv_usage_peak;
	double kv_used_mean_bytes, kv_used_peak_bytes; /* usage x pool */
	double naive_tok_s_per_gb;  /* out_tok_s / device used peak: the
				     * uncorrected formula, for contrast */
	double tok_s_per_gb_alloc;  /* out_tok_s / kv_alloc */
	double tok_s_per_gb_used;   /* out_tok_s / kv_used_mean */
	double per_req_tokens;      /* in+out rounded up to block_tokens */
	double max_concurrency;     /* floor(pool_tokens / per_req_tokens) */
	int flat_prealloc;          /* device memory flat, pool preallocated */
	char explain[1024];         /* one paragraph when flat_prealloc */
};

/* Sets every double of *in to NaN and the array to NULL/0. */
void memeff_in_init(struct memeff_in *in);
/* Fills *out (NaN where not derivable). Weights: given, else params x
 * dtype_bytes, else the idle baseline (which then already holds the CUDA
 * context, so the default overhead is 0 instead of 1 GiB). Returns 0, or
 * -EINVAL when neither device memory nor KV usage was given. */
int memeff_compute(const struct memeff_in *in, struct memeff_out *out);
/* New JSON object of *out (NaN -> null); caller owns. */
json_t *memeff_to_json(const struct memeff_out *out);

#endif
