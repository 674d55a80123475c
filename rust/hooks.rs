// SPDX-License-Identifier: GPL-2.0

//! The scheduler hooks of the `lazy-tlb-sync` and `mm-cid-mb` variants.
//!
//! Both act only for mms registered for their variant (a REGISTER_* command
//! issued through the ioctl with that variant). The hooks are attached to
//! the kernel (`membarrier_sched_hooks_register()`) on the first such
//! registration, so that a kernel with the module loaded but no variant in
//! use pays nothing, and detached when the module goes away.

use core::ptr;
use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Relaxed,
            Release, //
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

/// How many mms may be registered for one variant at a time.
const TABLE_SIZE: usize = 64;

/// The mms registered for one variant.
///
/// # Invariants
///
/// Every non-null slot holds an mm on which this table owns one
/// `mmgrab()` reference, so a pointer in it is never reused for another mm
/// while it is there. The hooks only compare pointers with it. Slots from
/// `used` on are null, so the hooks, which run on every context switch,
/// scan only as many slots as have ever been taken.
struct MmTable {
    slots: [Atomic<*mut bindings::mm_struct>; TABLE_SIZE],
    used: Atomic<usize>,
}

// SAFETY: the slots are atomics; the pointers are only compared, except
// under the invariant's reference.
unsafe impl Sync for MmTable {}

impl MmTable {
    const fn new() -> Self {
        Self {
            slots: [const { Atomic::new(ptr::null_mut()) }; TABLE_SIZE],
            used: Atomic::new(0),
        }
    }

    /// Whether `mm` is registered. Callable from any context.
    ///
    /// Inlined into the scheduler hooks, where it runs on every context
    /// switch: on powerpc it was left out of line.
    #[inline]
    fn contains(&self, mm: *mut bindings::mm_struct) -> bool {
        // Pairs with the `Release` in `insert()`: a slot below `used` is
        // read after the store that filled it.
        let used = self.used.load(Acquire).min(TABLE_SIZE);
        !mm.is_null() && self.slots[..used].iter().any(|s| s.load(Acquire) == mm)
    }

    /// Registers `mm`, the caller's live mm, once.
    ///
    /// Slots of mms whose address space is gone are reclaimed first. The
    /// caller holds `ATTACH_MUTEX`, which serializes inserts.
    fn insert(&self, mm: *mut bindings::mm_struct) -> Result {
        self.reclaim();
        if self.contains(mm) {
            return Ok(());
        }
        let i = self
            .slots
            .iter()
            .position(|s| s.load(Relaxed).is_null())
            .ok_or(ENOMEM)?;
        // SAFETY: `mm` is the caller's mm, alive while it runs.
        unsafe { bindings::mmgrab(mm) };
        // INVARIANT: the reference taken above goes with the slot; inserts
        // are serialized and the hooks never fill slots, so it is still
        // free.
        self.slots[i].store(mm, Release);
        if i >= self.used.load(Relaxed) {
            self.used.store(i + 1, Release);
        }
        Ok(())
    }

    /// Forgets mms whose last user is gone (the process exited).
    fn reclaim(&self) {
        for slot in &self.slots {
            let mm = slot.load(Acquire);
            if mm.is_null() {
                continue;
            }
            // SAFETY: the slot's reference keeps the mm_struct alive.
            let users =
                unsafe { bindings::atomic_read(&raw const (*mm).__bindgen_anon_1.mm_users) };
            if users == 0 && slot.cmpxchg(mm, ptr::null_mut(), Relaxed).is_ok() {
                // No hook dereferences `mm`; they only compare it.
                // SAFETY: the reference the slot owned.
                unsafe { bindings::mmdrop(mm) };
            }
        }
    }

    /// Drops every registration; called once no hook can run any more.
    fn clear(&self) {
        for slot in &self.slots {
            let mm = slot.xchg(ptr::null_mut(), Relaxed);
            if !mm.is_null() {
                // SAFETY: the reference the slot owned.
                unsafe { bindings::mmdrop(mm) };
            }
        }
        self.used.store(0, Relaxed);
    }
}

