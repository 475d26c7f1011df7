/* dist.c - MPI runtime and the vote/start/gather protocol of a run.
 *
 * Without INFBENCH_MPI (or when not launched by mpirun/srun) the process is
 * rank 0 of 1 and every step is local. With it, only this thread calls MPI
 * (MPI_THREAD_FUNNELED); errors return (MPI_ERRORS_RETURN) instead of
 * aborting, so a failed step is reported, not fatal.
 */
#include "dist/dist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/msg.h"
#include "core/version.h"
#include "core/xmalloc.h"
#include "dist/clockoff.h"

#ifdef INFBENCH_MPI
#include <mpi.h>
#endif

#define DIST_BUILD_MAX 48              /* bytes of "version git-rev" */
#define DIST_CHUNK_BYTES ((size_t)1 << 28) /* per MPI message (int count) */
#define DIST_POLL_NS (200 * 1000LL)    /* gather poll sleep */

enum { TAG_PING = 7101, TAG_PONG, TAG_HDR, TAG_DATA };

static struct {
	int inited, mpi, rank, size;
	int voted, started, gathered, lost;
	char host[DIST_HOST_MAX];
	struct dist_rank *ranks;
	int64_t offset_ns;  /* rank 0's wall clock minus our monotonic */
} D = {.size = 1};

/* The vote as it travels (same binary on every rank: checked by build). */
struct vote_msg {
	int32_t present;
	int32_t threads;
	int64_t cap;
	uint64_t digest;
	char build[DIST_BUILD_MAX];
	char host[DIST_HOST_MAX];
	char why[DIST_WHY_MAX];
};

/* What precedes a rank's gathered bytes. */
struct gather_hdr {
	int64_t len;
	int32_t status;
	int32_t pad;
	char why[DIST_WHY_MAX];
};

static long env_long(const char *name)
{
	const char *v = getenv(name);
	char *end;
	if (!v || !*v)
		return -1;
	long x = strtol(v, &end, 10);
	return *end ? -1 : x;
}

/* Launched as one of several processes by an MPI launcher or srun. */
static int multi_launch(void)
{
	return env_long("OMPI_COMM_WORLD_SIZE") > 1 ||
	       env_long("PMI_SIZE") > 1 ||
	       env_long("SLURM_STEP_NUM_TASKS") > 1 ||
	       env_long("MPI_LOCALNRANKS") > 1;
}

static void set_host(void)
{
	if (gethostname(D.host, sizeof(D.host)) != 0)
		snprintf(D.host, sizeof(D.host), "unknown");
	D.host[sizeof(D.host) - 1] = '\0';
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* A reason into a fixed field, cut at its size. */
__attribute__((format(printf, 3, 4))) static void
set_why(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
}

int dist_compiled(void)
{
#ifdef INFBENCH_MPI
	return 1;
#else
	return 0;
#endif
}

int dist_init(const char **why)
{
	if (D.inited)
		return 0;
	set_host();
#ifdef INFBENCH_MPI
	/* Any launcher variable means mpirun/srun started us, even -np 1;
	 * a plain start stays a single process without MPI_Init. */
	if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") ||
	    getenv("PMIX_RANK") || multi_launch()) {
		int provided = 0;
		if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED,
				    &provided) != MPI_SUCCESS) {
			*why = "MPI_Init failed (see the MPI messages above)";
			return -EIO;
		}
		D.mpi = 1;
		MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
		MPI_Comm_rank(MPI_COMM_WORLD, &D.rank);
		MPI_Comm_size(MPI_COMM_WORLD, &D.size);
		if (D.size > DIST_MAX_RANKS) {
			*why = "more MPI ranks than infbench supports "
			       "(DIST_MAX_RANKS)";
			return -E2BIG;
		}
		/* Only rank 0 reports. */
		if (D.rank > 0 && !freopen("/dev/null", "w", stdout))
			warnf("rank %d: cannot silence stdout", D.rank);
	}
