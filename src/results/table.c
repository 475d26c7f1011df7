/* table.c - console table (see table.h). */
#include "results/table.h"

#include <math.h>
#include <string.h>

#include "stats/ci.h"

#define LABEL_W 14

/* A latency in ms with a precision that suits its size; "-" when empty. */
static void fmt_ms(char *b, size_t len, double s)
{
	double v = s * 1e3;
	if (isinf(v))
		snprintf(b, len, "inf");
	else if (isnan(v))
		snprintf(b, len, "-");
	else if (v < 10)
		snprintf(b, len, "%.2f", v);
	else if (v < 1000)
		snprintf(b, len, "%.1f", v);
	else
		snprintf(b, len, "%.0f", v);
}

/* "p50/p99" of a distribution, or "-" when it has no samples. */
static void fmt_pair(char *b, size_t len, const struct summary_dist *d)
{
	char x[32], y[32];
	if (d->n == 0) {
		snprintf(b, len, "-");
		return;
	}
	fmt_ms(x, sizeof(x), d->p50_s);
	fmt_ms(y, sizeof(y), d->p99_s);
	snprintf(b, len, "%s/%s", x, y);
}

static void header(FILE *f)
{
	fprintf(f, "%-*s %6s %6s %5s %10s %7s %16s %16s %16s %16s\n", LABEL_W,
		"scenario", "reqs", "ok", "fail", "out tok/s", "req/s",
		"TTFT p50/p99 ms", "TPOT p50/p99 ms", "ITL p50/p99 ms",
		"E2EL p50/p99 ms");
}

static void row(FILE *f, const char *label, const struct summary *s)
{
	char t[40], p[40], i[40], e[40];
	fmt_pair(t, sizeof(t), &s->m[SUMMARY_TTFT]);
	fmt_pair(p, sizeof(p), &s->m[SUMMARY_TPOT]);
	fmt_pair(i, sizeof(i), &s->m[SUMMARY_ITL]);
	fmt_pair(e, sizeof(e), &s->m[SUMMARY_E2EL]);
	fprintf(f, "%-*.*s %6zu %6zu %5zu %10.1f %7.2f %16s %16s %16s %16s\n",
		LABEL_W, LABEL_W, label ? label : "run", s->completed + s->failed,
		s->completed, s->failed, s->output_throughput,
		s->request_throughput, t, p, i, e);
}

static void line_pair(FILE *f, const char *name, const struct summary_dist *d,
		      const char *note)
{
	char b[64];
	fmt_pair(b, sizeof(b), d);
	if (*note)
		fprintf(f, "  %-22s p50/p99 ms %-18s %s\n", name, b, note);
	else
		fprintf(f, "  %-22s p50/p99 ms %s\n", name, b);
}

static void corrected_block(FILE *f, const struct summary *s)
{
	const struct summary_corrected *c = &s->corr;
	char b[64], x[32], y[32], z[32];
	fprintf(f, "corrected views (labelled; not the vLLM-compatible numbers "
		   "above):\n");
	line_pair(f, "TTFT from arrival", &c->ttft_arrival,
		  "(coordinated omission: includes client queueing)");
	line_pair(f, "E2EL from arrival", &c->e2el_arrival, "");
	snprintf(b, sizeof(b), "(%zu chunks split across their tokens)",
		 c->chunks_split);
	line_pair(f, "ITL token-level", &c->itl_token, b);
	line_pair(f, "client queue", &c->queue, "(t_send - t_arrival)");
	fmt_ms(x, sizeof(x), c->tpot_guidellm.mean_s);
	fmt_ms(y, sizeof(y), c->tpot_guidellm.p99_s);
	fprintf(f, "  %-22s mean/p99 ms %s/%s  ((last - send) / N_out, first "
		   "token included)\n", "TPOT GuideLLM", x, y);
	fmt_ms(x, sizeof(x), s->m[SUMMARY_TPOT].mean_s);
	fprintf(f, "  %-22s mean ms %s  (AIPerf/GenAI-Perf \"ITL\" = vLLM "
		   "TPOT)\n", "AIPerf ITL", x);
	fmt_ms(x, sizeof(x), c->ttft_fail_inf.p99_s);
	fmt_ms(y, sizeof(y), c->e2el_fail_inf.p99_s);
	fprintf(f, "  %-22s TTFT p99 %s ms, E2EL p99 %s ms  (%zu of %zu "
		   "attempts failed)\n", "failures as +inf", x, y,
		c->ttft_fail_inf.n_inf, c->attempts);
	if (s->has_slo)
		fprintf(f, "  %-22s %.1f%% of %zu attempts met every SLO "
			   "(goodput %.2f req/s)\n", "SLO attainment",
			c->slo_attainment * 100, c->attempts, s->request_goodput);
	const struct summary_dist *t = &s->m[SUMMARY_TTFT];
	fmt_ms(x, sizeof(x), t->p99_s);
	fmt_ms(y, sizeof(y), t->p99_inverted_cdf_s);
	fmt_ms(z, sizeof(z), t->p99_loadgen_s);
	fprintf(f, "  %-22s TTFT p99 ms linear %s, inverted_cdf %s, loadgen "
		   "%s\n", "percentile method", x, y, z);
}

