/* wl_opts.c - shared workload options: validation, plan, results meta. */
#include "cli/wl_opts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core/xmalloc.h"

static int srv_count(void *ud, const char *text, size_t len, int32_t *n,
		     char **err)
{
	return srvtok_count(ud, text, len, n, err);
}

/* "START:END" in seconds; END may be empty (open). */
static int parse_window(const char *s, double *a, double *b)
{
	char *end;
	const char *colon = strchr(s, ':');
	if (!colon)
		return -EINVAL;
	*a = colon == s ? 0 : strtod(s, &end);
	if (colon != s && end != colon)
		return -EINVAL;
	if (!colon[1]) {
		*b = -1;
	} else {
		*b = strtod(colon + 1, &end);
		if (*end || !(*b > *a))
			return -EINVAL;
	}
	return *a >= 0 && isfinite(*a) ? 0 : -EINVAL;
}

int wl_build(const struct wl_in *in, long long max_ctx, int need_prompts,
	     struct wl_ctx *ctx)
{
	const struct wl_opts *o = in->o;
	const char *cmd = in->cmd;
	struct plan_config pc;
	char *err = NULL;
	int rc = -EINVAL;
	memset(&pc, 0, sizeof(pc));
	ctx->win_end_s = -1;

	if (plan_mode_parse(o->prompt_mode, &ctx->mode)) {
		errorf("%s: --prompt-mode '%s': expected text, ids or "
		       "server-tokenize",
		       cmd, o->prompt_mode);
		goto out;
	}
	if (ctx->mode == PLAN_MODE_IDS && in->api &&
	    strcmp(in->api->name, "openai-completions")) {
		errorf("%s: --prompt-mode ids needs --api openai-completions "
		       "(%s takes text prompts)",
		       cmd, in->api->name);
		goto out;
	}
	if (ctx->mode == PLAN_MODE_SERVER && !in->base_url) {
		errorf("%s: --prompt-mode server-tokenize needs a server "
		       "(infbench run)",
		       cmd);
		goto out;
	}
	if (o->trace) {
		if (trace_format_parse(o->trace, &pc.trace_fmt) ||
		    pc.trace_fmt == TRACE_JSONL) {
			errorf("%s: --trace '%s': expected azure, mooncake or "
			       "burstgpt (JSONL workloads: --dataset jsonl)",
			       cmd, o->trace);
			goto out;
		}
		if (!o->trace_path) {
			errorf("%s: --trace %s needs --trace-path FILE", cmd,
			       o->trace);
			goto out;
		}
		pc.trace = 1;
		pc.trace_path = o->trace_path;
	} else if (o->trace_path) {
		errorf("%s: --trace-path needs --trace azure|mooncake|burstgpt",
		       cmd);
		goto out;
	}
	int timed = o->trace || (o->dataset && !strcmp(o->dataset, "jsonl"));
	if (!timed && (opts_given(in->oc, "trace-window") ||
		       opts_given(in->oc, "trace-speedup") ||
		       opts_given(in->oc, "trace-rate-scale"))) {
		errorf("%s: --trace-window, --trace-speedup and "
		       "--trace-rate-scale apply to --trace (or a timed "
		       "--dataset jsonl)",
		       cmd);
		goto out;
	}
	if (o->trace_window &&
	    parse_window(o->trace_window, &ctx->win_start_s, &ctx->win_end_s)) {
		errorf("%s: --trace-window '%s': expected START:END seconds "
		       "with 0 <= START < END (END may be empty)",
		       cmd, o->trace_window);
		goto out;
	}
	if (!(o->trace_speedup > 0) || isinf(o->trace_speedup) ||
	    !(o->trace_rate_scale > 0) || isinf(o->trace_rate_scale)) {
		errorf("%s: --trace-speedup and --trace-rate-scale must be "
		       "finite and > 0",
		       cmd);
		goto out;
	}
	if (o->max_context < 0 || o->max_context > INT32_MAX ||
	    o->prefix_len < 0 || o->prefix_len > INT32_MAX / 2 ||
	    o->num_prefixes < 1 || o->num_prefixes > PLAN_MAX_PREFIXES) {
		errorf("%s: --max-context and --prefix-len must be >= 0, "
		       "--num-prefixes within 1..%d",
		       cmd, PLAN_MAX_PREFIXES);
		goto out;
	}
	if (o->tokenizer) {
		ctx->tok = tok_load(o->tokenizer, &err);
		if (!ctx->tok) {
			errorf("%s: --tokenizer: %s", cmd, err);
			goto out;
		}
	}
	if (ctx->mode == PLAN_MODE_SERVER) {
		ctx->srv = srvtok_new(in->base_url, in->model,
				      in->api && !strcmp(in->api->name, "tgi")
					      ? SRVTOK_TGI
					      : SRVTOK_AUTO,
				      in->headers, in->insecure);
		ctx->counter.count = srv_count;
		ctx->counter.ud = ctx->srv;
	}
	pc.mode = ctx->mode;
	pc.tok = ctx->tok;
	pc.server = ctx->srv ? &ctx->counter : NULL;
	pc.dataset = o->dataset;
	pc.dataset_path = o->dataset_path;
	pc.in_dist = in->cfg->in_dist;
	pc.out_dist = in->cfg->out_dist;
	pc.in_given = opts_given(in->oc, "input-len");
	pc.out_given = opts_given(in->oc, "output-len");
	pc.range_ratio = o->range_ratio;
	pc.prefix_len = (int32_t)o->prefix_len;
	pc.num_prefixes = (int32_t)o->num_prefixes;
	pc.seed = in->cfg->seed;
	pc.num_requests = in->cfg->num_requests;
	pc.num_given = opts_given(in->oc, "num-requests");
	pc.warmup = in->cfg->warmup;
	pc.speedup = o->trace_speedup;
	pc.rate_scale = o->trace_rate_scale;
	pc.win_start_s = ctx->win_start_s;
	pc.win_end_s = ctx->win_end_s;
	pc.max_context = (int32_t)o->max_context;
	if (o->dataset_path && !o->dataset) {
		errorf("%s: --dataset-path needs --dataset sonnet|sharegpt|"
		       "jsonl",
		       cmd);
		goto out;
	}
	if ((rc = plan_new(&pc, &ctx->plan, &err))) {
		errorf("%s: %s", cmd, err);
		goto out;
	}
	if (plan_arrivals(ctx->plan) && (in->rate_given || in->duration_given)) {
		errorf("%s: a trace replay uses the trace's arrival times; "
		       "use --trace-speedup / --trace-window instead of "
		       "--rate / --duration",
		       cmd);
		rc = -EINVAL;
		goto out;
	}
	if (o->max_context > 0 && max_ctx > 0 && o->max_context > max_ctx)
		warnf("--max-context %lld exceeds the server's context (%lld "
		      "tokens): expect rejections",
		      o->max_context, max_ctx);
	if ((rc = plan_prepare(ctx->plan,
			       max_ctx > INT32_MAX ? INT32_MAX
						   : (int32_t)max_ctx,
			       need_prompts, &err))) {
		errorf("%s: %s", cmd, err);
		goto out;
	}
	const struct plan_stats *st = plan_stats(ctx->plan);
	if (st->rows_failed || st->rows_zero)
		notef("%s: %zu rows skipped: %zu failed (0 tokens in and "
		      "out), %zu with zero input or output tokens",
		      cmd, st->rows_failed + st->rows_zero, st->rows_failed,
		      st->rows_zero);
	if (st->truncated)
		notef("%s: %zu requests truncated to the %d-token context",
		      cmd, st->truncated, (int)st->max_context);
	if (st->fit_inexact)
		warnf("%s: %zu prompts could not be fitted exactly with the "
		      "server's /tokenize",
		      cmd, st->fit_inexact);
	rc = 0;
out:
	free(err);
	return rc;
}

