/* serve.c - routes, per-request streams and faults of the built-in server. */
#include "server/serve.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/assert.h"
#include "core/msg.h"
#include "core/rng.h"
#include "core/version.h"
#include "core/xmalloc.h"
#include "server/httpd.h"
#include "server/wire.h"

#define SRV_MAX_EVENT (64 * 1024 * 1024) /* one formatted event or body */
#define SRV_POOL_BLOCK 64                /* streams allocated at a time */
#define SRV_EMULATED_VLLM "0.10.1"       /* /version: wire shape emulated */
#define SRV_ID_MAX 80                    /* response id, with its NUL */

enum { ST_FREE = 0, ST_ACTIVE, ST_STALLED };

struct srv_stream {
	struct srv *srv;
	struct httpd_conn *conn;
	struct srv_request req;
	struct wire_ctx ctx;
	char id[SRV_ID_MAX];
	uint32_t sent;
	uint8_t state;
	uint8_t fault;      /* enum fault_kind still to happen */
	uint8_t role_sent;  /* chat role chunk written */
	uint8_t flush_each; /* one send per emission */
	int64_t t_first_ns; /* loop time of the first token, 0 before */
	struct srv_stream *next_free;
	alignas(max_align_t) unsigned char priv[];
};

struct srv {
	struct srv_config cfg;
	char *host, *model;
	struct loop *loop;
	struct httpd *httpd;
	const struct srv_backend_ops *be_ops;
	void *be;
	pthread_t thread;
	int started;
	struct rng id_rng;
	/* stream pool */
	size_t slot_bytes;
	struct srv_stream *free_list;
	void **blocks;
	size_t n_blocks, cap_blocks;
	uint64_t active; /* streams between submit and their end */
	struct buf ev;   /* one event being formatted */
	struct buf body; /* one complete response body */
	struct srv_counters ctr; /* atomics */
};

static void ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

void srv_config_defaults(struct srv_config *c)
{
	memset(c, 0, sizeof(*c));
	c->host = "127.0.0.1";
	c->port = 8000;
	c->model = "mock-model";
	c->max_model_len = 4096;
	c->chat_overhead_tok = 8;
	c->max_concurrent = 128;
	c->faults.after_tokens = 4;
	c->mock.ttft_s = 0.050;
	c->mock.itl_s = 0.010;
	c->mock.tokens_per_chunk = 1;
}

/* ---- stream pool ---- */

static struct srv_stream *stream_alloc(struct srv *v)
{
	if (!v->free_list) {
		char *blk = xcalloc(SRV_POOL_BLOCK, v->slot_bytes);
		xgrow((void **)&v->blocks, &v->cap_blocks, v->n_blocks + 1,
		      sizeof(void *));
		v->blocks[v->n_blocks++] = blk;
		for (int i = SRV_POOL_BLOCK - 1; i >= 0; i--) {
			struct srv_stream *s =
				(struct srv_stream *)(blk + i * v->slot_bytes);
			s->next_free = v->free_list;
			v->free_list = s;
		}
	}
	struct srv_stream *s = v->free_list;
	v->free_list = s->next_free;
	memset(s, 0, v->slot_bytes);
	s->srv = v;
	return s;
}

static void stream_release(struct srv_stream *s)
{
	struct srv *v = s->srv;
	s->state = ST_FREE;
	s->conn = NULL;
	s->next_free = v->free_list;
	v->free_list = s;
}

const struct srv_request *srv_stream_req(const struct srv_stream *s)
{
	return &s->req;
}

void *srv_stream_priv(struct srv_stream *s)
{
	return s->priv;
}

int srv_stream_congested(const struct srv_stream *s)
{
	return s->conn && s->req.stream &&
	       httpd_conn_out_bytes(s->conn) > SRV_CONGESTED_BYTES;
}

void srv_stream_flush_each(struct srv_stream *s, int on)
{
	s->flush_each = on != 0;
}

const char *srv_stream_id(const struct srv_stream *s)
{
	return s->id;
}

uint32_t srv_stream_sent(const struct srv_stream *s)
{
	return s->sent;
}

/* ---- response helpers ---- */

static int is_tgi(enum srv_api a)
{
	return a == SRV_API_TGI_STREAM || a == SRV_API_TGI_GENERATE;
}

static int is_openai(enum srv_api a)
{
	return a == SRV_API_COMPLETIONS || a == SRV_API_CHAT;
}

/* The error body shape api answers with under the server's flavour. */
static enum wire_err_shape err_shape(const struct srv *v, enum srv_api a)
{
	switch (a) {
	case SRV_API_COMPLETIONS:
	case SRV_API_CHAT:
		switch (v->cfg.flavour) {
		case SRV_FLAVOUR_SGLANG:
		case SRV_FLAVOUR_LMDEPLOY:
		case SRV_FLAVOUR_TRTLLM:
			return WIRE_ERR_FLAT;
		case SRV_FLAVOUR_LLAMACPP:
			return WIRE_ERR_LLAMACPP;
		default:
			return WIRE_ERR_VLLM;
		}
	case SRV_API_TGI_STREAM:
	case SRV_API_TGI_GENERATE:
		return WIRE_ERR_TGI;
	case SRV_API_SGLANG:
		return WIRE_ERR_MESSAGE;
	case SRV_API_LMDEPLOY:
		return WIRE_ERR_FLAT;
	case SRV_API_LLAMACPP:
		return WIRE_ERR_LLAMACPP;
	default:
		return WIRE_ERR_STRING;
	}
}

