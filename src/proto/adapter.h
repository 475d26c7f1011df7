/* adapter.h - what the adapters share on the event path (internal to
 * proto/; nothing outside it includes this).
 *
 * Owns the event prologue (jscan path table compiled on first use, bad and
 * error events), token counts (fields, cumulative deltas, token-or-usage
 * kind), the end markers and the text kept per stream. Each adapter keeps
 * its own rules: which fields, which marker, which count. No allocation on
 * the per-token path. The tables are shared read-only across threads.
 */
#ifndef INFBENCH_PROTO_ADAPTER_H
#define INFBENCH_PROTO_ADAPTER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/jscan.h"
#include "proto/proto.h"

/* One adapter's jscan path table with the indexes of the paths the event
 * prologue reads. One static per adapter; compiled on first use, then
 * read-only. */
struct proto__fields {
	struct jscan_path *paths; /* the table; its strings must outlive it */
	size_t n;                 /* entries, <= JSCAN_MAX_FIELDS */
	int error;                /* index of {"error"} */
	int object;               /* index of {"object"}, -1 when the API
				   * has no flat {"object":"error"} form */
	atomic_int compiled;      /* 1 once paths are compiled */
};

/* Compile t now, for a table whose path strings changed (Triton's
 * configured names). Not thread-safe against parsing with t. */
void proto__fields_compile(struct proto__fields *t);
/* Compile t unless another thread did it first (proto__fields_parse's
 * first use; thread-safe). */
void proto__fields_compile_once(struct proto__fields *t);
/* PEV_BAD for an event that is not a JSON object (first bytes quoted). */
void proto__bad_event(const char *data, size_t len, struct proto_event *ev);
/* PEV_ERROR from an event's "error" member (object or string) or the flat
 * {"object":"error","message"} form; parses data again with jansson (errors
 * are rare). */
void proto__error_from(const char *data, size_t len, struct proto_event *ev);

/* Is data, a valid JSON document, an object? (Its first byte that is not
 * whitespace opens one: no root field to fill on every event.) */
static inline int proto__is_object(const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && (data[i] == ' ' || data[i] == '\n' ||
			   data[i] == '\r' || data[i] == '\t'))
		i++;
	return i < len && data[i] == '{';
}

/* The prologue of every JSON event. Parses data (len bytes) with t's
 * paths (compiling t on first use; thread-safe), through st->memo when
 * the stream has one, and returns its fields[0..t->n): buf, or the memo's
 * own (jscan_memo_fields: read-only, valid until the stream's next
 * event), when data is a JSON object without an error marker. Else NULL
 * with ev filled: PEV_BAD (not JSON, or not an object) or PEV_ERROR (an
 * "error" member, or "object":"error" when t->object >= 0). ev is not
 * reset first (proto__event_init). Inline: it runs on every event. */
static inline const struct jscan_field *
proto__fields_parse(struct proto__fields *t, struct proto_stream *st,
		    const char *data, size_t len, struct jscan_field *buf,
		    struct proto_event *ev)
{
	if (!atomic_load_explicit(&t->compiled, memory_order_acquire))
		proto__fields_compile_once(t);
	const struct jscan_field *f =
		st->memo ? jscan_memo_fields(st->memo, data, len, t->paths,
					     buf, t->n)
			 : (jscan_parse(data, len, t->paths, buf, t->n) ? NULL
									: buf);
	if (!f || !proto__is_object(data, len)) {
		proto__bad_event(data, len, ev);
		return NULL;
	}
	if (f[t->error].type != JSCAN_ABSENT ||
	    (t->object >= 0 && jscan_str_eq(&f[t->object], "error"))) {
		proto__error_from(data, len, ev);
		return NULL;
	}
	return f;
}

/* PEV_BAD for a well-formed event of the wrong shape; the error text is
 * the formatted reason ("event without token"). */
