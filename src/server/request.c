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

static const char *const flavour_names[SRV_FLAVOUR__N] = {
	"all", "vllm", "sglang", "lmdeploy", "trtllm", "tgi", "llamacpp",
	"ollama", "triton", "none",
};

const char *request_flavour_name(enum srv_flavour f)
{
	return f < SRV_FLAVOUR__N ? flavour_names[f] : "?";
}

int request_flavour_parse(const char *s, enum srv_flavour *out)
{
	for (int i = 0; i < SRV_FLAVOUR__N; i++)
		if (!strcmp(s, flavour_names[i])) {
			*out = (enum srv_flavour)i;
			return 0;
		}
	return -EINVAL;
}

enum srv_api request_generate_shape(const char *body, size_t len)
{
	json_error_t je;
	enum srv_api a = SRV_API_TGI_GENERATE;
	json_t *root = json_loadb(body, len, 0, &je);
	if (json_object_get(root, "text") || json_object_get(root, "input_ids") ||
	    json_object_get(root, "sampling_params"))
		a = SRV_API_SGLANG;
	else if (json_object_get(root, "prompt"))
		a = SRV_API_LMDEPLOY;
	json_decref(root);
	return a;
}

/* trtllm-serve: pydantic extra="forbid" on the request models
 * (tensorrt_llm/serve/openai_protocol.py). The keys it declares that a
 * benchmark client could send; anything else is a 400. */
static const char *const trtllm_common[] = {
	"model", "frequency_penalty", "logit_bias", "logprobs", "max_tokens",
	"n", "presence_penalty", "seed", "stop", "stream", "stream_options",
	"temperature", "top_p", "user", "best_of", "use_beam_search", "top_k",
	"top_p_min", "min_p", "repetition_penalty", "length_penalty",
	"early_stopping", "stop_token_ids", "include_stop_str_in_output",
	"ignore_eos", "min_tokens", "skip_special_tokens",
	"spaces_between_special_tokens", "truncate_prompt_tokens",
	"add_special_tokens", "response_format", "disaggregated_params",
	"priority", "thinking_token_budget", "prompt_ignore_length", NULL,
};
static const char *const trtllm_cmpl[] = {
	"prompt", "echo", "suffix", "return_context_logits", "detokenize",
	NULL,
};
static const char *const trtllm_chat[] = {
	"messages", "max_completion_tokens", "top_logprobs", "tools",
	"tool_choice", "parallel_tool_calls", "reasoning_effort", "echo",
	"add_generation_prompt", "documents", "chat_template",
	"chat_template_kwargs", "prompt_token_ids", "cache_salt", NULL,
};

static int in_list(const char *k, const char *const *l)
{
	for (; *l; l++)
		if (!strcmp(k, *l))
			return 1;
	return 0;
}

static int trtllm_extra(json_t *root, int chat, struct request_error *e)
{
	const char *k;
	json_t *v;
	json_object_foreach(root, k, v)
	{
		if (in_list(k, trtllm_common) ||
		    in_list(k, chat ? trtllm_chat : trtllm_cmpl))
			continue;
		return fail(e, 400, "BadRequestError", NULL,
			    "1 validation error for %s\n%s\n  Extra inputs "
			    "are not permitted [type=extra_forbidden]",
			    chat ? "ChatCompletionRequest" : "CompletionRequest",
			    k);
	}
	json_t *so = json_object_get(root, "stream_options");
	json_object_foreach(so, k, v)
	{
		if (!strcmp(k, "include_usage") ||
		    !strcmp(k, "continuous_usage_stats"))
			continue;
		return fail(e, 400, "BadRequestError", NULL,
			    "1 validation error for StreamOptions\n%s\n  Extra "
			    "inputs are not permitted [type=extra_forbidden]",
			    k);
	}
	return 0;
}

static int parse_openai(json_t *root, enum srv_api api,
			const struct request_limits *lim,
			struct srv_request *r, struct request_error *e)
{
	int chat = api == SRV_API_CHAT;
	if (lim->flavour == SRV_FLAVOUR_TRTLLM && trtllm_extra(root, chat, e))
		return -EINVAL;
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
		/* vLLM, trtllm: include_usage defaults to true once present;
		 * SGLang, LMDeploy: false. */
		enum srv_flavour f = lim->flavour;
		r->include_usage = f != SRV_FLAVOUR_SGLANG &&
				   f != SRV_FLAVOUR_LMDEPLOY;
		if (get_bool(so, "include_usage", &r->include_usage) < 0 ||
		    get_bool(so, "continuous_usage_stats",
			     &r->continuous_usage) < 0)
			return fail(e, 400, "BadRequestError", "stream_options",
				    "stream_options fields must be booleans");
		if (f == SRV_FLAVOUR_LMDEPLOY)
			r->continuous_usage = 0; /* not implemented there */
		else if (f != SRV_FLAVOUR_SGLANG) /* SGLang: independent */
			r->continuous_usage =
				r->continuous_usage && r->include_usage;
	}
	return 0;
}

