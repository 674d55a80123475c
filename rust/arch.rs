// SPDX-License-Identifier: GPL-2.0

//! Per-architecture core serialization, selected by the kernel's arch config.
//!
//! `MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE` promises that every thread of
//! the caller's mm executes a core serializing instruction before it runs
//! user code again, so that code modified by the caller (a JIT) is fetched
//! anew. What that takes depends on how each architecture returns from an IPI
//! to user space; each file below says what its architecture guarantees.

#[cfg(CONFIG_ARM64)]
mod arm64;
#[cfg(CONFIG_ARM64)]
pub(crate) use arm64::*;

#[cfg(CONFIG_PPC64)]
mod powerpc;
#[cfg(CONFIG_PPC64)]
pub(crate) use powerpc::*;

#[cfg(CONFIG_X86_64)]
mod x86_64;
#[cfg(CONFIG_X86_64)]
pub(crate) use x86_64::*;
