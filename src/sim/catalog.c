/* catalog.c - built-in model/GPU shapes, aliases, YAML user entries. */
#include "sim/catalog.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/xmalloc.h"

#define GIB (1024.0 * 1024.0 * 1024.0)
#define MIB (1024LL * 1024LL)
#define CAT_FILE_MAX (4 * 1024 * 1024) /* bytes of a catalog YAML file */

/* Shapes from the HF config.json files and vidur model_config.py
 * (simulator.md §4). Parameter counts: the §4 table (Qwen2 rounded to 10M,
 * Llama-3 the published exact counts). */
static const struct sim_model builtin_models[] = {
	{"Qwen2-7B", {"qwen2-7b-instruct"},
	 28, 3584, 28, 4, 128, 18944, 152064, 32768, 0, 7620000000LL},
	{"Llama-3-8B", {"llama3-8b", "meta-llama-3-8b"},
	 32, 4096, 32, 8, 128, 14336, 128256, 8192, 0, 8030261248LL},
	{"Llama-3-70B", {"llama3-70b", "meta-llama-3-70b"},
	 80, 8192, 64, 8, 128, 28672, 128256, 8192, 0, 70553706496LL},
	{"Qwen2-72B", {"qwen2-72b-instruct"},
	 80, 8192, 64, 8, 128, 29568, 152064, 32768, 0, 72700000000LL},
};

/* Datasheet bandwidth and BF16 dense FLOP/s (simulator.md §4). mem_bytes is
 * the total the driver reports (nvidia-smi MiB) [est]. tgi_flops is TGI's
 * launcher table (A10G carries the A10's 125 TF there). link is the NVLink /
 * PCIe datasheet figure. */
static const struct sim_gpu builtin_gpus[] = {
	{"A100-80G", {"a100", "a100-80gb", "a100-sxm4-80gb", "a100-sxm-80gb"},
	 81920 * MIB, 2.039e12, 312e12, 312e12, 600e9},
	{"H100-SXM", {"h100", "h100-80gb-hbm3", "h100-sxm5", "h100-sxm5-80gb"},
	 81559 * MIB, 3.35e12, 989e12, 900e12, 900e9},
	{"H200", {"h200-141gb", "h200-sxm", "h200-sxm-141gb"},
	 143771 * MIB, 4.8e12, 989e12, 989e12, 900e9},
	{"L40S", {"l40s-48gb"}, 46068 * MIB, 0.864e12, 362e12, 363e12, 64e9},
	{"A10G", {"a10g-24gb"}, 23028 * MIB, 0.600e12, 70e12, 125e12, 64e9},
};

#define N_BUILTIN_MODELS (sizeof(builtin_models) / sizeof(builtin_models[0]))
#define N_BUILTIN_GPUS (sizeof(builtin_gpus) / sizeof(builtin_gpus[0]))

struct sim_catalog {
	struct sim_model *models; /* user entries, newest first */
	size_t n_models;
	struct sim_gpu *gpus;
	size_t n_gpus;
};

struct sim_catalog *sim_catalog_new(void)
{
	return xcalloc(1, sizeof(struct sim_catalog));
}

void sim_catalog_free(struct sim_catalog *c)
{
	if (!c)
		return;
	free(c->models);
	free(c->gpus);
	free(c);
}

/* Canonical key of a name: see the header's lookup rule. */
static void norm_name(const char *in, char *out, size_t cap)
{
	const char *slash = strrchr(in, '/');
	if (slash)
		in = slash + 1;
	size_t n = 0;
	for (; *in && n + 1 < cap; in++) {
		unsigned char ch = (unsigned char)*in;
		if (ch == '-' || ch == '_' || ch == '.' || ch == ' ')
			continue;
		out[n++] = (char)tolower(ch);
	}
	out[n] = '\0';
	static const char *const pre[] = {"nvidia", "meta"};
	for (size_t i = 0; i < 2; i++) {
		size_t l = strlen(pre[i]);
		if (n > l && !strncmp(out, pre[i], l)) {
			memmove(out, out + l, n - l + 1);
			n -= l;
		}
	}
	static const char *const suf[] = {"instruct", "chat"};
	for (size_t i = 0; i < 2; i++) {
		size_t l = strlen(suf[i]);
		if (n > l && !strcmp(out + n - l, suf[i])) {
			n -= l;
			out[n] = '\0';
		}
	}
}

