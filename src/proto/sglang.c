/* sglang.c - SGLang native POST /generate (and the meta_info event rules
 * LMDeploy's /generate shares).
 *
 * Owns SGLang's request body (text + sampling_params{max_new_tokens,
 * ignore_eos, min_new_tokens}) and its stream (protocols.md §4): by default
 * `text`/`output_ids` are the whole output so far and
 * meta_info.completion_tokens is cumulative, so every chunk is re-diffed
 * against what was seen (exact token deltas even when the server coalesces
 * several tokens into one chunk); `data: [DONE]` ends it; errors come as
 * {"error":{...}} under 200. Knows nothing of I/O; events read with jscan.
 */
#include <errno.h>
#include <jansson.h>

#include "proto/adapter.h"
#include "proto/body.h"

static int sglang_body(const struct proto_params *p, struct buf *out)
{
	json_t *o = json_object();
	json_t *sp = json_object();
	if (proto__body_prompt(o, "text", "input_ids", p)) {
		json_decref(o);
		json_decref(sp);
		return -EINVAL;
	}
	proto__body_int(sp, "max_new_tokens", p->max_tokens);
	proto__body_flag(sp, "ignore_eos", p->ignore_eos);
	if (p->min_tokens)
		proto__body_int(sp, "min_new_tokens", p->max_tokens);
	proto__body_real(sp, "temperature", p->temperature);
	json_object_set_new(o, "sampling_params", sp);
	proto__body_flag(o, "stream", 1);
	return proto__body_finish(o, p, out);
}

enum { M_ERROR, M_OBJECT, M_TEXT, M_IDS, M_META, M_FINISH, M_PROMPT,
       M_COMPLETION, M__N };

static struct jscan_path paths[M__N] = {
	[M_ERROR] = {{"error"}, 1},
	[M_OBJECT] = {{"object"}, 1},
	[M_TEXT] = {{"text"}, 1},
	[M_IDS] = {{"output_ids"}, 1},
	[M_META] = {{"meta_info"}, 1},
	[M_FINISH] = {{"meta_info", "finish_reason"}, 2},
	[M_PROMPT] = {{"meta_info", "prompt_tokens"}, 2},
	[M_COMPLETION] = {{"meta_info", "completion_tokens"}, 2},
};
static struct proto__fields fields = {
	.paths = paths, .n = M__N, .error = M_ERROR,
	.object = M_OBJECT,
};

void proto__meta_event(struct proto_stream *st, const char *data, size_t len,
		       struct proto_event *ev, int text_cumulative)
{
	struct jscan_field fb[M__N];
	const struct jscan_field *f;
	proto__event_init(ev);
	if (proto__done(st, data, len, ev) ||
	    !(f = proto__fields_parse(&fields, st, data, len, fb, ev)))
		return;
	if (f[M_META].type != JSCAN_OBJECT) {
		proto__bad_shape(ev, "event without meta_info");
		return;
	}
	ev->prompt_tokens = proto__count(&f[M_PROMPT]);
	int32_t cum = proto__count(&f[M_COMPLETION]);
	/* Cumulative unless the server runs with incremental output: then
	 * output_ids holds fewer ids than completion_tokens counts. */
	int cumulative = text_cumulative;
	if (cumulative && f[M_IDS].type == JSCAN_ARRAY && cum >= 0 &&
	    f[M_IDS].count != (size_t)cum)
		cumulative = 0;
	if (f[M_TEXT].type == JSCAN_STRING) {
		size_t from = cumulative ? st->text_seen : 0;
		size_t n = jscan_str_len(&f[M_TEXT]);
		if (n >= from) {
			proto__text(st, &f[M_TEXT], from);
			ev->text_bytes = (uint32_t)(n - from);
		}
		if (cumulative)
			st->text_seen = n;
	}
	if (cum >= 0) {
		ev->tokens = proto__count_delta(st, cum);
		ev->completion_tokens = cum;
	} else if (!cumulative && f[M_IDS].type == JSCAN_ARRAY) {
		ev->tokens = (int32_t)f[M_IDS].count;
	}
	if (proto__present(&f[M_FINISH]))
		proto__finished(st, ev);
	/* The final chunk repeating the count is no token event. */
	proto__kind_by_tokens(ev);
}

static void sglang_event(struct proto_stream *st, const char *data,
			 size_t len, struct proto_event *ev)
{
	proto__meta_event(st, data, len, ev, 1);
}

const struct proto_ops proto_sglang_generate = {
	.name = "sglang-generate",
	.default_path = "/generate",
	.flavour = "sglang",
	.force_len = 1,
	.counts = "meta_info.completion_tokens (cumulative) on every chunk "
		  "-> exact deltas; meta_info.prompt_tokens",
	.build_body = sglang_body,
	.on_event = sglang_event,
	.complete = proto__complete_on_done_or_finish,
};
