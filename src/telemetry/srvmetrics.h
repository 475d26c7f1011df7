/* srvmetrics.h - map one scrape of a server's /metrics onto common series.
 *
 * Owns the name tables of vLLM (V1 and V0 names), TGI, SGLang, llama.cpp,
 * Triton TRT-LLM, trtllm-serve and LMDeploy (protocols.md §2-§9), flavour
 * detection from the names seen, and the raw-series table kept for servers it
 * does not know. Does no I/O and no parsing: it is fed prom.c samples. One
 * struct srvm per scrape stream; not thread-safe.
 */
#ifndef INFBENCH_TELEMETRY_SRVMETRICS_H
#define INFBENCH_TELEMETRY_SRVMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "telemetry/prom.h"

#define SRVM_MAX_RAW 256     /* raw series kept for unknown servers */
#define SRVM_MAX_RAW_KEY 512 /* bytes of "name{labels}" per raw series */
#define SRVM__SLOTS 16       /* internal accumulation slots */

enum srvm_flavour {
	SRVM_AUTO = 0, /* detect from the names seen (config only) */
	SRVM_UNKNOWN,  /* nothing recognised: raw series only */
	SRVM_VLLM,
	SRVM_TGI,
	SRVM_SGLANG,
	SRVM_LLAMACPP,
	SRVM_TRITON_TRTLLM,
	SRVM_TRTLLM_SERVE,
	SRVM_LMDEPLOY,
	SRVM__COUNT
};

/* "auto", "unknown", "vllm", "tgi", "sglang", "llamacpp", "triton-trtllm",
 * "trtllm-serve", "lmdeploy". */
const char *srvm_flavour_name(enum srvm_flavour f);
/* Inverse of srvm_flavour_name; -1 when unknown. */
int srvm_flavour_parse(const char *s);

/* One scrape mapped to common series. Every field is NaN when the server
 * does not expose it (or the scrape did not contain it). Gauges and counters
 * are summed over label sets (engine / DP rank / model), fractions are
 * averaged over them. */
struct srvm_sample {
	int64_t t_ns;       /* monotonic time the scrape was issued */
	double running;     /* requests in the running batch */
	double waiting;     /* requests queued in the server */
	double kv_usage;    /* KV pool use, fraction 0..1 */
	double preemptions; /* cumulative preemptions / retractions */
	double batch;       /* batch size (requests in the current step) */
	double prompt_tok;  /* cumulative prompt tokens processed */
	double gen_tok;     /* cumulative generated tokens */
	double kv_pool_tok; /* KV pool capacity in tokens, when exposed */
};

/* Fills *s with NaN everywhere and t_ns = 0. */
void srvm_sample_clear(struct srvm_sample *s);

/* Raw series table: key "name{l1="v1",...}" -> column index. */
struct srvm_raw {
	size_t n;
	char *keys[SRVM_MAX_RAW];
	uint64_t dropped; /* series seen beyond SRVM_MAX_RAW */
};

struct srvm {
	enum srvm_flavour cfg_flavour; /* SRVM_AUTO or forced */
	enum srvm_flavour flavour;     /* current (sticky once detected) */
	int keep_raw;                  /* raw columns even for known flavours */
	struct srvm_raw raw;
	/* per-scrape accumulation (internal) */
	int raw_on;                    /* raw columns in this scrape */
	unsigned hits[SRVM__COUNT];
	double acc_sum[SRVM__COUNT][SRVM__SLOTS];
	unsigned acc_n[SRVM__COUNT][SRVM__SLOTS];
	double raw_vals[SRVM_MAX_RAW];
};

/* flavour: SRVM_AUTO to detect, else forced. keep_raw: also record raw
 * columns when the flavour is known. Release with srvm_free. */
void srvm_init(struct srvm *m, enum srvm_flavour flavour, int keep_raw);
/* Frees the raw key strings. NULL-safe. */
void srvm_free(struct srvm *m);

/* Starts accumulating a new scrape. */
void srvm_begin(struct srvm *m);
/* Feeds one sample (usable directly as, or from, a prom_cb). */
void srvm_add(struct srvm *m, const struct prom_sample *s);
/* prom_cb adapter: ud is a struct srvm *. */
void srvm_prom_cb(const struct prom_sample *s, void *ud);
/* Ends the scrape: detects the flavour (first scrape that recognises any
 * name fixes it, unless forced) and writes the mapped sample with t_ns.
 * When raw columns are kept, raw_out (may be NULL) receives m->raw.n values
 * (NaN for series absent from this scrape); it must hold SRVM_MAX_RAW. */
void srvm_end(struct srvm *m, int64_t t_ns, struct srvm_sample *out,
	      double *raw_out);
/* Whether raw columns are being recorded (unknown flavour or keep_raw). */
int srvm_raw_active(const struct srvm *m);

#endif
