/* template_test.c - `{name}` expansion, literal braces, syntax errors with
 * columns, unknown placeholders; grid enumeration order and caps. */
#include "launcher/template.h"
#include "launcher/grid.h"

#include <errno.h>

#include "test.h"

static const struct tmpl_var vars[] = {
	{"exe", "/bin/infbench"},
	{"port", "8123"},
	{"max_num_seqs", "64"},
};

static void test_expand(void)
{
	char err[160], *out = NULL;
	ASSERT_EQ(tmpl_expand("{exe} serve --max-num-seqs {max_num_seqs} "
			      "--port {port}",
			      vars, 3, &out, err, sizeof(err)),
		  0);
	ASSERT_STR_EQ(out, "/bin/infbench serve --max-num-seqs 64 --port 8123");
	free(out);
	/* literal braces, JSON in a flag, placeholder at both ends */
	ASSERT_EQ(tmpl_expand("{port}:{{\"a\": {max_num_seqs}}}{port}", vars,
			      3, &out, err, sizeof(err)),
		  0);
	ASSERT_STR_EQ(out, "8123:{\"a\": 64}8123");
	free(out);
	ASSERT_EQ(tmpl_expand("", vars, 3, &out, err, sizeof(err)), 0);
	ASSERT_STR_EQ(out, "");
	free(out);
	/* first match wins */
	struct tmpl_var dup[] = {{"a", "1"}, {"a", "2"}};
	ASSERT_EQ(tmpl_expand("{a}", dup, 2, &out, err, sizeof(err)), 0);
	ASSERT_STR_EQ(out, "1");
	free(out);
}

static void test_errors(void)
{
	char err[160], *out = (char *)1;
	ASSERT_EQ(tmpl_expand("--x {nope}", vars, 3, &out, err, sizeof(err)),
		  -EINVAL);
	ASSERT_TRUE(out == NULL);
	ASSERT_STR_EQ(err, "unknown placeholder {nope}");
	ASSERT_EQ(tmpl_expand("ab {port", vars, 3, &out, err, sizeof(err)),
		  -EINVAL);
	ASSERT_TRUE(strstr(err, "column 4: '{' is not closed") != NULL);
	ASSERT_EQ(tmpl_expand("a}b", vars, 3, &out, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "column 2: lone '}'") != NULL);
	ASSERT_EQ(tmpl_expand("x{}", vars, 3, &out, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "column 2: empty placeholder") != NULL);
	ASSERT_EQ(tmpl_expand("{max-num-seqs}", vars, 3, &out, err,
			      sizeof(err)),
		  -EINVAL);
	ASSERT_TRUE(strstr(err, "'{max-num-seqs}' is not a placeholder") !=
		    NULL);
	ASSERT_EQ(tmpl_expand("{\"json\": 1}", vars, 3, &out, err,
			      sizeof(err)),
		  -EINVAL);
	ASSERT_TRUE(tmpl_name_ok("max_num_seqs"));
	ASSERT_TRUE(!tmpl_name_ok("9lives"));
	ASSERT_TRUE(!tmpl_name_ok(""));
}

struct names {
	char got[8][TMPL_MAX_NAME];
	int n;
};

static int collect(const char *name, void *ud)
{
	struct names *s = ud;
	if (!strcmp(name, "stop"))
		return 7;
	snprintf(s->got[s->n++], TMPL_MAX_NAME, "%s", name);
	return 0;
}

static void test_scan(void)
{
	struct names s = {.n = 0};
	char err[160];
	ASSERT_EQ(tmpl_scan("{a} {{b}} {c_1}", collect, &s, err, sizeof(err)),
		  0);
	ASSERT_EQ(s.n, 2);
	ASSERT_STR_EQ(s.got[0], "a");
	ASSERT_STR_EQ(s.got[1], "c_1");
	s.n = 0;
	ASSERT_EQ(tmpl_scan("{a} {stop} {z}", collect, &s, err, sizeof(err)),
		  7);
	ASSERT_EQ(s.n, 1);
	ASSERT_EQ(tmpl_scan("{a", NULL, NULL, err, sizeof(err)), -EINVAL);
}

static void test_grid(void)
{
	size_t sizes[] = {2, 3}, idx[2];
	ASSERT_EQ(grid_count(sizes, 2), 6);
	ASSERT_EQ(grid_count(sizes, 0), 1);
	/* the last axis varies fastest: (0,0) (0,1) (0,2) (1,0) ... */
	grid_point(sizes, 2, 0, idx);
	ASSERT_EQ(idx[0], 0);
	ASSERT_EQ(idx[1], 0);
	grid_point(sizes, 2, 2, idx);
	ASSERT_EQ(idx[0], 0);
	ASSERT_EQ(idx[1], 2);
	grid_point(sizes, 2, 3, idx);
	ASSERT_EQ(idx[0], 1);
	ASSERT_EQ(idx[1], 0);
	grid_point(sizes, 2, 5, idx);
	ASSERT_EQ(idx[0], 1);
	ASSERT_EQ(idx[1], 2);
	size_t big[] = {8, 8}, over[] = {8, 9}, empty[] = {3, 0};
	ASSERT_EQ(grid_count(big, 2), GRID_MAX_POINTS);
	ASSERT_EQ(grid_count(over, 2), 0);
	ASSERT_EQ(grid_count(empty, 2), 0);
}

int main(void)
{
	TEST_RUN(test_expand);
	TEST_RUN(test_errors);
	TEST_RUN(test_scan);
	TEST_RUN(test_grid);
	return TEST_DONE();
}
