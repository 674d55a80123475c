// SPDX-License-Identifier: GPL-2.0
/*
 * Which CPUs each expedited command interrupts, decided by the module's
 * per-CPU counters rather than by timing.
 *
 * Layout, on a guest with at least 4 CPUs:
 *   CPU0: the caller;
 *   CPU1: a busy thread of the caller's process;
 *   CPU2: a busy thread of another process;
 *   CPU3: idle.
 * Busy threads run SCHED_FIFO so that nothing else becomes rq->curr there
 * while the commands sample it.
 *
 * The check guests also have CPUs past the first cpumask word, possible
 * but offline (qemu/check.config): one test brings the last of them up.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define CPU_CALLER	0
#define CPU_OURS	1
#define CPU_OTHER	2
#define CPU_IDLE	3
#define CALLS		20

static atomic_int stop;
static atomic_int running;

static int make_fifo(void)
{
	struct sched_param sp = { .sched_priority = 10 };

	return sched_setscheduler(0, SCHED_FIFO, &sp);
}

struct busy_arg {
	long cpu;
	int register_all;
};

/*
 * A busy thread of the caller's process on CPU @arg->cpu, SCHED_FIFO.
 * With @arg->register_all it first registers the process for everything,
 * from that CPU and before it spins, which does two things:
 *  - the registration's IPI finds it running there and updates that CPU's
 *    rq->membarrier_state.  A thread that only starts afterwards on a CPU
 *    whose idle task lazily holds our mm would find the state stale, as
 *    membarrier_switch_mm() skips the update when prev->active_mm is the
 *    next task's mm;
 *  - the registration's synchronize_rcu() waits while nothing spins
 *    there.  A FIFO spinner starves the CFS tasks queued on its CPU once
 *    the fair server is off, or on a CPU that has none (far_cpu's): when
 *    the RCU grace-period kthread was one of them, an arm64 guest's
 *    registration waited for it until the test timed out.
 */
static void *busy(void *arg)
{
	const struct busy_arg *a = arg;
	int ok = !pin_to_cpu(a->cpu) &&
		 (!a->register_all || !sys_register_all()) && !make_fifo();

	/* busy_start() returns once this is set: @a is gone. */
	atomic_store(&running, ok ? 1 : -1);
	if (!ok)
		return (void *)1;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		;
	return NULL;
}

/*
 * Starts busy() on @cpu in *@t, registering first with @register_all, and
 * waits until it spins; 0, or -1 if it could not start or set itself up.
 */
static int busy_start(pthread_t *t, long cpu, int register_all)
{
	struct busy_arg a = { .cpu = cpu, .register_all = register_all };

	atomic_store(&stop, 0);
	atomic_store(&running, 0);
	if (pthread_create(t, NULL, busy, &a))
		return -1;
	while (!atomic_load(&running))
		usleep(1000);
	if (atomic_load(&running) > 0)
		return 0;
	pthread_join(*t, NULL);
	return -1;
}

/* Stops and joins a busy thread that busy_start() started; clears *@on. */
static void busy_stop(pthread_t t, int *on)
{
	if (!*on)
		return;
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	*on = 0;
}

/*
 * The other process: on CPU_OTHER, SCHED_FIFO, optionally registered for
 * GLOBAL_EXPEDITED from there (a single-threaded registration updates only
 * its own CPU's rq->membarrier_state).  It stops itself before it spins:
 * SIGCONT starts it once our registration is done (see busy()).
 */
static pid_t spawn_other(int register_global)
{
	int ready[2], status;
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (pin_to_cpu(CPU_OTHER))
			_exit(1);
		if (register_global &&
		    sys_membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0))
			_exit(1);
		if (make_fifo() || write(ready[1], "r", 1) != 1)
			_exit(1);
		raise(SIGSTOP);
		for (;;)
			;
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1 ||
	    waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

FIXTURE(layout) {
	int fd;
	pid_t other;
	pthread_t ours;
	int ours_running;
	unsigned long long fair_runtime[2];
	struct membarrier_alt_stats st;
};

FIXTURE_VARIANT(layout) {
	int other_registered;
};

FIXTURE_VARIANT_ADD(layout, other_unregistered) { .other_registered = 0 };
FIXTURE_VARIANT_ADD(layout, other_registered) { .other_registered = 1 };

