/* jscan_fuzz.c - libFuzzer: jscan must agree with jansson on every input
 * (accept/reject and extracted values), and never read out of bounds.
 * The input's lines are also a stream of documents through one memo (kept
 * across inputs, so consecutive inputs, often mutations of each other,
 * meet its template too), then its first line again: jscan_parse_memo
 * must give what jscan_parse gives on each, from exact-size heap copies,
 * and the memo's peek must take only valid documents without CR or LF
 * from the line and what follows it. */
#include <stdint.h>
#include <stdio.h>

#include "../proto/jscan_memo_check.h"
#include "../proto/jscan_xcheck.h"

/* The line s[0..n) and the rest of the input, s[0..avail), which the
 * memo's peek sees too. */
static void memo_one(struct jscan_memo *m, const char *s, size_t n,
		     size_t avail)
{
	char *doc = malloc(avail ? avail : 1);
	memcpy(doc, s, avail);
	const char *why = mc_check(m, doc, n, avail, xc_paths, XC_N);
	if (why) {
		fprintf(stderr, "jscan memo/plain disagree: %s\n", why);
		abort();
	}
	free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = xc_check((const char *)data, size);
	if (why) {
		fprintf(stderr, "jscan/jansson disagree: %s\n", why);
		abort();
	}
	static struct jscan_memo m;
	const char *s = (const char *)data, *end = s + size, *first = s;
	size_t nfirst = 0;
	for (const char *p = s; p <= end; p++) {
		if (p < end && *p != '\n')
			continue;
		if (s == first)
			nfirst = (size_t)(p - s);
		memo_one(&m, s, (size_t)(p - s), (size_t)(end - s));
		s = p + 1;
	}
	memo_one(&m, first, nfirst, nfirst);
	return 0;
}
