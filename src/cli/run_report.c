/* run_report.c - summary, table, results files and exit code of a run. */
#include "cli/run_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/commands.h"
#include "core/msg.h"
#include "core/version.h"
#include "core/xmalloc.h"
#include "results/csv.h"
#include "results/json.h"
#include "results/requeue.h"
#include "proto/proto.h"
#include "results/table.h"

int report_cfg_parse(struct summary_config *c, const char *pcts,
		     const char *metrics, const char *slo)
{
	summary_config_init(c);
	if (pcts && summary_config_set_pcts(c, pcts)) {
		errorf("--percentiles '%s': expected numbers in 0..100, "
		       "comma-separated",
		       pcts);
		return -EINVAL;
	}
	if (metrics && summary_config_set_metrics(c, metrics)) {
		errorf("--percentile-metrics '%s': expected a list of "
		       "ttft,tpot,itl,e2el",
		       metrics);
		return -EINVAL;
	}
	if (!slo || !*slo)
		return 0;
	char *dup = xstrdup(slo), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(dup, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':'), *end;
		double ms = colon ? strtod(colon + 1, &end) : -1;
		if (!colon || end == colon + 1 || *end || !(ms > 0)) {
			rc = -EINVAL;
			break;
		}
		*colon = '\0';
		if (!strcmp(t, "ttft"))
			c->slo_ttft_s = ms / 1e3;
		else if (!strcmp(t, "tpot"))
			c->slo_tpot_s = ms / 1e3;
		else if (!strcmp(t, "e2el"))
			c->slo_e2el_s = ms / 1e3;
		else {
			rc = -EINVAL;
			break;
		}
	}
	free(dup);
	if (rc)
		errorf("--slo '%s': expected ttft:MS,tpot:MS,e2el:MS with "
		       "positive milliseconds",
		       slo);
	return rc;
}

/* A header whose value must never reach a file. */
static int secret_header(const char *h)
{
	static const char *const names[] = {"authorization", "api-key",
					    "x-api-key", "proxy-authorization",
					    "cookie"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);
		if (!strncasecmp(h, names[i], n) && h[n] == ':')
			return 1;
	}
	return 0;
}

static json_t *redacted_argv(int argc, char **argv)
{
	json_t *a = json_array();
	json_array_append_new(a, json_string("infbench"));
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		if (secret_header(s)) {
			const char *c = strchr(s, ':');
			char *r = xasprintf("%.*s: <redacted>", (int)(c - s), s);
			json_array_append_new(a, json_string(r));
			free(r);
		} else {
			char *clean = results_utf8_clean(s, strlen(s));
			json_array_append_new(a, json_string(clean));
			free(clean);
		}
	}
	return a;
}

void report_add_provenance(json_t *meta, int argc, char **argv,
			   const char *label)
{
	json_object_set_new(meta, "infbench_version",
			    json_string(INFBENCH_VERSION));
	json_object_set_new(meta, "git_revision", json_string(version_git()));
	json_object_set_new(meta, "command_line", redacted_argv(argc, argv));
	if (label)
		json_object_set_new(meta, "label", json_string(label));
}

void report_add_workload(json_t *c, const struct run_config *cfg)
{
	char in[128], outl[128];
	dist_format(&cfg->in_dist, in, sizeof(in));
	dist_format(&cfg->out_dist, outl, sizeof(outl));
	json_object_set_new(c, "input_len", json_string(in));
	json_object_set_new(c, "output_len", json_string(outl));
	json_object_set_new(c, "num_requests",
			    json_integer(cfg->num_requests));
	json_object_set_new(c, "duration_s", json_real(cfg->duration_s));
	json_object_set_new(c, "warmup", json_integer(cfg->warmup));
	json_object_set_new(c, "concurrency", json_integer(cfg->concurrency));
	json_object_set_new(c, "request_rate",
			    isinf(cfg->arrivals.rate)
				    ? json_string("inf")
				    : json_real(cfg->arrivals.rate));
	json_object_set_new(c, "arrival",
			    json_string(cfg->arrivals.kind == SCHED_POISSON
						? "poisson"
					: cfg->arrivals.kind == SCHED_CONSTANT
						? "constant"
						: "gamma"));
	json_object_set_new(c, "burstiness",
			    isinf(cfg->arrivals.shape)
				    ? json_string("inf")
				    : json_real(cfg->arrivals.shape));
	json_object_set_new(c, "seed", json_integer((json_int_t)cfg->seed));
}

