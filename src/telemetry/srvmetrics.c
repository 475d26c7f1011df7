/* srvmetrics.c - per-server metric names -> common series.
 *
 * Every recognised name feeds an accumulation slot of its flavour (sum and
 * count over label sets); srvm_end turns the slots of the detected flavour
 * into a struct srvm_sample. Names come from protocols.md §2-§9.
 */
#include "telemetry/srvmetrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/buf.h"
#include "core/xmalloc.h"

enum slot {
	S_RUNNING,
	S_WAITING,
	S_KV,          /* fraction, averaged */
	S_KV_OLD,      /* vllm:gpu_cache_usage_perc (V0 / <=0.10), averaged */
	S_PREEMPT,     /* counter */
	S_PREEMPT_OLD, /* vllm:num_preemptions (no _total) */
	S_BATCH,
	S_PROMPT,
	S_GEN,
	S_POOL_TOK,
	S_TGI_CUR,     /* tgi_batch_current_max_tokens */
	S_TGI_MAX,     /* tgi_batch_max_total_tokens */
	S_BLK_MAX,     /* KV blocks in the pool */
	S_BLK_USED,
	S_BLK_TOKPER,  /* tokens per block, averaged */
	S__COUNT
};

_Static_assert(S__COUNT <= SRVM__SLOTS, "srvm acc arrays too small");

static int slot_is_mean(enum slot s)
{
	return s == S_KV || s == S_KV_OLD || s == S_BLK_TOKPER;
}

struct row {
	enum srvm_flavour fl;
	const char *name;
	const char *label; /* required label, or NULL */
	const char *lvalue;
	enum slot slot;
};

