/* cmd_run.c - `infbench run`: drive one server's streaming API.
 *
 * Owns the run command's option table, its validation, `--from` (repeat a
 * stored run's command line with overrides), target discovery (model and
 * context length from /v1/models or /info) and the hand-off: config ->
 * telemetry start -> engine/run -> results summary -> table, JSON, CSV.
 * Exit codes in cli/commands.h.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/load_opts.h"
#include "cli/opts.h"
#include "cli/run_report.h"
#include "cli/run_telemetry.h"
#include "core/assert.h"
#include "cli/wl_opts.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/version.h"
#include "core/xmalloc.h"
#include "dist/dist.h"
#include "engine/run.h"
#include "net/client.h"
#include "proto/detect.h"
#include "server/http1.h"
#include "results/json.h"
#include "telemetry/tstat.h"

struct run_opts {
	char *url, *api, *endpoint, *model;
	char *input_len, *output_len;
	long long num_requests, warmup, concurrency, seed, reserve_cores;
	double duration_s, rate, burstiness;
	char *arrival, *threads;
	struct opt_list headers;
	char *request_id_header;
	char *api_key_env;
	int insecure;
	char *http_client;
	double connect_timeout_s, first_token_timeout_s, timeout_s;
	double drain_timeout_s, wait_ready_s;
	int ignore_eos, min_tokens, continuous_usage, save_text, save;
	double temperature;
	char *extra_body;
	char *result, *csv, *label;
	struct opt_list meta;
	char *percentiles, *percentile_metrics, *slo;
	double max_error_rate;
	char *metrics_url, *gpu, *from;
	double metrics_interval_s, gpu_interval_s, idle_baseline_s;
	long long server_pid;
	double weights_gb, kv_bytes_per_token, kv_pool_tokens;
	int verbose, quiet;
	struct wl_opts wl; /* datasets, traces, tokenizer (cli/wl_opts.h) */
};

