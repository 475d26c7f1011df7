/* triton.c - Triton Inference Server + TensorRT-LLM ensemble,
 * POST /v2/models/<m>/generate_stream (generate extension).
 *
 * Owns the mapping of our request onto the model's input names (read once
 * from GET /v2/models/<m>/config via proto_triton_configure: they vary
 * with the backend version) and the event rules (protocols.md §5b): each
 * `data:` event carries the new text (text_output) and, with
 * return_num_output_tokens, the number of tokens it added
 * (num_output_tokens, a per-response delta); no [DONE], a clean close ends
 * the stream; {"error":"..."} under 200 after the first event. Length is
 * forced with min_tokens = max_tokens. The name table is process-wide:
 * configure before the run, read-only while it runs.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "proto/adapter.h"
#include "proto/body.h"

#define TRITON_NAME_MAX 64 /* bytes of one tensor name */

struct names {
	char text_in[TRITON_NAME_MAX], max_tok[TRITON_NAME_MAX];
	char min_tok[TRITON_NAME_MAX], stream[TRITON_NAME_MAX];
	char ret_out[TRITON_NAME_MAX], ret_in[TRITON_NAME_MAX];
	char temperature[TRITON_NAME_MAX];
	char text_out[TRITON_NAME_MAX], n_out[TRITON_NAME_MAX];
	char n_in[TRITON_NAME_MAX];
};

static const struct names defaults = {
	"text_input", "max_tokens", "min_tokens", "stream",
	"return_num_output_tokens", "return_num_input_tokens", "temperature",
	"text_output", "num_output_tokens", "num_input_tokens",
};
static struct names nm = {
	"text_input", "max_tokens", "min_tokens", "stream",
	"return_num_output_tokens", "return_num_input_tokens", "temperature",
	"text_output", "num_output_tokens", "num_input_tokens",
};

/* The output names point into nm: recompiled whenever nm changes. */
enum { X_ERROR, X_TEXT, X_NOUT, X_NIN, X__N };
static struct jscan_path paths[X__N] = {
	[X_ERROR] = {{"error"}, 1},
	[X_TEXT] = {{nm.text_out}, 1},
	[X_NOUT] = {{nm.n_out}, 1},
	[X_NIN] = {{nm.n_in}, 1},
};
static struct proto__fields fields = {
	.paths = paths, .n = X__N, .error = X_ERROR,
	.object = -1,
};

/* The first input (or output) of arr whose name is one of cands. */
static int pick(json_t *arr, const char *const *cands, char *out)
{
	for (; *cands; cands++) {
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v)
		{
			const char *n = json_string_value(
				json_object_get(v, "name"));
			if (n && !strcmp(n, *cands) &&
			    strlen(n) < TRITON_NAME_MAX) {
				memcpy(out, n, strlen(n) + 1);
				return 1;
			}
		}
	}
	out[0] = '\0';
	return 0;
}

