/* catalog_test.c - built-in shapes, aliases, KV bytes, YAML user entries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/catalog.h"
#include "test.h"

static void test_kv_bytes(void)
{
	struct sim_catalog *c = sim_catalog_new();
	const struct sim_model *q = sim_catalog_model(c, "Qwen2-7B");
	const struct sim_model *l = sim_catalog_model(c, "Llama-3-8B");
	ASSERT_TRUE(q && l);
	ASSERT_EQ(sim_model_kv_bytes_per_tok(q, 2), 57344);
	ASSERT_EQ(sim_model_kv_bytes_per_tok(l, 2), 131072);
	const struct sim_model *l70 = sim_catalog_model(c, "llama-3-70b");
	ASSERT_EQ(sim_model_kv_bytes_per_tok(l70, 2), 327680);
	/* weights: Qwen2-7B 15.2 GB (simulator.md §4) */
	ASSERT_NEAR(sim_model_weight_bytes(q, 2) / 1e9, 15.24, 0.01);
	/* the shape-derived count is within biases/norms of the table */
	ASSERT_NEAR((double)sim_model_params_from_shape(l) / l->params, 1,
		    0.001);
	/* TGI Config::flop() for Qwen2-7B: 13.8 GF/token (simulator.md §3) */
	ASSERT_NEAR(sim_model_tgi_flop(q) / 1e9, 13.77, 0.01);
	sim_catalog_free(c);
}

static void test_aliases(void)
{
	struct sim_catalog *c = sim_catalog_new();
	const struct sim_model *q = sim_catalog_model(c, "Qwen2-7B");
	ASSERT_TRUE(sim_catalog_model(c, "qwen2-7b") == q);
	ASSERT_TRUE(sim_catalog_model(c, "Qwen/Qwen2-7B-Instruct") == q);
	ASSERT_TRUE(sim_catalog_model(c, "QWEN2_7B") == q);
	ASSERT_TRUE(sim_catalog_model(c, "meta-llama/Meta-Llama-3-8B-Instruct") ==
		    sim_catalog_model(c, "Llama-3-8B"));
	ASSERT_TRUE(sim_catalog_model(c, "llama3-70b") ==
		    sim_catalog_model(c, "Llama-3-70B"));
	ASSERT_TRUE(sim_catalog_model(c, "Qwen2.5-7B") == NULL);
	ASSERT_TRUE(sim_catalog_model(c, "Qwen2-72B") != q);
	const struct sim_gpu *a = sim_catalog_gpu(c, "a100");
	ASSERT_TRUE(a != NULL);
	ASSERT_STR_EQ(a->name, "A100-80G");
	ASSERT_TRUE(sim_catalog_gpu(c, "NVIDIA A100-SXM4-80GB") == a);
	ASSERT_STR_EQ(sim_catalog_gpu(c, "h100")->name, "H100-SXM");
	ASSERT_STR_EQ(sim_catalog_gpu(c, "NVIDIA H100 80GB HBM3")->name,
		      "H100-SXM");
	ASSERT_STR_EQ(sim_catalog_gpu(c, "a10g")->name, "A10G");
	ASSERT_TRUE(sim_catalog_gpu(c, "a10") == NULL);
	ASSERT_TRUE(sim_gpu_is_a100(a));
	ASSERT_TRUE(!sim_gpu_is_a100(sim_catalog_gpu(c, "H200")));
	ASSERT_NEAR(sim_catalog_gpu(c, "h200")->bw_bytes_per_s, 4.8e12, 1);
	ASSERT_EQ(sim_catalog_n_models(c), 4);
	ASSERT_EQ(sim_catalog_n_gpus(c), 5);
	sim_catalog_free(c);
}

static const char good_yaml[] =
	"# user catalog\n"
	"models:\n"
	"  - name: Tiny-1B\n"
	"    aliases: [tiny, org/tiny-1b-chat]\n"
	"    layers: 16\n"
	"    hidden: 2048\n"
	"    heads: 32\n"
	"    kv_heads: 8\n"
	"    intermediate: 8192\n"
	"    vocab: 128256\n"
	"    max_position: 131072\n"
	"    tied_embeddings: true\n"
	"  - name: Qwen2-7B\n"   /* shadows the built-in */
	"    layers: 1\n"
	"    hidden: 128\n"
	"    heads: 2\n"
	"    intermediate: 256\n"
	"    vocab: 1000\n"
	"    params: 1.5e6\n"
	"gpus:\n"
	"  - name: RTX-4090\n"
	"    aliases: 4090\n"
	"    mem_gib: 24\n"
	"    bw_gb_s: 1008\n"
	"    tflops: 165\n"
	"    tgi_tflops: 82\n";