#else
	if (multi_launch()) {
		*why = "launched as several processes (mpirun/srun), but this "
		       "infbench binary has no MPI support: each process would "
		       "run the whole benchmark on its own. Rebuild with "
		       "`make MPI=1` (docs/DISTRIBUTED.md) or run one process";
		return -ENOTSUP;
	}
#endif
	D.inited = 1;
	return 0;
}

void dist_finalize(int rc)
{
#ifdef INFBENCH_MPI
	if (D.mpi) {
		fflush(stdout);
		fflush(stderr);
		/* The run is over: when Open MPI ends the job (a rank exited
		 * non-zero), its SIGTERM must end us, not start a drain. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (D.lost)
			/* Receives from dead ranks are still posted: finalize
			 * would wait for them forever. */
			MPI_Abort(MPI_COMM_WORLD, rc ? rc : 1);
		else
			MPI_Finalize();
		D.mpi = 0;
	}
#else
	(void)rc;
#endif
	free(D.ranks);
	D.ranks = NULL;
}

int dist_rank(void)
{
	return D.rank;
}

int dist_size(void)
{
	return D.size;
}

const char *dist_host(void)
{
	if (!D.host[0])
		set_host();
	return D.host;
}

const struct dist_rank *dist_ranks(void)
{
	return D.ranks;
}

int dist_lost(void)
{
	return D.lost;
}

int dist_pending(void)
{
	return D.size > 1 && !D.gathered;
}

static void vote_fill(struct vote_msg *m, const struct dist_vote_in *in)
{
	memset(m, 0, sizeof(*m));
	m->present = in->present ? 1 : 0;
	m->threads = in->threads;
	m->cap = in->cap;
	m->digest = in->digest;
	snprintf(m->build, sizeof(m->build), "%s %s", INFBENCH_VERSION,
		 version_git());
	copy_str(m->host, sizeof(m->host), D.host);
	copy_str(m->why, sizeof(m->why), in->present ? NULL : in->why);
}

int dist_vote(const struct dist_vote_in *in, int *runs_me, char *why,
	      size_t why_len)
{
	int rc = 0, n = D.size;
	struct vote_msg *all = xcalloc((size_t)n, sizeof(*all));
	struct vote_msg mine;
	vote_fill(&mine, in);
	free(D.ranks);
	D.ranks = xcalloc((size_t)n, sizeof(*D.ranks));
	D.voted = 1;
	if (n == 1) {
		all[0] = mine;
	} else {
#ifdef INFBENCH_MPI
		if (MPI_Allgather(&mine, sizeof(mine), MPI_BYTE, all,
				  sizeof(mine), MPI_BYTE,
				  MPI_COMM_WORLD) != MPI_SUCCESS) {
			snprintf(why, why_len, "MPI_Allgather of the start "
					       "vote failed");
			free(all);
			return -EIO;
		}
#endif
	}
	for (int r = 0; r < n; r++) {
		struct dist_rank *d = &D.ranks[r];
		const struct vote_msg *m = &all[r];
		copy_str(d->host, sizeof(d->host), m->host);
		d->host[sizeof(d->host) - 1] = '\0';
		d->present = m->present;
		d->threads = m->threads;
		d->cap = m->cap;
		d->digest = m->digest;
		d->runs = m->present && all[0].present;
		if (!m->present)
			set_why(d->why, sizeof(d->why), "could not start: %.*s",
				 (int)sizeof(m->why) - 1, m->why);
		else if (!all[0].present)
			set_why(d->why, sizeof(d->why),
				 "rank 0 could not start");
		else if (strncmp(m->build, all[0].build, sizeof(m->build))) {
			d->runs = 0;
			set_why(d->why, sizeof(d->why),
				 "different infbench build (%.*s) than rank 0 "
				 "(%.*s)",
				 (int)sizeof(m->build) - 1, m->build,
				 (int)sizeof(m->build) - 1, all[0].build);
		} else if (m->digest != all[0].digest) {
			d->runs = 0;
			set_why(d->why, sizeof(d->why),
				 "its schedule differs from rank 0's (other "
				 "input files or options on that host?)");
		}
	}
	*runs_me = D.ranks[D.rank].runs;
	if (!all[0].present) {
		set_why(why, why_len, "rank 0 (%s) could not start: %.*s",
			 all[0].host, (int)sizeof(all[0].why) - 1, all[0].why);
		rc = -EIO;
	}
	free(all);
	return rc;
}

