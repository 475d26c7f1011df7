/* wire.c - exact response bytes for the vLLM-OpenAI and TGI APIs.
 *
 * Shapes follow vLLM 0.10.x (pydantic dumps: completions chunks with
 * exclude_unset=False, chat chunks exclude_unset=True, the usage chunk
 * exclude_none; stream errors through Python json.dumps, hence ", " and
 * ": ") and TGI 3.3 (serde_json, compact; axum writes "data:" with no space).
 */
#include "server/wire.h"

#include <stdio.h>
#include <string.h>

static const char *const words[WIRE_VOCAB] = {
	"the",   "quick", "brown", "fox",   "jumps", "over",  "lazy",  "dog",
	"and",   "then",  "runs",  "far",   "away",  "from",  "home",  "to",
	"a",     "green", "field", "where", "many",  "small", "birds", "sing",
	"in",    "early", "light", "while", "rain",  "falls", "on",    "old",
	"stone", "walls", "near",  "river", "banks", "that",  "bend",  "slow",
	"past",  "quiet", "towns", "with",  "red",   "roofs", "under", "grey",
	"sky",   "we",    "watch", "boats", "drift", "by",    "for",   "hours",
	"until", "night", "comes", "down",  "soft",  "cold",  "clear", "end",
};

/* " word" strings, built once from words[]. */
static char token_text[WIRE_VOCAB][16];
static unsigned char token_len[WIRE_VOCAB];
static int token_init;

static void init_tokens(void)
{
	for (int i = 0; i < WIRE_VOCAB; i++) {
		int n = snprintf(token_text[i], sizeof(token_text[i]), " %s",
				 words[i]);
		token_len[i] = (unsigned char)n;
	}
	__atomic_store_n(&token_init, 1, __ATOMIC_RELEASE);
}

const char *wire_token_text(uint32_t k, size_t *len)
{
	if (!__atomic_load_n(&token_init, __ATOMIC_ACQUIRE))
		init_tokens(); /* idempotent: every thread writes the same */
	*len = token_len[k % WIRE_VOCAB];
	return token_text[k % WIRE_VOCAB];
}

uint32_t wire_token_id(uint32_t k)
{
	return 1000 + (k % WIRE_VOCAB);
}

uint32_t wire_word_id(const char *w, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)w[i];
		h *= 16777619u;
	}
	return 2 + h % 31998;
}

/* ---- small appenders ---- */

#define PUT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

static int put_i64(struct buf *b, int64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

int wire_json_str(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	int rc = PUT(b, "\"");
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];
		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20) {
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		if (!esc)
			continue;
		rc |= buf_append(b, s + run, i - run);
		rc |= buf_append(b, esc, strlen(esc));
		run = i + 1;
	}
	rc |= buf_append(b, s + run, len - run);
	rc |= PUT(b, "\"");
	return rc ? -1 : 0;
}

static int put_str(struct buf *b, const char *s)
{
	return wire_json_str(b, s, strlen(s));
}

/* The text of tokens [tok0, tok0+n) as one JSON string. Words need no
 * escaping. */
static int put_tokens(struct buf *b, uint32_t tok0, uint32_t n)
{
	int rc = PUT(b, "\"");
	for (uint32_t k = tok0; k < tok0 + n; k++) {
		size_t len;
		const char *t = wire_token_text(k, &len);
		rc |= buf_append(b, t, len);
	}
	rc |= PUT(b, "\"");
	return rc;
}

static const char *finish_openai(enum wire_finish f)
{
	return f == WIRE_FINISH_STOP ? "\"stop\"" : "\"length\"";
}

static int put_head(struct buf *b, const struct wire_ctx *x, const char *obj)
{
	int rc = PUT(b, "{\"id\":");
	rc |= put_str(b, x->id);
	rc |= PUT(b, ",\"object\":\"");
	rc |= buf_append(b, obj, strlen(obj));
	rc |= PUT(b, "\",\"created\":");
	rc |= put_i64(b, x->created);
	rc |= PUT(b, ",\"model\":");
	rc |= put_str(b, x->model);
	return rc;
}

/* {"prompt_tokens":P,"total_tokens":T,"completion_tokens":C[,...]} */
static int put_usage(struct buf *b, const struct wire_ctx *x, int64_t c,
		     int details_null)
{
	int rc = PUT(b, "{\"prompt_tokens\":");
	rc |= put_i64(b, x->prompt_tokens);
	rc |= PUT(b, ",\"total_tokens\":");
	rc |= put_i64(b, x->prompt_tokens + c);
	rc |= PUT(b, ",\"completion_tokens\":");
	rc |= put_i64(b, c);
	if (details_null)
		rc |= PUT(b, ",\"prompt_tokens_details\":null");
	rc |= PUT(b, "}");
	return rc;
}

#define RET(rc) return (rc) ? -1 : 0

