// SPDX-License-Identifier: GPL-2.0
/*
 * The SYNC_CORE oracle (patches/debug/, CONFIG_MEMBARRIER_SYNC_CORE_ORACLE)
 * on the path seeds/000 argues about, driven step by step:
 *
 *   1. T, a thread of this SYNC_CORE-registered process, runs on CPU1;
 *   2. T blocks in a write() to the test kthreads' ctl, and G, a SCHED_FIFO
 *      kernel thread on CPU1, runs in its place, holding our mm lazily;
 *   3. the caller, on CPU0, issues PRIVATE_EXPEDITED_SYNC_CORE: CPU1 runs a
 *      kernel thread, so every implementation but idle-filter skips it;
 *   4. "gap": G calls kthread_use_mm() on the mm it holds lazily, wakes T
 *      and sleeps, so CPU1 switches from G straight to T with prev->mm set:
 *      no rq->prev_mm, no in-tree serialization, no CR3 write.
 *      "round trip": G only wakes T and sleeps, so finish_task_switch()
 *      exits the lazy mm, where in-tree serializes on x86;
 *   5. T returns to user space from its write(): on x86 through SYSRET.
 *
 * The oracle judges each round on CPU1 exactly once: a violation, or
 * covered by the first serializing event after the command (or by the
 * return itself).  Each round must get the verdict the model predicts,
 * unless an interrupt on CPU1 (a tick) between the command and T's return
 * covered it first, by IRET: such rounds are counted and logged.  A round
 * in which the oracle recorded no interrupt on CPU1 at all must get the
 * predicted verdict, and at least ENOUGH rounds must: a test runs ROUNDS
 * rounds, and more, up to MAX_ROUNDS, while fewer than ENOUGH did.
 *
 * The negative controls switch off, through the oracle's debugfs, one
 * event the model relies on, and the same rounds then show violations:
 * on x86 in-tree's serialization in finish_task_switch()
 * (skip_before_usermode), elsewhere the serializing return itself
 * (returns_serialize=0, a counterfactual arm64 or powerpc).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define GAP_STATUS	"/sys/kernel/debug/membarrier_alt_kthreads/gap"
#define ROUNDS		16
/* Rounds that must get the predicted verdict, the rest being disturbed. */
#define ENOUGH		(ROUNDS / 4)
/*
 * A busy TCG host can stretch every round past a tick on CPU1, so that
 * IRET covers it first: then run more rounds, up to MAX_ROUNDS, until
 * ENOUGH got the predicted verdict.
 */
#define MAX_ROUNDS	(ROUNDS * 6)
#define T_STOP		(~0U)
#define T_CPU		1

static const char *const ev_names[NR_EV] = {
	"sync_core", "cr3", "irq_return", "user_return",
};

static int oracle_set(const char *knob, int val)
{
	char path[128], buf[4];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), ORACLE_DIR "%s", knob);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%d", val);
	if (write(fd, buf, n) != n)
		ret = -1;
	close(fd);
	return ret;
}

/* G's state: 0 once it holds our mm lazily in @round, spinning. */
static int gap_lazy(unsigned long long round)
{
	char state[16];
	unsigned long long r;
	int lazy, ret = -1;
	FILE *f = fopen(GAP_STATUS, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%15s %llu %d", state, &r, &lazy) == 3 &&
	    !strcmp(state, "lazy") && r == round)
		ret = lazy ? 0 : 1;
	fclose(f);
	return ret;
}

static atomic_uint t_round, t_done;
static atomic_int t_err;

/* T: on CPU1, one blocking write() per round; it returns by step 5. */
static void *t_thread(void *arg)
{
	int fd = open(KTHREADS_CTL, O_WRONLY);
	unsigned int r;

	if (fd < 0 || pin_to_cpu(T_CPU)) {
		atomic_store(&t_err, 1);
		return NULL;
	}
	for (r = 1; ; r++) {
		unsigned int cur;

		while ((cur = atomic_load(&t_round)) < r)
			;
		if (cur == T_STOP)
			break;
		if (write(fd, "round", 5) != 5)
			atomic_store(&t_err, 1);
		atomic_store(&t_done, r);
	}
	close(fd);
	return NULL;
}