static const struct row rows[] = {
	/* vLLM, V1 names first, then V0/older ones (protocols.md §2) */
	{SRVM_VLLM, "vllm:num_requests_running", NULL, NULL, S_RUNNING},
	{SRVM_VLLM, "vllm:num_requests_waiting", NULL, NULL, S_WAITING},
	{SRVM_VLLM, "vllm:kv_cache_usage_perc", NULL, NULL, S_KV},
	{SRVM_VLLM, "vllm:gpu_cache_usage_perc", NULL, NULL, S_KV_OLD},
	{SRVM_VLLM, "vllm:num_preemptions_total", NULL, NULL, S_PREEMPT},
	{SRVM_VLLM, "vllm:num_preemptions", NULL, NULL, S_PREEMPT_OLD},
	{SRVM_VLLM, "vllm:prompt_tokens_total", NULL, NULL, S_PROMPT},
	{SRVM_VLLM, "vllm:generation_tokens_total", NULL, NULL, S_GEN},
	/* TGI (§3): no _total suffix; token totals from histogram sums */
	{SRVM_TGI, "tgi_batch_current_size", NULL, NULL, S_RUNNING},
	{SRVM_TGI, "tgi_queue_size", NULL, NULL, S_WAITING},
	{SRVM_TGI, "tgi_batch_current_max_tokens", NULL, NULL, S_TGI_CUR},
	{SRVM_TGI, "tgi_batch_max_total_tokens", NULL, NULL, S_TGI_MAX},
	{SRVM_TGI, "tgi_request_input_length_sum", NULL, NULL, S_PROMPT},
	{SRVM_TGI, "tgi_request_generated_tokens_sum", NULL, NULL, S_GEN},
	/* SGLang (§4, §9) */
	{SRVM_SGLANG, "sglang:num_running_reqs", NULL, NULL, S_RUNNING},
	{SRVM_SGLANG, "sglang:num_queue_reqs", NULL, NULL, S_WAITING},
	{SRVM_SGLANG, "sglang:token_usage", NULL, NULL, S_KV},
	{SRVM_SGLANG, "sglang:num_retracted_requests_total", NULL, NULL,
	 S_PREEMPT},
	{SRVM_SGLANG, "sglang:prompt_tokens_total", NULL, NULL, S_PROMPT},
	{SRVM_SGLANG, "sglang:generation_tokens_total", NULL, NULL, S_GEN},
	{SRVM_SGLANG, "sglang:max_total_num_tokens", NULL, NULL, S_POOL_TOK},
	/* llama.cpp (§7): KV ratio only in builds before PR #13660 */
	{SRVM_LLAMACPP, "llamacpp:requests_processing", NULL, NULL, S_RUNNING},
	{SRVM_LLAMACPP, "llamacpp:requests_deferred", NULL, NULL, S_WAITING},
	{SRVM_LLAMACPP, "llamacpp:n_busy_slots_per_decode", NULL, NULL,
	 S_BATCH},
	{SRVM_LLAMACPP, "llamacpp:prompt_tokens_total", NULL, NULL, S_PROMPT},
	{SRVM_LLAMACPP, "llamacpp:tokens_predicted_total", NULL, NULL, S_GEN},
	{SRVM_LLAMACPP, "llamacpp:kv_cache_usage_ratio", NULL, NULL, S_KV},
	/* Triton + TRT-LLM backend (§5b) */
	{SRVM_TRITON_TRTLLM, "nv_trt_llm_request_metrics", "request_type",
	 "scheduled", S_RUNNING},
	{SRVM_TRITON_TRTLLM, "nv_trt_llm_request_metrics", "request_type",
	 "waiting", S_WAITING},
	{SRVM_TRITON_TRTLLM, "nv_trt_llm_kv_cache_block_metrics",
	 "kv_cache_block_type", "fraction", S_KV},
	{SRVM_TRITON_TRTLLM, "nv_trt_llm_kv_cache_block_metrics",
	 "kv_cache_block_type", "max", S_BLK_MAX},
	{SRVM_TRITON_TRTLLM, "nv_trt_llm_kv_cache_block_metrics",
	 "kv_cache_block_type", "used", S_BLK_USED},
	{SRVM_TRITON_TRTLLM, "nv_trt_llm_kv_cache_block_metrics",
	 "kv_cache_block_type", "tokens_per", S_BLK_TOKPER},
	/* trtllm-serve /prometheus/metrics, newer builds (§5a) */
	{SRVM_TRTLLM_SERVE, "trtllm_num_requests_running", NULL, NULL,
	 S_RUNNING},
	{SRVM_TRTLLM_SERVE, "trtllm_num_requests_waiting", NULL, NULL,
	 S_WAITING},
	{SRVM_TRTLLM_SERVE, "trtllm_kv_cache_utilization", NULL, NULL, S_KV},
	{SRVM_TRTLLM_SERVE, "trtllm_kv_cache_max_blocks", NULL, NULL,
	 S_BLK_MAX},
	{SRVM_TRTLLM_SERVE, "trtllm_kv_cache_tokens_per_block", NULL, NULL,
	 S_BLK_TOKPER},
	/* LMDeploy (§6, §9) */
	{SRVM_LMDEPLOY, "lmdeploy:num_requests_running", NULL, NULL,
	 S_RUNNING},
	{SRVM_LMDEPLOY, "lmdeploy:num_requests_waiting", NULL, NULL,
	 S_WAITING},
	{SRVM_LMDEPLOY, "lmdeploy:gpu_cache_usage_perc", NULL, NULL, S_KV},
	{SRVM_LMDEPLOY, "lmdeploy:prompt_tokens_total", NULL, NULL, S_PROMPT},
	{SRVM_LMDEPLOY, "lmdeploy:generation_tokens_total", NULL, NULL,
	 S_GEN},
};

/* Name prefixes that identify a flavour (one hit per sample). */
static const struct {
	const char *prefix;
	enum srvm_flavour fl;
} prefixes[] = {
	{"vllm:", SRVM_VLLM},
	{"tgi_", SRVM_TGI},
	{"sglang:", SRVM_SGLANG},
	{"llamacpp:", SRVM_LLAMACPP},
	{"nv_trt_llm_", SRVM_TRITON_TRTLLM},
	{"trtllm_", SRVM_TRTLLM_SERVE},
	{"lmdeploy:", SRVM_LMDEPLOY},
};

static const char *const fl_names[SRVM__COUNT] = {
	"auto",		 "unknown",	 "vllm",	 "tgi",	    "sglang",
	"llamacpp",	 "triton-trtllm", "trtllm-serve", "lmdeploy",
};

const char *srvm_flavour_name(enum srvm_flavour f)
{
	if ((unsigned)f >= SRVM__COUNT)
		return "unknown";
	return fl_names[f];
}

