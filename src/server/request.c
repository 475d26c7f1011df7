/* request.c - parse generation request bodies into struct srv_request. */
#include "server/request.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

int64_t request_count_words(const char *s, size_t len)
{
	int64_t n = 0;
	int in = 0;
	for (size_t i = 0; i < len; i++) {
		int w = !is_ws(s[i]);
		if (w && !in)
			n++;
		in = w;
	}
	return n;
}

static int fail(struct request_error *e, int status, const char *type,
		const char *param, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(struct request_error *e, int status, const char *type,
		const char *param, const char *fmt, ...)
{
	va_list ap;
	e->status = status;
	snprintf(e->type, sizeof(e->type), "%s", type);
	snprintf(e->param, sizeof(e->param), "%s", param ? param : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Integer field: absent/null -> *out unchanged, 1; int -> 0; else -1. */
static int get_int(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *key, int *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

static int count_prompt(json_t *p, int64_t *out)
{
	if (json_is_string(p)) {
		*out = request_count_words(json_string_value(p),
					   json_string_length(p));
		return 0;
	}
	if (!json_is_array(p) || json_array_size(p) == 0)
		return -1;
	json_t *first = json_array_get(p, 0);
	if (json_is_integer(first)) {
		size_t i;
		json_t *v;
		json_array_foreach(p, i, v) if (!json_is_integer(v)) return -1;
		*out = (int64_t)json_array_size(p);
		return 0;
	}
	/* A batch of one prompt: ["text"] or [[1,2,3]]. */
	if (json_array_size(p) != 1)
		return -2;
	return count_prompt(first, out);
}

static int count_messages(json_t *msgs, int64_t *out)
{
	size_t i;
	json_t *m;
	int64_t n = 0;
	if (!json_is_array(msgs) || json_array_size(msgs) == 0)
		return -1;
	json_array_foreach(msgs, i, m)
	{
		if (!json_is_object(m))
			return -1;
		json_t *c = json_object_get(m, "content");
		if (json_is_string(c)) {
			n += request_count_words(json_string_value(c),
						 json_string_length(c));
		} else if (json_is_array(c)) {
			size_t j;
			json_t *part;
			json_array_foreach(c, j, part)
			{
				json_t *t = json_object_get(part, "text");
				if (json_is_string(t))
					n += request_count_words(
						json_string_value(t),
						json_string_length(t));
			}
		} else if (c && !json_is_null(c)) {
			return -1;
		}
	}
	*out = n;
	return 0;
}

static int parse_openai(json_t *root, enum srv_api api,
			const struct request_limits *lim,
			struct srv_request *r, struct request_error *e)
{
	int chat = api == SRV_API_CHAT;
	json_t *model = json_object_get(root, "model");
	if (model && !json_is_null(model)) {
		if (!json_is_string(model))
			return fail(e, 400, "BadRequestError", "model",
				    "model must be a string");
		if (strcmp(json_string_value(model), lim->model))
			return fail(e, 404, "NotFoundError", "model",
				    "The model `%s` does not exist.",
				    json_string_value(model));
	}
	if (chat) {
		int rc = count_messages(json_object_get(root, "messages"),
					&r->prompt_tokens);
		if (rc)
			return fail(e, 400, "BadRequestError", "messages",
				    "messages must be a non-empty array of "
				    "{role, content} objects");
		r->prompt_tokens += lim->chat_overhead_tok;
	} else {
		json_t *p = json_object_get(root, "prompt");
		int rc = p ? count_prompt(p, &r->prompt_tokens) : -1;
		if (rc == -2)
			return fail(e, 400, "BadRequestError", "prompt",
				    "the mock server accepts one prompt per "
				    "request");
		if (rc)
			return fail(e, 400, "BadRequestError", "prompt",
				    "prompt must be a string or an array of "
				    "token ids");
	}
	int64_t n = 1;
	if (get_int(root, "n", &n) < 0 || n != 1)
		return fail(e, 400, "BadRequestError", "n",
			    "the mock server supports n=1 only");

	int64_t max = -1;
	int rc = -1;
	if (chat)
		rc = get_int(root, "max_completion_tokens", &max);
	if (rc == 1 || !chat)
		rc = get_int(root, "max_tokens", &max);
	if (rc < 0)
		return fail(e, 400, "BadRequestError", "max_tokens",
			    "max_tokens must be an integer");
	if (max < 0 && rc == 1)
		max = chat ? lim->max_model_len - r->prompt_tokens : 16;
	else if (max < 1)
		return fail(e, 400, "BadRequestError", "max_tokens",
			    "max_tokens must be at least 1, got %lld.",
			    (long long)max);
	if (r->prompt_tokens + max > lim->max_model_len || max < 1)
		return fail(e, 400, "BadRequestError", NULL,
			    "This model's maximum context length is %lld "
			    "tokens. However, you requested %lld tokens (%lld "
			    "in the messages, %lld in the completion). Please "
			    "reduce the length of the messages or completion.",
			    (long long)lim->max_model_len,
			    (long long)(r->prompt_tokens + (max > 0 ? max : 0)),
			    (long long)r->prompt_tokens,
			    (long long)(max > 0 ? max : 0));
	r->max_tokens = max;

	if (get_bool(root, "stream", &r->stream) < 0)
		return fail(e, 400, "BadRequestError", "stream",
			    "stream must be a boolean");
	if (get_bool(root, "ignore_eos", &r->ignore_eos) < 0)
		return fail(e, 400, "BadRequestError", "ignore_eos",
			    "ignore_eos must be a boolean");
	json_t *so = json_object_get(root, "stream_options");
	if (so && !json_is_null(so)) {
		if (!json_is_object(so))
			return fail(e, 400, "BadRequestError", "stream_options",
				    "stream_options must be an object");
		if (!r->stream)
			return fail(e, 400, "BadRequestError", "stream_options",
				    "Stream options can only be defined when "
				    "`stream=True`.");
		/* vLLM: include_usage defaults to true once present. */
		r->include_usage = 1;
		if (get_bool(so, "include_usage", &r->include_usage) < 0 ||
		    get_bool(so, "continuous_usage_stats",
			     &r->continuous_usage) < 0)
			return fail(e, 400, "BadRequestError", "stream_options",
				    "stream_options fields must be booleans");
		r->continuous_usage = r->continuous_usage && r->include_usage;
	}
	return 0;
}

static int parse_tgi(json_t *root, enum srv_api api,
		     const struct request_limits *lim, struct srv_request *r,
		     struct request_error *e)
{
	json_t *in = json_object_get(root, "inputs");
	if (!json_is_string(in))
		return fail(e, 422, "validation", NULL,
			    "Failed to deserialize the JSON body into the "
			    "target type: missing field `inputs`");
	r->prompt_tokens = request_count_words(json_string_value(in),
					       json_string_length(in));
	r->stream = api == SRV_API_TGI_STREAM;
	json_t *par = json_object_get(root, "parameters");
	int64_t max = -1;
	if (par && json_is_object(par)) {
		if (get_int(par, "max_new_tokens", &max) < 0)
			return fail(e, 422, "validation", NULL,
				    "max_new_tokens must be an integer");
		if (get_bool(par, "details", &r->details) < 0)
			return fail(e, 422, "validation", NULL,
				    "details must be a boolean");
		int dec = 0;
		get_bool(par, "decoder_input_details", &dec);
		if (dec && r->stream)
			return fail(e, 422, "validation", NULL,
				    "`decoder_input_details` == true is not "
				    "supported when streaming tokens");
	}
	if (r->prompt_tokens >= lim->max_model_len)
		return fail(e, 422, "validation", NULL,
			    "Input validation error: `inputs` tokens + "
			    "`max_new_tokens` must be <= %lld. Given: %lld "
			    "`inputs` tokens and %lld `max_new_tokens`",
			    (long long)lim->max_model_len,
			    (long long)r->prompt_tokens,
			    (long long)(max > 0 ? max : 0));
	if (max < 0)
		max = lim->max_model_len - r->prompt_tokens; /* TGI 3.x */
	if (max < 1)
		return fail(e, 422, "validation", NULL,
			    "Input validation error: `max_new_tokens` must be "
			    "strictly positive");
	if (r->prompt_tokens + max > lim->max_model_len)
		return fail(e, 422, "validation", NULL,
			    "Input validation error: `inputs` tokens + "
			    "`max_new_tokens` must be <= %lld. Given: %lld "
			    "`inputs` tokens and %lld `max_new_tokens`",
			    (long long)lim->max_model_len,
			    (long long)r->prompt_tokens, (long long)max);
	r->max_tokens = max;
	return 0;
}

int request_parse(enum srv_api api, const char *body, size_t len,
		  const struct request_limits *lim, struct srv_request *out,
		  struct request_error *err)
{
	json_error_t je;
	int tgi = api == SRV_API_TGI_STREAM || api == SRV_API_TGI_GENERATE;
	int rc;
	memset(out, 0, sizeof(*out));
	out->api = api;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!root || !json_is_object(root)) {
		rc = tgi ? fail(err, 422, "validation", NULL,
				"Failed to parse the request body as JSON: %s",
				root ? "not an object" : je.text)
			 : fail(err, 400, "BadRequestError", NULL,
				"Invalid JSON body: %s",
				root ? "not an object" : je.text);
		goto out;
	}
	rc = tgi ? parse_tgi(root, api, lim, out, err)
		 : parse_openai(root, api, lim, out, err);
out:
	json_decref(root);
	return rc;
}
