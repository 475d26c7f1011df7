/* record_test.c - the per-request record: outcomes, token counts, the
 * packed event slots (encoding, decoding, corrupt input) and their memory
 * (reserve, populate ahead, trim). */
#include "results/record.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/rng.h"
#include "test.h"

/* The k-th event of r (0-based), decoded; fails the test when absent. */
static struct rec_event event_at(const struct rec *r, uint32_t k)
{
	struct rec_evcur c;
	struct rec_event e = {0};
	rec_ev_begin(r, &c);
	for (uint32_t i = 0; i <= k; i++)
		if (!rec_ev_next(&c, &e))
			TEST_FAIL_("event %u of %u missing", k, r->n_events);
	return e;
}

/* Decoded events of r, as many as there are (at most max). */
static uint32_t decode_all(const struct rec *r, struct rec_event *out,
			   uint32_t max)
{
	struct rec_evcur c;
	struct rec_event e;
	uint32_t n = 0;
	rec_ev_begin(r, &c);
	while (rec_ev_next(&c, &e)) {
		if (n < max)
			out[n] = e;
		n++;
	}
	return n;
}

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
	ASSERT_EQ(r.cap_slots, 103 + 4); /* one escape and 102 slots */
	const uint32_t *e0 = r.ev;
	for (int i = 0; i < 103; i++)
		rec_push_event(&r, i, 1, 1);
	ASSERT_TRUE(r.ev == e0);
	ASSERT_EQ(r.n_slots, 4 + 102);
	rec_reserve_events(&r, 10); /* never shrinks */
	ASSERT_EQ(r.cap_slots, 107);
	rec_push_event(&r, 1000000000, 1, 1); /* an escape: grows */
	ASSERT_TRUE(r.cap_slots >= 110);
	for (int i = 1; i < 1000; i++)
		rec_push_event(&r, 1000000000 + i, 1, 1);
	ASSERT_EQ(r.n_events, 1103);
	ASSERT_EQ(r.n_slots, 4 + 102 + 4 + 999);
	ASSERT_EQ(event_at(&r, 1102).t_ns, 1000000999);
	ASSERT_EQ(event_at(&r, 102).t_ns, 102);
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
	const uint32_t cap = 262144; /* 1 MiB of slots: its own mapping */
	rec_reserve_events(&r, cap);
	size_t bytes = (size_t)r.cap_slots * sizeof(*r.ev);
	ASSERT_TRUE(present_pages(r.ev, bytes) <= 2);
	rec_push_event(&r, 0, 1, 1);
	size_t k1 = present_pages(r.ev, bytes);
	for (uint32_t i = 1; i < 80000; i++)
		rec_push_event(&r, i, 1, 1);
	ASSERT_EQ(r.n_slots, 80000 + 3);
	size_t used = (size_t)r.n_slots * sizeof(*r.ev);
	size_t k = present_pages(r.ev, bytes);
	/* everything written is present, and pages beyond it */
	ASSERT_TRUE(k * (size_t)pg >= used + (size_t)pg);
	ASSERT_TRUE(k * (size_t)pg <= 2 * used + 3 * (size_t)pg);
	ASSERT_TRUE(k1 >= 1 && k1 <= 3);
	ASSERT_EQ(event_at(&r, 79999).t_ns, 79999);
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
		rec_push_event(&r, i, i % 7 - 1, (uint32_t)i % 3);
	rec_trim_events(&r);
	ASSERT_EQ(r.cap_slots, 103);
	ASSERT_EQ(r.n_slots, 103);
	ASSERT_EQ(r.n_events, 100);
	struct rec_event got[101];
	ASSERT_EQ(decode_all(&r, got, 101), 100);
	for (int i = 0; i < 100; i++) {
		ASSERT_EQ(got[i].t_ns, i);
		ASSERT_EQ(got[i].tokens, i % 7 - 1);
		ASSERT_EQ(got[i].has_text, i % 3 > 0);
	}
	rec_push_event(&r, 100, 1, 100);
	ASSERT_EQ(event_at(&r, 100).t_ns, 100);
	ASSERT_TRUE(r.cap_slots >= 104);
	rec_free(&r);

	rec_init(&r, 2); /* large: stays a realloc'd array */
	rec_reserve_events(&r, 65536);
	for (int i = 0; i < 30000; i++)
		rec_push_event(&r, i, 1, 1);
	rec_trim_events(&r);
	ASSERT_EQ(r.cap_slots, 30003);
	ASSERT_EQ(event_at(&r, 29999).t_ns, 29999);
	rec_free(&r);

	rec_init(&r, 3); /* nothing pushed: nothing kept */
	rec_reserve_events(&r, 4096);
	rec_trim_events(&r);
	ASSERT_TRUE(r.ev == NULL);
	ASSERT_EQ(r.cap_slots, 0);
	rec_push_event(&r, 5, 1, 1); /* and pushes work after that */
	ASSERT_EQ(event_at(&r, 0).t_ns, 5);
	rec_free(&r);

	rec_init(&r, 4); /* little to give back: left alone */
	rec_reserve_events(&r, 8188); /* 8192 slots */
	const uint32_t *e0 = r.ev;
	for (int i = 0; i < 4094; i++) /* 4097 slots: 4095 free */
		rec_push_event(&r, i, 1, 1);
	rec_trim_events(&r);
	ASSERT_TRUE(r.ev == e0);
	ASSERT_EQ(r.cap_slots, 8192);
	rec_free(&r);

	rec_init(&r, 5); /* 16 KiB to give back: trimmed */
	rec_reserve_events(&r, 8188);
	for (int i = 0; i < 4093; i++) /* 4096 slots: 4096 free */
		rec_push_event(&r, i, 1, 1);
	rec_trim_events(&r);
	ASSERT_EQ(r.cap_slots, 4096);
	ASSERT_EQ(event_at(&r, 4092).t_ns, 4092);
	rec_free(&r);
}

