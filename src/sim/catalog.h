/* catalog.h - model and GPU shapes the engine emulator computes with.
 *
 * Owns the built-in table (simulator.md §4: four models, five GPUs) plus user
 * entries loaded from a YAML file, and name lookup with aliases. Knows no
 * scheduling and no timing. A catalog is immutable after loading; lookups are
 * then safe from any thread.
 */
#ifndef INFBENCH_SIM_CATALOG_H
#define INFBENCH_SIM_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define SIM_NAME_MAX 64     /* bytes of a name or alias, NUL included */
#define SIM_ALIASES_MAX 8   /* aliases per entry */
#define SIM_CATALOG_MAX 256 /* user entries per kind (models, gpus) */

struct sim_model {
	char name[SIM_NAME_MAX];
	char aliases[SIM_ALIASES_MAX][SIM_NAME_MAX];
	int32_t layers;       /* L */
	int32_t hidden;       /* h */
	int32_t heads;        /* query heads H_q */
	int32_t kv_heads;     /* KV heads (GQA) */
	int32_t head_dim;     /* d */
	int32_t intermediate; /* MLP width */
	int32_t vocab;        /* V */
	int32_t max_pos;      /* max_position_embeddings (tokens) */
	int32_t tied;         /* lm_head shares the embedding matrix */
	int64_t params;       /* total parameters, embeddings included */
};

struct sim_gpu {
	char name[SIM_NAME_MAX];
	char aliases[SIM_ALIASES_MAX][SIM_NAME_MAX];
	int64_t mem_bytes;        /* device memory as the driver reports it */
	double bw_bytes_per_s;    /* peak HBM/GDDR bandwidth */
	double flops;             /* dense BF16 FLOP/s */
	double tgi_flops;         /* TGI launcher's f16_flop entry; 0 = none */
	double link_bytes_per_s;  /* per-GPU all-reduce bandwidth (TP) */
};

struct sim_catalog;

/* A catalog holding the built-in entries. Never NULL; free with
 * sim_catalog_free. */
struct sim_catalog *sim_catalog_new(void);
/* NULL-safe. Invalidates every pointer a lookup returned. */
void sim_catalog_free(struct sim_catalog *c);

/* Add the `models:` and `gpus:` lists of a YAML file. A user entry whose name
 * or alias matches an existing one shadows it. Returns 0, or -errno with *err
 * set to "file:line: message" (caller frees; nothing was added). */
int sim_catalog_load_yaml(struct sim_catalog *c, const char *path,
			  char **err);
/* Same, from a buffer; `label` stands for the file name in messages. */
int sim_catalog_load_yaml_buf(struct sim_catalog *c, const char *label,
			      const char *text, size_t len, char **err);

/* Lookup by name or alias, case-insensitive, ignoring '-', '_', '.', ' ', an
 * "org/" prefix (Qwen/, meta-llama/), a leading "meta-" or "nvidia-", and an
 * "-instruct"/"-chat" suffix. NULL when unknown. The pointer lives as long as
 * the catalog. */
const struct sim_model *sim_catalog_model(const struct sim_catalog *c,
					  const char *name);
const struct sim_gpu *sim_catalog_gpu(const struct sim_catalog *c,
				      const char *name);
/* Iteration (user entries first, then built-ins). */
size_t sim_catalog_n_models(const struct sim_catalog *c);
const struct sim_model *sim_catalog_model_at(const struct sim_catalog *c,
					     size_t i);
size_t sim_catalog_n_gpus(const struct sim_catalog *c);
const struct sim_gpu *sim_catalog_gpu_at(const struct sim_catalog *c,
					 size_t i);

/* KV cache bytes per token over all GPUs: 2·L·kv_heads·head_dim·dtype. */
int64_t sim_model_kv_bytes_per_tok(const struct sim_model *m,
				   int32_t dtype_bytes);
/* Weight bytes over all GPUs: params·dtype. */
int64_t sim_model_weight_bytes(const struct sim_model *m, int32_t dtype_bytes);
/* Parameters outside the embedding and lm_head matrices. */
int64_t sim_model_nonemb_params(const struct sim_model *m);
/* Parameters implied by the shape (q/k/v/o, gated MLP, embeddings; no
 * biases or norms). Used when a YAML entry omits `params`. */
int64_t sim_model_params_from_shape(const struct sim_model *m);
/* TGI launcher's Config::flop(): per-token FLOPs it divides the card's FLOP/s
 * by to default max_batch_prefill_tokens. */
double sim_model_tgi_flop(const struct sim_model *m);
/* 1 when the GPU is an A100 (vLLM keeps small batch defaults there). */
int sim_gpu_is_a100(const struct sim_gpu *g);

#endif
