/* openai.c - OpenAI-compatible completions and chat streaming, per server
 * flavour: vLLM (include_usage + continuous_usage_stats, ignore_eos,
 * min_tokens), SGLang (continuous usage without include_usage), LMDeploy
 * (no continuous usage; chat min_new_tokens), trtllm-serve (unknown fields
 * are rejected: only keys it declares). The event rules are shared.
 *
 * Owns the two request bodies and the event rules of anchors.md §5.2 and
 * protocols.md §0/§2: any chunk with a non-empty `choices` is an event (the
 * chat role-only chunk too, with a known delta of 0 tokens); a usage-only
 * chunk is not; `[DONE]` is optional; `{"error":...}` may come under 200.
 * Events are read with jscan (no allocation); errors with jansson.
 */
#include <errno.h>
#include <jansson.h>

#include "proto/adapter.h"
#include "proto/body.h"

/* Per-server differences of the OpenAI-compatible request bodies
 * (protocols.md §2, §4, §5a, §6). */
struct flavour {
	int cont_alone;        /* continuous_usage_stats works without
				* include_usage (SGLang) */
	int no_cont;           /* no continuous usage at all (LMDeploy) */
	int chat_max_tokens_only; /* chat: only max_tokens (trtllm-serve
				   * forbids unknown fields; its chat field
				   * is max_completion_tokens aliased to
				   * max_tokens) */
	const char *chat_min;  /* chat min-tokens key, NULL = none */
	const char *cmpl_min;  /* completions min-tokens key, NULL = none */
};

static const struct flavour fl_vllm = {0, 0, 0, "min_tokens", "min_tokens"};
static const struct flavour fl_sglang = {1, 0, 0, "min_tokens", "min_tokens"};
static const struct flavour fl_lmdeploy = {0, 1, 0, "min_new_tokens", NULL};
static const struct flavour fl_trtllm = {0, 0, 1, "min_tokens", "min_tokens"};

/* The keys after the prompt and length, in the order all flavours send. */
static int finish_body(const struct flavour *fl, int chat,
		       const struct proto_params *p, json_t *o,
		       struct buf *out)
{
	proto__body_str(o, "model", p->model);
	proto__body_flag(o, "stream", 1);
	int cont = p->continuous_usage && !fl->no_cont;
	if (p->include_usage || cont) {
		json_t *so = json_object();
		/* vLLM/trtllm: continuous usage needs include_usage too;
		 * SGLang honours it alone. */
		proto__body_flag(so, "include_usage",
				 p->include_usage || !fl->cont_alone);
		proto__body_flag(so, "continuous_usage_stats", cont);
		json_object_set_new(o, "stream_options", so);
	}
	proto__body_flag(o, "ignore_eos", p->ignore_eos);
	const char *mk = chat ? fl->chat_min : fl->cmpl_min;
	if (p->min_tokens && mk)
		proto__body_int(o, mk, p->max_tokens);
	proto__body_real(o, "temperature", p->temperature);
	return proto__body_finish(o, p, out);
}

static int completions_body(const struct flavour *fl,
			    const struct proto_params *p, struct buf *out)
{
	json_t *o = json_object();
	proto__body_prompt(o, "prompt", "prompt", p); /* text or ids */
	proto__body_int(o, "max_tokens", p->max_tokens);
	return finish_body(fl, 0, p, o, out);
}

static int chat_body(const struct flavour *fl, const struct proto_params *p,
		     struct buf *out)
{
	if (p->prompt_ids)
		return -EINVAL; /* chat takes text only */
	json_t *o = json_object();
	json_t *msgs = json_array();
	json_t *m = json_object();
	proto__body_str(m, "role", "user");
	proto__body_str(m, "content", p->prompt);
	json_array_append_new(msgs, m);
	json_object_set_new(o, "messages", msgs);
	/* vLLM reads max_completion_tokens; older servers max_tokens. */
	if (!fl->chat_max_tokens_only)
		proto__body_int(o, "max_completion_tokens", p->max_tokens);
	proto__body_int(o, "max_tokens", p->max_tokens);
	return finish_body(fl, 1, p, o, out);
}

/* Fields the per-token path needs, in one jscan pass (jscan.h): the
 * completions table is the first F_CMPL_N, chat has its own table with
 * the delta fields after them (every field costs on every event: the
 * parser writes them all). */
enum {
	F_ERROR, F_OBJECT, F_CHOICES, F_USAGE, F_PROMPT, F_COMPLETION,
	F_FINISH, F_TEXT, F_CMPL_N,
	F_CONTENT = F_TEXT, F_REASONING, F_REASONING_CONTENT, F_ROLE,
	F_TOOL_CALLS, F__N
};

#define COMMON_PATHS                                                      \
	[F_ERROR] = {{"error"}, 1}, [F_OBJECT] = {{"object"}, 1},             \
	[F_CHOICES] = {{"choices"}, 1}, [F_USAGE] = {{"usage"}, 1},           \
	[F_PROMPT] = {{"usage", "prompt_tokens"}, 2},                        \
	[F_COMPLETION] = {{"usage", "completion_tokens"}, 2},                \
	[F_FINISH] = {{"choices", "0", "finish_reason"}, 3}

