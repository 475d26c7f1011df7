/* request.h - what the built-in server needs from one generation request.
 *
 * Owns the parse of an OpenAI completions/chat or TGI generate request body
 * (jansson) into struct srv_request, the mock's prompt token counting rule
 * and the output length rule, with vLLM/TGI-shaped validation errors. No
 * I/O, no timing. Thread-safe (no shared state).
 *
 * Counting rule (the client relies on it): prompt tokens = whitespace-
 * separated words of the prompt string; a token-id array counts its
 * elements; chat = template overhead + words of every message's content
 * (string, or the "text" of each content part).
 */
#ifndef INFBENCH_SERVER_REQUEST_H
#define INFBENCH_SERVER_REQUEST_H

#include <stddef.h>
#include <stdint.h>

enum srv_api {
	SRV_API_COMPLETIONS = 0, /* POST /v1/completions */
	SRV_API_CHAT,            /* POST /v1/chat/completions */
	SRV_API_TGI_STREAM,      /* POST /generate_stream */
	SRV_API_TGI_GENERATE,    /* POST /generate (TGI shape) */
	SRV_API_SGLANG,          /* POST /generate (SGLang native) */
	SRV_API_LMDEPLOY,        /* POST /generate (LMDeploy native) */
	SRV_API_LLAMACPP,        /* POST /completion (llama.cpp native) */
	SRV_API_OLLAMA,          /* POST /api/generate (NDJSON) */
	SRV_API_TRITON_STREAM,   /* POST /v2/models/<m>/generate_stream */
	SRV_API_TRITON_GENERATE, /* POST /v2/models/<m>/generate */
};

/* Which server the built-in one pretends to be (serve --flavour): its info
 * routes, error shapes and OpenAI-route request rules. ALL keeps the
 * historical set (vLLM routes + TGI /info). */
enum srv_flavour {
	SRV_FLAVOUR_ALL = 0,
	SRV_FLAVOUR_VLLM,
	SRV_FLAVOUR_SGLANG,
	SRV_FLAVOUR_LMDEPLOY,
	SRV_FLAVOUR_TRTLLM,
	SRV_FLAVOUR_TGI,
	SRV_FLAVOUR_LLAMACPP,
	SRV_FLAVOUR_OLLAMA,
	SRV_FLAVOUR_TRITON,
	SRV_FLAVOUR_NONE, /* no info route at all (tests of detection) */
	SRV_FLAVOUR__N
};
/* "all", "vllm", ... ; parse returns 0 or -EINVAL. */
const char *request_flavour_name(enum srv_flavour f);
int request_flavour_parse(const char *s, enum srv_flavour *out);

/* POST /generate without a flavour to decide: SGLang when the body has
 * "text"/"input_ids"/"sampling_params", LMDeploy when it has "prompt",
 * else TGI. */
enum srv_api request_generate_shape(const char *body, size_t len);

/* One parsed generation request. */
struct srv_request {
	enum srv_api api;
	int stream;           /* SSE response */
	int include_usage;    /* final usage chunk (OpenAI) */
	int continuous_usage; /* usage on every chunk (needs include_usage) */
	int details;          /* TGI parameters.details */
	int ignore_eos;       /* accepted; the mock always produces max_tokens */
	int ret_num_out;      /* Triton return_num_output_tokens */
	int ret_num_in;       /* Triton return_num_input_tokens */
	int64_t prompt_tokens; /* by the counting rule above */
	int64_t max_tokens;    /* output tokens to produce (>= 1) */
	int64_t t_arrival_ns;  /* monotonic time the request was complete */
	uint64_t seq;          /* 1-based number among generation requests */
};

/* Server-side limits and defaults the parse needs. */
struct request_limits {
	const char *model;         /* served name; another "model" -> 404 */
	int64_t max_model_len;     /* prompt + output cap (tokens) */
	int64_t chat_overhead_tok; /* template tokens added to chat prompts */
	enum srv_flavour flavour;  /* OpenAI-route rules (usage defaults,
				    * trtllm's unknown-field 400) */
};

/* A rejected request: HTTP status and the API's error fields. */
struct request_error {
	int status;       /* 400, 404, 422 */
	char type[32];    /* "BadRequestError", "NotFoundError", "validation" */
	char param[32];   /* "" = null */
	char msg[256];
};

/* Parse body (len bytes) for api into *out (t_arrival_ns and seq are left
 * for the caller). Returns 0, or -EINVAL with *err filled. */
int request_parse(enum srv_api api, const char *body, size_t len,
		  const struct request_limits *lim, struct srv_request *out,
		  struct request_error *err);

/* Whitespace-separated words in s[0..len). */
int64_t request_count_words(const char *s, size_t len);

#endif