#define O(f) offsetof(struct run_opts, f)
static const struct opt run_table[] = {
	{"url", 'u', OPT_STR, O(url), NULL, "URL",
	 "server base URL (http[s]://host:port) or full generation URL",
	 "base-url", "INFBENCH_URL"},
	{"api", 0, OPT_STR, O(api), "auto", "API",
	 "auto (probe the server's info routes) | openai-completions | "
	 "openai-chat | sglang-* | lmdeploy-* | trtllm-* | triton | tgi | "
	 "llamacpp | ollama (docs/ADAPTERS.md)",
	 "backend", NULL},
	{"endpoint", 0, OPT_STR, O(endpoint), NULL, "PATH",
	 "generation route (default: the API's, e.g. /v1/completions)", NULL,
	 NULL},
	{"model", 'm', OPT_STR, O(model), NULL, "NAME",
	 "model name (default: first entry of /v1/models or TGI /info)", NULL,
	 NULL},
	LOAD_LEN_OPTS(struct run_opts),
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
	LOAD_ARRIVAL_OPTS(struct run_opts),
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
	{"request-id-header", 0, OPT_STR, O(request_id_header),
	 "X-Request-Id", "NAME|none",
	 "send each request's id in this header as ib-<run tag>-<id> (w<id> "
	 "in warm-up), to match the results with the server's logs (vLLM "
	 "takes it as its request id); none = do not send; a --header of "
	 "that name is sent instead",
	 NULL, NULL},
	{"api-key-env", 0, OPT_STR, O(api_key_env), "OPENAI_API_KEY", "VAR",
	 "environment variable holding a bearer token (never printed)", NULL,
	 NULL},
	{"insecure", 'k', OPT_BOOL, O(insecure), "0", NULL,
	 "do not verify TLS certificates", NULL, NULL},
	{"http-client", 0, OPT_STR, O(http_client), "auto", "auto|native|curl",
	 "HTTP transport of the streams: native (infbench's own HTTP/1.1 "
	 "reader, plain http://, no proxy) or libcurl (TLS, proxies); auto = "
	 "native for http:// when no http_proxy/all_proxy is set",
	 NULL, NULL},
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
	{"meta", 0, OPT_LIST, O(meta), NULL, "KEY=VALUE",
	 "record KEY=VALUE under run.meta in the results (repeatable; sweep "
	 "passes a launched configuration's settings)", NULL, NULL},
	LOAD_REPORT_OPTS(struct run_opts),
	{"max-error-rate", 0, OPT_DOUBLE, O(max_error_rate), "1", "X",
	 "exit 3 when failed/attempted exceeds X (0..1)", NULL, NULL},
	{"metrics-url", 0, OPT_STR, O(metrics_url), NULL, "URL|none",
	 "server Prometheus metrics to scrape during the run (default "
	 "<base URL>/metrics; none = off)",
	 NULL, NULL},
	{"metrics-interval", 0, OPT_DURATION, O(metrics_interval_s), "1s",
	 NULL, "server metrics scrape interval", NULL, NULL},
	{"gpu", 0, OPT_STR, O(gpu), "nvml", "SRC",
	 "GPU telemetry: nvml (local, via dlopen) | dcgm:URL (DCGM exporter) "
	 "| none; without NVML the run goes on with a note",
	 NULL, NULL},
	{"gpu-interval", 0, OPT_DURATION, O(gpu_interval_s), "100ms", NULL,
	 "GPU sampling interval", NULL, NULL},
	{"server-pid", 0, OPT_INT, O(server_pid), "0", "PID",
	 "server process: its (and its children's) GPU memory is read and "
	 "used for memory efficiency (0 = all compute processes)",
	 NULL, NULL},
	{"idle-baseline", 0, OPT_DURATION, O(idle_baseline_s), NULL, NULL,
	 "sample the GPU this long before the run for the idle baseline "
	 "(default 1s with a GPU source, else 0)",
	 NULL, NULL},
	{"weights-gb", 0, OPT_DOUBLE, O(weights_gb), NULL, "GB",
	 "model weights on the GPUs in GB (1e9 B) for memory efficiency "
	 "(default: the idle baseline stands in)",
	 NULL, NULL},
	{"kv-bytes-per-token", 0, OPT_DOUBLE, O(kv_bytes_per_token), NULL,
	 "B", "KV cache bytes per token (2 x layers x kv_heads x head_dim x "
	 "dtype bytes)",
	 NULL, NULL},
	{"kv-pool-tokens", 0, OPT_DOUBLE, O(kv_pool_tokens), NULL, "N",
	 "KV pool capacity in tokens (default: from the server's metrics, "
	 "e.g. vLLM num_gpu_blocks x block_size)",
	 NULL, NULL},
	{"from", 0, OPT_STR, O(from), NULL, "RESULTS.json",
	 "repeat the run stored in a results file (its command line); "
	 "options given here override it",
	 NULL, NULL},
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
	"infbench run --url URL [--api auto|openai-chat|tgi|...] [options] | "
	"infbench run --from RESULTS.json [options]",
	"Drive a server's streaming API with a synthetic workload, time every "
	"chunk, account for every request, and report vLLM-compatible and "
	"corrected metrics.",
	run_table,
	0,
	0,
};

#define RUN_NOPTS (sizeof(run_table) / sizeof(run_table[0]) - 1)
#define RUN_MAX_REPEAT_ARGS 4096 /* tokens of a stored command line */
#define REDACTED_SUFFIX ": <redacted>" /* run_report.c's redaction */

/* Values that mean "not given" where zero is meaningful. */
static void opts_preset(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->temperature = NAN;
	o->idle_baseline_s = -1;
	o->weights_gb = o->kv_bytes_per_token = o->kv_pool_tokens = NAN;
}

static int opt_index(const char *name)
{
	for (size_t i = 0; i < RUN_NOPTS; i++)
		if (!strcmp(run_table[i].name, name))
			return (int)i;
	ASSERT(0 && "unknown run option");
	return -1;
}

