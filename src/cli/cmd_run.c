/* cmd_run.c - `infbench run`: drive one server's streaming API.
 *
 * Owns the run command's option table, its validation, target discovery
 * (model and context length from /v1/models or /info) and the hand-off:
 * config -> engine/run -> results summary -> table, JSON, CSV. Exit codes
 * in cli/commands.h.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/run_report.h"
#include "cli/wl_opts.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/version.h"
#include "core/xmalloc.h"
#include "engine/run.h"
#include "net/client.h"

struct run_opts {
	char *url, *api, *endpoint, *model;
	char *input_len, *output_len;
	long long num_requests, warmup, concurrency, seed, reserve_cores;
	double duration_s, rate, burstiness;
	char *arrival, *threads;
	struct opt_list headers;
	char *api_key_env;
	int insecure;
	double connect_timeout_s, first_token_timeout_s, timeout_s;
	double drain_timeout_s, wait_ready_s;
	int ignore_eos, min_tokens, continuous_usage, save_text, save;
	double temperature;
	char *extra_body;
	char *result, *csv, *label;
	char *percentiles, *percentile_metrics, *slo;
	double max_error_rate;
	int verbose, quiet;
	struct wl_opts wl; /* datasets, traces, tokenizer (cli/wl_opts.h) */
};

