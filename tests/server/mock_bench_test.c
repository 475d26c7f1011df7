/* mock_bench_test.c - the mock's benchmark modes: bulk (all tokens, big
 * coalesced writes), paced (one token per read at --itl), lockstep (every
 * stream's tokens on one grid of multiples of --itl). */
#include <poll.h>
#include <stdio.h>

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function" /* client.h helpers */
#endif
#include "client.h"
#include "server/serve.h"
#include "test.h"

static struct srv *start(enum mock_bench b, double ttft_s, double itl_s)
{
	struct srv_config c;
	char *err = NULL;
	srv_config_defaults(&c);
	c.port = 0;
	c.max_model_len = 1 << 20;
	c.mock.bench = b;
	c.mock.ttft_s = ttft_s;
	c.mock.itl_s = itl_s;
	struct srv *s = srv_start(&c, &err);
	if (!s)
		fprintf(stderr, "srv_start: %s\n", err);
	free(err);
	return s;
}

/* Raw reader over several connections: event ("\n\n") arrival times and
 * how many events each recv() carried. */
struct rd {
	struct tcli c;
	int64_t ev_ns[4096];
	int n_ev, done, n_recv, recv_one; /* recvs carrying exactly 1 event */
	uint64_t bytes;
	char tail[2];
};

static void rd_feed(struct rd *r, const char *p, size_t n, int64_t now)
{
	int evs = 0;
	for (size_t i = 0; i < n; i++) {
		char prev = i ? p[i - 1] : r->tail[1];
		if (p[i] == '\n' && prev == '\n') {
			if (r->n_ev < 4096)
				r->ev_ns[r->n_ev] = now;
			r->n_ev++;
			evs++;
		}
	}
	if (n >= 2)
		memcpy(r->tail, p + n - 2, 2);
	else if (n == 1) {
		r->tail[0] = r->tail[1];
		r->tail[1] = p[0];
	}
	if (memmem(p, n, "[DONE]", 6))
		r->done = 1;
	r->n_recv++;
	r->recv_one += evs == 1;
	r->bytes += n;
}

/* Read every stream to its [DONE] (10 s cap). */
static int rd_all(struct rd *rs, int n)
{
	static char buf[1 << 16];
	int64_t dl = clock_now_ns() + 10 * NS_PER_S;
	for (;;) {
		struct pollfd p[8];
		int left = 0;
		for (int i = 0; i < n; i++) {
			p[i].fd = rs[i].done ? -1 : rs[i].c.fd;
			p[i].events = POLLIN;
			left += !rs[i].done;
		}
		if (!left)
			return 0;
		if (clock_now_ns() > dl || poll(p, (nfds_t)n, 1000) < 0)
			return -1;
		for (int i = 0; i < n; i++)
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP))) {
				ssize_t k = recv(p[i].fd, buf, sizeof(buf), 0);
				if (k <= 0)
					return -1;
				rd_feed(&rs[i], buf, (size_t)k, clock_now_ns());
			}
	}
}

static void post(struct rd *r, int port, int max_tokens)
{
	char body[128];
	memset(r, 0, sizeof(*r));
	snprintf(body, sizeof(body),
		 "{\"prompt\":\"a\",\"max_tokens\":%d,\"stream\":true}",
		 max_tokens);
	ASSERT_EQ(tcli_open(&r->c, port), 0);
	ASSERT_EQ(tcli_post(&r->c, "/v1/completions", body), 0);
}

