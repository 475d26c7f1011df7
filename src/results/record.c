/* record.c - one request's measured life. */
#include "results/record.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/xmalloc.h"

static const char *const outcome_names[REC__COUNT] = {
	[REC_OK] = "ok",
	[REC_HTTP_ERROR] = "http_error",
	[REC_STREAM_ERROR] = "stream_error",
	[REC_CONNECT_FAILED] = "connect_failed",
	[REC_TIMEOUT_CONNECT] = "timeout_connect",
	[REC_TIMEOUT_FIRST_TOKEN] = "timeout_first_token",
	[REC_TIMEOUT_TOTAL] = "timeout_total",
	[REC_CONN_RESET] = "connection_reset",
	[REC_TRUNCATED] = "truncated",
	[REC_BAD_EVENT] = "bad_event",
	[REC_NO_TOKENS] = "no_tokens",
	[REC_CANCELLED] = "cancelled",
	[REC_NOT_SENT] = "not_sent",
};

const char *rec_outcome_name(enum rec_outcome o)
{
	return (unsigned)o < REC__COUNT ? outcome_names[o] : "unknown";
}

const char *rec_count_src_name(enum rec_count_src s)
{
	switch (s) {
	case REC_COUNT_USAGE:
		return "server";
	case REC_COUNT_CHUNK:
		return "chunks";
	case REC_COUNT_TOKENIZER:
		return "tokenizer";
	case REC_COUNT_EVENTS:
		return "estimate";
	default:
		return "none";
	}
}

void rec_init(struct rec *r, uint32_t id)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->outcome = REC__COUNT; /* unset */
	r->prompt_tokens = -1;
	r->completion_tokens = -1;
	r->t_send_ns = -1;
	r->t_first_byte_ns = -1;
	r->t_done_ns = -1;
	r->worker = -1;
}

void rec_free(struct rec *r)
{
	if (!r)
		return;
	free(r->ev);
	free(r->error);
	free(r->text);
	r->ev = NULL;
	r->error = NULL;
	r->text = NULL;
	r->n_events = r->n_slots = r->cap_slots = 0;
	r->ev_ready = NULL;
}

void rec_reserve_events(struct rec *r, uint32_t n)
{
	/* n events, one of them escaped (4 slots): n + 4 slots. Only an
	 * optimisation: where the address space is refused (strict
	 * overcommit, RLIMIT_AS) a quarter is tried, and so on; below what
	 * is already there, nothing changes and pushes grow the array. */
	uint64_t want = (uint64_t)n + REC_EV_ESCAPE_SLOTS;
	if (want > UINT32_MAX)
		want = UINT32_MAX;
	for (; want > r->cap_slots; want /= 4) {
		void *p = realloc(r->ev, (size_t)want * sizeof(*r->ev));
		if (p) {
			r->ev = p;
			r->cap_slots = (uint32_t)want;
			r->ev_ready = NULL; /* the array may have moved */
			return;
		}
	}
}

/* Populating ahead: a stream's slots are written once, 4 bytes per token,
 * into pages never touched before, so every 1024th push would take a page
 * fault (with 16-byte events, every 256th was one: on the 2-core VM the
 * faults were a sixth of the client's CPU in a bulk run, perf,
 * docs/PERFORMANCE.md). When a push reaches a page not yet made present,
 * the pages from there on are populated in one madvise(MADV_POPULATE_WRITE)
 * call (Linux 5.14; it changes no byte), a window that grows with the
 * stream (as much as it has used, 4 KiB to 256 KiB, and at least the slots
 * being written) and never passes the array's end: at most about twice
 * what the stream has written is ever made present. Purely a hint: where
 * the call fails the pages fault in as before. */
#define REC_AHEAD_MIN ((size_t)4 << 10)
#define REC_AHEAD_MAX ((size_t)256 << 10)

static atomic_int ahead_off; /* the kernel has no MADV_POPULATE_WRITE */

/* Make present the pages from slot p (about to be written, with the k-1
 * after it) a window ahead; moves r->ev_ready. */
static void populate(struct rec *r, const uint32_t *p, uint32_t k)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)p & ~(pg - 1);
	uintptr_t end = ((uintptr_t)(r->ev + r->cap_slots) + pg - 1) &
			~(pg - 1);
	uintptr_t need = ((uintptr_t)(p + k) + pg - 1) & ~(pg - 1);
	size_t used = (size_t)(p - r->ev) * sizeof(*p);
	size_t win = used < REC_AHEAD_MIN   ? REC_AHEAD_MIN
		     : used > REC_AHEAD_MAX ? REC_AHEAD_MAX
					    : used;
	uintptr_t hi = end - lo > win ? lo + ((win + pg - 1) & ~(pg - 1))
				      : end;
	if (hi < need)
		hi = need; /* an escape across a page boundary */
	r->ev_ready = (void *)hi;
	if (atomic_load_explicit(&ahead_off, memory_order_relaxed))
		return;