void wl_free(struct wl_ctx *ctx)
{
	if (!ctx)
		return;
	plan_free(ctx->plan);
	srvtok_free(ctx->srv);
	tok_free(ctx->tok);
	memset(ctx, 0, sizeof(*ctx));
}

void wl_after_run(struct wl_ctx *ctx, struct run_output *out, int keep_text)
{
	double sum = 0;
	ctx->overhead_n = 0;
	for (size_t i = 0; i < out->n; i++) {
		const struct rec *r = &out->recs[i];
		if (r->warmup || r->outcome != REC_OK || r->prompt_tokens < 0)
			continue;
		sum += (double)r->prompt_tokens - r->in_len;
		ctx->overhead_n++;
	}
	ctx->overhead_mean = ctx->overhead_n ? sum / (double)ctx->overhead_n
					     : 0;
	if (!ctx->tok)
		return;
	free(out->tok_counts);
	out->tok_counts = xmalloc((out->n ? out->n : 1) * sizeof(int32_t));
	ctx->tok_counted = 0;
	for (size_t i = 0; i < out->n; i++) {
		struct rec *r = &out->recs[i];
		long long c = r->text ? tok_count(ctx->tok, r->text,
						  r->text_len, 0)
				      : -1;
		out->tok_counts[i] = c >= 0 && c <= INT32_MAX ? (int32_t)c : -1;
		enum rec_count_src src;
		rec_out_tokens(r, out->tok_counts[i], &src);
		if (!r->warmup && r->outcome == REC_OK &&
		    src == REC_COUNT_TOKENIZER)
			ctx->tok_counted++;
		if (!keep_text) {
			free(r->text);
			r->text = NULL;
			r->text_len = 0;
		}
	}
}

