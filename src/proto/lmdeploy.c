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
#include <math.h>
#include <stdlib.h>

#include "proto/proto.h"

static int lmdeploy_body(const struct proto_params *p, struct buf *out)
{
	int rc = 0;
	char *s = NULL;
	json_t *o = json_object();
	json_object_set_new(o, "prompt", json_string(p->prompt));
	json_object_set_new(o, "max_tokens", json_integer(p->max_tokens));
	if (p->ignore_eos)
		json_object_set_new(o, "ignore_eos", json_true());
	if (!isnan(p->temperature))
		json_object_set_new(o, "temperature",
				    json_real(p->temperature));
	json_object_set_new(o, "stream", json_true());
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

static void lmdeploy_event(struct proto_stream *st, const char *data,
			   size_t len, struct proto_event *ev)
{
	proto__meta_event(st, data, len, ev, 0);
}

static int lmdeploy_complete(const struct proto_stream *st)
{
	return st->saw_done || st->saw_finish;
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
	.complete = lmdeploy_complete,
};
