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
	int32_t last_completion_tokens; /* for continuous-usage deltas */
	int saw_done;    /* [DONE] seen */
	int saw_finish;  /* finish_reason / final event seen */
	struct buf *text; /* when non-NULL, generated text is appended here */
};

struct proto_ops {
	const char *name;         /* "openai-completions" */
	const char *default_path; /* "/v1/completions" */
	int ndjson;               /* 1: NDJSON framing, 0: SSE */
	/* Request body (JSON) into out. 0 or -EINVAL (bad extra_body). */
	int (*build_body)(const struct proto_params *p, struct buf *out);
	/* Classify one event's data (len bytes, not NUL-terminated). */
	void (*on_event)(struct proto_stream *st, const char *data,
			 size_t len, struct proto_event *ev);
	/* Did the stream reach this API's end-of-stream marker? */
	int (*complete)(const struct proto_stream *st);
};

extern const struct proto_ops proto_openai_completions;
extern const struct proto_ops proto_openai_chat;
extern const struct proto_ops proto_tgi;

/* Find an adapter by name or alias ("openai-completions", "completions",
 * "vllm", "openai-chat", "chat", "tgi"). NULL when unknown. */
const struct proto_ops *proto_find(const char *name);
/* Comma-separated list of names for error messages and --help. */
const char *proto_names(void);

void proto_stream_init(struct proto_stream *st, struct buf *text);

/* Shared by adapters: merge extra_body (JSON object text) into obj
 * (a json_t *). 0 or -EINVAL. */
int proto__merge_extra(void *obj, const char *extra_body);
/* Shared: fill ev as PEV_ERROR from an "error" member (object or string). */
void proto__error_event(void *root, struct proto_event *ev);

#endif
