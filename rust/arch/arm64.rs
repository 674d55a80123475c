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
/// switch_mm() (the lazy-tlb-sync variant's hook).
///
/// Nothing to issue, as on powerpc. 7.3 sets SCTLR_EL1.EOS
/// (`INIT_SCTLR_EL1_MMU_ON`), so the ERET by which the task returns to user
/// space is a context synchronization event: instructions after it are
/// fetched anew. An ISB here would only add a second one, in the kernel,
/// before the ERET. Neither is cache maintenance: new code reaches
/// instruction fetch through the modifying thread's DC CVAU, DSB ISH,
/// IC IVAU (broadcast to the inner shareable domain), DSB ISH, as Will
/// Deacon points out in seeds/003. The hook still counts the invocation.
/// Called with preemption disabled.
pub(crate) fn lazy_tlb_serialize() {}
