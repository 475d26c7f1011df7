/* mock.h - the mock backend: fixed TTFT, inter-token latency and jitter.
 *
 * Owns each request's emission schedule on absolute deadlines
 * (t_arrival + ttft + i * itl for token i, plus bounded jitter), so the
 * configured ITL is exact on average however late the loop runs. Emits the
 * first token alone, then tokens_per_chunk per chunk; always produces
 * exactly max_tokens tokens (finish "length"). Loop thread only.
 */
#ifndef INFBENCH_SERVER_MOCK_H
#define INFBENCH_SERVER_MOCK_H

#include <stdint.h>

#include "server/backend.h"

struct mock_config {
	double ttft_s;        /* arrival -> first token */
	double itl_s;         /* between consecutive tokens */
	double jitter_s;      /* each emission moves uniformly in +-jitter/2 */
	int tokens_per_chunk; /* >= 1; the first chunk always has one token */
	uint64_t seed;        /* jitter stream */
};

/* create() takes a const struct mock_config *. */
extern const struct srv_backend_ops mock_backend_ops;

#endif
