/* table_test.c - the console table shows what the summary says. */
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "results/summary.h"
#include "results/table.h"
#include "test.h"
#include "fixture.h"

static void test_single(void)
{
	struct rec r[FIX_N];
	struct summary s;
	struct summary_config c;
	char *out = NULL;
	size_t len;
	fix_build(r);
	summary_config_init(&c);
	c.slo_ttft_s = 0.1;
	ASSERT_EQ(summary_compute(&s, r, FIX_N, NULL, NS_PER_S, &c), 0);
	FILE *f = open_memstream(&out, &len);
	results_table_print(f, "fixture", &s);
	fclose(f);
	fputs(out, stderr);
	ASSERT_TRUE(strstr(out, "TTFT p50/p99 ms") != NULL);
	/* reqs 6, ok 3, fail 3, 13 tok/s, 3 req/s; TTFT 100/100 ms */
	ASSERT_TRUE(strstr(out, "fixture             6      3     3       13.0"
			   "    3.00") != NULL);
	ASSERT_TRUE(strstr(out, "100.0/100.0") != NULL);
	ASSERT_TRUE(strstr(out, "http_error 1, timeout_total 1, not_sent 1"));
	ASSERT_TRUE(strstr(out, "ttft too few samples (3 < 299)"));
	ASSERT_TRUE(strstr(out, "differs from target on 1 of 2 requests"));
	ASSERT_TRUE(strstr(out, "1 of 3 requests got fewer tokens"));
	ASSERT_TRUE(strstr(out, "60.0% of 5 attempts"));
	ASSERT_TRUE(strstr(out, "(2 of 5 attempts failed)"));
	ASSERT_TRUE(strstr(out, "TTFT p99 inf ms"));
	free(out);
	const struct summary *two[2] = {&s, &s};
	const char *labels[2] = {"a", "b-with-a-very-long-name"};
	out = NULL;
	f = open_memstream(&out, &len);
	results_table_print_multi(f, labels, two, 2);
	fclose(f);
	fputs(out, stderr);
	ASSERT_TRUE(strstr(out, "\na              ") != NULL);
	ASSERT_TRUE(strstr(out, "\nb-with-a-very- ") != NULL);
	ASSERT_TRUE(strstr(out, "too few samples"));
	ASSERT_TRUE(strstr(out, "60.0%"));
	free(out);
	summary_free(&s);
	fix_free(r);
}

int main(void)
{
	TEST_RUN(test_single);
	return TEST_DONE();
}