/* A reservation the address space cannot hold is cut down, never fatal:
 * in a child limited to 160 MiB more address space, 256 Mi events (1 GiB
 * of slots) and a quarter (256 MiB) are refused, a sixteenth (64 MiB)
 * taken, and pushes still work. */
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
		rec_reserve_events(&r, 256u << 20);
		if (r.cap_slots != ((256u << 20) + 4) / 16) {
			fprintf(stderr, "  cap %u\n", r.cap_slots);
			_exit(1);
		}
		for (int i = 0; i < 1000; i++)
			rec_push_event(&r, i, 1, 1);
		struct rec_evcur c;
		struct rec_event e = {0};
		rec_ev_begin(&r, &c);
		while (rec_ev_next(&c, &e))
			;
		_exit(r.n_events == 1000 && e.t_ns == 999 ? 0 : 2);
	}
	int st = 0;
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

/* The first event is an escape (no previous time): 4 slots holding the
 * exact time and delta; t_first/t_last follow the pushes. */
static void test_first_event_escapes(void)
{
	struct rec r;
	rec_init(&r, 1);
	int64_t t = 0x123456789abLL;
	rec_push_event(&r, t, 1, 3);
	ASSERT_EQ(r.n_events, 1);
	ASSERT_EQ(r.n_slots, 4);
	ASSERT_EQ(r.ev[0], 7u << 29 | 1u << 28);
	ASSERT_EQ(r.ev[1], 0x456789abu);
	ASSERT_EQ(r.ev[2], 0x123u);
	ASSERT_EQ(r.ev[3], 1u);
	ASSERT_EQ(rec_first_ev_ns(&r), t);
	ASSERT_EQ(r.t_last_ev_ns, t);
	rec_push_event(&r, t + 10, 0, 0);
	ASSERT_EQ(r.n_slots, 5);
	ASSERT_EQ(rec_first_ev_ns(&r), t);
	ASSERT_EQ(r.t_last_ev_ns, t + 10);
	struct rec_event e = event_at(&r, 0);
	ASSERT_EQ(e.t_ns, t);
	ASSERT_EQ(e.tokens, 1);
	ASSERT_EQ(e.has_text, 1);
	rec_free(&r);

	rec_init(&r, 2); /* a first event at t = 0 with no delta: escaped too */
	rec_push_event(&r, 0, -1, 0);
	ASSERT_EQ(r.n_slots, 4);
	ASSERT_EQ(r.ev[0], 7u << 29);
	ASSERT_EQ(r.ev[3], 0xffffffffu);
	rec_free(&r);
}

