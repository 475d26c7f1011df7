/* record.h - one request's measured life, as the client saw it.
 *
 * Owns the per-request record: schedule and send times, every streamed chunk
 * with its arrival time, token delta and whether it carried text (packed,
 * 4 bytes per chunk in the common case: rec_ev_next decodes), the server's
 * token counts and the request's single outcome; and the memory of its
 * event slots (reserved as address space, made present ahead of the pushes,
 * trimmed at the end). Written by exactly one worker thread while the
 * request is in flight, read by stats/results after the run. Knows nothing
 * of sockets or JSON. Times are CLOCK_MONOTONIC ns relative to the run's t0.
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

/* One streamed chunk that carried a choice (vLLM's "event"), as decoded
 * by rec_ev_next. Its stored form is packed (below). */
struct rec_event {
	int64_t t_ns;      /* when its bytes were read, relative to t0 */
	int32_t tokens;    /* exact token delta, or -1 when the API does not say */
	uint32_t has_text; /* 1 when it carried generated text (content or
			      reasoning), else 0 */
};

/* Stored form: an array of uint32 slots. A normal event is one slot:
 * bits 0..27 the time since the previous event (ns, < 2^28: 268 ms),
 * bit 28 has_text, bits 29..31 tokens + 1 (tokens -1..5: codes 0..6).
 * Code 7 is an escape: dt bits 0, bit 28 has_text, then 3 slots: t_ns low
 * 32 bits, t_ns high 32 bits, tokens. A request's first event is always an
 * escape, as is one with a time step outside [0, 2^28) or a delta outside
 * -1..5. So an event costs 4 bytes, or 16 bytes where escaped. */
#define REC_EV_DT_BITS 28
#define REC_EV_DT_MASK ((1u << REC_EV_DT_BITS) - 1)
#define REC_EV_TEXT (1u << REC_EV_DT_BITS)
#define REC_EV_CODE_SHIFT 29
#define REC_EV_ESCAPE 7u   /* the code of an escape */
#define REC_EV_ESCAPE_SLOTS 4 /* slots of an escaped event */

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
	uint32_t n_events;        /* events pushed */
	uint32_t n_slots;         /* slots of ev in use */
	uint32_t cap_slots;       /* slots of ev allocated */
	uint32_t *ev;             /* owned; the packed events (above) */
	void *ev_ready;           /* ev's pages below this were made
				     present (rec_push_event); a hint */
	int64_t t_last_ev_ns;     /* the last event's time (the next one's
				     step is from it); n_events > 0 */
	char *error;              /* outcome detail, owned, NULL when ok */
	char *text;               /* generated text when kept, owned */
	size_t text_len;
	int32_t worker;           /* worker thread that ran it */
};

/* A reading position in a record's events: rec_ev_begin, then
 * rec_ev_next until it returns 0. Valid while the record is not pushed to,
 * trimmed or freed. */
struct rec_evcur {
	const uint32_t *p, *end;
	int64_t t; /* the last decoded event's time */
};

static inline void rec_ev_begin(const struct rec *r, struct rec_evcur *c)
{
	c->p = r->ev;
	c->end = r->ev ? r->ev + r->n_slots : r->ev;
	c->t = 0;
}

/* The next event into *e: 1, or 0 at the end. An escape cut short by the
 * end of the slots ends the events there (nothing past end is read). */
static inline int rec_ev_next(struct rec_evcur *c, struct rec_event *e)
{
	if (c->p >= c->end)
		return 0;
	uint32_t w = c->p[0], code = w >> REC_EV_CODE_SHIFT;
	if (__builtin_expect(code != REC_EV_ESCAPE, 1)) {
		c->t = (int64_t)((uint64_t)c->t + (w & REC_EV_DT_MASK));
		e->tokens = (int32_t)code - 1;
		c->p++;
	} else {
		if (c->end - c->p < REC_EV_ESCAPE_SLOTS) {
			c->p = c->end;
			return 0;
		}
		c->t = (int64_t)((uint64_t)c->p[1] | (uint64_t)c->p[2] << 32);
		e->tokens = (int32_t)c->p[3];
		c->p += REC_EV_ESCAPE_SLOTS;
	}
	e->t_ns = c->t;
	e->has_text = w >> REC_EV_DT_BITS & 1;
	return 1;
}

/* The first event's time (n_events > 0; else 0). */
static inline int64_t rec_first_ev_ns(const struct rec *r)
{
	struct rec_evcur c;
	struct rec_event e;
	rec_ev_begin(r, &c);
	return rec_ev_next(&c, &e) ? e.t_ns : 0;
}

/* Zero a record and set the "unknown" sentinels. */
void rec_init(struct rec *r, uint32_t id);
/* Free what the record owns (ev, error, text); r itself is not freed. */
void rec_free(struct rec *r);
/* Room for n events before the first chunk (n + 4 slots: a stream of n
 * events with one escape), so that such streams never allocate on the
 * per-token path. Only address space: pages are made present as the
 * pushes reach them. Where that much address space is refused, less
 * (a quarter, a sixteenth, ...) or none: never fatal. */
void rec_reserve_events(struct rec *r, uint32_t n);
/* Append one chunk: its time, token delta (-1 unknown) and text byte count
 * (only text_bytes > 0 is kept). One slot, or four where escaped (see the
 * stored form above). Grows geometrically (amortised O(1)). The slots'
 * pages are made present a window ahead of the pushes, one madvise call
 * instead of one page fault per 1024 events. Inline: the engine pushes
 * every chunk; all but the plain case go to rec__push_slow. */
void rec__push_slow(struct rec *r, int64_t t_ns, int32_t tokens,
		    uint32_t text_bytes) __attribute__((noinline));
static inline void rec_push_event(struct rec *r, int64_t t_ns,
				  int32_t tokens, uint32_t text_bytes)
{
	uint64_t dt = (uint64_t)t_ns - (uint64_t)r->t_last_ev_ns;
	uint32_t code = (uint32_t)tokens + 1u; /* -1..5: 0..6 */
	/* room, and not the first event (n_slots 0 wraps to the largest) */
	if (__builtin_expect(r->n_slots - 1u < r->cap_slots - 1u, 1)) {
		uint32_t *p = &r->ev[r->n_slots];
		/* 0 <= dt < 2^28 and code < 7, in one test */
		int fits = ((dt >> REC_EV_DT_BITS) |
			    (((uint64_t)code + 1) >> 3)) == 0;
		/* on a page made present; else the slow path populates */
		int ready = (uintptr_t)(p + 1) <= (uintptr_t)r->ev_ready;
		if (__builtin_expect(fits & ready, 1)) {
			*p = (uint32_t)dt | (text_bytes > 0 ? REC_EV_TEXT : 0) |
			     code << REC_EV_CODE_SHIFT;
			r->n_slots++;
			r->n_events++;
			r->t_last_ev_ns = t_ns;
			return;
		}
	}
	rec__push_slow(r, t_ns, tokens, text_bytes);
}
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
