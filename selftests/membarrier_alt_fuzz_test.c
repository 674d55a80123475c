// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: random ioctl numbers, commands, flags, cpu_ids, variants and
 * argument pointers (NULL, unmapped, PROT_NONE, kernel addresses, buffers
 * cut short by an inaccessible page).  Every call must succeed or fail with
 * one of the errnos the ABI documents; the guest script then checks that
 * dmesg stayed clean.
 *
 * MEMBARRIER_CMD_GLOBAL is only drawn with invalid flags: when valid it
 * waits for an RCU grace period, which would turn this into a test of RCU
 * latency under TCG.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define NR_CALLS	100000

static unsigned long long rng_state = 0x9e3779b97f4a7c15ull;

static unsigned long long rnd(void)
{
	/* xorshift64*: reproducible from the seed printed in the log. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static int errno_allowed(int e)
{
	return e == EINVAL || e == EPERM || e == EFAULT || e == ENOTTY ||
	       e == EOPNOTSUPP || e == ENOMEM;
}

/* No state: a fixture only to set a timeout longer than the default. */
FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
	NEED_DEVICE(return);
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, random_ioctls, 600)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long errs[4] = { 0 }, ok = 0;
	char *good, *guarded, *unmapped;
	unsigned long nr;
	int fd, i;

	fd = alt_open();
	ASSERT_LE(0, fd);
	if (getenv("MBA_FUZZ_SEED"))
		rng_state = strtoull(getenv("MBA_FUZZ_SEED"), NULL, 0);
	TH_LOG("seed 0x%llx", rng_state);

	good = mmap(NULL, page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guarded = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unmapped = mmap(NULL, page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, good);
	ASSERT_NE(MAP_FAILED, guarded);
	ASSERT_NE(MAP_FAILED, unmapped);
	ASSERT_EQ(0, mprotect(guarded + page, page, PROT_NONE));
	ASSERT_EQ(0, munmap(unmapped, page));

	for (i = 0; i < NR_CALLS; i++) {
		struct membarrier_alt_cmd c;
		unsigned long long r = rnd();
		void *arg;
		int ret;

		/* The ioctl number: mostly ours, sometimes anything. */
		switch (r % 8) {
		case 0: case 1: case 2: case 3:
			nr = MEMBARRIER_ALT_IOC_CMD;
			break;
		case 4:
			nr = MEMBARRIER_ALT_IOC_STATS;
			break;
		case 5:
			nr = (r >> 8) % 2 ? MEMBARRIER_ALT_IOC_VERSION :
					    MEMBARRIER_ALT_IOC_STATS_RESET;
			break;
		case 6:
			nr = _IOC((r >> 8) & 3, MEMBARRIER_ALT_IOC_MAGIC,
				  (r >> 10) & 0xff, (r >> 18) & 0x3fff);
			break;
		default:
			nr = (unsigned int)(r >> 32);
			break;
		}

		/* The argument block. */
		r = rnd();
		c.cmd = r % 2 ? mb_cmds[(r >> 1) % ARRAY_SIZE(mb_cmds)] :
				(int)(r >> 8);
		r = rnd();
		c.flags = r % 4 ? (unsigned int)(r % 3) : (unsigned int)(r >> 32);
		if (c.cmd == MEMBARRIER_CMD_GLOBAL && !c.flags)
			c.flags = 1;
		r = rnd();
		c.cpu_id = r % 2 ? (int)(r % 8) - 1 : (int)(r >> 32);
		r = rnd();
		c.variant = r % 2 ? 0 : (unsigned int)(r % 8 ? r % 6 : r >> 32);

		/* Where the argument lives. */
		r = rnd();
		switch (r % 8) {
		case 0:
			arg = NULL;
			break;
		case 1:
			arg = unmapped;
			break;
		case 2:
			arg = guarded + page;		/* PROT_NONE */
			break;
		case 3:
			/* cut short: 1..15 bytes before the guard page */
			arg = guarded + page - 1 - (r >> 8) % 15;
			memcpy(arg, &c, guarded + page - (char *)arg);
			break;
		case 4:
			arg = (void *)(uintptr_t)(-4096UL - ((r >> 8) & ~7UL) % (1UL << 20));
			break;
		default:
			memset(good, 0, page);
			memcpy(good, &c, sizeof(c));
			arg = good;
			break;
		}

		errno = 0;
		ret = ioctl(fd, nr, arg);
		if (ret >= 0) {
			ok++;
			continue;
		}
		if (!errno_allowed(errno)) {
			TH_LOG("call %d: ioctl 0x%lx cmd %d flags 0x%x cpu %d variant %u arg %p: errno %d (%s)",
			       i, nr, c.cmd, c.flags, c.cpu_id, c.variant, arg,
			       errno, strerror(errno));
			ASSERT_TRUE(errno_allowed(errno));
		}
		errs[errno == EINVAL ? 0 : errno == EFAULT ? 1 :
		     errno == ENOTTY ? 2 : 3]++;
	}
	TH_LOG("%d calls: %llu ok, %llu EINVAL, %llu EFAULT, %llu ENOTTY, %llu other allowed",
	       NR_CALLS, ok, errs[0], errs[1], errs[2], errs[3]);
	/* The device still works. */
	EXPECT_LE(0, alt_membarrier(fd, MEMBARRIER_CMD_QUERY, 0, 0,
				    MEMBARRIER_ALT_VARIANT_INTREE));
	close(fd);
}

TEST_HARNESS_MAIN