int srvm_flavour_parse(const char *s)
{
	for (int i = 0; i < SRVM__COUNT; i++)
		if (strcmp(s, fl_names[i]) == 0)
			return i;
	return -1;
}

void srvm_sample_clear(struct srvm_sample *s)
{
	s->t_ns = 0;
	s->running = s->waiting = s->kv_usage = s->preemptions = NAN;
	s->batch = s->prompt_tok = s->gen_tok = s->kv_pool_tok = NAN;
}

void srvm_init(struct srvm *m, enum srvm_flavour flavour, int keep_raw)
{
	memset(m, 0, sizeof(*m));
	m->cfg_flavour = flavour;
	m->flavour = flavour == SRVM_AUTO ? SRVM_UNKNOWN : flavour;
	m->keep_raw = keep_raw;
}

static void raw_clear(struct srvm_raw *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->keys[i]);
		r->keys[i] = NULL;
	}
	r->n = 0;
}

void srvm_free(struct srvm *m)
{
	if (!m)
		return;
	raw_clear(&m->raw);
}

int srvm_raw_active(const struct srvm *m)
{
	return m->keep_raw || m->flavour == SRVM_UNKNOWN;
}

void srvm_begin(struct srvm *m)
{
	memset(m->hits, 0, sizeof(m->hits));
	memset(m->acc_sum, 0, sizeof(m->acc_sum));
	memset(m->acc_n, 0, sizeof(m->acc_n));
	m->raw_on = srvm_raw_active(m);
	for (size_t i = 0; i < SRVM_MAX_RAW; i++)
		m->raw_vals[i] = NAN;
}

static void acc(struct srvm *m, enum srvm_flavour fl, enum slot s, double v)
{
	if (isnan(v))
		return;
	m->acc_sum[fl][s] += v;
	m->acc_n[fl][s]++;
}

/* vllm:cache_config_info{num_gpu_blocks="N",block_size="B"} 1 */
static void vllm_cache_info(struct srvm *m, const struct prom_sample *s)
{
	const char *nb = prom_label_get(s, "num_gpu_blocks");
	const char *bs = prom_label_get(s, "block_size");
	if (!nb || !bs)
		return;
	char *e1 = NULL, *e2 = NULL;
	double blocks = strtod(nb, &e1), bsz = strtod(bs, &e2);
	if (e1 == nb || *e1 || e2 == bs || *e2 || !(blocks > 0) || !(bsz > 0))
		return;
	acc(m, SRVM_VLLM, S_POOL_TOK, blocks * bsz);
}

static int raw_skip(const char *name)
{
	size_t n = strlen(name);
	static const char *const sufs[] = {"_bucket", "_created"};
	for (size_t i = 0; i < 2; i++) {
		size_t k = strlen(sufs[i]);
		if (n > k && strcmp(name + n - k, sufs[i]) == 0)
			return 1;
	}
	return 0;
}

static void raw_add(struct srvm *m, const struct prom_sample *s)
{
	if (raw_skip(s->name))
		return;
	char key[SRVM_MAX_RAW_KEY];
	struct buf b;
	buf_init(&b, SRVM_MAX_RAW_KEY - 1);
	int rc = buf_puts(&b, s->name);
	if (!rc && s->n_labels)
		rc = buf_puts(&b, "{");
	for (size_t i = 0; !rc && i < s->n_labels; i++) {
		rc = buf_printf(&b, "%s%s=\"", i ? "," : "",
				s->labels[i].name);
		for (const char *v = s->labels[i].value; !rc && *v; v++) {
			if (*v == '"' || *v == '\\')
				rc = buf_printf(&b, "\\%c", *v);
			else if (*v == '\n')
				rc = buf_puts(&b, "\\n");
			else
				rc = buf_append(&b, v, 1);
		}
		if (!rc)
			rc = buf_puts(&b, "\"");
	}
	if (!rc && s->n_labels)
		rc = buf_puts(&b, "}");
	if (rc) {
		m->raw.dropped++;
		buf_free(&b);
		return;
	}
	memcpy(key, b.data, b.len + 1);
	buf_free(&b);
	size_t i;
	for (i = 0; i < m->raw.n; i++)
		if (strcmp(m->raw.keys[i], key) == 0)
			break;
	if (i == m->raw.n) {
		if (m->raw.n >= SRVM_MAX_RAW) {
			m->raw.dropped++;
			return;
		}
		m->raw.keys[m->raw.n++] = xstrdup(key);
	}
	m->raw_vals[i] = s->value;
}

