/* timeline.h - bounded time series of fixed-size records, decimating.
 *
 * Owns an array of at most `cap` records. When full it keeps every other
 * record and from then on accepts only every stride-th pushed record (stride
 * doubles each time), so a long run keeps evenly spaced points in bounded
 * memory. Summaries must be computed on the full stream by the caller, not
 * from the timeline. Not thread-safe: the owner locks.
 */
#ifndef INFBENCH_TELEMETRY_TIMELINE_H
#define INFBENCH_TELEMETRY_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#define TL_DEFAULT_CAP 4096 /* records, when a config says 0 */

struct tl {
	unsigned char *data; /* cap * esz bytes */
	size_t esz;          /* bytes per record */
	size_t cap;          /* records kept at most (>= 2) */
	size_t len;          /* records kept now */
	uint64_t stride;     /* keep one pushed record in `stride` */
	uint64_t pushed;     /* records offered since init */
	uint64_t decimations;
};

/* cap: 0 = TL_DEFAULT_CAP; values below 2 are raised to 2. Release with
 * tl_free. */
void tl_init(struct tl *t, size_t esz, size_t cap);
/* NULL-safe. */
void tl_free(struct tl *t);
/* Offers one record (copied). Returns 1 when kept, 0 when decimated away. */
int tl_push(struct tl *t, const void *rec);
/* Record i (0 <= i < len), valid until the next push. */
void *tl_at(const struct tl *t, size_t i);

#endif
