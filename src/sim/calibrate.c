/* calibrate.c - piecewise-linear least squares for the step-time profile. */
#include "sim/calibrate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define NP 5          /* u_f, u_b, u_a, t_fixed, t_seq */
#define MAX_ITERS 200
#define U_MIN 0.5     /* eta <= 2 */
#define U_MAX 1000.0  /* eta >= 0.001 */

void sim_calib_shape(const struct sim_calib_point *p, struct sim_shape *s)
{
	memset(s, 0, sizeof(*s));
	int64_t b = p->batch > 0 ? p->batch : 1;
	switch (p->kind) {
	case SIM_CALIB_DECODE:
		s->n_decode = (int32_t)b;
		s->n_logits = (int32_t)b;
		s->decode_ctx = b * ((int64_t)p->ctx + 1);
		break;
	case SIM_CALIB_PREFILL: {
		double per = (double)p->tokens / b, k = p->ctx;
		s->n_prefill = (int32_t)b;
		s->n_logits = (int32_t)b;
		s->prefill_tok = p->tokens;
		s->prefill_kv = b * (int64_t)p->ctx + p->tokens;
		s->prefill_attn = b * per * (k + (per + 1) / 2);
		break;
	}
	case SIM_CALIB_MIXED:
		s->n_decode = (int32_t)b;
		s->decode_ctx = b * ((int64_t)p->ctx + 1);
		s->n_prefill = 1;
		s->n_logits = (int32_t)b + 1;
		s->prefill_tok = p->tokens;
		s->prefill_kv = p->tokens;
		s->prefill_attn = p->tokens * (p->tokens + 1) / 2.0;
		break;
	}
}

struct fit {
	const struct sim_terms *t;
	const double *y;
	size_t n;
};

static double model_at(const struct sim_terms *t, const double *x)
{
	return fmax(t->a_lin * x[0], t->b_lin * x[1]) +
	       fmax(t->a_attn * x[2], t->b_attn * x[1]) + x[3] +
	       x[4] * t->n_seq + t->allreduce_s;
}

static double objective(const struct fit *F, const double *x)
{
	double s = 0;
	for (size_t i = 0; i < F->n; i++) {
		double r = (model_at(&F->t[i], x) - F->y[i]) / F->y[i];
		s += r * r;
	}
	return s;
}

/* Linear row of point t in the regime chosen at x. */
static void row_at(const struct sim_terms *t, const double *x, double *row)
{
	int lin_f = t->a_lin * x[0] >= t->b_lin * x[1];
	int att_a = t->a_attn * x[2] >= t->b_attn * x[1];
	row[0] = lin_f ? t->a_lin : 0;
	row[1] = (lin_f ? 0 : t->b_lin) + (att_a ? 0 : t->b_attn);
	row[2] = att_a ? t->a_attn : 0;
	row[3] = 1;
	row[4] = t->n_seq;
}

/* Solve the weighted normal equations for the free parameters (mask), the
 * others held at x. Jacobi-scaled Cholesky; a parameter with a tiny pivot
 * is dropped from `mask`. Returns 0, or -1 when nothing is free. */