/* Which options the last opts_parse of run_cmd saw given. */
static void given_flags(unsigned char *g)
{
	for (size_t i = 0; i < RUN_NOPTS; i++)
		g[i] = (unsigned char)opts_given(&run_cmd, run_table[i].name);
}

/* Moves option op's value from src to dst; dst's old value is freed and
 * src's emptied. */
static void opt_move(const struct opt *op, struct run_opts *dst,
		     struct run_opts *src)
{
	char *d = (char *)dst + op->off, *s = (char *)src + op->off;
	size_t n;
	switch (op->type) {
	case OPT_BOOL:
	case OPT_COUNT:
		n = sizeof(int);
		break;
	case OPT_INT:
		n = sizeof(long long);
		break;
	case OPT_DOUBLE:
	case OPT_DURATION:
	case OPT_DURATION_MS:
		n = sizeof(double);
		break;
	case OPT_STR:
		free(*(char **)d);
		n = sizeof(char *);
		break;
	case OPT_LIST: {
		struct opt_list *l = (struct opt_list *)d;
		for (size_t i = 0; i < l->n; i++)
			free(l->items[i]);
		free(l->items);
		n = sizeof(struct opt_list);
		break;
	}
	default:
		return;
	}
	memcpy(d, s, n);
	if (op->type == OPT_STR || op->type == OPT_LIST)
		memset(s, 0, n);
}

/* Shortest of %.15g..%.17g that reads back as x, plus suffix; caller
 * frees. */
static char *fmt_exact(double x, const char *suffix)
{
	char *s = NULL;
	for (int prec = 15; prec <= 17; prec++) {
		free(s);
		s = xasprintf("%.*g", prec, x);
		if (strtod(s, NULL) == x)
			break;
	}
	char *r = xasprintf("%s%s", s, suffix);
	free(s);
	return r;
}