/* A normal slot's bits: dt in 0..27, has_text in 28, tokens + 1 in 29..31. */
static void test_slot_layout(void)
{
	struct rec r;
	rec_init(&r, 1);
	rec_push_event(&r, 1000, 1, 1);
	rec_push_event(&r, 1123, 2, 0);
	rec_push_event(&r, 1123, -1, 7);
	rec_push_event(&r, 1123 + (1 << 28) - 1, 5, 1);
	rec_push_event(&r, 1123 + (1 << 28) - 1 + 77, 0, 0);
	ASSERT_EQ(r.n_slots, 8);
	ASSERT_EQ(r.ev[4], 123u | 3u << 29);
	ASSERT_EQ(r.ev[5], 0u | 1u << 28);
	ASSERT_EQ(r.ev[6], ((1u << 28) - 1) | 1u << 28 | 6u << 29);
	ASSERT_EQ(r.ev[7], 77u | 1u << 29);
	rec_free(&r);
}

/* The edges of both ranges: a time step of 0 and 2^28 - 1 ns and deltas
 * -1 and 5 take one slot; 2^28 ns, a step back, and deltas -2 and 6 an
 * escape. Each decodes to what was pushed. */
static void test_range_edges(void)
{
	static const struct {
		int64_t dt;
		int32_t tokens;
		uint32_t slots;
	} c[] = {
		{0, 1, 1},
		{(1 << 28) - 1, 1, 1},
		{1 << 28, 1, 4},
		{(1 << 28) + 1, 1, 4},
		{-1, 1, 4},
		{INT64_C(1) << 40, 1, 4},
		{1, -1, 1},
		{1, 5, 1},
		{1, 6, 4},
		{1, -2, 4},
		{1, INT32_MAX, 4},
		{1, INT32_MIN, 4},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct rec r;
		rec_init(&r, 1);
		int64_t t0 = 5000000000LL;
		rec_push_event(&r, t0, 1, 0);
		rec_push_event(&r, t0 + c[i].dt, c[i].tokens, 2);
		if (r.n_slots != 4 + c[i].slots)
			TEST_FAIL_("case %zu: %u slots, want %u", i, r.n_slots,
				   4 + c[i].slots);
		struct rec_event e = event_at(&r, 1);
		ASSERT_EQ(e.t_ns, t0 + c[i].dt);
		ASSERT_EQ(e.tokens, c[i].tokens);
		ASSERT_EQ(e.has_text, 1);
		ASSERT_EQ(r.t_last_ev_ns, t0 + c[i].dt);
		/* and the event after an escape is relative to it */
		rec_push_event(&r, t0 + c[i].dt + 9, 2, 0);
		ASSERT_EQ(r.n_slots, 4 + c[i].slots + 1);
		ASSERT_EQ(event_at(&r, 2).t_ns, t0 + c[i].dt + 9);
		rec_free(&r);
	}
}

/* Random streams (time steps of every kind, deltas in and out of range,
 * with and without text) decode to exactly what was pushed, in 1 slot per
 * normal event and 4 per escape; growth lands anywhere, escapes included. */
