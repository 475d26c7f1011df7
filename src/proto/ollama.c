/* ollama.c - Ollama POST /api/generate (NDJSON).
 *
 * Owns the request body (raw prompt, options.num_predict) and the line
 * rules (protocols.md §8): lines {"response":"..","done":false} carry text
 * but no token count (lines are not tokens: empty pieces are dropped), the
 * final {"done":true,...} line carries prompt_eval_count, eval_count and
 * durations in nanoseconds; {"error":"..."} may come under 200. Ollama has
 * no ignore-EOS or min-tokens option: num_predict is an upper bound and a
 * short output is reported by the output-length check. No I/O.
 */
#include <errno.h>
#include <jansson.h>

#include "proto/adapter.h"
#include "proto/body.h"

static int ollama_body(const struct proto_params *p, struct buf *out)
{
	json_t *o = json_object();
	json_t *opt = json_object();
	proto__body_str(o, "model", p->model);
	if (proto__body_prompt(o, "prompt", NULL, p)) {
		json_decref(o);
		json_decref(opt);
		return -EINVAL;
	}
	proto__body_flag(o, "stream", 1);
	proto__body_flag(o, "raw", 1); /* no template */
	proto__body_int(opt, "num_predict", p->max_tokens);
	proto__body_real(opt, "temperature", p->temperature);
	json_object_set_new(o, "options", opt);
	return proto__body_finish(o, p, out);
}

enum { O_ERROR, O_RESPONSE, O_THINKING, O_DONE, O_PROMPT_N, O_EVAL_N,
       O_TOTAL, O_LOAD, O_PROMPT_D, O_EVAL_D, O__N };

static struct jscan_path paths[O__N] = {
	[O_ERROR] = {{"error"}, 1},
	[O_RESPONSE] = {{"response"}, 1},
	[O_THINKING] = {{"thinking"}, 1},
	[O_DONE] = {{"done"}, 1},
	[O_PROMPT_N] = {{"prompt_eval_count"}, 1},
	[O_EVAL_N] = {{"eval_count"}, 1},
	[O_TOTAL] = {{"total_duration"}, 1},
	[O_LOAD] = {{"load_duration"}, 1},
	[O_PROMPT_D] = {{"prompt_eval_duration"}, 1},
	[O_EVAL_D] = {{"eval_duration"}, 1},
};
static struct proto__fields fields = {
	.paths = paths, .n = O__N, .error = O_ERROR,
	.object = -1,
};

static int64_t ns_of(const struct jscan_field *f)
{
	return f->type == JSCAN_INT ? (int64_t)jscan_int(f) : -1;
}

static void ollama_event(struct proto_stream *st, const char *data,
			 size_t len, struct proto_event *ev)
{
	struct jscan_field fb[O__N];
	const struct jscan_field *f;
	proto__event_init(ev);
	if (!(f = proto__fields_parse(&fields, st, data, len, fb, ev)))
		return;
	if (f[O_DONE].type != JSCAN_TRUE && f[O_DONE].type != JSCAN_FALSE) {
		proto__bad_shape(ev, "line without done");
		return;
	}
	ev->text_bytes = (uint32_t)proto__text(st, &f[O_RESPONSE], 0);
	ev->text_bytes += (uint32_t)proto__text(st, &f[O_THINKING], 0);
	if (f[O_DONE].type == JSCAN_TRUE) {
		proto__finished(st, ev);
		/* omitempty: absent means 0 (older releases omit the prompt
		 * count on a cache hit, issues #2068/#3427) */
		ev->completion_tokens = proto__count(&f[O_EVAL_N]);
		ev->prompt_tokens = proto__count(&f[O_PROMPT_N]);
		st->srv_total_ns = ns_of(&f[O_TOTAL]);
		st->srv_load_ns = ns_of(&f[O_LOAD]);
		st->srv_prompt_ns = ns_of(&f[O_PROMPT_D]);
		st->srv_decode_ns = ns_of(&f[O_EVAL_D]);
	}
	ev->kind = ev->text_bytes ? PEV_TOKEN : PEV_USAGE;
}

const struct proto_ops proto_ollama = {
	.name = "ollama",
	.default_path = "/api/generate",
	.ndjson = 1,
	.flavour = "ollama",
	.force_len = 0, /* no ignore_eos / min tokens option */
	.counts = "final line eval_count / prompt_eval_count only; lines are "
		  "not tokens (per-chunk counts unknown)",
	.build_body = ollama_body,
	.on_event = ollama_event,
	.complete = proto__complete_on_finish,
};