/* run.distributed: one object per MPI rank (host, share, clock offset,
 * what it returned, its own self-check) and what was not run. */
static json_t *distributed_json(const struct run_output *out)
{
	json_t *d = json_object(), *hosts = json_array(), *lost = json_array();
	for (int r = 0; r < out->n_ranks; r++) {
		const struct run_rank *k = &out->ranks[r];
		json_t *h = json_object();
		json_object_set_new(h, "rank", json_integer(r));
		json_object_set_new(h, "host", json_string(k->host));
		json_object_set_new(h, "ran", json_boolean(k->runs));
		json_object_set_new(h, "reported", json_boolean(k->reported));
		json_object_set_new(h, "failed", json_boolean(k->status != 0));
		json_object_set_new(h, "reason", k->why[0] ? json_string(k->why)
							   : json_null());
		json_object_set_new(h, "threads", json_integer(k->threads));
		json_object_set_new(h, "concurrency_share",
				    json_integer(k->cap));
		json_object_set_new(h, "clock_offset_us",
				    json_real((double)k->clock_offset_ns / 1e3));
		json_object_set_new(h, "clock_rtt_us",
				    json_real((double)k->clock_rtt_ns / 1e3));
		json_object_set_new(h, "t0_skew_same_host_us",
				    k->t0_skew_ns == INT64_MIN
					    ? json_null()
					    : json_real((double)k->t0_skew_ns /
							1e3));
		json_object_set_new(h, "measured_requests",
				    json_integer((json_int_t)k->n_recs));
		json_object_set_new(h, "not_run",
				    json_integer((json_int_t)k->n_not_run));
		json_object_set_new(h, "interrupted",
				    json_boolean(k->interrupted));
		json_t *c = json_object();
		json_object_set_new(c, "client_limited",
				    json_boolean(k->self.client_limited));
		json_object_set_new(c, "reason",
				    k->self.client_limited
					    ? json_string(k->self.why)
					    : json_null());
		json_object_set_new(c, "send_lateness_p99_us",
				    json_real((double)k->self.lateness_p99_ns /
					      1e3));
		json_object_set_new(c, "client_cpu_s", json_real(k->self.cpu_s));
		json_object_set_new(c, "client_busy_fraction",
				    json_real(k->self.cpu_busy_frac));
		json_object_set_new(h, "client_check", c);
		json_array_append_new(hosts, h);
		if (!k->reported)
			json_array_append_new(lost, json_integer(r));
	}
	json_object_set_new(d, "ranks", json_integer(out->n_ranks));
	json_object_set_new(d, "hosts", hosts);
	json_object_set_new(d, "not_run_requests",
			    json_integer((json_int_t)out->n_not_run));
	json_object_set_new(d, "unreported_ranks", lost);
	json_object_set_new(
		d, "t0",
		json_string("rank 0's wall clock + 100 ms after the start "
			    "vote, mapped onto each rank's monotonic clock "
			    "with its measured offset (error <= rtt/2)"));
	json_object_set_new(
		d, "merge",
		json_string("records of every rank sorted by id; ids without "
			    "a record are not_sent naming their rank; "
			    "client_check: sums and maxima, send lateness p99 "
			    "= max over ranks"));
	return d;
}

/* The per-request id header ("Name: prefix", run.h) as {header, prefix,
 * warmup_prefix}: request N sent prefix + N, warm-up request N prefix +
 * "w" + N. A distributed run's other ranks draw their own tag. */
static json_t *request_id_json(const char *line)
{
	const char *colon = line ? strstr(line, ": ") : NULL;
	if (!colon)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "header",
			    json_stringn(line, (size_t)(colon - line)));
	json_object_set_new(o, "prefix", json_string(colon + 2));
	char *w = xasprintf("%sw", colon + 2);
	json_object_set_new(o, "warmup_prefix", json_string(w));
	free(w);
	return o;
}

