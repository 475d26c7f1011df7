/* wire.h - the bytes the built-in server sends, per API, independent of timing.
 *
 * Owns the exact formats: vLLM OpenAI completions/chat SSE chunks (first
 * chat chunk role-only, usage chunk, continuous usage, [DONE], error event),
 * non-stream OpenAI JSON, TGI /generate_stream events ("data:" without a
 * space), TGI errors, SGLang/LMDeploy /generate, llama.cpp /completion,
 * Ollama /api/generate NDJSON, Triton generate_stream, each server's info
 * routes and error shapes, /tokenize and Prometheus /metrics, plus
 * the mock vocabulary (token k is one word with a leading space). Every
 * function appends to a caller-owned struct buf and returns 0 or -ENOBUFS.
 * Pure functions, thread-safe.
 */
#ifndef INFBENCH_SERVER_WIRE_H
#define INFBENCH_SERVER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define WIRE_VOCAB 64 /* distinct mock words */

enum wire_finish {
	WIRE_FINISH_NONE = 0,
	WIRE_FINISH_LENGTH, /* "length" (OpenAI and TGI) */
	WIRE_FINISH_STOP,   /* "stop" (OpenAI) / "eos_token" (TGI) */
};

/* Constants of one response. */
struct wire_ctx {
	const char *id;        /* "cmpl-<32 hex>" or "chatcmpl-<32 hex>" */
	const char *model;     /* served model name */
	int64_t created;       /* unix seconds */
	int64_t prompt_tokens; /* for usage / input_length */
};

/* Text of generated token k (0-based): " word", one word per token. */
const char *wire_token_text(uint32_t k, size_t *len);
/* Token id of generated token k. */
uint32_t wire_token_id(uint32_t k);
/* Id the mock tokenizer gives a prompt word (FNV-1a, < 32000). */
uint32_t wire_word_id(const char *w, size_t len);

/* Append s as a JSON string literal (with quotes). */
int wire_json_str(struct buf *b, const char *s, size_t len);

/* ---- vLLM OpenAI streaming (each returns one whole "data: ...\n\n") ---- */

/* Completions chunk with tokens [tok0, tok0+n). completion_tokens >= 0 adds
 * continuous usage (cumulative count), < 0 writes "usage":null. */
int wire_cmpl_chunk(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
		    uint32_t n, enum wire_finish fin, int64_t completion_tokens);
/* Chat: first chunk, delta {"role":"assistant","content":""}. With
 * continuous usage (cont != 0) carries completion_tokens 0. */
int wire_chat_role_chunk(struct buf *b, const struct wire_ctx *x, int cont);
/* Chat content chunk; completion_tokens as for wire_cmpl_chunk but < 0
 * omits "usage" (chat chunks are dumped exclude_unset). */
int wire_chat_chunk(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
		    uint32_t n, enum wire_finish fin, int64_t completion_tokens);
/* Final usage chunk ("choices":[]); chat selects the object name. */
int wire_usage_chunk(struct buf *b, const struct wire_ctx *x, int chat,
		     int64_t completion_tokens);
/* "data: [DONE]\n\n" */
int wire_done(struct buf *b);
/* vLLM mid-stream error event (Python json.dumps spacing). */
int wire_openai_error_event(struct buf *b, const char *msg, const char *type,
			    int code);
/* vLLM HTTP error body {"error":{...}} (compact). param NULL = null. */
int wire_openai_error_json(struct buf *b, const char *msg, const char *type,
			   const char *param, int code);
/* Non-stream completions / chat responses with n tokens. */
int wire_cmpl_response(struct buf *b, const struct wire_ctx *x, uint32_t n,
		       enum wire_finish fin);
int wire_chat_response(struct buf *b, const struct wire_ctx *x, uint32_t n,
		       enum wire_finish fin);

/* ---- TGI ---- */

/* One /generate_stream event for token k; index = k + 1. When final, the
 * event carries generated_text (all k+1 tokens) and, if details, details. */
int wire_tgi_event(struct buf *b, const struct wire_ctx *x, uint32_t k,
		   int final, enum wire_finish fin, int details);
/* data:{"error":"...","error_type":"..."} */
int wire_tgi_error_event(struct buf *b, const char *msg, const char *type);
/* {"error":"...","error_type":"..."} */
int wire_tgi_error_json(struct buf *b, const char *msg, const char *type);
/* /generate response for n tokens. */
int wire_tgi_generate_response(struct buf *b, const struct wire_ctx *x,
			       uint32_t n, enum wire_finish fin, int details);

/* ---- info routes ---- */

int wire_models(struct buf *b, const char *model, int64_t max_model_len,
		int64_t created);
int wire_version(struct buf *b, const char *version);
int wire_tgi_info(struct buf *b, const char *model, int64_t max_model_len,
		  int64_t max_concurrent);
/* vLLM /tokenize for the words of text (tokens are word ids); extra_tok
 * leading template tokens (chat) count too and use id 1. */
