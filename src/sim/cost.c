/* cost.c - roofline step time and the profile's JSON form. */
#include "sim/cost.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

void sim_profile_default(struct sim_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->eta_f = 0.6;
	p->eta_b = 0.8;
	p->eta_a = 0.5;
	p->t_fixed_s = 1.5e-3;
	p->t_seq_s = 10e-6;
	p->t_eager_s = 1e-3;
	p->fit_rms_rel_err = -1;
}

struct pfield {
	const char *key;
	size_t off;
	double lo, hi; /* accepted range, inclusive */
};

static const struct pfield pfields[] = {
	{"eta_f", offsetof(struct sim_profile, eta_f), 1e-3, 2},
	{"eta_b", offsetof(struct sim_profile, eta_b), 1e-3, 2},
	{"eta_a", offsetof(struct sim_profile, eta_a), 1e-3, 2},
	{"t_fixed_s", offsetof(struct sim_profile, t_fixed_s), 0, 10},
	{"t_seq_s", offsetof(struct sim_profile, t_seq_s), 0, 1},
	{"t_eager_s", offsetof(struct sim_profile, t_eager_s), 0, 10},
	{"fit_rms_rel_err", offsetof(struct sim_profile, fit_rms_rel_err), -1,
	 1e9},
};
#define N_PFIELDS (sizeof(pfields) / sizeof(pfields[0]))

int sim_profile_from_json(struct sim_profile *p, const char *text, char **err)
{
	json_error_t je;
	json_t *root = NULL;
	struct sim_profile tmp;
	int rc = 0;
	if (err)
		*err = NULL;
	sim_profile_default(&tmp);
	root = json_loads(text, 0, &je);
	if (!root || !json_is_object(root)) {
		rc = -EINVAL;
		if (err)
			*err = xasprintf("line %d: %s", je.line,
					 root ? "expected a JSON object"
					      : je.text);
		goto out;
	}
	for (size_t i = 0; i < N_PFIELDS; i++) {
		json_t *v = json_object_get(root, pfields[i].key);
		if (!v)
			continue;
		double d = json_number_value(v);
		if (!json_is_number(v) || d < pfields[i].lo ||
		    d > pfields[i].hi) {
			rc = -EINVAL;
			if (err)
				*err = xasprintf("%s: expected a number in "
						 "[%g, %g]", pfields[i].key,
						 pfields[i].lo, pfields[i].hi);
			goto out;
		}
		*(double *)((char *)&tmp + pfields[i].off) = d;
	}
	const char *s = json_string_value(json_object_get(root, "model"));
	if (s)
		snprintf(tmp.model, sizeof(tmp.model), "%s", s);
	s = json_string_value(json_object_get(root, "gpu"));
	if (s)
		snprintf(tmp.gpu, sizeof(tmp.gpu), "%s", s);
	json_t *n = json_object_get(root, "fit_points");
	if (json_is_integer(n))
		tmp.fit_points = (int32_t)json_integer_value(n);
	*p = tmp;
out:
	json_decref(root);
	return rc;
}

char *sim_profile_to_json(const struct sim_profile *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "format", json_string(SIM_PROFILE_FORMAT));
	json_object_set_new(o, "version", json_integer(SIM_PROFILE_VERSION));
	for (size_t i = 0; i < N_PFIELDS; i++)
		json_object_set_new(
			o, pfields[i].key,
			json_real(*(const double *)((const char *)p +
						    pfields[i].off)));
	json_object_set_new(o, "model", json_string(p->model));
	json_object_set_new(o, "gpu", json_string(p->gpu));
	json_object_set_new(o, "fit_points", json_integer(p->fit_points));
	char *js = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	json_decref(o);
	char *ret = xstrdup(js);
	free(js);
	return ret;
}

