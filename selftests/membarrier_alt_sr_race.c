// SPDX-License-Identifier: GPL-2.0
/*
 * Not a test: the reproduction of a lost synchronize_rcu() on 7.3
 * (docs/findings/rcu-stranded-synchronize-rcu.md; the fix is
 * patches/rcu/).
 *
 * Each round releases THREADS threads at once, pinned on CPUs 1 to
 * THREADS; each waits a random 0 to SPREAD_US microseconds and calls
 * membarrier(MEMBARRIER_CMD_GLOBAL), that is synchronize_rcu().  A round
 * whose callers are not all back after 2 s is stranded: the program waits
 * 5 s more without making any request, then makes one synchronize_rcu()
 * itself and reports how soon the stranded caller returns after it.
 *
 * On an unpatched 7.3 the race window is a few instructions wide; widen it
 * with a udelay() between rcu_sr_normal_gp_init() and rcu_seq_start() in
 * rcu_gp_init() to see it every few rounds.
 *
 * usage: membarrier_alt_sr_race ROUNDS SPREAD_US THREADS
 * Exits 1 when a round was stranded, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "membarrier_alt_util.h"

#define MAX_THREADS	8
#define STRANDED_S	2.0
#define GIVE_UP_S	7.0

static atomic_int round_go, round_done, setup_failed;
static int spread_us;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct caller {
	int cpu;
	unsigned int seed;
};

static void *caller_fn(void *p)
{
	struct caller *c = p;
	int round;

	if (pin_to_cpu(c->cpu)) {
		perror("sched_setaffinity");
		atomic_store(&setup_failed, 1);
		return NULL;
	}
	for (round = 1;; round++) {
		double delay, t0;

		while (atomic_load(&round_go) != round)
			;
		delay = (rand_r(&c->seed) % (spread_us + 1)) / 1e6;
		t0 = now();
		while (now() - t0 < delay)
			;
		sys_membarrier(MEMBARRIER_CMD_GLOBAL, 0, 0);
		atomic_fetch_add(&round_done, 1);
	}
	return NULL;
}

static int wait_round(int nthreads, double t0, double limit)
{
	while (atomic_load(&round_done) < nthreads && now() - t0 < limit)
		usleep(1000);
	return atomic_load(&round_done) == nthreads;
}

int main(int argc, char **argv)
{
	static struct caller callers[MAX_THREADS];
	int rounds, nthreads, i, stranded = 0;
	double worst = 0, start = now();
	pthread_t t;

	if (argc != 4) {
		fprintf(stderr, "usage: %s ROUNDS SPREAD_US THREADS\n", argv[0]);
		return 2;
	}
	rounds = atoi(argv[1]);
	spread_us = atoi(argv[2]);
	nthreads = atoi(argv[3]);
	if (rounds < 1 || spread_us < 0 || nthreads < 1 ||
	    nthreads > MAX_THREADS) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	for (i = 0; i < nthreads; i++) {
		callers[i].cpu = 1 + i;
		callers[i].seed = 1234 + i;
		if (pthread_create(&t, NULL, caller_fn, &callers[i])) {
			perror("pthread_create");
			return 2;
		}
	}
	for (i = 1; i <= rounds; i++) {
		double t0 = now(), rescue, took;

		atomic_store(&round_done, 0);
		atomic_store(&round_go, i);
		if (!wait_round(nthreads, t0, STRANDED_S)) {
			if (atomic_load(&setup_failed))
				return 2;
			stranded++;
			if (wait_round(nthreads, t0, GIVE_UP_S)) {
				printf("round %d: stranded, returned on its own after %.2f s\n",
				       i, now() - t0);
			} else {
				rescue = now();
				sys_membarrier(MEMBARRIER_CMD_GLOBAL, 0, 0);
				wait_round(nthreads, rescue, 3600);
				printf("round %d: stranded for %.1f s, returned %.1f ms after one more synchronize_rcu()\n",
				       i, rescue - t0, (now() - rescue) * 1e3);
			}
			fflush(stdout);
		}
		took = now() - t0;
		if (took > worst)
			worst = took;
	}
	printf("%d rounds in %.1f s, %d threads, spread %d us: %d stranded, worst round %.1f ms\n",
	       rounds, now() - start, nthreads, spread_us, stranded,
	       worst * 1e3);
	return stranded ? 1 : 0;
}
