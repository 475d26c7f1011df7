/* fixture.h - hand-built records shared by the results tests.
 *
 * Seven records with known answers (times in ms from t0):
 *   0 ok      arr 0   send 0   events 100,150,250 (tokens ?, text) usage 5
 *   1 ok      arr 100 send 200 events 300(1),400(3),420(1)  no usage: 5
 *   2 http    arr 250 send 250 no events (503)
 *   3 warmup  ok with a 10 s TTFT that must not show anywhere
 *   4 ok      arr 250 send 250 events 330(2),430(1) usage 3, no prompt count
 *   5 timeout arr 0   send 50  one event at 90, then timeout_total
 *   6 not_sent
 * The header is for tests only.
 */
#ifndef INFBENCH_TESTS_RESULTS_FIXTURE_H
#define INFBENCH_TESTS_RESULTS_FIXTURE_H

#include "core/clock.h"
#include "results/record.h"

#define MS(x) ((int64_t)(x) * NS_PER_MS)
#define FIX_N 7

static void fix_build(struct rec *r)
{
	for (int i = 0; i < FIX_N; i++)
		rec_init(&r[i], (uint32_t)i);
	/* 0 */
	r[0].in_len = 10, r[0].out_len = 5, r[0].prompt_tokens = 10;
	r[0].completion_tokens = 5;
	r[0].t_arrival_ns = MS(0), r[0].t_send_ns = MS(0);
	r[0].t_first_byte_ns = MS(90), r[0].t_done_ns = MS(260);
	rec_push_event(&r[0], MS(100), -1, 5);
	rec_push_event(&r[0], MS(150), -1, 5);
	rec_push_event(&r[0], MS(250), -1, 5);
	rec_set_outcome(&r[0], REC_OK, NULL);
	r[0].text = xstrdup("hello, \"world\"\n");
	r[0].text_len = strlen(r[0].text);
	/* 1 */
	r[1].in_len = 10, r[1].out_len = 8, r[1].prompt_tokens = 12;
	r[1].t_arrival_ns = MS(100), r[1].t_send_ns = MS(200);
	r[1].t_first_byte_ns = MS(290), r[1].t_done_ns = MS(421);
	rec_push_event(&r[1], MS(300), 1, 3);
	rec_push_event(&r[1], MS(400), 3, 9);
	rec_push_event(&r[1], MS(420), 1, 3);
	rec_set_outcome(&r[1], REC_OK, NULL);
	/* 2 */
	r[2].in_len = 7, r[2].out_len = 5, r[2].http_status = 503;
	r[2].t_arrival_ns = MS(250), r[2].t_send_ns = MS(250);
	r[2].t_first_byte_ns = MS(260), r[2].t_done_ns = MS(261);
	rec_set_outcome(&r[2], REC_HTTP_ERROR, "HTTP 503: overloaded, retry");
	/* 3 warmup */
	r[3].warmup = 1, r[3].in_len = 10, r[3].out_len = 2;
	r[3].t_arrival_ns = -MS(20000), r[3].t_send_ns = -MS(20000);
	rec_push_event(&r[3], -MS(10000), 1, 1);
	rec_push_event(&r[3], -MS(9000), 1, 1);
	rec_set_outcome(&r[3], REC_OK, NULL);
	/* 4 */
	r[4].in_len = 20, r[4].out_len = 3, r[4].completion_tokens = 3;
	r[4].t_arrival_ns = MS(250), r[4].t_send_ns = MS(250);
	r[4].t_first_byte_ns = MS(320), r[4].t_done_ns = MS(431);
	rec_push_event(&r[4], MS(330), 2, 8);
	rec_push_event(&r[4], MS(430), 1, 4);
	rec_set_outcome(&r[4], REC_OK, NULL);
	/* 5 */
	r[5].in_len = 10, r[5].out_len = 5, r[5].http_status = 200;
	r[5].t_arrival_ns = MS(0), r[5].t_send_ns = MS(50);
	r[5].t_first_byte_ns = MS(80), r[5].t_done_ns = MS(900);
	rec_push_event(&r[5], MS(90), 1, 2);
	rec_set_outcome(&r[5], REC_TIMEOUT_TOTAL, "no end after 0.85 s");
	/* 6 */
	r[6].in_len = 10, r[6].out_len = 5, r[6].t_arrival_ns = MS(950);
	rec_set_outcome(&r[6], REC_NOT_SENT, NULL);
}

static void fix_free(struct rec *r)
{
	for (int i = 0; i < FIX_N; i++)
		rec_free(&r[i]);
}

#endif
