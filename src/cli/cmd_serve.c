/* cmd_serve.c - `infbench serve --engine mock|paged|reserved`: run the
 * built-in LLM server.
 *
 * Parses the serve option table into a struct srv_config (and, for the
 * engine emulator, a struct sim_config from the catalog, profile and the
 * vLLM/TGI knob spellings), starts the server thread (server/serve.h),
 * reports the address on stderr (and the port in --port-file), then waits
 * for SIGINT/SIGTERM and stops cleanly.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "server/serve.h"
#include "server/simbackend.h"
#include "sim/catalog.h"
#include "sim/cost.h"
#include "sim/engine.h"

struct serve_opts {
	char *engine;
	int mock;
	char *host;
	long long port;
	char *port_file;
	char *model;
	char *served_name;
	long long max_model_len;
	long long chat_tokens;
	long long max_concurrent;
	double ttft_s, itl_s, jitter_s;
	long long tokens_per_chunk;
	char *bench_mode;
	char *flavour;
	long long seed;
	long long close_after;
	int reuse_port;
	char *stats_file, *send_log;
	double p429, p503, perror, pdrop, pgarbage, pstall;
	long long fault_after;
	struct opt_list fault_every;
	int quiet;
	/* engine emulator */
	char *gpu;
	long long tp;
	char *dtype;
	char *profile;
	char *catalog;
	double gpu_mem_util;
	long long max_num_seqs, max_num_batched_tokens, block_size;
	long long num_gpu_blocks;
	long long max_batch_prefill, max_batch_total, max_batch_size;
};

