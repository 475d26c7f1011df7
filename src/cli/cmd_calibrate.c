/* cmd_calibrate.c - `infbench calibrate`: fit the simulator's step-time
 * profile to runs measured on a real server.
 *
 * Owns the extraction of calibration points from results files (prefill
 * points from TTFT at concurrency 1, decode points from the median
 * token-level ITL against batch = the run's concurrency and the mean
 * context), the call to sim_calibrate, the fit report on stdout and the
 * profile file. The fit itself is sim/calibrate.c's. Single-threaded.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "results/json.h"
#include "sim/calibrate.h"
#include "sim/catalog.h"

#define CALIB_MAX_FILES 256       /* results files one fit reads */
#define CALIB_MAX_SAMPLES (1u << 26) /* ITL samples kept per group */

struct calibrate_opts {
	char *model, *gpu, *catalog, *start, *out;
	long long tp, prefill_max, max_prefill_conc;
	int quiet, verbose;
};

#define O(f) offsetof(struct calibrate_opts, f)
static const struct opt calibrate_table[] = {
	{"model", 'm', OPT_STR, O(model), NULL, "NAME",
	 "catalog model (default: from the results files)", NULL, NULL},
	{"gpu", 'g', OPT_STR, O(gpu), NULL, "NAME",
	 "catalog GPU the runs used (required unless the files are "
	 "simulated)",
	 NULL, NULL},
	{"tp", 0, OPT_INT, O(tp), "0", "N",
	 "tensor-parallel GPUs (0 = from the files, else 1)",
	 "tensor-parallel-size", NULL},
	{"catalog", 0, OPT_STR, O(catalog), NULL, "FILE",
	 "YAML with extra models:/gpus: entries", NULL, NULL},
	{"start", 0, OPT_STR, O(start), NULL, "FILE",
	 "profile to start from and to keep for unconstrained constants",
	 NULL, NULL},
	{"prefill-max-tokens", 0, OPT_INT, O(prefill_max), "0", "N",
	 "prompts above N were split into chunks by the server and give no "
	 "prefill point (0 = the file's engine budget, else 2048)",
	 NULL, NULL},
	{"prefill-concurrency", 0, OPT_INT, O(max_prefill_conc), "1", "N",
	 "runs at concurrency <= N give prefill points from TTFT", NULL,
	 NULL},
	{"out", 'o', OPT_STR, O(out), NULL, "FILE",
	 "write the fitted profile JSON here (required)", NULL, NULL},
	{"verbose", 'v', OPT_COUNT, O(verbose), NULL, NULL,
	 "also print every point with its model time", NULL, NULL},
	{"quiet", 'q', OPT_BOOL, O(quiet), "0", NULL, "only errors on stderr",
	 NULL, NULL},
	OPT_END,
};
#undef O

static const struct opts_cmd calibrate_cmd = {
	"calibrate",
	"infbench calibrate RESULTS.json... --gpu G [--model M] --out "
	"profile.json",
	"Fit the simulator's efficiencies (eta_f, eta_b, eta_a) and overheads "
	"(t_fixed,\nt_seq) to results files of real runs: run the same "
	"workload at --concurrency\n1,4,16,64,... first (docs/SIMULATION.md). "
	"Prints the fit error and writes a\nprofile that `infbench simulate "
	"--profile` accepts.",
	calibrate_table,
	1,
	CALIB_MAX_FILES,
};

/* A growable array of doubles with a cap. */
struct dvec {
	double *v;
	size_t n, cap;
};