void wl_add_meta(json_t *meta, const struct wl_in *in,
		 const struct wl_ctx *ctx)
{
	const struct wl_opts *o = in->o;
	const struct plan_stats *st = plan_stats(ctx->plan);
	json_t *w = json_object();
	json_object_set_new(w, "source", json_string(st->source));
	json_object_set_new(w, "prompt_text", json_string(st->text));
	json_object_set_new(w, "prompt_mode",
			    json_string(plan_mode_name(ctx->mode)));
	json_object_set_new(w, "lengths_exact", json_boolean(st->exact));
	if (ctx->tok) {
		json_t *t = json_object();
		json_object_set_new(t, "path", json_string(o->tokenizer));
		json_object_set_new(t, "tok_hash",
				    json_string(tok_hash(ctx->tok)));
		json_object_set_new(t, "family",
				    json_string(tok_family_name(ctx->tok)));
		json_object_set_new(t, "special_tokens_added",
				    json_integer(st->n_special));
		json_object_set_new(w, "tokenizer", t);
		json_object_set_new(meta, "tok_hash",
				    json_string(tok_hash(ctx->tok)));
		json_object_set_new(w, "output_tokens_counted_by_tokenizer",
				    json_integer((json_int_t)ctx->tok_counted));
	}
	if (o->dataset) {
		json_t *d = json_object();
		json_object_set_new(d, "name", json_string(o->dataset));
		json_object_set_new(d, "path", o->dataset_path
						       ? json_string(o->dataset_path)
						       : json_null());
		if (st->rows_read) {
			json_object_set_new(d, "rows_read",
					    json_integer((json_int_t)st->rows_read));
			json_object_set_new(d, "rows_kept",
					    json_integer((json_int_t)st->rows_kept));
			json_object_set_new(
				d, "rows_filtered_by_length",
				json_integer((json_int_t)st->rows_filtered));
			json_object_set_new(
				d, "rows_skipped_empty",
				json_integer((json_int_t)st->rows_zero));
		}
		json_object_set_new(w, "dataset", d);
	}
	if (o->trace || (st->rows_in_window && plan_arrivals(ctx->plan))) {
		json_t *t = json_object();
		json_object_set_new(t, "format",
				    json_string(o->trace ? o->trace : "jsonl"));
		json_object_set_new(t, "path",
				    json_string(o->trace ? o->trace_path
							 : o->dataset_path));
		json_object_set_new(t, "rows_read",
				    json_integer((json_int_t)st->rows_read));
		json_object_set_new(t, "rows_skipped_failed",
				    json_integer((json_int_t)st->rows_failed));
		json_object_set_new(t, "rows_skipped_zero_tokens",
				    json_integer((json_int_t)st->rows_zero));
		json_object_set_new(t, "rows_in_window",
				    json_integer((json_int_t)st->rows_in_window));
		json_object_set_new(t, "rows_after_rate_scale",
				    json_integer((json_int_t)st->rows_scaled));
		json_object_set_new(t, "requests",
				    json_integer((json_int_t)st->rows_used));
		json_object_set_new(t, "window_start_s",
				    json_real(ctx->win_start_s));
		json_object_set_new(t, "window_end_s",
				    ctx->win_end_s >= 0
					    ? json_real(ctx->win_end_s)
					    : json_null());
		json_object_set_new(t, "speedup", json_real(o->trace_speedup));
		json_object_set_new(t, "rate_scale",
				    json_real(o->trace_rate_scale));
		json_object_set_new(t, "span_trace_s",
				    json_real(st->span_trace_s));
		json_object_set_new(t, "span_replayed_s", json_real(st->span_s));
		json_object_set_new(t, "rows_were_sorted",
				    json_boolean(st->sorted));
		json_object_set_new(t, "prefix_blocks",
				    st->has_hash
					    ? json_integer(
						      (json_int_t)st->hash_blocks)
					    : json_null());
		json_object_set_new(w, "trace", t);
	}
	json_object_set_new(w, "max_context",
			    st->max_context ? json_integer(st->max_context)
					    : json_null());
	json_object_set_new(w, "truncated_requests",
			    json_integer((json_int_t)st->truncated));
	if (o->prefix_len > 0) {
		json_t *p = json_object();
		json_object_set_new(p, "prefix_len", json_integer(o->prefix_len));
		json_object_set_new(p, "num_prefixes",
				    json_integer(o->num_prefixes));
		json_object_set_new(w, "shared_prefix", p);
	}
	if (o->range_ratio > 0)
		json_object_set_new(w, "range_ratio", json_real(o->range_ratio));
	if (ctx->srv) {
		json_t *s = json_object();
		json_object_set_new(s, "shape",
				    json_string(srvtok_shape_name(ctx->srv)));
		json_object_set_new(s, "calls",
				    json_integer((json_int_t)st->counter_calls));
		json_object_set_new(s, "prompts_not_exact",
				    json_integer((json_int_t)st->fit_inexact));
		json_object_set_new(w, "server_tokenize", s);
	}
	json_object_set_new(w, "prompts_precomputed",
			    json_integer((json_int_t)st->prompts_cached));
	if (ctx->overhead_n) {
		/* Chat APIs: what the server's template adds. */
		json_object_set_new(w, "server_minus_target_prompt_tokens_mean",
				    json_real(ctx->overhead_mean));
		if (in->api && !strcmp(in->api->name, "openai-chat"))
			json_object_set_new(w, "chat_template_overhead_tokens",
					    json_real(ctx->overhead_mean));
	}
	json_object_set_new(meta, "workload", w);
	json_t *c = json_object_get(meta, "config");
	if (c) {
		char *d = xasprintf("%s (%s, %s%s)", st->source, st->text,
				    plan_mode_name(ctx->mode),
				    st->exact ? ", exact lengths"
					      : ", estimated lengths");
		json_object_set_new(c, "prompt_source", json_string(d));
		free(d);
	}
}
