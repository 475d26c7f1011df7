/* adapter_test.c - the helpers adapters share (proto/adapter.h): the event
 * prologue and its lazily compiled table (also from several threads at
 * once), token counts and cumulative deltas, token-or-usage kind, end
 * markers, kept text, and the request-body helpers (proto/body.h). */
#include <errno.h>
#include <math.h>
#include <pthread.h>

#include "proto/adapter.h"
#include "proto/body.h"
#include "test.h"

enum { A_ERROR, A_OBJECT, A_TEXT, A_N, A__N };

static struct jscan_path paths[A__N] = {
	[A_ERROR] = {{"error"}, 1},
	[A_OBJECT] = {{"object"}, 1},
	[A_TEXT] = {{"x", "text"}, 2},
	[A_N] = {{"x", "n"}, 2},
};

static struct proto__fields table = {
	.paths = paths, .n = A__N, .error = A_ERROR,
	.object = A_OBJECT,
};

/* Through a stream with a memo kept across calls, as the engine's slots
 * parse. */
static struct jscan_memo memo;

static int parse(struct proto__fields *t, const char *s,
		 struct jscan_field *f, struct proto_event *ev)
{
	struct proto_stream st;
	proto_stream_init(&st, NULL);
	st.memo = &memo;
	proto__event_init(ev);
	const struct jscan_field *r =
		proto__fields_parse(t, &st, s, strlen(s), f, ev);
	if (!r)
		return -1;
	if (r != f) /* the memo's own fields: a match */
		memcpy(f, r, t->n * sizeof(*f));
	return 0;
}

static void test_prologue(void)
{
	struct jscan_field f[A__N];
	struct proto_event ev;
	ASSERT_EQ(parse(&table, "{\"x\":{\"text\":\"hi\",\"n\":3}}", f, &ev),
		  0);
	ASSERT_EQ(ev.kind, PEV_IGNORE);
	ASSERT_EQ(f[A_TEXT].type, JSCAN_STRING);
	ASSERT_EQ(proto__count(&f[A_N]), 3);
	ASSERT_EQ(proto__count(&f[A_TEXT]), -1); /* not an integer */
	ASSERT_EQ(proto__count(&f[A_OBJECT]), -1); /* absent */

	ASSERT_EQ(parse(&table, "{\"x\":", f, &ev), -1);
	ASSERT_EQ(ev.kind, PEV_BAD);
	ASSERT_STR_EQ(ev.error, "unparsable event: {\"x\":");
	ASSERT_EQ(parse(&table, "[1]", f, &ev), -1); /* valid, not an object */
	ASSERT_EQ(ev.kind, PEV_BAD);
	ASSERT_EQ(parse(&table, " \t[{}]", f, &ev), -1);
	ASSERT_EQ(ev.kind, PEV_BAD);
	ASSERT_EQ(parse(&table, "\"{}\"", f, &ev), -1);
	ASSERT_EQ(parse(&table, "7", f, &ev), -1);
	ASSERT_EQ(parse(&table, " \t\r\n{\"x\":{\"n\":4}} ", f, &ev), 0);
	ASSERT_EQ(proto__count(&f[A_N]), 4);

	ASSERT_EQ(parse(&table, "{\"error\":{\"message\":\"m\",\"type\":\"t\","
				"\"code\":503}}",
			f, &ev),
		  -1);
	ASSERT_EQ(ev.kind, PEV_ERROR);
	ASSERT_STR_EQ(ev.error, "t: m (code 503)");
	ASSERT_EQ(parse(&table, "{\"error\":\"busy\",\"error_type\":\"over\"}",
			f, &ev),
		  -1);
	ASSERT_STR_EQ(ev.error, "over: busy");
	ASSERT_EQ(parse(&table, "{\"object\":\"error\",\"message\":\"flat\"}",
			f, &ev),
		  -1);
	ASSERT_EQ(ev.kind, PEV_ERROR);
	ASSERT_STR_EQ(ev.error, "flat");

	/* Without an object index, "object":"error" is an ordinary event. */
	struct proto__fields noobj = {.paths = paths, .n = A__N,
				      .error = A_ERROR,
				      .object = -1};
	ASSERT_EQ(parse(&noobj, "{\"object\":\"error\"}", f, &ev), 0);
	ASSERT_EQ(ev.kind, PEV_IGNORE);
}

