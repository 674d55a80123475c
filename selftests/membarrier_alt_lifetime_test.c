// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime: an open file pins the module, and processes that die while
 * their threads are inside the ioctl leave nothing behind (the guest script
 * checks dmesg after the run, and rmmod at the end must succeed).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define NR_THREADS	8
#define NR_ROUNDS	40

/* No state: a fixture only to set a timeout longer than the default. */
FIXTURE(lifetime) {
};

FIXTURE_SETUP(lifetime)
{
	NEED_DEVICE(return);
}

FIXTURE_TEARDOWN(lifetime)
{
}

TEST(rmmod_with_open_fd_fails)
{
	int fd;

	NEED_DEVICE(return);
	fd = alt_open();
	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, syscall(__NR_delete_module, "membarrier_alt", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* Still there, still working. */
	EXPECT_EQ(0, access(MEMBARRIER_ALT_DEVICE, F_OK));
	EXPECT_LE(0, alt_membarrier(fd, MEMBARRIER_CMD_QUERY, 0, 0,
				    MEMBARRIER_ALT_VARIANT_INTREE));
	close(fd);
}

static int hammer_fd;

static void *hammer(void *arg)
{
	static const int cmds[] = {
		MEMBARRIER_CMD_PRIVATE_EXPEDITED,
		MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
		MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		MEMBARRIER_CMD_GLOBAL_EXPEDITED,
		MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
	};
	unsigned long i;

	for (i = (unsigned long)arg;; i++)
		alt_membarrier(hammer_fd, cmds[i % ARRAY_SIZE(cmds)], 0, -1,
			       MEMBARRIER_ALT_VARIANT_INTREE);
	return NULL;
}

/*
 * A child starts NR_THREADS threads that loop in the ioctl, then dies: by
 * SIGKILL from the parent, or by exit() from its main thread, while the
 * others are inside the module.
 */
TEST_F_TIMEOUT(lifetime, exit_during_calls, 300)
{
	int round, fd;

	for (round = 0; round < NR_ROUNDS; round++) {
		int status, by_kill = round % 2;
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			pthread_t t;
			unsigned long i;

			hammer_fd = alt_open();
			if (hammer_fd < 0)
				_exit(20);
			if (sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) ||
			    sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) ||
			    sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0))
				_exit(21);
			for (i = 0; i < NR_THREADS; i++)
				if (pthread_create(&t, NULL, hammer, (void *)i))
					_exit(22);
			usleep(20000);
			if (by_kill)
				pause();
			exit(0);
		}
		if (by_kill) {
			usleep(30000);
			kill(pid, SIGKILL);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (by_kill) {
			EXPECT_TRUE(WIFSIGNALED(status) &&
				    WTERMSIG(status) == SIGKILL);
		} else {
			EXPECT_TRUE(WIFEXITED(status) &&
				    WEXITSTATUS(status) == 0)
				TH_LOG("round %d: status 0x%x", round, status);
		}
	}
	TH_LOG("%d children died with %d threads inside the ioctl",
	       NR_ROUNDS, NR_THREADS);

	/* The module is still healthy and unpinned by the dead. */
	fd = alt_open();
	ASSERT_LE(0, fd);
	EXPECT_LE(0, alt_membarrier(fd, MEMBARRIER_CMD_QUERY, 0, 0,
				    MEMBARRIER_ALT_VARIANT_INTREE));
	close(fd);
}

TEST_HARNESS_MAIN