static void respond_json(struct httpd_conn *c, int status, struct buf *b)
{
	httpd_respond(c, status, "application/json", NULL, b->data ? b->data : "",
		      b->len);
}

static void respond_error(struct srv *v, struct httpd_conn *c,
			  enum srv_api api, int status, const char *type,
			  const char *param, const char *msg)
{
	buf_reset(&v->body);
	wire_error_json(&v->body, err_shape(v, api), msg, type, param, status);
	respond_json(c, status, &v->body);
}

static const char *sse_type(enum srv_api a)
{
	if (a == SRV_API_OLLAMA)
		return "application/x-ndjson";
	return is_openai(a) ? "text/event-stream; charset=utf-8"
			    : "text/event-stream";
}

/* "2025-01-02T03:04:05.123456789Z" (Go's RFC3339Nano: zeros trimmed). */
static void rfc3339_now(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	char frac[16];
	snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
	size_t f = strlen(frac);
	while (f > 1 && frac[f - 1] == '0')
		frac[--f] = '\0';
	if (f == 1)
		frac[0] = '\0';
	snprintf(out + n, len - n, "%sZ", frac);
}

static void stream_times(struct srv_stream *s, struct wire_times *t,
			 char *created, size_t clen)
{
	int64_t now = loop_now_ns(s->srv->loop);
	int64_t first = s->t_first_ns ? s->t_first_ns : now;
	rfc3339_now(created, clen);
	t->prompt_ns = first - s->req.t_arrival_ns;
	t->decode_ns = now - first;
	t->total_ns = now - s->req.t_arrival_ns;
	t->created_at = created;
}

static void write_ev(struct srv_stream *s)
{
	struct srv *v = s->srv;
	httpd_stream_write(s->conn, v->ev.data, v->ev.len);
	buf_reset(&v->ev);
}

/* Write n tokens starting at s->sent (stream) or just count them. */
static void emit(struct srv_stream *s, uint32_t n, enum srv_finish fin)
{
	struct srv *v = s->srv;
	const struct srv_request *r = &s->req;
	if (r->stream && n) {
		int64_t cu = r->continuous_usage ? (int64_t)(s->sent + n) : -1;
		switch (r->api) {
		case SRV_API_COMPLETIONS:
			wire_cmpl_chunk(&v->ev, &s->ctx, s->sent, n,
					(enum wire_finish)fin, cu);
			write_ev(s);
			break;
		case SRV_API_CHAT:
			if (!s->role_sent) {
				s->role_sent = 1;
				wire_chat_role_chunk(&v->ev, &s->ctx,
						     r->continuous_usage);
				write_ev(s);
			}
			wire_chat_chunk(&v->ev, &s->ctx, s->sent, n,
					(enum wire_finish)fin, cu);
			write_ev(s);
			break;
		case SRV_API_TGI_STREAM:
		case SRV_API_TGI_GENERATE:
			for (uint32_t i = 0; i < n; i++) {
				int last = fin && i + 1 == n;
				wire_tgi_event(&v->ev, &s->ctx, s->sent + i,
					       last, (enum wire_finish)fin,
					       r->details);
				write_ev(s);
			}
			break;
		case SRV_API_SGLANG:
			wire_sglang_chunk(&v->ev, &s->ctx, s->sent + n,
					  (enum wire_finish)fin, 1);
			write_ev(s);
			break;
		case SRV_API_LMDEPLOY:
			wire_lmdeploy_chunk(&v->ev, &s->ctx, s->sent, n,
					    (enum wire_finish)fin, 1);
			write_ev(s);
			break;
		case SRV_API_LLAMACPP:
			wire_llamacpp_chunk(&v->ev, &s->ctx, s->sent, n);
			write_ev(s);
			break;
		case SRV_API_OLLAMA: {
			struct wire_times t;
			char created[48];
			stream_times(s, &t, created, sizeof(created));
			wire_ollama_line(&v->ev, &s->ctx, s->sent, n, &t);
			write_ev(s);
			break;
		}
		default:
			wire_triton_event(&v->ev, &s->ctx, s->sent, n,
					  r->ret_num_out, r->ret_num_in, 1);
			write_ev(s);
			break;
		}
	}
	if (n && !s->sent && !s->t_first_ns)
		s->t_first_ns = loop_now_ns(v->loop);
	s->sent += n;
	ctr_add(&v->ctr.generation_tokens, n);
	if (s->flush_each && r->stream && n)
		httpd_conn_flush(s->conn);
}

