// SPDX-License-Identifier: GPL-2.0

//! powerpc (64-bit) core serialization.
//!
//! powerpc selects `ARCH_HAS_MEMBARRIER_SYNC_CORE` but not
//! `ARCH_HAS_SYNC_CORE_BEFORE_USERMODE`: the kernel returns to user space
//! with `rfid` (or `hrfid`/`rfscv`), which is context synchronizing, so a
//! thread interrupted by the IPI, or switched in later, discards prefetched
//! instructions before it runs user code. Nothing needs to be issued here.
//! As on every architecture, the modifying thread still does its own icache
//! maintenance (`dcbst`/`sync`/`icbi`/`isync` on the range it wrote).

/// Serializes this core before it next runs user code: the return to user
/// space does it.
///
/// Called from an IPI handler, with interrupts off.
pub(crate) fn sync_core_before_usermode() {}

/// Serializes this core where a lazily held mm became active again without
/// switch_mm() (the lazy-tlb-sync variant's hook).
///
/// Nothing to issue: the return to user space (`rfid`/`rfscv`) is context
/// synchronizing, which is what Nick Piggin's powerpc answer to the same
/// question was ("powerpc needs nothing here", seeds/002). `isync` alone
/// would not serialize against prior icache maintenance anyway. The hook
/// still counts the invocation. Called with preemption disabled.
pub(crate) fn lazy_tlb_serialize() {}
