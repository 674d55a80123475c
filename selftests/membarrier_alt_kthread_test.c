// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel threads and the variants' targeting, decided by the per-CPU IPI
 * counters.  The test kthreads come from membarrier_alt_kthreads.ko (see
 * kthreads/), loaded by the guest script.
 *
 * Phase 1, with 4 CPUs:
 *   CPU0: the caller;
 *   CPU1: a SCHED_FIFO kthread that preempted a thread of ours, and so
 *         holds our mm lazily (active_mm), with no mm of its own;
 *   CPU2: a SCHED_FIFO kthread inside kthread_use_mm(our mm), storing to
 *         our memory;
 *   CPU3: idle.
 * Phase 2: a kthread with no mm and an unregistered process's lazy mm on
 * CPU3.
 *
 * Then the lazy-tlb-sync hook: which registrations opt an mm in, and that
 * the opt-in is inherited on fork, cleared on exec and has no limit.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "membarrier_alt_litmus.h"
#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define STATUS	"/sys/kernel/debug/membarrier_alt_kthreads/status"
#define CALLS	20

static atomic_int stop;
static unsigned int target;	/* the use_mm kthread stores here */

/* lazy_on_writer and stores of the kthread on @cpu, from the status file. */
static int kthread_status(int cpu, int *lazy, long long *stores)
{
	char kind[16];
	int c, running, l, found = -1;
	long long s;
	FILE *f = fopen(STATUS, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%15s %d %d %d %lld", kind, &c, &running, &l, &s) == 5)
		if (c == cpu && running) {
			*lazy = l;
			*stores = s;
			found = 0;
		}
	fclose(f);
	return found;
}

static void *spin_on_cpu1(void *arg)
{
	if (pin_to_cpu(1))
		return (void *)1;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		;
	return NULL;
}

/* Runs a short-lived other process on @cpu. */
static int run_elsewhere(int cpu)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(pin_to_cpu(cpu) ? 1 : 0);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * A process exec'd by run_unregistered_elsewhere() or exec_round_trip():
 * exec gave it a fresh mm, with no membarrier registration and no opt-in.
 */
static int lazy_round_trip_here(int fd, unsigned int reg_variant, int reg_cmd,
				unsigned int issuer);

__attribute__((constructor)) static void exec_role(void)
{
	const char *role = getenv("MBA_EXEC_ROLE");
	unsigned int issuer;
	int fd;

	if (!role)
		return;
	if (!strcmp(role, "exit"))
		_exit(0);
	if (sscanf(role, "round_trip %u", &issuer) != 1)
		_exit(20);
	fd = alt_open();
	if (fd < 0)
		_exit(21);
	/* SYNC_CORE through intree: the issuer needs a registration. */
	_exit(lazy_round_trip_here(fd, MEMBARRIER_ALT_VARIANT_INTREE,
				   MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
				   issuer));
}

/* Runs a new, never registered process on @cpu: this test exec'd anew. */
static int run_unregistered_elsewhere(int cpu)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (pin_to_cpu(cpu))
			_exit(1);
		setenv("MBA_EXEC_ROLE", "exit", 1);
		execl("/proc/self/exe", "membarrier_alt_kthread_test", NULL);
		_exit(2);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void *sleeper(void *arg)
{
	while (!atomic_load(&stop))
		usleep(1000);
	return NULL;
}

static void log_run(struct __test_metadata *_metadata, int cmd,
		    unsigned int variant, const struct membarrier_alt_stats *st)
{
	TH_LOG("cmd %d variant %u: per-cpu IPIs %llu %llu %llu %llu, skipped idle %llu no_mm %llu other_mm %llu",
	       cmd, variant, st->ipis_per_cpu[0], st->ipis_per_cpu[1],
	       st->ipis_per_cpu[2], st->ipis_per_cpu[3],
	       st->skipped[MEMBARRIER_ALT_SKIP_IDLE],
	       st->skipped[MEMBARRIER_ALT_SKIP_NO_MM],
	       st->skipped[MEMBARRIER_ALT_SKIP_OTHER_MM]);
}

/*
 * CALLS calls of @cmd through @variant.  No CPU of either phase runs a
 * user task of another mm: a private call that found one met another
 * process on CPU3, which the phase keeps free, and is issued again
 * (layout_calls()).  Those calls are logged, and must not have
 * interrupted CPU3: neither variant interrupts another mm's user task.
 * The global command's skip reasons follow the runqueue state: its
 * assertions below hold whatever unregistered process passes on CPU3.
 */
static void run(struct __test_metadata *_metadata, int fd, int cmd,
		unsigned int variant, struct membarrier_alt_stats *st)
{
	struct membarrier_alt_stats in;
	int i, met;

	if (cmd == MEMBARRIER_CMD_GLOBAL_EXPEDITED) {
		ASSERT_EQ(0, alt_stats_reset(fd));
		for (i = 0; i < CALLS; i++)
			ASSERT_EQ(0, alt_membarrier(fd, cmd, 0, -1, variant));
		ASSERT_EQ(0, alt_stats(fd, variant, st));
		log_run(_metadata, cmd, variant, st);
		return;
	}
	met = layout_calls(fd, cmd, 0, -1, variant, CALLS, 0, st, &in);
	ASSERT_LE(0, met)
		TH_LOG("%s", met == -EAGAIN ?
		       "another process never left CPU3" : strerror(-met));
	log_run(_metadata, cmd, variant, st);
	if (!met)
		return;
	TH_LOG("%d calls found another process on CPU3 and were issued again; theirs:",
	       met);
	log_run(_metadata, cmd, variant, &in);
	EXPECT_EQ(0, in.ipis_per_cpu[3]);
}

TEST(kthreads_intree_vs_idle_filter)
{
	unsigned long long fair_runtime[4];
	struct membarrier_alt_stats st;
	char cmd[64];
	long long stores;
	pthread_t t;
	int fd, lazy, cpu;

	NEED_DEVICE(return);
	NEED_ONLINE_CPUS(return, 4);
	NEED_KTHREADS(return);
	fd = alt_open();
	ASSERT_LE(0, fd);
	/* Our preempted thread on CPU1 must not get CPU1 back early. */
	for (cpu = 1; cpu < 4; cpu++)
		ASSERT_EQ(0, fair_server_off(cpu, &fair_runtime[cpu]));
	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(0, sys_register_all());
	/*
	 * We may have started on CPU3: let another process run there last,
	 * so that a kworker passing through CPU3 does not hold our mm.
	 */
	ASSERT_EQ(0, run_elsewhere(3));

	/*
	 * CPU1 may hold our mm lazily from before the registration, if we
	 * started there: our thread would then find its runqueue state stale
	 * (the membarrier_switch_mm() early return, see the targeting test),
	 * and GLOBAL would skip it as unregistered.  Another mm there last
	 * makes the switch to our thread refresh it.
	 */
	ASSERT_EQ(0, run_elsewhere(1));
	/* CPU1: a thread of ours runs there, then a FIFO kthread preempts it. */
	atomic_store(&stop, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, spin_on_cpu1, NULL));
	usleep(50000);
	ASSERT_EQ(0, kthreads_ctl("nomm 1"));
	/* CPU2: a kthread using our mm, storing to `target`. */
	snprintf(cmd, sizeof(cmd), "use_mm 2 %lx", (unsigned long)&target);
	ASSERT_EQ(0, kthreads_ctl(cmd));
	usleep(50000);

	ASSERT_EQ(0, kthread_status(1, &lazy, &stores));
	EXPECT_EQ(1, lazy) TH_LOG("the CPU1 kthread does not hold our mm lazily");
	ASSERT_EQ(0, kthread_status(2, &lazy, &stores));
	EXPECT_LT(0, stores) TH_LOG("the use_mm kthread made no store");
	EXPECT_NE(0, __atomic_load_n(&target, __ATOMIC_RELAXED));

	/* intree: only the kthread_use_mm() one runs "our mm". */
	run(_metadata, fd, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
	    MEMBARRIER_ALT_VARIANT_INTREE, &st);
	EXPECT_EQ(0, st.ipis_per_cpu[1]);
	EXPECT_EQ(CALLS, st.ipis_per_cpu[2]);
	EXPECT_EQ(0, st.ipis_per_cpu[3]);
	/*
	 * CPU1 is skipped as a kthread without mm; CPU3 as idle, or as a
	 * passing unrelated kworker, also without mm.
	 */
	EXPECT_LE(CALLS, st.skipped[MEMBARRIER_ALT_SKIP_NO_MM]);
	EXPECT_EQ(2 * CALLS, st.skipped[MEMBARRIER_ALT_SKIP_IDLE] +
			     st.skipped[MEMBARRIER_ALT_SKIP_NO_MM]);

	/* idle-filter: the lazy holder is covered too; idle is not. */
	run(_metadata, fd, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
	    MEMBARRIER_ALT_VARIANT_IDLE_FILTER, &st);
	EXPECT_EQ(CALLS, st.ipis_per_cpu[1]);
	EXPECT_EQ(CALLS, st.ipis_per_cpu[2]);
	EXPECT_EQ(0, st.ipis_per_cpu[3]);
	/* CPU3 is skipped as idle, or as a passing unrelated kworker. */
	EXPECT_LE(CALLS, st.skipped[MEMBARRIER_ALT_SKIP_IDLE] +
			 st.skipped[MEMBARRIER_ALT_SKIP_NO_MM]);
	TH_LOG("idle-filter: %llu targets whose lazy mm was not yet known",
	       st.lazy_unknown);
	EXPECT_LE(st.lazy_unknown, st.ipis + st.local);

	/*
	 * GLOBAL: CPU1's runqueue keeps our registered state while the
	 * kthread holds our mm lazily.  intree skips it (no mm); idle-filter,
	 * which only replaces that test with "is the idle task", covers it.
	 */
	run(_metadata, fd, MEMBARRIER_CMD_GLOBAL_EXPEDITED,
	    MEMBARRIER_ALT_VARIANT_INTREE, &st);
	EXPECT_EQ(0, st.ipis_per_cpu[1]);
	EXPECT_EQ(CALLS, st.ipis_per_cpu[2]);
	EXPECT_EQ(0, st.ipis_per_cpu[3]);
	EXPECT_LE(CALLS, st.skipped[MEMBARRIER_ALT_SKIP_NO_MM]);
	run(_metadata, fd, MEMBARRIER_CMD_GLOBAL_EXPEDITED,
	    MEMBARRIER_ALT_VARIANT_IDLE_FILTER, &st);
	EXPECT_EQ(CALLS, st.ipis_per_cpu[1]);
	EXPECT_EQ(CALLS, st.ipis_per_cpu[2]);
	EXPECT_EQ(0, st.ipis_per_cpu[3]);
	EXPECT_EQ(0, st.skipped[MEMBARRIER_ALT_SKIP_NO_MM]);

	ASSERT_EQ(0, kthreads_ctl("stop"));
	atomic_store(&stop, 1);
	pthread_join(t, NULL);

	/*
	 * Phase 2: a process that never registered (exec'd anew) runs on
	 * CPU3 last, then a kthread with no mm starts there, lazily holding
	 * that process's mm, on a runqueue whose state is not registered.
	 */
	/* A second thread of ours keeps PRIVATE off its one-thread shortcut. */
	atomic_store(&stop, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, sleeper, NULL));
	ASSERT_EQ(0, run_unregistered_elsewhere(3));
	ASSERT_EQ(0, kthreads_ctl("nomm 3"));
	usleep(50000);
	ASSERT_EQ(0, kthread_status(3, &lazy, &stores));
	EXPECT_EQ(0, lazy);

	/* PRIVATE: an unrelated kthread is nobody's target. */
	run(_metadata, fd, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
	    MEMBARRIER_ALT_VARIANT_INTREE, &st);
	EXPECT_EQ(0, st.ipis_per_cpu[3]);
	run(_metadata, fd, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
	    MEMBARRIER_ALT_VARIANT_IDLE_FILTER, &st);
	EXPECT_EQ(0, st.ipis_per_cpu[3]);
	EXPECT_LE(CALLS, st.skipped[MEMBARRIER_ALT_SKIP_NO_MM]);

	/*
	 * GLOBAL: the kthread runs on a runqueue that is not registered.
	 * Both keep the registration filter, so neither interrupts it.
	 */
	run(_metadata, fd, MEMBARRIER_CMD_GLOBAL_EXPEDITED,
	    MEMBARRIER_ALT_VARIANT_INTREE, &st);
	EXPECT_EQ(0, st.ipis_per_cpu[3]);
	run(_metadata, fd, MEMBARRIER_CMD_GLOBAL_EXPEDITED,
	    MEMBARRIER_ALT_VARIANT_IDLE_FILTER, &st);
	EXPECT_EQ(0, st.ipis_per_cpu[3]);
	EXPECT_LE(CALLS, st.skipped[MEMBARRIER_ALT_SKIP_NOT_REGISTERED]);

	ASSERT_EQ(0, kthreads_ctl("stop"));
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	for (cpu = 1; cpu < 4; cpu++)
		fair_server_restore(cpu, fair_runtime[cpu]);
	close(fd);
}

