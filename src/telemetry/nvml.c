/* nvml.c - the few NVML calls infbench needs, resolved with dlsym.
 *
 * Types are declared here from NVIDIA's documented API (nvml.h is not
 * needed to build): nvmlReturn_t is an int (NVML_SUCCESS = 0), nvmlDevice_t
 * an opaque pointer, nvmlMemory_t (v1) = {total, free, used} unsigned long
 * long bytes, nvmlUtilization_t = {gpu, memory} unsigned int percent.
 *
 * Per-process memory: nvmlDeviceGetComputeRunningProcesses_v3 and _v2 both
 * take the 4-field nvmlProcessInfo_v2_t {pid, usedGpuMemory, gpuInstanceId,
 * computeInstanceId} (24 bytes); the unversioned symbol (drivers before
 * R470) takes the 2-field nvmlProcessInfo_v1_t (16 bytes). Passing the wrong
 * layout makes the driver write a stride the reader does not expect, which is
 * the classic pynvml garbage-memory bug; so the struct is chosen by the
 * symbol actually resolved: _v3, else _v2, else v1.
 */
#include "telemetry/nvml.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core/xmalloc.h"

typedef int nvmlReturn_t;
typedef void *nvmlDevice_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_CLOCK_SM 1
#define NVML_TEMPERATURE_GPU 0
#define NVML_VALUE_NOT_AVAILABLE_ULL 0xFFFFFFFFFFFFFFFFULL
#define NVML_MAX_PROCS 1024 /* process entries read per device at most */

/* nvmlMemory_v2_t: "used" excludes the memory the driver reserves (about
 * 480 MiB on an H100), as nvidia-smi reports it; v1's "used" includes it. */
struct nvml_memory_v2 {
	unsigned int version; /* sizeof | 2 << 24 (NVML_STRUCT_VERSION) */
	unsigned long long total, reserved, free, used; /* bytes */
};

struct nvml_memory_v1 {
	unsigned long long total, free, used; /* bytes */
};

struct nvml_utilization {
	unsigned int gpu, memory; /* percent over the last sample period */
};

struct nvml_proc_v1 {
	unsigned int pid;
	unsigned long long usedGpuMemory;
};

struct nvml_proc_v2 {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId;
	unsigned int computeInstanceId;
};

_Static_assert(sizeof(struct nvml_proc_v1) == 16, "nvmlProcessInfo_v1_t");
_Static_assert(sizeof(struct nvml_proc_v2) == 24, "nvmlProcessInfo_v2_t");

struct nvml {
	void *lib;
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*shutdown)(void);
	const char *(*error_string)(nvmlReturn_t);
	nvmlReturn_t (*get_count)(unsigned int *);
	nvmlReturn_t (*get_handle)(unsigned int, nvmlDevice_t *);
	nvmlReturn_t (*get_name)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t (*get_uuid)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t (*get_memory)(nvmlDevice_t, struct nvml_memory_v1 *);
	nvmlReturn_t (*get_memory_v2)(nvmlDevice_t, struct nvml_memory_v2 *);
	nvmlReturn_t (*get_util)(nvmlDevice_t, struct nvml_utilization *);
	nvmlReturn_t (*get_power)(nvmlDevice_t, unsigned int *);
	nvmlReturn_t (*get_clock)(nvmlDevice_t, int, unsigned int *);
	nvmlReturn_t (*get_temp)(nvmlDevice_t, int, unsigned int *);
	nvmlReturn_t (*drv_version)(char *, unsigned int);
	nvmlReturn_t (*cuda_version)(int *);
	nvmlReturn_t (*nvml_version)(char *, unsigned int);
	nvmlReturn_t (*procs)(nvmlDevice_t, unsigned int *, void *);
	int procs_v2; /* procs takes struct nvml_proc_v2 */
	int count;
	nvmlDevice_t dev[GPU_MAX_DEVICES];
	void *proc_buf; /* NVML_MAX_PROCS entries */
};

static void say(char *why, size_t n, const char *fmt, const char *a,
		const char *b)
{
	if (why && n)
		snprintf(why, n, fmt, a, b);
}

#define SYM(field, name, required)                                           \
	do {                                                                 \
		*(void **)&nv->field = dlsym(nv->lib, name);                 \
		if (!nv->field && (required)) {                              \
			say(why, why_len, "NVML: %s missing in %s", name,    \
			    path);                                           \
			goto out;                                            \
		}                                                            \
	} while (0)

