/* srvtok.c - the server's /tokenize as a token counter. */
#include "workload/srvtok.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "net/client.h"

struct srvtok {
	char *url;
	char *model;
	enum srvtok_shape shape;
	const struct curl_slist *headers;
	int insecure;
	uint64_t calls;
};

struct srvtok *srvtok_new(const char *base, const char *model,
			  enum srvtok_shape shape,
			  const struct curl_slist *headers, int insecure)
{
	struct srvtok *s = xcalloc(1, sizeof(*s));
	s->url = xasprintf("%s/tokenize", base);
	s->model = model ? xstrdup(model) : NULL;
	s->shape = shape;
	s->headers = headers;
	s->insecure = insecure;
	return s;
}

void srvtok_free(struct srvtok *s)
{
	if (!s)
		return;
	free(s->url);
	free(s->model);
	free(s);
}

const char *srvtok_shape_name(const struct srvtok *s)
{
	switch (s->shape) {
	case SRVTOK_VLLM:
		return "vllm";
	case SRVTOK_TGI:
		return "tgi";
	case SRVTOK_LLAMACPP:
		return "llama.cpp";
	default:
		return "auto";
	}
}

uint64_t srvtok_calls(const struct srvtok *s)
{
	return s->calls;
}

int srvtok_parse_reply(enum srvtok_shape shape, const char *body, size_t len,
		       int32_t *n)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	int rc = -EINVAL;
	json_t *v;
	switch (shape) {
	case SRVTOK_TGI:
		if (json_is_array(j)) {
			*n = (int32_t)json_array_size(j);
			rc = 0;
		}
		break;
	case SRVTOK_LLAMACPP:
		v = json_object_get(j, "tokens");
		if (json_is_array(v)) {
			*n = (int32_t)json_array_size(v);
			rc = 0;
		}
		break;
	default:
		v = json_object_get(j, "count");
		if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= INT32_MAX) {
			*n = (int32_t)json_integer_value(v);
			rc = 0;
		}
		break;
	}
	json_decref(j);
	return rc;
}

static char *body_for(const struct srvtok *s, enum srvtok_shape shape,
		      const char *text, size_t len)
{
	json_t *o = json_object();
	json_t *t = json_stringn(text, len);
	if (!t) {
		json_decref(o);
		return NULL;
	}
	switch (shape) {
	case SRVTOK_TGI:
		json_object_set_new(o, "inputs", t);
		break;
	case SRVTOK_LLAMACPP:
		json_object_set_new(o, "content", t);
		json_object_set_new(o, "add_special", json_true());
		break;
	default:
		if (s->model)
			json_object_set_new(o, "model", json_string(s->model));
		json_object_set_new(o, "prompt", t);
		break;
	}
	char *b = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return b;
}

static int try_shape(struct srvtok *s, enum srvtok_shape shape,
		     const char *text, size_t len, int32_t *n, char **err)
{
	struct buf reply;
	long status = 0;
	int rc;
	char *body = body_for(s, shape, text, len);
	buf_init(&reply, SRVTOK_MAX_REPLY);
	if (!body) {
		*err = xstrdup("text is not valid UTF-8");
		rc = -EILSEQ;
		goto out;
	}
	s->calls++;
	rc = http_fetch(s->url, s->headers, body, 30, s->insecure, &reply,
			&status, err);
	if (rc)
		goto out;
	if (status != 200) {
		*err = xasprintf("%s answered HTTP %ld", s->url, status);
		rc = -EIO;
		goto out;
	}
	if (srvtok_parse_reply(shape, reply.data ? reply.data : "", reply.len,
			       n)) {
		*err = xasprintf("%s: reply is not a %s tokenize answer",
				 s->url,
				 shape == SRVTOK_TGI ? "TGI"
				 : shape == SRVTOK_LLAMACPP ? "llama.cpp"
							    : "vLLM");
		rc = -EPROTO;
	}
out:
	free(body);
	buf_free(&reply);
	return rc;
}

int srvtok_count(struct srvtok *s, const char *text, size_t len, int32_t *n,
		 char **err)
{
	*err = NULL;
	if (s->shape != SRVTOK_AUTO)
		return try_shape(s, s->shape, text, len, n, err);
	int rc = try_shape(s, SRVTOK_VLLM, text, len, n, err);
	if (!rc) {
		s->shape = SRVTOK_VLLM;
		return 0;
	}
	char *e1 = *err;
	*err = NULL;
	rc = try_shape(s, SRVTOK_LLAMACPP, text, len, n, err);
	if (!rc) {
		s->shape = SRVTOK_LLAMACPP;
		free(e1);
		return 0;
	}
	char *e2 = *err;
	*err = xasprintf("no /tokenize route answered (vLLM shape: %s; "
			 "llama.cpp shape: %s)",
			 e1 ? e1 : "error", e2 ? e2 : "error");
	free(e1);
	free(e2);
	return rc;
}
