// SPDX-License-Identifier: GPL-2.0
/*
 * rseq mm_cid uniqueness under the mm-cid-mb variant.
 *
 * Threads of one process, more than there are CPUs, each add 1 to a
 * counter indexed by their current rseq mm_cid, in an rseq critical
 * section (the kernel selftests' rseq library, RSEQ_PERCPU_MM_CID): the
 * add commits only if the thread ran without preemption, migration or
 * signal from reading the cid to the store.  If two concurrently running
 * threads of the process ever held the same cid, two commits could race on
 * one counter and lose an update.  Lost updates are the violation count.
 * The adders yield every YIELD_EVERY adds, so that the cid changes hands
 * on a CPU often.  Run once with the process registered for mm-cid-mb
 * (option A's barriers at the mm_cid switch, fe90f3967bdb) and once
 * without.
 *
 * This is a regression check of CID uniqueness, not a test of the
 * barrier: since the mm_cid rework (77d7dc8bef48) every remote CID fixup
 * holds the runqueue lock, so on 7.3 no reader pairs with the barrier,
 * and both runs must lose nothing.  It cannot tell barrier from no
 * barrier, and does not claim to.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <linux/compiler.h>	/* tools/include: __aligned */
#include "rseq.h"
#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define NR_THREADS	8
#define REPS		20000
#define NR_CIDS		256
#define YIELD_EVERY	32

struct cid_counter {
	intptr_t count;
} __aligned(64);

static struct cid_counter counters[NR_CIDS];
static int failed;

static void *adder(void *arg)
{
	long i;

	if (rseq_register_current_thread()) {
		__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	for (i = 0; i < REPS; i++) {
		int ret;

		do {
			uint32_t cid = rseq_current_mm_cid();

			if (cid >= NR_CIDS) {
				__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
				return NULL;
			}
			ret = rseq_addv(RSEQ_MO_RELAXED, RSEQ_PERCPU_MM_CID,
					&counters[cid].count, 1, cid);
		} while (ret);
		/*
		 * Hand the CPU to another adder now and then: every such
		 * switch between two threads of the process is an mm_cid
		 * handover on one CPU, the path the mm-cid-mb barrier sits
		 * on, instead of only the odd preemption.
		 */
		if (!(i % YIELD_EVERY))
			sched_yield();
	}
	rseq_unregister_current_thread();
	return NULL;
}

/* Runs the adders in a child; returns lost updates, or -1. */
static long long run(int fd, unsigned int variant)
{
	int pipefd[2];
	long long lost = -1;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		pthread_t t[NR_THREADS];
		long long sum = 0, expect = (long long)NR_THREADS * REPS;
		int i;

		if (alt_membarrier(fd, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ,
				   0, 0, variant))
			_exit(1);
		for (i = 0; i < NR_THREADS; i++)
			if (pthread_create(&t[i], NULL, adder, NULL))
				_exit(2);
		for (i = 0; i < NR_THREADS; i++)
			pthread_join(t[i], NULL);
		if (failed)
			_exit(3);
		for (i = 0; i < NR_CIDS; i++)
			sum += counters[i].count;
		lost = expect - sum;
		if (write(pipefd[1], &lost, sizeof(lost)) != sizeof(lost))
			_exit(4);
		_exit(0);
	}
	close(pipefd[1]);
	if (pid < 0 || read(pipefd[0], &lost, sizeof(lost)) != sizeof(lost))
		lost = -1;
	close(pipefd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return lost;
}

TEST(mm_cid_unique_among_running_threads)
{
	struct membarrier_alt_stats st;
	long long lost_mb, lost_plain;
	int fd;

	NEED_DEVICE(return);
	if (!rseq_available())
		SKIP(return, "no rseq (CONFIG_RSEQ)");
	fd = alt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rseq_register_current_thread());
	ASSERT_TRUE(rseq_mm_cid_available()) TH_LOG("no rseq mm_cid");
	rseq_unregister_current_thread();

	ASSERT_EQ(0, alt_stats_reset(fd));
	lost_mb = run(fd, MEMBARRIER_ALT_VARIANT_MM_CID_MB);
	ASSERT_EQ(0, alt_stats(fd, MEMBARRIER_ALT_VARIANT_MM_CID_MB, &st));
	lost_plain = run(fd, MEMBARRIER_ALT_VARIANT_INTREE);
	close(fd);

	TH_LOG("regression check, not a barrier test: %d threads x %d cid-indexed rseq adds (%lld samples) per run: lost updates with mm-cid-mb %lld (%llu barriers), without %lld",
	       NR_THREADS, REPS, (long long)NR_THREADS * REPS, lost_mb,
	       st.hook_barriers, lost_plain);
	EXPECT_EQ(0, lost_mb);
	EXPECT_EQ(0, lost_plain);
	EXPECT_LT(0, st.hook_barriers);
}

TEST_HARNESS_MAIN
