/* mock.h - the mock backend: fixed TTFT, inter-token latency and jitter.
 *
 * Owns each request's emission schedule on absolute deadlines
 * (t_arrival + ttft + i * itl for token i, plus bounded jitter), so the
 * configured ITL is exact on average however late the loop runs. Emits the
 * first token alone, then tokens_per_chunk per chunk; always produces
 * exactly max_tokens tokens (finish "length"). Three benchmark modes for
 * client-performance work replace that schedule (bulk, paced, lockstep;
 * see enum mock_bench). Loop thread only.
 */
#ifndef INFBENCH_SERVER_MOCK_H
#define INFBENCH_SERVER_MOCK_H

#include <stdint.h>

#include "server/backend.h"

/* Benchmark modes: server behaviours that let it out-run a client. */
enum mock_bench {
	MOCK_BENCH_OFF = 0,  /* the normal schedule above */
	MOCK_BENCH_BULK,     /* every token at once, one event each, writes
				coalesced as big as the socket takes; ttft/itl
				ignored */
	MOCK_BENCH_PACED,    /* token i at t_arrival + ttft + i*itl, one send
				(TCP segment) per token */
	MOCK_BENCH_LOCKSTEP, /* one global grid of period itl (multiples of
				itl on CLOCK_MONOTONIC): at each tick every
				active stream whose ttft has passed gets one
				token, like a batching engine's step */
};

#define MOCK_BULK_TURN_TOKENS 1024   /* tokens per stream per loop turn */
#define MOCK_BULK_RETRY_NS 200000LL  /* congested bulk stream re-check */

/* "off", "bulk", "paced", "lockstep". */
const char *mock_bench_name(enum mock_bench b);
/* 0 and *out set, or -EINVAL. */
int mock_bench_parse(const char *s, enum mock_bench *out);

struct mock_config {
	double ttft_s;        /* arrival -> first token */
	double itl_s;         /* between consecutive tokens */
	double jitter_s;      /* each emission moves uniformly in +-jitter/2 */
	int tokens_per_chunk; /* >= 1; the first chunk always has one token */
	uint64_t seed;        /* jitter stream */
	enum mock_bench bench; /* MOCK_BENCH_OFF = normal */
	const char *stats_path; /* at shutdown, the send lateness of every
				   timed emission (emit time - schedule) as
				   JSON here; NULL = not measured */
	const char *send_log_path; /* each stream's emission times (after
				      the write), one JSON line per stream
				      as it ends; NULL = none; not in bulk
				      mode */
};

/* create() takes a const struct mock_config *. */
extern const struct srv_backend_ops mock_backend_ops;

#endif
