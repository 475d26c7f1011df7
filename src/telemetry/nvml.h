/* nvml.h - NVIDIA NVML loaded at run time with dlopen, no build dependency.
 *
 * Owns the library handle, the function pointers it resolves and the device
 * handles. Does not sample on a schedule (gpusampler.c does, through the
 * gpu_src ops nvml_src_init provides). NVML itself is thread-safe; a struct
 * nvml is opened once and closed once, by one owner.
 */
#ifndef INFBENCH_TELEMETRY_NVML_H
#define INFBENCH_TELEMETRY_NVML_H

#include <stddef.h>
#include <sys/types.h>

#include "telemetry/gpusrc.h"

struct nvml;

struct nvml_versions {
	char driver[80];    /* nvmlSystemGetDriverVersion, "" if unknown */
	char nvml[80];      /* nvmlSystemGetNVMLVersion */
	int cuda_driver;    /* nvmlSystemGetCudaDriverVersion_v2: 12040, or 0 */
	char cuda[16];      /* the same as "12.4", or "" */
};

/* Loads libnvidia-ml.so.1 (or $INFBENCH_NVML_LIB when set, for tests) and
 * calls nvmlInit_v2. Returns NULL when NVML is absent or fails, writing a
 * one-line reason into why (may be NULL). The caller frees with nvml_close. */
struct nvml *nvml_open(char *why, size_t why_len);
/* nvmlShutdown + dlclose. NULL-safe. */
void nvml_close(struct nvml *nv);
/* Devices found at open (<= GPU_MAX_DEVICES). */
int nvml_count(const struct nvml *nv);
/* Fills info[0..n) (n = min(count, max)); returns n. */
int nvml_info(struct nvml *nv, struct gpu_info *info, int max);
/* Driver / NVML / CUDA driver versions; fields left empty when a call
 * fails. */
void nvml_get_versions(struct nvml *nv, struct nvml_versions *v);
/* One reading of devices 0..n-1 into out[]: every field but t_ns (left as
 * the caller set it) is written, NaN when its call fails. proc_pid > 0:
 * proc_mem_bytes = memory of that process and its descendants (vLLM V1 runs
 * the engine in a child); 0: of all compute processes; < 0: not read.
 * Returns 0, or -EIO when every device failed. */
int nvml_read(struct nvml *nv, pid_t proc_pid, struct gpu_sample *out, int n);

/* A gpu_src over NVML that owns its own struct nvml. Returns 0, or -ENOENT
 * with a one-line reason in why when NVML is absent. ops->close frees. */
int nvml_src_init(struct gpu_src *src, pid_t proc_pid, char *why,
		  size_t why_len);

#endif
