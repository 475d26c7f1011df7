/* backend.h - the boundary between the API front end and a token-timing backend.
 *
 * serve.c owns HTTP, wire formats, faults and the per-request struct
 * srv_stream; a backend owns only *when* each request's tokens appear. It
 * gets submit/cancel calls and answers, at times it chooses (using the
 * loop's timers), with srv_stream_tokens / srv_stream_error. The mock
 * (mock.c) is one backend; an engine simulator is meant to be another.
 * Everything runs on the server's loop thread.
 */
#ifndef INFBENCH_SERVER_BACKEND_H
#define INFBENCH_SERVER_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "server/loop.h"
#include "server/request.h"

struct srv_stream;

enum srv_finish {
	SRV_FINISH_NONE = 0, /* more tokens follow */
	SRV_FINISH_LENGTH,   /* reached max_tokens ("length") */
	SRV_FINISH_STOP,     /* stopped early (EOS: "stop" / "eos_token") */
};

/* srv_stream_tokens / srv_stream_error results. */
enum srv_emit {
	SRV_EMIT_OK = 0, /* stream goes on; the backend keeps s */
	SRV_EMIT_GONE,   /* s was released during the call: forget it */
};

/* Engine state for /metrics (vLLM gauge names). */
struct srv_gauges {
	double running;       /* vllm:num_requests_running */
	double waiting;       /* vllm:num_requests_waiting */
	double kv_usage;      /* vllm:kv_cache_usage_perc, 0..1 */
	uint64_t preemptions; /* vllm:num_preemptions_total */
};

/* Limits a backend enforces (srv_backend_ops.limits); 0 = keep the
 * server's configured value. */
struct srv_limits {
	int64_t max_model_len;  /* prompt + output cap, tokens */
	int64_t max_concurrent; /* TGI /info max_concurrent_requests */
};

/* The server's own counters, handed to srv_backend_ops.metrics. */
struct srv_metrics_in {
	const char *model;          /* served model name */
	uint64_t requests;          /* generation requests parsed */
	uint64_t completed;         /* finished normally */
	uint64_t prompt_tokens;     /* of accepted requests */
	uint64_t generation_tokens; /* emitted */
};

struct srv_backend_ops {
	const char *name;
	/* Bytes of per-stream private state, reached with srv_stream_priv
	 * (zeroed before submit; max-aligned). */
	size_t priv_bytes;
	/* Make the backend for loop l from arg (backend-specific config).
	 * 0, or -errno with *err (caller frees) set. */
	int (*create)(struct loop *l, const void *arg, void **be, char **err);
	/* Free it; every stream has been finished or cancelled before. */
	void (*destroy)(void *be);
	/* A new request (srv_stream_req(s)). The backend later calls
	 * srv_stream_tokens until a finish, or srv_stream_error. It may do so
	 * from inside submit. */
	void (*submit)(void *be, struct srv_stream *s);
	/* The client went away (or the server is stopping): stop timers and
	 * forget s. Never called while the backend is inside a srv_stream_*
	 * call, never after SRV_EMIT_GONE. */
	void (*cancel)(void *be, struct srv_stream *s);
	/* Optional: fill *g for /metrics; NULL = running counts requests
	 * between submit and their end, the rest 0. */
	void (*gauges)(void *be, struct srv_gauges *g);
	/* Optional: accept or refuse a request before any response byte is
	 * sent (s is set up: srv_stream_req, srv_stream_priv valid). 0 =
	 * accepted, submit follows at once; -EBUSY = overloaded (HTTP 429;
	 * TGI /generate_stream: 200 and an "overloaded" error event); -E2BIG
	 * = can never fit (vLLM 400, TGI 422 validation). After a refusal
	 * neither submit nor cancel is called for s. NULL = accept all. */
	int (*admit)(void *be, struct srv_stream *s);
	/* Optional: read once after create; non-zero fields override the
	 * server's max_model_len (request validation, /v1/models, /info) and
	 * max_concurrent (/info). */
	void (*limits)(void *be, struct srv_limits *out);
	/* Optional: write the engine's Prometheus text for /metrics (instead
	 * of the vLLM gauges from `gauges`); serve.c appends its own
	 * infbench_* lines. 0 or -ENOBUFS. */
	int (*metrics)(void *be, const struct srv_metrics_in *in,
		       struct buf *out);
	/* Optional: the body of GET /dcgm/metrics (DCGM-exporter text);
	 * NULL = that route answers 404. 0 or -ENOBUFS. */
	int (*dcgm)(void *be, struct buf *out);
};

/* The parsed request (valid until the stream ends). */
const struct srv_request *srv_stream_req(const struct srv_stream *s);
/* The response id ("chatcmpl-..."; valid until the stream ends). */
const char *srv_stream_id(const struct srv_stream *s);
/* The backend's private area (ops->priv_bytes bytes). */
void *srv_stream_priv(struct srv_stream *s);
/* Tokens emitted so far. */
uint32_t srv_stream_sent(const struct srv_stream *s);
/* Is the client behind (more than SRV_CONGESTED_BYTES unsent)? A backend
 * should then hold its next emission briefly (the mock retries after 1 ms),
 * as uvicorn's pause_writing holds vLLM's generator. */
#define SRV_CONGESTED_BYTES (256 * 1024)
int srv_stream_congested(const struct srv_stream *s);
/* With on != 0, every later srv_stream_tokens call is written to the
 * socket at once (one send per call; with TCP_NODELAY one TCP segment per
 * chunk) instead of being coalesced with other writes of the loop
 * iteration. The usage/[DONE] tail still goes out with the iteration. */
void srv_stream_flush_each(struct srv_stream *s, int on);
/* Emit n newly generated tokens as one chunk (TGI: n events). With fin !=
 * SRV_FINISH_NONE this is the last chunk (vLLM puts finish_reason on the
 * last token's chunk), followed by usage / [DONE] as the request asked.
 * Output never exceeds the request's max_tokens: extra tokens are dropped
 * and reaching it finishes with "length". Injected faults happen inside
 * this call. Returns SRV_EMIT_GONE when s was released (finished, fault,
 * client gone) - the backend must not touch s again. */
enum srv_emit srv_stream_tokens(struct srv_stream *s, uint32_t n,
				enum srv_finish fin);
/* End the request with an error (mid-stream error event, or HTTP 500 for
 * non-stream). Always returns SRV_EMIT_GONE. */
enum srv_emit srv_stream_error(struct srv_stream *s, const char *msg);

#endif
