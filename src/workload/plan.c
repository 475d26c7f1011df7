/* plan.c - the workload plan: lengths, arrivals and prompts per request. */
#include "workload/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rng.h"
#include "core/xmalloc.h"
#include "tokenizer/tok_prompt.h"
#include "workload/dataset.h"
#include "workload/prompt.h"

#define PLAN_MAX_THREADS 8
#define PLAN_RANDOM_ID_LO 1000   /* token ids without a tokenizer: inside */
#define PLAN_RANDOM_ID_HI 30000  /* every known vocabulary, no specials */
#define PLAN_MIN_WORDS 16
#define PLAN_SCALE_STREAM 0x7a7e5ca1eULL
#define PLAN_SHUFFLE_STREAM 0x5a4e6d7ULL

enum lensrc { LEN_DIST, LEN_CONV, LEN_ROWS };
enum textkind { TXT_WORDS, TXT_RANDOM, TXT_CORPUS };

struct plan {
	struct plan_config cfg;   /* file names not kept */
	enum lensrc lensrc;
	enum textkind text;
	struct plan_stats st;
	struct rng base;          /* rng_seed(seed) */

	struct trace tr;          /* LEN_ROWS */
	struct dataset ds;        /* sharegpt */
	char *corpus_text;        /* sonnet / ShareGPT prompts for cuts */
	size_t corpus_len;
	struct tok_corpus *corpus;

	/* LEN_CONV: usable conversations in draw order */
	uint32_t *cv_idx;
	int32_t *cv_in, *cv_out;
	size_t n_cv;
	/* LEN_ROWS: selected rows in request order */
	uint32_t *sel;
	int32_t *sel_in, *sel_out;
	size_t n_sel;
	char **ov_text;           /* truncated prompt text per conversation /
				     selected row; NULL = the stored one */
	int64_t *arr;             /* arrivals of the first n_meas, or NULL */
	long long n_meas;

	const char **words;       /* single-token words */
	size_t nwords;
	int32_t *allowed;         /* ids for random-id prompts */
	size_t n_allowed;
	int32_t n_special;        /* subtracted from text prompts */

	char **pfx_text;          /* per prefix group */
	int32_t **pfx_ids;        /* prefix_len ids (text and ids modes) */

	char **c_text;            /* precomputed prompts: measured first */
	int32_t **c_ids;
	size_t *c_len;
	size_t c_total;           /* entries allocated */
	long long c_meas, c_warm;
	int prepared;
};

int plan_mode_parse(const char *s, enum plan_mode *m)
{
	if (!strcmp(s, "text"))
		*m = PLAN_MODE_TEXT;
	else if (!strcmp(s, "ids"))
		*m = PLAN_MODE_IDS;
	else if (!strcmp(s, "server-tokenize"))
		*m = PLAN_MODE_SERVER;
	else
		return -EINVAL;
	return 0;
}

const char *plan_mode_name(enum plan_mode m)
{
	return m == PLAN_MODE_IDS	 ? "ids"
	       : m == PLAN_MODE_SERVER ? "server-tokenize"
				       : "text";
}

