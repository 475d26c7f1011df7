/* lmdeploy.c - LMDeploy native POST /generate (api_server >= 0.10.2).
 *
 * Owns LMDeploy's request body (prompt, max_tokens, ignore_eos: exact
 * length) and stream (protocols.md §6): `text` and `output_ids` are deltas,
 * meta_info.completion_tokens is cumulative (exact per-chunk deltas),
 * `data: [DONE]` ends it. The meta_info event rules are shared with SGLang
 * (proto__meta_event in sglang.c). No I/O; JSON at the edge.
 */
#include <errno.h>
#include <jansson.h>

#include "proto/adapter.h"
#include "proto/body.h"

static int lmdeploy_body(const struct proto_params *p, struct buf *out)
{
	json_t *o = json_object();
	if (proto__body_prompt(o, "prompt", "input_ids", p)) {
		json_decref(o);
		return -EINVAL;
	}
	proto__body_int(o, "max_tokens", p->max_tokens);
	proto__body_flag(o, "ignore_eos", p->ignore_eos);
	proto__body_real(o, "temperature", p->temperature);
	proto__body_flag(o, "stream", 1);
	return proto__body_finish(o, p, out);
}

static void lmdeploy_event(struct proto_stream *st, const char *data,
			   size_t len, struct proto_event *ev)
{
	proto__meta_event(st, data, len, ev, 0);
}

const struct proto_ops proto_lmdeploy_generate = {
	.name = "lmdeploy-generate",
	.default_path = "/generate",
	.flavour = "lmdeploy",
	.force_len = 1,
	.counts = "meta_info.completion_tokens (cumulative) on every chunk "
		  "-> exact deltas; meta_info.prompt_tokens",
	.build_body = lmdeploy_body,
	.on_event = lmdeploy_event,
	.complete = proto__complete_on_done_or_finish,
};
