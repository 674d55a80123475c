// SPDX-License-Identifier: GPL-2.0
/*
 * ABI tests for /dev/membarrier_alt: the version query, QUERY, and how the
 * ioctl decodes what it is given (unknown numbers, variants, flags and
 * pointers).
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define ALL_VARIANTS	((1U << MEMBARRIER_ALT_VARIANT_NR) - 1)

FIXTURE(dev) {
	int fd;
	struct membarrier_alt_version version;
};

FIXTURE_SETUP(dev)
{
	NEED_DEVICE(return);
	self->fd = alt_open();
	ASSERT_LE(0, self->fd)
		TH_LOG("open %s: %s", MEMBARRIER_ALT_DEVICE, strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, MEMBARRIER_ALT_IOC_VERSION,
			   &self->version))
		TH_LOG("VERSION: %s", strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, version)
{
	struct membarrier_alt_version v;

	memset(&v, 0xa5, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, MEMBARRIER_ALT_IOC_VERSION, &v));
	EXPECT_EQ(MEMBARRIER_ALT_ABI_VERSION, v.abi_version);
	/* intree is the reference every other variant is compared with. */
	EXPECT_TRUE(v.variants & (1U << MEMBARRIER_ALT_VARIANT_INTREE));
	EXPECT_EQ(0, v.variants & ~ALL_VARIANTS);
	/* lazy-tlb-sync serializes for SYNC_CORE: supported iff it is. */
	EXPECT_EQ(!!(sys_membarrier(MEMBARRIER_CMD_QUERY, 0, 0) &
		     MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE),
		  !!(v.variants & (1U << MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC)));
	TH_LOG("variants 0x%x", v.variants);
}

/* The module cannot implement a command the running kernel does not know. */
TEST_F(dev, query_is_subset_of_syscall)
{
	int sys, alt;

	sys = sys_membarrier(MEMBARRIER_CMD_QUERY, 0, 0);
	ASSERT_LE(0, sys) TH_LOG("syscall QUERY: %s", strerror(errno));
	alt = alt_membarrier(self->fd, MEMBARRIER_CMD_QUERY, 0, 0,
			     MEMBARRIER_ALT_VARIANT_INTREE);
	ASSERT_LE(0, alt) TH_LOG("ioctl QUERY: %s", strerror(errno));
	TH_LOG("syscall QUERY 0x%x, ioctl QUERY 0x%x", sys, alt);
	EXPECT_EQ(0, alt & ~sys);
}

/*
 * QUERY tells the truth: every command the kernel knows but QUERY leaves
 * out is rejected with EINVAL, as membarrier(2) rejects unknown commands.
 */
TEST_F(dev, query_omits_only_rejected_commands)
{
	int sys, alt, bit, ret;

	sys = sys_membarrier(MEMBARRIER_CMD_QUERY, 0, 0);
	ASSERT_LE(0, sys);
	alt = alt_membarrier(self->fd, MEMBARRIER_CMD_QUERY, 0, 0,
			     MEMBARRIER_ALT_VARIANT_INTREE);
	ASSERT_LE(0, alt);

	for (bit = 0; bit < 31; bit++) {
		int cmd = 1 << bit;

		if (!(sys & cmd) || (alt & cmd))
			continue;
		errno = 0;
		ret = alt_membarrier(self->fd, cmd, 0, 0,
				     MEMBARRIER_ALT_VARIANT_INTREE);
		EXPECT_EQ(-1, ret) TH_LOG("cmd 0x%x not in QUERY but ran", cmd);
		EXPECT_EQ(EINVAL, errno) TH_LOG("cmd 0x%x", cmd);
	}
}

/* Same errno as the syscall for the argument checks both make. */
TEST_F(dev, query_with_flags_is_einval)
{
	unsigned int flags[] = { 1, MEMBARRIER_CMD_FLAG_CPU, 0x80000000u };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		errno = 0;
		EXPECT_EQ(-1, sys_membarrier(MEMBARRIER_CMD_QUERY, flags[i], 0));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, alt_membarrier(self->fd, MEMBARRIER_CMD_QUERY,
					     flags[i], 0,
					     MEMBARRIER_ALT_VARIANT_INTREE));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flags 0x%x", flags[i]);
	}
}

TEST_F(dev, unknown_cmd_is_einval)
{
	int cmds[] = { -1, 1 << 30, INT32_MIN, 3 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, sys_membarrier(cmds[i], 0, 0));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, alt_membarrier(self->fd, cmds[i], 0, 0,
					     MEMBARRIER_ALT_VARIANT_INTREE));
		EXPECT_EQ(EINVAL, errno) TH_LOG("cmd %d", cmds[i]);
	}
}