int plan_read_file(const char *path, size_t max, char **data, size_t *len,
		   char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct buf b;
	int rc = 0;
	buf_init(&b, max);
	*data = NULL;
	*len = 0;
	if (fd < 0) {
		rc = -errno;
		*err = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			*err = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		if (!n)
			break;
		if (buf_append(&b, chunk, (size_t)n)) {
			rc = -E2BIG;
			*err = xasprintf("%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	*len = b.len;
	*data = b.data ? buf_take(&b) : xstrdup("");
out:
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return rc;
}

/* ---- request streams ---- */

static void req_rng(const struct plan *p, long long id, int warmup,
		    struct rng *r)
{
	rng_fork(&p->base,
		 (uint64_t)id + (warmup ? PLAN_WARMUP_STREAM : 0), r);
}

/* The rule engine/run.c always used: in, then out, from the request's
 * own stream; the stream continues into the prompt. */
static void dist_lengths(const struct plan *p, struct rng *r, int32_t *in,
			 int32_t *out)
{
	*in = dist_sample(&p->cfg.in_dist, r);
	*out = dist_sample(&p->cfg.out_dist, r);
	if (p->cfg.prefix_len > 0)
		*in += p->cfg.prefix_len;
}

static size_t conv_index(const struct plan *p, long long id, int warmup)
{
	uint64_t k = (uint64_t)id + (warmup ? (uint64_t)p->n_meas : 0);
	return (size_t)(k % p->n_cv);
}

static size_t row_index(const struct plan *p, long long id, int warmup)
{
	size_t k = (size_t)((uint64_t)id % p->n_sel);
	return warmup ? p->n_sel - 1 - k : k;
}

/* The prompt text a conversation or row carries, NULL when generated. */
static const char *entry_text(const struct plan *p, long long id, int warmup,
			      size_t *len)
{
	size_t k;
	const char *t = NULL;
	if (p->lensrc == LEN_CONV) {
		k = conv_index(p, id, warmup);
		size_t c = p->cv_idx[k];
		t = dataset_prompt(&p->ds, c);
		*len = p->ds.convs[c].prompt_len;
	} else if (p->lensrc == LEN_ROWS) {
		k = row_index(p, id, warmup);
		const struct trace_row *r = &p->tr.rows[p->sel[k]];
		t = trace_row_text(&p->tr, r);
		*len = r->text_len;
	} else {
		return NULL;
	}
	if (t && p->ov_text && p->ov_text[k]) {
		t = p->ov_text[k];
		*len = strlen(t);
	}
	return t;
}

void plan_lengths(const struct plan *p, long long id, int warmup,
		  int32_t *in_len, int32_t *out_len)
{
	struct rng r;
	switch (p->lensrc) {
	case LEN_DIST:
		req_rng(p, id, warmup, &r);
		dist_lengths(p, &r, in_len, out_len);
		return;
	case LEN_CONV: {
		size_t k = conv_index(p, id, warmup);
		*in_len = p->cv_in[k];
		if (p->cfg.out_given) {
			req_rng(p, id, warmup, &r);
			*out_len = dist_sample(&p->cfg.out_dist, &r);
		} else {
			*out_len = p->cv_out[k];
		}
		return;
	}
	case LEN_ROWS: {
		size_t k = row_index(p, id, warmup);
		*in_len = p->sel_in[k];
		*out_len = p->sel_out[k];
		return;
	}
	}
}

long long plan_count(const struct plan *p)
{
	return p->n_meas;
}

const int64_t *plan_arrivals(const struct plan *p)
{
	return p->arr;
}

const struct plan_stats *plan_stats(const struct plan *p)
{
	return &p->st;
}

enum plan_mode plan_mode(const struct plan *p)
{
	return p->cfg.mode;
}

/* ---- prompt pieces ---- */

static void words_append(const struct plan *p, struct rng *r, int32_t k,
			 int first, struct buf *out)
{
	for (int32_t i = 0; i < k; i++) {
		if (i || !first)
			buf_append(out, " ", 1);
		buf_puts(out, p->words[rng_u64(r) % p->nwords]);
	}
}

static void ids_push(struct plan_scratch *sc, int32_t id)
{
	xgrow((void **)&sc->ids, &sc->cap_ids, sc->n_ids + 1, sizeof(int32_t));
	sc->ids[sc->n_ids++] = id;
}

static int32_t random_id(const struct plan *p, struct rng *r)
{
	if (p->n_allowed)
		return p->allowed[rng_u64(r) % p->n_allowed];
	return (int32_t)rng_int(r, PLAN_RANDOM_ID_LO, PLAN_RANDOM_ID_HI - 1);
}

static const char *gen_err(int rc)
{
	return rc == -ERANGE   ? "length outside what the source supports"
	       : rc == -EAGAIN ? "no exact cut found"
	       : rc == -ENOBUFS ? "prompt too long"
			       : strerror(-rc);
}

/* Text of exactly len tokens (flags 0) from the tokenizer sources, or len
 * words. Appends to out. */
static int gen_plain(const struct plan *p, struct rng *r, long long index,
		     int32_t len, int first, struct buf *out)
{
	if (len <= 0)
		return 0;
	switch (p->text) {
	case TXT_RANDOM: {
		int64_t off = rng_int(r, 0, tok_base_vocab_size(p->cfg.tok) - 1);
		return tok_prompt_random(p->cfg.tok, r, off, index, len, out);
	}
	case TXT_CORPUS:
		return tok_prompt_exact(p->corpus, r, len, out);
	case TXT_WORDS:
		words_append(p, r, len, first, out);
		return 0;
	}
	return -EINVAL;
}

/* Token count of text: local tokenizer (flags) or the server. */
static int count_text(const struct plan *p, const char *t, size_t n,
		      int flags, int32_t *cnt, char **err)
{
	if (p->cfg.mode == PLAN_MODE_SERVER) {
		__atomic_fetch_add(&((struct plan *)p)->st.counter_calls, 1,
				   __ATOMIC_RELAXED);
		return p->cfg.server->count(p->cfg.server->ud, t, n, cnt, err);
	}
	long long c = tok_count(p->cfg.tok, t, n, flags);
	if (c < 0) {
		*err = xasprintf("tokenizer: %s", gen_err((int)c));
		return (int)c;
	}
	*cnt = (int32_t)c;
	return 0;
}

/* Server-tokenize: text = fixed (already in out) + k tail words from a
 * copy of *tr, with k adjusted until the server counts target. */
static int fit_tail(const struct plan *p, struct buf *out, size_t fixed_len,
		    const struct rng *tr, int32_t target, int32_t k0,
		    int first, char **err)
{
	int32_t k = k0 < 0 ? 0 : k0, best_k = k, best_d = INT32_MAX;
	for (int round = 0; round < PLAN_FIT_ROUNDS; round++) {
		struct rng r = *tr;
		out->len = fixed_len;
		if (out->data)
			out->data[fixed_len] = '\0';
		words_append(p, &r, k, first, out);
		int32_t c;
		int rc = count_text(p, out->data, out->len, 0, &c, err);
		if (rc)
			return rc;
		int32_t d = target - c;
		if (abs(d) < best_d) {
			best_d = abs(d);
			best_k = k;
		}
		if (!d)
			return 0;
		int32_t nk = k + d;
		if (nk < 0)
			nk = 0;
		if (nk == k)
			break;
		k = nk;
	}
	struct rng r = *tr;
	out->len = fixed_len;
	if (out->data)
		out->data[fixed_len] = '\0';
	words_append(p, &r, best_k, first, out);
	__atomic_fetch_add(&((struct plan *)p)->st.fit_inexact, 1,
			   __ATOMIC_RELAXED);
	return 0;
}

/* Mooncake blocks: block b of hash h holds words/ids from h's stream;
 * block 0 is shorter by the specials the server adds (text mode). */
static int hash_prompt(const struct plan *p, const struct trace_row *row,
		       int32_t in_len, struct plan_scratch *sc, char **err)
{
	const uint32_t *h = p->tr.hashes + row->hash_off;
	int32_t left = in_len - p->n_special;
	enum plan_mode m = p->cfg.mode;
	size_t last_start = 0;
	struct rng last_rng;
	int32_t last_k = 0;
	memset(&last_rng, 0, sizeof(last_rng));
	if (left < 1)
		left = 1;
	for (uint32_t b = 0; b < row->n_hash && left > 0; b++) {
		int32_t cap = TRACE_BLOCK_TOK - (b == 0 ? p->n_special : 0);
		int32_t k = left < cap ? left : cap;
		struct rng r;
		rng_fork(&p->base, PLAN_HASH_STREAM + h[b], &r);
		if (m == PLAN_MODE_IDS) {
			for (int32_t j = 0; j < k; j++)
				ids_push(sc, random_id(p, &r));
		} else {
			last_start = sc->text.len;
			last_rng = r;
			last_k = k;
			words_append(p, &r, k, b == 0, &sc->text);
		}
		left -= k;
	}
	if (m == PLAN_MODE_SERVER)
		return fit_tail(p, &sc->text, last_start, &last_rng, in_len,
				last_k, last_start == 0, err);
	return 0;
}

static int build_prompt(const struct plan *p, long long id, int warmup,
			struct plan_scratch *sc, char **err)
{
	struct rng r;
	int32_t in_len, out_len;
	int rc = 0;
	enum plan_mode m = p->cfg.mode;
	buf_reset(&sc->text);
	sc->n_ids = 0;
	req_rng(p, id, warmup, &r);
	if (p->lensrc == LEN_DIST) {
		dist_lengths(p, &r, &in_len, &out_len); /* advance r */
	} else {
		plan_lengths(p, id, warmup, &in_len, &out_len);
	}
	size_t rowlen = 0;
	const char *rowtext = entry_text(p, id, warmup, &rowlen);
	const struct trace_row *row =
		p->lensrc == LEN_ROWS
			? &p->tr.rows[p->sel[row_index(p, id, warmup)]]
			: NULL;
	if (rowtext) {
		if (m != PLAN_MODE_IDS)
			return buf_append(&sc->text, rowtext, rowlen);
		int32_t *ids;
		size_t n;
		rc = tok_encode(p->cfg.tok, rowtext, rowlen, TOK_ADD_SPECIAL,
				&ids, &n);
		if (rc) {
			*err = xasprintf("tokenizer: %s", gen_err(rc));
			return rc;
		}
		for (size_t i = 0; i < n && i < (size_t)in_len; i++)
			ids_push(sc, ids[i]);
		free(ids);
		return 0;
	}
	if (row && row->n_hash)
		return hash_prompt(p, row, in_len, sc, err);

	int32_t T = in_len - p->n_special;
	if (T < 1)
		T = 1;
	int32_t N = p->cfg.prefix_len;
	if (N <= 0) {
		if (m == PLAN_MODE_IDS && p->text == TXT_WORDS) {
			for (int32_t j = 0; j < T; j++)
				ids_push(sc, random_id(p, &r));
			return 0;
		}
		if (m == PLAN_MODE_SERVER)
			return fit_tail(p, &sc->text, 0, &r, in_len, in_len, 1,
					err);
		rc = gen_plain(p, &r, id, T, 1, &sc->text);
		if (rc) {
			*err = xasprintf("prompt of %d tokens: %s", (int)T,
					 gen_err(rc));
			return rc;
		}
		if (m == PLAN_MODE_IDS) {
			int32_t *ids;
			size_t n;
			rc = tok_encode(p->cfg.tok, sc->text.data, sc->text.len,
					0, &ids, &n);
			if (rc) {
				*err = xasprintf("tokenizer: %s", gen_err(rc));
				return rc;
			}
			for (size_t i = 0; i < n; i++)
				ids_push(sc, ids[i]);
			free(ids);
			buf_reset(&sc->text);
		}
		return 0;
	}

	/* Shared prefix: group g's N tokens, then the request's own. */
	uint64_t g = (uint64_t)id % (uint64_t)p->cfg.num_prefixes;
	int32_t S = T - N;
	if (S < 0)
		S = 0;
	if (m == PLAN_MODE_IDS) {
		for (int32_t j = 0; j < N; j++)
			ids_push(sc, p->pfx_ids[g][j]);
		if (p->text == TXT_WORDS) {
			for (int32_t j = 0; j < S; j++)
				ids_push(sc, random_id(p, &r));
			return 0;
		}
		struct buf t;
		buf_init(&t, 0);
		rc = gen_plain(p, &r, id, S, 1, &t);
		int32_t *ids = NULL;
		size_t n = 0;
		if (!rc && S > 0)
			rc = tok_encode(p->cfg.tok, t.data, t.len, 0, &ids, &n);
		for (size_t i = 0; !rc && i < n; i++)
			ids_push(sc, ids[i]);
		free(ids);
		buf_free(&t);
		if (rc)
			*err = xasprintf("suffix of %d tokens: %s", (int)S,
					 gen_err(rc));
		return rc;
	}
	buf_puts(&sc->text, p->pfx_text[g]);
	if (m == PLAN_MODE_SERVER)
		return fit_tail(p, &sc->text, sc->text.len, &r, in_len, S, 0,
				err);
	if (p->text == TXT_WORDS || S == 0) {
		words_append(p, &r, p->text == TXT_WORDS ? S : 0, 0,
			     &sc->text);
		return 0;
	}
	/* Tokenizer text: draw suffixes until prefix + suffix encodes to
	 * exactly N + S tokens whose first N are the prefix's. */
	size_t plen = sc->text.len;
	for (int t = 0; t < PLAN_JOIN_TRIES; t++) {
		sc->text.len = plen;
		sc->text.data[plen] = '\0';
		rc = gen_plain(p, &r, id + t, S, 0, &sc->text);
		if (rc)
			break;
		int32_t *ids;
		size_t n;
		rc = tok_encode(p->cfg.tok, sc->text.data, sc->text.len, 0,
				&ids, &n);
		if (rc)
			break;
		int ok = n == (size_t)(N + S) &&
			 !memcmp(ids, p->pfx_ids[g], (size_t)N * sizeof(int32_t));
		free(ids);
		if (ok)
			return 0;
	}
	*err = xasprintf("could not join a %d-token prefix and a %d-token "
			 "suffix exactly (%s)",
			 (int)N, (int)S, rc ? gen_err(rc) : "boundary merges");
	return rc ? rc : -EAGAIN;
}

void plan_scratch_init(struct plan_scratch *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->text, 0);
}

void plan_scratch_free(struct plan_scratch *s)
{
	if (!s)
		return;
	buf_free(&s->text);
	free(s->ids);
	memset(s, 0, sizeof(*s));
}

int plan_prompt(const struct plan *p, long long id, int warmup,
		struct plan_scratch *sc, struct plan_prompt *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (id >= 0 && id < (warmup ? p->c_warm : p->c_meas)) {
		size_t k = (size_t)(warmup ? p->c_meas + id : id);
		if (p->c_ids && p->c_ids[k]) {
			out->ids = p->c_ids[k];
			out->n_ids = p->c_len[k];
		} else {
			out->text = p->c_text[k];
			out->text_len = p->c_len[k];
		}
		return 0;
	}
	/* Texts stored in the plan need no copy. */
	if (p->cfg.mode != PLAN_MODE_IDS) {
		size_t len;
		const char *t = entry_text(p, id, warmup, &len);
		if (t) {
			out->text = t;
			out->text_len = len;
			return 0;
		}
	}
	int rc = build_prompt(p, id, warmup, sc, err);
	if (rc)
		return rc;
	if (p->cfg.mode == PLAN_MODE_IDS) {
		out->ids = sc->ids;
		out->n_ids = sc->n_ids;
	} else {
		out->text = sc->text.data ? sc->text.data : "";
		out->text_len = sc->text.len;
	}
	return 0;
}

/* ---- loading ---- */

static int load_trace(struct plan *p, const char *path,
		      enum trace_format fmt, char **err)
{
	char *data = NULL;
	size_t len = 0;
	struct trace_parser tp;
	int rc = plan_read_file(path, PLAN_FILE_MAX, &data, &len, err);
	if (rc)
		return rc;
	trace_parser_init(&tp, fmt, path);
	rc = trace_parser_feed(&tp, data, len);
	if (!rc)
		rc = trace_parser_finish(&tp, &p->tr);
	if (rc) {
		*err = tp.err;
		tp.err = NULL;
	}
	trace_parser_free(&tp);
	free(data);
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_row_time(const void *a, const void *b, void *ud)
{
	const struct trace *t = ud;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int64_t tx = t->rows[x].t_ns, ty = t->rows[y].t_ns;
	if (tx != ty)
		return (tx > ty) - (tx < ty);
	return (x > y) - (x < y);
}

/* Rows -> requests: order by time, window, rate scale, --num-requests,
 * arrivals. */
static int select_rows(struct plan *p, char **err)
{
	const struct plan_config *c = &p->cfg;
	struct trace *t = &p->tr;
	uint32_t *ord = xmalloc(t->n * sizeof(*ord));
	size_t cap = 0;
	int rc = 0;
	for (size_t i = 0; i < t->n; i++)
		ord[i] = (uint32_t)i;
	p->st.sorted = t->sorted;
	if (t->has_time && !t->sorted) {
		qsort_r(ord, t->n, sizeof(*ord), cmp_row_time, t);
	}
	int64_t w0 = (int64_t)llround(c->win_start_s * 1e9);
	int64_t w1 = c->win_end_s >= 0 ? (int64_t)llround(c->win_end_s * 1e9)
				       : INT64_MAX;
	struct rng sr;
	rng_fork(&p->base, PLAN_SCALE_STREAM, &sr);
	double whole = floor(c->rate_scale), frac = c->rate_scale - whole;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_row *r = &t->rows[ord[i]];
		if (t->has_time && (r->t_ns < w0 || r->t_ns >= w1))
			continue;
		p->st.rows_in_window++;
		struct rng rr;
		rng_fork(&sr, ord[i], &rr);
		long copies = (long)whole + (rng_uniform(&rr) < frac ? 1 : 0);
		for (long k = 0; k < copies; k++) {
			xgrow((void **)&p->sel, &cap, p->n_sel + 1,
			      sizeof(*p->sel));
			p->sel[p->n_sel++] = ord[i];
		}
	}
	p->st.rows_scaled = p->n_sel;
	if (!p->n_sel) {
		*err = xasprintf("%s: no rows left after --trace-window / "
				 "--trace-rate-scale (%zu rows read)",
				 c->trace ? c->trace_path : c->dataset_path,
				 t->n);
		rc = -EINVAL;
		goto out;
	}
	if (t->has_time) {
		p->n_meas = c->num_given && c->num_requests > 0 &&
					    (size_t)c->num_requests < p->n_sel
				    ? c->num_requests
				    : (long long)p->n_sel;
		p->n_sel = (size_t)p->n_meas;
		p->arr = xmalloc((size_t)p->n_meas * sizeof(*p->arr));
		int64_t t0 = t->rows[p->sel[0]].t_ns;
		for (size_t i = 0; i < (size_t)p->n_meas; i++) {
			int64_t d = t->rows[p->sel[i]].t_ns - t0;
			p->arr[i] = c->speedup == 1.0
					    ? d
					    : (int64_t)llround((double)d /
							       c->speedup);
		}
		p->st.span_s = (double)p->arr[p->n_meas - 1] / 1e9;
		p->st.span_trace_s =
			(double)(t->rows[p->sel[p->n_meas - 1]].t_ns - t0) /
			1e9;
	} else {
		p->n_meas = c->num_given || c->num_requests == 0
				    ? c->num_requests
				    : (long long)p->n_sel;
	}
	p->st.rows_used = p->n_meas > 0 && (size_t)p->n_meas < p->n_sel
				  ? (size_t)p->n_meas
				  : p->n_sel;
	/* Lengths of each selected entry (truncated in plan_prepare). */
	p->sel_in = xmalloc(p->n_sel * sizeof(int32_t) + 4);
	p->sel_out = xmalloc(p->n_sel * sizeof(int32_t) + 4);
	for (size_t i = 0; i < p->n_sel; i++) {
		p->sel_in[i] = t->rows[p->sel[i]].in_len;
		p->sel_out[i] = t->rows[p->sel[i]].out_len;
	}
	if (t->has_hash) {
		size_t nh = 0, hc = 0;
		uint32_t *hs = NULL;
		for (size_t i = 0; i < p->st.rows_used; i++) {
			const struct trace_row *r = &t->rows[p->sel[i]];
			xgrow((void **)&hs, &hc, nh + r->n_hash + 1,
			      sizeof(*hs));
			memcpy(hs + nh, t->hashes + r->hash_off,
			       r->n_hash * sizeof(*hs));
			nh += r->n_hash;
		}
		qsort(hs, nh, sizeof(*hs), cmp_u32);
		size_t u = 0;
		for (size_t i = 0; i < nh; i++)
			if (!i || hs[i] != hs[i - 1])
				u++;
		p->st.hash_blocks = u;
		p->st.has_hash = 1;
		free(hs);
	}
out:
	free(ord);
	return rc;
}

/* ShareGPT conversations: vLLM's rule (shuffle with the seed, count, drop
 * prompt < 4 or reply < 4, prompt > 1024 or total > 2048), counted lazily
 * until enough requests are covered. */
static int load_sharegpt(struct plan *p, const char *path, char **err)
{
	char *data = NULL;
	size_t len = 0;
	struct dataset_parser dp;
	int rc = plan_read_file(path, PLAN_FILE_MAX, &data, &len, err);
	if (rc)
		return rc;
	dataset_parser_init(&dp, path);
	rc = dataset_parser_feed(&dp, data, len);
	if (!rc)
		rc = dataset_parser_finish(&dp, &p->ds);
	if (rc) {
		*err = dp.err;
		dp.err = NULL;
	}
	dataset_parser_free(&dp);
	free(data);
	if (rc)
		return rc;
	p->st.rows_read = p->ds.entries;
	p->st.rows_zero = p->ds.skipped;
	return 0;
}

static int count_convs(struct plan *p, char **err)
{
	const struct plan_config *c = &p->cfg;
	size_t n = p->ds.n;
	uint32_t *perm = xmalloc(n * sizeof(*perm));
	struct rng r;
	int rc = 0;
	rng_fork(&p->base, PLAN_SHUFFLE_STREAM, &r);
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)rng_int(&r, 0, (int64_t)i - 1);
		uint32_t x = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = x;
	}
	size_t need = c->num_requests > 0
			      ? (size_t)(c->num_requests + c->warmup)
			      : n;
	p->cv_idx = xmalloc(n * sizeof(uint32_t));
	p->cv_in = xmalloc(n * sizeof(int32_t));
	p->cv_out = xmalloc(n * sizeof(int32_t));
	for (size_t i = 0; i < n && p->n_cv < need; i++) {
		size_t k = perm[i];
		const struct dataset_conv *cv = &p->ds.convs[k];
		int32_t in, out = 0;
		rc = count_text(p, dataset_prompt(&p->ds, k), cv->prompt_len,
				TOK_ADD_SPECIAL, &in, err);
		if (!rc && !c->out_given)
			rc = count_text(p, dataset_reply(&p->ds, k),
					cv->reply_len, 0, &out, err);
		if (rc) {
			char *e = *err;
			*err = xasprintf("%s: conversation %zu: %s",
					 c->dataset_path, k, e ? e : "");
			free(e);
			goto out;
		}
		if (in < PLAN_SHAREGPT_MIN ||
		    (!c->out_given && out < PLAN_SHAREGPT_MIN) ||
		    in > PLAN_SHAREGPT_MAX_PROMPT ||
		    (!c->out_given && in + out > PLAN_SHAREGPT_MAX_TOTAL)) {
			p->st.rows_filtered++;
			continue;
		}
		p->cv_idx[p->n_cv] = (uint32_t)k;
		p->cv_in[p->n_cv] = in;
		p->cv_out[p->n_cv] = out;
		p->n_cv++;
	}
	if (!p->n_cv) {
		*err = xasprintf("%s: no conversation passes vLLM's ShareGPT "
				 "length filter (prompt and reply >= 4 tokens, "
				 "prompt <= 1024, total <= 2048)",
				 c->dataset_path);
		rc = -EINVAL;
		goto out;
	}
	p->st.rows_kept = p->n_cv;
	p->n_meas = c->num_requests;
	p->st.rows_used = c->num_requests > 0 &&
					  (size_t)c->num_requests < p->n_cv
				  ? (size_t)c->num_requests
				  : p->n_cv;
out:
	free(perm);
	return rc;
}

