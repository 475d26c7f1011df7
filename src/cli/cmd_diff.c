/* cmd_diff.c - `infbench diff A.json B.json`: what differs between two runs.
 *
 * Owns the comparison of two results files on three levels: the environment
 * (fingerprint_diff of the fingerprints, minus the workload part and values
 * that change on every call of a server's info routes), the configuration
 * (run.config) and the headline metrics (absolute and relative deltas). No
 * statistics: a delta is not a significance test. Single-threaded.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "results/json.h"
#include "telemetry/fingerprint.h"

#define DIFF_MAX_VALUE 60 /* characters of a value printed in the table */

struct diff_opts {
	int json;
	int quiet;
};

#define O(f) offsetof(struct diff_opts, f)
static const struct opt diff_table[] = {
	{"json", 0, OPT_BOOL, O(json), "0", NULL,
	 "print the differences as one JSON object", NULL, NULL},
	{"quiet", 'q', OPT_BOOL, O(quiet), "0", NULL, "only errors on stderr",
	 NULL, NULL},
	OPT_END,
};
#undef O

static const struct opts_cmd diff_cmd = {
	"diff",
	"infbench diff A.json B.json [--json]",
	"Compare two results files: environment (fingerprint), configuration "
	"(run.config) and headline metrics.",
	diff_table,
	2,
	2,
};

/* Leaves of a fingerprint that differ between any two calls of the same
 * server (creation times and random ids in /v1/models): not environment. */
static int volatile_key(const char *k)
{
	if (strncmp(k, "server.routes.", 14))
		return 0;
	size_t n = strlen(k);
	return (n >= 8 && !strcmp(k + n - 8, ".created")) ||
	       strstr(k, ".permission[") != NULL;
}

/* fingerprint_diff of a's and b's fingerprints without "workload" (shown as
 * configuration) and volatile keys. New array, caller owns. */
static json_t *env_diff(json_t *a, json_t *b)
{
	json_t *fa = json_deep_copy(json_object_get(a, "fingerprint"));
	json_t *fb = json_deep_copy(json_object_get(b, "fingerprint"));
	json_object_del(fa, "workload");
	json_object_del(fb, "workload");
	json_t *d = fingerprint_diff(fa, fb), *out = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(d, i, x) {
		if (!volatile_key(json_string_value(json_object_get(x, "key"))))
			json_array_append(out, x);
	}
	json_decref(d);
	json_decref(fa);
	json_decref(fb);
	return out;
}

/* Headline metrics: {name, a, b, delta, rel} each. */
static json_t *metric_deltas(json_t *a, json_t *b)
{
	static const struct {
		const char *name;
		const char *path[3];
	} m[] = {
		{"completed", {"completed"}},
		{"failed", {"failed"}},
		{"output_throughput", {"output_throughput"}},
		{"request_throughput", {"request_throughput"}},
		{"ttft_p50_ms", {"metrics", "ttft", "p50_ms"}},
		{"ttft_p99_ms", {"metrics", "ttft", "p99_ms"}},
		{"itl_p50_ms", {"metrics", "itl", "p50_ms"}},
		{"itl_p99_ms", {"metrics", "itl", "p99_ms"}},
		{"e2el_p50_ms", {"metrics", "e2el", "p50_ms"}},
		{"e2el_p99_ms", {"metrics", "e2el", "p99_ms"}},
	};
	json_t *out = json_array();
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		json_t *va = a, *vb = b;
		for (int k = 0; k < 3 && m[i].path[k]; k++) {
			va = json_object_get(va, m[i].path[k]);
			vb = json_object_get(vb, m[i].path[k]);
		}
		double x = json_is_number(va) ? json_number_value(va) : NAN;
		double y = json_is_number(vb) ? json_number_value(vb) : NAN;
		json_t *r = json_object();
		json_object_set_new(r, "name", json_string(m[i].name));
		json_object_set_new(r, "a", isfinite(x) ? json_real(x)
							 : json_null());
		json_object_set_new(r, "b", isfinite(y) ? json_real(y)
							 : json_null());
		double d = y - x, rel = x != 0 ? d / fabs(x) : NAN;
		json_object_set_new(r, "delta", isfinite(d) ? json_real(d)
							     : json_null());
		json_object_set_new(r, "rel", isfinite(rel) ? json_real(rel)
							     : json_null());
		json_array_append_new(out, r);
	}
	return out;
}

