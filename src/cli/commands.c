/* commands.c - the table of subcommands. */
#include "cli/commands.h"

#include "core/version.h"

const struct command commands[] = {
	{"run", "drive a server's streaming API and measure it", cmd_run},
	{"version", "print version and build information", cmd_version},
	{"serve", "run the built-in LLM server (mock or emulated engine)", cmd_serve},
	{"tokenize", "count or list the tokens of stdin", cmd_tokenize},
	{"simulate", "run a workload on the emulated engine (virtual clock)", cmd_simulate},
	{"compare", "paged vs reserved on the article's workloads; diff results", cmd_compare},
	{"calibrate", "fit the simulator's step-time profile to real runs", cmd_calibrate},
	{"diff", "environment, configuration and metric differences of two "
		 "results files", cmd_diff},
	{"sweep", "find each target's SLA boundary and pick a winner", cmd_sweep},
	{"report", "Markdown/CSV/JSON/HTML report of a sweep or results", cmd_report},
	{NULL, NULL, NULL},
};

void commands_usage(FILE *f)
{
	fprintf(f, "usage: infbench COMMAND [options]\n\n"
		   "Measure LLM inference servers with your traffic.\n\n"
		   "commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\n'infbench COMMAND --help' lists a command's options.\n");
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("infbench %s (git %s)\n", INFBENCH_VERSION, version_git());
	return EXIT_OK;
}
