// SPDX-License-Identifier: GPL-2.0

//! The membarrier(2) command set, as seen through the ioctl.
//!
//! Argument checks follow `SYSCALL_DEFINE3(membarrier, ...)` in
//! `kernel/sched/membarrier.c` in the same order, so that an invalid call
//! fails with the errno the syscall would give.

use kernel::{
    bindings,
    prelude::*, //
};

use crate::uapi::{
    Cmd,
    Variant, //
};

/// `MEMBARRIER_CMD_QUERY`.
const CMD_QUERY: i32 = bindings::membarrier_cmd_MEMBARRIER_CMD_QUERY as i32;
/// `MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ`.
const CMD_PRIVATE_EXPEDITED_RSEQ: i32 =
    bindings::membarrier_cmd_MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ as i32;
/// `MEMBARRIER_CMD_FLAG_CPU`.
const FLAG_CPU: u32 = bindings::membarrier_cmd_flag_MEMBARRIER_CMD_FLAG_CPU;

/// Commands this module implements, as the bitmask `MEMBARRIER_CMD_QUERY`
/// returns. `MEMBARRIER_CMD_QUERY` itself is 0 and has no bit.
const SUPPORTED_CMDS: i32 = 0;

/// Variants this module implements.
pub(crate) const SUPPORTED_VARIANTS: u32 = Variant::Intree.bit();

/// Runs one membarrier command and returns what `membarrier(2)` returns.
pub(crate) fn run(c: &Cmd) -> Result<isize> {
    let variant = Variant::try_from(c.variant)?;
    if variant.bit() & SUPPORTED_VARIANTS == 0 {
        return Err(EOPNOTSUPP);
    }

    // Same flag rule as the syscall: only PRIVATE_EXPEDITED_RSEQ takes a
    // flag, and only MEMBARRIER_CMD_FLAG_CPU.
    let flags_ok = match c.cmd {
        CMD_PRIVATE_EXPEDITED_RSEQ => c.flags == 0 || c.flags == FLAG_CPU,
        _ => c.flags == 0,
    };
    if !flags_ok {
        return Err(EINVAL);
    }

    match c.cmd {
        CMD_QUERY => Ok(SUPPORTED_CMDS as isize),
        _ => Err(EINVAL),
    }
}
