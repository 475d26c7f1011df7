/* csv_test.c - RFC 4180 quoting and the per-request / summary rows. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "results/csv.h"
#include "results/summary.h"
#include "test.h"
#include "fixture.h"

/* Render into a string via open_memstream; caller frees. */
#define CAPTURE(out, call)                                            \
	do {                                                          \
		size_t len_;                                          \
		FILE *f_ = open_memstream(&(out), &len_);             \
		call;                                                 \
		fclose(f_);                                           \
	} while (0)

/* A minimal RFC 4180 reader: splits s into rows of fields (for checking
 * what we wrote round-trips). Returns the number of fields of row `row`
 * and copies field `col` into buf. */
static int csv_get(const char *s, int row, int col, char *buf, size_t len)
{
	int r = 0, c = 0, nf = 0;
	size_t o = 0;
	buf[0] = '\0';
	while (*s) {
		int q = *s == '"';
		size_t fo = 0;
		char tmp[4096];
		if (q) {
			s++;
			for (;;) {
				if (*s == '"' && s[1] == '"') {
					tmp[fo++] = '"';
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					tmp[fo++] = *s++;
				}
			}
		} else {
			while (*s && *s != ',' && *s != '\r')
				tmp[fo++] = *s++;
		}
		tmp[fo] = '\0';
		if (r == row) {
			nf++;
			if (c == col && fo < len) {
				memcpy(buf, tmp, fo + 1);
				o = fo;
			}
		}
		if (*s == ',') {
			s++;
			c++;
		} else if (*s == '\r' && s[1] == '\n') {
			s += 2;
			if (r == row)
				return nf;
			r++;
			c = 0;
		} else if (*s) {
			return -1; /* bare LF or junk after a quote */
		}
	}
	(void)o;
	return r == row ? nf : 0;
}

static void test_quoting(void)
{
	char *out = NULL;
	const char *v = "a,b \"q\"\nline2";
	CAPTURE(out, (results_csv_field(f_, "plain", 5), fputc(',', f_),
		      results_csv_field(f_, v, strlen(v)), fputc(',', f_),
		      results_csv_field(f_, "cr\rx", 4), fputs("\r\n", f_)));
	ASSERT_STR_EQ(out, "plain,\"a,b \"\"q\"\"\nline2\",\"cr\rx\"\r\n");
	char buf[256];
	ASSERT_EQ(csv_get(out, 0, 1, buf, sizeof(buf)), 3);
	ASSERT_STR_EQ(buf, v);
	free(out);
	/* only the first len bytes count */
	CAPTURE(out, results_csv_field(f_, "ab,cd", 2));
	ASSERT_STR_EQ(out, "ab");
	free(out);
}

static void test_requests(void)
{
	struct rec r[FIX_N];
	struct summary s;
	struct summary_config c;
	char *out = NULL, buf[256];
	fix_build(r);
	summary_config_init(&c);
	ASSERT_EQ(summary_compute(&s, r, FIX_N, NULL, NS_PER_S, &c), 0);
	CAPTURE(out, ASSERT_EQ(results_csv_write_requests(f_, &s, r, FIX_N), 0));
	/* header + 7 rows, every row with the header's field count */
	int nh = csv_get(out, 0, 0, buf, sizeof(buf));
	ASSERT_EQ(nh, 22);
	ASSERT_STR_EQ(buf, "id");
	for (int row = 1; row <= FIX_N; row++)
		ASSERT_EQ(csv_get(out, row, 0, buf, sizeof(buf)), nh);
	ASSERT_EQ(csv_get(out, FIX_N + 1, 0, buf, sizeof(buf)), 0);
	/* row 3 (record 2): error with a comma is quoted and intact */
	csv_get(out, 3, 4, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "HTTP 503: overloaded, retry");
	csv_get(out, 3, 2, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "http_error");
	csv_get(out, 3, 17, buf, sizeof(buf)); /* ttft_s of a failure: empty */
	ASSERT_STR_EQ(buf, "");
	csv_get(out, 2, 17, buf, sizeof(buf)); /* record 1 ttft */
	ASSERT_NEAR(strtod(buf, NULL), 0.1, 1e-12);
	csv_get(out, 2, 10, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "chunks");
	csv_get(out, 2, 8, buf, sizeof(buf)); /* completion_tokens unknown */
	ASSERT_STR_EQ(buf, "");
	csv_get(out, 4, 1, buf, sizeof(buf)); /* record 3 is the warmup */
	ASSERT_STR_EQ(buf, "1");
	csv_get(out, 7, 13, buf, sizeof(buf)); /* not_sent: no t_send */
	ASSERT_STR_EQ(buf, "");
	free(out);
	summary_free(&s);
	fix_free(r);
}

static void test_summary_row_and_save(void)
{
	struct rec r[FIX_N];
	struct summary s;
	struct summary_config c;
	char *out = NULL, buf[256];
	fix_build(r);
	summary_config_init(&c);
	c.slo_ttft_s = 0.09;
	ASSERT_EQ(summary_compute(&s, r, FIX_N, NULL, NS_PER_S, &c), 0);
	CAPTURE(out, ASSERT_EQ(results_csv_write_summary(f_, "my, scenario", &s,
							 1), 0));
	int nh = csv_get(out, 0, 0, buf, sizeof(buf));
	ASSERT_EQ(csv_get(out, 1, 0, buf, sizeof(buf)), nh);
	ASSERT_STR_EQ(buf, "my, scenario");
	csv_get(out, 1, 2, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "3");
	csv_get(out, 1, 8, buf, sizeof(buf)); /* goodput: 1 good / 1 s */
	ASSERT_NEAR(strtod(buf, NULL), 1, 1e-12);
	free(out);
	char dir[] = "/tmp/infbench-csv-test-XXXXXX";
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	char *p = xasprintf("%s/req.csv", dir), *q = xasprintf("%s/sum.csv", dir);
	ASSERT_EQ(results_csv_save_requests(p, &s, r, FIX_N), 0);
	ASSERT_EQ(results_csv_save_summary(q, "x", &s), 0);
	ASSERT_EQ(access(p, R_OK), 0);
	ASSERT_EQ(access(q, R_OK), 0);
	ASSERT_EQ(results_csv_save_requests(p, &s, r, FIX_N - 1), -EINVAL);
	ASSERT_EQ(access(p, R_OK), 0); /* the old file survives */
	unlink(p);
	unlink(q);
	ASSERT_EQ(rmdir(dir), 0); /* and no temp file is left */
	free(p);
	free(q);
	summary_free(&s);
	fix_free(r);
}

int main(void)
{
	TEST_RUN(test_quoting);
	TEST_RUN(test_requests);
	TEST_RUN(test_summary_row_and_save);
	return TEST_DONE();
}
