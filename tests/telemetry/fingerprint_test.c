/* fingerprint_test.c - environment fingerprint keys, server info, diff. */
#include "core/clock.h"
#include "core/msg.h"
#include "core/version.h"
#include "httpd_fixture.h"
#include "telemetry/fingerprint.h"
#include "test.h"

static json_t *at(json_t *o, const char *a, const char *b)
{
	json_t *x = json_object_get(o, a);
	return b ? json_object_get(x, b) : x;
}

static void test_required_keys(void)
{
	setenv("INFBENCH_NVML_LIB", "libdoes-not-exist-nvml.so.1", 1);
	struct fp_cfg c = {0};
	json_t *f = fingerprint_collect(&c);
	unsetenv("INFBENCH_NVML_LIB");
	static const char *const host_keys[] = {
		"hostname", "cpu_model", "cpus_online", "cpus_configured",
		"mem_total_bytes", "kernel", "os", "libc"};
	for (size_t i = 0; i < sizeof(host_keys) / sizeof(host_keys[0]); i++)
		ASSERT_TRUE(at(f, "host", host_keys[i]) != NULL);
	ASSERT_TRUE(json_integer_value(at(f, "host", "cpus_online")) >= 1);
	ASSERT_TRUE(json_integer_value(at(f, "host", "mem_total_bytes")) >
		    (1 << 20));
	ASSERT_TRUE(json_is_string(
		json_object_get(at(f, "host", "kernel"), "release")));
	ASSERT_TRUE(json_is_string(at(f, "host", "cpu_model")));
	ASSERT_TRUE(json_is_string(at(f, "libs", "libcurl")));
	ASSERT_TRUE(json_is_string(at(f, "libs", "jansson")));
	ASSERT_TRUE(json_is_false(at(f, "gpu", "present")));
	ASSERT_TRUE(strstr(json_string_value(at(f, "gpu", "note")),
			   "NVML not available") != NULL);
	ASSERT_STR_EQ(json_string_value(at(f, "infbench", "version")),
		      INFBENCH_VERSION);
	ASSERT_STR_EQ(json_string_value(at(f, "infbench", "git")),
		      version_git());
	ASSERT_TRUE(json_object_get(f, "server") == NULL);
	json_decref(f);
}

static void test_server_routes(void)
{
	struct fx fx;
	ASSERT_EQ(fx_start(&fx), 0);
	static const char ver[] = "{\"version\":\"0.10.1\"}";
	static const char models[] =
		"{\"object\":\"list\",\"data\":[{\"id\":\"Qwen/Qwen2-7B-Instruct\","
		"\"root\":\"Qwen/Qwen2-7B-Instruct\",\"max_model_len\":32768}]}";
	static const char info[] = "not json at all";
	fx_set(&fx, "/version", 200, ver, sizeof(ver) - 1);
	fx_set(&fx, "/v1/models", 200, models, sizeof(models) - 1);
	fx_set(&fx, "/info", 200, info, sizeof(info) - 1);
	fx_set(&fx, "/get_server_info", 500, "x", 1);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/chat/completions",
		 fx.port);
	struct fp_cfg c = {.server_url = url, .timeout_ns = NS_PER_S,
			   .no_gpu = 1};
	json_t *f = fingerprint_collect(&c);
	json_t *s = json_object_get(f, "server");
	char base[128];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", fx.port);
	ASSERT_STR_EQ(json_string_value(json_object_get(s, "url")), base);
	json_t *routes = json_object_get(s, "routes");
	ASSERT_STR_EQ(json_string_value(json_object_get(
			      json_object_get(routes, "/version"), "version")),
		      "0.10.1");
	ASSERT_STR_EQ(json_string_value(json_object_get(routes, "/info")),
		      info);
	ASSERT_EQ(json_integer_value(json_object_get(s, "max_context_len")),
		  32768);
	ASSERT_STR_EQ(json_string_value(json_object_get(s, "max_context_len_from")),
		      "/v1/models data[0].max_model_len");
	ASSERT_STR_EQ(json_string_value(json_object_get(s, "version")), "0.10.1");
	json_t *miss = json_object_get(s, "missing");
	ASSERT_EQ(json_integer_value(json_object_get(miss, "/props")), 404);
	ASSERT_EQ(json_integer_value(json_object_get(miss, "/get_server_info")),
		  500);
	ASSERT_TRUE(json_object_get(routes, "/props") == NULL);
	ASSERT_TRUE(json_is_false(at(f, "gpu", "present")));
	json_decref(f);

	/* llama.cpp-style: context only in /props */
	static const char props[] =
		"{\"default_generation_settings\":{\"n_ctx\":4096},"
		"\"total_slots\":4,\"build_info\":\"b5000-abc\"}";
	fx_set(&fx, "/props", 200, props, sizeof(props) - 1);
	fx_set(&fx, "/v1/models", 404, "", 0);
	fx_set(&fx, "/version", 404, "", 0);
	f = fingerprint_collect(&c);
	s = json_object_get(f, "server");
	ASSERT_EQ(json_integer_value(json_object_get(s, "max_context_len")),
		  4096);
	ASSERT_STR_EQ(json_string_value(json_object_get(s, "version")),
		      "b5000-abc");
	json_decref(f);
	fx_stop(&fx);
}

