/* record_test.c - the per-request record: outcomes, token counts and the
 * event array's memory (reserve, populate ahead, trim). */
#include "results/record.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static void test_outcome_first_wins(void)
{
	struct rec r;
	rec_init(&r, 7);
	ASSERT_EQ(r.prompt_tokens, -1);
	rec_set_outcome(&r, REC_STREAM_ERROR, "boom");
	rec_set_outcome(&r, REC_OK, NULL);
	ASSERT_EQ(r.outcome, REC_STREAM_ERROR);
	ASSERT_STR_EQ(r.error, "boom");
	ASSERT_STR_EQ(rec_outcome_name(REC_TIMEOUT_FIRST_TOKEN),
		      "timeout_first_token");
	rec_free(&r);
}

static void test_out_tokens_rule(void)
{
	struct rec r;
	rec_init(&r, 1);
	enum rec_count_src src;
	for (int i = 0; i < 1000; i++) /* growth */
		rec_push_event(&r, i, -1, 3);
	ASSERT_EQ(r.n_events, 1000);
	/* No usage, unknown deltas: estimate = chunks with text. */
	ASSERT_EQ(rec_out_tokens(&r, -1, &src), 1000);
	ASSERT_EQ(src, REC_COUNT_EVENTS);
	/* A tokenizer count beats the estimate. */
	ASSERT_EQ(rec_out_tokens(&r, 900, &src), 900);
	ASSERT_EQ(src, REC_COUNT_TOKENIZER);
	/* Server usage beats everything. */
	r.completion_tokens = 1234;
	ASSERT_EQ(rec_out_tokens(&r, 900, &src), 1234);
	ASSERT_EQ(src, REC_COUNT_USAGE);
	rec_free(&r);

	rec_init(&r, 2);
	rec_push_event(&r, 1, 0, 0); /* role-only chunk */
	rec_push_event(&r, 2, 2, 4);
	rec_push_event(&r, 3, 3, 4);
	ASSERT_EQ(rec_out_tokens(&r, -1, &src), 5);
	ASSERT_EQ(src, REC_COUNT_CHUNK);
	rec_free(&r);
}

/* Reserved room holds that many events without moving them (no
 * allocation on the per-token path); beyond it the array still grows. */
static void test_reserve_events(void)
{
	struct rec r;
	rec_init(&r, 1);
	rec_reserve_events(&r, 103);
	ASSERT_TRUE(r.cap_events >= 103);
	const struct rec_event *e0 = r.events;
	for (int i = 0; i < 103; i++)
		rec_push_event(&r, i, 1, 1);
	ASSERT_TRUE(r.events == e0);
	rec_reserve_events(&r, 10); /* never shrinks */
	ASSERT_TRUE(r.cap_events >= 103);
	for (int i = 0; i < 1000; i++)
		rec_push_event(&r, 103 + i, 1, 1);
	ASSERT_EQ(r.n_events, 1103);
	ASSERT_EQ(r.events[1102].t_ns, 1102);
	rec_free(&r);
}

/* Pages of a[0..bytes) that are present (mincore). */
static size_t present_pages(const void *a, size_t bytes)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)a & ~(pg - 1);
	size_t n = ((uintptr_t)a + bytes - lo + pg - 1) / pg, k = 0;
	unsigned char *v = malloc(n);
	ASSERT_TRUE(v && !mincore((void *)lo, n * pg, v));
	for (size_t i = 0; i < n; i++)
		k += v[i] & 1;
	free(v);
	return k;
}

/* Populating ahead: pushes find their pages already present, a window that
 * grows with the stream, never more than about twice what was written;
 * a large reservation stays address space until reached. */