/* Jsonl rows given as text only: their length from the counter, else an
 * estimate (words). */
static int count_rows(struct plan *p, char **err)
{
	for (size_t i = 0; i < p->tr.n; i++) {
		struct trace_row *r = &p->tr.rows[i];
		const char *t = trace_row_text(&p->tr, r);
		if (!t)
			continue;
		if (p->cfg.mode == PLAN_MODE_IDS && !p->cfg.tok) {
			*err = xasprintf("%s:%u: a prompt text in --prompt-mode "
					 "ids needs --tokenizer",
					 p->cfg.dataset_path, r->line);
			return -EINVAL;
		}
		if (p->cfg.tok || p->cfg.mode == PLAN_MODE_SERVER) {
			int32_t n;
			int rc = count_text(p, t, r->text_len, TOK_ADD_SPECIAL,
					    &n, err);
			if (rc) {
				char *e = *err;
				*err = xasprintf("%s:%u: %s",
						 p->cfg.dataset_path, r->line,
						 e ? e : "");
				free(e);
				return rc;
			}
			r->in_len = n;
		} else if (r->in_len < 0) {
			int32_t w = 0;
			for (const char *s = t; *s;) {
				while (*s == ' ' || *s == '\n' || *s == '\t')
					s++;
				if (!*s)
					break;
				w++;
				while (*s && *s != ' ' && *s != '\n' &&
				       *s != '\t')
					s++;
			}
			r->in_len = w > 0 ? w : 1;
			p->st.exact = 0;
		}
	}
	return 0;
}

