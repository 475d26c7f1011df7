/* dcgm.c - DCGM exporter series -> struct gpu_sample. */
#include "telemetry/dcgm.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "telemetry/httpget.h"

#define MIB 1048576.0

void dcgm_acc_begin(struct dcgm_acc *a)
{
	a->n = 0;
	a->dropped = 0;
}

static struct dcgm_gpu *gpu_for(struct dcgm_acc *a, int index)
{
	for (int i = 0; i < a->n; i++)
		if (a->g[i].index == index)
			return &a->g[i];
	if (a->n >= GPU_MAX_DEVICES) {
		a->dropped++;
		return NULL;
	}
	struct dcgm_gpu *g = &a->g[a->n++];
	memset(g, 0, sizeof(*g));
	g->index = index;
	g->fb_used_mib = g->fb_free_mib = g->fb_reserved_mib = NAN;
	g->fb_total_mib = g->util_pct = g->mem_copy_util_pct = NAN;
	g->power_w = g->sm_clock_mhz = g->temp_c = NAN;
	return g;
}

void dcgm_add(struct dcgm_acc *a, const struct prom_sample *s)
{
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
		{"DCGM_FI_DEV_FB_USED", offsetof(struct dcgm_gpu, fb_used_mib)},
		{"DCGM_FI_DEV_FB_FREE", offsetof(struct dcgm_gpu, fb_free_mib)},
		{"DCGM_FI_DEV_FB_RESERVED",
		 offsetof(struct dcgm_gpu, fb_reserved_mib)},
		{"DCGM_FI_DEV_FB_TOTAL", offsetof(struct dcgm_gpu, fb_total_mib)},
		{"DCGM_FI_DEV_GPU_UTIL", offsetof(struct dcgm_gpu, util_pct)},
		{"DCGM_FI_DEV_MEM_COPY_UTIL",
		 offsetof(struct dcgm_gpu, mem_copy_util_pct)},
		{"DCGM_FI_DEV_POWER_USAGE", offsetof(struct dcgm_gpu, power_w)},
		{"DCGM_FI_DEV_SM_CLOCK", offsetof(struct dcgm_gpu, sm_clock_mhz)},
		{"DCGM_FI_DEV_GPU_TEMP", offsetof(struct dcgm_gpu, temp_c)},
	};
	if (strncmp(s->name, "DCGM_FI_DEV_", 12) != 0)
		return;
	size_t k;
	for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
		if (strcmp(s->name, map[k].name) == 0)
			break;
	if (k == sizeof(map) / sizeof(map[0]))
		return;
	const char *gl = prom_label_get(s, "gpu");
	if (!gl)
		return;
	char *end = NULL;
	long idx = strtol(gl, &end, 10);
	if (end == gl || *end || idx < 0 || idx > 1000000)
		return;
	struct dcgm_gpu *g = gpu_for(a, (int)idx);
	if (!g)
		return;
	*(double *)((char *)g + map[k].off) = s->value;
	const char *mn = prom_label_get(s, "modelName");
	if (mn && !g->name[0])
		snprintf(g->name, sizeof(g->name), "%s", mn);
	const char *uu = prom_label_get(s, "UUID");
	if (uu && !g->uuid[0])
		snprintf(g->uuid, sizeof(g->uuid), "%s", uu);
}

void dcgm_prom_cb(const struct prom_sample *s, void *ud)
{
	dcgm_add(ud, s);
}

static double total_mib(const struct dcgm_gpu *g)
{
	if (!isnan(g->fb_total_mib))
		return g->fb_total_mib;
	double t = g->fb_used_mib + g->fb_free_mib; /* NaN if either is */
	if (!isnan(g->fb_reserved_mib))
		t += g->fb_reserved_mib;
	return t;
}

