/* prom_test.c - Prometheus text parser: every server's shape, any split. */
#include <math.h>

#include "core/buf.h"
#include "core/rng.h"
#include "prom_fixtures.h"
#include "telemetry/prom.h"
#include "test.h"

/* One line per sample: name|family|type|l=v,...|value|ts */
static void collect(const struct prom_sample *s, void *ud)
{
	struct buf *b = ud;
	buf_printf(b, "%s|%s|%s|", s->name, s->family, prom_type_name(s->type));
	for (size_t i = 0; i < s->n_labels; i++)
		buf_printf(b, "%s%s=%s", i ? "," : "", s->labels[i].name,
			   s->labels[i].value);
	buf_printf(b, "|%.17g|", s->value);
	if (s->has_ts)
		buf_printf(b, "%lld", (long long)s->ts_ms);
	buf_puts(b, "\n");
}

/* Parses text in pieces of the sizes rng gives (0 = whole, 1 = bytewise,
 * 2 = random 1..64); returns the collected lines (caller frees). */
static char *parse_split(const char *text, size_t len, int mode, uint64_t seed,
			 struct prom_parser *p)
{
	struct buf out;
	buf_init(&out, 0);
	buf_puts(&out, "");
	struct rng r;
	rng_seed(&r, seed);
	size_t off = 0;
	while (off < len) {
		size_t n = mode == 0 ? len - off
			   : mode == 1 ? 1
				       : (size_t)rng_int(&r, 1, 64);
		if (n > len - off)
			n = len - off;
		prom_feed(p, text + off, n, collect, &out);
		off += n;
	}
	prom_finish(p, collect, &out);
	return buf_take(&out);
}

static void check_splits(const char *text, uint64_t *samples,
			 uint64_t *errors, char **whole_out)
{
	size_t len = strlen(text);
	struct prom_parser p;
	prom_init(&p);
	char *whole = parse_split(text, len, 0, 0, &p);
	*samples = p.samples;
	*errors = p.errors;
	prom_free(&p);
	for (int mode = 1; mode <= 2; mode++) {
		for (uint64_t seed = 1; seed <= (mode == 1 ? 1u : 20u); seed++) {
			prom_init(&p);
			char *got = parse_split(text, len, mode, seed, &p);
			ASSERT_STR_EQ(got, whole);
			ASSERT_EQ(p.samples, *samples);
			ASSERT_EQ(p.errors, *errors);
			prom_free(&p);
			free(got);
		}
	}
	*whole_out = whole;
}

static int contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void test_vllm_v1(void)
{
	uint64_t n, e;
	char *out;
	check_splits(FX_VLLM_V1, &n, &e, &out);
	ASSERT_EQ(e, 0);
	ASSERT_EQ(n, 24);
	ASSERT_TRUE(contains(out, "vllm:num_requests_running|vllm:num_requests_running|gauge|engine=0,model_name=Qwen/Qwen2-7B-Instruct|12|\n"));
	ASSERT_TRUE(contains(out, "vllm:num_preemptions_total|vllm:num_preemptions_total|counter|engine=1,model_name=Qwen/Qwen2-7B-Instruct|1|\n"));
	ASSERT_TRUE(contains(out, "vllm:iteration_tokens_total_bucket|vllm:iteration_tokens_total|histogram|engine=0,le=+Inf,model_name=Qwen/Qwen2-7B-Instruct|1500|\n"));
	ASSERT_TRUE(contains(out, "vllm:iteration_tokens_total_sum|vllm:iteration_tokens_total|histogram|"));
	ASSERT_TRUE(contains(out, "process_resident_memory_bytes|process_resident_memory_bytes|gauge||1234567168|\n"));
	free(out);
}

static void test_tgi_no_total(void)
{
	uint64_t n, e;
	char *out;
	check_splits(FX_TGI, &n, &e, &out);
	ASSERT_EQ(e, 0);
	ASSERT_EQ(n, 19);
	ASSERT_TRUE(contains(out, "tgi_request_count|tgi_request_count|counter||120|\n"));
	ASSERT_TRUE(contains(out, "tgi_request_failure|tgi_request_failure|counter|err=overloaded|2|\n"));
	ASSERT_TRUE(contains(out, "tgi_batch_inference_duration_bucket|tgi_batch_inference_duration|histogram|method=decode,le=0.005|10|\n"));
	free(out);
}

static void test_other_servers(void)
{
	const char *fx[] = {FX_SGLANG, FX_LLAMACPP, FX_TRITON, FX_TRTLLM_SERVE,
			    FX_LMDEPLOY, FX_DCGM, FX_VLLM_V0};
	uint64_t want[] = {11, 9, 13, 6, 5, 16, 5};
	for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
		uint64_t n, e;
		char *out;
		check_splits(fx[i], &n, &e, &out);
		ASSERT_EQ(e, 0);
		ASSERT_EQ(n, want[i]);
		free(out);
	}
	uint64_t n, e;
	char *out;
	check_splits(FX_TRITON, &n, &e, &out);
	ASSERT_TRUE(contains(out, "nv_trt_llm_request_metrics|nv_trt_llm_request_metrics|gauge|model=tensorrt_llm,request_type=scheduled,version=1|10|\n"));
	free(out);
	check_splits(FX_SGLANG, &n, &e, &out);
	ASSERT_TRUE(contains(out, "sglang:time_to_first_token_seconds_bucket|sglang:time_to_first_token_seconds|histogram|le=0.1,model_name=meta-llama/Llama-3.1-8B-Instruct|3|\n"));
	free(out);
}