static int pick_words(struct plan *p, char **err)
{
	size_t n = prompt_nwords();
	p->words = xmalloc(n * sizeof(*p->words));
	for (size_t i = 0; i < n; i++) {
		const char *w = prompt_word(i);
		if (p->cfg.tok && p->cfg.mode == PLAN_MODE_TEXT) {
			char sp[64];
			snprintf(sp, sizeof(sp), " %s", w);
			if (tok_count(p->cfg.tok, w, strlen(w), 0) != 1 ||
			    tok_count(p->cfg.tok, sp, strlen(sp),
				      TOK_NO_PREFIX) != 1)
				continue;
		}
		p->words[p->nwords++] = w;
	}
	if (p->nwords < PLAN_MIN_WORDS) {
		*err = xasprintf("the tokenizer splits the built-in words: "
				 "only %zu of %zu are single tokens",
				 p->nwords, n);
		return -EINVAL;
	}
	return 0;
}

static void pick_allowed(struct plan *p)
{
	struct tok *t = p->cfg.tok;
	if (!t)
		return;
	int32_t nb = tok_base_vocab_size(t);
	p->allowed = xmalloc((size_t)nb * sizeof(int32_t) + 4);
	for (int32_t id = 0; id < nb; id++) {
		size_t l;
		if (!tok_is_special(t, id) && tok_id_to_piece(t, id, &l) && l)
			p->allowed[p->n_allowed++] = id;
	}
}