static void test_round_trip_random(void)
{
	struct rng g;
	rng_seed(&g, 42);
	enum { N = 3000 };
	static struct rec_event want[N], got[N + 1];
	for (int round = 0; round < 200; round++) {
		struct rec r;
		rec_init(&r, (uint32_t)round);
		if (round % 3 == 0)
			rec_reserve_events(&r, (uint32_t)rng_int(&g, 0, N));
		uint32_t n = (uint32_t)rng_int(&g, 0, N), slots = 0;
		int64_t t = (int64_t)rng_u64(&g) >> rng_int(&g, 1, 63);
		for (uint32_t i = 0; i < n; i++) {
			int64_t dt;
			switch (rng_int(&g, 0, 9)) {
			case 0: dt = 0; break;
			case 1: dt = (1 << 28) - 1; break;
			case 2: dt = 1 << 28; break;
			case 3: dt = -rng_int(&g, 1, INT64_C(1) << 40); break;
			case 4: dt = (int64_t)rng_u64(&g); break; /* huge */
			default: dt = rng_int(&g, 0, (1 << 28) - 1); break;
			}
			int32_t tok;
			switch (rng_int(&g, 0, 9)) {
			case 0: tok = (int32_t)rng_u64(&g); break;
			case 1: tok = (int32_t)rng_int(&g, -3, 8); break;
			default: tok = (int32_t)rng_int(&g, -1, 5); break;
			}
			uint32_t tb = rng_int(&g, 0, 2) ? (uint32_t)rng_u64(&g)
							 : 0;
			int64_t prev = t;
			t = (int64_t)((uint64_t)t + (uint64_t)dt);
			int64_t d = (int64_t)((uint64_t)t - (uint64_t)prev);
			int esc = i == 0 || d < 0 || d >= (1 << 28) ||
				  tok < -1 || tok > 5;
			slots += esc ? 4 : 1;
			want[i] = (struct rec_event){t, tok, tb > 0};
			rec_push_event(&r, t, tok, tb);
			/* what was written is below the populated mark */
			ASSERT_TRUE((uintptr_t)r.ev_ready >=
				    (uintptr_t)(r.ev + r.n_slots));
		}
		ASSERT_EQ(r.n_events, n);
		ASSERT_EQ(r.n_slots, slots);
		ASSERT_TRUE(r.cap_slots >= r.n_slots);
		ASSERT_EQ(decode_all(&r, got, N + 1), n);
		for (uint32_t i = 0; i < n; i++) {
			if (got[i].t_ns != want[i].t_ns ||
			    got[i].tokens != want[i].tokens ||
			    got[i].has_text != want[i].has_text)
				TEST_FAIL_("round %d event %u: (%" PRId64
					   ", %d, %u) != (%" PRId64 ", %d, %u)",
					   round, i, got[i].t_ns, got[i].tokens,
					   got[i].has_text, want[i].t_ns,
					   want[i].tokens, want[i].has_text);
		}
		if (n) {
			ASSERT_EQ(rec_first_ev_ns(&r), want[0].t_ns);
			ASSERT_EQ(r.t_last_ev_ns, want[n - 1].t_ns);
		}
		if (round % 5 == 0) {
			rec_trim_events(&r);
			ASSERT_EQ(decode_all(&r, got, N + 1), n);
		}
		rec_free(&r);
	}
}

/* An escape that finds 0..3 free slots grows the array first. */
static void test_growth_mid_escape(void)
{
	for (uint32_t free_slots = 0; free_slots < 4; free_slots++) {
		struct rec r;
		rec_init(&r, 1);
		rec_reserve_events(&r, 100); /* 104 slots */
		uint32_t normal = 100 - free_slots; /* after the first escape */
		for (uint32_t i = 0; i <= normal; i++)
			rec_push_event(&r, i, 1, 1);
		ASSERT_EQ(r.cap_slots - r.n_slots, free_slots);
		rec_push_event(&r, -7, 9, 0); /* escape: step back, delta 9 */
		rec_push_event(&r, -6, 1, 1);
		ASSERT_EQ(r.n_slots, 104 - free_slots + 4 + 1);
		ASSERT_TRUE(r.cap_slots >= r.n_slots);
		struct rec_event e = event_at(&r, normal + 1);
		ASSERT_EQ(e.t_ns, -7);
		ASSERT_EQ(e.tokens, 9);
		ASSERT_EQ(e.has_text, 0);
		ASSERT_EQ(event_at(&r, normal + 2).t_ns, -6);
		ASSERT_EQ(event_at(&r, normal).t_ns, normal);
		ASSERT_EQ(r.t_last_ev_ns, -6);
		ASSERT_EQ(rec_first_ev_ns(&r), 0);
		rec_free(&r);
	}
}

