/* sla.c - SLA expression parser (see sla.h). */
#include "scenario/sla.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/units.h"

static const char *const metric_names[SLA__METRICS] = {"ttft", "tpot", "itl",
						       "e2el"};

const char *sla_metric_name(enum sla_metric m)
{
	return (unsigned)m < SLA__METRICS ? metric_names[m] : "?";
}

#define SLA_MAX_WORD 32 /* bytes of one token */

struct lex {
	const char *s, *p;
	char *err;
	size_t errlen;
};

static int fail(struct lex *l, const char *at, const char *why)
{
	snprintf(l->err, l->errlen, "column %d: %s", (int)(at - l->s) + 1,
		 why);
	return -EINVAL;
}

static void skip_ws(struct lex *l)
{
	while (*l->p && isspace((unsigned char)*l->p))
		l->p++;
}

/* A run of [A-Za-z0-9._+-] into w; returns its start. */
static const char *word(struct lex *l, char *w)
{
	skip_ws(l);
	const char *st = l->p;
	size_t n = 0;
	while (*l->p && (isalnum((unsigned char)*l->p) || *l->p == '.' ||
			 *l->p == '_' || *l->p == '+' || *l->p == '-')) {
		if (n + 1 < SLA_MAX_WORD)
			w[n++] = (char)tolower((unsigned char)*l->p);
		l->p++;
	}
	w[n] = 0;
	return st;
}

static int parse_metric(const char *w, enum sla_metric *m)
{
	for (int i = 0; i < SLA__METRICS; i++)
		if (!strcmp(w, metric_names[i])) {
			*m = (enum sla_metric)i;
			return 0;
		}
	if (!strcmp(w, "e2e") || !strcmp(w, "latency")) {
		*m = SLA_E2EL;
		return 0;
	}
	return -1;
}

static int parse_term(struct lex *l, struct sla_term *t)
{
	char w[SLA_MAX_WORD];
	const char *at = word(l, w);
	if (!*w)
		return fail(l, at, "expected a percentile such as p99");
	if (!strcmp(w, "median")) {
		t->pct = 50;
	} else {
		char *end = NULL;
		if (w[0] != 'p' || !w[1])
			return fail(l, at, "expected a percentile such as p99");
		errno = 0;
		t->pct = strtod(w + 1, &end);
		if (errno || *end || !(t->pct > 0 && t->pct < 100))
			return fail(l, at,
				    "percentile must be p<number> with "
				    "0 < number < 100");
	}
	at = word(l, w);
	if (parse_metric(w, &t->metric))
		return fail(l, at,
			    "expected a metric: ttft, tpot, itl or e2el");
	skip_ws(l);
	at = l->p;
	if (l->p[0] == '<' && l->p[1] == '=')
		l->p += 2;
	else if (l->p[0] == '<')
		l->p += 1;
	else
		return fail(l, at, "expected <= after the metric");
	at = word(l, w);
	if (!*w)
		return fail(l, at, "expected a duration such as 500ms");
	double v;
	if (units_duration_s(w, 1e-3, &v) || !(v > 0) || !isfinite(v))
		return fail(l, at,
			    "bad duration (use e.g. 500ms, 0.5s; a bare "
			    "number is ms)");
	t->limit_s = v;
	return 0;
}

int sla_parse(const char *text, struct sla *out, char *err, size_t errlen)
{
	struct sla s;
	struct lex l = {text ? text : "", text ? text : "", err, errlen};
	memset(&s, 0, sizeof(s));
	for (;;) {
		if (s.n == SLA_MAX_TERMS)
			return fail(&l, l.p, "too many terms (at most 8)");
		int rc = parse_term(&l, &s.t[s.n]);
		if (rc)
			return rc;
		s.n++;
		skip_ws(&l);
		if (!*l.p)
			break;
		const char *at = l.p;
		if (*l.p == ',') {
			l.p++;
		} else if (l.p[0] == '&' && l.p[1] == '&') {
			l.p += 2;
		} else {
			char w[SLA_MAX_WORD];
			word(&l, w);
			if (strcmp(w, "and"))
				return fail(&l, at,
					    "expected 'and' between terms");
		}
	}
	*out = s;
	return 0;
}

void sla_format(const struct sla *s, char *buf, size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < s->n && off < len; i++) {
		const struct sla_term *t = &s->t[i];
		char lim[32];
		if (t->limit_s >= 1)
			snprintf(lim, sizeof(lim), "%gs", t->limit_s);
		else
			snprintf(lim, sizeof(lim), "%gms", t->limit_s * 1e3);
		int n = snprintf(buf + off, len - off, "%sp%g %s <= %s",
				 i ? " and " : "", t->pct,
				 sla_metric_name(t->metric), lim);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}
