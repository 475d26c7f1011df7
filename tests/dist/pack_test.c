/* pack_test.c - rank bytes: round trip, truncation, corruption. */
#include "dist/pack.h"

#include <errno.h>

#include "core/xmalloc.h"
#include "test.h"

static void make_recs(struct rec *r)
{
	rec_init(&r[0], 7);
	r[0].in_len = 128;
	r[0].out_len = 3;
	r[0].prompt_tokens = 130;
	r[0].completion_tokens = 3;
	r[0].http_status = 200;
	r[0].worker = 5;
	r[0].t_arrival_ns = 1000;
	r[0].t_send_ns = 1500;
	r[0].t_first_byte_ns = 9000;
	r[0].t_done_ns = 40000;
	rec_push_event(&r[0], 10000, 1, 4);
	rec_push_event(&r[0], 20000, -1, 0);
	rec_push_event(&r[0], 39000, 2, 9);
	rec_push_event(&r[0], 5000000000, 9, 1); /* escaped in memory */
	rec_set_outcome(&r[0], REC_OK, NULL);
	r[0].text = xstrdup("hello\0world"); /* stops at NUL: 5 bytes */
	r[0].text_len = 5;
	rec_init(&r[1], 4000000000u);
	r[1].warmup = 1;
	r[1].t_arrival_ns = -5;
	rec_set_outcome(&r[1], REC_HTTP_ERROR, "HTTP 429: slow down");
	rec_init(&r[2], 3); /* outcome unset, no events, no strings */
}

static void test_roundtrip(void)
{
	struct rec in[3], *out = NULL;
	size_t n = 0;
	struct pack_w w;
	make_recs(in);
	pack_w_init(&w, 0);
	pack_i64(&w, -42);
	pack_f64(&w, 0.125);
	pack_recs(&w, in, 3);
	ASSERT_EQ(w.err, 0);
	struct pack_r r;
	pack_r_init(&r, w.b.data, w.b.len);
	ASSERT_EQ(unpack_i64(&r), -42);
	ASSERT_NEAR(unpack_f64(&r), 0.125, 0);
	ASSERT_EQ(unpack_recs(&r, &out, &n), 0);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(r.off, w.b.len);
	ASSERT_EQ(out[0].id, 7);
	ASSERT_EQ(out[0].outcome, REC_OK);
	ASSERT_EQ(out[0].http_status, 200);
	ASSERT_EQ(out[0].in_len, 128);
	ASSERT_EQ(out[0].prompt_tokens, 130);
	ASSERT_EQ(out[0].worker, 5);
	ASSERT_EQ(out[0].t_first_byte_ns, 9000);
	ASSERT_EQ(out[0].n_events, 4);
	ASSERT_EQ(out[0].n_slots, 4 + 1 + 1 + 4); /* rebuilt as pushed */
	ASSERT_EQ(rec_first_ev_ns(&out[0]), 10000);
	ASSERT_EQ(out[0].t_last_ev_ns, 5000000000);
	static const struct rec_event want[4] = {
		{10000, 1, 1}, {20000, -1, 0}, {39000, 2, 1}, {5000000000, 9, 1}};
	struct rec_evcur c;
	struct rec_event e;
	rec_ev_begin(&out[0], &c);
	for (int k = 0; k < 4; k++) {
		ASSERT_EQ(rec_ev_next(&c, &e), 1);
		ASSERT_EQ(e.t_ns, want[k].t_ns);
		ASSERT_EQ(e.tokens, want[k].tokens);
		ASSERT_EQ(e.has_text, want[k].has_text);
	}
	ASSERT_EQ(rec_ev_next(&c, &e), 0);
	/* the wire keeps 16 bytes per event: i64 t, u32 tokens, u32 text
	 * flag, after the 16 bytes above, the 16-byte header and the first
	 * record's 64 bytes of fixed fields */
	for (int k = 0; k < 4; k++) {
		const char *p = w.b.data + 16 + 16 + 64 + 16 * k;
		int64_t t;
		uint32_t tok, text;
		memcpy(&t, p, 8);
		memcpy(&tok, p + 8, 4);
		memcpy(&text, p + 12, 4);
		ASSERT_EQ(t, want[k].t_ns);
		ASSERT_EQ((int32_t)tok, want[k].tokens);
		ASSERT_EQ(text, want[k].has_text);
	}
	ASSERT_TRUE(out[0].error == NULL);
	ASSERT_STR_EQ(out[0].text, "hello");
	ASSERT_EQ(out[0].text_len, 5);
	ASSERT_EQ(out[1].id, 4000000000u);
	ASSERT_EQ(out[1].warmup, 1);
	ASSERT_EQ(out[1].t_arrival_ns, -5);
	ASSERT_EQ(out[1].prompt_tokens, -1);
	ASSERT_STR_EQ(out[1].error, "HTTP 429: slow down");
	ASSERT_TRUE(out[1].text == NULL);
	ASSERT_EQ(out[2].outcome, REC__COUNT);
	ASSERT_EQ(out[2].t_done_ns, -1);
	for (size_t i = 0; i < n; i++)
		rec_free(&out[i]);
	free(out);
	for (int i = 0; i < 3; i++)
		rec_free(&in[i]);
	pack_w_free(&w);
}

/* Every truncation fails cleanly (ASan: no overrun, no leak). */
static void test_truncated(void)
{
	struct rec in[3], *out;
	size_t n;
	struct pack_w w;
	make_recs(in);
	pack_w_init(&w, 0);
	pack_recs(&w, in, 3);
	for (size_t len = 0; len < w.b.len; len++) {
		struct pack_r r;
		pack_r_init(&r, w.b.data, len);
		ASSERT_EQ(unpack_recs(&r, &out, &n), -EINVAL);
		ASSERT_TRUE(out == NULL);
		ASSERT_EQ(n, 0);
	}
	for (int i = 0; i < 3; i++)
		rec_free(&in[i]);
	pack_w_free(&w);
}

/* Byte flips never crash; magic/order/count damage is refused. */
static void test_corrupt(void)
{
	struct rec in[3], *out;
	size_t n;
	struct pack_w w;
	make_recs(in);
	pack_w_init(&w, 0);
	pack_recs(&w, in, 3);
	for (size_t i = 0; i < w.b.len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			w.b.data[i] ^= (char)(1 << bit);
			struct pack_r r;
			pack_r_init(&r, w.b.data, w.b.len);
			int rc = unpack_recs(&r, &out, &n);
			if (i < 8)
				ASSERT_EQ(rc, -EINVAL); /* magic, order */
			if (!rc) {
				for (size_t k = 0; k < n; k++)
					rec_free(&out[k]);
				free(out);
			}
			w.b.data[i] ^= (char)(1 << bit);
		}
	}
	for (int i = 0; i < 3; i++)
		rec_free(&in[i]);
	pack_w_free(&w);
}

/* The writer's cap is a sticky error. */
static void test_cap(void)
{
	struct rec in[3];
	struct pack_w w;
	make_recs(in);
	pack_w_init(&w, 64);
	pack_recs(&w, in, 3);
	ASSERT_EQ(w.err, -ENOBUFS);
	ASSERT_TRUE(w.b.len <= 64);
	for (int i = 0; i < 3; i++)
		rec_free(&in[i]);
	pack_w_free(&w);
}

int main(void)
{
	TEST_RUN(test_roundtrip);
	TEST_RUN(test_truncated);
	TEST_RUN(test_corrupt);
	TEST_RUN(test_cap);
	return TEST_DONE();
}
