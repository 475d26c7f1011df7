/* detect.h - which server API is behind a URL (`infbench run --api auto`).
 *
 * Owns two things: the pure classification of a set of info-route probe
 * responses (detect_classify: no I/O, unit-tested per probe set) and a
 * small blocking driver that performs the GETs, picks the adapter, and
 * discovers the model and context length for it (detect_select,
 * detect_discover). Driver calls block (libcurl easy, seconds); call them
 * from one thread before the run starts. Diagnostics via core/msg.h.
 */
#ifndef INFBENCH_PROTO_DETECT_H
#define INFBENCH_PROTO_DETECT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>

#include "proto/proto.h"

#define DETECT_MAX_BODY (1u << 20) /* bytes kept of one probe response */
#define DETECT_NPROBES 8

/* The documented info routes, probed in this order. */
extern const char *const detect_probe_paths[DETECT_NPROBES];

enum detect_flavour {
	DETECT_NONE = 0,
	DETECT_VLLM,
	DETECT_SGLANG,
	DETECT_LMDEPLOY,
	DETECT_TRTLLM,
	DETECT_TGI,
	DETECT_LLAMACPP,
	DETECT_OLLAMA,
	DETECT_TRITON,
	DETECT_OPENAI, /* an OpenAI /v1/models of unknown ownership */
	DETECT__N
};

/* "vllm", "sglang", ... "openai", "none". */
const char *detect_flavour_name(enum detect_flavour f);

/* One probe's outcome. */
struct detect_probe {
	const char *path;  /* "/version" */
	long status;       /* HTTP status, 0 = no response */
	const char *body;  /* response body (need not be NUL-terminated) */
	size_t len;
};

struct detect_result {
	enum detect_flavour flavour;
	const struct proto_ops *api; /* preferred adapter of the flavour */
	char evidence[160];          /* "GET /props: default_generation_..." */
	char also[128];              /* other flavours that matched, "" */
};

/* Classify probes[0..n) (any order, any subset of the probe paths).
 * Rules, first match wins (no real server matches two): /props (llama.cpp),
 * /api/version (Ollama), /get_server_info or /server_info (SGLang), /v2
 * name "triton" (Triton), /v1/models owned_by "vllm" (vLLM), /info with
 * model_id (TGI), /v1/models owned_by "tensorrt_llm" | "lmdeploy" |
 * "sglang" | "llamacpp" | "library"/"ollama", then any /v1/models list
 * (generic OpenAI). Returns 0, or -ENOENT when nothing matched (res
 * flavour DETECT_NONE). Pure. */
int detect_classify(const struct detect_probe *probes, size_t n,
		    struct detect_result *res);

/* The flavour's adapter for a generation path given in --url (e.g.
 * "/v1/chat/completions" -> its chat adapter); "" or an unknown path ->
 * res->api. */
const struct proto_ops *detect_api_for_path(enum detect_flavour f,
					    const struct proto_ops *preferred,
					    const char *path);

/* Resolve --api: name "auto" probes base (retrying up to wait_s while
 * nothing answers or matches), prints what was detected and records
 * {"requested","api","flavour","evidence","probes":{path: status}} under
 * server["detected"]; any other name is looked up. Prints the adapter's
 * caveats (output length not forceable, re-queue). path is the --url path
 * ("" when none). Returns the adapter, or NULL after an error message
 * (unknown name; unreachable server; nothing matched: the message lists
 * every probe and its status). */
const struct proto_ops *detect_select(const char *name, const char *base,
				      const char *path,
				      const struct curl_slist *hdrs,
				      int insecure, double wait_s,
				      json_t *server);

/* Discover the model (when *model is NULL) and context length for api
 * from its info route (/v1/models, TGI /info, llama.cpp /props, Ollama
 * /api/tags, Triton /v2/repository/index + the model config, which also
 * configures the Triton adapter's input names). Stores the raw answer in
 * server. *model is allocated (caller frees). Returns 0, or a negative
 * errno after an error message when the server cannot be reached or an
 * API that needs a model name got none. */
int detect_discover(const char *base, const struct proto_ops *api,
		    const struct curl_slist *hdrs, int insecure, double wait_s,
		    char **model, long long *max_ctx, json_t *server);

#endif