void report_add_meta(json_t *meta, int argc, char **argv,
		     const struct run_config *cfg, const struct run_output *out,
		     const char *model, long long max_ctx, const char *label)
{
	report_add_provenance(meta, argc, argv, label);
	json_t *c = json_object();
	json_object_set_new(c, "api", json_string(cfg->api->name));
	json_object_set_new(c, "url", json_string(cfg->gen_url));
	json_object_set_new(c, "model", model ? json_string(model) : json_null());
	json_object_set_new(c, "max_model_len",
			    max_ctx > 0 ? json_integer(max_ctx) : json_null());
	report_add_workload(c, cfg);
	json_object_set_new(c, "threads", json_integer(out->threads));
	json_object_set_new(c, "ignore_eos", json_boolean(cfg->ignore_eos));
	json_object_set_new(c, "continuous_usage",
			    json_boolean(cfg->continuous_usage));
	json_object_set_new(c, "api_flavour",
			    cfg->api->flavour ? json_string(cfg->api->flavour)
					      : json_null());
	json_object_set_new(c, "force_length",
			    json_boolean(cfg->api->force_len));
	json_object_set_new(c, "count_source",
			    cfg->api->counts ? json_string(cfg->api->counts)
					     : json_null());
	json_object_set_new(c, "prompt_source",
			    json_string("synthetic words (estimate)"));
	json_object_set_new(meta, "config", c);
	/* beside the configuration: the tag differs between repeats */
	json_object_set_new(meta, "request_id", request_id_json(cfg->request_id));
	json_object_set_new(meta, "t0_unix_s",
			    json_real((double)out->t0_wall_ns / 1e9));
	json_object_set_new(meta, "ranks",
			    json_integer(out->n_ranks > 0 ? out->n_ranks : 1));
	if (out->n_ranks > 1 && out->ranks)
		json_object_set_new(meta, "distributed", distributed_json(out));

	const struct run_selfcheck *sc = &out->self;
	json_t *s = json_object();
	json_object_set_new(s, "client_limited",
			    json_boolean(sc->client_limited));
	json_object_set_new(s, "reason",
			    sc->client_limited ? json_string(sc->why)
					       : json_null());
	json_object_set_new(s, "send_lateness_p99_us",
			    json_real((double)sc->lateness_p99_ns / 1e3));
	json_object_set_new(s, "send_lateness_max_us",
			    json_real((double)sc->lateness_max_ns / 1e3));
	json_object_set_new(s, "send_lateness_samples",
			    json_integer((json_int_t)sc->lateness_n));
	json_object_set_new(s, "wake_to_timestamp_max_us",
			    json_real((double)sc->stamp_delay_max_ns / 1e3));
	json_object_set_new(s, "wake_to_timestamp_mean_us",
			    json_real(sc->stamp_delay_mean_ns / 1e3));
	json_object_set_new(s, "loop_timer_lag_max_us",
			    json_real((double)sc->timer_lag_max_ns / 1e3));
	json_object_set_new(s, "loop_timer_lag_mean_us",
			    json_real(sc->timer_lag_mean_ns / 1e3));
	json_object_set_new(s, "client_cpu_s", json_real(sc->cpu_s));
	json_object_set_new(s, "client_cpu_us_per_chunk",
			    json_real(sc->cpu_us_per_chunk));
	json_object_set_new(s, "client_busy_fraction",
			    json_real(sc->cpu_busy_frac));
	json_object_set_new(s, "chunks", json_integer((json_int_t)sc->chunks));
	json_object_set_new(s, "http_client",
			    json_string(sc->native_transfers && sc->curl_transfers
						? "mixed"
					: sc->curl_transfers ? "curl"
							     : "native"));
	json_object_set_new(s, "native_connections",
			    json_integer((json_int_t)sc->connections));
	json_object_set_new(s, "peak_rss_kib", json_integer(sc->peak_rss_kib));
	json_object_set_new(meta, "client_check", s);
}

