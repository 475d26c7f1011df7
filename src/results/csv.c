/* csv.c - per-request and per-run CSV (see csv.h). */
#include "results/csv.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/clock.h"
#include "results/json.h"

void results_csv_field(FILE *f, const char *s, size_t len)
{
	if (!s)
		return;
	int quote = 0;
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		fwrite(s, 1, len, f);
		return;
	}
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			fputc('"', f);
		fputc(s[i], f);
	}
	fputc('"', f);
}

static void put_str(FILE *f, const char *s)
{
	fputc(',', f);
	if (s)
		results_csv_field(f, s, strlen(s));
}

static void put_num(FILE *f, double x)
{
	if (isfinite(x))
		fprintf(f, ",%.15g", x);
	else if (isinf(x))
		fputs(",inf", f);
	else
		fputc(',', f);
}

static void put_int(FILE *f, long long x)
{
	fprintf(f, ",%lld", x);
}

/* -1 / unknown -> empty */
static void put_opt(FILE *f, long long x)
{
	if (x < 0)
		fputc(',', f);
	else
		put_int(f, x);
}

static void put_time(FILE *f, int64_t ns)
{
	if (ns < 0)
		fputc(',', f);
	else
		put_num(f, (double)ns / (double)NS_PER_S);
}

static const char req_header[] =
	"id,warmup,outcome,http_status,error,in_len,out_len,prompt_tokens,"
	"completion_tokens,out_tokens,out_tokens_source,n_chunks,t_arrival_s,"
	"t_send_s,t_first_byte_s,t_done_s,queue_s,ttft_s,e2el_s,tpot_s,"
	"itl_mean_s,worker\r\n";

int results_csv_write_requests(FILE *f, const struct summary *s,
			       const struct rec *reqs, size_t n)
{
	if (!s->per || n != s->n_records)
		return -EINVAL;
	fputs(req_header, f);
	for (size_t i = 0; i < n; i++) {
		const struct rec *r = &reqs[i];
		const struct summary_req *q = &s->per[i];
		fprintf(f, "%u", r->id);
		put_int(f, r->warmup);
		put_str(f, rec_outcome_name((enum rec_outcome)r->outcome));
		put_opt(f, r->http_status ? r->http_status : -1);
		put_str(f, r->error);
		put_int(f, r->in_len);
		put_int(f, r->out_len);
		put_opt(f, r->prompt_tokens);
		put_opt(f, r->completion_tokens);
		put_int(f, q->out_tokens);
		put_str(f, rec_count_src_name((enum rec_count_src)q->out_src));
		put_int(f, r->n_events);
		put_time(f, r->t_arrival_ns);
		put_time(f, r->t_send_ns);
		put_time(f, r->t_first_byte_ns);
		put_time(f, r->t_done_ns);
		put_num(f, q->queue_s);
		put_num(f, q->ttft_s);
		put_num(f, q->e2el_s);
		put_num(f, q->tpot_s);
		double itl = NAN;
		if (q->ok && r->n_events > 1)
			itl = (double)(r->t_last_ev_ns - rec_first_ev_ns(r)) /
			      (double)NS_PER_S / (double)(r->n_events - 1);
		put_num(f, itl);
		put_opt(f, r->worker);
		fputs("\r\n", f);
	}
	return ferror(f) ? -EIO : 0;
}

/* Summary columns: (name, value in the unit the name says). */
int results_csv_write_summary(FILE *f, const char *label,
			      const struct summary *s, int header)
{
	static const char *const mcols[] = {"mean", "median", "p50", "p90",
					    "p99", "ci99_lo", "ci99_hi"};
	if (header) {
		fputs("label,duration_s,completed,failed,warmup,request_throughput,"
		      "output_throughput,total_token_throughput,request_goodput,"
		      "max_output_tokens_per_s,max_concurrent_requests", f);
		for (int m = 0; m < SUMMARY__METRICS; m++)
			for (size_t c = 0; c < sizeof(mcols) / sizeof(*mcols); c++)
				fprintf(f, ",%s_%s_ms", mcols[c],
					summary_metric_name((enum summary_metric)m));
		fputs(",p99_ttft_from_arrival_ms,p99_e2el_from_arrival_ms,"
		      "p99_itl_token_level_ms,mean_tpot_guidellm_ms,"
		      "p99_client_queue_ms,p99_ttft_failures_inf_ms,"
		      "p99_e2el_failures_inf_ms,slo_attainment,"
		      "prompt_len_n_differ,prompt_len_mean_abs_diff,"
		      "output_len_n_short\r\n", f);
	}
	if (label)
		results_csv_field(f, label, strlen(label));
	put_num(f, s->duration_s);
	put_int(f, (long long)s->completed);
	put_int(f, (long long)s->failed);
	put_int(f, (long long)s->n_warmup);
	put_num(f, s->request_throughput);
	put_num(f, s->output_throughput);
	put_num(f, s->total_token_throughput);
	put_num(f, s->has_slo ? s->request_goodput : NAN);
	put_num(f, s->max_output_tokens_per_s);
	put_int(f, (long long)s->max_concurrent_requests);
	for (int m = 0; m < SUMMARY__METRICS; m++) {
		const struct summary_dist *d = &s->m[m];
		put_num(f, d->mean_s * 1e3);
		put_num(f, d->median_s * 1e3);
		put_num(f, d->p50_s * 1e3);
		put_num(f, d->p90_s * 1e3);
		put_num(f, d->p99_s * 1e3);
		put_num(f, d->ci99.sufficient ? d->ci99.lo_s * 1e3 : NAN);
		put_num(f, d->ci99.sufficient ? d->ci99.hi_s * 1e3 : NAN);
	}
	const struct summary_corrected *c = &s->corr;
	put_num(f, c->ttft_arrival.p99_s * 1e3);
	put_num(f, c->e2el_arrival.p99_s * 1e3);
	put_num(f, c->itl_token.p99_s * 1e3);
	put_num(f, c->tpot_guidellm.mean_s * 1e3);
	put_num(f, c->queue.p99_s * 1e3);
	put_num(f, c->ttft_fail_inf.p99_s * 1e3);
	put_num(f, c->e2el_fail_inf.p99_s * 1e3);
	put_num(f, s->has_slo ? c->slo_attainment : NAN);
	put_int(f, (long long)s->prompt.n_differ);
	put_num(f, s->prompt.mean_abs_diff);
	put_int(f, (long long)s->outlen.n_short);
	fputs("\r\n", f);
	return ferror(f) ? -EIO : 0;
}

int results_csv_save_requests(const char *path, const struct summary *s,
			      const struct rec *reqs, size_t n)
{
	char *tmp = NULL;
	int rc;
	FILE *f = results_atomic_open(path, &tmp, &rc);
	if (!f)
		return rc;
	rc = results_csv_write_requests(f, s, reqs, n);
	int rc2 = results_atomic_commit(f, &tmp, path, rc == 0);
	return rc ? rc : rc2;
}

int results_csv_save_summary(const char *path, const char *label,
			     const struct summary *s)
{
	char *tmp = NULL;
	int rc;
	FILE *f = results_atomic_open(path, &tmp, &rc);
	if (!f)
		return rc;
	rc = results_csv_write_summary(f, label, s, 1);
	int rc2 = results_atomic_commit(f, &tmp, path, rc == 0);
	return rc ? rc : rc2;
}
