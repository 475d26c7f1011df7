/* pack.h - the bytes one rank sends to rank 0: numbers and records.
 *
 * Owns a flat little codec: a writer over a capped struct buf and a reader
 * that checks every length against what is left, so a short or corrupt
 * buffer is an error, never an overrun. Records travel whole (fixed fields,
 * events, error and text). Native byte order: pack_recs writes a marker
 * and unpack_recs refuses a buffer from a host of the other order. No I/O,
 * no MPI; one writer or reader per thread.
 */
#ifndef INFBENCH_DIST_PACK_H
#define INFBENCH_DIST_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "results/record.h"

#define PACK_MAGIC 0x31524249u         /* "IBR1" */
#define PACK_MAX_EVENTS (1u << 28)     /* events of one record */
#define PACK_MAX_RECS ((uint64_t)1 << 40)

struct pack_w {
	struct buf b; /* the bytes; b.max_len is the cap */
	int err;      /* -ENOBUFS once the cap was hit; later writes no-ops */
};

/* Start writing with a cap of max_bytes (0 = none). Free with
 * pack_w_free, or take the bytes with buf_take(&w->b). */
void pack_w_init(struct pack_w *w, size_t max_bytes);
void pack_w_free(struct pack_w *w);
void pack_u32(struct pack_w *w, uint32_t x);
void pack_i64(struct pack_w *w, int64_t x);
void pack_f64(struct pack_w *w, double x);
void pack_bytes(struct pack_w *w, const void *p, size_t n);
/* n records (and what they own) after a count and the byte-order marker.
 * Errors are sticky in w->err. */
void pack_recs(struct pack_w *w, const struct rec *recs, size_t n);

struct pack_r {
	const char *p;
	size_t len, off;
	int err;      /* -EINVAL once a read ran past the end or was bad */
};

void pack_r_init(struct pack_r *r, const void *p, size_t len);
uint32_t unpack_u32(struct pack_r *r);
int64_t unpack_i64(struct pack_r *r);
double unpack_f64(struct pack_r *r);
/* Copy n bytes out; zeroes dst on error. */
void unpack_bytes(struct pack_r *r, void *dst, size_t n);
/* Records written by pack_recs: *recs (caller frees each with rec_free,
 * then the array) and *n. Returns 0, or -EINVAL (nothing allocated is
 * left: *recs NULL, *n 0) for a short, corrupt or foreign buffer. */
int unpack_recs(struct pack_r *r, struct rec **recs, size_t *n);

#endif
