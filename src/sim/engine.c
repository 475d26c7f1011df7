/* engine.c - paged (vLLM V1) and reserved (TGI v3) scheduling with KV
 * accounting; see simulator.md §2, §3, §7. */
#include "sim/engine.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/assert.h"
#include "core/xmalloc.h"

#define NIL (-1)
#define GIB (1024LL * 1024 * 1024)
#define SIM_MAX_REQUESTS (1u << 28) /* cap on requests in flight */

enum { RQ_FREE = 0, RQ_WAITING, RQ_RUNNING };

struct rq {
	uint32_t id;
	uint8_t state;
	int32_t prompt_len, max_new;
	int32_t generated;  /* tokens emitted */
	int32_t computed;   /* tokens whose KV exists */
	int32_t cached;     /* reserved: prefix assumed cached on re-admission */
	int32_t seg_end;    /* reserved: `generated` that ends this admission */
	int64_t held;       /* blocks held (paged) or reserved (reserved) */
	int32_t prev, next; /* list links; next doubles as free-list link */
	int64_t arrival_ns;
};

struct list {
	int32_t head, tail, n;
};

struct sim_engine {
	struct sim_config cfg;
	struct sim_cost cost;
	int64_t kv_bpt_total; /* bytes/token over all GPUs */
	int32_t bs;           /* block size (tokens) */

	struct rq *rq;
	uint32_t cap;       /* slots */
	int32_t free_slot;  /* free list head */
	uint32_t live;

	uint32_t *hkey;     /* id -> slot, open addressing */
	int32_t *hval;      /* NIL = empty */
	uint32_t hcap;      /* power of two, >= 2·cap */

	struct list waiting, running;
	int64_t cap_blocks, free_blocks;
	int64_t used_tok;

	/* per-step scratch, each sized to cap */
	int32_t *plan_slot, *plan_n;
	uint32_t n_plan;
	struct sim_tok *toks;
	uint32_t *adm;
	struct sim_preempt *pre;
	int32_t *fin;     /* slots finished this step */
	int32_t *rq_again; /* slots re-queued this step */

	struct sim_mem st; /* counters and peaks */
};

const char *sim_policy_name(enum sim_policy p)
{
	return p == SIM_POLICY_RESERVED ? "reserved" : "paged";
}

int sim_policy_parse(const char *s, enum sim_policy *out)
{
	if (!strcasecmp(s, "paged") || !strcasecmp(s, "vllm")) {
		*out = SIM_POLICY_PAGED;
		return 0;
	}
	if (!strcasecmp(s, "reserved") || !strcasecmp(s, "tgi")) {
		*out = SIM_POLICY_RESERVED;
		return 0;
	}
	return -EINVAL;
}

void sim_config_default(struct sim_config *c, enum sim_policy p,
			const struct sim_model *m, const struct sim_gpu *g)
{
	memset(c, 0, sizeof(*c));
	c->policy = p;
	c->model = *m;
	c->gpu = *g;
	c->tp = 1;
	c->dtype_bytes = 2;
	sim_profile_default(&c->profile);
	c->graphs_cover_prefill = -1;
}

/* ---- lists, slots, id hash ---------------------------------------- */

static void list_unlink(struct sim_engine *e, struct list *l, int32_t s)
{
	struct rq *r = &e->rq[s];
	if (r->prev != NIL)
		e->rq[r->prev].next = r->next;
	else
		l->head = r->next;
	if (r->next != NIL)
		e->rq[r->next].prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NIL;
	l->n--;
}

static void list_push_back(struct sim_engine *e, struct list *l, int32_t s)
{
	struct rq *r = &e->rq[s];
	r->next = NIL;
	r->prev = l->tail;
	if (l->tail != NIL)
		e->rq[l->tail].next = s;
	else
		l->head = s;
	l->tail = s;
	l->n++;
}

static void list_push_front(struct sim_engine *e, struct list *l, int32_t s)
{
	struct rq *r = &e->rq[s];
	r->prev = NIL;
	r->next = l->head;
	if (l->head != NIL)
		e->rq[l->head].prev = s;
	else
		l->tail = s;
	l->head = s;
	l->n++;
}

static uint32_t hslot(const struct sim_engine *e, uint32_t id)
{
	return (id * 2654435761u) & (e->hcap - 1);
}

static int32_t hfind(const struct sim_engine *e, uint32_t id)
{
	for (uint32_t i = hslot(e, id);; i = (i + 1) & (e->hcap - 1)) {
		if (e->hval[i] == NIL)
			return NIL;
		if (e->hkey[i] == id)
			return e->hval[i];
	}
}

