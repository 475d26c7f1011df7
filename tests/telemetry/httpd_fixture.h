/* httpd_fixture.h - a tiny HTTP/1.1 server on 127.0.0.1 for telemetry tests.
 *
 * One accept thread, one request per connection (Connection: close), routes
 * set by the test: path -> (status, body). Unknown paths get 404. Not a
 * general server; header-only so each test program gets its own copy.
 */
#ifndef INFBENCH_TESTS_HTTPD_FIXTURE_H
#define INFBENCH_TESTS_HTTPD_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FX_MAX_ROUTES 16

struct fx_route {
	char path[128];
	int status;
	char *body;
	size_t len;
	int hits;
};

struct fx {
	int fd;
	int port;
	volatile int stop;
	pthread_t th;
	pthread_mutex_t mu;
	struct fx_route r[FX_MAX_ROUTES];
	int n;
};

/* Sets (or replaces) the response for path; body bytes are copied. */
static inline void fx_set(struct fx *f, const char *path, int status,
			  const void *body, size_t len)
{
	pthread_mutex_lock(&f->mu);
	int i;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->r[i].path, path) == 0)
			break;
	if (i == f->n && f->n < FX_MAX_ROUTES) {
		f->n++;
		snprintf(f->r[i].path, sizeof(f->r[i].path), "%s", path);
		f->r[i].body = NULL;
		f->r[i].hits = 0;
	}
	if (i < FX_MAX_ROUTES) {
		free(f->r[i].body);
		f->r[i].body = malloc(len + 1);
		memcpy(f->r[i].body, body, len);
		f->r[i].len = len;
		f->r[i].status = status;
	}
	pthread_mutex_unlock(&f->mu);
}

static inline int fx_hits(struct fx *f, const char *path)
{
	int h = 0;
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->r[i].path, path) == 0)
			h = f->r[i].hits;
	pthread_mutex_unlock(&f->mu);
	return h;
}

static inline void fx__serve(struct fx *f, int c)
{
	char req[8192];
	size_t n = 0;
	while (n < sizeof(req) - 1) {
		ssize_t k = read(c, req + n, sizeof(req) - 1 - n);
		if (k <= 0)
			return;
		n += (size_t)k;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	char path[128] = "";
	if (sscanf(req, "GET %127s", path) != 1)
		return;
	int status = 404;
	char *body = NULL;
	size_t len = 0;
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->n; i++) {
		if (strcmp(f->r[i].path, path) == 0) {
			f->r[i].hits++;
			status = f->r[i].status;
			len = f->r[i].len;
			body = malloc(len + 1);
			memcpy(body, f->r[i].body, len);
		}
	}
	pthread_mutex_unlock(&f->mu);
	char hdr[256];
	int hl = snprintf(hdr, sizeof(hdr),
			  "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			  status, len);
	ssize_t w = write(c, hdr, (size_t)hl);
	size_t off = 0;
	while (w >= 0 && off < len) {
		w = write(c, body + off, len - off);
		if (w > 0)
			off += (size_t)w;
	}
	free(body);
}

static inline void *fx__main(void *arg)
{
	struct fx *f = arg;
	while (!f->stop) {
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			continue;
		if (!f->stop)
			fx__serve(f, c);
		close(c);
	}
	return NULL;
}

/* Starts listening on an ephemeral 127.0.0.1 port (f->port). 0 or -1. */
static inline int fx_start(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (f->fd < 0)
		return -1;
	int one = 1;
	setsockopt(f->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	if (bind(f->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(f->fd, 16) ||
	    getsockname(f->fd, (struct sockaddr *)&a, &al))
		return -1;
	f->port = ntohs(a.sin_port);
	return pthread_create(&f->th, NULL, fx__main, f) ? -1 : 0;
}

static inline void fx_stop(struct fx *f)
{
	f->stop = 1;
	shutdown(f->fd, SHUT_RDWR); /* wakes accept() */
	pthread_join(f->th, NULL);
	close(f->fd);
	for (int i = 0; i < f->n; i++)
		free(f->r[i].body);
	pthread_mutex_destroy(&f->mu);
}

#endif