int dcgm_acc_info(const struct dcgm_acc *a, struct gpu_info *info, int max)
{
	int n = 0;
	int last = -1;
	/* selection by ascending index (n <= 16) */
	for (;;) {
		const struct dcgm_gpu *best = NULL;
		for (int i = 0; i < a->n; i++)
			if (a->g[i].index > last &&
			    (!best || a->g[i].index < best->index))
				best = &a->g[i];
		if (!best || n >= max)
			break;
		struct gpu_info *o = &info[n++];
		memset(o, 0, sizeof(*o));
		o->index = best->index;
		snprintf(o->name, sizeof(o->name), "%s",
			 best->name[0] ? best->name : "unknown");
		snprintf(o->uuid, sizeof(o->uuid), "%s", best->uuid);
		o->mem_total_bytes = total_mib(best) * MIB;
		last = best->index;
	}
	return n;
}

int dcgm_acc_sample(const struct dcgm_acc *a, int index, int64_t t_ns,
		    struct gpu_sample *out)
{
	gpu_sample_clear(out, t_ns);
	for (int i = 0; i < a->n; i++) {
		const struct dcgm_gpu *g = &a->g[i];
		if (g->index != index)
			continue;
		out->mem_used_bytes = g->fb_used_mib * MIB;
		out->mem_total_bytes = total_mib(g) * MIB;
		out->sm_util_pct = g->util_pct;
		out->mem_util_pct = g->mem_copy_util_pct;
		out->power_w = g->power_w;
		out->sm_clock_mhz = g->sm_clock_mhz;
		out->temp_c = g->temp_c;
		return 0;
	}
	return -ENOENT;
}

/* gpu_src over a DCGM exporter */

struct dcgm_src {
	char *url;
	int64_t timeout_ns;
	struct httpget http;
	struct prom_parser prom;
	struct dcgm_acc acc;
	int idx[GPU_MAX_DEVICES]; /* device order fixed at open */
	int n;
	int noted;
};

static int fetch(struct dcgm_src *d)
{
	long status = 0;
	uint64_t ns = 0, nb = 0;
	dcgm_acc_begin(&d->acc);
	int rc = httpget_prom(&d->http, d->url, d->timeout_ns, &d->prom,
			      dcgm_prom_cb, &d->acc, &status, &ns, &nb);
	if (rc && !d->noted) {
		d->noted = 1;
		if (rc == HTTPGET_ETRANSPORT)
			warnf("DCGM %s: %s (further failures counted only)",
			      d->url, d->http.err);
		else
			warnf("DCGM %s: %s (HTTP %ld; further failures "
			      "counted only)", d->url, httpget_strerror(rc),
			      status);
	}
	return rc ? -EIO : 0;
}

static int src_open(void *ctx, struct gpu_info *info, int max)
{
	struct dcgm_src *d = ctx;
	int rc = fetch(d);
	if (rc)
		return rc;
	d->n = dcgm_acc_info(&d->acc, info, max);
	for (int i = 0; i < d->n; i++)
		d->idx[i] = info[i].index;
	return d->n;
}

static int src_read(void *ctx, struct gpu_sample *out, int n)
{
	struct dcgm_src *d = ctx;
	int rc = fetch(d);
	if (rc)
		return rc;
	for (int i = 0; i < n && i < d->n; i++)
		dcgm_acc_sample(&d->acc, d->idx[i], out[i].t_ns, &out[i]);
	return 0;
}

static void src_close(void *ctx)
{
	struct dcgm_src *d = ctx;
	if (!d)
		return;
	httpget_free(&d->http);
	prom_free(&d->prom);
	free(d->url);
	free(d);
}

static const struct gpu_src_ops dcgm_ops = {
	.name = "dcgm",
	.open = src_open,
	.read = src_read,
	.close = src_close,
};

int dcgm_src_init(struct gpu_src *src, const char *url, int64_t timeout_ns)
{
	httpget_global_init();
	struct dcgm_src *d = xcalloc(1, sizeof(*d));
	d->url = xstrdup(url);
	d->timeout_ns = timeout_ns > 0 ? timeout_ns : 2 * NS_PER_S;
	httpget_init(&d->http);
	prom_init(&d->prom);
	src->ops = &dcgm_ops;
	src->ctx = d;
	return 0;
}
