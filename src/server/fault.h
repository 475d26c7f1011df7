/* fault.h - which injected fault, if any, a generation request gets.
 *
 * Owns the fault plan: per-kind probabilities drawn from a per-request
 * stream derived from --seed and the request's arrival number (so the
 * same seed and order give the same faults), and deterministic
 * "every Nth request" rules that win over the probabilities. Knows nothing
 * of how a fault is carried out. Pure; thread-safe.
 */
#ifndef INFBENCH_SERVER_FAULT_H
#define INFBENCH_SERVER_FAULT_H

#include <stdint.h>

enum fault_kind {
	FAULT_NONE = 0,
	FAULT_429,     /* HTTP 429 with a JSON error body */
	FAULT_503,     /* HTTP 503 with a JSON error body */
	FAULT_ERROR,   /* error event mid-stream, then the stream ends */
	FAULT_DROP,    /* socket closed mid-stream, chunked encoding unfinished */
	FAULT_GARBAGE, /* a "data: {not json" event mid-stream, then go on */
	FAULT_STALL,   /* no more bytes after k tokens; connection stays open */
	FAULT__COUNT
};

#define FAULT_MAX_EVERY 8 /* --fault-every rules */

struct fault_config {
	double prob[FAULT__COUNT];  /* per-request probability by kind */
	int n_every;
	enum fault_kind every_kind[FAULT_MAX_EVERY];
	uint64_t every_n[FAULT_MAX_EVERY]; /* request seq % n == 0 */
	int64_t after_tokens; /* mid-stream faults fire after this many tokens */
	uint64_t seed;
};

/* "429", "503", "error", "drop", "garbage", "stall" ("none" for 0). */
const char *fault_name(enum fault_kind k);
/* Name to kind; FAULT_NONE when unknown. */
enum fault_kind fault_from_name(const char *s, int len);
/* Parse "KIND:N" into rule slot cfg->n_every. 0 or -EINVAL (-ENOSPC when
 * full). */
int fault_add_every(struct fault_config *cfg, const char *spec);
/* Probabilities in [0,1] summing to <= 1? 0 or -EINVAL. */
int fault_validate(const struct fault_config *cfg);
/* The fault for the request with 1-based arrival number seq. */
enum fault_kind fault_pick(const struct fault_config *cfg, uint64_t seq);

#endif
