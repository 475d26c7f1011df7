/* cmd_serve.c - `infbench serve --mock`: run the built-in LLM server.
 *
 * Parses the serve option table into a struct srv_config, starts the server
 * thread (server/serve.h), reports the address on stderr (and the port in
 * --port-file), then waits for SIGINT/SIGTERM and stops cleanly.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "server/serve.h"

struct serve_opts {
	int mock;
	char *host;
	long long port;
	char *port_file;
	char *model;
	long long max_model_len;
	long long chat_tokens;
	long long max_concurrent;
	double ttft_s, itl_s, jitter_s;
	long long tokens_per_chunk;
	long long seed;
	long long close_after;
	double p429, p503, perror, pdrop, pgarbage, pstall;
	long long fault_after;
	struct opt_list fault_every;
	int quiet;
};

#define O(f) offsetof(struct serve_opts, f)
static const struct opt serve_table[] = {
	{"mock", 0, OPT_BOOL, O(mock), "0", NULL,
	 "serve with the mock backend (fixed TTFT/ITL; required for now)",
	 NULL, NULL},
	{"host", 0, OPT_STR, O(host), "127.0.0.1", "HOST",
	 "address to listen on", NULL, "INFBENCH_SERVE_HOST"},
	{"port", 'p', OPT_INT, O(port), "8000", "PORT",
	 "TCP port; 0 picks a free one", NULL, "INFBENCH_SERVE_PORT"},
	{"port-file", 0, OPT_STR, O(port_file), NULL, "FILE",
	 "write the bound port (decimal + newline) here once listening", NULL,
	 NULL},
	{"model", 'm', OPT_STR, O(model), "mock-model", "NAME",
	 "served model name (/v1/models; other names get 404)",
	 "served-model-name", NULL},
	{"max-model-len", 0, OPT_INT, O(max_model_len), "4096", "N",
	 "prompt + output token cap (400/422 beyond it)", NULL, NULL},
	{"chat-template-tokens", 0, OPT_INT, O(chat_tokens), "8", "N",
	 "tokens a chat request adds to its messages' words", NULL, NULL},
	{"max-concurrent", 0, OPT_INT, O(max_concurrent), "128", "N",
	 "max_concurrent_requests reported by TGI /info (not enforced)", NULL,
	 NULL},
	{"ttft", 0, OPT_DURATION_MS, O(ttft_s), "50ms", "DUR",
	 "request arrival to first token (bare number = ms)", NULL, NULL},
	{"itl", 0, OPT_DURATION_MS, O(itl_s), "10ms", "DUR",
	 "time between tokens (bare number = ms); 0 = as fast as possible",
	 NULL, NULL},
	{"jitter", 0, OPT_DURATION_MS, O(jitter_s), "0", "DUR",
	 "each emission moves uniformly within +-DUR/2 (means unchanged)",
	 NULL, NULL},
	{"tokens-per-chunk", 0, OPT_INT, O(tokens_per_chunk), "1", "N",
	 "tokens per streamed chunk after the first (vLLM stream-interval)",
	 "stream-interval", NULL},
	{"seed", 0, OPT_INT, O(seed), "0", "N",
	 "seed for jitter, fault draws and response ids", NULL, NULL},
	{"close-after", 0, OPT_INT, O(close_after), "0", "N",
	 "close a keep-alive connection after N responses (0 = never)", NULL,
	 NULL},
	{"fault-429", 0, OPT_DOUBLE, O(p429), "0", "P",
	 "probability a request gets HTTP 429 with a JSON error body", NULL,
	 NULL},
	{"fault-503", 0, OPT_DOUBLE, O(p503), "0", "P",
	 "probability a request gets HTTP 503", NULL, NULL},
	{"fault-error", 0, OPT_DOUBLE, O(perror), "0", "P",
	 "probability of an error event mid-stream (then [DONE])", NULL, NULL},
	{"fault-drop", 0, OPT_DOUBLE, O(pdrop), "0", "P",
	 "probability the socket closes mid-stream (chunked encoding unfinished)",
	 NULL, NULL},
	{"fault-garbage", 0, OPT_DOUBLE, O(pgarbage), "0", "P",
	 "probability of a 'data: {not json' event mid-stream (stream goes on)",
	 NULL, NULL},
	{"fault-stall", 0, OPT_DOUBLE, O(pstall), "0", "P",
	 "probability the stream stops mid-way with the connection left open",
	 NULL, NULL},
	{"fault-after-tokens", 0, OPT_INT, O(fault_after), "4", "K",
	 "mid-stream faults fire after K tokens (or at the end if shorter)",
	 NULL, NULL},
	{"fault-every", 0, OPT_LIST, O(fault_every), NULL, "KIND:N",
	 "every Nth generation request gets KIND (429 503 error drop garbage "
	 "stall); repeatable, wins over probabilities",
	 NULL, NULL},
	{"quiet", 'q', OPT_BOOL, O(quiet), "0", NULL,
	 "only errors on stderr", NULL, NULL},
	OPT_END,
};
#undef O

static const struct opts_cmd serve_cmd = {
	"serve",
	"infbench serve --mock [--port 8000] [--ttft 50ms] [--itl 10ms] "
	"[faults...]",
	"Run the built-in LLM server: vLLM-style OpenAI routes "
	"(/v1/completions,\n/v1/chat/completions, /v1/models, /version, "
	"/tokenize, /metrics, /health) and\nTGI routes (/generate_stream, "
	"/generate, /info). Each request produces exactly\nits max_tokens "
	"(max_completion_tokens; TGI max_new_tokens) tokens, one word each;\n"
	"prompt tokens = whitespace-separated words (+ template tokens for "
	"chat).\nFaults are counted over generation requests in arrival "
	"order. Stops on SIGINT/SIGTERM.",
	serve_table,
	0,
	0,
};

static int write_port_file(const char *path, int port)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int rc = 0;
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f)) {
		rc = -errno;
		f = NULL;
	}
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		remove(tmp);
	free(tmp);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o = {0};
	struct srv_config cfg;
	struct srv *srv = NULL;
	char *err = NULL;
	int rc = opts_parse(&serve_cmd, argc, argv, &o, NULL, NULL);
	int ret = EXIT_USAGE;
	sigset_t set;

	if (rc == 1) {
		ret = EXIT_OK;
		goto out;
	}
	if (rc < 0)
		goto out;
	if (o.quiet)
		msg_level = MSG_QUIET;
	if (!o.mock) {
		errorf("serve: only the mock backend exists so far; pass "
		       "--mock");
		goto out;
	}
	srv_config_defaults(&cfg);
	cfg.host = o.host;
	cfg.port = (int)o.port;
	cfg.model = o.model;
	cfg.max_model_len = o.max_model_len;
	cfg.chat_overhead_tok = o.chat_tokens;
	cfg.max_concurrent = o.max_concurrent;
	cfg.close_after = (unsigned)o.close_after;
	cfg.mock.ttft_s = o.ttft_s;
	cfg.mock.itl_s = o.itl_s;
	cfg.mock.jitter_s = o.jitter_s;
	cfg.mock.tokens_per_chunk = (int)o.tokens_per_chunk;
	cfg.mock.seed = (uint64_t)o.seed;
	cfg.faults.prob[FAULT_429] = o.p429;
	cfg.faults.prob[FAULT_503] = o.p503;
	cfg.faults.prob[FAULT_ERROR] = o.perror;
	cfg.faults.prob[FAULT_DROP] = o.pdrop;
	cfg.faults.prob[FAULT_GARBAGE] = o.pgarbage;
	cfg.faults.prob[FAULT_STALL] = o.pstall;
	cfg.faults.after_tokens = o.fault_after;
	if (o.port < 0 || o.port > 65535) {
		errorf("serve --port: %lld is not a port", o.port);
		goto out;
	}
	if (o.max_model_len < 2 || o.chat_tokens < 0 ||
	    o.tokens_per_chunk < 1 || o.close_after < 0 || o.fault_after < 0) {
		errorf("serve: --max-model-len >= 2, --tokens-per-chunk >= 1, "
		       "and --chat-template-tokens, --close-after, "
		       "--fault-after-tokens >= 0 are required");
		goto out;
	}
	for (size_t i = 0; i < o.fault_every.n; i++)
		if (fault_add_every(&cfg.faults, o.fault_every.items[i])) {
			errorf("serve --fault-every: invalid '%s' (want KIND:N "
			       "with KIND one of 429 503 error drop garbage "
			       "stall, at most %d rules)",
			       o.fault_every.items[i], FAULT_MAX_EVERY);
			goto out;
		}
	if (fault_validate(&cfg.faults)) {
		errorf("serve: fault probabilities must be in [0,1] and sum to "
		       "at most 1");
		goto out;
	}

	/* The server thread inherits the blocked mask; we sigwait here. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	ret = EXIT_FAIL;
	srv = srv_start(&cfg, &err);
	if (!srv) {
		errorf("serve: %s", err);
		goto out;
	}
	int port = srv_port(srv);
	int v6 = strchr(cfg.host, ':') != NULL;
	notef("listening on http://%s%s%s:%d (mock: ttft %.3g ms, itl %.3g "
	      "ms, model %s)",
	      v6 ? "[" : "", cfg.host, v6 ? "]" : "", port,
	      cfg.mock.ttft_s * 1e3, cfg.mock.itl_s * 1e3, cfg.model);
	if (o.port_file && (rc = write_port_file(o.port_file, port))) {
		errorf("serve --port-file %s: %s", o.port_file, strerror(-rc));
		goto out;
	}
	int sig = 0;
	while (sigwait(&set, &sig))
		;
	struct srv_counters c;
	srv_get_counters(srv, &c);
	notef("stopping on %s: %llu generation requests, %llu completed, "
	      "%llu tokens generated",
	      sig == SIGINT ? "SIGINT" : "SIGTERM",
	      (unsigned long long)c.requests, (unsigned long long)c.completed,
	      (unsigned long long)c.generation_tokens);
	ret = EXIT_OK;
out:
	srv_stop(srv);
	free(err);
	opts_free(&serve_cmd, &o);
	return ret;
}
