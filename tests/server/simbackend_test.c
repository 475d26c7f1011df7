/* simbackend_test.c - the engine emulator behind the in-process server:
 * real-time token timing against sim_run_virtual, exact token counts, TGI
 * overload answers, vLLM/TGI /metrics names and movement, /dcgm/metrics,
 * and cancellation freeing KV. Qwen2-7B on A100-80G (decode step ~12 ms). */
#include <jansson.h>
#include <stdio.h>

#include "client.h"
#include "server/serve.h"
#include "server/simbackend.h"
#include "sim/vtime.h"
#include "test.h"

static void sim_cfg(struct sim_config *sc, enum sim_policy p)
{
	struct sim_catalog *cat = sim_catalog_new();
	sim_config_default(sc, p, sim_catalog_model(cat, "qwen2-7b"),
			   sim_catalog_gpu(cat, "a100"));
	sim_catalog_free(cat);
}

static struct srv *start(struct srv_config *c, const struct sim_config *sc)
{
	char *err = NULL;
	srv_config_defaults(c);
	c->port = 0;
	c->model = "m";
	c->backend = &sim_backend_ops;
	c->backend_arg = sc;
	struct srv *s = srv_start(c, &err);
	if (!s)
		fprintf(stderr, "srv_start: %s\n", err);
	free(err);
	return s;
}

/* A prompt of n words. */
static char *words(int n)
{
	char *p = malloc((size_t)n * 2 + 1);
	for (int i = 0; i < n; i++) {
		p[2 * i] = 'w';
		p[2 * i + 1] = ' ';
	}
	p[2 * n] = '\0';
	return p;
}

/* What a zero-overhead client sees for one request alone: TTFT and mean
 * ITL in ms. */
static void predict_one(const struct sim_config *sc, int32_t in, int32_t out,
			double *ttft_ms, double *itl_ms)
{
	struct rec r;
	struct sim_workload wl = {.n = 1, .in_len = &in, .out_len = &out,
				  .concurrency = 1};
	char *err = NULL;
	ASSERT_EQ(sim_run_virtual(sc, &wl, &r, NULL, NULL, &err), 0);
	ASSERT_EQ(r.n_events, (uint32_t)out);
	*ttft_ms = (double)(rec_first_ev_ns(&r) - r.t_send_ns) / 1e6;
	*itl_ms = (double)(r.t_last_ev_ns - rec_first_ev_ns(&r)) /
		  (out - 1) / 1e6;
	rec_free(&r);
}

static double median3(const double *v)
{
	double a = v[0], b = v[1], c = v[2];
	if (a > b) {
		double t = a;
		a = b;
		b = t;
	}
	return c < a ? a : c > b ? b : c;
}

