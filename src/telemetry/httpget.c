/* httpget.c - libcurl easy GETs for metrics and info routes. */
#include "telemetry/httpget.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void do_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void httpget_global_init(void)
{
	pthread_once(&once, do_global_init);
}

const char *httpget_strerror(int rc)
{
	switch (rc) {
	case 0:
		return "ok";
	case HTTPGET_ETRANSPORT:
		return "transport";
	case HTTPGET_ESTATUS:
		return "http status";
	case HTTPGET_EGARBAGE:
		return "garbage";
	case HTTPGET_ETOOBIG:
		return "too big";
	}
	return "error";
}

void httpget_init(struct httpget *h)
{
	memset(h, 0, sizeof(*h));
}

void httpget_free(struct httpget *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

struct sink {
	CURL *c;
	struct buf *body;
	struct prom_parser *p;
	prom_cb cb;
	void *ud;
	size_t total;
	int status_checked, parse, too_big;
	uint64_t bad;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *k = ud;
	size_t n = size * nmemb;
	if (!k->status_checked) {
		long st = 0;
		curl_easy_getinfo(k->c, CURLINFO_RESPONSE_CODE, &st);
		k->parse = st == 200;
		k->status_checked = 1;
	}
	k->total += n;
	if (k->total > HTTPGET_MAX_BODY) {
		k->too_big = 1;
		return 0; /* aborts the transfer */
	}
	if (!k->parse)
		return n; /* drain an error body */
	if (k->body && buf_append(k->body, ptr, n)) {
		k->too_big = 1;
		return 0;
	}
	if (k->p)
		k->bad += prom_feed(k->p, ptr, n, k->cb, k->ud);
	return n;
}

static int get(struct httpget *h, const char *url, int64_t timeout_ns,
	       struct sink *k, long *status)
{
	httpget_global_init();
	*status = 0;
	if (!h->curl)
		h->curl = curl_easy_init();
	CURL *c = h->curl;
	if (!c)
		return HTTPGET_ETRANSPORT;
	curl_easy_reset(c);
	long ms = (long)(timeout_ns / NS_PER_MS);
	if (ms <= 0)
		ms = 1;
	h->err[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "infbench-telemetry");
	/* loopback never goes through an http_proxy from the environment */
	curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
	k->c = c;
	CURLcode rc = curl_easy_perform(c);
	long st = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	*status = st;
	if (k->too_big)
		return HTTPGET_ETOOBIG;
	if (rc != CURLE_OK) {
		if (!h->err[0])
			snprintf(h->err, sizeof(h->err), "%s",
				 curl_easy_strerror(rc));
		return HTTPGET_ETRANSPORT;
	}
	if (st != 200)
		return HTTPGET_ESTATUS;
	return 0;
}

int httpget_body(struct httpget *h, const char *url, int64_t timeout_ns,
		 struct buf *body, long *status)
{
	struct sink k = {.body = body};
	return get(h, url, timeout_ns, &k, status);
}

int httpget_prom(struct httpget *h, const char *url, int64_t timeout_ns,
		 struct prom_parser *p, prom_cb cb, void *ud, long *status,
		 uint64_t *n_samples, uint64_t *n_bad)
{
	struct sink k = {.p = p, .cb = cb, .ud = ud};
	prom_reset(p);
	uint64_t before = p->samples;
	int rc = get(h, url, timeout_ns, &k, status);
	if (rc == 0)
		k.bad += prom_finish(p, cb, ud);
	*n_samples = p->samples - before;
	*n_bad = k.bad;
	if (rc == 0 && *n_samples == 0 && k.bad > 0)
		rc = HTTPGET_EGARBAGE;
	return rc;
}