static void test_diff(void)
{
	json_t *a = json_pack("{s:{s:s,s:i,s:[s,s]},s:{s:b,s:s}}", "host",
			      "cpu_model", "Xeon", "cpus_online", 2, "list",
			      "x", "y", "gpu", "present", 0, "note", "n");
	json_t *b = json_deep_copy(a);
	json_t *d = fingerprint_diff(a, b);
	ASSERT_EQ(json_array_size(d), 0);
	json_decref(d);
	json_object_set_new(json_object_get(b, "host"), "cpu_model",
			    json_string("EPYC"));
	json_array_set_new(json_object_get(json_object_get(b, "host"), "list"),
			   1, json_string("z"));
	json_object_set_new(b, "server", json_pack("{s:s}", "url", "u"));
	json_object_del(json_object_get(b, "gpu"), "present");
	d = fingerprint_diff(a, b);
	ASSERT_EQ(json_array_size(d), 4);
	json_t *e0 = json_array_get(d, 0); /* sorted: gpu.present first */
	ASSERT_STR_EQ(json_string_value(json_object_get(e0, "key")),
		      "gpu.present");
	ASSERT_STR_EQ(json_string_value(json_object_get(e0, "only_in")), "a");
	json_t *e1 = json_array_get(d, 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(e1, "key")),
		      "host.cpu_model");
	ASSERT_STR_EQ(json_string_value(json_object_get(e1, "a")), "Xeon");
	ASSERT_STR_EQ(json_string_value(json_object_get(e1, "b")), "EPYC");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(d, 2), "key")),
		      "host.list[1]");
	json_t *e3 = json_array_get(d, 3);
	ASSERT_STR_EQ(json_string_value(json_object_get(e3, "key")),
		      "server.url");
	ASSERT_STR_EQ(json_string_value(json_object_get(e3, "only_in")), "b");
	json_decref(d);
	json_decref(a);
	json_decref(b);
}

static void test_base_url(void)
{
	char out[64];
	ASSERT_EQ(fingerprint_base_url("http://h:8000/v1/x?y", out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "http://h:8000");
	ASSERT_EQ(fingerprint_base_url("https://h", out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "https://h");
	ASSERT_TRUE(fingerprint_base_url("h:8000", out, sizeof(out)) < 0);
	ASSERT_TRUE(fingerprint_base_url("http://very-long-host-name", out, 8) < 0);
}

int main(void)
{
	msg_level = MSG_QUIET;
	TEST_RUN(test_required_keys);
	TEST_RUN(test_server_routes);
	TEST_RUN(test_diff);
	TEST_RUN(test_base_url);
	return TEST_DONE();
}