static atomic_uint issue_variant;

/* Issues SYNC_CORE for our mm from CPU0 until told to stop. */
static void *sync_core_issuer(void *arg)
{
	long calls = 0;

	if (pin_to_cpu(0))
		return (void *)-1L;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (alt_membarrier(*(int *)arg,
				   MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
				   0, -1, atomic_load(&issue_variant)))
			return (void *)-1L;
		calls++;
	}
	return (void *)calls;
}

/* A registration a round trip's process issues before its round trip. */
struct reg {
	unsigned int variant;
	int cmd;
};

/*
 * user -> kthread -> user on CPU1, in this process, as in the scenario at
 * membarrier_exit_lazy_tlb() in finish_task_switch(), while a thread of
 * this process issues SYNC_CORE with @issuer from CPU0 the whole time.
 * The process first issues @nregs registrations.  Returns 0, or a code
 * that says what failed.
 */
static int lazy_round_trip_regs(int fd, const struct reg *regs, int nregs,
				unsigned int issuer)
{
	pthread_t t, is;
	void *calls;
	int i;

	for (i = 0; i < nregs; i++)
		if (alt_membarrier(fd, regs[i].cmd, 0, 0, regs[i].variant))
			return 10;
	atomic_store(&stop, 0);
	atomic_store(&issue_variant, issuer);
	if (pthread_create(&t, NULL, spin_on_cpu1, NULL))
		return 11;
	usleep(50000);
	if (pthread_create(&is, NULL, sync_core_issuer, &fd))
		return 11;
	/* The kthread preempts our thread: it holds our mm lazily... */
	if (kthreads_ctl("nomm 1"))
		return 12;
	usleep(50000);
	/* ...and on stop CPU1 goes back to our thread, same mm. */
	if (kthreads_ctl("stop"))
		return 13;
	usleep(50000);
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	pthread_join(is, &calls);
	return (long)calls > 0 ? 0 : 14;
}

