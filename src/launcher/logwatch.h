/* logwatch.h - watch a server's log for its readiness line.
 *
 * Owns a line splitter fed with arbitrary byte splits and one compiled
 * PCRE2 pattern matched against each complete line (and, on request,
 * against the unfinished last line). Does no I/O: the launcher reads the
 * log file and feeds the bytes. Over-long lines are cut at
 * LOGWATCH_MAX_LINE - 1 bytes (the rest of the line is skipped and
 * counted). One per log; not thread-safe.
 */
#ifndef INFBENCH_LAUNCHER_LOGWATCH_H
#define INFBENCH_LAUNCHER_LOGWATCH_H

#include <stddef.h>
#include <stdint.h>

#define LOGWATCH_MAX_LINE 4096 /* bytes of one line kept for matching */
#define LOGWATCH_MAX_HIT 256   /* bytes of the matching line kept */

struct logwatch {
	void *re;              /* pcre2_code * */
	void *md;              /* pcre2_match_data * */
	char line[LOGWATCH_MAX_LINE];
	size_t len;            /* bytes in line */
	int skipping;          /* rest of an over-long line */
	int matched;           /* sticky: a line matched */
	uint64_t lines;        /* complete lines seen */
	uint64_t overlong;     /* lines cut at the cap */
	char hit[LOGWATCH_MAX_HIT]; /* the first matching line (cut) */
};

/* Compile pattern (PCRE2, UTF-8 off, no flags). 0, or -EINVAL with
 * "offset N: reason" in err. Release with logwatch_free. */
int logwatch_init(struct logwatch *w, const char *pattern, char *err,
		  size_t errlen);

/* Free the pattern; NULL-safe; w may be re-initialised. */
void logwatch_free(struct logwatch *w);

/* Feed log bytes. Returns w->matched (1 once any complete line matched;
 * a trailing "\r" is not part of the line). */
int logwatch_feed(struct logwatch *w, const char *buf, size_t len);

/* Match the unfinished last line too (a server may print its ready line
 * without a newline). Returns w->matched. */
int logwatch_check_partial(struct logwatch *w);

#endif