static void dvec_push(struct dvec *d, double x)
{
	if (d->n >= CALIB_MAX_SAMPLES)
		return;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = x;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* numpy median; sorts d. */
static double dvec_median(struct dvec *d)
{
	if (!d->n)
		return NAN;
	qsort(d->v, d->n, sizeof(*d->v), cmp_d);
	return d->n % 2 ? d->v[d->n / 2]
			: (d->v[d->n / 2 - 1] + d->v[d->n / 2]) / 2;
}

/* Samples of one (prompt, output) group of a concurrency-1 run. */
struct group {
	int32_t in, out;
	struct dvec ttft, itl;
};

struct points {
	struct sim_calib_point *p;
	size_t n, cap;
	size_t n_prefill, n_decode;
};

static void points_add(struct points *P, enum sim_calib_kind k, int32_t batch,
		       int32_t tokens, int32_t ctx, double s)
{
	if (!(s > 0) || !isfinite(s) || P->n >= SIM_CALIB_MAX_POINTS)
		return;
	if (P->n == P->cap) {
		P->cap = P->cap ? 2 * P->cap : 64;
		P->p = xrealloc(P->p, P->cap * sizeof(*P->p));
	}
	P->p[P->n++] = (struct sim_calib_point){k, batch, tokens, ctx, s};
	if (k == SIM_CALIB_PREFILL)
		P->n_prefill++;
	else
		P->n_decode++;
}

static double num(const json_t *j)
{
	return json_is_number(j) ? json_number_value(j) : NAN;
}

/* Token-level ITL samples of one request (README: RESULTS.md): each later
 * event of d tokens adds d gaps of gap/d; the first event's extra tokens
 * (gap 0) are not step times and are skipped. */
static void request_itls(const json_t *rq, struct dvec *out)
{
	const json_t *ct = json_object_get(rq, "chunk_t");
	const json_t *ck = json_object_get(rq, "chunk_tokens");
	size_t n = json_array_size(ct);
	double prev = NAN;
	for (size_t k = 0; k < n; k++) {
		double t = num(json_array_get(ct, k));
		json_int_t d = json_integer_value(json_array_get(ck, k));
		if (d == 0 || isnan(t))
			continue;
		if (d < 0)
			d = 1;
		if (!isnan(prev) && t >= prev)
			for (json_int_t i = 0; i < d; i++)
				dvec_push(out, (t - prev) / (double)d);
		prev = t;
	}
}

struct file_info {
	const char *model, *gpu; /* borrowed from doc */
	long long tp;
};

/* Points from one results document. Returns 0 or -EINVAL (message
 * printed). */
static int extract(const char *path, const json_t *doc,
		   const struct calibrate_opts *o, struct points *P,
		   struct file_info *fi)
{
	const json_t *run = json_object_get(doc, "run");
	const json_t *cfg = json_object_get(run, "config");
	const json_t *eng = json_object_get(run, "engine");
	const json_t *conc_j = json_object_get(cfg, "concurrency");
	fi->model = json_string_value(json_object_get(run, "model"));
	if (!fi->model)
		fi->model = json_string_value(json_object_get(cfg, "model"));
	fi->gpu = json_string_value(json_object_get(run, "gpu"));
	fi->tp = json_integer_value(json_object_get(run, "tp"));
	if (!json_is_integer(conc_j)) {
		errorf("calibrate: %s has no run.config.concurrency (not an "
		       "`infbench run` or `simulate` results file?)",
		       path);
		return -EINVAL;
	}
	long long conc = json_integer_value(conc_j);
	if (conc <= 0) {
		warnf("calibrate: %s is an open-loop run (no --concurrency): "
		      "its batch size is unknown, skipped",
		      path);
		return 0;
	}
	long long chunk = o->prefill_max;
	if (chunk <= 0 && eng) {
		const char *pol =
			json_string_value(json_object_get(eng, "policy"));
		int paged = pol && !strcmp(pol, "paged");
		chunk = json_integer_value(json_object_get(
			eng, paged ? "max_num_batched_tokens"
				   : "max_batch_prefill_tokens"));
		if (!paged)
			warnf("calibrate: %s: reserved (TGI-like) prefill "
			      "steps run without CUDA graphs; their points "
			      "include t_eager, which is not fitted",
			      path);
	}
	if (chunk <= 0)
		chunk = 2048;

	const json_t *reqs = json_object_get(doc, "requests");
	size_t nr = json_array_size(reqs);
	struct group *g = NULL;
	size_t ng = 0, cap_g = 0, n_ok = 0;
	struct dvec all = {0};
	double sum_in = 0, sum_out = 0;
	for (size_t i = 0; i < nr; i++) {
		const json_t *rq = json_array_get(reqs, i);
		if (json_is_true(json_object_get(rq, "warmup")))
			continue;
		const char *oc =
			json_string_value(json_object_get(rq, "outcome"));
		if (!oc || strcmp(oc, "ok"))
			continue;
		const json_t *pt = json_object_get(rq, "prompt_tokens");
		int32_t in = (int32_t)json_integer_value(
			json_is_integer(pt) ? pt
					    : json_object_get(rq, "in_len"));
		int32_t out = (int32_t)json_integer_value(
			json_object_get(rq, "out_tokens"));
		double ttft = num(json_object_get(rq, "ttft"));
		if (in < 1 || out < 1)
			continue;
		n_ok++;
		sum_in += in;
		sum_out += out;
		if (conc > 1) {
			request_itls(rq, &all);
			continue;
		}
		size_t k = 0;
		while (k < ng && (g[k].in != in || g[k].out != out))
			k++;
		if (k == ng) {
			if (ng == cap_g) {
				cap_g = cap_g ? 2 * cap_g : 16;
				g = xrealloc(g, cap_g * sizeof(*g));
			}
			memset(&g[ng], 0, sizeof(*g));
			g[ng].in = in;
			g[ng].out = out;
			ng++;
		}
		if (isfinite(ttft))
			dvec_push(&g[k].ttft, ttft);
		request_itls(rq, &g[k].itl);
	}
	size_t before = P->n, skipped = 0;
	for (size_t k = 0; k < ng; k++) {
		if (conc <= o->max_prefill_conc && g[k].in <= chunk)
			points_add(P, SIM_CALIB_PREFILL, 1, g[k].in, 0,
				   dvec_median(&g[k].ttft));
		else if (conc <= o->max_prefill_conc)
			skipped++;
		/* the ITL median sits at the middle token: ctx + 1 = in +
		 * out/2 (sim_calib_shape adds the 1) */
		points_add(P, SIM_CALIB_DECODE, 1, 0,
			   g[k].in + g[k].out / 2 - 1, dvec_median(&g[k].itl));
		free(g[k].ttft.v);
		free(g[k].itl.v);
	}
	if (conc > 1 && n_ok) {
		long long b = conc < (long long)n_ok ? conc : (long long)n_ok;
		double ctx = sum_in / (double)n_ok + sum_out / (double)n_ok / 2 - 1;
		points_add(P, SIM_CALIB_DECODE, (int32_t)b, 0,
			   (int32_t)lround(ctx), dvec_median(&all));
	}
	if (skipped)
		notef("calibrate: %s: %zu prompt length(s) above %lld tokens "
		      "give no prefill point (chunked by the server)",
		      path, skipped, chunk);
	notef("calibrate: %s: concurrency %lld, %zu successes -> %zu "
	      "point(s)",
	      path, conc, n_ok, P->n - before);
	free(g);
	free(all.v);
	return 0;
}

static const char *kind_name(enum sim_calib_kind k)
{
	return k == SIM_CALIB_DECODE    ? "decode"
	       : k == SIM_CALIB_PREFILL ? "prefill"
					: "mixed";
}

int cmd_calibrate(int argc, char **argv)
{
	struct calibrate_opts o;
	struct points P = {0};
	struct sim_catalog *cat = NULL;
	char **args = NULL, *err = NULL;
	int nargs = 0, rc = EXIT_USAGE;
	json_t *first = NULL;
	struct sim_profile start;
	struct sim_calib_result fit;
	memset(&o, 0, sizeof(o));
	int prc = opts_parse(&calibrate_cmd, argc, argv, &o, &args, &nargs);
	if (prc) {
		rc = prc > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	msg_level = o.quiet ? MSG_QUIET : MSG_NORMAL;
	if (!o.out) {
		errorf("calibrate: --out FILE is required (where the profile "
		       "goes)");
		goto out;
	}
	if (o.tp < 0 || o.tp > 64 || o.max_prefill_conc < 1 ||
	    o.prefill_max < 0) {
		errorf("calibrate: --tp within 0..64, --prefill-concurrency "
		       ">= 1 and --prefill-max-tokens >= 0 are required");
		goto out;
	}
	sim_profile_default(&start);
	if (o.start && sim_profile_load(&start, o.start, &err)) {
		errorf("calibrate: --start %s: %s", o.start, err);
		goto out;
	}
	cat = sim_catalog_new();
	if (o.catalog && sim_catalog_load_yaml(cat, o.catalog, &err)) {
		errorf("calibrate: --catalog: %s", err);
		goto out;
	}
	rc = EXIT_FAIL;
	struct file_info fi0 = {0};
	for (int i = 0; i < nargs; i++) {
		json_t *doc = NULL;
		char msg[256];
		int lrc = results_json_load(args[i], &doc, msg, sizeof(msg));
		if (lrc) {
			errorf("calibrate: %s: %s", args[i],
			       lrc == -EINVAL ? msg : strerror(-lrc));
			goto out;
		}
		struct file_info fi = {0};
		int erc = extract(args[i], doc, &o, &P, &fi);
		if (erc) {
			json_decref(doc);
			goto out;
		}
		if (!first) {
			first = doc; /* keeps fi0's strings alive */
			fi0 = fi;
		} else {
			json_decref(doc);
		}
	}
	const char *mname = o.model ? o.model : fi0.model;
	const char *gname = o.gpu ? o.gpu : fi0.gpu;
	if (!mname || !gname) {
		errorf("calibrate: pass --%s (the results files do not say "
		       "which %s served them)",
		       !mname ? "model" : "gpu", !mname ? "model" : "GPU");
		rc = EXIT_USAGE;
		goto out;
	}
	const struct sim_model *m = sim_catalog_model(cat, mname);
	const struct sim_gpu *g = sim_catalog_gpu(cat, gname);
	if (!m || !g) {
		errorf("calibrate: unknown %s '%s' (see --catalog)",
		       !m ? "model" : "GPU", !m ? mname : gname);
		rc = EXIT_USAGE;
		goto out;
	}
	int32_t tp = (int32_t)(o.tp ? o.tp : fi0.tp > 0 ? fi0.tp : 1);
	if (sim_calibrate(m, g, tp, 2, P.p, P.n, &start, &fit, &err)) {
		errorf("calibrate: %s (%zu prefill and %zu decode points "
		       "found; see docs/SIMULATION.md for the runs to make)",
		       err, P.n_prefill, P.n_decode);
		goto out;
	}
	const struct sim_profile *f = &fit.profile;
	printf("calibration of %s on %d x %s: %u points (%zu prefill, %zu "
	       "decode) from %d file(s)\n",
	       m->name, tp, g->name, fit.n_points, P.n_prefill, P.n_decode,
	       nargs);
	struct {
		const char *name;
		double v, v0;
		unsigned bit;
		const char *unit;
	} rows[] = {
		{"eta_f", f->eta_f, start.eta_f, SIM_FIT_ETA_F, ""},
		{"eta_b", f->eta_b, start.eta_b, SIM_FIT_ETA_B, ""},
		{"eta_a", f->eta_a, start.eta_a, SIM_FIT_ETA_A, ""},
		{"t_fixed", f->t_fixed_s * 1e3, start.t_fixed_s * 1e3,
		 SIM_FIT_T_FIXED, " ms"},
		{"t_seq", f->t_seq_s * 1e6, start.t_seq_s * 1e6, SIM_FIT_T_SEQ,
		 " us"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf("  %-8s %10.4g%-3s %s\n", rows[i].name, rows[i].v,
		       rows[i].unit,
		       fit.fitted & rows[i].bit
			       ? "fitted"
			       : "not constrained by these points: kept from "
				 "start");
	printf("  t_eager  %10.4g ms  never fitted (kept from start)\n",
	       f->t_eager_s * 1e3);
	printf("fit error: RMS relative %.2f%%, max %.2f%% over %u points "
	       "(%d iterations)\n",
	       fit.rms_rel_err * 100, fit.max_rel_err * 100, fit.n_points,
	       fit.iterations);
	if (o.verbose) {
		struct sim_cost cost;
		sim_cost_init(&cost, m, g, tp, 2, f);
		printf("  %-8s %6s %7s %7s %12s %12s %7s\n", "kind", "batch",
		       "tokens", "ctx", "measured ms", "model ms", "err %");
		for (size_t i = 0; i < P.n; i++) {
			struct sim_shape s;
			sim_calib_shape(&P.p[i], &s);
			double t = sim_cost_step_s(&cost, &s);
			printf("  %-8s %6d %7d %7d %12.3f %12.3f %+7.2f\n",
			       kind_name(P.p[i].kind), P.p[i].batch,
			       P.p[i].tokens, P.p[i].ctx,
			       P.p[i].seconds * 1e3, t * 1e3,
			       (t - P.p[i].seconds) / P.p[i].seconds * 100);
		}
	}
	if (sim_profile_save(f, o.out, &err)) {
		errorf("calibrate: cannot write %s: %s", o.out, err);
		goto out;
	}
	notef("profile: %s (use: infbench simulate --profile %s)", o.out,
	      o.out);
	rc = EXIT_OK;
out:
	json_decref(first);
	sim_catalog_free(cat);
	free(P.p);
	free(args);
	free(err);
	opts_free(&calibrate_cmd, &o);
	return rc;
}
