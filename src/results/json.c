/* json.c - results JSON writer and loader (see json.h, docs/RESULTS.md). */
#include "results/json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "core/clock.h"
#include "core/version.h"
#include "core/xmalloc.h"

void results_json_opts_init(struct results_json_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->chunk_times = 1;
}

char *results_utf8_clean(const char *s, size_t len)
{
	if (!s)
		return xstrdup("");
	char *out = xmalloc(len * 3 + 1); /* each bad byte -> 3 bytes */
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(
			(const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i),
			&cp);
		if (k > 0) {
			memcpy(out + o, s + i, (size_t)k);
			o += (size_t)k;
			i += (size_t)k;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- building ---------------------------------------------------------- */

static json_t *jnum(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *jstr(const char *s, size_t len)
{
	char *c = results_utf8_clean(s, len);
	json_t *j = json_stringn(c, strlen(c));
	free(c);
	return j;
}

static double ms(double s)
{
	return s * 1e3;
}

static double rel_s(int64_t ns)
{
	return (double)ns / (double)NS_PER_S;
}

static json_t *jtime(int64_t ns)
{
	return ns < 0 ? json_null() : json_real(rel_s(ns));
}

static json_t *ci_to_json(const struct summary_ci *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "p", json_real(c->p));
	json_object_set_new(o, "conf", json_real(c->conf));
	json_object_set_new(o, "sufficient", json_boolean(c->sufficient));
	json_object_set_new(o, "lo_rank", json_integer((json_int_t)c->lo_rank));
	json_object_set_new(o, "hi_rank", json_integer((json_int_t)c->hi_rank));
	json_object_set_new(o, "lo_ms", jnum(ms(c->lo_s)));
	json_object_set_new(o, "hi_ms", jnum(ms(c->hi_s)));
	json_object_set_new(o, "coverage", jnum(c->coverage));
	return o;
}

static json_t *dist_to_json(const struct summary_dist *d,
			    const struct summary_config *cfg)
{
	json_t *o = json_object(), *pct = json_object();
	char w[40], key[48];
	json_object_set_new(o, "n", json_integer((json_int_t)d->n));
	json_object_set_new(o, "n_inf", json_integer((json_int_t)d->n_inf));
	json_object_set_new(o, "mean_ms", jnum(ms(d->mean_s)));
	json_object_set_new(o, "median_ms", jnum(ms(d->median_s)));
	json_object_set_new(o, "std_ms", jnum(ms(d->std_s)));
	json_object_set_new(o, "min_ms", jnum(ms(d->min_s)));
	json_object_set_new(o, "max_ms", jnum(ms(d->max_s)));
	json_object_set_new(o, "p50_ms", jnum(ms(d->p50_s)));
	json_object_set_new(o, "p90_ms", jnum(ms(d->p90_s)));
	json_object_set_new(o, "p99_ms", jnum(ms(d->p99_s)));
	json_object_set_new(o, "p99_inverted_cdf_ms",
			    jnum(ms(d->p99_inverted_cdf_s)));
	json_object_set_new(o, "p99_loadgen_ms", jnum(ms(d->p99_loadgen_s)));
	for (size_t i = 0; i < cfg->n_pcts; i++) {
		summary_pct_word(cfg->pcts[i], w, sizeof(w));
		snprintf(key, sizeof(key), "p%s_ms", w);
		json_object_set_new(pct, key, jnum(ms(d->pct_s[i])));
	}
	json_object_set_new(o, "percentiles", pct);
	json_object_set_new(o, "ci99", ci_to_json(&d->ci99));
	return o;
}

/* The corrected views, by JSON key; shared by writer and loader. */
static const struct {
	const char *key;
	size_t off;
} corr_keys[] = {
	{"ttft_from_arrival", offsetof(struct summary_corrected, ttft_arrival)},
	{"e2el_from_arrival", offsetof(struct summary_corrected, e2el_arrival)},
	{"itl_token_level", offsetof(struct summary_corrected, itl_token)},
	{"tpot_guidellm", offsetof(struct summary_corrected, tpot_guidellm)},
	{"client_queue", offsetof(struct summary_corrected, queue)},
	{"ttft_failures_inf", offsetof(struct summary_corrected, ttft_fail_inf)},
	{"e2el_failures_inf", offsetof(struct summary_corrected, e2el_fail_inf)},
};
#define N_CORR (sizeof(corr_keys) / sizeof(corr_keys[0]))

static json_t *request_to_json(const struct rec *r, const struct summary_req *q,
			       int chunks)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "warmup", json_boolean(r->warmup));
	json_object_set_new(o, "outcome", json_string(rec_outcome_name(
						  (enum rec_outcome)r->outcome)));
	json_object_set_new(o, "http_status", json_integer(r->http_status));
	json_object_set_new(o, "error", r->error ? jstr(r->error, strlen(r->error))
						 : json_null());
	json_object_set_new(o, "in_len", json_integer(r->in_len));
	json_object_set_new(o, "out_len", json_integer(r->out_len));
	json_object_set_new(o, "prompt_tokens", r->prompt_tokens >= 0
							? json_integer(r->prompt_tokens)
							: json_null());
	json_object_set_new(o, "completion_tokens",
			    r->completion_tokens >= 0
				    ? json_integer(r->completion_tokens)
				    : json_null());
	json_object_set_new(o, "out_tokens", json_integer(q->out_tokens));
	json_object_set_new(o, "out_tokens_source",
			    json_string(rec_count_src_name(
				    (enum rec_count_src)q->out_src)));
	json_object_set_new(o, "worker", json_integer(r->worker));
	json_object_set_new(o, "t_arrival", json_real(rel_s(r->t_arrival_ns)));
	json_object_set_new(o, "t_send", jtime(r->t_send_ns));
	json_object_set_new(o, "t_first_byte", jtime(r->t_first_byte_ns));
	json_object_set_new(o, "t_done", jtime(r->t_done_ns));
	json_object_set_new(o, "ttft", jnum(q->ttft_s));
	json_object_set_new(o, "e2el", jnum(q->e2el_s));
	json_object_set_new(o, "tpot", jnum(q->tpot_s));
	if (chunks) {
		json_t *t = json_array(), *k = json_array();
		int64_t base = r->t_send_ns >= 0 ? r->t_send_ns : 0;
		struct rec_evcur c;
		struct rec_event e;
		rec_ev_begin(r, &c);
		while (rec_ev_next(&c, &e)) {
			json_array_append_new(t, json_real(rel_s(e.t_ns - base)));
			json_array_append_new(k, json_integer(e.tokens));
		}
		json_object_set_new(o, "chunk_t", t);
		json_object_set_new(o, "chunk_tokens", k);
	}
	return o;
}

