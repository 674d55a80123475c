/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the membarrier_alt selftests.
 */
#ifndef MEMBARRIER_ALT_UTIL_H
#define MEMBARRIER_ALT_UTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/membarrier.h>
#include <linux/membarrier_alt.h>

#include "kselftest.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* The outcome of one membarrier call: its return value and errno. */
struct mb_outcome {
	int ret;
	int err;
};

static inline int sys_membarrier(int cmd, unsigned int flags, int cpu_id)
{
	return syscall(__NR_membarrier, cmd, flags, cpu_id);
}

/* Every command of enum membarrier_cmd, QUERY included. */
static const int mb_cmds[] __maybe_unused = {
	MEMBARRIER_CMD_QUERY,
	MEMBARRIER_CMD_GLOBAL,
	MEMBARRIER_CMD_GLOBAL_EXPEDITED,
	MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
	MEMBARRIER_CMD_PRIVATE_EXPEDITED,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
	MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
	MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ,
	MEMBARRIER_CMD_GET_REGISTRATIONS,
};

/* enum membarrier_alt_variant by name, as the shim and reports spell it. */
static const char *const mb_variant_names[] __maybe_unused = {
	[MEMBARRIER_ALT_VARIANT_INTREE] = "intree",
	[MEMBARRIER_ALT_VARIANT_IDLE_FILTER] = "idle-filter",
	[MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC] = "lazy-tlb-sync",
	[MEMBARRIER_ALT_VARIANT_MM_CID_MB] = "mm-cid-mb",
};

/* The registration commands. */
static const int mb_register_cmds[] __maybe_unused = {
	MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ,
};

/* Registers the caller's mm for everything, through the syscall. */
static inline int sys_register_all(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mb_register_cmds); i++)
		if (sys_membarrier(mb_register_cmds[i], 0, 0))
			return -1;
	return 0;
}

/*
 * Opens the device without asking for its counters: the module counts
 * nothing on this file's account (a benchmark's timed calls).
 */
static inline int alt_open_quiet(void)
{
	return open(MEMBARRIER_ALT_DEVICE, O_RDWR | O_CLOEXEC);
}

static inline int alt_membarrier(int fd, int cmd, unsigned int flags,
				 int cpu_id, unsigned int variant)
{
	struct membarrier_alt_cmd c = {
		.cmd = cmd,
		.flags = flags,
		.cpu_id = cpu_id,
		.variant = variant,
	};

	return ioctl(fd, MEMBARRIER_ALT_IOC_CMD, &c);
}

/*
 * An implementation of membarrier to compare: an enum membarrier_alt_variant
 * through the device, or MB_IMPL_SYSCALL for membarrier(2) itself.
 */
#define MB_IMPL_SYSCALL	(-1)

static inline int mb_issue(int fd, int impl, int cmd, unsigned int flags,
			   int cpu_id)
{
	if (impl == MB_IMPL_SYSCALL)
		return sys_membarrier(cmd, flags, cpu_id);
	return alt_membarrier(fd, cmd, flags, cpu_id, impl);
}

static inline const char *mb_impl_name(int impl)
{
	if (impl == MB_IMPL_SYSCALL)
		return "syscall";
	if (impl >= 0 && impl < MEMBARRIER_ALT_VARIANT_NR)
		return mb_variant_names[impl];
	return "?";
}

static inline struct mb_outcome mb_call(int fd, int cmd, unsigned int flags,
					int cpu_id)
{
	struct mb_outcome o;

	errno = 0;
	if (fd < 0)
		o.ret = sys_membarrier(cmd, flags, cpu_id);
	else
		o.ret = alt_membarrier(fd, cmd, flags, cpu_id,
				       MEMBARRIER_ALT_VARIANT_INTREE);
	o.err = o.ret < 0 ? errno : 0;
	return o;
}

static inline int alt_stats(int fd, unsigned int variant,
			    struct membarrier_alt_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->variant = variant;
	return ioctl(fd, MEMBARRIER_ALT_IOC_STATS, st);
}

static inline int alt_stats_reset(int fd)
{
	return ioctl(fd, MEMBARRIER_ALT_IOC_STATS_RESET);
}