static void argv_push(char ***v, int *n, size_t *cap, char *s)
{
	xgrow((void **)v, cap, (size_t)*n + 2, sizeof(char *));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

/* "run" followed by every option with keep[i], in table order, as
 * "--name" "value" pairs (booleans as --name=0|1, counts repeated), each
 * parsing back to the same value. Caller frees with argv_free. */
static char **canonical_argv(const struct run_opts *o,
			     const unsigned char *keep, int *argc)
{
	char **v = NULL;
	size_t cap = 0;
	int n = 0;
	argv_push(&v, &n, &cap, xstrdup("run"));
	for (size_t i = 0; i < RUN_NOPTS; i++) {
		const struct opt *op = &run_table[i];
		const char *f = (const char *)o + op->off;
		if (!keep[i])
			continue;
		char *val = NULL;
		switch (op->type) {
		case OPT_BOOL:
			argv_push(&v, &n, &cap,
				  xasprintf("--%s=%d", op->name,
					    *(const int *)f ? 1 : 0));
			continue;
		case OPT_COUNT:
			for (int k = 0; k < *(const int *)f; k++)
				argv_push(&v, &n, &cap,
					  xasprintf("--%s", op->name));
			continue;
		case OPT_INT:
			val = xasprintf("%lld", *(const long long *)f);
			break;
		case OPT_DOUBLE: {
			double x = *(const double *)f;
			if (isnan(x))
				continue; /* preset "not given" */
			val = isinf(x) ? xstrdup(x > 0 ? "inf" : "-inf")
				       : fmt_exact(x, "");
			break;
		}
		case OPT_DURATION:
		case OPT_DURATION_MS: {
			double x = *(const double *)f;
			if (x < 0)
				continue; /* preset "not given" */
			val = fmt_exact(x, "s");
			break;
		}
		case OPT_STR:
			if (!*(char *const *)f)
				continue;
			val = xstrdup(*(char *const *)f);
			break;
		case OPT_LIST: {
			const struct opt_list *l = (const struct opt_list *)f;
			for (size_t k = 0; k < l->n; k++) {
				argv_push(&v, &n, &cap,
					  xasprintf("--%s", op->name));
				argv_push(&v, &n, &cap, xstrdup(l->items[k]));
			}
			continue;
		}
		}
		argv_push(&v, &n, &cap, xasprintf("--%s", op->name));
		argv_push(&v, &n, &cap, val);
	}
	*argc = n;
	return v;
}

static void argv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* --from: o holds the new command line's options (just parsed). Loads the
 * stored run's command line, applies the options given now on top of it,
 * and returns the result as a canonical argv (*cargv, caller frees with
 * argv_free) and the names overridden (*overrides, new JSON array).
 * The stored --result/--csv are dropped (never overwrite the original's
 * files) and so are headers redacted when stored. 0 or -EINVAL (printed). */
static int repeat_from(struct run_opts *o, char ***cargv, int *cargc,
		       json_t **overrides)
{
	int rc = -EINVAL;
	unsigned char gnew[RUN_NOPTS], gold[RUN_NOPTS], keep[RUN_NOPTS];
	json_t *doc = NULL, *ov = json_array();
	char **sargv = NULL;
	char err[256] = "";
	struct run_opts so;
	opts_preset(&so);
	given_flags(gnew);

	int lrc = results_json_load(o->from, &doc, err, sizeof(err));
	if (lrc) {
		errorf("run --from %s: %s", o->from,
		       lrc == -EINVAL ? err : strerror(-lrc));
		goto out;
	}
	json_t *run = json_object_get(doc, "run");
	json_t *cl = json_object_get(run, "command_line");
	size_t ncl = json_array_size(cl);
	const char *cmd1 = json_string_value(json_array_get(cl, 1));
	if (ncl < 2 || ncl > RUN_MAX_REPEAT_ARGS || !cmd1 ||
	    strcmp(cmd1, "run")) {
		errorf("run --from %s: no run.command_line of an 'infbench "
		       "run' in it",
		       o->from);
		goto out;
	}
	sargv = xcalloc(ncl, sizeof(char *));
	for (size_t i = 1; i < ncl; i++) {
		const char *a = json_string_value(json_array_get(cl, i));
		if (!a) {
			errorf("run --from %s: run.command_line[%zu] is not "
			       "a string",
			       o->from, i);
			goto out;
		}
		sargv[i - 1] = (char *)a; /* borrowed from doc */
	}
	if (opts_parse(&run_cmd, (int)ncl - 1, sargv, &so, NULL, NULL)) {
		errorf("run --from %s: its stored command line does not parse "
		       "(see above)",
		       o->from);
		goto out;
	}
	given_flags(gold);
	if (so.from) {
		errorf("run --from %s: its stored command line itself uses "
		       "--from",
		       o->from);
		goto out;
	}
	/* Secrets were redacted when stored: they cannot be repeated. */
	struct opt_list *h = &so.headers;
	size_t k = 0;
	for (size_t i = 0; i < h->n; i++) {
		size_t n = strlen(h->items[i]), m = strlen(REDACTED_SUFFIX);
		if (n >= m && !strcmp(h->items[i] + n - m, REDACTED_SUFFIX)) {
			warnf("run --from: header '%.*s' was redacted in the "
			      "results; give it again with -H",
			      (int)(n - m), h->items[i]);
			free(h->items[i]);
		} else {
			h->items[k++] = h->items[i];
		}
	}
	h->n = k;
	/* The URL may have come from $INFBENCH_URL: config.url has it. */
	const char *cu = json_string_value(
		json_object_get(json_object_get(run, "config"), "url"));
	if (!so.url && cu) {
		so.url = xstrdup(cu);
		gold[opt_index("url")] = 1;
	}
	int ifrom = opt_index("from");
	for (size_t i = 0; i < RUN_NOPTS; i++) {
		keep[i] = gold[i];
		if (gnew[i] && (int)i != ifrom) {
			opt_move(&run_table[i], &so, o);
			json_array_append_new(ov, json_string(run_table[i].name));
			keep[i] = 1;
		}
	}
	keep[ifrom] = 0;
	if (!gnew[opt_index("result")])
		keep[opt_index("result")] = 0;
	if (!gnew[opt_index("csv")])
		keep[opt_index("csv")] = 0;
	*cargv = canonical_argv(&so, keep, cargc);
	*overrides = ov;
	ov = NULL;
	rc = 0;
out:
	opts_free(&run_cmd, &so);
	free(sargv);
	json_decref(doc);
	json_decref(ov);
	return rc;
}

/* run.config.telemetry: the telemetry options as used. */
static json_t *telemetry_config_json(const struct run_opts *o)
{
	json_t *t = json_object();
	json_object_set_new(t, "metrics_url", o->metrics_url
							? json_string(o->metrics_url)
							: json_string("<base>/metrics"));
	json_object_set_new(t, "metrics_interval_s",
			    json_real(o->metrics_interval_s));
	json_object_set_new(t, "gpu", json_string(o->gpu));
	json_object_set_new(t, "gpu_interval_s", json_real(o->gpu_interval_s));
	json_object_set_new(t, "server_pid", json_integer(o->server_pid));
	json_object_set_new(t, "idle_baseline_s",
			    o->idle_baseline_s >= 0
				    ? json_real(o->idle_baseline_s)
				    : json_string("auto"));
	json_object_set_new(t, "weights_gb", tjson_num(o->weights_gb));
	json_object_set_new(t, "kv_bytes_per_token",
			    tjson_num(o->kv_bytes_per_token));
	json_object_set_new(t, "kv_pool_tokens", tjson_num(o->kv_pool_tokens));
	return t;
}

/* A given (non-NaN) value that is not a finite positive number. */
static int bad_optional_pos(double x)
{
	return !isnan(x) && !(x > 0 && isfinite(x));
}

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
	/* this rank's share of the cap (all of it in one process) */
	long long c = o->concurrency / dist_size();
	long want = o->concurrency > 0 ? (long)((c + 255) / 256) : t;
	if (want < t)
		t = want;
	return (int)(t < 1 ? 1 : t);
}

