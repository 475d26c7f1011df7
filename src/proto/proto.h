/* proto.h - protocol adapters: one server API each, behind one vtable.
 *
 * An adapter owns the API's request body and the meaning of each streamed
 * event: which events carry generated tokens, how many (exact or unknown),
 * usage counts, errors under HTTP 200, and what marks a complete stream. It
 * knows nothing of sockets, threads or timing; JSON stays here at the edge.
 * The ops tables are immutable and shared; struct proto_stream is per
 * request and owned by the caller.
 */
#ifndef INFBENCH_PROTO_PROTO_H
#define INFBENCH_PROTO_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "proto/jscan.h"

struct jscan_memo; /* proto/jscan.h */

/* What the client wants from one request, independent of API. */
struct proto_params {
	const char *model;
	const char *prompt;      /* text prompt */
	const int32_t *prompt_ids; /* token-id prompt instead of text
				      (completions only), or NULL */
	size_t n_prompt_ids;
	int32_t max_tokens;      /* requested output tokens */
	int ignore_eos;          /* ask the server to ignore EOS (if it can) */
	int min_tokens;          /* also ask for min_tokens = max_tokens */
	double temperature;      /* NaN: not sent (server default) */
	int include_usage;       /* stream_options.include_usage */
	int continuous_usage;    /* stream_options.continuous_usage_stats */
	const char *extra_body;  /* JSON object text merged into the body */
};

enum proto_ev_kind {
	PEV_IGNORE = 0, /* well-formed, nothing for us (role-less keep-alive) */
	PEV_TOKEN,      /* a chunk with a choice: vLLM's "event" */
	PEV_USAGE,      /* usage-only chunk (choices empty) */
	PEV_DONE,       /* [DONE] */
	PEV_ERROR,      /* {"error": ...} under HTTP 200 */
	PEV_BAD,        /* not JSON / wrong shape */
};

/* One classified event. Counts are -1 when the event does not carry them. */
struct proto_event {
	enum proto_ev_kind kind;
	int32_t tokens;          /* PEV_TOKEN: exact token delta, -1 unknown */
	uint32_t text_bytes;     /* generated text bytes in this chunk */
	int finished;            /* carries the API's final marker */
	int32_t prompt_tokens;   /* server count, -1 absent */
	int32_t completion_tokens; /* cumulative server count, -1 absent */
	char error[256];         /* PEV_ERROR / PEV_BAD: what it said */
};

/* Per-request adapter state. Zero-initialise with proto_stream_init. */
struct proto_stream {
	int32_t last_completion_tokens; /* for cumulative-count deltas */
	int saw_done;    /* [DONE] seen */
	int saw_finish;  /* finish_reason / final event seen */
	struct buf *text; /* when non-NULL, generated text is appended here */
	struct jscan_memo *memo; /* when non-NULL, events are parsed through
				  * it (jscan_memo_fields); the caller owns it
				  * and may keep it across requests */
	size_t text_seen; /* cumulative-text APIs (SGLang): bytes seen so far */
	/* Server-side timings from the final event, -1 when not reported
	 * (Ollama ns durations, llama.cpp timings ms). Read by tests and
	 * callers that want them; the engine does not record them yet. */
	int64_t srv_load_ns, srv_prompt_ns, srv_decode_ns, srv_total_ns;
};

struct proto_ops {
	const char *name;         /* "openai-completions" */
	const char *default_path; /* "/v1/completions"; "{model}" is replaced
				   * by the model name (proto_route) */
	int ndjson;               /* 1: NDJSON framing, 0: SSE */
	const char *flavour;      /* server family: "vllm", "tgi", ... */
	int force_len;            /* 1: exact output length can be forced
				   * (ignore_eos / min tokens); 0: max is only
				   * an upper bound, shortfalls are reported */
	int cont_usage;           /* 1: continuous_usage applies */
	int32_t requeue_tok;      /* server re-queues a request every N
				   * generated tokens (TGI 3.x: 1024); 0 none */
	const char *counts;       /* where exact token counts come from */
	/* Request body (JSON) into out. 0 or -EINVAL (bad extra_body). */
	int (*build_body)(const struct proto_params *p, struct buf *out);
	/* Classify one event's data (len bytes, not NUL-terminated). */
	void (*on_event)(struct proto_stream *st, const char *data,
			 size_t len, struct proto_event *ev);
	/* Did the stream reach this API's end-of-stream marker? */
	int (*complete)(const struct proto_stream *st);
};

/* OpenAI-compatible routes, per server flavour (openai.c). The
 * openai-* pair is the vLLM flavour. */
extern const struct proto_ops proto_openai_completions;
extern const struct proto_ops proto_openai_chat;
extern const struct proto_ops proto_sglang_completions;
extern const struct proto_ops proto_sglang_chat;
extern const struct proto_ops proto_lmdeploy_completions;
extern const struct proto_ops proto_lmdeploy_chat;
extern const struct proto_ops proto_trtllm_completions;
extern const struct proto_ops proto_trtllm_chat;
/* Native routes, one file each. */
extern const struct proto_ops proto_tgi;               /* tgi.c */
extern const struct proto_ops proto_sglang_generate;   /* sglang.c */
extern const struct proto_ops proto_lmdeploy_generate; /* lmdeploy.c */
extern const struct proto_ops proto_triton;            /* triton.c */
extern const struct proto_ops proto_llamacpp;          /* llamacpp.c */
extern const struct proto_ops proto_ollama;            /* ollama.c */

/* Find an adapter by name or alias ("openai-completions", "completions",
 * "vllm", "openai-chat", "chat", "tgi", "sglang", "ollama", ...). NULL
 * when unknown ("auto" is not an adapter: see proto/detect.h). */
const struct proto_ops *proto_find(const char *name);
/* Comma-separated list of names for error messages and --help. */
const char *proto_names(void);
/* The generation route of api for model: default_path with "{model}"
 * replaced (model NULL -> "model"). Caller frees. */
char *proto_route(const struct proto_ops *api, const char *model);

/* Triton: the ensemble's input/output names, read from
 * GET /v2/models/<m>/config (json, len bytes). Call before any request is
 * built (not thread-safe against build_body/on_event); without a call the
 * TRT-LLM ensemble defaults (text_input, max_tokens, min_tokens, stream,
 * return_num_output_tokens -> num_output_tokens, text_output) are used.
 * Returns 0, or -EINVAL with why filled (bad JSON, no text or max-tokens
 * input). *can_force / *exact_counts say whether min_tokens and
 * num_output_tokens exist in this model. */
int proto_triton_configure(const char *json, size_t len, int *can_force,
			   int *exact_counts, char *why, size_t why_len);
/* Back to the defaults (tests). */
void proto_triton_reset(void);

/* The length of the event document at the start of s[0..avail) when the
 * stream's memo recognises it (jscan_memo_peek: it then holds no CR or
 * LF, and the adapter's parse of exactly that document reuses the work),
 * else 0. For sse_feed's look-ahead. */
static inline size_t proto_peek(struct proto_stream *st, const char *s,
				size_t avail)
{
	return st->memo ? jscan_memo_peek(st->memo, s, avail) : 0;
}

/* Reset st for a new request (counts 0, server timings -1, no memo).
 * text, when non-NULL, receives the generated text; the caller owns it. */
void proto_stream_init(struct proto_stream *st, struct buf *text);

#endif
