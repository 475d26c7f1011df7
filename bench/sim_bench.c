/* sim_bench.c - simulator speed: 100,000 chat requests through each policy
 * in virtual time on one core; prints simulated requests per wall second.
 * Usage: sim_bench [n_requests] [concurrency] */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/rng.h"
#include "sim/vtime.h"

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	uint32_t conc = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 64;
	if (!n || !conc)
		return 2;
	struct sim_catalog *cat = sim_catalog_new();
	int32_t *in = malloc(n * sizeof(int32_t));
	int32_t *out = malloc(n * sizeof(int32_t));
	struct rng g;
	rng_seed(&g, 1);
	int64_t out_tok = 0;
	for (uint32_t i = 0; i < n; i++) {
		in[i] = (int32_t)rng_int(&g, 128, 640);
		out[i] = (int32_t)rng_int(&g, 128, 384);
		out_tok += out[i];
	}
	struct sim_workload wl = {.n = n, .in_len = in, .out_len = out,
				  .concurrency = conc};
	printf("sim_bench: %u chat requests (in 128-640, out 128-384, "
	       "%lld output tokens), closed loop c=%u, Qwen2-7B on A100-80G\n",
	       n, (long long)out_tok, conc);
	int rc = 0;
	for (int p = 0; p < 2; p++) {
		struct sim_config c;
		sim_config_default(&c, p ? SIM_POLICY_RESERVED : SIM_POLICY_PAGED,
				   sim_catalog_model(cat, "qwen2-7b"),
				   sim_catalog_gpu(cat, "a100"));
		struct rec *r = calloc(n, sizeof(*r));
		struct sim_timeline tl;
		struct sim_mem fin;
		char *err = NULL;
		sim_timeline_init(&tl, 0);
		int64_t t0 = clock_now_ns(), c0 = clock_thread_cpu_ns();
		if (sim_run_virtual(&c, &wl, r, &tl, &fin, &err)) {
			fprintf(stderr, "sim_bench: %s\n", err);
			free(err);
			rc = 1;
		}
		double wall = (clock_now_ns() - t0) / 1e9;
		double cpu = (clock_thread_cpu_ns() - c0) / 1e9;
		printf("  %-8s %8.3f s wall %8.3f s cpu  %10.0f req/s  "
		       "%6.1f M tok/s  %lld steps  simulated %.0f s\n",
		       sim_policy_name(c.policy), wall, cpu, n / wall,
		       out_tok / wall / 1e6, (long long)fin.steps,
		       fin.now_ns / 1e9);
		for (uint32_t i = 0; i < n; i++)
			rec_free(&r[i]);
		free(r);
		sim_timeline_free(&tl);
	}
	free(in);
	free(out);
	sim_catalog_free(cat);
	return rc;
}
