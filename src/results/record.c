/* record.c - one request's measured life. */
#include "results/record.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
	free(r->events);
	free(r->error);
	free(r->text);
	r->events = NULL;
	r->error = NULL;
	r->text = NULL;
	r->n_events = r->cap_events = 0;
}

void rec_reserve_events(struct rec *r, uint32_t n)
{
	/* Only an optimisation: where the address space is refused (strict
	 * overcommit, RLIMIT_AS) a quarter is tried, and so on; below what
	 * is already there, nothing changes and pushes grow the array. */
	for (; n > r->cap_events; n /= 4) {
		void *p = realloc(r->events, (size_t)n * sizeof(struct rec_event));
		if (p) {
			r->events = p;
			r->cap_events = n;
			r->ev_ready = NULL; /* the array may have moved */
			return;
		}
	}
}

/* Populating ahead: a stream's event array is written once, 16 bytes per
 * token, into pages never touched before, so every 256th push took a
 * page fault; on the 2-core VM the faults were a sixth of the client's
 * CPU in a bulk run (perf, docs/PERFORMANCE.md). When a push reaches a
 * page not yet made present, the pages from there on are populated in
 * one madvise(MADV_POPULATE_WRITE) call (Linux 5.14; it changes no
 * byte), a window that grows with the stream (as much as it has used,
 * 4 KiB to 256 KiB) and never passes the array's end: at most about
 * twice what the stream has written is ever made present. Purely a
 * hint: where the call fails the pages fault in as before. */
#define REC_AHEAD_MIN ((size_t)4 << 10)
#define REC_AHEAD_MAX ((size_t)256 << 10)

static atomic_int ahead_off; /* the kernel has no MADV_POPULATE_WRITE */

static void populate(struct rec *r, const struct rec_event *e)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)e & ~(pg - 1);
	uintptr_t end = ((uintptr_t)(r->events + r->cap_events) + pg - 1) &
			~(pg - 1);
	size_t used = (size_t)(e - r->events) * sizeof(*e);
	size_t win = used < REC_AHEAD_MIN   ? REC_AHEAD_MIN
		     : used > REC_AHEAD_MAX ? REC_AHEAD_MAX
					    : used;
	uintptr_t hi = end - lo > win ? lo + ((win + pg - 1) & ~(pg - 1))
				      : end;
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

void rec_push_event(struct rec *r, int64_t t_ns, int32_t tokens,
		    uint32_t text_bytes)
{
	if (r->n_events == r->cap_events) {
		size_t cap = r->cap_events;
		xgrow((void **)&r->events, &cap, (size_t)r->n_events + 1,
		      sizeof(struct rec_event));
		r->cap_events = (uint32_t)cap;
		r->ev_ready = NULL;
	}
	struct rec_event *e = &r->events[r->n_events++];
	if ((uintptr_t)(e + 1) > (uintptr_t)r->ev_ready)
		populate(r, e);
	e->t_ns = t_ns;
	e->tokens = tokens;
	e->text_bytes = text_bytes;
}

void rec_trim_events(struct rec *r)
{
	size_t n = r->n_events, cap = r->cap_events;
	if (cap - n < 1024 || cap - n < cap / 8)
		return; /* too little to give back */
	/* A large reservation is a mapping of its own, which a shrinking
	 * realloc keeps: what fits in 64 KiB moves to the heap instead (the
	 * process has at most vm.max_map_count mappings). */
	size_t bytes = n * sizeof(struct rec_event);
	struct rec_event *e;
	if (bytes < ((size_t)64 << 10)) {
		e = n ? malloc(bytes) : NULL;
		if (n && !e)
			return; /* keeps the larger array */
		if (n)
			memcpy(e, r->events, bytes);
		free(r->events);
	} else {
		e = realloc(r->events, bytes);
		if (!e)
			return;
	}
	r->events = e;
	r->cap_events = (uint32_t)n;
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
	for (uint32_t i = 0; i < r->n_events; i++) {
		if (r->events[i].tokens < 0)
			exact = 0;
		else
			sum += r->events[i].tokens;
		if (r->events[i].text_bytes > 0 || r->events[i].tokens > 0)
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
