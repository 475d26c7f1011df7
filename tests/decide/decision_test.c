/* decision_test.c - operating points, winners, tok/s per GPU, GPUs for a
 * peak, the context check and the generated reading, on hand-made levels. */
#include "decide/decision.h"
#include "test.h"

static const char scen[] =
	"targets:\n"
	"  - {name: big, url: http://127.0.0.1:1, gpus: 2, max_model_len: 4096}\n"
	"  - {name: small, url: http://127.0.0.1:2}\n"
	"workloads:\n"
	"  - {name: chat, kind: chat}\n"
	"  - {name: rag, kind: rag}\n"
	"sla: p99 e2el <= 4s\n"
	"load: {concurrency: [8, 16, 32]}\n";

static int level(struct decide_set *s, int t, int w, double load, int met,
		 double tok_s, double req_s, double e2el_p99)
{
	char *f = "x.json";
	int i = decide_set_add_level(s, t, w, load, &f, 1, 0);
	struct decide_level *lv = &s->levels[i];
	lv->ran_ok = 1;
	lv->ev.met = met;
	lv->m.out_tok_s = tok_s;
	lv->m.req_s = req_s;
	lv->m.e2el_p99_s = e2el_p99;
	lv->m.e2el_mean_s = e2el_p99 / 2;
	lv->m.ttft_p99_s = 0.2;
	lv->m.kv_alloc_mean_bytes = NAN;
	lv->m.kv_usage_mean = NAN;
	lv->m.gpu_mem_bytes = NAN;
	lv->m.max_model_len = NAN;
	return i;
}

static void test_decision(void)
{
	struct scenario sc;
	struct decide_set s;
	char err[256];
	ASSERT_EQ(scenario_parse("d.yaml", scen, sizeof(scen) - 1, &sc, err,
				 sizeof(err)),
		  0);
	decide_set_init(&s, &sc);
	ASSERT_EQ(s.n_cells, 4);
	/* chat: big passes up to 16 (3000 tok/s on 2 GPUs = 1500/GPU),
	 * small up to 8 (1600 tok/s on 1 GPU) */
	level(&s, 0, 0, 8, 1, 1800, 7, 3.0);
	int big16 = level(&s, 0, 0, 16, 1, 3000, 12, 3.5);
	level(&s, 0, 0, 32, 0, 3500, 14, 6.0);
	int small8 = level(&s, 1, 0, 8, 1, 1600, 6.25, 3.2);
	level(&s, 1, 0, 16, 0, 2000, 7.5, 4.5);
	/* rag: big never passes; small passes everything */
	level(&s, 0, 1, 8, 0, 500, 2, 9);
	level(&s, 1, 1, 8, 1, 400, 1.5, 3);
	int small32 = level(&s, 1, 1, 32, 1, 900, 3.5, 3.9);
	decide_compute(&s);

	struct decide_cell *bc = decide_cell_of(&s, 0, 0),
			   *sc0 = decide_cell_of(&s, 1, 0),
			   *br = decide_cell_of(&s, 0, 1),
			   *sr = decide_cell_of(&s, 1, 1);
	ASSERT_EQ(bc->status, DECIDE_FOUND);
	ASSERT_EQ(bc->op_level, big16);
	ASSERT_NEAR(bc->boundary, 16, 0);
	ASSERT_NEAR(bc->first_fail, 32, 0);
	ASSERT_NEAR(bc->tok_s_per_gpu, 1500, 1e-9);
	ASSERT_EQ(sc0->op_level, small8);
	ASSERT_NEAR(sc0->tok_s_per_gpu, 1600, 1e-9);
	/* per GPU, the single-GPU target wins chat */
	ASSERT_EQ(sc0->winner, 1);
	ASSERT_EQ(bc->winner, 0);
	ASSERT_EQ(br->status, DECIDE_BELOW);
	ASSERT_EQ(br->op_level, -1);
	ASSERT_EQ(sr->status, DECIDE_ABOVE);
	ASSERT_EQ(sr->op_level, small32);
	ASSERT_EQ(sr->winner, 1);

	/* GPUs for a peak: 50 req/s / 12 req/s = 4.17 -> 5 replicas x 2 */
	long long rep, g;
	ASSERT_EQ(decide_gpus_needed(&s, bc, 50, 0, &rep, &g), 0);
	ASSERT_EQ(rep, 5);
	ASSERT_EQ(g, 10);
	ASSERT_EQ(decide_gpus_needed(&s, sc0, 50, 0, &rep, &g), 0);
	ASSERT_EQ(rep, 8); /* 50 / 6.25 = 8 exactly */
	ASSERT_EQ(g, 8);
	/* 100 concurrent / 16 per replica -> 7 replicas x 2 GPUs */
	ASSERT_EQ(decide_gpus_needed(&s, bc, 0, 100, &rep, &g), 0);
	ASSERT_EQ(rep, 7);
	ASSERT_EQ(g, 14);
	ASSERT_TRUE(decide_gpus_needed(&s, br, 50, 0, &rep, &g) != 0);

	/* context: chat needs 512 + 256, rag 4096 + 256 > big's 4096 */
	ASSERT_NEAR(bc->ctx_need, 768, 0);
	ASSERT_NEAR(bc->ctx_have, 4096, 0);
	ASSERT_NEAR(br->ctx_need, 4352, 0);
	ASSERT_TRUE(br->ctx_need > br->ctx_have);
	ASSERT_TRUE(isnan(sc0->ctx_have)); /* unknown: no results say */

	/* the printed decision and reading */
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	decide_print(f, &s, 50, 0);
	fclose(f);
	ASSERT_TRUE(strstr(p, "small gives the most throughput under the "
			      "SLA: 1600 tok/s per GPU at c=8 vs 1500 for big "
			      "at c=16 (+7%)") != NULL);
	ASSERT_TRUE(strstr(p, "Tail latency at the same load (c=8): P99 e2el "
			      "3.20 s for small vs 3.00 s for big") != NULL);
	ASSERT_TRUE(strstr(p, "- rag: only small meets the SLA (up to at least "
			      "c=32") != NULL);
	ASSERT_TRUE(strstr(p, "TOO LONG (4352 of 4096)") != NULL);
	ASSERT_TRUE(strstr(p, "<- best") != NULL);
	free(p);
	decide_set_free(&s);
	scenario_free(&sc);
}

