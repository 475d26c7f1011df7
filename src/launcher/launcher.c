/* launcher.c - server process group: spawn, readiness, stop (launcher.h). */
#include "launcher/launcher.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "launcher/logwatch.h"
#include "telemetry/httpget.h"

extern char **environ;

#define LAUNCH_READ_CHUNK 65536       /* log bytes read per poll at most
				       * per read call */
#define LAUNCH_PROBE_BODY (64u << 10) /* health body kept at most */
#define LAUNCH_PROBE_TIMEOUT_S 2.0    /* one HTTP probe */

struct launcher {
	pid_t pid;               /* leader = process group id */
	int64_t t0_ns;
	struct launch_cfg cfg;   /* strings copied below */
	char *command, *log_path, *ready_url, *ready_log;
	int log_rfd;             /* our read side of the log */
	struct logwatch lw;
	int have_lw;
	struct httpget hg;
	struct launch_exit exit;
};

static void sleep_s(double s)
{
	struct timespec ts;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

double launcher_elapsed_s(const struct launcher *l)
{
	return (double)(clock_now_ns() - l->t0_ns) / 1e9;
}

pid_t launcher_pid(const struct launcher *l)
{
	return l->pid;
}

struct launch_exit launcher_exit(const struct launcher *l)
{
	return l->exit;
}

const char *launcher_ready_line(const struct launcher *l)
{
	return l->have_lw ? l->lw.hit : "";
}

void launcher_exit_str(const struct launch_exit *e, char *buf, size_t len)
{
	if (!e->known)
		snprintf(buf, len, "running");
	else if (e->signal)
		snprintf(buf, len, "signal %d (%s)", e->signal,
			 strsignal(e->signal));
	else
		snprintf(buf, len, "exit %d", e->code);
}

static void note_status(struct launcher *l, int st)
{
	l->exit.known = 1;
	if (WIFSIGNALED(st)) {
		l->exit.code = -1;
		l->exit.signal = WTERMSIG(st);
	} else {
		l->exit.code = WEXITSTATUS(st);
		l->exit.signal = 0;
	}
}

/* Reap the leader and any adopted member of the group without blocking. */
static void reap(struct launcher *l)
{
	int st;
	pid_t r;
	if (!l->exit.known) {
		r = waitpid(l->pid, &st, WNOHANG);
		if (r == l->pid)
			note_status(l, st);
	}
	for (;;) {
		r = waitpid(-l->pid, &st, WNOHANG);
		if (r <= 0)
			break;
		if (r == l->pid)
			note_status(l, st);
	}
}

int launcher_alive(struct launcher *l)
{
	reap(l);
	return !l->exit.known;
}

static int group_gone(struct launcher *l)
{
	reap(l);
	return kill(-l->pid, 0) < 0 && errno == ESRCH && l->exit.known;
}

/* environ plus cfg->env (a KEY=VALUE entry replaces the same KEY). The
 * array is new; its strings are borrowed. */
static char **make_env(const struct launch_cfg *c)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **e = xcalloc(n + c->n_env + 1, sizeof(*e));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t kl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		int replaced = 0;
		for (size_t j = 0; j < c->n_env; j++)
			if (!strncmp(c->env[j], environ[i], kl) &&
			    c->env[j][kl] == '=')
				replaced = 1;
		if (!replaced)
			e[k++] = environ[i];
	}
	for (size_t j = 0; j < c->n_env; j++)
		e[k++] = (char *)c->env[j];
	e[k] = NULL;
	return e;
}

void launcher_free(struct launcher *l)
{
	if (!l)
		return;
	if (l->pid > 0 && !group_gone(l)) {
		kill(-l->pid, SIGKILL);
		int64_t end = clock_now_ns() +
			      (int64_t)(LAUNCH_REAP_WAIT_S * 1e9);
		while (!group_gone(l) && clock_now_ns() < end)
			sleep_s(0.01);
	}
	if (l->log_rfd >= 0)
		close(l->log_rfd);
	if (l->have_lw)
		logwatch_free(&l->lw);
	httpget_free(&l->hg);
	free(l->command);
	free(l->log_path);
	free(l->ready_url);
	free(l->ready_log);
	free(l);
}

int launcher_start(const struct launch_cfg *cfg, struct launcher **out,
		   char *err, size_t errlen)
{
	struct launcher *l = NULL;
	char **envp = NULL;
	int wfd = -1, rc = 0;
	*out = NULL;
	if (!cfg->command || !cfg->log_path || cfg->n_env > LAUNCH_MAX_ENV) {
		snprintf(err, errlen, "launch: command and log file needed, at "
				      "most %d environment entries",
			 LAUNCH_MAX_ENV);
		return -EINVAL;
	}
	l = xcalloc(1, sizeof(*l));
	l->log_rfd = -1;
	l->cfg = *cfg;
	l->command = xstrdup(cfg->command);
	l->log_path = xstrdup(cfg->log_path);
	l->ready_url = cfg->ready_url ? xstrdup(cfg->ready_url) : NULL;
	l->ready_log = cfg->ready_log ? xstrdup(cfg->ready_log) : NULL;
	if (l->cfg.poll_s <= 0)
		l->cfg.poll_s = 0.2;
	httpget_init(&l->hg);
	if (l->ready_log) {
		char e[200];
		if (logwatch_init(&l->lw, l->ready_log, e, sizeof(e))) {
			snprintf(err, errlen, "ready log pattern '%s': %s",
				 l->ready_log, e);
			rc = -EINVAL;
			goto out;
		}
		l->have_lw = 1;
	}
	if (l->ready_url)
		httpget_global_init();
	wfd = open(l->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		   0644);
	if (wfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", l->log_path, strerror(errno));
		goto out;
	}
	l->log_rfd = open(l->log_path, O_RDONLY | O_CLOEXEC);
	if (l->log_rfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", l->log_path, strerror(errno));
		goto out;
	}
	/* Adopt orphans of the server so they can be reaped and their group
	 * can vanish (best effort: an old kernel just lacks it). */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	envp = make_env(cfg);
	fflush(NULL);
	l->t0_ns = clock_now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* child: async-signal-safe calls only */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(wfd, 1);
		dup2(wfd, 2);
		if (cfg->cwd && chdir(cfg->cwd)) {
			static const char m[] = "infbench launch: cannot chdir "
						"to the working directory\n";
			if (write(2, m, sizeof(m) - 1) < 0)
				_exit(126);
			_exit(126);
		}
		char *argv[] = {"sh", "-c", l->command, NULL};
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no race with an early kill(-pid) */
	l->pid = pid;
	*out = l;
	l = NULL;
out:
	if (wfd >= 0)
		close(wfd);
	free(envp);
	launcher_free(l);
	return rc;
}

