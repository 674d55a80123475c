// SPDX-License-Identifier: GPL-2.0

//! The membarrier(2) command set, as seen through the ioctl.
//!
//! Argument checks, shortcuts and barriers follow `SYSCALL_DEFINE3(membarrier,
//! ...)` in `kernel/sched/membarrier.c`, in the same order, so that with the
//! `intree` variant every input gets the syscall's return value and errno.
//! Only the choice of target CPUs is delegated, to `targeting.rs`.
//!
//! Registration is not reimplemented: REGISTER_* and GET_REGISTRATIONS go to
//! `membarrier_register_current()`, so the syscall and the module share one
//! registration state and the scheduler keeps `rq->membarrier_state` right.

use core::ptr;
use kernel::{
    bindings,
    cpu::CpuId,
    cpumask::CpumaskVar,
    prelude::*,
    sync::barrier::{
        smp_mb,
        Full, //
    },
};

use crate::{
    hooks,
    ipi::{
        Flavor,
        IpiInfo, //
    },
    oracle,
    serialize::{
        self,
        CpuMutexes, //
    },
    stats,
    targeting::{
        select_targets,
        targets_cpu,
        Policy,
        Scope, //
    },
    uapi::{
        Cmd,
        Skip,
        Variant, //
    },
};

const CMD_QUERY: i32 = bindings::membarrier_cmd_MEMBARRIER_CMD_QUERY as i32;
const CMD_GLOBAL: i32 = bindings::membarrier_cmd_MEMBARRIER_CMD_GLOBAL as i32;
const CMD_GLOBAL_EXPEDITED: i32 = bindings::membarrier_cmd_MEMBARRIER_CMD_GLOBAL_EXPEDITED as i32;
const CMD_REGISTER_GLOBAL_EXPEDITED: i32 =
    bindings::membarrier_cmd_MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED as i32;
const CMD_PRIVATE_EXPEDITED: i32 = bindings::membarrier_cmd_MEMBARRIER_CMD_PRIVATE_EXPEDITED as i32;
const CMD_REGISTER_PRIVATE_EXPEDITED: i32 =
    bindings::membarrier_cmd_MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED as i32;
const CMD_PRIVATE_EXPEDITED_SYNC_CORE: i32 =
    bindings::membarrier_cmd_MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE as i32;
const CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: i32 =
    bindings::membarrier_cmd_MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE as i32;
const CMD_PRIVATE_EXPEDITED_RSEQ: i32 =
    bindings::membarrier_cmd_MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ as i32;
const CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ: i32 =
    bindings::membarrier_cmd_MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ as i32;
const CMD_GET_REGISTRATIONS: i32 = bindings::membarrier_cmd_MEMBARRIER_CMD_GET_REGISTRATIONS as i32;
const FLAG_CPU: u32 = bindings::membarrier_cmd_flag_MEMBARRIER_CMD_FLAG_CPU;

const STATE_PRIVATE_EXPEDITED_READY: i32 =
    bindings::MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY as i32;
const STATE_SYNC_CORE_READY: i32 =
    bindings::MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY as i32;
const STATE_RSEQ_READY: i32 = bindings::MEMBARRIER_STATE_PRIVATE_EXPEDITED_RSEQ_READY as i32;

const HAS_SYNC_CORE: bool = cfg!(CONFIG_ARCH_HAS_MEMBARRIER_SYNC_CORE);
const HAS_RSEQ: bool = cfg!(CONFIG_RSEQ);

/// `MEMBARRIER_CMD_BITMASK` of `kernel/sched/membarrier.c`: every command
/// this kernel configuration supports, except QUERY itself.
const CMD_BITMASK: i32 = CMD_GLOBAL
    | CMD_GLOBAL_EXPEDITED
    | CMD_REGISTER_GLOBAL_EXPEDITED
    | CMD_PRIVATE_EXPEDITED
    | CMD_REGISTER_PRIVATE_EXPEDITED
    | if HAS_SYNC_CORE {
        CMD_PRIVATE_EXPEDITED_SYNC_CORE | CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
    } else {
        0
    }
    | if HAS_RSEQ {
        CMD_PRIVATE_EXPEDITED_RSEQ | CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ
    } else {
        0
    }
    | CMD_GET_REGISTRATIONS;