int proto_triton_configure(const char *json, size_t len, int *can_force,
			   int *exact_counts, char *why, size_t why_len)
{
	static const char *const text_in[] = {"text_input", "prompt",
					      "inputs", "input", NULL};
	static const char *const max_tok[] = {"max_tokens", "request_output_len",
					      "max_new_tokens", NULL};
	static const char *const min_tok[] = {"min_tokens", "min_length",
					      NULL};
	static const char *const stream[] = {"stream", "streaming", NULL};
	static const char *const ret_out[] = {"return_num_output_tokens",
					      NULL};
	static const char *const ret_in[] = {"return_num_input_tokens", NULL};
	static const char *const temp[] = {"temperature", NULL};
	static const char *const text_out[] = {"text_output", "output",
					       "outputs", NULL};
	static const char *const n_out[] = {"num_output_tokens", NULL};
	static const char *const n_in[] = {"num_input_tokens", NULL};
	json_error_t jerr;
	struct names n;
	int rc = -EINVAL;
	json_t *root = json_loadb(json, len, 0, &jerr);
	json_t *in = json_object_get(root, "input");
	json_t *outs = json_object_get(root, "output");
	if (!json_is_array(in)) {
		snprintf(why, why_len, "model config has no input list");
		goto out;
	}
	if (!pick(in, text_in, n.text_in) || !pick(in, max_tok, n.max_tok)) {
		snprintf(why, why_len,
			 "model config has no text_input/max_tokens input");
		goto out;
	}
	pick(in, min_tok, n.min_tok);
	pick(in, stream, n.stream);
	pick(in, ret_out, n.ret_out);
	pick(in, ret_in, n.ret_in);
	pick(in, temp, n.temperature);
	if (!json_is_array(outs) || !pick(outs, text_out, n.text_out))
		memcpy(n.text_out, "text_output", sizeof("text_output"));
	if (!json_is_array(outs) || !pick(outs, n_out, n.n_out))
		n.n_out[0] = '\0';
	if (!json_is_array(outs) || !pick(outs, n_in, n.n_in))
		n.n_in[0] = '\0';
	if (!n.n_out[0])
		n.ret_out[0] = '\0';
	nm = n;
	/* Unused path names must not be empty keys that match "". */
	if (!nm.n_out[0])
		memcpy(nm.n_out, "\x01", 2);
	if (!nm.n_in[0])
		memcpy(nm.n_in, "\x01", 2);
	proto__fields_compile(&fields);
	*can_force = nm.min_tok[0] != '\0';
	*exact_counts = nm.ret_out[0] != '\0';
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void proto_triton_reset(void)
{
	nm = defaults;
	proto__fields_compile(&fields);
}

static int triton_body(const struct proto_params *p, struct buf *out)
{
	json_t *o = json_object();
	if (proto__body_prompt(o, nm.text_in, NULL, p)) {
		json_decref(o);
		return -EINVAL;
	}
	proto__body_int(o, nm.max_tok, p->max_tokens);
	if (p->ignore_eos && nm.min_tok[0])
		proto__body_int(o, nm.min_tok, p->max_tokens);
	proto__body_flag(o, nm.stream, nm.stream[0]);
	proto__body_flag(o, nm.ret_out, nm.ret_out[0]);
	proto__body_flag(o, nm.ret_in, nm.ret_in[0] && nm.n_in[0] != '\x01');
	if (nm.temperature[0])
		proto__body_real(o, nm.temperature, p->temperature);
	return proto__body_finish(o, p, out);
}

static void triton_event(struct proto_stream *st, const char *data,
			 size_t len, struct proto_event *ev)
{
	struct jscan_field fb[X__N];
	const struct jscan_field *f;
	proto__event_init(ev);
	if (!(f = proto__fields_parse(&fields, st, data, len, fb, ev)))
		return;
	if (f[X_TEXT].type != JSCAN_STRING) {
		proto__bad_shape(ev, "event without %s", nm.text_out);
		return;
	}
	ev->text_bytes = (uint32_t)proto__text(st, &f[X_TEXT], 0);
	if (f[X_NOUT].type == JSCAN_INT) {
		ev->tokens = (int32_t)jscan_int(&f[X_NOUT]);
		if (ev->tokens < 0)
			ev->tokens = 0;
		st->last_completion_tokens += ev->tokens;
	}
	ev->prompt_tokens = proto__count(&f[X_NIN]);
	proto__kind_by_tokens(ev);
}

/* No end marker: the chunked body's clean end is the end (a dropped
 * connection is reported by the HTTP layer as a reset). */
static int triton_complete(const struct proto_stream *st)
{
	(void)st;
	return 1;
}

const struct proto_ops proto_triton = {
	.name = "triton",
	.default_path = "/v2/models/{model}/generate_stream",
	.flavour = "triton",
	.force_len = 1,
	.counts = "num_output_tokens per event (return_num_output_tokens; "
		  "per-response delta, summed); num_input_tokens",
	.build_body = triton_body,
	.on_event = triton_event,
	.complete = triton_complete,
};