#ifdef INFBENCH_MPI
/* Rank r's ping-pongs with rank 0: its offset to rank 0's wall clock. */
static int sync_one(int r, int64_t *offset_ns, int64_t *rtt_ns)
{
	struct clockoff_sample s[DIST_SYNC_ROUNDS];
	int64_t x = 0;
	for (int i = 0; i < DIST_SYNC_ROUNDS; i++) {
		if (D.rank == 0) {
			if (MPI_Recv(&x, sizeof(x), MPI_BYTE, r, TAG_PING,
				     MPI_COMM_WORLD,
				     MPI_STATUS_IGNORE) != MPI_SUCCESS)
				return -EIO;
			x = clock_wall_ns();
			if (MPI_Send(&x, sizeof(x), MPI_BYTE, r, TAG_PONG,
				     MPI_COMM_WORLD) != MPI_SUCCESS)
				return -EIO;
		} else {
			s[i].t_send_ns = clock_now_ns();
			if (MPI_Send(&x, sizeof(x), MPI_BYTE, 0, TAG_PING,
				     MPI_COMM_WORLD) != MPI_SUCCESS ||
			    MPI_Recv(&s[i].t_remote_ns, sizeof(int64_t),
				     MPI_BYTE, 0, TAG_PONG, MPI_COMM_WORLD,
				     MPI_STATUS_IGNORE) != MPI_SUCCESS)
				return -EIO;
			s[i].t_recv_ns = clock_now_ns();
		}
	}
	if (D.rank == 0)
		return 0;
	return clockoff_estimate(s, DIST_SYNC_ROUNDS, offset_ns, rtt_ns);
}
#endif

/* Our own wall clock minus our monotonic clock, read back to back. */
static int64_t wall_minus_mono(void)
{
	int64_t a = clock_now_ns(), w = clock_wall_ns(), b = clock_now_ns();
	return w - (a + (b - a) / 2);
}

int dist_start(int64_t lead_ns, int64_t *t0_mono_ns, int64_t *t0_wall_ns)
{
	D.started = 1;
	int64_t own = wall_minus_mono();
	D.offset_ns = own; /* rank 0: its own wall clock */
	if (D.size == 1) {
		*t0_mono_ns = clock_now_ns() + lead_ns;
		*t0_wall_ns = clock_wall_ns() + lead_ns;
		return 0;
	}
#ifdef INFBENCH_MPI
	int64_t rtt = 0;
	for (int r = 1; r < D.size; r++)
		if ((D.rank == 0 || D.rank == r) &&
		    sync_one(r, &D.offset_ns, &rtt))
			return -EIO;
	int64_t t0w = D.rank == 0 ? clock_wall_ns() + lead_ns : 0;
	if (MPI_Bcast(&t0w, sizeof(t0w), MPI_BYTE, 0, MPI_COMM_WORLD) !=
	    MPI_SUCCESS)
		return -EIO;
	*t0_wall_ns = t0w;
	*t0_mono_ns = t0w - D.offset_ns;
	/* Every rank learns every rank's clock facts (for the results). */
	int64_t mine[3] = {own - D.offset_ns, rtt, *t0_mono_ns};
	int64_t *all = xcalloc((size_t)D.size, sizeof(mine));
	int rc = MPI_Allgather(mine, sizeof(mine), MPI_BYTE, all,
			       sizeof(mine), MPI_BYTE, MPI_COMM_WORLD);
	if (rc == MPI_SUCCESS && D.ranks)
		for (int r = 0; r < D.size; r++) {
			D.ranks[r].clock_offset_ns = all[3 * r];
			D.ranks[r].clock_rtt_ns = all[3 * r + 1];
			D.ranks[r].t0_mono_ns = all[3 * r + 2];
		}
	free(all);
	return rc == MPI_SUCCESS ? 0 : -EIO;
#else
	return -EIO;
#endif
}

