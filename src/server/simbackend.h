/* simbackend.h - the engine emulator (sim/engine.h) as a real-time backend.
 *
 * Owns one struct sim_engine and runs its steps back to back on the loop's
 * timers: a step starts when a request arrives at an idle engine, or at the
 * absolute end time of the previous step (no drift); the tokens a step
 * produced go out (srv_stream_tokens) at its end time. Admission is
 * sim_submit (reserved: 429 past max_concurrent_requests). Also owns the
 * engine's /metrics in the real servers' names (paged: vLLM V1, reserved:
 * TGI) and a DCGM-exporter-style /dcgm/metrics. Knows no HTTP or JSON.
 * Loop thread only.
 */
#ifndef INFBENCH_SERVER_SIMBACKEND_H
#define INFBENCH_SERVER_SIMBACKEND_H

#include "server/backend.h"
#include "sim/engine.h"

#define SIMBE_MAX_INFLIGHT (1u << 20) /* requests admitted and not ended */
#define SIMBE_UTIL_BUCKET_NS 10000000LL /* 10 ms busy-time buckets */
#define SIMBE_UTIL_WINDOW 100           /* buckets: utilization over 1 s */

/* create() takes a const struct sim_config * (copied; the engine resolves
 * its defaults). A config the engine refuses (model does not fit...) makes
 * create fail with the engine's message. */
extern const struct srv_backend_ops sim_backend_ops;

#endif