/* fingerprint.workload: what was run, beside what it ran on. The tokenizer
 * hash is null: prompts are synthesized by estimate, no tokenizer is
 * loaded. */
static void fingerprint_workload(json_t *fp, json_t *meta)
{
	json_t *cfg = json_object_get(meta, "config");
	json_t *w = json_object();
	json_object_set(w, "model", json_object_get(cfg, "model")
					    ? json_object_get(cfg, "model")
					    : json_null());
	json_object_set_new(w, "tokenizer_hash", json_null());
	json_t *cl = json_object_get(meta, "command_line");
	json_object_set(w, "command_line", cl ? cl : json_null());
	if (json_object_get(meta, "repeat_of"))
		json_object_set(w, "repeat_of",
				json_object_get(meta, "repeat_of"));
	json_object_set_new(w, "scenario",
			    cfg ? json_deep_copy(cfg) : json_null());
	json_t *seeds = json_object();
	json_object_set(seeds, "seed", json_object_get(cfg, "seed")
					       ? json_object_get(cfg, "seed")
					       : json_null());
	json_object_set_new(w, "seeds", seeds);
	json_object_set_new(fp, "workload", w);
}

/* Requests that stopped short of their target: the comparison they bias. */
static void shortfall_check(const struct summary *s, json_t *meta)
{
	const struct summary_outlen_check *o = &s->outlen;
	if (!o->n_short)
		return;
	double deficit = o->mean_shortfall * (double)o->n_short;
	double asked = (double)s->total_output_tokens + deficit;
	double pct = asked > 0 ? 100 * deficit / asked : 0;
	warnf("%zu of %zu requests stopped short of their --output-len (mean "
	      "shortfall %.1f tokens; %.1f%% of the requested output never "
	      "generated): the server ended them early (EOS/stop), so they "
	      "did less work than requests forced to full length - request "
	      "throughput and E2E latency look better, and output tok/s is "
	      "not comparable with a server run at exact length",
	      o->n_short, o->n_checked, o->mean_shortfall, pct);
	if (meta) {
		json_t *j = json_object();
		json_object_set_new(j, "n_short", json_integer((json_int_t)o->n_short));
		json_object_set_new(j, "missing_tokens", json_real(deficit));
		json_object_set_new(j, "missing_pct", json_real(pct));
		json_object_set_new(meta, "output_shortfall", j);
	}
}

/* TGI 3.x: a stall every requeue_tok tokens (queue + re-prefill). */
static void requeue_report(const struct run_output *out, json_t *meta)
{
	json_t *cfg = meta ? json_object_get(meta, "config") : NULL;
	const char *name = json_string_value(json_object_get(cfg, "api"));
	const struct proto_ops *api = name ? proto_find(name) : NULL;
	struct requeue_check rq;
	if (!api || api->requeue_tok <= 0 ||
	    requeue_check(out->recs, out->n, api->requeue_tok, &rq))
		return;
	json_t *j = json_object();
	json_object_set_new(j, "period_tokens", json_integer(rq.period_tok));
	json_object_set_new(j, "requests", json_integer((json_int_t)rq.n_requests));
	json_object_set_new(j, "boundaries",
			    json_integer((json_int_t)rq.n_boundaries));
	json_object_set_new(j, "gap_mean_ms", json_real(rq.gap_mean_s * 1e3));
	json_object_set_new(j, "gap_max_ms", json_real(rq.gap_max_s * 1e3));
	json_object_set_new(j, "itl_median_ms",
			    json_real(rq.itl_median_s * 1e3));
	json_object_set_new(j, "stall_mean_ms",
			    json_real(rq.stall_mean_s * 1e3));
	json_object_set_new(j, "detected", json_boolean(rq.detected));
	json_object_set_new(meta, "requeue_check", j);
	if (rq.detected)
		warnf("%s re-queue stall: %zu requests crossed %zu multiples of "
		      "%d tokens; the chunk after each waited %.1f ms on "
		      "average (max %.1f) vs a median %.2f ms per token "
		      "elsewhere: long outputs pay queue + prefill again",
		      api->name, rq.n_requests, rq.n_boundaries,
		      (int)rq.period_tok, rq.gap_mean_s * 1e3,
		      rq.gap_max_s * 1e3, rq.itl_median_s * 1e3);
	else if (rq.n_boundaries)
		notef("%s re-queue check: %zu crossings of %d tokens, no stall "
		      "(gap %.2f ms vs %.2f ms per token)",
		      api->name, rq.n_boundaries, (int)rq.period_tok,
		      rq.gap_mean_s * 1e3, rq.itl_median_s * 1e3);
}