int plan_new(const struct plan_config *c, struct plan **out, char **err)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	int rc = -EINVAL;
	const char *ds = c->dataset;
	*err = NULL;
	p->cfg = *c; /* file names are borrowed until plan_new returns */
	if (!(p->cfg.speedup > 0))
		p->cfg.speedup = 1.0;
	if (!(p->cfg.rate_scale > 0))
		p->cfg.rate_scale = 1.0;
	rng_seed(&p->base, c->seed);
	p->st.exact = c->tok != NULL || c->mode != PLAN_MODE_TEXT;
	p->st.sorted = 1;

	if (c->mode == PLAN_MODE_SERVER && (!c->server || !c->server->count)) {
		*err = xstrdup("--prompt-mode server-tokenize needs a server");
		goto out;
	}
	if (ds && strcmp(ds, "random") && strcmp(ds, "sonnet") &&
	    strcmp(ds, "sharegpt") && strcmp(ds, "jsonl")) {
		*err = xasprintf("--dataset '%s': expected random, sonnet, "
				 "sharegpt or jsonl",
				 ds);
		goto out;
	}
	int file_ds = ds && strcmp(ds, "random");
	if (file_ds && !c->dataset_path) {
		*err = xasprintf("--dataset %s needs --dataset-path FILE", ds);
		goto out;
	}
	if (c->trace && ds && !strcmp(ds, "jsonl")) {
		*err = xstrdup("--trace and --dataset jsonl both give "
			       "lengths: use one");
		goto out;
	}
	int sharegpt_conv = ds && !strcmp(ds, "sharegpt") && !c->trace &&
			    !c->in_given;
	int corpus = ds && (!strcmp(ds, "sonnet") ||
			    (!strcmp(ds, "sharegpt") && !sharegpt_conv));
	if (corpus && !c->tok) {
		*err = xasprintf("--dataset %s cuts text to exact lengths and "
				 "needs --tokenizer",
				 ds);
		goto out;
	}
	if (corpus && c->mode == PLAN_MODE_SERVER) {
		*err = xasprintf("--dataset %s needs a local tokenizer, not "
				 "--prompt-mode server-tokenize",
				 ds);
		goto out;
	}
	if (ds && !strcmp(ds, "random") && !c->tok &&
	    c->mode == PLAN_MODE_TEXT) {
		*err = xstrdup("--dataset random needs --tokenizer (or "
			       "--prompt-mode ids / server-tokenize)");
		goto out;
	}
	if (sharegpt_conv && !c->tok && c->mode != PLAN_MODE_SERVER) {
		*err = xstrdup("--dataset sharegpt counts prompt and reply "
			       "tokens: give --tokenizer or --prompt-mode "
			       "server-tokenize");
		goto out;
	}
	if (c->prefix_len < 0 || c->num_prefixes < 0 ||
	    c->num_prefixes > PLAN_MAX_PREFIXES) {
		*err = xasprintf("--prefix-len must be >= 0 and "
				 "--num-prefixes within 1..%d",
				 PLAN_MAX_PREFIXES);
		goto out;
	}
	if (c->prefix_len > 0 &&
	    (c->trace || sharegpt_conv || (ds && !strcmp(ds, "jsonl")))) {
		*err = xstrdup("--prefix-len applies to generated prompts "
			       "(synthetic, random, sonnet); traces carry "
			       "their own reuse (Mooncake hash_ids)");
		goto out;
	}
	if (c->prefix_len > 0 && c->num_prefixes < 1)
		p->cfg.num_prefixes = 1;
	if (!(c->range_ratio >= 0 && c->range_ratio < 1)) {
		*err = xstrdup("--range-ratio must be within [0, 1)");
		goto out;
	}

	/* Text of generated prompts. */
	p->text = corpus			     ? TXT_CORPUS
		  : c->tok && c->mode != PLAN_MODE_SERVER ? TXT_RANDOM
							   : TXT_WORDS;
	if (c->tok && c->mode == PLAN_MODE_TEXT) {
		long long ns = tok_count(c->tok, "", 0, TOK_ADD_SPECIAL);
		p->n_special = ns > 0 ? (int32_t)ns : 0;
	}
	p->st.n_special = p->n_special;
	if ((rc = pick_words(p, err)))
		goto out;
	if (c->mode == PLAN_MODE_IDS)
		pick_allowed(p);
	rc = -EINVAL;

	if (c->trace) {
		p->lensrc = LEN_ROWS;
		p->st.source = "trace";
		if ((rc = load_trace(p, c->trace_path, c->trace_fmt, err)))
			goto out;
	} else if (ds && !strcmp(ds, "jsonl")) {
		p->lensrc = LEN_ROWS;
		p->st.source = "jsonl";
		if ((rc = load_trace(p, c->dataset_path, TRACE_JSONL, err)))
			goto out;
		if ((rc = count_rows(p, err)))
			goto out;
	} else if (sharegpt_conv) {
		p->lensrc = LEN_CONV;
		p->st.source = "sharegpt";
		if ((rc = load_sharegpt(p, c->dataset_path, err)) ||
		    (rc = count_convs(p, err)))
			goto out;
	} else {
		p->lensrc = LEN_DIST;
		p->n_meas = c->num_requests;
		p->st.source = !ds ? (c->tok ? "random" : "synthetic")
			       : !strcmp(ds, "sharegpt") ? "sharegpt-text"
							 : ds;
	}
	rc = -EINVAL;
	if (p->lensrc == LEN_ROWS) {
		const struct trace *t = &p->tr;
		p->st.rows_read = t->data_lines;
		p->st.rows_failed = t->skipped_failed;
		p->st.rows_zero = t->skipped_zero;
		p->st.rows_kept = t->n;
		if (!t->has_time &&
		    (c->win_start_s > 0 || c->win_end_s >= 0 ||
		     p->cfg.speedup != 1.0 || p->cfg.rate_scale != 1.0)) {
			*err = xstrdup("--trace-window, --trace-speedup and "
				       "--trace-rate-scale need timestamps");
			goto out;
		}
		if ((rc = select_rows(p, err)))
			goto out;
	}
	if (corpus) {
		if (!strcmp(ds, "sonnet")) {
			if ((rc = plan_read_file(c->dataset_path, PLAN_FILE_MAX,
						 &p->corpus_text,
						 &p->corpus_len, err)))
				goto out;
		} else {
			if ((rc = load_sharegpt(p, c->dataset_path, err)))
				goto out;
			struct buf b;
			buf_init(&b, PLAN_FILE_MAX);
			for (size_t i = 0; i < p->ds.n; i++) {
				buf_append(&b, dataset_prompt(&p->ds, i),
					   p->ds.convs[i].prompt_len);
				buf_append(&b, "\n", 1);
			}
			p->corpus_len = b.len;
			p->corpus_text = buf_take(&b);
		}
	}
	/* vLLM random: lengths uniform within +-range_ratio of L_real. */
	if (c->range_ratio > 0 && p->lensrc == LEN_DIST) {
		struct dist *in = &p->cfg.in_dist, *o = &p->cfg.out_dist;
		if (in->kind != DIST_FIXED || o->kind != DIST_FIXED) {
			*err = xstrdup("--range-ratio needs a fixed "
				       "--input-len and --output-len");
			goto out;
		}
		double r = c->range_ratio, L = in->a - p->n_special;
		double lo = floor(L * (1 - r)), hi = ceil(L * (1 + r));
		in->kind = DIST_UNIFORM;
		in->a = (lo < 1 ? 1 : lo) + p->n_special;
		in->b = (hi < 1 ? 1 : hi) + p->n_special;
		double O = o->a;
		lo = floor(O * (1 - r));
		hi = ceil(O * (1 + r));
		o->kind = DIST_UNIFORM;
		o->a = lo < 1 ? 1 : lo;
		o->b = hi < 1 ? 1 : hi;
	}
	p->st.text = p->lensrc != LEN_DIST && !p->tr.has_hash &&
				     (p->lensrc == LEN_CONV || p->tr.has_text)
			     ? "dataset"
		     : p->tr.has_hash ? "hash-blocks"
		     : p->text == TXT_CORPUS ? "corpus"
		     : p->text == TXT_RANDOM ? "random-tokens"
		     : c->mode == PLAN_MODE_IDS ? "random-ids"
					      : "words";
	p->cfg.dataset = p->cfg.dataset_path = p->cfg.trace_path = NULL;
	*out = p;
	p = NULL;
	rc = 0;