static void test_edge_cases(void)
{
	uint64_t n, e;
	char *out;
	check_splits(FX_EDGE, &n, &e, &out);
	ASSERT_EQ(e, 0);
	ASSERT_EQ(n, 12);
	ASSERT_TRUE(contains(out, "metric_with:colon|metric_with:colon|gauge|path=C:\\dir\\f,quote=say \"hi\",nl=a\nb|1500|1700000000000\n"));
	ASSERT_TRUE(contains(out, "no_labels_nan|no_labels_nan|untyped||nan|\n"));
	ASSERT_TRUE(contains(out, "pos_inf|pos_inf|untyped||inf|\n"));
	ASSERT_TRUE(contains(out, "neg_inf|neg_inf|untyped||-inf|\n"));
	ASSERT_TRUE(contains(out, "leading_blank|leading_blank|untyped|a=b|7|\n"));
	ASSERT_TRUE(contains(out, "spaced_labels|spaced_labels|untyped|a=1,b=2|-0.5|-5\n"));
	ASSERT_TRUE(contains(out, "unicode_val|unicode_val|untyped|name=caf\xc3\xa9 \xe2\x82\xac|3|\n"));
	ASSERT_TRUE(contains(out, "rpc_duration_seconds_sum|rpc_duration_seconds|summary||17560473|\n"));
	ASSERT_TRUE(contains(out, "http_requests_total|http_requests|counter|method=post,code=200|1027|1395066363000\n"));
	ASSERT_TRUE(contains(out, "last_line_without_newline|last_line_without_newline|untyped||42|\n"));
	free(out);
}

/* Each malformed line is counted and skipped; the next line still parses. */
static void test_bad_lines_recover(void)
{
	static const char *bad[] = {
		"bad name 1",          "{a=\"b\"} 1",        "x{a=\"b} 3",
		"x{a=b} 3",            "x 1 2 3",            "x 1 notatime",
		"x{1a=\"v\"} 1",       "x{a:b=\"v\"} 1",     "x",
		"x{a=\"v\"}",          "x 12abc",            "x{a=\"v\\",
		"# TYPE x bogus",      "# TYPE 1x gauge",    "x\x01y 1",
		"9lives 1",            "x{a=\"v\" b=\"w\"} 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf in;
		buf_init(&in, 0);
		buf_printf(&in, "good_a 1\n%s\ngood_b 2\n", bad[i]);
		uint64_t n, e;
		char *out;
		check_splits(in.data, &n, &e, &out);
		if (e != 1 || n != 2)
			fprintf(stderr, "  bad line %zu: \"%s\"\n", i, bad[i]);
		ASSERT_EQ(e, 1);
		ASSERT_EQ(n, 2);
		ASSERT_TRUE(contains(out, "good_b|good_b|untyped||2|\n"));
		free(out);
		buf_free(&in);
	}
}

static void test_nul_byte_is_error(void)
{
	static const char in[] = "a 1\nb\0c 2\nd 3\n";
	struct prom_parser p;
	prom_init(&p);
	struct buf out;
	buf_init(&out, 0);
	size_t bad = prom_feed(&p, in, sizeof(in) - 1, collect, &out);
	ASSERT_EQ(bad, 1);
	ASSERT_EQ(p.samples, 2);
	ASSERT_STR_EQ(out.data, "a|a|untyped||1|\nd|d|untyped||3|\n");
	buf_free(&out);
	prom_free(&p);
}

static void test_overlong_line(void)
{
	struct buf in;
	buf_init(&in, 0);
	buf_puts(&in, "before 1\nhuge{a=\"");
	for (int i = 0; i < PROM_MAX_LINE + 100; i++)
		buf_puts(&in, "x");
	buf_puts(&in, "\"} 5\nafter 2\n");
	uint64_t n, e;
	char *out;
	check_splits(in.data, &n, &e, &out);
	ASSERT_EQ(e, 1);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(out, "before|before|untyped||1|\nafter|after|untyped||2|\n");
	free(out);
	struct prom_parser p;
	prom_init(&p);
	prom_feed(&p, in.data, in.len, NULL, NULL);
	ASSERT_EQ(p.overlong, 1);
	prom_free(&p);
	buf_free(&in);
}

/* prom_reset forgets the TYPE table (a new scrape). */
static void test_reset_forgets_types(void)
{
	struct prom_parser p;
	prom_init(&p);
	struct buf out;
	buf_init(&out, 0);
	const char *a = "# TYPE g gauge\ng 1\n";
	prom_feed(&p, a, strlen(a), collect, &out);
	prom_reset(&p);
	prom_feed(&p, "g 2\n", 4, collect, &out);
	ASSERT_STR_EQ(out.data, "g|g|gauge||1|\ng|g|untyped||2|\n");
	buf_free(&out);
	prom_free(&p);
}

int main(void)
{
	TEST_RUN(test_vllm_v1);
	TEST_RUN(test_tgi_no_total);
	TEST_RUN(test_other_servers);
	TEST_RUN(test_edge_cases);
	TEST_RUN(test_bad_lines_recover);
	TEST_RUN(test_nul_byte_is_error);
	TEST_RUN(test_overlong_line);
	TEST_RUN(test_reset_forgets_types);
	return TEST_DONE();
}
