/* serve_test.c - the built-in server in-process, driven by a tiny blocking
 * socket client: stream shapes, timing, keep-alive, pipelining,
 * --close-after, every fault kind, disconnects and 1000 connections. */
#include <jansson.h>
#include <stdio.h>

#include "client.h"
#include "server/serve.h"
#include "test.h"

static struct srv *start(struct srv_config *c)
{
	char *err = NULL;
	c->port = 0;
	struct srv *s = srv_start(c, &err);
	if (!s)
		fprintf(stderr, "srv_start: %s\n", err);
	free(err);
	return s;
}

static void fast_cfg(struct srv_config *c)
{
	srv_config_defaults(c);
	c->mock.ttft_s = 0.002;
	c->mock.itl_s = 0.001;
}

/* POST and read one response on a fresh connection. */
static int exchange(int port, const char *path, const char *json,
		    struct tresp *r, int timeout_ms)
{
	struct tcli c;
	if (tcli_open(&c, port))
		return -1;
	tcli_post(&c, path, json);
	int rc = tcli_read(&c, r, timeout_ms);
	tcli_close(&c);
	return rc;
}

static json_t *ev_json(const struct tresp *r, int i, int space)
{
	char *e = tresp_event(r, i);
	if (!e)
		return NULL;
	json_t *j = json_loads(e + (space ? 6 : 5), 0, NULL);
	free(e);
	return j;
}

static void test_completions_usage(void)
{
	struct srv_config c;
	fast_cfg(&c);
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	struct tresp r;
	ASSERT_EQ(exchange(srv_port(s), "/v1/completions",
			   "{\"prompt\":\"a b c\",\"max_tokens\":5,\"stream\":true,"
			   "\"stream_options\":{\"include_usage\":true,"
			   "\"continuous_usage_stats\":true}}",
			   &r, 5000),
		  0);
	ASSERT_EQ(r.status, 200);
	ASSERT_TRUE(strstr(r.head, "content-type: text/event-stream") != NULL);
	ASSERT_EQ(r.n_ev, 7);
	char text[256] = "";
	for (int i = 0; i < 5; i++) {
		json_t *j = ev_json(&r, i, 1);
		ASSERT_TRUE(j);
		json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
		strcat(text, json_string_value(json_object_get(ch, "text")));
		json_t *u = json_object_get(j, "usage");
		ASSERT_EQ(json_integer_value(json_object_get(u, "completion_tokens")),
			  i + 1);
		ASSERT_EQ(json_integer_value(json_object_get(u, "prompt_tokens")), 3);
		const char *fr = json_string_value(json_object_get(ch, "finish_reason"));
		ASSERT_TRUE(i == 4 ? fr && !strcmp(fr, "length") : fr == NULL);
		json_decref(j);
	}
	ASSERT_STR_EQ(text, " the quick brown fox jumps");
	json_t *u = ev_json(&r, 5, 1);
	ASSERT_EQ(json_array_size(json_object_get(u, "choices")), 0);
	ASSERT_EQ(json_integer_value(json_object_get(
			  json_object_get(u, "usage"), "completion_tokens")),
		  5);
	json_decref(u);
	char *done = tresp_event(&r, 6);
	ASSERT_STR_EQ(done, "data: [DONE]");
	free(done);
	tresp_free(&r);
	srv_stop(s);
}

static void test_chat_role_first(void)
{
	struct srv_config c;
	fast_cfg(&c);
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	struct tresp r;
	ASSERT_EQ(exchange(srv_port(s), "/v1/chat/completions",
			   "{\"messages\":[{\"role\":\"user\",\"content\":\"hi "
			   "there\"}],\"max_completion_tokens\":3,\"stream\":"
			   "true}",
			   &r, 5000),
		  0);
	ASSERT_EQ(r.n_ev, 5);
	json_t *j = ev_json(&r, 0, 1);
	json_t *d = json_object_get(
		json_array_get(json_object_get(j, "choices"), 0), "delta");
	char *ds = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ASSERT_STR_EQ(ds, "{\"role\":\"assistant\",\"content\":\"\"}");
	free(ds);
	json_decref(j);
	ASSERT_TRUE(strstr(r.body.data, "usage") == NULL);
	char *last = tresp_event(&r, 4);
	ASSERT_STR_EQ(last, "data: [DONE]");
	free(last);
	tresp_free(&r);
	srv_stop(s);
}

