/* trace_test.c - trace and JSONL parsers: the real samples, any byte split,
 * and broken files (error names file and line). */
#include "workload/trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "workload/plan.h"

/* Parse text fed in pieces of `step` bytes (0 = all at once). On error
 * returns the message (caller frees) and leaves *t empty. */
static char *parse(enum trace_format f, const char *text, size_t step,
		   struct trace *t)
{
	struct trace_parser p;
	size_t n = strlen(text);
	char *err = NULL;
	trace_parser_init(&p, f, "fix.csv");
	int rc = 0;
	if (!step)
		step = n ? n : 1;
	for (size_t i = 0; i < n && !rc; i += step)
		rc = trace_parser_feed(&p, text + i, n - i < step ? n - i : step);
	if (!rc)
		rc = trace_parser_finish(&p, t);
	if (rc) {
		err = p.err ? strdup(p.err) : strdup("(no message)");
		memset(t, 0, sizeof(*t));
	}
	trace_parser_free(&p);
	return err;
}

static char *parse_file(enum trace_format f, const char *rel, struct trace *t)
{
	const char *sh = test_shared_dir();
	char path[8192], *data = NULL, *err = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/data/traces/%s", sh, rel);
	if (plan_read_file(path, (size_t)1 << 30, &data, &len, &err))
		return err;
	struct trace_parser p;
	trace_parser_init(&p, f, path);
	int rc = trace_parser_feed(&p, data, len);
	if (!rc)
		rc = trace_parser_finish(&p, t);
	if (rc)
		err = strdup(p.err);
	trace_parser_free(&p);
	free(data);
	return err;
}

static void test_datetime(void)
{
	int64_t a, b;
	ASSERT_EQ(trace_parse_datetime("1970-01-01 00:00:00", 19, &a), 0);
	ASSERT_EQ(a, 0);
	ASSERT_EQ(trace_parse_datetime("2023-11-16 18:17:03.9799600", 27, &a),
		  0);
	/* date -u -d '2023-11-16 18:17:03' +%s = 1700158623 */
	ASSERT_EQ(a, 1700158623LL * 1000000000LL + 979960000LL);
	ASSERT_EQ(trace_parse_datetime("2024-03-01 00:00:00", 19, &b), 0);
	ASSERT_EQ(trace_parse_datetime("2024-02-29 00:00:00", 19, &a), 0);
	ASSERT_EQ(b - a, 86400LL * 1000000000LL); /* leap day */
	ASSERT_EQ(trace_parse_datetime("2023-13-01 00:00:00", 19, &a),
		  -EINVAL);
	ASSERT_EQ(trace_parse_datetime("2023-11-16 18:17", 16, &a), -EINVAL);
	ASSERT_EQ(trace_parse_datetime("2023-11-16 18:17:03.", 20, &a),
		  -EINVAL);
}

static void test_azure_real(void)
{
	if (!test_shared_dir())
		TEST_SKIP("no shared data");
	struct trace t;
	char *e = parse_file(TRACE_AZURE,
			     "azure-llm-2023/AzureLLMInferenceTrace_code.csv", &t);
	if (e)
		TEST_FAIL_("%s", e);
	ASSERT_EQ(t.n, 8819);
	ASSERT_EQ(t.data_lines, 8819);
	ASSERT_TRUE(t.has_time && t.sorted && !t.has_hash);
	ASSERT_EQ(t.rows[0].t_ns, 0);
	ASSERT_EQ(t.rows[0].in_len, 4808);
	ASSERT_EQ(t.rows[0].out_len, 10);
	ASSERT_EQ(t.rows[0].line, 2);
	/* 18:17:04.0319600 - 18:17:03.9799600 */
	ASSERT_EQ(t.rows[1].t_ns, 52000000);
	/* SOURCE.md: span 3,436 s; last line (no newline) 19:14:19.928016
	 * 549 in, 173 out */
	ASSERT_NEAR((double)t.rows[t.n - 1].t_ns / 1e9, 3435.948056, 1e-9);
	ASSERT_EQ(t.rows[t.n - 1].in_len, 549);
	ASSERT_EQ(t.rows[t.n - 1].out_len, 173);
	trace_free(&t);
	e = parse_file(TRACE_AZURE,
		       "azure-llm-2023/AzureLLMInferenceTrace_conv.csv", &t);
	if (e)
		TEST_FAIL_("%s", e);
	ASSERT_EQ(t.n, 19366);
	/* CRLF lines; last 19:14:08.4025270 -> 197 in, 183 out; span 3,502 s
	 * from 18:15:46.6805900 */
	ASSERT_EQ(t.rows[t.n - 1].in_len, 197);
	ASSERT_EQ(t.rows[t.n - 1].out_len, 183);
	ASSERT_NEAR((double)t.rows[t.n - 1].t_ns / 1e9, 3501.721937, 1e-9);
	trace_free(&t);
}

