/* detect.c - server API auto-detection and target discovery. */
#include "proto/detect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "net/client.h"

#define DETECT_TIMEOUT_S 5.0 /* per probe */

const char *const detect_probe_paths[DETECT_NPROBES] = {
	"/version", "/info", "/props", "/get_server_info", "/server_info",
	"/v2", "/api/version", "/v1/models",
};

/* Per flavour: preferred adapter, chat and completions adapters. */
static const struct {
	const char *name;
	const struct proto_ops *pref, *chat, *cmpl;
} flav[DETECT__N] = {
	[DETECT_NONE] = {"none", NULL, NULL, NULL},
	[DETECT_VLLM] = {"vllm", &proto_openai_completions, &proto_openai_chat,
			 &proto_openai_completions},
	[DETECT_SGLANG] = {"sglang", &proto_sglang_generate, &proto_sglang_chat,
			   &proto_sglang_completions},
	[DETECT_LMDEPLOY] = {"lmdeploy", &proto_lmdeploy_generate,
			     &proto_lmdeploy_chat, &proto_lmdeploy_completions},
	[DETECT_TRTLLM] = {"trtllm", &proto_trtllm_completions,
			   &proto_trtllm_chat, &proto_trtllm_completions},
	[DETECT_TGI] = {"tgi", &proto_tgi, &proto_openai_chat,
			&proto_openai_completions},
	[DETECT_LLAMACPP] = {"llamacpp", &proto_llamacpp, &proto_openai_chat,
			     &proto_openai_completions},
	[DETECT_OLLAMA] = {"ollama", &proto_ollama, &proto_openai_chat,
			   &proto_openai_completions},
	[DETECT_TRITON] = {"triton", &proto_triton, NULL, NULL},
	[DETECT_OPENAI] = {"openai", &proto_openai_completions,
			   &proto_openai_chat, &proto_openai_completions},
};

const char *detect_flavour_name(enum detect_flavour f)
{
	return f < DETECT__N ? flav[f].name : "none";
}

/* The probe for path answered 200 with a JSON object/array: parsed. */
static json_t *probe_json(const struct detect_probe *p, size_t n,
			  const char *path)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(p[i].path, path) || p[i].status != 200 || !p[i].body)
			continue;
		json_error_t jerr;
		return json_loadb(p[i].body, p[i].len, 0, &jerr);
	}
	return NULL;
}

static int has_key(json_t *o, const char *k)
{
	return json_is_object(o) && json_object_get(o, k) != NULL;
}

/* One rule per matchable signal, in precedence order. */
enum rule {
	R_PROPS, R_OLLAMA_VERSION, R_SGLANG_INFO, R_TRITON_V2, R_OWNED_VLLM,
	R_TGI_INFO, R_OWNED_TRTLLM, R_OWNED_LMDEPLOY, R_OWNED_SGLANG,
	R_OWNED_LLAMACPP, R_OWNED_OLLAMA, R_MODELS, R__N
};

static const enum detect_flavour rule_flavour[R__N] = {
	DETECT_LLAMACPP, DETECT_OLLAMA, DETECT_SGLANG, DETECT_TRITON,
	DETECT_VLLM, DETECT_TGI, DETECT_TRTLLM, DETECT_LMDEPLOY,
	DETECT_SGLANG, DETECT_LLAMACPP, DETECT_OLLAMA, DETECT_OPENAI,
};

static const char *const rule_why[R__N] = {
	"GET /props answered llama.cpp server properties",
	"GET /api/version answered {\"version\"} (Ollama)",
	"GET /get_server_info or /server_info answered SGLang server args",
	"GET /v2 answered Triton server metadata",
	"GET /v1/models owned_by \"vllm\"",
	"GET /info answered TGI router info (model_id)",
	"GET /v1/models owned_by \"tensorrt_llm\" (trtllm-serve)",
	"GET /v1/models owned_by \"lmdeploy\"",
	"GET /v1/models owned_by \"sglang\"",
	"GET /v1/models owned_by \"llamacpp\"",
	"GET /v1/models owned_by an Ollama owner (\"library\"/\"ollama\")",
	"GET /v1/models answered an OpenAI model list of unknown ownership",
};