/*
 * Opens the device and asks for its counters, so that the module counts
 * every call, IPI and hook from now until the file is closed (see
 * MEMBARRIER_ALT_IOC_STATS_RESET): what a test needs before the calls it
 * counts.
 */
static inline int alt_open(void)
{
	struct membarrier_alt_stats st;
	int fd = alt_open_quiet(), err;

	if (fd >= 0 && alt_stats(fd, MEMBARRIER_ALT_VARIANT_INTREE, &st)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Adds the counters of @b that a reset zeroes to those of @a. */
static inline void alt_stats_add(struct membarrier_alt_stats *a,
				 const struct membarrier_alt_stats *b)
{
	int i;

	a->nr_cpu_ids = b->nr_cpu_ids;
	a->calls += b->calls;
	a->ipis += b->ipis;
	a->local += b->local;
	a->hooks += b->hooks;
	a->serialized += b->serialized;
	a->hook_barriers += b->hook_barriers;
	for (i = 0; i < MEMBARRIER_ALT_SKIP_NR; i++)
		a->skipped[i] += b->skipped[i];
	a->lazy_unknown += b->lazy_unknown;
	for (i = 0; i < MEMBARRIER_ALT_MAX_CPUS; i++) {
		a->ipis_per_cpu[i] += b->ipis_per_cpu[i];
		a->hooks_per_cpu[i] += b->hooks_per_cpu[i];
		a->hook_barriers_per_cpu[i] += b->hook_barriers_per_cpu[i];
	}
}

/*
 * Calls that found another process on a CPU a layout keeps free, at most,
 * with the pause before the next try: 10 s of pauses in all.
 */
#define LAYOUT_MAX_INTRUDED	2000
#define LAYOUT_PAUSE_US		5000

/*
 * A layout test arranges what every CPU runs: its own threads, often
 * SCHED_FIFO, on some, and nothing on the others.  It cannot keep the
 * rest of the system off the free CPUs: with FIFO spinners everywhere
 * else, every runnable task of the machine is pulled there.  Under TCG the
 * kselftest runner's own output filter (a perl process) can stay for
 * seconds.  A private command counts a CPU that runs a user task of
 * another mm under MEMBARRIER_ALT_SKIP_OTHER_MM, whatever the variant.
 *
 * layout_calls() issues @calls calls of @cmd through @variant, one at a
 * time, and adds to *@sum the counters of each call that skipped exactly
 * @other_mm CPUs as running another mm: the CPUs where the layout put
 * one.  A call that skipped more found an intruder; its counters go to
 * *@intruded instead, and it is issued again after a pause.  So *@sum
 * holds the counters of @calls calls made on the layout, and the caller
 * asserts exact counts on them; *@intruded still shows what the calls
 * that met an intruder interrupted.  Only private commands: the global
 * command's skip reasons depend on the runqueue state, not on the mm.
 *
 * Returns the number of calls that met an intruder, or -errno: of the
 * first call or stats request that failed, or -EAGAIN when more than
 * LAYOUT_MAX_INTRUDED did.  The stats are reset before every call.
 */
static inline int layout_calls(int fd, int cmd, unsigned int flags, int cpu,
			       unsigned int variant, int calls,
			       unsigned long long other_mm,
			       struct membarrier_alt_stats *sum,
			       struct membarrier_alt_stats *intruded)
{
	struct membarrier_alt_stats one;
	int done = 0, met = 0;

	memset(sum, 0, sizeof(*sum));
	memset(intruded, 0, sizeof(*intruded));
	sum->variant = intruded->variant = variant;
	while (done < calls) {
		if (alt_stats_reset(fd) ||
		    alt_membarrier(fd, cmd, flags, cpu, variant) ||
		    alt_stats(fd, variant, &one))
			return -errno;
		if (one.skipped[MEMBARRIER_ALT_SKIP_OTHER_MM] == other_mm) {
			alt_stats_add(sum, &one);
			done++;
			continue;
		}
		alt_stats_add(intruded, &one);
		if (++met > LAYOUT_MAX_INTRUDED)
			return -EAGAIN;
		usleep(LAYOUT_PAUSE_US);
	}
	/* The oracle's counters are not reset: the latest are the totals. */
	sum->oracle = one.oracle;
	sum->oracle_mm_violations = one.oracle_mm_violations;
	memcpy(sum->oracle_violations_per_cpu, one.oracle_violations_per_cpu,
	       sizeof(one.oracle_violations_per_cpu));
	return met;
}

/* The control file of the test kthreads, membarrier_alt_kthreads.ko. */
#define KTHREADS_CTL	"/sys/kernel/debug/membarrier_alt_kthreads/ctl"

/*
 * What a test needs from the machine and cannot provide itself.  As in any
 * kselftest, a missing prerequisite SKIPs the test: use these at the top of
 * a TEST() or FIXTURE_SETUP(), before it acquires anything (a setup that
 * skips has no teardown), with the statement SKIP() runs, as SKIP() takes
 * it: NEED_DEVICE(return).  `make check` provides all of them in its
 * guests, and counts a skip there as a failure.
 */
#define NEED_DEVICE(statement)						\
	do {								\
		if (access(MEMBARRIER_ALT_DEVICE, R_OK | W_OK))		\
			SKIP(statement, "%s: %s (is membarrier_alt.ko loaded?)", \
			     MEMBARRIER_ALT_DEVICE, strerror(errno));	\
	} while (0)

#define NEED_KTHREADS(statement)					\
	do {								\
		if (access(KTHREADS_CTL, W_OK))				\
			SKIP(statement, "%s: %s (is membarrier_alt_kthreads.ko loaded?)", \
			     KTHREADS_CTL, strerror(errno));		\
	} while (0)

#define NEED_ONLINE_CPUS(statement, n)					\
	do {								\
		long __online = sysconf(_SC_NPROCESSORS_ONLN);		\
									\
		if (__online < (n))					\
			SKIP(statement, "needs %d online CPUs, %ld are",	\
			     (n), __online);				\
	} while (0)

/* Writes @cmd ("nomm CPU", "use_mm CPU ADDR", "stop", ...) to it. */
static inline int kthreads_ctl(const char *cmd)
{
	int fd = open(KTHREADS_CTL, O_WRONLY), ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		ret = -1;
	close(fd);
	return ret;
}

static inline int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A thread body that blocks until the write end of the pipe whose read
 * end @arg points to is closed.  It keeps mm_users above 1, without
 * ever running: the private commands return before they look at any CPU
 * when the caller's mm has one user.
 */
static inline void *blocker(void *arg)
{
	char c;

	while (read(*(int *)arg, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/*
 * The check guests have more possible CPUs than online ones (see
 * qemu/check.config): tests that take a CPU down or bring one up use
 * these, and restore what they found.
 */
#define CPU_ONLINE_PATH	"/sys/devices/system/cpu/cpu%d/online"

/* 1 if @cpu is online, 0 if not, -1 if it has no online file. */
static inline int cpu_online(int cpu)
{
	char path[64];
	FILE *f;
	int c;

	snprintf(path, sizeof(path), CPU_ONLINE_PATH, cpu);
	f = fopen(path, "r");
	if (!f)
		return -1;
	c = fgetc(f);
	fclose(f);
	return c == '1' ? 1 : c == '0' ? 0 : -1;
}

static inline int set_cpu_online(int cpu, int online)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), CPU_ONLINE_PATH, cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, online ? "1" : "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * The tests pin SCHED_FIFO spinners to CPUs and then assert what each
 * CPU's rq->curr was at every call.  The fair deadline server would let
 * a waking CFS task (a per-CPU kworker, say) preempt a spinner for up to
 * 50 ms a second and turn an exact count into a flaky one.  These turn
 * it off on the CPUs under test and restore it afterwards; the kernel
 * notes each change in dmesg with pr_info().
 */
#define FAIR_SERVER_RUNTIME "/sys/kernel/debug/sched/fair_server/cpu%d/runtime"

static inline int fair_server_runtime(int cpu, unsigned long long *get,
				      const unsigned long long *set)
{
	char path[96];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), FAIR_SERVER_RUNTIME, cpu);
	f = fopen(path, get ? "r" : "w");
	if (!f)
		return -1;
	if (get)
		ret = fscanf(f, "%llu", get) == 1 ? 0 : -1;
	else
		ret = fprintf(f, "%llu\n", *set) > 0 ? 0 : -1;
	if (fclose(f))
		ret = -1;
	return ret;
}

/*
 * Stops CFS preemption of RT tasks on @cpu; *@saved gets the old runtime.
 * A CPU first brought online after boot has no server to stop: 7.3 sets
 * the servers up only for the CPUs online in sched_init_smp(), and its
 * runtime reads 0 (and writing 0 fails, for the period 0 beside it).
 */
static inline int fair_server_off(int cpu, unsigned long long *saved)
{
	unsigned long long zero = 0;

	if (fair_server_runtime(cpu, saved, NULL))
		return -1;
	if (!*saved)
		return 0;
	return fair_server_runtime(cpu, NULL, &zero);
}

static inline int fair_server_restore(int cpu, unsigned long long saved)
{
	if (!saved)
		return 0;
	return fair_server_runtime(cpu, NULL, &saved);
}

/*
 * Function-call IPIs CPU @cpu received, from /proc/interrupts: the arch's
 * "Function call interrupts" line (x86 CAL, arm64 IPI1), or on powerpc,
 * whose XIVE counts every IPI on one line, that line: an upper bound.
 * With @cpu < 0, the sum over all CPUs.  -1 if there is neither line.
 */
static inline long long proc_fcall_ipis(int cpu)
{
	long long n = -1, sum = 0;
	char line[4096];
	FILE *f = fopen("/proc/interrupts", "r");
	int ncpu = sysconf(_SC_NPROCESSORS_CONF);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');
		int i;

		if (!p || (!strstr(line, "Function call interrupts") &&
			   !strstr(line, "XIVE-IPI")))
			continue;
		p++;
		for (i = 0; i < ncpu && (cpu < 0 || i <= cpu); i++) {
			n = strtoll(p, &p, 10);
			sum += n;
		}
		if (cpu < 0)
			n = sum;
		break;
	}
	fclose(f);
	return n;
}

/*
 * The SYNC_CORE oracle's debugfs: only kernels with patches/debug/
 * (CONFIG_MEMBARRIER_SYNC_CORE_ORACLE) have it.
 */
#define ORACLE_DIR	"/sys/kernel/debug/membarrier_oracle/"

/* The oracle's serializing events, in the order of its "cpus" columns. */
enum { EV_SYNC_CORE, EV_CR3, EV_IRQ_RETURN, EV_USER_RETURN, NR_EV };

/* One CPU's line of ORACLE_DIR "cpus". */
struct oracle_stat {
	unsigned long long checks, violations, covered[NR_EV], events[NR_EV];
};

/*
 * CPU @cpu's counters from ORACLE_DIR "cpus", or with @cpu < 0 their sums
 * over every CPU.  0, or -1 if there is no such file or CPU.
 */
static inline int oracle_cpu(int cpu, struct oracle_stat *o)
{
	char line[512];
	FILE *f = fopen(ORACLE_DIR "cpus", "r");
	int e, ret = -1;

	memset(o, 0, sizeof(*o));
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))	/* header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		struct oracle_stat l;
		int c;

		if (sscanf(line, "%d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &c, &l.checks, &l.violations,
			   &l.covered[0], &l.covered[1], &l.covered[2],
			   &l.covered[3], &l.events[0], &l.events[1],
			   &l.events[2], &l.events[3]) != 11 ||
		    (cpu >= 0 && c != cpu))
			continue;
		o->checks += l.checks;
		o->violations += l.violations;
		for (e = 0; e < NR_EV; e++) {
			o->covered[e] += l.covered[e];
			o->events[e] += l.events[e];
		}
		ret = 0;
		if (cpu >= 0)
			break;
	}
out:
	fclose(f);
	return ret;
}

#endif /* MEMBARRIER_ALT_UTIL_H */
