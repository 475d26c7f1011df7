/* httpget.h - blocking HTTP GET for telemetry (libcurl easy; not hot path).
 *
 * Owns one reusable curl easy handle per struct httpget (keep-alive between
 * scrapes). Either collects a capped body or streams it into the Prometheus
 * parser as it arrives. No retries, no threads of its own; one struct per
 * thread.
 */
#ifndef INFBENCH_TELEMETRY_HTTPGET_H
#define INFBENCH_TELEMETRY_HTTPGET_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "telemetry/prom.h"

#define HTTPGET_MAX_BODY (16u << 20) /* bytes collected/streamed at most */

/* Result codes (negative errno style). */
#define HTTPGET_ETRANSPORT (-100) /* connect/timeout/reset/bad URL */
#define HTTPGET_ESTATUS (-101)    /* status not 200 (see *status) */
#define HTTPGET_EGARBAGE (-102)   /* Prometheus: no sample, >= 1 bad line */
#define HTTPGET_ETOOBIG (-103)    /* body over the cap */

/* "transport", "http status", "garbage", "too big", "ok" */
const char *httpget_strerror(int rc);

struct httpget {
	void *curl;          /* CURL *, lazily created */
	char err[256];       /* curl's message for the last ETRANSPORT */
};

/* Calls curl_global_init once (safe from any thread; call it before
 * starting threads anyway). */
void httpget_global_init(void);
void httpget_init(struct httpget *h);
/* NULL-safe. */
void httpget_free(struct httpget *h);

/* GET url into body (appended; body keeps its own cap, max HTTPGET_MAX_BODY
 * applies too). *status gets the HTTP status (0 when none). Returns 0 on a
 * 200, else an HTTPGET_E* code. */
int httpget_body(struct httpget *h, const char *url, int64_t timeout_ns,
		 struct buf *body, long *status);

/* GET url and feed a 200 body to prom_feed(p, ..., cb, ud) as it arrives
 * (prom_finish at the end; p is prom_reset first). A non-200 body is not
 * parsed. *n_samples and *n_bad get the counts of this response. Returns 0, or
 * an HTTPGET_E* code; EGARBAGE when the body held bad lines and no sample. */
int httpget_prom(struct httpget *h, const char *url, int64_t timeout_ns,
		 struct prom_parser *p, prom_cb cb, void *ud, long *status,
		 uint64_t *n_samples, uint64_t *n_bad);

#endif
