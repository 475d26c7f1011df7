/* simbackend.c - real-time stepping of the engine emulator, its /metrics
 * (vLLM or TGI names) and /dcgm/metrics. */
#include "server/simbackend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/xmalloc.h"

#define MIB (1024LL * 1024LL)
#define NO_SLOT UINT32_MAX
#define UTIL_NB 128 /* bucket ring (> SIMBE_UTIL_WINDOW) */

/* vLLM V1 vllm:iteration_tokens_total buckets (v1/metrics/loggers.py). */
static const double iter_le[] = {1,    8,    16,   32,   64,   128,  256,
				 512,  1024, 2048, 4096, 8192, 16384};
#define N_ITER (sizeof(iter_le) / sizeof(iter_le[0]))

/* A request id the engine knows = an index into the slot table. */
struct slot {
	struct srv_stream *s; /* NULL = free */
	uint32_t gen;         /* bumped on each allocation */
	uint32_t next_free;
};

/* A token computed by the step in flight, sent at its end. */
struct pend {
	uint32_t slot, gen;
	uint8_t last;
};

/* Busy time of one 10 ms bucket (absolute index t / bucket). */
struct ubucket {
	int64_t idx;
	int64_t busy_ns;
	double mem_ns; /* busy time x the step's bandwidth share */
};

struct simbe {
	struct loop_timer timer; /* first: the callback casts */
	struct loop *loop;
	struct sim_engine *e;
	const struct sim_config *cfg; /* resolved, owned by e */
	char product[96];             /* DCGM modelName */
	double tdp_w, idle_w;         /* [est] power model */

	struct slot *slots;
	size_t cap_slots;
	uint32_t n_slots, free_head, live;

	struct pend *pend;
	size_t cap_pend;
	uint32_t n_pend;

	int busy;                /* a step is in flight */
	int64_t step_t0, step_t1; /* its start and end (monotonic ns) */
	double step_memf;        /* its bytes / (peak BW x duration) */

	uint64_t overloaded, too_big;
	uint64_t iter_count, iter_bucket[N_ITER + 1];
	double iter_sum;
	struct ubucket ub[UTIL_NB];
};

/* Per-stream private area. */
struct simbe_stream {
	uint32_t slot;
};

/* ---- GPU product names and power [est] ---------------------------- */

static const struct {
	const char *catalog; /* built-in catalog name */
	const char *product; /* nvidia-smi / DCGM modelName */
	double tdp_w, idle_w;
} gpu_info[] = {
	{"A100-80G", "NVIDIA A100-SXM4-80GB", 400, 60},
	{"H100-SXM", "NVIDIA H100 80GB HBM3", 700, 70},
	{"H200", "NVIDIA H200", 700, 75},
	{"L40S", "NVIDIA L40S", 350, 35},
	{"A10G", "NVIDIA A10G", 300, 25},
};

static void gpu_lookup(struct simbe *b, const struct sim_gpu *g)
{
	for (size_t i = 0; i < sizeof(gpu_info) / sizeof(gpu_info[0]); i++)
		if (!strcasecmp(g->name, gpu_info[i].catalog)) {
			snprintf(b->product, sizeof(b->product), "%s",
				 gpu_info[i].product);
			b->tdp_w = gpu_info[i].tdp_w;
			b->idle_w = gpu_info[i].idle_w;
			return;
		}
	snprintf(b->product, sizeof(b->product), "NVIDIA %s", g->name);
	b->tdp_w = 300;
	b->idle_w = 50;
}

/* ---- slots -------------------------------------------------------- */

static uint32_t slot_alloc(struct simbe *b, struct srv_stream *s)
{
	uint32_t i = b->free_head;
	if (i == NO_SLOT) {
		xgrow((void **)&b->slots, &b->cap_slots, b->n_slots + 1,
		      sizeof(*b->slots));
		i = b->n_slots++;
		b->slots[i].gen = 0;
	} else {
		b->free_head = b->slots[i].next_free;
	}
	b->slots[i].s = s;
	b->slots[i].gen++;
	b->slots[i].next_free = NO_SLOT;
	b->live++;
	return i;
}

static void slot_free(struct simbe *b, uint32_t i)
{
	ASSERT(b->slots[i].s != NULL);
	b->slots[i].s = NULL;
	b->slots[i].next_free = b->free_head;
	b->free_head = i;
	b->live--;
}