static void test_tgi_no_space(void)
{
	struct srv_config c;
	fast_cfg(&c);
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	struct tresp r;
	ASSERT_EQ(exchange(srv_port(s), "/generate_stream",
			   "{\"inputs\":\"x y z\",\"parameters\":{"
			   "\"max_new_tokens\":4,\"details\":true}}",
			   &r, 5000),
		  0);
	ASSERT_EQ(r.n_ev, 4);
	for (int i = 0; i < 4; i++) {
		char *e = tresp_event(&r, i);
		ASSERT_TRUE(!strncmp(e, "data:{\"index\":", 14));
		free(e);
	}
	json_t *j = ev_json(&r, 3, 0);
	json_t *det = json_object_get(j, "details");
	ASSERT_EQ(json_integer_value(json_object_get(det, "generated_tokens")), 4);
	ASSERT_EQ(json_integer_value(json_object_get(det, "input_length")), 3);
	ASSERT_STR_EQ(json_string_value(json_object_get(j, "generated_text")),
		      " the quick brown fox");
	json_decref(j);
	ASSERT_TRUE(strstr(r.body.data, "[DONE]") == NULL);
	tresp_free(&r);
	srv_stop(s);
}

static void test_timing(void)
{
	struct srv_config c;
	srv_config_defaults(&c);
	c.mock.ttft_s = 0.100;
	c.mock.itl_s = 0.020;
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	struct tcli cl;
	struct tresp r;
	ASSERT_EQ(tcli_open(&cl, srv_port(s)), 0);
	int64_t t0 = clock_now_ns();
	tcli_post(&cl, "/v1/completions",
		  "{\"prompt\":\"a\",\"max_tokens\":20,\"stream\":true}");
	ASSERT_EQ(tcli_read(&cl, &r, 10000), 0);
	ASSERT_EQ(r.n_ev, 21);
	double ttft_ms = (double)(r.ev_ns[0] - t0) / 1e6;
	double itl_ms = (double)(r.ev_ns[19] - r.ev_ns[0]) / 19 / 1e6;
	fprintf(stderr, "  measured ttft %.2f ms (cfg 100), mean itl %.3f ms "
			"(cfg 20)\n",
		ttft_ms, itl_ms);
	ASSERT_TRUE(ttft_ms >= 99 && ttft_ms < 300);
	ASSERT_NEAR(itl_ms, 20, 4);
	tresp_free(&r);
	tcli_close(&cl);
	srv_stop(s);
}

static void test_tokens_per_chunk(void)
{
	struct srv_config c;
	fast_cfg(&c);
	c.mock.tokens_per_chunk = 4;
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	struct tresp r;
	ASSERT_EQ(exchange(srv_port(s), "/v1/completions",
			   "{\"prompt\":\"a\",\"max_tokens\":9,\"stream\":true}",
			   &r, 5000),
		  0);
	ASSERT_EQ(r.n_ev, 4); /* 1 + 4 + 4 tokens, [DONE] */
	json_t *j = ev_json(&r, 2, 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(
			      json_array_get(json_object_get(j, "choices"), 0),
			      "text")),
		      " over lazy dog and");
	json_decref(j);
	tresp_free(&r);
	srv_stop(s);
}

