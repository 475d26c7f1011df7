/* tgi.c - HuggingFace TGI /generate_stream.
 *
 * Owns TGI's request body and event rules (protocols.md §3): one SSE event
 * per token (exact count 1, the EOS token included), `data:` without a
 * space, no [DONE]; the last event carries generated_text and, with
 * parameters.details, details{generated_tokens,input_length}; errors (the
 * overload case too) arrive as {"error","error_type"} under HTTP 200. TGI
 * cannot be told to ignore EOS, so max_new_tokens is only an upper bound.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>

#include "proto/adapter.h"
#include "proto/body.h"

static int tgi_body(const struct proto_params *p, struct buf *out)
{
	if (p->prompt_ids)
		return -EINVAL; /* TGI takes text only */
	json_t *o = json_object();
	json_t *par = json_object();
	proto__body_str(o, "inputs", p->prompt);
	proto__body_int(par, "max_new_tokens", p->max_tokens);
	proto__body_flag(par, "details", 1);
	if (!isnan(p->temperature) && p->temperature > 0) {
		proto__body_flag(par, "do_sample", 1);
		proto__body_real(par, "temperature", p->temperature);
	}
	json_object_set_new(o, "parameters", par);
	proto__body_flag(o, "stream", 1);
	return proto__body_finish(o, p, out);
}

enum { T_ERROR, T_TOKEN, T_TEXT, T_SPECIAL, T_GENERATED, T_DETAILS,
       T_GEN_TOKENS, T_INPUT_LEN, T__N };

static struct jscan_path paths[T__N] = {
	[T_ERROR] = {.path = {"error"}, .depth = 1},
	[T_TOKEN] = {.path = {"token"}, .depth = 1},
	[T_TEXT] = {.path = {"token", "text"}, .depth = 2},
	[T_SPECIAL] = {.path = {"token", "special"}, .depth = 2},
	[T_GENERATED] = {.path = {"generated_text"}, .depth = 1},
	[T_DETAILS] = {.path = {"details"}, .depth = 1},
	[T_GEN_TOKENS] = {.path = {"details", "generated_tokens"}, .depth = 2},
	[T_INPUT_LEN] = {.path = {"details", "input_length"}, .depth = 2},
};
static struct proto__fields fields = {
	.paths = paths, .n = T__N, .error = T_ERROR,
	.object = -1,
};

static void tgi_event(struct proto_stream *st, const char *data, size_t len,
		      struct proto_event *ev)
{
	struct jscan_field fb[T__N];
	const struct jscan_field *f;
	proto__event_init(ev);
	if (!(f = proto__fields_parse(&fields, st, data, len, fb, ev)))
		return;
	if (f[T_TOKEN].type != JSCAN_OBJECT) {
		proto__bad_shape(ev, "event without token");
		return;
	}
	ev->kind = PEV_TOKEN;
	ev->tokens = 1;
	if (f[T_SPECIAL].type != JSCAN_TRUE) /* EOS: counted, no text */
		ev->text_bytes = (uint32_t)proto__text(st, &f[T_TEXT], 0);
	if (proto__present(&f[T_GENERATED]))
		proto__finished(st, ev);
	if (f[T_DETAILS].type == JSCAN_OBJECT) {
		ev->completion_tokens = proto__count(&f[T_GEN_TOKENS]);
		ev->prompt_tokens = proto__count(&f[T_INPUT_LEN]);
	}
}

const struct proto_ops proto_tgi = {
	.name = "tgi",
	.default_path = "/generate_stream",
	.ndjson = 0,
	.flavour = "tgi",
	.force_len = 0, /* no ignore_eos over HTTP */
	.cont_usage = 0,
	.requeue_tok = 1024, /* TGI 3.x DEFAULT_GENERATION_LENGTH */
	.counts = "one SSE event = one token (EOS included); final "
		  "details.generated_tokens",
	.build_body = tgi_body,
	.on_event = tgi_event,
	.complete = proto__complete_on_finish,
};
