// SPDX-License-Identifier: GPL-2.0

//! The scheduler hooks of the `lazy-tlb-sync` and `mm-cid-mb` variants.
//!
//! Both act only for mms that opted in. An mm opts in together with its
//! in-tree registration, through `membarrier_register_current()`, which
//! sets a bit the kernel reserves for this purpose in `mm->membarrier_state`
//! ([`LAZY_TLB_SYNC`], [`MM_CID_MB`]) before it makes the registration
//! visible. So the opt-in succeeds or fails with the registration, is seen
//! by every context switch that starts after the ioctl returns, is
//! inherited on fork and cleared on exec as the registration is, and needs
//! no state of the module's own: the hooks read one word the scheduler
//! already reads.
//!
//! The hooks are attached to the kernel (`membarrier_sched_hooks_register()`)
//! before the first opt-in, so that a kernel with the module loaded but no
//! hook variant in use pays nothing, and detached when the module goes away.
//! Attached, they are called only for an mm that carries one of the opt-in
//! bits: the kernel tests them at the hook point before it calls anything
//! (`membarrier_mm_hooked()`), so the switches of every other mm cost a
//! load and a test. Each callback still tests its own bit, since an mm may
//! have opted into the other hook variant only.

use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        barrier::{
            smp_mb,
            Full, //
        },
    },
};

use crate::{
    arch,
    stats,
    uapi::Variant, //
};

/// The `mm->membarrier_state` bit of an mm opted into `lazy-tlb-sync`.
pub(crate) const LAZY_TLB_SYNC: i32 = bindings::MEMBARRIER_STATE_EXT_0 as i32;
/// The `mm->membarrier_state` bit of an mm opted into `mm-cid-mb`.
pub(crate) const MM_CID_MB: i32 = bindings::MEMBARRIER_STATE_EXT_1 as i32;

/// Whether the hooks are attached to the scheduler.
static ATTACHED: Atomic<bool> = Atomic::new(false);

kernel::sync::global_lock! {
    // SAFETY: initialized by `init()` before the misc device exists.
    unsafe(uninit) static ATTACH_MUTEX: Mutex<()> = ();
}

static HOOKS: bindings::membarrier_sched_hooks = bindings::membarrier_sched_hooks {
    exit_lazy_tlb: Some(exit_lazy_tlb),
    mm_cid_switch: Some(mm_cid_switch),
};

/// Initializes the hook state; called once, from the module initializer.
pub(crate) fn init() {
    // SAFETY: called exactly once, before any registration can run.
    unsafe { ATTACH_MUTEX.init() };
}

/// Attaches the hooks unless they are; called before the first opt-in, so
/// that the registration that sets the opt-in bit also publishes the
/// attachment to every context switch that starts after it.
pub(crate) fn attach() -> Result {
    let _guard = ATTACH_MUTEX.lock();
    if !ATTACHED.load(Relaxed) {
        // SAFETY: `HOOKS` is static, so it outlives the registration,
        // which `detach()` ends before the module text goes away.
        kernel::error::to_result(unsafe { bindings::membarrier_sched_hooks_register(&HOOKS) })?;
        ATTACHED.store(true, Relaxed);
    }
    Ok(())
}

/// Detaches the hooks; called on unload.
pub(crate) fn detach() {
    let _guard = ATTACH_MUTEX.lock();
    if ATTACHED.load(Relaxed) {
        // SAFETY: registered by `attach()`; on return no hook runs.
        unsafe { bindings::membarrier_sched_hooks_unregister(&HOOKS) };
        ATTACHED.store(false, Relaxed);
    }
}

/// Whether `mm`, which the caller keeps alive, opted in with `bit`.
///
/// # Safety
///
/// `mm` is null or points to a live `mm_struct`.
#[inline]
unsafe fn opted_in(mm: *mut bindings::mm_struct, bit: i32) -> bool {
    // SAFETY: per the function's safety requirements; `atomic_read()` is a
    // plain load, which the scheduler itself performs on this word.
    !mm.is_null()
        && unsafe { bindings::atomic_read(&raw const (*mm).__bindgen_anon_1.membarrier_state) }
            & bit
            != 0
}

