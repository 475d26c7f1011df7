/* fault.c - the seeded, deterministic fault plan. */
#include "server/fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

static const char *const names[FAULT__COUNT] = {
	"none", "429", "503", "error", "drop", "garbage", "stall",
};

const char *fault_name(enum fault_kind k)
{
	return (unsigned)k < FAULT__COUNT ? names[k] : "?";
}

enum fault_kind fault_from_name(const char *s, int len)
{
	for (int k = 1; k < FAULT__COUNT; k++)
		if ((int)strlen(names[k]) == len && !strncmp(s, names[k], len))
			return (enum fault_kind)k;
	return FAULT_NONE;
}

int fault_add_every(struct fault_config *cfg, const char *spec)
{
	const char *colon = strchr(spec, ':');
	if (!colon)
		return -EINVAL;
	enum fault_kind k = fault_from_name(spec, (int)(colon - spec));
	char *end;
	unsigned long long n = strtoull(colon + 1, &end, 10);
	if (k == FAULT_NONE || end == colon + 1 || *end || n < 1 ||
	    colon[1] == '-')
		return -EINVAL;
	if (cfg->n_every >= FAULT_MAX_EVERY)
		return -ENOSPC;
	cfg->every_kind[cfg->n_every] = k;
	cfg->every_n[cfg->n_every] = n;
	cfg->n_every++;
	return 0;
}

int fault_validate(const struct fault_config *cfg)
{
	double sum = 0;
	for (int k = 1; k < FAULT__COUNT; k++) {
		if (!(cfg->prob[k] >= 0 && cfg->prob[k] <= 1))
			return -EINVAL;
		sum += cfg->prob[k];
	}
	if (sum > 1 + 1e-9 || cfg->after_tokens < 0)
		return -EINVAL;
	return 0;
}

enum fault_kind fault_pick(const struct fault_config *cfg, uint64_t seq)
{
	for (int i = 0; i < cfg->n_every; i++)
		if (seq % cfg->every_n[i] == 0)
			return cfg->every_kind[i];
	double any = 0;
	for (int k = 1; k < FAULT__COUNT; k++)
		any += cfg->prob[k];
	if (any <= 0)
		return FAULT_NONE;
	struct rng base, r;
	rng_seed(&base, cfg->seed ^ 0x6661756c74ULL); /* "fault" */
	rng_fork(&base, seq, &r);
	double u = rng_uniform(&r), acc = 0;
	for (int k = 1; k < FAULT__COUNT; k++) {
		acc += cfg->prob[k];
		if (u < acc)
			return (enum fault_kind)k;
	}
	return FAULT_NONE;
}
