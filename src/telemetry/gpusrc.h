/* gpusrc.h - what a GPU telemetry source provides, as an ops table.
 *
 * Owns only the shared record types: struct gpu_info (static per device),
 * struct gpu_sample (one reading) and struct gpu_src_ops (open/read/close).
 * Implementations: nvml.c (local NVML), dcgm.c (DCGM exporter scrape), and
 * fakes in tests. A source is used by one thread at a time.
 */
#ifndef INFBENCH_TELEMETRY_GPUSRC_H
#define INFBENCH_TELEMETRY_GPUSRC_H

#include <stdint.h>

#define GPU_MAX_DEVICES 16 /* devices one source reports at most */

struct gpu_info {
	int index;              /* NVML index / DCGM "gpu" label */
	char name[96];          /* "NVIDIA H100 80GB HBM3" */
	char uuid[96];          /* "GPU-..." or "" */
	double mem_total_bytes; /* NaN when unknown */
};

/* One reading of one device; NaN for anything the source cannot give. */
struct gpu_sample {
	int64_t t_ns;           /* monotonic time of the reading */
	double mem_used_bytes;  /* device memory in use (all processes) */
	double mem_total_bytes;
	double sm_util_pct;     /* NVML "gpu" utilisation / DCGM GPU_UTIL */
	double mem_util_pct;    /* memory-controller busy % */
	double power_w;
	double sm_clock_mhz;
	double temp_c;
	double proc_mem_bytes;  /* memory of the watched process tree */
};

/* Sets every double to NaN and t_ns to t_ns. */
void gpu_sample_clear(struct gpu_sample *s, int64_t t_ns);

struct gpu_src_ops {
	const char *name; /* "nvml", "dcgm", "fake" */
	/* Discovers devices: fills info[0..n) with n <= max and returns n
	 * (>= 0), or a negative errno-style code. */
	int (*open)(void *ctx, struct gpu_info *info, int max);
	/* Reads all n devices opened (out[i] matches info[i]); each out[i]
	 * comes pre-cleared (NaN) with t_ns set, which the source keeps.
	 * 0 or negative code; the sampler counts failures and goes on. */
	int (*read)(void *ctx, struct gpu_sample *out, int n);
	/* Releases ctx. */
	void (*close)(void *ctx);
};

struct gpu_src {
	const struct gpu_src_ops *ops;
	void *ctx;
};

#endif