int wire_tokenize_vllm(struct buf *b, const char *const *texts,
		       const size_t *lens, size_t ntexts, int64_t extra_tok,
		       int64_t max_model_len);
/* TGI /tokenize: [{"id","text","start","stop"}...] for the words of text. */
int wire_tokenize_tgi(struct buf *b, const char *text, size_t len);

/* ---- error bodies, by server ---- */

enum wire_err_shape {
	WIRE_ERR_VLLM = 0, /* {"error":{"message","type","param","code"}} */
	WIRE_ERR_FLAT,     /* {"object":"error","message","type","param",
			    * "code"} (SGLang/LMDeploy/trtllm OpenAI routes) */
	WIRE_ERR_TGI,      /* {"error":"...","error_type":"..."} */
	WIRE_ERR_MESSAGE,  /* {"error":{"message":"..."}} (SGLang native) */
	WIRE_ERR_LLAMACPP, /* {"error":{"code","message","type"}} */
	WIRE_ERR_STRING,   /* {"error":"..."} (Ollama, Triton) */
};
/* One error body (no framing). param NULL = null. */
int wire_error_json(struct buf *b, enum wire_err_shape shape, const char *msg,
		    const char *type, const char *param, int code);

/* ---- native streaming formats (one whole event/line each; stream = 0
 * writes the bare JSON of a non-stream response instead) ---- */

/* Server-side times of one request, for the APIs that report them. */
struct wire_times {
	int64_t prompt_ns;      /* arrival -> first token */
	int64_t decode_ns;      /* first token -> now */
	int64_t total_ns;       /* arrival -> now */
	const char *created_at; /* RFC 3339 UTC with ns (Ollama) */
};

/* SGLang /generate: cumulative text/output_ids of tokens [0, total),
 * meta_info with cumulative completion_tokens. */
int wire_sglang_chunk(struct buf *b, const struct wire_ctx *x, uint32_t total,
		      enum wire_finish fin, int stream);
/* LMDeploy /generate: delta text/output_ids of [tok0, tok0+n), meta_info
 * completion_tokens = tok0 + n. */
int wire_lmdeploy_chunk(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
			uint32_t n, enum wire_finish fin, int stream);
/* llama.cpp /completion partial chunk for [tok0, tok0+n). */
int wire_llamacpp_chunk(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
			uint32_t n);
/* llama.cpp final result after n tokens: stop:true, timings. Streamed it
 * carries content "", else the whole text. */
int wire_llamacpp_final(struct buf *b, const struct wire_ctx *x, uint32_t n,
			enum wire_finish fin, const struct wire_times *t,
			int stream);
/* Ollama /api/generate NDJSON line for [tok0, tok0+n). */
int wire_ollama_line(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
		     uint32_t n, const struct wire_times *t);
/* Ollama final line (done:true, counts, ns durations) after n tokens;
 * stream = 0 puts the whole text in "response". */
int wire_ollama_final(struct buf *b, const struct wire_ctx *x, uint32_t n,
		      enum wire_finish fin, const struct wire_times *t,
		      int stream);
/* Triton generate(_stream) response for [tok0, tok0+n); ret_out/ret_in add
 * num_output_tokens (n) / num_input_tokens. */
int wire_triton_event(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
		      uint32_t n, int ret_out, int ret_in, int stream);

/* ---- per-server info routes ---- */

/* OpenAI /v1/models of another server: owned_by, max_model_len (< 0:
 * omitted), llama.cpp's meta block when llamacpp_meta. */
int wire_models_as(struct buf *b, const char *model, int64_t max_model_len,
		   int64_t created, const char *owned_by, int llamacpp_meta);
int wire_sglang_server_info(struct buf *b, const char *model,
			    int64_t max_model_len, int64_t max_running);
int wire_sglang_model_info(struct buf *b, const char *model);
int wire_llamacpp_props(struct buf *b, const char *model, int64_t n_ctx);
int wire_ollama_tags(struct buf *b, const char *model);
int wire_triton_server(struct buf *b);
int wire_triton_index(struct buf *b, const char *model);
int wire_triton_config(struct buf *b, const char *model);

/* Values for /metrics. */
struct wire_metrics {
	const char *model;
	double running, waiting, kv_usage;
	uint64_t preemptions;
	uint64_t prompt_tokens, generation_tokens;
	uint64_t requests;         /* generation requests accepted */
	uint64_t faults[8];        /* by fault kind index, names below */
	const char *const *fault_names; /* n_faults names */
	int n_faults;
	uint64_t conns_open, conns_accepted;
};
/* The vLLM gauges/counters of m, then wire_metrics_infbench. */
int wire_metrics(struct buf *b, const struct wire_metrics *m);
/* Only the infbench_mock_* lines (requests, faults, connections). */
int wire_metrics_infbench(struct buf *b, const struct wire_metrics *m);

#endif
