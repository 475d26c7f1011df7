/* gpusampler_test.c - GPU sampler over a fake source, the DCGM source over
 * the in-test HTTP server, and NVML's absence on a GPU-less machine. */
#include <errno.h>
#include <math.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/msg.h"
#include "httpd_fixture.h"
#include "prom_fixtures.h"
#include "telemetry/dcgm.h"
#include "telemetry/gpusampler.h"
#include "telemetry/nvml.h"
#include "test.h"

/* Fake: 2 GPUs; reading k gives mem_used = script[k] GiB on GPU 0 and
 * twice that on GPU 1; power = 100 + k; reads listed in fail_at fail. */
struct fake {
	int reads;
	int fail_at;
	int closed;
	const double *script;
	int n_script;
};

static int fake_open(void *ctx, struct gpu_info *info, int max)
{
	(void)ctx;
	ASSERT_TRUE(max >= 2);
	for (int i = 0; i < 2; i++) {
		memset(&info[i], 0, sizeof(info[i]));
		info[i].index = i;
		snprintf(info[i].name, sizeof(info[i].name), "Fake GPU %d", i);
		info[i].mem_total_bytes = 80.0 * (1 << 30);
	}
	return 2;
}

static int fake_read(void *ctx, struct gpu_sample *out, int n)
{
	struct fake *f = ctx;
	int k = f->reads++;
	if (k == f->fail_at)
		return -EIO;
	double gib = f->script[k % f->n_script];
	for (int i = 0; i < n; i++) {
		out[i].mem_used_bytes = gib * (i + 1) * (1 << 30);
		out[i].mem_total_bytes = 80.0 * (1 << 30);
		out[i].power_w = 100 + k;
		out[i].sm_util_pct = i == 0 ? 50 : NAN; /* GPU 1: no util */
	}
	return 0;
}

static void fake_close(void *ctx)
{
	((struct fake *)ctx)->closed++;
}

static const struct gpu_src_ops fake_ops = {
	.name = "fake", .open = fake_open, .read = fake_read,
	.close = fake_close,
};

static int fail_open(void *ctx, struct gpu_info *info, int max)
{
	(void)ctx, (void)info, (void)max;
	return -ENODEV;
}

static const struct gpu_src_ops fail_ops = {
	.name = "failing", .open = fail_open, .read = fake_read,
	.close = fake_close,
};

static void test_baseline_mean_peak(void)
{
	/* idle 10 GiB x3 ticks, then the window: 20, 30, 25, then after */
	static const double script[] = {10, 10, 10, 20, 30, 25, 99, 99};
	struct fake f = {.fail_at = -1, .script = script, .n_script = 8};
	struct gpu_src src = {&fake_ops, &f};
	char why[128];
	struct gpu_sampler *s = gpu_sampler_new(src, NULL, why, sizeof(why));
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(gpu_sampler_count(s), 2);
	ASSERT_STR_EQ(gpu_sampler_source(s), "fake");
	for (int k = 0; k < 3; k++)
		gpu_sampler_tick(s, k * 100);
	gpu_sampler_window_begin(s, 300);
	gpu_sampler_window_end(s, 600);
	for (int k = 3; k < 8; k++)
		gpu_sampler_tick(s, k * 100);

	struct gpu_summary sm;
	ASSERT_EQ(gpu_sampler_get_summary(s, 0, &sm), 0);
	double G = 1 << 30;
	ASSERT_EQ(sm.mem_used_bytes.n_base, 3);
	ASSERT_EQ(sm.mem_used_bytes.n_win, 3);
	ASSERT_NEAR(sm.mem_used_bytes.base_mean, 10 * G, 1);
	ASSERT_NEAR(sm.mem_used_bytes.win_mean, 25 * G, 1);
	ASSERT_NEAR(sm.mem_used_bytes.win_peak, 30 * G, 1);
	ASSERT_NEAR(sm.mem_used_bytes.win_min, 20 * G, 1);
	ASSERT_NEAR(sm.power_w.base_mean, 101, 1e-9);
	ASSERT_NEAR(sm.power_w.win_peak, 105, 1e-9);
	ASSERT_NEAR(sm.sm_util_pct.win_mean, 50, 0);
	ASSERT_TRUE(isnan(sm.temp_c.win_mean));
	ASSERT_EQ(sm.temp_c.n_win, 0);
	ASSERT_STR_EQ(sm.info.name, "Fake GPU 0");
	ASSERT_EQ(gpu_sampler_get_summary(s, 1, &sm), 0);
	ASSERT_NEAR(sm.mem_used_bytes.win_peak, 60 * G, 1);
	ASSERT_TRUE(isnan(sm.sm_util_pct.win_mean));
	ASSERT_EQ(gpu_sampler_get_summary(s, 2, &sm), -ERANGE);

	ASSERT_EQ(gpu_sampler_len(s), 8);
	struct gpu_sample p;
	ASSERT_EQ(gpu_sampler_point(s, 4, 1, &p), 0);
	ASSERT_EQ(p.t_ns, 400);
	ASSERT_NEAR(p.mem_used_bytes, 60 * G, 1);

	json_t *j = gpu_sampler_to_json(s, 100);
	json_t *g0 = json_array_get(json_object_get(j, "gpus"), 0);
	json_t *mu = json_object_get(json_object_get(g0, "summary"),
				     "mem_used_bytes");
	ASSERT_NEAR(json_real_value(json_object_get(mu, "peak")), 30 * G, 1);
	ASSERT_NEAR(json_real_value(json_object_get(mu, "baseline")), 10 * G, 1);
	json_t *ts = json_object_get(json_object_get(g0, "timeline"), "t_s");
	ASSERT_EQ(json_array_size(ts), 8);
	ASSERT_NEAR(json_real_value(json_array_get(ts, 0)), -1e-7, 1e-12);
	ASSERT_TRUE(json_is_null(json_object_get(
		json_object_get(json_object_get(g0, "summary"), "temp_c"),
		"mean")));
	json_decref(j);
	gpu_sampler_free(s);
	ASSERT_EQ(f.closed, 1);
}

