/* share_test.c - id shares, schedule digest, rank 0's merge. */
#include "dist/share.h"

#include <string.h>

#include "core/xmalloc.h"
#include "test.h"

static struct plan *make_plan(uint64_t seed, long long n)
{
	struct plan_config pc;
	const char *why;
	struct plan *p = NULL;
	char *err = NULL;
	memset(&pc, 0, sizeof(pc));
	dist_parse("16,32,64", &pc.in_dist, &why);
	dist_parse("uniform:1:50", &pc.out_dist, &why);
	pc.seed = seed;
	pc.num_requests = n;
	pc.warmup = 2;
	pc.win_end_s = -1;
	if (plan_new(&pc, &p, &err) || plan_prepare(p, 0, 0, &err)) {
		fprintf(stderr, "plan: %s\n", err ? err : "?");
		free(err);
		return NULL;
	}
	return p;
}

static void test_counts_and_caps(void)
{
	for (int size = 1; size <= 5; size++)
		for (long long n = 0; n <= 23; n++) {
			long long sum = 0, csum = 0;
			for (int r = 0; r < size; r++) {
				long long c = share_count(n, r, size);
				long long k = 0; /* count ids = r mod size */
				for (long long id = r; id < n; id += size)
					k++;
				ASSERT_EQ(c, k);
				sum += c;
				long long cap = share_cap(n, r, size);
				ASSERT_TRUE(cap == n / size ||
					    cap == n / size + 1);
				csum += cap;
			}
			ASSERT_EQ(sum, n);
			ASSERT_EQ(csum, n);
		}
}

static void test_digest(void)
{
	struct plan *a = make_plan(1, 40), *b = make_plan(1, 40),
		    *c = make_plan(2, 40);
	ASSERT_TRUE(a && b && c);
	int64_t arr[40], arr2[40];
	for (int i = 0; i < 40; i++)
		arr[i] = arr2[i] = i * 1000;
	uint64_t da = share_digest(a, 40, arr, 2);
	ASSERT_EQ(da, share_digest(b, 40, arr2, 2));
	ASSERT_NE(da, share_digest(c, 40, arr, 2));   /* other lengths */
	ASSERT_NE(da, share_digest(a, 40, NULL, 2));  /* no arrivals */
	ASSERT_NE(da, share_digest(a, 40, arr, 1));   /* warm-up count */
	arr2[39]++;
	ASSERT_NE(da, share_digest(b, 40, arr2, 2));  /* one arrival */
	plan_free(a);
	plan_free(b);
	plan_free(c);
}

static void push(struct run_output *o, uint32_t id, int warmup, int ok)
{
	o->recs = xrealloc(o->recs, (o->n + 1) * sizeof(*o->recs));
	struct rec *r = &o->recs[o->n++];
	rec_init(r, id);
	r->warmup = (uint8_t)warmup;
	r->t_done_ns = 1000 * id;
	rec_push_event(r, 500 * id, 1, 1);
	rec_set_outcome(r, ok ? REC_OK : REC_TIMEOUT_TOTAL,
			ok ? NULL : "slow");
	if (warmup)
		o->n_warmup++;
}

/* Rank r's gathered bytes for the ids r, r+3, ... < n. */
static void blob_of(struct dist_blob *b, int r, long long n, double cpu,
		    int64_t p99, uint64_t stamp_n, double stamp_mean)
{
	struct run_output o;
	struct pack_w w;
	memset(&o, 0, sizeof(o));
	if (r == 1)
		push(&o, 1, 1, 1); /* a warm-up record */
	for (long long id = r; id < n; id += 3)
		push(&o, (uint32_t)id, 0, id != 4);
	o.self.cpu_s = cpu;
	o.self.lateness_p99_ns = p99;
	o.self.stamp_n = stamp_n;
	o.self.stamp_delay_mean_ns = stamp_mean;
	o.self.client_limited = r == 1;
	snprintf(o.self.why, sizeof(o.self.why), "busy");
	pack_w_init(&w, 0);
	share_pack(&w, &o);
	b->len = w.b.len;
	b->data = buf_take(&w.b);
	run_output_free(&o);
}

static void ranks3(struct dist_rank *dr)
{
	memset(dr, 0, 3 * sizeof(*dr));
	for (int r = 0; r < 3; r++) {
		snprintf(dr[r].host, sizeof(dr[r].host), "host%c", 'A' + r);
		dr[r].runs = dr[r].reported = dr[r].present = 1;
		dr[r].threads = 2;
	}
	dr[2].reported = 0;
	snprintf(dr[2].why, sizeof(dr[2].why), "its results never arrived");
}

