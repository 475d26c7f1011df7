/* share.c - id shares, schedule digest, rank bytes and rank 0's merge. */
#include "dist/share.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define SHARE_VERSION 1u
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

_Static_assert(RUN_HOST_MAX == DIST_HOST_MAX, "host name sizes differ");
_Static_assert(RUN_WHY_MAX == DIST_WHY_MAX, "reason sizes differ");

long long share_count(long long n, int rank, int size)
{
	if (n <= rank)
		return 0;
	return (n - rank + size - 1) / size;
}

long long share_cap(long long total, int rank, int size)
{
	return total / size + (rank < total % size ? 1 : 0);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t share_digest(const struct plan *p, long long n_total,
		      const int64_t *arrivals, long long warmup)
{
	uint64_t h = FNV_OFFSET;
	h = fnv(h, &n_total, sizeof(n_total));
	h = fnv(h, &warmup, sizeof(warmup));
	if (arrivals)
		h = fnv(h, arrivals, (size_t)n_total * sizeof(*arrivals));
	long long n = n_total < SHARE_DIGEST_IDS ? n_total : SHARE_DIGEST_IDS;
	for (int wu = 0; wu < 2 && p; wu++)
		for (long long id = 0; id < (wu ? warmup : n); id++) {
			int32_t len[2];
			plan_lengths(p, id, wu, &len[0], &len[1]);
			h = fnv(h, len, sizeof(len));
		}
	return h;
}

static void pack_self(struct pack_w *w, const struct run_selfcheck *s)
{
	pack_i64(w, s->lateness_p99_ns);
	pack_i64(w, s->lateness_max_ns);
	pack_i64(w, (int64_t)s->lateness_n);
	pack_i64(w, s->stamp_delay_max_ns);
	pack_f64(w, s->stamp_delay_mean_ns);
	pack_i64(w, s->timer_lag_max_ns);
	pack_f64(w, s->timer_lag_mean_ns);
	pack_f64(w, s->cpu_s);
	pack_f64(w, s->wall_s);
	pack_i64(w, (int64_t)s->chunks);
	pack_f64(w, s->cpu_us_per_chunk);
	pack_f64(w, s->cpu_busy_frac);
	pack_i64(w, s->peak_rss_kib);
	pack_i64(w, s->client_limited);
	pack_bytes(w, s->why, sizeof(s->why));
	pack_i64(w, (int64_t)s->stamp_n);
	pack_i64(w, (int64_t)s->timer_n);
}

static void unpack_self(struct pack_r *r, struct run_selfcheck *s)
{
	s->lateness_p99_ns = unpack_i64(r);
	s->lateness_max_ns = unpack_i64(r);
	s->lateness_n = (uint64_t)unpack_i64(r);
	s->stamp_delay_max_ns = unpack_i64(r);
	s->stamp_delay_mean_ns = unpack_f64(r);
	s->timer_lag_max_ns = unpack_i64(r);
	s->timer_lag_mean_ns = unpack_f64(r);
	s->cpu_s = unpack_f64(r);
	s->wall_s = unpack_f64(r);
	s->chunks = (uint64_t)unpack_i64(r);
	s->cpu_us_per_chunk = unpack_f64(r);
	s->cpu_busy_frac = unpack_f64(r);
	s->peak_rss_kib = (long)unpack_i64(r);
	s->client_limited = (int)unpack_i64(r);
	unpack_bytes(r, s->why, sizeof(s->why));
	s->why[sizeof(s->why) - 1] = '\0';
	s->stamp_n = (uint64_t)unpack_i64(r);
	s->timer_n = (uint64_t)unpack_i64(r);
}

void share_pack(struct pack_w *w, const struct run_output *out)
{
	pack_u32(w, SHARE_VERSION);
	pack_i64(w, out->interrupted);
	pack_self(w, &out->self);
	pack_recs(w, out->recs, out->n);
}

static void append_recs(struct run_output *out, size_t *cap, struct rec *r,
			size_t n)
{
	if (!n)
		return;
	xgrow((void **)&out->recs, cap, out->n + n, sizeof(*out->recs));
	memcpy(out->recs + out->n, r, n * sizeof(*r));
	out->n += n;
}

/* Decode rank r's bytes into out; 0 or -EINVAL (out unchanged). */
static int take_blob(struct run_output *out, size_t *cap,
		     const struct dist_blob *b, struct run_rank *rr)
{
	struct pack_r pr;
	struct rec *recs = NULL;
	size_t n = 0;
	pack_r_init(&pr, b->data, b->len);
	if (b->len == 0)
		return 0; /* took part without running: nothing to add */
	uint32_t ver = unpack_u32(&pr);
	int64_t intr = unpack_i64(&pr);
	struct run_selfcheck self;
	memset(&self, 0, sizeof(self));
	unpack_self(&pr, &self);
	if (pr.err || ver != SHARE_VERSION || unpack_recs(&pr, &recs, &n))
		return -22;
	rr->interrupted = (int)intr;
	rr->self = self;
	for (size_t i = 0; i < n; i++)
		rr->n_recs += !recs[i].warmup;
	append_recs(out, cap, recs, n);
	free(recs); /* their contents moved */
	return 0;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->warmup != y->warmup)
		return x->warmup ? -1 : 1; /* warm-up first */
	return (x->id > y->id) - (x->id < y->id);
}

