/* rawread.c - the raw limit: the least a client can do per streamed token.
 *
 * Opens STREAMS connections to a server, sends one streaming completions
 * request on each (Connection: close), then reads with epoll into one
 * 1 MiB buffer (infbench's read size, so both pay the same syscalls) and
 * counts "data:" lines, nothing else: no HTTP parsing, no JSON, no
 * timestamps. Prints events, wall seconds and CPU seconds as JSON on
 * stdout. make bench runs it beside `infbench run` on the same server.
 * The count skips each line with glibc's vectorised memchr (the default:
 * the raw limit), or, with "bytewise", steps a "data:" matcher over every
 * byte, as the reader the raw limit was first measured with did (it spends
 * more on its own loop than the kernel spends on the bytes).
 * usage: rawread PORT STREAMS TOKENS_PER_STREAM [memchr|bytewise]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"

/* Count the lines that begin with "data:" in b[0..n) (an SSE event's
 * first line; chunk-size and blank lines do not). *st carries the state
 * across reads: 0..4 bytes of "data:" matched at the start of the current
 * line, or 5 when the rest of the line is skipped. */
static long count_events(const char *b, size_t n, int *st)
{
	static const char pat[] = "data:";
	long c = 0;
	int m = *st;
	size_t i = 0;
	while (i < n) {
		if (m < 5) {
			if (b[i] == pat[m]) {
				i++;
				if (++m == 5)
					c++;
				continue;
			}
			m = 5; /* not a data line: skip to its end */
		}
		const char *nl = memchr(b + i, '\n', n - i);
		if (!nl)
			break;
		i = (size_t)(nl - b) + 1;
		m = 0;
	}
	*st = m;
	return c;
}

/* "data:" anywhere in b[0..n), one byte at a time; *carry: bytes of a
 * partial match at the end of the previous read. */
static long count_bytewise(const char *b, size_t n, int *carry)
{
	static const char pat[] = "data:";
	long c = 0;
	int m = *carry;
	for (size_t i = 0; i < n; i++) {
		if (b[i] == pat[m]) {
			if (++m == 5) {
				c++;
				m = 0;
			}
		} else {
			m = b[i] == 'd' ? 1 : 0;
		}
	}
	*carry = m;
	return c;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: rawread PORT STREAMS TOKENS "
				"[memchr|bytewise]\n");
		return 2;
	}
	long (*count)(const char *, size_t, int *) = count_events;
	if (argc == 5 && !strcmp(argv[4], "bytewise"))
		count = count_bytewise;
	else if (argc == 5 && strcmp(argv[4], "memchr")) {
		fprintf(stderr, "rawread: unknown mode %s\n", argv[4]);
		return 2;
	}
	int port = atoi(argv[1]), streams = atoi(argv[2]);
	long tokens = atol(argv[3]);
	char req[512], body[256];
	int bl = snprintf(body, sizeof(body),
			  "{\"model\":\"mock-model\",\"prompt\":\"hi\","
			  "\"max_tokens\":%ld,\"stream\":true,"
			  "\"ignore_eos\":true}",
			  tokens);
	int ep = epoll_create1(0);
	int *carry = calloc((size_t)streams, sizeof(int));
	int64_t t0 = clock_now_ns(), c0 = clock_thread_cpu_ns();
	for (int i = 0; i < streams; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons((uint16_t)port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			perror("connect");
			return 1;
		}
		/* the request id header infbench sends (run --request-id-
		 * header), so both readers get events of one length */
		int rl = snprintf(req, sizeof(req),
				  "POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: application/json\r\n"
				  "X-Request-Id: ib-00000000-%d\r\n"
				  "Connection: close\r\nContent-Length: %d\r\n"
				  "\r\n%s",
				  i, bl, body);
		if (write(fd, req, (size_t)rl) != rl) {
			perror("write");
			return 1;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		carry[i] = fd; /* reuse as fd store until first read */
	}
	int *fds = malloc((size_t)streams * sizeof(int));
	for (int i = 0; i < streams; i++) {
		fds[i] = carry[i];
		carry[i] = 0;
	}
	static char buf[1 << 20]; /* infbench reads as much (NAT_RBUF) */
	long events = 0;
	int open = streams;
	while (open > 0) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);
		for (int k = 0; k < n; k++) {
			int i = (int)evs[k].data.u32;
			ssize_t r = read(fds[i], buf, sizeof(buf));
			if (r > 0) {
				events += count(buf, (size_t)r, &carry[i]);
			} else if (r == 0 || errno != EAGAIN) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
				close(fds[i]);
				open--;
			}
		}
	}
	double wall = (double)(clock_now_ns() - t0) / 1e9;
	double cpu = (double)(clock_thread_cpu_ns() - c0) / 1e9;
	/* One usage event and one [DONE] per stream are not tokens. */
	long tok = events - 2L * streams;
	printf("{\"events\":%ld,\"tokens\":%ld,\"wall_s\":%.6f,\"cpu_s\":%.6f,"
	       "\"tok_per_s\":%.1f,\"tok_per_cpu_s\":%.1f}\n",
	       events, tok, wall, cpu, tok / wall, cpu > 0 ? tok / cpu : 0);
	return 0;
}