out:
	plan_free(p);
	if (rc && !*err)
		*err = xstrdup("could not build the workload");
	return rc;
}

/* Largest prompt a distribution gives (for sizing the corpus). */
static int32_t dist_upper(const struct dist *d)
{
	double v;
	switch (d->kind) {
	case DIST_FIXED:
		v = d->a;
		break;
	case DIST_CHOICE:
		v = 0;
		for (size_t i = 0; i < d->nvalues; i++)
			if (d->values[i] > v)
				v = d->values[i];
		break;
	case DIST_UNIFORM:
		v = d->b;
		break;
	case DIST_NORMAL:
		v = d->a + 8 * d->b;
		break;
	default:
		v = exp(d->mu + 8 * d->sigma);
		break;
	}
	if (d->max > 0 && v > d->max)
		v = d->max;
	return v > 1 << 22 ? 1 << 22 : (int32_t)v + 1;
}

/* A truncated text row: cut to in_len tokens (decode of the first ids;
 * without a tokenizer, the first in_len words). */
static char *cut_text(const struct plan *p, const char *t, size_t n,
		      int32_t in_len)
{
	if (p->cfg.tok) {
		int32_t *ids;
		size_t k;
		struct buf b;
		buf_init(&b, 0);
		if (tok_encode(p->cfg.tok, t, n, 0, &ids, &k))
			return xstrdup("");
		size_t keep = (size_t)(in_len - p->n_special > 1
					       ? in_len - p->n_special
					       : 1);
		if (keep < k)
			k = keep;
		tok_decode(p->cfg.tok, ids, k, &b);
		tok_utf8_lossy(&b, 0);
		free(ids);
		return b.data ? buf_take(&b) : xstrdup("");
	}
	int32_t w = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && (t[i] == ' ' || t[i] == '\n'))
			i++;
		if (i < n && w++ == in_len)
			break;
		while (i < n && t[i] != ' ' && t[i] != '\n')
			i++;
	}
	return xstrndup(t, i);
}