static void test_yaml_good(void)
{
	struct sim_catalog *c = sim_catalog_new();
	char *err = NULL;
	int rc = sim_catalog_load_yaml_buf(c, "user.yaml", good_yaml,
					   strlen(good_yaml), &err);
	if (rc)
		fprintf(stderr, "%s\n", err);
	ASSERT_EQ(rc, 0);
	ASSERT_TRUE(err == NULL);
	const struct sim_model *t = sim_catalog_model(c, "tiny");
	ASSERT_TRUE(t != NULL);
	ASSERT_STR_EQ(t->name, "Tiny-1B");
	ASSERT_TRUE(sim_catalog_model(c, "Org/Tiny-1B-Chat") == t);
	ASSERT_EQ(t->head_dim, 64);
	ASSERT_EQ(t->kv_heads, 8);
	ASSERT_EQ(t->tied, 1);
	ASSERT_EQ(t->params, sim_model_params_from_shape(t));
	ASSERT_EQ(sim_catalog_model(c, "qwen2-7b")->layers, 1);
	ASSERT_EQ(sim_catalog_model(c, "qwen2-7b")->params, 1500000);
	const struct sim_gpu *g = sim_catalog_gpu(c, "4090");
	ASSERT_TRUE(g != NULL);
	ASSERT_EQ(g->mem_bytes, 24LL << 30);
	ASSERT_NEAR(g->flops, 165e12, 1);
	ASSERT_EQ(sim_catalog_n_models(c), 6);
	sim_catalog_free(c);
}

/* Each bad file must fail with "label:line: ..." naming the right line. */
static void expect_err(const char *yaml, const char *want_prefix,
		       const char *want_sub)
{
	struct sim_catalog *c = sim_catalog_new();
	char *err = NULL;
	int rc = sim_catalog_load_yaml_buf(c, "bad.yaml", yaml, strlen(yaml),
					   &err);
	ASSERT_EQ(rc, -EINVAL);
	ASSERT_TRUE(err != NULL);
	if (strncmp(err, want_prefix, strlen(want_prefix)) ||
	    !strstr(err, want_sub))
		fprintf(stderr, "  got: %s\n", err);
	ASSERT_TRUE(!strncmp(err, want_prefix, strlen(want_prefix)));
	ASSERT_TRUE(strstr(err, want_sub) != NULL);
	/* nothing was added */
	ASSERT_EQ(sim_catalog_n_models(c), 4);
	ASSERT_EQ(sim_catalog_n_gpus(c), 5);
	free(err);
	sim_catalog_free(c);
}

static void test_yaml_errors(void)
{
	expect_err("models:\n  - name: x\n    layers: 2\n    hidden: abc\n",
		   "bad.yaml:4:", "hidden");
	expect_err("models:\n  - name: x\n    layers: 2\n    colour: red\n",
		   "bad.yaml:4:", "unknown model field 'colour'");
	expect_err("gpus:\n  - name: g\n    mem_gib: 24\n    tflops: 10\n",
		   "bad.yaml:2:", "missing 'bw_gb_s'");
	expect_err("models: [1, 2]\n", "bad.yaml:1:", "mapping");
	expect_err("models:\n  - name: x\n    layers: [\n", "bad.yaml:", "");
	expect_err("fruit:\n  - 1\n", "bad.yaml:1:", "unknown top-level");
	expect_err("models:\n  - name: x\n    layers: 2.5\n", "bad.yaml:3:",
		   "integer");
	/* a good first entry is not committed when a later one is bad */
	expect_err("gpus:\n  - {name: a, mem_gib: 1, bw_gb_s: 1, tflops: 1}\n"
		   "  - {name: b, mem_gib: -1, bw_gb_s: 1, tflops: 1}\n",
		   "bad.yaml:3:", "mem_gib");
}

static void test_yaml_file(void)
{
	char path[] = "/tmp/infbench-cat-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	const char *y = "gpus:\n  - name: G\n    mem_gib: 8\n    bw_gb_s: x\n"
			"    tflops: 1\n";
	ASSERT_EQ(write(fd, y, strlen(y)), (long long)strlen(y));
	close(fd);
	struct sim_catalog *c = sim_catalog_new();
	char *err = NULL;
	ASSERT_EQ(sim_catalog_load_yaml(c, path, &err), -EINVAL);
	char want[64];
	snprintf(want, sizeof(want), "%s:4:", path);
	ASSERT_TRUE(err && !strncmp(err, want, strlen(want)));
	free(err);
	unlink(path);
	ASSERT_EQ(sim_catalog_load_yaml(c, "/nonexistent/x.yaml", &err),
		  -ENOENT);
	free(err);
	sim_catalog_free(c);
}

int main(void)
{
	TEST_RUN(test_kv_bytes);
	TEST_RUN(test_aliases);
	TEST_RUN(test_yaml_good);
	TEST_RUN(test_yaml_errors);
	TEST_RUN(test_yaml_file);
	return TEST_DONE();
}
