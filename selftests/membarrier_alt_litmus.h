/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user side of the store-buffering litmus against a kernel thread of
 * membarrier_alt_kthreads.ko ("litmus CPU ADDR"), which runs inside
 * kthread_use_mm() of our mm:
 *
 *   kthread                   user thread (here)
 *   x = 1                     y = 1
 *   (nothing)                 membarrier(PRIVATE_EXPEDITED)
 *   r1 = y                    r2 = x
 *
 * r1 == 0 && r2 == 0 is forbidden when the membarrier interrupted the
 * kthread (its IPI is a full barrier between the kthread's x = 1 and
 * r1 = y).  Shared by the kthread selftest and the A/B benchmark.
 */
#ifndef MEMBARRIER_ALT_LITMUS_H
#define MEMBARRIER_ALT_LITMUS_H

#include "membarrier_alt_util.h"

/* Mirror of struct sb_litmus in kthreads/membarrier_alt_kthreads.c. */
struct sb_litmus {
	unsigned int go, x, y, r1, done;
};

/* The control: a compiler barrier only, no membarrier. */
#define SB_NONE	(-2)

/*
 * Runs @iterations iterations numbered from *@first, with the membarrier of
 * @impl (SB_NONE, or an implementation as for mb_issue() through @fd).
 * Returns how many saw the forbidden outcome, or -1 if a call failed.
 */
static inline int sb_run(struct sb_litmus *sb, int fd, int impl,
			 unsigned int *first, unsigned int iterations)
{
	unsigned int i, r1, r2;
	int forbidden = 0, ret;

	for (i = *first; i < *first + iterations; i++) {
		__atomic_store_n(&sb->x, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&sb->y, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&sb->go, i, __ATOMIC_SEQ_CST);

		__atomic_store_n(&sb->y, 1, __ATOMIC_RELAXED);
		if (impl == SB_NONE) {
			__asm__ __volatile__("" ::: "memory");
			ret = 0;
		} else {
			ret = mb_issue(fd, impl,
				       MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, -1);
		}
		if (ret)
			return -1;
		r2 = __atomic_load_n(&sb->x, __ATOMIC_RELAXED);

		while (__atomic_load_n(&sb->done, __ATOMIC_ACQUIRE) != i)
			;
		r1 = __atomic_load_n(&sb->r1, __ATOMIC_RELAXED);
		if (!r1 && !r2)
			forbidden++;
	}
	*first = i;
	return forbidden;
}

#endif /* MEMBARRIER_ALT_LITMUS_H */