#define O(f) offsetof(struct serve_opts, f)
static const struct opt serve_table[] = {
	{"engine", 'e', OPT_STR, O(engine), "mock", "KIND",
	 "mock (fixed TTFT/ITL), paged (vLLM V1 scheduler emulated in real "
	 "time) or reserved (TGI v3); vllm/tgi also accepted",
	 NULL, "INFBENCH_SERVE_ENGINE"},
	{"mock", 0, OPT_BOOL, O(mock), "0", NULL, "same as --engine mock",
	 NULL, NULL},
	{"host", 0, OPT_STR, O(host), "127.0.0.1", "HOST",
	 "address to listen on", NULL, "INFBENCH_SERVE_HOST"},
	{"port", 'p', OPT_INT, O(port), "8000", "PORT",
	 "TCP port; 0 picks a free one", NULL, "INFBENCH_SERVE_PORT"},
	{"port-file", 0, OPT_STR, O(port_file), NULL, "FILE",
	 "write the bound port (decimal + newline) here once listening", NULL,
	 NULL},
	{"model", 'm', OPT_STR, O(model), NULL, "NAME",
	 "engines: catalog model to emulate (default Qwen2-7B); mock: the "
	 "served name (default mock-model)",
	 NULL, NULL},
	{"served-model-name", 0, OPT_STR, O(served_name), NULL, "NAME",
	 "name in /v1/models; requests naming another model get 404 "
	 "(default: --model as given)",
	 NULL, NULL},
	{"max-model-len", 0, OPT_INT, O(max_model_len), "0", "N",
	 "prompt + output token cap, 400/422 beyond it (0 = 4096 for the "
	 "mock, the model's context for the engines)",
	 "max-total-tokens", NULL},
	{"chat-template-tokens", 0, OPT_INT, O(chat_tokens), "8", "N",
	 "tokens a chat request adds to its messages' words", NULL, NULL},
	{"max-concurrent-requests", 0, OPT_INT, O(max_concurrent), "0", "N",
	 "TGI: the reserved engine answers 429 past N in flight (0 = 128); "
	 "the mock only reports it in /info",
	 "max-concurrent", NULL},
	{"ttft", 0, OPT_DURATION_MS, O(ttft_s), "50ms", "DUR",
	 "mock: request arrival to first token (bare number = ms)", NULL,
	 NULL},
	{"itl", 0, OPT_DURATION_MS, O(itl_s), "10ms", "DUR",
	 "mock: time between tokens (bare number = ms); 0 = as fast as "
	 "possible",
	 NULL, NULL},
	{"jitter", 0, OPT_DURATION_MS, O(jitter_s), "0", "DUR",
	 "mock: each emission moves uniformly within +-DUR/2 (means "
	 "unchanged)",
	 NULL, NULL},
	{"tokens-per-chunk", 0, OPT_INT, O(tokens_per_chunk), "1", "N",
	 "mock: tokens per streamed chunk after the first (vLLM "
	 "stream-interval)",
	 "stream-interval", NULL},
	{"bench-mode", 0, OPT_STR, O(bench_mode), "off", "MODE",
	 "mock: off; bulk (every token at once, coalesced writes); paced "
	 "(per-stream --ttft/--itl schedule, one write per token); lockstep "
	 "(all streams on one --itl grid)",
	 NULL, NULL},
	{"flavour", 0, OPT_STR, O(flavour), "all", "NAME",
	 "mock: which server's info routes answer (for --api auto): vllm "
	 "sglang lmdeploy trtllm tgi llamacpp ollama triton none; all = "
	 "vLLM routes + TGI /info. Also picks /generate's format and the "
	 "OpenAI routes' error shape and usage rules",
	 "flavor", NULL},
	{"seed", 0, OPT_INT, O(seed), "0", "N",
	 "seed for jitter, fault draws and response ids", NULL, NULL},
	{"reuse-port", 0, OPT_BOOL, O(reuse_port), "0", NULL,
	 "set SO_REUSEPORT so several servers (e.g. one per core for a "
	 "client benchmark) share one --port; the kernel spreads "
	 "connections across them",
	 NULL, NULL},
	{"stats-file", 0, OPT_STR, O(stats_file), NULL, "PATH",
	 "mock: at shutdown, write the send lateness of every timed emission "
	 "(emit time - schedule; p50/p99/p999/max in us; --bench-mode off "
	 "and paced) as JSON, so a client benchmark can tell the server's "
	 "lateness from the client's error",
	 NULL, NULL},
	{"send-log", 0, OPT_STR, O(send_log), NULL, "PATH",
	 "mock: each stream's emission times (ns after its arrival, taken "
	 "after each write) as one JSON line with its response id, so a "
	 "client benchmark can compare its ITLs with the true ones (not in "
	 "bulk mode)",
	 NULL, NULL},
	{"close-after", 0, OPT_INT, O(close_after), "0", "N",
	 "close a keep-alive connection after N responses (0 = never)", NULL,
	 NULL},
	{"fault-429", 0, OPT_DOUBLE, O(p429), "0", "P",
	 "probability a request gets HTTP 429 with a JSON error body", NULL,
	 NULL},
	{"fault-503", 0, OPT_DOUBLE, O(p503), "0", "P",
	 "probability a request gets HTTP 503", NULL, NULL},
	{"fault-error", 0, OPT_DOUBLE, O(perror), "0", "P",
	 "probability of an error event mid-stream (then [DONE])", NULL, NULL},
	{"fault-drop", 0, OPT_DOUBLE, O(pdrop), "0", "P",
	 "probability the socket closes mid-stream (chunked encoding unfinished)",
	 NULL, NULL},
	{"fault-garbage", 0, OPT_DOUBLE, O(pgarbage), "0", "P",
	 "probability of a 'data: {not json' event mid-stream (stream goes on)",
	 NULL, NULL},
	{"fault-stall", 0, OPT_DOUBLE, O(pstall), "0", "P",
	 "probability the stream stops mid-way with the connection left open",
	 NULL, NULL},
	{"fault-after-tokens", 0, OPT_INT, O(fault_after), "4", "K",
	 "mid-stream faults fire after K tokens (or at the end if shorter)",
	 NULL, NULL},
	{"fault-every", 0, OPT_LIST, O(fault_every), NULL, "KIND:N",
	 "every Nth generation request gets KIND (429 503 error drop garbage "
	 "stall); repeatable, wins over probabilities",
	 NULL, NULL},
	{"quiet", 'q', OPT_BOOL, O(quiet), "0", NULL,
	 "only errors on stderr", NULL, NULL},
	/* engine emulator (paged / reserved) */
	{"gpu", 0, OPT_STR, O(gpu), "a100", "NAME",
	 "engines: catalog GPU (a100 h100 h200 l40s a10g, or --catalog)",
	 NULL, NULL},
	{"tp", 0, OPT_INT, O(tp), "1", "N",
	 "engines: tensor-parallel GPUs", "tensor-parallel-size,num-shard",
	 NULL},
	{"dtype", 0, OPT_STR, O(dtype), "bf16", "T",
	 "engines: weight and KV dtype: bf16 fp16 auto (2 bytes), fp8 (1), "
	 "fp32 (4)",
	 NULL, NULL},
	{"profile", 0, OPT_STR, O(profile), NULL, "FILE",
	 "engines: step-time profile JSON (infbench-sim-profile, from "
	 "calibration); default: uncalibrated constants",
	 NULL, NULL},
	{"catalog", 0, OPT_STR, O(catalog), NULL, "FILE",
	 "engines: YAML with extra models:/gpus: entries", NULL, NULL},
	{"gpu-memory-utilization", 0, OPT_DOUBLE, O(gpu_mem_util), "0", "F",
	 "engines: share of GPU memory for weights+activations+KV (0 = 0.9; "
	 "TGI's wiggle room for reserved)",
	 NULL, NULL},
	{"block-size", 0, OPT_INT, O(block_size), "0", "N",
	 "engines: KV block in tokens (0 = 16 paged, 1 reserved)", NULL,
	 NULL},
	{"max-num-seqs", 0, OPT_INT, O(max_num_seqs), "0", "N",
	 "paged: max running requests (0 = 256 on A100/<70 GiB, else 1024)",
	 NULL, NULL},
	{"max-num-batched-tokens", 0, OPT_INT, O(max_num_batched_tokens), "0",
	 "N", "paged: token budget per step (0 = 2048 on A100/<70 GiB, else "
	 "8192)",
	 NULL, NULL},
	{"num-gpu-blocks-override", 0, OPT_INT, O(num_gpu_blocks), "0", "N",
	 "paged: KV pool of N blocks instead of the memory derivation", NULL,
	 NULL},
	{"max-batch-prefill-tokens", 0, OPT_INT, O(max_batch_prefill), "0",
	 "N", "reserved: prefill tokens per step (0 = TGI's FLOP-based "
	 "default)",
	 NULL, NULL},
	{"max-batch-total-tokens", 0, OPT_INT, O(max_batch_total), "0", "N",
	 "reserved: KV pool in tokens instead of the memory derivation",
	 NULL, NULL},
	{"max-batch-size", 0, OPT_INT, O(max_batch_size), "0", "N",
	 "reserved: max running requests (0 = unlimited)", NULL, NULL},
	OPT_END,
};
#undef O

