/* jscan_memo_check.h - jscan_parse_memo against jscan_parse on one
 * document: same return value and, for valid documents, every member of
 * every out field equal (spans into the same buffer). Shared by
 * jscan_test.c and the fuzz driver. Returns NULL when they agree, else a
 * static description. */
#ifndef INFBENCH_TESTS_JSCAN_MEMO_CHECK_H
#define INFBENCH_TESTS_JSCAN_MEMO_CHECK_H

#include <stdio.h>
#include <string.h>

#include "proto/jscan.h"

static const char *mc_check(struct jscan_memo *m, const char *doc,
			    size_t len, const struct jscan_path *paths,
			    size_t nf)
{
	static char why[160];
	struct jscan_field a[JSCAN_MAX_FIELDS], b[JSCAN_MAX_FIELDS];
	int ra = jscan_parse_memo(m, doc, len, paths, a, nf);
	int rb = jscan_parse(doc, len, paths, b, nf);
	if (ra != rb) {
		snprintf(why, sizeof(why), "memo returned %d, plain %d", ra,
			 rb);
		return why;
	}
	if (rb)
		return NULL;
	for (size_t i = 0; i < nf; i++)
		if (a[i].type != b[i].type || a[i].start != b[i].start ||
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
