/* sim_job.c - names -> engine config -> workload -> virtual run -> memory. */
#include "cli/sim_job.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run_report.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/rng.h"
#include "core/xmalloc.h"
#include "results/json.h"
#include "sim/catalog.h"

static char *known_names(const struct sim_catalog *c, int gpus)
{
	size_t n = gpus ? sim_catalog_n_gpus(c) : sim_catalog_n_models(c);
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(gpus ? sim_catalog_gpu_at(c, i)->name
				   : sim_catalog_model_at(c, i)->name) + 2;
	char *s = xmalloc(len);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, gpus ? sim_catalog_gpu_at(c, i)->name
			       : sim_catalog_model_at(c, i)->name);
	}
	return s;
}

int sim_job_config(const char *cmd, const struct sim_job_names *names,
		   struct sim_config *cfg)
{
	struct sim_catalog *cat = sim_catalog_new();
	char *err = NULL, *list = NULL;
	int rc = -EINVAL;
	enum sim_policy pol;
	if (sim_policy_parse(names->engine, &pol)) {
		errorf("%s: --engine '%s': expected paged (vllm) or reserved "
		       "(tgi)",
		       cmd, names->engine);
		goto out;
	}
	if (names->catalog &&
	    sim_catalog_load_yaml(cat, names->catalog, &err)) {
		errorf("%s: --catalog: %s", cmd, err);
		goto out;
	}
	const struct sim_model *m = sim_catalog_model(cat, names->model);
	if (!m) {
		list = known_names(cat, 0);
		errorf("%s: unknown --model '%s' (known: %s)", cmd,
		       names->model, list);
		goto out;
	}
	const struct sim_gpu *g = sim_catalog_gpu(cat, names->gpu);
	if (!g) {
		list = known_names(cat, 1);
		errorf("%s: unknown --gpu '%s' (known: %s)", cmd, names->gpu,
		       list);
		goto out;
	}
	if (names->tp < 1 || names->tp > 64) {
		errorf("%s: --tp must be within 1..64", cmd);
		goto out;
	}
	sim_config_default(cfg, pol, m, g);
	cfg->tp = (int32_t)names->tp;
	if (names->profile &&
	    sim_profile_load(&cfg->profile, names->profile, &err)) {
		errorf("%s: --profile %s: %s", cmd, names->profile, err);
		goto out;
	}
	rc = 0;
out:
	free(err);
	free(list);
	sim_catalog_free(cat);
	return rc;
}

void sim_job_lengths(const struct run_config *wl, uint64_t id, int warmup,
		     int32_t *in_len, int32_t *out_len)
{
	if (wl->plan) {
		plan_lengths(wl->plan, (long long)id, warmup, in_len, out_len);
		return;
	}
	/* workload/plan.c's distribution rule: one stream per request id. */
	struct rng base, r;
	rng_seed(&base, wl->seed);
	rng_fork(&base, id + (warmup ? SIM_JOB_WARMUP_STREAM : 0), &r);
	*in_len = dist_sample(&wl->in_dist, &r);
	*out_len = dist_sample(&wl->out_dist, &r);
}

int32_t sim_job_max_model_len(const struct sim_config *cfg, char **err)
{
	struct sim_engine *e = sim_engine_new(cfg, err);
	if (!e)
		return -1;
	int32_t v = sim_engine_config(e)->max_model_len;
	sim_engine_free(e);
	return v;
}

/* One phase: n requests into recs[0..n). */
static int run_phase(const struct sim_config *cfg, const struct plan *plan,
		     uint32_t n, int warmup, uint32_t conc,
		     const int64_t *arrivals, struct rec *recs,
		     struct sim_timeline *tl, struct sim_mem *final, char **err)
{
	int32_t *in = xmalloc((size_t)n * sizeof(*in) + 1);
	int32_t *outl = xmalloc((size_t)n * sizeof(*outl) + 1);
	for (uint32_t i = 0; i < n; i++)
		plan_lengths(plan, i, warmup, &in[i], &outl[i]);
	struct sim_workload w = {
		.n = n,
		.in_len = in,
		.out_len = outl,
		.arrival_ns = arrivals,
		.concurrency = conc,
		.warmup = warmup ? n : 0,
	};
	int rc = sim_run_virtual(cfg, &w, recs, tl, final, err);
	free(in);
	free(outl);
	return rc;
}

/* Time-weighted mean of the KV figures over [0, t_end]. The engine state is
 * seen only at step ends (and the timeline keeps every stride-th one), so
 * between two kept points the value is taken to move linearly
 * (trapezoid); before the first point it ramps up from 0 at the first
 * arrival. Idle gaps of an open loop are therefore smeared. */