/* Normal end: usage and [DONE] (stream) or the whole JSON body. */
static void finish_ok(struct srv_stream *s, enum srv_finish fin)
{
	struct srv *v = s->srv;
	const struct srv_request *r = &s->req;
	enum wire_finish wf = (enum wire_finish)fin;
	struct wire_times t;
	char created[48];
	stream_times(s, &t, created, sizeof(created));
	if (r->stream) {
		if (is_openai(r->api)) {
			if (r->include_usage) {
				wire_usage_chunk(&v->ev, &s->ctx,
						 r->api == SRV_API_CHAT, s->sent);
				write_ev(s);
			}
			wire_done(&v->ev);
			write_ev(s);
		} else if (r->api == SRV_API_SGLANG ||
			   r->api == SRV_API_LMDEPLOY) {
			wire_done(&v->ev);
			write_ev(s);
		} else if (r->api == SRV_API_LLAMACPP) {
			wire_llamacpp_final(&v->ev, &s->ctx, s->sent, wf, &t, 1);
			write_ev(s);
		} else if (r->api == SRV_API_OLLAMA) {
			wire_ollama_final(&v->ev, &s->ctx, s->sent, wf, &t, 1);
			write_ev(s);
		}
		httpd_stream_end(s->conn);
	} else {
		buf_reset(&v->body);
		switch (r->api) {
		case SRV_API_COMPLETIONS:
			wire_cmpl_response(&v->body, &s->ctx, s->sent, wf);
			break;
		case SRV_API_CHAT:
			wire_chat_response(&v->body, &s->ctx, s->sent, wf);
			break;
		case SRV_API_SGLANG:
			wire_sglang_chunk(&v->body, &s->ctx, s->sent, wf, 0);
			break;
		case SRV_API_LMDEPLOY:
			wire_lmdeploy_chunk(&v->body, &s->ctx, 0, s->sent, wf,
					    0);
			break;
		case SRV_API_LLAMACPP:
			wire_llamacpp_final(&v->body, &s->ctx, s->sent, wf, &t,
					    0);
			break;
		case SRV_API_OLLAMA:
			wire_ollama_final(&v->body, &s->ctx, s->sent, wf, &t, 0);
			break;
		case SRV_API_TRITON_STREAM:
		case SRV_API_TRITON_GENERATE:
			wire_triton_event(&v->body, &s->ctx, 0, s->sent,
					  r->ret_num_out, r->ret_num_in, 0);
			break;
		default:
			wire_tgi_generate_response(&v->body, &s->ctx, s->sent,
						   wf, r->details);
			break;
		}
		respond_json(s->conn, 200, &v->body);
	}
	ctr_add(&v->ctr.completed, 1);
}

static void error_end(struct srv_stream *s, const char *msg)
{
	struct srv *v = s->srv;
	const struct srv_request *r = &s->req;
	if (r->stream) {
		if (is_tgi(r->api)) {
			wire_tgi_error_event(&v->ev, msg, "generation");
		} else if (is_openai(r->api)) {
			wire_openai_error_event(&v->ev, msg,
						"InternalServerError", 500);
			write_ev(s);
			wire_done(&v->ev);
		} else if (r->api == SRV_API_OLLAMA) {
			/* Ollama: a final {"error"} line under 200 */
			wire_error_json(&v->ev, WIRE_ERR_STRING, msg, "", NULL,
					500);
			buf_puts(&v->ev, "\n");
		} else {
			/* SGLang/LMDeploy: error then [DONE]; llama.cpp and
			 * Triton: error, then the stream closes */
			buf_puts(&v->ev, "data: ");
			wire_error_json(&v->ev, err_shape(v, r->api), msg,
					"server_error", NULL, 500);
			buf_puts(&v->ev, "\n\n");
			if (r->api == SRV_API_SGLANG ||
			    r->api == SRV_API_LMDEPLOY) {
				write_ev(s);
				wire_done(&v->ev);
			}
		}
		write_ev(s);
		httpd_stream_end(s->conn);
	} else {
		respond_error(v, s->conn, r->api, 500,
			      is_tgi(r->api)      ? "generation"
			      : is_openai(r->api) ? "InternalServerError"
						  : "server_error",
			      NULL, msg);
	}
}

/* Carry out a mid-stream fault. Returns SRV_EMIT_OK only for garbage. */
static enum srv_emit do_fault(struct srv_stream *s)
{
	struct srv *v = s->srv;
	enum fault_kind k = (enum fault_kind)s->fault;
	s->fault = FAULT_NONE;
	char msg[128];
	switch (k) {
	case FAULT_GARBAGE:
		if (s->req.stream) {
			if (is_tgi(s->req.api))
				buf_puts(&v->ev, "data:{not json\n\n");
			else if (s->req.api == SRV_API_OLLAMA)
				buf_puts(&v->ev, "{not json\n");
			else
				buf_puts(&v->ev, "data: {not json\n\n");
			write_ev(s);
			return SRV_EMIT_OK;
		}
		httpd_respond(s->conn, 200, "application/json", NULL,
			      "{not json", 9);
		break;
	case FAULT_ERROR:
		snprintf(msg, sizeof(msg),
			 "infbench mock: injected error after %u tokens",
			 s->sent);
		error_end(s, msg);
		break;
	case FAULT_DROP:
		httpd_conn_abort(s->conn);
		break;
	case FAULT_STALL:
		/* Keep the connection (and s, as its response) until the
		 * client leaves; the backend forgets s now. */
		s->state = ST_STALLED;
		v->active--;
		return SRV_EMIT_GONE;
	default:
		ASSERT(0);
	}
	v->active--;
	stream_release(s);
	return SRV_EMIT_GONE;
}