int wire_cmpl_chunk(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
		    uint32_t n, enum wire_finish fin, int64_t completion_tokens)
{
	int rc = PUT(b, "data: ");
	rc |= put_head(b, x, "text_completion");
	rc |= PUT(b, ",\"choices\":[{\"index\":0,\"text\":");
	rc |= put_tokens(b, tok0, n);
	rc |= PUT(b, ",\"logprobs\":null,\"finish_reason\":");
	if (fin)
		rc |= buf_puts(b, finish_openai(fin));
	else
		rc |= PUT(b, "null");
	rc |= PUT(b, ",\"stop_reason\":null}],\"usage\":");
	if (completion_tokens >= 0)
		rc |= put_usage(b, x, completion_tokens, 1);
	else
		rc |= PUT(b, "null");
	rc |= PUT(b, "}\n\n");
	RET(rc);
}

int wire_chat_role_chunk(struct buf *b, const struct wire_ctx *x, int cont)
{
	int rc = PUT(b, "data: ");
	rc |= put_head(b, x, "chat.completion.chunk");
	rc |= PUT(b, ",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
		     "\"assistant\",\"content\":\"\"},\"logprobs\":null,"
		     "\"finish_reason\":null}]");
	if (cont) {
		rc |= PUT(b, ",\"usage\":");
		rc |= put_usage(b, x, 0, 0);
	}
	rc |= PUT(b, "}\n\n");
	RET(rc);
}

int wire_chat_chunk(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
		    uint32_t n, enum wire_finish fin, int64_t completion_tokens)
{
	int rc = PUT(b, "data: ");
	rc |= put_head(b, x, "chat.completion.chunk");
	rc |= PUT(b, ",\"choices\":[{\"index\":0,\"delta\":{\"content\":");
	rc |= put_tokens(b, tok0, n);
	rc |= PUT(b, "},\"logprobs\":null,\"finish_reason\":");
	if (fin) {
		rc |= buf_puts(b, finish_openai(fin));
		rc |= PUT(b, ",\"stop_reason\":null");
	} else {
		rc |= PUT(b, "null");
	}
	rc |= PUT(b, "}]");
	if (completion_tokens >= 0) {
		rc |= PUT(b, ",\"usage\":");
		rc |= put_usage(b, x, completion_tokens, 0);
	}
	rc |= PUT(b, "}\n\n");
	RET(rc);
}

int wire_usage_chunk(struct buf *b, const struct wire_ctx *x, int chat,
		     int64_t completion_tokens)
{
	int rc = PUT(b, "data: ");
	rc |= put_head(b, x, chat ? "chat.completion.chunk" : "text_completion");
	rc |= PUT(b, ",\"choices\":[],\"usage\":");
	rc |= put_usage(b, x, completion_tokens, 0);
	rc |= PUT(b, "}\n\n");
	RET(rc);
}

int wire_done(struct buf *b)
{
	return PUT(b, "data: [DONE]\n\n");
}

int wire_openai_error_event(struct buf *b, const char *msg, const char *type,
			    int code)
{
	int rc = PUT(b, "data: {\"error\": {\"message\": ");
	rc |= put_str(b, msg);
	rc |= PUT(b, ", \"type\": ");
	rc |= put_str(b, type);
	rc |= PUT(b, ", \"param\": null, \"code\": ");
	rc |= put_i64(b, code);
	rc |= PUT(b, "}}\n\n");
	RET(rc);
}

/* `"message":M,"type":T,"param":P|null,"code":N` (compact), shared by the
 * nested OpenAI error body and the flat pydantic one. */
static int put_error_fields(struct buf *b, const char *msg, const char *type,
			    const char *param, int code)
{
	int rc = PUT(b, "\"message\":");
	rc |= put_str(b, msg);
	rc |= PUT(b, ",\"type\":");
	rc |= put_str(b, type);
	rc |= PUT(b, ",\"param\":");
	if (param)
		rc |= put_str(b, param);
	else
		rc |= PUT(b, "null");
	rc |= PUT(b, ",\"code\":");
	rc |= put_i64(b, code);
	return rc;
}

int wire_openai_error_json(struct buf *b, const char *msg, const char *type,
			   const char *param, int code)
{
	int rc = PUT(b, "{\"error\":{");
	rc |= put_error_fields(b, msg, type, param, code);
	rc |= PUT(b, "}}");
	RET(rc);
}

int wire_cmpl_response(struct buf *b, const struct wire_ctx *x, uint32_t n,
		       enum wire_finish fin)
{
	int rc = put_head(b, x, "text_completion");
	rc |= PUT(b, ",\"choices\":[{\"index\":0,\"text\":");
	rc |= put_tokens(b, 0, n);
	rc |= PUT(b, ",\"logprobs\":null,\"finish_reason\":");
	rc |= buf_puts(b, finish_openai(fin));
	rc |= PUT(b, ",\"stop_reason\":null,\"prompt_logprobs\":null}],"
		     "\"usage\":");
	rc |= put_usage(b, x, n, 1);
	rc |= PUT(b, ",\"kv_transfer_params\":null}");
	RET(rc);
}

