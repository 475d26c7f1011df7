/* logwatch.c - readiness line matcher (see logwatch.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "launcher/logwatch.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

int logwatch_init(struct logwatch *w, const char *pattern, char *err,
		  size_t errlen)
{
	int ec;
	PCRE2_SIZE off;
	memset(w, 0, sizeof(*w));
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern,
				       PCRE2_ZERO_TERMINATED, 0, &ec, &off,
				       NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "offset %zu: %s", (size_t)off,
			 (const char *)msg);
		return -EINVAL;
	}
	w->re = re;
	w->md = pcre2_match_data_create_from_pattern(re, NULL);
	return 0;
}

void logwatch_free(struct logwatch *w)
{
	if (!w)
		return;
	if (w->md)
		pcre2_match_data_free(w->md);
	if (w->re)
		pcre2_code_free(w->re);
	w->md = w->re = NULL;
}

static void match_line(struct logwatch *w)
{
	size_t n = w->len;
	if (n && w->line[n - 1] == '\r')
		n--;
	if (w->matched || !w->re)
		return;
	if (pcre2_match(w->re, (PCRE2_SPTR)w->line, n, 0, 0, w->md, NULL) >=
	    0) {
		w->matched = 1;
		size_t k = n < LOGWATCH_MAX_HIT - 1 ? n : LOGWATCH_MAX_HIT - 1;
		memcpy(w->hit, w->line, k);
		w->hit[k] = 0;
	}
}

int logwatch_feed(struct logwatch *w, const char *buf, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t take = nl ? (size_t)(nl - (buf + i)) : len - i;
		if (!w->skipping) {
			size_t room = LOGWATCH_MAX_LINE - 1 - w->len;
			size_t k = take < room ? take : room;
			memcpy(w->line + w->len, buf + i, k);
			w->len += k;
			if (k < take) { /* cut: match what fits, skip the rest */
				w->overlong++;
				match_line(w);
				w->skipping = 1;
			}
		}
		i += take;
		if (nl) {
			if (!w->skipping)
				match_line(w);
			w->lines++;
			w->len = 0;
			w->skipping = 0;
			i++;
		}
	}
	return w->matched;
}

int logwatch_check_partial(struct logwatch *w)
{
	if (w->len && !w->skipping)
		match_line(w);
	return w->matched;
}
