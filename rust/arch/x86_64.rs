// SPDX-License-Identifier: GPL-2.0

//! x86-64 core serialization.
//!
//! An IPI that interrupts user space returns there with IRET, which is core
//! serializing. But the IPI may land while the target runs in the kernel (a
//! system call, or on its way back from one), and the kernel may then return
//! to user space with SYSRET or SYSEXIT, which are not serializing; it may
//! even switch to another thread of the same mm before returning. So the
//! handler serializes the core itself, as the in-tree `ipi_sync_core()` does,
//! through `sync_core_before_usermode()`: a no-op when page table isolation
//! is on (the CR3 write on every return to user space serializes), otherwise
//! `sync_core()` (SERIALIZE, or IRET to self).

use kernel::bindings;

/// Serializes this core before it next runs user code.
///
/// Called from an IPI handler, with interrupts off.
pub(crate) fn sync_core_before_usermode() {
    // SAFETY: `sync_core_before_usermode()` has no preconditions; it only
    // executes a serializing instruction on this CPU when one is needed.
    unsafe { bindings::sync_core_before_usermode() };
}

/// Serializes this core where a lazily held mm became active again without
/// switch_mm() (the lazy-tlb-sync variant's hook).
///
/// switch_mm() would have written CR3, which serializes; SYSRET and
/// SYSEXIT, by which the task may return to user space, do not. As in Nick
/// Piggin's x86 exit_lazy_tlb(), nothing is needed with page table
/// isolation, whose CR3 write on the way out serializes; otherwise
/// `sync_core()`. At the finish_task_switch() site in-tree already did the
/// same, through membarrier_mm_sync_core_before_usermode(), just before the
/// hook: there this is a second one. At the kthread_use_mm() site nothing
/// in-tree does. Called with preemption disabled.
pub(crate) fn lazy_tlb_serialize() {
    // SAFETY: no preconditions; see `sync_core_before_usermode()`.
    unsafe { bindings::sync_core_before_usermode() };
}