static void test_keepalive_pipelining(void)
{
	struct srv_config c;
	fast_cfg(&c);
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	struct tcli cl;
	struct tresp r;
	ASSERT_EQ(tcli_open(&cl, srv_port(s)), 0);
	/* Three requests in one write. */
	const char *a = "{\"prompt\":\"a\",\"max_tokens\":3,\"stream\":true}";
	const char *b = "{\"prompt\":\"a\",\"max_tokens\":2}";
	char all[1024];
	int n = snprintf(all, sizeof(all),
			 "POST /v1/completions HTTP/1.1\r\nContent-Length: %zu"
			 "\r\n\r\n%sGET /health HTTP/1.1\r\n\r\n"
			 "POST /v1/completions HTTP/1.1\r\nContent-Length: %zu"
			 "\r\n\r\n%s",
			 strlen(a), a, strlen(b), b);
	ASSERT_EQ(tcli_send(&cl, all, (size_t)n), 0);
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_EQ(r.n_ev, 4);
	tresp_free(&r);
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_EQ(r.body.len, 0);
	tresp_free(&r);
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_TRUE(strstr(r.body.data, "\"text\":\" the quick\"") != NULL);
	tresp_free(&r);
	/* And the connection is still good. */
	tcli_get(&cl, "/version");
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_STR_EQ(r.body.data, "{\"version\":\"0.10.1\"}");
	ASSERT_EQ(r.eof, 0);
	tresp_free(&r);
	tcli_close(&cl);
	srv_stop(s);
}

static void test_close_after(void)
{
	struct srv_config c;
	fast_cfg(&c);
	c.close_after = 2;
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	struct tcli cl;
	struct tresp r;
	ASSERT_EQ(tcli_open(&cl, srv_port(s)), 0);
	tcli_get(&cl, "/health");
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_TRUE(strcasestr(r.head, "connection: close") == NULL);
	tresp_free(&r);
	tcli_post(&cl, "/v1/completions",
		  "{\"prompt\":\"a\",\"max_tokens\":2,\"stream\":true}");
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_TRUE(strcasestr(r.head, "connection: close") != NULL);
	ASSERT_EQ(r.eof, 1);
	tresp_free(&r);
	tcli_close(&cl);
	srv_stop(s);
}

static struct srv *fault_srv(const char *every)
{
	struct srv_config c;
	fast_cfg(&c);
	c.faults.after_tokens = 2;
	ASSERT_EQ(fault_add_every(&c.faults, every), 0);
	return start(&c);
}

static const char STREAM5[] =
	"{\"prompt\":\"a\",\"max_tokens\":5,\"stream\":true}";

static void test_fault_http(void)
{
	struct tresp r;
	struct srv *s = fault_srv("429:1");
	ASSERT_EQ(exchange(srv_port(s), "/v1/completions", STREAM5, &r, 5000),
		  0);
	ASSERT_EQ(r.status, 429);
	ASSERT_STR_EQ(r.body.data,
		      "{\"error\":{\"message\":\"infbench mock: injected rate "
		      "limit\",\"type\":\"RateLimitError\",\"param\":null,"
		      "\"code\":429}}");
	tresp_free(&r);
	srv_stop(s);
	s = fault_srv("503:1");
	ASSERT_EQ(exchange(srv_port(s), "/generate_stream",
			   "{\"inputs\":\"a\"}", &r, 5000),
		  0);
	ASSERT_EQ(r.status, 503);
	ASSERT_TRUE(strstr(r.body.data, "\"error_type\":\"unhealthy\""));
	tresp_free(&r);
	struct srv_counters k;
	srv_get_counters(s, &k);
	ASSERT_EQ(k.faults[FAULT_503], 1);
	srv_stop(s);
	/* Every 3rd of 9 requests: exactly 3 faults. */
	s = fault_srv("429:3");
	int n429 = 0;
	for (int i = 0; i < 9; i++) {
		ASSERT_EQ(exchange(srv_port(s), "/v1/completions",
				   "{\"prompt\":\"a\",\"max_tokens\":1}", &r,
				   5000),
			  0);
		n429 += r.status == 429;
		ASSERT_EQ(r.status == 429, (i + 1) % 3 == 0);
		tresp_free(&r);
	}
	ASSERT_EQ(n429, 3);
	srv_stop(s);
}

