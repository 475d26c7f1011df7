/* fault_test.c - every-N rules, seeded probabilities, parsing. */
#include "server/fault.h"
#include "test.h"

static void test_every(void)
{
	struct fault_config c = {0};
	ASSERT_EQ(fault_add_every(&c, "drop:3"), 0);
	ASSERT_EQ(fault_add_every(&c, "429:2"), 0);
	ASSERT_TRUE(fault_add_every(&c, "bogus:2") < 0);
	ASSERT_TRUE(fault_add_every(&c, "drop:0") < 0);
	ASSERT_TRUE(fault_add_every(&c, "drop") < 0);
	ASSERT_TRUE(fault_add_every(&c, "drop:-1") < 0);
	int n429 = 0, ndrop = 0, none = 0;
	for (uint64_t s = 1; s <= 12; s++) {
		enum fault_kind k = fault_pick(&c, s);
		n429 += k == FAULT_429;
		ndrop += k == FAULT_DROP;
		none += k == FAULT_NONE;
	}
	/* drop wins on 6 and 12 (first rule). */
	ASSERT_EQ(ndrop, 4);
	ASSERT_EQ(n429, 4);
	ASSERT_EQ(none, 4);
	ASSERT_EQ(fault_pick(&c, 6), FAULT_DROP);
	ASSERT_STR_EQ(fault_name(FAULT_GARBAGE), "garbage");
	ASSERT_EQ(fault_from_name("stall", 5), FAULT_STALL);
}

static void test_probabilities(void)
{
	struct fault_config c = {0};
	c.prob[FAULT_ERROR] = 0.2;
	c.prob[FAULT_STALL] = 0.1;
	c.seed = 99;
	ASSERT_EQ(fault_validate(&c), 0);
	int n_err = 0, n_stall = 0;
	for (uint64_t s = 1; s <= 20000; s++) {
		enum fault_kind k = fault_pick(&c, s);
		n_err += k == FAULT_ERROR;
		n_stall += k == FAULT_STALL;
		/* Deterministic per (seed, seq). */
		if (s % 1000 == 0)
			ASSERT_EQ(fault_pick(&c, s), k);
	}
	ASSERT_NEAR(n_err / 20000.0, 0.2, 0.015);
	ASSERT_NEAR(n_stall / 20000.0, 0.1, 0.01);
	c.prob[FAULT_DROP] = 0.8;
	ASSERT_TRUE(fault_validate(&c) < 0);
	c.prob[FAULT_DROP] = -0.1;
	ASSERT_TRUE(fault_validate(&c) < 0);
}

int main(void)
{
	TEST_RUN(test_every);
	TEST_RUN(test_probabilities);
	return TEST_DONE();
}