static int lazy_round_trip_here(int fd, unsigned int reg_variant, int reg_cmd,
				unsigned int issuer)
{
	struct reg r = { reg_variant, reg_cmd };

	return lazy_round_trip_regs(fd, &r, 1, issuer);
}

static int wait_child(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* lazy_round_trip_regs() in a child process. */
static int lazy_round_trip(int fd, const struct reg *regs, int nregs,
			   unsigned int issuer)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(lazy_round_trip_regs(fd, regs, nregs, issuer));
	return wait_child(pid);
}

static void *run_briefly(void *arg)
{
	if (pin_to_cpu(1))
		return (void *)1;
	usleep(1000);
	return NULL;
}

/*
 * Makes CPU1 drop the mm it holds lazily, the last round's: a round's
 * process exits on CPU1, whose idle task keeps its mm lazily, and the
 * next task that runs there exits that lazy mm, which calls the hook
 * for it if it had opted in.  One of our threads running on CPU1 does
 * that now, before the counters are reset for the next round.
 */
static int flush_cpu1_lazy_mm(void)
{
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, run_briefly, NULL) ||
	    pthread_join(t, &ret))
		return -1;
	return ret ? -1 : 0;
}

/* The lazy-tlb-sync counters of the round trip @run performs. */
#define HOOK_RUN(fd, st, run) ({					\
	int __ret = flush_cpu1_lazy_mm() || alt_stats_reset(fd) ? -1 : (run); \
	if (!__ret)							\
		__ret = alt_stats(fd, MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC, st); \
	__ret;								\
})