static void test_fault_error(void)
{
	struct tresp r;
	struct srv *s = fault_srv("error:1");
	ASSERT_EQ(exchange(srv_port(s), "/v1/completions", STREAM5, &r, 5000),
		  0);
	ASSERT_EQ(r.status, 200);
	ASSERT_EQ(r.n_ev, 4);
	char *e = tresp_event(&r, 2);
	ASSERT_STR_EQ(e, "data: {\"error\": {\"message\": \"infbench mock: "
			 "injected error after 2 tokens\", \"type\": "
			 "\"InternalServerError\", \"param\": null, \"code\": "
			 "500}}");
	free(e);
	e = tresp_event(&r, 3);
	ASSERT_STR_EQ(e, "data: [DONE]");
	free(e);
	tresp_free(&r);
	ASSERT_EQ(exchange(srv_port(s), "/generate_stream",
			   "{\"inputs\":\"a\",\"parameters\":{\"max_new_tokens\":"
			   "5}}",
			   &r, 5000),
		  0);
	ASSERT_EQ(r.n_ev, 3);
	e = tresp_event(&r, 2);
	ASSERT_STR_EQ(e, "data:{\"error\":\"infbench mock: injected error "
			 "after 2 tokens\",\"error_type\":\"generation\"}");
	free(e);
	tresp_free(&r);
	srv_stop(s);
}