json_t *results_json_build(const struct summary *s, const struct rec *reqs,
			   size_t n, const struct results_json_opts *o)
{
	if (!s->per || n != s->n_records)
		return NULL;
	const struct summary_config *cfg = &s->cfg;
	json_t *d = json_object();
	/* vLLM top-level keys (anchors §5.19) */
	json_object_set_new(d, "duration", json_real(s->duration_s));
	json_object_set_new(d, "completed", json_integer((json_int_t)s->completed));
	json_object_set_new(d, "failed", json_integer((json_int_t)s->failed));
	json_object_set_new(d, "total_input_tokens",
			    json_integer(s->total_input_tokens));
	json_object_set_new(d, "total_output_tokens",
			    json_integer(s->total_output_tokens));
	json_object_set_new(d, "request_throughput", jnum(s->request_throughput));
	json_object_set_new(d, "request_goodput",
			    s->has_slo ? jnum(s->request_goodput) : json_null());
	json_object_set_new(d, "output_throughput", jnum(s->output_throughput));
	json_object_set_new(d, "total_token_throughput",
			    jnum(s->total_token_throughput));
	json_object_set_new(d, "max_output_tokens_per_s",
			    jnum(s->max_output_tokens_per_s));
	json_object_set_new(d, "max_concurrent_requests",
			    json_integer((json_int_t)s->max_concurrent_requests));
	json_t *in = json_array(), *outl = json_array(), *tt = json_array();
	json_t *itls = json_array(), *lat = json_array(), *st = json_array();
	json_t *qt = json_array(), *txt = json_array(), *err = json_array();
	json_t *all = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct rec *r = &reqs[i];
		const struct summary_req *q = &s->per[i];
		json_array_append_new(all, request_to_json(r, q, o->chunk_times));
		if (!q->counted)
			continue;
		/* vLLM fills 0 / [] / "" for failed requests */
		json_array_append_new(in, json_integer(q->in_tokens));
		json_array_append_new(outl, json_integer(q->ok ? q->out_tokens : 0));
		json_array_append_new(tt, json_real(q->ok ? q->ttft_s : 0));
		json_t *g = json_array();
		struct rec_evcur c;
		struct rec_event e;
		rec_ev_begin(r, &c);
		if (q->ok && rec_ev_next(&c, &e)) {
			int64_t prev = e.t_ns;
			while (rec_ev_next(&c, &e)) {
				json_array_append_new(
					g, json_real(rel_s(e.t_ns - prev)));
				prev = e.t_ns;
			}
		}
		json_array_append_new(itls, g);
		json_array_append_new(lat, json_real(q->ok ? q->e2el_s : 0));
		json_array_append_new(st, jtime(r->t_send_ns));
		json_array_append_new(qt, jnum(q->queue_s));
		json_array_append_new(txt, jstr(r->text, r->text ? r->text_len : 0));
		if (q->ok)
			json_array_append_new(err, json_string(""));
		else if (r->error)
			json_array_append_new(err, jstr(r->error, strlen(r->error)));
		else
			json_array_append_new(err, json_string(rec_outcome_name(
						(enum rec_outcome)r->outcome)));
	}
	json_object_set_new(d, "input_lens", in);
	json_object_set_new(d, "output_lens", outl);
	json_object_set_new(d, "ttfts", tt);
	json_object_set_new(d, "itls", itls);
	json_object_set_new(d, "latencies", lat);
	json_object_set_new(d, "start_times", st);
	json_object_set_new(d, "queue_times", qt);
	json_object_set_new(d, "generated_texts", txt);
	json_object_set_new(d, "errors", err);
	/* vLLM per-metric keys, for the selected metrics only */
	char w[40], key[64];
	for (int m = 0; m < SUMMARY__METRICS; m++) {
		if (!(cfg->metrics & SUMMARY_METRIC_BIT(m)))
			continue;
		const char *nm = summary_metric_name((enum summary_metric)m);
		const struct summary_dist *x = &s->m[m];
		snprintf(key, sizeof(key), "mean_%s_ms", nm);
		json_object_set_new(d, key, jnum(ms(x->mean_s)));
		snprintf(key, sizeof(key), "median_%s_ms", nm);
		json_object_set_new(d, key, jnum(ms(x->median_s)));
		snprintf(key, sizeof(key), "std_%s_ms", nm);
		json_object_set_new(d, key, jnum(ms(x->std_s)));
		for (size_t i = 0; i < cfg->n_pcts; i++) {
			summary_pct_word(cfg->pcts[i], w, sizeof(w));
			snprintf(key, sizeof(key), "p%s_%s_ms", w, nm);
			json_object_set_new(d, key, jnum(ms(x->pct_s[i])));
		}
	}
	/* ours */
	json_object_set_new(d, "infbench_version", json_string(INFBENCH_VERSION));
	json_object_set_new(d, "infbench_git", json_string(version_git()));
	json_object_set_new(d, "schema_version",
			    json_integer(RESULTS_SCHEMA_VERSION));
	json_object_set_new(d, "interrupted", json_boolean(o->interrupted));
	json_object_set_new(d, "warmup_requests",
			    json_integer((json_int_t)s->n_warmup));
	json_t *cj = json_object(), *pl = json_array(), *ml = json_array();
	for (size_t i = 0; i < cfg->n_pcts; i++)
		json_array_append_new(pl, json_real(cfg->pcts[i]));
	for (int m = 0; m < SUMMARY__METRICS; m++)
		if (cfg->metrics & SUMMARY_METRIC_BIT(m))
			json_array_append_new(ml, json_string(summary_metric_name(
							  (enum summary_metric)m)));
	json_object_set_new(cj, "metric_percentiles", pl);
	json_object_set_new(cj, "percentile_metrics", ml);
	json_object_set_new(cj, "percentile_method", json_string("linear"));
	json_object_set_new(cj, "ci_conf", json_real(cfg->ci_conf));
	json_object_set_new(cj, "slo_ttft_ms", cfg->slo_ttft_s > 0
						       ? json_real(ms(cfg->slo_ttft_s))
						       : json_null());
	json_object_set_new(cj, "slo_tpot_ms", cfg->slo_tpot_s > 0
						       ? json_real(ms(cfg->slo_tpot_s))
						       : json_null());
	json_object_set_new(cj, "slo_e2el_ms", cfg->slo_e2el_s > 0
						       ? json_real(ms(cfg->slo_e2el_s))
						       : json_null());
	json_object_set_new(d, "stats_config", cj);
	json_t *oc = json_object();
	for (int k = 0; k < REC__COUNT; k++)
		json_object_set_new(oc, rec_outcome_name((enum rec_outcome)k),
				    json_integer((json_int_t)s->outcomes[k]));
	if (s->outcomes[REC__COUNT])
		json_object_set_new(oc, "unknown",
				    json_integer((json_int_t)s->outcomes[REC__COUNT]));
	json_object_set_new(d, "outcomes", oc);
	json_t *src = json_object();
	for (int k = 0; k <= REC_COUNT_EVENTS; k++)
		json_object_set_new(src, rec_count_src_name((enum rec_count_src)k),
				    json_integer((json_int_t)s->out_src[k]));
	json_object_set_new(d, "out_tokens_source", src);
	json_t *mj = json_object(), *ci = json_object();
	json_object_set_new(ci, "conf", json_real(cfg->ci_conf));
	json_object_set_new(ci, "method",
			    json_string("order statistics (binomial)"));
	for (int m = 0; m < SUMMARY__METRICS; m++) {
		const char *nm = summary_metric_name((enum summary_metric)m);
		json_object_set_new(mj, nm, dist_to_json(&s->m[m], cfg));
		json_object_set_new(ci, nm, ci_to_json(&s->m[m].ci99));
	}
	json_object_set_new(d, "metrics", mj);
	json_object_set_new(d, "ci", ci);
	json_t *co = json_object();
	for (size_t k = 0; k < N_CORR; k++)
		json_object_set_new(
			co, corr_keys[k].key,
			dist_to_json((const struct summary_dist *)((const char *)&s->corr +
								   corr_keys[k].off),
				     cfg));
	json_object_set_new(co, "chunks_split",
			    json_integer((json_int_t)s->corr.chunks_split));
	json_object_set_new(co, "attempts",
			    json_integer((json_int_t)s->corr.attempts));
	json_object_set_new(co, "good", json_integer((json_int_t)s->good));
	json_object_set_new(co, "slo_attainment",
			    s->has_slo ? jnum(s->corr.slo_attainment) : json_null());
	json_object_set_new(d, "corrected", co);
	json_t *pc = json_object();
	json_object_set_new(pc, "n_known", json_integer((json_int_t)s->prompt.n_known));
	json_object_set_new(pc, "n_unknown",
			    json_integer((json_int_t)s->prompt.n_unknown));
	json_object_set_new(pc, "n_differ", json_integer((json_int_t)s->prompt.n_differ));
	json_object_set_new(pc, "mean_abs_diff_tokens", jnum(s->prompt.mean_abs_diff));
	json_object_set_new(pc, "mean_diff_tokens", jnum(s->prompt.mean_diff));
	json_object_set_new(pc, "max_abs_diff_tokens",
			    json_integer(s->prompt.max_abs_diff));
	json_object_set_new(d, "prompt_len_check", pc);
	json_t *olc = json_object();
	json_object_set_new(olc, "n_checked",
			    json_integer((json_int_t)s->outlen.n_checked));
	json_object_set_new(olc, "n_short", json_integer((json_int_t)s->outlen.n_short));
	json_object_set_new(olc, "mean_shortfall_tokens",
			    jnum(s->outlen.mean_shortfall));
	json_object_set_new(d, "output_len_check", olc);
	if (o->meta)
		json_object_set(d, "run", o->meta); /* takes a reference */
	else
		json_object_set_new(d, "run", json_object());
	json_object_set_new(d, "requests", all);
	return d;
}