/* A round's verdict on CPU1: covered by an EV_*, or V_VIOLATION. */
#define V_VIOLATION	NR_EV
#define V_NONE		(-1)

static const char *verdict_name(int v)
{
	return v == V_VIOLATION ? "violation" : v == V_NONE ? "none" : ev_names[v];
}

struct tally {
	int rounds, lazy, violations, covered[NR_EV];
	/* rounds whose verdict was the expected one */
	int expected;
	/* rounds without an interrupt, CR3 write or unexpected sync_core on CPU1 */
	int quiet;
	/* rounds in which CPU1 got no IPI (for the syscall: no function call) */
	int no_ipi;
	unsigned long long cpu1_ipis, hook_barriers, mm_violations;
};

static int register_sync_core(int fd, int impl)
{
	return mb_issue(fd, impl, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
			0, 0);
}

static unsigned long long cpu1_ipis(int fd, int impl)
{
	struct membarrier_alt_stats st;

	if (impl == MB_IMPL_SYSCALL)
		return proc_fcall_ipis(T_CPU);
	if (alt_stats(fd, impl, &st))
		return 0;
	return st.ipis_per_cpu[T_CPU];
}

static unsigned long long hook_barriers(int fd, int impl)
{
	struct membarrier_alt_stats st;

	if (impl == MB_IMPL_SYSCALL || alt_stats(fd, impl, &st))
		return 0;
	return st.hook_barriers_per_cpu[T_CPU];
}

static unsigned long long mm_violations(int fd)
{
	struct membarrier_alt_stats st;

	if (alt_stats(fd, MEMBARRIER_ALT_VARIANT_INTREE, &st) || !st.oracle)
		return ~0ULL;
	return st.oracle_mm_violations;
}

/*
 * Round @r of run_rounds(), through the open ctl file @ctl: adds its
 * verdict to @t.  0, or -1 if the machinery failed.
 */
static int one_round(struct __test_metadata *_metadata, int fd, int impl,
		     int ctl, unsigned int r, int expect_sync, int expected,
		     struct tally *t)
{
	struct oracle_stat a, b;
	unsigned long long ipi0;
	int lazy, e, verdicts, verdict = V_NONE, quiet;

	atomic_store(&t_round, r);
	while ((lazy = gap_lazy(r)) < 0 && !atomic_load(&t_err))
		;
	if (atomic_load(&t_err))
		return -1;
	t->lazy += lazy == 0;
	ipi0 = cpu1_ipis(fd, impl);
	if (oracle_cpu(T_CPU, &a))
		return -1;
	if (mb_issue(fd, impl, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0)) {
		TH_LOG("SYNC_CORE through %s: %s", mb_impl_name(impl),
		       strerror(errno));
		return -1;
	}
	if (write(ctl, "go", 2) != 2)
		return -1;
	while (atomic_load(&t_done) < r)
		;
	if (oracle_cpu(T_CPU, &b))
		return -1;
	ipi0 = cpu1_ipis(fd, impl) - ipi0;
	t->cpu1_ipis += ipi0;
	t->no_ipi += ipi0 == 0;
	verdicts = b.violations - a.violations;
	if (verdicts)
		verdict = V_VIOLATION;
	t->violations += verdicts;
	for (e = 0; e < NR_EV; e++) {
		int c = b.covered[e] - a.covered[e];

		if (c)
			verdict = e;
		verdicts += c;
		t->covered[e] += c;
	}
	t->rounds++;
	t->expected += verdict == expected;
	quiet = b.events[EV_IRQ_RETURN] == a.events[EV_IRQ_RETURN] &&
		b.events[EV_CR3] == a.events[EV_CR3] &&
		(expect_sync ||
		 b.events[EV_SYNC_CORE] == a.events[EV_SYNC_CORE]);
	t->quiet += quiet;
	EXPECT_EQ(1, verdicts) {
		TH_LOG("round %u: %d verdicts on CPU%d", r, verdicts, T_CPU);
	}
	if (quiet || (verdict != EV_IRQ_RETURN && verdict != EV_CR3 &&
		      (expect_sync || verdict != EV_SYNC_CORE))) {
		EXPECT_EQ(expected, verdict) {
			TH_LOG("round %u (%s): %s, expected %s", r,
			       quiet ? "quiet" : "disturbed",
			       verdict_name(verdict),
			       verdict_name(expected));
		}
	}
	return 0;
}