static void test_push_populates_ahead(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *probe = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(probe != MAP_FAILED);
	int have = !madvise(probe, (size_t)pg, MADV_POPULATE_WRITE);
	munmap(probe, (size_t)pg);
	if (!have)
		TEST_SKIP("kernel without MADV_POPULATE_WRITE");
	struct rec r;
	rec_init(&r, 1);
	const uint32_t cap = 65536; /* 1 MiB: its own mapping */
	rec_reserve_events(&r, cap);
	size_t bytes = (size_t)r.cap_events * sizeof(struct rec_event);
	ASSERT_TRUE(present_pages(r.events, bytes) <= 2);
	rec_push_event(&r, 0, 1, 1);
	size_t k1 = present_pages(r.events, bytes);
	for (uint32_t i = 1; i < 20000; i++)
		rec_push_event(&r, i, 1, 1);
	size_t used = 20000 * sizeof(struct rec_event);
	size_t k = present_pages(r.events, bytes);
	/* everything written is present, and pages beyond it */
	ASSERT_TRUE(k * (size_t)pg >= used + (size_t)pg);
	ASSERT_TRUE(k * (size_t)pg <= 2 * used + 3 * (size_t)pg);
	ASSERT_TRUE(k1 >= 1 && k1 <= 3);
	ASSERT_EQ(r.events[19999].t_ns, 19999);
	rec_free(&r);
}

/* A finished stream gives back the room it did not use; its events are
 * kept, and pushing after a trim still works. */
static void test_trim_events(void)
{
	struct rec r;
	rec_init(&r, 1);
	rec_reserve_events(&r, 65536);
	for (int i = 0; i < 100; i++)
		rec_push_event(&r, i, 1, i);
	rec_trim_events(&r);
	ASSERT_EQ(r.cap_events, 100);
	ASSERT_EQ(r.n_events, 100);
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(r.events[i].text_bytes, (uint32_t)i);
	rec_push_event(&r, 100, 1, 100);
	ASSERT_EQ(r.events[100].t_ns, 100);
	ASSERT_TRUE(r.cap_events >= 101);
	rec_free(&r);

	rec_init(&r, 2); /* large: stays a realloc'd array */
	rec_reserve_events(&r, 65536);
	for (int i = 0; i < 30000; i++)
		rec_push_event(&r, i, 1, 1);
	rec_trim_events(&r);
	ASSERT_EQ(r.cap_events, 30000);
	ASSERT_EQ(r.events[29999].t_ns, 29999);
	rec_free(&r);

	rec_init(&r, 3); /* nothing pushed: nothing kept */
	rec_reserve_events(&r, 4096);
	rec_trim_events(&r);
	ASSERT_TRUE(r.events == NULL);
	ASSERT_EQ(r.cap_events, 0);
	rec_free(&r);

	rec_init(&r, 4); /* little to give back: left alone */
	rec_reserve_events(&r, 200);
	const struct rec_event *e0 = r.events;
	for (int i = 0; i < 150; i++)
		rec_push_event(&r, i, 1, 1);
	rec_trim_events(&r);
	ASSERT_TRUE(r.events == e0);
	rec_free(&r);
}

/* A reservation the address space cannot hold is cut down, never fatal:
 * in a child limited to 160 MiB more address space, 64 Mi events (1 GiB)
 * and 16 Mi (256 MiB) are refused, 4 Mi (64 MiB) taken, and pushes still
 * work. */
static void test_reserve_refused(void)
{
#ifdef __SANITIZE_ADDRESS__
	TEST_SKIP("ASan reserves its own address space: no RLIMIT_AS");
#endif
	pid_t pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		FILE *f = fopen("/proc/self/statm", "r");
		unsigned long pages = 0;
		if (!f || fscanf(f, "%lu", &pages) != 1)
			_exit(3);
		fclose(f);
		rl.rlim_cur = rl.rlim_max = (rlim_t)pages *
						    (rlim_t)sysconf(_SC_PAGESIZE) +
					    ((rlim_t)160 << 20);
		if (setrlimit(RLIMIT_AS, &rl))
			_exit(3);
		struct rec r;
		rec_init(&r, 1);
		rec_reserve_events(&r, 64u << 20);
		if (r.cap_events != 4u << 20) {
			fprintf(stderr, "  cap %u\n", r.cap_events);
			_exit(1);
		}
		for (int i = 0; i < 1000; i++)
			rec_push_event(&r, i, 1, 1);
		_exit(r.n_events == 1000 && r.events[999].t_ns == 999 ? 0 : 2);
	}
	int st = 0;
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

int main(void)
{
	TEST_RUN(test_reserve_refused);
	TEST_RUN(test_push_populates_ahead);
	TEST_RUN(test_trim_events);
	TEST_RUN(test_reserve_events);
	TEST_RUN(test_outcome_first_wins);
	TEST_RUN(test_out_tokens_rule);
	return TEST_DONE();
}
