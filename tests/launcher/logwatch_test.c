/* logwatch_test.c - the readiness line matcher: any byte split, CRLF,
 * partial last line, over-long lines, bad patterns. */
#include "launcher/logwatch.h"

#include <errno.h>

#include "test.h"

static const char log_text[] =
	"INFO: loading weights\r\n"
	"INFO: compiling graphs\n"
	"INFO:     Uvicorn running on \x1b[1mhttp://0.0.0.0:8000\x1b[0m\n"
	"INFO: more\n";

static void test_every_split(void)
{
	char err[200];
	size_t n = sizeof(log_text) - 1;
	/* one byte at a time, and every two-part split */
	for (size_t cut = 0; cut <= n; cut++) {
		struct logwatch w;
		ASSERT_EQ(logwatch_init(&w, "Uvicorn running on", err,
					sizeof(err)),
			  0);
		if (cut == 0) {
			for (size_t i = 0; i < n; i++)
				logwatch_feed(&w, log_text + i, 1);
		} else {
			logwatch_feed(&w, log_text, cut);
			logwatch_feed(&w, log_text + cut, n - cut);
		}
		ASSERT_EQ(w.matched, 1);
		ASSERT_EQ(w.lines, 4);
		ASSERT_TRUE(strstr(w.hit, "Uvicorn running on") != NULL);
		logwatch_free(&w);
	}
}

static void test_anchor_and_cr(void)
{
	char err[200];
	struct logwatch w;
	/* "$" must see the line without its "\r" */
	ASSERT_EQ(logwatch_init(&w, "weights$", err, sizeof(err)), 0);
	ASSERT_EQ(logwatch_feed(&w, log_text, sizeof(log_text) - 1), 1);
	ASSERT_STR_EQ(w.hit, "INFO: loading weights");
	logwatch_free(&w);
	ASSERT_EQ(logwatch_init(&w, "never there", err, sizeof(err)), 0);
	ASSERT_EQ(logwatch_feed(&w, log_text, sizeof(log_text) - 1), 0);
	logwatch_free(&w);
}

static void test_partial(void)
{
	char err[200];
	struct logwatch w;
	ASSERT_EQ(logwatch_init(&w, "^ready$", err, sizeof(err)), 0);
	ASSERT_EQ(logwatch_feed(&w, "boot\nrea", 8), 0);
	ASSERT_EQ(logwatch_check_partial(&w), 0);
	ASSERT_EQ(logwatch_feed(&w, "dy", 2), 0); /* no newline yet */
	ASSERT_EQ(logwatch_check_partial(&w), 1);
	logwatch_free(&w);
}

static void test_overlong(void)
{
	char err[200];
	struct logwatch w;
	size_t n = LOGWATCH_MAX_LINE * 2;
	char *big = malloc(n + 32);
	memset(big, 'x', n);
	memcpy(big + n, "MARK\nnext MARK\n", 15);
	ASSERT_EQ(logwatch_init(&w, "MARK", err, sizeof(err)), 0);
	/* the first line's MARK lies past the cap: not seen; the next is */
	logwatch_feed(&w, big, n + 5);
	ASSERT_EQ(w.matched, 0);
	ASSERT_EQ(w.overlong, 1);
	ASSERT_EQ(logwatch_feed(&w, big + n + 5, 10), 1);
	ASSERT_STR_EQ(w.hit, "next MARK");
	logwatch_free(&w);
	free(big);
}

static void test_bad_pattern(void)
{
	char err[200];
	struct logwatch w;
	ASSERT_EQ(logwatch_init(&w, "ready(", err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "offset 6") != NULL);
	logwatch_free(&w); /* NULL members: safe */
}

int main(void)
{
	TEST_RUN(test_every_split);
	TEST_RUN(test_anchor_and_cr);
	TEST_RUN(test_partial);
	TEST_RUN(test_overlong);
	TEST_RUN(test_bad_pattern);
	return TEST_DONE();
}
