/* proto.c - adapter registry and helpers shared by adapters. */
#include "proto/proto.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	const struct proto_ops *ops;
} names[] = {
	{"openai-completions", &proto_openai_completions},
	{"completions", &proto_openai_completions},
	{"openai", &proto_openai_completions},
	{"vllm", &proto_openai_completions},
	{"openai-chat", &proto_openai_chat},
	{"chat", &proto_openai_chat},
	{"tgi", &proto_tgi},
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
	return "openai-completions, openai-chat, tgi";
}

void proto_stream_init(struct proto_stream *st, struct buf *text)
{
	memset(st, 0, sizeof(*st));
	st->text = text;
}

int proto__merge_extra(void *obj, const char *extra_body)
{
	if (!extra_body || !*extra_body)
		return 0;
	json_error_t jerr;
	json_t *x = json_loads(extra_body, 0, &jerr);
	if (!x || !json_is_object(x)) {
		json_decref(x);
		return -EINVAL;
	}
	json_object_update(obj, x);
	json_decref(x);
	return 0;
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