/* Read what the log gained since the last call into the watcher. */
static void read_log(struct launcher *l)
{
	char b[LAUNCH_READ_CHUNK];
	ssize_t n;
	if (!l->have_lw || l->log_rfd < 0)
		return;
	for (;;) {
		n = read(l->log_rfd, b, sizeof(b));
		if (n <= 0)
			break;
		logwatch_feed(&l->lw, b, (size_t)n);
	}
	logwatch_check_partial(&l->lw);
}

static int http_ok(struct launcher *l, double left_s)
{
	struct buf body;
	long status = 0;
	double t = left_s < LAUNCH_PROBE_TIMEOUT_S ? left_s
						   : LAUNCH_PROBE_TIMEOUT_S;
	if (t < 0.05)
		t = 0.05;
	buf_init(&body, LAUNCH_PROBE_BODY);
	int rc = httpget_body(&l->hg, l->ready_url, (int64_t)(t * 1e9), &body,
			      &status);
	buf_free(&body);
	return rc == 0;
}

enum launch_wait launcher_wait_ready(struct launcher *l,
				     const volatile sig_atomic_t *stop,
				     double *ready_s)
{
	int log_ok = !l->ready_log, web_ok = !l->ready_url;
	for (;;) {
		if (stop && *stop)
			return LAUNCH_INTERRUPTED;
		read_log(l);
		if (l->have_lw && l->lw.matched)
			log_ok = 1;
		if (!launcher_alive(l)) {
			read_log(l);
			return LAUNCH_EXITED;
		}
		double left = l->cfg.ready_timeout_s - launcher_elapsed_s(l);
		if (!web_ok && log_ok && http_ok(l, left))
			web_ok = 1;
		if (log_ok && web_ok) {
			if (ready_s)
				*ready_s = launcher_elapsed_s(l);
			return LAUNCH_READY;
		}
		if (launcher_elapsed_s(l) >= l->cfg.ready_timeout_s)
			return LAUNCH_TIMEOUT;
		sleep_s(l->cfg.poll_s);
	}
}

int launcher_stop(struct launcher *l, struct launch_stop *info)
{
	struct launch_stop st;
	memset(&st, 0, sizeof(st));
	int64_t t0 = clock_now_ns();
	st.was_running = launcher_alive(l);
	if (!group_gone(l)) {
		kill(-l->pid, SIGTERM);
		st.sent_term = 1;
		int64_t end = t0 + (int64_t)(l->cfg.stop_grace_s * 1e9);
		while (!group_gone(l) && clock_now_ns() < end)
			sleep_s(0.01);
		if (!group_gone(l)) {
			kill(-l->pid, SIGKILL);
			st.sent_kill = 1;
			end = clock_now_ns() +
			      (int64_t)(LAUNCH_REAP_WAIT_S * 1e9);
			while (!group_gone(l) && clock_now_ns() < end)
				sleep_s(0.01);
		}
	}
	st.group_gone = group_gone(l);
	st.stop_s = (double)(clock_now_ns() - t0) / 1e9;
	read_log(l);
	if (info)
		*info = st;
	return st.group_gone ? 0 : -ETIMEDOUT;
}

char *launcher_log_tail(const char *path, size_t max_bytes, size_t max_lines)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *b = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb)) {
		close(fd);
		return NULL;
	}
	off_t start = sb.st_size > (off_t)max_bytes
			      ? sb.st_size - (off_t)max_bytes
			      : 0;
	size_t want = (size_t)(sb.st_size - start), got = 0;
	b = xmalloc(want + 1);
	while (got < want) {
		ssize_t n = pread(fd, b + got, want - got, start + (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b[got] = 0;
	/* drop a cut first line when the file was longer than the window */
	char *p = b;
	if (start > 0) {
		char *nl = memchr(p, '\n', got);
		if (nl)
			p = nl + 1;
	}
	size_t len = got - (size_t)(p - b);
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	size_t lines = 0, i = len;
	while (i > 0) {
		if (p[i - 1] == '\n' && ++lines == max_lines)
			break;
		i--;
	}
	char *r = xstrndup(p + i, len - i);
	free(b);
	return r;
}

int launcher_free_port(int *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = 0;
	if (fd < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		rc = -errno;
	else
		*port = ntohs(a.sin_port);
	close(fd);
	return rc;
}
