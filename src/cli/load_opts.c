/* load_opts.c - validation of the load options run and simulate share. */
#include "cli/load_opts.h"

#include <errno.h>
#include <stdio.h>

#include "core/msg.h"

int load_opts_parse(const char *who, const struct opts_cmd *cmd,
		    const char *input_len, const char *output_len,
		    const char *arrival, double burstiness, double rate,
		    struct dist *in, struct dist *out, struct sched_cfg *arr)
{
	const char *why;
	if (dist_parse(input_len, in, &why)) {
		errorf("%s: --input-len '%s': %s", who, input_len, why);
		return -EINVAL;
	}
	if (dist_parse(output_len, out, &why)) {
		errorf("%s: --output-len '%s': %s", who, output_len, why);
		return -EINVAL;
	}
	if (!(rate > 0)) {
		errorf("%s: --rate must be > 0 (use inf for all at once)", who);
		return -EINVAL;
	}
	if (sched_parse(arrival, arr)) {
		errorf("%s: --arrival '%s': expected poisson, gamma:K or "
		       "constant",
		       who, arrival);
		return -EINVAL;
	}
	if (opts_given(cmd, "burstiness")) {
		char spec[64];
		snprintf(spec, sizeof(spec), "gamma:%g", burstiness);
		if (!(burstiness > 0) || sched_parse(spec, arr)) {
			errorf("%s: --burstiness must be > 0", who);
			return -EINVAL;
		}
	}
	return 0;
}
