/* cmd_simulate.c - `infbench simulate`: a workload against the emulated
 * engine on a virtual clock.
 *
 * Owns the simulate option table (engine knobs in vLLM/TGI spelling, the
 * workload options of `infbench run`) and its validation; the run itself is
 * cli/sim_job.c, the table and results files are run_report.c's, so a
 * simulated results file has the schema of a real one plus "simulated":
 * true and a "memory" block under "run".
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/load_opts.h"
#include "cli/opts.h"
#include "cli/run_report.h"
#include "cli/sim_job.h"
#include "cli/wl_opts.h"
#include "core/msg.h"
#include "core/xmalloc.h"

struct simulate_opts {
	char *engine, *model, *gpu, *profile, *catalog;
	long long tp;
	double gpu_mem_util;
	long long max_num_seqs, max_num_batched_tokens, block_size;
	long long num_gpu_blocks, max_batch_prefill, max_batch_total;
	long long max_concurrent, max_model_len;
	char *input_len, *output_len, *arrival;
	long long num_requests, warmup, concurrency, seed;
	double rate, burstiness;
	char *result, *csv, *timeline, *label;
	char *percentiles, *percentile_metrics, *slo;
	int quiet;
	struct wl_opts wl; /* datasets, traces, tokenizer (cli/wl_opts.h) */
};

#define O(f) offsetof(struct simulate_opts, f)
static const struct opt simulate_table[] = {
	{"engine", 'e', OPT_STR, O(engine), "paged", "POLICY",
	 "paged (vLLM V1 scheduler) | reserved (TGI v3 router); vllm/tgi "
	 "accepted",
	 "policy", NULL},
	{"model", 'm', OPT_STR, O(model), "qwen2-7b", "NAME",
	 "catalog model (Qwen2-7B, Llama-3-8B, Llama-3-70B, Qwen2-72B, or "
	 "--catalog)",
	 NULL, NULL},
	{"gpu", 'g', OPT_STR, O(gpu), "a100", "NAME",
	 "catalog GPU (A100-80G, H100-SXM, H200, L40S, A10G, or --catalog)",
	 NULL, NULL},
	{"tp", 0, OPT_INT, O(tp), "1", "N", "tensor-parallel GPUs",
	 "tensor-parallel-size,num-shard", NULL},
	{"profile", 0, OPT_STR, O(profile), NULL, "FILE",
	 "step-time profile JSON from `infbench calibrate` (default: "
	 "uncalibrated)",
	 NULL, NULL},
	{"catalog", 0, OPT_STR, O(catalog), NULL, "FILE",
	 "YAML with extra models:/gpus: entries", NULL, NULL},
	{"gpu-memory-utilization", 0, OPT_DOUBLE, O(gpu_mem_util), "0", "X",
	 "fraction of GPU memory the server may use (0 = 0.9)", NULL, NULL},
	{"max-num-seqs", 0, OPT_INT, O(max_num_seqs), "0", "N",
	 "paged: running sequences cap (0 = vLLM default)", NULL, NULL},
	{"max-num-batched-tokens", 0, OPT_INT, O(max_num_batched_tokens), "0",
	 "N", "paged: token budget per step (0 = vLLM default)", NULL, NULL},
	{"block-size", 0, OPT_INT, O(block_size), "0", "N",
	 "KV block tokens (0 = 16 paged, 1 reserved)", NULL, NULL},
	{"num-gpu-blocks-override", 0, OPT_INT, O(num_gpu_blocks), "0", "N",
	 "paged: KV pool in blocks instead of the derived size", NULL, NULL},
	{"max-batch-prefill-tokens", 0, OPT_INT, O(max_batch_prefill), "0",
	 "N", "reserved: prefill budget per step (0 = TGI launcher default)",
	 NULL, NULL},
	{"max-batch-total-tokens", 0, OPT_INT, O(max_batch_total), "0", "N",
	 "reserved: KV pool in tokens instead of the derived size", NULL,
	 NULL},
	{"max-concurrent-requests", 0, OPT_INT, O(max_concurrent), "0", "N",
	 "reserved: in-flight cap, 429 past it (0 = 128)", NULL, NULL},
	{"max-model-len", 0, OPT_INT, O(max_model_len), "0", "N",
	 "prompt + output cap (0 = the model's max_position)",
	 "max-total-tokens", NULL},
	LOAD_LEN_OPTS(struct simulate_opts),
	{"warmup", 0, OPT_INT, O(warmup), "0", "N",
	 "warm-up requests, simulated as their own phase and excluded",
	 "num-warmups", NULL},
	{"concurrency", 'c', OPT_INT, O(concurrency), "0", "N",
	 "closed loop: N requests in flight (0 = open loop)",
	 "max-concurrency", NULL},
	{"rate", 'r', OPT_DOUBLE, O(rate), "inf", "R",
	 "open loop: requests per second (inf = all at t=0)", "request-rate",
	 NULL},
	LOAD_ARRIVAL_OPTS(struct simulate_opts),
	{"seed", 's', OPT_INT, O(seed), "0", "N",
	 "seed for lengths and arrivals (same lengths as `infbench run`)",
	 NULL, NULL},
	{"result", 0, OPT_STR, O(result), NULL, "FILE",
	 "write the results JSON (same schema as run)",
	 "save-result,result-filename", NULL},
	{"csv", 0, OPT_STR, O(csv), NULL, "FILE", "write the per-request CSV",
	 NULL, NULL},
	{"timeline", 0, OPT_STR, O(timeline), NULL, "FILE",
	 "write per-step engine state as CSV (decimated to 100k rows)", NULL,
	 NULL},
	{"label", 'l', OPT_STR, O(label), NULL, "NAME",
	 "row name in the table and results (default: SIM <engine>)", NULL,
	 NULL},
	LOAD_REPORT_OPTS(struct simulate_opts),
	{"quiet", 'q', OPT_BOOL, O(quiet), "0", NULL, "only errors on stderr",
	 NULL, NULL},
	WL_OPTS(struct simulate_opts, wl),
	OPT_END,
};
#undef O