void srvm_add(struct srvm *m, const struct prom_sample *s)
{
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncmp(s->name, prefixes[i].prefix,
			    strlen(prefixes[i].prefix)) == 0) {
			m->hits[prefixes[i].fl]++;
			break;
		}
	}
	if (strcmp(s->name, "vllm:cache_config_info") == 0)
		vllm_cache_info(m, s);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		if (strcmp(s->name, r->name) != 0)
			continue;
		if (r->label) {
			const char *v = prom_label_get(s, r->label);
			if (!v || strcmp(v, r->lvalue) != 0)
				continue;
		}
		acc(m, r->fl, r->slot, s->value);
	}
	if (m->raw_on)
		raw_add(m, s);
}

void srvm_prom_cb(const struct prom_sample *s, void *ud)
{
	srvm_add(ud, s);
}

/* Slot value: sum (or mean for fractions) over label sets, NaN if unseen. */
static double slot_val(const struct srvm *m, enum srvm_flavour fl,
		       enum slot s)
{
	unsigned n = m->acc_n[fl][s];
	if (!n)
		return NAN;
	return slot_is_mean(s) ? m->acc_sum[fl][s] / n : m->acc_sum[fl][s];
}

static enum srvm_flavour detect(const struct srvm *m)
{
	enum srvm_flavour best = SRVM_UNKNOWN;
	unsigned best_n = 0;
	for (int f = SRVM_VLLM; f < SRVM__COUNT; f++) {
		if (m->hits[f] > best_n) {
			best_n = m->hits[f];
			best = (enum srvm_flavour)f;
		}
	}
	return best;
}

void srvm_end(struct srvm *m, int64_t t_ns, struct srvm_sample *out,
	      double *raw_out)
{
	if (m->flavour == SRVM_UNKNOWN && m->cfg_flavour == SRVM_AUTO) {
		m->flavour = detect(m);
		if (m->flavour != SRVM_UNKNOWN && !m->keep_raw) {
			/* recognised on this scrape: the raw columns
			 * gathered meanwhile are not needed */
			raw_clear(&m->raw);
			m->raw_on = 0;
		}
	}
	srvm_sample_clear(out);
	out->t_ns = t_ns;
	enum srvm_flavour fl = m->flavour;
	if (fl != SRVM_UNKNOWN) {
		out->running = slot_val(m, fl, S_RUNNING);
		out->waiting = slot_val(m, fl, S_WAITING);
		out->kv_usage = slot_val(m, fl, S_KV);
		if (isnan(out->kv_usage))
			out->kv_usage = slot_val(m, fl, S_KV_OLD);
		out->preemptions = slot_val(m, fl, S_PREEMPT);
		if (isnan(out->preemptions))
			out->preemptions = slot_val(m, fl, S_PREEMPT_OLD);
		out->batch = slot_val(m, fl, S_BATCH);
		if (isnan(out->batch))
			out->batch = out->running;
		out->prompt_tok = slot_val(m, fl, S_PROMPT);
		out->gen_tok = slot_val(m, fl, S_GEN);
		out->kv_pool_tok = slot_val(m, fl, S_POOL_TOK);
		double cur = slot_val(m, fl, S_TGI_CUR);
		double max = slot_val(m, fl, S_TGI_MAX);
		if (fl == SRVM_TGI && max > 0) {
			/* token-budget share, the nearest thing TGI has to a
			 * KV gauge (§3) */
			out->kv_usage = cur / max;
			out->kv_pool_tok = max;
		}
		double bmax = slot_val(m, fl, S_BLK_MAX);
		double bused = slot_val(m, fl, S_BLK_USED);
		double tper = slot_val(m, fl, S_BLK_TOKPER);
		if (isnan(out->kv_usage) && bmax > 0 && !isnan(bused))
			out->kv_usage = bused / bmax;
		if (isnan(out->kv_pool_tok) && bmax > 0 && tper > 0)
			out->kv_pool_tok = bmax * tper;
	}
	if (raw_out && m->raw_on) {
		for (size_t i = 0; i < m->raw.n; i++)
			raw_out[i] = m->raw_vals[i];
	}
}