int wire_chat_response(struct buf *b, const struct wire_ctx *x, uint32_t n,
		       enum wire_finish fin)
{
	int rc = put_head(b, x, "chat.completion");
	rc |= PUT(b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":"
		     "\"assistant\",\"reasoning_content\":null,\"content\":");
	rc |= put_tokens(b, 0, n);
	rc |= PUT(b, ",\"tool_calls\":[]},\"logprobs\":null,"
		     "\"finish_reason\":");
	rc |= buf_puts(b, finish_openai(fin));
	rc |= PUT(b, ",\"stop_reason\":null}],\"usage\":");
	rc |= put_usage(b, x, n, 1);
	rc |= PUT(b, ",\"prompt_logprobs\":null,\"kv_transfer_params\":null}");
	RET(rc);
}

/* ---- TGI ---- */

static const char *const logprobs[8] = {
	"-0.125", "-0.5", "-0.0625", "-1.25", "-0.25", "-2.0", "-0.75", "-0.375",
};

static const char *finish_tgi(enum wire_finish f)
{
	return f == WIRE_FINISH_STOP ? "\"eos_token\"" : "\"length\"";
}

static int put_tgi_details(struct buf *b, const struct wire_ctx *x,
			   uint32_t n, enum wire_finish fin)
{
	int rc = PUT(b, "{\"finish_reason\":");
	rc |= buf_puts(b, finish_tgi(fin));
	rc |= PUT(b, ",\"generated_tokens\":");
	rc |= put_i64(b, n);
	rc |= PUT(b, ",\"seed\":null,\"input_length\":");
	rc |= put_i64(b, x->prompt_tokens);
	rc |= PUT(b, "}");
	return rc;
}

int wire_tgi_event(struct buf *b, const struct wire_ctx *x, uint32_t k,
		   int final, enum wire_finish fin, int details)
{
	size_t len;
	const char *t = wire_token_text(k, &len);
	int rc = PUT(b, "data:{\"index\":");
	rc |= put_i64(b, (int64_t)k + 1);
	rc |= PUT(b, ",\"token\":{\"id\":");
	rc |= put_i64(b, wire_token_id(k));
	rc |= PUT(b, ",\"text\":\"");
	rc |= buf_append(b, t, len);
	rc |= PUT(b, "\",\"logprob\":");
	rc |= buf_puts(b, logprobs[k % 8]);
	rc |= PUT(b, ",\"special\":false},\"generated_text\":");
	if (final) {
		rc |= put_tokens(b, 0, k + 1);
		rc |= PUT(b, ",\"details\":");
		if (details)
			rc |= put_tgi_details(b, x, k + 1, fin);
		else
			rc |= PUT(b, "null");
	} else {
		rc |= PUT(b, "null,\"details\":null");
	}
	rc |= PUT(b, "}\n\n");
	RET(rc);
}

int wire_tgi_error_event(struct buf *b, const char *msg, const char *type)
{
	int rc = PUT(b, "data:");
	rc |= wire_tgi_error_json(b, msg, type);
	rc |= PUT(b, "\n\n");
	RET(rc);
}

int wire_tgi_error_json(struct buf *b, const char *msg, const char *type)
{
	int rc = PUT(b, "{\"error\":");
	rc |= put_str(b, msg);
	rc |= PUT(b, ",\"error_type\":");
	rc |= put_str(b, type);
	rc |= PUT(b, "}");
	RET(rc);
}

int wire_tgi_generate_response(struct buf *b, const struct wire_ctx *x,
			       uint32_t n, enum wire_finish fin, int details)
{
	int rc = PUT(b, "{\"generated_text\":");
	rc |= put_tokens(b, 0, n);
	if (details) {
		rc |= PUT(b, ",\"details\":");
		rc |= put_tgi_details(b, x, n, fin);
	}
	rc |= PUT(b, "}");
	RET(rc);
}

/* ---- info routes ---- */

int wire_models(struct buf *b, const char *model, int64_t max_model_len,
		int64_t created)
{
	int rc = PUT(b, "{\"object\":\"list\",\"data\":[{\"id\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"object\":\"model\",\"created\":");
	rc |= put_i64(b, created);
	rc |= PUT(b, ",\"owned_by\":\"vllm\",\"root\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"parent\":null,\"max_model_len\":");
	rc |= put_i64(b, max_model_len);
	rc |= PUT(b, ",\"permission\":[{\"id\":\"modelperm-"
		     "00000000000000000000000000000000\",\"object\":"
		     "\"model_permission\",\"created\":");
	rc |= put_i64(b, created);
	rc |= PUT(b, ",\"allow_create_engine\":false,\"allow_sampling\":true,"
		     "\"allow_logprobs\":true,\"allow_search_indices\":false,"
		     "\"allow_view\":true,\"allow_fine_tuning\":false,"
		     "\"organization\":\"*\",\"group\":null,"
		     "\"is_blocking\":false}]}]}");
	RET(rc);
}