/* Compact JSON of v, cut at DIFF_MAX_VALUE characters; caller frees. */
static char *short_value(const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	if (!s)
		return xstrdup("(absent)");
	if (strlen(s) > DIFF_MAX_VALUE)
		memcpy(s + DIFF_MAX_VALUE - 3, "...", 4);
	return s;
}

static void print_pairs(const char *title, json_t *d)
{
	size_t i;
	json_t *x;
	if (!json_array_size(d)) {
		printf("%s: identical\n", title);
		return;
	}
	printf("%s: %zu difference%s\n", title, json_array_size(d),
	       json_array_size(d) == 1 ? "" : "s");
	json_array_foreach(d, i, x) {
		const char *only =
			json_string_value(json_object_get(x, "only_in"));
		char *a = short_value(!only || !strcmp(only, "a")
					      ? json_object_get(x, "a")
					      : NULL);
		char *b = short_value(!only || !strcmp(only, "b")
					      ? json_object_get(x, "b")
					      : NULL);
		printf("  %-40s A %s\n  %-40s B %s\n",
		       json_string_value(json_object_get(x, "key")), a, "", b);
		free(a);
		free(b);
	}
}

static void print_metrics(json_t *d)
{
	size_t i;
	json_t *x;
	printf("headline metrics (B - A; no significance test):\n");
	printf("  %-20s %14s %14s %14s %9s\n", "metric", "A", "B", "delta",
	       "rel");
	json_array_foreach(d, i, x) {
		double a = json_number_value(json_object_get(x, "a"));
		double b = json_number_value(json_object_get(x, "b"));
		json_t *dl = json_object_get(x, "delta");
		json_t *rl = json_object_get(x, "rel");
		char sa[32] = "-", sb[32] = "-", sd[32] = "-", sr[32] = "-";
		if (json_is_number(json_object_get(x, "a")))
			snprintf(sa, sizeof(sa), "%.4g", a);
		if (json_is_number(json_object_get(x, "b")))
			snprintf(sb, sizeof(sb), "%.4g", b);
		if (json_is_number(dl))
			snprintf(sd, sizeof(sd), "%+.4g",
				 json_number_value(dl));
		if (json_is_number(rl))
			snprintf(sr, sizeof(sr), "%+.1f%%",
				 100 * json_number_value(rl));
		printf("  %-20s %14s %14s %14s %9s\n",
		       json_string_value(json_object_get(x, "name")), sa, sb,
		       sd, sr);
	}
}

int cmd_diff(int argc, char **argv)
{
	struct diff_opts o;
	char **args = NULL;
	int nargs = 0, rc = EXIT_USAGE;
	json_t *a = NULL, *b = NULL, *env = NULL, *conf = NULL, *met = NULL;
	char err[256];
	memset(&o, 0, sizeof(o));
	int prc = opts_parse(&diff_cmd, argc, argv, &o, &args, &nargs);
	if (prc) {
		rc = prc > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	msg_level = o.quiet ? MSG_QUIET : MSG_NORMAL;
	json_t **docs[2] = {&a, &b};
	for (int i = 0; i < 2; i++) {
		int lrc = results_json_load(args[i], docs[i], err, sizeof(err));
		if (lrc) {
			errorf("diff: %s: %s", args[i],
			       lrc == -EINVAL ? err : strerror(-lrc));
			rc = EXIT_FAIL;
			goto out;
		}
		if (!json_object_get(*docs[i], "fingerprint"))
			warnf("diff: %s has no fingerprint (written before "
			      "infbench recorded one)",
			      args[i]);
	}
	env = env_diff(a, b);
	conf = fingerprint_diff(json_object_get(json_object_get(a, "run"),
						"config"),
				json_object_get(json_object_get(b, "run"),
						"config"));
	met = metric_deltas(a, b);
	if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "a", json_string(args[0]));
		json_object_set_new(j, "b", json_string(args[1]));
		json_object_set(j, "environment", env);
		json_object_set(j, "configuration", conf);
		json_object_set(j, "metrics", met);
		char *s = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(j);
	} else {
		printf("A: %s\nB: %s\n", args[0], args[1]);
		print_pairs("environment", env);
		print_pairs("configuration", conf);
		print_metrics(met);
	}
	rc = EXIT_OK;
out:
	json_decref(a);
	json_decref(b);
	json_decref(env);
	json_decref(conf);
	json_decref(met);
	free(args);
	opts_free(&diff_cmd, &o);
	return rc;
}
