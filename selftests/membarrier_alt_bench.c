// SPDX-License-Identifier: GPL-2.0
/*
 * The A/B benchmark behind `make ab`: in-tree membarrier(2) against the
 * module's variants, on one boot.  Not a test: it asserts nothing and
 * prints CSV rows on stdout, progress lines ("# progress: ...") on stderr.
 *
 *   membarrier_alt_bench latency [CALLS [SCENARIO [CMD,...]]]
 *	latency,<scenario>,<cmd>,<impl>,<n>,<median_ns>,<p99_ns>,
 *		<ipis_per_call>,<proc_ipis_per_call>,<unregistered_per_call>
 *	The caller runs on CPU0, with a second thread of its process
 *	blocked throughout: with one thread, both implementations of the
 *	private commands return before they look at any CPU, which would
 *	leave nothing but their argument checks to compare.
 *	Scenarios for CPUs 1-3: idle; busy with
 *	our threads; with the test kthreads (membarrier_alt_kthreads.ko:
 *	on CPU1 one that preempted a thread of ours, on CPU2 one in
 *	kthread_use_mm() of our mm, on CPU3 one with no mm, which holds
 *	lazily whatever CPU3 ran last: our mm, after the own-threads
 *	scenario); with another process; mixed.  SCENARIO runs one of
 *	them only (idle, own-threads, kthreads, other-process, mixed), and
 *	CMD,... only those commands (by the names in bench_cmds[]).
 *	own-threads spins on every online CPU but CPU0, the others use
 *	CPUs 1-3.
 *	The timed calls go through a file that never asks for the module's
 *	counters, so they carry none of its bookkeeping; ipis_per_call and
 *	unregistered_per_call come from COUNT_CALLS untimed calls of each
 *	variant right after them, through a file that does (counts_pass()).
 *	ipis_per_call comes from the module's counters for the variants,
 *	and from the function-call IPI line of /proc/interrupts (all CPUs,
 *	so an upper bound) for the syscall, which proc_ipis_per_call
 *	reports for every implementation.  unregistered_per_call is the
 *	variant's count of CPUs skipped because their rq->membarrier_state
 *	lacks the command's registration, idle ones included (-1 for the
 *	syscall, which has no such counter): for GLOBAL_EXPEDITED with our
 *	threads on CPUs 1-3, each is a CPU whose state went stale.
 *	With each latency row, the median of each of its turns of BLOCK
 *	calls, in the order taken (see latency_group()):
 *	turns,<scenario>,<cmd>,<impl>,<median_ns>[;<median_ns>...]
 *	With each group of latency rows, the floor of that group:
 *	floor,<scenario>,<cmd>,<syscall-einval|ioctl-einval|ioctl-enotty>,
 *		<n>,<median_ns>,<p99_ns>
 *
 *   membarrier_alt_bench pingpong <label> [VARIANT] [ROUNDS]
 *	pingpong,<label>,<rep>,<rounds>,<usec_per_round_trip>
 *	Two threads pinned to CPU1 bounce a byte over two pipes, as
 *	`perf bench sched pipe` does.  With VARIANT, the process first
 *	registers for it through the ioctl (a hook variant enrols its mm).
 *
 *   membarrier_alt_bench attach
 *	Registers a short-lived process for both hook variants, so that the
 *	hooks are attached while no running mm is registered.
 *
 *   membarrier_alt_bench profile [CALLS]
 *	profile,<phase>,<cmd|floor|pingpong|empty>,<impl|row|phase>,<calls>
 *	For the instruction profile of `make profile`: CALLS ping-pong round
 *	trips in each scheduler-cost phase that one boot can show, then
 *	CALLS calls of each latency row with CPUs 1-3 idle, each run
 *	started by a sync(2).
 *
 *   membarrier_alt_bench rseq-cpu [CALLS]
 *	rseq-cpu,<impl>,<threads>,<calls_per_thread>,<median_ns>,<p99_ns>,
 *		<calls_per_sec>,<ipis_per_call>
 *	Three threads of ours, on CPUs 1, 2 and 3, each issue CALLS
 *	targeted PRIVATE_EXPEDITED_RSEQ (MEMBARRIER_CMD_FLAG_CPU) at the
 *	next of those CPUs, where another of them runs, all at once: for the
 *	syscall and for intree, which both take only the target CPU's mutex
 *	(SERIALIZE_IPI_CPU(), 89976cd73739), so the three need not wait for
 *	each other.  A thread that is done keeps its CPU busy until all are,
 *	so that every call finds its target running our mm.  Latency per call
 *	over all threads, calls per second of wall time for the whole run,
 *	and IPIs per call (for both, the function-call IPIs of
 *	/proc/interrupts, an upper bound: the module's counters would add
 *	its bookkeeping to the timed calls).
 *
 *   membarrier_alt_bench litmus [ITERATIONS]
 *	litmus,<impl>,<iterations>,<forbidden>
 *	Store buffering against a kthread_use_mm() writer on CPU2, see
 *	membarrier_alt_litmus.h, for no barrier, the syscall and each variant.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "membarrier_alt_litmus.h"
#include "membarrier_alt_util.h"

/*
 * CPUs 1..MAX_SPIN_CPUS may get a spinner; the caller is on CPU0.  The
 * own-threads scenario spins on every other online CPU (1..3 in the 4-CPU
 * guests of make ab, up to 63 for make scale); the others use CPUs 1..3.
 */
