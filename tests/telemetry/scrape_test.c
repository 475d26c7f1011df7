/* scrape_test.c - the /metrics sampler against an in-test HTTP server:
 * good scrapes, a 500, garbage, an unreachable port, the thread. */
#include <math.h>

#include "core/clock.h"
#include "core/msg.h"
#include "httpd_fixture.h"
#include "prom_fixtures.h"
#include "telemetry/httpget.h"
#include "telemetry/scrape.h"
#include "test.h"

static char url[128];

static struct scrape *new_scrape(struct fx *f, const char *path,
				 int64_t interval_ns)
{
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
	struct scrape_cfg c = {.url = url, .interval_ns = interval_ns,
			       .timeout_ns = 2 * NS_PER_S};
	return scrape_new(&c);
}

static void test_once_good_500_garbage(void)
{
	struct fx f;
	ASSERT_EQ(fx_start(&f), 0);
	fx_set(&f, "/metrics", 200, FX_VLLM_V1, strlen(FX_VLLM_V1));
	fx_set(&f, "/err", 500, "oops", 4);
	static const char garbage[] = "\x89PNG\r\n\x1a\n\x00\x01 not { metrics\n"
				      "<html>nope</html>\n";
	fx_set(&f, "/garbage", 200, garbage, sizeof(garbage) - 1);

	struct scrape *s = new_scrape(&f, "/metrics", 0);
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(scrape_once(s), 0);
	struct scrape_stats st;
	scrape_get_stats(s, &st);
	ASSERT_EQ(st.ok, 1);
	ASSERT_EQ(st.flavour, SRVM_VLLM);
	ASSERT_EQ(st.last_status, 200);
	ASSERT_EQ(scrape_len(s), 1);
	struct srvm_sample x;
	ASSERT_EQ(scrape_point(s, 0, &x), 0);
	ASSERT_NEAR(x.running, 21, 0);
	ASSERT_NEAR(x.kv_usage, 0.30, 1e-12);
	scrape_free(s);

	s = new_scrape(&f, "/err", 0);
	ASSERT_EQ(scrape_once(s), HTTPGET_ESTATUS);
	ASSERT_EQ(scrape_once(s), HTTPGET_ESTATUS);
	scrape_get_stats(s, &st);
	ASSERT_EQ(st.fail_status, 2);
	ASSERT_EQ(st.last_status, 500);
	ASSERT_EQ(st.ok, 0);
	ASSERT_EQ(scrape_len(s), 0);
	scrape_free(s);

	s = new_scrape(&f, "/garbage", 0);
	ASSERT_EQ(scrape_once(s), HTTPGET_EGARBAGE);
	scrape_get_stats(s, &st);
	ASSERT_EQ(st.fail_garbage, 1);
	ASSERT_EQ(scrape_len(s), 0);
	scrape_free(s);
	ASSERT_EQ(fx_hits(&f, "/garbage"), 1);
	fx_stop(&f);
}

