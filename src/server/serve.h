/* serve.h - the built-in LLM server: routes, streams, faults, its thread.
 *
 * Owns one server instance: the loop, the HTTP listener, the backend, the
 * pool of struct srv_stream, the fault plan and the /metrics counters.
 * Routes vLLM-OpenAI (/v1/completions, /v1/chat/completions, /v1/models,
 * /version, /tokenize, /metrics, /health), TGI (/generate_stream,
 * /generate, /info, /tokenize with "inputs"), SGLang and LMDeploy
 * /generate, llama.cpp /completion, Ollama /api/generate, Triton
 * /v2/models/<m>/generate_stream, and each server's info routes as its
 * flavour allows (docs/internals/SERVER.md). srv_start/srv_stop may be
 * called from any one thread; the server itself runs on its own thread.
 */
#ifndef INFBENCH_SERVER_SERVE_H
#define INFBENCH_SERVER_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "server/backend.h"
#include "server/fault.h"
#include "server/mock.h"

struct srv_config {
	const char *host;          /* default "127.0.0.1" */
	int port;                  /* 0 = ephemeral */
	const char *model;         /* served model name */
	int64_t max_model_len;     /* prompt + output cap, tokens */
	int64_t chat_overhead_tok; /* chat template tokens */
	int64_t max_concurrent;    /* reported by TGI /info only */
	unsigned close_after;      /* close keep-alive conns after N responses */
	int reuse_port;            /* share the port with other servers */
	size_t max_out_bytes;      /* per-connection output cap; 0 = default */
	struct fault_config faults;
	enum srv_flavour flavour;  /* info routes, error shapes; ALL default */
	/* Backend: NULL = the mock with .mock; else ops->create(loop, arg). */
	const struct srv_backend_ops *backend;
	const void *backend_arg;
	struct mock_config mock;
};

struct srv;

/* Fill *c with the CLI defaults (127.0.0.1:8000, model "mock-model",
 * 4096 tokens, 8 chat template tokens, ttft 50 ms, itl 10 ms). */
void srv_config_defaults(struct srv_config *c);

/* Start a server on its own thread; returns once the socket listens.
 * Copies what it needs from cfg. Raises RLIMIT_NOFILE to the hard limit.
 * Returns NULL on failure with *err (caller frees) when err is not NULL.
 * Stop and free with srv_stop. */
struct srv *srv_start(const struct srv_config *cfg, char **err);
/* The bound port. */
int srv_port(const struct srv *s);
/* Stop the thread, close every connection (cancelling open streams) and
 * free everything. NULL-safe. */
void srv_stop(struct srv *s);

/* Counters, readable from any thread (relaxed atomics). */
struct srv_counters {
	uint64_t requests;           /* generation requests */
	uint64_t completed;          /* finished normally */
	uint64_t faults[FAULT__COUNT];
	uint64_t prompt_tokens, generation_tokens;
};
void srv_get_counters(const struct srv *s, struct srv_counters *out);

#endif