/* Prompt + output over the context: the same check for every native API;
 * msg_fmt gets (prompt, max, max_model_len). */
static int ctx_check(const struct srv_request *r,
		     const struct request_limits *lim, struct request_error *e,
		     int status, const char *type, const char *what)
{
	if (r->prompt_tokens + r->max_tokens <= lim->max_model_len)
		return 0;
	return fail(e, status, type, NULL,
		    "%s: %lld prompt tokens + %lld to generate exceed the "
		    "context length %lld",
		    what, (long long)r->prompt_tokens, (long long)r->max_tokens,
		    (long long)lim->max_model_len);
}

/* SGLang native: text | input_ids, sampling_params{max_new_tokens (128),
 * ignore_eos, min_new_tokens}, stream. Errors {"error":{"message"}}. */
static int parse_sglang(json_t *root, const struct request_limits *lim,
			struct srv_request *r, struct request_error *e)
{
	json_t *t = json_object_get(root, "text");
	json_t *ids = json_object_get(root, "input_ids");
	if (!t && !ids)
		return fail(e, 400, "BadRequestError", NULL,
			    "Either text or input_ids should be provided.");
	if (count_prompt(t ? t : ids, &r->prompt_tokens))
		return fail(e, 400, "BadRequestError", NULL,
			    "text must be a string or input_ids a list of "
			    "integers");
	json_t *sp = json_object_get(root, "sampling_params");
	int64_t max = 128;
	if (sp && json_is_object(sp)) {
		if (get_int(sp, "max_new_tokens", &max) < 0 || max < 0)
			return fail(e, 400, "BadRequestError", NULL,
				    "max_new_tokens must be a non-negative "
				    "integer");
		if (get_bool(sp, "ignore_eos", &r->ignore_eos) < 0)
			return fail(e, 400, "BadRequestError", NULL,
				    "ignore_eos must be a boolean");
	}
	r->max_tokens = max > 0 ? max : 1;
	if (get_bool(root, "stream", &r->stream) < 0)
		return fail(e, 400, "BadRequestError", NULL,
			    "stream must be a boolean");
	return ctx_check(r, lim, e, 400, "BadRequestError",
			 "The input is longer than the model's context length");
}

/* LMDeploy /generate: prompt | input_ids, max_tokens (128), ignore_eos,
 * stream. Errors flat {"object":"error",...}. */
static int parse_lmdeploy(json_t *root, const struct request_limits *lim,
			  struct srv_request *r, struct request_error *e)
{
	json_t *p = json_object_get(root, "prompt");
	json_t *ids = json_object_get(root, "input_ids");
	if (!p == !ids)
		return fail(e, 400, "invalid_request_error", NULL,
			    "You must specify exactly one of prompt or "
			    "input_ids");
	if (count_prompt(p ? p : ids, &r->prompt_tokens))
		return fail(e, 400, "invalid_request_error", NULL,
			    "prompt must be a string or input_ids a list of "
			    "integers");
	int64_t max = 128;
	if (get_int(root, "max_tokens", &max) < 0 || max < 1)
		return fail(e, 400, "invalid_request_error", "max_tokens",
			    "The max_tokens `%lld` must be a positive integer.",
			    (long long)max);
	r->max_tokens = max;
	if (get_bool(root, "ignore_eos", &r->ignore_eos) < 0 ||
	    get_bool(root, "stream", &r->stream) < 0)
		return fail(e, 400, "invalid_request_error", NULL,
			    "ignore_eos and stream must be booleans");
	return ctx_check(r, lim, e, 400, "invalid_request_error",
			 "Prompt exceeds the session length");
}

/* llama.cpp /completion: prompt (string or ids), n_predict (-1 = to the
 * context end), ignore_eos, stream. Errors {"error":{code,message,type}}. */
static int parse_llamacpp(json_t *root, const struct request_limits *lim,
			  struct srv_request *r, struct request_error *e)
{
	json_t *p = json_object_get(root, "prompt");
	if (!p || count_prompt(p, &r->prompt_tokens))
		return fail(e, 400, "invalid_request_error", NULL,
			    "\"prompt\" must be provided");
	int64_t max = -1;
	if (get_int(root, "n_predict", &max) < 0)
		return fail(e, 400, "invalid_request_error", NULL,
			    "n_predict must be an integer");
	if (max < 0)
		max = lim->max_model_len - r->prompt_tokens;
	r->max_tokens = max > 0 ? max : 1;
	r->stream = 0;
	if (get_bool(root, "ignore_eos", &r->ignore_eos) < 0 ||
	    get_bool(root, "stream", &r->stream) < 0)
		return fail(e, 400, "invalid_request_error", NULL,
			    "ignore_eos and stream must be booleans");
	return ctx_check(r, lim, e, 400, "exceed_context_size_error",
			 "the request exceeds the available context size");
}

