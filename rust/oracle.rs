// SPDX-License-Identifier: GPL-2.0

//! The kernel's SYNC_CORE oracle, on kernels built with it.
//!
//! `CONFIG_MEMBARRIER_SYNC_CORE_ORACLE` (patches/debug/) numbers every
//! `PRIVATE_EXPEDITED_SYNC_CORE` command and, at every return to user space of
//! an mm registered for SYNC_CORE, checks that the CPU serialized after the
//! newest command that completed on that mm. The syscall reports its own
//! commands; this file reports the ones the ioctl runs, through every variant,
//! so that the oracle judges every implementation by the same rule. Without
//! the option, everything here compiles to nothing and [`PRESENT`] is false.

#[cfg(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE)]
use kernel::bindings;
use kernel::prelude::*;

/// Whether the kernel has the oracle.
pub(crate) const PRESENT: bool = cfg!(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE);

/// A SYNC_CORE command, from before its first barrier until it returns.
///
/// # Invariants
///
/// With the oracle, `epoch` is what `membarrier_oracle_command_begin()`
/// returned for this command, and is reported at most once, by [`end`].
///
/// [`end`]: Command::end
pub(crate) struct Command {
    #[cfg(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE)]
    epoch: u64,
}

impl Command {
    /// Numbers a command that the caller is about to run; call it before the
    /// command's first barrier, in the caller's thread.
    pub(crate) fn begin() -> Self {
        #[cfg(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE)]
        // SAFETY: no preconditions; it increments a global sequence.
        let epoch = unsafe { bindings::membarrier_oracle_command_begin() };

        Self {
            #[cfg(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE)]
            epoch,
        }
    }

    /// Reports that the command returned `ret`; only a command that succeeded
    /// promises anything, so only then does the oracle hold the caller's mm to
    /// it.
    #[cfg(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE)]
    pub(crate) fn end(self, ret: &Result<i32>) {
        let errno = match ret {
            Ok(_) => 0,
            Err(e) => e.to_errno(),
        };
        let current = kernel::current!();
        if let Some(mm) = current.mm() {
            // SAFETY: `mm` is current's mm, alive while current runs;
            // `self.epoch` came from `membarrier_oracle_command_begin()` (type
            // invariant), and `self` is consumed, so it is reported once.
            unsafe { bindings::membarrier_oracle_command_end(mm.as_raw(), self.epoch, errno) };
        }
    }

    /// Without the oracle, nothing to report.
    #[cfg(not(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE))]
    pub(crate) fn end(self, _ret: &Result<i32>) {}
}

/// Violations the oracle counted for the current task's mm.
#[cfg(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE)]
pub(crate) fn current_mm_violations() -> u64 {
    let current = kernel::current!();
    match current.mm() {
        // SAFETY: `mm` is current's mm, alive while current runs.
        Some(mm) => unsafe { bindings::membarrier_oracle_mm_violations(mm.as_raw()) },
        None => 0,
    }
}

/// Without the oracle, none.
#[cfg(not(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE))]
pub(crate) fn current_mm_violations() -> u64 {
    0
}

/// Violations the oracle counted on `cpu`, which must be below `nr_cpu_ids`.
#[cfg(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE)]
pub(crate) fn cpu_violations(cpu: u32) -> u64 {
    let mut st = bindings::membarrier_oracle_stats::default();

    // SAFETY: `cpu` is below `nr_cpu_ids` (the caller's promise), so it
    // indexes the per-CPU areas, and `st` is valid for writes.
    unsafe { bindings::membarrier_oracle_cpu_stats(cpu as i32, &mut st) };
    st.violations
}

/// Without the oracle, none.
#[cfg(not(CONFIG_MEMBARRIER_SYNC_CORE_ORACLE))]
pub(crate) fn cpu_violations(_cpu: u32) -> u64 {
    0
}