#define MAX_SPIN_CPUS	63

static const struct {
	int cmd;
	const char *name;
} bench_cmds[] = {
	{ MEMBARRIER_CMD_PRIVATE_EXPEDITED, "PRIVATE_EXPEDITED" },
	{ MEMBARRIER_CMD_GLOBAL_EXPEDITED, "GLOBAL_EXPEDITED" },
	{ MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, "PRIVATE_EXPEDITED_SYNC_CORE" },
	{ MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, "PRIVATE_EXPEDITED_RSEQ" },
};

static void die(const char *what)
{
	fprintf(stderr, "membarrier_alt_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int variant_of(const char *name)
{
	unsigned int v;

	for (v = 0; v < ARRAY_SIZE(mb_variant_names); v++)
		if (!strcmp(name, mb_variant_names[v]))
			return v;
	errno = EINVAL;
	die(name);
	return -1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Busy threads of ours, one per CPU in spin_mask. */
static atomic_int stop;
static pthread_t spinners[MAX_SPIN_CPUS + 1];
static unsigned int target;	/* the use_mm kthread stores here */

static void *spin(void *arg)
{
	if (pin_to_cpu((long)arg))
		return (void *)1;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		;
	return NULL;
}

static void spin_start(int cpu)
{
	errno = pthread_create(&spinners[cpu], NULL, spin, (void *)(long)cpu);
	if (errno)
		die("pthread_create");
}

/*
 * Another process, spinning on the CPUs in @mask.  Forked after we
 * registered, it inherits the GLOBAL_EXPEDITED registration: a target of
 * GLOBAL_EXPEDITED, and another mm for the private commands.
 */
static pid_t other_start(unsigned long long mask)
{
	pid_t pid = fork();
	int cpu;

	if (pid < 0)
		die("fork");
	if (pid)
		return pid;
	for (cpu = 1; cpu <= MAX_SPIN_CPUS; cpu++)
		if (mask & (1ULL << cpu))
			spin_start(cpu);
	pause();
	_exit(0);
}

enum scenario { IDLE, OURS, KTHREADS, OTHER, MIXED, NR_SCENARIOS };

static const char *const scenario_names[] = {
	"idle", "own-threads", "kthreads", "other-process", "mixed",
};

struct setup {
	pid_t other;
	unsigned long long ours;	/* CPUs with a spinner of ours */
	int kthreads;
};

static void scenario_start(enum scenario s, struct setup *st)
{
	char cmd[64];
	long online;
	int cpu;

	memset(st, 0, sizeof(*st));
	atomic_store(&stop, 0);
	switch (s) {
	case IDLE:
		break;
	case OURS:
		/* Every online CPU but ours (CPU0): online CPUs are 0..n-1. */
		online = sysconf(_SC_NPROCESSORS_ONLN);
		if (online > MAX_SPIN_CPUS + 1)
			online = MAX_SPIN_CPUS + 1;
		st->ours = online > 1 ? ~0ULL >> (64 - online) & ~1ULL : 0;
		break;
	case KTHREADS:
		/* CPU1: preempts a thread of ours, so holds our mm lazily. */
		spin_start(1);
		usleep(20000);
		if (kthreads_ctl("nomm 1"))
			die("kthreads ctl (is membarrier_alt_kthreads.ko loaded?)");
		atomic_store(&stop, 1);
		pthread_join(spinners[1], NULL);
		atomic_store(&stop, 0);
		snprintf(cmd, sizeof(cmd), "use_mm 2 %lx",
			 (unsigned long)&target);
		if (kthreads_ctl(cmd) || kthreads_ctl("nomm 3"))
			die("kthreads ctl");
		st->kthreads = 1;
		break;
	case OTHER:
		st->other = other_start(0xe);
		break;
	case MIXED:
		st->ours = 0x2;
		snprintf(cmd, sizeof(cmd), "use_mm 2 %lx",
			 (unsigned long)&target);
		if (kthreads_ctl(cmd))
			die("kthreads ctl");
		st->kthreads = 1;
		st->other = other_start(0x8);
		break;
	default:
		break;
	}
	for (cpu = 1; cpu <= MAX_SPIN_CPUS; cpu++)
		if (st->ours & (1ULL << cpu))
			spin_start(cpu);
	usleep(50000);
}

static void scenario_stop(struct setup *st)
{
	int cpu;

	atomic_store(&stop, 1);
	for (cpu = 1; cpu <= MAX_SPIN_CPUS; cpu++)
		if (st->ours & (1ULL << cpu))
			pthread_join(spinners[cpu], NULL);
	if (st->kthreads && kthreads_ctl("stop"))
		die("kthreads ctl stop");
	if (st->other > 0) {
		kill(st->other, SIGKILL);
		waitpid(st->other, NULL, 0);
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The floor under every cell: an unknown command, which the syscall and
 * the ioctl both reject with EINVAL after decoding it and before any
 * membarrier work.  Their difference is what reaching the module through
 * ioctl() costs (file lookup, ioctl dispatch, copying the argument in): the
 * part of "intree vs syscall" that no targeting code can remove.
 */
#define BAD_CMD	(1 << 30)

/*
 * And an ioctl the device does not have, which the module rejects with
 * ENOTTY before it reads the argument: what the cheapest possible ioctl
 * costs, a lower bound for any implementation behind ioctl().
 */
#define BAD_IOC	_IO(MEMBARRIER_ALT_IOC_MAGIC, 0xff)

/*
 * The rows of one (scenario, command) group: the command through the
 * syscall and through each variant, then the floor through the syscall
 * and through the ioctl.  They are measured in turns of BLOCK calls each,
 * row after row and again, so that whatever slows the guest down for a
 * while (the host's scheduler, under TCG) slows all of them alike and
 * their ratios hold; a group measured after another is not comparable
 * with it in absolute terms.  Each row gets up to CALLS calls, but the
 * group stops after CELL_BUDGET_NS per row once each has MIN_CALLS: with
 * busy vCPUs under TCG one call can take milliseconds.
 */
#define NR_IMPLS	(MEMBARRIER_ALT_VARIANT_NR + 1)	/* syscall, variants */
#define NR_ROWS		(NR_IMPLS + 3)			/* and the three floors */
#define ROW_ENOTTY	(NR_IMPLS + 2)
#define BLOCK		50
#define MIN_CALLS	200
#define CELL_BUDGET_NS	1500000000LL

/* The implementation of row k; MB_IMPL_SYSCALL is -1. */
static int row_impl(int k)
{
	if (k < NR_IMPLS)
		return k - 1;
	return k == NR_IMPLS ? MB_IMPL_SYSCALL : MEMBARRIER_ALT_VARIANT_INTREE;
}

static const char *row_name(int k)
{
	if (k < NR_IMPLS)
		return mb_impl_name(row_impl(k));
	if (k == ROW_ENOTTY)
		return "ioctl-enotty";
	return k == NR_IMPLS ? "syscall-einval" : "ioctl-einval";
}

/* One call of row k: @cmd through its implementation, or its floor. */
static int row_call(int fd, int k, int cmd)
{
	if (k == ROW_ENOTTY)
		return ioctl(fd, BAD_IOC, 0);
	return mb_issue(fd, row_impl(k), k < NR_IMPLS ? cmd : BAD_CMD, 0, -1);
}

/* Dies unless row k's call returned what it must. */
static void row_check(int k, int ret)
{
	if (k < NR_IMPLS) {
		if (ret)
			die("membarrier");
	} else if (ret != -1 || errno != (k == ROW_ENOTTY ? ENOTTY : EINVAL)) {
		die("floor: unknown command or ioctl accepted");
	}
}

struct turns {
	long long *t;		/* NR_ROWS rows of n samples */
	int n;
	int cmd;
	int done[NR_ROWS];
	long long proc_ipis[NR_IMPLS];	/* function-call IPIs during its turns */
	long long deadline;
};

/* One turn of row k: up to BLOCK timed calls. */
static bool take_turn(struct turns *tu, int fd, int k)
{
	long long *t = tu->t + (long long)k * tu->n;
	bool floor = k >= NR_IMPLS;
	long long before = 0, t0;
	int i, ret;

	if (tu->done[k] >= tu->n ||
	    (tu->done[k] >= MIN_CALLS && now_ns() > tu->deadline))
		return false;
	/* The floor's rows report no IPIs: spare them the /proc reads. */
	if (!floor)
		before = proc_fcall_ipis(-1);
	for (i = 0; i < BLOCK && tu->done[k] < tu->n; i++) {
		t0 = now_ns();
		ret = row_call(fd, k, tu->cmd);
		t[tu->done[k]++] = now_ns() - t0;
		row_check(k, ret);
	}
	if (!floor)
		tu->proc_ipis[k] += proc_fcall_ipis(-1) - before;
	return true;
}

/*
 * Prints the median of each turn of row k, in the order they were taken:
 * the report pairs the turns of two rows taken in the same round, which a
 * slow spell of the host slows alike, to tell how far their ratio holds.
 * Sorts each turn's samples in place; turns_result() sorts the whole row
 * afterwards.
 */
static void print_turns(struct turns *tu, const char *scenario,
			const char *name, int k)
{
	long long *t = tu->t + (long long)k * tu->n;
	int i, len;

	printf("turns,%s,%s,%s,", scenario, name, row_name(k));
	/* Every turn but the row's last has BLOCK calls: see take_turn(). */
	for (i = 0; i < tu->done[k]; i += BLOCK) {
		len = tu->done[k] - i < BLOCK ? tu->done[k] - i : BLOCK;
		qsort(t + i, len, sizeof(*t), cmp_ll);
		printf("%s%lld", i ? ";" : "", t[i + len / 2]);
	}
	printf("\n");
}

/* Sorts row k and returns its median; *p99 gets the 99th percentile. */
static long long turns_result(struct turns *tu, int k, long long *p99)
{
	long long *t = tu->t + (long long)k * tu->n;
	int n = tu->done[k];

	qsort(t, n, sizeof(*t), cmp_ll);
	*p99 = t[n * 99 / 100];
	return t[n / 2];
}

/*
 * The module's counts for @calls untimed calls of @cmd through @variant, in
 * the scenario of the timed ones: through a file of their own that asks
 * for the counters, closed again before the next timed calls.
 */
#define COUNT_CALLS	20

static void counts_pass(int cmd, int variant, int calls,
			struct membarrier_alt_stats *st)
{
	int fd = alt_open(), i;

	if (fd < 0 || alt_stats_reset(fd))
		die("counts: open/reset");
	for (i = 0; i < calls; i++)
		if (alt_membarrier(fd, cmd, 0, -1, variant))
			die("counts: membarrier");
	if (alt_stats(fd, variant, st))
		die("counts: stats");
	close(fd);
}

static void latency_group(int fd, const char *scenario, int ci,
			  long long *t, int n)
{
	const char *name = bench_cmds[ci].name;
	struct membarrier_alt_stats st;
	long long med, p99;
	double ipis, proc_ipis, unreg;
	struct turns tu = {
		.t = t,
		.n = n,
		.cmd = bench_cmds[ci].cmd,
	};
	bool more;
	int i, k;

	for (k = 0; k < NR_IMPLS; k++)	/* warm up */
		for (i = 0; i < n / 20; i++)
			mb_issue(fd, row_impl(k), tu.cmd, 0, -1);
	tu.deadline = now_ns() + CELL_BUDGET_NS * NR_ROWS;
	do {
		more = false;
		for (k = 0; k < NR_ROWS; k++)
			more |= take_turn(&tu, fd, k);
	} while (more);

	for (k = 0; k < NR_IMPLS; k++) {
		print_turns(&tu, scenario, name, k);
		med = turns_result(&tu, k, &p99);
		proc_ipis = (double)tu.proc_ipis[k] / tu.done[k];
		if (row_impl(k) == MB_IMPL_SYSCALL) {
			ipis = proc_ipis;
			unreg = -1;
		} else {
			counts_pass(tu.cmd, row_impl(k), COUNT_CALLS, &st);
			ipis = (double)st.ipis / COUNT_CALLS;
			unreg = (double)st.skipped[MEMBARRIER_ALT_SKIP_NOT_REGISTERED] /
				COUNT_CALLS;
		}
		printf("latency,%s,%s,%s,%d,%lld,%lld,%.3f,%.3f,%.3f\n",
		       scenario, name, row_name(k), tu.done[k], med, p99,
		       ipis, proc_ipis, unreg);
	}
	for (k = NR_IMPLS; k < NR_ROWS; k++) {
		med = turns_result(&tu, k, &p99);
		printf("floor,%s,%s,%s,%d,%lld,%lld\n", scenario, name,
		       row_name(k), tu.done[k], med, p99);
	}
	fflush(stdout);
}

/*
 * A second thread of ours, asleep until sleeper_stop(): with one thread,
 * both implementations of the private commands return before they look
 * at any CPU.
 */
static int sleeper_pipe[2];
static pthread_t sleeper;

static void *sleep_on_pipe(void *arg)
{
	char c;

	return (void *)(long)read(sleeper_pipe[0], &c, 1);
}

static void sleeper_start(void)
{
	if (pipe(sleeper_pipe))
		die("pipe");
	errno = pthread_create(&sleeper, NULL, sleep_on_pipe, NULL);
	if (errno)
		die("pthread_create");
}

static void sleeper_stop(void)
{
	close(sleeper_pipe[1]);
	pthread_join(sleeper, NULL);
	close(sleeper_pipe[0]);
}

/*
 * Registers the caller's mm for both hook variants through the device,
 * which attaches the hooks: lazy-tlb-sync for SYNC_CORE, mm-cid-mb for
 * PRIVATE_EXPEDITED.  Returns non-zero on failure.
 */
static int register_hook_variants(int fd)
{
	return alt_membarrier(fd, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
			      0, 0, MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC) ||
	       alt_membarrier(fd, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
			      0, 0, MEMBARRIER_ALT_VARIANT_MM_CID_MB);
}

/*
 * Pins the caller to CPU0 and registers its mm for every command, through
 * the syscall, and for both hook variants through the device.
 */
static void register_everything(int fd)
{
	if (pin_to_cpu(0) || sys_register_all())
		die("pin/register");
	if (register_hook_variants(fd))
		die("register hook variants");
}

/* Whether @name is one of the comma-separated @cmds; NULL @cmds has all. */
static bool cmd_wanted(const char *cmds, const char *name)
{
	size_t len = strlen(name);
	const char *p = cmds;

	if (!cmds)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == cmds || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
		p += len;
	}
	return false;
}

static void run_latency(int fd, int n, const char *only, const char *cmds)
{
	int total = NR_SCENARIOS * ARRAY_SIZE(bench_cmds);
	long long *t = calloc((size_t)n * NR_ROWS, sizeof(*t));
	enum scenario s, first = 0, last = NR_SCENARIOS - 1;
	int ci, group = 0;
	struct setup st;

	if (!t || n < 1)
		die("calloc");
	sleeper_start();
	if (only) {
		for (s = 0; s < NR_SCENARIOS; s++)
			if (!strcmp(only, scenario_names[s]))
				break;
		if (s == NR_SCENARIOS) {
			errno = EINVAL;
			die(only);
		}
		first = last = s;
		total = ARRAY_SIZE(bench_cmds);
	}
	register_everything(fd);
	for (s = first; s <= last; s++) {
		scenario_start(s, &st);
		for (ci = 0; ci < (int)ARRAY_SIZE(bench_cmds); ci++) {
			if (!cmd_wanted(cmds, bench_cmds[ci].name))
				continue;
			fprintf(stderr, "# progress: latency %d/%d %s %s\n",
				++group, total, scenario_names[s],
				bench_cmds[ci].name);
			latency_group(fd, scenario_names[s], ci, t, n);
		}
		scenario_stop(&st);
	}
	sleeper_stop();
	free(t);
}

static int pp_fds[2][2];
static int pp_rounds;

static void *pong(void *arg)
{
	char c;
	int i;

	if (pin_to_cpu(1))
		return (void *)1;
	for (i = 0; i < pp_rounds; i++)
		if (read(pp_fds[0][0], &c, 1) != 1 ||
		    write(pp_fds[1][1], &c, 1) != 1)
			return (void *)1;
	return NULL;
}

#define PP_REPS	5

/* Registers the caller's mm for @variant's hook, through the device. */
static void pingpong_register(const char *variant)
{
	int fd = alt_open_quiet();

	if (fd < 0 ||
	    alt_membarrier(fd, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
			   0, 0, variant_of(variant)) ||
	    alt_membarrier(fd, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
			   0, 0, variant_of(variant)))
		die("register");
	close(fd);
}

/*
 * pp_rounds round trips between the caller and a thread, both on CPU1;
 * returns how long the round trips took.  With @mark, a sync(2) right
 * before and right after them bounds a phase of `make profile`.
 */
static long long pingpong_once(bool mark)
{
	pthread_t t;
	long long t0;
	char c = 0;
	int i;

	if (pin_to_cpu(1))
		die("pin");
	if (pipe(pp_fds[0]) || pipe(pp_fds[1]))
		die("pipe");
	errno = pthread_create(&t, NULL, pong, NULL);
	if (errno)
		die("pthread_create");
	if (mark)
		sync();
	t0 = now_ns();
	for (i = 0; i < pp_rounds; i++)
		if (write(pp_fds[0][1], &c, 1) != 1 ||
		    read(pp_fds[1][0], &c, 1) != 1)
			die("ping");
	t0 = now_ns() - t0;
	if (mark)
		sync();
	pthread_join(t, NULL);
	for (i = 0; i < 4; i++)
		close(pp_fds[i / 2][i % 2]);
	return t0;
}

static void run_pingpong(const char *label, const char *variant, int rounds)
{
	long long t;
	int rep;

	if (variant)
		pingpong_register(variant);
	pp_rounds = rounds;
	for (rep = 0; rep < PP_REPS; rep++) {
		fprintf(stderr, "# progress: pingpong %s %d/%d\n", label,
			rep + 1, PP_REPS);
		t = pingpong_once(false);
		printf("pingpong,%s,%d,%d,%.3f\n", label, rep, rounds,
		       t / 1000.0 / rounds);
		fflush(stdout);
	}
}

static void run_attach(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (!pid) {
		int fd = alt_open_quiet();

		_exit(fd < 0 || register_hook_variants(fd));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("attach");
}

/*
 * The phases of `make profile`: tools/qemu-iprof.c starts a new one at
 * every entry to ksys_sync(), so each sync(2) here starts the phase that
 * profile_next() named before it (phase 0 is the boot).  The names are
 * printed at the end, so that no phase pays for console output.
 */
#define MAX_PHASES	63	/* the plugin keeps 64, with the boot's */
static struct {
	const char *what, *row;	/* what == NULL: not reported */
	int calls;
} phases[MAX_PHASES];
static int nr_phases;

static void profile_next(const char *what, const char *row, int calls)
{
	if (nr_phases == MAX_PHASES) {
		errno = E2BIG;
		die("profile: phases");
	}
	phases[nr_phases].what = what;
	phases[nr_phases].row = row;
	phases[nr_phases++].calls = calls;
}

/*
 * A ping-pong of @rounds round trips in a child, registered for @variant's
 * hook first unless it is NULL: the phase between its two syncs holds the
 * round trips and nothing else.
 */
static void profile_pingpong_child(const char *variant, int rounds)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		if (variant)
			pingpong_register(variant);
		pp_rounds = rounds;
		pingpong_once(true);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("profile: pingpong");
}

/* profile_pingpong_child(), counted as the report's pingpong,@label row. */
static void profile_pingpong(const char *label, const char *variant,
			     int rounds)
{
	profile_next("pingpong", label, rounds);
	profile_next(NULL, NULL, 0);
	profile_pingpong_child(variant, rounds);
}

/*
 * What `make profile` counts, with CPUs 1-3 idle but for the ping-pong:
 *  - a phase of no calls, what every other phase holds besides its calls
 *    (the rest of the sync that starts it), for the report to subtract;
 *  - the scheduler: ping-pong round trips with the module loaded and no
 *    hook attached, attached with no running mm registered, and with the
 *    mm registered for each hook variant;
 *  - CALLS calls of each latency row of each command and of the floors,
 *    with a second thread of ours asleep.
 */
static void run_profile(int fd, int calls)
{
	int ci, k, i;

	if (calls < 1) {
		errno = EINVAL;
		die("profile: CALLS");
	}
	profile_next("empty", "empty", 0);
	sync();
	profile_next(NULL, NULL, 0);
	sync();
	/*
	 * Before anything registers: until then no hook is attached.  A first
	 * ping-pong, not counted, lets the scheduler's state settle: on arm64
	 * the first one in a boot executes 9% fewer instructions than any
	 * after it, hooks or not.
	 */
	profile_next(NULL, NULL, 0);
	profile_next(NULL, NULL, 0);
	profile_pingpong_child(NULL, calls);
	profile_pingpong("loaded", NULL, calls);
	run_attach();
	profile_pingpong("attached-unregistered", NULL, calls);
	profile_pingpong("registered-lazy-tlb-sync", "lazy-tlb-sync", calls);
	profile_pingpong("registered-mm-cid-mb", "mm-cid-mb", calls);

	register_everything(fd);
	sleeper_start();
	/* Warm up every path, so that no run takes its first page faults. */
	for (ci = 0; ci < (int)ARRAY_SIZE(bench_cmds); ci++)
		for (k = 0; k < NR_ROWS; k++)
			for (i = 0; i < 100; i++)
				row_check(k, row_call(fd, k, bench_cmds[ci].cmd));
	for (ci = 0; ci < (int)ARRAY_SIZE(bench_cmds); ci++) {
		/* The floors do not depend on the command: once is enough. */
		bool last = ci == (int)ARRAY_SIZE(bench_cmds) - 1;

		for (k = 0; k < (last ? NR_ROWS : NR_IMPLS); k++) {
			profile_next(k < NR_IMPLS ? bench_cmds[ci].name : "floor",
				     row_name(k), calls);
			sync();
			for (i = 0; i < calls; i++)
				row_check(k, row_call(fd, k, bench_cmds[ci].cmd));
		}
	}
	profile_next(NULL, NULL, 0);
	sync();
	sleeper_stop();
	for (i = 0; i < nr_phases; i++)
		if (phases[i].what)
			printf("profile,%d,%s,%s,%d\n", i + 1, phases[i].what,
			       phases[i].row, phases[i].calls);
	fflush(stdout);
}

#define RSEQ_CPU_THREADS	3

struct rseq_cpu_thread {
	pthread_t t;
	int fd, impl, cpu, calls;
	long long *lat;
};

static pthread_barrier_t rseq_cpu_start;
static atomic_int rseq_cpu_running;

static void *rseq_cpu_issuer(void *arg)
{
	struct rseq_cpu_thread *r = arg;
	int target = r->cpu % RSEQ_CPU_THREADS + 1;
	long long t0;
	int i;

	if (pin_to_cpu(r->cpu))
		return (void *)1;
	pthread_barrier_wait(&rseq_cpu_start);
	for (i = 0; i < r->calls; i++) {
		t0 = now_ns();
		if (mb_issue(r->fd, r->impl, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
			     MEMBARRIER_CMD_FLAG_CPU, target))
			return (void *)1;
		r->lat[i] = now_ns() - t0;
	}
	/* Stay a target until every thread is done. */
	atomic_fetch_sub(&rseq_cpu_running, 1);
	while (atomic_load(&rseq_cpu_running))
		;
	return NULL;
}

/* Concurrent targeted RSEQ from CPUs 1-3, see the comment at the top. */
static void run_rseq_cpu(int fd, int calls)
{
	static const int impls[] = {
		MB_IMPL_SYSCALL, MEMBARRIER_ALT_VARIANT_INTREE,
	};
	struct rseq_cpu_thread th[RSEQ_CPU_THREADS];
	long long *lat, t0, wall, ipis;
	unsigned int i;
	int j, n = RSEQ_CPU_THREADS * calls;
	void *ret;

	if (calls < 1 || pin_to_cpu(0) || sys_register_all())
		die("rseq-cpu: calls/pin/register");
	lat = calloc(n, sizeof(*lat));
	if (!lat)
		die("calloc");
	for (i = 0; i < ARRAY_SIZE(impls); i++) {
		fprintf(stderr, "# progress: rseq-cpu %s\n",
			mb_impl_name(impls[i]));
		pthread_barrier_init(&rseq_cpu_start, NULL,
				     RSEQ_CPU_THREADS + 1);
		atomic_store(&rseq_cpu_running, RSEQ_CPU_THREADS);
		ipis = proc_fcall_ipis(-1);
		for (j = 0; j < RSEQ_CPU_THREADS; j++) {
			th[j] = (struct rseq_cpu_thread){
				.fd = fd, .impl = impls[i], .cpu = j + 1,
				.calls = calls, .lat = lat + j * calls,
			};
			errno = pthread_create(&th[j].t, NULL, rseq_cpu_issuer,
					       &th[j]);
			if (errno)
				die("pthread_create");
		}
		pthread_barrier_wait(&rseq_cpu_start);
		t0 = now_ns();
		for (j = 0; j < RSEQ_CPU_THREADS; j++) {
			pthread_join(th[j].t, &ret);
			if (ret)
				die("rseq-cpu: membarrier");
		}
		wall = now_ns() - t0;
		/*
		 * Both from /proc/interrupts: the module's counters would add
		 * its bookkeeping to the calls timed here.
		 */
		ipis = proc_fcall_ipis(-1) - ipis;
		pthread_barrier_destroy(&rseq_cpu_start);
		qsort(lat, n, sizeof(*lat), cmp_ll);
		printf("rseq-cpu,%s,%d,%d,%lld,%lld,%.1f,%.3f\n",
		       mb_impl_name(impls[i]), RSEQ_CPU_THREADS, calls,
		       lat[n / 2], lat[n * 99 / 100], n * 1e9 / wall,
		       (double)ipis / n);
		fflush(stdout);
	}
	free(lat);
}

static struct sb_litmus sb;

static void run_litmus(int fd, unsigned int iterations)
{
	static const int impls[] = {
		SB_NONE, MB_IMPL_SYSCALL,
		MEMBARRIER_ALT_VARIANT_INTREE,
		MEMBARRIER_ALT_VARIANT_IDLE_FILTER,
		MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC,
		MEMBARRIER_ALT_VARIANT_MM_CID_MB,
	};
	unsigned int next = 1, i;
	char cmd[64];
	int n;

	if (pin_to_cpu(0) || sys_register_all())
		die("pin/register");
	snprintf(cmd, sizeof(cmd), "litmus 2 %lx", (unsigned long)&sb);
	if (kthreads_ctl(cmd))
		die("kthreads ctl");
	for (i = 0; i < ARRAY_SIZE(impls); i++) {
		int impl = impls[i];
		const char *name = impl == SB_NONE ? "none" :
				   mb_impl_name(impl);

		fprintf(stderr, "# progress: litmus %s\n", name);
		n = sb_run(&sb, fd, impl, &next, iterations);
		if (n < 0)
			die(name);
		printf("litmus,%s,%u,%d\n", name, iterations, n);
		fflush(stdout);
	}
	if (kthreads_ctl("stop"))
		die("kthreads ctl stop");
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	int fd;

	if (!strcmp(what, "pingpong") && argc > 2) {
		run_pingpong(argv[2], argc > 3 ? argv[3] : NULL,
			     argc > 4 ? atoi(argv[4]) : 20000);
		return 0;
	}
	if (!strcmp(what, "attach")) {
		run_attach();
		return 0;
	}
	/*
	 * The timed calls go through a file that never asks for the
	 * counters, so that the module does no bookkeeping for them; what
	 * needs counts opens a file of its own (counts_pass()) or asks.
	 */
	fd = alt_open_quiet();
	if (fd < 0)
		die(MEMBARRIER_ALT_DEVICE);
	if (!strcmp(what, "latency")) {
		run_latency(fd, argc > 2 ? atoi(argv[2]) : 2000,
			    argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL);
	} else if (!strcmp(what, "rseq-cpu")) {
		run_rseq_cpu(fd, argc > 2 ? atoi(argv[2]) : 2000);
	} else if (!strcmp(what, "litmus")) {
		run_litmus(fd, argc > 2 ? atoi(argv[2]) : 3000);
	} else if (!strcmp(what, "profile")) {
		run_profile(fd, argc > 2 ? atoi(argv[2]) : 2000);
	} else {
		fprintf(stderr,
			"usage: %s latency [CALLS [SCENARIO [CMD,...]]]\n"
			"       %s pingpong LABEL [VARIANT] [ROUNDS]\n"
			"       %s attach\n"
			"       %s rseq-cpu [CALLS]\n"
			"       %s litmus [ITERATIONS]\n"
			"       %s profile [CALLS]\n",
			argv[0], argv[0], argv[0], argv[0], argv[0], argv[0]);
		return 2;
	}
	close(fd);
	return 0;
}
