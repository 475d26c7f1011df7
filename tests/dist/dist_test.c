/* dist_test.c - the runtime outside mpirun: one rank, local protocol;
 * a binary without MPI refuses an MPI launch. */
#include "dist/dist.h"

#include <errno.h>
#include <stdlib.h>

#include "core/clock.h"
#include "test.h"

/* Built without MPI, an mpirun/srun environment is refused with a reason
 * that says how to get MPI support. */
static void test_refuses_mpi_launch_without_mpi(void)
{
	if (dist_compiled())
		TEST_SKIP("built with MPI: an MPI environment would MPI_Init");
	const char *why = NULL;
	setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
	ASSERT_EQ(dist_init(&why), -ENOTSUP);
	ASSERT_TRUE(why && strstr(why, "no MPI support") &&
		    strstr(why, "make MPI=1"));
	unsetenv("OMPI_COMM_WORLD_SIZE");
	setenv("SLURM_STEP_NUM_TASKS", "2", 1);
	ASSERT_EQ(dist_init(&why), -ENOTSUP);
	setenv("SLURM_STEP_NUM_TASKS", "1", 1); /* srun -n 1: fine */
	ASSERT_EQ(dist_init(&why), 0);
	unsetenv("SLURM_STEP_NUM_TASKS");
}

/* One process: rank 0 of 1; vote, start and gather are local. */
static void test_single_rank_protocol(void)
{
	const char *why = NULL;
	ASSERT_EQ(dist_init(&why), 0);
	ASSERT_EQ(dist_rank(), 0);
	ASSERT_EQ(dist_size(), 1);
	ASSERT_TRUE(dist_host()[0] != '\0');
	ASSERT_EQ(dist_pending(), 0);
	struct dist_vote_in in = {.present = 1, .threads = 3, .cap = 7,
				  .digest = 99};
	int runs = 0;
	char buf[DIST_WHY_MAX];
	ASSERT_EQ(dist_vote(&in, &runs, buf, sizeof(buf)), 0);
	ASSERT_EQ(runs, 1);
	ASSERT_EQ(dist_ranks()[0].threads, 3);
	ASSERT_EQ(dist_ranks()[0].cap, 7);
	int64_t before = clock_now_ns(), t0m, t0w;
	ASSERT_EQ(dist_start(2 * NS_PER_MS, &t0m, &t0w), 0);
	ASSERT_TRUE(t0m >= before + 2 * NS_PER_MS);
	ASSERT_TRUE(t0m <= clock_now_ns() + 2 * NS_PER_MS);
	ASSERT_NEAR((double)(t0w - clock_wall_ns()), 2e6, 5e6);
	struct dist_blob *b = (struct dist_blob *)1;
	ASSERT_EQ(dist_gather("x", 1, 0, NULL, NULL, 0, &b), 0);
	ASSERT_TRUE(b == NULL);
	ASSERT_EQ(dist_lost(), 0);
	dist_absent("no-op with one rank");
	dist_finalize(0);
}

/* A rank that cannot start is recorded with its reason; rank 0 absent
 * means nobody runs. */
static void test_absent_rank0(void)
{
	struct dist_vote_in in = {.present = 0, .why = "server unreachable"};
	int runs = 1;
	char buf[DIST_WHY_MAX];
	ASSERT_EQ(dist_vote(&in, &runs, buf, sizeof(buf)), -EIO);
	ASSERT_EQ(runs, 0);
	ASSERT_TRUE(strstr(buf, "server unreachable") != NULL);
	ASSERT_TRUE(strstr(dist_ranks()[0].why, "server unreachable") != NULL);
	dist_finalize(0);
}

int main(void)
{
	TEST_RUN(test_refuses_mpi_launch_without_mpi);
	TEST_RUN(test_single_rank_protocol);
	TEST_RUN(test_absent_rank0);
	return TEST_DONE();
}
