/* proto.c - adapter registry and helpers shared by adapters. */
#include "proto/proto.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "proto/jscan.h"

static const struct {
	const char *name;
	const struct proto_ops *ops;
} names[] = {
	{"openai-completions", &proto_openai_completions},
	{"completions", &proto_openai_completions},
	{"openai", &proto_openai_completions},
	{"vllm", &proto_openai_completions},
	{"vllm-completions", &proto_openai_completions},
	{"openai-chat", &proto_openai_chat},
	{"chat", &proto_openai_chat},
	{"vllm-chat", &proto_openai_chat},
	{"sglang-completions", &proto_sglang_completions},
	{"sglang-chat", &proto_sglang_chat},
	{"lmdeploy-completions", &proto_lmdeploy_completions},
	{"lmdeploy-chat", &proto_lmdeploy_chat},
	{"trtllm-completions", &proto_trtllm_completions},
	{"trtllm", &proto_trtllm_completions},
	{"trtllm-chat", &proto_trtllm_chat},
	{"tgi", &proto_tgi},
	{"sglang-generate", &proto_sglang_generate},
	{"sglang", &proto_sglang_generate},
	{"lmdeploy-generate", &proto_lmdeploy_generate},
	{"lmdeploy", &proto_lmdeploy_generate},
	{"triton", &proto_triton},
	{"triton-generate", &proto_triton},
	{"llamacpp", &proto_llamacpp},
	{"llama.cpp", &proto_llamacpp},
	{"llamacpp-completion", &proto_llamacpp},
	{"ollama", &proto_ollama},
	{"ollama-generate", &proto_ollama},
};

const struct proto_ops *proto_find(const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(names[i].name, name))
			return names[i].ops;
	return NULL;
}

const char *proto_names(void)
{
	return "auto, openai-completions (vllm), openai-chat, "
	       "sglang-completions, sglang-chat, sglang-generate, "
	       "lmdeploy-completions, lmdeploy-chat, lmdeploy-generate, "
	       "trtllm-completions, trtllm-chat, triton, tgi, llamacpp, ollama";
}

char *proto_route(const struct proto_ops *api, const char *model)
{
	const char *p = api->default_path;
	const char *m = strstr(p, "{model}");
	if (!m)
		return xstrdup(p);
	return xasprintf("%.*s%s%s", (int)(m - p), p, model ? model : "model",
			 m + 7);
}

void proto_stream_init(struct proto_stream *st, struct buf *text)
{
	memset(st, 0, sizeof(*st));
	st->text = text;
	st->srv_load_ns = st->srv_prompt_ns = -1;
	st->srv_decode_ns = st->srv_total_ns = -1;
}

void proto__event_init(struct proto_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->tokens = -1;
	ev->prompt_tokens = ev->completion_tokens = -1;
}

void proto__fields_compile(struct proto__fields *t)
{
	jscan_compile(t->paths, t->n);
	atomic_store_explicit(&t->compiled, 1, memory_order_release);
}

int proto__fields_parse(struct proto__fields *t, const char *data,
			size_t len, struct jscan_field *f,
			struct proto_event *ev)
{
	static pthread_mutex_t compile_mu = PTHREAD_MUTEX_INITIALIZER;
	if (!atomic_load_explicit(&t->compiled, memory_order_acquire)) {
		pthread_mutex_lock(&compile_mu);
		if (!atomic_load_explicit(&t->compiled, memory_order_relaxed))
			proto__fields_compile(t);
		pthread_mutex_unlock(&compile_mu);
	}
	if (jscan_parse(data, len, t->paths, f, t->n) ||
	    f[t->root].type != JSCAN_OBJECT) {
		proto__bad_event(data, len, ev);
		return -1;
	}
	if (f[t->error].type != JSCAN_ABSENT ||
	    (t->object >= 0 && jscan_str_eq(&f[t->object], "error"))) {
		proto__error_from(data, len, ev);
		return -1;
	}
	return 0;
}

void proto__bad_event(const char *data, size_t len, struct proto_event *ev)
{
	ev->kind = PEV_BAD;
	snprintf(ev->error, sizeof(ev->error), "unparsable event: %.*s",
		 (int)(len < 60 ? len : 60), data);
}

void proto__error_from(const char *data, size_t len, struct proto_event *ev)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, 0, &jerr);
	proto__error_event(root, ev);
	json_decref(root);
}

size_t proto__text(struct proto_stream *st, const void *field, size_t from)
{
	const struct jscan_field *f = field;
	if (f->type != JSCAN_STRING)
		return 0;
	size_t n = jscan_str_len(f);
	if (st->text && n > from) {
		char tmp[512];
		char *dst = n <= sizeof(tmp) ? tmp : malloc(n);
		if (!dst)
			return n;
		jscan_str_copy(f, dst);
		buf_append(st->text, dst + from, n - from);
		if (dst != tmp)
			free(dst);
	}
	return n;
}

void proto__error_event(void *root, struct proto_event *ev)
{
	json_t *e = json_object_get(root, "error");
	const char *msg = NULL, *type = NULL;
	json_int_t code = 0;
	if (json_is_string(e)) {
		msg = json_string_value(e); /* TGI, Triton */
		type = json_string_value(json_object_get(root, "error_type"));
	} else if (json_is_object(e)) { /* vLLM >= 0.10.1, llama.cpp */
		msg = json_string_value(json_object_get(e, "message"));
		type = json_string_value(json_object_get(e, "type"));
		json_t *c = json_object_get(e, "code");
		if (json_is_integer(c))
			code = json_integer_value(c);
	} else { /* flat {"object":"error","message":...} */
		msg = json_string_value(json_object_get(root, "message"));
		type = json_string_value(json_object_get(root, "type"));
	}
	ev->kind = PEV_ERROR;
	if (code)
		snprintf(ev->error, sizeof(ev->error), "%s%s%s (code %lld)",
			 type ? type : "", type ? ": " : "",
			 msg ? msg : "error", (long long)code);
	else
		snprintf(ev->error, sizeof(ev->error), "%s%s%s",
			 type ? type : "", type ? ": " : "",
			 msg ? msg : "error");
}
