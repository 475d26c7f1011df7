/* record.h - one request's measured life, as the client saw it.
 *
 * Owns the per-request record: schedule and send times, every streamed chunk
 * with its arrival time and token delta, the server's token counts and the
 * request's single outcome; and the memory of its event array (reserved as
 * address space, made present ahead of the pushes, trimmed at the end).
 * Written by exactly one worker thread while the request is in flight, read
 * by stats/results after the run. Knows nothing of sockets or JSON. Times
 * are CLOCK_MONOTONIC ns relative to the run's t0.
 */
#ifndef INFBENCH_RESULTS_RECORD_H
#define INFBENCH_RESULTS_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* Every request ends in exactly one of these. Order is the JSON/CSV order. */
enum rec_outcome {
	REC_OK = 0,              /* 200, >=1 token chunk, stream completed */
	REC_HTTP_ERROR,          /* response status was not 200 */
	REC_STREAM_ERROR,        /* {"error":...} event after a 200 */
	REC_CONNECT_FAILED,      /* refused, unresolvable, TLS handshake */
	REC_TIMEOUT_CONNECT,     /* --connect-timeout */
	REC_TIMEOUT_FIRST_TOKEN, /* --first-token-timeout */
	REC_TIMEOUT_TOTAL,       /* --timeout */
	REC_CONN_RESET,          /* connection closed/reset mid-response */
	REC_TRUNCATED,           /* clean close but no end-of-stream marker */
	REC_BAD_EVENT,           /* an event that is not valid JSON / SSE */
	REC_NO_TOKENS,           /* completed but carried no generated token */
	REC_CANCELLED,           /* in flight when the run was interrupted */
	REC_NOT_SENT,            /* scheduled, never sent (interrupted) */
	REC__COUNT
};

/* Stable lower-case name ("ok", "http_error", ...). */
const char *rec_outcome_name(enum rec_outcome o);

/* Where a request's output token count came from. */
enum rec_count_src {
	REC_COUNT_NONE = 0,   /* failed request: no count */
	REC_COUNT_USAGE,      /* server usage / details / meta_info */
	REC_COUNT_CHUNK,      /* sum of exact per-chunk deltas (TGI, cont. usage) */
	REC_COUNT_TOKENIZER,  /* our tokenizer on the concatenated text */
	REC_COUNT_EVENTS,     /* fallback: one per token chunk (estimate) */
};
const char *rec_count_src_name(enum rec_count_src s);

/* One streamed chunk that carried a choice (vLLM's "event"). */
struct rec_event {
	int64_t t_ns;   /* when its bytes were read, relative to t0 */
	int32_t tokens; /* exact token delta, or -1 when the API does not say */
	uint32_t text_bytes; /* bytes of generated text (content + reasoning) */
};

struct rec {
	uint32_t id;
	uint8_t warmup;      /* excluded from statistics */
	uint8_t outcome;     /* enum rec_outcome */
	uint16_t http_status; /* 0 when no response */
	int32_t in_len;      /* target prompt tokens (our estimate/tokenizer) */
	int32_t out_len;     /* requested output tokens (max_tokens) */
	int32_t prompt_tokens;     /* server-reported, -1 unknown */
	int32_t completion_tokens; /* server-reported final count, -1 unknown */
	int64_t t_arrival_ns;    /* intended release time from the schedule */
	int64_t t_send_ns;       /* just before the request is written; -1 */
	int64_t t_first_byte_ns; /* first response byte; -1 */
	int64_t t_done_ns;       /* stream end or failure; -1 */
	uint32_t n_events;
	uint32_t cap_events;
	struct rec_event *events; /* owned */
	void *ev_ready;           /* events' pages below this were made
				     present (rec_push_event); a hint */
	char *error;              /* outcome detail, owned, NULL when ok */
	char *text;               /* generated text when kept, owned */
	size_t text_len;
	int32_t worker;           /* worker thread that ran it */
};

/* Zero a record and set the "unknown" sentinels. */
void rec_init(struct rec *r, uint32_t id);
/* Free what the record owns (events, error, text); r itself is not freed. */
void rec_free(struct rec *r);
/* Room for n events before the first chunk, so that streams up to n
 * chunks never allocate on the per-token path. Only address space: pages
 * are made present as the pushes reach them. Where that much address
 * space is refused, less (n/4, n/16, ...) or none: never fatal. */
void rec_reserve_events(struct rec *r, uint32_t n);
/* Append one chunk. Grows geometrically (amortised O(1)). The array's
 * pages are made present a window ahead of the pushes, one madvise call
 * instead of one page fault per 256 events. */
void rec_push_event(struct rec *r, int64_t t_ns, int32_t tokens,
		    uint32_t text_bytes);
/* Give back the reserved room a finished stream did not use (when it is
 * worth it), so that early-ended streams hold what they used. */
void rec_trim_events(struct rec *r);
/* Set the outcome once: the first call wins, later calls are ignored, so the
 * earliest cause is the one reported. error is copied (may be NULL). */
void rec_set_outcome(struct rec *r, enum rec_outcome o, const char *error);
/* Output tokens by the anchors.md §5.7 rule: server count if > 0, else the
 * sum of exact chunk deltas, else (tokenizer_count >= 0) that, else the
 * number of chunks that carried text. *src says which. */
int32_t rec_out_tokens(const struct rec *r, int32_t tokenizer_count,
		       enum rec_count_src *src);

#endif