FIXTURE_SETUP(layout)
{
	NEED_DEVICE(return);
	NEED_ONLINE_CPUS(return, 4);
	self->other = -1;
	self->ours_running = 0;
	self->fd = alt_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, pin_to_cpu(CPU_CALLER));
	ASSERT_EQ(0, fair_server_off(CPU_OURS, &self->fair_runtime[0]));
	ASSERT_EQ(0, fair_server_off(CPU_OTHER, &self->fair_runtime[1]));
	/*
	 * Order matters.  The other process is forked first: registration
	 * is inherited across fork.  Our busy thread registers us from
	 * CPU_OURS (see busy()), and the other process spins only after
	 * that, so that no spinner starves our registration.
	 */
	self->other = spawn_other(variant->other_registered);
	ASSERT_LT(0, self->other);
	ASSERT_EQ(0, busy_start(&self->ours, CPU_OURS, 1));
	self->ours_running = 1;
	ASSERT_EQ(0, kill(self->other, SIGCONT));
	/* Let CPU_IDLE settle into its idle task. */
	usleep(100000);
	ASSERT_EQ(0, alt_stats_reset(self->fd));
}

FIXTURE_TEARDOWN(layout)
{
	busy_stop(self->ours, &self->ours_running);
	if (self->other > 0) {
		kill(self->other, SIGKILL);
		waitpid(self->other, NULL, 0);
	}
	fair_server_restore(CPU_OURS, self->fair_runtime[0]);
	fair_server_restore(CPU_OTHER, self->fair_runtime[1]);
	close(self->fd);
}

/* CALLS calls through @variant; 0, or -errno of the first that failed. */
static int issue_variant(int fd, int cmd, unsigned int flags, int cpu,
			 unsigned int variant)
{
	int i;

	for (i = 0; i < CALLS; i++)
		if (alt_membarrier(fd, cmd, flags, cpu, variant))
			return -errno;
	return 0;
}

static int issue(int fd, int cmd, unsigned int flags, int cpu)
{
	return issue_variant(fd, cmd, flags, cpu,
			     MEMBARRIER_ALT_VARIANT_INTREE);
}

static void log_stats(struct __test_metadata *_metadata,
		      const struct membarrier_alt_stats *st)
{
	TH_LOG("calls %llu ipis %llu local %llu serialized %llu per-cpu %llu %llu %llu %llu skipped self %llu idle %llu no_mm %llu other_mm %llu not_reg %llu offline %llu",
	       st->calls, st->ipis, st->local, st->serialized,
	       st->ipis_per_cpu[0], st->ipis_per_cpu[1],
	       st->ipis_per_cpu[2], st->ipis_per_cpu[3],
	       st->skipped[MEMBARRIER_ALT_SKIP_SELF],
	       st->skipped[MEMBARRIER_ALT_SKIP_IDLE],
	       st->skipped[MEMBARRIER_ALT_SKIP_NO_MM],
	       st->skipped[MEMBARRIER_ALT_SKIP_OTHER_MM],
	       st->skipped[MEMBARRIER_ALT_SKIP_NOT_REGISTERED],
	       st->skipped[MEMBARRIER_ALT_SKIP_OFFLINE]);
}

/* Every sampled CPU is accounted for exactly once per call. */
static unsigned long long accounted(const struct membarrier_alt_stats *st)
{
	unsigned long long n = st->ipis + st->local;
	int i;

	for (i = 0; i < MEMBARRIER_ALT_SKIP_NR; i++)
		n += st->skipped[i];
	return n;
}

/*
 * CALLS calls of the private @cmd through intree, each of which skipped
 * @other_mm CPUs as running another mm: the layout's CPU_OTHER, where
 * @cpu (FLAG_CPU) or the full mask samples it.  Calls that found another
 * process on a free CPU are issued again (layout_calls()); they are
 * logged, and they must not have interrupted it either, as no process of
 * ours runs there.
 */
static void private_calls(struct __test_metadata *_metadata, int fd, int cmd,
			  unsigned int flags, int cpu,
			  unsigned long long other_mm,
			  struct membarrier_alt_stats *st)
{
	struct membarrier_alt_stats in;
	int met;

