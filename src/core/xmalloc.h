/* xmalloc.h - allocation that cannot fail.
 *
 * Owns nothing: thin wrappers over malloc/calloc/realloc/strdup that print the
 * size and abort on out-of-memory (we are a tool, not a library: redis, h2o).
 * Thread-safe as the libc allocator is.
 */
#ifndef INFBENCH_CORE_XMALLOC_H
#define INFBENCH_CORE_XMALLOC_H

#include <stddef.h>

/* Each returns memory the caller frees with free(); never returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (element size esz) so it holds at least need elements; *cap is
 * updated. Doubling growth. */
void xgrow(void **arr, size_t *cap, size_t need, size_t esz);

#endif
