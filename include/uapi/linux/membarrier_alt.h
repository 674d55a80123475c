/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * membarrier_alt: a membarrier(2) look-alike behind /dev/membarrier_alt,
 * used to compare CPU targeting variants against the in-tree syscall.
 *
 * This header is the ABI.  rust/uapi.rs mirrors it and checks the size and
 * layout of every structure at compile time.
 */
#ifndef _UAPI_LINUX_MEMBARRIER_ALT_H
#define _UAPI_LINUX_MEMBARRIER_ALT_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MEMBARRIER_ALT_DEVICE		"/dev/membarrier_alt"

/* Bumped on any incompatible change of the structures below. */
#define MEMBARRIER_ALT_ABI_VERSION	5

/*
 * enum membarrier_alt_variant - how the targets of an expedited command are
 * chosen and which barriers are attached to the scheduler hooks.
 *
 * @MEMBARRIER_ALT_VARIANT_INTREE:	the in-tree targeting, errno included.
 * @MEMBARRIER_ALT_VARIANT_IDLE_FILTER:	the in-tree targeting with "current has
 *					no mm" replaced by "current is the idle
 *					task"; GLOBAL_EXPEDITED keeps the
 *					registration filter.
 * @MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC: core serialization where a lazily
 *					held mm becomes active again.
 * @MEMBARRIER_ALT_VARIANT_MM_CID_MB:	option A's barriers before the mm_cid
 *					switch (fe90f3967bdb).
 *
 * Targeting variants act per call: the variant of each command decides
 * which CPUs it interrupts.  Hook variants (lazy-tlb-sync, mm-cid-mb) act in
 * the scheduler, which must know which mms want them.  An mm opts in
 * together with the kernel's own registration (shared with membarrier(2)),
 * in one step that either succeeds as a whole or leaves nothing behind:
 * lazy-tlb-sync with MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
 * only (other REGISTER_* commands issued with it register in-tree and
 * nothing more), mm-cid-mb with any MEMBARRIER_CMD_REGISTER_* command.
 * Like the registration, the opt-in is inherited on fork and cleared on
 * exec; there is no limit on how many mms opt in.  Their commands target
 * as intree does.
 *
 * A variant may be known but unsupported by this kernel and arch (for
 * lazy-tlb-sync, an arch without ARCH_HAS_MEMBARRIER_SYNC_CORE; for
 * mm-cid-mb, a kernel without SCHED_MM_CID): every command with it, QUERY
 * included, fails with EOPNOTSUPP.  So MEMBARRIER_CMD_QUERY issued with a
 * variant answers both questions: which commands, and whether the variant
 * is usable here.  An unknown variant fails with EINVAL.
 */
enum membarrier_alt_variant {
	MEMBARRIER_ALT_VARIANT_INTREE		= 0,
	MEMBARRIER_ALT_VARIANT_IDLE_FILTER	= 1,
	MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC	= 2,
	MEMBARRIER_ALT_VARIANT_MM_CID_MB	= 3,
	MEMBARRIER_ALT_VARIANT_NR,
};

/**
 * struct membarrier_alt_version - answer of MEMBARRIER_ALT_IOC_VERSION
 * @abi_version: MEMBARRIER_ALT_ABI_VERSION of the loaded module.
 * @variants:    bitmask of (1 << enum membarrier_alt_variant) the module
 *               supports on this kernel and arch.
 */
struct membarrier_alt_version {
	__u32 abi_version;
	__u32 variants;
};

/**
 * struct membarrier_alt_cmd - argument of MEMBARRIER_ALT_IOC_CMD
 * @cmd:     enum membarrier_cmd, as for membarrier(2).
 * @flags:   enum membarrier_cmd_flag, as for membarrier(2).
 * @cpu_id:  as for membarrier(2); used with MEMBARRIER_CMD_FLAG_CPU only.
 * @variant: enum membarrier_alt_variant.
 *
 * The ioctl returns what membarrier(2) would return: a non-negative value
 * (a command bitmask for QUERY and GET_REGISTRATIONS, else 0) or -1 with
 * errno set.
 */
struct membarrier_alt_cmd {
	__s32 cmd;
	__u32 flags;
	__s32 cpu_id;
	__u32 variant;
};

/*
 * enum membarrier_alt_skip - why an expedited command did not interrupt a
 * CPU.
 *
 * @MEMBARRIER_ALT_SKIP_SELF:	the calling CPU, ordered by the caller's own
 *				barriers.
 * @MEMBARRIER_ALT_SKIP_IDLE:	running its idle task.
 * @MEMBARRIER_ALT_SKIP_NO_MM:	running a kernel thread without an mm.
 * @MEMBARRIER_ALT_SKIP_OTHER_MM: running a task of another mm.
 * @MEMBARRIER_ALT_SKIP_NOT_REGISTERED: (GLOBAL_EXPEDITED) running a task
 *				whose mm did not register for it.
 * @MEMBARRIER_ALT_SKIP_OFFLINE: possible but offline.
 */