static const struct opts_cmd simulate_cmd = {
	"simulate",
	"infbench simulate [--engine paged|reserved] [--model M] [--gpu G] "
	"[workload options] [--result FILE]",
	"Run a workload against the emulated engine on a virtual clock (no "
	"sockets, no GPU):\nvLLM-style paged KV or TGI-style reservation, a "
	"roofline step-time model\n(docs/SIMULATION.md). Prints the same "
	"table as `infbench run`, labelled\nSIMULATED, plus a memory line; "
	"results files have run's schema.",
	simulate_table,
	0,
	0,
};

/* Engine knobs into cfg; one-line errors. */
static int apply_knobs(const struct simulate_opts *o, struct sim_config *c)
{
	int paged = c->policy == SIM_POLICY_PAGED;
	static const char *const vllm_only[] = {
		"max-num-seqs", "max-num-batched-tokens",
		"num-gpu-blocks-override"};
	static const char *const tgi_only[] = {
		"max-batch-prefill-tokens", "max-batch-total-tokens",
		"max-concurrent-requests"};
	for (size_t i = 0; i < 3; i++) {
		const char *bad = paged ? tgi_only[i] : vllm_only[i];
		if (opts_given(&simulate_cmd, bad)) {
			errorf("simulate: --%s is a %s knob; it does not apply "
			       "to --engine %s",
			       bad, paged ? "TGI (reserved)" : "vLLM (paged)",
			       sim_policy_name(c->policy));
			return -EINVAL;
		}
	}
	if (o->gpu_mem_util < 0 || o->gpu_mem_util > 1) {
		errorf("simulate: --gpu-memory-utilization must be within "
		       "0..1");
		return -EINVAL;
	}
	const long long ints[] = {o->max_num_seqs,     o->max_num_batched_tokens,
				  o->block_size,       o->num_gpu_blocks,
				  o->max_batch_prefill, o->max_batch_total,
				  o->max_concurrent,   o->max_model_len};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (ints[i] < 0 || ints[i] > INT32_MAX) {
			errorf("simulate: engine knobs must be within "
			       "0..%d (0 = the server's default)",
			       INT32_MAX);
			return -EINVAL;
		}
	c->gpu_memory_utilization = o->gpu_mem_util;
	c->block_size = (int32_t)o->block_size;
	c->max_model_len = (int32_t)o->max_model_len;
	c->max_num_seqs = (int32_t)o->max_num_seqs;
	c->max_num_batched_tokens = (int32_t)o->max_num_batched_tokens;
	c->max_batch_prefill_tokens = (int32_t)o->max_batch_prefill;
	c->max_concurrent_requests = (int32_t)o->max_concurrent;
	if (paged && o->num_gpu_blocks > 0)
		c->kv_tokens_override =
			o->num_gpu_blocks * (o->block_size ? o->block_size : 16);
	if (!paged && o->max_batch_total > 0)
		c->kv_tokens_override = o->max_batch_total;
	return 0;
}