static int name_matches(const char *key, const char *name,
			const char (*aliases)[SIM_NAME_MAX])
{
	char k[SIM_NAME_MAX];
	norm_name(name, k, sizeof(k));
	if (!strcmp(k, key))
		return 1;
	for (int i = 0; i < SIM_ALIASES_MAX && aliases[i][0]; i++) {
		norm_name(aliases[i], k, sizeof(k));
		if (!strcmp(k, key))
			return 1;
	}
	return 0;
}

size_t sim_catalog_n_models(const struct sim_catalog *c)
{
	return c->n_models + N_BUILTIN_MODELS;
}

const struct sim_model *sim_catalog_model_at(const struct sim_catalog *c,
					     size_t i)
{
	if (i < c->n_models)
		return &c->models[c->n_models - 1 - i];
	i -= c->n_models;
	return i < N_BUILTIN_MODELS ? &builtin_models[i] : NULL;
}

size_t sim_catalog_n_gpus(const struct sim_catalog *c)
{
	return c->n_gpus + N_BUILTIN_GPUS;
}

const struct sim_gpu *sim_catalog_gpu_at(const struct sim_catalog *c,
					 size_t i)
{
	if (i < c->n_gpus)
		return &c->gpus[c->n_gpus - 1 - i];
	i -= c->n_gpus;
	return i < N_BUILTIN_GPUS ? &builtin_gpus[i] : NULL;
}

const struct sim_model *sim_catalog_model(const struct sim_catalog *c,
					  const char *name)
{
	char key[SIM_NAME_MAX];
	if (!name)
		return NULL;
	norm_name(name, key, sizeof(key));
	for (size_t i = 0; i < sim_catalog_n_models(c); i++) {
		const struct sim_model *m = sim_catalog_model_at(c, i);
		if (name_matches(key, m->name, m->aliases))
			return m;
	}
	return NULL;
}

const struct sim_gpu *sim_catalog_gpu(const struct sim_catalog *c,
				      const char *name)
{
	char key[SIM_NAME_MAX];
	if (!name)
		return NULL;
	norm_name(name, key, sizeof(key));
	for (size_t i = 0; i < sim_catalog_n_gpus(c); i++) {
		const struct sim_gpu *g = sim_catalog_gpu_at(c, i);
		if (name_matches(key, g->name, g->aliases))
			return g;
	}
	return NULL;
}

int64_t sim_model_kv_bytes_per_tok(const struct sim_model *m,
				   int32_t dtype_bytes)
{
	return 2LL * m->layers * m->kv_heads * m->head_dim * dtype_bytes;
}

int64_t sim_model_weight_bytes(const struct sim_model *m, int32_t dtype_bytes)
{
	return m->params * dtype_bytes;
}

int64_t sim_model_nonemb_params(const struct sim_model *m)
{
	int64_t emb = (int64_t)m->vocab * m->hidden;
	return m->params - emb * (m->tied ? 1 : 2);
}

int64_t sim_model_params_from_shape(const struct sim_model *m)
{
	int64_t h = m->hidden, qd = (int64_t)m->heads * m->head_dim;
	int64_t kvd = (int64_t)m->kv_heads * m->head_dim;
	int64_t layer = h * qd * 2 + h * kvd * 2 + 3 * h * m->intermediate;
	int64_t emb = (int64_t)m->vocab * h;
	return layer * m->layers + emb * (m->tied ? 1 : 2);
}

double sim_model_tgi_flop(const struct sim_model *m)
{
	double h = m->hidden, qd = (double)m->heads * m->head_dim;
	double kvd = (double)m->kv_heads * m->head_dim;
	/* q, "attn", o count 2·H·d·h each; k, v 2·kv·d·h; MLP 2·3·h·I. */
	double layer = 3 * 2 * qd * h + 2 * 2 * kvd * h +
		       2.0 * 3 * h * m->intermediate;
	return layer * m->layers;
}

