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
#include <stdio.h>
#include <string.h>

#include "proto/proto.h"

static int tgi_body(const struct proto_params *p, struct buf *out)
{
	int rc = 0;
	char *s = NULL;
	json_t *o = json_object();
	json_t *par = json_object();
	json_object_set_new(o, "inputs", json_string(p->prompt));
	json_object_set_new(par, "max_new_tokens", json_integer(p->max_tokens));
	json_object_set_new(par, "details", json_true());
	if (!isnan(p->temperature) && p->temperature > 0) {
		json_object_set_new(par, "do_sample", json_true());
		json_object_set_new(par, "temperature",
				    json_real(p->temperature));
	}
	json_object_set_new(o, "parameters", par);
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

static void tgi_event(struct proto_stream *st, const char *data, size_t len,
		      struct proto_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->tokens = -1;
	ev->prompt_tokens = ev->completion_tokens = -1;
	json_error_t jerr;
	json_t *root = json_loadb(data, len, 0, &jerr);
	if (!root || !json_is_object(root)) {
		ev->kind = PEV_BAD;
		snprintf(ev->error, sizeof(ev->error),
			 "unparsable event: %s", root ? "not an object"
							: jerr.text);
		goto out;
	}
	if (json_object_get(root, "error")) {
		proto__error_event(root, ev);
		goto out;
	}
	json_t *tok = json_object_get(root, "token");
	if (!json_is_object(tok)) {
		ev->kind = PEV_BAD;
		snprintf(ev->error, sizeof(ev->error), "event without token");
		goto out;
	}
	ev->kind = PEV_TOKEN;
	ev->tokens = 1;
	json_t *text = json_object_get(tok, "text");
	json_t *special = json_object_get(tok, "special");
	if (json_is_string(text) && !json_is_true(special)) {
		size_t n = json_string_length(text);
		ev->text_bytes = (uint32_t)n;
		if (st->text && n)
			buf_append(st->text, json_string_value(text), n);
	}
	json_t *gen = json_object_get(root, "generated_text");
	if (gen && !json_is_null(gen)) {
		ev->finished = 1;
		st->saw_finish = 1;
	}
	json_t *det = json_object_get(root, "details");
	if (json_is_object(det)) {
		json_t *g = json_object_get(det, "generated_tokens");
		json_t *in = json_object_get(det, "input_length");
		if (json_is_integer(g))
			ev->completion_tokens = (int32_t)json_integer_value(g);
		if (json_is_integer(in))
			ev->prompt_tokens = (int32_t)json_integer_value(in);
	}
out:
	json_decref(root);
}

static int tgi_complete(const struct proto_stream *st)
{
	return st->saw_finish;
}

const struct proto_ops proto_tgi = {
	.name = "tgi",
	.default_path = "/generate_stream",
	.ndjson = 0,
	.build_body = tgi_body,
	.on_event = tgi_event,
	.complete = tgi_complete,
};