int detect_classify(const struct detect_probe *p, size_t n,
		    struct detect_result *res)
{
	int match[R__N] = {0};
	memset(res, 0, sizeof(*res));

	json_t *props = probe_json(p, n, "/props");
	match[R_PROPS] = has_key(props, "default_generation_settings") ||
			 has_key(props, "total_slots") ||
			 has_key(props, "build_info");
	json_decref(props);

	json_t *av = probe_json(p, n, "/api/version");
	match[R_OLLAMA_VERSION] =
		json_is_string(json_object_get(av, "version"));
	json_decref(av);

	for (int k = 0; k < 2; k++) {
		json_t *si = probe_json(p, n, k ? "/server_info"
						: "/get_server_info");
		if (has_key(si, "version") || has_key(si, "context_length") ||
		    has_key(si, "max_total_num_tokens") ||
		    has_key(si, "model_path"))
			match[R_SGLANG_INFO] = 1;
		json_decref(si);
	}

	json_t *v2 = probe_json(p, n, "/v2");
	const char *v2n = json_string_value(json_object_get(v2, "name"));
	match[R_TRITON_V2] = (v2n && !strcmp(v2n, "triton")) ||
			     json_is_array(json_object_get(v2, "extensions"));
	json_decref(v2);

	json_t *info = probe_json(p, n, "/info");
	match[R_TGI_INFO] = json_is_string(json_object_get(info, "model_id")) &&
			    (has_key(info, "router") ||
			     has_key(info, "max_total_tokens") ||
			     has_key(info, "max_input_tokens") ||
			     has_key(info, "max_input_length"));
	json_decref(info);

	json_t *models = probe_json(p, n, "/v1/models");
	json_t *data = json_object_get(models, "data");
	if (json_is_array(data)) {
		match[R_MODELS] = 1;
		size_t i;
		json_t *m;
		json_array_foreach(data, i, m)
		{
			const char *o = json_string_value(
				json_object_get(m, "owned_by"));
			if (!o)
				continue;
			if (!strcmp(o, "vllm"))
				match[R_OWNED_VLLM] = 1;
			else if (!strcmp(o, "tensorrt_llm"))
				match[R_OWNED_TRTLLM] = 1;
			else if (!strcmp(o, "lmdeploy"))
				match[R_OWNED_LMDEPLOY] = 1;
			else if (!strcmp(o, "sglang"))
				match[R_OWNED_SGLANG] = 1;
			else if (!strcmp(o, "llamacpp"))
				match[R_OWNED_LLAMACPP] = 1;
			else if (!strcmp(o, "library") || !strcmp(o, "ollama"))
				match[R_OWNED_OLLAMA] = 1;
		}
	}
	json_decref(models);

	int first = -1;
	size_t al = 0;
	for (int r = 0; r < R__N; r++) {
		if (!match[r])
			continue;
		if (first < 0) {
			first = r;
			continue;
		}
		enum detect_flavour f = rule_flavour[r];
		if (f == rule_flavour[first] || f == DETECT_OPENAI ||
		    strstr(res->also, flav[f].name))
			continue;
		al += (size_t)snprintf(res->also + al,
				       al < sizeof(res->also)
					       ? sizeof(res->also) - al
					       : 0,
				       "%s%s", al ? ", " : "", flav[f].name);
		if (al >= sizeof(res->also))
			al = sizeof(res->also);
	}
	if (first < 0)
		return -ENOENT;
	res->flavour = rule_flavour[first];
	res->api = flav[res->flavour].pref;
	snprintf(res->evidence, sizeof(res->evidence), "%s", rule_why[first]);
	return 0;
}

