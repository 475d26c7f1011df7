/* run_telemetry_test.c - the run command's telemetry glue against an
 * in-test HTTP server playing a vLLM /metrics and a DCGM exporter: idle
 * baseline vs window, memory efficiency from those readings, the flat
 * (preallocated) case, disabled sources, and the JSON blocks. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run_telemetry.h"
#include "core/clock.h"
#include "telemetry/httpd_fixture.h"
#include "test.h"

#define MIB 1048576.0

/* One GPU of a DCGM exporter with fb_used_mib in use (80 GiB card). */
static void set_dcgm(struct fx *f, double fb_used_mib, double util)
{
	char body[2048];
	const char *lab = "{gpu=\"0\",UUID=\"GPU-test\",device=\"nvidia0\","
			  "modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"h\"}";
	int n = snprintf(body, sizeof(body),
			 "# TYPE DCGM_FI_DEV_FB_USED gauge\n"
			 "DCGM_FI_DEV_FB_USED%s %.0f\n"
			 "# TYPE DCGM_FI_DEV_FB_FREE gauge\n"
			 "DCGM_FI_DEV_FB_FREE%s %.0f\n"
			 "# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n"
			 "DCGM_FI_DEV_GPU_UTIL%s %.0f\n"
			 "# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n"
			 "DCGM_FI_DEV_POWER_USAGE%s 300.5\n",
			 lab, fb_used_mib, lab, 81920 - fb_used_mib, lab, util,
			 lab);
	fx_set(f, "/dcgm/metrics", 200, body, (size_t)n);
}

/* vLLM V1 names; pool = 1000 blocks x 16 tokens. */
static void set_vllm(struct fx *f, double running, double kv_usage)
{
	char body[2048];
	int n = snprintf(
		body, sizeof(body),
		"# TYPE vllm:num_requests_running gauge\n"
		"vllm:num_requests_running{engine=\"0\",model_name=\"m\"} %g\n"
		"# TYPE vllm:num_requests_waiting gauge\n"
		"vllm:num_requests_waiting{engine=\"0\",model_name=\"m\"} 0\n"
		"# TYPE vllm:kv_cache_usage_perc gauge\n"
		"vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"m\"} %g\n"
		"# TYPE vllm:cache_config_info gauge\n"
		"vllm:cache_config_info{block_size=\"16\",engine=\"0\","
		"num_gpu_blocks=\"1000\"} 1.0\n",
		running, kv_usage);
	fx_set(f, "/metrics", 200, body, (size_t)n);
}

static void sleep_s(double s)
{
	clock_sleep_until_ns(clock_now_ns() + (int64_t)(s * 1e9), NULL);
}

static double jnum(json_t *j, const char *path)
{
	char seg[64];
	while (j && *path) {
		size_t n = strcspn(path, ".");
		snprintf(seg, sizeof(seg), "%.*s", (int)n, path);
		j = json_is_array(j) ? json_array_get(j, strtoul(seg, NULL, 10))
				     : json_object_get(j, seg);
		path += n + (path[n] == '.');
	}
	return json_is_number(j) ? json_number_value(j) : NAN;
}

/* Runs idle (idle_mib, kv 0) for the baseline, then the window at
 * load_mib / kv. Returns the telemetry, finished; caller frees. */
static struct rtel *session(struct fx *f, double idle_mib, double load_mib,
			    double kv, double weights_bytes)
{
	char base[64], dcgm[96];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", f->port);
	snprintf(dcgm, sizeof(dcgm), "dcgm:%s/dcgm/metrics", base);
	set_dcgm(f, idle_mib, 0);
	set_vllm(f, 0, 0);
	struct rtel_cfg c;
	rtel_cfg_init(&c);
	c.base_url = base;
	c.metrics_interval_s = 0.05;
	c.gpu = dcgm;
	c.gpu_interval_s = 0.02;
	c.idle_baseline_s = 0.3;
	c.weights_bytes = weights_bytes;
	c.kv_bytes_per_token = 131072;
	struct rtel *t = rtel_new(&c);
	rtel_start(t);
	int64_t begin = clock_now_ns();
	rtel_window_begin(t, begin);
	/* changed after the window opened: no baseline reading sees it */
	set_dcgm(f, load_mib, 90);
	set_vllm(f, 4, kv);
	sleep_s(0.5);
	rtel_window_end(t, clock_now_ns());
	rtel_stop(t);
	struct rtel_run r = {.t0_ns = begin,
			     .t0_from = "test",
			     .out_tok_s = 1000,
			     .in_len = 100,
			     .out_len = 60};
	rtel_finish(t, &r);
	return t;
}