int cmd_simulate(int argc, char **argv)
{
	struct simulate_opts o;
	struct sim_job job;
	struct sim_job_result res;
	struct summary_config rcfg;
	json_t *meta = NULL;
	char *err = NULL, *label = NULL;
	int rc = EXIT_USAGE;
	struct wl_ctx wlc = {0};
	struct wl_in wli = {0};

	memset(&o, 0, sizeof(o));
	memset(&job, 0, sizeof(job));
	memset(&res, 0, sizeof(res));
	int prc = opts_parse(&simulate_cmd, argc, argv, &o, NULL, NULL);
	if (prc) {
		rc = prc > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	msg_level = o.quiet ? MSG_QUIET : MSG_NORMAL;
	struct sim_job_names names = {o.engine, o.model,   o.gpu,
				      o.profile, o.catalog, o.tp};
	if (sim_job_config("simulate", &names, &job.cfg) ||
	    apply_knobs(&o, &job.cfg))
		goto out;
	struct run_config *wl = &job.wl;
	if (load_opts_parse("simulate", &simulate_cmd, o.input_len,
			    o.output_len, o.arrival, o.burstiness, o.rate,
			    &wl->in_dist, &wl->out_dist, &wl->arrivals))
		goto out;
	if (o.num_requests < 1 || o.num_requests > 100000000) {
		errorf("simulate: --num-requests must be within 1..100M");
		goto out;
	}
	if (o.concurrency < 0 || o.warmup < 0 || o.warmup > 100000000 ||
	    o.concurrency > 100000000) {
		errorf("simulate: --concurrency and --warmup must be within "
		       "0..100M");
		goto out;
	}
	if (o.concurrency > 0 && !isinf(o.rate)) {
		errorf("simulate: give either --concurrency (closed loop) or "
		       "--rate (open loop), not both");
		goto out;
	}
	if (report_cfg_parse(&rcfg, o.percentiles, o.percentile_metrics,
			     o.slo))
		goto out;
	wl->arrivals.rate = o.rate;
	wl->arrivals.seed = (uint64_t)o.seed;
	wl->num_requests = o.num_requests;
	wl->warmup = o.warmup;
	wl->concurrency = o.concurrency;
	wl->seed = (uint64_t)o.seed;

	/* The same plan `infbench run` builds, sized to the engine's
	 * context; lengths and trace arrivals only (no prompts). */
	int32_t ctx = sim_job_max_model_len(&job.cfg, &err);
	if (ctx < 0) {
		errorf("simulate: %s", err);
		rc = EXIT_FAIL; /* as sim_job_run reports a bad engine */
		goto out;
	}
	wli = (struct wl_in){"simulate", &simulate_cmd, &o.wl, wl, NULL, NULL,
			     NULL, NULL, 0, opts_given(&simulate_cmd, "rate"),
			     0};
	if (wl_build(&wli, ctx, 0, &wlc))
		goto out;
	wl->plan = wlc.plan;
	if (plan_count(wlc.plan) > 0)
		wl->num_requests = plan_count(wlc.plan);
	if (plan_arrivals(wlc.plan) && o.concurrency > 0) {
		errorf("simulate: a trace replay is an open loop: --concurrency "
		       "does not apply");
		goto out;
	}

	rc = EXIT_FAIL;
	if (sim_job_run(&job, &res, &err)) {
		errorf("simulate: %s", err);
		goto out;
	}
	const struct sim_config *c = &res.resolved;
	label = o.label ? xstrdup(o.label)
			: xasprintf("SIM %s", sim_policy_name(c->policy));
	printf("SIMULATED (no server, virtual clock): %s engine (%s), %s on "
	       "%d x %s, %s profile; %.2f s of host time\n",
	       sim_policy_name(c->policy),
	       c->policy == SIM_POLICY_PAGED ? "vLLM V1-like"
					     : "TGI v3-like",
	       c->model.name, c->tp, c->gpu.name,
	       o.profile ? o.profile : "default uncalibrated", res.wall_s);
	fflush(stdout);
	meta = json_object();
	sim_job_add_meta(meta, argc, argv, &job, &res, label);
	wl_after_run(&wlc, &res.out, 1);
	wl_add_meta(meta, &wli, &wlc);
	rc = report_run(&rcfg, &res.out, meta, label, o.result, o.csv, 1.0,
			NULL, NULL);
	sim_job_print_memory(stdout, &res);
	if (o.timeline) {
		int trc = sim_job_write_timeline(o.timeline, &res);
		if (trc) {
			errorf("cannot write %s: %s", o.timeline,
			       strerror(-trc));
			rc = EXIT_FAIL;
		} else {
			notef("timeline: %s", o.timeline);
		}
	}
out:
	sim_job_result_free(&res);
	wl_free(&wlc);
	json_decref(meta);
	free(err);
	free(label);
	opts_free(&simulate_cmd, &o);
	return rc;
}
