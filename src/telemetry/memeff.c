/* memeff.c - KV allocated vs. used, and why device memory can mislead.
 *
 * The naive metric (output tok/s per GB of device memory used) is blind to
 * servers that reserve most of the card at start-up: their memory stays flat
 * whatever the load, so the ratio only restates the reservation. The fix is
 * to split device memory into weights + overhead + KV allocated, and to take
 * KV actually used from the server's own usage gauge times the pool size.
 */
#include "telemetry/memeff.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "telemetry/tstat.h"

#define GB 1e9
#define GIB 1073741824.0

void memeff_in_init(struct memeff_in *in)
{
	in->weights_bytes = in->params = in->dtype_bytes = NAN;
	in->idle_used_bytes = in->used_peak_bytes = in->used_mean_bytes = NAN;
	in->overhead_bytes = NAN;
	in->kv_usage = NULL;
	in->n_kv_usage = 0;
	in->pool_tokens = in->pool_bytes = in->kv_bytes_per_token = NAN;
	in->out_tok_s = in->in_len = in->out_len = NAN;
	in->block_tokens = in->flat_tol_bytes = NAN;
}

/* a / b when both are finite and b > 0, else NaN. */
static double ratio(double a, double b)
{
	return (isfinite(a) && isfinite(b) && b > 0) ? a / b : NAN;
}