const struct proto_ops *detect_api_for_path(enum detect_flavour f,
					    const struct proto_ops *preferred,
					    const char *path)
{
	if (!path || !*path || f >= DETECT__N)
		return preferred;
	if (!strcmp(path, "/v1/chat/completions") && flav[f].chat)
		return flav[f].chat;
	if (!strcmp(path, "/v1/completions") && flav[f].cmpl)
		return flav[f].cmpl;
	return preferred;
}

/* ---- the driver ---- */

struct probe_set {
	struct detect_probe p[DETECT_NPROBES];
	struct buf body[DETECT_NPROBES];
	char *err; /* first transport error */
};

static int run_probes(const char *base, const struct curl_slist *hdrs,
		      int insecure, struct probe_set *ps)
{
	int answered = 0;
	for (int i = 0; i < DETECT_NPROBES; i++) {
		char *url = xasprintf("%s%s", base, detect_probe_paths[i]);
		char *err = NULL;
		long status = 0;
		buf_reset(&ps->body[i]);
		int rc = http_fetch(url, hdrs, NULL, DETECT_TIMEOUT_S, insecure,
				    &ps->body[i], &status, &err);
		free(url);
		ps->p[i].path = detect_probe_paths[i];
		ps->p[i].status = rc ? 0 : status;
		ps->p[i].body = ps->body[i].data;
		ps->p[i].len = ps->body[i].len;
		if (rc && !ps->err)
			ps->err = err;
		else
			free(err);
		answered += rc == 0;
	}
	return answered;
}

static void note_caveats(const struct proto_ops *api)
{
	if (!api->force_len)
		warnf("%s cannot force the output length (no ignore-EOS over "
		      "its API): --output-len is an upper bound; requests "
		      "that stop short are counted and reported",
		      api->name);
	if (api->requeue_tok)
		notef("%s re-queues a request every %d generated tokens "
		      "(queue + prefill stall); gaps at those tokens are "
		      "checked after the run",
		      api->name, (int)api->requeue_tok);
}

const struct proto_ops *detect_select(const char *name, const char *base,
				      const char *path,
				      const struct curl_slist *hdrs,
				      int insecure, double wait_s,
				      json_t *server)
{
	const struct proto_ops *api = NULL;
	struct probe_set ps;
	struct detect_result res;
	json_t *rec = json_object();
	memset(&ps, 0, sizeof(ps));
	for (int i = 0; i < DETECT_NPROBES; i++)
		buf_init(&ps.body[i], DETECT_MAX_BODY);
	json_object_set_new(rec, "requested", json_string(name));
	if (strcasecmp(name, "auto")) {
		api = proto_find(name);
		if (!api)
			errorf("run: unknown --api '%s' (known: %s)", name,
			       proto_names());
		goto out;
	}
	int64_t give_up = clock_now_ns() + (int64_t)(wait_s * 1e9);
	int answered, rc;
	for (;;) {
		free(ps.err);
		ps.err = NULL;
		answered = run_probes(base, hdrs, insecure, &ps);
		rc = answered ? detect_classify(ps.p, DETECT_NPROBES, &res)
			      : -EIO;
		if (!rc || clock_now_ns() >= give_up)
			break;
		clock_sleep_until_ns(clock_now_ns() + 250 * NS_PER_MS, NULL);
	}
	json_t *pr = json_object();
	for (int i = 0; i < DETECT_NPROBES; i++)
		json_object_set_new(pr, ps.p[i].path,
				    json_integer(ps.p[i].status));
	json_object_set_new(rec, "probes", pr);
	if (!answered) {
		errorf("cannot reach %s: %s", base,
		       ps.err ? ps.err : "no response");
		goto out;
	}
	if (rc) {
		struct buf tried;
		buf_init(&tried, 0);
		for (int i = 0; i < DETECT_NPROBES; i++)
			buf_printf(&tried, "%s%s (%ld)", i ? ", " : "",
				   ps.p[i].path, ps.p[i].status);
		errorf("run: no known server API at %s: tried GET %s; pass "
		       "--api NAME (known: %s)",
		       base, tried.data, proto_names());
		buf_free(&tried);
		goto out;
	}
	api = detect_api_for_path(res.flavour, res.api, path);
	notef("detected %s server (%s)%s%s; using --api %s",
	      detect_flavour_name(res.flavour), res.evidence,
	      res.also[0] ? "; also matched " : "", res.also,
	      api->name);
	json_object_set_new(rec, "flavour",
			    json_string(detect_flavour_name(res.flavour)));
	json_object_set_new(rec, "evidence", json_string(res.evidence));
	if (res.also[0])
		json_object_set_new(rec, "also_matched", json_string(res.also));
out:
	if (api) {
		json_object_set_new(rec, "api", json_string(api->name));
		json_object_set_new(rec, "counts", json_string(api->counts));
		json_object_set_new(rec, "force_length",
				    json_boolean(api->force_len));
		note_caveats(api);
	}
	json_object_set_new(server, "detected", rec);
	free(ps.err);
	for (int i = 0; i < DETECT_NPROBES; i++)
		buf_free(&ps.body[i]);
	return api;
}