static void truncate_lengths(struct plan *p, int32_t ctx)
{
	int conv = p->lensrc == LEN_CONV;
	size_t n = conv ? p->n_cv : p->n_sel;
	int32_t *in = conv ? p->cv_in : p->sel_in;
	int32_t *out = conv ? p->cv_out : p->sel_out;
	int out_fixed = conv && p->cfg.out_given; /* out from --output-len */
	for (size_t i = 0; i < n; i++) {
		if (out_fixed ? in[i] <= ctx - 1
			      : (int64_t)in[i] + out[i] <= ctx)
			continue;
		p->st.truncated++;
		if (in[i] > ctx - 1) {
			in[i] = ctx - 1;
			const char *t = NULL;
			size_t tl = 0;
			if (conv) {
				size_t c = p->cv_idx[i];
				t = dataset_prompt(&p->ds, c);
				tl = p->ds.convs[c].prompt_len;
			} else {
				const struct trace_row *r =
					&p->tr.rows[p->sel[i]];
				t = trace_row_text(&p->tr, r);
				tl = r->text_len;
			}
			if (t) {
				if (!p->ov_text)
					p->ov_text = xcalloc(n, sizeof(char *));
				p->ov_text[i] = cut_text(p, t, tl, in[i]);
			}
		}
		if (!out_fixed && out[i] > ctx - in[i])
			out[i] = ctx - in[i];
	}
}

struct pre_job {
	struct plan *p;
	int idx, nt;
	long long total;
	pthread_mutex_t *mu;
	char **err;
	int rc;
};

static void *precompute_main(void *arg)
{
	struct pre_job *j = arg;
	struct plan *p = j->p;
	struct plan_scratch sc;
	plan_scratch_init(&sc);
	for (long long k = j->idx; k < j->total; k += j->nt) {
		int warm = k >= p->c_meas;
		long long id = warm ? k - p->c_meas : k;
		char *e = NULL;
		int rc = build_prompt(p, id, warm, &sc, &e);
		if (rc) {
			pthread_mutex_lock(j->mu);
			if (!*j->err)
				*j->err = xasprintf("%s request %lld: %s",
						    warm ? "warm-up" : "measured",
						    id, e ? e : "failed");
			pthread_mutex_unlock(j->mu);
			free(e);
			j->rc = rc;
			break;
		}
		if (p->cfg.mode == PLAN_MODE_IDS) {
			p->c_ids[k] = xmalloc(sc.n_ids * sizeof(int32_t) + 4);
			memcpy(p->c_ids[k], sc.ids, sc.n_ids * sizeof(int32_t));
			p->c_len[k] = sc.n_ids;
		} else {
			p->c_text[k] = xstrndup(sc.text.data ? sc.text.data : "",
						sc.text.len);
			p->c_len[k] = sc.text.len;
		}
	}
	plan_scratch_free(&sc);
	return NULL;
}

static int make_prefixes(struct plan *p, char **err)
{
	int32_t N = p->cfg.prefix_len, K = p->cfg.num_prefixes;
	enum plan_mode m = p->cfg.mode;
	p->pfx_text = xcalloc((size_t)K, sizeof(char *));
	p->pfx_ids = xcalloc((size_t)K, sizeof(int32_t *));
	for (int32_t g = 0; g < K; g++) {
		struct rng r;
		struct buf b;
		buf_init(&b, 0);
		rng_fork(&p->base, PLAN_PREFIX_STREAM + (uint64_t)g, &r);
		if (p->text == TXT_WORDS) {
			words_append(p, &r, N, 1, &b);
			p->pfx_text[g] = b.data ? buf_take(&b) : xstrdup("");
			p->pfx_ids[g] = xmalloc((size_t)N * sizeof(int32_t));
			for (int32_t j = 0; j < N; j++)
				p->pfx_ids[g][j] = random_id(p, &r);
			buf_free(&b);
			continue;
		}
		/* Tokenizer text: N - 1 tokens and a newline (a clean cut for
		 * the suffix) when that encodes to N tokens, else N tokens. */
		int32_t *ids = NULL;
		size_t n = 0;
		int rc = 0, ok = 0;
		for (int t = 0; t < PLAN_JOIN_TRIES && !ok; t++) {
			buf_reset(&b);
			int nl = N >= 2 && t < PLAN_JOIN_TRIES - 1 &&
				 m == PLAN_MODE_TEXT;
			rc = gen_plain(p, &r, (long long)g + t, N - nl, 1, &b);
			if (!rc && nl)
				rc = buf_append(&b, "\n", 1);
			free(ids);
			ids = NULL;
			if (!rc)
				rc = tok_encode(p->cfg.tok, b.data, b.len, 0,
						&ids, &n);
			if (rc)
				break;
			ok = n == (size_t)N;
		}
		if (!ok) {
			*err = xasprintf("prefix %d of %d tokens: %s", (int)g,
					 (int)N,
					 rc ? gen_err(rc) : "no exact text");
			free(ids);
			buf_free(&b);
			return rc ? rc : -EAGAIN;
		}
		p->pfx_text[g] = buf_take(&b);
		p->pfx_ids[g] = ids;
		buf_free(&b);
	}
	return 0;
}