enum membarrier_alt_skip {
	MEMBARRIER_ALT_SKIP_SELF		= 0,
	MEMBARRIER_ALT_SKIP_IDLE		= 1,
	MEMBARRIER_ALT_SKIP_NO_MM		= 2,
	MEMBARRIER_ALT_SKIP_OTHER_MM		= 3,
	MEMBARRIER_ALT_SKIP_NOT_REGISTERED	= 4,
	MEMBARRIER_ALT_SKIP_OFFLINE		= 5,
	MEMBARRIER_ALT_SKIP_NR,
};

/* CPUs beyond this count in the totals but have no per-CPU counter. */
#define MEMBARRIER_ALT_MAX_CPUS		256

/**
 * struct membarrier_alt_stats - counters of one variant, since load or reset
 * @variant:	in: enum membarrier_alt_variant to report.
 * @nr_cpu_ids:	out: nr_cpu_ids; @ipis_per_cpu has that many valid entries,
 *		at most MEMBARRIER_ALT_MAX_CPUS.
 * @calls:	MEMBARRIER_ALT_IOC_CMD calls with this variant.
 * @ipis:	IPI handler runs on a CPU other than the sender's.
 * @local:	handler runs on the sender's own CPU (SYNC_CORE runs it there,
 *		and FLAG_CPU may name the calling CPU).
 * @hooks:	scheduler hook invocations attributed to this variant.  The
 *		kernel calls the hooks only for an mm that opted into one of
 *		the hook variants (membarrier_mm_hooked()), so switches of
 *		other mms never count here.
 * @serialized:	runs of the architecture's core serialization in SYNC_CORE
 *		IPI handlers of this variant, on any CPU.
 * @hook_barriers: times the scheduler hooks of this variant acted for an
 *		opted-in mm: lazy-tlb-sync's core serialization (on arm64
 *		and powerpc an empty one, the return to user space does it),
 *		mm-cid-mb's barrier (on x86 user to user a no-op, as
 *		upstream's).  Never counted in @serialized, so that the two
 *		sources stay apart.
 * @skipped:	CPUs not interrupted, by enum membarrier_alt_skip.
 * @lazy_unknown: CPUs interrupted because they ran a kernel thread caught
 *		between the store to rq->curr and the store of the lazy mm it
 *		takes over, which may be the caller's (idle-filter, private
 *		commands); counted in @ipis or @local as well.
 * @ipis_per_cpu: @ipis by receiving CPU.
 * @hooks_per_cpu: @hooks by the CPU the hook ran on.
 * @hook_barriers_per_cpu: @hook_barriers by the CPU the hook ran on.
 * @oracle:	1 if the kernel has the SYNC_CORE oracle
 *		(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE, patches/debug/), else 0
 *		and the fields below are zero.
 * @reserved:	zero.
 * @oracle_mm_violations: returns to user space of the caller's mm that no
 *		core serialization covered after a SYNC_CORE command, by any
 *		implementation, since the mm was created.  Not reset.
 * @oracle_violations_per_cpu: the same by CPU, for every mm, since boot,
 *		saturated at 2^32 - 1 (32 bits keep the structure within
 *		powerpc's 13-bit ioctl size field).  Not reset.  debugfs
 *		membarrier_oracle/cpus has the rest.
 */
struct membarrier_alt_stats {
	__u32 variant;
	__u32 nr_cpu_ids;
	__u64 calls;
	__u64 ipis;
	__u64 local;
	__u64 hooks;
	__u64 serialized;
	__u64 hook_barriers;
	__u64 skipped[MEMBARRIER_ALT_SKIP_NR];
	__u64 lazy_unknown;
	__u64 ipis_per_cpu[MEMBARRIER_ALT_MAX_CPUS];
	__u64 hooks_per_cpu[MEMBARRIER_ALT_MAX_CPUS];
	__u64 hook_barriers_per_cpu[MEMBARRIER_ALT_MAX_CPUS];
	__u32 oracle;
	__u32 reserved;
	__u64 oracle_mm_violations;
	__u32 oracle_violations_per_cpu[MEMBARRIER_ALT_MAX_CPUS];
};

#define MEMBARRIER_ALT_IOC_MAGIC	0xB9

#define MEMBARRIER_ALT_IOC_VERSION	\
	_IOR(MEMBARRIER_ALT_IOC_MAGIC, 0x00, struct membarrier_alt_version)
#define MEMBARRIER_ALT_IOC_CMD		\
	_IOW(MEMBARRIER_ALT_IOC_MAGIC, 0x01, struct membarrier_alt_cmd)
#define MEMBARRIER_ALT_IOC_STATS	\
	_IOWR(MEMBARRIER_ALT_IOC_MAGIC, 0x02, struct membarrier_alt_stats)
/*
 * Zeroes the counters of every variant.
 *
 * The counters count only while an open file of the device has asked for
 * them with MEMBARRIER_ALT_IOC_STATS (successfully) or
 * MEMBARRIER_ALT_IOC_STATS_RESET, until it is closed: a file that never
 * asks, as a benchmark's timed calls, runs without the module's
 * bookkeeping, and a test asks before the calls it counts.
 */
#define MEMBARRIER_ALT_IOC_STATS_RESET	_IO(MEMBARRIER_ALT_IOC_MAGIC, 0x03)

#endif /* _UAPI_LINUX_MEMBARRIER_ALT_H */