/* Stream one request alone and compare with the virtual-time runner. */
static void timing_case(enum sim_policy pol, const char *path, int tgi)
{
	struct sim_config sc;
	struct srv_config c;
	sim_cfg(&sc, pol);
	struct srv *s = start(&c, &sc);
	ASSERT_TRUE(s);
	const int in = 300, out = 25;
	double p_ttft, p_itl;
	predict_one(&sc, in, out, &p_ttft, &p_itl);
	char *prompt = words(in), body[4096];
	if (tgi)
		snprintf(body, sizeof(body),
			 "{\"inputs\":\"%s\",\"parameters\":{\"max_new_tokens\":"
			 "%d}}",
			 prompt, out);
	else
		snprintf(body, sizeof(body),
			 "{\"prompt\":\"%s\",\"max_tokens\":%d,\"stream\":true}",
			 prompt, out);
	free(prompt);
	/* one warm-up request (first-use costs: page faults, sanitizers),
	 * then the median of three on a keep-alive connection */
	struct tcli cl;
	struct tresp r;
	double ttfts[3], itls[3];
	ASSERT_EQ(tcli_open(&cl, srv_port(s)), 0);
	for (int k = -1; k < 3; k++) {
		int64_t t0 = clock_now_ns();
		tcli_post(&cl, path, body);
		ASSERT_EQ(tcli_read(&cl, &r, 10000), 0);
		ASSERT_EQ(r.n_ev, out + (tgi ? 0 : 1)); /* OpenAI: + [DONE] */
		if (k >= 0) {
			ttfts[k] = (double)(r.ev_ns[0] - t0) / 1e6;
			itls[k] = (double)(r.ev_ns[out - 1] - r.ev_ns[0]) /
				  (out - 1) / 1e6;
		}
		tresp_free(&r);
	}
	tcli_close(&cl);
	double ttft = median3(ttfts), itl = median3(itls);
	fprintf(stderr,
		"  %s %s: ttft %.2f ms (virtual %.2f), itl %.3f ms (virtual "
		"%.3f), medians of 3\n",
		sim_policy_name(pol), path, ttft, p_ttft, itl, p_itl);
	/* never early; late by loop wake-up and the client, within 15 % */
	ASSERT_TRUE(ttft >= p_ttft * 0.99);
	ASSERT_NEAR(ttft, p_ttft, p_ttft * 0.15 + 1.0);
	ASSERT_NEAR(itl, p_itl, p_itl * 0.15);
	srv_stop(s);
}

static void test_paged_timing(void)
{
	timing_case(SIM_POLICY_PAGED, "/v1/completions", 0);
}

static void test_reserved_timing(void)
{
	timing_case(SIM_POLICY_RESERVED, "/generate_stream", 1);
}

/* Four concurrent streams: exact counts; the slowest end within 20 % of
 * the virtual run with the four arriving together. */
static void test_concurrent_counts(void)
{
	struct sim_config sc;
	struct srv_config c;
	sim_cfg(&sc, SIM_POLICY_PAGED);
	struct srv *s = start(&c, &sc);
	ASSERT_TRUE(s);
	enum { N = 4 };
	int32_t in[N] = {50, 400, 1200, 3000}, out[N] = {20, 10, 30, 15};
	int64_t arr[N] = {0};
	struct tcli cl[N];
	int64_t t0 = clock_now_ns();
	for (int i = 0; i < N; i++) {
		char *p = words(in[i]), *body = malloc(8000);
		snprintf(body, 8000,
			 "{\"prompt\":\"%s\",\"max_tokens\":%d,\"stream\":true}",
			 p, out[i]);
		ASSERT_EQ(tcli_open(&cl[i], srv_port(s)), 0);
		tcli_post(&cl[i], "/v1/completions", body);
		free(p);
		free(body);
	}
	double e2e_max = 0;
	for (int i = 0; i < N; i++) {
		struct tresp r;
		ASSERT_EQ(tcli_read(&cl[i], &r, 10000), 0);
		ASSERT_EQ(r.n_ev, out[i] + 1);
		double e2e = (double)(r.ev_ns[out[i] - 1] - t0) / 1e6;
		if (e2e > e2e_max)
			e2e_max = e2e;
		tresp_free(&r);
		tcli_close(&cl[i]);
	}
	struct rec recs[N];
	struct sim_workload wl = {.n = N, .in_len = in, .out_len = out,
				  .arrival_ns = arr};
	ASSERT_EQ(sim_run_virtual(&sc, &wl, recs, NULL, NULL, NULL), 0);
	double v_max = 0;
	for (int i = 0; i < N; i++) {
		double e = (double)(recs[i].t_done_ns - recs[i].t_send_ns) / 1e6;
		if (e > v_max)
			v_max = e;
		rec_free(&recs[i]);
	}
	fprintf(stderr, "  4 streams: last token at %.1f ms (virtual %.1f)\n",
		e2e_max, v_max);
	ASSERT_NEAR(e2e_max, v_max, v_max * 0.2);
	srv_stop(s);
}

/* The value of the first sample line starting with `prefix` (the text
 * after the line's last space), or -1. */