/*
 * At least ROUNDS rounds of steps 1-5 through @impl (more while fewer
 * than ENOUGH got @expected, up to MAX_ROUNDS), G using the mm at step 4 if
 * @use_mm.  Every round must get exactly one verdict on CPU1: @expected,
 * or covered by a disturbance, an interrupt (IRET) or a CR3 write on CPU1
 * after the command began (or a sync_core, when @expect_sync is 0: the
 * CPU went through another kernel thread).  A quiet round, one in which
 * the oracle recorded none of those on CPU1 at all between the snapshot
 * before the command and the one after T's return, must get @expected.
 * Fills @t; 0, or -1 if the machinery failed.
 */
static int run_rounds(struct __test_metadata *_metadata, int fd, int impl,
		      int use_mm, int expect_sync, int expected, struct tally *t)
{
	char cmd[32];
	pthread_t th;
	unsigned long long mm0, hb0;
	unsigned int r;
	int ctl;

	memset(t, 0, sizeof(*t));
	atomic_store(&t_round, 0);
	atomic_store(&t_done, 0);
	atomic_store(&t_err, 0);
	if (pin_to_cpu(0) || register_sync_core(fd, impl))
		return -1;
	snprintf(cmd, sizeof(cmd), "gap %d %d", T_CPU, use_mm);
	if (kthreads_ctl(cmd))
		return -1;
	/* Open now: "go" is one write() after the command, nothing more. */
	ctl = open(KTHREADS_CTL, O_WRONLY);
	if (ctl < 0 || pthread_create(&th, NULL, t_thread, NULL))
		return -1;
	mm0 = mm_violations(fd);
	hb0 = hook_barriers(fd, impl);
	for (r = 1; r <= MAX_ROUNDS && (r <= ROUNDS || t->expected < ENOUGH);
	     r++) {
		if (one_round(_metadata, fd, impl, ctl, r, expect_sync,
			      expected, t)) {
			atomic_store(&t_err, 1);
			break;
		}
	}
	atomic_store(&t_round, T_STOP);
	pthread_join(th, NULL);
	close(ctl);
	kthreads_ctl("stop");
	t->hook_barriers = hook_barriers(fd, impl) - hb0;
	t->mm_violations = mm_violations(fd) - mm0;
	TH_LOG("%s, %s: %d rounds (%d as expected, %d quiet, G lazy in %d), %d violations, covered by sync_core %d cr3 %d irq_return %d user_return %d; IPIs to CPU%d %llu (in %d rounds), hook barriers there %llu, mm violations %llu",
	       mb_impl_name(impl), use_mm ? "gap" : "round trip", t->rounds,
	       t->expected, t->quiet, t->lazy, t->violations,
	       t->covered[EV_SYNC_CORE],
	       t->covered[EV_CR3], t->covered[EV_IRQ_RETURN],
	       t->covered[EV_USER_RETURN], T_CPU, t->cpu1_ipis,
	       t->rounds - t->no_ipi,
	       t->hook_barriers, t->mm_violations);
	return atomic_load(&t_err) ? -1 : 0;
}

FIXTURE(oracle) {
	int fd;
};