	met = layout_calls(fd, cmd, flags, cpu, MEMBARRIER_ALT_VARIANT_INTREE,
			   CALLS, other_mm, st, &in);
	ASSERT_LE(0, met)
		TH_LOG("%s", met == -EAGAIN ?
		       "another process never left the free CPUs" :
		       strerror(-met));
	log_stats(_metadata, st);
	if (!met)
		return;
	TH_LOG("%d calls found another process on a free CPU and were issued again; theirs:",
	       met);
	log_stats(_metadata, &in);
	EXPECT_EQ(0, in.ipis_per_cpu[CPU_OTHER]);
	EXPECT_EQ(0, in.ipis_per_cpu[CPU_IDLE]);
}

TEST_F(layout, private_expedited)
{
	struct membarrier_alt_stats *st = &self->st;
	int ncpu = sysconf(_SC_NPROCESSORS_CONF);

	private_calls(_metadata, self->fd, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
		      0, -1, 1, st);
	EXPECT_EQ(CALLS, st->calls);
	EXPECT_EQ(0, st->ipis_per_cpu[CPU_CALLER]);
	EXPECT_EQ(CALLS, st->ipis_per_cpu[CPU_OURS]);
	EXPECT_EQ(0, st->ipis_per_cpu[CPU_OTHER]);
	EXPECT_EQ(0, st->ipis_per_cpu[CPU_IDLE]);
	EXPECT_EQ(CALLS, st->ipis);
	EXPECT_EQ(0, st->local);
	/* The caller's own CPU is in the mask, and left to its barriers. */
	EXPECT_EQ(CALLS, st->skipped[MEMBARRIER_ALT_SKIP_SELF]);
	EXPECT_EQ(CALLS, st->skipped[MEMBARRIER_ALT_SKIP_OTHER_MM]);
	/*
	 * CPU_IDLE, and any CPU online past the layout, may be running a
	 * kworker when sampled: skipped as idle or as a kernel thread
	 * without mm, never interrupted.
	 */
	EXPECT_EQ((unsigned long long)CALLS * (sysconf(_SC_NPROCESSORS_ONLN) - 3),
		  st->skipped[MEMBARRIER_ALT_SKIP_IDLE] +
		  st->skipped[MEMBARRIER_ALT_SKIP_NO_MM]);
	EXPECT_EQ((unsigned long long)CALLS * ncpu, accounted(st));
}

/*
 * The private flavours interrupt CPU_OURS only; SYNC_CORE also runs its
 * handler on the caller's own CPU.
 */
static void check_private(struct __test_metadata *_metadata, int fd, int cmd,
			  unsigned long long local)
{
	struct membarrier_alt_stats st;

	private_calls(_metadata, fd, cmd, 0, -1, 1, &st);
	EXPECT_EQ(CALLS, st.ipis_per_cpu[CPU_OURS]);
	EXPECT_EQ(0, st.ipis_per_cpu[CPU_OTHER]);
	EXPECT_EQ(0, st.ipis_per_cpu[CPU_IDLE]);
	EXPECT_EQ(CALLS, st.ipis);
	EXPECT_EQ(local, st.local);
	EXPECT_EQ(local ? 0 : CALLS, st.skipped[MEMBARRIER_ALT_SKIP_SELF]);
	/* The arch's serialization ran wherever the SYNC_CORE handler did. */
	EXPECT_EQ(cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE ?
		  st.ipis + st.local : 0, st.serialized);
}

TEST_F(layout, private_expedited_sync_core)
{
	check_private(_metadata, self->fd,
		      MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, CALLS);
}

TEST_F(layout, private_expedited_rseq)
{
	check_private(_metadata, self->fd,
		      MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0);
}

/* FLAG_CPU interrupts its CPU only, and only when it runs our mm. */
TEST_F(layout, rseq_flag_cpu)
{
	struct membarrier_alt_stats *st = &self->st;
	int cpu;

	for (cpu = 0; cpu < 4; cpu++) {
		TH_LOG("FLAG_CPU cpu_id=%d", cpu);
		private_calls(_metadata, self->fd,
			      MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
			      MEMBARRIER_CMD_FLAG_CPU, cpu,
			      cpu == CPU_OTHER, st);
		EXPECT_EQ(cpu == CPU_OURS ? CALLS : 0, st->ipis_per_cpu[CPU_OURS]);
		EXPECT_EQ(0, st->ipis_per_cpu[CPU_OTHER]);
		EXPECT_EQ(0, st->ipis_per_cpu[CPU_IDLE]);
		EXPECT_EQ(cpu == CPU_OURS ? CALLS : 0, st->ipis);
		/* The caller's own CPU runs the handler locally, as in-tree. */
		EXPECT_EQ(cpu == CPU_CALLER ? CALLS : 0, st->local);
		if (cpu == CPU_OTHER)
			EXPECT_EQ(CALLS, st->skipped[MEMBARRIER_ALT_SKIP_OTHER_MM]);
		if (cpu == CPU_IDLE)
			EXPECT_EQ(CALLS, st->skipped[MEMBARRIER_ALT_SKIP_IDLE] +
					 st->skipped[MEMBARRIER_ALT_SKIP_NO_MM]);
	}
}