static const struct reg sync_core_lazy = {
	MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE };
static const struct reg sync_core_intree = {
	MEMBARRIER_ALT_VARIANT_INTREE,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE };

/*
 * The hook serializes for an mm registered for SYNC_CORE through
 * lazy-tlb-sync, and never for one that is not, whatever variant issues
 * the concurrent SYNC_CORE: hook_barriers counts the hook alone, while the
 * SYNC_CORE handlers' serializations go to the issuer's serialized.  The
 * other registrations issued through lazy-tlb-sync do not opt in.  The
 * round trip exercises the finish_task_switch() site, where the hook's
 * serialization is, on x86, a second one after in-tree's
 * membarrier_mm_sync_core_before_usermode() (hence the name); on arm64 and
 * powerpc the hook issues nothing (the return to user space is context
 * synchronizing) and hook_barriers counts its decision.  The site in-tree
 * does not cover, kthread_use_mm() of the lazily held mm followed by a
 * direct switch to a user thread of it, is left to its own test.
 */
TEST(lazy_tlb_sync_second_sync_at_finish_task_switch_opt_in_only)
{
	static const struct reg other_lazy[][2] = {
		{ { MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED },
		  sync_core_intree },
		{ { MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC,
		    MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED },
		  sync_core_intree },
		{ { MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ },
		  sync_core_intree },
	};
	struct membarrier_alt_stats hook, issued;
	unsigned int v, i;
	int fd, reg;

	NEED_DEVICE(return);
	NEED_KTHREADS(return);
	ASSERT_EQ(0, pin_to_cpu(0));
	fd = alt_open();
	ASSERT_LE(0, fd);

	for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++) {
		for (reg = 1; reg >= 0; reg--) {
			ASSERT_EQ(0, HOOK_RUN(fd, &hook,
				lazy_round_trip(fd, reg ? &sync_core_lazy :
						&sync_core_intree, 1, v)));
			ASSERT_EQ(0, alt_stats(fd, v, &issued));
			TH_LOG("SYNC_CORE by %s, mm %sopted in: hooks %llu, hook serializations %llu; %llu calls, handler serializations %llu",
			       mb_variant_names[v], reg ? "" : "not ", hook.hooks,
			       hook.hook_barriers, issued.calls,
			       issued.serialized);
			/*
			 * The kernel called the hook iff the mm opted in
			 * (membarrier_mm_hooked()), and then it serialized...
			 */
			EXPECT_EQ(reg, hook.hooks > 0);
			EXPECT_EQ(reg, hook.hook_barriers > 0);
			/* ...on CPU1, where the lazy mm became ours again. */
			EXPECT_EQ(reg, hook.hooks_per_cpu[1] > 0);
			EXPECT_EQ(reg, hook.hook_barriers_per_cpu[1] > 0);
			EXPECT_LE(hook.hook_barriers, hook.hooks);
			/* The concurrent SYNC_CORE ran its handlers. */
			EXPECT_LT(0, issued.calls);
			EXPECT_LE(issued.calls, issued.serialized);
		}
	}
	for (i = 0; i < ARRAY_SIZE(other_lazy); i++) {
		ASSERT_EQ(0, HOOK_RUN(fd, &hook,
			lazy_round_trip(fd, other_lazy[i], 2,
					MEMBARRIER_ALT_VARIANT_INTREE)));
		TH_LOG("REGISTER cmd %d through lazy-tlb-sync, SYNC_CORE through intree: hooks %llu, hook serializations %llu",
		       other_lazy[i][0].cmd, hook.hooks, hook.hook_barriers);
		/* Not an opt-in: the kernel never called the hook. */
		EXPECT_EQ(0, hook.hooks);
		EXPECT_EQ(0, hook.hook_barriers);
	}
	close(fd);
}

