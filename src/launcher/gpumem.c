/* gpumem.c - GPU memory baseline and release check (see gpumem.h). */
#include "launcher/gpumem.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "telemetry/nvml.h"

int gpumem_open_src(struct gpumem *g, struct gpu_src src)
{
	memset(g, 0, sizeof(*g));
	g->src = src;
	int n = src.ops->open(src.ctx, g->info, GPU_MAX_DEVICES);
	if (n <= 0) {
		snprintf(g->why, sizeof(g->why), "%s: %s", src.ops->name,
			 n == 0 ? "no GPU found" : "cannot open");
		src.ops->close(src.ctx);
		memset(&g->src, 0, sizeof(g->src));
		return -ENOENT;
	}
	g->n = n;
	g->open = 1;
	return 0;
}

int gpumem_open_nvml(struct gpumem *g)
{
	struct gpu_src src;
	char why[256];
	if (nvml_src_init(&src, -1, why, sizeof(why))) {
		memset(g, 0, sizeof(*g));
		snprintf(g->why, sizeof(g->why), "%s", why);
		return -ENOENT;
	}
	return gpumem_open_src(g, src);
}

int gpumem_read(struct gpumem *g, struct gpumem_snap *s)
{
	struct gpu_sample smp[GPU_MAX_DEVICES];
	memset(s, 0, sizeof(*s));
	if (!g->open)
		return -ENOENT;
	int64_t t = clock_now_ns();
	for (int i = 0; i < g->n; i++)
		gpu_sample_clear(&smp[i], t);
	int rc = g->src.ops->read(g->src.ctx, smp, g->n);
	if (rc)
		return rc;
	s->n = g->n;
	for (int i = 0; i < g->n; i++)
		s->used_bytes[i] = smp[i].mem_used_bytes;
	return 0;
}

double gpumem_total(const struct gpumem_snap *s)
{
	double t = 0;
	if (!s->n)
		return NAN;
	for (int i = 0; i < s->n; i++)
		t += s->used_bytes[i];
	return t;
}

static int released(const struct gpumem_snap *base,
		    const struct gpumem_snap *now, double tol)
{
	if (!now->n || now->n != base->n)
		return 0;
	for (int i = 0; i < now->n; i++)
		if (!(now->used_bytes[i] <= base->used_bytes[i] + tol))
			return 0;
	return 1;
}

int gpumem_wait_release(struct gpumem *g, const struct gpumem_snap *base,
			double tol_bytes, double timeout_s, double poll_s,
			struct gpumem_snap *last, double *waited_s)
{
	struct gpumem_snap now;
	int64_t t0 = clock_now_ns();
	int ok = 0;
	memset(&now, 0, sizeof(now));
	if (poll_s <= 0)
		poll_s = 0.25;
	for (;;) {
		if (!gpumem_read(g, &now) && released(base, &now, tol_bytes)) {
			ok = 1;
			break;
		}
		if ((double)(clock_now_ns() - t0) / 1e9 >= timeout_s)
			break;
		struct timespec ts = {(time_t)poll_s,
				      (long)((poll_s - (double)(time_t)poll_s) *
					     1e9)};
		nanosleep(&ts, NULL);
	}
	if (last)
		*last = now;
	if (waited_s)
		*waited_s = (double)(clock_now_ns() - t0) / 1e9;
	return ok;
}

void gpumem_close(struct gpumem *g)
{
	if (!g)
		return;
	if (g->open && g->src.ops)
		g->src.ops->close(g->src.ctx);
	g->open = 0;
	memset(&g->src, 0, sizeof(g->src));
}