static void test_mooncake_real(void)
{
	if (!test_shared_dir())
		TEST_SKIP("no shared data");
	struct trace t;
	char *e = parse_file(TRACE_MOONCAKE,
			     "mooncake-fast25/conversation_trace.jsonl", &t);
	if (e)
		TEST_FAIL_("%s", e);
	ASSERT_EQ(t.n, 12031);
	ASSERT_TRUE(t.has_hash && t.has_time && t.sorted);
	ASSERT_EQ(t.rows[0].in_len, 6758);
	ASSERT_EQ(t.rows[0].out_len, 500);
	ASSERT_EQ(t.rows[0].n_hash, 14);
	ASSERT_EQ(t.hashes[t.rows[0].hash_off], 0);
	ASSERT_EQ(t.hashes[t.rows[0].hash_off + 13], 13);
	/* second request shares block 0 only */
	ASSERT_EQ(t.hashes[t.rows[1].hash_off], 0);
	ASSERT_EQ(t.hashes[t.rows[1].hash_off + 1], 14);
	ASSERT_EQ(t.rows[t.n - 1].t_ns, 3536999LL * 1000000);
	for (size_t i = 0; i < t.n; i++)
		ASSERT_TRUE((int64_t)t.rows[i].n_hash * 512 >= t.rows[i].in_len);
	trace_free(&t);
}

static void test_burstgpt_real(void)
{
	if (!test_shared_dir())
		TEST_SKIP("no shared data");
	struct trace t;
	char *e = parse_file(TRACE_BURSTGPT, "burstgpt/BurstGPT_1_first400.csv",
			     &t);
	if (e)
		TEST_FAIL_("%s", e);
	/* SOURCE.md: 400 rows, 17 with 0 request tokens (all "0,0"), 383
	 * left; first at 5 s, span 37,269 s. */
	ASSERT_EQ(t.data_lines, 400);
	ASSERT_EQ(t.skipped_failed, 17);
	ASSERT_EQ(t.skipped_zero, 0);
	ASSERT_EQ(t.n, 383);
	ASSERT_EQ(t.rows[0].t_ns, 0);
	ASSERT_EQ(t.rows[0].in_len, 472);
	ASSERT_EQ(t.rows[1].t_ns, 40LL * 1000000000);
	ASSERT_TRUE(t.rows[t.n - 1].t_ns <= 37269LL * 1000000000);
	trace_free(&t);
}

static const char azure_fix[] =
	"TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
	"2023-11-16 18:17:03.5,100,10\r\n"
	"\n"
	"2023-11-16 18:17:04.25,200,20\n"
	"2023-11-16 18:17:04.0,300,0\n"
	"2023-11-16 18:17:05,0,0";

static void test_splits(void)
{
	struct trace a;
	char *e = parse(TRACE_AZURE, azure_fix, 0, &a);
	if (e)
		TEST_FAIL_("%s", e);
	ASSERT_EQ(a.n, 2);
	ASSERT_EQ(a.skipped_zero, 1);
	ASSERT_EQ(a.skipped_failed, 1);
	ASSERT_EQ(a.rows[1].t_ns, 750000000);
	ASSERT_EQ(a.rows[1].line, 4);
	for (size_t step = 1; step < 12; step++) {
		struct trace b;
		e = parse(TRACE_AZURE, azure_fix, step, &b);
		if (e)
			TEST_FAIL_("step %zu: %s", step, e);
		ASSERT_EQ(b.n, a.n);
		for (size_t i = 0; i < a.n; i++) {
			ASSERT_EQ(b.rows[i].t_ns, a.rows[i].t_ns);
			ASSERT_EQ(b.rows[i].in_len, a.rows[i].in_len);
			ASSERT_EQ(b.rows[i].line, a.rows[i].line);
		}
		trace_free(&b);
	}
	trace_free(&a);
}