/// `membarrier_exit_lazy_tlb()`: a lazily held `mm` stops being lazy, with
/// `tsk` now running on this CPU.
///
/// # Safety
///
/// Called by the scheduler with preemption disabled and valid pointers:
/// `tsk` is current, and `mm` is held (lazily) by this CPU.
unsafe extern "C" fn exit_lazy_tlb(mm: *mut bindings::mm_struct, tsk: *mut bindings::task_struct) {
    stats::hook(Variant::LazyTlbSync);
    // SAFETY: `tsk` is the task this CPU runs now.
    let tsk_mm = unsafe { (*tsk).mm };
    // Only the lazy mm becoming `tsk`'s own skipped switch_mm() and what it
    // implies; any other transition went through switch_mm(). The bit is
    // set together with the SYNC_CORE registration and only with it
    // (command.rs), which is what in-tree and Nick Piggin's x86
    // exit_lazy_tlb() test.
    // SAFETY: `mm` is held by this CPU.
    if tsk_mm != mm || !unsafe { opted_in(mm, LAZY_TLB_SYNC) } {
        return;
    }
    // Serialize the core before `tsk` runs user code: the CPU0/CPU1
    // scenario at membarrier_exit_lazy_tlb() in finish_task_switch(),
    // between its steps 7 and 9 (or, in kthread_use_mm(), between the
    // switch to the mm and a direct switch to a user thread of it).
    //
    //   CPU0 (SYNC_CORE caller)        CPU1
    //   a. modify code                 1. K holds mm lazily (rq->curr = K)
    //   b. smp_mb()                    2. K's mm becomes active: here
    //   c. read rq->curr: K, no IPI    3. serialize the core
    //                                  4. user code of mm
    //
    // Pairs with nothing: it is not a memory barrier. It discards what
    // this core fetched before 3, so that 4 is fetched after 2, which the
    // scheduler's own barriers order after CPU1 observed (c)'s
    // consequences; (a) is visible to instruction fetch by the modifying
    // thread's own cache maintenance before (b).
    arch::lazy_tlb_serialize();
    stats::hook_barrier(Variant::LazyTlbSync);
}

/// The hook between the store to `rq->curr` and the mm_cid switch: the
/// barriers of option A as upstream had them.
///
/// # Safety
///
/// Called by the scheduler with the runqueue locked and valid pointers.
unsafe extern "C" fn mm_cid_switch(
    prev: *mut bindings::task_struct,
    next: *mut bindings::task_struct,
) {
    stats::hook(Variant::MmCidMb);
    // SAFETY: `prev` and `next` are the tasks being switched, kept alive by
    // the scheduler; their mms are live while they are switched.
    let (prev_mm, next_mm) = unsafe { ((*prev).mm, (*next).mm) };

    // What switch_mm_cid() did between 223baf9d17f2 and the mm_cid rework
    // (77d7dc8bef48), with fe90f3967bdb ("sched: Add missing memory barrier
    // in switch_mm_cid", option A of seeds/001): a full barrier between
    // the store to rq->curr and the loads of the CID state, by transition.
    // Upstream issued it on every switch; here it is issued on the
    // switches whose user side is an opted-in mm, so that the hook's own
    // cost and the barriers' can be told apart.
    //
    //   CPU0 (this CPU)                CPU1 (remote CID clear, before
    //                                  77d7dc8bef48: no rq lock)
    //   1. rq->curr = next             a. store to the CID state
    //   2. the barrier below           b. smp_mb()
    //   3. mm_cid_switch_to(): load    c. load rq->curr
    //      the CID state
    //
    // 2 pairs with b: at least one of 3 and c sees the other CPU's store.
    // Nothing in 7.3 performs a-c without CPU0's rq lock, so here 2 pairs
    // with no reader: what it measures is what restoring it would cost.
    if next_mm.is_null() {
        // To kernel. Upstream relied on the atomic of mmgrab() for user to
        // kernel (smp_mb__after_mmgrab(), smp_mb__after_atomic()); kernel
        // to kernel keeps rq->curr->mm NULL and needed nothing.
        // SAFETY: `prev_mm` is `prev`'s live mm, or null.
        if !unsafe { opted_in(prev_mm, MM_CID_MB) } {
            return;
        }
        // SAFETY: a barrier, no preconditions.
        unsafe { bindings::smp_mb__after_mmgrab() };
    } else {
        // SAFETY: `next_mm` is `next`'s live mm.
        if !unsafe { opted_in(next_mm, MM_CID_MB) } {
            return;
        }
        if prev_mm.is_null() {
            // Kernel to user: no switch_mm() barrier to rely on.
            smp_mb(Full);
        } else {
            // User to user: switch_mm() implies a full barrier where the
            // architecture says so (x86: this is a no-op).
            // SAFETY: a barrier, no preconditions.
            unsafe { bindings::smp_mb__after_switch_mm() };
        }
    }
    stats::hook_barrier(Variant::MmCidMb);
}
