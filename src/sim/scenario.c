/* scenario.c - the article's chat and RAG workloads as data. */
#include "sim/scenario.h"

#include <string.h>

static const struct sim_scenario scenarios[] = {
	{"chat", "128,256,512", "256", 32, 1000,
	 "chat: 128/256/512 in, 256 out, concurrency 32, 1000 requests"},
	{"rag", "2048,4096", "256", 16, 500,
	 "RAG: 2048/4096 in, 256 out, concurrency 16, 500 requests"},
};

size_t sim_scenario_count(void)
{
	return sizeof(scenarios) / sizeof(scenarios[0]);
}

const struct sim_scenario *sim_scenario_at(size_t i)
{
	return i < sim_scenario_count() ? &scenarios[i] : NULL;
}

const struct sim_scenario *sim_scenario_find(const char *name)
{
	for (size_t i = 0; name && i < sim_scenario_count(); i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}
