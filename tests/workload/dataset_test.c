/* dataset_test.c - ShareGPT parser: the real sample, any split, broken
 * files (error names file, line and column). */
#include "workload/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "workload/plan.h"

static char *parse(const char *text, size_t step, struct dataset *d)
{
	struct dataset_parser p;
	size_t n = strlen(text);
	char *err = NULL;
	int rc = 0;
	dataset_parser_init(&p, "sg.json");
	if (!step)
		step = n ? n : 1;
	for (size_t i = 0; i < n && !rc; i += step)
		rc = dataset_parser_feed(&p, text + i, n - i < step ? n - i : step);
	if (!rc)
		rc = dataset_parser_finish(&p, d);
	if (rc)
		err = strdup(p.err ? p.err : "(none)");
	dataset_parser_free(&p);
	return err;
}

static void test_real(void)
{
	const char *sh = test_shared_dir();
	if (!sh)
		TEST_SKIP("no shared data");
	char path[8192], *data = NULL, *err = NULL;
	size_t len;
	snprintf(path, sizeof(path),
		 "%s/data/prompts/sharegpt/sharegpt_samples_1024.json", sh);
	ASSERT_EQ(plan_read_file(path, (size_t)1 << 30, &data, &len, &err), 0);
	struct dataset d;
	char *e = parse(data, 0, &d);
	if (e)
		TEST_FAIL_("%s", e);
	ASSERT_EQ(d.entries, 1024);
	ASSERT_EQ(d.n, 1024);
	ASSERT_EQ(d.skipped, 0);
	ASSERT_STR_EQ(dataset_prompt(&d, 0),
		      "Building a web site for service based businesses in "
		      "wordpress");
	ASSERT_TRUE(!strncmp(dataset_reply(&d, 0), "Book Title:", 11));
	/* SOURCE.md: mean prompt 414 chars, reply 1,261 */
	double pc = 0, rc = 0;
	for (size_t i = 0; i < d.n; i++) {
		pc += (double)d.convs[i].prompt_len;
		rc += (double)d.convs[i].reply_len;
	}
	ASSERT_NEAR(pc / (double)d.n, 414, 30);
	ASSERT_NEAR(rc / (double)d.n, 1261, 80);
	dataset_free(&d);
	free(data);
}

static const char fix[] =
	"[{\"id\":\"a\",\"conversations\":[{\"from\":\"human\",\"value\":\"hi "
	"there\"},{\"from\":\"gpt\",\"value\":\"hello\"}]},\n"
	" {\"id\":\"b\",\"conversations\":[{\"from\":\"human\",\"value\":\"x\"}]},\n"
	" {\"id\":\"c\",\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},"
	"{\"from\":\"gpt\",\"value\":\"r\"}]}]";

static void test_splits(void)
{
	for (size_t step = 0; step < 9; step++) {
		struct dataset d;
		char *e = parse(fix, step, &d);
		if (e)
			TEST_FAIL_("%s", e);
		ASSERT_EQ(d.entries, 3);
		ASSERT_EQ(d.n, 2);
		ASSERT_EQ(d.skipped, 1); /* one turn only */
		ASSERT_STR_EQ(dataset_prompt(&d, 0), "hi there");
		ASSERT_STR_EQ(dataset_reply(&d, 1), "r");
		dataset_free(&d);
	}
}

static void expect(const char *text, const char *want)
{
	struct dataset d;
	char *e = parse(text, 5, &d);
	if (!e)
		TEST_FAIL_("no error for %.40s", text);
	if (!strstr(e, want))
		TEST_FAIL_("error '%s' lacks '%s'", e, want);
	free(e);
}

static void test_broken(void)
{
	/* truncated: the file ends inside the second line's object */
	char cut[sizeof(fix)];
	memcpy(cut, fix, sizeof(fix));
	cut[120] = '\0';
	expect(cut, "sg.json:2:");
	/* an unknown token on line 3 */
	expect("[\n{\"conversations\": []},\n{\"conversations\": nope}]",
	       "sg.json:3:");
	expect("{\"conversations\": []}", "sg.json: not a ShareGPT file");
	expect("[1]", "sg.json: entry 0 is not an object");
	expect("[{\"conversations\": []}]", "no conversation with a prompt");
}

int main(void)
{
	TEST_RUN(test_real);
	TEST_RUN(test_splits);
	TEST_RUN(test_broken);
	return TEST_DONE();
}