enum srv_emit srv_stream_tokens(struct srv_stream *s, uint32_t n,
				enum srv_finish fin)
{
	struct srv *v = s->srv;
	ASSERT(s->state == ST_ACTIVE);
	if (httpd_conn_closing(s->conn)) {
		/* Peer gone: end here instead of waiting for on_abort. */
		httpd_conn_abort(s->conn);
		v->active--;
		stream_release(s);
		return SRV_EMIT_GONE;
	}
	uint32_t left = (uint32_t)(s->req.max_tokens - s->sent);
	if (n >= left) {
		n = left;
		if (!fin)
			fin = SRV_FINISH_LENGTH;
	}
	if (s->fault) {
		int64_t at = v->cfg.faults.after_tokens;
		if ((int64_t)(s->sent + n) >= at || fin) {
			uint32_t k = at > (int64_t)s->sent
					     ? (uint32_t)(at - s->sent)
					     : 0;
			if (k > n)
				k = n;
			emit(s, k, SRV_FINISH_NONE);
			n -= k;
			if (do_fault(s) == SRV_EMIT_GONE)
				return SRV_EMIT_GONE;
		}
	}
	emit(s, n, fin);
	if (!fin)
		return SRV_EMIT_OK;
	finish_ok(s, fin);
	v->active--;
	stream_release(s);
	return SRV_EMIT_GONE;
}

enum srv_emit srv_stream_error(struct srv_stream *s, const char *msg)
{
	struct srv *v = s->srv;
	ASSERT(s->state == ST_ACTIVE);
	error_end(s, msg);
	v->active--;
	stream_release(s);
	return SRV_EMIT_GONE;
}

/* ---- routes ---- */

static int path_is(const struct http1_req *r, const char *p)
{
	size_t n = strlen(p);
	return r->path_len == n && !memcmp(r->target, p, n);
}

/* A request the backend refused in admit (-EBUSY / -E2BIG), answered the
 * way TGI and vLLM do. */
static void refuse(struct srv *v, struct httpd_conn *c, enum srv_api api,
		   const struct srv_request *r, int rc)
{
	int tgi = is_tgi(api);
	char msg[256];
	const char *type;
	int status;
	if (rc == -EBUSY) {
		status = 429;
		type = "overloaded";
		snprintf(msg, sizeof(msg), "Model is overloaded");
	} else if (tgi) {
		status = 422;
		type = "validation";
		snprintf(msg, sizeof(msg),
			 "`inputs` tokens + `max_new_tokens` (%lld + %lld) "
			 "need more KV cache than the engine holds",
			 (long long)r->prompt_tokens, (long long)r->max_tokens);
	} else {
		status = 400;
		type = "BadRequestError";
		snprintf(msg, sizeof(msg),
			 "This model's KV cache cannot hold %lld tokens "
			 "(%lld in the prompt, %lld to generate).",
			 (long long)(r->prompt_tokens + r->max_tokens),
			 (long long)r->prompt_tokens, (long long)r->max_tokens);
	}
	if (api == SRV_API_TGI_STREAM) {
		/* TGI: InferError -> Event under HTTP 200. */
		httpd_stream_begin(c, 200, sse_type(api), NULL);
		buf_reset(&v->ev);
		wire_tgi_error_event(&v->ev, msg, type);
		httpd_stream_write(c, v->ev.data, v->ev.len);
		buf_reset(&v->ev);
		httpd_stream_end(c);
		return;
	}
	respond_error(v, c, api, status, type, NULL, msg);
}

/* A header value that may stand in an id: 1..max bytes of printable
 * ASCII other than '"' and '\\' (it goes into JSON unescaped). */
static int id_ok(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= max || s[n] <= ' ' || s[n] > '~' || s[n] == '"' ||
		    s[n] == '\\')
			return 0;
	return n > 0;
}

/* The response id, as vLLM makes it: "chatcmpl-" (chat) or "cmpl-" and
 * the client's X-Request-Id when it sent one (vLLM's _base_request_id),
 * else 32 random hex digits. One that would not fit or is not printable
 * is replaced by random digits. */
static void response_id(struct srv *v, const struct httpd_conn *c,
			enum srv_api api, char id[SRV_ID_MAX])
{
	const char *pre = api == SRV_API_CHAT ? "chatcmpl-" : "cmpl-";
	const char *x = httpd_conn_header(c, "X-Request-Id");
	if (x && id_ok(x, SRV_ID_MAX - 1 - strlen(pre))) {
		snprintf(id, SRV_ID_MAX, "%s%s", pre, x);
		return;
	}
	uint64_t a = rng_u64(&v->id_rng), b = rng_u64(&v->id_rng);
	snprintf(id, SRV_ID_MAX, "%s%016llx%016llx", pre,
		 (unsigned long long)a, (unsigned long long)b);
}