int sim_profile_load(struct sim_profile *p, const char *path, char **err)
{
	FILE *f = NULL;
	char *text = NULL;
	char *perr = NULL;
	int rc = 0;
	if (err)
		*err = NULL;
	f = fopen(path, "rb");
	if (!f) {
		rc = -errno;
		if (err)
			*err = xasprintf("%s: %s", path, strerror(-rc));
		goto out;
	}
	enum { PROFILE_FILE_MAX = 1 << 20 }; /* bytes */
	text = xmalloc(PROFILE_FILE_MAX + 1);
	size_t n = fread(text, 1, PROFILE_FILE_MAX, f);
	text[n] = '\0';
	rc = sim_profile_from_json(p, text, &perr);
	if (rc && err)
		*err = xasprintf("%s: %s", path, perr);
out:
	if (f)
		fclose(f);
	free(text);
	free(perr);
	return rc;
}

int sim_profile_save(const struct sim_profile *p, const char *path, char **err)
{
	char *js = sim_profile_to_json(p);
	int rc = 0;
	if (err)
		*err = NULL;
	FILE *f = fopen(path, "wb");
	if (!f || fprintf(f, "%s\n", js) < 0) {
		rc = -errno;
		if (err)
			*err = xasprintf("%s: %s", path, strerror(-rc));
	}
	if (f && fclose(f) && !rc) {
		rc = -errno;
		if (err)
			*err = xasprintf("%s: %s", path, strerror(-rc));
	}
	free(js);
	return rc;
}

void sim_cost_init(struct sim_cost *c, const struct sim_model *m,
		   const struct sim_gpu *g, int32_t tp, int32_t dtype_bytes,
		   const struct sim_profile *p)
{
	memset(c, 0, sizeof(*c));
	if (tp < 1)
		tp = 1;
	c->prof = *p;
	c->tp = tp;
	c->flops = g->flops;
	c->bw = g->bw_bytes_per_s;
	c->lin_flop_per_tok = 2.0 * (double)sim_model_nonemb_params(m) / tp;
	c->lm_flop_per_seq = 2.0 * m->vocab * (double)m->hidden / tp;
	c->weight_bytes = (double)sim_model_weight_bytes(m, dtype_bytes) / tp;
	c->attn_flop_coef = 4.0 * m->layers * m->heads * (double)m->head_dim /
			    tp;
	int32_t kvh = m->kv_heads / tp;
	if (kvh < 1)
		kvh = 1; /* KV heads replicate when tp > kv_heads */
	c->kv_bytes_per_tok = 2.0 * m->layers * kvh * (double)m->head_dim *
			      dtype_bytes;
	if (tp > 1 && g->link_bytes_per_s > 0)
		c->allreduce_s_per_tok = 2.0 * m->layers * (double)m->hidden *
					 dtype_bytes / g->link_bytes_per_s;
}

void sim_cost_terms(const struct sim_cost *c, const struct sim_shape *s,
		    struct sim_terms *t)
{
	double T = (double)s->n_decode + (double)s->prefill_tok;
	double f_lin = c->lin_flop_per_tok * T +
		       c->lm_flop_per_seq * s->n_logits;
	double f_attn = c->attn_flop_coef * ((double)s->decode_ctx +
					     s->prefill_attn);
	double b_attn = c->kv_bytes_per_tok * ((double)s->decode_ctx +
					       (double)s->prefill_kv);
	t->a_lin = f_lin / c->flops;
	t->b_lin = T > 0 ? c->weight_bytes / c->bw : 0;
	t->a_attn = f_attn / c->flops;
	t->b_attn = b_attn / c->bw;
	t->allreduce_s = c->allreduce_s_per_tok * T;
	t->n_seq = s->n_decode + s->n_prefill;
	t->eager = s->eager;
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

double sim_terms_time_s(const struct sim_terms *t, const struct sim_profile *p)
{
	if (t->n_seq == 0)
		return 0;
	return dmax(t->a_lin / p->eta_f, t->b_lin / p->eta_b) +
	       dmax(t->a_attn / p->eta_a, t->b_attn / p->eta_b) +
	       p->t_fixed_s + p->t_seq_s * t->n_seq + t->allreduce_s +
	       (t->eager ? p->t_eager_s : 0);
}

double sim_cost_step_s(const struct sim_cost *c, const struct sim_shape *s)
{
	struct sim_terms t;
	sim_cost_terms(c, s, &t);
	return sim_terms_time_s(&t, &c->prof);
}