static void test_jsonl(void)
{
	struct trace t;
	const char *ok = "{\"prompt\":\"hello world\",\"output_len\":5}\n"
			 "{\"input_len\":7,\"output_len\":3}\n";
	char *e = parse(TRACE_JSONL, ok, 3, &t);
	if (e)
		TEST_FAIL_("%s", e);
	ASSERT_EQ(t.n, 2);
	ASSERT_TRUE(!t.has_time && t.has_text);
	ASSERT_EQ(t.rows[0].in_len, -1);
	ASSERT_STR_EQ(trace_row_text(&t, &t.rows[0]), "hello world");
	ASSERT_TRUE(trace_row_text(&t, &t.rows[1]) == NULL);
	trace_free(&t);
	const char *timed = "{\"input_len\":7,\"output_len\":3,\"timestamp\":2.5}\n"
			    "{\"input_len\":7,\"output_len\":3,\"timestamp\":1}\n";
	e = parse(TRACE_JSONL, timed, 0, &t);
	if (e)
		TEST_FAIL_("%s", e);
	ASSERT_TRUE(t.has_time && !t.sorted);
	ASSERT_EQ(t.rows[0].t_ns, 1500000000);
	ASSERT_EQ(t.rows[1].t_ns, 0);
	trace_free(&t);
}

/* An error naming the input and line (and column for JSON syntax). */
static void expect_err(enum trace_format f, const char *text,
		       const char *want)
{
	struct trace t;
	for (size_t step = 0; step < 3; step++) {
		char *e = parse(f, text, step, &t);
		if (!e)
			TEST_FAIL_("no error for %s", text);
		if (!strstr(e, want))
			TEST_FAIL_("error '%s' lacks '%s'", e, want);
		free(e);
	}
}

static void test_broken(void)
{
	/* wrong columns */
	expect_err(TRACE_AZURE, "time,in,out\n1,2,3\n",
		   "fix.csv:1: not a Azure LLM inference trace header");
	expect_err(TRACE_BURSTGPT,
		   "Timestamp,Model,Request tokens,Response tokens,Total "
		   "tokens,Log Type\n5,ChatGPT,472,18\n",
		   "fix.csv:2: expected 6 columns, got 4");
	/* unknown token in a count or time */
	expect_err(TRACE_AZURE,
		   "TIMESTAMP,ContextTokens,GeneratedTokens\n"
		   "2023-11-16 18:17:03.5,100,10\n"
		   "2023-11-16 18:17:03.5,1x0,10\n",
		   "fix.csv:3: input token count '1x0'");
	expect_err(TRACE_AZURE,
		   "TIMESTAMP,ContextTokens,GeneratedTokens\n"
		   "yesterday,100,10\n",
		   "fix.csv:2: bad timestamp 'yesterday'");
	/* truncated JSON (the file was cut mid-line) */
	expect_err(TRACE_MOONCAKE,
		   "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": "
		   "5, \"hash_ids\": [0]}\n"
		   "{\"timestamp\": 3, \"input_length\": 10, \"outp",
		   "fix.csv:2:");
	expect_err(TRACE_MOONCAKE,
		   "{\"timestamp\": 0, \"input_length\": nope, "
		   "\"output_length\": 5}\n",
		   "fix.csv:1:");
	expect_err(TRACE_MOONCAKE,
		   "{\"timestamp\": 0, \"input_length\": 10, "
		   "\"output_length\": 5}\n{\"timestamp\": 1}\n",
		   "fix.csv:2: \"input_length\" missing");
	expect_err(TRACE_MOONCAKE,
		   "{\"timestamp\": 0, \"input_length\": 1000, "
		   "\"output_length\": 5, \"hash_ids\": [1]}\n",
		   "fix.csv:1: 1 hash_ids cover 512 tokens");
	expect_err(TRACE_JSONL,
		   "{\"input_len\":7,\"output_len\":3,\"timestamp\":1}\n"
		   "{\"input_len\":7,\"output_len\":3}\n",
		   "fix.csv:2: no timestamp here");
	expect_err(TRACE_JSONL, "[1,2]\n", "fix.csv:1: expected a JSON object");
	expect_err(TRACE_AZURE, "", "empty file");
	expect_err(TRACE_BURSTGPT,
		   "Timestamp,Model,Request tokens,Response tokens,Total "
		   "tokens,Log Type\n5,ChatGPT,0,0,0,Conversation log\n",
		   "no usable rows (1 read, 1 failed");
}

int main(void)
{
	TEST_RUN(test_datetime);
	TEST_RUN(test_azure_real);
	TEST_RUN(test_mooncake_real);
	TEST_RUN(test_burstgpt_real);
	TEST_RUN(test_splits);
	TEST_RUN(test_jsonl);
	TEST_RUN(test_broken);
	return TEST_DONE();
}