struct nvml *nvml_open(char *why, size_t why_len)
{
	struct nvml *nv = xcalloc(1, sizeof(*nv)), *ret = NULL;
	const char *path = getenv("INFBENCH_NVML_LIB");
	if (!path || !*path)
		path = "libnvidia-ml.so.1";
	nv->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!nv->lib) {
		say(why, why_len, "NVML not available (%s: %s)", path,
		    dlerror());
		goto out;
	}
	SYM(init, "nvmlInit_v2", 1);
	SYM(shutdown, "nvmlShutdown", 1);
	SYM(error_string, "nvmlErrorString", 0);
	SYM(get_count, "nvmlDeviceGetCount_v2", 1);
	SYM(get_handle, "nvmlDeviceGetHandleByIndex_v2", 1);
	SYM(get_name, "nvmlDeviceGetName", 0);
	SYM(get_uuid, "nvmlDeviceGetUUID", 0);
	SYM(get_memory, "nvmlDeviceGetMemoryInfo", 0);
	SYM(get_memory_v2, "nvmlDeviceGetMemoryInfo_v2", 0);
	SYM(get_util, "nvmlDeviceGetUtilizationRates", 0);
	SYM(get_power, "nvmlDeviceGetPowerUsage", 0);
	SYM(get_clock, "nvmlDeviceGetClockInfo", 0);
	SYM(get_temp, "nvmlDeviceGetTemperature", 0);
	SYM(drv_version, "nvmlSystemGetDriverVersion", 0);
	SYM(cuda_version, "nvmlSystemGetCudaDriverVersion_v2", 0);
	SYM(nvml_version, "nvmlSystemGetNVMLVersion", 0);
	nv->procs_v2 = 1;
	SYM(procs, "nvmlDeviceGetComputeRunningProcesses_v3", 0);
	if (!nv->procs)
		SYM(procs, "nvmlDeviceGetComputeRunningProcesses_v2", 0);
	if (!nv->procs) {
		nv->procs_v2 = 0;
		SYM(procs, "nvmlDeviceGetComputeRunningProcesses", 0);
	}
	nvmlReturn_t rc = nv->init();
	if (rc != NVML_SUCCESS) {
		char code[32];
		snprintf(code, sizeof(code), "%d", rc);
		say(why, why_len, "NVML: nvmlInit_v2 failed (%s%s)",
		    nv->error_string ? nv->error_string(rc) : "code ",
		    nv->error_string ? "" : code);
		dlclose(nv->lib);
		nv->lib = NULL;
		goto out;
	}
	unsigned int cnt = 0;
	if (nv->get_count(&cnt) != NVML_SUCCESS)
		cnt = 0;
	if (cnt > GPU_MAX_DEVICES) {
		warnf("NVML: %u GPUs, watching the first %d", cnt,
		      GPU_MAX_DEVICES);
		cnt = GPU_MAX_DEVICES;
	}
	for (unsigned int i = 0; i < cnt; i++) {
		if (nv->get_handle(i, &nv->dev[nv->count]) == NVML_SUCCESS)
			nv->count++;
	}
	nv->proc_buf = xcalloc(NVML_MAX_PROCS, sizeof(struct nvml_proc_v2));
	ret = nv;
	nv = NULL;
out:
	if (nv) {
		if (nv->lib)
			dlclose(nv->lib);
		free(nv);
	}
	return ret;
}

void nvml_close(struct nvml *nv)
{
	if (!nv)
		return;
	nv->shutdown();
	dlclose(nv->lib);
	free(nv->proc_buf);
	free(nv);
}

int nvml_count(const struct nvml *nv)
{
	return nv->count;
}

/* Total and used bytes, preferring the v2 call (nvidia-smi's numbers). */
static int read_memory(struct nvml *nv, nvmlDevice_t d, double *total,
		       double *used)
{
	if (nv->get_memory_v2) {
		struct nvml_memory_v2 m2 = {
			.version = (unsigned)sizeof(m2) | (2u << 24)};
		if (nv->get_memory_v2(d, &m2) == NVML_SUCCESS) {
			*total = (double)m2.total;
			*used = (double)m2.used;
			return 0;
		}
	}
	struct nvml_memory_v1 m;
	if (nv->get_memory && nv->get_memory(d, &m) == NVML_SUCCESS) {
		*total = (double)m.total;
		*used = (double)m.used;
		return 0;
	}
	return -1;
}


int nvml_info(struct nvml *nv, struct gpu_info *info, int max)
{
	int n = nv->count < max ? nv->count : max;
	for (int i = 0; i < n; i++) {
		struct gpu_info *g = &info[i];
		memset(g, 0, sizeof(*g));
		g->index = i;
		g->mem_total_bytes = NAN;
		if (!nv->get_name ||
		    nv->get_name(nv->dev[i], g->name, sizeof(g->name)))
			snprintf(g->name, sizeof(g->name), "unknown");
		if (!nv->get_uuid ||
		    nv->get_uuid(nv->dev[i], g->uuid, sizeof(g->uuid)))
			g->uuid[0] = '\0';
		double total, used;
		if (!read_memory(nv, nv->dev[i], &total, &used))
			g->mem_total_bytes = total;
	}
	return n;
}

void nvml_get_versions(struct nvml *nv, struct nvml_versions *v)
{
	memset(v, 0, sizeof(*v));
	if (nv->drv_version &&
	    nv->drv_version(v->driver, sizeof(v->driver)) != NVML_SUCCESS)
		v->driver[0] = '\0';
	if (nv->nvml_version &&
	    nv->nvml_version(v->nvml, sizeof(v->nvml)) != NVML_SUCCESS)
		v->nvml[0] = '\0';
	int cv = 0;
	if (nv->cuda_version && nv->cuda_version(&cv) == NVML_SUCCESS &&
	    cv > 0) {
		v->cuda_driver = cv;
		/* NVML_CUDA_DRIVER_VERSION_MAJOR/MINOR: v/1000, v%1000/10 */
		snprintf(v->cuda, sizeof(v->cuda), "%d.%d", cv / 1000,
			 (cv % 1000) / 10);
	}
}