static int solve(const struct fit *F, const double *x, unsigned *mask,
		 double *xn)
{
	for (int pass = 0; pass < NP + 1; pass++) {
		double N[NP][NP] = {{0}}, b[NP] = {0}, row[NP];
		int idx[NP], k = 0;
		for (int j = 0; j < NP; j++)
			if (*mask & (1u << j))
				idx[k++] = j;
		if (!k)
			return -1;
		for (size_t i = 0; i < F->n; i++) {
			row_at(&F->t[i], x, row);
			double w = 1.0 / (F->y[i] * F->y[i]);
			double rhs = F->y[i] - F->t[i].allreduce_s;
			for (int j = 0; j < NP; j++)
				if (!(*mask & (1u << j)))
					rhs -= row[j] * x[j];
			for (int a = 0; a < k; a++) {
				b[a] += w * row[idx[a]] * rhs;
				for (int c = 0; c < k; c++)
					N[a][c] += w * row[idx[a]] * row[idx[c]];
			}
		}
		double d[NP];
		int bad = -1;
		for (int a = 0; a < k; a++) {
			if (N[a][a] <= 0) {
				bad = a;
				break;
			}
			d[a] = sqrt(N[a][a]);
		}
		if (bad < 0) {
			for (int a = 0; a < k; a++) {
				b[a] /= d[a];
				for (int c = 0; c < k; c++)
					N[a][c] /= d[a] * d[c];
			}
			/* Cholesky N = L L^T in place (lower triangle). */
			for (int a = 0; a < k && bad < 0; a++) {
				for (int c = 0; c <= a; c++) {
					double s = N[a][c];
					for (int q = 0; q < c; q++)
						s -= N[a][q] * N[c][q];
					if (c == a) {
						if (s < 1e-10) {
							bad = a;
							break;
						}
						N[a][a] = sqrt(s);
					} else {
						N[a][c] = s / N[c][c];
					}
				}
			}
		}
		if (bad >= 0) {
			*mask &= ~(1u << idx[bad]);
			continue;
		}
		double z[NP];
		for (int a = 0; a < k; a++) {
			double s = b[a];
			for (int q = 0; q < a; q++)
				s -= N[a][q] * z[q];
			z[a] = s / N[a][a];
		}
		for (int a = k - 1; a >= 0; a--) {
			double s = z[a];
			for (int q = a + 1; q < k; q++)
				s -= N[q][a] * z[q];
			z[a] = s / N[a][a];
		}
		memcpy(xn, x, sizeof(double) * NP);
		for (int a = 0; a < k; a++)
			xn[idx[a]] = z[a] / d[a];
		return 0;
	}
	return -1;
}

static void clamp(double *x)
{
	for (int j = 0; j < 3; j++)
		x[j] = fmin(fmax(x[j], U_MIN), U_MAX);
	x[3] = fmax(x[3], 0);
	x[4] = fmax(x[4], 0);
}

/* Which parameters any point constrains in the regime at x. */
static unsigned active_cols(const struct fit *F, const double *x)
{
	unsigned m = 0;
	double row[NP];
	for (size_t i = 0; i < F->n; i++) {
		row_at(&F->t[i], x, row);
		for (int j = 0; j < NP; j++)
			if (row[j] != 0)
				m |= 1u << j;
	}
	return m;
}

/* One Gauss-Newton run from x (updated in place). Returns the objective. */
static double descend(const struct fit *F, double *x, unsigned *fitted,
		      int *iters)
{
	double f = objective(F, x);
	unsigned mask = 0;
	for (int it = 0; it < MAX_ITERS; it++) {
		double xn[NP];
		mask = active_cols(F, x);
		if (solve(F, x, &mask, xn))
			break;
		clamp(xn);
		double fn = objective(F, xn), alpha = 1;
		/* damp: halve the step until the true objective improves */
		while (fn > f && alpha > 1e-4) {
			alpha /= 2;
			double xt[NP];
			for (int j = 0; j < NP; j++)
				xt[j] = x[j] + alpha * (xn[j] - x[j]);
			fn = objective(F, xt);
			if (fn <= f)
				memcpy(xn, xt, sizeof(xt));
		}
		(*iters)++;
		if (fn > f)
			break;
		double step = 0;
		for (int j = 0; j < NP; j++)
			step = fmax(step, fabs(xn[j] - x[j]) /
						  fmax(fabs(x[j]), 1e-9));
		memcpy(x, xn, sizeof(xn));
		int done = f - fn <= 1e-15 * fmax(f, 1e-300) || step < 1e-12;
		f = fn;
		if (done)
			break;
	}
	*fitted = mask;
	return f;
}