/* ---- utilization window -------------------------------------------- */

static void util_add(struct simbe *b, int64_t t0, int64_t t1, double memf)
{
	if (t1 <= t0)
		return;
	int64_t first = t0 / SIMBE_UTIL_BUCKET_NS;
	int64_t last = (t1 - 1) / SIMBE_UTIL_BUCKET_NS;
	if (last - first >= UTIL_NB)
		first = last - UTIL_NB + 1;
	for (int64_t i = first; i <= last; i++) {
		int64_t lo = i * SIMBE_UTIL_BUCKET_NS, hi = lo + SIMBE_UTIL_BUCKET_NS;
		if (lo < t0)
			lo = t0;
		if (hi > t1)
			hi = t1;
		struct ubucket *u = &b->ub[i % UTIL_NB];
		if (u->idx != i) {
			u->idx = i;
			u->busy_ns = 0;
			u->mem_ns = 0;
		}
		u->busy_ns += hi - lo;
		u->mem_ns += (double)(hi - lo) * memf;
	}
}

/* Busy and memory-busy fractions over the window ending at now. */
static void util_get(const struct simbe *b, int64_t now, double *busy,
		     double *mem)
{
	int64_t now_idx = now / SIMBE_UTIL_BUCKET_NS;
	int64_t lo_idx = now_idx - SIMBE_UTIL_WINDOW + 1;
	int64_t t_lo = lo_idx * SIMBE_UTIL_BUCKET_NS;
	double busy_ns = 0, mem_ns = 0;
	for (int i = 0; i < UTIL_NB; i++)
		if (b->ub[i].idx >= lo_idx && b->ub[i].idx <= now_idx) {
			busy_ns += (double)b->ub[i].busy_ns;
			mem_ns += b->ub[i].mem_ns;
		}
	if (b->busy) { /* the step in flight, up to now */
		int64_t lo = b->step_t0 > t_lo ? b->step_t0 : t_lo;
		int64_t hi = b->step_t1 < now ? b->step_t1 : now;
		if (hi > lo) {
			busy_ns += (double)(hi - lo);
			mem_ns += (double)(hi - lo) * b->step_memf;
		}
	}
	double win = (double)(now - t_lo);
	*busy = win > 0 ? busy_ns / win : 0;
	*mem = win > 0 ? mem_ns / win : 0;
	if (*busy > 1)
		*busy = 1;
	if (*mem > 1)
		*mem = 1;
}

/* ---- stepping ------------------------------------------------------ */

static void step_start(struct simbe *b, int64_t t0)
{
	struct sim_step_out so;
	int64_t dt = sim_step(b->e, t0, &so);
	if (dt == 0) {
		b->busy = 0;
		return;
	}
	xgrow((void **)&b->pend, &b->cap_pend, so.n_tokens, sizeof(*b->pend));
	for (uint32_t i = 0; i < so.n_tokens; i++) {
		uint32_t id = so.tokens[i].id;
		ASSERT(id < b->n_slots && b->slots[id].s);
		b->pend[i] = (struct pend){id, b->slots[id].gen,
					   so.tokens[i].last};
	}
	b->n_pend = so.n_tokens;
	int32_t tok = so.prefill_tok + so.decode_tok;
	size_t k = 0;
	while (k < N_ITER && tok > iter_le[k])
		k++;
	b->iter_bucket[k]++;
	b->iter_count++;
	b->iter_sum += tok;
	/* share of the step the memory system is streaming at peak BW */
	struct sim_terms tm;
	sim_cost_terms(sim_engine_cost(b->e), &so.shape, &tm);
	b->step_memf = (tm.b_lin + tm.b_attn) / ((double)dt / 1e9);
	if (b->step_memf > 1)
		b->step_memf = 1;
	b->busy = 1;
	b->step_t0 = t0;
	b->step_t1 = t0 + dt;
	loop_timer_start(b->loop, &b->timer, b->step_t1);
}