static const struct opts_cmd serve_cmd = {
	"serve",
	"infbench serve [--engine mock|paged|reserved] [--port 8000] "
	"[--model M --gpu G] [knobs...] [faults...]",
	"Run the built-in LLM server: vLLM-style OpenAI routes "
	"(/v1/completions,\n/v1/chat/completions, /v1/models, /version, "
	"/tokenize, /metrics, /health) and\nTGI routes (/generate_stream, "
	"/generate, /info). Each request produces exactly\nits max_tokens "
	"(max_completion_tokens; TGI max_new_tokens) tokens, one word each;\n"
	"prompt tokens = whitespace-separated words (+ template tokens for "
	"chat).\nThe mock times tokens with --ttft/--itl. The engines run the "
	"emulated\nscheduler and KV pool (docs/internals/SIM.md) in real time: "
	"each step takes\nthe cost model's time on --gpu; /metrics uses vLLM "
	"(paged) or TGI (reserved)\nnames; /dcgm/metrics emulates "
	"dcgm-exporter. Faults are counted over\ngeneration requests in "
	"arrival order. Stops on SIGINT/SIGTERM.",
	serve_table,
	0,
	0,
};

static int write_port_file(const char *path, int port)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int rc = 0;
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f)) {
		rc = -errno;
		f = NULL;
	}
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		remove(tmp);
	free(tmp);
	return rc;
}

static int dtype_bytes(const char *s)
{
	static const struct {
		const char *name;
		int bytes;
	} t[] = {{"bf16", 2},    {"bfloat16", 2}, {"fp16", 2}, {"float16", 2},
		 {"half", 2},    {"auto", 2},     {"fp8", 1},  {"fp8_e4m3", 1},
		 {"fp32", 4},    {"float32", 4},  {"float", 4}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcasecmp(s, t[i].name))
			return t[i].bytes;
	return 0;
}

/* Options that belong to one engine kind: given with another -> error. */
static const char *const mock_only[] = {"ttft", "itl", "jitter",
					"tokens-per-chunk", "bench-mode",
					"flavour", "stats-file", "send-log",
					NULL};
static const char *const engine_only[] = {
	"gpu", "tp", "dtype", "profile", "catalog", "gpu-memory-utilization",
	"block-size", NULL};