static void test_dcgm_and_vllm_window(void)
{
	struct fx f;
	ASSERT_EQ(fx_start(&f), 0);
	fx_set(&f, "/version", 200, "{\"version\":\"9.9.9\"}", 19);
	struct rtel *t = session(&f, 20000, 30000, 0.5, 16e9);

	json_t *g = rtel_gpu_json(t);
	ASSERT_TRUE(json_is_true(json_object_get(g, "present")));
	ASSERT_STR_EQ(json_string_value(json_object_get(g, "source")), "dcgm");
	ASSERT_NEAR(jnum(g, "gpus.0.summary.mem_used_bytes.baseline"),
		    20000 * MIB, 0);
	ASSERT_NEAR(jnum(g, "gpus.0.summary.mem_used_bytes.peak"), 30000 * MIB,
		    0);
	ASSERT_TRUE(jnum(g, "gpus.0.summary.mem_used_bytes.n_baseline") >= 5);
	ASSERT_NEAR(jnum(g, "gpus.0.summary.sm_util_pct.peak"), 90, 0);

	json_t *s = rtel_server_json(t);
	ASSERT_STR_EQ(json_string_value(json_object_get(s, "flavour")), "vllm");
	ASSERT_NEAR(jnum(s, "summary.running_peak"), 4, 0);
	ASSERT_NEAR(jnum(s, "summary.kv_usage_peak"), 0.5, 0);
	ASSERT_NEAR(jnum(s, "summary.kv_pool_tok"), 16000, 0);
	ASSERT_TRUE(jnum(s, "window.begin_s") == 0);

	/* weights 16 GB given, 1 GiB default overhead, peak 30000 MiB */
	const struct memeff_out *m = rtel_memeff(t);
	double alloc = 30000 * MIB - 16e9 - 1073741824.0;
	ASSERT_NEAR(m->kv_alloc_bytes, alloc, 1);
	ASSERT_NEAR(m->tok_s_per_gb_alloc, 1000 / (alloc / 1e9), 1e-9);
	ASSERT_NEAR(m->pool_tokens, 16000, 0);
	ASSERT_NEAR(m->pool_bytes, 16000 * 131072.0, 0);
	ASSERT_NEAR(m->kv_used_peak_bytes, 0.5 * 16000 * 131072.0, 0);
	ASSERT_NEAR(m->max_concurrency, 100, 0); /* 16000 / (100 + 60) */
	ASSERT_NEAR(m->naive_tok_s_per_gb, 1000 / (30000 * MIB / 1e9), 1e-9);
	ASSERT_TRUE(!m->flat_prealloc);
	json_t *me = rtel_memeff_json(t);
	ASSERT_STR_EQ(json_string_value(
			      json_object_get(json_object_get(me, "inputs"),
					      "pool_tokens_from")),
		      "server_metrics");
	ASSERT_TRUE(json_is_null(json_object_get(me, "reason")));

	/* the fingerprint describes the sampled (DCGM) GPUs and the server */
	json_t *fp = rtel_fingerprint(t);
	json_t *fg = json_object_get(fp, "gpu");
	ASSERT_TRUE(json_is_true(json_object_get(fg, "present")));
	ASSERT_EQ(json_integer_value(json_object_get(fg, "count")), 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(
			      json_array_get(json_object_get(fg, "devices"), 0),
			      "name")),
		      "NVIDIA H100 80GB HBM3");
	ASSERT_STR_EQ(json_string_value(json_object_get(
			      json_object_get(fp, "server"), "version")),
		      "9.9.9");

	json_t *doc = json_object();
	rtel_add_json(t, doc);
	ASSERT_TRUE(json_object_get(doc, "server_metrics") == s);
	ASSERT_TRUE(json_object_get(doc, "gpu") == g);
	ASSERT_TRUE(json_object_get(doc, "memory_efficiency") == me);
	ASSERT_TRUE(json_object_get(doc, "fingerprint") == fp);
	json_decref(doc);
	rtel_free(t);
	fx_stop(&f);
}