int sim_gpu_is_a100(const struct sim_gpu *g)
{
	char k[SIM_NAME_MAX];
	norm_name(g->name, k, sizeof(k));
	return strstr(k, "a100") != NULL;
}

/* ---- YAML ---------------------------------------------------------- */

struct yctx {
	const char *label;
	yaml_document_t *doc;
	char *err;
};

static int yfail(struct yctx *y, const yaml_node_t *n, const char *fmt,
		 const char *a)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, a ? a : "");
	free(y->err);
	y->err = xasprintf("%s:%zu: %s", y->label,
			   n ? n->start_mark.line + 1 : 0, msg);
	return -EINVAL;
}

static const char *yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
						: NULL;
}

static int ynum(struct yctx *y, const yaml_node_t *n, const char *key,
		double lo, double hi, double *out)
{
	const char *s = yscalar(n);
	char *end = NULL;
	if (!s || !*s)
		return yfail(y, n, "%s: expected a number", key);
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return yfail(y, n, "%s: not a number", key);
	if (v < lo || v > hi)
		return yfail(y, n, "%s: out of range", key);
	*out = v;
	return 0;
}

static int yint(struct yctx *y, const yaml_node_t *n, const char *key,
		int32_t *out)
{
	double v;
	int rc = ynum(y, n, key, 1, 1e9, &v);
	if (rc)
		return rc;
	if (v != floor(v))
		return yfail(y, n, "%s: expected an integer", key);
	*out = (int32_t)v;
	return 0;
}

static int ybool(struct yctx *y, const yaml_node_t *n, const char *key,
		 int32_t *out)
{
	const char *s = yscalar(n);
	if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) {
		*out = 1;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) {
		*out = 0;
		return 0;
	}
	return yfail(y, n, "%s: expected true or false", key);
}

static int yname(struct yctx *y, const yaml_node_t *n, const char *key,
		 char *out)
{
	const char *s = yscalar(n);
	if (!s || !*s)
		return yfail(y, n, "%s: expected a string", key);
	if (strlen(s) >= SIM_NAME_MAX)
		return yfail(y, n, "%s: longer than 63 bytes", key);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int yaliases(struct yctx *y, const yaml_node_t *n,
		    char (*out)[SIM_NAME_MAX])
{
	if (yscalar(n))
		return yname(y, n, "aliases", out[0]);
	if (n->type != YAML_SEQUENCE_NODE)
		return yfail(y, n, "aliases: expected a list of names", NULL);
	int i = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, i++) {
		if (i >= SIM_ALIASES_MAX)
			return yfail(y, n, "aliases: more than 8", NULL);
		int rc = yname(y, yaml_document_get_node(y->doc, *it),
			       "aliases", out[i]);
		if (rc)
			return rc;
	}
	return 0;
}

enum { F_LAYERS = 1, F_HIDDEN = 2, F_HEADS = 4, F_INTER = 8, F_VOCAB = 16,
       F_NAME = 32, F_MEM = 64, F_BW = 128, F_FLOPS = 256 };