static const char *const paged_only[] = {
	"max-num-seqs", "max-num-batched-tokens", "num-gpu-blocks-override",
	NULL};
static const char *const reserved_only[] = {
	"max-batch-prefill-tokens", "max-batch-total-tokens", "max-batch-size",
	NULL};

/* The first option of list that was given, or NULL. */
static const char *given_of(const char *const *list)
{
	for (; *list; list++)
		if (opts_given(&serve_cmd, *list))
			return *list;
	return NULL;
}

/* Build the engine config from the options. 0 with *model_name set to the
 * catalog model's name (caller frees), or -EINVAL after an error message. */
static int engine_config(const struct serve_opts *o, enum sim_policy pol,
			 struct sim_config *sc, char **model_name)
{
	struct sim_catalog *cat = sim_catalog_new();
	char *err = NULL;
	int rc = -EINVAL;
	const char *mname = o->model ? o->model : "Qwen2-7B";
	if (o->catalog && sim_catalog_load_yaml(cat, o->catalog, &err)) {
		errorf("serve --catalog: %s", err);
		goto out;
	}
	const struct sim_model *m = sim_catalog_model(cat, mname);
	const struct sim_gpu *g = sim_catalog_gpu(cat, o->gpu);
	if (!m || !g) {
		errorf("serve: unknown %s '%s' (built in: %s)",
		       m ? "--gpu" : "--model", m ? o->gpu : mname,
		       m ? "a100 h100 h200 l40s a10g"
			 : "Qwen2-7B Llama-3-8B Llama-3-70B Qwen2-72B");
		goto out;
	}
	sim_config_default(sc, pol, m, g);
	if (o->profile && sim_profile_load(&sc->profile, o->profile, &err)) {
		errorf("serve --profile: %s", err);
		goto out;
	}
	sc->dtype_bytes = dtype_bytes(o->dtype);
	if (!sc->dtype_bytes) {
		errorf("serve --dtype: unknown '%s' (bf16 fp16 auto fp8 fp32)",
		       o->dtype);
		goto out;
	}
	if (o->tp < 1 || o->tp > 64 || o->block_size < 0 ||
	    o->max_num_seqs < 0 || o->max_num_batched_tokens < 0 ||
	    o->num_gpu_blocks < 0 || o->max_batch_prefill < 0 ||
	    o->max_batch_total < 0 || o->max_batch_size < 0 ||
	    o->max_concurrent < 0 || o->gpu_mem_util < 0 ||
	    o->gpu_mem_util > 1 || o->max_model_len > INT32_MAX ||
	    o->max_num_seqs > INT32_MAX || o->max_num_batched_tokens > INT32_MAX ||
	    o->max_batch_prefill > INT32_MAX || o->block_size > 1 << 20) {
		errorf("serve: --tp must be 1..64, --gpu-memory-utilization in "
		       "[0,1], and token/sequence knobs non-negative 32-bit");
		goto out;
	}
	sc->tp = (int32_t)o->tp;
	sc->gpu_memory_utilization = o->gpu_mem_util;
	sc->block_size = (int32_t)o->block_size;
	sc->max_model_len = (int32_t)o->max_model_len;
	sc->max_num_seqs = (int32_t)o->max_num_seqs;
	sc->max_num_batched_tokens = (int32_t)o->max_num_batched_tokens;
	sc->max_batch_prefill_tokens = (int32_t)o->max_batch_prefill;
	sc->max_concurrent_requests = (int32_t)o->max_concurrent;
	sc->max_batch_size = (int32_t)o->max_batch_size;
	if (o->num_gpu_blocks)
		sc->kv_tokens_override =
			o->num_gpu_blocks * (o->block_size ? o->block_size : 16);
	if (o->max_batch_total)
		sc->kv_tokens_override = o->max_batch_total;
	rc = 0;
out:
	if (!rc)
		*model_name = xstrdup(sc->model.name);
	free(err);
	sim_catalog_free(cat);
	return rc;
}

/* One line on stderr: what the engine resolved to (and a warning when the
 * real server would refuse to start with it). 0 or -EINVAL. */