int plan_prepare(struct plan *p, int32_t max_ctx, int need_prompts,
		 char **err)
{
	int rc = 0;
	*err = NULL;
	if (p->prepared)
		return 0;
	p->prepared = 1;
	int32_t ctx = p->cfg.max_context > 0 ? p->cfg.max_context : max_ctx;
	p->st.max_context = ctx > 0 ? ctx : 0;
	if (ctx > 0 && ctx < 2) {
		*err = xstrdup("context below 2 tokens");
		return -EINVAL;
	}
	if (ctx > 0) {
		if (p->lensrc == LEN_DIST) {
			int32_t m = ctx - 1 - p->cfg.prefix_len;
			if (m < 1) {
				*err = xasprintf("--prefix-len %d leaves no "
						 "room in a %d-token context",
						 (int)p->cfg.prefix_len,
						 (int)ctx);
				return -EINVAL;
			}
			p->cfg.in_dist.max = m;
		} else {
			truncate_lengths(p, ctx);
		}
	}
	if (p->text == TXT_CORPUS) {
		int32_t want = p->lensrc == LEN_DIST
				       ? dist_upper(&p->cfg.in_dist)
				       : 0;
		for (size_t i = 0; p->lensrc == LEN_ROWS && i < p->n_sel; i++)
			if (p->sel_in[i] > want)
				want = p->sel_in[i];
		if (want < 64)
			want = 64;
		p->corpus = tok_corpus_new(p->cfg.tok, p->corpus_text,
					   p->corpus_len, want + 64, err);
		if (!p->corpus)
			return -EINVAL;
	}
	if (p->cfg.prefix_len > 0 && (rc = make_prefixes(p, err)))
		return rc;
	if (!need_prompts)
		return 0;
	long long nm = p->n_meas, nw = p->cfg.warmup;
	/* Bytes a full precompute would take. */
	double bytes = 0;
	int per_tok = p->cfg.mode == PLAN_MODE_IDS ? 4 : 6;
	if (nm > 0) {
		for (long long i = 0; i < nm && bytes <= PLAN_CACHE_MAX_BYTES;
		     i++) {
			int32_t a, b;
			plan_lengths(p, i, 0, &a, &b);
			bytes += (double)a * per_tok + 16;
		}
		for (long long i = 0; i < nw && bytes <= PLAN_CACHE_MAX_BYTES;
		     i++) {
			int32_t a, b;
			plan_lengths(p, i, 1, &a, &b);
			bytes += (double)a * per_tok + 16;
		}
	}
	if (nm <= 0 || bytes > PLAN_CACHE_MAX_BYTES) {
		if (p->cfg.mode == PLAN_MODE_SERVER) {
			*err = xasprintf("--prompt-mode server-tokenize fits "
					 "every prompt before the run: it "
					 "needs a request count and at most "
					 "%zu MiB of prompts",
					 PLAN_CACHE_MAX_BYTES >> 20);
			return -EINVAL;
		}
		return 0; /* built on the fly by the workers */
	}
	long long total = nm + nw;
	p->c_meas = nm;
	p->c_warm = nw;
	p->c_total = (size_t)total;
	p->c_len = xcalloc((size_t)total, sizeof(size_t));
	if (p->cfg.mode == PLAN_MODE_IDS)
		p->c_ids = xcalloc((size_t)total, sizeof(int32_t *));
	else
		p->c_text = xcalloc((size_t)total, sizeof(char *));
	int nt = p->cfg.threads > 0 ? p->cfg.threads
				    : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nt < 1)
		nt = 1;
	if (nt > PLAN_MAX_THREADS)
		nt = PLAN_MAX_THREADS;
	if (p->cfg.mode == PLAN_MODE_SERVER || total < 64)
		nt = 1;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct pre_job jobs[PLAN_MAX_THREADS];
	pthread_t th[PLAN_MAX_THREADS];
	int started[PLAN_MAX_THREADS] = {0};
	for (int i = 0; i < nt; i++) {
		jobs[i] = (struct pre_job){p, i, nt, total, &mu, err, 0};
		if (i && !pthread_create(&th[i], NULL, precompute_main,
					 &jobs[i]))
			started[i] = 1;
	}
	precompute_main(&jobs[0]);
	for (int i = 1; i < nt; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			precompute_main(&jobs[i]);
	}
	for (int i = 0; i < nt; i++)
		if (jobs[i].rc)
			rc = jobs[i].rc;
	if (rc) {
		p->c_meas = p->c_warm = 0; /* never serve a partial cache */
		return rc;
	}
	p->st.prompts_cached = (size_t)total;
	return 0;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	trace_free(&p->tr);
	dataset_free(&p->ds);
	free(p->corpus_text);
	tok_corpus_free(p->corpus);
	free(p->cv_idx);
	free(p->cv_in);
	free(p->cv_out);
	free(p->sel);
	free(p->sel_in);
	free(p->sel_out);
	size_t n_ov = p->lensrc == LEN_CONV ? p->n_cv : p->n_sel;
	for (size_t i = 0; p->ov_text && i < n_ov; i++)
		free(p->ov_text[i]);
	free(p->ov_text);
	free(p->arr);
	free(p->words);
	free(p->allowed);
	for (int32_t g = 0; p->pfx_text && g < p->cfg.num_prefixes; g++) {
		free(p->pfx_text[g]);
		free(p->pfx_ids[g]);
	}
	free(p->pfx_text);
	free(p->pfx_ids);
	for (size_t i = 0; i < p->c_total; i++) {
		if (p->c_text)
			free(p->c_text[i]);
		if (p->c_ids)
			free(p->c_ids[i]);
	}
	free(p->c_len);
	free(p->c_text);
	free(p->c_ids);
	free(p);
}