static LAZY_TLB_SYNC: MmTable = MmTable::new();
static MM_CID_MB: MmTable = MmTable::new();

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

/// Registers the caller's mm for `variant`'s hook, attaching the hooks on
/// first use. Variants without hooks need nothing.
pub(crate) fn register(variant: Variant, mm: *mut bindings::mm_struct) -> Result {
    let table = match variant {
        Variant::LazyTlbSync => &LAZY_TLB_SYNC,
        Variant::MmCidMb => &MM_CID_MB,
        Variant::Intree | Variant::IdleFilter => return Ok(()),
    };
    let _guard = ATTACH_MUTEX.lock();
    table.insert(mm)?;
    if !ATTACHED.load(Relaxed) {
        // SAFETY: `HOOKS` is static, so it outlives the registration,
        // which `detach()` ends before the module text goes away.
        kernel::error::to_result(unsafe { bindings::membarrier_sched_hooks_register(&HOOKS) })?;
        ATTACHED.store(true, Relaxed);
    }
    Ok(())
}

/// Detaches the hooks and forgets every registration; called on unload.
pub(crate) fn detach() {
    let _guard = ATTACH_MUTEX.lock();
    if ATTACHED.load(Relaxed) {
        // SAFETY: registered by `register()`; on return no hook runs.
        unsafe { bindings::membarrier_sched_hooks_unregister(&HOOKS) };
        ATTACHED.store(false, Relaxed);
    }
    LAZY_TLB_SYNC.clear();
    MM_CID_MB.clear();
}

/// `exit_lazy_tlb()`: a lazily held `mm` stops being lazy, with `tsk` now
/// running on this CPU.
///
/// # Safety
///
/// Called by the scheduler with preemption disabled and valid pointers.
unsafe extern "C" fn exit_lazy_tlb(mm: *mut bindings::mm_struct, tsk: *mut bindings::task_struct) {
    stats::hook(Variant::LazyTlbSync);
    // SAFETY: `tsk` is the task this CPU runs now.
    let tsk_mm = unsafe { (*tsk).mm };
    // Only the lazy mm becoming `tsk`'s own skipped switch_mm() and what it
    // implies; any other transition went through switch_mm().
    if tsk_mm != mm || !LAZY_TLB_SYNC.contains(mm) {
        return;
    }
    // Serialize the core before `tsk` runs user code: the CPU0/CPU1
    // scenario at the exit_lazy_tlb() call in finish_task_switch(), step
    // 7-9. Pairs with nothing: it orders this core's instruction fetch
    // after the caller's code modification, which the SYNC_CORE command's
    // barriers made visible.
    arch::lazy_tlb_serialize();
    stats::hook_barrier(Variant::LazyTlbSync);
}

/// The hook between the store to `rq->curr` and the mm_cid switch.
///
/// # Safety
///
/// Called by the scheduler with the runqueue locked and valid pointers.
unsafe extern "C" fn mm_cid_switch(
    _prev: *mut bindings::task_struct,
    next: *mut bindings::task_struct,
) {
    stats::hook(Variant::MmCidMb);
    // SAFETY: `next` is the task being switched in.
    let next_mm = unsafe { (*next).mm };
    if !MM_CID_MB.contains(next_mm) {
        return;
    }
    // Option A of seeds/001:
    //
    //   CPU0 (this CPU)                CPU1 (remote, no rq lock)
    //   1. rq->curr = next             a. store to the CID state
    //   2. smp_mb()  <- here           b. smp_mb()
    //   3. mm_cid_switch_to(): read    c. read rq->curr
    //      the CID state
    //
    // (2) orders the rq->curr store (1) before the CID reads (3) and pairs
    // with (b): at least one of (3) and (c) sees the other CPU's store. On
    // arm64 the scheduler's own full barrier comes only in switch_to(),
    // after (3).
    smp_mb(Full);
    stats::hook_barrier(Variant::MmCidMb);
}
