/* record.c - one request's measured life. */
#include "results/record.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

static const char *const outcome_names[REC__COUNT] = {
	[REC_OK] = "ok",
	[REC_HTTP_ERROR] = "http_error",
	[REC_STREAM_ERROR] = "stream_error",
	[REC_CONNECT_FAILED] = "connect_failed",
	[REC_TIMEOUT_CONNECT] = "timeout_connect",
	[REC_TIMEOUT_FIRST_TOKEN] = "timeout_first_token",
	[REC_TIMEOUT_TOTAL] = "timeout_total",
	[REC_CONN_RESET] = "connection_reset",
	[REC_TRUNCATED] = "truncated",
	[REC_BAD_EVENT] = "bad_event",
	[REC_NO_TOKENS] = "no_tokens",
	[REC_CANCELLED] = "cancelled",
	[REC_NOT_SENT] = "not_sent",
};

const char *rec_outcome_name(enum rec_outcome o)
{
	return (unsigned)o < REC__COUNT ? outcome_names[o] : "unknown";
}

const char *rec_count_src_name(enum rec_count_src s)
{
	switch (s) {
	case REC_COUNT_USAGE:
		return "server";
	case REC_COUNT_CHUNK:
		return "chunks";
	case REC_COUNT_TOKENIZER:
		return "tokenizer";
	case REC_COUNT_EVENTS:
		return "estimate";
	default:
		return "none";
	}
}

void rec_init(struct rec *r, uint32_t id)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->outcome = REC__COUNT; /* unset */
	r->prompt_tokens = -1;
	r->completion_tokens = -1;
	r->t_send_ns = -1;
	r->t_first_byte_ns = -1;
	r->t_done_ns = -1;
	r->worker = -1;
}

void rec_free(struct rec *r)
{
	if (!r)
		return;
	free(r->events);
	free(r->error);
	free(r->text);
	r->events = NULL;
	r->error = NULL;
	r->text = NULL;
	r->n_events = r->cap_events = 0;
}

void rec_reserve_events(struct rec *r, uint32_t n)
{
	if (n <= r->cap_events)
		return;
	size_t cap = r->cap_events;
	xgrow((void **)&r->events, &cap, n, sizeof(struct rec_event));
	r->cap_events = (uint32_t)cap;
}

void rec_push_event(struct rec *r, int64_t t_ns, int32_t tokens,
		    uint32_t text_bytes)
{
	if (r->n_events == r->cap_events) {
		size_t cap = r->cap_events;
		xgrow((void **)&r->events, &cap, (size_t)r->n_events + 1,
		      sizeof(struct rec_event));
		r->cap_events = (uint32_t)cap;
	}
	struct rec_event *e = &r->events[r->n_events++];
	e->t_ns = t_ns;
	e->tokens = tokens;
	e->text_bytes = text_bytes;
}

void rec_set_outcome(struct rec *r, enum rec_outcome o, const char *error)
{
	if (r->outcome != REC__COUNT)
		return;
	r->outcome = (uint8_t)o;
	if (error)
		r->error = xstrdup(error);
}

int32_t rec_out_tokens(const struct rec *r, int32_t tokenizer_count,
		       enum rec_count_src *src)
{
	enum rec_count_src s = REC_COUNT_NONE;
	int32_t n = 0;
	if (r->completion_tokens > 0) {
		s = REC_COUNT_USAGE;
		n = r->completion_tokens;
		goto out;
	}
	int exact = r->n_events > 0;
	int64_t sum = 0, with_text = 0;
	for (uint32_t i = 0; i < r->n_events; i++) {
		if (r->events[i].tokens < 0)
			exact = 0;
		else
			sum += r->events[i].tokens;
		if (r->events[i].text_bytes > 0 || r->events[i].tokens > 0)
			with_text++;
	}
	if (exact && sum > 0) {
		s = REC_COUNT_CHUNK;
		n = (int32_t)sum;
	} else if (tokenizer_count >= 0) {
		s = REC_COUNT_TOKENIZER;
		n = tokenizer_count;
	} else if (with_text > 0) {
		s = REC_COUNT_EVENTS;
		n = (int32_t)with_text;
	}
out:
	if (src)
		*src = s;
	return n;
}