static const char scen_cfg[] =
	"targets:\n"
	"  - name: v\n"
	"    launch:\n"
	"      command: serve --max-num-seqs {mns} --port {port}\n"
	"      grid: {mns: [8, 64, 256]}\n"
	"  - {name: other, url: http://127.0.0.1:2}\n"
	"workloads:\n"
	"  - {name: chat, kind: chat}\n"
	"sla: p99 e2el <= 4s\n"
	"load: {concurrency: [8, 16]}\n";

/* The best configuration per framework skips servers that crashed or never
 * started, even when their numbers before the crash were higher. */
static void test_best_configuration(void)
{
	struct scenario sc;
	struct decide_set s;
	char err[256];
	ASSERT_EQ(scenario_parse("c.yaml", scen_cfg, sizeof(scen_cfg) - 1, &sc,
				 err, sizeof(err)),
		  0);
	ASSERT_EQ(sc.n_targets, 4);
	decide_set_init(&s, &sc);
	level(&s, 0, 0, 8, 1, 500, 4, 2);   /* v.1 mns=8 */
	level(&s, 1, 0, 16, 1, 900, 8, 2);  /* v.2 mns=64: crashed later */
	level(&s, 2, 0, 16, 1, 700, 6, 2);  /* v.3 mns=256 */
	level(&s, 3, 0, 16, 1, 650, 6, 2);  /* other */
	s.launch[0].state = DECIDE_LAUNCH_OK;
	s.launch[1].state = DECIDE_LAUNCH_CRASHED;
	snprintf(s.launch[1].detail, sizeof(s.launch[1].detail),
		 "server died during chat at c=16 (signal 9 (Killed))");
	s.launch[1].log_tail = strdup("loading\nCUDA error: out of memory");
	snprintf(s.launch[1].log, sizeof(s.launch[1].log),
		 "logs/v.2.server.log");
	s.launch[2].state = DECIDE_LAUNCH_OK;
	s.launch[2].ready_s = 12.5;
	decide_compute(&s);
	struct decide_cell *c1 = decide_cell_of(&s, 0, 0),
			   *c2 = decide_cell_of(&s, 1, 0),
			   *c3 = decide_cell_of(&s, 2, 0),
			   *co = decide_cell_of(&s, 3, 0);
	ASSERT_EQ(c2->group_best, 0);
	ASSERT_EQ(c2->winner, 0);
	ASSERT_EQ(c3->group_best, 1);
	ASSERT_EQ(c3->winner, 1);
	ASSERT_EQ(c1->group_best, 0);
	ASSERT_EQ(co->group_best, 1); /* its own group of one */
	ASSERT_EQ(co->winner, 0);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	decide_print(f, &s, 0, 0);
	fclose(f);
	ASSERT_TRUE(strstr(text, "best configuration of v: v.3 (mns=256), 700 "
				 "tok/s per GPU at c=16; next v.1 (mns=8) 500") !=
		    NULL);
	ASSERT_TRUE(strstr(text, "1 configuration(s) failed to start") != NULL);
	ASSERT_TRUE(strstr(text, "v.3 gives the most throughput under the "
				 "SLA: 700 tok/s per GPU at c=16 vs 650 for "
				 "other") != NULL);
	ASSERT_TRUE(strstr(text, "    | CUDA error: out of memory") != NULL);
	ASSERT_TRUE(strstr(text, "server died during chat at c=16") != NULL);
	ASSERT_TRUE(strstr(text, "ready in 12.5 s") != NULL);
	free(text);
	decide_set_free(&s);
	scenario_free(&sc);
}

int main(void)
{
	TEST_RUN(test_decision);
	TEST_RUN(test_best_configuration);
	return TEST_DONE();
}