static void on_step_end(struct loop *l, struct loop_timer *t)
{
	struct simbe *b = (struct simbe *)t;
	(void)l;
	util_add(b, b->step_t0, b->step_t1, b->step_memf);
	for (uint32_t i = 0; i < b->n_pend; i++) {
		const struct pend *p = &b->pend[i];
		struct slot *sl = &b->slots[p->slot];
		if (!sl->s || sl->gen != p->gen)
			continue; /* cancelled during the step */
		enum srv_emit r = srv_stream_tokens(
			sl->s, 1, p->last ? SRV_FINISH_LENGTH : SRV_FINISH_NONE);
		if (p->last) {
			/* the engine forgot the id when the step began */
			slot_free(b, p->slot);
		} else if (r == SRV_EMIT_GONE) {
			/* client gone or an injected fault: free its KV */
			sim_cancel(b->e, p->slot);
			slot_free(b, p->slot);
		}
	}
	b->n_pend = 0;
	step_start(b, b->step_t1); /* absolute: no drift */
}

/* ---- backend ops --------------------------------------------------- */

static int simbe_create(struct loop *l, const void *arg, void **be, char **err)
{
	const struct sim_config *c = arg;
	char *msg = NULL;
	struct sim_engine *e = sim_engine_new(c, &msg);
	if (!e) {
		if (err)
			*err = msg;
		else
			free(msg);
		return -EINVAL;
	}
	struct simbe *b = xcalloc(1, sizeof(*b));
	b->timer.cb = on_step_end;
	b->loop = l;
	b->e = e;
	b->cfg = sim_engine_config(e);
	b->free_head = NO_SLOT;
	for (int i = 0; i < UTIL_NB; i++)
		b->ub[i].idx = -1;
	gpu_lookup(b, &b->cfg->gpu);
	*be = b;
	return 0;
}

static void simbe_destroy(void *be)
{
	struct simbe *b = be;
	if (!b)
		return;
	loop_timer_stop(b->loop, &b->timer);
	sim_engine_free(b->e);
	free(b->slots);
	free(b->pend);
	free(b);
}

static int simbe_admit(void *be, struct srv_stream *s)
{
	struct simbe *b = be;
	struct simbe_stream *ss = srv_stream_priv(s);
	const struct srv_request *r = srv_stream_req(s);
	if (b->live >= SIMBE_MAX_INFLIGHT) {
		b->overloaded++;
		return -EBUSY;
	}
	/* A real server's prompt has at least a BOS token. */
	int64_t p = r->prompt_tokens < 1 ? 1 : r->prompt_tokens;
	int64_t n = r->max_tokens;
	if (p > INT32_MAX || n > INT32_MAX) {
		b->too_big++;
		return -E2BIG;
	}
	uint32_t id = slot_alloc(b, s);
	int rc = sim_submit(b->e, id, (int32_t)p, (int32_t)n, r->t_arrival_ns);
	if (rc) {
		slot_free(b, id);
		if (rc == -EBUSY)
			b->overloaded++;
		else
			b->too_big++;
		return rc == -EBUSY ? -EBUSY : -E2BIG;
	}
	ss->slot = id;
	return 0;
}

static void simbe_submit(void *be, struct srv_stream *s)
{
	struct simbe *b = be;
	(void)s;
	if (!b->busy)
		step_start(b, loop_now_ns(b->loop));
}

static void simbe_cancel(void *be, struct srv_stream *s)
{
	struct simbe *b = be;
	struct simbe_stream *ss = srv_stream_priv(s);
	/* -ENOENT when its last token was computed by the step in flight */
	sim_cancel(b->e, ss->slot);
	slot_free(b, ss->slot);
}

static void simbe_gauges(void *be, struct srv_gauges *g)
{
	struct simbe *b = be;
	struct sim_mem m;
	sim_stats(b->e, &m);
	g->running = m.running;
	g->waiting = m.waiting;
	g->kv_usage = m.kv_capacity_blocks
			      ? (double)m.kv_allocated_blocks /
					(double)m.kv_capacity_blocks
			      : 0;
	g->preemptions = (uint64_t)m.preemptions;
}

static void simbe_limits(void *be, struct srv_limits *out)
{
	struct simbe *b = be;
	out->max_model_len = b->cfg->max_model_len;
	if (b->cfg->policy == SIM_POLICY_RESERVED)
		out->max_concurrent = b->cfg->max_concurrent_requests;
}

/* One vLLM sample with the model_name/engine labels, prometheus_client
 * float formatting ("3.0"). */
static int vsample(struct buf *o, const char *name, const char *model,
		   const char *extra, double v)
{
	return buf_printf(o, "%s{model_name=\"%s\",engine=\"0\"%s} %.17g%s\n",
			  name, model, extra ? extra : "", v,
			  v == (double)(int64_t)v ? ".0" : "");
}