/* ---- writing ----------------------------------------------------------- */

FILE *results_atomic_open(const char *path, char **tmp, int *rc)
{
	*tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkstemp(*tmp);
	if (fd < 0) {
		*rc = -errno;
		goto fail;
	}
	(void)fchmod(fd, 0644); /* mkstemp makes 0600; results are shared */
	FILE *f = fdopen(fd, "w");
	if (!f) {
		*rc = -errno;
		close(fd);
		unlink(*tmp);
		goto fail;
	}
	*rc = 0;
	return f;
fail:
	free(*tmp);
	*tmp = NULL;
	return NULL;
}

int results_atomic_commit(FILE *f, char **tmp, const char *path, int ok)
{
	int rc = 0;
	if (fflush(f) != 0 || ferror(f))
		rc = -(errno ? errno : EIO);
	if (!rc && fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!ok && !rc)
		rc = -EIO;
	if (!rc && rename(*tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(*tmp);
	free(*tmp);
	*tmp = NULL;
	return rc;
}

int results_json_write(const char *path, const json_t *doc)
{
	char *tmp = NULL;
	int rc;
	FILE *f = results_atomic_open(path, &tmp, &rc);
	if (!f)
		return rc;
	int ok = json_dumpf(doc, f, JSON_COMPACT | JSON_REAL_PRECISION(15)) == 0;
	ok = ok && fputc('\n', f) != EOF;
	return results_atomic_commit(f, &tmp, path, ok);
}

/* ---- reading ----------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *const vllm_ints[] = {
	"completed", "failed", "total_input_tokens", "total_output_tokens",
	"max_concurrent_requests",
};
static const char *const vllm_nums[] = {
	"duration", "request_throughput", "output_throughput",
	"total_token_throughput", "max_output_tokens_per_s",
};
static const char *const vllm_arrays[] = {
	"input_lens", "output_lens", "ttfts", "itls", "latencies",
	"start_times", "queue_times", "generated_texts", "errors",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int results_json_validate(const json_t *doc, char *err, size_t errlen)
{
	if (!json_is_object(doc))
		return fail(err, errlen, "not a JSON object");
	json_t *v = json_object_get(doc, "schema_version");
	if (!json_is_integer(v))
		return fail(err, errlen, "no schema_version: not an infbench "
			    "results file");
	json_int_t sv = json_integer_value(v);
	if (sv < 1 || sv > RESULTS_SCHEMA_VERSION)
		return fail(err, errlen, "schema_version %lld not supported "
			    "(this build reads 1..%d)", (long long)sv,
			    RESULTS_SCHEMA_VERSION);
	for (size_t i = 0; i < NELEM(vllm_ints); i++)
		if (!json_is_integer(json_object_get(doc, vllm_ints[i])))
			return fail(err, errlen, "\"%s\" missing or not an integer",
				    vllm_ints[i]);
	for (size_t i = 0; i < NELEM(vllm_nums); i++)
		if (!json_is_number(json_object_get(doc, vllm_nums[i])))
			return fail(err, errlen, "\"%s\" missing or not a number",
				    vllm_nums[i]);
	v = json_object_get(doc, "request_goodput");
	if (!v || !(json_is_number(v) || json_is_null(v)))
		return fail(err, errlen, "\"request_goodput\" missing");
	json_int_t n = json_integer_value(json_object_get(doc, "completed")) +
		       json_integer_value(json_object_get(doc, "failed"));
	for (size_t i = 0; i < NELEM(vllm_arrays); i++) {
		v = json_object_get(doc, vllm_arrays[i]);
		if (!json_is_array(v))
			return fail(err, errlen, "\"%s\" missing or not an array",
				    vllm_arrays[i]);
		if ((json_int_t)json_array_size(v) != n)
			return fail(err, errlen, "\"%s\" has %zu entries, "
				    "completed + failed = %lld", vllm_arrays[i],
				    json_array_size(v), (long long)n);
	}
	json_t *m = json_object_get(doc, "metrics");
	if (!json_is_object(m))
		return fail(err, errlen, "\"metrics\" missing");
	for (int k = 0; k < SUMMARY__METRICS; k++) {
		const char *nm = summary_metric_name((enum summary_metric)k);
		if (!json_is_object(json_object_get(m, nm)))
			return fail(err, errlen, "\"metrics.%s\" missing", nm);
	}
	if (!json_is_object(json_object_get(doc, "outcomes")))
		return fail(err, errlen, "\"outcomes\" missing");
	if (!json_is_boolean(json_object_get(doc, "interrupted")))
		return fail(err, errlen, "\"interrupted\" missing");
	return 0;
}

int results_json_load(const char *path, json_t **doc, char *err,
		      size_t errlen)
{
	json_error_t je;
	struct stat st;
	*doc = NULL;
	if (stat(path, &st) != 0)
		return -errno;
	if (st.st_size > RESULTS_MAX_FILE_BYTES)
		return fail(err, errlen, "%s: %lld bytes, over the %lld-byte cap",
			    path, (long long)st.st_size,
			    (long long)RESULTS_MAX_FILE_BYTES);
	json_t *d = json_load_file(path, 0, &je);
	if (!d)
		return fail(err, errlen, "%s:%d:%d: %s", path, je.line, je.column,
			    je.text);
	int rc = results_json_validate(d, err, errlen);
	if (rc) {
		json_decref(d);
		return rc;
	}
	*doc = d;
	return 0;
}

/* null (written for non-finite) reads back as +inf; absent as 0. */
static double getn(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (json_is_null(v))
		return INFINITY;
	return json_is_number(v) ? json_number_value(v) : 0;
}

static size_t getz(const json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));
	return v > 0 ? (size_t)v : 0;
}

