/* gpusampler.h - periodic GPU readings, per-GPU timeline and window summary.
 *
 * Owns a gpu_src (NVML, DCGM or a test fake), a ticker thread (absolute
 * deadlines, default 100 ms), a bounded decimating timeline with one record
 * per tick holding every device, and summaries computed on every reading
 * (not on the decimated timeline): idle baseline = mean of readings before
 * the window begins; mean/min/peak inside the window. Accessors lock.
 */
#ifndef INFBENCH_TELEMETRY_GPUSAMPLER_H
#define INFBENCH_TELEMETRY_GPUSAMPLER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "telemetry/gpusrc.h"

#define GPU_SAMPLER_DEFAULT_INTERVAL_NS 100000000LL /* 100 ms */

struct gpu_sampler_cfg {
	int64_t interval_ns; /* 0 = GPU_SAMPLER_DEFAULT_INTERVAL_NS */
	size_t max_points;   /* timeline cap in ticks; 0 = TL_DEFAULT_CAP */
};

/* One metric of one GPU. NaN where there were no readings. */
struct gpu_stat {
	uint64_t n_base, n_win;
	double base_mean; /* idle baseline: mean before the window */
	double win_mean, win_min, win_peak;
};

struct gpu_summary {
	struct gpu_info info;
	struct gpu_stat mem_used_bytes, sm_util_pct, mem_util_pct, power_w,
		sm_clock_mhz, temp_c, proc_mem_bytes;
};

struct gpu_sampler_stats {
	uint64_t reads;    /* ticks that read the source */
	uint64_t failures; /* ticks whose read failed (counted, skipped) */
	uint64_t late;     /* deadlines skipped because a read overran */
	size_t points;     /* timeline length now */
};

struct gpu_sampler;

/* Takes ownership of src (closed on failure too) and opens it. Returns NULL
 * with a one-line reason in why when it fails or finds no GPU. The caller
 * frees with gpu_sampler_free. */
struct gpu_sampler *gpu_sampler_new(struct gpu_src src,
				    const struct gpu_sampler_cfg *cfg,
				    char *why, size_t why_len);
/* Stops if started, closes the source. NULL-safe. */
void gpu_sampler_free(struct gpu_sampler *s);
/* Starts the thread (first reading at once). 0 or negative errno. */
int gpu_sampler_start(struct gpu_sampler *s);
/* Stops and joins; idempotent. Results stay readable. */
void gpu_sampler_stop(struct gpu_sampler *s);
/* One reading stamped t_ns and taken as instant (the thread's ticks also
 * measure when the read was answered: a baseline reading must be over
 * before the window begins). Tests call it directly with a fake source
 * and a fake clock. Not while started. */
void gpu_sampler_tick(struct gpu_sampler *s, int64_t t_ns);

/* Readings issued at t >= begin (and < end) form the window; readings
 * answered before begin the idle baseline (one that straddles begin is
 * neither). Call before or during sampling. */
void gpu_sampler_window_begin(struct gpu_sampler *s, int64_t t_ns);
void gpu_sampler_window_end(struct gpu_sampler *s, int64_t t_ns);

/* Source name ("nvml", "dcgm", ...). */
const char *gpu_sampler_source(const struct gpu_sampler *s);
int gpu_sampler_count(const struct gpu_sampler *s);
/* Summary of device i (0 <= i < count): 0, or -ERANGE. */
int gpu_sampler_get_summary(struct gpu_sampler *s, int i,
			    struct gpu_summary *out);
void gpu_sampler_get_stats(struct gpu_sampler *s,
			   struct gpu_sampler_stats *out);
/* Timeline length (ticks kept) and device gpu's reading at tick i. */
size_t gpu_sampler_len(struct gpu_sampler *s);
int gpu_sampler_point(struct gpu_sampler *s, size_t i, int gpu,
		      struct gpu_sample *out);

/* New JSON object (caller owns): source, interval_ms, stats, and gpus[]
 * each {index, name, uuid, mem_total_bytes, summary{metric: {baseline, mean,
 * min, peak, n_baseline, n_window}}, timeline{t_s, metric: [...]}}; t_s is
 * relative to t0_ns; NaN -> null. */
json_t *gpu_sampler_to_json(struct gpu_sampler *s, int64_t t0_ns);

#endif
