/* launcher_test.c - the process-group launcher with small shell commands:
 * ready by log line and by HTTP, never ready (timeout, log tail), exits at
 * once, ignores SIGTERM (SIGKILL after the grace period), children and
 * orphaned grandchildren of the group killed and reaped, env and cwd. */
#include "launcher/launcher.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "test.h"

static char dir[64];

static char *path(const char *name)
{
	static char p[4][128];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static struct launch_cfg cfg(const char *cmd, const char *log)
{
	struct launch_cfg c = {0};
	c.command = cmd;
	c.log_path = path(log);
	c.ready_timeout_s = 5;
	c.poll_s = 0.02;
	c.stop_grace_s = 2;
	return c;
}

static void test_ready_by_log_line(void)
{
	char err[256];
	struct launcher *l = NULL;
	struct launch_cfg c = cfg("echo loading; sleep 0.3; echo 'INFO server "
				  "up on 1234'; exec sleep 30",
				  "a.log");
	c.ready_log = "server up on [0-9]+";
	ASSERT_EQ(launcher_start(&c, &l, err, sizeof(err)), 0);
	double rs = 0;
	ASSERT_EQ(launcher_wait_ready(l, NULL, &rs), LAUNCH_READY);
	ASSERT_TRUE(rs >= 0.25 && rs < 3);
	ASSERT_TRUE(strstr(launcher_ready_line(l), "server up on 1234") != NULL);
	ASSERT_EQ(launcher_alive(l), 1);
	struct launch_stop st;
	ASSERT_EQ(launcher_stop(l, &st), 0);
	ASSERT_EQ(st.was_running, 1);
	ASSERT_EQ(st.sent_term, 1);
	ASSERT_EQ(st.sent_kill, 0);
	ASSERT_EQ(st.group_gone, 1);
	ASSERT_TRUE(st.stop_s < 1.5);
	struct launch_exit ex = launcher_exit(l);
	ASSERT_EQ(ex.known, 1);
	ASSERT_EQ(ex.signal, SIGTERM);
	pid_t pid = launcher_pid(l);
	ASSERT_TRUE(kill(pid, 0) < 0 && errno == ESRCH);
	launcher_free(l);
}

static void test_never_ready(void)
{
	char err[256];
	struct launcher *l = NULL;
	struct launch_cfg c = cfg("echo starting; echo still loading shards; "
				  "exec sleep 30",
				  "b.log");
	c.ready_log = "READY";
	c.ready_timeout_s = 0.5;
	ASSERT_EQ(launcher_start(&c, &l, err, sizeof(err)), 0);
	int64_t t0 = clock_now_ns();
	ASSERT_EQ(launcher_wait_ready(l, NULL, NULL), LAUNCH_TIMEOUT);
	double waited = (double)(clock_now_ns() - t0) / 1e9;
	ASSERT_TRUE(waited >= 0.45 && waited < 2);
	ASSERT_EQ(launcher_alive(l), 1);
	ASSERT_EQ(launcher_stop(l, NULL), 0);
	char *tail = launcher_log_tail(path("b.log"), 4096, 20);
	ASSERT_STR_EQ(tail, "starting\nstill loading shards");
	free(tail);
	launcher_free(l);
}

static void test_exits_at_once(void)
{
	char err[256], es[64];
	struct launcher *l = NULL;
	struct launch_cfg c = cfg("echo 'error: unknown flag --bogus' >&2; "
				  "exit 3",
				  "c.log");
	c.ready_log = "listening";
	ASSERT_EQ(launcher_start(&c, &l, err, sizeof(err)), 0);
	ASSERT_EQ(launcher_wait_ready(l, NULL, NULL), LAUNCH_EXITED);
	struct launch_exit ex = launcher_exit(l);
	ASSERT_EQ(ex.known, 1);
	ASSERT_EQ(ex.code, 3);
	ASSERT_EQ(ex.signal, 0);
	launcher_exit_str(&ex, es, sizeof(es));
	ASSERT_STR_EQ(es, "exit 3");
	struct launch_stop st;
	ASSERT_EQ(launcher_stop(l, &st), 0); /* nothing left: no signal */
	ASSERT_EQ(st.was_running, 0);
	ASSERT_EQ(st.sent_term, 0);
	char *tail = launcher_log_tail(path("c.log"), 4096, 5);
	ASSERT_STR_EQ(tail, "error: unknown flag --bogus");
	free(tail);
	launcher_free(l);
	/* a command that is not there: sh says so, exit 127 */
	c = cfg("/nonexistent/server --port 1", "c2.log");
	c.ready_log = "listening";
	ASSERT_EQ(launcher_start(&c, &l, err, sizeof(err)), 0);
	ASSERT_EQ(launcher_wait_ready(l, NULL, NULL), LAUNCH_EXITED);
	ASSERT_EQ(launcher_exit(l).code, 127);
	launcher_free(l);
}

static void test_ignores_sigterm(void)
{
	char err[256];
	struct launcher *l = NULL;
	/* ignored signals stay ignored across exec: the whole group */
	struct launch_cfg c = cfg("trap '' TERM; echo up; "
				  "while :; do sleep 0.05; done",
				  "d.log");
	c.ready_log = "^up$";
	c.stop_grace_s = 0.6;
	ASSERT_EQ(launcher_start(&c, &l, err, sizeof(err)), 0);
	ASSERT_EQ(launcher_wait_ready(l, NULL, NULL), LAUNCH_READY);
	struct launch_stop st;
	ASSERT_EQ(launcher_stop(l, &st), 0);
	ASSERT_EQ(st.sent_term, 1);
	ASSERT_EQ(st.sent_kill, 1);
	ASSERT_EQ(st.group_gone, 1);
	ASSERT_TRUE(st.stop_s >= 0.6 && st.stop_s < 3);
	ASSERT_EQ(launcher_exit(l).signal, SIGKILL);
	launcher_free(l);
}

static pid_t read_pid(const char *file, int line)
{
	FILE *f = fopen(file, "r");
	long v = -1;
	for (int i = 0; f && i <= line; i++)
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
	if (f)
		fclose(f);
	return (pid_t)v;
}

static void test_group_children(void)
{
	char err[256], cmd[512];
	struct launcher *l = NULL;
	/* two children of the leader, and a grandchild orphaned by its
	 * subshell (adopted by us as the subreaper) */
	snprintf(cmd, sizeof(cmd),
		 "sleep 60 & echo $! > %s; sleep 60 & echo $! >> %s; "
		 "(sleep 60 & echo $! >> %s); echo up; wait",
		 path("pids"), path("pids"), path("pids"));
	struct launch_cfg c = cfg(cmd, "e.log");
	c.ready_log = "^up$";
	ASSERT_EQ(launcher_start(&c, &l, err, sizeof(err)), 0);
	ASSERT_EQ(launcher_wait_ready(l, NULL, NULL), LAUNCH_READY);
	pid_t p[3];
	for (int i = 0; i < 3; i++) {
		p[i] = read_pid(path("pids"), i);
		ASSERT_TRUE(p[i] > 0);
		ASSERT_EQ(kill(p[i], 0), 0);
		ASSERT_EQ(getpgid(p[i]), launcher_pid(l));
	}
	struct launch_stop st;
	ASSERT_EQ(launcher_stop(l, &st), 0);
	ASSERT_EQ(st.group_gone, 1);
	ASSERT_EQ(st.sent_kill, 0);
	for (int i = 0; i < 3; i++)
		ASSERT_TRUE(kill(p[i], 0) < 0 && errno == ESRCH);
	launcher_free(l);
}

static void test_env_cwd(void)
{
	char err[256];
	struct launcher *l = NULL;
	const char *env[] = {"INFBENCH_T_FOO=bar baz", "HOME=/nowhere"};
	struct launch_cfg c = cfg("echo \"foo=$INFBENCH_T_FOO home=$HOME "
				  "cwd=$(pwd)\"; exec sleep 30",
				  "f.log");
	c.env = env;
	c.n_env = 2;
	c.cwd = "/";
	c.ready_log = "^foo=bar baz home=/nowhere cwd=/$";
	ASSERT_EQ(launcher_start(&c, &l, err, sizeof(err)), 0);
	ASSERT_EQ(launcher_wait_ready(l, NULL, NULL), LAUNCH_READY);
	launcher_free(l); /* stops with SIGKILL */
	/* a bad pattern is refused before anything runs */
	c.ready_log = "(";
	ASSERT_EQ(launcher_start(&c, &l, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(l == NULL);
	ASSERT_TRUE(strstr(err, "ready log pattern") != NULL);
}

static void test_ready_by_http(void)
{
	const char *exe = getenv("INFBENCH");
	char err[256], cmd[512], url[64];
	int port = 0;
	if (!exe || !*exe)
		exe = "./infbench";
	if (access(exe, X_OK))
		TEST_SKIP("no infbench binary (INFBENCH)");
	ASSERT_EQ(launcher_free_port(&port), 0);
	ASSERT_TRUE(port > 0);
	snprintf(cmd, sizeof(cmd),
		 "sleep 0.3; exec %s serve --engine mock --host 127.0.0.1 "
		 "--port %d",
		 exe, port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", port);
	struct launcher *l = NULL;
	struct launch_cfg c = cfg(cmd, "g.log");
	c.ready_url = url;
	ASSERT_EQ(launcher_start(&c, &l, err, sizeof(err)), 0);
	double rs = 0;
	ASSERT_EQ(launcher_wait_ready(l, NULL, &rs), LAUNCH_READY);
	ASSERT_TRUE(rs >= 0.25);
	struct launch_stop st;
	ASSERT_EQ(launcher_stop(l, &st), 0);
	ASSERT_EQ(st.sent_kill, 0);
	/* infbench serve stops cleanly on SIGTERM */
	struct launch_exit ex = launcher_exit(l);
	ASSERT_EQ(ex.signal, 0);
	ASSERT_EQ(ex.code, 0);
	launcher_free(l);
}

static void test_log_tail(void)
{
	FILE *f = fopen(path("t.log"), "w");
	for (int i = 1; i <= 30; i++)
		fprintf(f, "line %d\n", i);
	fclose(f);
	char *t = launcher_log_tail(path("t.log"), 4096, 3);
	ASSERT_STR_EQ(t, "line 28\nline 29\nline 30");
	free(t);
	/* a byte window that cuts line 29: the cut line is dropped */
	t = launcher_log_tail(path("t.log"), 12, 10);
	ASSERT_STR_EQ(t, "line 30");
	free(t);
	ASSERT_TRUE(launcher_log_tail(path("missing.log"), 10, 1) == NULL);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/infbench-launcher-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	TEST_RUN(test_ready_by_log_line);
	TEST_RUN(test_never_ready);
	TEST_RUN(test_exits_at_once);
	TEST_RUN(test_ignores_sigterm);
	TEST_RUN(test_group_children);
	TEST_RUN(test_env_cwd);
	TEST_RUN(test_ready_by_http);
	TEST_RUN(test_log_tail);
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm))
		fprintf(stderr, "  could not remove %s\n", dir);
	return TEST_DONE();
}