static void route_generate(struct srv *v, struct httpd_conn *c,
			   const struct http1_req *hr, enum srv_api api)
{
	struct srv_request req;
	struct request_error e;
	struct request_limits lim = {v->model, v->cfg.max_model_len,
				     v->cfg.chat_overhead_tok, v->cfg.flavour};
	int tgi = is_tgi(api);

	if (request_parse(api, hr->body, hr->body_len, &lim, &req, &e)) {
		if (api == SRV_API_TGI_STREAM && e.status == 422) {
			/* TGI reports validation errors inside the stream. */
			httpd_stream_begin(c, 200, sse_type(api), NULL);
			buf_reset(&v->ev);
			wire_tgi_error_event(&v->ev, e.msg, e.type);
			httpd_stream_write(c, v->ev.data, v->ev.len);
			buf_reset(&v->ev);
			httpd_stream_end(c);
			return;
		}
		respond_error(v, c, api, e.status, e.type,
			      e.param[0] ? e.param : NULL, e.msg);
		return;
	}
	req.seq = __atomic_add_fetch(&v->ctr.requests, 1, __ATOMIC_RELAXED);
	req.t_arrival_ns = loop_now_ns(v->loop);

	enum fault_kind f = fault_pick(&v->cfg.faults, req.seq);
	if (f != FAULT_NONE)
		ctr_add(&v->ctr.faults[f], 1);
	if (f == FAULT_429) {
		respond_error(v, c, api, 429, tgi ? "overloaded" : "RateLimitError",
			      NULL,
			      tgi ? "Model is overloaded"
				  : "infbench mock: injected rate limit");
		return;
	}
	if (f == FAULT_503) {
		respond_error(v, c, api, 503,
			      tgi ? "unhealthy" : "ServiceUnavailableError",
			      NULL, "infbench mock: injected service unavailable");
		return;
	}

	struct srv_stream *s = stream_alloc(v);
	s->conn = c;
	s->req = req;
	s->state = ST_ACTIVE;
	s->fault = (uint8_t)f;
	response_id(v, c, api, s->id);
	s->ctx.id = s->id;
	s->ctx.model = v->model;
	s->ctx.created = (int64_t)time(NULL);
	s->ctx.prompt_tokens = req.prompt_tokens;
	if (v->be_ops->admit) {
		int rc = v->be_ops->admit(v->be, s);
		if (rc) {
			stream_release(s);
			refuse(v, c, api, &req, rc);
			return;
		}
	}
	ctr_add(&v->ctr.prompt_tokens, (uint64_t)req.prompt_tokens);
	if (req.stream)
		httpd_stream_begin(c, 200, sse_type(api), NULL);
	httpd_conn_hold(c, s);
	v->active++;
	v->be_ops->submit(v->be, s); /* s may be gone after this */
}

static void route_tokenize(struct srv *v, struct httpd_conn *c,
			   const struct http1_req *hr)
{
	json_error_t je;
	json_t *root = json_loadb(hr->body, hr->body_len, 0, &je);
	buf_reset(&v->body);
	if (!json_is_object(root)) {
		respond_error(v, c, SRV_API_COMPLETIONS, 400, "BadRequestError",
			      NULL, "Invalid JSON body");
		goto out;
	}
	json_t *in = json_object_get(root, "inputs");
	if (json_is_string(in)) { /* TGI shape */
		wire_tokenize_tgi(&v->body, json_string_value(in),
				  json_string_length(in));
		respond_json(c, 200, &v->body);
		goto out;
	}
	json_t *p = json_object_get(root, "prompt");
	json_t *msgs = json_object_get(root, "messages");
	const char *texts[256];
	size_t lens[256], nt = 0;
	int64_t extra = 0;
	if (json_is_string(p)) {
		texts[nt] = json_string_value(p);
		lens[nt++] = json_string_length(p);
	} else if (json_is_array(msgs)) {
		size_t i;
		json_t *m;
		extra = v->cfg.chat_overhead_tok;
		json_array_foreach(msgs, i, m)
		{
			json_t *ct = json_object_get(m, "content");
			if (json_is_string(ct) && nt < 256) {
				texts[nt] = json_string_value(ct);
				lens[nt++] = json_string_length(ct);
			}
		}
	} else {
		respond_error(v, c, SRV_API_COMPLETIONS, 400,
			      "BadRequestError", "prompt",
			      "prompt (string) or messages required");
		goto out;
	}
	wire_tokenize_vllm(&v->body, texts, lens, nt, extra,
			   v->cfg.max_model_len);
	respond_json(c, 200, &v->body);
out:
	json_decref(root);
}

static void route_metrics(struct srv *v, struct httpd_conn *c)
{
	struct srv_gauges g = {0};
	struct httpd_stats hs;
	struct wire_metrics m = {0};
	static const char *fnames[FAULT__COUNT - 1];
	if (v->be_ops->gauges)
		v->be_ops->gauges(v->be, &g);
	else
		g.running = (double)v->active;
	httpd_get_stats(v->httpd, &hs);
	m.model = v->model;
	m.running = g.running;
	m.waiting = g.waiting;
	m.kv_usage = g.kv_usage;
	m.preemptions = g.preemptions;
	m.prompt_tokens = __atomic_load_n(&v->ctr.prompt_tokens, __ATOMIC_RELAXED);
	m.generation_tokens =
		__atomic_load_n(&v->ctr.generation_tokens, __ATOMIC_RELAXED);
	m.requests = __atomic_load_n(&v->ctr.requests, __ATOMIC_RELAXED);
	for (int k = 1; k < FAULT__COUNT; k++) {
		fnames[k - 1] = fault_name((enum fault_kind)k);
		m.faults[k - 1] = __atomic_load_n(&v->ctr.faults[k],
						  __ATOMIC_RELAXED);
	}
	m.fault_names = fnames;
	m.n_faults = FAULT__COUNT - 1;
	m.conns_open = hs.open;
	m.conns_accepted = hs.accepted;
	buf_reset(&v->body);
	if (v->be_ops->metrics) {
		struct srv_metrics_in in = {
			.model = v->model,
			.requests = m.requests,
			.completed = __atomic_load_n(&v->ctr.completed,
						     __ATOMIC_RELAXED),
			.prompt_tokens = m.prompt_tokens,
			.generation_tokens = m.generation_tokens,
		};
		v->be_ops->metrics(v->be, &in, &v->body);
		wire_metrics_infbench(&v->body, &m);
	} else {
		wire_metrics(&v->body, &m);
	}
	httpd_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", NULL,
		      v->body.data, v->body.len);
}

