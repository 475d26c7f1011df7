/* proto.c - the adapter registry: names and aliases, routes, stream state.
 * What adapters share on the event path is in adapter.c. */
#include "proto/proto.h"

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