TEST_F(layout, global_expedited)
{
	struct membarrier_alt_stats *st = &self->st;

	ASSERT_EQ(0, issue(self->fd, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, -1));
	ASSERT_EQ(0, alt_stats(self->fd, MEMBARRIER_ALT_VARIANT_INTREE, st));
	log_stats(_metadata, st);
	EXPECT_EQ(0, st->ipis_per_cpu[CPU_CALLER]);
	EXPECT_EQ(CALLS, st->ipis_per_cpu[CPU_OURS]);
	EXPECT_EQ(variant->other_registered ? CALLS : 0,
		  st->ipis_per_cpu[CPU_OTHER]);
	EXPECT_EQ(0, st->ipis_per_cpu[CPU_IDLE]);
	EXPECT_EQ(CALLS, st->skipped[MEMBARRIER_ALT_SKIP_SELF]);
	if (!variant->other_registered)
		EXPECT_LE(CALLS, st->skipped[MEMBARRIER_ALT_SKIP_NOT_REGISTERED]);
	/* The idle CPU is skipped as idle or as unregistered, by rq state. */
	EXPECT_EQ((unsigned long long)CALLS * sysconf(_SC_NPROCESSORS_CONF),
		  accounted(st));
}

/*
 * A thread of a process registered for GLOBAL_EXPEDITED, started after the
 * registration on a CPU whose idle task still holds the process's mm
 * lazily from before it.  Registration updates rq->membarrier_state only
 * on CPUs whose current task uses the mm (not where it is a lazy
 * active_mm), and membarrier_switch_mm() skips the update when
 * prev->active_mm already is the next task's mm: the CPU keeps a stale
 * state and GLOBAL_EXPEDITED skips the registered thread.  Whether the
 * lazy mm survives until then is up to the architecture (powerpc radix
 * shoots lazy mms down on flushes).  Either way the intree variant must
 * do what the syscall does, which /proc/interrupts shows.
 *
 * patches/proposed/0001 makes membarrier_switch_mm() sync the state on a
 * switch within one mm.  On a kernel that carries it (MBA_PROPOSED=1 in
 * the environment, as `make check PROPOSED=1` runs the tests) the state
 * must be fresh, for the syscall and the intree variant alike.
 */
static int proposed_fixes(void)
{
	const char *e = getenv("MBA_PROPOSED");

	return e && !strcmp(e, "1");
}

static void lazily_held_cpu(struct __test_metadata *_metadata,
			    int second_thread)
{
	struct membarrier_alt_stats st;
	unsigned long long fair_runtime;
	long long before, after;
	pthread_t t, b;
	int fd, i, hold[2];

	fd = alt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fair_server_off(CPU_OURS, &fair_runtime));

	/* Run on CPU_OURS unregistered, then leave it to its idle task. */
	ASSERT_EQ(0, pin_to_cpu(CPU_OURS));
	ASSERT_EQ(CPU_OURS, sched_getcpu());
	ASSERT_EQ(0, pin_to_cpu(CPU_CALLER));
	usleep(50000);

	if (second_thread) {
		/* Blocked on CPU_CALLER: mm_users is 2, and no CPU runs it. */
		ASSERT_EQ(0, pipe(hold));
		ASSERT_EQ(0, pthread_create(&b, NULL, blocker, &hold[0]));
	}
	ASSERT_EQ(0, sys_membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
				    0, 0));
	ASSERT_EQ(0, busy_start(&t, CPU_OURS, 0));

	ASSERT_EQ(0, alt_stats_reset(fd));
	ASSERT_EQ(0, issue(fd, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, -1));
	ASSERT_EQ(0, alt_stats(fd, MEMBARRIER_ALT_VARIANT_INTREE, &st));
	log_stats(_metadata, &st);

	before = proc_fcall_ipis(CPU_OURS);
	for (i = 0; i < CALLS; i++)
		ASSERT_EQ(0, sys_membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED,
					    0, 0));
	after = proc_fcall_ipis(CPU_OURS);

	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	if (second_thread) {
		close(hold[1]);
		pthread_join(b, NULL);
		close(hold[0]);
	}
	fair_server_restore(CPU_OURS, fair_runtime);
	close(fd);

	TH_LOG("registered busy thread on CPU%d: intree IPIs %llu of %d (%s); syscall IPIs seen %lld for %d calls",
	       CPU_OURS, st.ipis_per_cpu[CPU_OURS], CALLS,
	       st.ipis_per_cpu[CPU_OURS] ? "state fresh" : "stale rq->membarrier_state",
	       before < 0 ? -1LL : after - before, CALLS);
	/* The state is stale or it is not: all calls agree. */
	EXPECT_TRUE(st.ipis_per_cpu[CPU_OURS] == 0 ||
		    st.ipis_per_cpu[CPU_OURS] == CALLS);
	ASSERT_LE(0, before) TH_LOG("no IPI count in /proc/interrupts");
	/* Stale for the module exactly when the syscall skipped the CPU. */
	EXPECT_EQ(st.ipis_per_cpu[CPU_OURS] == 0, after - before < CALLS);
	if (proposed_fixes()) {
		EXPECT_EQ(CALLS, st.ipis_per_cpu[CPU_OURS]);
		EXPECT_LE(CALLS, after - before);
	}
}