static void test_fault_drop_garbage_stall(void)
{
	struct tresp r;
	struct srv *s = fault_srv("drop:1");
	ASSERT_TRUE(exchange(srv_port(s), "/v1/completions", STREAM5, &r,
			     5000) < 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_EQ(r.n_ev, 2);
	ASSERT_EQ(r.complete, 0);
	ASSERT_EQ(r.eof, 1);
	tresp_free(&r);
	srv_stop(s);

	s = fault_srv("garbage:1");
	ASSERT_EQ(exchange(srv_port(s), "/v1/completions", STREAM5, &r, 5000),
		  0);
	ASSERT_EQ(r.n_ev, 7);
	char *e = tresp_event(&r, 2);
	ASSERT_STR_EQ(e, "data: {not json");
	free(e);
	tresp_free(&r);
	srv_stop(s);

	s = fault_srv("stall:1");
	ASSERT_TRUE(exchange(srv_port(s), "/v1/completions", STREAM5, &r,
			     400) < 0);
	ASSERT_EQ(r.n_ev, 2);
	ASSERT_EQ(r.timeout, 1);
	ASSERT_EQ(r.eof, 0);
	tresp_free(&r);
	srv_stop(s); /* with the stalled stream's connection gone */
}

static double metric_value(int port, const char *name)
{
	struct tcli cl;
	struct tresp r;
	double v = -1;
	if (tcli_open(&cl, port))
		return -1;
	tcli_get(&cl, "/metrics");
	if (!tcli_read(&cl, &r, 5000)) {
		char key[128];
		snprintf(key, sizeof(key), "\n%s", name);
		const char *p = strstr(r.body.data, key);
		if (p) {
			p = strchr(p + 1, ' ');
			v = p ? atof(p + 1) : -1;
		}
	}
	tresp_free(&r);
	tcli_close(&cl);
	return v;
}

static void test_disconnect_cancels(void)
{
	struct srv_config c;
	fast_cfg(&c);
	c.mock.itl_s = 0.005;
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	struct tcli cl;
	ASSERT_EQ(tcli_open(&cl, srv_port(s)), 0);
	tcli_post(&cl, "/v1/completions",
		  "{\"prompt\":\"a\",\"max_tokens\":2000,\"stream\":true}");
	ASSERT_EQ(tcli_fill(&cl, clock_now_ns() + 2 * NS_PER_S), 0);
	ASSERT_EQ(metric_value(srv_port(s), "vllm:num_requests_running"), 1);
	tcli_close(&cl);
	double running = -1;
	for (int i = 0; i < 100 && running != 0; i++) {
		usleep(10000);
		running = metric_value(srv_port(s), "vllm:num_requests_running");
	}
	ASSERT_EQ(running, 0);
	struct srv_counters k;
	srv_get_counters(s, &k);
	ASSERT_EQ(k.completed, 0);
	ASSERT_TRUE(k.generation_tokens < 2000);
	srv_stop(s);
}

#define NCONN 1000

static void test_1000_connections(void)
{
	struct srv_config c;
	fast_cfg(&c);
	c.mock.ttft_s = 0.010;
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	static struct tcli cl[NCONN];
	int ok = 0;
	for (int i = 0; i < NCONN; i++) {
		ASSERT_EQ(tcli_open(&cl[i], srv_port(s)), 0);
		tcli_post(&cl[i], "/v1/completions",
			  "{\"prompt\":\"a\",\"max_tokens\":3,\"stream\":true}");
	}
	for (int i = 0; i < NCONN; i++) {
		struct tresp r;
		if (!tcli_read(&cl[i], &r, 20000) && r.n_ev == 4)
			ok++;
		tresp_free(&r);
	}
	ASSERT_EQ(ok, NCONN);
	double open = metric_value(srv_port(s),
				   "infbench_mock_connections_open");
	ASSERT_TRUE(open >= NCONN + 1);
	for (int i = 0; i < NCONN; i++)
		tcli_close(&cl[i]);
	srv_stop(s);
}

static void test_http_errors(void)
{
	struct srv_config c;
	fast_cfg(&c);
	struct srv *s = start(&c);
	ASSERT_TRUE(s);
	struct tresp r;
	struct tcli cl;
	int port = srv_port(s);
	ASSERT_EQ(exchange(port, "/nope", "{}", &r, 5000), 0);
	ASSERT_EQ(r.status, 404);
	tresp_free(&r);
	ASSERT_EQ(exchange(port, "/health", "{}", &r, 5000), 0);
	ASSERT_EQ(r.status, 405);
	tresp_free(&r);
	ASSERT_EQ(exchange(port, "/v1/completions", "{bad", &r, 5000), 0);
	ASSERT_EQ(r.status, 400);
	ASSERT_TRUE(!strncmp(r.body.data, "{\"error\":{\"message\":", 20));
	tresp_free(&r);
	/* Body over the cap: 413 and close. */
	ASSERT_EQ(tcli_open(&cl, port), 0);
	const char *big = "POST /v1/completions HTTP/1.1\r\nContent-Length: "
			  "99999999\r\n\r\n";
	tcli_send(&cl, big, strlen(big));
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_EQ(r.status, 413);
	ASSERT_EQ(r.eof, 1);
	tresp_free(&r);
	tcli_close(&cl);
	/* Expect: 100-continue gets the interim response first. */
	ASSERT_EQ(tcli_open(&cl, port), 0);
	const char *body = "{\"prompt\":\"a\",\"max_tokens\":2}";
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "POST /v1/completions HTTP/1.1\r\nContent-Length: %zu"
			 "\r\nExpect: 100-continue\r\n\r\n",
			 strlen(body));
	tcli_send(&cl, head, (size_t)n);
	ASSERT_EQ(tcli_fill(&cl, clock_now_ns() + 2 * NS_PER_S), 0);
	ASSERT_TRUE(!strncmp(cl.in, "HTTP/1.1 100 Continue\r\n\r\n", 25));
	tcli_send(&cl, body, strlen(body));
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_EQ(r.status, 200);
	json_t *j = json_loads(r.body.data, 0, NULL);
	ASSERT_TRUE(j);
	ASSERT_EQ(json_integer_value(json_object_get(
			  json_object_get(j, "usage"), "completion_tokens")),
		  2);
	json_decref(j);
	tresp_free(&r);
	tcli_close(&cl);
	srv_stop(s);
}

int main(void)
{
	TEST_RUN(test_completions_usage);
	TEST_RUN(test_chat_role_first);
	TEST_RUN(test_tgi_no_space);
	TEST_RUN(test_timing);
	TEST_RUN(test_tokens_per_chunk);
	TEST_RUN(test_keepalive_pipelining);
	TEST_RUN(test_close_after);
	TEST_RUN(test_fault_http);
	TEST_RUN(test_fault_error);
	TEST_RUN(test_fault_drop_garbage_stall);
	TEST_RUN(test_disconnect_cancels);
	TEST_RUN(test_1000_connections);
	TEST_RUN(test_http_errors);
	return TEST_DONE();
}