int wire_version(struct buf *b, const char *version)
{
	int rc = PUT(b, "{\"version\":");
	rc |= put_str(b, version);
	rc |= PUT(b, "}");
	RET(rc);
}

int wire_tgi_info(struct buf *b, const char *model, int64_t max_model_len,
		  int64_t max_concurrent)
{
	int rc = PUT(b, "{\"model_id\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"model_sha\":null,\"model_pipeline_tag\":"
		     "\"text-generation\",\"max_concurrent_requests\":");
	rc |= put_i64(b, max_concurrent);
	rc |= PUT(b, ",\"max_best_of\":2,\"max_stop_sequences\":4,"
		     "\"max_input_tokens\":");
	rc |= put_i64(b, max_model_len > 1 ? max_model_len - 1 : 1);
	rc |= PUT(b, ",\"max_total_tokens\":");
	rc |= put_i64(b, max_model_len);
	rc |= PUT(b, ",\"validation_workers\":2,\"max_client_batch_size\":4,"
		     "\"router\":\"text-generation-router\",\"version\":"
		     "\"3.3.6\",\"sha\":\"infbench-mock\",\"docker_label\":"
		     "null}");
	RET(rc);
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

int wire_tokenize_vllm(struct buf *b, const char *const *texts,
		       const size_t *lens, size_t ntexts, int64_t extra_tok,
		       int64_t max_model_len)
{
	struct buf ids;
	int64_t count = extra_tok;
	int rc = 0;
	buf_init(&ids, 0);
	for (int64_t i = 0; i < extra_tok; i++)
		rc |= buf_append(&ids, i ? ",1" : "1", i ? 2 : 1);
	for (size_t t = 0; t < ntexts; t++) {
		const char *s = texts[t], *e = s + lens[t];
		while (s < e) {
			while (s < e && is_ws(*s))
				s++;
			const char *w = s;
			while (s < e && !is_ws(*s))
				s++;
			if (s == w)
				continue;
			if (count++)
				rc |= PUT(&ids, ",");
			rc |= put_i64(&ids, wire_word_id(w, (size_t)(s - w)));
		}
	}
	rc |= PUT(b, "{\"count\":");
	rc |= put_i64(b, count);
	rc |= PUT(b, ",\"max_model_len\":");
	rc |= put_i64(b, max_model_len);
	rc |= PUT(b, ",\"tokens\":[");
	if (ids.len)
		rc |= buf_append(b, ids.data, ids.len);
	rc |= PUT(b, "],\"token_strs\":null}");
	buf_free(&ids);
	RET(rc);
}

int wire_tokenize_tgi(struct buf *b, const char *text, size_t len)
{
	const char *s = text, *e = text + len;
	int rc = PUT(b, "["), first = 1;
	while (s < e) {
		while (s < e && is_ws(*s))
			s++;
		const char *w = s;
		while (s < e && !is_ws(*s))
			s++;
		if (s == w)
			continue;
		rc |= first ? PUT(b, "{\"id\":") : PUT(b, ",{\"id\":");
		first = 0;
		rc |= put_i64(b, wire_word_id(w, (size_t)(s - w)));
		rc |= PUT(b, ",\"text\":");
		rc |= wire_json_str(b, w, (size_t)(s - w));
		rc |= PUT(b, ",\"start\":");
		rc |= put_i64(b, w - text);
		rc |= PUT(b, ",\"stop\":");
		rc |= put_i64(b, s - text);
		rc |= PUT(b, "}");
	}
	rc |= PUT(b, "]");
	RET(rc);
}

static int metric(struct buf *b, const char *name, const char *type,
		  const char *help, const char *model, double v)
{
	return buf_printf(b,
			  "# HELP %s %s\n# TYPE %s %s\n"
			  "%s{model_name=\"%s\",engine=\"0\"} %.17g%s\n",
			  name, help, name, type, name, model, v,
			  v == (double)(int64_t)v ? ".0" : "");
}

int wire_metrics(struct buf *b, const struct wire_metrics *m)
{
	int rc = 0;
	rc |= metric(b, "vllm:num_requests_running", "gauge",
		     "Number of requests in model execution batches.", m->model,
		     m->running);
	rc |= metric(b, "vllm:num_requests_waiting", "gauge",
		     "Number of requests waiting to be processed.", m->model,
		     m->waiting);
	rc |= metric(b, "vllm:kv_cache_usage_perc", "gauge",
		     "KV-cache usage. 1 means 100 percent usage.", m->model,
		     m->kv_usage);
	rc |= metric(b, "vllm:num_preemptions_total", "counter",
		     "Cumulative number of preemption from the engine.",
		     m->model, (double)m->preemptions);
	rc |= metric(b, "vllm:prompt_tokens_total", "counter",
		     "Number of prefill tokens processed.", m->model,
		     (double)m->prompt_tokens);
	rc |= metric(b, "vllm:generation_tokens_total", "counter",
		     "Number of generation tokens processed.", m->model,
		     (double)m->generation_tokens);
	rc |= wire_metrics_infbench(b, m);
	RET(rc);
}

int wire_metrics_infbench(struct buf *b, const struct wire_metrics *m)
{
	int rc = 0;
	rc |= buf_printf(b,
			 "# HELP infbench_mock_requests_total Generation "
			 "requests received by the infbench mock server.\n"
			 "# TYPE infbench_mock_requests_total counter\n"
			 "infbench_mock_requests_total %llu\n"
			 "# HELP infbench_mock_faults_total Faults injected, "
			 "by kind.\n"
			 "# TYPE infbench_mock_faults_total counter\n",
			 (unsigned long long)m->requests);
	for (int i = 0; i < m->n_faults; i++)
		rc |= buf_printf(b, "infbench_mock_faults_total{kind=\"%s\"} "
				    "%llu\n",
				 m->fault_names[i],
				 (unsigned long long)m->faults[i]);
	rc |= buf_printf(b,
			 "# HELP infbench_mock_connections_open Open client "
			 "connections.\n"
			 "# TYPE infbench_mock_connections_open gauge\n"
			 "infbench_mock_connections_open %llu\n"
			 "# HELP infbench_mock_connections_accepted_total "
			 "Connections accepted.\n"
			 "# TYPE infbench_mock_connections_accepted_total "
			 "counter\n"
			 "infbench_mock_connections_accepted_total %llu\n",
			 (unsigned long long)m->conns_open,
			 (unsigned long long)m->conns_accepted);
	RET(rc);
}

/* ---- error bodies ---- */

int wire_error_json(struct buf *b, enum wire_err_shape shape, const char *msg,
		    const char *type, const char *param, int code)
{
	int rc = 0;
	switch (shape) {
	case WIRE_ERR_VLLM:
		return wire_openai_error_json(b, msg, type, param, code);
	case WIRE_ERR_TGI:
		return wire_tgi_error_json(b, msg, type);
	case WIRE_ERR_FLAT: /* pydantic ErrorResponse */
		rc |= PUT(b, "{\"object\":\"error\",");
		rc |= put_error_fields(b, msg, type, param, code);
		rc |= PUT(b, "}");
		break;
	case WIRE_ERR_MESSAGE:
		rc |= PUT(b, "{\"error\":{\"message\":");
		rc |= put_str(b, msg);
		rc |= PUT(b, "}}");
		break;
	case WIRE_ERR_LLAMACPP: /* format_error_response */
		rc |= PUT(b, "{\"error\":{\"code\":");
		rc |= put_i64(b, code);
		rc |= PUT(b, ",\"message\":");
		rc |= put_str(b, msg);
		rc |= PUT(b, ",\"type\":");
		rc |= put_str(b, type);
		rc |= PUT(b, "}}");
		break;
	case WIRE_ERR_STRING:
		rc |= PUT(b, "{\"error\":");
		rc |= put_str(b, msg);
		rc |= PUT(b, "}");
		break;
	}
	RET(rc);
}

/* ---- native formats ---- */

static int put_ids(struct buf *b, uint32_t tok0, uint32_t n)
{
	int rc = PUT(b, "[");
	for (uint32_t k = tok0; k < tok0 + n; k++) {
		if (k > tok0)
			rc |= PUT(b, ",");
		rc |= put_i64(b, wire_token_id(k));
	}
	rc |= PUT(b, "]");
	return rc;
}

static int open_event(struct buf *b, int stream)
{
	return stream ? PUT(b, "data: ") : 0;
}

static int close_event(struct buf *b, int stream)
{
	return stream ? PUT(b, "\n\n") : 0;
}

/* SGLang (orjson, compact): finish_reason {"type":"length","length":N}. */
int wire_sglang_chunk(struct buf *b, const struct wire_ctx *x, uint32_t total,
		      enum wire_finish fin, int stream)
{
	int rc = open_event(b, stream);
	rc |= PUT(b, "{\"text\":");
	rc |= put_tokens(b, 0, total);
	rc |= PUT(b, ",\"output_ids\":");
	rc |= put_ids(b, 0, total);
	rc |= PUT(b, ",\"meta_info\":{\"id\":");
	rc |= put_str(b, x->id);
	rc |= PUT(b, ",\"finish_reason\":");
	if (fin == WIRE_FINISH_LENGTH) {
		rc |= PUT(b, "{\"type\":\"length\",\"length\":");
		rc |= put_i64(b, total);
		rc |= PUT(b, "}");
	} else if (fin) {
		rc |= PUT(b, "{\"type\":\"stop\",\"matched\":2}");
	} else {
		rc |= PUT(b, "null");
	}
	rc |= PUT(b, ",\"prompt_tokens\":");
	rc |= put_i64(b, x->prompt_tokens);
	rc |= PUT(b, ",\"weight_version\":\"default\",\"completion_tokens\":");
	rc |= put_i64(b, total);
	rc |= PUT(b, ",\"cached_tokens\":0}}");
	rc |= close_event(b, stream);
	RET(rc);
}

/* LMDeploy (pydantic model_dump_json, compact). */
int wire_lmdeploy_chunk(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
			uint32_t n, enum wire_finish fin, int stream)
{
	int rc = open_event(b, stream);
	rc |= PUT(b, "{\"text\":");
	rc |= put_tokens(b, tok0, n);
	rc |= PUT(b, ",\"output_ids\":");
	rc |= put_ids(b, tok0, n);
	rc |= PUT(b, ",\"meta_info\":{\"finish_reason\":");
	if (fin)
		rc |= fin == WIRE_FINISH_LENGTH ? PUT(b, "{\"type\":\"length\"}")
						: PUT(b, "{\"type\":\"stop\"}");
	else
		rc |= PUT(b, "null");
	rc |= PUT(b, ",\"prompt_tokens\":");
	rc |= put_i64(b, x->prompt_tokens);
	rc |= PUT(b, ",\"completion_tokens\":");
	rc |= put_i64(b, (int64_t)tok0 + n);
	rc |= PUT(b, "}}");
	rc |= close_event(b, stream);
	RET(rc);
}

/* llama.cpp (nlohmann ordered_json, compact; to_json_non_oaicompat). */
int wire_llamacpp_chunk(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
			uint32_t n)
{
	int rc = PUT(b, "data: {\"index\":0,\"content\":");
	rc |= put_tokens(b, tok0, n);
	rc |= PUT(b, ",\"tokens\":[],\"stop\":false,\"id_slot\":0,"
		     "\"tokens_predicted\":");
	rc |= put_i64(b, (int64_t)tok0 + n);
	rc |= PUT(b, ",\"tokens_evaluated\":");
	rc |= put_i64(b, x->prompt_tokens);
	rc |= PUT(b, "}\n\n");
	RET(rc);
}

static int put_ms(struct buf *b, double ms)
{
	return buf_printf(b, "%.3f", ms);
}

int wire_llamacpp_final(struct buf *b, const struct wire_ctx *x, uint32_t n,
			enum wire_finish fin, const struct wire_times *t,
			int stream)
{
	double pms = (double)t->prompt_ns / 1e6;
	double dms = (double)t->decode_ns / 1e6;
	int64_t p = x->prompt_tokens;
	int rc = open_event(b, stream);
	rc |= PUT(b, "{\"index\":0,\"content\":");
	rc |= stream ? PUT(b, "\"\"") : put_tokens(b, 0, n);
	rc |= PUT(b, ",\"tokens\":[],\"id_slot\":0,\"stop\":true,\"model\":");
	rc |= put_str(b, x->model);
	rc |= PUT(b, ",\"tokens_predicted\":");
	rc |= put_i64(b, n);
	rc |= PUT(b, ",\"tokens_evaluated\":");
	rc |= put_i64(b, p);
	rc |= PUT(b, ",\"has_new_line\":false,\"truncated\":false,"
		     "\"stop_type\":");
	rc |= fin == WIRE_FINISH_STOP ? PUT(b, "\"eos\"") : PUT(b, "\"limit\"");
	rc |= PUT(b, ",\"stopping_word\":\"\",\"tokens_cached\":");
	rc |= put_i64(b, p + n);
	rc |= PUT(b, ",\"timings\":{\"cache_n\":0,\"prompt_n\":");
	rc |= put_i64(b, p);
	rc |= PUT(b, ",\"prompt_ms\":");
	rc |= put_ms(b, pms);
	rc |= PUT(b, ",\"prompt_per_token_ms\":");
	rc |= put_ms(b, p ? pms / (double)p : 0);
	rc |= PUT(b, ",\"prompt_per_second\":");
	rc |= put_ms(b, pms > 0 ? 1e3 * (double)p / pms : 0);
	rc |= PUT(b, ",\"predicted_n\":");
	rc |= put_i64(b, n);
	rc |= PUT(b, ",\"predicted_ms\":");
	rc |= put_ms(b, dms);
	rc |= PUT(b, ",\"predicted_per_token_ms\":");
	rc |= put_ms(b, n ? dms / n : 0);
	rc |= PUT(b, ",\"predicted_per_second\":");
	rc |= put_ms(b, dms > 0 ? 1e3 * n / dms : 0);
	rc |= PUT(b, "}}");
	rc |= close_event(b, stream);
	RET(rc);
}

/* Ollama (Go encoding/json: compact; omitempty metrics). */
int wire_ollama_line(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
		     uint32_t n, const struct wire_times *t)
{
	int rc = PUT(b, "{\"model\":");
	rc |= put_str(b, x->model);
	rc |= PUT(b, ",\"created_at\":");
	rc |= put_str(b, t->created_at);
	rc |= PUT(b, ",\"response\":");
	rc |= put_tokens(b, tok0, n);
	rc |= PUT(b, ",\"done\":false}\n");
	RET(rc);
}

int wire_ollama_final(struct buf *b, const struct wire_ctx *x, uint32_t n,
		      enum wire_finish fin, const struct wire_times *t,
		      int stream)
{
	int rc = PUT(b, "{\"model\":");
	rc |= put_str(b, x->model);
	rc |= PUT(b, ",\"created_at\":");
	rc |= put_str(b, t->created_at);
	rc |= PUT(b, ",\"response\":");
	rc |= stream ? PUT(b, "\"\"") : put_tokens(b, 0, n);
	rc |= PUT(b, ",\"done\":true,\"done_reason\":");
	rc |= fin == WIRE_FINISH_STOP ? PUT(b, "\"stop\"") : PUT(b, "\"length\"");
	rc |= PUT(b, ",\"total_duration\":");
	rc |= put_i64(b, t->total_ns);
	if (x->prompt_tokens) {
		rc |= PUT(b, ",\"prompt_eval_count\":");
		rc |= put_i64(b, x->prompt_tokens);
	}
	if (t->prompt_ns) {
		rc |= PUT(b, ",\"prompt_eval_duration\":");
		rc |= put_i64(b, t->prompt_ns);
	}
	rc |= PUT(b, ",\"eval_count\":");
	rc |= put_i64(b, n);
	if (t->decode_ns) {
		rc |= PUT(b, ",\"eval_duration\":");
		rc |= put_i64(b, t->decode_ns);
	}
	rc |= PUT(b, "}\n");
	RET(rc);
}

/* Triton generate extension (one-element tensors as scalars). */
int wire_triton_event(struct buf *b, const struct wire_ctx *x, uint32_t tok0,
		      uint32_t n, int ret_out, int ret_in, int stream)
{
	int rc = open_event(b, stream);
	rc |= PUT(b, "{\"model_name\":");
	rc |= put_str(b, x->model);
	rc |= PUT(b, ",\"model_version\":\"1\"");
	if (ret_in) {
		rc |= PUT(b, ",\"num_input_tokens\":");
		rc |= put_i64(b, x->prompt_tokens);
	}
	if (ret_out) {
		rc |= PUT(b, ",\"num_output_tokens\":");
		rc |= put_i64(b, n);
	}
	rc |= PUT(b, ",\"text_output\":");
	rc |= put_tokens(b, tok0, n);
	rc |= PUT(b, "}");
	rc |= close_event(b, stream);
	RET(rc);
}

/* ---- per-server info routes ---- */

int wire_models_as(struct buf *b, const char *model, int64_t max_model_len,
		   int64_t created, const char *owned_by, int llamacpp_meta)
{
	int rc = PUT(b, "{\"object\":\"list\",\"data\":[{\"id\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"object\":\"model\",\"created\":");
	rc |= put_i64(b, created);
	rc |= PUT(b, ",\"owned_by\":");
	rc |= put_str(b, owned_by);
	if (max_model_len >= 0) {
		rc |= PUT(b, ",\"root\":");
		rc |= put_str(b, model);
		rc |= PUT(b, ",\"max_model_len\":");
		rc |= put_i64(b, max_model_len);
	}
	if (llamacpp_meta) {
		rc |= PUT(b, ",\"meta\":{\"vocab_type\":2,\"n_vocab\":32000,"
			     "\"n_ctx_train\":");
		rc |= put_i64(b, max_model_len < 0 ? 4096 : max_model_len);
		rc |= PUT(b, ",\"n_embd\":4096,\"n_params\":7241732096,"
			     "\"size\":4108916736}");
	}
	rc |= PUT(b, "}]}");
	RET(rc);
}

int wire_sglang_server_info(struct buf *b, const char *model,
			    int64_t max_model_len, int64_t max_running)
{
	int rc = PUT(b, "{\"model_path\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"tokenizer_path\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"context_length\":");
	rc |= put_i64(b, max_model_len);
	rc |= PUT(b, ",\"max_running_requests\":");
	rc |= put_i64(b, max_running);
	rc |= PUT(b, ",\"tp_size\":1,\"stream_interval\":1,"
		     "\"max_total_num_tokens\":");
	rc |= put_i64(b, max_model_len * max_running);
	rc |= PUT(b, ",\"max_req_input_len\":");
	rc |= put_i64(b, max_model_len - 1);
	rc |= PUT(b, ",\"internal_states\":[{\"last_gen_throughput\":0.0}],"
		     "\"version\":\"0.5.4\"}");
	RET(rc);
}

int wire_sglang_model_info(struct buf *b, const char *model)
{
	int rc = PUT(b, "{\"model_path\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"tokenizer_path\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"is_generation\":true}");
	RET(rc);
}

int wire_llamacpp_props(struct buf *b, const char *model, int64_t n_ctx)
{
	int rc = PUT(b, "{\"default_generation_settings\":{\"id\":0,"
		     "\"id_task\":-1,\"n_ctx\":");
	rc |= put_i64(b, n_ctx);
	rc |= PUT(b, ",\"speculative\":false,\"is_processing\":false,"
		     "\"params\":{\"n_predict\":-1,\"seed\":4294967295,"
		     "\"temperature\":0.8}},\"total_slots\":4,\"model_alias\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"model_path\":");
	rc |= buf_printf(b, "\"/models/%s.gguf\"", model);
	rc |= PUT(b, ",\"modalities\":{\"vision\":false,\"audio\":false},"
		     "\"bos_token\":\"<s>\",\"eos_token\":\"</s>\","
		     "\"build_info\":\"b6500-infbench-mock\"}");
	RET(rc);
}

int wire_ollama_tags(struct buf *b, const char *model)
{
	int rc = PUT(b, "{\"models\":[{\"name\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"model\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"modified_at\":\"2025-01-01T00:00:00Z\","
		     "\"size\":4108916736,\"digest\":\"0000000000000000000000"
		     "000000000000000000000000000000000000000000\",\"details\":"
		     "{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":"
		     "\"llama\",\"families\":[\"llama\"],\"parameter_size\":"
		     "\"7B\",\"quantization_level\":\"Q4_0\"}}]}");
	RET(rc);
}

int wire_triton_server(struct buf *b)
{
	return PUT(b, "{\"name\":\"triton\",\"version\":\"2.59.0\","
		      "\"extensions\":[\"classification\",\"sequence\","
		      "\"model_repository\",\"model_repository(unload_"
		      "dependents)\",\"schedule_policy\",\"model_configuration\","
		      "\"system_shared_memory\",\"cuda_shared_memory\","
		      "\"binary_tensor_data\",\"parameters\",\"statistics\","
		      "\"trace\",\"logging\"]}");
}

int wire_triton_index(struct buf *b, const char *model)
{
	int rc = PUT(b, "[{\"name\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"version\":\"1\",\"state\":\"READY\"},"
		     "{\"name\":\"postprocessing\",\"version\":\"1\",\"state\":"
		     "\"READY\"},{\"name\":\"preprocessing\",\"version\":\"1\","
		     "\"state\":\"READY\"},{\"name\":\"tensorrt_llm\","
		     "\"version\":\"1\",\"state\":\"READY\"}]");
	RET(rc);
}

static int triton_io(struct buf *b, const char *name, const char *type,
		     int optional)
{
	int rc = PUT(b, "{\"name\":");
	rc |= put_str(b, name);
	rc |= PUT(b, ",\"data_type\":");
	rc |= put_str(b, type);
	rc |= PUT(b, ",\"dims\":[1]");
	if (optional >= 0)
		rc |= optional ? PUT(b, ",\"optional\":true")
			       : PUT(b, ",\"optional\":false");
	rc |= PUT(b, "}");
	return rc;
}

int wire_triton_config(struct buf *b, const char *model)
{
	static const struct {
		const char *name, *type;
		int optional;
	} in[] = {
		{"text_input", "TYPE_STRING", 0},
		{"max_tokens", "TYPE_INT32", 0},
		{"min_tokens", "TYPE_INT32", 1},
		{"end_id", "TYPE_INT32", 1},
		{"stop_words", "TYPE_STRING", 1},
		{"temperature", "TYPE_FP32", 1},
		{"stream", "TYPE_BOOL", 1},
		{"return_num_input_tokens", "TYPE_BOOL", 1},
		{"return_num_output_tokens", "TYPE_BOOL", 1},
	}, out[] = {
		{"text_output", "TYPE_STRING", -1},
		{"num_input_tokens", "TYPE_INT32", -1},
		{"num_output_tokens", "TYPE_INT32", -1},
	};
	int rc = PUT(b, "{\"name\":");
	rc |= put_str(b, model);
	rc |= PUT(b, ",\"platform\":\"ensemble\",\"backend\":\"\","
		     "\"version_policy\":{\"latest\":{\"num_versions\":1}},"
		     "\"max_batch_size\":64,\"input\":[");
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		if (i)
			rc |= PUT(b, ",");
		rc |= triton_io(b, in[i].name, in[i].type, in[i].optional);
	}
	rc |= PUT(b, "],\"output\":[");
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		if (i)
			rc |= PUT(b, ",");
		rc |= triton_io(b, out[i].name, out[i].type, out[i].optional);
	}
	rc |= PUT(b, "],\"model_transaction_policy\":{\"decoupled\":true}}");
	RET(rc);
}