/*
 * Registered while single-threaded: sync_runqueues_membarrier_state()
 * takes its mm_users == 1 shortcut and updates the caller's CPU only.
 */
TEST(global_expedited_lazily_held_cpu_matches_syscall)
{
	NEED_DEVICE(return);
	NEED_ONLINE_CPUS(return, 4);
	lazily_held_cpu(_metadata, 0);
}

/*
 * Registered with a second thread alive: the registration IPIs the CPUs
 * whose current task uses the mm, which a lazily held CPU is not.
 */
TEST(global_expedited_lazily_held_cpu_two_threads_matches_syscall)
{
	NEED_DEVICE(return);
	NEED_ONLINE_CPUS(return, 4);
	lazily_held_cpu(_metadata, 1);
}

/*
 * The last possible CPU, in the second cpumask word, brought online with a
 * busy thread of ours on it: every command and variant interrupts it,
 * and counts every offline CPU of both words, once per call.  Taken down
 * again, it is counted offline and never interrupted.  The layout above
 * only ever fills the first word.
 */
static void check_far(struct __test_metadata *_metadata, int fd, int far,
		      int cmd, unsigned int flags, unsigned int variant,
		      unsigned long long expect_ipis)
{
	int possible = sysconf(_SC_NPROCESSORS_CONF);
	int offline = possible - sysconf(_SC_NPROCESSORS_ONLN);
	struct membarrier_alt_stats st;
	int ret;

	ASSERT_EQ(0, alt_stats_reset(fd));
	ret = issue_variant(fd, cmd, flags, far, variant);
	ASSERT_EQ(0, ret)
		TH_LOG("cmd %d flags %u: %s", cmd, flags, strerror(-ret));
	ASSERT_EQ(0, alt_stats(fd, variant, &st));
	TH_LOG("%s cmd %d flags %u: CPU%d ipis %llu of %llu, offline %llu of %d possible CPUs",
	       mb_variant_names[variant], cmd, flags, far,
	       st.ipis_per_cpu[far], st.ipis,
	       st.skipped[MEMBARRIER_ALT_SKIP_OFFLINE], possible);
	EXPECT_EQ(expect_ipis, st.ipis_per_cpu[far]);
	if (flags) {
		/* FLAG_CPU samples @far alone. */
		EXPECT_EQ(expect_ipis, st.ipis);
		EXPECT_EQ(expect_ipis ? 0 : CALLS,
			  st.skipped[MEMBARRIER_ALT_SKIP_OFFLINE]);
		EXPECT_EQ(CALLS, accounted(&st));
		return;
	}
	/*
	 * Only @far runs our mm; the idle filter may also interrupt a CPU
	 * that runs a kworker when sampled.
	 */
	EXPECT_LE(expect_ipis, st.ipis);
	if (variant != MEMBARRIER_ALT_VARIANT_IDLE_FILTER)
		EXPECT_EQ(expect_ipis, st.ipis);
	EXPECT_EQ((unsigned long long)CALLS * offline,
		  st.skipped[MEMBARRIER_ALT_SKIP_OFFLINE]);
	EXPECT_EQ((unsigned long long)CALLS * possible, accounted(&st));
}