/* Parent pid of p from /proc/p/stat (field 4, after the "(comm)"). */
static pid_t parent_of(pid_t p)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	char *rp = strrchr(line, ')');
	int ppid = -1;
	if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* Whether p is root or a descendant of it (8 levels at most). */
static int in_tree(pid_t p, pid_t root)
{
	for (int depth = 0; depth < 8 && p > 1; depth++) {
		if (p == root)
			return 1;
		p = parent_of(p);
	}
	return p == root;
}

/* Memory of the process tree rooted at pid on device d (NaN if unknown). */
static double proc_mem(struct nvml *nv, nvmlDevice_t d, pid_t pid)
{
	if (!nv->procs)
		return NAN;
	unsigned int cnt = NVML_MAX_PROCS;
	nvmlReturn_t rc = nv->procs(d, &cnt, nv->proc_buf);
	if (rc != NVML_SUCCESS || cnt > NVML_MAX_PROCS)
		return NAN; /* incl. INSUFFICIENT_SIZE: > 1024 processes */
	double sum = 0;
	for (unsigned int i = 0; i < cnt; i++) {
		unsigned int p;
		unsigned long long used;
		if (nv->procs_v2) {
			const struct nvml_proc_v2 *e =
				(const struct nvml_proc_v2 *)nv->proc_buf + i;
			p = e->pid;
			used = e->usedGpuMemory;
		} else {
			const struct nvml_proc_v1 *e =
				(const struct nvml_proc_v1 *)nv->proc_buf + i;
			p = e->pid;
			used = e->usedGpuMemory;
		}
		if (used == NVML_VALUE_NOT_AVAILABLE_ULL)
			continue; /* e.g. Windows WDDM; never on Linux */
		if (pid == 0 || in_tree((pid_t)p, pid))
			sum += (double)used;
	}
	return sum;
}

int nvml_read(struct nvml *nv, pid_t proc_pid, struct gpu_sample *out, int n)
{
	int failed = 0;
	if (n > nv->count)
		n = nv->count;
	for (int i = 0; i < n; i++) {
		struct gpu_sample *s = &out[i];
		nvmlDevice_t d = nv->dev[i];
		gpu_sample_clear(s, s->t_ns);
		struct nvml_utilization u;
		unsigned int v;
		int ok = 0;
		double total, used;
		if (!read_memory(nv, d, &total, &used)) {
			s->mem_used_bytes = used;
			s->mem_total_bytes = total;
			ok++;
		}
		if (nv->get_util && nv->get_util(d, &u) == NVML_SUCCESS) {
			s->sm_util_pct = u.gpu;
			s->mem_util_pct = u.memory;
			ok++;
		}
		if (nv->get_power && nv->get_power(d, &v) == NVML_SUCCESS) {
			s->power_w = v / 1000.0; /* mW */
			ok++;
		}
		if (nv->get_clock &&
		    nv->get_clock(d, NVML_CLOCK_SM, &v) == NVML_SUCCESS) {
			s->sm_clock_mhz = v;
			ok++;
		}
		if (nv->get_temp &&
		    nv->get_temp(d, NVML_TEMPERATURE_GPU, &v) == NVML_SUCCESS) {
			s->temp_c = v;
			ok++;
		}
		if (proc_pid >= 0)
			s->proc_mem_bytes = proc_mem(nv, d, proc_pid);
		if (!ok)
			failed++;
	}
	return (n > 0 && failed == n) ? -EIO : 0;
}

/* gpu_src over NVML */

struct nvml_src {
	struct nvml *nv;
	pid_t pid;
};

static int src_open(void *ctx, struct gpu_info *info, int max)
{
	struct nvml_src *s = ctx;
	return nvml_info(s->nv, info, max);
}

static int src_read(void *ctx, struct gpu_sample *out, int n)
{
	struct nvml_src *s = ctx;
	return nvml_read(s->nv, s->pid, out, n);
}

static void src_close(void *ctx)
{
	struct nvml_src *s = ctx;
	if (!s)
		return;
	nvml_close(s->nv);
	free(s);
}

static const struct gpu_src_ops nvml_ops = {
	.name = "nvml",
	.open = src_open,
	.read = src_read,
	.close = src_close,
};

int nvml_src_init(struct gpu_src *src, pid_t proc_pid, char *why,
		  size_t why_len)
{
	struct nvml *nv = nvml_open(why, why_len);
	if (!nv)
		return -ENOENT;
	struct nvml_src *s = xcalloc(1, sizeof(*s));
	s->nv = nv;
	s->pid = proc_pid;
	src->ops = &nvml_ops;
	src->ctx = s;
	return 0;
}
