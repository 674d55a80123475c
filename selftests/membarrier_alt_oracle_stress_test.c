// SPDX-License-Identifier: GPL-2.0
/*
 * The SYNC_CORE oracle under load: SYNC_CORE commands through the syscall
 * and through each variant, SECONDS each, while on every CPU
 *   - threads of this process yield, sleep briefly and spin, so that the
 *     CPUs switch between them, to idle and to kernel threads;
 *   - a "churn" kernel thread (membarrier_alt_kthreads.ko) sleeps 20-60 us
 *     at a time and, each time it wakes holding our mm lazily, in turn
 *     keeps it lazy, uses it through kthread_use_mm() until its next sleep,
 *     or uses it and drops it.
 * Each implementation runs in its own process (the harness forks per
 * test), so the oracle's per-mm count is that implementation's alone.
 *
 * Asserted: lazy-tlb-sync has no violation on any arch, and on arm64 and
 * powerpc, whose every return to user space serializes, no implementation
 * has one.  Reported: commands, thread and kernel thread iterations, and
 * violations per implementation; on x86 the others' violations are the
 * kthread_use_mm() path of membarrier_alt_oracle_test.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define SECONDS		6
#define NR_CPUS_USED	4
#define STATUS		"/sys/kernel/debug/membarrier_alt_kthreads/status"

static atomic_int stop;
static atomic_ullong worker_iterations;
static unsigned int target;	/* the churn kthreads store here */

static void *worker(void *arg)
{
	int cpu = (long)arg;
	unsigned long long n = 0;
	unsigned int spin;

	if (pin_to_cpu(cpu))
		return NULL;
	while (!atomic_load(&stop)) {
		for (spin = 0; spin < 2000; spin++)
			__asm__ __volatile__("" ::: "memory");
		if (n % 4 == 3)
			usleep(30);
		else
			sched_yield();
		n++;
	}
	atomic_fetch_add(&worker_iterations, n);
	return NULL;
}

/* Sum of the churn kthreads' stores (uses of our mm). */
static long long churn_stores(void)
{
	char kind[16];
	int c, running, lazy;
	long long s, sum = 0;
	FILE *f = fopen(STATUS, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%15s %d %d %d %lld", kind, &c, &running, &lazy, &s) == 5)
		if (!strcmp(kind, "churn"))
			sum += s;
	fclose(f);
	return sum;
}

/* Sum of the oracle's violations over every CPU, since boot. */
static long long oracle_violations(void)
{
	struct oracle_stat o;

	return oracle_cpu(-1, &o) ? -1 : (long long)o.violations;
}

static void stress(struct __test_metadata *_metadata, int impl)
{
	pthread_t th[2 * NR_CPUS_USED];
	struct membarrier_alt_stats st;
	unsigned long long commands = 0;
	long long v0, stores;
	struct timespec t0, t;
	char cmd[64];
	int fd, i, n = 0;

	/* The TESTs below are this call and nothing else. */
	NEED_DEVICE(return);
	NEED_KTHREADS(return);
	NEED_ONLINE_CPUS(return, NR_CPUS_USED);
	if (access(ORACLE_DIR "cpus", R_OK))
		SKIP(return, "kernel without CONFIG_MEMBARRIER_SYNC_CORE_ORACLE");
	fd = alt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kthreads_ctl("stop"));	/* what a failed test left */
	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(0, mb_issue(fd, impl,
			      MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
			      0, 0));
	v0 = oracle_violations();
	ASSERT_LE(0, v0);
	for (i = 0; i < NR_CPUS_USED; i++) {
		snprintf(cmd, sizeof(cmd), "churn %d %lx", i,
			 (unsigned long)&target);
		ASSERT_EQ(0, kthreads_ctl(cmd));
	}
	/* Two threads per CPU, so that CPUs also switch user to user. */
	for (i = 0; i < 2 * NR_CPUS_USED; i++) {
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker,
					    (void *)(long)(i % NR_CPUS_USED)));
		n++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ASSERT_EQ(0, mb_issue(fd, impl,
				      MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
				      0, 0));
		commands++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < SECONDS);
	atomic_store(&stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	stores = churn_stores();
	ASSERT_EQ(0, kthreads_ctl("stop"));
	ASSERT_EQ(0, alt_stats(fd, MEMBARRIER_ALT_VARIANT_INTREE, &st));
	ASSERT_EQ(1, st.oracle);
	TH_LOG("%s: %d s, %llu SYNC_CORE commands, %llu thread iterations, %lld kthread_use_mm() stores by churn kthreads, %llu violations in this mm (%lld on all CPUs)",
	       mb_impl_name(impl), SECONDS, commands,
	       atomic_load(&worker_iterations), stores,
	       st.oracle_mm_violations, oracle_violations() - v0);
	close(fd);
	/* The churn kthreads did use our mm, lazily held: the paths ran. */
	EXPECT_LT(0, stores);
#if defined(__x86_64__)
	if (impl == MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC)
		EXPECT_EQ(0, st.oracle_mm_violations);
#else
	EXPECT_EQ(0, st.oracle_mm_violations);
#endif
}

TEST(oracle_stress_syscall)
{
	stress(_metadata, MB_IMPL_SYSCALL);
}

TEST(oracle_stress_intree)
{
	stress(_metadata, MEMBARRIER_ALT_VARIANT_INTREE);
}

TEST(oracle_stress_idle_filter)
{
	stress(_metadata, MEMBARRIER_ALT_VARIANT_IDLE_FILTER);
}

TEST(oracle_stress_lazy_tlb_sync)
{
	stress(_metadata, MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC);
}

TEST(oracle_stress_mm_cid_mb)
{
	stress(_metadata, MEMBARRIER_ALT_VARIANT_MM_CID_MB);
}

TEST_HARNESS_MAIN
