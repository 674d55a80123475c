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
}

impl Policy {
    /// The policy of `variant`, or `EOPNOTSUPP` while the variant is not
    /// implemented.
    pub(crate) fn of(variant: Variant) -> Result<Self> {
        match variant {
            Variant::Intree => Ok(Policy::Intree),
            Variant::IdleFilter | Variant::LazyTlbSync | Variant::MmCidMb => Err(EOPNOTSUPP),
        }
    }

    /// Decides whether the CPU sampled in `snap` gets an IPI.
    pub(crate) fn decide(self, scope: Scope, snap: &RqSnapshot) -> Result<(), Skip> {
        match (self, scope) {
            (Policy::Intree, Scope::Global) => {
                if snap.0.membarrier_state & bindings::MEMBARRIER_STATE_GLOBAL_EXPEDITED as i32 == 0
                {
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
        }
    }
}

/// A sample of what one CPU runs, from `membarrier_rq_snapshot()`.
///
/// It is stale as soon as it is taken; see the ordering comment of
/// `membarrier_rq_snapshot()` for the barriers that make it usable, which
/// the command loops provide.
pub(crate) struct RqSnapshot(bindings::membarrier_rq_snapshot);

impl RqSnapshot {
    /// Samples `cpu`, comparing its current task's mm with `mm` (which may be
    /// null).
    ///
    /// The caller holds `cpus_read_lock()` and has checked that `cpu` is
    /// online.
    pub(crate) fn take(cpu: CpuId, mm: *const bindings::mm_struct) -> Self {
        let mut snap = MaybeUninit::<bindings::membarrier_rq_snapshot>::uninit();

        // SAFETY: `cpu` is a valid CPU id, kept online by the caller's
        // `cpus_read_lock()`; `mm` is only compared, never dereferenced; `snap`
        // is valid for writes.
        unsafe { bindings::membarrier_rq_snapshot(cpu.as_u32() as i32, mm, snap.as_mut_ptr()) };
        // SAFETY: `membarrier_rq_snapshot()` writes every field on every path.
        Self(unsafe { snap.assume_init() })
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