/*
 * Its setup brings the last possible CPU up, with a busy thread of ours on
 * it; its teardown puts everything back as it found it, even after a
 * failed assertion, so that the layout tests never see the CPU.
 */
FIXTURE(far_cpu) {
	int fd;
	int cpu;
	int was_online;		/* -1 until it is known */
	unsigned long long fair_runtime;
	int hold[2];		/* the blocker's pipe; -1 until made */
	pthread_t blocker, busy;
	int busy_running;
};

FIXTURE_SETUP(far_cpu)
{
	struct membarrier_alt_stats st;
	long possible = sysconf(_SC_NPROCESSORS_CONF);

	NEED_DEVICE(return);
	/* Most real machines: every cpumask is one word, nothing to test. */
	if (possible <= 64)
		SKIP(return, "%ld possible CPUs fit one cpumask word (the check guests boot MBA_GUEST_VCPUS=66)",
		     possible);
	if (possible > MEMBARRIER_ALT_MAX_CPUS)
		SKIP(return, "%ld possible CPUs, the stats count %d",
		     possible, MEMBARRIER_ALT_MAX_CPUS);
	self->was_online = -1;
	self->fair_runtime = 0;
	self->hold[0] = -1;
	self->hold[1] = -1;
	self->busy_running = 0;
	self->cpu = sysconf(_SC_NPROCESSORS_CONF) - 1;
	self->fd = alt_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, alt_stats(self->fd, MEMBARRIER_ALT_VARIANT_INTREE, &st));
	ASSERT_EQ(self->cpu + 1, st.nr_cpu_ids);

	self->was_online = cpu_online(self->cpu);
	ASSERT_LE(0, self->was_online);
	ASSERT_EQ(0, set_cpu_online(self->cpu, 1))
		TH_LOG("cannot online CPU %d", self->cpu);
	ASSERT_EQ(0, fair_server_off(self->cpu, &self->fair_runtime));
	ASSERT_EQ(0, pin_to_cpu(CPU_CALLER));
	/* With the busy thread gone, the private commands still have work. */
	ASSERT_EQ(0, pipe(self->hold));
	ASSERT_EQ(0, pthread_create(&self->blocker, NULL, blocker,
				    &self->hold[0]));

	/* It registers us: see busy(). */
	ASSERT_EQ(0, busy_start(&self->busy, self->cpu, 1));
	self->busy_running = 1;
	usleep(100000);
}

FIXTURE_TEARDOWN(far_cpu)
{
	busy_stop(self->busy, &self->busy_running);
	fair_server_restore(self->cpu, self->fair_runtime);
	if (self->was_online >= 0 &&
	    cpu_online(self->cpu) != self->was_online &&
	    set_cpu_online(self->cpu, self->was_online))
		TH_LOG("cannot put CPU %d back %sline", self->cpu,
		       self->was_online ? "on" : "off");
	if (self->hold[1] >= 0) {
		close(self->hold[1]);
		pthread_join(self->blocker, NULL);
		close(self->hold[0]);
	}
	close(self->fd);
}

TEST_F(far_cpu, second_cpumask_word)
{
	static const int cmds[] = {
		MEMBARRIER_CMD_PRIVATE_EXPEDITED,
		MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
		MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		MEMBARRIER_CMD_GLOBAL_EXPEDITED,
	};
	const int far = self->cpu;
	unsigned int c, v;

	for (c = 0; c < ARRAY_SIZE(cmds); c++)
		for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++)
			check_far(_metadata, self->fd, far, cmds[c], 0, v,
				  CALLS);
	check_far(_metadata, self->fd, far,
		  MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		  MEMBARRIER_CMD_FLAG_CPU, MEMBARRIER_ALT_VARIANT_INTREE, CALLS);

	busy_stop(self->busy, &self->busy_running);
	ASSERT_EQ(0, set_cpu_online(far, 0))
		TH_LOG("cannot offline CPU %d", far);
	check_far(_metadata, self->fd, far, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
		  0, MEMBARRIER_ALT_VARIANT_INTREE, 0);
	check_far(_metadata, self->fd, far,
		  MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		  MEMBARRIER_CMD_FLAG_CPU, MEMBARRIER_ALT_VARIANT_INTREE, 0);
}

TEST_HARNESS_MAIN