static void test_bulk(void)
{
	struct srv *s = start(MOCK_BENCH_BULK, 0.5, 0.5); /* both ignored */
	ASSERT_TRUE(s);
	struct rd r;
	int64_t t0 = clock_now_ns();
	post(&r, srv_port(s), 50000);
	ASSERT_EQ(rd_all(&r, 1), 0);
	double ms = (double)(clock_now_ns() - t0) / 1e6;
	fprintf(stderr, "  bulk: 50000 tokens in %.1f ms, %.1f MB, %d reads "
			"(%.0f B/read)\n",
		ms, (double)r.bytes / 1e6, r.n_recv,
		(double)r.bytes / r.n_recv);
	ASSERT_EQ(r.n_ev, 50000 + 1); /* + [DONE] */
	ASSERT_TRUE(ms < 5000);  /* nowhere near 50000 x (ttft or itl) */
	ASSERT_TRUE(r.n_recv < 50000 / 8); /* many events per read */
	tcli_close(&r.c);
	srv_stop(s);
}

static void test_paced(void)
{
	struct srv *s = start(MOCK_BENCH_PACED, 0.010, 0.004);
	ASSERT_TRUE(s);
	struct rd r;
	int64_t t0 = clock_now_ns();
	post(&r, srv_port(s), 60);
	ASSERT_EQ(rd_all(&r, 1), 0);
	ASSERT_EQ(r.n_ev, 61);
	double ttft = (double)(r.ev_ns[0] - t0) / 1e6;
	double itl = (double)(r.ev_ns[59] - r.ev_ns[0]) / 59 / 1e6;
	fprintf(stderr, "  paced: ttft %.2f ms (10), itl %.3f ms (4), %d of "
			"%d reads had exactly one event\n",
		ttft, itl, r.recv_one, r.n_recv);
	ASSERT_TRUE(ttft >= 9.9 && ttft < 60);
	ASSERT_NEAR(itl, 4, 0.6);
	/* one write per token: a prompt reader sees one event per read (the
	 * last token shares its read with [DONE]); a reader delayed by the
	 * shared machine merges a few */
	ASSERT_TRUE(r.recv_one >= 40);
	tcli_close(&r.c);
	srv_stop(s);
}

static void test_lockstep(void)
{
	const double itl_ms = 10;
	struct srv *s = start(MOCK_BENCH_LOCKSTEP, 0, itl_ms / 1e3);
	ASSERT_TRUE(s);
	struct rd r[3];
	for (int i = 0; i < 3; i++) {
		post(&r[i], srv_port(s), 20);
		usleep(3700); /* arrivals off the grid */
	}
	ASSERT_EQ(rd_all(r, 3), 0);
	/* The first events may have waited in the socket during the sleeps:
	 * judge from the third on. */
	int on_grid = 0, total = 0, same_tick = 0, others = 0;
	int64_t itl_ns = (int64_t)(itl_ms * 1e6);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(r[i].n_ev, 21);
		for (int k = 2; k < 20; k++) {
			/* the server ticks at multiples of itl on the same clock */
			on_grid += r[i].ev_ns[k] % itl_ns < 3 * NS_PER_MS;
			total++;
			if (i == 0)
				continue;
			if (r[i].ev_ns[k] > r[0].ev_ns[19] + NS_PER_MS)
				continue; /* stream 0 had ended */
			others++;
			/* stream 0 got a token on the same tick */
			for (int j = 0; j < 20; j++)
				if (llabs(r[0].ev_ns[j] - r[i].ev_ns[k]) <
				    2 * NS_PER_MS) {
					same_tick++;
					break;
				}
		}
		double itl = (double)(r[i].ev_ns[19] - r[i].ev_ns[2]) / 17 / 1e6;
		ASSERT_NEAR(itl, itl_ms, 1.0);
		tcli_close(&r[i].c);
	}
	fprintf(stderr, "  lockstep: %d/%d tokens within 3 ms after a grid "
			"tick; %d/%d of streams 1-2 on a tick of stream 0\n",
		on_grid, total, same_tick, others);
	ASSERT_TRUE(on_grid >= total * 9 / 10);
	ASSERT_TRUE(others > 20 && same_tick >= others * 9 / 10);
	srv_stop(s);
}

int main(void)
{
	TEST_RUN(test_bulk);
	TEST_RUN(test_paced);
	TEST_RUN(test_lockstep);
	return TEST_DONE();
}