/// Variants this module supports on this kernel and arch. lazy-tlb-sync
/// serializes for SYNC_CORE users, so it needs the arch's SYNC_CORE;
/// mm-cid-mb orders the mm_cid switch, which exists with SCHED_MM_CID only.
pub(crate) const SUPPORTED_VARIANTS: u32 = Variant::Intree.bit()
    | Variant::IdleFilter.bit()
    | if HAS_SYNC_CORE {
        Variant::LazyTlbSync.bit()
    } else {
        0
    }
    | if cfg!(CONFIG_SCHED_MM_CID) {
        Variant::MmCidMb.bit()
    } else {
        0
    };

/// Runs one membarrier command and returns what `membarrier(2)` returns.
pub(crate) fn run(c: &Cmd) -> Result<isize> {
    let variant = Variant::try_from(c.variant)?;
    if SUPPORTED_VARIANTS & variant.bit() == 0 {
        return Err(EOPNOTSUPP);
    }
    let policy = Policy::of(variant)?;

    // Only PRIVATE_EXPEDITED_RSEQ takes a flag, and only FLAG_CPU.
    let flags_ok = match c.cmd {
        CMD_PRIVATE_EXPEDITED_RSEQ => c.flags == 0 || c.flags == FLAG_CPU,
        _ => c.flags == 0,
    };
    if !flags_ok {
        return Err(EINVAL);
    }
    let cpu_id = if c.flags & FLAG_CPU != 0 {
        c.cpu_id
    } else {
        -1
    };

    stats::call(variant);
    let ret = match c.cmd {
        CMD_QUERY => {
            if tick_nohz_full_enabled() {
                CMD_BITMASK & !CMD_GLOBAL
            } else {
                CMD_BITMASK
            }
        }
        CMD_GLOBAL => {
            // Not compatible with nohz_full CPUs, which RCU does not wait for.
            if tick_nohz_full_enabled() {
                return Err(EINVAL);
            }
            if num_online_cpus() > 1 {
                kernel::sync::rcu::synchronize_rcu();
            }
            0
        }
        CMD_GLOBAL_EXPEDITED => global_expedited(variant, policy)?,
        CMD_PRIVATE_EXPEDITED => private_expedited(variant, policy, Flavor::Mb, cpu_id)?,
        CMD_PRIVATE_EXPEDITED_SYNC_CORE => {
            let cmd = oracle::Command::begin();
            let ret = private_expedited(variant, policy, Flavor::SyncCore, cpu_id);
            cmd.end(&ret);
            ret?
        }
        CMD_PRIVATE_EXPEDITED_RSEQ => private_expedited(variant, policy, Flavor::Rseq, cpu_id)?,
        CMD_REGISTER_GLOBAL_EXPEDITED
        | CMD_REGISTER_PRIVATE_EXPEDITED
        | CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
        | CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ
        | CMD_GET_REGISTRATIONS => register(variant, c.cmd)?,
        _ => return Err(EINVAL),
    };
    Ok(ret as isize)
}

/// The `mm->membarrier_state` bit by which a registration with `cmd`
/// through `variant` opts the caller's mm into the variant's scheduler
/// hook, or 0.
///
/// lazy-tlb-sync serializes for SYNC_CORE users, so only the SYNC_CORE
/// registration opts in; what mm-cid-mb orders concerns every mm, so any
/// registration does.
fn opt_in_bit(variant: Variant, cmd: i32) -> i32 {
    match (variant, cmd) {
        (Variant::LazyTlbSync, CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE) => hooks::LAZY_TLB_SYNC,
        (Variant::MmCidMb, CMD_GET_REGISTRATIONS) => 0,
        (Variant::MmCidMb, _) => hooks::MM_CID_MB,
        _ => 0,
    }
}

