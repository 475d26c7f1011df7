/* feed.h - push a recorded stream through the SSE/NDJSON parser into an
 * adapter in random byte splits, and total what the adapter reported.
 * Shared by the adapter tests (header-only, static functions). */
#ifndef INFBENCH_TESTS_PROTO_FEED_H
#define INFBENCH_TESTS_PROTO_FEED_H

#include <string.h>

#include "core/buf.h"
#include "core/rng.h"
#include "proto/ndjson.h"
#include "proto/proto.h"
#include "proto/sse.h"
#include "test.h"

struct feed_sum {
	const struct proto_ops *ops;
	struct proto_stream st;
	struct buf text;
	int n_token, n_usage, n_error, n_bad, n_done, n_unknown;
	int64_t tokens;          /* sum of exact deltas */
	int32_t prompt, completion; /* last reported, -1 none */
	int finished;
	char deltas[256];        /* "1,3,1" */
	char error[256];
};

static int feed__cb(void *ud, const char *data, size_t len)
{
	struct feed_sum *s = ud;
	struct proto_event ev;
	s->ops->on_event(&s->st, data, len, &ev);
	if (ev.prompt_tokens >= 0)
		s->prompt = ev.prompt_tokens;
	if (ev.completion_tokens >= 0)
		s->completion = ev.completion_tokens;
	s->finished |= ev.finished;
	switch (ev.kind) {
	case PEV_TOKEN: {
		size_t l = strlen(s->deltas);
		snprintf(s->deltas + l, sizeof(s->deltas) - l, "%s%d",
			 l ? "," : "", (int)ev.tokens);
		s->n_token++;
		if (ev.tokens >= 0)
			s->tokens += ev.tokens;
		else
			s->n_unknown++;
		break;
	}
	case PEV_USAGE:
		s->n_usage++;
		break;
	case PEV_DONE:
		s->n_done++;
		break;
	case PEV_ERROR:
		s->n_error++;
		snprintf(s->error, sizeof(s->error), "%s", ev.error);
		break;
	case PEV_BAD:
		s->n_bad++;
		break;
	default:
		break;
	}
	return 0;
}

/* mode 0: whole buffer; 1: byte by byte; 2: random 1..9-byte pieces. */
static void feed_stream(const struct proto_ops *o, const char *bytes,
			int mode, uint64_t seed, struct feed_sum *s)
{
	struct rng r;
	struct sse sp;
	struct ndjson np;
	size_t len = strlen(bytes), i = 0;
	memset(s, 0, sizeof(*s));
	s->ops = o;
	s->prompt = s->completion = -1;
	buf_init(&s->text, 0);
	proto_stream_init(&s->st, &s->text);
	rng_seed(&r, seed);
	sse_init(&sp);
	ndjson_init(&np);
	while (i < len) {
		size_t n = mode == 0   ? len - i
			   : mode == 1 ? 1
				       : (size_t)rng_int(&r, 1, 9);
		if (n > len - i)
			n = len - i;
		int rc = o->ndjson ? ndjson_feed(&np, bytes + i, n, feed__cb, s)
				   : sse_feed(&sp, bytes + i, n, feed__cb, s);
		ASSERT_EQ(rc, 0);
		i += n;
	}
	if (o->ndjson)
		ndjson_finish(&np, feed__cb, s);
	else
		sse_finish(&sp, feed__cb, s);
	sse_free(&sp);
	ndjson_free(&np);
}

/* Feed in every mode (and several random seeds); each run must report the
 * same as the whole-buffer run. Leaves the whole-buffer result in *s. */
static void feed_all_splits(const struct proto_ops *o, const char *bytes,
			    struct feed_sum *s)
{
	feed_stream(o, bytes, 0, 0, s);
	for (int k = 0; k < 12; k++) {
		struct feed_sum t;
		feed_stream(o, bytes, k == 0 ? 1 : 2, (uint64_t)k, &t);
		ASSERT_EQ(t.tokens, s->tokens);
		ASSERT_EQ(t.n_token, s->n_token);
		ASSERT_EQ(t.n_usage, s->n_usage);
		ASSERT_EQ(t.n_error, s->n_error);
		ASSERT_EQ(t.completion, s->completion);
		ASSERT_EQ(t.prompt, s->prompt);
		ASSERT_STR_EQ(t.deltas, s->deltas);
		ASSERT_STR_EQ(t.text.data ? t.text.data : "",
			      s->text.data ? s->text.data : "");
		ASSERT_EQ(o->complete(&t.st), o->complete(&s->st));
		buf_free(&t.text);
	}
}

#endif