static void test_failed_reads_counted(void)
{
	static const double script[] = {5};
	struct fake f = {.fail_at = 1, .script = script, .n_script = 1};
	struct gpu_sampler *s =
		gpu_sampler_new((struct gpu_src){&fake_ops, &f}, NULL, NULL, 0);
	for (int k = 0; k < 3; k++)
		gpu_sampler_tick(s, k);
	struct gpu_sampler_stats st;
	gpu_sampler_get_stats(s, &st);
	ASSERT_EQ(st.reads, 3);
	ASSERT_EQ(st.failures, 1);
	ASSERT_EQ(st.points, 2);
	gpu_sampler_free(s);

	char why[128] = "";
	struct fake g = {0};
	s = gpu_sampler_new((struct gpu_src){&fail_ops, &g}, NULL, why,
			    sizeof(why));
	ASSERT_TRUE(s == NULL);
	ASSERT_EQ(g.closed, 1); /* the source is closed on failure too */
	ASSERT_TRUE(strstr(why, "failing") != NULL);
}

static void test_thread_and_decimation(void)
{
	static const double script[] = {1, 2, 3};
	struct fake f = {.fail_at = -1, .script = script, .n_script = 3};
	struct gpu_sampler_cfg cfg = {.interval_ns = 2 * NS_PER_MS,
				      .max_points = 16};
	struct gpu_sampler *s = gpu_sampler_new(
		(struct gpu_src){&fake_ops, &f}, &cfg, NULL, 0);
	gpu_sampler_window_begin(s, 0);
	ASSERT_EQ(gpu_sampler_start(s), 0);
	int64_t t0 = clock_now_ns();
	struct gpu_sampler_stats st;
	do {
		clock_sleep_until_ns(clock_now_ns() + 5 * NS_PER_MS, NULL);
		gpu_sampler_get_stats(s, &st);
	} while (st.reads < 40 && clock_now_ns() - t0 < 5 * NS_PER_S);
	gpu_sampler_stop(s);
	gpu_sampler_get_stats(s, &st);
	ASSERT_TRUE(st.reads >= 40);
	ASSERT_TRUE(st.points <= 16 && st.points >= 8);
	struct gpu_summary sm;
	gpu_sampler_get_summary(s, 0, &sm);
	/* summaries see every reading, not just the kept points */
	ASSERT_EQ(sm.mem_used_bytes.n_win, st.reads);
	ASSERT_NEAR(sm.mem_used_bytes.win_peak, 3.0 * (1 << 30), 1);
	/* kept points stay in time order, evenly strided */
	struct gpu_sample a, b, c;
	gpu_sampler_point(s, 0, 0, &a);
	gpu_sampler_point(s, 1, 0, &b);
	gpu_sampler_point(s, 2, 0, &c);
	ASSERT_TRUE(a.t_ns < b.t_ns && b.t_ns < c.t_ns);
	gpu_sampler_free(s);
}