FIXTURE_SETUP(oracle)
{
	NEED_DEVICE(return);
	NEED_KTHREADS(return);
	NEED_ONLINE_CPUS(return, T_CPU + 1);
	if (access(ORACLE_DIR "cpus", R_OK))
		SKIP(return, "kernel without CONFIG_MEMBARRIER_SYNC_CORE_ORACLE");
	self->fd = alt_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(oracle)
{
	oracle_set("returns_serialize", 1);
	oracle_set("skip_before_usermode", 0);
	kthreads_ctl("stop");
	if (self->fd >= 0)
		close(self->fd);
}

#if defined(__x86_64__)
#define RETURN_SERIALIZES 0	/* SYSRET */
#else
#define RETURN_SERIALIZES 1	/* ERET with SCTLR_EL1.EOS; rfid/rfscv */
#endif

/*
 * Step 3 skipped CPU1.  The module counts its own IPIs; for the syscall,
 * /proc/interrupts counts every function-call IPI, membarrier's or not,
 * so there a stray one may land in a round.
 */
static void skipped_cpu1(struct __test_metadata *_metadata, int impl,
			 const struct tally *t)
{
	if (impl == MB_IMPL_SYSCALL) {
		EXPECT_LE(t->rounds - 2, t->no_ipi);
		return;
	}
	EXPECT_EQ(0, t->cpu1_ipis);
}

/*
 * Step 4 with kthread_use_mm(): on x86, only an implementation that
 * serializes there (lazy-tlb-sync's hook) or interrupts CPU1 at step 3
 * (idle-filter, which targets lazy kernel threads) covers T's SYSRET.
 */
static void gap(struct __test_metadata *_metadata, int fd, int impl)
{
	int lazy_sync = impl == MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC;
	int ipi = impl == MEMBARRIER_ALT_VARIANT_IDLE_FILTER;
	int expected;
	struct tally t;

	/* idle-filter's IPI handler serializes first, on x86. */
	if (RETURN_SERIALIZES)
		expected = EV_USER_RETURN;
	else if (lazy_sync || ipi)
		expected = EV_SYNC_CORE;
	else
		expected = V_VIOLATION;
	ASSERT_EQ(0, run_rounds(_metadata, fd, impl, 1,
				!RETURN_SERIALIZES && (lazy_sync || ipi),
				expected, &t));
	ASSERT_EQ(t.rounds, t.lazy);
	EXPECT_EQ(t.violations, t.mm_violations);
	if (ipi) {
		/* Every round interrupted CPU1: none is violated. */
		EXPECT_LE(t.rounds, t.cpu1_ipis);
		EXPECT_EQ(0, t.violations);
		return;
	}
	skipped_cpu1(_metadata, impl, &t);
	ASSERT_GE(t.expected, ENOUGH);
	if (lazy_sync)
		EXPECT_LE(t.rounds, t.hook_barriers);
	if (expected != V_VIOLATION)
		EXPECT_EQ(0, t.violations);
}

TEST_F(oracle, gap_kthread_use_mm_syscall)
{
	gap(_metadata, self->fd, MB_IMPL_SYSCALL);
}

TEST_F(oracle, gap_kthread_use_mm_intree)
{
	gap(_metadata, self->fd, MEMBARRIER_ALT_VARIANT_INTREE);
}

TEST_F(oracle, gap_kthread_use_mm_idle_filter)
{
	gap(_metadata, self->fd, MEMBARRIER_ALT_VARIANT_IDLE_FILTER);
}

TEST_F(oracle, gap_kthread_use_mm_lazy_tlb_sync)
{
	gap(_metadata, self->fd, MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC);
}

TEST_F(oracle, gap_kthread_use_mm_mm_cid_mb)
{
	gap(_metadata, self->fd, MEMBARRIER_ALT_VARIANT_MM_CID_MB);
}

/*
 * User -> lazy kthread -> user, which the kthread test covered before the
 * oracle: on x86, in-tree's membarrier_mm_sync_core_before_usermode() at
 * finish_task_switch() covers it (lazy-tlb-sync's hook serializes there
 * too); elsewhere the return does.
 */
static void round_trip(struct __test_metadata *_metadata, int fd, int impl)
{
	struct tally t;

	ASSERT_EQ(0, run_rounds(_metadata, fd, impl, 0, !RETURN_SERIALIZES,
				RETURN_SERIALIZES ? EV_USER_RETURN : EV_SYNC_CORE,
				&t));
	ASSERT_EQ(t.rounds, t.lazy);
	ASSERT_GE(t.expected, ENOUGH);
	skipped_cpu1(_metadata, impl, &t);
	EXPECT_EQ(0, t.violations);
	EXPECT_EQ(0, t.mm_violations);
}

TEST_F(oracle, lazy_round_trip_syscall)
{
	round_trip(_metadata, self->fd, MB_IMPL_SYSCALL);
}

TEST_F(oracle, lazy_round_trip_intree)
{
	round_trip(_metadata, self->fd, MEMBARRIER_ALT_VARIANT_INTREE);
}

TEST_F(oracle, lazy_round_trip_lazy_tlb_sync)
{
	round_trip(_metadata, self->fd, MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC);
}

/*
 * Negative controls: remove the event that covered the round trip above
 * (x86: in-tree's sync_core_before_usermode() at finish_task_switch();
 * arm64 and powerpc: the serializing return, a counterfactual), and the
 * same rounds become violations.
 */
TEST_F(oracle, negative_control_round_trip_intree)
{
	struct tally t;

	ASSERT_EQ(0, oracle_set(RETURN_SERIALIZES ? "returns_serialize" :
				"skip_before_usermode", !RETURN_SERIALIZES));
	ASSERT_EQ(0, run_rounds(_metadata, self->fd,
				MEMBARRIER_ALT_VARIANT_INTREE, 0, 0,
				V_VIOLATION, &t));
	ASSERT_GE(t.expected, ENOUGH);
	/*
	 * Under the counterfactual return, the caller's own returns on CPU0
	 * are violations too: nothing in its IPI handler serializes there.
	 */
	EXPECT_LE(t.violations, t.mm_violations);
	if (!RETURN_SERIALIZES)
		EXPECT_EQ(t.violations, t.mm_violations);
}

/*
 * The same control for lazy-tlb-sync.  On x86 its hook at
 * finish_task_switch() still serializes when in-tree's does not; elsewhere
 * its hook is empty, because the return serializes, and the counterfactual
 * return leaves the rounds uncovered as for intree.
 */
TEST_F(oracle, negative_control_round_trip_lazy_tlb_sync)
{
	struct tally t;

	ASSERT_EQ(0, oracle_set(RETURN_SERIALIZES ? "returns_serialize" :
				"skip_before_usermode", !RETURN_SERIALIZES));
	ASSERT_EQ(0, run_rounds(_metadata, self->fd,
				MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC, 0,
				!RETURN_SERIALIZES,
				RETURN_SERIALIZES ? V_VIOLATION : EV_SYNC_CORE,
				&t));
	ASSERT_GE(t.expected, ENOUGH);
	if (!RETURN_SERIALIZES) {
		EXPECT_EQ(0, t.violations);
		EXPECT_LE(t.rounds, t.hook_barriers);
	}
}

/* The gap where the return does not serialize: x86, or a counterfactual. */
TEST_F(oracle, negative_control_gap_intree)
{
	struct tally t;

	ASSERT_EQ(0, oracle_set("returns_serialize", 0));
	ASSERT_EQ(0, run_rounds(_metadata, self->fd,
				MEMBARRIER_ALT_VARIANT_INTREE, 1, 0,
				V_VIOLATION, &t));
	ASSERT_GE(t.expected, ENOUGH);
	EXPECT_LE(t.violations, t.mm_violations);
	if (!RETURN_SERIALIZES)
		EXPECT_EQ(t.violations, t.mm_violations);
}

TEST_HARNESS_MAIN