/* Which flavours answer a route (bit per enum srv_flavour). */
#define FL(f) (1u << SRV_FLAVOUR_##f)
#define FL_GEN 0xffffffffu /* generation and helper routes: every flavour */
#define FL_OPENAI_MODELS                                                 \
	(FL(ALL) | FL(VLLM) | FL(SGLANG) | FL(LMDEPLOY) | FL(TRTLLM) |  \
	 FL(TGI) | FL(LLAMACPP) | FL(OLLAMA))

enum route_id {
	RT_COMPLETIONS, RT_CHAT, RT_GENERATE_STREAM, RT_GENERATE, RT_TOKENIZE,
	RT_HEALTH, RT_MODELS, RT_VERSION, RT_INFO, RT_METRICS, RT_DCGM,
	RT_COMPLETION, RT_API_GENERATE, RT_PROPS, RT_SERVER_INFO,
	RT_MODEL_INFO, RT_API_VERSION, RT_API_TAGS, RT_V2, RT_V2_READY,
	RT_V2_INDEX,
};

static const struct {
	const char *path;
	int post;          /* 1 = POST route, 0 = GET route */
	unsigned flavours; /* who answers it */
	enum route_id id;
} routes[] = {
	{"/v1/completions", 1, FL_GEN, RT_COMPLETIONS},
	{"/v1/chat/completions", 1, FL_GEN, RT_CHAT},
	{"/generate_stream", 1, FL_GEN, RT_GENERATE_STREAM},
	{"/generate", 1, FL_GEN, RT_GENERATE},
	{"/tokenize", 1, FL_GEN, RT_TOKENIZE},
	{"/health", 0, FL_GEN, RT_HEALTH},
	{"/v1/models", 0, FL_OPENAI_MODELS, RT_MODELS},
	{"/version", 0, FL(ALL) | FL(VLLM) | FL(TRTLLM), RT_VERSION},
	{"/info", 0, FL(ALL) | FL(TGI), RT_INFO},
	{"/metrics", 0, FL_GEN, RT_METRICS},
	{"/dcgm/metrics", 0, FL_GEN, RT_DCGM},
	{"/completion", 1, FL_GEN, RT_COMPLETION},
	{"/api/generate", 1, FL_GEN, RT_API_GENERATE},
	{"/props", 0, FL(LLAMACPP), RT_PROPS},
	{"/get_server_info", 0, FL(SGLANG), RT_SERVER_INFO},
	{"/server_info", 0, FL(SGLANG), RT_SERVER_INFO},
	{"/get_model_info", 0, FL(SGLANG), RT_MODEL_INFO},
	{"/api/version", 0, FL(OLLAMA), RT_API_VERSION},
	{"/api/tags", 0, FL(OLLAMA), RT_API_TAGS},
	{"/v2", 0, FL(TRITON), RT_V2},
	{"/v2/health/ready", 0, FL(TRITON), RT_V2_READY},
	{"/v2/repository/index", 1, FL(TRITON), RT_V2_INDEX},
};

static const char not_found[] = "{\"detail\":\"Not Found\"}";

static void respond_404(struct httpd_conn *c)
{
	httpd_respond(c, 404, "application/json", NULL, not_found,
		      sizeof(not_found) - 1);
}

/* /v2/models/<m>/{generate_stream,generate,config}. Returns 0 when the
 * path is not one of them. */
static int route_triton(struct srv *v, struct httpd_conn *c,
			const struct http1_req *r)
{
	static const char pre[] = "/v2/models/";
	size_t pl = sizeof(pre) - 1;
	if (r->path_len <= pl || memcmp(r->target, pre, pl))
		return 0;
	const char *m = r->target + pl, *end = r->target + r->path_len;
	const char *slash = memchr(m, '/', (size_t)(end - m));
	if (!slash)
		return 0;
	size_t ml = (size_t)(slash - m);
	size_t tl = (size_t)(end - slash - 1);
	const char *tail = slash + 1;
	int post = r->method == HTTP1_POST;
	enum srv_api api;
	if (tl == 15 && !memcmp(tail, "generate_stream", 15))
		api = SRV_API_TRITON_STREAM;
	else if (tl == 8 && !memcmp(tail, "generate", 8))
		api = SRV_API_TRITON_GENERATE;
	else if (tl == 6 && !memcmp(tail, "config", 6))
		api = SRV_API_COMPLETIONS; /* marker: config */
	else
		return 0;
	buf_reset(&v->body);
	if (strlen(v->model) != ml || memcmp(m, v->model, ml)) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "Request for unknown model: '%.*s' is not found",
			 (int)(ml < 128 ? ml : 128), m);
		respond_error(v, c, SRV_API_TRITON_STREAM, 400, "", NULL, msg);
		return 1;
	}
	if (api == SRV_API_COMPLETIONS) {
		if (post) {
			httpd_respond(c, 405, "application/json",
				      "allow: GET\r\n", not_found, 0);
			return 1;
		}
		wire_triton_config(&v->body, v->model);
		respond_json(c, 200, &v->body);
		return 1;
	}
	if (!post) {
		httpd_respond(c, 405, "application/json", "allow: POST\r\n",
			      not_found, 0);
		return 1;
	}
	route_generate(v, c, r, api);
	return 1;
}