#ifdef MADV_POPULATE_WRITE
	if (!madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) ||
	    errno != EINVAL)
		return;
#endif
	atomic_store_explicit(&ahead_off, 1, memory_order_relaxed);
}

/* rec_push_event's slow path: everything but a normal event with room
 * on a page made present (the first event, an escape, growth and
 * populating ahead). */
void rec__push_slow(struct rec *r, int64_t t_ns, int32_t tokens,
		    uint32_t text_bytes)
{
	uint64_t dt = (uint64_t)t_ns - (uint64_t)r->t_last_ev_ns;
	uint32_t code = (uint32_t)tokens + 1u;
	uint32_t text = text_bytes > 0 ? REC_EV_TEXT : 0;
	int esc = r->n_events == 0 || dt > REC_EV_DT_MASK || code >= REC_EV_ESCAPE;
	uint32_t k = esc ? REC_EV_ESCAPE_SLOTS : 1;
	if (r->cap_slots - r->n_slots < k) {
		size_t cap = r->cap_slots;
		ASSERT((uint64_t)r->n_slots + k <= UINT32_MAX);
		xgrow((void **)&r->ev, &cap, (size_t)r->n_slots + k,
		      sizeof(*r->ev));
		if (cap > UINT32_MAX)
			cap = UINT32_MAX;
		r->cap_slots = (uint32_t)cap;
		r->ev_ready = NULL;
	}
	uint32_t *p = &r->ev[r->n_slots];
	if ((uintptr_t)(p + k) > (uintptr_t)r->ev_ready)
		populate(r, p, k);
	if (esc) {
		p[0] = REC_EV_ESCAPE << REC_EV_CODE_SHIFT | text;
		p[1] = (uint32_t)(uint64_t)t_ns;
		p[2] = (uint32_t)((uint64_t)t_ns >> 32);
		p[3] = (uint32_t)tokens;
	} else {
		p[0] = (uint32_t)dt | text | code << REC_EV_CODE_SHIFT;
	}
	r->n_slots += k;
	r->n_events++;
	r->t_last_ev_ns = t_ns;
}

void rec_trim_events(struct rec *r)
{
	size_t n = r->n_slots, cap = r->cap_slots;
	if (cap - n < 4096 || cap - n < cap / 8)
		return; /* too little to give back (under 16 KiB or 1/8) */
	/* A large reservation is a mapping of its own, which a shrinking
	 * realloc keeps: what fits in 64 KiB moves to the heap instead (the
	 * process has at most vm.max_map_count mappings). */
	size_t bytes = n * sizeof(*r->ev);
	uint32_t *e;
	if (bytes < ((size_t)64 << 10)) {
		e = n ? malloc(bytes) : NULL;
		if (n && !e)
			return; /* keeps the larger array */
		if (n)
			memcpy(e, r->ev, bytes);
		free(r->ev);
	} else {
		e = realloc(r->ev, bytes);
		if (!e)
			return;
	}
	r->ev = e;
	r->cap_slots = (uint32_t)n;
	r->ev_ready = NULL;
}

void rec_set_outcome(struct rec *r, enum rec_outcome o, const char *error)
{
	if (r->outcome != REC__COUNT)
		return;
	r->outcome = (uint8_t)o;
	if (error)
		r->error = xstrdup(error);
}

int32_t rec_out_tokens(const struct rec *r, int32_t tokenizer_count,
		       enum rec_count_src *src)
{
	enum rec_count_src s = REC_COUNT_NONE;
	int32_t n = 0;
	if (r->completion_tokens > 0) {
		s = REC_COUNT_USAGE;
		n = r->completion_tokens;
		goto out;
	}
	int exact = r->n_events > 0;
	int64_t sum = 0, with_text = 0;
	struct rec_evcur c;
	struct rec_event e;
	rec_ev_begin(r, &c);
	while (rec_ev_next(&c, &e)) {
		if (e.tokens < 0)
			exact = 0;
		else
			sum += e.tokens;
		if (e.has_text || e.tokens > 0)
			with_text++;
	}
	if (exact && sum > 0) {
		s = REC_COUNT_CHUNK;
		n = (int32_t)sum;
	} else if (tokenizer_count >= 0) {
		s = REC_COUNT_TOKENIZER;
		n = tokenizer_count;
	} else if (with_text > 0) {
		s = REC_COUNT_EVENTS;
		n = (int32_t)with_text;
	}
out:
	if (src)
		*src = s;
	return n;
}
