/* test.h - the unit-test harness: typed asserts that print both sides.
 *
 * A test file defines static void test_x(void) functions and a main that
 * calls TEST_RUN(test_x) for each, then returns TEST_DONE(). A failed assert
 * ends the current test (longjmp) and marks it failed; the file's exit code
 * is non-zero when any test failed, 77 when every test skipped.
 */
#ifndef INFBENCH_TESTS_TEST_H
#define INFBENCH_TESTS_TEST_H

#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf test__jmp;
static int test__failed, test__passed, test__skipped, test__cur_skip;
static const char *test__name;

#define TEST_FAIL_(...)                                               \
	do {                                                          \
		fprintf(stderr, "  FAIL %s (%s:%d): ", test__name,    \
			__FILE__, __LINE__);                          \
		fprintf(stderr, __VA_ARGS__);                         \
		fputc('\n', stderr);                                  \
		longjmp(test__jmp, 1);                                \
	} while (0)

#define ASSERT_TRUE(c)                                                \
	do {                                                          \
		if (!(c))                                             \
			TEST_FAIL_("expected %s", #c);                \
	} while (0)

#define ASSERT_EQ(a, b)                                               \
	do {                                                          \
		long long a_ = (long long)(a), b_ = (long long)(b);   \
		if (a_ != b_)                                         \
			TEST_FAIL_("%s == %s: %lld != %lld", #a, #b,  \
				   a_, b_);                           \
	} while (0)

#define ASSERT_NE(a, b)                                               \
	do {                                                          \
		long long a_ = (long long)(a), b_ = (long long)(b);   \
		if (a_ == b_)                                         \
			TEST_FAIL_("%s != %s: both %lld", #a, #b, a_); \
	} while (0)

#define ASSERT_STR_EQ(a, b)                                           \
	do {                                                          \
		const char *a_ = (a), *b_ = (b);                      \
		if (!a_ || !b_ || strcmp(a_, b_))                     \
			TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a,  \
				   #b, a_ ? a_ : "(null)",            \
				   b_ ? b_ : "(null)");               \
	} while (0)

/* |a - b| <= tol */
#define ASSERT_NEAR(a, b, tol)                                        \
	do {                                                          \
		double a_ = (double)(a), b_ = (double)(b);            \
		if (!(fabs(a_ - b_) <= (double)(tol)))                \
			TEST_FAIL_("%s ~= %s: %.9g vs %.9g (tol %g)", \
				   #a, #b, a_, b_, (double)(tol));    \
	} while (0)

/* Skip the rest of the current test (missing optional data). */
#define TEST_SKIP(why)                                                \
	do {                                                          \
		fprintf(stderr, "  SKIP %s: %s\n", test__name, why);  \
		test__cur_skip = 1;                                   \
		longjmp(test__jmp, 2);                                \
	} while (0)

#define TEST_RUN(fn)                                                  \
	do {                                                          \
		test__name = #fn;                                     \
		test__cur_skip = 0;                                   \
		int r_ = setjmp(test__jmp);                           \
		if (r_ == 0) {                                        \
			fn();                                         \
			test__passed++;                               \
		} else if (r_ == 2) {                                 \
			test__skipped++;                              \
		} else {                                              \
			test__failed++;                               \
		}                                                     \
	} while (0)

#define TEST_DONE()                                                   \
	(fprintf(stderr, "  %d passed, %d failed, %d skipped\n",      \
		 test__passed, test__failed, test__skipped),          \
	 test__failed ? 1 : (test__passed == 0 && test__skipped ? 77 : 0))

/* Path of the shared data directory (../shared), or NULL when absent. */
static inline const char *test_shared_dir(void)
{
	const char *s = getenv("SHARED");
	static char buf[4096];
	if (!s || !*s)
		s = "../shared";
	snprintf(buf, sizeof(buf), "%s/data", s);
	FILE *f = fopen(buf, "r");
	if (!f)
		return NULL;
	fclose(f);
	snprintf(buf, sizeof(buf), "%s", s);
	return buf;
}

#endif