static void on_request(void *ud, struct httpd_conn *c,
		       const struct http1_req *r)
{
	struct srv *v = ud;
	int get = r->method == HTTP1_GET || r->method == HTTP1_HEAD;
	int post = r->method == HTTP1_POST;
	static const char not_allowed[] = "{\"detail\":\"Method Not Allowed\"}";
	unsigned me = 1u << v->cfg.flavour;
	int known = -1;
	if (route_triton(v, c, r))
		return;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if ((routes[i].flavours & me) && path_is(r, routes[i].path))
			known = (int)i;
	if (known < 0) {
		respond_404(c);
		return;
	}
	if ((routes[known].post && !post) || (!routes[known].post && !get)) {
		httpd_respond(c, 405, "application/json",
			      routes[known].post ? "allow: POST\r\n"
						 : "allow: GET\r\n",
			      not_allowed, sizeof(not_allowed) - 1);
		return;
	}
	buf_reset(&v->body);
	int64_t now_s = (int64_t)time(NULL);
	switch (routes[known].id) {
	case RT_COMPLETIONS:
		route_generate(v, c, r, SRV_API_COMPLETIONS);
		break;
	case RT_CHAT:
		route_generate(v, c, r, SRV_API_CHAT);
		break;
	case RT_GENERATE_STREAM:
		route_generate(v, c, r, SRV_API_TGI_STREAM);
		break;
	case RT_GENERATE: {
		enum srv_api a;
		if (v->cfg.flavour == SRV_FLAVOUR_SGLANG)
			a = SRV_API_SGLANG;
		else if (v->cfg.flavour == SRV_FLAVOUR_LMDEPLOY)
			a = SRV_API_LMDEPLOY;
		else if (v->cfg.flavour == SRV_FLAVOUR_TGI)
			a = SRV_API_TGI_GENERATE;
		else
			a = request_generate_shape(r->body, r->body_len);
		route_generate(v, c, r, a);
		break;
	}
	case RT_TOKENIZE:
		route_tokenize(v, c, r);
		break;
	case RT_HEALTH:
		httpd_respond(c, 200, NULL, NULL, "", 0);
		break;
	case RT_MODELS:
		switch (v->cfg.flavour) {
		case SRV_FLAVOUR_SGLANG:
			wire_models_as(&v->body, v->model,
				       v->cfg.max_model_len, now_s, "sglang",
				       0);
			break;
		case SRV_FLAVOUR_LMDEPLOY:
			wire_models_as(&v->body, v->model, -1, now_s,
				       "lmdeploy", 0);
			break;
		case SRV_FLAVOUR_TRTLLM:
			wire_models_as(&v->body, v->model, -1, now_s,
				       "tensorrt_llm", 0);
			break;
		case SRV_FLAVOUR_TGI:
			wire_models_as(&v->body, v->model, -1, now_s, v->model,
				       0);
			break;
		case SRV_FLAVOUR_LLAMACPP:
			wire_models_as(&v->body, v->model, -1, now_s,
				       "llamacpp", 1);
			break;
		case SRV_FLAVOUR_OLLAMA:
			wire_models_as(&v->body, v->model, -1, now_s,
				       "library", 0);
			break;
		default:
			wire_models(&v->body, v->model, v->cfg.max_model_len,
				    now_s);
			break;
		}
		respond_json(c, 200, &v->body);
		break;
	case RT_VERSION:
		wire_version(&v->body, v->cfg.flavour == SRV_FLAVOUR_TRTLLM
					       ? "1.1.0"
					       : SRV_EMULATED_VLLM);
		respond_json(c, 200, &v->body);
		break;
	case RT_INFO:
		wire_tgi_info(&v->body, v->model, v->cfg.max_model_len,
			      v->cfg.max_concurrent);
		respond_json(c, 200, &v->body);
		break;
	case RT_METRICS:
		route_metrics(v, c);
		break;
	case RT_DCGM:
		if (!v->be_ops->dcgm) {
			respond_404(c);
			break;
		}
		v->be_ops->dcgm(v->be, &v->body);
		httpd_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8",
			      NULL, v->body.data ? v->body.data : "",
			      v->body.len);
		break;
	case RT_COMPLETION:
		route_generate(v, c, r, SRV_API_LLAMACPP);
		break;
	case RT_API_GENERATE:
		route_generate(v, c, r, SRV_API_OLLAMA);
		break;
	case RT_PROPS:
		wire_llamacpp_props(&v->body, v->model, v->cfg.max_model_len);
		respond_json(c, 200, &v->body);
		break;
	case RT_SERVER_INFO:
		wire_sglang_server_info(&v->body, v->model,
					v->cfg.max_model_len,
					v->cfg.max_concurrent);
		respond_json(c, 200, &v->body);
		break;
	case RT_MODEL_INFO:
		wire_sglang_model_info(&v->body, v->model);
		respond_json(c, 200, &v->body);
		break;
	case RT_API_VERSION:
		wire_version(&v->body, "0.12.6");
		respond_json(c, 200, &v->body);
		break;
	case RT_API_TAGS:
		wire_ollama_tags(&v->body, v->model);
		respond_json(c, 200, &v->body);
		break;
	case RT_V2:
		wire_triton_server(&v->body);
		respond_json(c, 200, &v->body);
		break;
	case RT_V2_READY:
		httpd_respond(c, 200, NULL, NULL, "", 0);
		break;
	case RT_V2_INDEX:
		wire_triton_index(&v->body, v->model);
		respond_json(c, 200, &v->body);
		break;
	}
}

