/* llamacpp.c - llama.cpp llama-server native POST /completion.
 *
 * Owns the request body (n_predict + ignore_eos: exact length; cache_prompt)
 * and the stream rules (protocols.md §7): every chunk carries
 * tokens_predicted (cumulative -> exact deltas, however many tokens a chunk
 * holds) and tokens_evaluated (the whole prompt; timings.prompt_n counts
 * only the uncached part and is not used as prompt length); the final chunk
 * has stop:true and timings{prompt_ms, predicted_ms, predicted_n}; there is
 * no [DONE]; errors are {"error":{"code","message","type"}}. No I/O.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/adapter.h"
#include "proto/body.h"

static int llamacpp_body(const struct proto_params *p, struct buf *out)
{
	json_t *o = json_object();
	/* model: ignored by a single-model server; routes in router mode */
	proto__body_str(o, "model", p->model);
	if (proto__body_prompt(o, "prompt", "prompt", p)) {
		json_decref(o);
		return -EINVAL;
	}
	proto__body_int(o, "n_predict", p->max_tokens);
	proto__body_flag(o, "ignore_eos", p->ignore_eos);
	proto__body_flag(o, "stream", 1);
	proto__body_flag(o, "cache_prompt", 1);
	proto__body_real(o, "temperature", p->temperature);
	return proto__body_finish(o, p, out);
}

enum { L_ERROR, L_CONTENT, L_TOKENS, L_PREDICTED, L_EVALUATED, L_STOP,
       L_T_PREDICTED_N, L_T_PROMPT_MS, L_T_PREDICTED_MS, L__N };

static struct jscan_path paths[L__N] = {
	[L_ERROR] = {{"error"}, 1},
	[L_CONTENT] = {{"content"}, 1},
	[L_TOKENS] = {{"tokens"}, 1},
	[L_PREDICTED] = {{"tokens_predicted"}, 1},
	[L_EVALUATED] = {{"tokens_evaluated"}, 1},
	[L_STOP] = {{"stop"}, 1},
	[L_T_PREDICTED_N] = {{"timings", "predicted_n"}, 2},
	[L_T_PROMPT_MS] = {{"timings", "prompt_ms"}, 2},
	[L_T_PREDICTED_MS] = {{"timings", "predicted_ms"}, 2},
};
static struct proto__fields fields = {
	.paths = paths, .n = L__N, .error = L_ERROR,
	.object = -1,
};

/* A JSON number field in milliseconds as ns, -1 when absent. */
static int64_t ms_ns(const struct jscan_field *f)
{
	if (f->type != JSCAN_INT && f->type != JSCAN_REAL)
		return -1;
	char tmp[64];
	size_t n = f->len < sizeof(tmp) - 1 ? f->len : sizeof(tmp) - 1;
	memcpy(tmp, f->start, n);
	tmp[n] = '\0';
	return (int64_t)llround(strtod(tmp, NULL) * 1e6);
}

static void llamacpp_event(struct proto_stream *st, const char *data,
			   size_t len, struct proto_event *ev)
{
	struct jscan_field fb[L__N];
	const struct jscan_field *f;
	proto__event_init(ev);
	if (!(f = proto__fields_parse(&fields, st, data, len, fb, ev)))
		return;
	if (f[L_CONTENT].type != JSCAN_STRING && f[L_STOP].type == JSCAN_ABSENT) {
		proto__bad_shape(ev, "event without content or stop");
		return;
	}
	ev->text_bytes = (uint32_t)proto__text(st, &f[L_CONTENT], 0);
	ev->prompt_tokens = proto__count(&f[L_EVALUATED]);
	/* tokens_predicted, else (final chunk) timings.predicted_n */
	int32_t cum = proto__count(&f[L_PREDICTED]);
	if (f[L_PREDICTED].type != JSCAN_INT)
		cum = proto__count(&f[L_T_PREDICTED_N]);
	if (cum >= 0)
		ev->tokens = proto__count_delta(st, cum);
	else if (f[L_TOKENS].type == JSCAN_ARRAY && f[L_TOKENS].count)
		ev->tokens = (int32_t)f[L_TOKENS].count; /* return_tokens */
	if (f[L_STOP].type == JSCAN_TRUE) {
		proto__finished(st, ev);
		if (cum >= 0)
			ev->completion_tokens = cum;
		st->srv_prompt_ns = ms_ns(&f[L_T_PROMPT_MS]);
		st->srv_decode_ns = ms_ns(&f[L_T_PREDICTED_MS]);
	}
	proto__kind_by_tokens(ev);
}

const struct proto_ops proto_llamacpp = {
	.name = "llamacpp",
	.default_path = "/completion",
	.flavour = "llamacpp",
	.force_len = 1,
	.counts = "tokens_predicted (cumulative) on every chunk -> exact "
		  "deltas; tokens_evaluated = prompt",
	.build_body = llamacpp_body,
	.on_event = llamacpp_event,
	.complete = proto__complete_on_finish,
};