static void test_unreachable(void)
{
	struct fx f;
	ASSERT_EQ(fx_start(&f), 0);
	int port = f.port;
	fx_stop(&f); /* nothing listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	struct scrape_cfg c = {.url = url, .timeout_ns = NS_PER_S};
	struct scrape *s = scrape_new(&c);
	ASSERT_EQ(scrape_once(s), HTTPGET_ETRANSPORT);
	struct scrape_stats st;
	scrape_get_stats(s, &st);
	ASSERT_EQ(st.fail_transport, 1);
	json_t *j = scrape_to_json(s, 0);
	ASSERT_EQ(json_integer_value(json_object_get(
			  json_object_get(j, "stats"), "fail_transport")),
		  1);
	json_decref(j);
	scrape_free(s);
	struct scrape_cfg none = {0};
	ASSERT_TRUE(scrape_new(&none) == NULL);
}

/* The thread at 20 ms: counters change between scrapes; the window summary
 * only covers scrapes inside it; failures in the middle are counted. */
static void test_thread_window_and_failures(void)
{
	struct fx f;
	ASSERT_EQ(fx_start(&f), 0);
	char body[256];
	int n = snprintf(body, sizeof(body),
			 "sglang:num_running_reqs 2\nsglang:token_usage 0.1\n"
			 "sglang:generation_tokens_total 100\n");
	fx_set(&f, "/m", 200, body, (size_t)n);
	struct scrape *s = new_scrape(&f, "/m", 20 * NS_PER_MS);
	ASSERT_EQ(scrape_start(s), 0);
	int64_t t0 = clock_now_ns();
	while (scrape_len(s) < 3 && clock_now_ns() - t0 < 5 * NS_PER_S)
		clock_sleep_until_ns(clock_now_ns() + 5 * NS_PER_MS, NULL);
	scrape_window_begin(s, clock_now_ns());
	n = snprintf(body, sizeof(body),
		     "sglang:num_running_reqs 6\nsglang:token_usage 0.5\n"
		     "sglang:generation_tokens_total 400\n");
	fx_set(&f, "/m", 200, body, (size_t)n);
	size_t before = scrape_len(s);
	while (scrape_len(s) < before + 3 && clock_now_ns() - t0 < 5 * NS_PER_S)
		clock_sleep_until_ns(clock_now_ns() + 5 * NS_PER_MS, NULL);
	fx_set(&f, "/m", 503, "busy", 4);
	struct scrape_stats st;
	do {
		clock_sleep_until_ns(clock_now_ns() + 5 * NS_PER_MS, NULL);
		scrape_get_stats(s, &st);
	} while (st.fail_status < 2 && clock_now_ns() - t0 < 5 * NS_PER_S);
	scrape_window_end(s, clock_now_ns());
	scrape_stop(s);
	scrape_stop(s); /* idempotent */

	scrape_get_stats(s, &st);
	ASSERT_TRUE(st.fail_status >= 2);
	ASSERT_TRUE(st.ok >= 6);
	ASSERT_EQ(st.flavour, SRVM_SGLANG);
	struct scrape_summary sm;
	scrape_get_summary(s, &sm);
	ASSERT_TRUE(sm.n >= 1);
	/* scrapes in the window: all saw the new body, except possibly one
	 * in flight when the body changed (old values 2 / 0.1) */
	ASSERT_NEAR(sm.running_peak, 6, 0);
	ASSERT_TRUE(sm.running_mean >= 2 && sm.running_mean <= 6);
	ASSERT_NEAR(sm.kv_usage_peak, 0.5, 1e-12);
	ASSERT_NEAR(sm.gen_tok_delta, 300, 0);

	/* scrapes are ~20 ms apart (absolute deadlines) */
	struct srvm_sample a, b;
	ASSERT_EQ(scrape_point(s, 0, &a), 0);
	ASSERT_EQ(scrape_point(s, 1, &b), 0);
	double gap_ms = (double)(b.t_ns - a.t_ns) / 1e6;
	ASSERT_TRUE(gap_ms > 10 && gap_ms < 200);

	json_t *j = scrape_to_json(s, a.t_ns);
	ASSERT_STR_EQ(json_string_value(json_object_get(j, "flavour")),
		      "sglang");
	json_t *tl = json_object_get(j, "timeline");
	ASSERT_EQ(json_array_size(json_object_get(tl, "t_s")), scrape_len(s));
	ASSERT_NEAR(json_real_value(json_array_get(json_object_get(tl, "t_s"), 0)),
		    0, 1e-12);
	ASSERT_TRUE(json_is_null(json_array_get(json_object_get(tl, "waiting"), 0)));
	ASSERT_TRUE(json_object_get(j, "raw") == NULL);
	json_decref(j);
	scrape_free(s);
	fx_stop(&f);
}

/* A server infbench does not know: raw series in the JSON. */
static void test_unknown_server_raw_json(void)
{
	struct fx f;
	ASSERT_EQ(fx_start(&f), 0);
	static const char body[] = "# TYPE q gauge\nq{k=\"v\"} 3\n";
	fx_set(&f, "/m", 200, body, sizeof(body) - 1);
	struct scrape *s = new_scrape(&f, "/m", 0);
	ASSERT_EQ(scrape_once(s), 0);
	ASSERT_EQ(scrape_once(s), 0);
	json_t *j = scrape_to_json(s, 0);
	json_t *raw = json_object_get(j, "raw");
	ASSERT_TRUE(raw != NULL);
	ASSERT_STR_EQ(json_string_value(json_array_get(
			      json_object_get(raw, "series"), 0)),
		      "q{k=\"v\"}");
	json_t *vals = json_object_get(raw, "values");
	ASSERT_EQ(json_array_size(vals), 2);
	ASSERT_NEAR(json_real_value(json_array_get(json_array_get(vals, 1), 0)),
		    3, 0);
	json_decref(j);
	scrape_free(s);
	fx_stop(&f);
}

int main(void)
{
	msg_level = MSG_QUIET;
	TEST_RUN(test_once_good_500_garbage);
	TEST_RUN(test_unreachable);
	TEST_RUN(test_thread_window_and_failures);
	TEST_RUN(test_unknown_server_raw_json);
	return TEST_DONE();
}