static void hput(struct sim_engine *e, uint32_t id, int32_t slot)
{
	uint32_t i = hslot(e, id);
	while (e->hval[i] != NIL)
		i = (i + 1) & (e->hcap - 1);
	e->hkey[i] = id;
	e->hval[i] = slot;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void hdel(struct sim_engine *e, uint32_t id)
{
	uint32_t m = e->hcap - 1, i = hslot(e, id);
	while (e->hval[i] != NIL && e->hkey[i] != id)
		i = (i + 1) & m;
	if (e->hval[i] == NIL)
		return;
	uint32_t j = i;
	for (;;) {
		j = (j + 1) & m;
		if (e->hval[j] == NIL)
			break;
		uint32_t home = hslot(e, e->hkey[j]);
		/* move j into the hole i unless home lies cyclically in (i, j] */
		int in_range = i <= j ? (home > i && home <= j)
				      : (home > i || home <= j);
		if (!in_range) {
			e->hkey[i] = e->hkey[j];
			e->hval[i] = e->hval[j];
			i = j;
		}
	}
	e->hval[i] = NIL;
}

static void grow(struct sim_engine *e)
{
	uint32_t old = e->cap, cap = old ? old * 2 : 64;
	ASSERT(cap <= SIM_MAX_REQUESTS);
	e->rq = xrealloc(e->rq, cap * sizeof(*e->rq));
	for (uint32_t i = old; i < cap; i++) {
		memset(&e->rq[i], 0, sizeof(e->rq[i]));
		e->rq[i].prev = NIL;
		e->rq[i].next = i + 1 < cap ? (int32_t)(i + 1) : e->free_slot;
	}
	e->free_slot = (int32_t)old;
	e->cap = cap;
	e->plan_slot = xrealloc(e->plan_slot, cap * sizeof(int32_t));
	e->plan_n = xrealloc(e->plan_n, cap * sizeof(int32_t));
	e->toks = xrealloc(e->toks, cap * sizeof(*e->toks));
	e->adm = xrealloc(e->adm, cap * sizeof(*e->adm));
	e->pre = xrealloc(e->pre, cap * sizeof(*e->pre));
	e->fin = xrealloc(e->fin, cap * sizeof(int32_t));
	e->rq_again = xrealloc(e->rq_again, cap * sizeof(int32_t));
	/* rehash at load <= 1/2 */
	free(e->hkey);
	free(e->hval);
	e->hcap = cap * 2;
	e->hkey = xmalloc(e->hcap * sizeof(uint32_t));
	e->hval = xmalloc(e->hcap * sizeof(int32_t));
	for (uint32_t i = 0; i < e->hcap; i++)
		e->hval[i] = NIL;
	for (uint32_t i = 0; i < old; i++)
		if (e->rq[i].state != RQ_FREE)
			hput(e, e->rq[i].id, (int32_t)i);
}

static int32_t slot_alloc(struct sim_engine *e)
{
	if (e->free_slot == NIL)
		grow(e);
	int32_t s = e->free_slot;
	e->free_slot = e->rq[s].next;
	e->live++;
	return s;
}

static void slot_release(struct sim_engine *e, int32_t s)
{
	hdel(e, e->rq[s].id);
	e->rq[s].state = RQ_FREE;
	e->rq[s].prev = NIL;
	e->rq[s].next = e->free_slot;
	e->free_slot = s;
	e->live--;
}

/* ---- construction ------------------------------------------------- */

static int64_t ceil_div(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

/* Peak activation bytes per GPU of a dummy forward of `tok` tokens: the MLP
 * gate/up output plus a few hidden-sized buffers per token [est]. */
static double act_bytes(const struct sim_config *c, int64_t tok)
{
	double per_tok = (2.0 * c->model.intermediate / c->tp +
			  4.0 * c->model.hidden) * c->dtype_bytes;
	return per_tok * (double)tok;
}

static int resolve(struct sim_config *c, char **err)
{
	const struct sim_model *m = &c->model;
	if (c->tp < 1)
		c->tp = 1;
	if (c->dtype_bytes < 1)
		c->dtype_bytes = 2;
	if (m->layers < 1 || m->hidden < 1 || m->heads < 1 ||
	    m->kv_heads < 1 || m->head_dim < 1 || m->vocab < 1 ||
	    m->params < 1) {
		*err = xasprintf("model '%s' has an incomplete shape", m->name);
		return -EINVAL;
	}
	if (c->gpu.mem_bytes <= 0 || c->gpu.bw_bytes_per_s <= 0 ||
	    c->gpu.flops <= 0) {
		*err = xasprintf("gpu '%s' lacks memory, bandwidth or FLOP/s",
				 c->gpu.name);
		return -EINVAL;
	}
	int paged = c->policy == SIM_POLICY_PAGED;
	int big = c->gpu.mem_bytes >= 70 * GIB && !sim_gpu_is_a100(&c->gpu);
	if (c->gpu_memory_utilization <= 0)
		c->gpu_memory_utilization = 0.9;
	if (c->gpu_memory_utilization > 1) {
		*err = xasprintf("gpu_memory_utilization %g is above 1",
				 c->gpu_memory_utilization);
		return -EINVAL;
	}
	if (c->overhead_bytes <= 0)
		c->overhead_bytes = 1 * GIB;
	if (c->block_size <= 0)
		c->block_size = paged ? 16 : 1;
	if (c->max_model_len <= 0)
		c->max_model_len = m->max_pos > 0 ? m->max_pos : 4096;
	if (c->max_num_batched_tokens <= 0)
		c->max_num_batched_tokens = big ? 8192 : 2048;
	if (c->max_num_seqs <= 0)
		c->max_num_seqs = big ? 1024 : 256;
	if (c->max_batch_prefill_tokens <= 0) {
		/* launcher compute_optimal(): card f16 FLOP/s × shards over the
		 * model's per-token FLOPs, if > 100; else 4096; capped by
		 * max_position_embeddings. */
		double opt = 0;
		if (c->gpu.tgi_flops > 0)
			opt = c->gpu.tgi_flops * c->tp / sim_model_tgi_flop(m);
		int64_t v = opt > 100 ? (int64_t)opt : 4096;
		if (m->max_pos > 0 && v > m->max_pos)
			v = m->max_pos;
		c->max_batch_prefill_tokens = (int32_t)v;
	}
	if (c->max_concurrent_requests <= 0)
		c->max_concurrent_requests = 128;
	if (c->max_new_per_admission <= 0)
		c->max_new_per_admission = 1024;
	if (c->cuda_graph_max_batch <= 0)
		c->cuda_graph_max_batch = paged ? 512 : 32;
	if (c->graphs_cover_prefill < 0)
		c->graphs_cover_prefill = paged ? 1 : 0;
	return 0;
}

struct sim_engine *sim_engine_new(const struct sim_config *cfg, char **err)
{
	struct sim_engine *e = NULL, *ret = NULL;
	char *msg = NULL;
	if (err)
		*err = NULL;
	e = xcalloc(1, sizeof(*e));
	e->cfg = *cfg;
	if (resolve(&e->cfg, &msg))
		goto out;
	struct sim_config *c = &e->cfg;
	sim_cost_init(&e->cost, &c->model, &c->gpu, c->tp, c->dtype_bytes,
		      &c->profile);
	e->kv_bpt_total = (int64_t)e->cost.kv_bytes_per_tok * c->tp;
	e->bs = c->block_size;
	int paged = c->policy == SIM_POLICY_PAGED;
	int64_t tokens;
	if (c->kv_tokens_override > 0) {
		tokens = c->kv_tokens_override;
	} else {
		double w = (double)sim_model_weight_bytes(&c->model,
							  c->dtype_bytes) /
			   c->tp;
		int64_t b = paged ? c->max_num_batched_tokens
				  : c->max_batch_prefill_tokens;
		double avail = c->gpu_memory_utilization *
				       (double)c->gpu.mem_bytes -
			       w - act_bytes(c, b) - (double)c->overhead_bytes;
		if (avail < e->cost.kv_bytes_per_tok * e->bs) {
			msg = xasprintf("%s does not fit on %d × %s: weights "
					"%.1f GiB/GPU, %.1f GiB left for KV",
					c->model.name, c->tp, c->gpu.name,
					w / GIB, avail / GIB);
			goto out;
		}
		tokens = (int64_t)(avail / e->cost.kv_bytes_per_tok);
	}
	e->cap_blocks = tokens / e->bs;
	if (!paged)
		e->cap_blocks -= 1; /* TGI keeps block 0 for health checks */
	if (e->cap_blocks < 1) {
		msg = xasprintf("KV pool of %lld tokens holds no block",
				(long long)tokens);
		goto out;
	}
	e->free_blocks = e->cap_blocks;
	e->free_slot = NIL;
	e->waiting = (struct list){NIL, NIL, 0};
	e->running = (struct list){NIL, NIL, 0};
	grow(e);
	ret = e;
	e = NULL;
out:
	if (msg) {
		if (err)
			*err = msg;
		else
			free(msg);
	}
	sim_engine_free(e);
	return ret;
}

void sim_engine_free(struct sim_engine *e)
{
	if (!e)
		return;
	free(e->rq);
	free(e->hkey);
	free(e->hval);
	free(e->plan_slot);
	free(e->plan_n);
	free(e->toks);
	free(e->adm);
	free(e->pre);
	free(e->fin);
	free(e->rq_again);
	free(e);
}

const struct sim_config *sim_engine_config(const struct sim_engine *e)
{
	return &e->cfg;
}

const struct sim_cost *sim_engine_cost(const struct sim_engine *e)
{
	return &e->cost;
}

uint32_t sim_in_flight(const struct sim_engine *e)
{
	return e->live;
}

/* ---- submit / cancel ---------------------------------------------- */

int sim_submit(struct sim_engine *e, uint32_t req_id, int32_t prompt_len,
	       int32_t max_new, int64_t now_ns)
{
	const struct sim_config *c = &e->cfg;
	if (prompt_len < 1 || max_new < 1)
		return -EINVAL;
	if (hfind(e, req_id) != NIL)
		return -EEXIST;
	int64_t total = (int64_t)prompt_len + max_new;
	/* The largest KV the request ever holds: every token but the last. */
	if (total > c->max_model_len ||
	    ceil_div(total - 1, e->bs) > e->cap_blocks) {
		e->st.rejected++;
		return -E2BIG;
	}
	if (c->policy == SIM_POLICY_RESERVED &&
	    e->live >= (uint32_t)c->max_concurrent_requests) {
		e->st.rejected++;
		return -EBUSY;
	}
	int32_t s = slot_alloc(e);
	struct rq *r = &e->rq[s];
	memset(r, 0, sizeof(*r));
	r->id = req_id;
	r->state = RQ_WAITING;
	r->prompt_len = prompt_len;
	r->max_new = max_new;
	r->arrival_ns = now_ns;
	r->prev = r->next = NIL;
	hput(e, req_id, s);
	list_push_back(e, &e->waiting, s);
	if (e->waiting.n > e->st.peak_waiting)
		e->st.peak_waiting = e->waiting.n;
	return 0;
}

/* Give back a request's KV (blocks or reservation). */
static void release_kv(struct sim_engine *e, struct rq *r)
{
	e->free_blocks += r->held;
	r->held = 0;
	e->used_tok -= r->computed;
	r->computed = 0;
	ASSERT(e->free_blocks <= e->cap_blocks && e->used_tok >= 0);
}

int sim_cancel(struct sim_engine *e, uint32_t req_id)
{
	int32_t s = hfind(e, req_id);
	if (s == NIL)
		return -ENOENT;
	struct rq *r = &e->rq[s];
	list_unlink(e, r->state == RQ_RUNNING ? &e->running : &e->waiting, s);
	release_kv(e, r);
	slot_release(e, s);
	return 0;
}

/* ---- scheduling --------------------------------------------------- */

static void plan_add(struct sim_engine *e, int32_t s, int32_t n)
{
	e->plan_slot[e->n_plan] = s;
	e->plan_n[e->n_plan] = n;
	e->n_plan++;
}

static int32_t remaining(const struct rq *r)
{
	return r->prompt_len + r->generated - r->computed;
}

/* vLLM V1 Scheduler.schedule(): RUNNING first, preempting from the tail on
 * allocation failure; WAITING only when nothing was preempted. */
static void schedule_paged(struct sim_engine *e, uint32_t *n_pre,
			   uint32_t *n_adm)
{
	const struct sim_config *c = &e->cfg;
	int64_t budget = c->max_num_batched_tokens;
	int32_t thr = c->long_prefill_token_threshold;
	int32_t s = e->running.head;
	while (s != NIL && budget > 0) {
		struct rq *r = &e->rq[s];
		int64_t n = remaining(r);
		if (n > budget)
			n = budget;
		if (thr > 0 && n > thr)
			n = thr;
		int64_t need = ceil_div(r->computed + n, e->bs) - r->held;
		int self = 0;
		while (need > e->free_blocks) {
			int32_t v = e->running.tail;
			struct rq *vr = &e->rq[v];
			struct sim_preempt *p = &e->pre[(*n_pre)++];
			p->id = vr->id;
			p->need_blocks = (int32_t)need;
			p->free_blocks = e->free_blocks;
			list_unlink(e, &e->running, v);
			release_kv(e, vr);
			vr->state = RQ_WAITING;
			list_push_front(e, &e->waiting, v);
			e->st.preemptions++;
			if (v == s) {
				self = 1;
				break;
			}
		}
		if (self)
			break;
		r->held += need;
		e->free_blocks -= need;
		plan_add(e, s, (int32_t)n);
		budget -= n;
		s = r->next; /* re-read: the tail may have been preempted */
	}
	if (*n_pre)
		return;
	while (e->waiting.head != NIL && budget > 0 &&
	       e->running.n < c->max_num_seqs) {
		s = e->waiting.head;
		struct rq *r = &e->rq[s];
		int64_t n = remaining(r);
		if (n > budget)
			n = budget;
		if (thr > 0 && n > thr)
			n = thr;
		int64_t need = ceil_div(r->computed + n, e->bs) - r->held;
		if (need > e->free_blocks)
			break; /* head-of-line */
		list_unlink(e, &e->waiting, s);
		r->state = RQ_RUNNING;
		list_push_back(e, &e->running, s);
		r->held += need;
		e->free_blocks -= need;
		e->adm[(*n_adm)++] = r->id;
		plan_add(e, s, (int32_t)n);
		budget -= n;
	}
}

/* TGI v3 batching_task with chunking: the whole running batch steps (decodes
 * plus pending chunks), then next_batch() admits from the queue head while
 * the reservation fits, filling max_batch_prefill_tokens. */
static void schedule_reserved(struct sim_engine *e, uint32_t *n_adm)
{
	const struct sim_config *c = &e->cfg;
	int64_t cur = 0;
	for (int32_t s = e->running.head; s != NIL; s = e->rq[s].next)
		if (remaining(&e->rq[s]) == 1) {
			plan_add(e, s, 1);
			cur++;
		}
	for (int32_t s = e->running.head; s != NIL; s = e->rq[s].next) {
		int64_t n = remaining(&e->rq[s]);
		if (n <= 1)
			continue;
		if (n > c->max_batch_prefill_tokens - cur)
			n = c->max_batch_prefill_tokens - cur;
		if (n <= 0)
			break;
		plan_add(e, s, (int32_t)n);
		cur += n;
	}
	int64_t pb = c->max_batch_prefill_tokens - cur;
	while (e->waiting.head != NIL && pb > 0 &&
	       (c->max_batch_size <= 0 || e->running.n < c->max_batch_size)) {
		int32_t s = e->waiting.head;
		struct rq *r = &e->rq[s];
		int32_t left = r->max_new - r->generated;
		int32_t seg = left < c->max_new_per_admission
				      ? left
				      : c->max_new_per_admission;
		int64_t res = (int64_t)r->prompt_len + r->generated + seg - 1;
		int64_t blocks = ceil_div(res, e->bs);
		if (blocks > e->free_blocks)
			break; /* strict FIFO: no skipping, no preemption */
		list_unlink(e, &e->waiting, s);
		r->state = RQ_RUNNING;
		list_push_back(e, &e->running, s);
		r->held = blocks;
		e->free_blocks -= blocks;
		r->seg_end = r->generated + seg;
		r->computed = r->cached; /* prefix cache hit [est] */
		e->used_tok += r->computed;
		r->cached = 0;
		e->adm[(*n_adm)++] = r->id;
		int64_t n = remaining(r);
		if (n > pb)
			n = pb;
		plan_add(e, s, (int32_t)n);
		pb -= n;
	}
}

/* ---- the step ----------------------------------------------------- */

int64_t sim_step(struct sim_engine *e, int64_t now_ns,
		 struct sim_step_out *out)
{
	const struct sim_config *c = &e->cfg;
	uint32_t n_pre = 0, n_adm = 0, n_tok = 0, n_fin = 0, n_again = 0;
	struct sim_shape sh = {0};
	int64_t dt = 0;
	int32_t pre_tok = 0, dec_tok = 0;

	e->n_plan = 0;
	if (e->running.n == 0 && e->waiting.n == 0)
		goto out;
	if (c->policy == SIM_POLICY_PAGED)
		schedule_paged(e, &n_pre, &n_adm);
	else
		schedule_reserved(e, &n_adm);
	if (e->n_plan == 0)
		goto out;
	ASSERT(e->free_blocks >= 0);
	int64_t alloc_tok = (e->cap_blocks - e->free_blocks) * e->bs;
	if (alloc_tok > e->st.peak_kv_allocated_tok)
		e->st.peak_kv_allocated_tok = alloc_tok;
	if (e->running.n > e->st.peak_running)
		e->st.peak_running = e->running.n;

	for (uint32_t i = 0; i < e->n_plan; i++) {
		int32_t s = e->plan_slot[i], n = e->plan_n[i];
		struct rq *r = &e->rq[s];
		if (r->computed >= r->prompt_len) {
			sh.n_decode++;
			sh.decode_ctx += r->computed + n;
			dec_tok += n;
		} else {
			sh.n_prefill++;
			sh.prefill_tok += n;
			sh.prefill_kv += r->computed + n;
			sh.prefill_attn += n * (r->computed + (n + 1) / 2.0);
			pre_tok += n;
		}
		r->computed += n;
		e->used_tok += n;
		if (r->computed < r->prompt_len + r->generated)
			continue; /* a partial prefill chunk: no logits */
		sh.n_logits++;
		r->generated++;
		struct sim_tok *t = &e->toks[n_tok++];
		t->id = r->id;
		t->first = r->generated == 1;
		t->last = r->generated == r->max_new;
		if (t->last)
			e->fin[n_fin++] = s;
		else if (c->policy == SIM_POLICY_RESERVED &&
			 r->generated == r->seg_end)
			e->rq_again[n_again++] = s;
	}
	if (e->used_tok > e->st.peak_kv_used_tok)
		e->st.peak_kv_used_tok = e->used_tok;
	int32_t batch = sh.n_decode + sh.n_prefill;
	sh.eager = batch > c->cuda_graph_max_batch ||
		   (sh.n_prefill > 0 && !c->graphs_cover_prefill);
	dt = llround(sim_cost_step_s(&e->cost, &sh) * 1e9);
	if (dt < 1)
		dt = 1;

	for (uint32_t i = 0; i < n_fin; i++) {
		int32_t s = e->fin[i];
		list_unlink(e, &e->running, s);
		release_kv(e, &e->rq[s]);
		slot_release(e, s);
		e->st.finished++;
	}
	for (uint32_t i = 0; i < n_again; i++) {
		/* TGI ends the entry at 1024 new tokens and queues the rest as
		 * a new entry whose prompt is everything so far. */
		int32_t s = e->rq_again[i];
		struct rq *r = &e->rq[s];
		int32_t keep = r->computed;
		list_unlink(e, &e->running, s);
		release_kv(e, r);
		r->cached = keep;
		r->state = RQ_WAITING;
		list_push_back(e, &e->waiting, s);
		e->st.requeues++;
	}
	e->st.steps++;
	e->st.now_ns = now_ns + dt;
out:
	if (out) {
		out->dt_ns = dt;
		out->batch = e->n_plan ? sh.n_decode + sh.n_prefill : 0;
		out->prefill_tok = pre_tok;
		out->decode_tok = dec_tok;
		out->n_tokens = n_tok;
		out->tokens = e->toks;
		out->n_admitted = n_adm;
		out->admitted = e->adm;
		out->n_preempted = n_pre;
		out->preempted = e->pre;
		out->n_requeued = n_again;
		out->shape = sh;
	}
	return dt;
}

void sim_stats(const struct sim_engine *e, struct sim_mem *out)
{
	*out = e->st;
	out->running = e->running.n;
	out->waiting = e->waiting.n;
	out->kv_capacity_blocks = e->cap_blocks;
	out->kv_allocated_blocks = e->cap_blocks - e->free_blocks;
	out->kv_capacity_tok = e->cap_blocks * e->bs;
	out->kv_allocated_tok = out->kv_allocated_blocks * e->bs;
	out->kv_used_tok = e->used_tok;
	out->kv_bytes_per_tok = e->kv_bpt_total;
	out->kv_capacity_bytes = out->kv_capacity_tok * e->kv_bpt_total;
	out->kv_allocated_bytes = out->kv_allocated_tok * e->kv_bpt_total;
	out->kv_used_bytes = out->kv_used_tok * e->kv_bpt_total;
	out->weights_bytes = sim_model_weight_bytes(&e->cfg.model,
						    e->cfg.dtype_bytes);
	out->act_bytes = (int64_t)act_bytes(
			&e->cfg, e->cfg.policy == SIM_POLICY_PAGED
					 ? e->cfg.max_num_batched_tokens
					 : e->cfg.max_batch_prefill_tokens);
}