static struct jscan_path cmpl_paths[F_CMPL_N] = {
	COMMON_PATHS,
	[F_TEXT] = {{"choices", "0", "text"}, 3},
};
static struct jscan_path chat_paths[F__N] = {
	COMMON_PATHS,
	[F_CONTENT] = {{"choices", "0", "delta", "content"}, 4},
	[F_REASONING] = {{"choices", "0", "delta", "reasoning"}, 4},
	[F_REASONING_CONTENT] = {{"choices", "0", "delta",
				  "reasoning_content"},
				 4},
	[F_ROLE] = {{"choices", "0", "delta", "role"}, 4},
	[F_TOOL_CALLS] = {{"choices", "0", "delta", "tool_calls"}, 4},
};
static struct proto__fields cmpl_fields = {
	.paths = cmpl_paths, .n = F_CMPL_N, .error = F_ERROR,
	.object = F_OBJECT,
};
static struct proto__fields chat_fields = {
	.paths = chat_paths, .n = F__N, .error = F_ERROR, .object = F_OBJECT,
};

static void on_event(struct proto_stream *st, const char *data, size_t len,
		     struct proto_event *ev, int chat)
{
	struct jscan_field fb[F__N];
	const struct jscan_field *f;
	proto__event_init(ev);
	if (proto__done(st, data, len, ev) ||
	    !(f = proto__fields_parse(chat ? &chat_fields : &cmpl_fields, st,
				      data, len, fb, ev)))
		return;
	int has_usage = f[F_USAGE].type == JSCAN_OBJECT;
	if (has_usage) {
		ev->prompt_tokens = proto__count(&f[F_PROMPT]);
		ev->completion_tokens = proto__count(&f[F_COMPLETION]);
	}
	if (f[F_CHOICES].type != JSCAN_ARRAY) {
		if (ev->completion_tokens >= 0 || ev->prompt_tokens >= 0)
			ev->kind = PEV_USAGE;
		else
			proto__bad_shape(ev, "event without choices or usage");
		return;
	}
	if (f[F_CHOICES].count == 0) {
		ev->kind = has_usage ? PEV_USAGE : PEV_IGNORE;
		return;
	}
	ev->kind = PEV_TOKEN;
	int role_only = 0;
	if (chat) {
		ev->text_bytes += (uint32_t)proto__text(st, &f[F_CONTENT], 0);
		ev->text_bytes +=
			(uint32_t)proto__text(st, &f[F_REASONING], 0);
		ev->text_bytes +=
			(uint32_t)proto__text(st, &f[F_REASONING_CONTENT], 0);
		role_only = f[F_ROLE].type == JSCAN_STRING &&
			    ev->text_bytes == 0 &&
			    f[F_TOOL_CALLS].type == JSCAN_ABSENT;
	} else {
		ev->text_bytes = (uint32_t)proto__text(st, &f[F_TEXT], 0);
	}
	if (proto__present(&f[F_FINISH]))
		proto__finished(st, ev);
	if (ev->completion_tokens >= 0) /* continuous usage: exact delta */
		ev->tokens = proto__count_delta(st, ev->completion_tokens);
	else if (role_only)
		ev->tokens = 0; /* vLLM chat's first chunk: role only */
}

static void completions_event(struct proto_stream *st, const char *data,
			      size_t len, struct proto_event *ev)
{
	on_event(st, data, len, ev, 0);
}

static void chat_event(struct proto_stream *st, const char *data, size_t len,
		       struct proto_event *ev)
{
	on_event(st, data, len, ev, 1);
}

#define CONT_COUNTS                                                       \
	"usage.completion_tokens on every chunk (continuous_usage_stats, "    \
	"cumulative -> exact deltas); else the final usage chunk"
#define FINAL_COUNTS                                                      \
	"final usage chunk only (no continuous usage): per-chunk counts "     \
	"unknown"

/* One flavour's two routes: their request bodies (fl_<fl>) and ops tables.
 * cont: continuous usage applies; counts: where exact counts come from. */
#define ROUTES(fl, cont, counts_, cmpl_ops, cmpl_name, chat_ops, chat_name) \
	static int fl##_cmpl_body(const struct proto_params *p,              \
				  struct buf *out)                           \
	{                                                                    \
		return completions_body(&fl_##fl, p, out);                   \
	}                                                                    \
	static int fl##_chat_body(const struct proto_params *p,              \
				  struct buf *out)                           \
	{                                                                    \
		return chat_body(&fl_##fl, p, out);                          \
	}                                                                    \
	const struct proto_ops cmpl_ops = {                                  \
		.name = cmpl_name,                                           \
		.default_path = "/v1/completions",                           \
		.flavour = #fl,                                              \
		.force_len = 1,                                              \
		.cont_usage = cont,                                          \
		.counts = counts_,                                           \
		.build_body = fl##_cmpl_body,                                \
		.on_event = completions_event,                               \
		.complete = proto__complete_on_done_or_finish,            \
	};                                                                   \
	const struct proto_ops chat_ops = {                                  \
		.name = chat_name,                                           \
		.default_path = "/v1/chat/completions",                      \
		.flavour = #fl,                                              \
		.force_len = 1,                                              \
		.cont_usage = cont,                                          \
		.counts = counts_,                                           \
		.build_body = fl##_chat_body,                                \
		.on_event = chat_event,                                      \
		.complete = proto__complete_on_done_or_finish,            \
	};

ROUTES(vllm, 1, CONT_COUNTS, proto_openai_completions, "openai-completions",
       proto_openai_chat, "openai-chat")
ROUTES(sglang, 1, CONT_COUNTS, proto_sglang_completions, "sglang-completions",
       proto_sglang_chat, "sglang-chat")
ROUTES(lmdeploy, 0, FINAL_COUNTS, proto_lmdeploy_completions,
       "lmdeploy-completions", proto_lmdeploy_chat, "lmdeploy-chat")
ROUTES(trtllm, 1, CONT_COUNTS, proto_trtllm_completions, "trtllm-completions",
       proto_trtllm_chat, "trtllm-chat")
