/* fingerprint.h - what the measurement ran on, as JSON, and diffs of two.
 *
 * Owns the collection of host facts (/proc/cpuinfo, /proc/meminfo, uname,
 * /etc/os-release, libc), library versions, GPU facts (NVML, when present),
 * the target server's info routes (each optional, stored raw) and infbench's
 * own version. Blocking (info GETs with a timeout); call once per run, from
 * one thread, before the load starts.
 */
#ifndef INFBENCH_TELEMETRY_FINGERPRINT_H
#define INFBENCH_TELEMETRY_FINGERPRINT_H

#include <jansson.h>
#include <stdint.h>

#include "telemetry/nvml.h"

#define FP_MAX_ROUTE_BODY (256u << 10) /* bytes kept per info route */

struct fp_cfg {
	const char *server_url; /* base URL (any path is dropped); NULL = none */
	int64_t timeout_ns;     /* per info GET; 0 = 2 s */
	struct nvml *nvml;      /* borrowed; NULL = open (and close) one */
	int no_gpu;             /* skip NVML entirely */
};

/* New JSON object (caller owns) with keys: host {hostname, cpu_model,
 * cpus_online, cpus_configured, mem_total_bytes, kernel{sysname, release,
 * version, machine}, os{pretty_name, id, version_id}, libc}, libs {libcurl,
 * libcurl_ssl, jansson}, gpu {present, note | count, devices[{index, name,
 * uuid, mem_total_bytes}], driver, cuda_driver, nvml}, server (when a URL is
 * given) {url, routes{"/version": raw, ...}, missing{route: status},
 * max_context_len, max_context_len_from, version}, infbench {version, git}.
 * Never fails: what cannot be read is null or absent. */
json_t *fingerprint_collect(const struct fp_cfg *cfg);

/* Differences between two fingerprints (or any JSON objects): a new array
 * (caller owns) of {key, a, b}, one per leaf path ("host.cpu_model",
 * "gpu.devices[0].name") whose values differ or exist on one side only
 * (the missing side is null, with "only_in": "a" | "b"). Sorted by key. */
json_t *fingerprint_diff(const json_t *a, const json_t *b);

/* The base "scheme://host[:port]" of url into out (no trailing slash).
 * 0, or -EINVAL when url has no "://" or does not fit. */
int fingerprint_base_url(const char *url, char *out, size_t out_len);

#endif
