// SPDX-License-Identifier: GPL-2.0

//! IPI handlers of the expedited commands.
//!
//! They mirror `ipi_mb()`, `ipi_sync_core()` and `ipi_rseq()` of
//! `kernel/sched/membarrier.c`, and count where they ran.

use core::{
    ffi::c_void,
    ptr, //
};
use kernel::{
    bindings,
    cpu::CpuId,
    sync::barrier::{
        smp_mb,
        Full, //
    },
};

use crate::{
    arch,
    stats,
    uapi::Variant, //
};

/// What an expedited command asks of the CPUs it interrupts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `PRIVATE_EXPEDITED`, `GLOBAL_EXPEDITED`: a full barrier.
    Mb,
    /// `PRIVATE_EXPEDITED_SYNC_CORE`: a full barrier and core serialization.
    SyncCore,
    /// `PRIVATE_EXPEDITED_RSEQ`: a full barrier and an rseq restart.
    Rseq,
}

/// The argument every handler receives.
///
/// # Invariants
///
/// `sender` is the CPU that sent the IPIs: the sender keeps preemption
/// disabled from reading it until all handlers have returned.
pub(crate) struct IpiInfo {
    variant: Variant,
    sender: CpuId,
}

impl IpiInfo {
    /// Describes IPIs about to be sent from this CPU.
    ///
    /// The caller must keep preemption disabled until the IPIs completed.
    pub(crate) fn new(variant: Variant) -> Self {
        // INVARIANT: the caller keeps preemption disabled, so this CPU sends.
        Self {
            variant,
            sender: CpuId::current(),
        }
    }

    /// The pointer to pass as the handlers' `info` argument.
    pub(crate) fn as_arg(&self) -> *mut c_void {
        ptr::from_ref(self).cast_mut().cast()
    }

    /// The handler for `flavor`, to pass to `smp_call_function_*()` with a
    /// pointer to an `IpiInfo` that outlives the (waited-for) call.
    pub(crate) fn handler(flavor: Flavor) -> bindings::smp_call_func_t {
        match flavor {
            Flavor::Mb => Some(ipi_mb),
            Flavor::SyncCore => Some(ipi_sync_core),
            Flavor::Rseq => Some(ipi_rseq),
        }
    }

    /// # Safety
    ///
    /// `info` was passed by a sender as a pointer to an `IpiInfo` that lives
    /// until the handlers it waits for have returned.
    unsafe fn count<'a>(info: *mut c_void) -> &'a Self {
        // SAFETY: per the function's safety requirements.
        let me = unsafe { &*info.cast::<Self>() };
        stats::handler_ran(me.variant, me.sender);
        me
    }
}

/// # Safety
///
/// See [`IpiInfo::handler`].
unsafe extern "C" fn ipi_mb(info: *mut c_void) {
    // Scenarios A and B of kernel/sched/membarrier.c: pairs with the
    // sender's barriers before its first and after its last IPI.
    smp_mb(Full);
    // SAFETY: the sender passes a live `IpiInfo` and waits for us.
    unsafe { IpiInfo::count(info) };
}

/// # Safety
///
/// See [`IpiInfo::handler`].
unsafe extern "C" fn ipi_sync_core(info: *mut c_void) {
    // As for ipi_mb(): the core serialization below might be deferred to the
    // return to user space, after the sender's final smp_mb(), so it cannot
    // stand in for the full barrier.
    smp_mb(Full);
    arch::sync_core_before_usermode();
    // SAFETY: the sender passes a live `IpiInfo` and waits for us.
    let info = unsafe { IpiInfo::count(info) };
    stats::serialized(info.variant);
}

/// # Safety
///
/// See [`IpiInfo::handler`].
unsafe extern "C" fn ipi_rseq(info: *mut c_void) {
    // Make the sender's stores visible to the current task before it
    // resumes, as for ipi_mb().
    smp_mb(Full);
    let current = kernel::task::Task::current_raw();
    // SAFETY: `current` is the task this IPI interrupted, valid while the
    // handler runs; both helpers only flag it for an rseq update on its
    // return to user space.
    unsafe {
        if bindings::rseq_v2(current) {
            bindings::rseq_sched_switch_event(current);
        } else {
            bindings::rseq_force_update();
        }
    }
    // SAFETY: the sender passes a live `IpiInfo` and waits for us.
    unsafe { IpiInfo::count(info) };
}
