/* adapter.c - what the adapters share on the event path. */
#include "proto/adapter.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"

/* ev as PEV_ERROR from root's "error" member (object or string) or the
 * flat {"object":"error","message"} form. */
static void error_event(json_t *root, struct proto_event *ev)
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

void proto__error_from(const char *data, size_t len, struct proto_event *ev)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, 0, &jerr);
	error_event(root, ev);
	json_decref(root);
}

void proto__bad_event(const char *data, size_t len, struct proto_event *ev)
{
	ev->kind = PEV_BAD;
	snprintf(ev->error, sizeof(ev->error), "unparsable event: %.*s",
		 (int)(len < 60 ? len : 60), data);
}

void proto__fields_compile(struct proto__fields *t)
{
	jscan_compile(t->paths, t->n);
	atomic_store_explicit(&t->compiled, 1, memory_order_release);
}

void proto__fields_compile_once(struct proto__fields *t)
{
	static pthread_mutex_t compile_mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&compile_mu);
	if (!atomic_load_explicit(&t->compiled, memory_order_relaxed))
		proto__fields_compile(t);
	pthread_mutex_unlock(&compile_mu);
}

void proto__bad_shape(struct proto_event *ev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ev->kind = PEV_BAD;
	vsnprintf(ev->error, sizeof(ev->error), fmt, ap);
	va_end(ap);
}

void proto__text_keep(struct proto_stream *st, const struct jscan_field *f,
		      size_t n, size_t from)
{
	char tmp[512];
	char *dst = n <= sizeof(tmp) ? tmp : malloc(n);
	if (!dst)
		return;
	jscan_str_copy(f, dst);
	buf_append(st->text, dst + from, n - from);
	if (dst != tmp)
		free(dst);
}

int proto__complete_on_finish(const struct proto_stream *st)
{
	return st->saw_finish;
}

int proto__complete_on_done_or_finish(const struct proto_stream *st)
{
	return st->saw_done || st->saw_finish;
}
