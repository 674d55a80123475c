// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: 8 threads call every command through the ioctl, with every
 * variant in turn, for MBA_STRESS_SECONDS (default 30), while other
 * processes of the same mm family keep registering (fork, register, exit).
 * Every call must succeed; the guest script checks dmesg afterwards.  The
 * run also reports how often idle-filter caught a kernel thread before its
 * lazy mm was stored (lazy_unknown), the window its sampler closes by
 * interrupting such a CPU.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define NR_CALLERS	8

static atomic_int stop;
static unsigned int variants;	/* supported here, from IOC_VERSION */
static atomic_ullong calls, failures;
static int fd;

static void *caller(void *arg)
{
	unsigned long i = (unsigned long)arg;
	int nr_cpus = sysconf(_SC_NPROCESSORS_CONF);

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int cmd = mb_cmds[i % ARRAY_SIZE(mb_cmds)];
		unsigned int variant = i / ARRAY_SIZE(mb_cmds) %
				       MEMBARRIER_ALT_VARIANT_NR;

		if (!(variants & (1U << variant)))
			variant = MEMBARRIER_ALT_VARIANT_INTREE;
		unsigned int flags = 0;
		int cpu = -1;

		/* Every third RSEQ call targets one CPU. */
		if (cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ && i % 3 == 0) {
			flags = MEMBARRIER_CMD_FLAG_CPU;
			cpu = (i / 3) % nr_cpus;
		}
		if (alt_membarrier(fd, cmd, flags, cpu, variant) < 0) {
			if (atomic_fetch_add(&failures, 1) < 5)
				fprintf(stderr, "# cmd %d flags %u cpu %d variant %u: %s\n",
					cmd, flags, cpu, variant,
					strerror(errno));
		}
		atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
		i++;
	}
	return NULL;
}

/* Other processes registering, each in a new mm, all the time. */
static void *registrar(void *arg)
{
	unsigned long forks = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(sys_register_all() ? 1 : 0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		forks++;
	}
	return (void *)forks;
}

/* No state: a fixture only to set a timeout longer than the default. */
FIXTURE(stress) {
};

FIXTURE_SETUP(stress)
{
	NEED_DEVICE(return);
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, callers_and_registrars, 600)
{
	int seconds = getenv("MBA_STRESS_SECONDS") ?
		      atoi(getenv("MBA_STRESS_SECONDS")) : 30;
	pthread_t t[NR_CALLERS], r[2];
	void *forks;
	unsigned long i, total_forks = 0;

	struct membarrier_alt_stats st;
	struct membarrier_alt_version v;

	fd = alt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MEMBARRIER_ALT_IOC_VERSION, &v));
	variants = v.variants;
	ASSERT_EQ(0, alt_stats_reset(fd));
	/* Register the caller's mm first, so every command may succeed. */
	for (i = 0; i < ARRAY_SIZE(mb_register_cmds); i++)
		ASSERT_EQ(0, alt_membarrier(fd, mb_register_cmds[i], 0, 0,
					    MEMBARRIER_ALT_VARIANT_INTREE));

	for (i = 0; i < NR_CALLERS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, caller, (void *)i));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&r[i], NULL, registrar, NULL));
	sleep(seconds);
	atomic_store(&stop, 1);
	for (i = 0; i < NR_CALLERS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) {
		pthread_join(r[i], &forks);
		total_forks += (unsigned long)forks;
	}
	TH_LOG("%d s: %llu calls from %d threads, %lu registering processes, %llu failures",
	       seconds, atomic_load(&calls), NR_CALLERS, total_forks,
	       atomic_load(&failures));
	ASSERT_EQ(0, alt_stats(fd, MEMBARRIER_ALT_VARIANT_IDLE_FILTER, &st));
	TH_LOG("idle-filter: %llu calls, %llu IPIs, %llu of them to a kernel thread caught before its lazy mm was stored",
	       st.calls, st.ipis + st.local, st.lazy_unknown);
	EXPECT_LE(st.lazy_unknown, st.ipis + st.local);
	EXPECT_EQ(0, atomic_load(&failures));
	EXPECT_LT(0, atomic_load(&calls));
	close(fd);
}

TEST_HARNESS_MAIN