static int vmetric(struct buf *o, const char *name, const char *type,
		   const char *help, const char *model, double v)
{
	int rc = buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help,
			    name, type);
	return rc | vsample(o, name, model, NULL, v);
}

static int metrics_vllm(struct simbe *b, const struct srv_metrics_in *in,
			struct buf *o)
{
	struct sim_mem m;
	struct srv_gauges g;
	const char *md = in->model;
	int rc = 0;
	sim_stats(b->e, &m);
	simbe_gauges(b, &g);
	rc |= vmetric(o, "vllm:num_requests_running", "gauge",
		      "Number of requests in model execution batches.", md,
		      g.running);
	rc |= vmetric(o, "vllm:num_requests_waiting", "gauge",
		      "Number of requests waiting to be processed.", md,
		      g.waiting);
	rc |= vmetric(o, "vllm:kv_cache_usage_perc", "gauge",
		      "KV-cache usage. 1 means 100 percent usage.", md,
		      g.kv_usage);
	rc |= vmetric(o, "vllm:num_preemptions_total", "counter",
		      "Cumulative number of preemption from the engine.", md,
		      (double)g.preemptions);
	rc |= vmetric(o, "vllm:prompt_tokens_total", "counter",
		      "Number of prefill tokens processed.", md,
		      (double)in->prompt_tokens);
	rc |= vmetric(o, "vllm:generation_tokens_total", "counter",
		      "Number of generation tokens processed.", md,
		      (double)in->generation_tokens);
	rc |= buf_printf(o, "# HELP vllm:request_success_total Count of "
			    "successfully processed requests.\n"
			    "# TYPE vllm:request_success_total counter\n");
	rc |= vsample(o, "vllm:request_success_total", md,
		      ",finished_reason=\"length\"", (double)in->completed);
	rc |= buf_printf(o, "# HELP vllm:iteration_tokens_total Histogram of "
			    "number of tokens per engine_step.\n"
			    "# TYPE vllm:iteration_tokens_total histogram\n");
	uint64_t cum = 0;
	char le[48];
	for (size_t k = 0; k <= N_ITER; k++) {
		cum += b->iter_bucket[k];
		if (k < N_ITER)
			snprintf(le, sizeof(le), ",le=\"%.1f\"", iter_le[k]);
		else
			snprintf(le, sizeof(le), ",le=\"+Inf\"");
		rc |= vsample(o, "vllm:iteration_tokens_total_bucket", md, le,
			      (double)cum);
	}
	rc |= vsample(o, "vllm:iteration_tokens_total_count", md, NULL,
		      (double)b->iter_count);
	rc |= vsample(o, "vllm:iteration_tokens_total_sum", md, NULL,
		      b->iter_sum);
	const struct sim_config *c = b->cfg;
	char over[32];
	if (c->kv_tokens_override > 0)
		snprintf(over, sizeof(over), "%lld",
			 (long long)(c->kv_tokens_override / c->block_size));
	else
		snprintf(over, sizeof(over), "None");
	rc |= buf_printf(o,
			 "# HELP vllm:cache_config_info Information of the "
			 "LLMEngine CacheConfig\n"
			 "# TYPE vllm:cache_config_info gauge\n"
			 "vllm:cache_config_info{block_size=\"%d\","
			 "gpu_memory_utilization=\"%g\",cache_dtype=\"auto\","
			 "num_gpu_blocks_override=\"%s\",num_gpu_blocks="
			 "\"%lld\",num_cpu_blocks=\"None\",engine=\"0\"} 1.0\n",
			 c->block_size, c->gpu_memory_utilization, over,
			 (long long)m.kv_capacity_blocks);
	return rc ? -ENOBUFS : 0;
}

/* TGI (metrics-rs exporter): TYPE lines only, no labels, counters without
 * a _total suffix. */
static int tgi_line(struct buf *o, const char *name, const char *type,
		    double v)
{
	return buf_printf(o, "# TYPE %s %s\n%s %.17g\n", name, type, name, v);
}