void proto__bad_shape(struct proto_event *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append the decoded bytes [from, n) of the JSON string field f (n bytes
 * decoded, n > from) to st->text, which must be non-NULL. Allocates only
 * for strings over 512 bytes. */
void proto__text_keep(struct proto_stream *st, const struct jscan_field *f,
		      size_t n, size_t from);

/* Append the decoded bytes [from, end) of the JSON string field f to
 * st->text (when the stream keeps text). Returns the decoded length of
 * the whole string, 0 when f is not a string. */
static inline size_t proto__text(struct proto_stream *st,
				 const struct jscan_field *f, size_t from)
{
	if (f->type != JSCAN_STRING)
		return 0;
	size_t n = jscan_str_len(f);
	if (st->text && n > from)
		proto__text_keep(st, f, n, from);
	return n;
}

/* Reset ev to "nothing known": PEV_IGNORE, counts -1. */
static inline void proto__event_init(struct proto_event *ev)
{
	ev->kind = PEV_IGNORE;
	ev->tokens = -1;
	ev->text_bytes = 0;
	ev->finished = 0;
	ev->prompt_tokens = ev->completion_tokens = -1;
	ev->error[0] = '\0'; /* not the whole buffer: every event */
}

/* Is data the SSE end marker "[DONE]"? Then ev becomes PEV_DONE,
 * st->saw_done is set and 1 is returned; else 0, nothing touched. */
static inline int proto__done(struct proto_stream *st, const char *data,
			      size_t len, struct proto_event *ev)
{
	if (len != 6 || memcmp(data, "[DONE]", 6))
		return 0;
	ev->kind = PEV_DONE;
	st->saw_done = 1;
	return 1;
}

/* The event carries the API's final marker (finish_reason, stop, done,
 * ...): sets ev->finished and st->saw_finish. */
static inline void proto__finished(struct proto_stream *st,
				   struct proto_event *ev)
{
	ev->finished = 1;
	st->saw_finish = 1;
}

/* Is the field there with a non-null value (a final marker such as
 * finish_reason or generated_text)? */
static inline int proto__present(const struct jscan_field *f)
{
	return f->type != JSCAN_ABSENT && f->type != JSCAN_NULL;
}

/* A JSON integer field as a token count; -1 when the field is absent or
 * not an integer. */
static inline int32_t proto__count(const struct jscan_field *f)
{
	return f->type == JSCAN_INT ? (int32_t)jscan_int(f) : -1;
}

/* The exact token delta of a cumulative server count cum (>= 0): cum
 * minus the last count seen (0 if it went backwards); cum becomes the
 * last count. The SGLang, LMDeploy, llama.cpp and continuous-usage
 * OpenAI rule. */
static inline int32_t proto__count_delta(struct proto_stream *st,
					 int32_t cum)
{
	int32_t d = cum - st->last_completion_tokens;
	st->last_completion_tokens = cum;
	return d < 0 ? 0 : d;
}

/* The kind of an event whose count and text are filled in: PEV_TOKEN when
 * it adds tokens (or, its count unknown, text), else PEV_USAGE. A chunk
 * that only repeats the count is no token event for TTFT/ITL. */
static inline void proto__kind_by_tokens(struct proto_event *ev)
{
	if (ev->tokens > 0 || (ev->tokens < 0 && ev->text_bytes > 0))
		ev->kind = PEV_TOKEN;
	else
		ev->kind = PEV_USAGE;
}

/* proto_ops.complete for APIs whose stream ends with a final marker
 * (finish_reason, stop, done: st->saw_finish); [DONE] alone does not
 * count. */
int proto__complete_on_finish(const struct proto_stream *st);
/* proto_ops.complete for APIs where either [DONE] or a final marker
 * ends the stream ([DONE] is optional in OpenAI-compatible servers). */
int proto__complete_on_done_or_finish(const struct proto_stream *st);

/* Shared by sglang.c and lmdeploy.c: one {"text","output_ids",
 * "meta_info"{...}} event. text_cumulative: SGLang's default cumulative
 * text/output_ids (re-diffed against what was seen) vs LMDeploy's deltas. */
void proto__meta_event(struct proto_stream *st, const char *data, size_t len,
		       struct proto_event *ev, int text_cumulative);

#endif