/*
 * In a child that opts in through lazy-tlb-sync, runs @then; returns the
 * child's exit status, or the first error.  @hook gets the lazy-tlb-sync
 * counters of the whole run.
 */
static int after_opt_in(int fd, int (*then)(int fd),
			struct membarrier_alt_stats *hook)
{
	pid_t pid;
	int ret;

	if (flush_cpu1_lazy_mm() || alt_stats_reset(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (alt_membarrier(fd, sync_core_lazy.cmd, 0, 0,
				   sync_core_lazy.variant))
			_exit(30);
		_exit(then(fd));
	}
	ret = wait_child(pid);
	return ret ? ret :
	       alt_stats(fd, MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC, hook);
}

/* A round trip in a forked child that registers nothing itself. */
static int round_trip_in_child(int fd)
{
	return lazy_round_trip(fd, NULL, 0, MEMBARRIER_ALT_VARIANT_INTREE);
}

/* A round trip after exec, see exec_role(). */
static int round_trip_after_exec(int fd)
{
	char role[32];

	snprintf(role, sizeof(role), "round_trip %u",
		 MEMBARRIER_ALT_VARIANT_INTREE);
	setenv("MBA_EXEC_ROLE", role, 1);
	execl("/proc/self/exe", "membarrier_alt_kthread_test", NULL);
	return 31;
}

/*
 * The opt-in is inherited on fork, as the in-tree registration is: the
 * child of an opted-in process is serialized without registering.
 */
TEST(lazy_tlb_sync_opt_in_is_inherited_on_fork)
{
	struct membarrier_alt_stats hook;
	int fd;

	NEED_DEVICE(return);
	NEED_KTHREADS(return);
	ASSERT_EQ(0, pin_to_cpu(0));
	fd = alt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, after_opt_in(fd, round_trip_in_child, &hook));
	TH_LOG("forked child of an opted-in process: hooks %llu, hook serializations %llu",
	       hook.hooks, hook.hook_barriers);
	EXPECT_LE(1, hook.hooks_per_cpu[1]);
	EXPECT_LT(0, hook.hook_barriers_per_cpu[1]);
	close(fd);
}