/// `MEMBARRIER_CMD_REGISTER_*` and `GET_REGISTRATIONS`, through the kernel's
/// own registration code, with the variant's opt-in bit set in the same
/// step: both succeed, or neither leaves anything behind.
fn register(variant: Variant, cmd: i32) -> Result<i32> {
    // A task that issues an ioctl has an mm, but do not trust it: the
    // kernel's registration code dereferences it.
    kernel::current!().mm().ok_or(EINVAL)?;
    let bit = opt_in_bit(variant, cmd);
    if bit != 0 {
        // Before the registration, whose grace period (for an mm with other
        // threads) then covers the attachment as well as the bit. Attached
        // hooks do nothing for an mm without the bit, so a failure below
        // leaves no effect behind.
        hooks::attach()?;
    }
    // SAFETY: called from a task's ioctl, the context of the syscall, with
    // an mm (checked above); `bit` is one of MEMBARRIER_STATE_EXT_*, or 0.
    let ret = unsafe { bindings::membarrier_register_current(cmd, bit) };
    kernel::error::to_result(ret.min(0))?;
    Ok(ret)
}

/// `MEMBARRIER_CMD_GLOBAL_EXPEDITED`: a full barrier on every CPU running a
/// task of an mm registered for it, by the variant's targeting.
fn global_expedited(variant: Variant, policy: Policy) -> Result<i32> {
    if num_online_cpus() == 1 {
        return Ok(0);
    }
    let mut mask = CpumaskVar::new_zero(GFP_KERNEL)?;

    // Scenarios A, B and C of kernel/sched/membarrier.c, and the comment of
    // membarrier_rq_sample_word(): this pairs with the barriers the scheduler
    // issues around its store to rq->curr.
    let _mb = FullBarrierScope::new();
    let _serialize = serialize::all_cpus();
    let _hotplug = CpusReadLock::new();

    select_targets(variant, policy, Scope::Global, ptr::null(), &mut mask);

    let _preempt = PreemptDisabled::new();
    let info = IpiInfo::new(variant);
    // SAFETY: `mask` is a valid cpumask; the handler and `info` match, and
    // `info` outlives the call, which waits for every handler; preemption is
    // disabled, as smp_call_function_many() requires.
    unsafe {
        bindings::smp_call_function_many(
            mask.as_raw(),
            IpiInfo::handler(Flavor::Mb),
            info.as_arg(),
            true,
        )
    };
    Ok(0)
}

/// `MEMBARRIER_CMD_PRIVATE_EXPEDITED*`: `flavor` on every CPU running a task
/// of the caller's mm (by the variant's targeting), or only on `cpu_id` when
/// it is not negative.
fn private_expedited(variant: Variant, policy: Policy, flavor: Flavor, cpu_id: i32) -> Result<i32> {
    let current = kernel::current!();
    // A task that issues an ioctl has an mm; io_uring workers and other
    // kernel threads never get here with none, but do not trust it.
    let mm = current.mm().ok_or(EINVAL)?.as_raw();
    // SAFETY: `mm` is current's mm, which lives as long as current uses it.
    let state = unsafe { atomic_read(&raw const (*mm).__bindgen_anon_1.membarrier_state) };

    match flavor {
        Flavor::SyncCore => {
            if !HAS_SYNC_CORE {
                return Err(EINVAL);
            }
            if state & STATE_SYNC_CORE_READY == 0 {
                return Err(EPERM);
            }
            // SAFETY: `mm` is current's mm.
            unsafe { bindings::prepare_sync_core_cmd(mm) };
        }
        Flavor::Rseq => {
            if !HAS_RSEQ {
                return Err(EINVAL);
            }
            if state & STATE_RSEQ_READY == 0 {
                return Err(EPERM);
            }
        }
        Flavor::Mb => {
            if state & STATE_PRIVATE_EXPEDITED_READY == 0 {
                return Err(EPERM);
            }
        }
    }

    // A single-threaded mm has nobody else to order against; SYNC_CORE must
    // still serialize the caller's own core.
    // SAFETY: `mm` is current's mm.
    let users = unsafe { atomic_read(&raw const (*mm).__bindgen_anon_1.mm_users) };
    if flavor != Flavor::SyncCore && (users == 1 || num_online_cpus() == 1) {
        return Ok(0);
    }

    // Scenarios A, B and C of kernel/sched/membarrier.c, and the comment of
    // membarrier_rq_sample_word(): the barrier on entry pairs with the one the
    // scheduler issues after storing to rq->curr, the one on exit with the
    // one before it.
    let _mb = FullBarrierScope::new();
    if cpu_id >= 0 {
        let Some(cpu) = CpuId::from_i32(cpu_id).filter(|c| cpu_possible(*c)) else {
            stats::skip(variant, Skip::Offline);
            return Ok(0);
        };
        let _serialize = CpuMutexes::lock(cpu);
        let _hotplug = CpusReadLock::new();
        if !targets_cpu(variant, policy, cpu, mm) {
            return Ok(0);
        }
        let _preempt = PreemptDisabled::new();
        let info = IpiInfo::new(variant);
        // SAFETY: `cpu` is online and kept so; the handler and `info` match,
        // and `info` outlives the call, which waits. If `cpu` is this CPU the
        // handler runs here, as in-tree.
        unsafe {
            bindings::smp_call_function_single(
                cpu.as_u32() as i32,
                IpiInfo::handler(flavor),
                info.as_arg(),
                true,
            )
        };
        return Ok(0);
    }

    let mut mask = CpumaskVar::new_zero(GFP_KERNEL)?;
    let _serialize = serialize::all_cpus();
    let _hotplug = CpusReadLock::new();

    select_targets(variant, policy, Scope::Private, mm, &mut mask);

    let _preempt = PreemptDisabled::new();
    let info = IpiInfo::new(variant);
    let info_ptr = info.as_arg();
    if flavor == Flavor::SyncCore {
        // SYNC_CORE needs the barrier on this CPU too: if the caller
        // migrates, another thread of the mm may run here next without a
        // core sync.
        // SAFETY: as for smp_call_function_many() below.
        unsafe {
            bindings::on_each_cpu_mask(mask.as_raw(), IpiInfo::handler(flavor), info_ptr, true)
        };
    } else {
        // For the others, this CPU is ordered by the caller's own barriers;
        // smp_call_function_many() leaves it out of the mask.
        if mask.test(CpuId::current()) {
            stats::skip(variant, Skip::SelfCpu);
        }
        // SAFETY: `mask` is a valid cpumask; the handler and `info` match,
        // and `info` outlives the call, which waits for every handler;
        // preemption is disabled.
        unsafe {
            bindings::smp_call_function_many(
                mask.as_raw(),
                IpiInfo::handler(flavor),
                info_ptr,
                true,
            )
        };
    }
    Ok(0)
}

