/* gpusrc.c - shared helpers of the GPU source records. */
#include "telemetry/gpusrc.h"

#include <math.h>

void gpu_sample_clear(struct gpu_sample *s, int64_t t_ns)
{
	s->t_ns = t_ns;
	s->mem_used_bytes = s->mem_total_bytes = NAN;
	s->sm_util_pct = s->mem_util_pct = s->power_w = NAN;
	s->sm_clock_mhz = s->temp_c = s->proc_mem_bytes = NAN;
}