static void tl_means(const struct sim_timeline *tl, int64_t t_first,
		     double *alloc_tok, double *used_tok)
{
	*alloc_tok = *used_tok = 0;
	if (!tl->n)
		return;
	const struct sim_tl_point *p = tl->pts;
	int64_t t_end = p[tl->n - 1].t_ns;
	if (t_end <= 0)
		return;
	double w0 = (double)(p[0].t_ns - t_first) / 2;
	double a = (double)p[0].kv_alloc_tok * w0;
	double u = (double)p[0].kv_used_tok * w0;
	for (uint32_t i = 0; i + 1 < tl->n; i++) {
		double w = (double)(p[i + 1].t_ns - p[i].t_ns) / 2;
		a += (double)(p[i].kv_alloc_tok + p[i + 1].kv_alloc_tok) * w;
		u += (double)(p[i].kv_used_tok + p[i + 1].kv_used_tok) * w;
	}
	*alloc_tok = a / (double)t_end;
	*used_tok = u / (double)t_end;
}

/* Bytes outside weights and KV that the server preallocates: what the
 * derived pool leaves of util·mem (activation reserve, overhead). */
static int64_t other_bytes(const struct sim_config *resolved)
{
	struct sim_config c = *resolved;
	c.kv_tokens_override = 0;
	char *err = NULL;
	struct sim_engine *e = sim_engine_new(&c, &err);
	int64_t v;
	if (e) {
		struct sim_mem m;
		sim_stats(e, &m);
		v = (int64_t)(c.gpu_memory_utilization *
			      (double)c.gpu.mem_bytes * c.tp) -
		    m.weights_bytes - m.kv_capacity_bytes;
	} else {
		v = resolved->overhead_bytes * resolved->tp;
	}
	free(err);
	sim_engine_free(e);
	return v;
}

int sim_job_run(const struct sim_job *job, struct sim_job_result *res,
		char **err)
{
	int64_t *arr = NULL;
	struct sim_engine *probe = NULL;
	struct plan *own = NULL;
	int rc = -EINVAL;
	int64_t t_start = clock_now_ns();
	memset(res, 0, sizeof(*res));
	sim_timeline_init(&res->tl, 0);
	*err = NULL;
	const struct run_config *wl = &job->wl;
	const int64_t *trace_arr = wl->plan ? plan_arrivals(wl->plan) : NULL;
	int finite = (wl->arrivals.rate > 0 && !isinf(wl->arrivals.rate)) ||
		     trace_arr;
	long long n_req = trace_arr ? plan_count(wl->plan) : wl->num_requests;
	if (n_req < 1 || wl->num_requests > UINT32_MAX / 2 ||
	    n_req > UINT32_MAX / 2 ||
	    wl->warmup < 0 || wl->warmup > UINT32_MAX / 2 ||
	    wl->concurrency < 0 || wl->concurrency > UINT32_MAX) {
		*err = xstrdup("request counts out of range");
		goto out;
	}
	if (wl->concurrency > 0 && finite) {
		*err = xstrdup(trace_arr
				       ? "a trace replay is an open loop: "
					 "--concurrency does not apply"
				       : "give either --concurrency (closed "
					 "loop) or --rate (open loop), not "
					 "both: the virtual clock runs one or "
					 "the other");
		goto out;
	}
	probe = sim_engine_new(&job->cfg, err);
	if (!probe)
		goto out;
	res->resolved = *sim_engine_config(probe);
	const struct plan *plan = wl->plan;
	if (!plan) {
		/* `infbench run` caps prompts at the server's context - 1. */
		struct plan_config pc = {
			.in_dist = wl->in_dist,
			.out_dist = wl->out_dist,
			.seed = wl->seed,
			.num_requests = wl->num_requests,
			.warmup = wl->warmup,
			.win_end_s = -1,
		};
		if ((rc = plan_new(&pc, &own, err)) ||
		    (rc = plan_prepare(own, res->resolved.max_model_len, 0,
				       err)))
			goto out;
		plan = own;
	}

	uint32_t nw = (uint32_t)wl->warmup, n = (uint32_t)n_req;
	res->out.recs = xcalloc((size_t)nw + n, sizeof(struct rec));
	if (nw) {
		uint32_t c = wl->concurrency > 0 && wl->concurrency < nw
				     ? (uint32_t)wl->concurrency
				     : nw;
		if ((rc = run_phase(&res->resolved, plan, nw, 1, c, NULL,
				    res->out.recs, NULL, NULL, err)))
			goto out;
		res->out.n = res->out.n_warmup = nw;
	}
	int64_t t_first = 0;
	if (wl->concurrency == 0) {
		arr = xcalloc(n, sizeof(*arr));
		if (trace_arr) {
			memcpy(arr, trace_arr, n * sizeof(*arr));
			t_first = arr[0];
		} else if (finite) {
			sched_fixed(&wl->arrivals, n, arr);
			t_first = arr[0];
			for (uint32_t i = 1; i < n; i++)
				if (arr[i] < t_first)
					t_first = arr[i];
		}
	}
	struct sim_mem fin;
	rc = run_phase(&res->resolved, plan, n, 0, (uint32_t)wl->concurrency,
		       arr, res->out.recs + nw, &res->tl, &fin, err);
	if (rc)
		goto out;
	res->out.n = (size_t)nw + n;
	for (size_t i = nw; i < res->out.n; i++)
		if (res->out.recs[i].t_done_ns > res->out.duration_ns)
			res->out.duration_ns = res->out.recs[i].t_done_ns;

	struct sim_job_mem *m = &res->mem;
	double a_tok, u_tok;
	tl_means(&res->tl, t_first, &a_tok, &u_tok);
	m->kv_bytes_per_tok = fin.kv_bytes_per_tok;
	m->weights_bytes = fin.weights_bytes;
	m->kv_capacity_bytes = fin.kv_capacity_bytes;
	m->other_bytes = other_bytes(&res->resolved);
	m->gpu_total_bytes =
		m->weights_bytes + m->kv_capacity_bytes + m->other_bytes;
	m->kv_alloc_mean_bytes = a_tok * (double)fin.kv_bytes_per_tok;
	m->kv_used_mean_bytes = u_tok * (double)fin.kv_bytes_per_tok;
	m->kv_alloc_peak_bytes =
		fin.peak_kv_allocated_tok * fin.kv_bytes_per_tok;
	m->kv_used_peak_bytes = fin.peak_kv_used_tok * fin.kv_bytes_per_tok;
	m->preemptions = fin.preemptions;
	m->requeues = fin.requeues;
	m->rejected = fin.rejected;
	m->steps = fin.steps;
	m->peak_running = fin.peak_running;
	m->peak_waiting = fin.peak_waiting;
	rc = 0;
out:
	res->wall_s = (double)(clock_now_ns() - t_start) / 1e9;
	sim_engine_free(probe);
	plan_free(own);
	free(arr);
	if (rc && !*err)
		*err = xstrdup("simulation failed");
	return rc;
}

