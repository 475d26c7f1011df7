/* gpumem.h - device memory around a launched server: the reading before
 * the start, the idle baseline once it is ready, and the check that the
 * memory came back after the stop.
 *
 * Owns one GPU source (NVML by default, any gpu_src in tests) and the
 * release wait. Does not sample on a schedule (telemetry/gpusampler does)
 * and knows nothing of processes. One thread; blocking.
 */
#ifndef INFBENCH_LAUNCHER_GPUMEM_H
#define INFBENCH_LAUNCHER_GPUMEM_H

#include <stdint.h>

#include "telemetry/gpusrc.h"

struct gpumem_snap {
	int n;                                  /* devices read */
	double used_bytes[GPU_MAX_DEVICES];     /* NaN when a read failed */
};

struct gpumem {
	struct gpu_src src;
	int open;                               /* a source is usable */
	int n;                                  /* devices */
	struct gpu_info info[GPU_MAX_DEVICES];
	char why[256];                          /* why there is no source */
};

/* Open NVML (telemetry/nvml.h). Returns 0, or -ENOENT with the reason in
 * g->why (no NVML, no device); g is usable either way (gpumem_read then
 * fails) and is released with gpumem_close. */
int gpumem_open_nvml(struct gpumem *g);

/* Take over src (opened here; closed by gpumem_close). 0 or -ENOENT. */
int gpumem_open_src(struct gpumem *g, struct gpu_src src);

/* Read every device's used memory into *s. 0, or -ENOENT without a
 * source, or the source's error. */
int gpumem_read(struct gpumem *g, struct gpumem_snap *s);

/* Sum over devices (NaN when any is NaN or none). */
double gpumem_total(const struct gpumem_snap *s);

/* Poll every poll_s until each device's used memory is at most
 * base + tol_bytes, or timeout_s passed. *last gets the last reading and
 * *waited_s the time spent (both may be NULL). Returns 1 released, 0 not
 * (still above, or the reads failed). */
int gpumem_wait_release(struct gpumem *g, const struct gpumem_snap *base,
			double tol_bytes, double timeout_s, double poll_s,
			struct gpumem_snap *last, double *waited_s);

/* Close the source; NULL-safe. */
void gpumem_close(struct gpumem *g);

#endif