/* First use of a table from several threads at once: each sees it
 * compiled (the run under ASan/TSan is what catches a race). */
static struct jscan_path tpaths[2] = {[0] = {{"error"}, 1},
				      [1] = {{"a", "0"}, 2}};
static struct proto__fields ttable = {.paths = tpaths, .n = 2, .error = 0,
				      .object = -1};
static pthread_barrier_t barrier;

static void *first_use(void *arg)
{
	int *ok = arg;
	struct jscan_field f[2];
	struct proto_event ev;
	struct proto_stream st;
	proto_stream_init(&st, NULL);
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < 1000; i++) {
		proto__event_init(&ev);
		const struct jscan_field *r = proto__fields_parse(
			&ttable, &st, "{\"a\":[7]}", 9, f, &ev);
		if (!r || proto__count(&r[1]) != 7)
			return NULL;
	}
	*ok = 1;
	return NULL;
}

static void test_concurrent_first_use(void)
{
	enum { N = 8 };
	pthread_t th[N];
	int ok[N] = {0};
	ASSERT_EQ(pthread_barrier_init(&barrier, NULL, N), 0);
	for (int i = 0; i < N; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, first_use, &ok[i]), 0);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&barrier);
	for (int i = 0; i < N; i++)
		ASSERT_EQ(ok[i], 1);
	ASSERT_EQ(atomic_load(&ttable.compiled), 1);
}

static void test_counts_and_kind(void)
{
	struct proto_stream st;
	proto_stream_init(&st, NULL);
	ASSERT_EQ(proto__count_delta(&st, 3), 3);
	ASSERT_EQ(proto__count_delta(&st, 3), 0);
	ASSERT_EQ(proto__count_delta(&st, 7), 4);
	ASSERT_EQ(proto__count_delta(&st, 5), 0); /* went backwards */
	ASSERT_EQ(st.last_completion_tokens, 5);
	ASSERT_EQ(proto__count_delta(&st, 6), 1);

	struct proto_event ev;
	proto__event_init(&ev);
	ASSERT_EQ(ev.kind, PEV_IGNORE);
	ASSERT_EQ(ev.tokens, -1);
	ASSERT_EQ(ev.prompt_tokens, -1);
	ASSERT_EQ(ev.completion_tokens, -1);
	proto__kind_by_tokens(&ev); /* unknown count, no text */
	ASSERT_EQ(ev.kind, PEV_USAGE);
	ev.text_bytes = 2;
	proto__kind_by_tokens(&ev); /* unknown count, text */
	ASSERT_EQ(ev.kind, PEV_TOKEN);
	ev.tokens = 0;
	proto__kind_by_tokens(&ev); /* repeats the count */
	ASSERT_EQ(ev.kind, PEV_USAGE);
	ev.tokens = 2;
	ev.text_bytes = 0;
	proto__kind_by_tokens(&ev);
	ASSERT_EQ(ev.kind, PEV_TOKEN);
}

static void test_markers(void)
{
	struct proto_stream st;
	struct proto_event ev;
	proto_stream_init(&st, NULL);
	proto__event_init(&ev);
	ASSERT_EQ(proto__done(&st, "[DONE]x", 6, &ev), 1);
	ASSERT_EQ(ev.kind, PEV_DONE);
	ASSERT_TRUE(st.saw_done && !st.saw_finish);
	ASSERT_EQ(proto__complete_on_done_or_finish(&st), 1);
	ASSERT_EQ(proto__complete_on_finish(&st), 0);
	proto_stream_init(&st, NULL);
	proto__event_init(&ev);
	ASSERT_EQ(proto__done(&st, "[DONE]x", 7, &ev), 0);
	ASSERT_EQ(proto__done(&st, "{}", 2, &ev), 0);
	ASSERT_EQ(ev.kind, PEV_IGNORE);
	ASSERT_TRUE(!st.saw_done);
	proto__finished(&st, &ev);
	ASSERT_TRUE(ev.finished && st.saw_finish);
	ASSERT_EQ(proto__complete_on_finish(&st), 1);
	ASSERT_EQ(proto__complete_on_done_or_finish(&st), 1);

	proto__bad_shape(&ev, "event without %s", "token");
	ASSERT_EQ(ev.kind, PEV_BAD);
	ASSERT_STR_EQ(ev.error, "event without token");

	struct jscan_field f = {.type = JSCAN_NULL};
	ASSERT_TRUE(!proto__present(&f));
	f.type = JSCAN_ABSENT;
	ASSERT_TRUE(!proto__present(&f));
	f.type = JSCAN_FALSE;
	ASSERT_TRUE(proto__present(&f));
}