static void merge_self(struct run_output *out)
{
	struct run_selfcheck m;
	double stamp_sum = 0, timer_sum = 0;
	memset(&m, 0, sizeof(m));
	for (int r = 0; r < out->n_ranks; r++) {
		const struct run_rank *rr = &out->ranks[r];
		const struct run_selfcheck *s = &rr->self;
		if (!rr->reported || !rr->runs)
			continue;
		if (s->lateness_p99_ns > m.lateness_p99_ns)
			m.lateness_p99_ns = s->lateness_p99_ns;
		if (s->lateness_max_ns > m.lateness_max_ns)
			m.lateness_max_ns = s->lateness_max_ns;
		m.lateness_n += s->lateness_n;
		if (s->stamp_delay_max_ns > m.stamp_delay_max_ns)
			m.stamp_delay_max_ns = s->stamp_delay_max_ns;
		stamp_sum += s->stamp_delay_mean_ns * (double)s->stamp_n;
		m.stamp_n += s->stamp_n;
		if (s->timer_lag_max_ns > m.timer_lag_max_ns)
			m.timer_lag_max_ns = s->timer_lag_max_ns;
		timer_sum += s->timer_lag_mean_ns * (double)s->timer_n;
		m.timer_n += s->timer_n;
		m.cpu_s += s->cpu_s;
		if (s->wall_s > m.wall_s)
			m.wall_s = s->wall_s;
		m.chunks += s->chunks;
		if (s->peak_rss_kib > m.peak_rss_kib)
			m.peak_rss_kib = s->peak_rss_kib;
	}
	m.stamp_delay_mean_ns = m.stamp_n ? stamp_sum / (double)m.stamp_n : 0;
	m.timer_lag_mean_ns = m.timer_n ? timer_sum / (double)m.timer_n : 0;
	out->self = m;
}

/* Records for the ids of [0, n_fill) that no rank returned. */
static size_t fill_missing(struct run_output *out, size_t *cap,
			   const struct share_sched *sc, int size)
{
	long long n = sc->n_fill;
	size_t dup = 0;
	unsigned char *seen = xcalloc((size_t)(n / 8 + 1), 1);
	for (size_t i = 0; i < out->n; i++) {
		const struct rec *r = &out->recs[i];
		if (r->warmup || (long long)r->id >= n)
			continue;
		unsigned char bit = (unsigned char)(1u << (r->id % 8));
		if (seen[r->id / 8] & bit)
			dup++;
		seen[r->id / 8] |= bit;
	}
	for (long long id = 0; id < n; id++) {
		if (seen[id / 8] & (1u << (id % 8)))
			continue;
		int owner = (int)(id % size);
		struct run_rank *rr = &out->ranks[owner];
		xgrow((void **)&out->recs, cap, out->n + 1, sizeof(*out->recs));
		struct rec *r = &out->recs[out->n++];
		rec_init(r, (uint32_t)id);
		if (sc->plan)
			plan_lengths(sc->plan, id, 0, &r->in_len, &r->out_len);
		r->t_arrival_ns = sc->arrivals ? sc->arrivals[id] : 0;
		char *why = xasprintf("not run: rank %d (%s): %s", owner,
				      rr->host,
				      rr->why[0] ? rr->why : "no reason given");
		rec_set_outcome(r, REC_NOT_SENT, why);
		free(why);
		rr->n_not_run++;
		out->n_not_run++;
	}
	free(seen);
	return dup;
}

size_t share_merge(struct run_output *out, struct dist_blob *blobs,
		   const struct dist_rank *ranks, int size,
		   const struct share_sched *sched)
{
	size_t cap = out->n, dup = 0;
	struct run_rank *rr = xcalloc((size_t)size, sizeof(*rr));
	for (int r = 0; r < size; r++) {
		memcpy(rr[r].host, ranks[r].host, sizeof(rr[r].host));
		rr[r].runs = ranks[r].runs;
		rr[r].reported = ranks[r].reported;
		rr[r].status = ranks[r].status;
		memcpy(rr[r].why, ranks[r].why, sizeof(rr[r].why));
		rr[r].threads = ranks[r].threads;
		rr[r].cap = ranks[r].cap;
		rr[r].clock_offset_ns = ranks[r].clock_offset_ns;
		rr[r].clock_rtt_ns = ranks[r].clock_rtt_ns;
		rr[r].t0_skew_ns =
			strcmp(ranks[r].host, ranks[0].host)
				? INT64_MIN
				: ranks[r].t0_mono_ns - ranks[0].t0_mono_ns;
	}
	rr[0].self = out->self;
	rr[0].interrupted = out->interrupted;
	rr[0].n_recs = out->n - out->n_warmup;
	for (int r = 1; r < size; r++) {
		if (!blobs || !blobs[r].data) {
			rr[r].reported = 0;
			continue;
		}
		if (take_blob(out, &cap, &blobs[r], &rr[r])) {
			rr[r].reported = 0;
			snprintf(rr[r].why, sizeof(rr[r].why),
				 "its results did not decode (different "
				 "build or byte order?)");
		}
		if (rr[r].interrupted)
			out->interrupted = 1;
	}
	out->ranks = rr;
	out->n_ranks = size;
	out->threads = 0;
	for (int r = 0; r < size; r++)
		if (rr[r].runs)
			out->threads += rr[r].threads;
	if (sched->n_fill > 0 && sched->n_fill <= SHARE_FILL_MAX)
		dup = fill_missing(out, &cap, sched, size);
	qsort(out->recs, out->n, sizeof(*out->recs), cmp_rec);
	out->n_warmup = 0;
	while (out->n_warmup < out->n && out->recs[out->n_warmup].warmup)
		out->n_warmup++;
	merge_self(out);
	return dup;
}