static double metric_value(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if (!strncmp(p, prefix, n)) {
			const char *sp = eol;
			while (sp > p && sp[-1] != ' ')
				sp--;
			return sp > p ? strtod(sp, NULL) : -1;
		}
		p = *eol ? eol + 1 : NULL;
	}
	return -1;
}

static char *get(int port, const char *path)
{
	struct tcli c;
	struct tresp r;
	if (tcli_open(&c, port))
		return NULL;
	tcli_get(&c, path);
	int rc = tcli_read(&c, &r, 5000);
	tcli_close(&c);
	if (rc || r.status != 200) {
		tresp_free(&r);
		return NULL;
	}
	buf_append(&r.body, "", 1);
	return buf_take(&r.body);
}

/* Poll path until `prefix` reads want (within 2 s). */
static double poll_metric(int port, const char *path, const char *prefix,
			  double want)
{
	double v = -1;
	for (int i = 0; i < 200; i++) {
		char *m = get(port, path);
		v = m ? metric_value(m, prefix) : -1;
		free(m);
		if (v == want)
			break;
		usleep(10000);
	}
	return v;
}

static void test_paged_metrics_cancel(void)
{
	struct sim_config sc;
	struct srv_config c;
	sim_cfg(&sc, SIM_POLICY_PAGED);
	struct srv *s = start(&c, &sc);
	ASSERT_TRUE(s);
	int port = srv_port(s);
	struct sim_engine *e = sim_engine_new(&sc, NULL);
	struct sim_mem mem;
	sim_stats(e, &mem);
	sim_engine_free(e);

	char *m = get(port, "/metrics");
	ASSERT_TRUE(m);
	ASSERT_EQ(metric_value(m, "vllm:num_requests_running{"), 0);
	char want[128];
	snprintf(want, sizeof(want), "num_gpu_blocks=\"%lld\"",
		 (long long)mem.kv_capacity_blocks);
	ASSERT_TRUE(strstr(m, want) != NULL);
	ASSERT_TRUE(strstr(m, "vllm:cache_config_info{block_size=\"16\"") != NULL);
	ASSERT_TRUE(strstr(m, "# TYPE vllm:iteration_tokens_total histogram") !=
		    NULL);
	ASSERT_TRUE(strstr(m, "tgi_") == NULL);
	free(m);
	m = get(port, "/v1/models");
	ASSERT_TRUE(m && strstr(m, "\"max_model_len\":32768"));
	free(m);

	/* a long stream: read a few tokens, metrics move, then hang up */
	struct tcli cl;
	struct tresp r;
	ASSERT_EQ(tcli_open(&cl, port), 0);
	tcli_post(&cl, "/v1/completions",
		  "{\"prompt\":\"a b c\",\"max_tokens\":2000,\"stream\":true}");
	int64_t dl = clock_now_ns() + 5 * NS_PER_S;
	while (tcli_fill(&cl, dl) == 0 && !memmem(cl.in, cl.len, "data:", 5))
		;
	m = get(port, "/metrics");
	ASSERT_TRUE(m);
	ASSERT_EQ(metric_value(m, "vllm:num_requests_running{"), 1);
	ASSERT_TRUE(metric_value(m, "vllm:kv_cache_usage_perc{") > 0);
	ASSERT_TRUE(metric_value(m, "vllm:generation_tokens_total{") >= 1);
	ASSERT_TRUE(metric_value(m, "vllm:iteration_tokens_total_count{") >= 1);
	free(m);
	tcli_close(&cl);
	(void)r;
	ASSERT_EQ(poll_metric(port, "/metrics", "vllm:num_requests_running{", 0),
		  0);
	ASSERT_EQ(poll_metric(port, "/metrics", "vllm:kv_cache_usage_perc{", 0),
		  0);
	srv_stop(s);
}

