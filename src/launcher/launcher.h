/* launcher.h - start a server under test in its own process group, wait
 * until it is ready, watch it, and stop it with everything it started.
 *
 * Owns the child process group (leader = /bin/sh -c COMMAND), its log file
 * (stdout and stderr, created next to the results), the readiness probes
 * (HTTP GET answering 200 and/or a log line matching a PCRE2 pattern), and
 * the stop sequence (SIGTERM to the group, a grace period, SIGKILL to the
 * group, reaping). The calling process becomes a child subreaper
 * (PR_SET_CHILD_SUBREAPER), so grandchildren the server leaves behind are
 * reaped here too. Knows nothing of scenarios or GPUs. Blocking calls; one
 * thread owns a launcher.
 */
#ifndef INFBENCH_LAUNCHER_LAUNCHER_H
#define INFBENCH_LAUNCHER_LAUNCHER_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#define LAUNCH_MAX_ENV 32          /* extra environment entries */
#define LAUNCH_REAP_WAIT_S 5.0     /* after SIGKILL, wait this long for the
				    * group to vanish */

struct launch_cfg {
	const char *command;     /* run as /bin/sh -c COMMAND */
	const char *const *env;  /* "KEY=VALUE" entries added to (or
				  * replacing in) the environment */
	size_t n_env;            /* <= LAUNCH_MAX_ENV */
	const char *cwd;         /* working directory; NULL = ours */
	const char *log_path;    /* stdout + stderr go here (truncated) */
	const char *ready_url;   /* GET answering 200 = ready; NULL = none */
	const char *ready_log;   /* PCRE2 pattern a log line must match;
				  * NULL = none. With both, both must hold;
				  * with neither, alive after one poll =
				  * ready */
	double ready_timeout_s;  /* give up waiting after this long */
	double poll_s;           /* probe interval; 0 = 0.2 s */
	double stop_grace_s;     /* SIGTERM, then SIGKILL after this long */
};

enum launch_wait {
	LAUNCH_READY = 0,
	LAUNCH_EXITED,      /* the leader exited before it was ready */
	LAUNCH_TIMEOUT,     /* not ready within ready_timeout_s */
	LAUNCH_INTERRUPTED, /* *stop became non-zero */
};

/* How the leader ended (valid once launcher_alive returned 0 or after
 * launcher_stop). */
struct launch_exit {
	int known;          /* the leader was reaped */
	int code;           /* exit status, or -1 when killed by a signal */
	int signal;         /* terminating signal, or 0 */
};

struct launch_stop {
	int was_running;    /* the leader was alive when stop began */
	int sent_term;      /* SIGTERM went to the group */
	int sent_kill;      /* the grace period ran out: SIGKILL sent */
	int group_gone;     /* no process of the group is left */
	double stop_s;      /* from SIGTERM until the group was gone */
};

struct launcher;

/* Compile the probes, create the log, fork and exec the command in a new
 * process group. On success *out owns the running server (the caller ends
 * it with launcher_stop and releases it with launcher_free). Returns 0, or
 * -EINVAL (bad pattern or config) / -errno (log file, fork) with the
 * reason in err. */
int launcher_start(const struct launch_cfg *cfg, struct launcher **out,
		   char *err, size_t errlen);

/* Probe until ready, exit, timeout or *stop (may be NULL). *ready_s gets
 * the seconds since the start (may be NULL). */
enum launch_wait launcher_wait_ready(struct launcher *l,
				     const volatile sig_atomic_t *stop,
				     double *ready_s);

/* 1 while the leader runs; 0 once it has exited (reaped; see
 * launcher_exit). Never blocks. */
int launcher_alive(struct launcher *l);

/* The leader's pid (= the process group id). */
pid_t launcher_pid(const struct launcher *l);

/* How the leader ended (known = 0 while it runs). */
struct launch_exit launcher_exit(const struct launcher *l);

/* "exit 0", "exit 3", "signal 9 (Killed)", "running" into buf. */
void launcher_exit_str(const struct launch_exit *e, char *buf, size_t len);

/* The line that satisfied the log probe, or "" (valid until free). */
const char *launcher_ready_line(const struct launcher *l);

/* Stop the group: SIGTERM, wait up to stop_grace_s for every member to
 * exit (reaping), SIGKILL what is left, wait up to LAUNCH_REAP_WAIT_S. Safe
 * when the leader already exited (the rest of the group is still
 * signalled). Fills *info (may be NULL). Returns 0, or -ETIMEDOUT when
 * processes of the group outlived the SIGKILL wait. */
int launcher_stop(struct launcher *l, struct launch_stop *info);

/* Stop (SIGKILL, no grace) if still running, and free. NULL-safe. */
void launcher_free(struct launcher *l);

/* The last max_lines lines (at most max_bytes bytes) of the file at path,
 * as a new string the caller frees; "" when empty, NULL when unreadable. */
char *launcher_log_tail(const char *path, size_t max_bytes, size_t max_lines);

/* A free TCP port on 127.0.0.1 (bound to port 0, then released; another
 * process may take it before the server binds). 0, or -errno. */
int launcher_free_port(int *port);

/* Seconds since the start. */
double launcher_elapsed_s(const struct launcher *l);

#endif
