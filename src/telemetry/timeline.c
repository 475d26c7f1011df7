/* timeline.c - bounded, decimating record array. */
#include "telemetry/timeline.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/xmalloc.h"

void tl_init(struct tl *t, size_t esz, size_t cap)
{
	ASSERT(esz > 0);
	if (!cap)
		cap = TL_DEFAULT_CAP;
	if (cap < 2)
		cap = 2;
	memset(t, 0, sizeof(*t));
	t->esz = esz;
	t->cap = cap;
	t->stride = 1;
	t->data = xcalloc(cap, esz);
}

void tl_free(struct tl *t)
{
	if (!t)
		return;
	free(t->data);
	t->data = NULL;
	t->len = 0;
}

void *tl_at(const struct tl *t, size_t i)
{
	ASSERT(i < t->len);
	return t->data + i * t->esz;
}

/* Keeps records 0, 2, 4, ... and doubles the stride. */
static void decimate(struct tl *t)
{
	size_t j = 0;
	for (size_t i = 0; i < t->len; i += 2, j++)
		if (i != j)
			memcpy(t->data + j * t->esz, t->data + i * t->esz,
			       t->esz);
	t->len = j;
	t->stride *= 2;
	t->decimations++;
}

int tl_push(struct tl *t, const void *rec)
{
	uint64_t k = t->pushed++;
	if (k % t->stride)
		return 0;
	if (t->len == t->cap) {
		decimate(t);
		/* the kept records are pushed indices 0, stride, 2*stride,
		 * ...; k belongs only if it is on the new grid */
		if (k % t->stride)
			return 0;
	}
	memcpy(t->data + t->len * t->esz, rec, t->esz);
	t->len++;
	return 1;
}