static void ci_from_json(const json_t *o, struct summary_ci *c)
{
	memset(c, 0, sizeof(*c));
	if (!json_is_object(o))
		return;
	c->p = getn(o, "p");
	c->conf = getn(o, "conf");
	c->sufficient = json_is_true(json_object_get(o, "sufficient"));
	c->lo_rank = getz(o, "lo_rank");
	c->hi_rank = getz(o, "hi_rank");
	c->lo_s = getn(o, "lo_ms") / 1e3;
	c->hi_s = getn(o, "hi_ms") / 1e3;
	c->coverage = getn(o, "coverage");
}

static void dist_from_json(const json_t *o, const struct summary_config *cfg,
			   struct summary_dist *d)
{
	char w[40], key[48];
	memset(d, 0, sizeof(*d));
	if (!json_is_object(o))
		return;
	d->n = getz(o, "n");
	d->n_inf = getz(o, "n_inf");
	d->mean_s = getn(o, "mean_ms") / 1e3;
	d->median_s = getn(o, "median_ms") / 1e3;
	d->std_s = getn(o, "std_ms") / 1e3;
	d->min_s = getn(o, "min_ms") / 1e3;
	d->max_s = getn(o, "max_ms") / 1e3;
	d->p50_s = getn(o, "p50_ms") / 1e3;
	d->p90_s = getn(o, "p90_ms") / 1e3;
	d->p99_s = getn(o, "p99_ms") / 1e3;
	d->p99_inverted_cdf_s = getn(o, "p99_inverted_cdf_ms") / 1e3;
	d->p99_loadgen_s = getn(o, "p99_loadgen_ms") / 1e3;
	json_t *pct = json_object_get(o, "percentiles");
	for (size_t i = 0; i < cfg->n_pcts; i++) {
		summary_pct_word(cfg->pcts[i], w, sizeof(w));
		snprintf(key, sizeof(key), "p%s_ms", w);
		d->pct_s[i] = getn(pct, key) / 1e3;
	}
	ci_from_json(json_object_get(o, "ci99"), &d->ci99);
}