static int parse_model(struct yctx *y, const yaml_node_t *map,
		       struct sim_model *m)
{
	unsigned have = 0;
	double params = 0;
	memset(m, 0, sizeof(*m));
	m->max_pos = 4096;
	if (map->type != YAML_MAPPING_NODE)
		return yfail(y, map, "models: each entry must be a mapping",
			     NULL);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(y->doc, p->value);
		const char *k = yscalar(kn);
		int rc = 0;
		if (!k)
			return yfail(y, kn, "expected a key", NULL);
		if (!strcmp(k, "name"))
			rc = yname(y, vn, k, m->name), have |= F_NAME;
		else if (!strcmp(k, "aliases"))
			rc = yaliases(y, vn, m->aliases);
		else if (!strcmp(k, "layers"))
			rc = yint(y, vn, k, &m->layers), have |= F_LAYERS;
		else if (!strcmp(k, "hidden"))
			rc = yint(y, vn, k, &m->hidden), have |= F_HIDDEN;
		else if (!strcmp(k, "heads"))
			rc = yint(y, vn, k, &m->heads), have |= F_HEADS;
		else if (!strcmp(k, "kv_heads"))
			rc = yint(y, vn, k, &m->kv_heads);
		else if (!strcmp(k, "head_dim"))
			rc = yint(y, vn, k, &m->head_dim);
		else if (!strcmp(k, "intermediate"))
			rc = yint(y, vn, k, &m->intermediate), have |= F_INTER;
		else if (!strcmp(k, "vocab"))
			rc = yint(y, vn, k, &m->vocab), have |= F_VOCAB;
		else if (!strcmp(k, "max_position"))
			rc = yint(y, vn, k, &m->max_pos);
		else if (!strcmp(k, "tied_embeddings"))
			rc = ybool(y, vn, k, &m->tied);
		else if (!strcmp(k, "params"))
			rc = ynum(y, vn, k, 1e6, 1e14, &params);
		else
			return yfail(y, kn, "unknown model field '%s'", k);
		if (rc)
			return rc;
	}
	static const struct { unsigned f; const char *n; } req[] = {
		{F_NAME, "name"}, {F_LAYERS, "layers"}, {F_HIDDEN, "hidden"},
		{F_HEADS, "heads"}, {F_INTER, "intermediate"},
		{F_VOCAB, "vocab"},
	};
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (!(have & req[i].f))
			return yfail(y, map, "model is missing '%s'", req[i].n);
	if (!m->kv_heads)
		m->kv_heads = m->heads;
	if (!m->head_dim) {
		if (m->hidden % m->heads)
			return yfail(y, map, "hidden is not a multiple of heads;"
					     " give head_dim", NULL);
		m->head_dim = m->hidden / m->heads;
	}
	if (m->heads % m->kv_heads)
		return yfail(y, map, "heads is not a multiple of kv_heads", NULL);
	m->params = params > 0 ? (int64_t)llround(params)
			       : sim_model_params_from_shape(m);
	if (sim_model_nonemb_params(m) <= 0)
		return yfail(y, map, "params is smaller than the embeddings",
			     NULL);
	return 0;
}

static int parse_gpu(struct yctx *y, const yaml_node_t *map, struct sim_gpu *g)
{
	unsigned have = 0;
	double v;
	memset(g, 0, sizeof(*g));
	if (map->type != YAML_MAPPING_NODE)
		return yfail(y, map, "gpus: each entry must be a mapping", NULL);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(y->doc, p->value);
		const char *k = yscalar(kn);
		int rc = 0;
		if (!k)
			return yfail(y, kn, "expected a key", NULL);
		if (!strcmp(k, "name")) {
			rc = yname(y, vn, k, g->name), have |= F_NAME;
		} else if (!strcmp(k, "aliases")) {
			rc = yaliases(y, vn, g->aliases);
		} else if (!strcmp(k, "mem_gib")) {
			rc = ynum(y, vn, k, 0.5, 1e5, &v), have |= F_MEM;
			g->mem_bytes = (int64_t)(v * GIB);
		} else if (!strcmp(k, "bw_gb_s")) {
			rc = ynum(y, vn, k, 1, 1e6, &v), have |= F_BW;
			g->bw_bytes_per_s = v * 1e9;
		} else if (!strcmp(k, "tflops")) {
			rc = ynum(y, vn, k, 0.1, 1e6, &v), have |= F_FLOPS;
			g->flops = v * 1e12;
		} else if (!strcmp(k, "tgi_tflops")) {
			rc = ynum(y, vn, k, 0, 1e6, &v);
			g->tgi_flops = v * 1e12;
		} else if (!strcmp(k, "link_gb_s")) {
			rc = ynum(y, vn, k, 0, 1e6, &v);
			g->link_bytes_per_s = v * 1e9;
		} else {
			return yfail(y, kn, "unknown gpu field '%s'", k);
		}
		if (rc)
			return rc;
	}
	static const struct { unsigned f; const char *n; } req[] = {
		{F_NAME, "name"}, {F_MEM, "mem_gib"}, {F_BW, "bw_gb_s"},
		{F_FLOPS, "tflops"},
	};
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (!(have & req[i].f))
			return yfail(y, map, "gpu is missing '%s'", req[i].n);
	return 0;
}