TEST_F(dev, unknown_variant_is_einval)
{
	unsigned int variants[] = { MEMBARRIER_ALT_VARIANT_NR, 64, UINT32_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(variants); i++) {
		errno = 0;
		EXPECT_EQ(-1, alt_membarrier(self->fd, MEMBARRIER_CMD_QUERY,
					     0, 0, variants[i]));
		EXPECT_EQ(EINVAL, errno) TH_LOG("variant %u", variants[i]);
	}
}

/* A variant VERSION does not list is refused, not silently run as intree. */
TEST_F(dev, unimplemented_variant_is_eopnotsupp)
{
	unsigned int v;

	for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++) {
		int ret;

		errno = 0;
		ret = alt_membarrier(self->fd, MEMBARRIER_CMD_QUERY, 0, 0, v);
		if (self->version.variants & (1U << v)) {
			/* Same commands as the syscall, for every variant. */
			EXPECT_EQ(sys_membarrier(MEMBARRIER_CMD_QUERY, 0, 0), ret)
				TH_LOG("variant %u: %s", v, strerror(errno));
		} else {
			EXPECT_EQ(-1, ret);
			EXPECT_EQ(EOPNOTSUPP, errno) TH_LOG("variant %u", v);
		}
	}
}

TEST_F(dev, bad_ioctl_number_is_enotty)
{
	struct membarrier_alt_cmd c = { .cmd = MEMBARRIER_CMD_QUERY };
	uint64_t big[4] = { 0 };
	unsigned long nrs[] = {
		0,
		_IO(MEMBARRIER_ALT_IOC_MAGIC, 0x7f),
		/* right number, wrong size */
		_IOW(MEMBARRIER_ALT_IOC_MAGIC, 0x01, uint64_t),
		/* right number, wrong direction */
		_IOR(MEMBARRIER_ALT_IOC_MAGIC, 0x01, struct membarrier_alt_cmd),
		_IOWR(MEMBARRIER_ALT_IOC_MAGIC, 0x00,
		      struct membarrier_alt_version),
		/* another driver's magic */
		_IOW('|', 0x01, struct membarrier_alt_cmd),
	};
	unsigned int i;

	memcpy(big, &c, sizeof(c));
	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, nrs[i], big));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("ioctl 0x%lx", nrs[i]);
	}
}

TEST_F(dev, bad_pointer_is_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map;
	void *ptrs[4];
	unsigned int i;

	/* One readable page followed by an inaccessible one. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));

	ptrs[0] = NULL;
	ptrs[1] = map + page;				/* PROT_NONE */
	ptrs[2] = map + page - 4;			/* straddles it */
	ptrs[3] = (void *)(uintptr_t)-4096;		/* kernel half */

	for (i = 0; i < ARRAY_SIZE(ptrs); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, MEMBARRIER_ALT_IOC_CMD, ptrs[i]));
		EXPECT_EQ(EFAULT, errno) TH_LOG("CMD arg %p", ptrs[i]);
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, MEMBARRIER_ALT_IOC_VERSION,
				    ptrs[i]));
		EXPECT_EQ(EFAULT, errno) TH_LOG("VERSION arg %p", ptrs[i]);
	}
	munmap(map, 2 * page);
}

/* The calls of @variant counted so far, through a file that asks. */
static long long calls_counted(unsigned int variant)
{
	struct membarrier_alt_stats st;
	int fd = alt_open();
	long long n = -1;

	if (fd >= 0 && !alt_stats(fd, variant, &st))
		n = st.calls;
	if (fd >= 0)
		close(fd);
	return n;
}

/*
 * The module counts only while an open file has asked for its counters:
 * calls through a quiet file, with no reader open, leave no trace, and
 * the same calls are counted once a reader is open.  (Nothing else of
 * ours may be open here: the dev fixture's file asks.)
 */
TEST(counters_only_while_read)
{
	const unsigned int v = MEMBARRIER_ALT_VARIANT_INTREE;
	long long before, after;
	int quiet, reader, i;

	NEED_DEVICE(return);
	quiet = alt_open_quiet();
	ASSERT_LE(0, quiet);
	before = calls_counted(v);
	ASSERT_LE(0, before);
	/* No reader open: not counted. */
	for (i = 0; i < 10; i++)
		ASSERT_LE(0, alt_membarrier(quiet, MEMBARRIER_CMD_QUERY, 0, 0, v));
	after = calls_counted(v);
	TH_LOG("no reader: %lld calls counted before, %lld after 10 calls",
	       before, after);
	EXPECT_EQ(before, after);
	/* A reader open: counted, even through the quiet file. */
	reader = alt_open();
	ASSERT_LE(0, reader);
	for (i = 0; i < 10; i++)
		ASSERT_LE(0, alt_membarrier(quiet, MEMBARRIER_CMD_QUERY, 0, 0, v));
	before = after;
	after = calls_counted(v);
	TH_LOG("reader open: %lld calls counted before, %lld after 10 calls",
	       before, after);
	EXPECT_EQ(before + 10, after);
	close(reader);
	close(quiet);
}

TEST_HARNESS_MAIN
