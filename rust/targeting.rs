// SPDX-License-Identifier: GPL-2.0

//! Which CPUs an expedited command interrupts: the policy of each variant.
//!
//! The loops that walk the CPUs live in `command.rs`; this file only decides,
//! for one CPU and one sample of what it runs, whether to send an IPI or why
//! not. Each decision is counted, so that the tests can check the targeting
//! of every variant exactly.

use core::mem::MaybeUninit;
use kernel::{
    bindings,
    cpu::CpuId,
    prelude::*, //
};

use crate::uapi::{
    Skip,
    Variant, //
};

/// Which tasks a command is aimed at.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `GLOBAL_EXPEDITED`: tasks of every mm registered for it.
    Global,
    /// `PRIVATE_EXPEDITED*`: tasks of the caller's mm.
    Private,
}

/// The targeting policy of a variant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Today's `kernel/sched/membarrier.c`: a CPU is a target when its
    /// current task has an mm (global) or the caller's mm (private).
    Intree,
    /// Nick Piggin's proposal (`seeds/000`): skip a CPU only when it runs
    /// its idle task, so that kernel threads are covered.
    IdleFilter,
}

impl Policy {
    /// The targeting policy of `variant`.
    pub(crate) fn of(variant: Variant) -> Result<Self> {
        match variant {
            Variant::Intree => Ok(Policy::Intree),
            Variant::IdleFilter => Ok(Policy::IdleFilter),
            // These change what the scheduler does (hooks.rs), not whom
            // the commands interrupt.
            Variant::LazyTlbSync | Variant::MmCidMb => Ok(Policy::Intree),
        }
    }

    /// The `MEMBARRIER_STATE_*` bits a runqueue must have for [`Policy::decide`]
    /// to look at what its CPU runs, or 0 if it always looks.
    ///
    /// The in-tree global command reads `rq->curr` only on CPUs whose
    /// runqueue state has `GLOBAL_EXPEDITED`, and so does this policy: the
    /// others cost one load each, as in-tree. `idle-filter` must see the
    /// kernel threads of every CPU, registered or not.
    pub(crate) fn state_mask(self, scope: Scope) -> i32 {
        match (self, scope) {
            (Policy::Intree, Scope::Global) => GLOBAL_EXPEDITED,
            _ => 0,
        }
    }

    /// Decides whether the CPU sampled in `snap` gets an IPI.
    ///
    /// `snap` was taken with [`Policy::state_mask`] of `self` and `scope`.
    #[inline]
    pub(crate) fn decide(self, scope: Scope, snap: &RqSnapshot) -> Result<(), Skip> {
        let registered = snap.0.membarrier_state & GLOBAL_EXPEDITED != 0;

        match (self, scope) {
            (Policy::Intree, Scope::Global) => {
                // Only the state was sampled on the CPUs skipped here.
                if !registered {
                    return Err(Skip::NotRegistered);
                }
                if snap.0.no_mm {
                    return Err(snap.kernel_reason());
                }
                Ok(())
            }
            (Policy::Intree, Scope::Private) => {
                if snap.0.mm_match {
                    return Ok(());
                }
                if snap.0.no_mm {
                    return Err(snap.kernel_reason());
                }
                Err(Skip::OtherMm)
            }
            (Policy::IdleFilter, Scope::Global) => {
                if snap.0.idle {
                    return Err(Skip::Idle);
                }
                // Any kernel thread may be working for a registered
                // process (kthread_use_mm(), io_uring, pinned pages): it
                // is a target. User tasks still need the registration.
                if snap.0.kthread || registered {
                    return Ok(());
                }
                Err(Skip::NotRegistered)
            }
            (Policy::IdleFilter, Scope::Private) => {
                if snap.0.idle {
                    return Err(Skip::Idle);
                }
                // A user thread of the mm, or a kernel thread inside
                // kthread_use_mm() of it.
                if snap.0.mm_match {
                    return Ok(());
                }
                // A kernel thread holding the mm lazily runs on its page
                // tables; the in-tree policy skips it.
                if snap.0.kthread && snap.0.active_mm_match {
                    return Ok(());
                }
                // A kernel thread with neither the mm nor its page tables
                // is not a target. What it reaches of the caller's memory
                // it reaches through kernel mappings of pinned pages
                // (io_uring, vhost, GUP users), which those subsystems
                // order with their own barriers (io_uring's release store
                // of the CQ tail, as Mathieu Desnoyers points out in
                // seeds/000); interrupting every unrelated kernel thread
                // would turn PRIVATE_EXPEDITED into a global IPI on a busy
                // machine, the cost it exists to avoid.
                if snap.0.no_mm {
                    return Err(Skip::NoMm);
                }
                Err(Skip::OtherMm)
            }
        }
    }
}