void dist_blobs_free(struct dist_blob *b, int n)
{
	if (!b)
		return;
	for (int i = 0; i < n; i++)
		free(b[i].data);
	free(b);
}

#ifdef INFBENCH_MPI
enum gstate { G_HDR, G_DATA, G_DONE };

static int post_chunk(int r, struct dist_blob *b, size_t off,
		      MPI_Request *q)
{
	size_t n = b->len - off;
	if (n > DIST_CHUNK_BYTES)
		n = DIST_CHUNK_BYTES;
	return MPI_Irecv(b->data + off, (int)n, MPI_BYTE, r, TAG_DATA,
			 MPI_COMM_WORLD, q) == MPI_SUCCESS
		       ? (int)n
		       : -1;
}

/* Rank 0: receive every other rank's header and bytes, polling. */
static int gather_recv(const volatile sig_atomic_t *stop, double drain_s,
		       struct dist_blob *blobs)
{
	int n = D.size, pending = n - 1;
	struct gather_hdr *h = xcalloc((size_t)n, sizeof(*h));
	MPI_Request *q = xcalloc((size_t)n, sizeof(*q));
	enum gstate *st = xcalloc((size_t)n, sizeof(*st));
	size_t *off = xcalloc((size_t)n, sizeof(*off));
	int *chunk = xcalloc((size_t)n, sizeof(*chunk));
	int64_t deadline = -1;
	for (int r = 1; r < n; r++)
		if (MPI_Irecv(&h[r], sizeof(h[r]), MPI_BYTE, r, TAG_HDR,
			      MPI_COMM_WORLD, &q[r]) != MPI_SUCCESS) {
			st[r] = G_DONE;
			pending--;
			set_why(D.ranks[r].why, sizeof(D.ranks[r].why),
				 "MPI error receiving its results");
		}
	while (pending > 0) {
		int progressed = 0;
		for (int r = 1; r < n; r++) {
			int flag = 0;
			if (st[r] == G_DONE)
				continue;
			if (MPI_Test(&q[r], &flag, MPI_STATUS_IGNORE) !=
			    MPI_SUCCESS) {
				st[r] = G_DONE;
				pending--;
				set_why(D.ranks[r].why,
					 sizeof(D.ranks[r].why),
					 "MPI error receiving its results");
				continue;
			}
			if (!flag)
				continue;
			progressed = 1;
			if (st[r] == G_HDR) {
				D.ranks[r].status = h[r].status;
				if (h[r].status)
					set_why(D.ranks[r].why,
						 sizeof(D.ranks[r].why), "%.*s",
						 (int)sizeof(h[r].why) - 1,
						 h[r].why);
				if (h[r].len < 0 ||
				    (size_t)h[r].len > DIST_MAX_PAYLOAD) {
					st[r] = G_DONE;
					pending--;
					set_why(D.ranks[r].why,
						 sizeof(D.ranks[r].why),
						 "announced %lld bytes of "
						 "results (cap %zu)",
						 (long long)h[r].len,
						 DIST_MAX_PAYLOAD);
					continue;
				}
				blobs[r].len = (size_t)h[r].len;
				blobs[r].data = xmalloc(blobs[r].len + 1);
				st[r] = G_DATA;
			} else {
				off[r] += (size_t)chunk[r];
			}
			if (off[r] == blobs[r].len) {
				st[r] = G_DONE;
				pending--;
				D.ranks[r].reported = 1;
				continue;
			}
			chunk[r] = post_chunk(r, &blobs[r], off[r], &q[r]);
			if (chunk[r] < 0) {
				st[r] = G_DONE;
				pending--;
			}
		}
		if (pending <= 0)
			break;
		int64_t now = clock_now_ns();
		int level = stop ? *stop : 0;
		if (level >= 2)
			break;
		if (level >= 1 && deadline < 0)
			deadline = now + (int64_t)((drain_s +
						    DIST_REPORT_GRACE_S) *
						   1e9);
		if (deadline >= 0 && now >= deadline) {
			/* Give up on the silent ranks; bytes already
			 * flowing are still received. */
			int flowing = 0;
			for (int r = 1; r < n; r++)
				if (st[r] == G_HDR) {
					MPI_Cancel(&q[r]);
					MPI_Request_free(&q[r]);
					st[r] = G_DONE;
					pending--;
				} else if (st[r] == G_DATA) {
					flowing = 1;
				}
			if (!flowing)
				break;
		}
		if (!progressed) {
			struct timespec ts = {0, DIST_POLL_NS};
			nanosleep(&ts, NULL);
		}
	}
	for (int r = 1; r < n; r++)
		if (!D.ranks[r].reported) {
			D.lost++;
			free(blobs[r].data);
			blobs[r].data = NULL;
			blobs[r].len = 0;
			if (st[r] != G_DONE || !D.ranks[r].why[0])
				set_why(D.ranks[r].why, sizeof(D.ranks[r].why),
					 "its results never arrived (rank "
					 "died, was killed or is stuck)");
		}
	free(h);
	free(q);
	free(st);
	free(off);
	free(chunk);
	return 0;
}

