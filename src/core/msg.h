/* msg.h - diagnostics on stderr (curl tool_msgs).
 *
 * stdout carries only reports; everything a person should read about the run
 * itself goes through errorf/warnf/notef here. Thread-safe (one fprintf each).
 */
#ifndef INFBENCH_CORE_MSG_H
#define INFBENCH_CORE_MSG_H

enum msg_level { MSG_QUIET = 0, MSG_NORMAL = 1, MSG_VERBOSE = 2 };

/* Global verbosity, set once by the CLI before threads start. */
extern int msg_level;

/* "infbench: error: ..." one line, always printed. */
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "infbench: warning: ..." unless quiet. */
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "infbench: ..." unless quiet. */
void notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with --verbose. */
void debugf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
