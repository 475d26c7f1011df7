/* commands.h - the subcommands main() dispatches to.
 *
 * Each command lives in its own cli/cmd_<name>.c, parses its own option
 * table and returns a process exit code. Adding a command = one entry in
 * commands.c's table.
 */
#ifndef INFBENCH_CLI_COMMANDS_H
#define INFBENCH_CLI_COMMANDS_H

#include <stdio.h>

struct command {
	const char *name;
	const char *summary;
	int (*fn)(int argc, char **argv); /* argv[0] is the command name */
};

/* NULL-terminated table of every command. */
extern const struct command commands[];

/* Exit codes shared by commands. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,        /* the job failed */
	EXIT_USAGE = 2,       /* bad options or input */
	EXIT_ERROR_RATE = 3,  /* --max-error-rate exceeded */
	EXIT_INTERRUPTED = 130,
};

void commands_usage(FILE *f);

int cmd_version(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