static int metrics_tgi(struct simbe *b, const struct srv_metrics_in *in,
		       struct buf *o)
{
	struct sim_mem m;
	int rc = 0;
	sim_stats(b->e, &m);
	rc |= tgi_line(o, "tgi_request_count", "counter",
		       (double)in->requests);
	rc |= tgi_line(o, "tgi_request_success", "counter",
		       (double)in->completed);
	if (b->overloaded || b->too_big) {
		rc |= buf_printf(o, "# TYPE tgi_request_failure counter\n");
		if (b->overloaded)
			rc |= buf_printf(o, "tgi_request_failure{err=\"overloaded"
					    "\"} %llu\n",
					 (unsigned long long)b->overloaded);
		if (b->too_big)
			rc |= buf_printf(o, "tgi_request_failure{err=\"validation"
					    "\"} %llu\n",
					 (unsigned long long)b->too_big);
	}
	rc |= tgi_line(o, "tgi_queue_size", "gauge", m.waiting);
	rc |= tgi_line(o, "tgi_batch_current_size", "gauge", m.running);
	rc |= tgi_line(o, "tgi_batch_current_max_tokens", "gauge",
		       (double)m.kv_allocated_tok);
	/* --max-batch-total-tokens: the pool with TGI's block 0 */
	rc |= tgi_line(o, "tgi_batch_max_total_tokens", "gauge",
		       (double)(m.kv_capacity_tok + b->cfg->block_size));
	return rc ? -ENOBUFS : 0;
}

static int simbe_metrics(void *be, const struct srv_metrics_in *in,
			 struct buf *o)
{
	struct simbe *b = be;
	if (b->cfg->policy == SIM_POLICY_RESERVED)
		return metrics_tgi(b, in, o);
	return metrics_vllm(b, in, o);
}

static int dcgm_metric(struct buf *o, const struct simbe *b, const char *name,
		       const char *help, const char *fmt_val, double v)
{
	int rc = buf_printf(o, "# HELP %s %s\n# TYPE %s gauge\n", name, help,
			    name);
	for (int32_t i = 0; i < b->cfg->tp; i++) {
		rc |= buf_printf(o,
				 "%s{gpu=\"%d\",UUID=\"GPU-infbench-sim-%d\","
				 "device=\"nvidia%d\",modelName=\"%s\","
				 "Hostname=\"infbench-sim\"} ",
				 name, i, i, i, b->product);
		rc |= buf_printf(o, fmt_val, v);
		rc |= buf_puts(o, "\n");
	}
	return rc;
}

static int simbe_dcgm(void *be, struct buf *o)
{
	struct simbe *b = be;
	const struct sim_config *c = b->cfg;
	struct sim_mem m;
	double busy, mem;
	int rc = 0;
	sim_stats(b->e, &m);
	util_get(b, loop_now_ns(b->loop), &busy, &mem);
	/* per GPU: the real servers preallocate, so this is flat */
	int64_t used = m.weights_bytes / c->tp + m.kv_capacity_bytes / c->tp +
		       m.act_bytes + c->overhead_bytes;
	int64_t used_mib = used / MIB, total_mib = c->gpu.mem_bytes / MIB;
	int64_t free_mib = total_mib > used_mib ? total_mib - used_mib : 0;
	double power = b->idle_w + (b->tdp_w - b->idle_w) * busy;
	rc |= dcgm_metric(o, b, "DCGM_FI_DEV_GPU_UTIL",
			  "GPU utilization (in %).", "%.0f", busy * 100);
	rc |= dcgm_metric(o, b, "DCGM_FI_DEV_MEM_COPY_UTIL",
			  "Memory utilization (in %).", "%.0f", mem * 100);
	rc |= dcgm_metric(o, b, "DCGM_FI_DEV_FB_FREE",
			  "Framebuffer memory free (in MiB).", "%.0f",
			  (double)free_mib);
	rc |= dcgm_metric(o, b, "DCGM_FI_DEV_FB_USED",
			  "Framebuffer memory used (in MiB).", "%.0f",
			  (double)used_mib);
	rc |= dcgm_metric(o, b, "DCGM_FI_DEV_POWER_USAGE",
			  "Power draw (in W).", "%.3f", power);
	return rc ? -ENOBUFS : 0;
}

const struct srv_backend_ops sim_backend_ops = {
	.name = "sim",
	.priv_bytes = sizeof(struct simbe_stream),
	.create = simbe_create,
	.destroy = simbe_destroy,
	.submit = simbe_submit,
	.cancel = simbe_cancel,
	.gauges = simbe_gauges,
	.admit = simbe_admit,
	.limits = simbe_limits,
	.metrics = simbe_metrics,
	.dcgm = simbe_dcgm,
};