int memeff_compute(const struct memeff_in *in, struct memeff_out *o)
{
	memset(o, 0, sizeof(*o));
	struct tstat kv;
	tstat_init(&kv);
	for (size_t i = 0; i < in->n_kv_usage; i++)
		tstat_add(&kv, in->kv_usage[i]);
	if (isnan(in->used_peak_bytes) && kv.n == 0)
		return -EINVAL;
	o->kv_usage_mean = tstat_mean(&kv);
	o->kv_usage_peak = tstat_max(&kv);

	/* weights */
	o->weights_src = "none";
	o->weights_bytes = NAN;
	if (in->weights_bytes > 0) {
		o->weights_bytes = in->weights_bytes;
		o->weights_src = "given";
	} else if (in->params > 0 && in->dtype_bytes > 0) {
		o->weights_bytes = in->params * in->dtype_bytes;
		o->weights_src = "params";
	} else if (in->idle_used_bytes > 0) {
		o->weights_bytes = in->idle_used_bytes;
		o->weights_src = "idle_baseline";
	}
	int from_idle = strcmp(o->weights_src, "idle_baseline") == 0;
	o->overhead_bytes = !isnan(in->overhead_bytes) ? in->overhead_bytes
			    : from_idle ? 0
					: MEMEFF_DEFAULT_OVERHEAD_BYTES;

	/* flat device memory: the window added (almost) nothing to idle */
	double tol = in->flat_tol_bytes;
	if (isnan(tol)) {
		tol = MEMEFF_FLAT_MIN_BYTES;
		if (0.01 * in->used_peak_bytes > tol)
			tol = 0.01 * in->used_peak_bytes;
	}
	double growth = in->used_peak_bytes - in->idle_used_bytes;
	int flat = isfinite(growth) && growth <= tol;
	double idle_extra = in->idle_used_bytes - o->weights_bytes -
			    o->overhead_bytes; /* beyond weights at idle */
	o->flat_prealloc =
		flat && ((o->kv_usage_peak > 0) ||
			 (!from_idle && isfinite(idle_extra) && idle_extra > tol));

	/* KV allocated = device used - weights - overhead */
	o->kv_alloc_bytes = in->used_peak_bytes - o->weights_bytes -
			    o->overhead_bytes;
	o->kv_alloc_mean_bytes = in->used_mean_bytes - o->weights_bytes -
				 o->overhead_bytes;
	if (from_idle && o->flat_prealloc) {
		/* idle already holds the reserved pool: peak - idle ~ 0
		 * says nothing about the KV allocated */
		o->kv_alloc_bytes = o->kv_alloc_mean_bytes = NAN;
	}
	if (o->kv_alloc_bytes < 0)
		o->kv_alloc_bytes = 0;
	if (o->kv_alloc_mean_bytes < 0)
		o->kv_alloc_mean_bytes = 0;

	/* pool */
	double bpt = in->kv_bytes_per_token;
	o->pool_bytes = in->pool_bytes;
	o->pool_tokens = in->pool_tokens;
	if (isnan(o->pool_bytes) && o->pool_tokens > 0 && bpt > 0)
		o->pool_bytes = o->pool_tokens * bpt;
	if (isnan(o->pool_bytes) && o->flat_prealloc &&
	    o->kv_alloc_bytes > 0)
		o->pool_bytes = o->kv_alloc_bytes; /* the reservation */
	if (isnan(o->pool_tokens) && o->pool_bytes > 0 && bpt > 0)
		o->pool_tokens = o->pool_bytes / bpt;

	o->kv_used_mean_bytes = o->kv_usage_mean * o->pool_bytes;
	o->kv_used_peak_bytes = o->kv_usage_peak * o->pool_bytes;

	o->naive_tok_s_per_gb = ratio(in->out_tok_s, in->used_peak_bytes / GB);
	o->tok_s_per_gb_alloc = ratio(in->out_tok_s, o->kv_alloc_bytes / GB);
	o->tok_s_per_gb_used = ratio(in->out_tok_s,
				     o->kv_used_mean_bytes / GB);

	double blk = in->block_tokens > 0 ? in->block_tokens : 1;
	double need = in->in_len + in->out_len;
	o->per_req_tokens = need > 0 ? ceil(need / blk) * blk : NAN;
	o->max_concurrency = floor(ratio(o->pool_tokens, o->per_req_tokens));

	if (o->flat_prealloc) {
		snprintf(o->explain, sizeof(o->explain),
			 "Device memory stayed flat (idle %.2f GiB, window "
			 "peak %.2f GiB, +%.0f MiB) while the server reported "
			 "KV use up to %.1f%%: the server reserves its KV pool "
			 "at start-up (e.g. vLLM gpu_memory_utilization, "
			 "SGLang mem_fraction_static, TGI warm-up), so device "
			 "memory measures the reservation, not what the load "
			 "needed. The naive %.1f tok/s per GB of device memory "
			 "therefore says nothing about memory efficiency; use "
			 "KV actually used (mean %.2f GiB of a %.2f GiB pool, "
			 "%.1f tok/s per GB used) and the pool's capacity "
			 "(%.0f concurrent requests of %.0f tokens).",
			 in->idle_used_bytes / GIB, in->used_peak_bytes / GIB,
			 growth / 1048576.0, 100 * o->kv_usage_peak,
			 o->naive_tok_s_per_gb, o->kv_used_mean_bytes / GIB,
			 o->pool_bytes / GIB, o->tok_s_per_gb_used,
			 o->max_concurrency, o->per_req_tokens);
	}
	return 0;
}

json_t *memeff_to_json(const struct memeff_out *o)
{
	json_t *j = json_object();
#define N(k) json_object_set_new(j, #k, tjson_num(o->k))
	N(weights_bytes);
	json_object_set_new(j, "weights_src", json_string(o->weights_src));
	N(overhead_bytes);
	N(kv_alloc_bytes);
	N(kv_alloc_mean_bytes);
	N(pool_bytes);
	N(pool_tokens);
	N(kv_usage_mean);
	N(kv_usage_peak);
	N(kv_used_mean_bytes);
	N(kv_used_peak_bytes);
	N(naive_tok_s_per_gb);
	N(tok_s_per_gb_alloc);
	N(tok_s_per_gb_used);
	N(per_req_tokens);
	N(max_concurrency);
#undef N
	json_object_set_new(j, "flat_prealloc",
			    json_boolean(o->flat_prealloc));
	if (o->flat_prealloc)
		json_object_set_new(j, "explain", json_string(o->explain));
	return j;
}
