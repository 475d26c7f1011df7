/* prom_fuzz.c - libFuzzer driver for the Prometheus text parser and the two
 * mappers fed by it (srvmetrics, dcgm).
 *
 * The first input byte picks a chunk size; the rest is parsed once whole and
 * once in chunks, and both runs must emit the same samples and errors (split
 * invariance), with every sample's strings readable. Build: tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/dcgm.h"
#include "telemetry/prom.h"
#include "telemetry/srvmetrics.h"

struct ctx {
	struct srvm *m;
	struct dcgm_acc *d;
	uint64_t hash; /* FNV-1a over names, labels, values */
	uint64_t n;
};

static void mix(struct ctx *c, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		c->hash ^= b[i];
		c->hash *= 1099511628211ULL;
	}
}

static void on_sample(const struct prom_sample *s, void *ud)
{
	struct ctx *c = ud;
	mix(c, s->name, strlen(s->name) + 1);
	mix(c, s->family, strlen(s->family) + 1);
	for (size_t i = 0; i < s->n_labels; i++) {
		mix(c, s->labels[i].name, strlen(s->labels[i].name) + 1);
		mix(c, s->labels[i].value, strlen(s->labels[i].value) + 1);
	}
	if (s->value == s->value) /* NaN payloads may differ: skip them */
		mix(c, &s->value, sizeof(s->value));
	mix(c, &s->type, sizeof(s->type));
	c->n++;
	if (c->m)
		srvm_add(c->m, s);
	if (c->d)
		dcgm_add(c->d, s);
}

static void run(const uint8_t *data, size_t size, size_t chunk,
		struct ctx *c, uint64_t *errors)
{
	struct prom_parser p;
	prom_init(&p);
	size_t off = 0;
	while (off < size) {
		size_t n = chunk && chunk < size - off ? chunk : size - off;
		prom_feed(&p, data + off, n, on_sample, c);
		off += n;
	}
	prom_finish(&p, on_sample, c);
	*errors = p.errors;
	if (p.samples != c->n)
		abort();
	prom_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = 1 + data[0] % 17;
	data++;
	size--;

	struct srvm m;
	srvm_init(&m, SRVM_AUTO, 1);
	struct dcgm_acc d;
	dcgm_acc_begin(&d);
	struct ctx a = {.m = &m, .d = &d, .hash = 14695981039346656037ULL};
	uint64_t ea = 0;
	srvm_begin(&m);
	run(data, size, 0, &a, &ea);
	struct srvm_sample out;
	static double raw[SRVM_MAX_RAW];
	srvm_end(&m, 1, &out, raw);
	struct gpu_info info[GPU_MAX_DEVICES];
	int n = dcgm_acc_info(&d, info, GPU_MAX_DEVICES);
	for (int i = 0; i < n; i++) {
		struct gpu_sample g;
		dcgm_acc_sample(&d, info[i].index, 1, &g);
	}
	srvm_free(&m);

	struct ctx b = {.hash = 14695981039346656037ULL};
	uint64_t eb = 0;
	run(data, size, chunk, &b, &eb);
	if (a.n != b.n || a.hash != b.hash || ea != eb) {
		fprintf(stderr, "split mismatch: chunk %zu: %llu/%llu samples, "
				"%llu/%llu errors\n",
			chunk, (unsigned long long)a.n,
			(unsigned long long)b.n, (unsigned long long)ea,
			(unsigned long long)eb);
		abort();
	}
	return 0;
}