/* Flat device memory while the server reports KV use: preallocation. */
static void test_flat_prealloc_explained(void)
{
	struct fx f;
	ASSERT_EQ(fx_start(&f), 0);
	struct rtel *t = session(&f, 70000, 70000, 0.6, NAN);
	const struct memeff_out *m = rtel_memeff(t);
	ASSERT_TRUE(m->flat_prealloc);
	ASSERT_STR_EQ(m->weights_src, "idle_baseline");
	ASSERT_TRUE(isnan(m->kv_alloc_bytes));
	ASSERT_NEAR(m->kv_usage_peak, 0.6, 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	rtel_print(t, out);
	fclose(out);
	ASSERT_TRUE(strstr(buf, "server   vllm") != NULL);
	ASSERT_TRUE(strstr(buf, "NVIDIA H100 80GB HBM3 (dcgm)") != NULL);
	ASSERT_TRUE(strstr(buf, "Device memory stayed flat") != NULL);
	free(buf);
	json_t *me = rtel_memeff_json(t);
	ASSERT_TRUE(json_is_string(json_object_get(me, "explain")));
	ASSERT_TRUE(strstr(json_string_value(json_object_get(me, "reason")),
			   "--weights-gb") != NULL);
	rtel_free(t);
	fx_stop(&f);
}

/* Everything off: blocks still exist and say why they are empty. */
static void test_sources_disabled(void)
{
	struct rtel_cfg c;
	rtel_cfg_init(&c);
	c.base_url = NULL;
	c.metrics_url = "none";
	c.gpu = "none";
	struct rtel *t = rtel_new(&c);
	int64_t t0 = clock_now_ns();
	rtel_start(t); /* no GPU: no idle wait */
	ASSERT_TRUE(clock_now_ns() - t0 < 200 * NS_PER_MS);
	rtel_window_begin(t, t0);
	rtel_window_end(t, t0 + 1);
	rtel_stop(t);
	struct rtel_run r = {.t0_ns = t0, .out_tok_s = 5};
	rtel_finish(t, &r);
	ASSERT_TRUE(json_is_false(
		json_object_get(rtel_server_json(t), "enabled")));
	json_t *g = rtel_gpu_json(t);
	ASSERT_TRUE(json_is_false(json_object_get(g, "present")));
	ASSERT_STR_EQ(json_string_value(json_object_get(g, "source")), "none");
	json_t *me = rtel_memeff_json(t);
	ASSERT_TRUE(json_is_false(json_object_get(me, "computed")));
	ASSERT_TRUE(json_is_null(json_object_get(me, "kv_alloc_bytes")));
	ASSERT_TRUE(json_is_null(json_object_get(me, "tok_s_per_gb_used")));
	ASSERT_TRUE(strstr(json_string_value(json_object_get(me, "reason")),
			   "no GPU memory readings") != NULL);
	ASSERT_TRUE(json_is_false(json_object_get(
		json_object_get(rtel_fingerprint(t), "gpu"), "present")));
	rtel_free(t);
}

/* NVML absent: one note, no idle wait, the run goes on. */
static void test_nvml_absent(void)
{
	setenv("INFBENCH_NVML_LIB", "libdoes-not-exist-nvml.so.1", 1);
	struct rtel_cfg c;
	rtel_cfg_init(&c);
	c.metrics_url = "none";
	struct rtel *t = rtel_new(&c);
	int64_t t0 = clock_now_ns();
	rtel_start(t);
	ASSERT_TRUE(clock_now_ns() - t0 < 200 * NS_PER_MS);
	rtel_stop(t);
	struct rtel_run r = {.t0_ns = t0};
	rtel_finish(t, &r);
	json_t *g = rtel_gpu_json(t);
	ASSERT_TRUE(json_is_false(json_object_get(g, "present")));
	ASSERT_STR_EQ(json_string_value(json_object_get(g, "source")), "nvml");
	ASSERT_TRUE(strstr(json_string_value(json_object_get(g, "note")),
			   "NVML not available") != NULL);
	rtel_free(t);
	unsetenv("INFBENCH_NVML_LIB");
}

static void *send_sigint(void *arg)
{
	(void)arg;
	sigset_t b;
	sigemptyset(&b);
	sigaddset(&b, SIGINT);
	pthread_sigmask(SIG_BLOCK, &b, NULL); /* delivered to the main thread */
	sleep_s(0.1);
	kill(getpid(), SIGINT);
	return NULL;
}

static void keep_handler(int sig)
{
	(void)sig;
}

/* Ctrl-C during the idle baseline ends it at once and is reported; the
 * caller's handler is back afterwards. */
static void test_interrupt_during_baseline(void)
{
	struct sigaction sa, now;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = keep_handler;
	sigaction(SIGINT, &sa, NULL);
	struct rtel_cfg c;
	rtel_cfg_init(&c);
	c.metrics_url = "none";
	c.gpu = "none";
	c.idle_baseline_s = 5;
	struct rtel *t = rtel_new(&c);
	pthread_t th;
	int64_t t0 = clock_now_ns();
	ASSERT_EQ(pthread_create(&th, NULL, send_sigint, NULL), 0);
	ASSERT_EQ(rtel_start(t), -EINTR);
	pthread_join(th, NULL);
	ASSERT_TRUE(clock_now_ns() - t0 < 2 * NS_PER_S);
	sigaction(SIGINT, NULL, &now);
	ASSERT_TRUE(now.sa_handler == keep_handler);
	rtel_free(t);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
}

static void test_gpu_spec(void)
{
	const char *why = NULL;
	ASSERT_EQ(rtel_gpu_spec_check("nvml", &why), 0);
	ASSERT_EQ(rtel_gpu_spec_check("none", &why), 0);
	ASSERT_EQ(rtel_gpu_spec_check("dcgm:http://h:9400/metrics", &why), 0);
	ASSERT_EQ(rtel_gpu_spec_check("dcgm:h:9400", &why), -EINVAL);
	ASSERT_TRUE(why && strstr(why, "dcgm:") != NULL);
	ASSERT_EQ(rtel_gpu_spec_check("cuda", &why), -EINVAL);
}

int main(void)
{
	TEST_RUN(test_gpu_spec);
	TEST_RUN(test_sources_disabled);
	TEST_RUN(test_nvml_absent);
	TEST_RUN(test_interrupt_during_baseline);
	TEST_RUN(test_dcgm_and_vllm_window);
	TEST_RUN(test_flat_prealloc_explained);
	return TEST_DONE();
}