int report_run(const struct summary_config *c, const struct run_output *out,
	       json_t *meta, const char *label, const char *result,
	       const char *csv, double max_error_rate, struct rtel *tel,
	       struct rtel_run *rr)
{
	struct summary s;
	json_t *doc = NULL;
	int rc = EXIT_OK;
	if (summary_compute(&s, out->recs, out->n, out->tok_counts,
			    out->duration_ns, c)) {
		errorf("could not summarise the run");
		return EXIT_FAIL;
	}
	results_table_print(stdout, label, &s);
	if (tel) {
		rr->out_tok_s = s.output_throughput;
		rtel_finish(tel, rr);
		if (rtel_fingerprint(tel))
			fingerprint_workload(rtel_fingerprint(tel), meta);
		rtel_print(tel, stdout);
	}
	fflush(stdout);
	shortfall_check(&s, meta);
	requeue_report(out, meta);
	if (out->self.client_limited)
		warnf("the client may have limited this run (%s); use more "
		      "--threads, fewer streams per host, or more hosts",
		      out->self.why);
	if (result) {
		struct results_json_opts o;
		results_json_opts_init(&o);
		o.meta = meta;
		o.interrupted = out->interrupted;
		doc = results_json_build(&s, out->recs, out->n, &o);
		if (doc && tel)
			rtel_add_json(tel, doc);
		int wrc = doc ? results_json_write(result, doc) : -EINVAL;
		if (wrc) {
			errorf("cannot write %s: %s", result, strerror(-wrc));
			rc = EXIT_FAIL;
		} else {
			notef("results: %s", result);
		}
	}
	if (csv) {
		int wrc = results_csv_save_requests(csv, &s, out->recs, out->n);
		if (wrc) {
			errorf("cannot write %s: %s", csv, strerror(-wrc));
			rc = EXIT_FAIL;
		} else {
			notef("per-request CSV: %s", csv);
		}
	}
	/* The error rate counts what reached the server: requests never sent
	 * or cancelled by an interrupt are not server failures. */
	size_t unsent = s.outcomes[REC_NOT_SENT] + s.outcomes[REC_CANCELLED];
	for (int r = 0; r < out->n_ranks && out->ranks; r++) {
		const struct run_rank *k = &out->ranks[r];
		if (!k->runs || !k->reported || k->status)
			warnf("rank %d (%s) %s: %s; %zu of its requests "
			      "recorded not_sent",
			      r, k->host,
			      !k->runs       ? "did not run"
			      : !k->reported ? "did not report"
					     : "failed",
			      k->why[0] ? k->why : "no reason given",
			      k->n_not_run);
	}
	size_t attempted = s.corr.attempts;
	size_t failed = s.failed - unsent;
	double err_rate =
		attempted ? (double)failed / (double)attempted : 0.0;
	if (failed)
		warnf("%zu of %zu requests failed (%.1f%%)", failed, attempted,
		      err_rate * 100);
	if (unsent > out->n_not_run)
		warnf("%zu requests not completed because the run was "
		      "interrupted (recorded as not_sent/cancelled)",
		      unsent - out->n_not_run);
	if (rc == EXIT_OK && err_rate > max_error_rate) {
		errorf("error rate %.1f%% exceeds --max-error-rate %.1f%%",
		       err_rate * 100, max_error_rate * 100);
		rc = EXIT_ERROR_RATE;
	}
	json_decref(doc);
	summary_free(&s);
	return rc;
}