int sim_catalog_load_yaml_buf(struct sim_catalog *c, const char *label,
			      const char *text, size_t len, char **err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct yctx y = {label, &doc, NULL};
	struct sim_model *nm = NULL;
	struct sim_gpu *ng = NULL;
	size_t n_nm = 0, n_ng = 0;
	int rc = 0, have_doc = 0;

	if (!yaml_parser_initialize(&parser)) {
		y.err = xasprintf("%s: cannot initialise YAML parser", label);
		rc = -ENOMEM;
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		y.err = xasprintf("%s:%zu: %s", label,
				  parser.problem_mark.line + 1,
				  parser.problem ? parser.problem
						 : "YAML syntax error");
		rc = -EINVAL;
		yaml_parser_delete(&parser);
		goto out;
	}
	have_doc = 1;
	yaml_parser_delete(&parser);
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) /* empty file: nothing to add */
		goto out;
	if (root->type != YAML_MAPPING_NODE) {
		rc = yfail(&y, root, "expected a mapping with models: / gpus:",
			   NULL);
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(&doc, p->value);
		const char *k = yscalar(kn);
		int is_model = k && !strcmp(k, "models");
		if (!k || (!is_model && strcmp(k, "gpus"))) {
			rc = yfail(&y, kn, "unknown top-level key '%s' "
					   "(expected models or gpus)", k);
			goto out;
		}
		if (vn->type != YAML_SEQUENCE_NODE) {
			rc = yfail(&y, vn, "%s: expected a list", k);
			goto out;
		}
		for (yaml_node_item_t *it = vn->data.sequence.items.start;
		     it < vn->data.sequence.items.top; it++) {
			yaml_node_t *en = yaml_document_get_node(&doc, *it);
			if ((is_model ? c->n_models + n_nm
				      : c->n_gpus + n_ng) >= SIM_CATALOG_MAX) {
				rc = yfail(&y, en, "more than 256 %s", k);
				goto out;
			}
			if (is_model) {
				nm = xrealloc(nm, (n_nm + 1) * sizeof(*nm));
				rc = parse_model(&y, en, &nm[n_nm++]);
			} else {
				ng = xrealloc(ng, (n_ng + 1) * sizeof(*ng));
				rc = parse_gpu(&y, en, &ng[n_ng++]);
			}
			if (rc)
				goto out;
		}
	}
	/* Commit only when the whole file was valid. */
	c->models = xrealloc(c->models, (c->n_models + n_nm) * sizeof(*nm));
	if (n_nm)
		memcpy(c->models + c->n_models, nm, n_nm * sizeof(*nm));
	c->n_models += n_nm;
	c->gpus = xrealloc(c->gpus, (c->n_gpus + n_ng) * sizeof(*ng));
	if (n_ng)
		memcpy(c->gpus + c->n_gpus, ng, n_ng * sizeof(*ng));
	c->n_gpus += n_ng;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	free(nm);
	free(ng);
	if (err)
		*err = y.err;
	else
		free(y.err);
	return rc;
}

int sim_catalog_load_yaml(struct sim_catalog *c, const char *path, char **err)
{
	FILE *f = NULL;
	char *text = NULL;
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
	text = xmalloc(CAT_FILE_MAX + 1);
	size_t n = fread(text, 1, CAT_FILE_MAX + 1, f);
	if (n > CAT_FILE_MAX) {
		rc = -EFBIG;
		if (err)
			*err = xasprintf("%s: larger than %d bytes", path,
					 CAT_FILE_MAX);
		goto out;
	}
	rc = sim_catalog_load_yaml_buf(c, path, text, n, err);
out:
	if (f)
		fclose(f);
	free(text);
	return rc;
}
