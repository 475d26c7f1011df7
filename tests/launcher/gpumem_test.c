/* gpumem_test.c - GPU memory baseline and release check over a scripted
 * fake source: released after a few readings, never released (timeout),
 * failing reads, no device. */
#include "launcher/gpumem.h"

#include <errno.h>
#include <math.h>

#include "test.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

struct fake {
	int devices;
	int reads;
	int release_after;   /* reading index from which memory is back */
	int fail;            /* every read fails */
	int closed;
};

static int fake_open(void *ctx, struct gpu_info *info, int max)
{
	struct fake *f = ctx;
	for (int i = 0; i < f->devices && i < max; i++) {
		memset(&info[i], 0, sizeof(info[i]));
		info[i].index = i;
		info[i].mem_total_bytes = 80 * GIB;
	}
	return f->devices;
}

/* Device i uses 1 GiB idle; while "the server" holds it, 61 GiB. */
static int fake_read(void *ctx, struct gpu_sample *out, int n)
{
	struct fake *f = ctx;
	int k = f->reads++;
	if (f->fail)
		return -EIO;
	for (int i = 0; i < n; i++)
		out[i].mem_used_bytes =
			(k >= f->release_after ? 1 : 61) * GIB + i * GIB / 4;
	return 0;
}

static void fake_close(void *ctx)
{
	((struct fake *)ctx)->closed++;
}

static const struct gpu_src_ops ops = {"fake", fake_open, fake_read,
				       fake_close};

static void test_released(void)
{
	struct fake f = {.devices = 2, .release_after = 4};
	struct gpumem g;
	struct gpumem_snap base, held, last;
	ASSERT_EQ(gpumem_open_src(&g, (struct gpu_src){&ops, &f}), 0);
	ASSERT_EQ(g.n, 2);
	f.reads = 10; /* "before the launch": released level */
	ASSERT_EQ(gpumem_read(&g, &base), 0);
	ASSERT_NEAR(gpumem_total(&base), 2.25 * GIB, 1);
	f.reads = 0; /* the server holds memory for readings 0..3 */
	ASSERT_EQ(gpumem_read(&g, &held), 0);
	ASSERT_NEAR(held.used_bytes[1], 61.25 * GIB, 1);
	double waited = -1;
	ASSERT_EQ(gpumem_wait_release(&g, &base, 512.0 * 1024 * 1024, 5, 0.01,
				      &last, &waited),
		  1);
	ASSERT_EQ(f.reads, 5); /* readings 1, 2, 3 held, 4 released */
	ASSERT_NEAR(gpumem_total(&last), 2.25 * GIB, 1);
	ASSERT_TRUE(waited >= 0.02 && waited < 1);
	gpumem_close(&g);
	ASSERT_EQ(f.closed, 1);
}

static void test_not_released(void)
{
	struct fake f = {.devices = 1, .release_after = 1000};
	struct gpumem g;
	struct gpumem_snap base = {.n = 1, .used_bytes = {1 * GIB}}, last;
	ASSERT_EQ(gpumem_open_src(&g, (struct gpu_src){&ops, &f}), 0);
	double waited = 0;
	ASSERT_EQ(gpumem_wait_release(&g, &base, 512.0 * 1024 * 1024, 0.2,
				      0.02, &last, &waited),
		  0);
	ASSERT_TRUE(waited >= 0.2 && waited < 1.5);
	ASSERT_NEAR(last.used_bytes[0], 61 * GIB, 1);
	/* within a tolerance above what is held, it counts as released */
	ASSERT_EQ(gpumem_wait_release(&g, &base, 60.5 * GIB, 0.2, 0.02, &last,
				      NULL),
		  1);
	gpumem_close(&g);
}

static void test_failures(void)
{
	struct fake f = {.devices = 1, .fail = 1};
	struct gpumem g;
	struct gpumem_snap s, base = {.n = 1, .used_bytes = {GIB}};
	ASSERT_EQ(gpumem_open_src(&g, (struct gpu_src){&ops, &f}), 0);
	ASSERT_EQ(gpumem_read(&g, &s), -EIO);
	ASSERT_EQ(gpumem_wait_release(&g, &base, GIB, 0.05, 0.01, NULL, NULL),
		  0);
	gpumem_close(&g);
	struct fake none = {.devices = 0};
	ASSERT_EQ(gpumem_open_src(&g, (struct gpu_src){&ops, &none}), -ENOENT);
	ASSERT_TRUE(strstr(g.why, "no GPU") != NULL);
	ASSERT_EQ(none.closed, 1);
	ASSERT_EQ(gpumem_read(&g, &s), -ENOENT);
	ASSERT_TRUE(isnan(gpumem_total(&s)));
	gpumem_close(&g);
	ASSERT_EQ(none.closed, 1);
}

int main(void)
{
	TEST_RUN(test_released);
	TEST_RUN(test_not_released);
	TEST_RUN(test_failures);
	return TEST_DONE();
}
