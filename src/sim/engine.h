/* engine.h - one emulated LLM serving engine: scheduler plus KV memory.
 *
 * Owns the request table, the waiting queue, the running batch and the KV
 * pool of either policy: `paged` (vLLM V1: 16-token blocks on demand, token
 * budget with chunked prefill, recompute preemption of the newest request)
 * or `reserved` (TGI v3: reservation at admission, strict FIFO, never
 * preempts, 429 past max_concurrent_requests). Step-based: the caller owns
 * the clock (virtual time or real time); no sockets, no sleeping. One engine
 * per thread; not thread-safe. No allocation per step in steady state.
 */
#ifndef INFBENCH_SIM_ENGINE_H
#define INFBENCH_SIM_ENGINE_H

#include <stdint.h>

#include "sim/catalog.h"
#include "sim/cost.h"

enum sim_policy {
	SIM_POLICY_PAGED = 0, /* vLLM V1 */
	SIM_POLICY_RESERVED,  /* TGI v3 router, chunking on */
};

/* "paged" / "reserved"; also accepts "vllm" / "tgi" when parsing. */
const char *sim_policy_name(enum sim_policy p);
/* 0 and *out set, or -EINVAL. */
int sim_policy_parse(const char *s, enum sim_policy *out);

/* Every knob. Zero in a field marked "0 = default" means "what the real
 * server would pick" (resolved by sim_engine_new; see sim_engine_config). */
struct sim_config {
	enum sim_policy policy;
	struct sim_model model;   /* copied: the engine keeps no pointer */
	struct sim_gpu gpu;
	int32_t tp;               /* tensor-parallel GPUs (1) */
	int32_t dtype_bytes;      /* weights and KV (2: BF16) */
	struct sim_profile profile;

	/* memory */
	double gpu_memory_utilization; /* vLLM 0.9; TGI 1 - wiggle 0.9 */
	int64_t kv_tokens_override;    /* pool size in tokens; 0 = derive
					  (--num-gpu-blocks-override × 16,
					  --max-batch-total-tokens) */
	int64_t overhead_bytes;        /* per GPU non-torch + graphs; 0 = 1 GiB
					  [est] */
	int32_t block_size;            /* 0 = 16 paged, 1 reserved
					  (flashinfer) */
	int32_t max_model_len;         /* prompt+max_new limit; 0 = model's
					  max_position (vLLM max_model_len,
					  TGI max_total_tokens) */

	/* paged (vLLM V1) */
	int32_t max_num_batched_tokens; /* 0 = 2048 on A100/<70 GiB, else
					   8192 */
	int32_t max_num_seqs;           /* 0 = 256 / 1024 likewise */
	int32_t long_prefill_token_threshold; /* 0 = off */

	/* reserved (TGI v3) */
	int32_t max_batch_prefill_tokens; /* 0 = TGI launcher default */
	int32_t max_concurrent_requests;  /* 0 = 128; past it: 429 */
	int32_t max_new_per_admission;    /* 0 = 1024; re-queue after it */
	int32_t max_batch_size;           /* 0 = unlimited */

	/* CUDA graphs: a step is eager (adds profile.t_eager_s) when its batch
	 * exceeds cuda_graph_max_batch, or when it has prefill and
	 * graphs_cover_prefill is 0. */
	int32_t cuda_graph_max_batch;  /* 0 = 512 paged, 32 reserved */
	int32_t graphs_cover_prefill;  /* -1 = default: 1 paged, 0 reserved */
};

/* Fill c with the policy's defaults for model m on gpu g (both copied);
 * all "0 = default" fields stay 0 and resolve in sim_engine_new. */
void sim_config_default(struct sim_config *c, enum sim_policy p,
			const struct sim_model *m, const struct sim_gpu *g);

/* One token that became visible at the end of a step. */
struct sim_tok {
	uint32_t id;
	uint8_t first; /* the request's first token (TTFT) */
	uint8_t last;  /* the request is finished; its id is forgotten */
};

