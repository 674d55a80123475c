// SPDX-License-Identifier: GPL-2.0

//! arm64 core serialization.
//!
//! arm64 selects `ARCH_HAS_MEMBARRIER_SYNC_CORE` but not
//! `ARCH_HAS_SYNC_CORE_BEFORE_USERMODE`: every return to user space is an
//! exception return (ERET), which is a context synchronization event, so a
//! thread interrupted by the IPI, or switched in later, fetches instructions
//! anew before it runs user code. Nothing needs to be issued here.
//!
//! Context synchronization is not cache maintenance: it does not make new
//! code visible to instruction fetch. The modifying thread must still clean
//! the data cache and invalidate the instruction cache for the range it wrote
//! (`__builtin___clear_cache()`: DC CVAU, DSB ISH, IC IVAU, DSB ISH) before
//! it calls membarrier; membarrier only removes the ISB every other thread
//! would otherwise need.

/// Serializes this core before it next runs user code: the ERET back to user
/// space does it.
///
/// Called from an IPI handler, with interrupts off.
pub(crate) fn sync_core_before_usermode() {}

/// Serializes this core where a lazily held mm became active again without
/// switch_mm() (the lazy-tlb-sync variant's `exit_lazy_tlb()` hook).
///
/// The ERET back to user space already is a context synchronization event,
/// so this ISB is explicit rather than needed: it makes the instruction
/// stream after it be fetched anew, here, in the kernel. Like the ERET, it
/// discards only what the pipeline holds: it does not invalidate the
/// instruction cache, so it cannot stand in for the IC IVAU the modifying
/// thread must issue. Called with preemption disabled.
pub(crate) fn lazy_tlb_serialize() {
    // SAFETY: ISB has no operands and no effect on memory or flags.
    unsafe { core::arch::asm!("isb", options(nostack, preserves_flags)) };
}