static void failures_block(FILE *f, const struct summary *s)
{
	if (s->failed == 0) {
		fprintf(f, "failures: none\n");
		return;
	}
	fprintf(f, "failures:");
	const char *sep = " ";
	for (int k = 0; k <= REC__COUNT; k++) {
		if (k == REC_OK || !s->outcomes[k])
			continue;
		fprintf(f, "%s%s %zu", sep,
			k == REC__COUNT ? "unknown"
					: rec_outcome_name((enum rec_outcome)k),
			s->outcomes[k]);
		sep = ", ";
	}
	fputc('\n', f);
}

static void ci_block(FILE *f, const struct summary *s)
{
	fprintf(f, "P99 %.0f%% CI (order statistics):", s->cfg.ci_conf * 100);
	for (int m = 0; m < SUMMARY__METRICS; m++) {
		const struct summary_dist *d = &s->m[m];
		const char *nm = summary_metric_name((enum summary_metric)m);
		char x[32], y[32];
		if (d->n && d->ci99.sufficient) {
			fmt_ms(x, sizeof(x), d->ci99.lo_s);
			fmt_ms(y, sizeof(y), d->ci99.hi_s);
			fprintf(f, " %s [%s, %s] ms%s", nm, x, y,
				m + 1 < SUMMARY__METRICS ? ";" : "");
		} else {
			fprintf(f, " %s too few samples (%zu < %llu)%s", nm, d->n,
				(unsigned long long)ci_pct_min_n(99, s->cfg.ci_conf),
				m + 1 < SUMMARY__METRICS ? ";" : "");
		}
	}
	fputc('\n', f);
}

static void length_block(FILE *f, const struct summary *s)
{
	const struct summary_prompt_check *p = &s->prompt;
	if (p->n_known)
		fprintf(f, "prompt length: server count differs from target on "
			   "%zu of %zu requests (mean |diff| %.1f tok, mean diff "
			   "%+.1f, max %d)%s\n", p->n_differ, p->n_known,
			p->mean_abs_diff, p->mean_diff, (int)p->max_abs_diff,
			p->n_unknown ? "; some unreported" : "");
	else
		fprintf(f, "prompt length: not checked (server reported no "
			   "prompt_tokens)\n");
	if (s->outlen.n_short)
		fprintf(f, "output length: %zu of %zu requests got fewer tokens "
			   "than max_tokens (mean shortfall %.1f)\n",
			s->outlen.n_short, s->outlen.n_checked,
			s->outlen.mean_shortfall);
}

void results_table_print(FILE *f, const char *label, const struct summary *s)
{
	header(f);
	row(f, label, s);
	corrected_block(f, s);
	failures_block(f, s);
	ci_block(f, s);
	length_block(f, s);
}

void results_table_print_multi(FILE *f, const char *const *labels,
			       const struct summary *const *sums, size_t n)
{
	header(f);
	for (size_t i = 0; i < n; i++)
		row(f, labels[i], sums[i]);
	fprintf(f, "\n%-*s %16s %16s %16s %12s %12s %18s\n", LABEL_W,
		"corrected", "TTFT-arr p99 ms", "E2EL-arr p99 ms",
		"tok-ITL p99 ms", "fail-inf p99", "SLO attain", "TTFT p99 CI ms");
	for (size_t i = 0; i < n; i++) {
		const struct summary *s = sums[i];
		char a[32], b[32], c[32], d[32], e[32], ci[80], x[32], y[32];
		fmt_ms(a, sizeof(a), s->corr.ttft_arrival.p99_s);
		fmt_ms(b, sizeof(b), s->corr.e2el_arrival.p99_s);
		fmt_ms(c, sizeof(c), s->corr.itl_token.p99_s);
		fmt_ms(d, sizeof(d), s->corr.e2el_fail_inf.p99_s);
		if (s->has_slo)
			snprintf(e, sizeof(e), "%.1f%%", s->corr.slo_attainment * 100);
		else
			snprintf(e, sizeof(e), "-");
		const struct summary_ci *q = &s->m[SUMMARY_TTFT].ci99;
		if (s->m[SUMMARY_TTFT].n && q->sufficient) {
			fmt_ms(x, sizeof(x), q->lo_s);
			fmt_ms(y, sizeof(y), q->hi_s);
			snprintf(ci, sizeof(ci), "[%s, %s]", x, y);
		} else {
			snprintf(ci, sizeof(ci), "too few samples");
		}
		fprintf(f, "%-*.*s %16s %16s %16s %12s %12s %18s\n", LABEL_W,
			LABEL_W, labels[i] ? labels[i] : "run", a, b, c, d, e, ci);
	}
}