/* Ollama /api/generate: model (required), prompt, stream (default true),
 * options.num_predict (-1 = to the context end). A prompt over the
 * context is truncated silently, as Ollama does (keeps the end). Errors
 * {"error":"..."}. */
static int parse_ollama(json_t *root, const struct request_limits *lim,
			struct srv_request *r, struct request_error *e)
{
	json_t *m = json_object_get(root, "model");
	if (!json_is_string(m) || !json_string_length(m))
		return fail(e, 400, "error", NULL, "model is required");
	if (strcmp(json_string_value(m), lim->model))
		return fail(e, 404, "error", NULL,
			    "model \"%s\" not found, try pulling it first",
			    json_string_value(m));
	json_t *p = json_object_get(root, "prompt");
	if (p && !json_is_string(p))
		return fail(e, 400, "error", NULL,
			    "json: cannot unmarshal prompt into Go struct "
			    "field GenerateRequest.prompt of type string");
	r->prompt_tokens = p ? request_count_words(json_string_value(p),
						   json_string_length(p))
			     : 0;
	if (r->prompt_tokens >= lim->max_model_len)
		r->prompt_tokens = lim->max_model_len - 1;
	r->stream = 1;
	if (get_bool(root, "stream", &r->stream) < 0)
		return fail(e, 400, "error", NULL,
			    "json: cannot unmarshal stream into Go struct "
			    "field GenerateRequest.stream of type bool");
	int64_t max = -1;
	json_t *opt = json_object_get(root, "options");
	if (json_is_object(opt) && get_int(opt, "num_predict", &max) < 0)
		return fail(e, 400, "error", NULL,
			    "option \"num_predict\" must be of type integer");
	if (max < 0 || r->prompt_tokens + max > lim->max_model_len)
		max = lim->max_model_len - r->prompt_tokens;
	r->max_tokens = max > 0 ? max : 1;
	return 0;
}

/* Triton generate extension on the TRT-LLM ensemble: text_input and
 * max_tokens are required inputs; stream, min_tokens,
 * return_num_{output,input}_tokens optional. Errors {"error":"..."}. */
static int parse_triton(json_t *root, enum srv_api api,
			const struct request_limits *lim,
			struct srv_request *r, struct request_error *e)
{
	json_t *t = json_object_get(root, "text_input");
	int64_t max = -1;
	if (!json_is_string(t) || get_int(root, "max_tokens", &max) || max < 1)
		return fail(e, 400, "error", NULL,
			    "[request id: <id_unknown>] expected 2 inputs but "
			    "got %d inputs for model '%s'. Got input(s) [%s], "
			    "but missing required input(s) [%s]. Please "
			    "provide all required input(s).",
			    json_is_string(t) || max >= 1 ? 1 : 0, lim->model,
			    json_is_string(t) ? "'text_input'"
			    : max >= 1        ? "'max_tokens'"
					      : "",
			    json_is_string(t) ? "'max_tokens'" : "'text_input'");
	r->prompt_tokens = request_count_words(json_string_value(t),
					       json_string_length(t));
	r->max_tokens = max;
	r->stream = api == SRV_API_TRITON_STREAM;
	get_bool(root, "return_num_output_tokens", &r->ret_num_out);
	get_bool(root, "return_num_input_tokens", &r->ret_num_in);
	return ctx_check(r, lim, e, 400, "error",
			 "Prompt length + max_tokens exceeds max_seq_len");
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
	switch (api) {
	case SRV_API_COMPLETIONS:
	case SRV_API_CHAT:
		rc = parse_openai(root, api, lim, out, err);
		break;
	case SRV_API_TGI_STREAM:
	case SRV_API_TGI_GENERATE:
		rc = parse_tgi(root, api, lim, out, err);
		break;
	case SRV_API_SGLANG:
		rc = parse_sglang(root, lim, out, err);
		break;
	case SRV_API_LMDEPLOY:
		rc = parse_lmdeploy(root, lim, out, err);
		break;
	case SRV_API_LLAMACPP:
		rc = parse_llamacpp(root, lim, out, err);
		break;
	case SRV_API_OLLAMA:
		rc = parse_ollama(root, lim, out, err);
		break;
	default:
		rc = parse_triton(root, api, lim, out, err);
		break;
	}
out:
	json_decref(root);
	return rc;
}
