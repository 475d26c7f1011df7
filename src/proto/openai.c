/* openai.c - OpenAI-compatible completions and chat streaming (vLLM
 * flavour: include_usage, continuous_usage_stats, ignore_eos, min_tokens).
 *
 * Owns the two request bodies and the event rules of anchors.md §5.2 and
 * protocols.md §0/§2: any chunk with a non-empty `choices` is an event (the
 * chat role-only chunk too, with a known delta of 0 tokens); a usage-only
 * chunk is not; `[DONE]` is optional; `{"error":...}` may come under 200.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "proto/proto.h"

static int build_common(const struct proto_params *p, json_t *o,
			struct buf *out)
{
	int rc = 0;
	char *s = NULL;
	if (p->model)
		json_object_set_new(o, "model", json_string(p->model));
	json_object_set_new(o, "stream", json_true());
	if (p->include_usage || p->continuous_usage) {
		json_t *so = json_object();
		json_object_set_new(so, "include_usage",
				    json_boolean(p->include_usage ||
						 p->continuous_usage));
		if (p->continuous_usage)
			json_object_set_new(so, "continuous_usage_stats",
					    json_true());
		json_object_set_new(o, "stream_options", so);
	}
	if (p->ignore_eos)
		json_object_set_new(o, "ignore_eos", json_true());
	if (p->min_tokens)
		json_object_set_new(o, "min_tokens",
				    json_integer(p->max_tokens));
	if (!isnan(p->temperature))
		json_object_set_new(o, "temperature",
				    json_real(p->temperature));
	if ((rc = proto__merge_extra(o, p->extra_body)))
		goto out;
	s = json_dumps(o, JSON_COMPACT);
	if (!s || buf_puts(out, s))
		rc = -ENOMEM;
out:
	free(s);
	json_decref(o);
	return rc;
}

static int completions_body(const struct proto_params *p, struct buf *out)
{
	json_t *o = json_object();
	json_object_set_new(o, "prompt", json_string(p->prompt));
	json_object_set_new(o, "max_tokens", json_integer(p->max_tokens));
	return build_common(p, o, out);
}

static int chat_body(const struct proto_params *p, struct buf *out)
{
	json_t *o = json_object();
	json_t *msgs = json_array();
	json_t *m = json_object();
	json_object_set_new(m, "role", json_string("user"));
	json_object_set_new(m, "content", json_string(p->prompt));
	json_array_append_new(msgs, m);
	json_object_set_new(o, "messages", msgs);
	/* vLLM reads max_completion_tokens; older servers max_tokens. */
	json_object_set_new(o, "max_completion_tokens",
			    json_integer(p->max_tokens));
	json_object_set_new(o, "max_tokens", json_integer(p->max_tokens));
	return build_common(p, o, out);
}

static void usage_counts(json_t *usage, struct proto_event *ev)
{
	json_t *pt = json_object_get(usage, "prompt_tokens");
	json_t *ct = json_object_get(usage, "completion_tokens");
	if (json_is_integer(pt))
		ev->prompt_tokens = (int32_t)json_integer_value(pt);
	if (json_is_integer(ct))
		ev->completion_tokens = (int32_t)json_integer_value(ct);
}

static void append_text(struct proto_stream *st, struct proto_event *ev,
			json_t *s)
{
	if (!json_is_string(s))
		return;
	size_t n = json_string_length(s);
	ev->text_bytes += (uint32_t)n;
	if (st->text && n)
		buf_append(st->text, json_string_value(s), n);
}

static void on_event(struct proto_stream *st, const char *data, size_t len,
		     struct proto_event *ev, int chat)
{
	memset(ev, 0, sizeof(*ev));
	ev->tokens = -1;
	ev->prompt_tokens = ev->completion_tokens = -1;
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		ev->kind = PEV_DONE;
		st->saw_done = 1;
		return;
	}
	json_error_t jerr;
	json_t *root = json_loadb(data, len, 0, &jerr);
	if (!root || !json_is_object(root)) {
		ev->kind = PEV_BAD;
		snprintf(ev->error, sizeof(ev->error),
			 "unparsable event: %s", root ? "not an object"
							: jerr.text);
		goto out;
	}
	const char *object =
		json_string_value(json_object_get(root, "object"));
	if (json_object_get(root, "error") ||
	    (object && !strcmp(object, "error"))) {
		proto__error_event(root, ev);
		goto out;
	}
	json_t *usage = json_object_get(root, "usage");
	if (json_is_object(usage))
		usage_counts(usage, ev);
	json_t *choices = json_object_get(root, "choices");
	if (!json_is_array(choices)) {
		if (ev->completion_tokens >= 0 || ev->prompt_tokens >= 0) {
			ev->kind = PEV_USAGE;
			goto out;
		}
		ev->kind = PEV_BAD;
		snprintf(ev->error, sizeof(ev->error),
			 "event without choices or usage");
		goto out;
	}
	if (json_array_size(choices) == 0) {
		ev->kind = json_is_object(usage) ? PEV_USAGE : PEV_IGNORE;
		goto out;
	}
	ev->kind = PEV_TOKEN;
	json_t *c0 = json_array_get(choices, 0);
	int role_only = 0;
	if (chat) {
		json_t *d = json_object_get(c0, "delta");
		append_text(st, ev, json_object_get(d, "content"));
		append_text(st, ev, json_object_get(d, "reasoning"));
		append_text(st, ev, json_object_get(d, "reasoning_content"));
		role_only = json_is_string(json_object_get(d, "role")) &&
			    ev->text_bytes == 0 &&
			    !json_object_get(d, "tool_calls");
	} else {
		append_text(st, ev, json_object_get(c0, "text"));
	}
	json_t *fr = json_object_get(c0, "finish_reason");
	if (fr && !json_is_null(fr)) {
		ev->finished = 1;
		st->saw_finish = 1;
	}
	if (ev->completion_tokens >= 0) {
		/* Continuous usage: cumulative count, delta is exact. */
		ev->tokens = ev->completion_tokens - st->last_completion_tokens;
		if (ev->tokens < 0)
			ev->tokens = 0;
		st->last_completion_tokens = ev->completion_tokens;
	} else if (role_only) {
		ev->tokens = 0; /* vLLM chat's first chunk: role only */
	}
out:
	json_decref(root);
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

static int complete(const struct proto_stream *st)
{
	return st->saw_done || st->saw_finish;
}

const struct proto_ops proto_openai_completions = {
	.name = "openai-completions",
	.default_path = "/v1/completions",
	.ndjson = 0,
	.build_body = completions_body,
	.on_event = completions_event,
	.complete = complete,
};

const struct proto_ops proto_openai_chat = {
	.name = "openai-chat",
	.default_path = "/v1/chat/completions",
	.ndjson = 0,
	.build_body = chat_body,
	.on_event = chat_event,
	.complete = complete,
};