static void test_dcgm_mapping(void)
{
	struct dcgm_acc a;
	dcgm_acc_begin(&a);
	struct prom_parser p;
	prom_init(&p);
	prom_feed(&p, FX_DCGM, strlen(FX_DCGM), dcgm_prom_cb, &a);
	prom_free(&p);
	ASSERT_EQ(a.n, 2);
	struct gpu_info info[4];
	ASSERT_EQ(dcgm_acc_info(&a, info, 4), 2);
	ASSERT_EQ(info[1].index, 1);
	ASSERT_STR_EQ(info[0].name, "NVIDIA H100 80GB HBM3");
	ASSERT_STR_EQ(info[1].uuid, "GPU-bbbb");
	double M = 1048576.0;
	ASSERT_NEAR(info[0].mem_total_bytes, (72000 + 8000 + 559) * M, 0.5);
	struct gpu_sample s;
	ASSERT_EQ(dcgm_acc_sample(&a, 0, 7, &s), 0);
	ASSERT_EQ(s.t_ns, 7);
	ASSERT_NEAR(s.mem_used_bytes, 72000 * M, 0.5);
	ASSERT_NEAR(s.sm_util_pct, 97, 0);
	ASSERT_NEAR(s.mem_util_pct, 61, 0);
	ASSERT_NEAR(s.power_w, 350.5, 0);
	ASSERT_NEAR(s.sm_clock_mhz, 1980, 0);
	ASSERT_NEAR(s.temp_c, 45, 0);
	ASSERT_TRUE(isnan(s.proc_mem_bytes));
	ASSERT_EQ(dcgm_acc_sample(&a, 5, 7, &s), -ENOENT);
	ASSERT_TRUE(isnan(s.power_w));
}

/* DCGM through the same sampler as NVML, over HTTP. */
static void test_dcgm_source_over_http(void)
{
	struct fx f;
	ASSERT_EQ(fx_start(&f), 0);
	fx_set(&f, "/metrics", 200, FX_DCGM, strlen(FX_DCGM));
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", f.port);
	struct gpu_src src;
	ASSERT_EQ(dcgm_src_init(&src, url, NS_PER_S), 0);
	struct gpu_sampler *s = gpu_sampler_new(src, NULL, NULL, 0);
	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(gpu_sampler_count(s), 2);
	gpu_sampler_window_begin(s, 0);
	gpu_sampler_tick(s, 10);
	fx_set(&f, "/metrics", 500, "down", 4);
	gpu_sampler_tick(s, 20);
	struct gpu_sampler_stats st;
	gpu_sampler_get_stats(s, &st);
	ASSERT_EQ(st.reads, 2);
	ASSERT_EQ(st.failures, 1);
	struct gpu_summary sm;
	gpu_sampler_get_summary(s, 1, &sm);
	ASSERT_NEAR(sm.power_w.win_peak, 120.25, 0);
	ASSERT_STR_EQ(gpu_sampler_source(s), "dcgm");
	gpu_sampler_free(s);
	fx_stop(&f);
}

static void test_nvml_absent_is_a_note(void)
{
	char why[256] = "";
	setenv("INFBENCH_NVML_LIB", "libdoes-not-exist-nvml.so.1", 1);
	struct nvml *nv = nvml_open(why, sizeof(why));
	ASSERT_TRUE(nv == NULL);
	ASSERT_TRUE(strstr(why, "NVML not available") != NULL);
	ASSERT_TRUE(strchr(why, '\n') == NULL);
	struct gpu_src src;
	ASSERT_EQ(nvml_src_init(&src, 0, why, sizeof(why)), -ENOENT);
	/* a library without the NVML symbols */
	setenv("INFBENCH_NVML_LIB", "libm.so.6", 1);
	nv = nvml_open(why, sizeof(why));
	ASSERT_TRUE(nv == NULL);
	ASSERT_TRUE(strstr(why, "nvmlInit_v2 missing") != NULL);
	unsetenv("INFBENCH_NVML_LIB");
}