/* ---- discovery ---- */

/* Value at a dotted path ("data.0.id"); array indexes are numbers. */
static json_t *jget(json_t *j, const char *dotted)
{
	char part[64];
	while (j && dotted && *dotted) {
		size_t n = strcspn(dotted, ".");
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, dotted, n);
		part[n] = '\0';
		if (json_is_array(j)) {
			char *end;
			long i = strtol(part, &end, 10);
			j = *end ? NULL : json_array_get(j, (size_t)i);
		} else {
			j = json_object_get(j, part);
		}
		dotted += n + (dotted[n] == '.');
	}
	return j;
}

/* GET (or POST post) base+path until 200 or wait_s; parsed JSON or NULL
 * with *status (0 = unreachable) and an error message printed when
 * loud. */
static json_t *fetch_json(const char *base, const char *path,
			  const char *post, const struct curl_slist *hdrs,
			  int insecure, double wait_s, long *status, int loud)
{
	char *url = xasprintf("%s%s", base, path);
	int64_t give_up = clock_now_ns() + (int64_t)(wait_s * 1e9);
	char *err = NULL;
	json_t *j = NULL;
	int rc;
	struct buf body;
	buf_init(&body, DETECT_MAX_BODY);
	for (;;) {
		free(err);
		err = NULL;
		buf_reset(&body);
		*status = 0;
		rc = http_fetch(url, hdrs, post, 10, insecure, &body, status,
				&err);
		if (!rc && *status == 200)
			break;
		if (clock_now_ns() >= give_up)
			break;
		clock_sleep_until_ns(clock_now_ns() + 250 * NS_PER_MS, NULL);
	}
	if (rc) {
		*status = 0;
		errorf("cannot reach %s: %s", url, err ? err : "error");
		goto out;
	}
	if (*status != 200) {
		if (loud)
			errorf("%s answered HTTP %ld", url, *status);
		goto out;
	}
	json_error_t jerr;
	j = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
	if (!j && loud)
		errorf("%s returned invalid JSON: %s", url, jerr.text);
out:
	free(err);
	free(url);
	buf_free(&body);
	return j;
}

/* Triton: pick the ensemble (or BLS, or the first ready model) from the
 * repository index. */
static const char *triton_pick(json_t *idx)
{
	static const char *const pref[] = {"ensemble", "tensorrt_llm_bls"};
	size_t i;
	json_t *m;
	for (size_t k = 0; k < 2; k++)
		json_array_foreach(idx, i, m)
		{
			const char *n =
				json_string_value(json_object_get(m, "name"));
			if (n && !strcmp(n, pref[k]))
				return n;
		}
	/* else the first ready model that is not an ensemble step */
	json_array_foreach(idx, i, m)
	{
		const char *st = json_string_value(json_object_get(m, "state"));
		const char *n = json_string_value(json_object_get(m, "name"));
		if (n && (!st || !strcmp(st, "READY")) &&
		    strcmp(n, "preprocessing") && strcmp(n, "postprocessing") &&
		    strcmp(n, "tensorrt_llm"))
			return n;
	}
	return NULL;
}