/* A preemption (paged only): who, and the shortfall that caused it. */
struct sim_preempt {
	uint32_t id;
	int32_t need_blocks; /* blocks the scheduled request needed */
	int64_t free_blocks; /* free blocks at that moment (< need) */
};

/* What one step did. The arrays belong to the engine and stay valid until
 * the next sim_step, sim_submit, sim_cancel or sim_engine_free. */
struct sim_step_out {
	int64_t dt_ns;        /* the step's duration (also returned) */
	int32_t batch;        /* sequences in the step */
	int32_t prefill_tok;  /* prompt (or recompute) tokens computed */
	int32_t decode_tok;   /* decode tokens computed */
	uint32_t n_tokens;
	const struct sim_tok *tokens;   /* emitted, in running order */
	uint32_t n_admitted;
	const uint32_t *admitted;       /* moved waiting -> running, in order */
	uint32_t n_preempted;
	const struct sim_preempt *preempted; /* in order (newest first) */
	uint32_t n_requeued;            /* reserved: re-queued after 1024 */
	struct sim_shape shape;         /* what the cost model priced */
};

/* Memory and queue state. Byte figures cover all tp GPUs. */
struct sim_mem {
	int64_t now_ns;           /* end of the last step */
	int32_t running, waiting;
	int64_t kv_capacity_tok;  /* pool (paged: blocks × block_size) */
	int64_t kv_allocated_tok; /* paged: blocks held × size; reserved:
				     reservations */
	int64_t kv_used_tok;      /* tokens whose KV exists */
	int64_t kv_bytes_per_tok;
	int64_t kv_capacity_bytes, kv_allocated_bytes, kv_used_bytes;
	int64_t weights_bytes;
	int64_t act_bytes;        /* per GPU activation peak of the step
				     budget (room kept beside the pool) [est] */
	int64_t kv_capacity_blocks, kv_allocated_blocks;
	int64_t preemptions;      /* total */
	int64_t requeues;         /* total (reserved) */
	int64_t rejected;         /* submits refused with -EBUSY/-E2BIG */
	int64_t finished;
	int64_t steps;
	int32_t peak_running, peak_waiting;
	int64_t peak_kv_allocated_tok, peak_kv_used_tok;
};

struct sim_engine;

/* A new engine for cfg (copied; defaults resolved). NULL with *err set
 * (caller frees) when the model does not fit or a value is invalid. Free
 * with sim_engine_free. */
struct sim_engine *sim_engine_new(const struct sim_config *cfg, char **err);
/* NULL-safe. */
void sim_engine_free(struct sim_engine *e);
/* The resolved configuration (every default filled in). */
const struct sim_config *sim_engine_config(const struct sim_engine *e);
/* The step-time model the engine uses. */
const struct sim_cost *sim_engine_cost(const struct sim_engine *e);

/* Queue a request. 0; -EBUSY when reserved and max_concurrent_requests are
 * in flight (HTTP 429); -E2BIG when it can never fit (prompt+max_new past
 * max_model_len, or more KV than the whole pool); -EEXIST for an id in
 * flight; -EINVAL for prompt_len < 1 or max_new < 1. */
int sim_submit(struct sim_engine *e, uint32_t req_id, int32_t prompt_len,
	       int32_t max_new, int64_t now_ns);
/* The client went away: drop the request wherever it is and free its KV.
 * 0 or -ENOENT. */
int sim_cancel(struct sim_engine *e, uint32_t req_id);
/* Run one step starting at now_ns: schedule, price it, advance every planned
 * request. Returns the duration in ns (0 when idle: nothing to run) and fills
 * out (may be NULL); the tokens become visible at now_ns + duration. */
int64_t sim_step(struct sim_engine *e, int64_t now_ns,
		 struct sim_step_out *out);
/* Current state. */
void sim_stats(const struct sim_engine *e, struct sim_mem *out);
/* Requests in flight (waiting + running). */
uint32_t sim_in_flight(const struct sim_engine *e);

#endif