/* The real one: absent here, or a working handle on a GPU box, where it
 * samples for ~0.5 s and checks the readings are physically plausible. */
static void test_nvml_real(void)
{
	char why[256] = "";
	struct nvml *nv = nvml_open(why, sizeof(why));
	if (!nv)
		TEST_SKIP(why);
	ASSERT_TRUE(nvml_count(nv) >= 1);
	struct nvml_versions v;
	nvml_get_versions(nv, &v);
	ASSERT_TRUE(v.driver[0] != '\0');
	fprintf(stderr, "  NVML: %d GPU(s), driver %s, CUDA %s, NVML %s\n",
		nvml_count(nv), v.driver, v.cuda, v.nvml);
	nvml_close(nv);

	struct gpu_src src;
	ASSERT_EQ(nvml_src_init(&src, getpid(), why, sizeof(why)), 0);
	struct gpu_sampler_cfg cfg = {.interval_ns = 20 * NS_PER_MS};
	struct gpu_sampler *s = gpu_sampler_new(src, &cfg, why, sizeof(why));
	ASSERT_TRUE(s != NULL);
	int64_t t0 = clock_now_ns();
	ASSERT_EQ(gpu_sampler_start(s), 0);
	clock_sleep_until_ns(t0 + 200 * NS_PER_MS, NULL);
	gpu_sampler_window_begin(s, clock_now_ns());
	clock_sleep_until_ns(t0 + 500 * NS_PER_MS, NULL);
	gpu_sampler_stop(s);
	int64_t t1 = clock_now_ns();
	struct gpu_sampler_stats st;
	gpu_sampler_get_stats(s, &st);
	ASSERT_EQ(st.failures, 0);
	ASSERT_TRUE(st.reads >= 10);
	for (int i = 0; i < gpu_sampler_count(s); i++) {
		struct gpu_summary sm;
		gpu_sampler_get_summary(s, i, &sm);
		ASSERT_TRUE(sm.info.mem_total_bytes > 1e9);
		ASSERT_TRUE(sm.mem_used_bytes.win_peak <= sm.info.mem_total_bytes);
		ASSERT_TRUE(sm.mem_used_bytes.n_base >= 1);
		ASSERT_TRUE(!(sm.power_w.win_mean <= 0) && !(sm.power_w.win_mean > 2000));
		ASSERT_TRUE(!(sm.temp_c.win_mean < 0) && !(sm.temp_c.win_mean > 120));
		/* this process holds no GPU memory */
		ASSERT_TRUE(isnan(sm.proc_mem_bytes.win_peak) ||
			    sm.proc_mem_bytes.win_peak == 0);
		fprintf(stderr,
			"  GPU %d %s: mem %.2f/%.2f GiB, SM %.0f%%, mem %.0f%%, "
			"%.1f W (idle %.1f W), SM %.0f MHz, %.0f C, proc %.0f B\n",
			i, sm.info.name, sm.mem_used_bytes.win_mean / (1 << 30),
			sm.info.mem_total_bytes / (1 << 30),
			sm.sm_util_pct.win_mean, sm.mem_util_pct.win_mean,
			sm.power_w.win_mean, sm.power_w.base_mean,
			sm.sm_clock_mhz.win_mean, sm.temp_c.win_mean,
			sm.proc_mem_bytes.win_mean);
	}
	fprintf(stderr, "  sampler: %llu reads in %.0f ms at 20 ms, %llu late\n",
		(unsigned long long)st.reads, (double)(t1 - t0) / 1e6,
		(unsigned long long)st.late);
	gpu_sampler_free(s);
}

int main(void)
{
	msg_level = MSG_QUIET;
	TEST_RUN(test_baseline_mean_peak);
	TEST_RUN(test_failed_reads_counted);
	TEST_RUN(test_thread_and_decimation);
	TEST_RUN(test_dcgm_mapping);
	TEST_RUN(test_dcgm_source_over_http);
	TEST_RUN(test_nvml_absent_is_a_note);
	TEST_RUN(test_nvml_real);
	return TEST_DONE();
}
