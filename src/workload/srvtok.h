/* srvtok.h - token counts from the server's own /tokenize route.
 *
 * Owns the request and reply shapes of three servers' tokenize routes
 * (protocols.md): vLLM POST /tokenize {"model","prompt"} -> {"count",...};
 * TGI POST /tokenize {"inputs"} -> [{id,text,start,stop},...]; llama.cpp
 * POST /tokenize {"content","add_special":true} -> {"tokens":[...]}. With
 * SRVTOK_AUTO the first call tries vLLM's shape, then llama.cpp's, and
 * keeps the one that answered. Blocking HTTP (one call per count): for
 * fitting prompt lengths before a run, never on the per-token path. One
 * per thread.
 */
#ifndef INFBENCH_WORKLOAD_SRVTOK_H
#define INFBENCH_WORKLOAD_SRVTOK_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#define SRVTOK_MAX_REPLY ((size_t)64 << 20) /* bytes of one reply */

enum srvtok_shape { SRVTOK_AUTO = 0, SRVTOK_VLLM, SRVTOK_TGI,
		    SRVTOK_LLAMACPP };

struct srvtok;

/* base: "http://host:port" (copied); model may be NULL; headers borrowed
 * (must outlive the counter). Free with srvtok_free. */
struct srvtok *srvtok_new(const char *base, const char *model,
			  enum srvtok_shape shape,
			  const struct curl_slist *headers, int insecure);
void srvtok_free(struct srvtok *s);
/* Count the tokens the server gives text (its special tokens included).
 * Returns 0, or a negative errno with *err set (caller frees). */
int srvtok_count(struct srvtok *s, const char *text, size_t len, int32_t *n,
		 char **err);
/* "vllm", "tgi", "llama.cpp", or "auto" before the first answer. */
const char *srvtok_shape_name(const struct srvtok *s);
/* Calls made so far. */
uint64_t srvtok_calls(const struct srvtok *s);

/* Parse a reply body of the given shape into a count (exposed for tests).
 * 0 or -EINVAL. */
int srvtok_parse_reply(enum srvtok_shape shape, const char *body, size_t len,
		       int32_t *n);

#endif