static int gather_send(const void *data, size_t len, int32_t status,
		       const char *why)
{
	struct gather_hdr h;
	memset(&h, 0, sizeof(h));
	h.len = (int64_t)len;
	h.status = status;
	copy_str(h.why, sizeof(h.why), why);
	if (MPI_Send(&h, sizeof(h), MPI_BYTE, 0, TAG_HDR, MPI_COMM_WORLD) !=
	    MPI_SUCCESS)
		return -EIO;
	for (size_t off = 0; off < len;) {
		size_t n = len - off;
		if (n > DIST_CHUNK_BYTES)
			n = DIST_CHUNK_BYTES;
		if (MPI_Send((const char *)data + off, (int)n, MPI_BYTE, 0,
			     TAG_DATA, MPI_COMM_WORLD) != MPI_SUCCESS)
			return -EIO;
		off += n;
	}
	return 0;
}
#endif

int dist_gather(const void *data, size_t len, int32_t status,
		const char *why, const volatile sig_atomic_t *stop,
		double drain_s, struct dist_blob **out)
{
	*out = NULL;
	D.gathered = 1;
	if (D.size == 1)
		return 0;
#ifdef INFBENCH_MPI
	if (len > DIST_MAX_PAYLOAD) {
		errorf("rank %d: %zu bytes of results exceed the gather cap "
		       "(%zu); they are not sent",
		       D.rank, len, DIST_MAX_PAYLOAD);
		len = 0;
		status = status ? status : 1;
		why = "its results exceeded the gather cap (DIST_MAX_PAYLOAD)";
	}
	if (D.rank != 0)
		return gather_send(data, len, status, why);
	struct dist_blob *b = xcalloc((size_t)D.size, sizeof(*b));
	D.ranks[0].reported = 1;
	D.ranks[0].status = status;
	int rc = gather_recv(stop, drain_s, b);
	*out = b;
	return rc;
#else
	(void)data;
	(void)len;
	(void)status;
	(void)why;
	(void)stop;
	(void)drain_s;
	return -EIO;
#endif
}

void dist_absent(const char *why)
{
	char buf[DIST_WHY_MAX];
	int runs = 0;
	int64_t t0m, t0w;
	struct dist_blob *b = NULL;
	if (!dist_pending())
		return;
	if (!D.voted) {
		struct dist_vote_in in = {.present = 0, .why = why};
		dist_vote(&in, &runs, buf, sizeof(buf));
	}
	if (!D.started)
		dist_start(DIST_T0_LEAD_NS, &t0m, &t0w);
	dist_gather(NULL, 0, 1, why, NULL, 0, &b);
	dist_blobs_free(b, D.size);
}
