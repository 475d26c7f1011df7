/* scenario.h - the named workloads the simulator commands reproduce.
 *
 * Owns the article's two experiments (chat and RAG on Qwen2-7B FP16 over an
 * A100-80G) as plain data: length specs in `infbench run` syntax,
 * concurrency and request count. Knows nothing of engines or clocks; the
 * caller parses the specs. Immutable; thread-safe.
 */
#ifndef INFBENCH_SIM_SCENARIO_H
#define INFBENCH_SIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

struct sim_scenario {
	const char *name;        /* "chat", "rag" */
	const char *input_len;   /* dist spec (workload/dist.h) */
	const char *output_len;  /* dist spec */
	uint32_t concurrency;    /* closed loop */
	uint32_t num_requests;
	const char *what;        /* one line for tables and docs */
};

/* The model and GPU the article used (catalog names). */
#define SIM_SCENARIO_MODEL "qwen2-7b"
#define SIM_SCENARIO_GPU "a100"

/* Number of built-in scenarios and the i-th one (NULL past the end). */
size_t sim_scenario_count(void);
const struct sim_scenario *sim_scenario_at(size_t i);
/* Lookup by name (exact, lowercase); NULL when unknown. */
const struct sim_scenario *sim_scenario_find(const char *name);

#endif