static void on_abort(void *ud, struct httpd_conn *c, void *resp_ud)
{
	struct srv *v = ud;
	struct srv_stream *s = resp_ud;
	(void)c;
	if (!s)
		return;
	if (s->state == ST_ACTIVE) {
		v->be_ops->cancel(v->be, s);
		v->active--;
	}
	stream_release(s);
}

/* ---- lifecycle ---- */

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			warnf("serve: cannot raise the open-file limit");
	}
}

static void *thread_main(void *arg)
{
	struct srv *v = arg;
	int rc = loop_run(v->loop);
	if (rc)
		errorf("serve: event loop failed: %s", strerror(-rc));
	return NULL;
}

static void srv_free(struct srv *v)
{
	if (!v)
		return;
	httpd_free(v->httpd); /* aborts open streams via on_abort */
	if (v->be)
		v->be_ops->destroy(v->be);
	loop_free(v->loop);
	for (size_t i = 0; i < v->n_blocks; i++)
		free(v->blocks[i]);
	free(v->blocks);
	buf_free(&v->ev);
	buf_free(&v->body);
	free(v->host);
	free(v->model);
	free(v);
}

struct srv *srv_start(const struct srv_config *cfg, char **err)
{
	struct srv *v = xcalloc(1, sizeof(*v));
	static const struct httpd_ops hops = {on_request, on_abort};
	char *e = NULL;
	int rc;

	v->cfg = *cfg;
	v->host = xstrdup(cfg->host ? cfg->host : "127.0.0.1");
	v->model = xstrdup(cfg->model ? cfg->model : "mock-model");
	v->cfg.host = v->host;
	v->cfg.model = v->model;
	v->cfg.faults.seed = v->cfg.mock.seed;
	buf_init(&v->ev, SRV_MAX_EVENT);
	buf_init(&v->body, SRV_MAX_EVENT);
	rng_seed(&v->id_rng, cfg->mock.seed ^ 0x6964ULL);
	if (fault_validate(&v->cfg.faults)) {
		e = xstrdup("fault probabilities must be in [0,1] and sum to "
			    "at most 1");
		goto fail;
	}
	v->be_ops = cfg->backend ? cfg->backend : &mock_backend_ops;
	v->slot_bytes = sizeof(struct srv_stream) + v->be_ops->priv_bytes;
	v->slot_bytes = (v->slot_bytes + alignof(max_align_t) - 1) /
			alignof(max_align_t) * alignof(max_align_t);
	raise_nofile();
	if ((rc = loop_new(&v->loop))) {
		e = xasprintf("event loop: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = v->be_ops->create(v->loop,
				    cfg->backend ? cfg->backend_arg
						 : (const void *)&cfg->mock,
				    &v->be, &e)))
		goto fail;
	if (v->be_ops->limits) {
		struct srv_limits lim = {0};
		v->be_ops->limits(v->be, &lim);
		if (lim.max_model_len > 0)
			v->cfg.max_model_len = lim.max_model_len;
		if (lim.max_concurrent > 0)
			v->cfg.max_concurrent = lim.max_concurrent;
	}
	struct httpd_config hc = {
		.host = v->host,
		.port = cfg->port,
		.close_after = cfg->close_after,
		.reuse_port = cfg->reuse_port,
		.max_out_bytes = cfg->max_out_bytes,
		.server_name = "infbench-mock",
	};
	if ((rc = httpd_new(v->loop, &hc, &hops, v, &v->httpd, &e)))
		goto fail;
	if ((rc = pthread_create(&v->thread, NULL, thread_main, v))) {
		e = xasprintf("thread: %s", strerror(rc));
		goto fail;
	}
	v->started = 1;
	return v;
fail:
	if (err)
		*err = e ? e : xstrdup("cannot start server");
	else
		free(e);
	srv_free(v);
	return NULL;
}

int srv_port(const struct srv *v)
{
	return httpd_port(v->httpd);
}

void srv_stop(struct srv *v)
{
	if (!v)
		return;
	if (v->started) {
		loop_stop(v->loop);
		pthread_join(v->thread, NULL);
	}
	srv_free(v);
}

void srv_get_counters(const struct srv *v, struct srv_counters *out)
{
	const uint64_t *src = (const uint64_t *)&v->ctr;
	uint64_t *dst = (uint64_t *)out;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