int sim_calibrate(const struct sim_model *m, const struct sim_gpu *g,
		  int32_t tp, int32_t dtype_bytes,
		  const struct sim_calib_point *pts, size_t n,
		  const struct sim_profile *start,
		  struct sim_calib_result *out, char **err)
{
	struct sim_terms *t = NULL;
	double *y = NULL;
	struct sim_profile p0;
	struct sim_cost cost;
	int rc = 0;
	if (err)
		*err = NULL;
	memset(out, 0, sizeof(*out));
	if (start)
		p0 = *start;
	else
		sim_profile_default(&p0);
	if (n < 2 || n > SIM_CALIB_MAX_POINTS) {
		rc = -EINVAL;
		if (err)
			*err = xasprintf("need 2 to %d points, got %zu",
					 SIM_CALIB_MAX_POINTS, n);
		goto out;
	}
	sim_cost_init(&cost, m, g, tp, dtype_bytes, &p0);
	t = xmalloc(n * sizeof(*t));
	y = xmalloc(n * sizeof(*y));
	for (size_t i = 0; i < n; i++) {
		const struct sim_calib_point *p = &pts[i];
		if (!(p->seconds > 0) || !isfinite(p->seconds) ||
		    p->batch < 1 || p->ctx < 0 ||
		    (p->kind != SIM_CALIB_DECODE && p->tokens < 1) ||
		    (unsigned)p->kind > SIM_CALIB_MIXED) {
			rc = -EINVAL;
			if (err)
				*err = xasprintf("point %zu: bad values", i);
			goto out;
		}
		struct sim_shape s;
		sim_calib_shape(p, &s);
		sim_cost_terms(&cost, &s, &t[i]);
		t[i].eager = 0;
		y[i] = p->seconds;
	}
	struct fit F = {t, y, n};
	/* Starts: the given profile, then a small grid of efficiencies. */
	static const double grid[] = {0.3, 0.6, 0.9};
	double best[NP] = {0}, bestf = INFINITY;
	unsigned best_mask = 0;
	for (int s = -1; s < 27; s++) {
		double x[NP];
		if (s < 0) {
			x[0] = 1 / p0.eta_f;
			x[1] = 1 / p0.eta_b;
			x[2] = 1 / p0.eta_a;
		} else {
			x[0] = 1 / grid[s % 3];
			x[1] = 1 / grid[(s / 3) % 3];
			x[2] = 1 / grid[s / 9];
		}
		x[3] = p0.t_fixed_s;
		x[4] = p0.t_seq_s;
		clamp(x);
		unsigned mask;
		double f = descend(&F, x, &mask, &out->iterations);
		if (f < bestf) {
			bestf = f;
			memcpy(best, x, sizeof(x));
			best_mask = mask;
		}
	}
	out->profile = p0;
	out->fitted = best_mask;
	if (best_mask & SIM_FIT_ETA_F)
		out->profile.eta_f = 1 / best[0];
	if (best_mask & SIM_FIT_ETA_B)
		out->profile.eta_b = 1 / best[1];
	if (best_mask & SIM_FIT_ETA_A)
		out->profile.eta_a = 1 / best[2];
	if (best_mask & SIM_FIT_T_FIXED)
		out->profile.t_fixed_s = best[3];
	if (best_mask & SIM_FIT_T_SEQ)
		out->profile.t_seq_s = best[4];
	/* Report the error of the profile as returned. */
	double x[NP] = {1 / out->profile.eta_f, 1 / out->profile.eta_b,
			1 / out->profile.eta_a, out->profile.t_fixed_s,
			out->profile.t_seq_s};
	double maxe = 0;
	for (size_t i = 0; i < n; i++)
		maxe = fmax(maxe, fabs(model_at(&t[i], x) - y[i]) / y[i]);
	out->rms_rel_err = sqrt(objective(&F, x) / (double)n);
	out->max_rel_err = maxe;
	out->n_points = (uint32_t)n;
	snprintf(out->profile.model, sizeof(out->profile.model), "%s",
		 m->name);
	snprintf(out->profile.gpu, sizeof(out->profile.gpu), "%s", g->name);
	out->profile.fit_rms_rel_err = out->rms_rel_err;
	out->profile.fit_points = (int32_t)n;
out:
	free(t);
	free(y);
	return rc;
}