/// Issues `smp_mb()` when created and when dropped, as `guard(mb)` does in
/// `kernel/sched/membarrier.c`.
struct FullBarrierScope;

impl FullBarrierScope {
    fn new() -> Self {
        smp_mb(Full);
        Self
    }
}

impl Drop for FullBarrierScope {
    fn drop(&mut self) {
        smp_mb(Full);
    }
}

/// Holds `cpus_read_lock()`: no CPU goes on- or offline while it lives.
struct CpusReadLock;

impl CpusReadLock {
    fn new() -> Self {
        // SAFETY: called from process context; released in `drop()`.
        unsafe { bindings::cpus_read_lock() };
        Self
    }
}

impl Drop for CpusReadLock {
    fn drop(&mut self) {
        // SAFETY: taken in `new()`.
        unsafe { bindings::cpus_read_unlock() };
    }
}

/// Keeps preemption disabled while it lives.
struct PreemptDisabled;

impl PreemptDisabled {
    fn new() -> Self {
        // SAFETY: balanced by `drop()`.
        unsafe { bindings::preempt_disable() };
        Self
    }
}

impl Drop for PreemptDisabled {
    fn drop(&mut self) {
        // SAFETY: disabled in `new()`.
        unsafe { bindings::preempt_enable() };
    }
}

fn cpu_possible(cpu: CpuId) -> bool {
    // SAFETY: reads the possible mask; `cpu` is below nr_cpu_ids.
    unsafe { bindings::cpu_possible(cpu.as_u32()) }
}

fn num_online_cpus() -> u32 {
    // SAFETY: reads the online mask.
    unsafe { bindings::num_online_cpus() }
}

fn tick_nohz_full_enabled() -> bool {
    // SAFETY: reads a static key.
    unsafe { bindings::tick_nohz_full_enabled() }
}

/// # Safety
///
/// `v` points to a live `atomic_t`.
unsafe fn atomic_read(v: *const bindings::atomic_t) -> i32 {
    // SAFETY: per the function's safety requirements.
    unsafe { bindings::atomic_read(v) }
}