void sim_job_result_free(struct sim_job_result *res)
{
	if (!res)
		return;
	run_output_free(&res->out);
	sim_timeline_free(&res->tl);
	memset(res, 0, sizeof(*res));
}

json_t *sim_job_engine_json(const struct sim_config *c)
{
	int paged = c->policy == SIM_POLICY_PAGED;
	json_t *j = json_object();
	json_object_set_new(j, "policy", json_string(sim_policy_name(c->policy)));
	json_object_set_new(j, "emulates",
			    json_string(paged ? "vLLM V1 scheduler"
					      : "TGI v3 router (chunking)"));
	json_object_set_new(j, "model", json_string(c->model.name));
	json_object_set_new(j, "gpu", json_string(c->gpu.name));
	json_object_set_new(j, "tp", json_integer(c->tp));
	json_object_set_new(j, "dtype_bytes", json_integer(c->dtype_bytes));
	json_object_set_new(j, "gpu_memory_utilization",
			    json_real(c->gpu_memory_utilization));
	json_object_set_new(j, "kv_tokens_override",
			    c->kv_tokens_override > 0
				    ? json_integer(c->kv_tokens_override)
				    : json_null());
	json_object_set_new(j, "overhead_bytes",
			    json_integer(c->overhead_bytes));
	json_object_set_new(j, "block_size", json_integer(c->block_size));
	json_object_set_new(j, "max_model_len", json_integer(c->max_model_len));
	if (paged) {
		json_object_set_new(j, "max_num_batched_tokens",
				    json_integer(c->max_num_batched_tokens));
		json_object_set_new(j, "max_num_seqs",
				    json_integer(c->max_num_seqs));
		json_object_set_new(
			j, "long_prefill_token_threshold",
			json_integer(c->long_prefill_token_threshold));
	} else {
		json_object_set_new(j, "max_batch_prefill_tokens",
				    json_integer(c->max_batch_prefill_tokens));
		json_object_set_new(j, "max_concurrent_requests",
				    json_integer(c->max_concurrent_requests));
		json_object_set_new(j, "max_new_per_admission",
				    json_integer(c->max_new_per_admission));
		json_object_set_new(j, "max_batch_size",
				    json_integer(c->max_batch_size));
	}
	json_object_set_new(j, "cuda_graph_max_batch",
			    json_integer(c->cuda_graph_max_batch));
	json_object_set_new(j, "graphs_cover_prefill",
			    json_boolean(c->graphs_cover_prefill));
	char *p = sim_profile_to_json(&c->profile);
	json_t *pj = json_loads(p, 0, NULL);
	free(p);
	json_object_set_new(j, "profile", pj ? pj : json_null());
	return j;
}