const GLOBAL_EXPEDITED: i32 = bindings::MEMBARRIER_STATE_GLOBAL_EXPEDITED as i32;

/// How many CPUs one call of `membarrier_rq_snapshots()` samples.
const BATCH: usize = 32;

/// A sample of what one CPU runs, from `membarrier_rq_snapshots()`.
///
/// It is stale as soon as it is taken; see the ordering comment of
/// `membarrier_rq_snapshots()` for the barriers that make it usable, which
/// the command loops provide.
#[repr(transparent)]
pub(crate) struct RqSnapshot(bindings::membarrier_rq_snapshot);

impl RqSnapshot {
    const EMPTY: Self = Self(pin_init::zeroed());

    /// Samples `cpu`, comparing its current task's mm with `mm` (which may be
    /// null).
    ///
    /// The caller holds `cpus_read_lock()`.
    pub(crate) fn take(cpu: CpuId, mm: *const bindings::mm_struct) -> Self {
        let mut snap = Self::EMPTY;

        // SAFETY: `snap` has room for the one sample asked for; the caller
        // holds `cpus_read_lock()`; `mm` is only compared, never
        // dereferenced.
        unsafe { bindings::membarrier_rq_snapshots(cpu.as_u32(), 1, mm, 0, &mut snap.0) };
        snap
    }

    /// Whether the CPU was online; nothing else in the sample holds if not.
    pub(crate) fn online(&self) -> bool {
        self.0.online
    }

    /// Why a CPU running a task without an mm is skipped.
    fn kernel_reason(&self) -> Skip {
        if self.0.idle {
            Skip::Idle
        } else {
            Skip::NoMm
        }
    }
}

/// Calls `f` with a sample of every CPU below `nr_cpu_ids`, comparing with
/// `mm` (which may be null). `rq->curr` is read only on CPUs whose runqueue
/// state has a bit of `state_mask`, or on every CPU if it is 0.
///
/// The samples are taken [`BATCH`] CPUs per call of
/// `membarrier_rq_snapshots()`, each call inside one RCU read-side section,
/// as the in-tree loops read `rq->curr`: an out-of-line call per CPU would
/// make the policies look slower than in-tree for reasons that have nothing
/// to do with whom they interrupt.
///
/// The caller holds `cpus_read_lock()`.
pub(crate) fn for_each_cpu_sample(
    mm: *const bindings::mm_struct,
    state_mask: i32,
    mut f: impl FnMut(CpuId, &RqSnapshot),
) {
    // Left uninitialized: zeroing it on every command would cost more,
    // under TCG, than the samples themselves.
    let mut buf = [const { MaybeUninit::<RqSnapshot>::uninit() }; BATCH];
    let nr_cpu_ids = kernel::cpu::nr_cpu_ids();
    let mut first = 0;

    while first < nr_cpu_ids {
        // SAFETY: `buf` has room for `BATCH` samples, and `RqSnapshot` is
        // `repr(transparent)` over the C struct; the caller holds
        // `cpus_read_lock()`; `mm` is only compared, never dereferenced.
        let n = unsafe {
            bindings::membarrier_rq_snapshots(
                first,
                BATCH as u32,
                mm,
                state_mask,
                buf.as_mut_ptr().cast(),
            )
        };
        if n == 0 {
            break;
        }
        // At most `BATCH`, and below nr_cpu_ids from `first` on.
        let n = n.min(BATCH as u32);
        let last = first + n;
        for (cpu, snap) in (first..last).zip(&buf) {
            // SAFETY: `membarrier_rq_snapshots()` stored a whole sample in
            // each of the first `n` entries.
            let snap = unsafe { snap.assume_init_ref() };
            // SAFETY: the samples end at nr_cpu_ids, so `cpu` is below it.
            // (`CpuId::from_u32()` would check again, out of line.)
            f(unsafe { CpuId::from_u32_unchecked(cpu) }, snap);
        }
        first = last;
    }
}
