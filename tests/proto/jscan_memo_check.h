/* jscan_memo_check.h - the memo (jscan_memo_fields, which
 * jscan_parse_memo copies out) against jscan_parse on one document: same
 * validity and, for valid documents, every member of every field equal:
 * a span is the same one in the document, or, for a value the memo did
 * not re-read, one of the same bytes outside the document (the memo's
 * copy of its template). First
 * jscan_memo_peek over the document and what follows it (doc[0..avail),
 * avail >= len): a length it returns must be a valid document with no
 * CR or LF, and when it is the document's own length the memo's parse
 * that follows reuses the peek. Shared by jscan_test.c and the fuzz
 * driver. Returns NULL when they agree, else a static description. */
#ifndef INFBENCH_TESTS_JSCAN_MEMO_CHECK_H
#define INFBENCH_TESTS_JSCAN_MEMO_CHECK_H

#include <stdio.h>
#include <string.h>

#include "proto/jscan.h"

/* a's span is b's, or the same bytes outside doc[0..avail). */
static int mc_span_ok(const struct jscan_field *a, const struct jscan_field *b,
		      const char *doc, size_t avail)
{
	if (a->start == b->start)
		return 1;
	if (!a->start || !b->start || a->len != b->len ||
	    (a->start >= doc && a->start < doc + avail))
		return 0;
	return !memcmp(a->start, b->start, b->len);
}

static const char *mc_check(struct jscan_memo *m, const char *doc,
			    size_t len, size_t avail,
			    const struct jscan_path *paths, size_t nf)
{
	static char why[160];
	struct jscan_field a[JSCAN_MAX_FIELDS], b[JSCAN_MAX_FIELDS];
	size_t pl = jscan_memo_peek(m, doc, avail);
	if (pl) {
		if (pl > avail)
			return "peek past the bytes given";
		for (size_t i = 0; i < pl; i++)
			if (doc[i] == '\n' || doc[i] == '\r')
				return "peek took in a line end";
		if (jscan_parse(doc, pl, paths, b, nf)) {
			snprintf(why, sizeof(why),
				 "peek took %zu bytes that are no document",
				 pl);
			return why;
		}
	}
	const struct jscan_field *fa =
		jscan_memo_fields(m, doc, len, paths, a, nf);
	int ra = fa ? 0 : -1;
	int rb = jscan_parse(doc, len, paths, b, nf);
	if (ra != rb) {
		snprintf(why, sizeof(why), "memo returned %d, plain %d", ra,
			 rb);
		return why;
	}
	if (rb)
		return NULL;
	if (fa != a)
		memcpy(a, fa, nf * sizeof(*a));
	for (size_t i = 0; i < nf; i++)
		if (a[i].type != b[i].type ||
		    !mc_span_ok(&a[i], &b[i], doc, avail) ||
		    a[i].len != b[i].len || a[i].count != b[i].count ||
		    a[i].escaped != b[i].escaped) {
			snprintf(why, sizeof(why),
				 "field %zu: memo type %d off %td len %u "
				 "count %u esc %d, plain type %d off %td "
				 "len %u count %u esc %d",
				 i, (int)a[i].type,
				 a[i].start ? a[i].start - doc : -1, a[i].len,
				 a[i].count, a[i].escaped, (int)b[i].type,
				 b[i].start ? b[i].start - doc : -1, b[i].len,
				 b[i].count, b[i].escaped);
			return why;
		}
	return NULL;
}

#endif
