// SPDX-License-Identifier: GPL-2.0
/*
 * Load for the rmmod-under-load check of guest-selftests.sh: registers
 * this process for both hook variants (lazy-tlb-sync opts in with
 * SYNC_CORE only; either attaches the scheduler
 * hooks), closes the device so that rmmod may proceed, then keeps
 * context-switching for SECONDS so that the hooks fire while the module
 * goes away.  Prints "hookload: ready" once the hooks are attached.
 *
 * usage: membarrier_alt_hookload SECONDS
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "membarrier_alt_util.h"

static time_t until;

static void *yielder(void *arg)
{
	if (pin_to_cpu((long)arg))
		return NULL;
	while (time(NULL) < until)
		sched_yield();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[4];
	long i;
	int fd;

	if (argc != 2)
		return 2;
	fd = alt_open();
	if (fd < 0 ||
	    alt_membarrier(fd, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
			   0, 0, MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC) ||
	    alt_membarrier(fd, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0,
			   MEMBARRIER_ALT_VARIANT_MM_CID_MB)) {
		perror("hookload: register");
		return 1;
	}
	close(fd);
	until = time(NULL) + atoi(argv[1]);
	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, yielder, (void *)(i % 2)))
			return 1;
	printf("hookload: ready\n");
	fflush(stdout);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}