/*
 * The opt-in is cleared on exec, as the in-tree registration is: the
 * process exec'd by an opted-in one registers SYNC_CORE through intree
 * only, and is not serialized by the hook.
 */
TEST(lazy_tlb_sync_opt_in_is_cleared_on_exec)
{
	struct membarrier_alt_stats hook;
	int fd;

	NEED_DEVICE(return);
	NEED_KTHREADS(return);
	ASSERT_EQ(0, pin_to_cpu(0));
	fd = alt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, after_opt_in(fd, round_trip_after_exec, &hook));
	TH_LOG("exec'd by an opted-in process: on CPU1 hooks %llu, hook serializations %llu",
	       hook.hooks_per_cpu[1], hook.hook_barriers_per_cpu[1]);
	/*
	 * CPU1 only: before its exec, the opted-in process itself went
	 * through lazy round trips on CPU0 (blocking in exec's I/O), which
	 * the hook rightly serialized.  After exec the mm has no opt-in bit,
	 * and the kernel does not even call the hook.
	 */
	EXPECT_EQ(0, hook.hooks_per_cpu[1]);
	EXPECT_EQ(0, hook.hook_barriers_per_cpu[1]);
	close(fd);
}

#define MANY_MMS	200

/*
 * Any number of mms opt in at once (the module kept a table of 64), and
 * each registration through lazy-tlb-sync is the in-tree registration:
 * the syscall's GET_REGISTRATIONS shows it.
 */
TEST(lazy_tlb_sync_opt_in_has_no_limit)
{
	int ready[2], hold[2], ok = 0, failed = 0, i, fd;
	pid_t pids[MANY_MMS];
	char r;

	NEED_DEVICE(return);
	fd = alt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(hold));
	for (i = 0; i < MANY_MMS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int ret, regs;

			close(hold[1]);
			ret = alt_membarrier(fd, sync_core_lazy.cmd, 0, 0,
					     sync_core_lazy.variant);
			regs = sys_membarrier(MEMBARRIER_CMD_GET_REGISTRATIONS,
					      0, 0);
			r = !ret && regs >= 0 &&
			    (regs & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE) ?
				'y' : 'n';
			if (write(ready[1], &r, 1) != 1)
				_exit(1);
			/* Stay registered until every process has. */
			if (read(hold[0], &r, 1) < 0)
				_exit(1);
			_exit(0);
		}
	}
	close(hold[0]);
	for (i = 0; i < MANY_MMS; i++) {
		ASSERT_EQ(1, read(ready[0], &r, 1));
		if (r == 'y')
			ok++;
		else
			failed++;
	}
	close(hold[1]);
	for (i = 0; i < MANY_MMS; i++)
		EXPECT_EQ(0, wait_child(pids[i]));
	TH_LOG("%d live processes opted in at once: %d registered and opted in, %d failed",
	       MANY_MMS, ok, failed);
	EXPECT_EQ(MANY_MMS, ok);
	close(fd);
}

/* A registration that fails leaves no registration behind. */
TEST(lazy_tlb_sync_failed_opt_in_leaves_nothing)
{
	pid_t pid;
	int fd;

	NEED_DEVICE(return);
	fd = alt_open();
	ASSERT_LE(0, fd);
	pid = fork();
	if (pid == 0) {
		/* Registration takes no flags. */
		if (alt_membarrier(fd, sync_core_lazy.cmd, 1, 0,
				   sync_core_lazy.variant) != -1 ||
		    errno != EINVAL)
			_exit(1);
		_exit(sys_membarrier(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0) ?
		      2 : 0);
	}
	EXPECT_EQ(0, wait_child(pid));
	close(fd);
}