static void test_merge_lost_rank(void)
{
	struct plan *p = make_plan(3, 8);
	ASSERT_TRUE(p);
	struct run_output o;
	struct dist_rank dr[3];
	struct dist_blob *b = xcalloc(3, sizeof(*b));
	memset(&o, 0, sizeof(o));
	push(&o, 0, 1, 1); /* rank 0: warm-up id 0, ids 0, 3, 6 */
	for (uint32_t id = 0; id < 8; id += 3)
		push(&o, id, 0, 1);
	o.self.cpu_s = 1.5;
	o.self.lateness_p99_ns = 100;
	o.self.stamp_n = 10;
	o.self.stamp_delay_mean_ns = 1000;
	o.threads = 2;
	blob_of(&b[1], 1, 8, 2.0, 300, 30, 2000);
	ranks3(dr); /* rank 2 lost: b[2] empty */
	int64_t arr[8];
	for (int i = 0; i < 8; i++)
		arr[i] = 7 * i;
	struct share_sched sc = {.plan = p, .n_fill = 8, .arrivals = arr};
	ASSERT_EQ(share_merge(&o, b, dr, 3, &sc), 0);
	ASSERT_EQ(o.n_ranks, 3);
	ASSERT_EQ(o.n_warmup, 2);
	ASSERT_EQ(o.n, 2 + 8);
	for (size_t i = 0; i < 8; i++)
		ASSERT_EQ(o.recs[2 + i].id, i); /* sorted, every id once */
	ASSERT_EQ(o.n_not_run, 2); /* rank 2's ids 2 and 5 */
	ASSERT_EQ(o.ranks[2].n_not_run, 2);
	ASSERT_EQ(o.ranks[0].n_not_run + o.ranks[1].n_not_run, 0);
	for (uint32_t id = 2; id < 8; id += 3) {
		const struct rec *r = &o.recs[2 + id];
		int32_t in_len, out_len;
		plan_lengths(p, id, 0, &in_len, &out_len);
		ASSERT_EQ(r->outcome, REC_NOT_SENT);
		ASSERT_EQ(r->t_arrival_ns, 7 * (int64_t)id);
		ASSERT_EQ(r->in_len, in_len);
		ASSERT_EQ(r->out_len, out_len);
		ASSERT_STR_EQ(r->error, "not run: rank 2 (hostC): its results "
					"never arrived");
	}
	ASSERT_EQ(o.recs[2 + 4].outcome, REC_TIMEOUT_TOTAL); /* rank 1's */
	ASSERT_EQ(o.ranks[1].n_recs, 3);
	ASSERT_TRUE(o.ranks[1].reported);
	ASSERT_TRUE(!o.ranks[2].reported);
	/* self-check: sums, maxima, weighted means over reporting ranks */
	ASSERT_NEAR(o.self.cpu_s, 3.5, 1e-12);
	ASSERT_EQ(o.self.lateness_p99_ns, 300);
	ASSERT_EQ(o.self.stamp_n, 40);
	ASSERT_NEAR(o.self.stamp_delay_mean_ns, (10 * 1000 + 30 * 2000) / 40.0,
		    1e-9);
	ASSERT_TRUE(o.ranks[1].self.client_limited);
	ASSERT_EQ(o.threads, 6);
	run_output_free(&o);
	dist_blobs_free(b, 3);
	plan_free(p);
}

static void test_merge_bad_blob_and_dup(void)
{
	struct run_output o;
	struct dist_rank dr[3];
	struct dist_blob *b = xcalloc(3, sizeof(*b));
	memset(&o, 0, sizeof(o));
	for (uint32_t id = 0; id < 6; id += 3)
		push(&o, id, 0, 1);
	push(&o, 1, 0, 1); /* rank 0 also claims rank 1's id 1 */
	blob_of(&b[1], 1, 6, 0, 0, 0, 0);
	b[2].data = xstrdup("not a rank's bytes");
	b[2].len = strlen(b[2].data);
	ranks3(dr);
	dr[2].reported = 1;
	struct share_sched sc = {.plan = NULL, .n_fill = 6, .arrivals = NULL};
	ASSERT_EQ(share_merge(&o, b, dr, 3, &sc), 1); /* id 1 twice */
	ASSERT_TRUE(!o.ranks[2].reported);
	ASSERT_EQ(o.ranks[2].n_not_run, 2);
	ASSERT_TRUE(strstr(o.recs[o.n - 1].error, "did not decode") != NULL);
	run_output_free(&o);
	dist_blobs_free(b, 3);
}

/* Open-ended runs (--duration closed loop) fill nothing. */
static void test_open_ended(void)
{
	struct run_output o;
	struct dist_rank dr[3];
	memset(&o, 0, sizeof(o));
	push(&o, 0, 0, 1);
	ranks3(dr);
	struct share_sched sc = {.plan = NULL, .n_fill = 0, .arrivals = NULL};
	ASSERT_EQ(share_merge(&o, NULL, dr, 3, &sc), 0);
	ASSERT_EQ(o.n, 1);
	ASSERT_EQ(o.n_not_run, 0);
	ASSERT_TRUE(!o.ranks[1].reported && !o.ranks[2].reported);
	run_output_free(&o);
}

int main(void)
{
	TEST_RUN(test_counts_and_caps);
	TEST_RUN(test_digest);
	TEST_RUN(test_merge_lost_rank);
	TEST_RUN(test_merge_bad_blob_and_dup);
	TEST_RUN(test_open_ended);
	return TEST_DONE();
}
