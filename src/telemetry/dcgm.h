/* dcgm.h - GPU telemetry from a DCGM exporter's Prometheus endpoint.
 *
 * Owns the mapping of DCGM_FI_DEV_* series (label "gpu") onto struct
 * gpu_sample, and a gpu_src that scrapes the exporter (httpget + prom) each
 * read, so the GPU sampler treats it like NVML. The accumulator is pure (no
 * I/O); the source is used by one thread at a time.
 */
#ifndef INFBENCH_TELEMETRY_DCGM_H
#define INFBENCH_TELEMETRY_DCGM_H

#include <stdint.h>

#include "telemetry/gpusrc.h"
#include "telemetry/prom.h"

struct dcgm_gpu {
	int index;             /* "gpu" label */
	char name[96];         /* "modelName" label */
	char uuid[96];         /* "UUID" label */
	double fb_used_mib, fb_free_mib, fb_reserved_mib, fb_total_mib;
	double util_pct, mem_copy_util_pct, power_w, sm_clock_mhz, temp_c;
};

/* One scrape's worth of DCGM series. */
struct dcgm_acc {
	int n;
	struct dcgm_gpu g[GPU_MAX_DEVICES]; /* in order of first appearance */
	uint64_t dropped; /* samples of GPUs beyond GPU_MAX_DEVICES */
};

/* Empties the accumulator (start of a scrape). */
void dcgm_acc_begin(struct dcgm_acc *a);
/* Feeds one sample; unknown names and samples without "gpu" are ignored. */
void dcgm_add(struct dcgm_acc *a, const struct prom_sample *s);
/* prom_cb adapter; ud is a struct dcgm_acc *. */
void dcgm_prom_cb(const struct prom_sample *s, void *ud);
/* Devices seen, sorted by index, into info[0..n); returns n <= max. */
int dcgm_acc_info(const struct dcgm_acc *a, struct gpu_info *info, int max);
/* Sample of the device with this index (fields NaN when absent); returns 0,
 * or -ENOENT when the scrape had no such GPU (out is then all NaN). Memory
 * in bytes: used = FB_USED MiB; total = FB_TOTAL, else USED + FREE (+
 * RESERVED). Process memory is not available from DCGM (NaN). */
int dcgm_acc_sample(const struct dcgm_acc *a, int index, int64_t t_ns,
		    struct gpu_sample *out);

/* gpu_src that GETs url (e.g. http://host:9400/metrics) on every read.
 * The source copies url; ops->close frees. Returns 0. */
int dcgm_src_init(struct gpu_src *src, const char *url, int64_t timeout_ns);

#endif