int results_json_to_summary(const json_t *doc, struct summary *s, char *err,
			    size_t errlen)
{
	memset(s, 0, sizeof(*s));
	int rc = results_json_validate(doc, err, errlen);
	if (rc)
		return rc;
	struct summary_config *cfg = &s->cfg;
	summary_config_init(cfg);
	json_t *cj = json_object_get(doc, "stats_config"), *v;
	size_t i;
	if (json_is_object(cj)) {
		json_t *pl = json_object_get(cj, "metric_percentiles");
		if (json_is_array(pl) && json_array_size(pl) <= SUMMARY_MAX_PCTS) {
			cfg->n_pcts = 0;
			json_array_foreach(pl, i, v)
				cfg->pcts[cfg->n_pcts++] = json_number_value(v);
		}
		json_t *ml = json_object_get(cj, "percentile_metrics");
		if (json_is_array(ml)) {
			cfg->metrics = 0;
			json_array_foreach(ml, i, v)
				for (int m = 0; m < SUMMARY__METRICS; m++)
					if (json_is_string(v) &&
					    !strcmp(json_string_value(v),
						    summary_metric_name(
							    (enum summary_metric)m)))
						cfg->metrics |= SUMMARY_METRIC_BIT(m);
		}
		if (json_is_number(json_object_get(cj, "ci_conf")))
			cfg->ci_conf = getn(cj, "ci_conf");
		json_t *x;
		if (json_is_number(x = json_object_get(cj, "slo_ttft_ms")))
			cfg->slo_ttft_s = json_number_value(x) / 1e3;
		if (json_is_number(x = json_object_get(cj, "slo_tpot_ms")))
			cfg->slo_tpot_s = json_number_value(x) / 1e3;
		if (json_is_number(x = json_object_get(cj, "slo_e2el_ms")))
			cfg->slo_e2el_s = json_number_value(x) / 1e3;
	}
	s->duration_s = getn(doc, "duration");
	s->completed = getz(doc, "completed");
	s->failed = getz(doc, "failed");
	s->n_warmup = getz(doc, "warmup_requests");
	s->n_records = s->completed + s->failed + s->n_warmup;
	s->total_input_tokens = (int64_t)getz(doc, "total_input_tokens");
	s->total_output_tokens = (int64_t)getz(doc, "total_output_tokens");
	s->request_throughput = getn(doc, "request_throughput");
	s->output_throughput = getn(doc, "output_throughput");
	s->total_token_throughput = getn(doc, "total_token_throughput");
	v = json_object_get(doc, "request_goodput");
	s->has_slo = json_is_number(v);
	s->request_goodput = s->has_slo ? json_number_value(v) : 0;
	s->max_output_tokens_per_s = getn(doc, "max_output_tokens_per_s");
	s->max_concurrent_requests = getz(doc, "max_concurrent_requests");
	json_t *oc = json_object_get(doc, "outcomes");
	for (int k = 0; k < REC__COUNT; k++)
		s->outcomes[k] = getz(oc, rec_outcome_name((enum rec_outcome)k));
	s->outcomes[REC__COUNT] = getz(oc, "unknown");
	json_t *src = json_object_get(doc, "out_tokens_source");
	for (int k = 0; k <= REC_COUNT_EVENTS; k++)
		s->out_src[k] = getz(src, rec_count_src_name((enum rec_count_src)k));
	json_t *mj = json_object_get(doc, "metrics");
	for (int m = 0; m < SUMMARY__METRICS; m++)
		dist_from_json(json_object_get(mj, summary_metric_name(
						       (enum summary_metric)m)),
			       cfg, &s->m[m]);
	json_t *co = json_object_get(doc, "corrected");
	for (size_t k = 0; k < N_CORR; k++)
		dist_from_json(json_object_get(co, corr_keys[k].key), cfg,
			       (struct summary_dist *)((char *)&s->corr +
						       corr_keys[k].off));
	s->corr.chunks_split = getz(co, "chunks_split");
	s->corr.attempts = getz(co, "attempts");
	s->good = getz(co, "good");
	v = json_object_get(co, "slo_attainment");
	s->corr.slo_attainment = json_is_number(v) ? json_number_value(v) : 0;
	json_t *pc = json_object_get(doc, "prompt_len_check");
	s->prompt.n_known = getz(pc, "n_known");
	s->prompt.n_unknown = getz(pc, "n_unknown");
	s->prompt.n_differ = getz(pc, "n_differ");
	s->prompt.mean_abs_diff = getn(pc, "mean_abs_diff_tokens");
	s->prompt.mean_diff = getn(pc, "mean_diff_tokens");
	s->prompt.max_abs_diff = (int32_t)getz(pc, "max_abs_diff_tokens");
	json_t *olc = json_object_get(doc, "output_len_check");
	s->outlen.n_checked = getz(olc, "n_checked");
	s->outlen.n_short = getz(olc, "n_short");
	s->outlen.mean_shortfall = getn(olc, "mean_shortfall_tokens");
	return 0;
}