/* An escape across a page boundary, early in the stream (a window of one
 * page): its pages are all counted as made present, so that the next push
 * does not populate again from the middle of it. */
static void test_escape_across_page(void)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct rec r;
	rec_init(&r, 1);
	rec_reserve_events(&r, 262144);
	/* slots before the first page boundary */
	uint32_t b = (uint32_t)((pg - ((uintptr_t)r.ev & (pg - 1))) / 4);
	if (b < 6)
		b += (uint32_t)(pg / 4);
	rec_push_event(&r, 0, 1, 1);
	for (int64_t t = 1; r.n_slots < b - 2; t++)
		rec_push_event(&r, t, 1, 1);
	rec_push_event(&r, -1, 1, 1); /* two slots on each side */
	ASSERT_EQ(r.n_slots, b + 2);
	ASSERT_TRUE((uintptr_t)r.ev_ready >= (uintptr_t)(r.ev + r.n_slots));
	ASSERT_EQ(event_at(&r, r.n_events - 1).t_ns, -1);
	rec_free(&r);
}

/* No events: the cursor ends at once, reserved or not. */
static void test_iter_empty(void)
{
	struct rec r;
	struct rec_evcur c;
	struct rec_event e;
	rec_init(&r, 1);
	rec_ev_begin(&r, &c);
	ASSERT_EQ(rec_ev_next(&c, &e), 0);
	ASSERT_EQ(rec_ev_next(&c, &e), 0);
	rec_reserve_events(&r, 10);
	rec_ev_begin(&r, &c);
	ASSERT_EQ(rec_ev_next(&c, &e), 0);
	rec_free(&r);
}

/* Slots that end inside an escape (a corrupt record, built by hand in an
 * exactly sized allocation so that ASan sees any read past it) end the
 * events there. */
static void test_truncated_escape(void)
{
	for (uint32_t cut = 1; cut < 4; cut++) {
		struct rec r;
		rec_init(&r, 1);
		uint32_t n = 4 + 1 + cut;
		r.ev = malloc(n * sizeof(*r.ev));
		ASSERT_TRUE(r.ev != NULL);
		r.ev[0] = 7u << 29; /* t = 100, 1 token */
		r.ev[1] = 100;
		r.ev[2] = 0;
		r.ev[3] = 1;
		r.ev[4] = 5u | 2u << 29; /* +5 ns, 1 token */
		for (uint32_t k = 0; k < cut; k++)
			r.ev[5 + k] = k ? 0xffffffffu : 7u << 29;
		r.n_slots = r.cap_slots = n;
		r.n_events = 3;
		struct rec_evcur c;
		struct rec_event e;
		rec_ev_begin(&r, &c);
		ASSERT_EQ(rec_ev_next(&c, &e), 1);
		ASSERT_EQ(e.t_ns, 100);
		ASSERT_EQ(rec_ev_next(&c, &e), 1);
		ASSERT_EQ(e.t_ns, 105);
		ASSERT_EQ(e.tokens, 1);
		ASSERT_EQ(rec_ev_next(&c, &e), 0);
		ASSERT_EQ(rec_ev_next(&c, &e), 0);
		rec_free(&r);
	}
}

int main(void)
{
	TEST_RUN(test_reserve_refused);
	TEST_RUN(test_push_populates_ahead);
	TEST_RUN(test_trim_events);
	TEST_RUN(test_reserve_events);
	TEST_RUN(test_outcome_first_wins);
	TEST_RUN(test_out_tokens_rule);
	TEST_RUN(test_first_event_escapes);
	TEST_RUN(test_slot_layout);
	TEST_RUN(test_range_edges);
	TEST_RUN(test_round_trip_random);
	TEST_RUN(test_growth_mid_escape);
	TEST_RUN(test_escape_across_page);
	TEST_RUN(test_iter_empty);
	TEST_RUN(test_truncated_escape);
	return TEST_DONE();
}