json_t *sim_job_memory_json(const struct sim_job_mem *m)
{
	json_t *j = json_object();
	json_object_set_new(j, "kv_bytes_per_token",
			    json_integer(m->kv_bytes_per_tok));
	json_object_set_new(j, "weights_bytes", json_integer(m->weights_bytes));
	json_object_set_new(j, "kv_capacity_bytes",
			    json_integer(m->kv_capacity_bytes));
	json_object_set_new(j, "other_bytes", json_integer(m->other_bytes));
	json_object_set_new(j, "gpu_total_bytes",
			    json_integer(m->gpu_total_bytes));
	json_object_set_new(j, "kv_allocated_mean_bytes",
			    json_real(m->kv_alloc_mean_bytes));
	json_object_set_new(j, "kv_allocated_peak_bytes",
			    json_integer(m->kv_alloc_peak_bytes));
	json_object_set_new(j, "kv_used_mean_bytes",
			    json_real(m->kv_used_mean_bytes));
	json_object_set_new(j, "kv_used_peak_bytes",
			    json_integer(m->kv_used_peak_bytes));
	json_object_set_new(j, "mean_method",
			    json_string("time-weighted over the measured "
					"phase, linear between engine steps"));
	json_object_set_new(j, "preemptions", json_integer(m->preemptions));
	json_object_set_new(j, "requeues", json_integer(m->requeues));
	json_object_set_new(j, "rejected", json_integer(m->rejected));
	json_object_set_new(j, "steps", json_integer(m->steps));
	json_object_set_new(j, "peak_running", json_integer(m->peak_running));
	json_object_set_new(j, "peak_waiting", json_integer(m->peak_waiting));
	return j;
}

void sim_job_add_meta(json_t *meta, int argc, char **argv,
		      const struct sim_job *job,
		      const struct sim_job_result *res, const char *label)
{
	const struct sim_config *c = &res->resolved;
	report_add_provenance(meta, argc, argv, label);
	json_object_set_new(meta, "simulated", json_true());
	json_object_set_new(meta, "model", json_string(c->model.name));
	json_object_set_new(meta, "gpu", json_string(c->gpu.name));
	json_object_set_new(meta, "tp", json_integer(c->tp));
	json_object_set_new(meta, "engine", sim_job_engine_json(c));
	json_t *cfg = json_object();
	json_object_set_new(cfg, "api", json_string("simulated"));
	json_object_set_new(cfg, "model", json_string(c->model.name));
	json_object_set_new(cfg, "max_model_len",
			    json_integer(c->max_model_len));
	report_add_workload(cfg, &job->wl);
	json_object_set_new(meta, "config", cfg);
	json_object_set_new(meta, "memory", sim_job_memory_json(&res->mem));
	json_object_set_new(meta, "sim_wall_s", json_real(res->wall_s));
}

void sim_job_print_memory(FILE *f, const struct sim_job_result *res)
{
	const struct sim_job_mem *m = &res->mem;
	fprintf(f,
		"memory (simulated): GPU %.1f GiB = weights %.1f + KV pool "
		"%.1f + other %.1f; KV allocated mean/peak %.2f/%.2f GiB, "
		"used mean/peak %.2f/%.2f GiB; preemptions %lld, re-queues "
		"%lld, peak running %d\n",
		(double)m->gpu_total_bytes / SIM_GIB,
		(double)m->weights_bytes / SIM_GIB,
		(double)m->kv_capacity_bytes / SIM_GIB,
		(double)m->other_bytes / SIM_GIB,
		m->kv_alloc_mean_bytes / SIM_GIB,
		(double)m->kv_alloc_peak_bytes / SIM_GIB,
		m->kv_used_mean_bytes / SIM_GIB,
		(double)m->kv_used_peak_bytes / SIM_GIB,
		(long long)m->preemptions, (long long)m->requeues,
		m->peak_running);
}

int sim_job_write_timeline(const char *path, const struct sim_job_result *res)
{
	char *tmp = NULL;
	int rc = 0;
	FILE *f = results_atomic_open(path, &tmp, &rc);
	if (!f)
		return rc;
	int ok = fprintf(f, "t_s,running,waiting,batch_tok,kv_used_tok,"
			    "kv_alloc_tok,preemptions\n") > 0;
	for (uint32_t i = 0; ok && i < res->tl.n; i++) {
		const struct sim_tl_point *p = &res->tl.pts[i];
		ok = fprintf(f, "%.9f,%d,%d,%d,%lld,%lld,%lld\n",
			     (double)p->t_ns / 1e9, p->running, p->waiting,
			     p->batch_tok, (long long)p->kv_used_tok,
			     (long long)p->kv_alloc_tok,
			     (long long)p->preemptions) > 0;
	}
	return results_atomic_commit(f, &tmp, path, ok);
}