static int discover_triton(const char *base, const struct curl_slist *hdrs,
			   int insecure, double wait_s, char **model,
			   json_t *server)
{
	long status;
	if (!*model) {
		json_t *idx = fetch_json(base, "/v2/repository/index", "{}",
					 hdrs, insecure, wait_s, &status, 1);
		if (!idx)
			return status ? -EINVAL : -EIO;
		json_object_set_new(server, "triton_index", idx);
		const char *m = triton_pick(idx);
		if (!m) {
			errorf("%s/v2/repository/index lists no ready model; "
			       "pass --model",
			       base);
			return -EINVAL;
		}
		*model = xstrdup(m);
	}
	char *path = xasprintf("/v2/models/%s/config", *model);
	json_t *cfg = fetch_json(base, path, NULL, hdrs, insecure, 0, &status,
				 0);
	free(path);
	if (!cfg) {
		if (!status)
			return -EIO;
		warnf("triton: no config for model %s (HTTP %ld): using the "
		      "TRT-LLM ensemble input names",
		      *model, status);
		proto_triton_reset();
		return 0;
	}
	char *txt = json_dumps(cfg, JSON_COMPACT);
	int force = 0, exact = 0;
	char why[128];
	int rc = proto_triton_configure(txt, strlen(txt), &force, &exact, why,
					sizeof(why));
	free(txt);
	json_object_set_new(server, "triton_config", cfg);
	if (rc) {
		warnf("triton: model %s: %s; using the TRT-LLM ensemble "
		      "input names",
		      *model, why);
		proto_triton_reset();
		return 0;
	}
	if (!force)
		warnf("triton: model %s has no min_tokens input: output length "
		      "cannot be forced (shortfalls are reported)",
		      *model);
	if (!exact)
		warnf("triton: model %s has no return_num_output_tokens: "
		      "per-event token counts unknown",
		      *model);
	return 0;
}

int detect_discover(const char *base, const struct proto_ops *api,
		    const struct curl_slist *hdrs, int insecure, double wait_s,
		    char **model, long long *max_ctx, json_t *server)
{
	const char *path = "/v1/models", *key = "v1_models";
	const char *model_at = "data.0.id", *ctx_at = "data.0.max_model_len";
	int need_model = strncmp(api->default_path, "/v1/", 4) == 0;
	long status = 0;
	if (api == &proto_triton)
		return discover_triton(base, hdrs, insecure, wait_s, model,
				       server);
	if (api == &proto_tgi) {
		path = "/info", key = "info";
		model_at = "model_id", ctx_at = "max_total_tokens";
	} else if (api == &proto_llamacpp) {
		path = "/props", key = "props";
		model_at = "model_alias";
		ctx_at = "default_generation_settings.n_ctx";
	} else if (api == &proto_ollama) {
		path = "/api/tags", key = "api_tags";
		model_at = "models.0.name", ctx_at = NULL;
		need_model = 1;
	}
	json_t *j = fetch_json(base, path, NULL, hdrs, insecure, wait_s,
			       &status, need_model && !*model);
	if (!j) {
		if (!status)
			return -EIO;
		if (need_model && !*model) {
			errorf("pass --model to skip discovery");
			return -EINVAL;
		}
		return 0;
	}
	json_object_set_new(server, key, j);
	const char *id = json_string_value(jget(j, model_at));
	json_t *ml = ctx_at ? jget(j, ctx_at) : NULL;
	if (!*model && id)
		*model = xstrdup(id);
	if (!*model && need_model) {
		errorf("%s%s lists no model; pass --model", base, path);
		return -EINVAL;
	}
	if (json_is_integer(ml))
		*max_ctx = json_integer_value(ml);
	return 0;
}