#define O(f) offsetof(struct run_opts, f)
static const struct opt run_table[] = {
	{"url", 'u', OPT_STR, O(url), NULL, "URL",
	 "server base URL (http[s]://host:port) or full generation URL",
	 "base-url", "INFBENCH_URL"},
	{"api", 0, OPT_STR, O(api), "openai-completions", "API",
	 "openai-completions | openai-chat | tgi", "backend", NULL},
	{"endpoint", 0, OPT_STR, O(endpoint), NULL, "PATH",
	 "generation route (default: the API's, e.g. /v1/completions)", NULL,
	 NULL},
	{"model", 'm', OPT_STR, O(model), NULL, "NAME",
	 "model name (default: first entry of /v1/models or TGI /info)", NULL,
	 NULL},
	{"input-len", 'i', OPT_STR, O(input_len), "1024", "DIST",
	 "prompt tokens: N | N,N,.. | uniform:LO:HI | normal:M:SD | "
	 "lognormal:M:SD",
	 "random-input-len", NULL},
	{"output-len", 'o', OPT_STR, O(output_len), "128", "DIST",
	 "output tokens (max_tokens), same forms as --input-len",
	 "random-output-len", NULL},
	{"num-requests", 'n', OPT_INT, O(num_requests), "1000", "N",
	 "measured requests", "num-prompts", NULL},
	{"duration", 'd', OPT_DURATION, O(duration_s), NULL, "TIME",
	 "run for this long instead of a request count", NULL, NULL},
	{"warmup", 0, OPT_INT, O(warmup), "0", "N",
	 "warm-up requests before the measurement (excluded from stats)",
	 "num-warmups", NULL},
	{"concurrency", 'c', OPT_INT, O(concurrency), "0", "N",
	 "closed loop: at most N requests in flight (0 = no cap)",
	 "max-concurrency", NULL},
	{"rate", 'r', OPT_DOUBLE, O(rate), "inf", "R",
	 "open loop: requests per second on absolute deadlines (inf = all "
	 "at once)",
	 "request-rate", NULL},
	{"arrival", 0, OPT_STR, O(arrival), "poisson", "KIND",
	 "arrival process for --rate: poisson | gamma:K | constant", NULL,
	 NULL},
	{"burstiness", 0, OPT_DOUBLE, O(burstiness), NULL, "K",
	 "vLLM spelling of --arrival gamma:K", NULL, NULL},
	{"seed", 's', OPT_INT, O(seed), "0", "N",
	 "seed for lengths, prompts and arrivals", NULL, NULL},
	{"threads", 't', OPT_STR, O(threads), "auto", "N|auto",
	 "client worker threads (auto: cores minus --reserve-cores, capped "
	 "by concurrency)",
	 NULL, NULL},
	{"reserve-cores", 0, OPT_INT, O(reserve_cores), "0", "N",
	 "cores to leave free for other work (e.g. a local server)", NULL,
	 NULL},
	{"header", 'H', OPT_LIST, O(headers), NULL, "'K: V'",
	 "extra request header (repeatable)", NULL, NULL},
	{"api-key-env", 0, OPT_STR, O(api_key_env), "OPENAI_API_KEY", "VAR",
	 "environment variable holding a bearer token (never printed)", NULL,
	 NULL},
	{"insecure", 'k', OPT_BOOL, O(insecure), "0", NULL,
	 "do not verify TLS certificates", NULL, NULL},
	{"connect-timeout", 0, OPT_DURATION, O(connect_timeout_s), "10s", NULL,
	 "TCP/TLS connect timeout", NULL, NULL},
	{"first-token-timeout", 0, OPT_DURATION, O(first_token_timeout_s),
	 "0", NULL, "fail a request with no token after this long (0 = off)",
	 NULL, NULL},
	{"timeout", 0, OPT_DURATION, O(timeout_s), "10m", NULL,
	 "total time limit per request (0 = none)", NULL, NULL},
	{"drain-timeout", 0, OPT_DURATION, O(drain_timeout_s), "10s", NULL,
	 "after Ctrl-C, wait this long for in-flight requests", NULL, NULL},
	{"wait-ready", 0, OPT_DURATION, O(wait_ready_s), "0", NULL,
	 "retry server discovery for up to this long before starting", NULL,
	 NULL},
	{"ignore-eos", 0, OPT_BOOL, O(ignore_eos), "1", NULL,
	 "ask for exactly --output-len tokens (ignore_eos)", NULL, NULL},
	{"min-tokens", 0, OPT_BOOL, O(min_tokens), "0", NULL,
	 "also send min_tokens = max_tokens", NULL, NULL},
	{"continuous-usage", 0, OPT_BOOL, O(continuous_usage), "1", NULL,
	 "request per-chunk token counts (stream_options."
	 "continuous_usage_stats)",
	 NULL, NULL},
	{"temperature", 0, OPT_DOUBLE, O(temperature), NULL, "X",
	 "sampling temperature (default: not sent)", NULL, NULL},
	{"extra-body", 0, OPT_STR, O(extra_body), NULL, "JSON",
	 "JSON object merged into every request body", NULL, NULL},
	{"save-text", 0, OPT_BOOL, O(save_text), "0", NULL,
	 "keep generated text in the results", NULL, NULL},
	{"result", 0, OPT_STR, O(result), NULL, "FILE",
	 "results JSON (default infbench-results/run-<time>.json)",
	 "save-result,result-filename", NULL},
	{"csv", 0, OPT_STR, O(csv), NULL, "FILE",
	 "per-request CSV (default: next to the results JSON)", NULL, NULL},
	{"save", 0, OPT_BOOL, O(save), "1", NULL,
	 "write the results JSON and CSV", NULL, NULL},
	{"label", 'l', OPT_STR, O(label), NULL, "NAME",
	 "scenario name in the table and results", NULL, NULL},
	{"percentiles", 0, OPT_STR, O(percentiles), "50,90,95,99,99.9", "LIST",
	 "percentiles to report", "metric-percentiles", NULL},
	{"percentile-metrics", 0, OPT_STR, O(percentile_metrics),
	 "ttft,tpot,itl,e2el", "LIST", "metrics given percentile keys", NULL,
	 NULL},
	{"slo", 0, OPT_STR, O(slo), NULL, "SPEC",
	 "goodput SLOs in ms, e.g. ttft:200,tpot:50,e2el:1000", "goodput",
	 NULL},
	{"max-error-rate", 0, OPT_DOUBLE, O(max_error_rate), "1", "X",
	 "exit 3 when failed/attempted exceeds X (0..1)", NULL, NULL},
	{"verbose", 'v', OPT_COUNT, O(verbose), NULL, NULL,
	 "more diagnostics (-vv: libcurl's too)", NULL, NULL},
	{"quiet", 'q', OPT_BOOL, O(quiet), "0", NULL, "only errors on stderr",
	 NULL, NULL},
	WL_OPTS(struct run_opts, wl),
	OPT_END,
};
#undef O