static void test_text(void)
{
	static struct jscan_path sp[2] = {[0] = {{"error"}, 1},
					  [1] = {{"t"}, 1}};
	static struct proto__fields st_t = {.paths = sp, .n = 2, .error = 0,
					    .object = -1};
	struct jscan_field f[2];
	struct proto_event ev;
	struct buf text;
	struct proto_stream st;
	/* escapes are decoded; from skips bytes already seen */
	buf_init(&text, 0);
	proto_stream_init(&st, &text);
	ASSERT_EQ(parse(&st_t, "{\"t\":\"a\\nb\\u00e9\"}", f, &ev), 0);
	ASSERT_EQ(proto__text(&st, &f[1], 0), 5);
	ASSERT_EQ(proto__text(&st, &f[1], 2), 5);
	ASSERT_EQ(proto__text(&st, &f[1], 5), 5); /* nothing new */
	ASSERT_EQ(text.len, 8);
	ASSERT_TRUE(!memcmp(text.data, "a\nb\xc3\xa9" "b\xc3\xa9", 8));
	ASSERT_EQ(parse(&st_t, "{\"t\":7}", f, &ev), 0);
	ASSERT_EQ(proto__text(&st, &f[1], 0), 0); /* not a string */
	ASSERT_EQ(proto__text(&st, &f[0], 0), 0); /* absent */
	/* over the 512-byte stack copy */
	char big[1200];
	memcpy(big, "{\"t\":\"", 6);
	memset(big + 6, 'z', 1000);
	memcpy(big + 1006, "\"}", 3);
	buf_reset(&text);
	ASSERT_EQ(parse(&st_t, big, f, &ev), 0);
	ASSERT_EQ(proto__text(&st, &f[1], 10), 1000);
	ASSERT_EQ(text.len, 990);
	ASSERT_TRUE(text.data[0] == 'z' && text.data[989] == 'z');
	/* no text kept: only the length */
	proto_stream_init(&st, NULL);
	ASSERT_EQ(proto__text(&st, &f[1], 0), 1000);
	buf_free(&text);
}

static char *dump(json_t *o, const char *extra, int *rc)
{
	struct proto_params p = {.extra_body = extra};
	struct buf b;
	buf_init(&b, 0);
	*rc = proto__body_finish(o, &p, &b);
	return buf_take(&b);
}

static void test_body_helpers(void)
{
	json_t *o = json_object();
	proto__body_str(o, "s", "v");
	proto__body_str(o, "none", NULL);
	proto__body_int(o, "i", -3);
	proto__body_flag(o, "on", 1);
	proto__body_flag(o, "off", 0);
	proto__body_real(o, "r", 0.25);
	proto__body_real(o, "nan", NAN);
	int rc;
	char *s = dump(o, "{\"i\":4,\"new\":null}", &rc);
	ASSERT_EQ(rc, 0);
	ASSERT_STR_EQ(s, "{\"s\":\"v\",\"i\":4,\"on\":true,\"r\":0.25,"
			 "\"new\":null}");
	free(s);
	s = dump(json_object(), "", &rc);
	ASSERT_EQ(rc, 0);
	ASSERT_STR_EQ(s, "{}");
	free(s);
	s = dump(json_object(), "[]", &rc);
	ASSERT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(s, ""); /* nothing appended */
	free(s);
}

int main(void)
{
	TEST_RUN(test_prologue);
	TEST_RUN(test_concurrent_first_use);
	TEST_RUN(test_counts_and_kind);
	TEST_RUN(test_markers);
	TEST_RUN(test_text);
	TEST_RUN(test_body_helpers);
	jscan_memo_free(&memo);
	return TEST_DONE();
}