static int engine_banner(const struct sim_config *sc, char **summary)
{
	char *err = NULL;
	struct sim_engine *e = sim_engine_new(sc, &err);
	if (!e) {
		errorf("serve: %s", err);
		free(err);
		return -EINVAL;
	}
	const struct sim_config *c = sim_engine_config(e);
	struct sim_mem m;
	sim_stats(e, &m);
	double gib = 1024.0 * 1024 * 1024;
	if (c->policy == SIM_POLICY_PAGED)
		*summary = xasprintf(
			"paged engine: %s on %d x %s, KV pool %lld blocks x %d "
			"= %lld tokens (%.1f GiB), max_model_len %d, "
			"max_num_seqs %d, max_num_batched_tokens %d",
			c->model.name, c->tp, c->gpu.name,
			(long long)m.kv_capacity_blocks, c->block_size,
			(long long)m.kv_capacity_tok,
			(double)m.kv_capacity_bytes / gib, c->max_model_len,
			c->max_num_seqs, c->max_num_batched_tokens);
	else
		*summary = xasprintf(
			"reserved engine: %s on %d x %s, max_batch_total_tokens "
			"%lld (%.1f GiB), max_total_tokens %d, "
			"max_batch_prefill_tokens %d, max_concurrent_requests %d",
			c->model.name, c->tp, c->gpu.name,
			(long long)(m.kv_capacity_tok + c->block_size),
			(double)m.kv_capacity_bytes / gib, c->max_model_len,
			c->max_batch_prefill_tokens, c->max_concurrent_requests);
	if (c->max_model_len - 1 > m.kv_capacity_tok)
		warnf("serve: max_model_len %d needs more KV than the pool "
		      "holds (%lld tokens); the real server would refuse to "
		      "start, this one answers such requests with 400/422",
		      c->max_model_len, (long long)m.kv_capacity_tok);
	sim_engine_free(e);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o = {0};
	struct srv_config cfg;
	struct sim_config sc;
	struct srv *srv = NULL;
	char *err = NULL, *summary = NULL, *catalog_name = NULL;
	int rc = opts_parse(&serve_cmd, argc, argv, &o, NULL, NULL);
	int ret = EXIT_USAGE;
	int engine = 0; /* 0 mock, else an engine policy */
	enum sim_policy pol = SIM_POLICY_PAGED;
	const char *bad;
	sigset_t set;

	if (rc == 1) {
		ret = EXIT_OK;
		goto out;
	}
	if (rc < 0)
		goto out;
	if (o.quiet)
		msg_level = MSG_QUIET;
	if (strcasecmp(o.engine, "mock")) {
		if (sim_policy_parse(o.engine, &pol)) {
			errorf("serve --engine: unknown '%s' (mock, paged, "
			       "reserved)",
			       o.engine);
			goto out;
		}
		if (o.mock) {
			errorf("serve: --mock contradicts --engine %s",
			       o.engine);
			goto out;
		}
		engine = 1;
	}
	if (engine && (bad = given_of(mock_only))) {
		errorf("serve --%s: only for --engine mock", bad);
		goto out;
	}
	if (!engine && ((bad = given_of(engine_only)) ||
			(bad = given_of(paged_only)) ||
			(bad = given_of(reserved_only)))) {
		errorf("serve --%s: only for --engine paged|reserved", bad);
		goto out;
	}
	if (engine && pol == SIM_POLICY_RESERVED && (bad = given_of(paged_only))) {
		errorf("serve --%s: a vLLM (--engine paged) option", bad);
		goto out;
	}
	if (engine && pol == SIM_POLICY_PAGED && (bad = given_of(reserved_only))) {
		errorf("serve --%s: a TGI (--engine reserved) option", bad);
		goto out;
	}
	srv_config_defaults(&cfg);
	cfg.host = o.host;
	cfg.port = (int)o.port;
	cfg.max_model_len = o.max_model_len ? o.max_model_len : 4096;
	cfg.chat_overhead_tok = o.chat_tokens;
	if (o.max_concurrent)
		cfg.max_concurrent = o.max_concurrent;
	cfg.close_after = (unsigned)o.close_after;
	cfg.reuse_port = o.reuse_port;
	cfg.mock.ttft_s = o.ttft_s;
	cfg.mock.itl_s = o.itl_s;
	cfg.mock.jitter_s = o.jitter_s;
	cfg.mock.tokens_per_chunk = (int)o.tokens_per_chunk;
	cfg.mock.seed = (uint64_t)o.seed;
	cfg.mock.stats_path = o.stats_file;
	cfg.mock.send_log_path = o.send_log;
	if (mock_bench_parse(o.bench_mode, &cfg.mock.bench)) {
		errorf("serve --bench-mode: unknown '%s' (off bulk paced "
		       "lockstep)",
		       o.bench_mode);
		goto out;
	}
	if (request_flavour_parse(o.flavour, &cfg.flavour)) {
		errorf("serve --flavour: unknown '%s' (all vllm sglang lmdeploy "
		       "trtllm tgi llamacpp ollama triton none)",
		       o.flavour);
		goto out;
	}
	if (cfg.mock.bench == MOCK_BENCH_LOCKSTEP && o.itl_s < 1e-6) {
		errorf("serve --bench-mode lockstep: needs --itl >= 1us");
		goto out;
	}
	cfg.faults.prob[FAULT_429] = o.p429;
	cfg.faults.prob[FAULT_503] = o.p503;
	cfg.faults.prob[FAULT_ERROR] = o.perror;
	cfg.faults.prob[FAULT_DROP] = o.pdrop;
	cfg.faults.prob[FAULT_GARBAGE] = o.pgarbage;
	cfg.faults.prob[FAULT_STALL] = o.pstall;
	cfg.faults.after_tokens = o.fault_after;
	if (o.port < 0 || o.port > 65535) {
		errorf("serve --port: %lld is not a port", o.port);
		goto out;
	}
	if ((o.max_model_len && o.max_model_len < 2) || o.max_model_len < 0 ||
	    o.chat_tokens < 0 || o.tokens_per_chunk < 1 || o.close_after < 0 ||
	    o.fault_after < 0 || o.max_concurrent < 0) {
		errorf("serve: --max-model-len >= 2 (or 0), --tokens-per-chunk "
		       ">= 1, and --chat-template-tokens, --close-after, "
		       "--fault-after-tokens, --max-concurrent-requests >= 0 "
		       "are required");
		goto out;
	}
	for (size_t i = 0; i < o.fault_every.n; i++)
		if (fault_add_every(&cfg.faults, o.fault_every.items[i])) {
			errorf("serve --fault-every: invalid '%s' (want KIND:N "
			       "with KIND one of 429 503 error drop garbage "
			       "stall, at most %d rules)",
			       o.fault_every.items[i], FAULT_MAX_EVERY);
			goto out;
		}
	if (fault_validate(&cfg.faults)) {
		errorf("serve: fault probabilities must be in [0,1] and sum to "
		       "at most 1");
		goto out;
	}
	if (engine) {
		if (engine_config(&o, pol, &sc, &catalog_name) ||
		    engine_banner(&sc, &summary))
			goto out;
		cfg.backend = &sim_backend_ops;
		cfg.backend_arg = &sc;
		/* vLLM serves --model as given; without it the catalog name */
		cfg.model = o.served_name ? o.served_name
			    : o.model     ? o.model
					  : catalog_name;
	} else {
		cfg.model = o.served_name ? o.served_name
			    : o.model     ? o.model
					  : "mock-model";
		summary = xasprintf("mock: ttft %.3g ms, itl %.3g ms, bench "
				    "mode %s",
				    cfg.mock.ttft_s * 1e3, cfg.mock.itl_s * 1e3,
				    mock_bench_name(cfg.mock.bench));
	}

	/* The server thread inherits the blocked mask; we sigwait here. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	ret = EXIT_FAIL;
	srv = srv_start(&cfg, &err);
	if (!srv) {
		errorf("serve: %s", err);
		goto out;
	}
	int port = srv_port(srv);
	int v6 = strchr(cfg.host, ':') != NULL;
	notef("listening on http://%s%s%s:%d (%s; model %s)", v6 ? "[" : "",
	      cfg.host, v6 ? "]" : "", port, summary, cfg.model);
	if (o.port_file && (rc = write_port_file(o.port_file, port))) {
		errorf("serve --port-file %s: %s", o.port_file, strerror(-rc));
		goto out;
	}
	int sig = 0;
	while (sigwait(&set, &sig))
		;
	struct srv_counters c;
	srv_get_counters(srv, &c);
	notef("stopping on %s: %llu generation requests, %llu completed, "
	      "%llu tokens generated",
	      sig == SIGINT ? "SIGINT" : "SIGTERM",
	      (unsigned long long)c.requests, (unsigned long long)c.completed,
	      (unsigned long long)c.generation_tokens);
	ret = EXIT_OK;
out:
	srv_stop(srv);
	free(err);
	free(summary);
	free(catalog_name);
	opts_free(&serve_cmd, &o);
	return ret;
}