static pthread_barrier_t both_pinned;

static void *yielder(void *arg)
{
	int i;

	if (pin_to_cpu(1))
		return (void *)1;
	pthread_barrier_wait(&both_pinned);
	for (i = 0; i < 1000; i++)
		sched_yield();
	return NULL;
}

/* Context switches of our threads on one CPU, in a child process. */
static int switch_round(int fd, unsigned int reg_variant)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		pthread_t a, b;

		if (alt_membarrier(fd, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
				   0, 0, reg_variant))
			_exit(10);
		pthread_barrier_init(&both_pinned, NULL, 2);
		if (pthread_create(&a, NULL, yielder, NULL) ||
		    pthread_create(&b, NULL, yielder, NULL))
			_exit(11);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * mm-cid-mb issues option A's barrier (fe90f3967bdb) on the switches of an
 * opted-in mm and on no other: the yielders switch user to user within
 * their mm, where the barrier is smp_mb__after_switch_mm() (a no-op on
 * x86, counted all the same).
 */
TEST(mm_cid_mb_barriers_registered_mms_only)
{
	struct membarrier_alt_stats st;
	int fd;

	NEED_DEVICE(return);
	fd = alt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, alt_stats_reset(fd));
	ASSERT_EQ(0, switch_round(fd, MEMBARRIER_ALT_VARIANT_MM_CID_MB));
	ASSERT_EQ(0, alt_stats(fd, MEMBARRIER_ALT_VARIANT_MM_CID_MB, &st));
	TH_LOG("registered: mm_cid hooks %llu, barriers %llu", st.hooks,
	       st.hook_barriers);
	/* Two threads yielding 1000 times each on one CPU switch >= 1000 times. */
	EXPECT_LE(1000, st.hook_barriers);
	EXPECT_LE(st.hook_barriers, st.hooks);
	/* The yielders are pinned to CPU1: that is where the barriers ran. */
	EXPECT_LE(1000, st.hook_barriers_per_cpu[1]);

	ASSERT_EQ(0, alt_stats_reset(fd));
	ASSERT_EQ(0, switch_round(fd, MEMBARRIER_ALT_VARIANT_INTREE));
	ASSERT_EQ(0, alt_stats(fd, MEMBARRIER_ALT_VARIANT_MM_CID_MB, &st));
	TH_LOG("unregistered: mm_cid hooks %llu, barriers %llu", st.hooks,
	       st.hook_barriers);
	/* No opt-in bit: the kernel never called the hook. */
	EXPECT_EQ(0, st.hooks);
	EXPECT_EQ(0, st.hook_barriers);
	close(fd);
}

static struct sb_litmus sb;

#define SB_ITERATIONS	3000

TEST(sb_litmus_kthread_use_mm)
{
	unsigned int next = 1;
	char cmd[64];
	int fd, n_intree, n_idle, n_control;

	NEED_DEVICE(return);
	NEED_KTHREADS(return);
	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(0, sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
				    0, 0));
	fd = alt_open();
	ASSERT_LE(0, fd);
	snprintf(cmd, sizeof(cmd), "litmus 2 %lx", (unsigned long)&sb);
	ASSERT_EQ(0, kthreads_ctl(cmd));

	n_control = sb_run(&sb, fd, SB_NONE, &next, SB_ITERATIONS);
	n_intree = sb_run(&sb, fd, MEMBARRIER_ALT_VARIANT_INTREE, &next,
			  SB_ITERATIONS);
	n_idle = sb_run(&sb, fd, MEMBARRIER_ALT_VARIANT_IDLE_FILTER, &next,
			SB_ITERATIONS);
	ASSERT_EQ(0, kthreads_ctl("stop"));
	close(fd);

	TH_LOG("store buffering vs a kthread_use_mm() writer, %d iterations each: forbidden outcomes: no membarrier %d, intree %d, idle-filter %d",
	       SB_ITERATIONS, n_control, n_intree, n_idle);
	ASSERT_LE(0, n_control);
	/* Both interrupt a kthread inside kthread_use_mm() of our mm. */
	EXPECT_EQ(0, n_intree);
	EXPECT_EQ(0, n_idle);
}

TEST_HARNESS_MAIN