static const struct opts_cmd run_cmd = {
	"run",
	"infbench run --url URL [--api openai-completions|openai-chat|tgi] "
	"[options]",
	"Drive a server's streaming API with a synthetic workload, time every "
	"chunk, account for every request, and report vLLM-compatible and "
	"corrected metrics.",
	run_table,
	0,
	0,
};

/* Split URL into base (scheme://host[:port]) and path. */
static int split_url(const char *url, char **base, char **path)
{
	const char *p = strstr(url, "://");
	if (!p || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return -EINVAL;
	p += 3;
	if (!*p || *p == '/')
		return -EINVAL;
	const char *slash = strchr(p, '/');
	if (!slash) {
		*base = xstrdup(url);
		*path = xstrdup("");
	} else {
		*base = xstrndup(url, (size_t)(slash - url));
		*path = xstrdup(slash);
	}
	size_t n = strlen(*path);
	if (n == 1) /* "/" */
		(*path)[0] = '\0';
	return 0;
}

static int auto_threads(const struct run_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long t = (ncpu > 0 ? ncpu : 1) - o->reserve_cores;
	if (t < 1)
		t = 1;
	/* One loop holds hundreds of streams; more threads than needed only
	 * add scheduling noise. */
	long want = o->concurrency > 0 ? (long)((o->concurrency + 255) / 256)
				       : t;
	if (want < t)
		t = want;
	return (int)(t < 1 ? 1 : t);
}

/* Discover the model and context length. Fills meta["server"]. */
static int discover(const char *base, const struct proto_ops *api,
		    const struct curl_slist *hdrs, int insecure, double wait_s,
		    char **model, long long *max_ctx, json_t *server)
{
	int tgi = api == &proto_tgi;
	char *url = xasprintf("%s%s", base, tgi ? "/info" : "/v1/models");
	int rc = -EIO;
	int64_t give_up = clock_now_ns() + (int64_t)(wait_s * 1e9);
	char *err = NULL;
	long status = 0;
	struct buf body;
	buf_init(&body, 1u << 20);
	for (;;) {
		free(err);
		err = NULL;
		buf_reset(&body);
		rc = http_fetch(url, hdrs, NULL, 10, insecure, &body, &status,
				&err);
		if (!rc && status == 200)
			break;
		if (clock_now_ns() >= give_up)
			break;
		clock_sleep_until_ns(clock_now_ns() + 250 * NS_PER_MS, NULL);
	}
	if (rc) {
		errorf("cannot reach %s: %s", url, err ? err : "error");
		goto out;
	}
	if (status != 200) {
		errorf("%s answered HTTP %ld%s", url, status,
		       *model ? "" : " (pass --model to skip discovery)");
		rc = -EIO;
		goto out;
	}
	json_error_t jerr;
	json_t *j = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
	if (!j) {
		errorf("%s returned invalid JSON: %s", url, jerr.text);
		rc = -EINVAL;
		goto out;
	}
	json_object_set_new(server, tgi ? "info" : "v1_models", j);
	if (tgi) {
		const char *id =
			json_string_value(json_object_get(j, "model_id"));
		json_t *mt = json_object_get(j, "max_total_tokens");
		if (id && !*model)
			*model = xstrdup(id);
		if (json_is_integer(mt))
			*max_ctx = json_integer_value(mt);
	} else {
		json_t *d0 = json_array_get(json_object_get(j, "data"), 0);
		const char *id = json_string_value(json_object_get(d0, "id"));
		json_t *ml = json_object_get(d0, "max_model_len");
		if (!*model) {
			if (!id) {
				errorf("%s lists no model; pass --model", url);
				rc = -EINVAL;
				goto out;
			}
			*model = xstrdup(id);
		}
		if (json_is_integer(ml))
			*max_ctx = json_integer_value(ml);
	}
	rc = 0;
out:
	free(err);
	free(url);
	buf_free(&body);
	return rc;
}

static char *default_result_path(void)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", &tm);
	mkdir("infbench-results", 0755);
	return xasprintf("infbench-results/run-%s.json", ts);
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct run_config cfg;
	struct run_output out;
	struct curl_slist *hdrs = NULL;
	char *base = NULL, *path = NULL, *gen_url = NULL, *model = NULL;
	char *err = NULL, *result = NULL, *csv = NULL;
	json_t *meta = NULL;
	int rc = EXIT_USAGE;
	const char *why;
	long long max_ctx = 0;
	struct wl_ctx wl = {0};
	struct wl_in wli = {0};

	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg));
	memset(&out, 0, sizeof(out));
	o.temperature = NAN;
	int prc = opts_parse(&run_cmd, argc, argv, &o, NULL, NULL);
	if (prc) {
		rc = prc > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	msg_level = o.quiet ? MSG_QUIET : o.verbose ? MSG_VERBOSE : MSG_NORMAL;

	/* Validation: one line naming the problem. */
	if (!o.url) {
		errorf("run: --url is required (e.g. --url "
		       "http://127.0.0.1:8000)");
		goto out;
	}
	if (split_url(o.url, &base, &path)) {
		errorf("run: --url '%s' is not an http:// or https:// URL with "
		       "a host",
		       o.url);
		goto out;
	}
	cfg.api = proto_find(o.api);
	if (!cfg.api) {
		errorf("run: unknown --api '%s' (known: %s)", o.api,
		       proto_names());
		goto out;
	}
	if (dist_parse(o.input_len, &cfg.in_dist, &why)) {
		errorf("run: --input-len '%s': %s", o.input_len, why);
		goto out;
	}
	if (dist_parse(o.output_len, &cfg.out_dist, &why)) {
		errorf("run: --output-len '%s': %s", o.output_len, why);
		goto out;
	}
	if (o.duration_s <= 0 && o.num_requests <= 0) {
		errorf("run: --num-requests must be > 0 (or give --duration)");
		goto out;
	}
	if (o.concurrency < 0 || o.warmup < 0) {
		errorf("run: --concurrency and --warmup must be >= 0");
		goto out;
	}
	if (!(o.rate > 0)) {
		errorf("run: --rate must be > 0 (use inf for all at once)");
		goto out;
	}
	if (sched_parse(o.arrival, &cfg.arrivals)) {
		errorf("run: --arrival '%s': expected poisson, gamma:K or "
		       "constant",
		       o.arrival);
		goto out;
	}
	if (opts_given(&run_cmd, "burstiness")) {
		char spec[64];
		snprintf(spec, sizeof(spec), "gamma:%g", o.burstiness);
		if (!(o.burstiness > 0) || sched_parse(spec, &cfg.arrivals)) {
			errorf("run: --burstiness must be > 0");
			goto out;
		}
	}
	if (isinf(o.rate) && o.concurrency == 0 && o.duration_s > 0) {
		errorf("run: --duration needs --rate or --concurrency (an "
		       "unbounded closed loop never ends)");
		goto out;
	}
	if (o.max_error_rate < 0 || o.max_error_rate > 1) {
		errorf("run: --max-error-rate must be within 0..1");
		goto out;
	}
	if (o.extra_body) {
		json_error_t jerr;
		json_t *x = json_loads(o.extra_body, 0, &jerr);
		int ok = x && json_is_object(x);
		json_decref(x);
		if (!ok) {
			errorf("run: --extra-body is not a JSON object");
			goto out;
		}
	}
	cfg.arrivals.rate = o.rate;
	cfg.arrivals.seed = (uint64_t)o.seed;
	if (!strcmp(o.threads, "auto")) {
		cfg.threads = auto_threads(&o);
	} else {
		char *end;
		long t = strtol(o.threads, &end, 10);
		if (*end || t < 1 || t > 256) {
			errorf("run: --threads must be auto or 1..256");
			goto out;
		}
		cfg.threads = (int)t;
	}
	struct summary_config rcfg;
	if (report_cfg_parse(&rcfg, o.percentiles, o.percentile_metrics,
			     o.slo))
		goto out;

	/* Headers: content type, auth from the environment, the user's. */
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	const char *key = o.api_key_env ? getenv(o.api_key_env) : NULL;
	if (key && *key) {
		char *h = xasprintf("Authorization: Bearer %s", key);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	for (size_t i = 0; i < o.headers.n; i++) {
		if (!strchr(o.headers.items[i], ':')) {
			errorf("run: --header '%s' is not 'Name: value'",
			       o.headers.items[i]);
			goto out;
		}
		hdrs = curl_slist_append(hdrs, o.headers.items[i]);
	}

	meta = json_object();
	json_t *server = json_object();
	json_object_set_new(meta, "server", server);
	model = o.model ? xstrdup(o.model) : NULL;
	rc = EXIT_FAIL;
	if (discover(base, cfg.api, hdrs, o.insecure, o.wait_ready_s, &model,
		     &max_ctx, server) &&
	    !model)
		goto out;
	gen_url = xasprintf("%s%s", base,
			    o.endpoint ? o.endpoint
			    : *path    ? path
				       : cfg.api->default_path);
	if (max_ctx > 0) {
		cfg.in_dist.max = (int32_t)(max_ctx - 1);
		if (dist_mean(&cfg.in_dist) + dist_mean(&cfg.out_dist) >
		    (double)max_ctx)
			warnf("mean input + output length exceeds the "
			      "server's context (%lld tokens): expect "
			      "rejections",
			      max_ctx);
	}

	cfg.gen_url = gen_url;
	cfg.headers = hdrs;
	cfg.model = model;
	cfg.num_requests = o.duration_s > 0 ? 0 : o.num_requests;
	cfg.duration_s = o.duration_s;
	cfg.warmup = o.warmup;
	cfg.concurrency = o.concurrency;
	cfg.seed = (uint64_t)o.seed;
	cfg.connect_timeout_s = o.connect_timeout_s;
	cfg.first_token_timeout_s = o.first_token_timeout_s;
	cfg.timeout_s = o.timeout_s;
	cfg.drain_timeout_s = o.drain_timeout_s;
	cfg.ignore_eos = o.ignore_eos && cfg.api != &proto_tgi;
	cfg.min_tokens = o.min_tokens;
	cfg.continuous_usage = o.continuous_usage && cfg.api != &proto_tgi;
	cfg.save_text = o.save_text;
	cfg.temperature = o.temperature;
	cfg.extra_body = o.extra_body;
	cfg.insecure = o.insecure;
	cfg.verbose = o.verbose;

	/* The workload plan: lengths, prompts, trace arrivals per id. */
	wli = (struct wl_in){"run", &run_cmd, &o.wl, &cfg, cfg.api, base,
			     model, hdrs, o.insecure,
			     opts_given(&run_cmd, "rate"), o.duration_s > 0};
	if (wl_build(&wli, max_ctx, 1, &wl)) {
		rc = EXIT_USAGE;
		goto out;
	}
	cfg.plan = wl.plan;
	if (plan_count(wl.plan) > 0)
		cfg.num_requests = plan_count(wl.plan);
	cfg.save_text = o.save_text || wl.tok; /* tokenizer output counts */

	if (o.save) {
		result = o.result ? xstrdup(o.result) : default_result_path();
		if (o.csv) {
			csv = xstrdup(o.csv);
		} else {
			size_t n = strlen(result);
			csv = n > 5 && !strcmp(result + n - 5, ".json")
				      ? xasprintf("%.*s.csv", (int)(n - 5),
						  result)
				      : xasprintf("%s.csv", result);
		}
	}

	notef("run: %s %s, model %s, %s requests, %d thread%s", cfg.api->name,
	      gen_url, model ? model : "(none)",
	      o.duration_s > 0 ? "duration-bound" : "count-bound", cfg.threads,
	      cfg.threads == 1 ? "" : "s");
	run_install_signals();
	int erc = run_execute(&cfg, &out, &err);
	if (erc) {
		errorf("run: %s", err ? err : "failed");
		if (!out.n)
			goto out;
	}
	if (out.interrupted)
		warnf("run interrupted: writing partial results");
	wl_after_run(&wl, &out, o.save_text);

	report_add_meta(meta, argc, argv, &cfg, &out, model, max_ctx, o.label);
	wl_add_meta(meta, &wli, &wl);
	rc = report_run(&rcfg, &out, meta, o.label ? o.label : "run", result,
			csv, o.max_error_rate);
	if (out.interrupted && rc == EXIT_OK)
		rc = EXIT_INTERRUPTED;
out:
	run_output_free(&out);
	wl_free(&wl);
	json_decref(meta);
	curl_slist_free_all(hdrs);
	free(base);
	free(path);
	free(gen_url);
	free(model);
	free(err);
	free(result);
	free(csv);
	opts_free(&run_cmd, &o);
	return rc;
}