/* Discover the model and context length (proto/detect.c). Fills
 * meta["server"]. */
static int discover(const char *base, const struct proto_ops *api,
		    const struct curl_slist *hdrs, int insecure, double wait_s,
		    char **model, long long *max_ctx, json_t *server)
{
	return detect_discover(base, api, hdrs, insecure, wait_s, model,
			       max_ctx, server);
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

#define RUN_REQID_NAME_MAX 64 /* --request-id-header, bytes */

/* Does one of the --header lines ("Name: value", "Name:" or curl's
 * "Name;") name header name (case-insensitive)? */
static int header_given(const struct opt_list *h, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < h->n; i++)
		if (!strncasecmp(h->items[i], name, n) &&
		    (h->items[i][n] == ':' || h->items[i][n] == ';'))
			return 1;
	return 0;
}

/* This run's tag in its request ids: random, so that two clients on one
 * server never send the same id (vLLM refuses a running id). */
static uint32_t run_tag(void)
{
	uint32_t t;
	if (getrandom(&t, sizeof(t), GRND_NONBLOCK) == (ssize_t)sizeof(t))
		return t;
	return (uint32_t)(clock_now_ns() ^ ((uint64_t)getpid() << 16));
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct run_config cfg;
	struct run_output out;
	struct curl_slist *hdrs = NULL;
	char *base = NULL, *path = NULL, *gen_url = NULL, *model = NULL;
	char *err = NULL, *result = NULL, *csv = NULL, *reqid = NULL;
	json_t *meta = NULL, *overrides = NULL;
	struct rtel *tel = NULL;
	char **rargv = NULL, *repeat_of = NULL;
	int rargc = 0;
	int rc = EXIT_USAGE;
	const char *why;
	long long max_ctx = 0;
	struct wl_ctx wl = {0};
	struct wl_in wli = {0};
	/* Distributed runs: what this rank was doing when it gave up, for
	 * rank 0's record of its share (dist/dist.h). */
	const char *stage = "parsing its options";
	const char *dwhy = NULL;

	if (dist_init(&dwhy)) {
		errorf("run: %s", dwhy);
		return EXIT_USAGE;
	}
	opts_preset(&o);
	memset(&cfg, 0, sizeof(cfg));
	memset(&out, 0, sizeof(out));
	int prc = opts_parse(&run_cmd, argc, argv, &o, NULL, NULL);
	if (prc) {
		rc = prc > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	if (o.from) {
		/* The merged command line is parsed once more, so the options
		 * and opts_given() describe exactly what is recorded. */
		repeat_of = xstrdup(o.from);
		if (repeat_from(&o, &rargv, &rargc, &overrides))
			goto out;
		opts_free(&run_cmd, &o);
		opts_preset(&o);
		if (opts_parse(&run_cmd, rargc, rargv, &o, NULL, NULL)) {
			errorf("run --from %s: the merged command line does "
			       "not parse",
			       repeat_of);
			goto out;
		}
	}
	msg_level = o.quiet ? MSG_QUIET : o.verbose ? MSG_VERBOSE : MSG_NORMAL;
	if (dist_rank() > 0 && msg_level == MSG_NORMAL)
		msg_level = MSG_QUIET; /* rank 0 speaks for all; errors stay */
	stage = "validating its options";

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
	if (strcasecmp(o.api, "auto") && !proto_find(o.api)) {
		errorf("run: unknown --api '%s' (known: %s)", o.api,
		       proto_names());
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
	if (o.concurrency > 0 && o.concurrency < dist_size()) {
		errorf("run: --concurrency %lld is below the %d MPI ranks: each "
		       "rank needs at least one stream",
		       o.concurrency, dist_size());
		goto out;
	}
	if (load_opts_parse("run", &run_cmd, o.input_len, o.output_len,
			    o.arrival, o.burstiness, o.rate, &cfg.in_dist,
			    &cfg.out_dist, &cfg.arrivals))
		goto out;
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
	if (o.metrics_url && strcmp(o.metrics_url, "none") &&
	    strncmp(o.metrics_url, "http://", 7) &&
	    strncmp(o.metrics_url, "https://", 8)) {
		errorf("run: --metrics-url must be an http(s):// URL or none");
		goto out;
	}
	if (rtel_gpu_spec_check(o.gpu, &why)) {
		errorf("run: --gpu '%s': %s", o.gpu, why);
		goto out;
	}
	if (o.server_pid < 0 || o.server_pid > 0x7fffffffLL) {
		errorf("run: --server-pid must be a process id (or 0)");
		goto out;
	}
	if (!(o.metrics_interval_s > 0) || !(o.gpu_interval_s > 0)) {
		errorf("run: --metrics-interval and --gpu-interval must be > "
		       "0");
		goto out;
	}
	if (bad_optional_pos(o.weights_gb) ||
	    bad_optional_pos(o.kv_bytes_per_token) ||
	    bad_optional_pos(o.kv_pool_tokens)) {
		errorf("run: --weights-gb, --kv-bytes-per-token and "
		       "--kv-pool-tokens must be finite and > 0");
		goto out;
	}
	if (!strcmp(o.http_client, "auto")) {
		cfg.transport = HTTP_TRANSPORT_AUTO;
	} else if (!strcmp(o.http_client, "native")) {
		cfg.transport = HTTP_TRANSPORT_NATIVE;
	} else if (!strcmp(o.http_client, "curl")) {
		cfg.transport = HTTP_TRANSPORT_CURL;
	} else {
		errorf("run: --http-client must be auto, native or curl, not "
		       "'%s'",
		       o.http_client);
		goto out;
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
	if (strcmp(o.request_id_header, "none") &&
	    header_given(&o.headers, o.request_id_header)) {
		/* two of one header would reach the server: the user's wins */
		notef("run: --header sets %s: per-request ids not sent",
		      o.request_id_header);
	} else if (strcmp(o.request_id_header, "none")) {
		size_t nl = strlen(o.request_id_header);
		if (nl > RUN_REQID_NAME_MAX ||
		    !http1_is_token(o.request_id_header, nl)) {
			errorf("run: --request-id-header '%s' is not an HTTP "
			       "header name of at most %d bytes",
			       o.request_id_header, RUN_REQID_NAME_MAX);
			goto out;
		}
		reqid = xasprintf("%s: ib-%08x-", o.request_id_header,
				  run_tag());
		cfg.request_id = reqid;
	}
	for (size_t i = 0; i < o.meta.n; i++)
		if (!strchr(o.meta.items[i], '=') || o.meta.items[i][0] == '=') {
			errorf("run: --meta '%s' is not KEY=VALUE",
			       o.meta.items[i]);
			goto out;
		}

	meta = json_object();
	json_t *server = json_object();
	json_object_set_new(meta, "server", server);
	model = o.model ? xstrdup(o.model) : NULL;
	rc = EXIT_FAIL;
	stage = "reaching the server (API detection, model discovery)";
	cfg.api = detect_select(o.api, base, path, hdrs, o.insecure,
				o.wait_ready_s, server);
	if (!cfg.api)
		goto out;
	if (discover(base, cfg.api, hdrs, o.insecure, o.wait_ready_s, &model,
		     &max_ctx, server) &&
	    !model)
		goto out;
	char *route = proto_route(cfg.api, model);
	gen_url = xasprintf("%s%s", base,
			    o.endpoint ? o.endpoint : *path ? path : route);
	free(route);
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
	cfg.ignore_eos = o.ignore_eos && cfg.api->force_len;
	cfg.min_tokens = o.min_tokens;
	cfg.continuous_usage = o.continuous_usage && cfg.api->cont_usage;
	cfg.save_text = o.save_text;
	cfg.temperature = o.temperature;
	cfg.extra_body = o.extra_body;
	cfg.insecure = o.insecure;
	cfg.verbose = o.verbose;

	/* The workload plan: lengths, prompts, trace arrivals per id. */
	stage = "building the workload plan";
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

	if (o.save && dist_rank() == 0) { /* only rank 0 writes files */
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

	struct rtel_cfg tc;
	rtel_cfg_init(&tc);
	tc.base_url = base;
	tc.metrics_url = o.metrics_url;
	tc.metrics_interval_s = o.metrics_interval_s;
	tc.gpu = o.gpu;
	tc.gpu_interval_s = o.gpu_interval_s;
	tc.server_pid = o.server_pid;
	tc.idle_baseline_s = o.idle_baseline_s;
	tc.weights_bytes = o.weights_gb * 1e9;
	tc.kv_bytes_per_token = o.kv_bytes_per_token;
	tc.kv_pool_tokens = o.kv_pool_tokens;
	/* Telemetry and scraping run once, on rank 0. */
	tel = dist_rank() == 0 ? rtel_new(&tc) : NULL;

	notef("run: %s %s, model %s, %s requests, %d thread%s", cfg.api->name,
	      gen_url, model ? model : "(none)",
	      o.duration_s > 0 ? "duration-bound" : "count-bound", cfg.threads,
	      cfg.threads == 1 ? "" : "s");
	stage = "starting telemetry";
	if (tel && rtel_start(tel)) {
		errorf("run: interrupted before the load started (idle "
		       "baseline): nothing measured, no results written");
		rc = EXIT_INTERRUPTED;
		goto out;
	}
	run_install_signals();
	/* The telemetry window is the whole run_execute call (warm-up
	 * included): the engine reports its t0 only as wall-clock time, and
	 * window summaries are computed as readings arrive, so the window
	 * must open before the engine starts. */
	int64_t win_begin = clock_now_ns(), wall_begin = clock_wall_ns();
	if (tel)
		rtel_window_begin(tel, win_begin);
	int erc = run_execute(&cfg, &out, &err);
	int64_t win_end = clock_now_ns();
	if (tel) {
		rtel_window_end(tel, win_end);
		rtel_stop(tel);
	}
	if (dist_rank() > 0) {
		/* Its records went to rank 0, which reports them and any
		 * failure (its exit code says so); a non-zero exit here
		 * would make Open MPI abort rank 0 mid-report. */
		if (erc)
			errorf("run: rank %d (%s): %s", dist_rank(),
			       dist_host(), err ? err : "failed");
		rc = EXIT_OK;
		goto out;
	}
	if (erc) {
		errorf("run: %s", err ? err : "failed");
		if (!out.n)
			goto out;
	}
	if (out.interrupted)
		warnf("run interrupted: writing partial results");
	wl_after_run(&wl, &out, o.save_text);

	/* Timelines are relative to the engine's t0: its wall-clock stamp
	 * mapped onto the monotonic clock through the pair read at the
	 * window's start (a wall-clock step in between falls back to the
	 * window start). */
	struct rtel_run rr = {0};
	rr.t0_ns = out.t0_wall_ns - wall_begin + win_begin;
	rr.t0_from = "engine t0 (wall clock mapped to monotonic)";
	if (!out.t0_wall_ns || rr.t0_ns < win_begin || rr.t0_ns > win_end) {
		rr.t0_ns = win_begin;
		rr.t0_from = "window begin";
	}
	rr.window_has_warmup = cfg.warmup > 0;
	rr.in_len = dist_mean(&cfg.in_dist);
	rr.out_len = dist_mean(&cfg.out_dist);

	if (rargv)
		report_add_meta(meta, rargc, rargv, &cfg, &out, model, max_ctx,
				o.label);
	else
		report_add_meta(meta, argc, argv, &cfg, &out, model, max_ctx,
				o.label);
	json_object_set_new(json_object_get(meta, "config"), "telemetry",
			    telemetry_config_json(&o));
	if (o.meta.n) {
		json_t *mo = json_object();
		for (size_t i = 0; i < o.meta.n; i++) {
			const char *kv = o.meta.items[i];
			const char *eq = strchr(kv, '=');
			char *k = xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
			json_object_set_new(mo, k, json_string(eq ? eq + 1 : ""));
			free(k);
		}
		json_object_set_new(meta, "meta", mo);
	}
	if (repeat_of) {
		json_object_set_new(meta, "repeat_of", json_string(repeat_of));
		json_object_set(meta, "repeat_overrides", overrides);
	}
	wl_add_meta(meta, &wli, &wl);
	rc = report_run(&rcfg, &out, meta, o.label ? o.label : "run", result,
			csv, o.max_error_rate, tel, &rr);
	if (out.interrupted && rc == EXIT_OK)
		rc = EXIT_INTERRUPTED;
	if ((out.n_not_run || dist_lost()) && rc == EXIT_OK)
		rc = EXIT_FAIL; /* part of the schedule was not run */
out:
	if (dist_pending()) {
		/* Failed before its run: still take part, so rank 0 records
		 * this rank's share as not run instead of waiting. */
		char *why = xasprintf("failed while %s (see its stderr)",
				      stage);
		dist_absent(why);
		free(why);
	}
	rtel_free(tel);
	run_output_free(&out);
	wl_free(&wl);
	json_decref(meta);
	json_decref(overrides);
	argv_free(rargv);
	free(repeat_of);
	curl_slist_free_all(hdrs);
	free(reqid);
	free(base);
	free(path);
	free(gen_url);
	free(model);
	free(err);
	free(result);
	free(csv);
	opts_free(&run_cmd, &o);
	dist_finalize(rc);
	return rc;
}