static void test_dcgm(void)
{
	struct sim_config sc;
	struct srv_config c;
	sim_cfg(&sc, SIM_POLICY_PAGED);
	sc.tp = 2;
	struct srv *s = start(&c, &sc);
	ASSERT_TRUE(s);
	int port = srv_port(s);
	struct sim_engine *e = sim_engine_new(&sc, NULL);
	struct sim_mem mem;
	sim_stats(e, &mem);
	int64_t want_used = (mem.weights_bytes / 2 + mem.kv_capacity_bytes / 2 +
			     mem.act_bytes + sim_engine_config(e)->overhead_bytes) /
			    (1024 * 1024);
	sim_engine_free(e);

	char *d = get(port, "/dcgm/metrics");
	ASSERT_TRUE(d);
	const char *lab = "{gpu=\"1\",UUID=\"GPU-infbench-sim-1\",device="
			  "\"nvidia1\",modelName=\"NVIDIA A100-SXM4-80GB\","
			  "Hostname=\"infbench-sim\"}";
	char key[256];
	snprintf(key, sizeof(key), "DCGM_FI_DEV_FB_USED%s", lab);
	double used0 = metric_value(d, key);
	snprintf(key, sizeof(key), "DCGM_FI_DEV_FB_FREE%s", lab);
	double free0 = metric_value(d, key);
	fprintf(stderr, "  dcgm tp=2: FB used %.0f MiB (want %lld), free %.0f\n",
		used0, (long long)want_used, free0);
	ASSERT_EQ(used0, want_used);
	ASSERT_EQ(used0 + free0, 81920);
	ASSERT_EQ(metric_value(d, "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\""), 0);
	ASSERT_TRUE(metric_value(d, "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"") > 0);
	ASSERT_TRUE(strstr(d, "# TYPE DCGM_FI_DEV_MEM_COPY_UTIL gauge") != NULL);
	free(d);

	/* busy for ~0.4 s: utilization rises, FB stays flat */
	struct tresp r;
	struct tcli cl;
	ASSERT_EQ(tcli_open(&cl, port), 0);
	tcli_post(&cl, "/v1/completions",
		  "{\"prompt\":\"a b c\",\"max_tokens\":50,\"stream\":true}");
	ASSERT_EQ(tcli_read(&cl, &r, 10000), 0);
	tresp_free(&r);
	tcli_close(&cl);
	d = get(port, "/dcgm/metrics");
	ASSERT_TRUE(d);
	double util = metric_value(d, "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"");
	double memu = metric_value(d, "DCGM_FI_DEV_MEM_COPY_UTIL{gpu=\"0\"");
	snprintf(key, sizeof(key), "DCGM_FI_DEV_FB_USED%s", lab);
	fprintf(stderr, "  dcgm after a 50-token request: util %.0f %%, mem "
			"copy %.0f %%\n",
		util, memu);
	ASSERT_EQ(metric_value(d, key), used0);
	ASSERT_TRUE(util >= 20 && util <= 100);
	ASSERT_TRUE(memu > 0 && memu <= util);
	free(d);
	srv_stop(s);
}

static void test_reserved_overload(void)
{
	struct sim_config sc;
	struct srv_config c;
	sim_cfg(&sc, SIM_POLICY_RESERVED);
	sc.max_concurrent_requests = 2;
	struct srv *s = start(&c, &sc);
	ASSERT_TRUE(s);
	int port = srv_port(s);
	char *m = get(port, "/info");
	ASSERT_TRUE(m && strstr(m, "\"max_concurrent_requests\":2"));
	free(m);

	struct tcli busy[2];
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(tcli_open(&busy[i], port), 0);
		tcli_post(&busy[i], "/generate_stream",
			  "{\"inputs\":\"x y\",\"parameters\":{"
			  "\"max_new_tokens\":3000}}");
	}
	ASSERT_EQ(poll_metric(port, "/metrics", "tgi_batch_current_size ", 2),
		  2);
	struct tresp r;
	struct tcli cl;
	ASSERT_EQ(tcli_open(&cl, port), 0);
	tcli_post(&cl, "/generate_stream",
		  "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":3}}");
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_EQ(r.status, 200);
	char *ev = tresp_event(&r, 0);
	ASSERT_STR_EQ(ev, "data:{\"error\":\"Model is overloaded\","
			  "\"error_type\":\"overloaded\"}");
	free(ev);
	tresp_free(&r);
	tcli_post(&cl, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":3}");
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_EQ(r.status, 429);
	tresp_free(&r);
	tcli_close(&cl);

	m = get(port, "/metrics");
	ASSERT_TRUE(m);
	ASSERT_EQ(metric_value(m, "tgi_request_count "), 4);
	ASSERT_EQ(metric_value(m, "tgi_request_failure{err=\"overloaded\"} "), 2);
	ASSERT_EQ(metric_value(m, "tgi_queue_size "), 0);
	/* reservation: prompt + min(max_new, 1024) - 1 each */
	ASSERT_EQ(metric_value(m, "tgi_batch_current_max_tokens "),
		  2 * (2 + 1024 - 1));
	ASSERT_TRUE(metric_value(m, "tgi_batch_max_total_tokens ") > 1e6);
	ASSERT_TRUE(strstr(m, "vllm:") == NULL);
	ASSERT_TRUE(strstr(m, "tgi_request_count_total") == NULL);
	free(m);

	/* clients leave: the reservations go back */
	tcli_close(&busy[0]);
	tcli_close(&busy[1]);
	ASSERT_EQ(poll_metric(port, "/metrics", "tgi_batch_current_size ", 0),
		  0);
	ASSERT_EQ(poll_metric(port, "/metrics",
			      "tgi_batch_current_max_tokens ", 0),
		  0);
	srv_stop(s);
}

/* A request whose KV can never fit the pool: vLLM 400, TGI 422 event. */
static void test_never_fits(void)
{
	struct sim_config sc;
	struct srv_config c;
	sim_cfg(&sc, SIM_POLICY_PAGED);
	sc.kv_tokens_override = 160; /* 10 blocks */
	struct srv *s = start(&c, &sc);
	ASSERT_TRUE(s);
	struct tresp r;
	struct tcli cl;
	ASSERT_EQ(tcli_open(&cl, srv_port(s)), 0);
	tcli_post(&cl, "/v1/completions",
		  "{\"prompt\":\"a b c\",\"max_tokens\":200,\"stream\":true}");
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_EQ(r.status, 400);
	ASSERT_TRUE(strstr(r.body.data, "BadRequestError") != NULL);
	tresp_free(&r);
	tcli_post(&cl, "/v1/completions",
		  "{\"prompt\":\"a b c\",\"max_tokens\":100,\"stream\":true}");
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_EQ(r.n_ev, 101);
	tresp_free(&r);
	tcli_close(&cl);
	srv_stop(s);

	sim_cfg(&sc, SIM_POLICY_RESERVED);
	sc.kv_tokens_override = 160;
	s = start(&c, &sc);
	ASSERT_TRUE(s);
	ASSERT_EQ(tcli_open(&cl, srv_port(s)), 0);
	tcli_post(&cl, "/generate_stream",
		  "{\"inputs\":\"a b c\",\"parameters\":{\"max_new_tokens\":"
		  "200}}");
	ASSERT_EQ(tcli_read(&cl, &r, 5000), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_TRUE(strstr(r.body.data, "\"error_type\":\"validation\"") != NULL);
	tresp_free(&r);
	tcli_close(&cl);
	srv_stop(s);
}

int main(void)
{
	TEST_RUN(test_paged_timing);
	TEST_RUN(test_reserved_timing);
	TEST_RUN(test_concurrent_counts);
	TEST_RUN(test_paged_metrics_cancel);
	TEST_RUN(test_dcgm);
	TEST_RUN(test_reserved_overload);
	TEST_RUN(test_never_fits);
	return TEST_DONE();
}
