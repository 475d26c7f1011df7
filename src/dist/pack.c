/* pack.c - writer and checked reader for rank-to-rank bytes. */
#include "dist/pack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/xmalloc.h"

#define PACK_ORDER 0x01020304u
#define PACK_NO_STR UINT64_MAX /* string length meaning NULL */

void pack_w_init(struct pack_w *w, size_t max_bytes)
{
	buf_init(&w->b, max_bytes);
	w->err = 0;
}

void pack_w_free(struct pack_w *w)
{
	buf_free(&w->b);
}

void pack_bytes(struct pack_w *w, const void *p, size_t n)
{
	if (!w->err && n && buf_append(&w->b, p, n))
		w->err = -ENOBUFS;
}

void pack_u32(struct pack_w *w, uint32_t x)
{
	pack_bytes(w, &x, sizeof(x));
}

void pack_i64(struct pack_w *w, int64_t x)
{
	pack_bytes(w, &x, sizeof(x));
}

void pack_f64(struct pack_w *w, double x)
{
	pack_bytes(w, &x, sizeof(x));
}

static void pack_str(struct pack_w *w, const char *s, size_t n)
{
	pack_i64(w, s ? (int64_t)n : (int64_t)PACK_NO_STR);
	if (s)
		pack_bytes(w, s, n);
}

void pack_recs(struct pack_w *w, const struct rec *recs, size_t n)
{
	pack_u32(w, PACK_MAGIC);
	pack_u32(w, PACK_ORDER);
	pack_i64(w, (int64_t)n);
	for (size_t i = 0; i < n && !w->err; i++) {
		const struct rec *r = &recs[i];
		pack_u32(w, r->id);
		pack_u32(w, (uint32_t)r->warmup | (uint32_t)r->outcome << 8 |
				    (uint32_t)r->http_status << 16);
		pack_u32(w, (uint32_t)r->in_len);
		pack_u32(w, (uint32_t)r->out_len);
		pack_u32(w, (uint32_t)r->prompt_tokens);
		pack_u32(w, (uint32_t)r->completion_tokens);
		pack_u32(w, (uint32_t)r->worker);
		pack_u32(w, r->n_events);
		pack_i64(w, r->t_arrival_ns);
		pack_i64(w, r->t_send_ns);
		pack_i64(w, r->t_first_byte_ns);
		pack_i64(w, r->t_done_ns);
		struct rec_evcur c;
		struct rec_event e;
		uint32_t k = 0;
		rec_ev_begin(r, &c);
		for (; k < r->n_events && rec_ev_next(&c, &e); k++) {
			pack_i64(w, e.t_ns);
			pack_u32(w, (uint32_t)e.tokens);
			pack_u32(w, e.has_text);
		}
		ASSERT(k == r->n_events); /* the slots hold n_events events */
		pack_str(w, r->error, r->error ? strlen(r->error) : 0);
		pack_str(w, r->text, r->text_len);
	}
}

void pack_r_init(struct pack_r *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

void unpack_bytes(struct pack_r *r, void *dst, size_t n)
{
	if (r->err || n > r->len - r->off) {
		r->err = -EINVAL;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->off, n);
	r->off += n;
}

uint32_t unpack_u32(struct pack_r *r)
{
	uint32_t x;
	unpack_bytes(r, &x, sizeof(x));
	return x;
}

int64_t unpack_i64(struct pack_r *r)
{
	int64_t x;
	unpack_bytes(r, &x, sizeof(x));
	return x;
}

double unpack_f64(struct pack_r *r)
{
	double x;
	unpack_bytes(r, &x, sizeof(x));
	return x;
}

/* A NUL-terminated copy of a packed string, or NULL; *n its length. */
static char *unpack_str(struct pack_r *r, size_t *n)
{
	int64_t len = unpack_i64(r);
	*n = 0;
	if (r->err || (uint64_t)len == PACK_NO_STR)
		return NULL;
	if (len < 0 || (uint64_t)len > r->len - r->off) {
		r->err = -EINVAL;
		return NULL;
	}
	char *s = xmalloc((size_t)len + 1);
	unpack_bytes(r, s, (size_t)len);
	s[len] = '\0';
	*n = (size_t)len;
	return s;
}

int unpack_recs(struct pack_r *r, struct rec **out, size_t *nout)
{
	struct rec *recs = NULL;
	size_t got = 0;
	*out = NULL;
	*nout = 0;
	uint32_t magic = unpack_u32(r), order = unpack_u32(r);
	int64_t n = unpack_i64(r);
	if (r->err || magic != PACK_MAGIC || order != PACK_ORDER || n < 0 ||
	    (uint64_t)n > PACK_MAX_RECS ||
	    /* every record takes at least 60 bytes: no huge bogus calloc */
	    (uint64_t)n > (r->len - r->off) / 60)
		goto bad;
	recs = xcalloc((size_t)n ? (size_t)n : 1, sizeof(*recs));
	for (; got < (size_t)n; got++) {
		struct rec *x = &recs[got];
		rec_init(x, unpack_u32(r));
		uint32_t f = unpack_u32(r);
		x->warmup = (uint8_t)(f & 0xff);
		x->outcome = (uint8_t)(f >> 8 & 0xff);
		x->http_status = (uint16_t)(f >> 16);
		x->in_len = (int32_t)unpack_u32(r);
		x->out_len = (int32_t)unpack_u32(r);
		x->prompt_tokens = (int32_t)unpack_u32(r);
		x->completion_tokens = (int32_t)unpack_u32(r);
		x->worker = (int32_t)unpack_u32(r);
		uint32_t ne = unpack_u32(r);
		x->t_arrival_ns = unpack_i64(r);
		x->t_send_ns = unpack_i64(r);
		x->t_first_byte_ns = unpack_i64(r);
		x->t_done_ns = unpack_i64(r);
		if (r->err || x->outcome > REC__COUNT || ne > PACK_MAX_EVENTS ||
		    ne > (r->len - r->off) / 16) {
			got++;
			goto bad;
		}
		if (ne)
			rec_reserve_events(x, ne);
		for (uint32_t k = 0; k < ne; k++) {
			int64_t t = unpack_i64(r);
			int32_t tok = (int32_t)unpack_u32(r);
			rec_push_event(x, t, tok, unpack_u32(r));
		}
		size_t el;
		x->error = unpack_str(r, &el);
		x->text = unpack_str(r, &x->text_len);
		if (r->err) {
			got++;
			goto bad;
		}
	}
	*out = recs;
	*nout = got;
	return 0;
bad:
	for (size_t i = 0; i < got; i++)
		rec_free(&recs[i]);
	free(recs);
	r->err = -EINVAL;
	return -EINVAL;
}
